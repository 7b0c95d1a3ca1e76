//! The shared agreement: a single agreement of a fixed term, starting no earlier
//! than today plus the procurement lead time, that authorities call off from as
//! their contracts end.
//!
//! Contract `c` with exit window `[e, l]` lets its authority call off when the
//! window moved earlier by the mobilisation time, `[e − mob, l − mob]`, overlaps
//! the term `[S, S + term]` (both inclusive). As `S + term` never decreases as
//! `S` grows, the starts `S` that serve `c` form one interval,
//! `[first S with S + term ≥ e − mob, l − mob]`. Sweeping those intervals'
//! ends in order with per-authority counters finds the start serving the most
//! authorities (then the most value, then the earliest) in O(n log n).
//!
//! Month arithmetic goes through [`Span::Months`]; each distinct exit date is
//! shifted once (a table over the category's range of dates), so the sweep works
//! on plain day numbers.

use super::days::{date_of, day_number, key, key_day, key_index};
use super::{
    AgreementSummary, CategoryIndex, Counters, CoveredAuthority, NotCovered, PlanParams,
    SharedAgreement, clamp_pence,
};
use crate::register::Span;
use jiff::civil::Date;

/// The widest range of exit dates, in days, for which shifted dates are
/// tabulated rather than computed for each contract.
const TABLE_LIMIT: i64 = 1 << 18;

/// For each item, as day numbers: its exit window less the mobilisation time
/// (`shifted_earliest`, `shifted_latest`) and the first agreement start whose
/// term reaches `shifted_earliest` (`first_start`). The item is served by start
/// `S` exactly when `first_start <= S <= shifted_latest`.
pub(super) struct Shifted {
    first_start: Vec<i32>,
    shifted_latest: Vec<i32>,
}

/// The first `S` with `term.after(S) >= date`: `term.before(date)`, moved on a day
/// or two when month-end rounding leaves it short.
pub(crate) fn first_start_reaching(date: Date, term: Span) -> Date {
    let mut start = term.before(date);
    while term.after(start) < date {
        match start.tomorrow() {
            Ok(next) => start = next,
            Err(_) => break,
        }
    }
    start
}

