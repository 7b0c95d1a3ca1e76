//! The statutory periods `consort clock` computes, each built from the embedded
//! rules data and computed on the calendar of its regime, with its reasons.
//!
//! | period | PA 2023 | PCR 2015 |
//! | --- | --- | --- |
//! | `standstill` | s.51(2): 8 working days beginning with the day the contract award notice is published | reg 87(2): ends at midnight at the end of the 10th day after the award decision notices are sent electronically; reg 2(4) |
//! | `tendering` | s.54(4) row 7: 25 days (electronic, all documents with the notice), from the day after the tender notice | reg 27(2),(6): 35 − 5 = 30 days from the contract notice being sent; reg 2(3),(4) |
//! | `participation` | s.54(3): 25 days (competitive flexible procedure) | reg 28(2): 30 days (restricted procedure) |
//! | `call-off-tendering` | s.54(4) row 6: 10 days (award by reference to a dynamic market) | reg 34(11): 10 days from the invitation to tender under a DPS |
//! | `dps-assessment` | — (none: s.36(6) "a reasonable period") | reg 34(16),(17): 10 working days after receipt, extendable to 15 |

use super::data::{Confidence, Fact, rules, short_citation};
use super::days::{Calendar, Exclusion, FirstDay, Ground, SkippedDay, calendar, join_and};
use super::{CalendarError, Regime};
use crate::time::london;
use jiff::ZonedDateTime;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A statutory period the clock knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// The standstill after the award notice (PA 2023) or award decision notices
    /// (PCR 2015).
    Standstill,
    /// The minimum tendering period of an open procedure, electronic tenders, all
    /// documents available from the start.
    Tendering,
    /// The minimum participation period: PA 2023 competitive flexible procedure;
    /// PCR 2015 restricted procedure.
    Participation,
    /// The minimum tendering period of an award under a dynamic market (PA 2023)
    /// or a call-off under a DPS (PCR 2015).
    CallOffTendering,
    /// The time to assess a request to join a DPS (PCR 2015 only).
    DpsAssessment,
}

impl Period {
    /// Every period, in the order they are listed to users.
    pub const ALL: [Period; 5] = [
        Period::Standstill,
        Period::Tendering,
        Period::Participation,
        Period::CallOffTendering,
        Period::DpsAssessment,
    ];

    /// The command-line spelling, e.g. `call-off-tendering`.
    pub fn id(self) -> &'static str {
        match self {
            Period::Standstill => "standstill",
            Period::Tendering => "tendering",
            Period::Participation => "participation",
            Period::CallOffTendering => "call-off-tendering",
            Period::DpsAssessment => "dps-assessment",
        }
    }

    /// The periods `regime` has, in order.
    pub fn of(regime: Regime) -> Vec<Period> {
        Period::ALL
            .into_iter()
            .filter(|p| !(regime == Regime::Pa2023 && *p == Period::DpsAssessment))
            .collect()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Period {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Period::ALL
            .into_iter()
            .find(|p| p.id() == wanted)
            .ok_or_else(|| CalendarError::UnknownPeriod(s.to_string()))
    }
}

/// What a period counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Every day counts, weekends and bank holidays included.
    CalendarDays,
    /// Only the regime's working days count.
    WorkingDays,
}

/// What happens when a period would end on a non-working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndRule {
    /// Nothing: it ends on that day (PA 2023 has no roll-forward rule).
    AsCounted,
    /// It ends at the end of the next working day (PCR 2015 reg 2(4)).
    RollForwardToNextWorkingDay,
}

/// A fact a result rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The fact's id in the data (or `bank_holidays` for the holiday lists).
    pub id: String,
    /// Its source: the section or regulation.
    pub source: String,
    /// How far the data has checked it.
    pub confidence: Confidence,
}

impl Citation {
    fn of(fact: &Fact) -> Citation {
        Citation {
            id: fact.id.clone(),
            source: fact.source.clone(),
            confidence: fact.confidence,
        }
    }
}

/// What a reason line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
    /// The rule applied, from the data, with its citation.
    Rule,
    /// The working-day definition, or that calendar days count.
    WorkingDays,
    /// Which day is day 1.
    Counting,
    /// A non-working day that was not counted.
    Skipped,
    /// Bank holidays inside a calendar-day period, which count.
    Counted,
    /// The end moved to a working day (PCR 2015 reg 2(4)), or a note that it does
    /// not move (PA 2023).
    End,
    /// When exactly the period ends.
    Deadline,
    /// A row of the law that would give a shorter (or longer) minimum in other
    /// circumstances.
    Alternative,
    /// Context: exemptions, other means of sending, extensions, data currency.
    Note,
    /// Where the law or the data is unclear and what the clock did.
    Unclear,
    /// A fact relied on is not verified from the text.
    Confidence,
}

/// One line of explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// What it is about.
    pub kind: ReasonKind,
    /// The day it is about, if one.
    pub date: Option<Date>,
    /// The line, ready to print.
    pub text: String,
}

