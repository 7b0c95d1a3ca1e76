//! OCDS 1.1 releases for the stages the law makes public: the tender (on
//! publication and each amendment), the award (on the award notice) and the
//! contract (on award). Shape only: field names exactly as OCDS 1.1 (with the
//! lots extension's `lots` and `relatedLots`); validation against the schema is
//! done elsewhere. Amounts are pounds as JSON numbers, currency GBP; instants are
//! RFC 3339 with the London offset.

use super::state::Event;
use super::{Competition, Status, london_text};
use crate::ids::OrgId;
use crate::time::london;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The release's identity: the ocid (the caller's prefix plus the competition's
/// id), a release id unique per release, and its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMeta<'a> {
    /// The contracting process identifier, e.g. `ocds-b5fd17-42`.
    pub ocid: &'a str,
    /// The release id, unique within the ocid.
    pub release_id: &'a str,
    /// When the release was made.
    pub date: Timestamp,
}

/// Which stage a release describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `tender`, `tenderAmendment` or `tenderCancellation`.
    Tender,
    /// `award`.
    Award,
    /// `contract`.
    Contract,
}

/// The ocid of a competition: `prefix-id`.
pub fn ocid(prefix: &str, competition_id: &str) -> String {
    format!("{prefix}-{competition_id}")
}

/// The stage to publish after `event`, if the event makes something public.
pub fn stage_after(event: &Event) -> Option<Stage> {
    match event {
        Event::Published { .. } | Event::Amended { .. } => Some(Stage::Tender),
        Event::Cancelled { closure, .. } | Event::ClosedUnsuccessful { closure, .. }
            if closure.from_state != "draft" =>
        {
            Some(Stage::Tender)
        }
        Event::AwardNoticeIssued { .. } => Some(Stage::Award),
        Event::Awarded { .. } => Some(Stage::Contract),
        _ => None,
    }
}

/// The release for `stage` of `c` (the state after the event).
pub fn release(
    c: &Competition,
    stage: Stage,
    meta: &ReleaseMeta<'_>,
    names: &BTreeMap<OrgId, String>,
) -> Value {
    match stage {
        Stage::Tender => tender_release(c, meta, names),
        Stage::Award => award_release(c, meta, names),
        Stage::Contract => contract_release(c, meta, names),
    }
}

/// A tender release: `tender` on publication, `tenderAmendment` once amended,
/// `tenderCancellation` when cancelled or closed without award.
pub fn tender_release(
    c: &Competition,
    meta: &ReleaseMeta<'_>,
    names: &BTreeMap<OrgId, String>,
) -> Value {
    let tag = match c.status {
        Status::Cancelled { .. } | Status::Unsuccessful { .. } => "tenderCancellation",
        _ if !c.amendments.is_empty() => "tenderAmendment",
        _ => "tender",
    };
    base(c, tag, meta, names)
}

/// An award release: one award per lot decided, `pending` until the standstill
/// ends and `active` once awarded.
pub fn award_release(
    c: &Competition,
    meta: &ReleaseMeta<'_>,
    names: &BTreeMap<OrgId, String>,
) -> Value {
    let mut release = base(c, "award", meta, names);
    release["awards"] = Value::Array(awards(c, names));
    release
}

/// A contract release: one contract per buyer per awarded lot.
pub fn contract_release(
    c: &Competition,
    meta: &ReleaseMeta<'_>,
    names: &BTreeMap<OrgId, String>,
) -> Value {
    let mut release = base(c, "contract", meta, names);
    release["awards"] = Value::Array(awards(c, names));
    release["contracts"] = Value::Array(
        c.contracts
            .iter()
            .map(|k| {
                let mut contract = json!({
                    "id": k.id,
                    "awardID": k.award_id,
                    "title": k.title,
                    "description": format!(
                        "Contract between {} and {}",
                        name_of(&k.buyer, names),
                        name_of(&k.supplier, names)
                    ),
                    "status": "pending",
                    "value": value(k.value_pence),
                });
                if let Some(p) = period(k.start, k.end) {
                    contract["period"] = p;
                }
                contract
            })
            .collect(),
    );
    release
}

