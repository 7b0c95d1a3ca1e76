//! `consort plan`: the planner's cohorts and shared agreements, as a table, JSON
//! (documented in docs/planner-json.md) or CSV.

use anyhow::{Result, anyhow, bail};
use consort_core::OrgId;
use consort_core::planner::{PlanParams, RegisterPlan, plan_register};
use consort_core::register::Contract;
use consort_store::{ContractFilter, Store};
use jiff::civil::Date;
use std::io::Write;

/// What `consort plan` was asked.
pub struct PlanRequest {
    /// Only this category.
    pub category: Option<String>,
    /// Only the members of this consortium.
    pub consortium: Option<i64>,
    /// The planner's assumptions.
    pub params: PlanParams,
    /// The day to plan from.
    pub today: Date,
    /// table, json or csv.
    pub format: String,
}

/// Plans the stored register and writes the result to `out`.
pub async fn run(store: &Store, request: &PlanRequest, out: &mut impl Write) -> Result<()> {
    let p = &request.params;
    crate::pipeline::check_months(p.term_months, p.lead_months, p.mobilisation_months)?;
    let contracts = load_contracts(store, request.consortium, request.category.as_deref()).await?;
    let plan = plan_register(&contracts, &request.params, request.today);
    match request.format.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut *out, &json_document(&plan, request))?;
            writeln!(out)?;
        }
        "csv" => write_csv(&plan, out)?,
        "table" => write_table(&plan, request, out)?,
        other => bail!("--format: '{other}' is not a format: use table, json or csv"),
    }
    Ok(())
}

/// The stored contracts to plan: those of the consortium's members (or every
/// authority's), in the category if one is given. Shared with `consort pipeline`.
pub async fn load_contracts(
    store: &Store,
    consortium: Option<i64>,
    category: Option<&str>,
) -> Result<Vec<Contract>> {
    let authorities: Option<Vec<OrgId>> = match consortium {
        Some(id) => Some(
            store
                .consortium(id)
                .await?
                .ok_or_else(|| anyhow!("--consortium: there is no consortium number {id} (see `consort consortium list`)"))?
                .members,
        ),
        None => None,
    };
    let contracts: Vec<Contract> = store
        .contracts(&ContractFilter {
            authorities,
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|s| s.contract)
        .filter(|c| category.is_none_or(|cat| c.category.as_deref() == Some(cat)))
        .collect();
    if let Some(cat) = category
        && contracts.is_empty()
    {
        bail!("--category: no contract is in the category '{cat}'");
    }
    Ok(contracts)
}

/// The JSON document: the parameters used and the plan.
fn json_document(plan: &RegisterPlan, request: &PlanRequest) -> serde_json::Value {
    serde_json::json!({
        "today": request.today.to_string(),
        "parameters": {
            "term_months": request.params.term_months,
            "lead_months": request.params.lead_months,
            "mobilisation_months": request.params.mobilisation_months,
            "max_cohorts": request.params.max_cohorts,
        },
        "categories": plan.categories,
        "skipped": plan.skipped,
    })
}

fn write_csv(plan: &RegisterPlan, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "category,kind,rank,from,to,authority_count,authorities,contracts,annual_value_pence,procurement_start,not_covered"
    )?;
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for c in &plan.categories {
        for (i, cohort) in c.cohorts.iter().enumerate() {
            let authorities: Vec<&str> = cohort.authorities.iter().map(OrgId::as_str).collect();
            writeln!(
                out,
                "{},joint,{},{},{},{},{},{},{},,",
                q(&c.category),
                i + 1,
                cohort.from,
                cohort.to,
                cohort.authorities.len(),
                q(&authorities.join(";")),
                q(&cohort.contracts.join(";")),
                cohort.annual_value_pence.0
            )?;
        }
        let a = &c.agreement;
        let covered: Vec<&str> = a.covered.iter().map(|x| x.authority.as_str()).collect();
        let contracts: Vec<&str> = a
            .covered
            .iter()
            .flat_map(|x| x.contracts.iter().map(String::as_str))
            .collect();
        let not_covered: Vec<String> = a
            .not_covered
            .iter()
            .map(|n| format!("{}: {}", n.authority, n.reason))
            .collect();
        writeln!(
            out,
            "{},agreement,1,{},{},{},{},{},{},{},{}",
            q(&c.category),
            a.start,
            a.end,
            covered.len(),
            q(&covered.join(";")),
            q(&contracts.join(";")),
            c.agreement_value_pence.0,
            a.procurement_start,
            q(&not_covered.join("; "))
        )?;
    }
    Ok(())
}

fn write_table(plan: &RegisterPlan, request: &PlanRequest, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Plan from {} — agreement term {} months, {} months to procure, {} months to mobilise",
        request.today,
        request.params.term_months,
        request.params.lead_months,
        request.params.mobilisation_months
    )?;
    for c in &plan.categories {
        writeln!(out)?;
        writeln!(
            out,
            "{} — {}, {}, {}",
            c.category,
            plural(c.contract_count, "contract", "contracts"),
            plural(c.authority_count, "authority", "authorities"),
            plural(c.cohort_count, "joint cohort", "joint cohorts")
        )?;
        writeln!(out, "  Joint go-live (best first):")?;
        for (i, cohort) in c.cohorts.iter().take(10).enumerate() {
            writeln!(
                out,
                "  {:>3}. {} to {}  {}  {}  {}",
                i + 1,
                cohort.from,
                cohort.to,
                plural(cohort.authorities.len(), "authority", "authorities"),
                cohort.annual_value_pence.display(),
                cohort
                    .authorities
                    .iter()
                    .map(OrgId::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            )?;
        }
        if c.cohorts.len() > 10 {
            writeln!(
                out,
                "       … {} more (use --format json or csv for all)",
                c.cohort_count - 10
            )?;
        }
        let a = &c.agreement;
        writeln!(
            out,
            "  Shared agreement: {} to {}; start procurement by {}; covers {} of {} authorities ({} a year)",
            a.start,
            a.end,
            a.procurement_start,
            a.covered.len(),
            c.authority_count,
            c.agreement_value_pence.display()
        )?;
        for n in &a.not_covered {
            writeln!(out, "    not covered: {} — {}", n.authority, n.reason)?;
        }
    }
    if !plan.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} contracts were left out:", plan.skipped.len())?;
        for s in plan.skipped.iter().take(20) {
            writeln!(out, "  {} {}: {}", s.authority, s.reference, s.reason)?;
        }
        if plan.skipped.len() > 20 {
            writeln!(out, "  … and {} more", plan.skipped.len() - 20)?;
        }
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
