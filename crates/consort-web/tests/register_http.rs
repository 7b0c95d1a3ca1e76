//! The contracts register, its upload page, the planner and the comparable-
//! contracts page, as people use them over HTTP: who sees what, filters and
//! sorting, extensions with their history, CSV uploads (all or nothing,
//! repeat-safe, per-row errors), the planner's parameters and the
//! coordinator's grouping decisions being remembered by later imports.

mod support;

use consort_core::OrgId;
use consort_core::planner::{PlanParams, plan_register};
use consort_core::register::windows::ExitWindow;
use consort_core::register::{Contract, ExpiryBand};
use consort_store::{ContractFilter, StoredContract};
use jiff::civil::Date;
use reqwest::{Client, Response, StatusCode};
use support::*;

const EVALUATOR: &str = "evaluator@cmd.example";
const CAMDEN: &str = "London Borough of Camden";
const HACKNEY: &str = "London Borough of Hackney";
const BOUNDARY: &str = "consort-test-boundary-4f1c9e0b7a";

/// The day the harness's clock shows.
fn today() -> Date {
    "2026-11-25".parse().unwrap()
}

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

/// One row of the register table, as the page shows it.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    authority: String,
    reference: String,
    title: String,
    supplier: String,
    category: String,
    end: String,
    tag_class: String,
    status: String,
}

