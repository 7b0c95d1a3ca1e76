//! The audit log as stored: appended inside the transaction of the change it
//! records, read back newest first, and verified end to end.

use crate::{Result, Store};
use consort_core::audit::{AuditEntry, AuditEvent, ChainBreak, ChainVerifier};
use futures_util::TryStreamExt;
use sqlx::Row;

pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    event: &AuditEvent,
    now: jiff::Timestamp,
) -> Result<AuditEntry> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let entry = AuditEntry::next(last.as_ref().map(|(s, h)| (*s, h.as_str())), event, now);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, org, kind, payload, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(&entry.actor)
    .bind(&entry.org)
    .bind(&entry.kind)
    .bind(&entry.payload)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    Ok(entry)
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        org: row.try_get("org")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries on this page.
    pub entries: Vec<AuditEntry>,
    /// How many entries the log holds.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// How many pages there are (at least 1).
    pub pages: i64,
}

impl Store {
    /// Reads page `page` (from 1) of the audit log, `per_page` entries a page,
    /// newest first.
    pub async fn audit_page(&self, page: i64, per_page: i64) -> Result<AuditPage> {
        let per_page = per_page.clamp(1, 500);
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        let pages = ((total + per_page - 1) / per_page).max(1);
        let page = page.clamp(1, pages);
        let rows = sqlx::query(
            "SELECT seq, at, actor, org, kind, payload, prev_hash, hash FROM audit_log
             ORDER BY seq DESC LIMIT $1 OFFSET $2",
        )
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok(AuditPage {
            entries,
            total,
            page,
            pages,
        })
    }

    /// Recomputes the whole chain, streaming it in sequence order. Returns the
    /// number of entries, or the first entry that does not hold.
    pub async fn audit_verify(&self) -> Result<Result<u64, ChainBreak>> {
        let mut verifier = ChainVerifier::new();
        let mut rows = sqlx::query(
            "SELECT seq, at, actor, org, kind, payload, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            if let Err(e) = verifier.check(&entry_from_row(&row)?) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(verifier.count()))
    }

    /// Records an event that changes nothing else (a sign-out, say) in the log.
    pub async fn audit_record(&self, event: AuditEvent) -> Result<AuditEntry> {
        let mut w = self.begin_write().await?;
        let entry = w.audit(event).await?;
        w.commit().await?;
        Ok(entry)
    }
}
