//! Evaluation: the team, their conflict-of-interest declarations, independent
//! scores, the moderator's consensus scores, and the ranking with its stated
//! tie-break rule.

use super::Competition;
use super::price::{Points, price_points, quality_points};
use crate::ids::{Email, OrgId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The tie-break rule every ranking states and applies.
pub const TIE_BREAK_RULE: &str = "Bids are ranked by total score, highest first. Where totals are equal, the bid with the higher quality score ranks higher; if those are equal too, the lower total price; then the earlier time of receipt; and only if all of these are equal, the bid reference in alphabetical order.";

/// The people who evaluate: evaluators score independently, the moderator
/// records the consensus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationTeam {
    /// The evaluators.
    pub evaluators: Vec<Email>,
    /// The moderator (not also an evaluator).
    pub moderator: Email,
    /// Who assigned them.
    pub assigned_by: Email,
    /// When.
    pub assigned_at: Timestamp,
}

/// What a team member declares before seeing bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Interest {
    /// No conflict of interest.
    NoConflict,
    /// A conflict: the member is excluded from the evaluation.
    Conflict {
        /// What it is.
        details: String,
    },
}

/// A team member's declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    /// Who declared.
    pub member: Email,
    /// What.
    pub interest: Interest,
    /// When.
    pub at: Timestamp,
}

/// One evaluator's score for one bid's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualScore {
    /// The evaluator.
    pub evaluator: Email,
    /// The bid.
    pub bid_id: String,
    /// The question.
    pub question_id: String,
    /// The score on the question's scale.
    pub score: u8,
    /// Why.
    pub reason: String,
    /// When recorded (a later score by the same evaluator replaces it).
    pub at: Timestamp,
}

/// The moderator's agreed score for one bid's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusScore {
    /// The bid.
    pub bid_id: String,
    /// The question.
    pub question_id: String,
    /// The score on the question's scale.
    pub score: u8,
    /// Why, as it will appear in the assessment summaries.
    pub reason: String,
    /// The moderator.
    pub moderator: Email,
    /// When.
    pub at: Timestamp,
}

/// Everything about the evaluation except the ranking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The team, once assigned.
    pub team: Option<EvaluationTeam>,
    /// Declarations, in order made; a member's latest one counts.
    pub declarations: Vec<Declaration>,
    /// Individual scores (one per evaluator × bid × question; re-scoring replaces).
    pub scores: Vec<IndividualScore>,
    /// When the moderator started moderation: from then, scores are final and
    /// visible across the team.
    pub moderation_started_at: Option<Timestamp>,
    /// Consensus scores (one per bid × question).
    pub consensus: Vec<ConsensusScore>,
}

impl Evaluation {
    /// Whether `who` is an evaluator or the moderator.
    pub fn is_member(&self, who: &Email) -> bool {
        self.team
            .as_ref()
            .is_some_and(|t| &t.moderator == who || t.evaluators.contains(who))
    }

    /// Whether `who` is an evaluator.
    pub fn is_evaluator(&self, who: &Email) -> bool {
        self.team
            .as_ref()
            .is_some_and(|t| t.evaluators.contains(who))
    }

    /// Whether `who` is the moderator.
    pub fn is_moderator(&self, who: &Email) -> bool {
        self.team.as_ref().is_some_and(|t| &t.moderator == who)
    }

    /// `who`'s latest declaration.
    pub fn declaration(&self, who: &Email) -> Option<&Declaration> {
        self.declarations.iter().rev().find(|d| &d.member == who)
    }

    /// Whether `who` is a member who has declared no conflict (and has not since
    /// declared one).
    pub fn is_cleared(&self, who: &Email) -> bool {
        self.is_member(who)
            && self
                .declaration(who)
                .is_some_and(|d| d.interest == Interest::NoConflict)
    }

    /// Whether `who` has declared a conflict, which excludes them.
    pub fn is_excluded(&self, who: &Email) -> bool {
        self.declaration(who)
            .is_some_and(|d| matches!(d.interest, Interest::Conflict { .. }))
    }

    /// The evaluators whose scores count: assigned and cleared.
    pub fn counting_evaluators(&self) -> Vec<&Email> {
        self.team
            .iter()
            .flat_map(|t| t.evaluators.iter())
            .filter(|e| self.is_cleared(e))
            .collect()
    }

    /// The individual scores that count: those of the counting evaluators.
    pub fn counting_scores(&self) -> impl Iterator<Item = &IndividualScore> {
        let counting = self.counting_evaluators();
        self.scores
            .iter()
            .filter(move |s| counting.contains(&&s.evaluator))
    }

    /// `evaluator`'s score for `bid_id` × `question_id`, if recorded.
    pub fn score(
        &self,
        evaluator: &Email,
        bid_id: &str,
        question_id: &str,
    ) -> Option<&IndividualScore> {
        self.scores.iter().find(|s| {
            &s.evaluator == evaluator && s.bid_id == bid_id && s.question_id == question_id
        })
    }

    /// The consensus score for `bid_id` × `question_id`, if recorded.
    pub fn consensus_for(&self, bid_id: &str, question_id: &str) -> Option<&ConsensusScore> {
        self.consensus
            .iter()
            .find(|s| s.bid_id == bid_id && s.question_id == question_id)
    }
}

/// One criterion's part of a bid's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionPoints {
    /// The question id, or `price`.
    pub criterion: String,
    /// The question's text, or `Price`.
    pub name: String,
    /// Its weight out of 100.
    pub weight: u32,
    /// The consensus score on the scale (quality criteria only).
    pub score: Option<u8>,
    /// The scale's maximum (quality criteria only).
    pub max: Option<u8>,
    /// The points earned.
    pub points: Points,
    /// The moderator's reason (quality), or how the price was scored.
    pub reason: String,
}

