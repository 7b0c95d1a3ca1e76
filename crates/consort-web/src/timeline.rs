//! The exit-window timeline: a server-rendered SVG with one row per authority,
//! grouped by category, today marked. Presentation attributes only (no inline
//! styles), so the Content-Security-Policy holds; the page pairs it with a table
//! for screen readers.

use consort_core::register::windows::ExitWindow;
use jiff::civil::Date;
use std::fmt::Write;

/// One bar: a contract's exit window, and its end date before extensions.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The contract's reference, for the tooltip.
    pub reference: String,
    /// Its exit window.
    pub window: ExitWindow,
    /// Its end date before any extension option (where the solid part stops).
    pub end: Date,
}

/// One row: an authority's contracts in one category.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The row's label (the authority's name).
    pub label: String,
    /// Its bars.
    pub bars: Vec<Bar>,
}

/// A category's rows.
#[derive(Debug, Clone)]
pub struct Group {
    /// The category label.
    pub category: String,
    /// One lane per authority.
    pub lanes: Vec<Lane>,
}

const LABEL_WIDTH: f64 = 260.0;
const PLOT_WIDTH: f64 = 700.0;
const ROW: f64 = 22.0;
const HEADER: f64 = 28.0;
const AXIS: f64 = 30.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the timeline between the years that cover every window and today.
pub fn render(groups: &[Group], today: Date, title_id: &str) -> String {
    let dates = groups
        .iter()
        .flat_map(|g| g.lanes.iter())
        .flat_map(|l| l.bars.iter())
        .flat_map(|b| [b.window.earliest, b.window.latest]);
    let (mut first, mut last) = (today, today);
    for d in dates {
        first = first.min(d);
        last = last.max(d);
    }
    let first_year = first.year();
    let last_year = last.year() + 1;
    let start = Date::new(first_year, 1, 1).expect("valid");
    let end = Date::new(last_year, 1, 1).expect("valid");
    let span_days = f64::from((end - start).get_days()).max(1.0);
    let x = |d: Date| LABEL_WIDTH + PLOT_WIDTH * f64::from((d - start).get_days()) / span_days;
    let rows: usize = groups.iter().map(|g| g.lanes.len()).sum();
    let height = AXIS + groups.len() as f64 * HEADER + rows as f64 * ROW + 10.0;
    let width = LABEL_WIDTH + PLOT_WIDTH + 20.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="app-timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="{title_id}" font-family="GDS Transport, arial, sans-serif" font-size="13">"##
    );
    let _ = write!(
        svg,
        r##"<title id="{title_id}">Exit windows of each authority's contracts by category, from {first_year} to {last_year}; today is {today}. The table below gives the same dates.</title>"##
    );
    for year in first_year..=last_year {
        let xx = x(Date::new(year, 1, 1).expect("valid"));
        let _ = write!(
            svg,
            r##"<line x1="{xx:.1}" y1="{AXIS}" x2="{xx:.1}" y2="{height}" stroke="#b1b4b6" stroke-width="1"/><text x="{xx:.1}" y="18" text-anchor="middle" fill="#0b0c0c">{year}</text>"##
        );
    }
    let mut y = AXIS;
    for group in groups {
        let _ = write!(
            svg,
            r##"<text x="0" y="{:.1}" font-weight="bold" fill="#0b0c0c">{}</text>"##,
            y + 19.0,
            escape(&group.category)
        );
        y += HEADER;
        for lane in &group.lanes {
            let _ = write!(
                svg,
                r##"<text x="0" y="{:.1}" fill="#0b0c0c">{}</text>"##,
                y + 15.0,
                escape(&lane.label)
            );
            for bar in &lane.bars {
                let (x0, x_end, x1) = (
                    x(bar.window.earliest),
                    x(bar.end.max(bar.window.earliest)),
                    x(bar.window.latest),
                );
                let tip = format!(
                    "{}: can end from {} to {}",
                    bar.reference, bar.window.earliest, bar.window.latest
                );
                let _ = write!(
                    svg,
                    r##"<g><title>{}</title><rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="14" fill="#1d70b8"/><rect x="{x_end:.1}" y="{:.1}" width="{:.1}" height="14" fill="#1d70b8" fill-opacity="0.35"/></g>"##,
                    escape(&tip),
                    y + 4.0,
                    (x_end - x0).max(2.0),
                    y + 4.0,
                    (x1 - x_end).max(0.0)
                );
            }
            y += ROW;
        }
    }
    let tx = x(today);
    let _ = write!(
        svg,
        r##"<line x1="{tx:.1}" y1="{AXIS}" x2="{tx:.1}" y2="{height}" stroke="#d4351c" stroke-width="2"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#d4351c" font-weight="bold">today</text>"##,
        AXIS - 2.0
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_timeline_marks_today_and_each_window_and_escapes_labels() {
        let groups = vec![Group {
            category: "Housing <systems>".into(),
            lanes: vec![Lane {
                label: "Camden & co".into(),
                bars: vec![Bar {
                    reference: "HMS-1".into(),
                    window: ExitWindow {
                        earliest: d("2027-03-31"),
                        latest: d("2029-03-31"),
                    },
                    end: d("2027-03-31"),
                }],
            }],
        }];
        let svg = render(&groups, d("2026-11-25"), "t1");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("today is 2026-11-25"));
        assert!(svg.contains("HMS-1: can end from 2027-03-31 to 2029-03-31"));
        assert!(svg.contains("Housing &lt;systems&gt;") && svg.contains("Camden &amp; co"));
        assert!(!svg.contains("style="), "no inline styles under the CSP");
        assert!(svg.contains(">2026<") && svg.contains(">2030<"));
    }
}
