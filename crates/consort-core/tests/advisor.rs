//! The route-to-market advisor: each "not available" rule, the three reasoning
//! patterns, scenario parsing errors, and the shipped example scenarios.

use consort_core::OrgId;
use consort_core::advisor::{
    Advice, ExistingFramework, FACT_IDS, Member, MigrationWeight, Route, Scenario, Standardness,
    advise,
};
use consort_core::calendar::{Regime, rules};
use consort_core::register::Pence;
use jiff::civil::{Date, date};
use std::path::PathBuf;

const TODAY: Date = date(2026, 12, 1);

fn member(id: &str, earliest: Date, latest: Date) -> Member {
    Member {
        authority: OrgId::parse(id).unwrap(),
        earliest,
        latest,
    }
}

/// One borough, £1m, standard, no framework, go-live in 2 years.
fn base() -> Scenario {
    Scenario {
        title: None,
        category: None,
        members: vec![member("GB-LAE-CMD", date(2028, 11, 30), date(2029, 3, 31))],
        go_live: Some(date(2028, 12, 1)),
        value_pence: Pence(100_000_000),
        needs_new_entrants: false,
        needs_innovation: false,
        call_offs: None,
        requirement: Standardness::Standard,
        migration: MigrationWeight::Medium,
        regime: Regime::Pa2023,
        start: Some(TODAY),
        term_months: 48,
        threshold_kind: "sub_central_goods_services".into(),
        existing_framework: None,
    }
}

fn framework() -> ExistingFramework {
    ExistingFramework {
        name: "Test framework".into(),
        scope: "Lot 1: software".into(),
        covers_need: true,
        expires: date(2030, 1, 1),
        regime: Regime::Pa2023,
        permits_members: true,
        direct_award_permitted: true,
    }
}

fn cohort(n: usize) -> Vec<Member> {
    [
        "GB-LAE-CMD",
        "GB-LAE-ISL",
        "GB-LAE-HCK",
        "GB-LAE-LBH",
        "GB-LAE-SWK",
        "GB-LAE-TWH",
    ]
    .iter()
    .take(n)
    .map(|id| member(id, date(2028, 6, 30), date(2029, 6, 30)))
    .collect()
}

fn run(s: &Scenario) -> Advice {
    advise(s, TODAY).expect("advice")
}

fn top(a: &Advice) -> Route {
    a.top().expect("an available route").route
}

fn unavailable_because(a: &Advice, route: Route, needle: &str) {
    let v = a.verdict(route);
    assert!(!v.available, "{route:?} should be unavailable");
    assert!(
        v.unavailable_reasons.iter().any(|r| r.contains(needle)),
        "{route:?}: no reason containing {needle:?} in {:?}",
        v.unavailable_reasons
    );
}

// ---- not available ---------------------------------------------------------

#[test]
fn no_framework_means_no_call_off() {
    let a = run(&base());
    for r in [
        Route::ExistingFrameworkDirectAward,
        Route::ExistingFrameworkFurtherCompetition,
    ] {
        unavailable_because(&a, r, "no existing framework");
    }
}

#[test]
fn framework_that_does_not_cover_the_need_is_unavailable() {
    let mut s = base();
    s.existing_framework = Some(ExistingFramework {
        covers_need: false,
        ..framework()
    });
    let a = run(&s);
    unavailable_because(
        &a,
        Route::ExistingFrameworkDirectAward,
        "does not cover the need",
    );
    unavailable_because(
        &a,
        Route::ExistingFrameworkFurtherCompetition,
        "does not cover the need",
    );
    // With cover, both are available.
    s.existing_framework = Some(framework());
    let a = run(&s);
    assert!(a.verdict(Route::ExistingFrameworkDirectAward).available);
    assert!(
        a.verdict(Route::ExistingFrameworkFurtherCompetition)
            .available
    );
}

#[test]
fn framework_not_open_to_these_members_is_unavailable() {
    let mut s = base();
    s.existing_framework = Some(ExistingFramework {
        permits_members: false,
        ..framework()
    });
    let a = run(&s);
    unavailable_because(
        &a,
        Route::ExistingFrameworkFurtherCompetition,
        "does not permit these members",
    );
}

#[test]
fn framework_expiring_before_the_call_off_is_unavailable() {
    let mut s = base();
    // Expired the day before the start: no call-off can be awarded.
    s.existing_framework = Some(ExistingFramework {
        expires: TODAY.yesterday().unwrap(),
        ..framework()
    });
    let a = run(&s);
    for r in [
        Route::ExistingFrameworkDirectAward,
        Route::ExistingFrameworkFurtherCompetition,
    ] {
        unavailable_because(&a, r, "before the earliest the call-off can be awarded");
    }
    // Expiring on the start day: a further competition needs its tendering time,
    // so cannot be awarded in time; a direct award can, at the statutory minimum,
    // with the risk flagged.
    s.existing_framework = Some(ExistingFramework {
        expires: TODAY,
        ..framework()
    });
    let a = run(&s);
    unavailable_because(
        &a,
        Route::ExistingFrameworkFurtherCompetition,
        "before the earliest the call-off can be awarded",
    );
    let da = a.verdict(Route::ExistingFrameworkDirectAward);
    assert!(da.available, "{:?}", da.unavailable_reasons);
    assert!(
        da.risks
            .iter()
            .any(|r| r.contains("must be awarded by then")),
        "{:?}",
        da.risks
    );
}

