//! Consort over HTTP: a real server on a local port, a real client with a
//! cookie jar, and the demo data. Each test starts its own server and store.

mod support;

use consort_core::org::{Membership, Role};
use consort_core::password::{HashCost, PasswordHashing};
use consort_core::{Email, OrgId};
use consort_store::NewUser;
use jiff::SignedDuration;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use support::*;

const NOT_ALLOWED: &str = "You do not have access to this page";
const WRONG_DETAILS: &str = "Enter a correct email address and password";

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

#[tokio::test]
async fn signing_in_with_the_right_password_starts_a_session_and_is_audited() {
    let app = spawn_app().await;
    let client = client();
    let response = app
        .sign_in(&client, CAMDEN_BUYER, &app.password(CAMDEN_BUYER))
        .await;
    assert_redirect(&response, "/dashboard");
    let cookie = set_cookie(response.headers(), "consort_session")
        .expect("signing in sets the session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP must not set Secure: {cookie}"
    );
    assert!(
        cookie_value(&cookie).len() >= 40,
        "the session token is long and random: {cookie}"
    );

    let (status, body) = app.get_page(&client, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Dashboard"));
    assert!(body.contains(CAMDEN_BUYER));
    assert!(
        body.contains("London Borough of Camden"),
        "the dashboard names the buyer's organisation"
    );

    let page = app.store.audit_page(1, 500).await.unwrap();
    let signed_in = page
        .entries
        .iter()
        .find(|e| e.kind == "user.signed_in")
        .expect("signing in is audited");
    assert_eq!(signed_in.actor, format!("user:{CAMDEN_BUYER}"));
    assert_eq!(
        page.entries[0].kind, "user.signed_in",
        "and it is the newest entry"
    );
}

#[tokio::test]
async fn signing_in_is_case_insensitive_in_the_email_address() {
    let app = spawn_app().await;
    let client = client();
    let response = app
        .sign_in(&client, "  Buyer@CMD.Example ", &app.password(CAMDEN_BUYER))
        .await;
    assert_redirect(&response, "/dashboard");
    let (status, body) = app.get_page(&client, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(CAMDEN_BUYER));
}

#[tokio::test]
async fn signing_in_with_wrong_or_missing_details_shows_gov_uk_errors_and_sets_no_session() {
    let app = spawn_app().await;
    let client = client();

    // A wrong password.
    let response = app
        .sign_in(&client, CAMDEN_BUYER, "not-the-password-at-all")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    assert!(body.contains(WRONG_DETAILS));
    assert!(
        body.contains("<title>Error: Sign in"),
        "the title says there is an error"
    );
    assert_eq!(
        error_summary_links(&body),
        [("#email".to_string(), WRONG_DETAILS.to_string())]
    );
    assert!(
        body.contains(&format!(r#"value="{CAMDEN_BUYER}""#)),
        "the email address is kept"
    );
    assert!(
        !body.contains("not-the-password-at-all"),
        "the password is never echoed"
    );

    // An unknown account gets exactly the same message.
    let response = app
        .sign_in(&client, "nobody@cmd.example", "whatever-it-is-123")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    assert_eq!(
        error_summary_links(&body),
        [("#email".to_string(), WRONG_DETAILS.to_string())]
    );

    // Empty fields.
    let response = app.sign_in(&client, "", "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let body = response.text().await.unwrap();
    assert_eq!(
        error_summary_links(&body),
        [
            ("#email".to_string(), "Enter your email address".to_string()),
            ("#password".to_string(), "Enter your password".to_string()),
        ]
    );
    assert!(
        body.contains(r#"id="email-error""#),
        "the message is shown at the field too"
    );
    assert!(body.contains(r#"id="password-error""#));

    // A malformed address, which is shown back escaped.
    let typed = r#""><script>alert(1)</script>"#;
    let response = app.sign_in(&client, typed, "some-password-123").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Enter an email address in the correct format, like name@example.gov.uk")
    );
    assert!(
        !body.contains("<script>alert(1)</script>"),
        "what was typed is escaped"
    );

    // None of that signed anyone in.
    assert_redirect(&app.get(&client, "/dashboard").await, "/sign-in");
    assert!(
        !app.audit_kinds()
            .await
            .contains(&"user.signed_in".to_string())
    );
}

#[tokio::test]
async fn the_sign_in_page_sends_someone_already_signed_in_to_the_dashboard() {
    let app = spawn_app().await;
    let (status, body) = app.get_page(&client(), "/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1 class=\"govuk-heading-l\">Sign in</h1>"));
    let client = app.signed_in(CAMDEN_BUYER).await;
    assert_redirect(&app.get(&client, "/sign-in").await, "/dashboard");
    assert_redirect(&app.get(&client, "/").await, "/dashboard");
}

// ---------------------------------------------------------------------------
// CSRF
// ---------------------------------------------------------------------------

#[tokio::test]
async fn state_changing_requests_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    let password = app.password(CAMDEN_BUYER);

    // No token at all, though the client has a CSRF cookie.
    let client = client();
    let _ = app.csrf_token(&client, "/sign-in").await;
    let response = client
        .post(app.url("/sign-in"))
        .form(&[("email", CAMDEN_BUYER), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("Your form could not be sent"));

    // A client with no CSRF cookie yet cannot post, whatever it sends.
    let stranger = support::client();
    let token = app.csrf_token(&client, "/sign-in").await;
    let response = app
        .post_form_with_token(
            &stranger,
            "/sign-in",
            &[("email", CAMDEN_BUYER), ("password", password.as_str())],
            &token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A token that belongs to another client's cookie.
    let other = support::client();
    let others_token = app.csrf_token(&other, "/sign-in").await;
    let own_token = app.csrf_token(&client, "/sign-in").await;
    assert_ne!(
        others_token, own_token,
        "tokens are bound to each visitor's cookie"
    );
    let response = app
        .post_form_with_token(
            &client,
            "/sign-in",
            &[("email", CAMDEN_BUYER), ("password", password.as_str())],
            &others_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Your form could not be sent")
    );

    // A token that is not even base64.
    let response = app
        .post_form_with_token(
            &client,
            "/sign-in",
            &[("email", CAMDEN_BUYER), ("password", password.as_str())],
            "not a token!",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Signing out without a token is refused and the session carries on.
    let signed_in = app.signed_in(CAMDEN_BUYER).await;
    let response = signed_in.post(app.url("/sign-out")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    assert_eq!(
        app.get(&signed_in, "/dashboard").await.status(),
        StatusCode::OK
    );
    assert!(
        !app.audit_kinds()
            .await
            .contains(&"user.signed_out".to_string())
    );

    // The token in the X-CSRF-Token header is as good as the form field.
    let token = app.csrf_token(&signed_in, "/dashboard").await;
    let response = signed_in
        .post(app.url("/sign-out"))
        .header("x-csrf-token", token)
        .send()
        .await
        .unwrap();
    assert_redirect(&response, "/sign-in");
    assert_redirect(&app.get(&signed_in, "/dashboard").await, "/sign-in");
}

#[tokio::test]
async fn the_csrf_cookie_is_http_only_and_set_once() {
    let app = spawn_app().await;
    let client = client();
    let response = app.get(&client, "/sign-in").await;
    let cookie =
        set_cookie(response.headers(), "consort_csrf").expect("a first visit gets a CSRF cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let response = app.get(&client, "/sign-in").await;
    assert!(
        set_cookie(response.headers(), "consort_csrf").is_none(),
        "the cookie is not replaced on later visits"
    );
}

// ---------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------

#[tokio::test]
async fn five_failures_lock_the_account_even_against_the_right_password_until_the_window_passes() {
    let app = spawn_app().await;
    let client = client();
    for attempt in 1..=5 {
        let response = app
            .sign_in(&client, CAMDEN_BUYER, "wrong-password-guess")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt} is judged on its password"
        );
    }

    let response = app
        .sign_in(&client, CAMDEN_BUYER, &app.password(CAMDEN_BUYER))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    let retry_after: u64 = response
        .headers()
        .get(RETRY_AFTER)
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "the wait is within the window: {retry_after}"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    let message = regex::Regex::new(r"try again in (\d+) minutes")
        .unwrap()
        .captures(&body)
        .unwrap_or_else(|| panic!("no 'try again in N minutes' in {body}"));
    assert_eq!(message[1].parse::<u64>().unwrap(), retry_after.div_ceil(60));

    // Another account is not affected.
    let other = app.signed_in(HACKNEY_BUYER).await;
    assert_eq!(app.get(&other, "/dashboard").await.status(), StatusCode::OK);

    app.clock.advance(SignedDuration::from_mins(16));
    let response = app
        .sign_in(&client, CAMDEN_BUYER, &app.password(CAMDEN_BUYER))
        .await;
    assert_redirect(&response, "/dashboard");
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_that_address_but_not_others() {
    let app = spawn_app_with(true).await;
    let attacker = client();
    let token = app.csrf_token(&attacker, "/sign-in").await;
    // Four guesses at each of five accounts: no account reaches its own limit.
    for n in 0..20 {
        let email = format!("target{}@cmd.example", n % 5);
        // Whatever a client writes first, the trusted proxy appends the address it saw.
        let forwarded = format!("10.9.8.{n}, 203.0.113.7");
        let response = app
            .sign_in_from(&attacker, &token, &forwarded, &email, "guess-guess-guess")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "failure {} is judged on its password",
            n + 1
        );
    }

    let password = app.password(CAMDEN_BUYER);
    let response = app
        .sign_in_from(&attacker, &token, "203.0.113.7", CAMDEN_BUYER, &password)
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(RETRY_AFTER));
    assert!(set_cookie(response.headers(), "consort_session").is_none());
    assert!(response.text().await.unwrap().contains("try again in"));

    let elsewhere = client();
    let token = app.csrf_token(&elsewhere, "/sign-in").await;
    let response = app
        .sign_in_from(&elsewhere, &token, "198.51.100.9", CAMDEN_BUYER, &password)
        .await;
    assert_redirect(&response, "/dashboard");
    assert_eq!(
        app.get(&elsewhere, "/dashboard").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_trusted_proxy_that_adds_its_own_forwarded_for_line_decides_the_address() {
    // Some proxies (HAProxy's `option forwardfor`, for one) add a header line of
    // their own rather than extending the client's. The address the proxy saw is
    // then the last entry of the last line; anything before it is the client's word.
    let app = spawn_app_with(true).await;
    let attacker = client();
    let token = app.csrf_token(&attacker, "/sign-in").await;
    for n in 0..20 {
        let response = attacker
            .post(app.url("/sign-in"))
            .header("x-forwarded-for", format!("10.0.0.{n}"))
            .header("x-forwarded-for", "203.0.113.7")
            .form(&[
                ("email", format!("target{}@cmd.example", n % 5).as_str()),
                ("password", "guess-guess-guess"),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = attacker
        .post(app.url("/sign-in"))
        .header("x-forwarded-for", "10.0.0.99")
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[
            ("email", CAMDEN_BUYER),
            ("password", app.password(CAMDEN_BUYER).as_str()),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "20 failures came through the proxy from 203.0.113.7, whatever the client wrote before it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_sent_all_at_once_cannot_exceed_the_account_limit() {
    let app = std::sync::Arc::new(spawn_app().await);
    let attacker = client();
    let token = app.csrf_token(&attacker, "/sign-in").await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..30 {
        let (app, attacker, token) = (app.clone(), attacker.clone(), token.clone());
        guesses.spawn(async move {
            app.post_form_with_token(
                &attacker,
                "/sign-in",
                &[
                    ("email", CAMDEN_BUYER),
                    ("password", &format!("guess-number-{n}")),
                ],
                &token,
            )
            .await
            .status()
        });
    }
    let mut checked = 0;
    let mut throttled = 0;
    while let Some(status) = guesses.join_next().await {
        match status.unwrap() {
            StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked + throttled, 30);
    assert!(
        checked <= 5,
        "only 5 passwords may be tried per account in 15 minutes, but {checked} of 30 \
         simultaneous guesses were checked against the password"
    );
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_proxy_is_trusted() {
    let app = spawn_app_with(false).await;
    let attacker = client();
    let token = app.csrf_token(&attacker, "/sign-in").await;
    for n in 0..20 {
        let email = format!("target{}@cmd.example", n % 5);
        let response = app
            .sign_in_from(
                &attacker,
                &token,
                &format!("192.0.2.{n}"),
                &email,
                "guess-guess-guess",
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A fresh X-Forwarded-For does not make the real peer a new address.
    let response = app
        .sign_in_from(
            &attacker,
            &token,
            "198.51.100.9",
            CAMDEN_BUYER,
            &app.password(CAMDEN_BUYER),
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn cookies_are_secure_when_a_trusted_proxy_says_the_request_was_https() {
    let app = spawn_app_with(true).await;
    let client = client();
    let response = client
        .get(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let csrf = set_cookie(response.headers(), "consort_csrf").expect("a CSRF cookie");
    assert!(csrf.contains("Secure"), "{csrf}");
    let token = token_in(&response.text().await.unwrap()).unwrap();
    let password = app.password(CAMDEN_BUYER);
    let response = client
        .post(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("email", CAMDEN_BUYER),
            ("password", password.as_str()),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect(&response, "/dashboard");
    let session = set_cookie(response.headers(), "consort_session").unwrap();
    assert!(session.contains("Secure"), "{session}");

    // An untrusted proxy's word is not taken.
    let app = spawn_app_with(false).await;
    let response = support::client()
        .get(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let csrf = set_cookie(response.headers(), "consort_csrf").unwrap();
    assert!(!csrf.contains("Secure"), "{csrf}");
}

// ---------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------

#[tokio::test]
async fn people_only_see_what_their_roles_allow() {
    let app = spawn_app().await;

    let supplier = app.signed_in(SUPPLIER).await;
    let (status, body) = app.get_page(&supplier, "/buying").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains(NOT_ALLOWED));
    assert!(body.contains("This page is for buyers of a contracting authority."));
    let (status, body) = app.get_page(&supplier, "/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains(NOT_ALLOWED));
    assert!(
        !body.contains("user.created"),
        "no audit entries leak into the refusal"
    );
    assert_eq!(
        app.get(&supplier, "/consortia").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&supplier, "/opportunities").await.status(),
        StatusCode::OK
    );
    // Consortia a person may not see do not exist as far as they can tell.
    let (status, body) = app.get_page(&supplier, "/consortia/1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    assert!(!body.contains("London Housing Systems Consortium"));
    assert_eq!(
        app.get(&supplier, "/consortia/999").await.status(),
        StatusCode::NOT_FOUND
    );
    // The navigation offers only the supplier's sections.
    let (_, body) = app.get_page(&supplier, "/dashboard").await;
    assert!(body.contains(r#"href="/opportunities""#));
    assert!(!body.contains(r#"href="/buying""#));
    assert!(!body.contains(r#"href="/admin/audit""#));
    assert!(!body.contains(r#"href="/consortia""#));

    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, body) = app.get_page(&buyer, "/opportunities").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains(NOT_ALLOWED));
    assert_eq!(app.get(&buyer, "/buying").await.status(), StatusCode::OK);
    assert_eq!(
        app.get(&buyer, "/admin/audit").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&buyer, "/consortia/1").await.status(),
        StatusCode::OK,
        "Camden is a member"
    );

    let (status, body) = app
        .get_page(&buyer, "/organisations/GB-LAE-CMD/people")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(CAMDEN_BUYER));
    assert!(body.contains("evaluator@cmd.example"));
    assert!(!body.contains(HACKNEY_BUYER));

    let (status, body) = app
        .get_page(&buyer, "/organisations/GB-LAE-HCK/people")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains(NOT_ALLOWED));
    assert!(!body.contains(HACKNEY_BUYER));

    let (status, body) = app.get_page(&buyer, "/organisations/GB-LAE-HCK").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("London Borough of Hackney"));
    assert!(body.contains("GB-LAE-HCK"));
    assert!(
        !body.contains("procurement@hck.example"),
        "contact details stay private"
    );
    assert!(!body.contains("/organisations/GB-LAE-HCK/people"));

    let (status, body) = app.get_page(&buyer, "/organisations/GB-LAE-CMD").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("procurement@cmd.example"),
        "an organisation's own people see its contacts"
    );

    assert_eq!(
        app.get(&buyer, "/organisations/not-an-id").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&buyer, "/organisations/GB-LAE-XYZ/people")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Only administrators add organisations.
    let before = app.store.orgs().await.unwrap().len();
    assert_eq!(
        app.get(&buyer, "/organisations/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .post_form(
            &buyer,
            "/organisations/new",
            &[
                ("id", "GB-LAE-BNE"),
                ("name", "London Borough of Barnet"),
                ("kind", "authority"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.orgs().await.unwrap().len(), before);
}

#[tokio::test]
async fn visitors_who_are_not_signed_in_are_sent_to_sign_in_and_unknown_pages_are_404() {
    let app = spawn_app().await;
    let client = client();
    for path in [
        "/dashboard",
        "/buying",
        "/opportunities",
        "/organisations",
        "/organisations/GB-LAE-CMD/people",
        "/consortia/1",
        "/admin/audit",
        "/account/password",
    ] {
        assert_redirect(&app.get(&client, path).await, "/sign-in");
    }
    let (status, body) = app.get_page(&client, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    let (status, body) = app.get_page(&client, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"href="/sign-in""#));
    assert_eq!(
        app.get(&client, "/accessibility").await.status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_session_idle_for_more_than_thirty_minutes_ends() {
    let app = spawn_app().await;
    let client = app.signed_in(CAMDEN_BUYER).await;
    assert_eq!(
        app.get(&client, "/dashboard").await.status(),
        StatusCode::OK
    );
    app.clock.advance(SignedDuration::from_mins(31));
    assert_redirect(&app.get(&client, "/dashboard").await, "/sign-in");
    // It does not come back.
    app.clock.advance(SignedDuration::from_secs(1));
    assert_redirect(&app.get(&client, "/dashboard").await, "/sign-in");
}

#[tokio::test]
async fn a_session_in_use_lasts_until_twelve_hours_after_sign_in() {
    let app = spawn_app().await;
    let client = app.signed_in(CAMDEN_BUYER).await;
    // A request every 20 minutes keeps the session alive for nearly 12 hours.
    for step in 1..36 {
        app.clock.advance(SignedDuration::from_mins(20));
        assert_eq!(
            app.get(&client, "/dashboard").await.status(),
            StatusCode::OK,
            "after {} minutes",
            step * 20
        );
    }
    app.clock.advance(SignedDuration::from_mins(20));
    assert_redirect(&app.get(&client, "/dashboard").await, "/sign-in");
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let app = spawn_app().await;
    let client = client();
    let response = app
        .sign_in(&client, CAMDEN_BUYER, &app.password(CAMDEN_BUYER))
        .await;
    assert_redirect(&response, "/dashboard");
    let session =
        cookie_value(&set_cookie(response.headers(), "consort_session").unwrap()).to_string();

    // The session works when replayed by anyone holding it (that is what a cookie is)...
    let replay = bare_client();
    let replayed = |c: &reqwest::Client| {
        c.get(app.url("/dashboard"))
            .header("cookie", format!("consort_session={session}"))
            .send()
    };
    assert_eq!(replayed(&replay).await.unwrap().status(), StatusCode::OK);

    let token = app.csrf_token(&client, "/dashboard").await;
    let response = app
        .post_form_with_token(&client, "/sign-out", &[], &token)
        .await;
    assert_redirect(&response, "/sign-in");
    let cleared = set_cookie(response.headers(), "consort_session").expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(cookie_value(&cleared), "");
    assert_redirect(&app.get(&client, "/dashboard").await, "/sign-in");

    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "user.signed_out");
    assert_eq!(actor, format!("user:{CAMDEN_BUYER}"));

    // ...but not once it has been ended.
    assert_redirect(&replayed(&replay).await.unwrap(), "/sign-in");
}

#[tokio::test]
async fn a_person_with_a_one_time_password_must_change_it_before_anything_else() {
    let app = spawn_app().await;
    let email = "new.evaluator@cmd.example";
    let one_time = "one-time-pass-4821";
    let hashing = PasswordHashing::new(HashCost::TestOnly);
    app.store
        .create_user(
            "test",
            &NewUser {
                email: Email::parse(email).unwrap(),
                password_hash: hashing.hash(one_time).unwrap(),
                must_change_password: true,
                membership: Membership {
                    org: OrgId::parse("GB-LAE-CMD").unwrap(),
                    role: Role::Evaluator,
                },
            },
        )
        .await
        .unwrap();

    let client = client();
    assert_redirect(
        &app.sign_in(&client, email, one_time).await,
        "/account/password",
    );
    assert_redirect(&app.get(&client, "/dashboard").await, "/account/password");
    assert_redirect(&app.get(&client, "/evaluation").await, "/account/password");
    let (status, body) = app.get_page(&client, "/account/password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("You signed in with a one-time password"));

    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            app.post_form(
                client,
                "/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", confirm),
                ],
            )
            .await
        }
    };

    let response = change(one_time, "too-short", "too-short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    assert!(
        body.contains("The password must be at least 12 characters long"),
        "{body}"
    );
    assert_eq!(
        error_summary_links(&body)
            .first()
            .map(|(href, _)| href.as_str()),
        Some("#new_password")
    );

    let response = change(one_time, "a long new passphrase", "a long new passphrasE").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("The passwords do not match"));

    let response = change(
        "not-the-one-time-password",
        "a long new passphrase",
        "a long new passphrase",
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Your current password is not correct")
    );

    // Nothing changed so far.
    assert_redirect(&app.get(&client, "/dashboard").await, "/account/password");

    let response = change(one_time, "a long new passphrase", "a long new passphrase").await;
    assert_redirect(&response, "/dashboard?notice=password-changed");
    let (status, body) = app
        .get_page(&client, "/dashboard?notice=password-changed")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Your password has been changed"));
    assert_eq!(
        app.get(&client, "/dashboard").await.status(),
        StatusCode::OK
    );
    assert_eq!(app.newest_audit().await.0, "user.password_changed");

    // The new password is the one that works now.
    let later = support::client();
    assert_eq!(
        app.sign_in(&later, email, one_time).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_redirect(
        &app.sign_in(&later, email, "a long new passphrase").await,
        "/dashboard",
    );
}

#[tokio::test]
async fn changing_a_password_ends_the_persons_other_sessions() {
    let app = spawn_app().await;
    let password = app.password(CAMDEN_BUYER);
    let here = app.signed_in(CAMDEN_BUYER).await;
    let there = app.signed_in(CAMDEN_BUYER).await;
    let response = app
        .post_form(
            &here,
            "/account/password",
            &[
                ("current_password", password.as_str()),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_redirect(&response, "/dashboard?notice=password-changed");
    assert_eq!(app.get(&here, "/dashboard").await.status(), StatusCode::OK);
    assert_redirect(&app.get(&there, "/dashboard").await, "/sign-in");
}

// ---------------------------------------------------------------------------
// Headers and markup
// ---------------------------------------------------------------------------

#[tokio::test]
async fn html_pages_carry_security_headers_and_no_inline_script_or_style() {
    let app = spawn_app().await;
    let response = app.get(&client(), "/sign-in").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(
        header("cache-control"),
        "no-store",
        "pages hold private data"
    );
    assert!(!header("x-request-id").is_empty());
    assert!(header("content-type").starts_with("text/html"));
    let body = response.text().await.unwrap();

    let scripts: Vec<&str> = regex::Regex::new(r"(?i)<script\b[^>]*>")
        .unwrap()
        .find_iter(&body)
        .map(|m| m.as_str())
        .collect();
    assert!(!scripts.is_empty(), "the page loads its script");
    for tag in scripts {
        assert!(tag.contains("src="), "an inline script: {tag}");
    }
    assert!(
        !regex::Regex::new(r"(?i)<[^>]*\sstyle\s*=")
            .unwrap()
            .is_match(&body),
        "a style attribute on the sign-in page"
    );
    assert!(
        !regex::Regex::new(r"(?i)<style\b").unwrap().is_match(&body),
        "a <style> element on the sign-in page"
    );
    assert!(
        !regex::Regex::new(r"(?i)<[^>]*\son[a-z]+\s*=")
            .unwrap()
            .is_match(&body),
        "an inline event handler on the sign-in page"
    );

    // Each response has its own request id.
    let a = app.get(&client(), "/sign-in").await;
    let b = app.get(&client(), "/sign-in").await;
    assert_ne!(
        a.headers().get("x-request-id"),
        b.headers().get("x-request-id")
    );

    // Error pages carry the headers too.
    let response = app.get(&client(), "/missing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().contains_key("content-security-policy"));
    let client = client();
    let _ = app.csrf_token(&client, "/sign-in").await;
    let response = client.post(app.url("/sign-out")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().contains_key("content-security-policy"));
}

// ---------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------

fn audit_row_numbers(body: &str) -> Vec<i64> {
    regex::Regex::new(r#"<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(\d+)</td>"#)
        .unwrap()
        .captures_iter(body)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn administrators_read_the_audit_log_newest_first_a_page_at_a_time() {
    let app = spawn_app().await;
    for n in 0..15 {
        let org = consort_core::org::NewOrganisation::parse(
            &format!("GB-TEST-ORG{n}"),
            &format!("Test organisation {n}"),
            "authority",
            None,
            None,
            None,
        )
        .unwrap()
        .0;
        app.store.create_org("test", &org).await.unwrap();
    }
    let admin = app.signed_in(ADMIN).await;
    let total = app.store.audit_page(1, 1).await.unwrap().total;
    assert!(total > 50, "enough entries for two pages: {total}");

    let (status, body) = app.get_page(&admin, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(&format!("{total} entries — page 1 of 2")),
        "{body}"
    );
    let rows = audit_row_numbers(&body);
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0], total, "the newest entry comes first");
    assert!(
        rows.windows(2).all(|w| w[0] == w[1] + 1),
        "newest first, no gaps: {rows:?}"
    );
    assert!(body.contains("user.signed_in"));
    assert!(body.contains(r#"href="/admin/audit?page=2""#));

    let (status, body) = app.get_page(&admin, "/admin/audit?page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&format!("{total} entries — page 2 of 2")));
    let rows = audit_row_numbers(&body);
    assert_eq!(rows.len() as i64, total - 50);
    assert_eq!(rows[0], total - 50);
    assert_eq!(*rows.last().unwrap(), 1);
    assert!(body.contains(r#"href="/admin/audit?page=1""#));

    // A page beyond the last shows the last.
    let (status, body) = app.get_page(&admin, "/admin/audit?page=99").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("page 2 of 2"));
}

#[tokio::test]
async fn administrators_add_organisations_and_bad_forms_are_explained() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN).await;
    let (status, body) = app.get_page(&admin, "/organisations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"href="/organisations/new""#));
    assert_eq!(
        app.get(&admin, "/organisations/new").await.status(),
        StatusCode::OK
    );
    let before = app.store.orgs().await.unwrap().len();

    let response = app
        .post_form(
            &admin,
            "/organisations/new",
            &[("id", "camden"), ("name", ""), ("contact_email", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    let targets: Vec<String> = error_summary_links(&body)
        .into_iter()
        .map(|(href, _)| href)
        .collect();
    assert_eq!(targets, ["#id", "#name", "#kind"]);
    for id in ["id", "name", "kind"] {
        assert!(
            body.contains(&format!(r#"id="{id}""#)),
            "the summary's #{id} leads to a field"
        );
    }
    assert!(body.contains("Select the kind of organisation"));
    assert!(body.contains(r#"value="camden""#), "what was typed is kept");
    assert_eq!(
        app.store.orgs().await.unwrap().len(),
        before,
        "nothing was created"
    );

    let response = app
        .post_form(
            &admin,
            "/organisations/new",
            &[
                ("id", "GB-LAE-CMD"),
                ("name", "Camden again"),
                ("kind", "authority"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("already exists"), "{body}");
    assert_eq!(
        error_summary_links(&body)
            .first()
            .map(|(href, _)| href.as_str()),
        Some("#id")
    );
    assert_eq!(app.store.orgs().await.unwrap().len(), before);

    let response = app
        .post_form(
            &admin,
            "/organisations/new",
            &[
                ("id", "gb-lae-bne"),
                ("name", "London Borough of Barnet"),
                ("kind", "authority"),
                ("contact_email", "procurement@bne.example"),
                ("telephone", ""),
                ("address", ""),
            ],
        )
        .await;
    assert_redirect(&response, "/organisations/GB-LAE-BNE");
    assert_eq!(app.store.orgs().await.unwrap().len(), before + 1);
    let (status, body) = app.get_page(&admin, "/organisations/GB-LAE-BNE").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("London Borough of Barnet"));
    assert!(
        body.contains("procurement@bne.example"),
        "administrators see contact details"
    );
    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "org.created");
    assert_eq!(actor, format!("user:{ADMIN}"));
}

// ---------------------------------------------------------------------------
// Consortia
// ---------------------------------------------------------------------------

async fn members_of_consortium_1(app: &TestApp) -> Vec<String> {
    app.store
        .consortium(1)
        .await
        .unwrap()
        .expect("the demo consortium")
        .members
        .iter()
        .map(|m| m.to_string())
        .collect()
}

#[tokio::test]
async fn the_coordinator_manages_consortium_membership_and_each_change_is_audited() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, body) = app.get_page(&coordinator, "/consortia/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("London Housing Systems Consortium"));
    assert!(body.contains("Westminster City Council"));
    assert!(body.contains(r#"action="/consortia/1/members/GB-LAE-WSM/remove""#));

    let response = app
        .post_form(&coordinator, "/consortia/1/members/GB-LAE-WSM/remove", &[])
        .await;
    assert_redirect(&response, "/consortia/1");
    assert!(
        !members_of_consortium_1(&app)
            .await
            .contains(&"GB-LAE-WSM".to_string())
    );
    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "consortium.member_left");
    assert_eq!(actor, format!("user:{COORDINATOR}"));
    let (_, body) = app.get_page(&coordinator, "/consortia/1").await;
    assert!(body.contains("9 members"));
    assert!(!body.contains(r#"action="/consortia/1/members/GB-LAE-WSM/remove""#));
    assert!(
        body.contains(r#"<option value="GB-LAE-WSM">Westminster City Council</option>"#),
        "Westminster can be added again"
    );

    // A member's buyer may look but not change anything.
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let entries = app.store.audit_page(1, 1).await.unwrap().total;
    let (status, body) = app.get_page(&buyer, "/consortia/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("/remove\""),
        "no remove buttons for a member's buyer"
    );
    let response = app
        .post_form(&buyer, "/consortia/1/members", &[("org_id", "GB-LAE-WSM")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains(NOT_ALLOWED));
    let response = app
        .post_form(&buyer, "/consortia/1/members/GB-LAE-HCK/remove", &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        !members_of_consortium_1(&app)
            .await
            .contains(&"GB-LAE-WSM".to_string())
    );
    assert!(
        members_of_consortium_1(&app)
            .await
            .contains(&"GB-LAE-HCK".to_string())
    );
    assert_eq!(
        app.store.audit_page(1, 1).await.unwrap().total,
        entries,
        "refused changes write nothing"
    );

    // A supplier cannot be a member.
    let response = app
        .post_form(
            &coordinator,
            "/consortia/1/members",
            &[("org_id", "GB-COH-ZZ000001")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("govuk-error-summary"));
    assert!(body.contains("is not a contracting authority"), "{body}");
    assert_eq!(
        error_summary_links(&body)
            .first()
            .map(|(href, _)| href.as_str()),
        Some("#org_id")
    );
    assert!(body.contains(r#"id="org_id""#));
    assert!(
        !members_of_consortium_1(&app)
            .await
            .contains(&"GB-COH-ZZ000001".to_string())
    );

    let response = app
        .post_form(
            &coordinator,
            "/consortia/1/members",
            &[("org_id", "GB-LAE-WSM")],
        )
        .await;
    assert_redirect(&response, "/consortia/1");
    assert!(
        members_of_consortium_1(&app)
            .await
            .contains(&"GB-LAE-WSM".to_string())
    );
    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "consortium.member_joined");
    assert_eq!(actor, format!("user:{COORDINATOR}"));
}

#[tokio::test]
async fn an_error_adding_a_member_links_to_a_field_that_is_on_the_page() {
    // Every authority in the demo is already a member of the consortium, so a
    // submission from a page loaded earlier (or another tab) is refused.
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let response = app
        .post_form(
            &coordinator,
            "/consortia/1/members",
            &[("org_id", "GB-LAE-WSM")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("is already a member of this consortium"),
        "{body}"
    );
    let links = error_summary_links(&body);
    let (href, _) = links.first().expect("an error summary link");
    let target = href.strip_prefix('#').expect("an in-page link");
    assert!(
        body.contains(&format!(r#"id="{target}""#)),
        "the error summary links to {href}, so the page must have an element with that id"
    );
}

// ---------------------------------------------------------------------------
// Assets and API
// ---------------------------------------------------------------------------

#[tokio::test]
async fn assets_are_served_with_etags_and_revalidate_with_304() {
    let app = spawn_app().await;
    let client = client();
    let response = app.get(&client, "/assets/govuk-frontend.min.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css"),
        "{:?}",
        response.headers()[CONTENT_TYPE]
    );
    let cache = response.headers()[CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cache.contains("max-age"), "{cache}");
    let etag = response.headers()[ETAG].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );
    assert!(!response.bytes().await.unwrap().is_empty());

    let response = client
        .get(app.url("/assets/govuk-frontend.min.css"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()[ETAG].to_str().unwrap(), etag);
    assert!(response.bytes().await.unwrap().is_empty());

    let response = client
        .get(app.url("/assets/govuk-frontend.min.css"))
        .header(IF_NONE_MATCH, "\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a stale ETag gets the file"
    );

    let response = app.get(&client, "/assets/app.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.contains("javascript"), "{content_type}");
    assert!(response.text().await.unwrap().contains("initAll"));

    assert_eq!(
        app.get(&client, "/assets/no-such-file.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_health_check_reports_the_database() {
    let app = spawn_app().await;
    let response = app.get(&client(), "/api/v1/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let json: serde_json::Value = response.json().await.unwrap();
    let database = if support::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    assert_eq!(
        json,
        serde_json::json!({ "status": "ok", "database": database })
    );
}

#[tokio::test]
async fn guessing_the_current_password_while_signed_in_is_rate_limited_too() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    // Failures count from the last success, which was the sign-in just now.
    app.clock.advance(jiff::SignedDuration::from_secs(1));
    let wrong = [
        ("current_password", "not my password at all"),
        ("new_password", "a brand new long password"),
        ("confirm_password", "a brand new long password"),
    ];
    for _ in 0..5 {
        let response = app.post_form(&buyer, "/account/password", &wrong).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let right = app.password(CAMDEN_BUYER);
    let response = app
        .post_form(
            &buyer,
            "/account/password",
            &[
                ("current_password", right.as_str()),
                ("new_password", "a brand new long password"),
                ("confirm_password", "a brand new long password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn malformed_numbers_in_addresses_get_the_service_pages_not_raw_errors() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, body) = app
        .get_page(&coordinator, "/consortia/99999999999999999999")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    let (status, body) = app.get_page(&coordinator, "/consortia/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("govuk-template"));
    let admin = app.signed_in(ADMIN).await;
    let (status, body) = app.get_page(&admin, "/admin/audit?page=abc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("page 1 of"));
}

#[tokio::test]
async fn https_behind_a_trusted_proxy_gets_strict_transport_security() {
    let app = spawn_app_with(true).await;
    let response = client()
        .get(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let plain = client().get(app.url("/sign-in")).send().await.unwrap();
    assert!(!plain.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_failing_database_gives_the_service_error_page_without_details() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    app.store.close().await;
    let (status, body) = app.get_page(&buyer, "/dashboard").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("Sorry, there is a problem with the service"));
    assert!(
        !body.to_lowercase().contains("pool"),
        "no internal detail leaks: {body}"
    );
}
