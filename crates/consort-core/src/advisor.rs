//! The route-to-market advisor: given a [`Scenario`] (a planner cohort's members
//! and exit windows, the go-live date, the value, what the buyers need), rank the
//! seven routes of [`Route::ALL`] with a score per criterion, the reasons in plain
//! English, the risks, the timeline (from [`crate::timeline::timeline`]) and the
//! citations (fact ids of the embedded rules data, see [`crate::calendar::rules`]).
//!
//! ## Availability
//!
//! A route is *not available*, with the reason and its citation, when:
//! * it calls off an existing framework and there is none, it does not cover the
//!   need, it does not permit these members, or it expires before the call-off can
//!   be awarded (the framework's expiry is compared with the call-off's timeline);
//! * it is a PCR 2015 DPS that would run past the end of 23 Feb 2029
//!   (SI 2024/716 reg 5(4)(b), fact `tr.dps_longstop`);
//! * the value is below the threshold that applies on the start date
//!   ([`crate::calendar::thresholds`]): the regulated procedures and arrangements
//!   give way to the below-threshold rules (PA 2023 Part 6, ss.84–88; PCR 2015
//!   Part 4 Chapter 8), and the advice says what changes;
//! * it is a new PCR 2015 procurement begun on or after 24 Feb 2025
//!   (`tr.pcr_continues`), or a PA 2023-only arrangement under PCR 2015.
//!
//! ## Scoring
//!
//! Seven criteria ([`Criterion`]). Each route scores 0–10 on each, with a one-line
//! reason; the scenario sets each criterion's weight (also with a reason), and the
//! total is the weighted mean scaled to 0–100:
//! `total = 10 × Σ(weight × score) / Σ weight`. The reasoning the tables encode:
//! speed favours an existing framework; many similar organisations seeking value
//! favour a framework (and catalogue) of their own; flexibility, qualifying
//! criteria set as membership conditions and new entrants favour a dynamic market.
//!
//! Pure: no I/O, no clock; "today" is an argument.

use crate::calendar::{self, Regime, rules};
use crate::ids::OrgId;
use crate::register::Pence;
use jiff::ToSpan;
use jiff::civil::{Date, date};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

pub use crate::timeline::Route;
use crate::timeline::{self, Timeline, TimelineError};

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

/// What the consortium (or a single authority) wants to buy, as written in a
/// scenario file (`consort advise --scenario FILE.toml`). A field that is not one
/// of these is an error naming it and listing the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A title for the advice (e.g. "Housing management system, 5 London
    /// boroughs"). Optional.
    #[serde(default)]
    pub title: Option<String>,
    /// The category (as in the register, e.g. "housing management system").
    /// Optional.
    #[serde(default)]
    pub category: Option<String>,
    /// The members, as from a planner cohort: each authority and the exit window
    /// of its current contract. At least one.
    pub members: Vec<Member>,
    /// The date the new service must go live, after mobilisation (the urgency);
    /// compared with the timeline's go-live. Optional: when
    /// absent, the first date every member can exit on (or, if their windows do
    /// not overlap, the earliest latest exit).
    #[serde(default, deserialize_with = "opt_date")]
    pub go_live: Option<Date>,
    /// The estimated total value over the whole term, including VAT, in pence
    /// (thresholds are compared including VAT: fact `pa23.thr.vat`).
    pub value_pence: Pence,
    /// Whether the buyers need new entrants to be able to join during the term.
    #[serde(default)]
    pub needs_new_entrants: bool,
    /// Whether the buyers need innovation (new solutions, shaped with suppliers).
    #[serde(default)]
    pub needs_innovation: bool,
    /// Expected number of call-offs (separate contracts) over the term. Default:
    /// one per member.
    #[serde(default)]
    pub call_offs: Option<u32>,
    /// How standard the requirement is: `commodity`, `standard`, `configurable`
    /// or `bespoke`. Default `standard`.
    #[serde(default)]
    pub requirement: Standardness,
    /// How heavy the data migration is: `low`, `medium` or `high`. Default
    /// `medium`.
    #[serde(default)]
    pub migration: MigrationWeight,
    /// `pa2023` (default) or `pcr2015`.
    #[serde(default = "default_regime", deserialize_with = "regime")]
    pub regime: Regime,
    /// The day the procurement starts (YYYY-MM-DD). Default: today.
    #[serde(default, deserialize_with = "opt_date")]
    pub start: Option<Date>,
    /// The intended term of the arrangement (framework, market or contract) in
    /// months. Default 48.
    #[serde(default = "default_term")]
    pub term_months: u32,
    /// The threshold row that applies (the kind in
    /// [`crate::calendar::thresholds`]): `sub_central_goods_services` (default,
    /// a council buying goods or services), `light_touch`, `works`, ...
    #[serde(default = "default_threshold_kind")]
    pub threshold_kind: String,
    /// A suitable existing framework, if there is one.
    #[serde(default)]
    pub existing_framework: Option<ExistingFramework>,
}

/// One member: an authority and the exit window of its current contract.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The authority's organisation id (e.g. `GB-LAE-CMD`).
    pub authority: OrgId,
    /// The earliest date its current contract can end.
    #[serde(deserialize_with = "req_date")]
    pub earliest: Date,
    /// The latest date, with every extension taken.
    #[serde(deserialize_with = "req_date")]
    pub latest: Date,
}

/// An existing framework the members might call off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistingFramework {
    /// Its name and reference (e.g. "RM6259 Vertical Application Solutions").
    pub name: String,
    /// Its scope or lots, as text (e.g. "Lot 3 Housing, Environmental & Planning").
    #[serde(default)]
    pub scope: String,
    /// Whether its scope covers the need.
    pub covers_need: bool,
    /// The last day call-offs may be awarded under it.
    #[serde(deserialize_with = "req_date")]
    pub expires: Date,
    /// The regime it was concluded under: `pa2023` or `pcr2015`.
    #[serde(deserialize_with = "regime")]
    pub regime: Regime,
    /// Whether it permits these members to call off (PCR 2015 reg 33(2): only
    /// the authorities identified in the call for competition).
    pub permits_members: bool,
    /// Whether it allows direct award without competition (core terms and an
    /// objective selection mechanism). Default true.
    #[serde(default = "yes")]
    pub direct_award_permitted: bool,
}

/// How standard the requirement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standardness {
    /// Bought off the shelf on price.
    Commodity,
    /// A standard product or service with little tailoring.
    #[default]
    Standard,
    /// A product configured to each buyer.
    Configurable,
    /// Designed for the buyers.
    Bespoke,
}

/// How heavy the data migration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrationWeight {
    /// Little or no data to move.
    Low,
    /// Some.
    #[default]
    Medium,
    /// A large, risky migration (e.g. a housing-management system).
    High,
}

fn default_regime() -> Regime {
    Regime::Pa2023
}
fn default_term() -> u32 {
    48
}
fn default_threshold_kind() -> String {
    "sub_central_goods_services".into()
}
fn yes() -> bool {
    true
}

fn regime<'de, D: Deserializer<'de>>(d: D) -> Result<Regime, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

/// A date: a `YYYY-MM-DD` string, or a TOML local date (which serde sees as a
/// one-entry map).
struct DateVisitor;

