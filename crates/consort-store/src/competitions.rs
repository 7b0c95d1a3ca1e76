//! Competitions as stored: a JSON snapshot of the domain's [`Competition`] with its
//! event history, the columns and tables queries need (status, deadline, the next
//! instant the scheduler has work, buyers, invited suppliers, evaluators),
//! procurement documents, the notifications each event sends and the OCDS releases
//! each public stage produces.
//!
//! Every change goes through [`command_in`]: the domain decides, and the events,
//! the new snapshot, one audit entry per event, the emails and the releases are
//! written in the caller's transaction, so they commit or roll back together.

use crate::contracts::insert_contract;
use crate::outbox::{self, DEDUPE_KEY_MAX_CHARS, EmailKind, NewEmail, SUBJECT_MAX_CHARS};
use crate::{BlobStore, Result, Store, StoreError, WriteTx};
use consort_core::audit::{AuditEvent, format_time};
use consort_core::competition::ocds::{self, ReleaseMeta};
use consort_core::competition::{
    Audience, Command, Competition, CompetitionRules, ContractDetails, DocumentRef, DraftContent,
    Eligibility, Event, Notice, Status, apply,
};
use consort_core::document::{ContentHash, UploadPolicy, describe_upload};
use consort_core::org::OrgKind;
use consort_core::policy::Actor;
use consort_core::register::{Contract, ContractStatus, Pence, Source};
use consort_core::{Email, OrgId};
use consort_vault::CompetitionSeal;
use jiff::Timestamp;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};

/// The prefix of every competition's OCDS ocid: `ocds-consort-CMP-00001`.
pub const OCID_PREFIX: &str = "ocds-consort";

/// The audit and event name of the scheduler.
pub(crate) const SYSTEM_ACTOR: &str = "system";

/// Audit payload strings longer than this are shortened (the full text is in
/// the competition's events).
const AUDIT_TEXT_MAX_CHARS: usize = 300;

/// A competition as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetitionRecord {
    /// The row id.
    pub id: i64,
    /// The reference people use, `CMP-00001`; also the domain id.
    pub reference: String,
    /// The consortium it is run for, if any.
    pub consortium_id: Option<i64>,
    /// Bumped by every change; commands may require the version they read.
    pub version: i64,
    /// The competition itself.
    pub competition: Competition,
    /// Whether the bid seal was set up (at publication).
    pub seal_ready: bool,
    /// The public key bids are sealed to, once the seal is set up.
    pub seal_recipient: Option<String>,
    /// Whether the bids have been opened.
    pub opened: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One line of a list of competitions.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetitionSummary {
    /// The row id.
    pub id: i64,
    /// The reference, `CMP-00001`.
    pub reference: String,
    /// The title.
    pub title: String,
    /// The lead buyer.
    pub buyer: OrgId,
    /// Where it stands.
    pub status: Status,
    /// The tender deadline, if set.
    pub deadline: Option<Timestamp>,
    /// How many suppliers have a current bid in.
    pub bids_received: i64,
}

/// One event in a competition's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCompetitionEvent {
    /// 1, 2, 3… within the competition.
    pub seq: i64,
    /// When it was stored.
    pub at: Timestamp,
    /// Who caused it (`user:<email>`, `system`).
    pub actor: String,
    /// The event's kind (`published`, `question_asked`, …).
    pub kind: String,
    /// The event as JSON.
    pub payload: Value,
}

/// A procurement document uploaded to a competition.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    /// The row id.
    pub id: i64,
    /// The document as the competition refers to it.
    pub reference: DocumentRef,
    /// When it was uploaded.
    pub uploaded_at: Timestamp,
}

