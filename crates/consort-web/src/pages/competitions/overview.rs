//! A competition's page: what each entitled person may see of it — the buyer
//! everything and the buttons to run it, a supplier the published competition,
//! its own questions and the published answers, its receipts and (after the
//! award notice) its assessment summary; the evaluation team and the openers
//! the published competition and the way to their part.

use super::{Refusal, day, load, name_of, org_names, run, status_tag, supplier_for, when};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::FieldError;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::competition::{
    AwardCriteria, ClarificationView, Command, Competition, DocumentRef, Event, HistoryDetail,
    HistoryViewer, LegalPeriod, Lot, Outcome, PriceLine, Status, pounds,
};
use consort_core::policy::{self, Action};
use consort_store::{CompetitionRecord, StoredCompetitionEvent};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A statutory period as shown: its end, why, and on what law.
pub struct PeriodView {
    /// The period's name, e.g. `tendering`.
    pub period: String,
    /// The last day of the period.
    pub last_day: String,
    /// When it ends.
    pub ends: String,
    /// Why, line by line.
    pub reasons: Vec<String>,
    /// The section or regulation, with the fact id.
    pub citation: String,
    /// Every fact relied on: source and confidence.
    pub citations: Vec<(String, String)>,
    /// The weakest confidence among them.
    pub confidence: String,
}

impl PeriodView {
    /// The view of a period the clock computed.
    pub fn of(p: &LegalPeriod) -> PeriodView {
        PeriodView {
            period: p.period.id().replace('-', " "),
            last_day: day(p.last_day),
            ends: when(p.ends_at),
            reasons: p.reasons.clone(),
            citation: p.citation(),
            citations: p
                .citations
                .iter()
                .map(|c| (c.source.clone(), c.confidence.clone()))
                .collect(),
            confidence: p.confidence.clone(),
        }
    }
}

/// A lot as listed.
pub struct LotView {
    id: String,
    title: String,
    value: String,
}

/// A quality question as listed.
pub struct QuestionView {
    id: String,
    text: String,
    weight: u32,
    word_limit: String,
}

/// A price schedule line as listed.
pub struct LineView {
    id: String,
    description: String,
    quantity: u32,
    unit: String,
    lot: String,
}

/// A document with its download link.
pub struct DocView {
    pub(crate) name: String,
    pub(crate) href: String,
    pub(crate) size: String,
    pub(crate) media_type: String,
}

/// A clarification as this person may see it.
pub struct ClarView {
    number: u32,
    answer_id: String,
    question: String,
    answer: Option<String>,
    answered: String,
    asked_by_you: bool,
    /// Who asked, for the buyer only.
    asker: Option<String>,
}

/// One line of the history.
pub struct HistoryView {
    at: String,
    what: String,
    who: String,
}

/// One criterion line of an assessment summary.
pub struct CriterionView {
    name: String,
    weight: u32,
    points: String,
    reason: String,
}

/// A supplier's assessment summary.
pub struct SummaryView {
    lot: String,
    successful: bool,
    rank: u32,
    of: u32,
    own: Vec<CriterionView>,
    own_total: String,
    winner: String,
    winner_lines: Vec<CriterionView>,
    winner_total: String,
    reason: String,
}

/// An evaluator's progress, for the buyer.
pub struct ProgressView {
    evaluator: String,
    state: String,
    scored: usize,
    to_score: usize,
}

/// A contract awarded.
pub struct ContractView {
    buyer: String,
    supplier: String,
    lot: String,
    value: String,
}

#[derive(Template)]
#[template(path = "competition.html")]
struct OverviewPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    reference: String,
    title: String,
    description: String,
    status_label: String,
    status_tag: &'static str,
    closed_reason: Option<String>,
    buyer_name: String,
    joint_buyers: Vec<String>,
    procedure: String,
    regime: String,
    eligibility: String,
    notes: Vec<(String, String)>,
    deadline: Option<String>,
    published: Option<String>,
    minimum: Option<PeriodView>,
    earliest: Option<String>,
    standstill: Option<PeriodView>,
    lots: Vec<LotView>,
    questions: Vec<QuestionView>,
    price_weight: Option<u32>,
    price_formula: Option<String>,
    lines: Vec<LineView>,
    documents: Vec<DocView>,
    clarifications: Vec<ClarView>,
    amendments: Vec<(u32, String, String)>,
    history: Vec<HistoryView>,
    is_draft: bool,
    is_open_for_bids: bool,
    is_final: bool,
    can_manage: bool,
    is_buyer: bool,
    supplier: Option<String>,
    is_team: bool,
    is_opener: bool,
    bids_received: Option<i64>,
    publish_problems: Vec<String>,
    team: Option<(Vec<String>, String)>,
    progress: Vec<ProgressView>,
    approvals: Vec<(String, String)>,
    opened_at: Option<String>,
    can_bid: bool,
    question_text: String,
    receipts: usize,
    summaries: Vec<SummaryView>,
    contracts: Vec<ContractView>,
}

