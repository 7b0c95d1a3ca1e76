//! The `consort` command: run the server, and administer organisations, people,
//! consortia and the audit log from the shell.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use consort_core::org::{Membership, NewOrganisation, Role};
use consort_core::password::{self, HashCost, PasswordHashing};
use consort_core::{Email, OrgId};
use consort_store::{Clock, DemoOutcome, NewUser, Store, StoreConfig};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

mod advise;
mod bench;
// Some of its items serve only tests/crash.rs, which includes the same file.
#[allow(dead_code)]
mod bench_bids;
mod clock;
mod import;
mod pipeline;
mod plan;
mod timeline;
mod workers;

/// Collaborative procurement for public bodies that buy together.
#[derive(Parser)]
#[command(name = "consort", version, about)]
struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where the data is: every subcommand takes these.
#[derive(Args)]
struct StorageArgs {
    /// The data directory (the SQLite database and, later, documents).
    #[arg(
        long = "data",
        global = true,
        env = "CONSORT_DATA",
        default_value = "./consort-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
    /// A PostgreSQL URL; when set, the data is kept there instead of in SQLite.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Add and list organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Add people and give them roles.
    #[command(subcommand)]
    User(UserCommand),
    /// Create consortia and change their membership.
    #[command(subcommand)]
    Consortium(ConsortiumCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import data into Consort.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The legal clock: the last day of a standstill or minimum time limit, with
    /// its reasons and citations (PA 2023 or PCR 2015).
    Clock(clock::ClockArgs),
    /// Rank the routes to market for a scenario: a score per criterion with reasons,
    /// the risks, the timeline and the citations.
    Advise(advise::AdviseArgs),
    /// Procurement timeline for a route to market: each milestone's statutory
    /// minimum and realistic date, and the latest start for a go-live date.
    Timeline(timeline::TimelineArgs),
    /// Find where members' contracts line up: joint go-live cohorts and the best
    /// shared agreement, per category.
    Plan(PlanArgs),
    /// The planned procurements that follow from the shared agreements, with the
    /// fields a Procurement Act 2023 pipeline notice (UK1) needs, as CSV or JSON.
    Pipeline(pipeline::PipelineArgs),
    /// Measure performance against the targets in DESIGN.md.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import an authority's contracts register (Transparency Code CSV). All rows
    /// or none, unless --skip-invalid; importing the same file again changes nothing.
    Contracts {
        /// The CSV file.
        file: PathBuf,
        /// The authority whose register it is (its org-id identifier).
        #[arg(long)]
        authority: String,
        /// Check the file and report what would change, saving nothing.
        #[arg(long)]
        dry_run: bool,
        /// Save the valid rows and report the rejected ones.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Args)]
struct PlanArgs {
    /// Plan only this category.
    #[arg(long)]
    category: Option<String>,
    /// Plan only the members of this consortium (see `consortium list`).
    #[arg(long)]
    consortium: Option<i64>,
    /// The shared agreement's term, in months.
    #[arg(long, default_value_t = 48)]
    term_months: u32,
    /// The months needed to procure the agreement.
    #[arg(long, default_value_t = 9)]
    lead_months: u32,
    /// The months an authority needs to move onto the new agreement before its contract ends.
    #[arg(long, default_value_t = 12)]
    mobilisation_months: u32,
    /// How many joint cohorts to list per category, best first (all are counted).
    #[arg(long, default_value_t = 100)]
    max_cohorts: usize,
    /// Plan as if today were this date (YYYY-MM-DD); defaults to today in London.
    #[arg(long)]
    today: Option<String>,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args)]
struct ServeArgs {
    /// The address and port to listen on.
    #[arg(
        long,
        env = "CONSORT_BIND",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    bind: String,
    /// Load the demonstration data set, if the store is empty.
    #[arg(long)]
    demo: bool,
    /// Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy in front.
    #[arg(long, env = "CONSORT_TRUST_PROXY")]
    trust_proxy: bool,
    /// Mark cookies Secure on every response (when only ever reached over HTTPS).
    #[arg(long, env = "CONSORT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// For end-to-end tests only: shift the server's clock by the number of
    /// seconds written in FILE, so a test can move past a deadline.
    #[arg(long, hide = true, value_name = "FILE")]
    clock_offset_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation.
    Add {
        /// Its org-id identifier, e.g. GB-LAE-CMD or GB-COH-01234567.
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// authority, supplier or coordinator.
        #[arg(long)]
        kind: String,
        /// A contact email address.
        #[arg(long)]
        email: Option<String>,
        /// A telephone number.
        #[arg(long)]
        telephone: Option<String>,
        /// A postal address.
        #[arg(long)]
        address: Option<String>,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a person with a role at an organisation. Without --password-stdin, a
    /// one-time password is generated and printed; it must be changed at first sign-in.
    Add {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// The organisation's identifier.
        #[arg(long)]
        org: String,
        /// admin, coordinator, buyer, evaluator, opener or supplier.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an existing person another role.
    Grant {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// The organisation's identifier.
        #[arg(long)]
        org: String,
        /// The role.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum ConsortiumCommand {
    /// Create a consortium led by a coordinator.
    Create {
        /// Its name.
        #[arg(long)]
        name: String,
        /// The coordinating organisation's identifier.
        #[arg(long)]
        coordinator: String,
    },
    /// Add an authority to a consortium.
    Join {
        /// The consortium's number (see `consortium list`).
        #[arg(long)]
        consortium: i64,
        /// The authority's identifier.
        #[arg(long)]
        org: String,
    },
    /// Remove an authority from a consortium.
    Leave {
        /// The consortium's number.
        #[arg(long)]
        consortium: i64,
        /// The authority's identifier.
        #[arg(long)]
        org: String,
    },
    /// List consortia and their members.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit chain; prints `OK <n> entries` or names the first bad entry.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CONSORT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CONSORT_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Who the command line acts as, in the audit log.
fn cli_actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(user) if !user.is_empty() => format!("cli:{user}"),
        _ => "cli".to_string(),
    }
}

async fn open_store(storage: &StorageArgs) -> Result<Store> {
    open_store_with(storage, Clock::system()).await
}

async fn open_store_with(storage: &StorageArgs, clock: Clock) -> Result<Store> {
    let config = StoreConfig {
        data_dir: storage.data_dir.clone(),
        database_url: storage
            .database_url
            .clone()
            .filter(|u| !u.trim().is_empty()),
    };
    Ok(Store::open(&config, clock).await?)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(&cli.storage, args).await,
        Command::Org(cmd) => org(&cli.storage, cmd).await,
        Command::User(cmd) => user(&cli.storage, cmd).await,
        Command::Consortium(cmd) => consortium(&cli.storage, cmd).await,
        Command::Import(ImportCommand::Contracts {
            file,
            authority,
            dry_run,
            skip_invalid,
        }) => {
            let store = open_store(&cli.storage).await?;
            let actor = cli_actor();
            let request = import::ImportRequest {
                file: &file,
                authority: &authority,
                dry_run,
                skip_invalid,
                actor: &actor,
            };
            let all_valid = import::run(&store, &request).await?;
            Ok(if all_valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Clock(args) => clock::run(args),
        Command::Advise(args) => advise::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Plan(args) => {
            let today = match &args.today {
                Some(t) => t
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| anyhow!("--today: '{t}' is not a date like 2026-11-25"))?,
                None => consort_core::time::london_date(jiff::Timestamp::now()),
            };
            if !matches!(args.format.as_str(), "table" | "json" | "csv") {
                bail!(
                    "--format: '{}' is not a format: use table, json or csv",
                    args.format
                );
            }
            let store = open_store(&cli.storage).await?;
            let request = plan::PlanRequest {
                category: args.category,
                consortium: args.consortium,
                params: consort_core::planner::PlanParams {
                    term_months: args.term_months,
                    lead_months: args.lead_months,
                    mobilisation_months: args.mobilisation_months,
                    max_cohorts: args.max_cohorts,
                },
                today,
                format: args.format,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            plan::run(&store, &request, &mut out).await?;
            std::io::Write::flush(&mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pipeline(args) => pipeline::command(&cli.storage, args).await,
        Command::Bench(bench::BenchCommand::Plan {
            contracts,
            authorities,
            today,
        }) => bench::plan(contracts, authorities, today.as_deref()),
        Command::Bench(bench::BenchCommand::Bids {
            suppliers,
            attachment_kb,
        }) => {
            let database_url = cli
                .storage
                .database_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty());
            bench::bids(
                &cli.storage.data_dir,
                database_url,
                suppliers,
                attachment_kb,
            )
            .await
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_store(&cli.storage).await?;
            match store.audit_verify().await? {
                Ok(n) => {
                    println!("OK {n} entries");
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    println!("FAILED {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

async fn serve(storage: &StorageArgs, args: ServeArgs) -> Result<ExitCode> {
    let addr: SocketAddr = args.bind.parse().map_err(|_| {
        anyhow!(
            "--bind {} is not an address and port such as 127.0.0.1:8080",
            args.bind
        )
    })?;
    // Bind before touching the data, so a port in use changes nothing.
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow!("cannot listen on {addr}: the port is already in use; stop the other program or choose another address with --bind")
        } else {
            anyhow!("cannot listen on {addr}: {e}; choose another address with --bind")
        }
    })?;
    let clock = match &args.clock_offset_file {
        Some(file) => {
            tracing::warn!(file = %file.display(), "the clock is shifted by the offset in this file: for tests only");
            Clock::shifted_by_file(file)
        }
        None => Clock::system(),
    };
    let store = open_store_with(storage, clock).await?;
    tracing::info!(
        backend = store.backend().name(),
        location = store.location(),
        "store open"
    );
    let hashing = PasswordHashing::new(HashCost::Standard);
    if args.demo {
        match store.load_demo(hashing).await? {
            DemoOutcome::Loaded(people) => {
                tracing::info!(
                    people = people.len(),
                    "loaded the demo data into the empty store"
                );
                println!(
                    "Demo data loaded. Sign in as any of these (the passwords are shown only now):"
                );
                for (person, pw) in &people {
                    println!(
                        "  {:<12} {:<30} {}",
                        person.role.as_str(),
                        person.email.as_str(),
                        pw
                    );
                }
                println!(
                    "The openers' opening-key passphrase is their password (demo only; set your own at /account/opening-key)."
                );
            }
            DemoOutcome::StoreNotEmpty => {
                tracing::info!("the store already holds data, so the demo data was not loaded");
            }
        }
    }
    let state = consort_web::app_state(
        store.clone(),
        consort_web::WebConfig {
            trust_proxy: args.trust_proxy,
            always_secure_cookies: args.secure_cookies,
            hashing,
        },
    )
    .await?;
    let app = consort_web::router(state);
    let local = listener.local_addr()?;
    tracing::info!("listening on http://{local}");
    let signals = ShutdownSignals::install()?;
    let workers = workers::start(store.clone(), local)?;
    println!("Consort is running at http://{local}/ (press Ctrl+C to stop)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signals.wait())
    .await
    .context("the server stopped unexpectedly")?;
    workers.stop().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT and SIGTERM, listened for from the moment this is made, so that a
/// signal arriving just after start-up still stops the server gracefully.
struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
                interrupt: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {},
            _ = self.interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

async fn org(storage: &StorageArgs, cmd: OrgCommand) -> Result<ExitCode> {
    match cmd {
        OrgCommand::Add {
            id,
            name,
            kind,
            email,
            telephone,
            address,
        } => {
            let org = NewOrganisation::parse(
                &id,
                &name,
                &kind,
                email.as_deref(),
                telephone.as_deref(),
                address.as_deref(),
            )
            .map_err(|errors| {
                anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(|e| format!(
                            "--{}: {}",
                            e.field.replace('_', "-").replace("contact-", ""),
                            e.reason
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?
            .0;
            let store = open_store(storage).await?;
            store.create_org(&cli_actor(), &org).await?;
            println!("added {} {} ({})", org.kind, org.id, org.name);
        }
        OrgCommand::List => {
            let store = open_store(storage).await?;
            for org in store.orgs().await? {
                println!("{:<20} {:<12} {}", org.id, org.kind, org.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_membership(org: &str, role: &str) -> Result<Membership> {
    let org = OrgId::parse(org).map_err(|e| anyhow!("--org: {}", e.reason))?;
    let role = role
        .parse::<Role>()
        .map_err(|e| anyhow!("--role: {}", e.reason))?;
    Ok(Membership { org, role })
}

async fn user(storage: &StorageArgs, cmd: UserCommand) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            email,
            org,
            role,
            password_stdin,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow!("--email: {}", e.reason))?;
            let membership = parse_membership(&org, &role)?;
            let (password, generated) = if password_stdin {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    eprintln!("Type the password and press Enter:");
                }
                let mut line = String::new();
                stdin
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let pw = line.trim_end_matches(['\r', '\n']).to_string();
                if pw.is_empty() {
                    bail!("--password-stdin: standard input held no password");
                }
                password::check_policy(&pw, email.as_str())
                    .map_err(|e| anyhow!("password: {e}"))?;
                (pw, false)
            } else {
                (password::generate()?, true)
            };
            let hash = PasswordHashing::new(HashCost::Standard).hash(&password)?;
            let store = open_store(storage).await?;
            store
                .create_user(
                    &cli_actor(),
                    &NewUser {
                        email: email.clone(),
                        password_hash: hash,
                        must_change_password: generated,
                        membership: membership.clone(),
                    },
                )
                .await?;
            println!("added {email} as {} at {}", membership.role, membership.org);
            if generated {
                println!("one-time password: {password}");
                println!("(it must be changed at first sign-in)");
            }
        }
        UserCommand::Grant { email, org, role } => {
            let email = Email::parse(&email).map_err(|e| anyhow!("--email: {}", e.reason))?;
            let membership = parse_membership(&org, &role)?;
            let store = open_store(storage).await?;
            store.grant_role(&cli_actor(), &email, &membership).await?;
            println!("{email} is now {} at {}", membership.role, membership.org);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn consortium(storage: &StorageArgs, cmd: ConsortiumCommand) -> Result<ExitCode> {
    let store = open_store(storage).await?;
    let org_arg = |s: &str| OrgId::parse(s).map_err(|e| anyhow!("--org: {}", e.reason));
    match cmd {
        ConsortiumCommand::Create { name, coordinator } => {
            let coordinator =
                OrgId::parse(&coordinator).map_err(|e| anyhow!("--coordinator: {}", e.reason))?;
            let id = store
                .create_consortium(&cli_actor(), &name, &coordinator)
                .await?;
            println!("created consortium {id}: {name}");
        }
        ConsortiumCommand::Join { consortium, org } => {
            store
                .join_consortium(&cli_actor(), consortium, &org_arg(&org)?)
                .await?;
            println!("{org} joined consortium {consortium}");
        }
        ConsortiumCommand::Leave { consortium, org } => {
            store
                .leave_consortium(&cli_actor(), consortium, &org_arg(&org)?)
                .await?;
            println!("{org} left consortium {consortium}");
        }
        ConsortiumCommand::List => {
            for c in store.consortia().await? {
                println!(
                    "{:>4}  {}  (coordinator {})",
                    c.consortium.id, c.consortium.name, c.consortium.coordinator
                );
                for m in &c.members {
                    println!("        {m}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
