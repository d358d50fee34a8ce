//! Output the way `docker` prints it: tab-aligned tables (Go's `text/tabwriter` with docker's
//! settings), relative times (`2 minutes ago`, go-units' `HumanDuration`), human sizes
//! (`12.3MB`, go-units' `HumanSize`), timestamps.

use std::time::{SystemTime, UNIX_EPOCH};

/// docker's tabwriter settings: minimum cell width 10, padding 3.
const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns tab-separated cells into columns as Go's `tabwriter` does with docker's settings: a
/// column is a run of consecutive lines that have a cell there (a cell ends with a tab; the
/// text after a line's last tab is not in any column).
pub(crate) fn tabwrite(text: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format_block(&lines, &mut widths, 0, lines.len(), &mut out);
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn format_block(
    lines: &[Vec<&str>],
    widths: &mut Vec<usize>,
    mut line0: usize,
    line1: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, widths, line0, this, line1, out);
        line0 = this;
        let mut w = MIN_WIDTH;
        while this < line1 && column + 1 < lines[this].len() {
            w = w.max(width(lines[this][column]) + PADDING);
            this += 1;
        }
        widths.push(w);
        format_block(lines, widths, line0, this, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, widths, line0, line1, line1, out);
}

fn write_lines(
    lines: &[Vec<&str>],
    widths: &[usize],
    from: usize,
    to: usize,
    _end: usize,
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&w) = widths.get(j) {
                if j + 1 < line.len() {
                    for _ in width(cell)..w {
                        out.push(' ');
                    }
                }
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

/// go-units' `HumanDuration`: "Less than a second", "About a minute", "3 hours"…
pub(crate) fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 1 {
        return "Less than a second".into();
    }
    if s == 1 {
        return "1 second".into();
    }
    if s < 60 {
        return format!("{s} seconds");
    }
    let minutes = s / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (s as f64 / 3600.0 + 0.5) as i64;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", s / 3600 / 24 / 365)
}

/// "3 minutes ago" for a Unix time.
pub(crate) fn ago(unix: i64) -> String {
    format!("{} ago", human_duration(now_unix() - unix))
}

/// Seconds since the epoch, now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Go's `%.{prec}g`: at most `prec` significant digits, no trailing zeros.
pub(crate) fn go_g(v: f64, prec: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let sci = format!("{:.*e}", prec.saturating_sub(1), v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s.to_owned()
        }
    };
    if exp < -4 || exp >= prec as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant), exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

fn custom_size(size: f64, prec: usize, base: f64, units: &[&str]) -> String {
    let mut size = size;
    let mut i = 0;
    while size >= base && i + 1 < units.len() {
        size /= base;
        i += 1;
    }
    format!("{}{}", go_g(size, prec), units[i])
}

/// go-units' `HumanSizeWithPrecision`: decimal units (`kB`, `MB`…).
pub(crate) fn human_size_prec(bytes: f64, prec: usize) -> String {
    custom_size(
        bytes,
        prec,
        1000.0,
        &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
    )
}

/// go-units' `HumanSize` (4 significant digits).
pub(crate) fn human_size(bytes: f64) -> String {
    human_size_prec(bytes, 4)
}

/// go-units' `BytesSize`: binary units (`KiB`, `MiB`…).
pub(crate) fn bytes_size(bytes: f64) -> String {
    custom_size(
        bytes,
        4,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
    )
}

/// Parses a size with an optional unit (`10m`, `1g`, `512`) into bytes, as docker's flags do.
pub(crate) fn parse_bytes(s: &str) -> Option<i64> {
    let lower = s.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(digits_end);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as i64)
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The broken-down UTC time of a Unix time: (y, mo, d, h, mi, s).
fn utc(unix: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, mo, d) = civil(days);
    (
        y,
        mo,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    )
}

/// Go's `time.Time.String()` of a Unix time, in UTC: `2024-01-02 03:04:05 +0000 UTC`.
pub(crate) fn go_time_string(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = utc(unix);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} +0000 UTC")
}

