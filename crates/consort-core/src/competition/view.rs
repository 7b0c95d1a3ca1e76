//! What each person may see of a competition. Pages and API responses are built
//! from these views only, so the isolation rules live in one place:
//!
//! - suppliers see a published competition only if they may bid, and see their
//!   own questions plus the published answers to everyone's, never who asked;
//! - evaluators see bids only after the opening and after declaring no conflict;
//!   before moderation each evaluator sees only their own scores, the moderator
//!   and the buyer only who has finished;
//! - a supplier sees its own assessment summary once the award notice is out;
//! - a competition's history shows suppliers the public events only and never
//!   who caused them, the team and openers the opening too, the buyer everything.

use super::award::AssessmentSummary;
use super::content::{DocumentRef, Lot, PriceLine};
use super::criteria::AwardCriteria;
use super::error::CompetitionError;
use super::evaluation::{ConsensusScore, IndividualScore};
use super::state::Event;
use super::{Competition, Status};
use crate::ids::{Email, OrgId};
use jiff::Timestamp;
use serde::Serialize;

/// A clarification as a supplier (or the public) sees it: never who asked,
/// except that the asker is told the question is theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClarificationView {
    /// The question's number.
    pub number: u32,
    /// The question.
    pub question: String,
    /// The answer, once published.
    pub answer: Option<String>,
    /// When the answer was published.
    pub answered_at: Option<Timestamp>,
    /// Whether the viewing supplier asked it.
    pub asked_by_you: bool,
}

/// A competition as suppliers and the public see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicCompetition {
    /// The id.
    pub id: String,
    /// The title.
    pub title: String,
    /// The description.
    pub description: String,
    /// The lead buyer.
    pub buyer: OrgId,
    /// Joint buyers.
    pub joint_buyers: Vec<OrgId>,
    /// The procedure's name.
    pub procedure: String,
    /// The regime's name.
    pub regime: String,
    /// The state, in words.
    pub status: String,
    /// The lots.
    pub lots: Vec<Lot>,
    /// The documents.
    pub documents: Vec<DocumentRef>,
    /// The award criteria.
    pub criteria: AwardCriteria,
    /// The price formula as published, if price is scored.
    pub price_formula: Option<String>,
    /// The price schedule.
    pub price_schedule: Vec<PriceLine>,
    /// The tender deadline.
    pub tender_deadline: Option<Timestamp>,
    /// When it was published.
    pub published_at: Option<Timestamp>,
    /// How many amendments have been made.
    pub amendments: usize,
}

/// The scores a person may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScoresView {
    /// Individual evaluators' scores visible to them.
    pub individual: Vec<IndividualScore>,
    /// Consensus scores visible to them.
    pub consensus: Vec<ConsensusScore>,
}

/// Who is asking to see scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoresViewer<'a> {
    /// A person who may be on the evaluation team.
    Person(&'a Email),
    /// A buyer of the competition (the store has checked the role).
    Buyer,
}

/// How far an evaluator has got, without revealing any score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluatorProgress {
    /// The evaluator.
    pub evaluator: Email,
    /// Whether they have declared their interests.
    pub declared: bool,
    /// Whether they declared a conflict (and so are excluded).
    pub excluded: bool,
    /// Answers scored.
    pub scored: usize,
    /// Answers to score: bids × questions.
    pub to_score: usize,
}

/// Who may know that an event in a competition's history happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventAudience {
    /// Everyone who may see the published competition (never told who caused it).
    Public,
    /// The evaluation team and the openers, who are told who caused it, and the buyer.
    Insiders,
    /// The buyer only.
    Buyer,
}

/// Who is looking at a competition's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryViewer {
    /// A buyer of the competition (the store has checked the role).
    Buyer,
    /// A member of the evaluation team or an opener at a buyer.
    Insider,
    /// A supplier or anyone else who may see the published competition.
    Public,
}

/// How much of one event a viewer sees in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryDetail {
    /// Not shown at all.
    Hidden,
    /// That it happened and when, not who caused it.
    Anonymous,
    /// That it happened, when, and who caused it.
    WithActor,
}