impl<'de> serde::de::Visitor<'de> for DateVisitor {
    type Value = Date;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date YYYY-MM-DD")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
        v.trim()
            .parse::<Date>()
            .map_err(|e| E::custom(format!("'{v}' is not a date YYYY-MM-DD: {e}")))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
        let Some((_, v)) = map.next_entry::<String, String>()? else {
            return Err(serde::de::Error::custom("expected a date YYYY-MM-DD"));
        };
        self.visit_str(&v)
    }
}

fn req_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    d.deserialize_any(DateVisitor)
}

fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    d.deserialize_any(DateVisitor).map(Some)
}

// ---------------------------------------------------------------------------
// The advice
// ---------------------------------------------------------------------------

/// The criteria each route is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// Speed against the go-live date.
    Speed,
    /// Value from aggregating the members' demand.
    Aggregation,
    /// Flexibility, and new entrants during the term.
    Flexibility,
    /// Room for innovation.
    Innovation,
    /// Fit to how standard the requirement is.
    StandardFit,
    /// Fit to the number of call-offs.
    CallOffVolume,
    /// How well the route manages the data-migration risk.
    MigrationRisk,
}

impl Criterion {
    /// All, in the order shown.
    pub const ALL: [Criterion; 7] = [
        Criterion::Speed,
        Criterion::Aggregation,
        Criterion::Flexibility,
        Criterion::Innovation,
        Criterion::StandardFit,
        Criterion::CallOffVolume,
        Criterion::MigrationRisk,
    ];

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Criterion::Speed => "Speed / urgency",
            Criterion::Aggregation => "Value from aggregation",
            Criterion::Flexibility => "Flexibility & new entrants",
            Criterion::Innovation => "Innovation",
            Criterion::StandardFit => "Fit to the requirement",
            Criterion::CallOffVolume => "Call-off volume",
            Criterion::MigrationRisk => "Migration risk",
        }
    }
}

/// One criterion's score for one route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionScore {
    /// Which criterion.
    pub criterion: Criterion,
    /// How much the scenario makes it matter (0.5–4).
    pub weight: f64,
    /// Why it has that weight.
    pub weight_reason: String,
    /// The route's score, 0–10.
    pub score: u8,
    /// `weight × score`.
    pub weighted: f64,
    /// Why the route scores that, in one line.
    pub reason: String,
}

/// One milestone of a route's timeline, as shown in the advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneView {
    /// Its name.
    pub name: String,
    /// The earliest lawful date.
    pub earliest: Date,
    /// A typical date.
    pub typical: Date,
    /// The statutory basis of the earliest date.
    pub statutory_basis: String,
    /// Where the typical figure comes from.
    pub typical_basis: String,
}

/// A route's timeline, as shown in the advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteTimeline {
    /// The regime the timeline is computed under.
    pub regime: &'static str,
    /// The start.
    pub start: Date,
    /// The milestones.
    pub milestones: Vec<MilestoneView>,
    /// The earliest lawful go-live.
    pub earliest_go_live: Date,
    /// A typical go-live.
    pub typical_go_live: Date,
    /// The latest date to start to meet the go-live date, if one was given.
    pub latest_start: Option<Date>,
    /// Notes.
    pub notes: Vec<String>,
}

impl RouteTimeline {
    fn of(t: &Timeline) -> Self {
        Self {
            regime: t.regime.id(),
            start: t.start,
            milestones: t
                .milestones
                .iter()
                .map(|m| MilestoneView {
                    name: m.name.clone(),
                    earliest: m.earliest,
                    typical: m.typical,
                    statutory_basis: m.statutory_basis.clone(),
                    typical_basis: m.typical_basis.clone(),
                })
                .collect(),
            earliest_go_live: t.earliest_go_live,
            typical_go_live: t.typical_go_live,
            latest_start: t.latest_start,
            notes: t.notes.clone(),
        }
    }
}

fn route_id<S: Serializer>(r: &Route, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

/// The verdict on one route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteVerdict {
    /// The route (serialised as its id, e.g. `dynamic-market`).
    #[serde(serialize_with = "route_id")]
    pub route: Route,
    /// Its label.
    pub label: String,
    /// Whether the route is open to these buyers for this need.
    pub available: bool,
    /// Why not, each with its citation.
    pub unavailable_reasons: Vec<String>,
    /// The total, 0–100: `10 × Σ(weight × score) / Σ weight`.
    pub score: f64,
    /// The score per criterion, each with its reason.
    pub scores: Vec<CriterionScore>,
    /// Why this route, in plain English.
    pub reasons: Vec<String>,
    /// What could go wrong.
    pub risks: Vec<String>,
    /// The timeline, with the go-live date.
    pub timeline: Option<RouteTimeline>,
    /// Citations: fact ids of the rules data, and the timeline's citations.
    pub citations: Vec<String>,
}

/// The scenario as the advisor read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSummary {
    /// The title.
    pub title: Option<String>,
    /// The category.
    pub category: Option<String>,
    /// How many distinct authorities.
    pub member_count: usize,
    /// The authorities.
    pub members: Vec<String>,
    /// The first and last date every member can exit on, if their windows share one.
    pub shared_window: Option<(Date, Date)>,
    /// The go-live date used, and where it came from.
    pub go_live: Date,
    /// Where the go-live date came from.
    pub go_live_basis: String,
    /// The start date used.
    pub start: Date,
    /// The regime.
    pub regime: &'static str,
    /// The value in pence, and as money.
    pub value_pence: Pence,
    /// The value as money.
    pub value: String,
    /// The threshold compared with, if the data has one for that date.
    pub threshold: Option<ThresholdView>,
    /// Whether the value is below the threshold.
    pub below_threshold: bool,
    /// The call-offs expected.
    pub call_offs: u32,
    /// The requirement.
    pub requirement: Standardness,
    /// The migration weight.
    pub migration: MigrationWeight,
    /// New entrants needed.
    pub needs_new_entrants: bool,
    /// Innovation needed.
    pub needs_innovation: bool,
    /// The term in months.
    pub term_months: u32,
    /// The existing framework, if any.
    pub existing_framework: Option<String>,
    /// Notes on the scenario (members outside the go-live, regime, threshold).
    pub notes: Vec<String>,
}

/// The threshold compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThresholdView {
    /// The kind.
    pub kind: String,
    /// The amount in pounds.
    pub amount_gbp: u64,
    /// Whether it includes VAT.
    pub vat_inclusive: bool,
    /// The fact id.
    pub fact_id: String,
    /// The citation.
    pub source: String,
}

/// One citation listed at the end of the advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitationRef {
    /// The fact id (or the timeline's citation text).
    pub id: String,
    /// The source (section or regulation).
    pub source: String,
    /// The statement, if the id is a fact of the rules data.
    pub statement: String,
    /// The confidence the data gives it.
    pub confidence: String,
}

/// The advice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The scenario as read.
    pub scenario: ScenarioSummary,
    /// Available routes by score (best first), then the unavailable ones.
    pub ranked: Vec<RouteVerdict>,
    /// Every citation used.
    pub citations: Vec<CitationRef>,
}

