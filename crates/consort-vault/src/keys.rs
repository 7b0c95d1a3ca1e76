//! Personal opener keys (locked under a passphrase) and the organisation's recovery key.

use std::fmt;
use std::io::Read;
use std::iter;

use age::secrecy::{ExposeSecret, SecretString};
use age::{scrypt, x25519};
use zeroize::Zeroizing;

use crate::error::VaultError;

/// The fewest characters accepted for a new opener passphrase.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// How much scrypt work protects an opener's locked key against guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyWork {
    /// For real keys: scrypt with N = 2^17 (128 MiB, well under a second in a release build).
    Interactive,
    /// Almost no work (N = 2^4). Only for tests and the demo, never for a real opener.
    TestOnly,
}

impl KeyWork {
    /// The scrypt work factor as `log2(N)`.
    pub fn log_n(self) -> u8 {
        match self {
            KeyWork::Interactive => 17,
            KeyWork::TestOnly => 4,
        }
    }

    /// The highest work factor [`unlock`] accepts, so a crafted locked key cannot make
    /// the server spend minutes and gigabytes on one attempt.
    fn max_accepted_log_n() -> u8 {
        KeyWork::Interactive.log_n()
    }
}

/// A new opener key: what the store keeps for one authorised opener.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenerKey {
    /// The opener's public key, an age recipient (`age1…`). Not secret.
    pub recipient: String,
    /// The opener's private key, age-encrypted under their passphrase with scrypt.
    /// Useless without the passphrase.
    pub locked_identity: Vec<u8>,
}

impl OpenerKey {
    /// Creates a fresh opener key pair and locks the private half under `passphrase`.
    pub fn create(passphrase: &str, work: KeyWork) -> Result<OpenerKey, VaultError> {
        let identity = x25519::Identity::generate();
        let locked_identity = lock_identity(&identity, passphrase, work)?;
        Ok(OpenerKey {
            recipient: identity.to_public().to_string(),
            locked_identity,
        })
    }
}

impl fmt::Debug for OpenerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenerKey")
            .field("recipient", &self.recipient)
            .field(
                "locked_identity",
                &format_args!("<{} bytes>", self.locked_identity.len()),
            )
            .finish()
    }
}

/// An opener's unlocked private key, held only while they unseal their share.
pub struct OpenerIdentity {
    identity: x25519::Identity,
}

impl OpenerIdentity {
    /// The opener's public key (`age1…`), to check against the one on record.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// Locks this key under a new passphrase, for a passphrase change; the public key
    /// stays the same, so the opener's existing shares remain theirs.
    pub fn relock(&self, new_passphrase: &str, work: KeyWork) -> Result<Vec<u8>, VaultError> {
        lock_identity(&self.identity, new_passphrase, work)
    }

    pub(crate) fn age_identity(&self) -> &x25519::Identity {
        &self.identity
    }
}

impl fmt::Debug for OpenerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenerIdentity")
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

/// Unlocks an opener's stored key with their passphrase.
pub fn unlock(locked_identity: &[u8], passphrase: &str) -> Result<OpenerIdentity, VaultError> {
    let corrupt = |reason: String| VaultError::CorruptLockedKey { reason };
    let decryptor = age::Decryptor::new_buffered(locked_identity)
        .map_err(|error| corrupt(format!("not an age file ({error})")))?;
    if !decryptor.is_scrypt() {
        return Err(corrupt("it is not locked with a passphrase".to_owned()));
    }
    let mut scrypt_identity = scrypt::Identity::new(SecretString::from(passphrase));
    scrypt_identity.set_max_work_factor(KeyWork::max_accepted_log_n());
    let mut reader = decryptor
        .decrypt(iter::once(&scrypt_identity as &dyn age::Identity))
        .map_err(|error| match error {
            age::DecryptError::DecryptionFailed => VaultError::WrongPassphrase,
            age::DecryptError::ExcessiveWork { required, .. } => corrupt(format!(
                "it asks for scrypt work 2^{required}, more than the 2^{} this server accepts",
                KeyWork::max_accepted_log_n()
            )),
            other => corrupt(other.to_string()),
        })?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|error| corrupt(error.to_string()))?;
    let text = std::str::from_utf8(&plaintext)
        .map_err(|_| corrupt("the unlocked content is not a key".to_owned()))?;
    let identity = text
        .trim()
        .parse::<x25519::Identity>()
        .map_err(|reason| corrupt(format!("the unlocked content is not a key ({reason})")))?;
    Ok(OpenerIdentity { identity })
}

fn lock_identity(
    identity: &x25519::Identity,
    passphrase: &str,
    work: KeyWork,
) -> Result<Vec<u8>, VaultError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::PassphraseTooShort {
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    let mut recipient = scrypt::Recipient::new(SecretString::from(passphrase));
    recipient.set_work_factor(work.log_n());
    let secret = identity.to_string();
    age::encrypt(&recipient, secret.expose_secret().as_bytes()).map_err(|error| {
        VaultError::EncryptionFailed {
            reason: error.to_string(),
        }
    })
}

/// The organisation's recovery key pair, generated once. The secret is shown to the
/// administrator once and kept offline; the store keeps only the recipient.
#[derive(Debug)]
pub struct RecoveryKey {
    /// The public key (`age1…`) every competition seals the recovery share to.
    pub recipient: String,
    /// The printable secret (`AGE-SECRET-KEY-1…`). Redacted in Debug output.
    pub secret: SecretString,
}

impl RecoveryKey {
    /// Generates a new recovery key pair.
    pub fn generate() -> RecoveryKey {
        let identity = x25519::Identity::generate();
        RecoveryKey {
            recipient: identity.to_public().to_string(),
            secret: identity.to_string(),
        }
    }
}

/// The recovery key read back from its printed secret, to unseal the recovery share.
pub struct RecoveryIdentity {
    identity: x25519::Identity,
}

impl RecoveryIdentity {
    /// Reads the printed recovery secret (`AGE-SECRET-KEY-1…`); surrounding spaces are ignored.
    pub fn from_secret(secret: &str) -> Result<RecoveryIdentity, VaultError> {
        let identity = secret
            .trim()
            .parse::<x25519::Identity>()
            .map_err(|reason| VaultError::InvalidRecoverySecret {
                reason: reason.to_owned(),
            })?;
        Ok(RecoveryIdentity { identity })
    }

    /// The recovery public key (`age1…`), to check against the one on record.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    pub(crate) fn age_identity(&self) -> &x25519::Identity {
        &self.identity
    }
}

impl fmt::Debug for RecoveryIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryIdentity")
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

/// Parses an age X25519 public key, naming whose it is in the error.
pub(crate) fn parse_recipient(
    holder_id: &str,
    text: &str,
) -> Result<x25519::Recipient, VaultError> {
    text.trim()
        .parse::<x25519::Recipient>()
        .map_err(|reason| VaultError::InvalidRecipient {
            holder_id: holder_id.to_owned(),
            reason: reason.to_owned(),
        })
}
