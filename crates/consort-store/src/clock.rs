//! The store's source of time: the system clock in service, a clock that tests
//! move by hand, and, for end-to-end tests of a running server, the system clock
//! shifted by a number of seconds read from a file the test rewrites.

use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the time comes from.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<Timestamp>>>,
    offset_file: Option<Arc<PathBuf>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The system clock shifted by the whole number of seconds written in `path`
    /// (missing, empty or unreadable means no shift). Lets an end-to-end test move
    /// a running server past a deadline without waiting; never for production.
    pub fn shifted_by_file(path: &Path) -> Self {
        Self {
            fixed: None,
            offset_file: Some(Arc::new(path.to_path_buf())),
        }
    }

    /// A clock that stands at `at` until moved with [`Clock::advance`].
    pub fn manual(at: Timestamp) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(at))),
            offset_file: None,
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match &self.fixed {
            Some(t) => *t.lock().expect("clock lock"),
            None => match &self.offset_file {
                Some(path) => Timestamp::now() + SignedDuration::from_secs(read_offset(path)),
                None => Timestamp::now(),
            },
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

fn read_offset(path: &Path) -> i64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_follows_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offset");
        let clock = Clock::shifted_by_file(&path);
        let unshifted = clock.now();
        assert!((unshifted - Timestamp::now()).abs() < SignedDuration::from_secs(5));
        std::fs::write(&path, "86400\n").unwrap();
        let shifted = clock.now();
        assert!(shifted - unshifted >= SignedDuration::from_secs(86_400));
        std::fs::write(&path, "not a number").unwrap();
        assert!((clock.now() - Timestamp::now()).abs() < SignedDuration::from_secs(5));
    }
}
