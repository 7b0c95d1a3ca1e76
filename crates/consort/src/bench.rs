//! `consort bench`: performance measured against the targets in DESIGN.md, one
//! run at a time, printing each figure, what it is compared with and the ratio.

use anyhow::{Result, bail};
use clap::Subcommand;
use consort_core::planner::{BenchReport, bench_plan};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// The planner target from DESIGN.md: all cohorts of this many contracts…
pub const TARGET_CONTRACTS: usize = 1_000_000;
/// …across this many authorities…
pub const TARGET_AUTHORITIES: usize = 400;
/// …in under this long, on one 2-core machine.
pub const TARGET: Duration = Duration::from_secs(1);

/// The most contracts `bench plan` will generate (each takes memory).
const MAX_CONTRACTS: usize = 100_000_000;

/// What `consort bench` can measure.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time the planner on a synthetic register: generate, group, windows,
    /// cohorts; compared with the 1 s target for 1,000,000 contracts across 400
    /// authorities. Build in release (`cargo run --release -p consort -- bench plan`).
    Plan {
        /// How many contracts to generate.
        #[arg(long, default_value_t = TARGET_CONTRACTS)]
        contracts: usize,
        /// How many authorities hold them.
        #[arg(long, default_value_t = TARGET_AUTHORITIES)]
        authorities: usize,
        /// Plan as if today were this date (YYYY-MM-DD); defaults to today in London.
        #[arg(long)]
        today: Option<String>,
    },
}

/// Runs `consort bench plan`.
pub fn plan(contracts: usize, authorities: usize, today: Option<&str>) -> Result<ExitCode> {
    let today = crate::pipeline::parse_today(today)?;
    if contracts == 0 || contracts > MAX_CONTRACTS {
        bail!("--contracts: give a number from 1 to {MAX_CONTRACTS}, not {contracts}");
    }
    if authorities == 0 || authorities > contracts {
        bail!(
            "--authorities: give a number from 1 to the number of contracts ({contracts}), not {authorities}"
        );
    }
    let report = bench_plan(contracts, authorities, today);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_report(
        &mut out,
        &report,
        &today.to_string(),
        cfg!(debug_assertions),
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `n` with thousands separators.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn write_report(
    out: &mut impl Write,
    r: &BenchReport,
    today: &str,
    debug_build: bool,
) -> Result<()> {
    writeln!(
        out,
        "consort bench plan: {} contracts across {} authorities in {} categories, as of {today}, on {} {} ({} build)",
        grouped(r.contracts as u64),
        grouped(r.authorities as u64),
        r.categories,
        r.threads,
        if r.threads == 1 { "thread" } else { "threads" },
        if debug_build { "debug" } else { "release" },
    )?;
    let phases = [
        (
            "generate",
            r.generate,
            "build the synthetic register with exit windows (not planning: outside the target)",
        ),
        ("group", r.group, "split the register by category"),
        (
            "windows",
            r.windows,
            "index each category: authorities numbered, exit windows as day numbers",
        ),
        (
            "cohorts",
            r.cohorts,
            "every joint cohort (found and ranked) and each category's best shared agreement",
        ),
        (
            "materialise",
            r.materialise,
            "list members of each category's 10 best cohorts and its agreement (outside the target)",
        ),
    ];
    for (name, time, what) in phases {
        writeln!(out, "  {name:<12} {:>12}  {what}", ms(time))?;
    }
    let planning = r.planning();
    writeln!(
        out,
        "planning (group + windows + cohorts): {}",
        ms(planning)
    )?;
    writeln!(
        out,
        "target: {} for all cohorts of {} contracts across {} authorities on one 2-core machine (DESIGN.md)",
        ms(TARGET),
        grouped(TARGET_CONTRACTS as u64),
        TARGET_AUTHORITIES
    )?;
    let ratio = planning.as_secs_f64() / TARGET.as_secs_f64();
    writeln!(
        out,
        "ratio: {ratio:.3} (planning ÷ target: {} the target)",
        if ratio < 1.0 { "within" } else { "over" }
    )?;
    writeln!(
        out,
        "found: {} joint cohorts (the largest with {} authorities); the shared agreements serve {} authorities and {} contracts",
        grouped(r.joint_cohorts as u64),
        r.largest_cohort_authorities,
        grouped(r.agreement_authorities),
        grouped(r.agreement_contracts)
    )?;
    if r.contracts != TARGET_CONTRACTS || r.authorities != TARGET_AUTHORITIES {
        writeln!(
            out,
            "note: the target is set for {} contracts across {} authorities; this run's size differs, so the ratio is a guide only",
            grouped(TARGET_CONTRACTS as u64),
            TARGET_AUTHORITIES
        )?;
    }
    if debug_build {
        writeln!(
            out,
            "note: this is a debug build, many times slower than a release build; measure with `cargo run --release -p consort -- bench plan`"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(planning_ms: u64) -> BenchReport {
        BenchReport {
            contracts: 1_000_000,
            authorities: 400,
            categories: 20,
            threads: 2,
            generate: Duration::from_millis(900),
            group: Duration::from_millis(planning_ms / 4),
            windows: Duration::from_millis(planning_ms / 4),
            cohorts: Duration::from_millis(planning_ms / 2),
            materialise: Duration::from_millis(3),
            joint_cohorts: 12_345,
            largest_cohort_authorities: 321,
            agreement_authorities: 6_000,
            agreement_contracts: 250_000,
            listed_members: 1_000,
        }
    }

    fn text(r: &BenchReport, debug: bool) -> String {
        let mut out = Vec::new();
        write_report(&mut out, r, "2026-11-25", debug).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_report_names_each_phase_the_target_and_the_ratio() {
        let t = text(&report(400), false);
        for phase in ["generate", "group", "windows", "cohorts", "materialise"] {
            assert!(
                t.lines().any(|l| l.trim_start().starts_with(phase)),
                "{phase} in {t}"
            );
        }
        assert!(t.contains("1,000,000 contracts across 400 authorities in 20 categories"));
        assert!(t.contains("planning (group + windows + cohorts): 400.0 ms"));
        assert!(t.contains("target: 1000.0 ms"));
        assert!(t.contains("ratio: 0.400 (planning ÷ target: within the target)"));
        assert!(t.contains("12,345 joint cohorts"));
        assert!(!t.contains("note:"));
        assert!(text(&report(1200), false).contains("ratio: 1.200 (planning ÷ target: over"));
    }

    #[test]
    fn debug_builds_and_other_sizes_are_flagged() {
        let mut small = report(40);
        small.contracts = 20_000;
        let t = text(&small, true);
        assert!(t.contains("(debug build)"));
        assert!(t.contains("note: this is a debug build"));
        assert!(t.contains("this run's size differs"));
    }
}
