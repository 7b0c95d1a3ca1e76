//! People, their roles, and their passwords (as argon2id hashes only).

use crate::{Result, Store, StoreError, WriteTx, conflict_on_unique};
use consort_core::audit::AuditEvent;
use consort_core::org::{Membership, Role};
use consort_core::policy::Actor;
use consort_core::{Email, OrgId};
use serde_json::json;

/// A person to add, with their first role.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their email address, which is also their sign-in name.
    pub email: Email,
    /// The argon2id hash of their password.
    pub password_hash: String,
    /// Whether they must choose a new password when they first sign in.
    pub must_change_password: bool,
    /// Their first role.
    pub membership: Membership,
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct SignInRecord {
    /// The account number.
    pub user_id: i64,
    /// The stored argon2id hash.
    pub password_hash: String,
    /// Whether a new password must be chosen before anything else.
    pub must_change_password: bool,
}

/// A person as listed on their organisation's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// Their email address.
    pub email: Email,
    /// Their role at the organisation.
    pub role: Role,
}

/// Inserts a person, their first role and the audit entry within a write in progress.
pub(crate) async fn insert_user(w: &mut WriteTx, actor: &str, user: &NewUser) -> Result<i64> {
    let now = w.now_text();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, password_hash, must_change_password, created_at)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user.email.as_str())
    .bind(&user.password_hash)
    .bind(i64::from(user.must_change_password))
    .bind(&now)
    .fetch_one(&mut *w.tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || {
            format!("there is already an account for {}", user.email)
        })
    })?;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(user.membership.org.as_str())
        .bind(user.membership.role.as_str())
        .execute(&mut *w.tx)
        .await?;
    w.audit(AuditEvent::new(
        actor,
        Some(user.membership.org.as_str()),
        "user.created",
        json!({
            "user": id,
            "email": user.email,
            "org": user.membership.org,
            "role": user.membership.role,
            "must_change_password": user.must_change_password,
        }),
    ))
    .await?;
    Ok(id)
}

impl Store {
    async fn check_role_fits(&self, membership: &Membership) -> Result<()> {
        let org = self.org(&membership.org).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "no organisation has identifier {}: add it first with `consort org add`",
                membership.org
            ))
        })?;
        if !membership.role.fits(org.kind) {
            return Err(StoreError::Refused(format!(
                "a {} cannot hold the role '{}' at {} ({})",
                org.kind.label().to_lowercase(),
                membership.role,
                org.id,
                org.name
            )));
        }
        Ok(())
    }

    /// Adds a person with their first role. Returns their account number.
    pub async fn create_user(&self, actor: &str, user: &NewUser) -> Result<i64> {
        self.check_role_fits(&user.membership).await?;
        let mut w = self.begin_write().await?;
        let id = insert_user(&mut w, actor, user).await?;
        w.commit().await?;
        Ok(id)
    }

    /// Gives an existing person another role.
    pub async fn grant_role(
        &self,
        actor: &str,
        email: &Email,
        membership: &Membership,
    ) -> Result<()> {
        self.check_role_fits(membership).await?;
        let user_id = self
            .user_id(email)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("there is no account for {email}")))?;
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(membership.org.as_str())
            .bind(membership.role.as_str())
            .execute(&mut *w.tx)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || {
                    format!(
                        "{email} already holds the role '{}' at {}",
                        membership.role, membership.org
                    )
                })
            })?;
        w.audit(AuditEvent::new(
            actor,
            Some(membership.org.as_str()),
            "user.role_granted",
            json!({ "user": user_id, "email": email, "org": membership.org, "role": membership.role }),
        ))
        .await?;
        w.commit().await
    }

    /// The account number for an email address.
    pub async fn user_id(&self, email: &Email) -> Result<Option<i64>> {
        Ok(
            sqlx::query_as::<_, (i64,)>("SELECT id FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?
                .map(|(id,)| id),
        )
    }

    /// What sign-in needs for the account with this email address.
    pub async fn sign_in_record(&self, email: &Email) -> Result<Option<SignInRecord>> {
        Ok(sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT id, password_hash, must_change_password FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(|(user_id, password_hash, must)| SignInRecord {
            user_id,
            password_hash,
            must_change_password: must != 0,
        }))
    }

    /// The person with this account number and every role they hold.
    pub async fn actor(&self, user_id: i64) -> Result<Option<Actor>> {
        let Some((email,)): Option<(String,)> =
            sqlx::query_as("SELECT email FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let corrupt = |e: consort_core::ParseError| StoreError::Corrupt(e.to_string());
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT org_id, role FROM memberships WHERE user_id = $1 ORDER BY org_id, role",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let memberships = rows
            .iter()
            .map(|(org, role)| {
                Ok(Membership {
                    org: OrgId::parse(org).map_err(corrupt)?,
                    role: role.parse().map_err(corrupt)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Some(Actor {
            user_id,
            email: Email::parse(&email).map_err(corrupt)?,
            memberships,
        }))
    }

    /// Whether the person must choose a new password before going on.
    pub async fn must_change_password(&self, user_id: i64) -> Result<bool> {
        let (must,): (i64,) =
            sqlx::query_as("SELECT must_change_password FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(must != 0)
    }

    /// Replaces a person's password hash, clears any demand to change it, and ends
    /// every other session of theirs.
    pub async fn set_password(
        &self,
        actor: &str,
        user_id: i64,
        password_hash: &str,
        keep_session: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2",
        )
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "there is no account number {user_id}"
            )));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *w.tx)
            .await?;
        w.audit(AuditEvent::new(
            actor,
            None,
            "user.password_changed",
            json!({ "user": user_id }),
        ))
        .await?;
        w.commit().await
    }

    /// The people of an organisation and their roles there, by email.
    pub async fn org_people(&self, org: &OrgId) -> Result<Vec<PersonRecord>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 ORDER BY u.email, m.role",
        )
        .bind(org.as_str())
        .fetch_all(&self.pool)
        .await?;
        let corrupt = |e: consort_core::ParseError| StoreError::Corrupt(e.to_string());
        rows.iter()
            .map(|(email, role)| {
                Ok(PersonRecord {
                    email: Email::parse(email).map_err(corrupt)?,
                    role: role.parse().map_err(corrupt)?,
                })
            })
            .collect()
    }
}
