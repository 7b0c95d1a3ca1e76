//! The deadline rush: many suppliers submitting bids with attachments at once to
//! a running `consort serve`, through the JSON API, as their own signed-in
//! sessions. `consort bench bids` measures it; the crash test
//! (`tests/crash.rs`, which includes this file) kills the server in the middle
//! of it. Both prepare the data, start the server, sign in and submit here.
//!
//! Self-contained on purpose (no `crate::` paths), so that the test can include
//! it as a module of its own.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use consort_core::calendar::Regime;
use consort_core::competition::{
    AttachmentMeta, AwardCriteria, BidContent, Command, CompetitionRules, DraftContent,
    PriceCriterion, PriceFormula, PriceLine, QualityQuestion, Receipt, ScoringScale,
};
use consort_core::org::{ContactDetails, Membership, OrgKind, Organisation, Role};
use consort_core::password::{HashCost, PasswordHashing};
use consort_core::policy::Actor;
use consort_core::{Email, OrgId};
use consort_store::{DemoOutcome, NewUser, Store};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// The demo buyer who creates and publishes the competition.
pub const BUYER: &str = "buyer@cmd.example";
/// The demo openers of the buying organisation; their opening-key passphrase
/// is their demo password.
pub const OPENERS: [&str; 2] = ["opener1@cmd.example", "opener2@cmd.example"];
/// The competition's one quality question.
pub const QUESTION_ID: &str = "Q1";
/// The competition's one price line.
pub const PRICE_LINE_ID: &str = "L1";
/// How far after publication the tender deadline is: well past the legal minimum.
pub const DEADLINE_AFTER: SignedDuration = SignedDuration::from_hours(60 * 24);
/// How many suppliers sign in at the same time: kept well under the sign-in
/// rate limit for one address, since attempts in progress count until settled.
const SIGN_IN_CONCURRENCY: usize = 8;
/// How long the server may take to say where it listens.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);

/// A supplier made for the rush: its organisation and its one person.
#[derive(Debug, Clone)]
pub struct RushSupplier {
    /// The supplier organisation.
    pub org: OrgId,
    /// Its person with the Supplier role.
    pub email: Email,
    /// Their password.
    pub password: String,
}

/// What [`prepare`] made: a published competition and the people who take part.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The competition's row id.
    pub competition_id: i64,
    /// Its reference, `CMP-00001`.
    pub reference: String,
    /// Its tender deadline.
    pub deadline: Timestamp,
    /// The suppliers, one bid each.
    pub suppliers: Vec<RushSupplier>,
    /// The two openers and their passwords (also their opening passphrases).
    pub openers: Vec<(Email, String)>,
}