impl Advice {
    /// The best available route, if any.
    pub fn top(&self) -> Option<&RouteVerdict> {
        self.ranked.first().filter(|v| v.available)
    }

    /// The verdict on `route`.
    pub fn verdict(&self, route: Route) -> &RouteVerdict {
        self.ranked
            .iter()
            .find(|v| v.route == route)
            .expect("every route has a verdict")
    }
}

/// What can go wrong. Each message is one line and says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdviceError {
    /// No members.
    #[error("members: list at least one member (authority, earliest, latest)")]
    NoMembers,
    /// A member's window is reversed.
    #[error(
        "members: {authority} has earliest {earliest} after latest {latest}: earliest must be on or before latest"
    )]
    ReversedWindow {
        /// The authority.
        authority: String,
        /// Earliest.
        earliest: Date,
        /// Latest.
        latest: Date,
    },
    /// A value below zero.
    #[error("value_pence: {0} is negative: give the estimated total value including VAT, in pence")]
    NegativeValue(i64),
    /// The go-live is before the start.
    #[error("go_live: {go_live} is before the start {start}: give a go-live on or after the start")]
    GoLiveBeforeStart {
        /// Go-live.
        go_live: Date,
        /// Start.
        start: Date,
    },
    /// No such threshold kind.
    #[error("threshold_kind: {0}")]
    ThresholdKind(String),
    /// The term is zero.
    #[error("term_months: give the term of the arrangement in months, at least 1")]
    ZeroTerm,
}

// ---------------------------------------------------------------------------
// Fact ids used (each is checked against the data by the tests)
// ---------------------------------------------------------------------------

const DPS_LONGSTOP: &str = "tr.dps_longstop";
const PCR_CONTINUES: &str = "tr.pcr_continues";
const IN_FORCE: &str = "tr.in_force";
const PCR_FRAMEWORKS: &str = "tr.frameworks";
const PA_FRAMEWORK: &str = "pa23.s45.framework";
const PA_FW_TERM: &str = "pa23.s47.term";
const PA_OPEN_FW: &str = "pa23.s49.open_framework";
const PA_DM_ADMIT: &str = "pa23.s36.must_admit";
const PA_DM_CONDITIONS: &str = "pa23.s36.conditions";
const PA_DM_AWARD: &str = "pa23.s34.award";
const PA_DM_NO_MAX: &str = "pa23.dm.no_max_term";
const PA_OPEN: &str = "pa23.s20.open";
const PA_CFP: &str = "pa23.s20.cfp";
const PA_NOTIFIABLE: &str = "pa23.thr.s87_notifiable";
const PA_BELOW_SHORTLIST: &str = "pa23.thr.s85_works_below";
const PA_S54_SCOPE: &str = "pa23.s54.scope";
const PCR_FW_CLOSED: &str = "pcr15.fw.closed";
const PCR_FW_MULTI: &str = "pcr15.fw.multi";
const PCR_FW_TERM: &str = "pcr15.fw.max_term";
const PCR_DPS_OPEN: &str = "pcr15.dps.open";
const PCR_BELOW: &str = "pcr15.below_threshold";

/// Every fact id the advisor may cite (for the tests).
pub const FACT_IDS: &[&str] = &[
    DPS_LONGSTOP,
    PCR_CONTINUES,
    IN_FORCE,
    PCR_FRAMEWORKS,
    PA_FRAMEWORK,
    PA_FW_TERM,
    PA_OPEN_FW,
    PA_DM_ADMIT,
    PA_DM_CONDITIONS,
    PA_DM_AWARD,
    PA_DM_NO_MAX,
    PA_OPEN,
    PA_CFP,
    PA_NOTIFIABLE,
    PA_BELOW_SHORTLIST,
    PA_S54_SCOPE,
    PCR_FW_CLOSED,
    PCR_FW_MULTI,
    PCR_FW_TERM,
    PCR_DPS_OPEN,
    PCR_BELOW,
];

/// The end of 23 Feb 2029: the last day a PCR 2015 DPS can run (fact
/// `tr.dps_longstop`, SI 2024/716 reg 5(4)(b)).
pub const DPS_LONGSTOP_DATE: Date = date(2029, 2, 23);

/// The day PA 2023 came into force (fact `tr.in_force`).
const PA_IN_FORCE: Date = date(2025, 2, 24);

fn cite(id: &str) -> String {
    match rules().fact(id) {
        Some(f) => format!("{} ({})", f.short_source(), id),
        None => id.to_string(),
    }
}

fn is_existing(route: Route) -> bool {
    matches!(
        route,
        Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
    )
}

// ---------------------------------------------------------------------------
// The advisor
// ---------------------------------------------------------------------------

/// Advises on `scenario`, with `today` as the default start.
pub fn advise(scenario: &Scenario, today: Date) -> Result<Advice, AdviceError> {
    let ctx = Context::new(scenario, today)?;
    let mut verdicts: Vec<RouteVerdict> = Route::ALL.iter().map(|&r| ctx.verdict(r)).collect();
    verdicts.sort_by(|a, b| {
        b.available
            .cmp(&a.available)
            .then(b.score.total_cmp(&a.score))
            .then(
                Route::ALL
                    .iter()
                    .position(|r| *r == a.route)
                    .cmp(&Route::ALL.iter().position(|r| *r == b.route)),
            )
    });
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for v in &verdicts {
        ids.extend(v.citations.iter().cloned());
    }
    ids.extend(ctx.summary_citations.iter().cloned());
    let citations = ids
        .into_iter()
        .map(|id| match rules().fact(&id) {
            Some(f) => CitationRef {
                id: id.clone(),
                source: f.source.clone(),
                statement: f.statement.clone(),
                confidence: f.confidence.as_str().to_string(),
            },
            None => CitationRef {
                source: id.clone(),
                id,
                statement: String::new(),
                confidence: String::new(),
            },
        })
        .collect();
    Ok(Advice {
        scenario: ctx.summary,
        ranked: verdicts,
        citations,
    })
}

struct Context<'a> {
    s: &'a Scenario,
    start: Date,
    go_live: Date,
    members: usize,
    windows_overlap: bool,
    call_offs: u32,
    below: Option<calendar::Threshold>,
    summary: ScenarioSummary,
    summary_citations: Vec<String>,
    weights: [(f64, String); 7],
}

