//! The bid vault on SQLite and PostgreSQL: sealed submission and receipts,
//! idempotency and resubmission, refusals, group commit under 200 concurrent
//! submitters, drafts, opener and recovery keys, the two-person opening, and that
//! nothing of a bid is readable in the database or the data directory before it.

mod common;

use common::TestDb;
use consort_core::calendar::Regime;
use consort_core::competition::{
    AwardCriteria, BidContent, Command, CompetitionError, CompetitionRules, DraftContent,
    PriceCriterion, PriceFormula, PriceLine, QualityQuestion, Receipt, ScoringScale,
    canonical_bid_bytes,
};
use consort_core::document::{UploadPolicy, describe_upload};
use consort_core::org::{ContactDetails, Membership, OrgKind, Organisation, Role};
use consort_core::password::{HashCost, PasswordHashing};
use consort_core::policy::Actor;
use consort_core::{Email, OrgId};
use consort_store::{BidSubmission, BidUpload, Store, StoreError};
use consort_vault::{ExposeSecret, KeyWork};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Placed in answers, attachment names and bytes, and drafts; must never be
/// readable anywhere before opening.
const MARKER: &str = "MARKER-q7Zx31-sealed-bid-content";
const DEADLINE: &str = "2027-01-11T12:00:00Z";
const PASSPHRASE_1: &str = "first opener passphrase";
const PASSPHRASE_2: &str = "second opener passphrase";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn org_id(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}

fn camden() -> OrgId {
    org_id("GB-LAE-CMD")
}

fn supplier_id(n: usize) -> OrgId {
    org_id(&format!("GB-COH-{:08}", n + 1))
}

async fn add_org(s: &Store, id: &OrgId, kind: OrgKind) {
    s.create_org(
        "cli",
        &Organisation {
            id: id.clone(),
            name: format!("Organisation {id}"),
            kind,
            contact: ContactDetails::default(),
        },
    )
    .await
    .unwrap();
}

async fn person(s: &Store, email: &str, org: &OrgId, role: Role) -> Actor {
    let id = s
        .create_user(
            "cli",
            &consort_store::NewUser {
                email: Email::parse(email).unwrap(),
                password_hash: PasswordHashing::new(HashCost::TestOnly)
                    .hash("a long enough password")
                    .unwrap(),
                must_change_password: false,
                membership: Membership {
                    org: org.clone(),
                    role,
                },
            },
        )
        .await
        .unwrap();
    s.actor(id).await.unwrap().unwrap()
}

/// A supplier's person, as the store sees them (no account needed to bid here).
fn supplier_person(n: usize) -> Actor {
    Actor {
        user_id: 0,
        email: Email::parse(&format!("bids@supplier{n}.example.com")).unwrap(),
        memberships: vec![Membership {
            org: supplier_id(n),
            role: Role::Supplier,
        }],
    }
}

fn rules() -> CompetitionRules {
    CompetitionRules {
        criteria: AwardCriteria {
            questions: vec![QualityQuestion {
                id: "Q1".into(),
                text: "How will you migrate our tenancy records?".into(),
                weight: 60,
                scale: ScoringScale::zero_to_five(),
                word_limit: None,
            }],
            price: Some(PriceCriterion {
                weight: 40,
                formula: PriceFormula::LowestPriceRatio,
            }),
        },
        ..CompetitionRules::open_procedure(Regime::Pa2023)
    }
}

fn content(deadline: &str) -> DraftContent {
    DraftContent {
        description: "A housing management system for the borough.".into(),
        price_schedule: vec![
            PriceLine {
                id: "L1".into(),
                description: "Hosting and support".into(),
                quantity: 12,
                unit: "month".into(),
                lot: None,
            },
            PriceLine {
                id: "L2".into(),
                description: "Implementation".into(),
                quantity: 1,
                unit: "project".into(),
                lot: None,
            },
        ],
        tender_deadline: Some(t(deadline)),
        ..DraftContent::new("Housing management system", camden())
    }
}

