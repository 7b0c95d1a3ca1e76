//! A real SMTP server for the tests: `tools/smtp-sink.py` (Python and aiosmtpd),
//! started on a port of the test's choosing, writing every message it accepts
//! to a temporary directory that the test reads back.
//!
//! When python3 or aiosmtpd is missing the tests that need the sink say so
//! loudly on stderr and pass — except under `CI=true`, where they fail.

#![allow(dead_code)]

use consort_notify::{Mailbox, SmtpConfig, SmtpTls};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/smtp-sink.py");
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether python3 with aiosmtpd can run the sink, checked once per process.
fn python_problem() -> &'static Option<String> {
    static PROBLEM: OnceLock<Option<String>> = OnceLock::new();
    PROBLEM.get_or_init(|| {
        match Command::new("python3")
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
        }
    })
}

/// Whether the sink can be started for `test`. Without python3 and aiosmtpd
/// this fails under `CI=true` and otherwise says loudly that `test` is skipped.
pub fn sink_available(test: &str) -> bool {
    let Some(problem) = python_problem() else {
        return true;
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{test} needs the SMTP sink under CI=true, but {problem}. Install it with: python3 -m pip install aiosmtpd"
        );
    }
    eprintln!(
        "\n*** SKIPPED {test}: {problem}.\n\
         *** Install it with `python3 -m pip install aiosmtpd`; CI never skips this.\n"
    );
    false
}

/// A port on 127.0.0.1 that nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// The configuration that sends plain SMTP to `127.0.0.1:port`.
pub fn config_for_port(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        credentials: None,
        from: sender(),
    }
}

/// The sender the tests use.
pub fn sender() -> Mailbox {
    "Consort tests <noreply@consort.example.gov.uk>"
        .parse()
        .unwrap()
}

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEmail {
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// The Message-ID header.
    pub message_id: String,
    /// The Subject header as sent (possibly encoded).
    pub subject: String,
    /// The message as received.
    pub raw: String,
}

/// A running sink; stopped when dropped.
pub struct SmtpSink {
    child: Child,
    _stdin: ChildStdin,
    dir: tempfile::TempDir,
    port: u16,
}

impl SmtpSink {
    /// Starts the sink on `port` (0 for any free port) and waits until it listens.
    /// Call [`sink_available`] first.
    pub fn start_on(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temporary directory for the sink");
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .args(["--port", &port.to_string(), "--exit-with-stdin", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tools/smtp-sink.py");
        let stdin = child.stdin.take().expect("sink stdin");
        let stdout = child.stdout.take().expect("sink stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = tx.send(first);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let bound = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok());
        let Some(bound) = bound else {
            let _ = child.kill();
            let output = child.wait_with_output().ok();
            let stderr = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            panic!(
                "the SMTP sink did not start on port {port}: it printed {line:?}; stderr: {stderr}"
            );
        };
        SmtpSink {
            child,
            _stdin: stdin,
            dir,
            port: bound,
        }
    }

    /// Starts the sink on a free port.
    pub fn start() -> SmtpSink {
        Self::start_on(0)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The configuration that sends to this sink.
    pub fn config(&self) -> SmtpConfig {
        config_for_port(self.port)
    }

    /// Every message received so far, in the order received. The sink writes a
    /// message before it acknowledges it, so a message the client saw accepted is
    /// always here.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        let index = self.dir.path().join("index.jsonl");
        let Ok(text) = std::fs::read_to_string(&index) else {
            return Vec::new();
        };
        text.lines()
            .map(|line| {
                let entry: serde_json::Value =
                    serde_json::from_str(line).expect("a JSON line in the sink's index");
                let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
                let file: PathBuf = self.dir.path().join(field("file"));
                ReceivedEmail {
                    mail_from: field("mail_from"),
                    rcpt_tos: entry["rcpt_tos"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                    message_id: field("message_id"),
                    subject: field("subject"),
                    raw: std::fs::read_to_string(&file).expect("the message file"),
                }
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
