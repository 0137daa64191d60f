//! xsd:dateTime (RFC 7643 §2.3.5) to instants, exactly as `scimcore.datetimes.parse_datetime` does: a value
//! without an offset is UTC, fractions beyond microseconds are truncated, `24:00:00` is the next midnight,
//! offsets up to ±14:59, years 1-9999. The instant is returned as microseconds since the Unix epoch.

/// Microseconds since 1970-01-01T00:00:00Z of the xsd:dateTime `text`, or `None` if it is not one
/// (`scimcore.datetimes.parse_datetime`: filter literals).
#[must_use]
pub fn parse_datetime(text: &str) -> Option<i64> {
    parse(text, false)
}

/// The instant of a dateTime value stored in a resource, as `scimcore.filter.runtime.instant` reads it:
/// like [`parse_datetime`], except that (through `datetime.fromisoformat`) any offset under 24 hours is
/// accepted, minutes above 59 included, unless the time is `24:00:00`.
#[must_use]
pub fn value_instant(text: &str) -> Option<i64> {
    parse(text, true)
}

fn parse(text: &str, lenient_offset: bool) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() > 64 || b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut pos = 19;
    let mut micro = 0i64;
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == start {
            return None;
        }
        for i in 0..6 {
            let d = if start + i < pos {
                i64::from(b[start + i] - b'0')
            } else {
                0
            };
            micro = micro * 10 + d;
        }
    }
    let extra_day = hour == 24;
    let offset_minutes = match &b[pos..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2], 0, 2)?;
            let minutes = digits(&[*m1, *m2], 0, 2)?;
            let valid = if lenient_offset && !extra_day {
                hours * 60 + minutes < 1440
            } else {
                hours <= 14 && minutes <= 59
            };
            if !valid {
                return None;
            }
            let total = hours * 60 + minutes;
            if *sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if extra_day && (minute != 0 || second != 0 || micro != 0) {
        return None;
    }
    if (!extra_day && hour > 23) || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day) + i64::from(extra_day);
    let seconds = days * 86_400 + if extra_day { 0 } else { hour * 3600 } + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000_000 + micro)
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let mut value = 0i64;
    for &c in b.get(start..start + len)? {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(c - b'0');
    }
    Some(value)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::{parse_datetime, value_instant};

    #[test]
    fn resource_values_accept_wider_offsets() {
        assert_eq!(
            value_instant("2011-05-13T04:42:34+20:00"),
            parse_datetime("2011-05-12T08:42:34Z")
        );
        assert_eq!(
            value_instant("2011-05-13T04:42:34+05:75"),
            parse_datetime("2011-05-12T22:27:34Z")
        );
        assert_eq!(value_instant("2011-05-13T04:42:34+24:00"), None);
        assert_eq!(value_instant("2011-05-13T24:00:00+20:00"), None);
        assert_eq!(parse_datetime("2011-05-13T04:42:34+20:00"), None);
    }

    #[test]
    fn instants() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:00"), Some(0));
        assert_eq!(
            parse_datetime("2011-05-13T04:42:34Z"),
            parse_datetime("2011-05-13T04:42:34.000Z")
        );
        assert_eq!(
            parse_datetime("2011-05-13T06:42:34+02:00"),
            parse_datetime("2011-05-13T04:42:34Z")
        );
        assert_eq!(
            parse_datetime("2011-05-12T23:42:34-05:00"),
            parse_datetime("2011-05-13T04:42:34Z")
        );
        assert_eq!(
            parse_datetime("2000-01-01T24:00:00Z"),
            parse_datetime("2000-01-02T00:00:00Z")
        );
        assert_eq!(parse_datetime("1970-01-01T00:00:00.1234567Z"), Some(123_456));
        assert_eq!(parse_datetime("2024-02-29T00:00:00Z"), Some(1_709_164_800_000_000));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "2011-05-13",
            "2011-05-13 04:42:34Z",
            "2011-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2011-05-13T04:42:34.Z",
            "2011-05-13T24:00:01Z",
            "2011-05-13T04:42:34+15:00",
            "0000-01-01T00:00:00Z",
            "2011-05-13T04:60:00Z",
            "2011-05-13T04:42:34z",
            "２011-05-13T04:42:34Z",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
