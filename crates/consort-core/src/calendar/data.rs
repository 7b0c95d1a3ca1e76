//! The rules data (`data/rules/uk-procurement-rules.json`, provenance in
//! `data/rules/README.md`), compiled in with `include_str!` and parsed once.

use jiff::civil::Date;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// The JSON text, as compiled in.
pub const RULES_JSON: &str = include_str!("../../data/rules/uk-procurement-rules.json");

static RULES: LazyLock<RulesData> = LazyLock::new(|| {
    serde_json::from_str(RULES_JSON)
        .unwrap_or_else(|e| panic!("data/rules/uk-procurement-rules.json does not parse: {e}"))
});

/// The embedded rules data, parsed on first use. Panics if the compiled-in file does
/// not parse, which the crate's tests check.
pub fn rules() -> &'static RulesData {
    &RULES
}

/// How far a fact has been checked, as the data says (`confidence_levels`).
/// Ordered from weakest to strongest, so the `min` of several is the weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// A placeholder or an inference.
    Unverified,
    /// From law firms, council pages, mirrors, or official text seen only in part.
    FromSecondarySource,
    /// Checked against the primary legislative or official text.
    VerifiedFromText,
}

impl Confidence {
    /// The data's spelling: `verified-from-text`, `from-secondary-source`, `unverified`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Unverified => "unverified",
            Confidence::FromSecondarySource => "from-secondary-source",
            Confidence::VerifiedFromText => "verified-from-text",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact: a statement of the law with its citation, and any typed fields the
/// data gives it (`days`, `unit`, `anchor`, `min_days`, `conditions`, ...).
#[derive(Debug, Clone, Deserialize)]
pub struct Fact {
    /// Stable dotted id, e.g. `pa23.s51.standstill`.
    pub id: String,
    /// The rule in words.
    pub statement: String,
    /// The section or regulation (or document) it comes from.
    pub source: String,
    /// How far it has been checked.
    pub confidence: Confidence,
    /// Every other field, as in the file.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl Fact {
    /// A whole-number field, if present and a number.
    pub fn number(&self, key: &str) -> Option<u32> {
        self.fields
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    }