impl<'a> Context<'a> {
    fn new(s: &'a Scenario, today: Date) -> Result<Self, AdviceError> {
        if s.members.is_empty() {
            return Err(AdviceError::NoMembers);
        }
        for m in &s.members {
            if m.earliest > m.latest {
                return Err(AdviceError::ReversedWindow {
                    authority: m.authority.to_string(),
                    earliest: m.earliest,
                    latest: m.latest,
                });
            }
        }
        if s.value_pence.0 < 0 {
            return Err(AdviceError::NegativeValue(s.value_pence.0));
        }
        if s.term_months == 0 {
            return Err(AdviceError::ZeroTerm);
        }
        let start = s.start.unwrap_or(today);
        let authorities: BTreeSet<String> =
            s.members.iter().map(|m| m.authority.to_string()).collect();
        let members = authorities.len();
        let shared_from = s.members.iter().map(|m| m.earliest).max().unwrap_or(start);
        let shared_to = s.members.iter().map(|m| m.latest).min().unwrap_or(start);
        let windows_overlap = shared_from <= shared_to;
        let mut notes = Vec::new();
        let mut summary_citations = Vec::new();
        let (go_live, go_live_basis) = match s.go_live {
            Some(g) => (g, "given in the scenario".to_string()),
            None if windows_overlap => (
                shared_from.max(start),
                "the first date every member can exit on".to_string(),
            ),
            None => (
                shared_to.max(start),
                "the earliest latest exit among the members (their windows do not overlap)"
                    .to_string(),
            ),
        };
        if go_live < start {
            return Err(AdviceError::GoLiveBeforeStart { go_live, start });
        }
        for m in &s.members {
            if go_live > m.latest {
                notes.push(format!(
                    "{} must exit by {} at the latest, before the go-live {go_live}: it needs an interim extension or its own earlier route",
                    m.authority, m.latest
                ));
            } else if go_live < m.earliest {
                notes.push(format!(
                    "{} cannot exit before {}, after the go-live {go_live}: it would join later by its own call-off",
                    m.authority, m.earliest
                ));
            }
        }
        if s.regime == Regime::Pcr2015 && start >= PA_IN_FORCE {
            notes.push(format!(
                "PCR 2015 applies only to procurements begun before {PA_IN_FORCE}; a new procurement begun on {start} is under PA 2023 ({}, {})",
                cite(PCR_CONTINUES),
                cite(IN_FORCE)
            ));
            summary_citations.extend([PCR_CONTINUES.to_string(), IN_FORCE.to_string()]);
        }
        // The threshold on the start date.
        let (threshold, below) = match calendar::threshold(s.regime, start, &s.threshold_kind) {
            Ok(t) => {
                let below = (s.value_pence.0 as u128) < (t.amount_gbp as u128) * 100;
                summary_citations.push(t.fact_id.clone());
                let view = ThresholdView {
                    kind: t.kind.clone(),
                    amount_gbp: t.amount_gbp,
                    vat_inclusive: t.vat_inclusive,
                    fact_id: t.fact_id.clone(),
                    source: t.source.clone(),
                };
                if below {
                    notes.push(format!(
                        "{} is below the {} threshold of {} ({}, {}): the below-threshold rules apply instead (see each route)",
                        s.value_pence.display(),
                        s.regime.name(),
                        Pence(t.amount_gbp as i64 * 100).display(),
                        calendar::short_citation(&t.source),
                        t.fact_id
                    ));
                }
                (Some(view), below.then_some(t))
            }
            Err(calendar::CalendarError::NoThreshold { why, .. })
                if why.contains("no threshold of kind") =>
            {
                return Err(AdviceError::ThresholdKind(why));
            }
            Err(e) => {
                notes.push(format!("no threshold compared: {e}"));
                (None, None)
            }
        };
        let call_offs = s.call_offs.unwrap_or(members as u32).max(1);
        let months_to_go_live = months_between(start, go_live);
        let weights = [
            match months_to_go_live {
                m if m <= 12.0 => (
                    4.0,
                    format!("go-live in {m:.0} months, mobilisation included: urgent"),
                ),
                m if m <= 18.0 => (2.5, format!("go-live in {m:.0} months: pressing")),
                m if m <= 30.0 => (1.0, format!("go-live in {m:.0} months")),
                m => (0.5, format!("go-live in {m:.0} months: time to spare")),
            },
            match members {
                1 => (0.5, "a single authority: little to aggregate".to_string()),
                2..=3 => (1.5, format!("{members} authorities buying together")),
                4..=7 => (
                    2.5,
                    format!("{members} similar authorities seeking value together"),
                ),
                _ => (
                    3.0,
                    format!("{members} similar authorities seeking value together"),
                ),
            },
            if s.needs_new_entrants {
                (
                    3.0,
                    "the buyers need new entrants during the term".to_string(),
                )
            } else {
                (0.5, "new entrants not needed".to_string())
            },
            if s.needs_innovation {
                (2.5, "the buyers need innovation".to_string())
            } else {
                (0.5, "innovation not needed".to_string())
            },
            (
                1.5,
                format!("the requirement is {}", standard_word(s.requirement)),
            ),
            match call_offs {
                1 => (1.5, "a single contract".to_string()),
                2..=5 => (1.0, format!("{call_offs} call-offs over the term")),
                _ => (1.5, format!("{call_offs} call-offs over the term: many")),
            },
            match s.migration {
                MigrationWeight::Low => (0.5, "light data migration".to_string()),
                MigrationWeight::Medium => (1.0, "a moderate data migration".to_string()),
                MigrationWeight::High => (2.0, "a heavy, risky data migration".to_string()),
            },
        ];
        let summary = ScenarioSummary {
            title: s.title.clone(),
            category: s.category.clone(),
            member_count: members,
            members: authorities.into_iter().collect(),
            shared_window: windows_overlap.then_some((shared_from, shared_to)),
            go_live,
            go_live_basis,
            start,
            regime: s.regime.id(),
            value_pence: s.value_pence,
            value: s.value_pence.display(),
            threshold,
            below_threshold: below.is_some(),
            call_offs,
            requirement: s.requirement,
            migration: s.migration,
            needs_new_entrants: s.needs_new_entrants,
            needs_innovation: s.needs_innovation,
            term_months: s.term_months,
            existing_framework: s
                .existing_framework
                .as_ref()
                .map(|f| format!("{} (expires {}, {})", f.name, f.expires, f.regime.name())),
            notes,
        };
        Ok(Self {
            s,
            start,
            go_live,
            members,
            windows_overlap,
            call_offs,
            below,
            summary,
            summary_citations,
            weights,
        })
    }

    /// The regime a route's timeline runs under: an existing framework's own.
    fn route_regime(&self, route: Route) -> Regime {
        match (&self.s.existing_framework, is_existing(route)) {
            (Some(f), true) => f.regime,
            _ => self.s.regime,
        }
    }

    fn verdict(&self, route: Route) -> RouteVerdict {
        let regime = self.route_regime(route);
        let mut out = RouteVerdict {
            route,
            label: route.label().to_string(),
            available: true,
            unavailable_reasons: Vec::new(),
            score: 0.0,
            scores: Vec::new(),
            reasons: Vec::new(),
            risks: Vec::new(),
            timeline: None,
            citations: Vec::new(),
        };
        // With the go-live first; if that cannot be searched (e.g. a go-live
        // beyond the calendar's data), without it.
        let tl = timeline::timeline(route, regime, self.start, Some(self.go_live))
            .or_else(|_| timeline::timeline(route, regime, self.start, None));
        let tl = match tl {
            Ok(t) => Some(t),
            Err(TimelineError::NotAvailable { why, .. }) => {
                Self::unavailable(
                    &mut out,
                    format!(
                        "not available under {} from {}: {why}",
                        regime.name(),
                        self.start
                    ),
                    &[],
                );
                None
            }
            Err(e) => {
                out.risks
                    .push(format!("no timeline could be computed: {e}"));
                None
            }
        };
        if let Some(t) = &tl {
            out.timeline = Some(RouteTimeline::of(t));
            for m in &t.milestones {
                out.citations.extend(m.citations.iter().cloned());
            }
        }
        self.availability(route, regime, tl.as_ref(), &mut out);
        self.score(route, regime, tl.as_ref(), &mut out);
        self.narrative(route, regime, &mut out);
        let speed = &out.scores[0].reason;
        if speed.starts_with("cannot meet") || speed.starts_with("meets the go-live") {
            out.risks.insert(0, format!("go-live: this route {speed}"));
        }
        let mut seen = BTreeSet::new();
        out.citations.retain(|c| seen.insert(c.clone()));
        out
    }

