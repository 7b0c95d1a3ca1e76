//! Scoring, ranking and bids: the weights rule, price formulas, quality points,
//! the ranking's total order and tie-break, bid validation, the canonical bid
//! encoding and receipts. Property tests where a rule has many cases.

use consort_core::calendar::Regime;
use consort_core::competition::{
    AttachmentMeta, AwardCriteria, BidContent, BidSummary, Command, Competition, CompetitionError,
    CompetitionRules, DraftContent, Interest, Lot, Points, PriceCriterion, PriceFormula, PriceLine,
    QualityQuestion, RankedBid, Receipt, ScoringScale, TIE_BREAK_RULE, canonical_bid_bytes,
    canonical_json, price_points, quality_points, rank_bids,
};
use consort_core::{Email, OrgId};
use jiff::Timestamp;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}
fn org(s: &str) -> OrgId {
    OrgId::parse(s).unwrap()
}
fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn question(id: &str, weight: u32, word_limit: Option<u32>) -> QualityQuestion {
    QualityQuestion {
        id: id.into(),
        text: format!("Question {id}"),
        weight,
        scale: ScoringScale::zero_to_five(),
        word_limit,
    }
}

fn criteria(question_weights: &[u32], price: Option<u32>) -> AwardCriteria {
    AwardCriteria {
        questions: question_weights
            .iter()
            .enumerate()
            .map(|(i, w)| question(&format!("Q{}", i + 1), *w, None))
            .collect(),
        price: price.map(|weight| PriceCriterion {
            weight,
            formula: PriceFormula::LowestPriceRatio,
        }),
    }
}

// ---------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------

/// Splits 100 into `parts` positive whole numbers at the given cut points.
fn split_100(cuts: &[u32]) -> Vec<u32> {
    let mut points: Vec<u32> = cuts.iter().map(|c| 1 + c % 99).collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points.into_iter().chain(std::iter::once(100)) {
        out.push(p - last);
        last = p;
    }
    out
}

proptest! {
    #[test]
    fn weights_are_accepted_exactly_when_they_sum_to_100(
        weights in prop::collection::vec(1u32..70, 0..6),
        price in prop::option::of(1u32..70),
    ) {
        let c = criteria(&weights, price);
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum::<u64>() + u64::from(price.unwrap_or(0));
        match c.check_weights() {
            Ok(()) => prop_assert_eq!(total, 100),
            Err(e) => {
                prop_assert_eq!(&e, &CompetitionError::WeightsDoNotSum { total });
                let wanted = format!("add up to {}, not 100", total);
                prop_assert!(e.to_string().contains(&wanted));
            }
        }
    }

    #[test]
    fn any_split_of_100_is_accepted(cuts in prop::collection::vec(any::<u32>(), 0..6), with_price in any::<bool>()) {
        let mut weights = split_100(&cuts);
        let price = if with_price && weights.len() > 1 { weights.pop() } else { None };
        let c = criteria(&weights, price);
        prop_assert_eq!(c.total_weight(), 100);
        prop_assert_eq!(c.check(), Ok(()));
    }
}

#[test]
fn criteria_structure_is_checked() {
    assert_eq!(criteria(&[], None).check().unwrap_err().field(), "criteria");
    let mut c = criteria(&[50, 50], None);
    c.questions[1].id = "Q1".into();
    assert!(c.check().unwrap_err().to_string().contains("used twice"));
    let mut c = criteria(&[100, 0], None);
    assert_eq!(
        c.check().unwrap_err().field(),
        "criteria.questions[2].weight"
    );
    c = criteria(&[50], Some(50));
    c.questions[0].scale.guidance[2] = " ".into();
    assert_eq!(
        c.check().unwrap_err().to_string(),
        "criteria.questions[1].scale.guidance: question Q1 has no guidance for score 2"
    );
    c = criteria(&[50], Some(50));
    c.questions[0].scale.max = 0;
    assert!(
        c.check()
            .unwrap_err()
            .to_string()
            .contains("must be above the lowest")
    );
    c = criteria(&[50], Some(50));
    c.price.as_mut().unwrap().formula = PriceFormula::RelativeToLowest {
        zero_at_percent_above: 0,
    };
    assert_eq!(c.check().unwrap_err().field(), "criteria.price.formula");
    let scale = ScoringScale::zero_to_five();
    assert_eq!(
        scale.guidance_for(5),
        Some("Excellent: exceeds the requirement, fully evidenced")
    );
    assert_eq!(scale.guidance_for(6), None);
}

