//! Picture-string formatting: `$formatNumber` (XPath `fn:format-number`, from jsonata-js
//! `functions.js`) and `$formatInteger`/`$parseInteger` (XPath `fn:format-integer`, from
//! `datetime.js`).

use super::error::{Error, Result};
use super::number::{js_to_string, round_half_even, to_fixed};
use super::value::{Obj, Val};

// ----- format-number -------------------------------------------------------------------

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: char,
}

struct Parts {
    prefix: Vec<char>,
    suffix: Vec<char>,
    active: Vec<char>,
    mantissa: Vec<char>,
    exponent: Option<Vec<char>>,
    integer: Vec<char>,
    fractional: Vec<char>,
    picture: Vec<char>,
}

#[derive(Clone)]
struct Analysis {
    integer_grouping: Vec<usize>,
    regular_grouping: usize,
    min_integer: usize,
    scaling: usize,
    prefix: String,
    fractional_grouping: Vec<usize>,
    min_fraction: usize,
    max_fraction: usize,
    min_exponent: usize,
    suffix: String,
    picture: Vec<char>,
}

fn index_of(hay: &[char], needle: char, from: usize) -> Option<usize> {
    hay.iter()
        .skip(from)
        .position(|c| *c == needle)
        .map(|i| i + from)
}

fn last_index_of(hay: &[char], needle: char) -> Option<usize> {
    hay.iter().rposition(|c| *c == needle)
}