    fn unavailable(out: &mut RouteVerdict, reason: String, ids: &[&str]) {
        out.available = false;
        out.unavailable_reasons.push(reason);
        out.citations.extend(ids.iter().map(|s| s.to_string()));
    }

    fn availability(
        &self,
        route: Route,
        regime: Regime,
        tl: Option<&Timeline>,
        out: &mut RouteVerdict,
    ) {
        let s = self.s;
        if is_existing(route) {
            let Some(f) = &s.existing_framework else {
                Self::unavailable(
                    out,
                    "no existing framework is named in the scenario, so there is none to call off"
                        .into(),
                    &[],
                );
                return;
            };
            let fw_cite = match f.regime {
                Regime::Pa2023 => PA_FRAMEWORK,
                Regime::Pcr2015 => PCR_FW_CLOSED,
            };
            if !f.covers_need {
                Self::unavailable(
                    out,
                    format!(
                        "{} does not cover the need (scope: {}): a call-off must be within the framework's scope ({})",
                        f.name,
                        if f.scope.is_empty() {
                            "not given"
                        } else {
                            &f.scope
                        },
                        cite(fw_cite)
                    ),
                    &[fw_cite],
                );
            }
            if !f.permits_members {
                Self::unavailable(
                    out,
                    format!(
                        "{} does not permit these members to call off: only the authorities identified when it was set up may use it ({})",
                        f.name,
                        cite(fw_cite)
                    ),
                    &[fw_cite],
                );
            }
            if route == Route::ExistingFrameworkDirectAward && !f.direct_award_permitted {
                let c = match f.regime {
                    Regime::Pa2023 => PA_FRAMEWORK,
                    Regime::Pcr2015 => PCR_FW_MULTI,
                };
                Self::unavailable(
                    out,
                    format!(
                        "{} does not provide for direct award (it needs core terms and an objective selection mechanism): call off by further competition instead ({})",
                        f.name,
                        cite(c)
                    ),
                    &[c],
                );
            }
            // The call-off must be awarded before the framework expires.
            let (earliest, typical) = match tl {
                Some(t) => award_dates(t),
                None => {
                    let weeks = nominal_weeks(route);
                    let d = self.start.saturating_add((weeks * 7).days());
                    (d, d)
                }
            };
            if f.expires < earliest {
                Self::unavailable(
                    out,
                    format!(
                        "{} expires on {}, before the earliest the call-off can be awarded ({earliest}, starting {}): a call-off cannot be made after a framework ends",
                        f.name, f.expires, self.start
                    ),
                    &[fw_cite],
                );
            } else if f.expires < typical {
                out.risks.push(format!(
                    "{} expires on {}: the call-off must be awarded by then, but a typical call-off would be awarded on {typical}; plan to the statutory minimums and start at once",
                    f.name, f.expires
                ));
            } else if months_between(typical, f.expires) < 3.0 {
                out.risks.push(format!(
                    "{} expires on {}, under three months after a typical call-off award ({typical}): little room for slippage",
                    f.name, f.expires
                ));
            }
            if f.regime == Regime::Pcr2015 {
                out.reasons.push(format!(
                    "{} was concluded under PCR 2015, so the call-off follows PCR 2015 reg 33 until the framework expires; PCR frameworks have no longstop ({})",
                    f.name,
                    cite(PCR_FRAMEWORKS)
                ));
                out.citations.push(PCR_FRAMEWORKS.into());
            }
            return;
        }

        // A new procurement.
        if regime == Regime::Pcr2015 && self.start >= PA_IN_FORCE {
            Self::unavailable(
                out,
                format!(
                    "a new procurement begun on {} cannot be under PCR 2015, which continues only for procurements begun before {PA_IN_FORCE} ({}): run it under PA 2023",
                    self.start,
                    cite(PCR_CONTINUES)
                ),
                &[PCR_CONTINUES],
            );
        }
        if route == Route::OpenFramework && regime == Regime::Pcr2015 {
            Self::unavailable(
                out,
                format!(
                    "PCR 2015 has no open framework: it is a PA 2023 arrangement ({})",
                    cite(PA_OPEN_FW)
                ),
                &[PA_OPEN_FW],
            );
        }
        if route == Route::CompetitiveFlexible && regime == Regime::Pcr2015 {
            Self::unavailable(
                out,
                format!(
                    "the competitive flexible procedure is a PA 2023 procedure ({}); under PCR 2015 the nearest are the competitive procedure with negotiation and competitive dialogue",
                    cite(PA_CFP)
                ),
                &[PA_CFP],
            );
        }
        if route == Route::DynamicMarket && regime == Regime::Pcr2015 {
            // A PCR DPS: set up, then runs for the term.
            let established = tl
                .and_then(|t| {
                    t.milestones
                        .iter()
                        .find(|m| {
                            let n = m.name.to_ascii_lowercase();
                            n.contains("establish") || n.contains("set up")
                        })
                        .map(|m| m.typical)
                })
                .unwrap_or_else(|| self.start.saturating_add((20 * 7).days()));
            let ends = established.saturating_add((self.s.term_months as i32).months());
            if ends > DPS_LONGSTOP_DATE {
                Self::unavailable(
                    out,
                    format!(
                        "a PCR 2015 DPS established around {established} for {} months would run to {ends}, but a PCR DPS expires at the end of 23 Feb 2029 ({DPS_LONGSTOP_DATE}) at the latest and its validity cannot be changed after 23 Feb 2026 ({})",
                        self.s.term_months,
                        cite(DPS_LONGSTOP)
                    ),
                    &[DPS_LONGSTOP],
                );
            } else {
                out.risks.push(format!(
                    "a PCR 2015 DPS must end by {DPS_LONGSTOP_DATE} ({}): members exiting later cannot use it",
                    cite(DPS_LONGSTOP)
                ));
                out.citations.push(DPS_LONGSTOP.into());
            }
        }
        if let Some(t) = &self.below {
            let amount = Pence(t.amount_gbp as i64 * 100).display();
            let thr = format!(
                "{} ({}, {})",
                amount,
                calendar::short_citation(&t.source),
                t.fact_id
            );
            out.citations.push(t.fact_id.clone());
            let instead = match regime {
                Regime::Pa2023 => {
                    out.citations
                        .extend([PA_NOTIFIABLE.to_string(), PA_BELOW_SHORTLIST.to_string()]);
                    let notifiable = self.s.value_pence.0 >= 30_000 * 100;
                    format!(
                        "the below-threshold rules of PA 2023 Part 6 (ss.84–88) apply instead: {}; no shortlisting of suppliers by a suitability assessment, save for larger works contracts ({}); consider SMEs; the s.54 minimum periods and s.51 standstill do not bind",
                        if notifiable {
                            format!(
                                "as a notifiable contract (at least £30,000) publish a below-threshold tender notice before advertising openly and a contract details notice after award ({})",
                                cite(PA_NOTIFIABLE)
                            )
                        } else {
                            format!(
                                "below £30,000 no notice is required ({}); the council's contract standing orders govern",
                                cite(PA_NOTIFIABLE)
                            )
                        },
                        cite(PA_BELOW_SHORTLIST)
                    )
                }
                Regime::Pcr2015 => {
                    out.citations.push(PCR_BELOW.to_string());
                    format!(
                        "the below-threshold rules of PCR 2015 Part 4 Chapter 8 apply instead: an advertised opportunity must also go on Contracts Finder and the award be published there ({})",
                        cite(PCR_BELOW)
                    )
                }
            };
            match route {
                Route::OpenProcedure => {
                    out.reasons.push(format!(
                        "the value {} is below the threshold {thr}, so this is an open below-threshold competition rather than the Act's open procedure: {instead}",
                        self.s.value_pence.display()
                    ));
                }
                _ => Self::unavailable(
                    out,
                    format!(
                        "the value {} is below the threshold {thr}: the route '{}' is a regulated procedure or arrangement for contracts above the threshold, so it is not available here; {instead}",
                        self.s.value_pence.display(),
                        route.label()
                    ),
                    &[],
                ),
            }
        }
    }

