//! The collaboration planner: hand-worked examples, and both finders checked
//! against brute force on small random registers.

use consort_core::OrgId;
use consort_core::planner::{
    CategoryIndex, PlanItem, PlanParams, SkipReason, bench_plan, group_by_category,
    group_contracts, plan, plan_register, rank_cohorts, synthetic_register,
};
use consort_core::register::windows::ExitWindow;
use consort_core::register::{Contract, ContractStatus, Pence, Source, Span};
use jiff::civil::Date;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const ORGS: [&str; 4] = ["GB-LAE-CMD", "GB-LAE-HCK", "GB-LAE-ISL", "GB-LAE-SWK"];

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn org(i: usize) -> OrgId {
    OrgId::parse(ORGS[i]).unwrap()
}

fn item(authority: usize, reference: &str, earliest: &str, latest: &str, value: i64) -> PlanItem {
    PlanItem {
        authority: org(authority),
        reference: reference.into(),
        window: ExitWindow {
            earliest: d(earliest),
            latest: d(latest),
        },
        annual_value: Pence(value),
    }
}

/// Every cohort listed.
fn all() -> PlanParams {
    PlanParams {
        max_cohorts: usize::MAX,
        ..PlanParams::default()
    }
}

fn today() -> Date {
    d("2026-01-01")
}

fn orgs(ids: &[usize]) -> Vec<OrgId> {
    ids.iter().map(|&i| org(i)).collect()
}

// ---------------------------------------------------------------------------
// Joint go-live cohorts
// ---------------------------------------------------------------------------

#[test]
fn no_contracts_give_no_cohorts_and_an_empty_agreement() {
    let p = plan("Waste", &[], &all(), today());
    assert_eq!(p.cohort_count, 0);
    assert!(p.cohorts.is_empty());
    assert_eq!(p.contract_count, 0);
    assert_eq!(p.authority_count, 0);
    let a = &p.agreement;
    assert_eq!(a.start, d("2026-10-01"), "today plus 9 months");
    assert_eq!(a.end, d("2030-10-01"), "plus 48 months");
    assert_eq!(a.procurement_start, today());
    assert!(a.covered.is_empty() && a.not_covered.is_empty());
    assert_eq!(p.agreement_value_pence, Pence(0));
}

#[test]
fn a_single_contract_is_a_cohort_of_one() {
    let items = [item(0, "HMS-1", "2028-03-31", "2029-03-31", 25_000_000)];
    let p = plan("Housing", &items, &all(), today());
    assert_eq!(p.cohort_count, 1);
    let c = &p.cohorts[0];
    assert_eq!((c.from, c.to), (d("2028-03-31"), d("2029-03-31")));
    assert_eq!(c.authorities, orgs(&[0]));
    assert_eq!(c.contracts, vec!["HMS-1"]);
    assert_eq!(c.annual_value_pence, Pence(25_000_000));
    // Windows less 12 months: [2027-03-31, 2028-03-31]; the earliest start is
    // 2026-10-01, whose 48-month term reaches them.
    assert_eq!(p.agreement.start, d("2026-10-01"));
    assert_eq!(p.agreement.covered.len(), 1);
    assert_eq!(p.agreement.covered[0].contracts, vec!["HMS-1"]);
}

#[test]
fn windows_that_touch_overlap_on_the_day_they_share() {
    let items = [
        item(0, "A", "2027-01-01", "2027-06-30", 100),
        item(1, "B", "2027-06-30", "2027-12-31", 200),
    ];
    let p = plan("Waste", &items, &all(), today());
    assert_eq!(p.cohort_count, 1);
    let c = &p.cohorts[0];
    assert_eq!((c.from, c.to), (d("2027-06-30"), d("2027-06-30")));
    assert_eq!(c.authorities, orgs(&[0, 1]));
    assert_eq!(c.contracts, vec!["A", "B"]);
    assert_eq!(c.annual_value_pence, Pence(300));
}

#[test]
fn windows_a_day_apart_do_not_overlap() {
    let items = [
        item(0, "A", "2027-01-01", "2027-06-29", 100),
        item(1, "B", "2027-06-30", "2027-12-31", 200),
    ];
    let p = plan("Waste", &items, &all(), today());
    assert_eq!(p.cohort_count, 2);
    // Both have one authority: the larger value ranks first.
    assert_eq!(p.cohorts[0].contracts, vec!["B"]);
    assert_eq!(p.cohorts[1].contracts, vec!["A"]);
}