/// `substring(a, b)` on a char slice, clamped.
fn sub(s: &[char], a: usize, b: usize) -> Vec<char> {
    let a = a.min(s.len());
    let b = b.min(s.len());
    let (a, b) = if a > b { (b, a) } else { (a, b) };
    s[a..b].to_vec()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The common interval of grouping positions, or 0 if they are not regular.
fn regular(indexes: &[usize]) -> usize {
    if indexes.is_empty() {
        return 0;
    }
    let factor = indexes.iter().copied().reduce(gcd).unwrap_or(0);
    if factor == 0 {
        return 0;
    }
    for index in 1..=indexes.len() {
        if !indexes.contains(&(index * factor)) {
            return 0;
        }
    }
    factor
}

/// `$formatNumber(value, picture, options)`.
pub(crate) fn format_number(
    value: f64,
    picture: &str,
    options: Option<&Obj<'_>>,
) -> Result<String> {
    let mut props = Props {
        decimal: '.',
        grouping: ',',
        exponent: 'e',
        minus: "-".to_owned(),
        percent: '%',
        per_mille: '\u{2030}',
        zero: '0',
        digit: '#',
        pattern: ';',
    };
    if let Some(options) = options {
        for (k, v) in options.iter() {
            let text = match v {
                Val::Str(s) => s.to_string(),
                Val::Num(n) => js_to_string(*n),
                _ => continue,
            };
            let c = text.chars().next();
            match (k.as_str(), c) {
                ("decimal-separator", Some(c)) => props.decimal = c,
                ("grouping-separator", Some(c)) => props.grouping = c,
                ("exponent-separator", Some(c)) => props.exponent = c,
                ("minus-sign", _) => props.minus = text,
                ("percent", Some(c)) => props.percent = c,
                ("per-mille", Some(c)) => props.per_mille = c,
                ("zero-digit", Some(c)) => props.zero = c,
                ("digit", Some(c)) => props.digit = c,
                ("pattern-separator", Some(c)) => props.pattern = c,
                _ => {}
            }
        }
    }
    let family: Vec<char> = (0..10)
        .filter_map(|i| char::from_u32(props.zero as u32 + i))
        .collect();
    let is_digit = |c: char| family.contains(&c);
    let is_active = |c: char| {
        is_digit(c)
            || c == props.decimal
            || c == props.exponent
            || c == props.grouping
            || c == props.digit
            || c == props.pattern
    };
    let picture: Vec<char> = picture.chars().collect();
    let sub_pictures: Vec<Vec<char>> = picture
        .split(|c| *c == props.pattern)
        .map(<[char]>::to_vec)
        .collect();
    if sub_pictures.len() > 2 {
        return Err(Error::new("D3080"));
    }

    let split_parts = |s: &[char]| -> Result<Parts> {
        let prefix_len = s
            .iter()
            .position(|c| is_active(*c) && *c != props.exponent)
            .ok_or_else(|| Error::new("D3085"))?;
        let last = s
            .iter()
            .rposition(|c| is_active(*c) && *c != props.exponent)
            .unwrap_or(prefix_len);
        let prefix = s[..prefix_len].to_vec();
        let suffix = s[last + 1..].to_vec();
        let active = sub(s, prefix.len(), s.len() - suffix.len());
        let exponent_position = index_of(s, props.exponent, prefix.len());
        let (mantissa, exponent) = match exponent_position {
            Some(p) if p <= s.len() - suffix.len() => {
                (sub(&active, 0, p), Some(sub(&active, p + 1, active.len())))
            }
            _ => (active.clone(), None),
        };
        let (integer, fractional) = match index_of(&mantissa, props.decimal, 0) {
            None => (mantissa.clone(), suffix.clone()),
            Some(d) => (sub(&mantissa, 0, d), sub(&mantissa, d + 1, mantissa.len())),
        };
        Ok(Parts {
            prefix,
            suffix,
            active,
            mantissa,
            exponent,
            integer,
            fractional,
            picture: s.to_vec(),
        })
    };

    let validate = |parts: &Parts| -> Result<()> {
        let mut error = None;
        let s = &parts.picture;
        let count = |c: char| s.iter().filter(|x| **x == c).count();
        let decimal_pos = index_of(s, props.decimal, 0);
        if count(props.decimal) > 1 {
            error = Some("D3081");
        }
        if count(props.percent) > 1 {
            error = Some("D3082");
        }
        if count(props.per_mille) > 1 {
            error = Some("D3083");
        }
        if count(props.percent) > 0 && count(props.per_mille) > 0 {
            error = Some("D3084");
        }
        if !parts
            .mantissa
            .iter()
            .any(|c| is_digit(*c) || *c == props.digit)
        {
            error = Some("D3085");
        }
        if parts.active.iter().any(|c| !is_active(*c)) {
            error = Some("D3086");
        }
        match decimal_pos {
            Some(d) => {
                let before = d.checked_sub(1).and_then(|i| s.get(i));
                if before == Some(&props.grouping) || s.get(d + 1) == Some(&props.grouping) {
                    error = Some("D3087");
                }
            }
            None => {
                if parts.integer.last() == Some(&props.grouping) {
                    error = Some("D3088");
                }
            }
        }
        if s.windows(2)
            .any(|w| w[0] == props.grouping && w[1] == props.grouping)
        {
            error = Some("D3089");
        }
        if let Some(p) = index_of(&parts.integer, props.digit, 0) {
            if parts.integer[..p].iter().any(|c| is_digit(*c)) {
                error = Some("D3090");
            }
        }
        if let Some(p) = last_index_of(&parts.fractional, props.digit) {
            if parts.fractional[p..].iter().any(|c| is_digit(*c)) {
                error = Some("D3091");
            }
        }
        if let Some(exp) = &parts.exponent {
            if !exp.is_empty() && (count(props.percent) > 0 || count(props.per_mille) > 0) {
                error = Some("D3092");
            }
            if exp.is_empty() || exp.iter().any(|c| !is_digit(*c)) {
                error = Some("D3093");
            }
        }
        match error {
            Some(code) => Err(Error::new(code)),
            None => Ok(()),
        }
    };

    let analyse = |parts: &Parts| -> Analysis {
        let grouping_positions = |part: &[char], to_left: bool| -> Vec<usize> {
            let mut positions = Vec::new();
            let mut position = index_of(part, props.grouping, 0);
            while let Some(p) = position {
                let side = if to_left {
                    sub(part, 0, p)
                } else {
                    sub(part, p, part.len())
                };
                positions.push(
                    side.iter()
                        .filter(|c| is_digit(**c) || **c == props.digit)
                        .count(),
                );
                position = index_of(&parts.integer, props.grouping, p + 1);
            }
            positions
        };
        let integer_grouping = grouping_positions(&parts.integer, false);
        let regular_grouping = regular(&integer_grouping);
        let fractional_grouping = grouping_positions(&parts.fractional, true);
        let mut min_integer = parts.integer.iter().filter(|c| is_digit(**c)).count();
        let scaling = min_integer;
        let mut min_fraction = parts.fractional.iter().filter(|c| is_digit(**c)).count();
        let mut max_fraction = parts
            .fractional
            .iter()
            .filter(|c| is_digit(**c) || **c == props.digit)
            .count();
        let exponent_present = parts.exponent.is_some();
        if min_integer == 0 && max_fraction == 0 {
            if exponent_present {
                min_fraction = 1;
                max_fraction = 1;
            } else {
                min_integer = 1;
            }
        }
        if exponent_present && min_integer == 0 && parts.integer.contains(&props.digit) {
            min_integer = 1;
        }
        if min_integer == 0 && min_fraction == 0 {
            min_fraction = 1;
        }
        let min_exponent = parts
            .exponent
            .as_ref()
            .map_or(0, |e| e.iter().filter(|c| is_digit(**c)).count());
        Analysis {
            integer_grouping,
            regular_grouping,
            min_integer,
            scaling,
            prefix: parts.prefix.iter().collect(),
            fractional_grouping,
            min_fraction,
            max_fraction,
            min_exponent,
            suffix: parts.suffix.iter().collect(),
            picture: parts.picture.clone(),
        }
    };

    let mut parts = Vec::new();
    for s in &sub_pictures {
        parts.push(split_parts(s)?);
    }
    for p in &parts {
        validate(p)?;
    }
    let mut variables: Vec<Analysis> = parts.iter().map(analyse).collect();
    if variables.len() == 1 {
        let mut negative = variables[0].clone();
        negative.prefix = format!("{}{}", props.minus, negative.prefix);
        variables.push(negative);
    }
    let pic = if value >= 0.0 {
        &variables[0]
    } else {
        &variables[1]
    };
    let adjusted = if pic.picture.contains(&props.percent) {
        value * 100.0
    } else if pic.picture.contains(&props.per_mille) {
        value * 1000.0
    } else {
        value
    };
    let mut mantissa = adjusted;
    let mut exponent: Option<i32> = None;
    if pic.min_exponent != 0 {
        let max_mantissa = 10f64.powi(pic.scaling as i32);
        let min_mantissa = 10f64.powi(pic.scaling as i32 - 1);
        let mut e = 0;
        // jsonata-js scales the signed value and loops forever on zero and on negative
        // numbers; scale the magnitude instead.
        let negative = mantissa < 0.0;
        let mut magnitude = mantissa.abs();
        if magnitude != 0.0 && magnitude.is_finite() {
            while magnitude < min_mantissa {
                magnitude *= 10.0;
                e -= 1;
            }
            while magnitude > max_mantissa {
                magnitude /= 10.0;
                e += 1;
            }
        }
        mantissa = if negative { -magnitude } else { magnitude };
        exponent = Some(e);
    }
    let rounded = round_half_even(mantissa, Some(pic.max_fraction as i64));
    let make_string = |v: f64, dp: usize| -> Vec<char> {
        to_fixed(v.abs(), dp)
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if props.zero != '0' => family.get(d as usize).copied().unwrap_or(c),
                _ => c,
            })
            .collect()
    };
    let mut s = make_string(rounded, pic.max_fraction);
    match index_of(&s, '.', 0) {
        None => s.push(props.decimal),
        Some(p) => s[p] = props.decimal,
    }
    while s.first() == Some(&props.zero) {
        s.remove(0);
    }
    while s.last() == Some(&props.zero) {
        s.pop();
    }
    let decimal_pos = index_of(&s, props.decimal, 0).unwrap_or(s.len());
    let pad_left = pic.min_integer as i64 - decimal_pos as i64;
    let pad_right = pic.min_fraction as i64 - (s.len() as i64 - decimal_pos as i64 - 1);
    if pad_left > 0 {
        let mut padded: Vec<char> = std::iter::repeat_n(props.zero, pad_left as usize).collect();
        padded.extend(s);
        s = padded;
    }
    if pad_right > 0 {
        s.extend(std::iter::repeat_n(props.zero, pad_right as usize));
    }
    let mut decimal_pos = index_of(&s, props.decimal, 0).unwrap_or(s.len());
    if let Some(group_count) = decimal_pos
        .saturating_sub(1)
        .checked_div(pic.regular_grouping)
    {
        for group in 1..=group_count {
            let at = decimal_pos - group * pic.regular_grouping;
            s.insert(at, props.grouping);
        }
    } else {
        for pos in &pic.integer_grouping {
            let at = decimal_pos.saturating_sub(*pos);
            s.insert(at, props.grouping);
            decimal_pos += 1;
        }
    }
    let decimal_pos = index_of(&s, props.decimal, 0).unwrap_or(s.len());
    for pos in &pic.fractional_grouping {
        let at = (pos + decimal_pos + 1).min(s.len());
        s.insert(at, props.grouping);
    }
    let decimal_pos = index_of(&s, props.decimal, 0);
    if !pic.picture.contains(&props.decimal) || decimal_pos == Some(s.len().saturating_sub(1)) {
        s.pop();
    }
    let mut out: String = s.into_iter().collect();
    if let Some(e) = exponent {
        let mut digits: String = make_string(f64::from(e), 0).into_iter().collect();
        let pad = pic.min_exponent as i64 - digits.chars().count() as i64;
        if pad > 0 {
            digits = std::iter::repeat_n(props.zero, pad as usize).collect::<String>() + &digits;
        }
        out.push(props.exponent);
        if e < 0 {
            out.push_str(&props.minus);
        }
        out.push_str(&digits);
    }
    Ok(format!("{}{}{}", pic.prefix, out, pic.suffix))
}