/// The competition's reference for row `id`.
fn reference_for(id: i64) -> String {
    format!("CMP-{id:05}")
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn refused(e: consort_core::competition::CompetitionError) -> StoreError {
    StoreError::Domain(e)
}

/// Reads an instant stored as text; `what` names the column for the error.
pub(crate) fn parse_time(text: &str, what: &str) -> Result<Timestamp> {
    text.parse()
        .map_err(|_| corrupt(what, format!("'{text}' is not an instant")))
}

fn optional_time(text: Option<String>, what: &str) -> Result<Option<Timestamp>> {
    text.map(|t| parse_time(&t, what)).transpose()
}

fn parse_org(text: &str, what: &str) -> Result<OrgId> {
    OrgId::parse(text).map_err(|e| corrupt(what, e))
}

const RECORD_SELECT: &str = "SELECT id, reference, consortium_id, version, state, seal_recipient,
        CAST(CASE WHEN opened_key IS NULL THEN 0 ELSE 1 END AS BIGINT) AS opened,
        created_at, updated_at
    FROM competitions";

fn record_from_row(row: &AnyRow) -> Result<CompetitionRecord> {
    let reference: String = row.try_get("reference")?;
    let state: String = row.try_get("state")?;
    let competition: Competition = serde_json::from_str(&state)
        .map_err(|e| corrupt(&format!("competition {reference}'s state"), e))?;
    let seal_recipient: Option<String> = row.try_get("seal_recipient")?;
    let opened: i64 = row.try_get("opened")?;
    let created_at: String = row.try_get("created_at")?;
    let updated_at: String = row.try_get("updated_at")?;
    Ok(CompetitionRecord {
        id: row.try_get("id")?,
        consortium_id: row.try_get("consortium_id")?,
        version: row.try_get("version")?,
        competition,
        seal_ready: seal_recipient.is_some(),
        seal_recipient,
        opened: opened != 0,
        created_at: parse_time(&created_at, "competitions.created_at")?,
        updated_at: parse_time(&updated_at, "competitions.updated_at")?,
        reference,
    })
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.reference, c.title, c.buyer_org, c.status,
        c.status_reason, c.deadline,
        (SELECT COUNT(DISTINCT b.supplier_org) FROM bids b
          WHERE b.competition_id = c.id AND b.superseded = 0) AS bids_received
    FROM competitions c";

fn status_from(id: &str, reason: Option<String>) -> Result<Status> {
    Status::from_id(id, reason.unwrap_or_default())
        .ok_or_else(|| corrupt("competitions.status", id))
}

fn status_reason(status: &Status) -> Option<&str> {
    match status {
        Status::Cancelled { reason } | Status::Unsuccessful { reason } => Some(reason),
        _ => None,
    }
}

fn summary_from_row(row: &AnyRow) -> Result<CompetitionSummary> {
    let buyer: String = row.try_get("buyer_org")?;
    let status: String = row.try_get("status")?;
    Ok(CompetitionSummary {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        title: row.try_get("title")?,
        buyer: parse_org(&buyer, "competitions.buyer_org")?,
        status: status_from(&status, row.try_get("status_reason")?)?,
        deadline: optional_time(row.try_get("deadline")?, "competitions.deadline")?,
        bids_received: row.try_get("bids_received")?,
    })
}

/// The SQL bind parameters `$first, $first+1, …`, `n` of them, for an `IN (…)` list.
fn numbered_params(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn document_from_row(row: &AnyRow) -> Result<StoredDocument> {
    let size: i64 = row.try_get("size_bytes")?;
    let uploaded_at: String = row.try_get("uploaded_at")?;
    Ok(StoredDocument {
        id: row.try_get("id")?,
        reference: DocumentRef {
            sha256_hex: row.try_get("content_hash")?,
            file_name: row.try_get("file_name")?,
            media_type: row.try_get("media_type")?,
            size_bytes: u64::try_from(size)
                .map_err(|_| corrupt("competition_documents.size_bytes", size))?,
        },
        uploaded_at: parse_time(&uploaded_at, "competition_documents.uploaded_at")?,
    })
}

const DOCUMENT_COLUMNS: &str =
    "id, content_hash, file_name, media_type, size_bytes, uploaded_at FROM competition_documents";

/// The person a command is made in the name of, with the field naming them.
fn person_named(command: &Command) -> Option<(&'static str, &Email)> {
    match command {
        Command::ReviseDraft { by, .. }
        | Command::SetRules { by, .. }
        | Command::AssignEvaluators { by, .. }
        | Command::Publish { by }
        | Command::AnswerQuestion { by, .. }
        | Command::Amend { by, .. }
        | Command::StartModeration { by }
        | Command::CompleteEvaluation { by }
        | Command::DecideAward { by, .. }
        | Command::IssueAwardNotice { by }
        | Command::Cancel { by, .. }
        | Command::CloseUnsuccessful { by, .. } => Some(("by", by)),
        Command::AskQuestion { asked_by, .. } => Some(("asked_by", asked_by)),
        Command::DeclareInterest { member, .. } => Some(("member", member)),
        Command::RecordScore { evaluator, .. } => Some(("evaluator", evaluator)),
        Command::RecordConsensus { moderator, .. } => Some(("moderator", moderator)),
        Command::OpenBids { opener, .. } => Some(("opener", opener)),
        Command::Tick => None,
    }
}

impl Store {
    /// Creates a draft competition led by `buyer`, run for `consortium_id` when
    /// given (which must agree with the content's). The reference is `CMP-` and
    /// the row id; the creation is the competition's first event.
    pub async fn create_competition(
        &self,
        actor: &Actor,
        buyer: &OrgId,
        consortium_id: Option<i64>,
        rules: CompetitionRules,
        mut content: DraftContent,
    ) -> Result<CompetitionRecord> {
        if &content.buyer != buyer {
            return Err(StoreError::Refused(format!(
                "buyer: the content names {} as the lead buyer, but the competition is being created for {buyer}",
                content.buyer
            )));
        }
        let consortium_id = match (consortium_id, content.consortium_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(StoreError::Refused(format!(
                    "consortium_id: the content names consortium {b}, but the competition is being created for consortium {a}"
                )));
            }
            (a, b) => a.or(b),
        };
        content.consortium_id = consortium_id;
        let mut w = self.begin_write().await?;
        check_buyers(&mut w, &content).await?;
        let now = w.now_text();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO competitions (reference, buyer_org, consortium_id, title, status, eligibility,
                 state, version, created_by, created_at, updated_at)
             VALUES ('CMP-new', $1, $2, $3, 'draft', 'open', '{}', 0, $4, $5, $5)
             RETURNING id",
        )
        .bind(buyer.as_str())
        .bind(consortium_id)
        .bind(&content.title)
        .bind(actor.email.as_str())
        .bind(&now)
        .fetch_one(&mut *w.tx)
        .await?;
        let reference = reference_for(id);
        sqlx::query("UPDATE competitions SET reference = $1 WHERE id = $2")
            .bind(&reference)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let created = Competition::create(&reference, rules, content, actor.email.clone(), w.now)
            .map_err(refused)?;
        let competition = Competition::replay(std::slice::from_ref(&created)).map_err(refused)?;
        let actor_name = actor.audit_name();
        insert_event(&mut w, id, 1, &actor_name, &created).await?;
        w.audit(AuditEvent::new(
            &actor_name,
            Some(buyer.as_str()),
            "competition.created",
            audit_payload(&reference, &created),
        ))
        .await?;
        save_snapshot(&mut w, id, 0, &competition, ReminderChange::Clear).await?;
        mirror_parties(&mut w, id, &competition).await?;
        let record = CompetitionRecord {
            id,
            reference,
            consortium_id,
            version: 1,
            competition,
            seal_ready: false,
            seal_recipient: None,
            opened: false,
            created_at: w.now,
            updated_at: w.now,
        };
        w.commit().await?;
        Ok(record)
    }

    /// The competition with row id `id`.
    pub async fn competition(&self, id: i64) -> Result<CompetitionRecord> {
        let sql = format!("{RECORD_SELECT} WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(record_from_row)
            .transpose()?
            .ok_or_else(|| not_found(id))
    }

    /// The competition with reference `reference` (`CMP-00001`).
    pub async fn competition_by_reference(&self, reference: &str) -> Result<CompetitionRecord> {
        let sql = format!("{RECORD_SELECT} WHERE reference = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reference.trim())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(record_from_row)
            .transpose()?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "there is no competition with reference {reference}"
                ))
            })
    }

    async fn summaries(&self, condition: &str, binds: &[&str]) -> Result<Vec<CompetitionSummary>> {
        let sql = format!("{SUMMARY_SELECT} WHERE {condition} ORDER BY c.id DESC");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(*value);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    /// The competitions any of `buyers` leads or joins, newest first.
    pub async fn competitions_of_buyers(
        &self,
        buyers: &[OrgId],
    ) -> Result<Vec<CompetitionSummary>> {
        if buyers.is_empty() {
            return Ok(Vec::new());
        }
        let condition = format!(
            "c.id IN (SELECT competition_id FROM competition_orgs
                      WHERE role IN ('lead_buyer', 'joint_buyer') AND org_id IN ({}))",
            numbered_params(1, buyers.len())
        );
        let binds: Vec<&str> = buyers.iter().map(OrgId::as_str).collect();
        self.summaries(&condition, &binds).await
    }

    /// The competitions `supplier` may see, newest first: published (or later),
    /// and open to all or inviting it.
    pub async fn opportunities_for(&self, supplier: &OrgId) -> Result<Vec<CompetitionSummary>> {
        self.summaries(
            "c.published_at IS NOT NULL AND (c.eligibility = 'open' OR c.id IN (
                 SELECT competition_id FROM competition_orgs WHERE role = 'invited' AND org_id = $1))",
            &[supplier.as_str()],
        )
        .await
    }

    /// The competitions `person` evaluates or moderates, newest first.
    pub async fn competitions_assigned_to(
        &self,
        person: &Email,
    ) -> Result<Vec<CompetitionSummary>> {
        self.summaries(
            "c.id IN (SELECT competition_id FROM competition_people WHERE email = $1)",
            &[person.as_str()],
        )
        .await
    }

    /// The competitions of `buyers` whose tender deadline has passed and whose
    /// bids are waiting for two openers, newest first.
    pub async fn competitions_awaiting_opening(
        &self,
        buyers: &[OrgId],
    ) -> Result<Vec<CompetitionSummary>> {
        if buyers.is_empty() {
            return Ok(Vec::new());
        }
        let condition = format!(
            "c.status = 'deadline_passed' AND c.id IN (SELECT competition_id FROM competition_orgs
                      WHERE role IN ('lead_buyer', 'joint_buyer') AND org_id IN ({}))",
            numbered_params(1, buyers.len())
        );
        let binds: Vec<&str> = buyers.iter().map(OrgId::as_str).collect();
        self.summaries(&condition, &binds).await
    }

    /// Decide, apply and save in one transaction with audit, outbox emails and OCDS releases.
    /// Optimistic: `expected_version` (when Some) must match, else Conflict("… changed by someone else …").
    ///
    /// The person a command names (`by`, `asked_by`, `evaluator`, …) must be
    /// `actor`. Opening is refused here: it needs the openers' keys
    /// ([`Store::approve_opening`]).
    pub async fn competition_command(
        &self,
        id: i64,
        actor: &Actor,
        expected_version: Option<i64>,
        command: Command,
    ) -> Result<CompetitionRecord> {
        if matches!(command, Command::OpenBids { .. }) {
            return Err(StoreError::Refused(
                "opener: bids are opened by two openers each approving with their opening key, not by a command".into(),
            ));
        }
        if let Some((field, named)) = person_named(&command)
            && named != &actor.email
        {
            return Err(StoreError::Refused(format!(
                "{field}: the command is made in the name of {named}, but {} is signed in",
                actor.email
            )));
        }
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        if let Some(expected) = expected_version
            && expected != record.version
        {
            return Err(StoreError::Conflict(format!(
                "competition {} was changed by someone else after you opened it (you had version {expected}, it is now version {}): reload it and try again",
                record.reference, record.version
            )));
        }
        let (record, _) = command_in(&mut w, record, &actor.audit_name(), command).await?;
        w.commit().await?;
        Ok(record)
    }

    /// The competition's events, oldest first.
    pub async fn competition_events(&self, id: i64) -> Result<Vec<StoredCompetitionEvent>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, kind, payload FROM competition_events
             WHERE competition_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let at: String = row.try_get("at")?;
                let payload: String = row.try_get("payload")?;
                Ok(StoredCompetitionEvent {
                    seq: row.try_get("seq")?,
                    at: parse_time(&at, "competition_events.at")?,
                    actor: row.try_get("actor")?,
                    kind: row.try_get("kind")?,
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| corrupt("competition_events.payload", e))?,
                })
            })
            .collect()
    }

    /// The competition's OCDS releases, oldest first.
    pub async fn competition_releases(&self, id: i64) -> Result<Vec<Value>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT release FROM ocds_releases WHERE competition_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(text,)| {
                serde_json::from_str(&text).map_err(|e| corrupt("ocds_releases.release", e))
            })
            .collect()
    }

    /// Checks an uploaded procurement document (type proven by its content, size),
    /// keeps its content in `blobs` and records it, audited. While the competition
    /// is a draft the document is also added to the draft's content; once
    /// published the caller adds it to the competition with [`Command::Amend`].
    /// Uploading the same content again returns the document already recorded.
    pub async fn add_competition_document(
        &self,
        id: i64,
        actor: &Actor,
        blobs: &dyn BlobStore,
        file_name: &str,
        declared_type: Option<&str>,
        bytes: &[u8],
    ) -> Result<StoredDocument> {
        let described = describe_upload(&UploadPolicy::default(), file_name, declared_type, bytes)
            .map_err(StoreError::Refused)?;
        check_accepts_documents(&self.competition(id).await?)?;
        let hash = blobs.put(bytes).await?.to_hex();
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        check_accepts_documents(&record)?;
        let stored = record_document_in(&mut w, &record, actor, &described, &hash).await?;
        let content = &record.competition.content;
        if record.competition.status == Status::Draft
            && !content
                .documents
                .iter()
                .any(|d| d.sha256_hex == stored.reference.sha256_hex)
        {
            let mut revised = content.clone();
            revised.documents.push(stored.reference.clone());
            let command = Command::ReviseDraft {
                by: actor.email.clone(),
                content: revised,
            };
            command_in(&mut w, record, &actor.audit_name(), command).await?;
        }
        w.commit().await?;
        Ok(stored)
    }

    /// Publishes an amendment with the documents it adds, all in one transaction:
    /// the files are checked and put in the blob store first (an unreferenced
    /// blob is harmless), then their records and the amendment are written
    /// together, so a refused amendment leaves no document recorded.
    #[allow(clippy::too_many_arguments)]
    pub async fn amend_competition(
        &self,
        id: i64,
        actor: &Actor,
        expected_version: Option<i64>,
        blobs: &dyn BlobStore,
        uploads: &[(&str, Option<&str>, &[u8])],
        summary: String,
        new_deadline: Option<Timestamp>,
        remove_documents: Vec<String>,
    ) -> Result<CompetitionRecord> {
        let mut described = Vec::with_capacity(uploads.len());
        for (file_name, declared_type, bytes) in uploads {
            let d = describe_upload(&UploadPolicy::default(), file_name, *declared_type, bytes)
                .map_err(StoreError::Refused)?;
            let hash = blobs.put(bytes).await?.to_hex();
            described.push((d, hash));
        }
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        if let Some(expected) = expected_version
            && expected != record.version
        {
            return Err(StoreError::Conflict(format!(
                "competition {} was changed by someone else after you opened it (you had version {expected}, it is now version {}): reload it and try again",
                record.reference, record.version
            )));
        }
        let mut add_documents = Vec::with_capacity(described.len());
        for (d, hash) in &described {
            let stored = record_document_in(&mut w, &record, actor, d, hash).await?;
            add_documents.push(stored.reference);
        }
        let command = Command::Amend {
            by: actor.email.clone(),
            summary,
            new_deadline,
            add_documents,
            remove_documents,
        };
        let (record, _) = command_in(&mut w, record, &actor.audit_name(), command).await?;
        w.commit().await?;
        Ok(record)
    }

    /// The competition's uploaded documents, oldest first (including any an
    /// amendment has since withdrawn).
    pub async fn competition_documents(&self, id: i64) -> Result<Vec<StoredDocument>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} WHERE competition_id = $1 ORDER BY id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(document_from_row)
            .collect()
    }

    /// One uploaded document and its content, checked against its hash.
    pub async fn competition_document(
        &self,
        id: i64,
        content_hash: &str,
        blobs: &dyn BlobStore,
    ) -> Result<(StoredDocument, Vec<u8>)> {
        let missing = || {
            StoreError::NotFound(format!(
                "competition {} has no document {content_hash}",
                reference_for(id)
            ))
        };
        let hash = ContentHash::parse(content_hash).map_err(|_| missing())?;
        let sql =
            format!("SELECT {DOCUMENT_COLUMNS} WHERE competition_id = $1 AND content_hash = $2");
        let stored = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(hash.to_hex())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(document_from_row)
            .transpose()?
            .ok_or_else(missing)?;
        let bytes = blobs.get(hash).await?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "document {} ({content_hash}) of competition {} is recorded but its content is missing from the document store",
                stored.reference.file_name,
                reference_for(id)
            ))
        })?;
        Ok((stored, bytes))
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("there is no competition number {id}"))
}

