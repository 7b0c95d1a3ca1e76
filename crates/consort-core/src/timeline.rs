//! Procurement timelines: for each route to market, the milestones with their
//! earliest lawful date (the statutory minimum, from the legal clock in
//! [`crate::calendar`]) and a typical date (realistic durations, each stated with
//! where it comes from), and, given a go-live date, the latest day to start.
//!
//! `start` is the day the procurement begins: the tender notice (UK4) or contract
//! notice for a competition, the dynamic market notice (UK13) or DPS contract
//! notice, or the invitation to the framework's suppliers for a call-off.
//! Preparation before that (market engagement, lots, documents) is not in the
//! timeline; the planner allows a third of its 9-month lead time for it.
//!
//! Earliest dates: a step with a statutory minimum takes the last day of that
//! period from [`calendar::compute`] (or, for the periods the clock does not
//! compute, the same counting rules from the data, citing the fact). A step the
//! law sets no minimum for says "no statutory minimum" and its earliest date is
//! the previous milestone's (or the day after, where the previous milestone is a
//! deadline that runs to the end of its day). Typical dates add the realistic
//! durations in [`ASSUMPTIONS`] — Consort's assumptions unless a source is named —
//! but never fall below the statutory minimum counted from the typical dates.
//!
//! Pure: no I/O, no clock.

use crate::calendar::{
    self, CalendarError, Period, PeriodResult, Regime, calendar, rules, short_citation,
};
use crate::planner::PlanParams;
use jiff::civil::Date;
use jiff::{Span, ToSpan};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A route to market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// A call-off from an existing framework by direct award.
    ExistingFrameworkDirectAward,
    /// A call-off from an existing framework by further (mini-) competition.
    ExistingFrameworkFurtherCompetition,
    /// Set up the consortium's own framework, then the first call-off.
    OwnFramework,
    /// Set up an open framework (PA 2023 s.49), then the first call-off.
    OpenFramework,
    /// Set up a dynamic market (PA 2023) or DPS (PCR 2015), admit suppliers, then
    /// the first award.
    DynamicMarket,
    /// A single-stage open procedure.
    OpenProcedure,
    /// A competitive flexible procedure (PA 2023); under PCR 2015 the restricted
    /// procedure, its nearest two-stage equivalent.
    CompetitiveFlexible,
}

impl Route {
    /// Every route, in the order they are listed to users.
    pub const ALL: [Route; 7] = [
        Route::ExistingFrameworkDirectAward,
        Route::ExistingFrameworkFurtherCompetition,
        Route::OwnFramework,
        Route::OpenFramework,
        Route::DynamicMarket,
        Route::OpenProcedure,
        Route::CompetitiveFlexible,
    ];

    /// The command-line spelling, e.g. `existing-framework-direct-award`.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::ExistingFrameworkDirectAward => "existing-framework-direct-award",
            Route::ExistingFrameworkFurtherCompetition => "existing-framework-further-competition",
            Route::OwnFramework => "own-framework",
            Route::OpenFramework => "open-framework",
            Route::DynamicMarket => "dynamic-market",
            Route::OpenProcedure => "open-procedure",
            Route::CompetitiveFlexible => "competitive-flexible",
        }
    }

    /// The name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Route::ExistingFrameworkDirectAward => "Existing framework: direct award",
            Route::ExistingFrameworkFurtherCompetition => "Existing framework: further competition",
            Route::OwnFramework => "Own framework and catalogue (establish, then first call-off)",
            Route::OpenFramework => "Open framework (establish, then first call-off)",
            Route::DynamicMarket => {
                "Dynamic market / dynamic purchasing system (establish, admit, first call-off)"
            }
            Route::OpenProcedure => "Open procedure",
            Route::CompetitiveFlexible => "Competitive flexible procedure",
        }
    }

    /// "a, b, … or g": every allowed spelling, for error messages.
    pub fn allowed() -> String {
        let names: Vec<&str> = Route::ALL.iter().map(|r| r.as_str()).collect();
        let (last, rest) = names.split_last().expect("seven routes");
        format!("{} or {last}", rest.join(", "))
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Route {
    type Err = TimelineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Route::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| TimelineError::UnknownRoute(s.to_string()))
    }
}

impl Serialize for Route {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn serialize_regime<S: Serializer>(regime: &Regime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(regime.id())
}

/// One milestone of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Milestone {
    /// What happens, e.g. "Tendering period ends".
    pub name: String,
    /// The earliest lawful date: the statutory minimum.
    pub earliest: Date,
    /// The typical date: realistic durations.
    pub typical: Date,
    /// Why the earliest date: the statutory minimum and its citation, or "no
    /// statutory minimum".
    pub statutory_basis: String,
    /// Why the typical date: the realistic duration and its source.
    pub typical_basis: String,
    /// The facts relied on, e.g. `PA 2023 s.51(1)-(2) (fact pa23.s51.standstill, verified-from-text)`.
    pub citations: Vec<String>,
}

/// A route's timeline from a start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The route.
    pub route: Route,
    /// The regime.
    #[serde(serialize_with = "serialize_regime")]
    pub regime: Regime,
    /// The day the procurement begins (see the module documentation).
    pub start: Date,
    /// The milestones, in order; the last is go-live.
    pub milestones: Vec<Milestone>,
    /// Go-live at the statutory minimum.
    pub earliest_go_live: Date,
    /// Go-live with realistic durations.
    pub typical_go_live: Date,
    /// Given a go-live date: the latest start whose typical timeline still reaches it.
    pub latest_start: Option<Date>,
    /// What else to know: the route's rules, the assumptions, what the go-live
    /// date means for the start.
    pub notes: Vec<String>,
}

