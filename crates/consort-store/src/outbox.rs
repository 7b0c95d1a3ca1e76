//! The email outbox. A change that should tell someone writes its message here in
//! the same transaction ([`enqueue`]), so the change and its notification commit
//! or roll back together. A background worker then claims due messages under a
//! lease ([`Store::claim_emails`]), sends them and marks each sent or failed;
//! failures are retried with exponential backoff until [`MAX_EMAIL_ATTEMPTS`].
//!
//! Claiming never takes the audit write lock: on PostgreSQL rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several server instances share the queue without
//! waiting on each other or taking the same row; on SQLite the claim runs in a
//! `BEGIN IMMEDIATE` transaction, which serialises claimers on the one file.

use crate::{Backend, Result, Store, StoreError, WriteTx};
use consort_core::Email;
use consort_core::audit::{AuditEvent, format_time};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::Duration;

/// After this many failed attempts a message is given up and marked failed.
pub const MAX_EMAIL_ATTEMPTS: u32 = 12;

const FIRST_RETRY_DELAY: Duration = Duration::from_secs(30);
const LONGEST_RETRY_DELAY: Duration = Duration::from_secs(60 * 60);
pub(crate) const SUBJECT_MAX_CHARS: usize = 250;
pub(crate) const DEDUPE_KEY_MAX_CHARS: usize = 200;
const LAST_ERROR_MAX_CHARS: usize = 1000;

/// How long to wait before trying a message again after its `failed_attempts`-th
/// failure: 30 seconds after the first, doubling each time, never more than an
/// hour.
pub fn email_retry_delay(failed_attempts: u32) -> Duration {
    let doublings = failed_attempts.saturating_sub(1).min(16);
    FIRST_RETRY_DELAY
        .saturating_mul(1 << doublings)
        .min(LONGEST_RETRY_DELAY)
}

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    /// An invitation to take part (in a competition, or to an account).
    Invitation,
    /// The published answer to a clarification question.
    ClarificationAnswer,
    /// A change to a procurement's documents or timetable.
    Amendment,
    /// A deadline is near.
    DeadlineReminder,
    /// The result of a procurement.
    Outcome,
}

impl EmailKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EmailKind; 5] = [
        EmailKind::Invitation,
        EmailKind::ClarificationAnswer,
        EmailKind::Amendment,
        EmailKind::DeadlineReminder,
        EmailKind::Outcome,
    ];

    /// The kind as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Invitation => "invitation",
            EmailKind::ClarificationAnswer => "clarification_answer",
            EmailKind::Amendment => "amendment",
            EmailKind::DeadlineReminder => "deadline_reminder",
            EmailKind::Outcome => "outcome",
        }
    }

    /// The kind stored as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up after [`MAX_EMAIL_ATTEMPTS`] failures.
    Failed,
}

impl EmailStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [EmailStatus::Pending, EmailStatus::Sent, EmailStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    /// Why it is sent.
    pub kind: EmailKind,
    /// The one recipient.
    pub to: Email,
    /// The subject line: one line, at most 250 characters.
    pub subject: String,
    /// The plain-text body, always sent.
    pub body_text: String,
    /// An HTML alternative to the plain-text body.
    pub body_html: Option<String>,
    /// Names the logical message (for example `invitation:competition-7:GB-COH-1`),
    /// so that queuing it again does nothing.
    pub dedupe_key: String,
    /// Not to be sent before this instant (a reminder, say); `None` sends at once.
    pub not_before: Option<Timestamp>,
}

/// A message claimed by a worker, to send before its lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEmail {
    /// The outbox row; stable across attempts, so it can name the message.
    pub id: i64,
    /// Why it is sent.
    pub kind: EmailKind,
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: String,
    /// The HTML alternative, if any.
    pub body_html: Option<String>,
    /// The key that names the logical message.
    pub dedupe_key: String,
    /// When it was queued.
    pub created_at: Timestamp,
    /// How many attempts have failed before this one.
    pub attempts: u32,
    /// When the claim lapses and another worker may take the message.
    pub claimed_until: Timestamp,
}

