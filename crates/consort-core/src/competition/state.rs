//! Commands, events, [`decide`] and [`apply`]: the competition's state machine.
//!
//! Every command is checked against the state and `now`; the events it causes
//! carry everything the store needs to remember the change, audit it, send its
//! notifications and publish its open data. A competition still `published` when
//! `now` is past its deadline is treated as past the deadline: the command's events
//! then begin with [`Event::DeadlinePassed`], so nothing depends on the scheduler
//! having run first.

use super::award::{self, AwardDecision, AwardNotice, ContractDetails, LotDecision, Outcome};
use super::content::{DocumentRef, DraftContent};
use super::error::CompetitionError;
use super::evaluation::{
    ConsensusScore, Declaration, EvaluationTeam, IndividualScore, Interest, Ranking,
    rank_competition,
};
use super::rules::CompetitionRules;
use super::{Competition, LegalPeriod, Status, london_text, pounds};
use crate::calendar::{self, Period, Regime};
use crate::ids::{Email, OrgId};
use crate::time::{london, london_date};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The longest question or answer, in characters.
const MAX_TEXT: usize = 10_000;

/// A bid as the store reports it at opening: no contents, just what evaluation
/// and award need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidSummary {
    /// The bid's id in the store.
    pub bid_id: String,
    /// Who bid.
    pub supplier: OrgId,
    /// The lot bid for.
    pub lot: Option<String>,
    /// The bid's total price in pence ([`super::ValidBid::total_price_pence`]).
    pub total_price_pence: i64,
    /// When its latest version was received.
    pub received_at: Timestamp,
}

/// Publication: when, by whom, and the legal minimum the deadline was checked
/// against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// Who published.
    pub by: Email,
    /// When.
    pub at: Timestamp,
    /// The tender deadline at publication.
    pub original_deadline: Timestamp,
    /// The minimum tendering period from publication, if the law sets one.
    pub minimum_period: Option<LegalPeriod>,
    /// The earliest deadline that period allows.
    pub earliest_lawful_deadline: Option<Timestamp>,
}

/// A supplier's clarification question and, once given, the answer published to all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clarification {
    /// 1, 2, 3… in the order asked.
    pub number: u32,
    /// The supplier that asked (never shown to other suppliers).
    pub supplier: OrgId,
    /// The person who asked.
    pub asked_by: Email,
    /// When.
    pub asked_at: Timestamp,
    /// The question.
    pub question: String,
    /// The answer, once published.
    pub answer: Option<ClarificationAnswer>,
}

/// The buyer's answer to a clarification question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClarificationAnswer {
    /// The answer.
    pub text: String,
    /// Who answered.
    pub by: Email,
    /// When it was published.
    pub at: Timestamp,
}

/// A change after publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// 1, 2, 3…
    pub number: u32,
    /// Who made it.
    pub by: Email,
    /// When.
    pub at: Timestamp,
    /// What changed and why, as bidders are told.
    pub summary: String,
    /// The deadline before.
    pub previous_deadline: Timestamp,
    /// The deadline after (the same if not extended).
    pub new_deadline: Timestamp,
    /// Documents added.
    pub added_documents: Vec<DocumentRef>,
    /// Documents withdrawn, by SHA-256.
    pub removed_documents: Vec<String>,
}

/// One opener's approval to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenerApproval {
    /// Who.
    pub opener: Email,
    /// When.
    pub at: Timestamp,
}

/// The opening: approvals so far, and once two distinct openers have acted, the
/// time and the bids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// Approvals in order (at most two).
    pub approvals: Vec<OpenerApproval>,
    /// When the bids were opened.
    pub opened_at: Option<Timestamp>,
    /// The bids opened (possibly none).
    pub bids: Vec<BidSummary>,
}

/// How a competition was closed without award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// Who closed it.
    pub by: Email,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
    /// The state it was in.
    pub from_state: String,
}

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Audience {
    /// The invited suppliers, plus every supplier the store knows has taken an
    /// interest (downloaded documents, asked a question, started a bid). For an
    /// open competition `invited` is empty.
    InvitedAndInterested {
        /// The invited suppliers.
        invited: Vec<OrgId>,
    },
    /// The suppliers whose bids were opened.
    Bidders {
        /// Those suppliers, each once.
        suppliers: Vec<OrgId>,
    },
    /// One supplier.
    Supplier {
        /// The supplier.
        supplier: OrgId,
    },
}

/// A notification the store turns into emails (via its outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Who it is for.
    pub audience: Audience,
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// What someone asks a competition to do. The store checks the person's role at
/// the buying organisation (policy) before deciding; the competition checks what
/// depends on the person's identity (evaluator, moderator, opener).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Replace the draft's content.
    ReviseDraft {
        /// The buyer.
        by: Email,
        /// The new content.
        content: DraftContent,
    },
    /// Replace the draft's rules (procedure, eligibility, criteria…).
    SetRules {
        /// The buyer.
        by: Email,
        /// The new rules.
        rules: CompetitionRules,
    },
    /// Assign the evaluators and the moderator (until moderation starts).
    AssignEvaluators {
        /// The buyer.
        by: Email,
        /// The evaluators.
        evaluators: Vec<Email>,
        /// The moderator.
        moderator: Email,
    },
    /// Publish: suppliers may then see it, ask and bid.
    Publish {
        /// The buyer.
        by: Email,
    },
    /// A supplier asks a clarification question.
    AskQuestion {
        /// The supplier.
        supplier: OrgId,
        /// The person asking.
        asked_by: Email,
        /// The question.
        question: String,
    },
    /// The buyer answers a question; the answer goes to everyone, the asker anonymised.
    AnswerQuestion {
        /// The buyer.
        by: Email,
        /// The question's number.
        number: u32,
        /// The answer.
        answer: String,
    },
    /// Amend the published competition: documents, and/or a deadline extension.
    Amend {
        /// The buyer.
        by: Email,
        /// What changed and why, as bidders are told.
        summary: String,
        /// A later deadline, if extended.
        new_deadline: Option<Timestamp>,
        /// Documents to add.
        add_documents: Vec<DocumentRef>,
        /// Documents to withdraw, by SHA-256.
        remove_documents: Vec<String>,
    },
    /// The scheduler's nudge at `now`: passes the deadline or ends the standstill
    /// when due; does nothing otherwise.
    Tick,
    /// An opener approves the opening. The second distinct opener opens the bids.
    OpenBids {
        /// The opener.
        opener: Email,
        /// Whether they hold the opener role at a buyer
        /// ([`Competition::is_authorised_opener`]).
        holds_opener_role: bool,
        /// The bids the store holds (used when the opening completes).
        bids: Vec<BidSummary>,
    },
    /// An evaluator or the moderator declares their interests.
    DeclareInterest {
        /// The team member.
        member: Email,
        /// What they declare.
        interest: Interest,
    },
    /// An evaluator scores one bid's answer to one question.
    RecordScore {
        /// The evaluator.
        evaluator: Email,
        /// The bid.
        bid_id: String,
        /// The question.
        question_id: String,
        /// The score.
        score: u8,
        /// Why.
        reason: String,
    },
    /// The moderator starts moderation once every evaluator has scored everything.
    StartModeration {
        /// The moderator.
        by: Email,
    },
    /// The moderator records the consensus score for one bid × question.
    RecordConsensus {
        /// The moderator.
        moderator: Email,
        /// The bid.
        bid_id: String,
        /// The question.
        question_id: String,
        /// The score.
        score: u8,
        /// Why.
        reason: String,
    },
    /// Scores are final: price is scored and the bids ranked.
    CompleteEvaluation {
        /// The moderator (or the buyer when price is the only criterion).
        by: Email,
    },
    /// The buyer decides the award per lot, with a reason for every bidder.
    DecideAward {
        /// The buyer.
        by: Email,
        /// One per lot with bids.
        decisions: Vec<LotDecision>,
        /// Reasons by bid id, one for every ranked bid.
        reasons: BTreeMap<String, String>,
    },
    /// Issue the award notice (and letters): the standstill starts, or the award
    /// takes effect where there is none.
    IssueAwardNotice {
        /// The buyer.
        by: Email,
    },
    /// Cancel.
    Cancel {
        /// The buyer.
        by: Email,
        /// Why.
        reason: String,
    },
    /// Close without award.
    CloseUnsuccessful {
        /// The buyer.
        by: Email,
        /// Why.
        reason: String,
    },
}

