//! Planned procurements: what a consortium's plan means for a Procurement Act
//! 2023 pipeline notice (UK1). Pure: no I/O, no clock.
//!
//! Each category whose best [`SharedAgreement`](super::SharedAgreement) serves
//! at least [`MIN_AUTHORITIES`] authorities becomes one [`PlannedProcurement`]:
//! the fields a UK1 asks about a planned contract (title, description, estimated
//! value, estimated dates of the tender and contract award notices, the
//! authorities), each estimate saying how it was made, and the statutory basis
//! with the confidence the rules data gives it. Where the law leaves something
//! open (chiefly, which authority must publish a pipeline notice for a joint
//! procurement) the record says so in [`PlannedProcurement::notes`] rather than
//! deciding it.
//!
//! The rules quoted here are copied, with their identifiers and confidence,
//! from `shared/data/rules/uk-procurement-rules.json` (schema 1.0.0, compiled
//! 2026-11-25); the core reads no files, so they are constants.

use super::days::day_number;
use super::{CategoryPlan, PlanParams, RegisterPlan};
use crate::ids::OrgId;
use crate::register::{Pence, Span};
use jiff::civil::Date;
use serde::Serialize;

/// The fewest authorities an agreement must serve to be a joint procurement.
pub const MIN_AUTHORITIES: usize = 2;

/// The share of the procurement lead time spent before the tender notice, as
/// (numerator, denominator) of the lead time in whole months, rounded down: a
/// third, for preliminary market engagement (PA 2023 ss.16–17, with its UK2
/// notice), considering lots (s.18) and writing the tender documents. With the
/// default 9 months' lead time the tender notice goes out 3 months in, which
/// also leaves room for a planned procurement notice (UK3) published at the
/// procurement start to qualify (at least 40 days before the tender notice,
/// s.15). An assumption, not a rule: a consortium that has already engaged the
/// market can go sooner.
pub const ENGAGEMENT_SHARE: (u32, u32) = (1, 3);

/// Months before the agreement starts that the contract award notice (UK6) is
/// estimated to be published: it must come before the contract is entered into
/// (s.50), and the mandatory standstill of 8 working days beginning with the
/// day it is published (s.51) must end first; a month leaves time for that and
/// for signing.
pub const AWARD_NOTICE_MONTHS_BEFORE_START: u32 = 1;

/// The shortest tendering period the estimated dates should allow between the
/// tender notice and the award notice, in days: the minimum for electronic
/// tenders with every document issued with the notice (s.54(4) row 7). Dates
/// closer than this are flagged in the notes.
pub const MIN_TENDERING_DAYS: i32 = 25;

/// £100m in pence: the payments under relevant contracts in the coming
/// financial year above which an authority must publish a pipeline notice
/// (s.93(1)).
pub const PIPELINE_SPEND_THRESHOLD: Pence = Pence(100_000_000 * 100);

/// £2m in pence: a pipeline notice lists public contracts with an estimated
/// value of more than this (s.93(3)).
pub const PIPELINE_CONTRACT_THRESHOLD: Pence = Pence(2_000_000 * 100);

/// The months in a pipeline notice's reporting period, from the first day of
/// the financial year (s.93(4)).
pub const REPORTING_MONTHS: u32 = 18;

/// Days, beginning with 1 April, within which a pipeline notice must be
/// published (s.93(2)).
pub const PUBLISH_WITHIN_DAYS: u32 = 56;

/// The first financial year s.93 applies to: the one beginning with the
/// 1 April after the section came into force (24 February 2025), s.93(4).
pub const FIRST_FINANCIAL_YEAR: i16 = 2025;

/// A rule relied on, as the rules data states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The fact's identifier in the rules data, e.g. `pa23.s93.pipeline`.
    pub rule: &'static str,
    /// The provision, e.g. `Procurement Act 2023 s.93`.
    pub citation: &'static str,
    /// `verified-from-text`, `from-secondary-source` or `unverified`, as the
    /// rules data gives it.
    pub confidence: &'static str,
    /// The rule in the data's words.
    pub statement: &'static str,
}

/// PA 2023 s.93: the duty to publish a pipeline notice.
pub const S93_PIPELINE: Citation = Citation {
    rule: "pa23.s93.pipeline",
    citation: "Procurement Act 2023 s.93",
    confidence: "verified-from-text",
    statement: "Pipeline notice (UK1): authorities expecting to pay > £100m under relevant contracts in the coming financial year must publish within 56 days beginning with 1 April, covering contracts > £2m for which a tender or transparency notice is intended in the 18-month reporting period.",
};