/// An amount in pence as an OCDS value: pounds as a number, currency GBP.
pub fn value(pence: i64) -> Value {
    let amount = if pence % 100 == 0 {
        json!(pence / 100)
    } else {
        let text = format!(
            "{}{}.{:02}",
            if pence < 0 { "-" } else { "" },
            (pence / 100).abs(),
            (pence % 100).abs()
        );
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    };
    json!({ "amount": amount, "currency": "GBP" })
}

fn name_of(org: &OrgId, names: &BTreeMap<OrgId, String>) -> String {
    names
        .get(org)
        .cloned()
        .unwrap_or_else(|| org.as_str().to_string())
}

fn org_ref(org: &OrgId, names: &BTreeMap<OrgId, String>) -> Value {
    json!({ "id": org.as_str(), "name": name_of(org, names) })
}

fn date_start(date: Date) -> Option<String> {
    date.to_zoned_datetime(london())
        .ok()
        .map(|z| london_text(&z.timestamp()))
}

fn period(start: Option<Date>, end: Option<Date>) -> Option<Value> {
    let mut p = Map::new();
    if let Some(s) = start.and_then(date_start) {
        p.insert("startDate".into(), json!(s));
    }
    // The contract runs to the end of its last day: midnight at the start of the next.
    if let Some(e) = end.and_then(|e| e.tomorrow().ok()).and_then(date_start) {
        p.insert("endDate".into(), json!(e));
    }
    (!p.is_empty()).then_some(Value::Object(p))
}

fn parties(c: &Competition, names: &BTreeMap<OrgId, String>) -> Vec<Value> {
    let mut roles: Vec<(OrgId, Vec<&str>)> = Vec::new();
    let mut add = |org: &OrgId, role: &'static str| match roles.iter_mut().find(|(o, _)| o == org) {
        Some((_, r)) if !r.contains(&role) => r.push(role),
        Some(_) => {}
        None => roles.push((org.clone(), vec![role])),
    };
    add(&c.content.buyer, "buyer");
    add(&c.content.buyer, "procuringEntity");
    for b in &c.content.joint_buyers {
        add(b, "buyer");
    }
    for b in &c.opening.bids {
        add(&b.supplier, "tenderer");
    }
    if c.notice.is_some()
        && let Some(award) = &c.award
    {
        for d in &award.decisions {
            if let Some(b) = c.opening.bids.iter().find(|b| b.bid_id == d.winner) {
                add(&b.supplier, "supplier");
            }
        }
    }
    roles
        .into_iter()
        .map(|(org, r)| {
            let (scheme, local) = match org.as_str().match_indices('-').nth(1) {
                Some((i, _)) => (&org.as_str()[..i], &org.as_str()[i + 1..]),
                None => (org.as_str(), ""),
            };
            json!({
                "id": org.as_str(),
                "name": name_of(&org, names),
                "identifier": { "scheme": scheme, "id": local },
                "roles": r,
            })
        })
        .collect()
}

