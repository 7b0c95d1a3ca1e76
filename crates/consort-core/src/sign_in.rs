//! The rules of signing in: how many failures are tolerated before an account or
//! an address must wait, and how long a session lasts.

use jiff::{SignedDuration, Timestamp};

/// Failed sign-ins allowed for one account within [`WINDOW`].
pub const ACCOUNT_FAILURES_ALLOWED: u32 = 5;
/// Failed sign-ins allowed from one network address within [`WINDOW`].
pub const ADDRESS_FAILURES_ALLOWED: u32 = 20;
/// The sliding window over which failures are counted.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// A session ends after this long without a request.
pub const SESSION_IDLE: SignedDuration = SignedDuration::from_mins(30);
/// A session ends this long after sign-in, however active.
pub const SESSION_MAX: SignedDuration = SignedDuration::from_hours(12);

/// Failed sign-ins counted within [`WINDOW`] before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecentFailures {
    /// How many.
    pub count: u32,
    /// When the oldest of them happened.
    pub oldest: Option<Timestamp>,
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// Too many failures for this account.
    Account,
    /// Too many failures from this address.
    Address,
}

/// A sign-in refused before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-in attempts: try again in {} minutes", (self.retry_after.as_secs() + 59) / 60)]
pub struct Throttled {
    /// Which limit was reached.
    pub scope: ThrottleScope,
    /// How long until one more attempt is allowed.
    pub retry_after: SignedDuration,
}

/// Decides whether a sign-in attempt may go ahead. Refused attempts are not
/// themselves counted, so the wait is bounded by [`WINDOW`].
pub fn check_throttle(
    account: RecentFailures,
    address: RecentFailures,
    now: Timestamp,
) -> Result<(), Throttled> {
    let limit = |failures: RecentFailures, allowed: u32, scope| {
        if failures.count < allowed {
            return None;
        }
        let oldest = failures.oldest.unwrap_or(now);
        let retry_after = (oldest + WINDOW)
            .duration_since(now)
            .max(SignedDuration::from_secs(1));
        Some(Throttled { scope, retry_after })
    };
    match (
        limit(account, ACCOUNT_FAILURES_ALLOWED, ThrottleScope::Account),
        limit(address, ADDRESS_FAILURES_ALLOWED, ThrottleScope::Address),
    ) {
        (None, None) => Ok(()),
        (Some(t), None) | (None, Some(t)) => Err(t),
        (Some(a), Some(b)) => Err(if a.retry_after >= b.retry_after { a } else { b }),
    }
}

/// Whether a session begun at `created` and last used at `last_seen` is still good.
pub fn session_is_live(created: Timestamp, last_seen: Timestamp, now: Timestamp) -> bool {
    now.duration_since(created) < SESSION_MAX && now.duration_since(last_seen) < SESSION_IDLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn failures(count: u32, oldest: i64) -> RecentFailures {
        RecentFailures {
            count,
            oldest: Some(t(oldest)),
        }
    }

    #[test]
    fn five_account_failures_lock_until_the_oldest_leaves_the_window() {
        let now = t(600);
        assert!(check_throttle(failures(4, 0), RecentFailures::default(), now).is_ok());
        let err = check_throttle(failures(5, 0), RecentFailures::default(), now).unwrap_err();
        assert_eq!(err.scope, ThrottleScope::Account);
        assert_eq!(err.retry_after, SignedDuration::from_secs(300));
        assert!(err.to_string().contains("5 minutes"), "{err}");
    }

    #[test]
    fn an_address_trying_many_accounts_is_limited() {
        let err = check_throttle(RecentFailures::default(), failures(20, 100), t(200)).unwrap_err();
        assert_eq!(err.scope, ThrottleScope::Address);
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        assert!(session_is_live(t(0), t(0), t(60)));
        assert!(!session_is_live(t(0), t(0), t(31 * 60)));
        assert!(session_is_live(t(0), t(11 * 3600), t(11 * 3600 + 60)));
        assert!(!session_is_live(t(0), t(12 * 3600 - 10), t(12 * 3600)));
    }

    proptest! {
        #[test]
        fn the_wait_never_exceeds_the_window(count in 0u32..50, age in 0i64..900, acount in 0u32..50) {
            let now = t(1000);
            match check_throttle(failures(count, 1000 - age), failures(acount, 1000 - age), now) {
                Ok(()) => prop_assert!(count < ACCOUNT_FAILURES_ALLOWED && acount < ADDRESS_FAILURES_ALLOWED),
                Err(e) => {
                    prop_assert!(e.retry_after <= WINDOW);
                    prop_assert!(e.retry_after >= SignedDuration::from_secs(1));
                }
            }
        }
    }
}
