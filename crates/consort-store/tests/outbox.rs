//! The email outbox on SQLite and PostgreSQL: queuing, claiming, leases and
//! backoff.

mod common;

use consort_core::Email;
use consort_core::audit::AuditEvent;
use consort_store::{
    AfterFailure, EmailKind, EmailStatus, MAX_EMAIL_ATTEMPTS, NewEmail, OutboxSummary, StoreError,
    email_retry_delay,
};
use jiff::SignedDuration;
use std::collections::BTreeSet;
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(300);

fn address(n: usize) -> Email {
    Email::parse(&format!("bidder{n}@supplier.example.com")).unwrap()
}

fn invitation(n: usize) -> NewEmail {
    NewEmail {
        kind: EmailKind::Invitation,
        to: address(n),
        subject: format!("Invitation to tender {n}"),
        body_text: "You are invited to tender.".into(),
        body_html: Some("<p>You are invited to tender.</p>".into()),
        dedupe_key: format!("invitation:{n}"),
        not_before: None,
    }
}

fn summary(pending: u64, sent: u64, failed: u64) -> OutboxSummary {
    OutboxSummary {
        pending,
        sent,
        failed,
    }
}

fn after(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap()
}

on_both!(
    queued_messages_round_trip_with_their_audit_entry,
    |db, clock| {
        let s = &db.store;
        let event = AuditEvent::new("cli", None, "competition.invited", serde_json::json!({}));
        assert!(
            s.enqueue_email(invitation(1), Some(event.clone()))
                .await
                .unwrap()
        );
        let stored = s.emails_to(&address(1)).await.unwrap();
        assert_eq!(stored.len(), 1);
        let e = &stored[0];
        assert_eq!(e.kind, EmailKind::Invitation);
        assert_eq!(e.subject, "Invitation to tender 1");
        assert_eq!(
            e.body_html.as_deref(),
            Some("<p>You are invited to tender.</p>")
        );
        assert_eq!(e.status, EmailStatus::Pending);
        assert_eq!(e.attempts, 0);
        assert_eq!(e.created_at, clock.now());
        assert_eq!(e.next_attempt_at, clock.now(), "due at once");
        assert_eq!((e.claimed_by.as_deref(), e.sent_at), (None, None));
        assert!(s.emails_to(&address(2)).await.unwrap().is_empty());
        let audit = s.audit_page(1, 10).await.unwrap();
        assert_eq!(audit.total, 1);
        assert_eq!(audit.entries[0].kind, "competition.invited");
        assert_eq!(s.audit_verify().await.unwrap(), Ok(1));
        assert_eq!(s.outbox_summary().await.unwrap(), summary(1, 0, 0));
    }
);

on_both!(a_batch_with_a_bad_message_queues_nothing, |db, _clock| {
    let s = &db.store;
    let mut bad = invitation(2);
    bad.subject = "Invitation\r\nBcc: everyone@example.com".into();
    let event = AuditEvent::new("cli", None, "competition.invited", serde_json::json!({}));
    let err = s
        .enqueue_emails(&[invitation(1), bad.clone()], Some(event))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert_eq!(err.to_string(), "email subject: must be a single line");
    let err = s
        .enqueue_emails(&[invitation(1), bad], None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert!(
        s.emails_to(&address(1)).await.unwrap().is_empty(),
        "the good message was rolled back with the bad one"
    );
    assert_eq!(s.outbox_summary().await.unwrap(), summary(0, 0, 0));
    assert_eq!(s.audit_page(1, 10).await.unwrap().total, 0);
});

on_both!(bad_messages_are_refused_naming_the_field, |db, _clock| {
    let s = &db.store;
    type Spoil = fn(&mut NewEmail);
    let cases: [(Spoil, &str); 5] = [
        (
            |e| e.subject = "  ".into(),
            "email subject: enter a subject",
        ),
        (
            |e| e.subject = "x".repeat(251),
            "email subject: must be at most 250 characters",
        ),
        (
            |e| e.body_text = "\n".into(),
            "email body_text: the plain-text body is empty",
        ),
        (
            |e| e.body_html = Some(String::new()),
            "email body_html: the HTML body is empty: leave it out instead",
        ),
        (
            |e| e.dedupe_key = String::new(),
            "email dedupe_key: enter a key naming the message",
        ),
    ];
    for (spoil, message) in cases {
        let mut e = invitation(1);
        spoil(&mut e);
        let err = s.enqueue_email(e, None).await.unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    assert_eq!(s.outbox_summary().await.unwrap(), summary(0, 0, 0));
});

on_both!(a_dedupe_key_is_queued_once, |db, _clock| {
    let s = &db.store;
    assert!(s.enqueue_email(invitation(1), None).await.unwrap());
    let mut again = invitation(1);
    again.subject = "A different subject".into();
    assert!(!s.enqueue_email(again, None).await.unwrap());
    let queued = s
        .enqueue_emails(&[invitation(1), invitation(2), invitation(2)], None)
        .await
        .unwrap();
    assert_eq!(queued, 1, "only invitation 2 is new, and only once");
    let stored = s.emails_to(&address(1)).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].subject, "Invitation to tender 1",
        "the first wins"
    );
    assert_eq!(s.outbox_summary().await.unwrap(), summary(2, 0, 0));
});

