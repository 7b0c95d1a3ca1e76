//! The bid vault's keys and the opening: openers' passphrase-locked keys, each
//! organisation's recovery key, the installation's draft key, and the two-person
//! opening that rebuilds a competition's key.
//!
//! Submitted bids are sealed to a competition key that nobody holds whole (see
//! `consort_vault`): a stolen database, even with every file in the data
//! directory, opens none of them before two openers act. Drafts are different:
//! they are encrypted under one installation key ([`DraftKey`]) that the server
//! holds, so they are protected against a stolen database but not against someone
//! who holds both the database and that key.

use crate::competitions::{CompetitionRecord, command_in, load_in};
use crate::{Result, Store, StoreError, WriteTx};
use consort_core::audit::AuditEvent;
use consort_core::competition::{BidSummary, Command, Competition, Event};
use consort_core::ids::{Email, OrgId};
use consort_core::org::Role;
use consort_core::policy::Actor;
use consort_vault::{
    CompetitionKey, ExposeSecret, KeyWork, OpenerKey, RecoveryKey, SealedShare, SecretString,
    Share, VaultError,
};
use serde_json::json;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The environment variable that may hold the installation's draft key (an age
/// X25519 secret key, `AGE-SECRET-KEY-1…`). When it is unset the key is kept in
/// [`DRAFT_KEY_FILE`] inside the data directory.
pub const DRAFT_KEY_ENV: &str = "CONSORT_DRAFT_KEY";

/// Where the draft key is kept when [`DRAFT_KEY_ENV`] is unset, relative to the
/// data directory. Created on first use, readable by its owner only.
pub const DRAFT_KEY_FILE: &str = "keys/draft.key";

/// Where an opening stands after an approval: who has approved so far, and
/// whether the bids are now open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningProgress {
    /// The openers who have approved, in order.
    pub approvals: Vec<Email>,
    /// Whether two openers have acted and the bids are open.
    pub opened: bool,
}

/// The installation's key for bid drafts, kept outside the database.
///
/// Drafts are encrypted under it so that a copy of the database alone reveals
/// none of them. Unlike submitted bids, which need two openers, a draft is
/// readable by anyone who holds both the database and this key: the server must
/// be able to show suppliers their drafts at any time.
pub(crate) struct DraftKey {
    key: CompetitionKey,
    recipient: String,
}

impl DraftKey {
    /// Reads the key from [`DRAFT_KEY_ENV`], else from (or, the first time, into)
    /// `<data_dir>/keys/draft.key`.
    pub(crate) fn load(data_dir: &Path) -> Result<DraftKey> {
        if let Ok(secret) = std::env::var(DRAFT_KEY_ENV) {
            return DraftKey::parse(&secret).map_err(|e| {
                StoreError::Corrupt(format!(
                    "{DRAFT_KEY_ENV} is not an age secret key (AGE-SECRET-KEY-1…): {e}"
                ))
            });
        }
        let path = data_dir.join(DRAFT_KEY_FILE);
        let secret = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => create_key_file(&path)?,
            Err(e) => return Err(key_file_error(&path, e)),
        };
        DraftKey::parse(&secret).map_err(|e| {
            StoreError::Corrupt(format!(
                "the draft key {} is not an age secret key: {e}. Restore it from a backup",
                path.display()
            ))
        })
    }

    fn parse(secret: &str) -> Result<DraftKey, VaultError> {
        let key = CompetitionKey::from_secret_string(secret)?;
        Ok(DraftKey {
            recipient: key.public_key(),
            key,
        })
    }

    /// Encrypts a draft.
    pub(crate) fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        consort_vault::seal(&self.recipient, plaintext).map_err(vault_failure)
    }

    /// Decrypts a draft.
    pub(crate) fn open(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        self.key.open(ciphertext).map_err(|e| {
            StoreError::Corrupt(format!(
                "a saved draft cannot be decrypted with this installation's draft key \
                 (was {DRAFT_KEY_ENV} or {DRAFT_KEY_FILE} replaced?): {e}"
            ))
        })
    }
}

