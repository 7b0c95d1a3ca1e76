//! The storage suite: every case runs on SQLite and on PostgreSQL.

mod common;

use consort_core::audit::AuditEvent;
use consort_core::org::{ContactDetails, Membership, OrgKind, Organisation, Role};
use consort_core::password::{HashCost, PasswordHashing};
use consort_core::{Email, OrgId};
use consort_store::{DemoOutcome, NewUser, SignInAttempt, StoreError};
use jiff::SignedDuration;

fn org(id: &str, name: &str, kind: OrgKind) -> Organisation {
    Organisation {
        id: OrgId::parse(id).unwrap(),
        name: name.into(),
        kind,
        contact: ContactDetails {
            email: Some(Email::parse("procurement@example.gov.uk").unwrap()),
            ..Default::default()
        },
    }
}

fn user(email: &str, org: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: PasswordHashing::new(HashCost::TestOnly)
            .hash("a long enough password")
            .unwrap(),
        must_change_password: false,
        membership: Membership {
            org: OrgId::parse(org).unwrap(),
            role,
        },
    }
}

async fn audit_count(db: &common::TestDb) -> u64 {
    db.store.audit_verify().await.unwrap().expect("chain holds")
}

on_both!(organisations_round_trip_and_are_audited, |db, _clock| {
    let s = &db.store;
    assert!(s.is_empty().await.unwrap());
    let camden = org("GB-LAE-CMD", "London Borough of Camden", OrgKind::Authority);
    s.create_org("cli", &camden).await.unwrap();
    s.create_org(
        "cli",
        &org("GB-COH-01234567", "Example Ltd", OrgKind::Supplier),
    )
    .await
    .unwrap();
    assert_eq!(s.org(&camden.id).await.unwrap(), Some(camden.clone()));
    let all = s.orgs().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].kind,
        OrgKind::Authority,
        "authorities are listed first"
    );
    let dup = s.create_org("cli", &camden).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");
    assert!(dup.to_string().contains("GB-LAE-CMD"));
    let page = s.audit_page(1, 10).await.unwrap();
    assert_eq!(page.total, 2, "the failed duplicate wrote no audit entry");
    assert_eq!(page.entries[0].kind, "org.created");
    assert!(
        page.entries[0].payload.contains("Example Ltd"),
        "newest first"
    );
    assert!(!s.is_empty().await.unwrap());
});

on_both!(
    consortium_membership_is_checked_and_audited,
    |db, _clock| {
        let s = &db.store;
        for (id, name, kind) in [
            ("GB-COH-ZZ000100", "Partnership", OrgKind::Coordinator),
            ("GB-LAE-CMD", "Camden", OrgKind::Authority),
            ("GB-LAE-HCK", "Hackney", OrgKind::Authority),
            ("GB-COH-01234567", "Example Ltd", OrgKind::Supplier),
        ] {
            s.create_org("cli", &org(id, name, kind)).await.unwrap();
        }
        let lead = OrgId::parse("GB-COH-ZZ000100").unwrap();
        let camden = OrgId::parse("GB-LAE-CMD").unwrap();
        let supplier = OrgId::parse("GB-COH-01234567").unwrap();
        let refused = s
            .create_consortium("cli", "Bad", &supplier)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("supplier"), "{refused}");
        let id = s
            .create_consortium("cli", "London Housing", &lead)
            .await
            .unwrap();
        s.join_consortium("user:c@x.gov.uk", id, &camden)
            .await
            .unwrap();
        s.join_consortium("user:c@x.gov.uk", id, &OrgId::parse("GB-LAE-HCK").unwrap())
            .await
            .unwrap();
        let again = s.join_consortium("cli", id, &camden).await.unwrap_err();
        assert!(again.to_string().contains("already a member"), "{again}");
        let not_authority = s.join_consortium("cli", id, &supplier).await.unwrap_err();
        assert!(
            not_authority
                .to_string()
                .contains("not a contracting authority")
        );
        s.leave_consortium("user:c@x.gov.uk", id, &camden)
            .await
            .unwrap();
        assert!(s.leave_consortium("cli", id, &camden).await.is_err());
        let detail = s.consortium(id).await.unwrap().unwrap();
        assert_eq!(detail.members, vec![OrgId::parse("GB-LAE-HCK").unwrap()]);
        assert_eq!(detail.consortium.coordinator, lead);
        assert!(s.consortium(id + 100).await.unwrap().is_none());
        let kinds: Vec<String> = s
            .audit_page(1, 3)
            .await
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "consortium.member_left",
                "consortium.member_joined",
                "consortium.member_joined"
            ]
        );
        assert_eq!(audit_count(db).await, 8);
    }
);