#[test]
fn price_formulas_state_their_exact_text() {
    assert_eq!(
        PriceFormula::LowestPriceRatio.text(40),
        "Price score = 40 × (lowest total price ÷ this bid's total price). The lowest price scores 40; a price twice the lowest scores half of that. Scores are worked out to two decimal places, rounding half up."
    );
    assert_eq!(
        PriceFormula::RelativeToLowest {
            zero_at_percent_above: 50
        }
        .text(30),
        "Price score = 30 × (1 − (this bid's total price − lowest total price) ÷ (lowest total price × 50%)), and never less than 0. The lowest price scores 30; a price 50% or more above the lowest scores 0. Scores are worked out to two decimal places, rounding half up."
    );
}

// ---------------------------------------------------------------------------
// Price and quality points
// ---------------------------------------------------------------------------

#[test]
fn price_points_worked_examples() {
    let ratio = PriceFormula::LowestPriceRatio;
    // 40 × 10,000 / 12,500 = 32.
    assert_eq!(price_points(ratio, 40, 1_000_000, 1_250_000), Points(3200));
    // 40 × 10,000 / 30,000 = 13.333… -> 13.33.
    assert_eq!(price_points(ratio, 40, 1_000_000, 3_000_000), Points(1333));
    // 40 × 2 / 3 = 26.666… -> 26.67 (half up).
    assert_eq!(price_points(ratio, 40, 200, 300), Points(2667));
    let relative = PriceFormula::RelativeToLowest {
        zero_at_percent_above: 50,
    };
    // 25% above with 0 at 50% above: half the weight.
    assert_eq!(
        price_points(relative, 40, 1_000_000, 1_250_000),
        Points(2000)
    );
    assert_eq!(price_points(relative, 40, 1_000_000, 1_500_000), Points(0));
    assert_eq!(price_points(relative, 40, 1_000_000, 9_000_000), Points(0));
    assert_eq!(
        price_points(relative, 40, 1_000_000, 1_000_000),
        Points(4000)
    );
    // A zero total cannot be lower than another; a positive one against a zero lowest scores 0.
    assert_eq!(price_points(ratio, 40, 0, 0), Points(4000));
    assert_eq!(price_points(ratio, 40, 0, 100), Points(0));
}

#[test]
fn quality_points_worked_examples() {
    let s = ScoringScale::zero_to_five();
    assert_eq!(quality_points(3, &s, 30), Points(1800));
    assert_eq!(quality_points(5, &s, 30), Points(3000));
    assert_eq!(quality_points(0, &s, 30), Points(0));
    // 1/5 of 7 = 1.4; 2/3 of 10 on a 0–3 scale = 6.666… -> 6.67.
    assert_eq!(quality_points(1, &s, 7), Points(140));
    let three = ScoringScale {
        min: 0,
        max: 3,
        guidance: vec!["a".into(), "b".into(), "c".into(), "d".into()],
    };
    assert_eq!(quality_points(2, &three, 10), Points(667));
}

fn formula() -> impl Strategy<Value = PriceFormula> {
    prop_oneof![
        Just(PriceFormula::LowestPriceRatio),
        (1u32..300).prop_map(|p| PriceFormula::RelativeToLowest {
            zero_at_percent_above: p
        }),
    ]
}

