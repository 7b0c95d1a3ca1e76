//! Sealing, unsealing shares and opening bids with 3 openers and a recovery key.

mod common;

use common::{Fixture, OPENER_IDS, passphrase_of};
use consort_vault::{
    CompetitionKey, ExposeSecret, KeyWork, OpenerKey, RECOVERY_HOLDER_ID, SealedShare, Share,
    VaultError, reassemble, seal, unlock,
};

const BID: &[u8] = b"Lot 1: housing management system, total price 1234500 pence";

#[test]
fn the_setup_has_one_share_per_opener_then_the_recovery_share() {
    let fixture = Fixture::new();
    let holders: Vec<&str> = fixture
        .setup
        .shares
        .iter()
        .map(|share| share.holder_id.as_str())
        .collect();
    assert_eq!(
        holders,
        [
            OPENER_IDS[0],
            OPENER_IDS[1],
            OPENER_IDS[2],
            RECOVERY_HOLDER_ID
        ]
    );
    assert!(fixture.setup.public_key.starts_with("age1"));
}

#[test]
fn any_two_distinct_holders_open_the_bids() {
    let fixture = Fixture::new();
    let sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let shares = fixture.unsealed_shares(&fixture.setup);
    assert_eq!(shares.len(), 4);
    for first in 0..shares.len() {
        for second in 0..shares.len() {
            if first == second {
                continue;
            }
            let pair = [shares[first].clone(), shares[second].clone()];
            let key = reassemble(&fixture.setup.public_key, &pair)
                .unwrap_or_else(|error| panic!("shares {first} and {second}: {error}"));
            assert_eq!(key.public_key(), fixture.setup.public_key);
            assert_eq!(key.open(&sealed_bid).unwrap(), BID);
        }
    }
}

#[test]
fn more_than_two_distinct_shares_also_open_the_bids() {
    let fixture = Fixture::new();
    let sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let key = reassemble(&fixture.setup.public_key, &shares).unwrap();
    assert_eq!(key.open(&sealed_bid).unwrap(), BID);
}

#[test]
fn one_share_alone_is_refused() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    for share in &shares {
        let error = reassemble(&fixture.setup.public_key, std::slice::from_ref(share)).unwrap_err();
        assert!(
            matches!(error, VaultError::NotEnoughShares { given: 1 }),
            "{error:?}"
        );
    }
    let error = reassemble(&fixture.setup.public_key, &[]).unwrap_err();
    assert!(matches!(error, VaultError::NotEnoughShares { given: 0 }));
}

#[test]
fn the_same_share_twice_is_refused() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let copy = Share::from_text(&shares[0].to_text()).unwrap();
    let error = reassemble(&fixture.setup.public_key, &[shares[0].clone(), copy]).unwrap_err();
    assert!(
        matches!(&error, VaultError::SharesFromSameHolder { holder_id } if holder_id == OPENER_IDS[0]),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("the shares must come from two different holders")
    );
}

#[test]
fn a_share_from_another_competition_is_refused() {
    let fixture = Fixture::new();
    let other = fixture.another_competition();
    assert_ne!(other.public_key, fixture.setup.public_key);
    let ours = fixture.unsealed_shares(&fixture.setup);
    let theirs = fixture.unsealed_shares(&other);
    let error = reassemble(
        &fixture.setup.public_key,
        &[ours[0].clone(), theirs[1].clone()],
    )
    .unwrap_err();
    assert!(
        matches!(&error, VaultError::ShareFromOtherCompetition { holder_id } if holder_id == OPENER_IDS[1]),
        "{error:?}"
    );
}

#[test]
fn a_share_relabelled_for_this_competition_does_not_rebuild_its_key() {
    let fixture = Fixture::new();
    let other = fixture.another_competition();
    let ours = fixture.unsealed_shares(&fixture.setup);
    let theirs = fixture.unsealed_shares(&other);
    let relabelled_text = theirs[1]
        .to_text()
        .replace(&other.public_key, &fixture.setup.public_key);
    let relabelled = Share::from_text(&relabelled_text).unwrap();
    assert_eq!(
        relabelled.competition_public_key(),
        fixture.setup.public_key
    );
    let error = reassemble(&fixture.setup.public_key, &[ours[0].clone(), relabelled]).unwrap_err();
    assert!(
        matches!(error, VaultError::ReassembledKeyMismatch),
        "{error:?}"
    );
}