    /// A text field, if present and a string.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// A list-of-strings field (e.g. `excluded_days`).
    pub fn texts(&self, key: &str) -> Vec<&str> {
        self.fields
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `conditions` map of a PA 2023 s.54 row (empty if none).
    pub fn conditions(&self) -> BTreeMap<&str, bool> {
        self.fields
            .get("conditions")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_bool().map(|b| (k.as_str(), b)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The citation in short form: "Procurement Act 2023 s.123(1) 'working day'"
    /// becomes "PA 2023 s.123(1)".
    pub fn short_source(&self) -> String {
        short_citation(&self.source)
    }
}

/// "Procurement Act 2023 s.51(1)-(2)" -> "PA 2023 s.51(1)-(2)"; drops anything
/// after a semicolon, a trailing quoted term ("... 'working day'") and a trailing
/// remark in brackets ("... (absence of a roll-forward rule, ...)").
pub fn short_citation(source: &str) -> String {
    let s = source.split(';').next().unwrap_or(source);
    let s = s.split(" '").next().unwrap_or(s);
    let s = s.split(" (").next().unwrap_or(s).trim();
    match s.strip_prefix("Procurement Act 2023") {
        Some(rest) => format!("PA 2023{rest}"),
        None => s.to_string(),
    }
}

/// Where a text was read, and which version (`sources`).
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    /// e.g. `PA2023`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// How it is cited.
    pub citation: String,
    /// Where it is published.
    pub url: String,
    /// Which version was read.
    pub version_note: String,
}

/// One bank holiday as the file gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RawBankHoliday {
    /// The day.
    pub date: Date,
    /// GOV.UK's name for it.
    pub title: String,
    /// A substitute for a holiday that fell at a weekend.
    pub substitute_day: bool,
    /// A one-off holiday (a jubilee, a funeral, the 2026 World Cup holiday).
    pub one_off: bool,
    /// `occurred` or `scheduled_published` (relative to the compilation date).
    pub status: String,
    /// Where it comes from.
    pub source: String,
    /// How far it has been checked.
    pub confidence: Confidence,
}

/// The `bank_holidays` object.
#[derive(Debug, Clone, Deserialize)]
pub struct BankHolidayData {
    /// Where the lists come from.
    pub source: String,
    /// How far they have been checked.
    pub confidence: Confidence,
    /// What each `status` means.
    pub status_values: BTreeMap<String, String>,
    /// The compiler's note.
    pub note: String,
    /// `england-and-wales`, `scotland`, `northern-ireland` -> the holidays.
    pub divisions: BTreeMap<String, Vec<RawBankHoliday>>,
}

/// The parts of the file the calendar uses (the rest is left unparsed).
#[derive(Debug, Clone, Deserialize)]
pub struct RulesData {
    /// Schema version.
    pub schema_version: String,
    /// When it was compiled.
    pub compiled: Date,
    /// "Research data, not legal advice. ..."
    pub disclaimer: String,
    /// Where each text was read.
    pub sources: Vec<Source>,
    /// Working-day definitions and counting rules.
    pub calendar_rules: Vec<Fact>,
    /// PA 2023 s.54 rows.
    pub pa2023_time_limits: Vec<Fact>,
    /// Standstill and other PA 2023 clocks.
    pub pa2023_other_clocks: Vec<Fact>,
    /// Procedures and awards.
    pub pa2023_procedures_and_awards: Vec<Fact>,
    /// Frameworks (ss.45–49).
    pub pa2023_frameworks: Vec<Fact>,
    /// Dynamic markets (ss.34–40).
    pub pa2023_dynamic_markets: Vec<Fact>,
    /// PCR 2015 time limits (regs 27–30, 53, 55, 86–93).
    pub pcr2015_time_limits: Vec<Fact>,
    /// PCR 2015 dynamic purchasing systems (reg 34).
    pub pcr2015_dps: Vec<Fact>,
    /// PCR 2015 frameworks (reg 33).
    pub pcr2015_frameworks: Vec<Fact>,
    /// Other PCR 2015 rules.
    pub pcr2015_other: Vec<Fact>,
    /// Thresholds.
    pub thresholds: Vec<Fact>,
    /// Transition (SI 2024/716).
    pub transition: Vec<Fact>,
    /// Bank holidays 2019–2028.
    pub bank_holidays: BankHolidayData,
}

impl RulesData {
    /// Every fact in the lists above.
    pub fn facts(&self) -> impl Iterator<Item = &Fact> {
        [
            &self.calendar_rules,
            &self.pa2023_time_limits,
            &self.pa2023_other_clocks,
            &self.pa2023_procedures_and_awards,
            &self.pa2023_frameworks,
            &self.pa2023_dynamic_markets,
            &self.pcr2015_time_limits,
            &self.pcr2015_dps,
            &self.pcr2015_frameworks,
            &self.pcr2015_other,
            &self.thresholds,
            &self.transition,
        ]
        .into_iter()
        .flatten()
    }

    /// The fact with this id.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts().find(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_citations() {
        assert_eq!(
            short_citation("Procurement Act 2023 s.123(1) 'working day'"),
            "PA 2023 s.123(1)"
        );
        assert_eq!(
            short_citation("PCR 2015 reg 27(6); reg 1(3)(c)"),
            "PCR 2015 reg 27(6)"
        );
        assert_eq!(
            short_citation("PCR 2015 reg 87(2),(4)"),
            "PCR 2015 reg 87(2),(4)"
        );
        assert_eq!(
            short_citation("Procurement Act 2023 ss.54, 123 (absence of a roll-forward rule)"),
            "PA 2023 ss.54, 123"
        );
    }

    #[test]
    fn confidence_orders_weakest_first() {
        assert!(Confidence::Unverified < Confidence::FromSecondarySource);
        assert!(Confidence::FromSecondarySource < Confidence::VerifiedFromText);
    }
}