fn check_accepts_documents(record: &CompetitionRecord) -> Result<()> {
    match record.competition.status {
        Status::Draft | Status::Published => Ok(()),
        ref other => Err(StoreError::Refused(format!(
            "documents: competition {} is {}: documents can be added only to a draft or a competition open for bids",
            record.reference,
            other.label().to_lowercase()
        ))),
    }
}

/// Loads a competition inside a write in progress.
pub(crate) async fn load_in(w: &mut WriteTx, id: i64) -> Result<CompetitionRecord> {
    let sql = format!("{RECORD_SELECT} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?
        .as_ref()
        .map(record_from_row)
        .transpose()?
        .ok_or_else(|| not_found(id))
}

/// The one save path (F2 uses it for OpenBids): decide+apply+persist events, snapshot, status,
/// deadline, next_due, version+1, audit, emails, releases, and on Awarded the contracts register entries.
///
/// A domain refusal is [`StoreError::Refused`] with the domain's message; the
/// caller's transaction then holds nothing of the command. A command that causes
/// no events (a [`Command::Tick`] with nothing due) writes nothing.
pub(crate) async fn command_in(
    w: &mut WriteTx,
    record: CompetitionRecord,
    actor_name: &str,
    command: Command,
) -> Result<(CompetitionRecord, Vec<Event>)> {
    // The domain decides first, so that its refusal (naming a field) comes
    // before any about the seal's holders.
    let (next, events) = record
        .competition
        .execute(command, w.now)
        .map_err(refused)?;
    if events.is_empty() {
        return Ok((record, events));
    }
    let mut seal_recipient = record.seal_recipient.clone();
    if seal_recipient.is_none() && events.iter().any(|e| matches!(e, Event::Published { .. })) {
        let holders = seal_holders(w, &record).await?;
        seal_recipient = Some(set_up_seal(w, &record, &holders).await?);
    }
    if events
        .iter()
        .any(|e| matches!(e, Event::DraftRevised { .. }))
    {
        check_buyers(w, &next.content).await?;
    }
    let (base_seq,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(seq), 0) FROM competition_events WHERE competition_id = $1",
    )
    .bind(record.id)
    .fetch_one(&mut *w.tx)
    .await?;
    let buyer = record.competition.content.buyer.as_str().to_string();
    let mut state = record.competition.clone();
    let mut seq = base_seq;
    for event in &events {
        seq += 1;
        state = apply(state, event);
        insert_event(w, record.id, seq, actor_name, event).await?;
        w.audit(AuditEvent::new(
            actor_name,
            Some(buyer.as_str()),
            format!("competition.{}", event.kind()),
            audit_payload(&record.reference, event),
        ))
        .await?;
        notify(w, record.id, &record.reference, &state, seq, event).await?;
        if let Some(stage) = ocds::stage_after(event) {
            publish_release(w, record.id, &record.reference, &state, stage, seq).await?;
        }
        if let Event::Awarded { contracts, .. } = event {
            register_contracts(w, &record.reference, actor_name, contracts).await?;
        }
    }
    let reminder = ReminderChange::between(&record.competition, &next, w.now);
    save_snapshot(w, record.id, record.version, &next, reminder).await?;
    if events.iter().any(|e| {
        matches!(
            e,
            Event::DraftRevised { .. } | Event::RulesSet { .. } | Event::EvaluatorsAssigned { .. }
        )
    }) {
        mirror_parties(w, record.id, &next).await?;
    }
    let saved = CompetitionRecord {
        version: record.version + 1,
        consortium_id: next.content.consortium_id,
        competition: next,
        seal_ready: seal_recipient.is_some(),
        seal_recipient,
        updated_at: w.now,
        ..record
    };
    Ok((saved, events))
}