/// Camden with a buyer, two openers with keys, a recovery key, and `suppliers`
/// supplier organisations; one published competition.
struct World {
    id: i64,
    reference: String,
    buyer: Actor,
    opener1: Actor,
    opener2: Actor,
}

async fn world(db: &TestDb, suppliers: usize) -> World {
    let s = &db.store;
    add_org(s, &camden(), OrgKind::Authority).await;
    for n in 0..suppliers {
        add_org(s, &supplier_id(n), OrgKind::Supplier).await;
    }
    let buyer = person(s, "buyer@camden.gov.uk", &camden(), Role::Buyer).await;
    let opener1 = person(s, "opener1@camden.gov.uk", &camden(), Role::Opener).await;
    let opener2 = person(s, "opener2@camden.gov.uk", &camden(), Role::Opener).await;
    s.set_opener_key(&opener1, PASSPHRASE_1, KeyWork::TestOnly)
        .await
        .unwrap();
    s.set_opener_key(&opener2, PASSPHRASE_2, KeyWork::TestOnly)
        .await
        .unwrap();
    s.create_recovery_key(&buyer, &camden()).await.unwrap();
    let (id, reference) = publish(s, &buyer, DEADLINE).await;
    World {
        id,
        reference,
        buyer,
        opener1,
        opener2,
    }
}

async fn publish(s: &Store, buyer: &Actor, deadline: &str) -> (i64, String) {
    let record = s
        .create_competition(buyer, &camden(), None, rules(), content(deadline))
        .await
        .unwrap();
    let record = s
        .competition_command(
            record.id,
            buyer,
            None,
            Command::Publish {
                by: buyer.email.clone(),
            },
        )
        .await
        .unwrap();
    assert!(record.seal_ready, "publication sets up the seal");
    (record.id, record.reference)
}

fn attachment(file_name: &str, bytes: &[u8]) -> BidUpload {
    BidUpload {
        file_name: file_name.into(),
        declared_type: Some("text/plain".into()),
        bytes: bytes.to_vec(),
    }
}

fn submission(answer: &str, l1: &str, files: Vec<BidUpload>) -> BidSubmission {
    BidSubmission {
        lot: None,
        answers: BTreeMap::from([("Q1".to_string(), answer.to_string())]),
        prices: BTreeMap::from([
            ("L1".to_string(), l1.to_string()),
            ("L2".to_string(), "25000.00".to_string()),
        ]),
        attachments: files,
    }
}

/// The content the store makes of a valid submission: its attachments
/// described by their checked type and hash.
fn content_of(submission: &BidSubmission) -> BidContent {
    BidContent {
        lot: submission.lot.clone(),
        answers: submission.answers.clone(),
        prices: submission.prices.clone(),
        attachments: submission
            .attachments
            .iter()
            .map(|a| {
                describe_upload(
                    &UploadPolicy::default(),
                    &a.file_name,
                    a.declared_type.as_deref(),
                    &a.bytes,
                )
                .expect("a valid attachment")
                .attachment_meta()
            })
            .collect(),
    }
}

fn simple_bid(n: usize) -> BidSubmission {
    submission(
        &format!("Supplier {n} migrates the records in three phases."),
        &format!("{}.00", 1000 + n),
        vec![attachment(
            "method.txt",
            format!("Method statement of supplier {n}").as_bytes(),
        )],
    )
}

async fn audit_count(db: &TestDb) -> u64 {
    db.store.audit_verify().await.unwrap().expect("chain holds")
}

fn pass_deadline(clock: &consort_store::Clock) {
    clock.advance(SignedDuration::from_hours(24 * 60));
}

fn refused(e: StoreError) -> String {
    assert!(
        matches!(
            e,
            StoreError::Refused(_) | StoreError::Domain(_) | StoreError::InvalidBid(_)
        ),
        "expected a refusal, got {e:?}"
    );
    e.to_string()
}