on_both!(
    people_need_a_known_organisation_and_a_fitting_role,
    |db, _clock| {
        let s = &db.store;
        s.create_org("cli", &org("GB-LAE-CMD", "Camden", OrgKind::Authority))
            .await
            .unwrap();
        s.create_org(
            "cli",
            &org("GB-COH-01234567", "Example Ltd", OrgKind::Supplier),
        )
        .await
        .unwrap();
        let unknown = s
            .create_user("cli", &user("a@x.gov.uk", "GB-LAE-ZZZ", Role::Buyer))
            .await
            .unwrap_err();
        assert!(matches!(unknown, StoreError::NotFound(_)));
        assert!(unknown.to_string().contains("GB-LAE-ZZZ"), "{unknown}");
        let misfit = s
            .create_user("cli", &user("a@x.gov.uk", "GB-COH-01234567", Role::Buyer))
            .await
            .unwrap_err();
        assert!(matches!(misfit, StoreError::Refused(_)), "{misfit}");
        let id = s
            .create_user(
                "cli",
                &user("buyer@camden.gov.uk", "GB-LAE-CMD", Role::Buyer),
            )
            .await
            .unwrap();
        let dup = s
            .create_user(
                "cli",
                &user("BUYER@camden.gov.uk", "GB-LAE-CMD", Role::Buyer),
            )
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");
        let email = Email::parse("buyer@camden.gov.uk").unwrap();
        s.grant_role(
            "cli",
            &email,
            &Membership {
                org: OrgId::parse("GB-LAE-CMD").unwrap(),
                role: Role::Evaluator,
            },
        )
        .await
        .unwrap();
        let actor = s.actor(id).await.unwrap().unwrap();
        assert_eq!(actor.roles(), vec![Role::Buyer, Role::Evaluator]);
        let rec = s.sign_in_record(&email).await.unwrap().unwrap();
        assert_eq!(rec.user_id, id);
        assert!(rec.password_hash.starts_with("$argon2id$"));
        assert_eq!(
            s.org_people(&OrgId::parse("GB-LAE-CMD").unwrap())
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            audit_count(db).await,
            4,
            "two orgs, one user, one grant; refusals wrote nothing"
        );
    }
);

on_both!(
    sessions_expire_and_password_changes_end_other_sessions,
    |db, clock| {
        let s = &db.store;
        s.create_org("cli", &org("GB-LAE-CMD", "Camden", OrgKind::Authority))
            .await
            .unwrap();
        let mut u = user("buyer@camden.gov.uk", "GB-LAE-CMD", Role::Buyer);
        u.must_change_password = true;
        let id = s.create_user("cli", &u).await.unwrap();
        assert!(s.must_change_password(id).await.unwrap());
        s.create_session(id, "buyer@camden.gov.uk", "hash-a")
            .await
            .unwrap();
        s.create_session(id, "buyer@camden.gov.uk", "hash-b")
            .await
            .unwrap();
        assert_eq!(
            s.touch_session("hash-a").await.unwrap().map(|r| r.user_id),
            Some(id)
        );
        assert!(s.touch_session("unknown").await.unwrap().is_none());
        clock.advance(SignedDuration::from_mins(20));
        assert!(
            s.touch_session("hash-a").await.unwrap().is_some(),
            "20 idle minutes is fine"
        );
        s.set_password("user:buyer@camden.gov.uk", id, "$argon2id$new", "hash-a")
            .await
            .unwrap();
        assert!(!s.must_change_password(id).await.unwrap());
        assert!(
            s.touch_session("hash-b").await.unwrap().is_none(),
            "other sessions ended"
        );
        clock.advance(SignedDuration::from_mins(31));
        assert!(
            s.touch_session("hash-a").await.unwrap().is_none(),
            "expired after 31 idle minutes"
        );
        s.create_session(id, "buyer@camden.gov.uk", "hash-c")
            .await
            .unwrap();
        s.end_session("hash-c", "buyer@camden.gov.uk")
            .await
            .unwrap();
        assert!(s.touch_session("hash-c").await.unwrap().is_none());
        let kinds: Vec<String> = s
            .audit_page(1, 2)
            .await
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["user.signed_out", "user.signed_in"]);
    }
);

