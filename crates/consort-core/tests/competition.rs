//! The competition state machine: every transition, every refusal (as a table of
//! state × command), the issue's bad input, the minimum tendering period at
//! publication and the standstill end from the legal clock on real dates, the
//! isolation views, serde round trips and the OCDS releases.

use consort_core::calendar::{Period, Regime, compute};
use consort_core::competition::ocds::{self, ReleaseMeta, Stage};
use consort_core::competition::{
    Audience, AwardCriteria, BidContent, BidSummary, Command, Competition, CompetitionError,
    CompetitionRules, DEADLINE_REMINDER_BEFORE, DocumentRef, DraftContent, Eligibility,
    EvaluationStage, Event, EventAudience, HistoryDetail, HistoryViewer, Interest, LotDecision,
    Outcome, PriceCriterion, PriceFormula, PriceLine, QualityQuestion, ScoresViewer, ScoringScale,
    Standstill, Status, decide,
};
use consort_core::{Email, OrgId};
use jiff::Timestamp;
use jiff::civil::date;
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------
// Fixture: Camden runs an open procedure under PA 2023; two suppliers bid.
// ---------------------------------------------------------------------------

fn t(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}
fn camden() -> OrgId {
    org("GB-LAE-CMD")
}
fn hackney() -> OrgId {
    org("GB-LAE-HCK")
}
fn s1() -> OrgId {
    org("GB-COH-00000001")
}
fn s2() -> OrgId {
    org("GB-COH-00000002")
}
fn s3() -> OrgId {
    org("GB-COH-00000003")
}
fn buyer() -> Email {
    email("buyer@camden.gov.uk")
}
fn opener1() -> Email {
    email("opener1@camden.gov.uk")
}
fn opener2() -> Email {
    email("opener2@camden.gov.uk")
}
fn eval1() -> Email {
    email("eval1@camden.gov.uk")
}
fn eval2() -> Email {
    email("eval2@camden.gov.uk")
}
fn moderator() -> Email {
    email("moderator@camden.gov.uk")
}

/// Created Tue 1 Dec 2026; published Mon 7 Dec 2026 10:00 (the PA 2023 tendering
/// period then ends with Fri 1 Jan 2027); deadline Mon 11 Jan 2027 12:00.
const CREATED: &str = "2026-12-01T09:00:00Z";
const PUBLISH: &str = "2026-12-07T10:00:00Z";
const ASK: &str = "2026-12-10T10:00:00Z";
const DEADLINE: &str = "2027-01-11T12:00:00Z";
const AFTER: &str = "2027-01-11T14:00:00Z";
const EVALUATE: &str = "2027-01-12T10:00:00Z";
const DECIDE: &str = "2027-01-20T10:00:00Z";
/// Thu 21 Jan 2027: the award notice, and day 1 of the PA 2023 standstill.
const NOTICE: &str = "2027-01-21T10:00:00Z";

fn scale() -> ScoringScale {
    ScoringScale::zero_to_five()
}

fn criteria() -> AwardCriteria {
    AwardCriteria {
        questions: vec![
            QualityQuestion {
                id: "Q1".into(),
                text: "How will you migrate our tenancy records?".into(),
                weight: 30,
                scale: scale(),
                word_limit: None,
            },
            QualityQuestion {
                id: "Q2".into(),
                text: "How will you support residents?".into(),
                weight: 30,
                scale: scale(),
                word_limit: Some(10),
            },
        ],
        price: Some(PriceCriterion {
            weight: 40,
            formula: PriceFormula::LowestPriceRatio,
        }),
    }
}

fn rules() -> CompetitionRules {
    CompetitionRules {
        criteria: criteria(),
        ..CompetitionRules::open_procedure(Regime::Pa2023)
    }
}

fn content() -> DraftContent {
    DraftContent {
        description: "A housing management system for the borough.".into(),
        documents: vec![DocumentRef {
            sha256_hex: "a".repeat(64),
            file_name: "specification.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 1234,
        }],
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
        tender_deadline: Some(t(DEADLINE)),
        contract_start: Some(date(2027, 4, 1)),
        contract_end: Some(date(2030, 3, 31)),
        ..DraftContent::new("Housing management system", camden())
    }
}

fn run(c: &Competition, command: Command, now: &str) -> Competition {
    c.execute(command.clone(), t(now))
        .unwrap_or_else(|e| panic!("{command:?} at {now} refused: {e}"))
        .0
}

fn refuse(c: &Competition, command: Command, now: &str) -> CompetitionError {
    match decide(c, command.clone(), t(now)) {
        Ok(events) => panic!("{command:?} at {now} was accepted: {events:?}"),
        Err(e) => e,
    }
}

fn events_of(c: &Competition, command: Command, now: &str) -> Vec<Event> {
    decide(c, command.clone(), t(now)).unwrap_or_else(|e| panic!("{command:?} refused: {e}"))
}

fn draft_with(rules: CompetitionRules, content: DraftContent) -> Competition {
    let created = Competition::create("42", rules, content, buyer(), t(CREATED)).unwrap();
    Competition::replay(&[created]).unwrap()
}

/// A draft with the evaluation team assigned.
fn draft() -> Competition {
    run(
        &draft_with(rules(), content()),
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![eval1(), eval2()],
            moderator: moderator(),
        },
        CREATED,
    )
}

/// Published, with the team cleared and one unanswered question from s1.
fn published() -> Competition {
    let mut c = run(&draft(), Command::Publish { by: buyer() }, PUBLISH);
    for member in [eval1(), eval2(), moderator()] {
        c = run(
            &c,
            Command::DeclareInterest {
                member,
                interest: Interest::NoConflict,
            },
            PUBLISH,
        );
    }
    run(
        &c,
        Command::AskQuestion {
            supplier: s1(),
            asked_by: email("bids@supplier-one.co.uk"),
            question: "Is data migration in scope?".into(),
        },
        ASK,
    )
}

fn deadline_passed() -> Competition {
    run(&published(), Command::Tick, AFTER)
}

fn bids() -> Vec<BidSummary> {
    vec![
        BidSummary {
            bid_id: "B1".into(),
            supplier: s1(),
            lot: None,
            total_price_pence: 1_000_000,
            received_at: t("2027-01-10T10:00:00Z"),
        },
        BidSummary {
            bid_id: "B2".into(),
            supplier: s2(),
            lot: None,
            total_price_pence: 1_250_000,
            received_at: t("2027-01-09T10:00:00Z"),
        },
    ]
}

fn open_bids(opener: Email, bids: Vec<BidSummary>) -> Command {
    Command::OpenBids {
        opener,
        holds_opener_role: true,
        bids,
    }
}

fn opened_with(bids: Vec<BidSummary>) -> Competition {
    let c = run(
        &deadline_passed(),
        open_bids(opener1(), bids.clone()),
        AFTER,
    );
    run(&c, open_bids(opener2(), bids), AFTER)
}

fn score(evaluator: Email, bid: &str, q: &str, score: u8) -> Command {
    Command::RecordScore {
        evaluator,
        bid_id: bid.into(),
        question_id: q.into(),
        score,
        reason: format!("{bid} {q}: scored {score}"),
    }
}

/// Opened, every evaluator has scored every answer; moderation not started.
fn opened() -> Competition {
    let mut c = opened_with(bids());
    for (e, bump) in [(eval1(), 0u8), (eval2(), 1u8)] {
        for (bid, q, s) in [
            ("B1", "Q1", 3),
            ("B1", "Q2", 3),
            ("B2", "Q1", 4),
            ("B2", "Q2", 4),
        ] {
            c = run(&c, score(e.clone(), bid, q, s + bump), EVALUATE);
        }
    }
    c
}

fn consensus(bid: &str, q: &str, score: u8) -> Command {
    Command::RecordConsensus {
        moderator: moderator(),
        bid_id: bid.into(),
        question_id: q.into(),
        score,
        reason: format!("agreed {score} for {bid} {q}"),
    }
}

/// B1: quality 3+3 of 5 at weight 30 = 18 + 18 = 36.00; price £10,000 lowest = 40.00;
/// total 76.00. B2: 4+4 -> 24 + 24 = 48.00; price 40 × 10000/12500 = 32.00; total 80.00.
fn evaluated() -> Competition {
    let mut c = run(
        &opened(),
        Command::StartModeration { by: moderator() },
        EVALUATE,
    );
    for (bid, q, s) in [
        ("B1", "Q1", 3),
        ("B1", "Q2", 3),
        ("B2", "Q1", 4),
        ("B2", "Q2", 4),
    ] {
        c = run(&c, consensus(bid, q, s), EVALUATE);
    }
    run(
        &c,
        Command::CompleteEvaluation { by: moderator() },
        EVALUATE,
    )
}

fn reasons() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "B1".to_string(),
            "Lowest price but weaker quality answers".to_string(),
        ),
        ("B2".to_string(), "Highest total score".to_string()),
    ])
}

fn decide_award() -> Command {
    Command::DecideAward {
        by: buyer(),
        decisions: vec![LotDecision {
            lot: None,
            winner: "B2".into(),
            departure_reason: None,
            buyer_values: BTreeMap::new(),
        }],
        reasons: reasons(),
    }
}

fn award_decided() -> Competition {
    run(&evaluated(), decide_award(), DECIDE)
}

fn standstill() -> Competition {
    run(
        &award_decided(),
        Command::IssueAwardNotice { by: buyer() },
        NOTICE,
    )
}

/// The PA 2023 standstill from Thu 21 Jan 2027 ends at midnight ending Mon 1 Feb.
const STANDSTILL_END: &str = "2027-02-02T00:00:00Z";

fn awarded() -> Competition {
    run(&standstill(), Command::Tick, STANDSTILL_END)
}

fn cancelled() -> Competition {
    run(
        &published(),
        Command::Cancel {
            by: buyer(),
            reason: "The requirement has changed".into(),
        },
        ASK,
    )
}

fn unsuccessful() -> Competition {
    run(
        &deadline_passed(),
        Command::CloseUnsuccessful {
            by: buyer(),
            reason: "No bids were received".into(),
        },
        AFTER,
    )
}

// ---------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------

#[test]
fn the_happy_path_visits_every_state_in_order() {
    let path = [
        (draft(), "draft"),
        (published(), "published"),
        (deadline_passed(), "deadline_passed"),
        (opened(), "opened"),
        (evaluated(), "evaluated"),
        (award_decided(), "award_decided"),
        (standstill(), "standstill"),
        (awarded(), "awarded"),
    ];
    for (c, state) in &path {
        assert_eq!(c.status.id(), *state);
    }
    assert_eq!(
        cancelled().status,
        Status::Cancelled {
            reason: "The requirement has changed".into()
        }
    );
    assert_eq!(
        unsuccessful().status,
        Status::Unsuccessful {
            reason: "No bids were received".into()
        }
    );
    assert!(
        awarded().status.is_final()
            && cancelled().status.is_final()
            && unsuccessful().status.is_final()
    );
    assert!(!standstill().status.is_final());
}