/// What happened. Applied in order, events rebuild the competition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The draft was created.
    Created {
        /// The competition's id.
        id: String,
        /// Its rules.
        rules: CompetitionRules,
        /// Its content.
        content: DraftContent,
        /// Who.
        by: Email,
        /// When.
        at: Timestamp,
    },
    /// The draft's content was replaced.
    DraftRevised {
        /// Who.
        by: Email,
        /// When.
        at: Timestamp,
        /// The new content.
        content: DraftContent,
    },
    /// The draft's rules were replaced.
    RulesSet {
        /// Who.
        by: Email,
        /// When.
        at: Timestamp,
        /// The new rules.
        rules: CompetitionRules,
    },
    /// The evaluation team was assigned.
    EvaluatorsAssigned {
        /// Who.
        by: Email,
        /// When.
        at: Timestamp,
        /// The evaluators.
        evaluators: Vec<Email>,
        /// The moderator.
        moderator: Email,
    },
    /// Published.
    Published {
        /// Who.
        by: Email,
        /// When.
        at: Timestamp,
        /// The tender deadline.
        deadline: Timestamp,
        /// The minimum tendering period from publication, if any.
        minimum_period: Option<LegalPeriod>,
        /// The earliest lawful deadline, if the law sets a minimum.
        earliest_lawful_deadline: Option<Timestamp>,
        /// The invitation.
        notice: Notice,
    },
    /// A supplier asked a question.
    QuestionAsked {
        /// Its number.
        number: u32,
        /// The supplier.
        supplier: OrgId,
        /// The person.
        asked_by: Email,
        /// When.
        at: Timestamp,
        /// The question.
        question: String,
    },
    /// The buyer answered; the answer is published to all, the asker anonymised.
    QuestionAnswered {
        /// The question's number.
        number: u32,
        /// Who answered.
        by: Email,
        /// When.
        at: Timestamp,
        /// The question (without the asker).
        question: String,
        /// The answer.
        answer: String,
        /// The notification to everyone interested.
        notice: Notice,
    },
    /// The competition was amended.
    Amended {
        /// The amendment as recorded.
        amendment: Amendment,
        /// The notification to everyone interested.
        notice: Notice,
    },
    /// The tender deadline passed.
    DeadlinePassed {
        /// The deadline.
        deadline: Timestamp,
        /// When this was noticed.
        at: Timestamp,
    },
    /// An opener approved the opening.
    OpenerApproved {
        /// Who.
        opener: Email,
        /// When.
        at: Timestamp,
    },
    /// Two distinct openers have acted: the bids are open.
    Opened {
        /// Both openers, first then second.
        openers: Vec<Email>,
        /// When.
        at: Timestamp,
        /// The bids opened.
        bids: Vec<BidSummary>,
    },
    /// A team member declared their interests.
    InterestDeclared {
        /// The declaration.
        declaration: Declaration,
    },
    /// An evaluator recorded (or replaced) a score.
    ScoreRecorded {
        /// The score.
        score: IndividualScore,
    },
    /// Moderation started: individual scores are final and visible to the team.
    ModerationStarted {
        /// The moderator.
        by: Email,
        /// When.
        at: Timestamp,
    },
    /// The moderator recorded (or replaced) a consensus score.
    ConsensusRecorded {
        /// The score.
        score: ConsensusScore,
    },
    /// Evaluation complete: the rankings.
    Evaluated {
        /// Who completed it.
        by: Email,
        /// When.
        at: Timestamp,
        /// One ranking per lot.
        rankings: Vec<Ranking>,
    },
    /// The award decision, with every bidder's assessment summary.
    AwardDecided {
        /// The decision.
        decision: AwardDecision,
    },
    /// The award notice was issued (with a letter to each bidder).
    AwardNoticeIssued {
        /// The notice and any standstill.
        notice: AwardNotice,
        /// One letter per bidder.
        letters: Vec<Notice>,
    },
    /// The standstill ended.
    StandstillEnded {
        /// When it ended.
        ended: Timestamp,
        /// When this was noticed.
        at: Timestamp,
    },
    /// Awarded: the contracts may be entered into and registered.
    Awarded {
        /// When.
        at: Timestamp,
        /// One per buyer per awarded lot.
        contracts: Vec<ContractDetails>,
    },
    /// Cancelled.
    Cancelled {
        /// How.
        closure: Closure,
        /// The notification, if anyone outside the buyer knew of it.
        notice: Option<Notice>,
    },
    /// Closed without award.
    ClosedUnsuccessful {
        /// How.
        closure: Closure,
        /// The notification, if anyone outside the buyer knew of it.
        notice: Option<Notice>,
    },
}

impl Event {
    /// The stable snake_case name of the event, for the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created { .. } => "created",
            Event::DraftRevised { .. } => "draft_revised",
            Event::RulesSet { .. } => "rules_set",
            Event::EvaluatorsAssigned { .. } => "evaluators_assigned",
            Event::Published { .. } => "published",
            Event::QuestionAsked { .. } => "question_asked",
            Event::QuestionAnswered { .. } => "question_answered",
            Event::Amended { .. } => "amended",
            Event::DeadlinePassed { .. } => "deadline_passed",
            Event::OpenerApproved { .. } => "opener_approved",
            Event::Opened { .. } => "opened",
            Event::InterestDeclared { .. } => "interest_declared",
            Event::ScoreRecorded { .. } => "score_recorded",
            Event::ModerationStarted { .. } => "moderation_started",
            Event::ConsensusRecorded { .. } => "consensus_recorded",
            Event::Evaluated { .. } => "evaluated",
            Event::AwardDecided { .. } => "award_decided",
            Event::AwardNoticeIssued { .. } => "award_notice_issued",
            Event::StandstillEnded { .. } => "standstill_ended",
            Event::Awarded { .. } => "awarded",
            Event::Cancelled { .. } => "cancelled",
            Event::ClosedUnsuccessful { .. } => "closed_unsuccessful",
        }
    }

    /// The notifications the event asks the store to send.
    pub fn notices(&self) -> Vec<&Notice> {
        match self {
            Event::Published { notice, .. }
            | Event::QuestionAnswered { notice, .. }
            | Event::Amended { notice, .. } => vec![notice],
            Event::AwardNoticeIssued { letters, .. } => letters.iter().collect(),
            Event::Cancelled { notice, .. } | Event::ClosedUnsuccessful { notice, .. } => {
                notice.iter().collect()
            }
            _ => Vec::new(),
        }
    }
}

impl Competition {
    /// Starts a draft: checks the rules and content hang together and returns the
    /// [`Event::Created`] to store; build the state with [`apply`] or
    /// [`Competition::replay`].
    pub fn create(
        id: impl Into<String>,
        rules: CompetitionRules,
        content: DraftContent,
        by: Email,
        now: Timestamp,
    ) -> Result<Event, CompetitionError> {
        let id = id.into();
        if id.trim().is_empty() {
            return Err(CompetitionError::invalid(
                "id",
                "the competition needs an id",
            ));
        }
        rules.check()?;
        content.check_structure()?;
        Ok(Event::Created {
            id,
            rules,
            content,
            by,
            at: now,
        })
    }

