//! Dates and times: `$fromMillis`, `$toMillis`, `$now` with XPath `fn:format-dateTime`
//! picture strings, ported from jsonata-js `src/datetime.js`. Everything is UTC, as there.

use regress::{Flags, Regex};

use super::error::{Error, Result};
use super::format::{
    Case, Grouping, IntegerFormat, analyse_integer_picture, format_integer_with, integer_regex,
    parse_int, parse_integer_with,
};
use super::value::Val;
use crate::clock::{civil_from_days, days_from_civil};

const MS_PER_DAY: f64 = 86_400_000.0;

/// JavaScript's `Date.UTC(year, month0, day, h, m, s, ms)`, NaN for invalid input.
pub(crate) fn date_utc(year: f64, month0: f64, day: f64, h: f64, mi: f64, s: f64, ms: f64) -> f64 {
    let all = [year, month0, day, h, mi, s, ms];
    if all.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let [year, month0, day, h, mi, s, ms] = all.map(f64::trunc);
    let year = if (0.0..=99.0).contains(&year) {
        1900.0 + year
    } else {
        year
    };
    let ym = year + (month0 / 12.0).floor();
    let mn = month0.rem_euclid(12.0);
    if ym.abs() > 400_000.0 {
        return f64::NAN;
    }
    let days = days_from_civil(ym as i64, mn as i64 + 1, 1) as f64 + day - 1.0;
    let time = h * 3_600_000.0 + mi * 60_000.0 + s * 1000.0 + ms;
    let t = days * MS_PER_DAY + time;
    if t.abs() > 8.64e15 { f64::NAN } else { t }
}

/// The UTC fields of a time value (JavaScript's `getUTC…`).
#[derive(Clone, Copy)]
struct Fields {
    year: i64,
    /// 0–11.
    month: i64,
    day: i64,
    /// 0 = Sunday.
    weekday: i64,
    hours: i64,
    minutes: i64,
    seconds: i64,
    millis: i64,
    time: f64,
    /// False for an invalid date (beyond ±8.64e15 ms): every field reads as `NaN`.
    valid: bool,
}

fn fields(t: f64) -> Fields {
    if !t.is_finite() || t.abs() > 8.64e15 {
        let mut f = fields(0.0);
        f.valid = false;
        f.time = f64::NAN;
        return f;
    }
    let t = t.trunc();
    let days = (t / MS_PER_DAY).floor();
    let ms_in_day = (t - days * MS_PER_DAY) as i64;
    let (year, month, day) = civil_from_days(days as i64);
    Fields {
        year,
        month: month - 1,
        day,
        weekday: (days as i64 + 4).rem_euclid(7),
        hours: ms_in_day / 3_600_000,
        minutes: ms_in_day / 60_000 % 60,
        seconds: ms_in_day / 1000 % 60,
        millis: ms_in_day % 1000,
        time: t,
        valid: true,
    }
}

const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The start of the first week (the one with the first Thursday) of a year or month.
fn start_of_first_week(year: i64, month0: i64) -> f64 {
    let jan1 = date_utc(year as f64, month0 as f64, 1.0, 0.0, 0.0, 0.0, 0.0);
    let mut day = fields(jan1).weekday;
    if day == 0 {
        day = 7;
    }
    if day > 4 {
        jan1 + (8 - day) as f64 * MS_PER_DAY
    } else {
        jan1 - (day - 1) as f64 * MS_PER_DAY
    }
}

fn next_month(year: i64, month0: i64) -> (i64, i64) {
    if month0 == 11 {
        (year + 1, 0)
    } else {
        (year, month0 + 1)
    }
}

fn previous_month(year: i64, month0: i64) -> (i64, i64) {
    if month0 == 0 {
        (year - 1, 11)
    } else {
        (year, month0 - 1)
    }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (MS_PER_DAY * 7.0) + 1.0
}

