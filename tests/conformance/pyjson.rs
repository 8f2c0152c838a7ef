//! JSON text exactly as Python's `json` module writes it, because check.py runs its text
//! replacements over `json.dumps` output and the result must not depend on the writer.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// `json.dumps(v)` with Python's defaults: `", "` and `": "` separators, non-ASCII escaped.
pub fn dumps(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, Style::PYTHON_DEFAULT);
    out
}

/// check.py's `json_text`: `json.dumps(v, separators=(",", ":"), ensure_ascii=False)`.
pub fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_value(
        &mut out,
        v,
        Style {
            ensure_ascii: false,
            compact: true,
        },
    );
    out
}

/// `json.dumps(v, ensure_ascii=False)`, the form check.py quotes values in its messages.
pub fn dumps_readable(v: &Value) -> String {
    let mut out = String::new();
    write_value(
        &mut out,
        v,
        Style {
            ensure_ascii: false,
            compact: false,
        },
    );
    out
}

/// `json.loads(text)`, or `None` where Python raises `ValueError`.
///
/// Numbers are read as Python reads them: correctly rounded (serde_json's default reader may
/// be one unit in the last place off, which would make `0.30000000000000004` compare unequal
/// to itself), integers exactly where they fit 64 bits. Python also accepts `NaN`,
/// `Infinity`, numbers beyond the float range and lone surrogate escapes, which JSON values
/// here cannot hold: those are refused.
pub fn loads(text: &str) -> Option<Value> {
    let mut reader = Reader {
        s: text.as_bytes(),
        pos: 0,
    };
    let v = reader.value(0)?;
    reader.skip_ws();
    (reader.pos == reader.s.len()).then_some(v)
}

/// A JSON reader following Python's `json` module (strict mode).
struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// Python gives up (with `RecursionError`) around this depth.
    const MAX_DEPTH: usize = 900;

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        let found = self.s.get(self.pos) == Some(&b);
        if found {
            self.pos += 1;
        }
        found
    }

    fn keyword(&mut self, word: &str, v: Value) -> Option<Value> {
        let found = self.s[self.pos..].starts_with(word.as_bytes());
        found.then(|| {
            self.pos += word.len();
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > Self::MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.s.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut map = Map::new();
                if self.eat(b'}') {
                    return Some(Value::Object(map));
                }
                loop {
                    self.skip_ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value(depth + 1)?;
                    // A repeated key keeps its first place and takes the last value.
                    map.insert(key, v);
                    if self.eat(b'}') {
                        return Some(Value::Object(map));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Value::String),
            b't' => self.keyword("true", Value::Bool(true)),
            b'f' => self.keyword("false", Value::Bool(false)),
            b'n' => self.keyword("null", Value::Null),
            _ => self.number(),
        }
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`: an integer without fraction and exponent.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.s.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos - from
        };
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.s.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        let mut integer = true;
        if self.s.get(self.pos) == Some(&b'.')
            && self.s.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
            digits(self);
            integer = false;
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            let mark = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.pos = mark;
            } else {
                integer = false;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
        if integer {
            if let Ok(i) = text.parse::<i64>() {
                return Some(Value::from(i));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Some(Value::from(u));
            }
        }
        Number::from_f64(text.parse::<f64>().ok()?).map(Value::Number)
    }

    /// A string at `"`: Python's escapes; raw control characters are refused.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = std::str::from_utf8(&self.s[self.pos..]).ok()?;
            let stop = rest.find(|c: char| c == '"' || c == '\\' || c < ' ')?;
            out.push_str(&rest[..stop]);
            self.pos += stop;
            match self.s[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = match *self.s.get(self.pos + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4(self.pos + 2)?;
                            self.pos += 4;
                            if (0xd800..0xdc00).contains(&unit)
                                && self.s.get(self.pos + 2..self.pos + 4) == Some(b"\\u")
                                && let Some(low) = self.hex4(self.pos + 4)
                                && (0xdc00..0xe000).contains(&low)
                            {
                                self.pos += 6;
                                char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))?
                            } else {
                                char::from_u32(unit)?
                            }
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.pos += 2;
                }
                _ => return None,
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(at..at + 4)?).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }
}

/// check.py's `_short`: a value as JSON text, cut to `n` characters.
pub fn short(v: Option<&Value>, n: usize) -> String {
    let s = v.map_or_else(|| "<missing>".to_owned(), dumps_readable);
    cut(&s, n)
}

/// The first `n` characters of `s`, ending in `...` when cut (Python's `s[:n - 3] + "..."`).
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(3)).collect();
        out.push_str("...");
        out
    }
}

#[derive(Clone, Copy)]
struct Style {
    ensure_ascii: bool,
    compact: bool,
}

impl Style {
    const PYTHON_DEFAULT: Style = Style {
        ensure_ascii: true,
        compact: false,
    };
}

fn write_value(out: &mut String, v: &Value, style: Style) {
    let (item_sep, key_sep) = if style.compact {
        (",", ":")
    } else {
        (", ", ": ")
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                out.push_str(&float_repr(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(s) => write_string(out, s, style.ensure_ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                write_value(out, item, style);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                write_string(out, k, style.ensure_ascii);
                out.push_str(key_sep);
                write_value(out, item, style);
            }
            out.push('}');
        }
    }
}

/// Python's string escaping: `py_encode_basestring_ascii` or `py_encode_basestring`.
fn write_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `float.__repr__` as `json.dumps` writes it: the shortest digits that read back,
/// positional when the decimal point falls within `-4 < decpt <= 16`, else `1e+16`, `1e-05`.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1;
    let body = if -4 < decpt && decpt <= 16 {
        let n = digits.len() as i32;
        if decpt <= 0 {
            format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
        } else if decpt >= n {
            format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}{dot}{rest}e{exp_sign}{:02}", exp.unsigned_abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_as_python_writes_them() {
        for (f, text) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (-2.5e-7, "-2.5e-07"),
            (1e100, "1e+100"),
            (123.456, "123.456"),
        ] {
            assert_eq!(float_repr(f), text, "{f}");
        }
    }

    #[test]
    fn reads_as_python_reads() {
        assert_eq!(
            loads(r#" {"a": [1, -0, 1.5e0, "\u00e9\ud83d\ude00\n"], "a": 2} "#),
            Some(json!({"a": 2}))
        );
        assert_eq!(
            loads("[1.0, 18446744073709551615, -1]"),
            Some(json!([1.0, u64::MAX, -1]))
        );
        assert_eq!(loads("0.30000000000000004"), Some(json!(0.1 + 0.2)));
        assert_eq!(loads("1.6500000000000001"), Some(json!(1.1 * 1.5)));
        for bad in [
            "",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "\"\u{1}\"",
            "\"\\ud800\"",
            "NaN",
            "1 2",
        ] {
            assert_eq!(loads(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strings_and_separators_as_python_writes_them() {
        let v = json!({"a": [1, "é\u{7f}\n\u{1}", "😀"], "b": {}});
        assert_eq!(
            dumps(&v),
            r#"{"a": [1, "\u00e9\u007f\n\u0001", "\ud83d\ude00"], "b": {}}"#
        );
        assert_eq!(
            json_text(&v),
            "{\"a\":[1,\"é\u{7f}\\n\\u0001\",\"😀\"],\"b\":{}}"
        );
    }
}
