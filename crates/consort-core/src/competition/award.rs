//! The award: the buyer's decision per lot, an assessment summary for every
//! bidder, the award notice with its standstill, and the contracts that follow.

use super::LegalPeriod;
use super::evaluation::{CriterionPoints, Ranking};
use super::price::Points;
use crate::ids::{Email, OrgId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The buyer's decision for one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotDecision {
    /// The lot; `None` for a competition without lots.
    pub lot: Option<String>,
    /// The winning bid.
    pub winner: String,
    /// Why the winner is not the first-ranked bid, if it is not (required then).
    pub departure_reason: Option<String>,
    /// In a joint competition, each buyer's share of the winning price in pence
    /// (one contract per buyer); they must add up to the winning bid's total.
    /// Empty for a single buyer, whose contract is the whole price.
    pub buyer_values: BTreeMap<OrgId, i64>,
}

/// Whether a bidder won.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Their bid is to be awarded the contract.
    Successful,
    /// It is not.
    Unsuccessful,
}

/// What a bidder is told: their scores and the winner's, criterion by criterion,
/// with reasons (PA 2023 s.50(3)-(5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentSummary {
    /// The bid.
    pub bid_id: String,
    /// The bidder.
    pub supplier: OrgId,
    /// The lot.
    pub lot: Option<String>,
    /// Whether they won.
    pub outcome: Outcome,
    /// Their rank.
    pub rank: u32,
    /// How many bids were ranked in the lot.
    pub of: u32,
    /// Their points per criterion, with the moderator's reasons.
    pub own: Vec<CriterionPoints>,
    /// Their total.
    pub own_total: Points,
    /// The winning bidder.
    pub winner_supplier: OrgId,
    /// The winner's points per criterion, with reasons.
    pub winner: Vec<CriterionPoints>,
    /// The winner's total.
    pub winner_total: Points,
    /// The buyer's reason for this bidder's outcome.
    pub reason: String,
}

/// The award decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardDecision {
    /// Who decided.
    pub by: Email,
    /// When.
    pub at: Timestamp,
    /// Per lot.
    pub decisions: Vec<LotDecision>,
    /// One per bidder per decided lot.
    pub summaries: Vec<AssessmentSummary>,
}

/// The award notice and the standstill it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardNotice {
    /// Who issued it.
    pub by: Email,
    /// When it was issued (the day the standstill counts from).
    pub at: Timestamp,
    /// The standstill, where the rules have one: its end, reasons and citations.
    pub standstill: Option<LegalPeriod>,
}

/// A contract to enter into the contracts register: one per buyer per lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractDetails {
    /// An id unique in the competition, e.g. `C1`.
    pub id: String,
    /// The award it comes from (the lot's award id, e.g. `A1`).
    pub award_id: String,
    /// The buyer that holds it.
    pub buyer: OrgId,
    /// The supplier.
    pub supplier: OrgId,
    /// The lot.
    pub lot: Option<String>,
    /// The winning bid.
    pub bid_id: String,
    /// The contract's title.
    pub title: String,
    /// Its value in pence.
    pub value_pence: i64,
    /// When it starts, if known.
    pub start: Option<Date>,
    /// When it ends, if known.
    pub end: Option<Date>,
}

/// The award id of the `index`th lot decision (0-based): `A1`, `A2`, …
pub(super) fn award_id(index: usize) -> String {
    format!("A{}", index + 1)
}

/// The assessment summaries for one lot's decision.
pub(super) fn summaries(
    ranking: &Ranking,
    decision: &LotDecision,
    reasons: &BTreeMap<String, String>,
) -> Vec<AssessmentSummary> {
    let Some(winner) = ranking.bid(&decision.winner) else {
        return Vec::new();
    };
    let of = u32::try_from(ranking.bids.len()).unwrap_or(u32::MAX);
    ranking
        .bids
        .iter()
        .map(|b| AssessmentSummary {
            bid_id: b.bid_id.clone(),
            supplier: b.supplier.clone(),
            lot: ranking.lot.clone(),
            outcome: if b.bid_id == winner.bid_id {
                Outcome::Successful
            } else {
                Outcome::Unsuccessful
            },
            rank: b.rank,
            of,
            own: b.criteria.clone(),
            own_total: b.total,
            winner_supplier: winner.supplier.clone(),
            winner: winner.criteria.clone(),
            winner_total: winner.total,
            reason: reasons.get(&b.bid_id).cloned().unwrap_or_default(),
        })
        .collect()
}
