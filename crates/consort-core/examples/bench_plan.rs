//! Times the collaboration planner over a synthetic register.
//!
//! ```text
//! cargo run --release -p consort-core --example bench_plan -- [CONTRACTS] [AUTHORITIES] [TODAY] [THREADS]
//! ```
//!
//! Defaults: 1,000,000 contracts, 400 authorities, today 2026-01-01, as many
//! threads as the machine offers. The target
//! is every cohort and agreement (figures, not member lists) in under a second.

use consort_core::planner::{bench_plan, bench_plan_with};
use jiff::civil::Date;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let contracts: usize = args.next().map_or(1_000_000, |a| {
        a.replace('_', "").parse().expect("CONTRACTS is a number")
    });
    let authorities: usize = args
        .next()
        .map_or(400, |a| a.parse().expect("AUTHORITIES is a number"));
    let today: Date = args.next().map_or(Date::constant(2026, 1, 1), |a| {
        a.parse().expect("TODAY is a date like 2026-01-01")
    });
    let r = match args.next() {
        Some(t) => bench_plan_with(
            contracts,
            authorities,
            today,
            t.parse().expect("THREADS is a number"),
        ),
        None => bench_plan(contracts, authorities, today),
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} contracts, {} authorities, {} categories, today {today}, {} threads",
        r.contracts, r.authorities, r.categories, r.threads
    );
    println!("  generate     {:>9.1} ms (not planning)", ms(r.generate));
    println!("  group        {:>9.1} ms", ms(r.group));
    println!("  windows      {:>9.1} ms", ms(r.windows));
    println!("  cohorts      {:>9.1} ms", ms(r.cohorts));
    println!(
        "  materialise  {:>9.1} ms (not in the target)",
        ms(r.materialise)
    );
    println!(
        "  planning     {:>9.1} ms = group + windows + cohorts: {:.3} of the 1 s target",
        ms(r.planning()),
        r.planning().as_secs_f64()
    );
    println!(
        "  found {} joint cohorts (largest: {} authorities); agreements serve {} authorities \
         and {} contracts in all; {} members listed",
        r.joint_cohorts,
        r.largest_cohort_authorities,
        r.agreement_authorities,
        r.agreement_contracts,
        r.listed_members
    );
}