/// The suppliers that have shown interest in a competition — a bid, a bid draft
/// or a clarification question — for [`Audience::InvitedAndInterested`].
pub(crate) async fn interested_suppliers(
    w: &mut WriteTx,
    id: i64,
    competition: &Competition,
) -> Result<BTreeSet<OrgId>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT supplier_org FROM bids WHERE competition_id = $1
         UNION SELECT supplier_org FROM bid_drafts WHERE competition_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *w.tx)
    .await?;
    let mut suppliers = rows
        .iter()
        .map(|(org,)| parse_org(org, "bids.supplier_org"))
        .collect::<Result<BTreeSet<_>>>()?;
    suppliers.extend(
        competition
            .clarifications
            .iter()
            .map(|q| q.supplier.clone()),
    );
    Ok(suppliers)
}

/// The suppliers a notice for `audience` goes to.
pub(crate) async fn audience_suppliers(
    w: &mut WriteTx,
    id: i64,
    competition: &Competition,
    audience: &Audience,
) -> Result<BTreeSet<OrgId>> {
    Ok(match audience {
        Audience::InvitedAndInterested { invited } => {
            let mut orgs = interested_suppliers(w, id, competition).await?;
            orgs.extend(invited.iter().cloned());
            orgs
        }
        Audience::Bidders { suppliers } => suppliers.iter().cloned().collect(),
        Audience::Supplier { supplier } => BTreeSet::from([supplier.clone()]),
    })
}

