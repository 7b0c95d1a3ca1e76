//! Administration pages.

use crate::context::{Chrome, SignedIn};
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use consort_core::policy::Action;
use consort_store::AuditPage;
use serde::Deserialize;

/// Entries shown on one page of the audit log.
const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    chrome: Chrome,
    page: AuditPage,
}

/// The audit page's query string.
#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
}

/// `GET /admin/audit?page=N`: the audit log, newest first, for administrators.
pub async fn audit(
    State(state): State<AppState>,
    user: SignedIn,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.authorize(Action::ViewAuditLog)?;
    // A page number that does not parse shows the first page rather than an error.
    let number = q
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let page = state.store.audit_page(number, PER_PAGE).await?;
    Ok(render(
        StatusCode::OK,
        &AuditLogPage {
            chrome: user.chrome,
            page,
        },
    ))
}
