//! The server's background work: the scheduler that moves competitions past
//! their deadlines and standstill periods at the right instant, and the worker
//! that sends the email outbox. Both are safe to run in several server instances
//! at once: the store claims each piece of work for one of them.

use anyhow::{Context, Result};
use consort_notify::{OutboxWorker, SmtpConfig, WorkerOptions};
use consort_store::Store;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long the scheduler sleeps at most between looks, so that a deadline set
/// by another instance (or a clock moved by a test) is noticed soon.
const SCHEDULER_MAX_SLEEP: Duration = Duration::from_secs(5);

/// The shortest pause between passes.
const SCHEDULER_MIN_SLEEP: Duration = Duration::from_millis(250);

/// How often the email worker looks for new messages.
const OUTBOX_POLL: Duration = Duration::from_secs(2);

/// The running background tasks.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the scheduler, and the email worker when SMTP is configured
/// (`CONSORT_SMTP_URL`, `CONSORT_MAIL_FROM`).
pub fn start(store: Store, local: SocketAddr) -> Result<Workers> {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(scheduler(store.clone(), stopped.clone()))];
    match SmtpConfig::from_env().context("the email settings")? {
        Some(config) => {
            let worker_id = format!("{}:{}:{}", hostname(), local.port(), std::process::id());
            let worker = OutboxWorker::new(store, &config, worker_id)
                .and_then(|w| {
                    w.with_options(WorkerOptions {
                        poll_interval: OUTBOX_POLL,
                        ..WorkerOptions::default()
                    })
                })
                .context("the email settings")?;
            tracing::info!(smtp = %config, "sending email from the outbox");
            let mut stopped = stopped;
            tasks.push(tokio::spawn(worker.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })));
        }
        None => tracing::info!(
            "email is off: set CONSORT_SMTP_URL and CONSORT_MAIL_FROM to send notifications (they wait in the outbox)"
        ),
    }
    Ok(Workers { stop, tasks })
}

impl Workers {
    /// Asks every task to stop and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Advances every competition that is due, then sleeps until the next one is
/// due (or [`SCHEDULER_MAX_SLEEP`]), until told to stop. A restart simply
/// catches up: whatever fell due while the server was down is due now.
async fn scheduler(store: Store, mut stopped: watch::Receiver<bool>) {
    loop {
        let sleep = match store.advance_due_competitions().await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(competitions = n, "scheduler advanced competitions");
                }
                until_next_due(&store).await
            }
            // Whatever failed is still due: wait the longest interval rather than
            // retrying (and logging) in a tight loop.
            Err(e) => {
                tracing::error!(error = %e, "scheduler could not advance competitions");
                SCHEDULER_MAX_SLEEP
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}

/// How long until the next competition is due, between a short floor and
/// [`SCHEDULER_MAX_SLEEP`]. Something already due after a successful pass was
/// skipped (another instance changed it): look again after the floor.
async fn until_next_due(store: &Store) -> Duration {
    match store.next_competition_due().await {
        Ok(Some(due)) => Duration::try_from(due.duration_since(store.clock().now()))
            .unwrap_or(Duration::ZERO)
            .clamp(SCHEDULER_MIN_SLEEP, SCHEDULER_MAX_SLEEP),
        Ok(None) => SCHEDULER_MAX_SLEEP,
        Err(e) => {
            tracing::error!(error = %e, "scheduler could not read what is due next");
            SCHEDULER_MAX_SLEEP
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "consort".to_string())
}