/// What can go wrong. Every message is one line and names what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// From the legal clock: a date outside the calendar's data, and the like.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// Not one of the routes.
    #[error("'{0}' is not a route: use {routes}", routes = Route::allowed())]
    UnknownRoute(String),
    /// The route cannot run under that regime from that start.
    #[error("{route} under {regime} starting {start} is not available: {why}")]
    NotAvailable {
        /// The route.
        route: Route,
        /// The regime.
        regime: Regime,
        /// The start asked for.
        start: Date,
        /// Why, with the citation, and what to do instead.
        why: String,
    },
    /// Date arithmetic beyond what dates can hold.
    #[error("a date in the timeline is out of range: {0}")]
    OutOfRange(String),
}

/// A realistic duration Consort assumes, with where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assumption {
    /// A short key, e.g. `evaluation`.
    pub key: &'static str,
    /// Days (or months, for mobilisation; see `months`).
    pub days: i32,
    /// Whether `days` counts months instead.
    pub months: bool,
    /// The source: "Consort's assumption" with its reasoning, or the data it is from.
    pub source: &'static str,
}

const TENDER: i32 = 42;
const EVALUATION: i32 = 42;
const SIGN: i32 = 7;
const PARTICIPATION: i32 = 30;
const SHORTLIST: i32 = 21;
const CFP_EVALUATION: i32 = 56;
const CALL_OFF_PREP: i32 = 14;
const CALL_OFF_TENDER: i32 = 28;
const CALL_OFF_EVALUATION: i32 = 21;
const DIRECT_AWARD: i32 = 28;
const DM_ADMISSION: i32 = 42;

/// The realistic durations behind every typical date.
pub const ASSUMPTIONS: [Assumption; 12] = [
    Assumption {
        key: "tendering",
        days: TENDER,
        months: false,
        source: "Consort's assumption: 6 weeks for tenders for a complex system such as housing management (PA 2023 s.54(1) requires regard to complexity; the statutory minimum is bad practice for such a contract)",
    },
    Assumption {
        key: "evaluation",
        days: EVALUATION,
        months: false,
        source: "Consort's assumption: 6 weeks for evaluation, moderation and award approval (the upper end of the usual 4-6 weeks)",
    },
    Assumption {
        key: "signature",
        days: SIGN,
        months: false,
        source: "Consort's assumption: 1 week from the end of standstill (or the award notice) to sign the contract",
    },
    Assumption {
        key: "participation",
        days: PARTICIPATION,
        months: false,
        source: "Consort's assumption: 30 days for requests to participate, a little over the statutory minimum",
    },
    Assumption {
        key: "shortlisting",
        days: SHORTLIST,
        months: false,
        source: "Consort's assumption: 3 weeks to assess requests to participate and invite the shortlist to tender",
    },
    Assumption {
        key: "cfp-evaluation",
        days: CFP_EVALUATION,
        months: false,
        source: "Consort's assumption: 8 weeks for evaluation with negotiation or refinement rounds, and award approval",
    },
    Assumption {
        key: "call-off-preparation",
        days: CALL_OFF_PREP,
        months: false,
        source: "Consort's assumption: 2 weeks from the framework or market being in place to inviting the first call-off",
    },
    Assumption {
        key: "call-off-tendering",
        days: CALL_OFF_TENDER,
        months: false,
        source: "Consort's assumption: 4 weeks for call-off tenders or proposals",
    },
    Assumption {
        key: "call-off-evaluation",
        days: CALL_OFF_EVALUATION,
        months: false,
        source: "Consort's assumption: 3 weeks to evaluate a call-off and approve the award",
    },
    Assumption {
        key: "direct-award",
        days: DIRECT_AWARD,
        months: false,
        source: "Consort's assumption: 4 weeks to confirm the requirement and prices, apply the framework's award mechanism and approve the award",
    },
    Assumption {
        key: "dynamic-market-admission",
        days: DM_ADMISSION,
        months: false,
        source: "Consort's assumption: 4 weeks for a first wave of applications and 2 weeks to assess them (PA 2023 s.36(6) sets only 'a reasonable period')",
    },
    Assumption {
        key: "mobilisation",
        days: 12,
        months: true,
        source: "the planner's mobilisation assumption (PlanParams::mobilisation_months, default 12 months for a housing system)",
    },
];

fn mobilisation_months() -> i32 {
    i32::try_from(PlanParams::default().mobilisation_months).unwrap_or(12)
}

fn source_of(key: &str) -> &'static str {
    ASSUMPTIONS
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.source)
        .unwrap_or("Consort's assumption")
}

fn fact(id: &str) -> Result<&'static calendar::Fact, TimelineError> {
    rules()
        .fact(id)
        .ok_or_else(|| CalendarError::Data(format!("no fact '{id}'")).into())
}

/// `PA 2023 s.51(1)-(2) (fact pa23.s51.standstill, verified-from-text)`.
fn cite(id: &str) -> Result<String, TimelineError> {
    let f = fact(id)?;
    Ok(format!(
        "{} (fact {}, {})",
        f.short_source(),
        f.id,
        f.confidence
    ))
}

fn cites(ids: &[&str]) -> Result<Vec<String>, TimelineError> {
    ids.iter().map(|id| cite(id)).collect()
}

