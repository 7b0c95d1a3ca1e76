//! Bids as the competition sees them: the checks the store makes before it seals
//! and keeps one, the canonical encoding of what was received, and the receipt.
//! The bids themselves are sealed and stored elsewhere, never in the competition.

use super::content::is_sha256_hex;
use super::error::CompetitionError;
use super::{Competition, Status};
use crate::ids::OrgId;
use crate::register::import::parse_pence;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a supplier submits (or saves as a draft): answers, prices as typed, and
/// the attachments' descriptions (their bytes are sealed separately).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidContent {
    /// The lot bid for; `None` for a competition without lots.
    pub lot: Option<String>,
    /// Answers by question id.
    pub answers: BTreeMap<String, String>,
    /// Unit prices by price line id, as the supplier typed them.
    pub prices: BTreeMap<String, String>,
    /// The attachments.
    pub attachments: Vec<AttachmentMeta>,
}

/// An attachment to a bid: what it is and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    /// The file name as uploaded.
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of its bytes, lower-case hex.
    pub sha256_hex: String,
}

/// A bid that passed every check: prices in pence, totals worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidBid {
    /// The lot bid for.
    pub lot: Option<String>,
    /// Answers by question id.
    pub answers: BTreeMap<String, String>,
    /// Unit prices in pence by line id.
    pub unit_prices_pence: BTreeMap<String, i64>,
    /// quantity × unit price, by line id.
    pub line_totals_pence: BTreeMap<String, i64>,
    /// The sum of the line totals.
    pub total_price_pence: i64,
    /// The attachments.
    pub attachments: Vec<AttachmentMeta>,
}

/// What the supplier is given for each submission: the exact time of receipt and
/// the SHA-256 of the canonical encoding of what was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The server's time of receipt.
    pub received_at: Timestamp,
    /// SHA-256 of [`canonical_bid_bytes`], lower-case hex.
    pub sha256_hex: String,
    /// The bid's id.
    pub bid_id: String,
    /// Which submission of the bid this is: 1 for the first, 2 for a resubmission…
    pub version: u32,
}

impl Receipt {
    /// The receipt for `canonical` bytes received at `received_at`.
    pub fn new(
        bid_id: impl Into<String>,
        version: u32,
        received_at: Timestamp,
        canonical: &[u8],
    ) -> Receipt {
        Receipt {
            received_at,
            sha256_hex: hex::encode(Sha256::digest(canonical)),
            bid_id: bid_id.into(),
            version,
        }
    }

    /// Whether `canonical` bytes are what this receipt was given for.
    pub fn matches(&self, canonical: &[u8]) -> bool {
        hex::encode(Sha256::digest(canonical)) == self.sha256_hex
    }
}

/// JSON with object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, and strings escaped as serde_json escapes them: the same value
/// always gives the same bytes, whatever order its maps were built in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The canonical bytes of a bid as received: the competition, the supplier, and
/// the content exactly as typed (prices as text, attachments by hash), as
/// [`canonical_json`]. A [`Receipt`] reports their SHA-256.
pub fn canonical_bid_bytes(
    competition_id: &str,
    supplier: &OrgId,
    content: &BidContent,
) -> Vec<u8> {
    let value = json!({
        "competition": competition_id,
        "supplier": supplier.as_str(),
        "lot": content.lot,
        "answers": content.answers,
        "prices": content.prices,
        "attachments": content.attachments.iter().map(|a| json!({
            "file_name": a.file_name,
            "media_type": a.media_type,
            "size_bytes": a.size_bytes,
            "sha256_hex": a.sha256_hex,
        })).collect::<Vec<_>>(),
    });
    canonical_json(&value).into_bytes()
}

/// The number of words in `text`: runs of characters between whitespace.
pub(super) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

fn price_problem(message: &str) -> &'static str {
    if message.contains("fractions of a penny") {
        "has fractions of a penny: write at most two decimal places"
    } else if message.contains("negative") {
        "cannot be negative"
    } else if message.contains("too large") {
        "is too large"
    } else {
        "is not a number"
    }
}

impl Competition {
    /// Whether the store may accept a bid (or a change to one) from `supplier`
    /// at `now`: published, before the deadline, and the supplier eligible.
    pub fn can_accept_bid(&self, supplier: &OrgId, now: Timestamp) -> Result<(), CompetitionError> {
        self.check_open_for_bids(now)?;
        if !self.rules.eligibility.admits(supplier) {
            return Err(CompetitionError::NotEligible {
                supplier: supplier.clone(),
            });
        }
        Ok(())
    }

    /// Whether the competition takes bids at all at `now` (whoever the supplier):
    /// published and before the deadline.
    pub fn is_open_for_bids(&self, now: Timestamp) -> bool {
        self.check_open_for_bids(now).is_ok()
    }

    fn check_open_for_bids(&self, now: Timestamp) -> Result<(), CompetitionError> {
        match &self.status {
            Status::Draft => {
                return Err(CompetitionError::NotInState {
                    action: "accept a bid",
                    state: self.status.id().to_string(),
                });
            }
            Status::Published => {}
            Status::Cancelled { .. } | Status::Unsuccessful { .. } => {
                return Err(CompetitionError::Closed {
                    why: format!("it was {}", self.status.label().to_lowercase()),
                });
            }
            _ => {
                return Err(CompetitionError::AfterDeadline {
                    deadline: self.deadline().unwrap_or(now),
                });
            }
        }
        if let Some(deadline) = self.deadline()
            && now >= deadline
        {
            return Err(CompetitionError::AfterDeadline { deadline });
        }
        Ok(())
    }