    /// Rebuilds a competition from its events; the first must be [`Event::Created`].
    pub fn replay(events: &[Event]) -> Result<Competition, CompetitionError> {
        let (first, rest) = events
            .split_first()
            .ok_or_else(|| CompetitionError::invalid("events", "there are no events"))?;
        let start = created(first).ok_or_else(|| {
            CompetitionError::invalid(
                "events",
                format!("the first event is {}, not created", first.kind()),
            )
        })?;
        Ok(rest.iter().fold(start, apply))
    }

    /// Decides `command` at `now` and applies the events: the new state and the
    /// events to store.
    pub fn execute(
        &self,
        command: Command,
        now: Timestamp,
    ) -> Result<(Competition, Vec<Event>), CompetitionError> {
        let events = decide(self, command, now)?;
        let next = events.iter().fold(self.clone(), apply);
        Ok((next, events))
    }

    /// Every reason the draft cannot be published at `now`, in form order (empty
    /// when it can), for showing the buyer a checklist.
    pub fn publish_problems(&self, now: Timestamp) -> Vec<CompetitionError> {
        let mut problems = Vec::new();
        let c = &self.content;
        if c.title.trim().is_empty() {
            problems.push(CompetitionError::invalid("title", "enter a title"));
        }
        if c.description.trim().is_empty() {
            problems.push(CompetitionError::invalid(
                "description",
                "describe what is being bought",
            ));
        }
        if let Err(e) = c.check_structure() {
            problems.push(e);
        }
        if let Err(e) = self.rules.check() {
            problems.push(e);
        } else if let Err(e) = self.rules.criteria.check() {
            problems.push(e);
        }
        if self.rules.criteria.price.is_some() {
            if c.price_schedule.is_empty() {
                problems.push(CompetitionError::invalid(
                    "price_schedule",
                    "price is scored, so add at least one line to the price schedule",
                ));
            } else {
                for lot in &c.lots {
                    if c.lines_for(Some(&lot.id)).next().is_none() {
                        problems.push(CompetitionError::invalid(
                            "price_schedule",
                            format!("lot {} has no price lines", lot.id),
                        ));
                    }
                }
            }
        }
        if let super::Eligibility::Invited(list) = &self.rules.eligibility
            && list.is_empty()
        {
            problems.push(CompetitionError::invalid(
                "eligibility",
                "the competition is by invitation: invite at least one supplier",
            ));
        }
        match c.tender_deadline {
            None => problems.push(CompetitionError::invalid(
                "tender_deadline",
                "set the tender deadline",
            )),
            Some(deadline) if deadline <= now => problems.push(CompetitionError::invalid(
                "tender_deadline",
                format!("{} is not in the future", london_text(&deadline)),
            )),
            Some(deadline) => {
                if let Err(e) = minimum(self.rules.regime, self.rules.minimum_tendering, now)
                    .and_then(|m| check_lawful(deadline, m.as_ref()))
                {
                    problems.push(e);
                }
            }
        }
        problems
    }
}

/// How long before the tender deadline interested suppliers are reminded of it.
pub const DEADLINE_REMINDER_BEFORE: SignedDuration = SignedDuration::from_hours(48);

impl Competition {
    /// When interested suppliers are to be reminded of the tender deadline:
    /// [`DEADLINE_REMINDER_BEFORE`] ahead of it while the competition is published;
    /// `None` in any other state.
    pub fn reminder_due(&self) -> Option<Timestamp> {
        if self.status != Status::Published {
            return None;
        }
        self.deadline()?.checked_sub(DEADLINE_REMINDER_BEFORE).ok()
    }

    /// The reminder of the tender deadline to send at `now`, for the invited and
    /// interested suppliers: only while published, once the reminder is due and
    /// before the deadline.
    pub fn deadline_reminder(&self, now: Timestamp) -> Option<Notice> {
        let due = self.reminder_due()?;
        let deadline = self.deadline()?;
        if now < due || now >= deadline {
            return None;
        }
        Some(Notice {
            audience: interested(self),
            subject: format!("Tender deadline approaching: {}", self.content.title),
            body: format!(
                "The tender deadline for \"{}\" is {}. Bids received after it cannot be accepted.\n\nIf you mean to bid, submit your bid in Consort before then; a bid already submitted can be replaced until the deadline.",
                self.content.title,
                london_text(&deadline)
            ),
        })
    }
}

/// The minimum tendering period the law sets from publication, and the earliest
/// tender deadline it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumTendering {
    /// The period as the legal clock computed it.
    pub period: LegalPeriod,
    /// The earliest lawful tender deadline.
    pub earliest: Timestamp,
    /// How the law reads the period's end, e.g. `at the end of 2027-01-31`.
    pub rule: String,
}

impl Competition {
    /// The minimum tendering period if published at `published`, and the earliest
    /// deadline it allows; `None` when the rules set no minimum. The error is the
    /// legal clock's, on the field `tender_deadline`.
    pub fn minimum_tendering(
        &self,
        published: Timestamp,
    ) -> Result<Option<MinimumTendering>, CompetitionError> {
        minimum(self.rules.regime, self.rules.minimum_tendering, published)
    }
}

fn minimum(
    regime: Regime,
    period: Option<Period>,
    published: Timestamp,
) -> Result<Option<MinimumTendering>, CompetitionError> {
    let Some(period) = period else {
        return Ok(None);
    };
    let from = london_date(published);
    let result = calendar::compute(regime, period, from).map_err(|e| CompetitionError::Clock {
        field: "tender_deadline",
        reason: e.to_string(),
    })?;
    let legal = LegalPeriod::from_result(&result);
    let (earliest, rule) = match regime {
        // PA 2023 s.54(5): the period is whole days ending with the day the deadline
        // falls on, at no set time of day: any time on the last day is lawful.
        Regime::Pa2023 => (
            result
                .last_day
                .to_zoned_datetime(london())
                .map(|z| z.timestamp())
                .unwrap_or(legal.ends_at),
            format!(
                "with {} (the deadline may fall at any time that day)",
                result.last_day
            ),
        ),
        // PCR 2015 reg 2(3),(4): the period ends at the end of its last day; the
        // time limit for receipt may not expire before then.
        Regime::Pcr2015 => (legal.ends_at, format!("at the end of {}", result.last_day)),
    };
    Ok(Some(MinimumTendering {
        period: legal,
        earliest,
        rule,
    }))
}

fn check_lawful(
    deadline: Timestamp,
    minimum: Option<&MinimumTendering>,
) -> Result<(), CompetitionError> {
    match minimum {
        Some(m) if deadline < m.earliest => Err(CompetitionError::DeadlineTooSoon {
            deadline,
            earliest: m.earliest,
            published_on: m.period.from,
            rule: m.rule.clone(),
            citation: m.period.citation(),
        }),
        _ => Ok(()),
    }
}

fn created(event: &Event) -> Option<Competition> {
    match event {
        Event::Created {
            id,
            rules,
            content,
            by,
            at,
        } => Some(Competition {
            id: id.clone(),
            rules: rules.clone(),
            content: content.clone(),
            status: Status::Draft,
            created_at: *at,
            created_by: by.clone(),
            publication: None,
            clarifications: Vec::new(),
            amendments: Vec::new(),
            opening: Opening::default(),
            evaluation: Default::default(),
            rankings: Vec::new(),
            award: None,
            notice: None,
            contracts: Vec::new(),
            closure: None,
        }),
        _ => None,
    }
}