on_both!(
    receipt_has_time_of_receipt_and_canonical_hash,
    |db, clock| {
        let w = world(db, 1).await;
        let s = &db.store;
        let supplier = supplier_id(0);
        let before = audit_count(db).await;
        let bid = simple_bid(0);
        let receipt = s
            .submit_bid(w.id, &supplier, &supplier_person(0), "key-1", bid.clone())
            .await
            .map(|b| b.receipt)
            .unwrap();
        assert_eq!(receipt.received_at, clock.now());
        assert_eq!(receipt.version, 1);
        let canonical = canonical_bid_bytes(&w.reference, &supplier, &content_of(&bid));
        assert_eq!(receipt.sha256_hex, hex::encode(Sha256::digest(&canonical)));
        assert!(receipt.matches(&canonical));
        assert_eq!(
            s.receipts(w.id, &supplier).await.unwrap(),
            vec![receipt.clone()]
        );
        assert_eq!(s.bids_received(w.id).await.unwrap(), 1);
        assert!(s.receipts(w.id, &supplier_id(5)).await.unwrap().is_empty());

        assert_eq!(audit_count(db).await, before + 1);
        let entry = &s.audit_page(1, 1).await.unwrap().entries[0];
        assert_eq!(entry.kind, "competition.bid_submitted");
        let payload: serde_json::Value = serde_json::from_str(&entry.payload).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({
                "competition": w.reference,
                "supplier": supplier.as_str(),
                "version": 1,
                "size_bytes": payload["size_bytes"],
                "sha256": receipt.sha256_hex,
            })
        );
        assert!(payload["size_bytes"].as_i64().unwrap() > 0);
        assert!(!entry.payload.contains("three phases") && !entry.payload.contains("method.txt"));
    }
);

on_both!(
    the_same_idempotency_key_returns_the_original_receipt,
    |db, clock| {
        let w = world(db, 1).await;
        let s = &db.store;
        let supplier = supplier_id(0);
        let first = s
            .submit_bid(
                w.id,
                &supplier,
                &supplier_person(0),
                "retry-me",
                simple_bid(0),
            )
            .await
            .map(|b| b.receipt)
            .unwrap();
        let audited = audit_count(db).await;
        clock.advance(SignedDuration::from_mins(5));
        let again = s
            .submit_bid(
                w.id,
                &supplier,
                &supplier_person(0),
                "retry-me",
                simple_bid(0),
            )
            .await
            .map(|b| b.receipt)
            .unwrap();
        assert_eq!(again, first, "the original receipt, with the original time");
        assert_eq!(s.receipts(w.id, &supplier).await.unwrap().len(), 1);
        assert_eq!(audit_count(db).await, audited, "nothing new was written");

        let different = s
            .submit_bid(
                w.id,
                &supplier,
                &supplier_person(0),
                "retry-me",
                simple_bid(1),
            )
            .await
            .map(|b| b.receipt)
            .unwrap_err();
        assert!(
            matches!(different, StoreError::Conflict(_)),
            "{different:?}"
        );
        assert!(
            different
                .to_string()
                .contains("that idempotency key was already used for a different bid")
        );
        assert_eq!(s.receipts(w.id, &supplier).await.unwrap().len(), 1);

        pass_deadline(&clock);
        let late_retry = s
            .submit_bid(
                w.id,
                &supplier,
                &supplier_person(0),
                "retry-me",
                simple_bid(0),
            )
            .await
            .map(|b| b.receipt)
            .unwrap();
        assert_eq!(
            late_retry, first,
            "a retry of an accepted bid still gets its receipt"
        );
    }
);

