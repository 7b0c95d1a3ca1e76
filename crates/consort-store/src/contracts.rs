//! The contracts register as stored: imports that change nothing when repeated,
//! edits and extensions with their history, and the coordinator's decisions on
//! which contracts are comparable.

use crate::{Result, Store, StoreError, WriteTx, conflict_on_unique};
use consort_core::OrgId;
use consort_core::audit::AuditEvent;
use consort_core::grouping::{ContractRef, Decision, GroupingParams, MatchKey, categorise};
use consort_core::org::OrgKind;
use consort_core::register::{Contract, ContractStatus, CpvCode, ExpiryBand, Pence, Span};
use jiff::civil::Date;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// A contract as stored, with its number.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredContract {
    /// Its number in this installation.
    pub id: i64,
    /// The contract.
    pub contract: Contract,
}

/// One extension exercised, as the contract's history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRecord {
    /// The date the authority exercised it.
    pub exercised_on: Date,
    /// The option taken.
    pub span: Span,
    /// The end date before.
    pub old_end: Date,
    /// The end date after.
    pub new_end: Date,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded (UTC).
    pub recorded_at: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// References of contracts added.
    pub inserted: Vec<String>,
    /// References of contracts whose record changed.
    pub updated: Vec<String>,
    /// How many rows matched what was already stored.
    pub unchanged: usize,
}

/// Which contracts to list.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Only these authorities' contracts (all when `None`).
    pub authorities: Option<Vec<OrgId>>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this expiry band, seen on `today`.
    pub band: Option<(ExpiryBand, Date)>,
    /// Only contracts whose reference, title, description or supplier contains this (any case).
    pub text: Option<String>,
}

/// A remembered decision on a grouping suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDecision {
    /// `cpv` or `text`.
    pub key_kind: String,
    /// The CPV prefix or text signature.
    pub key_value: String,
    /// The confirmed label, or `None` when rejected.
    pub label: Option<String>,
}

const COLUMNS: &str = "id, authority_id, reference, title, description, supplier_name, supplier_company_number, \
     cpv_codes, category, total_value_pence, annual_value_pence, start_date, end_date, break_date, extensions, \
     notice_period, status, source, extra";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn date(value: Option<String>, what: &str) -> Result<Option<Date>> {
    value
        .map(|v| v.parse::<Date>().map_err(|e| corrupt(what, e)))
        .transpose()
}

fn status_text(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Active => "active",
        ContractStatus::Ended => "ended",
        ContractStatus::Terminated => "terminated",
    }
}

fn contract_from_row(row: &sqlx::any::AnyRow) -> Result<StoredContract> {
    let authority: String = row.try_get("authority_id")?;
    let cpv: String = row.try_get("cpv_codes")?;
    let status: String = row.try_get("status")?;
    let extensions: String = row.try_get("extensions")?;
    let notice: Option<String> = row.try_get("notice_period")?;
    let source: String = row.try_get("source")?;
    let extra: String = row.try_get("extra")?;
    let total: Option<i64> = row.try_get("total_value_pence")?;
    let annual: Option<i64> = row.try_get("annual_value_pence")?;
    Ok(StoredContract {
        id: row.try_get("id")?,
        contract: Contract {
            authority: OrgId::parse(&authority).map_err(|e| corrupt("authority", e))?,
            reference: row.try_get("reference")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            supplier_name: row.try_get("supplier_name")?,
            supplier_company_number: row.try_get("supplier_company_number")?,
            cpv_codes: cpv
                .split_whitespace()
                .map(|c| CpvCode::parse(c).map_err(|e| corrupt("cpv_codes", e)))
                .collect::<Result<_>>()?,
            category: row.try_get("category")?,
            total_value: total.map(Pence),
            annual_value: annual.map(Pence),
            start: date(row.try_get("start_date")?, "start_date")?,
            end: date(row.try_get("end_date")?, "end_date")?,
            break_date: date(row.try_get("break_date")?, "break_date")?,
            extensions: serde_json::from_str(&extensions).map_err(|e| corrupt("extensions", e))?,
            notice_period: notice
                .map(|n| serde_json::from_str(&n).map_err(|e| corrupt("notice_period", e)))
                .transpose()?,
            status: match status.as_str() {
                "active" => ContractStatus::Active,
                "ended" => ContractStatus::Ended,
                "terminated" => ContractStatus::Terminated,
                other => return Err(corrupt("status", other)),
            },
            source: serde_json::from_str(&source).map_err(|e| corrupt("source", e))?,
            extra: serde_json::from_str::<BTreeMap<String, String>>(&extra)
                .map_err(|e| corrupt("extra", e))?,
        },
    })
}

/// Serialises one of a contract's structured fields (lists, maps, spans) to JSON text.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("register fields always serialise")
}