fn not_in_state(c: &Competition, action: &'static str) -> CompetitionError {
    CompetitionError::NotInState {
        action,
        state: c.status.id().to_string(),
    }
}

fn require(
    c: &Competition,
    action: &'static str,
    allowed: &[Status],
) -> Result<(), CompetitionError> {
    if allowed.contains(&c.status) {
        Ok(())
    } else {
        Err(not_in_state(c, action))
    }
}

fn required_text(field: &str, value: &str, what: &str) -> Result<String, CompetitionError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CompetitionError::invalid(field, format!("enter {what}")));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(CompetitionError::invalid(
            field,
            format!("{what} must be {MAX_TEXT} characters or fewer"),
        ));
    }
    Ok(trimmed.to_string())
}

fn closed_why(c: &Competition) -> String {
    match &c.status {
        Status::Cancelled { .. } => "it was cancelled".into(),
        Status::Unsuccessful { .. } => "it was closed without award".into(),
        Status::Awarded => "it has been awarded".into(),
        _ => match c.deadline() {
            Some(d) => format!("the tender deadline {} has passed", london_text(&d)),
            None => format!("it is {}", c.status.id()),
        },
    }
}

fn interested(c: &Competition) -> Audience {
    Audience::InvitedAndInterested {
        invited: match &c.rules.eligibility {
            super::Eligibility::Open => Vec::new(),
            super::Eligibility::Invited(list) => list.clone(),
        },
    }
}

fn bidders(c: &Competition) -> Vec<OrgId> {
    let set: BTreeSet<&OrgId> = c.opening.bids.iter().map(|b| &b.supplier).collect();
    set.into_iter().cloned().collect()
}

/// Decides what `command` does to `c` at `now`: the events, or why not.
pub fn decide(
    c: &Competition,
    command: Command,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    if matches!(command, Command::Tick) {
        return Ok(tick(c, now));
    }
    let mut events = Vec::new();
    let caught_up;
    let c = match c.deadline() {
        Some(deadline) if c.status == Status::Published && now >= deadline => {
            let passed = Event::DeadlinePassed { deadline, at: now };
            caught_up = apply(c.clone(), &passed);
            events.push(passed);
            &caught_up
        }
        _ => c,
    };
    events.extend(decide_now(c, command, now)?);
    Ok(events)
}

fn tick(c: &Competition, now: Timestamp) -> Vec<Event> {
    match (&c.status, c.next_due()) {
        (Status::Published, Some(deadline)) if now >= deadline => {
            vec![Event::DeadlinePassed { deadline, at: now }]
        }
        (Status::Standstill, Some(ended)) if now >= ended => vec![
            Event::StandstillEnded { ended, at: now },
            Event::Awarded {
                at: now,
                contracts: contracts(c),
            },
        ],
        _ => Vec::new(),
    }
}

fn decide_now(
    c: &Competition,
    command: Command,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    match command {
        Command::Tick => Ok(tick(c, now)),
        Command::ReviseDraft { by, content } => {
            require(c, "revise the draft", &[Status::Draft])?;
            if content.buyer != c.content.buyer {
                return Err(CompetitionError::invalid(
                    "buyer",
                    format!(
                        "the lead buyer is {} and cannot be changed; start a new competition instead",
                        c.content.buyer
                    ),
                ));
            }
            content.check_structure()?;
            Ok(vec![Event::DraftRevised {
                by,
                at: now,
                content,
            }])
        }
        Command::SetRules { by, rules } => {
            require(c, "change the rules", &[Status::Draft])?;
            rules.check()?;
            Ok(vec![Event::RulesSet { by, at: now, rules }])
        }
        Command::AssignEvaluators {
            by,
            evaluators,
            moderator,
        } => assign_evaluators(c, by, evaluators, moderator, now),
        Command::Publish { by } => publish(c, by, now),
        Command::AskQuestion {
            supplier,
            asked_by,
            question,
        } => {
            match c.status {
                Status::Draft => return Err(not_in_state(c, "ask a question")),
                Status::Published => {}
                _ => return Err(CompetitionError::Closed { why: closed_why(c) }),
            }
            if !c.rules.eligibility.admits(&supplier) {
                return Err(CompetitionError::NotEligible { supplier });
            }
            let question = required_text("question", &question, "a question")?;
            Ok(vec![Event::QuestionAsked {
                number: next_number(c.clarifications.len()),
                supplier,
                asked_by,
                at: now,
                question,
            }])
        }
        Command::AnswerQuestion { by, number, answer } => {
            match c.status {
                Status::Published => {}
                Status::Draft => return Err(not_in_state(c, "answer a question")),
                _ => return Err(CompetitionError::Closed { why: closed_why(c) }),
            }
            let q = c
                .clarifications
                .iter()
                .find(|q| q.number == number)
                .ok_or_else(|| {
                    CompetitionError::invalid("number", format!("there is no question {number}"))
                })?;
            if q.answer.is_some() {
                return Err(CompetitionError::invalid(
                    "number",
                    format!(
                        "question {number} has already been answered: publish anything further as an amendment"
                    ),
                ));
            }
            let answer = required_text("answer", &answer, "an answer")?;
            let notice = Notice {
                audience: interested(c),
                subject: format!("Clarification published: {}", c.content.title),
                body: format!(
                    "The buyer has published an answer to a clarification question about \"{}\".\n\nQuestion {number}: {}\n\nAnswer: {answer}\n\nThe tender deadline is {}.",
                    c.content.title,
                    q.question,
                    c.deadline().map(|d| london_text(&d)).unwrap_or_default()
                ),
            };
            Ok(vec![Event::QuestionAnswered {
                number,
                by,
                at: now,
                question: q.question.clone(),
                answer,
                notice,
            }])
        }
        Command::Amend {
            by,
            summary,
            new_deadline,
            add_documents,
            remove_documents,
        } => amend(
            c,
            by,
            summary,
            new_deadline,
            add_documents,
            remove_documents,
            now,
        ),
        Command::OpenBids {
            opener,
            holds_opener_role,
            bids,
        } => open_bids(c, opener, holds_opener_role, bids, now),
        Command::DeclareInterest { member, interest } => declare(c, member, interest, now),
        Command::RecordScore {
            evaluator,
            bid_id,
            question_id,
            score,
            reason,
        } => {
            c.check_may_score(&evaluator)?;
            let reason = check_score(c, &bid_id, &question_id, score, &reason)?;
            Ok(vec![Event::ScoreRecorded {
                score: IndividualScore {
                    evaluator,
                    bid_id,
                    question_id,
                    score,
                    reason,
                    at: now,
                },
            }])
        }
        Command::StartModeration { by } => start_moderation(c, by, now),
        Command::RecordConsensus {
            moderator,
            bid_id,
            question_id,
            score,
            reason,
        } => {
            c.check_may_record_consensus(&moderator)?;
            let reason = check_score(c, &bid_id, &question_id, score, &reason)?;
            Ok(vec![Event::ConsensusRecorded {
                score: ConsensusScore {
                    bid_id,
                    question_id,
                    score,
                    reason,
                    moderator,
                    at: now,
                },
            }])
        }
        Command::CompleteEvaluation { by } => complete_evaluation(c, by, now),
        Command::DecideAward {
            by,
            decisions,
            reasons,
        } => decide_award(c, by, decisions, reasons, now),
        Command::IssueAwardNotice { by } => issue_notice(c, by, now),
        Command::Cancel { by, reason } => {
            let closure = close(c, by, &reason, "cancel", now)?;
            let notice = closing_notice(c, "cancelled", &closure.reason);
            Ok(vec![Event::Cancelled { closure, notice }])
        }
        Command::CloseUnsuccessful { by, reason } => {
            let closure = close(c, by, &reason, "close the competition as unsuccessful", now)?;
            let notice = closing_notice(c, "closed without award", &closure.reason);
            Ok(vec![Event::ClosedUnsuccessful { closure, notice }])
        }
    }
}