proptest! {
    #[test]
    fn a_lower_price_never_scores_lower(
        f in formula(),
        weight in 1u32..=100,
        lowest in 1i64..10_000_000_000,
        extra_a in 0i64..10_000_000_000,
        extra_b in 0i64..10_000_000_000,
    ) {
        let (a, b) = (lowest + extra_a.min(extra_b), lowest + extra_a.max(extra_b));
        let (pa, pb) = (price_points(f, weight, lowest, a), price_points(f, weight, lowest, b));
        prop_assert!(pa >= pb, "{a} scored {pa}, {b} scored {pb}");
        prop_assert_eq!(price_points(f, weight, lowest, lowest), Points::full(weight));
        prop_assert!(Points(0) <= pb && pa <= Points::full(weight));
        // The formulas' anchor points, as their published text states them.
        let full = Points::full(weight).0;
        match f {
            PriceFormula::LowestPriceRatio => {
                let half = price_points(f, weight, lowest, 2 * lowest).0;
                prop_assert!((half * 2 - full).abs() <= 1, "twice the lowest scored {half} of {full}");
            }
            PriceFormula::RelativeToLowest { zero_at_percent_above: p } => {
                let at_zero = lowest + (lowest * i64::from(p) + 99) / 100;
                prop_assert_eq!(price_points(f, weight, lowest, at_zero), Points(0));
                prop_assert!(price_points(f, weight, lowest, lowest + 1) > Points(0) || lowest * i64::from(p) <= 100);
            }
        }
    }

    #[test]
    fn a_higher_quality_score_never_earns_fewer_points(weight in 1u32..=100, a in 0u8..=5, b in 0u8..=5) {
        let s = ScoringScale::zero_to_five();
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(quality_points(lo, &s, weight) <= quality_points(hi, &s, weight));
        prop_assert_eq!(quality_points(5, &s, weight), Points::full(weight));
    }
}

// ---------------------------------------------------------------------------
// Ranking
// ---------------------------------------------------------------------------

fn ranked(id: &str, quality: i64, price_points: i64, total_price: i64, received: i64) -> RankedBid {
    RankedBid {
        rank: 0,
        bid_id: id.into(),
        supplier: org("GB-COH-00000001"),
        quality: Points(quality),
        price: Points(price_points),
        total: Points(quality + price_points),
        total_price_pence: total_price,
        received_at: Timestamp::from_second(1_800_000_000 + received).unwrap(),
        criteria: vec![],
        tie_broken_by: None,
    }
}

#[test]
fn the_tie_break_is_stated_and_applied_step_by_step() {
    // Equal totals of 70.00: higher quality wins.
    let r = rank_bids(
        None,
        vec![
            ranked("A", 3000, 4000, 100, 1),
            ranked("B", 4000, 3000, 200, 2),
        ],
    );
    assert_eq!(r.tie_break, TIE_BREAK_RULE);
    assert_eq!(
        r.bids
            .iter()
            .map(|b| (b.bid_id.as_str(), b.rank))
            .collect::<Vec<_>>(),
        [("B", 1), ("A", 2)]
    );
    assert_eq!(r.bids[0].tie_broken_by, None);
    assert_eq!(
        r.bids[1].tie_broken_by.as_deref(),
        Some("equal total with B, ranked below it by the higher quality score")
    );
    // Equal totals and quality: lower price wins.
    let r = rank_bids(
        None,
        vec![
            ranked("A", 3000, 4000, 200, 1),
            ranked("B", 3000, 4000, 100, 2),
        ],
    );
    assert_eq!(r.bids[0].bid_id, "B");
    assert!(
        r.bids[1]
            .tie_broken_by
            .as_deref()
            .unwrap()
            .ends_with("the lower total price")
    );
    // Equal but for the time of receipt: earlier wins.
    let r = rank_bids(
        None,
        vec![
            ranked("A", 3000, 4000, 100, 9),
            ranked("B", 3000, 4000, 100, 2),
        ],
    );
    assert_eq!(r.bids[0].bid_id, "B");
    assert!(
        r.bids[1]
            .tie_broken_by
            .as_deref()
            .unwrap()
            .ends_with("the earlier receipt")
    );
    // Identical in every respect: the bid reference.
    let r = rank_bids(
        None,
        vec![
            ranked("Z", 3000, 4000, 100, 1),
            ranked("M", 3000, 4000, 100, 1),
        ],
    );
    assert_eq!(r.bids[0].bid_id, "M");
    assert!(
        r.bids[1]
            .tie_broken_by
            .as_deref()
            .unwrap()
            .ends_with("the bid reference")
    );
    // Not a tie: no tie-break note.
    let r = rank_bids(
        None,
        vec![
            ranked("A", 3000, 4000, 100, 1),
            ranked("B", 1000, 4000, 100, 1),
        ],
    );
    assert_eq!(r.bids[1].tie_broken_by, None);
}

