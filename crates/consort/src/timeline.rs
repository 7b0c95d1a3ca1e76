//! `consort timeline --route ROUTE --regime pa2023|pcr2015 --start DATE
//! [--go-live DATE] [--format table|json]`: a route's milestones with their
//! earliest lawful date (the statutory minimum) and a typical date (realistic
//! durations, with their sources), and given a go-live date the latest start.
//!
//! Every error is one line naming what is allowed, and the exit status is non-zero.

use anyhow::{Result, anyhow};
use consort_core::calendar::{CalendarError, Regime};
use consort_core::timeline::{Route, Timeline, TimelineError, timeline};
use jiff::civil::Date;
use std::io::Write;
use std::process::ExitCode;

/// The arguments of `consort timeline`.
#[derive(clap::Args, Debug, Clone)]
pub struct TimelineArgs {
    /// existing-framework-direct-award, existing-framework-further-competition,
    /// own-framework, open-framework, dynamic-market, open-procedure or
    /// competitive-flexible.
    #[arg(long, value_name = "ROUTE")]
    pub route: String,
    /// pa2023 (Procurement Act 2023) or pcr2015 (Public Contracts Regulations 2015).
    #[arg(long, value_name = "REGIME")]
    pub regime: String,
    /// The day the procurement begins (YYYY-MM-DD): the tender, contract or dynamic
    /// market notice, or the call-off invitation.
    #[arg(long, value_name = "DATE")]
    pub start: String,
    /// The go-live date to reach (YYYY-MM-DD): adds the latest start.
    #[arg(long, value_name = "DATE")]
    pub go_live: Option<String>,
    /// table or json.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
}

/// Runs `consort timeline`: prints the timeline.
pub fn run(args: TimelineArgs) -> Result<ExitCode> {
    let out = render(&args)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The output for `args`, or a one-line error naming what is allowed.
pub fn render(args: &TimelineArgs) -> Result<String> {
    let route: Route = args.route.parse().map_err(|e| anyhow!("--route: {e}"))?;
    let regime: Regime = args.regime.parse().map_err(|e| anyhow!("--regime: {e}"))?;
    let start = parse_date("--start", &args.start)?;
    let go_live = args
        .go_live
        .as_deref()
        .map(|s| parse_date("--go-live", s))
        .transpose()?;
    let json = match args.format.trim() {
        "table" => false,
        "json" => true,
        other => {
            return Err(anyhow!(
                "--format: '{other}' is not a format: use table or json"
            ));
        }
    };
    let t = timeline(route, regime, start, go_live).map_err(|e| match e {
        TimelineError::Calendar(
            CalendarError::OutsideData { .. } | CalendarError::RunsPastData { .. },
        )
        | TimelineError::NotAvailable { .. } => anyhow!("--start: {e}"),
        other => anyhow!("{other}"),
    })?;
    Ok(if json {
        let mut s = serde_json::to_string_pretty(&t).expect("a timeline always serialises");
        s.push('\n');
        s
    } else {
        table(&t, go_live)
    })
}

/// A date written `YYYY-MM-DD`, and a real one.
fn parse_date(flag: &str, s: &str) -> Result<Date> {
    let t = s.trim();
    let b = t.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return Err(anyhow!(
            "{flag}: '{s}' is not a date: use YYYY-MM-DD, e.g. 2026-11-25"
        ));
    }
    t.parse::<Date>().map_err(|_| {
        anyhow!("{flag}: '{s}' is not a day of the calendar: use YYYY-MM-DD, e.g. 2026-11-25")
    })
}

