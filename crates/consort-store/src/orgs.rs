//! Organisations and consortia.

use crate::{Result, Store, StoreError, WriteTx, conflict_on_unique};
use consort_core::audit::AuditEvent;
use consort_core::org::{self, Consortium, ContactDetails, OrgKind, Organisation};
use consort_core::{Email, OrgId};
use serde_json::json;
use sqlx::Row;

/// A consortium with its current members.
#[derive(Debug, Clone)]
pub struct ConsortiumDetail {
    /// The consortium.
    pub consortium: Consortium,
    /// Its members, by identifier, in the order they joined.
    pub members: Vec<OrgId>,
}

fn org_from_row(row: &sqlx::any::AnyRow) -> Result<Organisation> {
    let corrupt = |e: consort_core::ParseError| StoreError::Corrupt(e.to_string());
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let email: Option<String> = row.try_get("contact_email")?;
    Ok(Organisation {
        id: OrgId::parse(&id).map_err(corrupt)?,
        name: row.try_get("name")?,
        kind: kind.parse::<OrgKind>().map_err(corrupt)?,
        contact: ContactDetails {
            name: row.try_get("contact_name")?,
            email: email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(corrupt)?,
            telephone: row.try_get("telephone")?,
            address: row.try_get("address")?,
        },
    })
}

/// Inserts an organisation and its audit entry within a write in progress.
pub(crate) async fn insert_org(w: &mut WriteTx, actor: &str, org: &Organisation) -> Result<()> {
    let now = w.now_text();
    sqlx::query(
        "INSERT INTO organisations (id, name, kind, contact_name, contact_email, telephone, address, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(org.id.as_str())
    .bind(&org.name)
    .bind(org.kind.as_str())
    .bind(org.contact.name.as_deref())
    .bind(org.contact.email.as_ref().map(Email::as_str))
    .bind(org.contact.telephone.as_deref())
    .bind(org.contact.address.as_deref())
    .bind(&now)
    .execute(&mut *w.tx)
    .await
    .map_err(|e| conflict_on_unique(e, || format!("an organisation with identifier {} already exists", org.id)))?;
    w.audit(AuditEvent::new(
        actor,
        Some(org.id.as_str()),
        "org.created",
        json!({ "id": org.id, "name": org.name, "kind": org.kind, "contact": org.contact }),
    ))
    .await?;
    Ok(())
}

/// Inserts a consortium and its audit entry within a write in progress.
pub(crate) async fn insert_consortium(
    w: &mut WriteTx,
    actor: &str,
    name: &str,
    coordinator: &OrgId,
) -> Result<i64> {
    let now = w.now_text();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO consortia (name, coordinator_id, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(coordinator.as_str())
    .bind(&now)
    .fetch_one(&mut *w.tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || format!("a consortium called '{name}' already exists"))
    })?;
    w.audit(AuditEvent::new(
        actor,
        Some(coordinator.as_str()),
        "consortium.created",
        json!({ "consortium": id, "name": name, "coordinator": coordinator }),
    ))
    .await?;
    Ok(id)
}

/// Adds a member and its audit entry within a write in progress.
pub(crate) async fn insert_member(
    w: &mut WriteTx,
    actor: &str,
    consortium: &Consortium,
    org_id: &OrgId,
) -> Result<()> {
    let now = w.now_text();
    sqlx::query(
        "INSERT INTO consortium_members (consortium_id, org_id, joined_at) VALUES ($1, $2, $3)",
    )
    .bind(consortium.id)
    .bind(org_id.as_str())
    .bind(&now)
    .execute(&mut *w.tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || {
            format!("{org_id} is already a member of this consortium")
        })
    })?;
    w.audit(AuditEvent::new(
        actor,
        Some(consortium.coordinator.as_str()),
        "consortium.member_joined",
        json!({ "consortium": consortium.id, "name": consortium.name, "member": org_id }),
    ))
    .await?;
    Ok(())
}

const ORG_COLUMNS: &str = "id, name, kind, contact_name, contact_email, telephone, address";

