//! Dates as people in England and Wales read them: the calendar date in
//! Europe/London for an instant. The time zone data is built into the binary.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The time zone Consort's dates are read in.
pub fn london() -> TimeZone {
    TimeZone::get("Europe/London").expect("the bundled time zone database has Europe/London")
}

/// The date in London at `at`.
pub fn london_date(at: Timestamp) -> Date {
    at.to_zoned_datetime(london()).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_dates_follow_summer_time() {
        // 23:30 UTC on 30 June is already 1 July in London (BST, UTC+1).
        let summer: Timestamp = "2026-06-30T23:30:00Z".parse().unwrap();
        assert_eq!(london_date(summer).to_string(), "2026-07-01");
        // In winter London is on UTC.
        let winter: Timestamp = "2026-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(london_date(winter).to_string(), "2026-12-31");
    }
}
