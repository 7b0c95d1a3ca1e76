//! Turning an outbox row into an email message.

use consort_store::ClaimedEmail;
use jiff::Timestamp;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use std::time::SystemTime;

/// The Message-ID of outbox row `outbox_id`, queued at `queued_at`, sent from
/// `from`.
///
/// It is derived from the outbox row alone (its id, and the instant it was
/// queued so that ids reused by a rebuilt database do not collide), never made
/// up at send time. Every attempt at the same message therefore carries the same
/// Message-ID, which is what makes a resend recognisable as a duplicate: see
/// [`crate::OutboxWorker`] for the one window in which that can happen.
pub fn message_id(outbox_id: i64, queued_at: Timestamp, from: &Mailbox) -> String {
    format!(
        "<consort.outbox.{outbox_id}.{}@{}>",
        queued_at.as_microsecond(),
        from.email.domain()
    )
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so that out-of-office replies
/// and other automatic responders leave these messages alone.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// Builds the message for `email` from `from`, dated `now`: plain text, with the
/// HTML body as an alternative when there is one.
pub fn build_message(
    email: &ClaimedEmail,
    from: &Mailbox,
    now: Timestamp,
) -> Result<Message, String> {
    let to: Mailbox = email
        .to
        .as_str()
        .parse()
        .map_err(|e| format!("the recipient '{}' is not usable: {e}", email.to.as_str()))?;
    let date = SystemTime::try_from(now)
        .map_err(|e| format!("the time {now} cannot be a Date header: {e}"))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.as_str())
        .message_id(Some(message_id(email.id, email.created_at, from)))
        .date(date)
        .header(AutoSubmitted);
    let built = match &email.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.body_text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(email.body_text.clone()),
        ),
    };
    built.map_err(|e| format!("the message cannot be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use consort_store::EmailKind;

    fn claimed(html: Option<&str>) -> ClaimedEmail {
        let at: Timestamp = "2026-11-25T09:00:00.5Z".parse().unwrap();
        ClaimedEmail {
            id: 42,
            kind: EmailKind::ClarificationAnswer,
            to: consort_core_email("bidder@supplier.example.com"),
            subject: "Clarification answered: lot 2 — pricing".into(),
            body_text: "The answer to question 7 is published.".into(),
            body_html: html.map(String::from),
            dedupe_key: "clarification:7".into(),
            created_at: at,
            attempts: 0,
            claimed_until: at,
        }
    }

    fn consort_core_email(address: &str) -> consort_core::Email {
        consort_core::Email::parse(address).unwrap()
    }

    fn from() -> Mailbox {
        "Consort <noreply@consort.example.gov.uk>".parse().unwrap()
    }

    fn rendered(email: &ClaimedEmail) -> String {
        let now = "2026-11-25T10:00:00Z".parse().unwrap();
        String::from_utf8(build_message(email, &from(), now).unwrap().formatted()).unwrap()
    }

    #[test]
    fn the_message_id_comes_from_the_outbox_row() {
        let email = claimed(None);
        let id = message_id(email.id, email.created_at, &from());
        assert_eq!(
            id,
            "<consort.outbox.42.1795597200500000@consort.example.gov.uk>"
        );
        assert_ne!(id, message_id(43, email.created_at, &from()));
        let rebuilt_database = email.created_at + jiff::SignedDuration::from_secs(1);
        assert_ne!(id, message_id(42, rebuilt_database, &from()));
    }

    #[test]
    fn a_plain_message_has_the_headers_a_reader_needs() {
        let text = rendered(&claimed(None));
        for header in [
            "From: Consort <noreply@consort.example.gov.uk>\r\n",
            "To: bidder@supplier.example.com\r\n",
            "Message-ID: <consort.outbox.42.1795597200500000@consort.example.gov.uk>\r\n",
            "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n",
            "Auto-Submitted: auto-generated\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
        ] {
            assert!(text.contains(header), "missing {header:?} in\n{text}");
        }
        assert!(text.contains("The answer to question 7 is published."));
        assert!(!text.contains("multipart"));
    }

    #[test]
    fn an_html_body_is_sent_as_an_alternative() {
        let text = rendered(&claimed(Some("<p>The answer is <b>published</b>.</p>")));
        assert!(
            text.contains("Content-Type: multipart/alternative"),
            "{text}"
        );
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(text.contains("Content-Type: text/html; charset=utf-8"));
        assert!(text.contains("<b>published</b>"));
    }
}