#[test]
fn direct_award_needs_a_framework_that_provides_for_it() {
    let mut s = base();
    s.existing_framework = Some(ExistingFramework {
        direct_award_permitted: false,
        ..framework()
    });
    let a = run(&s);
    unavailable_because(
        &a,
        Route::ExistingFrameworkDirectAward,
        "does not provide for direct award",
    );
    assert!(
        a.verdict(Route::ExistingFrameworkFurtherCompetition)
            .available
    );
}

#[test]
fn pcr_dps_cannot_outlive_23_feb_2029() {
    let mut s = base();
    s.regime = Regime::Pcr2015;
    s.start = Some(date(2025, 1, 13));
    s.go_live = Some(date(2025, 9, 1));
    s.members = vec![member("GB-LAE-LBH", date(2025, 8, 31), date(2026, 3, 31))];
    s.term_months = 60;
    let a = run(&s);
    unavailable_because(&a, Route::DynamicMarket, "the end of 23 Feb 2029");
    let v = a.verdict(Route::DynamicMarket);
    assert!(v.citations.iter().any(|c| c == "tr.dps_longstop"));
    assert!(v.unavailable_reasons[0].contains("tr.dps_longstop"));
    // A short DPS that ends before the longstop is available, with the risk noted.
    s.term_months = 24;
    let a = run(&s);
    let v = a.verdict(Route::DynamicMarket);
    assert!(v.available, "{:?}", v.unavailable_reasons);
    assert!(v.risks.iter().any(|r| r.contains("2029-02-23")));
}

#[test]
fn a_new_pcr_procurement_after_commencement_is_unavailable() {
    let mut s = base();
    s.regime = Regime::Pcr2015;
    let a = run(&s);
    unavailable_because(&a, Route::OpenProcedure, "cannot be under PCR 2015");
}

#[test]
fn below_threshold_changes_the_rules() {
    let mut s = base();
    s.value_pence = Pence(12_000_000); // £120,000 < £207,720
    let a = run(&s);
    assert!(a.scenario.below_threshold);
    let thr = a.scenario.threshold.as_ref().unwrap();
    assert_eq!(thr.amount_gbp, 207_720);
    assert_eq!(thr.fact_id, "pa23.thr.2026.sub_central_goods_services");
    for r in [
        Route::OwnFramework,
        Route::OpenFramework,
        Route::DynamicMarket,
        Route::CompetitiveFlexible,
    ] {
        unavailable_because(&a, r, "below the threshold £207,720");
        unavailable_because(&a, r, "Part 6");
        unavailable_because(&a, r, "pa23.thr.2026.sub_central_goods_services");
    }
    // The open route stays, as a below-threshold competition, and says what changes.
    let op = a.verdict(Route::OpenProcedure);
    assert!(op.available);
    assert!(
        op.reasons
            .iter()
            .any(|r| r.contains("below-threshold tender notice"))
    );
    assert!(op.citations.iter().any(|c| c == "pa23.thr.s87_notifiable"));
    assert_eq!(top(&a), Route::OpenProcedure);
    // Above the threshold, the same scenario has every new route.
    s.value_pence = Pence(30_000_000);
    let a = run(&s);
    assert!(!a.scenario.below_threshold);
    assert!(a.verdict(Route::DynamicMarket).available);
}

// ---- reasoning patterns ------------------------------------------------------

#[test]
fn speed_favours_an_existing_framework() {
    let mut s = base();
    s.existing_framework = Some(framework());
    s.requirement = Standardness::Configurable;
    s.migration = MigrationWeight::High;
    s.call_offs = Some(1);
    s.go_live = Some(date(2029, 6, 1)); // 30 months: no hurry
    s.members = vec![member("GB-LAE-CMD", date(2029, 5, 31), date(2029, 8, 31))];
    let relaxed = run(&s);
    assert!(
        !matches!(
            top(&relaxed),
            Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
        ),
        "without urgency the top is {:?}",
        top(&relaxed)
    );
    s.go_live = Some(date(2027, 4, 1)); // 4 months
    s.members = vec![member("GB-LAE-CMD", date(2027, 3, 31), date(2027, 3, 31))];
    let urgent = run(&s);
    assert!(
        matches!(
            top(&urgent),
            Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
        ),
        "with urgency the top is {:?}",
        top(&urgent)
    );
    let speed = &urgent.verdict(top(&urgent)).scores[0];
    assert!(speed.score >= 5, "{speed:?}");
}

#[test]
fn many_similar_organisations_seeking_value_favour_a_framework() {
    let mut s = base();
    s.call_offs = Some(1);
    let single = run(&s);
    assert_ne!(top(&single), Route::OwnFramework);
    s.members = cohort(6);
    s.call_offs = Some(6);
    let many = run(&s);
    assert_eq!(
        top(&many),
        Route::OwnFramework,
        "{:#?}",
        many.ranked[0].scores
    );
}