fn result_cites(r: &PeriodResult) -> Vec<String> {
    r.citations
        .iter()
        .map(|c| {
            format!(
                "{} (fact {}, {})",
                short_citation(&c.source),
                c.id,
                c.confidence
            )
        })
        .collect()
}

fn plus(d: Date, span: Span) -> Result<Date, TimelineError> {
    d.checked_add(span)
        .map_err(|e| TimelineError::OutOfRange(format!("{d} + {span}: {e}")))
}

fn days(d: Date, n: i32) -> Result<Date, TimelineError> {
    plus(d, n.days())
}

fn date_of(id: &str, key: &str) -> Result<Date, TimelineError> {
    let f = fact(id)?;
    f.text(key)
        .and_then(|s| s.get(..10))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CalendarError::Data(format!("{id} has no date '{key}'")).into())
}

/// 24 Feb 2025: the Act in force; PCR 2015 only for procurements begun before.
fn in_force() -> Result<Date, TimelineError> {
    date_of("tr.in_force", "date")
}

/// The end of 23 Feb 2029: every PCR DPS expires by then.
fn dps_longstop() -> Result<Date, TimelineError> {
    date_of("tr.dps_longstop", "hard_expiry")
}

/// A time limit of `n` calendar days counted from the day after `from`, under the
/// regime's own rules: PA 2023 s.54(5) (no roll-forward, fact
/// pa23.no_weekend_rollforward); PCR 2015 reg 2(3)-(4) (moves to the next working
/// day). Used for the periods the clock does not compute itself.
fn calendar_days_limit(regime: Regime, from: Date, n: i32) -> Result<Date, TimelineError> {
    let cal = calendar();
    cal.check(from)?;
    let last = days(from, n)?;
    cal.check(last)?;
    Ok(match regime {
        Regime::Pa2023 => last,
        Regime::Pcr2015 => cal.next_working_day(regime, last)?,
    })
}

/// Builds a timeline step by step, keeping the earliest and typical dates of the
/// previous milestone.
struct Builder {
    regime: Regime,
    e: Date,
    t: Date,
    milestones: Vec<Milestone>,
}

impl Builder {
    fn new(regime: Regime, start: Date) -> Builder {
        Builder {
            regime,
            e: start,
            t: start,
            milestones: Vec::new(),
        }
    }

    fn push(
        &mut self,
        name: impl Into<String>,
        earliest: Date,
        typical: Date,
        statutory_basis: impl Into<String>,
        typical_basis: impl Into<String>,
        citations: Vec<String>,
    ) {
        let typical = typical.max(earliest);
        self.e = earliest;
        self.t = typical;
        self.milestones.push(Milestone {
            name: name.into(),
            earliest,
            typical,
            statutory_basis: statutory_basis.into(),
            typical_basis: typical_basis.into(),
            citations,
        });
    }

    /// The first milestone: the start itself.
    fn start(&mut self, name: &str, basis: &str, citations: Vec<String>) {
        let (e, t) = (self.e, self.t);
        self.push(name, e, t, basis, "the start date given", citations);
    }

    /// A period the legal clock computes; the typical date is the later of the
    /// period counted from the typical date and `realistic` days after it.
    fn clock(
        &mut self,
        name: &str,
        period: Period,
        what: &str,
        realistic: Option<(i32, &str)>,
    ) -> Result<(), TimelineError> {
        let re = calendar::compute(self.regime, period, self.e)?;
        let rt = calendar::compute(self.regime, period, self.t)?;
        let mut typical = rt.last_day;
        let mut typical_basis = format!(
            "the statutory minimum counted from the typical date {}",
            self.t
        );
        if let Some((n, key)) = realistic {
            let r = days(self.t, n)?;
            if r > typical {
                typical = r;
                typical_basis = format!("{n} days: {}", source_of(key));
            } else {
                typical_basis = format!(
                    "the statutory minimum, longer than {n} days here ({})",
                    source_of(key)
                );
            }
        }
        let first = re
            .citations
            .first()
            .map(|c| short_citation(&c.source))
            .unwrap_or_default();
        let basis = format!(
            "statutory minimum: {what} ({first}), by the legal clock: `consort clock {} --regime {} --from {}`",
            period.id(),
            self.regime.id(),
            self.e
        );
        self.push(
            name,
            re.last_day,
            typical,
            basis,
            typical_basis,
            result_cites(&re),
        );
        Ok(())
    }

    /// A time limit in calendar days the clock does not compute, from a fact.
    fn limit(
        &mut self,
        name: &str,
        n: i32,
        what: &str,
        fact_ids: &[&str],
        realistic: (i32, &str),
    ) -> Result<(), TimelineError> {
        let earliest = calendar_days_limit(self.regime, self.e, n)?;
        let statutory_t = calendar_days_limit(self.regime, self.t, n)?;
        let r = days(self.t, realistic.0)?;
        let (typical, typical_basis) = if r > statutory_t {
            (
                r,
                format!("{} days: {}", realistic.0, source_of(realistic.1)),
            )
        } else {
            (
                statutory_t,
                format!(
                    "the statutory minimum, longer than {} days here ({})",
                    realistic.0,
                    source_of(realistic.1)
                ),
            )
        };
        let counting = match self.regime {
            Regime::Pa2023 => "counted from the day after, no roll-forward (PA 2023 s.54(5))",
            Regime::Pcr2015 => {
                "counted from the day after, moved to the next working day if it ends on a non-working day (PCR 2015 reg 2(3)-(4))"
            }
        };
        let main = fact(fact_ids[0])?.short_source();
        let basis = format!("statutory minimum: {what} ({main}), {counting}");
        self.push(
            name,
            earliest,
            typical,
            basis,
            typical_basis,
            cites(fact_ids)?,
        );
        Ok(())
    }

