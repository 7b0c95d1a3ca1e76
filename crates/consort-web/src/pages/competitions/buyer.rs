//! The buyer's pages: the list of competitions, creating one, editing the draft
//! (details, lots, award criteria, price schedule, evaluation team), publishing,
//! amending, and cancelling or closing without award.

use super::overview::PeriodView;
use super::{
    DateTimeFields, Refusal, all_values, field, load_managed, name_of, org_names, path, rows, run,
    status_tag, store_refusal, when,
};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::pages::{FieldError, error_for};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::calendar::Regime;
use consort_core::competition::{
    AwardCriteria, Command, Competition, CompetitionRules, DraftContent, Eligibility, Lot,
    PriceCriterion, PriceFormula, PriceLine, Procedure, QualityQuestion, ScoringScale, Status,
};
use consort_core::org::{OrgKind, Role};
use consort_core::policy::{self, Action};
use consort_core::register::import::parse_pence;
use consort_core::{Email, OrgId};
use consort_store::{CompetitionRecord, ConsortiumDetail};
use std::collections::BTreeMap;

/// One row of the buyer's list.
struct ListRow {
    id: i64,
    reference: String,
    title: String,
    buyer: String,
    status: String,
    tag: &'static str,
    deadline: String,
    bids: i64,
}

#[derive(Template)]
#[template(path = "competitions.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    can_create: bool,
}

/// The organisations `user` buys for.
fn buyer_orgs(user: &SignedIn) -> Vec<OrgId> {
    user.actor
        .memberships
        .iter()
        .filter(|m| m.role == Role::Buyer)
        .map(|m| m.org.clone())
        .collect()
}

/// `GET /competitions`: the competitions the person's organisations lead or join.
pub async fn list(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    user.authorize(Action::UseBuyerWorkspace)?;
    let orgs = buyer_orgs(&user);
    let names = org_names(&state).await?;
    let rows = state
        .store
        .competitions_of_buyers(&orgs)
        .await?
        .into_iter()
        .map(|c| ListRow {
            id: c.id,
            reference: c.reference,
            title: c.title,
            buyer: name_of(&names, &c.buyer),
            status: c.status.label().to_string(),
            tag: status_tag(&c.status),
            deadline: c.deadline.map(when).unwrap_or_else(|| "Not set".into()),
            bids: c.bids_received,
        })
        .collect();
    let can_create = orgs.iter().any(|o| {
        user.authorize(Action::CreateCompetition { buyer: o })
            .is_ok()
    });
    Ok(render(
        StatusCode::OK,
        &ListPage {
            chrome: user.chrome.clone(),
            rows,
            can_create,
        },
    ))
}

/// An option of a select, radio group or checkbox list.
pub struct Choice {
    value: String,
    label: String,
    hint: String,
}

/// What the details form holds, as typed.
#[derive(Debug, Clone, Default)]
struct DetailsForm {
    title: String,
    description: String,
    buyer: String,
    procedure: String,
    regime: String,
    consortium: String,
    joint_buyers: Vec<String>,
    deadline: DateTimeFields,
    eligibility: String,
    invited: Vec<String>,
}

impl DetailsForm {
    fn from_pairs(fields: &[(String, String)]) -> DetailsForm {
        DetailsForm {
            title: field(fields, "title").to_string(),
            description: field(fields, "description").to_string(),
            buyer: field(fields, "buyer").to_string(),
            procedure: field(fields, "procedure").to_string(),
            regime: field(fields, "regime").to_string(),
            consortium: field(fields, "consortium").to_string(),
            joint_buyers: all_values(fields, "joint_buyers"),
            deadline: DateTimeFields {
                day: field(fields, "deadline-day").to_string(),
                month: field(fields, "deadline-month").to_string(),
                year: field(fields, "deadline-year").to_string(),
                hour: field(fields, "deadline-hour").to_string(),
                minute: field(fields, "deadline-minute").to_string(),
            },
            eligibility: field(fields, "eligibility").to_string(),
            invited: all_values(fields, "invited"),
        }
    }

    fn of(c: &Competition) -> DetailsForm {
        let (eligibility, invited) = match &c.rules.eligibility {
            Eligibility::Open => ("open", Vec::new()),
            Eligibility::Invited(list) => ("invited", list.iter().map(|s| s.to_string()).collect()),
        };
        DetailsForm {
            title: c.content.title.clone(),
            description: c.content.description.clone(),
            buyer: c.content.buyer.to_string(),
            procedure: c.rules.procedure.id().to_string(),
            regime: c.rules.regime.id().to_string(),
            consortium: c
                .content
                .consortium_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            joint_buyers: c
                .content
                .joint_buyers
                .iter()
                .map(|b| b.to_string())
                .collect(),
            deadline: DateTimeFields::of(c.content.tender_deadline),
            eligibility: eligibility.to_string(),
            invited,
        }
    }
}

#[derive(Template)]
#[template(path = "competition_new.html")]
struct DetailsPage {
    chrome: Chrome,
    /// `Some(id)` when editing a draft, `None` when creating.
    id: Option<i64>,
    form: DetailsForm,
    errors: Vec<FieldError>,
    buyers: Vec<Choice>,
    procedures: Vec<Choice>,
    regimes: Vec<Choice>,
    consortia: Vec<Choice>,
    joint_candidates: Vec<Choice>,
    suppliers: Vec<Choice>,
}

