//! Dates as day numbers (days since 1970-01-01, proleptic Gregorian), so that the
//! sweeps sort and compare plain integers. Month arithmetic is never done here:
//! it goes through [`crate::register::Span`], as contracts state it.

use jiff::civil::Date;

/// The day number of `date`.
pub(crate) fn day_number(date: Date) -> i32 {
    let (y, m, d) = (
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of day number `n`, held to the range of dates jiff can represent.
pub(crate) fn date_of(n: i32) -> Date {
    let n = n.clamp(day_number(Date::MIN), day_number(Date::MAX));
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    // In range by the clamp above, so these conversions cannot fail.
    Date::new(
        i16::try_from(y).unwrap_or(i16::MAX),
        i8::try_from(m).unwrap_or(1),
        i8::try_from(d).unwrap_or(1),
    )
    .unwrap_or(Date::MAX)
}

/// An order-preserving sort key for (day, index): the day (sign bit flipped) in
/// the high 32 bits, the index in the low 32.
pub(crate) fn key(day: i32, index: usize) -> u64 {
    let biased = u64::from((day as u32) ^ 0x8000_0000);
    (biased << 32) | (index as u64 & 0xFFFF_FFFF)
}

/// The day of a [`key`].
pub(crate) fn key_day(key: u64) -> i32 {
    (((key >> 32) as u32) ^ 0x8000_0000) as i32
}

/// The index of a [`key`].
pub(crate) fn key_index(key: u64) -> usize {
    (key & 0xFFFF_FFFF) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_epoch_is_day_zero_and_days_are_consecutive() {
        let epoch = Date::constant(1970, 1, 1);
        assert_eq!(day_number(epoch), 0);
        assert_eq!(day_number(Date::constant(2000, 3, 1)), 11_017);
        // Every day from 1899 to 2101 is one more than the day before.
        let mut d = Date::constant(1899, 1, 1);
        let mut n = day_number(d);
        while d < Date::constant(2101, 12, 31) {
            let next = d.tomorrow().unwrap();
            assert_eq!(day_number(next), n + 1, "{next}");
            assert_eq!(date_of(n + 1), next);
            d = next;
            n += 1;
        }
    }

    #[test]
    fn day_numbers_agree_with_jiff_at_the_ends_of_its_range() {
        for d in [Date::MIN, Date::MAX, Date::constant(0, 2, 29)] {
            let epoch = Date::constant(1970, 1, 1);
            let days = (d - epoch).get_days();
            assert_eq!(day_number(d), days, "{d}");
            assert_eq!(date_of(day_number(d)), d);
        }
        assert_eq!(date_of(i32::MAX), Date::MAX);
        assert_eq!(date_of(i32::MIN), Date::MIN);
    }

    proptest! {
        #[test]
        fn day_numbers_round_trip_and_keep_order(a in -9999i16..=9999, m in 1i8..=12, d in 1i8..=31, n in -3_000_000i32..3_000_000) {
            if let Ok(date) = Date::new(a, m, d) {
                prop_assert_eq!(date_of(day_number(date)), date);
                let epoch = Date::constant(1970, 1, 1);
                prop_assert_eq!(day_number(date), (date - epoch).get_days());
            }
            let k1 = key(n, 7);
            let k2 = key(n.saturating_add(1), 3);
            prop_assert!(n == i32::MAX || k1 < k2);
            prop_assert_eq!(key_day(k1), n);
            prop_assert_eq!(key_index(k1), 7);
        }
    }
}
