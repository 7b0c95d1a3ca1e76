//! Identifiers that parse rather than validate: once built, they are well formed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a piece of input could not be turned into a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParseError {
    /// The input field, as the user knows it (`id`, `email`, …).
    pub field: &'static str,
    /// What is wrong and, where possible, what to write instead.
    pub reason: String,
}

impl ParseError {
    /// A parse error for `field` with the given reason.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// An organisation identifier in the org-id.guide style: `GB-LAE-CMD` (an English
/// local authority), `GB-COH-01234567` (a company registered at Companies House).
///
/// The form is `CC-LIST-IDENTIFIER`: a two-letter country (or `XI`/`XM` for
/// international lists), a list code of letters and digits, then the identifier
/// the list itself issues. Lists Consort knows are checked more closely.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgId(String);

impl OrgId {
    /// Parses an identifier, upper-casing the scheme (`gb-lae-cmd` → `GB-LAE-CMD`).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let input = input.trim();
        let err = |reason: String| ParseError::new("id", reason);
        let mut parts = input.splitn(3, '-');
        let (Some(country), Some(list), Some(local)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(err(format!(
                "'{input}' is not an org-id identifier: write it as COUNTRY-LIST-IDENTIFIER, \
                 for example GB-LAE-CMD or GB-COH-01234567"
            )));
        };
        let country = country.to_ascii_uppercase();
        let list = list.to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(err(format!(
                "'{input}' must start with a two-letter country code such as GB"
            )));
        }
        if list.is_empty() || !list.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(err(format!(
                "'{input}' has no list code after the country (for example LAE or COH)"
            )));
        }
        if local.is_empty()
            || local.len() > 64
            || !local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        {
            return Err(err(format!(
                "'{input}' has an identifier part that is empty, longer than 64 characters \
                 or contains characters other than letters, digits, '.', '_', '/' and '-'"
            )));
        }
        let local = match (country.as_str(), list.as_str()) {
            ("GB", "COH") => {
                let local = local.to_ascii_uppercase();
                let digits = local.len() == 8 && local.chars().all(|c| c.is_ascii_digit());
                let prefixed = local.len() == 8
                    && local[..2].chars().all(|c| c.is_ascii_uppercase())
                    && local[2..].chars().all(|c| c.is_ascii_digit());
                if !(digits || prefixed) {
                    return Err(err(format!(
                        "'{input}': a Companies House number is 8 characters, either 8 digits \
                         or 2 letters and 6 digits (for example GB-COH-01234567 or GB-COH-SC123456)"
                    )));
                }
                local
            }
            ("GB", "LAE" | "LAS" | "LAW" | "NIEB") => {
                let local = local.to_ascii_uppercase();
                if !(3..=4).contains(&local.len()) || !local.chars().all(|c| c.is_ascii_uppercase())
                {
                    return Err(err(format!(
                        "'{input}': a local authority code is 3 or 4 letters (for example GB-LAE-CMD)"
                    )));
                }
                local
            }
            _ => local.to_string(),
        };
        Ok(Self(format!("{country}-{list}-{local}")))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrgId {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OrgId> for String {
    fn from(value: OrgId) -> Self {
        value.0
    }
}

/// An email address, kept in lower case so that sign-in does not depend on how a
/// person typed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address such as `buyer@camden.gov.uk`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ParseError::new("email", "enter an email address"));
        }
        let lower = trimmed.to_lowercase();
        let valid = email_address::EmailAddress::parse_with_options(
            &lower,
            email_address::Options::default().without_display_text(),
        )
        .is_ok()
            && lower.len() <= 254;
        if !valid || !lower.contains('.') {
            return Err(ParseError::new(
                "email",
                format!(
                    "'{trimmed}' is not an email address in the right format, like name@example.gov.uk"
                ),
            ));
        }
        Ok(Self(lower))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn org_ids_of_known_lists_are_checked() {
        assert_eq!(OrgId::parse("gb-lae-cmd").unwrap().as_str(), "GB-LAE-CMD");
        assert_eq!(
            OrgId::parse(" GB-COH-01234567 ").unwrap().as_str(),
            "GB-COH-01234567"
        );
        assert_eq!(
            OrgId::parse("GB-COH-sc123456").unwrap().as_str(),
            "GB-COH-SC123456"
        );
        assert!(OrgId::parse("GB-COH-1234").is_err());
        assert!(OrgId::parse("GB-LAE-C1D").is_err());
        assert!(OrgId::parse("GB-LAE").is_err());
        assert!(OrgId::parse("GBR-LAE-CMD").is_err());
        assert!(OrgId::parse("GB--X").is_err());
        assert_eq!(
            OrgId::parse("XI-PB-abc/1").unwrap().as_str(),
            "XI-PB-abc/1",
            "identifiers of other lists keep their case"
        );
    }

    #[test]
    fn org_id_errors_name_the_field_and_an_example() {
        let e = OrgId::parse("camden").unwrap_err();
        assert_eq!(e.field, "id");
        assert!(e.reason.contains("GB-LAE-CMD"), "{}", e.reason);
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Buyer@Camden.GOV.uk ").unwrap().as_str(),
            "buyer@camden.gov.uk"
        );
        assert!(Email::parse("").is_err());
        assert!(Email::parse("not an email").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("Name <a@b.com>").is_err());
    }

    proptest! {
        #[test]
        fn parsed_org_ids_parse_to_themselves(country in "[A-Za-z]{2}", list in "[A-Za-z0-9]{1,6}", local in "[A-Za-z0-9._/]{1,20}") {
            if let Ok(id) = OrgId::parse(&format!("{country}-{list}-{local}")) {
                prop_assert_eq!(OrgId::parse(id.as_str()).unwrap(), id);
            }
        }

        #[test]
        fn org_id_parsing_never_panics(s in ".{0,80}") {
            let _ = OrgId::parse(&s);
            let _ = Email::parse(&s);
        }
    }
}
