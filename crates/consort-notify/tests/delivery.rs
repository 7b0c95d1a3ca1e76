//! The outbox worker against a real SMTP server (tools/smtp-sink.py), on SQLite
//! and on PostgreSQL.

#[path = "../../consort-store/tests/common/mod.rs"]
mod common;
mod support;

use consort_core::Email;
use consort_notify::{BatchReport, OutboxWorker, WorkerOptions, message_id};
use consort_store::{EmailKind, EmailStatus, NewEmail, OutboxEmail, OutboxSummary, Store};
use jiff::SignedDuration;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{SmtpSink, sender, sink_available};

const PATIENCE: Duration = Duration::from_secs(60);

fn recipient(n: usize) -> Email {
    Email::parse(&format!("officer{n}@borough.example.gov.uk")).unwrap()
}

fn outcome(n: usize) -> NewEmail {
    NewEmail {
        kind: EmailKind::Outcome,
        to: recipient(n),
        subject: format!("Outcome of competition {n}"),
        body_text: format!("The outcome of competition {n} is published."),
        body_html: None,
        dedupe_key: format!("outcome:{n}"),
        not_before: None,
    }
}

async fn stored(store: &Store, n: usize) -> OutboxEmail {
    let mut rows = store.emails_to(&recipient(n)).await.unwrap();
    assert_eq!(rows.len(), 1, "one message to recipient {n}");
    rows.remove(0)
}

/// Waits (checking the store, never sleeping a fixed time) until `done` holds
/// for the outbox summary, failing after a minute.
async fn wait_for_summary(store: &Store, done: impl Fn(OutboxSummary) -> bool) -> OutboxSummary {
    let give_up = tokio::time::Instant::now() + PATIENCE;
    loop {
        let summary = store.outbox_summary().await.unwrap();
        if done(summary) {
            return summary;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "the outbox did not get there within {PATIENCE:?}: {summary:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sent(n: u64) -> OutboxSummary {
    OutboxSummary {
        pending: 0,
        sent: n,
        failed: 0,
    }
}

on_both!(three_workers_deliver_each_once, |db, _clock| {
    if !sink_available("three_workers_deliver_each_once") {
        return;
    }
    let sink = SmtpSink::start();
    let store = &db.store;
    let total = 50;
    let emails: Vec<NewEmail> = (0..total).map(outcome).collect();
    assert_eq!(store.enqueue_emails(&emails, None).await.unwrap(), total);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for n in 0..3 {
        let worker = OutboxWorker::new(store.clone(), &sink.config(), format!("worker-{n}"))
            .unwrap()
            .with_options(WorkerOptions {
                batch_size: 4,
                poll_interval: Duration::from_millis(50),
                ..WorkerOptions::default()
            })
            .unwrap();
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(worker.run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })));
    }
    wait_for_summary(store, |s| s.sent == total as u64).await;
    stop.send(true).unwrap();
    for worker in workers {
        tokio::time::timeout(PATIENCE, worker)
            .await
            .expect("a worker stops when asked")
            .unwrap();
    }
    assert_eq!(store.outbox_summary().await.unwrap(), sent(total as u64));

    let received = sink.messages();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for message in &received {
        *by_id.entry(message.message_id.clone()).or_default() += 1;
    }
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "received more than once: {twice:?}");
    assert_eq!(received.len(), total, "every message arrived");
    let mut senders = BTreeSet::new();
    for n in 0..total {
        let row = stored(store, n).await;
        assert_eq!(row.status, EmailStatus::Sent);
        senders.extend(row.claimed_by.clone());
        let id = message_id(row.id, row.created_at, &sender());
        let message = received
            .iter()
            .find(|m| m.message_id == id)
            .unwrap_or_else(|| panic!("no message {id} for recipient {n}"));
        assert_eq!(message.rcpt_tos, [recipient(n).as_str()]);
        assert_eq!(message.mail_from, "noreply@consort.example.gov.uk");
        assert_eq!(message.subject, format!("Outcome of competition {n}"));
        assert!(
            message
                .raw
                .contains(&format!("competition {n} is published"))
        );
    }
    eprintln!("messages were sent by {senders:?}");
});

