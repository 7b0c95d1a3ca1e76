//! The legal clock, checked against worked examples computed by hand from the text
//! of the law (PA 2023 ss.51, 54, 123; PCR 2015 regs 2, 27, 28, 34, 87), including
//! the digest's own worked examples, and by property tests.
//!
//! Each hand computation is written out next to its assertion: "(n)" is day n of
//! the count; a day in brackets is not counted and why.

use consort_core::calendar::{
    CalendarError, Confidence, FirstDay, Ground, Period, PeriodResult, ReasonKind, Regime,
    calendar, compute, rule, rules, threshold, thresholds,
};
use jiff::civil::{Date, date};
use proptest::prelude::*;

const PA: Regime = Regime::Pa2023;
const PCR: Regime = Regime::Pcr2015;

fn run(regime: Regime, period: Period, from: Date) -> PeriodResult {
    compute(regime, period, from).unwrap_or_else(|e| panic!("{regime} {period} from {from}: {e}"))
}

fn texts(r: &PeriodResult) -> Vec<&str> {
    r.reasons.iter().map(|r| r.text.as_str()).collect()
}

fn has_line(r: &PeriodResult, line: &str) -> bool {
    r.reasons.iter().any(|x| x.text == line)
}

fn skipped(r: &PeriodResult) -> Vec<Date> {
    r.reasons
        .iter()
        .filter(|x| x.kind == ReasonKind::Skipped)
        .filter_map(|x| x.date)
        .collect()
}

// ---------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------

#[test]
fn rules_data_parses_and_every_period_rule_builds() {
    let data = rules();
    assert_eq!(data.compiled, date(2026, 11, 25));
    assert!(data.disclaimer.contains("not legal advice"));
    let cal = calendar();
    assert_eq!(cal.years(), (2019, 2028));
    assert_eq!(cal.first_day(), date(2019, 1, 1));
    assert_eq!(cal.last_day(), date(2028, 12, 31));
    for regime in Regime::ALL {
        for period in Period::ALL {
            match rule(regime, period) {
                Ok(r) => {
                    assert!(r.length > 0);
                    assert!(!r.citations.is_empty());
                }
                Err(CalendarError::NotInRegime { .. })
                    if regime == PA && period == Period::DpsAssessment => {}
                Err(e) => panic!("{regime} {period}: {e}"),
            }
        }
    }
}

#[test]
fn period_lengths_units_and_counting_come_from_the_data() {
    use consort_core::calendar::{EndRule, Unit};
    let r = rule(PA, Period::Standstill).unwrap();
    assert_eq!(
        (r.length, r.unit, r.first_day),
        (8, Unit::WorkingDays, FirstDay::EventDay)
    );
    assert_eq!(r.citations[0].id, "pa23.s51.standstill");
    let r = rule(PA, Period::Tendering).unwrap();
    assert_eq!(
        (r.length, r.unit, r.first_day, r.end),
        (
            25,
            Unit::CalendarDays,
            FirstDay::DayAfter,
            EndRule::AsCounted
        )
    );
    assert_eq!(r.citations[0].id, "pa23.s54.tendering.e_all_docs");
    let r = rule(PA, Period::Participation).unwrap();
    assert_eq!((r.length, r.unit), (25, Unit::CalendarDays));
    assert_eq!(r.citations[0].id, "pa23.s54.participation.default");
    let r = rule(PA, Period::CallOffTendering).unwrap();
    assert_eq!((r.length, r.unit), (10, Unit::CalendarDays));
    assert_eq!(r.citations[0].id, "pa23.s54.tendering.dynamic_market");

    let r = rule(PCR, Period::Standstill).unwrap();
    assert_eq!(
        (r.length, r.unit, r.first_day, r.end),
        (
            10,
            Unit::CalendarDays,
            FirstDay::DayAfter,
            EndRule::RollForwardToNextWorkingDay
        )
    );
    assert_eq!(
        r.min_working_days, None,
        "reg 2(3) is Part 2 only; reg 87 is Part 3"
    );
    assert_eq!(r.citations[0].id, "pcr15.reg87.standstill_electronic");
    let r = rule(PCR, Period::Tendering).unwrap();
    assert_eq!((r.length, r.min_working_days), (30, Some(2)));
    assert_eq!(r.citations[0].id, "pcr15.open.electronic");
    let r = rule(PCR, Period::Participation).unwrap();
    assert_eq!(r.length, 30);
    assert_eq!(r.citations[0].id, "pcr15.restricted.requests");
    let r = rule(PCR, Period::CallOffTendering).unwrap();
    assert_eq!(r.length, 10);
    assert_eq!(r.citations[0].id, "pcr15.dps.tender_10");
    let r = rule(PCR, Period::DpsAssessment).unwrap();
    assert_eq!(
        (r.length, r.unit, r.extended_length),
        (10, Unit::WorkingDays, Some(15))
    );
    assert_eq!(r.citations[0].id, "pcr15.dps.assess_10wd");
}

