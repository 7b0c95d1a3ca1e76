//! The harness for Consort's HTTP tests: a real server on a random local port,
//! over a fresh SQLite store holding the demo data, with a clock the tests move
//! by hand, and a client that keeps cookies but does not follow redirects.
//!
//! With `CONSORT_TEST_DATABASE=postgres` every server gets a fresh PostgreSQL
//! database of its own instead (at `CONSORT_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test ends:
//! CI runs the whole HTTP suite a second time that way.

#![allow(dead_code)]

use consort_core::demo::DemoPerson;
use consort_core::password::{HashCost, PasswordHashing};
use consort_store::{Clock, DemoOutcome, Store, StoreConfig};
use consort_web::WebConfig;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::LazyLock;

/// The instant every test starts at.
pub const START: &str = "2026-11-25T09:00:00Z";

/// The demo people used by name in the tests.
pub const ADMIN: &str = "admin@lhpp.example";
pub const COORDINATOR: &str = "coordinator@lhpp.example";
pub const CAMDEN_BUYER: &str = "buyer@cmd.example";
pub const HACKNEY_BUYER: &str = "buyer@hck.example";
pub const SUPPLIER: &str = "supplier@supplier1.example";

static CSRF_FIELD: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r#"name="csrf_token" value="([^"]+)""#).unwrap());

/// A running server and what a test needs to reach behind it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// The store's (and so the server's) clock.
    pub clock: Clock,
    /// The store the server uses.
    pub store: Store,
    /// The demo people and their passwords.
    pub people: Vec<(DemoPerson, String)>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async code: clean up on a thread of its own. The
            // server still holds connections on the test's runtime, which waits
            // here, so the database is dropped with FORCE rather than closed first.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// Whether the tests run on PostgreSQL (`CONSORT_TEST_DATABASE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("CONSORT_TEST_DATABASE").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

/// Makes a fresh PostgreSQL database for one server; returns the admin URL, the
/// database's name and its URL. Fails (never skips) when no server answers: the
/// PostgreSQL run is asked for explicitly.
async fn fresh_postgres_database() -> (String, String, String) {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var("CONSORT_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!("CONSORT_TEST_DATABASE=postgres, but PostgreSQL at {admin} is unreachable: {e}")
        });
    let name = format!(
        "consort_http_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    let sql = format!("CREATE DATABASE \"{name}\"");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    (admin, name, url.to_string())
}

/// Starts a server that does not trust `X-Forwarded-*` headers.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(false).await
}

/// Starts a server over a fresh demo store; `trust_proxy` as `--trust-proxy`.
pub async fn spawn_app_with(trust_proxy: bool) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let clock = Clock::manual(START.parse().unwrap());
    let (pg, database_url) = if on_postgres() {
        let (admin, name, url) = fresh_postgres_database().await;
        (Some((admin, name)), Some(url))
    } else {
        (None, None)
    };
    let store = Store::open(
        &StoreConfig {
            data_dir: dir.path().join("data"),
            database_url,
        },
        clock.clone(),
    )
    .await
    .expect("open the store");
    let hashing = PasswordHashing::new(HashCost::TestOnly);
    let people = match store.load_demo(hashing).await.expect("load the demo") {
        DemoOutcome::Loaded(people) => people,
        DemoOutcome::StoreNotEmpty => panic!("a fresh store already held data"),
    };
    let state = consort_web::app_state(
        store.clone(),
        WebConfig {
            trust_proxy,
            always_secure_cookies: false,
            hashing,
        },
    )
    .await
    .expect("application state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            consort_web::router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("the server runs");
    });
    TestApp {
        base: format!("http://{addr}"),
        clock,
        store,
        people,
        _dir: dir,
        pg,
    }
}

/// A client with its own cookie jar that reports redirects instead of following them.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A client with no cookie jar: it sends only the cookies a test gives it.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// The `Location` header of a response.
pub fn location(response: &Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(String::from)
        .collect()
}

