//! Procurement timelines: every route on both regimes (or its clear error),
//! hand-checked dates for the open procedure and the dynamic market / DPS on
//! both regimes, the latest start (property test), and bad input.
//!
//! Hand computations: "(n)" is day n of a count; a day in brackets is skipped.

use consort_core::calendar::{CalendarError, Regime};
use consort_core::timeline::{Route, Timeline, TimelineError, timeline};
use jiff::ToSpan;
use jiff::civil::{Date, date};
use proptest::prelude::*;

const PA: Regime = Regime::Pa2023;
const PCR: Regime = Regime::Pcr2015;

fn tl(route: Route, regime: Regime, start: Date) -> Timeline {
    timeline(route, regime, start, None).unwrap_or_else(|e| panic!("{route} {regime} {start}: {e}"))
}

fn earliest(t: &Timeline) -> Vec<Date> {
    t.milestones.iter().map(|m| m.earliest).collect()
}

fn typical(t: &Timeline) -> Vec<Date> {
    t.milestones.iter().map(|m| m.typical).collect()
}

#[test]
fn every_route_on_both_regimes_or_a_clear_error() {
    for route in Route::ALL {
        // PA 2023 from 2 Mar 2026: every route is available.
        let t = tl(route, PA, date(2026, 3, 2));
        check_shape(&t);
        // PCR 2015: new procurements only if begun before 24 Feb 2025.
        match route {
            Route::OpenFramework => {
                let e = timeline(route, PCR, date(2024, 6, 3), None).unwrap_err();
                assert!(
                    e.to_string().contains("PCR 2015 has no open frameworks"),
                    "{e}"
                );
                assert!(e.to_string().contains("use --regime pa2023"), "{e}");
            }
            _ => check_shape(&tl(route, PCR, date(2024, 6, 3))),
        }
        let late = timeline(route, PCR, date(2026, 3, 2), None);
        match route {
            Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition => {
                check_shape(&late.unwrap());
            }
            _ => {
                let e = late.unwrap_err();
                assert!(matches!(e, TimelineError::NotAvailable { .. }), "{e}");
                assert!(!e.to_string().contains('\n'));
            }
        }
        // PA 2023 did not apply before 24 Feb 2025.
        let e = timeline(route, PA, date(2025, 2, 21), None).unwrap_err();
        assert!(e.to_string().contains("2025-02-24"), "{e}");
    }
}

fn check_shape(t: &Timeline) {
    assert_eq!(t.milestones[0].earliest, t.start);
    assert_eq!(t.milestones[0].typical, t.start);
    for w in t.milestones.windows(2) {
        assert!(w[0].earliest <= w[1].earliest, "{:?}", t);
        assert!(w[0].typical <= w[1].typical, "{:?}", t);
    }
    for m in &t.milestones {
        assert!(m.earliest <= m.typical, "{m:?}");
        assert!(!m.statutory_basis.is_empty() && !m.typical_basis.is_empty());
        assert!(
            m.statutory_basis.contains("statutory minimum")
                || m.statutory_basis.starts_with("the start")
                || m.statutory_basis.starts_with("not before")
                || m.statutory_basis.starts_with("no standstill"),
            "{m:?}"
        );
    }
    let last = t.milestones.last().unwrap();
    assert!(last.name.starts_with("Go-live"));
    assert_eq!(t.earliest_go_live, last.earliest);
    assert_eq!(t.typical_go_live, last.typical);
    // The realistic mobilisation is the planner's 12 months.
    let before = &t.milestones[t.milestones.len() - 2];
    assert_eq!(
        last.typical,
        before.typical.checked_add(12.months()).unwrap()
    );
    assert!(last.typical_basis.contains("12 months"));
}

#[test]
fn open_procedure_pa2023_by_hand() {
    let t = tl(Route::OpenProcedure, PA, date(2026, 3, 2));
    // UK4 Mon 2 Mar 2026. Tendering, s.54(4) row 7: 25 days from the day after:
    // 3 Mar (1) .. 27 Mar (25), a Friday; PA has no roll-forward.
    // Evaluation: no minimum; the day after the deadline, Sat 28 Mar.
    // Standstill s.51: 8 working days beginning with 28 Mar (a Saturday, so day 1
    // is Mon 30 Mar): 30 (1), 31 (2), 1 Apr (3), 2 (4), [3 Good Friday], [4-5
    // weekend], [6 Easter Monday], 7 (5), 8 (6), 9 (7), 10 (8). Contract 11 Apr.
    assert_eq!(
        earliest(&t),
        vec![
            date(2026, 3, 2),
            date(2026, 3, 27),
            date(2026, 3, 28),
            date(2026, 4, 10),
            date(2026, 4, 11),
            date(2026, 4, 11),
        ]
    );
    // Typical: tenders 42 days -> 13 Apr; evaluation 42 days -> Mon 25 May
    // (Spring bank holiday); standstill begins with it, day 1 is 26 May: 26 (1),
    // 27, 28, 29 (4), 1 Jun (5), 2, 3, 4 (8). Sign 7 days -> 11 Jun; 12 months.
    assert_eq!(
        typical(&t),
        vec![
            date(2026, 3, 2),
            date(2026, 4, 13),
            date(2026, 5, 25),
            date(2026, 6, 4),
            date(2026, 6, 11),
            date(2027, 6, 11),
        ]
    );
    assert!(t.milestones[1].statutory_basis.contains("s.54(4)"));
    assert!(t.milestones[3].citations[0].contains("pa23.s51.standstill"));
    assert!(
        t.milestones[2]
            .statutory_basis
            .starts_with("no statutory minimum")
    );
    assert!(
        t.milestones[1]
            .typical_basis
            .contains("Consort's assumption")
    );
}