// ---------------------------------------------------------------------------
// Working days
// ---------------------------------------------------------------------------

#[test]
fn pa2023_working_days_exclude_every_part_of_the_uk() {
    let cal = calendar();
    // s.123(1): a bank holiday in ANY part of the UK.
    for (d, why) in [
        (
            date(2026, 11, 30),
            "St Andrew's Day, a bank holiday in Scotland",
        ),
        (
            date(2026, 6, 15),
            "World Cup bank holiday (Scotland), a bank holiday in Scotland",
        ),
        (
            date(2027, 1, 4),
            "2nd January (substitute day), a bank holiday in Scotland",
        ),
        (
            date(2026, 8, 3),
            "Summer bank holiday, a bank holiday in Scotland",
        ),
        (
            date(2027, 3, 17),
            "St Patrick's Day, a bank holiday in Northern Ireland",
        ),
        (
            date(2027, 7, 12),
            "Battle of the Boyne (Orangemen's Day), a bank holiday in Northern Ireland",
        ),
        (
            date(2026, 4, 6),
            "Easter Monday, a bank holiday in England and Wales and Northern Ireland",
        ),
    ] {
        let grounds = cal.non_working_grounds(PA, d).unwrap();
        assert_eq!(grounds.len(), 1, "{d}: {grounds:?}");
        assert_eq!(grounds[0].to_string(), why, "{d}");
    }
    // 12 July 2026 is a Sunday: Northern Ireland's substitute is Monday 13 July.
    assert!(!cal.is_working_day(PA, date(2026, 7, 13)).unwrap());
    assert!(cal.is_working_day(PA, date(2026, 12, 1)).unwrap());
}

#[test]
fn pcr2015_working_days_follow_england_and_wales_and_name_christmas_and_good_friday() {
    let cal = calendar();
    for d in [
        date(2026, 11, 30),
        date(2026, 6, 15),
        date(2027, 1, 4),
        date(2026, 8, 3),
        date(2027, 3, 17),
        date(2027, 7, 12),
    ] {
        assert!(
            cal.is_working_day(PCR, d).unwrap(),
            "{d} is a working day under PCR 2015"
        );
    }
    assert_eq!(
        cal.non_working_grounds(PCR, date(2026, 4, 3)).unwrap(),
        vec![Ground::GoodFriday]
    );
    assert_eq!(
        cal.non_working_grounds(PCR, date(2026, 12, 25)).unwrap(),
        vec![Ground::ChristmasDay]
    );
    // 25 December 2027 is a Saturday: both grounds are given.
    assert_eq!(
        cal.non_working_grounds(PCR, date(2027, 12, 25))
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["Saturday", "Christmas Day"]
    );
    assert!(!cal.is_working_day(PCR, date(2026, 8, 31)).unwrap());
}

#[test]
fn dates_outside_the_data_are_errors_never_guesses() {
    let cal = calendar();
    for d in [date(2018, 12, 31), date(2029, 1, 1)] {
        let e = cal.is_working_day(PA, d).unwrap_err();
        assert!(matches!(e, CalendarError::OutsideData { .. }));
        assert!(e.to_string().contains("covers only 2019 to 2028"), "{e}");
        let e = compute(PCR, Period::Standstill, d).unwrap_err();
        assert!(matches!(e, CalendarError::OutsideData { .. }));
    }
    // Starts inside the data, would end after it:
    // Thu 28 Dec 2028 (1), Fri 29 (2), then 2029.
    let e = compute(PA, Period::Standstill, date(2028, 12, 28)).unwrap_err();
    assert!(matches!(e, CalendarError::RunsPastData { .. }), "{e}");
    assert!(e.to_string().contains("2028-12-31"), "{e}");
    let e = compute(PA, Period::Tendering, date(2028, 12, 20)).unwrap_err();
    assert!(matches!(e, CalendarError::RunsPastData { .. }), "{e}");
}

