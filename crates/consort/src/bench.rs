//! `consort bench`: performance measured against the targets in DESIGN.md, one
//! run at a time, printing each figure, what it is compared with and the ratio.

use crate::bench_bids::{self, FsyncRate, Rush, ServerProcess};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use consort_core::planner::{BenchReport, bench_plan};
use consort_store::{Clock, Store, StoreConfig};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The planner target from DESIGN.md: all cohorts of this many contracts…
pub const TARGET_CONTRACTS: usize = 1_000_000;
/// …across this many authorities…
pub const TARGET_AUTHORITIES: usize = 400;
/// …in under this long, on one 2-core machine.
pub const TARGET: Duration = Duration::from_secs(1);

/// The most contracts `bench plan` will generate (each takes memory).
const MAX_CONTRACTS: usize = 100_000_000;

/// The deadline-rush target from issue 5: this many suppliers submitting at once…
pub const TARGET_SUBMITTERS: usize = 500;
/// …each bid with an attachment of this many KiB (the benchmark's default)…
pub const DEFAULT_ATTACHMENT_KB: usize = 64;
/// …every acknowledged bid durable, and acknowledged bids per second at least
/// this fraction of the disk's raw fsync rate measured in the same run.
pub const TARGET_FSYNC_RATIO: f64 = 0.5;
/// How long the raw fsync rate is measured for.
const FSYNC_PROBE: Duration = Duration::from_secs(2);
/// The most suppliers `bench bids` will make.
const MAX_SUPPLIERS: usize = 5_000;
/// The largest attachment `bench bids` will send, in KiB (under the 25 MB upload limit).
const MAX_ATTACHMENT_KB: usize = 10 * 1024;
/// The most attachment data one run may hold in memory, in KiB.
const MAX_TOTAL_ATTACHMENT_KB: usize = 1024 * 1024;

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
    /// The deadline rush: start `consort serve` on a new data directory (--data,
    /// which must be new or empty) with a published competition, sign in N
    /// suppliers, and have all of them submit a bid with a PDF attachment at
    /// once; prints acknowledged bids per second, p50 and p99 latency and the
    /// disk's raw fsync rate from the same run, then kills the server (kill -9)
    /// and checks every acknowledged bid is in the store. Build in release
    /// (`cargo run --release -p consort -- bench bids --data DIR`).
    Bids {
        /// How many suppliers submit at once, one bid each.
        #[arg(long, default_value_t = TARGET_SUBMITTERS)]
        suppliers: usize,
        /// The size of each bid's PDF attachment, in KiB.
        #[arg(long, default_value_t = DEFAULT_ATTACHMENT_KB)]
        attachment_kb: usize,
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

/// What one deadline rush measured and found.
#[derive(Debug, Clone)]
pub struct BidsReport {
    /// How many suppliers submitted, one bid each.
    pub suppliers: usize,
    /// The size of each attachment, in bytes.
    pub attachment_bytes: usize,
    /// SQLite or PostgreSQL.
    pub backend: &'static str,
    /// Where the data is.
    pub location: String,
    /// Demo data, suppliers and the published competition (not measured).
    pub setup: Duration,
    /// Every supplier signed in over HTTP (not measured).
    pub sign_in: Duration,
    /// The raw fsync rate of the data directory's disk, measured just before.
    pub fsync: FsyncRate,
    /// The latency of each acknowledged submission, sorted.
    pub latencies: Vec<Duration>,
    /// Submissions that got no receipt, and the first one's reason.
    pub failures: Vec<String>,
    /// From letting every request go to the last answer.
    pub wall: Duration,
    /// How many commits wrote the acknowledged bids.
    pub commits: usize,
    /// CPU used during the rush by the server and by this load generator,
    /// where the operating system tells.
    pub cpu: Option<RushCpu>,
    /// Suppliers holding a bid in the store after the server was killed.
    pub stored_bids: i64,
    /// Acknowledged receipts not found in the store after the kill.
    pub missing: Vec<String>,
    /// The audit chain after the kill: its length, or what is wrong with it.
    pub audit: Result<u64, String>,
}

/// The CPU the rush used, against what the machine's cores could give.
#[derive(Debug, Clone, Copy)]
pub struct RushCpu {
    /// The server process, every thread.
    pub server: Duration,
    /// This process: the suppliers' side.
    pub load_generator: Duration,
    /// The cores the machine offers.
    pub cores: usize,
}

impl BidsReport {
    /// Acknowledged bids.
    pub fn acknowledged(&self) -> usize {
        self.latencies.len()
    }

    /// Acknowledged bids per second of the rush.
    pub fn bids_per_second(&self) -> f64 {
        self.acknowledged() as f64 / self.wall.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Bids per second ÷ raw fsyncs per second.
    pub fn ratio(&self) -> f64 {
        self.bids_per_second() / self.fsync.per_second().max(f64::MIN_POSITIVE)
    }

    /// Whether every acknowledged bid was found and the audit chain holds.
    pub fn durable(&self) -> bool {
        self.acknowledged() > 0 && self.missing.is_empty() && self.audit.is_ok()
    }
}

/// Runs `consort bench bids`: see [`BenchCommand::Bids`].
pub async fn bids(
    data_dir: &Path,
    database_url: Option<&str>,
    suppliers: usize,
    attachment_kb: usize,
) -> Result<ExitCode> {
    if suppliers == 0 || suppliers > MAX_SUPPLIERS {
        bail!("--suppliers: give a number from 1 to {MAX_SUPPLIERS}, not {suppliers}");
    }
    if attachment_kb == 0 || attachment_kb > MAX_ATTACHMENT_KB {
        bail!("--attachment-kb: give a number from 1 to {MAX_ATTACHMENT_KB}, not {attachment_kb}");
    }
    if suppliers * attachment_kb > MAX_TOTAL_ATTACHMENT_KB {
        bail!(
            "--suppliers × --attachment-kb: {suppliers} × {attachment_kb} KiB is more than {} GiB of attachments; send fewer or smaller",
            MAX_TOTAL_ATTACHMENT_KB / (1024 * 1024)
        );
    }
    if database_url.is_none()
        && let Ok(mut entries) = std::fs::read_dir(data_dir)
        && entries.next().is_some()
    {
        bail!(
            "--data {}: the deadline rush fills the data directory with its own suppliers and bids, so give a new or empty directory",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data {}: cannot create it", data_dir.display()))?;
    let config = StoreConfig {
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.map(String::from),
    };

    eprintln!("preparing: demo data, {suppliers} suppliers and a published competition…");
    let started = Instant::now();
    let store = Store::open(&config, Clock::system()).await?;
    let backend = store.backend().name();
    let location = store.location().to_string();
    let prepared = bench_bids::prepare(&store, suppliers).await?;
    store.close().await;
    let setup = started.elapsed();

    let binary = std::env::current_exe().context("finding the consort binary")?;
    let log = data_dir.join("bench-serve.log");
    let mut server = {
        let data_dir = data_dir.to_path_buf();
        let database_url = database_url.map(String::from);
        let log = log.clone();
        tokio::task::spawn_blocking(move || {
            ServerProcess::start(&binary, &data_dir, database_url.as_deref(), None, &log)
        })
        .await??
    };
    eprintln!(
        "server at {}; signing in {suppliers} suppliers…",
        server.url
    );
    let started = Instant::now();
    let bidders = bench_bids::sign_in_all(&server.url, &prepared.suppliers).await?;
    let sign_in = started.elapsed();

    eprintln!("measuring the raw fsync rate in {}…", data_dir.display());
    let fsync = {
        let dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || bench_bids::raw_fsync_rate(&dir, FSYNC_PROBE)).await??
    };

    let attachment_size = attachment_kb * 1024;
    let bids = bidders
        .into_iter()
        .enumerate()
        .map(|(i, bidder)| (bidder, bench_bids::plan_bid(i, attachment_size, "bench")))
        .collect();
    eprintln!("submitting {suppliers} bids at once…");
    let mut rush = Rush::ready(&server.url, prepared.competition_id, bids);
    let cpu_before = rush_cpu(&server);
    let went = rush.go();
    let mut latencies = Vec::with_capacity(suppliers);
    let mut failures = Vec::new();
    let mut acknowledged = Vec::with_capacity(suppliers);
    while let Some(outcome) = rush.outcomes.recv().await {
        match outcome.result {
            Ok(receipt) => {
                latencies.push(outcome.latency);
                acknowledged.push((prepared.suppliers[outcome.supplier].org.clone(), receipt));
            }
            Err(why) => failures.push(format!("supplier {}: {why}", outcome.supplier)),
        }
        if latencies.len() + failures.len() == suppliers {
            break;
        }
    }
    let wall = went.elapsed();
    let cpu_after = rush_cpu(&server);
    latencies.sort();
    let receipts: Vec<_> = acknowledged.iter().map(|(_, r)| r.clone()).collect();
    let commits = bench_bids::commits(&receipts);
    let cpu = match (cpu_before, cpu_after) {
        (Some((server_before, own_before)), Some((server_after, own_after))) => Some(RushCpu {
            server: server_after.saturating_sub(server_before),
            load_generator: own_after.saturating_sub(own_before),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
        }),
        _ => None,
    };

    eprintln!("killing the server (kill -9) and checking every acknowledged bid…");
    server.kill()?;
    let store = Store::open(&config, Clock::system()).await?;
    let missing =
        bench_bids::missing_receipts(&store, prepared.competition_id, &acknowledged).await?;
    let stored_bids = store.bids_received(prepared.competition_id).await?;
    let audit = store
        .audit_verify()
        .await?
        .map_err(|broken| broken.to_string());
    store.close().await;

    let report = BidsReport {
        suppliers,
        attachment_bytes: attachment_size,
        backend,
        location,
        setup,
        sign_in,
        fsync,
        latencies,
        failures,
        wall,
        commits,
        cpu,
        stored_bids,
        missing,
        audit,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_bids_report(
        &mut out,
        &report,
        &data_dir.display().to_string(),
        cfg!(debug_assertions),
    )?;
    out.flush()?;
    Ok(if report.durable() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The CPU time used so far by the server and by this process.
fn rush_cpu(server: &ServerProcess) -> Option<(Duration, Duration)> {
    Some((
        bench_bids::cpu_time(server.pid())?,
        bench_bids::cpu_time(std::process::id())?,
    ))
}

fn write_bids_report(
    out: &mut impl Write,
    r: &BidsReport,
    data_dir: &str,
    debug_build: bool,
) -> Result<()> {
    writeln!(
        out,
        "consort bench bids: {} suppliers at once, one bid each with a {} KiB PDF attachment, against consort serve on {} at {} ({} build)",
        grouped(r.suppliers as u64),
        r.attachment_bytes / 1024,
        r.backend,
        r.location,
        if debug_build { "debug" } else { "release" },
    )?;
    writeln!(
        out,
        "  setup    {:>10.1} s  demo data, {} supplier organisations and people, one published competition (not measured)",
        r.setup.as_secs_f64(),
        grouped(r.suppliers as u64)
    )?;
    writeln!(
        out,
        "  sign-in  {:>10.1} s  every supplier signed in over HTTP, 8 at a time (not measured)",
        r.sign_in.as_secs_f64()
    )?;
    writeln!(
        out,
        "raw fsync: {:.1}/s ({} rounds of 4 KiB appended + fdatasync in {:.1} s, in {data_dir})",
        r.fsync.per_second(),
        grouped(r.fsync.syncs),
        r.fsync.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "acknowledged: {} of {} bids in {:.2} s (from all sent at once to the last answer)",
        grouped(r.acknowledged() as u64),
        grouped(r.suppliers as u64),
        r.wall.as_secs_f64()
    )?;
    if let Some(first) = r.failures.first() {
        writeln!(
            out,
            "failed: {} without a receipt; the first: {first}",
            grouped(r.failures.len() as u64)
        )?;
    }
    writeln!(out, "throughput: {:.1} bids/s", r.bids_per_second())?;
    match (
        bench_bids::percentile(&r.latencies, 0.50),
        bench_bids::percentile(&r.latencies, 0.99),
        r.latencies.last(),
    ) {
        (Some(p50), Some(p99), Some(max)) => writeln!(
            out,
            "latency: p50 {}, p99 {}, max {} (request sent to receipt read)",
            ms(p50),
            ms(p99),
            ms(*max)
        )?,
        _ => writeln!(out, "latency: no bid was acknowledged")?,
    }
    if r.acknowledged() > 0 {
        writeln!(
            out,
            "commits: the {} acknowledged bids were written in {} commits ({:.1} a commit on average)",
            grouped(r.acknowledged() as u64),
            grouped(r.commits as u64),
            r.acknowledged() as f64 / r.commits.max(1) as f64
        )?;
    }
    if let Some(cpu) = r.cpu {
        let available = r.wall.as_secs_f64() * cpu.cores as f64;
        let used = (cpu.server + cpu.load_generator).as_secs_f64();
        writeln!(
            out,
            "cpu during the rush: server {:.2} s + load generator {:.2} s = {used:.2} s of the {available:.2} s that {} cores give in {:.2} s ({:.0}% busy)",
            cpu.server.as_secs_f64(),
            cpu.load_generator.as_secs_f64(),
            cpu.cores,
            r.wall.as_secs_f64(),
            100.0 * used / available.max(f64::MIN_POSITIVE)
        )?;
    }
    writeln!(
        out,
        "target: {TARGET_SUBMITTERS} concurrent submitters, every acknowledged bid durable, throughput at least {TARGET_FSYNC_RATIO} × the raw fsync rate (issue 5)"
    )?;
    let ratio = r.ratio();
    writeln!(
        out,
        "ratio: {ratio:.3} (bids/s ÷ fsync/s: {} the target of {TARGET_FSYNC_RATIO})",
        if ratio >= TARGET_FSYNC_RATIO {
            "meets"
        } else {
            "misses"
        }
    )?;
    let audit = match &r.audit {
        Ok(n) => format!("audit chain OK, {} entries", grouped(*n)),
        Err(broken) => format!("audit chain BROKEN: {broken}"),
    };
    writeln!(
        out,
        "durable: {} of {} acknowledged receipts found (bid id, version and SHA-256) after kill -9 of the server; {} suppliers hold a bid; {audit}",
        grouped((r.acknowledged() - r.missing.len()) as u64),
        grouped(r.acknowledged() as u64),
        grouped(r.stored_bids.max(0) as u64),
    )?;
    for missing in r.missing.iter().take(10) {
        writeln!(out, "  MISSING {missing}")?;
    }
    if r.suppliers != TARGET_SUBMITTERS {
        writeln!(
            out,
            "note: the target is set for {TARGET_SUBMITTERS} submitters; this run's size differs, so the ratio is a guide only"
        )?;
    }
    if r.backend != "SQLite" {
        writeln!(
            out,
            "note: the raw fsync rate is of the data directory's disk, which may not be the database's"
        )?;
    }
    if debug_build {
        writeln!(
            out,
            "note: this is a debug build, many times slower than a release build; measure with `cargo run --release -p consort -- bench bids --data DIR`"
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

    fn bids_report(bids_per_second: u64, fsyncs_per_second: u64) -> BidsReport {
        BidsReport {
            suppliers: 500,
            attachment_bytes: 64 * 1024,
            backend: "SQLite",
            location: "/data/consort.db".into(),
            setup: Duration::from_secs(12),
            sign_in: Duration::from_secs(4),
            fsync: FsyncRate {
                syncs: fsyncs_per_second * 2,
                elapsed: Duration::from_secs(2),
            },
            latencies: (1..=500).map(Duration::from_millis).collect(),
            failures: Vec::new(),
            wall: Duration::from_secs_f64(500.0 / bids_per_second as f64),
            commits: 8,
            cpu: Some(RushCpu {
                server: Duration::from_millis(1500),
                load_generator: Duration::from_millis(500),
                cores: 2,
            }),
            stored_bids: 500,
            missing: Vec::new(),
            audit: Ok(2_345),
        }
    }

    fn bids_text(r: &BidsReport, debug: bool) -> String {
        let mut out = Vec::new();
        write_bids_report(&mut out, r, "/data", debug).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_rush_report_gives_throughput_latency_the_fsync_rate_and_the_ratio() {
        let r = bids_report(400, 500);
        let t = bids_text(&r, false);
        assert!(t.contains("500 suppliers at once"), "{t}");
        assert!(t.contains("64 KiB PDF attachment"), "{t}");
        assert!(
            t.contains("on SQLite at /data/consort.db (release build)"),
            "{t}"
        );
        assert!(t.contains("raw fsync: 500.0/s (1,000 rounds"), "{t}");
        assert!(t.contains("acknowledged: 500 of 500 bids in 1.25 s"), "{t}");
        assert!(t.contains("throughput: 400.0 bids/s"), "{t}");
        assert!(
            t.contains("latency: p50 250.0 ms, p99 495.0 ms, max 500.0 ms"),
            "{t}"
        );
        assert!(
            t.contains("ratio: 0.800 (bids/s ÷ fsync/s: meets the target of 0.5)"),
            "{t}"
        );
        assert!(
            t.contains("commits: the 500 acknowledged bids were written in 8 commits (62.5 a commit on average)"),
            "{t}"
        );
        assert!(
            t.contains("cpu during the rush: server 1.50 s + load generator 0.50 s = 2.00 s of the 2.50 s that 2 cores give in 1.25 s (80% busy)"),
            "{t}"
        );
        assert!(
            t.contains("durable: 500 of 500 acknowledged receipts found"),
            "{t}"
        );
        assert!(t.contains("audit chain OK, 2,345 entries"), "{t}");
        assert!(!t.contains("note:") && !t.contains("failed:"), "{t}");
        assert!(r.durable());

        let slow = bids_text(&bids_report(200, 500), false);
        assert!(
            slow.contains("ratio: 0.400 (bids/s ÷ fsync/s: misses the target"),
            "{slow}"
        );
    }

    #[test]
    fn lost_bids_failures_and_a_broken_chain_are_shown_and_fail_the_run() {
        let mut r = bids_report(400, 500);
        r.suppliers = 60;
        r.latencies.truncate(58);
        r.failures = vec!["supplier 7: no answer: connection reset".into(); 2];
        r.missing = vec!["GB-COH-BR000003: BID-000003 version 1 (SHA-256 ab)".into()];
        let t = bids_text(&r, true);
        assert!(t.contains("acknowledged: 58 of 60 bids"), "{t}");
        assert!(
            t.contains("failed: 2 without a receipt; the first: supplier 7"),
            "{t}"
        );
        assert!(
            t.contains("durable: 57 of 58 acknowledged receipts found"),
            "{t}"
        );
        assert!(t.contains("  MISSING GB-COH-BR000003"), "{t}");
        assert!(t.contains("this run's size differs"), "{t}");
        assert!(t.contains("note: this is a debug build"), "{t}");
        assert!(!r.durable());

        let mut broken = bids_report(400, 500);
        broken.audit = Err("entry 12's hash does not match".into());
        assert!(bids_text(&broken, false).contains("audit chain BROKEN: entry 12"));
        assert!(!broken.durable());
        broken.audit = Ok(1);
        broken.latencies.clear();
        broken.cpu = None;
        let nothing = bids_text(&broken, false);
        assert!(
            nothing.contains("latency: no bid was acknowledged"),
            "{nothing}"
        );
        assert!(
            !nothing.contains("commits:") && !nothing.contains("cpu during"),
            "{nothing}"
        );
        assert!(
            !broken.durable(),
            "a run with nothing acknowledged proves nothing"
        );
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let ms = |v: &[u64]| {
            v.iter()
                .copied()
                .map(Duration::from_millis)
                .collect::<Vec<_>>()
        };
        assert_eq!(bench_bids::percentile(&[], 0.5), None);
        let one = ms(&[7]);
        assert_eq!(
            bench_bids::percentile(&one, 0.5),
            Some(Duration::from_millis(7))
        );
        assert_eq!(
            bench_bids::percentile(&one, 0.99),
            Some(Duration::from_millis(7))
        );
        let hundred = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(
            bench_bids::percentile(&hundred, 0.5),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            bench_bids::percentile(&hundred, 0.99),
            Some(Duration::from_millis(99))
        );
        assert_eq!(
            bench_bids::percentile(&hundred, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            bench_bids::percentile(&hundred, 0.0),
            Some(Duration::from_millis(1))
        );
    }

    #[test]
    fn planned_bids_carry_a_pdf_of_the_asked_size_and_describe_it() {
        for size in [9, 16, 1000, 64 * 1024] {
            let bytes = bench_bids::attachment_bytes(3, size);
            assert_eq!(bytes.len(), size);
            assert!(bytes.starts_with(b"%PDF-"));
            assert!(
                consort_core::document::check_upload(
                    &consort_core::document::UploadPolicy::default(),
                    "proposal.pdf",
                    Some("application/pdf"),
                    &bytes
                )
                .is_ok(),
                "a {size}-byte attachment passes the upload checks"
            );
        }
        assert_ne!(
            bench_bids::attachment_bytes(1, 4096),
            bench_bids::attachment_bytes(2, 4096)
        );
        let bid = bench_bids::plan_bid(42, 2048, "run");
        assert_eq!(bid.idempotency_key, "rush-run-42");
        let meta = &bid.content.attachments[0];
        assert_eq!(meta.size_bytes, 2048);
        assert_eq!(meta.file_name, "proposal-000042.pdf");
        let body: serde_json::Value = serde_json::from_slice(&bid.body).unwrap();
        assert_eq!(body["prices"][bench_bids::PRICE_LINE_ID], "100042.42");
        assert_eq!(body["attachments"][0]["file_name"], "proposal-000042.pdf");
        use base64::Engine;
        let sent = base64::engine::general_purpose::STANDARD
            .decode(body["attachments"][0]["content_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(sent, bid.attachment);
    }

    #[test]
    fn receipts_are_read_from_the_api_answer() {
        let receipt = bench_bids::receipt_from_json(
            r#"{"competition":"CMP-00001","bid_id":"BID-000007","version":2,
                "received_at":"2026-11-25T12:00:00.123456Z",
                "received_at_london":"2026-11-25 12:00:00.123456 GMT (UTC+00:00)","sha256":"ab12"}"#,
        )
        .expect("a receipt");
        assert_eq!(receipt.bid_id, "BID-000007");
        assert_eq!(receipt.version, 2);
        assert_eq!(receipt.sha256_hex, "ab12");
        assert_eq!(
            receipt.received_at,
            "2026-11-25T12:00:00.123456Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
        );
        assert!(bench_bids::receipt_from_json(r#"{"error":"too late","field":null}"#).is_none());
        assert!(bench_bids::receipt_from_json("not json").is_none());
    }

    #[test]
    fn commits_are_counted_by_shared_times_of_receipt_and_cpu_is_read_for_a_process() {
        let receipt = |at: &str, n: u32| consort_core::competition::Receipt {
            received_at: at.parse().unwrap(),
            sha256_hex: format!("{n:064x}"),
            bid_id: format!("BID-{n:06}"),
            version: 1,
        };
        let receipts = [
            receipt("2026-11-25T12:00:00.000001Z", 1),
            receipt("2026-11-25T12:00:00.000001Z", 2),
            receipt("2026-11-25T12:00:00.000002Z", 3),
        ];
        assert_eq!(bench_bids::commits(&receipts), 2);
        assert_eq!(bench_bids::commits(&[]), 0);
        if cfg!(target_os = "linux") {
            let before = bench_bids::cpu_time(std::process::id()).expect("/proc/self/stat");
            let started = std::time::Instant::now();
            let mut spin = 0u64;
            while started.elapsed() < Duration::from_millis(100) {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
            let after = bench_bids::cpu_time(std::process::id()).unwrap();
            assert!(
                after >= before + Duration::from_millis(50),
                "{before:?} → {after:?}"
            );
        }
        assert_eq!(bench_bids::cpu_time(u32::MAX), None);
    }

    #[test]
    fn the_csrf_token_is_read_from_a_form() {
        let page = r#"<form><input type="hidden" name="csrf_token" value="abc-123_="><input name="email" value="x"></form>"#;
        assert_eq!(
            bench_bids::csrf_token_in(page).as_deref(),
            Some("abc-123_=")
        );
        assert_eq!(bench_bids::csrf_token_in("<form></form>"), None);
    }

    #[test]
    fn the_raw_fsync_rate_is_measured_in_the_directory_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let rate = bench_bids::raw_fsync_rate(dir.path(), Duration::from_millis(50)).unwrap();
        assert!(rate.syncs > 0);
        assert!(rate.elapsed >= Duration::from_millis(50));
        assert!(rate.per_second() > 0.0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn the_rush_refuses_bad_sizes_and_a_data_directory_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let message = |r: Result<ExitCode>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message(bids(dir.path(), None, 0, 64).await).starts_with("--suppliers:"));
        assert!(message(bids(dir.path(), None, 10, 0).await).starts_with("--attachment-kb:"));
        assert!(
            message(bids(dir.path(), None, 5_000, 10 * 1024).await)
                .starts_with("--suppliers × --attachment-kb:")
        );
        std::fs::write(dir.path().join("consort.db"), b"someone's data").unwrap();
        let refused = message(bids(dir.path(), None, 10, 64).await);
        assert!(
            refused.contains("give a new or empty directory"),
            "{refused}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("consort.db")).unwrap(),
            b"someone's data"
        );
    }
}