impl OverviewPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        crate::pages::error_for(&self.errors, field)
    }
}

/// The overview's query string.
#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    notice: Option<String>,
}

/// `GET /competitions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let notice = match query.notice.as_deref() {
        Some("published") => Some("The competition is published".to_string()),
        Some("asked") => Some("Your question has been sent to the buyer".to_string()),
        Some("answered") => Some("The answer has been published to every supplier".to_string()),
        Some("amended") => Some("The amendment has been published".to_string()),
        Some("notice") => Some("The award notice has been issued".to_string()),
        Some("closed") => Some("The competition has been closed".to_string()),
        _ => None,
    };
    page(&state, &user, &record, Vec::new(), String::new(), notice).await
}

/// Builds the page for `user`, with form errors if a question or answer was refused.
pub(crate) async fn page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    errors: Vec<FieldError>,
    question_text: String,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let actor = &user.actor;
    let names = org_names(state).await?;
    let now = state.store.clock().now();
    let allowed = |action| policy::authorize(actor, action).is_ok();
    let can_manage = allowed(Action::ManageCompetition { competition: c });
    let is_buyer = c
        .buyers()
        .into_iter()
        .any(|b| actor.has_role_at(consort_core::org::Role::Buyer, b));
    let supplier = supplier_for(&user.actor, c);
    let is_team = allowed(Action::EvaluateCompetition { competition: c });
    let is_opener = allowed(Action::OpenCompetitionBids { competition: c });
    let events = if is_buyer || is_team || is_opener || supplier.is_some() {
        state.store.competition_events(record.id).await?
    } else {
        Vec::new()
    };
    let viewer = if is_buyer {
        HistoryViewer::Buyer
    } else if is_team || is_opener {
        HistoryViewer::Insider
    } else {
        HistoryViewer::Public
    };
    let history = history(&events, viewer);
    let clarifications = match (&supplier, is_buyer) {
        (_, true) => c
            .clarifications
            .iter()
            .map(|q| ClarView {
                number: q.number,
                answer_id: format!("answer-{}", q.number),
                question: q.question.clone(),
                answer: q.answer.as_ref().map(|a| a.text.clone()),
                answered: q.answer.as_ref().map(|a| when(a.at)).unwrap_or_default(),
                asked_by_you: false,
                asker: Some(format!("{} ({})", name_of(&names, &q.supplier), q.asked_by)),
            })
            .collect(),
        (Some(s), false) => clar_views(c.clarifications_for_supplier(s)),
        (None, false) => clar_views(c.published_answers()),
    };
    let (receipts, summaries, can_bid) = match &supplier {
        Some(s) => (
            state.store.receipts(record.id, s).await?.len(),
            summaries(c, s, &names),
            c.can_accept_bid(s, now).is_ok(),
        ),
        None => (0, Vec::new(), false),
    };
    let bids_received = if is_buyer && c.status != Status::Draft {
        Some(state.store.bids_received(record.id).await?)
    } else {
        None
    };
    let publish_problems = if can_manage && c.status == Status::Draft {
        c.publish_problems(now)
            .iter()
            .map(|e| Refusal::from_domain(e).message)
            .collect()
    } else {
        Vec::new()
    };
    let public = c.public_view();
    let (lots, documents, criteria, schedule) = match &public {
        Some(p) if !is_buyer && !is_team => (
            &p.lots[..],
            &p.documents[..],
            &p.criteria,
            &p.price_schedule[..],
        ),
        _ => (
            &c.content.lots[..],
            &c.content.documents[..],
            &c.rules.criteria,
            &c.content.price_schedule[..],
        ),
    };
    let status = form_status(&errors);
    let page = OverviewPage {
        chrome: user.chrome.clone(),
        errors,
        notice,
        id: record.id,
        reference: record.reference.clone(),
        title: c.content.title.clone(),
        description: c.content.description.clone(),
        status_label: c.status.label().to_string(),
        status_tag: status_tag(&c.status),
        closed_reason: c.closure.as_ref().map(|x| x.reason.clone()),
        buyer_name: name_of(&names, &c.content.buyer),
        joint_buyers: c
            .content
            .joint_buyers
            .iter()
            .map(|b| name_of(&names, b))
            .collect(),
        procedure: c.rules.procedure.label(c.rules.regime).to_string(),
        regime: c.rules.regime.name().to_string(),
        eligibility: eligibility_text(c, &names),
        notes: c
            .rules
            .notes()
            .into_iter()
            .map(|n| {
                (
                    n.text,
                    format!(
                        "{} (fact {})",
                        consort_core::calendar::short_citation(&n.source),
                        n.fact_id
                    ),
                )
            })
            .collect(),
        deadline: c.deadline().map(when),
        published: c.publication.as_ref().map(|p| when(p.at)),
        minimum: c
            .publication
            .as_ref()
            .and_then(|p| p.minimum_period.as_ref())
            .map(PeriodView::of),
        earliest: c
            .publication
            .as_ref()
            .and_then(|p| p.earliest_lawful_deadline)
            .map(when),
        standstill: c
            .notice
            .as_ref()
            .and_then(|n| n.standstill.as_ref())
            .map(PeriodView::of),
        lots: lot_views(lots),
        questions: question_views(criteria),
        price_weight: criteria.price.as_ref().map(|p| p.weight),
        price_formula: criteria.price.as_ref().map(|p| p.formula.text(p.weight)),
        lines: line_views(schedule),
        documents: doc_views(record.id, documents),
        clarifications,
        amendments: c
            .amendments
            .iter()
            .map(|a| (a.number, when(a.at), a.summary.clone()))
            .collect(),
        history,
        is_draft: c.status == Status::Draft,
        is_open_for_bids: c.is_open_for_bids(now),
        is_final: c.status.is_final(),
        can_manage,
        is_buyer,
        supplier: supplier.as_ref().map(|s| name_of(&names, s)),
        is_team,
        is_opener,
        bids_received,
        publish_problems,
        team: c.evaluation.team.as_ref().map(|t| {
            (
                t.evaluators.iter().map(|e| e.to_string()).collect(),
                t.moderator.to_string(),
            )
        }),
        progress: if is_buyer {
            c.evaluation_progress()
                .into_iter()
                .map(|p| ProgressView {
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
        },
        approvals: if is_buyer || is_opener {
            c.opening
                .approvals
                .iter()
                .map(|a| (a.opener.to_string(), when(a.at)))
                .collect()
        } else {
            Vec::new()
        },
        opened_at: c.opening.opened_at.map(when),
        can_bid,
        question_text,
        receipts,
        summaries,
        contracts: if is_buyer {
            c.contracts
                .iter()
                .map(|k| ContractView {
                    buyer: name_of(&names, &k.buyer),
                    supplier: name_of(&names, &k.supplier),
                    lot: k.lot.clone().unwrap_or_default(),
                    value: pounds(k.value_pence),
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    Ok(render(status, &page))
}

/// Who may bid, in words.
pub(crate) fn eligibility_text(c: &Competition, names: &BTreeMap<OrgId, String>) -> String {
    match &c.rules.eligibility {
        consort_core::competition::Eligibility::Open => "Any supplier".into(),
        consort_core::competition::Eligibility::Invited(list) if list.is_empty() => {
            "Invited suppliers only (none invited yet)".into()
        }
        consort_core::competition::Eligibility::Invited(list) => format!(
            "Invited suppliers only: {}",
            list.iter()
                .map(|s| name_of(names, s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) fn lot_views(lots: &[Lot]) -> Vec<LotView> {
    lots.iter()
        .map(|l| LotView {
            id: l.id.clone(),
            title: l.title.clone(),
            value: l.estimated_value_pence.map(pounds).unwrap_or_default(),
        })
        .collect()
}

pub(crate) fn question_views(criteria: &AwardCriteria) -> Vec<QuestionView> {
    criteria
        .questions
        .iter()
        .map(|q| QuestionView {
            id: q.id.clone(),
            text: q.text.clone(),
            weight: q.weight,
            word_limit: q
                .word_limit
                .map(|w| format!("{w} words"))
                .unwrap_or_else(|| "None".into()),
        })
        .collect()
}

pub(crate) fn line_views(lines: &[PriceLine]) -> Vec<LineView> {
    lines
        .iter()
        .map(|l| LineView {
            id: l.id.clone(),
            description: l.description.clone(),
            quantity: l.quantity,
            unit: l.unit.clone(),
            lot: l
                .lot
                .as_ref()
                .map(|l| format!("Lot {l}"))
                .unwrap_or_else(|| "Every lot".into()),
        })
        .collect()
}

/// A size in bytes as people read it.
pub(crate) fn size_text(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub(crate) fn doc_views(id: i64, documents: &[DocumentRef]) -> Vec<DocView> {
    documents
        .iter()
        .map(|d| DocView {
            name: d.file_name.clone(),
            href: format!("/competitions/{id}/documents/{}", d.sha256_hex),
            size: size_text(d.size_bytes),
            media_type: d.media_type.clone(),
        })
        .collect()
}

fn clar_views(list: Vec<ClarificationView>) -> Vec<ClarView> {
    list.into_iter()
        .map(|q| ClarView {
            number: q.number,
            answer_id: format!("answer-{}", q.number),
            question: q.question,
            answer: q.answer,
            answered: q.answered_at.map(when).unwrap_or_default(),
            asked_by_you: q.asked_by_you,
            asker: None,
        })
        .collect()
}

/// The words for an event in the history.
fn event_label(kind: &str) -> &'static str {
    match kind {
        "created" => "Created",
        "draft_revised" => "Draft changed",
        "rules_set" => "Procedure, eligibility or award criteria changed",
        "evaluators_assigned" => "Evaluation team assigned",
        "published" => "Published",
        "question_asked" => "Clarification question asked",
        "question_answered" => "Clarification answer published",
        "amended" => "Amended",
        "deadline_passed" => "Tender deadline passed",
        "opener_approved" => "An opener approved the opening",
        "opened" => "Bids opened",
        "interest_declared" => "Interests declared",
        "score_recorded" => "Score recorded",
        "moderation_started" => "Moderation started",
        "consensus_recorded" => "Consensus score recorded",
        "evaluated" => "Evaluation completed",
        "award_decided" => "Award decided",
        "award_notice_issued" => "Award notice issued",
        "standstill_ended" => "Standstill ended",
        "awarded" => "Awarded",
        "cancelled" => "Cancelled",
        "closed_unsuccessful" => "Closed without award",
        _ => "Changed",
    }
}

/// The history as this person may see it; the domain decides which events each
/// viewer sees and whether they see who caused them ([`Event::history_detail`]).
fn history(events: &[StoredCompetitionEvent], viewer: HistoryViewer) -> Vec<HistoryView> {
    events
        .iter()
        .filter_map(|e| {
            let detail = match Event::deserialize(&e.payload) {
                Ok(event) => event.history_detail(viewer),
                // An event this build cannot read is shown to the buyer only.
                Err(_) if viewer == HistoryViewer::Buyer => HistoryDetail::WithActor,
                Err(_) => HistoryDetail::Hidden,
            };
            let who = match detail {
                HistoryDetail::Hidden => return None,
                HistoryDetail::Anonymous => String::new(),
                HistoryDetail::WithActor => e
                    .actor
                    .strip_prefix("user:")
                    .unwrap_or(&e.actor)
                    .to_string(),
            };
            Some(HistoryView {
                at: when(e.at),
                what: event_label(&e.kind).to_string(),
                who,
            })
        })
        .collect()
}

fn criterion_views(lines: &[consort_core::competition::CriterionPoints]) -> Vec<CriterionView> {
    lines
        .iter()
        .map(|l| CriterionView {
            name: l.name.clone(),
            weight: l.weight,
            points: l.points.to_string(),
            reason: l.reason.clone(),
        })
        .collect()
}

fn summaries(
    c: &Competition,
    supplier: &OrgId,
    names: &BTreeMap<OrgId, String>,
) -> Vec<SummaryView> {
    c.assessment_summaries_for(supplier)
        .into_iter()
        .map(|s| SummaryView {
            lot: s.lot.clone().unwrap_or_default(),
            successful: s.outcome == Outcome::Successful,
            rank: s.rank,
            of: s.of,
            own: criterion_views(&s.own),
            own_total: s.own_total.to_string(),
            winner: name_of(names, &s.winner_supplier),
            winner_lines: criterion_views(&s.winner),
            winner_total: s.winner_total.to_string(),
            reason: s.reason.clone(),
        })
        .collect()
}

/// What the question form sends.
#[derive(Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    question: String,
}

/// `POST /competitions/{id}/questions`: a supplier asks a clarification question.
pub async fn ask(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, AppError> {
    let record = load(&state, &user, &id).await?;
    let Some(supplier) = supplier_for(&user.actor, &record.competition) else {
        return Err(
            user.forbidden("only people of a supplier that may bid can ask questions or bid")
        );
    };
    let command = Command::AskQuestion {
        supplier,
        asked_by: user.actor.email.clone(),
        question: form.question.clone(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}?notice=asked", next.id)).into_response())
        }
        Err(refusal) => {
            let error = refusal.on("question");
            page(&state, &user, &record, vec![error], form.question, None).await
        }
    }
}

/// What the answer form sends.
#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// `POST /competitions/{id}/questions/{number}/answer`: the buyer answers; the
/// answer is published to every supplier without naming who asked.
pub async fn answer(
    State(state): State<AppState>,
    user: SignedIn,
    Path((id, number)): Path<(String, String)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let record = super::load_managed(&state, &user, &id).await?;
    let number: u32 = number.parse().map_err(|_| user.not_found())?;
    let command = Command::AnswerQuestion {
        by: user.actor.email.clone(),
        number,
        answer: form.answer,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}?notice=answered", next.id)).into_response())
        }
        Err(refusal) => {
            let error = refusal.on(&format!("answer-{number}"));
            page(&state, &user, &record, vec![error], String::new(), None).await
        }
    }
}
