//! The award: the ranking of each lot's bids with the stated tie-break rule,
//! the buyer's decision with a reason for every bidder, and the award notice
//! that starts the standstill.

use super::overview::PeriodView;
use super::{field, load_managed, name_of, org_names, run, when};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::competition::{Command, LotDecision, Outcome, Status, pounds};
use consort_core::register::import::parse_pence;
use consort_store::CompetitionRecord;
use std::collections::BTreeMap;

/// A ranked bid as shown.
struct RankedRow {
    rank: u32,
    bid_id: String,
    supplier: String,
    quality: String,
    price: String,
    total: String,
    total_price: String,
    received: String,
    tie: String,
    reason_field: String,
    reason: String,
    winner: bool,
}

/// One lot's ranking, with the decision form's fields.
struct LotRanking {
    index: usize,
    lot: String,
    tie_break: String,
    rows: Vec<RankedRow>,
    departure: String,
    values: Vec<(String, String, String)>,
}

/// One decided outcome, for the summary after the decision.
struct Decided {
    lot: String,
    supplier: String,
    outcome: String,
    rank: u32,
    total: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "competition_award.html")]
struct AwardPage {
    chrome: Chrome,
    id: i64,
    title: String,
    status: String,
    stage: &'static str,
    price_only: bool,
    rankings: Vec<LotRanking>,
    decided: Vec<Decided>,
    standstill: Option<PeriodView>,
    notice_at: Option<String>,
    errors: Vec<FieldError>,
}

impl AwardPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// What the decision form held, to show it again after a refusal.
#[derive(Default)]
struct Typed {
    winners: BTreeMap<usize, String>,
    departures: BTreeMap<usize, String>,
    reasons: BTreeMap<String, String>,
    values: BTreeMap<(usize, String), String>,
}

