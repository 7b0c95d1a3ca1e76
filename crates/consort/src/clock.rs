//! `consort clock PERIOD --regime pa2023|pcr2015 --from DATE [--format text|json]`:
//! the legal clock on its own, a standstill and deadline calculator.
//!
//! Text: the first line is the last day of the period (`YYYY-MM-DD`), then one line
//! per reason — the rule and its citation, each day skipped and why, where the end
//! moved, the deadline instant, alternatives, and anything unclear. JSON: `period`,
//! `regime`, `from`, `last_day`, `deadline` (RFC 3339 with its Europe/London
//! offset: midnight at the end of the last day), `reasons`, `citations` (each
//! `{id, source, confidence}` from the embedded rules data) and `confidence`.
//!
//! Every error is one line naming what is allowed, and the exit status is non-zero.

use anyhow::{Result, anyhow};
use consort_core::calendar::{self, CalendarError, Period, PeriodResult, Regime};
use jiff::civil::Date;
use std::io::Write;
use std::process::ExitCode;

/// The arguments of `consort clock`.
#[derive(clap::Args, Debug, Clone)]
pub struct ClockArgs {
    /// standstill, tendering, participation, call-off-tendering or dps-assessment
    /// (PCR 2015 only).
    #[arg(value_name = "PERIOD")]
    pub period: String,
    /// pa2023 (Procurement Act 2023) or pcr2015 (Public Contracts Regulations 2015).
    #[arg(long, value_name = "REGIME")]
    pub regime: String,
    /// The day of the event the period runs from (YYYY-MM-DD): the award notice
    /// published or the award decision notices sent, the tender or contract notice,
    /// the invitation, or the request to join a DPS received.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// text or json.
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: String,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// Runs `consort clock`: prints the period and its reasons.
pub fn run(args: ClockArgs) -> Result<ExitCode> {
    let out = render(&args)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The output for `args`, or a one-line error naming what is allowed.
pub fn render(args: &ClockArgs) -> Result<String> {
    let period: Period = args.period.parse().map_err(|e| anyhow!("PERIOD: {e}"))?;
    let regime: Regime = args.regime.parse().map_err(|e| anyhow!("--regime: {e}"))?;
    let from = parse_date(&args.from)?;
    let format = match args.format.trim() {
        "text" => Format::Text,
        "json" => Format::Json,
        other => {
            return Err(anyhow!(
                "--format: '{other}' is not a format: use text or json"
            ));
        }
    };
    let result = calendar::compute(regime, period, from).map_err(|e| match e {
        CalendarError::OutsideData { .. } | CalendarError::RunsPastData { .. } => {
            anyhow!("--from: {e}")
        }
        CalendarError::NotInRegime { .. } => anyhow!("PERIOD: {e}"),
        other => anyhow!("{other}"),
    })?;
    Ok(match format {
        Format::Text => text(&result),
        Format::Json => json(&result),
    })
}

/// A date written `YYYY-MM-DD`, and a real one.
fn parse_date(s: &str) -> Result<Date> {
    let t = s.trim();
    let bad = || anyhow!("--from: '{s}' is not a date: use YYYY-MM-DD, e.g. 2026-11-25");
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
        return Err(bad());
    }
    t.parse::<Date>().map_err(|_| {
        anyhow!("--from: '{s}' is not a day of the calendar: use YYYY-MM-DD, e.g. 2026-11-25")
    })
}

/// The last day, then one line per reason.
fn text(r: &PeriodResult) -> String {
    let mut out = format!("{}\n", r.last_day);
    for reason in &r.reasons {
        out.push_str(&reason.text);
        out.push('\n');
    }
    out
}

/// The JSON document, keys in the documented order.
fn json(r: &PeriodResult) -> String {
    let fields: Vec<(&str, serde_json::Value)> = vec![
        ("period", r.period.id().into()),
        ("regime", r.regime.id().into()),
        ("from", r.from.to_string().into()),
        ("last_day", r.last_day.to_string().into()),
        ("deadline", r.deadline_rfc3339().into()),
        (
            "reasons",
            r.reasons
                .iter()
                .map(|x| serde_json::Value::from(x.text.clone()))
                .collect(),
        ),
        (
            "citations",
            r.citations
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "source": c.source,
                        "confidence": c.confidence.as_str(),
                    })
                })
                .collect(),
        ),
        ("confidence", r.confidence.as_str().into()),
    ];
    let mut out = String::from("{\n");
    for (i, (key, value)) in fields.iter().enumerate() {
        let value = serde_json::to_string_pretty(value).expect("JSON values always serialise");
        out.push_str(&format!(
            "  {}: {}",
            serde_json::Value::from(*key),
            value.replace('\n', "\n  ")
        ));
        out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(period: &str, regime: &str, from: &str, format: &str) -> ClockArgs {
        ClockArgs {
            period: period.into(),
            regime: regime.into(),
            from: from.into(),
            format: format.into(),
        }
    }

    fn err(a: ClockArgs) -> String {
        let e = render(&a).unwrap_err();
        let msg = format!("{e:#}");
        assert!(!msg.contains('\n'), "one line: {msg}");
        msg
    }

    #[test]
    fn text_starts_with_the_last_day_then_the_reasons() {
        let out = render(&args("standstill", "pa2023", "2026-11-25", "text")).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "2026-12-07");
        assert!(lines[1].starts_with("Rule: "));
        assert!(lines.contains(
            &"2026-11-30 skipped: St Andrew's Day, a bank holiday in Scotland (PA 2023 s.123(1))"
        ));
        let out = render(&args("standstill", "pcr2015", "2026-12-23", "text")).unwrap();
        assert_eq!(out.lines().next(), Some("2027-01-04"));
        let out = render(&args("standstill", "pa2023", "2026-06-10", "text")).unwrap();
        assert_eq!(out.lines().next(), Some("2026-06-22"));
        let out = render(&args("standstill", "pa2023", "2026-12-23", "text")).unwrap();
        assert_eq!(out.lines().next(), Some("2027-01-07"));
    }

    #[test]
    fn json_has_the_documented_fields_in_order() {
        let out = render(&args("standstill", "pcr2015", "2026-12-23", "json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["period"], "standstill");
        assert_eq!(v["regime"], "pcr2015");
        assert_eq!(v["from"], "2026-12-23");
        assert_eq!(v["last_day"], "2027-01-04");
        assert_eq!(v["deadline"], "2027-01-05T00:00:00+00:00");
        assert_eq!(v["confidence"], "verified-from-text");
        assert!(v["reasons"].as_array().unwrap().len() > 3);
        let citations = v["citations"].as_array().unwrap();
        assert_eq!(citations[0]["id"], "pcr15.reg87.standstill_electronic");
        assert_eq!(citations[0]["confidence"], "verified-from-text");
        let keys: Vec<&str> = [
            "period",
            "regime",
            "from",
            "last_day",
            "deadline",
            "reasons",
            "citations",
            "confidence",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| out.find(&format!("\n  \"{k}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    }

    #[test]
    fn json_deadline_carries_the_summer_time_offset() {
        let out = render(&args("tendering", "pa2023", "2026-03-04", "json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["last_day"], "2026-03-29");
        assert_eq!(v["deadline"], "2026-03-30T00:00:00+01:00");
    }

    #[test]
    fn bad_input_is_one_line_naming_what_is_allowed() {
        assert_eq!(
            err(args("standstil", "pa2023", "2026-11-25", "text")),
            "PERIOD: 'standstil' is not a period: use standstill, tendering, participation, call-off-tendering or dps-assessment"
        );
        let e = err(args("standstill", "pa2024", "2026-11-25", "text"));
        assert!(
            e.starts_with("--regime: 'pa2024' is not a regime: use pa2023"),
            "{e}"
        );
        let e = err(args("standstill", "pa2023", "25/11/2026", "text"));
        assert!(
            e.starts_with("--from: '25/11/2026' is not a date: use YYYY-MM-DD"),
            "{e}"
        );
        let e = err(args("standstill", "pa2023", "2026-02-30", "text"));
        assert!(e.starts_with("--from: '2026-02-30' is not a day"), "{e}");
        let e = err(args("standstill", "pa2023", "2030-01-02", "text"));
        assert!(
            e.starts_with("--from: 2030-01-02 is outside the calendar's data"),
            "{e}"
        );
        assert!(e.contains("2019 to 2028"), "{e}");
        let e = err(args("standstill", "pa2023", "2028-12-28", "text"));
        assert!(
            e.starts_with(
                "--from: a standstill period under PA 2023 from 2028-12-28 runs past 2028-12-31"
            ),
            "{e}"
        );
        let e = err(args("dps-assessment", "pa2023", "2026-11-25", "text"));
        assert!(
            e.starts_with("PERIOD: PA 2023 has no dps-assessment period"),
            "{e}"
        );
        assert!(
            e.ends_with("use standstill, tendering, participation or call-off-tendering"),
            "{e}"
        );
        let e = err(args("standstill", "pa2023", "2026-11-25", "xml"));
        assert_eq!(e, "--format: 'xml' is not a format: use text or json");
    }
}