    /// Checks a submission: the lot exists, every question is answered within its
    /// word limit, every price line is priced with an amount of money, nothing
    /// unknown is included, and the attachments are described. Returns every
    /// problem, each naming its question or line.
    pub fn validate_bid(&self, content: &BidContent) -> Result<ValidBid, Vec<CompetitionError>> {
        self.check_bid(content, true)
    }

    /// Checks a saved draft of a bid like [`Competition::validate_bid`], except
    /// that unanswered questions and unpriced lines are allowed.
    pub fn check_bid_draft(&self, content: &BidContent) -> Result<ValidBid, Vec<CompetitionError>> {
        self.check_bid(content, false)
    }

    fn check_bid(
        &self,
        content: &BidContent,
        complete: bool,
    ) -> Result<ValidBid, Vec<CompetitionError>> {
        let mut errors = Vec::new();
        let lot = content.lot.as_deref();
        match (self.content.lots.is_empty(), lot) {
            (true, Some(l)) => errors.push(CompetitionError::invalid(
                "lot",
                format!("this competition has no lots, so the bid cannot be for lot '{l}'"),
            )),
            (false, None) => errors.push(CompetitionError::invalid(
                "lot",
                "say which lot the bid is for",
            )),
            (false, Some(l)) if self.content.lot(l).is_none() => errors.push(
                CompetitionError::invalid("lot", format!("there is no lot '{l}'")),
            ),
            _ => {}
        }
        let criteria = &self.rules.criteria;
        for (id, answer) in &content.answers {
            match criteria.question(id) {
                None => errors.push(CompetitionError::invalid(
                    format!("answers.{id}"),
                    format!("there is no question '{id}'"),
                )),
                Some(q) => {
                    let words = word_count(answer);
                    if let Some(limit) = q.word_limit
                        && words > limit as usize
                    {
                        errors.push(CompetitionError::invalid(
                            format!("answers.{id}"),
                            format!("the answer to question {id} has {words} words; the limit is {limit}"),
                        ));
                    }
                }
            }
        }
        if complete {
            for q in &criteria.questions {
                if content
                    .answers
                    .get(&q.id)
                    .is_none_or(|a| a.trim().is_empty())
                {
                    errors.push(CompetitionError::invalid(
                        format!("answers.{}", q.id),
                        format!("answer question {}", q.id),
                    ));
                }
            }
        }
        let lines: Vec<_> = self.content.lines_for(lot).collect();
        let mut unit_prices = BTreeMap::new();
        let mut line_totals = BTreeMap::new();
        for (id, input) in &content.prices {
            let Some(line) = lines.iter().find(|l| &l.id == id) else {
                let reason = if self.content.price_schedule.iter().any(|l| &l.id == id) {
                    format!("price line '{id}' is not part of this lot")
                } else {
                    format!("there is no price line '{id}'")
                };
                errors.push(CompetitionError::invalid(format!("prices.{id}"), reason));
                continue;
            };
            let invalid = |problem: &str| CompetitionError::InvalidPrice {
                line: id.clone(),
                input: input.clone(),
                problem: problem.to_string(),
            };
            match parse_pence(input) {
                Ok(Some(p)) => match p.0.checked_mul(i64::from(line.quantity)) {
                    Some(total) => {
                        unit_prices.insert(id.clone(), p.0);
                        line_totals.insert(id.clone(), total);
                    }
                    None => errors.push(invalid("is too large")),
                },
                Ok(None) if complete => errors.push(invalid("is missing")),
                Ok(None) => {}
                Err(message) => errors.push(invalid(price_problem(&message))),
            }
        }
        if complete {
            for line in &lines {
                if !content.prices.contains_key(&line.id) {
                    errors.push(CompetitionError::InvalidPrice {
                        line: line.id.clone(),
                        input: String::new(),
                        problem: "is missing".into(),
                    });
                }
            }
        }
        let total = line_totals
            .values()
            .try_fold(0i64, |acc, v| acc.checked_add(*v));
        if total.is_none() {
            errors.push(CompetitionError::invalid(
                "prices",
                "the total price is too large",
            ));
        }
        let total = total.unwrap_or(0);
        if complete && criteria.price.is_some() && errors.is_empty() && total <= 0 {
            errors.push(CompetitionError::invalid(
                "prices",
                "the total price must be more than £0.00",
            ));
        }
        for (i, a) in content.attachments.iter().enumerate() {
            let field = format!("attachments[{}]", i + 1);
            if a.file_name.trim().is_empty() {
                errors.push(CompetitionError::invalid(
                    field.clone(),
                    "the attachment has no file name",
                ));
            }
            if !is_sha256_hex(&a.sha256_hex) {
                errors.push(CompetitionError::invalid(
                    field,
                    format!(
                        "{}: '{}' is not a SHA-256 in lower-case hex",
                        a.file_name, a.sha256_hex
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidBid {
            lot: content.lot.clone(),
            answers: content.answers.clone(),
            unit_prices_pence: unit_prices,
            line_totals_pence: line_totals,
            total_price_pence: total,
            attachments: content.attachments.clone(),
        })
    }
}