fn bids_strategy() -> impl Strategy<Value = Vec<RankedBid>> {
    // Small ranges so that ties at every step are common.
    prop::collection::vec((0i64..4, 0i64..4, 0i64..3, 0i64..3), 0..12).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (q, p, price, at))| {
                ranked(&format!("B{i:02}"), q * 1000, p * 1000, price, at)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn ranking_is_a_strict_total_order_that_ignores_input_order(bids in bids_strategy(), seed in any::<u64>()) {
        let r = rank_bids(None, bids.clone());
        prop_assert_eq!(r.bids.len(), bids.len());
        let ranks: Vec<u32> = r.bids.iter().map(|b| b.rank).collect();
        prop_assert_eq!(ranks, (1..=u32::try_from(bids.len()).unwrap()).collect::<Vec<_>>());
        for pair in r.bids.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let key = |x: &RankedBid| (std::cmp::Reverse(x.total), std::cmp::Reverse(x.quality), x.total_price_pence, x.received_at, x.bid_id.clone());
            prop_assert!(key(a) < key(b), "{} before {}", a.bid_id, b.bid_id);
            prop_assert_eq!(b.tie_broken_by.is_some(), a.total == b.total);
        }
        // A different input order gives the same ranking.
        let mut shuffled = bids;
        let n = shuffled.len();
        if n > 1 {
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, usize::try_from(s >> 33).unwrap() % (i + 1));
            }
        }
        prop_assert_eq!(rank_bids(None, shuffled), r);
    }
}

// ---------------------------------------------------------------------------
// A competition scored end to end from random consensus scores and prices
// ---------------------------------------------------------------------------

fn buyer() -> Email {
    email("buyer@camden.gov.uk")
}
fn moderator() -> Email {
    email("moderator@camden.gov.uk")
}
fn evaluator() -> Email {
    email("eval@camden.gov.uk")
}

fn base_content() -> DraftContent {
    DraftContent {
        description: "Things".into(),
        price_schedule: vec![
            PriceLine {
                id: "L1".into(),
                description: "Licences".into(),
                quantity: 12,
                unit: "month".into(),
                lot: None,
            },
            PriceLine {
                id: "L2".into(),
                description: "Setup".into(),
                quantity: 1,
                unit: "project".into(),
                lot: None,
            },
        ],
        tender_deadline: Some(t("2027-01-11T12:00:00Z")),
        ..DraftContent::new("Scoring", org("GB-LAE-CMD"))
    }
}

fn base_rules() -> CompetitionRules {
    CompetitionRules {
        criteria: AwardCriteria {
            questions: vec![question("Q1", 30, None), question("Q2", 30, Some(10))],
            price: Some(PriceCriterion {
                weight: 40,
                formula: PriceFormula::LowestPriceRatio,
            }),
        },
        ..CompetitionRules::open_procedure(Regime::Pa2023)
    }
}