impl DetailsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/competitions/{id}/details"),
            None => "/competitions/new".into(),
        }
    }

    fn joint_checked(&self, value: &str) -> bool {
        self.form.joint_buyers.iter().any(|b| b == value)
    }

    fn invited_checked(&self, value: &str) -> bool {
        self.form.invited.iter().any(|b| b == value)
    }
}

/// The consortia that contain any of `buyers`.
async fn buyer_consortia(
    state: &AppState,
    buyers: &[OrgId],
) -> Result<Vec<ConsortiumDetail>, AppError> {
    Ok(state
        .store
        .consortia()
        .await?
        .into_iter()
        .filter(|c| c.members.iter().any(|m| buyers.contains(m)))
        .collect())
}

async fn details_page(
    state: &AppState,
    user: &SignedIn,
    id: Option<i64>,
    form: DetailsForm,
    errors: Vec<FieldError>,
    buyers: Vec<OrgId>,
) -> Result<Response, AppError> {
    let names = org_names(state).await?;
    let consortia = buyer_consortia(state, &buyers).await?;
    let mut joint_candidates: Vec<Choice> = Vec::new();
    for c in &consortia {
        for m in &c.members {
            if !buyers.contains(m) && !joint_candidates.iter().any(|j| j.value == m.as_str()) {
                joint_candidates.push(Choice {
                    value: m.to_string(),
                    label: name_of(&names, m),
                    hint: format!("Member of {}", c.consortium.name),
                });
            }
        }
    }
    let suppliers = state
        .store
        .orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Supplier)
        .map(|o| Choice {
            value: o.id.to_string(),
            label: o.name,
            hint: o.id.to_string(),
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &DetailsPage {
            chrome: user.chrome.clone(),
            id,
            form,
            errors,
            buyers: buyers
                .iter()
                .map(|b| Choice {
                    value: b.to_string(),
                    label: name_of(&names, b),
                    hint: String::new(),
                })
                .collect(),
            procedures: Procedure::ALL
                .iter()
                .map(|p| Choice {
                    value: p.id().to_string(),
                    label: p.label(Regime::Pa2023).to_string(),
                    hint: match p {
                        Procedure::OpenProcedure => "Any supplier may bid.",
                        Procedure::CompetitiveFlexible => {
                            "The tender stage, for the suppliers who passed participation."
                        }
                        Procedure::FrameworkFurtherCompetition => {
                            "A call-off among a framework's suppliers: no statutory minimum period."
                        }
                        Procedure::DynamicMarketAward => {
                            "An award among a dynamic market's (or DPS's) members."
                        }
                    }
                    .to_string(),
                })
                .collect(),
            regimes: [Regime::Pa2023, Regime::Pcr2015]
                .iter()
                .map(|r| Choice {
                    value: r.id().to_string(),
                    label: match r {
                        Regime::Pa2023 => "Procurement Act 2023",
                        Regime::Pcr2015 => "Public Contracts Regulations 2015",
                    }
                    .to_string(),
                    hint: match r {
                        Regime::Pa2023 => "For procurements begun from 24 February 2025.",
                        Regime::Pcr2015 => "Only for procurements begun before 24 February 2025.",
                    }
                    .to_string(),
                })
                .collect(),
            consortia: consortia
                .iter()
                .map(|c| Choice {
                    value: c.consortium.id.to_string(),
                    label: c.consortium.name.clone(),
                    hint: String::new(),
                })
                .collect(),
            joint_candidates,
            suppliers,
        },
    ))
}

/// The rules and content the form describes, or what is wrong with it.
struct Parsed {
    buyer: OrgId,
    rules: CompetitionRules,
    content: DraftContent,
}

/// Where a domain error about the details belongs on the form.
fn details_field(field: &str) -> &'static str {
    match field {
        "title" => "title",
        "description" => "description",
        "joint_buyers" => "joint_buyers",
        "consortium_id" => "consortium",
        "eligibility" => "eligibility",
        "minimum_tendering" => "procedure",
        "tender_deadline" => "deadline-day",
        "buyer" => "buyer",
        _ => "title",
    }
}