on_both!(
    a_resubmission_supersedes_the_earlier_version,
    |db, clock| {
        let w = world(db, 1).await;
        let s = &db.store;
        let supplier = supplier_id(0);
        let first = s
            .submit_bid(w.id, &supplier, &supplier_person(0), "v1", simple_bid(0))
            .await
            .map(|b| b.receipt)
            .unwrap();
        clock.advance(SignedDuration::from_hours(1));
        let second_bid = submission("The improved answer.", "999.99", vec![]);
        let second = s
            .submit_bid(
                w.id,
                &supplier,
                &supplier_person(0),
                "v2",
                second_bid.clone(),
            )
            .await
            .map(|b| b.receipt)
            .unwrap();
        assert_eq!(second.version, 2);
        assert_eq!(second.bid_id, first.bid_id, "the same bid, a new version");
        assert_eq!(second.received_at, clock.now());
        assert_ne!(second.sha256_hex, first.sha256_hex);
        assert_eq!(
            s.receipts(w.id, &supplier).await.unwrap(),
            vec![first, second.clone()]
        );
        assert_eq!(s.bids_received(w.id).await.unwrap(), 1);

        pass_deadline(&clock);
        s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
            .await
            .unwrap();
        s.approve_opening(w.id, &w.opener2, PASSPHRASE_2)
            .await
            .unwrap();
        let opened = s.opened_bids(w.id).await.unwrap();
        assert_eq!(opened.len(), 1, "only the current version is opened");
        assert_eq!(opened[0].version, 2);
        assert_eq!(opened[0].sha256_hex, second.sha256_hex);
        assert_eq!(opened[0].content.answers, second_bid.answers);
        assert_eq!(opened[0].content.total_price_pence, 12 * 99_999 + 2_500_000);
        let record = s.competition(w.id).await.unwrap();
        assert_eq!(record.competition.bids().len(), 1);
        assert_eq!(record.competition.bids()[0].bid_id, second.bid_id);
    }
);

on_both!(
    a_bid_after_the_deadline_is_refused_and_leaves_nothing,
    |db, clock| {
        let w = world(db, 1).await;
        let s = &db.store;
        let supplier = supplier_id(0);
        let before = audit_count(db).await;
        pass_deadline(&clock);
        let e = refused(
            s.submit_bid(w.id, &supplier, &supplier_person(0), "late", simple_bid(0))
                .await
                .map(|b| b.receipt)
                .unwrap_err(),
        );
        assert!(e.contains("deadline"), "{e}");
        assert!(s.receipts(w.id, &supplier).await.unwrap().is_empty());
        assert_eq!(s.bids_received(w.id).await.unwrap(), 0);
        assert_eq!(audit_count(db).await, before);
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bids")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(rows, 0);
    }
);

on_both!(invalid_bids_are_refused_naming_the_field, |db, _clock| {
    let w = world(db, 1).await;
    let s = &db.store;
    let supplier = supplier_id(0);
    let before = audit_count(db).await;
    let submit = |key: &'static str, bid: BidSubmission| {
        let supplier = supplier.clone();
        async move {
            s.submit_bid(w.id, &supplier, &supplier_person(0), key, bid)
                .await
                .map(|b| b.receipt)
                .unwrap_err()
        }
    };

    let e = refused(submit("price", submission("An answer.", "12.345", vec![])).await);
    assert!(
        e.contains("line 'L1'") && e.contains("fractions of a penny"),
        "{e}"
    );
    let e = refused(submit("nan", submission("An answer.", "lots", vec![])).await);
    assert!(
        e.contains("line 'L1'") && e.contains("is not a number"),
        "{e}"
    );
    let e = refused(submit("blank", submission("  ", "10.00", vec![])).await);
    assert!(e.contains("answers.Q1"), "{e}");

    let big = vec![b'a'; 25 * 1024 * 1024 + 1];
    let e = refused(
        submit(
            "big",
            submission("An answer.", "10.00", vec![attachment("huge.txt", &big)]),
        )
        .await,
    );
    assert!(
        e.contains("attachments[1]") && e.contains("the limit is 25"),
        "{e}"
    );
    let e = refused(
        submit(
            "exe",
            submission("An answer.", "10.00", vec![attachment("setup.exe", b"MZ")]),
        )
        .await,
    );
    assert!(
        e.contains("attachments[1]") && e.contains("'.exe' files are not accepted"),
        "{e}"
    );
    let e = refused(submit("  ", simple_bid(0)).await);
    assert!(e.contains("idempotency_key"), "{e}");

    assert!(s.receipts(w.id, &supplier).await.unwrap().is_empty());
    assert_eq!(audit_count(db).await, before, "refusals write nothing");
});

