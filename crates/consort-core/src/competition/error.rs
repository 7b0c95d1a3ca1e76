//! Why a competition refuses a command or a bid: each message names the field or
//! the rule and the reason, in words shown to people as they are.

use super::london_text;
use crate::ids::{Email, OrgId};
use jiff::Timestamp;

/// A refusal. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompetitionError {
    /// The command is not possible in the competition's present state.
    #[error("cannot {action}: the competition is {state}")]
    NotInState {
        /// What was attempted, e.g. `publish`.
        action: &'static str,
        /// The state it is in, e.g. `published`.
        state: String,
    },
    /// The tender deadline is earlier than the minimum tendering period allows.
    #[error(
        "tender_deadline: {} is too soon: the minimum tendering period from publication on {published_on} ends {}, so the earliest lawful deadline is {} ({citation})",
        london_text(.deadline), .rule, london_text(.earliest)
    )]
    DeadlineTooSoon {
        /// The deadline asked for.
        deadline: Timestamp,
        /// The earliest deadline the law allows.
        earliest: Timestamp,
        /// The day of publication the period is counted from.
        published_on: jiff::civil::Date,
        /// How the period's end is read, e.g. "with 2027-01-01 (any time that day)".
        rule: String,
        /// The section or regulation and its fact id.
        citation: String,
    },
    /// An amendment may extend the deadline but never bring it forward.
    #[error(
        "new_deadline: {} is earlier than the current tender deadline {}: an amendment may extend the deadline but not bring it forward",
        london_text(.requested), london_text(.current)
    )]
    DeadlineBroughtForward {
        /// The current deadline.
        current: Timestamp,
        /// The deadline asked for.
        requested: Timestamp,
    },
    /// The award criteria's weights do not add up to 100.
    #[error("weights: the criteria's weights add up to {total}, not 100")]
    WeightsDoNotSum {
        /// What they add up to.
        total: u64,
    },
    /// The second opener is the first one again.
    #[error(
        "opener: {opener} has already approved the opening; a second opener must be a different person"
    )]
    SameOpenerTwice {
        /// The person who tried twice.
        opener: Email,
    },
    /// A person without the right to do something tried it.
    #[error("{who} may not {action}: {reason}")]
    NotAuthorised {
        /// Who tried.
        who: String,
        /// What they tried.
        action: &'static str,
        /// Why not.
        reason: String,
    },
    /// The supplier may not bid or ask: the competition is by invitation.
    #[error("supplier: {supplier} is not invited to this competition")]
    NotEligible {
        /// The supplier.
        supplier: OrgId,
    },
    /// Too late: the tender deadline has passed.
    #[error("the tender deadline {} has passed: nothing can be submitted or changed", london_text(.deadline))]
    AfterDeadline {
        /// The deadline.
        deadline: Timestamp,
    },
    /// Too early: the tender deadline has not yet passed.
    #[error("bids cannot be opened before the tender deadline {}", london_text(.deadline))]
    BeforeDeadline {
        /// The deadline.
        deadline: Timestamp,
    },
    /// The competition no longer takes questions or bids.
    #[error("the competition is closed: {why}")]
    Closed {
        /// Why, e.g. "it was cancelled" or "the tender deadline … has passed".
        why: String,
    },
    /// A bid's price for a line is not an amount of money.
    #[error("price for line '{line}' {problem}: '{input}'")]
    InvalidPrice {
        /// The price schedule line.
        line: String,
        /// What was typed.
        input: String,
        /// What is wrong: "is not a number", "has fractions of a penny", …
        problem: String,
    },
    /// The legal clock could not compute a period (e.g. a date outside its data).
    #[error("{field}: {reason}")]
    Clock {
        /// The field whose date was used.
        field: &'static str,
        /// The clock's explanation.
        reason: String,
    },
    /// Anything else that is wrong with a field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, e.g. `title` or `criteria.questions[Q2].weight`.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

impl CompetitionError {
    /// An [`CompetitionError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CompetitionError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The field or rule the error is about, for placing it next to a form field.
    pub fn field(&self) -> &str {
        match self {
            CompetitionError::NotInState { .. } => "state",
            CompetitionError::DeadlineTooSoon { .. } => "tender_deadline",
            CompetitionError::DeadlineBroughtForward { .. } => "new_deadline",
            CompetitionError::WeightsDoNotSum { .. } => "weights",
            CompetitionError::SameOpenerTwice { .. } => "opener",
            CompetitionError::NotAuthorised { .. } => "actor",
            CompetitionError::NotEligible { .. } => "supplier",
            CompetitionError::AfterDeadline { .. } | CompetitionError::BeforeDeadline { .. } => {
                "tender_deadline"
            }
            CompetitionError::Closed { .. } => "state",
            CompetitionError::InvalidPrice { .. } => "prices",
            CompetitionError::Clock { field, .. } => field,
            CompetitionError::Invalid { field, .. } => field,
        }
    }
}