#[test]
fn identical_windows_make_one_cohort_counting_authorities_once() {
    let same_authority = [
        item(2, "X-2", "2028-01-01", "2028-12-31", 10),
        item(2, "X-1", "2028-01-01", "2028-12-31", 20),
    ];
    let p = plan("Cleaning", &same_authority, &all(), today());
    assert_eq!(p.cohort_count, 1);
    let c = &p.cohorts[0];
    assert_eq!(c.authorities, orgs(&[2]));
    assert_eq!(
        c.contracts,
        vec!["X-1", "X-2"],
        "sorted by authority, then reference"
    );
    assert_eq!(c.annual_value_pence, Pence(30));
    let index = CategoryIndex::new(&same_authority);
    let summaries = index.joint_cohorts();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].authority_count, 1);
    assert_eq!(summaries[0].contract_count, 2);

    let two_authorities = [
        item(1, "Y", "2028-01-01", "2028-12-31", 10),
        item(3, "Z", "2028-01-01", "2028-12-31", 20),
    ];
    let p = plan("Cleaning", &two_authorities, &all(), today());
    assert_eq!(p.cohorts[0].authorities, orgs(&[1, 3]));
}

#[test]
fn three_boroughs_give_two_overlapping_cohorts_ranked_by_value() {
    // Camden's window spans Hackney's and Islington's, which do not meet.
    let items = [
        item(0, "CMD-HMS", "2027-03-31", "2029-03-31", 300),
        item(1, "HCK-HMS", "2028-01-01", "2028-12-31", 100),
        item(2, "ISL-HMS", "2029-01-01", "2030-03-31", 500),
    ];
    let p = plan("Housing", &items, &all(), today());
    assert_eq!(p.cohort_count, 2);
    let (first, second) = (&p.cohorts[0], &p.cohorts[1]);
    assert_eq!(first.authorities, orgs(&[0, 2]));
    assert_eq!((first.from, first.to), (d("2029-01-01"), d("2029-03-31")));
    assert_eq!(first.annual_value_pence, Pence(800));
    assert_eq!(second.authorities, orgs(&[0, 1]));
    assert_eq!((second.from, second.to), (d("2028-01-01"), d("2028-12-31")));
    assert_eq!(second.annual_value_pence, Pence(400));
}

#[test]
fn more_authorities_outrank_more_value_and_earlier_breaks_ties() {
    let items = [
        // Two authorities, small value, 2030.
        item(0, "a", "2030-01-01", "2030-06-30", 1),
        item(1, "b", "2030-01-01", "2030-06-30", 1),
        // One authority, large value, 2027.
        item(2, "c", "2027-01-01", "2027-06-30", 1_000_000),
        // One authority, the same large value, 2028.
        item(3, "d", "2028-01-01", "2028-06-30", 1_000_000),
    ];
    let p = plan("Energy", &items, &all(), today());
    let order: Vec<_> = p.cohorts.iter().map(|c| c.contracts.join("+")).collect();
    assert_eq!(order, vec!["a+b", "c", "d"]);
}

#[test]
fn max_cohorts_limits_the_listing_not_the_count() {
    let items: Vec<PlanItem> = (0..10)
        .map(|i| {
            let start = d("2027-01-01").saturating_add(jiff::Span::new().days(i * 100));
            PlanItem {
                authority: org(i as usize % 4),
                reference: format!("R{i}"),
                window: ExitWindow {
                    earliest: start,
                    latest: start.saturating_add(jiff::Span::new().days(50)),
                },
                annual_value: Pence(i),
            }
        })
        .collect();
    let params = PlanParams {
        max_cohorts: 3,
        ..PlanParams::default()
    };
    let p = plan("Fleet", &items, &params, today());
    assert_eq!(p.cohort_count, 10);
    assert_eq!(p.cohorts.len(), 3);
    let top: Vec<_> = p.cohorts.iter().map(|c| c.contracts[0].as_str()).collect();
    assert_eq!(top, vec!["R9", "R8", "R7"]);
    let none = PlanParams {
        max_cohorts: 0,
        ..PlanParams::default()
    };
    assert!(plan("Fleet", &items, &none, today()).cohorts.is_empty());
}

