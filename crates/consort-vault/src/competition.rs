//! Setting up a competition's seal, sealing bids, and opening them with the rebuilt key.

use std::fmt;
use std::io::Read;
use std::iter;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use getrandom::SysRng;
use rand_core::UnwrapErr;
use vsss_rs::{Gf256, IdentifierGf256};
use zeroize::Zeroizing;

use crate::error::VaultError;
use crate::keys::{OpenerIdentity, RecoveryIdentity, parse_recipient};
use crate::share::{RECOVERY_HOLDER_ID, SHARES_NEEDED, Share};

/// The most openers one competition can have: GF(256) sharing allows 255 shares and
/// one of them is the recovery share.
const MAX_OPENERS: usize = 254;

/// Creates the seal for one competition.
pub struct CompetitionSeal;

impl CompetitionSeal {
    /// Generates a fresh competition key, splits its secret so that any two of the
    /// openers and the recovery key can rebuild it, seals each share to its holder and
    /// forgets the key.
    ///
    /// `openers` pairs each opener's holder id with their public key (`age1…`);
    /// `recovery` is the organisation's recovery public key. Holder ids must be
    /// distinct, non-empty, free of control characters and not `"recovery"`; every
    /// public key must be different, so that no person holds two shares.
    pub fn create(openers: &[(String, String)], recovery: &str) -> Result<SealSetup, VaultError> {
        if openers.len() < SHARES_NEEDED {
            return Err(VaultError::TooFewOpeners {
                given: openers.len(),
            });
        }
        if openers.len() > MAX_OPENERS {
            return Err(VaultError::TooManyOpeners {
                given: openers.len(),
                max: MAX_OPENERS,
            });
        }
        let mut holders: Vec<(&str, x25519::Recipient)> = Vec::with_capacity(openers.len() + 1);
        for (holder_id, recipient_text) in openers {
            check_holder_id(holder_id)?;
            if holders.iter().any(|(seen, _)| seen == holder_id) {
                return Err(VaultError::DuplicateHolder {
                    holder_id: holder_id.clone(),
                });
            }
            holders.push((holder_id, parse_recipient(holder_id, recipient_text)?));
        }
        holders.push((
            RECOVERY_HOLDER_ID,
            parse_recipient(RECOVERY_HOLDER_ID, recovery)?,
        ));
        for (position, (holder_id, recipient)) in holders.iter().enumerate() {
            if let Some((first, _)) = holders[..position]
                .iter()
                .find(|(_, seen)| seen == recipient)
            {
                return Err(VaultError::DuplicateRecipient {
                    first: (*first).to_owned(),
                    second: (*holder_id).to_owned(),
                });
            }
        }

        let competition_identity = x25519::Identity::generate();
        let public_key = competition_identity.to_public().to_string();
        let points = {
            let secret = competition_identity.to_string();
            let share_count = holders.len();
            let share_indexes = (1..=share_count).map(|index| {
                IdentifierGf256(Gf256(u8::try_from(index).expect("at most 255 shares")))
            });
            Gf256::split_bytes_with_participant_ids_iter(
                SHARES_NEEDED,
                share_count,
                secret.expose_secret().as_bytes(),
                UnwrapErr(SysRng),
                share_indexes,
            )
            .map_err(|error| VaultError::EncryptionFailed {
                reason: format!("splitting the competition key failed: {error}"),
            })?
        };
        drop(competition_identity);
        let points: Vec<Zeroizing<Vec<u8>>> = points.into_iter().map(Zeroizing::new).collect();

        let shares = holders
            .iter()
            .zip(points)
            .map(|((holder_id, recipient), point)| {
                let share = Share::new(public_key.clone(), (*holder_id).to_owned(), point);
                let ciphertext = encrypt(recipient, share.to_text().as_bytes())?;
                Ok(SealedShare {
                    holder_id: (*holder_id).to_owned(),
                    ciphertext,
                })
            })
            .collect::<Result<Vec<_>, VaultError>>()?;
        Ok(SealSetup { public_key, shares })
    }
}

fn check_holder_id(holder_id: &str) -> Result<(), VaultError> {
    let refuse = |reason| {
        Err(VaultError::InvalidHolderId {
            holder_id: holder_id.to_owned(),
            reason,
        })
    };
    if holder_id.trim().is_empty() {
        return refuse("it is empty");
    }
    if holder_id.chars().any(char::is_control) {
        return refuse("it contains line breaks or other control characters");
    }
    if holder_id == RECOVERY_HOLDER_ID {
        return refuse("\"recovery\" is reserved for the organisation's recovery share");
    }
    Ok(())
}

