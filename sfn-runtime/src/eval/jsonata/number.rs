//! Numbers as JavaScript writes and reads them: `Number#toString`, `toFixed`, `toPrecision`,
//! `Number(string)`, and JSONata's rounding.

/// The exact decimal value of a finite, non-negative double: its digits (no leading zeros,
/// possibly empty for zero) and the position of the decimal point (`digits × 10^(point −
/// len)`).
fn exact_decimal(x: f64) -> (Vec<u8>, i32) {
    debug_assert!(x.is_finite() && x >= 0.0);
    if x == 0.0 {
        return (Vec::new(), 0);
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp2) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exponent - 1075)
    };
    // The value is mantissa × 2^exp2. Work in base 10^9 limbs, least significant first.
    let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
    let multiply = |limbs: &mut Vec<u64>, factor: u64| {
        let mut carry = 0u64;
        for limb in limbs.iter_mut() {
            let v = *limb * factor + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    };
    let mut decimal_shift = 0i32;
    if exp2 >= 0 {
        for _ in 0..exp2 {
            multiply(&mut limbs, 2);
        }
    } else {
        // m / 2^k = m × 5^k / 10^k
        for _ in 0..(-exp2) {
            multiply(&mut limbs, 5);
        }
        decimal_shift = exp2;
    }
    let mut digits = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            digits.push_str(&limb.to_string());
        } else {
            digits.push_str(&format!("{limb:09}"));
        }
    }
    let digits = digits.trim_start_matches('0');
    let mut bytes: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    let point = bytes.len() as i32 + decimal_shift;
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    (bytes, point)
}

/// Rounds decimal `digits` (point at `point`) to `keep` digits, ties away from zero.
/// Returns the new digits (exactly `keep` of them, zero-padded) and point.
fn round_digits(digits: &[u8], point: i32, keep: i32) -> (Vec<u8>, i32) {
    if keep < 0 {
        return (Vec::new(), point);
    }
    let keep = keep as usize;
    let mut out: Vec<u8> = digits.iter().take(keep).copied().collect();
    out.resize(keep, 0);
    let round_up = digits.get(keep).is_some_and(|&d| d >= 5);
    let mut point = point;
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                out.insert(0, 1);
                out.truncate(keep.max(1));
                point += 1;
                break;
            }
            i -= 1;
            if out[i] == 9 {
                out[i] = 0;
            } else {
                out[i] += 1;
                break;
            }
        }
    }
    (out, point)
}

/// `Number.prototype.toString()`.
pub(crate) fn js_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    // Rust writes the shortest representation that reads back exactly, as JavaScript does;
    // only the layout differs.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    layout(&digits, exponent + 1, &mut out);
    out
}

/// Lays out significant `digits` with the decimal point at `n` as ECMAScript's
/// Number::toString does.
fn layout(digits: &str, n: i32, out: &mut String) {
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else {
        let e = n - 1;
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.abs().to_string());
    }
}

/// `Number(x.toPrecision(p))`: `x` rounded to `p` significant digits.
pub(crate) fn to_precision(x: f64, p: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let (digits, point) = exact_decimal(x.abs());
    let (rounded, point) = round_digits(&digits, point, p as i32);
    let text: String = rounded.iter().map(|d| char::from(b'0' + d)).collect();
    let value: f64 = format!("0.{text}e{point}").parse().unwrap_or(x);
    if x < 0.0 { -value } else { value }
}

/// `x.toFixed(dp)` for a finite `x` (JavaScript switches to exponent notation from 1e21).
pub(crate) fn to_fixed(x: f64, dp: usize) -> String {
    if !x.is_finite() {
        return js_to_string(x);
    }
    if x.abs() >= 1e21 {
        return js_to_string(x);
    }
    let negative = x < 0.0;
    let (digits, point) = exact_decimal(x.abs());
    let keep = point + dp as i32;
    let (rounded, point) = if keep < 0 {
        (Vec::new(), point)
    } else {
        round_digits(&digits, point, keep)
    };
    // The digits now stand for rounded × 10^(point − len) with exactly `dp` decimals.
    let mut int_part = String::new();
    let mut frac_part = String::new();
    let len = rounded.len() as i32;
    for (i, d) in rounded.iter().enumerate() {
        let c = char::from(b'0' + d);
        if (i as i32) < point {
            int_part.push(c);
        } else {
            frac_part.push(c);
        }
    }
    if point > len {
        int_part.extend(std::iter::repeat_n('0', (point - len) as usize));
    }
    if point < 0 {
        let zeros = (-point) as usize;
        frac_part = "0".repeat(zeros.min(dp)) + &frac_part;
    }
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let mut frac: String = frac_part.chars().take(dp).collect();
    while frac.len() < dp {
        frac.push('0');
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(int_part);
    if dp > 0 {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

/// JavaScript's `Number(string)` (also unary `+`): decimal literals with optional exponent,
/// `0x`/`0o`/`0b` integers, `Infinity`; surrounding whitespace ignored; `NaN` otherwise.
pub(crate) fn js_number(text: &str) -> f64 {
    let s = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if s.is_empty() {
        return 0.0;
    }
    let radix = |digits: &str, base: u32| -> f64 {
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut v = 0f64;
        for c in digits.chars() {
            match c.to_digit(base) {
                Some(d) => v = v * f64::from(base) + f64::from(d),
                None => return f64::NAN,
            }
        }
        v
    };
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("0x") {
        return radix(rest, 16);
    }
    if let Some(rest) = lower.strip_prefix("0o") {
        return radix(rest, 8);
    }
    if let Some(rest) = lower.strip_prefix("0b") {
        return radix(rest, 2);
    }
    let (sign, body) = match s.as_bytes()[0] {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    // A StrDecimalLiteral: digits, optional fraction, optional exponent.
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut int_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        int_digits += 1;
    }
    let mut frac_digits = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            frac_digits += 1;
        }
    }
    if int_digits + frac_digits == 0 {
        return f64::NAN;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return f64::NAN;
        }
    }
    if i != bytes.len() {
        return f64::NAN;
    }
    let mut literal = body.to_owned();
    if literal.starts_with('.') {
        literal.insert(0, '0');
    }
    if literal.ends_with('.') {
        literal.push('0');
    }
    let literal = literal.replace(".e", ".0e").replace(".E", ".0E");
    literal.parse::<f64>().map(|v| sign * v).unwrap_or(f64::NAN)
}

