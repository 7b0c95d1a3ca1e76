//! `consort serve` as people start it: with demo data, on SQLite or PostgreSQL,
//! stopped by a signal, and driven by a real browser.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server and what it printed at start.
struct Server {
    child: Child,
    url: String,
    credentials: Vec<(String, String, String)>,
    stderr_path: PathBuf,
}

impl Server {
    fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_with_args(data, &[], env)
    }

    /// Starts `consort serve --demo` with `args` added to its command line.
    fn start_with_args(data: &Path, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Server {
        let stderr_path = data.with_extension("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_consort"));
        cmd.args(["serve", "--demo", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start consort serve");
        let stdout = child.stdout.take().unwrap();
        let mut server = Server {
            child,
            url: String::new(),
            credentials: Vec::new(),
            stderr_path,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
                panic!(
                    "the server did not start: {}",
                    std::fs::read_to_string(&server.stderr_path).unwrap_or_default()
                );
            };
            if let Some(rest) = line.strip_prefix("Consort is running at ") {
                let url = rest.split_whitespace().next().unwrap();
                server.url = url.trim_end_matches('/').to_string();
                return server;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 3 && parts[1].contains('@') {
                server.credentials.push((
                    parts[0].to_string(),
                    parts[1].to_string(),
                    parts[2].to_string(),
                ));
            }
        }
    }

    fn password_of(&self, email: &str) -> &str {
        &self
            .credentials
            .iter()
            .find(|(_, e, _)| e == email)
            .expect("demo user printed")
            .2
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        (
            status.success(),
            std::fs::read_to_string(&self.stderr_path).unwrap_or_default(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn health(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        reqwest::get(format!("{url}/api/v1/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

#[test]
fn the_demo_loads_once_and_the_server_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let roles: Vec<&str> = server
        .credentials
        .iter()
        .map(|(r, _, _)| r.as_str())
        .collect();
    for role in [
        "admin",
        "coordinator",
        "buyer",
        "evaluator",
        "opener",
        "supplier",
    ] {
        assert!(roles.contains(&role), "no {role} printed: {roles:?}");
    }
    assert_eq!(health(&server.url)["database"], "SQLite");
    let (clean, log) = server.terminate();
    assert!(clean, "exit status after SIGTERM: {log}");
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
    assert!(log.contains("loaded the demo data"), "{log}");

    let again = Server::start(&data, &[]);
    assert!(
        again.credentials.is_empty(),
        "the demo loads only into an empty store"
    );
    let (clean, log) = again.terminate();
    assert!(clean);
    assert!(
        log.contains("demo data was not loaded"),
        "the log says why: {log}"
    );
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

#[test]
fn the_same_binary_runs_on_postgresql() {
    let admin = std::env::var("CONSORT_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("consort_test_{}_serve", std::process::id());
    let psql = |sql: &str| -> Result<(), String> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        })
    };
    if let Err(e) = psql(&format!("CREATE DATABASE \"{name}\"")) {
        if ci() {
            panic!("PostgreSQL is required under CI=true but {admin} is unreachable: {e}");
        }
        eprintln!(
            "\n*** SKIPPED the_same_binary_runs_on_postgresql: no PostgreSQL at {admin} ({e}).\n"
        );
        return;
    }
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[("DATABASE_URL", url.as_str())]);
    let db = health(&server.url)["database"].clone();
    let loaded = server.credentials.len();
    let (clean, log) = server.terminate();
    psql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).unwrap();
    assert_eq!(db, "PostgreSQL");
    assert!(loaded >= 6, "demo people printed: {loaded}");
    assert!(clean, "{log}");
    assert!(
        !dir.path().join("data").join("consort.db").exists(),
        "no SQLite file when on PostgreSQL"
    );
}

/// The browser-test folder, or `None` (after saying why, loudly) when its
/// prerequisites are missing outside CI.
fn browser_tests() -> Option<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<String> = [
        (
            root.join("node_modules/playwright-core").exists(),
            "npm packages (run `npm ci` in tests/browser)".to_string(),
        ),
        (
            Path::new(&chromium).exists(),
            format!("Chromium at {chromium} (apt-get install chromium)"),
        ),
        (
            Command::new("node").arg("--version").output().is_ok(),
            "Node.js".to_string(),
        ),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, what)| what)
    .collect();
    if !missing.is_empty() {
        if ci() {
            panic!(
                "the browser tests need {} under CI=true",
                missing.join(", ")
            );
        }
        eprintln!(
            "\n*** SKIPPED a browser journey: missing {}. `.ci/run` installs them.\n",
            missing.join(", ")
        );
        return None;
    }
    Some((root, chromium))
}

/// Runs a journey script with `node` and asserts that every check passed.
fn run_journey(root: &Path, chromium: &str, script: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new("node")
        .arg(root.join(script))
        .args(args)
        .env("CHROMIUM", chromium)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "the browser journey {script} failed:\n{text}"
    );
    assert!(text.contains(", 0 failed"), "{text}");
}

#[test]
fn a_real_browser_signs_in_as_the_demo_buyer_with_no_accessibility_violations() {
    let Some((root, chromium)) = browser_tests() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let shots = dir.path().join("screenshots");
    run_journey(
        &root,
        &chromium,
        "journey.mjs",
        &[
            server.url.as_ref(),
            "buyer@cmd.example".as_ref(),
            server.password_of("buyer@cmd.example").as_ref(),
            shots.as_os_str(),
        ],
    );
}

/// Writes the demo people's passwords, printed by `server`, to
/// `credentials.json` in `dir` as `{email: password}`; returns its path.
fn write_credentials(server: &Server, dir: &Path) -> PathBuf {
    let credentials: serde_json::Map<String, serde_json::Value> = server
        .credentials
        .iter()
        .map(|(_, email, pw)| (email.clone(), serde_json::Value::from(pw.clone())))
        .collect();
    let file = dir.join("credentials.json");
    std::fs::write(&file, serde_json::to_vec(&credentials).unwrap()).unwrap();
    file
}

#[test]
fn buyers_upload_registers_and_the_coordinator_sees_the_cohort_they_make() {
    let Some((root, chromium)) = browser_tests() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let file = write_credentials(&server, dir.path());
    let shots = dir.path().join("screenshots");
    run_journey(
        &root,
        &chromium,
        "planner.mjs",
        &[server.url.as_ref(), file.as_os_str(), shots.as_os_str()],
    );
}

/// `tools/smtp-sink.py` running on a free port, writing what it receives to a
/// temporary directory; stopped when dropped (and when this process dies, as
/// its standard input closes).
struct SmtpSink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

/// One message as the sink received it.
#[derive(Debug)]
struct ReceivedEmail {
    mail_from: String,
    rcpt_tos: Vec<String>,
    subject: String,
    /// The body with quoted-printable soft line breaks removed, so that text
    /// wrapped in transit reads whole.
    body: String,
}

impl SmtpSink {
    /// Starts the sink, or `None` (after saying why, loudly) when python3 or
    /// aiosmtpd is missing outside CI.
    fn start() -> Option<SmtpSink> {
        let problem = match Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdin(Stdio::null())
            .output()
        {
            Err(e) => Some(format!("python3 cannot be run ({e})")),
            Ok(out) if !out.status.success() => Some(format!(
                "python3 cannot import aiosmtpd ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            if ci() {
                panic!("the competition journey needs the SMTP sink under CI=true, but {problem}");
            }
            eprintln!(
                "\n*** SKIPPED the competition browser journey: {problem}. \
                 `python3 -m pip install aiosmtpd` (or `.ci/run`) installs it.\n"
            );
            return None;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp-sink.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--exit-with-stdin", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tools/smtp-sink.py");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = tx.send(first);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let Some(port) = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            panic!("the SMTP sink did not start: it printed {line:?}");
        };
        Some(SmtpSink { child, port, dir })
    }

    /// Every message received so far, in order.
    fn messages(&self) -> Vec<ReceivedEmail> {
        let Ok(index) = std::fs::read_to_string(self.dir.path().join("index.jsonl")) else {
            return Vec::new();
        };
        index
            .lines()
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
                let raw = std::fs::read_to_string(self.dir.path().join(field("file"))).unwrap();
                let body = raw
                    .split_once("\r\n\r\n")
                    .or_else(|| raw.split_once("\n\n"))
                    .map_or("", |(_, body)| body)
                    .replace("=\r\n", "")
                    .replace("=\n", "");
                ReceivedEmail {
                    mail_from: field("mail_from"),
                    rcpt_tos: entry["rcpt_tos"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                    subject: field("subject"),
                    body,
                }
            })
            .collect()
    }

    /// The messages once `enough` holds of them, waiting for the server's
    /// email worker for up to a minute.
    fn wait_for(&self, enough: impl Fn(&[ReceivedEmail]) -> bool) -> Vec<ReceivedEmail> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let messages = self.messages();
            if enough(&messages) || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_competition_runs_from_publication_to_the_standstill_letters_in_a_real_browser() {
    let Some((root, chromium)) = browser_tests() else {
        return;
    };
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("clock-offset");
    std::fs::write(&clock, "0\n").unwrap();
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let server = Server::start_with_args(
        &dir.path().join("data"),
        &["--clock-offset-file".as_ref(), clock.as_os_str()],
        &[
            ("CONSORT_SMTP_URL", smtp.as_str()),
            ("CONSORT_MAIL_FROM", "Consort <noreply@consort.example>"),
        ],
    );
    let credentials = write_credentials(&server, dir.path());
    let shots = dir.path().join("screenshots");
    run_journey(
        &root,
        &chromium,
        "competition.mjs",
        &[
            server.url.as_ref(),
            credentials.as_os_str(),
            clock.as_os_str(),
            shots.as_os_str(),
        ],
    );

    let subject = "CMP-00001: Outcome: Repairs scheduling service for Camden";
    let letters = [
        ("supplier@supplier1.example", "has been successful"),
        ("supplier@supplier2.example", "has not been successful"),
    ];
    let letter_to = |messages: &[ReceivedEmail], to: &str| {
        messages
            .iter()
            .position(|m| m.rcpt_tos == [to] && m.subject == subject)
    };
    let received = sink.wait_for(|m| letters.iter().all(|(to, _)| letter_to(m, to).is_some()));
    let summary: Vec<(&Vec<String>, &str)> = received
        .iter()
        .map(|m| (&m.rcpt_tos, m.subject.as_str()))
        .collect();
    for (to, outcome) in letters {
        let Some(at) = letter_to(&received, to) else {
            panic!("no outcome letter to {to} reached the SMTP sink; it has {summary:?}");
        };
        let letter = &received[at];
        assert_eq!(letter.mail_from, "noreply@consort.example");
        assert!(letter.body.contains(outcome), "{to}: {}", letter.body);
        assert!(
            letter.body.contains("The standstill period ends"),
            "{to}: the letter gives the standstill: {}",
            letter.body
        );
    }
}