// ----- format-integer ------------------------------------------------------------------

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

/// A number in English words (jsonata-js `numberToWords`).
fn number_to_words(value: f64, ordinal: bool) -> String {
    fn lookup(num: f64, prev: bool, ord: bool) -> String {
        let mut words;
        if num <= 19.0 {
            let i = num.max(0.0) as usize;
            words = format!(
                "{}{}",
                if prev { " and " } else { "" },
                if ord { ORDINALS[i] } else { FEW[i] }
            );
        } else if num < 100.0 {
            let tens = (num / 10.0).floor() as usize;
            let remainder = num % 10.0;
            words = format!("{}{}", if prev { " and " } else { "" }, DECADES[tens - 2]);
            if remainder > 0.0 {
                words.push('-');
                words.push_str(&lookup(remainder, false, ord));
            } else if ord {
                words.pop();
                words.push_str("ieth");
            }
        } else if num < 1000.0 {
            let hundreds = (num / 100.0).floor() as usize;
            let remainder = num % 100.0;
            words = format!("{}{} Hundred", if prev { ", " } else { "" }, FEW[hundreds]);
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord));
            } else if ord {
                words.push_str("th");
            }
        } else {
            let mut mag = (num.log10() / 3.0).floor() as usize;
            if mag > MAGNITUDES.len() {
                mag = MAGNITUDES.len();
            }
            let factor = 10f64.powi(mag as i32 * 3);
            let mant = (num / factor).floor();
            let remainder = num - mant * factor;
            words = format!(
                "{}{} {}",
                if prev { ", " } else { "" },
                lookup(mant, false, false),
                MAGNITUDES[mag - 1]
            );
            if remainder > 0.0 {
                words.push_str(&lookup(remainder, true, ord));
            } else if ord {
                words.push_str("th");
            }
        }
        words
    }
    lookup(value, false, ordinal)
}