async fn parse_details(
    state: &AppState,
    form: &DetailsForm,
    buyers: &[OrgId],
    existing: Option<&Competition>,
) -> Result<Result<Parsed, Vec<FieldError>>, AppError> {
    let mut errors = Vec::new();
    if form.title.trim().is_empty() {
        errors.push(FieldError::new("title", "Enter a title"));
    }
    let buyer = match existing {
        Some(c) => Some(c.content.buyer.clone()),
        None => {
            let chosen = if buyers.len() == 1 {
                Some(buyers[0].clone())
            } else {
                OrgId::parse(&form.buyer)
                    .ok()
                    .filter(|b| buyers.contains(b))
            };
            if chosen.is_none() {
                errors.push(FieldError::new(
                    "buyer",
                    "Select the organisation that will run the competition",
                ));
            }
            chosen
        }
    };
    let procedure = Procedure::ALL
        .into_iter()
        .find(|p| p.id() == form.procedure);
    if procedure.is_none() {
        errors.push(FieldError::new("procedure", "Select the procedure"));
    }
    let regime = if form.regime.is_empty() {
        Some(Regime::Pa2023)
    } else {
        form.regime.parse::<Regime>().ok()
    };
    if regime.is_none() {
        errors.push(FieldError::new(
            "regime",
            "Select the Procurement Act 2023 or the Public Contracts Regulations 2015",
        ));
    }
    let names = org_names(state).await?;
    let lead_buyers: Vec<OrgId> = buyer.iter().cloned().collect();
    let consortia = buyer_consortia(state, &lead_buyers).await?;
    let consortium = if form.consortium.trim().is_empty() {
        None
    } else {
        let found = form
            .consortium
            .parse::<i64>()
            .ok()
            .and_then(|id| consortia.iter().find(|c| c.consortium.id == id));
        if found.is_none() {
            errors.push(FieldError::new(
                "consortium",
                "Select a consortium the lead buyer belongs to",
            ));
        }
        found
    };
    let mut joint_buyers = Vec::new();
    for value in &form.joint_buyers {
        let Ok(org) = OrgId::parse(value) else {
            errors.push(FieldError::new(
                "joint_buyers",
                format!("'{value}' is not an organisation"),
            ));
            continue;
        };
        if buyer.as_ref() == Some(&org) {
            continue;
        }
        match consortium {
            None => {
                errors.push(FieldError::new(
                    "consortium",
                    "Select the consortium the joint buyers belong to",
                ));
                break;
            }
            Some(c) if !c.members.contains(&org) => errors.push(FieldError::new(
                "joint_buyers",
                format!(
                    "{} is not a member of {}",
                    name_of(&names, &org),
                    c.consortium.name
                ),
            )),
            Some(_) => joint_buyers.push(org),
        }
    }
    let deadline = if form.deadline.is_blank() {
        None
    } else {
        match form.deadline.parse("The tender deadline") {
            Ok(at) => Some(at),
            Err(message) => {
                errors.push(FieldError::new("deadline-day", message));
                None
            }
        }
    };
    let mut invited = Vec::new();
    for value in &form.invited {
        match OrgId::parse(value) {
            Ok(s) if names.contains_key(&s) => invited.push(s),
            _ => errors.push(FieldError::new(
                "invited",
                format!("'{value}' is not a supplier"),
            )),
        }
    }
    let eligibility = match form.eligibility.as_str() {
        "open" => Some(Eligibility::Open),
        "invited" => Some(Eligibility::Invited(invited)),
        _ => {
            errors.push(FieldError::new(
                "eligibility",
                "Select who may bid: any supplier, or invited suppliers only",
            ));
            None
        }
    };
    let (Some(buyer), Some(procedure), Some(regime), Some(eligibility)) =
        (buyer, procedure, regime, eligibility)
    else {
        return Ok(Err(errors));
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut rules = match procedure {
        Procedure::OpenProcedure => CompetitionRules::open_procedure(regime),
        Procedure::CompetitiveFlexible => {
            CompetitionRules::competitive_flexible(regime, Vec::new())
        }
        Procedure::FrameworkFurtherCompetition => {
            CompetitionRules::framework_further_competition(regime, Vec::new())
        }
        Procedure::DynamicMarketAward => CompetitionRules::dynamic_market_award(regime, Vec::new()),
    };
    rules.eligibility = eligibility;
    if let Some(c) = existing {
        rules.criteria = c.rules.criteria.clone();
    }
    if let Err(e) = rules.check() {
        let r = Refusal::from_domain(&e);
        return Ok(Err(vec![r.on(details_field(&r.field))]));
    }
    let mut content = match existing {
        Some(c) => c.content.clone(),
        None => DraftContent::new(form.title.trim(), buyer.clone()),
    };
    content.title = form.title.trim().to_string();
    content.description = form.description.trim().to_string();
    content.joint_buyers = joint_buyers;
    content.consortium_id = consortium.map(|c| c.consortium.id);
    content.tender_deadline = deadline;
    if let Err(e) = content.check_structure() {
        let r = Refusal::from_domain(&e);
        return Ok(Err(vec![r.on(details_field(&r.field))]));
    }
    Ok(Ok(Parsed {
        buyer,
        rules,
        content,
    }))
}

/// The organisations for which `user` may start competitions.
fn creatable(user: &SignedIn) -> Vec<OrgId> {
    buyer_orgs(user)
        .into_iter()
        .filter(|o| {
            user.authorize(Action::CreateCompetition { buyer: o })
                .is_ok()
        })
        .collect()
}

/// `GET /competitions/new`.
pub async fn new_form(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    let buyers = creatable(&user);
    if buyers.is_empty() {
        return Err(user.forbidden("only an organisation's buyers can start a competition for it"));
    }
    let form = DetailsForm {
        procedure: Procedure::OpenProcedure.id().to_string(),
        regime: Regime::Pa2023.id().to_string(),
        eligibility: "open".into(),
        buyer: buyers[0].to_string(),
        ..Default::default()
    };
    details_page(&state, &user, None, form, Vec::new(), buyers).await
}

/// `POST /competitions/new`: creates the draft.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let buyers = creatable(&user);
    if buyers.is_empty() {
        return Err(user.forbidden("only an organisation's buyers can start a competition for it"));
    }
    let form = DetailsForm::from_pairs(&fields);
    let parsed = match parse_details(&state, &form, &buyers, None).await? {
        Ok(p) => p,
        Err(errors) => return details_page(&state, &user, None, form, errors, buyers).await,
    };
    user.authorize(Action::CreateCompetition {
        buyer: &parsed.buyer,
    })?;
    match state
        .store
        .create_competition(
            &user.actor,
            &parsed.buyer,
            parsed.content.consortium_id,
            parsed.rules,
            parsed.content,
        )
        .await
    {
        Ok(record) => Ok(Redirect::to(&path(&record)).into_response()),
        Err(e) => {
            let r = store_refusal(&user, e)?;
            let errors = vec![r.on(details_field(&r.field))];
            details_page(&state, &user, None, form, errors, buyers).await
        }
    }
}

