//! Opening sealed bids: each opener's passphrase-locked opening key, the
//! organisation's recovery key (its secret shown once), and the two-person
//! opening after the deadline.

use super::{Refusal, load, name_of, org_names, path, store_refusal, when};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::competition::Command;
use consort_core::org::Role;
use consort_core::password::HashCost;
use consort_core::policy::Action;
use consort_vault::{ExposeSecret, KeyWork, MIN_PASSPHRASE_CHARS};
use serde::Deserialize;

/// How much work protects an opener's key: the test-only cost when the server
/// hashes passwords at the test-only cost, the real one otherwise.
fn key_work(state: &AppState) -> KeyWork {
    match state.config.hashing.cost() {
        HashCost::TestOnly => KeyWork::TestOnly,
        HashCost::Standard => KeyWork::Interactive,
    }
}

#[derive(Template)]
#[template(path = "competition_opening_key.html")]
struct OpeningKeyPage {
    chrome: Chrome,
    has_key: bool,
    done: bool,
    passphrase_hint: String,
    errors: Vec<FieldError>,
}

impl OpeningKeyPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The opening-key page's query string.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn opening_key_page(
    state: &AppState,
    user: &SignedIn,
    done: bool,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let status = form_status(&errors);
    Ok(render(
        status,
        &OpeningKeyPage {
            chrome: user.chrome.clone(),
            has_key: state.store.has_opener_key(user.actor.user_id).await?,
            done,
            passphrase_hint: format!(
                "At least {MIN_PASSPHRASE_CHARS} characters. A few unrelated words are long and easy to remember."
            ),
            errors,
        },
    ))
}

/// `GET /account/opening-key`.
pub async fn key_form(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    user.authorize(Action::SetOpeningKey)?;
    opening_key_page(&state, &user, query.done.is_some(), Vec::new()).await
}

/// What the opening-key form sends.
#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    confirm_passphrase: String,
}

/// `POST /account/opening-key`: creates (or replaces) the person's opening key,
/// locked under their passphrase.
pub async fn set_key(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<KeyForm>,
) -> Result<Response, AppError> {
    user.authorize(Action::SetOpeningKey)?;
    let mut errors = Vec::new();
    if form.passphrase.is_empty() {
        errors.push(FieldError::new("passphrase", "Enter a passphrase"));
    } else if form.passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        errors.push(FieldError::new(
            "passphrase",
            format!("Passphrase must be {MIN_PASSPHRASE_CHARS} characters or more"),
        ));
    } else if form.passphrase != form.confirm_passphrase {
        errors.push(FieldError::new(
            "confirm_passphrase",
            "The passphrases do not match: type the same passphrase twice",
        ));
    }
    if !errors.is_empty() {
        return opening_key_page(&state, &user, false, errors).await;
    }
    match state
        .store
        .set_opener_key(&user.actor, &form.passphrase, key_work(&state))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/opening-key?done=1").into_response()),
        Err(e) => {
            let r = store_refusal(&user, e)?;
            opening_key_page(&state, &user, false, vec![r.on("passphrase")]).await
        }
    }
}

#[derive(Template)]
#[template(path = "competition_recovery_key.html")]
struct RecoveryKeyPage {
    chrome: Chrome,
    org_id: String,
    org_name: String,
    has_key: bool,
    secret: Option<String>,
    errors: Vec<FieldError>,
}