/// The Find a Tender code "UK1" for the s.93 notice (the duty is verified; the
/// code label is from secondary sources).
pub const UK1_NOTICE: Citation = Citation {
    rule: "notice.UK1",
    citation: "Procurement Act 2023 s.93; code mapping per Find a Tender 'Notice types' page / GCA Procurement Essentials article",
    confidence: "from-secondary-source",
    statement: "UK1 Pipeline notice: trigger - Authority expects > £100m payments under relevant contracts in coming financial year; lists contracts > £2m to be tendered/direct awarded in 18-month reporting period; deadline - Within 56 days beginning with 1 April (i.e. by 26 May).",
};

/// ss.16–17: preliminary market engagement and its notice (UK2).
pub const S16_17_ENGAGEMENT: Citation = Citation {
    rule: "pa23.s16_17.pme",
    citation: "Procurement Act 2023 ss.16-17",
    confidence: "verified-from-text",
    statement: "Preliminary market engagement permitted (must avoid unfair advantage/distortion); if carried out, publish a PME notice (UK2) before the tender notice or give reasons in the tender notice.",
};

/// s.15: the planned procurement notice (UK3).
pub const S15_PLANNED_PROCUREMENT: Citation = Citation {
    rule: "pa23.s15.ppn",
    citation: "Procurement Act 2023 s.15",
    confidence: "verified-from-text",
    statement: "Planned procurement notice (UK3) optional; 'qualifying' if published >= 40 days and <= 12 months before the tender notice (enables 10-day minimum tendering period).",
};

/// s.54(4) row 7: the 25-day minimum tendering period.
pub const S54_TENDERING: Citation = Citation {
    rule: "pa23.s54.tendering.e_all_docs",
    citation: "Procurement Act 2023 s.54(4) table row 7",
    confidence: "verified-from-text",
    statement: "Tendering period: minimum 25 days where tenders may be submitted electronically and the tender notice and all associated tender documents are provided at the same time.",
};

/// s.50: the contract award notice (UK6) before the contract.
pub const S50_AWARD_NOTICE: Citation = Citation {
    rule: "pa23.s50.can_required",
    citation: "Procurement Act 2023 s.50(1),(6)",
    confidence: "verified-from-text",
    statement: "A contract award notice must be published before entering into any public contract, including framework call-offs and dynamic market awards; exceptions only for defence and security contracts under a defence and security framework and user-choice direct awards (Sch 5 para 15).",
};

/// s.51: the standstill after the contract award notice.
pub const S51_STANDSTILL: Citation = Citation {
    rule: "pa23.s51.standstill",
    citation: "Procurement Act 2023 s.51(1)-(2)",
    confidence: "verified-from-text",
    statement: "Mandatory standstill: the authority may not enter into the contract before the end of 8 WORKING days beginning with the day the contract award notice (UK6) is published (or a longer period stated in the notice).",
};

/// s.47: a framework's maximum term.
pub const S47_FRAMEWORK_TERM: Citation = Citation {
    rule: "pa23.s47.term",
    citation: "Procurement Act 2023 s.47",
    confidence: "verified-from-text",
    statement: "Framework max term: 4 years; 8 years for defence and security or utilities frameworks; longer only if the nature of the goods/services/works requires it, with reasons in the tender or transparency notice. Not applicable to frameworks under an open framework, private utility frameworks, light touch frameworks.",
};

/// Thresholds and VAT: the Act's thresholds apply to VAT-inclusive values.
pub const THRESHOLDS_VAT: Citation = Citation {
    rule: "pa23.thr.vat",
    citation: "Procurement Act 2023 s.123(2) and Sch 3 (Sch 3 not read); Welsh guidance 'all values quoted are inclusive of VAT'",
    confidence: "from-secondary-source",
    statement: "Act thresholds are applied to estimated values that include VAT.",
};

/// The estimated value of a planned procurement and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstimatedValue {
    /// The estimate, in pence: `annual_value_pence × term_months ÷ 12`,
    /// rounded to the nearest penny (halves up).
    pub pence: Pence,
    /// The combined estimated annual value of the covered contracts, in pence.
    pub annual_value_pence: Pence,
    /// The agreement's term in months.
    pub term_months: u32,
    /// How the figure was computed and what it leaves out, in plain English.
    pub basis: String,
}

/// A financial year whose pipeline notice would list the procurement: its
/// reporting period (18 months from 1 April, s.93(4)) contains the estimated
/// date of the tender notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportingPeriod {
    /// The financial year, e.g. `2027-28`.
    pub financial_year: String,
    /// Its first day (1 April), when the reporting period begins.
    pub starts: Date,
    /// The reporting period's last day (30 September of the next year).
    pub ends: Date,
    /// The last day to publish that year's pipeline notice: the 56th day
    /// beginning with 1 April (26 May), s.93(2).
    pub publish_by: Date,
}