/// A draft the buyer may edit; after publication the edit pages send them back
/// to the competition.
async fn load_draft(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<Result<CompetitionRecord, Response>, AppError> {
    let record = load_managed(state, user, id).await?;
    if record.competition.status != Status::Draft {
        return Ok(Err(Redirect::to(&path(&record)).into_response()));
    }
    Ok(Ok(record))
}

/// `GET /competitions/{id}/details`.
pub async fn details_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let buyers = vec![record.competition.content.buyer.clone()];
    let form = DetailsForm::of(&record.competition);
    details_page(&state, &user, Some(record.id), form, Vec::new(), buyers).await
}

/// `POST /competitions/{id}/details`: changes the draft's details and rules.
pub async fn save_details(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let buyers = vec![record.competition.content.buyer.clone()];
    let form = DetailsForm::from_pairs(&fields);
    let parsed = match parse_details(&state, &form, &buyers, Some(&record.competition)).await? {
        Ok(p) => p,
        Err(errors) => {
            return details_page(&state, &user, Some(record.id), form, errors, buyers).await;
        }
    };
    let mut current = record;
    let by = user.actor.email.clone();
    let mut commands = Vec::new();
    if parsed.rules != current.competition.rules {
        commands.push(Command::SetRules {
            by: by.clone(),
            rules: parsed.rules,
        });
    }
    if parsed.content != current.competition.content {
        commands.push(Command::ReviseDraft {
            by,
            content: parsed.content,
        });
    }
    for command in commands {
        match run(&state, &user, &current, command).await? {
            Ok(next) => current = next,
            Err(r) => {
                let errors = vec![r.on(details_field(&r.field))];
                return details_page(&state, &user, Some(current.id), form, errors, buyers).await;
            }
        }
    }
    Ok(Redirect::to(&path(&current)).into_response())
}

/// `name[N].rest` → (`name`, N, `rest`).
fn indexed(field: &str) -> Option<(&str, usize, &str)> {
    let (name, rest) = field.split_once('[')?;
    let (index, rest) = rest.split_once(']')?;
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    Some((name, index.parse().ok()?, rest))
}

/// What a rows form asks for: save, add a blank row, or remove row N.
enum RowsAction {
    Save,
    Add,
    Remove(usize),
}

fn rows_action(fields: &[(String, String)]) -> RowsAction {
    let action = field(fields, "action");
    if action == "add" {
        RowsAction::Add
    } else if let Some(n) = action.strip_prefix("remove-").and_then(|n| n.parse().ok()) {
        RowsAction::Remove(n)
    } else {
        RowsAction::Save
    }
}

/// The next free id of the form `{prefix}{n}` among `used`.
fn next_id(prefix: &str, used: &[String]) -> String {
    (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|id| !used.contains(id))
        .expect("an unused id")
}

/// A row as typed, by input name.
type RowFields = BTreeMap<String, String>;

fn row_value<'a>(row: &'a RowFields, name: &str) -> &'a str {
    row.get(name).map(String::as_str).unwrap_or("")
}

fn blank(row: &RowFields, names: &[&str]) -> bool {
    names.iter().all(|n| row_value(row, n).trim().is_empty())
}

// ---------------------------------------------------------------- lots

#[derive(Template)]
#[template(path = "competition_lots.html")]
struct LotsPage {
    chrome: Chrome,
    id: i64,
    title: String,
    rows: Vec<RowFields>,
    errors: Vec<FieldError>,
}

impl LotsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn value<'a>(&self, row: &'a RowFields, name: &str) -> &'a str {
        row_value(row, name)
    }
}

fn lots_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    rows: Vec<RowFields>,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &LotsPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            rows,
            errors,
        },
    )
}

fn lot_rows(lots: &[Lot]) -> Vec<RowFields> {
    lots.iter()
        .map(|l| {
            RowFields::from([
                ("id".to_string(), l.id.clone()),
                ("title".to_string(), l.title.clone()),
                (
                    "value".to_string(),
                    l.estimated_value_pence
                        .map(consort_core::competition::pounds)
                        .unwrap_or_default(),
                ),
            ])
        })
        .collect()
}

/// `GET /competitions/{id}/lots`.
pub async fn lots_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let mut rows = lot_rows(&record.competition.content.lots);
    rows.push(RowFields::new());
    Ok(lots_page(&user, &record, rows, Vec::new()))
}

