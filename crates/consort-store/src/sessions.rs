//! Sessions (stored by the SHA-256 of their token, never the token itself) and
//! the record of sign-in attempts that rate limiting counts.

use crate::{Result, Store, WriteTx};
use consort_core::audit::{AuditEvent, format_time};
use consort_core::sign_in::{RecentFailures, Throttled, WINDOW, check_throttle, session_is_live};
use jiff::Timestamp;
use serde_json::json;

/// A live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRecord {
    /// Whose session it is.
    pub user_id: i64,
}

/// One attempt to sign in (or to prove a password again, when changing it).
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    /// The account's email address (lower case).
    pub email: &'a str,
    /// The network address it came from.
    pub address: &'a str,
}

fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

impl Store {
    /// Starts a session for `user_id`, stored under `token_hash`; audited as
    /// `user.signed_in`.
    pub async fn create_session(&self, user_id: i64, email: &str, token_hash: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let now = w.now_text();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        w.audit(AuditEvent::new(
            format!("user:{email}"),
            None,
            "user.signed_in",
            json!({ "user": user_id }),
        ))
        .await?;
        w.commit().await
    }

    /// The live session stored under `token_hash`, marking it used now. An
    /// expired session is deleted and not returned.
    pub async fn touch_session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let Some((user_id, created, last_seen)): Option<(i64, String, String)> = sqlx::query_as(
            "SELECT user_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let live = match (parse_time(&created), parse_time(&last_seen)) {
            (Some(c), Some(l)) => session_is_live(c, l, now),
            _ => false,
        };
        if !live {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        // Write at most once a minute per session, not on every request.
        if parse_time(&last_seen).is_some_and(|l| now.duration_since(l).as_secs() >= 60) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(format_time(now))
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(SessionRecord { user_id }))
    }

    /// Ends a session; audited as `user.signed_out` when there was one.
    pub async fn end_session(&self, token_hash: &str, email: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if ended > 0 {
            w.audit(AuditEvent::new(
                format!("user:{email}"),
                None,
                "user.signed_out",
                json!({}),
            ))
            .await?;
        }
        w.commit().await
    }

    /// Claims one password check for this account and address, or refuses it
    /// when the rate limits are reached. The count and the claim happen in one
    /// serialised write, so guesses sent all at once cannot slip past the limit:
    /// a claimed attempt counts as a failure until [`Store::settle_sign_in_attempt`]
    /// marks it a success. Attempts are not audit events: anyone can cause them,
    /// and they must not flood the audit log.
    pub async fn claim_sign_in_attempt(
        &self,
        attempt: SignInAttempt<'_>,
    ) -> Result<Result<i64, Throttled>> {
        let mut w = self.begin_write().await?;
        let (account, by_address) = recent_failures(&mut w, attempt.email, attempt.address).await?;
        if let Err(throttled) = check_throttle(account, by_address, w.now) {
            return Ok(Err(throttled));
        }
        let now = w.now_text();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO sign_in_attempts (email, address, at, succeeded) VALUES ($1, $2, $3, 0) RETURNING id",
        )
        .bind(attempt.email)
        .bind(attempt.address)
        .bind(&now)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(Ok(id))
    }

    /// Marks a claimed attempt as having given the right password, which also
    /// clears the account's count of failures.
    pub async fn settle_sign_in_attempt(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sign_in_attempts SET succeeded = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed sign-ins within the rate-limiting window: for the account (since its
    /// last success) and for the address.
    pub async fn recent_sign_in_failures(
        &self,
        email: &str,
        address: &str,
    ) -> Result<(RecentFailures, RecentFailures)> {
        let mut w = self.begin_write().await?;
        let out = recent_failures(&mut w, email, address).await?;
        w.commit().await?;
        Ok(out)
    }
}

async fn recent_failures(
    w: &mut WriteTx,
    email: &str,
    address: &str,
) -> Result<(RecentFailures, RecentFailures)> {
    let since = format_time(w.now - WINDOW);
    let account: (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM sign_in_attempts
         WHERE email = $1 AND succeeded = 0 AND at > $2
           AND at > COALESCE((SELECT MAX(at) FROM sign_in_attempts WHERE email = $1 AND succeeded = 1), '')",
    )
    .bind(email)
    .bind(&since)
    .fetch_one(&mut *w.tx)
    .await?;
    let by_address: (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM sign_in_attempts WHERE address = $1 AND succeeded = 0 AND at > $2",
    )
    .bind(address)
    .bind(&since)
    .fetch_one(&mut *w.tx)
    .await?;
    let recent = |(count, oldest): (i64, Option<String>)| RecentFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        oldest: oldest.as_deref().and_then(parse_time),
    };
    Ok((recent(account), recent(by_address)))
}
