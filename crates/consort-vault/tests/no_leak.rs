//! Secrets never show up in stored bytes or Debug output.

mod common;

use common::Fixture;
use consort_vault::{
    CompetitionKey, ExposeSecret, KeyWork, OpenerKey, VaultError, reassemble, seal, unlock,
};

const MARKER: &str = "MARKER-7f3a-sealed-means-sealed";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn assert_absent(what: &str, haystack: &[u8], needle: &str) {
    assert!(
        !contains(haystack, needle.as_bytes()),
        "{what} contains {needle:?}"
    );
}

#[test]
fn the_marker_checker_finds_what_is_there() {
    assert!(contains(
        format!("xx{MARKER}yy").as_bytes(),
        MARKER.as_bytes()
    ));
    assert!(!contains(b"MARKER-7f3a", MARKER.as_bytes()));
}

#[test]
fn a_bid_marker_never_appears_in_sealed_bytes() {
    let fixture = Fixture::new();
    let bid = format!("Our price is 99 pence. {MARKER} Signed, Supplier Ltd.");
    let sealed_bid = seal(&fixture.setup.public_key, bid.as_bytes()).unwrap();
    assert_absent("the sealed bid", &sealed_bid, MARKER);
    assert_absent("the sealed bid", &sealed_bid, "Supplier Ltd");
    for sealed_share in &fixture.setup.shares {
        assert_absent("a sealed share", &sealed_share.ciphertext, MARKER);
    }
    let key = reassemble(
        &fixture.setup.public_key,
        &fixture.unsealed_shares(&fixture.setup)[..2],
    )
    .unwrap();
    assert_eq!(key.open(&sealed_bid).unwrap(), bid.as_bytes());
}

#[test]
fn a_passphrase_never_appears_in_the_locked_key() {
    let passphrase = format!("passphrase {MARKER}");
    let key = OpenerKey::create(&passphrase, KeyWork::TestOnly).unwrap();
    assert_absent("the locked opener key", &key.locked_identity, MARKER);
    assert_absent(
        "the locked opener key",
        &key.locked_identity,
        "AGE-SECRET-KEY",
    );
    assert_absent(
        "the opener key's Debug",
        format!("{key:?}").as_bytes(),
        MARKER,
    );
    let identity = unlock(&key.locked_identity, &passphrase).unwrap();
    assert_absent(
        "the opener identity's Debug",
        format!("{identity:?}").as_bytes(),
        "AGE-SECRET-KEY",
    );
    let wrong = unlock(&key.locked_identity, &format!("{MARKER} wrong")).unwrap_err();
    assert_absent("the error's Debug", format!("{wrong:?}").as_bytes(), MARKER);
    assert_absent("the error's message", wrong.to_string().as_bytes(), MARKER);
}

#[test]
fn sealed_shares_hold_no_readable_share() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    for (sealed, share) in fixture.setup.shares.iter().zip(&shares) {
        let text = share.to_text();
        let value_hex = text.trim_end().rsplit_once("share: ").unwrap().1;
        assert_absent("a sealed share", &sealed.ciphertext, value_hex);
        assert_absent("a sealed share", &sealed.ciphertext, "consort-vault-share");
        assert_absent(
            "a sealed share",
            &sealed.ciphertext,
            &fixture.setup.public_key,
        );
    }
}

#[test]
fn debug_output_shows_no_secret() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let key = reassemble(&fixture.setup.public_key, &shares[..2]).unwrap();
    let competition_secret = key.to_secret_string();
    let recovery_secret = fixture.recovery.secret.expose_secret();

    let mut debug_outputs = vec![
        format!("{:?}", fixture.setup),
        format!("{:?}", fixture.recovery),
        format!("{:?}", fixture.recovery_identity),
        format!("{key:?}"),
        format!("{competition_secret:?}"),
        format!(
            "{:?}",
            CompetitionKey::from_secret_string(competition_secret.expose_secret())
        ),
    ];
    for opener in &fixture.openers {
        debug_outputs.push(format!("{:?}", opener.key));
        debug_outputs.push(format!("{:?}", opener.identity));
    }
    let share_values: Vec<String> = shares
        .iter()
        .map(|share| {
            debug_outputs.push(format!("{share:?}"));
            share
                .to_text()
                .trim_end()
                .rsplit_once("share: ")
                .unwrap()
                .1
                .to_owned()
        })
        .collect();

    for output in &debug_outputs {
        assert_absent("Debug output", output.as_bytes(), "AGE-SECRET-KEY");
        assert_absent(
            "Debug output",
            output.as_bytes(),
            competition_secret.expose_secret(),
        );
        assert_absent("Debug output", output.as_bytes(), recovery_secret);
        for value in &share_values {
            assert_absent("Debug output", output.as_bytes(), value);
        }
    }
    assert!(
        debug_outputs[1].contains(&fixture.recovery.recipient),
        "the recovery key's Debug output still names its public key"
    );
}

#[test]
fn errors_do_not_echo_secret_input() {
    let error =
        CompetitionKey::from_secret_string(&format!("AGE-SECRET-KEY-1{MARKER}")).unwrap_err();
    assert!(matches!(error, VaultError::InvalidCompetitionKey { .. }));
    assert_absent("the error", format!("{error} {error:?}").as_bytes(), MARKER);
    let error = consort_vault::RecoveryIdentity::from_secret(MARKER).unwrap_err();
    assert_absent("the error", format!("{error} {error:?}").as_bytes(), MARKER);
}
