//! `consort pipeline`: the planned procurements that follow from the planner's
//! shared agreements, with the fields a Procurement Act 2023 pipeline notice
//! (UK1) needs, as CSV or JSON (documented in docs/pipeline.md).

use anyhow::{Result, anyhow, bail};
use clap::Args;
use consort_core::planner::pipeline::{
    AWARD_NOTICE_MONTHS_BEFORE_START, ENGAGEMENT_SHARE, MIN_AUTHORITIES, MIN_TENDERING_DAYS,
    PlannedProcurement, planned_procurements, to_csv,
};
use consort_core::planner::{PlanParams, RegisterPlan, plan_register};
use jiff::civil::Date;
use std::io::Write;
use std::process::ExitCode;

/// What `consort pipeline` takes.
#[derive(Args)]
pub struct PipelineArgs {
    /// Only the members of this consortium (see `consortium list`).
    #[arg(long)]
    consortium: Option<i64>,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// The shared agreement's term, in months.
    #[arg(long, default_value_t = 48)]
    term_months: u32,
    /// The months needed to procure the agreement.
    #[arg(long, default_value_t = 9)]
    lead_months: u32,
    /// The months an authority needs to move onto the new agreement before its contract ends.
    #[arg(long, default_value_t = 12)]
    mobilisation_months: u32,
    /// Plan as if today were this date (YYYY-MM-DD); defaults to today in London.
    #[arg(long)]
    today: Option<String>,
    /// csv or json.
    #[arg(long, default_value = "csv")]
    format: String,
}

/// `--today`, or today in London.
pub fn parse_today(arg: Option<&str>) -> Result<Date> {
    match arg {
        Some(t) => t
            .trim()
            .parse::<Date>()
            .map_err(|_| anyhow!("--today: '{t}' is not a date like 2026-11-25")),
        None => Ok(consort_core::time::london_date(jiff::Timestamp::now())),
    }
}

/// The most months `--term-months`, `--lead-months` and `--mobilisation-months`
/// take: 50 years, far beyond any real agreement, well within the calendar.
pub const MAX_MONTHS: u32 = 600;

/// Checks the month counts: the term from 1 to [`MAX_MONTHS`], the lead and
/// mobilisation times from 0 to [`MAX_MONTHS`], naming the option at fault.
pub fn check_months(term: u32, lead: u32, mobilisation: u32) -> Result<()> {
    for (option, value, least) in [
        ("--term-months", term, 1),
        ("--lead-months", lead, 0),
        ("--mobilisation-months", mobilisation, 0),
    ] {
        if !(least..=MAX_MONTHS).contains(&value) {
            bail!("{option}: give a number of months from {least} to {MAX_MONTHS}, not {value}");
        }
    }
    Ok(())
}

/// Runs `consort pipeline`.
pub async fn command(storage: &crate::StorageArgs, args: PipelineArgs) -> Result<ExitCode> {
    let today = parse_today(args.today.as_deref())?;
    if !matches!(args.format.as_str(), "csv" | "json") {
        bail!(
            "--format: '{}' is not a format: use csv or json",
            args.format
        );
    }
    check_months(args.term_months, args.lead_months, args.mobilisation_months)?;
    let params = PlanParams {
        term_months: args.term_months,
        lead_months: args.lead_months,
        mobilisation_months: args.mobilisation_months,
        // Only the shared agreements matter here; cohorts are not listed.
        max_cohorts: 0,
    };
    let store = crate::open_store(storage).await?;
    let contracts =
        crate::plan::load_contracts(&store, args.consortium, args.category.as_deref()).await?;
    let plan = plan_register(&contracts, &params, today);
    let procurements = planned_procurements(&plan, &params);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format.as_str() {
        "json" => {
            let document = json_document(today, &params, &plan, &procurements);
            serde_json::to_writer_pretty(&mut out, &document)?;
            writeln!(out)?;
        }
        _ => out.write_all(to_csv(&procurements).as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON document `consort pipeline --format json` writes: the day and
/// parameters planned with, the fixed assumptions behind the estimated dates,
/// the planned procurements, and the categories that gave none, with why.
fn json_document(
    today: Date,
    params: &PlanParams,
    plan: &RegisterPlan,
    procurements: &[PlannedProcurement],
) -> serde_json::Value {
    let not_planned: Vec<serde_json::Value> = plan
        .categories
        .iter()
        .filter(|c| c.agreement.covered.len() < MIN_AUTHORITIES)
        .map(|c| {
            let covered = c.agreement.covered.len();
            serde_json::json!({
                "category": c.category,
                "authorities": c.authority_count,
                "covered_authorities": covered,
                "reason": format!(
                    "its best shared agreement serves {covered} of {} {}; a joint procurement \
                     needs at least {MIN_AUTHORITIES}",
                    c.authority_count,
                    if c.authority_count == 1 { "authority" } else { "authorities" }
                ),
            })
        })
        .collect();
    serde_json::json!({
        "today": today.to_string(),
        "parameters": {
            "term_months": params.term_months,
            "lead_months": params.lead_months,
            "mobilisation_months": params.mobilisation_months,
        },
        "assumptions": {
            "min_authorities": MIN_AUTHORITIES,
            "engagement_share_of_lead_time": format!("{}/{}", ENGAGEMENT_SHARE.0, ENGAGEMENT_SHARE.1),
            "award_notice_months_before_start": AWARD_NOTICE_MONTHS_BEFORE_START,
            "min_tendering_days": MIN_TENDERING_DAYS,
        },
        "planned_procurements": procurements,
        "not_planned": not_planned,
    })
}