/// A bid's place in its lot's ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedBid {
    /// 1 for the best; ranks are distinct (the tie-break separates every tie).
    pub rank: u32,
    /// The bid.
    pub bid_id: String,
    /// Who bid.
    pub supplier: OrgId,
    /// The quality points (sum over the questions).
    pub quality: Points,
    /// The price points.
    pub price: Points,
    /// quality + price.
    pub total: Points,
    /// The bid's total price.
    pub total_price_pence: i64,
    /// When the bid was received.
    pub received_at: Timestamp,
    /// Each criterion's points.
    pub criteria: Vec<CriterionPoints>,
    /// Where this bid's total equals the one ranked above it: what separated them.
    pub tie_broken_by: Option<String>,
}

/// The ranking of one lot's bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    /// The lot; `None` for a competition without lots.
    pub lot: Option<String>,
    /// The tie-break rule applied, in words.
    pub tie_break: String,
    /// The bids, best first.
    pub bids: Vec<RankedBid>,
}

impl Ranking {
    /// The first-ranked bid.
    pub fn winner(&self) -> Option<&RankedBid> {
        self.bids.first()
    }

    /// The bid with this id.
    pub fn bid(&self, bid_id: &str) -> Option<&RankedBid> {
        self.bids.iter().find(|b| b.bid_id == bid_id)
    }
}

/// What decided the order of two bids, and how.
fn compare(a: &RankedBid, b: &RankedBid) -> (Ordering, &'static str) {
    let steps: [(Ordering, &'static str); 5] = [
        (b.total.cmp(&a.total), "total score"),
        (b.quality.cmp(&a.quality), "the higher quality score"),
        (
            a.total_price_pence.cmp(&b.total_price_pence),
            "the lower total price",
        ),
        (a.received_at.cmp(&b.received_at), "the earlier receipt"),
        (a.bid_id.cmp(&b.bid_id), "the bid reference"),
    ];
    steps
        .into_iter()
        .find(|(o, _)| o.is_ne())
        .unwrap_or((Ordering::Equal, "nothing: the same bid"))
}

/// Ranks bids best first by [`TIE_BREAK_RULE`], numbering them 1, 2, 3… and
/// saying where a tie was broken and by what. The input's order does not matter.
pub fn rank_bids(lot: Option<String>, mut bids: Vec<RankedBid>) -> Ranking {
    bids.sort_by(|a, b| compare(a, b).0);
    let mut ranked: Vec<RankedBid> = Vec::with_capacity(bids.len());
    for (i, mut bid) in bids.into_iter().enumerate() {
        bid.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
        bid.tie_broken_by = ranked.last().and_then(|above| {
            (above.total == bid.total).then(|| {
                format!(
                    "equal total with {}, ranked below it by {}",
                    above.bid_id,
                    compare(above, &bid).1
                )
            })
        });
        ranked.push(bid);
    }
    Ranking {
        lot,
        tie_break: TIE_BREAK_RULE.to_string(),
        bids: ranked,
    }
}

/// Scores and ranks every lot's bids from the consensus scores and the prices.
/// Lots are ranked in the order the competition lists them; a lot without bids
/// has an empty ranking.
pub(super) fn rank_competition(c: &Competition) -> Vec<Ranking> {
    let lots: Vec<Option<String>> = if c.content.lots.is_empty() {
        vec![None]
    } else {
        c.content.lots.iter().map(|l| Some(l.id.clone())).collect()
    };
    let criteria = &c.rules.criteria;
    lots.into_iter()
        .map(|lot| {
            let bids: Vec<_> = c.opening.bids.iter().filter(|b| b.lot == lot).collect();
            let lowest = bids.iter().map(|b| b.total_price_pence).min().unwrap_or(0);
            let scored = bids
                .iter()
                .map(|b| {
                    let mut lines: Vec<CriterionPoints> = criteria
                        .questions
                        .iter()
                        .map(|q| {
                            let consensus = c.evaluation.consensus_for(&b.bid_id, &q.id);
                            let score = consensus.map(|s| s.score).unwrap_or(q.scale.min);
                            CriterionPoints {
                                criterion: q.id.clone(),
                                name: q.text.clone(),
                                weight: q.weight,
                                score: Some(score),
                                max: Some(q.scale.max),
                                points: quality_points(score, &q.scale, q.weight),
                                reason: consensus.map(|s| s.reason.clone()).unwrap_or_default(),
                            }
                        })
                        .collect();
                    let quality: Points = lines.iter().map(|l| l.points).sum();
                    let price = match &criteria.price {
                        Some(p) => {
                            let points =
                                price_points(p.formula, p.weight, lowest, b.total_price_pence);
                            lines.push(CriterionPoints {
                                criterion: "price".into(),
                                name: "Price".into(),
                                weight: p.weight,
                                score: None,
                                max: None,
                                points,
                                reason: format!(
                                    "total price {} against the lowest {}: {}",
                                    super::pounds(b.total_price_pence),
                                    super::pounds(lowest),
                                    p.formula.label()
                                ),
                            });
                            points
                        }
                        None => Points(0),
                    };
                    RankedBid {
                        rank: 0,
                        bid_id: b.bid_id.clone(),
                        supplier: b.supplier.clone(),
                        quality,
                        price,
                        total: Points(quality.0 + price.0),
                        total_price_pence: b.total_price_pence,
                        received_at: b.received_at,
                        criteria: lines,
                        tie_broken_by: None,
                    }
                })
                .collect();
            rank_bids(lot, scored)
        })
        .collect()
}