/// Loads the demo data (with test-only password and key costs) into an empty
/// store, adds `suppliers` supplier organisations each with one supplier
/// person, and creates and publishes an open procedure run by the demo buyer at
/// Camden: one quality question, a one-line price schedule and a deadline
/// [`DEADLINE_AFTER`] from the store clock's now.
pub async fn prepare(store: &Store, suppliers: usize) -> Result<Prepared> {
    let hashing = PasswordHashing::new(HashCost::TestOnly);
    let people = match store.load_demo(hashing).await? {
        DemoOutcome::Loaded(people) => people,
        DemoOutcome::StoreNotEmpty => bail!(
            "the store already holds data: the deadline rush needs an empty one (a new --data directory, or an empty database)"
        ),
    };
    let password_of = |email: &str| -> Result<String> {
        people
            .iter()
            .find(|(p, _)| p.email.as_str() == email)
            .map(|(_, pw)| pw.clone())
            .ok_or_else(|| anyhow!("the demo has no {email}"))
    };
    let openers = OPENERS
        .iter()
        .map(|e| Ok((Email::parse(e)?, password_of(e)?)))
        .collect::<Result<Vec<_>>>()?;
    let buyer = actor(store, BUYER).await?;
    let camden = OrgId::parse("GB-LAE-CMD")?;

    let password = consort_core::password::generate()?;
    let password_hash = hashing.hash(&password)?;
    let mut made = Vec::with_capacity(suppliers);
    for n in 1..=suppliers {
        let org = Organisation {
            id: OrgId::parse(&format!("GB-COH-BR{n:06}"))?,
            name: format!("Rush Bidder {n} Ltd (benchmark)"),
            kind: OrgKind::Supplier,
            contact: ContactDetails {
                name: Some("Bid team".into()),
                email: Some(Email::parse(&format!("bids@bidder{n}.example"))?),
                telephone: None,
                address: None,
            },
        };
        store.create_org("system:bench", &org).await?;
        let email = Email::parse(&format!("supplier@bidder{n}.example"))?;
        store
            .create_user(
                "system:bench",
                &NewUser {
                    email: email.clone(),
                    password_hash: password_hash.clone(),
                    must_change_password: false,
                    membership: Membership {
                        org: org.id.clone(),
                        role: Role::Supplier,
                    },
                },
            )
            .await?;
        made.push(RushSupplier {
            org: org.id,
            email,
            password: password.clone(),
        });
    }

    let deadline = store.clock().now() + DEADLINE_AFTER;
    let rules = CompetitionRules {
        criteria: AwardCriteria {
            questions: vec![QualityQuestion {
                id: QUESTION_ID.into(),
                text: "How will you move our tenancy records to the new system?".into(),
                weight: 60,
                scale: ScoringScale::zero_to_five(),
                word_limit: None,
            }],
            price: Some(PriceCriterion {
                weight: 40,
                formula: PriceFormula::LowestPriceRatio,
            }),
        },
        ..CompetitionRules::open_procedure(Regime::Pa2023)
    };
    let content = DraftContent {
        description: "A hosted housing management system, bid for by many suppliers at once."
            .into(),
        price_schedule: vec![PriceLine {
            id: PRICE_LINE_ID.into(),
            description: "Hosted housing management system".into(),
            quantity: 1,
            unit: "year".into(),
            lot: None,
        }],
        tender_deadline: Some(deadline),
        ..DraftContent::new("Deadline rush: housing management system", camden.clone())
    };
    let record = store
        .create_competition(&buyer, &camden, None, rules, content)
        .await?;
    let record = store
        .competition_command(
            record.id,
            &buyer,
            Some(record.version),
            Command::Publish {
                by: buyer.email.clone(),
            },
        )
        .await
        .context("publishing the rush competition")?;
    Ok(Prepared {
        competition_id: record.id,
        reference: record.reference,
        deadline,
        suppliers: made,
        openers,
    })
}

/// The person with this email address, with their roles.
pub async fn actor(store: &Store, email: &str) -> Result<Actor> {
    let email = Email::parse(email)?;
    let id = store
        .user_id(&email)
        .await?
        .ok_or_else(|| anyhow!("there is no account for {email}"))?;
    store
        .actor(id)
        .await?
        .ok_or_else(|| anyhow!("there is no account for {email}"))
}

/// One supplier's bid, planned before the rush so that building requests costs
/// nothing while it runs.
#[derive(Debug, Clone)]
pub struct PlannedBid {
    /// Which supplier (an index into [`Prepared::suppliers`]).
    pub supplier: usize,
    /// The `Idempotency-Key` sent with it.
    pub idempotency_key: String,
    /// The content the store should hold once it is received.
    pub content: BidContent,
    /// The attachment's bytes.
    pub attachment: Vec<u8>,
    /// The JSON request body.
    pub body: Vec<u8>,
}

/// A PDF-looking attachment of exactly `size` bytes (at least the header),
/// different for each supplier: a `%PDF-` header, lines of text, `%%EOF`.
pub fn attachment_bytes(supplier: usize, size: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut page = 1;
    while out.len() < size {
        out.extend_from_slice(
            format!(
                "% Supplier {supplier}: technical proposal, page {page} of the method statement.\n"
            )
            .as_bytes(),
        );
        page += 1;
    }
    out.truncate(size.max(9));
    if out.len() >= 16 {
        let tail = out.len() - 6;
        out[tail..].copy_from_slice(b"%%EOF\n");
    }
    out
}