/// The rows of the register page's table.
fn register_rows(body: &str) -> Vec<Row> {
    let Some(start) = body.find(r#"<tbody class="govuk-table__body">"#) else {
        return Vec::new();
    };
    let rest = &body[start..];
    let tbody = &rest[..rest.find("</tbody>").expect("the table body ends")];
    let tr = regex::Regex::new(r"(?s)<tr[^>]*>(.*?)</tr>").unwrap();
    let td = regex::Regex::new(r"(?s)<td[^>]*>(.*?)</td>").unwrap();
    let link = regex::Regex::new(r#"href="/register/(\d+)""#).unwrap();
    let tag = regex::Regex::new(r#"class="govuk-tag ([^"]*)""#).unwrap();
    tr.captures_iter(tbody)
        .map(|row| {
            let cells: Vec<&str> = td
                .captures_iter(&row[1])
                .map(|c| c.get(1).unwrap().as_str())
                .collect();
            assert_eq!(cells.len(), 8, "a register row has 8 cells: {}", &row[1]);
            Row {
                id: link.captures(cells[1]).expect("a link to the contract")[1]
                    .parse()
                    .unwrap(),
                authority: text_of(cells[0]),
                reference: text_of(cells[1]),
                title: text_of(cells[2]),
                supplier: text_of(cells[3]),
                category: text_of(cells[4]),
                end: text_of(cells[6]),
                tag_class: tag.captures(cells[7]).expect("a status tag")[1].to_string(),
                status: text_of(cells[7]),
            }
        })
        .collect()
}

/// The register rows `client` sees at `path` (which must answer 200).
async fn rows_at(app: &TestApp, client: &Client, path: &str) -> Vec<Row> {
    let (status, body) = app.get_page(client, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    register_rows(&body)
}

/// The stored contracts of one authority.
async fn stored(app: &TestApp, authority: &str) -> Vec<StoredContract> {
    app.store
        .contracts(&ContractFilter {
            authorities: Some(vec![OrgId::parse(authority).unwrap()]),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// How many entries the audit log holds, leaving out signing in and out (the
/// tests sign people in as they go).
async fn audit_total(app: &TestApp) -> usize {
    app.store
        .audit_page(1, 10_000)
        .await
        .unwrap()
        .entries
        .iter()
        .filter(|e| !e.kind.starts_with("user.signed_"))
        .count()
}

/// How many contracts the store holds in all.
async fn contract_count(app: &TestApp) -> usize {
    app.store
        .contracts(&ContractFilter::default())
        .await
        .unwrap()
        .len()
}

/// A `multipart/form-data` body, built by hand: the text fields, then the file
/// (if any) in the field `file`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `bytes` as `file_name` through the import form, with the CSRF token
/// in the query string as the form sends it.
async fn upload(
    app: &TestApp,
    client: &Client,
    authority: &str,
    file_name: &str,
    bytes: &[u8],
    skip_invalid: bool,
) -> Response {
    let token = app.any_csrf_token(client).await;
    let mut fields = vec![("authority", authority)];
    if skip_invalid {
        fields.push(("skip_invalid", "yes"));
    }
    client
        .post(app.url(&format!("/register/import?csrf_token={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&fields, Some((file_name, bytes))))
        .send()
        .await
        .expect("POST /register/import")
}

/// Uploads and returns the status and the page's text.
async fn upload_page(
    app: &TestApp,
    client: &Client,
    authority: &str,
    file_name: &str,
    bytes: &[u8],
    skip_invalid: bool,
) -> (StatusCode, String) {
    let response = upload(app, client, authority, file_name, bytes, skip_invalid).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The success banner's heading, if the page has one.
fn banner(body: &str) -> Option<String> {
    let re = regex::Regex::new(r#"(?s)<p class="govuk-notification-banner__heading">(.*?)</p>"#)
        .unwrap();
    re.captures(body).map(|c| text_of(&c[1]))
}

/// The rejected-rows table: (line, column, reason).
fn rejected_rows(body: &str) -> Vec<(u64, String, String)> {
    let Some(start) = body.find(r#"<table class="govuk-table" id="rejected">"#) else {
        return Vec::new();
    };
    let rest = &body[start..];
    let table = &rest[..rest.find("</table>").unwrap()];
    let body_start = table.find("<tbody").unwrap();
    let tr = regex::Regex::new(r"(?s)<tr[^>]*>(.*?)</tr>").unwrap();
    let td = regex::Regex::new(r"(?s)<td[^>]*>(.*?)</td>").unwrap();
    tr.captures_iter(&table[body_start..])
        .map(|row| {
            let cells: Vec<String> = td.captures_iter(&row[1]).map(|c| text_of(&c[1])).collect();
            (
                cells[0].parse().expect("a line number"),
                cells[1].clone(),
                cells[2].clone(),
            )
        })
        .collect()
}

/// The options of the `<select id="{id}">` on a page: (value, text).
fn select_options(body: &str, id: &str) -> Vec<(String, String)> {
    let open =
        regex::Regex::new(&format!(r#"<select class="govuk-select[^"]*" id="{id}""#)).unwrap();
    let start = open
        .find(body)
        .unwrap_or_else(|| panic!("no select #{id}"))
        .start();
    let rest = &body[start..];
    let select = &rest[..rest.find("</select>").unwrap()];
    regex::Regex::new(r#"(?s)<option value="([^"]*)"[^>]*>(.*?)</option>"#)
        .unwrap()
        .captures_iter(select)
        .map(|c| (unescape(&c[1]), text_of(&c[2])))
        .collect()
}

/// The address of a register page filtered by `field=value` (value encoded).
fn filtered(field: &str, value: &str) -> String {
    let encoded: String = serde_urlencoded::to_string([(field, value)]).unwrap();
    format!("/register?{encoded}")
}

fn date(s: &str) -> Date {
    s.parse()
        .unwrap_or_else(|_| panic!("'{s}' is not a YYYY-MM-DD date"))
}

// ---------------------------------------------------------------------------
// Who sees which register
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_buyer_sees_only_their_own_authoritys_register() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let rows = rows_at(&app, &buyer, "/register").await;
    let camden = stored(&app, "GB-LAE-CMD").await;
    assert!(!camden.is_empty(), "the demo gives Camden a register");
    assert_eq!(rows.len(), camden.len(), "every Camden contract is listed");
    assert!(
        rows.iter().all(|r| r.authority == CAMDEN),
        "only Camden's: {:?}",
        rows.iter().map(|r| &r.authority).collect::<Vec<_>>()
    );
    assert!(rows.iter().all(|r| r.reference.starts_with("CMD-")));

    // Asking for Hackney's does not show it.
    let rows = rows_at(&app, &buyer, "/register?authority=GB-LAE-HCK").await;
    assert!(
        rows.iter().all(|r| r.authority != HACKNEY),
        "a Camden buyer sees no Hackney contract even when asking for one"
    );
    let (_, body) = app.get_page(&buyer, "/register").await;
    let offered: Vec<String> = select_options(&body, "authority")
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(offered, ["", "GB-LAE-CMD"], "the filter offers only Camden");

    // Another authority's people: their own, not Camden's.
    let hackney = app.signed_in(HACKNEY_BUYER).await;
    let rows = rows_at(&app, &hackney, "/register").await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.authority == HACKNEY));

    // People at the authority who do not buy can still see its register.
    let evaluator = app.signed_in(EVALUATOR).await;
    let rows = rows_at(&app, &evaluator, "/register").await;
    assert_eq!(rows.len(), camden.len());
    assert!(rows.iter().all(|r| r.authority == CAMDEN));
    let (_, body) = app.get_page(&evaluator, "/register").await;
    assert!(
        !body.contains(r#"href="/register/import""#),
        "an evaluator is not offered the upload"
    );
}

#[tokio::test]
async fn the_coordinator_sees_every_members_register_and_a_supplier_none() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let rows = rows_at(&app, &coordinator, "/register").await;
    assert_eq!(rows.len(), contract_count(&app).await);
    let authorities: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.authority.as_str()).collect();
    assert_eq!(authorities.len(), 10, "all ten boroughs: {authorities:?}");
    let (_, body) = app.get_page(&coordinator, "/register").await;
    assert!(
        !body.contains(r#"href="/register/import""#),
        "the coordinator cannot change members' registers, so is not offered the upload"
    );

    let supplier = app.signed_in(SUPPLIER).await;
    let (status, body) = app.get_page(&supplier, "/register").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !body.contains("CMD-0"),
        "no contract leaks onto the 403 page"
    );
    for path in ["/register/import", "/register/new"] {
        let (status, _) = app.get_page(&supplier, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // A contract's own page: the supplier cannot tell it exists.
    let id = rows[0].id;
    let (status, _) = app.get_page(&supplier, &format!("/register/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Not signed in: sent to sign in.
    let visitor = client();
    let response = app.get(&visitor, "/register").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/sign-in"));
}

// ---------------------------------------------------------------------------
// Filters and sorting
// ---------------------------------------------------------------------------

#[tokio::test]
async fn filtering_by_band_shows_only_contracts_in_that_band_with_its_tag() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let all = rows_at(&app, &coordinator, "/register").await;
    let mut seen = 0;
    for band in ExpiryBand::ALL_BANDS {
        let rows = rows_at(&app, &coordinator, &filtered("band", band.as_str())).await;
        for r in &rows {
            assert_eq!(r.status, band.label(), "?band={}: {r:?}", band.as_str());
            if !r.end.is_empty() {
                assert_eq!(ExpiryBand::of(Some(date(&r.end)), today()), band, "{r:?}");
            }
        }
        let classes: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.tag_class.as_str()).collect();
        assert!(classes.len() <= 1, "one colour per band: {classes:?}");
        let expected = all.iter().filter(|r| r.status == band.label()).count();
        assert_eq!(rows.len(), expected, "?band={}", band.as_str());
        seen += rows.len();
    }
    assert_eq!(seen, all.len(), "the bands partition the register");
    for band in ["expired", "within-90-days", "later"] {
        let rows = rows_at(&app, &coordinator, &filtered("band", band)).await;
        assert!(
            !rows.is_empty(),
            "the demo has contracts in band {band} on {}",
            today()
        );
    }
    // The three bands are shown distinctly.
    let class_of = |label: &str| {
        all.iter()
            .find(|r| r.status == label)
            .map(|r| r.tag_class.clone())
            .unwrap()
    };
    let classes = [
        class_of("Expired"),
        class_of("Ends within 90 days"),
        class_of("Ends later"),
    ];
    assert!(
        classes[0] != classes[1] && classes[1] != classes[2] && classes[0] != classes[2],
        "{classes:?}"
    );
    // An unknown band filters nothing.
    let rows = rows_at(&app, &coordinator, "/register?band=someday").await;
    assert_eq!(rows.len(), all.len());
}

#[tokio::test]
async fn filtering_by_authority_category_and_text() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;

    let rows = rows_at(&app, &coordinator, "/register?authority=GB-LAE-HCK").await;
    assert_eq!(rows.len(), stored(&app, "GB-LAE-HCK").await.len());
    assert!(rows.iter().all(|r| r.authority == HACKNEY));

    let rows = rows_at(
        &app,
        &coordinator,
        &filtered("category", "Waste collection"),
    )
    .await;
    assert_eq!(rows.len(), 10, "one waste contract per borough");
    assert!(rows.iter().all(|r| r.category == "Waste collection"));

    // Category and authority together.
    let rows = rows_at(
        &app,
        &coordinator,
        "/register?authority=GB-LAE-CMD&category=Responsive+repairs",
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.authority == CAMDEN && r.category == "Responsive repairs")
    );

    // Text: title, reference, supplier; any case.
    let rows = rows_at(&app, &coordinator, "/register?q=library").await;
    assert_eq!(rows.len(), 10);
    assert!(
        rows.iter()
            .all(|r| r.title.to_lowercase().contains("library"))
    );
    let upper = rows_at(&app, &coordinator, "/register?q=LIBRARY").await;
    assert_eq!(upper.len(), rows.len(), "the search ignores case");
    let rows = rows_at(&app, &coordinator, "/register?q=CMD-0101").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reference, "CMD-0101");
    let rows = rows_at(&app, &coordinator, &filtered("q", "Model Neighbourhood")).await;
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.supplier.contains("Model Neighbourhood")
                || r.title.contains("Model Neighbourhood"))
    );
    let rows = rows_at(&app, &coordinator, "/register?q=zzzz-nothing-matches").await;
    assert!(rows.is_empty());

    // The filters are kept in the form.
    let (_, body) = app
        .get_page(&coordinator, "/register?q=library&band=later")
        .await;
    assert!(body.contains(r#"name="q" type="search" value="library""#));
    assert!(body.contains(r#"<option value="later" selected>"#));
}

#[tokio::test]
async fn the_register_is_sorted_by_end_date_with_blank_end_dates_last() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    // Two contracts without an end date, to see where they go.
    let csv = "Reference,Title,Supplier,Start Date,End Date\n\
               CMD-OPEN-1,Open-ended interpreting,Sample Lifts Ltd,01/04/2020,\n\
               CMD-SOON-1,Short cleaning contract,Sample Lifts Ltd,01/04/2025,31/12/2026\n\
               CMD-OPEN-2,Open-ended translation,Sample Lifts Ltd,,\n";
    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "open.csv",
        csv.as_bytes(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", text_of(&body));

    for (who, client) in [
        ("buyer", &buyer),
        ("coordinator", &app.signed_in(COORDINATOR).await),
    ] {
        let rows = rows_at(&app, client, "/register").await;
        let ends: Vec<&str> = rows.iter().map(|r| r.end.as_str()).collect();
        let dated: Vec<Date> = ends
            .iter()
            .take_while(|e| !e.is_empty())
            .map(|e| date(e))
            .collect();
        assert!(
            dated.windows(2).all(|w| w[0] <= w[1]),
            "{who}: the end dates do not rise: {ends:?}"
        );
        let blanks = &ends[dated.len()..];
        assert_eq!(blanks, ["", ""], "{who}: the two blank end dates come last");
        assert!(
            rows[dated.len()..]
                .iter()
                .all(|r| r.status == "No end date")
        );
    }
    // Sorting holds under a filter too.
    let rows = rows_at(&app, &buyer, "/register?q=contract").await;
    assert!(rows.iter().any(|r| r.reference == "CMD-SOON-1"));
}

// ---------------------------------------------------------------------------
// A contract's page and its extensions
// ---------------------------------------------------------------------------

/// A Camden contract with at least `options` extension options left and a break date.
async fn camden_contract_with_options(app: &TestApp, options: usize) -> StoredContract {
    stored(app, "GB-LAE-CMD")
        .await
        .into_iter()
        .find(|s| s.contract.extensions.len() >= options && s.contract.end.is_some())
        .expect("a demo Camden contract with extension options")
}

#[tokio::test]
async fn a_contract_page_shows_its_exit_window_and_history_and_hides_others_contracts() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let camden = stored(&app, "GB-LAE-CMD").await;
    let with_break = camden
        .iter()
        .find(|s| s.contract.break_date.is_some())
        .or_else(|| camden.first())
        .unwrap();
    for s in [with_break, &camden_contract_with_options(&app, 1).await] {
        let (status, body) = app.get_page(&buyer, &format!("/register/{}", s.id)).await;
        assert_eq!(status, StatusCode::OK);
        let text = text_of(&body);
        let window = ExitWindow::of(&s.contract).unwrap();
        let shown = format!(
            "It can end between {} and {}",
            window.earliest, window.latest
        );
        assert!(text.contains(&shown), "{shown} not in {text}");
        if let Some(b) = s.contract.break_date {
            assert_eq!(window.earliest, b.min(s.contract.end.unwrap()));
        }
        assert!(text.contains("Extension history"));
        assert!(text.contains("No extension has been exercised."));
        assert!(text.contains(&s.contract.reference));
        assert!(
            text.contains("Synthetic demonstration data"),
            "extra columns shown"
        );
    }

    // Another authority's contract is not found, as if it did not exist.
    let hackney_id = stored(&app, "GB-LAE-HCK").await[0].id;
    let (status, body) = app
        .get_page(&buyer, &format!("/register/{hackney_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("HCK-"));
    for path in [
        format!("/register/{hackney_id}/edit"),
        "/register/999999".to_string(),
        "/register/not-a-number".to_string(),
        "/register/-1".to_string(),
    ] {
        let (status, _) = app.get_page(&buyer, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // The coordinator can see it, but cannot change it.
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, body) = app
        .get_page(&coordinator, &format!("/register/{hackney_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("Record an extension"));
    assert!(!body.contains(&format!("/register/{hackney_id}/edit")));
}

#[tokio::test]
async fn recording_an_extension_moves_the_end_date_logs_it_and_audits_it() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = camden_contract_with_options(&app, 1).await;
    let id = before.id;
    let old_end = before.contract.end.unwrap();
    let span = before.contract.extensions[0];
    let new_end = span.after(old_end);
    let path = format!("/register/{id}");
    let (_, page) = app.get_page(&buyer, &path).await;
    assert!(page.contains(&format!(r#"action="/register/{id}/extend""#)));
    assert!(text_of(&page).contains(&format!("The next option is {span}")));

    let response = app
        .post_form(
            &buyer,
            &format!("/register/{id}/extend"),
            &[("day", "1"), ("month", "10"), ("year", "2026")],
        )
        .await;
    assert_redirect(&response, &path);

    let (status, page) = app.get_page(&buyer, &path).await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&page);
    assert!(
        text.contains(&format!("End date {new_end}")),
        "the end date moved to {new_end}: {text}"
    );
    assert!(!text.contains("No extension has been exercised"));
    let history = format!("2026-10-01 {span} from {old_end} to {new_end}");
    assert!(
        text.contains(&history),
        "'{history}' not in the history: {text}"
    );

    let (after, log) = app.store.contract(id).await.unwrap().unwrap();
    assert_eq!(after.contract.end, Some(new_end));
    assert_eq!(
        after.contract.extensions,
        before.contract.extensions[1..],
        "the option is used up"
    );
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].exercised_on, date("2026-10-01"));
    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "contract.extended");
    assert!(actor.contains(CAMDEN_BUYER), "{actor}");
    let entry = app.store.audit_page(1, 1).await.unwrap().entries.remove(0);
    let detail = format!("{entry:?}");
    assert!(
        detail.contains(&new_end.to_string()) && detail.contains(&old_end.to_string()),
        "{detail}"
    );

    // The register row shows the new end date too.
    let rows = rows_at(&app, &buyer, &filtered("q", &before.contract.reference)).await;
    assert_eq!(rows[0].end, new_end.to_string());
}

#[tokio::test]
async fn bad_extension_dates_are_refused_with_the_gov_uk_error_summary() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = camden_contract_with_options(&app, 1).await;
    let id = before.id;
    let audit_before = audit_total(&app).await;
    for (day, month, year, message) in [
        ("", "", "", "Enter the date the extension was exercised"),
        ("31", "2", "2027", "must be a real date"),
        ("1", "1", "27", "Year must include 4 numbers"),
        ("12", "", "", "must include a month and a year"),
        ("0", "13", "2027", "must be a real date"),
        ("x", "y", "zzzz", "must be a real date"),
    ] {
        let response = app
            .post_form(
                &buyer,
                &format!("/register/{id}/extend"),
                &[("day", day), ("month", month), ("year", year)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{day}/{month}/{year}"
        );
        let body = response.text().await.unwrap();
        let links = error_summary_links(&body);
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].0, "#exercised-day");
        assert!(
            unescape(&links[0].1).contains(message),
            "{day}/{month}/{year}: {links:?}"
        );
        assert!(body.contains("<title>Error: "), "the title says Error");
        assert!(
            body.contains(r#"id="exercised-day""#),
            "the link has a target"
        );
        assert!(
            body.contains(&format!(
                r#"id="exercised-day" name="day" type="text" inputmode="numeric" value="{day}""#
            )),
            "what was typed is kept"
        );
    }
    let (after, log) = app.store.contract(id).await.unwrap().unwrap();
    assert_eq!(after.contract, before.contract, "nothing changed");
    assert!(log.is_empty());
    assert_eq!(audit_total(&app).await, audit_before, "nothing audited");

    // A contract with no options left: a clear message, not a crash.
    let none_left = stored(&app, "GB-LAE-CMD")
        .await
        .into_iter()
        .find(|s| s.contract.extensions.is_empty())
        .expect("a Camden contract with no extension options");
    let (_, page) = app
        .get_page(&buyer, &format!("/register/{}", none_left.id))
        .await;
    assert!(
        !page.contains("Record an extension"),
        "no form when no option is left"
    );
    let response = app
        .post_form(
            &buyer,
            &format!("/register/{}/extend", none_left.id),
            &[("day", "1"), ("month", "10"), ("year", "2026")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let links = error_summary_links(&response.text().await.unwrap());
    assert_eq!(links[0].0, "#exercised-day");
    assert!(
        links[0].1.contains("no extension options left"),
        "{links:?}"
    );
    assert_eq!(audit_total(&app).await, audit_before);
}

#[tokio::test]
async fn only_the_authoritys_buyers_can_record_an_extension() {
    let app = spawn_app().await;
    let before = camden_contract_with_options(&app, 1).await;
    let id = before.id;
    let audit_before = audit_total(&app).await;
    let extend = format!("/register/{id}/extend");
    let fields = [("day", "1"), ("month", "10"), ("year", "2026")];

    let evaluator = app.signed_in(EVALUATOR).await;
    let (status, page) = app.get_page(&evaluator, &format!("/register/{id}")).await;
    assert_eq!(status, StatusCode::OK, "an evaluator may look");
    assert!(
        !page.contains("Record an extension"),
        "but is offered no form"
    );
    let response = app.post_form(&evaluator, &extend, &fields).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let coordinator = app.signed_in(COORDINATOR).await;
    let response = app.post_form(&coordinator, &extend, &fields).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Hackney's buyer cannot even see Camden's contract.
    let hackney = app.signed_in(HACKNEY_BUYER).await;
    let response = app.post_form(&hackney, &extend, &fields).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Without a CSRF token, even Camden's buyer is refused.
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let response = buyer
        .post(app.url(&extend))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (after, log) = app.store.contract(id).await.unwrap().unwrap();
    assert_eq!(after.contract, before.contract);
    assert!(log.is_empty());
    assert_eq!(audit_total(&app).await, audit_before);
}

// ---------------------------------------------------------------------------
// Uploading a register
// ---------------------------------------------------------------------------

/// The browser journey's Camden file: Windows-1252 `£`, mixed date formats.
fn camden_fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/browser/fixtures/camden-register.csv"
    ))
    .expect("the browser fixture")
}

fn registers_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../consort-core/tests/data/registers/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("a register fixture")
}

#[tokio::test]
async fn a_good_file_imports_and_importing_it_again_changes_nothing() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, form) = app.get_page(&buyer, "/register/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"enctype="multipart/form-data""#));
    assert!(form.contains(r#"action="/register/import?csrf_token="#));

    let before = contract_count(&app).await;
    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "camden-register.csv",
        &camden_fixture(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", text_of(&body));
    assert_eq!(
        banner(&body).as_deref(),
        Some("Imported camden-register.csv: 2 added, 0 updated, 0 unchanged")
    );
    assert!(error_summary_links(&body).is_empty());
    assert_eq!(contract_count(&app).await, before + 2);
    let (kind, actor) = app.newest_audit().await;
    assert_eq!(kind, "register.imported");
    assert!(actor.contains(CAMDEN_BUYER));

    let rows = rows_at(&app, &buyer, "/register?q=CMD-CCTV-1").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].end, "2028-03-31", "31-Mar-2028 read");
    assert_eq!(rows[0].title, "Estate CCTV monitoring and concierge");
    let (_, page) = app
        .get_page(&buyer, &format!("/register/{}", rows[0].id))
        .await;
    let text = text_of(&page);
    assert!(text.contains("£180,000"), "a Windows-1252 £ value: {text}");
    assert!(text.contains("camden-register.csv, line 2"), "{text}");
    assert!(text.contains("12 months + 12 months"), "1+1 read: {text}");

    // Again: nothing added, nothing changed, nothing audited.
    let audit_before = audit_total(&app).await;
    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "camden-register.csv",
        &camden_fixture(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        banner(&body).as_deref(),
        Some("Imported camden-register.csv: 0 added, 0 updated, 2 unchanged")
    );
    assert_eq!(contract_count(&app).await, before + 2);
    assert_eq!(audit_total(&app).await, audit_before, "no new audit entry");

    // A changed row is an update, matched on the reference.
    let original = camden_fixture();
    let at = original
        .windows(3)
        .position(|w| w == b"95k")
        .expect("the lift contract's value");
    let mut changed = original.clone();
    changed[at..at + 2].copy_from_slice(b"99");
    let (_, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "camden-register.csv",
        &changed,
        false,
    )
    .await;
    assert_eq!(
        banner(&body).as_deref(),
        Some("Imported camden-register.csv: 0 added, 1 updated, 1 unchanged")
    );
    assert_eq!(contract_count(&app).await, before + 2);
}

#[tokio::test]
async fn a_file_with_a_bad_row_saves_nothing_unless_asked_to_skip_it() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let csv = "Reference,Title,Supplier,Start Date,End Date,Annual Value\n\
               CMD-GOOD-1,Lift maintenance,Sample Lifts Ltd,01/04/2024,31/03/2028,95k\n\
               CMD-BAD-1,Backwards contract,Sample Lifts Ltd,01/01/2026,01/01/2025,10k\n\
               CMD-GOOD-2,Door entry systems,Sample Lifts Ltd,2024-01-01,31 March 2029,\"£12,000\"\n";
    let before = contract_count(&app).await;
    let audit_before = audit_total(&app).await;

    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "bad.csv", csv.as_bytes(), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = error_summary_links(&body);
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "#file");
    assert!(
        links[0].1.contains("nothing was imported"),
        "{:?}",
        links[0]
    );
    let rejected = rejected_rows(&body);
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].0, 3, "the bad row is line 3 of the file");
    assert!(
        rejected[0].2.contains("before") || rejected[0].2.contains("after"),
        "the reason says the dates are the wrong way round: {rejected:?}"
    );
    assert!(banner(&body).is_none());
    assert_eq!(contract_count(&app).await, before, "nothing saved");
    assert_eq!(audit_total(&app).await, audit_before, "nothing audited");
    assert!(
        body.contains(r#"<option value="GB-LAE-CMD" selected>"#),
        "the authority chosen is kept"
    );

    // Asked to skip invalid rows: the good ones are saved, the bad one listed.
    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "bad.csv", csv.as_bytes(), true).await;
    assert_eq!(status, StatusCode::OK, "{}", text_of(&body));
    let message = banner(&body).expect("a success banner");
    assert!(
        message.starts_with("Imported bad.csv: 2 added, 0 updated, 0 unchanged"),
        "{message}"
    );
    assert!(message.contains("1 row rejected"), "{message}");
    let rejected = rejected_rows(&body);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, 3);
    assert!(
        body.contains(
            r#"id="skip_invalid" name="skip_invalid" type="checkbox" value="yes" checked"#
        )
    );
    assert_eq!(contract_count(&app).await, before + 2);
    let refs: Vec<String> = stored(&app, "GB-LAE-CMD")
        .await
        .into_iter()
        .map(|s| s.contract.reference)
        .collect();
    assert!(refs.contains(&"CMD-GOOD-1".to_string()) && refs.contains(&"CMD-GOOD-2".to_string()));
    assert!(!refs.contains(&"CMD-BAD-1".to_string()));
    assert_eq!(app.newest_audit().await.0, "register.imported");
}

#[tokio::test]
async fn ugly_real_world_rows_are_each_reported_with_their_line() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = contract_count(&app).await;
    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "ugly-rows.csv",
        &registers_fixture("ugly-rows.csv"),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = rejected_rows(&body);
    let lines: std::collections::BTreeSet<u64> = rejected.iter().map(|r| r.0).collect();
    for line in [3, 4, 5, 6, 7] {
        assert!(lines.contains(&line), "line {line} rejected: {rejected:?}");
    }
    assert!(rejected.iter().all(|r| !r.2.trim().is_empty()));
    assert!(
        rejected
            .iter()
            .any(|r| r.0 == 3 && r.2.contains("negative") && r.1 == "Contract Value"),
        "{rejected:?}"
    );
    assert_eq!(contract_count(&app).await, before);
}

#[tokio::test]
async fn a_file_that_is_not_csv_or_is_missing_gets_a_clear_error() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = contract_count(&app).await;
    let audit_before = audit_total(&app).await;

    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "register.csv",
        &registers_fixture("actually-a-pdf.csv"),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = error_summary_links(&body);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "#file");
    let message = unescape(&links[0].1);
    assert!(
        message.starts_with("This is not a CSV file") && message.contains("PDF"),
        "{message}"
    );
    assert!(
        body.contains(r#"id="file-error""#),
        "the message is by the field too"
    );

    // An empty file, and no file at all.
    let (status, body) = upload_page(&app, &buyer, "GB-LAE-CMD", "empty.csv", b"", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_summary_links(&body)[0].0, "#file");
    let token = app.any_csrf_token(&buyer).await;
    let response = buyer
        .post(app.url(&format!("/register/import?csrf_token={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[("authority", "GB-LAE-CMD")], None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let links = error_summary_links(&response.text().await.unwrap());
    assert_eq!(
        links[0],
        ("#file".to_string(), "Select a CSV file".to_string())
    );

    // A header row only: nothing to import, and nothing saved either way.
    let (status, body) = upload_page(
        &app,
        &buyer,
        "GB-LAE-CMD",
        "headers.csv",
        b"Reference,Title,End Date\n",
        false,
    )
    .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}"
    );
    if status == StatusCode::OK {
        assert_eq!(
            banner(&body).as_deref(),
            Some("Imported headers.csv: 0 added, 0 updated, 0 unchanged")
        );
    }

    assert_eq!(contract_count(&app).await, before);
    assert_eq!(audit_total(&app).await, audit_before);
}

#[tokio::test]
async fn an_upload_without_the_csrf_token_in_the_query_is_refused() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = contract_count(&app).await;
    let token = app.any_csrf_token(&buyer).await;
    // The token in the multipart body does not count (the body is not read first).
    let response = buyer
        .post(app.url("/register/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(
            &[("authority", "GB-LAE-CMD"), ("csrf_token", &token)],
            Some(("camden-register.csv", &camden_fixture())),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = buyer
        .post(app.url("/register/import?csrf_token=forged"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(
            &[("authority", "GB-LAE-CMD")],
            Some(("camden-register.csv", &camden_fixture())),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(contract_count(&app).await, before);
}

#[tokio::test]
async fn a_buyer_cannot_upload_another_authoritys_register() {
    let app = spawn_app().await;
    let hackney = app.signed_in(HACKNEY_BUYER).await;
    let (status, form) = app.get_page(&hackney, "/register/import").await;
    assert_eq!(status, StatusCode::OK);
    let offered = select_options(&form, "authority");
    assert_eq!(
        offered,
        [("GB-LAE-HCK".to_string(), HACKNEY.to_string())],
        "Hackney's buyer is offered only Hackney"
    );

    let before = contract_count(&app).await;
    let audit_before = audit_total(&app).await;
    for forged in ["GB-LAE-CMD", "GB-LAE-ZZZ", "", "not an id"] {
        let (status, body) = upload_page(
            &app,
            &hackney,
            forged,
            "camden-register.csv",
            &camden_fixture(),
            false,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "authority '{forged}'"
        );
        let links = error_summary_links(&body);
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].0, "#authority");
        assert!(links[0].1.contains("Select the authority"), "{links:?}");
        assert!(banner(&body).is_none());
        let offered = select_options(&body, "authority");
        assert_eq!(offered.len(), 1, "still only Hackney offered");
    }
    assert_eq!(contract_count(&app).await, before, "nothing saved");
    assert_eq!(audit_total(&app).await, audit_before);

    // People who do not buy for an authority have no upload at all.
    for who in [EVALUATOR, COORDINATOR, SUPPLIER] {
        let client = app.signed_in(who).await;
        let (status, _) = app.get_page(&client, "/register/import").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET as {who}");
        let response = upload(
            &app,
            &client,
            "GB-LAE-CMD",
            "camden-register.csv",
            &camden_fixture(),
            false,
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST as {who}");
    }
    assert_eq!(contract_count(&app).await, before);
}

#[tokio::test]
async fn the_real_norfolk_register_uploads_through_the_page() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let bytes = registers_fixture("norfolk-county-council-NCC164467.csv");
    assert!(
        bytes.len() > 2_000_000,
        "larger than the ordinary form limit"
    );
    let before = contract_count(&app).await;

    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "NCC164467.csv", &bytes, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejected_rows(&body).len(), 905);
    assert_eq!(contract_count(&app).await, before);

    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "NCC164467.csv", &bytes, true).await;
    assert_eq!(status, StatusCode::OK, "{:?}", error_summary_links(&body));
    let message = banner(&body).unwrap();
    assert!(
        message.starts_with("Imported NCC164467.csv: 4824 added, 0 updated, 0 unchanged"),
        "{message}"
    );
    assert_eq!(contract_count(&app).await, before + 4_824);
}

// ---------------------------------------------------------------------------
// The planner
// ---------------------------------------------------------------------------

/// "Agreement runs YYYY-MM-DD to YYYY-MM-DD" from a planner page.
fn runs_line(body: &str) -> String {
    let text = text_of(body);
    let at = text.find("Agreement runs").expect("an agreement");
    text[at..at + 42].to_string()
}

/// The demo consortium's members' contracts in `category`.
async fn member_contracts(app: &TestApp, category: &str) -> Vec<Contract> {
    app.store
        .contracts(&ContractFilter {
            category: Some(category.to_string()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.contract)
        .collect()
}

#[tokio::test]
async fn the_planner_is_for_the_coordinator_only() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, body) = app.get_page(&coordinator, "/consortia/1/planner").await;
    assert_eq!(status, StatusCode::OK);
    let text = text_of(&body);
    for category in [
        "Housing management system",
        "Responsive repairs",
        "Waste collection",
        "Library management system",
    ] {
        assert!(
            body.contains(&format!(r#"<h2 class="govuk-heading-m">{category}</h2>"#)),
            "{category} has a section"
        );
    }
    assert!(text.contains("Best shared agreement"));
    assert!(text.contains("Agreement runs"));
    assert!(text.contains("Start procurement by"));
    assert!(text.contains("Joint go-live cohorts, best first"));
    let svg_at = body
        .find(r#"<svg class="app-timeline""#)
        .expect("the SVG timeline");
    let svg = &body[svg_at..body[svg_at..].find("</svg>").unwrap() + svg_at];
    assert!(svg.contains("<title"), "the picture has a title");
    assert!(svg.contains("role=\"img\"") || svg.contains("aria-labelledby"));
    assert!(
        text.contains("The timeline as a table"),
        "a table alternative"
    );
    assert!(text.contains("Earliest end") && text.contains("Latest end"));
    assert!(
        text.contains("member contracts are not in a category yet"),
        "the uncategorised demo contracts are pointed out"
    );
    assert!(body.contains(r#"href="/consortia/1/groupings""#));

    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, _) = app.get_page(&buyer, "/consortia/1/planner").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member's buyer");
    let (status, _) = app.get_page(&buyer, "/consortia/1/groupings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let supplier = app.signed_in(SUPPLIER).await;
    let (status, _) = app.get_page(&supplier, "/consortia/1/planner").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a supplier cannot tell it exists"
    );
    let (status, _) = app.get_page(&supplier, "/consortia/1/groupings").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for path in ["/consortia/999/planner", "/consortia/abc/planner"] {
        let (status, _) = app.get_page(&coordinator, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn planner_parameters_change_the_agreement_and_bad_ones_fall_back_to_defaults() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let category = "Waste collection";
    let contracts = member_contracts(&app, category).await;

    for (term, lead, mobilise) in [(48, 9, 12), (24, 9, 12), (36, 3, 6)] {
        let path = format!(
            "/consortia/1/planner?term_months={term}&lead_months={lead}&mobilisation_months={mobilise}&category=Waste+collection"
        );
        let (status, body) = app.get_page(&coordinator, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = text_of(&body);
        let plan = plan_register(
            &contracts,
            &PlanParams {
                term_months: term,
                lead_months: lead,
                mobilisation_months: mobilise,
                max_cohorts: 10,
            },
            today(),
        );
        assert_eq!(plan.categories.len(), 1);
        let agreement = &plan.categories[0].agreement;
        let runs = format!("Agreement runs {} to {}", agreement.start, agreement.end);
        assert!(text.contains(&runs), "{path}: '{runs}' not in {text}");
        assert_eq!(
            agreement.end,
            agreement
                .start
                .checked_add(jiff::Span::new().months(term))
                .unwrap(),
            "the term is {term} months"
        );
        assert!(agreement.start >= today().checked_add(jiff::Span::new().months(lead)).unwrap());
        assert!(text.contains(&format!(
            "Start procurement by {}",
            agreement.procurement_start
        )));
        // Only the chosen category is planned.
        assert!(body.contains(r#"<h2 class="govuk-heading-m">Waste collection</h2>"#));
        assert!(!body.contains(r#"<h2 class="govuk-heading-m">Responsive repairs</h2>"#));
        assert!(body.contains(&format!(
            r#"id="term_months" name="term_months" type="text" inputmode="numeric" value="{term}""#
        )));
        assert!(body.contains(r#"<option value="Waste collection" selected>"#));
    }
    // The term changes the agreement shown.
    let (_, short) = app
        .get_page(
            &coordinator,
            "/consortia/1/planner?term_months=24&category=Waste+collection",
        )
        .await;
    let (_, long) = app
        .get_page(
            &coordinator,
            "/consortia/1/planner?term_months=48&category=Waste+collection",
        )
        .await;
    assert_ne!(runs_line(&short), runs_line(&long));

    // Nonsense falls back to the defaults, with no error.
    let (_, defaults) = app
        .get_page(
            &coordinator,
            "/consortia/1/planner?category=Waste+collection",
        )
        .await;
    for bad in [
        "term_months=abc&lead_months=-3&mobilisation_months=1e3",
        "term_months=0&lead_months=&mobilisation_months=9999",
        "term_months=%20&lead_months=nine",
    ] {
        let path = format!("/consortia/1/planner?{bad}&category=Waste+collection");
        let (status, body) = app.get_page(&coordinator, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(r#"name="term_months" type="text" inputmode="numeric" value="48""#));
        assert!(body.contains(r#"name="lead_months" type="text" inputmode="numeric" value="9""#));
        assert!(
            body.contains(
                r#"name="mobilisation_months" type="text" inputmode="numeric" value="12""#
            )
        );
        assert_eq!(runs_line(&body), runs_line(&defaults), "{path}");
    }
    // An unknown category plans them all.
    let (status, body) = app
        .get_page(&coordinator, "/consortia/1/planner?category=No+such+thing")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<h2 class="govuk-heading-m">Responsive repairs</h2>"#));
}

// ---------------------------------------------------------------------------
// Comparable contracts
// ---------------------------------------------------------------------------

/// A grouping suggestion as the page shows it.
#[derive(Debug, Clone)]
struct Shown {
    id: String,
    label: String,
    basis: String,
    /// (authority name, reference, title)
    members: Vec<(String, String, String)>,
}

fn suggestions(body: &str) -> Vec<Shown> {
    let block = regex::Regex::new(r#"(?s)<div class="app-suggestion">(.*?)</form>"#).unwrap();
    let heading = regex::Regex::new(r#"(?s)<h2 class="govuk-heading-m">(.*?)</h2>"#).unwrap();
    let basis = regex::Regex::new(r#"(?s)<p class="govuk-body">(.*?)</p>"#).unwrap();
    let action = regex::Regex::new(r#"action="/consortia/1/groupings/([0-9a-f]+)""#).unwrap();
    let tr = regex::Regex::new(r#"(?s)<tr class="govuk-table__row">\s*<td(.*?)</tr>"#).unwrap();
    let td = regex::Regex::new(r"(?s)<td[^>]*>(.*?)</td>").unwrap();
    block
        .captures_iter(body)
        .map(|b| {
            let b = &b[1];
            Shown {
                id: action.captures(b).expect("a form")[1].to_string(),
                label: text_of(&heading.captures(b).unwrap()[1]),
                basis: text_of(&basis.captures(b).unwrap()[1]),
                members: tr
                    .captures_iter(b)
                    .map(|r| {
                        let row = format!("<td{}", &r[1]);
                        let cells: Vec<String> =
                            td.captures_iter(&row).map(|c| text_of(&c[1])).collect();
                        (cells[0].clone(), cells[1].clone(), cells[2].clone())
                    })
                    .collect(),
            }
        })
        .collect()
}

async fn decide(
    app: &TestApp,
    client: &Client,
    id: &str,
    decision: &str,
    label: Option<&str>,
) -> Response {
    let label_field = format!("label-{id}");
    let mut fields = vec![("decision", decision)];
    if let Some(l) = label {
        fields.push((label_field.as_str(), l));
    }
    app.post_form(client, &format!("/consortia/1/groupings/{id}"), &fields)
        .await
}

#[tokio::test]
async fn confirming_and_rejecting_groupings_is_remembered_audited_and_reused_by_imports() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, body) = app.get_page(&coordinator, "/consortia/1/groupings").await;
    assert_eq!(status, StatusCode::OK);
    let found = suggestions(&body);
    assert!(
        found.len() >= 2,
        "the uncategorised demo contracts give at least two suggestions: {found:#?}"
    );
    for s in &found {
        assert!(!s.members.is_empty(), "{s:?}");
        assert!(!s.label.is_empty(), "each suggestion has a label: {s:?}");
        assert!(
            body.contains(&format!(r#"name="label-{}""#, s.id)),
            "each form has its own label field"
        );
    }
    // Every demo contract without a category is in some suggestion.
    let uncategorised: Vec<String> = app
        .store
        .contracts(&ContractFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.contract.category.is_none())
        .map(|s| s.contract.reference)
        .collect();
    assert!(!uncategorised.is_empty());
    for reference in &uncategorised {
        assert!(
            found
                .iter()
                .any(|s| s.members.iter().any(|m| &m.1 == reference)),
            "{reference} is suggested somewhere"
        );
    }

    // Confirm a grouping by wording under a name of the coordinator's choosing.
    let first = found
        .iter()
        .find(|s| s.basis.starts_with("Their descriptions share the words"))
        .expect("a grouping by wording")
        .clone();
    let label = "Housing and accommodation (confirmed)";
    let response = decide(&app, &coordinator, &first.id, "confirm", Some(label)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).starts_with("/consortia/1/groupings?notice=confirmed"),
        "{}",
        location(&response)
    );
    let kinds = app.audit_kinds().await;
    assert!(
        kinds
            .iter()
            .take(first.members.len() + 2)
            .any(|k| k == "contracts.categorised")
    );
    assert_eq!(kinds[0], "category.confirmed", "{kinds:?}");
    let rows = rows_at(&app, &coordinator, &filtered("category", label)).await;
    let mut shown: Vec<&str> = rows.iter().map(|r| r.reference.as_str()).collect();
    let mut expected: Vec<&str> = first.members.iter().map(|m| m.1.as_str()).collect();
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "its members are in the category");
    let (_, body) = app
        .get_page(&coordinator, "/consortia/1/groupings?notice=confirmed")
        .await;
    assert!(text_of(&body).contains("The grouping was confirmed"));
    let now = suggestions(&body);
    assert!(
        now.iter().all(|s| s.id != first.id),
        "it is not suggested again"
    );
    assert!(
        now.iter()
            .all(|s| s.members.iter().all(|m| !expected.contains(&m.1.as_str()))),
        "nor are its members"
    );
    // The planner now plans the category.
    let (_, planner) = app.get_page(&coordinator, "/consortia/1/planner").await;
    assert!(planner.contains(&format!(r#"<option value="{label}""#)));

    // Reject another.
    let second = now.first().expect("another suggestion").clone();
    assert_ne!(second.id, first.id);
    let audit_before = audit_total(&app).await;
    let response = decide(&app, &coordinator, &second.id, "reject", None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/consortia/1/groupings?notice=rejected"));
    assert_eq!(app.audit_kinds().await[0], "category.rejected");
    assert!(audit_total(&app).await > audit_before);
    let (_, body) = app.get_page(&coordinator, "/consortia/1/groupings").await;
    let later = suggestions(&body);
    assert!(later.iter().all(|s| s.id != second.id));
    for m in &second.members {
        assert!(
            later.iter().all(|s| s.members.iter().all(|x| x.1 != m.1)),
            "{} of the rejected grouping is suggested again: {later:#?}",
            m.1
        );
    }
    for m in &second.members {
        let rows = rows_at(&app, &coordinator, &filtered("q", &m.1)).await;
        assert!(
            rows.iter()
                .all(|r| r.reference != m.1 || r.category.is_empty()),
            "a rejected grouping puts nothing in a category"
        );
    }

    // A later import by a member reuses the confirmed decision.
    let title = &first.members[0].2;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let csv = format!(
        "Reference,Title,Supplier,Start Date,End Date\nCMD-REUSE-1,\"{}\",Some New Supplier Ltd,01/04/2025,31/03/2029\n",
        title.replace('"', "\"\"")
    );
    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "new.csv", csv.as_bytes(), false).await;
    assert_eq!(status, StatusCode::OK, "{}", text_of(&body));
    let rows = rows_at(&app, &buyer, "/register?q=CMD-REUSE-1").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].category, label,
        "a new contract titled '{title}' goes straight into the confirmed category"
    );
}

#[tokio::test]
async fn stale_suggestions_and_empty_labels_are_refused_with_a_message() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (_, body) = app.get_page(&coordinator, "/consortia/1/groupings").await;
    let found = suggestions(&body);
    let first = found[0].clone();
    let audit_before = audit_total(&app).await;

    // An empty (or blank) label.
    for blank in ["", "   "] {
        let response = decide(&app, &coordinator, &first.id, "confirm", Some(blank)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = response.text().await.unwrap();
        let links = error_summary_links(&body);
        assert_eq!(
            links,
            [(
                format!("#label-{}", first.id),
                "Enter a name for the category".to_string()
            )]
        );
        assert!(body.contains(&format!(r#"id="label-{}-error""#, first.id)));
        assert!(
            body.contains(&format!(r#"id="label-{}""#, first.id)),
            "the link has a target"
        );
    }
    // No label field at all.
    let response = decide(&app, &coordinator, &first.id, "confirm", None).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_total(&app).await, audit_before, "nothing recorded");

    // A suggestion that does not exist (or no longer does).
    let stale = "0".repeat(64);
    let response = decide(&app, &coordinator, &stale, "confirm", Some("Anything")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    let links = error_summary_links(&body);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "#suggestions");
    assert!(links[0].1.contains("has changed since the page was loaded"));
    assert!(body.contains(r#"id="suggestions""#));

    // The same confirmation sent twice: the second finds it gone.
    let response = decide(&app, &coordinator, &first.id, "confirm", Some("Twice")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after_first = audit_total(&app).await;
    let response = decide(&app, &coordinator, &first.id, "confirm", Some("Twice")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        audit_total(&app).await,
        after_first,
        "nothing recorded twice"
    );

    // An unknown decision is not a decision.
    let (_, body) = app.get_page(&coordinator, "/consortia/1/groupings").await;
    let other = suggestions(&body)[0].clone();
    let response = decide(&app, &coordinator, &other.id, "maybe", Some("X")).await;
    assert!(response.status().is_client_error());
    assert_eq!(audit_total(&app).await, after_first);

    // A member's buyer cannot decide.
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let response = decide(&app, &buyer, &other.id, "confirm", Some("Mine")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit_total(&app).await, after_first);
}

#[tokio::test]
async fn two_boroughs_uploads_grouped_by_the_coordinator_survive_re_importing() {
    let app = spawn_app().await;
    let camden = app.signed_in(CAMDEN_BUYER).await;
    let hackney = app.signed_in(HACKNEY_BUYER).await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let (status, _) = upload_page(
        &app,
        &camden,
        "GB-LAE-CMD",
        "camden-register.csv",
        &camden_fixture(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let hackney_file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/browser/fixtures/hackney-register.csv"
    ))
    .unwrap();
    let (status, body) = upload_page(
        &app,
        &hackney,
        "GB-LAE-HCK",
        "hackney-register.csv",
        &hackney_file,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", text_of(&body));
    assert_eq!(
        banner(&body).as_deref(),
        Some("Imported hackney-register.csv: 1 added, 0 updated, 0 unchanged"),
        "a UTF-8 file with a BOM"
    );

    let (_, body) = app.get_page(&coordinator, "/consortia/1/groupings").await;
    let cctv = suggestions(&body)
        .into_iter()
        .find(|s| s.members.iter().any(|m| m.1 == "CMD-CCTV-1"))
        .expect("the CCTV contracts are suggested together");
    let refs: Vec<&str> = cctv.members.iter().map(|m| m.1.as_str()).collect();
    assert!(refs.contains(&"HCK-CCTV-7"), "{cctv:?}");
    let response = decide(&app, &coordinator, &cctv.id, "confirm", Some("Estate CCTV")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let rows = rows_at(&app, &coordinator, "/register?category=Estate+CCTV").await;
    let mut shown: Vec<&str> = rows.iter().map(|r| r.reference.as_str()).collect();
    shown.sort();
    assert_eq!(shown, ["CMD-CCTV-1", "HCK-CCTV-7"]);

    // The planner shows the category, with both boroughs on one agreement or cohort.
    let (_, planner) = app
        .get_page(&coordinator, "/consortia/1/planner?category=Estate+CCTV")
        .await;
    assert!(planner.contains(r#"<h2 class="govuk-heading-m">Estate CCTV</h2>"#));
    let text = text_of(&planner);
    assert!(text.contains("CMD-CCTV-1") && text.contains("HCK-CCTV-7"));
    assert!(planner.contains("Estate CCTV</"), "the timeline names it");

    // Re-importing Camden's file, which has no category, keeps the coordinator's.
    let audit_before = audit_total(&app).await;
    let (status, body) = upload_page(
        &app,
        &camden,
        "GB-LAE-CMD",
        "camden-register.csv",
        &camden_fixture(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        banner(&body).as_deref(),
        Some("Imported camden-register.csv: 0 added, 0 updated, 2 unchanged")
    );
    assert_eq!(audit_total(&app).await, audit_before);
    let rows = rows_at(&app, &camden, "/register?q=CMD-CCTV-1").await;
    assert_eq!(rows[0].category, "Estate CCTV");
}

/// A file over the limit is refused; the error summary should say so once (it
/// currently lists two messages for the file field).
#[tokio::test]
async fn an_upload_over_twenty_megabytes_is_refused_with_a_message() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let before = contract_count(&app).await;
    let mut big = b"Reference,Title,End Date\n".to_vec();
    let mut n = 0;
    while big.len() <= 21 * 1024 * 1024 {
        n += 1;
        big.extend_from_slice(
            format!("CMD-BIG-{n},A contract padded out to make a large file,31/03/2030\n")
                .as_bytes(),
        );
    }
    let response = upload(&app, &buyer, "GB-LAE-CMD", "big.csv", &big, false).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = error_summary_links(&body);
    assert!(links.iter().all(|(href, _)| href == "#file"), "{links:?}");
    assert!(links[0].1.contains("20MB"), "{links:?}");
    assert_eq!(
        links.len(),
        1,
        "one message for the one field, not one per multipart error: {links:?}"
    );
    assert_eq!(contract_count(&app).await, before);
}

/// "1 rows of bad.csv were rejected" and "1 rows rejected": the messages do
/// not agree in number when one row is rejected.
#[tokio::test]
async fn one_rejected_row_is_reported_as_one_row() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let csv = "Reference,Title,Start Date,End Date\n\
               CMD-GOOD-1,Lift maintenance,01/04/2024,31/03/2028\n\
               CMD-BAD-1,Backwards contract,01/01/2026,01/01/2025\n";
    let (_, body) = upload_page(&app, &buyer, "GB-LAE-CMD", "bad.csv", csv.as_bytes(), false).await;
    let links = error_summary_links(&body);
    assert!(
        links[0].1.starts_with("1 row of bad.csv was rejected"),
        "{:?}",
        links[0].1
    );
    let (_, body) = upload_page(&app, &buyer, "GB-LAE-CMD", "bad.csv", csv.as_bytes(), true).await;
    let message = banner(&body).unwrap();
    assert!(
        message.ends_with("1 row rejected and not imported"),
        "{message}"
    );
}

#[tokio::test]
async fn what_a_file_says_is_shown_as_text_never_as_markup() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let csv = "Reference,Title,End Date,Annual Value\n\
               CMD-X-1,<script>alert(1)</script>,31/03/2030,<b>lots</b>\n\
               CMD-X-2,Fine,31/03/2030,1k\n";
    let (status, body) = upload_page(
        &app,
        &buyer,
        "<i>GB-LAE-CMD</i>",
        "<x>.csv",
        csv.as_bytes(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!body.contains("<i>GB-LAE-CMD</i>"));
    let (status, body) =
        upload_page(&app, &buyer, "GB-LAE-CMD", "<x>.csv", csv.as_bytes(), true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("<b>lots</b>") && !body.contains("<x>.csv"));
    assert!(
        rejected_rows(&body)
            .iter()
            .any(|r| r.2.contains("<b>lots</b>"))
    );
    let rows = rows_at(&app, &buyer, "/register?q=CMD-X-2").await;
    assert_eq!(rows.len(), 1);
}