/// The numeric value of each number word (jsonata-js `wordValues`), in its key order.
fn word_values() -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut set = |k: String, v: f64| {
        if let Some(slot) = out.iter_mut().find(|(x, _)| *x == k) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    };
    for (i, w) in FEW.iter().enumerate() {
        set(w.to_lowercase(), i as f64);
    }
    for (i, w) in ORDINALS.iter().enumerate() {
        set(w.to_lowercase(), i as f64);
    }
    for (i, w) in DECADES.iter().enumerate() {
        let l = w.to_lowercase();
        let v = ((i + 2) * 10) as f64;
        set(l.clone(), v);
        set(format!("{}ieth", &l[..l.len() - 1]), v);
    }
    set("hundredth".into(), 100.0);
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let l = w.to_lowercase();
        let v = 10f64.powi((i as i32 + 1) * 3);
        set(l.clone(), v);
        set(format!("{l}th"), v);
    }
    out
}

/// Number words back to a number (jsonata-js `wordsToNumber`).
fn words_to_number(text: &str) -> f64 {
    let values = word_values();
    // Split on `,\s`, `\sand\s`, or one of whitespace, backslash, hyphen.
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c == ',' && i + 1 < n && chars[i + 1].is_whitespace() {
            parts.push(std::mem::take(&mut current));
            i += 2;
        } else if c.is_whitespace()
            && i + 4 < n
            && chars[i + 1..i + 4] == ['a', 'n', 'd']
            && chars[i + 4].is_whitespace()
        {
            parts.push(std::mem::take(&mut current));
            i += 5;
        } else if c.is_whitespace() || c == '\\' || c == '-' {
            parts.push(std::mem::take(&mut current));
            i += 1;
        } else {
            current.push(c);
            i += 1;
        }
    }
    parts.push(current);
    let mut segs: Vec<f64> = vec![0.0];
    for part in parts {
        let value = values
            .iter()
            .find(|(k, _)| *k == part)
            .map_or(f64::NAN, |(_, v)| *v);
        if value < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + value);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * value);
        }
    }
    segs.iter().sum()
}

