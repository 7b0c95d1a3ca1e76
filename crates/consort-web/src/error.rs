//! How failures reach people: a redirect to sign in, a 403 that says why, a 404,
//! or a 500 that logs the cause and shows none of it.

use crate::context::Chrome;
use crate::pages::ErrorPage;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use consort_store::StoreError;

/// A request that cannot be served as asked.
#[derive(Debug)]
pub enum AppError {
    /// Not signed in: go to the sign-in page.
    SignInRequired,
    /// Go somewhere else first (e.g. to change a one-time password).
    Redirect(String),
    /// Signed in, but the policy says no.
    Forbidden {
        /// The page chrome of the person refused.
        chrome: Box<Chrome>,
        /// Why.
        reason: &'static str,
    },
    /// Nothing here (or nothing this person may know is here).
    NotFound(Option<Box<Chrome>>),
    /// Something broke; the cause goes to the log, not to the page.
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// The status of a form page: 200, or 422 when it is shown again with errors.
pub fn form_status<T>(errors: &[T]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Renders a template into an HTML response with the given status.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a template failed to render");
            internal_error_response()
        }
    }
}

/// The 500 page, with no detail of the cause.
pub fn internal_error_response() -> Response {
    let page = ErrorPage {
        chrome: Chrome::default(),
        title: "Sorry, there is a problem with the service",
        heading: "Sorry, there is a problem with the service",
        message:
            "Try again later. If the problem goes on, tell your administrator the time it happened."
                .into(),
    };
    match page.render() {
        Ok(html) => (StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with the service",
        )
            .into_response(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignInRequired => Redirect::to("/sign-in").into_response(),
            AppError::Redirect(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
            AppError::Forbidden { chrome, reason } => render(
                StatusCode::FORBIDDEN,
                &ErrorPage {
                    chrome: *chrome,
                    title: "You do not have access to this page",
                    heading: "You do not have access to this page",
                    message: format!("{}{}.", reason[..1].to_uppercase(), &reason[1..]),
                },
            ),
            AppError::NotFound(chrome) => render(
                StatusCode::NOT_FOUND,
                &ErrorPage {
                    chrome: chrome.map(|c| *c).unwrap_or_default(),
                    title: "Page not found",
                    heading: "Page not found",
                    message: "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address.".into(),
                },
            ),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                internal_error_response()
            }
        }
    }
}
