//! The contracts register: what each authority has bought, when it can end, and
//! how it may be extended. Parsed input only: a [`Contract`] is always valid.

use crate::ids::{OrgId, ParseError};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub mod form;
pub mod import;
pub mod windows;

/// An amount of money in pence. Never negative in the register.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

impl Pence {
    /// Whole pounds and pence, as `£1,234,567.89`.
    pub fn display(self) -> String {
        let pounds = self.0 / 100;
        let pence = (self.0 % 100).abs();
        let digits = pounds.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        if pence == 0 {
            format!("{sign}£{grouped}")
        } else {
            format!("{sign}£{grouped}.{pence:02}")
        }
    }
}

/// A CPV 2008 code: eight digits (the check digit, if written, is dropped).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CpvCode(String);

impl CpvCode {
    /// Parses `48000000`, `48000000-8` or `48000000 - 8`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let main = input.trim().split('-').next().unwrap_or("").trim();
        if main.len() == 8 && main.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(main.to_string()))
        } else {
            Err(ParseError::new(
                "cpv",
                format!(
                    "'{}' is not a CPV code: write 8 digits, like 48000000 or 48000000-8",
                    input.trim()
                ),
            ))
        }
    }

    /// The eight digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code's first `digits` digits (2 = division, 3 = group, 4 = class,
    /// 5 = category), used to group comparable contracts.
    pub fn prefix(&self, digits: usize) -> &str {
        &self.0[..digits.clamp(2, 8)]
    }
}

impl fmt::Display for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CpvCode {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CpvCode> for String {
    fn from(value: CpvCode) -> Self {
        value.0
    }
}

/// A length of time written in whole months or days, as contracts state them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "unit", content = "count")]
pub enum Span {
    /// Calendar months.
    Months(u32),
    /// Calendar days.
    Days(u32),
}

impl Span {
    /// The date this span after `date` (a month added to 31 January gives the
    /// last day of February).
    /// A span too long for the calendar gives the last date there is.
    pub fn after(self, date: Date) -> Date {
        self.as_jiff().map_or(Date::MAX, |s| date.saturating_add(s))
    }

    /// The date this span before `date` (a span too long gives the first date there is).
    pub fn before(self, date: Date) -> Date {
        self.as_jiff().map_or(Date::MIN, |s| date.saturating_sub(s))
    }

    fn as_jiff(self) -> Option<jiff::Span> {
        match self {
            Span::Months(m) => jiff::Span::new().try_months(i64::from(m)).ok(),
            Span::Days(d) => jiff::Span::new().try_days(i64::from(d)).ok(),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Span::Months(1) => f.write_str("1 month"),
            Span::Months(m) => write!(f, "{m} months"),
            Span::Days(1) => f.write_str("1 day"),
            Span::Days(d) => write!(f, "{d} days"),
        }
    }
}

/// Where a contract's record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Source {
    /// Entered on a form or the command line.
    Manual,
    /// A row of an imported CSV file.
    Csv {
        /// The file's name as uploaded or given.
        file: String,
        /// The line the row started on (the header is line 1).
        line: u64,
    },
    /// An OCDS release or record.
    Ocds {
        /// The contracting process identifier.
        ocid: String,
    },
}

/// Where a contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContractStatus {
    /// In force (or not yet started).
    Active,
    /// Ended at its end date (or earlier by a break).
    Ended,
    /// Brought to an end before its time.
    Terminated,
}