#[test]
fn a_period_the_regime_does_not_have_is_an_error_that_says_so() {
    let e = compute(PA, Period::DpsAssessment, date(2026, 5, 1)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("PA 2023 has no dps-assessment period"),
        "{msg}"
    );
    assert!(msg.contains("s.36(6)"), "{msg}");
    assert!(
        msg.ends_with(
            "under pa2023 use standstill, tendering, participation or call-off-tendering"
        ),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn unknown_periods_and_regimes_name_what_is_allowed() {
    let e = "standstil".parse::<Period>().unwrap_err().to_string();
    assert_eq!(
        e,
        "'standstil' is not a period: use standstill, tendering, participation, call-off-tendering or dps-assessment"
    );
    let e = "pa2024".parse::<Regime>().unwrap_err().to_string();
    assert!(e.contains("use pa2023") && e.contains("pcr2015"), "{e}");
    assert_eq!(
        "call-off-tendering".parse::<Period>().unwrap(),
        Period::CallOffTendering
    );
    assert_eq!("PCR2015".parse::<Regime>().unwrap(), PCR);
}

// ---------------------------------------------------------------------------
// The digest's worked examples (shared/data/rules/README.md)
// ---------------------------------------------------------------------------

#[test]
fn pa2023_standstill_st_andrews_day() {
    // Wed 25 Nov 2026 (1), Thu 26 (2), Fri 27 (3), [Sat 28, Sun 29],
    // [Mon 30: St Andrew's Day, Scotland], Tue 1 Dec (4), Wed 2 (5), Thu 3 (6),
    // Fri 4 (7), [Sat 5, Sun 6], Mon 7 (8).
    let r = run(PA, Period::Standstill, date(2026, 11, 25));
    assert_eq!(r.last_day, date(2026, 12, 7));
    assert_eq!(r.first_day, date(2026, 11, 25));
    assert!(
        has_line(
            &r,
            "2026-11-30 skipped: St Andrew's Day, a bank holiday in Scotland (PA 2023 s.123(1))"
        ),
        "{:#?}",
        texts(&r)
    );
    assert_eq!(
        skipped(&r),
        vec![
            date(2026, 11, 28),
            date(2026, 11, 29),
            date(2026, 11, 30),
            date(2026, 12, 5),
            date(2026, 12, 6)
        ]
    );
    assert_eq!(r.deadline_rfc3339(), "2026-12-08T00:00:00+00:00");
    assert_eq!(r.confidence, Confidence::VerifiedFromText);
    // An England-and-Wales-only calendar would give Fri 4 Dec.
    let ew = calendar()
        .add_working_days(PCR, date(2026, 11, 25), 8, FirstDay::EventDay)
        .unwrap();
    assert_eq!(ew, date(2026, 12, 4));
}

#[test]
fn pa2023_standstill_scottish_world_cup_holiday() {
    // Wed 10 Jun 2026 (1), Thu 11 (2), Fri 12 (3), [Sat 13, Sun 14],
    // [Mon 15: World Cup bank holiday, Scotland], Tue 16 (4) ... Fri 19 (7),
    // [Sat 20, Sun 21], Mon 22 (8).
    let r = run(PA, Period::Standstill, date(2026, 6, 10));
    assert_eq!(r.last_day, date(2026, 6, 22));
    assert!(skipped(&r).contains(&date(2026, 6, 15)));
    // Summer time: midnight at the end of 22 June is 23:00 UTC.
    assert_eq!(r.deadline_rfc3339(), "2026-06-23T00:00:00+01:00");
    let ew = calendar()
        .add_working_days(PCR, date(2026, 6, 10), 8, FirstDay::EventDay)
        .unwrap();
    assert_eq!(ew, date(2026, 6, 19));
}

#[test]
fn pa2023_standstill_across_christmas_and_the_scottish_substitute() {
    // Wed 23 Dec 2026 (1), Thu 24 (2), [Fri 25 Christmas], [Sat 26, Sun 27],
    // [Mon 28 Boxing Day substitute], Tue 29 (3), Wed 30 (4), Thu 31 (5),
    // [Fri 1 Jan], [Sat 2, Sun 3], [Mon 4 Jan: 2nd January substitute, Scotland],
    // Tue 5 (6), Wed 6 (7), Thu 7 (8).
    let r = run(PA, Period::Standstill, date(2026, 12, 23));
    assert_eq!(r.last_day, date(2027, 1, 7));
    assert_eq!(skipped(&r).len(), 8);
    assert!(has_line(
        &r,
        "2027-01-04 skipped: 2nd January (substitute day), a bank holiday in Scotland (PA 2023 s.123(1))"
    ));
    assert!(has_line(
        &r,
        "2026-12-25 skipped: Christmas Day, a bank holiday in England and Wales, Scotland and Northern Ireland (PA 2023 s.123(1))"
    ));
    assert_eq!(r.deadline_rfc3339(), "2027-01-08T00:00:00+00:00");
}

#[test]
fn pcr2015_standstill_emailed_wednesday_23_december_2026() {
    // Reg 87(2): the 10th day after Wed 23 Dec 2026 is Sat 2 Jan 2027; reg 2(4):
    // [Sat 2, Sun 3] -> the end of Mon 4 Jan (a working day in England and Wales).
    let r = run(PCR, Period::Standstill, date(2026, 12, 23));
    assert_eq!(r.first_day, date(2026, 12, 24));
    assert_eq!(r.last_day, date(2027, 1, 4));
    assert_eq!(r.deadline_rfc3339(), "2027-01-05T00:00:00+00:00");
    assert_eq!(skipped(&r), vec![date(2027, 1, 2), date(2027, 1, 3)]);
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("End moved from 2027-01-02 to 2027-01-04"))
    );
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.contains("midnight at the end of 2027-01-04"))
    );
    assert_eq!(r.confidence, Confidence::VerifiedFromText);
}

