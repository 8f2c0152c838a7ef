//! Time: virtual for tests (waits and timeouts finish at once, in a deterministic order) or
//! real for real runs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where an execution's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Time starts at the given instant (milliseconds since the Unix epoch) and advances only
    /// when every execution is waiting for a timer: then it jumps to the earliest one.
    Virtual {
        /// The start instant.
        start: i64,
    },
    /// The system clock; timers really sleep.
    Real,
}

impl Clock {
    /// Virtual time starting now.
    pub fn virtual_time() -> Clock {
        Clock::Virtual {
            start: system_now(),
        }
    }

    /// Whether waits take no real time.
    pub fn is_virtual(self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::virtual_time()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Formats milliseconds since the epoch as ISO 8601 with milliseconds, as AWS writes
/// timestamps in the Context object: `2024-01-02T03:04:05.678Z`.
pub fn format_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an RFC 3339 timestamp (`T` and `Z` or an offset, optional fraction) into
/// milliseconds since the epoch; fractions beyond milliseconds are truncated.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if !sfn_core::validate::is_timestamp(s) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if d > days_in_month(y, mo) {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        let padded = format!("{digits:0<3}");
        millis = padded[..3].parse::<i64>().ok()?;
        rest = &frac[digits.len()..];
    }
    let offset = if rest == "Z" {
        0
    } else {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        sign * (rest[1..3].parse::<i64>().ok()? * 60 + rest[4..6].parse::<i64>().ok()?)
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + se - offset * 60) * 1000) + millis)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil-date algorithms.

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1–12, day) of a day number.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            parse_timestamp("2016-08-18T17:33:00Z"),
            Some(1_471_541_580_000)
        );
        assert_eq!(
            format_timestamp(1_471_541_580_123),
            "2016-08-18T17:33:00.123Z"
        );
        assert_eq!(
            parse_timestamp("2016-08-18T17:33:00.123456Z"),
            Some(1_471_541_580_123)
        );
        assert_eq!(
            parse_timestamp("2016-08-18T19:33:00+02:00"),
            Some(1_471_541_580_000)
        );
        assert_eq!(parse_timestamp("2016-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2016-08-18 17:33:00Z"), None);
        for ms in [-86_400_000_i64, 951_782_400_000, 4_102_444_800_999] {
            assert_eq!(parse_timestamp(&format_timestamp(ms)), Some(ms));
        }
    }
}
