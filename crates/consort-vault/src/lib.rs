//! Consort's bid vault: bids are sealed under a per-competition key that nobody
//! holds whole. The key's secret is split 2-of-(n+1) by Shamir sharing over GF(256):
//! one share for each authorised opener and one for the organisation's recovery key.
//! Opening therefore needs two distinct holders acting together.
//!
//! Every encryption uses the `age` format (X25519 recipients for keys and shares,
//! scrypt for an opener's passphrase-locked key); the sharing uses `vsss-rs`.
//! Nothing here performs I/O, touches a database or reads the clock: deciding *when*
//! opening is allowed (after the deadline) is the caller's job.
//!
//! The flow:
//! 1. Each opener runs [`OpenerKey::create`] once; the store keeps the public
//!    recipient and the passphrase-locked identity.
//! 2. The organisation runs [`RecoveryKey::generate`] once and prints the secret.
//! 3. When a competition opens for bids, [`CompetitionSeal::create`] returns the
//!    competition's public key and one [`SealedShare`] per holder.
//! 4. Each bid is stored as [`seal`]`(public_key, bytes)`.
//! 5. After the deadline two holders [`unlock`] their keys and
//!    [`SealedShare::unseal`] their shares; [`reassemble`] rebuilds the
//!    [`CompetitionKey`], which [opens](CompetitionKey::open) the bids.

mod competition;
mod error;
mod keys;
mod share;

pub use age::secrecy::{ExposeSecret, SecretString};
pub use competition::{CompetitionKey, CompetitionSeal, SealSetup, SealedShare, seal};
pub use error::VaultError;
pub use keys::{
    KeyWork, MIN_PASSPHRASE_CHARS, OpenerIdentity, OpenerKey, RecoveryIdentity, RecoveryKey, unlock,
};
pub use share::{RECOVERY_HOLDER_ID, SHARES_NEEDED, Share, reassemble};
