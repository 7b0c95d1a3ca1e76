//! Loads the demonstration data set into an empty store, in one transaction.

use crate::contracts::insert_contract;
use crate::orgs::{insert_consortium, insert_member, insert_org};
use crate::users::{NewUser, insert_user};
use crate::{Result, Store};
use consort_core::audit::AuditEvent;
use consort_core::demo::{self, DemoPerson};
use consort_core::org::Role;
use consort_core::org::{Consortium, Membership};
use consort_core::password::{self, HashCost, PasswordHashing};
use consort_vault::{KeyWork, OpenerKey, RecoveryKey};

/// What loading the demo did.
#[derive(Debug)]
pub enum DemoOutcome {
    /// The store was empty and now holds the demo; each person's password is given
    /// here once, to be shown to whoever started the server.
    Loaded(Vec<(DemoPerson, String)>),
    /// The store already held data, so nothing was loaded.
    StoreNotEmpty,
}

impl Store {
    /// Loads the demo data set if, and only if, the store holds no organisations
    /// and no people. Everything is written in one transaction with its audit
    /// entries, so a failure leaves the store as it was.
    ///
    /// So that demo competitions can be published and opened, each demo opener
    /// gets an opening key whose passphrase is their password, and each demo
    /// authority a recovery key whose secret is discarded (an organisation sets
    /// its own from its page).
    pub async fn load_demo(&self, hashing: PasswordHashing) -> Result<DemoOutcome> {
        let data = demo::data();
        let mut people = Vec::with_capacity(data.people.len());
        for person in data.people {
            let pw = password::generate().map_err(|e| crate::StoreError::Refused(e.to_string()))?;
            let hash = hashing
                .hash(&pw)
                .map_err(|e| crate::StoreError::Refused(e.to_string()))?;
            people.push((person, pw, hash));
        }
        let key_work = match hashing.cost() {
            HashCost::Standard => KeyWork::Interactive,
            HashCost::TestOnly => KeyWork::TestOnly,
        };
        let mut w = self.begin_write().await?;
        // Checked inside the write lock, so two servers started together cannot both load.
        let (count,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM organisations) + (SELECT COUNT(*) FROM users)",
        )
        .fetch_one(&mut *w.tx)
        .await?;
        if count > 0 {
            return Ok(DemoOutcome::StoreNotEmpty);
        }
        let actor = "system:demo";
        for org in &data.organisations {
            insert_org(&mut w, actor, org).await?;
        }
        let id = insert_consortium(&mut w, actor, demo::CONSORTIUM_NAME, &data.coordinator).await?;
        let consortium = Consortium {
            id,
            name: demo::CONSORTIUM_NAME.to_string(),
            coordinator: data.coordinator.clone(),
        };
        for member in &data.members {
            insert_member(&mut w, actor, &consortium, member).await?;
            let recovery = RecoveryKey::generate();
            sqlx::query(
                "INSERT INTO recovery_keys (org_id, recipient, created_by, created_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(member.as_str())
            .bind(&recovery.recipient)
            .bind(actor)
            .bind(w.now_text())
            .execute(&mut *w.tx)
            .await?;
            w.audit(AuditEvent::new(
                actor,
                Some(member.as_str()),
                "recovery_key.created",
                serde_json::json!({ "organisation": member, "recipient": recovery.recipient, "secret": "discarded (demo)" }),
            ))
            .await?;
        }
        let mut shown = Vec::with_capacity(people.len());
        for (person, pw, hash) in people {
            let user = NewUser {
                email: person.email.clone(),
                password_hash: hash,
                must_change_password: false,
                membership: Membership {
                    org: person.org.clone(),
                    role: person.role,
                },
            };
            let user_id = insert_user(&mut w, actor, &user).await?;
            if person.role == Role::Opener {
                let key = OpenerKey::create(&pw, key_work)
                    .map_err(|e| crate::StoreError::Refused(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO opener_keys (user_id, recipient, locked_identity, created_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(user_id)
                .bind(&key.recipient)
                .bind(key.locked_identity.clone())
                .bind(w.now_text())
                .execute(&mut *w.tx)
                .await?;
                w.audit(AuditEvent::new(
                    actor,
                    Some(person.org.as_str()),
                    "opener_key.set",
                    serde_json::json!({ "person": person.email, "recipient": key.recipient }),
                ))
                .await?;
            }
            shown.push((person, pw));
        }
        let registers = demo::registers();
        for member in &data.members {
            let mine: Vec<_> = registers
                .iter()
                .filter(|c| &c.authority == member)
                .collect();
            for contract in &mine {
                insert_contract(&mut w, contract).await?;
            }
            w.audit(AuditEvent::new(
                actor,
                Some(member.as_str()),
                "register.imported",
                serde_json::json!({
                    "authority": member,
                    "file": "synthetic demonstration register",
                    "inserted": mine.iter().map(|c| c.reference.as_str()).collect::<Vec<_>>(),
                    "updated": [],
                    "unchanged": 0,
                }),
            ))
            .await?;
        }
        w.commit().await?;
        Ok(DemoOutcome::Loaded(shown))
    }
}