/// The law behind listing the procurement in a pipeline notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatutoryBasis {
    /// The notice's code on Find a Tender: `UK1`.
    pub notice: &'static str,
    /// The duty: PA 2023 s.93, as the rules data states it.
    pub duty: Citation,
    /// The `UK1` code label and its (lower) confidence.
    pub notice_code: Citation,
    /// An authority must publish a pipeline notice when it expects to pay more
    /// than this, in pence, under relevant contracts in the coming financial
    /// year (s.93(1)). Whether each authority does is not in the register.
    pub spend_threshold_pence: Pence,
    /// A pipeline notice lists public contracts with an estimated value of more
    /// than this, in pence (s.93(3)).
    pub contract_threshold_pence: Pence,
    /// Whether the estimated value is more than `contract_threshold_pence`.
    pub above_contract_threshold: bool,
    /// The financial years whose pipeline notices would cover the estimated
    /// tender notice date, earliest first.
    pub reporting_periods: Vec<ReportingPeriod>,
}

/// One planned procurement: a shared agreement for a category, described with
/// the fields a PA 2023 pipeline notice (UK1) needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedProcurement {
    /// The category label, as in the register.
    pub category: String,
    /// A title, e.g. "Shared agreement for housing management systems".
    pub title: String,
    /// What is to be bought, for whom, and why now.
    pub description: String,
    /// The authorities the agreement would serve (org ids), sorted.
    pub authorities: Vec<OrgId>,
    /// How many of the category's authorities the agreement would not serve
    /// (the plan says why for each).
    pub authorities_not_covered: usize,
    /// How many of the covered authorities' contracts end in time to call off.
    pub contract_count: usize,
    /// The estimated value and how it was computed.
    pub estimated_value: EstimatedValue,
    /// When the procurement must begin (from the plan).
    pub procurement_start: Date,
    /// The estimated date of the tender notice (UK4): the procurement start
    /// plus [`ENGAGEMENT_SHARE`] of the lead time.
    pub estimated_tender_notice_date: Date,
    /// The estimated date of the contract award notice (UK6):
    /// [`AWARD_NOTICE_MONTHS_BEFORE_START`] before the agreement starts (kept
    /// between the tender notice and the start).
    pub estimated_award_notice_date: Date,
    /// How the two estimated dates were reached.
    pub dates_basis: String,
    /// The agreement's first day.
    pub agreement_start: Date,
    /// The agreement's last day.
    pub agreement_end: Date,
    /// Why this belongs in a pipeline notice, with citations.
    pub statutory_basis: StatutoryBasis,
    /// The other rules the estimates rely on.
    pub citations: Vec<Citation>,
    /// What the law leaves unclear, what Consort does not know, and warnings
    /// about the dates; in plain English.
    pub notes: Vec<String>,
}

/// The planned procurements that follow from `plan`: one per category whose
/// shared agreement serves at least [`MIN_AUTHORITIES`] authorities, in the
/// plan's order (by category label). `params` must be those `plan` was made
/// with (the term and lead time are read from them).
pub fn planned_procurements(plan: &RegisterPlan, params: &PlanParams) -> Vec<PlannedProcurement> {
    plan.categories
        .iter()
        .filter_map(|c| planned_procurement(c, params))
        .collect()
}