fn key_file_error(path: &Path, e: io::Error) -> StoreError {
    StoreError::DataDir {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes a fresh key to `path` with mode 0600, atomically: two servers starting
/// together both end up with the one that was linked into place first.
fn create_key_file(path: &Path) -> Result<String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| key_file_error(dir, e))?;
    let secret = RecoveryKey::generate().secret;
    let temporary: PathBuf = dir.join(format!(
        ".draft.key.{}.{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(secret.expose_secret().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        return Err(key_file_error(&temporary, e));
    }
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(secret.expose_secret().to_owned())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::read_to_string(path).map_err(|e| key_file_error(path, e))
        }
        Err(e) => Err(key_file_error(path, e)),
    }
}

/// A vault failure that is not the caller's fault (encryption itself failing).
pub(crate) fn vault_failure(e: VaultError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// How the audit log names a person.
/// The first organisation at which the actor holds `role`, for the audit entry.
fn org_with_role(actor: &Actor, role: Role) -> Option<String> {
    actor
        .memberships
        .iter()
        .find(|m| m.role == role)
        .map(|m| m.org.to_string())
}

/// The competitions not yet opened (nor closed) in which `holder` holds a share.
async fn unopened_shares_of(w: &mut WriteTx, holder: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.reference FROM seal_shares s JOIN competitions c ON c.id = s.competition_id
         WHERE s.holder = $1 AND c.opened_key IS NULL
           AND c.status NOT IN ('cancelled', 'unsuccessful', 'awarded')
         ORDER BY c.id",
    )
    .bind(holder)
    .fetch_all(&mut *w.tx)
    .await?;
    Ok(rows.into_iter().map(|(r,)| r).collect())
}

impl Store {
    /// Creates the actor's opening key, locked under `passphrase` (at least
    /// [`consort_vault::MIN_PASSPHRASE_CHARS`] characters), and keeps its public
    /// half and the locked private half. An existing key is replaced only when
    /// the actor holds no share in a competition whose bids are still sealed,
    /// since those shares can only be opened with the old key. Audited as
    /// `opener_key.set`, naming the public key and never the passphrase.
    pub async fn set_opener_key(
        &self,
        actor: &Actor,
        passphrase: &str,
        work: KeyWork,
    ) -> Result<()> {
        let passphrase = passphrase.to_owned();
        let key = tokio::task::spawn_blocking(move || OpenerKey::create(&passphrase, work))
            .await
            .map_err(|e| StoreError::Corrupt(format!("creating the opening key failed: {e}")))?
            .map_err(|e| match e {
                VaultError::PassphraseTooShort { .. } => {
                    StoreError::Refused(format!("passphrase: {e}"))
                }
                other => vault_failure(other),
            })?;
        let mut w = self.begin_write().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT recipient FROM opener_keys WHERE user_id = $1")
                .bind(actor.user_id)
                .fetch_optional(&mut *w.tx)
                .await?;
        if existing.is_some() {
            let held = unopened_shares_of(&mut w, &actor.user_id.to_string()).await?;
            if !held.is_empty() {
                return Err(StoreError::Refused(format!(
                    "opening key: you cannot replace your opening key while you hold a share \
                     of the key to bids not yet opened ({}): those bids can only be opened with \
                     your current key. Replace it after they are opened",
                    held.join(", ")
                )));
            }
        }
        sqlx::query(
            "INSERT INTO opener_keys (user_id, recipient, locked_identity, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET recipient = excluded.recipient,
                 locked_identity = excluded.locked_identity, created_at = excluded.created_at",
        )
        .bind(actor.user_id)
        .bind(&key.recipient)
        .bind(&key.locked_identity)
        .bind(w.now_text())
        .execute(&mut *w.tx)
        .await?;
        w.audit(AuditEvent::new(
            actor.audit_name(),
            org_with_role(actor, Role::Opener).as_deref(),
            "opener_key.set",
            json!({
                "user": actor.email.as_str(),
                "recipient": key.recipient,
                "replaced": existing.is_some(),
            }),
        ))
        .await?;
        w.commit().await
    }

