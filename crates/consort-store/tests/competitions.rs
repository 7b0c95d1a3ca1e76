//! The competitions store on SQLite and PostgreSQL: the lifecycle from draft to
//! the contracts register, with its events, audit entries, emails, OCDS releases
//! and scheduler.

mod common;

use consort_core::calendar::Regime;
use consort_core::competition::{
    AwardCriteria, Command, CompetitionRules, DraftContent, LotDecision, PriceCriterion,
    PriceFormula, PriceLine, Standstill, Status,
};
use consort_core::org::{ContactDetails, Membership, OrgKind, Organisation, Role};
use consort_core::policy::Actor;
use consort_core::register::Source;
use consort_core::{Email, OrgId};
use consort_store::{
    BidSubmission, CompetitionRecord, ContractFilter, EmailKind, FsBlobStore, NewUser, Store,
    StoreError,
};
use consort_vault::KeyWork;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

const CAMDEN: &str = "GB-LAE-CMD";
const ACME: &str = "GB-COH-00000001";
const BOLT: &str = "GB-COH-00000002";
const CROWN: &str = "GB-COH-00000003";
const PASSPHRASE: &str = "correct horse battery staple";

fn org_id(id: &str) -> OrgId {
    OrgId::parse(id).unwrap()
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

/// The people of one test: a buyer and two openers at Camden, and suppliers'
/// people at Acme (two), Bolt and Crown.
struct People {
    buyer: Actor,
    opener1: Actor,
    opener2: Actor,
    acme: Actor,
    crown: Actor,
}

async fn person(store: &Store, address: &str, org: &str, role: Role) -> Actor {
    let id = store
        .create_user(
            "test",
            &NewUser {
                email: email(address),
                password_hash: "not used in these tests".into(),
                must_change_password: false,
                membership: Membership {
                    org: org_id(org),
                    role,
                },
            },
        )
        .await
        .unwrap();
    store.actor(id).await.unwrap().unwrap()
}

async fn setting_up(store: &Store) -> People {
    for (id, name, kind) in [
        (CAMDEN, "London Borough of Camden", OrgKind::Authority),
        (ACME, "Acme Housing Systems Ltd", OrgKind::Supplier),
        (BOLT, "Bolt Software Ltd", OrgKind::Supplier),
        (CROWN, "Crown Digital Ltd", OrgKind::Supplier),
    ] {
        store
            .create_org(
                "test",
                &Organisation {
                    id: org_id(id),
                    name: name.into(),
                    kind,
                    contact: ContactDetails::default(),
                },
            )
            .await
            .unwrap();
    }
    let people = People {
        buyer: person(store, "buyer@camden.gov.uk", CAMDEN, Role::Buyer).await,
        opener1: person(store, "opener1@camden.gov.uk", CAMDEN, Role::Opener).await,
        opener2: person(store, "opener2@camden.gov.uk", CAMDEN, Role::Opener).await,
        acme: person(store, "bids@acme.example.com", ACME, Role::Supplier).await,
        crown: person(store, "tenders@crown.example.com", CROWN, Role::Supplier).await,
    };
    person(store, "sales@acme.example.com", ACME, Role::Supplier).await;
    person(store, "bids@bolt.example.com", BOLT, Role::Supplier).await;
    people
}

/// Gives both openers opening keys and Camden its recovery key.
async fn sealing_keys(store: &Store, people: &People) {
    for opener in [&people.opener1, &people.opener2] {
        store
            .set_opener_key(opener, PASSPHRASE, KeyWork::TestOnly)
            .await
            .unwrap();
    }
    store
        .create_recovery_key(&people.buyer, &org_id(CAMDEN))
        .await
        .unwrap();
}

/// A further competition among Acme and Bolt, price only, with a voluntary
/// standstill.
fn call_off_rules() -> CompetitionRules {
    let mut rules = CompetitionRules::framework_further_competition(
        Regime::Pa2023,
        vec![org_id(ACME), org_id(BOLT)],
    );
    rules.standstill = Standstill::Voluntary;
    rules.criteria = AwardCriteria {
        questions: Vec::new(),
        price: Some(PriceCriterion {
            weight: 100,
            formula: PriceFormula::LowestPriceRatio,
        }),
    };
    rules
}

fn complete_content(title: &str, deadline: Timestamp) -> DraftContent {
    let mut content = DraftContent::new(title, org_id(CAMDEN));
    content.description = "A hosted housing management system for 30,000 homes.".into();
    content.price_schedule = vec![PriceLine {
        id: "L1".into(),
        description: "Licences and hosting for four years".into(),
        quantity: 1,
        unit: "contract".into(),
        lot: None,
    }];
    content.tender_deadline = Some(deadline);
    content.contract_start = Some("2027-04-01".parse().unwrap());
    content.contract_end = Some("2031-03-31".parse().unwrap());
    content
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

async fn outbox_count(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM email_outbox")
        .fetch_one(store.pool())
        .await
        .unwrap();
    n
}

async fn emails_of_kind(store: &Store, to: &Actor, kind: EmailKind) -> Vec<String> {
    store
        .emails_to(&to.email)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.subject)
        .collect()
}

async fn event_kinds(store: &Store, id: i64) -> Vec<String> {
    store
        .competition_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn audit_kinds(store: &Store) -> Vec<String> {
    let page = store.audit_page(1, 500).await.unwrap();
    page.entries.into_iter().rev().map(|e| e.kind).collect()
}

fn refusal(result: consort_store::Result<CompetitionRecord>) -> String {
    match result {
        Err(StoreError::Refused(message)) => message,
        Err(StoreError::Domain(e)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn bid(store: &Store, record: &CompetitionRecord, supplier: &str, who: &Actor, price: &str) {
    store
        .submit_bid(
            record.id,
            &org_id(supplier),
            who,
            &format!("{supplier}-1"),
            BidSubmission {
                prices: BTreeMap::from([("L1".to_string(), price.to_string())]),
                ..BidSubmission::default()
            },
        )
        .await
        .unwrap();
}

on_both!(
    a_competition_runs_from_draft_to_the_contracts_register,
    |db, clock| {
        let s = &db.store;
        let people = setting_up(s).await;
        let blobs = FsBlobStore::new(s.data_dir().join("blobs"));
        let start = clock.now();
        let deadline = start + days(20);

        // A draft, then a document, then the rest of the content.
        let mut draft = DraftContent::new("Housing management system", org_id(CAMDEN));
        draft.description = "To be written".into();
        let record = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                call_off_rules(),
                draft,
            )
            .await
            .unwrap();
        assert_eq!(record.reference, format!("CMP-{:05}", record.id));
        assert_eq!(record.competition.id, record.reference);
        assert_eq!(record.version, 1);
        assert_eq!(record.competition.status, Status::Draft);
        assert!(!record.seal_ready && !record.opened);
        let id = record.id;

        let empty = s
            .add_competition_document(id, &people.buyer, &blobs, "empty.txt", None, b"")
            .await;
        match empty {
            Err(StoreError::Refused(m)) => {
                assert!(m.starts_with("empty.txt: the file is empty"), "{m}")
            }
            other => panic!("an empty file was not refused: {other:?}"),
        }
        let spec = s
            .add_competition_document(
                id,
                &people.buyer,
                &blobs,
                "specification.txt",
                Some("text/plain"),
                b"The system must...",
            )
            .await
            .unwrap();
        let record = s.competition(id).await.unwrap();
        assert_eq!(
            record.version, 2,
            "the draft was revised to include the document"
        );
        assert_eq!(
            record.competition.content.documents,
            vec![spec.reference.clone()]
        );
        let (stored, bytes) = s
            .competition_document(id, &spec.reference.sha256_hex, &blobs)
            .await
            .unwrap();
        assert_eq!(
            (stored, bytes.as_slice()),
            (spec.clone(), &b"The system must..."[..])
        );

        let mut content = complete_content("Housing management system", deadline);
        content.documents = record.competition.content.documents.clone();
        let revise = Command::ReviseDraft {
            by: people.buyer.email.clone(),
            content: content.clone(),
        };
        let record = s
            .competition_command(id, &people.buyer, Some(2), revise.clone())
            .await
            .unwrap();
        assert_eq!(record.version, 3);

        // Someone else's stale form is refused and changes nothing.
        match s
            .competition_command(id, &people.buyer, Some(2), revise)
            .await
        {
            Err(StoreError::Conflict(m)) => assert!(m.contains("changed by someone else"), "{m}"),
            other => panic!("a stale version was not refused: {other:?}"),
        }
        assert_eq!(s.competition(id).await.unwrap().version, 3);

        // Publishing needs two openers with keys and a recovery key.
        let publish = Command::Publish {
            by: people.buyer.email.clone(),
        };
        let events_before = event_kinds(s, id).await.len();
        let message = refusal(
            s.competition_command(id, &people.buyer, None, publish.clone())
                .await,
        );
        assert!(
        message.contains("needs at least two openers with opening keys at London Borough of Camden (GB-LAE-CMD)")
            && message.contains("none of its openers has set one up"),
        "{message}"
    );
        s.set_opener_key(&people.opener1, PASSPHRASE, KeyWork::TestOnly)
            .await
            .unwrap();
        let message = refusal(
            s.competition_command(id, &people.buyer, None, publish.clone())
                .await,
        );
        assert!(
            message.contains("only opener1@camden.gov.uk has set one up")
                && message.contains("still to set one up: opener2@camden.gov.uk"),
            "{message}"
        );
        s.set_opener_key(&people.opener2, PASSPHRASE, KeyWork::TestOnly)
            .await
            .unwrap();
        let message = refusal(
            s.competition_command(id, &people.buyer, None, publish.clone())
                .await,
        );
        assert!(message.contains("needs a recovery key"), "{message}");
        assert_eq!(event_kinds(s, id).await.len(), events_before);
        assert_eq!(outbox_count(s).await, 0);
        assert!(!s.competition(id).await.unwrap().seal_ready);

        s.create_recovery_key(&people.buyer, &org_id(CAMDEN))
            .await
            .unwrap();
        let record = s
            .competition_command(id, &people.buyer, Some(3), publish)
            .await
            .unwrap();
        assert_eq!(record.competition.status, Status::Published);
        assert!(record.seal_ready);
        let (shares,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM seal_shares WHERE competition_id = $1")
                .bind(id)
                .fetch_one(s.pool())
                .await
                .unwrap();
        assert_eq!(shares, 3, "one share per opener and the recovery share");
        // The invitation reaches every person of both invited suppliers, and nobody else.
        assert_eq!(outbox_count(s).await, 3);
        let invitations = emails_of_kind(s, &people.acme, EmailKind::Invitation).await;
        assert_eq!(
            invitations,
            vec![format!(
                "{}: Invitation to tender: Housing management system",
                record.reference
            )]
        );
        assert!(s.emails_to(&people.crown.email).await.unwrap().is_empty());
        let invitation = &s.emails_to(&people.acme.email).await.unwrap()[0];
        assert!(invitation.body_text.contains("You are invited to bid"));
        assert!(
            invitation
                .body_text
                .contains(&format!("Consort, competition {}", record.reference))
        );
        assert!(
            invitation
                .dedupe_key
                .starts_with(&format!("competition:{id}:"))
        );
        assert!(invitation.dedupe_key.ends_with(":bids@acme.example.com"));

        // Suppliers see it; a question sends nothing, a refused answer nothing either.
        let opportunities = s.opportunities_for(&org_id(ACME)).await.unwrap();
        assert_eq!(
            opportunities.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![id]
        );
        assert!(
            s.opportunities_for(&org_id(CROWN))
                .await
                .unwrap()
                .is_empty(),
            "Crown is not invited"
        );
        let ask = Command::AskQuestion {
            supplier: org_id(ACME),
            asked_by: people.acme.email.clone(),
            question: "Is data migration included?".into(),
        };
        let message = refusal(
            s.competition_command(id, &people.crown, None, ask.clone())
                .await,
        );
        assert!(message.starts_with("asked_by: "), "{message}");
        s.competition_command(id, &people.acme, None, ask)
            .await
            .unwrap();
        assert_eq!(outbox_count(s).await, 3);
        let message = refusal(
            s.competition_command(
                id,
                &people.buyer,
                None,
                Command::AnswerQuestion {
                    by: people.buyer.email.clone(),
                    number: 7,
                    answer: "Yes.".into(),
                },
            )
            .await,
        );
        assert_eq!(message, "number: there is no question 7");
        assert_eq!(outbox_count(s).await, 3, "a refused answer queues nothing");
        let before_answer = event_kinds(s, id).await.len();
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::AnswerQuestion {
                by: people.buyer.email.clone(),
                number: 1,
                answer: "Yes, from the current system.".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(event_kinds(s, id).await.len(), before_answer + 1);
        assert_eq!(
            outbox_count(s).await,
            6,
            "the answer went to the three people of the two invited suppliers"
        );
        assert_eq!(
            emails_of_kind(s, &people.acme, EmailKind::ClarificationAnswer)
                .await
                .len(),
            1
        );

        // An amendment the domain refuses (a deadline brought forward) records
        // none of the documents it brought.
        let documents_before = s.competition_documents(id).await.unwrap();
        let refused = refusal(
            s.amend_competition(
                id,
                &people.buyer,
                None,
                &blobs,
                &[(
                    "withdrawn.csv",
                    None,
                    b"item,quantity\nflats,10\n".as_slice(),
                )],
                "Brings the deadline forward.".into(),
                Some(deadline - days(1)),
                Vec::new(),
            )
            .await,
        );
        assert!(refused.contains("deadline"), "{refused}");
        assert_eq!(s.competition_documents(id).await.unwrap(), documents_before);

        // An amendment adds a document and extends the deadline.
        let annex = s
            .add_competition_document(
                id,
                &people.buyer,
                &blobs,
                "annex.csv",
                None,
                b"item,quantity\nhomes,30000\n",
            )
            .await
            .unwrap();
        assert_eq!(
            s.competition(id)
                .await
                .unwrap()
                .competition
                .content
                .documents
                .len(),
            1,
            "after publication the document waits for an amendment"
        );
        let deadline = deadline + days(1);
        let record = s
            .competition_command(
                id,
                &people.buyer,
                None,
                Command::Amend {
                    by: people.buyer.email.clone(),
                    summary: "Adds the stock list and gives a day more.".into(),
                    new_deadline: Some(deadline),
                    add_documents: vec![annex.reference.clone()],
                    remove_documents: Vec::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(record.competition.deadline(), Some(deadline));
        assert_eq!(
            s.competition_documents(id).await.unwrap(),
            vec![spec, annex]
        );
        assert_eq!(
            emails_of_kind(s, &people.acme, EmailKind::Amendment)
                .await
                .len(),
            1
        );
        assert_eq!(outbox_count(s).await, 9);

        bid(s, &record, ACME, &people.acme, "950000.00").await;
        let bolt = s
            .actor(
                s.user_id(&email("bids@bolt.example.com"))
                    .await
                    .unwrap()
                    .unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        bid(s, &record, BOLT, &bolt, "1000000.00").await;

        // 48 hours before the deadline, one reminder each, once.
        assert_eq!(
            s.next_competition_due().await.unwrap(),
            Some(deadline - SignedDuration::from_hours(48))
        );
        clock.advance((deadline - SignedDuration::from_hours(47)).duration_since(clock.now()));
        assert_eq!(s.advance_due_competitions().await.unwrap(), 0);
        assert_eq!(
            emails_of_kind(s, &people.acme, EmailKind::DeadlineReminder).await,
            vec![format!(
                "{}: Tender deadline approaching: Housing management system",
                record.reference
            )]
        );
        assert_eq!(outbox_count(s).await, 12);
        assert_eq!(s.advance_due_competitions().await.unwrap(), 0);
        assert_eq!(outbox_count(s).await, 12, "the reminder is sent once");
        assert_eq!(s.next_competition_due().await.unwrap(), Some(deadline));

        // The scheduler passes the deadline.
        clock.advance(SignedDuration::from_hours(48));
        assert_eq!(s.advance_due_competitions().await.unwrap(), 1);
        let record = s.competition(id).await.unwrap();
        assert_eq!(record.competition.status, Status::DeadlinePassed);
        let passed = s.competition_events(id).await.unwrap().pop().unwrap();
        assert_eq!(
            (passed.kind.as_str(), passed.actor.as_str()),
            ("deadline_passed", "system")
        );
        assert_eq!(s.advance_due_competitions().await.unwrap(), 0);
        let awaiting = s
            .competitions_awaiting_opening(&[org_id(CAMDEN)])
            .await
            .unwrap();
        assert_eq!((awaiting.len(), awaiting[0].bids_received), (1, 2));

        // Two openers open; the buyer evaluates, decides and issues the notice.
        s.approve_opening(id, &people.opener1, PASSPHRASE)
            .await
            .unwrap();
        assert!(
            s.approve_opening(id, &people.opener2, PASSPHRASE)
                .await
                .unwrap()
                .opened
        );
        let record = s.competition(id).await.unwrap();
        assert!(record.opened);
        let by = people.buyer.email.clone();
        let record = s
            .competition_command(
                id,
                &people.buyer,
                None,
                Command::CompleteEvaluation { by: by.clone() },
            )
            .await
            .unwrap();
        let bids = record.competition.bids().to_vec();
        let winner = bids.iter().find(|b| b.supplier == org_id(ACME)).unwrap();
        let reasons = bids
            .iter()
            .map(|b| (b.bid_id.clone(), "The lowest price wins.".to_string()))
            .collect();
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::DecideAward {
                by: by.clone(),
                decisions: vec![LotDecision {
                    lot: None,
                    winner: winner.bid_id.clone(),
                    departure_reason: None,
                    buyer_values: BTreeMap::new(),
                }],
                reasons,
            },
        )
        .await
        .unwrap();
        let record = s
            .competition_command(id, &people.buyer, None, Command::IssueAwardNotice { by })
            .await
            .unwrap();
        assert_eq!(record.competition.status, Status::Standstill);
        assert_eq!(
            emails_of_kind(s, &people.acme, EmailKind::Outcome)
                .await
                .len(),
            1
        );
        assert_eq!(
            outbox_count(s).await,
            15,
            "one letter to each of the bidders' three people"
        );
        let standstill_end = record.competition.next_due().unwrap();
        assert_eq!(
            s.next_competition_due().await.unwrap(),
            Some(standstill_end)
        );

        // The standstill ends: awarded, and the contract is in Camden's register.
        clock.advance(standstill_end.duration_since(clock.now()) + SignedDuration::from_secs(1));
        assert_eq!(s.advance_due_competitions().await.unwrap(), 1);
        let record = s.competition(id).await.unwrap();
        assert_eq!(record.competition.status, Status::Awarded);
        assert_eq!(s.next_competition_due().await.unwrap(), None);
        let register = s.contracts(&ContractFilter::default()).await.unwrap();
        assert_eq!(register.len(), 1);
        let contract = &register[0].contract;
        assert_eq!(contract.authority, org_id(CAMDEN));
        assert_eq!(contract.reference, format!("{}-C1", record.reference));
        assert_eq!(contract.title, "Housing management system");
        assert_eq!(
            contract.supplier_name.as_deref(),
            Some("Acme Housing Systems Ltd")
        );
        assert_eq!(
            contract.supplier_company_number.as_deref(),
            Some("00000001")
        );
        assert_eq!(contract.total_value.map(|p| p.0), Some(95_000_000));
        assert_eq!(contract.start, content.contract_start);
        assert_eq!(
            contract.source,
            Source::Ocds {
                ocid: format!("ocds-consort-{}", record.reference)
            }
        );

        // The history, the audit chain and the open data.
        assert_eq!(
            event_kinds(s, id).await,
            [
                "created",
                "draft_revised",
                "draft_revised",
                "published",
                "question_asked",
                "question_answered",
                "amended",
                "deadline_passed",
                "opener_approved",
                "opener_approved",
                "opened",
                "evaluated",
                "award_decided",
                "award_notice_issued",
                "standstill_ended",
                "awarded",
            ]
        );
        let seqs: Vec<i64> = s
            .competition_events(id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=16).collect::<Vec<_>>());
        assert!(s.audit_verify().await.unwrap().is_ok());
        let audited = audit_kinds(s).await;
        for kind in [
            "competition.created",
            "competition.document_added",
            "competition.draft_revised",
            "competition.published",
            "competition.question_answered",
            "competition.amended",
            "competition.deadline_reminder_sent",
            "competition.deadline_passed",
            "competition.opened",
            "competition.award_notice_issued",
            "competition.awarded",
            "contract.created",
        ] {
            assert!(
                audited.iter().any(|k| k == kind),
                "no {kind} in the audit log: {audited:?}"
            );
        }
        let page = s.audit_page(1, 500).await.unwrap();
        let opened = page
            .entries
            .iter()
            .find(|e| e.kind == "competition.opened")
            .unwrap();
        assert!(opened.payload.contains(&record.reference));
        assert!(
            !opened.payload.contains("total_price_pence"),
            "{}",
            opened.payload
        );
        assert!(
            !page.entries.iter().any(|e| e.payload.contains("100000000")),
            "the losing bid's price is in no audit entry"
        );
        let letters = page
            .entries
            .iter()
            .find(|e| e.kind == "competition.award_notice_issued")
            .unwrap();
        assert!(
            !letters.payload.contains("Your bid"),
            "letters' text stays out of the audit log"
        );

        let releases = s.competition_releases(id).await.unwrap();
        let tags: Vec<&str> = releases
            .iter()
            .map(|r| r["tag"][0].as_str().unwrap())
            .collect();
        assert_eq!(tags, ["tender", "tenderAmendment", "award", "contract"]);
        let ids: BTreeSet<&str> = releases.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 4, "release ids are unique");
        assert!(
            releases
                .iter()
                .all(|r| r["ocid"] == format!("ocds-consort-{}", record.reference))
        );
        assert_eq!(releases[3]["contracts"][0]["value"]["amount"], 950000);
    }
);

on_both!(
    answers_reach_interested_suppliers_of_an_open_competition,
    |db, clock| {
        let s = &db.store;
        let people = setting_up(s).await;
        sealing_keys(s, &people).await;
        let mut rules = CompetitionRules::open_procedure(Regime::Pa2023);
        rules.criteria = call_off_rules().criteria;
        let record = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                rules,
                complete_content("Repairs system", clock.now() + days(40)),
            )
            .await
            .unwrap();
        let id = record.id;
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::Publish {
                by: people.buyer.email.clone(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            outbox_count(s).await,
            0,
            "an open competition invites nobody by email"
        );
        assert_eq!(s.opportunities_for(&org_id(BOLT)).await.unwrap().len(), 1);
        s.competition_command(
            id,
            &people.crown,
            None,
            Command::AskQuestion {
                supplier: org_id(CROWN),
                asked_by: people.crown.email.clone(),
                question: "Which modules are in scope?".into(),
            },
        )
        .await
        .unwrap();
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::AnswerQuestion {
                by: people.buyer.email.clone(),
                number: 1,
                answer: "All of them.".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            emails_of_kind(s, &people.crown, EmailKind::ClarificationAnswer)
                .await
                .len(),
            1,
            "Crown asked, so Crown is interested"
        );
        assert_eq!(outbox_count(s).await, 1, "nobody else has shown interest");

        // Cancelling tells the interested supplier and publishes a cancellation.
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::Cancel {
                by: people.buyer.email.clone(),
                reason: "The budget was withdrawn.".into(),
            },
        )
        .await
        .unwrap();
        let summaries = s.competitions_of_buyers(&[org_id(CAMDEN)]).await.unwrap();
        assert_eq!(
            summaries[0].status,
            Status::Cancelled {
                reason: "The budget was withdrawn.".into()
            }
        );
        assert_eq!(
            emails_of_kind(s, &people.crown, EmailKind::Outcome)
                .await
                .len(),
            1
        );
        let tags: Vec<String> = s
            .competition_releases(id)
            .await
            .unwrap()
            .iter()
            .map(|r| r["tag"][0].as_str().unwrap().to_string())
            .collect();
        assert_eq!(tags, ["tender", "tenderCancellation"]);
    }
);

on_both!(
    lists_find_competitions_by_buyer_and_evaluator,
    |db, clock| {
        let s = &db.store;
        let people = setting_up(s).await;
        let record = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                call_off_rules(),
                complete_content("Rent accounting", clock.now() + days(30)),
            )
            .await
            .unwrap();
        assert!(
            s.opportunities_for(&org_id(ACME)).await.unwrap().is_empty(),
            "drafts are private"
        );
        let mine = s.competitions_of_buyers(&[org_id(CAMDEN)]).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (
                mine[0].reference.as_str(),
                mine[0].title.as_str(),
                &mine[0].status,
                mine[0].bids_received
            ),
            (
                record.reference.as_str(),
                "Rent accounting",
                &Status::Draft,
                0
            )
        );
        assert!(
            s.competitions_of_buyers(&[org_id(BOLT)])
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.competitions_of_buyers(&[]).await.unwrap().is_empty());

        let evaluator = email("evaluator@camden.gov.uk");
        let moderator = email("moderator@camden.gov.uk");
        s.competition_command(
            record.id,
            &people.buyer,
            None,
            Command::AssignEvaluators {
                by: people.buyer.email.clone(),
                evaluators: vec![evaluator.clone()],
                moderator: moderator.clone(),
            },
        )
        .await
        .unwrap();
        for person in [&evaluator, &moderator] {
            let assigned = s.competitions_assigned_to(person).await.unwrap();
            assert_eq!(
                assigned.iter().map(|c| c.id).collect::<Vec<_>>(),
                vec![record.id]
            );
        }
        assert!(
            s.competitions_assigned_to(&people.buyer.email)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.competition_by_reference(&record.reference)
                .await
                .unwrap()
                .version,
            2
        );
        match s.competition(record.id + 100).await {
            Err(StoreError::NotFound(m)) => {
                assert!(m.contains(&(record.id + 100).to_string()), "{m}")
            }
            other => panic!("expected not found, got {other:?}"),
        }
        let wrong_buyer = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                call_off_rules(),
                DraftContent::new("Wrong", org_id(ACME)),
            )
            .await;
        match wrong_buyer {
            Err(StoreError::Refused(m)) => assert!(m.starts_with("buyer: "), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let supplier_as_buyer = s
            .create_competition(
                &people.buyer,
                &org_id(ACME),
                None,
                call_off_rules(),
                DraftContent::new("Wrong", org_id(ACME)),
            )
            .await;
        match supplier_as_buyer {
            Err(StoreError::Refused(m)) => assert!(
                m.contains("is a supplier, not a buying organisation"),
                "{m}"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            s.competitions_of_buyers(&[org_id(CAMDEN), org_id(ACME)])
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

on_both!(two_schedulers_advance_each_competition_once, |db, clock| {
    let s = &db.store;
    let people = setting_up(s).await;
    sealing_keys(s, &people).await;
    let deadline = clock.now() + days(10);
    let mut ids = Vec::new();
    for n in 0..4 {
        let record = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                call_off_rules(),
                complete_content(
                    &format!("Lot of work {n}"),
                    deadline + SignedDuration::from_mins(n),
                ),
            )
            .await
            .unwrap();
        s.competition_command(
            record.id,
            &people.buyer,
            None,
            Command::Publish {
                by: people.buyer.email.clone(),
            },
        )
        .await
        .unwrap();
        ids.push(record.id);
    }
    assert_eq!(
        s.advance_due_competitions().await.unwrap(),
        0,
        "nothing is due yet"
    );
    clock.advance(days(11));
    let other = s.clone();
    let (first, second) = tokio::join!(
        tokio::spawn(async move { other.advance_due_competitions().await.unwrap() }),
        s.advance_due_competitions()
    );
    assert_eq!(first.unwrap() + second.unwrap(), 4);
    for id in ids {
        let kinds = event_kinds(s, id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "deadline_passed").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            s.competition(id).await.unwrap().competition.status,
            Status::DeadlinePassed
        );
    }
    let (reminders,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM email_outbox WHERE kind = 'deadline_reminder'")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(reminders, 0, "no reminder once the deadline has passed");
    assert!(s.audit_verify().await.unwrap().is_ok());
});

on_both!(
    a_command_after_the_deadline_records_the_deadline_first,
    |db, clock| {
        let s = &db.store;
        let people = setting_up(s).await;
        sealing_keys(s, &people).await;
        let record = s
            .create_competition(
                &people.buyer,
                &org_id(CAMDEN),
                None,
                call_off_rules(),
                complete_content("Asset management", clock.now() + days(5)),
            )
            .await
            .unwrap();
        let id = record.id;
        s.competition_command(
            id,
            &people.buyer,
            None,
            Command::Publish {
                by: people.buyer.email.clone(),
            },
        )
        .await
        .unwrap();
        clock.advance(days(6));
        // Too late to ask: refused, and nothing of it (not even the deadline) is saved.
        let message = refusal(
            s.competition_command(
                id,
                &people.acme,
                None,
                Command::AskQuestion {
                    supplier: org_id(ACME),
                    asked_by: people.acme.email.clone(),
                    question: "Can we still ask?".into(),
                },
            )
            .await,
        );
        assert!(
            message.starts_with("the competition is closed"),
            "{message}"
        );
        assert_eq!(
            s.competition(id).await.unwrap().competition.status,
            Status::Published
        );
        // Opening is the openers' business, never a plain command.
        let message = refusal(
            s.competition_command(
                id,
                &people.opener1,
                None,
                Command::OpenBids {
                    opener: people.opener1.email.clone(),
                    holds_opener_role: true,
                    bids: Vec::new(),
                },
            )
            .await,
        );
        assert!(message.starts_with("opener: "), "{message}");
        // A buyer's command after the deadline records the deadline with it.
        let record = s
            .competition_command(
                id,
                &people.buyer,
                None,
                Command::AssignEvaluators {
                    by: people.buyer.email.clone(),
                    evaluators: vec![email("evaluator@camden.gov.uk")],
                    moderator: email("moderator@camden.gov.uk"),
                },
            )
            .await
            .unwrap();
        assert_eq!(record.competition.status, Status::DeadlinePassed);
        let kinds = event_kinds(s, id).await;
        assert_eq!(
            &kinds[kinds.len() - 2..],
            ["deadline_passed", "evaluators_assigned"]
        );
        assert_eq!(
            s.advance_due_competitions().await.unwrap(),
            0,
            "nothing left for the scheduler"
        );
    }
);
