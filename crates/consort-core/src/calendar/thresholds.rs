//! Thresholds by the date a procurement begins, with citation and confidence.
//!
//! PA 2023 (Sch 1): from the data's typed fields (`amount_gbp`, `effective_from`,
//! `effective_to`). PCR 2015 (reg 5): the data gives the figures only in the
//! statements of `pcr15.thr.2020`, `pcr15.thr.2022` and `pcr15.thr.2024`, so they
//! are encoded below, each with its fact id.

use super::data::{Confidence, Fact, rules};
use super::{CalendarError, Regime};
use jiff::civil::{Date, date};

/// One threshold amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// The regime.
    pub regime: Regime,
    /// What it applies to, e.g. `sub_central_goods_services`, `works`,
    /// `light_touch` (the last part of the fact id).
    pub kind: String,
    /// The amount in pounds.
    pub amount_gbp: u64,
    /// Whether estimated values are compared including VAT.
    pub vat_inclusive: bool,
    /// First day of procurements it applies to.
    pub effective_from: Date,
    /// Last day, if it has been replaced.
    pub effective_to: Option<Date>,
    /// The fact it comes from.
    pub fact_id: String,
    /// The rule in words.
    pub statement: String,
    /// The citation.
    pub source: String,
    /// How far the data has checked it.
    pub confidence: Confidence,
}

/// A PCR 2015 threshold set, encoded from a fact's statement.
struct PcrSet {
    fact_id: &'static str,
    from: Date,
    to: Option<Date>,
    vat_inclusive: bool,
    amounts: &'static [(&'static str, u64)],
}

/// Encoded in code from the statements (the facts have no typed amounts):
/// - `pcr15.thr.2020` (SI 2021/1221 reg 3): 2020–2021, net of VAT.
/// - `pcr15.thr.2022` (SI 2021/1221 reg 3): 1 Jan 2022 – 31 Dec 2023, inclusive of
///   VAT; the light-touch figure is not in the data.
/// - `pcr15.thr.2024` (PCR 2015 reg 5 as amended; secondary sources): from
///   1 Jan 2024, inclusive of VAT.
const PCR_SETS: &[PcrSet] = &[
    PcrSet {
        fact_id: "pcr15.thr.2020",
        from: date(2020, 1, 1),
        to: Some(date(2021, 12, 31)),
        vat_inclusive: false,
        amounts: &[
            ("central_goods_services", 122_976),
            ("sub_central_goods_services", 189_330),
            ("works", 4_733_252),
        ],
    },
    PcrSet {
        fact_id: "pcr15.thr.2022",
        from: date(2022, 1, 1),
        to: Some(date(2023, 12, 31)),
        vat_inclusive: true,
        amounts: &[
            ("central_goods_services", 138_760),
            ("sub_central_goods_services", 213_477),
            ("works", 5_336_937),
        ],
    },
    PcrSet {
        fact_id: "pcr15.thr.2024",
        from: date(2024, 1, 1),
        to: None,
        vat_inclusive: true,
        amounts: &[
            ("central_goods_services", 139_688),
            ("sub_central_goods_services", 214_904),
            ("works", 5_372_609),
            ("light_touch", 663_540),
        ],
    },
];

fn commencement() -> Result<(Date, &'static Fact), CalendarError> {
    let f = rules()
        .fact("tr.in_force")
        .ok_or_else(|| CalendarError::Data("no fact tr.in_force".into()))?;
    let d = f
        .text("date")
        .and_then(|d| d.parse::<Date>().ok())
        .ok_or_else(|| CalendarError::Data("tr.in_force has no date".into()))?;
    Ok((d, f))
}

