//! Competitions over HTTP, as people use them: a buyer creates, edits and
//! publishes a competition (after openers and the organisation have set up
//! their keys through the pages); two suppliers ask and bid, each seeing only
//! its own questions, bids and receipts; the deadline closes bidding; two
//! openers (never one, never before the deadline, never an evaluator) open the
//! bids; the evaluators declare and score, the moderator agrees; the buyer
//! awards; the standstill runs and the contract reaches the register. Bad
//! input is refused with a message that names the field.

mod support;

use consort_core::OrgId;
use consort_core::competition::{ScoringScale, TIE_BREAK_RULE};
use consort_store::ContractFilter;
use jiff::SignedDuration;
use reqwest::{Client, Response, StatusCode};
use support::*;

const BOUNDARY: &str = "consort-competition-boundary-7d2e91";
const EVALUATOR: &str = "evaluator@cmd.example";
const EVALUATOR2: &str = "evaluator2@cmd.example";
const MODERATOR: &str = "moderator@cmd.example";
const OPENER1: &str = "opener1@cmd.example";
const OPENER2: &str = "opener2@cmd.example";
const SUPPLIER2: &str = "supplier@supplier2.example";
const SUPPLIER1_NAME: &str = "Example Housing Systems Ltd";
const SUPPLIER2_NAME: &str = "Sample Tenancy Software Ltd";
const TITLE: &str = "Tenancy platform for Camden";
const PASSPHRASE1: &str = "correct horse battery staple one";
const PASSPHRASE2: &str = "correct horse battery staple two";
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Undoes askama's HTML escaping.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The text of some HTML: tags removed, entities undone, spaces collapsed.
fn text_of(html: &str) -> String {
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap();
    let plain = unescape(&tags.replace_all(html, " "));
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file in a multipart form: field, file name, media type, bytes.
type File<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

fn multipart(fields: &[(&str, &str)], files: &[File<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (field, file_name, media_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {media_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart form, with the CSRF token in the query as the pages do.
async fn post_multipart(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
    files: &[File<'_>],
) -> Response {
    let token = app.any_csrf_token(client).await;
    client
        .post(app.url(&format!("{path}?csrf_token={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(fields, files))
        .send()
        .await
        .expect("POST multipart")
}

/// Posts a form given as owned pairs.
async fn post_pairs(
    app: &TestApp,
    client: &Client,
    path: &str,
    pairs: &[(String, String)],
) -> Response {
    let fields: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(client, path, &fields).await
}

/// Asserts a refusal: the status, and an error summary entry linking to
/// `#field` whose message contains `says`. Returns the page's text.
#[track_caller]
fn assert_refused(
    status: StatusCode,
    body: &str,
    expected: StatusCode,
    field: &str,
    says: &str,
) -> String {
    assert_eq!(
        status,
        expected,
        "expected {expected} for {field}: {}",
        text_of(body)
    );
    let links = error_summary_links(body);
    assert!(
        links
            .iter()
            .any(|(href, message)| href == &format!("#{field}") && unescape(message).contains(says)),
        "expected an error on #{field} saying {says:?}; the summary has {links:?}"
    );
    text_of(body)
}

async fn refused(response: Response, expected: StatusCode, field: &str, says: &str) -> String {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_refused(status, &body, expected, field, says)
}

/// The details form, with the tender deadline at `hour`:00 London time on
/// `day`/`month`/`year`.
fn details(day: u8, month: u8, year: u16, hour: u8) -> Vec<(String, String)> {
    [
        ("title", TITLE.to_string()),
        (
            "description",
            "A cloud platform for rents, repairs and tenancies.".to_string(),
        ),
        ("procedure", "open_procedure".to_string()),
        ("regime", "pa2023".to_string()),
        ("eligibility", "open".to_string()),
        ("deadline-day", day.to_string()),
        ("deadline-month", month.to_string()),
        ("deadline-year", year.to_string()),
        ("deadline-hour", hour.to_string()),
        ("deadline-minute", "00".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The award criteria form: two questions and price, with these weights.
fn criteria(q1: &str, q2: &str, price: &str) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("action".to_string(), "save".to_string()),
        (
            "q-0-text".into(),
            "Describe how you will migrate our data".into(),
        ),
        ("q-0-weight".into(), q1.into()),
        ("q-0-limit".into(), "500".into()),
        ("q-1-text".into(), "Describe your support service".into()),
        ("q-1-weight".into(), q2.into()),
        ("q-1-limit".into(), String::new()),
        ("price-scored".into(), "yes".into()),
        ("price-weight".into(), price.into()),
        ("price-formula".into(), "lowest_price_ratio".into()),
    ];
    for q in 0..2 {
        for (score, guidance) in ScoringScale::zero_to_five().guidance.iter().enumerate() {
            pairs.push((format!("q-{q}-g{score}"), guidance.clone()));
        }
    }
    pairs
}

/// The competition number in a `Location` of `/competitions/N…`.
fn competition_id(response: &Response) -> i64 {
    let to = location(response);
    let rest = to
        .strip_prefix("/competitions/")
        .unwrap_or_else(|| panic!("not a competition: {to}"));
    rest.split(['?', '/']).next().unwrap().parse().unwrap()
}

/// Creates a draft with criteria, a price schedule, a document and a team,
/// checking each refusal of bad input on the way. Returns its number.
async fn draft(app: &TestApp, buyer: &Client) -> i64 {
    let (status, body) = app.get_page(buyer, "/competitions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Create a competition"));

    let mut untitled = details(29, 1, 2027, 12);
    untitled[0].1 = String::new();
    refused(
        post_pairs(app, buyer, "/competitions/new", &untitled).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "title",
        "Enter a title",
    )
    .await;
    let bad_date = details(31, 2, 2027, 12);
    refused(
        post_pairs(app, buyer, "/competitions/new", &bad_date).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline-day",
        "The tender deadline must be a real date",
    )
    .await;

    // Too early a deadline is allowed in a draft; publishing refuses it.
    let created = post_pairs(app, buyer, "/competitions/new", &details(1, 12, 2026, 12)).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let id = competition_id(&created);
    let (status, body) = app.get_page(buyer, &format!("/competitions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&body);
    assert!(text.contains(TITLE) && text.contains("Draft"), "{text}");

    let criteria_path = format!("/competitions/{id}/criteria");
    let text = refused(
        post_pairs(app, buyer, &criteria_path, &criteria("30", "30", "30")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "q-0-weight",
        "add up to 90, not 100",
    )
    .await;
    assert!(
        text.contains("Describe how you will migrate our data"),
        "the form keeps what was typed"
    );
    refused(
        post_pairs(app, buyer, &criteria_path, &criteria("thirty", "30", "40")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "q-0-weight",
        "Weight of question Q1 must be a whole number",
    )
    .await;
    let saved = post_pairs(app, buyer, &criteria_path, &criteria("30", "30", "40")).await;
    assert_redirect(&saved, &format!("/competitions/{id}"));

    let prices_path = format!("/competitions/{id}/prices");
    let lines = |quantity: &str| {
        vec![
            ("action".to_string(), "save".to_string()),
            ("line-0-description".into(), "Licences".into()),
            ("line-0-quantity".into(), quantity.into()),
            ("line-0-unit".into(), "licence per year".into()),
            ("line-1-description".into(), "Implementation".into()),
            ("line-1-quantity".into(), "1".into()),
            ("line-1-unit".into(), "project".into()),
        ]
    };
    refused(
        post_pairs(app, buyer, &prices_path, &lines("five")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "line-0-quantity",
        "Quantity of price line L1 must be a whole number",
    )
    .await;
    assert_redirect(
        &post_pairs(app, buyer, &prices_path, &lines("5")).await,
        &format!("/competitions/{id}"),
    );

    let documents = format!("/competitions/{id}/documents");
    let program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff";
    refused(
        post_multipart(
            app,
            buyer,
            &documents,
            &[],
            &[("documents", "tool.exe", "application/octet-stream", program)],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "documents",
        "tool.exe: '.exe' files are not accepted",
    )
    .await;
    let mut big = PDF.to_vec();
    big.resize(26 * 1024 * 1024, b' ');
    refused(
        post_multipart(
            app,
            buyer,
            &documents,
            &[],
            &[("documents", "drawings.pdf", "application/pdf", &big)],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "documents",
        "drawings.pdf: the file is 26 MB; the limit is 25 MB",
    )
    .await;
    let uploaded = post_multipart(
        app,
        buyer,
        &documents,
        &[],
        &[("documents", "specification.pdf", "application/pdf", PDF)],
    )
    .await;
    assert_redirect(&uploaded, &documents);

    let team = format!("/competitions/{id}/team");
    refused(
        app.post_form(
            buyer,
            &team,
            &[("evaluators", SUPPLIER), ("moderator", MODERATOR)],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evaluators",
        "supplier@supplier1.example cannot be the evaluator",
    )
    .await;
    let evaluators = format!("{EVALUATOR}\n{EVALUATOR2}");
    assert_redirect(
        &app.post_form(
            buyer,
            &team,
            &[("evaluators", &evaluators), ("moderator", MODERATOR)],
        )
        .await,
        &format!("/competitions/{id}"),
    );
    id
}

/// Openers set up their opening keys and Camden's buyer (Camden has no
/// administrator) its recovery key, through the pages.
async fn set_up_keys(app: &TestApp) {
    for (opener, passphrase) in [(OPENER1, PASSPHRASE1), (OPENER2, PASSPHRASE2)] {
        let client = app.signed_in(opener).await;
        let (_, body) = app.get_page(&client, "/account/opening-key").await;
        assert!(text_of(&body).contains("You have not set up an opening key yet"));
        refused(
            app.post_form(
                &client,
                "/account/opening-key",
                &[("passphrase", "short"), ("confirm_passphrase", "short")],
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "passphrase",
            "Passphrase must be 12 characters or more",
        )
        .await;
        let done = app
            .post_form(
                &client,
                "/account/opening-key",
                &[
                    ("passphrase", passphrase),
                    ("confirm_passphrase", passphrase),
                ],
            )
            .await;
        assert_redirect(&done, "/account/opening-key?done=1");
    }
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let hackney = app
        .get(&buyer, "/organisations/GB-LAE-HCK/recovery-key")
        .await;
    assert_eq!(
        hackney.status(),
        StatusCode::FORBIDDEN,
        "not another organisation's key"
    );
    let (status, body) = app
        .get_page(&buyer, "/organisations/GB-LAE-CMD/recovery-key")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text_of(&body).contains("has no recovery key yet"));
    let created = app
        .post_form(&buyer, "/organisations/GB-LAE-CMD/recovery-key", &[])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let body = created.text().await.unwrap();
    let secret = regex::Regex::new(r#"id="recovery-secret"[^>]*>([^<]+)<"#)
        .unwrap()
        .captures(&body)
        .expect("the secret is shown")[1]
        .to_string();
    assert!(secret.starts_with("AGE-SECRET-KEY-"), "{secret}");
    let (_, again) = app
        .get_page(&buyer, "/organisations/GB-LAE-CMD/recovery-key")
        .await;
    assert!(!again.contains(&secret), "the secret is shown once only");
    assert!(text_of(&again).contains("has a recovery key"));
}

/// Publishes draft `id`: first refused for its too-early deadline (naming the
/// earliest lawful one), then for want of opening keys, then published.
async fn publish(app: &TestApp, buyer: &Client, id: i64) {
    let path = format!("/competitions/{id}/publish");
    let (status, body) = app.get_page(buyer, &path).await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&body);
    assert!(
        text.contains("Earliest lawful deadline if published now"),
        "{text}"
    );
    assert!(text.contains("Minimum tendering period"), "{text}");
    let text = refused(
        app.post_form(buyer, &path, &[]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "publish",
        "is too soon",
    )
    .await;
    assert!(text.contains("earliest lawful deadline"), "{text}");

    let saved = post_pairs(
        app,
        buyer,
        &format!("/competitions/{id}/details"),
        &details(29, 1, 2027, 12),
    )
    .await;
    assert_redirect(&saved, &format!("/competitions/{id}"));
    refused(
        app.post_form(buyer, &path, &[]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "publish",
        "needs at least two openers with opening keys",
    )
    .await;

    set_up_keys(app).await;
    let (_, body) = app.get_page(buyer, &path).await;
    let text = text_of(&body);
    assert!(
        text.contains("opener1@cmd.example: opening key set up"),
        "{text}"
    );
    assert!(text.contains("Recovery key: set up"), "{text}");
    let published = app.post_form(buyer, &path, &[]).await;
    assert_redirect(&published, &format!("/competitions/{id}?notice=published"));
    let (_, body) = app.get_page(buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(text.contains("Open for bids"), "{text}");
    assert!(text.contains("29 January 2027 at 12:00"), "{text}");
}

/// A new server whose demo opening keys and Camden recovery key are removed, so
/// the test sets them up through the pages.
async fn app_without_keys() -> TestApp {
    let app = spawn_app().await;
    sqlx::query("DELETE FROM opener_keys")
        .execute(app.store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM recovery_keys WHERE org_id = 'GB-LAE-CMD'")
        .execute(app.store.pool())
        .await
        .unwrap();
    app
}

/// A published competition, and the buyer's client.
async fn published() -> (TestApp, Client, i64) {
    let app = app_without_keys().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, _) = app.get_page(&buyer, "/competitions/1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id = draft(&app, &buyer).await;
    let supplier = app.signed_in(SUPPLIER).await;
    let (status, body) = app
        .get_page(&supplier, &format!("/competitions/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "suppliers never see a draft");
    assert!(!body.contains(TITLE));
    publish(&app, &buyer, id).await;
    (app, buyer, id)
}

/// The bid form's idempotency key.
fn idempotency_key(body: &str) -> String {
    regex::Regex::new(r#"name="idempotency_key" value="([^"]+)""#)
        .unwrap()
        .captures(body)
        .expect("the bid form has an idempotency key")[1]
        .to_string()
}

/// Submits a bid through the page; `action` is `submit` or `draft`.
#[allow(clippy::too_many_arguments)]
async fn bid(
    app: &TestApp,
    client: &Client,
    id: i64,
    key: &str,
    action: &str,
    answers: [&str; 2],
    prices: [&str; 2],
    files: &[File<'_>],
) -> Response {
    post_multipart(
        app,
        client,
        &format!("/competitions/{id}/bid"),
        &[
            ("idempotency_key", key),
            ("lot", ""),
            ("answer-Q1", answers[0]),
            ("answer-Q2", answers[1]),
            ("price-L1", prices[0]),
            ("price-L2", prices[1]),
            ("action", action),
        ],
        files,
    )
    .await
}

#[tokio::test]
async fn a_buyer_creates_edits_and_publishes_and_every_bad_input_is_named() {
    let (app, buyer, id) = published().await;
    let (_, body) = app.get_page(&buyer, "/competitions").await;
    let text = text_of(&body);
    assert!(
        text.contains("CMP-00001") && text.contains(TITLE) && text.contains("Open for bids"),
        "{text}"
    );
    let (_, body) = app.get_page(&buyer, "/buying").await;
    assert!(
        text_of(&body).contains(TITLE),
        "the buying workspace lists it"
    );
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(text.contains("specification.pdf"), "{text}");
    assert!(text.contains("Minimum tendering period"), "{text}");
    assert!(
        text.contains("History") && text.contains("Published"),
        "{text}"
    );
    let kinds = app.audit_kinds().await;
    assert!(
        kinds.iter().any(|k| k == "competition.published"),
        "{kinds:?}"
    );

    // After publication the draft pages send the buyer back; amendments extend
    // the deadline but never bring it forward.
    let back = app
        .get(&buyer, &format!("/competitions/{id}/criteria"))
        .await;
    assert_redirect(&back, &format!("/competitions/{id}"));
    let amend = format!("/competitions/{id}/amend");
    let earlier = [
        ("summary", "Bringing it forward"),
        ("deadline-day", "20"),
        ("deadline-month", "1"),
        ("deadline-year", "2027"),
        ("deadline-hour", "12"),
        ("deadline-minute", "00"),
    ];
    refused(
        post_multipart(&app, &buyer, &amend, &earlier, &[]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline-day",
        "is earlier than the current tender deadline",
    )
    .await;
    let extended = post_multipart(
        &app,
        &buyer,
        &amend,
        &[
            (
                "summary",
                "Added the data schema; deadline extended by a week",
            ),
            ("deadline-day", "5"),
            ("deadline-month", "2"),
            ("deadline-year", "2027"),
            ("deadline-hour", "12"),
            ("deadline-minute", "00"),
        ],
        &[(
            "documents",
            "schema.csv",
            "text/csv",
            b"table,column\ntenancy,id\n",
        )],
    )
    .await;
    assert_redirect(&extended, &format!("/competitions/{id}?notice=amended"));
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(
        text.contains("5 February 2027 at 12:00") && text.contains("schema.csv"),
        "{text}"
    );

    // A supplier downloads the documents; the file name comes back safely.
    let supplier = app.signed_in(SUPPLIER).await;
    let (_, body) = app.get_page(&supplier, "/opportunities").await;
    assert!(text_of(&body).contains(TITLE), "the opportunity is listed");
    let (_, body) = app
        .get_page(&supplier, &format!("/competitions/{id}"))
        .await;
    let href =
        regex::Regex::new(r#"href="(/competitions/\d+/documents/[0-9a-f]{64})">specification.pdf"#)
            .unwrap()
            .captures(&body)
            .expect("a download link")[1]
            .to_string();
    let download = app.get(&supplier, &href).await;
    assert_eq!(download.status(), StatusCode::OK);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"specification.pdf\""),
        "{disposition}"
    );
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    let nobody = bare_client();
    assert_eq!(
        app.get(&nobody, &href).await.status(),
        StatusCode::SEE_OTHER,
        "signed-out visitors are sent to sign in"
    );

    // Cancelling needs a reason, and tells why.
    refused(
        app.post_form(
            &buyer,
            &format!("/competitions/{id}/cancel"),
            &[("reason", " ")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason",
        "Enter the reason",
    )
    .await;
}

#[tokio::test]
async fn suppliers_bid_in_isolation_and_the_deadline_closes_bidding() {
    let (app, buyer, id) = published().await;
    let one = app.signed_in(SUPPLIER).await;
    let two = app.signed_in(SUPPLIER2).await;

    // Questions: the asker's own question is visible only to it until answered,
    // and the answer never names who asked.
    let asked = app
        .post_form(
            &one,
            &format!("/competitions/{id}/questions"),
            &[("question", "ALPHA-QUESTION: is data migration in scope?")],
        )
        .await;
    assert_redirect(&asked, &format!("/competitions/{id}?notice=asked"));
    let (_, body) = app.get_page(&one, &format!("/competitions/{id}")).await;
    assert!(body.contains("ALPHA-QUESTION"));
    let (_, body) = app.get_page(&two, &format!("/competitions/{id}")).await;
    assert!(
        !body.contains("ALPHA-QUESTION"),
        "another supplier's unanswered question is private"
    );
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    assert!(text_of(&body).contains(&format!("Asked by {SUPPLIER1_NAME}")));
    refused(
        app.post_form(
            &buyer,
            &format!("/competitions/{id}/questions/1/answer"),
            &[("answer", "")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "answer-1",
        "Enter an answer",
    )
    .await;
    let answered = app
        .post_form(
            &buyer,
            &format!("/competitions/{id}/questions/1/answer"),
            &[("answer", "Yes: every tenancy since 2001.")],
        )
        .await;
    assert_redirect(&answered, &format!("/competitions/{id}?notice=answered"));
    let (_, body) = app.get_page(&two, &format!("/competitions/{id}")).await;
    assert!(body.contains("ALPHA-QUESTION") && body.contains("every tenancy since 2001"));
    assert!(
        !body.contains(SUPPLIER1_NAME),
        "the answer never names who asked"
    );

    // Bad bids are refused naming the field.
    let (status, body) = app.get_page(&one, &format!("/competitions/{id}/bid")).await;
    assert_eq!(status, StatusCode::OK);
    let key_one = idempotency_key(&body);
    refused(
        bid(
            &app,
            &one,
            id,
            &key_one,
            "submit",
            ["ALPHA-ANSWER migration", "ALPHA-ANSWER support"],
            ["abc", "25000"],
            &[],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "price-L1",
        "Price for line 'L1' is not a number",
    )
    .await;
    refused(
        bid(
            &app,
            &one,
            id,
            &key_one,
            "submit",
            ["", "ALPHA-ANSWER support"],
            ["1000", "25000"],
            &[],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "answer-Q1",
        "Answer question Q1",
    )
    .await;
    refused(
        bid(
            &app,
            &one,
            id,
            &key_one,
            "submit",
            ["ALPHA-ANSWER migration", "ALPHA-ANSWER support"],
            ["1000", "25000"],
            &[("attachments", "notes.gif", "image/gif", b"GIF89a\x01\x00")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "attachments",
        "notes.gif: '.gif' files are not accepted",
    )
    .await;

    // Supplier one submits; the same form sent twice makes one bid.
    let method: &[u8] = b"%PDF-1.4\nALPHA method statement\n%%EOF\n";
    let files = [("attachments", "method.pdf", "application/pdf", method)];
    let first = bid(
        &app,
        &one,
        id,
        &key_one,
        "submit",
        ["ALPHA-ANSWER migration", "ALPHA-ANSWER support"],
        ["1,000.00", "25000"],
        &files,
    )
    .await;
    assert_redirect(&first, &format!("/competitions/{id}/receipts/1"));
    let again = bid(
        &app,
        &one,
        id,
        &key_one,
        "submit",
        ["ALPHA-ANSWER migration", "ALPHA-ANSWER support"],
        ["1,000.00", "25000"],
        &files,
    )
    .await;
    assert_redirect(&again, &format!("/competitions/{id}/receipts/1"));
    let supplier_one = OrgId::parse("GB-COH-ZZ000001").unwrap();
    let receipts_one = app.store.receipts(id, &supplier_one).await.unwrap();
    assert_eq!(receipts_one.len(), 1, "a double click makes one bid");
    let (status, body) = app
        .get_page(&one, &format!("/competitions/{id}/receipts/1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&body);
    assert!(text.contains(&receipts_one[0].sha256_hex), "{text}");
    assert!(
        regex::Regex::new(r"Received \(London time\) 2026-11-25 09:00:00\.\d{6} GMT")
            .unwrap()
            .is_match(&text),
        "{text}"
    );
    assert!(
        regex::Regex::new(r"Received \(UTC\) 2026-11-25T09:00:00\.\d{6}Z")
            .unwrap()
            .is_match(&text),
        "{text}"
    );

    // Supplier two saves a draft, comes back to it, then submits.
    let (_, body) = app.get_page(&two, &format!("/competitions/{id}/bid")).await;
    let key_two = idempotency_key(&body);
    assert_ne!(key_one, key_two, "each form gets its own key");
    let saved = bid(
        &app,
        &two,
        id,
        &key_two,
        "draft",
        ["BRAVO-ANSWER migration", ""],
        ["900", ""],
        &[],
    )
    .await;
    assert_redirect(&saved, &format!("/competitions/{id}/bid?saved=1"));
    let (_, body) = app
        .get_page(&two, &format!("/competitions/{id}/bid?saved=1"))
        .await;
    assert!(body.contains("BRAVO-ANSWER migration") && body.contains("value=\"900\""));
    assert!(text_of(&body).contains("Your draft has been saved"));
    let submitted = bid(
        &app,
        &two,
        id,
        &key_two,
        "submit",
        ["BRAVO-ANSWER migration", "BRAVO-ANSWER support"],
        ["900", "30000"],
        &[],
    )
    .await;
    assert_redirect(&submitted, &format!("/competitions/{id}/receipts/1"));
    let supplier_two = OrgId::parse("GB-COH-ZZ000002").unwrap();
    let receipts_two = app.store.receipts(id, &supplier_two).await.unwrap();

    // Neither supplier sees anything of the other's bid, receipts or questions.
    for path in [
        format!("/competitions/{id}"),
        format!("/competitions/{id}/bid"),
        format!("/competitions/{id}/receipts"),
        format!("/competitions/{id}/receipts/1"),
    ] {
        let (_, body) = app.get_page(&two, &path).await;
        assert!(
            !body.contains(&receipts_one[0].sha256_hex),
            "{path} shows supplier one's receipt"
        );
        assert!(
            !body.contains("ALPHA-ANSWER"),
            "{path} shows supplier one's bid"
        );
        let (_, body) = app.get_page(&one, &path).await;
        assert!(
            !body.contains(&receipts_two[0].sha256_hex),
            "{path} shows supplier two's receipt"
        );
        assert!(
            !body.contains("BRAVO-ANSWER"),
            "{path} shows supplier two's bid"
        );
    }
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    assert!(
        !body.contains("ALPHA-ANSWER") && !body.contains("BRAVO-ANSWER"),
        "sealed: not even the buyer reads a bid"
    );
    assert!(text_of(&body).contains("Bids received 2"));

    // The API: the same key replays the receipt; a new key is a new version.
    let token = app.any_csrf_token(&one).await;
    let api_bid = serde_json::json!({
        "answers": {"Q1": "ALPHA-ANSWER migration v2", "Q2": "ALPHA-ANSWER support"},
        "prices": {"L1": "950", "L2": 25000},
        "attachments": [{"file_name": "method.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQKQUxQSEEKJSVFT0YK"}]
    });
    let api = format!("/api/v1/competitions/{id}/bids");
    let missing_key = one
        .post(app.url(&api))
        .header("x-csrf-token", &token)
        .json(&api_bid)
        .send()
        .await
        .unwrap();
    assert_eq!(missing_key.status(), StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = missing_key.json().await.unwrap();
    assert_eq!(problem["field"], "Idempotency-Key");
    let mut bad_price = api_bid.clone();
    bad_price["prices"]["L1"] = "nine hundred".into();
    let refused_price = one
        .post(app.url(&api))
        .header("x-csrf-token", &token)
        .header("idempotency-key", "api-bad")
        .json(&bad_price)
        .send()
        .await
        .unwrap();
    assert_eq!(refused_price.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = refused_price.json().await.unwrap();
    assert_eq!(problem["field"], "prices.L1");
    assert!(
        problem["error"]
            .as_str()
            .unwrap()
            .contains("is not a number"),
        "{problem}"
    );
    let send = || {
        one.post(app.url(&api))
            .header("x-csrf-token", &token)
            .header("idempotency-key", "api-1")
            .json(&api_bid)
            .send()
    };
    let created = send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["version"], 2);
    let replayed = send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::OK);
    assert_eq!(replayed.json::<serde_json::Value>().await.unwrap(), created);
    let listed: serde_json::Value = one
        .get(app.url(&format!("/api/v1/competitions/{id}/receipts")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["receipts"].as_array().unwrap().len(), 2);
    let listed_two: serde_json::Value = two
        .get(app.url(&format!("/api/v1/competitions/{id}/receipts")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed_two["receipts"].as_array().unwrap().len(), 1);
    assert!(!listed_two.to_string().contains(&receipts_one[0].sha256_hex));

    // After the deadline: the form is gone and every way of bidding is refused.
    app.clock.advance(SignedDuration::from_hours(24 * 80));
    // Sessions lapse over weeks: sign in again.
    let one = app.signed_in(SUPPLIER).await;
    let two = app.signed_in(SUPPLIER2).await;
    let token = app.any_csrf_token(&one).await;
    let (status, body) = app.get_page(&one, &format!("/competitions/{id}/bid")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("Submit bid"), "the form is gone");
    assert!(text_of(&body).contains("has passed: bids can no longer be submitted or changed"));
    refused(
        bid(
            &app,
            &one,
            id,
            "late-key",
            "submit",
            ["ALPHA-ANSWER late", "ALPHA-ANSWER late"],
            ["1", "1"],
            &[],
        )
        .await,
        StatusCode::CONFLICT,
        "bid",
        "has passed: bids can no longer be submitted or changed",
    )
    .await;
    let late = one
        .post(app.url(&api))
        .header("x-csrf-token", &token)
        .header("idempotency-key", "api-late")
        .json(&api_bid)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let problem: serde_json::Value = late.json().await.unwrap();
    assert_eq!(problem["field"], "tender_deadline");
    refused(
        app.post_form(
            &two,
            &format!("/competitions/{id}/questions"),
            &[("question", "Too late?")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "question",
        "The competition is closed",
    )
    .await;
    assert_eq!(
        app.store.receipts(id, &supplier_one).await.unwrap().len(),
        2
    );
}

/// Scores every bid's answers as `evaluator`, giving `favourite` 4 and the
/// others 2, each with a reason carrying `marker`.
async fn score_all(
    app: &TestApp,
    id: i64,
    evaluator: &Client,
    bids: &[String],
    favourite: &str,
    marker: &str,
) {
    for bid_id in bids {
        let path = format!("/competitions/{id}/evaluation/bids/{bid_id}");
        let (status, body) = app.get_page(evaluator, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("Unacceptable: no answer"),
            "the guidance is shown with the scores"
        );
        for q in ["Q1", "Q2"] {
            let score = if bid_id == favourite { "4" } else { "2" };
            let reason = format!("{marker} reason for {bid_id} {q}");
            let done = app
                .post_form(
                    evaluator,
                    &format!("{path}/score"),
                    &[("question_id", q), ("score", score), ("reason", &reason)],
                )
                .await;
            assert_redirect(&done, &path);
        }
    }
}

#[tokio::test]
async fn two_openers_open_after_the_deadline_and_the_award_runs_to_the_register() {
    let (app, _, id) = published().await;
    let one = app.signed_in(SUPPLIER).await;
    let two = app.signed_in(SUPPLIER2).await;
    for (client, marker, prices) in [
        (&one, "ALPHA", ["1000", "25000"]),
        (&two, "BRAVO", ["1200", "20000"]),
    ] {
        let (_, body) = app
            .get_page(client, &format!("/competitions/{id}/bid"))
            .await;
        let key = idempotency_key(&body);
        let answers = [
            format!("{marker}-ANSWER migration"),
            format!("{marker}-ANSWER support"),
        ];
        let method: &[u8] = b"%PDF-1.4\nALPHA method statement\n%%EOF\n";
        let files: &[File<'_>] = if marker == "ALPHA" {
            &[("attachments", "method.pdf", "application/pdf", method)]
        } else {
            &[]
        };
        let sent = bid(
            &app,
            client,
            id,
            &key,
            "submit",
            [&answers[0], &answers[1]],
            prices,
            files,
        )
        .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    }

    // Nobody opens before the deadline; an evaluator never; one opener alone cannot.
    let opener1 = app.signed_in(OPENER1).await;
    let evaluator = app.signed_in(EVALUATOR).await;
    let open = format!("/competitions/{id}/open");
    refused(
        app.post_form(&opener1, &open, &[("passphrase", PASSPHRASE1)])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "passphrase",
        "Bids cannot be opened before the tender deadline",
    )
    .await;
    let denied = app
        .post_form(&evaluator, &open, &[("passphrase", "anything at all")])
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(text_of(&denied.text().await.unwrap()).contains("opener role"));

    app.clock.advance(SignedDuration::from_hours(24 * 66));
    assert_eq!(app.store.advance_due_competitions().await.unwrap(), 1);
    // Sessions lapse over weeks: everyone signs in again.
    let opener1 = app.signed_in(OPENER1).await;
    let opener2 = app.signed_in(OPENER2).await;
    let evaluator = app.signed_in(EVALUATOR).await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let one = app.signed_in(SUPPLIER).await;
    let two = app.signed_in(SUPPLIER2).await;
    let (_, body) = app.get_page(&opener1, "/opening").await;
    assert!(text_of(&body).contains(TITLE), "waiting to be opened");
    refused(
        app.post_form(&opener2, &open, &[("passphrase", PASSPHRASE1)])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "passphrase",
        "That passphrase does not unlock your opening key",
    )
    .await;
    assert_redirect(
        &app.post_form(&opener1, &open, &[("passphrase", PASSPHRASE1)])
            .await,
        &open,
    );
    let (_, body) = app.get_page(&opener1, &open).await;
    let text = text_of(&body);
    assert!(
        text.contains("opener1@cmd.example approved") && text.contains("Tender deadline passed"),
        "{text}"
    );
    refused(
        app.post_form(&opener1, &open, &[("passphrase", PASSPHRASE1)]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "passphrase",
        "opener1@cmd.example has already approved the opening; a second opener must be a different person",
    )
    .await;
    let (_, body) = app
        .get_page(&evaluator, &format!("/competitions/{id}/evaluation"))
        .await;
    assert!(
        !body.contains("BID-"),
        "nothing about the bids before the declaration"
    );
    assert_redirect(
        &app.post_form(&opener2, &open, &[("passphrase", PASSPHRASE2)])
            .await,
        &open,
    );
    let (_, body) = app.get_page(&opener2, &open).await;
    assert!(text_of(&body).contains("Bids opened"));

    // Evaluators declare before they see anything, then score independently.
    let evaluation = format!("/competitions/{id}/evaluation");
    let (_, body) = app.get_page(&evaluator, &evaluation).await;
    assert!(
        body.contains("Declare your interests")
            && !body.contains("BID-")
            && !body.contains(SUPPLIER1_NAME)
    );
    let bids: Vec<String> = app
        .store
        .opened_bids(id)
        .await
        .unwrap()
        .iter()
        .map(|b| b.bid_id.clone())
        .collect();
    assert_eq!(bids.len(), 2);
    let early = app
        .get(&evaluator, &format!("{evaluation}/bids/{}", bids[0]))
        .await;
    assert_redirect(&early, &evaluation);
    refused(
        app.post_form(&evaluator, &format!("{evaluation}/declaration"), &[])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "interest",
        "Select whether you have a conflict of interest",
    )
    .await;
    let evaluator2 = app.signed_in(EVALUATOR2).await;
    let moderator = app.signed_in(MODERATOR).await;
    for client in [&evaluator, &evaluator2, &moderator] {
        assert_redirect(
            &app.post_form(
                client,
                &format!("{evaluation}/declaration"),
                &[("interest", "no_conflict")],
            )
            .await,
            &evaluation,
        );
    }
    let (_, body) = app.get_page(&evaluator, &evaluation).await;
    assert!(body.contains(&bids[0]) && body.contains(&bids[1]));
    let opened = app.store.opened_bids(id).await.unwrap();
    let alpha = opened
        .iter()
        .find(|b| b.supplier.as_str() == "GB-COH-ZZ000001")
        .unwrap()
        .bid_id
        .clone();
    let bravo = opened
        .iter()
        .find(|b| b.supplier.as_str() == "GB-COH-ZZ000002")
        .unwrap()
        .bid_id
        .clone();
    let (_, body) = app
        .get_page(&evaluator, &format!("{evaluation}/bids/{alpha}"))
        .await;
    assert!(
        body.contains("ALPHA-ANSWER migration"),
        "bids are readable once opened and declared"
    );
    let attachment = format!("{evaluation}/bids/{alpha}/attachments/0");
    assert!(body.contains(&attachment) && body.contains("method.pdf"));
    let download = app.get(&evaluator, &attachment).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename=\"method.pdf\"")
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4\nALPHA method statement\n%%EOF\n"
    );
    let by_supplier = app.get(&two, &attachment).await;
    assert_eq!(
        by_supplier.status(),
        StatusCode::FORBIDDEN,
        "another supplier never reads a bid's attachment"
    );
    refused(
        app.post_form(
            &evaluator,
            &format!("{evaluation}/bids/{alpha}/score"),
            &[("question_id", "Q1"), ("score", "4"), ("reason", "")],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason-Q1",
        "Enter the reason for the score",
    )
    .await;
    score_all(&app, id, &evaluator, &bids, &alpha, "E1-MARK").await;
    let (_, body) = app
        .get_page(&evaluator2, &format!("{evaluation}/bids/{alpha}"))
        .await;
    assert!(
        !body.contains("E1-MARK"),
        "before moderation an evaluator sees only their own scores"
    );
    score_all(&app, id, &evaluator2, &bids, &alpha, "E2-MARK").await;

    // The moderator sees every score, agrees the consensus and completes.
    assert_redirect(
        &app.post_form(&moderator, &format!("{evaluation}/moderation"), &[])
            .await,
        &evaluation,
    );
    for bid_id in [&alpha, &bravo] {
        let path = format!("{evaluation}/bids/{bid_id}");
        let (_, body) = app.get_page(&moderator, &path).await;
        assert!(
            body.contains("E1-MARK") && body.contains("E2-MARK"),
            "the moderator sees all scores"
        );
        for q in ["Q1", "Q2"] {
            let score = if bid_id == &alpha { "4" } else { "2" };
            let reason = format!(
                "Agreed: {bid_id} {q} {}",
                if bid_id == &alpha {
                    "strong and evidenced"
                } else {
                    "gaps in detail"
                }
            );
            assert_redirect(
                &app.post_form(
                    &moderator,
                    &format!("{path}/consensus"),
                    &[("question_id", q), ("score", score), ("reason", &reason)],
                )
                .await,
                &path,
            );
        }
    }
    assert_redirect(
        &app.post_form(&moderator, &format!("{evaluation}/complete"), &[])
            .await,
        &evaluation,
    );

    // The award: the ranking with its tie-break rule, a reason for every bidder.
    let award = format!("/competitions/{id}/award");
    let (status, body) = app.get_page(&buyer, &award).await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&body);
    assert!(text.contains(TIE_BREAK_RULE), "{text}");
    assert!(text.contains(SUPPLIER1_NAME) && text.contains(SUPPLIER2_NAME));
    let decision = |alpha_reason: &str| {
        vec![
            ("winner-0".to_string(), alpha.clone()),
            ("departure-0".to_string(), String::new()),
            (format!("reason-{alpha}"), alpha_reason.to_string()),
            (
                format!("reason-{bravo}"),
                "Ranked second: weaker quality answers.".to_string(),
            ),
        ]
    };
    refused(
        post_pairs(&app, &buyer, &award, &decision("")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("reason-{alpha}"),
        &format!("Give the reason for bid {alpha}'s outcome"),
    )
    .await;
    assert_redirect(
        &post_pairs(&app, &buyer, &award, &decision("Highest total score.")).await,
        &award,
    );
    let issued = app.post_form(&buyer, &format!("{award}/notice"), &[]).await;
    assert_redirect(&issued, &format!("/competitions/{id}?notice=notice"));
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(
        text.contains("Standstill") && text.contains("The standstill period ends"),
        "{text}"
    );
    assert!(
        text.contains("PA 2023 s.51"),
        "the standstill cites the law: {text}"
    );

    // The letters are in the outbox; each supplier sees its own summary.
    for (email, outcome) in [
        (SUPPLIER, "has been successful"),
        (SUPPLIER2, "has not been successful"),
    ] {
        let letters = app
            .store
            .emails_to(&consort_core::Email::parse(email).unwrap())
            .await
            .unwrap();
        assert!(
            letters
                .iter()
                .any(|l| l.subject.contains("Outcome") && l.body_text.contains(outcome)),
            "{email}: {:?}",
            letters.iter().map(|l| &l.subject).collect::<Vec<_>>()
        );
    }
    let (_, body) = app.get_page(&two, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(
        text.contains("Your bid was not successful") && text.contains("weaker quality answers"),
        "{text}"
    );
    assert!(
        text.contains("gaps in detail"),
        "the supplier sees the reasons for its scores: {text}"
    );
    let (_, body) = app.get_page(&one, &format!("/competitions/{id}")).await;
    assert!(text_of(&body).contains("Your bid was successful"));

    // The scheduler ends the standstill; the contract enters the register.
    app.clock.advance(SignedDuration::from_hours(24 * 30));
    assert_eq!(app.store.advance_due_competitions().await.unwrap(), 1);
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(
        text.contains("Awarded") && text.contains("Contracts awarded"),
        "{text}"
    );
    let contracts = app
        .store
        .contracts(&ContractFilter {
            authorities: Some(vec![OrgId::parse("GB-LAE-CMD").unwrap()]),
            text: Some("CMP-00001".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(contracts.len(), 1);
    assert_eq!(
        contracts[0].contract.supplier_name.as_deref(),
        Some(SUPPLIER1_NAME)
    );
    assert_eq!(contracts[0].contract.title, TITLE);
}

#[tokio::test]
async fn lots_are_edited_without_javascript_and_price_lines_must_name_a_lot() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let created = post_pairs(&app, &buyer, "/competitions/new", &details(29, 1, 2027, 12)).await;
    let id = competition_id(&created);
    let lots = format!("/competitions/{id}/lots");
    let (status, body) = app.get_page(&buyer, &lots).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("lot-0-title") && !body.contains("lot-1-title"));
    let add = app
        .post_form(
            &buyer,
            &lots,
            &[
                ("action", "add"),
                ("lot-0-id", ""),
                ("lot-0-title", "Housing system"),
                ("lot-0-value", ""),
            ],
        )
        .await;
    assert_eq!(add.status(), StatusCode::OK, "adding a row saves nothing");
    let body = add.text().await.unwrap();
    assert!(body.contains("lot-1-title") && body.contains("value=\"Housing system\""));
    refused(
        app.post_form(
            &buyer,
            &lots,
            &[
                ("action", "save"),
                ("lot-0-id", ""),
                ("lot-0-title", "Housing system"),
                ("lot-0-value", "a lot"),
            ],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lot-0-value",
        "Estimated value of lot 1 must be an amount of money",
    )
    .await;
    let saved = app
        .post_form(
            &buyer,
            &lots,
            &[
                ("action", "save"),
                ("lot-0-id", ""),
                ("lot-0-title", "Housing system"),
                ("lot-0-value", "£1,200,000"),
                ("lot-1-id", ""),
                ("lot-1-title", "Repairs system"),
                ("lot-1-value", ""),
            ],
        )
        .await;
    assert_redirect(&saved, &format!("/competitions/{id}"));
    let record = app.store.competition(id).await.unwrap();
    let stored: Vec<(&str, &str, Option<i64>)> = record
        .competition
        .content
        .lots
        .iter()
        .map(|l| (l.id.as_str(), l.title.as_str(), l.estimated_value_pence))
        .collect();
    assert_eq!(
        stored,
        [
            ("1", "Housing system", Some(120_000_000)),
            ("2", "Repairs system", None)
        ]
    );
    let removed = app
        .post_form(
            &buyer,
            &lots,
            &[
                ("action", "remove-1"),
                ("lot-0-id", "1"),
                ("lot-0-title", "Housing system"),
                ("lot-1-id", "2"),
                ("lot-1-title", "Repairs system"),
            ],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert!(!removed.text().await.unwrap().contains("Repairs system"));
    refused(
        app.post_form(
            &buyer,
            &format!("/competitions/{id}/prices"),
            &[
                ("action", "save"),
                ("line-0-description", "Licences"),
                ("line-0-quantity", "5"),
                ("line-0-unit", "licence"),
                ("line-0-lot", "9"),
            ],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "line-0-lot",
        "Price line L1 is for lot '9', which does not exist",
    )
    .await;

    // A draft is cancelled with a reason; then nothing more can be done to it.
    let cancelled = app
        .post_form(
            &buyer,
            &format!("/competitions/{id}/cancel"),
            &[("reason", "Requirement withdrawn")],
        )
        .await;
    assert_redirect(&cancelled, &format!("/competitions/{id}?notice=closed"));
    let (_, body) = app.get_page(&buyer, &format!("/competitions/{id}")).await;
    let text = text_of(&body);
    assert!(
        text.contains("Cancelled") && text.contains("Reason: Requirement withdrawn"),
        "{text}"
    );
    let other = app.signed_in(HACKNEY_BUYER).await;
    assert_eq!(
        app.get(&other, &format!("/competitions/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "another borough's buyer does not see it"
    );
}