/// `POST /competitions/{id}/lots`: saves the lots (or adds or removes a row).
pub async fn save_lots(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let mut typed = rows(&fields, "lot");
    match rows_action(&fields) {
        RowsAction::Add => {
            typed.push(RowFields::new());
            return Ok(lots_page(&user, &record, typed, Vec::new()));
        }
        RowsAction::Remove(n) if n < typed.len() => {
            typed.remove(n);
            return Ok(lots_page(&user, &record, typed, Vec::new()));
        }
        _ => {}
    }
    let used: Vec<String> = typed
        .iter()
        .map(|r| row_value(r, "id").to_string())
        .filter(|id| !id.is_empty())
        .collect();
    let mut fresh = used.clone();
    let mut lots = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in typed.iter().enumerate() {
        if blank(row, &["title", "value"]) && row_value(row, "id").is_empty() {
            continue;
        }
        let id = match row_value(row, "id") {
            "" => {
                let id = next_id("", &fresh);
                fresh.push(id.clone());
                id
            }
            id => id.to_string(),
        };
        let value = match parse_pence(row_value(row, "value")) {
            Ok(v) => v.map(|p| p.0),
            Err(_) => {
                errors.push(FieldError::new(
                    &format!("lot-{i}-value"),
                    format!(
                        "Estimated value of lot {id} must be an amount of money, like £250,000"
                    ),
                ));
                None
            }
        };
        lots.push(Lot {
            id,
            title: row_value(row, "title").trim().to_string(),
            estimated_value_pence: value,
        });
    }
    if !errors.is_empty() {
        return Ok(lots_page(&user, &record, typed, errors));
    }
    let mut content = record.competition.content.clone();
    content.lots = lots;
    let command = Command::ReviseDraft {
        by: user.actor.email.clone(),
        content,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&path(&next)).into_response()),
        Err(r) => {
            let field = match indexed(&r.field) {
                Some(("lots", n, what)) => format!(
                    "lot-{}-{}",
                    n.saturating_sub(1),
                    if what.starts_with("estimated") {
                        "value"
                    } else {
                        "title"
                    }
                ),
                _ => "lot-0-title".to_string(),
            };
            Ok(lots_page(&user, &record, typed, vec![r.on(&field)]))
        }
    }
}

// ---------------------------------------------------------------- criteria

#[derive(Template)]
#[template(path = "competition_criteria.html")]
struct CriteriaPage {
    chrome: Chrome,
    id: i64,
    title: String,
    rows: Vec<RowFields>,
    price: RowFields,
    errors: Vec<FieldError>,
    scores: Vec<u8>,
}

impl CriteriaPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn value<'a>(&self, row: &'a RowFields, name: &str) -> &'a str {
        row_value(row, name)
    }

    fn guidance_name(&self, score: &u8) -> String {
        format!("g{score}")
    }
}

fn criteria_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    rows: Vec<RowFields>,
    price: RowFields,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &CriteriaPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            rows,
            price,
            errors,
            scores: (0..=5).collect(),
        },
    )
}

fn blank_question() -> RowFields {
    let mut row = RowFields::new();
    for (i, g) in ScoringScale::zero_to_five()
        .guidance
        .into_iter()
        .enumerate()
    {
        row.insert(format!("g{i}"), g);
    }
    row
}

fn question_rows(criteria: &AwardCriteria) -> Vec<RowFields> {
    criteria
        .questions
        .iter()
        .map(|q| {
            let mut row = RowFields::from([
                ("id".to_string(), q.id.clone()),
                ("text".to_string(), q.text.clone()),
                ("weight".to_string(), q.weight.to_string()),
                (
                    "limit".to_string(),
                    q.word_limit.map(|w| w.to_string()).unwrap_or_default(),
                ),
            ]);
            for (i, g) in q.scale.guidance.iter().enumerate() {
                row.insert(format!("g{i}"), g.clone());
            }
            row
        })
        .collect()
}

fn price_row(criteria: &AwardCriteria) -> RowFields {
    match &criteria.price {
        None => RowFields::from([("scored".to_string(), "no".to_string())]),
        Some(p) => {
            let (formula, zero_at) = match p.formula {
                PriceFormula::LowestPriceRatio => ("lowest_price_ratio", String::new()),
                PriceFormula::RelativeToLowest {
                    zero_at_percent_above,
                } => ("relative_to_lowest", zero_at_percent_above.to_string()),
            };
            RowFields::from([
                ("scored".to_string(), "yes".to_string()),
                ("weight".to_string(), p.weight.to_string()),
                ("formula".to_string(), formula.to_string()),
                ("zero_at".to_string(), zero_at),
            ])
        }
    }
}

/// `GET /competitions/{id}/criteria`.
pub async fn criteria_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let criteria = &record.competition.rules.criteria;
    let mut rows = question_rows(criteria);
    if rows.is_empty() {
        rows.push(blank_question());
    }
    let price = price_row(criteria);
    Ok(criteria_page(&user, &record, rows, price, Vec::new()))
}

fn whole_number(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok()
}

/// Where a domain error about the criteria belongs on the form.
fn criteria_field(field: &str, rows: usize, price: bool) -> String {
    if field == "weights" || field == "criteria" {
        return if rows > 0 {
            "q-0-weight".into()
        } else if price {
            "price-weight".into()
        } else {
            "q-0-text".into()
        };
    }
    if let Some(rest) = field.strip_prefix("criteria.price.") {
        return if rest == "weight" {
            "price-weight".into()
        } else {
            "price-zero_at".into()
        };
    }
    match indexed(field.strip_prefix("criteria.").unwrap_or(field)) {
        Some(("questions", n, what)) => {
            let input = match what {
                "weight" => "weight",
                "word_limit" => "limit",
                w if w.starts_with("scale") => "g0",
                _ => "text",
            };
            format!("q-{}-{input}", n.saturating_sub(1))
        }
        _ => "q-0-text".into(),
    }
}