/// The addresses of the people who act for `orgs` as suppliers, each once.
pub(crate) async fn supplier_addresses(
    w: &mut WriteTx,
    orgs: &BTreeSet<OrgId>,
) -> Result<BTreeSet<Email>> {
    let mut addresses = BTreeSet::new();
    for org in orgs {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id
             WHERE m.org_id = $1 AND m.role = 'supplier'",
        )
        .bind(org.as_str())
        .fetch_all(&mut *w.tx)
        .await?;
        for (email,) in rows {
            addresses.insert(Email::parse(&email).map_err(|e| corrupt("users.email", e))?);
        }
    }
    Ok(addresses)
}

/// A one-line subject prefixed with the reference, within the outbox's limit.
pub(crate) fn email_subject(reference: &str, subject: &str) -> String {
    let line: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{reference}: {line}")
        .chars()
        .take(SUBJECT_MAX_CHARS)
        .collect()
}

/// The body with the short footer every competition email carries.
pub(crate) fn email_body(reference: &str, body: &str) -> String {
    format!(
        "{}\n\n-- \nConsort, competition {reference}. You receive this because your organisation \
         was invited to, or has taken part in, this competition. Sign in to Consort to see it.\n",
        body.trim_end()
    )
}

/// A dedupe key within the outbox's limit: the address is replaced by its hash
/// when the key would be too long.
pub(crate) fn dedupe_key(prefix: &str, address: &Email) -> String {
    let key = format!("{prefix}:{address}");
    if key.chars().count() <= DEDUPE_KEY_MAX_CHARS {
        return key;
    }
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(address.as_str().as_bytes()));
    format!("{prefix}:sha256:{digest}")
}

fn email_kind(event: &Event) -> EmailKind {
    match event {
        Event::Published { .. } => EmailKind::Invitation,
        Event::QuestionAnswered { .. } => EmailKind::ClarificationAnswer,
        Event::Amended { .. } => EmailKind::Amendment,
        _ => EmailKind::Outcome,
    }
}

/// Queues one email per address for each of the event's notices.
async fn notify(
    w: &mut WriteTx,
    id: i64,
    reference: &str,
    state: &Competition,
    seq: i64,
    event: &Event,
) -> Result<()> {
    let notices: Vec<&Notice> = event.notices();
    for (index, notice) in notices.iter().enumerate() {
        let orgs = audience_suppliers(w, id, state, &notice.audience).await?;
        let prefix = if notices.len() == 1 {
            format!("competition:{id}:{seq}")
        } else {
            format!("competition:{id}:{seq}.{}", index + 1)
        };
        for address in supplier_addresses(w, &orgs).await? {
            let email = NewEmail {
                kind: email_kind(event),
                subject: email_subject(reference, &notice.subject),
                body_text: email_body(reference, &notice.body),
                body_html: None,
                dedupe_key: dedupe_key(&prefix, &address),
                not_before: None,
                to: address,
            };
            outbox::enqueue(w, &email).await?;
        }
    }
    Ok(())
}