fn opened(content: DraftContent, rules: CompetitionRules, bids: Vec<BidSummary>) -> Competition {
    let created =
        Competition::create("7", rules, content, buyer(), t("2026-12-01T09:00:00Z")).unwrap();
    let mut c = Competition::replay(&[created]).unwrap();
    let steps = vec![
        Command::AssignEvaluators {
            by: buyer(),
            evaluators: vec![evaluator()],
            moderator: moderator(),
        },
        Command::Publish { by: buyer() },
        Command::DeclareInterest {
            member: evaluator(),
            interest: Interest::NoConflict,
        },
        Command::DeclareInterest {
            member: moderator(),
            interest: Interest::NoConflict,
        },
    ];
    for step in steps {
        c = c.execute(step, t("2026-12-07T10:00:00Z")).unwrap().0;
    }
    for opener in ["o1@camden.gov.uk", "o2@camden.gov.uk"] {
        let open = Command::OpenBids {
            opener: email(opener),
            holds_opener_role: true,
            bids: bids.clone(),
        };
        c = c.execute(open, t("2027-01-11T13:00:00Z")).unwrap().0;
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn evaluation_totals_are_quality_plus_price_and_the_winner_has_the_highest(
        rows in prop::collection::vec((0u8..=5, 0u8..=5, 1i64..5_000_000), 1..6),
    ) {
        let bids: Vec<BidSummary> = rows.iter().enumerate().map(|(i, (_, _, price))| BidSummary {
            bid_id: format!("B{i}"),
            supplier: org(&format!("GB-COH-0000000{i}")),
            lot: None,
            total_price_pence: *price,
            received_at: t("2027-01-10T10:00:00Z"),
        }).collect();
        let mut c = opened(base_content(), base_rules(), bids);
        let at = t("2027-01-12T10:00:00Z");
        for (i, (q1, q2, _)) in rows.iter().enumerate() {
            for (q, s) in [("Q1", q1), ("Q2", q2)] {
                let cmd = Command::RecordScore { evaluator: evaluator(), bid_id: format!("B{i}"), question_id: q.into(), score: *s, reason: "seen".into() };
                c = c.execute(cmd, at).unwrap().0;
            }
        }
        c = c.execute(Command::StartModeration { by: moderator() }, at).unwrap().0;
        for (i, (q1, q2, _)) in rows.iter().enumerate() {
            for (q, s) in [("Q1", q1), ("Q2", q2)] {
                let cmd = Command::RecordConsensus { moderator: moderator(), bid_id: format!("B{i}"), question_id: q.into(), score: *s, reason: "agreed".into() };
                c = c.execute(cmd, at).unwrap().0;
            }
        }
        c = c.execute(Command::CompleteEvaluation { by: moderator() }, at).unwrap().0;
        prop_assert_eq!(c.rankings.len(), 1);
        let ranking = &c.rankings[0];
        let lowest = rows.iter().map(|r| r.2).min().unwrap();
        for b in &ranking.bids {
            let i: usize = b.bid_id[1..].parse().unwrap();
            let (q1, q2, price) = rows[i];
            let scale = ScoringScale::zero_to_five();
            prop_assert_eq!(b.quality, Points(quality_points(q1, &scale, 30).0 + quality_points(q2, &scale, 30).0));
            prop_assert_eq!(b.price, price_points(PriceFormula::LowestPriceRatio, 40, lowest, price));
            prop_assert_eq!(b.total, Points(b.quality.0 + b.price.0));
            prop_assert_eq!(b.criteria.iter().map(|l| l.points).sum::<Points>(), b.total);
            prop_assert!(b.total <= Points(10_000));
        }
        let best = ranking.bids.iter().map(|b| b.total).max().unwrap();
        prop_assert_eq!(ranking.bids[0].total, best);
    }
}

#[test]
fn lots_are_ranked_separately_with_their_own_lowest_price() {
    let content = DraftContent {
        lots: vec![
            Lot {
                id: "1".into(),
                title: "Software".into(),
                estimated_value_pence: Some(10_000_000),
            },
            Lot {
                id: "2".into(),
                title: "Support".into(),
                estimated_value_pence: None,
            },
        ],
        ..base_content()
    };
    let rules = CompetitionRules {
        criteria: AwardCriteria {
            questions: vec![],
            price: Some(PriceCriterion {
                weight: 100,
                formula: PriceFormula::LowestPriceRatio,
            }),
        },
        ..base_rules()
    };
    let bid = |id: &str, supplier: &str, lot: &str, price: i64| BidSummary {
        bid_id: id.into(),
        supplier: org(supplier),
        lot: Some(lot.into()),
        total_price_pence: price,
        received_at: t("2027-01-10T10:00:00Z"),
    };
    let bids = vec![
        bid("B1", "GB-COH-00000001", "1", 200),
        bid("B2", "GB-COH-00000002", "1", 100),
        bid("B3", "GB-COH-00000001", "2", 400),
    ];
    let c = opened(content, rules, bids);
    // Price only: the buyer completes the evaluation without moderation.
    let c = c
        .execute(
            Command::CompleteEvaluation { by: buyer() },
            t("2027-01-12T10:00:00Z"),
        )
        .unwrap()
        .0;
    assert_eq!(c.rankings.len(), 2);
    assert_eq!(c.rankings[0].lot.as_deref(), Some("1"));
    assert_eq!(
        c.rankings[0]
            .bids
            .iter()
            .map(|b| (b.bid_id.as_str(), b.total.0))
            .collect::<Vec<_>>(),
        [("B2", 10_000), ("B1", 5_000)]
    );
    assert_eq!(
        c.rankings[1]
            .bids
            .iter()
            .map(|b| (b.bid_id.as_str(), b.total.0))
            .collect::<Vec<_>>(),
        [("B3", 10_000)]
    );
}

// ---------------------------------------------------------------------------
// Bids: validation, canonical bytes, receipts
// ---------------------------------------------------------------------------

fn published() -> Competition {
    let created = Competition::create(
        "7",
        base_rules(),
        base_content(),
        buyer(),
        t("2026-12-01T09:00:00Z"),
    )
    .unwrap();
    Competition::replay(&[created])
        .unwrap()
        .execute(Command::Publish { by: buyer() }, t("2026-12-07T10:00:00Z"))
        .unwrap()
        .0
}

fn good_bid() -> BidContent {
    BidContent {
        lot: None,
        answers: BTreeMap::from([
            ("Q1".into(), "We migrate everything.".into()),
            ("Q2".into(), "A named team for residents.".into()),
        ]),
        prices: BTreeMap::from([
            ("L1".into(), "£1,000.50".into()),
            ("L2".into(), "2500".into()),
        ]),
        attachments: vec![AttachmentMeta {
            file_name: "method.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 2048,
            sha256_hex: "c".repeat(64),
        }],
    }
}

#[test]
fn a_good_bid_is_priced_in_pence() {
    let valid = published().validate_bid(&good_bid()).unwrap();
    assert_eq!(
        valid.unit_prices_pence,
        BTreeMap::from([("L1".to_string(), 100_050), ("L2".to_string(), 250_000)])
    );
    // 12 × £1,000.50 + 1 × £2,500 = £14,506.00.
    assert_eq!(valid.line_totals_pence["L1"], 1_200_600);
    assert_eq!(valid.total_price_pence, 1_450_600);
    assert_eq!(valid.attachments.len(), 1);
}

#[test]
fn every_problem_with_a_bid_is_reported_naming_its_question_or_line() {
    let c = published();
    let bid = BidContent {
        lot: Some("1".into()),
        answers: BTreeMap::from([
            (
                "Q2".into(),
                "one two three four five six seven eight nine ten eleven".into(),
            ),
            ("Q9".into(), "Extra".into()),
        ]),
        prices: BTreeMap::from([
            ("L1".into(), "12.345".into()),
            ("L3".into(), "1".into()),
            ("L2".into(), "-5".into()),
        ]),
        attachments: vec![AttachmentMeta {
            file_name: " ".into(),
            media_type: "x/y".into(),
            size_bytes: 1,
            sha256_hex: "XYZ".into(),
        }],
    };
    let errors = c.validate_bid(&bid).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "lot: this competition has no lots, so the bid cannot be for lot '1'",
            "answers.Q2: the answer to question Q2 has 11 words; the limit is 10",
            "answers.Q9: there is no question 'Q9'",
            "answers.Q1: answer question Q1",
            "price for line 'L1' has fractions of a penny: write at most two decimal places: '12.345'",
            "price for line 'L2' cannot be negative: '-5'",
            "prices.L3: there is no price line 'L3'",
            "attachments[1]: the attachment has no file name",
            "attachments[1]:  : 'XYZ' is not a SHA-256 in lower-case hex",
        ]
    );
    let missing = BidContent {
        prices: BTreeMap::from([("L1".into(), "10".into())]),
        ..good_bid()
    };
    let errors = c.validate_bid(&missing).unwrap_err();
    assert_eq!(
        errors,
        vec![CompetitionError::InvalidPrice {
            line: "L2".into(),
            input: String::new(),
            problem: "is missing".into()
        }]
    );
    assert_eq!(errors[0].to_string(), "price for line 'L2' is missing: ''");
    let blank = BidContent {
        prices: BTreeMap::from([("L1".into(), "10".into()), ("L2".into(), " ".into())]),
        ..good_bid()
    };
    assert!(
        c.validate_bid(&blank).unwrap_err()[0]
            .to_string()
            .contains("'L2' is missing")
    );
    let free = BidContent {
        prices: BTreeMap::from([("L1".into(), "0".into()), ("L2".into(), "0".into())]),
        ..good_bid()
    };
    assert_eq!(
        c.validate_bid(&free).unwrap_err()[0].to_string(),
        "prices: the total price must be more than £0.00"
    );
    let huge = BidContent {
        prices: BTreeMap::from([
            ("L1".into(), "90000000000000000".into()),
            ("L2".into(), "1".into()),
        ]),
        ..good_bid()
    };
    assert!(c.validate_bid(&huge).is_err());
}

