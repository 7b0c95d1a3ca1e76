//! The `consort` command as an officer uses it: every case runs the real binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn consort(data: &std::path::Path, args: &[&str]) -> Output {
    consort_with(data, args, &[], None)
}

fn consort_with(
    data: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_consort"));
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CONSORT_LOG", "warn")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run consort");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("consort finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one line a failing command prints, checked to be a single `error:` line.
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

#[test]
fn organisations_are_added_listed_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = consort(
        &data,
        &[
            "org",
            "add",
            "--id",
            "gb-lae-cmd",
            "--name",
            "London Borough of Camden",
            "--kind",
            "authority",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("GB-LAE-CMD"));
    let o = consort(
        &data,
        &[
            "org",
            "add",
            "--id",
            "GB-COH-01234567",
            "--name",
            "Example Ltd",
            "--kind",
            "supplier",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let list = stdout(&consort(&data, &["org", "list"]));
    assert!(
        list.contains("GB-LAE-CMD") && list.contains("Example Ltd"),
        "{list}"
    );
    let dup = one_line_error(&consort(
        &data,
        &[
            "org",
            "add",
            "--id",
            "GB-LAE-CMD",
            "--name",
            "Again",
            "--kind",
            "authority",
        ],
    ));
    assert!(dup.contains("already exists"), "{dup}");
    let verify = consort(&data, &["audit", "verify"]);
    assert!(verify.status.success());
    assert_eq!(stdout(&verify).trim(), "OK 2 entries");
}

#[test]
fn bad_organisation_fields_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let e = one_line_error(&consort(
        &data,
        &[
            "org", "add", "--id", "camden", "--name", "Camden", "--kind", "council",
        ],
    ));
    assert!(e.contains("--id") && e.contains("--kind"), "{e}");
    assert!(
        !data.join("consort.db").exists(),
        "nothing was written for invalid input"
    );
}

#[test]
fn users_get_a_one_time_password_or_read_one_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(
        consort(
            &data,
            &[
                "org",
                "add",
                "--id",
                "GB-LAE-CMD",
                "--name",
                "Camden",
                "--kind",
                "authority"
            ]
        )
        .status
        .success()
    );
    let o = consort(
        &data,
        &[
            "user",
            "add",
            "--email",
            "buyer@camden.gov.uk",
            "--org",
            "GB-LAE-CMD",
            "--role",
            "buyer",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("a one-time password is printed");
    assert_eq!(pw.len(), 23, "{pw}");
    assert!(out.contains("must be changed"));
    let o = consort_with(
        &data,
        &[
            "user",
            "add",
            "--email",
            "eval@camden.gov.uk",
            "--org",
            "GB-LAE-CMD",
            "--role",
            "evaluator",
            "--password-stdin",
        ],
        &[],
        Some("a perfectly long password\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("one-time"));
    let short = consort_with(
        &data,
        &[
            "user",
            "add",
            "--email",
            "x@camden.gov.uk",
            "--org",
            "GB-LAE-CMD",
            "--role",
            "buyer",
            "--password-stdin",
        ],
        &[],
        Some("short\n"),
    );
    assert!(one_line_error(&short).contains("12 characters"));
    let grant = consort(
        &data,
        &[
            "user",
            "grant",
            "--email",
            "buyer@camden.gov.uk",
            "--org",
            "GB-LAE-CMD",
            "--role",
            "opener",
        ],
    );
    assert!(grant.status.success(), "{}", stderr(&grant));
}

#[test]
fn an_unknown_organisation_in_user_add_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let e = one_line_error(&consort(
        &data,
        &[
            "user",
            "add",
            "--email",
            "a@b.gov.uk",
            "--org",
            "GB-LAE-ZZZ",
            "--role",
            "buyer",
        ],
    ));
    assert!(e.contains("GB-LAE-ZZZ") && e.contains("org add"), "{e}");
    let e = one_line_error(&consort(
        &data,
        &[
            "user",
            "add",
            "--email",
            "a@b.gov.uk",
            "--org",
            "GB-LAE-ZZZ",
            "--role",
            "boss",
        ],
    ));
    assert!(e.contains("--role"), "{e}");
    assert_eq!(
        stdout(&consort(&data, &["audit", "verify"])).trim(),
        "OK 0 entries",
        "nothing half-written"
    );
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for url in ["not a url", "mysql://localhost/db", "postgres:///nohost"] {
        let o = consort_with(&data, &["org", "list"], &[("DATABASE_URL", url)], None);
        let e = one_line_error(&o);
        assert!(e.contains("DATABASE_URL"), "{url}: {e}");
    }
    assert!(
        !data.exists(),
        "a bad DATABASE_URL creates no data directory"
    );
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback refuses connections at once.
    let o = consort_with(
        &dir.path().join("d"),
        &["org", "list"],
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/consort")],
        None,
    );
    let e = one_line_error(&o);
    assert!(
        e.contains("cannot reach the database at 127.0.0.1:1"),
        "{e}"
    );
}

#[test]
fn an_unwritable_data_directory_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let o = consort(&file.join("data"), &["org", "list"]);
    let e = one_line_error(&o);
    assert!(e.contains("data directory") && e.contains("--data"), "{e}");
}

#[test]
fn a_port_in_use_is_one_clear_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = consort(&data, &["serve", "--bind", &addr, "--demo"]);
    let e = one_line_error(&o);
    assert!(e.contains("already in use") && e.contains("--bind"), "{e}");
    assert!(!data.exists(), "nothing was written");
}

#[test]
fn audit_verify_names_the_first_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (id, name) in [
        ("GB-LAE-CMD", "Camden"),
        ("GB-LAE-HCK", "Hackney"),
        ("GB-LAE-ISL", "Islington"),
    ] {
        assert!(
            consort(
                &data,
                &[
                    "org",
                    "add",
                    "--id",
                    id,
                    "--name",
                    name,
                    "--kind",
                    "authority"
                ]
            )
            .status
            .success()
        );
    }
    assert_eq!(
        stdout(&consort(&data, &["audit", "verify"])).trim(),
        "OK 3 entries"
    );
    // Someone with the database file removes the guard trigger and edits entry 2.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", data.join("consort.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("DROP TRIGGER audit_log_is_append_only_update").execute(&pool).await.unwrap();
        sqlx::query("UPDATE audit_log SET payload = replace(payload, 'Hackney', 'Hackney Council') WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let o = consort(&data, &["audit", "verify"]);
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("entry 2 does not match"), "{out}");
}

#[test]
fn consortia_are_created_and_joined_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (id, kind) in [
        ("GB-LAE-CMD", "authority"),
        ("GB-COH-ZZ000100", "coordinator"),
    ] {
        assert!(
            consort(
                &data,
                &["org", "add", "--id", id, "--name", id, "--kind", kind]
            )
            .status
            .success()
        );
    }
    let o = consort(
        &data,
        &[
            "consortium",
            "create",
            "--name",
            "London Housing",
            "--coordinator",
            "GB-COH-ZZ000100",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        consort(
            &data,
            &[
                "consortium",
                "join",
                "--consortium",
                "1",
                "--org",
                "GB-LAE-CMD"
            ]
        )
        .status
        .success()
    );
    let e = one_line_error(&consort(
        &data,
        &[
            "consortium",
            "join",
            "--consortium",
            "1",
            "--org",
            "GB-LAE-CMD",
        ],
    ));
    assert!(e.contains("already a member"), "{e}");
    assert!(stdout(&consort(&data, &["consortium", "list"])).contains("GB-LAE-CMD"));
    assert!(
        consort(
            &data,
            &[
                "consortium",
                "leave",
                "--consortium",
                "1",
                "--org",
                "GB-LAE-CMD"
            ]
        )
        .status
        .success()
    );
    assert_eq!(
        stdout(&consort(&data, &["audit", "verify"])).trim(),
        "OK 5 entries"
    );
}

#[test]
fn the_clock_prints_the_last_day_first_and_its_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = consort(
        &data,
        &[
            "clock",
            "standstill",
            "--regime",
            "pa2023",
            "--from",
            "2026-11-25",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().next(), Some("2026-12-07"), "{out}");
    assert!(
        out.contains("St Andrew's Day") && out.contains("s.123"),
        "{out}"
    );
    let o = consort(
        &data,
        &[
            "clock",
            "standstill",
            "--regime",
            "pcr2015",
            "--from",
            "2026-12-23",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["last_day"], "2027-01-04");
    assert!(
        json["deadline"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-05T00:00:00+00:00")
    );
    for (args, expected) in [
        (
            vec![
                "clock",
                "dps-assessment",
                "--regime",
                "pa2023",
                "--from",
                "2026-01-05",
            ],
            "no dps-assessment",
        ),
        (
            vec![
                "clock",
                "standstill",
                "--regime",
                "eu",
                "--from",
                "2026-01-05",
            ],
            "--regime",
        ),
        (
            vec![
                "clock",
                "standstill",
                "--regime",
                "pa2023",
                "--from",
                "2031-01-01",
            ],
            "2019 to 2028",
        ),
        (
            vec![
                "clock",
                "holiday",
                "--regime",
                "pa2023",
                "--from",
                "2026-01-05",
            ],
            "standstill",
        ),
    ] {
        let e = one_line_error(&consort(&data, &args));
        assert!(e.contains(expected), "{args:?}: {e}");
    }
}

#[test]
fn timelines_and_advice_work_from_the_command_line_and_name_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = consort(
        &data,
        &[
            "timeline",
            "--route",
            "open-procedure",
            "--regime",
            "pa2023",
            "--start",
            "2026-03-02",
            "--go-live",
            "2027-09-01",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(t["milestones"].as_array().is_some_and(|m| m.len() >= 4));
    assert!(t["latest_start"].is_string());
    let e = one_line_error(&consort(
        &data,
        &[
            "timeline",
            "--route",
            "nope",
            "--regime",
            "pa2023",
            "--start",
            "2026-01-05",
        ],
    ));
    assert!(e.contains("dynamic-market"), "{e}");

    let scenarios =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let housing = scenarios.join("london-housing-cohort.toml");
    let o = consort(
        &data,
        &[
            "advise",
            "--scenario",
            housing.to_str().unwrap(),
            "--today",
            "2026-11-25",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let advice: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(advice["ranked"].as_array().unwrap().len(), 7);
    let o = consort(
        &data,
        &[
            "advise",
            "--scenario",
            housing.to_str().unwrap(),
            "--today",
            "2026-11-25",
        ],
    );
    assert!(stdout(&o).starts_with("# "), "markdown by default");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "title = \"x\"\nvalue_pence = 100\nmembrs = []\n").unwrap();
    let e = one_line_error(&consort(
        &data,
        &["advise", "--scenario", bad.to_str().unwrap()],
    ));
    assert!(e.contains("membrs") && e.contains("members"), "{e}");
}