impl Reason {
    fn new(kind: ReasonKind, text: impl Into<String>) -> Reason {
        Reason {
            kind,
            date: None,
            text: text.into(),
        }
    }

    fn on(kind: ReasonKind, date: Date, text: impl Into<String>) -> Reason {
        Reason {
            kind,
            date: Some(date),
            text: text.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How the end of the period is described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// PA 2023 s.51(1): the contract may not be entered into before the end.
    PaStandstill,
    /// PCR 2015 reg 87(2): midnight at the end of the day.
    PcrStandstill,
    /// PA 2023 s.54(5): whole days ending with the deadline day.
    PaTimeLimit,
    /// PCR 2015 Part 2 time limits for receipt.
    PcrTimeLimit,
    /// PCR 2015 reg 34(16): the evaluation must be finalised.
    PcrEvaluation,
}

/// One period of one regime, as the data defines it.
#[derive(Debug, Clone)]
pub struct PeriodRule {
    /// The regime.
    pub regime: Regime,
    /// The period.
    pub period: Period,
    /// How many days.
    pub length: u32,
    /// Calendar or working days.
    pub unit: Unit,
    /// Whether the day of the event counts.
    pub first_day: FirstDay,
    /// What happens when it would end on a non-working day.
    pub end: EndRule,
    /// PCR 2015 reg 2(3)(a): the period must include at least this many working days.
    pub min_working_days: Option<u32>,
    /// A longer length the law allows in some cases (PCR reg 34(17): 15 working days).
    pub extended_length: Option<u32>,
    /// The event it is counted from, in words.
    pub event: &'static str,
    /// The facts it rests on, the main rule first.
    pub citations: Vec<Citation>,
    ending: Ending,
    /// Lines that do not depend on the date: the rule, alternatives, notes.
    rule_lines: Vec<Reason>,
    after_lines: Vec<Reason>,
}

/// A computed period: its last day, the instant it ends, and why.
#[derive(Debug, Clone)]
pub struct PeriodResult {
    /// The regime.
    pub regime: Regime,
    /// The period.
    pub period: Period,
    /// The day of the triggering event.
    pub from: Date,
    /// The day the period begins: the day of the event where it "begins with" that
    /// day (PA 2023 s.51(2); counted only if a working day), else the day after.
    pub first_day: Date,
    /// The last day of the period.
    pub last_day: Date,
    /// The end of the last day: midnight at its end, in Europe/London.
    pub deadline: ZonedDateTime,
    /// Why, line by line.
    pub reasons: Vec<Reason>,
    /// The facts relied on.
    pub citations: Vec<Citation>,
    /// The weakest confidence among the facts relied on, lowered to `unverified`
    /// where the result depends on an unresolved reading of the law.
    pub confidence: Confidence,
    /// The last day under the longer length the law allows, if it has one.
    pub extended_last_day: Option<Date>,
}

impl PeriodResult {
    /// The deadline as RFC 3339 with its London offset, e.g.
    /// `2026-12-08T00:00:00+00:00`.
    pub fn deadline_rfc3339(&self) -> String {
        rfc3339(&self.deadline)
    }
}

/// An instant as RFC 3339 with its own offset (never `Z`).
pub fn rfc3339(at: &ZonedDateTime) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// Midnight at the end of `last_day` in Europe/London: the first instant of the
/// next day. Both PCR 2015 reg 87(2) ("midnight at the end of the 10th day") and
/// reg 2(4) ("at the end of the next working day"), and PA 2023 s.51(1) ("before
/// the end of the ... period" of whole days), put the end there; 23:59:59.999…
/// is only an approximation of it.
pub fn deadline_after(last_day: Date) -> Result<ZonedDateTime, CalendarError> {
    last_day
        .tomorrow()
        .and_then(|d| d.to_zoned_datetime(london()))
        .map_err(|e| CalendarError::Data(e.to_string()))
}

fn fact(id: &str) -> Result<&'static Fact, CalendarError> {
    rules()
        .fact(id)
        .ok_or_else(|| CalendarError::Data(format!("no fact '{id}'")))
}

fn cite(f: &Fact) -> String {
    format!("{}; fact {}", f.short_source(), f.id)
}

fn rule_line(f: &Fact) -> Reason {
    Reason::new(
        ReasonKind::Rule,
        format!("Rule: {} ({})", f.statement, cite(f)),
    )
}

fn need_number(f: &Fact, key: &str) -> Result<u32, CalendarError> {
    f.number(key)
        .ok_or_else(|| CalendarError::Data(format!("{} has no whole-number '{key}'", f.id)))
}

fn unit_of(f: &Fact) -> Result<Unit, CalendarError> {
    match f.text("unit") {
        Some("calendar_days") => Ok(Unit::CalendarDays),
        Some("working_days") => Ok(Unit::WorkingDays),
        other => Err(CalendarError::Data(format!("{}: unit {other:?}", f.id))),
    }
}

fn first_day_of(f: &Fact) -> Result<FirstDay, CalendarError> {
    match f.text("anchor") {
        // "beginning with the day" (PA 2023 s.51(2)).
        Some("day_of_publication_counts_as_day_1_if_working_day") => Ok(FirstDay::EventDay),
        // The day of the event is not counted.
        Some("day_after_event" | "day_after_sending" | "day_after_invitation") => {
            Ok(FirstDay::DayAfter)
        }
        other => Err(CalendarError::Data(format!("{}: anchor {other:?}", f.id))),
    }
}

/// PCR 2015 reg 2(4), from `pcr15.period_end_next_working_day.end_rule`.
fn pcr_end_rule() -> Result<(EndRule, &'static Fact), CalendarError> {
    let f = fact("pcr15.period_end_next_working_day")?;
    match f.text("end_rule") {
        Some("roll_forward_to_end_of_next_working_day") => {
            Ok((EndRule::RollForwardToNextWorkingDay, f))
        }
        other => Err(CalendarError::Data(format!("{}: end_rule {other:?}", f.id))),
    }
}

fn working_day_line(regime: Regime) -> Result<(Reason, &'static Fact), CalendarError> {
    let f = fact(match regime {
        Regime::Pa2023 => "pa23.working_day",
        Regime::Pcr2015 => "pcr15.working_day",
    })?;
    let mut text = format!("Working days: {} ({})", f.statement, cite(f));
    if regime == Regime::Pcr2015 {
        // Encoded in code (fact pcr15.working_day, PCR 2015 reg 2(1)): which part of
        // the UK's 1971 Act holidays count is not said; see days.rs.
        text.push_str(
            "; this calendar counts the bank holidays of England and Wales (reg 2(1) does not say which part of the UK)",
        );
    }
    Ok((Reason::new(ReasonKind::WorkingDays, text), f))
}

/// The PA 2023 s.54 table rows for `period_key`, read against a case: each row
/// applies if every condition it names holds, a condition the case does not fix
/// being taken as not holding. The minimum is the shortest among the rows that
/// apply (`pa23.s54.shortest_applicable`); rows that do not apply, do not
/// contradict the case, and would give a shorter minimum become alternatives.
struct S54 {
    min_days: u32,
    chosen: Vec<&'static Fact>,
    alternatives: Vec<&'static Fact>,
    shortest: &'static Fact,
}

fn s54(period_key: &str, case: &[(&str, bool)]) -> Result<S54, CalendarError> {
    let shortest = fact("pa23.s54.shortest_applicable")?;
    if shortest.text("rule") != Some("min_over_applicable_rows") {
        return Err(CalendarError::Data(
            "pa23.s54.shortest_applicable is not min_over_applicable_rows".into(),
        ));
    }
    let case: BTreeMap<&str, bool> = case.iter().copied().collect();
    let rows: Vec<&'static Fact> = rules()
        .pa2023_time_limits
        .iter()
        .filter(|f| f.text("period") == Some(period_key))
        .collect();
    let applies = |f: &Fact| {
        f.conditions()
            .iter()
            .all(|(k, v)| case.get(k).copied().unwrap_or(false) == *v)
    };
    let contradicts = |f: &Fact| {
        f.conditions()
            .iter()
            .any(|(k, v)| case.get(k).is_some_and(|fixed| fixed != v))
    };
    // `min_days: null` is "No minimum period", i.e. 0.
    let min_of = |f: &Fact| f.number("min_days").unwrap_or(0);
    let min_days = rows
        .iter()
        .filter(|f| applies(f))
        .map(|f| min_of(f))
        .min()
        .ok_or_else(|| CalendarError::Data(format!("no s.54 row applies to {period_key}")))?;
    if min_days == 0 {
        return Err(CalendarError::Data(format!(
            "the case for {period_key} has no minimum"
        )));
    }
    let chosen = rows
        .iter()
        .copied()
        .filter(|f| applies(f) && min_of(f) == min_days)
        .collect();
    let alternatives = rows
        .iter()
        .copied()
        .filter(|f| !applies(f) && !contradicts(f) && min_of(f) < min_days)
        .collect();
    Ok(S54 {
        min_days,
        chosen,
        alternatives,
        shortest,
    })
}

/// A PA 2023 s.54 period: the rows chosen, the definition (unit and anchor), and
/// the absence of a roll-forward rule.
fn pa_s54_rule(
    period: Period,
    table: &str,
    definition: &str,
    case: &[(&str, bool)],
    event: &'static str,
) -> Result<PeriodRule, CalendarError> {
    let s = s54(table, case)?;
    let def = fact(definition)?;
    if def.text("end") != Some("deadline_day_inclusive") {
        return Err(CalendarError::Data(format!(
            "{definition}: end is not deadline_day_inclusive"
        )));
    }
    // Encoded in code: fact pa23.no_weekend_rollforward has no typed field; it
    // records that the Act (ss.54, 123) has no equivalent of PCR reg 2(4).
    let no_roll = fact("pa23.no_weekend_rollforward")?;
    let mut rule_lines: Vec<Reason> = s.chosen.iter().map(|f| rule_line(f)).collect();
    rule_lines.push(Reason::new(
        ReasonKind::Rule,
        format!(
            "Rule: the period must equal or exceed the shortest minimum among the rows that apply: {} days ({})",
            s.min_days,
            cite(s.shortest)
        ),
    ));
    rule_lines.push(rule_line(def));
    rule_lines.push(Reason::new(
        ReasonKind::WorkingDays,
        format!(
            "Calendar days: every day counts, weekends and bank holidays included ({})",
            cite(no_roll)
        ),
    ));
    let mut after_lines: Vec<Reason> = s
        .alternatives
        .iter()
        .map(|f| {
            Reason::new(
                ReasonKind::Alternative,
                format!("Alternative: {} ({})", f.statement, cite(f)),
            )
        })
        .collect();
    after_lines.push(Reason::new(
        ReasonKind::Unclear,
        format!(
            "Unclear: s.54 says \"days\", not \"working days\", and does not say calendar days expressly; they are counted as calendar days, as the data does ({}: interpretation)",
            cite(no_roll)
        ),
    ));
    let mut citations: Vec<Citation> = s.chosen.iter().map(|f| Citation::of(f)).collect();
    citations.extend([s.shortest, def, no_roll].map(Citation::of));
    Ok(PeriodRule {
        regime: Regime::Pa2023,
        period,
        length: s.min_days,
        unit: unit_of(def)?,
        first_day: first_day_of(def)?,
        end: EndRule::AsCounted,
        min_working_days: None,
        extended_length: None,
        event,
        citations,
        ending: Ending::PaTimeLimit,
        rule_lines,
        after_lines,
    })
}

/// A PCR 2015 Part 2 time limit in calendar days (`min_days`), with reg 2(3) and
/// reg 2(4).
fn pcr_part2_rule(
    period: Period,
    main: &'static Fact,
    event: &'static str,
    mut after_lines: Vec<Reason>,
) -> Result<PeriodRule, CalendarError> {
    let length = need_number(main, "min_days")?;
    let exclude = fact("pcr15.period_exclude_event_day")?;
    let two = fact("pcr15.period_min_two_working_days")?;
    let (end, roll) = pcr_end_rule()?;
    let (wd_line, wd) = working_day_line(Regime::Pcr2015)?;
    after_lines.push(Reason::new(
        ReasonKind::Unclear,
        format!(
            "Unclear: PCR 2015 does not say whether a time limit of {length} days may expire during its last day; the instant shown is the end of that day, the safe reading ({})",
            cite(roll)
        ),
    ));
    Ok(PeriodRule {
        regime: Regime::Pcr2015,
        period,
        length,
        // Encoded in code: facts with `min_days` (no `unit`) are calendar days —
        // PCR 2015 says "days" (regs 27, 28, 34), reg 2(3) applies to "a period of
        // time, however expressed", and the digest lists them as calendar days.
        unit: Unit::CalendarDays,
        first_day: first_day_of(exclude)?,
        end,
        // Encoded in code: pcr15.period_min_two_working_days (reg 2(3)(a), Part 2)
        // has no typed field for the number 2.
        min_working_days: Some(2),
        extended_length: None,
        event,
        citations: [main, exclude, two, roll, wd].map(Citation::of).to_vec(),
        ending: Ending::PcrTimeLimit,
        rule_lines: vec![
            rule_line(main),
            rule_line(exclude),
            rule_line(two),
            rule_line(roll),
            wd_line,
        ],
        after_lines,
    })
}

/// The periods `regime` has, as "a, b or c".
fn allowed(regime: Regime) -> String {
    let ids: Vec<&str> = Period::of(regime).into_iter().map(Period::id).collect();
    match ids.as_slice() {
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// The rule for `period` under `regime`, built from the embedded data.
pub fn rule(regime: Regime, period: Period) -> Result<PeriodRule, CalendarError> {
    match (regime, period) {
        (Regime::Pa2023, Period::Standstill) => {
            let main = fact("pa23.s51.standstill")?;
            let exempt = fact("pa23.s51.standstill_exemptions")?;
            let (wd_line, wd) = working_day_line(regime)?;
            Ok(PeriodRule {
                regime,
                period,
                length: need_number(main, "days")?,
                unit: unit_of(main)?,
                first_day: first_day_of(main)?,
                // A period of working days always ends on one; PA 2023 has no
                // roll-forward rule anyway (fact pa23.no_weekend_rollforward).
                end: EndRule::AsCounted,
                min_working_days: None,
                extended_length: None,
                event: "the day the contract award notice (UK6) is published",
                citations: vec![Citation::of(main), Citation::of(wd), Citation::of(exempt)],
                ending: Ending::PaStandstill,
                rule_lines: vec![rule_line(main), wd_line],
                after_lines: vec![Reason::new(
                    ReasonKind::Note,
                    format!("Note: {} ({})", exempt.statement, cite(exempt)),
                )],
            })
        }
        (Regime::Pa2023, Period::Tendering) => pa_s54_rule(
            period,
            "tendering",
            "pa23.tendering_period_def",
            // The case (issue 4, `tendering`): an open procedure, so anyone may
            // tender — no pre-selected suppliers, no negotiated tendering period,
            // not a dynamic market award; tenders electronic; all documents
            // provided with the tender notice.
            &[
                ("electronic_submission", true),
                ("all_docs_with_notice", true),
                ("preselected_suppliers_only", false),
                ("negotiated_tendering_period", false),
                ("dynamic_market_award", false),
            ],
            "the day the tender notice (UK4) is published, inviting tenders",
        ),
        (Regime::Pa2023, Period::Participation) => pa_s54_rule(
            period,
            "participation",
            "pa23.participation_period_def",
            // A competitive flexible procedure; no circumstance is fixed.
            &[],
            "the day the authority invites requests to participate (competitive flexible procedure)",
        ),
        (Regime::Pa2023, Period::CallOffTendering) => {
            let mut r = pa_s54_rule(
                period,
                "tendering",
                "pa23.tendering_period_def",
                // An award by reference to membership of a dynamic market; its
                // members are pre-selected suppliers (s.54(5)).
                &[
                    ("dynamic_market_award", true),
                    ("preselected_suppliers_only", true),
                ],
                "the day the authority invites members of the dynamic market to tender",
            )?;
            let award = fact("pa23.s34.award")?;
            r.after_lines.insert(
                0,
                Reason::new(
                    ReasonKind::Note,
                    format!("Note: {} ({})", award.statement, cite(award)),
                ),
            );
            r.citations.push(Citation::of(award));
            Ok(r)
        }
        (Regime::Pa2023, Period::DpsAssessment) => {
            let admit = fact("pa23.s36.must_admit")?;
            Err(CalendarError::NotInRegime {
                regime,
                regime_id: regime.id(),
                period,
                why: format!(
                    "a dynamic market (the Act's successor to the DPS) must consider applications within a reasonable period, with no fixed number of days ({})",
                    cite(admit)
                ),
                allowed: allowed(regime),
            })
        }
        (Regime::Pcr2015, Period::Standstill) => {
            let main = fact("pcr15.reg87.standstill_electronic")?;
            let other = fact("pcr15.reg87.standstill_other")?;
            let exempt = fact("pcr15.reg86.exemptions")?;
            let (end, roll) = pcr_end_rule()?;
            let (wd_line, wd) = working_day_line(regime)?;
            Ok(PeriodRule {
                regime,
                period,
                length: need_number(main, "days")?,
                unit: unit_of(main)?,
                first_day: first_day_of(main)?,
                // Reg 2(4) covers Parts 2, 3 and 4; reg 87 is in Part 3 (Remedies),
                // so it applies. Reg 2(3) (at least 2 working days) covers Part 2
                // only, so it does not (encoded in code: the facts have no typed
                // "parts" field).
                end,
                min_working_days: None,
                extended_length: None,
                event: "the day the award decision notices are sent electronically (the last sending date, reg 87(4))",
                citations: [main, roll, wd, other, exempt].map(Citation::of).to_vec(),
                ending: Ending::PcrStandstill,
                rule_lines: vec![rule_line(main), rule_line(roll), wd_line],
                after_lines: vec![
                    Reason::new(
                        ReasonKind::Note,
                        format!("Note: {} ({})", other.statement, cite(other)),
                    ),
                    Reason::new(
                        ReasonKind::Note,
                        format!("Note: {} ({})", exempt.statement, cite(exempt)),
                    ),
                ],
            })
        }
        (Regime::Pcr2015, Period::Tendering) => {
            let main = fact("pcr15.open.electronic")?;
            let chosen = need_number(main, "min_days")?;
            // The other open-procedure tender limits in the data, shorter or longer.
            let after = rules()
                .pcr2015_time_limits
                .iter()
                .filter(|f| {
                    f.id != main.id
                        && f.text("procedure") == Some("open")
                        && f.text("stage") == Some("tender")
                })
                .filter_map(|f| {
                    let days = f.number("min_days")?;
                    let word = if days < chosen {
                        "Alternative"
                    } else {
                        "Longer"
                    };
                    Some(Reason::new(
                        ReasonKind::Alternative,
                        format!("{word}: {} ({})", f.statement, cite(f)),
                    ))
                })
                .collect();
            pcr_part2_rule(
                period,
                main,
                "the day the contract notice is sent (open procedure)",
                after,
            )
        }
        (Regime::Pcr2015, Period::Participation) => {
            let main = fact("pcr15.restricted.requests")?;
            let mut after = Vec::new();
            if let Some(days) = main.number("urgency_min_days") {
                after.push(Reason::new(
                    ReasonKind::Alternative,
                    format!(
                        "Alternative: where a state of urgency duly substantiated makes it impracticable, at least {days} days from the contract notice (PCR 2015 reg 28(10)(a); fact {})",
                        main.id
                    ),
                ));
            }
            pcr_part2_rule(
                period,
                main,
                "the day the contract notice (or the invitation to confirm interest) is sent (restricted procedure)",
                after,
            )
        }
        (Regime::Pcr2015, Period::CallOffTendering) => {
            let main = fact("pcr15.dps.tender_10")?;
            let all = fact("pcr15.dps.invite_all")?;
            let exempt = fact("pcr15.reg86.exemptions")?;
            let mut r = pcr_part2_rule(
                period,
                main,
                "the day the invitation to tender for the call-off is sent under the DPS",
                vec![
                    // Encoded in code from the statement of pcr15.dps.tender_10
                    // (reg 34(12)): no typed field for the agreement option.
                    Reason::new(
                        ReasonKind::Alternative,
                        format!(
                            "Alternative: a sub-central authority (e.g. a council) may set the time limit by mutual agreement with all selected candidates, if all have the same time (PCR 2015 reg 34(12); fact {})",
                            main.id
                        ),
                    ),
                    Reason::new(
                        ReasonKind::Note,
                        format!("Note: {} ({})", all.statement, cite(all)),
                    ),
                    Reason::new(
                        ReasonKind::Note,
                        format!("Note: {} ({})", exempt.statement, cite(exempt)),
                    ),
                ],
            )?;
            r.citations.push(Citation::of(all));
            r.citations.push(Citation::of(exempt));
            Ok(r)
        }
        (Regime::Pcr2015, Period::DpsAssessment) => {
            let main = fact("pcr15.dps.assess_10wd")?;
            let exclude = fact("pcr15.period_exclude_event_day")?;
            let (end, roll) = pcr_end_rule()?;
            let (wd_line, wd) = working_day_line(regime)?;
            let length = need_number(main, "working_days")?;
            let extended = need_number(main, "extended_working_days")?;
            Ok(PeriodRule {
                regime,
                period,
                length,
                // Encoded in code: the fact's field is named `working_days` (no
                // `unit` field); reg 34(16) says "10 working days".
                unit: Unit::WorkingDays,
                // Reg 2(3)(b): "within 10 working days following their receipt" —
                // the day of receipt is not counted.
                first_day: first_day_of(exclude)?,
                end,
                min_working_days: None,
                extended_length: Some(extended),
                event: "the day the request to participate in the DPS is received",
                citations: [main, exclude, roll, wd].map(Citation::of).to_vec(),
                ending: Ending::PcrEvaluation,
                rule_lines: vec![rule_line(main), rule_line(exclude), wd_line],
                after_lines: Vec::new(),
            })
        }
    }
}

/// What counting produced, before it is put into words.
struct Counted {
    first_counted: Date,
    last: Date,
    /// Non-working days passed over (working-day periods) or rolled over (end rule).
    skipped: Vec<SkippedDay>,
    /// Calendar-day periods: the day the count ended on, before any end rule.
    nominal: Option<Date>,
    /// Calendar-day periods: bank holidays (not weekends) inside the period.
    holidays_inside: Vec<SkippedDay>,
    /// PCR reg 2(3)(a) made the period longer.
    extended_for_min: bool,
}

fn count(
    cal: &Calendar,
    rule: &PeriodRule,
    excl: &[Exclusion],
    from: Date,
    length: u32,
) -> Result<Counted, CalendarError> {
    cal.check(from)?;
    let first_counted = match rule.first_day {
        FirstDay::EventDay => from,
        FirstDay::DayAfter => cal.after(from)?,
    };
    match rule.unit {
        Unit::WorkingDays => {
            let (last, skipped) = cal.walk_working_days(excl, from, length, rule.first_day)?;
            Ok(Counted {
                first_counted,
                last,
                skipped,
                nominal: None,
                holidays_inside: Vec::new(),
                extended_for_min: false,
            })
        }
        Unit::CalendarDays => {
            let mut nominal = first_counted;
            for _ in 1..length {
                nominal = cal.after(nominal)?;
            }
            let mut holidays_inside = Vec::new();
            let mut day = first_counted;
            while day <= nominal {
                let grounds: Vec<Ground> = cal
                    .grounds_with(excl, day)?
                    .into_iter()
                    .filter(|g| !matches!(g, Ground::Weekend(_)))
                    .collect();
                if !grounds.is_empty() {
                    holidays_inside.push((day, grounds));
                }
                day = cal.after(day)?;
            }
            let mut last = nominal;
            let mut skipped = Vec::new();
            if rule.end == EndRule::RollForwardToNextWorkingDay {
                loop {
                    let grounds = cal.grounds_with(excl, last)?;
                    if grounds.is_empty() {
                        break;
                    }
                    skipped.push((last, grounds));
                    last = cal.after(last)?;
                }
            }
            let mut extended_for_min = false;
            if let Some(min) = rule.min_working_days
                && cal.count_with(excl, first_counted, last)? < min
            {
                let (to, more) =
                    cal.walk_working_days(excl, first_counted, min, FirstDay::EventDay)?;
                skipped.extend(more.into_iter().filter(|(d, _)| *d > last));
                last = to;
                extended_for_min = true;
            }
            Ok(Counted {
                first_counted,
                last,
                skipped,
                nominal: Some(nominal),
                holidays_inside,
                extended_for_min,
            })
        }
    }
}

fn grounds_text(grounds: &[Ground]) -> String {
    grounds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Computes `period` under `regime` from the day of its triggering event.
pub fn compute(regime: Regime, period: Period, from: Date) -> Result<PeriodResult, CalendarError> {
    let rule = rule(regime, period)?;
    let cal = calendar();
    cal.check(from)?;
    let past = |e: CalendarError| match e {
        CalendarError::OutsideData {
            first_year,
            last_year,
            ..
        } => CalendarError::RunsPastData {
            period,
            regime,
            from,
            last_covered: cal.last_day(),
            first_year,
            last_year,
        },
        other => other,
    };
    let excl = cal.exclusions_of(regime);
    let counted = count(cal, &rule, excl, from, rule.length).map_err(past)?;
    let wd_cite = short_citation(
        &fact(match regime {
            Regime::Pa2023 => "pa23.working_day",
            Regime::Pcr2015 => "pcr15.working_day",
        })?
        .source,
    );

    let mut reasons = rule.rule_lines.clone();
    let unit_word = match rule.unit {
        Unit::CalendarDays => "day",
        Unit::WorkingDays => "working day",
    };
    let counting = match rule.first_day {
        FirstDay::EventDay
            if counted.first_counted == from && cal.is_working_day(regime, from)? =>
        {
            format!(
                "Counting: day 1 is {from}, {} (the period begins with that day); {} {}s in all",
                rule.event, rule.length, unit_word
            )
        }
        FirstDay::EventDay => format!(
            "Counting: the period begins with {from}, {}, but that is not a working day, so the first working day after it is day 1; {} {}s in all",
            rule.event, rule.length, unit_word
        ),
        FirstDay::DayAfter => format!(
            "Counting: {from}, {}, is not counted; day 1 is {}; {} {}s in all",
            rule.event, counted.first_counted, rule.length, unit_word
        ),
    };
    reasons.push(Reason::on(
        ReasonKind::Counting,
        counted.first_counted,
        counting,
    ));

    let skip_line = |d: Date, g: &[Ground]| {
        Reason::on(
            ReasonKind::Skipped,
            d,
            format!("{d} skipped: {} ({wd_cite})", grounds_text(g)),
        )
    };
    match counted.nominal {
        None => {
            for (d, g) in &counted.skipped {
                reasons.push(skip_line(*d, g));
            }
        }
        Some(nominal) => {
            if !counted.holidays_inside.is_empty() {
                let list: Vec<String> = counted
                    .holidays_inside
                    .iter()
                    .map(|(d, g)| format!("{d} ({})", grounds_text(g)))
                    .collect();
                reasons.push(Reason::new(
                    ReasonKind::Counted,
                    format!(
                        "Counted although not working days (calendar days): {}",
                        list.join(", ")
                    ),
                ));
            }
            match rule.end {
                EndRule::RollForwardToNextWorkingDay if nominal != counted.last => {
                    for (d, g) in &counted.skipped {
                        reasons.push(skip_line(*d, g));
                    }
                    let why = if counted.extended_for_min {
                        "to include at least 2 working days".to_string()
                    } else {
                        format!(
                            "day {} ({nominal}) is not a working day, so the period ends at the end of the next working day",
                            rule.length
                        )
                    };
                    let roll = fact("pcr15.period_end_next_working_day")?;
                    reasons.push(Reason::on(
                        ReasonKind::End,
                        counted.last,
                        format!(
                            "End moved from {nominal} to {}: {why} ({})",
                            counted.last,
                            cite(roll)
                        ),
                    ));
                }
                EndRule::RollForwardToNextWorkingDay => {}
                EndRule::AsCounted => {
                    let grounds = cal.non_working_grounds(regime, nominal)?;
                    if !grounds.is_empty() {
                        let no_roll = fact("pa23.no_weekend_rollforward")?;
                        reasons.push(Reason::on(
                            ReasonKind::End,
                            nominal,
                            format!(
                                "Last day {nominal} is not a working day ({}), but the Act has no rule moving a period that ends on one, so it ends then: lawful, though a deadline on a non-working day is bad practice ({})",
                                grounds_text(&grounds),
                                cite(no_roll)
                            ),
                        ));
                    }
                }
            }
            if counted.extended_for_min {
                let two = fact("pcr15.period_min_two_working_days")?;
                reasons.push(Reason::new(
                    ReasonKind::Unclear,
                    format!(
                        "Unclear: reg 2(3)(a) says the period must include at least 2 working days but not how; it was extended to its 2nd working day ({})",
                        cite(two)
                    ),
                ));
            }
        }
    }

    let last_day = counted.last;
    let deadline = deadline_after(last_day).map_err(past)?;
    let at = rfc3339(&deadline);
    let main = rule
        .citations
        .first()
        .map(|c| short_citation(&c.source))
        .unwrap_or_default();
    let deadline_text = match rule.ending {
        Ending::PaStandstill => format!(
            "Deadline: the standstill ends at the end of {last_day}, midnight in London ({at}); the contract may not be entered into before then ({main})"
        ),
        Ending::PcrStandstill => format!(
            "Deadline: the standstill ends at midnight at the end of {last_day} in London ({at}); the contract may not be entered into before then ({main})"
        ),
        Ending::PaTimeLimit => format!(
            "Deadline: {last_day} is the earliest day the deadline may fall on; s.54(5) counts whole days ending with the deadline day and sets no time of day, so the instant shown is the end of that day, midnight in London ({at})"
        ),
        Ending::PcrTimeLimit => format!(
            "Deadline: the minimum period ends at the end of {last_day}, midnight in London ({at}); the time limit for receipt should not expire before then ({main})"
        ),
        Ending::PcrEvaluation => format!(
            "Deadline: the evaluation must be finalised by the end of {last_day}, midnight in London ({at}) ({main})"
        ),
    };
    reasons.push(Reason::on(ReasonKind::Deadline, last_day, deadline_text));

    let mut extended_last_day = None;
    if let Some(longer) = rule.extended_length {
        let ext = count(cal, &rule, excl, from, longer).map_err(past)?;
        extended_last_day = Some(ext.last);
        reasons.push(Reason::on(
            ReasonKind::Note,
            ext.last,
            format!(
                "Extendable: in individual cases where justified, up to {longer} working days ({main}): that would end at the end of {} ({})",
                ext.last,
                rfc3339(&deadline_after(ext.last).map_err(past)?)
            ),
        ));
    }

    reasons.extend(rule.after_lines.iter().cloned());
    let mut citations = rule.citations.clone();
    citations.push(Citation {
        id: "bank_holidays".into(),
        source: cal.source().to_string(),
        confidence: rules().bank_holidays.confidence,
    });
    let mut confidence = citations
        .iter()
        .map(|c| c.confidence)
        .min()
        .unwrap_or(Confidence::Unverified);

    // PCR 2015 reg 2(1): would Northern Ireland's bank holidays change the answer?
    if regime == Regime::Pcr2015 {
        let alt = count(
            cal,
            &rule,
            &cal.pcr_with_northern_ireland(),
            from,
            rule.length,
        )
        .map_err(past)?;
        if alt.last != last_day {
            let wd = fact("pcr15.working_day")?;
            reasons.push(Reason::on(
                ReasonKind::Unclear,
                alt.last,
                format!(
                    "Unclear: reg 2(1) does not say which part of the UK's bank holidays count; counting Northern Ireland's too (the data's note on {}) the last day would be {} instead",
                    wd.id, alt.last
                ),
            ));
            confidence = Confidence::Unverified;
        }
    }

    // Transition: which regime a date belongs to (SI 2024/716).
    let in_force = fact("tr.in_force")?;
    let commencement = in_force
        .text("date")
        .and_then(|d| d.parse::<Date>().ok())
        .ok_or_else(|| CalendarError::Data("tr.in_force has no date".into()))?;
    match regime {
        Regime::Pa2023 if from < commencement => reasons.push(Reason::new(
            ReasonKind::Note,
            format!(
                "Note: {from} is before {commencement}, when the Act came into force ({}); a procurement begun before then is under PCR 2015",
                cite(in_force)
            ),
        )),
        Regime::Pcr2015
            if from >= commencement
                && matches!(period, Period::Tendering | Period::Participation) =>
        {
            let cont = fact("tr.pcr_continues")?;
            reasons.push(Reason::new(
                ReasonKind::Note,
                format!(
                    "Note: a contract notice sent on or after {commencement} starts a procurement under the Procurement Act 2023, not PCR 2015 ({})",
                    cite(cont)
                ),
            ));
        }
        _ => {}
    }

    // Bank holidays after compilation are published but can still change.
    if last_day > cal.compiled() {
        reasons.push(Reason::new(
            ReasonKind::Note,
            format!(
                "Note: bank holidays after {} are as GOV.UK had published them when the data was compiled; a Royal Proclamation can still move or add one (bank_holidays.status_values)",
                cal.compiled()
            ),
        ));
    }

    let weak: Vec<String> = citations
        .iter()
        .filter(|c| c.confidence != Confidence::VerifiedFromText)
        .map(|c| format!("{} is {}", c.id, c.confidence))
        .collect();
    if !weak.is_empty() {
        reasons.push(Reason::new(
            ReasonKind::Confidence,
            format!(
                "Confidence: not every fact relied on is verified from the text: {}",
                join_and(weak.iter().map(String::as_str))
            ),
        ));
    }

    Ok(PeriodResult {
        regime,
        period,
        from,
        first_day: counted.first_counted,
        last_day,
        deadline,
        reasons,
        citations,
        confidence,
        extended_last_day,
    })
}