impl Competition {
    /// Why `evaluator` may not record a score now, or `Ok` if they may: the bids
    /// are open, moderation has not started, and they are a cleared evaluator. The
    /// check [`Command::RecordScore`] makes before looking at the score itself.
    pub fn check_may_score(&self, evaluator: &Email) -> Result<(), CompetitionError> {
        require(self, "record a score", &[Status::Opened])?;
        if self.evaluation.moderation_started_at.is_some() {
            return Err(CompetitionError::invalid(
                "score",
                "moderation has started: individual scores are final",
            ));
        }
        if !self.evaluation.is_evaluator(evaluator) {
            return Err(CompetitionError::NotAuthorised {
                who: evaluator.to_string(),
                action: "score bids",
                reason: "they are not an evaluator of this competition".into(),
            });
        }
        check_cleared(self, evaluator, "score bids")
    }

    /// Whether `evaluator` may record scores now ([`Competition::check_may_score`]).
    pub fn may_score(&self, evaluator: &Email) -> bool {
        self.check_may_score(evaluator).is_ok()
    }

    /// Why `moderator` may not record a consensus score now, or `Ok` if they may:
    /// the bids are open, they are the cleared moderator, and moderation has
    /// started. The check [`Command::RecordConsensus`] makes before looking at the
    /// score itself.
    pub fn check_may_record_consensus(&self, moderator: &Email) -> Result<(), CompetitionError> {
        require(self, "record a consensus score", &[Status::Opened])?;
        check_moderator(self, moderator, "record consensus scores")?;
        if self.evaluation.moderation_started_at.is_none() {
            return Err(CompetitionError::invalid(
                "moderation",
                "start moderation before recording consensus scores",
            ));
        }
        Ok(())
    }

    /// Whether `moderator` may record consensus scores now
    /// ([`Competition::check_may_record_consensus`]).
    pub fn may_record_consensus(&self, moderator: &Email) -> bool {
        self.check_may_record_consensus(moderator).is_ok()
    }
}

fn next_number(len: usize) -> u32 {
    u32::try_from(len + 1).unwrap_or(u32::MAX)
}