/// A contract in an authority's register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    /// The authority that holds it.
    pub authority: OrgId,
    /// The authority's own reference, unique within the authority.
    pub reference: String,
    /// Its title.
    pub title: String,
    /// What is provided.
    pub description: String,
    /// The supplier's name.
    pub supplier_name: Option<String>,
    /// The supplier's Companies House number, when known.
    pub supplier_company_number: Option<String>,
    /// CPV codes, zero or more.
    pub cpv_codes: Vec<CpvCode>,
    /// The consortium's label for comparable contracts, when assigned.
    pub category: Option<String>,
    /// The sum to be paid over the whole contract.
    pub total_value: Option<Pence>,
    /// The estimated annual spend.
    pub annual_value: Option<Pence>,
    /// When it started.
    pub start: Option<Date>,
    /// When it ends unless extended or broken.
    pub end: Option<Date>,
    /// Extension options not yet exercised, in the order they may be taken.
    pub extensions: Vec<Span>,
    /// The earliest date the authority may end it early, if it has a break clause.
    pub break_date: Option<Date>,
    /// The notice to be given before ending or breaking it.
    pub notice_period: Option<Span>,
    /// Where it stands.
    pub status: ContractStatus,
    /// Where the record came from.
    pub source: Source,
    /// Columns of an imported file that Consort has no field for, kept as given.
    pub extra: BTreeMap<String, String>,
}

impl Contract {
    /// The annual value, or the total spread evenly over the contract's years
    /// when only a total and both dates are known.
    pub fn annual_value_estimate(&self) -> Option<Pence> {
        if let Some(v) = self.annual_value {
            return Some(v);
        }
        let (total, start, end) = (self.total_value?, self.start?, self.end?);
        let days = i64::from((end - start).get_days()).max(1);
        Some(Pence(total.0.saturating_mul(365) / days))
    }

    /// Checks the rules that hold between fields, naming the field at fault.
    pub fn check(&self) -> Result<(), ParseError> {
        if self.reference.trim().is_empty() {
            return Err(ParseError::new("reference", "a contract needs a reference"));
        }
        if self.title.trim().is_empty() {
            return Err(ParseError::new("title", "a contract needs a title"));
        }
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            return Err(ParseError::new(
                "end_date",
                format!("the end date {end} is before the start date {start}"),
            ));
        }
        if let (Some(brk), Some(end)) = (self.break_date, self.end)
            && brk > end
        {
            return Err(ParseError::new(
                "break_date",
                format!("the break date {brk} is after the end date {end}"),
            ));
        }
        for (field, v) in [
            ("total_value", self.total_value),
            ("annual_value", self.annual_value),
        ] {
            if v.is_some_and(|v| v.0 < 0) {
                return Err(ParseError::new(field, "a value cannot be negative"));
            }
        }
        Ok(())
    }
}

/// How soon a contract ends, for sorting and colouring the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiryBand {
    /// Its end date has passed.
    Expired,
    /// It ends within the next 90 days.
    Within90Days,
    /// It ends later than that.
    Later,
    /// It has no end date.
    NoEndDate,
}

impl ExpiryBand {
    /// Every band, soonest first.
    pub const ALL_BANDS: [ExpiryBand; 4] = [
        ExpiryBand::Expired,
        ExpiryBand::Within90Days,
        ExpiryBand::Later,
        ExpiryBand::NoEndDate,
    ];

    /// Days ahead that count as "ending soon".
    pub const SOON_DAYS: i32 = 90;

    /// The band of a contract ending on `end`, seen on `today`.
    pub fn of(end: Option<Date>, today: Date) -> Self {
        match end {
            None => ExpiryBand::NoEndDate,
            Some(end) if end < today => ExpiryBand::Expired,
            Some(end) if (end - today).get_days() <= Self::SOON_DAYS => ExpiryBand::Within90Days,
            Some(_) => ExpiryBand::Later,
        }
    }

    /// The label shown in the register.
    pub fn label(self) -> &'static str {
        match self {
            ExpiryBand::Expired => "Expired",
            ExpiryBand::Within90Days => "Ends within 90 days",
            ExpiryBand::Later => "Ends later",
            ExpiryBand::NoEndDate => "No end date",
        }
    }

    /// The word used in addresses and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryBand::Expired => "expired",
            ExpiryBand::Within90Days => "within-90-days",
            ExpiryBand::Later => "later",
            ExpiryBand::NoEndDate => "no-end-date",
        }
    }
}

/// Why an extension cannot be exercised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// No options are left.
    #[error("contract {0} has no extension options left")]
    NoneLeft(String),
    /// Nothing to extend from.
    #[error("contract {0} has no end date to extend")]
    NoEndDate(String),
}

