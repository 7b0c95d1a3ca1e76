//! Consort's persistence. One [`Store`] speaks to SQLite (the embedded default, a
//! file in the data directory, WAL mode) or PostgreSQL (when `DATABASE_URL` names
//! one), with the same SQL where the dialects agree and a migration per dialect
//! where they do not. Every change that matters is written in one transaction
//! with its audit entry.

mod audit;
mod bids;
mod blobs;
mod clock;
mod competitions;
mod contracts;
mod demo;
mod migrate;
mod orgs;
mod outbox;
mod scheduler;
mod sessions;
mod users;
mod vault;

pub use audit::AuditPage;
pub use bids::{BidSubmission, BidUpload, OpenedBid, SubmittedBid};
pub use blobs::{BLOBS_DIR, BlobError, BlobFuture, BlobStore, FsBlobStore};
pub use clock::Clock;
pub use competitions::{
    CompetitionRecord, CompetitionSummary, OCID_PREFIX, StoredCompetitionEvent, StoredDocument,
};
pub use contracts::{
    CategoryDecision, ContractFilter, ExtensionRecord, ImportSummary, StoredContract,
};
pub use demo::DemoOutcome;
pub use orgs::ConsortiumDetail;
pub use outbox::{
    AfterFailure, ClaimedEmail, EmailKind, EmailStatus, MAX_EMAIL_ATTEMPTS, NewEmail, OutboxEmail,
    OutboxSummary, email_retry_delay,
};
pub use sessions::{SessionRecord, SignInAttempt};
pub use users::{NewUser, PersonRecord, SignInRecord};
pub use vault::{DRAFT_KEY_ENV, DRAFT_KEY_FILE, OpeningProgress};

use consort_core::audit::{AuditEntry, AuditEvent};
use consort_core::competition::CompetitionError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which database a store speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the data directory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The name shown in logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where the store keeps its data.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The data directory: the SQLite file and, later, documents.
    pub data_dir: PathBuf,
    /// A `postgres://` URL, when PostgreSQL is to be used instead of SQLite.
    pub database_url: Option<String>,
}

