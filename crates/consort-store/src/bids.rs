//! Sealed bids: drafts, submission with group commit, receipts, and the opened
//! bids.
//!
//! A submission is checked, serialised with its attachments and sealed to the
//! competition's public key before anything reaches the database; only the
//! ciphertext, the supplier, the version, the size and the SHA-256 of the
//! canonical bid are stored or audited. Submissions then queue for one shared
//! write transaction: whoever holds the commit lock writes up to
//! [`MAX_BATCH`] queued bids, each with its own audit entry, in one commit (one
//! fsync), and wakes every submitter with its own result.

use crate::competitions::load_in;
use crate::vault::{DraftKey, vault_failure};
use crate::{Result, Store, StoreError, WriteTx};
use consort_core::audit::AuditEvent;
use consort_core::competition::{
    AttachmentMeta, BidContent, Competition, CompetitionError, Receipt, ValidBid,
    canonical_bid_bytes,
};
use consort_core::document::{UploadPolicy, describe_upload};
use consort_core::ids::OrgId;
use consort_core::policy::Actor;
use consort_vault::CompetitionKey;
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{OnceCell, oneshot};

/// The most bids written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

/// The longest idempotency key accepted, in characters.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The first bytes of every sealed bid's plaintext: the format's name and version.
const SEALED_BID_HEADER: &[u8] = b"consort-sealed-bid-v1\n";

/// What a supplier submits: the bid as typed and its files as uploaded. The
/// store checks the files and describes each by its hash.
#[derive(Debug, Clone, Default)]
pub struct BidSubmission {
    /// The lot bid for, in a competition with lots.
    pub lot: Option<String>,
    /// Answers by question id.
    pub answers: BTreeMap<String, String>,
    /// Unit prices by price-schedule line id, as typed (`"1234.50"`).
    pub prices: BTreeMap<String, String>,
    /// The attached files, in order.
    pub attachments: Vec<BidUpload>,
}

/// A file attached to a bid, as uploaded.
#[derive(Debug, Clone)]
pub struct BidUpload {
    /// The file's name as sent.
    pub file_name: String,
    /// The media type the sender declared (recorded, never believed).
    pub declared_type: Option<String>,
    /// The content.
    pub bytes: Vec<u8>,
}

/// The outcome of [`Store::submit_bid`]: the receipt, and whether it was given
/// before (the idempotency key was a retry, and nothing new was stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedBid {
    /// The receipt.
    pub receipt: Receipt,
    /// Whether this is the receipt of an earlier submission with the same key.
    pub replayed: bool,
}

/// A bid read back after opening: its current version, checked against the
/// competition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBid {
    /// The bid's id, the same for every version (`BID-000042`).
    pub bid_id: String,
    /// Who bid.
    pub supplier: OrgId,
    /// Which submission this is: 1 for the first, 2 for a resubmission…
    pub version: u32,
    /// When it was received.
    pub received_at: Timestamp,
    /// The SHA-256 on its receipt.
    pub sha256_hex: String,
    /// Its content: answers, prices in pence and totals.
    pub content: ValidBid,
    /// Its attachments' descriptions, in order.
    pub attachments: Vec<AttachmentMeta>,
}

/// Where bids queue to be written together, and the installation's draft key
/// once it has been read.
#[derive(Default)]
pub(crate) struct BidIntake {
    queue: std::sync::Mutex<VecDeque<(PendingBid, Reply)>>,
    commit_lock: Arc<tokio::sync::Mutex<()>>,
    draft_key: OnceCell<Arc<DraftKey>>,
}

/// A sealed bid waiting for the next batch.
struct PendingBid {
    competition_id: i64,
    supplier: OrgId,
    actor: String,
    idempotency_key: String,
    lot: Option<String>,
    sha256_hex: String,
    size_bytes: i64,
    sealed: Vec<u8>,
}

/// Where a submitter waits for its own result.
type Reply = oneshot::Sender<Result<SubmittedBid>>;

/// A stored bid version as read from the database (still sealed).
pub(crate) struct StoredBid {
    pub(crate) row_id: i64,
    pub(crate) bid_id: String,
    pub(crate) supplier: OrgId,
    pub(crate) version: u32,
    pub(crate) received_at: Timestamp,
    pub(crate) sha256_hex: String,
    pub(crate) sealed: Vec<u8>,
}

/// A stored bid opened with the competition key.
pub(crate) struct UnsealedBid {
    pub(crate) content: ValidBid,
    pub(crate) attachments: Vec<Vec<u8>>,
}

fn bid_id_text(first_row_id: i64) -> String {
    format!("BID-{first_row_id:06}")
}

