//! The two date formats of the wire: SigV4's ISO 8601 basic format (`20150830T123600Z`, see
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>)
//! and the HTTP date of RFC 9110 section 5.6.7 (`Sun, 30 Aug 2015 12:36:00 GMT`).
//!
//! Times are whole seconds since the Unix epoch, in UTC; the calendar arithmetic is the proleptic
//! Gregorian calendar of both formats.

use std::time::{SystemTime, UNIX_EPOCH};

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The system clock in whole seconds since the epoch (0 if the clock is before 1970).
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a civil date (month and day 1-based).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Shift the year to start in March, so that the leap day is the last day of a year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Splits epoch seconds into (year, month, day, hour, minute, second).
fn split(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    (year, month, day, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Epoch seconds of a date and time, when every field is in range.
fn join(year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64) -> Option<i64> {
    let in_range = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&min)
        && (0..=60).contains(&sec);
    in_range.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Formats epoch seconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = split(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// Formats epoch seconds as an HTTP date, `Sun, 30 Aug 2015 12:36:00 GMT`.
pub fn format_http(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = split(secs);
    // 1970-01-01 was a Thursday, the first entry of DAY_NAMES.
    let weekday = DAY_NAMES[secs.div_euclid(86_400).rem_euclid(7) as usize];
    let month = MONTH_NAMES[(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// Parses a run of ASCII digits as a number.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `YYYYMMDDTHHMMSSZ` into epoch seconds.
pub fn parse_amz(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let field = |from: usize, to: usize| text.get(from..to).and_then(digits);
    join(
        field(0, 4)?,
        field(4, 6)?,
        field(6, 8)?,
        field(9, 11)?,
        field(11, 13)?,
        field(13, 15)?,
    )
}

/// Parses an HTTP date in the IMF-fixdate form, `Sun, 30 Aug 2015 12:36:00 GMT`.
pub fn parse_http(text: &str) -> Option<i64> {
    // The weekday is redundant; only its presence is checked.
    let (_weekday, rest) = text.split_once(", ")?;
    let fields: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, clock, "GMT"] = fields[..] else {
        return None;
    };
    let month = MONTH_NAMES.iter().position(|m| *m == month)? as i64 + 1;
    let clock: Vec<&str> = clock.split(':').collect();
    let [hour, min, sec] = clock[..] else {
        return None;
    };
    join(
        digits(year)?,
        month,
        digits(day)?,
        digits(hour)?,
        digits(min)?,
        digits(sec)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE: i64 = 1_440_938_160;

    #[test]
    fn formats_and_parses_the_suite_date() {
        assert_eq!(format_amz(SUITE), "20150830T123600Z");
        assert_eq!(parse_amz("20150830T123600Z"), Some(SUITE));
        assert_eq!(format_http(SUITE), "Sun, 30 Aug 2015 12:36:00 GMT");
        assert_eq!(parse_http("Sun, 30 Aug 2015 12:36:00 GMT"), Some(SUITE));
    }

    #[test]
    fn leap_days_and_epoch() {
        assert_eq!(format_amz(0), "19700101T000000Z");
        let leap = parse_amz("20240229T235959Z");
        assert_eq!(leap.map(format_amz).as_deref(), Some("20240229T235959Z"));
        assert_eq!(
            leap.map(format_http).as_deref(),
            Some("Thu, 29 Feb 2024 23:59:59 GMT")
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "20150830T123600",
            "2015083OT123600Z",
            "20151330T123600Z",
            "ééé",
        ] {
            assert_eq!(parse_amz(bad), None, "{bad}");
        }
        assert_eq!(parse_http("30 Aug 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http("Sun, 30 Foo 2015 12:36:00 GMT"), None);
    }
}
