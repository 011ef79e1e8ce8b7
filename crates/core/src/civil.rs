//! Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (UTC), the one copy that
//! the timestamp parser, the demo generator, the decision log and the benches share.
//!
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms: exact
//! integer arithmetic over 400-year eras, no table, no time zone, valid for every date whose day
//! count fits an `i64` well within range (far beyond any year a lead export holds). They do not
//! check their input: a day past the end of its month rolls over into the next one, which the
//! demo generator relies on for a configured start date such as February 31. Callers that parse
//! text check the date first with [`days_in_month`].

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days from 0000-03-01 to 1970-01-01 (the algorithms count from a March 1st, so that the leap
/// day ends a year).
const EPOCH_SHIFT: i64 = 719_468;
/// Days in 400 Gregorian years.
const DAYS_PER_ERA: i64 = 146_097;

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1 = January) of `year`; `None` for a month outside 1..=12.
pub fn days_in_month(year: i64, month: i64) -> Option<i64> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if is_leap_year(year) => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// Days since 1970-01-01 of the date `year`-`month`-`day` (month 1..=12; a day past the end of
/// the month rolls over).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // year of era, 0..=399
    let mp = if month > 2 { month - 3 } else { month + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1; // day of the (March-based) year
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // day of era
    era * DAYS_PER_ERA + doe - EPOCH_SHIFT
}

/// The date `(year, month 1..=12, day 1..=31)` of `days` since 1970-01-01; the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let doe = z - era * DAYS_PER_ERA; // day of era, 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day of the week of `days` since 1970-01-01, 0 = Monday ... 6 = Sunday (1970-01-01 was a
/// Thursday).
pub fn weekday_from_monday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

/// The UTC date and time of a Unix timestamp: `((year, month, day), (hour, minute, second))`.
pub fn civil_from_unix(seconds: i64) -> ((i64, i64, i64), (i64, i64, i64)) {
    let s = seconds.rem_euclid(DAY);
    (
        civil_from_days(seconds.div_euclid(DAY)),
        (s / 3600, s / 60 % 60, s % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(
            civil_from_days(days_from_civil(2025, 12, 31) + 1),
            (2026, 1, 1)
        );
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(1600, 1, 1), -135_140);
        // A day past the end of the month rolls over.
        assert_eq!(days_from_civil(2025, 2, 31), days_from_civil(2025, 3, 3));
        assert_eq!(weekday_from_monday(0), 3);
        assert_eq!(weekday_from_monday(days_from_civil(2025, 6, 8)), 6);
        assert_eq!(
            civil_from_unix(1_749_376_800 + 3_661),
            ((2025, 6, 8), (11, 1, 1))
        );
        assert_eq!(civil_from_unix(-1), ((1969, 12, 31), (23, 59, 59)));
    }

    #[test]
    fn round_trips_every_day_of_six_centuries() {
        let mut expected = (1800, 1, 1);
        for days in days_from_civil(1800, 1, 1)..days_from_civil(2400, 1, 1) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!((y, m, d), expected, "day {days}");
            assert_eq!(days_from_civil(y, m, d), days);
            expected = if d < days_in_month(y, m).unwrap() {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(1900) && !is_leap_year(2025) && !is_leap_year(2100));
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(1900, 2), Some(28));
        assert_eq!(days_in_month(2025, 13), None);
    }
}