#[test]
fn a_damaged_share_value_does_not_rebuild_the_key() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let text = shares[1].to_text();
    let (head, value_hex) = text.trim_end().rsplit_once("share: ").unwrap();
    let mut value = hex::decode(value_hex).unwrap();
    value[5] ^= 0x01;
    let damaged = Share::from_text(&format!("{head}share: {}\n", hex::encode(value))).unwrap();
    let error = reassemble(&fixture.setup.public_key, &[shares[0].clone(), damaged]).unwrap_err();
    assert!(
        matches!(error, VaultError::ReassembledKeyMismatch),
        "{error:?}"
    );
}

#[test]
fn a_share_survives_its_text_and_byte_forms() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let from_text = Share::from_text(&shares[0].to_text()).unwrap();
    let from_bytes = Share::from_bytes(&shares[2].to_bytes()).unwrap();
    assert_eq!(from_text, shares[0]);
    assert_eq!(from_bytes, shares[2]);
    assert_eq!(from_text.holder_id(), OPENER_IDS[0]);
    let sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let key = reassemble(&fixture.setup.public_key, &[from_text, from_bytes]).unwrap();
    assert_eq!(key.open(&sealed_bid).unwrap(), BID);
}

#[test]
fn share_text_that_is_not_a_share_is_refused_with_the_reason() {
    let cases = [
        ("", "share header"),
        ("consort-vault-share-v1\n", "\"competition: \" is missing"),
        (
            "consort-vault-share-v1\ncompetition: age1nope\nholder: a\nshare: 0102\n",
            "age public key",
        ),
    ];
    for (text, reason) in cases {
        let error = Share::from_text(text).unwrap_err();
        assert!(
            matches!(error, VaultError::InvalidShareText { .. }),
            "{text:?}: {error:?}"
        );
        assert!(error.to_string().contains(reason), "{text:?}: {error}");
    }
    let error = Share::from_bytes(&[0xff, 0xfe]).unwrap_err();
    assert!(error.to_string().contains("UTF-8"), "{error}");
}

#[test]
fn a_wrong_passphrase_is_refused() {
    let fixture = Fixture::new();
    let opener = &fixture.openers[0];
    let error = unlock(&opener.key.locked_identity, "not the passphrase at all").unwrap_err();
    assert!(matches!(error, VaultError::WrongPassphrase), "{error:?}");
    assert!(error.to_string().contains("passphrase does not unlock"));
    let right = unlock(
        &opener.key.locked_identity,
        &passphrase_of(&opener.holder_id),
    )
    .unwrap();
    assert_eq!(right.recipient(), opener.key.recipient);
}

#[test]
fn damaged_or_foreign_locked_keys_are_refused() {
    let fixture = Fixture::new();
    let not_age = unlock(b"definitely not an age file", "whatever passphrase").unwrap_err();
    assert!(
        matches!(not_age, VaultError::CorruptLockedKey { .. }),
        "{not_age:?}"
    );
    let x25519_file = seal(&fixture.setup.public_key, b"AGE-SECRET-KEY-1").unwrap();
    let not_locked = unlock(&x25519_file, "whatever passphrase").unwrap_err();
    assert!(
        not_locked
            .to_string()
            .contains("not locked with a passphrase"),
        "{not_locked}"
    );
}

#[test]
fn an_opener_key_created_with_interactive_work_unlocks() {
    let passphrase = "a long enough passphrase for real work";
    let key = OpenerKey::create(passphrase, KeyWork::Interactive).unwrap();
    let identity = unlock(&key.locked_identity, passphrase).unwrap();
    assert_eq!(identity.recipient(), key.recipient);
}

#[test]
fn a_short_passphrase_is_refused() {
    let error = OpenerKey::create("short", KeyWork::TestOnly).unwrap_err();
    assert!(
        matches!(error, VaultError::PassphraseTooShort { min: 12 }),
        "{error:?}"
    );
}

#[test]
fn a_relocked_key_keeps_its_public_key_and_drops_the_old_passphrase() {
    let fixture = Fixture::new();
    let opener = &fixture.openers[1];
    let new_passphrase = "a brand new passphrase for bo";
    let relocked = opener
        .identity
        .relock(new_passphrase, KeyWork::TestOnly)
        .unwrap();
    let identity = unlock(&relocked, new_passphrase).unwrap();
    assert_eq!(identity.recipient(), opener.key.recipient);
    let share = fixture.setup.shares[1].unseal(&identity).unwrap();
    assert_eq!(share.holder_id(), opener.holder_id);
    let old = unlock(&relocked, &passphrase_of(&opener.holder_id)).unwrap_err();
    assert!(matches!(old, VaultError::WrongPassphrase), "{old:?}");
}