/// JavaScript's `Math.round`: the nearest integer, ties towards +∞.
pub(crate) fn js_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    let diff = x - floor;
    if diff >= 0.5 { floor + 1.0 } else { floor }
}

/// JSONata's `$round`: half to even, at `precision` decimal places (shifted through the
/// decimal representation, as jsonata-js does).
pub(crate) fn round_half_even(arg: f64, precision: Option<i64>) -> f64 {
    let shift = |x: f64, by: i64| -> f64 {
        let text = js_to_string(x);
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m.to_owned(), e.parse::<i64>().unwrap_or(0)),
            None => (text.clone(), 0),
        };
        js_number(&format!("{mantissa}e{}", exponent + by))
    };
    let precision = precision.filter(|p| *p != 0);
    let mut value = arg;
    if let Some(p) = precision {
        value = shift(value, p);
    }
    let mut result = js_round(value);
    let diff = result - value;
    if diff.abs() == 0.5 && (result % 2.0).abs() == 1.0 {
        result -= 1.0;
    }
    if let Some(p) = precision {
        result = shift(result, -p);
    }
    if result == 0.0 {
        // JSON has no -0.
        result = 0.0;
    }
    result
}

/// `x.toString(radix)` for an integral `x`.
pub(crate) fn to_radix(x: f64, radix: u32) -> String {
    if !x.is_finite() {
        return js_to_string(x);
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let negative = x < 0.0;
    let mut digits = Vec::new();
    if x.abs() < 1.7e38 {
        let mut v = x.abs() as u128;
        while v > 0 {
            let d = (v % u128::from(radix)) as u32;
            digits.push(char::from_digit(d, radix).unwrap_or('0'));
            v /= u128::from(radix);
        }
    } else {
        // Beyond u128: divide the double itself (exact for integral doubles).
        let mut v = x.abs();
        while v >= 1.0 {
            let d = (v % f64::from(radix)) as u32;
            digits.push(char::from_digit(d, radix).unwrap_or('0'));
            v = ((v - f64::from(d)) / f64::from(radix)).floor();
        }
    }
    if negative {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_string_like_javascript() {
        for (x, s) in [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (-2.5e25, "-2.5e+25"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(js_to_string(x), s, "{x}");
        }
    }

    #[test]
    fn precision_fifteen() {
        assert_eq!(to_precision(0.1 + 0.2, 15), 0.3);
        assert_eq!(to_precision(1.0 / 3.0, 15), 0.333333333333333);
        assert_eq!(to_precision(123456789012345678.0, 15), 123456789012346000.0);
        assert_eq!(to_precision(-9.99999999999999e22, 15), -9.99999999999999e22);
        assert_eq!(to_precision(-9.999999999999996e22, 15), -1e23);
    }

    #[test]
    fn fixed() {
        for (x, dp, s) in [
            (0.5, 0, "1"),
            (1.5, 0, "2"),
            (2.5, 0, "3"),
            (-2.5, 0, "-3"),
            (1.005, 2, "1.00"),
            (1.45, 1, "1.4"),
            (0.0, 2, "0.00"),
            (123.456, 5, "123.45600"),
            (0.000001, 3, "0.000"),
            (-0.0001, 2, "-0.00"),
            (9.995, 2, "9.99"),
            (99.5, 0, "100"),
            (1e20, 2, "100000000000000000000.00"),
        ] {
            assert_eq!(to_fixed(x, dp), s, "{x} {dp}");
        }
    }

    #[test]
    fn number_from_string() {
        assert_eq!(js_number(" 12 "), 12.0);
        assert_eq!(js_number("0x1F"), 31.0);
        assert_eq!(js_number("0b101"), 5.0);
        assert_eq!(js_number("-1.5e3"), -1500.0);
        assert_eq!(js_number(".5"), 0.5);
        assert_eq!(js_number("5."), 5.0);
        assert!(js_number("1x").is_nan());
        assert!(js_number("0x1G").is_nan());
        assert_eq!(js_number(""), 0.0);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_half_even(2.5, None), 2.0);
        assert_eq!(round_half_even(3.5, None), 4.0);
        assert_eq!(round_half_even(-2.5, None), -2.0);
        assert_eq!(round_half_even(0.5, None), 0.0);
        assert_eq!(round_half_even(1.5, None), 2.0);
        assert_eq!(round_half_even(123.456, Some(2)), 123.46);
        assert_eq!(round_half_even(123.455, Some(2)), 123.46);
        assert_eq!(round_half_even(123.445, Some(2)), 123.44);
        assert_eq!(round_half_even(12345.0, Some(-2)), 12300.0);
        assert_eq!(round_half_even(-0.4, None), 0.0);
        assert!(round_half_even(-0.4, None).is_sign_positive());
    }

    #[test]
    fn radix() {
        assert_eq!(to_radix(255.0, 16), "ff");
        assert_eq!(to_radix(-255.0, 2), "-11111111");
        assert_eq!(to_radix(0.0, 8), "0");
    }
}
