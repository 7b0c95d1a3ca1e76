//! The contracts register: list, filter, each contract with its history, the
//! extension log, and importing an authority's published CSV register.

use super::{FieldError, error_for, plural, sentence};
use crate::context::{Chrome, SignedIn};
use crate::error::form_status;
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use consort_core::OrgId;
use consort_core::org::{OrgKind, Organisation};
use consort_core::policy::Action;
use consort_core::register::form::ContractFields;
use consort_core::register::windows::ExitWindow;
use consort_core::register::{Contract, ExpiryBand, Source};
use consort_store::{ContractFilter, ExtensionRecord, StoreError, StoredContract};
use jiff::civil::Date;
use serde::Deserialize;

/// Authorities whose registers a person may see, and which of them they may change.
pub(crate) struct Scope {
    /// Every authority whose register they may see.
    pub viewable: Vec<Organisation>,
    /// Those whose register they may change.
    pub editable: Vec<Organisation>,
}

/// Works out, through the policy, which registers a person may see and change.
pub(crate) async fn scope(state: &AppState, user: &SignedIn) -> Result<Scope, AppError> {
    let consortia = state.store.consortia().await?;
    let mut viewable = Vec::new();
    let mut editable = Vec::new();
    for org in state
        .store
        .orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Authority)
    {
        let coordinators: Vec<OrgId> = consortia
            .iter()
            .filter(|c| c.members.contains(&org.id))
            .map(|c| c.consortium.coordinator.clone())
            .collect();
        let view = Action::ViewRegister {
            authority: &org.id,
            coordinators: &coordinators,
        };
        if user.authorize(view).is_ok() {
            if user
                .authorize(Action::EditRegister { authority: &org.id })
                .is_ok()
            {
                editable.push(org.clone());
            }
            viewable.push(org);
        }
    }
    Ok(Scope { viewable, editable })
}

/// Today in London, by the store's clock.
pub(crate) fn today(state: &AppState) -> Date {
    consort_core::time::london_date(state.store.clock().now())
}

/// One row of the register table.
struct Row {
    id: i64,
    authority: String,
    reference: String,
    title: String,
    supplier: String,
    category: String,
    annual_value: String,
    end: String,
    band: ExpiryBand,
}

impl Row {
    fn tag_class(&self) -> &'static str {
        band_tag(self.band)
    }
}

/// The GOV.UK tag colour for an expiry band.
fn band_tag(band: ExpiryBand) -> &'static str {
    match band {
        ExpiryBand::Expired => "govuk-tag--red",
        ExpiryBand::Within90Days => "govuk-tag--yellow",
        ExpiryBand::Later => "govuk-tag--green",
        ExpiryBand::NoEndDate => "govuk-tag--grey",
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    rows: Vec<Row>,
    authorities: Vec<Organisation>,
    categories: Vec<String>,
    bands: [ExpiryBand; 4],
    query: RegisterQuery,
    can_import: bool,
    today: String,
}

/// The register's filters, from the query string.
#[derive(Deserialize, Default, Clone)]
pub struct RegisterQuery {
    #[serde(default)]
    authority: String,
    #[serde(default)]
    band: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    q: String,
}

