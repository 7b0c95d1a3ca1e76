//! Where email goes: the SMTP server, how to reach it, and whom mail is from.

use lettre::message::Mailbox;
use percent_encoding::percent_decode_str;
use std::fmt;
use std::net::IpAddr;

/// The environment variable naming the SMTP server.
pub const SMTP_URL_VAR: &str = "CONSORT_SMTP_URL";
/// The environment variable naming the sender.
pub const MAIL_FROM_VAR: &str = "CONSORT_MAIL_FROM";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: only for a relay on this machine or a trusted network.
    None,
    /// Plain text upgraded with `STARTTLS`, which the server must offer.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// A user name and password for SMTP authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The SMTP server that outbox email is handed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The server's host name or IP address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// Credentials, when the server wants them.
    pub credentials: Option<SmtpCredentials>,
    /// The sender of every message, and the domain of its Message-IDs.
    pub from: Mailbox,
}

/// Why the email settings cannot be used. Each message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `CONSORT_SMTP_URL` cannot be used.
    #[error(
        "CONSORT_SMTP_URL is not usable: {0}. Write it as smtp://HOST[:PORT] (plain, for a local relay), smtp://[USER:PASSWORD@]HOST:587?tls=starttls or smtps://[USER:PASSWORD@]HOST[:PORT]"
    )]
    BadUrl(String),
    /// `CONSORT_SMTP_URL` is set but `CONSORT_MAIL_FROM` is not.
    #[error(
        "CONSORT_MAIL_FROM is not set: set it to the address email comes from, like \"Consort <noreply@example.gov.uk>\", or unset CONSORT_SMTP_URL to turn email off"
    )]
    MissingFrom,
    /// `CONSORT_MAIL_FROM` is not an address.
    #[error(
        "CONSORT_MAIL_FROM is not usable: '{value}' is not an email address ({reason}). Write it like \"Consort <noreply@example.gov.uk>\" or noreply@example.gov.uk"
    )]
    BadFrom {
        /// What was given.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// TLS could not be set up for the server.
    #[error("cannot set up TLS for the SMTP server {host}: {reason}")]
    Tls {
        /// The server.
        host: String,
        /// What the TLS library said.
        reason: String,
    },
}

impl SmtpConfig {
    /// Reads `CONSORT_SMTP_URL` and `CONSORT_MAIL_FROM`. `Ok(None)` when no SMTP
    /// server is configured: email is off and no worker should be started.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let url = std::env::var(SMTP_URL_VAR).ok();
        let from = std::env::var(MAIL_FROM_VAR).ok();
        Self::from_settings(url.as_deref(), from.as_deref())
    }

    /// Builds the configuration from the two settings' values, as
    /// [`SmtpConfig::from_env`] does; an unset or blank URL means email is off.
    pub fn from_settings(
        smtp_url: Option<&str>,
        mail_from: Option<&str>,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(smtp_url) = smtp_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let mail_from = mail_from
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .ok_or(ConfigError::MissingFrom)?;
        let from: Mailbox = mail_from.parse().map_err(|e| ConfigError::BadFrom {
            value: mail_from.to_string(),
            reason: format!("{e}"),
        })?;
        let mut config = parse_url(smtp_url, from)?;
        config.host = config.host.trim_matches(['[', ']']).to_string();
        Ok(Some(config))
    }
}

fn bad_url(reason: impl Into<String>) -> ConfigError {
    ConfigError::BadUrl(reason.into())
}

fn decoded(part: &str, what: &str) -> Result<String, ConfigError> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad_url(format!("the {what} is not valid UTF-8 once decoded")))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn parse_url(text: &str, from: Mailbox) -> Result<SmtpConfig, ConfigError> {
    let url = url::Url::parse(text).map_err(|e| bad_url(e.to_string()))?;
    let mut tls = match url.scheme() {
        "smtp" => SmtpTls::None,
        "smtps" => SmtpTls::Tls,
        other => {
            return Err(bad_url(format!(
                "the scheme is '{other}', but only smtp:// and smtps:// are supported"
            )));
        }
    };
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref(), tls) {
            ("tls", "starttls" | "required", SmtpTls::None) => tls = SmtpTls::StartTls,
            ("tls", _, SmtpTls::Tls) => {
                return Err(bad_url(
                    "smtps:// is already TLS from the start: leave out ?tls=",
                ));
            }
            ("tls", other, _) => {
                return Err(bad_url(format!(
                    "tls={other} is not understood: the only choice is tls=starttls"
                )));
            }
            (other, _, _) => {
                return Err(bad_url(format!(
                    "the setting '{other}' is not understood: the only one is tls=starttls"
                )));
            }
        }
    }
    if !matches!(url.path(), "" | "/") {
        return Err(bad_url(format!(
            "it has a path ('{}'), which SMTP does not use",
            url.path()
        )));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad_url("it names no host"))?
        .to_string();
    let port = url.port().unwrap_or(match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
    });
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        ("", Some(_)) => return Err(bad_url("it has a password but no user name")),
        (_, None) => return Err(bad_url("it has a user name but no password")),
        (user, Some(password)) => Some(SmtpCredentials {
            username: decoded(user, "user name")?,
            password: decoded(password, "password")?,
        }),
    };
    if credentials.is_some() && tls == SmtpTls::None && !is_loopback(&host) {
        return Err(bad_url(format!(
            "it would send a password unencrypted to {host}: use smtps:// or add ?tls=starttls"
        )));
    }
    Ok(SmtpConfig {
        host,
        port,
        tls,
        credentials,
        from,
    })
}