    /// A step the law sets no minimum for. With `next_day` the earliest is the day
    /// after the previous milestone (a deadline that runs to the end of its day).
    fn free(
        &mut self,
        name: &str,
        next_day: bool,
        why: &str,
        realistic: (i32, &str),
        fact_ids: &[&str],
    ) -> Result<(), TimelineError> {
        let earliest = if next_day { days(self.e, 1)? } else { self.e };
        let typical = days(self.t, realistic.0)?;
        let when = if next_day {
            "the earliest is the day after the previous milestone, which runs to the end of its day"
        } else {
            "the earliest is the previous milestone's date"
        };
        let basis = format!("no statutory minimum: {why}; {when}");
        let typical_basis = format!("{} days: {}", realistic.0, source_of(realistic.1));
        self.push(
            name,
            earliest,
            typical,
            basis,
            typical_basis,
            cites(fact_ids)?,
        );
        Ok(())
    }

    /// The contract entered into the day after the standstill ends.
    fn contract_after_standstill(&mut self, name: &str) -> Result<(), TimelineError> {
        let (basis, id) = match self.regime {
            Regime::Pa2023 => (
                "not before the end of the standstill (PA 2023 s.51(1)): the day after its last day",
                "pa23.s51.standstill",
            ),
            Regime::Pcr2015 => (
                "not before the standstill ends at midnight at the end of its last day (PCR 2015 reg 87(2)): the day after",
                "pcr15.reg87.standstill_electronic",
            ),
        };
        let earliest = days(self.e, 1)?;
        let typical = days(self.t, SIGN)?;
        let tb = format!("{SIGN} days: {}", source_of("signature"));
        self.push(name, earliest, typical, basis, tb, cites(&[id])?);
        Ok(())
    }

    /// A call-off contract without standstill, entered into after its award notice.
    fn contract_no_standstill(&mut self, name: &str) -> Result<(), TimelineError> {
        let (basis, ids): (&str, &[&str]) = match self.regime {
            Regime::Pa2023 => (
                "no standstill for a framework call-off or dynamic market award (PA 2023 s.51(3)); the contract award notice must come first (s.50(1)), so the earliest is the day of the notice",
                &["pa23.s51.standstill_exemptions", "pa23.s50.can_required"],
            ),
            Regime::Pcr2015 => (
                "no standstill for a contract under a framework or DPS (PCR 2015 reg 86(5)); the earliest is the day of the award decision",
                &["pcr15.reg86.exemptions"],
            ),
        };
        let earliest = self.e;
        let typical = days(self.t, SIGN)?;
        let tb = format!("{SIGN} days: {}", source_of("signature"));
        self.push(name, earliest, typical, basis, tb, cites(ids)?);
        Ok(())
    }

    /// Mobilisation to go-live.
    fn go_live(&mut self) -> Result<(), TimelineError> {
        let months = mobilisation_months();
        let earliest = self.e;
        let typical = plus(self.t, months.months())?;
        self.push(
            "Go-live (after mobilisation)",
            earliest,
            typical,
            "no statutory minimum: mobilisation is not regulated; the earliest is the contract date",
            format!("{months} months: {}", source_of("mobilisation")),
            Vec::new(),
        );
        Ok(())
    }

    /// Award notice, standstill and contract after a competition.
    fn award_standstill_contract(
        &mut self,
        evaluation: (i32, &str),
        contract_name: &str,
    ) -> Result<(), TimelineError> {
        let (notice, why, ids): (&str, &str, &[&str]) = match self.regime {
            Regime::Pa2023 => (
                "Evaluation done; assessment summaries sent and contract award notice (UK6) published",
                "the Act sets no evaluation period; assessment summaries must go to every assessed supplier before the UK6 (PA 2023 s.50(3))",
                &["pa23.s50.assessment_summaries", "pa23.s50.can_required"],
            ),
            Regime::Pcr2015 => (
                "Evaluation done; award decision notices sent electronically",
                "PCR 2015 sets no evaluation period",
                &["pcr15.reg87.standstill_electronic"],
            ),
        };
        self.free(notice, true, why, evaluation, ids)?;
        let what = match self.regime {
            Regime::Pa2023 => "8 working days beginning with the day the UK6 is published",
            Regime::Pcr2015 => {
                "10 days after the award decision notices are sent electronically, ending on a working day"
            }
        };
        self.clock("Standstill ends", Period::Standstill, what, None)?;
        self.contract_after_standstill(contract_name)
    }

    /// An open procedure: notice, tendering period, award, standstill, contract.
    fn open_procedure(&mut self, contract_name: &str) -> Result<(), TimelineError> {
        let (notice, ncite) = match self.regime {
            Regime::Pa2023 => (
                "Tender notice (UK4) published",
                cites(&["pa23.s20.open", "pa23.tendering_period_def"])?,
            ),
            Regime::Pcr2015 => (
                "Contract notice sent for publication",
                cites(&["pcr15.open.standard", "pcr15.open.electronic"])?,
            ),
        };
        self.start(
            notice,
            "the start: the procurement begins with this notice",
            ncite,
        );
        let what = match self.regime {
            Regime::Pa2023 => {
                "25 days' tendering period, electronic tenders and all documents with the notice"
            }
            Regime::Pcr2015 => "30 days for tenders (35 less 5 for electronic submission)",
        };
        self.clock(
            "Tendering period ends",
            Period::Tendering,
            what,
            Some((TENDER, "tendering")),
        )?;
        self.award_standstill_contract((EVALUATION, "evaluation"), contract_name)
    }

