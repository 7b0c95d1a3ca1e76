//! What the buyer writes: title, description, buyers, lots, documents, the price
//! schedule and the tender deadline.

use super::error::CompetitionError;
use crate::ids::OrgId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The buyer's content of a competition. A draft may be incomplete; publication
/// checks it is complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftContent {
    /// The title bidders see.
    pub title: String,
    /// What is being bought.
    pub description: String,
    /// The lead buyer, which runs the competition.
    pub buyer: OrgId,
    /// Other buyers of the same consortium in a joint competition: each gets its
    /// own contract at award.
    pub joint_buyers: Vec<OrgId>,
    /// The consortium the joint buyers belong to, if joint.
    pub consortium_id: Option<i64>,
    /// The lots; empty means the competition is one lot.
    pub lots: Vec<Lot>,
    /// The procurement documents (stored elsewhere by content hash).
    pub documents: Vec<DocumentRef>,
    /// The lines every bid prices.
    pub price_schedule: Vec<PriceLine>,
    /// When bids must be in by.
    pub tender_deadline: Option<Timestamp>,
    /// When the contract is expected to start, if known.
    pub contract_start: Option<Date>,
    /// When the contract is expected to end, if known.
    pub contract_end: Option<Date>,
}

/// A lot: a part of the requirement bid for and awarded separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// A short id unique in the competition, e.g. `1`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The estimated value in pence, if published.
    pub estimated_value_pence: Option<i64>,
}

/// A procurement document: the file is stored elsewhere under its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// The SHA-256 of the file's bytes, lower-case hex.
    pub sha256_hex: String,
    /// The file's name as shown for download.
    pub file_name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// A line of the price schedule. A bid prices each line by the unit; the line's
/// price is quantity × unit price, and the bid's total the sum of its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    /// A short id unique in the competition, e.g. `L1`.
    pub id: String,
    /// What is priced.
    pub description: String,
    /// How many units (whole units).
    pub quantity: u32,
    /// The unit, e.g. `licence per year`, `day`.
    pub unit: String,
    /// The lot the line belongs to; `None` for every lot.
    pub lot: Option<String>,
}

fn short_id(value: &str, field: &str, what: &str) -> Result<(), CompetitionError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 40 || v.chars().any(char::is_whitespace) || v != value {
        return Err(CompetitionError::invalid(
            field,
            format!("'{value}' is not a {what} id: use 1 to 40 characters without spaces"),
        ));
    }
    Ok(())
}