/// Plans supplier `supplier`'s bid: an answer, a price in pounds and pence
/// that differs per supplier, and one PDF attachment of `attachment_size`
/// bytes. `run` makes the idempotency key unique to one run.
pub fn plan_bid(supplier: usize, attachment_size: usize, run: &str) -> PlannedBid {
    let attachment = attachment_bytes(supplier, attachment_size);
    let file_name = format!("proposal-{supplier:06}.pdf");
    let meta = AttachmentMeta {
        file_name: file_name.clone(),
        media_type: "application/pdf".into(),
        size_bytes: attachment.len() as u64,
        sha256_hex: hex::encode(Sha256::digest(&attachment)),
    };
    let answer = format!(
        "Supplier {supplier} moves the tenancy records in three rehearsed phases, \
         reconciling every rent account before the old system is switched off."
    );
    let price = format!("{}.{:02}", 100_000 + supplier, supplier % 100);
    let content = BidContent {
        lot: None,
        answers: BTreeMap::from([(QUESTION_ID.to_string(), answer)]),
        prices: BTreeMap::from([(PRICE_LINE_ID.to_string(), price)]),
        attachments: vec![meta],
    };
    let body = serde_json::to_vec(&serde_json::json!({
        "lot": content.lot,
        "answers": content.answers,
        "prices": content.prices,
        "attachments": [{
            "file_name": file_name,
            "media_type": "application/pdf",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&attachment),
        }],
    }))
    .expect("a bid request serialises");
    PlannedBid {
        supplier,
        idempotency_key: format!("rush-{run}-{supplier}"),
        content,
        attachment,
        body,
    }
}

/// A running `consort serve`, started as a child process.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `binary serve` on `data` (or on `database_url` when given) on a
    /// free local port, its clock shifted by `clock_offset_file` when given, its
    /// log written to `log`; returns once it says where it listens.
    pub fn start(
        binary: &Path,
        data: &Path,
        database_url: Option<&str>,
        clock_offset_file: Option<&Path>,
        log: &Path,
    ) -> Result<ServerProcess> {
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("creating the server log {}", log.display()))?;
        let mut command = std::process::Command::new(binary);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        match database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        if let Some(file) = clock_offset_file {
            command.arg("--clock-offset-file").arg(file);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {} serve", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = ServerProcess {
            child,
            url: String::new(),
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match received.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("Consort is running at ") {
                        let url = rest.split_whitespace().next().unwrap_or_default();
                        server.url = url.trim_end_matches('/').to_string();
                        return Ok(server);
                    }
                }
                Err(_) => bail!(
                    "the server did not start within {} s; its log says:\n{}",
                    SERVER_START_TIMEOUT.as_secs(),
                    server.log_text()
                ),
            }
        }
    }

    /// The operating system's id of the server process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server at once with SIGKILL (no graceful shutdown, no final
    /// flush) and waits for it to be gone.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill().context("killing the server")?;
        self.child.wait().context("waiting for the killed server")?;
        Ok(())
    }

    /// What the server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in supplier's HTTP session.
#[derive(Clone)]
pub struct Bidder {
    /// A client that keeps this supplier's cookies and does not follow redirects.
    pub client: reqwest::Client,
    /// The cookies, readable for requests made without the client.
    pub cookies: Arc<Jar>,
    /// The CSRF token bound to this session's CSRF cookie.
    pub csrf_token: String,
}

impl Bidder {
    /// The `Cookie` header this supplier's browser would send to `base`.
    pub fn cookie_header(&self, base: &str) -> String {
        let url = reqwest::Url::parse(base).expect("the server's URL parses");
        self.cookies
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(String::from))
            .unwrap_or_default()
    }
}