    /// A two-stage procedure: PA 2023 competitive flexible; PCR 2015 restricted.
    fn two_stage(&mut self, contract_name: &str) -> Result<(), TimelineError> {
        let (notice, ncite) = match self.regime {
            Regime::Pa2023 => (
                "Tender notice (UK4) published, inviting requests to participate",
                cites(&["pa23.s20.cfp", "pa23.participation_period_def"])?,
            ),
            Regime::Pcr2015 => (
                "Contract notice sent for publication (restricted procedure)",
                cites(&["pcr15.restricted.requests"])?,
            ),
        };
        self.start(
            notice,
            "the start: the procurement begins with this notice",
            ncite,
        );
        let what = match self.regime {
            Regime::Pa2023 => "25 days' participation period",
            Regime::Pcr2015 => "30 days for requests to participate",
        };
        self.clock(
            "Participation period ends",
            Period::Participation,
            what,
            Some((PARTICIPATION, "participation")),
        )?;
        self.free(
            "Requests assessed; shortlisted suppliers invited to tender",
            true,
            "the law sets no period for assessing requests to participate",
            (SHORTLIST, "shortlisting"),
            &[],
        )?;
        match self.regime {
            Regime::Pa2023 => self.limit(
                "Tendering period ends",
                10,
                "10 days where only pre-selected suppliers may tender and the authority is not central government (none at all with a negotiated tendering period agreed with them)",
                &["pa23.s54.tendering.preselected", "pa23.s54.tendering.negotiated", "pa23.tendering_period_def"],
                (TENDER, "tendering"),
            )?,
            Regime::Pcr2015 => self.limit(
                "Tendering period ends",
                10,
                "10 days from the invitation to tender for a sub-central authority that has not agreed a deadline with the candidates (25 for central government with electronic tenders)",
                &["pcr15.restricted.tenders", "pcr15.period_exclude_event_day", "pcr15.period_end_next_working_day"],
                (TENDER, "tendering"),
            )?,
        }
        self.award_standstill_contract((CFP_EVALUATION, "cfp-evaluation"), contract_name)
    }

    /// A call-off by further competition, after `prep` days (0 when it is the start).
    fn further_competition(&mut self, first: bool) -> Result<(), TimelineError> {
        let (name, why, ids): (&str, &str, &[&str]) = match self.regime {
            Regime::Pa2023 => (
                "Call-off invitation sent to the framework's suppliers (competitive selection process)",
                "a competitive selection process under the framework (PA 2023 s.46)",
                &["pa23.s46.csp", "pa23.s45.framework"],
            ),
            Regime::Pcr2015 => (
                "Mini-competition invitation sent to every framework supplier capable of performing",
                "a mini-competition under the framework (PCR 2015 reg 33(11))",
                &["pcr15.fw.multi", "pcr15.fw.minicomp"],
            ),
        };
        if first {
            self.free(
                name,
                false,
                "the call-off may be invited as soon as the framework is concluded",
                (CALL_OFF_PREP, "call-off-preparation"),
                ids,
            )?;
        } else {
            self.start(name, &format!("the start: {why}"), cites(ids)?);
        }
        let (why, ids): (&str, &[&str]) = match self.regime {
            Regime::Pa2023 => (
                "s.54 minimum periods apply to competitive tendering procedures, not to a framework's competitive selection process; the time allowed must still be reasonable (s.54(1)); this reading is an interpretation the data marks unverified",
                &["pa23.s54.scope", "pa23.time_limit_factors"],
            ),
            Regime::Pcr2015 => (
                "PCR 2015 reg 33(11) requires a time limit 'sufficiently long' for the call-off and sets no fixed minimum",
                &["pcr15.fw.minicomp"],
            ),
        };
        self.free(
            "Call-off tenders due",
            false,
            why,
            (CALL_OFF_TENDER, "call-off-tendering"),
            ids,
        )?;
        self.call_off_award()
    }

    /// Evaluation, award notice and call-off contract, without standstill.
    fn call_off_award(&mut self) -> Result<(), TimelineError> {
        let (name, why, ids): (&str, &str, &[&str]) = match self.regime {
            Regime::Pa2023 => (
                "Call-off evaluated; contract award notice (UK6) published",
                "the Act sets no evaluation period; a UK6 is required even for call-offs (PA 2023 s.50(1))",
                &["pa23.s50.can_required", "pa23.fw.calloff_notices"],
            ),
            Regime::Pcr2015 => (
                "Call-off evaluated; award decided",
                "PCR 2015 sets no evaluation period; no award decision notices or standstill are required for a call-off (reg 86(5))",
                &["pcr15.reg86.exemptions"],
            ),
        };
        self.free(
            name,
            true,
            why,
            (CALL_OFF_EVALUATION, "call-off-evaluation"),
            ids,
        )?;
        self.contract_no_standstill("Call-off contract entered into")?;
        self.go_live()
    }
}

/// Routes that begin a new procurement (rather than call off an existing
/// framework) cannot begin under PCR 2015 from 24 Feb 2025.
fn starts_new_procurement(route: Route) -> bool {
    !matches!(
        route,
        Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
    )
}

