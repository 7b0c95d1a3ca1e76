//! Procurement documents: uploading them to a draft, withdrawing them, adding
//! them by amendment after publication, and downloading them.

use super::overview::{DocView, doc_views};
use super::{
    DateTimeFields, Part, check_file, load, load_managed, part_text, path, read_multipart, run,
    sentence, store_refusal, when,
};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::competition::{Command, DocumentRef, Status};
use consort_core::document::{ContentHash, Disposition, UploadPolicy, content_disposition};
use consort_core::policy::Action;
use consort_store::{CompetitionRecord, StoreError};

#[derive(Template)]
#[template(path = "competition_documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    id: i64,
    title: String,
    documents: Vec<DocView>,
    hashes: Vec<String>,
    accept: String,
    accepted: String,
    errors: Vec<FieldError>,
}

impl DocumentsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn documents_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    errors: Vec<FieldError>,
) -> Response {
    let policy = UploadPolicy::default();
    let status = form_status(&errors);
    let docs = &record.competition.content.documents;
    render(
        status,
        &DocumentsPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            documents: doc_views(record.id, docs),
            hashes: docs.iter().map(|d| d.sha256_hex.clone()).collect(),
            accept: policy.accept_attribute(),
            accepted: policy.accepted_summary(),
            errors,
        },
    )
}

/// A draft's documents may be changed here; after publication, by amendment.
async fn load_draft_documents(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<Result<CompetitionRecord, Response>, AppError> {
    let record = load_managed(state, user, id).await?;
    if record.competition.status != Status::Draft {
        let to = if record.competition.status == Status::Published {
            format!("/competitions/{}/amend", record.id)
        } else {
            path(&record)
        };
        return Ok(Err(Redirect::to(&to).into_response()));
    }
    Ok(Ok(record))
}

/// `GET /competitions/{id}/documents`.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match load_draft_documents(&state, &user, &id).await? {
        Ok(record) => Ok(documents_page(&user, &record, Vec::new())),
        Err(redirect) => Ok(redirect),
    }
}

/// Checks every chosen file before any is stored, so that one bad file stores
/// none; the first refusal names its file. Returns how many were chosen.
fn check_files(parts: &[Part], field: &str) -> Result<usize, FieldError> {
    let mut chosen = 0;
    for p in parts
        .iter()
        .filter(|p| p.name == field && p.is_chosen_file())
    {
        check_file(p).map_err(|m| FieldError::new(field, sentence(&m)))?;
        chosen += 1;
    }
    Ok(chosen)
}

/// Stores every chosen file of `field` with the competition; the store checks
/// each again and (for a draft) adds it to the draft.
async fn store_files(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    parts: &[Part],
    field: &str,
) -> Result<Result<Vec<DocumentRef>, FieldError>, AppError> {
    let mut stored = Vec::new();
    for p in parts
        .iter()
        .filter(|p| p.name == field && p.is_chosen_file())
    {
        match state
            .store
            .add_competition_document(
                record.id,
                &user.actor,
                state.blobs.as_ref(),
                p.file_name.as_deref().unwrap_or(""),
                p.content_type.as_deref(),
                &p.bytes,
            )
            .await
        {
            Ok(doc) => stored.push(doc.reference),
            Err(StoreError::Refused(m) | StoreError::Conflict(m)) => {
                return Ok(Err(FieldError::new(field, sentence(&m))));
            }
            Err(e) => {
                let r = store_refusal(user, e)?;
                return Ok(Err(FieldError::new(field, r.message)));
            }
        }
    }
    Ok(Ok(stored))
}

/// `POST /competitions/{id}/documents` (multipart): uploads documents to the draft.
pub async fn upload(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let record = match load_draft_documents(&state, &user, &id).await? {
        Ok(record) => record,
        Err(redirect) => return Ok(redirect),
    };
    let parts = match read_multipart(multipart).await {
        Ok(parts) => parts,
        Err(m) => {
            return Ok(documents_page(
                &user,
                &record,
                vec![FieldError::new("documents", m)],
            ));
        }
    };
    let chosen = match check_files(&parts, "documents") {
        Ok(chosen) => chosen,
        Err(e) => return Ok(documents_page(&user, &record, vec![e])),
    };
    if chosen == 0 {
        let e = FieldError::new("documents", "Select a file to upload");
        return Ok(documents_page(&user, &record, vec![e]));
    }
    match store_files(&state, &user, &record, &parts, "documents").await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/competitions/{}/documents", record.id)).into_response())
        }
        Err(e) => {
            let record = state.store.competition(record.id).await?;
            Ok(documents_page(&user, &record, vec![e]))
        }
    }
}

/// What the withdraw form sends.
#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    hash: String,
}

/// `POST /competitions/{id}/documents/remove`: withdraws a document from the draft.
pub async fn remove(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    let record = match load_draft_documents(&state, &user, &id).await? {
        Ok(record) => record,
        Err(redirect) => return Ok(redirect),
    };
    let mut content = record.competition.content.clone();
    content.documents.retain(|d| d.sha256_hex != form.hash);
    let command = Command::ReviseDraft {
        by: user.actor.email.clone(),
        content,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}/documents", next.id)).into_response())
        }
        Err(r) => Ok(documents_page(&user, &record, vec![r.on("documents")])),
    }
}