on_both!(concurrent_claimers_partition_the_queue, |db, _clock| {
    let s = &db.store;
    let total = 120;
    let emails: Vec<NewEmail> = (0..total).map(invitation).collect();
    assert_eq!(s.enqueue_emails(&emails, None).await.unwrap(), total);
    let mut claimers = Vec::new();
    for worker in 0..6 {
        let store = s.clone();
        claimers.push(tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_emails(&name, 7, LEASE).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                assert!(batch.iter().all(|e| e.attempts == 0));
                mine.extend(batch.into_iter().map(|e| e.id));
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for claimer in claimers {
        claimed.extend(claimer.await.unwrap());
    }
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "a row was claimed twice");
    let mut all = BTreeSet::new();
    for n in 0..total {
        all.extend(s.emails_to(&address(n)).await.unwrap().iter().map(|e| e.id));
    }
    assert_eq!(distinct, all, "every row was claimed");
    assert!(
        s.claim_emails("late", 100, LEASE).await.unwrap().is_empty(),
        "claimed rows stay claimed while their lease runs"
    );
});

on_both!(a_lapsed_lease_lets_another_worker_take_over, |db, clock| {
    let s = &db.store;
    s.enqueue_email(invitation(1), None).await.unwrap();
    let first = s.claim_emails("a", 10, LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].claimed_until, clock.now() + after(LEASE));
    assert!(s.claim_emails("b", 10, LEASE).await.unwrap().is_empty());
    clock.advance(after(LEASE) - SignedDuration::from_secs(1));
    assert!(
        s.claim_emails("b", 10, LEASE).await.unwrap().is_empty(),
        "the lease still runs"
    );
    clock.advance(SignedDuration::from_secs(1));
    let taken = s.claim_emails("b", 10, LEASE).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, first[0].id);
    assert!(!s.mark_email_sent(first[0].id, "a").await.unwrap());
    assert_eq!(
        s.mark_email_failed(first[0].id, "a", "too late")
            .await
            .unwrap(),
        AfterFailure::NotHeld
    );
    assert!(s.mark_email_sent(taken[0].id, "b").await.unwrap());
    assert!(
        !s.mark_email_sent(taken[0].id, "b").await.unwrap(),
        "a sent message is not marked twice"
    );
    let stored = &s.emails_to(&address(1)).await.unwrap()[0];
    assert_eq!(stored.status, EmailStatus::Sent);
    assert_eq!(stored.sent_at, Some(clock.now()));
    assert_eq!(stored.claimed_by.as_deref(), Some("b"));
    assert_eq!(stored.attempts, 0);
    clock.advance(SignedDuration::from_hours(24));
    assert!(s.claim_emails("c", 10, LEASE).await.unwrap().is_empty());
    assert_eq!(s.outbox_summary().await.unwrap(), summary(0, 1, 0));
});

