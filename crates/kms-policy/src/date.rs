//! Instants for the Date condition operators.
//!
//! The operators take ISO 8601 dates and times (the W3C profile the IAM reference points to)
//! or UNIX epoch seconds
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date>).

use std::fmt;

/// An instant, in seconds and nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since the UNIX epoch (negative before it).
    secs: i64,
    /// Nanoseconds past `secs`, below 1e9.
    nanos: u32,
}

impl Timestamp {
    /// The instant `secs` seconds after the UNIX epoch.
    pub fn from_unix_seconds(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// Whole seconds since the UNIX epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// Reads an ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00Z`,
    /// `2024-05-01T12:00:00.5+02:00`; no zone means UTC) or epoch seconds (`1714564800`,
    /// `1714564800.25`).
    pub fn parse(text: &str) -> Option<Timestamp> {
        parse_epoch(text).or_else(|| parse_iso(text))
    }
}

impl fmt::Display for Timestamp {
    /// Writes `YYYY-MM-DDThh:mm:ssZ`, with a fraction when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let secs = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
        write!(f, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

/// Epoch seconds: an optional `-`, digits, and an optional fraction.
fn parse_epoch(text: &str) -> Option<Timestamp> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let nanos = parse_fraction(frac)?;
    let ts = Timestamp { secs, nanos };
    Some(if negative { negate(ts)? } else { ts })
}

/// The instant as far before the epoch as `ts` is after it.
fn negate(ts: Timestamp) -> Option<Timestamp> {
    if ts.nanos == 0 {
        return Some(Timestamp {
            secs: ts.secs.checked_neg()?,
            nanos: 0,
        });
    }
    Some(Timestamp {
        secs: (-ts.secs).checked_sub(1)?,
        nanos: 1_000_000_000 - ts.nanos,
    })
}

/// Digits after a decimal point, as nanoseconds (at most nine digits count; none is zero).
fn parse_fraction(frac: &str) -> Option<u32> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    digits.parse().ok()
}

/// `YYYY-MM-DD`, optionally followed by `Thh:mm[:ss[.f]]` and a zone (`Z`, `±hh:mm`, `±hhmm`,
/// `±hh`).
fn parse_iso(text: &str) -> Option<Timestamp> {
    // The date part.
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(text.get(0..4)?)?;
    let month = digits(text.get(5..7)?)?;
    let day = digits(text.get(8..10)?)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(Timestamp { secs, nanos: 0 });
    }

    // The time part, then the zone.
    let rest = rest.strip_prefix(['T', 't'])?;
    let (clock, offset) = split_zone(rest)?;
    let (time_secs, nanos) = parse_clock(clock)?;
    secs += time_secs - offset;
    Some(Timestamp { secs, nanos })
}

/// Splits `hh:mm...` from its zone; returns the zone's offset east of UTC in seconds.
fn split_zone(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(pos) = rest.find(['+', '-']) else {
        return Some((rest, 0));
    };
    let (clock, zone) = rest.split_at(pos);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let zone = zone[1..].replace(':', "");
    let (hh, mm) = match zone.len() {
        2 => (digits(&zone)?, 0),
        4 => (digits(zone.get(..2)?)?, digits(zone.get(2..)?)?),
        _ => return None,
    };
    if hh > 23 || mm > 59 {
        return None;
    }
    Some((clock, sign * (hh * 3600 + mm * 60)))
}

/// `hh:mm`, `hh:mm:ss` or `hh:mm:ss.f`, as seconds into the day and nanoseconds.
fn parse_clock(clock: &str) -> Option<(i64, u32)> {
    let (main, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let parts: Vec<&str> = main.split(':').collect();
    let (hh, mm, ss) = match parts.as_slice() {
        [hh, mm] if frac.is_empty() => (digits(hh)?, digits(mm)?, 0),
        [hh, mm, ss] => (digits(hh)?, digits(mm)?, digits(ss)?),
        _ => return None,
    };
    if hh > 23 || mm > 59 || ss > 59 || (clock.contains('.') && frac.is_empty()) {
        return None;
    }
    Some((hh * 3600 + mm * 60 + ss, parse_fraction(frac)?))
}

/// Exactly two or four ASCII digits, as a number.
fn digits(text: &str) -> Option<i64> {
    let width_ok = text.len() == 2 || text.len() == 4;
    if !width_ok || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a civil date (the well-known era-based conversion).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms_agree_with_epoch() {
        let cases = [
            ("2024-05-01", 1_714_521_600),
            ("2024-05-01T12:00Z", 1_714_564_800),
            ("2024-05-01T12:00:00Z", 1_714_564_800),
            ("2024-05-01T12:00:00", 1_714_564_800),
            ("2024-05-01T14:00:00+02:00", 1_714_564_800),
            ("2024-05-01T07:00:00-0500", 1_714_564_800),
            ("2024-05-01T13:00:00+01", 1_714_564_800),
            ("1714564800", 1_714_564_800),
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", -1),
        ];
        for (text, secs) in cases {
            assert_eq!(Timestamp::parse(text).map(|t| t.secs), Some(secs), "{text}");
        }
    }

    #[test]
    fn fractions_are_kept() {
        let a = Timestamp::parse("2024-05-01T12:00:00.5Z");
        let b = Timestamp::parse("1714564800.5");
        assert_eq!(a, b);
        assert!(a > Timestamp::parse("2024-05-01T12:00:00Z"));
        assert_eq!(
            Timestamp::parse("-1.5"),
            Some(Timestamp {
                secs: -2,
                nanos: 500_000_000
            })
        );
    }

    #[test]
    fn invalid_dates_are_refused() {
        for text in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2023-02-29",
            "2024-05-01T25:00Z",
            "2024-05-01 12:00Z",
            "2024-5-1",
            "12:00",
            "2024-05-01T12:00:00.Z",
            "abc",
            "1e9",
        ] {
            assert_eq!(Timestamp::parse(text), None, "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "2024-02-29T23:59:59Z",
            "1900-01-01T00:00:00Z",
            "2024-05-01T12:00:00.25Z",
        ] {
            let ts = Timestamp::parse(text);
            assert_eq!(ts.map(|t| t.to_string()).as_deref(), Some(text));
        }
    }
}
