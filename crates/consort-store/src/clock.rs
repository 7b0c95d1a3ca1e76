//! The store's source of time: the system clock in service, a clock that tests
//! move by hand.

use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, Mutex};

/// Where the time comes from.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<Timestamp>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands at `at` until moved with [`Clock::advance`].
    pub fn manual(at: Timestamp) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match &self.fixed {
            Some(t) => *t.lock().expect("clock lock"),
            None => Timestamp::now(),
        }
    }

    /// Moves a manual clock forward. Does nothing to the system clock.
    pub fn advance(&self, by: SignedDuration) {
        if let Some(t) = &self.fixed {
            let mut t = t.lock().expect("clock lock");
            *t += by;
        }
    }
}
