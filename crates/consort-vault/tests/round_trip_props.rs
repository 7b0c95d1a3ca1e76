//! Property tests: any bytes sealed to a competition come back unchanged through any
//! two distinct holders' shares, and shares survive their text form.

mod common;

use std::sync::OnceLock;

use common::Fixture;
use consort_vault::{Share, reassemble, seal};
use proptest::prelude::*;

struct Unsealed {
    public_key: String,
    shares: Vec<Share>,
}

fn unsealed() -> &'static Unsealed {
    static UNSEALED: OnceLock<Unsealed> = OnceLock::new();
    UNSEALED.get_or_init(|| {
        let fixture = Fixture::new();
        Unsealed {
            shares: fixture.unsealed_shares(&fixture.setup),
            public_key: fixture.setup.public_key,
        }
    })
}

fn distinct_pair() -> impl Strategy<Value = (usize, usize)> {
    (0usize..4, 1usize..4).prop_map(|(first, offset)| (first, (first + offset) % 4))
}

proptest! {
    #[test]
    fn any_plaintext_round_trips(
        plaintext in prop::collection::vec(any::<u8>(), 0..4096),
        (first, second) in distinct_pair(),
    ) {
        let vault = unsealed();
        let sealed = seal(&vault.public_key, &plaintext).unwrap();
        prop_assert_ne!(&sealed, &plaintext);
        let shares = [
            Share::from_text(&vault.shares[first].to_text()).unwrap(),
            Share::from_bytes(&vault.shares[second].to_bytes()).unwrap(),
        ];
        let key = reassemble(&vault.public_key, &shares).unwrap();
        prop_assert_eq!(key.open(&sealed).unwrap(), plaintext);
    }

    #[test]
    fn sealing_twice_gives_different_bytes(plaintext in prop::collection::vec(any::<u8>(), 0..256)) {
        let vault = unsealed();
        prop_assert_ne!(
            seal(&vault.public_key, &plaintext).unwrap(),
            seal(&vault.public_key, &plaintext).unwrap()
        );
    }

    #[test]
    fn arbitrary_text_is_never_mistaken_for_a_share(text in ".{0,200}") {
        prop_assert!(Share::from_text(&text).is_err());
    }
}