on_both!(
    two_hundred_concurrent_submissions_are_all_kept,
    |db, _clock| {
        const SUPPLIERS: usize = 200;
        let w = world(db, SUPPLIERS).await;
        let s = &db.store;
        let before = audit_count(db).await;
        let mut tasks = Vec::new();
        for n in 0..SUPPLIERS {
            let store = s.clone();
            let id = w.id;
            tasks.push(tokio::spawn(async move {
                let receipt = store
                    .submit_bid(
                        id,
                        &supplier_id(n),
                        &supplier_person(n),
                        "only",
                        simple_bid(n),
                    )
                    .await
                    .map(|b| b.receipt);
                (n, receipt)
            }));
        }
        // One supplier sends two different bids under one key at the same moment:
        // exactly one is kept, whichever batch they land in, and nobody else suffers.
        let clash: Vec<_> = (0..2)
            .map(|variant| {
                let store = s.clone();
                let id = w.id;
                tokio::spawn(async move {
                    store
                        .submit_bid(
                            id,
                            &supplier_id(0),
                            &supplier_person(0),
                            "clash",
                            simple_bid(1000 + variant),
                        )
                        .await
                        .map(|b| b.receipt)
                })
            })
            .collect();
        let mut receipts: Vec<(usize, Receipt)> = Vec::new();
        for task in tasks {
            let (n, receipt) = task.await.unwrap();
            receipts.push((n, receipt.unwrap_or_else(|e| panic!("supplier {n}: {e}"))));
        }
        let mut clash_results = Vec::new();
        for task in clash {
            clash_results.push(task.await.unwrap());
        }
        let kept = clash_results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(kept, 1, "{clash_results:?}");
        assert!(
            clash_results
                .iter()
                .any(|r| matches!(r, Err(StoreError::Conflict(_))))
        );

        assert_eq!(s.bids_received(w.id).await.unwrap(), SUPPLIERS as i64);
        for (n, receipt) in &receipts {
            let stored = s.receipts(w.id, &supplier_id(*n)).await.unwrap();
            assert!(stored.contains(receipt), "supplier {n}'s bid is present");
        }
        let ids: std::collections::BTreeSet<_> = receipts.iter().map(|(_, r)| &r.bid_id).collect();
        assert_eq!(ids.len(), SUPPLIERS, "every bid has its own id");
        assert_eq!(
            audit_count(db).await,
            before + SUPPLIERS as u64 + 1,
            "one audit entry per bid kept, and the chain holds"
        );
    }
);

on_both!(one_opener_alone_cannot_open, |db, clock| {
    let w = world(db, 1).await;
    let s = &db.store;
    s.submit_bid(
        w.id,
        &supplier_id(0),
        &supplier_person(0),
        "k",
        simple_bid(0),
    )
    .await
    .map(|b| b.receipt)
    .unwrap();
    pass_deadline(&clock);
    let progress = s
        .approve_opening(w.id, &w.opener1, PASSPHRASE_1)
        .await
        .unwrap();
    assert_eq!(progress.approvals, vec![w.opener1.email.clone()]);
    assert!(!progress.opened);
    let e = refused(s.opened_bids(w.id).await.unwrap_err());
    assert!(e.contains("sealed until two openers"), "{e}");
    let e = refused(
        s.opened_attachment(w.id, "BID-000001", 0)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("sealed"), "{e}");
    let e = refused(
        s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("already approved"), "{e}");
    let e = refused(
        s.approve_opening(w.id, &w.buyer, PASSPHRASE_1)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("opener role"), "{e}");
    assert!(!s.competition(w.id).await.unwrap().opened);
});