async fn page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    typed: Typed,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let names = org_names(state).await?;
    let stage = match c.status {
        Status::Draft | Status::Published | Status::DeadlinePassed => "not_yet",
        Status::Opened => "evaluating",
        Status::Evaluated => "decide",
        Status::AwardDecided if c.notice.is_none() => "notice",
        Status::Cancelled { .. } | Status::Unsuccessful { .. } => "closed",
        _ => "issued",
    };
    let buyers = c.buyers();
    let joint = !c.content.joint_buyers.is_empty();
    let rankings = c
        .rankings
        .iter()
        .filter(|r| !r.bids.is_empty())
        .enumerate()
        .map(|(i, r)| {
            let chosen = typed
                .winners
                .get(&i)
                .cloned()
                .or_else(|| r.winner().map(|w| w.bid_id.clone()))
                .unwrap_or_default();
            LotRanking {
                index: i,
                lot: r.lot.clone().unwrap_or_default(),
                tie_break: r.tie_break.clone(),
                rows: r
                    .bids
                    .iter()
                    .map(|b| RankedRow {
                        rank: b.rank,
                        bid_id: b.bid_id.clone(),
                        supplier: name_of(&names, &b.supplier),
                        quality: b.quality.to_string(),
                        price: b.price.to_string(),
                        total: b.total.to_string(),
                        total_price: pounds(b.total_price_pence),
                        received: when(b.received_at),
                        tie: b.tie_broken_by.clone().unwrap_or_default(),
                        reason_field: format!("reason-{}", b.bid_id),
                        reason: typed.reasons.get(&b.bid_id).cloned().unwrap_or_default(),
                        winner: b.bid_id == chosen,
                    })
                    .collect(),
                departure: typed.departures.get(&i).cloned().unwrap_or_default(),
                values: if joint {
                    buyers
                        .iter()
                        .map(|b| {
                            (
                                format!("value-{i}-{b}"),
                                name_of(&names, b),
                                typed
                                    .values
                                    .get(&(i, b.to_string()))
                                    .cloned()
                                    .unwrap_or_default(),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let decided = c
        .award
        .iter()
        .flat_map(|a| a.summaries.iter())
        .map(|s| Decided {
            lot: s.lot.clone().unwrap_or_default(),
            supplier: name_of(&names, &s.supplier),
            outcome: match s.outcome {
                Outcome::Successful => "Successful".into(),
                Outcome::Unsuccessful => "Unsuccessful".into(),
            },
            rank: s.rank,
            total: s.own_total.to_string(),
            reason: s.reason.clone(),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &AwardPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            status: c.status.label().to_string(),
            stage,
            price_only: c.rules.criteria.questions.is_empty(),
            rankings,
            decided,
            standstill: c
                .notice
                .as_ref()
                .and_then(|n| n.standstill.as_ref())
                .map(PeriodView::of),
            notice_at: c.notice.as_ref().map(|n| when(n.at)),
            errors,
        },
    ))
}

/// The award page for a refusal from elsewhere (completing a price-only evaluation).
pub(crate) async fn award_page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    page(state, user, record, Typed::default(), errors).await
}

/// `GET /competitions/{id}/award`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    page(&state, &user, &record, Typed::default(), Vec::new()).await
}

/// `POST /competitions/{id}/award`: the buyer's decision for every lot.
pub async fn decide(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let c = &record.competition;
    let rankings: Vec<_> = c.rankings.iter().filter(|r| !r.bids.is_empty()).collect();
    let joint = !c.content.joint_buyers.is_empty();
    let mut typed = Typed::default();
    let mut errors = Vec::new();
    let mut decisions = Vec::new();
    for (i, r) in rankings.iter().enumerate() {
        let winner = field(&fields, &format!("winner-{i}")).to_string();
        let departure = field(&fields, &format!("departure-{i}")).to_string();
        typed.winners.insert(i, winner.clone());
        typed.departures.insert(i, departure.clone());
        for b in &r.bids {
            typed.reasons.insert(
                b.bid_id.clone(),
                field(&fields, &format!("reason-{}", b.bid_id)).to_string(),
            );
        }
        let mut buyer_values = BTreeMap::new();
        if joint {
            for buyer in c.buyers() {
                let name = format!("value-{i}-{buyer}");
                let text = field(&fields, &name).to_string();
                typed.values.insert((i, buyer.to_string()), text.clone());
                match parse_pence(&text) {
                    Ok(Some(p)) => {
                        buyer_values.insert(OrgId::clone(buyer), p.0);
                    }
                    _ => errors.push(FieldError::new(
                        &name,
                        format!("Enter {buyer}'s share of the contract value as an amount of money, like £400,000"),
                    )),
                }
            }
        }
        if winner.is_empty() {
            errors.push(FieldError::new(
                &format!("winner-{i}"),
                "Select the winning bid",
            ));
        }
        decisions.push(LotDecision {
            lot: r.lot.clone(),
            winner,
            departure_reason: Some(departure.trim().to_string()).filter(|d| !d.is_empty()),
            buyer_values,
        });
    }
    if !errors.is_empty() {
        return page(&state, &user, &record, typed, errors).await;
    }
    let first_departure = decisions
        .iter()
        .enumerate()
        .find(|(i, d)| {
            rankings
                .get(*i)
                .and_then(|r| r.bid(&d.winner))
                .is_some_and(|b| b.rank != 1)
        })
        .map(|(i, _)| i)
        .unwrap_or(0);
    let command = Command::DecideAward {
        by: user.actor.email.clone(),
        decisions,
        reasons: typed
            .reasons
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&format!("/competitions/{}/award", next.id)).into_response()),
        Err(r) => {
            let field = if let Some(bid) = r.field.strip_prefix("reasons.") {
                format!("reason-{bid}")
            } else if r.field == "departure_reason" {
                format!("departure-{first_departure}")
            } else if r.field == "buyer_values" {
                let buyer = c.content.buyer.to_string();
                format!("value-0-{buyer}")
            } else {
                "winner-0".to_string()
            };
            page(&state, &user, &record, typed, vec![r.on(&field)]).await
        }
    }
}

/// `POST /competitions/{id}/award/notice`: issues the award notice and the
/// letters to every bidder; the standstill starts.
pub async fn issue_notice(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let command = Command::IssueAwardNotice {
        by: user.actor.email.clone(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}?notice=notice", next.id)).into_response())
        }
        Err(r) => {
            page(
                &state,
                &user,
                &record,
                Typed::default(),
                vec![r.on("notice")],
            )
            .await
        }
    }
}
