//! Competitions: the buyer's pages (create, edit the draft, publish, answer,
//! amend, award), the supplier's (documents, questions, bids and receipts), the
//! opener's, the evaluation team's, and the JSON API for bids.
//!
//! Handlers load the competition, ask the policy and hand the command to the
//! store, which decides it; the domain's refusals come back typed, so each is
//! placed by its field.

pub mod api;
pub mod award;
pub mod buyer;
pub mod documents;
pub mod evaluation;
pub mod opening;
pub mod overview;
pub mod supplier;

use super::FieldError;
use crate::context::SignedIn;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::http::StatusCode;
use consort_core::OrgId;
use consort_core::competition::{Command, Competition, CompetitionError, Status};
use consort_core::org::{Organisation, Role};
use consort_core::policy::{self, Action, Actor};
use consort_core::time::london;
use consort_store::{CompetitionRecord, StoreError};
use jiff::Timestamp;
use jiff::civil::DateTime;
use std::collections::BTreeMap;

/// The largest request body accepted where files are uploaded: a bid's
/// attachments or a set of procurement documents.
pub const MAX_UPLOAD_REQUEST_BYTES: usize = 60 * 1024 * 1024;

/// A message as a sentence: capitalised, unless it starts with a name that
/// must keep its case (an email address, a file name).
pub fn sentence(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("");
    let word = first.trim_end_matches([':', ',', ';']);
    let is_name = word.contains('@') || (word.contains('.') && !word.ends_with('.'));
    if is_name {
        text.to_string()
    } else {
        super::sentence(text)
    }
}

/// Why a command was refused: the field it concerns and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The domain's name for the field (`tender_deadline`, `weights`, …), or
    /// `state` when the refusal is about the competition as a whole.
    pub field: String,
    /// The message, as a sentence.
    pub message: String,
}

impl Refusal {
    /// A refusal from the domain's error.
    pub fn from_domain(error: &CompetitionError) -> Refusal {
        let field = error.field().to_string();
        let text = error.to_string();
        let text = text
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(&text)
            .to_string();
        Refusal {
            field,
            message: sentence(&text),
        }
    }

    /// A refusal from the store's message. Messages that begin `field: ` (as
    /// the domain writes them) are split there.
    pub fn from_message(message: &str) -> Refusal {
        if let Some((field, rest)) = message.split_once(": ")
            && !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.[]-".contains(c))
        {
            return Refusal {
                field: field.to_string(),
                message: sentence(rest),
            };
        }
        Refusal {
            field: "state".into(),
            message: sentence(message),
        }
    }

    /// The refusal as a form error on the input `field_id`.
    pub fn on(&self, field_id: &str) -> FieldError {
        FieldError::new(field_id, self.message.clone())
    }
}

