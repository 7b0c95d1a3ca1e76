//! The HTML pages. Handlers are thin: they parse, ask the policy, call the store,
//! and render.

pub mod account;
pub mod admin;
pub mod advice;
pub mod competitions;
pub mod consortia;
pub mod dashboard;
pub mod groupings;
pub mod orgs;
pub mod planner;
pub mod register;

use crate::context::{Chrome, SignedIn, Visitor};
use crate::error::{AppError, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// A form error: the field it belongs to and what to do about it.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The `id` of the input, for the error summary's link.
    pub field_id: String,
    /// The message, in GOV.UK style.
    pub message: String,
}

impl FieldError {
    /// An error on `field_id`.
    pub fn new(field_id: &str, message: impl Into<String>) -> Self {
        Self {
            field_id: field_id.to_string(),
            message: message.into(),
        }
    }
}

/// Finds the message for a field among `errors`.
pub fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field_id == field)
        .map(|e| e.message.as_str())
}

/// Turns a domain parse error's reason into a GOV.UK error message (capitalised).
pub fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "1 contract" or "3 contracts".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A page that explains a failure (403, 404, 500, or a rejected form).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The layout chrome.
    pub chrome: Chrome,
    /// The `<title>`.
    pub title: &'static str,
    /// The heading.
    pub heading: &'static str,
    /// What happened and what to do.
    pub message: String,
}

/// The response to a state-changing request without a valid CSRF token.
pub fn csrf_failure() -> Response {
    render(
        StatusCode::FORBIDDEN,
        &ErrorPage {
            chrome: Chrome::default(),
            title: "Your form could not be sent",
            heading: "Your form could not be sent",
            message: "The form was missing its security token, or it came from another website. Go back, reload the page and try again.".into(),
        },
    )
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
}

/// `GET /`: the start page, or the dashboard for someone signed in.
pub async fn home(visitor: Visitor) -> Response {
    if visitor.actor.is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    render(
        StatusCode::OK,
        &HomePage {
            chrome: visitor.chrome,
        },
    )
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    chrome: Chrome,
}

/// `GET /accessibility`: the accessibility statement.
pub async fn accessibility(visitor: Visitor) -> Response {
    render(
        StatusCode::OK,
        &AccessibilityPage {
            chrome: visitor.chrome,
        },
    )
}

/// Anything with no route: a 404 in the visitor's chrome.
pub async fn not_found(visitor: Visitor) -> AppError {
    AppError::NotFound(Some(Box::new(visitor.chrome)))
}

/// One row of a workspace's summary list.
pub struct Row {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// A link for the value, if any.
    pub href: Option<String>,
}

/// A titled part of a workspace page.
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its rows.
    pub rows: Vec<Row>,
    /// What to say when there are no rows.
    pub empty: String,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    sections: Vec<Section>,
}

/// Renders a role's workspace after the policy lets the person in.
pub(crate) fn workspace(
    user: SignedIn,
    action: consort_core::policy::Action<'_>,
    heading: &'static str,
    intro: &'static str,
    sections: Vec<Section>,
) -> Result<Response, AppError> {
    user.authorize(action)?;
    Ok(render(
        StatusCode::OK,
        &WorkspacePage {
            chrome: user.chrome,
            heading,
            intro,
            sections,
        },
    ))
}