/// `GET /competitions/{id}/documents/{hash}`: the document, to those the policy
/// lets see the competition — its buyers, team and openers, and once published
/// the suppliers who may bid.
pub async fn download(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, hash)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let hash = ContentHash::parse(&hash)
        .map_err(|_| user.not_found())?
        .to_hex();
    let manager = user
        .authorize(Action::ManageCompetition {
            competition: &record.competition,
        })
        .is_ok();
    let published = record
        .competition
        .content
        .documents
        .iter()
        .any(|d| d.sha256_hex == hash);
    if !published && !manager {
        return Err(user.not_found());
    }
    let (doc, bytes) = match state
        .store
        .competition_document(record.id, &hash, state.blobs.as_ref())
        .await
    {
        Ok(found) => found,
        Err(StoreError::NotFound(_)) => return Err(user.not_found()),
        Err(e) => return Err(e.into()),
    };
    let disposition = content_disposition(Disposition::Attachment, &doc.reference.file_name);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&doc.reference.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

// ---------------------------------------------------------------- amendments

#[derive(Template)]
#[template(path = "competition_amend.html")]
struct AmendPage {
    chrome: Chrome,
    id: i64,
    title: String,
    deadline: String,
    summary: String,
    new_deadline: DateTimeFields,
    documents: Vec<(String, String)>,
    accept: String,
    accepted: String,
    errors: Vec<FieldError>,
}

impl AmendPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn amend_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    summary: String,
    new_deadline: DateTimeFields,
    errors: Vec<FieldError>,
) -> Response {
    let c = &record.competition;
    let policy = UploadPolicy::default();
    let status = form_status(&errors);
    render(
        status,
        &AmendPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            deadline: c.deadline().map(when).unwrap_or_default(),
            summary,
            new_deadline,
            documents: c
                .content
                .documents
                .iter()
                .map(|d| (d.sha256_hex.clone(), d.file_name.clone()))
                .collect(),
            accept: policy.accept_attribute(),
            accepted: policy.accepted_summary(),
            errors,
        },
    )
}

/// `GET /competitions/{id}/amend`.
pub async fn amend_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    Ok(amend_page(
        &user,
        &record,
        String::new(),
        DateTimeFields::default(),
        Vec::new(),
    ))
}

/// Where an amendment's refusal belongs on the form.
fn amend_field(field: &str) -> &'static str {
    match field {
        "summary" => "summary",
        "new_deadline" | "tender_deadline" => "deadline-day",
        f if f.starts_with("documents") || f.starts_with("remove") => "documents",
        _ => "summary",
    }
}

/// `POST /competitions/{id}/amend` (multipart): publishes an amendment: a
/// summary, optionally a later deadline, documents added and withdrawn.
pub async fn amend(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let parts = match read_multipart(multipart).await {
        Ok(parts) => parts,
        Err(m) => {
            return Ok(amend_page(
                &user,
                &record,
                String::new(),
                DateTimeFields::default(),
                vec![FieldError::new("documents", m)],
            ));
        }
    };
    let summary = part_text(&parts, "summary");
    let fields = DateTimeFields {
        day: part_text(&parts, "deadline-day"),
        month: part_text(&parts, "deadline-month"),
        year: part_text(&parts, "deadline-year"),
        hour: part_text(&parts, "deadline-hour"),
        minute: part_text(&parts, "deadline-minute"),
    };
    let page = |errors: Vec<FieldError>| {
        amend_page(&user, &record, summary.clone(), fields.clone(), errors)
    };
    let new_deadline = if fields.is_blank() {
        None
    } else {
        match fields.parse("The new tender deadline") {
            Ok(at) => Some(at),
            Err(m) => return Ok(page(vec![FieldError::new("deadline-day", m)])),
        }
    };
    let remove_documents: Vec<String> = parts
        .iter()
        .filter(|p| p.name == "remove")
        .map(Part::text)
        .collect();
    if let Err(e) = check_files(&parts, "documents") {
        return Ok(page(vec![e]));
    }
    let uploads: Vec<(&str, Option<&str>, &[u8])> = parts
        .iter()
        .filter(|p| p.name == "documents" && p.is_chosen_file())
        .map(|p| {
            (
                p.file_name.as_deref().unwrap_or(""),
                p.content_type.as_deref(),
                &p.bytes[..],
            )
        })
        .collect();
    let amended = state
        .store
        .amend_competition(
            record.id,
            &user.actor,
            Some(record.version),
            state.blobs.as_ref(),
            &uploads,
            summary.clone(),
            new_deadline,
            remove_documents,
        )
        .await;
    match amended {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}?notice=amended", next.id)).into_response())
        }
        Err(e) => {
            let r = store_refusal(&user, e)?;
            Ok(page(vec![r.on(amend_field(&r.field))]))
        }
    }
}
