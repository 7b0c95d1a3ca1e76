//! Working days under each regime's own definition, from the embedded bank-holiday
//! data (GOV.UK, 2019–2028, all three UK divisions).
//!
//! - PA 2023 s.123(1) (fact `pa23.working_day`): not a Saturday or Sunday, and not
//!   a bank holiday under the Banking and Financial Dealings Act 1971 in ANY part of
//!   the United Kingdom — so Scottish and Northern Irish holidays stop the clock
//!   even for a London borough.
//! - PCR 2015 reg 2(1) (fact `pcr15.working_day`): not a Saturday, Sunday,
//!   Christmas Day, Good Friday, or a bank holiday under the 1971 Act.

use super::data::{RulesData, rules};
use super::{CalendarError, Regime};
use jiff::civil::{Date, Weekday};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// A part of the United Kingdom with its own bank holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Division {
    /// England and Wales.
    EnglandAndWales,
    /// Scotland.
    Scotland,
    /// Northern Ireland.
    NorthernIreland,
}

impl Division {
    /// All three, in GOV.UK's order.
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The data's key: `england-and-wales`, `scotland`, `northern-ireland`.
    pub fn key(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    /// Its name in a sentence.
    pub fn name(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "England and Wales",
            Division::Scotland => "Scotland",
            Division::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a bank holiday has happened, as at the data's compilation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayStatus {
    /// Before the compilation date.
    Occurred,
    /// Published by GOV.UK but still in the future when compiled; it can still be
    /// changed by Royal Proclamation (as the 2020 early May holiday was).
    ScheduledPublished,
}

/// A bank holiday in one division, with its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    /// The day.
    pub date: Date,
    /// Where it is a bank holiday.
    pub division: Division,
    /// GOV.UK's name for it.
    pub title: String,
    /// A substitute for a holiday that fell at a weekend.
    pub substitute_day: bool,
    /// A one-off (jubilee, funeral, coronation, the 2026 Scottish World Cup holiday).
    pub one_off: bool,
    /// Occurred or scheduled, as at compilation.
    pub status: HolidayStatus,
    /// Where it comes from.
    pub source: String,
    /// How far it has been checked.
    pub confidence: super::Confidence,
}

/// Why a day is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ground {
    /// A Saturday or Sunday.
    Weekend(Weekday),
    /// 25 December, named in PCR 2015 reg 2(1).
    ChristmasDay,
    /// Good Friday, named in PCR 2015 reg 2(1).
    GoodFriday,
    /// A bank holiday in the divisions listed.
    BankHoliday {
        /// GOV.UK's name for it.
        title: String,
        /// A substitute day.
        substitute_day: bool,
        /// Where it is a bank holiday (only the divisions the regime counts).
        divisions: Vec<Division>,
    },
}

impl fmt::Display for Ground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ground::Weekend(Weekday::Saturday) => f.write_str("Saturday"),
            Ground::Weekend(_) => f.write_str("Sunday"),
            Ground::ChristmasDay => f.write_str("Christmas Day"),
            Ground::GoodFriday => f.write_str("Good Friday"),
            Ground::BankHoliday {
                title,
                substitute_day,
                divisions,
            } => {
                write!(f, "{title}")?;
                if *substitute_day {
                    f.write_str(" (substitute day)")?;
                }
                f.write_str(", a bank holiday in ")?;
                f.write_str(&join_and(divisions.iter().map(|d| d.name())))
            }
        }
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join_and<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A day not counted, with why.
pub(crate) type SkippedDay = (Date, Vec<Ground>);

/// Whether the day of the triggering event is day 1 of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstDay {
    /// "Beginning with the day on which ..." (PA 2023 s.51(2)): the event's day is
    /// day 1 if it is a day of the kind being counted.
    EventDay,
    /// The day of the event is not counted (PCR 2015 reg 2(3)(b); PA 2023 s.54(5)
    /// "beginning with the day following").
    DayAfter,
}

/// A kind of day a regime's definition excludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exclusion {
    Saturday,
    Sunday,
    ChristmasDay,
    GoodFriday,
    BankHoliday(Division),
}

/// The calendar: bank holidays by date, and each regime's definition of a
/// working day, all from the embedded data.
#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: BTreeMap<Date, Vec<BankHoliday>>,
    first: Date,
    last: Date,
    pa2023: Vec<Exclusion>,
    pcr2015: Vec<Exclusion>,
    compiled: Date,
    source: String,
}