/// Loads competition `id` for a person who may see it. One they may not see is
/// a 404, so that its existence is not given away.
pub(crate) async fn load(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CompetitionRecord, AppError> {
    let id: i64 = id.parse().map_err(|_| user.not_found())?;
    let record = match state.store.competition(id).await {
        Ok(record) => record,
        Err(StoreError::NotFound(_)) => return Err(user.not_found()),
        Err(e) => return Err(e.into()),
    };
    if policy::authorize(
        &user.actor,
        Action::ViewCompetition {
            competition: &record.competition,
        },
    )
    .is_err()
    {
        return Err(user.not_found());
    }
    Ok(record)
}

/// Loads a competition the person may change (403 with the policy's reason
/// otherwise).
pub(crate) async fn load_managed(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CompetitionRecord, AppError> {
    let record = load(state, user, id).await?;
    user.authorize(Action::ManageCompetition {
        competition: &record.competition,
    })?;
    Ok(record)
}

/// Has the store decide, apply and save `command`, expecting the version read;
/// a refusal names its field.
pub(crate) async fn run(
    state: &AppState,
    user: &SignedIn,
    record: &CompetitionRecord,
    command: Command,
) -> Result<Result<CompetitionRecord, Refusal>, AppError> {
    match state
        .store
        .competition_command(record.id, &user.actor, Some(record.version), command)
        .await
    {
        Ok(next) => Ok(Ok(next)),
        Err(e) => store_refusal(user, e).map(Err),
    }
}

/// Turns the store's refusals into a [`Refusal`] (the first, for a bid with
/// several problems); anything else is an error.
pub(crate) fn store_refusal(user: &SignedIn, e: StoreError) -> Result<Refusal, AppError> {
    match e {
        StoreError::Domain(e) => Ok(Refusal::from_domain(&e)),
        StoreError::InvalidBid(errors) if !errors.is_empty() => {
            Ok(Refusal::from_domain(&errors[0]))
        }
        StoreError::Refused(m) | StoreError::Conflict(m) => Ok(Refusal::from_message(&m)),
        StoreError::NotFound(_) => Err(user.not_found()),
        other => Err(other.into()),
    }
}

/// The HTTP status for a domain refusal: 409 when the competition's state or
/// deadline stands in the way, 403 when the person or supplier may not, 422
/// when what was sent is wrong.
pub(crate) fn domain_status(e: &CompetitionError) -> StatusCode {
    match e {
        CompetitionError::AfterDeadline { .. }
        | CompetitionError::Closed { .. }
        | CompetitionError::NotInState { .. } => StatusCode::CONFLICT,
        CompetitionError::NotEligible { .. } | CompetitionError::NotAuthorised { .. } => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Where to see a competition.
pub(crate) fn path(record: &CompetitionRecord) -> String {
    format!("/competitions/{}", record.id)
}

/// The organisations' names by identifier.
pub(crate) async fn org_names(state: &AppState) -> Result<BTreeMap<OrgId, String>, AppError> {
    Ok(state
        .store
        .orgs()
        .await?
        .into_iter()
        .map(|o: Organisation| (o.id, o.name))
        .collect())
}

/// The name of `org`, or its identifier when unknown.
pub(crate) fn name_of(names: &BTreeMap<OrgId, String>, org: &OrgId) -> String {
    names.get(org).cloned().unwrap_or_else(|| org.to_string())
}

/// The first of `actor`'s suppliers the policy lets bid in `competition`.
pub(crate) fn supplier_for(actor: &Actor, competition: &Competition) -> Option<OrgId> {
    actor
        .memberships
        .iter()
        .filter(|m| m.role == Role::Supplier)
        .map(|m| &m.org)
        .find(|s| {
            policy::authorize(
                actor,
                Action::BidInCompetition {
                    competition,
                    supplier: s,
                },
            )
            .is_ok()
        })
        .cloned()
}

/// An instant as people read it: `25 November 2026 at 12:00 (London time)`.
pub fn when(at: Timestamp) -> String {
    at.to_zoned_datetime(london())
        .strftime("%-d %B %Y at %H:%M (London time)")
        .to_string()
}

/// A day as people read it: `25 November 2026`.
pub fn day(date: jiff::civil::Date) -> String {
    date.strftime("%-d %B %Y").to_string()
}

/// An instant to the microsecond in London time: `2026-11-25 12:00:00.123456 GMT`.
pub fn exact_london(at: Timestamp) -> String {
    at.to_zoned_datetime(london())
        .strftime("%Y-%m-%d %H:%M:%S.%6f %Z (UTC%:z)")
        .to_string()
}

/// An instant to the microsecond in UTC: `2026-11-25T12:00:00.123456Z`.
pub fn exact_utc(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// The GOV.UK tag colour for a competition's state.
pub fn status_tag(status: &Status) -> &'static str {
    match status {
        Status::Draft => "govuk-tag--grey",
        Status::Published => "govuk-tag--green",
        Status::DeadlinePassed => "govuk-tag--yellow",
        Status::Opened => "govuk-tag--teal",
        Status::Evaluated => "govuk-tag--magenta",
        Status::AwardDecided => "govuk-tag--purple",
        Status::Standstill => "govuk-tag--orange",
        Status::Awarded => "govuk-tag--turquoise",
        Status::Cancelled { .. } | Status::Unsuccessful { .. } => "govuk-tag--red",
    }
}

/// A date and time typed into GOV.UK date fields and hour and minute fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct DateTimeFields {
    /// The day of the month.
    #[serde(default)]
    pub day: String,
    /// The month number.
    #[serde(default)]
    pub month: String,
    /// The year.
    #[serde(default)]
    pub year: String,
    /// The hour, 0 to 23.
    #[serde(default)]
    pub hour: String,
    /// The minute, 0 to 59.
    #[serde(default)]
    pub minute: String,
}

impl DateTimeFields {
    /// The fields showing `at` in London.
    pub fn of(at: Option<Timestamp>) -> DateTimeFields {
        let Some(at) = at else {
            return DateTimeFields::default();
        };
        let z = at.to_zoned_datetime(london());
        DateTimeFields {
            day: z.day().to_string(),
            month: z.month().to_string(),
            year: z.year().to_string(),
            hour: format!("{:02}", z.hour()),
            minute: format!("{:02}", z.minute()),
        }
    }

    /// Whether nothing was typed.
    pub fn is_blank(&self) -> bool {
        [&self.day, &self.month, &self.year, &self.hour, &self.minute]
            .iter()
            .all(|v| v.trim().is_empty())
    }

    /// The instant the fields name in London, or what is wrong, in the words of
    /// the GOV.UK date input pattern. `what` is the field's name, as in
    /// "The tender deadline".
    pub fn parse(&self, what: &str) -> Result<Timestamp, String> {
        let parts = [
            ("a day", self.day.trim()),
            ("a month", self.month.trim()),
            ("a year", self.year.trim()),
            ("an hour", self.hour.trim()),
            ("a minute", self.minute.trim()),
        ];
        if parts.iter().all(|(_, v)| v.is_empty()) {
            return Err(format!("Enter {}", what.to_lowercase()));
        }
        let missing: Vec<&str> = parts
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(format!("{what} must include {}", missing.join(" and ")));
        }
        let number = |v: &str| v.parse::<i16>().ok();
        let values: Vec<Option<i16>> = parts.iter().map(|(_, v)| number(v)).collect();
        let [Some(d), Some(m), Some(y), Some(h), Some(min)] = values[..] else {
            return Err(format!("{what} must be a real date and time"));
        };
        if !(1000..=9999).contains(&y) {
            return Err(format!("{what}: the year must include 4 numbers"));
        }
        if !(0..=23).contains(&h) || !(0..=59).contains(&min) {
            return Err(format!(
                "{what} must be a real time: the hour 0 to 23 and the minute 0 to 59"
            ));
        }
        let (Ok(m), Ok(d), Ok(h), Ok(min)) = (
            i8::try_from(m),
            i8::try_from(d),
            i8::try_from(h),
            i8::try_from(min),
        ) else {
            return Err(format!("{what} must be a real date and time"));
        };
        let civil = DateTime::new(y, m, d, h, min, 0, 0)
            .map_err(|_| format!("{what} must be a real date"))?;
        civil
            .to_zoned_datetime(london())
            .map(|z| z.timestamp())
            .map_err(|_| format!("{what} must be a real date and time"))
    }
}

/// The fields of a form whose names are `{prefix}-{index}-{name}`, by row
/// index then name: how the repeating rows of lots, questions and price lines
/// are sent without JavaScript.
pub(crate) fn rows(fields: &[(String, String)], prefix: &str) -> Vec<BTreeMap<String, String>> {
    let mut by_index: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    let start = format!("{prefix}-");
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix(&start) else {
            continue;
        };
        let Some((index, name)) = rest.split_once('-') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        by_index
            .entry(index)
            .or_default()
            .insert(name.to_string(), value.clone());
    }
    by_index.into_values().collect()
}

/// The value of field `name` in a form sent as pairs.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Every value of field `name` in a form sent as pairs (checkboxes).
pub(crate) fn all_values(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// One part of a multipart form: a field or a file.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// The field's name.
    pub name: String,
    /// The file's name as the browser sent it, for a file.
    pub file_name: Option<String>,
    /// The media type the browser declared, for a file.
    pub content_type: Option<String>,
    /// The content, as received (not copied).
    pub bytes: Bytes,
}

impl Part {
    /// The content as text (for an ordinary field).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Whether this is a file that was actually chosen (browsers send an empty
    /// part with no name for a file input left empty).
    pub fn is_chosen_file(&self) -> bool {
        self.file_name.as_deref().is_some_and(|n| !n.is_empty()) || !self.bytes.is_empty()
    }
}

/// Reads every part of a multipart form, or says why it could not be read
/// (almost always: it was larger than the limit).
pub(crate) async fn read_multipart(
    mut multipart: axum::extract::Multipart,
) -> Result<Vec<Part>, String> {
    let too_large = || {
        format!(
            "The files could not be uploaded: together they must be smaller than {} MB",
            MAX_UPLOAD_REQUEST_BYTES / (1024 * 1024)
        )
    };
    let mut parts = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(String::from);
                let content_type = field.content_type().map(String::from);
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                parts.push(Part {
                    name,
                    file_name,
                    content_type,
                    bytes,
                });
            }
            Ok(None) => return Ok(parts),
            Err(_) => return Err(too_large()),
        }
    }
}