#[test]
fn pa2023_tendering_ending_on_new_years_day_does_not_move() {
    // s.54(5): from the day after Mon 7 Dec 2026; 25 days: 8 Dec (1) ... 1 Jan 2027 (25).
    // New Year's Day is not a working day, but the Act has no roll-forward rule.
    let r = run(PA, Period::Tendering, date(2026, 12, 7));
    assert_eq!(r.first_day, date(2026, 12, 8));
    assert_eq!(r.last_day, date(2027, 1, 1));
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Last day 2027-01-01 is not a working day"))
    );
    assert!(skipped(&r).is_empty(), "calendar days: nothing is skipped");
    assert!(texts(&r).iter().any(|t| t.starts_with("Counted although not working days") && t.contains("2026-12-25")));
    assert_eq!(r.deadline_rfc3339(), "2027-01-02T00:00:00+00:00");
}

// ---------------------------------------------------------------------------
// More hand-worked examples, per period
// ---------------------------------------------------------------------------

#[test]
fn pa2023_standstill_across_easter() {
    // Wed 1 Apr 2026 (1), Thu 2 (2), [Fri 3 Good Friday], [Sat 4, Sun 5],
    // [Mon 6 Easter Monday: E&W and NI], Tue 7 (3), Wed 8 (4), Thu 9 (5), Fri 10 (6),
    // [Sat 11, Sun 12], Mon 13 (7), Tue 14 (8).
    let r = run(PA, Period::Standstill, date(2026, 4, 1));
    assert_eq!(r.last_day, date(2026, 4, 14));
    assert!(skipped(&r).contains(&date(2026, 4, 3)));
    assert!(skipped(&r).contains(&date(2026, 4, 6)));
    assert_eq!(r.deadline_rfc3339(), "2026-04-15T00:00:00+01:00");
}