/// The planned procurement for one category, if its shared agreement serves at
/// least [`MIN_AUTHORITIES`] authorities.
pub fn planned_procurement(plan: &CategoryPlan, params: &PlanParams) -> Option<PlannedProcurement> {
    let agreement = &plan.agreement;
    if agreement.covered.len() < MIN_AUTHORITIES {
        return None;
    }
    let authorities: Vec<OrgId> = agreement
        .covered
        .iter()
        .map(|c| c.authority.clone())
        .collect();
    let contract_count: usize = agreement.covered.iter().map(|c| c.contracts.len()).sum();
    let estimated_value = estimate_value(
        plan.agreement_value_pence,
        params.term_months,
        contract_count,
    );
    let dates = estimate_dates(
        agreement.procurement_start,
        agreement.start,
        params.lead_months,
    );
    let above = estimated_value.pence > PIPELINE_CONTRACT_THRESHOLD;
    let reporting_periods = reporting_periods(dates.tender_notice);

    let lower = sentence_case(&plan.category);
    let title = format!("Shared agreement for {lower}");
    let listed: Vec<&str> = authorities.iter().map(OrgId::as_str).collect();
    let description = format!(
        "{category}: a shared agreement of {term} from {start} to {end} that {n} of the {all} \
         authorities with {lower} contracts in the register ({listed}) can call off from as \
         their current contracts end: {contracts}, {annual} a year between them. Of the start \
         dates that leave the {lead} needed to procure it, {start} lets the most authorities \
         move across, each allowing {mob} to mobilise before its current contract can end. \
         To start then, the procurement must begin by {procurement_start}.",
        category = plan.category,
        term = months(params.term_months),
        start = agreement.start,
        end = agreement.end,
        n = authorities.len(),
        all = plan.authority_count,
        listed = listed.join(", "),
        contracts = plural(contract_count, "contract", "contracts"),
        annual = plan.agreement_value_pence.display(),
        lead = months(params.lead_months),
        mob = months(params.mobilisation_months),
        procurement_start = agreement.procurement_start,
    );

    let mut notes = vec![
        format!(
            "Whether a pipeline notice is required depends on each authority: s.93 applies to an \
             authority that considers it will pay more than {} under relevant contracts in the \
             coming financial year. Consort does not hold those figures, so it does not decide \
             whether any of these authorities must publish one.",
            PIPELINE_SPEND_THRESHOLD.display()
        ),
        "The law is unclear on which authority lists a joint procurement: s.93(3) covers \
         contracts for which \"the contracting authority intends to publish a tender notice\", \
         which points to the authority that publishes it (the lead authority); but s.1(3)(a) \
         treats an authority acting jointly with another as carrying out the procurement \
         itself, which could mean each authority that meets the s.93(1) test lists it. s.93 \
         does not say which. Take advice before relying on either reading."
            .to_string(),
        format!(
            "The notice code UK1 comes from the Find a Tender service (confidence: {}); the duty \
             in s.93 is read from the Act (confidence: {}). The information a pipeline notice \
             must contain is specified in regulations under s.95, which the rules data does not \
             cover.",
            UK1_NOTICE.confidence, S93_PIPELINE.confidence
        ),
    ];
    if !above {
        notes.push(format!(
            "At {} the estimated value is not more than {}, so s.93(3) does not require it to be \
             listed; the estimate leaves out extensions and VAT (see the value's basis), which \
             could take it over.",
            estimated_value.pence.display(),
            PIPELINE_CONTRACT_THRESHOLD.display()
        ));
    }
    if params.term_months > 48 {
        notes.push(format!(
            "A term of {} is longer than the 4 years a framework may normally last (s.47): a \
             longer term needs the nature of the goods, services or works to require it, with \
             reasons in the tender notice.",
            months(params.term_months)
        ));
    }
    if !reporting_periods.is_empty()
        && reporting_periods
            .iter()
            .all(|r| r.publish_by < agreement.procurement_start)
    {
        let due: Vec<String> = reporting_periods
            .iter()
            .map(|r| format!("{} (due by {})", r.financial_year, r.publish_by))
            .collect();
        notes.push(format!(
            "The pipeline notices whose reporting periods contain the estimated tender notice \
             date, {tender}, are those for {due}: due before the procurement starts on \
             {procurement_start}, so they list it only if it was already intended then.",
            tender = dates.tender_notice,
            due = due.join(" and "),
            procurement_start = agreement.procurement_start,
        ));
    }
    notes.extend(dates.warnings.iter().cloned());

    Some(PlannedProcurement {
        category: plan.category.clone(),
        title,
        description,
        authorities,
        authorities_not_covered: agreement.not_covered.len(),
        contract_count,
        estimated_value,
        procurement_start: agreement.procurement_start,
        estimated_tender_notice_date: dates.tender_notice,
        estimated_award_notice_date: dates.award_notice,
        dates_basis: dates.basis,
        agreement_start: agreement.start,
        agreement_end: agreement.end,
        statutory_basis: StatutoryBasis {
            notice: "UK1",
            duty: S93_PIPELINE,
            notice_code: UK1_NOTICE,
            spend_threshold_pence: PIPELINE_SPEND_THRESHOLD,
            contract_threshold_pence: PIPELINE_CONTRACT_THRESHOLD,
            above_contract_threshold: above,
            reporting_periods,
        },
        citations: vec![
            S16_17_ENGAGEMENT,
            S15_PLANNED_PROCUREMENT,
            S54_TENDERING,
            S50_AWARD_NOTICE,
            S51_STANDSTILL,
            S47_FRAMEWORK_TERM,
            THRESHOLDS_VAT,
        ],
        notes,
    })
}

