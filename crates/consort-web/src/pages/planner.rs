//! The planner for one consortium: where members' contracts line up, the best
//! shared agreement, and the timeline of exit windows.

use super::register::today;
use crate::context::{Chrome, SignedIn};
use crate::error::{AppError, render};
use crate::state::AppState;
use crate::timeline::{self, Bar, Group, Lane};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use consort_core::OrgId;
use consort_core::planner::{CategoryPlan, PlanParams, plan_register};
use consort_core::policy::Action;
use consort_core::register::windows::ExitWindow;
use consort_store::{ConsortiumDetail, ContractFilter};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The planner's settings, from the query string (strings, so that a bad number
/// shows the defaults rather than an error).
#[derive(Deserialize, Default)]
pub struct PlannerQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    term_months: String,
    #[serde(default)]
    lead_months: String,
    #[serde(default)]
    mobilisation_months: String,
}

/// A row of the table that stands in for the timeline.
struct WindowRow {
    category: String,
    authority: String,
    reference: String,
    earliest: String,
    end: String,
    latest: String,
}

#[derive(Template)]
#[template(path = "planner.html")]
struct PlannerPage {
    chrome: Chrome,
    id: i64,
    name: String,
    today: String,
    params: PlanParams,
    categories: Vec<String>,
    chosen: String,
    plans: Vec<CategoryPlan>,
    names: BTreeMap<OrgId, String>,
    svg: String,
    windows: Vec<WindowRow>,
    uncategorised: usize,
}

impl PlannerPage {
    fn name(&self, id: &OrgId) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn names_of(&self, ids: &[OrgId]) -> String {
        ids.iter()
            .map(|i| self.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Loads a consortium the person may plan for (others get a 404 or 403).
pub(crate) async fn plannable(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<ConsortiumDetail, AppError> {
    let detail = super::consortia::visible(state, user, id).await?;
    user.authorize(Action::PlanConsortium {
        coordinator: &detail.consortium.coordinator,
    })?;
    Ok(detail)
}

fn months(value: &str, default: u32) -> u32 {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=240).contains(m))
        .unwrap_or(default)
}

/// `GET /consortia/{id}/pipeline.csv` and `.json`: the planned procurements
/// that follow from the consortium's plan, with a pipeline notice's fields.
pub async fn pipeline(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, format)): Path<(String, String)>,
    Query(query): Query<PlannerQuery>,
) -> Result<Response, AppError> {
    use axum::response::IntoResponse;
    use consort_core::planner::pipeline::{planned_procurements, to_csv};
    let detail = plannable(&state, &user, &id).await?;
    let params = params_from(&query);
    let contracts: Vec<_> = state
        .store
        .contracts(&ContractFilter {
            authorities: Some(detail.members.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|s| s.contract)
        .filter(|c| c.category.is_some())
        .collect();
    let plan = plan_register(&contracts, &params, today(&state));
    let procurements = planned_procurements(&plan, &params);
    let file = format!("pipeline-consortium-{}", detail.consortium.id);
    let (body, content_type, ext) = match format.as_str() {
        "pipeline.csv" => (to_csv(&procurements), "text/csv; charset=utf-8", "csv"),
        "pipeline.json" => (
            serde_json::to_string_pretty(&procurements)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            "application/json",
            "json",
        ),
        _ => return Err(user.not_found()),
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn params_from(query: &PlannerQuery) -> PlanParams {
    let defaults = PlanParams::default();
    PlanParams {
        term_months: months(&query.term_months, defaults.term_months),
        lead_months: months(&query.lead_months, defaults.lead_months),
        mobilisation_months: months(&query.mobilisation_months, defaults.mobilisation_months),
        max_cohorts: 10,
    }
}

/// `GET /consortia/{id}/planner`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PlannerQuery>,
) -> Result<Response, AppError> {
    let detail = plannable(&state, &user, &id).await?;
    let params = params_from(&query);
    let today = today(&state);
    let contracts: Vec<_> = state
        .store
        .contracts(&ContractFilter {
            authorities: Some(detail.members.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|s| s.contract)
        .collect();
    let uncategorised = contracts.iter().filter(|c| c.category.is_none()).count();
    let mut categories: Vec<String> = contracts
        .iter()
        .filter_map(|c| c.category.clone())
        .collect();
    categories.sort();
    categories.dedup();
    let chosen = if categories.contains(&query.category) {
        query.category.clone()
    } else {
        String::new()
    };
    let selected: Vec<_> = contracts
        .iter()
        .filter(|c| {
            c.category.is_some()
                && (chosen.is_empty() || c.category.as_deref() == Some(chosen.as_str()))
        })
        .cloned()
        .collect();
    let plan = plan_register(&selected, &params, today);
    let names: BTreeMap<OrgId, String> = state
        .store
        .orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let name = |id: &OrgId| names.get(id).cloned().unwrap_or_else(|| id.to_string());

    let mut by_category: BTreeMap<String, BTreeMap<String, Vec<Bar>>> = BTreeMap::new();
    let mut windows = Vec::new();
    for c in &selected {
        let (Some(window), Some(end), Some(category)) =
            (ExitWindow::of(c), c.end, c.category.clone())
        else {
            continue;
        };
        windows.push(WindowRow {
            category: category.clone(),
            authority: name(&c.authority),
            reference: c.reference.clone(),
            earliest: window.earliest.to_string(),
            end: end.to_string(),
            latest: window.latest.to_string(),
        });
        by_category
            .entry(category)
            .or_default()
            .entry(name(&c.authority))
            .or_default()
            .push(Bar {
                reference: c.reference.clone(),
                window,
                end,
            });
    }
    let groups: Vec<Group> = by_category
        .into_iter()
        .map(|(category, lanes)| Group {
            category,
            lanes: lanes
                .into_iter()
                .map(|(label, bars)| Lane { label, bars })
                .collect(),
        })
        .collect();
    let svg = timeline::render(&groups, today, "timeline-title");
    Ok(render(
        StatusCode::OK,
        &PlannerPage {
            chrome: user.chrome.clone(),
            id: detail.consortium.id,
            name: detail.consortium.name,
            today: today.to_string(),
            params,
            categories,
            chosen,
            plans: plan.categories,
            names,
            svg,
            windows,
            uncategorised,
        },
    ))
}
