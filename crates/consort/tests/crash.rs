//! The crash test (issue 5): kill -9 the server during a burst of bid
//! submissions, restart it, and every acknowledged bid is still there, opens
//! to exactly what was submitted, and `consort audit verify` passes.
//!
//! The burst is the deadline rush of `consort bench bids`, from the same code.
//! The kill is not timed: it comes right after the k-th receipt arrives, while
//! the rest of the burst is in flight, and a few submissions are held
//! half-sent on purpose so that some are certainly cut off by it.

#[allow(dead_code)]
#[path = "../src/bench_bids.rs"]
mod bench_bids;

use bench_bids::{Bidder, PlannedBid, Prepared, Rush, ServerProcess};
use consort_core::OrgId;
use consort_core::competition::{Receipt, canonical_bid_bytes};
use consort_store::{Clock, Store, StoreConfig};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Suppliers in the burst, one bid each.
const SUPPLIERS: usize = 60;
/// Of those, how many send only half of their request and wait.
const HALF_SENT: usize = 5;
/// The server is killed as soon as this many receipts have arrived.
const KILL_AFTER: usize = 20;
/// Each bid's attachment, in bytes.
const ATTACHMENT_BYTES: usize = 16 * 1024;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_consort"))
}

struct Setup {
    _dir: tempfile::TempDir,
    data: PathBuf,
    clock_offset: PathBuf,
    logs: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let clock_offset = dir.path().join("clock-offset");
        std::fs::write(&clock_offset, "0\n").unwrap();
        Setup {
            data,
            clock_offset,
            logs: dir.path().to_path_buf(),
            _dir: dir,
        }
    }

    fn config(&self) -> StoreConfig {
        StoreConfig {
            data_dir: self.data.clone(),
            database_url: None,
        }
    }

    async fn store(&self) -> Store {
        Store::open(&self.config(), Clock::shifted_by_file(&self.clock_offset))
            .await
            .expect("open the store")
    }

    fn start_server(&self, name: &str) -> ServerProcess {
        ServerProcess::start(
            binary(),
            &self.data,
            None,
            Some(&self.clock_offset),
            &self.logs.join(format!("{name}.log")),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:#}"))
    }

    /// Moves the servers' and stores' clock `seconds` ahead of the system clock.
    fn shift_clock(&self, seconds: i64) {
        std::fs::write(&self.clock_offset, format!("{seconds}\n")).unwrap();
    }
}

/// Sends the request for `bid` on a connection of its own, but only the
/// headers and the first half of the body, and leaves it waiting.
async fn send_half(
    base: &str,
    competition_id: i64,
    bidder: &Bidder,
    bid: &PlannedBid,
) -> TcpStream {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host)
        .await
        .expect("connect to the server");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
         Content-Length: {}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nIdempotency-Key: {}\r\n\r\n",
        bench_bids::bids_path(competition_id),
        bid.body.len(),
        bidder.cookie_header(base),
        bidder.csrf_token,
        bid.idempotency_key,
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(&bid.body[..bid.body.len() / 2])
        .await
        .unwrap();
    stream.flush().await.unwrap();
    stream
}