/// `annual × term_months ÷ 12`, rounded half up, with the working shown.
fn estimate_value(annual: Pence, term_months: u32, contracts: usize) -> EstimatedValue {
    let product = i128::from(annual.0) * i128::from(term_months);
    let rounded = (product * 2 + 12).div_euclid(24);
    let pence = Pence(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
    let basis = format!(
        "An estimate: {annual} a year (the combined estimated annual value of the {contracts} \
         covered, as the register gives it or, where it gives only a total, that total spread \
         over the contract's years) × {term} ÷ 12 = {total}. It assumes each covered authority \
         spends as much a year under the agreement as under its current contract, for the whole \
         term. It leaves out authorities not covered, growth, options to extend and VAT (the \
         register does not say whether its values include VAT; the Act's thresholds apply to \
         values including it). The Act values a framework at the sum of all the contracts that \
         may be awarded under it, including options (Schedule 3), which can be more.",
        annual = annual.display(),
        contracts = plural(contracts, "contract", "contracts"),
        term = months(term_months),
        total = pence.display(),
    );
    EstimatedValue {
        pence,
        annual_value_pence: annual,
        term_months,
        basis,
    }
}

/// The estimated notice dates, how they were reached, and any warnings.
struct NoticeDates {
    tender_notice: Date,
    award_notice: Date,
    basis: String,
    warnings: Vec<String>,
}

fn estimate_dates(procurement_start: Date, start: Date, lead_months: u32) -> NoticeDates {
    let engagement = (u64::from(lead_months) * u64::from(ENGAGEMENT_SHARE.0)
        / u64::from(ENGAGEMENT_SHARE.1)) as u32;
    let mut tender = Span::Months(engagement).after(procurement_start);
    let day_before_start = start.yesterday().unwrap_or(start);
    let award = Span::Months(AWARD_NOTICE_MONTHS_BEFORE_START)
        .before(start)
        .max(tender)
        .min(day_before_start);
    tender = tender.min(award);
    let basis = format!(
        "Tender notice (UK4): the procurement start, {procurement_start}, plus {engagement} — a \
         third of the {lead} lead time, rounded down to whole months — for preliminary market \
         engagement with its UK2 notice (ss.16-17), considering lots (s.18) and preparing the \
         tender documents; an assumption, not a rule. Contract award notice (UK6): \
         {award_months} before the agreement starts on {start}, because the notice must come \
         before the contract (s.50) and the 8-working-day standstill beginning on the day it is \
         published (s.51) must end before the contract is signed; kept after the tender notice \
         and before the start.",
        engagement = months(engagement),
        lead = months(lead_months),
        award_months = months(AWARD_NOTICE_MONTHS_BEFORE_START),
    );
    let mut warnings = Vec::new();
    let gap = day_number(award) - day_number(tender);
    if gap < MIN_TENDERING_DAYS {
        warnings.push(format!(
            "The estimated dates leave {gap} days between the tender notice ({tender}) and the \
             contract award notice ({award}): less than the {MIN_TENDERING_DAYS}-day minimum \
             tendering period for electronic tenders (s.54(4)) before any evaluation. A \
             {lead} lead time is too short for a competitive procurement; plan with a longer \
             one.",
            lead = months(lead_months),
        ));
    }
    if start <= procurement_start {
        warnings.push(format!(
            "The agreement would start on {start}, the same day the procurement begins: with no \
             lead time these dates cannot be met."
        ));
    }
    let engagement_days = day_number(tender) - day_number(procurement_start);
    if engagement_days < 40 {
        warnings.push(format!(
            "The tender notice is estimated {engagement_days} days after the procurement \
             starts: a planned procurement notice (UK3) published then would not be a \
             qualifying one, which needs at least 40 days (s.15)."
        ));
    }
    NoticeDates {
        tender_notice: tender,
        award_notice: award,
        basis,
        warnings,
    }
}

/// The financial years (from 2025-26, the first s.93 applies to) whose
/// 18-month reporting period contains `date`, earliest first.
pub fn reporting_periods(date: Date) -> Vec<ReportingPeriod> {
    let year = date.year();
    (year.saturating_sub(2)..=year)
        .filter(|&y| y >= FIRST_FINANCIAL_YEAR)
        .filter_map(|y| {
            let starts = Date::new(y, 4, 1).ok()?;
            let ends = Span::Months(REPORTING_MONTHS)
                .after(starts)
                .yesterday()
                .ok()?;
            (starts <= date && date <= ends).then(|| ReportingPeriod {
                financial_year: format!("{y}-{:02}", (i32::from(y) + 1).rem_euclid(100)),
                starts,
                ends,
                publish_by: Span::Days(PUBLISH_WITHIN_DAYS - 1).after(starts),
            })
        })
        .collect()
}

/// The label with its first letter lowered for use mid-sentence, unless it
/// starts with an abbreviation ("CCTV maintenance" stays as it is).
fn sentence_case(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second)
            if first.is_uppercase() && !second.is_some_and(char::is_uppercase) =>
        {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_string(),
    }
}

