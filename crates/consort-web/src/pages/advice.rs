//! The route-to-market advice for one planner cohort: the planner supplies the
//! members and their exit windows, the coordinator answers the questions the
//! routes turn on, and the advisor ranks the routes with reasons and citations.

use super::planner::plannable;
use super::register::today;
use super::{FieldError, error_for, sentence};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use consort_core::advisor::{Advice, Scenario, advise};
use consort_core::planner::{PlanParams, plan_register};
use consort_core::register::windows::ExitWindow;
use consort_store::ContractFilter;
use serde::Deserialize;
use serde_json::json;

/// The questions, from the query string: the cohort chosen on the planner and
/// the coordinator's answers (all optional, with the advisor's defaults).
#[derive(Deserialize, Default, Clone)]
pub struct AdviceQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    cohort: String,
    #[serde(default)]
    go_live: String,
    #[serde(default)]
    new_entrants: String,
    #[serde(default)]
    innovation: String,
    #[serde(default)]
    call_offs: String,
    #[serde(default)]
    requirement: String,
    #[serde(default)]
    migration: String,
    #[serde(default)]
    framework_name: String,
    #[serde(default)]
    framework_expires: String,
    #[serde(default)]
    framework_regime: String,
}

#[derive(Template)]
#[template(path = "advice.html")]
struct AdvicePage {
    chrome: Chrome,
    id: i64,
    consortium: String,
    query: AdviceQuery,
    members: Vec<String>,
    advice: Option<Advice>,
    errors: Vec<FieldError>,
}

impl AdvicePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /consortia/{id}/advice?category=…&cohort=N`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<AdviceQuery>,
) -> Result<Response, AppError> {
    let detail = plannable(&state, &user, &id).await?;
    let today = today(&state);
    let contracts: Vec<_> = state
        .store
        .contracts(&ContractFilter {
            authorities: Some(detail.members.clone()),
            category: Some(query.category.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|s| s.contract)
        .collect();
    let params = PlanParams::default();
    let plan = plan_register(&contracts, &params, today);
    let rank: usize = query.cohort.trim().parse().unwrap_or(1);
    let cohort = plan
        .categories
        .first()
        .and_then(|c| c.cohorts.get(rank.saturating_sub(1)))
        .ok_or_else(|| user.not_found())?;
    let names = state.store.orgs().await?;
    let name = |id: &consort_core::OrgId| {
        names
            .iter()
            .find(|o| &o.id == id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    // Each member's exit window: the span of its contracts in the cohort.
    let members: Vec<serde_json::Value> = cohort
        .authorities
        .iter()
        .filter_map(|authority| {
            let windows: Vec<ExitWindow> = contracts
                .iter()
                .filter(|c| &c.authority == authority && cohort.contracts.contains(&c.reference))
                .filter_map(ExitWindow::of)
                .collect();
            let earliest = windows.iter().map(|w| w.earliest).min()?;
            let latest = windows.iter().map(|w| w.latest).max()?;
            Some(json!({ "authority": authority, "earliest": earliest.to_string(), "latest": latest.to_string() }))
        })
        .collect();
    let years = i64::from(params.term_months) / 12;
    let mut scenario = json!({
        "title": format!("{} for {} authorities", query.category, cohort.authorities.len()),
        "category": query.category,
        "members": members,
        "value_pence": cohort.annual_value_pence.0.saturating_mul(years.max(1)),
        "needs_new_entrants": query.new_entrants == "yes",
        "needs_innovation": query.innovation == "yes",
        "term_months": params.term_months,
    });
    let mut errors = Vec::new();
    let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    if let Some(go_live) = text(&query.go_live) {
        match consort_core::register::import::parse_date(&go_live) {
            Ok(d) => scenario["go_live"] = json!(d.to_string()),
            Err(e) => errors.push(FieldError::new("go_live", sentence(&e))),
        }
    }
    if let Some(n) = text(&query.call_offs) {
        match n.parse::<u32>() {
            Ok(n) if n > 0 => scenario["call_offs"] = json!(n),
            _ => errors.push(FieldError::new(
                "call_offs",
                "Enter the number of call-offs as a whole number, like 6",
            )),
        }
    }
    for (field, value) in [
        ("requirement", &query.requirement),
        ("migration", &query.migration),
    ] {
        if let Some(v) = text(value) {
            scenario[field] = json!(v);
        }
    }
    if let Some(framework) = text(&query.framework_name) {
        match consort_core::register::import::parse_date(&query.framework_expires) {
            Ok(expires) => {
                scenario["existing_framework"] = json!({
                    "name": framework,
                    "scope": query.category,
                    "covers_need": true,
                    "expires": expires.to_string(),
                    "permits_members": true,
                    "regime": if query.framework_regime == "pa2023" { "pa2023" } else { "pcr2015" },
                })
            }
            Err(_) => errors.push(FieldError::new(
                "framework_expires",
                "Enter the date the framework expires, like 6 March 2027",
            )),
        }
    }
    let advice = if errors.is_empty() {
        let parsed: Result<Scenario, _> = serde_json::from_value(scenario);
        match parsed {
            Ok(s) => match advise(&s, today) {
                Ok(a) => Some(a),
                Err(e) => {
                    errors.push(FieldError::new("go_live", sentence(&e.to_string())));
                    None
                }
            },
            Err(e) => {
                errors.push(FieldError::new("requirement", sentence(&e.to_string())));
                None
            }
        }
    } else {
        None
    };
    let status = form_status(&errors);
    Ok(render(
        status,
        &AdvicePage {
            chrome: user.chrome.clone(),
            id: detail.consortium.id,
            consortium: detail.consortium.name,
            members: cohort.authorities.iter().map(name).collect(),
            query,
            advice,
            errors,
        },
    ))
}