impl CategoryIndex<'_> {
    /// The shifted windows of every item; `tabulate` chooses the table of
    /// distinct dates (the direct path is kept for very wide ranges and tests).
    pub(super) fn shifted(&self, params: &PlanParams, tabulate: bool) -> Shifted {
        let mob = Span::Months(params.mobilisation_months);
        let term = Span::Months(params.term_months);
        // (date less mobilisation, first start reaching it), as day numbers.
        let shift = |date: Date| {
            let moved = mob.before(date);
            (
                day_number(moved),
                day_number(first_start_reaching(moved, term)),
            )
        };
        let n = self.items.len();
        let lowest = self.earliest.iter().copied().min().unwrap_or(0);
        let highest = self.latest.iter().copied().max().unwrap_or(0);
        let width = i64::from(highest) - i64::from(lowest) + 1;
        let tabulate = tabulate && width <= TABLE_LIMIT;
        let mut table: Vec<(i32, i32)> = if tabulate {
            vec![(i32::MIN, 0); width as usize]
        } else {
            Vec::new()
        };
        let mut lookup = |day: i32, date: Date| {
            if tabulate {
                let slot = &mut table[(day - lowest) as usize];
                if slot.0 == i32::MIN {
                    *slot = shift(date);
                }
                *slot
            } else {
                shift(date)
            }
        };
        let mut first_start = Vec::with_capacity(n);
        let mut shifted_latest = Vec::with_capacity(n);
        for i in 0..n {
            let (earliest, latest) = self.window(i);
            first_start.push(lookup(self.earliest[i], earliest).1);
            shifted_latest.push(lookup(self.latest[i], latest).0);
        }
        Shifted {
            first_start,
            shifted_latest,
        }
    }

    /// The best start (as a day number, no earlier than `earliest_start`) and the
    /// counters there.
    fn best_start(&self, shifted: &Shifted, earliest_start: i32) -> (i32, u32, u32, i128) {
        let n = self.items.len();
        let mut opens = Vec::with_capacity(n);
        let mut closes = Vec::with_capacity(n);
        for i in 0..n {
            let last = shifted.shifted_latest[i];
            if last >= earliest_start {
                opens.push(key(shifted.first_start[i].max(earliest_start), i));
                closes.push(key(last + 1, i));
            }
        }
        opens.sort_unstable();
        closes.sort_unstable();
        let mut counters = Counters::new(self.authorities.len());
        let mut best = (earliest_start, 0u32, 0u32, 0i128);
        let (mut o, mut c) = (0, 0);
        while o < opens.len() || c < closes.len() {
            let day = match (opens.get(o), closes.get(c)) {
                (Some(&a), Some(&b)) => key_day(a).min(key_day(b)),
                (Some(&a), None) => key_day(a),
                (None, Some(&b)) => key_day(b),
                (None, None) => break,
            };
            while o < opens.len() && key_day(opens[o]) == day {
                counters.add(self, key_index(opens[o]));
                o += 1;
            }
            while c < closes.len() && key_day(closes[c]) == day {
                counters.remove(self, key_index(closes[c]));
                c += 1;
            }
            if (counters.distinct, counters.value) > (best.1, best.3) {
                best = (day, counters.distinct, counters.contracts, counters.value);
            }
        }
        best
    }

    /// The best shared agreement's figures, without the authority lists.
    /// O(n log n).
    pub fn agreement_summary(&self, params: &PlanParams, today: Date) -> AgreementSummary {
        let shifted = self.shifted(params, true);
        self.summarise(&shifted, params, today)
    }

    fn summarise(&self, shifted: &Shifted, params: &PlanParams, today: Date) -> AgreementSummary {
        let earliest_start = Span::Months(params.lead_months).after(today);
        let (day, authorities, contracts, value) =
            self.best_start(shifted, day_number(earliest_start));
        let start = date_of(day);
        AgreementSummary {
            start,
            end: Span::Months(params.term_months).after(start),
            authority_count: authorities,
            contract_count: contracts,
            annual_value_pence: clamp_pence(value),
        }
    }

    /// The best shared agreement: the start, no earlier than `today` plus the
    /// lead time, serving the most distinct authorities, then the most annual
    /// value, then the earliest; with every authority listed as covered or not
    /// (with the reason). O(n log n).
    pub fn shared_agreement(&self, params: &PlanParams, today: Date) -> SharedAgreement {
        self.shared_agreement_with_summary(params, today).0
    }

    pub(super) fn shared_agreement_with_summary(
        &self,
        params: &PlanParams,
        today: Date,
    ) -> (SharedAgreement, AgreementSummary) {
        let shifted = self.shifted(params, true);
        let summary = self.summarise(&shifted, params, today);
        (self.list(&shifted, &summary, params, today), summary)
    }

    /// Lists the authorities covered and not covered by the agreement `summary`.
    pub(super) fn list(
        &self,
        shifted: &Shifted,
        summary: &AgreementSummary,
        params: &PlanParams,
        today: Date,
    ) -> SharedAgreement {
        let (start, end) = (summary.start, summary.end);
        let start_day = day_number(start);
        let a = self.authorities.len();
        let mut covered: Vec<Vec<&str>> = vec![Vec::new(); a];
        let mut contracts = vec![0usize; a];
        // The latest exit of contracts ending too early; the earliest of those
        // ending too late.
        let mut too_early: Vec<Option<Date>> = vec![None; a];
        let mut too_late: Vec<Option<Date>> = vec![None; a];
        for i in 0..self.items.len() {
            let who = self.authority[i] as usize;
            contracts[who] += 1;
            let (earliest, latest) = self.window(i);
            if shifted.shifted_latest[i] < start_day {
                too_early[who] = too_early[who].max(Some(latest));
            } else if shifted.first_start[i] > start_day {
                too_late[who] = Some(too_late[who].map_or(earliest, |d| d.min(earliest)));
            } else {
                covered[who].push(&self.items[i].reference);
            }
        }
        let mob = Span::Months(params.mobilisation_months);
        let mut served = Vec::new();
        let mut not_served = Vec::new();
        for (who, mut refs) in covered.into_iter().enumerate() {
            let authority = self.authorities[who].clone();
            if !refs.is_empty() {
                refs.sort_unstable();
                served.push(CoveredAuthority {
                    authority,
                    contracts: refs.into_iter().map(str::to_string).collect(),
                });
                continue;
            }
            let reason = match (too_early[who], too_late[who]) {
                (Some(last), None) => format!(
                    "its {} can end by {last} at the latest, which with {mob} to mobilise \
                     is before the agreement could start on {start}",
                    if contracts[who] == 1 {
                        "contract"
                    } else {
                        "contracts"
                    },
                ),
                (None, Some(first)) => format!(
                    "its earliest exit, {first}, less {mob} to mobilise, is after the \
                     agreement ends on {end}"
                ),
                (Some(last), Some(first)) => format!(
                    "its contracts fall either side of the agreement: those ending first \
                     can end by {last} at the latest, which with {mob} to mobilise is before \
                     the agreement could start on {start}, and the earliest exit of the rest, \
                     {first}, less {mob} to mobilise, is after the agreement ends on {end}"
                ),
                (None, None) => unreachable!("an authority in the index has a contract"),
            };
            not_served.push(NotCovered { authority, reason });
        }
        SharedAgreement {
            start,
            end,
            procurement_start: Span::Months(params.lead_months).before(start).max(today),
            covered: served,
            not_covered: not_served,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgId;
    use crate::planner::PlanItem;
    use crate::register::Pence;
    use crate::register::windows::ExitWindow;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_start_reaching_a_date_allows_for_short_months() {
        let term = Span::Months(1);
        // 28 February + 1 month is 28 March, short of 31 March; 1 March reaches 1 April.
        assert_eq!(first_start_reaching(d("2027-03-31"), term), d("2027-03-01"));
        assert_eq!(first_start_reaching(d("2027-02-28"), term), d("2027-01-28"));
        assert_eq!(first_start_reaching(d("2027-03-15"), term), d("2027-02-15"));
        assert_eq!(first_start_reaching(Date::MAX, term), d("9999-12-01"));
        assert_eq!(first_start_reaching(Date::MIN, term), Date::MIN);
        // Exhaustively over five years and a range of terms: it is the first.
        let mut date = d("2026-01-01");
        while date < d("2031-01-01") {
            for months in [0, 1, 2, 11, 12, 13, 48] {
                let term = Span::Months(months);
                let first = first_start_reaching(date, term);
                assert!(term.after(first) >= date, "{date} {months}");
                let before = first.yesterday().unwrap();
                assert!(term.after(before) < date, "{date} {months}");
            }
            date = date.tomorrow().unwrap();
        }
    }

    #[test]
    fn tabulated_and_direct_shifts_agree() {
        let org = OrgId::parse("GB-LAE-CMD").unwrap();
        let items: Vec<PlanItem> = (0..400)
            .map(|i| {
                let earliest = d("2026-01-31").saturating_add(jiff::Span::new().days(i * 7));
                PlanItem {
                    authority: org.clone(),
                    reference: format!("R{i}"),
                    window: ExitWindow {
                        earliest,
                        latest: earliest.saturating_add(jiff::Span::new().days(i % 90)),
                    },
                    annual_value: Pence(i),
                }
            })
            .collect();
        let index = CategoryIndex::new(&items);
        let params = PlanParams::default();
        let (t, f) = (index.shifted(&params, true), index.shifted(&params, false));
        assert_eq!(t.first_start, f.first_start);
        assert_eq!(t.shifted_latest, f.shifted_latest);
    }

    #[test]
    fn very_wide_ranges_of_dates_are_shifted_directly() {
        let org = OrgId::parse("GB-LAE-CMD").unwrap();
        let item = |r: &str, e: &str, l: &str| PlanItem {
            authority: org.clone(),
            reference: r.into(),
            window: ExitWindow {
                earliest: d(e),
                latest: d(l),
            },
            annual_value: Pence(1),
        };
        let items = vec![
            item("old", "1200-01-01", "1200-12-31"),
            item("new", "2030-01-01", "2030-12-31"),
            item("far", "9999-12-31", "9999-12-31"),
        ];
        let index = CategoryIndex::new(&items);
        let a = index.shared_agreement(&PlanParams::default(), d("2026-01-01"));
        assert_eq!(a.start, d("2026-10-01"));
        assert_eq!(a.covered.len(), 1);
        assert_eq!(a.covered[0].contracts, vec!["new"]);
    }
}