/// The thresholds that apply to a procurement under `regime` begun on `begun`.
///
/// PA 2023: procurements begun on or after 24 Feb 2025 (`tr.in_force`); the 2026
/// figures apply to procurements begun from 1 Jan 2026 (`tr.thresholds_2026`).
/// PCR 2015: procurements begun before 24 Feb 2025 (`tr.pcr_continues`), 2020
/// onwards (the years the data holds).
pub fn thresholds(regime: Regime, begun: Date) -> Result<Vec<Threshold>, CalendarError> {
    let (in_force, in_force_fact) = commencement()?;
    let none = |why: String| CalendarError::NoThreshold {
        regime,
        date: begun,
        why,
    };
    match regime {
        Regime::Pa2023 => {
            if begun < in_force {
                return Err(none(format!(
                    "the Act applies only to procurements begun on or after {in_force} ({}; fact {}); use pcr2015",
                    in_force_fact.short_source(),
                    in_force_fact.id
                )));
            }
            let mut out = Vec::new();
            for f in &rules().thresholds {
                if f.text("regime") != Some("PA2023") {
                    continue;
                }
                let (Some(amount), Some(from)) = (
                    f.fields.get("amount_gbp").and_then(|v| v.as_u64()),
                    f.text("effective_from")
                        .and_then(|d| d.parse::<Date>().ok()),
                ) else {
                    continue;
                };
                let to = f.text("effective_to").and_then(|d| d.parse::<Date>().ok());
                if begun < from || to.is_some_and(|to| begun > to) {
                    continue;
                }
                out.push(Threshold {
                    regime,
                    kind: kind_of(&f.id),
                    amount_gbp: amount,
                    vat_inclusive: f
                        .fields
                        .get("vat_inclusive")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                    effective_from: from,
                    effective_to: to,
                    fact_id: f.id.clone(),
                    statement: f.statement.clone(),
                    source: f.source.clone(),
                    confidence: f.confidence,
                });
            }
            if out.is_empty() {
                return Err(none(
                    "the data holds no PA 2023 threshold for that date".into(),
                ));
            }
            Ok(out)
        }
        Regime::Pcr2015 => {
            if begun >= in_force {
                let f = rules()
                    .fact("tr.pcr_continues")
                    .ok_or_else(|| CalendarError::Data("no fact tr.pcr_continues".into()))?;
                return Err(none(format!(
                    "PCR 2015 applies only to procurements begun before {in_force} ({}; fact {}); use pa2023",
                    f.short_source(),
                    f.id
                )));
            }
            let set = PCR_SETS
                .iter()
                .find(|s| begun >= s.from && s.to.is_none_or(|to| begun <= to))
                .ok_or_else(|| {
                    none(format!(
                        "the data holds PCR 2015 thresholds only from {}",
                        PCR_SETS[0].from
                    ))
                })?;
            let f = rules()
                .fact(set.fact_id)
                .ok_or_else(|| CalendarError::Data(format!("no fact {}", set.fact_id)))?;
            Ok(set
                .amounts
                .iter()
                .map(|(kind, amount)| Threshold {
                    regime,
                    kind: (*kind).to_string(),
                    amount_gbp: *amount,
                    vat_inclusive: set.vat_inclusive,
                    effective_from: set.from,
                    effective_to: set.to,
                    fact_id: f.id.clone(),
                    statement: f.statement.clone(),
                    source: f.source.clone(),
                    confidence: f.confidence,
                })
                .collect())
        }
    }
}

/// One threshold by kind (e.g. `sub_central_goods_services` for a London borough
/// buying goods or services).
pub fn threshold(regime: Regime, begun: Date, kind: &str) -> Result<Threshold, CalendarError> {
    let all = thresholds(regime, begun)?;
    let kinds: Vec<String> = all.iter().map(|t| t.kind.clone()).collect();
    all.into_iter()
        .find(|t| t.kind == kind)
        .ok_or_else(|| CalendarError::NoThreshold {
            regime,
            date: begun,
            why: format!(
                "no threshold of kind '{kind}': use one of {}",
                kinds.join(", ")
            ),
        })
}

/// `pa23.thr.2026.sub_central_goods_services` -> `sub_central_goods_services`.
fn kind_of(id: &str) -> String {
    id.rsplit('.').next().unwrap_or(id).to_string()
}