fn tender(c: &Competition, names: &BTreeMap<OrgId, String>) -> Value {
    let criteria = &c.rules.criteria;
    let status = match c.status {
        Status::Draft => "planned",
        Status::Published | Status::DeadlinePassed | Status::Opened | Status::Evaluated => "active",
        Status::AwardDecided | Status::Standstill | Status::Awarded => "complete",
        Status::Cancelled { .. } => "cancelled",
        Status::Unsuccessful { .. } => "unsuccessful",
    };
    let award_criteria = match (criteria.questions.is_empty(), criteria.price.is_some()) {
        (true, true) => "priceOnly",
        (false, false) => "qualityOnly",
        _ => "ratedCriteria",
    };
    let method = match c.rules.procedure {
        super::Procedure::OpenProcedure => "open",
        _ => "selective",
    };
    let mut t = json!({
        "id": c.id,
        "title": c.content.title,
        "description": c.content.description,
        "status": status,
        "procuringEntity": org_ref(&c.content.buyer, names),
        "procurementMethod": method,
        "procurementMethodDetails": format!(
            "{} ({})",
            c.rules.procedure.label(c.rules.regime),
            c.rules.regime.name()
        ),
        "awardCriteria": award_criteria,
        "awardCriteriaDetails": criteria.details_text(),
        "submissionMethod": ["electronicSubmission"],
        "hasEnquiries": !c.clarifications.is_empty(),
    });
    if let Some(v) = c.content.estimated_value_pence() {
        t["value"] = value(v);
    }
    let mut tender_period = Map::new();
    if let Some(p) = &c.publication {
        tender_period.insert("startDate".into(), json!(london_text(&p.at)));
    }
    if let Some(d) = c.deadline() {
        tender_period.insert("endDate".into(), json!(london_text(&d)));
    }
    t["tenderPeriod"] = Value::Object(tender_period);
    if let Some(p) = period(c.content.contract_start, c.content.contract_end) {
        t["contractPeriod"] = p;
    }
    if c.opening.opened_at.is_some() {
        let mut tenderers: Vec<&OrgId> = c.opening.bids.iter().map(|b| &b.supplier).collect();
        tenderers.sort();
        tenderers.dedup();
        t["numberOfTenderers"] = json!(tenderers.len());
        t["tenderers"] = tenderers.into_iter().map(|o| org_ref(o, names)).collect();
    }
    t["documents"] = c
        .content
        .documents
        .iter()
        .map(|d| {
            json!({
                "id": d.sha256_hex,
                "documentType": "biddingDocuments",
                "title": d.file_name,
                "format": d.media_type,
            })
        })
        .collect();
    if !c.content.lots.is_empty() {
        t["lots"] = c
            .content
            .lots
            .iter()
            .map(|l| {
                let mut lot = json!({ "id": l.id, "title": l.title, "status": status });
                if let Some(v) = l.estimated_value_pence {
                    lot["value"] = value(v);
                }
                lot
            })
            .collect();
    }
    if !c.amendments.is_empty() {
        t["amendments"] = c
            .amendments
            .iter()
            .map(|a| {
                let mut description = a.summary.clone();
                if a.new_deadline != a.previous_deadline {
                    description.push_str(&format!(
                        " Tender deadline extended from {} to {}.",
                        london_text(&a.previous_deadline),
                        london_text(&a.new_deadline)
                    ));
                }
                json!({
                    "id": a.number.to_string(),
                    "date": london_text(&a.at),
                    "rationale": a.summary,
                    "description": description,
                })
            })
            .collect();
    }
    t
}

fn awards(c: &Competition, names: &BTreeMap<OrgId, String>) -> Vec<Value> {
    let (Some(award), Some(notice)) = (&c.award, &c.notice) else {
        return Vec::new();
    };
    let status = if c.status == Status::Awarded {
        "active"
    } else {
        "pending"
    };
    award
        .decisions
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let bid = c.opening.bids.iter().find(|b| b.bid_id == d.winner)?;
            let mut a = json!({
                "id": super::award::award_id(i),
                "title": match &d.lot {
                    Some(l) => format!("{}: lot {l}", c.content.title),
                    None => c.content.title.clone(),
                },
                "status": status,
                "date": london_text(&notice.at),
                "value": value(bid.total_price_pence),
                "suppliers": [org_ref(&bid.supplier, names)],
            });
            if let Some(lot) = &d.lot {
                a["relatedLots"] = json!([lot]);
            }
            if let Some(p) = period(c.content.contract_start, c.content.contract_end) {
                a["contractPeriod"] = p;
            }
            Some(a)
        })
        .collect()
}

fn base(
    c: &Competition,
    tag: &str,
    meta: &ReleaseMeta<'_>,
    names: &BTreeMap<OrgId, String>,
) -> Value {
    json!({
        "ocid": meta.ocid,
        "id": meta.release_id,
        "date": london_text(&meta.date),
        "tag": [tag],
        "initiationType": "tender",
        "language": "en",
        "parties": parties(c, names),
        "buyer": org_ref(&c.content.buyer, names),
        "tender": tender(c, names),
    })
}
