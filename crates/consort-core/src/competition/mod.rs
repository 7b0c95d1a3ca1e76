//! Competitions: the engine every route to market reuses. A call-off by further
//! competition under a framework, an award under a dynamic market or DPS, and a
//! standalone open or competitive flexible procedure are all a [`Competition`]
//! with different [`CompetitionRules`].
//!
//! A competition is a state machine:
//!
//! ```text
//! Draft → Published → DeadlinePassed → Opened → Evaluated → AwardDecided → Standstill → Awarded
//!            │ (questions, answers, amendments)                                   ↑ (or straight to
//!            │                                                                    │  Awarded when the
//!            └── Cancelled { reason } / Unsuccessful { reason } from any open state  rules have none)
//! ```
//!
//! [`decide`] checks a [`Command`] against the current state and the time `now`
//! and returns the [`Event`]s it causes, or a [`CompetitionError`] naming the field
//! and the reason; [`apply`] folds an event into the state. The store keeps the
//! competition as a JSON snapshot plus its event list; every type here is serde
//! with stable snake_case tags.
//!
//! Bids are not kept here: they are sealed and stored elsewhere. The competition
//! offers the checks the store makes around them ([`Competition::can_accept_bid`],
//! [`Competition::validate_bid`]), the canonical encoding whose SHA-256 a
//! [`Receipt`] reports, and takes the bids' summaries at opening.
//!
//! Pure: no I/O, no clock. Money is integer pence; scores are integer hundredths
//! of a point ([`Points`]).

mod award;
mod bid;
mod content;
mod criteria;
mod error;
mod evaluation;
pub mod ocds;
mod price;
mod rules;
mod state;
mod view;

pub use award::{
    AssessmentSummary, AwardDecision, AwardNotice, ContractDetails, LotDecision, Outcome,
};
pub use bid::{AttachmentMeta, BidContent, Receipt, ValidBid, canonical_bid_bytes, canonical_json};
pub use content::{DocumentRef, DraftContent, Lot, PriceLine};
pub use criteria::{AwardCriteria, PriceCriterion, PriceFormula, QualityQuestion, ScoringScale};
pub use error::CompetitionError;
pub use evaluation::{
    ConsensusScore, CriterionPoints, Declaration, Evaluation, EvaluationTeam, IndividualScore,
    Interest, RankedBid, Ranking, TIE_BREAK_RULE, rank_bids,
};
pub use price::{Points, price_points, quality_points};
pub use rules::{CompetitionRules, Eligibility, Procedure, RuleNote, Standstill};
pub use state::{
    Amendment, Audience, BidSummary, Clarification, ClarificationAnswer, Closure, Command,
    DEADLINE_REMINDER_BEFORE, Event, MinimumTendering, Notice, OpenerApproval, Opening,
    Publication, apply, decide,
};
pub use view::{
    ClarificationView, EvaluationStage, EvaluatorProgress, EventAudience, HistoryDetail,
    HistoryViewer, PublicCompetition, ScoresView, ScoresViewer,
};

use crate::calendar::{self, Period, PeriodResult, Regime};
use crate::ids::Email;
use crate::time::london;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a competition stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Being prepared by the buyer; suppliers see nothing.
    Draft,
    /// Open for questions and bids until the tender deadline.
    Published,
    /// The tender deadline has passed: no bids accepted or changed; awaiting opening.
    DeadlinePassed,
    /// Two openers have opened the bids; evaluation under way.
    Opened,
    /// Scores are final and the bids ranked.
    Evaluated,
    /// The buyer has decided the award; assessment summaries are ready.
    AwardDecided,
    /// The award notice is out and the standstill is running.
    Standstill,
    /// The contract(s) may be entered into. Final.
    Awarded,
    /// Stopped by the buyer. Final.
    Cancelled {
        /// Why, as told to bidders.
        reason: String,
    },
    /// Closed without an award (for example no bids, or none suitable). Final.
    Unsuccessful {
        /// Why, as told to bidders.
        reason: String,
    },
}