on_both!(failures_back_off_then_give_up, |db, clock| {
    let s = &db.store;
    s.enqueue_email(invitation(1), None).await.unwrap();
    let mut expected_delays = Vec::new();
    let mut observed_delays = Vec::new();
    for attempt in 1..=MAX_EMAIL_ATTEMPTS {
        let claimed = s.claim_emails("w", 1, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt} is due");
        assert_eq!(claimed[0].attempts, attempt - 1);
        let outcome = s
            .mark_email_failed(claimed[0].id, "w", &format!("421 try later ({attempt})"))
            .await
            .unwrap();
        if attempt == MAX_EMAIL_ATTEMPTS {
            assert_eq!(outcome, AfterFailure::GaveUp { attempts: attempt });
            break;
        }
        let AfterFailure::Retry { attempts, at } = outcome else {
            panic!("attempt {attempt}: expected a retry, got {outcome:?}");
        };
        assert_eq!(attempts, attempt);
        let delay = at.duration_since(clock.now());
        expected_delays.push(email_retry_delay(attempt).as_secs() as i64);
        observed_delays.push(delay.as_secs());
        clock.advance(delay - SignedDuration::from_secs(1));
        assert!(
            s.claim_emails("w", 1, LEASE).await.unwrap().is_empty(),
            "attempt {attempt}: not due a second early"
        );
        clock.advance(SignedDuration::from_secs(1));
    }
    assert_eq!(observed_delays, expected_delays);
    assert_eq!(
        &observed_delays[..8],
        [30, 60, 120, 240, 480, 960, 1920, 3600]
    );
    let stored = &s.emails_to(&address(1)).await.unwrap()[0];
    assert_eq!(stored.status, EmailStatus::Failed);
    assert_eq!(stored.attempts, MAX_EMAIL_ATTEMPTS);
    assert_eq!(
        stored.last_error.as_deref(),
        Some(format!("421 try later ({MAX_EMAIL_ATTEMPTS})").as_str())
    );
    assert_eq!(stored.claimed_by, None);
    clock.advance(SignedDuration::from_hours(24 * 30));
    assert!(s.claim_emails("w", 1, LEASE).await.unwrap().is_empty());
    assert_eq!(s.outbox_summary().await.unwrap(), summary(0, 0, 1));
});

on_both!(scheduled_and_released_messages, |db, clock| {
    let s = &db.store;
    let mut reminder = invitation(1);
    reminder.kind = EmailKind::DeadlineReminder;
    reminder.not_before = Some(clock.now() + SignedDuration::from_hours(2));
    s.enqueue_email(reminder, None).await.unwrap();
    s.enqueue_email(invitation(2), None).await.unwrap();
    s.enqueue_email(invitation(3), None).await.unwrap();
    let claimed = s.claim_emails("a", 10, LEASE).await.unwrap();
    let claimed_ids: Vec<i64> = claimed.iter().map(|e| e.id).collect();
    assert_eq!(claimed.len(), 2, "the reminder is not due yet");
    assert!(claimed.iter().all(|e| e.kind == EmailKind::Invitation));
    assert!(s.mark_email_sent(claimed_ids[0], "a").await.unwrap());
    assert_eq!(s.release_email_claims("a").await.unwrap(), 1);
    let again = s.claim_emails("b", 10, LEASE).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        [claimed_ids[1]],
        "a released message can be claimed at once; a sent one is not released"
    );
    assert!(s.mark_email_sent(claimed_ids[1], "b").await.unwrap());
    clock.advance(SignedDuration::from_hours(2));
    let due = s.claim_emails("b", 10, LEASE).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind, EmailKind::DeadlineReminder);
    let err = s.claim_emails(" ", 10, LEASE).await.unwrap_err();
    assert!(err.to_string().starts_with("email worker:"), "{err}");
    let err = s.claim_emails("b", 10, Duration::ZERO).await.unwrap_err();
    assert!(err.to_string().starts_with("email lease:"), "{err}");
});