impl Event {
    /// Who may know this event happened. Every event kind is listed, so a new
    /// kind must be given an audience before it compiles.
    pub fn audience(&self) -> EventAudience {
        match self {
            Event::Published { .. }
            | Event::QuestionAnswered { .. }
            | Event::Amended { .. }
            | Event::DeadlinePassed { .. }
            | Event::Opened { .. }
            | Event::AwardNoticeIssued { .. }
            | Event::StandstillEnded { .. }
            | Event::Awarded { .. }
            | Event::Cancelled { .. }
            | Event::ClosedUnsuccessful { .. } => EventAudience::Public,
            Event::OpenerApproved { .. } => EventAudience::Insiders,
            Event::Created { .. }
            | Event::DraftRevised { .. }
            | Event::RulesSet { .. }
            | Event::EvaluatorsAssigned { .. }
            | Event::QuestionAsked { .. }
            | Event::InterestDeclared { .. }
            | Event::ScoreRecorded { .. }
            | Event::ModerationStarted { .. }
            | Event::ConsensusRecorded { .. }
            | Event::Evaluated { .. }
            | Event::AwardDecided { .. } => EventAudience::Buyer,
        }
    }

    /// How much of this event `viewer` sees in the competition's history: the
    /// buyer everything with who caused it; insiders the public events without
    /// who, and the insiders' events with who; the public the public events
    /// without who.
    pub fn history_detail(&self, viewer: HistoryViewer) -> HistoryDetail {
        match (viewer, self.audience()) {
            (HistoryViewer::Buyer, _) => HistoryDetail::WithActor,
            (HistoryViewer::Insider, EventAudience::Insiders) => HistoryDetail::WithActor,
            (HistoryViewer::Insider | HistoryViewer::Public, EventAudience::Public) => {
                HistoryDetail::Anonymous
            }
            (HistoryViewer::Insider, EventAudience::Buyer)
            | (HistoryViewer::Public, EventAudience::Insiders | EventAudience::Buyer) => {
                HistoryDetail::Hidden
            }
        }
    }
}

/// Where a member of the evaluation team stands, and so what their evaluation
/// page may show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluationStage {
    /// They have not yet declared their interests.
    Declare,
    /// They declared a conflict of interest and take no part.
    Excluded,
    /// The competition was cancelled or closed without award.
    Closed,
    /// Cleared, waiting for the bids to be opened.
    Waiting,
    /// The bids are open to them.
    Scoring,
}

impl EvaluationStage {
    /// The stable snake_case name, for pages and templates.
    pub fn id(self) -> &'static str {
        match self {
            EvaluationStage::Declare => "declare",
            EvaluationStage::Excluded => "excluded",
            EvaluationStage::Closed => "closed",
            EvaluationStage::Waiting => "waiting",
            EvaluationStage::Scoring => "scoring",
        }
    }
}

impl Competition {
    /// Whether `supplier` may see the competition, download its documents, ask
    /// questions and bid: published (or later) and eligible.
    pub fn visible_to_supplier(&self, supplier: &OrgId) -> bool {
        self.status != Status::Draft && self.rules.eligibility.admits(supplier)
    }

    /// What suppliers and the public see; `None` while a draft.
    pub fn public_view(&self) -> Option<PublicCompetition> {
        if self.status == Status::Draft {
            return None;
        }
        Some(PublicCompetition {
            id: self.id.clone(),
            title: self.content.title.clone(),
            description: self.content.description.clone(),
            buyer: self.content.buyer.clone(),
            joint_buyers: self.content.joint_buyers.clone(),
            procedure: self.rules.procedure.label(self.rules.regime).to_string(),
            regime: self.rules.regime.name().to_string(),
            status: self.status.label().to_string(),
            lots: self.content.lots.clone(),
            documents: self.content.documents.clone(),
            criteria: self.rules.criteria.clone(),
            price_formula: self
                .rules
                .criteria
                .price
                .as_ref()
                .map(|p| p.formula.text(p.weight)),
            price_schedule: self.content.price_schedule.clone(),
            tender_deadline: self.deadline(),
            published_at: self.publication.as_ref().map(|p| p.at),
            amendments: self.amendments.len(),
        })
    }

    /// The answered questions, as published to everyone: no asker.
    pub fn published_answers(&self) -> Vec<ClarificationView> {
        self.clarifications_for(None)
    }

    /// What `supplier` sees of the clarifications: its own questions (answered or
    /// not) and every published answer, never who asked the others.
    pub fn clarifications_for_supplier(&self, supplier: &OrgId) -> Vec<ClarificationView> {
        if !self.visible_to_supplier(supplier) {
            return Vec::new();
        }
        self.clarifications_for(Some(supplier))
    }

    fn clarifications_for(&self, supplier: Option<&OrgId>) -> Vec<ClarificationView> {
        self.clarifications
            .iter()
            .filter_map(|q| {
                let own = supplier == Some(&q.supplier);
                (own || q.answer.is_some()).then(|| ClarificationView {
                    number: q.number,
                    question: q.question.clone(),
                    answer: q.answer.as_ref().map(|a| a.text.clone()),
                    answered_at: q.answer.as_ref().map(|a| a.at),
                    asked_by_you: own,
                })
            })
            .collect()
    }