fn assign_evaluators(
    c: &Competition,
    by: Email,
    evaluators: Vec<Email>,
    moderator: Email,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(
        c,
        "assign evaluators",
        &[
            Status::Draft,
            Status::Published,
            Status::DeadlinePassed,
            Status::Opened,
        ],
    )?;
    if c.evaluation.moderation_started_at.is_some() {
        return Err(CompetitionError::invalid(
            "evaluators",
            "moderation has started: the team can no longer change",
        ));
    }
    if evaluators.is_empty() {
        return Err(CompetitionError::invalid(
            "evaluators",
            "assign at least one evaluator",
        ));
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = evaluators.iter().find(|e| !seen.insert(*e)) {
        return Err(CompetitionError::invalid(
            "evaluators",
            format!("{dup} is listed twice"),
        ));
    }
    if evaluators.contains(&moderator) {
        return Err(CompetitionError::invalid(
            "moderator",
            format!(
                "{moderator} cannot be both an evaluator and the moderator: the moderator does not score"
            ),
        ));
    }
    if let Some(excluded) = evaluators
        .iter()
        .chain(std::iter::once(&moderator))
        .find(|e| c.evaluation.is_excluded(e))
    {
        return Err(CompetitionError::invalid(
            "evaluators",
            format!("{excluded} has declared a conflict of interest and cannot take part"),
        ));
    }
    Ok(vec![Event::EvaluatorsAssigned {
        by,
        at: now,
        evaluators,
        moderator,
    }])
}

fn publish(c: &Competition, by: Email, now: Timestamp) -> Result<Vec<Event>, CompetitionError> {
    require(c, "publish", &[Status::Draft])?;
    if let Some(problem) = c.publish_problems(now).into_iter().next() {
        return Err(problem);
    }
    let deadline = c
        .deadline()
        .ok_or_else(|| CompetitionError::invalid("tender_deadline", "set the tender deadline"))?;
    let minimum = minimum(c.rules.regime, c.rules.minimum_tendering, now)?;
    let invitation = match &c.rules.eligibility {
        super::Eligibility::Open => "A new opportunity is open for bids",
        super::Eligibility::Invited(_) => "You are invited to bid",
    };
    let notice = Notice {
        audience: interested(c),
        subject: format!("Invitation to tender: {}", c.content.title),
        body: format!(
            "{invitation}: \"{}\" ({}, {}), from {}.\n\nBids must be submitted by {}. The documents and award criteria are with the opportunity.",
            c.content.title,
            c.rules.procedure.label(c.rules.regime),
            c.rules.regime,
            c.content.buyer,
            london_text(&deadline)
        ),
    };
    Ok(vec![Event::Published {
        by,
        at: now,
        deadline,
        earliest_lawful_deadline: minimum.as_ref().map(|m| m.earliest),
        minimum_period: minimum.map(|m| m.period),
        notice,
    }])
}

#[allow(clippy::too_many_arguments)]
fn amend(
    c: &Competition,
    by: Email,
    summary: String,
    new_deadline: Option<Timestamp>,
    add_documents: Vec<DocumentRef>,
    remove_documents: Vec<String>,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    match c.status {
        Status::Published => {}
        Status::DeadlinePassed => {
            return Err(CompetitionError::AfterDeadline {
                deadline: c.deadline().unwrap_or(now),
            });
        }
        Status::Draft => return Err(not_in_state(c, "amend (revise the draft instead)")),
        _ => return Err(CompetitionError::Closed { why: closed_why(c) }),
    }
    let summary = required_text("summary", &summary, "a summary of what changed")?;
    let current = c.deadline().unwrap_or(now);
    let deadline = match new_deadline {
        None => current,
        Some(requested) => {
            if requested < current {
                return Err(CompetitionError::DeadlineBroughtForward { current, requested });
            }
            if let Some(publication) = &c.publication {
                let m = minimum(c.rules.regime, c.rules.minimum_tendering, publication.at)?;
                check_lawful(requested, m.as_ref())?;
            }
            requested
        }
    };
    let mut content = c.content.clone();
    for hash in &remove_documents {
        let before = content.documents.len();
        content.documents.retain(|d| &d.sha256_hex != hash);
        if content.documents.len() == before {
            return Err(CompetitionError::invalid(
                "remove_documents",
                format!("no document has SHA-256 {hash}"),
            ));
        }
    }
    content.documents.extend(add_documents.iter().cloned());
    content.check_structure()?;
    let amendment = Amendment {
        number: next_number(c.amendments.len()),
        by,
        at: now,
        summary,
        previous_deadline: current,
        new_deadline: deadline,
        added_documents: add_documents,
        removed_documents: remove_documents,
    };
    let mut body = format!(
        "The buyer has amended \"{}\".\n\n{}\n\n",
        c.content.title, amendment.summary
    );
    if deadline != current {
        body.push_str(&format!(
            "The tender deadline is extended from {} to {}.\n",
            london_text(&current),
            london_text(&deadline)
        ));
    } else {
        body.push_str(&format!(
            "The tender deadline is unchanged: {}.\n",
            london_text(&deadline)
        ));
    }
    for d in &amendment.added_documents {
        body.push_str(&format!("Document added: {}\n", d.file_name));
    }
    for hash in &amendment.removed_documents {
        if let Some(d) = c.content.documents.iter().find(|d| &d.sha256_hex == hash) {
            body.push_str(&format!("Document withdrawn: {}\n", d.file_name));
        }
    }
    let notice = Notice {
        audience: interested(c),
        subject: format!("Amendment {}: {}", amendment.number, c.content.title),
        body,
    };
    Ok(vec![Event::Amended { amendment, notice }])
}

fn open_bids(
    c: &Competition,
    opener: Email,
    holds_opener_role: bool,
    bids: Vec<BidSummary>,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    match c.status {
        Status::DeadlinePassed => {}
        Status::Published => {
            return Err(CompetitionError::BeforeDeadline {
                deadline: c.deadline().unwrap_or(now),
            });
        }
        _ => return Err(not_in_state(c, "open bids")),
    }
    if !holds_opener_role {
        return Err(CompetitionError::NotAuthorised {
            who: opener.to_string(),
            action: "open bids",
            reason: format!(
                "only people with the opener role at {} can open its bids",
                c.content.buyer
            ),
        });
    }
    if c.opening.approvals.iter().any(|a| a.opener == opener) {
        return Err(CompetitionError::SameOpenerTwice { opener });
    }
    let approved = Event::OpenerApproved {
        opener: opener.clone(),
        at: now,
    };
    let Some(first) = c.opening.approvals.first() else {
        return Ok(vec![approved]);
    };
    check_bids(c, &bids)?;
    Ok(vec![
        approved,
        Event::Opened {
            openers: vec![first.opener.clone(), opener],
            at: now,
            bids,
        },
    ])
}

fn check_bids(c: &Competition, bids: &[BidSummary]) -> Result<(), CompetitionError> {
    let deadline = c.deadline();
    let mut ids = BTreeSet::new();
    let mut per_lot = BTreeSet::new();
    for b in bids {
        let field = format!("bids.{}", b.bid_id);
        if b.bid_id.trim().is_empty() {
            return Err(CompetitionError::invalid("bids", "a bid has no id"));
        }
        if !ids.insert(&b.bid_id) {
            return Err(CompetitionError::invalid(field, "the bid is listed twice"));
        }
        if !c.rules.eligibility.admits(&b.supplier) {
            return Err(CompetitionError::NotEligible {
                supplier: b.supplier.clone(),
            });
        }
        if deadline.is_some_and(|d| b.received_at >= d) {
            return Err(CompetitionError::invalid(
                field,
                "the bid was received after the tender deadline",
            ));
        }
        match (&b.lot, c.content.lots.is_empty()) {
            (None, true) => {}
            (Some(lot), false) if c.content.lot(lot).is_some() => {}
            _ => {
                return Err(CompetitionError::invalid(
                    field,
                    format!("the bid's lot {:?} is not a lot of this competition", b.lot),
                ));
            }
        }
        if !per_lot.insert((&b.supplier, &b.lot)) {
            return Err(CompetitionError::invalid(
                field,
                format!("{} has more than one bid for the same lot", b.supplier),
            ));
        }
        if b.total_price_pence < 0 || (c.rules.criteria.price.is_some() && b.total_price_pence == 0)
        {
            return Err(CompetitionError::invalid(
                field,
                format!(
                    "the bid's total price {} is not a valid total",
                    pounds(b.total_price_pence)
                ),
            ));
        }
    }
    Ok(())
}

fn declare(
    c: &Competition,
    member: Email,
    interest: Interest,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(
        c,
        "declare interests",
        &[
            Status::Draft,
            Status::Published,
            Status::DeadlinePassed,
            Status::Opened,
        ],
    )?;
    if !c.evaluation.is_member(&member) {
        return Err(CompetitionError::NotAuthorised {
            who: member.to_string(),
            action: "declare interests",
            reason: "they are not on this competition's evaluation team".into(),
        });
    }
    let interest = match interest {
        Interest::NoConflict => Interest::NoConflict,
        Interest::Conflict { details } => Interest::Conflict {
            details: required_text("details", &details, "the details of the conflict")?,
        },
    };
    match (
        c.evaluation.declaration(&member).map(|d| &d.interest),
        &interest,
    ) {
        (None, _) | (Some(Interest::NoConflict), Interest::Conflict { .. }) => {}
        (Some(Interest::NoConflict), Interest::NoConflict) => {
            return Err(CompetitionError::invalid(
                "interest",
                format!("{member} has already declared no conflict of interest"),
            ));
        }
        (Some(Interest::Conflict { .. }), _) => {
            return Err(CompetitionError::invalid(
                "interest",
                format!(
                    "{member} has declared a conflict of interest and is excluded; the buyer can assign someone else"
                ),
            ));
        }
    }
    Ok(vec![Event::InterestDeclared {
        declaration: Declaration {
            member,
            interest,
            at: now,
        },
    }])
}

fn check_cleared(
    c: &Competition,
    who: &Email,
    action: &'static str,
) -> Result<(), CompetitionError> {
    if c.evaluation.is_cleared(who) {
        return Ok(());
    }
    let reason = if c.evaluation.is_excluded(who) {
        "they declared a conflict of interest and are excluded"
    } else {
        "they must declare whether they have a conflict of interest before seeing bids"
    };
    Err(CompetitionError::NotAuthorised {
        who: who.to_string(),
        action,
        reason: reason.into(),
    })
}

fn check_moderator(
    c: &Competition,
    who: &Email,
    action: &'static str,
) -> Result<(), CompetitionError> {
    if !c.evaluation.is_moderator(who) {
        return Err(CompetitionError::NotAuthorised {
            who: who.to_string(),
            action,
            reason: "only the competition's moderator can".into(),
        });
    }
    check_cleared(c, who, action)
}

fn check_score(
    c: &Competition,
    bid_id: &str,
    question_id: &str,
    score: u8,
    reason: &str,
) -> Result<String, CompetitionError> {
    if !c.opening.bids.iter().any(|b| b.bid_id == bid_id) {
        return Err(CompetitionError::invalid(
            "bid_id",
            format!("there is no bid '{bid_id}'"),
        ));
    }
    let q = c.rules.criteria.question(question_id).ok_or_else(|| {
        CompetitionError::invalid(
            "question_id",
            format!("there is no question '{question_id}'"),
        )
    })?;
    if !q.scale.contains(score) {
        return Err(CompetitionError::invalid(
            "score",
            format!(
                "{score} is not on question {}'s scale: score from {} to {}",
                q.id, q.scale.min, q.scale.max
            ),
        ));
    }
    required_text("reason", reason, "the reason for the score")
}

fn start_moderation(
    c: &Competition,
    by: Email,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(c, "start moderation", &[Status::Opened])?;
    check_moderator(c, &by, "start moderation")?;
    if c.evaluation.moderation_started_at.is_some() {
        return Err(CompetitionError::invalid(
            "moderation",
            "moderation has already started",
        ));
    }
    let questions = &c.rules.criteria.questions;
    if questions.is_empty() {
        return Err(CompetitionError::invalid(
            "moderation",
            "there are no quality questions to moderate: complete the evaluation",
        ));
    }
    if c.opening.bids.is_empty() {
        return Err(CompetitionError::invalid(
            "moderation",
            "no bids were received: close the competition as unsuccessful",
        ));
    }
    let team = c
        .evaluation
        .team
        .as_ref()
        .map(|t| t.evaluators.as_slice())
        .unwrap_or_default();
    if let Some(undeclared) = team.iter().find(|e| c.evaluation.declaration(e).is_none()) {
        return Err(CompetitionError::invalid(
            "moderation",
            format!("{undeclared} has not declared their interests yet"),
        ));
    }
    let counting = c.evaluation.counting_evaluators();
    if counting.is_empty() {
        return Err(CompetitionError::invalid(
            "moderation",
            "every evaluator is excluded by a conflict of interest: assign others",
        ));
    }
    for e in counting {
        let missing = c
            .opening
            .bids
            .iter()
            .flat_map(|b| questions.iter().map(move |q| (b, q)))
            .filter(|(b, q)| c.evaluation.score(e, &b.bid_id, &q.id).is_none())
            .count();
        if missing > 0 {
            return Err(CompetitionError::invalid(
                "moderation",
                format!("{e} has {missing} answer(s) still to score"),
            ));
        }
    }
    Ok(vec![Event::ModerationStarted { by, at: now }])
}

fn complete_evaluation(
    c: &Competition,
    by: Email,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(c, "complete the evaluation", &[Status::Opened])?;
    if c.opening.bids.is_empty() {
        return Err(CompetitionError::invalid(
            "bids",
            "no bids were received: close the competition as unsuccessful",
        ));
    }
    let questions = &c.rules.criteria.questions;
    if !questions.is_empty() {
        check_moderator(c, &by, "complete the evaluation")?;
        if c.evaluation.moderation_started_at.is_none() {
            return Err(CompetitionError::invalid(
                "moderation",
                "moderation has not started",
            ));
        }
        let missing = c
            .opening
            .bids
            .iter()
            .flat_map(|b| questions.iter().map(move |q| (b, q)))
            .find(|(b, q)| c.evaluation.consensus_for(&b.bid_id, &q.id).is_none());
        if let Some((b, q)) = missing {
            return Err(CompetitionError::invalid(
                "consensus",
                format!(
                    "bid {} has no consensus score for question {}",
                    b.bid_id, q.id
                ),
            ));
        }
    }
    Ok(vec![Event::Evaluated {
        by,
        at: now,
        rankings: rank_competition(c),
    }])
}

fn decide_award(
    c: &Competition,
    by: Email,
    decisions: Vec<LotDecision>,
    reasons: BTreeMap<String, String>,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(c, "decide the award", &[Status::Evaluated])?;
    let with_bids: Vec<&Ranking> = c.rankings.iter().filter(|r| !r.bids.is_empty()).collect();
    let mut decided = BTreeSet::new();
    let mut summaries = Vec::new();
    for d in &decisions {
        let lot_name = d.lot.as_deref().unwrap_or("the competition");
        let ranking = with_bids.iter().find(|r| r.lot == d.lot).ok_or_else(|| {
            CompetitionError::invalid("decisions", format!("{lot_name} has no bids to award"))
        })?;
        if !decided.insert(&d.lot) {
            return Err(CompetitionError::invalid(
                "decisions",
                format!("{lot_name} is decided twice"),
            ));
        }
        let winner = ranking.bid(&d.winner).ok_or_else(|| {
            CompetitionError::invalid(
                "winner",
                format!("bid '{}' is not a bid for {lot_name}", d.winner),
            )
        })?;
        if winner.rank != 1
            && d.departure_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            return Err(CompetitionError::invalid(
                "departure_reason",
                format!(
                    "bid {} is ranked {}, not first: give the reason for not awarding to the first-ranked bid",
                    winner.bid_id, winner.rank
                ),
            ));
        }
        check_buyer_values(c, d, winner.total_price_pence)?;
        for b in &ranking.bids {
            if reasons.get(&b.bid_id).is_none_or(|r| r.trim().is_empty()) {
                return Err(CompetitionError::invalid(
                    format!("reasons.{}", b.bid_id),
                    format!("give the reason for bid {}'s outcome", b.bid_id),
                ));
            }
        }
        summaries.extend(award::summaries(ranking, d, &reasons));
    }
    if let Some(missing) = with_bids.iter().find(|r| !decided.contains(&r.lot)) {
        return Err(CompetitionError::invalid(
            "decisions",
            format!(
                "decide {} too (or close the competition as unsuccessful)",
                missing
                    .lot
                    .as_deref()
                    .map(|l| format!("lot {l}"))
                    .unwrap_or("the award".into())
            ),
        ));
    }
    Ok(vec![Event::AwardDecided {
        decision: AwardDecision {
            by,
            at: now,
            decisions,
            summaries,
        },
    }])
}