fn parse_bid_id(bid_id: &str) -> Option<i64> {
    bid_id.strip_prefix("BID-")?.parse().ok()
}

fn lot_key(lot: &Option<String>) -> &str {
    lot.as_deref().unwrap_or("")
}

fn parse_time(text: &str) -> Result<Timestamp> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("the stored time '{text}' does not parse: {e}")))
}

fn parse_org(text: &str) -> Result<OrgId> {
    OrgId::parse(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "the stored organisation id '{text}' does not parse: {e}"
        ))
    })
}

fn version_of(version: i64) -> Result<u32> {
    u32::try_from(version).map_err(|_| {
        StoreError::Corrupt(format!("the stored bid version {version} is out of range"))
    })
}

/// Serialises a bid and its attachments' bytes for sealing: a header, the
/// content as JSON, then each attachment, each part preceded by its length.
fn encode_bid(content: &BidContent, attachments: &[BidUpload]) -> Vec<u8> {
    let json = serde_json::to_vec(content).expect("a bid's content serialises");
    let total = SEALED_BID_HEADER.len()
        + 8
        + json.len()
        + attachments.iter().map(|a| 8 + a.bytes.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(SEALED_BID_HEADER);
    out.extend_from_slice(&(json.len() as u64).to_be_bytes());
    out.extend_from_slice(&json);
    for upload in attachments {
        out.extend_from_slice(&(upload.bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(&upload.bytes);
    }
    out
}

/// Reads what [`encode_bid`] wrote.
fn decode_bid(mut bytes: &[u8]) -> Result<(BidContent, Vec<Vec<u8>>)> {
    let corrupt = |why: &str| StoreError::Corrupt(format!("an opened bid is not readable: {why}"));
    bytes = bytes
        .strip_prefix(SEALED_BID_HEADER)
        .ok_or_else(|| corrupt("it does not start with the sealed bid header"))?;
    let take = |bytes: &mut &[u8]| -> Result<Vec<u8>> {
        let (length, rest) = bytes
            .split_first_chunk::<8>()
            .ok_or_else(|| corrupt("a length is cut short"))?;
        let length = usize::try_from(u64::from_be_bytes(*length))
            .map_err(|_| corrupt("a length is too large"))?;
        if rest.len() < length {
            return Err(corrupt("a part is cut short"));
        }
        let (part, rest) = rest.split_at(length);
        *bytes = rest;
        Ok(part.to_vec())
    };
    let json = take(&mut bytes)?;
    let content: BidContent =
        serde_json::from_slice(&json).map_err(|e| corrupt(&format!("its content: {e}")))?;
    let mut attachments = Vec::with_capacity(content.attachments.len());
    for _ in &content.attachments {
        attachments.push(take(&mut bytes)?);
    }
    if !bytes.is_empty() {
        return Err(corrupt("there is data after the last attachment"));
    }
    Ok((content, attachments))
}

/// A submission checked and, when it has no problems, sealed.
struct PreparedBid {
    lot: Option<String>,
    /// The SHA-256 of the canonical bid; `None` when an attachment could not be
    /// described (so there is no bid to compare with earlier ones).
    sha256_hex: Option<String>,
    /// Everything wrong with the bid, each naming its field.
    problems: Vec<CompetitionError>,
    /// The plaintext's size and the sealed bid, when there are no problems.
    sealed: Option<(i64, Vec<u8>)>,
}

/// Checks and describes each attachment, checks the bid against the
/// competition, works out its SHA-256 and, when nothing is wrong, seals it to
/// `recipient`. Runs on a blocking thread: it hashes and encrypts every byte.
fn prepare_bid(
    competition: &Competition,
    supplier: &OrgId,
    recipient: &str,
    submission: BidSubmission,
) -> Result<PreparedBid> {
    let policy = UploadPolicy::default();
    let mut problems = Vec::new();
    let mut described = Vec::with_capacity(submission.attachments.len());
    for (i, upload) in submission.attachments.iter().enumerate() {
        match describe_upload(
            &policy,
            &upload.file_name,
            upload.declared_type.as_deref(),
            &upload.bytes,
        ) {
            Ok(d) => described.push(d.attachment_meta()),
            Err(reason) => problems.push(CompetitionError::invalid(
                format!("attachments[{}]", i + 1),
                reason,
            )),
        }
    }
    let all_described = problems.is_empty();
    let content = BidContent {
        lot: submission.lot,
        answers: submission.answers,
        prices: submission.prices,
        attachments: described,
    };
    if let Err(errors) = competition.validate_bid(&content) {
        problems.extend(errors);
    }
    let sha256_hex = all_described.then(|| {
        hex::encode(Sha256::digest(canonical_bid_bytes(
            &competition.id,
            supplier,
            &content,
        )))
    });
    let sealed = if problems.is_empty() {
        let plaintext = encode_bid(&content, &submission.attachments);
        let sealed = consort_vault::seal(recipient, &plaintext).map_err(vault_failure)?;
        Some((plaintext.len() as i64, sealed))
    } else {
        None
    };
    Ok(PreparedBid {
        lot: content.lot,
        sha256_hex,
        problems,
        sealed,
    })
}

/// The receipt for an existing submission with this idempotency key, if any:
/// the original receipt when the content is the same, a conflict otherwise.
async fn existing_submission<'e, E>(
    executor: E,
    competition_id: i64,
    supplier: &OrgId,
    idempotency_key: &str,
    sha256_hex: &str,
) -> Result<Option<Receipt>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT b.version, b.received_at, b.sha256,
                (SELECT MIN(f.id) FROM bids f
                  WHERE f.competition_id = b.competition_id AND f.supplier_org = b.supplier_org
                    AND COALESCE(f.lot, '') = COALESCE(b.lot, '')) AS first_id
           FROM bids b
          WHERE b.competition_id = $1 AND b.supplier_org = $2 AND b.idempotency_key = $3",
    )
    .bind(competition_id)
    .bind(supplier.as_str())
    .bind(idempotency_key)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored_sha: String = row.try_get("sha256")?;
    if stored_sha != sha256_hex {
        return Err(StoreError::Conflict(
            "idempotency_key: that idempotency key was already used for a different bid".into(),
        ));
    }
    Ok(Some(Receipt {
        received_at: parse_time(&row.try_get::<String, _>("received_at")?)?,
        sha256_hex: stored_sha,
        bid_id: bid_id_text(row.try_get("first_id")?),
        version: version_of(row.try_get("version")?)?,
    }))
}