    /// Why `user` may not see the bids, or `Ok` if they may: the bids are open,
    /// the competition is not closed, and `user` is on the evaluation team and has
    /// declared no conflict of interest.
    pub fn check_may_view_bids(&self, user: &Email) -> Result<(), CompetitionError> {
        let denied = |reason: &str| CompetitionError::NotAuthorised {
            who: user.to_string(),
            action: "see the bids",
            reason: reason.to_string(),
        };
        if self.opening.opened_at.is_none() {
            return Err(denied("the bids have not been opened"));
        }
        if matches!(
            self.status,
            Status::Cancelled { .. } | Status::Unsuccessful { .. }
        ) {
            return Err(denied("the competition is closed"));
        }
        if !self.evaluation.is_member(user) {
            return Err(denied("they are not on the evaluation team"));
        }
        if self.evaluation.is_excluded(user) {
            return Err(denied("they declared a conflict of interest"));
        }
        if !self.evaluation.is_cleared(user) {
            return Err(denied(
                "they must first declare whether they have a conflict of interest",
            ));
        }
        Ok(())
    }

    /// Where `member` of the evaluation team stands: declare first; then excluded
    /// by a conflict, or closed with the competition, or waiting for the opening,
    /// or scoring.
    pub fn evaluation_stage(&self, member: &Email) -> EvaluationStage {
        if self.evaluation.declaration(member).is_none() {
            EvaluationStage::Declare
        } else if self.evaluation.is_excluded(member) {
            EvaluationStage::Excluded
        } else if matches!(
            self.status,
            Status::Cancelled { .. } | Status::Unsuccessful { .. }
        ) {
            EvaluationStage::Closed
        } else if self.opening.opened_at.is_none() {
            EvaluationStage::Waiting
        } else {
            EvaluationStage::Scoring
        }
    }

    /// Whether `user` may see the bids ([`Competition::check_may_view_bids`]).
    pub fn may_view_bids(&self, user: &Email) -> bool {
        self.check_may_view_bids(user).is_ok()
    }

    /// The scores `viewer` may see. Before moderation starts an evaluator sees
    /// only their own scores and nobody else sees any; from then on the cleared
    /// team and the buyer see every score that counts and the consensus.
    pub fn scores_visible_to(&self, viewer: ScoresViewer<'_>) -> ScoresView {
        let moderating = self.evaluation.moderation_started_at.is_some();
        match viewer {
            ScoresViewer::Buyer if moderating => ScoresView {
                individual: self.evaluation.counting_scores().cloned().collect(),
                consensus: self.evaluation.consensus.clone(),
            },
            ScoresViewer::Buyer => ScoresView::default(),
            ScoresViewer::Person(user) => {
                if !self.may_view_bids(user) {
                    return ScoresView::default();
                }
                if moderating {
                    ScoresView {
                        individual: self.evaluation.counting_scores().cloned().collect(),
                        consensus: self.evaluation.consensus.clone(),
                    }
                } else {
                    ScoresView {
                        individual: self
                            .evaluation
                            .scores
                            .iter()
                            .filter(|s| &s.evaluator == user)
                            .cloned()
                            .collect(),
                        consensus: Vec::new(),
                    }
                }
            }
        }
    }

    /// Each evaluator's progress, for the buyer and moderator: counts only.
    pub fn evaluation_progress(&self) -> Vec<EvaluatorProgress> {
        let questions = &self.rules.criteria.questions;
        let to_score = self.opening.bids.len() * questions.len();
        self.evaluation
            .team
            .iter()
            .flat_map(|t| t.evaluators.iter())
            .map(|e| EvaluatorProgress {
                evaluator: e.clone(),
                declared: self.evaluation.declaration(e).is_some(),
                excluded: self.evaluation.is_excluded(e),
                scored: self
                    .opening
                    .bids
                    .iter()
                    .flat_map(|b| questions.iter().map(move |q| (b, q)))
                    .filter(|(b, q)| self.evaluation.score(e, &b.bid_id, &q.id).is_some())
                    .count(),
                to_score,
            })
            .collect()
    }

    /// `supplier`'s assessment summaries, once the award notice is out.
    pub fn assessment_summaries_for(&self, supplier: &OrgId) -> Vec<&AssessmentSummary> {
        if self.notice.is_none() {
            return Vec::new();
        }
        self.award
            .iter()
            .flat_map(|a| a.summaries.iter())
            .filter(|s| &s.supplier == supplier)
            .collect()
    }
}