/// The audit payload of an event: the competition's reference and the event,
/// without what is bulky (email bodies, assessment summaries) or sealed (bid
/// prices), long texts shortened (they are whole in the competition's events).
fn audit_payload(reference: &str, event: &Event) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.remove("event");
        if let Some(Value::Object(notice)) = map.get_mut("notice") {
            notice.remove("body");
        }
        if let Some(Value::Array(letters)) = map.get_mut("letters") {
            for letter in letters.iter_mut() {
                if let Value::Object(letter) = letter {
                    letter.remove("body");
                }
            }
        }
        if let Some(Value::Object(decision)) = map.get_mut("decision")
            && let Some(Value::Array(summaries)) = decision.remove("summaries")
        {
            decision.insert("assessment_summaries".into(), json!(summaries.len()));
        }
    }
    trim_for_audit(&mut value);
    json!({ "competition": reference, "event": value })
}

/// Removes bid prices at any depth (opened bids, rankings) and shortens long texts.
fn trim_for_audit(value: &mut Value) {
    match value {
        Value::String(text) if text.chars().count() > AUDIT_TEXT_MAX_CHARS => {
            let total = text.chars().count();
            let kept: String = text.chars().take(AUDIT_TEXT_MAX_CHARS).collect();
            *text = format!("{kept}… ({total} characters)");
        }
        Value::Array(items) => items.iter_mut().for_each(trim_for_audit),
        Value::Object(map) => {
            map.remove("total_price_pence");
            map.values_mut().for_each(trim_for_audit);
        }
        _ => {}
    }
}

async fn insert_event(
    w: &mut WriteTx,
    id: i64,
    seq: i64,
    actor_name: &str,
    event: &Event,
) -> Result<()> {
    let payload = serde_json::to_string(event).map_err(|e| corrupt("competition event", e))?;
    sqlx::query(
        "INSERT INTO competition_events (competition_id, seq, at, actor, kind, payload)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(seq)
    .bind(w.now_text())
    .bind(actor_name)
    .bind(event.kind())
    .bind(payload)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// What to do with the deadline reminder when a competition is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReminderChange {
    /// Leave it as it is.
    Keep,
    /// No reminder is due.
    Clear,
    /// Remind at this instant.
    At(Timestamp),
}

impl ReminderChange {
    /// The domain says when a reminder is due ([`Competition::reminder_due`]); it
    /// is scheduled afresh on publication and whenever the deadline moves (unless
    /// that instant has already passed), and cleared once the competition is no
    /// longer published.
    fn between(before: &Competition, after: &Competition, now: Timestamp) -> ReminderChange {
        let Some(due) = after.reminder_due() else {
            return ReminderChange::Clear;
        };
        if before.status == Status::Published && before.deadline() == after.deadline() {
            return ReminderChange::Keep;
        }
        if due > now {
            ReminderChange::At(due)
        } else {
            ReminderChange::Clear
        }
    }
}

async fn save_snapshot(
    w: &mut WriteTx,
    id: i64,
    version: i64,
    c: &Competition,
    reminder: ReminderChange,
) -> Result<()> {
    let state = serde_json::to_string(c).map_err(|e| corrupt("competition state", e))?;
    let eligibility = match c.rules.eligibility {
        Eligibility::Open => "open",
        Eligibility::Invited(_) => "invited",
    };
    let (change_reminder, reminder_at) = match reminder {
        ReminderChange::Keep => (0i64, None),
        ReminderChange::Clear => (1, None),
        ReminderChange::At(at) => (1, Some(format_time(at))),
    };
    let updated = sqlx::query(
        "UPDATE competitions SET title = $1, status = $2, status_reason = $3, eligibility = $4,
             state = $5, version = $6, deadline = $7, next_due = $8, published_at = $9,
             consortium_id = $10, updated_at = $11,
             reminder_due = CASE WHEN $12 = 1 THEN $13 ELSE reminder_due END
         WHERE id = $14 AND version = $15",
    )
    .bind(&c.content.title)
    .bind(c.status.id())
    .bind(status_reason(&c.status))
    .bind(eligibility)
    .bind(state)
    .bind(version + 1)
    .bind(c.deadline().map(format_time))
    .bind(c.next_due().map(format_time))
    .bind(c.publication.as_ref().map(|p| format_time(p.at)))
    .bind(c.content.consortium_id)
    .bind(w.now_text())
    .bind(change_reminder)
    .bind(reminder_at)
    .bind(id)
    .bind(version)
    .execute(&mut *w.tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict(format!(
            "competition {} was changed by someone else while this change was being saved: reload it and try again",
            c.id
        )));
    }
    Ok(())
}