on_both!(
    sign_in_failures_are_counted_per_account_and_address,
    |db, clock| {
        let s = &db.store;
        let attempt = |email, address| SignInAttempt { email, address };
        for _ in 0..3 {
            let claimed = s
                .claim_sign_in_attempt(attempt("a@x.gov.uk", "10.0.0.1"))
                .await
                .unwrap();
            assert!(claimed.is_ok());
        }
        s.claim_sign_in_attempt(attempt("b@x.gov.uk", "10.0.0.1"))
            .await
            .unwrap()
            .unwrap();
        let (account, address) = s
            .recent_sign_in_failures("a@x.gov.uk", "10.0.0.1")
            .await
            .unwrap();
        assert_eq!((account.count, address.count), (3, 4));
        assert!(account.oldest.is_some());
        clock.advance(SignedDuration::from_secs(1));
        let id = s
            .claim_sign_in_attempt(attempt("a@x.gov.uk", "10.0.0.2"))
            .await
            .unwrap()
            .unwrap();
        s.settle_sign_in_attempt(id).await.unwrap();
        let (account, _) = s
            .recent_sign_in_failures("a@x.gov.uk", "10.0.0.2")
            .await
            .unwrap();
        assert_eq!(account.count, 0, "a success resets the account's count");
        clock.advance(SignedDuration::from_mins(16));
        let (_, address) = s
            .recent_sign_in_failures("b@x.gov.uk", "10.0.0.1")
            .await
            .unwrap();
        assert_eq!(
            address.count, 0,
            "failures older than the window are not counted"
        );
    }
);

on_both!(
    simultaneous_guesses_claim_no_more_than_the_account_limit,
    |db, _clock| {
        let mut tasks = Vec::new();
        for i in 0..30 {
            let s = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let address = format!("10.0.1.{i}");
                s.claim_sign_in_attempt(SignInAttempt {
                    email: "a@x.gov.uk",
                    address: &address,
                })
                .await
                .unwrap()
                .is_ok()
            }));
        }
        let mut claimed = 0;
        for t in tasks {
            claimed += usize::from(t.await.unwrap());
        }
        assert_eq!(
            claimed,
            consort_core::sign_in::ACCOUNT_FAILURES_ALLOWED as usize,
            "exactly the allowance is claimed, however the guesses race"
        );
    }
);

on_both!(
    audit_tampering_is_found_and_the_log_refuses_updates,
    |db, _clock| {
        let s = &db.store;
        for i in 0..5 {
            s.audit_record(AuditEvent::new(
                "cli",
                None,
                "test.event",
                serde_json::json!({ "i": i }),
            ))
            .await
            .unwrap();
        }
        assert_eq!(audit_count(db).await, 5);
        let update = sqlx::query("UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3")
            .execute(s.pool())
            .await;
        assert!(update.is_err(), "the append-only trigger refuses updates");
        let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 5")
            .execute(s.pool())
            .await;
        assert!(delete.is_err(), "the append-only trigger refuses deletes");
        // Someone with the database itself can remove the trigger; verification still finds them out.
        let drop = match s.backend() {
            consort_store::Backend::Sqlite => "DROP TRIGGER audit_log_is_append_only_update",
            consort_store::Backend::Postgres => {
                "DROP TRIGGER audit_log_is_append_only ON audit_log"
            }
        };
        sqlx::query(drop).execute(s.pool()).await.unwrap();
        sqlx::query("UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3")
            .execute(s.pool())
            .await
            .unwrap();
        let err = s.audit_verify().await.unwrap().unwrap_err();
        assert_eq!(err.seq, 3);
    }
);

on_both!(concurrent_writers_keep_one_unbroken_chain, |db, _clock| {
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("GB-COH-{:08}", i);
            s.create_org("cli", &org(&id, &format!("Company {i}"), OrgKind::Supplier))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(db.store.orgs().await.unwrap().len(), 24);
    assert_eq!(audit_count(db).await, 24);
});

on_both!(demo_loads_only_into_an_empty_store, |db, _clock| {
    let s = &db.store;
    let hashing = PasswordHashing::new(HashCost::TestOnly);
    let DemoOutcome::Loaded(people) = s.load_demo(hashing).await.unwrap() else {
        panic!("an empty store takes the demo");
    };
    for role in Role::ALL {
        assert!(people.iter().any(|(p, _)| p.role == role), "no {role}");
    }
    let (buyer, password) = people.iter().find(|(p, _)| p.role == Role::Buyer).unwrap();
    let rec = s.sign_in_record(&buyer.email).await.unwrap().unwrap();
    assert!(hashing.verify(password, &rec.password_hash));
    let consortia = s.consortia().await.unwrap();
    assert_eq!(consortia.len(), 1);
    assert!(consortia[0].members.len() >= 8);
    assert!(matches!(
        s.load_demo(hashing).await.unwrap(),
        DemoOutcome::StoreNotEmpty
    ));
    assert!(audit_count(db).await > 30);
});

on_both!(reopening_applies_no_migration_twice, |db, _clock| {
    // The store was opened (and migrated) by the harness; a second migration pass
    // over the same database must find nothing to do and keep the data.
    let s = &db.store;
    s.create_org("cli", &org("GB-LAE-CMD", "Camden", OrgKind::Authority))
        .await
        .unwrap();
    let (n, highest): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), MAX(version) FROM schema_migrations")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(n, highest, "every migration recorded once");
});