/// The organisation, and whether the person may create its recovery key.
async fn recovery_org(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<(OrgId, String), AppError> {
    let org = OrgId::parse(id).map_err(|_| user.not_found())?;
    let found = state
        .store
        .org(&org)
        .await?
        .ok_or_else(|| user.not_found())?;
    let org_has_admin = state
        .store
        .org_people(&org)
        .await?
        .iter()
        .any(|p| p.role == Role::Admin);
    user.authorize(Action::CreateRecoveryKey {
        org: &org,
        org_has_admin,
    })?;
    Ok((org, found.name))
}

async fn recovery_page(
    state: &AppState,
    user: &SignedIn,
    org: &OrgId,
    name: String,
    secret: Option<String>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let status = form_status(&errors);
    Ok(render(
        status,
        &RecoveryKeyPage {
            chrome: user.chrome.clone(),
            org_id: org.to_string(),
            org_name: name,
            has_key: state.store.has_recovery_key(org).await?,
            secret,
            errors,
        },
    ))
}

/// `GET /organisations/{id}/recovery-key`.
pub async fn recovery_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (org, name) = recovery_org(&state, &user, &id).await?;
    recovery_page(&state, &user, &org, name, None, Vec::new()).await
}

/// `POST /organisations/{id}/recovery-key`: creates the recovery key and shows
/// its secret, once.
pub async fn create_recovery(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (org, name) = recovery_org(&state, &user, &id).await?;
    match state.store.create_recovery_key(&user.actor, &org).await {
        Ok(secret) => {
            let shown = secret.expose_secret().to_string();
            recovery_page(&state, &user, &org, name, Some(shown), Vec::new()).await
        }
        Err(e) => {
            let r = store_refusal(&user, e)?;
            recovery_page(&state, &user, &org, name, None, vec![r.on("create")]).await
        }
    }
}

#[derive(Template)]
#[template(path = "competition_open.html")]
struct OpenPage {
    chrome: Chrome,
    id: i64,
    title: String,
    buyer: String,
    status: String,
    deadline: String,
    deadline_passed: bool,
    opened: Option<String>,
    approvals: Vec<(String, String)>,
    approved_by_you: bool,
    errors: Vec<FieldError>,
}

impl OpenPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn open_page(
    state: &AppState,
    user: &SignedIn,
    record: &consort_store::CompetitionRecord,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let names = org_names(state).await?;
    let now = state.store.clock().now();
    let status = form_status(&errors);
    Ok(render(
        status,
        &OpenPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            buyer: name_of(&names, &c.content.buyer),
            status: c.status.label().to_string(),
            deadline: c.deadline().map(when).unwrap_or_default(),
            deadline_passed: c.deadline().is_some_and(|d| now >= d),
            opened: c.opening.opened_at.map(when),
            approvals: c
                .opening
                .approvals
                .iter()
                .map(|a| (a.opener.to_string(), when(a.at)))
                .collect(),
            approved_by_you: c
                .opening
                .approvals
                .iter()
                .any(|a| a.opener == user.actor.email),
            errors,
        },
    ))
}

/// `GET /competitions/{id}/open`: who has approved, and the passphrase form.
pub async fn open_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    user.authorize(Action::OpenCompetitionBids {
        competition: &record.competition,
    })?;
    open_page(&state, &user, &record, Vec::new()).await
}

/// What the opening form sends.
#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    passphrase: String,
}

/// `POST /competitions/{id}/open`: this opener's approval, with their passphrase.
/// The second distinct opener opens the bids.
pub async fn approve(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<OpenForm>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let c = &record.competition;
    user.authorize(Action::OpenCompetitionBids { competition: c })?;
    if form.passphrase.is_empty() {
        let e = FieldError::new("passphrase", "Enter the passphrase of your opening key");
        return open_page(&state, &user, &record, vec![e]).await;
    }
    let now = state.store.clock().now();
    let trial = Command::OpenBids {
        opener: user.actor.email.clone(),
        holds_opener_role: c.is_authorised_opener(&user.actor),
        bids: Vec::new(),
    };
    if let Err(e) = c.execute(trial, now) {
        let r = Refusal::from_domain(&e);
        return open_page(&state, &user, &record, vec![r.on("passphrase")]).await;
    }
    match state
        .store
        .approve_opening(record.id, &user.actor, &form.passphrase)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{}/open", path(&record))).into_response()),
        Err(e) => {
            let r = store_refusal(&user, e)?;
            let record = state.store.competition(record.id).await?;
            open_page(&state, &user, &record, vec![r.on("passphrase")]).await
        }
    }
}