#[test]
fn events_replay_to_the_same_state_and_everything_round_trips_through_json() {
    let mut c = draft_with(rules(), content());
    let mut log = vec![Competition::create("42", rules(), content(), buyer(), t(CREATED)).unwrap()];
    let script: Vec<(Command, &str)> = vec![
        (
            Command::AssignEvaluators {
                by: buyer(),
                evaluators: vec![eval1(), eval2()],
                moderator: moderator(),
            },
            CREATED,
        ),
        (Command::Publish { by: buyer() }, PUBLISH),
        (
            Command::AskQuestion {
                supplier: s1(),
                asked_by: email("a@supplier-one.co.uk"),
                question: "Scope?".into(),
            },
            ASK,
        ),
        (
            Command::AnswerQuestion {
                by: buyer(),
                number: 1,
                answer: "Yes.".into(),
            },
            ASK,
        ),
        (
            Command::DeclareInterest {
                member: eval1(),
                interest: Interest::NoConflict,
            },
            ASK,
        ),
        (
            Command::DeclareInterest {
                member: eval2(),
                interest: Interest::NoConflict,
            },
            ASK,
        ),
        (
            Command::DeclareInterest {
                member: moderator(),
                interest: Interest::NoConflict,
            },
            ASK,
        ),
        (open_bids(opener1(), bids()), AFTER),
        (open_bids(opener2(), bids()), AFTER),
    ];
    for (command, now) in script {
        let (next, events) = c.execute(command, t(now)).unwrap();
        log.extend(events);
        c = next;
    }
    assert_eq!(c.status, Status::Opened);
    assert_eq!(Competition::replay(&log).unwrap(), c);

    let json = serde_json::to_string(&log).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, log);
    assert!(
        json.contains(r#""event":"deadline_passed""#),
        "the open caught up with the deadline"
    );
    let snapshot = serde_json::to_value(awarded()).unwrap();
    assert_eq!(snapshot["status"]["state"], "awarded");
    assert_eq!(snapshot["rules"]["regime"], "pa2023");
    assert_eq!(snapshot["rules"]["minimum_tendering"], "tendering");
    assert_eq!(snapshot["rules"]["procedure"], "open_procedure");
    assert_eq!(snapshot["rules"]["eligibility"]["kind"], "open");
    let back: Competition = serde_json::from_value(snapshot).unwrap();
    assert_eq!(back, awarded());
    let cancelled_json = serde_json::to_value(cancelled()).unwrap();
    assert_eq!(
        cancelled_json["status"],
        serde_json::json!({"state": "cancelled", "reason": "The requirement has changed"})
    );
    let command = serde_json::to_value(Command::Tick).unwrap();
    assert_eq!(command, serde_json::json!({"command": "tick"}));
}

#[test]
fn replay_needs_created_first() {
    assert!(Competition::replay(&[]).is_err());
    let e = Competition::replay(&[Event::DeadlinePassed {
        deadline: t(DEADLINE),
        at: t(AFTER),
    }])
    .unwrap_err();
    assert!(e.to_string().contains("deadline_passed"), "{e}");
}

#[test]
fn tick_passes_the_deadline_at_the_exact_instant_and_is_idempotent() {
    let c = published();
    assert_eq!(c.next_due(), Some(t(DEADLINE)));
    let just_before = t(DEADLINE) - jiff::SignedDuration::from_nanos(1);
    assert!(decide(&c, Command::Tick, just_before).unwrap().is_empty());
    let events = events_of(&c, Command::Tick, DEADLINE);
    assert_eq!(
        events,
        vec![Event::DeadlinePassed {
            deadline: t(DEADLINE),
            at: t(DEADLINE)
        }]
    );
    let passed = c.execute(Command::Tick, t(DEADLINE)).unwrap().0;
    assert_eq!(passed.status, Status::DeadlinePassed);
    assert_eq!(passed.next_due(), None);
    assert!(
        events_of(&passed, Command::Tick, AFTER).is_empty(),
        "a second tick does nothing"
    );
    assert!(
        events_of(&draft(), Command::Tick, AFTER).is_empty(),
        "a draft has nothing due"
    );
    assert_eq!(draft().next_due(), None);
}

#[test]
fn standstill_ends_from_the_calendar_and_then_the_contract_is_awarded() {
    let c = standstill();
    let s = c.notice.as_ref().unwrap().standstill.as_ref().unwrap();
    // PA 2023 s.51(2): 8 working days beginning with Thu 21 Jan 2027: 21 (1), 22 (2),
    // [Sat 23, Sun 24], 25 (3), 26 (4), 27 (5), 28 (6), 29 (7), [30, 31], Mon 1 Feb (8).
    assert_eq!(s.last_day, date(2027, 2, 1));
    assert_eq!(s.ends_at, t(STANDSTILL_END));
    let clock = compute(Regime::Pa2023, Period::Standstill, date(2027, 1, 21)).unwrap();
    assert_eq!(s.ends_at, clock.deadline.timestamp());
    assert_eq!(s.reasons.len(), clock.reasons.len());
    assert!(s.citation().contains("s.51"), "{}", s.citation());
    assert_eq!(s.confidence, clock.confidence.as_str());
    assert_eq!(c.next_due(), Some(t(STANDSTILL_END)));

    let before = t(STANDSTILL_END) - jiff::SignedDuration::from_secs(1);
    assert!(decide(&c, Command::Tick, before).unwrap().is_empty());
    let events = events_of(&c, Command::Tick, STANDSTILL_END);
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["standstill_ended", "awarded"]
    );
    let done = awarded();
    assert_eq!(done.next_due(), None);
    assert!(events_of(&done, Command::Tick, "2027-03-01T00:00:00Z").is_empty());
    assert_eq!(done.contracts.len(), 1);
    let k = &done.contracts[0];
    assert_eq!(
        (k.buyer.clone(), k.supplier.clone(), k.value_pence),
        (camden(), s2(), 1_250_000)
    );
    assert_eq!(
        (k.start, k.end),
        (Some(date(2027, 4, 1)), Some(date(2030, 3, 31)))
    );
    assert_eq!(k.bid_id, "B2");
}

#[test]
fn pcr2015_standstill_is_ten_days_rolled_to_a_working_day() {
    // Award decision notices emailed Wed 23 Dec 2026: reg 87(2), the 10th day after
    // is Sat 2 Jan 2027; reg 2(4) moves the end to the end of Mon 4 Jan.
    let mut c = award_decided();
    c.rules.regime = Regime::Pcr2015;
    let c = run(
        &c,
        Command::IssueAwardNotice { by: buyer() },
        "2026-12-23T12:00:00Z",
    );
    let s = c.notice.unwrap().standstill.unwrap();
    assert_eq!(s.last_day, date(2027, 1, 4));
    assert_eq!(s.ends_at, t("2027-01-05T00:00:00Z"));
    assert!(s.citation().contains("reg 87"), "{}", s.citation());
}

#[test]
fn without_a_standstill_the_award_notice_awards_at_once() {
    let mut c = award_decided();
    c.rules.standstill = Standstill::None;
    let events = events_of(&c, Command::IssueAwardNotice { by: buyer() }, NOTICE);
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["award_notice_issued", "awarded"]
    );
    let done = c
        .execute(Command::IssueAwardNotice { by: buyer() }, t(NOTICE))
        .unwrap()
        .0;
    assert_eq!(done.status, Status::Awarded);
    assert!(done.notice.unwrap().standstill.is_none());
    assert_eq!(done.contracts.len(), 1);
}

#[test]
fn a_voluntary_standstill_runs_like_the_statutory_one() {
    let mut c = award_decided();
    c.rules.standstill = Standstill::Voluntary;
    let c = run(&c, Command::IssueAwardNotice { by: buyer() }, NOTICE);
    assert_eq!(c.status, Status::Standstill);
    assert_eq!(c.next_due(), Some(t(STANDSTILL_END)));
}