fn availability(route: Route, regime: Regime, start: Date) -> Result<(), TimelineError> {
    let cutoff = in_force()?;
    let unavailable = |why: String| TimelineError::NotAvailable {
        route,
        regime,
        start,
        why,
    };
    match regime {
        Regime::Pa2023 if start < cutoff => Err(unavailable(format!(
            "the Procurement Act 2023 applies only to procurements begun on or after {cutoff} (SI 2024/716 reg 2(2)); use a start from {cutoff}, or --regime pcr2015 for an earlier one"
        ))),
        Regime::Pcr2015 if route == Route::OpenFramework => Err(unavailable(
            "PCR 2015 has no open frameworks (they are new in PA 2023 s.49); use --regime pa2023"
                .into(),
        )),
        Regime::Pcr2015 if starts_new_procurement(route) && start >= cutoff => {
            Err(unavailable(format!(
                "a new procurement can run under PCR 2015 only if it began before {cutoff} (SI 2024/716 reg 5); use --regime pa2023, a start before {cutoff}, or a call-off under an existing PCR framework (existing-framework-direct-award or existing-framework-further-competition)"
            )))
        }
        _ => Ok(()),
    }
}

/// Builds the milestones of `route` from `start`, with the route's own notes.
fn build(
    route: Route,
    regime: Regime,
    start: Date,
) -> Result<(Vec<Milestone>, Vec<String>), TimelineError> {
    availability(route, regime, start)?;
    calendar().check(start)?;
    let mut b = Builder::new(regime, start);
    let mut notes = Vec::new();
    let pa = regime == Regime::Pa2023;
    match route {
        Route::OpenProcedure => {
            b.open_procedure("Contract entered into")?;
            b.go_live()?;
        }
        Route::CompetitiveFlexible => {
            if !pa {
                notes.push("PCR 2015 has no competitive flexible procedure: this is the restricted procedure (reg 28), its nearest two-stage equivalent; the competitive procedure with negotiation (reg 29) has the same time limits.".into());
            }
            b.two_stage("Contract entered into")?;
            b.go_live()?;
        }
        Route::OwnFramework | Route::OpenFramework => {
            b.open_procedure("Framework concluded (framework agreement entered into)")?;
            for m in b.milestones.iter_mut() {
                m.name = format!("Framework: {}", m.name);
            }
            b.further_competition(true)?;
            notes.push("The framework is established here by an open procedure; established by a competitive flexible procedure (or, under PCR 2015, a restricted procedure) it would add a participation stage, as in the competitive-flexible route.".into());
            if route == Route::OpenFramework {
                notes.push(format!("Open framework: it must be reopened at least once within 3 years of the first award and then at least once in every 5 years from the second; the last framework expires 8 years after the first award (4 years if single-supplier); no direct award ({}).", cite("pa23.s49.open_framework")?));
            } else if pa {
                notes.push(format!(
                    "Framework term at most 4 years unless the nature of the requirement needs longer, with reasons in the notice ({}).",
                    cite("pa23.s47.term")?
                ));
            } else {
                notes.push(format!(
                    "Framework term at most 4 years save in exceptional cases duly justified ({}).",
                    cite("pcr15.fw.max_term")?
                ));
            }
        }
        Route::DynamicMarket => dynamic_market(&mut b, &mut notes)?,
        Route::ExistingFrameworkDirectAward => {
            let (name, ids): (&str, &[&str]) = if pa {
                (
                    "Call-off requirement confirmed; supplier chosen by the framework's objective selection mechanism",
                    &["pa23.s45.framework"],
                )
            } else {
                (
                    "Call-off requirement confirmed; supplier chosen on the framework's objective conditions (direct award)",
                    &["pcr15.fw.multi"],
                )
            };
            b.start(
                name,
                "the start: direct award is allowed only where the framework sets its terms and an objective selection mechanism (or has one supplier)",
                cites(ids)?,
            );
            let (n2, why, ids): (&str, &str, &[&str]) = if pa {
                (
                    "Contract award notice (UK6) published",
                    "the Act sets no period for a direct award under a framework; no transparency notice is needed, but a UK6 is (PA 2023 s.50(1))",
                    &["pa23.fw.calloff_notices", "pa23.s50.can_required"],
                )
            } else {
                (
                    "Award decided",
                    "PCR 2015 sets no period for a direct award under a framework (reg 33(8)(a)); no standstill (reg 86(5))",
                    &["pcr15.fw.multi", "pcr15.reg86.exemptions"],
                )
            };
            b.free(n2, false, why, (DIRECT_AWARD, "direct-award"), ids)?;
            b.contract_no_standstill("Call-off contract entered into")?;
            b.go_live()?;
        }
        Route::ExistingFrameworkFurtherCompetition => b.further_competition(false)?,
    }
    if matches!(
        route,
        Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
    ) {
        if pa {
            notes.push("The framework must be a PA 2023 framework (awarded from 24 Feb 2025); for a call-off under a framework concluded under PCR 2015 use --regime pcr2015. The framework must still be in force when the call-off is awarded.".into());
            notes.push(format!(
                "No standstill for a call-off (PA 2023 s.51(3)); a contract details notice (UK7) is due within 30 days of the contract ({}).",
                cite("pa23.s53.cdn")?
            ));
        } else {
            notes.push(format!(
                "A call-off under a framework concluded under PCR 2015 before 24 Feb 2025 stays under PCR 2015 (reg 33) until the framework expires; there is no longstop for PCR frameworks ({}).",
                cite("tr.frameworks")?
            ));
            notes.push(format!(
                "A contract award notice is due within 30 days of the call-off contract ({}).",
                cite("pcr15.can_30_days")?
            ));
            // A framework concluded by 23 Feb 2025 with the 4-year maximum expires
            // by 23 Feb 2029 (the same day as the DPS longstop, fact tr.dps_longstop).
            let four_years = dps_longstop()?;
            if let Some(m) = b
                .milestones
                .iter()
                .find(|m| m.name.contains("contract entered into"))
                && m.typical > four_years
            {
                notes.push(format!(
                    "The call-off contract ({}) falls after {four_years}: a PCR framework concluded before 24 Feb 2025 has a maximum term of 4 years save in exceptional cases (PCR 2015 reg 33(3)), so check that it is still in force.",
                    m.typical
                ));
            }
        }
    }
    if !pa && starts_new_procurement(route) {
        notes.push(format!(
            "PCR 2015 applies because the procurement began before {} ({}).",
            in_force()?,
            cite("tr.pcr_continues")?
        ));
    }
    Ok((b.milestones, notes))
}