    fn score(&self, route: Route, regime: Regime, tl: Option<&Timeline>, out: &mut RouteVerdict) {
        use Route::*;
        let s = self.s;
        let mut scores = Vec::with_capacity(7);
        for (i, c) in Criterion::ALL.into_iter().enumerate() {
            let (score, reason): (u8, String) = match c {
                Criterion::Speed => self.speed(route, tl),
                Criterion::Aggregation => {
                    let spread = !self.windows_overlap && self.members > 1;
                    match route {
                        OwnFramework => (10, "one framework sized and specified for the members, each calling off when its contract ends: the most value from aggregation".into()),
                        OpenFramework => (9, "a framework for the members that is reopened in successive rounds: aggregated demand, refreshed supply".into()),
                        ExistingFrameworkFurtherCompetition => (7, "national demand already aggregated; a joint further competition adds the members' volume".into()),
                        ExistingFrameworkDirectAward => (6, "national prices already aggregated, but no leverage from the members' own volume".into()),
                        DynamicMarket => (6, "one market for all members, but each award is competed separately".into()),
                        OpenProcedure | CompetitiveFlexible if spread => (2, "one joint contract, but the members' exit windows do not overlap, so they cannot all start together".into()),
                        OpenProcedure | CompetitiveFlexible => (4, "one joint contract for the members whose windows line up; no catalogue for others to use".into()),
                    }
                }
                Criterion::Flexibility => match route {
                    DynamicMarket => (10, "suppliers can apply to join at any time and must be admitted if they meet proportionate membership conditions".into()),
                    OpenFramework => (7, "reopened to new suppliers at least once within 3 years, then every 5".into()),
                    CompetitiveFlexible => (4, "any proportionate design, but no suppliers can be added after the first round".into()),
                    OpenProcedure => (3, "open to all once, then closed for the contract term".into()),
                    OwnFramework | ExistingFrameworkFurtherCompetition => (2, "closed to new suppliers for the framework's term".into()),
                    ExistingFrameworkDirectAward => (1, "the supplier and terms are already fixed".into()),
                },
                Criterion::Innovation => match route {
                    CompetitiveFlexible => (10, "the procedure can be designed with dialogue and negotiation to shape new solutions".into()),
                    DynamicMarket => (7, "new entrants keep joining and each award can be shaped by a competitive flexible procedure".into()),
                    OpenFramework => (5, "new suppliers at each reopening".into()),
                    OpenProcedure => (4, "a single stage with no negotiation limits how far bidders can shape the solution".into()),
                    OwnFramework | ExistingFrameworkFurtherCompetition => (4, "solutions are fixed at the framework's award; call-offs can refine only within its terms".into()),
                    ExistingFrameworkDirectAward => (1, "buys what the framework already lists".into()),
                },
                Criterion::StandardFit => {
                    let col = match s.requirement {
                        Standardness::Commodity => 0,
                        Standardness::Standard => 1,
                        Standardness::Configurable => 2,
                        Standardness::Bespoke => 3,
                    };
                    let pcr_dps = route == DynamicMarket && regime == Regime::Pcr2015;
                    let row: [u8; 4] = match route {
                        ExistingFrameworkDirectAward => [10, 8, 4, 1],
                        ExistingFrameworkFurtherCompetition => [8, 9, 7, 3],
                        OwnFramework => [8, 9, 7, 4],
                        OpenFramework => [7, 8, 7, 4],
                        DynamicMarket if pcr_dps => [9, 8, 4, 2],
                        DynamicMarket => [9, 8, 6, 5],
                        OpenProcedure => [6, 7, 6, 5],
                        CompetitiveFlexible => [3, 5, 8, 10],
                    };
                    let why = match (route, s.requirement) {
                        (ExistingFrameworkDirectAward, Standardness::Commodity | Standardness::Standard) => "a standard need bought on the framework's fixed terms".into(),
                        (ExistingFrameworkDirectAward, _) => "fixed terms fit a tailored need badly".into(),
                        (CompetitiveFlexible, Standardness::Configurable | Standardness::Bespoke) => "a tailored need is best specified and negotiated in a flexible procedure".into(),
                        (CompetitiveFlexible, _) => "a flexible procedure is more than a standard need requires".into(),
                        (DynamicMarket, _) if pcr_dps => "a PCR DPS is only for commonly used purchases".into(),
                        (_, r) => format!("suits a {} requirement {}", standard_word(r), if row[col] >= 7 { "well" } else { "moderately" }),
                    };
                    (row[col], why)
                }
                Criterion::CallOffVolume => {
                    let band = match self.call_offs {
                        1 => 0,
                        2..=5 => 1,
                        _ => 2,
                    };
                    let row: [u8; 3] = match route {
                        ExistingFrameworkDirectAward => [6, 8, 10],
                        ExistingFrameworkFurtherCompetition => [6, 8, 9],
                        OwnFramework => [2, 7, 10],
                        OpenFramework => [2, 6, 10],
                        DynamicMarket => [2, 7, 10],
                        OpenProcedure => [10, 5, 2],
                        CompetitiveFlexible => [10, 4, 1],
                    };
                    let why = match (route, band) {
                        (OpenProcedure | CompetitiveFlexible, 0) => "one contract: a single procurement is the simplest fit".to_string(),
                        (OpenProcedure | CompetitiveFlexible, _) => format!("{} call-offs would each need their own procurement", self.call_offs),
                        (_, 0) => "setting up an arrangement for one contract is overhead".to_string(),
                        (_, _) => format!("{} call-offs from one arrangement set up once", self.call_offs),
                    };
                    (row[band], why)
                }
                Criterion::MigrationRisk => match route {
                    CompetitiveFlexible => (9, "migration approach can be tested and negotiated before award".into()),
                    OpenProcedure | ExistingFrameworkFurtherCompetition => (7, "migration requirements and method can be evaluated in the competition".into()),
                    OwnFramework | OpenFramework | DynamicMarket => (6, "migration can be evaluated at each call-off, within the arrangement's criteria".into()),
                    ExistingFrameworkDirectAward => (3, "no competition to test how the supplier would migrate the data".into()),
                },
            };
            let (weight, weight_reason) = self.weights[i].clone();
            scores.push(CriterionScore {
                criterion: c,
                weight,
                weight_reason,
                score,
                weighted: weight * score as f64,
                reason,
            });
        }
        let wsum: f64 = scores.iter().map(|c| c.weight).sum();
        let total: f64 = scores.iter().map(|c| c.weighted).sum();
        out.score = (100.0 * total / wsum).round() / 10.0;
        out.scores = scores;
    }