#[test]
fn a_saved_draft_may_be_incomplete_but_not_wrong() {
    let c = published();
    let partial = BidContent {
        answers: BTreeMap::new(),
        prices: BTreeMap::from([("L1".into(), "10".into())]),
        ..good_bid()
    };
    let draft = c.check_bid_draft(&partial).unwrap();
    assert_eq!(draft.total_price_pence, 12_000);
    assert!(c.validate_bid(&partial).is_err());
    let wrong = BidContent {
        prices: BTreeMap::from([("L1".into(), "ten".into())]),
        ..partial
    };
    assert_eq!(
        c.check_bid_draft(&wrong).unwrap_err()[0].to_string(),
        "price for line 'L1' is not a number: 'ten'"
    );
}

#[test]
fn bids_for_lots_price_only_their_lines() {
    let content = DraftContent {
        lots: vec![
            Lot {
                id: "1".into(),
                title: "A".into(),
                estimated_value_pence: None,
            },
            Lot {
                id: "2".into(),
                title: "B".into(),
                estimated_value_pence: None,
            },
        ],
        price_schedule: vec![
            PriceLine {
                id: "L1".into(),
                description: "Common".into(),
                quantity: 1,
                unit: "each".into(),
                lot: None,
            },
            PriceLine {
                id: "L2".into(),
                description: "Lot 2 only".into(),
                quantity: 2,
                unit: "each".into(),
                lot: Some("2".into()),
            },
        ],
        ..base_content()
    };
    let created = Competition::create(
        "8",
        base_rules(),
        content,
        buyer(),
        t("2026-12-01T09:00:00Z"),
    )
    .unwrap();
    let c = Competition::replay(&[created]).unwrap();
    let lot1 = BidContent {
        lot: Some("1".into()),
        prices: BTreeMap::from([("L1".into(), "5".into())]),
        ..good_bid()
    };
    assert_eq!(c.validate_bid(&lot1).unwrap().total_price_pence, 500);
    let lot1_with_l2 = BidContent {
        lot: Some("1".into()),
        prices: BTreeMap::from([("L1".into(), "5".into()), ("L2".into(), "1".into())]),
        ..good_bid()
    };
    assert_eq!(
        c.validate_bid(&lot1_with_l2).unwrap_err()[0].to_string(),
        "prices.L2: price line 'L2' is not part of this lot"
    );
    let lot2 = BidContent {
        lot: Some("2".into()),
        prices: BTreeMap::from([("L1".into(), "5".into()), ("L2".into(), "1".into())]),
        ..good_bid()
    };
    assert_eq!(c.validate_bid(&lot2).unwrap().total_price_pence, 700);
    let no_lot = BidContent {
        lot: None,
        ..lot2.clone()
    };
    assert_eq!(
        c.validate_bid(&no_lot).unwrap_err()[0].to_string(),
        "lot: say which lot the bid is for"
    );
    let bad_lot = BidContent {
        lot: Some("3".into()),
        ..lot2
    };
    assert_eq!(
        c.validate_bid(&bad_lot).unwrap_err()[0].to_string(),
        "lot: there is no lot '3'"
    );
}