fn stored_bid_from_row(row: &sqlx::any::AnyRow) -> Result<StoredBid> {
    Ok(StoredBid {
        row_id: row.try_get("id")?,
        bid_id: bid_id_text(row.try_get("first_id")?),
        supplier: parse_org(&row.try_get::<String, _>("supplier_org")?)?,
        version: version_of(row.try_get("version")?)?,
        received_at: parse_time(&row.try_get::<String, _>("received_at")?)?,
        sha256_hex: row.try_get("sha256")?,
        sealed: row.try_get("sealed")?,
    })
}

const CURRENT_BIDS: &str =
    "SELECT b.id, b.supplier_org, b.version, b.received_at, b.sha256, b.sealed,
        (SELECT MIN(f.id) FROM bids f
          WHERE f.competition_id = b.competition_id AND f.supplier_org = b.supplier_org
            AND COALESCE(f.lot, '') = COALESCE(b.lot, '')) AS first_id
   FROM bids b
  WHERE b.competition_id = $1 AND b.superseded = 0
  ORDER BY b.id";

/// The current (not superseded) version of every bid, still sealed.
pub(crate) async fn current_bids<'e, E>(executor: E, competition_id: i64) -> Result<Vec<StoredBid>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(CURRENT_BIDS)
        .bind(competition_id)
        .fetch_all(executor)
        .await?;
    rows.iter().map(stored_bid_from_row).collect()
}

/// [`current_bids`] inside a write in progress.
pub(crate) async fn current_bids_in(
    w: &mut WriteTx,
    competition_id: i64,
) -> Result<Vec<StoredBid>> {
    current_bids(&mut *w.tx, competition_id).await
}

/// The row ids of the current version of every bid, in order, read inside a
/// write: enough to tell whether the bids changed since they were read.
pub(crate) async fn current_bid_rows_in(w: &mut WriteTx, competition_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM bids WHERE competition_id = $1 AND superseded = 0 ORDER BY id",
    )
    .bind(competition_id)
    .fetch_all(&mut *w.tx)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Opens a stored bid with the competition key and checks it against the
/// competition, which worked out its prices when it was received.
pub(crate) fn open_stored_bid(
    competition: &Competition,
    key: &CompetitionKey,
    bid: &StoredBid,
) -> Result<UnsealedBid> {
    let plaintext = key.open(&bid.sealed).map_err(vault_failure)?;
    let (content, attachments) = decode_bid(&plaintext)?;
    if hex::encode(Sha256::digest(canonical_bid_bytes(
        &competition.id,
        &bid.supplier,
        &content,
    ))) != bid.sha256_hex
    {
        return Err(StoreError::Corrupt(format!(
            "bid {} does not match the SHA-256 on its receipt",
            bid.bid_id
        )));
    }
    let content = competition.validate_bid(&content).map_err(|errors| {
        StoreError::Corrupt(format!(
            "bid {} no longer passes the competition's checks: {}",
            bid.bid_id,
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(UnsealedBid {
        content,
        attachments,
    })
}

/// Why a waiter got no receipt although its bid was fine: the batch failed.
fn batch_failed(message: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
        "the bid was not saved because the write it was part of failed ({message}); \
         submit it again"
    ))))
}

