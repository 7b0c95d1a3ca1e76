//! The background worker that sends the outbox.

use crate::config::{ConfigError, SmtpConfig, SmtpTls};
use crate::message::{build_message, message_id};
use consort_store::{AfterFailure, ClaimedEmail, Store, StoreError};
use jiff::SignedDuration;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;
use tokio::sync::Notify;

/// How a worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// How many messages one claim takes.
    pub batch_size: u32,
    /// How long a claim keeps other workers off a batch. It must cover sending
    /// the whole batch; a message whose lease has less than `smtp_timeout` left
    /// is given back unsent rather than risk a second worker sending it too.
    pub lease: Duration,
    /// How often to look for due messages when nothing wakes the worker.
    pub poll_interval: Duration,
    /// How long one conversation with the SMTP server may take.
    pub smtp_timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch_size: 10,
            lease: Duration::from_secs(10 * 60),
            poll_interval: Duration::from_secs(30),
            smtp_timeout: Duration::from_secs(30),
        }
    }
}

/// What one batch came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Messages claimed.
    pub claimed: usize,
    /// Accepted by the SMTP server and marked sent.
    pub sent: usize,
    /// Failed and scheduled to be tried again.
    pub retrying: usize,
    /// Failed for the last time and marked failed.
    pub gave_up: usize,
    /// Sent or failed after another worker had taken the message over, so the
    /// outcome was not recorded by this worker.
    pub lost: usize,
    /// Given back unsent: the lease was about to lapse, or the worker was stopping.
    pub released: usize,
}

/// Wakes a worker so that it looks for due messages now rather than at its next
/// poll; cheap to clone and to call after every change that queues email.
#[derive(Debug, Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    /// Asks the worker to look now. A wake while it is busy is remembered.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Sends the outbox through SMTP: claims a batch of due messages, sends each
/// and marks it sent or failed, then waits to be woken or for the poll interval.
///
/// Several workers — in one process or in several server instances on one
/// PostgreSQL database — can run at once: each claims its batch under a lease,
/// so no two hold the same message, and marking a message sent only succeeds
/// for the worker that holds it.
///
/// Exactly once, with one exception. If the process dies (or the database
/// cannot be reached) after the SMTP server has accepted a message but before
/// it is marked sent, the message is still pending when its lease lapses and is
/// sent again. No protocol between two separate systems can close that window:
/// SMTP acceptance and the database commit cannot be one atomic step. The
/// resend carries the same Message-ID (derived from the outbox row, see
/// [`crate::message_id`]), so receiving systems and people can recognise it as
/// a duplicate. The window is kept small: a message is never started unless
/// its lease will outlast the SMTP timeout, and a stopping worker finishes the
/// message in flight before it stops.
pub struct OutboxWorker {
    store: Store,
    config: SmtpConfig,
    worker_id: String,
    options: WorkerOptions,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    waker: OutboxWaker,
}

impl std::fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("worker_id", &self.worker_id)
            .field("smtp", &self.config.to_string())
            .field("options", &self.options)
            .finish()
    }
}