on_both!(opening_before_the_deadline_is_refused, |db, _clock| {
    let w = world(db, 1).await;
    let s = &db.store;
    let before = audit_count(db).await;
    let e = refused(
        s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("before the tender deadline"), "{e}");
    assert_eq!(audit_count(db).await, before);
    let (approvals,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM opening_approvals")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(approvals, 0, "nothing of the refused approval was kept");
});

on_both!(a_wrong_passphrase_is_refused_and_audited, |db, clock| {
    let w = world(db, 1).await;
    let s = &db.store;
    pass_deadline(&clock);
    let e = refused(
        s.approve_opening(w.id, &w.opener1, "not my passphrase at all")
            .await
            .unwrap_err(),
    );
    assert!(
        e.contains("that passphrase does not unlock your opening key"),
        "{e}"
    );
    let entry = &s.audit_page(1, 1).await.unwrap().entries[0];
    assert_eq!(entry.kind, "competition.opening_attempt_failed");
    assert!(entry.payload.contains(&w.reference));
    assert!(!entry.payload.contains("not my passphrase"));
    // The opener's own passphrase unlocks only their own key.
    let e = refused(
        s.approve_opening(w.id, &w.opener2, PASSPHRASE_1)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("does not unlock"), "{e}");
});

on_both!(two_openers_open_and_every_bid_decrypts, |db, clock| {
    const SUPPLIERS: usize = 12;
    let w = world(db, SUPPLIERS).await;
    let s = &db.store;
    let mut sent = BTreeMap::new();
    for n in 0..SUPPLIERS {
        let bid = simple_bid(n);
        let receipt = s
            .submit_bid(w.id, &supplier_id(n), &supplier_person(n), "k", bid.clone())
            .await
            .map(|b| b.receipt)
            .unwrap();
        sent.insert(receipt.bid_id.clone(), (n, receipt, bid));
    }
    pass_deadline(&clock);
    let first = s
        .approve_opening(w.id, &w.opener1, PASSPHRASE_1)
        .await
        .unwrap();
    assert!(!first.opened);
    let audited = audit_count(db).await;
    let second = s
        .approve_opening(w.id, &w.opener2, PASSPHRASE_2)
        .await
        .unwrap();
    assert!(second.opened);
    assert_eq!(
        second.approvals,
        vec![w.opener1.email.clone(), w.opener2.email.clone()]
    );
    assert!(audit_count(db).await > audited);
    let page = s.audit_page(1, 20).await.unwrap();
    assert!(
        page.entries.iter().any(|e| e.seq as u64 > audited
            && e.payload.contains(w.opener1.email.as_str())
            && e.payload.contains(w.opener2.email.as_str())),
        "one audit entry names both openers"
    );
    let (kept,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM opening_approvals WHERE released_share IS NOT NULL")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(
        kept, 0,
        "released shares are cleared once the key is rebuilt"
    );

    let record = s.competition(w.id).await.unwrap();
    assert!(record.opened);
    assert_eq!(record.competition.bids().len(), SUPPLIERS);
    let opened = s.opened_bids(w.id).await.unwrap();
    assert_eq!(opened.len(), SUPPLIERS);
    for bid in &opened {
        let (n, receipt, submission) = &sent[&bid.bid_id];
        assert_eq!(bid.supplier, supplier_id(*n));
        assert_eq!(bid.sha256_hex, receipt.sha256_hex);
        assert_eq!(bid.received_at, receipt.received_at);
        assert_eq!(bid.content.answers, submission.answers);
        assert_eq!(bid.attachments, content_of(submission).attachments);
        let expected_total = 12 * (100_000 + 100 * *n as i64) + 2_500_000;
        assert_eq!(bid.content.total_price_pence, expected_total);
        let summary = record
            .competition
            .bids()
            .iter()
            .find(|b| b.bid_id == bid.bid_id)
            .unwrap();
        assert_eq!(summary.total_price_pence, expected_total);
        let (meta, bytes) = s.opened_attachment(w.id, &bid.bid_id, 0).await.unwrap();
        assert_eq!(meta, content_of(submission).attachments[0]);
        assert_eq!(bytes, submission.attachments[0].bytes);
        let e = s.opened_attachment(w.id, &bid.bid_id, 1).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
        assert_eq!(&s.opened_bid(w.id, &bid.bid_id).await.unwrap(), bid);
    }
    for unknown in ["BID-999999", "BID-x", "CMP-00001"] {
        let e = s.opened_bid(w.id, unknown).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(_)), "{unknown}: {e:?}");
    }
    let e = refused(
        s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("already been opened"), "{e}");
});