/// What can go wrong in the store. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` cannot be used.
    #[error(
        "DATABASE_URL is not usable: {0}. Write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or unset it to use SQLite in the data directory"
    )]
    BadUrl(String),
    /// The database could not be reached.
    #[error(
        "cannot reach the database at {target}: {reason}. Check that it is running and that the address and credentials are right"
    )]
    Unreachable {
        /// Host and port, or file.
        target: String,
        /// What the driver said.
        reason: String,
    },
    /// The data directory cannot be used.
    #[error(
        "the data directory {path} cannot be used: {reason}. Choose a writable directory with --data DIR"
    )]
    DataDir {
        /// The directory.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// A migration did not apply, or the database is newer than this program.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A change clashes with what is stored (a duplicate, usually).
    #[error("{0}")]
    Conflict(String),
    /// A change is refused for a reason outside the competition's rules (a
    /// missing key, a name that does not match, …); the message names the field.
    #[error("{0}")]
    Refused(String),
    /// A competition's rules refuse the change: the domain's own error, so that
    /// callers can place it by field and choose a status without reading text.
    #[error(transparent)]
    Domain(#[from] CompetitionError),
    /// A bid has one or more problems, each naming its field.
    #[error("{}", join_problems(.0))]
    InvalidBid(Vec<CompetitionError>),
    /// A stored value no longer parses: the database was edited by hand.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The document store failed (a file could not be written or read back intact).
    #[error(transparent)]
    Documents(#[from] BlobError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

fn join_problems(problems: &[CompetitionError]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A store's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: a connection pool and what it needs to know about its backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: Clock,
    location: String,
    data_dir: PathBuf,
    /// Bids waiting to be written together, and the draft key once read.
    bid_intake: std::sync::Arc<bids::BidIntake>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish()
    }
}

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "consort.db";

impl Store {
    /// Opens the store named by `config` and brings its schema up to date.
    pub async fn open(config: &StoreConfig, clock: Clock) -> Result<Self> {
        install_default_drivers();
        let store = match config.database_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                Self::open_postgres(url, clock, &config.data_dir).await?
            }
            _ => Self::open_sqlite(&config.data_dir, clock).await?,
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    async fn open_postgres(url: &str, clock: Clock, data_dir: &Path) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(StoreError::BadUrl(format!(
                "the scheme is '{}', but only postgres:// is supported",
                parsed.scheme()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| StoreError::BadUrl("it names no host".into()))?;
        let target = format!("{host}:{}", parsed.port().unwrap_or(5432));
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| match e {
                sqlx::Error::Configuration(e) => StoreError::BadUrl(e.to_string()),
                other => StoreError::Unreachable {
                    target: target.clone(),
                    reason: other.to_string(),
                },
            })?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
            clock,
            location: format!("postgres://{target}{}", parsed.path()),
            data_dir: data_dir.to_path_buf(),
            bid_intake: Default::default(),
        })
    }

    async fn open_sqlite(dir: &Path, clock: Clock) -> Result<Self> {
        let data_dir_error = |reason: String| StoreError::DataDir {
            path: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| data_dir_error(e.to_string()))?;
        let meta = std::fs::metadata(dir).map_err(|e| data_dir_error(e.to_string()))?;
        if !meta.is_dir() {
            return Err(data_dir_error("it is not a directory".into()));
        }
        let probe = dir.join(".consort-write-check");
        std::fs::write(&probe, b"").map_err(|e| data_dir_error(e.to_string()))?;
        let _ = std::fs::remove_file(&probe);
        let file = dir.join(SQLITE_FILE);
        let url = format!("sqlite://{}?mode=rwc", file.display());
        // WAL lets readers carry on while one writer commits; FULL synchronous makes
        // every acknowledged commit survive a power cut, not only a process crash.
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| StoreError::Unreachable {
                target: file.display().to_string(),
                reason: e.to_string(),
            })?;
        let mode: (String,) = sqlx::query_as("PRAGMA journal_mode = WAL")
            .fetch_one(&pool)
            .await?;
        if !mode.0.eq_ignore_ascii_case("wal") {
            return Err(data_dir_error(format!(
                "SQLite could not switch to WAL mode (it reports '{}')",
                mode.0
            )));
        }
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            clock,
            location: file.display().to_string(),
            data_dir: dir.to_path_buf(),
            bid_intake: Default::default(),
        })
    }

    /// Which database this store speaks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the data is: the SQLite file, or the PostgreSQL host and database.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The data directory: the SQLite file (when SQLite is used), documents and
    /// the installation's local keys.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The store's clock; the web layer reads the time from here too.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The underlying pool, for tests that must reach past the store's API (for
    /// example to tamper with an audit entry).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the store holds no organisations and no people yet.
    pub async fn is_empty(&self) -> Result<bool> {
        let (orgs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations")
            .fetch_one(&self.pool)
            .await?;
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(orgs == 0 && users == 0)
    }

    /// Begins a transaction that will write. Writers are serialised, so that audit
    /// entries are appended in commit order with no gaps: SQLite takes its write
    /// lock at once, PostgreSQL takes a transaction-scoped advisory lock.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(4721001)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(WriteTx {
            tx,
            now: self.clock.now(),
        })
    }

    /// Returns a stored setting, creating it with `make` when it is missing. Used
    /// for installation secrets that every server instance must share.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String> {
        if let Some((value,)) =
            sqlx::query_as::<_, (String,)>("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
        {
            return Ok(value);
        }
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(make())
        .execute(&mut *w.tx)
        .await?;
        let (value,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(value)
    }
}

/// A write in progress: the transaction and the instant it is taken to happen.
pub(crate) struct WriteTx {
    pub(crate) tx: sqlx::Transaction<'static, sqlx::Any>,
    pub(crate) now: jiff::Timestamp,
}

impl WriteTx {
    /// The transaction's time as stored text.
    pub(crate) fn now_text(&self) -> String {
        consort_core::audit::format_time(self.now)
    }

    /// Appends an audit entry for `event` in this transaction.
    pub(crate) async fn audit(&mut self, event: AuditEvent) -> Result<AuditEntry> {
        audit::append(&mut self.tx, &event, self.now).await
    }

    /// Commits the change and its audit entries together.
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Maps a unique-constraint failure to a conflict with the given message.
pub(crate) fn conflict_on_unique(e: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message()),
        _ => StoreError::Database(e),
    }
}