/// `GET /register`: the contracts the person may see, soonest end first.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, AppError> {
    let scope = scope(&state, &user).await?;
    if scope.viewable.is_empty() {
        return Err(user.forbidden("there are no contracts registers you can see"));
    }
    let today = today(&state);
    let mut authorities: Vec<OrgId> = scope.viewable.iter().map(|o| o.id.clone()).collect();
    if let Ok(chosen) = OrgId::parse(&query.authority)
        && authorities.contains(&chosen)
    {
        authorities = vec![chosen];
    }
    let band = ExpiryBand::ALL_BANDS
        .into_iter()
        .find(|b| b.as_str() == query.band);
    let all = state
        .store
        .contracts(&ContractFilter {
            authorities: Some(authorities.clone()),
            ..Default::default()
        })
        .await?;
    let mut categories: Vec<String> = all
        .iter()
        .filter_map(|c| c.contract.category.clone())
        .collect();
    categories.sort();
    categories.dedup();
    let filter = ContractFilter {
        authorities: Some(authorities),
        category: Some(query.category.clone()).filter(|c| !c.is_empty()),
        band: band.map(|b| (b, today)),
        text: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
    };
    let shown = state.store.contracts(&filter).await?;
    let name_of = |id: &OrgId| {
        scope
            .viewable
            .iter()
            .find(|o| &o.id == id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    let rows = shown
        .into_iter()
        .map(|StoredContract { id, contract: c }| Row {
            id,
            authority: name_of(&c.authority),
            reference: c.reference,
            title: c.title,
            supplier: c.supplier_name.unwrap_or_default(),
            category: c.category.unwrap_or_default(),
            annual_value: c.annual_value.map(|v| v.display()).unwrap_or_default(),
            end: c.end.map(|d| d.to_string()).unwrap_or_default(),
            band: ExpiryBand::of(c.end, today),
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &RegisterPage {
            chrome: user.chrome.clone(),
            rows,
            authorities: scope.viewable,
            categories,
            bands: ExpiryBand::ALL_BANDS,
            query,
            can_import: !scope.editable.is_empty(),
            today: today.to_string(),
        },
    ))
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    chrome: Chrome,
    id: i64,
    authority_name: String,
    c: Contract,
    window: Option<ExitWindow>,
    band: ExpiryBand,
    history: Vec<ExtensionRecord>,
    can_edit: bool,
    errors: Vec<FieldError>,
    day: String,
    month: String,
    year: String,
}

impl ContractPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn tag_class(&self) -> &'static str {
        band_tag(self.band)
    }

    fn extensions_text(&self) -> String {
        if self.c.extensions.is_empty() {
            "None left".into()
        } else {
            self.c
                .extensions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + ")
        }
    }

    fn source_text(&self) -> String {
        match &self.c.source {
            consort_core::register::Source::Manual => "Entered by hand".into(),
            consort_core::register::Source::Csv { file, line } => format!("{file}, line {line}"),
            consort_core::register::Source::Ocds { ocid } => format!("OCDS {ocid}"),
        }
    }
}

/// Loads a contract the person may see; one they may not see is a 404.
async fn visible_contract(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<(StoredContract, Vec<ExtensionRecord>, Scope), AppError> {
    let id: i64 = id.parse().map_err(|_| user.not_found())?;
    let (stored, history) = state
        .store
        .contract(id)
        .await?
        .ok_or_else(|| user.not_found())?;
    let scope = scope(state, user).await?;
    if !scope
        .viewable
        .iter()
        .any(|o| o.id == stored.contract.authority)
    {
        return Err(user.not_found());
    }
    Ok((stored, history, scope))
}

async fn contract_page(
    state: &AppState,
    user: SignedIn,
    id: &str,
    errors: Vec<FieldError>,
    entered: (String, String, String),
) -> Result<Response, AppError> {
    let (stored, history, scope) = visible_contract(state, &user, id).await?;
    let c = stored.contract;
    let status = form_status(&errors);
    Ok(render(
        status,
        &ContractPage {
            chrome: user.chrome.clone(),
            id: stored.id,
            authority_name: scope
                .viewable
                .iter()
                .find(|o| o.id == c.authority)
                .map_or_else(|| c.authority.to_string(), |o| o.name.clone()),
            can_edit: scope.editable.iter().any(|o| o.id == c.authority),
            window: ExitWindow::of(&c),
            band: ExpiryBand::of(c.end, today(state)),
            c,
            history,
            errors,
            day: entered.0,
            month: entered.1,
            year: entered.2,
        },
    ))
}

/// `GET /register/{id}`: one contract, its exit window and its history.
pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    contract_page(&state, user, &id, Vec::new(), Default::default()).await
}

/// The extension form: the date the option was exercised, as GOV.UK date fields.
#[derive(Deserialize)]
pub struct ExtendForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    year: String,
}