/// What [`CompetitionSeal::create`] returns: all of it may be stored openly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealSetup {
    /// The competition's public key (`age1…`) that every bid is sealed to.
    pub public_key: String,
    /// One sealed share per opener, in the order given, then the recovery share
    /// (holder id [`RECOVERY_HOLDER_ID`]).
    pub shares: Vec<SealedShare>,
}

/// One holder's share, encrypted to that holder's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedShare {
    /// Whose share this is: an opener's holder id or [`RECOVERY_HOLDER_ID`].
    pub holder_id: String,
    /// The share, age-encrypted to the holder's public key.
    pub ciphertext: Vec<u8>,
}

impl SealedShare {
    /// Decrypts this share with an opener's unlocked key.
    pub fn unseal(&self, opener: &OpenerIdentity) -> Result<Share, VaultError> {
        self.unseal_with(opener.age_identity())
    }

    /// Decrypts the recovery share with the organisation's recovery key.
    pub fn unseal_recovery(&self, recovery: &RecoveryIdentity) -> Result<Share, VaultError> {
        self.unseal_with(recovery.age_identity())
    }

    fn unseal_with(&self, identity: &x25519::Identity) -> Result<Share, VaultError> {
        let mut plaintext = Zeroizing::new(Vec::with_capacity(self.ciphertext.len()));
        decrypt_into(identity, &self.ciphertext, &mut plaintext).map_err(|error| match error {
            age::DecryptError::NoMatchingKeys => VaultError::NotThisHoldersShare {
                holder_id: self.holder_id.clone(),
            },
            other => VaultError::CorruptSealedShare {
                holder_id: self.holder_id.clone(),
                reason: other.to_string(),
            },
        })?;
        let share =
            Share::from_bytes(&plaintext).map_err(|error| VaultError::CorruptSealedShare {
                holder_id: self.holder_id.clone(),
                reason: error.to_string(),
            })?;
        if share.holder_id() != self.holder_id {
            return Err(VaultError::ShareHolderMismatch {
                stored_for: self.holder_id.clone(),
                made_for: share.holder_id().to_owned(),
            });
        }
        Ok(share)
    }
}

impl fmt::Debug for SealedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedShare")
            .field("holder_id", &self.holder_id)
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .finish()
    }
}

/// Seals one bid (or attachment) to a competition's public key.
pub fn seal(public_key: &str, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let recipient = parse_recipient("competition", public_key)?;
    encrypt(&recipient, plaintext)
}

/// A competition's rebuilt private key: it opens every bid sealed to the competition.
/// Only [`reassemble`](crate::reassemble) after the deadline, or the store re-reading
/// a key it kept after opening, produce one.
pub struct CompetitionKey {
    identity: x25519::Identity,
}

impl CompetitionKey {
    pub(crate) fn from_identity(identity: x25519::Identity) -> Self {
        CompetitionKey { identity }
    }

    /// The competition's public key (`age1…`).
    pub fn public_key(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// Opens one sealed bid.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut plaintext = Vec::with_capacity(ciphertext.len());
        decrypt_into(&self.identity, ciphertext, &mut plaintext).map_err(|error| {
            VaultError::OpenFailed {
                reason: error.to_string(),
            }
        })?;
        Ok(plaintext)
    }

    /// The key as an age secret key string, for the store to keep once the bids are open.
    pub fn to_secret_string(&self) -> SecretString {
        self.identity.to_string()
    }

    /// Reads a key written by [`CompetitionKey::to_secret_string`].
    pub fn from_secret_string(secret: &str) -> Result<CompetitionKey, VaultError> {
        secret
            .trim()
            .parse::<x25519::Identity>()
            .map(CompetitionKey::from_identity)
            .map_err(|reason| VaultError::InvalidCompetitionKey {
                reason: reason.to_owned(),
            })
    }
}

impl fmt::Debug for CompetitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompetitionKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

fn encrypt(recipient: &x25519::Recipient, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    age::encrypt(recipient, plaintext).map_err(|error| VaultError::EncryptionFailed {
        reason: error.to_string(),
    })
}

/// Decrypts into `plaintext`, which the caller sizes (and zeroizes, for secrets).
fn decrypt_into(
    identity: &x25519::Identity,
    ciphertext: &[u8],
    plaintext: &mut Vec<u8>,
) -> Result<(), age::DecryptError> {
    let decryptor = age::Decryptor::new_buffered(ciphertext)?;
    let mut reader = decryptor.decrypt(iter::once(identity as &dyn age::Identity))?;
    reader.read_to_end(plaintext)?;
    Ok(())
}
