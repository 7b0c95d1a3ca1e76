//! What every request handler shares.

use consort_core::password::PasswordHashing;
use consort_store::{BlobStore, Store};
use std::sync::Arc;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Trust `X-Forwarded-For` and `X-Forwarded-Proto` from a reverse proxy in front.
    pub trust_proxy: bool,
    /// Mark cookies `Secure` even without a proxy saying the request was HTTPS
    /// (set this when Consort itself is only ever reached over TLS).
    pub always_secure_cookies: bool,
    /// How passwords are hashed.
    pub hashing: PasswordHashing,
}

/// The state shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The configuration.
    pub config: Arc<WebConfig>,
    /// The key that CSRF tokens are derived with, shared by every instance
    /// through the store.
    pub csrf_key: Arc<[u8; 32]>,
    /// Where documents are kept, by content hash.
    pub blobs: Arc<dyn BlobStore>,
}
