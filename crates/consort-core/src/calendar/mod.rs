//! The legal clock: working days under each regime's own definition, the statutory
//! periods `consort clock` computes, and thresholds by the date a procurement
//! begins.
//!
//! The law is data: every length, unit, counting rule and citation comes from the
//! embedded `data/rules/uk-procurement-rules.json` (see [`rules`]), and every
//! result carries its reasons — the rule, its citation, each day skipped and why —
//! and the confidence the data gives the facts it rests on. Where the data has no
//! machine-readable field for a rule, the code encodes it next to a comment citing
//! the fact id and the section. Where the law is unclear the result says so
//! (a reason of kind [`ReasonKind::Unclear`]) rather than guess.
//!
//! Pure: no I/O, no clock. A date outside the years the bank-holiday data covers
//! (2019–2028) is an error, never a guess.

mod data;
mod days;
mod periods;
mod thresholds;

pub use data::{
    BankHolidayData, Confidence, Fact, RawBankHoliday, RulesData, Source, rules, short_citation,
};
pub use days::{BankHoliday, Calendar, Division, FirstDay, Ground, HolidayStatus, calendar};
pub use periods::{
    Citation, EndRule, Period, PeriodResult, PeriodRule, Reason, ReasonKind, Unit, compute,
    deadline_after, rfc3339, rule,
};
pub use thresholds::{Threshold, threshold, thresholds};

use jiff::civil::Date;
use std::fmt;
use std::str::FromStr;

/// The two procurement regimes Consort's clock knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Regime {
    /// The Procurement Act 2023 (procurements begun from 24 Feb 2025).
    Pa2023,
    /// The Public Contracts Regulations 2015 (procurements begun before 24 Feb 2025,
    /// and frameworks and DPSs set up under them).
    Pcr2015,
}

impl Regime {
    /// Both, in the order they are listed to users.
    pub const ALL: [Regime; 2] = [Regime::Pa2023, Regime::Pcr2015];

    /// The command-line spelling: `pa2023` or `pcr2015`.
    pub fn id(self) -> &'static str {
        match self {
            Regime::Pa2023 => "pa2023",
            Regime::Pcr2015 => "pcr2015",
        }
    }

    /// The short name lawyers use: `PA 2023` or `PCR 2015`.
    pub fn name(self) -> &'static str {
        match self {
            Regime::Pa2023 => "PA 2023",
            Regime::Pcr2015 => "PCR 2015",
        }
    }

    /// The `regime` spelling in the data file: `PA2023` or `PCR2015`.
    pub fn data_id(self) -> &'static str {
        match self {
            Regime::Pa2023 => "PA2023",
            Regime::Pcr2015 => "PCR2015",
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Regime {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pa2023" => Ok(Regime::Pa2023),
            "pcr2015" => Ok(Regime::Pcr2015),
            _ => Err(CalendarError::UnknownRegime(s.to_string())),
        }
    }
}

/// What can go wrong. Every message is one line and names what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A date the bank-holiday data does not cover.
    #[error(
        "{date} is outside the calendar's data, which covers only {first_year} to {last_year} (GOV.UK bank holidays): use a date from {first_year}-01-01 to {last_year}-12-31; Consort will not guess the bank holidays of other years"
    )]
    OutsideData {
        /// The date asked about.
        date: Date,
        /// The first year covered.
        first_year: i16,
        /// The last year covered.
        last_year: i16,
    },
    /// A period that starts inside the data but would end after it.
    #[error(
        "a {period} period under {regime} from {from} runs past {last_covered}, the last day the calendar's data covers (only {first_year} to {last_year}, GOV.UK bank holidays): Consort will not guess the bank holidays of later years"
    )]
    RunsPastData {
        /// The period.
        period: Period,
        /// The regime.
        regime: Regime,
        /// The day it was counted from.
        from: Date,
        /// The last day the data covers.
        last_covered: Date,
        /// The first year covered.
        first_year: i16,
        /// The last year covered.
        last_year: i16,
    },
    /// A period the regime does not have.
    #[error("{regime} has no {period} period: {why}; under {regime_id} use {allowed}")]
    NotInRegime {
        /// The regime.
        regime: Regime,
        /// The regime's command-line spelling.
        regime_id: &'static str,
        /// The period asked for.
        period: Period,
        /// Why not, with the citation.
        why: String,
        /// The periods the regime does have.
        allowed: String,
    },
    /// Not one of the periods.
    #[error(
        "'{0}' is not a period: use standstill, tendering, participation, call-off-tendering or dps-assessment"
    )]
    UnknownPeriod(String),
    /// Not one of the regimes.
    #[error(
        "'{0}' is not a regime: use pa2023 (Procurement Act 2023) or pcr2015 (Public Contracts Regulations 2015)"
    )]
    UnknownRegime(String),
    /// No threshold in the data for that regime on that date.
    #[error("{regime} thresholds on {date}: {why}")]
    NoThreshold {
        /// The regime.
        regime: Regime,
        /// The day the procurement begins.
        date: Date,
        /// Why, and what is allowed.
        why: String,
    },
    /// The embedded data does not say what the code needs (a bug, caught by tests).
    #[error("the rules data is not as the calendar expects: {0}")]
    Data(String),
}