#[test]
fn summaries_agree_with_listed_members_on_a_large_register() {
    let rows = synthetic_register(5_000, 40, 7);
    let grouped = group_by_category(rows);
    assert!(grouped.len() >= 15, "{} categories", grouped.len());
    for category in &grouped {
        let index = CategoryIndex::new(&category.items);
        let mut summaries = index.joint_cohorts();
        assert!(!summaries.is_empty());
        assert!(summaries.windows(2).all(|w| w[0].from <= w[1].from));
        rank_cohorts(&mut summaries, 5);
        assert!(summaries.len() <= 5);
        for s in &summaries {
            let c = index.materialise(s);
            assert_eq!(c.authorities.len(), s.authority_count as usize);
            assert_eq!(c.contracts.len(), s.contract_count as usize);
            assert_eq!(c.annual_value_pence, s.annual_value_pence);
            assert_eq!(index.members(s).len(), c.contracts.len());
        }
    }
}

// ---------------------------------------------------------------------------
// The shared agreement
// ---------------------------------------------------------------------------

#[test]
fn the_agreement_serves_the_most_authorities_and_says_why_not_the_others() {
    // today 2026-01-01; lead 9 months: the agreement can start 2026-10-01 at the
    // earliest. Term 48 months; 12 months to mobilise.
    let items = [
        // Can end by 2027-03-31 at the latest: less 12 months, 2026-03-31, which
        // is before any possible start.
        item(0, "CMD-1", "2027-03-31", "2027-03-31", 100),
        // Less 12 months: [2027-06-30, 2028-06-30].
        item(1, "HCK-1", "2028-06-30", "2029-06-30", 100),
        // Less 12 months: 2032-01-01, reachable by a term starting 2028-01-01.
        item(2, "ISL-1", "2033-01-01", "2033-01-01", 100),
        // Less 12 months: 2033-01-01, after any term that serves Hackney ends.
        item(3, "SWK-1", "2034-01-01", "2034-06-30", 100),
    ];
    let p = plan("Housing", &items, &all(), today());
    let a = &p.agreement;
    assert_eq!(a.start, d("2028-01-01"));
    assert_eq!(a.end, d("2032-01-01"));
    assert_eq!(a.procurement_start, d("2027-04-01"));
    let covered: Vec<_> = a.covered.iter().map(|c| c.authority.clone()).collect();
    assert_eq!(covered, orgs(&[1, 2]));
    assert_eq!(a.covered[0].contracts, vec!["HCK-1"]);
    assert_eq!(p.agreement_value_pence, Pence(200));
    assert_eq!(a.not_covered.len(), 2);
    assert_eq!(a.not_covered[0].authority, org(0));
    assert_eq!(
        a.not_covered[0].reason,
        "its contract can end by 2027-03-31 at the latest, which with 12 months to \
         mobilise is before the agreement could start on 2028-01-01"
    );
    assert_eq!(a.not_covered[1].authority, org(3));
    assert_eq!(
        a.not_covered[1].reason,
        "its earliest exit, 2034-01-01, less 12 months to mobilise, is after the \
         agreement ends on 2032-01-01"
    );
}

#[test]
fn reasons_cover_authorities_with_contracts_either_side() {
    let items = [
        item(0, "early", "2026-06-30", "2026-06-30", 1),
        item(0, "late", "2040-01-01", "2040-01-01", 1),
        item(1, "now", "2028-01-01", "2028-01-01", 1),
        item(2, "e1", "2026-02-01", "2026-03-01", 1),
        item(2, "e2", "2026-04-01", "2026-05-01", 1),
    ];
    let a = plan("Insurance", &items, &all(), today()).agreement;
    assert_eq!(a.start, d("2026-10-01"));
    let reasons: BTreeMap<_, _> = a
        .not_covered
        .iter()
        .map(|n| (n.authority.as_str().to_string(), n.reason.clone()))
        .collect();
    assert_eq!(
        reasons["GB-LAE-CMD"],
        "its contracts fall either side of the agreement: those ending first can end by \
         2026-06-30 at the latest, which with 12 months to mobilise is before the agreement \
         could start on 2026-10-01, and the earliest exit of the rest, 2040-01-01, less 12 \
         months to mobilise, is after the agreement ends on 2030-10-01"
    );
    assert_eq!(
        reasons["GB-LAE-ISL"],
        "its contracts can end by 2026-05-01 at the latest, which with 12 months to \
         mobilise is before the agreement could start on 2026-10-01"
    );
}