/// The table: a header, one row per milestone with its bases, then the notes.
fn table(t: &Timeline, go_live: Option<Date>) -> String {
    let mut out = format!(
        "{} under {}, starting {}\n",
        t.route.label(),
        t.regime.name(),
        t.start
    );
    out.push_str(&format!(
        "Go-live: {} at the statutory minimum; {} realistic\n",
        t.earliest_go_live, t.typical_go_live
    ));
    if let Some(target) = go_live {
        match t.latest_start {
            Some(d) => out.push_str(&format!(
                "Latest start for go-live by {target} (realistic timeline): {d}\n"
            )),
            None => out.push_str(&format!(
                "Latest start for go-live by {target}: none found (see notes)\n"
            )),
        }
    }
    let width = t
        .milestones
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(9)
        .max("Milestone".len());
    out.push('\n');
    out.push_str(&format!(
        "{:<width$}  {:<17}  Realistic\n",
        "Milestone", "Statutory minimum"
    ));
    for m in &t.milestones {
        // Padded as text: a date's Display ignores the width.
        let earliest = m.earliest.to_string();
        out.push_str(&format!(
            "{:<width$}  {earliest:<17}  {}\n",
            m.name, m.typical
        ));
        out.push_str(&format!("    earliest: {}\n", m.statutory_basis));
        out.push_str(&format!("    typical: {}\n", m.typical_basis));
        if !m.citations.is_empty() {
            out.push_str(&format!("    citations: {}\n", m.citations.join("; ")));
        }
    }
    out.push_str("\nNotes:\n");
    for n in &t.notes {
        out.push_str(&format!("- {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(route: &str, regime: &str, start: &str, go: Option<&str>, f: &str) -> TimelineArgs {
        TimelineArgs {
            route: route.into(),
            regime: regime.into(),
            start: start.into(),
            go_live: go.map(Into::into),
            format: f.into(),
        }
    }

    fn err(a: TimelineArgs) -> String {
        let msg = format!("{:#}", render(&a).unwrap_err());
        assert!(!msg.contains('\n'), "one line: {msg}");
        msg
    }

    #[test]
    fn table_labels_both_dates_and_the_latest_start() {
        let out = render(&args(
            "open-procedure",
            "pa2023",
            "2026-03-02",
            Some("2027-09-01"),
            "table",
        ))
        .unwrap();
        assert!(out.starts_with("Open procedure under PA 2023, starting 2026-03-02\n"));
        assert!(out.contains("Statutory minimum"), "{out}");
        assert!(out.contains("Realistic"), "{out}");
        assert!(out.contains("2026-03-27"), "{out}");
        assert!(
            out.contains("Latest start for go-live by 2027-09-01 (realistic timeline): 2026-05-22")
        );
    }

    #[test]
    fn json_has_the_api_fields() {
        let out = render(&args(
            "dynamic-market",
            "pa2023",
            "2026-03-02",
            None,
            "json",
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["route"], "dynamic-market");
        assert_eq!(v["regime"], "pa2023");
        assert_eq!(v["start"], "2026-03-02");
        assert_eq!(v["latest_start"], serde_json::Value::Null);
        assert!(v["milestones"][0]["statutory_basis"].is_string());
        assert_eq!(v["earliest_go_live"], "2026-03-13");
    }

    #[test]
    fn bad_input_is_one_line_naming_what_is_allowed() {
        let e = err(args("dps", "pa2023", "2026-03-02", None, "table"));
        assert!(
            e.starts_with("--route: 'dps' is not a route: use existing-framework-direct-award"),
            "{e}"
        );
        assert!(e.ends_with("open-procedure or competitive-flexible"), "{e}");
        let e = err(args(
            "open-procedure",
            "pa2024",
            "2026-03-02",
            None,
            "table",
        ));
        assert!(e.starts_with("--regime: 'pa2024' is not a regime"), "{e}");
        let e = err(args("open-procedure", "pa2023", "2/3/2026", None, "table"));
        assert!(e.starts_with("--start: '2/3/2026' is not a date"), "{e}");
        let e = err(args(
            "open-procedure",
            "pa2023",
            "2026-03-02",
            Some("2027-02-30"),
            "table",
        ));
        assert!(e.starts_with("--go-live: '2027-02-30' is not a day"), "{e}");
        let e = err(args(
            "open-procedure",
            "pcr2015",
            "2026-03-02",
            None,
            "table",
        ));
        assert!(
            e.starts_with(
                "--start: open-procedure under PCR 2015 starting 2026-03-02 is not available"
            ),
            "{e}"
        );
        let e = err(args(
            "open-procedure",
            "pa2023",
            "2030-03-02",
            None,
            "table",
        ));
        assert!(
            e.starts_with("--start: 2030-03-02 is outside the calendar's data"),
            "{e}"
        );
        let e = err(args("open-procedure", "pa2023", "2026-03-02", None, "xml"));
        assert_eq!(e, "--format: 'xml' is not a format: use table or json");
    }
}