/// RFC 3339 with nine fraction digits, UTC (`jsonmessage.RFC3339NanoFixed`).
pub(crate) fn rfc3339_nano(unix: i64, nanos: u32) -> String {
    let (y, mo, d, h, mi, s) = utc(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{nanos:09}Z")
}

/// RFC 3339, seconds only, UTC.
pub(crate) fn rfc3339(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = utc(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Parses an RFC 3339 time (`2024-01-02T03:04:05.123Z`, `…+02:00`) into (Unix seconds, nanos).
pub(crate) fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = &s[start..i];
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

/// A `--since`/`--until` value as the API takes it: a duration (`10m`, `1h30m`, `45s`)
/// becomes now minus it; an RFC 3339 time or a Unix timestamp is passed on.
pub(crate) fn api_time(value: &str) -> String {
    if let Some(secs) = parse_go_duration(value) {
        return (now_unix() - secs).to_string();
    }
    if let Some((t, n)) = parse_rfc3339(value) {
        return if n == 0 {
            t.to_string()
        } else {
            format!("{t}.{n:09}")
        };
    }
    value.to_owned()
}

/// A Go duration (`1h30m`, `10s`, `2m`) in whole seconds.
pub(crate) fn parse_go_duration(s: &str) -> Option<i64> {
    if s.is_empty() || s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let uend = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..uend] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += n * mult;
        rest = &rest[uend..];
    }
    Some(total as i64)
}

/// Shortens an id to docker's 12 characters (dropping a `sha256:` prefix).
pub(crate) fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// docker's `Ellipsis`: at most `max` characters, the last one `…` when cut.
pub(crate) fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote` for printable text (what `docker ps` shows as COMMAND).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_like_tabwriter() {
        let t = tabwrite("A\tBB\tlast\nlonger-than-twenty-chars\tx\ty\n");
        assert_eq!(
            t,
            "A                          BB        last\n\
             longer-than-twenty-chars   x         y\n"
        );
        // A line without tabs ends the column block.
        assert_eq!(tabwrite("a\tb\nplain\n"), "a         b\nplain\n");
    }

    #[test]
    fn durations_like_go_units() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(59), "59 seconds");
        assert_eq!(human_duration(60), "About a minute");
        assert_eq!(human_duration(119), "About a minute");
        assert_eq!(human_duration(120), "2 minutes");
        assert_eq!(human_duration(3600 + 1799), "About an hour");
        assert_eq!(human_duration(3600 + 1800), "2 hours");
        assert_eq!(human_duration(47 * 3600), "47 hours");
        assert_eq!(human_duration(48 * 3600), "2 days");
        assert_eq!(human_duration(14 * 86400), "2 weeks");
        assert_eq!(human_duration(60 * 86400), "2 months");
        assert_eq!(human_duration(800 * 86400), "2 years");
    }

    #[test]
    fn sizes_like_go_units() {
        assert_eq!(human_size(0.0), "0B");
        assert_eq!(human_size(999.0), "999B");
        assert_eq!(human_size(1000.0), "1kB");
        assert_eq!(human_size(1_234_567.0), "1.235MB");
        assert_eq!(human_size_prec(4_194_304.0, 3), "4.19MB");
        assert_eq!(human_size_prec(999_960.0, 4), "1000kB");
        assert_eq!(bytes_size(1536.0), "1.5KiB");
        assert_eq!(go_g(1e21, 4), "1e+21");
        assert_eq!(go_g(0.000_012_34, 3), "1.23e-05");
        assert_eq!(parse_bytes("10m"), Some(10 << 20));
        assert_eq!(parse_bytes("1g"), Some(1 << 30));
        assert_eq!(parse_bytes("x"), None);
    }

    #[test]
    fn times() {
        assert_eq!(go_time_string(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            rfc3339_nano(1_700_000_000, 5),
            "2023-11-14T22:13:20.000000005Z"
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.5Z"),
            Some((1_700_000_000, 500_000_000))
        );
        assert_eq!(
            parse_rfc3339("2023-11-15T00:13:20+02:00"),
            Some((1_700_000_000, 0))
        );
        assert_eq!(
            parse_rfc3339("0001-01-01T00:00:00Z").map(|t| t.0),
            Some(-62_135_596_800)
        );
        assert_eq!(parse_go_duration("1h30m"), Some(5400));
        assert_eq!(parse_go_duration("123"), None);
        assert_eq!(api_time("1700000000"), "1700000000");
    }

    #[test]
    fn ids_and_text() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abc", 4), "abc");
        assert_eq!(go_quote("sh -c \"x\""), "\"sh -c \\\"x\\\"\"");
    }
}
