//! The JSON API for bids: submit a bid (with an `Idempotency-Key`, so a retry
//! makes one bid) and list one's receipts. Same session, same CSRF protection
//! (the `X-CSRF-Token` header), same policy and the same domain checks as the
//! pages.

use super::{domain_status, exact_london, exact_utc, supplier_for};
use crate::context::Visitor;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use consort_core::OrgId;
use consort_core::competition::{CompetitionError, Receipt};
use consort_core::policy::{self, Action, Actor};
use consort_store::{BidSubmission, BidUpload, CompetitionRecord, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A refusal as JSON: `{"error": …, "field": …}` with its status.
fn refusal(status: StatusCode, error: impl Into<String>, field: Option<&str>) -> Response {
    (
        status,
        Json(json!({ "error": error.into(), "field": field })),
    )
        .into_response()
}

/// A bid as the API takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidRequest<'a> {
    /// The lot, for a competition with lots.
    #[serde(default)]
    lot: Option<String>,
    /// Answers by question id.
    #[serde(default)]
    answers: BTreeMap<String, String>,
    /// Unit prices by line id, as text (`"1234.50"`) or a number.
    #[serde(default)]
    prices: BTreeMap<String, Value>,
    /// Attachments with their content in base64.
    #[serde(default, borrow)]
    attachments: Vec<AttachmentRequest<'a>>,
    /// The supplier to bid for, when the person acts for more than one.
    #[serde(default)]
    supplier: Option<String>,
}

/// An attachment as the API takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRequest<'a> {
    /// The file name.
    file_name: String,
    /// The media type declared (never believed: the content decides).
    #[serde(default)]
    media_type: Option<String>,
    /// The content, base64, borrowed from the request body when it has no
    /// escapes.
    #[serde(borrow)]
    content_base64: Cow<'a, str>,
}

fn receipt_json(record: &CompetitionRecord, r: &Receipt) -> Value {
    json!({
        "competition": record.reference,
        "bid_id": r.bid_id,
        "version": r.version,
        "received_at": exact_utc(r.received_at),
        "received_at_london": exact_london(r.received_at),
        "sha256": r.sha256_hex,
    })
}

/// The signed-in person, the competition and the supplier they bid for, or
/// the JSON refusal.
async fn bidder(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    supplier: Option<&str>,
) -> Result<Result<(Actor, CompetitionRecord, OrgId), Response>, AppError> {
    let Some(actor) = visitor.actor.clone() else {
        return Ok(Err(refusal(
            StatusCode::UNAUTHORIZED,
            "sign in first: send the session cookie",
            None,
        )));
    };
    if visitor.must_change_password {
        return Ok(Err(refusal(
            StatusCode::FORBIDDEN,
            "choose a new password before using the service",
            None,
        )));
    }
    let not_found = || refusal(StatusCode::NOT_FOUND, "there is no such competition", None);
    let Ok(id) = id.parse::<i64>() else {
        return Ok(Err(not_found()));
    };
    let record = match state.store.competition(id).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Ok(Err(not_found())),
        Err(e) => return Err(e.into()),
    };
    let c = &record.competition;
    if policy::authorize(&actor, Action::ViewCompetition { competition: c }).is_err() {
        return Ok(Err(not_found()));
    }
    let supplier = match supplier {
        Some(text) => OrgId::parse(text).ok().filter(|s| {
            policy::authorize(
                &actor,
                Action::BidInCompetition {
                    competition: c,
                    supplier: s,
                },
            )
            .is_ok()
        }),
        None => supplier_for(&actor, c),
    };
    let Some(supplier) = supplier else {
        return Ok(Err(refusal(
            StatusCode::FORBIDDEN,
            "only people of a supplier that may bid can bid",
            Some("supplier"),
        )));
    };
    Ok(Ok((actor, record, supplier)))
}

fn domain_refusal(e: &CompetitionError) -> Response {
    let status = domain_status(e);
    let field = match e {
        CompetitionError::InvalidPrice { line, .. } => format!("prices.{line}"),
        other => other.field().to_string(),
    };
    refusal(status, e.to_string(), Some(&field))
}

/// `POST /api/v1/competitions/{id}/bids`: submits a bid. 201 with the receipt;
/// 200 with the same receipt when the `Idempotency-Key` was seen before; a
/// 4xx `{error, field}` otherwise.
pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(String::from)
    else {
        return Ok(refusal(
            StatusCode::BAD_REQUEST,
            "send an Idempotency-Key header (1 to 200 characters) naming this submission",
            Some("Idempotency-Key"),
        ));
    };
    let request: BidRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                format!("the body is not a bid: {e}"),
                Some("body"),
            ));
        }
    };
    let (actor, record, supplier) =
        match bidder(&state, &visitor, &id, request.supplier.as_deref()).await? {
            Ok(found) => found,
            Err(response) => return Ok(response),
        };
    let mut prices = BTreeMap::new();
    for (line, value) in request.prices {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            _ => {
                return Ok(refusal(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("price for line '{line}' must be text like \"1234.50\" or a number"),
                    Some(&format!("prices.{line}")),
                ));
            }
        };
        prices.insert(line, text);
    }
    let mut attachments = Vec::with_capacity(request.attachments.len());
    for (i, a) in request.attachments.into_iter().enumerate() {
        let Ok(bytes) = STANDARD.decode(a.content_base64.as_bytes()) else {
            return Ok(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{}: content_base64 is not base64", a.file_name),
                Some(&format!("attachments[{}].content_base64", i + 1)),
            ));
        };
        attachments.push(BidUpload {
            file_name: a.file_name,
            declared_type: a.media_type,
            bytes,
        });
    }
    let submission = BidSubmission {
        lot: request.lot.filter(|l| !l.is_empty()),
        answers: request.answers,
        prices,
        attachments,
    };
    match state
        .store
        .submit_bid(record.id, &supplier, &actor, &key, submission)
        .await
    {
        Ok(submitted) => {
            let status = if submitted.replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(receipt_json(&record, &submitted.receipt))).into_response())
        }
        Err(StoreError::Domain(e)) => Ok(domain_refusal(&e)),
        Err(StoreError::InvalidBid(errors)) if !errors.is_empty() => Ok(domain_refusal(&errors[0])),
        Err(StoreError::Refused(m)) => Ok(refusal(StatusCode::UNPROCESSABLE_ENTITY, m, None)),
        Err(StoreError::Conflict(m)) => Ok(refusal(StatusCode::CONFLICT, m, None)),
        Err(StoreError::NotFound(m)) => Ok(refusal(StatusCode::NOT_FOUND, m, None)),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/competitions/{id}/receipts`: every receipt given to the
/// person's supplier, oldest first.
pub async fn receipts(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (_, record, supplier) = match bidder(&state, &visitor, &id, None).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let receipts = state.store.receipts(record.id, &supplier).await?;
    Ok(Json(json!({
        "competition": record.reference,
        "supplier": supplier.as_str(),
        "receipts": receipts.iter().map(|r| receipt_json(&record, r)).collect::<Vec<_>>(),
    }))
    .into_response())
}
