//! A competition with three openers and a recovery key, shared by the vault tests.

#![allow(dead_code)]

use consort_vault::{
    CompetitionSeal, ExposeSecret, KeyWork, OpenerIdentity, OpenerKey, RecoveryIdentity,
    RecoveryKey, SealSetup, Share, unlock,
};

pub const OPENER_IDS: [&str; 3] = ["opener-ada", "opener-bo", "opener-cy"];

pub fn passphrase_of(holder_id: &str) -> String {
    format!("correct horse battery staple for {holder_id}")
}

pub struct Opener {
    pub holder_id: String,
    pub key: OpenerKey,
    pub identity: OpenerIdentity,
}

pub struct Fixture {
    pub openers: Vec<Opener>,
    pub recovery: RecoveryKey,
    pub recovery_identity: RecoveryIdentity,
    pub setup: SealSetup,
}

impl Fixture {
    pub fn new() -> Fixture {
        let openers: Vec<Opener> = OPENER_IDS
            .iter()
            .map(|holder_id| {
                let key = OpenerKey::create(&passphrase_of(holder_id), KeyWork::TestOnly)
                    .expect("opener key");
                let identity =
                    unlock(&key.locked_identity, &passphrase_of(holder_id)).expect("unlock");
                Opener {
                    holder_id: (*holder_id).to_owned(),
                    key,
                    identity,
                }
            })
            .collect();
        let recovery = RecoveryKey::generate();
        let recovery_identity =
            RecoveryIdentity::from_secret(recovery.secret.expose_secret()).expect("recovery");
        let setup = CompetitionSeal::create(&recipients(&openers), &recovery.recipient)
            .expect("competition seal");
        Fixture {
            openers,
            recovery,
            recovery_identity,
            setup,
        }
    }

    /// A second competition sealed to the same holders.
    pub fn another_competition(&self) -> SealSetup {
        CompetitionSeal::create(&recipients(&self.openers), &self.recovery.recipient)
            .expect("second competition seal")
    }

    /// Every holder's unsealed share of `setup`, openers first, recovery last.
    pub fn unsealed_shares(&self, setup: &SealSetup) -> Vec<Share> {
        let mut shares: Vec<Share> = self
            .openers
            .iter()
            .zip(&setup.shares)
            .map(|(opener, sealed)| sealed.unseal(&opener.identity).expect("unseal"))
            .collect();
        let recovery_share = setup.shares.last().expect("recovery share");
        shares.push(
            recovery_share
                .unseal_recovery(&self.recovery_identity)
                .expect("unseal recovery"),
        );
        shares
    }
}

pub fn recipients(openers: &[Opener]) -> Vec<(String, String)> {
    openers
        .iter()
        .map(|opener| (opener.holder_id.clone(), opener.key.recipient.clone()))
        .collect()
}