on_both!(a_message_waits_for_its_backoff_then_arrives, |db, clock| {
    if !sink_available("a_message_waits_for_its_backoff_then_arrives") {
        return;
    }
    let store = &db.store;
    let port = support::free_port();
    let worker = OutboxWorker::new(store.clone(), &support::config_for_port(port), "w").unwrap();
    store.enqueue_email(outcome(1), None).await.unwrap();

    let report = worker.run_once().await.unwrap();
    assert_eq!(
        report,
        BatchReport {
            claimed: 1,
            retrying: 1,
            ..BatchReport::default()
        },
        "nothing listens on port {port} yet"
    );
    let row = stored(store, 1).await;
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.next_attempt_at,
        clock.now() + SignedDuration::from_secs(30)
    );
    let error = row.last_error.unwrap();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");

    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(worker.run_once().await.unwrap().retrying, 1);
    let row = stored(store, 1).await;
    assert_eq!(row.attempts, 2);
    assert_eq!(
        row.next_attempt_at,
        clock.now() + SignedDuration::from_secs(60),
        "the second wait is twice the first"
    );

    let sink = SmtpSink::start_on(port);
    clock.advance(SignedDuration::from_secs(59));
    assert_eq!(
        worker.run_once().await.unwrap(),
        BatchReport::default(),
        "not due until its backoff is over, even though the server is back"
    );
    assert!(sink.messages().is_empty());

    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(worker.run_once().await.unwrap().sent, 1);
    let row = stored(store, 1).await;
    assert_eq!(row.status, EmailStatus::Sent);
    assert_eq!(row.sent_at, Some(clock.now()));
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].message_id,
        message_id(row.id, row.created_at, &sender())
    );

    clock.advance(SignedDuration::from_hours(2));
    assert_eq!(worker.run_once().await.unwrap(), BatchReport::default());
    assert_eq!(sink.messages().len(), 1, "sent once, not again");
});

on_both!(a_wake_sends_at_once_and_shutdown_is_prompt, |db, _clock| {
    if !sink_available("a_wake_sends_at_once_and_shutdown_is_prompt") {
        return;
    }
    let sink = SmtpSink::start();
    let store = &db.store;
    let worker = OutboxWorker::new(store.clone(), &sink.config(), "sleepy")
        .unwrap()
        .with_options(WorkerOptions {
            poll_interval: Duration::from_secs(24 * 60 * 60),
            ..WorkerOptions::default()
        })
        .unwrap();
    let waker = worker.waker();
    store.enqueue_email(outcome(1), None).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    // The first message goes in the worker's first batch; after it the worker
    // waits a day for its next poll, so only the wake can send the second.
    wait_for_summary(store, |s| s.sent == 1).await;
    store.enqueue_email(outcome(2), None).await.unwrap();
    waker.wake();
    wait_for_summary(store, |s| s.sent == 2).await;
    assert_eq!(sink.messages().len(), 2);
    stop.send(()).unwrap();
    tokio::time::timeout(PATIENCE, running)
        .await
        .expect("the worker stops without waiting out its day-long poll")
        .unwrap();
});

on_both!(unsent_claims_are_given_back, |db, _clock| {
    let store = &db.store;
    let emails: Vec<NewEmail> = (0..3).map(outcome).collect();
    store.enqueue_emails(&emails, None).await.unwrap();
    let nowhere = support::config_for_port(support::free_port());

    let hasty = OutboxWorker::new(store.clone(), &nowhere, "hasty")
        .unwrap()
        .with_options(WorkerOptions {
            lease: Duration::from_secs(20),
            smtp_timeout: Duration::from_secs(30),
            ..WorkerOptions::default()
        })
        .unwrap();
    assert_eq!(
        hasty.run_once().await.unwrap(),
        BatchReport {
            claimed: 3,
            released: 3,
            ..BatchReport::default()
        },
        "a lease shorter than the SMTP timeout could lapse mid-send: nothing is tried"
    );

    let stopping = OutboxWorker::new(store.clone(), &nowhere, "stopping").unwrap();
    tokio::time::timeout(PATIENCE, stopping.run(async {}))
        .await
        .expect("a worker told to stop before it starts returns at once");
    for n in 0..3 {
        let row = stored(store, n).await;
        assert_eq!(row.status, EmailStatus::Pending);
        assert_eq!(row.attempts, 0, "no attempt was made at message {n}");
        assert_eq!((row.claimed_by, row.claimed_until), (None, None));
    }
    let next = OutboxWorker::new(store.clone(), &nowhere, "next").unwrap();
    assert_eq!(
        next.run_once().await.unwrap().claimed,
        3,
        "given-back messages can be claimed at once"
    );
});
