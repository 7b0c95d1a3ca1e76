//! `consort pipeline` and `consort bench plan`, run as the real binary against a
//! register imported from CSV files with the command line.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn consort(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_consort"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CONSORT_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run consort")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let o = consort(data, args);
    assert!(
        o.status.success(),
        "consort {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// The one line a failing command prints, checked to be a single `error:` line.
fn one_line_error(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure");
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected in: {err}");
    assert!(o.stdout.is_empty(), "nothing on stdout after an error");
    lines[0].to_string()
}

/// Three boroughs in a consortium. Camden's and Hackney's housing systems can
/// both end in 2029 (Hackney's with its 1+1 extensions); Islington's ends in
/// March 2027, too soon for an agreement that cannot start before August 2027
/// with 12 months to mobilise. Only Camden buys waste collection.
fn register(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    for (id, name, kind) in [
        ("GB-LAE-CMD", "London Borough of Camden", "authority"),
        ("GB-LAE-HCK", "London Borough of Hackney", "authority"),
        ("GB-LAE-ISL", "London Borough of Islington", "authority"),
        ("GB-LAE-LND", "London Councils", "coordinator"),
    ] {
        ok(
            &data,
            &["org", "add", "--id", id, "--name", name, "--kind", kind],
        );
    }
    ok(
        &data,
        &[
            "consortium",
            "create",
            "--name",
            "North London housing",
            "--coordinator",
            "GB-LAE-LND",
        ],
    );
    for member in ["GB-LAE-CMD", "GB-LAE-HCK", "GB-LAE-ISL"] {
        ok(
            &data,
            &["consortium", "join", "--consortium", "1", "--org", member],
        );
    }
    let header =
        "Reference,Title,Supplier,Category,Annual Value,Start Date,End Date,Extension Options\n";
    let files = [
        (
            "GB-LAE-CMD",
            "CMD-HMS-1,Housing management system,Northgate,Housing management systems,\"£450,000\",01/04/2020,31/03/2029,\n\
             CMD-WST-1,Waste collection,Veolia,Waste collection,£2m,01/04/2019,31/03/2030,\n",
        ),
        (
            "GB-LAE-HCK",
            "HCK-HMS-1,Housing management system,Aareon,Housing management systems,\"£350,000\",01/10/2021,30/09/2028,1+1\n",
        ),
        (
            "GB-LAE-ISL",
            "ISL-HMS-1,Housing system,Capita,Housing management systems,\"£200,000\",01/04/2018,31/03/2027,\n",
        ),
    ];
    for (authority, rows) in files {
        let file = dir.join(format!("{authority}.csv"));
        std::fs::write(&file, format!("{header}{rows}")).unwrap();
        ok(
            &data,
            &[
                "import",
                "contracts",
                file.to_str().unwrap(),
                "--authority",
                authority,
            ],
        );
    }
    data
}

/// Splits RFC 4180 CSV into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV ends with a line end"
    );
    records
}