/// A message as stored, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEmail {
    /// The outbox row.
    pub id: i64,
    /// Why it is sent.
    pub kind: EmailKind,
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: String,
    /// The HTML alternative, if any.
    pub body_html: Option<String>,
    /// The key that names the logical message.
    pub dedupe_key: String,
    /// Where it is in its life.
    pub status: EmailStatus,
    /// How many attempts have failed.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it is next due (while pending).
    pub next_attempt_at: Timestamp,
    /// The worker holding (or that last held) it.
    pub claimed_by: Option<String>,
    /// When the current claim lapses.
    pub claimed_until: Option<Timestamp>,
    /// What went wrong on the last failed attempt.
    pub last_error: Option<String>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<Timestamp>,
}

/// How many messages are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    /// Waiting to be sent or retried.
    pub pending: u64,
    /// Sent.
    pub sent: u64,
    /// Given up.
    pub failed: u64,
}

/// What became of a message after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// It will be tried again at `at`.
    Retry {
        /// Failed attempts so far.
        attempts: u32,
        /// When it is next due.
        at: Timestamp,
    },
    /// It has failed [`MAX_EMAIL_ATTEMPTS`] times and is marked failed.
    GaveUp {
        /// Failed attempts in all.
        attempts: u32,
    },
    /// The worker no longer held the message (its lease lapsed and another worker
    /// took it, or it was released), so nothing was changed.
    NotHeld,
}

fn refused(field: &str, reason: &str) -> StoreError {
    StoreError::Refused(format!("email {field}: {reason}"))
}

