//! `consort import contracts` and `consort plan` as an officer uses them: every
//! case runs the real binary over its own data directory.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NORFOLK_ROWS: usize = 5_729;
const NORFOLK_REJECTED: usize = 905;
const NORFOLK_VALID: usize = 4_824;

fn consort(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_consort"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CONSORT_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run consort")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "expected success, got {:?}: {}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

/// The one line a failing command prints, checked to be a single `error:` line.
#[track_caller]
fn one_line_error(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "expected failure, got success: {}",
        stdout(o)
    );
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected in: {err}");
    lines[0].to_string()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../consort-core/tests/data/registers")
        .join(name)
}

fn norfolk() -> PathBuf {
    fixture("norfolk-county-council-NCC164467.csv")
}

/// A store with these authorities, in a temporary directory.
struct Store {
    _dir: tempfile::TempDir,
    data: PathBuf,
    root: PathBuf,
}

impl Store {
    fn with_authorities(ids: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        for (id, name) in ids {
            ok(&consort(
                &data,
                &[
                    "org",
                    "add",
                    "--id",
                    id,
                    "--name",
                    name,
                    "--kind",
                    "authority",
                ],
            ));
        }
        Self {
            root: dir.path().to_path_buf(),
            _dir: dir,
            data,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        consort(&self.data, args)
    }

    /// Writes a file next to the data directory and returns its path.
    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn import(&self, file: &Path, authority: &str, flags: &[&str]) -> Output {
        let mut args = vec![
            "import",
            "contracts",
            file.to_str().unwrap(),
            "--authority",
            authority,
        ];
        args.extend_from_slice(flags);
        self.run(&args)
    }

    /// The audit log's length, from `consort audit verify`.
    fn audit_entries(&self) -> usize {
        let out = ok(&self.run(&["audit", "verify"]));
        out.trim()
            .strip_prefix("OK ")
            .and_then(|r| r.strip_suffix(" entries"))
            .unwrap_or_else(|| panic!("audit verify said {out}"))
            .parse()
            .unwrap()
    }

    fn plan_json(&self, extra: &[&str]) -> Value {
        let mut args = vec!["plan", "--format", "json", "--today", "2026-11-25"];
        args.extend_from_slice(extra);
        let out = ok(&self.run(&args));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// How many contracts the store holds: every one is planned or skipped.
    fn contract_count(&self) -> usize {
        let plan = self.plan_json(&[]);
        let planned: u64 = plan["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["contract_count"].as_u64().unwrap())
            .sum();
        planned as usize + plan["skipped"].as_array().unwrap().len()
    }
}

// ---------------------------------------------------------------------------
// Importing the real Norfolk register
// ---------------------------------------------------------------------------

#[test]
fn a_register_with_bad_rows_imports_nothing_and_lists_every_rejected_row() {
    let store = Store::with_authorities(&[("GB-LAE-NFK", "Norfolk County Council")]);
    let audit = store.audit_entries();
    let o = store.import(&norfolk(), "GB-LAE-NFK", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let error = one_line_error(&o);
    assert!(
        error.contains(&format!("{NORFOLK_REJECTED} rows were rejected"))
            && error.contains("nothing was imported"),
        "{error}"
    );
    assert!(
        error.contains("--skip-invalid"),
        "says how to go on: {error}"
    );
    let err = stderr(&o);
    let rejected: Vec<&str> = err
        .lines()
        .filter(|l| l.trim_start().starts_with("rejected: line "))
        .collect();
    assert_eq!(
        rejected.len(),
        NORFOLK_REJECTED,
        "every rejected row listed"
    );
    assert!(
        err.contains(
            r#"rejected: line 295, column "Contract value": a value cannot be negative: '(3728)'"#
        ),
        "{}",
        rejected[..5].join("\n")
    );
    assert!(
        rejected
            .iter()
            .any(|l| l.contains("a contract needs a reference")),
        "missing references are reported"
    );
    assert!(
        rejected
            .iter()
            .any(|l| l.contains("already appears on line")),
        "duplicate references are reported"
    );
    assert!(
        err.contains(&format!(
            "{NORFOLK_VALID} valid rows, {NORFOLK_REJECTED} rejected"
        )),
        "{}",
        err.lines().next().unwrap_or("")
    );
    assert!(err.contains("windows-1252"), "the encoding is reported");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert_eq!(store.contract_count(), 0, "nothing saved");
    assert_eq!(store.audit_entries(), audit, "nothing audited");
}

#[test]
fn skipping_invalid_rows_imports_the_valid_ones_once_and_exits_with_status_2() {
    let store = Store::with_authorities(&[("GB-LAE-NFK", "Norfolk County Council")]);
    let audit = store.audit_entries();

    // A dry run first: reports, saves nothing.
    let o = store.import(&norfolk(), "GB-LAE-NFK", &["--dry-run", "--skip-invalid"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        format!(
            "dry run: would add {NORFOLK_VALID}, update 0, leave 0 unchanged; nothing was saved"
        )
    );
    assert_eq!(store.contract_count(), 0);
    assert_eq!(store.audit_entries(), audit);

    let o = store.import(&norfolk(), "GB-LAE-NFK", &["--skip-invalid"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "some rows were rejected: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("error:"), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        format!(
            "imported norfolk-county-council-NCC164467.csv for GB-LAE-NFK: {NORFOLK_VALID} added, 0 updated, 0 unchanged; {NORFOLK_REJECTED} rows rejected and not imported"
        )
    );
    assert_eq!(
        stderr(&o)
            .lines()
            .filter(|l| l.trim_start().starts_with("rejected: line "))
            .count(),
        NORFOLK_REJECTED
    );
    assert_eq!(store.contract_count(), NORFOLK_VALID);
    assert_eq!(NORFOLK_VALID + NORFOLK_REJECTED, NORFOLK_ROWS);
    assert_eq!(
        store.audit_entries(),
        audit + 1,
        "one register.imported entry"
    );

    // Again: nothing changes, nothing is audited.
    let o = store.import(&norfolk(), "GB-LAE-NFK", &["--skip-invalid"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("0 added, 0 updated, {NORFOLK_VALID} unchanged")),
        "{out}"
    );
    assert_eq!(store.contract_count(), NORFOLK_VALID);
    assert_eq!(store.audit_entries(), audit + 1);

    // A dry run now finds nothing to do.
    let o = store.import(&norfolk(), "GB-LAE-NFK", &["--dry-run", "--skip-invalid"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains(&format!(
            "would add 0, update 0, leave {NORFOLK_VALID} unchanged"
        )),
        "{}",
        stdout(&o)
    );

    // The plan reads Norfolk's own category labels.
    let plan = store.plan_json(&[]);
    let categories = plan["categories"].as_array().unwrap();
    assert!(
        categories
            .iter()
            .any(|c| c["category"] == "Adult care - day care/community support/support into work"),
        "Norfolk's category labels are planned"
    );
    for c in categories {
        assert_eq!(c["authority_count"], 1);
        for cohort in c["cohorts"].as_array().unwrap() {
            assert_eq!(cohort["authorities"], serde_json::json!(["GB-LAE-NFK"]));
        }
    }
}

#[test]
fn a_dry_run_without_skip_invalid_fails_like_the_import_would() {
    let store = Store::with_authorities(&[("GB-LAE-NFK", "Norfolk County Council")]);
    let audit = store.audit_entries();
    let o = store.import(&norfolk(), "GB-LAE-NFK", &["--dry-run"]);
    let error = one_line_error(&o);
    assert!(error.contains("nothing was imported"), "{error}");
    assert_eq!(store.contract_count(), 0);
    assert_eq!(store.audit_entries(), audit);
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

#[test]
fn bad_authorities_and_files_give_one_clear_error_and_save_nothing() {
    let store = Store::with_authorities(&[("GB-LAE-CMD", "London Borough of Camden")]);
    ok(&store.run(&[
        "org",
        "add",
        "--id",
        "GB-COH-01234567",
        "--name",
        "Example Ltd",
        "--kind",
        "supplier",
    ]));
    let good = store.file(
        "good.csv",
        b"Reference,Title,End Date\nCMD-1,Lift maintenance,31/03/2028\n",
    );
    let audit = store.audit_entries();

    let cases: Vec<(&str, PathBuf, &str, &[&str])> = vec![
        (
            "an authority not in the store",
            good.clone(),
            "GB-LAE-ZZZ",
            &[
                "no organisation has identifier GB-LAE-ZZZ",
                "consort org add",
            ],
        ),
        (
            "an authority that is not an identifier",
            good.clone(),
            "camden",
            &["--authority"],
        ),
        (
            "a supplier",
            good.clone(),
            "GB-COH-01234567",
            &["not a contracting authority"],
        ),
        (
            "a missing file",
            store.root.join("no-such-file.csv"),
            "GB-LAE-CMD",
            &["cannot read", "no-such-file.csv"],
        ),
        (
            "a PDF named .csv",
            fixture("actually-a-pdf.csv"),
            "GB-LAE-CMD",
            &["not a CSV file", "PDF"],
        ),
        (
            "a directory",
            store.root.clone(),
            "GB-LAE-CMD",
            &["cannot read"],
        ),
    ];
    for (what, file, authority, says) in &cases {
        for flags in [&[][..], &["--skip-invalid"][..]] {
            let o = store.import(file, authority, flags);
            let error = one_line_error(&o);
            for s in *says {
                assert!(error.contains(s), "{what} {flags:?}: '{s}' not in {error}");
            }
            assert_ne!(o.status.code(), Some(0));
            assert_eq!(store.audit_entries(), audit, "{what}: nothing audited");
            assert_eq!(store.contract_count(), 0, "{what}: nothing saved");
        }
    }
    // The good file does import, so the failures above were about the input.
    let o = store.import(&good, "GB-LAE-CMD", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(store.contract_count(), 1);
}

/// `--dry-run` checks the file but not the authority: for a supplier it says
/// the rows "would" be added, when the real import refuses them.
#[test]
fn a_dry_run_for_an_organisation_with_no_register_fails_like_the_import() {
    let store = Store::with_authorities(&[]);
    ok(&store.run(&[
        "org",
        "add",
        "--id",
        "GB-COH-01234567",
        "--name",
        "Example Ltd",
        "--kind",
        "supplier",
    ]));
    let good = store.file(
        "good.csv",
        b"Reference,Title,End Date\nS-1,Lift maintenance,31/03/2028\n",
    );
    let real = one_line_error(&store.import(&good, "GB-COH-01234567", &[]));
    assert!(real.contains("not a contracting authority"), "{real}");
    let dry = store.import(&good, "GB-COH-01234567", &["--dry-run"]);
    let error = one_line_error(&dry);
    assert!(error.contains("not a contracting authority"), "{error}");
}

#[test]
fn rows_with_bad_dates_values_or_extensions_are_each_reported() {
    let store = Store::with_authorities(&[("GB-LAE-CMD", "London Borough of Camden")]);
    let file = store.file(
        "bad.csv",
        "Reference,Title,Start Date,End Date,Annual Value,Extension Options\n\
         CMD-1,Good,01/04/2024,31/03/2028,£95k,1+1\n\
         CMD-2,Backwards,01/01/2026,01/01/2025,,\n\
         CMD-3,Negative,01/01/2024,01/01/2028,-5,\n\
         CMD-4,Unreadable option,01/01/2024,01/01/2028,,forever\n"
            .as_bytes(),
    );
    let audit = store.audit_entries();
    let o = store.import(&file, "GB-LAE-CMD", &[]);
    let error = one_line_error(&o);
    assert!(error.contains("3 rows were rejected"), "{error}");
    let err = stderr(&o);
    for line in [3, 4, 5] {
        assert!(
            err.contains(&format!("rejected: line {line}, column ")),
            "line {line} with its column: {err}"
        );
    }
    assert!(!err.contains("rejected: line 2,"), "{err}");
    assert_eq!(store.contract_count(), 0);
    assert_eq!(store.audit_entries(), audit);

    let o = store.import(&file, "GB-LAE-CMD", &["--skip-invalid"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("1 added, 0 updated, 0 unchanged; 3 rows rejected"),
        "{}",
        stdout(&o)
    );
    assert_eq!(store.contract_count(), 1);
}

/// "1 rows were rejected": the message does not agree in number.
#[test]
fn one_rejected_row_is_reported_as_one_row() {
    let store = Store::with_authorities(&[("GB-LAE-CMD", "London Borough of Camden")]);
    let file = store.file(
        "bad.csv",
        b"Reference,Title,Start Date,End Date\nCMD-1,Good,01/04/2024,31/03/2028\nCMD-2,Backwards,01/01/2026,01/01/2025\n",
    );
    let error = one_line_error(&store.import(&file, "GB-LAE-CMD", &[]));
    assert!(error.contains("1 row was rejected"), "{error}");
}

// ---------------------------------------------------------------------------
// consort plan
// ---------------------------------------------------------------------------

/// Three boroughs' small registers: two housing systems whose windows overlap,
/// one that ends long after, a waste contract and one with no category.
fn planned_store() -> Store {
    let store = Store::with_authorities(&[
        ("GB-LAE-CMD", "London Borough of Camden"),
        ("GB-LAE-HCK", "London Borough of Hackney"),
        ("GB-LAE-ISL", "London Borough of Islington"),
    ]);
    let camden = store.file(
        "camden.csv",
        "Reference,Title,Supplier,Category,Start Date,End Date,Extension Options,Annual Value\n\
         CMD-HMS-1,Housing management system,Example Housing Systems Ltd,Housing management system,01/04/2022,31/03/2028,12 months,£400k\n\
         CMD-WST-1,Refuse collection,Model Services Ltd,Waste collection,01/07/2019,30/06/2027,,£9m\n\
         CMD-MISC-1,Stationery,Paper Ltd,,01/01/2024,31/12/2027,,£5k\n"
            .as_bytes(),
    );
    let hackney = store.file(
        "hackney.csv",
        "Ref,Title,Category,Start Date,Expiry Date,Extension Period,Estimated Annual Spend\n\
         HCK-HMS-1,Integrated housing IT system,Housing management system,1 October 2021,30 September 2028,1+1,\"350,000\"\n"
            .as_bytes(),
    );
    let islington = store.file(
        "islington.csv",
        "Reference,Title,Category,Start Date,End Date,Annual Value\n\
         ISL-HMS-1,Housing system,Housing management system,2030-02-01,2040-01-31,300000\n"
            .as_bytes(),
    );
    for (file, org) in [
        (&camden, "GB-LAE-CMD"),
        (&hackney, "GB-LAE-HCK"),
        (&islington, "GB-LAE-ISL"),
    ] {
        let o = store.import(file, org, &[]);
        assert_eq!(o.status.code(), Some(0), "{org}: {}", stderr(&o));
    }
    store
}

fn is_date(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 10
        && s.as_bytes().iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && s.parse::<jiff::civil::Date>().is_ok()
}

fn date(v: &Value) -> jiff::civil::Date {
    v.as_str().unwrap().parse().unwrap()
}

fn months(n: i64) -> jiff::Span {
    jiff::Span::new().months(n)
}

fn category<'a>(plan: &'a Value, label: &str) -> &'a Value {
    plan["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == label)
        .unwrap_or_else(|| panic!("no category {label} in {plan:#}"))
}

#[test]
fn the_json_plan_has_every_documented_field_with_iso_dates() {
    let store = planned_store();
    let plan = store.plan_json(&[]);
    assert_eq!(plan["today"], "2026-11-25");
    let p = &plan["parameters"];
    assert_eq!(p["term_months"], 48);
    assert_eq!(p["lead_months"], 9);
    assert_eq!(p["mobilisation_months"], 12);

    let labels: Vec<&str> = plan["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Housing management system", "Waste collection"]);
    let skipped = plan["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["reference"], "CMD-MISC-1");
    assert_eq!(skipped[0]["reason"], "no category");

    let hms = category(&plan, "Housing management system");
    assert_eq!(hms["contract_count"], 3);
    assert_eq!(hms["authority_count"], 3);
    let cohorts = hms["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 2, "{cohorts:#?}");
    assert_eq!(hms["cohort_count"], 2);
    for c in cohorts {
        for field in [
            "authorities",
            "from",
            "to",
            "contracts",
            "annual_value_pence",
        ] {
            assert!(!c[field].is_null(), "cohort field {field}");
        }
        assert!(is_date(&c["from"]) && is_date(&c["to"]), "{c}");
        assert!(date(&c["from"]) <= date(&c["to"]));
    }
    // Best first: the two boroughs whose windows overlap.
    let best = &cohorts[0];
    assert_eq!(
        best["authorities"],
        serde_json::json!(["GB-LAE-CMD", "GB-LAE-HCK"])
    );
    assert_eq!(
        best["contracts"],
        serde_json::json!(["CMD-HMS-1", "HCK-HMS-1"])
    );
    // Camden can go from 31/03/2028 to 31/03/2029 (one 12-month option);
    // Hackney from 30/09/2028 to 30/09/2030 (1+1).
    assert_eq!(best["from"], "2028-09-30");
    assert_eq!(best["to"], "2029-03-31");
    assert_eq!(best["annual_value_pence"], 75_000_000);
    assert_eq!(cohorts[1]["authorities"], serde_json::json!(["GB-LAE-ISL"]));
    assert_eq!(cohorts[1]["from"], "2040-01-31");

    let a = &hms["agreement"];
    for field in ["start", "end", "procurement_start"] {
        assert!(is_date(&a[field]), "agreement {field}: {a}");
    }
    let (start, end, procure) = (
        date(&a["start"]),
        date(&a["end"]),
        date(&a["procurement_start"]),
    );
    let today: jiff::civil::Date = "2026-11-25".parse().unwrap();
    assert!(
        start >= today.checked_add(months(9)).unwrap(),
        "no earlier than today plus the lead time: {start}"
    );
    assert_eq!(end, start.checked_add(months(48)).unwrap());
    assert_eq!(procure, start.checked_sub(months(9)).unwrap().max(today));
    let covered: Vec<&str> = a["covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["authority"].as_str().unwrap())
        .collect();
    assert_eq!(covered, ["GB-LAE-CMD", "GB-LAE-HCK"]);
    let not_covered = a["not_covered"].as_array().unwrap();
    assert_eq!(not_covered.len(), 1);
    assert_eq!(not_covered[0]["authority"], "GB-LAE-ISL");
    let reason = not_covered[0]["reason"].as_str().unwrap();
    assert!(
        reason.len() > 10 && reason.contains("20"),
        "a reason with dates: {reason}"
    );

    let waste = category(&plan, "Waste collection");
    assert_eq!(waste["authority_count"], 1);
    assert_eq!(
        waste["agreement"]["covered"].as_array().unwrap().len()
            + waste["agreement"]["not_covered"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn plan_options_filter_and_move_the_plan() {
    let store = planned_store();
    let plan = store.plan_json(&["--category", "Waste collection"]);
    let labels: Vec<&Value> = plan["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["category"])
        .collect();
    assert_eq!(labels, ["Waste collection"]);

    let base = store.plan_json(&["--category", "Housing management system"]);
    let later = {
        let out = ok(&store.run(&[
            "plan",
            "--format",
            "json",
            "--today",
            "2028-06-01",
            "--category",
            "Housing management system",
        ]));
        serde_json::from_str::<Value>(&out).unwrap()
    };
    assert_eq!(later["today"], "2028-06-01");
    let (a, b) = (
        &base["categories"][0]["agreement"],
        &later["categories"][0]["agreement"],
    );
    assert_ne!(a["start"], b["start"], "a later today moves the agreement");
    let later_today: jiff::civil::Date = "2028-06-01".parse().unwrap();
    assert!(date(&b["start"]) >= later_today.checked_add(months(9)).unwrap());
    assert!(
        b["not_covered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["authority"] == "GB-LAE-CMD"),
        "Camden's contract can no longer be replaced in time: {b:#}"
    );

    let short = store.plan_json(&[
        "--category",
        "Housing management system",
        "--term-months",
        "24",
        "--lead-months",
        "6",
    ]);
    assert_eq!(short["parameters"]["term_months"], 24);
    assert_eq!(short["parameters"]["lead_months"], 6);
    let s = &short["categories"][0]["agreement"];
    assert_eq!(
        date(&s["end"]),
        date(&s["start"]).checked_add(months(24)).unwrap()
    );

    // Only one consortium's members.
    ok(&store.run(&[
        "org",
        "add",
        "--id",
        "GB-COH-ZZ000100",
        "--name",
        "Partnership",
        "--kind",
        "coordinator",
    ]));
    let out = ok(&store.run(&[
        "consortium",
        "create",
        "--name",
        "Two boroughs",
        "--coordinator",
        "GB-COH-ZZ000100",
    ]));
    let id = out
        .split_whitespace()
        .nth(2)
        .unwrap()
        .trim_end_matches(':')
        .to_string();
    for org in ["GB-LAE-HCK", "GB-LAE-ISL"] {
        ok(&store.run(&["consortium", "join", "--consortium", &id, "--org", org]));
    }
    let members = store.plan_json(&["--consortium", &id]);
    let hms = category(&members, "Housing management system");
    assert_eq!(hms["authority_count"], 2);
    assert!(
        members["categories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["category"] != "Waste collection"),
        "Camden's waste contract is not a member's"
    );
}

#[test]
fn plan_as_csv_and_as_a_table() {
    let store = planned_store();
    let out = ok(&store.run(&["plan", "--format", "csv", "--today", "2026-11-25"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "category,kind,rank,from,to,authority_count,authorities,contracts,annual_value_pence,procurement_start,not_covered"
    );
    // Two housing cohorts and an agreement; one waste cohort and an agreement.
    assert_eq!(lines.len(), 1 + 3 + 2, "{out}");
    assert!(lines.iter().any(|l| l.starts_with(
        "\"Housing management system\",joint,1,2028-09-30,2029-03-31,2,\"GB-LAE-CMD;GB-LAE-HCK\",\"CMD-HMS-1;HCK-HMS-1\",75000000"
    )), "{out}");
    let agreement = lines
        .iter()
        .find(|l| l.starts_with("\"Housing management system\",agreement,"))
        .unwrap();
    assert!(agreement.contains("GB-LAE-ISL: "), "{agreement}");

    let out = ok(&store.run(&["plan", "--today", "2026-11-25"]));
    assert!(out.starts_with("Plan from 2026-11-25"), "{out}");
    assert!(
        out.contains("Housing management system — 3 contracts, 3 authorities, 2 joint cohorts")
    );
    assert!(out.contains("Shared agreement: "));
    assert!(out.contains("not covered: GB-LAE-ISL"));
    assert!(out.contains("CMD-MISC-1: no category"));
    let same = ok(&store.run(&["plan", "--format", "table", "--today", "2026-11-25"]));
    assert_eq!(same, out, "table is the default");
}

#[test]
fn bad_plan_options_give_one_clear_error_line() {
    let store = planned_store();
    for (args, says) in [
        (&["--format", "xml"][..], "--format: 'xml' is not a format"),
        (
            &["--today", "31/12/2026"][..],
            "--today: '31/12/2026' is not a date",
        ),
        (
            &["--today", "2026-02-30"][..],
            "--today: '2026-02-30' is not a date",
        ),
        (
            &["--category", "No such thing"][..],
            "--category: no contract is in the category 'No such thing'",
        ),
        (
            &["--consortium", "99"][..],
            "--consortium: there is no consortium number 99",
        ),
    ] {
        let mut all = vec!["plan"];
        all.extend_from_slice(args);
        if !args.contains(&"--today") {
            all.extend_from_slice(&["--today", "2026-11-25"]);
        }
        let o = store.run(&all);
        let error = one_line_error(&o);
        assert!(error.contains(says), "{args:?}: {error}");
        assert!(stdout(&o).is_empty(), "{args:?} printed {}", stdout(&o));
    }
    // Numbers clap cannot read are refused before anything runs.
    let o = store.run(&["plan", "--term-months", "abc"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--term-months"), "{}", stderr(&o));
}

/// The dry run treats a row whose only change is its category as unchanged
/// (`same_but_category`), but the import itself replaces the stored category
/// with the file's and counts the row as updated: the dry run must say what the
/// import will do.
#[test]
fn a_dry_run_reports_a_changed_category_as_the_import_does() {
    let store = Store::with_authorities(&[("GB-LAE-CMD", "London Borough of Camden")]);
    let first = store.file(
        "first.csv",
        b"Reference,Title,Category,End Date\nCMD-1,Housing system,HMS,31/03/2028\n",
    );
    let second = store.file(
        "second.csv",
        b"Reference,Title,Category,End Date\nCMD-1,Housing system,Housing IT,31/03/2028\n",
    );
    ok(&store.import(&first, "GB-LAE-CMD", &[]));
    let dry = ok(&store.import(&second, "GB-LAE-CMD", &["--dry-run"]));
    let real = ok(&store.import(&second, "GB-LAE-CMD", &[]));
    assert!(real.contains("0 added, 1 updated, 0 unchanged"), "{real}");
    assert_eq!(
        dry.trim(),
        "dry run: would add 0, update 1, leave 0 unchanged; nothing was saved",
        "the import then said: {real}"
    );
}

/// Month counts beyond what a date can hold crash the planner (a panic in
/// `Span::Months(..).before`/`after`, crates/consort-core/src/register/mod.rs
/// lines 111 and 119) instead of giving a clear error.
#[test]
fn month_counts_too_large_for_a_date_give_one_clear_error_not_a_panic() {
    let store = planned_store();
    for option in ["--term-months", "--lead-months", "--mobilisation-months"] {
        let o = store.run(&["plan", option, "300000", "--today", "2026-11-25"]);
        assert_ne!(
            o.status.code(),
            Some(101),
            "{option} 300000 panicked: {}",
            stderr(&o)
        );
        let error = one_line_error(&o);
        assert!(error.contains(option), "{option}: {error}");
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

/// Every field of `consort plan --format json` is documented in docs/ (the
/// command's help and crates/consort/src/plan.rs point to docs/planner-json.md).
#[test]
fn every_field_of_the_json_plan_is_documented() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/planner-json.md");
    let doc = std::fs::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", doc_path.display()));
    let store = planned_store();
    let plan = store.plan_json(&[]);
    let mut keys = std::collections::BTreeSet::new();
    fn collect(v: &Value, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    keys.insert(k.clone());
                    collect(v, keys);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, keys)),
            _ => {}
        }
    }
    collect(&plan, &mut keys);
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(missing.is_empty(), "not documented: {missing:?}");
}