fn months(n: u32) -> String {
    plural(n as usize, "month", "months")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The CSV header of [`to_csv`].
pub const CSV_HEADER: &str = "category,title,description,authorities,authority_count,\
authorities_not_covered,contract_count,estimated_value_pence,annual_value_pence,term_months,\
estimated_value_basis,procurement_start,estimated_tender_notice_date,\
estimated_award_notice_date,dates_basis,agreement_start,agreement_end,statutory_basis,\
statutory_basis_confidence,notice,notice_code_confidence,above_contract_threshold,\
pipeline_financial_years,pipeline_publish_by,notes";

/// `procurements` as CSV (RFC 4180): a header row ([`CSV_HEADER`]), then one
/// row each; CRLF line ends; fields quoted when they hold a comma, quote or
/// line break (quotes doubled). Authorities, financial years and publication
/// deadlines are joined by `;`, notes by ` | `. Money in pence, dates
/// `YYYY-MM-DD`. A text field that a spreadsheet would read as a formula
/// (starting `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`.
pub fn to_csv(procurements: &[PlannedProcurement]) -> String {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for p in procurements {
        let authorities: Vec<&str> = p.authorities.iter().map(OrgId::as_str).collect();
        let periods = &p.statutory_basis.reporting_periods;
        let years: Vec<&str> = periods.iter().map(|r| r.financial_year.as_str()).collect();
        let publish_by: Vec<String> = periods.iter().map(|r| r.publish_by.to_string()).collect();
        let row = [
            text_cell(&p.category),
            text_cell(&p.title),
            text_cell(&p.description),
            text_cell(&authorities.join(";")),
            p.authorities.len().to_string(),
            p.authorities_not_covered.to_string(),
            p.contract_count.to_string(),
            p.estimated_value.pence.0.to_string(),
            p.estimated_value.annual_value_pence.0.to_string(),
            p.estimated_value.term_months.to_string(),
            text_cell(&p.estimated_value.basis),
            p.procurement_start.to_string(),
            p.estimated_tender_notice_date.to_string(),
            p.estimated_award_notice_date.to_string(),
            text_cell(&p.dates_basis),
            p.agreement_start.to_string(),
            p.agreement_end.to_string(),
            text_cell(p.statutory_basis.duty.citation),
            text_cell(p.statutory_basis.duty.confidence),
            text_cell(p.statutory_basis.notice),
            text_cell(p.statutory_basis.notice_code.confidence),
            p.statutory_basis.above_contract_threshold.to_string(),
            text_cell(&years.join(";")),
            text_cell(&publish_by.join(";")),
            text_cell(&p.notes.join(" | ")),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A text field for CSV: neutralised against formula injection, then quoted if
/// it needs to be.
fn text_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::{CategoryPlan, CoveredAuthority, NotCovered, SharedAgreement};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn org(s: &str) -> OrgId {
        OrgId::parse(s).unwrap()
    }

    fn covered(authority: &str, refs: &[&str]) -> CoveredAuthority {
        CoveredAuthority {
            authority: org(authority),
            contracts: refs.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// A category plan with a 4-year agreement from 2027-10-01 (procurement
    /// from 2027-01-01) covering `authorities`.
    fn category(label: &str, authorities: Vec<CoveredAuthority>, annual: i64) -> CategoryPlan {
        CategoryPlan {
            category: label.to_string(),
            contract_count: 4,
            authority_count: authorities.len() + 1,
            cohort_count: 0,
            cohorts: Vec::new(),
            agreement: SharedAgreement {
                start: d("2027-10-01"),
                end: d("2031-10-01"),
                procurement_start: d("2027-01-01"),
                covered: authorities,
                not_covered: vec![NotCovered {
                    authority: org("GB-LAE-SWK"),
                    reason: "its contract can end by 2026-03-31 at the latest".into(),
                }],
            },
            agreement_value_pence: Pence(annual),
        }
    }

    fn housing() -> CategoryPlan {
        category(
            "Housing management systems",
            vec![
                covered("GB-LAE-CMD", &["CMD-1"]),
                covered("GB-LAE-HCK", &["HCK-7", "HCK-8"]),
            ],
            // £600,000.50 a year.
            60_000_050,
        )
    }

    #[test]
    fn a_category_with_two_covered_authorities_is_a_planned_procurement() {
        let params = PlanParams::default();
        let p = planned_procurement(&housing(), &params).expect("two authorities");
        assert_eq!(p.title, "Shared agreement for housing management systems");
        assert_eq!(p.authorities, vec![org("GB-LAE-CMD"), org("GB-LAE-HCK")]);
        assert_eq!(p.contract_count, 3);
        assert_eq!(p.authorities_not_covered, 1);
        // £600,000.50 × 48 ÷ 12 = £2,400,002.
        assert_eq!(p.estimated_value.pence, Pence(240_000_200));
        assert_eq!(p.estimated_value.annual_value_pence, Pence(60_000_050));
        assert!(
            p.estimated_value
                .basis
                .contains("× 48 months ÷ 12 = £2,400,002")
        );
        assert!(p.description.contains("GB-LAE-CMD, GB-LAE-HCK"));
        assert!(p.description.contains("must begin by 2027-01-01"));
        assert_eq!(p.procurement_start, d("2027-01-01"));
        // A third of 9 months for market engagement; a month before the start.
        assert_eq!(p.estimated_tender_notice_date, d("2027-04-01"));
        assert_eq!(p.estimated_award_notice_date, d("2027-09-01"));
        assert_eq!(
            (p.agreement_start, p.agreement_end),
            (d("2027-10-01"), d("2031-10-01"))
        );
        let basis = &p.statutory_basis;
        assert_eq!(basis.notice, "UK1");
        assert_eq!(basis.duty.citation, "Procurement Act 2023 s.93");
        assert_eq!(basis.duty.confidence, "verified-from-text");
        assert_eq!(basis.notice_code.confidence, "from-secondary-source");
        assert!(basis.above_contract_threshold);
        // 2027-04-01 is in 2026-27's period (to 2027-09-30) and 2027-28's.
        let years: Vec<&str> = basis
            .reporting_periods
            .iter()
            .map(|r| r.financial_year.as_str())
            .collect();
        assert_eq!(years, ["2026-27", "2027-28"]);
        assert_eq!(basis.reporting_periods[0].publish_by, d("2026-05-26"));
        assert_eq!(basis.reporting_periods[0].ends, d("2027-09-30"));
        assert!(p.notes.iter().any(|n| n.contains("unclear")));
        // The 2027-28 notice, due by 2027-05-26, comes after the procurement starts.
        assert!(!p.notes.iter().any(|n| n.contains("already intended")));
        // Nothing about the dates is flagged with the default lead time.
        assert!(
            !p.notes
                .iter()
                .any(|n| n.contains("s.54") || n.contains("s.15"))
        );
    }

    #[test]
    fn one_covered_authority_is_not_a_joint_procurement() {
        let plan = RegisterPlan {
            categories: vec![
                category("Agency staff", vec![covered("GB-LAE-CMD", &["A"])], 100),
                housing(),
            ],
            skipped: Vec::new(),
        };
        let all = planned_procurements(&plan, &PlanParams::default());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].category, "Housing management systems");
    }

    #[test]
    fn values_round_half_up_and_small_ones_are_below_the_pipeline_threshold() {
        // 101p × 18 ÷ 12 = 151.5p → 152p.
        assert_eq!(estimate_value(Pence(101), 18, 1).pence, Pence(152));
        assert_eq!(estimate_value(Pence(0), 48, 0).pence, Pence(0));
        assert_eq!(
            estimate_value(Pence(i64::MAX), 48, 1).pence,
            Pence(i64::MAX)
        );
        // Exactly £2m is not "more than £2m".
        let params = PlanParams::default();
        let at = category("Insurance", housing().agreement.covered, 50_000_000);
        let p = planned_procurement(&at, &params).unwrap();
        assert_eq!(p.estimated_value.pence, PIPELINE_CONTRACT_THRESHOLD);
        assert!(!p.statutory_basis.above_contract_threshold);
        assert!(p.notes.iter().any(|n| n.contains("does not require it")));
    }

    #[test]
    fn short_lead_times_keep_the_dates_in_order_and_say_so() {
        for lead in 0..=12 {
            let start = Span::Months(lead).after(d("2027-01-31"));
            let dates = estimate_dates(d("2027-01-31"), start, lead);
            assert!(dates.tender_notice <= dates.award_notice, "{lead}");
            if start > d("2027-01-31") {
                assert!(dates.award_notice < start, "{lead}");
                assert!(dates.tender_notice >= d("2027-01-31"), "{lead}");
            }
            let flagged = dates.warnings.iter().any(|w| w.contains("s.54"));
            let gap = day_number(dates.award_notice) - day_number(dates.tender_notice);
            assert_eq!(flagged, gap < MIN_TENDERING_DAYS, "{lead}");
        }
        let two = estimate_dates(d("2027-01-01"), d("2027-03-01"), 2);
        assert_eq!(two.tender_notice, d("2027-01-01"));
        assert_eq!(two.award_notice, d("2027-02-01"));
        assert!(two.warnings.iter().any(|w| w.contains("s.15")));
        let none = estimate_dates(d("2027-01-01"), d("2027-01-01"), 0);
        assert!(none.warnings.iter().any(|w| w.contains("cannot be met")));
    }

    #[test]
    fn pipeline_notices_due_before_the_procurement_starts_are_pointed_out() {
        let mut plan = housing();
        plan.agreement.procurement_start = d("2026-11-25");
        plan.agreement.start = d("2027-08-25");
        plan.agreement.end = d("2031-08-25");
        let p = planned_procurement(&plan, &PlanParams::default()).unwrap();
        assert_eq!(p.estimated_tender_notice_date, d("2027-02-25"));
        assert!(p.notes.iter().any(|n| n.contains(
            "are those for 2026-27 (due by 2026-05-26): due before the procurement starts on \
             2026-11-25"
        )));
    }

    #[test]
    fn long_terms_are_flagged_against_the_framework_maximum() {
        let params = PlanParams {
            term_months: 60,
            ..PlanParams::default()
        };
        let p = planned_procurement(&housing(), &params).unwrap();
        assert_eq!(p.estimated_value.pence, Pence(300_000_250));
        assert!(p.notes.iter().any(|n| n.contains("s.47")));
    }

    #[test]
    fn reporting_periods_run_eighteen_months_from_april() {
        let years = |s: &str| -> Vec<String> {
            reporting_periods(d(s))
                .into_iter()
                .map(|r| r.financial_year)
                .collect()
        };
        assert_eq!(years("2027-03-31"), ["2026-27"]);
        assert_eq!(years("2027-09-30"), ["2026-27", "2027-28"]);
        assert_eq!(years("2027-10-01"), ["2027-28"]);
        assert_eq!(years("2099-12-31"), ["2099-00"]);
        // s.93 applies from the 2025-26 financial year.
        assert!(years("2025-03-31").is_empty());
        assert_eq!(years("2025-04-01"), ["2025-26"]);
        let r = &reporting_periods(d("2028-01-15"))[0];
        assert_eq!((r.starts, r.ends), (d("2027-04-01"), d("2028-09-30")));
        assert_eq!(r.publish_by, d("2027-05-26"));
    }

    #[test]
    fn titles_keep_abbreviations() {
        assert_eq!(sentence_case("CCTV maintenance"), "CCTV maintenance");
        assert_eq!(sentence_case("Waste collection"), "waste collection");
        assert_eq!(sentence_case("é"), "é");
        assert_eq!(sentence_case(""), "");
        assert_eq!(sentence_case("A"), "a");
    }

    #[test]
    fn serialises_dates_as_iso_and_money_as_pence() {
        let p = planned_procurement(&housing(), &PlanParams::default()).unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["estimated_tender_notice_date"], "2027-04-01");
        assert_eq!(json["estimated_value"]["pence"], 240_000_200);
        assert_eq!(json["authorities"][1], "GB-LAE-HCK");
        assert_eq!(json["statutory_basis"]["duty"]["rule"], "pa23.s93.pipeline");
        assert_eq!(
            json["statutory_basis"]["reporting_periods"][0]["publish_by"],
            "2026-05-26"
        );
    }

    /// Splits RFC 4180 CSV into records of fields (enough for the tests).
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, c) => field.push(c),
            }
        }
        records
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_quoting() {
        let mut odd = housing();
        odd.category = "=Repairs, \"responsive\"\nand planned".into();
        let rows = vec![
            planned_procurement(&housing(), &PlanParams::default()).unwrap(),
            planned_procurement(&odd, &PlanParams::default()).unwrap(),
        ];
        let csv = to_csv(&rows);
        assert!(csv.starts_with(CSV_HEADER));
        assert!(csv.ends_with("\r\n"));
        let records = parse_csv(&csv);
        assert_eq!(records.len(), 3);
        let header = &records[0];
        assert!(records.iter().all(|r| r.len() == header.len()));
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let first = &records[1];
        assert_eq!(first[col("category")], "Housing management systems");
        assert_eq!(first[col("authorities")], "GB-LAE-CMD;GB-LAE-HCK");
        assert_eq!(first[col("authority_count")], "2");
        assert_eq!(first[col("estimated_value_pence")], "240000200");
        assert_eq!(first[col("estimated_tender_notice_date")], "2027-04-01");
        assert_eq!(first[col("estimated_award_notice_date")], "2027-09-01");
        assert_eq!(first[col("statutory_basis")], "Procurement Act 2023 s.93");
        assert_eq!(
            first[col("statutory_basis_confidence")],
            "verified-from-text"
        );
        assert_eq!(first[col("pipeline_financial_years")], "2026-27;2027-28");
        assert_eq!(first[col("pipeline_publish_by")], "2026-05-26;2027-05-26");
        // The awkward label survives the round trip, made safe for spreadsheets.
        assert_eq!(
            records[2][col("category")],
            "'=Repairs, \"responsive\"\nand planned"
        );
        assert_eq!(to_csv(&[]), format!("{CSV_HEADER}\r\n"));
    }
}