#[test]
fn pa2023_standstill_across_northern_irish_holidays() {
    // Mon 15 Mar 2027 (1), Tue 16 (2), [Wed 17 St Patrick's Day, NI], Thu 18 (3),
    // Fri 19 (4), [Sat 20, Sun 21], Mon 22 (5), Tue 23 (6), Wed 24 (7), Thu 25 (8).
    let r = run(PA, Period::Standstill, date(2027, 3, 15));
    assert_eq!(r.last_day, date(2027, 3, 25));
    assert!(has_line(
        &r,
        "2027-03-17 skipped: St Patrick's Day, a bank holiday in Northern Ireland (PA 2023 s.123(1))"
    ));
    // Wed 7 Jul 2027 (1), Thu 8 (2), Fri 9 (3), [Sat 10, Sun 11],
    // [Mon 12 Battle of the Boyne, NI], Tue 13 (4), Wed 14 (5), Thu 15 (6),
    // Fri 16 (7), [Sat 17, Sun 18], Mon 19 (8).
    let r = run(PA, Period::Standstill, date(2027, 7, 7));
    assert_eq!(r.last_day, date(2027, 7, 19));
    assert!(skipped(&r).contains(&date(2027, 7, 12)));
    // 12 Jul 2026 is a Sunday; the substitute Mon 13 Jul stops the clock:
    // Wed 8 (1), Thu 9 (2), Fri 10 (3), [11, 12, Mon 13], Tue 14 (4) ... Fri 17 (7),
    // [18, 19], Mon 20 (8).
    let r = run(PA, Period::Standstill, date(2026, 7, 8));
    assert_eq!(r.last_day, date(2026, 7, 20));
}

#[test]
fn pa2023_standstill_published_on_a_saturday_begins_on_the_next_working_day() {
    // "Beginning with the day" of publication, Sat 28 Nov 2026: [Sat 28, Sun 29,
    // Mon 30 St Andrew's Day], Tue 1 Dec (1) ... Fri 4 (4), [5, 6], Mon 7 (5) ...
    // Thu 10 (8).
    let r = run(PA, Period::Standstill, date(2026, 11, 28));
    assert_eq!(r.last_day, date(2026, 12, 10));
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.contains("not a working day, so the first working day after it is day 1"))
    );
}

#[test]
fn pa2023_standstill_across_the_autumn_clock_change() {
    // Tue 20 Oct 2026 (1) ... Fri 23 (4), [Sat 24, Sun 25: clocks go back],
    // Mon 26 (5) ... Thu 29 (8). Notice published in summer time; the standstill
    // ends in GMT.
    let r = run(PA, Period::Standstill, date(2026, 10, 20));
    assert_eq!(r.last_day, date(2026, 10, 29));
    assert_eq!(r.deadline_rfc3339(), "2026-10-30T00:00:00+00:00");
    let start = r
        .from
        .to_zoned_datetime(consort_core::time::london())
        .unwrap();
    assert_eq!(
        consort_core::calendar::rfc3339(&start),
        "2026-10-20T00:00:00+01:00"
    );
    assert_ne!(start.offset(), r.deadline.offset());
}

#[test]
fn pa2023_tendering_across_the_spring_clock_change() {
    // Tue 3 Mar 2026 + 25 days = Sat 28 Mar: midnight at its end is still GMT
    // (clocks go forward at 01:00 GMT on Sun 29 Mar).
    let r = run(PA, Period::Tendering, date(2026, 3, 3));
    assert_eq!(r.last_day, date(2026, 3, 28));
    assert_eq!(r.deadline_rfc3339(), "2026-03-29T00:00:00+00:00");
    // Wed 4 Mar + 25 = Sun 29 Mar, the day of the change: its end is in BST.
    let r = run(PA, Period::Tendering, date(2026, 3, 4));
    assert_eq!(r.last_day, date(2026, 3, 29));
    assert_eq!(r.deadline_rfc3339(), "2026-03-30T00:00:00+01:00");
    assert_eq!(r.deadline.timestamp().to_string(), "2026-03-29T23:00:00Z");
}

#[test]
fn pa2023_participation_counts_easter_and_st_patricks_day_as_days() {
    // Tue 10 Mar 2026: 11 Mar (1) ... 4 Apr (25), a Saturday; Good Friday 3 Apr and
    // St Patrick's Day 17 Mar count. Invited in GMT, ends in BST.
    let r = run(PA, Period::Participation, date(2026, 3, 10));
    assert_eq!(r.last_day, date(2026, 4, 4));
    assert_eq!(r.deadline_rfc3339(), "2026-04-05T00:00:00+01:00");
    let counted = texts(&r)
        .into_iter()
        .find(|t| t.starts_with("Counted although not working days"))
        .unwrap();
    assert!(
        counted.contains("2026-03-17 (St Patrick's Day"),
        "{counted}"
    );
    assert!(counted.contains("2026-04-03 (Good Friday"), "{counted}");
    // Mon 30 Nov 2026 + 25 = Christmas Day; it stays there.
    let r = run(PA, Period::Participation, date(2026, 11, 30));
    assert_eq!(r.last_day, date(2026, 12, 25));
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Alternative:") && t.contains("urgency"))
    );
}