fn check_buyer_values(
    c: &Competition,
    d: &LotDecision,
    total: i64,
) -> Result<(), CompetitionError> {
    if c.content.joint_buyers.is_empty() {
        let whole = d.buyer_values.is_empty()
            || (d.buyer_values.len() == 1 && d.buyer_values.get(&c.content.buyer) == Some(&total));
        return if whole {
            Ok(())
        } else {
            Err(CompetitionError::invalid(
                "buyer_values",
                format!(
                    "a single buyer's contract is the whole price ({})",
                    pounds(total)
                ),
            ))
        };
    }
    let buyers = c.buyers();
    if let Some(missing) = buyers.iter().find(|b| !d.buyer_values.contains_key(**b)) {
        return Err(CompetitionError::invalid(
            "buyer_values",
            format!("give {missing}'s share of the contract value (one contract per buyer)"),
        ));
    }
    if let Some(other) = d.buyer_values.keys().find(|k| !buyers.contains(k)) {
        return Err(CompetitionError::invalid(
            "buyer_values",
            format!("{other} is not a buyer in this competition"),
        ));
    }
    if d.buyer_values.values().any(|v| *v < 0) {
        return Err(CompetitionError::invalid(
            "buyer_values",
            "a share cannot be negative",
        ));
    }
    let sum: i128 = d.buyer_values.values().map(|v| i128::from(*v)).sum();
    if sum != i128::from(total) {
        return Err(CompetitionError::invalid(
            "buyer_values",
            format!(
                "the buyers' shares add up to {}, not the winning price {}",
                pounds(i64::try_from(sum).unwrap_or(i64::MAX)),
                pounds(total)
            ),
        ));
    }
    Ok(())
}

fn issue_notice(
    c: &Competition,
    by: Email,
    now: Timestamp,
) -> Result<Vec<Event>, CompetitionError> {
    require(c, "issue the award notice", &[Status::AwardDecided])?;
    let standstill = if c.rules.standstill.applies() {
        let result = calendar::compute(c.rules.regime, Period::Standstill, london_date(now))
            .map_err(|e| CompetitionError::Clock {
                field: "standstill",
                reason: e.to_string(),
            })?;
        Some(LegalPeriod::from_result(&result))
    } else {
        None
    };
    let letters = c
        .award
        .iter()
        .flat_map(|a| a.summaries.iter())
        .map(|s| Notice {
            audience: Audience::Supplier {
                supplier: s.supplier.clone(),
            },
            subject: format!(
                "Outcome{}: {}",
                s.lot
                    .as_deref()
                    .map(|l| format!(" for lot {l}"))
                    .unwrap_or_default(),
                c.content.title
            ),
            body: letter(c, s, standstill.as_ref()),
        })
        .collect();
    let notice = AwardNotice {
        by,
        at: now,
        standstill,
    };
    let no_standstill = notice.standstill.is_none();
    let mut events = vec![Event::AwardNoticeIssued { notice, letters }];
    if no_standstill {
        let awarding = apply(c.clone(), &events[0]);
        events.push(Event::Awarded {
            at: now,
            contracts: contracts(&awarding),
        });
    }
    Ok(events)
}

