//! `consort advise --scenario FILE.toml [--format md|json] [--today DATE]`: the
//! route-to-market advisor ([`consort_core::advisor`]) on a scenario file.
//!
//! The scenario is TOML; every field is documented on
//! [`consort_core::advisor::Scenario`] and examples ship in `examples/scenarios/`.
//! Dates may be TOML dates (`2027-04-01`) or strings (`"2027-04-01"`). A missing
//! or misspelt field, or a value that is not allowed, is a one-line error naming
//! the field and what is allowed, with a non-zero exit.
//!
//! Markdown (the default): the scenario, the ranking, then each route with its
//! score table, reasons, risks, timeline table and citations. JSON: the
//! [`consort_core::advisor::Advice`] document.

use anyhow::{Context, Result, anyhow};
use consort_core::advisor::{self, Scenario};
use jiff::civil::Date;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The arguments of `consort advise`.
#[derive(clap::Args, Debug, Clone)]
pub struct AdviseArgs {
    /// The scenario file (TOML): members and exit windows, go-live, value, needs,
    /// and any existing framework. See examples/scenarios/.
    #[arg(long, value_name = "FILE.toml")]
    pub scenario: PathBuf,
    /// md (Markdown) or json.
    #[arg(long, default_value = "md", value_name = "FORMAT")]
    pub format: String,
    /// Today's date (YYYY-MM-DD), the default start of the procurement. Default:
    /// today in Europe/London.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

/// Runs `consort advise`: prints the advice.
pub fn run(args: AdviseArgs) -> Result<ExitCode> {
    let today = match &args.today {
        Some(t) => parse_date(t)?,
        None => consort_core::time::london_date(jiff::Timestamp::now()),
    };
    let out = render(&args, today)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The output for `args` with `today`, or a one-line error.
pub fn render(args: &AdviseArgs, today: Date) -> Result<String> {
    let json = match args.format.trim() {
        "md" | "markdown" => false,
        "json" => true,
        other => {
            return Err(anyhow!(
                "--format: '{other}' is not a format: use md or json"
            ));
        }
    };
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("--scenario: cannot read {}", args.scenario.display()))?;
    let scenario =
        parse_scenario(&text).map_err(|e| anyhow!("{}: {e}", args.scenario.display()))?;
    let advice = advisor::advise(&scenario, today)
        .map_err(|e| anyhow!("{}: {e}", args.scenario.display()))?;
    Ok(if json {
        let mut s = serde_json::to_string_pretty(&advice)?;
        s.push('\n');
        s
    } else {
        advice.to_markdown()
    })
}

/// Parses a scenario; the error is one line naming the field (and, for an
/// unknown field or value, what is allowed).
pub fn parse_scenario(text: &str) -> Result<Scenario> {
    toml::from_str::<Scenario>(text)
        .map_err(|e| anyhow!("{}", e.message().trim().replace('\n', " ")))
}

/// A date written `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<Date> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| anyhow!("--today: '{s}' is not a date: use YYYY-MM-DD, e.g. 2026-12-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios")
    }

    fn args(file: PathBuf, format: &str) -> AdviseArgs {
        AdviseArgs {
            scenario: file,
            format: format.into(),
            today: None,
        }
    }

    #[test]
    fn markdown_and_json_for_every_example() {
        let today = jiff::civil::date(2026, 12, 1);
        for e in std::fs::read_dir(examples()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let md = render(&args(p.clone(), "md"), today).unwrap();
            assert!(
                md.starts_with("# Route-to-market advice"),
                "{}",
                p.display()
            );
            assert!(md.contains("| Criterion | Weight | Score |"));
            let json = render(&args(p.clone(), "json"), today).unwrap();
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(v["ranked"].as_array().unwrap().len(), 7);
        }
    }

    #[test]
    fn a_misspelt_field_names_it_and_what_is_allowed() {
        let text = "value_pence = 1\ngo_lvie = 2027-01-01\n[[members]]\nauthority = \"GB-LAE-CMD\"\nearliest = 2027-01-01\nlatest = 2027-02-01\n";
        let err = parse_scenario(text).unwrap_err().to_string();
        assert!(err.contains("go_lvie") && err.contains("go_live"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_bad_format_is_an_error() {
        let p = examples().join("below-threshold.toml");
        let err = render(&args(p, "html"), jiff::civil::date(2026, 12, 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("md or json"), "{err}");
    }
}