impl Store {
    /// Adds an organisation, recording who added it.
    pub async fn create_org(&self, actor: &str, org: &Organisation) -> Result<()> {
        let mut w = self.begin_write().await?;
        insert_org(&mut w, actor, org).await?;
        w.commit().await
    }

    /// Finds an organisation by identifier.
    pub async fn org(&self, id: &OrgId) -> Result<Option<Organisation>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(org_from_row)
            .transpose()
    }

    /// Every organisation, by kind (authorities, then coordinators, then suppliers) and name.
    pub async fn orgs(&self) -> Result<Vec<Organisation>> {
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM organisations
             ORDER BY CASE kind WHEN 'authority' THEN 0 WHEN 'coordinator' THEN 1 ELSE 2 END, name"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(org_from_row)
            .collect()
    }

    /// Creates a consortium led by `coordinator`, with no members yet.
    pub async fn create_consortium(
        &self,
        actor: &str,
        name: &str,
        coordinator: &OrgId,
    ) -> Result<i64> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Refused("a consortium needs a name".into()));
        }
        let lead = self.org(coordinator).await?.ok_or_else(|| {
            StoreError::NotFound(format!("no organisation has identifier {coordinator}"))
        })?;
        org::check_coordinator(&lead).map_err(|e| StoreError::Refused(e.to_string()))?;
        let mut w = self.begin_write().await?;
        let id = insert_consortium(&mut w, actor, name, coordinator).await?;
        w.commit().await?;
        Ok(id)
    }

    /// Every consortium, by name.
    pub async fn consortia(&self) -> Result<Vec<ConsortiumDetail>> {
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM consortia ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            if let Some(c) = self.consortium(id).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// A consortium and its members.
    pub async fn consortium(&self, id: i64) -> Result<Option<ConsortiumDetail>> {
        let Some((name, coordinator)): Option<(String, String)> =
            sqlx::query_as("SELECT name, coordinator_id FROM consortia WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let corrupt = |e: consort_core::ParseError| StoreError::Corrupt(e.to_string());
        let members: Vec<(String,)> = sqlx::query_as(
            "SELECT org_id FROM consortium_members WHERE consortium_id = $1 ORDER BY joined_at, org_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(ConsortiumDetail {
            consortium: Consortium {
                id,
                name,
                coordinator: OrgId::parse(&coordinator).map_err(corrupt)?,
            },
            members: members
                .iter()
                .map(|(m,)| OrgId::parse(m).map_err(corrupt))
                .collect::<Result<_>>()?,
        }))
    }

    async fn consortium_or_not_found(&self, id: i64) -> Result<ConsortiumDetail> {
        self.consortium(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("there is no consortium number {id}")))
    }

    /// Adds `org` to consortium `id`; audited as `consortium.member_joined`.
    pub async fn join_consortium(&self, actor: &str, id: i64, org_id: &OrgId) -> Result<()> {
        let org = self.org(org_id).await?.ok_or_else(|| {
            StoreError::NotFound(format!("no organisation has identifier {org_id}"))
        })?;
        let mut w = self.begin_write().await?;
        let detail = self.consortium_or_not_found(id).await?;
        org::check_join(&org, &detail.members).map_err(|e| StoreError::Refused(e.to_string()))?;
        insert_member(&mut w, actor, &detail.consortium, org_id).await?;
        w.commit().await
    }

    /// Removes `org` from consortium `id`; audited as `consortium.member_left`.
    pub async fn leave_consortium(&self, actor: &str, id: i64, org_id: &OrgId) -> Result<()> {
        let mut w = self.begin_write().await?;
        let detail = self.consortium_or_not_found(id).await?;
        org::check_leave(org_id, &detail.members)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        sqlx::query("DELETE FROM consortium_members WHERE consortium_id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id.as_str())
            .execute(&mut *w.tx)
            .await?;
        w.audit(AuditEvent::new(
            actor,
            Some(detail.consortium.coordinator.as_str()),
            "consortium.member_left",
            json!({ "consortium": id, "name": detail.consortium.name, "member": org_id }),
        ))
        .await?;
        w.commit().await
    }
}