/// `POST /competitions/{id}/criteria`: saves the award criteria; the weights
/// must add up to exactly 100.
pub async fn save_criteria(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let mut typed = rows(&fields, "q");
    let price_fields: RowFields = ["scored", "weight", "formula", "zero_at"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                field(&fields, &format!("price-{n}")).to_string(),
            )
        })
        .collect();
    match rows_action(&fields) {
        RowsAction::Add => {
            typed.push(blank_question());
            return Ok(criteria_page(
                &user,
                &record,
                typed,
                price_fields,
                Vec::new(),
            ));
        }
        RowsAction::Remove(n) if n < typed.len() => {
            typed.remove(n);
            return Ok(criteria_page(
                &user,
                &record,
                typed,
                price_fields,
                Vec::new(),
            ));
        }
        _ => {}
    }
    let mut errors = Vec::new();
    let mut fresh: Vec<String> = typed
        .iter()
        .map(|r| row_value(r, "id").to_string())
        .filter(|id| !id.is_empty())
        .collect();
    let mut questions = Vec::new();
    for (i, row) in typed.iter().enumerate() {
        if blank(row, &["text", "weight", "limit"]) && row_value(row, "id").is_empty() {
            continue;
        }
        let id = match row_value(row, "id") {
            "" => {
                let id = next_id("Q", &fresh);
                fresh.push(id.clone());
                id
            }
            id => id.to_string(),
        };
        let weight = match whole_number(row_value(row, "weight")) {
            Some(w) => w,
            None => {
                errors.push(FieldError::new(
                    &format!("q-{i}-weight"),
                    format!("Weight of question {id} must be a whole number, like 30"),
                ));
                0
            }
        };
        let limit = match row_value(row, "limit").trim() {
            "" => None,
            text => match whole_number(text) {
                Some(w) => Some(w),
                None => {
                    errors.push(FieldError::new(
                        &format!("q-{i}-limit"),
                        format!(
                            "Word limit of question {id} must be a whole number of words, or empty for none"
                        ),
                    ));
                    None
                }
            },
        };
        let mut scale = ScoringScale::zero_to_five();
        scale.guidance = (0..=5)
            .map(|s| row_value(row, &format!("g{s}")).trim().to_string())
            .collect();
        questions.push(QualityQuestion {
            id,
            text: row_value(row, "text").trim().to_string(),
            weight,
            scale,
            word_limit: limit,
        });
    }
    let price = if row_value(&price_fields, "scored") == "yes" {
        let weight = match whole_number(row_value(&price_fields, "weight")) {
            Some(w) => w,
            None => {
                errors.push(FieldError::new(
                    "price-weight",
                    "Weight of price must be a whole number, like 40",
                ));
                0
            }
        };
        let formula = match row_value(&price_fields, "formula") {
            "relative_to_lowest" => match whole_number(row_value(&price_fields, "zero_at")) {
                Some(p) => PriceFormula::RelativeToLowest {
                    zero_at_percent_above: p,
                },
                None => {
                    errors.push(FieldError::new(
                        "price-zero_at",
                        "Enter the percentage above the lowest price at which a price scores 0, as a whole number",
                    ));
                    PriceFormula::LowestPriceRatio
                }
            },
            _ => PriceFormula::LowestPriceRatio,
        };
        Some(PriceCriterion { weight, formula })
    } else {
        None
    };
    if !errors.is_empty() {
        return Ok(criteria_page(&user, &record, typed, price_fields, errors));
    }
    let criteria = AwardCriteria { questions, price };
    let has_price = criteria.price.is_some();
    if let Err(e) = criteria.check() {
        let r = Refusal::from_domain(&e);
        let field = criteria_field(&r.field, criteria.questions.len(), has_price);
        return Ok(criteria_page(
            &user,
            &record,
            typed,
            price_fields,
            vec![r.on(&field)],
        ));
    }
    let mut rules = record.competition.rules.clone();
    rules.criteria = criteria;
    let question_count = rules.criteria.questions.len();
    let command = Command::SetRules {
        by: user.actor.email.clone(),
        rules,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&path(&next)).into_response()),
        Err(r) => {
            let field = criteria_field(&r.field, question_count, has_price);
            Ok(criteria_page(
                &user,
                &record,
                typed,
                price_fields,
                vec![r.on(&field)],
            ))
        }
    }
}

// ---------------------------------------------------------------- price schedule

#[derive(Template)]
#[template(path = "competition_prices.html")]
struct PricesPage {
    chrome: Chrome,
    id: i64,
    title: String,
    rows: Vec<RowFields>,
    lots: Vec<Lot>,
    errors: Vec<FieldError>,
}

impl PricesPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn value<'a>(&self, row: &'a RowFields, name: &str) -> &'a str {
        row_value(row, name)
    }
}

fn prices_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    rows: Vec<RowFields>,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &PricesPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            rows,
            lots: record.competition.content.lots.clone(),
            errors,
        },
    )
}

fn line_rows(lines: &[PriceLine]) -> Vec<RowFields> {
    lines
        .iter()
        .map(|l| {
            RowFields::from([
                ("id".to_string(), l.id.clone()),
                ("description".to_string(), l.description.clone()),
                ("quantity".to_string(), l.quantity.to_string()),
                ("unit".to_string(), l.unit.clone()),
                ("lot".to_string(), l.lot.clone().unwrap_or_default()),
            ])
        })
        .collect()
}

/// `GET /competitions/{id}/prices`.
pub async fn prices_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let mut rows = line_rows(&record.competition.content.price_schedule);
    rows.push(RowFields::new());
    Ok(prices_page(&user, &record, rows, Vec::new()))
}