impl Status {
    /// The stable snake_case name used in errors, storage and URLs.
    pub fn id(&self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::DeadlinePassed => "deadline_passed",
            Status::Opened => "opened",
            Status::Evaluated => "evaluated",
            Status::AwardDecided => "award_decided",
            Status::Standstill => "standstill",
            Status::Awarded => "awarded",
            Status::Cancelled { .. } => "cancelled",
            Status::Unsuccessful { .. } => "unsuccessful",
        }
    }

    /// The status whose [`Status::id`] is `id`, or `None` for an unknown id.
    /// `reason` is kept by `cancelled` and `unsuccessful` (they carry why) and
    /// ignored by every other status.
    pub fn from_id(id: &str, reason: String) -> Option<Status> {
        Some(match id {
            "draft" => Status::Draft,
            "published" => Status::Published,
            "deadline_passed" => Status::DeadlinePassed,
            "opened" => Status::Opened,
            "evaluated" => Status::Evaluated,
            "award_decided" => Status::AwardDecided,
            "standstill" => Status::Standstill,
            "awarded" => Status::Awarded,
            "cancelled" => Status::Cancelled { reason },
            "unsuccessful" => Status::Unsuccessful { reason },
            _ => return None,
        })
    }

    /// The words shown to people.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Published => "Open for bids",
            Status::DeadlinePassed => "Tender deadline passed",
            Status::Opened => "Bids opened",
            Status::Evaluated => "Evaluated",
            Status::AwardDecided => "Award decided",
            Status::Standstill => "Standstill",
            Status::Awarded => "Awarded",
            Status::Cancelled { .. } => "Cancelled",
            Status::Unsuccessful { .. } => "Closed without award",
        }
    }

    /// Whether nothing more can happen: awarded, cancelled or unsuccessful.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Status::Awarded | Status::Cancelled { .. } | Status::Unsuccessful { .. }
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A competition: its rules, its content, where it stands, and everything that
/// has happened to it except the sealed bids themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Competition {
    /// The store's identifier; the OCDS ocid is a prefix plus this.
    pub id: String,
    /// The rules it runs under.
    pub rules: CompetitionRules,
    /// What the buyer wrote: title, lots, documents, price schedule, deadline.
    pub content: DraftContent,
    /// Where it stands.
    pub status: Status,
    /// When it was created.
    pub created_at: Timestamp,
    /// Who created it.
    pub created_by: Email,
    /// When and by whom it was published, with the legal minimum it was checked against.
    pub publication: Option<Publication>,
    /// Suppliers' questions and the buyer's answers.
    pub clarifications: Vec<Clarification>,
    /// Changes made after publication, in order.
    pub amendments: Vec<Amendment>,
    /// Openers' approvals and, once opened, the bids' summaries.
    pub opening: Opening,
    /// The evaluators, moderator, declarations and scores.
    pub evaluation: Evaluation,
    /// The ranking of each lot's bids, once evaluated.
    pub rankings: Vec<Ranking>,
    /// The award decision and assessment summaries.
    pub award: Option<AwardDecision>,
    /// The award notice and the standstill it started, if any.
    pub notice: Option<AwardNotice>,
    /// One contract per buyer per awarded lot, once awarded.
    pub contracts: Vec<ContractDetails>,
    /// How it was closed, if cancelled or unsuccessful.
    pub closure: Option<Closure>,
}

impl Competition {
    /// The tender deadline, if set.
    pub fn deadline(&self) -> Option<Timestamp> {
        self.content.tender_deadline
    }

    /// The next instant at which a [`Command::Tick`] has something to do: the
    /// tender deadline while published, the end of the standstill while it runs.
    pub fn next_due(&self) -> Option<Timestamp> {
        match self.status {
            Status::Published => self.deadline(),
            Status::Standstill => self
                .notice
                .as_ref()
                .and_then(|n| n.standstill.as_ref())
                .map(|s| s.ends_at),
            _ => None,
        }
    }