#[test]
fn equal_coverage_is_decided_by_value_then_by_the_earlier_start() {
    // Two authorities that no one agreement can serve together: the more valuable
    // wins even though it is later.
    let params = PlanParams {
        term_months: 12,
        ..all()
    };
    let items = [
        item(0, "cheap", "2028-01-01", "2028-01-31", 100),
        item(1, "dear", "2032-01-01", "2032-01-31", 900),
    ];
    let a = plan("Legal", &items, &params, today()).agreement;
    assert_eq!(a.covered.len(), 1);
    assert_eq!(a.covered[0].contracts, vec!["dear"]);
    // dear less 12 months is [2031-01-01, 2031-01-31]; the first 12-month term to
    // reach it starts 2030-01-01.
    assert_eq!(a.start, d("2030-01-01"));

    // Equal values: the earlier.
    let items = [
        item(0, "first", "2028-01-01", "2028-01-31", 500),
        item(1, "second", "2032-01-01", "2032-01-31", 500),
    ];
    let a = plan("Legal", &items, &params, today()).agreement;
    assert_eq!(a.covered[0].contracts, vec!["first"]);
    assert_eq!(a.start, d("2026-10-01"));
}

#[test]
fn month_end_rounding_is_respected_at_the_start_of_the_term() {
    // A one-month term, no lead, no mobilisation; today 2027-02-27. A term from
    // 28 February ends 28 March, short of the 31 March exit; one from 1 March
    // ends 1 April and reaches it.
    let params = PlanParams {
        term_months: 1,
        lead_months: 0,
        mobilisation_months: 0,
        max_cohorts: 10,
    };
    let items = [item(0, "Q1", "2027-03-31", "2027-03-31", 1)];
    let a = plan("Parking", &items, &params, d("2027-02-27")).agreement;
    assert_eq!(a.start, d("2027-03-01"));
    assert_eq!(a.end, d("2027-04-01"));
    assert_eq!(a.procurement_start, d("2027-03-01"));
}

#[test]
fn the_procurement_never_starts_before_today() {
    // 31 May plus 9 months is 28 February; 28 February less 9 months is 28 May.
    let items = [item(0, "x", "2028-06-30", "2028-06-30", 1)];
    let a = plan("Parking", &items, &all(), d("2026-05-31")).agreement;
    assert_eq!(a.covered.len(), 1);
    assert_eq!(a.start, d("2027-02-28"));
    assert_eq!(a.procurement_start, d("2026-05-31"));
}

// ---------------------------------------------------------------------------
// From the register, and the JSON
// ---------------------------------------------------------------------------

fn contract(
    authority: usize,
    reference: &str,
    category: Option<&str>,
    end: Option<&str>,
) -> Contract {
    Contract {
        authority: org(authority),
        reference: reference.into(),
        title: format!("Contract {reference}"),
        description: String::new(),
        supplier_name: None,
        supplier_company_number: None,
        cpv_codes: Vec::new(),
        category: category.map(str::to_string),
        total_value: None,
        annual_value: Some(Pence(100_000)),
        start: Some(d("2022-04-01")),
        end: end.map(d),
        extensions: Vec::new(),
        break_date: None,
        notice_period: None,
        status: ContractStatus::Active,
        source: Source::Manual,
        extra: BTreeMap::new(),
    }
}

#[test]
fn plan_items_take_the_exit_window_and_estimated_value() {
    let mut c = contract(0, "HMS-7", Some("Housing"), Some("2028-03-31"));
    c.break_date = Some(d("2027-03-31"));
    c.extensions = vec![Span::Months(12), Span::Months(12)];
    c.annual_value = None;
    c.total_value = Some(Pence(600_000_000));
    let item = PlanItem::from_contract(&c).unwrap();
    assert_eq!(item.window.earliest, d("2027-03-31"));
    assert_eq!(item.window.latest, d("2030-03-31"));
    assert_eq!(item.annual_value, c.annual_value_estimate().unwrap());
    c.total_value = None;
    assert_eq!(PlanItem::from_contract(&c).unwrap().annual_value, Pence(0));
    c.end = None;
    assert_eq!(PlanItem::from_contract(&c), Err(SkipReason::NoEndDate));
}