pub(super) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl DraftContent {
    /// A new draft with just a title and a buyer.
    pub fn new(title: impl Into<String>, buyer: OrgId) -> DraftContent {
        DraftContent {
            title: title.into(),
            description: String::new(),
            buyer,
            joint_buyers: Vec::new(),
            consortium_id: None,
            lots: Vec::new(),
            documents: Vec::new(),
            price_schedule: Vec::new(),
            tender_deadline: None,
            contract_start: None,
            contract_end: None,
        }
    }

    /// The lot with this id.
    pub fn lot(&self, id: &str) -> Option<&Lot> {
        self.lots.iter().find(|l| l.id == id)
    }

    /// The price lines a bid for `lot` prices: those of that lot and those of every lot.
    pub fn lines_for(&self, lot: Option<&str>) -> impl Iterator<Item = &PriceLine> {
        self.price_schedule
            .iter()
            .filter(move |l| l.lot.is_none() || l.lot.as_deref() == lot)
    }

    /// The sum of the lots' estimated values, if every lot has one (or `None`).
    pub fn estimated_value_pence(&self) -> Option<i64> {
        if self.lots.is_empty() {
            return None;
        }
        self.lots
            .iter()
            .map(|l| l.estimated_value_pence)
            .try_fold(0i64, |acc, v| v.and_then(|v| acc.checked_add(v)))
    }

    /// Checks what a draft may hold: well-formed ids, no duplicates, sensible values.
    /// Completeness (title, description, deadline) is checked at publication.
    pub fn check_structure(&self) -> Result<(), CompetitionError> {
        if self.title.chars().count() > 300 {
            return Err(CompetitionError::invalid(
                "title",
                "the title must be 300 characters or fewer",
            ));
        }
        let mut buyers = BTreeSet::from([&self.buyer]);
        for b in &self.joint_buyers {
            if !buyers.insert(b) {
                return Err(CompetitionError::invalid(
                    "joint_buyers",
                    format!("{b} is listed twice among the buyers"),
                ));
            }
        }
        if !self.joint_buyers.is_empty() && self.consortium_id.is_none() {
            return Err(CompetitionError::invalid(
                "consortium_id",
                "a joint competition is run by buyers of one consortium: say which",
            ));
        }
        let mut lots = BTreeSet::new();
        for (i, lot) in self.lots.iter().enumerate() {
            let field = format!("lots[{}]", i + 1);
            short_id(&lot.id, &format!("{field}.id"), "lot")?;
            if !lots.insert(lot.id.as_str()) {
                return Err(CompetitionError::invalid(
                    format!("{field}.id"),
                    format!("lot id '{}' is used twice", lot.id),
                ));
            }
            if lot.title.trim().is_empty() {
                return Err(CompetitionError::invalid(
                    format!("{field}.title"),
                    format!("lot {} has no title", lot.id),
                ));
            }
            if lot.estimated_value_pence.is_some_and(|v| v < 0) {
                return Err(CompetitionError::invalid(
                    format!("{field}.estimated_value"),
                    format!("lot {}'s estimated value cannot be negative", lot.id),
                ));
            }
        }
        let mut hashes = BTreeSet::new();
        for (i, d) in self.documents.iter().enumerate() {
            let field = format!("documents[{}]", i + 1);
            if !is_sha256_hex(&d.sha256_hex) {
                return Err(CompetitionError::invalid(
                    format!("{field}.sha256_hex"),
                    format!(
                        "'{}' is not a SHA-256 in lower-case hex (64 characters)",
                        d.sha256_hex
                    ),
                ));
            }
            if !hashes.insert(d.sha256_hex.as_str()) {
                return Err(CompetitionError::invalid(
                    format!("{field}.sha256_hex"),
                    format!("{} is attached twice", d.file_name),
                ));
            }
            if d.file_name.trim().is_empty() {
                return Err(CompetitionError::invalid(
                    format!("{field}.file_name"),
                    "the document has no file name",
                ));
            }
        }
        let mut lines = BTreeSet::new();
        for (i, line) in self.price_schedule.iter().enumerate() {
            let field = format!("price_schedule[{}]", i + 1);
            short_id(&line.id, &format!("{field}.id"), "price line")?;
            if !lines.insert(line.id.as_str()) {
                return Err(CompetitionError::invalid(
                    format!("{field}.id"),
                    format!("price line id '{}' is used twice", line.id),
                ));
            }
            if line.description.trim().is_empty() {
                return Err(CompetitionError::invalid(
                    format!("{field}.description"),
                    format!("price line {} has no description", line.id),
                ));
            }
            if line.quantity == 0 {
                return Err(CompetitionError::invalid(
                    format!("{field}.quantity"),
                    format!("price line {} has quantity 0: use 1 or more", line.id),
                ));
            }
            if let Some(lot) = &line.lot
                && self.lot(lot).is_none()
            {
                return Err(CompetitionError::invalid(
                    format!("{field}.lot"),
                    format!(
                        "price line {} is for lot '{lot}', which does not exist",
                        line.id
                    ),
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.contract_start, self.contract_end)
            && end < start
        {
            return Err(CompetitionError::invalid(
                "contract_end",
                format!("the contract cannot end ({end}) before it starts ({start})"),
            ));
        }
        Ok(())
    }
}