#[test]
fn the_canonical_encoding_is_exact_and_the_receipt_reports_its_sha256() {
    let supplier = org("GB-COH-00000001");
    let bytes = canonical_bid_bytes("7", &supplier, &good_bid());
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(
        text,
        r#"{"answers":{"Q1":"We migrate everything.","Q2":"A named team for residents."},"attachments":[{"file_name":"method.pdf","media_type":"application/pdf","sha256_hex":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size_bytes":2048}],"competition":"7","lot":null,"prices":{"L1":"£1,000.50","L2":"2500"},"supplier":"GB-COH-00000001"}"#
    );
    let at = t("2027-01-10T10:00:00.123456789Z");
    let receipt = Receipt::new("B1", 2, at, &bytes);
    assert_eq!(receipt.sha256_hex, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(
        (
            receipt.bid_id.as_str(),
            receipt.version,
            receipt.received_at
        ),
        ("B1", 2, at)
    );
    assert!(receipt.matches(&bytes));
    let mut changed = good_bid();
    changed
        .answers
        .insert("Q1".into(), "We migrate everything!".into());
    assert!(!receipt.matches(&canonical_bid_bytes("7", &supplier, &changed)));
    assert_ne!(
        canonical_bid_bytes("7", &org("GB-COH-00000002"), &good_bid()),
        bytes
    );
    // SHA-256 known answer ("abc", FIPS 180-2).
    assert_eq!(
        Receipt::new("x", 1, at, b"abc").sha256_hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let json = serde_json::to_value(&receipt).unwrap();
    assert_eq!(json["received_at"], "2027-01-10T10:00:00.123456789Z");
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..5)
                .prop_map(|pairs| { serde_json::Value::Object(pairs.into_iter().collect()) }),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_json_parses_back_to_the_same_value_and_does_not_depend_on_key_order(v in json_value()) {
        let text = canonical_json(&v);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(canonical_json(&back), text.clone());
        if let serde_json::Value::Object(map) = &v {
            let reversed: serde_json::Map<String, serde_json::Value> = map.iter().rev().map(|(k, x)| (k.clone(), x.clone())).collect();
            prop_assert_eq!(canonical_json(&serde_json::Value::Object(reversed)), text);
        }
    }

    #[test]
    fn bid_validation_never_panics(price in ".{0,20}", answer in ".{0,200}") {
        let bid = BidContent {
            prices: BTreeMap::from([("L1".into(), price.clone()), ("L2".into(), "1".into())]),
            answers: BTreeMap::from([("Q1".into(), "a".into()), ("Q2".into(), answer)]),
            ..good_bid()
        };
        if let Err(errors) = published().validate_bid(&bid) {
            prop_assert!(!errors.is_empty());
        }
    }
}
