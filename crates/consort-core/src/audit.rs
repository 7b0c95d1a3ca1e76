//! The audit chain: every state change is an entry whose hash covers its own
//! fields and the hash of the entry before it, so that changing, removing or
//! reordering any stored entry breaks the chain from that point on.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The previous-hash of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A change about to be recorded: what happened, who did it and for whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who acted: `user:<email>`, `cli`, `system`.
    pub actor: String,
    /// The organisation on whose behalf, if any.
    pub org: Option<String>,
    /// A dotted name for the kind of change (`org.created`, `consortium.member_joined`).
    pub kind: String,
    /// The details of the change.
    pub payload: serde_json::Value,
}

impl AuditEvent {
    /// An event with the given actor, organisation, kind and payload.
    pub fn new(
        actor: impl Into<String>,
        org: Option<&str>,
        kind: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            actor: actor.into(),
            org: org.map(String::from),
            kind: kind.into(),
            payload,
        }
    }
}

/// An entry as stored: every field the hash covers, exactly as stored text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1 with no gaps.
    pub seq: i64,
    /// UTC time of the change, RFC 3339 with microseconds.
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// On whose behalf, or empty.
    pub org: String,
    /// The kind of change.
    pub kind: String,
    /// The payload as canonical JSON text.
    pub payload: String,
    /// The hash of the entry before, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// SHA-256 of this entry's fields and `prev_hash`, lower-case hex.
    pub hash: String,
}

impl AuditEntry {
    /// Builds the entry that follows `prev` (or starts the chain) for `event` at `at`.
    pub fn next(prev: Option<(i64, &str)>, event: &AuditEvent, at: jiff::Timestamp) -> Self {
        let (seq, prev_hash) = match prev {
            Some((seq, hash)) => (seq + 1, hash.to_string()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let mut entry = AuditEntry {
            seq,
            at: format_time(at),
            actor: event.actor.clone(),
            org: event.org.clone().unwrap_or_default(),
            kind: event.kind.clone(),
            payload: serde_json::to_string(&event.payload).expect("JSON values always serialise"),
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The hash this entry's fields call for. Each field is length-prefixed so that
    /// no two different entries hash the same input.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"consort-audit-v1");
        for field in [
            self.seq.to_string().as_str(),
            &self.at,
            &self.actor,
            &self.org,
            &self.kind,
            &self.payload,
            &self.prev_hash,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Formats an instant as the audit log stores it: UTC, microseconds, `Z`.
pub fn format_time(at: jiff::Timestamp) -> String {
    at.round(jiff::Unit::Microsecond)
        .unwrap_or(at)
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The first place where a stored chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq} does not match: {reason}")]
pub struct ChainBreak {
    /// The sequence number of the first bad entry (or where one is missing).
    pub seq: i64,
    /// What does not match.
    pub reason: String,
}

/// Checks entries one by one, in sequence order, as they stream from storage.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<(i64, String)>,
    count: u64,
}

impl ChainVerifier {
    /// A verifier at the start of the chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let (expected_seq, expected_prev) = match &self.last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        let fail = |reason: String| ChainBreak {
            seq: expected_seq.min(entry.seq),
            reason,
        };
        if entry.seq != expected_seq {
            return Err(fail(format!(
                "expected sequence number {expected_seq}, found {} (an entry is missing or out of order)",
                entry.seq
            )));
        }
        if entry.prev_hash != expected_prev {
            return Err(fail(format!(
                "its previous-hash {} is not the hash of entry {} ({expected_prev})",
                entry.prev_hash,
                expected_seq - 1
            )));
        }
        let computed = entry.compute_hash();
        if computed != entry.hash {
            return Err(fail(format!(
                "recorded hash {} but its contents hash to {computed} (the entry was altered)",
                entry.hash
            )));
        }
        self.last = Some((entry.seq, entry.hash.clone()));
        self.count += 1;
        Ok(())
    }

    /// How many entries have checked out so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let event = AuditEvent::new(
                "cli",
                Some("GB-LAE-CMD"),
                "org.created",
                serde_json::json!({ "i": i, "name": "Camden" }),
            );
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            let at = jiff::Timestamp::from_second(1_800_000_000 + i as i64).unwrap();
            let entry = AuditEntry::next(prev, &event, at);
            out.push(entry);
        }
        out
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn a_fresh_chain_verifies() {
        let entries = chain(5);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert_eq!(entries[0].at, "2027-01-15T08:00:00.000000Z");
        assert_eq!(verify(&entries), Ok(5));
    }

    #[test]
    fn an_altered_payload_is_named() {
        let mut entries = chain(5);
        entries[2].payload = entries[2].payload.replace("Camden", "Hackney");
        let err = verify(&entries).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("altered"), "{err}");
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        assert_eq!(verify(&entries).unwrap_err().seq, 2);
    }

    #[test]
    fn a_rehashed_entry_breaks_the_link_after_it() {
        let mut entries = chain(5);
        entries[2].actor = "someone else".into();
        entries[2].hash = entries[2].compute_hash();
        let err = verify(&entries).unwrap_err();
        assert_eq!(err.seq, 4);
        assert!(err.reason.contains("previous-hash"), "{err}");
    }

    proptest! {
        #[test]
        fn any_single_field_change_is_detected(n in 1usize..8, which in 0usize..8, field in 0usize..6, extra in "[a-z]{1,5}") {
            let mut entries = chain(n);
            let i = which % n;
            let e = &mut entries[i];
            match field {
                0 => e.at.push_str(&extra),
                1 => e.actor.push_str(&extra),
                2 => e.org.push_str(&extra),
                3 => e.kind.push_str(&extra),
                4 => e.payload.push_str(&extra),
                _ => e.hash.push_str(&extra),
            }
            let err = verify(&entries).unwrap_err();
            prop_assert_eq!(err.seq, i as i64 + 1);
        }
    }
}
