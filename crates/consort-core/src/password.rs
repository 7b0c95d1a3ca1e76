//! Passwords: the policy they must meet, argon2id hashing, and one-time passwords.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// The fewest characters a password may have (NCSC guidance favours length over
/// composition rules).
pub const MIN_LENGTH: usize = 12;
/// The most characters a password may have, to bound hashing work.
pub const MAX_LENGTH: usize = 256;

/// Why a password cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_LENGTH`] characters.
    #[error("the password must be at least {MIN_LENGTH} characters long")]
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    #[error("the password must be {MAX_LENGTH} characters or fewer")]
    TooLong,
    /// The password is the same as the email address.
    #[error("the password must not be your email address")]
    SameAsEmail,
    /// The system could not hash or read a hash.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Checks a new password against the policy.
pub fn check_policy(password: &str, email: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(PasswordError::SameAsEmail);
    }
    Ok(())
}

/// How much work a password hash costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    /// OWASP's recommended argon2id parameters (19 MiB, 2 passes).
    Standard,
    /// The least argon2 allows: for tests only, where hashing speed matters more
    /// than resistance to guessing.
    TestOnly,
}

/// Hashes and verifies passwords with argon2id.
#[derive(Debug, Clone, Copy)]
pub struct PasswordHashing {
    cost: HashCost,
}

impl PasswordHashing {
    /// A hasher of the given cost. Verification always uses the cost recorded in
    /// the stored hash.
    pub fn new(cost: HashCost) -> Self {
        Self { cost }
    }

    /// The cost new hashes are made with.
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = match self.cost {
            HashCost::Standard => Params::default(),
            HashCost::TestOnly => Params::new(8, 1, 1, None).expect("minimal argon2 parameters"),
        };
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$…`).
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Whether `password` matches the stored PHC string. A malformed stored hash
    /// never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.argon2()
            .verify_password(password.as_bytes(), phc)
            .is_ok()
    }

    /// Does the work of one verification against a fixed hash, so that signing in
    /// as an unknown account takes as long as signing in with a wrong password.
    pub fn verify_dummy(&self, password: &str) {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let cost = self.cost;
        let phc = DUMMY.get_or_init(|| {
            PasswordHashing::new(cost)
                .hash("consort-timing-equaliser")
                .unwrap_or_default()
        });
        let _ = self.verify(password, phc);
    }
}

/// Letters and digits that cannot be mistaken for each other when read aloud or
/// copied from a screen.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A random password of 20 unambiguous characters (about 115 bits), in groups of
/// five joined by dashes, from the operating system's random source.
pub fn generate() -> Result<String, PasswordError> {
    let mut out = String::with_capacity(23);
    let mut produced = 0;
    while produced < 20 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).map_err(|e| PasswordError::Hashing(e.to_string()))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        if (byte[0] as usize) >= limit {
            continue;
        }
        if produced > 0 && produced % 5 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[byte[0] as usize % ALPHABET.len()] as char);
        produced += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_asks_for_length_and_not_the_email() {
        assert_eq!(
            check_policy("short", "a@b.com"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_policy(&"x".repeat(300), "a@b.com"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_policy("buyer@camden.gov.uk", "buyer@camden.gov.uk"),
            Err(PasswordError::SameAsEmail)
        );
        assert_eq!(check_policy("correct horse battery", "a@b.com"), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hashing = PasswordHashing::new(HashCost::TestOnly);
        let phc = hashing.hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(hashing.verify("correct horse battery", &phc));
        assert!(!hashing.verify("correct horse batterY", &phc));
        assert!(!hashing.verify("anything", "not a hash"));
        assert_ne!(
            phc,
            hashing.hash("correct horse battery").unwrap(),
            "salted"
        );
    }

    #[test]
    fn standard_cost_uses_owasp_parameters() {
        let phc = PasswordHashing::new(HashCost::Standard)
            .hash("correct horse battery")
            .unwrap();
        assert!(phc.contains("m=19456,t=2,p=1"), "{phc}");
    }

    #[test]
    fn generated_passwords_meet_the_policy_and_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 23);
        assert!(check_policy(&a, "a@b.com").is_ok());
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
    }
}