/// The text of field `name` among multipart `parts`.
pub(crate) fn part_text(parts: &[Part], name: &str) -> String {
    parts
        .iter()
        .find(|p| p.name == name)
        .map(Part::text)
        .unwrap_or_default()
}

/// Checks an uploaded file against the upload policy, with a message naming
/// the file.
pub(crate) fn check_file(part: &Part) -> Result<consort_core::document::DescribedUpload, String> {
    consort_core::document::describe_upload(
        &consort_core::document::UploadPolicy::default(),
        part.file_name.as_deref().unwrap_or_default(),
        part.content_type.as_deref(),
        &part.bytes,
    )
}

/// A fresh idempotency key for a bid form: random per render, so a double
/// click sends the same key twice and makes one bid.
pub(crate) fn idempotency_key() -> String {
    crate::security::random_token()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> DateTimeFields {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        DateTimeFields {
            day: get("day"),
            month: get("month"),
            year: get("year"),
            hour: get("hour"),
            minute: get("minute"),
        }
    }

    #[test]
    fn deadlines_are_read_in_london_time() {
        let summer = fields(&[
            ("day", "1"),
            ("month", "7"),
            ("year", "2027"),
            ("hour", "12"),
            ("minute", "00"),
        ]);
        assert_eq!(
            summer.parse("The tender deadline").unwrap().to_string(),
            "2027-07-01T11:00:00Z"
        );
        let winter = fields(&[
            ("day", "5"),
            ("month", "1"),
            ("year", "2027"),
            ("hour", "9"),
            ("minute", "30"),
        ]);
        let at = winter.parse("The tender deadline").unwrap();
        assert_eq!(at.to_string(), "2027-01-05T09:30:00Z");
        assert_eq!(DateTimeFields::of(Some(at)), {
            let mut f = winter.clone();
            f.hour = "09".into();
            f
        });
    }

    #[test]
    fn bad_deadlines_say_what_is_missing_or_wrong() {
        assert_eq!(
            DateTimeFields::default().parse("The tender deadline"),
            Err("Enter the tender deadline".into())
        );
        let missing = fields(&[("day", "1"), ("year", "2027"), ("hour", "12")]);
        assert_eq!(
            missing.parse("The tender deadline"),
            Err("The tender deadline must include a month and a minute".into())
        );
        let unreal = fields(&[
            ("day", "31"),
            ("month", "2"),
            ("year", "2027"),
            ("hour", "12"),
            ("minute", "0"),
        ]);
        assert!(
            unreal
                .parse("The tender deadline")
                .unwrap_err()
                .contains("real date")
        );
        let bad_hour = fields(&[
            ("day", "1"),
            ("month", "2"),
            ("year", "2027"),
            ("hour", "25"),
            ("minute", "0"),
        ]);
        assert!(
            bad_hour
                .parse("The tender deadline")
                .unwrap_err()
                .contains("hour 0 to 23")
        );
    }

    #[test]
    fn repeating_rows_are_grouped_by_index_in_order() {
        let form: Vec<(String, String)> = [
            ("lot-1-title", "Repairs"),
            ("lot-0-title", "Housing system"),
            ("lot-0-value", "£1m"),
            ("lot-x-title", "ignored"),
            ("other", "ignored"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rows = rows(&form, "lot");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["title"], "Housing system");
        assert_eq!(rows[0]["value"], "£1m");
        assert_eq!(rows[1]["title"], "Repairs");
    }

    #[test]
    fn store_messages_are_split_at_their_field() {
        let r = Refusal::from_message("tender_deadline: 2027-01-01 is too soon");
        assert_eq!(r.field, "tender_deadline");
        assert_eq!(r.message, "2027-01-01 is too soon");
        let r = Refusal::from_message(
            "CMP-00001 needs at least two openers with opening keys at GB-LAE-CMD: 1 have set one up",
        );
        assert_eq!(r.field, "state");
        assert!(r.message.starts_with("CMP-00001 needs"));
        let r = Refusal::from_domain(&CompetitionError::WeightsDoNotSum { total: 90 });
        assert_eq!(r.field, "weights");
        assert_eq!(r.message, "The criteria's weights add up to 90, not 100");
        let r = Refusal::from_domain(&CompetitionError::SameOpenerTwice {
            opener: consort_core::Email::parse("opener1@cmd.example").unwrap(),
        });
        assert_eq!(r.field, "opener");
        assert!(
            r.message
                .starts_with("opener1@cmd.example has already approved"),
            "an email address keeps its case: {}",
            r.message
        );
        assert_eq!(sentence("tool.exe: not accepted"), "tool.exe: not accepted");
        assert_eq!(sentence("enter a title."), "Enter a title.");
    }
}