/// `POST /register/{id}/extend`: records that the next extension option was exercised.
pub async fn extend(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ExtendForm>,
) -> Result<Response, AppError> {
    let (stored, _, _) = visible_contract(&state, &user, &id).await?;
    user.authorize(Action::EditRegister {
        authority: &stored.contract.authority,
    })?;
    let entered = (form.day.clone(), form.month.clone(), form.year.clone());
    let date = match parse_date_fields(&form.day, &form.month, &form.year) {
        Ok(d) => d,
        Err(message) => {
            return contract_page(
                &state,
                user,
                &id,
                vec![FieldError::new("exercised-day", message)],
                entered,
            )
            .await;
        }
    };
    match state
        .store
        .exercise_extension(&user.actor.audit_name(), stored.id, date)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/register/{}", stored.id)).into_response()),
        Err(StoreError::Refused(m)) => {
            contract_page(
                &state,
                user,
                &id,
                vec![FieldError::new("exercised-day", sentence(&m))],
                entered,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads a GOV.UK date input (day, month, year), with the pattern's messages.
fn parse_date_fields(day: &str, month: &str, year: &str) -> Result<Date, String> {
    let (d, m, y) = (day.trim(), month.trim(), year.trim());
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Err("Enter the date the extension was exercised".into());
    }
    let missing: Vec<&str> = [("a day", d), ("a month", m), ("a year", y)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The date the extension was exercised must include {}",
            missing.join(" and ")
        ));
    }
    let number = |v: &str| v.parse::<i16>().ok();
    let (Some(d), Some(m), Some(y)) = (number(d), number(m), number(y)) else {
        return Err("The date the extension was exercised must be a real date".into());
    };
    if !(1000..=9999).contains(&y) {
        return Err("Year must include 4 numbers".into());
    }
    Date::new(y, m as i8, d as i8)
        .map_err(|_| "The date the extension was exercised must be a real date".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_fields_follow_the_gov_uk_pattern() {
        assert_eq!(
            parse_date_fields("27", "3", "2027").unwrap().to_string(),
            "2027-03-27"
        );
        assert!(
            parse_date_fields("", "", "")
                .unwrap_err()
                .starts_with("Enter")
        );
        assert!(
            parse_date_fields("27", "", "")
                .unwrap_err()
                .contains("a month and a year")
        );
        assert!(
            parse_date_fields("31", "2", "2027")
                .unwrap_err()
                .contains("real date")
        );
        assert!(
            parse_date_fields("1", "1", "27")
                .unwrap_err()
                .contains("4 numbers")
        );
    }
}

/// The largest register file accepted for upload.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// A rejected row, for the results table.
struct Rejected {
    line: u64,
    column: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "register_import.html")]
struct ImportPage {
    chrome: Chrome,
    authorities: Vec<Organisation>,
    chosen: String,
    skip_invalid: bool,
    errors: Vec<FieldError>,
    rejected: Vec<Rejected>,
    outcome: Option<String>,
}

impl ImportPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// `GET /register/import`: the upload form.
pub async fn import_form(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    let scope = scope(&state, &user).await?;
    if scope.editable.is_empty() {
        return Err(user.forbidden("only an authority's buyers can import its contracts register"));
    }
    let chosen = scope.editable[0].id.to_string();
    Ok(render(
        StatusCode::OK,
        &ImportPage {
            chrome: user.chrome.clone(),
            authorities: scope.editable,
            chosen,
            skip_invalid: false,
            errors: Vec::new(),
            rejected: Vec::new(),
            outcome: None,
        },
    ))
}