fn dynamic_market(b: &mut Builder, notes: &mut Vec<String>) -> Result<(), TimelineError> {
    match b.regime {
        Regime::Pa2023 => {
            b.start(
                "Dynamic market notice (UK13) published; applications for membership open",
                "the start: a UK13 notice before establishing the market (PA 2023 s.39)",
                cites(&["pa23.s39.notices", "pa23.s35.establish"])?,
            );
            b.free(
                "First members admitted; market established (UK14 published)",
                false,
                "applications are considered 'within a reasonable period' and suppliers meeting the conditions admitted as soon as reasonably practicable (PA 2023 s.36(6)-(7))",
                (DM_ADMISSION, "dynamic-market-admission"),
                &["pa23.s36.must_admit", "pa23.s39.notices"],
            )?;
        }
        Regime::Pcr2015 => {
            b.start(
                "DPS contract notice sent for publication; requests to participate open",
                "the start: the DPS is set up by a restricted procedure (PCR 2015 reg 34(5))",
                cites(&["pcr15.dps.open", "pcr15.dps.restricted_rules"])?,
            );
            b.limit(
                "Initial period for requests to participate ends",
                30,
                "30 days from the contract notice for the initial requests (none after the first invitation to tender)",
                &["pcr15.dps.requests_30", "pcr15.period_exclude_event_day", "pcr15.period_end_next_working_day"],
                (30, "participation"),
            )?;
            b.clock(
                "Requests assessed; first participants admitted",
                Period::DpsAssessment,
                "10 working days after receipt to assess a request (extendable to 15 in justified cases, and before the first invitation as long as none is sent meanwhile)",
                None,
            )?;
            // The typical date uses the extension to 15 working days (reg 34(17)).
            let ext = calendar::compute(
                b.regime,
                Period::DpsAssessment,
                b.milestones[b.milestones.len() - 2].typical,
            )?;
            if let (Some(ext_last), Some(m)) = (ext.extended_last_day, b.milestones.last_mut()) {
                m.typical = m.typical.max(ext_last);
                m.typical_basis = "15 working days, the extension reg 34(17) allows in justified cases: Consort's assumption that a first wave of requests needs it".into();
                b.t = m.typical;
            }
        }
    }
    let (name, ids): (&str, &[&str]) = match b.regime {
        Regime::Pa2023 => (
            "First award: tender notice (UK4) to members (competitive flexible procedure limited to members)",
            &["pa23.s34.award"],
        ),
        Regime::Pcr2015 => (
            "First call-off: invitation to tender sent to every admitted participant",
            &["pcr15.dps.invite_all"],
        ),
    };
    b.free(
        name,
        false,
        "the first award may be invited once members are admitted",
        (CALL_OFF_PREP, "call-off-preparation"),
        ids,
    )?;
    let what = match b.regime {
        Regime::Pa2023 => "10 days' tendering period for an award by reference to a dynamic market",
        Regime::Pcr2015 => "10 days from the invitation to tender under a DPS",
    };
    b.clock(
        "Call-off tendering period ends",
        Period::CallOffTendering,
        what,
        Some((CALL_OFF_TENDER, "call-off-tendering")),
    )?;
    b.call_off_award()?;
    match b.regime {
        Regime::Pa2023 => {
            notes.push(format!(
                "A dynamic market has no maximum term in the Act ({}); it must accept applications at any time and may not cap membership ({}).",
                cite("pa23.dm.no_max_term")?,
                cite("pa23.s36.must_admit")?
            ));
            notes.push(format!(
                "Before each award, pending applications from suppliers who asked to take part must be considered first ({}).",
                cite("pa23.s34.award")?
            ));
        }
        Regime::Pcr2015 => {
            let longstop = dps_longstop()?;
            notes.push(format!(
                "A PCR DPS expires at the end of {longstop} at the latest, and its validity cannot be changed after 23 Feb 2026 ({}): no call-off can be awarded under it after that.",
                cite("tr.dps_longstop")?
            ));
            if let Some(m) = b
                .milestones
                .iter()
                .find(|m| m.name == "Call-off contract entered into")
                && m.typical > longstop
            {
                notes.push(format!(
                    "The typical call-off contract date {} is after the DPS longstop {longstop}: the first call-off must be awarded sooner.",
                    m.typical
                ));
            }
        }
    }
    Ok(())
}