static CALENDAR: LazyLock<Calendar> = LazyLock::new(|| {
    Calendar::from_rules(rules())
        .unwrap_or_else(|e| panic!("the embedded bank-holiday data is unusable: {e}"))
});

/// The calendar built from the embedded data (once).
pub fn calendar() -> &'static Calendar {
    &CALENDAR
}

fn data_err(msg: impl Into<String>) -> CalendarError {
    CalendarError::Data(msg.into())
}

impl Calendar {
    /// Builds the calendar from the rules data: the bank holidays of every division,
    /// the years they cover (each division must cover every year), and each
    /// regime's `excluded_days`.
    pub fn from_rules(data: &RulesData) -> Result<Calendar, CalendarError> {
        let mut holidays: BTreeMap<Date, Vec<BankHoliday>> = BTreeMap::new();
        let mut years: Option<(i16, i16)> = None;
        let mut per_division_years = Vec::new();
        for division in Division::ALL {
            let list = data
                .bank_holidays
                .divisions
                .get(division.key())
                .ok_or_else(|| data_err(format!("no bank holidays for {}", division.key())))?;
            let mut div_years: Vec<i16> = list.iter().map(|h| h.date.year()).collect();
            div_years.sort_unstable();
            div_years.dedup();
            per_division_years.push(div_years);
            for raw in list {
                let status = match raw.status.as_str() {
                    "occurred" => HolidayStatus::Occurred,
                    "scheduled_published" => HolidayStatus::ScheduledPublished,
                    other => return Err(data_err(format!("unknown holiday status '{other}'"))),
                };
                holidays.entry(raw.date).or_default().push(BankHoliday {
                    date: raw.date,
                    division,
                    title: raw.title.clone(),
                    substitute_day: raw.substitute_day,
                    one_off: raw.one_off,
                    status,
                    source: raw.source.clone(),
                    confidence: raw.confidence,
                });
                let y = raw.date.year();
                years = Some(match years {
                    None => (y, y),
                    Some((a, b)) => (a.min(y), b.max(y)),
                });
            }
        }
        let (first_year, last_year) = years.ok_or_else(|| data_err("no bank holidays"))?;
        let all_years: Vec<i16> = (first_year..=last_year).collect();
        if per_division_years.iter().any(|y| *y != all_years) {
            return Err(data_err(
                "every division must list bank holidays for every year the data covers",
            ));
        }
        let first = Date::new(first_year, 1, 1).map_err(|e| data_err(e.to_string()))?;
        let last = Date::new(last_year, 12, 31).map_err(|e| data_err(e.to_string()))?;
        Ok(Calendar {
            holidays,
            first,
            last,
            pa2023: exclusions(data, Regime::Pa2023)?,
            pcr2015: exclusions(data, Regime::Pcr2015)?,
            compiled: data.compiled,
            source: data.bank_holidays.source.clone(),
        })
    }

    /// The first day the data covers (1 Jan of its first year).
    pub fn first_day(&self) -> Date {
        self.first
    }

    /// The last day the data covers (31 Dec of its last year).
    pub fn last_day(&self) -> Date {
        self.last
    }

    /// The first and last years covered.
    pub fn years(&self) -> (i16, i16) {
        (self.first.year(), self.last.year())
    }

    /// When the data was compiled: holidays after it are published but can change.
    pub fn compiled(&self) -> Date {
        self.compiled
    }

    /// Where the bank-holiday lists come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// An error unless the data covers `date`.
    pub fn check(&self, date: Date) -> Result<(), CalendarError> {
        if date < self.first || date > self.last {
            let (first_year, last_year) = self.years();
            return Err(CalendarError::OutsideData {
                date,
                first_year,
                last_year,
            });
        }
        Ok(())
    }

