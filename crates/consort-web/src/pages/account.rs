//! Signing in and out, and changing a password.

use super::{FieldError, error_for};
use crate::context::{Chrome, Visitor};
use crate::error::{AppError, render};
use crate::security::{self, SESSION_COOKIE};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::Email;
use consort_core::password;
use consort_core::sign_in::Throttled;
use consort_store::SignInAttempt;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    email: String,
    errors: Vec<FieldError>,
}

impl SignInPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /sign-in`.
pub async fn sign_in_form(visitor: Visitor) -> Response {
    if visitor.actor.is_some() && !visitor.must_change_password {
        return Redirect::to("/dashboard").into_response();
    }
    render(
        StatusCode::OK,
        &SignInPage {
            chrome: visitor.chrome,
            email: String::new(),
            errors: Vec::new(),
        },
    )
}

/// What the sign-in form sends.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /sign-in`: checks the rate limits, then the password (argon2id, off the
/// async threads), then starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    request_extensions: axum::http::Extensions,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let page = |status, email: &str, errors: Vec<FieldError>| {
        render(
            status,
            &SignInPage {
                chrome: visitor.chrome.clone(),
                email: email.to_string(),
                errors,
            },
        )
    };
    let mut errors = Vec::new();
    if form.email.trim().is_empty() {
        errors.push(FieldError::new("email", "Enter your email address"));
    }
    if form.password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    let email = match Email::parse(&form.email) {
        Ok(e) => Some(e),
        Err(_) if form.email.trim().is_empty() => None,
        Err(_) => {
            errors.push(FieldError::new(
                "email",
                "Enter an email address in the correct format, like name@example.gov.uk",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &form.email, errors));
    }
    let email = email.expect("checked above");
    let address = security::client_address(&state, &headers, security::peer(&request_extensions));
    let attempt = SignInAttempt {
        email: email.as_str(),
        address: &address,
    };
    let attempt_id = match state.store.claim_sign_in_attempt(attempt).await? {
        Ok(id) => id,
        Err(throttled) => {
            tracing::warn!(%address, scope = ?throttled.scope, "sign-in throttled");
            return Ok(throttled_response(
                page(
                    StatusCode::TOO_MANY_REQUESTS,
                    email.as_str(),
                    vec![FieldError::new(
                        "email",
                        super::sentence(&throttled.to_string()),
                    )],
                ),
                &throttled,
            ));
        }
    };
    let record = state.store.sign_in_record(&email).await?;
    let hashing = state.config.hashing;
    let password = form.password;
    let stored = record.as_ref().map(|r| r.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => hashing.verify(&password, &hash),
        None => {
            hashing.verify_dummy(&password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
    if matches {
        state.store.settle_sign_in_attempt(attempt_id).await?;
    }
    let Some(record) = record.filter(|_| matches) else {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            email.as_str(),
            vec![FieldError::new(
                "email",
                "Enter a correct email address and password",
            )],
        ));
    };
    let token = security::random_token();
    state
        .store
        .create_session(
            record.user_id,
            email.as_str(),
            &security::session_hash(&token),
        )
        .await?;
    tracing::info!(user = record.user_id, "signed in");
    let to = if record.must_change_password {
        "/account/password"
    } else {
        "/dashboard"
    };
    let secure = security::is_https(&state, &headers);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static(to)),
            (
                header::SET_COOKIE,
                security::set_cookie(SESSION_COOKIE, token, secure, false),
            ),
        ],
    )
        .into_response())
}

/// `POST /sign-out`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let (Some(hash), Some(actor)) = (&visitor.session_hash, &visitor.actor) {
        state.store.end_session(hash, actor.email.as_str()).await?;
    }
    let secure = security::is_https(&state, &headers);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static("/sign-in")),
            (
                header::SET_COOKIE,
                security::set_cookie(SESSION_COOKIE, String::new(), secure, true),
            ),
        ],
    )
        .into_response())
}

/// Adds `Retry-After` to a page refused by the rate limits.
fn throttled_response(mut response: Response, throttled: &Throttled) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(throttled.retry_after.as_secs().max(1) as u64),
    );
    response
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    required: bool,
    errors: Vec<FieldError>,
}

impl PasswordPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /account/password`.
pub async fn password_form(visitor: Visitor) -> Result<Response, AppError> {
    if visitor.actor.is_none() {
        return Err(AppError::SignInRequired);
    }
    Ok(render(
        StatusCode::OK,
        &PasswordPage {
            chrome: visitor.chrome,
            required: visitor.must_change_password,
            errors: Vec::new(),
        },
    ))
}

/// What the change-password form sends.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: checks the current password and the policy, then
/// stores the new hash and ends the person's other sessions.
pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    request_extensions: axum::http::Extensions,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let (Some(actor), Some(session_hash)) = (visitor.actor.clone(), visitor.session_hash.clone())
    else {
        return Err(AppError::SignInRequired);
    };
    let mut errors = Vec::new();
    let record = state
        .store
        .sign_in_record(&actor.email)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let hashing = state.config.hashing;
    // Guessing the current password is limited like signing in, so a borrowed
    // session cannot be used to find the password.
    let address = security::client_address(&state, &headers, security::peer(&request_extensions));
    let attempt = SignInAttempt {
        email: actor.email.as_str(),
        address: &address,
    };
    let attempt_id = match state.store.claim_sign_in_attempt(attempt).await? {
        Ok(id) => id,
        Err(throttled) => {
            let page = render(
                StatusCode::TOO_MANY_REQUESTS,
                &PasswordPage {
                    chrome: visitor.chrome,
                    required: visitor.must_change_password,
                    errors: vec![FieldError::new(
                        "current_password",
                        super::sentence(&throttled.to_string()),
                    )],
                },
            );
            return Ok(throttled_response(page, &throttled));
        }
    };
    let current = form.current_password.clone();
    let stored = record.password_hash.clone();
    let current_ok = tokio::task::spawn_blocking(move || hashing.verify(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
    if current_ok {
        state.store.settle_sign_in_attempt(attempt_id).await?;
    }
    if form.current_password.is_empty() {
        errors.push(FieldError::new(
            "current_password",
            "Enter your current password",
        ));
    } else if !current_ok {
        errors.push(FieldError::new(
            "current_password",
            "Your current password is not correct",
        ));
    }
    if let Err(e) = password::check_policy(&form.new_password, actor.email.as_str()) {
        errors.push(FieldError::new(
            "new_password",
            super::sentence(&e.to_string()),
        ));
    } else if form.new_password == form.current_password {
        errors.push(FieldError::new(
            "new_password",
            "Your new password must be different from your current one",
        ));
    }
    if form.confirm_password != form.new_password {
        errors.push(FieldError::new(
            "confirm_password",
            "The passwords do not match",
        ));
    }
    if !errors.is_empty() {
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                chrome: visitor.chrome,
                required: visitor.must_change_password,
                errors,
            },
        ));
    }
    let new_password = form.new_password;
    let hash = tokio::task::spawn_blocking(move || hashing.hash(&new_password))
        .await
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .store
        .set_password(&actor.audit_name(), actor.user_id, &hash, &session_hash)
        .await?;
    Ok(Redirect::to("/dashboard?notice=password-changed").into_response())
}