/// A component's value: a number, or a name for `P`, `C` and `E`.
enum Component {
    Number(f64),
    Text(&'static str),
    None,
}

fn fragment(date: &Fields, component: char) -> Component {
    use Component::*;
    if !date.valid {
        // An invalid `Date`: every getter gives `NaN`.
        return match component {
            'P' => Text("am"),
            'C' | 'E' => Text("ISO"),
            c if "YMDdFWwXxHhmsf".contains(c) => Number(f64::NAN),
            _ => None,
        };
    }
    match component {
        'Y' => Number(date.year as f64),
        'M' => Number((date.month + 1) as f64),
        'D' => Number(date.day as f64),
        'd' => {
            let today = date_utc(
                date.year as f64,
                date.month as f64,
                date.day as f64,
                0.0,
                0.0,
                0.0,
                0.0,
            );
            let first = date_utc(date.year as f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
            Number((today - first) / MS_PER_DAY + 1.0)
        }
        'F' => Number(if date.weekday == 0 {
            7.0
        } else {
            date.weekday as f64
        }),
        'W' => {
            let start = start_of_first_week(date.year, 0);
            let today = date_utc(
                date.year as f64,
                date.month as f64,
                date.day as f64,
                0.0,
                0.0,
                0.0,
                0.0,
            );
            let mut week = delta_weeks(start, today);
            if week > 52.0 {
                if today >= start_of_first_week(date.year + 1, 0) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(date.year - 1, 0), today);
            }
            Number(week.floor())
        }
        'w' => {
            let start = start_of_first_week(date.year, date.month);
            let today = date_utc(
                date.year as f64,
                date.month as f64,
                date.day as f64,
                0.0,
                0.0,
                0.0,
                0.0,
            );
            let mut week = delta_weeks(start, today);
            if week > 4.0 {
                let (y, m) = next_month(date.year, date.month);
                if today >= start_of_first_week(y, m) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (y, m) = previous_month(date.year, date.month);
                week = delta_weeks(start_of_first_week(y, m), today);
            }
            Number(week.floor())
        }
        'X' => {
            let start = start_of_first_week(date.year, 0);
            let end = start_of_first_week(date.year + 1, 0);
            Number(if date.time < start {
                (date.year - 1) as f64
            } else if date.time >= end {
                (date.year + 1) as f64
            } else {
                date.year as f64
            })
        }
        'x' => {
            let start = start_of_first_week(date.year, date.month);
            let (ny, nm) = next_month(date.year, date.month);
            let end = start_of_first_week(ny, nm);
            Number(if date.time < start {
                (previous_month(date.year, date.month).1 + 1) as f64
            } else if date.time >= end {
                (nm + 1) as f64
            } else {
                (date.month + 1) as f64
            })
        }
        'H' => Number(date.hours as f64),
        'h' => {
            let h = date.hours % 12;
            Number(if h == 0 { 12.0 } else { h as f64 })
        }
        'P' => Text(if date.hours >= 12 { "pm" } else { "am" }),
        'm' => Number(date.minutes as f64),
        's' => Number(date.seconds as f64),
        'f' => Number(date.millis as f64),
        'C' | 'E' => Text("ISO"),
        _ => None,
    }
}

/// One part of an analysed picture.
enum Part {
    Literal(String),
    Marker(Marker),
}

struct Marker {
    component: char,
    width: Option<(Option<f64>, Option<f64>)>,
    presentation2: Option<char>,
    names: Option<Case>,
    integer: Option<IntegerFormat>,
    /// Digits of the year kept (`-1`: all).
    n: i64,
}

fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn analyse_picture(picture: &str) -> Result<Vec<Part>> {
    let chars: Vec<char> = picture.chars().collect();
    let mut parts = Vec::new();
    let literal = |parts: &mut Vec<Part>, from: usize, to: usize| {
        if to > from {
            let text: String = chars[from..to].iter().collect();
            parts.push(Part::Literal(text.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars[pos] == '[' {
            if chars.get(pos + 1) == Some(&'[') {
                literal(&mut parts, start, pos);
                parts.push(Part::Literal("[".into()));
                pos += 2;
                start = pos;
                continue;
            }
            literal(&mut parts, start, pos);
            start = pos;
            let Some(end) = chars[start..]
                .iter()
                .position(|c| *c == ']')
                .map(|i| i + start)
            else {
                return Err(Error::new("D3135"));
            };
            pos = end;
            let marker: String = chars[start + 1..pos]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let marker: Vec<char> = marker.chars().collect();
            let component = marker.first().copied().unwrap_or('\0');
            let comma = marker.iter().rposition(|c| *c == ',');
            let mut width = None;
            let presentation: String = match comma {
                Some(c) => {
                    let modifier: String = marker[c + 1..].iter().collect();
                    let parse = |w: Option<&str>| match w {
                        None | Some("*") => None,
                        Some(w) => Some(parse_int(w)),
                    };
                    let (min, max) = match modifier.find('-') {
                        None => (Some(modifier.as_str()), None),
                        Some(d) => (Some(&modifier[..d]), Some(&modifier[d + 1..])),
                    };
                    width = Some((parse(min), parse(max)));
                    marker[1..c].iter().collect()
                }
                None => marker.iter().skip(1).collect(),
            };
            let mut presentation2 = None;
            let presentation1: Option<String> = if presentation.chars().count() == 1 {
                Some(presentation)
            } else if presentation.chars().count() > 1 {
                let last = presentation.chars().last().unwrap_or(' ');
                if "atco".contains(last) {
                    presentation2 = Some(last);
                    Some(presentation[..presentation.len() - last.len_utf8()].to_owned())
                } else {
                    Some(presentation)
                }
            } else {
                default_presentation(component).map(str::to_owned)
            };
            let Some(p1) = presentation1 else {
                return Err(Error::new("D3132").value(Some(&Val::string(component.to_string()))));
            };
            let mut def = Marker {
                component,
                width,
                presentation2,
                names: None,
                integer: None,
                n: -1,
            };
            if p1.starts_with('n') {
                def.names = Some(Case::Lower);
            } else if let Some(rest) = p1.strip_prefix('N') {
                def.names = Some(if rest.starts_with('n') {
                    Case::Title
                } else {
                    Case::Upper
                });
            } else if "YMDdFWwXxHhmsf".contains(component) {
                let mut pattern = p1.clone();
                if let Some(p2) = presentation2 {
                    pattern.push(';');
                    pattern.push(p2);
                }
                let mut format = analyse_integer_picture(&pattern)?;
                if let Some((Some(min), _)) = width {
                    if (format.mandatory_digits as f64) < min && min.is_finite() {
                        format.mandatory_digits = min.clamp(0.0, 1e6) as usize;
                    }
                }
                if component == 'Y' {
                    def.n = -1;
                    if let Some((_, Some(max))) = width {
                        def.n = max as i64;
                        format.mandatory_digits = max.clamp(0.0, 1e6) as usize;
                    } else {
                        let w = format.mandatory_digits + format.optional_digits;
                        if w >= 2 {
                            def.n = w as i64;
                        }
                    }
                }
                def.integer = Some(format);
            }
            if component == 'Z' || component == 'z' {
                def.integer = Some(analyse_integer_picture(&p1)?);
            }
            parts.push(Part::Marker(def));
            start = pos + 1;
        }
        pos += 1;
    }
    literal(&mut parts, start, chars.len());
    Ok(parts)
}

fn apply_case(text: &str, case: Case) -> String {
    match case {
        Case::Upper => text.to_uppercase(),
        Case::Lower => text.to_lowercase(),
        Case::Title => text.to_owned(),
    }
}

/// `$fromMillis(millis, picture, timezone)`.
pub(crate) fn from_millis(
    millis: f64,
    picture: Option<&str>,
    timezone: Option<&str>,
) -> Result<String> {
    let (mut offset_hours, mut offset_minutes) = (0.0, 0.0);
    if let Some(tz) = timezone {
        let offset = parse_int(tz);
        offset_hours = (offset / 100.0).floor();
        offset_minutes = offset % 100.0;
    }
    let picture = picture.unwrap_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
    let parts = analyse_picture(picture)?;
    let offset_millis = (60.0 * offset_hours + offset_minutes) * 60_000.0;
    let date = fields(millis + offset_millis);
    let mut out = String::new();
    for part in &parts {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Marker(m) => {
                out.push_str(&format_component(&date, m, offset_hours, offset_minutes)?)
            }
        }
    }
    Ok(out)
}

fn format_component(
    date: &Fields,
    m: &Marker,
    offset_hours: f64,
    offset_minutes: f64,
) -> Result<String> {
    let value = fragment(date, m.component);
    if "YMDdFWwXxHhms".contains(m.component) {
        let Component::Number(mut v) = value else {
            return Ok(String::new());
        };
        if m.component == 'Y' && m.n != -1 {
            v %= 10f64.powi(m.n as i32);
        }
        if let Some(case) = m.names {
            if v.is_nan() {
                // `months[NaN]` is undefined in jsonata-js.
                let method = match case {
                    Case::Upper => Some("toUpperCase"),
                    Case::Lower => Some("toLowerCase"),
                    Case::Title if m.width.is_some() => Some("length"),
                    Case::Title => None,
                };
                return match method {
                    Some(method) if "MxF".contains(m.component) => Err(Error::new("").message(
                        format!("Cannot read properties of undefined (reading '{method}')"),
                    )),
                    _ if "MxF".contains(m.component) => Ok("undefined".to_owned()),
                    _ => {
                        Err(Error::new("D3133").value(Some(&Val::string(m.component.to_string()))))
                    }
                };
            }
            let name = match m.component {
                'M' | 'x' => MONTHS
                    .get((v as usize).wrapping_sub(1))
                    .copied()
                    .unwrap_or(""),
                'F' => DAYS.get(v as usize).copied().unwrap_or(""),
                _ => {
                    return Err(
                        Error::new("D3133").value(Some(&Val::string(m.component.to_string())))
                    );
                }
            };
            let mut name = apply_case(name, case);
            if let Some((_, Some(max))) = m.width {
                let max = max.max(0.0) as usize;
                if name.chars().count() > max {
                    name = name.chars().take(max).collect();
                }
            }
            return Ok(name);
        }
        return match &m.integer {
            Some(f) => format_integer_with(v, f),
            None => Ok(super::number::js_to_string(v)),
        };
    }
    if m.component == 'f' {
        let Component::Number(v) = value else {
            return Ok(String::new());
        };
        return match &m.integer {
            Some(f) => format_integer_with(v, f),
            None => Ok(super::number::js_to_string(v)),
        };
    }
    if m.component == 'Z' || m.component == 'z' {
        let offset = offset_hours * 100.0 + offset_minutes;
        let Some(format) = &m.integer else {
            return Ok(String::new());
        };
        let mut text = if matches!(format.grouping, Grouping::Regular(..)) {
            format_integer_with(offset, format)?
        } else {
            match format.mandatory_digits {
                1 | 2 => {
                    let mut t = format_integer_with(offset_hours, format)?;
                    if offset_minutes != 0.0 {
                        let two = analyse_integer_picture("00")?;
                        t.push(':');
                        t.push_str(&format_integer_with(offset_minutes.floor(), &two)?);
                    }
                    t
                }
                3 | 4 => format_integer_with(offset, format)?,
                n => {
                    return Err(Error::new("D3134").value(Some(&Val::Num(n as f64))));
                }
            }
        };
        if offset >= 0.0 {
            text.insert(0, '+');
        }
        if m.component == 'z' {
            text.insert_str(0, "GMT");
        }
        if offset == 0.0 && m.presentation2 == Some('t') {
            text = "Z".to_owned();
        }
        return Ok(text);
    }
    Ok(match value {
        // `[PN]`: upper-case AM/PM.
        Component::Text(t) if m.component == 'P' && m.names == Some(Case::Upper) => {
            t.to_uppercase()
        }
        Component::Text(t) => t.to_owned(),
        Component::Number(n) => super::number::js_to_string(n),
        Component::None => String::new(),
    })
}

/// `$toMillis(timestamp, picture)`; `now` fills in what the picture leaves out.
pub(crate) fn to_millis(text: &str, picture: Option<&str>, now: f64) -> Result<Option<f64>> {
    match picture {
        None => parse_iso(text)
            .map(Some)
            .ok_or_else(|| Error::new("D3110").value(Some(&Val::str(text)))),
        Some(p) => parse_date_time(text, p, now),
    }
}

/// `Date.parse` of a string matching jsonata-js's ISO 8601 pattern; `None` if it does not
/// match, NaN if it matches but is not a valid date.
fn parse_iso(text: &str) -> Option<f64> {
    let pattern = Regex::new(
        r"^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$",
    )
    .ok()?;
    pattern.find(text)?;
    // What `Date.parse` accepts among those: YYYY[-MM[-DD]][THH:mm:ss][.s+][Z|±HH[:]mm].
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> { text.get(from..from + len)?.parse().ok() };
    let year = num(0, 4)?;
    let mut i = 4;
    let (mut month, mut day) = (1, 1);
    if b.get(i) == Some(&b'-') {
        month = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = num(i + 1, 2)?;
            i += 3;
        }
    }
    let (mut h, mut mi, mut s, mut ms) = (0, 0, 0, 0.0);
    let mut has_time = false;
    if b.get(i) == Some(&b'T') {
        has_time = true;
        h = num(i + 1, 2)?;
        mi = num(i + 4, 2)?;
        s = num(i + 7, 2)?;
        i += 9;
    }
    if b.get(i) == Some(&b'.') {
        if !has_time {
            return Some(f64::NAN);
        }
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        i += 1 + digits.len();
        let first3: String = digits.chars().chain("000".chars()).take(3).collect();
        ms = first3.parse::<f64>().unwrap_or(0.0);
    }
    let mut offset = 0.0;
    match b.get(i) {
        None => {}
        Some(b'Z') => i += 1,
        Some(&sign) => {
            let tz_h = num(i + 1, 2)?;
            let rest = &text[i + 3..];
            let tz_m: i64 = rest.trim_start_matches(':').parse().ok()?;
            if !has_time || tz_h > 23 || tz_m > 59 {
                return Some(f64::NAN);
            }
            offset = (tz_h * 60 + tz_m) as f64 * if sign == b'-' { -1.0 } else { 1.0 };
            i = text.len();
        }
    }
    if i != text.len() {
        return Some(f64::NAN);
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 24 || mi > 59 || s > 59 {
        return Some(f64::NAN);
    }
    if h == 24 && (mi != 0 || s != 0 || ms != 0.0) {
        return Some(f64::NAN);
    }
    let t = date_utc(
        year as f64,
        (month - 1) as f64,
        day as f64,
        h as f64,
        mi as f64,
        s as f64,
        ms,
    );
    Some(t - offset * 60_000.0)
}

/// A matcher part: its regex, and how to read what it matched.
struct MatchPart<'p> {
    regex: String,
    component: Option<char>,
    reader: Reader<'p>,
}

enum Reader<'p> {
    None,
    Integer(&'p IntegerFormat),
    Names(Vec<(String, f64)>),
    Zone { gmt: bool, separator: Option<char> },
}

fn escape(literal: &str) -> String {
    let mut out = String::new();
    for c in literal.chars() {
        if ".*+?^${}()|[]\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `$toMillis` with a picture (jsonata-js `parseDateTime`).
fn parse_date_time(text: &str, picture: &str, now: f64) -> Result<Option<f64>> {
    let parts = analyse_picture(picture)?;
    let mut matchers: Vec<MatchPart<'_>> = Vec::new();
    for part in &parts {
        let m = match part {
            Part::Literal(s) => MatchPart {
                regex: escape(s),
                component: None,
                reader: Reader::None,
            },
            Part::Marker(m) if m.component == 'Z' || m.component == 'z' => {
                let separator = match m.integer.as_ref().map(|f| &f.grouping) {
                    Some(Grouping::Regular(_, c)) => Some(*c),
                    _ => None,
                };
                let mut regex = String::new();
                if m.component == 'z' {
                    regex.push_str("GMT");
                }
                regex.push_str("[-+][0-9]+");
                if let Some(c) = separator {
                    regex.push_str(&escape(&c.to_string()));
                    regex.push_str("[0-9]+");
                }
                MatchPart {
                    regex,
                    component: Some(m.component),
                    reader: Reader::Zone {
                        gmt: m.component == 'z',
                        separator,
                    },
                }
            }
            Part::Marker(m) => match &m.integer {
                Some(f) => MatchPart {
                    regex: integer_regex(f, (m.n > 0).then_some(m.n))?,
                    component: Some(m.component),
                    reader: Reader::Integer(f),
                },
                None => {
                    let max = m.width.and_then(|w| w.1).filter(|x| *x > 0.0);
                    let shorten = |name: &str| -> String {
                        match max {
                            Some(max) => name.chars().take(max as usize).collect(),
                            None => name.to_owned(),
                        }
                    };
                    let lookup: Vec<(String, f64)> = match m.component {
                        'M' | 'x' => MONTHS
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (shorten(n), (i + 1) as f64))
                            .collect(),
                        'F' => DAYS
                            .iter()
                            .enumerate()
                            .skip(1)
                            .map(|(i, n)| (shorten(n), i as f64))
                            .collect(),
                        'P' => vec![
                            ("am".into(), 0.0),
                            ("AM".into(), 0.0),
                            ("pm".into(), 1.0),
                            ("PM".into(), 1.0),
                        ],
                        c => {
                            return Err(
                                Error::new("D3133").value(Some(&Val::string(c.to_string())))
                            );
                        }
                    };
                    MatchPart {
                        regex: "[a-zA-Z]+".into(),
                        component: Some(m.component),
                        reader: Reader::Names(lookup),
                    }
                }
            },
        };
        matchers.push(m);
    }
    let full: String = std::iter::once("^".to_owned())
        .chain(matchers.iter().map(|m| format!("({})", m.regex)))
        .chain(std::iter::once("$".to_owned()))
        .collect();
    let flags = Flags {
        icase: true,
        ..Flags::default()
    };
    let regex = Regex::with_flags(&full, flags)
        .map_err(|e| Error::new("").message(format!("Invalid regular expression: {e}")))?;
    let Some(found) = regex.find(text) else {
        return Ok(None);
    };
    let mut components: Vec<(char, f64)> = Vec::new();
    for (i, m) in matchers.iter().enumerate() {
        let Some(component) = m.component else {
            continue;
        };
        let Some(range) = found.group(i + 1) else {
            continue;
        };
        let value = &text[range];
        let parsed = match &m.reader {
            Reader::None => continue,
            Reader::Integer(f) => parse_integer_with(value, f)?,
            Reader::Names(lookup) => match lookup.iter().find(|(k, _)| k == value) {
                Some((_, v)) => *v,
                None => continue,
            },
            Reader::Zone { gmt, separator } => {
                let value = if *gmt {
                    value.get(3..).unwrap_or("")
                } else {
                    value
                };
                let (h, mi) = match separator.and_then(|c| value.find(c).map(|i| (i, c))) {
                    Some((i, c)) => (
                        parse_int(&value[..i]),
                        parse_int(&value[i + c.len_utf8()..]),
                    ),
                    None => {
                        if value.chars().count() - 1 <= 2 {
                            (parse_int(value), 0.0)
                        } else {
                            (parse_int(&value[..3]), parse_int(&value[3..]))
                        }
                    }
                };
                h * 60.0 + mi
            }
        };
        if let Some(slot) = components.iter_mut().find(|(c, _)| *c == component) {
            slot.1 = parsed;
        } else {
            components.push((component, parsed));
        }
    }
    if components.is_empty() {
        return Ok(None);
    }
    let get = |components: &Vec<(char, f64)>, c: char| {
        components.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
    };
    let truthy = |v: Option<f64>| v.is_some_and(|x| x != 0.0 && !x.is_nan());
    let mask_of = |letters: &str| -> u32 {
        letters
            .chars()
            .fold(0, |m, c| (m << 1) + u32::from(truthy(get(&components, c))))
    };
    let is_type = |kind: u32, mask: u32| (!kind & mask) == 0 && (kind & mask) != 0;
    let mask = mask_of("YXMxWwdD");
    let date_a = is_type(161, mask);
    let date_b = !date_a && is_type(130, mask);
    let date_c = is_type(84, mask);
    let date_d = !date_c && is_type(72, mask);
    let mask = mask_of("PHhmsf");
    let time_a = is_type(23, mask);
    let time_b = !time_a && is_type(47, mask);
    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let now_fields = fields(now);
    let mut start_specified = false;
    let mut end_specified = false;
    for part in date_comps.chars().chain(time_comps.chars()) {
        if get(&components, part).is_none() {
            let value = if start_specified {
                end_specified = true;
                if "MDd".contains(part) { 1.0 } else { 0.0 }
            } else {
                match fragment(&now_fields, part) {
                    Component::Number(n) => n,
                    Component::Text(t) => f64::from(u8::from(t == "pm")),
                    Component::None => f64::NAN,
                }
            };
            components.push((part, value));
        } else {
            start_specified = true;
            if end_specified {
                return Err(Error::new("D3136"));
            }
        }
    }
    let value = |c: char| get(&components, c).unwrap_or(f64::NAN);
    let mut month0 = if value('M') > 0.0 {
        value('M') - 1.0
    } else {
        0.0
    };
    let mut day = value('D');
    if date_b {
        let first = date_utc(value('Y'), 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
        let derived = first + (value('d') - 1.0) * MS_PER_DAY;
        if derived.is_finite() {
            let f = fields(derived);
            month0 = f.month as f64;
            day = f.day as f64;
        }
    }
    if date_c || date_d {
        return Err(Error::new("D3136"));
    }
    let mut hours = value('H');
    if time_b {
        let h = value('h');
        hours = if h == 12.0 { 0.0 } else { h };
        if value('P') == 1.0 {
            hours += 12.0;
        }
    }
    let mut millis = date_utc(
        value('Y'),
        month0,
        day,
        hours,
        value('m'),
        value('s'),
        value('f'),
    );
    let zone = get(&components, 'Z')
        .filter(|z| *z != 0.0 && !z.is_nan())
        .or_else(|| get(&components, 'z').filter(|z| *z != 0.0 && !z.is_nan()));
    if let Some(z) = zone {
        millis -= z * 60_000.0;
    }
    Ok(Some(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            date_utc(2018.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),
            1_514_764_800_000.0
        );
    }

    #[test]
    fn iso_format_and_parse() {
        assert_eq!(
            from_millis(1_510_067_557_121.0, None, None).unwrap(),
            "2017-11-07T15:12:37.121Z"
        );
        assert_eq!(
            to_millis("2017-11-07T15:12:37.121Z", None, 0.0).unwrap(),
            Some(1_510_067_557_121.0)
        );
        assert_eq!(
            to_millis("2018-02-01T09:42:13.123+0100", None, 0.0).unwrap(),
            Some(1_517_474_533_123.0)
        );
        assert_eq!(to_millis("1970-01-01", None, 0.0).unwrap(), Some(0.0));
        assert!(to_millis("foo", None, 0.0).is_err());
    }

    #[test]
    fn pictures() {
        let t = 1_521_801_216_617.0; // 2018-03-23T10:33:36.617Z, a Friday
        assert_eq!(
            from_millis(t, Some("[D1o] [MNn] [Y]"), None).unwrap(),
            "23rd March 2018"
        );
        assert_eq!(
            from_millis(t, Some("[FNn], [D]/[M]/[Y0001]"), None).unwrap(),
            "Friday, 23/3/2018"
        );
        assert_eq!(
            from_millis(t, Some("[H01]:[m01]"), Some("-0500")).unwrap(),
            "05:33"
        );
        assert_eq!(
            from_millis(
                t,
                Some("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01][Z]"),
                Some("+0530")
            )
            .unwrap(),
            "2018-03-23T16:03:36+05:30"
        );
        assert_eq!(
            from_millis(t, Some("[dwo] day"), None).unwrap(),
            "eighty-second day"
        );
        assert_eq!(
            to_millis("23rd March 2018", Some("[D1o] [MNn] [Y]"), 0.0).unwrap(),
            Some(1_521_763_200_000.0)
        );
        assert_eq!(
            to_millis("2018-03-23 10:33", Some("[Y]-[M]-[D] [H]:[m]"), 0.0).unwrap(),
            Some(1_521_801_180_000.0)
        );
    }
}
