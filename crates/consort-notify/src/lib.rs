//! Consort's email. Changes queue their messages in the store's outbox in the
//! same transaction as the change itself; an [`OutboxWorker`] claims due
//! messages, hands them to an SMTP server with `lettre` and marks each sent, or
//! failed and due again after a backoff. Several workers, in one process or in
//! several server instances sharing PostgreSQL, send each message once.
//!
//! Email is configured with `CONSORT_SMTP_URL` and `CONSORT_MAIL_FROM`
//! ([`SmtpConfig::from_env`]); when no SMTP server is configured no worker runs
//! and messages wait in the outbox.

mod config;
mod message;
mod worker;

pub use config::{ConfigError, MAIL_FROM_VAR, SMTP_URL_VAR, SmtpConfig, SmtpCredentials, SmtpTls};
pub use message::{build_message, message_id};
pub use worker::{BatchReport, OutboxWaker, OutboxWorker, WorkerOptions};

/// The sender's address type, re-exported so callers need not depend on lettre.
pub use lettre::message::Mailbox;