#[test]
fn open_procedure_pcr2015_by_hand() {
    let t = tl(Route::OpenProcedure, PCR, date(2024, 6, 3));
    // Contract notice Mon 3 Jun 2024. reg 27(2),(6): 30 days from the day after:
    // 4 Jun (1) .. 3 Jul (30), a Wednesday. Award decision notices earliest
    // Thu 4 Jul. reg 87(2): the 10th day after is Sun 14 Jul; reg 2(4) moves it
    // to Mon 15 Jul. Contract Tue 16 Jul.
    assert_eq!(
        earliest(&t),
        vec![
            date(2024, 6, 3),
            date(2024, 7, 3),
            date(2024, 7, 4),
            date(2024, 7, 15),
            date(2024, 7, 16),
            date(2024, 7, 16),
        ]
    );
    // Typical: 3 Jun + 42 = 15 Jul; + 42 = Mon 26 Aug (Summer bank holiday);
    // 10th day after is Thu 5 Sep; sign 12 Sep; go-live 12 Sep 2025.
    assert_eq!(
        typical(&t),
        vec![
            date(2024, 6, 3),
            date(2024, 7, 15),
            date(2024, 8, 26),
            date(2024, 9, 5),
            date(2024, 9, 12),
            date(2025, 9, 12),
        ]
    );
    assert!(t.notes.iter().any(|n| n.contains("tr.pcr_continues")));
}

#[test]
fn dynamic_market_pa2023_by_hand() {
    let t = tl(Route::DynamicMarket, PA, date(2026, 3, 2));
    // UK13 Mon 2 Mar 2026; admission: no minimum (s.36(6) "reasonable period"),
    // so members could be admitted and the first award invited the same day.
    // Tendering for a dynamic market award, s.54(4) row 6: 10 days from the day
    // after: 3 Mar (1) .. 12 Mar (10). Evaluation the day after, 13 Mar; no
    // standstill (s.51(3)), so the contract and go-live earliest 13 Mar.
    assert_eq!(
        earliest(&t),
        vec![
            date(2026, 3, 2),
            date(2026, 3, 2),
            date(2026, 3, 2),
            date(2026, 3, 12),
            date(2026, 3, 13),
            date(2026, 3, 13),
            date(2026, 3, 13),
        ]
    );
    // Typical: admission 42 days -> 13 Apr; + 14 -> 27 Apr; tenders 28 days ->
    // 25 May; evaluation 21 -> 15 Jun; sign 7 -> 22 Jun; 12 months -> 22 Jun 2027.
    assert_eq!(
        typical(&t),
        vec![
            date(2026, 3, 2),
            date(2026, 4, 13),
            date(2026, 4, 27),
            date(2026, 5, 25),
            date(2026, 6, 15),
            date(2026, 6, 22),
            date(2027, 6, 22),
        ]
    );
    assert!(
        t.milestones[1]
            .statutory_basis
            .starts_with("no statutory minimum")
    );
    assert!(t.notes.iter().any(|n| n.contains("no maximum term")));
}

#[test]
fn dynamic_purchasing_system_pcr2015_by_hand() {
    let t = tl(Route::DynamicMarket, PCR, date(2024, 6, 3));
    // DPS contract notice Mon 3 Jun 2024. reg 34(9): requests at least 30 days:
    // 4 Jun (1) .. Wed 3 Jul (30). reg 34(16): 10 working days after receipt on
    // 3 Jul: 4 (1), 5 (2), [6-7], 8..12 (7), [13-14], 15 (8), 16 (9), 17 (10).
    // First ITT the same day; reg 34(11): 10 days from 17 Jul is Sat 27 Jul,
    // moved by reg 2(4) to Mon 29 Jul. Evaluation 30 Jul; no standstill.
    assert_eq!(
        earliest(&t),
        vec![
            date(2024, 6, 3),
            date(2024, 7, 3),
            date(2024, 7, 17),
            date(2024, 7, 17),
            date(2024, 7, 29),
            date(2024, 7, 30),
            date(2024, 7, 30),
            date(2024, 7, 30),
        ]
    );
    // Typical: assessment extended to 15 working days (reg 34(17)): 18 (11), 19,
    // 22, 23, 24 (15) -> 24 Jul; + 14 -> 7 Aug; tenders 28 days -> 4 Sep;
    // evaluation 21 -> 25 Sep; sign 7 -> 2 Oct; 12 months -> 2 Oct 2025.
    assert_eq!(
        typical(&t),
        vec![
            date(2024, 6, 3),
            date(2024, 7, 3),
            date(2024, 7, 24),
            date(2024, 8, 7),
            date(2024, 9, 4),
            date(2024, 9, 25),
            date(2024, 10, 2),
            date(2025, 10, 2),
        ]
    );
    assert!(
        t.notes.iter().any(|n| n.contains("2029-02-23")),
        "{:?}",
        t.notes
    );
    // A new PCR DPS cannot be set up from 24 Feb 2025.
    let e = timeline(Route::DynamicMarket, PCR, date(2025, 2, 24), None).unwrap_err();
    assert!(e.to_string().contains("use --regime pa2023"), "{e}");
}