    /// Whether the user has set up an opening key.
    pub async fn has_opener_key(&self, user_id: i64) -> Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT user_id FROM opener_keys WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Creates the organisation's recovery key and returns its secret, to be
    /// shown once and kept offline: the store keeps only the public half. Every
    /// competition the organisation publishes seals one share to it, so that it
    /// can stand in for an opener. An existing key is replaced only when no
    /// competition of the organisation still has sealed bids. Audited as
    /// `recovery_key.created`, without the secret.
    pub async fn create_recovery_key(&self, actor: &Actor, org: &OrgId) -> Result<SecretString> {
        let key = RecoveryKey::generate();
        let mut w = self.begin_write().await?;
        let known: Option<(String,)> = sqlx::query_as("SELECT id FROM organisations WHERE id = $1")
            .bind(org.as_str())
            .fetch_optional(&mut *w.tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::NotFound(format!(
                "there is no organisation {org}"
            )));
        }
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT recipient FROM recovery_keys WHERE org_id = $1")
                .bind(org.as_str())
                .fetch_optional(&mut *w.tx)
                .await?;
        if existing.is_some() {
            let sealed: Vec<(String,)> = sqlx::query_as(
                "SELECT c.reference FROM seal_shares s JOIN competitions c ON c.id = s.competition_id
                 WHERE s.holder = 'recovery' AND c.buyer_org = $1 AND c.opened_key IS NULL
                   AND c.status NOT IN ('cancelled', 'unsuccessful', 'awarded')
                 ORDER BY c.id",
            )
            .bind(org.as_str())
            .fetch_all(&mut *w.tx)
            .await?;
            if !sealed.is_empty() {
                let references: Vec<String> = sealed.into_iter().map(|(r,)| r).collect();
                return Err(StoreError::Refused(format!(
                    "recovery key: {org} already has a recovery key, and competitions whose bids \
                     are not yet opened ({}) hold a share sealed to it; replace it after they are opened",
                    references.join(", ")
                )));
            }
        }
        sqlx::query(
            "INSERT INTO recovery_keys (org_id, recipient, created_by, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id) DO UPDATE SET recipient = excluded.recipient,
                 created_by = excluded.created_by, created_at = excluded.created_at",
        )
        .bind(org.as_str())
        .bind(&key.recipient)
        .bind(actor.email.as_str())
        .bind(w.now_text())
        .execute(&mut *w.tx)
        .await?;
        w.audit(AuditEvent::new(
            actor.audit_name(),
            Some(org.as_str()),
            "recovery_key.created",
            json!({
                "org": org.as_str(),
                "recipient": key.recipient,
                "replaced": existing.is_some(),
            }),
        ))
        .await?;
        w.commit().await?;
        Ok(key.secret)
    }

    /// Whether the organisation has a recovery key.
    pub async fn has_recovery_key(&self, org: &OrgId) -> Result<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT org_id FROM recovery_keys WHERE org_id = $1")
                .bind(org.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// One opener's approval to open the bids of competition `id`.
    ///
    /// The actor must be an authorised opener of the competition and hold a share
    /// of its key; `passphrase` unlocks their opening key, which unseals that
    /// share (a wrong passphrase is refused and audited as a failed attempt).
    /// The domain's [`Command::OpenBids`] decides the timing and that the two
    /// openers are different people. The first approval keeps the released
    /// share; the second rebuilds the competition key from both shares, opens
    /// every current bid to summarise it, records the opening and keeps the key
    /// so that the opened bids can be read from then on.
    pub async fn approve_opening(
        &self,
        id: i64,
        actor: &Actor,
        passphrase: &str,
    ) -> Result<OpeningProgress> {
        let record = self.competition(id).await?;
        let reference = record.reference.clone();
        if record.opened {
            return Err(StoreError::Refused(format!(
                "the bids of {reference} have already been opened"
            )));
        }
        if !record.seal_ready {
            return Err(StoreError::Refused(format!(
                "the bids of {reference} cannot be opened: its bid seal was never set up \
                 (it has not been published)"
            )));
        }
        if !record.competition.is_authorised_opener(actor) {
            return Err(StoreError::Refused(format!(
                "opener: {} may not open the bids of {reference}: only people with the opener \
                 role at {} can open its bids",
                actor.email, record.competition.content.buyer
            )));
        }
        let holder = actor.user_id.to_string();
        let sealed_share: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT sealed_share FROM seal_shares WHERE competition_id = $1 AND holder = $2",
        )
        .bind(id)
        .bind(&holder)
        .fetch_optional(&self.pool)
        .await?;
        let Some((sealed_share,)) = sealed_share else {
            return Err(StoreError::Refused(format!(
                "opener: {} holds no share of the key to the bids of {reference}: only the openers \
                 who had set up an opening key when it was published can open it",
                actor.email
            )));
        };
        let locked: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT locked_identity FROM opener_keys WHERE user_id = $1")
                .bind(actor.user_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((locked,)) = locked else {
            return Err(StoreError::Refused(format!(
                "opener: {} has no opening key; set one up first",
                actor.email
            )));
        };
        let released = {
            let passphrase = passphrase.to_owned();
            let holder = holder.clone();
            tokio::task::spawn_blocking(move || -> Result<Share, VaultError> {
                let identity = consort_vault::unlock(&locked, &passphrase)?;
                SealedShare {
                    holder_id: holder,
                    ciphertext: sealed_share,
                }
                .unseal(&identity)
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("unlocking the opening key failed: {e}")))?
        };
        let released = match released {
            Ok(r) => r,
            Err(VaultError::WrongPassphrase) => {
                self.audit_record(AuditEvent::new(
                    actor.audit_name(),
                    Some(record.competition.content.buyer.as_str()),
                    "competition.opening_attempt_failed",
                    json!({
                        "competition": reference,
                        "opener": actor.email.as_str(),
                        "reason": "the passphrase does not unlock the opening key",
                    }),
                ))
                .await?;
                return Err(StoreError::Refused(
                    "passphrase: that passphrase does not unlock your opening key".into(),
                ));
            }
            Err(e) => return Err(vault_failure(e)),
        };

        let early = self
            .open_bids_before_writing(&record, actor.user_id, &released)
            .await?;
        let mut w = self.begin_write().await?;
        let record = load_in(&mut w, id).await?;
        let others: Vec<(i64, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT user_id, released_share FROM opening_approvals
             WHERE competition_id = $1 AND user_id <> $2 AND released_share IS NOT NULL
             ORDER BY approved_at",
        )
        .bind(id)
        .bind(actor.user_id)
        .fetch_all(&mut *w.tx)
        .await?;
        let first_share = others.into_iter().find_map(|(_, share)| share);
        let opener = actor.email.clone();
        let holds_opener_role = record.competition.is_authorised_opener(actor);
        let name = actor.audit_name();
        let (record, opened) = match first_share {
            None => {
                let (record, _) = command_in(
                    &mut w,
                    record,
                    &name,
                    Command::OpenBids {
                        opener,
                        holds_opener_role,
                        bids: Vec::new(),
                    },
                )
                .await?;
                sqlx::query(
                    "INSERT INTO opening_approvals (competition_id, user_id, released_share, approved_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(actor.user_id)
                .bind(released.to_bytes().to_vec())
                .bind(w.now_text())
                .execute(&mut *w.tx)
                .await?;
                (record, false)
            }
            Some(first_share) => {
                let first = Share::from_bytes(&first_share).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "the share released by the first opener of {} is damaged: {e}",
                        record.reference
                    ))
                })?;
                let current_rows = crate::bids::current_bid_rows_in(&mut w, id).await?;
                let still_valid = early.filter(|e| {
                    e.version == record.version
                        && e.first_share == first_share
                        && e.bid_rows == current_rows
                });
                let (key, summaries) = match still_valid {
                    Some(early) => (early.key, early.summaries),
                    None => {
                        let public_key = seal_recipient_in(&mut w, id).await?;
                        let key = consort_vault::reassemble(&public_key, &[first, released])
                            .map_err(vault_failure)?;
                        let bids = crate::bids::current_bids_in(&mut w, id).await?;
                        let summaries = summarise_bids(&record.competition, &key, &bids)?;
                        (key, summaries)
                    }
                };
                let (record, events) = command_in(
                    &mut w,
                    record,
                    &name,
                    Command::OpenBids {
                        opener,
                        holds_opener_role,
                        bids: summaries,
                    },
                )
                .await?;
                let opened = events.iter().any(|e| matches!(e, Event::Opened { .. }));
                if opened {
                    sqlx::query("UPDATE competitions SET opened_key = $1 WHERE id = $2")
                        .bind(key.to_secret_string().expose_secret())
                        .bind(id)
                        .execute(&mut *w.tx)
                        .await?;
                    sqlx::query(
                        "UPDATE opening_approvals SET released_share = NULL WHERE competition_id = $1",
                    )
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO opening_approvals (competition_id, user_id, released_share, approved_at)
                     VALUES ($1, $2, NULL, $3)",
                )
                .bind(id)
                .bind(actor.user_id)
                .bind(w.now_text())
                .execute(&mut *w.tx)
                .await?;
                (record, opened)
            }
        };
        w.commit().await?;
        Ok(OpeningProgress {
            approvals: record
                .competition
                .opening
                .approvals
                .iter()
                .map(|a| a.opener.clone())
                .collect(),
            opened: opened || record.opened,
        })
    }
}

