//! The competitions scheduler: moves competitions on when their time comes (the
//! tender deadline passes, the standstill ends and the contracts are awarded) and
//! sends the domain's reminder of a tender deadline when it falls due
//! ([`consort_core::competition::Competition::reminder_due`]).
//!
//! Safe with several server instances: on PostgreSQL one instance at a time runs
//! the loop under a transaction-scoped advisory lock (the others return at once),
//! each competition is advanced in its own write transaction only if its version
//! has not moved since it was found due, and every email has a dedupe key.

use crate::competitions::{
    SYSTEM_ACTOR, audience_suppliers, command_in, dedupe_key, email_body, email_subject, load_in,
    parse_time, supplier_addresses,
};
use crate::outbox::{self, EmailKind, NewEmail};
use crate::{Backend, Result, Store};
use consort_core::audit::{AuditEvent, format_time};
use consort_core::competition::{Command, Status};
use jiff::Timestamp;
use serde_json::json;

/// The advisory lock that lets one PostgreSQL instance run the scheduler at a time.
const SCHEDULER_LOCK: i64 = 4_721_002;

impl Store {
    /// The scheduler: every competition whose next_due <= now gets Command::Tick
    /// (deadline passed, standstill ended → awarded, contracts into the register),
    /// and every published competition whose reminder is due sends it. Returns how many competitions advanced. A competition that fails
    /// to advance is logged and left for the next run; the others go on.
    ///
    /// Safe with several instances: optimistic version check + PG `pg_try_advisory_xact_lock`,
    /// the loser skips; notifications deduplicated by key.
    pub async fn advance_due_competitions(&self) -> Result<usize> {
        let guard = match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let (won,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(SCHEDULER_LOCK)
                    .fetch_one(&mut *tx)
                    .await?;
                if !won {
                    return Ok(0);
                }
                Some(tx)
            }
        };
        let advanced = self.advance_due_now().await;
        if let Some(tx) = guard {
            tx.rollback().await?;
        }
        advanced
    }

    async fn advance_due_now(&self) -> Result<usize> {
        let now = format_time(self.clock.now());
        let due: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, version FROM competitions
             WHERE next_due IS NOT NULL AND next_due <= $1 ORDER BY next_due, id",
        )
        .bind(&now)
        .fetch_all(&self.pool)
        .await?;
        let mut advanced = 0;
        for (id, version) in due {
            match self.tick(id, version).await {
                Ok(true) => advanced += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(competition = id, error = %e, "could not advance a competition")
                }
            }
        }
        let reminders: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM competitions
             WHERE status = 'published' AND reminder_due IS NOT NULL AND reminder_due <= $1
             ORDER BY reminder_due, id",
        )
        .bind(&now)
        .fetch_all(&self.pool)
        .await?;
        for (id,) in reminders {
            if let Err(e) = self.send_deadline_reminder(id).await {
                tracing::error!(competition = id, error = %e, "could not send a deadline reminder");
            }
        }
        Ok(advanced)
    }

    /// Ticks one competition if it is still at `version` and still due. Returns
    /// whether it advanced.
    async fn tick(&self, id: i64, version: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        let due = record.competition.next_due().is_some_and(|at| at <= w.now);
        if record.version != version || !due {
            return Ok(false);
        }
        let (_, events) = command_in(&mut w, record, SYSTEM_ACTOR, Command::Tick).await?;
        if events.is_empty() {
            return Ok(false);
        }
        w.commit().await?;
        Ok(true)
    }

    /// Sends one reminder of the tender deadline to every person acting for an
    /// invited or interested supplier, once per deadline.
    async fn send_deadline_reminder(&self, id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        let (due,): (Option<String>,) =
            sqlx::query_as("SELECT reminder_due FROM competitions WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?;
        let due = due
            .map(|d| parse_time(&d, "competitions.reminder_due"))
            .transpose()?;
        let c = &record.competition;
        let (Some(due), Some(deadline)) = (due, c.deadline()) else {
            return Ok(());
        };
        if c.status != Status::Published || due > w.now {
            return Ok(());
        }
        let mut sent = 0;
        if let Some(notice) = c.deadline_reminder(w.now) {
            let suppliers = audience_suppliers(&mut w, id, c, &notice.audience).await?;
            let prefix = format!("competition:{id}:reminder:{}", format_time(deadline));
            for address in supplier_addresses(&mut w, &suppliers).await? {
                let email = NewEmail {
                    kind: EmailKind::DeadlineReminder,
                    subject: email_subject(&record.reference, &notice.subject),
                    body_text: email_body(&record.reference, &notice.body),
                    body_html: None,
                    dedupe_key: dedupe_key(&prefix, &address),
                    not_before: None,
                    to: address,
                };
                sent += usize::from(outbox::enqueue(&mut w, &email).await?);
            }
        }
        sqlx::query("UPDATE competitions SET reminder_due = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(AuditEvent::new(
            SYSTEM_ACTOR,
            Some(c.content.buyer.as_str()),
            "competition.deadline_reminder_sent",
            json!({
                "competition": record.reference,
                "deadline": format_time(deadline),
                "emails": sent,
            }),
        ))
        .await?;
        w.commit().await
    }

    /// The earliest instant the scheduler has something to do: a deadline or
    /// standstill end to pass, or a reminder to send.
    pub async fn next_competition_due(&self) -> Result<Option<Timestamp>> {
        let (next,): (Option<String>,) = sqlx::query_as(
            "SELECT MIN(at) FROM (
                 SELECT next_due AS at FROM competitions WHERE next_due IS NOT NULL
                 UNION ALL
                 SELECT reminder_due AS at FROM competitions
                  WHERE status = 'published' AND reminder_due IS NOT NULL) due",
        )
        .fetch_one(&self.pool)
        .await?;
        next.map(|t| parse_time(&t, "competitions.next_due"))
            .transpose()
    }
}