const ROMAN: [(u64, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

fn decimal_to_roman(mut value: u64) -> String {
    let mut out = String::new();
    for (n, s) in ROMAN {
        while value >= n {
            out.push_str(s);
            value -= n;
        }
    }
    out
}

fn roman_to_decimal(roman: &str) -> f64 {
    let mut decimal = 0.0;
    let mut max = 1.0;
    for c in roman.chars().rev() {
        let value = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => f64::NAN,
        };
        if value < max {
            decimal -= value;
        } else {
            max = value;
            decimal += value;
        }
    }
    decimal
}

fn decimal_to_letters(mut value: u64, a: char) -> String {
    let mut letters = Vec::new();
    while value > 0 {
        letters.push(char::from_u32(((value - 1) % 26) as u32 + a as u32).unwrap_or(a));
        value = (value - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn letters_to_decimal(letters: &str, a: char) -> f64 {
    let units: Vec<u16> = letters.encode_utf16().collect();
    let mut decimal = 0.0;
    for (i, u) in units.iter().rev().enumerate() {
        decimal += (f64::from(*u) - f64::from(a as u32) + 1.0) * 26f64.powi(i as i32);
    }
    decimal
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence(String),
}

#[derive(Clone, Debug)]
pub(crate) enum Grouping {
    Regular(usize, char),
    Irregular(Vec<(usize, char)>),
}

/// An analysed integer picture (jsonata-js `analyseIntegerPicture`).
#[derive(Clone, Debug)]
pub(crate) struct IntegerFormat {
    pub primary: Primary,
    pub case: Case,
    pub ordinal: bool,
    pub zero_code: u32,
    pub mandatory_digits: usize,
    pub optional_digits: usize,
    pub grouping: Grouping,
}

const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

pub(crate) fn analyse_integer_picture(picture: &str) -> Result<IntegerFormat> {
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero_code: 0x30,
        mandatory_digits: 0,
        optional_digits: 0,
        grouping: Grouping::Irregular(Vec::new()),
    };
    let primary = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            if picture[i + 1..].starts_with('o') {
                format.ordinal = true;
            }
            &picture[..i]
        }
    };
    match primary {
        "A" => {
            format.case = Case::Upper;
            format.primary = Primary::Letters;
        }
        "a" => format.primary = Primary::Letters,
        "I" => {
            format.case = Case::Upper;
            format.primary = Primary::Roman;
        }
        "i" => format.primary = Primary::Roman,
        "W" => {
            format.case = Case::Upper;
            format.primary = Primary::Words;
        }
        "Ww" => {
            format.case = Case::Title;
            format.primary = Primary::Words;
        }
        "w" => format.primary = Primary::Words,
        _ => {
            let mut zero: Option<u32> = None;
            let mut mandatory = 0;
            let mut optional = 0;
            let mut separators: Vec<(usize, char)> = Vec::new();
            let mut position = 0;
            for c in primary.chars().rev() {
                let cp = c as u32;
                match DECIMAL_GROUPS.iter().find(|g| cp >= **g && cp <= **g + 9) {
                    Some(&group) => {
                        mandatory += 1;
                        position += 1;
                        match zero {
                            None => zero = Some(group),
                            Some(z) if z != group => return Err(Error::new("D3131")),
                            _ => {}
                        }
                    }
                    None if c == '#' => {
                        position += 1;
                        optional += 1;
                    }
                    None => separators.push((position, c)),
                }
            }
            if mandatory > 0 {
                format.primary = Primary::Decimal;
                format.zero_code = zero.unwrap_or(0x30);
                format.mandatory_digits = mandatory;
                format.optional_digits = optional;
                let positions: Vec<usize> = separators.iter().map(|s| s.0).collect();
                let same_char = separators.iter().all(|s| s.1 == separators[0].1);
                let factor = if separators.is_empty() || !same_char {
                    0
                } else {
                    regular(&positions)
                };
                format.grouping = if factor > 0 {
                    Grouping::Regular(factor, separators[0].1)
                } else {
                    Grouping::Irregular(separators)
                };
            } else {
                format.primary = Primary::Sequence(primary.to_owned());
            }
        }
    }
    Ok(format)
}

/// Formats an integer with an analysed picture (jsonata-js `_formatInteger`).
pub(crate) fn format_integer_with(value: f64, format: &IntegerFormat) -> Result<String> {
    let negative = value < 0.0;
    let value = value.abs();
    let too_big = || Error::new("").message("Invalid string length");
    if value.is_nan() {
        // An invalid date's fields (`$fromMillis` beyond ±8.64e15 ms).
        match format.primary {
            Primary::Letters | Primary::Roman => return Ok(String::new()),
            Primary::Words => {
                return Err(Error::new("").message("Maximum call stack size exceeded"));
            }
            _ => {}
        }
    }
    let mut out = match &format.primary {
        Primary::Letters => {
            if value > 1e15 {
                return Err(too_big());
            }
            decimal_to_letters(
                value as u64,
                if format.case == Case::Upper { 'A' } else { 'a' },
            )
        }
        Primary::Roman => {
            if value > 1e7 {
                return Err(too_big());
            }
            let r = decimal_to_roman(value as u64);
            if format.case == Case::Upper {
                r.to_uppercase()
            } else {
                r
            }
        }
        Primary::Words => {
            let w = number_to_words(value, format.ordinal);
            match format.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => {
            let mut digits: Vec<char> = js_to_string(value).chars().collect();
            if format.mandatory_digits > digits.len() {
                if format.mandatory_digits > 10_000_000 {
                    return Err(too_big());
                }
                let mut padded: Vec<char> =
                    std::iter::repeat_n('0', format.mandatory_digits - digits.len()).collect();
                padded.extend(digits);
                digits = padded;
            }
            if format.zero_code != 0x30 {
                digits = digits
                    .iter()
                    .map(|c| char::from_u32(*c as u32 + format.zero_code - 0x30).unwrap_or(*c))
                    .collect();
            }
            match &format.grouping {
                Grouping::Regular(position, c) => {
                    let n = (digits.len().saturating_sub(1)) / position;
                    for ii in (1..=n).rev() {
                        let at = digits.len() - ii * position;
                        digits.insert(at, *c);
                    }
                }
                Grouping::Irregular(separators) => {
                    for (position, c) in separators.iter().rev() {
                        let at = digits.len().saturating_sub(*position);
                        digits.insert(at, *c);
                    }
                }
            }
            let mut s: String = digits.iter().collect();
            if format.ordinal {
                let last = digits.last().copied();
                let second_last = digits.len().checked_sub(2).map(|i| digits[i]);
                let suffix = match last {
                    Some('1') => "st",
                    Some('2') => "nd",
                    Some('3') => "rd",
                    _ => "th",
                };
                let suffix = if digits.len() > 1 && second_last == Some('1') {
                    "th"
                } else {
                    suffix
                };
                s.push_str(suffix);
            }
            s
        }
        Primary::Sequence(token) => {
            return Err(Error::new("D3130").value(Some(&Val::str(token))));
        }
    };
    if negative {
        out.insert(0, '-');
    }
    Ok(out)
}

/// `$formatInteger(value, picture)`.
pub(crate) fn format_integer(value: f64, picture: &str) -> Result<String> {
    let format = analyse_integer_picture(picture)?;
    format_integer_with(value.floor(), &format)
}

/// JavaScript's `parseInt(text, 10)`.
pub(crate) fn parse_int(text: &str) -> f64 {
    let t = text.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    sign * digits.parse::<f64>().unwrap_or(f64::NAN)
}

/// Reads an integer written as `format` describes (jsonata-js `generateRegex(...).parse`).
pub(crate) fn parse_integer_with(value: &str, format: &IntegerFormat) -> Result<f64> {
    Ok(match &format.primary {
        Primary::Letters => {
            letters_to_decimal(value, if format.case == Case::Upper { 'A' } else { 'a' })
        }
        Primary::Roman => roman_to_decimal(&if format.case == Case::Upper {
            value.to_owned()
        } else {
            value.to_uppercase()
        }),
        Primary::Words => words_to_number(&value.to_lowercase()),
        Primary::Decimal => {
            let mut digits = value.to_owned();
            if format.ordinal {
                let n = digits.chars().count();
                digits = digits.chars().take(n.saturating_sub(2)).collect();
            }
            match &format.grouping {
                Grouping::Regular(..) => digits = digits.replace(',', ""),
                Grouping::Irregular(separators) => {
                    for (_, c) in separators {
                        digits = digits.replace(*c, "");
                    }
                }
            }
            if format.zero_code != 0x30 {
                digits = digits
                    .chars()
                    .map(|c| {
                        char::from_u32((c as u32).wrapping_sub(format.zero_code) + 0x30)
                            .unwrap_or(c)
                    })
                    .collect();
            }
            parse_int(&digits)
        }
        Primary::Sequence(token) => {
            return Err(Error::new("D3130").value(Some(&Val::str(token))));
        }
    })
}

/// `$parseInteger(value, picture)`.
pub(crate) fn parse_integer(value: &str, picture: &str) -> Result<Option<f64>> {
    let format = analyse_integer_picture(picture)?;
    parse_integer_with(value, &format).map(Some)
}

/// The regular expression matching an integer written as `format` (for date parsing).
pub(crate) fn integer_regex(format: &IntegerFormat, n: Option<i64>) -> Result<String> {
    let upper = format.case == Case::Upper;
    let occurrences = match n {
        Some(n) if n > 0 => format!("{{{n}}}"),
        _ => "+".to_owned(),
    };
    Ok(match &format.primary {
        Primary::Letters => if upper { "[A-Z]+" } else { "[a-z]+" }.to_owned(),
        Primary::Roman => if upper { "[MDCLXVI]+" } else { "[mdclxvi]+" }.to_owned(),
        Primary::Words => {
            let mut alternatives: Vec<String> = word_values().into_iter().map(|(k, _)| k).collect();
            alternatives.push("and".into());
            alternatives.push("[\\-, ]".into());
            format!("(?:{})+", alternatives.join("|"))
        }
        Primary::Decimal => {
            let mut r = format!("[0-9]{occurrences}");
            if format.ordinal {
                r.push_str("(?:th|st|nd|rd)");
            }
            r
        }
        Primary::Sequence(token) => {
            return Err(Error::new("D3130").value(Some(&Val::str(token))));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64, p: &str) -> String {
        format_number(v, p, None).unwrap()
    }

    #[test]
    fn format_number_pictures() {
        assert_eq!(fmt(12345.6, "#,###.00"), "12,345.60");
        assert_eq!(fmt(12345678.9, "9,999.99"), "12,345,678.90");
        assert_eq!(fmt(123412345678.9, "9,9,99.99"), "123412345,6,78.90");
        assert_eq!(fmt(1234.56789, "00.000e0"), "12.346e2");
        assert_eq!(fmt(0.234, "#0.00%"), "23.40%");
        assert_eq!(fmt(-6.0, "000"), "-006");
        assert_eq!(fmt(1234.5678, "#,##0.00"), "1,234.57");
        assert_eq!(fmt(0.0, "0.0e0"), "0.0e0");
        assert_eq!(format_number(1.0, "#.#.#", None).unwrap_err().code, "D3081");
    }

    #[test]
    fn format_integer_pictures() {
        assert_eq!(
            format_integer(123.0, "w").unwrap(),
            "one hundred and twenty-three"
        );
        assert_eq!(format_integer(2.0, "w;o").unwrap(), "second");
        assert_eq!(format_integer(1999.0, "I").unwrap(), "MCMXCIX");
        assert_eq!(format_integer(28.0, "a").unwrap(), "ab");
        assert_eq!(format_integer(1234567.0, "#,##0").unwrap(), "1,234,567");
        assert_eq!(format_integer(21.0, "0;o").unwrap(), "21st");
        assert_eq!(format_integer(12.0, "000").unwrap(), "012");
        assert_eq!(
            format_integer(1_234_567_890.0, "W").unwrap(),
            "ONE BILLION, TWO HUNDRED AND THIRTY-FOUR MILLION, FIVE HUNDRED AND SIXTY-SEVEN THOUSAND, EIGHT HUNDRED AND NINETY"
        );
    }

    #[test]
    fn parse_integer_pictures() {
        assert_eq!(
            parse_integer("one hundred and twenty-three", "w").unwrap(),
            Some(123.0)
        );
        assert_eq!(parse_integer("MCMXCIX", "I").unwrap(), Some(1999.0));
        assert_eq!(parse_integer("ab", "a").unwrap(), Some(28.0));
        assert_eq!(
            parse_integer("1,234,567", "#,##0").unwrap(),
            Some(1234567.0)
        );
        assert_eq!(parse_integer("21st", "0;o").unwrap(), Some(21.0));
    }
}