#[test]
fn registers_are_grouped_by_category_and_the_unplannable_reported() {
    let mut ended = contract(1, "old", Some("Waste"), Some("2025-03-31"));
    ended.status = ContractStatus::Ended;
    let contracts = [
        contract(0, "w1", Some("Waste"), Some("2028-03-31")),
        contract(1, "h1", Some("Housing"), Some("2028-03-31")),
        contract(2, "w2", Some("Waste"), None),
        contract(3, "x", None, Some("2028-03-31")),
        ended,
        contract(3, "w3", Some("Waste"), Some("2028-03-31")),
        contract(0, "blank", Some("  "), Some("2028-03-31")),
    ];
    let grouped = group_contracts(&contracts);
    let labels: Vec<_> = grouped
        .categories
        .iter()
        .map(|c| c.category.as_str())
        .collect();
    assert_eq!(labels, vec!["Housing", "Waste"]);
    let waste: Vec<_> = grouped.categories[1]
        .items
        .iter()
        .map(|i| i.reference.as_str())
        .collect();
    assert_eq!(waste, vec!["w1", "w3"]);
    let skipped: Vec<_> = grouped
        .skipped
        .iter()
        .map(|s| (s.reference.as_str(), s.reason.to_string()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("w2", "no end date".to_string()),
            ("x", "no category".to_string()),
            ("old", "ended".to_string()),
            ("blank", "no category".to_string()),
        ]
    );
    let json = serde_json::to_value(&grouped.skipped[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"authority": "GB-LAE-ISL", "reference": "w2", "reason": "no end date"})
    );

    let register = plan_register(&contracts, &all(), today());
    assert_eq!(register.categories.len(), 2);
    assert_eq!(register.categories[1].category, "Waste");
    assert_eq!(
        register.categories[1].cohorts[0].contracts,
        vec!["w1", "w3"]
    );
    assert_eq!(register.skipped.len(), 4);
}

#[test]
fn the_json_uses_the_documented_names_and_iso_dates() {
    let items = [
        item(0, "A", "2027-01-01", "2027-06-30", 100),
        item(1, "B", "2027-06-30", "2027-12-31", 200),
        item(2, "C", "2040-01-01", "2040-01-01", 5),
    ];
    let p = plan("Waste", &items, &all(), today());
    let cohort = serde_json::to_value(&p.cohorts[0]).unwrap();
    assert_eq!(
        cohort,
        serde_json::json!({
            "authorities": ["GB-LAE-CMD", "GB-LAE-HCK"],
            "from": "2027-06-30",
            "to": "2027-06-30",
            "contracts": ["A", "B"],
            "annual_value_pence": 300,
        })
    );
    let agreement = serde_json::to_value(&p.agreement).unwrap();
    let keys: BTreeSet<_> = agreement.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "covered",
            "end",
            "not_covered",
            "procurement_start",
            "start"
        ]
        .map(String::from)
        .into_iter()
        .collect()
    );
    assert_eq!(agreement["start"], "2026-10-01");
    assert_eq!(agreement["end"], "2030-10-01");
    assert_eq!(agreement["procurement_start"], "2026-01-01");
    // A, less 12 months, ends 2026-06-30: too early for a start on 2026-10-01.
    assert_eq!(
        agreement["covered"],
        serde_json::json!([{"authority": "GB-LAE-HCK", "contracts": ["B"]}])
    );
    assert_eq!(agreement["not_covered"][0]["authority"], "GB-LAE-CMD");
    assert_eq!(
        agreement["not_covered"][1],
        serde_json::json!({
            "authority": "GB-LAE-ISL",
            "reason": "its earliest exit, 2040-01-01, less 12 months to mobilise, is after \
                       the agreement ends on 2030-10-01",
        })
    );
    let whole = serde_json::to_value(&p).unwrap();
    assert_eq!(whole["category"], "Waste");
    assert_eq!(whole["cohort_count"], 2);
}

// ---------------------------------------------------------------------------
// Benchmark support
// ---------------------------------------------------------------------------

