//! Comparable contracts: Consort suggests which members' contracts belong
//! together (by CPV code, or by what they say), and the coordinator confirms or
//! rejects each suggestion. Decisions are remembered and audited, and later
//! imports reuse them.

use super::planner::plannable;
use super::{FieldError, error_for};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::grouping::{
    Basis, ContractRef, Decision, GroupingParams, MatchKey, Suggestion, suggest_groups,
};
use consort_core::register::Contract;
use consort_store::{CategoryDecision, ContractFilter, Store};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A suggestion as the page shows it.
struct SuggestionView {
    id: String,
    label: String,
    basis: String,
    authorities: usize,
    members: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "groupings.html")]
struct GroupingsPage {
    chrome: Chrome,
    depth: usize,
    id: i64,
    name: String,
    suggestions: Vec<SuggestionView>,
    notice: Option<String>,
    errors: Vec<FieldError>,
}

impl GroupingsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The page's query string.
#[derive(Deserialize, Default)]
pub struct GroupingsQuery {
    notice: Option<String>,
    depth: Option<String>,
}

/// The CPV depth asked for (2 to 8 digits), or the default.
fn depth(value: Option<&str>) -> usize {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|d| (2..=8).contains(d))
        .unwrap_or(GroupingParams::DEFAULT_CPV_DEPTH)
}

fn params(depth: usize) -> GroupingParams {
    GroupingParams {
        cpv_depth: depth,
        ..GroupingParams::default()
    }
}

fn describe(basis: &Basis) -> String {
    match basis {
        Basis::Cpv { prefix } => format!(
            "Their CPV codes start {prefix} ({})",
            consort_core::grouping::cpv_prefix_label(prefix).unwrap_or("no label in the CPV list")
        ),
        Basis::Text {
            terms,
            mean_similarity,
        } => {
            format!(
                "Their descriptions share the words {} (similarity {mean_similarity:.2})",
                terms.join(", ")
            )
        }
        Basis::SimilarTo { category } => {
            format!("They read like the contracts already in “{category}”")
        }
    }
}

/// Remembered decisions, as the grouping rules take them.
pub(crate) async fn decisions(store: &Store) -> Result<Vec<Decision>, AppError> {
    Ok(store
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
        .collect())
}

async fn member_contracts(state: &AppState, members: &[OrgId]) -> Result<Vec<Contract>, AppError> {
    Ok(state
        .store
        .contracts(&ContractFilter {
            authorities: Some(members.to_vec()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|s| s.contract)
        .collect())
}

async fn suggestions(
    state: &AppState,
    members: &[OrgId],
    cpv_depth: usize,
) -> Result<(Vec<Contract>, Vec<Suggestion>), AppError> {
    let contracts = member_contracts(state, members).await?;
    let refs: Vec<ContractRef<'_>> = contracts.iter().map(ContractRef::from).collect();
    let found = suggest_groups(&refs, &decisions(&state.store).await?, &params(cpv_depth));
    Ok((contracts, found))
}

async fn page(
    state: &AppState,
    user: SignedIn,
    id: &str,
    cpv_depth: usize,
    notice: Option<String>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let detail = plannable(state, &user, id).await?;
    let (contracts, found) = suggestions(state, &detail.members, cpv_depth).await?;
    let names: BTreeMap<OrgId, String> = state
        .store
        .orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let views = found
        .iter()
        .map(|s| SuggestionView {
            id: s.id.clone(),
            label: s.label.clone(),
            basis: describe(&s.basis),
            authorities: s.authorities,
            members: s
                .members
                .iter()
                .map(|(org, reference)| {
                    let title = contracts
                        .iter()
                        .find(|c| &c.authority == org && &c.reference == reference)
                        .map(|c| c.title.clone())
                        .unwrap_or_default();
                    (
                        names.get(org).cloned().unwrap_or_else(|| org.to_string()),
                        reference.clone(),
                        title,
                    )
                })
                .collect(),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &GroupingsPage {
            chrome: user.chrome.clone(),
            depth: cpv_depth,
            id: detail.consortium.id,
            name: detail.consortium.name,
            suggestions: views,
            notice,
            errors,
        },
    ))
}

/// `GET /consortia/{id}/groupings`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<GroupingsQuery>,
) -> Result<Response, AppError> {
    let notice = match q.notice.as_deref() {
        Some("confirmed") => {
            Some("The grouping was confirmed: its contracts are now in the category".to_string())
        }
        Some("rejected") => {
            Some("The grouping was rejected and will not be suggested again".to_string())
        }
        _ => None,
    };
    page(
        &state,
        user,
        &id,
        depth(q.depth.as_deref()),
        notice,
        Vec::new(),
    )
    .await
}

/// `POST /consortia/{id}/groupings/{suggestion}`: confirm (with the label as
/// edited) or reject one suggestion.
pub async fn decide(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, suggestion)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // The label's field is named after the suggestion, so that each form on the
    // page has its own id for the error summary to link to.
    let label_field = format!("label-{suggestion}");
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (decision, label) = (value("decision"), value(&label_field));
    let cpv_depth = depth(Some(value("depth").as_str()));
    let detail = plannable(&state, &user, &id).await?;
    let (_, found) = suggestions(&state, &detail.members, cpv_depth).await?;
    let Some(chosen) = found.into_iter().find(|s| s.id == suggestion) else {
        let errors = vec![FieldError::new(
            "suggestions",
            "That suggestion has changed since the page was loaded (the register or another decision changed it): review the suggestions again",
        )];
        return page(&state, user, &id, cpv_depth, None, errors).await;
    };
    let actor = user.actor.audit_name();
    let (decisions, notice) = match decision.as_str() {
        "confirm" => {
            let label = label.as_str();
            if label.is_empty() {
                let errors = vec![FieldError::new(
                    &format!("label-{}", chosen.id),
                    "Enter a name for the category",
                )];
                return page(&state, user, &id, cpv_depth, None, errors).await;
            }
            state
                .store
                .set_category(&actor, &chosen.members, Some(label))
                .await?;
            (chosen.confirm(Some(label)), "confirmed")
        }
        "reject" => (chosen.reject(), "rejected"),
        _ => return Err(user.not_found()),
    };
    for d in decisions {
        state
            .store
            .record_category_decision(
                &actor,
                &CategoryDecision {
                    key_kind: d.key.kind().to_string(),
                    key_value: d.key.value().to_string(),
                    label: d.label,
                },
            )
            .await?;
    }
    Ok(Redirect::to(&format!(
        "/consortia/{}/groupings?notice={notice}&depth={cpv_depth}",
        detail.consortium.id
    ))
    .into_response())
}
