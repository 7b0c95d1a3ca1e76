//! Exit windows: the earliest and latest dates a contract can end.

use super::Contract;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The span of dates within which a contract can be brought to an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExitWindow {
    /// The earliest date it can end: the break date if there is one, else the end date.
    pub earliest: Date,
    /// The latest: the end date with every extension option taken.
    pub latest: Date,
}

impl ExitWindow {
    /// The window of `contract`, or `None` when it has no end date.
    pub fn of(contract: &Contract) -> Option<Self> {
        let end = contract.end?;
        let earliest = contract.break_date.map_or(end, |b| b.min(end));
        let latest = contract
            .extensions
            .iter()
            .fold(end, |d, span| span.after(d));
        Some(Self { earliest, latest })
    }

    /// Whether `date` falls within the window (both ends included).
    pub fn contains(&self, date: Date) -> bool {
        self.earliest <= date && date <= self.latest
    }
}