/// Rewrites the competition's buyers, invited suppliers and evaluation team in
/// the tables lists are queried from.
async fn mirror_parties(w: &mut WriteTx, id: i64, c: &Competition) -> Result<()> {
    sqlx::query("DELETE FROM competition_orgs WHERE competition_id = $1")
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("DELETE FROM competition_people WHERE competition_id = $1")
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    let mut orgs: BTreeSet<(&str, &OrgId)> = BTreeSet::from([("lead_buyer", &c.content.buyer)]);
    orgs.extend(c.content.joint_buyers.iter().map(|b| ("joint_buyer", b)));
    if let Eligibility::Invited(list) = &c.rules.eligibility {
        orgs.extend(list.iter().map(|s| ("invited", s)));
    }
    for (role, org) in orgs {
        sqlx::query(
            "INSERT INTO competition_orgs (competition_id, org_id, role) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(org.as_str())
        .bind(role)
        .execute(&mut *w.tx)
        .await?;
    }
    if let Some(team) = &c.evaluation.team {
        let mut people: BTreeSet<(&str, &Email)> =
            team.evaluators.iter().map(|e| ("evaluator", e)).collect();
        people.insert(("moderator", &team.moderator));
        for (role, email) in people {
            sqlx::query(
                "INSERT INTO competition_people (competition_id, email, role) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(email.as_str())
            .bind(role)
            .execute(&mut *w.tx)
            .await?;
        }
    }
    Ok(())
}

/// Every buyer must be a buying organisation in Consort, and joint buyers members
/// of the competition's consortium: each gets a contract in its register at award.
async fn check_buyers(w: &mut WriteTx, content: &DraftContent) -> Result<()> {
    let buyers = std::iter::once(("buyer", &content.buyer))
        .chain(content.joint_buyers.iter().map(|b| ("joint_buyers", b)));
    for (field, org) in buyers {
        let kind: Option<(String,)> =
            sqlx::query_as("SELECT kind FROM organisations WHERE id = $1")
                .bind(org.as_str())
                .fetch_optional(&mut *w.tx)
                .await?;
        match kind {
            None => {
                return Err(StoreError::Refused(format!(
                    "{field}: {org} is not an organisation in Consort"
                )));
            }
            Some((kind,)) if kind == OrgKind::Supplier.as_str() => {
                return Err(StoreError::Refused(format!(
                    "{field}: {org} is a supplier, not a buying organisation"
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(consortium) = content.consortium_id {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM consortia WHERE id = $1")
            .bind(consortium)
            .fetch_optional(&mut *w.tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::Refused(format!(
                "consortium_id: there is no consortium number {consortium}"
            )));
        }
        for org in &content.joint_buyers {
            let member: Option<(String,)> = sqlx::query_as(
                "SELECT org_id FROM consortium_members WHERE consortium_id = $1 AND org_id = $2",
            )
            .bind(consortium)
            .bind(org.as_str())
            .fetch_optional(&mut *w.tx)
            .await?;
            if member.is_none() {
                return Err(StoreError::Refused(format!(
                    "joint_buyers: {org} is not a member of consortium {consortium}"
                )));
            }
        }
    }
    Ok(())
}

/// The openers (holder id and public key) and the recovery key a competition's
/// seal is made for.
struct SealHolders {
    openers: Vec<(String, String)>,
    recovery: String,
}

async fn org_name(w: &mut WriteTx, org: &OrgId) -> Result<Option<String>> {
    let name: Option<(String,)> = sqlx::query_as("SELECT name FROM organisations WHERE id = $1")
        .bind(org.as_str())
        .fetch_optional(&mut *w.tx)
        .await?;
    Ok(name.map(|(n,)| n))
}

/// The lead buyer's openers with opening keys and its recovery key, or why the
/// competition cannot be sealed.
async fn seal_holders(w: &mut WriteTx, record: &CompetitionRecord) -> Result<SealHolders> {
    let org = &record.competition.content.buyer;
    let rows = sqlx::query(
        "SELECT u.id, u.email, k.recipient FROM memberships m
         JOIN users u ON u.id = m.user_id
         LEFT JOIN opener_keys k ON k.user_id = u.id
         WHERE m.org_id = $1 AND m.role = 'opener'
         ORDER BY u.id",
    )
    .bind(org.as_str())
    .fetch_all(&mut *w.tx)
    .await?;
    let mut openers = Vec::new();
    let mut without_key = Vec::new();
    for row in &rows {
        let user_id: i64 = row.try_get("id")?;
        let email: String = row.try_get("email")?;
        match row.try_get::<Option<String>, _>("recipient")? {
            Some(recipient) => openers.push((user_id.to_string(), recipient, email)),
            None => without_key.push(email),
        }
    }
    let name = org_name(w, org)
        .await?
        .map(|n| format!("{n} ({org})"))
        .unwrap_or_else(|| org.to_string());
    if openers.len() < 2 {
        let have = match openers.first() {
            Some((_, _, email)) => format!("only {email} has set one up"),
            None if without_key.is_empty() => {
                "it has no openers: give two people the opener role, and each sets up an opening key"
                    .to_string()
            }
            None => "none of its openers has set one up".to_string(),
        };
        let waiting = if without_key.is_empty() {
            String::new()
        } else {
            format!(" (still to set one up: {})", without_key.join(", "))
        };
        return Err(StoreError::Refused(format!(
            "publish: {} needs at least two openers with opening keys at {name} to seal its bids: {have}{waiting}",
            record.reference
        )));
    }
    let recovery: Option<(String,)> =
        sqlx::query_as("SELECT recipient FROM recovery_keys WHERE org_id = $1")
            .bind(org.as_str())
            .fetch_optional(&mut *w.tx)
            .await?;
    let Some((recovery,)) = recovery else {
        return Err(StoreError::Refused(format!(
            "publish: {} needs a recovery key for {name} to seal its bids: an administrator of {name} creates one first",
            record.reference
        )));
    };
    Ok(SealHolders {
        openers: openers.into_iter().map(|(id, key, _)| (id, key)).collect(),
        recovery,
    })
}

/// Creates the competition's key, split between its openers and the recovery
/// key, and keeps the public key and the sealed shares.
async fn set_up_seal(
    w: &mut WriteTx,
    record: &CompetitionRecord,
    holders: &SealHolders,
) -> Result<String> {
    let setup = CompetitionSeal::create(&holders.openers, &holders.recovery).map_err(|e| {
        StoreError::Refused(format!(
            "publish: the seal for {}'s bids could not be set up: {e}",
            record.reference
        ))
    })?;
    sqlx::query("UPDATE competitions SET seal_recipient = $1 WHERE id = $2")
        .bind(&setup.public_key)
        .bind(record.id)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("DELETE FROM seal_shares WHERE competition_id = $1")
        .bind(record.id)
        .execute(&mut *w.tx)
        .await?;
    for share in &setup.shares {
        sqlx::query(
            "INSERT INTO seal_shares (competition_id, holder, sealed_share) VALUES ($1, $2, $3)",
        )
        .bind(record.id)
        .bind(&share.holder_id)
        .bind(&share.ciphertext)
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(setup.public_key)
}

/// Stores the OCDS release for `stage` of the competition as it stands after
/// event `seq`.
async fn publish_release(
    w: &mut WriteTx,
    id: i64,
    reference: &str,
    state: &Competition,
    stage: ocds::Stage,
    seq: i64,
) -> Result<()> {
    let mut orgs: BTreeSet<&OrgId> = state.buyers().into_iter().collect();
    orgs.extend(state.bids().iter().map(|b| &b.supplier));
    let mut names = BTreeMap::new();
    for org in orgs {
        if let Some(name) = org_name(w, org).await? {
            names.insert(org.clone(), name);
        }
    }
    let ocid = ocds::ocid(OCID_PREFIX, reference);
    let release_id = format!("{ocid}-{seq}");
    let meta = ReleaseMeta {
        ocid: &ocid,
        release_id: &release_id,
        date: w.now,
    };
    let release = ocds::release(state, stage, &meta, &names);
    let tag = release["tag"][0].as_str().unwrap_or_default().to_string();
    sqlx::query(
        "INSERT INTO ocds_releases (competition_id, ocid, release_id, tag, released_at, release)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(&ocid)
    .bind(&release_id)
    .bind(tag)
    .bind(w.now_text())
    .bind(release.to_string())
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The Companies House number in a `GB-COH-…` identifier.
fn company_number(org: &OrgId) -> Option<String> {
    org.as_str()
        .strip_prefix("GB-COH-")
        .map(|number| number.to_string())
}

/// Enters each awarded contract in its buyer's contracts register.
async fn register_contracts(
    w: &mut WriteTx,
    reference: &str,
    actor_name: &str,
    contracts: &[ContractDetails],
) -> Result<()> {
    let ocid = ocds::ocid(OCID_PREFIX, reference);
    for k in contracts {
        let supplier_name = org_name(w, &k.supplier)
            .await?
            .unwrap_or_else(|| k.supplier.to_string());
        let mut extra = BTreeMap::from([
            ("competition".to_string(), reference.to_string()),
            ("award".to_string(), k.award_id.clone()),
            ("bid".to_string(), k.bid_id.clone()),
        ]);
        if let Some(lot) = &k.lot {
            extra.insert("lot".into(), lot.clone());
        }
        let contract = Contract {
            authority: k.buyer.clone(),
            reference: format!("{reference}-{}", k.id),
            title: k.title.clone(),
            description: format!("Awarded to {supplier_name} through competition {reference}."),
            supplier_name: Some(supplier_name),
            supplier_company_number: company_number(&k.supplier),
            cpv_codes: Vec::new(),
            category: None,
            total_value: Some(Pence(k.value_pence)),
            annual_value: None,
            start: k.start,
            end: k.end,
            extensions: Vec::new(),
            break_date: None,
            notice_period: None,
            status: ContractStatus::Active,
            source: Source::Ocds { ocid: ocid.clone() },
            extra,
        };
        contract
            .check()
            .map_err(|e| StoreError::Refused(format!("contract {} of {reference}: {e}", k.id)))?;
        let contract_id = insert_contract(w, &contract).await?;
        w.audit(AuditEvent::new(
            actor_name,
            Some(k.buyer.as_str()),
            "contract.created",
            json!({
                "contract": contract_id,
                "reference": contract.reference,
                "competition": reference,
                "supplier": k.supplier,
                "value_pence": k.value_pence,
            }),
        ))
        .await?;
    }
    Ok(())
}

/// Records an uploaded document (already in the blob store under `hash`) against
/// the competition, with its audit entry; a document it already holds is
/// returned as it is.
async fn record_document_in(
    w: &mut WriteTx,
    record: &CompetitionRecord,
    actor: &Actor,
    described: &consort_core::document::DescribedUpload,
    hash: &str,
) -> Result<StoredDocument> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} WHERE competition_id = $1 AND content_hash = $2");
    let existing = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(record.id)
        .bind(hash)
        .fetch_optional(&mut *w.tx)
        .await?
        .as_ref()
        .map(document_from_row)
        .transpose()?;
    Ok(match existing {
        Some(stored) => stored,
        None => {
            let reference = described.document_ref();
            let size = i64::try_from(reference.size_bytes)
                .map_err(|_| StoreError::Refused(format!("{}: too large", reference.file_name)))?;
            let (doc_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO competition_documents
                         (competition_id, content_hash, file_name, media_type, size_bytes, uploaded_by, uploaded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(record.id)
                .bind(&reference.sha256_hex)
                .bind(&reference.file_name)
                .bind(&reference.media_type)
                .bind(size)
                .bind(actor.email.as_str())
                .bind(w.now_text())
                .fetch_one(&mut *w.tx)
                .await?;
            w.audit(AuditEvent::new(
                actor.audit_name(),
                Some(record.competition.content.buyer.as_str()),
                "competition.document_added",
                json!({
                    "competition": record.reference,
                    "document": doc_id,
                    "file_name": reference.file_name,
                    "sha256": reference.sha256_hex,
                    "media_type": reference.media_type,
                    "size_bytes": reference.size_bytes,
                }),
            ))
            .await?;
            StoredDocument {
                id: doc_id,
                reference,
                uploaded_at: w.now,
            }
        }
    })
}