#[test]
fn pa2023_dynamic_market_award_tendering() {
    // s.54(4) row 6: 10 days. Fri 18 Dec 2026: 19 Dec (1) ... 28 Dec (10), the Boxing
    // Day substitute, which does not move it.
    let r = run(PA, Period::CallOffTendering, date(2026, 12, 18));
    assert_eq!(r.last_day, date(2026, 12, 28));
    // A council may agree a negotiated tendering period with the members: no minimum.
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Alternative:") && t.contains("negotiated tendering period"))
    );
}

#[test]
fn pcr2015_open_procedure_tendering_across_easter() {
    // Reg 27(2),(6): 35 − 5 = 30 days from Wed 4 Mar 2026, the day of sending not
    // counted (reg 2(3)(b)): 5 Mar (1) ... Fri 3 Apr (30) = Good Friday; reg 2(4):
    // [3 Apr, Sat 4, Sun 5, Easter Monday 6] -> the end of Tue 7 Apr.
    let r = run(PCR, Period::Tendering, date(2026, 3, 4));
    assert_eq!(r.last_day, date(2026, 4, 7));
    assert_eq!(
        skipped(&r),
        vec![
            date(2026, 4, 3),
            date(2026, 4, 4),
            date(2026, 4, 5),
            date(2026, 4, 6)
        ]
    );
    assert!(has_line(
        &r,
        "2026-04-03 skipped: Good Friday (PCR 2015 reg 2(1))"
    ));
    assert!(has_line(
        &r,
        "2026-04-06 skipped: Easter Monday, a bank holiday in England and Wales (PCR 2015 reg 2(1))"
    ));
    assert_eq!(r.deadline_rfc3339(), "2026-04-08T00:00:00+01:00");
    // Across Christmas: Thu 26 Nov 2026 + 30 = Sat 26 Dec; [26, 27, Mon 28 Boxing
    // Day substitute] -> Tue 29 Dec.
    let r = run(PCR, Period::Tendering, date(2026, 11, 26));
    assert_eq!(r.last_day, date(2026, 12, 29));
}

#[test]
fn pcr2015_restricted_procedure_requests() {
    // Reg 28(2): 30 days. Wed 28 Feb 2024: 29 Feb (1) ... Fri 29 Mar (30) = Good
    // Friday 2024; [29, Sat 30, Sun 31, Easter Monday 1 Apr] -> Tue 2 Apr 2024.
    let r = run(PCR, Period::Participation, date(2024, 2, 28));
    assert_eq!(r.last_day, date(2024, 4, 2));
    assert_eq!(r.deadline_rfc3339(), "2024-04-03T00:00:00+01:00");
    // Mon 4 Mar 2024 + 30 = Wed 3 Apr, a working day; Easter inside counts.
    let r = run(PCR, Period::Participation, date(2024, 3, 4));
    assert_eq!(r.last_day, date(2024, 4, 3));
    assert!(skipped(&r).is_empty());
}

#[test]
fn pcr2015_dps_call_off_tendering() {
    // Reg 34(11): 10 days from the ITT. Fri 18 Dec 2026: 19 Dec (1) ... Mon 28 Dec
    // (10) = Boxing Day substitute; reg 2(4) -> Tue 29 Dec.
    let r = run(PCR, Period::CallOffTendering, date(2026, 12, 18));
    assert_eq!(r.last_day, date(2026, 12, 29));
    assert_eq!(r.deadline_rfc3339(), "2026-12-30T00:00:00+00:00");
    // Sun 7 Mar 2027 + 10 = Wed 17 Mar, St Patrick's Day: a working day in England
    // and Wales, but not if Northern Ireland's holidays counted -> unclear, said so.
    let r = run(PCR, Period::CallOffTendering, date(2027, 3, 7));
    assert_eq!(r.last_day, date(2027, 3, 17));
    assert_eq!(r.confidence, Confidence::Unverified);
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Unclear: reg 2(1)") && t.contains("2027-03-18"))
    );
}