/// The public key a competition's bids are sealed to, read inside a write.
pub(crate) async fn seal_recipient_in(w: &mut WriteTx, id: i64) -> Result<String> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT seal_recipient FROM competitions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?;
    match row {
        None => Err(StoreError::NotFound(format!(
            "there is no competition {id}"
        ))),
        Some((None,)) => Err(StoreError::Refused(format!(
            "competition {id} has no bid seal: it has not been published"
        ))),
        Some((Some(recipient),)) => Ok(recipient),
    }
}

/// The bids opened and summarised before the write lock was taken, with what
/// they were read from, so that the write can check nothing changed since.
struct EarlyOpening {
    /// The competition's version when the bids were read.
    version: i64,
    /// The other opener's released share the key was rebuilt with.
    first_share: Vec<u8>,
    /// The row ids of the current bids that were opened.
    bid_rows: Vec<i64>,
    /// The rebuilt competition key.
    key: CompetitionKey,
    /// The bids' summaries for [`Command::OpenBids`].
    summaries: Vec<BidSummary>,
}

impl Store {
    /// When another opener has already released a share, rebuilds the key and
    /// opens every current bid now, on a blocking thread and outside the write
    /// lock, so that decrypting the bids holds up no other writer. `None` when
    /// this is the first approval or the key cannot be rebuilt here (the write
    /// then decides and says why).
    async fn open_bids_before_writing(
        &self,
        record: &CompetitionRecord,
        user_id: i64,
        released: &Share,
    ) -> Result<Option<EarlyOpening>> {
        let first: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT released_share FROM opening_approvals
             WHERE competition_id = $1 AND user_id <> $2 AND released_share IS NOT NULL
             ORDER BY approved_at",
        )
        .bind(record.id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let (Some((first_share,)), Some(public_key)) = (first, record.seal_recipient.clone())
        else {
            return Ok(None);
        };
        let bids = crate::bids::current_bids(&self.pool, record.id).await?;
        let competition = record.competition.clone();
        let released = released.clone();
        let version = record.version;
        tokio::task::spawn_blocking(move || {
            let Ok(first) = Share::from_bytes(&first_share) else {
                return Ok(None);
            };
            let Ok(key) = consort_vault::reassemble(&public_key, &[first, released]) else {
                return Ok(None);
            };
            let bid_rows = bids.iter().map(|b| b.row_id).collect();
            let summaries = summarise_bids(&competition, &key, &bids)?;
            Ok(Some(EarlyOpening {
                version,
                first_share,
                bid_rows,
                key,
                summaries,
            }))
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("opening the bids failed: {e}")))?
    }
}

/// Opens each of `bids` with `key` and summarises it for [`Command::OpenBids`].
fn summarise_bids(
    competition: &Competition,
    key: &CompetitionKey,
    bids: &[crate::bids::StoredBid],
) -> Result<Vec<BidSummary>> {
    let mut summaries = Vec::with_capacity(bids.len());
    for bid in bids {
        let opened = crate::bids::open_stored_bid(competition, key, bid)?;
        summaries.push(BidSummary {
            bid_id: bid.bid_id.clone(),
            supplier: bid.supplier.clone(),
            lot: opened.content.lot.clone(),
            total_price_pence: opened.content.total_price_pence,
            received_at: bid.received_at,
        });
    }
    Ok(summaries)
}