#[test]
fn flexibility_and_new_entrants_favour_a_dynamic_market() {
    let mut s = base();
    s.members = cohort(6);
    s.call_offs = Some(6);
    assert_ne!(top(&run(&s)), Route::DynamicMarket);
    s.needs_new_entrants = true;
    let a = run(&s);
    assert_eq!(top(&a), Route::DynamicMarket);
    let v = a.verdict(Route::DynamicMarket);
    assert!(
        v.reasons
            .iter()
            .any(|r| r.contains("membership conditions"))
    );
    assert!(v.citations.iter().any(|c| c == "pa23.s36.must_admit"));
}

#[test]
fn scores_are_explained_and_totals_follow_the_formula() {
    let a = run(&base());
    for v in &a.ranked {
        assert_eq!(v.scores.len(), 7);
        let w: f64 = v.scores.iter().map(|c| c.weight).sum();
        let t: f64 = v.scores.iter().map(|c| c.weight * c.score as f64).sum();
        assert!((v.score - (100.0 * t / w).round() / 10.0).abs() < 1e-9);
        for c in &v.scores {
            assert!(c.score <= 10);
            assert!(!c.reason.is_empty() && !c.weight_reason.is_empty());
        }
    }
    // Available first, by score.
    let avail: Vec<_> = a.ranked.iter().take_while(|v| v.available).collect();
    assert!(avail.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(a.ranked[avail.len()..].iter().all(|v| !v.available));
    assert_eq!(a.ranked.len(), Route::ALL.len());
}

#[test]
fn every_cited_fact_is_in_the_rules_data() {
    for id in FACT_IDS {
        assert!(rules().fact(id).is_some(), "no fact {id}");
    }
}

// ---- bad input -----------------------------------------------------------------

#[test]
fn a_misspelt_field_is_an_error_naming_it() {
    let text = r#"
value_pence = 100
go_lvie = "2027-01-01"
[[members]]
authority = "GB-LAE-CMD"
earliest = "2027-01-01"
latest = "2027-02-01"
"#;
    let err = toml::from_str::<Scenario>(text).unwrap_err().to_string();
    assert!(err.contains("go_lvie"), "{err}");
    assert!(
        err.contains("go_live"),
        "should list what is allowed: {err}"
    );

    let err =
        toml::from_str::<Scenario>("value_pence = 1\nrequirement = \"bespok\"\nmembers = []\n")
            .unwrap_err()
            .to_string();
    assert!(err.contains("bespok") && err.contains("bespoke"), "{err}");

    let err = toml::from_str::<Scenario>("value_pence = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("members"), "{err}");
}

#[test]
fn empty_or_reversed_members_are_errors() {
    let mut s = base();
    s.members.clear();
    assert!(
        advise(&s, TODAY)
            .unwrap_err()
            .to_string()
            .contains("members")
    );
    let mut s = base();
    s.members = vec![member("GB-LAE-CMD", date(2028, 1, 1), date(2027, 1, 1))];
    assert!(
        advise(&s, TODAY)
            .unwrap_err()
            .to_string()
            .contains("GB-LAE-CMD")
    );
}

#[test]
fn dates_may_be_toml_dates_or_strings() {
    let text = "value_pence = 100\ngo_live = 2027-01-01\nstart = \"2026-12-01\"\n[[members]]\nauthority = \"GB-LAE-CMD\"\nearliest = 2027-01-01\nlatest = \"2027-02-01\"\n";
    let s: Scenario = toml::from_str(text).unwrap();
    assert_eq!(s.go_live, Some(date(2027, 1, 1)));
    assert_eq!(s.members[0].latest, date(2027, 2, 1));
}

// ---- examples ----------------------------------------------------------------------

fn examples() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("examples/scenarios") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let s: Scenario =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), s));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 5, "{out:?}");
    out
}

#[test]
fn every_example_scenario_parses_and_gets_advice() {
    for (name, s) in examples() {
        let a = advise(&s, TODAY).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.ranked.len(), Route::ALL.len(), "{name}");
        let md = a.to_markdown();
        assert!(md.contains("## Ranking"), "{name}");
        serde_json::to_string(&a).unwrap();
    }
}

#[test]
fn examples_reach_the_expected_conclusions() {
    let ex: std::collections::BTreeMap<_, _> = examples().into_iter().collect();
    let a = run(&ex["urgent-single-borough.toml"]);
    assert!(matches!(
        top(&a),
        Route::ExistingFrameworkDirectAward | Route::ExistingFrameworkFurtherCompetition
    ));
    let a = run(&ex["new-entrants-innovation.toml"]);
    assert_eq!(top(&a), Route::DynamicMarket);
    let a = run(&ex["below-threshold.toml"]);
    assert!(a.scenario.below_threshold);
    let a = run(&ex["pcr-dps-past-longstop.toml"]);
    assert!(!a.verdict(Route::DynamicMarket).available);
    let a = run(&ex["london-housing-cohort.toml"]);
    assert_eq!(a.scenario.member_count, 5);
}
