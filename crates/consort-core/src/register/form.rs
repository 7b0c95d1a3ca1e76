//! A contract as people type it on a form: text fields parsed with the same
//! rules as an imported register, every bad field reported at once.

use super::import::{
    normalise_company_number, parse_cpv_codes, parse_date, parse_extensions, parse_pence,
    parse_span, parse_status,
};
use super::{Contract, Source};
use crate::ids::{OrgId, ParseError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The text of each field, as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContractFields {
    /// The authority's own reference.
    pub reference: String,
    /// The title.
    pub title: String,
    /// What is provided.
    pub description: String,
    /// The supplier's name.
    pub supplier_name: String,
    /// The supplier's Companies House number.
    pub supplier_company_number: String,
    /// CPV codes separated by spaces, commas or semicolons.
    pub cpv_codes: String,
    /// The category label.
    pub category: String,
    /// The total value, e.g. `£1.2m`.
    pub total_value: String,
    /// The annual value.
    pub annual_value: String,
    /// The start date, e.g. `1 April 2024`.
    pub start: String,
    /// The end date.
    pub end: String,
    /// Extension options, e.g. `1+1` or `2 x 12 months`.
    pub extensions: String,
    /// The earliest break date.
    pub break_date: String,
    /// The notice period, e.g. `3 months`.
    pub notice_period: String,
    /// active, ended or terminated.
    pub status: String,
}

impl ContractFields {
    /// The fields of an existing contract, for editing.
    pub fn of(c: &Contract) -> Self {
        let date = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let pounds = |p: Option<super::Pence>| p.map(|p| p.display()).unwrap_or_default();
        Self {
            reference: c.reference.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            supplier_name: c.supplier_name.clone().unwrap_or_default(),
            supplier_company_number: c.supplier_company_number.clone().unwrap_or_default(),
            cpv_codes: c
                .cpv_codes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            category: c.category.clone().unwrap_or_default(),
            total_value: pounds(c.total_value),
            annual_value: pounds(c.annual_value),
            start: date(c.start),
            end: date(c.end),
            extensions: c
                .extensions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + "),
            break_date: date(c.break_date),
            notice_period: c.notice_period.map(|n| n.to_string()).unwrap_or_default(),
            status: match c.status {
                super::ContractStatus::Active => "active",
                super::ContractStatus::Ended => "ended",
                super::ContractStatus::Terminated => "terminated",
            }
            .into(),
        }
    }

    /// Parses every field into a contract of `authority`, keeping `extra` and
    /// `source` from the record being edited (or manual entry for a new one).
    /// Returns every field in error, each named by its form field.
    pub fn parse(
        &self,
        authority: &OrgId,
        source: Source,
        extra: BTreeMap<String, String>,
    ) -> Result<Contract, Vec<ParseError>> {
        let mut errors = Vec::new();
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        fn field<T>(
            errors: &mut Vec<ParseError>,
            name: &'static str,
            r: Result<T, String>,
        ) -> Option<T> {
            r.map_err(|reason| errors.push(ParseError::new(name, reason)))
                .ok()
        }
        let optional_date = |s: &str| {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                parse_date(s).map(Some)
            }
        };
        let start = field(&mut errors, "start", optional_date(&self.start)).flatten();
        let end = field(&mut errors, "end", optional_date(&self.end)).flatten();
        let break_date =
            field(&mut errors, "break_date", optional_date(&self.break_date)).flatten();
        let total_value =
            field(&mut errors, "total_value", parse_pence(&self.total_value)).flatten();
        let annual_value =
            field(&mut errors, "annual_value", parse_pence(&self.annual_value)).flatten();
        let extensions = field(
            &mut errors,
            "extensions",
            parse_extensions(&self.extensions),
        )
        .unwrap_or_default();
        let notice_period = field(
            &mut errors,
            "notice_period",
            parse_span(&self.notice_period),
        )
        .flatten();
        let cpv_codes =
            field(&mut errors, "cpv_codes", parse_cpv_codes(&self.cpv_codes)).unwrap_or_default();
        let status = field(
            &mut errors,
            "status",
            if self.status.trim().is_empty() {
                Ok(super::ContractStatus::Active)
            } else {
                parse_status(&self.status)
            },
        );
        if self.reference.trim().is_empty() {
            errors.push(ParseError::new(
                "reference",
                "Enter the contract's reference",
            ));
        }
        if self.title.trim().is_empty() {
            errors.push(ParseError::new("title", "Enter the contract's title"));
        }
        let contract = Contract {
            authority: authority.clone(),
            reference: self.reference.trim().to_string(),
            title: self.title.trim().to_string(),
            description: self.description.trim().to_string(),
            supplier_name: text(&self.supplier_name),
            supplier_company_number: normalise_company_number(&self.supplier_company_number),
            cpv_codes,
            category: text(&self.category),
            total_value,
            annual_value,
            start,
            end,
            extensions,
            break_date,
            notice_period,
            status: status.unwrap_or(super::ContractStatus::Active),
            source,
            extra,
        };
        if errors.is_empty()
            && let Err(e) = contract.check()
        {
            let name = match e.field {
                "end_date" => "end",
                other => other,
            };
            errors.push(ParseError::new(name, e.reason));
        }
        if errors.is_empty() {
            Ok(contract)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camden() -> OrgId {
        OrgId::parse("GB-LAE-CMD").unwrap()
    }

    #[test]
    fn fields_parse_as_an_imported_register_would() {
        let fields = ContractFields {
            reference: " HMS-1 ".into(),
            title: "Housing management system".into(),
            total_value: "£1.2m".into(),
            annual_value: "300k".into(),
            start: "1 April 2024".into(),
            end: "31/03/2029".into(),
            extensions: "1+1".into(),
            notice_period: "3 months".into(),
            cpv_codes: "48000000-8".into(),
            ..Default::default()
        };
        let c = fields
            .parse(&camden(), Source::Manual, BTreeMap::new())
            .unwrap();
        assert_eq!(c.reference, "HMS-1");
        assert_eq!(c.total_value, Some(super::super::Pence(120_000_000)));
        assert_eq!(c.extensions.len(), 2);
        assert_eq!(c.end.unwrap().to_string(), "2029-03-31");
        let again = ContractFields::of(&c)
            .parse(&camden(), Source::Manual, BTreeMap::new())
            .unwrap();
        assert_eq!(again, c, "the edit form round-trips a contract");
    }

    #[test]
    fn every_bad_field_is_named() {
        let fields = ContractFields {
            reference: "".into(),
            title: "".into(),
            end: "31/02/2029".into(),
            annual_value: "(300)".into(),
            extensions: "whenever".into(),
            ..Default::default()
        };
        let errors = fields
            .parse(&camden(), Source::Manual, BTreeMap::new())
            .unwrap_err();
        let names: Vec<&str> = errors.iter().map(|e| e.field).collect();
        for expected in ["end", "annual_value", "extensions", "reference", "title"] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    #[test]
    fn an_end_before_the_start_is_reported_on_the_end_date() {
        let fields = ContractFields {
            reference: "X".into(),
            title: "X".into(),
            start: "2026-01-01".into(),
            end: "2025-01-01".into(),
            ..Default::default()
        };
        let errors = fields
            .parse(&camden(), Source::Manual, BTreeMap::new())
            .unwrap_err();
        assert_eq!(errors[0].field, "end");
    }
}