/// Binds a contract's 18 fields in the column order of `INSERT` and `UPDATE` below.
fn bind_contract<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    c: &'q Contract,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(c.authority.as_str())
        .bind(c.reference.trim())
        .bind(&c.title)
        .bind(&c.description)
        .bind(c.supplier_name.as_deref())
        .bind(c.supplier_company_number.as_deref())
        .bind(
            c.cpv_codes
                .iter()
                .map(CpvCode::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        )
        .bind(c.category.as_deref())
        .bind(c.total_value.map(|p| p.0))
        .bind(c.annual_value.map(|p| p.0))
        .bind(c.start.map(|d| d.to_string()))
        .bind(c.end.map(|d| d.to_string()))
        .bind(c.break_date.map(|d| d.to_string()))
        .bind(to_json(&c.extensions))
        .bind(c.notice_period.as_ref().map(to_json))
        .bind(status_text(c.status))
        .bind(to_json(&c.source))
        .bind(to_json(&c.extra))
}

fn duplicate_reference(c: &Contract) -> impl FnOnce() -> String + '_ {
    || {
        format!(
            "{} already has a contract with reference {}",
            c.authority, c.reference
        )
    }
}

pub(crate) async fn insert_contract(w: &mut WriteTx, c: &Contract) -> Result<i64> {
    let now = w.now_text();
    let q = sqlx::query(
        "INSERT INTO contracts (authority_id, reference, title, description, supplier_name, supplier_company_number,
             cpv_codes, category, total_value_pence, annual_value_pence, start_date, end_date, break_date, extensions,
             notice_period, status, source, extra, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)
         RETURNING id",
    );
    let row = bind_contract(q, c)
        .bind(&now)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| conflict_on_unique(e, duplicate_reference(c)))?;
    Ok(row.try_get("id")?)
}

async fn update_contract_row(w: &mut WriteTx, id: i64, c: &Contract) -> Result<()> {
    let now = w.now_text();
    let q = sqlx::query(
        "UPDATE contracts SET authority_id = $1, reference = $2, title = $3, description = $4, supplier_name = $5,
             supplier_company_number = $6, cpv_codes = $7, category = $8, total_value_pence = $9,
             annual_value_pence = $10, start_date = $11, end_date = $12, break_date = $13, extensions = $14,
             notice_period = $15, status = $16, source = $17, extra = $18, updated_at = $19
         WHERE id = $20",
    );
    bind_contract(q, c)
        .bind(now)
        .bind(id)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| conflict_on_unique(e, duplicate_reference(c)))?;
    Ok(())
}

async fn find_in_tx(
    w: &mut WriteTx,
    authority: &OrgId,
    reference: &str,
) -> Result<Option<StoredContract>> {
    let sql = format!("SELECT {COLUMNS} FROM contracts WHERE authority_id = $1 AND reference = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(authority.as_str())
        .bind(reference.trim())
        .fetch_optional(&mut *w.tx)
        .await?
        .as_ref()
        .map(contract_from_row)
        .transpose()
}

/// The fields that differ between two records, for the audit log.
fn differences(old: &Contract, new: &Contract) -> serde_json::Value {
    let (a, b) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    let mut changes = serde_json::Map::new();
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (k, v) in b {
            if k != "source" && a.get(k) != Some(v) {
                changes.insert(k.clone(), json!({ "from": a.get(k), "to": v }));
            }
        }
    }
    serde_json::Value::Object(changes)
}