fn transport(
    config: &SmtpConfig,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, ConfigError> {
    let tls_parameters = || {
        TlsParameters::new(config.host.clone()).map_err(|e| ConfigError::Tls {
            host: config.host.clone(),
            reason: e.to_string(),
        })
    };
    let tls = match config.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        .port(config.port)
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(c) = &config.credentials {
        builder = builder.credentials(Credentials::new(c.username.clone(), c.password.clone()));
    }
    Ok(builder.build())
}

/// Polls `future` once without waiting: whether it has finished.
fn finished_now<F: Future<Output = ()>>(future: Pin<&mut F>) -> bool {
    future
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

impl OutboxWorker {
    /// A worker sending `store`'s outbox through the server in `config`, with
    /// default [`WorkerOptions`]. `worker_id` must be unique among the workers
    /// sharing the database (host name, process id and a counter, say): it is how
    /// the outbox knows who holds a message.
    pub fn new(
        store: Store,
        config: &SmtpConfig,
        worker_id: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let options = WorkerOptions::default();
        Ok(Self {
            transport: transport(config, options.smtp_timeout)?,
            store,
            config: config.clone(),
            worker_id: worker_id.into(),
            options,
            waker: OutboxWaker::default(),
        })
    }

    /// The same worker with other pacing.
    pub fn with_options(self, options: WorkerOptions) -> Result<Self, ConfigError> {
        Ok(Self {
            transport: transport(&self.config, options.smtp_timeout)?,
            options,
            ..self
        })
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// A handle that wakes this worker, to keep after [`OutboxWorker::run`] has
    /// taken the worker.
    pub fn waker(&self) -> OutboxWaker {
        self.waker.clone()
    }

    /// Wakes this worker (see [`OutboxWaker::wake`]).
    pub fn wake(&self) {
        self.waker.wake();
    }

    /// Claims one batch of due messages and sends it. For tests and for a
    /// command that drains the outbox once.
    pub async fn run_once(&self) -> Result<BatchReport, StoreError> {
        self.deliver_batch(|| false).await
    }

    /// Sends the outbox until `shutdown` completes. Between batches it waits for
    /// a wake or the poll interval; a full batch is followed at once by the next.
    /// On shutdown it finishes the message in flight (bounded by the SMTP
    /// timeout), gives back the rest of its batch and returns. If the outbox
    /// cannot be reached it logs the error and tries again at the next poll.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut stopping = false;
        tracing::info!(worker = %self.worker_id, smtp = %self.config, "email worker started");
        while !stopping {
            let result = self
                .deliver_batch(|| {
                    stopping = stopping || finished_now(shutdown.as_mut());
                    stopping
                })
                .await;
            let more_waiting = match result {
                Ok(report) => {
                    let progressed = report.sent + report.retrying + report.gave_up > 0;
                    report.claimed == self.options.batch_size as usize && progressed
                }
                Err(e) => {
                    tracing::error!(worker = %self.worker_id, error = %e, "email worker cannot reach the outbox; trying again later");
                    false
                }
            };
            if stopping || more_waiting {
                continue;
            }
            tokio::select! {
                biased;
                () = shutdown.as_mut() => stopping = true,
                () = self.waker.0.notified() => {}
                () = tokio::time::sleep(self.options.poll_interval) => {}
            }
        }
        tracing::info!(worker = %self.worker_id, "email worker stopped");
    }

    async fn deliver_batch(
        &self,
        mut should_stop: impl FnMut() -> bool,
    ) -> Result<BatchReport, StoreError> {
        let batch = self
            .store
            .claim_emails(&self.worker_id, self.options.batch_size, self.options.lease)
            .await?;
        let mut report = BatchReport {
            claimed: batch.len(),
            ..BatchReport::default()
        };
        // On a store error the claims are kept: the error may have come just
        // after the SMTP server accepted a message, which must not be handed
        // straight to another worker. The claims lapse with their lease.
        self.deliver_each(&batch, &mut report, &mut should_stop)
            .await?;
        let unfinished =
            report.claimed - report.sent - report.retrying - report.gave_up - report.lost;
        if unfinished > 0 {
            match self.store.release_email_claims(&self.worker_id).await {
                Ok(released) => report.released = usize::try_from(released).unwrap_or(usize::MAX),
                Err(e) => {
                    tracing::warn!(worker = %self.worker_id, error = %e, "email worker could not give back unsent claims; they lapse with their lease");
                }
            }
        }
        Ok(report)
    }

    async fn deliver_each(
        &self,
        batch: &[ClaimedEmail],
        report: &mut BatchReport,
        should_stop: &mut impl FnMut() -> bool,
    ) -> Result<(), StoreError> {
        let smtp_timeout =
            SignedDuration::try_from(self.options.smtp_timeout).unwrap_or(SignedDuration::MAX);
        for email in batch {
            if should_stop() {
                break;
            }
            let lease_left = email.claimed_until.duration_since(self.store.clock().now());
            if lease_left <= smtp_timeout {
                tracing::warn!(worker = %self.worker_id, id = email.id, "email lease nearly over: giving the rest of the batch back unsent");
                break;
            }
            match self.send(email).await {
                Ok(()) => {
                    if self
                        .store
                        .mark_email_sent(email.id, &self.worker_id)
                        .await?
                    {
                        tracing::debug!(worker = %self.worker_id, id = email.id, kind = email.kind.as_str(), "email sent");
                        report.sent += 1;
                    } else {
                        tracing::warn!(
                            worker = %self.worker_id,
                            id = email.id,
                            message_id = %message_id(email.id, email.created_at, &self.config.from),
                            "email sent after another worker took it over: it may arrive twice, with the same Message-ID"
                        );
                        report.lost += 1;
                    }
                }
                Err(error) => {
                    match self
                        .store
                        .mark_email_failed(email.id, &self.worker_id, &error)
                        .await?
                    {
                        AfterFailure::Retry { attempts, at } => {
                            tracing::warn!(worker = %self.worker_id, id = email.id, attempts, retry_at = %at, error = %error, "email not sent; will try again");
                            report.retrying += 1;
                        }
                        AfterFailure::GaveUp { attempts } => {
                            tracing::error!(worker = %self.worker_id, id = email.id, attempts, error = %error, "email not sent; given up");
                            report.gave_up += 1;
                        }
                        AfterFailure::NotHeld => report.lost += 1,
                    }
                }
            }
        }
        Ok(())
    }

    async fn send(&self, email: &ClaimedEmail) -> Result<(), String> {
        let message = build_message(email, &self.config.from, self.store.clock().now())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP {}:{}: {e}", self.config.host, self.config.port))
    }
}
