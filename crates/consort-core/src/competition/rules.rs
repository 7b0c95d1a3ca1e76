//! The rules a competition runs under, as data: regime, procedure, standstill,
//! minimum tendering period, who may bid, and the award criteria. Routes to
//! market configure these; they never fork the state machine.

use super::criteria::AwardCriteria;
use super::error::CompetitionError;
use super::{serde_period_opt, serde_regime};
use crate::calendar::{self, Period, Regime};
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of procedure the competition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// A single-stage procedure open to every supplier (PA 2023 s.20(2)(a); PCR
    /// 2015 reg 27).
    OpenProcedure,
    /// The tender stage of a competitive flexible procedure (PA 2023 s.20(2)(b));
    /// under PCR 2015 the restricted procedure (reg 28).
    CompetitiveFlexible,
    /// A call-off by further competition among a framework's suppliers (PA 2023
    /// s.46; PCR 2015 reg 33(11)).
    FrameworkFurtherCompetition,
    /// An award by reference to membership of a dynamic market (PA 2023 s.34) or a
    /// call-off under a DPS (PCR 2015 reg 34).
    DynamicMarketAward,
}

impl Procedure {
    /// Every procedure, in the order they are listed to users.
    pub const ALL: [Procedure; 4] = [
        Procedure::OpenProcedure,
        Procedure::CompetitiveFlexible,
        Procedure::FrameworkFurtherCompetition,
        Procedure::DynamicMarketAward,
    ];

    /// The stable snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            Procedure::OpenProcedure => "open_procedure",
            Procedure::CompetitiveFlexible => "competitive_flexible",
            Procedure::FrameworkFurtherCompetition => "framework_further_competition",
            Procedure::DynamicMarketAward => "dynamic_market_award",
        }
    }

    /// The name shown to users, in the words of `regime`.
    pub fn label(self, regime: Regime) -> &'static str {
        match (self, regime) {
            (Procedure::OpenProcedure, _) => "Open procedure",
            (Procedure::CompetitiveFlexible, Regime::Pa2023) => {
                "Competitive flexible procedure (tender stage)"
            }
            (Procedure::CompetitiveFlexible, Regime::Pcr2015) => {
                "Restricted procedure (tender stage)"
            }
            (Procedure::FrameworkFurtherCompetition, _) => {
                "Call-off by further competition under a framework"
            }
            (Procedure::DynamicMarketAward, Regime::Pa2023) => "Award under a dynamic market",
            (Procedure::DynamicMarketAward, Regime::Pcr2015) => {
                "Call-off under a dynamic purchasing system"
            }
        }
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Whether a standstill follows the award notice before the contract may be
/// entered into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standstill {
    /// The law requires one (PA 2023 s.51; PCR 2015 reg 87).
    Mandatory,
    /// The law does not require one but the buyer has chosen one of the statutory
    /// length (PA 2023 s.51(5): a voluntary standstill must be at least 8 working
    /// days).
    Voluntary,
    /// None: the award takes effect when the notice is issued.
    None,
}

impl Standstill {
    /// Whether a standstill period runs after the award notice.
    pub fn applies(self) -> bool {
        !matches!(self, Standstill::None)
    }
}

/// Who may ask questions and bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "suppliers", rename_all = "snake_case")]
pub enum Eligibility {
    /// Any supplier.
    Open,
    /// Only these suppliers (a framework's suppliers, a dynamic market's members,
    /// those selected at participation).
    Invited(Vec<OrgId>),
}

impl Eligibility {
    /// Whether `supplier` may bid.
    pub fn admits(&self, supplier: &OrgId) -> bool {
        match self {
            Eligibility::Open => true,
            Eligibility::Invited(list) => list.contains(supplier),
        }
    }
}

/// The rules of one competition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetitionRules {
    /// The regime the procurement is under.
    #[serde(with = "serde_regime")]
    pub regime: Regime,
    /// The procedure.
    pub procedure: Procedure,
    /// Whether a standstill follows the award notice.
    pub standstill: Standstill,
    /// The period the tender deadline must respect from publication, or none where
    /// the law sets no minimum (a framework call-off: the time must be reasonable).
    #[serde(with = "serde_period_opt")]
    pub minimum_tendering: Option<Period>,
    /// Who may bid.
    pub eligibility: Eligibility,
    /// How bids are scored.
    pub criteria: AwardCriteria,
}

/// One line explaining a rule, with the fact it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleNote {
    /// What the line is about: `procedure`, `minimum_tendering` or `standstill`.
    pub about: String,
    /// The explanation.
    pub text: String,
    /// The fact id in the rules data.
    pub fact_id: String,
    /// The section or regulation.
    pub source: String,
}

impl CompetitionRules {
    /// An open procedure: anyone may bid, the full tendering period, mandatory
    /// standstill.
    pub fn open_procedure(regime: Regime) -> CompetitionRules {
        CompetitionRules {
            regime,
            procedure: Procedure::OpenProcedure,
            standstill: Standstill::Mandatory,
            minimum_tendering: Some(Period::Tendering),
            eligibility: Eligibility::Open,
            criteria: AwardCriteria::default(),
        }
    }

    /// The tender stage of a competitive flexible (PA 2023) or restricted (PCR
    /// 2015) procedure: the suppliers that passed participation are invited.
    pub fn competitive_flexible(regime: Regime, invited: Vec<OrgId>) -> CompetitionRules {
        CompetitionRules {
            procedure: Procedure::CompetitiveFlexible,
            eligibility: Eligibility::Invited(invited),
            ..CompetitionRules::open_procedure(regime)
        }
    }

