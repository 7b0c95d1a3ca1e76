//! Adding and changing contracts by hand, with every change audited.

mod support;

use reqwest::StatusCode;
use support::*;

#[tokio::test]
async fn a_buyer_adds_a_contract_and_changes_it_with_each_field_audited() {
    let app = spawn_app().await;
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, body) = app.get_page(&buyer, "/register/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Add a contract"));

    let bad = app
        .post_form(
            &buyer,
            "/register/new",
            &[
                ("authority", "GB-LAE-CMD"),
                ("reference", ""),
                ("title", "Lifts"),
                ("end", "31/02/2029"),
                ("annual_value", "(5)"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.unwrap();
    let links: Vec<String> = error_summary_links(&body)
        .into_iter()
        .map(|(href, _)| href)
        .collect();
    for field in ["#reference", "#end", "#annual_value"] {
        assert!(
            links.contains(&field.to_string()),
            "{field} not in {links:?}"
        );
    }

    let created = app
        .post_form(
            &buyer,
            "/register/new",
            &[
                ("authority", "GB-LAE-CMD"),
                ("reference", "CMD-LIFT-9"),
                ("title", "Lift maintenance"),
                ("annual_value", "£95k"),
                ("start", "1 April 2024"),
                ("end", "31 March 2028"),
                ("extensions", "1+1"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = location(&created).to_string();
    let (_, page) = app.get_page(&buyer, &location).await;
    assert!(
        page.contains("Lift maintenance")
            && page.contains("£95,000")
            && page.contains("Entered by hand")
    );
    assert_eq!(app.newest_audit().await.0, "contract.created");

    let edit = format!("{location}/edit");
    let (status, form) = app.get_page(&buyer, &edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"value="CMD-LIFT-9""#) && form.contains(r#"value="2028-03-31""#));
    let changed = app
        .post_form(
            &buyer,
            &edit,
            &[
                ("reference", "CMD-LIFT-9"),
                ("title", "Lift maintenance"),
                ("annual_value", "£99k"),
                ("start", "2024-04-01"),
                ("end", "2028-03-31"),
                ("extensions", "12 months + 12 months"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let entry = app.store.audit_page(1, 1).await.unwrap().entries.remove(0);
    assert_eq!(entry.kind, "contract.updated");
    assert!(
        entry.payload.contains("annual_value") && !entry.payload.contains("\"title\""),
        "{}",
        entry.payload
    );

    // Someone who may see but not change the register cannot edit.
    let evaluator_email = "evaluator@cmd.example";
    let evaluator = app.signed_in(evaluator_email).await;
    let (status, _) = app.get_page(&evaluator, &edit).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another borough's buyer cannot even see it.
    let hackney = app.signed_in(HACKNEY_BUYER).await;
    let (status, _) = app.get_page(&hackney, &edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_coordinator_downloads_the_pipeline_as_csv_and_json() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let csv = app.get(&coordinator, "/consortia/1/pipeline.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = csv.text().await.unwrap();
    assert!(
        body.lines().count() >= 2,
        "a header and at least one planned procurement: {body}"
    );
    assert!(body.contains("Housing management system"), "{body}");
    let json = app
        .get(&coordinator, "/consortia/1/pipeline.json?term_months=36")
        .await;
    assert_eq!(json.status(), StatusCode::OK);
    let value: serde_json::Value = json.json().await.unwrap();
    assert!(value.as_array().is_some_and(|a| !a.is_empty()));
    let (status, _) = app
        .get_page(&coordinator, "/consortia/1/pipeline.xml")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, _) = app.get_page(&buyer, "/consortia/1/pipeline.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_planner_cohort_leads_to_advice_and_bad_answers_are_explained() {
    let app = spawn_app().await;
    let coordinator = app.signed_in(COORDINATOR).await;
    let path = "/consortia/1/advice?category=Housing+management+system&cohort=1";
    let (status, body) = app.get_page(&coordinator, path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Route to market: Housing management system"));
    assert!(body.contains("id=\"dynamic-market\"") && body.contains("id=\"own-framework\""));
    let with_framework =
        format!("{path}&framework_name=RM6259&framework_expires=6+March+2027&new_entrants=yes");
    let (status, body) = app.get_page(&coordinator, &with_framework).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("RM6259"), "the framework is weighed");
    let (status, body) = app
        .get_page(
            &coordinator,
            &format!("{path}&go_live=someday&call_offs=many"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let links: Vec<String> = error_summary_links(&body)
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(links, ["#go_live", "#call_offs"]);
    let (status, _) = app
        .get_page(
            &coordinator,
            "/consortia/1/advice?category=Nothing&cohort=1",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let buyer = app.signed_in(CAMDEN_BUYER).await;
    let (status, _) = app.get_page(&buyer, path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
