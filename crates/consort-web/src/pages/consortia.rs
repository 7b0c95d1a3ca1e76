//! Consortia: the ones a person may see, starting one, and members joining and
//! leaving (each audited by the store).

use super::dashboard::visible_consortia;
use super::{FieldError, error_for, sentence};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::org::{OrgKind, Organisation};
use consort_core::policy::Action;
use consort_store::{ConsortiumDetail, StoreError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "consortia.html")]
struct ConsortiaPage {
    chrome: Chrome,
    consortia: Vec<ConsortiumDetail>,
    coordinators: Vec<Organisation>,
    name: String,
    errors: Vec<FieldError>,
}

impl ConsortiaPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

async fn consortia_page(
    state: &AppState,
    user: SignedIn,
    name: String,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    user.authorize(Action::ListConsortia)?;
    let consortia = visible_consortia(&state.store, &user.actor).await?;
    let coordinators = state
        .store
        .orgs()
        .await?
        .into_iter()
        .filter(|o| {
            o.kind != OrgKind::Supplier
                && user
                    .authorize(Action::CreateConsortium { coordinator: &o.id })
                    .is_ok()
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &ConsortiaPage {
            chrome: user.chrome,
            consortia,
            coordinators,
            name,
            errors,
        },
    ))
}

/// `GET /consortia`.
pub async fn list(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    consortia_page(&state, user, String::new(), Vec::new()).await
}

/// What the start-a-consortium form sends.
#[derive(Deserialize)]
pub struct NewConsortiumForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    coordinator: String,
}

/// `POST /consortia`.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<NewConsortiumForm>,
) -> Result<Response, AppError> {
    let coordinator = OrgId::parse(&form.coordinator).map_err(|_| user.not_found())?;
    user.authorize(Action::CreateConsortium {
        coordinator: &coordinator,
    })?;
    if form.name.trim().is_empty() {
        let errors = vec![FieldError::new("name", "Enter a name for the consortium")];
        return consortia_page(&state, user, form.name, errors).await;
    }
    match state
        .store
        .create_consortium(&user.actor.audit_name(), &form.name, &coordinator)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/consortia/{id}")).into_response()),
        Err(StoreError::Conflict(m) | StoreError::Refused(m)) => {
            consortia_page(
                &state,
                user,
                form.name,
                vec![FieldError::new("name", sentence(&m))],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "consortium.html")]
struct ConsortiumPage {
    chrome: Chrome,
    id: i64,
    name: String,
    coordinator_name: String,
    members: Vec<Organisation>,
    candidates: Vec<Organisation>,
    can_manage: bool,
    can_plan: bool,
    errors: Vec<FieldError>,
}

impl ConsortiumPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// Loads a consortium the person may see; one they may not see is a 404, so that
/// guessing numbers reveals nothing.
pub(crate) async fn visible(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<ConsortiumDetail, AppError> {
    let id: i64 = id.parse().map_err(|_| user.not_found())?;
    let detail = state
        .store
        .consortium(id)
        .await?
        .ok_or_else(|| user.not_found())?;
    user.authorize(Action::ViewConsortium {
        coordinator: &detail.consortium.coordinator,
        members: &detail.members,
    })
    .map_err(|_| user.not_found())?;
    Ok(detail)
}

async fn consortium_page(
    state: &AppState,
    user: SignedIn,
    id: i64,
    mut errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let detail = visible(state, &user, &id.to_string()).await?;
    let can_manage = user
        .authorize(Action::ManageConsortium {
            coordinator: &detail.consortium.coordinator,
        })
        .is_ok();
    let can_plan = user
        .authorize(Action::PlanConsortium {
            coordinator: &detail.consortium.coordinator,
        })
        .is_ok();
    let all = state.store.orgs().await?;
    let name_of = |id: &OrgId| {
        all.iter()
            .find(|o| &o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let members: Vec<Organisation> = detail
        .members
        .iter()
        .filter_map(|m| all.iter().find(|o| &o.id == m).cloned())
        .collect();
    let candidates: Vec<Organisation> = all
        .iter()
        .filter(|o| o.kind == OrgKind::Authority && !detail.members.contains(&o.id))
        .cloned()
        .collect();
    if candidates.is_empty() {
        // With no authority left to add, the add-member field is not shown: point
        // the error summary at the member list instead.
        for e in &mut errors {
            e.field_id = "members".into();
        }
    }
    let status = form_status(&errors);
    Ok(render(
        status,
        &ConsortiumPage {
            chrome: user.chrome,
            id,
            coordinator_name: name_of(&detail.consortium.coordinator),
            name: detail.consortium.name,
            members,
            candidates,
            can_manage,
            can_plan,
            errors,
        },
    ))
}

/// `GET /consortia/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = visible(&state, &user, &id).await?.consortium.id;
    consortium_page(&state, user, id, Vec::new()).await
}

/// What the add-member form sends.
#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    org_id: String,
}

/// `POST /consortia/{id}/members`: an authority joins.
pub async fn add_member(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let detail = visible(&state, &user, &id).await?;
    let id = detail.consortium.id;
    user.authorize(Action::ManageConsortium {
        coordinator: &detail.consortium.coordinator,
    })?;
    let org = match OrgId::parse(&form.org_id) {
        Ok(org) => org,
        Err(e) => {
            return consortium_page(
                &state,
                user,
                id,
                vec![FieldError::new("org_id", sentence(&e.reason))],
            )
            .await;
        }
    };
    match state
        .store
        .join_consortium(&user.actor.audit_name(), id, &org)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/consortia/{id}")).into_response()),
        Err(StoreError::Conflict(m) | StoreError::Refused(m) | StoreError::NotFound(m)) => {
            consortium_page(
                &state,
                user,
                id,
                vec![FieldError::new("org_id", sentence(&m))],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /consortia/{id}/members/{org}/remove`: a member leaves.
pub async fn remove_member(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, org)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let detail = visible(&state, &user, &id).await?;
    let id = detail.consortium.id;
    user.authorize(Action::ManageConsortium {
        coordinator: &detail.consortium.coordinator,
    })?;
    let org = OrgId::parse(&org).map_err(|_| user.not_found())?;
    match state
        .store
        .leave_consortium(&user.actor.audit_name(), id, &org)
        .await
    {
        Ok(()) | Err(StoreError::Refused(_)) => {
            Ok(Redirect::to(&format!("/consortia/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
