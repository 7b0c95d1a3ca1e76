//! The evaluation: each team member declares their interests before anything
//! about the bids is shown; evaluators then score every bid's answers
//! independently (each sees only their own scores); the moderator starts
//! moderation, sees every score, records the consensus with reasons and
//! completes the evaluation.

use super::overview::size_text;
use super::{load, name_of, org_names, run, when};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::competition::{Command, Interest, ScoresViewer, Status, pounds};
use consort_core::document::{Disposition, content_disposition};
use consort_core::policy::{self, Action};
use consort_store::{CompetitionRecord, OpenedBid, StoreError};
use serde::Deserialize;

/// One bid in the evaluator's list.
struct BidRow {
    bid_id: String,
    supplier: String,
    lot: String,
    scored: usize,
    agreed: usize,
    of: usize,
}

/// An evaluator's progress, counts only.
struct Progress {
    evaluator: String,
    state: String,
    scored: usize,
    to_score: usize,
}

#[derive(Template)]
#[template(path = "competition_evaluation.html")]
struct EvaluationPage {
    chrome: Chrome,
    id: i64,
    title: String,
    status: String,
    stage: &'static str,
    is_evaluator: bool,
    is_moderator: bool,
    moderation_started: bool,
    can_complete: bool,
    bids: Vec<BidRow>,
    progress: Vec<Progress>,
    questions: usize,
    errors: Vec<FieldError>,
}

impl EvaluationPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// Loads a competition the person evaluates or moderates.
async fn load_team(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CompetitionRecord, AppError> {
    let record = load(state, user, id).await?;
    user.authorize(Action::EvaluateCompetition {
        competition: &record.competition,
    })?;
    Ok(record)
}

async fn evaluation_page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let me = &user.actor.email;
    let stage = c.evaluation_stage(me).id();
    let names = org_names(state).await?;
    let questions = &c.rules.criteria.questions;
    let (bids, progress) = if stage == "scoring" {
        let bids = c
            .opening
            .bids
            .iter()
            .map(|b| BidRow {
                bid_id: b.bid_id.clone(),
                supplier: name_of(&names, &b.supplier),
                lot: b.lot.clone().unwrap_or_default(),
                scored: questions
                    .iter()
                    .filter(|q| c.evaluation.score(me, &b.bid_id, &q.id).is_some())
                    .count(),
                agreed: questions
                    .iter()
                    .filter(|q| c.evaluation.consensus_for(&b.bid_id, &q.id).is_some())
                    .count(),
                of: questions.len(),
            })
            .collect();
        let progress = if c.evaluation.is_moderator(me) {
            c.evaluation_progress()
                .into_iter()
                .map(|p| Progress {
                    evaluator: p.evaluator.to_string(),
                    state: if p.excluded {
                        "Excluded: declared a conflict of interest".into()
                    } else if p.declared {
                        "Declared no conflict".into()
                    } else {
                        "Not yet declared".into()
                    },
                    scored: p.scored,
                    to_score: p.to_score,
                })
                .collect()
        } else {
            Vec::new()
        };
        (bids, progress)
    } else {
        (Vec::new(), Vec::new())
    };
    let status = form_status(&errors);
    Ok(render(
        status,
        &EvaluationPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            status: c.status.label().to_string(),
            stage,
            is_evaluator: c.evaluation.is_evaluator(me),
            is_moderator: c.evaluation.is_moderator(me),
            moderation_started: c.evaluation.moderation_started_at.is_some(),
            can_complete: c.status == Status::Opened,
            bids,
            progress,
            questions: questions.len(),
            errors,
        },
    ))
}

/// `GET /competitions/{id}/evaluation`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    evaluation_page(&state, &user, &record, Vec::new()).await
}

/// What the declaration form sends.
#[derive(Deserialize)]
pub struct DeclarationForm {
    #[serde(default)]
    interest: String,
    #[serde(default)]
    details: String,
}

/// `POST /competitions/{id}/evaluation/declaration`.
pub async fn declare(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DeclarationForm>,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    let interest = match form.interest.as_str() {
        "no_conflict" => Interest::NoConflict,
        "conflict" => Interest::Conflict {
            details: form.details,
        },
        _ => {
            let e = FieldError::new("interest", "Select whether you have a conflict of interest");
            return evaluation_page(&state, &user, &record, vec![e]).await;
        }
    };
    let command = Command::DeclareInterest {
        member: user.actor.email.clone(),
        interest,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}/evaluation", next.id)).into_response())
        }
        Err(r) => {
            let field = if r.field == "details" {
                "details"
            } else {
                "interest"
            };
            evaluation_page(&state, &user, &record, vec![r.on(field)]).await
        }
    }
}