/// The value of the first `name="csrf_token"` field in a page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    let field = html.find(r#"name="csrf_token""#)?;
    let rest = &html[field..];
    let value = rest.find(r#"value=""#)? + r#"value=""#.len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

/// Signs `email` in through the sign-in form, as a browser would: the form
/// sets the CSRF cookie and gives its token; the answer sets the session cookie.
pub async fn sign_in(base: &str, email: &str, password: &str) -> Result<Bidder> {
    let cookies = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(cookies.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client
        .get(format!("{base}/sign-in"))
        .send()
        .await?
        .text()
        .await?;
    let csrf_token =
        csrf_token_in(&page).ok_or_else(|| anyhow!("the sign-in page has no csrf_token field"))?;
    let response = client
        .post(format!("{base}/sign-in"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", csrf_token.as_str()),
        ])
        .send()
        .await?;
    let to = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if response.status() != StatusCode::SEE_OTHER || to != "/dashboard" {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        bail!(
            "signing in as {email} gave {status} (to '{to}'): {}",
            body.chars().take(300).collect::<String>()
        );
    }
    Ok(Bidder {
        client,
        cookies,
        csrf_token,
    })
}

/// Signs every supplier in, a few at a time, in the order given.
pub async fn sign_in_all(base: &str, suppliers: &[RushSupplier]) -> Result<Vec<Bidder>> {
    let permits = Arc::new(Semaphore::new(SIGN_IN_CONCURRENCY));
    let mut tasks = Vec::with_capacity(suppliers.len());
    for supplier in suppliers {
        let permits = permits.clone();
        let base = base.to_string();
        let supplier = supplier.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await?;
            sign_in(&base, supplier.email.as_str(), &supplier.password).await
        }));
    }
    let mut bidders = Vec::with_capacity(tasks.len());
    for task in tasks {
        bidders.push(task.await??);
    }
    Ok(bidders)
}

/// The path a bid is submitted to.
pub fn bids_path(competition_id: i64) -> String {
    format!("/api/v1/competitions/{competition_id}/bids")
}