    /// Speed: months from start to a typical go-live, and whether the go-live is met.
    /// Speed: the months from the start to the contract being entered into (the
    /// routes differ there; mobilisation after it is the same for every route),
    /// then whether the go-live is met.
    fn speed(&self, route: Route, tl: Option<&Timeline>) -> (u8, String) {
        let (earliest, typical, contract, basis) = match tl {
            Some(t) => (
                t.earliest_go_live,
                t.typical_go_live,
                award_dates(t).1,
                "the timeline's typical dates",
            ),
            None => {
                let c = self.start.saturating_add((nominal_weeks(route) * 7).days());
                let g = c.saturating_add((MOBILISATION_WEEKS * 7).days());
                (g, g, c, "Consort's nominal durations (no timeline)")
            }
        };
        let months = months_between(self.start, contract);
        let base = (10.0 - 1.5 * months).clamp(0.0, 10.0).round() as u8;
        if earliest > self.go_live {
            (
                0,
                format!(
                    "cannot meet the go-live {}: even at the statutory minimums it is {earliest}",
                    self.go_live
                ),
            )
        } else if typical > self.go_live {
            (
                base.saturating_sub(1),
                format!(
                    "contract in {months:.1} months, but go-live {} is met only by cutting the typical durations (typical go-live {typical}; one mark off)",
                    self.go_live
                ),
            )
        } else {
            (
                base,
                format!(
                    "contract in {months:.1} months, typical go-live {typical}, by the go-live {} ({basis})",
                    self.go_live
                ),
            )
        }
    }

    fn narrative(&self, route: Route, regime: Regime, out: &mut RouteVerdict) {
        use Route::*;
        let s = self.s;
        let pa = regime == Regime::Pa2023;
        match route {
            ExistingFrameworkDirectAward | ExistingFrameworkFurtherCompetition => {
                out.reasons.push(
                    "speed: the framework's competition is already done, so only the call-off remains".into(),
                );
                if let Some(f) = &s.existing_framework
                    && !f.scope.is_empty()
                {
                    out.reasons.push(format!("scope: {}", f.scope));
                }
                if route == ExistingFrameworkDirectAward {
                    out.risks.push("no competition between the framework's suppliers: value rests on the framework's prices and the selection mechanism".into());
                }
                out.risks.push(
                    "the framework's terms and supplier list are fixed: new entrants cannot join"
                        .into(),
                );
                if pa {
                    out.reasons.push(format!("a call-off needs no mandatory standstill, but a contract award notice before it is entered into ({})", cite(PA_FRAMEWORK)));
                    out.citations.push(PA_FRAMEWORK.into());
                } else {
                    out.citations.push(PCR_FW_MULTI.into());
                    out.reasons.push(format!("call-off by direct award (all terms set), a hybrid, or mini-competition ({})", cite(PCR_FW_MULTI)));
                }
            }
            OwnFramework => {
                out.reasons.push(format!(
                    "many similar authorities seeking value: one framework (and catalogue) lets each member call off when its own contract ends ({})",
                    cite(if pa { PA_FRAMEWORK } else { PCR_FW_MULTI })
                ));
                out.citations
                    .push((if pa { PA_FRAMEWORK } else { PCR_FW_MULTI }).into());
                let c = if pa { PA_FW_TERM } else { PCR_FW_TERM };
                out.citations.push(c.into());
                if s.term_months > 48 {
                    out.risks.push(format!("a {}-month term exceeds the 4-year maximum for a framework unless the nature of the requirement justifies it ({})", s.term_months, cite(c)));
                } else {
                    out.reasons
                        .push(format!("a framework may last up to 4 years ({})", cite(c)));
                }
                out.risks
                    .push("closed for its term: suppliers that appear later cannot join".into());
                out.risks.push(
                    "the longest set-up: the framework must be competed before the first call-off"
                        .into(),
                );
            }
            OpenFramework => {
                out.reasons.push(format!(
                    "a framework reopened to new suppliers at intervals, up to 8 years in all ({})",
                    cite(PA_OPEN_FW)
                ));
                out.citations.push(PA_OPEN_FW.into());
                out.risks
                    .push("each reopening is a new competition to run".into());
                if s.term_months > 96 {
                    out.risks.push(format!("an open framework ends 8 years after its first award; {} months is longer ({})", s.term_months, cite(PA_OPEN_FW)));
                }
            }
            DynamicMarket => {
                if pa {
                    out.reasons.push(format!("flexibility and new entrants: suppliers may apply at any time and must be admitted if they meet the conditions ({})", cite(PA_DM_ADMIT)));
                    out.reasons.push(format!("specific qualifying criteria can be set as proportionate membership conditions, fixed for the market's term ({})", cite(PA_DM_CONDITIONS)));
                    out.reasons.push(format!("each award is a competitive flexible procedure among members, with a 10-day minimum tendering period ({})", cite(PA_DM_AWARD)));
                    out.reasons
                        .push(format!("no maximum term ({})", cite(PA_DM_NO_MAX)));
                    out.citations.extend(
                        [PA_DM_ADMIT, PA_DM_CONDITIONS, PA_DM_AWARD, PA_DM_NO_MAX]
                            .map(String::from),
                    );
                } else {
                    out.reasons.push(format!("a PCR 2015 DPS is open throughout to any supplier meeting the selection criteria, for commonly used purchases ({})", cite(PCR_DPS_OPEN)));
                    out.citations.push(PCR_DPS_OPEN.into());
                }
                out.risks.push("each award must be competed among members: slower per call-off than a direct award".into());
                out.risks.push("membership conditions cannot be changed during the term; get them right before establishing it".into());
            }
            OpenProcedure => {
                out.reasons.push(format!(
                    "a single-stage competition open to anyone ({})",
                    cite(PA_OPEN)
                ));
                out.citations.push(PA_OPEN.into());
                if self.members > 1 {
                    out.risks.push("one contract for all members: members whose contracts end at other times must wait or extend".into());
                }
            }
            CompetitiveFlexible => {
                out.reasons.push(format!("a procedure of the authority's own proportionate design, with negotiation and refinement ({})", cite(PA_CFP)));
                out.citations.push(PA_CFP.into());
                out.risks
                    .push("takes longer and needs more commercial skill to run".into());
            }
        }
        if s.migration == MigrationWeight::High {
            out.risks.push("a heavy data migration: allow time after award for mobilisation and parallel running".into());
        }
    }
}