/// `POST /competitions/{id}/evaluation/moderation`: the moderator starts moderation.
pub async fn start_moderation(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    let command = Command::StartModeration {
        by: user.actor.email.clone(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}/evaluation", next.id)).into_response())
        }
        Err(r) => evaluation_page(&state, &user, &record, vec![r.on("moderation")]).await,
    }
}

/// `POST /competitions/{id}/evaluation/complete`: scores are final and the
/// bids are ranked. The moderator completes it; where price is the only
/// criterion, the buyer does.
pub async fn complete(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let c = &record.competition;
    let team =
        policy::authorize(&user.actor, Action::EvaluateCompetition { competition: c }).is_ok();
    let buyer_may = c.rules.criteria.questions.is_empty()
        && policy::authorize(&user.actor, Action::ManageCompetition { competition: c }).is_ok();
    if !team && !buyer_may {
        user.authorize(Action::EvaluateCompetition { competition: c })?;
    }
    let command = Command::CompleteEvaluation {
        by: user.actor.email.clone(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) if team => {
            Ok(Redirect::to(&format!("/competitions/{}/evaluation", next.id)).into_response())
        }
        Ok(next) => Ok(Redirect::to(&format!("/competitions/{}/award", next.id)).into_response()),
        Err(r) if team => evaluation_page(&state, &user, &record, vec![r.on("complete")]).await,
        Err(r) => super::award::award_page(&state, &user, &record, vec![r.on("complete")]).await,
    }
}

/// One score on a question's scale, as a radio button.
struct ScoreOption {
    input_id: String,
    score: u8,
    guidance: String,
    checked: bool,
}

/// One question of a bid as the team member sees it.
struct AnswerView {
    question_id: String,
    text: String,
    weight: u32,
    answer: String,
    options: Vec<ScoreOption>,
    score_field: String,
    reason_field: String,
    form_reason: String,
    scores: Vec<(String, u8, String)>,
    consensus: Option<(u8, String)>,
}

/// One priced line of a bid.
struct PricedLine {
    id: String,
    description: String,
    quantity: u32,
    unit_price: String,
    total: String,
}

#[derive(Template)]
#[template(path = "competition_evaluation_bid.html")]
struct BidPage {
    chrome: Chrome,
    id: i64,
    title: String,
    bid_id: String,
    supplier: String,
    lot: String,
    received: String,
    answers: Vec<AnswerView>,
    lines: Vec<PricedLine>,
    total_price: String,
    attachments: Vec<(usize, String, String)>,
    can_score: bool,
    can_moderate: bool,
    errors: Vec<FieldError>,
}

impl BidPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The opened bid `bid_id`, for a team member who may see the bids.
async fn opened_bid(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    bid_id: &str,
) -> Result<Result<OpenedBid, Response>, AppError> {
    if !record.competition.may_view_bids(&user.actor.email) {
        return Ok(Err(Redirect::to(&format!(
            "/competitions/{}/evaluation",
            record.id
        ))
        .into_response()));
    }
    match state.store.opened_bid(record.id, bid_id).await {
        Ok(bid) => Ok(Ok(bid)),
        Err(StoreError::NotFound(_)) => Err(user.not_found()),
        Err(e) => Err(e.into()),
    }
}

async fn bid_page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    bid: &OpenedBid,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let me = &user.actor.email;
    let names = org_names(state).await?;
    let visible = c.scores_visible_to(ScoresViewer::Person(me));
    let can_score = c.may_score(me);
    let can_moderate = c.may_record_consensus(me);
    let answers = c
        .rules
        .criteria
        .questions
        .iter()
        .map(|q| {
            let mine = c.evaluation.score(me, &bid.bid_id, &q.id);
            let consensus = visible
                .consensus
                .iter()
                .find(|s| s.bid_id == bid.bid_id && s.question_id == q.id)
                .map(|s| (s.score, s.reason.clone()));
            let (selected, form_reason) = if can_moderate {
                match &consensus {
                    Some((score, reason)) => (Some(*score), reason.clone()),
                    None => (None, String::new()),
                }
            } else {
                (
                    mine.map(|s| s.score),
                    mine.map(|s| s.reason.clone()).unwrap_or_default(),
                )
            };
            let score_field = format!("score-{}", q.id);
            AnswerView {
                question_id: q.id.clone(),
                text: q.text.clone(),
                weight: q.weight,
                answer: bid.content.answers.get(&q.id).cloned().unwrap_or_default(),
                options: (q.scale.min..=q.scale.max)
                    .map(|score| ScoreOption {
                        input_id: if score == q.scale.min {
                            score_field.clone()
                        } else {
                            format!("{score_field}-{score}")
                        },
                        score,
                        guidance: q.scale.guidance_for(score).unwrap_or("").to_string(),
                        checked: selected == Some(score),
                    })
                    .collect(),
                score_field,
                reason_field: format!("reason-{}", q.id),
                form_reason,
                scores: visible
                    .individual
                    .iter()
                    .filter(|s| s.bid_id == bid.bid_id && s.question_id == q.id)
                    .map(|s| (s.evaluator.to_string(), s.score, s.reason.clone()))
                    .collect(),
                consensus,
            }
        })
        .collect();
    let lines = c
        .content
        .lines_for(bid.content.lot.as_deref())
        .map(|l| PricedLine {
            id: l.id.clone(),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: bid
                .content
                .unit_prices_pence
                .get(&l.id)
                .map(|p| pounds(*p))
                .unwrap_or_default(),
            total: bid
                .content
                .line_totals_pence
                .get(&l.id)
                .map(|p| pounds(*p))
                .unwrap_or_default(),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &BidPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            bid_id: bid.bid_id.clone(),
            supplier: name_of(&names, &bid.supplier),
            lot: bid.content.lot.clone().unwrap_or_default(),
            received: when(bid.received_at),
            answers,
            lines,
            total_price: pounds(bid.content.total_price_pence),
            attachments: bid
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| (i, a.file_name.clone(), size_text(a.size_bytes)))
                .collect(),
            can_score,
            can_moderate,
            errors,
        },
    ))
}