impl fmt::Display for SmtpConfig {
    /// The server and sender, for logs; never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, suffix) = match self.tls {
            SmtpTls::None => ("smtp", ""),
            SmtpTls::StartTls => ("smtp", "?tls=starttls"),
            SmtpTls::Tls => ("smtps", ""),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{host}:{}{suffix}", self.port)?;
        if let Some(credentials) = &self.credentials {
            write!(f, " as {}", credentials.username)?;
        }
        write!(f, ", from {}", self.from.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Consort <noreply@example.gov.uk>";

    fn parse(url: &str) -> Result<SmtpConfig, ConfigError> {
        SmtpConfig::from_settings(Some(url), Some(FROM)).map(|c| c.expect("configured"))
    }

    #[test]
    fn unset_or_blank_url_turns_email_off() {
        assert_eq!(SmtpConfig::from_settings(None, Some(FROM)), Ok(None));
        assert_eq!(SmtpConfig::from_settings(Some("  "), None), Ok(None));
    }

    #[test]
    fn schemes_choose_the_protection_and_default_port() {
        let plain = parse("smtp://localhost").unwrap();
        assert_eq!((plain.tls, plain.port), (SmtpTls::None, 25));
        let starttls = parse("smtp://mail.example.gov.uk?tls=starttls").unwrap();
        assert_eq!((starttls.tls, starttls.port), (SmtpTls::StartTls, 587));
        let wrapped = parse("smtps://mail.example.gov.uk").unwrap();
        assert_eq!((wrapped.tls, wrapped.port), (SmtpTls::Tls, 465));
        let custom = parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((custom.host.as_str(), custom.port), ("127.0.0.1", 2525));
        let v6 = parse("smtp://[::1]:2525").unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(wrapped.from.email.to_string(), "noreply@example.gov.uk");
        assert_eq!(wrapped.from.name.as_deref(), Some("Consort"));
    }

    #[test]
    fn credentials_are_decoded_and_never_shown() {
        let c = parse("smtps://mailer%40example.gov.uk:p%40ss%3Aword@mail.example.gov.uk").unwrap();
        let creds = c.credentials.clone().unwrap();
        assert_eq!(creds.username, "mailer@example.gov.uk");
        assert_eq!(creds.password, "p@ss:word");
        assert!(!format!("{c:?}").contains("p@ss"));
        assert!(!c.to_string().contains("p@ss"));
        assert_eq!(
            c.to_string(),
            "smtps://mail.example.gov.uk:465 as mailer@example.gov.uk, from noreply@example.gov.uk"
        );
    }

    #[test]
    fn unusable_settings_say_what_to_fix() {
        let cases = [
            ("http://mail.example.gov.uk", "the scheme is 'http'"),
            ("smtp://", "it names no host"),
            (
                "smtp://mail.example.gov.uk/inbox",
                "it has a path ('/inbox')",
            ),
            (
                "smtp://mail.example.gov.uk?tls=maybe",
                "tls=maybe is not understood",
            ),
            (
                "smtps://mail.example.gov.uk?tls=starttls",
                "leave out ?tls=",
            ),
            (
                "smtp://mail.example.gov.uk?auth=plain",
                "'auth' is not understood",
            ),
            (
                "smtp://user@mail.example.gov.uk",
                "a user name but no password",
            ),
            (
                "smtp://user:secret@mail.example.gov.uk",
                "unencrypted to mail.example.gov.uk",
            ),
        ];
        for (url, expected) in cases {
            let err = parse(url).unwrap_err().to_string();
            assert!(
                err.starts_with("CONSORT_SMTP_URL is not usable: "),
                "{url}: {err}"
            );
            assert!(err.contains(expected), "{url}: {err}");
        }
        assert!(
            parse("smtp://user:secret@127.0.0.1:2525").is_ok(),
            "loopback is allowed"
        );
        assert_eq!(
            SmtpConfig::from_settings(Some("smtp://localhost"), None),
            Err(ConfigError::MissingFrom)
        );
        let err = SmtpConfig::from_settings(Some("smtp://localhost"), Some("not an address"))
            .unwrap_err();
        assert!(matches!(err, ConfigError::BadFrom { .. }), "{err}");
        assert!(err.to_string().contains("'not an address'"), "{err}");
    }
}