/// Submits one planned bid through the JSON API and reads its receipt. `Err`
/// holds why there is no receipt: a refusal, or a broken connection.
pub async fn submit(
    bidder: &Bidder,
    base: &str,
    competition_id: i64,
    bid: &PlannedBid,
) -> Result<(StatusCode, Receipt), String> {
    let response = bidder
        .client
        .post(format!("{base}{}", bids_path(competition_id)))
        .header("x-csrf-token", &bidder.csrf_token)
        .header("idempotency-key", &bid.idempotency_key)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(bid.body.clone())
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("{status} with its body cut off: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "refused with {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let receipt = receipt_from_json(&text)
        .ok_or_else(|| format!("{status}, but the body is not a receipt: {text}"))?;
    Ok((status, receipt))
}

/// The receipt in the API's answer:
/// `{"bid_id", "version", "received_at", "sha256", …}`.
pub fn receipt_from_json(text: &str) -> Option<Receipt> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(Receipt {
        received_at: value["received_at"].as_str()?.parse().ok()?,
        sha256_hex: value["sha256"].as_str()?.to_string(),
        bid_id: value["bid_id"].as_str()?.to_string(),
        version: u32::try_from(value["version"].as_u64()?).ok()?,
    })
}

/// One submission of the rush, as the supplier saw it.
#[derive(Debug)]
pub struct Outcome {
    /// Which supplier.
    pub supplier: usize,
    /// From sending the request to reading the whole answer (or failing).
    pub latency: Duration,
    /// The receipt, or why there is none.
    pub result: Result<Receipt, String>,
}

/// A rush ready to go: every submitter is waiting for [`Rush::go`].
pub struct Rush {
    start: watch::Sender<bool>,
    /// Each submission's outcome, in the order they finish.
    pub outcomes: tokio::sync::mpsc::UnboundedReceiver<Outcome>,
}

impl Rush {
    /// Starts one task per bid, each holding its request until [`Rush::go`],
    /// so that all are sent together.
    pub fn ready(base: &str, competition_id: i64, bids: Vec<(Bidder, PlannedBid)>) -> Rush {
        let (start, started) = watch::channel(false);
        let (report, outcomes) = tokio::sync::mpsc::unbounded_channel();
        for (bidder, bid) in bids {
            let mut started = started.clone();
            let report = report.clone();
            let base = base.to_string();
            tokio::spawn(async move {
                if started.wait_for(|go| *go).await.is_err() {
                    return;
                }
                let sent = Instant::now();
                let result = submit(&bidder, &base, competition_id, &bid).await;
                let _ = report.send(Outcome {
                    supplier: bid.supplier,
                    latency: sent.elapsed(),
                    result: result.map(|(_, receipt)| receipt),
                });
            });
        }
        Rush { start, outcomes }
    }

    /// Sends every request at once; returns the instant they were let go.
    pub fn go(&self) -> Instant {
        let at = Instant::now();
        let _ = self.start.send(true);
        at
    }
}

/// The disk's raw rate of durable small writes, measured in one directory.
#[derive(Debug, Clone, Copy)]
pub struct FsyncRate {
    /// How many 4 KiB write + fdatasync rounds completed.
    pub syncs: u64,
    /// How long they took.
    pub elapsed: Duration,
}

impl FsyncRate {
    /// Rounds per second.
    pub fn per_second(&self) -> f64 {
        self.syncs as f64 / self.elapsed.as_secs_f64()
    }
}

/// Appends 4 KiB and calls `fdatasync` (`File::sync_data`), over and over for
/// about `duration`, in a scratch file in `dir` (removed afterwards): the most
/// durable commits per second this disk can give one writer, which a database
/// that makes each commit durable cannot beat without grouping commits.
pub fn raw_fsync_rate(dir: &Path, duration: Duration) -> Result<FsyncRate> {
    let path = dir.join(".consort-fsync-probe");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let block = [0x5a_u8; 4096];
    let started = Instant::now();
    let mut syncs = 0;
    while started.elapsed() < duration {
        file.write_all(&block)?;
        file.sync_data()?;
        syncs += 1;
    }
    let elapsed = started.elapsed();
    drop(file);
    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    Ok(FsyncRate { syncs, elapsed })
}

/// The CPU time (user + system, every thread) process `pid` has used so far,
/// from `/proc/PID/stat`; `None` where there is no such file (not Linux).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    /// Linux reports these times in USER_HZ, which is 100 on every architecture it runs on.
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may itself hold spaces and parentheses.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ticks = |n: usize| fields.get(n)?.parse::<u64>().ok();
    // Fields 14 (utime) and 15 (stime) of proc(5), counted from field 3 here.
    let total = ticks(11)? + ticks(12)?;
    Some(Duration::from_millis(total * 1000 / TICKS_PER_SECOND))
}

/// How many commits wrote `receipts`: bids written together share their
/// transaction's time of receipt.
pub fn commits(receipts: &[Receipt]) -> usize {
    receipts
        .iter()
        .map(|r| r.received_at)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Every acknowledged receipt that the store does not hold exactly (the same
/// bid id, version and SHA-256 for that supplier), described; empty when all
/// are there.
pub async fn missing_receipts(
    store: &Store,
    competition_id: i64,
    acknowledged: &[(OrgId, Receipt)],
) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for (supplier, receipt) in acknowledged {
        let held = store.receipts(competition_id, supplier).await?;
        if !held.iter().any(|r| {
            r.bid_id == receipt.bid_id
                && r.version == receipt.version
                && r.sha256_hex == receipt.sha256_hex
        }) {
            missing.push(format!(
                "{supplier}: {} version {} (SHA-256 {})",
                receipt.bid_id, receipt.version, receipt.sha256_hex
            ));
        }
    }
    Ok(missing)
}

/// The value at `fraction` (0 to 1) of sorted `values`, by the nearest-rank
/// method; `None` when there are none.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}