#[test]
fn the_synthetic_register_is_deterministic_and_realistic() {
    let a = synthetic_register(3_000, 50, 42);
    assert_eq!(a, synthetic_register(3_000, 50, 42));
    assert_ne!(a, synthetic_register(3_000, 50, 43));
    assert_eq!(a.len(), 3_000);
    let categories: BTreeSet<_> = a.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(categories.len(), 20);
    let authorities: BTreeSet<_> = a.iter().map(|(_, i)| i.authority.clone()).collect();
    assert_eq!(authorities.len(), 50);
    let mut with_break = 0;
    let mut with_extension = 0;
    for (_, i) in &a {
        let w = i.window;
        assert!(w.earliest <= w.latest);
        assert!(w.earliest >= d("2023-01-01") && w.earliest <= d("2034-12-31"));
        assert!(w.latest >= d("2026-01-01") && w.latest <= d("2038-12-31"));
        assert!(i.annual_value.0 > 0);
        with_break += usize::from(w.earliest.year() < w.latest.year() - 1);
        with_extension += usize::from(w.latest.year() >= 2035);
    }
    assert!(
        with_break > 100 && with_extension > 100,
        "{with_break} {with_extension}"
    );
}

#[test]
fn the_bench_runs_every_phase() {
    let r = bench_plan(20_000, 60, today());
    assert_eq!(r.contracts, 20_000);
    assert_eq!(r.categories, 20);
    assert!(r.joint_cohorts > 20);
    assert!(r.largest_cohort_authorities > 1);
    assert!(r.agreement_authorities > 0 && r.listed_members > 0);
    assert!(r.planning() >= r.cohorts);
}

// ---------------------------------------------------------------------------
// Against brute force
// ---------------------------------------------------------------------------

/// A date from 2025 to 2029: any day, or the last day of a month (where month
/// arithmetic rounds).
fn date() -> impl Strategy<Value = Date> {
    prop_oneof![
        (0i64..1826).prop_map(|n| d("2025-01-01").saturating_add(jiff::Span::new().days(n))),
        (2025i16..2030, 1i8..=12).prop_map(|(y, m)| Date::new(y, m, 1).unwrap().last_of_month()),
    ]
}

fn items() -> impl Strategy<Value = Vec<PlanItem>> {
    prop::collection::vec((0usize..4, date(), date(), 0i64..4), 0..=8).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (authority, a, b, value))| PlanItem {
                authority: org(authority),
                reference: format!("c{i}"),
                window: ExitWindow {
                    earliest: a.min(b),
                    latest: a.max(b),
                },
                annual_value: Pence(value * 100),
            })
            .collect()
    })
}

fn params() -> impl Strategy<Value = PlanParams> {
    (0u32..=36, 0u32..=12, 0u32..=13).prop_map(|(term, lead, mob)| PlanParams {
        term_months: term,
        lead_months: lead,
        mobilisation_months: mob,
        max_cohorts: usize::MAX,
    })
}

