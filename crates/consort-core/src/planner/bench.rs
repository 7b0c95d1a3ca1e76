//! Timing the planner over a synthetic register. This is the only part of the
//! core that reads a clock, and only a monotonic [`Instant`] for measuring: the
//! planning functions it times take no clock and return the same answer
//! whenever they run. Categories are planned independently, so the bench spreads
//! them over threads (largest first); each category's sweeps run on one thread.

use super::{
    AgreementSummary, CategoryIndex, CohortSummary, PlanParams, group_by_category, rank_cohorts,
    synthetic_register,
};
use jiff::civil::Date;
use serde::Serialize;
use std::cmp::Reverse;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The seed [`bench_plan`] generates its register with.
pub const BENCH_SEED: u64 = 0x00C0_5027;

/// How long each phase of planning a synthetic register took, and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Contracts generated.
    pub contracts: usize,
    /// Authorities holding them.
    pub authorities: usize,
    /// Categories they fell into.
    pub categories: usize,
    /// Threads the categories were spread over.
    pub threads: usize,
    /// Generating the register ([`synthetic_register`]), exit windows included.
    pub generate: Duration,
    /// Grouping it by category ([`group_by_category`]).
    pub group: Duration,
    /// Indexing each category ([`CategoryIndex::new`]): authorities numbered,
    /// windows as day numbers.
    pub windows: Duration,
    /// Every category's joint cohorts (summaries, all of them ranked) and best
    /// shared agreement (figures): no member lists.
    pub cohorts: Duration,
    /// Listing members: each category's 10 best cohorts and its agreement's
    /// covered and not-covered authorities, with reasons.
    pub materialise: Duration,
    /// Joint cohorts found, over all categories.
    pub joint_cohorts: usize,
    /// The most distinct authorities in any one cohort.
    pub largest_cohort_authorities: u32,
    /// Authorities served by the shared agreements, summed over categories.
    pub agreement_authorities: u64,
    /// Contracts served by the shared agreements, summed over categories.
    pub agreement_contracts: u64,
    /// Members listed in the materialise phase.
    pub listed_members: usize,
}

impl BenchReport {
    /// Planning proper: grouping, indexing and finding every cohort and
    /// agreement (everything but generating the data and listing members).
    pub fn planning(&self) -> Duration {
        self.group + self.windows + self.cohorts
    }
}

/// Generates `contracts` synthetic contracts across `authorities` authorities
/// ([`BENCH_SEED`]) and times each phase of planning them with the default
/// [`PlanParams`] as of `today`, on as many threads as the machine offers.
pub fn bench_plan(contracts: usize, authorities: usize, today: Date) -> BenchReport {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    bench_plan_with(contracts, authorities, today, threads)
}

/// [`bench_plan`] on `threads` threads (1: everything on the calling thread).
pub fn bench_plan_with(
    contracts: usize,
    authorities: usize,
    today: Date,
    threads: usize,
) -> BenchReport {
    let params = PlanParams::default();
    let clock = Instant::now();
    let rows = synthetic_register(contracts, authorities, BENCH_SEED);
    let generate = clock.elapsed();

    let clock = Instant::now();
    let grouped = group_by_category(rows);
    let group = clock.elapsed();

    let clock = Instant::now();
    let indexes = in_parallel(
        &grouped,
        |c| c.items.len(),
        threads,
        |c| CategoryIndex::new(&c.items),
    );
    let windows = clock.elapsed();

    let clock = Instant::now();
    let found: Vec<(Vec<CohortSummary>, AgreementSummary)> = in_parallel(
        &indexes,
        |index| index.items().len(),
        threads,
        |index| {
            let mut cohorts = index.joint_cohorts();
            rank_cohorts(&mut cohorts, usize::MAX);
            (cohorts, index.agreement_summary(&params, today))
        },
    );
    let cohorts = clock.elapsed();

    let clock = Instant::now();
    let work: Vec<(&CategoryIndex<'_>, &[CohortSummary])> = indexes
        .iter()
        .zip(&found)
        .map(|(index, (cohorts, _))| (index, cohorts.as_slice()))
        .collect();
    let listed: Vec<usize> = in_parallel(
        &work,
        |(index, _)| index.items().len(),
        threads,
        |&(index, cohorts)| {
            let mut listed = 0;
            for cohort in cohorts.iter().take(10) {
                listed += index.materialise(cohort).contracts.len();
            }
            let agreement = index.shared_agreement(&params, today);
            listed += agreement
                .covered
                .iter()
                .map(|c| c.contracts.len())
                .sum::<usize>();
            listed + agreement.not_covered.len()
        },
    );
    let materialise = clock.elapsed();
    let listed_members = listed.iter().sum();
    let (all_cohorts, agreements): (Vec<_>, Vec<_>) = found.into_iter().unzip();

    BenchReport {
        contracts,
        authorities,
        categories: grouped.len(),
        threads,
        generate,
        group,
        windows,
        cohorts,
        materialise,
        joint_cohorts: all_cohorts.iter().map(Vec::len).sum(),
        largest_cohort_authorities: all_cohorts
            .iter()
            .filter_map(|c| c.first())
            .map(|c| c.authority_count)
            .max()
            .unwrap_or(0),
        agreement_authorities: agreements
            .iter()
            .map(|a| u64::from(a.authority_count))
            .sum(),
        agreement_contracts: agreements.iter().map(|a| u64::from(a.contract_count)).sum(),
        listed_members,
    }
}

/// `work` applied to each of `inputs`, spread over `threads` scoped threads that
/// take the heaviest inputs first; results in input order.
fn in_parallel<'a, T: Sync, R: Send>(
    inputs: &'a [T],
    weight: impl Fn(&T) -> usize,
    threads: usize,
    work: impl Fn(&'a T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || inputs.len() <= 1 {
        return inputs.iter().map(work).collect();
    }
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| Reverse(weight(&inputs[i])));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(inputs.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(k) else { break };
                        done.push((i, work(&inputs[i])));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a planning thread panicked"))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