#[test]
fn opening_needs_two_different_authorised_openers_after_the_deadline() {
    let c = deadline_passed();
    let once = run(&c, open_bids(opener1(), bids()), AFTER);
    assert_eq!(
        once.status,
        Status::DeadlinePassed,
        "one opener alone does not open"
    );
    assert_eq!(once.opening.approvals.len(), 1);
    assert!(
        once.bids().is_empty(),
        "nothing about bids is recorded at the first approval"
    );

    let e = refuse(&once, open_bids(opener1(), bids()), AFTER);
    assert_eq!(e, CompetitionError::SameOpenerTwice { opener: opener1() });
    assert_eq!(
        e.to_string(),
        "opener: opener1@camden.gov.uk has already approved the opening; a second opener must be a different person"
    );

    let e = refuse(
        &once,
        Command::OpenBids {
            opener: eval1(),
            holds_opener_role: false,
            bids: bids(),
        },
        AFTER,
    );
    assert!(
        matches!(
            e,
            CompetitionError::NotAuthorised {
                action: "open bids",
                ..
            }
        ),
        "{e}"
    );

    let events = events_of(&once, open_bids(opener2(), bids()), AFTER);
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["opener_approved", "opened"]
    );
    match &events[1] {
        Event::Opened {
            openers,
            bids: opened,
            ..
        } => {
            assert_eq!(openers, &vec![opener1(), opener2()]);
            assert_eq!(opened.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    let e = refuse(&published(), open_bids(opener1(), bids()), ASK);
    assert_eq!(
        e,
        CompetitionError::BeforeDeadline {
            deadline: t(DEADLINE)
        }
    );
    assert!(
        e.to_string()
            .contains("before the tender deadline 2027-01-11T12:00:00+00:00"),
        "{e}"
    );
    // Not yet ticked but past the deadline: the deadline passes first.
    let events = events_of(&published(), open_bids(opener1(), bids()), AFTER);
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        ["deadline_passed", "opener_approved"]
    );
}

#[test]
fn opening_refuses_bids_that_cannot_be_right() {
    let once = run(&deadline_passed(), open_bids(opener1(), vec![]), AFTER);
    let late = BidSummary {
        received_at: t(DEADLINE),
        ..bids()[0].clone()
    };
    let e = refuse(&once, open_bids(opener2(), vec![late]), AFTER);
    assert!(e.to_string().contains("after the tender deadline"), "{e}");
    let twice = vec![
        bids()[0].clone(),
        BidSummary {
            bid_id: "B9".into(),
            ..bids()[0].clone()
        },
    ];
    let e = refuse(&once, open_bids(opener2(), twice), AFTER);
    assert!(e.to_string().contains("more than one bid"), "{e}");
    let dup = vec![bids()[0].clone(), bids()[0].clone()];
    assert!(
        refuse(&once, open_bids(opener2(), dup), AFTER)
            .to_string()
            .contains("listed twice")
    );
    let lot = vec![BidSummary {
        lot: Some("1".into()),
        ..bids()[0].clone()
    }];
    assert!(
        refuse(&once, open_bids(opener2(), lot), AFTER)
            .to_string()
            .contains("not a lot")
    );
    let free = vec![BidSummary {
        total_price_pence: 0,
        ..bids()[0].clone()
    }];
    assert!(
        refuse(&once, open_bids(opener2(), free), AFTER)
            .to_string()
            .contains("not a valid total")
    );
}

#[test]
fn no_bids_received_opens_empty_and_closes_unsuccessful() {
    let c = opened_with(vec![]);
    assert_eq!(c.status, Status::Opened);
    assert!(c.bids().is_empty());
    let e = refuse(
        &c,
        Command::CompleteEvaluation { by: moderator() },
        EVALUATE,
    );
    assert!(e.to_string().contains("no bids were received"), "{e}");
    let e = refuse(&c, Command::StartModeration { by: moderator() }, EVALUATE);
    assert!(e.to_string().contains("no bids were received"), "{e}");
    let events = events_of(
        &c,
        Command::CloseUnsuccessful {
            by: buyer(),
            reason: "No bids were received".into(),
        },
        EVALUATE,
    );
    match &events[..] {
        [
            Event::ClosedUnsuccessful {
                closure,
                notice: Some(n),
            },
        ] => {
            assert_eq!(closure.from_state, "opened");
            assert_eq!(n.audience, Audience::Bidders { suppliers: vec![] });
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clarification_answers_go_to_everyone_without_the_asker() {
    let c = published();
    let events = events_of(
        &c,
        Command::AnswerQuestion {
            by: buyer(),
            number: 1,
            answer: "Yes, all records.".into(),
        },
        ASK,
    );
    let [
        Event::QuestionAnswered {
            notice,
            question,
            answer,
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(question, "Is data migration in scope?");
    assert_eq!(answer, "Yes, all records.");
    assert_eq!(
        notice.audience,
        Audience::InvitedAndInterested { invited: vec![] }
    );
    assert!(notice.body.contains("Yes, all records."));
    assert!(
        !notice.body.contains("supplier-one") && !notice.body.contains(s1().as_str()),
        "{}",
        notice.body
    );
    let answered = run(
        &c,
        Command::AnswerQuestion {
            by: buyer(),
            number: 1,
            answer: "Yes.".into(),
        },
        ASK,
    );
    let e = refuse(
        &answered,
        Command::AnswerQuestion {
            by: buyer(),
            number: 1,
            answer: "Again".into(),
        },
        ASK,
    );
    assert!(e.to_string().contains("already been answered"), "{e}");
    let e = refuse(
        &c,
        Command::AnswerQuestion {
            by: buyer(),
            number: 7,
            answer: "?".into(),
        },
        ASK,
    );
    assert_eq!(e.field(), "number");
    let e = refuse(
        &c,
        Command::AskQuestion {
            supplier: s1(),
            asked_by: email("a@b.co.uk"),
            question: "  ".into(),
        },
        ASK,
    );
    assert_eq!(e.field(), "question");
}

#[test]
fn amendments_extend_the_deadline_and_tell_bidders() {
    let c = published();
    let later = t("2027-01-18T12:00:00Z");
    let added = DocumentRef {
        sha256_hex: "b".repeat(64),
        file_name: "addendum.pdf".into(),
        media_type: "application/pdf".into(),
        size_bytes: 10,
    };
    let command = Command::Amend {
        by: buyer(),
        summary: "Added an addendum on data migration.".into(),
        new_deadline: Some(later),
        add_documents: vec![added.clone()],
        remove_documents: vec!["a".repeat(64)],
    };
    let events = events_of(&c, command.clone(), ASK);
    let [Event::Amended { amendment, notice }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (
            amendment.number,
            amendment.previous_deadline,
            amendment.new_deadline
        ),
        (1, t(DEADLINE), later)
    );
    assert!(
        notice
            .body
            .contains("extended from 2027-01-11T12:00:00+00:00 to 2027-01-18T12:00:00+00:00"),
        "{}",
        notice.body
    );
    assert!(
        notice.body.contains("Document added: addendum.pdf")
            && notice
                .body
                .contains("Document withdrawn: specification.pdf")
    );
    let amended = run(&c, command, ASK);
    assert_eq!(amended.deadline(), Some(later));
    assert_eq!(amended.content.documents, vec![added]);
    assert_eq!(
        amended.publication.as_ref().unwrap().original_deadline,
        t(DEADLINE)
    );
    assert_eq!(amended.next_due(), Some(later));
    // Past the original deadline but before the new one, bids are still accepted.
    assert_eq!(amended.can_accept_bid(&s1(), t(AFTER)), Ok(()));

    let e = refuse(
        &amended,
        Command::Amend {
            by: buyer(),
            summary: "Earlier".into(),
            new_deadline: Some(t(DEADLINE)),
            add_documents: vec![],
            remove_documents: vec![],
        },
        ASK,
    );
    assert_eq!(
        e,
        CompetitionError::DeadlineBroughtForward {
            current: later,
            requested: t(DEADLINE)
        }
    );
    let e = refuse(
        &c,
        Command::Amend {
            by: buyer(),
            summary: " ".into(),
            new_deadline: None,
            add_documents: vec![],
            remove_documents: vec![],
        },
        ASK,
    );
    assert_eq!(e.field(), "summary");
    let e = refuse(
        &c,
        Command::Amend {
            by: buyer(),
            summary: "x".into(),
            new_deadline: None,
            add_documents: vec![],
            remove_documents: vec!["c".repeat(64)],
        },
        ASK,
    );
    assert_eq!(e.field(), "remove_documents");
}

#[test]
fn a_deadline_on_the_last_day_of_the_minimum_is_lawful_and_can_be_extended() {
    let mut early = content();
    early.tender_deadline = Some(t("2027-01-01T09:00:00Z"));
    let c = run(
        &draft_with(rules(), early),
        Command::Publish { by: buyer() },
        PUBLISH,
    );
    let later = run(
        &c,
        Command::Amend {
            by: buyer(),
            summary: "More time".into(),
            new_deadline: Some(t("2027-01-04T09:00:00Z")),
            add_documents: vec![],
            remove_documents: vec![],
        },
        ASK,
    );
    assert_eq!(later.deadline(), Some(t("2027-01-04T09:00:00Z")));
}

#[test]
fn joint_competitions_give_each_buyer_a_contract() {
    let joint = DraftContent {
        joint_buyers: vec![hackney()],
        consortium_id: Some(7),
        ..content()
    };
    let mut c = evaluated();
    c.content = joint;
    let decision = |values: BTreeMap<OrgId, i64>| Command::DecideAward {
        by: buyer(),
        decisions: vec![LotDecision {
            lot: None,
            winner: "B2".into(),
            departure_reason: None,
            buyer_values: values,
        }],
        reasons: reasons(),
    };
    let e = refuse(&c, decision(BTreeMap::new()), DECIDE);
    assert!(e.to_string().contains("GB-LAE-CMD's share"), "{e}");
    let e = refuse(
        &c,
        decision(BTreeMap::from([(camden(), 600_000), (hackney(), 600_000)])),
        DECIDE,
    );
    assert!(
        e.to_string()
            .contains("add up to £12,000.00, not the winning price £12,500.00"),
        "{e}"
    );
    let c = run(
        &c,
        decision(BTreeMap::from([(camden(), 750_000), (hackney(), 500_000)])),
        DECIDE,
    );
    let mut c = run(&c, Command::IssueAwardNotice { by: buyer() }, NOTICE);
    c = run(&c, Command::Tick, STANDSTILL_END);
    let got: Vec<(OrgId, i64)> = c
        .contracts
        .iter()
        .map(|k| (k.buyer.clone(), k.value_pence))
        .collect();
    assert_eq!(got, vec![(camden(), 750_000), (hackney(), 500_000)]);
    assert_eq!(c.contracts[0].id, "C1");
    assert_eq!(c.contracts[1].award_id, "A1");
    // The draft check: joint buyers need a consortium and no duplicates.
    let e = Competition::create(
        "1",
        rules(),
        DraftContent {
            joint_buyers: vec![hackney()],
            ..content()
        },
        buyer(),
        t(CREATED),
    )
    .unwrap_err();
    assert_eq!(e.field(), "consortium_id");
    let e = Competition::create(
        "1",
        rules(),
        DraftContent {
            joint_buyers: vec![camden()],
            consortium_id: Some(1),
            ..content()
        },
        buyer(),
        t(CREATED),
    )
    .unwrap_err();
    assert_eq!(e.field(), "joint_buyers");
}

#[test]
fn the_award_needs_reasons_and_a_justified_winner() {
    let c = evaluated();
    let ranking = &c.rankings[0];
    assert_eq!(
        ranking
            .bids
            .iter()
            .map(|b| b.bid_id.as_str())
            .collect::<Vec<_>>(),
        ["B2", "B1"]
    );
    assert_eq!(ranking.bids[0].total.to_string(), "80.00");
    assert_eq!(ranking.bids[1].total.to_string(), "76.00");
    assert_eq!(ranking.bids[0].price.to_string(), "32.00");
    assert_eq!(ranking.bids[1].price.to_string(), "40.00");
    assert!(ranking.tie_break.contains("higher quality score"));

    let to_b1 = |departure: Option<&str>| Command::DecideAward {
        by: buyer(),
        decisions: vec![LotDecision {
            lot: None,
            winner: "B1".into(),
            departure_reason: departure.map(String::from),
            buyer_values: BTreeMap::new(),
        }],
        reasons: reasons(),
    };
    let e = refuse(&c, to_b1(None), DECIDE);
    assert_eq!(e.field(), "departure_reason");
    assert!(
        run(
            &c,
            to_b1(Some("B2 was excluded after verification")),
            DECIDE
        )
        .award
        .is_some()
    );
    let mut missing = reasons();
    missing.remove("B1");
    let e = refuse(
        &c,
        Command::DecideAward {
            by: buyer(),
            decisions: vec![LotDecision {
                lot: None,
                winner: "B2".into(),
                departure_reason: None,
                buyer_values: BTreeMap::new(),
            }],
            reasons: missing,
        },
        DECIDE,
    );
    assert_eq!(e.field(), "reasons.B1");
    let e = refuse(
        &c,
        Command::DecideAward {
            by: buyer(),
            decisions: vec![],
            reasons: reasons(),
        },
        DECIDE,
    );
    assert!(e.to_string().contains("decide the award too"), "{e}");
    let e = refuse(
        &c,
        Command::DecideAward {
            by: buyer(),
            decisions: vec![LotDecision {
                lot: None,
                winner: "B7".into(),
                departure_reason: None,
                buyer_values: BTreeMap::new(),
            }],
            reasons: reasons(),
        },
        DECIDE,
    );
    assert_eq!(e.field(), "winner");
}

#[test]
fn assessment_summaries_show_each_bidder_their_scores_and_the_winners() {
    let c = award_decided();
    let summaries = &c.award.as_ref().unwrap().summaries;
    assert_eq!(summaries.len(), 2);
    assert!(
        c.assessment_summaries_for(&s1()).is_empty(),
        "not before the award notice"
    );
    let c = standstill();
    let mine = c.assessment_summaries_for(&s1());
    assert_eq!(mine.len(), 1);
    let s = mine[0];
    assert_eq!((s.outcome, s.rank, s.of), (Outcome::Unsuccessful, 2, 2));
    assert_eq!(s.own_total.to_string(), "76.00");
    assert_eq!(s.winner_total.to_string(), "80.00");
    assert_eq!(s.winner_supplier, s2());
    assert_eq!(
        s.own
            .iter()
            .map(|l| l.criterion.as_str())
            .collect::<Vec<_>>(),
        ["Q1", "Q2", "price"]
    );
    assert_eq!(s.own[0].reason, "agreed 3 for B1 Q1");
    assert_eq!(s.winner[0].reason, "agreed 4 for B2 Q1");
    assert_eq!(s.reason, "Lowest price but weaker quality answers");
    assert_eq!(
        c.assessment_summaries_for(&s2())[0].outcome,
        Outcome::Successful
    );
    assert!(c.assessment_summaries_for(&s3()).is_empty());

    let events = events_of(
        &award_decided(),
        Command::IssueAwardNotice { by: buyer() },
        NOTICE,
    );
    let Event::AwardNoticeIssued { letters, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(letters.len(), 2);
    let to_s1 = letters
        .iter()
        .find(|l| l.audience == Audience::Supplier { supplier: s1() })
        .unwrap();
    assert!(
        to_s1
            .body
            .contains("has not been successful: it ranked 2 of 2 with 76.00 points"),
        "{}",
        to_s1.body
    );
    assert!(
        to_s1
            .body
            .contains("The standstill period ends 2027-02-02T00:00:00+00:00"),
        "{}",
        to_s1.body
    );
    assert!(
        to_s1.body.contains("agreed 4 for B2 Q1"),
        "the winner's reasons are in the letter"
    );
}

// ---------------------------------------------------------------------------
// Publication: the minimum tendering period on both regimes
// ---------------------------------------------------------------------------

fn publish_with(
    regime: Regime,
    deadline: &str,
    published_at: &str,
) -> Result<Vec<Event>, CompetitionError> {
    let rules = CompetitionRules {
        criteria: criteria(),
        ..CompetitionRules::open_procedure(regime)
    };
    let content = DraftContent {
        tender_deadline: Some(t(deadline)),
        ..content()
    };
    decide(
        &draft_with(rules, content),
        Command::Publish { by: buyer() },
        t(published_at),
    )
}

#[test]
fn pa2023_minimum_tendering_period_is_enforced_at_publication() {
    // s.54(4) row 7, s.54(5): published Mon 7 Dec 2026; the 25 days run from Tue 8
    // Dec to Fri 1 Jan 2027 (New Year's Day: no roll-forward). The deadline may fall
    // any time on 1 Jan.
    let e = publish_with(Regime::Pa2023, "2026-12-31T23:59:59Z", PUBLISH).unwrap_err();
    let CompetitionError::DeadlineTooSoon {
        earliest,
        published_on,
        citation,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(*earliest, t("2027-01-01T00:00:00Z"));
    assert_eq!(*published_on, date(2026, 12, 7));
    assert!(
        citation.contains("PA 2023 s.54(4)") && citation.contains("pa23.s54.tendering.e_all_docs"),
        "{citation}"
    );
    assert_eq!(
        e.to_string(),
        "tender_deadline: 2026-12-31T23:59:59+00:00 is too soon: the minimum tendering period from publication on 2026-12-07 ends with 2027-01-01 (the deadline may fall at any time that day), so the earliest lawful deadline is 2027-01-01T00:00:00+00:00 (PA 2023 s.54(4) table row 7 (fact pa23.s54.tendering.e_all_docs))"
    );
    let events = publish_with(Regime::Pa2023, "2027-01-01T12:00:00Z", PUBLISH).unwrap();
    let Event::Published {
        minimum_period,
        earliest_lawful_deadline,
        notice,
        ..
    } = &events[0]
    else {
        panic!()
    };
    let period = minimum_period.as_ref().unwrap();
    assert_eq!(period.last_day, date(2027, 1, 1));
    assert_eq!(*earliest_lawful_deadline, Some(t("2027-01-01T00:00:00Z")));
    assert!(
        period
            .reasons
            .iter()
            .any(|r| r.starts_with("Last day 2027-01-01 is not a working day"))
    );
    assert!(notice.subject.starts_with("Invitation to tender"));
}

#[test]
fn pcr2015_minimum_tendering_period_is_enforced_at_publication() {
    // Reg 27(2),(6): notice sent Wed 4 Mar 2026; 30 days end on Good Friday 3 Apr;
    // reg 2(4) moves the end past Easter to the end of Tue 7 Apr (midnight BST).
    let e = publish_with(
        Regime::Pcr2015,
        "2026-04-07T16:00:00+01:00",
        "2026-03-04T10:00:00Z",
    )
    .unwrap_err();
    let CompetitionError::DeadlineTooSoon {
        earliest, citation, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(*earliest, t("2026-04-07T23:00:00Z"));
    assert!(citation.contains("reg 27"), "{citation}");
    assert!(
        e.to_string().contains("ends at the end of 2026-04-07"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("earliest lawful deadline is 2026-04-08T00:00:00+01:00"),
        "{e}"
    );
    assert!(
        publish_with(
            Regime::Pcr2015,
            "2026-04-08T00:00:00+01:00",
            "2026-03-04T10:00:00Z"
        )
        .is_ok()
    );
}

#[test]
fn rules_without_a_statutory_minimum_accept_any_future_deadline() {
    let rules = CompetitionRules {
        criteria: criteria(),
        ..CompetitionRules::framework_further_competition(Regime::Pa2023, vec![s1(), s2()])
    };
    let next_day = DraftContent {
        tender_deadline: Some(t("2026-12-08T12:00:00Z")),
        ..content()
    };
    let events = decide(
        &draft_with(rules.clone(), next_day),
        Command::Publish { by: buyer() },
        t(PUBLISH),
    )
    .unwrap();
    let Event::Published {
        minimum_period,
        notice,
        ..
    } = &events[0]
    else {
        panic!()
    };
    assert!(minimum_period.is_none());
    assert_eq!(
        notice.audience,
        Audience::InvitedAndInterested {
            invited: vec![s1(), s2()]
        }
    );
    assert!(notice.body.starts_with("You are invited to bid"));
    let notes = rules.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.about == "minimum_tendering" && n.fact_id == "pa23.s54.scope"),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.about == "standstill" && n.fact_id == "pa23.s51.standstill_exemptions")
    );
    // A dynamic market award has the 10-day minimum: s.54(4) row 6.
    let dm = CompetitionRules {
        criteria: criteria(),
        ..CompetitionRules::dynamic_market_award(Regime::Pa2023, vec![s1()])
    };
    let ten_days = DraftContent {
        tender_deadline: Some(t("2026-12-10T12:00:00Z")),
        ..content()
    };
    let e = decide(
        &draft_with(dm, ten_days),
        Command::Publish { by: buyer() },
        t(PUBLISH),
    )
    .unwrap_err();
    assert!(matches!(e, CompetitionError::DeadlineTooSoon { .. }), "{e}");
}

#[test]
fn publication_refuses_an_incomplete_draft() {
    let publish = |rules: CompetitionRules, content: DraftContent| {
        decide(
            &draft_with(rules, content),
            Command::Publish { by: buyer() },
            t(PUBLISH),
        )
        .unwrap_err()
    };
    let e = publish(
        rules(),
        DraftContent {
            title: " ".into(),
            ..content()
        },
    );
    assert_eq!(e.field(), "title");
    let e = publish(
        rules(),
        DraftContent {
            description: String::new(),
            ..content()
        },
    );
    assert_eq!(e.field(), "description");
    let e = publish(
        rules(),
        DraftContent {
            tender_deadline: None,
            ..content()
        },
    );
    assert_eq!(e.to_string(), "tender_deadline: set the tender deadline");
    let e = publish(
        rules(),
        DraftContent {
            tender_deadline: Some(t(CREATED)),
            ..content()
        },
    );
    assert!(e.to_string().contains("is not in the future"), "{e}");
    let e = publish(
        rules(),
        DraftContent {
            price_schedule: vec![],
            ..content()
        },
    );
    assert_eq!(e.field(), "price_schedule");
    let invited_nobody = CompetitionRules {
        criteria: criteria(),
        ..CompetitionRules::competitive_flexible(Regime::Pa2023, vec![])
    };
    let e = publish(invited_nobody, content());
    assert_eq!(
        e.to_string(),
        "eligibility: the competition is by invitation: invite at least one supplier"
    );
    let no_criteria = CompetitionRules::open_procedure(Regime::Pa2023);
    let e = publish(no_criteria, content());
    assert_eq!(e.field(), "criteria");
    let problems = draft_with(
        rules(),
        DraftContent {
            title: String::new(),
            tender_deadline: None,
            ..content()
        },
    )
    .publish_problems(t(PUBLISH));
    assert_eq!(
        problems
            .iter()
            .map(CompetitionError::field)
            .collect::<Vec<_>>(),
        ["title", "tender_deadline"]
    );
    assert!(draft().publish_problems(t(PUBLISH)).is_empty());
}

#[test]
fn a_date_outside_the_calendar_is_refused_not_guessed() {
    let e = publish_with(
        Regime::Pa2023,
        "2029-03-01T12:00:00Z",
        "2028-12-20T10:00:00Z",
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            CompetitionError::Clock {
                field: "tender_deadline",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("will not guess"), "{e}");
}

// ---------------------------------------------------------------------------
// The issue's bad input
// ---------------------------------------------------------------------------

#[test]
fn bad_input_a_bid_after_the_deadline() {
    let c = published();
    assert_eq!(c.can_accept_bid(&s1(), t(ASK)), Ok(()));
    let at = c.can_accept_bid(&s1(), t(DEADLINE)).unwrap_err();
    assert_eq!(
        at,
        CompetitionError::AfterDeadline {
            deadline: t(DEADLINE)
        }
    );
    assert_eq!(
        at.to_string(),
        "the tender deadline 2027-01-11T12:00:00+00:00 has passed: nothing can be submitted or changed"
    );
    for later in [deadline_passed(), opened(), awarded()] {
        assert!(matches!(
            later.can_accept_bid(&s1(), t(AFTER)),
            Err(CompetitionError::AfterDeadline { .. })
        ));
    }
    assert!(matches!(
        cancelled().can_accept_bid(&s1(), t(ASK)),
        Err(CompetitionError::Closed { .. })
    ));
    assert!(matches!(
        draft().can_accept_bid(&s1(), t(ASK)),
        Err(CompetitionError::NotInState { .. })
    ));
    let invited = run(
        &draft_with(
            CompetitionRules {
                criteria: criteria(),
                ..CompetitionRules::competitive_flexible(Regime::Pa2023, vec![s1()])
            },
            content(),
        ),
        Command::Publish { by: buyer() },
        PUBLISH,
    );
    assert_eq!(
        invited.can_accept_bid(&s2(), t(ASK)),
        Err(CompetitionError::NotEligible { supplier: s2() })
    );
    assert_eq!(invited.can_accept_bid(&s1(), t(ASK)), Ok(()));
}

#[test]
fn bad_input_a_price_that_is_not_a_number() {
    let bid = BidContent {
        lot: None,
        answers: BTreeMap::from([
            ("Q1".into(), "We will".into()),
            ("Q2".into(), "Well".into()),
        ]),
        prices: BTreeMap::from([("L1".into(), "100".into()), ("L2".into(), "abc".into())]),
        attachments: vec![],
    };
    let errors = published().validate_bid(&bid).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "price for line 'L2' is not a number: 'abc'"
    );
    assert_eq!(
        errors[0],
        CompetitionError::InvalidPrice {
            line: "L2".into(),
            input: "abc".into(),
            problem: "is not a number".into()
        }
    );
}

#[test]
fn bad_input_weights_that_do_not_sum_to_100() {
    let mut r = rules();
    r.criteria.price.as_mut().unwrap().weight = 30;
    let e = decide(
        &draft_with(r.clone(), content()),
        Command::Publish { by: buyer() },
        t(PUBLISH),
    )
    .unwrap_err();
    assert_eq!(e, CompetitionError::WeightsDoNotSum { total: 90 });
    assert_eq!(
        e.to_string(),
        "weights: the criteria's weights add up to 90, not 100"
    );
    r.criteria.price.as_mut().unwrap().weight = 41;
    assert_eq!(
        r.criteria.check(),
        Err(CompetitionError::WeightsDoNotSum { total: 101 })
    );
}

#[test]
fn bad_input_a_second_opener_who_is_the_first_again() {
    let once = run(&deadline_passed(), open_bids(opener2(), bids()), AFTER);
    assert_eq!(
        refuse(&once, open_bids(opener2(), bids()), AFTER),
        CompetitionError::SameOpenerTwice { opener: opener2() }
    );
}

#[test]
fn bad_input_a_question_to_a_closed_competition() {
    let ask = || Command::AskQuestion {
        supplier: s1(),
        asked_by: email("a@supplier-one.co.uk"),
        question: "Still open?".into(),
    };
    let e = refuse(&cancelled(), ask(), ASK);
    assert_eq!(e.to_string(), "the competition is closed: it was cancelled");
    let e = refuse(&published(), ask(), AFTER);
    assert_eq!(
        e.to_string(),
        "the competition is closed: the tender deadline 2027-01-11T12:00:00+00:00 has passed"
    );
    assert!(matches!(
        refuse(&awarded(), ask(), "2027-03-01T00:00:00Z"),
        CompetitionError::Closed { .. }
    ));
    assert!(matches!(
        refuse(&unsuccessful(), ask(), AFTER),
        CompetitionError::Closed { .. }
    ));
}

// ---------------------------------------------------------------------------
// Every refusal: state × command
// ---------------------------------------------------------------------------

fn kind(result: &Result<Vec<Event>, CompetitionError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(CompetitionError::NotInState { .. }) => "state",
        Err(CompetitionError::Closed { .. }) => "closed",
        Err(CompetitionError::AfterDeadline { .. }) => "after",
        Err(CompetitionError::BeforeDeadline { .. }) => "before",
        Err(CompetitionError::Invalid { .. }) => "invalid",
        Err(other) => panic!("unexpected refusal in the table: {other}"),
    }
}

#[test]
fn every_command_in_every_state() {
    let states: Vec<(&str, Competition, &str)> = vec![
        ("draft", draft(), CREATED),
        ("published", published(), ASK),
        ("deadline_passed", deadline_passed(), AFTER),
        ("opened", opened(), EVALUATE),
        ("evaluated", evaluated(), EVALUATE),
        ("award_decided", award_decided(), DECIDE),
        ("standstill", standstill(), NOTICE),
        ("awarded", awarded(), STANDSTILL_END),
        ("cancelled", cancelled(), ASK),
        ("unsuccessful", unsuccessful(), AFTER),
    ];
    let commands: Vec<(&str, Command, [&str; 10])> = vec![
        (
            "revise",
            Command::ReviseDraft {
                by: buyer(),
                content: content(),
            },
            [
                "ok", "state", "state", "state", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "set_rules",
            Command::SetRules {
                by: buyer(),
                rules: rules(),
            },
            [
                "ok", "state", "state", "state", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "assign",
            Command::AssignEvaluators {
                by: buyer(),
                evaluators: vec![eval1(), eval2()],
                moderator: moderator(),
            },
            [
                "ok", "ok", "ok", "ok", "state", "state", "state", "state", "state", "state",
            ],
        ),
        (
            "publish",
            Command::Publish { by: buyer() },
            [
                "ok", "state", "state", "state", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "ask",
            Command::AskQuestion {
                supplier: s2(),
                asked_by: email("x@supplier-two.co.uk"),
                question: "Q?".into(),
            },
            [
                "state", "ok", "closed", "closed", "closed", "closed", "closed", "closed",
                "closed", "closed",
            ],
        ),
        (
            "answer",
            Command::AnswerQuestion {
                by: buyer(),
                number: 1,
                answer: "A.".into(),
            },
            [
                "state", "ok", "closed", "closed", "closed", "closed", "closed", "closed",
                "closed", "closed",
            ],
        ),
        (
            "amend",
            Command::Amend {
                by: buyer(),
                summary: "More time".into(),
                new_deadline: Some(t("2027-01-25T12:00:00Z")),
                add_documents: vec![],
                remove_documents: vec![],
            },
            [
                "state", "ok", "after", "closed", "closed", "closed", "closed", "closed", "closed",
                "closed",
            ],
        ),
        ("tick", Command::Tick, ["ok"; 10]),
        (
            "open",
            open_bids(opener1(), bids()),
            [
                "state", "before", "ok", "state", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "declare",
            Command::DeclareInterest {
                member: eval2(),
                interest: Interest::Conflict {
                    details: "Former employee of a bidder".into(),
                },
            },
            [
                "ok", "ok", "ok", "ok", "state", "state", "state", "state", "state", "state",
            ],
        ),
        (
            "score",
            score(eval1(), "B1", "Q1", 2),
            [
                "state", "state", "state", "ok", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "moderate",
            Command::StartModeration { by: moderator() },
            [
                "state", "state", "state", "ok", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "consensus",
            consensus("B1", "Q1", 3),
            [
                "state", "state", "state", "invalid", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "complete",
            Command::CompleteEvaluation { by: moderator() },
            [
                "state", "state", "state", "invalid", "state", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "decide",
            decide_award(),
            [
                "state", "state", "state", "state", "ok", "state", "state", "state", "state",
                "state",
            ],
        ),
        (
            "notice",
            Command::IssueAwardNotice { by: buyer() },
            [
                "state", "state", "state", "state", "state", "ok", "state", "state", "state",
                "state",
            ],
        ),
        (
            "cancel",
            Command::Cancel {
                by: buyer(),
                reason: "Budget withdrawn".into(),
            },
            [
                "ok", "ok", "ok", "ok", "ok", "ok", "ok", "state", "state", "state",
            ],
        ),
        (
            "unsuccessful",
            Command::CloseUnsuccessful {
                by: buyer(),
                reason: "No suitable bids".into(),
            },
            [
                "ok", "ok", "ok", "ok", "ok", "ok", "ok", "state", "state", "state",
            ],
        ),
    ];
    let mut mismatches = Vec::new();
    for (name, command, expected) in &commands {
        for ((state, c, now), want) in states.iter().zip(expected) {
            let got = kind(&decide(c, command.clone(), t(now)));
            if got != *want {
                mismatches.push(format!("{name} in {state}: expected {want}, got {got}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn the_table_names_the_action_and_the_state() {
    let e = refuse(
        &awarded(),
        Command::Cancel {
            by: buyer(),
            reason: "x".into(),
        },
        STANDSTILL_END,
    );
    assert_eq!(e.to_string(), "cannot cancel: the competition is awarded");
    let e = refuse(&published(), Command::Publish { by: buyer() }, ASK);
    assert_eq!(
        e.to_string(),
        "cannot publish: the competition is published"
    );
    let e = refuse(
        &published(),
        Command::Cancel {
            by: buyer(),
            reason: "  ".into(),
        },
        ASK,
    );
    assert_eq!(e.to_string(), "reason: enter the reason");
}

#[test]
fn closing_tells_whoever_knew_of_the_competition() {
    let events = events_of(
        &draft(),
        Command::Cancel {
            by: buyer(),
            reason: "Not needed".into(),
        },
        CREATED,
    );
    assert!(matches!(
        &events[..],
        [Event::Cancelled { notice: None, .. }]
    ));
    let events = events_of(
        &published(),
        Command::Cancel {
            by: buyer(),
            reason: "Not needed".into(),
        },
        ASK,
    );
    let [
        Event::Cancelled {
            notice: Some(n),
            closure,
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        n.audience,
        Audience::InvitedAndInterested { invited: vec![] }
    );
    assert!(n.body.contains("Reason: Not needed"));
    assert_eq!(closure.from_state, "published");
    let events = events_of(
        &evaluated(),
        Command::Cancel {
            by: buyer(),
            reason: "Not needed".into(),
        },
        DECIDE,
    );
    let [
        Event::Cancelled {
            notice: Some(n), ..
        },
    ] = &events[..]
    else {
        panic!()
    };
    assert_eq!(
        n.audience,
        Audience::Bidders {
            suppliers: vec![s1(), s2()]
        }
    );
}

// ---------------------------------------------------------------------------
// Evaluation rules and isolation
// ---------------------------------------------------------------------------

#[test]
fn evaluators_declare_before_they_see_bids_and_a_conflict_excludes() {
    let mut c = deadline_passed();
    c.evaluation.declarations.clear();
    let c = run(&c, open_bids(opener1(), bids()), AFTER);
    let c = run(&c, open_bids(opener2(), bids()), AFTER);
    assert!(!c.may_view_bids(&eval1()), "undeclared");
    let e = c.check_may_view_bids(&eval1()).unwrap_err();
    assert!(e.to_string().contains("must first declare"), "{e}");
    let e = refuse(&c, score(eval1(), "B1", "Q1", 3), EVALUATE);
    assert!(matches!(e, CompetitionError::NotAuthorised { .. }), "{e}");

    let c = run(
        &c,
        Command::DeclareInterest {
            member: eval1(),
            interest: Interest::NoConflict,
        },
        EVALUATE,
    );
    assert!(c.may_view_bids(&eval1()));
    let c = run(
        &c,
        Command::DeclareInterest {
            member: eval2(),
            interest: Interest::Conflict {
                details: "My spouse works for GB-COH-00000002".into(),
            },
        },
        EVALUATE,
    );
    assert!(!c.may_view_bids(&eval2()));
    let e = refuse(&c, score(eval2(), "B1", "Q1", 3), EVALUATE);
    assert!(e.to_string().contains("declared a conflict"), "{e}");
    let e = refuse(
        &c,
        Command::DeclareInterest {
            member: eval2(),
            interest: Interest::NoConflict,
        },
        EVALUATE,
    );
    assert!(e.to_string().contains("is excluded"), "{e}");
    let e = refuse(
        &c,
        Command::DeclareInterest {
            member: eval1(),
            interest: Interest::NoConflict,
        },
        EVALUATE,
    );
    assert!(e.to_string().contains("already declared"), "{e}");
    let e = refuse(
        &c,
        Command::DeclareInterest {
            member: email("stranger@x.gov.uk"),
            interest: Interest::NoConflict,
        },
        EVALUATE,
    );
    assert!(matches!(e, CompetitionError::NotAuthorised { .. }));
    let e = refuse(
        &c,
        Command::DeclareInterest {
            member: eval1(),
            interest: Interest::Conflict {
                details: " ".into(),
            },
        },
        EVALUATE,
    );
    assert_eq!(e.field(), "details");
    assert!(!c.may_view_bids(&opener1()), "openers are not evaluators");
    assert!(
        !published().may_view_bids(&eval1()),
        "nobody sees bids before opening"
    );
    assert!(!cancelled().may_view_bids(&eval1()));
    // The excluded evaluator's scores are not needed for moderation.
    let mut c = run(
        &c,
        Command::DeclareInterest {
            member: moderator(),
            interest: Interest::NoConflict,
        },
        EVALUATE,
    );
    for (bid, q) in [("B1", "Q1"), ("B1", "Q2"), ("B2", "Q1"), ("B2", "Q2")] {
        c = run(&c, score(eval1(), bid, q, 3), EVALUATE);
    }
    assert_eq!(
        run(&c, Command::StartModeration { by: moderator() }, EVALUATE)
            .evaluation
            .moderation_started_at,
        Some(t(EVALUATE))
    );
    let e = refuse(
        &c,
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![eval1(), eval2()],
            moderator: moderator(),
        },
        EVALUATE,
    );
    assert!(e.to_string().contains("declared a conflict"), "{e}");
}

#[test]
fn scores_must_be_on_the_scale_with_a_reason_for_a_real_bid_and_question() {
    let c = opened();
    let e = refuse(&c, score(eval1(), "B1", "Q1", 6), EVALUATE);
    assert_eq!(
        e.to_string(),
        "score: 6 is not on question Q1's scale: score from 0 to 5"
    );
    let e = refuse(
        &c,
        Command::RecordScore {
            evaluator: eval1(),
            bid_id: "B1".into(),
            question_id: "Q1".into(),
            score: 3,
            reason: " ".into(),
        },
        EVALUATE,
    );
    assert_eq!(e.field(), "reason");
    assert_eq!(
        refuse(&c, score(eval1(), "B9", "Q1", 3), EVALUATE).field(),
        "bid_id"
    );
    assert_eq!(
        refuse(&c, score(eval1(), "B1", "Q9", 3), EVALUATE).field(),
        "question_id"
    );
    let e = refuse(&c, score(moderator(), "B1", "Q1", 3), EVALUATE);
    assert!(e.to_string().contains("not an evaluator"), "{e}");
    // Re-scoring replaces.
    let c2 = run(&c, score(eval1(), "B1", "Q1", 5), EVALUATE);
    assert_eq!(c2.evaluation.scores.len(), c.evaluation.scores.len());
    assert_eq!(c2.evaluation.score(&eval1(), "B1", "Q1").unwrap().score, 5);
    // After moderation starts, scores are final.
    let m = run(&c, Command::StartModeration { by: moderator() }, EVALUATE);
    assert!(
        refuse(&m, score(eval1(), "B1", "Q1", 5), EVALUATE)
            .to_string()
            .contains("final")
    );
    let e = refuse(&m, Command::StartModeration { by: moderator() }, EVALUATE);
    assert!(e.to_string().contains("already started"));
    let e = refuse(
        &m,
        Command::RecordConsensus {
            moderator: eval1(),
            bid_id: "B1".into(),
            question_id: "Q1".into(),
            score: 3,
            reason: "x".into(),
        },
        EVALUATE,
    );
    assert!(matches!(e, CompetitionError::NotAuthorised { .. }), "{e}");
    let e = refuse(
        &m,
        Command::CompleteEvaluation { by: moderator() },
        EVALUATE,
    );
    assert_eq!(
        e.to_string(),
        "consensus: bid B1 has no consensus score for question Q1"
    );
}

#[test]
fn moderation_waits_for_every_evaluator() {
    let mut c = opened_with(bids());
    c = run(&c, score(eval1(), "B1", "Q1", 3), EVALUATE);
    let e = refuse(&c, Command::StartModeration { by: moderator() }, EVALUATE);
    assert_eq!(
        e.to_string(),
        "moderation: eval1@camden.gov.uk has 3 answer(s) still to score"
    );
    let e = refuse(&c, Command::StartModeration { by: eval1() }, EVALUATE);
    assert!(matches!(e, CompetitionError::NotAuthorised { .. }));
}

#[test]
fn an_evaluator_never_sees_another_evaluators_scores_before_moderation() {
    let c = opened();
    let mine = c.scores_visible_to(ScoresViewer::Person(&eval1()));
    assert_eq!(mine.individual.len(), 4);
    assert!(mine.individual.iter().all(|s| s.evaluator == eval1()));
    assert!(mine.consensus.is_empty());
    let theirs = c.scores_visible_to(ScoresViewer::Person(&eval2()));
    assert!(theirs.individual.iter().all(|s| s.evaluator == eval2()));
    assert!(
        c.scores_visible_to(ScoresViewer::Person(&moderator()))
            .individual
            .is_empty()
    );
    assert!(
        c.scores_visible_to(ScoresViewer::Buyer)
            .individual
            .is_empty()
    );
    assert!(
        c.scores_visible_to(ScoresViewer::Person(&opener1()))
            .individual
            .is_empty()
    );
    let progress = c.evaluation_progress();
    assert_eq!(
        progress
            .iter()
            .map(|p| (p.scored, p.to_score))
            .collect::<Vec<_>>(),
        [(4, 4), (4, 4)]
    );

    let m = run(&c, Command::StartModeration { by: moderator() }, EVALUATE);
    assert_eq!(
        m.scores_visible_to(ScoresViewer::Person(&eval1()))
            .individual
            .len(),
        8
    );
    assert_eq!(
        m.scores_visible_to(ScoresViewer::Person(&moderator()))
            .individual
            .len(),
        8
    );
    assert_eq!(m.scores_visible_to(ScoresViewer::Buyer).individual.len(), 8);
    assert!(
        m.scores_visible_to(ScoresViewer::Person(&opener1()))
            .individual
            .is_empty()
    );
}

#[test]
fn a_supplier_sees_its_own_questions_and_published_answers_never_the_asker() {
    let mut c = published();
    let other = email("tenders@supplier-two.co.uk");
    for (supplier, who, q) in [
        (
            s1(),
            email("bids@supplier-one.co.uk"),
            "Is hosting included?",
        ),
        (s2(), other.clone(), "Do you accept consortia bids?"),
        (s2(), other.clone(), "What is the budget?"),
    ] {
        c = run(
            &c,
            Command::AskQuestion {
                supplier,
                asked_by: who,
                question: q.into(),
            },
            ASK,
        );
    }
    c = run(
        &c,
        Command::AnswerQuestion {
            by: buyer(),
            number: 3,
            answer: "Yes.".into(),
        },
        ASK,
    );

    let view = c.clarifications_for_supplier(&s1());
    let numbers: Vec<(u32, bool, Option<&str>)> = view
        .iter()
        .map(|v| (v.number, v.asked_by_you, v.answer.as_deref()))
        .collect();
    assert_eq!(
        numbers,
        vec![(1, true, None), (2, true, None), (3, false, Some("Yes."))]
    );
    let json = serde_json::to_string(&view).unwrap();
    assert!(
        !json.contains(s2().as_str()) && !json.contains("supplier-two") && !json.contains("budget"),
        "{json}"
    );

    let public = c.published_answers();
    assert_eq!(public.len(), 1);
    assert!(!public[0].asked_by_you);
    let s2_view = c.clarifications_for_supplier(&s2());
    assert_eq!(s2_view.iter().map(|v| v.number).collect::<Vec<_>>(), [3, 4]);
    assert!(
        !serde_json::to_string(&s2_view)
            .unwrap()
            .contains("supplier-one")
    );

    let invited = run(
        &draft_with(
            CompetitionRules {
                criteria: criteria(),
                ..CompetitionRules::competitive_flexible(Regime::Pa2023, vec![s1()])
            },
            content(),
        ),
        Command::Publish { by: buyer() },
        PUBLISH,
    );
    assert!(invited.visible_to_supplier(&s1()));
    assert!(!invited.visible_to_supplier(&s2()));
    assert!(invited.clarifications_for_supplier(&s2()).is_empty());
    let e = refuse(
        &invited,
        Command::AskQuestion {
            supplier: s2(),
            asked_by: other,
            question: "May we bid?".into(),
        },
        ASK,
    );
    assert_eq!(e, CompetitionError::NotEligible { supplier: s2() });
    assert!(!draft().visible_to_supplier(&s1()));
    assert!(draft().public_view().is_none());
}

#[test]
fn the_public_view_has_what_suppliers_need_and_nothing_internal() {
    let c = opened();
    let view = c.public_view().unwrap();
    assert_eq!(view.title, "Housing management system");
    assert_eq!(view.tender_deadline, Some(t(DEADLINE)));
    assert!(
        view.price_formula
            .unwrap()
            .starts_with("Price score = 40 × (lowest total price ÷ this bid's total price)")
    );
    let json = serde_json::to_string(&c.public_view()).unwrap();
    for secret in [
        "eval1@",
        "moderator@",
        "B1",
        "scored",
        "opener1@",
        "bids@supplier-one",
    ] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
}

// ---------------------------------------------------------------------------
// Drafts and rules
// ---------------------------------------------------------------------------

#[test]
fn drafts_and_rules_are_checked_when_changed() {
    let c = draft();
    let e = refuse(
        &c,
        Command::ReviseDraft {
            by: buyer(),
            content: DraftContent {
                buyer: hackney(),
                ..content()
            },
        },
        CREATED,
    );
    assert!(e.to_string().contains("cannot be changed"), "{e}");
    let mut dup = content();
    dup.price_schedule.push(dup.price_schedule[0].clone());
    assert!(
        refuse(
            &c,
            Command::ReviseDraft {
                by: buyer(),
                content: dup
            },
            CREATED
        )
        .to_string()
        .contains("used twice")
    );
    let mut bad_line = content();
    bad_line.price_schedule[0].lot = Some("9".into());
    assert!(
        refuse(
            &c,
            Command::ReviseDraft {
                by: buyer(),
                content: bad_line
            },
            CREATED
        )
        .to_string()
        .contains("does not exist")
    );
    let mut backwards = content();
    backwards.contract_end = Some(date(2026, 1, 1));
    assert_eq!(
        refuse(
            &c,
            Command::ReviseDraft {
                by: buyer(),
                content: backwards
            },
            CREATED
        )
        .field(),
        "contract_end"
    );
    let revised = run(
        &c,
        Command::ReviseDraft {
            by: buyer(),
            content: DraftContent {
                title: "New title".into(),
                ..content()
            },
        },
        CREATED,
    );
    assert_eq!(revised.content.title, "New title");

    let mut no_guidance = rules();
    no_guidance.criteria.questions[0].scale.guidance.pop();
    let e = refuse(
        &c,
        Command::SetRules {
            by: buyer(),
            rules: no_guidance,
        },
        CREATED,
    );
    assert_eq!(
        e.to_string(),
        "criteria.questions[1].scale.guidance: question Q1's scale 0–5 has 6 scores but guidance for 5: give guidance for each score"
    );
    let open_but_invited = CompetitionRules {
        eligibility: Eligibility::Invited(vec![s1()]),
        ..rules()
    };
    assert_eq!(
        refuse(
            &c,
            Command::SetRules {
                by: buyer(),
                rules: open_but_invited
            },
            CREATED
        )
        .field(),
        "eligibility"
    );
    let wrong_period = CompetitionRules {
        minimum_tendering: Some(Period::Standstill),
        ..rules()
    };
    assert_eq!(
        refuse(
            &c,
            Command::SetRules {
                by: buyer(),
                rules: wrong_period
            },
            CREATED
        )
        .field(),
        "minimum_tendering"
    );
    let pa_dps = CompetitionRules {
        minimum_tendering: Some(Period::DpsAssessment),
        ..rules()
    };
    assert!(
        refuse(
            &c,
            Command::SetRules {
                by: buyer(),
                rules: pa_dps
            },
            CREATED
        )
        .to_string()
        .contains("not a minimum tendering period")
    );

    let e = refuse(
        &c,
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![],
            moderator: moderator(),
        },
        CREATED,
    );
    assert_eq!(e.field(), "evaluators");
    let e = refuse(
        &c,
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![eval1(), moderator()],
            moderator: moderator(),
        },
        CREATED,
    );
    assert_eq!(e.field(), "moderator");
    let e = refuse(
        &c,
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![eval1(), eval1()],
            moderator: moderator(),
        },
        CREATED,
    );
    assert!(e.to_string().contains("listed twice"));
}

#[test]
fn standard_rules_for_each_route() {
    let open = CompetitionRules::open_procedure(Regime::Pcr2015);
    assert_eq!(
        (
            open.standstill,
            open.minimum_tendering,
            open.eligibility.clone()
        ),
        (
            Standstill::Mandatory,
            Some(Period::Tendering),
            Eligibility::Open
        )
    );
    let fc = CompetitionRules::framework_further_competition(Regime::Pcr2015, vec![s1()]);
    assert_eq!(
        (fc.standstill, fc.minimum_tendering),
        (Standstill::None, None)
    );
    let dm = CompetitionRules::dynamic_market_award(Regime::Pa2023, vec![s1()]);
    assert_eq!(
        (dm.standstill, dm.minimum_tendering),
        (Standstill::None, Some(Period::CallOffTendering))
    );
    assert_eq!(
        dm.procedure.label(Regime::Pcr2015),
        "Call-off under a dynamic purchasing system"
    );
    for r in [
        open,
        fc,
        dm,
        CompetitionRules::competitive_flexible(Regime::Pa2023, vec![s1()]),
    ] {
        let notes = r.notes();
        let abouts: Vec<&str> = notes.iter().map(|n| n.about.as_str()).collect();
        assert_eq!(
            abouts,
            ["procedure", "minimum_tendering", "standstill"],
            "{:?}",
            r.procedure
        );
        assert!(
            notes
                .iter()
                .all(|n| !n.source.is_empty() && !n.text.is_empty())
        );
    }
}

// ---------------------------------------------------------------------------
// Open data
// ---------------------------------------------------------------------------

fn names() -> BTreeMap<OrgId, String> {
    BTreeMap::from([
        (camden(), "London Borough of Camden".to_string()),
        (s2(), "Supplier Two Ltd".to_string()),
    ])
}

fn meta(id: &str) -> ReleaseMeta<'_> {
    ReleaseMeta {
        ocid: "ocds-b5fd17-42",
        release_id: id,
        date: t(NOTICE),
    }
}

#[test]
fn ocds_tender_release_on_publication_and_amendment() {
    assert_eq!(ocds::ocid("ocds-b5fd17", "42"), "ocds-b5fd17-42");
    let c = published();
    let events = events_of(&draft(), Command::Publish { by: buyer() }, PUBLISH);
    assert_eq!(ocds::stage_after(&events[0]), Some(Stage::Tender));
    let r = ocds::release(&c, Stage::Tender, &meta("ocds-b5fd17-42-1"), &names());
    assert_eq!(r["ocid"], "ocds-b5fd17-42");
    assert_eq!(r["id"], "ocds-b5fd17-42-1");
    assert_eq!(r["tag"], serde_json::json!(["tender"]));
    assert_eq!(r["initiationType"], "tender");
    assert_eq!(
        r["buyer"],
        serde_json::json!({"id": "GB-LAE-CMD", "name": "London Borough of Camden"})
    );
    assert_eq!(
        r["parties"][0]["roles"],
        serde_json::json!(["buyer", "procuringEntity"])
    );
    assert_eq!(
        r["parties"][0]["identifier"],
        serde_json::json!({"scheme": "GB-LAE", "id": "CMD"})
    );
    let tender = &r["tender"];
    assert_eq!(tender["status"], "active");
    assert_eq!(tender["procurementMethod"], "open");
    assert_eq!(tender["awardCriteria"], "ratedCriteria");
    assert!(
        tender["awardCriteriaDetails"]
            .as_str()
            .unwrap()
            .contains("Price (weight 40)")
    );
    assert_eq!(
        tender["tenderPeriod"],
        serde_json::json!({"startDate": "2026-12-07T10:00:00+00:00", "endDate": "2027-01-11T12:00:00+00:00"})
    );
    assert_eq!(
        tender["contractPeriod"]["startDate"],
        "2027-04-01T00:00:00+01:00"
    );
    assert_eq!(tender["documents"][0]["documentType"], "biddingDocuments");
    assert_eq!(tender["documents"][0]["format"], "application/pdf");
    assert_eq!(tender["hasEnquiries"], true);
    assert!(
        tender.get("numberOfTenderers").is_none(),
        "unknown before opening"
    );

    let amended = run(
        &c,
        Command::Amend {
            by: buyer(),
            summary: "More time".into(),
            new_deadline: Some(t("2027-01-18T12:00:00Z")),
            add_documents: vec![],
            remove_documents: vec![],
        },
        ASK,
    );
    let r = ocds::tender_release(&amended, &meta("ocds-b5fd17-42-2"), &names());
    assert_eq!(r["tag"], serde_json::json!(["tenderAmendment"]));
    assert_eq!(r["tender"]["amendments"][0]["rationale"], "More time");
    assert_eq!(
        r["tender"]["tenderPeriod"]["endDate"],
        "2027-01-18T12:00:00+00:00"
    );
    let r = ocds::tender_release(&cancelled(), &meta("x"), &names());
    assert_eq!(
        (r["tag"][0].as_str(), r["tender"]["status"].as_str()),
        (Some("tenderCancellation"), Some("cancelled"))
    );
}

#[test]
fn ocds_award_and_contract_releases() {
    let c = standstill();
    let r = ocds::award_release(&c, &meta("ocds-b5fd17-42-3"), &names());
    assert_eq!(r["tag"], serde_json::json!(["award"]));
    assert_eq!(r["tender"]["numberOfTenderers"], 2);
    assert_eq!(r["tender"]["status"], "complete");
    let award = &r["awards"][0];
    assert_eq!(award["id"], "A1");
    assert_eq!(award["status"], "pending");
    assert_eq!(
        award["value"],
        serde_json::json!({"amount": 12500, "currency": "GBP"})
    );
    assert_eq!(
        award["suppliers"],
        serde_json::json!([{"id": "GB-COH-00000002", "name": "Supplier Two Ltd"}])
    );
    let roles: Vec<(String, serde_json::Value)> = r["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["roles"].clone()))
        .collect();
    assert!(
        roles.contains(&(
            "GB-COH-00000002".into(),
            serde_json::json!(["tenderer", "supplier"])
        )),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("GB-COH-00000001".into(), serde_json::json!(["tenderer"]))),
        "{roles:?}"
    );

    let done = awarded();
    let r = ocds::contract_release(&done, &meta("ocds-b5fd17-42-4"), &names());
    assert_eq!(r["tag"], serde_json::json!(["contract"]));
    assert_eq!(r["awards"][0]["status"], "active");
    let k = &r["contracts"][0];
    assert_eq!(k["awardID"], "A1");
    assert_eq!(k["value"]["amount"], 12500);
    assert_eq!(
        k["period"],
        serde_json::json!({"startDate": "2027-04-01T00:00:00+01:00", "endDate": "2030-04-01T00:00:00+01:00"})
    );
    assert_eq!(ocds::value(123_456)["amount"], serde_json::json!(1234.56));
    assert_eq!(ocds::value(5)["amount"], serde_json::json!(0.05));
    let events = events_of(&standstill(), Command::Tick, STANDSTILL_END);
    assert_eq!(
        events.iter().map(ocds::stage_after).collect::<Vec<_>>(),
        [None, Some(Stage::Contract)]
    );
}

// ---------------------------------------------------------------------------
// Rules the pages and the store ask the domain for
// ---------------------------------------------------------------------------

/// One run through the whole life of a competition, plus a cancellation and an
/// unsuccessful closure: between them every kind of event.
fn every_kind_of_event() -> Vec<Event> {
    let mut log = vec![Competition::create("42", rules(), content(), buyer(), t(CREATED)).unwrap()];
    let mut step = |c: Competition, command: Command, now: &str| -> Competition {
        let (next, events) = c
            .execute(command.clone(), t(now))
            .unwrap_or_else(|e| panic!("{command:?} at {now} refused: {e}"));
        log.extend(events);
        next
    };
    let mut c = draft_with(rules(), content());
    c = step(
        c,
        Command::ReviseDraft {
            by: buyer(),
            content: content(),
        },
        CREATED,
    );
    c = step(
        c,
        Command::SetRules {
            by: buyer(),
            rules: rules(),
        },
        CREATED,
    );
    c = step(
        c,
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![eval1(), eval2()],
            moderator: moderator(),
        },
        CREATED,
    );
    for member in [eval1(), eval2(), moderator()] {
        let declare = Command::DeclareInterest {
            member,
            interest: Interest::NoConflict,
        };
        c = step(c, declare, CREATED);
    }
    c = step(c, Command::Publish { by: buyer() }, PUBLISH);
    let ask = Command::AskQuestion {
        supplier: s1(),
        asked_by: email("bids@supplier-one.co.uk"),
        question: "Is data migration in scope?".into(),
    };
    c = step(c, ask, ASK);
    let answer = Command::AnswerQuestion {
        by: buyer(),
        number: 1,
        answer: "Yes.".into(),
    };
    c = step(c, answer, ASK);
    let amend = Command::Amend {
        by: buyer(),
        summary: "The specification is clarified".into(),
        new_deadline: None,
        add_documents: Vec::new(),
        remove_documents: Vec::new(),
    };
    c = step(c, amend, ASK);
    c = step(c, Command::Tick, AFTER);
    c = step(c, open_bids(opener1(), bids()), AFTER);
    c = step(c, open_bids(opener2(), bids()), AFTER);
    for e in [eval1(), eval2()] {
        for (bid, q, s) in [
            ("B1", "Q1", 3),
            ("B1", "Q2", 3),
            ("B2", "Q1", 4),
            ("B2", "Q2", 4),
        ] {
            c = step(c, score(e.clone(), bid, q, s), EVALUATE);
        }
    }
    c = step(c, Command::StartModeration { by: moderator() }, EVALUATE);
    for (bid, q, s) in [
        ("B1", "Q1", 3),
        ("B1", "Q2", 3),
        ("B2", "Q1", 4),
        ("B2", "Q2", 4),
    ] {
        c = step(c, consensus(bid, q, s), EVALUATE);
    }
    c = step(c, Command::CompleteEvaluation { by: moderator() }, EVALUATE);
    c = step(c, decide_award(), DECIDE);
    c = step(c, Command::IssueAwardNotice { by: buyer() }, NOTICE);
    c = step(c, Command::Tick, STANDSTILL_END);
    assert_eq!(c.status, Status::Awarded);
    let cancel = Command::Cancel {
        by: buyer(),
        reason: "The requirement has changed".into(),
    };
    log.extend(events_of(&published(), cancel, ASK));
    let close = Command::CloseUnsuccessful {
        by: buyer(),
        reason: "No bids were received".into(),
    };
    log.extend(events_of(&deadline_passed(), close, AFTER));
    log
}

#[test]
fn every_event_kind_has_a_history_audience() {
    use EventAudience::{Buyer, Insiders, Public};
    let expected = BTreeMap::from([
        ("created", Buyer),
        ("draft_revised", Buyer),
        ("rules_set", Buyer),
        ("evaluators_assigned", Buyer),
        ("published", Public),
        ("question_asked", Buyer),
        ("question_answered", Public),
        ("amended", Public),
        ("deadline_passed", Public),
        ("opener_approved", Insiders),
        ("opened", Public),
        ("interest_declared", Buyer),
        ("score_recorded", Buyer),
        ("moderation_started", Buyer),
        ("consensus_recorded", Buyer),
        ("evaluated", Buyer),
        ("award_decided", Buyer),
        ("award_notice_issued", Public),
        ("standstill_ended", Public),
        ("awarded", Public),
        ("cancelled", Public),
        ("closed_unsuccessful", Public),
    ]);
    let events = every_kind_of_event();
    let kinds: BTreeSet<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(kinds, expected.keys().copied().collect::<BTreeSet<_>>());
    for e in &events {
        assert_eq!(e.audience(), expected[e.kind()], "{}", e.kind());
    }
}

#[test]
fn history_shows_the_buyer_everything_insiders_the_opening_and_suppliers_no_names() {
    use HistoryDetail::{Anonymous, Hidden, WithActor};
    for e in every_kind_of_event() {
        let (buyer, insider, public) = match e.audience() {
            EventAudience::Public => (WithActor, Anonymous, Anonymous),
            EventAudience::Insiders => (WithActor, WithActor, Hidden),
            EventAudience::Buyer => (WithActor, Hidden, Hidden),
        };
        assert_eq!(
            e.history_detail(HistoryViewer::Buyer),
            buyer,
            "{}",
            e.kind()
        );
        assert_eq!(
            e.history_detail(HistoryViewer::Insider),
            insider,
            "{}",
            e.kind()
        );
        assert_eq!(
            e.history_detail(HistoryViewer::Public),
            public,
            "{}",
            e.kind()
        );
    }
    let asked = events_of(
        &published(),
        Command::AskQuestion {
            supplier: s2(),
            asked_by: email("bids@supplier-two.co.uk"),
            question: "Who else is bidding?".into(),
        },
        ASK,
    );
    assert_eq!(asked[0].history_detail(HistoryViewer::Public), Hidden);
    assert_eq!(asked[0].history_detail(HistoryViewer::Insider), Hidden);
}

#[test]
fn the_minimum_tendering_period_is_the_one_publication_checks_against() {
    let c = draft();
    let m = c.minimum_tendering(t(PUBLISH)).unwrap().unwrap();
    assert_eq!(m.earliest, t("2027-01-01T00:00:00Z"));
    assert_eq!(m.period.last_day, date(2027, 1, 1));
    assert_eq!(
        m.rule,
        "with 2027-01-01 (the deadline may fall at any time that day)"
    );
    let publication = published().publication.unwrap();
    assert_eq!(publication.earliest_lawful_deadline, Some(m.earliest));
    assert_eq!(publication.minimum_period.as_ref(), Some(&m.period));

    let mut early = c.clone();
    early.content.tender_deadline = Some(t("2026-12-31T23:59:59Z"));
    let too_soon = early
        .publish_problems(t(PUBLISH))
        .into_iter()
        .find_map(|e| match e {
            CompetitionError::DeadlineTooSoon {
                earliest,
                rule,
                citation,
                ..
            } => Some((earliest, rule, citation)),
            _ => None,
        })
        .expect("a deadline before the earliest is refused");
    assert_eq!(too_soon, (m.earliest, m.rule.clone(), m.period.citation()));

    let mut none = c.clone();
    none.rules.minimum_tendering = None;
    assert_eq!(none.minimum_tendering(t(PUBLISH)).unwrap(), None);
}

#[test]
fn the_deadline_reminder_is_due_48_hours_ahead_while_published() {
    let c = published();
    let due = t("2027-01-09T12:00:00Z");
    assert_eq!(c.reminder_due(), Some(due));
    assert_eq!(
        DEADLINE_REMINDER_BEFORE,
        jiff::SignedDuration::from_hours(48)
    );
    for other in [draft(), deadline_passed(), cancelled()] {
        assert_eq!(other.reminder_due(), None, "{}", other.status);
        assert_eq!(other.deadline_reminder(due), None, "{}", other.status);
    }
    assert_eq!(c.deadline_reminder(t("2027-01-09T11:59:59Z")), None);
    assert_eq!(c.deadline_reminder(t(DEADLINE)), None);
    let notice = c.deadline_reminder(due).expect("due at 48 hours before");
    assert_eq!(
        notice.audience,
        Audience::InvitedAndInterested {
            invited: Vec::new()
        }
    );
    assert_eq!(
        notice.subject,
        "Tender deadline approaching: Housing management system"
    );
    assert!(
        notice.body.starts_with(
            "The tender deadline for \"Housing management system\" is 2027-01-11T12:00:00+00:00."
        ),
        "{}",
        notice.body
    );
    assert!(c.deadline_reminder(t("2027-01-11T11:59:59Z")).is_some());

    let extended = run(
        &c,
        Command::Amend {
            by: buyer(),
            summary: "More time".into(),
            new_deadline: Some(t("2027-01-18T12:00:00Z")),
            add_documents: Vec::new(),
            remove_documents: Vec::new(),
        },
        ASK,
    );
    assert_eq!(extended.reminder_due(), Some(t("2027-01-16T12:00:00Z")));
    assert_eq!(extended.deadline_reminder(due), None);
}

#[test]
fn a_status_comes_back_from_its_id_with_its_reason() {
    let reason = "The requirement has changed".to_string();
    let all = [
        Status::Draft,
        Status::Published,
        Status::DeadlinePassed,
        Status::Opened,
        Status::Evaluated,
        Status::AwardDecided,
        Status::Standstill,
        Status::Awarded,
        Status::Cancelled {
            reason: reason.clone(),
        },
        Status::Unsuccessful {
            reason: reason.clone(),
        },
    ];
    for status in all {
        assert_eq!(
            Status::from_id(status.id(), reason.clone()),
            Some(status.clone())
        );
    }
    assert_eq!(
        Status::from_id("cancelled", String::new()),
        Some(Status::Cancelled {
            reason: String::new()
        })
    );
    assert_eq!(Status::from_id("Published", String::new()), None);
    assert_eq!(Status::from_id("withdrawn", reason), None);
}

#[test]
fn who_may_score_or_moderate_is_exactly_what_the_commands_accept() {
    let conflicted = run(
        &opened_with(bids()),
        Command::DeclareInterest {
            member: eval2(),
            interest: Interest::Conflict {
                details: "Former employee of Supplier Two".into(),
            },
        },
        EVALUATE,
    );
    let moderating = run(
        &opened(),
        Command::StartModeration { by: moderator() },
        EVALUATE,
    );
    let states = [
        ("published", published()),
        ("deadline passed", deadline_passed()),
        ("opened", opened_with(bids())),
        ("conflicted", conflicted),
        ("moderating", moderating),
        ("evaluated", evaluated()),
    ];
    let people = [eval1(), eval2(), moderator(), buyer(), opener1()];
    let mut scorers = 0;
    let mut moderators = 0;
    for (name, c) in &states {
        for p in &people {
            let scores = decide(c, score(p.clone(), "B1", "Q1", 3), t(EVALUATE)).is_ok();
            assert_eq!(c.may_score(p), scores, "{name}: {p} scoring");
            let agree = Command::RecordConsensus {
                moderator: p.clone(),
                bid_id: "B1".into(),
                question_id: "Q1".into(),
                score: 3,
                reason: "agreed".into(),
            };
            let moderates = decide(c, agree, t(EVALUATE)).is_ok();
            assert_eq!(
                c.may_record_consensus(p),
                moderates,
                "{name}: {p} moderating"
            );
            scorers += usize::from(scores);
            moderators += usize::from(moderates);
        }
    }
    // eval1 and eval2 in "opened", eval1 alone in "conflicted"; the moderator
    // once moderation has started.
    assert_eq!((scorers, moderators), (3, 1));
    let conflicted = &states[3].1;
    assert!(matches!(
        conflicted.check_may_score(&eval2()),
        Err(CompetitionError::NotAuthorised { .. })
    ));
}

#[test]
fn an_evaluation_team_member_moves_from_declaring_to_scoring() {
    let conflicted = run(
        &opened_with(bids()),
        Command::DeclareInterest {
            member: eval2(),
            interest: Interest::Conflict {
                details: "Former employee of Supplier Two".into(),
            },
        },
        EVALUATE,
    );
    let stages = [
        (draft(), eval1(), EvaluationStage::Declare),
        (published(), eval1(), EvaluationStage::Waiting),
        (cancelled(), eval1(), EvaluationStage::Closed),
        (opened(), eval1(), EvaluationStage::Scoring),
        (awarded(), moderator(), EvaluationStage::Scoring),
        (conflicted.clone(), eval2(), EvaluationStage::Excluded),
        (conflicted, eval1(), EvaluationStage::Scoring),
    ];
    for (c, member, stage) in stages {
        assert_eq!(
            c.evaluation_stage(&member),
            stage,
            "{member} in {}",
            c.status
        );
    }
    assert_eq!(EvaluationStage::Scoring.id(), "scoring");
    assert_eq!(EvaluationStage::Declare.id(), "declare");
}

#[test]
fn open_for_bids_means_published_and_before_the_deadline() {
    let c = published();
    assert!(c.is_open_for_bids(t(ASK)));
    assert!(c.is_open_for_bids(t("2027-01-11T11:59:59Z")));
    assert!(!c.is_open_for_bids(t(DEADLINE)));
    for closed in [draft(), deadline_passed(), cancelled(), awarded()] {
        assert!(!closed.is_open_for_bids(t(ASK)), "{}", closed.status);
    }
    for now in [ASK, DEADLINE] {
        assert_eq!(
            c.is_open_for_bids(t(now)),
            c.can_accept_bid(&s1(), t(now)).is_ok(),
            "{now}"
        );
    }
}