impl Store {
    async fn authority_or_error(&self, authority: &OrgId) -> Result<()> {
        let org = self.org(authority).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "no organisation has identifier {authority}: add it first with `consort org add`"
            ))
        })?;
        if org.kind != OrgKind::Authority {
            return Err(StoreError::Refused(format!(
                "{authority} ({}) is not a contracting authority, so it has no contracts register",
                org.name
            )));
        }
        Ok(())
    }

    /// Imports an authority's contracts in one transaction, matching on the
    /// authority and reference: new references are added, changed ones updated,
    /// and identical ones left alone, so importing the same file twice changes
    /// nothing. A category a coordinator has set survives an import that has none.
    pub async fn import_contracts(
        &self,
        actor: &str,
        authority: &OrgId,
        file: &str,
        contracts: &[Contract],
    ) -> Result<ImportSummary> {
        self.import_contracts_with_progress(actor, authority, file, contracts, |_| ())
            .await
    }

    /// [`Store::import_contracts`], calling `progress` with the number of rows
    /// written so far (for a progress bar on large files).
    pub async fn import_contracts_with_progress(
        &self,
        actor: &str,
        authority: &OrgId,
        file: &str,
        contracts: &[Contract],
        progress: impl Fn(usize),
    ) -> Result<ImportSummary> {
        self.authority_or_error(authority).await?;
        // Contracts that match a grouping a coordinator confirmed go straight into
        // its category.
        let remembered: Vec<Decision> = self
            .category_decisions()
            .await?
            .into_iter()
            .filter_map(|d| {
                MatchKey::from_parts(&d.key_kind, &d.key_value)
                    .ok()
                    .map(|key| Decision {
                        key,
                        label: d.label,
                    })
            })
            .collect();
        let params = GroupingParams::default();
        let mut w = self.begin_write().await?;
        let mut summary = ImportSummary::default();
        for (done, c) in contracts.iter().enumerate() {
            if done % 256 == 0 {
                progress(done);
            }
            if &c.authority != authority {
                return Err(StoreError::Refused(format!(
                    "contract {} belongs to {}, not {authority}",
                    c.reference, c.authority
                )));
            }
            let recalled;
            let c = if c.category.is_none() && !remembered.is_empty() {
                let mut with = c.clone();
                with.category = categorise(&ContractRef::from(c), &remembered, &params);
                recalled = with;
                &recalled
            } else {
                c
            };
            match find_in_tx(&mut w, authority, &c.reference).await? {
                None => {
                    insert_contract(&mut w, c).await?;
                    summary.inserted.push(c.reference.clone());
                }
                Some(existing) => {
                    let mut incoming = c.clone();
                    if incoming.category.is_none() {
                        incoming.category = existing.contract.category.clone();
                    }
                    if existing.contract.same_terms(&incoming) {
                        summary.unchanged += 1;
                    } else {
                        update_contract_row(&mut w, existing.id, &incoming).await?;
                        summary.updated.push(c.reference.clone());
                    }
                }
            }
        }
        progress(contracts.len());
        if summary.inserted.is_empty() && summary.updated.is_empty() {
            // Nothing changed: leave no trace, not even an audit entry.
            return Ok(summary);
        }
        w.audit(AuditEvent::new(
            actor,
            Some(authority.as_str()),
            "register.imported",
            json!({
                "authority": authority,
                "file": file,
                "inserted": summary.inserted,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
            }),
        ))
        .await?;
        w.commit().await?;
        Ok(summary)
    }

    /// Adds one contract entered by hand.
    pub async fn create_contract(&self, actor: &str, contract: &Contract) -> Result<i64> {
        contract
            .check()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        self.authority_or_error(&contract.authority).await?;
        let mut w = self.begin_write().await?;
        let id = insert_contract(&mut w, contract).await?;
        w.audit(AuditEvent::new(
            actor,
            Some(contract.authority.as_str()),
            "contract.created",
            json!({ "contract": id, "contract_record": contract }),
        ))
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Lists contracts, soonest end first (those with no end date last).
    pub async fn contracts(&self, filter: &ContractFilter) -> Result<Vec<StoredContract>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM contracts
             ORDER BY CASE WHEN end_date IS NULL THEN 1 ELSE 0 END, end_date, authority_id, reference"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let text = filter
            .text
            .as_deref()
            .map(str::to_lowercase)
            .filter(|t| !t.trim().is_empty());
        let mut out = Vec::new();
        for row in &rows {
            let stored = contract_from_row(row)?;
            let c = &stored.contract;
            if let Some(authorities) = &filter.authorities
                && !authorities.contains(&c.authority)
            {
                continue;
            }
            if let Some(category) = &filter.category
                && c.category.as_deref() != Some(category.as_str())
            {
                continue;
            }
            if let Some((band, today)) = filter.band
                && ExpiryBand::of(c.end, today) != band
            {
                continue;
            }
            if let Some(t) = &text {
                let hay = format!(
                    "{} {} {} {}",
                    c.reference,
                    c.title,
                    c.description,
                    c.supplier_name.as_deref().unwrap_or("")
                )
                .to_lowercase();
                if !hay.contains(t.trim()) {
                    continue;
                }
            }
            out.push(stored);
        }
        Ok(out)
    }

    /// One contract and the extensions exercised on it, oldest first.
    pub async fn contract(
        &self,
        id: i64,
    ) -> Result<Option<(StoredContract, Vec<ExtensionRecord>)>> {
        let sql = format!("SELECT {COLUMNS} FROM contracts WHERE id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let stored = contract_from_row(&row)?;
        let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT exercised_on, span, old_end_date, new_end_date, recorded_by, recorded_at
             FROM contract_extensions WHERE contract_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let log = rows
            .into_iter()
            .map(|(on, span, old, new, by, at)| {
                Ok(ExtensionRecord {
                    exercised_on: on.parse().map_err(|e| corrupt("exercised_on", e))?,
                    span: serde_json::from_str(&span).map_err(|e| corrupt("span", e))?,
                    old_end: old.parse().map_err(|e| corrupt("old_end_date", e))?,
                    new_end: new.parse().map_err(|e| corrupt("new_end_date", e))?,
                    recorded_by: by,
                    recorded_at: at,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Some((stored, log)))
    }

    /// Replaces a contract's record; the audit entry lists each field changed.
    pub async fn update_contract(&self, actor: &str, id: i64, contract: &Contract) -> Result<()> {
        contract
            .check()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let (old, _) = self
            .contract(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("there is no contract number {id}")))?;
        let mut w = self.begin_write().await?;
        update_contract_row(&mut w, id, contract).await?;
        w.audit(AuditEvent::new(
            actor,
            Some(contract.authority.as_str()),
            "contract.updated",
            json!({ "contract": id, "reference": contract.reference, "changes": differences(&old.contract, contract) }),
        ))
        .await?;
        w.commit().await
    }

    /// Exercises the contract's next extension option on `exercised_on`: the end
    /// date moves on, the option is used up, and the history records it.
    pub async fn exercise_extension(
        &self,
        actor: &str,
        id: i64,
        exercised_on: Date,
    ) -> Result<ExtensionRecord> {
        let mut w = self.begin_write().await?;
        let sql = format!("SELECT {COLUMNS} FROM contracts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("there is no contract number {id}")))?;
        let mut stored = contract_from_row(&row)?;
        let ext = stored
            .contract
            .exercise_extension()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        update_contract_row(&mut w, id, &stored.contract).await?;
        let at = w.now_text();
        sqlx::query(
            "INSERT INTO contract_extensions (contract_id, exercised_on, span, old_end_date, new_end_date, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(exercised_on.to_string())
        .bind(to_json(&ext.span))
        .bind(ext.old_end.to_string())
        .bind(ext.new_end.to_string())
        .bind(actor)
        .bind(&at)
        .execute(&mut *w.tx)
        .await?;
        w.audit(AuditEvent::new(
            actor,
            Some(stored.contract.authority.as_str()),
            "contract.extended",
            json!({
                "contract": id,
                "reference": stored.contract.reference,
                "exercised_on": exercised_on.to_string(),
                "span": ext.span,
                "old_end": ext.old_end.to_string(),
                "new_end": ext.new_end.to_string(),
            }),
        ))
        .await?;
        w.commit().await?;
        Ok(ExtensionRecord {
            exercised_on,
            span: ext.span,
            old_end: ext.old_end,
            new_end: ext.new_end,
            recorded_by: actor.to_string(),
            recorded_at: at,
        })
    }

    /// Puts contracts (by authority and reference) into a category, or out of any
    /// with `None`; audited as one `contracts.categorised` entry.
    pub async fn set_category(
        &self,
        actor: &str,
        members: &[(OrgId, String)],
        label: Option<&str>,
    ) -> Result<usize> {
        let mut w = self.begin_write().await?;
        let now = w.now_text();
        let mut changed = 0;
        for (authority, reference) in members {
            changed += sqlx::query("UPDATE contracts SET category = $1, updated_at = $2 WHERE authority_id = $3 AND reference = $4")
                .bind(label)
                .bind(&now)
                .bind(authority.as_str())
                .bind(reference)
                .execute(&mut *w.tx)
                .await?
                .rows_affected() as usize;
        }
        w.audit(AuditEvent::new(
            actor,
            None,
            "contracts.categorised",
            json!({ "label": label, "contracts": members.iter().map(|(a, r)| format!("{a}/{r}")).collect::<Vec<_>>() }),
        ))
        .await?;
        w.commit().await?;
        Ok(changed)
    }

    /// Remembers a coordinator's decision on a grouping (a label confirms it,
    /// `None` rejects it), so later imports reuse it.
    pub async fn record_category_decision(
        &self,
        actor: &str,
        decision: &CategoryDecision,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let now = w.now_text();
        sqlx::query(
            "INSERT INTO category_decisions (key_kind, key_value, label, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (key_kind, key_value) DO UPDATE SET label = excluded.label, decided_by = excluded.decided_by,
                 decided_at = excluded.decided_at",
        )
        .bind(&decision.key_kind)
        .bind(&decision.key_value)
        .bind(decision.label.as_deref())
        .bind(actor)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let kind = if decision.label.is_some() {
            "category.confirmed"
        } else {
            "category.rejected"
        };
        w.audit(AuditEvent::new(
            actor,
            None,
            kind,
            json!({ "key_kind": decision.key_kind, "key_value": decision.key_value, "label": decision.label }),
        ))
        .await?;
        w.commit().await
    }

    /// Every remembered decision.
    pub async fn category_decisions(&self) -> Result<Vec<CategoryDecision>> {
        let rows: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT key_kind, key_value, label FROM category_decisions ORDER BY key_kind, key_value")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(key_kind, key_value, label)| CategoryDecision {
                key_kind,
                key_value,
                label,
            })
            .collect())
    }
}
