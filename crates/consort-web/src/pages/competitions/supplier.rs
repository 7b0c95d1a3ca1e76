//! The supplier's pages: preparing a bid (saved as a draft, then submitted with
//! its attachments), the receipt for each submission, and the list of receipts.

use super::{
    Part, domain_status, exact_london, exact_utc, idempotency_key, load, read_multipart, sentence,
    store_refusal, supplier_for, when,
};
use crate::context::{Chrome, SignedIn};
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::competition::{BidContent, Competition, CompetitionError, Receipt};
use consort_core::document::UploadPolicy;
use consort_store::{BidSubmission, BidUpload, CompetitionRecord, StoreError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A quality question on the bid form.
struct BidQuestion {
    id: String,
    field_id: String,
    text: String,
    hint: String,
    answer: String,
}

/// A price line on the bid form.
struct BidLine {
    id: String,
    field_id: String,
    description: String,
    hint: String,
    price: String,
}

#[derive(Template)]
#[template(path = "competition_bid.html")]
struct BidPage {
    chrome: Chrome,
    id: i64,
    title: String,
    supplier: String,
    deadline: String,
    closed: Option<String>,
    choose_lot: bool,
    lots: Vec<(String, String)>,
    lot: String,
    questions: Vec<BidQuestion>,
    lines: Vec<BidLine>,
    idempotency_key: String,
    saved: bool,
    accept: String,
    accepted: String,
    receipts: usize,
    errors: Vec<FieldError>,
}

impl BidPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The bid page's query string.
#[derive(Deserialize, Default)]
pub struct BidQuery {
    lot: Option<String>,
    saved: Option<String>,
}

/// The supplier the person bids for, or a 403.
fn supplier_of(user: &SignedIn, c: &Competition) -> Result<OrgId, AppError> {
    supplier_for(&user.actor, c).ok_or_else(|| {
        user.forbidden("only people of a supplier that may bid can ask questions or bid")
    })
}

/// What the form holds: the lot, answers and prices as typed.
struct Typed {
    lot: Option<String>,
    answers: BTreeMap<String, String>,
    prices: BTreeMap<String, String>,
}

impl Typed {
    fn of(content: &BidContent) -> Typed {
        Typed {
            lot: content.lot.clone(),
            answers: content.answers.clone(),
            prices: content.prices.clone(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn bid_page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    supplier: &OrgId,
    typed: Typed,
    errors: Vec<FieldError>,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let now = state.store.clock().now();
    let closed = c.can_accept_bid(supplier, now).err().map(|e| match e {
        CompetitionError::AfterDeadline { deadline } => format!(
            "The tender deadline {} has passed: bids can no longer be submitted or changed",
            when(deadline)
        ),
        other => sentence(&other.to_string()),
    });
    let names = super::org_names(state).await?;
    let lot_chosen = typed.lot.clone().filter(|l| c.content.lot(l).is_some());
    let choose_lot = !c.content.lots.is_empty() && lot_chosen.is_none();
    let questions = c
        .rules
        .criteria
        .questions
        .iter()
        .map(|q| BidQuestion {
            id: q.id.clone(),
            field_id: format!("answer-{}", q.id),
            text: q.text.clone(),
            hint: match q.word_limit {
                Some(limit) => format!("Weight {}. Up to {limit} words.", q.weight),
                None => format!("Weight {}.", q.weight),
            },
            answer: typed.answers.get(&q.id).cloned().unwrap_or_default(),
        })
        .collect();
    let lines = c
        .content
        .lines_for(lot_chosen.as_deref())
        .map(|l| BidLine {
            id: l.id.clone(),
            field_id: format!("price-{}", l.id),
            description: l.description.clone(),
            hint: format!("Unit price, for {} × {}", l.quantity, l.unit),
            price: typed.prices.get(&l.id).cloned().unwrap_or_default(),
        })
        .collect();
    let policy = UploadPolicy::default();
    Ok(render(
        status,
        &BidPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            supplier: super::name_of(&names, supplier),
            deadline: c.deadline().map(when).unwrap_or_default(),
            closed,
            choose_lot,
            lots: c
                .content
                .lots
                .iter()
                .map(|l| (l.id.clone(), l.title.clone()))
                .collect(),
            lot: lot_chosen.unwrap_or_default(),
            questions,
            lines,
            idempotency_key: idempotency_key(),
            saved,
            accept: policy.accept_attribute(),
            accepted: policy.accepted_summary(),
            receipts: state.store.receipts(record.id, supplier).await?.len(),
            errors,
        },
    ))
}

/// `GET /competitions/{id}/bid`: the bid form (first the lot, if there are lots),
/// filled from the saved draft; after the deadline, only the notice that bids
/// are closed.
pub async fn form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<BidQuery>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let supplier = supplier_of(&user, &record.competition)?;
    let draft = state.store.bid_draft(record.id, &supplier).await?;
    let mut typed = draft.as_ref().map(Typed::of).unwrap_or(Typed {
        lot: None,
        answers: BTreeMap::new(),
        prices: BTreeMap::new(),
    });
    match query.lot {
        Some(lot) if lot.is_empty() => typed.lot = None,
        Some(lot) => {
            if typed.lot.as_deref() != Some(lot.as_str()) {
                typed.prices.clear();
            }
            typed.lot = Some(lot);
        }
        None => {}
    }
    bid_page(
        &state,
        &user,
        &record,
        &supplier,
        typed,
        Vec::new(),
        query.saved.is_some(),
        StatusCode::OK,
    )
    .await
}

/// Where a refusal of a bid belongs on the form.
fn bid_field(error: &CompetitionError) -> String {
    match error {
        CompetitionError::InvalidPrice { line, .. } => format!("price-{line}"),
        other => {
            let field = other.field();
            if let Some(q) = field.strip_prefix("answers.") {
                format!("answer-{q}")
            } else if let Some(l) = field.strip_prefix("prices.") {
                format!("price-{l}")
            } else if field.starts_with("attachments") {
                "attachments".into()
            } else if field == "lot" {
                "lot".into()
            } else {
                "bid".into()
            }
        }
    }
}

fn bid_errors(errors: &[CompetitionError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| {
            let r = super::Refusal::from_domain(e);
            FieldError::new(&bid_field(e), r.message)
        })
        .collect()
}

/// The bid as typed in a multipart form, for competition `c`.
fn typed_from(parts: &[Part], c: &Competition) -> Typed {
    let text = |name: &str| super::part_text(parts, name);
    let lot = Some(text("lot")).filter(|l| !l.trim().is_empty());
    let answers = c
        .rules
        .criteria
        .questions
        .iter()
        .map(|q| (q.id.clone(), text(&format!("answer-{}", q.id))))
        .filter(|(_, a)| !a.trim().is_empty())
        .collect();
    let prices = c
        .content
        .lines_for(lot.as_deref())
        .map(|l| {
            (
                l.id.clone(),
                text(&format!("price-{}", l.id)).trim().to_string(),
            )
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    Typed {
        lot,
        answers,
        prices,
    }
}

/// Why the competition takes no bid from this supplier now, as a sentence.
fn not_accepting(e: &CompetitionError) -> String {
    match e {
        CompetitionError::AfterDeadline { deadline } => format!(
            "The tender deadline {} has passed: bids can no longer be submitted or changed",
            when(*deadline)
        ),
        other => sentence(&other.to_string()),
    }
}

/// `POST /competitions/{id}/bid` (multipart): saves the draft or submits the bid.
/// After the deadline every submission is refused, whatever the form says.
pub async fn submit(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let c = &record.competition;
    let supplier = supplier_of(&user, c)?;
    let now = state.store.clock().now();
    let empty = || Typed {
        lot: None,
        answers: BTreeMap::new(),
        prices: BTreeMap::new(),
    };
    // Refused before the files are read: the store would refuse it anyway.
    if let Err(e) = c.can_accept_bid(&supplier, now) {
        return bid_page(
            &state,
            &user,
            &record,
            &supplier,
            empty(),
            vec![FieldError::new("bid", not_accepting(&e))],
            false,
            domain_status(&e),
        )
        .await;
    }
    let parts = match read_multipart(multipart).await {
        Ok(parts) => parts,
        Err(m) => {
            return bid_page(
                &state,
                &user,
                &record,
                &supplier,
                empty(),
                vec![FieldError::new("attachments", m)],
                false,
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
    };
    let typed = typed_from(&parts, c);
    let content = BidContent {
        lot: typed.lot.clone(),
        answers: typed.answers.clone(),
        prices: typed.prices.clone(),
        attachments: Vec::new(),
    };
    let invalid = |errors: Vec<FieldError>| {
        bid_page(
            &state,
            &user,
            &record,
            &supplier,
            Typed {
                lot: typed.lot.clone(),
                answers: typed.answers.clone(),
                prices: typed.prices.clone(),
            },
            errors,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if super::part_text(&parts, "action") == "draft" {
        if let Err(errors) = c.check_bid_draft(&content) {
            return invalid(bid_errors(&errors)).await;
        }
        return match state
            .store
            .save_bid_draft(record.id, &supplier, &user.actor, &content)
            .await
        {
            Ok(()) => {
                let lot = content
                    .lot
                    .as_deref()
                    .map(|l| format!("&lot={l}"))
                    .unwrap_or_default();
                Ok(
                    Redirect::to(&format!("/competitions/{}/bid?saved=1{lot}", record.id))
                        .into_response(),
                )
            }
            Err(e) => {
                let r = store_refusal(&user, e)?;
                invalid(vec![FieldError::new("bid", r.message)]).await
            }
        };
    }
    let key = Some(super::part_text(&parts, "idempotency_key"))
        .filter(|k| !k.trim().is_empty())
        .unwrap_or_else(idempotency_key);
    let attachments = parts
        .into_iter()
        .filter(|p| p.name == "attachments" && p.is_chosen_file())
        .map(|p| BidUpload {
            file_name: p.file_name.unwrap_or_default(),
            declared_type: p.content_type,
            bytes: Vec::from(p.bytes),
        })
        .collect();
    let submission = BidSubmission {
        lot: content.lot,
        answers: content.answers,
        prices: content.prices,
        attachments,
    };
    match state
        .store
        .submit_bid(record.id, &supplier, &user.actor, &key, submission)
        .await
    {
        Ok(submitted) => Ok(Redirect::to(&format!(
            "/competitions/{}/receipts/{}",
            record.id, submitted.receipt.version
        ))
        .into_response()),
        Err(StoreError::InvalidBid(errors)) => invalid(bid_errors(&errors)).await,
        Err(StoreError::Domain(e)) => {
            bid_page(
                &state,
                &user,
                &record,
                &supplier,
                empty(),
                vec![FieldError::new("bid", not_accepting(&e))],
                false,
                domain_status(&e),
            )
            .await
        }
        Err(e) => {
            let r = store_refusal(&user, e)?;
            invalid(vec![FieldError::new("bid", r.message)]).await
        }
    }
}

/// A receipt as shown.
pub struct ReceiptView {
    version: u32,
    bid_id: String,
    london: String,
    utc: String,
    sha256: String,
}

impl ReceiptView {
    fn of(r: &Receipt) -> ReceiptView {
        ReceiptView {
            version: r.version,
            bid_id: r.bid_id.clone(),
            london: exact_london(r.received_at),
            utc: exact_utc(r.received_at),
            sha256: r.sha256_hex.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "competition_receipts.html")]
struct ReceiptsPage {
    chrome: Chrome,
    id: i64,
    title: String,
    supplier: String,
    receipts: Vec<ReceiptView>,
}

/// `GET /competitions/{id}/receipts`: every receipt given to the person's supplier.
pub async fn receipts(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let supplier = supplier_of(&user, &record.competition)?;
    let names = super::org_names(&state).await?;
    let receipts = state.store.receipts(record.id, &supplier).await?;
    Ok(render(
        StatusCode::OK,
        &ReceiptsPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            supplier: super::name_of(&names, &supplier),
            receipts: receipts.iter().map(ReceiptView::of).collect(),
        },
    ))
}

#[derive(Template)]
#[template(path = "competition_receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    id: i64,
    title: String,
    supplier: String,
    receipt: ReceiptView,
    deadline: String,
}

/// `GET /competitions/{id}/receipts/{version}`: one receipt, to the microsecond.
pub async fn receipt(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let supplier = supplier_of(&user, &record.competition)?;
    let version: u32 = version.parse().map_err(|_| user.not_found())?;
    let receipt = state
        .store
        .receipts(record.id, &supplier)
        .await?
        .into_iter()
        .find(|r| r.version == version)
        .ok_or_else(|| user.not_found())?;
    let names = super::org_names(&state).await?;
    Ok(render(
        StatusCode::OK,
        &ReceiptPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            supplier: super::name_of(&names, &supplier),
            receipt: ReceiptView::of(&receipt),
            deadline: record.competition.deadline().map(when).unwrap_or_default(),
        },
    ))
}