#[test]
fn pcr2015_dps_assessment_ten_working_days_extendable_to_fifteen() {
    // Reg 34(16): within 10 working days following receipt; the day of receipt is
    // not counted (reg 2(3)(b)). Received Wed 10 Mar 2027: Thu 11 (1), Fri 12 (2),
    // Mon 15 (3), Tue 16 (4), Wed 17 (5: St Patrick's Day, a working day in England
    // and Wales), Thu 18 (6), Fri 19 (7), Mon 22 (8), Tue 23 (9), Wed 24 (10).
    let r = run(PCR, Period::DpsAssessment, date(2027, 3, 10));
    assert_eq!(r.last_day, date(2027, 3, 24));
    // Reg 34(17): 15 working days: Thu 25 (11), [Fri 26 Good Friday, 27, 28,
    // Mon 29 Easter Monday], Tue 30 (12), Wed 31 (13), Thu 1 Apr (14), Fri 2 (15).
    assert_eq!(r.extended_last_day, Some(date(2027, 4, 2)));
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Extendable:") && t.contains("2027-04-02"))
    );
    // Counting Northern Ireland's holidays too would give Thu 25 Mar: said so.
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Unclear:") && t.contains("2027-03-25"))
    );
    assert_eq!(r.confidence, Confidence::Unverified);

    // Across Christmas: received Tue 22 Dec 2026: Wed 23 (1), Thu 24 (2),
    // [25, 26, 27, 28], Tue 29 (3), Wed 30 (4), Thu 31 (5), [1 Jan, 2, 3],
    // Mon 4 Jan (6: not a holiday in England and Wales), Tue 5 (7), Wed 6 (8),
    // Thu 7 (9), Fri 8 (10).
    let r = run(PCR, Period::DpsAssessment, date(2026, 12, 22));
    assert_eq!(r.last_day, date(2027, 1, 8));
    assert!(!skipped(&r).contains(&date(2027, 1, 4)));
    assert_eq!(r.confidence, Confidence::VerifiedFromText);
}

#[test]
fn pcr2015_standstill_across_easter_and_the_spring_clock_change() {
    // Tue 24 Mar 2026: the 10th day after is Fri 3 Apr, Good Friday; reg 2(4):
    // [3, 4, 5, Easter Monday 6] -> the end of Tue 7 Apr.
    let r = run(PCR, Period::Standstill, date(2026, 3, 24));
    assert_eq!(r.last_day, date(2026, 4, 7));
    // Thu 19 Mar 2026 (GMT): the 10th day after is Sun 29 Mar -> Mon 30 Mar; its
    // end is in BST.
    let r = run(PCR, Period::Standstill, date(2026, 3, 19));
    assert_eq!(r.last_day, date(2026, 3, 30));
    assert_eq!(r.deadline_rfc3339(), "2026-03-31T00:00:00+01:00");
}

#[test]
fn every_result_carries_its_rule_citations_and_deadline_reason() {
    for regime in Regime::ALL {
        for period in Period::of(regime) {
            let r = run(regime, period, date(2026, 5, 6));
            let t = texts(&r);
            assert!(t[0].starts_with("Rule: "), "{t:?}");
            assert!(t.iter().any(|l| l.starts_with("Deadline: ")), "{t:?}");
            assert!(r.citations.iter().any(|c| c.id == "bank_holidays"));
            assert!(r.reasons.iter().all(|x| !x.text.contains('\n')));
        }
    }
}

#[test]
fn a_pa2023_date_before_commencement_is_flagged() {
    let r = run(PA, Period::Standstill, date(2024, 6, 5));
    assert!(
        texts(&r)
            .iter()
            .any(|t| t.starts_with("Note: 2024-06-05 is before 2025-02-24"))
    );
}

// ---------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------