/// `POST /competitions/{id}/prices`: saves the price schedule.
pub async fn save_prices(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let mut typed = rows(&fields, "line");
    match rows_action(&fields) {
        RowsAction::Add => {
            typed.push(RowFields::new());
            return Ok(prices_page(&user, &record, typed, Vec::new()));
        }
        RowsAction::Remove(n) if n < typed.len() => {
            typed.remove(n);
            return Ok(prices_page(&user, &record, typed, Vec::new()));
        }
        _ => {}
    }
    let mut fresh: Vec<String> = typed
        .iter()
        .map(|r| row_value(r, "id").to_string())
        .filter(|id| !id.is_empty())
        .collect();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in typed.iter().enumerate() {
        if blank(row, &["description", "quantity", "unit"]) && row_value(row, "id").is_empty() {
            continue;
        }
        let id = match row_value(row, "id") {
            "" => {
                let id = next_id("L", &fresh);
                fresh.push(id.clone());
                id
            }
            id => id.to_string(),
        };
        let quantity = match whole_number(row_value(row, "quantity")) {
            Some(q) => q,
            None => {
                errors.push(FieldError::new(
                    &format!("line-{i}-quantity"),
                    format!("Quantity of price line {id} must be a whole number, like 12"),
                ));
                0
            }
        };
        let lot = match row_value(row, "lot") {
            "" => None,
            lot => Some(lot.to_string()),
        };
        lines.push(PriceLine {
            id,
            description: row_value(row, "description").trim().to_string(),
            quantity,
            unit: row_value(row, "unit").trim().to_string(),
            lot,
        });
    }
    if !errors.is_empty() {
        return Ok(prices_page(&user, &record, typed, errors));
    }
    let mut content = record.competition.content.clone();
    content.price_schedule = lines;
    let command = Command::ReviseDraft {
        by: user.actor.email.clone(),
        content,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&path(&next)).into_response()),
        Err(r) => {
            let field = match indexed(&r.field) {
                Some(("price_schedule", n, what)) => format!(
                    "line-{}-{}",
                    n.saturating_sub(1),
                    match what {
                        "quantity" => "quantity",
                        "lot" => "lot",
                        _ => "description",
                    }
                ),
                _ => "line-0-description".to_string(),
            };
            Ok(prices_page(&user, &record, typed, vec![r.on(&field)]))
        }
    }
}

// ---------------------------------------------------------------- evaluation team

#[derive(Template)]
#[template(path = "competition_team.html")]
struct TeamPage {
    chrome: Chrome,
    id: i64,
    title: String,
    evaluators: String,
    moderator: String,
    errors: Vec<FieldError>,
}

impl TeamPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn team_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    evaluators: String,
    moderator: String,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &TeamPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            evaluators,
            moderator,
            errors,
        },
    )
}

/// `GET /competitions/{id}/team`.
pub async fn team_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let (evaluators, moderator) = match &record.competition.evaluation.team {
        Some(t) => (
            t.evaluators
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            t.moderator.to_string(),
        ),
        None => (String::new(), String::new()),
    };
    Ok(team_page(&user, &record, evaluators, moderator, Vec::new()))
}

/// What the team form sends.
#[derive(serde::Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    evaluators: String,
    #[serde(default)]
    moderator: String,
}

/// Checks that `text` is the email of a person who may join the team: an
/// evaluator at one of the competition's buyers.
async fn team_member(
    state: &AppState,
    competition: &Competition,
    text: &str,
    what: &str,
) -> Result<Result<Email, String>, AppError> {
    let Ok(email) = Email::parse(text) else {
        return Ok(Err(format!(
            "Enter the {what}'s email address in the correct format, like name@example.gov.uk: '{text}' is not one"
        )));
    };
    let person = match state.store.user_id(&email).await? {
        Some(id) => state.store.actor(id).await?,
        None => None,
    };
    let allowed = person
        .is_some_and(|p| policy::authorize(&p, Action::JoinEvaluationTeam { competition }).is_ok());
    if allowed {
        Ok(Ok(email))
    } else {
        Ok(Err(format!(
            "{email} cannot be the {what}: evaluators and moderators must hold the evaluator role at one of the competition's buyers"
        )))
    }
}

/// `POST /competitions/{id}/team`: assigns the evaluators and the moderator.
pub async fn save_team(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<TeamForm>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let c = &record.competition;
    let mut errors = Vec::new();
    let mut evaluators = Vec::new();
    for line in form
        .evaluators
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        match team_member(&state, c, line, "evaluator").await? {
            Ok(e) => evaluators.push(e),
            Err(m) => errors.push(FieldError::new("evaluators", m)),
        }
    }
    if evaluators.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "evaluators",
            "Enter at least one evaluator's email address",
        ));
    }
    let moderator = if form.moderator.trim().is_empty() {
        errors.push(FieldError::new(
            "moderator",
            "Enter the moderator's email address",
        ));
        None
    } else {
        match team_member(&state, c, form.moderator.trim(), "moderator").await? {
            Ok(e) => Some(e),
            Err(m) => {
                errors.push(FieldError::new("moderator", m));
                None
            }
        }
    };
    let Some(moderator) = moderator.filter(|_| errors.is_empty()) else {
        return Ok(team_page(
            &user,
            &record,
            form.evaluators,
            form.moderator,
            errors,
        ));
    };
    let command = Command::AssignEvaluators {
        by: user.actor.email.clone(),
        evaluators,
        moderator,
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(Redirect::to(&path(&next)).into_response()),
        Err(r) => {
            let field = if r.field == "moderator" {
                "moderator"
            } else {
                "evaluators"
            };
            Ok(team_page(
                &user,
                &record,
                form.evaluators,
                form.moderator,
                vec![r.on(field)],
            ))
        }
    }
}