/// `POST /register/import`: reads the uploaded CSV, and saves every row or none
/// (or, when asked, the valid rows only), reporting each rejected row.
pub async fn import(
    State(state): State<AppState>,
    user: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    use consort_core::register::import::{ImportOptions, parse_register};
    let scope = scope(&state, &user).await?;
    if scope.editable.is_empty() {
        return Err(user.forbidden("only an authority's buyers can import its contracts register"));
    }
    let (mut authority, mut skip_invalid, mut file_name, mut bytes) =
        (String::new(), false, String::new(), Vec::new());
    let mut errors = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or("") {
                "authority" => authority = field.text().await.unwrap_or_default(),
                "skip_invalid" => skip_invalid = true,
                "file" => {
                    file_name = field.file_name().unwrap_or("register.csv").to_string();
                    match field.bytes().await {
                        Ok(b) => bytes = b.to_vec(),
                        Err(_) => {
                            errors.push(FieldError::new(
                                "file",
                                "The file must be smaller than 20MB",
                            ));
                            break;
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                errors.push(FieldError::new(
                    "file",
                    "The file could not be uploaded: it must be smaller than 20MB",
                ));
                break;
            }
        }
    }
    let page = |errors: Vec<FieldError>,
                rejected: Vec<Rejected>,
                outcome: Option<String>,
                authority: String| {
        let status = form_status(&errors);
        render(
            status,
            &ImportPage {
                chrome: user.chrome.clone(),
                authorities: scope.editable.clone(),
                chosen: authority,
                skip_invalid,
                errors,
                rejected,
                outcome,
            },
        )
    };
    let org = OrgId::parse(&authority)
        .ok()
        .filter(|id| scope.editable.iter().any(|o| &o.id == id));
    let Some(org) = org else {
        errors.push(FieldError::new(
            "authority",
            "Select the authority whose register this is",
        ));
        return Ok(page(errors, Vec::new(), None, authority));
    };
    if errors.is_empty() && bytes.is_empty() {
        errors.push(FieldError::new("file", "Select a CSV file"));
    }
    if !errors.is_empty() {
        return Ok(page(errors, Vec::new(), None, authority));
    }
    let parsed = match parse_register(
        &bytes,
        &ImportOptions {
            authority: org.clone(),
            file_name: file_name.clone(),
        },
    ) {
        Ok(p) => p,
        Err(e) => {
            return Ok(page(
                vec![FieldError::new("file", sentence(&e.to_string()))],
                Vec::new(),
                None,
                authority,
            ));
        }
    };
    let rejected: Vec<Rejected> = parsed
        .rejected
        .iter()
        .map(|r| Rejected {
            line: r.line,
            column: r.column.clone().unwrap_or_default(),
            reason: r.reason.clone(),
        })
        .collect();
    if !rejected.is_empty() && !skip_invalid {
        let message = format!(
            "{} of {file_name} {} rejected, so nothing was imported. Correct {} and upload the file again, or choose to import only the valid rows",
            plural(rejected.len(), "row", "rows"),
            if rejected.len() == 1 { "was" } else { "were" },
            if rejected.len() == 1 { "it" } else { "them" }
        );
        return Ok(page(
            vec![FieldError::new("file", message)],
            rejected,
            None,
            authority,
        ));
    }
    let contracts: Vec<Contract> = parsed.contracts.into_iter().map(|(_, c)| c).collect();
    let summary = match state
        .store
        .import_contracts(&user.actor.audit_name(), &org, &file_name, &contracts)
        .await
    {
        Ok(s) => s,
        Err(StoreError::Conflict(m) | StoreError::Refused(m) | StoreError::NotFound(m)) => {
            return Ok(page(
                vec![FieldError::new("file", sentence(&m))],
                rejected,
                None,
                authority,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let outcome = format!(
        "Imported {file_name}: {} added, {} updated, {} unchanged{}",
        summary.inserted.len(),
        summary.updated.len(),
        summary.unchanged,
        if rejected.is_empty() {
            String::new()
        } else {
            format!(
                "; {} rejected and not imported",
                plural(rejected.len(), "row", "rows")
            )
        }
    );
    Ok(page(Vec::new(), rejected, Some(outcome), authority))
}

#[derive(Template)]
#[template(path = "contract_form.html")]
struct ContractFormPage {
    chrome: Chrome,
    /// `Some(id)` when editing, `None` when adding.
    id: Option<i64>,
    authorities: Vec<Organisation>,
    chosen: String,
    form: ContractFields,
    errors: Vec<FieldError>,
}

impl ContractFormPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/register/{id}/edit"),
            None => "/register/new".into(),
        }
    }
}

/// What the contract form sends: the fields, and (when adding) the authority.
#[derive(Deserialize, Default)]
pub struct ContractFormData {
    #[serde(default)]
    authority: String,
    #[serde(flatten)]
    fields: ContractFields,
}

fn form_page(
    user: &SignedIn,
    id: Option<i64>,
    authorities: Vec<Organisation>,
    chosen: String,
    form: ContractFields,
    errors: Vec<FieldError>,
) -> Response {
    let status = form_status(&errors);
    render(
        status,
        &ContractFormPage {
            chrome: user.chrome.clone(),
            id,
            authorities,
            chosen,
            form,
            errors,
        },
    )
}

fn field_errors(errors: Vec<consort_core::ParseError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(e.field, sentence(&e.reason)))
        .collect()
}

/// `GET /register/new`: a form to add a contract by hand.
pub async fn new_form(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    let scope = scope(&state, &user).await?;
    let Some(first) = scope.editable.first() else {
        return Err(user.forbidden("only an authority's buyers can add to its contracts register"));
    };
    let chosen = first.id.to_string();
    Ok(form_page(
        &user,
        None,
        scope.editable,
        chosen,
        ContractFields::default(),
        Vec::new(),
    ))
}

/// `POST /register/new`.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Form(data): Form<ContractFormData>,
) -> Result<Response, AppError> {
    let scope = scope(&state, &user).await?;
    let Some(authority) = OrgId::parse(&data.authority)
        .ok()
        .filter(|id| scope.editable.iter().any(|o| &o.id == id))
    else {
        let errors = vec![FieldError::new(
            "authority",
            "Select the authority whose contract this is",
        )];
        return Ok(form_page(
            &user,
            None,
            scope.editable,
            data.authority,
            data.fields,
            errors,
        ));
    };
    let contract = match data
        .fields
        .parse(&authority, Source::Manual, Default::default())
    {
        Ok(c) => c,
        Err(errors) => {
            return Ok(form_page(
                &user,
                None,
                scope.editable,
                data.authority,
                data.fields,
                field_errors(errors),
            ));
        }
    };
    match state
        .store
        .create_contract(&user.actor.audit_name(), &contract)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/register/{id}")).into_response()),
        Err(StoreError::Conflict(m) | StoreError::Refused(m)) => {
            let errors = vec![FieldError::new("reference", sentence(&m))];
            Ok(form_page(
                &user,
                None,
                scope.editable,
                data.authority,
                data.fields,
                errors,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /register/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (stored, _, _) = visible_contract(&state, &user, &id).await?;
    user.authorize(Action::EditRegister {
        authority: &stored.contract.authority,
    })?;
    let fields = ContractFields::of(&stored.contract);
    Ok(form_page(
        &user,
        Some(stored.id),
        Vec::new(),
        stored.contract.authority.to_string(),
        fields,
        Vec::new(),
    ))
}

/// `POST /register/{id}/edit`: saves the changes; the audit entry lists each field changed.
pub async fn update(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
    Form(data): Form<ContractFormData>,
) -> Result<Response, AppError> {
    let (stored, _, _) = visible_contract(&state, &user, &id).await?;
    let authority = stored.contract.authority.clone();
    user.authorize(Action::EditRegister {
        authority: &authority,
    })?;
    let parsed = data.fields.parse(
        &authority,
        stored.contract.source.clone(),
        stored.contract.extra.clone(),
    );
    let contract = match parsed {
        Ok(c) => c,
        Err(errors) => {
            return Ok(form_page(
                &user,
                Some(stored.id),
                Vec::new(),
                authority.to_string(),
                data.fields,
                field_errors(errors),
            ));
        }
    };
    match state
        .store
        .update_contract(&user.actor.audit_name(), stored.id, &contract)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/register/{}", stored.id)).into_response()),
        Err(StoreError::Conflict(m) | StoreError::Refused(m)) => {
            let errors = vec![FieldError::new("reference", sentence(&m))];
            Ok(form_page(
                &user,
                Some(stored.id),
                Vec::new(),
                authority.to_string(),
                data.fields,
                errors,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