/// The earliest and typical award dates of the call-off: the last milestone
/// naming an award or contract, else the go-live.
fn award_dates(t: &Timeline) -> (Date, Date) {
    t.milestones
        .iter()
        .rev()
        .find(|m| {
            let n = m.name.to_ascii_lowercase();
            n.contains("award") || n.contains("contract")
        })
        .map(|m| (m.earliest, m.typical))
        .unwrap_or((t.earliest_go_live, t.typical_go_live))
}

/// Consort's nominal weeks from the start to the contract, used only when no
/// timeline can be computed (e.g. a date outside the calendar's data).
fn nominal_weeks(route: Route) -> i64 {
    match route {
        Route::ExistingFrameworkDirectAward => 5,
        Route::ExistingFrameworkFurtherCompetition => 8,
        Route::OwnFramework => 24,
        Route::OpenFramework => 24,
        Route::DynamicMarket => 16,
        Route::OpenProcedure => 14,
        Route::CompetitiveFlexible => 24,
    }
}

/// Consort's nominal mobilisation after the contract, in weeks (only when no
/// timeline can be computed).
const MOBILISATION_WEEKS: i64 = 52;

fn months_between(a: Date, b: Date) -> f64 {
    (b - a).get_days() as f64 / 30.44
}

fn standard_word(s: Standardness) -> &'static str {
    match s {
        Standardness::Commodity => "a commodity",
        Standardness::Standard => "standard",
        Standardness::Configurable => "configurable",
        Standardness::Bespoke => "bespoke",
    }
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

impl Advice {
    /// The advice as Markdown: the scenario, then each route ranked with its
    /// score table, reasons, risks, timeline and citations.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let s = &self.scenario;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Route-to-market advice{}\n",
            s.title
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default()
        );
        if let Some(c) = &s.category {
            let _ = writeln!(o, "- Category: {c}");
        }
        let _ = writeln!(
            o,
            "- Members ({}): {}",
            s.member_count,
            s.members.join(", ")
        );
        if let Some((a, b)) = s.shared_window {
            let _ = writeln!(o, "- Shared exit window: {a} to {b}");
        } else {
            let _ = writeln!(
                o,
                "- Shared exit window: none (the members' windows do not overlap)"
            );
        }
        let _ = writeln!(
            o,
            "- Start: {}; go-live: {} ({})",
            s.start, s.go_live, s.go_live_basis
        );
        let _ = writeln!(o, "- Regime: {}", s.regime);
        let _ = write!(o, "- Estimated value: {}", s.value);
        if let Some(t) = &s.threshold {
            let _ = write!(
                o,
                " — {} the {} threshold of {} ({}, {})",
                if s.below_threshold { "below" } else { "above" },
                t.kind,
                Pence(t.amount_gbp as i64 * 100).display(),
                calendar::short_citation(&t.source),
                t.fact_id
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "- Requirement: {}; migration: {}; call-offs: {}; term: {} months; new entrants: {}; innovation: {}",
            standard_word(s.requirement),
            match s.migration {
                MigrationWeight::Low => "low",
                MigrationWeight::Medium => "medium",
                MigrationWeight::High => "high",
            },
            s.call_offs,
            s.term_months,
            yes_no(s.needs_new_entrants),
            yes_no(s.needs_innovation)
        );
        if let Some(f) = &s.existing_framework {
            let _ = writeln!(o, "- Existing framework: {f}");
        }
        for n in &s.notes {
            let _ = writeln!(o, "- Note: {n}");
        }
        let _ = writeln!(o, "\n## Ranking\n");
        let _ = writeln!(o, "| # | Route | Available | Score |");
        let _ = writeln!(o, "|---|---|---|---|");
        for (i, v) in self.ranked.iter().enumerate() {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                i + 1,
                v.label,
                if v.available { "yes" } else { "**no**" },
                if v.available {
                    format!("{:.1}", v.score)
                } else {
                    "—".into()
                }
            );
        }
        for (i, v) in self.ranked.iter().enumerate() {
            let _ = writeln!(o, "\n## {}. {} (`{}`)\n", i + 1, v.label, v.route.as_str());
            if v.available {
                let _ = writeln!(o, "**Score {:.1} / 100**\n", v.score);
            } else {
                let _ = writeln!(o, "**Not available:**\n");
                for r in &v.unavailable_reasons {
                    let _ = writeln!(o, "- {r}");
                }
                let _ = writeln!(o, "\nIf it were available it would score {:.1}.\n", v.score);
            }
            let _ = writeln!(o, "| Criterion | Weight | Score | Weighted | Why |");
            let _ = writeln!(o, "|---|---|---|---|---|");
            for c in &v.scores {
                let _ = writeln!(
                    o,
                    "| {} | {:.1} ({}) | {}/10 | {:.1} | {} |",
                    c.criterion.label(),
                    c.weight,
                    cell(&c.weight_reason),
                    c.score,
                    c.weighted,
                    cell(&c.reason)
                );
            }
            if !v.reasons.is_empty() {
                let _ = writeln!(o, "\n**Reasons**\n");
                for r in &v.reasons {
                    let _ = writeln!(o, "- {r}");
                }
            }
            if !v.risks.is_empty() {
                let _ = writeln!(o, "\n**Risks**\n");
                for r in &v.risks {
                    let _ = writeln!(o, "- {r}");
                }
            }
            if let Some(t) = &v.timeline {
                let _ = writeln!(o, "\n**Timeline** ({}, from {})\n", t.regime, t.start);
                let _ = writeln!(
                    o,
                    "| Milestone | Earliest (statutory) | Typical | Statutory basis | Typical basis |"
                );
                let _ = writeln!(o, "|---|---|---|---|---|");
                for m in &t.milestones {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} | {} | {} |",
                        cell(&m.name),
                        m.earliest,
                        m.typical,
                        cell(&m.statutory_basis),
                        cell(&m.typical_basis)
                    );
                }
                let _ = writeln!(
                    o,
                    "\nGo-live: earliest {}, typical {}{}",
                    t.earliest_go_live,
                    t.typical_go_live,
                    t.latest_start
                        .map(|d| format!("; latest start for the go-live: {d}"))
                        .unwrap_or_default()
                );
                if !t.notes.is_empty() {
                    let _ = writeln!(o);
                }
                for n in &t.notes {
                    let _ = writeln!(o, "- {n}");
                }
            }
            if !v.citations.is_empty() {
                let _ = writeln!(o, "\n**Citations:** {}", v.citations.join("; "));
            }
        }
        let _ = writeln!(o, "\n## Citations\n");
        for c in &self.citations {
            if c.statement.is_empty() {
                let _ = writeln!(o, "- {}", c.id);
            } else {
                let _ = writeln!(
                    o,
                    "- `{}` — {} ({}): {}",
                    c.id, c.source, c.confidence, c.statement
                );
            }
        }
        let _ = writeln!(
            o,
            "\nThis is decision support, not legal advice: check the figures against legislation.gov.uk."
        );
        o
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
