//! Document blobs: uploaded files kept by the SHA-256 of their content, so the
//! same file uploaded twice is stored once and a stored file can be checked
//! against its own name.
//!
//! [`BlobStore`] is the interface the rest of Consort uses; [`FsBlobStore`] keeps
//! blobs in the data directory. Who may read a blob is decided above this layer.

use consort_core::document::ContentHash;
use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The folder inside the data directory that holds the blobs.
pub const BLOBS_DIR: &str = "blobs";

/// What can go wrong storing or reading a blob. Each message names the blob or
/// the place and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// A stored blob's content no longer matches its hash: it was damaged on disk
    /// or edited, and is never served.
    #[error(
        "the stored document {hash} is corrupt: its content no longer matches its hash. \
         Restore {location} from a backup"
    )]
    Corrupt {
        /// The hash the blob is stored under.
        hash: ContentHash,
        /// Where the damaged copy is.
        location: String,
    },
    /// The file system refused an operation.
    #[error("the document store could not {action} {location}: {error}")]
    Io {
        /// What was being done, as a verb phrase (`write`, `create the folder`).
        action: &'static str,
        /// The file or folder concerned.
        location: String,
        /// What the operating system said.
        error: io::Error,
    },
    /// The storage behind the interface cannot be used at all (an object store
    /// that does not answer, a storage task that failed).
    #[error("the document store is unavailable: {0}")]
    Unavailable(String),
}

/// What a blob operation returns: boxed so that [`BlobStore`] can be used as a
/// trait object (`Arc<dyn BlobStore>`).
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BlobError>> + Send + 'a>>;

/// Where document content is kept, addressed by its hash.
///
/// Content is immutable: the same bytes always have the same hash and are kept
/// once, so `put` may be repeated safely. [`FsBlobStore`] keeps blobs as files in
/// the data directory; an implementation over object storage (S3 and the like)
/// can replace it without any change to its callers, which is why nothing here
/// exposes a path. Every implementation must make an acknowledged `put` durable
/// and must never return content that does not match the hash asked for.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores `bytes` (once, however often they are put) and returns their hash.
    /// When this returns, the content survives a crash.
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, ContentHash>;

    /// The content stored under `hash`, checked against it; `None` when nothing is.
    fn get(&self, hash: ContentHash) -> BlobFuture<'_, Option<Vec<u8>>>;

    /// Whether something is stored under `hash` (without reading or checking it).
    fn contains(&self, hash: ContentHash) -> BlobFuture<'_, bool>;

    /// The size in bytes of what is stored under `hash` (without checking it).
    fn size(&self, hash: ContentHash) -> BlobFuture<'_, Option<u64>>;
}

/// Blobs as files: `<root>/ab/cd/<hash>`, where `ab` and `cd` are the hash's
/// first two pairs of hexadecimal digits, so no folder grows too large.
///
/// A blob is written to a temporary file in its final folder, flushed to disk,
/// renamed to its hash and the folder flushed too: a crash leaves at worst a
/// temporary file (named `.<hash>.….tmp`, never read), not part of a blob under
/// its final name. Reads check the content against the hash.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    /// Shards (by their first two hash bytes) whose folders this process has seen
    /// flushed to disk, so that only a shard's first put pays for flushing them.
    durable_shards: Arc<Mutex<HashSet<u16>>>,
}

impl FsBlobStore {
    /// A store keeping blobs under `root`, which is created when the first blob
    /// is put.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            durable_shards: Arc::default(),
        }
    }

    /// A store in the [`BLOBS_DIR`] folder of a data directory.
    pub fn in_data_dir(data_dir: impl AsRef<Path>) -> Self {
        Self::new(data_dir.as_ref().join(BLOBS_DIR))
    }

    /// The folder the blobs are kept under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn shard_of(&self, hash: &ContentHash) -> (PathBuf, String) {
        let hex = hash.to_hex();
        (self.root.join(&hex[0..2]).join(&hex[2..4]), hex)
    }

    fn path_of(&self, hash: &ContentHash) -> PathBuf {
        let (shard, hex) = self.shard_of(hash);
        shard.join(hex)
    }
}