/// The `Set-Cookie` header that sets cookie `name`, if any.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(headers)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value a `Set-Cookie` header gives its cookie.
pub fn cookie_value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap_or("");
    pair.split_once('=').map_or("", |(_, v)| v)
}

/// Asserts a `303 See Other` to `to`.
#[track_caller]
pub fn assert_redirect(response: &Response, to: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {to}"
    );
    assert_eq!(location(response), to);
}

/// The CSRF token in a page's forms, if it has one.
pub fn token_in(body: &str) -> Option<String> {
    CSRF_FIELD.captures(body).map(|c| c[1].to_string())
}

/// The texts of the links in a page's GOV.UK error summary, by their targets.
pub fn error_summary_links(body: &str) -> Vec<(String, String)> {
    let Some(start) = body.find("govuk-error-summary__list") else {
        return Vec::new();
    };
    let rest = &body[start..];
    let list = &rest[..rest.find("</ul>").unwrap_or(rest.len())];
    regex::Regex::new(r#"<a href="([^"]*)">([^<]*)</a>"#)
        .unwrap()
        .captures_iter(list)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

impl TestApp {
    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The demo password of `email`.
    pub fn password(&self, email: &str) -> String {
        self.people
            .iter()
            .find(|(p, _)| p.email.as_str() == email)
            .map(|(_, pw)| pw.clone())
            .unwrap_or_else(|| panic!("{email} is not a demo person"))
    }

    /// `GET path`.
    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("GET")
    }

    /// `GET path`, returning the status and the body.
    pub async fn get_page(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let response = self.get(client, path).await;
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }

    /// GETs `path` and returns the CSRF token in its forms.
    pub async fn csrf_token(&self, client: &Client, path: &str) -> String {
        let (status, body) = self.get_page(client, path).await;
        token_in(&body).unwrap_or_else(|| panic!("GET {path} ({status}) has no csrf_token field"))
    }

    /// A CSRF token for `client`, from the sign-in form or, for someone signed
    /// in, the sign-out form on the dashboard.
    pub async fn any_csrf_token(&self, client: &Client) -> String {
        for path in ["/sign-in", "/dashboard", "/account/password"] {
            let (_, body) = self.get_page(client, path).await;
            if let Some(token) = token_in(&body) {
                return token;
            }
        }
        panic!("no page offered a CSRF token")
    }

    /// POSTs a form with `client`'s CSRF token added.
    pub async fn post_form(
        &self,
        client: &Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let token = self.any_csrf_token(client).await;
        self.post_form_with_token(client, path, fields, &token)
            .await
    }

    /// POSTs a form with the given CSRF token added.
    pub async fn post_form_with_token(
        &self,
        client: &Client,
        path: &str,
        fields: &[(&str, &str)],
        token: &str,
    ) -> Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", token));
        client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    /// Submits the sign-in form.
    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        self.post_form(
            client,
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Submits the sign-in form as if through a proxy that saw `forwarded_for`.
    pub async fn sign_in_from(
        &self,
        client: &Client,
        token: &str,
        forwarded_for: &str,
        email: &str,
        password: &str,
    ) -> Response {
        client
            .post(self.url("/sign-in"))
            .header("x-forwarded-for", forwarded_for)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", token),
            ])
            .send()
            .await
            .expect("POST /sign-in")
    }

    /// A client signed in as the demo person `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = client();
        let response = self.sign_in(&client, email, &self.password(email)).await;
        assert_redirect(&response, "/dashboard");
        client
    }

    /// The kinds of the audit log's entries, newest first.
    pub async fn audit_kinds(&self) -> Vec<String> {
        self.store
            .audit_page(1, 500)
            .await
            .expect("read the audit log")
            .entries
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// The newest audit entry's kind and actor.
    pub async fn newest_audit(&self) -> (String, String) {
        let entry = self
            .store
            .audit_page(1, 1)
            .await
            .expect("read the audit log")
            .entries
            .into_iter()
            .next()
            .expect("the audit log is not empty");
        (entry.kind, entry.actor)
    }
}