on_both!(drafts_are_kept_encrypted_and_read_back, |db, clock| {
    let w = world(db, 2).await;
    let s = &db.store;
    let supplier = supplier_id(0);
    assert_eq!(s.bid_draft(w.id, &supplier).await.unwrap(), None);
    let mut draft = content_of(&simple_bid(0));
    draft.prices.remove("L2");
    s.save_bid_draft(w.id, &supplier, &supplier_person(0), &draft)
        .await
        .unwrap();
    assert_eq!(
        s.bid_draft(w.id, &supplier).await.unwrap(),
        Some(draft.clone())
    );
    assert_eq!(s.bid_draft(w.id, &supplier_id(1)).await.unwrap(), None);
    draft.prices.insert("L2".into(), "1.00".into());
    s.save_bid_draft(w.id, &supplier, &supplier_person(0), &draft)
        .await
        .unwrap();
    assert_eq!(
        s.bid_draft(w.id, &supplier).await.unwrap(),
        Some(draft.clone())
    );
    let entry = &s.audit_page(1, 1).await.unwrap().entries[0];
    assert_eq!(entry.kind, "competition.bid_draft_saved");
    assert!(!entry.payload.contains("three phases"));

    let key_file = s.data_dir().join("keys/draft.key");
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    assert!(key_text.starts_with("AGE-SECRET-KEY-1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the draft key is readable by its owner only"
        );
    }
    let (sealed,): (Vec<u8>,) = sqlx::query_as("SELECT sealed FROM bid_drafts")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert!(!contains(&sealed, b"three phases"));

    pass_deadline(&clock);
    let e = refused(
        s.save_bid_draft(w.id, &supplier, &supplier_person(0), &draft)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("deadline"), "{e}");
});

on_both!(opener_and_recovery_keys, |db, clock| {
    let w = world(db, 1).await;
    let s = &db.store;
    assert!(s.has_opener_key(w.opener1.user_id).await.unwrap());
    assert!(!s.has_opener_key(w.buyer.user_id).await.unwrap());
    assert!(s.has_recovery_key(&camden()).await.unwrap());
    assert!(!s.has_recovery_key(&supplier_id(0)).await.unwrap());

    let e = refused(
        s.set_opener_key(&w.buyer, "too short", KeyWork::TestOnly)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("passphrase") && e.contains("12"), "{e}");
    let e = refused(
        s.set_opener_key(&w.opener1, "a brand new passphrase", KeyWork::TestOnly)
            .await
            .unwrap_err(),
    );
    assert!(
        e.contains(&w.reference) && e.contains("not yet opened"),
        "{e}"
    );
    let e = refused(
        s.create_recovery_key(&w.buyer, &camden())
            .await
            .unwrap_err(),
    );
    assert!(e.contains(&w.reference), "{e}");

    let secret = s
        .create_recovery_key(&w.buyer, &supplier_id(0))
        .await
        .unwrap();
    assert!(secret.expose_secret().starts_with("AGE-SECRET-KEY-1"));
    let page = s.audit_page(1, 50).await.unwrap();
    assert!(
        page.entries
            .iter()
            .any(|e| e.kind == "recovery_key.created")
    );
    assert!(page.entries.iter().any(|e| e.kind == "opener_key.set"));
    for entry in &page.entries {
        assert!(!entry.payload.contains(secret.expose_secret()));
        assert!(!entry.payload.contains(PASSPHRASE_1));
    }

    // Once the bids are opened the opener may replace their key.
    pass_deadline(&clock);
    s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
        .await
        .unwrap();
    s.approve_opening(w.id, &w.opener2, PASSPHRASE_2)
        .await
        .unwrap();
    s.set_opener_key(&w.opener1, "a brand new passphrase", KeyWork::TestOnly)
        .await
        .unwrap();
});

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

