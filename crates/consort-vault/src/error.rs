//! The vault's error type.

/// Everything that can go wrong while creating keys, sealing, unsealing shares or
/// opening bids. Each message says what was wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// Fewer than two openers were named for a competition.
    #[error(
        "a competition needs at least 2 authorised openers so that no one person can open the bids; {given} given"
    )]
    TooFewOpeners {
        /// How many openers were given.
        given: usize,
    },
    /// More openers were named than GF(256) sharing can serve.
    #[error("a competition can have at most {max} authorised openers; {given} given")]
    TooManyOpeners {
        /// How many openers were given.
        given: usize,
        /// The most allowed.
        max: usize,
    },
    /// An opener's holder id is empty, has control characters or line breaks, or is
    /// the reserved recovery id.
    #[error("opener holder id {holder_id:?} is not usable: {reason}")]
    InvalidHolderId {
        /// The offending holder id.
        holder_id: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The same holder id appears twice in the opener list.
    #[error("opener {holder_id:?} is listed twice; name each opener once")]
    DuplicateHolder {
        /// The repeated holder id.
        holder_id: String,
    },
    /// Two holders share one public key, so one person could hold two shares.
    #[error(
        "{first:?} and {second:?} have the same public key, so one person could open the bids alone; each share must go to a different key"
    )]
    DuplicateRecipient {
        /// The first holder with that key.
        first: String,
        /// The second holder with that key.
        second: String,
    },
    /// A public key is not an age X25519 recipient.
    #[error("the public key for {holder_id:?} is not an age X25519 public key (age1…): {reason}")]
    InvalidRecipient {
        /// Whose key it was (an opener's holder id, "recovery" or "competition").
        holder_id: String,
        /// What the parser said.
        reason: String,
    },
    /// A new passphrase is too short to protect an opener key.
    #[error("the passphrase must be at least {min} characters long")]
    PassphraseTooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// The passphrase does not unlock the opener key.
    #[error("the passphrase does not unlock this opener key; check it and try again")]
    WrongPassphrase,
    /// The stored locked opener key is damaged or is not an opener key.
    #[error("the stored opener key is damaged or is not an opener key: {reason}")]
    CorruptLockedKey {
        /// What was wrong.
        reason: String,
    },
    /// The organisation recovery secret could not be read.
    #[error("the recovery secret is not an age secret key (AGE-SECRET-KEY-1…): {reason}")]
    InvalidRecoverySecret {
        /// What the parser said.
        reason: String,
    },
    /// The key offered was not the one the share was sealed to.
    #[error("this key cannot unseal the share held by {holder_id:?}: it was sealed to another key")]
    NotThisHoldersShare {
        /// The holder the share is stored for.
        holder_id: String,
    },
    /// A sealed share could not be decrypted or read.
    #[error("the sealed share held by {holder_id:?} is damaged: {reason}")]
    CorruptSealedShare {
        /// The holder the share is stored for.
        holder_id: String,
        /// What was wrong.
        reason: String,
    },
    /// The share inside a sealed share names a different holder than the row it was stored under.
    #[error(
        "the share stored for {stored_for:?} was made for {made_for:?}; the stored shares may have been swapped"
    )]
    ShareHolderMismatch {
        /// The holder id on the stored row.
        stored_for: String,
        /// The holder id written inside the share.
        made_for: String,
    },
    /// A share's text or bytes are not a Consort share.
    #[error("the share is not a valid Consort share: {reason}")]
    InvalidShareText {
        /// What was wrong.
        reason: String,
    },
    /// Fewer than two shares were given to reassemble.
    #[error("two shares from different holders are needed to open the bids; {given} given")]
    NotEnoughShares {
        /// How many shares were given.
        given: usize,
    },
    /// Two of the shares come from the same holder (or are copies of one share).
    #[error("the shares must come from two different holders; two of them are {holder_id:?}'s")]
    SharesFromSameHolder {
        /// The holder whose share appears twice.
        holder_id: String,
    },
    /// A share belongs to another competition.
    #[error("the share from {holder_id:?} belongs to a different competition")]
    ShareFromOtherCompetition {
        /// The holder whose share it is.
        holder_id: String,
    },
    /// The shares combined into something that is not this competition's key.
    #[error(
        "the shares do not rebuild this competition's key: at least one share is damaged or altered"
    )]
    ReassembledKeyMismatch,
    /// A competition secret key string could not be read.
    #[error("the competition key is not an age secret key (AGE-SECRET-KEY-1…): {reason}")]
    InvalidCompetitionKey {
        /// What the parser said.
        reason: String,
    },
    /// A sealed bid could not be opened with the competition key.
    #[error(
        "the sealed bid cannot be opened: it was sealed for another competition or is damaged ({reason})"
    )]
    OpenFailed {
        /// What age reported.
        reason: String,
    },
    /// Encryption failed inside age or the sharing library (not expected in practice).
    #[error("encryption failed: {reason}")]
    EncryptionFailed {
        /// What the library reported.
        reason: String,
    },
}