    /// Every buyer: the lead buyer then any joint buyers.
    pub fn buyers(&self) -> Vec<&crate::ids::OrgId> {
        std::iter::once(&self.content.buyer)
            .chain(self.content.joint_buyers.iter())
            .collect()
    }

    /// Whether `actor` holds the opener role at one of the buyers: what the store
    /// passes as [`Command::OpenBids`]'s `holds_opener_role`.
    pub fn is_authorised_opener(&self, actor: &crate::policy::Actor) -> bool {
        self.buyers()
            .into_iter()
            .any(|b| actor.has_role_at(crate::org::Role::Opener, b))
    }

    /// The bids' summaries taken at opening (empty before).
    pub fn bids(&self) -> &[BidSummary] {
        &self.opening.bids
    }
}

/// A statutory period as computed by the legal clock, kept for display: when it
/// ends, why, on what law and with what confidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalPeriod {
    /// The regime.
    #[serde(with = "serde_regime")]
    pub regime: Regime,
    /// The period.
    #[serde(with = "serde_period")]
    pub period: Period,
    /// The day of the triggering event.
    pub from: Date,
    /// The last day of the period.
    pub last_day: Date,
    /// Midnight at the end of the last day, in London.
    pub ends_at: Timestamp,
    /// Why, line by line, as the clock explains it.
    pub reasons: Vec<String>,
    /// The facts relied on.
    pub citations: Vec<CitationRecord>,
    /// The weakest confidence among them (`verified-from-text`, …).
    pub confidence: String,
}

/// One fact a period rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitationRecord {
    /// The fact's id in the rules data.
    pub id: String,
    /// The section or regulation.
    pub source: String,
    /// How far the data has checked it.
    pub confidence: String,
}

impl LegalPeriod {
    /// Keeps what the clock computed.
    pub fn from_result(r: &PeriodResult) -> LegalPeriod {
        LegalPeriod {
            regime: r.regime,
            period: r.period,
            from: r.from,
            last_day: r.last_day,
            ends_at: r.deadline.timestamp(),
            reasons: r.reasons.iter().map(|x| x.text.clone()).collect(),
            citations: r
                .citations
                .iter()
                .map(|c| CitationRecord {
                    id: c.id.clone(),
                    source: c.source.clone(),
                    confidence: c.confidence.as_str().to_string(),
                })
                .collect(),
            confidence: r.confidence.as_str().to_string(),
        }
    }

    /// The main rule, e.g. `PA 2023 s.54(4) table row 7 (fact pa23.s54.tendering.e_all_docs)`.
    pub fn citation(&self) -> String {
        self.citations
            .first()
            .map(|c| format!("{} (fact {})", calendar::short_citation(&c.source), c.id))
            .unwrap_or_default()
    }
}

/// An instant as people in England and Wales read it: RFC 3339 with the London
/// offset, e.g. `2027-01-02T00:00:00+00:00`.
pub fn london_text(at: &Timestamp) -> String {
    calendar::rfc3339(&at.to_zoned_datetime(london()))
}

/// The whole pounds and pence of an amount, e.g. `£1,234.50`.
pub fn pounds(pence: i64) -> String {
    let whole = crate::register::Pence(pence).display();
    if pence % 100 == 0 {
        format!("{whole}.00")
    } else {
        whole
    }
}

/// Serde for [`Regime`] as its command-line id (`pa2023`, `pcr2015`).
mod serde_regime {
    use crate::calendar::Regime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(regime: &Regime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(regime.id())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Regime, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde for [`Period`] as its command-line id (`tendering`, `standstill`, …).
mod serde_period {
    use crate::calendar::Period;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(period: &Period, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(period.id())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde for an optional [`Period`].
mod serde_period_opt {
    use crate::calendar::Period;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(period: &Option<Period>, s: S) -> Result<S::Ok, S::Error> {
        match period {
            Some(p) => s.serialize_some(p.id()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Period>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}