on_both!(nothing_of_a_bid_is_readable_before_opening, |db, clock| {
    let w = world(db, 2).await;
    let s = &db.store;
    let secret_bid = submission(
        &format!("Our approach ({MARKER}) is unique."),
        "1234.56",
        vec![attachment(
            &format!("{MARKER}.txt"),
            format!("The attachment says {MARKER}.").as_bytes(),
        )],
    );
    let receipt = s
        .submit_bid(
            w.id,
            &supplier_id(0),
            &supplier_person(0),
            "k",
            secret_bid.clone(),
        )
        .await
        .map(|b| b.receipt)
        .unwrap();
    let mut draft = content_of(&secret_bid);
    draft
        .answers
        .insert("Q1".into(), format!("Draft: {MARKER}"));
    s.save_bid_draft(w.id, &supplier_id(1), &supplier_person(1), &draft)
        .await
        .unwrap();
    pass_deadline(&clock);
    s.approve_opening(w.id, &w.opener1, PASSPHRASE_1)
        .await
        .unwrap();

    let marker = MARKER.as_bytes();
    let files = files_under(s.data_dir());
    if s.backend() == consort_store::Backend::Sqlite {
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"consort.db".to_string()), "{names:?}");
        let mut seen_receipt = false;
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !contains(&bytes, marker),
                "{} holds the bid in clear",
                file.display()
            );
            seen_receipt |= contains(&bytes, receipt.sha256_hex.as_bytes());
        }
        assert!(
            seen_receipt,
            "the files read are the ones the bid was written to"
        );
    } else {
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !contains(&bytes, marker),
                "{} holds the bid in clear",
                file.display()
            );
        }
    }
    // Every table that could hold it, read as the database returns it.
    for sql in [
        "SELECT payload FROM audit_log",
        "SELECT payload FROM competition_events",
        "SELECT state FROM competitions",
        "SELECT idempotency_key || submitted_by || sha256 FROM bids",
    ] {
        let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(s.pool()).await.unwrap();
        assert!(!rows.is_empty(), "{sql} read something");
        for (text,) in rows {
            assert!(!text.contains(MARKER), "{sql}: {text}");
        }
    }
    for sql in ["SELECT sealed FROM bids", "SELECT sealed FROM bid_drafts"] {
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as(sql).fetch_all(s.pool()).await.unwrap();
        assert_eq!(rows.len(), 1, "{sql}");
        assert!(!contains(&rows[0].0, marker), "{sql}");
    }

    // After opening, it is all there.
    s.approve_opening(w.id, &w.opener2, PASSPHRASE_2)
        .await
        .unwrap();
    let opened = s.opened_bids(w.id).await.unwrap();
    assert!(opened[0].content.answers["Q1"].contains(MARKER));
    let (meta, bytes) = s.opened_attachment(w.id, &receipt.bid_id, 0).await.unwrap();
    assert!(meta.file_name.contains(MARKER));
    assert!(contains(&bytes, marker));
    assert_eq!(
        s.bid_draft(w.id, &supplier_id(1)).await.unwrap(),
        Some(draft)
    );
});

on_both!(
    a_retry_is_reported_as_a_replay_and_a_late_bid_as_the_domains_refusal,
    |db, clock| {
        let w = world(db, 1).await;
        let s = &db.store;
        let supplier = supplier_id(0);
        let person = supplier_person(0);
        let submit = || s.submit_bid(w.id, &supplier, &person, "once", simple_bid(0));
        let first = submit().await.unwrap();
        assert!(!first.replayed);
        let again = submit().await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.receipt, first.receipt);

        let e = s
            .submit_bid(w.id, &supplier, &supplier_person(0), "bad", {
                let mut bid = simple_bid(0);
                bid.prices.insert("L1".into(), "lots".into());
                bid.attachments.push(attachment("setup.exe", b"MZ"));
                bid
            })
            .await
            .unwrap_err();
        let StoreError::InvalidBid(problems) = e else {
            panic!("expected the bid's problems, got {e:?}");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field()).collect();
        assert_eq!(fields, ["attachments[2]", "prices"], "{problems:?}");

        pass_deadline(&clock);
        let e = s
            .submit_bid(w.id, &supplier, &supplier_person(0), "late", simple_bid(1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::Domain(CompetitionError::AfterDeadline { .. })
            ),
            "{e:?}"
        );
        assert!(
            submit().await.unwrap().replayed,
            "a retry after the deadline"
        );
    }
);