// ---------------------------------------------------------------- publish

/// An opener and whether they have an opening key.
struct OpenerReadiness {
    email: String,
    ready: bool,
}

#[derive(Template)]
#[template(path = "competition_publish.html")]
struct PublishPage {
    chrome: Chrome,
    id: i64,
    title: String,
    deadline: Option<String>,
    problems: Vec<FieldError>,
    errors: Vec<FieldError>,
    minimum: Option<PeriodView>,
    earliest: Option<String>,
    earliest_rule: String,
    openers: Vec<OpenerReadiness>,
    recovery_key: bool,
    buyer_name: String,
    buyer_id: String,
}

/// Where a publication problem is put right.
fn problem_link(id: i64, field: &str) -> String {
    let section = if field.starts_with("criteria") || field == "weights" {
        "criteria"
    } else if field.starts_with("price_schedule") {
        "prices"
    } else if field.starts_with("lots") {
        "lots"
    } else if field.starts_with("documents") {
        "documents"
    } else {
        "details"
    };
    format!("/competitions/{id}/{section}")
}

async fn publish_page(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let c = &record.competition;
    let now = state.store.clock().now();
    let names = org_names(state).await?;
    let (minimum, earliest, earliest_rule) = match c.minimum_tendering(now).ok().flatten() {
        Some(m) => (
            Some(PeriodView::of(&m.period)),
            Some(when(m.earliest)),
            format!("The period ends {} ({}).", m.rule, m.period.citation()),
        ),
        None => (None, None, String::new()),
    };
    let buyer = &c.content.buyer;
    let mut openers = Vec::new();
    for person in state.store.org_people(buyer).await? {
        if person.role != Role::Opener {
            continue;
        }
        let ready = match state.store.user_id(&person.email).await? {
            Some(id) => state.store.has_opener_key(id).await?,
            None => false,
        };
        openers.push(OpenerReadiness {
            email: person.email.to_string(),
            ready,
        });
    }
    let problems = c
        .publish_problems(now)
        .iter()
        .map(|e| {
            let r = Refusal::from_domain(e);
            FieldError::new(&problem_link(record.id, &r.field), r.message)
        })
        .collect();
    let status = form_status(&errors);
    Ok(render(
        status,
        &PublishPage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: c.content.title.clone(),
            deadline: c.deadline().map(when),
            problems,
            errors,
            minimum,
            earliest,
            earliest_rule,
            openers,
            recovery_key: state.store.has_recovery_key(buyer).await?,
            buyer_name: name_of(&names, buyer),
            buyer_id: buyer.to_string(),
        },
    ))
}

/// `GET /competitions/{id}/publish`: the checks, the minimum tendering period
/// and the earliest lawful deadline, and the button.
pub async fn publish_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    publish_page(&state, &user, &record, Vec::new()).await
}

/// `POST /competitions/{id}/publish`.
pub async fn publish(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = match load_draft(&state, &user, &id).await? {
        Ok(r) => r,
        Err(redirect) => return Ok(redirect),
    };
    let command = Command::Publish {
        by: user.actor.email.clone(),
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => Ok(
            Redirect::to(&format!("/competitions/{}?notice=published", next.id)).into_response(),
        ),
        Err(r) => publish_page(&state, &user, &record, vec![r.on("publish")]).await,
    }
}

// ---------------------------------------------------------------- cancel / close

#[derive(Template)]
#[template(path = "competition_close.html")]
struct ClosePage {
    chrome: Chrome,
    id: i64,
    title: String,
    cancel: bool,
    reason: String,
    errors: Vec<FieldError>,
}

impl ClosePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn action(&self) -> String {
        format!(
            "/competitions/{}/{}",
            self.id,
            if self.cancel { "cancel" } else { "close" }
        )
    }
}

fn close_page(
    user: &SignedIn,
    record: &CompetitionRecord,
    cancel: bool,
    reason: String,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &ClosePage {
            chrome: user.chrome.clone(),
            id: record.id,
            title: record.competition.content.title.clone(),
            cancel,
            reason,
            errors,
        },
    )
}

/// `GET /competitions/{id}/cancel`.
pub async fn cancel_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    Ok(close_page(&user, &record, true, String::new(), Vec::new()))
}

/// `GET /competitions/{id}/close`.
pub async fn close_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    Ok(close_page(&user, &record, false, String::new(), Vec::new()))
}

/// What the cancel and close forms send.
#[derive(serde::Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn close_with(
    state: AppState,
    user: SignedIn,
    id: String,
    reason: String,
    cancel: bool,
) -> Result<Response, AppError> {
    let record = load_managed(&state, &user, &id).await?;
    let by = user.actor.email.clone();
    let command = if cancel {
        Command::Cancel {
            by,
            reason: reason.clone(),
        }
    } else {
        Command::CloseUnsuccessful {
            by,
            reason: reason.clone(),
        }
    };
    match run(&state, &user, &record, command).await? {
        Ok(next) => {
            Ok(Redirect::to(&format!("/competitions/{}?notice=closed", next.id)).into_response())
        }
        Err(r) => Ok(close_page(
            &user,
            &record,
            cancel,
            reason,
            vec![r.on("reason")],
        )),
    }
}

/// `POST /competitions/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, AppError> {
    close_with(state, user, id, form.reason, true).await
}

/// `POST /competitions/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, AppError> {
    close_with(state, user, id, form.reason, false).await
}