impl Store {
    async fn draft_key(&self) -> Result<Arc<DraftKey>> {
        self.bid_intake
            .draft_key
            .get_or_try_init(|| async {
                let dir = self.data_dir().to_path_buf();
                tokio::task::spawn_blocking(move || DraftKey::load(&dir))
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("reading the draft key failed: {e}")))?
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Saves (or replaces) `supplier`'s draft bid for competition `id`, while the
    /// competition accepts bids from it. The draft is encrypted with the
    /// installation's draft key before it is stored: it is protected against a
    /// stolen database, but not against someone who holds both the database and
    /// that key (unlike a submitted bid). Audited as
    /// `competition.bid_draft_saved`, without its content.
    pub async fn save_bid_draft(
        &self,
        id: i64,
        supplier: &OrgId,
        actor: &Actor,
        draft: &BidContent,
    ) -> Result<()> {
        let key = self.draft_key().await?;
        let plaintext = serde_json::to_vec(draft).expect("a bid's content serialises");
        let sealed = key.seal(&plaintext)?;
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        record.competition.can_accept_bid(supplier, w.now)?;
        sqlx::query(
            "INSERT INTO bid_drafts (competition_id, supplier_org, sealed, saved_by, saved_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (competition_id, supplier_org) DO UPDATE SET sealed = excluded.sealed,
                 saved_by = excluded.saved_by, saved_at = excluded.saved_at",
        )
        .bind(id)
        .bind(supplier.as_str())
        .bind(&sealed)
        .bind(actor.email.as_str())
        .bind(w.now_text())
        .execute(&mut *w.tx)
        .await?;
        w.audit(AuditEvent::new(
            actor.audit_name(),
            Some(supplier.as_str()),
            "competition.bid_draft_saved",
            json!({ "competition": record.reference, "supplier": supplier.as_str() }),
        ))
        .await?;
        w.commit().await
    }

    /// `supplier`'s saved draft for competition `id`, decrypted, if there is one.
    pub async fn bid_draft(&self, id: i64, supplier: &OrgId) -> Result<Option<BidContent>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT sealed FROM bid_drafts WHERE competition_id = $1 AND supplier_org = $2",
        )
        .bind(id)
        .bind(supplier.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some((sealed,)) = row else {
            return Ok(None);
        };
        let key = self.draft_key().await?;
        let plaintext = key.open(&sealed)?;
        serde_json::from_slice(&plaintext)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("a saved draft does not parse: {e}")))
    }

    /// Checks, seals and stores `supplier`'s bid for competition `id`, and returns
    /// the receipt: the server's time of receipt and the SHA-256 of the canonical
    /// bid (which covers each attachment's SHA-256).
    ///
    /// Refused with [`StoreError::Domain`] when the competition does not accept
    /// the bid (not published, after the deadline — checked again at the moment
    /// of writing — or the supplier is not eligible), and with
    /// [`StoreError::InvalidBid`], naming each field and reason, when the bid is
    /// incomplete or invalid or an attachment is not an accepted file. The same `idempotency_key` again returns the original
    /// receipt and stores nothing (a different bid under a used key is a
    /// conflict); a new key stores a new version and supersedes the previous one
    /// for the same lot. Bids submitted together are written in one transaction
    /// (see the module documentation); each has its own audit entry
    /// `competition.bid_submitted` naming the competition, supplier, version,
    /// size and SHA-256, and nothing of the bid itself.
    pub async fn submit_bid(
        &self,
        id: i64,
        supplier: &OrgId,
        actor: &Actor,
        idempotency_key: &str,
        submission: BidSubmission,
    ) -> Result<SubmittedBid> {
        let idempotency_key = idempotency_key.trim();
        if idempotency_key.is_empty() || idempotency_key.chars().count() > MAX_IDEMPOTENCY_KEY {
            return Err(StoreError::Refused(format!(
                "idempotency_key: give a key of 1 to {MAX_IDEMPOTENCY_KEY} characters that is \
                 the same each time this submission is retried"
            )));
        }
        let record = self.competition(id).await?;
        let Some(recipient) = record.seal_recipient else {
            return Err(StoreError::Refused(format!(
                "{} cannot accept bids: its bid seal was not set up at publication",
                record.reference
            )));
        };
        let competition = Arc::new(record.competition);
        let prepared = {
            let competition = Arc::clone(&competition);
            let supplier = supplier.clone();
            tokio::task::spawn_blocking(move || {
                prepare_bid(&competition, &supplier, &recipient, submission)
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("sealing the bid failed: {e}")))??
        };
        if let Some(sha256_hex) = &prepared.sha256_hex
            && let Some(receipt) =
                existing_submission(&self.pool, id, supplier, idempotency_key, sha256_hex).await?
        {
            return Ok(SubmittedBid {
                receipt,
                replayed: true,
            });
        }
        competition.can_accept_bid(supplier, self.clock.now())?;
        let (Some(sha256_hex), Some((size_bytes, sealed))) = (prepared.sha256_hex, prepared.sealed)
        else {
            return Err(StoreError::InvalidBid(prepared.problems));
        };
        let lot = prepared.lot;

        let (reply, mut result) = oneshot::channel();
        self.bid_intake
            .queue
            .lock()
            .expect("bid queue lock")
            .push_back((
                PendingBid {
                    competition_id: id,
                    supplier: supplier.clone(),
                    actor: actor.audit_name(),
                    idempotency_key: idempotency_key.to_owned(),
                    lot,
                    sha256_hex,
                    size_bytes,
                    sealed,
                },
                reply,
            ));
        loop {
            let guard = tokio::select! {
                biased;
                outcome = &mut result => {
                    return outcome.unwrap_or_else(|_| Err(batch_failed("the writer stopped")));
                }
                guard = self.bid_intake.commit_lock.clone().lock_owned() => guard,
            };
            match result.try_recv() {
                Ok(outcome) => return outcome,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(batch_failed("the writer stopped"));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<(PendingBid, Reply)> = {
                let mut queue = self.bid_intake.queue.lock().expect("bid queue lock");
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            // The write runs in a task of its own, holding the commit lock, so
            // that a submitter that goes away cannot abandon the others' bids.
            let store = self.clone();
            let writer = tokio::spawn(async move {
                store.write_batch(batch).await;
                drop(guard);
            });
            let _ = writer.await;
        }
    }

    /// Writes one batch in one transaction and tells each submitter its result.
    async fn write_batch(&self, batch: Vec<(PendingBid, Reply)>) {
        if batch.is_empty() {
            return;
        }
        let (bids, replies): (Vec<PendingBid>, Vec<Reply>) = batch.into_iter().unzip();
        match self.write_batch_in_one_transaction(&bids).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, bids = bids.len(), "a batch of bids could not be written");
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(batch_failed(&message)));
                }
            }
        }
    }

    async fn write_batch_in_one_transaction(
        &self,
        bids: &[PendingBid],
    ) -> Result<Vec<Result<SubmittedBid>>> {
        let mut w = self.begin_write().await?;
        let mut competitions: HashMap<i64, Result<(String, Competition), String>> = HashMap::new();
        let mut outcomes = Vec::with_capacity(bids.len());
        for bid in bids {
            if let Entry::Vacant(slot) = competitions.entry(bid.competition_id) {
                let loaded = match load_in(&mut w, bid.competition_id).await {
                    Ok(r) => Ok((r.reference, r.competition)),
                    Err(StoreError::Database(e)) => return Err(StoreError::Database(e)),
                    Err(other) => Err(other.to_string()),
                };
                slot.insert(loaded);
            }
            let outcome = match &competitions[&bid.competition_id] {
                Ok((reference, competition)) => {
                    write_one_bid(&mut w, reference, competition, bid).await?
                }
                Err(message) => Err(StoreError::NotFound(message.clone())),
            };
            outcomes.push(outcome);
        }
        w.commit().await?;
        Ok(outcomes)
    }

    /// Every receipt given to `supplier` for competition `id`, by lot then version.
    pub async fn receipts(&self, id: i64, supplier: &OrgId) -> Result<Vec<Receipt>> {
        let rows = sqlx::query(
            "SELECT b.version, b.received_at, b.sha256,
                    (SELECT MIN(f.id) FROM bids f
                      WHERE f.competition_id = b.competition_id AND f.supplier_org = b.supplier_org
                        AND COALESCE(f.lot, '') = COALESCE(b.lot, '')) AS first_id
               FROM bids b
              WHERE b.competition_id = $1 AND b.supplier_org = $2
              ORDER BY first_id, b.version",
        )
        .bind(id)
        .bind(supplier.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Receipt {
                    received_at: parse_time(&row.try_get::<String, _>("received_at")?)?,
                    sha256_hex: row.try_get("sha256")?,
                    bid_id: bid_id_text(row.try_get("first_id")?),
                    version: version_of(row.try_get("version")?)?,
                })
            })
            .collect()
    }

    /// How many suppliers have a current bid in competition `id`.
    pub async fn bids_received(&self, id: i64) -> Result<i64> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT supplier_org) FROM bids WHERE competition_id = $1 AND superseded = 0",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    /// The key kept at opening; refused while the bids are still sealed.
    async fn opened_key(&self, id: i64) -> Result<(Competition, CompetitionKey)> {
        let record = self.competition(id).await?;
        let (key,): (Option<String>,) =
            sqlx::query_as("SELECT opened_key FROM competitions WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        let Some(key) = key else {
            return Err(StoreError::Refused(format!(
                "the bids of {} are sealed until two openers open them",
                record.reference
            )));
        };
        let key = CompetitionKey::from_secret_string(&key).map_err(vault_failure)?;
        Ok((record.competition, key))
    }

    /// The current version of every bid of competition `id`, opened. Refused
    /// before two openers have opened the bids.
    pub async fn opened_bids(&self, id: i64) -> Result<Vec<OpenedBid>> {
        let (competition, key) = self.opened_key(id).await?;
        let stored = current_bids(&self.pool, id).await?;
        tokio::task::spawn_blocking(move || {
            stored
                .into_iter()
                .map(|bid| {
                    open_stored_bid(&competition, &key, &bid)
                        .map(|opened| opened_bid_of(bid, opened.content))
                })
                .collect()
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("opening the bids failed: {e}")))?
    }

    /// The current version of bid `bid_id` of competition `id`, opened: only
    /// that bid is read and decrypted. Refused before the bids are opened.
    pub async fn opened_bid(&self, id: i64, bid_id: &str) -> Result<OpenedBid> {
        let (competition, key) = self.opened_key(id).await?;
        let bid = self.current_bid(id, bid_id).await?;
        tokio::task::spawn_blocking(move || {
            open_stored_bid(&competition, &key, &bid)
                .map(|opened| opened_bid_of(bid, opened.content))
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("opening the bid failed: {e}")))?
    }

    /// The current version of bid `bid_id` of competition `id`, still sealed.
    async fn current_bid(&self, id: i64, bid_id: &str) -> Result<StoredBid> {
        let not_found =
            || StoreError::NotFound(format!("there is no bid {bid_id} in competition {id}"));
        let first_id = parse_bid_id(bid_id).ok_or_else(not_found)?;
        let row = sqlx::query(
            "SELECT b.id, b.supplier_org, b.version, b.received_at, b.sha256, b.sealed,
                    f.id AS first_id
               FROM bids f
               JOIN bids b ON b.competition_id = f.competition_id
                          AND b.supplier_org = f.supplier_org
                          AND COALESCE(b.lot, '') = COALESCE(f.lot, '')
              WHERE f.competition_id = $1 AND f.id = $2 AND b.superseded = 0
                AND f.id = (SELECT MIN(g.id) FROM bids g
                             WHERE g.competition_id = f.competition_id
                               AND g.supplier_org = f.supplier_org
                               AND COALESCE(g.lot, '') = COALESCE(f.lot, ''))",
        )
        .bind(id)
        .bind(first_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(not_found)?;
        stored_bid_from_row(&row)
    }

    /// Attachment `index` (counting from 0) of the current version of bid
    /// `bid_id` in competition `id`, with its description. Refused before the bids
    /// are opened.
    pub async fn opened_attachment(
        &self,
        id: i64,
        bid_id: &str,
        index: usize,
    ) -> Result<(AttachmentMeta, Vec<u8>)> {
        let (competition, key) = self.opened_key(id).await?;
        let bid = self.current_bid(id, bid_id).await?;
        let bid_id = bid.bid_id.clone();
        let mut opened =
            tokio::task::spawn_blocking(move || open_stored_bid(&competition, &key, &bid))
                .await
                .map_err(|e| StoreError::Corrupt(format!("opening the bid failed: {e}")))??;
        if index >= opened.attachments.len() {
            return Err(StoreError::NotFound(format!(
                "bid {bid_id} has {} attachment(s); there is no attachment {}",
                opened.attachments.len(),
                index + 1
            )));
        }
        let meta = opened.content.attachments.swap_remove(index);
        let bytes = opened.attachments.swap_remove(index);
        Ok((meta, bytes))
    }
}