    /// The bank holidays on `date` in every division.
    pub fn bank_holidays_on(&self, date: Date) -> Result<&[BankHoliday], CalendarError> {
        self.check(date)?;
        Ok(self.holidays.get(&date).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// Every bank holiday of one division, in date order.
    pub fn bank_holidays(&self, division: Division) -> impl Iterator<Item = &BankHoliday> {
        self.holidays
            .values()
            .flatten()
            .filter(move |h| h.division == division)
    }

    fn rule(&self, regime: Regime) -> &[Exclusion] {
        match regime {
            Regime::Pa2023 => &self.pa2023,
            Regime::Pcr2015 => &self.pcr2015,
        }
    }

    /// Why `date` is not a working day under `regime`; empty if it is one.
    pub fn non_working_grounds(
        &self,
        regime: Regime,
        date: Date,
    ) -> Result<Vec<Ground>, CalendarError> {
        self.grounds_with(self.rule(regime), date)
    }

    /// Whether `date` is a working day under `regime`.
    pub fn is_working_day(&self, regime: Regime, date: Date) -> Result<bool, CalendarError> {
        Ok(self.non_working_grounds(regime, date)?.is_empty())
    }

    /// The first working day on or after `date`.
    pub fn next_working_day(&self, regime: Regime, date: Date) -> Result<Date, CalendarError> {
        let rule = self.rule(regime);
        let mut day = date;
        while !self.grounds_with(rule, day)?.is_empty() {
            day = self.after(day)?;
        }
        Ok(day)
    }

    /// The `n`th working day counted from `from`: with [`FirstDay::EventDay`]
    /// `from` itself is counted if it is a working day; with [`FirstDay::DayAfter`]
    /// counting starts the day after. `n = 0` gives `from`.
    pub fn add_working_days(
        &self,
        regime: Regime,
        from: Date,
        n: u32,
        first: FirstDay,
    ) -> Result<Date, CalendarError> {
        self.walk_working_days(self.rule(regime), from, n, first)
            .map(|(last, _)| last)
    }

    /// How many working days there are from `first` to `last`, both included
    /// (0 if `last` is before `first`).
    pub fn count_working_days(
        &self,
        regime: Regime,
        first: Date,
        last: Date,
    ) -> Result<u32, CalendarError> {
        self.count_with(self.rule(regime), first, last)
    }

    pub(crate) fn count_with(
        &self,
        rule: &[Exclusion],
        first: Date,
        last: Date,
    ) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = first;
        while day <= last {
            if self.grounds_with(rule, day)?.is_empty() {
                count += 1;
            }
            day = self.after(day)?;
        }
        Ok(count)
    }

    /// Walks `n` working days; returns the last and every non-working day passed
    /// on the way (with its grounds).
    pub(crate) fn walk_working_days(
        &self,
        rule: &[Exclusion],
        from: Date,
        n: u32,
        first: FirstDay,
    ) -> Result<(Date, Vec<SkippedDay>), CalendarError> {
        self.check(from)?;
        if n == 0 {
            return Ok((from, Vec::new()));
        }
        let mut day = match first {
            FirstDay::EventDay => from,
            FirstDay::DayAfter => self.after(from)?,
        };
        let mut skipped = Vec::new();
        let mut counted = 0;
        loop {
            let grounds = self.grounds_with(rule, day)?;
            if grounds.is_empty() {
                counted += 1;
                if counted == n {
                    return Ok((day, skipped));
                }
            } else {
                skipped.push((day, grounds));
            }
            day = self.after(day)?;
        }
    }

    /// The day after `day`, which must be covered too.
    pub(crate) fn after(&self, day: Date) -> Result<Date, CalendarError> {
        let next = day.tomorrow().map_err(|e| data_err(e.to_string()))?;
        self.check(next)?;
        Ok(next)
    }

    pub(crate) fn grounds_with(
        &self,
        rule: &[Exclusion],
        date: Date,
    ) -> Result<Vec<Ground>, CalendarError> {
        self.check(date)?;
        let mut grounds = Vec::new();
        let weekday = date.weekday();
        if (weekday == Weekday::Saturday && rule.contains(&Exclusion::Saturday))
            || (weekday == Weekday::Sunday && rule.contains(&Exclusion::Sunday))
        {
            grounds.push(Ground::Weekend(weekday));
        }
        let christmas = rule.contains(&Exclusion::ChristmasDay) && is_christmas_day(date);
        let good_friday = rule.contains(&Exclusion::GoodFriday) && date == good_friday(date.year());
        if christmas {
            grounds.push(Ground::ChristmasDay);
        }
        if good_friday {
            grounds.push(Ground::GoodFriday);
        }
        let mut groups: Vec<(String, bool, Vec<Division>)> = Vec::new();
        for h in self.holidays.get(&date).map(Vec::as_slice).unwrap_or(&[]) {
            if !rule.contains(&Exclusion::BankHoliday(h.division)) {
                continue;
            }
            // Named already by reg 2(1) itself: don't say it twice.
            if (christmas && h.title == "Christmas Day")
                || (good_friday && h.title == "Good Friday")
            {
                continue;
            }
            match groups
                .iter_mut()
                .find(|(t, s, _)| *t == h.title && *s == h.substitute_day)
            {
                Some((_, _, divisions)) => divisions.push(h.division),
                None => groups.push((h.title.clone(), h.substitute_day, vec![h.division])),
            }
        }
        grounds.extend(
            groups
                .into_iter()
                .map(|(title, substitute_day, divisions)| Ground::BankHoliday {
                    title,
                    substitute_day,
                    divisions,
                }),
        );
        Ok(grounds)
    }

    /// The exclusions of a regime plus Northern Ireland's bank holidays: the other
    /// reading of PCR 2015 reg 2(1) (see `pcr15.working_day` notes).
    pub(crate) fn pcr_with_northern_ireland(&self) -> Vec<Exclusion> {
        let mut rule = self.pcr2015.clone();
        rule.push(Exclusion::BankHoliday(Division::NorthernIreland));
        rule
    }

    pub(crate) fn exclusions_of(&self, regime: Regime) -> &[Exclusion] {
        self.rule(regime)
    }
}

/// Reads a regime's working-day definition from its fact's `excluded_days`.
fn exclusions(data: &RulesData, regime: Regime) -> Result<Vec<Exclusion>, CalendarError> {
    let id = match regime {
        Regime::Pa2023 => "pa23.working_day",
        Regime::Pcr2015 => "pcr15.working_day",
    };
    let fact = data
        .fact(id)
        .ok_or_else(|| data_err(format!("no fact {id}")))?;
    if fact.text("regime") != Some(regime.data_id()) {
        return Err(data_err(format!("{id} is not a {} fact", regime.data_id())));
    }
    let mut out = Vec::new();
    for day in fact.texts("excluded_days") {
        out.push(match day {
            "saturday" => Exclusion::Saturday,
            "sunday" => Exclusion::Sunday,
            "christmas_day" => Exclusion::ChristmasDay,
            "good_friday" => Exclusion::GoodFriday,
            "bank_holiday_england_and_wales" => Exclusion::BankHoliday(Division::EnglandAndWales),
            "bank_holiday_scotland" => Exclusion::BankHoliday(Division::Scotland),
            "bank_holiday_northern_ireland" => Exclusion::BankHoliday(Division::NorthernIreland),
            // Encoded in code: pcr15.working_day (PCR 2015 reg 2(1)) says "a bank
            // holiday within the meaning of the Banking and Financial Dealings Act
            // 1971" without saying which part of the UK. Consort's users are English
            // and Welsh authorities, so this calendar uses England and Wales; when
            // Northern Ireland's holidays would change a result, the result says so
            // (the fact's notes suggest excluding them too).
            "bank_holiday_bfda_1971" => Exclusion::BankHoliday(Division::EnglandAndWales),
            other => {
                return Err(data_err(format!("{id}: unknown excluded day '{other}'")));
            }
        });
    }
    if out.is_empty() {
        return Err(data_err(format!("{id} has no excluded_days")));
    }
    Ok(out)
}

fn is_christmas_day(date: Date) -> bool {
    date.month() == 12 && date.day() == 25
}

/// Good Friday of `year` (Gregorian Easter, the anonymous algorithm, less two days).
pub(crate) fn good_friday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // Easter Sunday is between 22 March and 25 April, so Good Friday is a valid
    // date in March or April.
    let easter = Date::new(year, month as i8, day as i8).expect("Easter is a valid date");
    easter
        .checked_sub(jiff::Span::new().days(2))
        .expect("two days before Easter is a valid date")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn good_friday_matches_the_data_every_year() {
        let cal = calendar();
        let from_data: Vec<Date> = cal
            .bank_holidays(Division::EnglandAndWales)
            .filter(|h| h.title == "Good Friday")
            .map(|h| h.date)
            .collect();
        let (a, b) = cal.years();
        let computed: Vec<Date> = (a..=b).map(good_friday).collect();
        assert_eq!(from_data, computed);
        assert_eq!(good_friday(2026), date(2026, 4, 3));
    }

    #[test]
    fn joins_lists_in_english() {
        assert_eq!(join_and(["a"].into_iter()), "a");
        assert_eq!(join_and(["a", "b"].into_iter()), "a and b");
        assert_eq!(join_and(["a", "b", "c"].into_iter()), "a, b and c");
    }
}