/// What the server ever answered on a half-sent connection (nothing, since it
/// died waiting for the rest of the body).
async fn answer_on(mut stream: TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Signs in as opener `email` and approves the opening on the opening page.
async fn open_as(base: &str, competition_id: i64, email: &str, passphrase: &str) {
    let opener = bench_bids::sign_in(base, email, passphrase)
        .await
        .unwrap_or_else(|e| panic!("{email} signs in: {e:#}"));
    let path = format!("/competitions/{competition_id}/open");
    let response = opener
        .client
        .post(format!("{base}{path}"))
        .form(&[
            ("passphrase", passphrase),
            ("csrf_token", opener.csrf_token.as_str()),
        ])
        .send()
        .await
        .expect("POST the opening form");
    let status = response.status();
    let to = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().await.unwrap_or_default();
    assert!(
        status == reqwest::StatusCode::SEE_OTHER && to == path,
        "{email} approving the opening: {status} to '{to}': {body}"
    );
}

/// The SHA-256 a receipt for `bid` from `supplier` must carry.
fn expected_sha(reference: &str, supplier: &OrgId, bid: &PlannedBid) -> String {
    hex::encode(Sha256::digest(canonical_bid_bytes(
        reference,
        supplier,
        &bid.content,
    )))
}

#[test]
fn every_acknowledged_bid_survives_a_kill_9_during_a_burst_and_opens_intact() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let setup = Setup::new();
    let prepared: Prepared = runtime.block_on(async {
        let store = setup.store().await;
        let prepared = bench_bids::prepare(&store, SUPPLIERS)
            .await
            .expect("prepare the rush");
        store.close().await;
        prepared
    });
    let id = prepared.competition_id;
    let plans: Vec<PlannedBid> = (0..SUPPLIERS)
        .map(|i| bench_bids::plan_bid(i, ATTACHMENT_BYTES, "crash"))
        .collect();
    let org_of = |i: usize| prepared.suppliers[i].org.clone();

    // The burst, and the kill right after the KILL_AFTER-th receipt.
    let mut server = setup.start_server("serve-before-crash");
    let base = server.url.clone();
    let bidders = runtime
        .block_on(bench_bids::sign_in_all(&base, &prepared.suppliers))
        .expect("every supplier signs in");
    let (acknowledged, half_sent_answers) = runtime.block_on(async {
        let complete = SUPPLIERS - HALF_SENT;
        let mut half_sent = Vec::new();
        for i in complete..SUPPLIERS {
            half_sent.push(send_half(&base, id, &bidders[i], &plans[i]).await);
        }
        let bids = (0..complete)
            .map(|i| (bidders[i].clone(), plans[i].clone()))
            .collect();
        let mut rush = Rush::ready(&base, id, bids);
        rush.go();
        let mut acknowledged: BTreeMap<usize, Receipt> = BTreeMap::new();
        let mut answered = 0;
        let mut killed = false;
        let mut first_failure = None;
        while answered < complete {
            let outcome = rush.outcomes.recv().await.expect("every submitter reports");
            answered += 1;
            match outcome.result {
                Ok(receipt) => {
                    acknowledged.insert(outcome.supplier, receipt);
                    if acknowledged.len() == KILL_AFTER && !killed {
                        server.kill().expect("kill -9 the server");
                        killed = true;
                    }
                }
                Err(why) if !killed => {
                    first_failure.get_or_insert(format!("supplier {}: {why}", outcome.supplier));
                }
                Err(_) => {}
            }
        }
        assert!(
            killed,
            "only {} of {complete} submissions were acknowledged, fewer than the {KILL_AFTER} the kill waits for; the first failure: {}",
            acknowledged.len(),
            first_failure.unwrap_or_default()
        );
        let mut answers = Vec::new();
        for stream in half_sent {
            answers.push(answer_on(stream).await);
        }
        (acknowledged, answers)
    });
    assert!(acknowledged.len() >= KILL_AFTER);
    for answer in &half_sent_answers {
        assert!(
            answer.is_empty(),
            "a half-sent submission got an answer before the kill: {answer}"
        );
    }
    for (&i, receipt) in &acknowledged {
        assert_eq!(receipt.version, 1, "supplier {i}'s first submission");
        assert_eq!(
            receipt.sha256_hex,
            expected_sha(&prepared.reference, &org_of(i), &plans[i]),
            "supplier {i}'s receipt is for what it sent"
        );
    }

    // After the restart: every acknowledged receipt is held, and a supplier
    // whose submission was cut off retries it with the same idempotency key
    // and gets exactly one bid, whether or not the first attempt was saved.
    let server = setup.start_server("serve-after-crash");
    let base = server.url.clone();
    let held_after_crash = runtime.block_on(async {
        let store = setup.store().await;
        let acked: Vec<(OrgId, Receipt)> = acknowledged
            .iter()
            .map(|(&i, r)| (org_of(i), r.clone()))
            .collect();
        let missing = bench_bids::missing_receipts(&store, id, &acked)
            .await
            .unwrap();
        assert!(
            missing.is_empty(),
            "acknowledged bids lost in the crash: {missing:?}"
        );
        let held = store.bids_received(id).await.unwrap();
        store.close().await;
        held
    });
    assert!(
        held_after_crash >= acknowledged.len() as i64,
        "{held_after_crash} bids held, {} acknowledged",
        acknowledged.len()
    );
    assert!(
        held_after_crash <= (SUPPLIERS - HALF_SENT) as i64,
        "a half-sent bid was saved: {held_after_crash} bids held"
    );
    println!(
        "burst of {}: {} acknowledged before the kill after the {KILL_AFTER}th receipt, {} held after the restart, {HALF_SENT} half-sent",
        SUPPLIERS - HALF_SENT,
        acknowledged.len(),
        held_after_crash
    );
    let mut receipts = acknowledged.clone();
    runtime.block_on(async {
        for i in (0..SUPPLIERS).filter(|i| !acknowledged.contains_key(i)) {
            let (status, receipt) = bench_bids::submit(&bidders[i], &base, id, &plans[i])
                .await
                .unwrap_or_else(|e| panic!("supplier {i}'s retry after the restart: {e}"));
            assert!(status.is_success(), "{status}");
            assert_eq!(receipt.version, 1, "supplier {i} has one bid, not two");
            receipts.insert(i, receipt);
        }
    });
    drop(server);

    // Past the deadline (the scheduler's step taken here, so as not to wait for
    // it), the two openers open the bids on the opening page with their
    // passphrases; each supplier's bid then opens to what it sent, under the
    // SHA-256 on its receipt.
    setup.shift_clock(DEADLINE_SECONDS);
    runtime.block_on(async {
        let store = setup.store().await;
        assert_eq!(
            store.advance_due_competitions().await.unwrap(),
            1,
            "the deadline has passed"
        );
        store.close().await;
    });
    let server = setup.start_server("serve-opening");
    runtime.block_on(async {
        for (opener, passphrase) in &prepared.openers {
            open_as(&server.url, id, opener.as_str(), passphrase).await;
        }
    });
    drop(server);
    runtime.block_on(async {
        let store = setup.store().await;
        let opened = store.opened_bids(id).await.expect("the opened bids");
        assert_eq!(opened.len(), SUPPLIERS, "one bid per supplier");
        let index_of: BTreeMap<OrgId, usize> = (0..SUPPLIERS).map(|i| (org_of(i), i)).collect();
        for bid in &opened {
            let i = index_of[&bid.supplier];
            let receipt = &receipts[&i];
            let plan = &plans[i];
            assert_eq!(bid.bid_id, receipt.bid_id, "supplier {i}");
            assert_eq!(bid.version, 1, "supplier {i}");
            assert_eq!(bid.sha256_hex, receipt.sha256_hex, "supplier {i}");
            assert_eq!(bid.content.answers, plan.content.answers, "supplier {i}");
            assert_eq!(bid.attachments, plan.content.attachments, "supplier {i}");
            let pounds = 100_000 + i as i64;
            assert_eq!(
                bid.content.unit_prices_pence[bench_bids::PRICE_LINE_ID],
                pounds * 100 + (i % 100) as i64,
                "supplier {i}"
            );
            let (meta, bytes) = store
                .opened_attachment(id, &bid.bid_id, 0)
                .await
                .unwrap_or_else(|e| panic!("supplier {i}'s attachment: {e}"));
            assert_eq!(meta, plan.content.attachments[0], "supplier {i}");
            assert!(bytes == plan.attachment, "supplier {i}'s attachment bytes");
        }
        store.close().await;
    });

    let verify = std::process::Command::new(binary())
        .args(["audit", "verify", "--data"])
        .arg(&setup.data)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run consort audit verify");
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && stdout.starts_with("OK "),
        "consort audit verify: {stdout}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// Seconds to move the clock so that it is just past the tender deadline.
const DEADLINE_SECONDS: i64 = bench_bids::DEADLINE_AFTER.as_secs() + 3_600;