#[test]
fn an_opener_cannot_unseal_someone_elses_share() {
    let fixture = Fixture::new();
    let error = fixture.setup.shares[1]
        .unseal(&fixture.openers[0].identity)
        .unwrap_err();
    assert!(
        matches!(&error, VaultError::NotThisHoldersShare { holder_id } if holder_id == OPENER_IDS[1]),
        "{error:?}"
    );
    let error = fixture.setup.shares[0]
        .unseal_recovery(&fixture.recovery_identity)
        .unwrap_err();
    assert!(
        matches!(error, VaultError::NotThisHoldersShare { .. }),
        "{error:?}"
    );
}

#[test]
fn a_share_stored_under_the_wrong_holder_is_refused() {
    let fixture = Fixture::new();
    let swapped = SealedShare {
        holder_id: OPENER_IDS[1].to_owned(),
        ciphertext: fixture.setup.shares[0].ciphertext.clone(),
    };
    let error = swapped.unseal(&fixture.openers[0].identity).unwrap_err();
    assert!(
        matches!(&error, VaultError::ShareHolderMismatch { stored_for, made_for }
            if stored_for == OPENER_IDS[1] && made_for == OPENER_IDS[0]),
        "{error:?}"
    );
}

#[test]
fn a_damaged_sealed_share_is_refused() {
    let fixture = Fixture::new();
    let mut damaged = fixture.setup.shares[0].clone();
    let last = damaged.ciphertext.len() - 1;
    damaged.ciphertext[last] ^= 0x01;
    let error = damaged.unseal(&fixture.openers[0].identity).unwrap_err();
    assert!(
        matches!(error, VaultError::CorruptSealedShare { .. }),
        "{error:?}"
    );
}

#[test]
fn the_opened_key_can_be_kept_as_text_and_read_back() {
    let fixture = Fixture::new();
    let sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let key = reassemble(&fixture.setup.public_key, &shares[1..3]).unwrap();
    let secret = key.to_secret_string();
    assert!(secret.expose_secret().starts_with("AGE-SECRET-KEY-1"));
    let reread = CompetitionKey::from_secret_string(secret.expose_secret()).unwrap();
    assert_eq!(reread.public_key(), fixture.setup.public_key);
    assert_eq!(reread.open(&sealed_bid).unwrap(), BID);
    let error = CompetitionKey::from_secret_string("AGE-SECRET-KEY-1NOPE").unwrap_err();
    assert!(
        matches!(error, VaultError::InvalidCompetitionKey { .. }),
        "{error:?}"
    );
}

#[test]
fn another_competitions_key_cannot_open_a_bid() {
    let fixture = Fixture::new();
    let other = fixture.another_competition();
    let sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let other_key = reassemble(&other.public_key, &fixture.unsealed_shares(&other)[..2]).unwrap();
    let error = other_key.open(&sealed_bid).unwrap_err();
    assert!(matches!(error, VaultError::OpenFailed { .. }), "{error:?}");
}

#[test]
fn a_tampered_bid_does_not_open() {
    let fixture = Fixture::new();
    let mut sealed_bid = seal(&fixture.setup.public_key, BID).unwrap();
    let key = reassemble(
        &fixture.setup.public_key,
        &fixture.unsealed_shares(&fixture.setup)[..2],
    )
    .unwrap();
    let last = sealed_bid.len() - 1;
    sealed_bid[last] ^= 0x80;
    let error = key.open(&sealed_bid).unwrap_err();
    assert!(matches!(error, VaultError::OpenFailed { .. }), "{error:?}");
}

#[test]
fn sealing_to_something_that_is_not_a_public_key_is_refused() {
    let error = seal("age1notakey", BID).unwrap_err();
    assert!(
        matches!(&error, VaultError::InvalidRecipient { holder_id, .. } if holder_id == "competition"),
        "{error:?}"
    );
}

#[test]
fn reassembling_for_a_malformed_public_key_is_refused() {
    let fixture = Fixture::new();
    let shares = fixture.unsealed_shares(&fixture.setup);
    let error = reassemble("not a key", &shares[..2]).unwrap_err();
    assert!(
        matches!(error, VaultError::InvalidRecipient { .. }),
        "{error:?}"
    );
}