fn letter(
    c: &Competition,
    s: &award::AssessmentSummary,
    standstill: Option<&LegalPeriod>,
) -> String {
    let mut body = match s.outcome {
        Outcome::Successful => format!(
            "Your bid {} for \"{}\" has been successful: it ranked first of {} with {} points.\n",
            s.bid_id, c.content.title, s.of, s.own_total
        ),
        Outcome::Unsuccessful => format!(
            "Your bid {} for \"{}\" has not been successful: it ranked {} of {} with {} points; the winning bid, from {}, scored {}.\n",
            s.bid_id, c.content.title, s.rank, s.of, s.own_total, s.winner_supplier, s.winner_total
        ),
    };
    body.push_str(&format!("\nReason: {}\n\nYour scores:\n", s.reason));
    for line in &s.own {
        body.push_str(&format!(
            "- {} (weight {}): {} points. {}\n",
            line.name, line.weight, line.points, line.reason
        ));
    }
    if s.outcome == Outcome::Unsuccessful {
        body.push_str("\nThe winning bid's scores:\n");
        for line in &s.winner {
            body.push_str(&format!(
                "- {} (weight {}): {} points. {}\n",
                line.name, line.weight, line.points, line.reason
            ));
        }
    }
    match standstill {
        Some(p) => body.push_str(&format!(
            "\nThe standstill period ends {}; the contract will not be entered into before then ({}).\n",
            london_text(&p.ends_at),
            p.citation()
        )),
        None => body.push_str("\nNo standstill period applies to this award.\n"),
    }
    body
}

fn contracts(c: &Competition) -> Vec<ContractDetails> {
    let Some(award) = &c.award else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, d) in award.decisions.iter().enumerate() {
        let Some(bid) = c.opening.bids.iter().find(|b| b.bid_id == d.winner) else {
            continue;
        };
        let title = match d.lot.as_deref().and_then(|l| c.content.lot(l)) {
            Some(lot) => format!("{}: lot {} {}", c.content.title, lot.id, lot.title),
            None => c.content.title.clone(),
        };
        for buyer in c.buyers() {
            let value = if c.content.joint_buyers.is_empty() {
                bid.total_price_pence
            } else {
                d.buyer_values.get(buyer).copied().unwrap_or(0)
            };
            out.push(ContractDetails {
                id: format!("C{}", out.len() + 1),
                award_id: award::award_id(i),
                buyer: buyer.clone(),
                supplier: bid.supplier.clone(),
                lot: d.lot.clone(),
                bid_id: bid.bid_id.clone(),
                title: title.clone(),
                value_pence: value,
                start: c.content.contract_start,
                end: c.content.contract_end,
            });
        }
    }
    out
}

fn close(
    c: &Competition,
    by: Email,
    reason: &str,
    action: &'static str,
    now: Timestamp,
) -> Result<Closure, CompetitionError> {
    if c.status.is_final() {
        return Err(not_in_state(c, action));
    }
    let reason = required_text("reason", reason, "the reason")?;
    Ok(Closure {
        by,
        at: now,
        reason,
        from_state: c.status.id().to_string(),
    })
}

fn closing_notice(c: &Competition, what: &str, reason: &str) -> Option<Notice> {
    let audience = match c.status {
        Status::Draft => return None,
        _ if c.opening.opened_at.is_some() => Audience::Bidders {
            suppliers: bidders(c),
        },
        _ => interested(c),
    };
    Some(Notice {
        audience,
        subject: format!("Competition {what}: {}", c.content.title),
        body: format!(
            "The buyer has {what} the competition \"{}\".\n\nReason: {reason}\n",
            c.content.title
        ),
    })
}

/// Folds `event` into `c`. Events are trusted: they were decided against this
/// state; [`Event::Created`] starts afresh whatever `c` was.
pub fn apply(mut c: Competition, event: &Event) -> Competition {
    match event {
        Event::Created { .. } => return created(event).unwrap_or(c),
        Event::DraftRevised { content, .. } => c.content = content.clone(),
        Event::RulesSet { rules, .. } => c.rules = rules.clone(),
        Event::EvaluatorsAssigned {
            by,
            at,
            evaluators,
            moderator,
        } => {
            c.evaluation.team = Some(EvaluationTeam {
                evaluators: evaluators.clone(),
                moderator: moderator.clone(),
                assigned_by: by.clone(),
                assigned_at: *at,
            });
        }
        Event::Published {
            by,
            at,
            deadline,
            minimum_period,
            earliest_lawful_deadline,
            ..
        } => {
            c.status = Status::Published;
            c.content.tender_deadline = Some(*deadline);
            c.publication = Some(Publication {
                by: by.clone(),
                at: *at,
                original_deadline: *deadline,
                minimum_period: minimum_period.clone(),
                earliest_lawful_deadline: *earliest_lawful_deadline,
            });
        }
        Event::QuestionAsked {
            number,
            supplier,
            asked_by,
            at,
            question,
        } => c.clarifications.push(Clarification {
            number: *number,
            supplier: supplier.clone(),
            asked_by: asked_by.clone(),
            asked_at: *at,
            question: question.clone(),
            answer: None,
        }),
        Event::QuestionAnswered {
            number,
            by,
            at,
            answer,
            ..
        } => {
            if let Some(q) = c.clarifications.iter_mut().find(|q| q.number == *number) {
                q.answer = Some(ClarificationAnswer {
                    text: answer.clone(),
                    by: by.clone(),
                    at: *at,
                });
            }
        }
        Event::Amended { amendment, .. } => {
            c.content.tender_deadline = Some(amendment.new_deadline);
            c.content
                .documents
                .retain(|d| !amendment.removed_documents.contains(&d.sha256_hex));
            c.content
                .documents
                .extend(amendment.added_documents.iter().cloned());
            c.amendments.push(amendment.clone());
        }
        Event::DeadlinePassed { .. } => c.status = Status::DeadlinePassed,
        Event::OpenerApproved { opener, at } => c.opening.approvals.push(OpenerApproval {
            opener: opener.clone(),
            at: *at,
        }),
        Event::Opened { at, bids, .. } => {
            c.status = Status::Opened;
            c.opening.opened_at = Some(*at);
            c.opening.bids = bids.clone();
        }
        Event::InterestDeclared { declaration } => {
            c.evaluation.declarations.push(declaration.clone());
        }
        Event::ScoreRecorded { score } => {
            c.evaluation.scores.retain(|s| {
                !(s.evaluator == score.evaluator
                    && s.bid_id == score.bid_id
                    && s.question_id == score.question_id)
            });
            c.evaluation.scores.push(score.clone());
        }
        Event::ModerationStarted { at, .. } => c.evaluation.moderation_started_at = Some(*at),
        Event::ConsensusRecorded { score } => {
            c.evaluation
                .consensus
                .retain(|s| !(s.bid_id == score.bid_id && s.question_id == score.question_id));
            c.evaluation.consensus.push(score.clone());
        }
        Event::Evaluated { rankings, .. } => {
            c.status = Status::Evaluated;
            c.rankings = rankings.clone();
        }
        Event::AwardDecided { decision } => {
            c.status = Status::AwardDecided;
            c.award = Some(decision.clone());
        }
        Event::AwardNoticeIssued { notice, .. } => {
            c.status = if notice.standstill.is_some() {
                Status::Standstill
            } else {
                Status::AwardDecided
            };
            c.notice = Some(notice.clone());
        }
        Event::StandstillEnded { .. } => {}
        Event::Awarded { contracts, .. } => {
            c.status = Status::Awarded;
            c.contracts = contracts.clone();
        }
        Event::Cancelled { closure, .. } => {
            c.status = Status::Cancelled {
                reason: closure.reason.clone(),
            };
            c.closure = Some(closure.clone());
        }
        Event::ClosedUnsuccessful { closure, .. } => {
            c.status = Status::Unsuccessful {
                reason: closure.reason.clone(),
            };
            c.closure = Some(closure.clone());
        }
    }
    c
}