/// An opened bid from its stored row and checked content.
fn opened_bid_of(bid: StoredBid, content: ValidBid) -> OpenedBid {
    OpenedBid {
        bid_id: bid.bid_id,
        supplier: bid.supplier,
        version: bid.version,
        received_at: bid.received_at,
        sha256_hex: bid.sha256_hex,
        attachments: content.attachments.clone(),
        content,
    }
}

/// Writes one queued bid inside the batch's transaction. The outer error fails
/// the whole batch (a database error); the inner one refuses only this bid.
async fn write_one_bid(
    w: &mut WriteTx,
    reference: &str,
    competition: &Competition,
    bid: &PendingBid,
) -> Result<Result<SubmittedBid>> {
    let existing = existing_submission(
        &mut *w.tx,
        bid.competition_id,
        &bid.supplier,
        &bid.idempotency_key,
        &bid.sha256_hex,
    )
    .await;
    match existing {
        Ok(Some(receipt)) => {
            return Ok(Ok(SubmittedBid {
                receipt,
                replayed: true,
            }));
        }
        Ok(None) => {}
        Err(StoreError::Database(e)) => return Err(StoreError::Database(e)),
        Err(refusal) => return Ok(Err(refusal)),
    }
    if let Err(e) = competition.can_accept_bid(&bid.supplier, w.now) {
        return Ok(Err(StoreError::Domain(e)));
    }
    let lot = lot_key(&bid.lot);
    let (previous,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(version) FROM bids
          WHERE competition_id = $1 AND supplier_org = $2 AND COALESCE(lot, '') = $3",
    )
    .bind(bid.competition_id)
    .bind(bid.supplier.as_str())
    .bind(lot)
    .fetch_one(&mut *w.tx)
    .await?;
    let version = previous.unwrap_or(0) + 1;
    sqlx::query(
        "UPDATE bids SET superseded = 1
          WHERE competition_id = $1 AND supplier_org = $2 AND COALESCE(lot, '') = $3
            AND superseded = 0",
    )
    .bind(bid.competition_id)
    .bind(bid.supplier.as_str())
    .bind(lot)
    .execute(&mut *w.tx)
    .await?;
    let received_at = w.now_text();
    sqlx::query(
        "INSERT INTO bids (competition_id, supplier_org, lot, version, idempotency_key,
                           submitted_by, received_at, sha256, size_bytes, sealed, superseded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
    )
    .bind(bid.competition_id)
    .bind(bid.supplier.as_str())
    .bind(bid.lot.clone())
    .bind(version)
    .bind(&bid.idempotency_key)
    .bind(&bid.actor)
    .bind(&received_at)
    .bind(&bid.sha256_hex)
    .bind(bid.size_bytes)
    .bind(&bid.sealed)
    .execute(&mut *w.tx)
    .await?;
    let (first_id,): (i64,) = sqlx::query_as(
        "SELECT MIN(id) FROM bids
          WHERE competition_id = $1 AND supplier_org = $2 AND COALESCE(lot, '') = $3",
    )
    .bind(bid.competition_id)
    .bind(bid.supplier.as_str())
    .bind(lot)
    .fetch_one(&mut *w.tx)
    .await?;
    w.audit(AuditEvent::new(
        bid.actor.clone(),
        Some(bid.supplier.as_str()),
        "competition.bid_submitted",
        json!({
            "competition": reference,
            "supplier": bid.supplier.as_str(),
            "version": version,
            "size_bytes": bid.size_bytes,
            "sha256": bid.sha256_hex,
        }),
    ))
    .await?;
    Ok(Ok(SubmittedBid {
        receipt: Receipt {
            received_at: parse_time(&received_at)?,
            sha256_hex: bid.sha256_hex.clone(),
            bid_id: bid_id_text(first_id),
            version: version_of(version)?,
        },
        replayed: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, NewUser, StoreConfig};
    use consort_core::calendar::Regime;
    use consort_core::competition::{
        AwardCriteria, Command, CompetitionRules, DraftContent, PriceCriterion, PriceFormula,
        PriceLine, QualityQuestion, ScoringScale,
    };
    use consort_core::ids::Email;
    use consort_core::org::{ContactDetails, Membership, OrgKind, Organisation, Role};
    use consort_core::password::{HashCost, PasswordHashing};
    use consort_vault::KeyWork;

    async fn person(s: &Store, email: &str, org: &OrgId, role: Role) -> Actor {
        let user = NewUser {
            email: Email::parse(email).unwrap(),
            password_hash: PasswordHashing::new(HashCost::TestOnly)
                .hash("a long enough password")
                .unwrap(),
            must_change_password: false,
            membership: Membership {
                org: org.clone(),
                role,
            },
        };
        let id = s.create_user("cli", &user).await.unwrap();
        s.actor(id).await.unwrap().unwrap()
    }

    async fn published(s: &Store, buyer: &Actor, deadline: &str) -> i64 {
        let rules = CompetitionRules {
            criteria: AwardCriteria {
                questions: vec![QualityQuestion {
                    id: "Q1".into(),
                    text: "How?".into(),
                    weight: 60,
                    scale: ScoringScale::zero_to_five(),
                    word_limit: None,
                }],
                price: Some(PriceCriterion {
                    weight: 40,
                    formula: PriceFormula::LowestPriceRatio,
                }),
            },
            ..CompetitionRules::open_procedure(Regime::Pa2023)
        };
        let content = DraftContent {
            description: "A system.".into(),
            price_schedule: vec![PriceLine {
                id: "L1".into(),
                description: "Everything".into(),
                quantity: 1,
                unit: "lot".into(),
                lot: None,
            }],
            tender_deadline: Some(deadline.parse().unwrap()),
            ..DraftContent::new("A system", buyer.memberships[0].org.clone())
        };
        let org = buyer.memberships[0].org.clone();
        let record = s
            .create_competition(buyer, &org, None, rules, content)
            .await
            .unwrap();
        let by = buyer.email.clone();
        s.competition_command(record.id, buyer, None, Command::Publish { by })
            .await
            .unwrap();
        record.id
    }

    fn pending(competition_id: i64, supplier: &OrgId, key: &str, sha: &str) -> PendingBid {
        PendingBid {
            competition_id,
            supplier: supplier.clone(),
            actor: "user:bids@supplier.example.com".into(),
            idempotency_key: key.into(),
            lot: None,
            sha256_hex: sha.repeat(64),
            size_bytes: 3,
            sealed: vec![1, 2, 3],
        }
    }

    /// A batch in which one bid is too late, one reuses a key for other content
    /// and two are fine: each gets its own result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refusal_inside_a_batch_fails_only_that_bid() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual("2026-11-25T09:00:00Z".parse().unwrap());
        let config = StoreConfig {
            data_dir: dir.path().join("data"),
            database_url: None,
        };
        let s = Store::open(&config, clock.clone()).await.unwrap();
        let camden = OrgId::parse("GB-LAE-CMD").unwrap();
        let suppliers = [
            OrgId::parse("GB-COH-00000001").unwrap(),
            OrgId::parse("GB-COH-00000002").unwrap(),
        ];
        for (org, kind) in [
            (&camden, OrgKind::Authority),
            (&suppliers[0], OrgKind::Supplier),
            (&suppliers[1], OrgKind::Supplier),
        ] {
            let organisation = Organisation {
                id: org.clone(),
                name: format!("Organisation {org}"),
                kind,
                contact: ContactDetails::default(),
            };
            s.create_org("cli", &organisation).await.unwrap();
        }
        let buyer = person(&s, "buyer@camden.gov.uk", &camden, Role::Buyer).await;
        for (n, email) in ["opener1@camden.gov.uk", "opener2@camden.gov.uk"]
            .into_iter()
            .enumerate()
        {
            let opener = person(&s, email, &camden, Role::Opener).await;
            s.set_opener_key(
                &opener,
                &format!("passphrase number {n}"),
                KeyWork::TestOnly,
            )
            .await
            .unwrap();
        }
        s.create_recovery_key(&buyer, &camden).await.unwrap();
        let closes_first = published(&s, &buyer, "2027-01-11T12:00:00Z").await;
        let closes_later = published(&s, &buyer, "2027-01-18T12:00:00Z").await;
        clock.advance(jiff::SignedDuration::from_hours(24 * 48));

        let before = s.audit_verify().await.unwrap().unwrap();
        let batch = [
            pending(closes_later, &suppliers[0], "a", "a"),
            pending(closes_first, &suppliers[0], "b", "b"),
            pending(closes_later, &suppliers[0], "a", "c"),
            pending(closes_later, &suppliers[1], "a", "d"),
            pending(closes_later, &suppliers[0], "a", "a"),
        ];
        let outcomes = s.write_batch_in_one_transaction(&batch).await.unwrap();
        let first = outcomes[0].as_ref().unwrap();
        assert_eq!(first.receipt.version, 1);
        assert_eq!(first.receipt.received_at, clock.now());
        let late = outcomes[1].as_ref().unwrap_err();
        assert!(matches!(late, StoreError::Domain(_)), "{late:?}");
        assert!(late.to_string().contains("deadline"), "{late}");
        let reused = outcomes[2].as_ref().unwrap_err();
        assert!(matches!(reused, StoreError::Conflict(_)), "{reused:?}");
        assert_eq!(outcomes[3].as_ref().unwrap().receipt.version, 1);
        let retry = outcomes[4].as_ref().unwrap();
        assert_eq!(retry.receipt, first.receipt, "a retry in the same batch");
        assert!(retry.replayed && !first.replayed);

        assert_eq!(s.audit_verify().await.unwrap().unwrap(), before + 2);
        assert_eq!(s.bids_received(closes_later).await.unwrap(), 2);
        assert_eq!(s.bids_received(closes_first).await.unwrap(), 0);
    }
}
