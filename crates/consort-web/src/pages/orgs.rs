//! Organisations: the public list, each one's page, its people, and adding one.

use super::{FieldError, error_for, sentence};
use crate::context::{Chrome, SignedIn};
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::org::{NewOrganisation, OrgKind, Organisation};
use consort_core::policy::Action;
use consort_store::{PersonRecord, StoreError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    chrome: Chrome,
    orgs: Vec<Organisation>,
    can_create: bool,
}

/// `GET /organisations`.
pub async fn list(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    user.authorize(Action::ListOrganisations)?;
    let can_create = user.authorize(Action::CreateOrganisation).is_ok();
    Ok(render(
        StatusCode::OK,
        &OrganisationsPage {
            chrome: user.chrome,
            orgs: state.store.orgs().await?,
            can_create,
        },
    ))
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    chrome: Chrome,
    org: Organisation,
    private: bool,
}

async fn find(state: &AppState, user: &SignedIn, id: &str) -> Result<Organisation, AppError> {
    let id = OrgId::parse(id).map_err(|_| user.not_found())?;
    state.store.org(&id).await?.ok_or_else(|| user.not_found())
}

/// `GET /organisations/{id}`: public details for anyone signed in; contact
/// details only for its own people.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.authorize(Action::ListOrganisations)?;
    let org = find(&state, &user, &id).await?;
    let private = user
        .authorize(Action::ViewOrganisationPrivate { org: &org.id })
        .is_ok();
    Ok(render(
        StatusCode::OK,
        &OrganisationPage {
            chrome: user.chrome,
            org,
            private,
        },
    ))
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    org: Organisation,
    people: Vec<PersonRecord>,
}

/// `GET /organisations/{id}/people`: only for the organisation's own people.
pub async fn people(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let org = find(&state, &user, &id).await?;
    user.authorize(Action::ViewOrganisationPrivate { org: &org.id })?;
    let people = state.store.org_people(&org.id).await?;
    Ok(render(
        StatusCode::OK,
        &PeoplePage {
            chrome: user.chrome,
            org,
            people,
        },
    ))
}

/// What the add-organisation form sends (and shows again on error).
#[derive(Deserialize, Default)]
pub struct NewOrgForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    address: String,
}

#[derive(Template)]
#[template(path = "organisation_new.html")]
struct NewOrganisationPage {
    chrome: Chrome,
    form: NewOrgForm,
    kinds: [OrgKind; 3],
    errors: Vec<FieldError>,
}

impl NewOrganisationPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /organisations/new`.
pub async fn new_form(user: SignedIn) -> Result<Response, AppError> {
    user.authorize(Action::CreateOrganisation)?;
    Ok(render(
        StatusCode::OK,
        &NewOrganisationPage {
            chrome: user.chrome,
            form: NewOrgForm::default(),
            kinds: OrgKind::ALL,
            errors: Vec::new(),
        },
    ))
}

/// `POST /organisations/new`.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<NewOrgForm>,
) -> Result<Response, AppError> {
    user.authorize(Action::CreateOrganisation)?;
    let parsed = NewOrganisation::parse(
        &form.id,
        &form.name,
        &form.kind,
        Some(&form.contact_email),
        Some(&form.telephone),
        Some(&form.address),
    );
    let errors = match parsed {
        Ok(NewOrganisation(org)) => {
            match state.store.create_org(&user.actor.audit_name(), &org).await {
                Ok(()) => {
                    return Ok(Redirect::to(&format!("/organisations/{}", org.id)).into_response());
                }
                Err(StoreError::Conflict(message)) => {
                    vec![FieldError::new("id", sentence(&message))]
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors
            .into_iter()
            .map(|e| {
                let message = match e.field {
                    "kind" => "Select the kind of organisation".to_string(),
                    _ => sentence(&e.reason),
                };
                FieldError::new(e.field, message)
            })
            .collect(),
    };
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewOrganisationPage {
            chrome: user.chrome,
            form,
            kinds: OrgKind::ALL,
            errors,
        },
    ))
}