/// The contracts of `items` as a set of references.
fn refs(items: &[PlanItem], mask: u32) -> BTreeSet<String> {
    (0..items.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| items[i].reference.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn joint_cohorts_are_exactly_the_maximal_sets_with_a_common_date(items in items()) {
        let n = items.len();
        let common = |mask: u32| {
            let members: Vec<&PlanItem> = (0..n).filter(|i| mask & (1 << i) != 0).map(|i| &items[i]).collect();
            let from = members.iter().map(|i| i.window.earliest).max().unwrap();
            let to = members.iter().map(|i| i.window.latest).min().unwrap();
            (from <= to).then_some((from, to))
        };
        // A set with a common date stays one when a member is dropped, so it is
        // maximal when no single other contract can be added.
        let maximal: Vec<u32> = (1u32..(1 << n))
            .filter(|&m| common(m).is_some())
            .filter(|&m| (0..n).all(|j| m & (1 << j) != 0 || common(m | (1 << j)).is_none()))
            .collect();
        let p = plan("Any", &items, &all(), d("2026-01-01"));
        prop_assert_eq!(p.cohort_count, maximal.len());
        prop_assert_eq!(p.cohorts.len(), maximal.len());
        let found: BTreeSet<BTreeSet<String>> = p.cohorts.iter().map(|c| c.contracts.iter().cloned().collect()).collect();
        let expected: BTreeSet<BTreeSet<String>> = maximal.iter().map(|&m| refs(&items, m)).collect();
        prop_assert_eq!(found, expected);
        for c in &p.cohorts {
            let m = maximal.iter().copied().find(|&m| refs(&items, m) == c.contracts.iter().cloned().collect()).unwrap();
            let (from, to) = common(m).unwrap();
            prop_assert_eq!((c.from, c.to), (from, to));
            let authorities: BTreeSet<OrgId> = (0..n).filter(|i| m & (1 << i) != 0).map(|i| items[i].authority.clone()).collect();
            prop_assert_eq!(&c.authorities, &authorities.into_iter().collect::<Vec<_>>());
            let value: i64 = (0..n).filter(|i| m & (1 << i) != 0).map(|i| items[i].annual_value.0).sum();
            prop_assert_eq!(c.annual_value_pence, Pence(value));
        }
        for w in p.cohorts.windows(2) {
            let key = |c: &consort_core::planner::JointCohort| (std::cmp::Reverse(c.authorities.len()), std::cmp::Reverse(c.annual_value_pence), c.from, c.to);
            prop_assert!(key(&w[0]) < key(&w[1]), "ranked best first");
        }
    }

    #[test]
    fn the_shared_agreement_is_the_earliest_best_start(items in items(), params in params(), today in date()) {
        let mob = Span::Months(params.mobilisation_months);
        let term = Span::Months(params.term_months);
        let shifted: Vec<(Date, Date)> = items.iter().map(|i| (mob.before(i.window.earliest), mob.before(i.window.latest))).collect();
        let covered_at = |s: Date| -> Vec<usize> {
            let end = term.after(s);
            (0..items.len()).filter(|&i| shifted[i].0 <= end && shifted[i].1 >= s).collect()
        };
        let score = |covered: &[usize]| {
            let authorities: BTreeSet<&OrgId> = covered.iter().map(|&i| &items[i].authority).collect();
            (authorities.len(), covered.iter().map(|&i| items[i].annual_value.0).sum::<i64>())
        };
        // Every start from the earliest possible to the day after the last
        // shifted exit, after which nothing is covered.
        let first = Span::Months(params.lead_months).after(today);
        let last = shifted.iter().map(|s| s.1).max().map_or(first, |l| l.tomorrow().unwrap().max(first));
        let mut best = (first, score(&covered_at(first)));
        let mut s = first;
        while s <= last {
            let sc = score(&covered_at(s));
            if sc > best.1 {
                best = (s, sc);
            }
            s = s.tomorrow().unwrap();
        }
        let p = plan("Any", &items, &params, today);
        let a = &p.agreement;
        prop_assert_eq!(a.start, best.0);
        prop_assert_eq!(a.covered.len(), best.1.0);
        prop_assert_eq!(p.agreement_value_pence.0, best.1.1);
        prop_assert_eq!(a.end, term.after(a.start));
        prop_assert_eq!(a.procurement_start, Span::Months(params.lead_months).before(a.start).max(today));
        let covered = covered_at(a.start);
        let expected: BTreeSet<String> = covered.iter().map(|&i| items[i].reference.clone()).collect();
        let listed: BTreeSet<String> = a.covered.iter().flat_map(|c| c.contracts.iter().cloned()).collect();
        prop_assert_eq!(listed, expected);
        let everyone: BTreeSet<OrgId> = items.iter().map(|i| i.authority.clone()).collect();
        let served: BTreeSet<OrgId> = a.covered.iter().map(|c| c.authority.clone()).collect();
        let unserved: BTreeSet<OrgId> = a.not_covered.iter().map(|c| c.authority.clone()).collect();
        prop_assert_eq!(served.len() + unserved.len(), everyone.len());
        prop_assert_eq!(served.union(&unserved).cloned().collect::<BTreeSet<_>>(), everyone);
        for n in &a.not_covered {
            prop_assert!(n.reason.starts_with("its "), "{}", n.reason);
        }
    }

    #[test]
    fn summaries_and_listings_agree(items in items(), params in params(), today in date()) {
        let index = CategoryIndex::new(&items);
        let summary = index.agreement_summary(&params, today);
        let agreement = index.shared_agreement(&params, today);
        prop_assert_eq!(summary.start, agreement.start);
        prop_assert_eq!(summary.authority_count as usize, agreement.covered.len());
        prop_assert_eq!(summary.contract_count as usize, agreement.covered.iter().map(|c| c.contracts.len()).sum::<usize>());
        for s in index.joint_cohorts() {
            let c = index.materialise(&s);
            prop_assert_eq!(c.authorities.len(), s.authority_count as usize);
            prop_assert_eq!(c.contracts.len(), s.contract_count as usize);
            prop_assert_eq!(c.annual_value_pence, s.annual_value_pence);
        }
    }
}