    /// A call-off by further competition among a framework's suppliers: no
    /// statutory minimum tendering period and no mandatory standstill.
    pub fn framework_further_competition(
        regime: Regime,
        framework_suppliers: Vec<OrgId>,
    ) -> CompetitionRules {
        CompetitionRules {
            regime,
            procedure: Procedure::FrameworkFurtherCompetition,
            standstill: Standstill::None,
            minimum_tendering: None,
            eligibility: Eligibility::Invited(framework_suppliers),
            criteria: AwardCriteria::default(),
        }
    }

    /// An award under a dynamic market (PA 2023) or a call-off under a DPS (PCR
    /// 2015): every member of the category invited, the 10-day minimum, no
    /// mandatory standstill.
    pub fn dynamic_market_award(regime: Regime, members: Vec<OrgId>) -> CompetitionRules {
        CompetitionRules {
            regime,
            procedure: Procedure::DynamicMarketAward,
            standstill: Standstill::None,
            minimum_tendering: Some(Period::CallOffTendering),
            eligibility: Eligibility::Invited(members),
            criteria: AwardCriteria::default(),
        }
    }

    /// Checks the rules hang together (the criteria's weights are checked at
    /// publication, when the buyer has finished writing them).
    pub fn check(&self) -> Result<(), CompetitionError> {
        if let Some(period) = self.minimum_tendering {
            let allowed = [
                Period::Tendering,
                Period::Participation,
                Period::CallOffTendering,
            ];
            if !allowed.contains(&period) || !Period::of(self.regime).contains(&period) {
                return Err(CompetitionError::invalid(
                    "minimum_tendering",
                    format!(
                        "'{period}' is not a minimum tendering period under {}: use tendering, participation or call-off-tendering",
                        self.regime
                    ),
                ));
            }
        }
        if self.procedure == Procedure::OpenProcedure && self.eligibility != Eligibility::Open {
            return Err(CompetitionError::invalid(
                "eligibility",
                "an open procedure is open to every supplier: it cannot be by invitation",
            ));
        }
        if let Eligibility::Invited(list) = &self.eligibility {
            let mut seen = std::collections::BTreeSet::new();
            if let Some(dup) = list.iter().find(|s| !seen.insert(*s)) {
                return Err(CompetitionError::invalid(
                    "eligibility",
                    format!("{dup} is invited twice"),
                ));
            }
        }
        self.criteria.check_structure()
    }

    /// Why the rules are as they are: the procedure, the minimum tendering period
    /// and the standstill, each with the fact it rests on.
    pub fn notes(&self) -> Vec<RuleNote> {
        let pa = self.regime == Regime::Pa2023;
        let procedure_fact = match (self.procedure, pa) {
            (Procedure::OpenProcedure, true) => "pa23.s20.open",
            (Procedure::CompetitiveFlexible, true) => "pa23.s20.cfp",
            (Procedure::FrameworkFurtherCompetition, true) => "pa23.s46.csp",
            (Procedure::DynamicMarketAward, true) => "pa23.s54.tendering.dynamic_market",
            (Procedure::OpenProcedure, false) => "pcr15.open.standard",
            (Procedure::CompetitiveFlexible, false) => "pcr15.restricted.tenders",
            (Procedure::FrameworkFurtherCompetition, false) => "pcr15.fw.minicomp",
            (Procedure::DynamicMarketAward, false) => "pcr15.dps.invite_all",
        };
        let mut notes = Vec::new();
        let mut push = |about: &str, fact_id: &str, prefix: String| {
            if let Some(f) = calendar::rules().fact(fact_id) {
                notes.push(RuleNote {
                    about: about.to_string(),
                    text: format!("{prefix}{}", f.statement),
                    fact_id: f.id.clone(),
                    source: f.source.clone(),
                });
            }
        };
        push(
            "procedure",
            procedure_fact,
            format!("{}: ", self.procedure.label(self.regime)),
        );
        match self.minimum_tendering {
            Some(period) => {
                if let Ok(rule) = calendar::rule(self.regime, period)
                    && let Some(c) = rule.citations.first()
                {
                    push(
                        "minimum_tendering",
                        &c.id,
                        format!(
                            "The tender deadline must respect the {period} period from publication: "
                        ),
                    );
                }
            }
            None => push(
                "minimum_tendering",
                if pa {
                    "pa23.s54.scope"
                } else {
                    "pcr15.fw.minicomp"
                },
                "No statutory minimum tendering period: ".to_string(),
            ),
        }
        let standstill_fact = match (self.standstill, pa) {
            (Standstill::Mandatory, true) => "pa23.s51.standstill",
            (Standstill::Mandatory, false) => "pcr15.reg87.standstill_electronic",
            (_, true) => "pa23.s51.standstill_exemptions",
            (_, false) => "pcr15.reg86.exemptions",
        };
        let prefix = match self.standstill {
            Standstill::Mandatory => "Standstill applies: ",
            Standstill::Voluntary => {
                "A voluntary standstill of the statutory length will run, although the law does not require one here: "
            }
            Standstill::None => "No standstill: ",
        };
        push("standstill", standstill_fact, prefix.to_string());
        notes
    }
}