/// `GET /competitions/{id}/evaluation/bids/{bid}`: one bid's answers, prices and
/// attachments, with this person's scoring or moderation forms.
pub async fn bid(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, bid_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    match opened_bid(&state, &user, &record, &bid_id).await? {
        Ok(bid) => bid_page(&state, &user, &record, &bid, Vec::new()).await,
        Err(redirect) => Ok(redirect),
    }
}

/// What a score or consensus form sends.
#[derive(Deserialize)]
pub struct ScoreForm {
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    reason: String,
}

async fn record_score(
    state: AppState,
    user: SignedIn,
    id: String,
    bid_id: String,
    form: ScoreForm,
    consensus: bool,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    let bid = match opened_bid(&state, &user, &record, &bid_id).await? {
        Ok(bid) => bid,
        Err(redirect) => return Ok(redirect),
    };
    let score_field = format!("score-{}", form.question_id);
    let Ok(score) = form.score.trim().parse::<u8>() else {
        let e = FieldError::new(&score_field, "Select a score from 0 to 5");
        return bid_page(&state, &user, &record, &bid, vec![e]).await;
    };
    let me = user.actor.email.clone();
    let command = if consensus {
        Command::RecordConsensus {
            moderator: me,
            bid_id: bid.bid_id.clone(),
            question_id: form.question_id.clone(),
            score,
            reason: form.reason,
        }
    } else {
        Command::RecordScore {
            evaluator: me,
            bid_id: bid.bid_id.clone(),
            question_id: form.question_id.clone(),
            score,
            reason: form.reason,
        }
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&format!(
            "/competitions/{}/evaluation/bids/{}",
            next.id, bid.bid_id
        ))
        .into_response()),
        Err(r) => {
            let field = if r.field == "reason" {
                format!("reason-{}", form.question_id)
            } else {
                score_field
            };
            bid_page(&state, &user, &record, &bid, vec![r.on(&field)]).await
        }
    }
}

/// `POST /competitions/{id}/evaluation/bids/{bid}/score`: an evaluator's score.
pub async fn score(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, bid_id)): Path<(String, String)>,
    Form(form): Form<ScoreForm>,
) -> Result<Response, AppError> {
    record_score(state, user, id, bid_id, form, false).await
}

/// `POST /competitions/{id}/evaluation/bids/{bid}/consensus`: the moderator's
/// consensus score.
pub async fn consensus(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, bid_id)): Path<(String, String)>,
    Form(form): Form<ScoreForm>,
) -> Result<Response, AppError> {
    record_score(state, user, id, bid_id, form, true).await
}

/// `GET /competitions/{id}/evaluation/bids/{bid}/attachments/{index}`.
pub async fn attachment(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, bid_id, index)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let record = load_team(&state, &user, &id).await?;
    if !record.competition.may_view_bids(&user.actor.email) {
        return Ok(
            Redirect::to(&format!("/competitions/{}/evaluation", record.id)).into_response(),
        );
    }
    let index: usize = index.parse().map_err(|_| user.not_found())?;
    let (meta, bytes) = match state
        .store
        .opened_attachment(record.id, &bid_id, index)
        .await
    {
        Ok(found) => found,
        Err(StoreError::NotFound(_)) => return Err(user.not_found()),
        Err(e) => return Err(e.into()),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition(
            Disposition::Attachment,
            &meta.file_name,
        ))
        .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}