#[test]
fn pipeline_json_lists_the_joint_procurement_with_its_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let data = register(dir.path());
    let out = ok(
        &data,
        &[
            "pipeline",
            "--consortium",
            "1",
            "--today",
            "2026-11-25",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["today"], "2026-11-25");
    assert_eq!(doc["parameters"]["term_months"], 48);
    let planned = doc["planned_procurements"].as_array().unwrap();
    assert_eq!(planned.len(), 1, "{out}");
    let p = &planned[0];
    assert_eq!(p["category"], "Housing management systems");
    assert_eq!(
        p["title"],
        "Shared agreement for housing management systems"
    );
    assert_eq!(
        p["authorities"],
        serde_json::json!(["GB-LAE-CMD", "GB-LAE-HCK"])
    );
    assert_eq!(p["authorities_not_covered"], 1);
    assert_eq!(p["contract_count"], 2);
    // The agreement starts as soon as it can be procured (today + 9 months).
    assert_eq!(p["procurement_start"], "2026-11-25");
    assert_eq!(p["agreement_start"], "2027-08-25");
    assert_eq!(p["agreement_end"], "2031-08-25");
    // A third of the 9 months' lead time; a month before the start.
    assert_eq!(p["estimated_tender_notice_date"], "2027-02-25");
    assert_eq!(p["estimated_award_notice_date"], "2027-07-25");
    // (£450,000 + £350,000) a year × 4 years.
    assert_eq!(p["estimated_value"]["annual_value_pence"], 80_000_000);
    assert_eq!(p["estimated_value"]["pence"], 320_000_000);
    assert!(
        p["estimated_value"]["basis"]
            .as_str()
            .unwrap()
            .contains("£800,000 a year")
    );
    let description = p["description"].as_str().unwrap();
    assert!(
        description.contains("GB-LAE-CMD, GB-LAE-HCK"),
        "{description}"
    );
    assert!(description.contains("must begin by 2026-11-25"));
    let basis = &p["statutory_basis"];
    assert_eq!(basis["notice"], "UK1");
    assert_eq!(basis["duty"]["citation"], "Procurement Act 2023 s.93");
    assert_eq!(basis["duty"]["confidence"], "verified-from-text");
    assert_eq!(basis["spend_threshold_pence"], 10_000_000_000i64);
    assert_eq!(basis["contract_threshold_pence"], 200_000_000);
    assert_eq!(basis["above_contract_threshold"], true);
    assert_eq!(basis["reporting_periods"][0]["financial_year"], "2026-27");
    assert_eq!(basis["reporting_periods"][0]["publish_by"], "2026-05-26");
    let notes = p["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("unclear"))
    );
    // Waste collection has one authority: no joint procurement, and it says so.
    assert_eq!(doc["not_planned"][0]["category"], "Waste collection");
    assert_eq!(doc["not_planned"][0]["covered_authorities"], 1);

    // A two-year term halves the value, which is then not more than £2m.
    let out = ok(
        &data,
        &[
            "pipeline",
            "--today",
            "2026-11-25",
            "--term-months",
            "24",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = &doc["planned_procurements"][0];
    assert_eq!(p["estimated_value"]["term_months"], 24);
    assert_eq!(
        p["estimated_value"]["pence"],
        p["estimated_value"]["annual_value_pence"].as_i64().unwrap() * 2
    );
    assert_eq!(p["statutory_basis"]["above_contract_threshold"], false);

    // Only waste collection: nothing to buy together.
    let out = ok(
        &data,
        &[
            "pipeline",
            "--category",
            "Waste collection",
            "--today",
            "2026-11-25",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["planned_procurements"], serde_json::json!([]));
}

#[test]
fn pipeline_csv_has_a_header_and_one_quoted_row_per_procurement() {
    let dir = tempfile::tempdir().unwrap();
    let data = register(dir.path());
    // CSV is the default format.
    let out = ok(&data, &["pipeline", "--today", "2026-11-25"]);
    let records = parse_csv(&out);
    assert_eq!(records.len(), 2, "{out}");
    let header = &records[0];
    assert!(records.iter().all(|r| r.len() == header.len()));
    let row = &records[1];
    let col = |name: &str| {
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
        row[i].as_str()
    };
    assert_eq!(col("category"), "Housing management systems");
    assert_eq!(col("authorities"), "GB-LAE-CMD;GB-LAE-HCK");
    assert_eq!(col("authority_count"), "2");
    assert_eq!(col("estimated_value_pence"), "320000000");
    assert_eq!(col("annual_value_pence"), "80000000");
    assert_eq!(col("term_months"), "48");
    assert_eq!(col("procurement_start"), "2026-11-25");
    assert_eq!(col("estimated_tender_notice_date"), "2027-02-25");
    assert_eq!(col("estimated_award_notice_date"), "2027-07-25");
    assert_eq!(col("agreement_start"), "2027-08-25");
    assert_eq!(col("agreement_end"), "2031-08-25");
    assert_eq!(col("statutory_basis"), "Procurement Act 2023 s.93");
    assert_eq!(col("notice"), "UK1");
    assert_eq!(col("pipeline_financial_years"), "2026-27");
    // The description holds commas, so it was quoted and survives whole.
    assert!(col("description").contains("(GB-LAE-CMD, GB-LAE-HCK)"));
    assert!(col("notes").contains("\"the contracting authority intends"));
}

#[test]
fn bench_plan_prints_each_phase_the_target_and_the_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = ok(
        &data,
        &[
            "bench",
            "plan",
            "--contracts",
            "20000",
            "--authorities",
            "40",
            "--today",
            "2026-11-25",
        ],
    );
    assert!(out.starts_with("consort bench plan: 20,000 contracts across 40 authorities"));
    for phase in ["generate", "group", "windows", "cohorts"] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{phase} ")))
            .unwrap_or_else(|| panic!("no {phase} line in {out}"));
        assert!(line.contains(" ms "), "{line}");
    }
    assert!(out.contains("target: 1000.0 ms"), "{out}");
    let ratio = out
        .lines()
        .find(|l| l.starts_with("ratio: "))
        .expect("a ratio line");
    let figure: f64 = ratio["ratio: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .expect("the ratio is a number");
    assert!(figure > 0.0);
    assert_eq!(
        out.contains("note: this is a debug build"),
        cfg!(debug_assertions)
    );
    // The benchmark needs no data: it leaves none behind.
    assert!(!data.exists());
}

#[test]
fn bad_input_is_one_error_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let data = register(dir.path());
    let cases: [(&[&str], &str); 8] = [
        (&["pipeline", "--term-months", "300000"], "--term-months"),
        (&["pipeline", "--term-months", "0"], "--term-months"),
        (&["pipeline", "--lead-months", "601"], "--lead-months"),
        (&["pipeline", "--format", "xml"], "--format: 'xml'"),
        (
            &["pipeline", "--today", "2026-13-01"],
            "--today: '2026-13-01'",
        ),
        (&["pipeline", "--consortium", "7"], "--consortium"),
        (
            &[
                "bench",
                "plan",
                "--contracts",
                "10",
                "--today",
                "2026-13-01",
            ],
            "--today",
        ),
        (
            &["bench", "plan", "--contracts", "10", "--authorities", "0"],
            "--authorities",
        ),
    ];
    for (args, expected) in cases {
        let line = one_line_error(&consort(&data, args));
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}