#[test]
fn thresholds_by_the_date_a_procurement_begins() {
    let t = threshold(PA, date(2026, 6, 1), "sub_central_goods_services").unwrap();
    assert_eq!(t.amount_gbp, 207_720);
    assert!(t.vat_inclusive);
    assert_eq!(t.confidence, Confidence::VerifiedFromText);
    assert!(t.source.contains("SI 2025/1200"));
    let t = threshold(PA, date(2025, 12, 31), "sub_central_goods_services").unwrap();
    assert_eq!(t.amount_gbp, 214_904);
    assert_eq!(t.confidence, Confidence::FromSecondarySource);
    assert_eq!(
        threshold(PA, date(2026, 1, 1), "light_touch")
            .unwrap()
            .amount_gbp,
        663_540
    );
    assert_eq!(thresholds(PA, date(2026, 1, 1)).unwrap().len(), 12);

    let e = thresholds(PA, date(2025, 2, 23)).unwrap_err().to_string();
    assert!(e.contains("use pcr2015"), "{e}");

    let t = threshold(PCR, date(2023, 6, 1), "sub_central_goods_services").unwrap();
    assert_eq!((t.amount_gbp, t.vat_inclusive), (213_477, true));
    assert_eq!(t.fact_id, "pcr15.thr.2022");
    let t = threshold(PCR, date(2021, 6, 1), "works").unwrap();
    assert_eq!((t.amount_gbp, t.vat_inclusive), (4_733_252, false));
    let t = threshold(PCR, date(2024, 6, 1), "sub_central_goods_services").unwrap();
    assert_eq!(
        (t.amount_gbp, t.confidence),
        (214_904, Confidence::FromSecondarySource)
    );
    let e = thresholds(PCR, date(2025, 3, 1)).unwrap_err().to_string();
    assert!(e.contains("use pa2023"), "{e}");
    let e = threshold(PCR, date(2024, 6, 1), "concession")
        .unwrap_err()
        .to_string();
    assert!(e.contains("use one of"), "{e}");
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// A day from 1 Jan 2019 to 31 Oct 2028, leaving room for any period to end
/// inside the data.
fn any_day() -> impl Strategy<Value = Date> {
    (0i64..3591).prop_map(|k| {
        date(2019, 1, 1)
            .checked_add(jiff::Span::new().days(k))
            .unwrap()
    })
}

fn any_regime() -> impl Strategy<Value = Regime> {
    prop_oneof![Just(PA), Just(PCR)]
}

proptest! {
    #[test]
    fn n_working_days_end_on_a_working_day_and_count_back_to_n(
        from in any_day(),
        n in 1u32..=40,
        regime in any_regime(),
        event_day_counts in any::<bool>(),
    ) {
        let cal = calendar();
        let first = if event_day_counts { FirstDay::EventDay } else { FirstDay::DayAfter };
        let last = cal.add_working_days(regime, from, n, first).unwrap();
        prop_assert!(cal.is_working_day(regime, last).unwrap());
        prop_assert!(last >= from);
        let first_counted = if event_day_counts { from } else { from.tomorrow().unwrap() };
        prop_assert_eq!(cal.count_working_days(regime, first_counted, last).unwrap(), n);
        // And one working day fewer ends strictly earlier.
        if n > 1 {
            prop_assert!(cal.add_working_days(regime, from, n - 1, first).unwrap() < last);
        }
    }

    #[test]
    fn computed_periods_are_never_before_the_start_and_end_at_midnight(
        from in any_day(),
        regime in any_regime(),
        which in 0usize..5,
    ) {
        let period = Period::ALL[which];
        match compute(regime, period, from) {
            Err(CalendarError::NotInRegime { .. }) => {
                prop_assert!(regime == PA && period == Period::DpsAssessment);
            }
            Err(e) => prop_assert!(false, "{}", e),
            Ok(r) => {
                prop_assert!(r.last_day >= from);
                prop_assert!(r.first_day >= from);
                prop_assert_eq!(r.deadline.date(), r.last_day.tomorrow().unwrap());
                prop_assert_eq!(r.deadline.time(), jiff::civil::Time::midnight());
                let rule = rule(regime, period).unwrap();
                let cal = calendar();
                match (regime, rule.unit) {
                    // PCR reg 2(4) and every working-day period: ends on a working day.
                    (Regime::Pcr2015, _) | (_, consort_core::calendar::Unit::WorkingDays) => {
                        prop_assert!(cal.is_working_day(regime, r.last_day).unwrap());
                    }
                    // PA 2023 s.54: exactly the minimum, in calendar days, from the day after.
                    _ => {
                        let days = from.until(r.last_day).unwrap().get_days();
                        prop_assert_eq!(i64::from(days), i64::from(rule.length));
                    }
                }
                if rule.unit == consort_core::calendar::Unit::WorkingDays {
                    prop_assert_eq!(
                        cal.count_working_days(regime, r.first_day, r.last_day).unwrap(),
                        rule.length
                    );
                }
            }
        }
    }
}
