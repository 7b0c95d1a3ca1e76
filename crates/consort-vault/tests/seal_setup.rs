//! The checks `CompetitionSeal::create` makes on its openers and recovery key.

use consort_vault::{CompetitionSeal, KeyWork, OpenerKey, RecoveryKey, VaultError};

fn opener(holder_id: &str) -> (String, String) {
    let key = OpenerKey::create("a passphrase long enough", KeyWork::TestOnly).unwrap();
    (holder_id.to_owned(), key.recipient)
}

#[test]
fn fewer_than_two_openers_are_refused() {
    let recovery = RecoveryKey::generate();
    for openers in [vec![], vec![opener("ada")]] {
        let error = CompetitionSeal::create(&openers, &recovery.recipient).unwrap_err();
        assert!(
            matches!(error, VaultError::TooFewOpeners { given } if given == openers.len()),
            "{error:?}"
        );
        assert!(error.to_string().contains("at least 2 authorised openers"));
    }
}

#[test]
fn two_openers_are_enough() {
    let recovery = RecoveryKey::generate();
    let setup =
        CompetitionSeal::create(&[opener("ada"), opener("bo")], &recovery.recipient).unwrap();
    assert_eq!(setup.shares.len(), 3);
}

#[test]
fn an_opener_listed_twice_is_refused() {
    let recovery = RecoveryKey::generate();
    let error = CompetitionSeal::create(
        &[opener("ada"), opener("bo"), opener("ada")],
        &recovery.recipient,
    )
    .unwrap_err();
    assert!(
        matches!(&error, VaultError::DuplicateHolder { holder_id } if holder_id == "ada"),
        "{error:?}"
    );
}

#[test]
fn two_holders_with_one_key_are_refused() {
    let recovery = RecoveryKey::generate();
    let ada = opener("ada");
    let ada_again = ("ada-alias".to_owned(), ada.1.clone());
    let error =
        CompetitionSeal::create(&[ada, opener("bo"), ada_again], &recovery.recipient).unwrap_err();
    assert!(
        matches!(&error, VaultError::DuplicateRecipient { first, second }
            if first == "ada" && second == "ada-alias"),
        "{error:?}"
    );
}

#[test]
fn an_opener_using_the_recovery_key_is_refused() {
    let recovery = RecoveryKey::generate();
    let sneaky = ("bo".to_owned(), recovery.recipient.clone());
    let error = CompetitionSeal::create(&[opener("ada"), sneaky], &recovery.recipient).unwrap_err();
    assert!(
        matches!(&error, VaultError::DuplicateRecipient { first, second }
            if first == "bo" && second == "recovery"),
        "{error:?}"
    );
}

#[test]
fn unusable_holder_ids_are_refused_with_the_reason() {
    let recovery = RecoveryKey::generate();
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("ada\nholder: bo", "control characters"),
        ("recovery", "reserved"),
    ];
    for (holder_id, reason) in cases {
        let error =
            CompetitionSeal::create(&[opener("ada"), opener(holder_id)], &recovery.recipient)
                .unwrap_err();
        assert!(
            matches!(&error, VaultError::InvalidHolderId { holder_id: refused, .. } if refused == holder_id),
            "{holder_id:?}: {error:?}"
        );
        assert!(error.to_string().contains(reason), "{holder_id:?}: {error}");
    }
}

#[test]
fn malformed_public_keys_are_refused_naming_the_holder() {
    let recovery = RecoveryKey::generate();
    let bad = ("bo".to_owned(), "age1definitelynotakey".to_owned());
    let error = CompetitionSeal::create(&[opener("ada"), bad], &recovery.recipient).unwrap_err();
    assert!(
        matches!(&error, VaultError::InvalidRecipient { holder_id, .. } if holder_id == "bo"),
        "{error:?}"
    );
    let error =
        CompetitionSeal::create(&[opener("ada"), opener("bo")], "AGE-SECRET-KEY-1").unwrap_err();
    assert!(
        matches!(&error, VaultError::InvalidRecipient { holder_id, .. } if holder_id == "recovery"),
        "{error:?}"
    );
}

#[test]
fn a_recovery_secret_that_is_not_a_key_is_refused() {
    let error = consort_vault::RecoveryIdentity::from_secret("age1notasecret").unwrap_err();
    assert!(
        matches!(error, VaultError::InvalidRecoverySecret { .. }),
        "{error:?}"
    );
}