/// The effect of exercising a contract's next extension option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The option taken.
    pub span: Span,
    /// The end date before.
    pub old_end: Date,
    /// The end date after.
    pub new_end: Date,
}

impl Contract {
    /// Takes the next extension option: the end date moves on by its length and
    /// the option is used up. The register's history records each one, so nobody
    /// extends twice by mistake.
    pub fn exercise_extension(&mut self) -> Result<Extension, ExtensionError> {
        let old_end = self
            .end
            .ok_or_else(|| ExtensionError::NoEndDate(self.reference.clone()))?;
        if self.extensions.is_empty() {
            return Err(ExtensionError::NoneLeft(self.reference.clone()));
        }
        let span = self.extensions.remove(0);
        let new_end = span.after(old_end);
        self.end = Some(new_end);
        Ok(Extension {
            span,
            old_end,
            new_end,
        })
    }

    /// Whether two records say the same thing, leaving aside where they came from.
    pub fn same_terms(&self, other: &Contract) -> bool {
        let mut a = self.clone();
        a.source = other.source.clone();
        &a == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pence_display_groups_thousands() {
        assert_eq!(Pence(123_456_789).display(), "£1,234,567.89");
        assert_eq!(Pence(100_000).display(), "£1,000");
        assert_eq!(Pence(5).display(), "£0.05");
    }

    #[test]
    fn cpv_codes_drop_the_check_digit() {
        assert_eq!(CpvCode::parse("48000000-8").unwrap().as_str(), "48000000");
        assert_eq!(CpvCode::parse(" 72000000 ").unwrap().prefix(3), "720");
        assert!(CpvCode::parse("4800").is_err());
    }

    #[test]
    fn expiry_bands_split_at_today_and_ninety_days() {
        let today: Date = "2026-11-25".parse().unwrap();
        let d = |s: &str| Some(s.parse::<Date>().unwrap());
        assert_eq!(ExpiryBand::of(d("2026-11-24"), today), ExpiryBand::Expired);
        assert_eq!(
            ExpiryBand::of(d("2026-11-25"), today),
            ExpiryBand::Within90Days
        );
        assert_eq!(
            ExpiryBand::of(d("2027-02-23"), today),
            ExpiryBand::Within90Days
        );
        assert_eq!(ExpiryBand::of(d("2027-02-24"), today), ExpiryBand::Later);
        assert_eq!(ExpiryBand::of(None, today), ExpiryBand::NoEndDate);
    }

    #[test]
    fn extensions_are_used_up_in_order() {
        let mut c = Contract {
            authority: crate::OrgId::parse("GB-LAE-CMD").unwrap(),
            reference: "HMS-1".into(),
            title: "Housing management system".into(),
            description: String::new(),
            supplier_name: None,
            supplier_company_number: None,
            cpv_codes: vec![],
            category: None,
            total_value: None,
            annual_value: None,
            start: None,
            end: Some("2027-03-31".parse().unwrap()),
            extensions: vec![Span::Months(12), Span::Months(6)],
            break_date: None,
            notice_period: None,
            status: ContractStatus::Active,
            source: Source::Manual,
            extra: BTreeMap::new(),
        };
        let first = c.exercise_extension().unwrap();
        assert_eq!(first.new_end.to_string(), "2028-03-31");
        let second = c.exercise_extension().unwrap();
        assert_eq!(second.new_end.to_string(), "2028-09-30");
        assert_eq!(
            c.exercise_extension(),
            Err(ExtensionError::NoneLeft("HMS-1".into()))
        );
    }

    #[test]
    fn spans_move_dates_by_calendar_months() {
        let d: Date = "2026-01-31".parse().unwrap();
        assert_eq!(Span::Months(1).after(d).to_string(), "2026-02-28");
        assert_eq!(Span::Months(12).after(d).to_string(), "2027-01-31");
        assert_eq!(Span::Days(10).before(d).to_string(), "2026-01-21");
        assert_eq!(
            Span::Months(u32::MAX).after(d),
            Date::MAX,
            "no panic on absurd lengths"
        );
        assert_eq!(Span::Days(u32::MAX).before(d), Date::MIN);
    }
}