/// The typical (or earliest) go-live from `start`: `Ok(None)` where the route is
/// not available from that start, `Err` where the calendar's data cannot say.
fn go_live_from(
    route: Route,
    regime: Regime,
    start: Date,
    typical: bool,
) -> Result<Option<Date>, TimelineError> {
    match build(route, regime, start) {
        Ok((ms, _)) => Ok(ms
            .last()
            .map(|m| if typical { m.typical } else { m.earliest })),
        Err(TimelineError::NotAvailable { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the search for the latest start found.
enum Latest {
    /// This start reaches the go-live date and the next day's does not.
    Found(Date),
    /// No start the calendar covers reaches it.
    None,
    /// Starts up to this date reach it, but the next day cannot be computed from
    /// the calendar's data.
    AtLeast(Date),
}

/// The latest start whose go-live (typical or earliest) is on or before
/// `go_live`. Go-live never moves earlier when the start moves later (every step
/// adds days or counts forward), so a binary search over the start dates the
/// calendar's data covers finds it.
fn latest_start(
    route: Route,
    regime: Regime,
    go_live: Date,
    typical: bool,
) -> Result<Latest, TimelineError> {
    let cal = calendar();
    let reaches = |s: Date| -> bool {
        matches!(go_live_from(route, regime, s, typical), Ok(Some(g)) if g <= go_live)
    };
    // PA 2023 procurements begin on or after 24 Feb 2025; PCR 2015 ones from the
    // first day the data covers (new PCR procurements stop reaching at the cutoff,
    // which keeps the search monotone).
    let mut lo = match regime {
        Regime::Pa2023 => cal.first_day().max(in_force()?),
        Regime::Pcr2015 => cal.first_day(),
    };
    let mut hi = go_live.min(cal.last_day());
    if hi < lo || !reaches(lo) {
        return Ok(Latest::None);
    }
    // Invariant: reaches(lo); everything after hi (if hi moved) does not.
    while lo < hi {
        let span = (hi - lo).get_days();
        let mid = days(lo, (span + 1) / 2)?;
        if reaches(mid) {
            lo = mid;
        } else {
            hi = days(mid, -1)?;
        }
    }
    let next = days(lo, 1)?;
    if next > go_live {
        return Ok(Latest::Found(lo));
    }
    match go_live_from(route, regime, next, typical) {
        Ok(_) => Ok(Latest::Found(lo)),
        Err(_) => Ok(Latest::AtLeast(lo)),
    }
}

/// The timeline of `route` under `regime` from `start`, and given a go-live date
/// the latest start whose typical timeline still reaches it.
pub fn timeline(
    route: Route,
    regime: Regime,
    start: Date,
    go_live: Option<Date>,
) -> Result<Timeline, TimelineError> {
    let (milestones, mut notes) = build(route, regime, start)?;
    let last = milestones
        .last()
        .ok_or_else(|| CalendarError::Data("a timeline with no milestones".into()))?;
    let (earliest_go_live, typical_go_live) = (last.earliest, last.typical);
    notes.insert(
        0,
        format!(
            "Start ({start}) is the day the procurement begins ({}); preparation before it (market engagement, lots, documents) is not included — the planner allows a third of a 9-month lead time for it.",
            milestones[0].name
        ),
    );
    notes.insert(
        1,
        "Earliest dates are statutory minimums (bad practice to plan on for a complex contract); typical dates use realistic durations, each stated with its source.".into(),
    );
    let mut latest = None;
    if let Some(target) = go_live {
        notes.push("Latest start: found by searching over start dates for the latest one whose typical (realistic) timeline still reaches go-live.".into());
        match latest_start(route, regime, target, true)? {
            Latest::Found(d) => {
                latest = Some(d);
                if d < start {
                    notes.push(format!(
                        "To go live by {target} on the realistic timeline, start by {d}: the start given ({start}) is too late for it (typical go-live {typical_go_live})."
                    ));
                } else {
                    notes.push(format!(
                        "To go live by {target} on the realistic timeline, start by {d}."
                    ));
                }
                if regime == Regime::Pcr2015
                    && starts_new_procurement(route)
                    && days(d, 1)? == in_force()?
                {
                    notes.push(format!(
                        "{d} is also the last day a new procurement could begin under PCR 2015."
                    ));
                }
            }
            Latest::None => notes.push(format!(
                "No start date the calendar covers reaches go-live by {target} on the realistic timeline."
            )),
            Latest::AtLeast(d) => notes.push(format!(
                "The latest start for go-live by {target} is on or after {d}, but the calendar's data (to {}) cannot say how much later.",
                calendar().last_day()
            )),
        }
        if earliest_go_live > target {
            notes.push(format!(
                "Even at the statutory minimum, starting on {start} the earliest go-live is {earliest_go_live}, after {target}."
            ));
        }
        match latest_start(route, regime, target, false)? {
            Latest::Found(d) | Latest::AtLeast(d) => notes.push(format!(
                "At the statutory minimum with no slack at all, the latest start would be {d}."
            )),
            Latest::None => notes.push(format!(
                "Not even the statutory minimum timeline from any start the calendar covers reaches {target}."
            )),
        }
    }
    Ok(Timeline {
        route,
        regime,
        start,
        milestones,
        earliest_go_live,
        typical_go_live,
        latest_start: latest,
        notes,
    })
}