#[test]
fn further_competition_has_no_statutory_minimum() {
    for (regime, start) in [(PA, date(2026, 3, 2)), (PCR, date(2026, 3, 2))] {
        let t = tl(Route::ExistingFrameworkFurtherCompetition, regime, start);
        let tenders = &t.milestones[1];
        assert_eq!(tenders.earliest, start);
        assert!(tenders.statutory_basis.starts_with("no statutory minimum"));
        if regime == PCR {
            assert!(tenders.statutory_basis.contains("no fixed minimum"));
        }
    }
}

#[test]
fn latest_start_with_a_go_live_date() {
    let go = date(2027, 9, 1);
    let t = timeline(Route::OpenProcedure, PA, date(2026, 3, 2), Some(go)).unwrap();
    // The typical timeline is 15 months and 10 days (2 Mar 2026 -> 11 Jun 2027).
    assert_eq!(t.latest_start, Some(date(2026, 5, 22)));
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("searching over start dates"))
    );
    // Too early a go-live: even the statutory minimum cannot reach it.
    let t = timeline(
        Route::OpenProcedure,
        PA,
        date(2026, 3, 2),
        Some(date(2026, 4, 1)),
    )
    .unwrap();
    assert!(
        t.notes
            .iter()
            .any(|n| n.starts_with("Even at the statutory minimum"))
    );
    // PCR new procurements: capped by the last day one could begin.
    let t = timeline(Route::OpenProcedure, PCR, date(2024, 6, 3), Some(go)).unwrap();
    assert_eq!(t.latest_start, Some(date(2025, 2, 23)));
}

fn reaches(route: Route, regime: Regime, start: Date, go: Date) -> bool {
    matches!(timeline(route, regime, start, None), Ok(t) if t.typical_go_live <= go)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn latest_start_is_the_last_start_that_reaches_go_live(
        route in 0usize..7,
        offset in 420i32..900,
    ) {
        let route = Route::ALL[route];
        let go = date(2025, 6, 1).checked_add(offset.days()).unwrap();
        let t = timeline(route, PA, date(2026, 1, 5), Some(go)).unwrap();
        match t.latest_start {
            Some(s) => {
                prop_assert!(reaches(route, PA, s, go), "{route} {s} {go}");
                prop_assert!(!reaches(route, PA, s.tomorrow().unwrap(), go), "{route} {s} {go}");
            }
            // No start reaches go-live at all: the timeline must say so.
            None => {
                prop_assert!(!reaches(route, PA, date(2026, 1, 5), go), "{route} {go}");
                prop_assert!(!t.notes.is_empty(), "{route} {go}: no note explains the missing latest start");
            }
        }
    }
}

#[test]
fn bad_input() {
    let e = "dps".parse::<Route>().unwrap_err().to_string();
    assert_eq!(
        e,
        "'dps' is not a route: use existing-framework-direct-award, existing-framework-further-competition, own-framework, open-framework, dynamic-market, open-procedure or competitive-flexible"
    );
    assert_eq!(
        "Open-Procedure".parse::<Route>().unwrap(),
        Route::OpenProcedure
    );
    for r in Route::ALL {
        assert_eq!(r.as_str().parse::<Route>().unwrap(), r);
        assert!(!r.label().is_empty());
    }
    // Outside the calendar's data.
    let e = timeline(Route::OpenProcedure, PA, date(2030, 1, 7), None).unwrap_err();
    assert!(
        matches!(
            e,
            TimelineError::Calendar(CalendarError::OutsideData { .. })
        ),
        "{e}"
    );
    // Starts inside the data but a statutory period runs past it.
    let e = timeline(Route::OpenProcedure, PA, date(2028, 12, 20), None).unwrap_err();
    assert!(e.to_string().contains("runs past 2028-12-31"), "{e}");
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn serialises_with_dates_as_yyyy_mm_dd() {
    let t = tl(Route::OwnFramework, PA, date(2026, 3, 2));
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["route"], "own-framework");
    assert_eq!(v["regime"], "pa2023");
    assert_eq!(v["start"], "2026-03-02");
    assert_eq!(v["milestones"][1]["earliest"], "2026-03-27");
    assert!(v["milestones"][0]["citations"].is_array());
}