impl BlobStore for FsBlobStore {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BlobFuture<'a, ContentHash> {
        // Hashing and writing block: both run on the blocking pool, with their own
        // copy of the content.
        let store = self.clone();
        let bytes = bytes.to_vec();
        Box::pin(blocking(move || store.put_now(&bytes)))
    }

    fn get(&self, hash: ContentHash) -> BlobFuture<'_, Option<Vec<u8>>> {
        let store = self.clone();
        Box::pin(blocking(move || store.get_now(hash)))
    }

    fn contains(&self, hash: ContentHash) -> BlobFuture<'_, bool> {
        Box::pin(async move { Ok(self.size(hash).await?.is_some()) })
    }

    fn size(&self, hash: ContentHash) -> BlobFuture<'_, Option<u64>> {
        let path = self.path_of(&hash);
        Box::pin(async move {
            match tokio::fs::metadata(&path).await {
                Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("read", &path, e)),
            }
        })
    }
}

/// Runs `work` on the blocking thread pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BlobError::Unavailable(format!("a storage task failed: {e}")))?
}

fn io_error(action: &'static str, path: &Path, error: io::Error) -> BlobError {
    BlobError::Io {
        action,
        location: path.display().to_string(),
        error,
    }
}

/// Tells temporary files apart when puts of the same content overlap.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FsBlobStore {
    fn put_now(&self, bytes: &[u8]) -> Result<ContentHash, BlobError> {
        let hash = ContentHash::of(bytes);
        let (shard, hex) = self.shard_of(&hash);
        let path = shard.join(&hex);
        self.make_durable_dirs(&hash, &shard)?;
        match fs::read(&path) {
            Ok(stored) if ContentHash::of(&stored) == hash => {
                // Stored already, perhaps by a put still finishing: make sure its
                // name is on disk before acknowledging this one.
                sync_dir(&shard)?;
                return Ok(hash);
            }
            Ok(_) => {
                tracing::warn!(%hash, path = %path.display(), "replacing a corrupt blob");
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("read", &path, e)),
        }
        let (temp_path, mut temp) = create_temp(&shard, &hex)?;
        let written = temp
            .write_all(bytes)
            .and_then(|()| temp.sync_all())
            .map_err(|e| io_error("write", &temp_path, e));
        drop(temp);
        let stored = written
            .and_then(|()| fs::rename(&temp_path, &path).map_err(|e| io_error("save", &path, e)));
        if let Err(e) = stored {
            let _ = fs::remove_file(&temp_path);
            return Err(e);
        }
        sync_dir(&shard)?;
        Ok(hash)
    }

    fn get_now(&self, hash: ContentHash) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path_of(&hash);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        if ContentHash::of(&bytes) != hash {
            return Err(BlobError::Corrupt {
                hash,
                location: path.display().to_string(),
            });
        }
        Ok(Some(bytes))
    }

    /// Creates the root and shard folders that are missing and, the first time
    /// this process uses the shard, flushes each folder's parent, so that a blob
    /// renamed into the shard is reachable after a crash. A folder another put (or
    /// process) has just created is flushed here too, rather than trusting that
    /// its creator has finished doing so.
    fn make_durable_dirs(&self, hash: &ContentHash, shard: &Path) -> Result<(), BlobError> {
        let id = u16::from_be_bytes([hash.as_bytes()[0], hash.as_bytes()[1]]);
        let seen = self.durable_shards().contains(&id);
        // The folder is checked as well, in case someone removed it since.
        if seen && shard.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(shard).map_err(|e| io_error("create the folder", shard, e))?;
        let outer = shard
            .parent()
            .expect("a shard is two levels below the root");
        if let Some(above_root) = self.root.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(above_root)?;
        }
        sync_dir(&self.root)?;
        sync_dir(outer)?;
        self.durable_shards().insert(id);
        Ok(())
    }

    fn durable_shards(&self) -> std::sync::MutexGuard<'_, HashSet<u16>> {
        self.durable_shards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A new temporary file beside the blob it will become.
fn create_temp(shard: &Path, hex: &str) -> Result<(PathBuf, File), BlobError> {
    loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = shard.join(format!(".{hex}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            // Left by a crashed process that had the same id: pick another name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error("create", &path, e)),
        }
    }
}

/// Flushes a folder, so that names created or renamed in it are on disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("flush the folder", dir, e))
}

/// Folders cannot be opened for flushing here; renames are durable once the
/// file system commits its metadata.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), BlobError> {
    Ok(())
}
