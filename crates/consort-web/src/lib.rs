//! Consort's web layer: server-rendered GOV.UK pages and the JSON API, over the
//! same store and the same policy.

pub mod assets;
pub mod context;
pub mod error;
pub mod pages;
pub mod security;
pub mod state;
pub mod timeline;

pub use state::{AppState, WebConfig};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use consort_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the application state, fetching (or creating, on first start) the
/// installation's CSRF key from the store so every instance shares it.
pub async fn app_state(
    store: Store,
    config: WebConfig,
) -> Result<AppState, consort_store::StoreError> {
    let key_hex = store
        .setting_or_insert("csrf_key", || hex::encode(random_key()))
        .await?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(&key_hex, &mut key).map_err(|e| {
        consort_store::StoreError::Corrupt(format!(
            "the stored CSRF key is not 32 bytes of hex: {e}"
        ))
    })?;
    Ok(AppState {
        store: store.clone(),
        config: Arc::new(config),
        csrf_key: Arc::new(key),
        blobs: Arc::new(consort_store::FsBlobStore::in_data_dir(store.data_dir())),
    })
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source");
    key
}

/// `GET /api/v1/health`: whether the server can reach its database.
async fn health(State(state): State<AppState>) -> Response {
    match state.store.is_empty().await {
        Ok(_) => {
            Json(serde_json::json!({ "status": "ok", "database": state.store.backend().name() }))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

/// The competition pages and the bid API. Routes that take files accept bodies
/// up to [`pages::competitions::MAX_UPLOAD_REQUEST_BYTES`].
fn competition_routes() -> Router<AppState> {
    use pages::competitions::{
        MAX_UPLOAD_REQUEST_BYTES, api, award, buyer, documents, evaluation, opening, overview,
        supplier,
    };
    let uploads = || DefaultBodyLimit::max(MAX_UPLOAD_REQUEST_BYTES);
    Router::new()
        .route("/competitions", get(buyer::list))
        .route(
            "/competitions/new",
            get(buyer::new_form).post(buyer::create),
        )
        .route("/competitions/{id}", get(overview::show))
        .route(
            "/competitions/{id}/details",
            get(buyer::details_form).post(buyer::save_details),
        )
        .route(
            "/competitions/{id}/lots",
            get(buyer::lots_form).post(buyer::save_lots),
        )
        .route(
            "/competitions/{id}/criteria",
            get(buyer::criteria_form).post(buyer::save_criteria),
        )
        .route(
            "/competitions/{id}/prices",
            get(buyer::prices_form).post(buyer::save_prices),
        )
        .route(
            "/competitions/{id}/team",
            get(buyer::team_form).post(buyer::save_team),
        )
        .route(
            "/competitions/{id}/documents",
            get(documents::list)
                .post(documents::upload)
                .layer(uploads()),
        )
        .route(
            "/competitions/{id}/documents/remove",
            post(documents::remove),
        )
        .route(
            "/competitions/{id}/documents/{hash}",
            get(documents::download),
        )
        .route(
            "/competitions/{id}/publish",
            get(buyer::publish_form).post(buyer::publish),
        )
        .route("/competitions/{id}/questions", post(overview::ask))
        .route(
            "/competitions/{id}/questions/{number}/answer",
            post(overview::answer),
        )
        .route(
            "/competitions/{id}/amend",
            get(documents::amend_form)
                .post(documents::amend)
                .layer(uploads()),
        )
        .route(
            "/competitions/{id}/cancel",
            get(buyer::cancel_form).post(buyer::cancel),
        )
        .route(
            "/competitions/{id}/close",
            get(buyer::close_form).post(buyer::close),
        )
        .route(
            "/competitions/{id}/award",
            get(award::show).post(award::decide),
        )
        .route("/competitions/{id}/award/notice", post(award::issue_notice))
        .route(
            "/competitions/{id}/bid",
            get(supplier::form).post(supplier::submit).layer(uploads()),
        )
        .route("/competitions/{id}/receipts", get(supplier::receipts))
        .route(
            "/competitions/{id}/receipts/{version}",
            get(supplier::receipt),
        )
        .route(
            "/competitions/{id}/open",
            get(opening::open_form).post(opening::approve),
        )
        .route("/competitions/{id}/evaluation", get(evaluation::show))
        .route(
            "/competitions/{id}/evaluation/declaration",
            post(evaluation::declare),
        )
        .route(
            "/competitions/{id}/evaluation/moderation",
            post(evaluation::start_moderation),
        )
        .route(
            "/competitions/{id}/evaluation/complete",
            post(evaluation::complete),
        )
        .route(
            "/competitions/{id}/evaluation/bids/{bid}",
            get(evaluation::bid),
        )
        .route(
            "/competitions/{id}/evaluation/bids/{bid}/score",
            post(evaluation::score),
        )
        .route(
            "/competitions/{id}/evaluation/bids/{bid}/consensus",
            post(evaluation::consensus),
        )
        .route(
            "/competitions/{id}/evaluation/bids/{bid}/attachments/{index}",
            get(evaluation::attachment),
        )
        .route(
            "/account/opening-key",
            get(opening::key_form).post(opening::set_key),
        )
        .route(
            "/organisations/{id}/recovery-key",
            get(opening::recovery_form).post(opening::create_recovery),
        )
        .route(
            "/api/v1/competitions/{id}/bids",
            post(api::submit).layer(uploads()),
        )
        .route("/api/v1/competitions/{id}/receipts", get(api::receipts))
}

/// The whole application: pages, API, assets, and the layers every request
/// passes through (request id, tracing, security headers, CSRF, time-out, panic
/// guard).
pub fn router(state: AppState) -> Router {
    use pages::{account, admin, advice, consortia, dashboard, groupings, orgs, planner, register};
    let pages = Router::new()
        .route("/", get(pages::home))
        .route(
            "/sign-in",
            get(account::sign_in_form).post(account::sign_in),
        )
        .route("/sign-out", post(account::sign_out))
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route("/dashboard", get(dashboard::dashboard))
        .route("/buying", get(dashboard::buying))
        .route("/coordination", get(dashboard::coordination))
        .route("/evaluation", get(dashboard::evaluation))
        .route("/opening", get(dashboard::opening))
        .route("/opportunities", get(dashboard::opportunities))
        .route("/organisations", get(orgs::list))
        .route("/organisations/new", get(orgs::new_form).post(orgs::create))
        .route("/organisations/{id}", get(orgs::show))
        .route("/organisations/{id}/people", get(orgs::people))
        .route("/consortia", get(consortia::list).post(consortia::create))
        .route("/consortia/{id}", get(consortia::show))
        .route("/consortia/{id}/members", post(consortia::add_member))
        .route(
            "/consortia/{id}/members/{org}/remove",
            post(consortia::remove_member),
        )
        .route("/consortia/{id}/planner", get(planner::show))
        .route("/consortia/{id}/{download}", get(planner::pipeline))
        .route("/consortia/{id}/advice", get(advice::show))
        .route("/consortia/{id}/groupings", get(groupings::show))
        .route(
            "/consortia/{id}/groupings/{suggestion}",
            post(groupings::decide),
        )
        .route("/register", get(register::list))
        .route(
            "/register/import",
            get(register::import_form)
                .post(register::import)
                .layer(DefaultBodyLimit::max(
                    register::MAX_UPLOAD_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/register/new",
            get(register::new_form).post(register::create),
        )
        .route("/register/{id}", get(register::show))
        .route(
            "/register/{id}/edit",
            get(register::edit_form).post(register::update),
        )
        .route("/register/{id}/extend", post(register::extend))
        .merge(competition_routes())
        .route("/admin/audit", get(admin::audit))
        .route("/accessibility", get(pages::accessibility))
        .route("/api/v1/health", get(health))
        .route("/assets/{*path}", get(assets::serve))
        .fallback(pages::not_found);
    pages
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::csrf))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::security_headers))
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            error::internal_error_response()
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