fn check_new_email(email: &NewEmail) -> Result<()> {
    let subject = email.subject.trim();
    if subject.is_empty() {
        return Err(refused("subject", "enter a subject"));
    }
    if email.subject.contains(['\r', '\n']) {
        return Err(refused("subject", "must be a single line"));
    }
    if email.subject.chars().count() > SUBJECT_MAX_CHARS {
        return Err(refused(
            "subject",
            &format!("must be at most {SUBJECT_MAX_CHARS} characters"),
        ));
    }
    if email.body_text.trim().is_empty() {
        return Err(refused("body_text", "the plain-text body is empty"));
    }
    if email
        .body_html
        .as_deref()
        .is_some_and(|html| html.trim().is_empty())
    {
        return Err(refused(
            "body_html",
            "the HTML body is empty: leave it out instead",
        ));
    }
    let key = email.dedupe_key.as_str();
    if key.trim().is_empty() {
        return Err(refused("dedupe_key", "enter a key naming the message"));
    }
    if key.chars().count() > DEDUPE_KEY_MAX_CHARS {
        return Err(refused(
            "dedupe_key",
            &format!("must be at most {DEDUPE_KEY_MAX_CHARS} characters"),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(refused("dedupe_key", "must not contain control characters"));
    }
    Ok(())
}

fn check_worker(worker: &str) -> Result<()> {
    if worker.trim().is_empty() {
        return Err(StoreError::Refused(
            "email worker: the worker id is empty; give each worker a unique id".into(),
        ));
    }
    Ok(())
}

/// Queues `email` in the caller's transaction, so that it is sent only if the
/// change it reports commits. Returns whether it was queued: `false` when a
/// message with the same dedupe key is already in the outbox.
pub(crate) async fn enqueue(w: &mut WriteTx, email: &NewEmail) -> Result<bool> {
    insert(&mut w.tx, email, w.now).await
}

async fn insert(conn: &mut sqlx::AnyConnection, email: &NewEmail, now: Timestamp) -> Result<bool> {
    check_new_email(email)?;
    let due = email.not_before.map_or(now, |at| at.max(now));
    let inserted = sqlx::query(
        "INSERT INTO email_outbox
            (created_at, kind, to_address, subject, body_text, body_html, dedupe_key,
             status, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(format_time(now))
    .bind(email.kind.as_str())
    .bind(email.to.as_str())
    .bind(email.subject.trim())
    .bind(&email.body_text)
    .bind(email.body_html.as_deref())
    .bind(&email.dedupe_key)
    .bind(format_time(due))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

const CLAIM_SQLITE: &str = "UPDATE email_outbox SET claimed_by = $1, claimed_until = $2
    WHERE id IN (
        SELECT id FROM email_outbox
        WHERE status = 'pending' AND next_attempt_at <= $3
          AND (claimed_until IS NULL OR claimed_until <= $3)
        ORDER BY next_attempt_at, id
        LIMIT $4)
    RETURNING id, kind, to_address, subject, body_text, body_html, dedupe_key,
              created_at, attempts, claimed_until";

const CLAIM_POSTGRES: &str = "UPDATE email_outbox SET claimed_by = $1, claimed_until = $2
    WHERE id IN (
        SELECT id FROM email_outbox
        WHERE status = 'pending' AND next_attempt_at <= $3
          AND (claimed_until IS NULL OR claimed_until <= $3)
        ORDER BY next_attempt_at, id
        LIMIT $4
        FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, to_address, subject, body_text, body_html, dedupe_key,
              created_at, attempts, claimed_until";

const EMAIL_COLUMNS: &str = "id, kind, to_address, subject, body_text, body_html, dedupe_key,
    status, attempts, created_at, next_attempt_at, claimed_by, claimed_until, last_error, sent_at";

fn corrupt(field: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("email_outbox.{field} holds '{value}'"))
}

fn time_column(row: &AnyRow, field: &str) -> Result<Timestamp> {
    let text: String = row.try_get(field)?;
    text.parse().map_err(|_| corrupt(field, &text))
}

fn optional_time_column(row: &AnyRow, field: &str) -> Result<Option<Timestamp>> {
    let text: Option<String> = row.try_get(field)?;
    text.map(|t| t.parse().map_err(|_| corrupt(field, &t)))
        .transpose()
}

fn kind_column(row: &AnyRow) -> Result<EmailKind> {
    let text: String = row.try_get("kind")?;
    EmailKind::parse(&text).ok_or_else(|| corrupt("kind", &text))
}

fn address_column(row: &AnyRow) -> Result<Email> {
    let text: String = row.try_get("to_address")?;
    Email::parse(&text).map_err(|_| corrupt("to_address", &text))
}

fn attempts_column(row: &AnyRow) -> Result<u32> {
    let n: i64 = row.try_get("attempts")?;
    u32::try_from(n).map_err(|_| corrupt("attempts", &n.to_string()))
}

fn claimed_from_row(row: &AnyRow) -> Result<ClaimedEmail> {
    Ok(ClaimedEmail {
        id: row.try_get("id")?,
        kind: kind_column(row)?,
        to: address_column(row)?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        dedupe_key: row.try_get("dedupe_key")?,
        created_at: time_column(row, "created_at")?,
        attempts: attempts_column(row)?,
        claimed_until: time_column(row, "claimed_until")?,
    })
}

fn stored_from_row(row: &AnyRow) -> Result<OutboxEmail> {
    let status: String = row.try_get("status")?;
    Ok(OutboxEmail {
        id: row.try_get("id")?,
        kind: kind_column(row)?,
        to: address_column(row)?,
        subject: row.try_get("subject")?,
        body_text: row.try_get("body_text")?,
        body_html: row.try_get("body_html")?,
        dedupe_key: row.try_get("dedupe_key")?,
        status: EmailStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        attempts: attempts_column(row)?,
        created_at: time_column(row, "created_at")?,
        next_attempt_at: time_column(row, "next_attempt_at")?,
        claimed_by: row.try_get("claimed_by")?,
        claimed_until: optional_time_column(row, "claimed_until")?,
        last_error: row.try_get("last_error")?,
        sent_at: optional_time_column(row, "sent_at")?,
    })
}

fn later_by(at: Timestamp, by: Duration) -> Result<Timestamp> {
    SignedDuration::try_from(by)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
        .ok_or_else(|| StoreError::Refused(format!("email lease: {by:?} is too long")))
}

fn truncated(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

impl Store {
    /// A transaction for the outbox alone. It does not take the audit write lock
    /// that [`Store::begin_write`] takes, so email never waits for other writes;
    /// SQLite still needs `BEGIN IMMEDIATE` so that a claim's read and write are
    /// one step.
    async fn begin_outbox(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Queues one message on its own, with `audit` recorded in the same
    /// transaction when given. Returns whether it was queued: `false` when a
    /// message with the same dedupe key is already in the outbox.
    pub async fn enqueue_email(&self, email: NewEmail, audit: Option<AuditEvent>) -> Result<bool> {
        Ok(self
            .enqueue_emails(std::slice::from_ref(&email), audit)
            .await?
            == 1)
    }

    /// Queues several messages all or nothing (one bad message queues none), with
    /// `audit` recorded in the same transaction when given. Returns how many were
    /// queued; messages whose dedupe key is already queued are left as they are.
    pub async fn enqueue_emails(
        &self,
        emails: &[NewEmail],
        audit: Option<AuditEvent>,
    ) -> Result<usize> {
        let mut queued = 0;
        if let Some(event) = audit {
            let mut w = self.begin_write().await?;
            for email in emails {
                queued += usize::from(enqueue(&mut w, email).await?);
            }
            w.audit(event).await?;
            w.commit().await?;
        } else {
            let mut tx = self.begin_outbox().await?;
            let now = self.clock.now();
            for email in emails {
                queued += usize::from(insert(&mut tx, email, now).await?);
            }
            tx.commit().await?;
        }
        Ok(queued)
    }

    /// Claims up to `limit` due messages for `worker` (a name unique to one
    /// worker in one process) for `lease`: until then no other worker can claim
    /// them. Pending messages whose earlier claim has lapsed are taken over.
    /// Messages come oldest due first.
    pub async fn claim_emails(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedEmail>> {
        check_worker(worker)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        if lease.is_zero() {
            return Err(StoreError::Refused(
                "email lease: must be longer than zero, or other workers could take the batch at once".into(),
            ));
        }
        let now = self.clock.now();
        let until = later_by(now, lease)?;
        let sql = match self.backend {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        };
        let mut tx = self.begin_outbox().await?;
        let rows = sqlx::query(sql)
            .bind(worker)
            .bind(format_time(until))
            .bind(format_time(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(claimed_from_row)
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|e| e.id);
        Ok(claimed)
    }

    /// Marks message `id` sent, if `worker` still holds it. Returns whether it
    /// did: `false` means another worker has taken the message over.
    pub async fn mark_email_sent(&self, id: i64, worker: &str) -> Result<bool> {
        let now = format_time(self.clock.now());
        let marked = sqlx::query(
            "UPDATE email_outbox SET status = 'sent', sent_at = $1, claimed_until = NULL
             WHERE id = $2 AND claimed_by = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(marked > 0)
    }

    /// Records a failed attempt at message `id` by `worker`, if it still holds
    /// it: the message is released and due again after [`email_retry_delay`], or
    /// marked failed after [`MAX_EMAIL_ATTEMPTS`] failures.
    pub async fn mark_email_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
    ) -> Result<AfterFailure> {
        let now = self.clock.now();
        let Some((previous,)): Option<(i64,)> = sqlx::query_as(
            "SELECT attempts FROM email_outbox
             WHERE id = $1 AND claimed_by = $2 AND status = 'pending'",
        )
        .bind(id)
        .bind(worker)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(AfterFailure::NotHeld);
        };
        let attempts = u32::try_from(previous)
            .map_err(|_| corrupt("attempts", &previous.to_string()))?
            .saturating_add(1);
        let (status, next, outcome) = if attempts >= MAX_EMAIL_ATTEMPTS {
            (EmailStatus::Failed, now, AfterFailure::GaveUp { attempts })
        } else {
            let at = later_by(now, email_retry_delay(attempts))?;
            (
                EmailStatus::Pending,
                at,
                AfterFailure::Retry { attempts, at },
            )
        };
        // The attempts guard makes the read and the write one step: if another
        // worker changed the row in between, nothing is written.
        let updated = sqlx::query(
            "UPDATE email_outbox
             SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
                 claimed_by = NULL, claimed_until = NULL
             WHERE id = $5 AND claimed_by = $6 AND status = 'pending' AND attempts = $7",
        )
        .bind(status.as_str())
        .bind(i64::from(attempts))
        .bind(format_time(next))
        .bind(truncated(error, LAST_ERROR_MAX_CHARS))
        .bind(id)
        .bind(worker)
        .bind(previous)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(if updated > 0 {
            outcome
        } else {
            AfterFailure::NotHeld
        })
    }

    /// Gives back every message `worker` holds and has not sent, so that another
    /// worker can take them at once (a worker shutting down calls this). Returns
    /// how many were released.
    pub async fn release_email_claims(&self, worker: &str) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE email_outbox SET claimed_by = NULL, claimed_until = NULL
             WHERE claimed_by = $1 AND status = 'pending'",
        )
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// How many messages are pending, sent and failed.
    pub async fn outbox_summary(&self) -> Result<OutboxSummary> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM email_outbox GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let mut summary = OutboxSummary::default();
        for (status, count) in rows {
            let count = u64::try_from(count).unwrap_or_default();
            match EmailStatus::parse(&status) {
                Some(EmailStatus::Pending) => summary.pending = count,
                Some(EmailStatus::Sent) => summary.sent = count,
                Some(EmailStatus::Failed) => summary.failed = count,
                None => return Err(corrupt("status", &status)),
            }
        }
        Ok(summary)
    }

    /// Every message queued for `address`, oldest first.
    pub async fn emails_to(&self, address: &Email) -> Result<Vec<OutboxEmail>> {
        let sql =
            format!("SELECT {EMAIL_COLUMNS} FROM email_outbox WHERE to_address = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(address.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, StoreConfig};

    fn email(key: &str) -> NewEmail {
        NewEmail {
            kind: EmailKind::Amendment,
            to: Email::parse("supplier@example.co.uk").unwrap(),
            subject: "Amendment to the tender documents".into(),
            body_text: "Section 4 has changed.".into(),
            body_html: None,
            dedupe_key: key.into(),
            not_before: None,
        }
    }

    /// The in-transaction contract other modules rely on: a message queued in a
    /// write that is not committed is never seen.
    #[tokio::test]
    async fn a_message_queued_in_a_write_that_rolls_back_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &StoreConfig {
                data_dir: dir.path().to_path_buf(),
                database_url: None,
            },
            Clock::manual("2026-11-25T09:00:00Z".parse().unwrap()),
        )
        .await
        .unwrap();
        let mut w = store.begin_write().await.unwrap();
        assert!(enqueue(&mut w, &email("rolled-back")).await.unwrap());
        drop(w);
        let mut w = store.begin_write().await.unwrap();
        assert!(enqueue(&mut w, &email("committed")).await.unwrap());
        w.commit().await.unwrap();
        let kept = store
            .emails_to(&Email::parse("supplier@example.co.uk").unwrap())
            .await
            .unwrap();
        let keys: Vec<&str> = kept.iter().map(|e| e.dedupe_key.as_str()).collect();
        assert_eq!(keys, ["committed"]);
    }

    #[test]
    fn retry_delays_double_from_thirty_seconds_up_to_an_hour() {
        let delays: Vec<u64> = (1..=MAX_EMAIL_ATTEMPTS)
            .map(|n| email_retry_delay(n).as_secs())
            .collect();
        assert_eq!(
            delays,
            [
                30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600
            ]
        );
        assert_eq!(email_retry_delay(u32::MAX).as_secs(), 3600);
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in EmailKind::ALL {
            assert_eq!(EmailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EmailKind::parse("newsletter"), None);
    }
}
