//! The file blob store: content in, the same content out, stored once, checked
//! on every read, and nothing half-written left behind.

use consort_core::document::ContentHash;
use consort_store::{BLOBS_DIR, BlobError, BlobStore, FsBlobStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the documented layout puts a blob: `<root>/ab/cd/<hash>`.
fn blob_path(root: &Path, hash: &ContentHash) -> PathBuf {
    let hex = hash.to_hex();
    root.join(&hex[0..2]).join(&hex[2..4]).join(hex)
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Asserts that every file under `root` is a whole blob at its proper place:
/// no temporary files, nothing whose content differs from its name.
fn assert_only_whole_blobs(root: &Path) {
    for file in files_under(root) {
        let name = file.file_name().unwrap().to_str().unwrap();
        let hash =
            ContentHash::parse(name).unwrap_or_else(|_| panic!("{} is not a blob", file.display()));
        assert_eq!(file, blob_path(root, &hash), "blob in the wrong folder");
        assert_eq!(ContentHash::of(&std::fs::read(&file).unwrap()), hash);
    }
}

fn tender_pdf(n: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend(format!("tender document {n}\n").repeat(1000).into_bytes());
    bytes
}

#[tokio::test]
async fn content_put_comes_back_from_where_the_layout_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::in_data_dir(dir.path());
    assert_eq!(store.root(), dir.path().join(BLOBS_DIR));

    let content = tender_pdf(1);
    let hash = store.put(&content).await.unwrap();
    assert_eq!(hash, ContentHash::of(&content));
    assert_eq!(store.get(hash).await.unwrap(), Some(content.clone()));
    assert!(store.contains(hash).await.unwrap());
    assert_eq!(store.size(hash).await.unwrap(), Some(content.len() as u64));

    let path = blob_path(store.root(), &hash);
    assert_eq!(std::fs::read(&path).unwrap(), content);
    assert_eq!(files_under(store.root()), vec![path]);
}

#[tokio::test]
async fn the_same_content_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let first = store.put(&tender_pdf(1)).await.unwrap();
    let again = store.put(&tender_pdf(1)).await.unwrap();
    let other = store.put(&tender_pdf(2)).await.unwrap();
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(files_under(store.root()).len(), 2);
    assert_eq!(store.get(other).await.unwrap(), Some(tender_pdf(2)));
    assert_only_whole_blobs(store.root());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_of_the_same_content_agree_and_store_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(dir.path().join("blobs")));
    let content = Arc::new(tender_pdf(7));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = Arc::clone(&store);
            let content = Arc::clone(&content);
            tokio::spawn(async move { store.put(&content).await })
        })
        .collect();
    let mut hashes = Vec::new();
    for task in tasks {
        hashes.push(task.await.unwrap().unwrap());
    }
    let expected = ContentHash::of(&content);
    assert!(hashes.iter().all(|h| *h == expected), "{hashes:?}");
    let root = dir.path().join("blobs");
    assert_eq!(files_under(&root), vec![blob_path(&root, &expected)]);
    assert_eq!(
        store.get(expected).await.unwrap().as_deref(),
        Some(&content[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_puts_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FsBlobStore::new(dir.path().join("blobs")));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = Arc::clone(&store);
            // Twenty different documents, each put twice at once.
            tokio::spawn(async move { store.put(&tender_pdf(i % 20)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(files_under(store.root()).len(), 20);
    assert_only_whole_blobs(store.root());
}

#[tokio::test]
async fn a_corrupted_blob_is_reported_by_its_hash_and_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let content = tender_pdf(3);
    let hash = store.put(&content).await.unwrap();
    let path = blob_path(store.root(), &hash);

    // One flipped byte, the size unchanged.
    let mut damaged = content.clone();
    damaged[100] ^= 0x01;
    std::fs::write(&path, &damaged).unwrap();
    let err = store.get(hash).await.unwrap_err();
    assert!(
        matches!(err, BlobError::Corrupt { hash: h, .. } if h == hash),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&hash.to_hex()), "{message}");
    assert!(message.contains("corrupt"), "{message}");

    // Truncated, as a half-written copy would be.
    std::fs::write(&path, &content[..10]).unwrap();
    assert!(matches!(
        store.get(hash).await,
        Err(BlobError::Corrupt { .. })
    ));

    // Putting the right content again repairs it.
    assert_eq!(store.put(&content).await.unwrap(), hash);
    assert_eq!(store.get(hash).await.unwrap(), Some(content));
    assert_only_whole_blobs(store.root());
}

#[tokio::test]
async fn a_missing_blob_is_none() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing has been put, so not even the root exists.
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let hash = ContentHash::of(b"never stored");
    assert_eq!(store.get(hash).await.unwrap(), None);
    assert!(!store.contains(hash).await.unwrap());
    assert_eq!(store.size(hash).await.unwrap(), None);

    store.put(b"something else").await.unwrap();
    assert_eq!(store.get(hash).await.unwrap(), None);
    assert!(!store.contains(hash).await.unwrap());
}

#[tokio::test]
async fn a_temporary_file_left_by_a_crash_is_never_taken_for_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let content = tender_pdf(5);
    let hash = ContentHash::of(&content);
    let path = blob_path(store.root(), &hash);
    let shard = path.parent().unwrap();
    std::fs::create_dir_all(shard).unwrap();
    let leftover = shard.join(format!(".{}.99999.0.tmp", hash.to_hex()));
    std::fs::write(&leftover, &content[..50]).unwrap();

    assert!(!store.contains(hash).await.unwrap());
    assert_eq!(store.get(hash).await.unwrap(), None);
    assert_eq!(store.put(&content).await.unwrap(), hash);
    assert_eq!(store.get(hash).await.unwrap(), Some(content));
}

#[tokio::test]
async fn folders_removed_behind_the_store_are_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let first = store.put(&tender_pdf(1)).await.unwrap();
    std::fs::remove_dir_all(store.root()).unwrap();
    assert_eq!(store.get(first).await.unwrap(), None);
    // The same shard again, then another document.
    assert_eq!(store.put(&tender_pdf(1)).await.unwrap(), first);
    store.put(&tender_pdf(2)).await.unwrap();
    assert_eq!(files_under(store.root()).len(), 2);
    assert_only_whole_blobs(store.root());
}

#[tokio::test]
async fn a_store_that_cannot_write_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("blobs");
    std::fs::write(&not_a_folder, b"a file where the folder should be").unwrap();
    let store = FsBlobStore::new(&not_a_folder);
    let err = store.put(b"bid").await.unwrap_err();
    assert!(matches!(err, BlobError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&not_a_folder.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn empty_content_is_a_blob_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs"));
    let hash = store.put(b"").await.unwrap();
    assert_eq!(hash, ContentHash::of(b""));
    assert_eq!(store.get(hash).await.unwrap(), Some(Vec::new()));
    assert_eq!(store.size(hash).await.unwrap(), Some(0));
}
