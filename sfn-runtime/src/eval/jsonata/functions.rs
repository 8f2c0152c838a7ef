//! The built-in functions: jsonata-js `src/functions.js` and the registrations in
//! `src/jsonata.js`, plus the functions Step Functions adds (`$partition`, `$range`, `$hash`,
//! `$random` with a seed, `$uuid`, `$parse`).

use std::rc::Rc;

use super::datetime;
use super::error::{Error, Result};
use super::eval::{Evaluator, merge_sort};
use super::format;
use super::number::{js_number, js_to_string, round_half_even, to_precision, to_radix};
use super::regex::Matcher;
use super::value::{
    Arr, Env, Func, MAX_STRING_BYTES, Native, Obj, Val, from_utf16, grow, js_str_cmp, utf16,
    write_json,
};

/// Name, JavaScript arity and signature of each built-in function.
const NATIVES: &[(&str, usize, &str)] = &[
    ("sum", 1, "<a<n>:n>"),
    ("count", 1, "<a:n>"),
    ("max", 1, "<a<n>:n>"),
    ("min", 1, "<a<n>:n>"),
    ("average", 1, "<a<n>:n>"),
    ("string", 1, "<x-b?:s>"),
    ("substring", 3, "<s-nn?:s>"),
    ("substringBefore", 2, "<s-s:s>"),
    ("substringAfter", 2, "<s-s:s>"),
    ("lowercase", 1, "<s-:s>"),
    ("uppercase", 1, "<s-:s>"),
    ("length", 1, "<s-:n>"),
    ("trim", 1, "<s-:s>"),
    ("pad", 3, "<s-ns?:s>"),
    ("match", 3, "<s-f<s:o>n?:a<o>>"),
    ("contains", 2, "<s-(sf):b>"),
    ("replace", 4, "<s-(sf)(sf)n?:s>"),
    ("split", 3, "<s-(sf)n?:a<s>>"),
    ("join", 2, "<a<s>s?:s>"),
    ("formatNumber", 3, "<n-so?:s>"),
    ("formatBase", 2, "<n-n?:s>"),
    ("formatInteger", 2, "<n-s:s>"),
    ("parseInteger", 2, "<s-s:n>"),
    ("number", 1, "<(nsb)-:n>"),
    ("floor", 1, "<n-:n>"),
    ("ceil", 1, "<n-:n>"),
    ("round", 2, "<n-n?:n>"),
    ("abs", 1, "<n-:n>"),
    ("sqrt", 1, "<n-:n>"),
    ("power", 2, "<n-n:n>"),
    // Step Functions' `$random` takes an optional seed.
    ("random", 1, "<n?:n>"),
    ("boolean", 1, "<x-:b>"),
    ("not", 1, "<x-:b>"),
    ("map", 2, "<af>"),
    ("zip", 0, "<a+>"),
    ("filter", 2, "<af>"),
    ("single", 2, "<af?>"),
    ("reduce", 3, "<afj?:j>"),
    ("sift", 2, "<o-f?:o>"),
    ("keys", 1, "<x-:a<s>>"),
    ("lookup", 2, "<x-s:x>"),
    ("append", 2, "<xx:a>"),
    ("exists", 1, "<x:b>"),
    ("spread", 1, "<x-:a<o>>"),
    ("merge", 1, "<a<o>:o>"),
    ("reverse", 1, "<a:a>"),
    ("each", 2, "<o-f:a>"),
    ("error", 1, "<s?:x>"),
    ("assert", 2, "<bs?:x>"),
    ("type", 1, "<x:s>"),
    ("sort", 2, "<af?:a>"),
    ("shuffle", 1, "<a:a>"),
    ("distinct", 1, "<x:x>"),
    ("base64encode", 1, "<s-:s>"),
    ("base64decode", 1, "<s-:s>"),
    ("encodeUrlComponent", 1, "<s-:s>"),
    ("encodeUrl", 1, "<s-:s>"),
    ("decodeUrlComponent", 1, "<s-:s>"),
    ("decodeUrl", 1, "<s-:s>"),
    ("toMillis", 2, "<s-s?:n>"),
    ("fromMillis", 3, "<n-s?s?:s>"),
    ("clone", 1, "<(oa)-:o>"),
    ("now", 2, "<s?s?:s>"),
    ("millis", 0, "<:n>"),
    // Step Functions.
    ("partition", 2, "<an:a>"),
    ("range", 3, "<nnn?:a>"),
    ("hash", 2, "<ss?:s>"),
    ("uuid", 0, "<:s>"),
    ("parse", 1, "<s:j>"),
];

/// The built-in function `name`, if there is one. `$eval` is not: Step Functions does not
/// offer it.
pub(crate) fn native(name: &str) -> Option<Native> {
    NATIVES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(name, arity, _)| Native { name, arity })
}

/// The signature of a built-in function (or of a transform, `__transform`).
pub(crate) fn signature(name: &str) -> &'static str {
    if name == "__transform" {
        return "<(oa):o>";
    }
    NATIVES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or("<x*>", |(_, _, s)| s)
}

/// D1001 for `Infinity` and `NaN`, as jsonata-js `isNumeric` throws.
pub(crate) fn check_finite(n: f64) -> Result<()> {
    if n.is_finite() {
        Ok(())
    } else {
        Err(Error::new("D1001").value(Some(&Val::Num(n))))
    }
}

/// jsonata-js `isNumeric`.
fn is_numeric(v: &Val<'_>) -> Result<bool> {
    match v {
        Val::Num(n) if !n.is_nan() => {
            check_finite(*n)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// jsonata-js `isArrayOfNumbers`.
pub(crate) fn is_array_of_numbers(v: Option<&Val<'_>>) -> Result<bool> {
    match v {
        Some(Val::Arr(a)) => {
            for item in &a.items {
                if !is_numeric(item)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// JSONata's Boolean value of `v` (`$boolean`); undefined stays undefined.
pub(crate) fn boolean(v: Option<&Val<'_>>) -> Result<Option<bool>> {
    grow(|| boolean_inner(v))
}

fn boolean_inner(v: Option<&Val<'_>>) -> Result<Option<bool>> {
    let Some(v) = v else { return Ok(None) };
    Ok(Some(match v {
        Val::Arr(a) => match a.items.len() {
            0 => false,
            1 => boolean(Some(&a.items[0]))? == Some(true),
            _ => {
                let mut any = false;
                for item in &a.items {
                    if boolean(Some(item))? == Some(true) {
                        any = true;
                    }
                }
                any
            }
        },
        Val::Str(s) => !s.is_empty(),
        Val::Num(n) => {
            if n.is_nan() {
                false
            } else {
                check_finite(*n)?;
                *n != 0.0
            }
        }
        Val::Obj(o) => !o.is_empty(),
        Val::Bool(b) => *b,
        Val::Null | Val::Func(_) => false,
    }))
}

/// JavaScript truthiness (what `$sort` makes of its comparator's result).
fn js_truthy(v: Option<&Val<'_>>) -> bool {
    match v {
        None | Some(Val::Null) => false,
        Some(Val::Bool(b)) => *b,
        Some(Val::Num(n)) => *n != 0.0 && !n.is_nan(),
        Some(Val::Str(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// jsonata-js `lookup`: a field of an object, or of each object in an array.
pub(crate) fn lookup<'a>(input: Option<&Val<'a>>, key: &str) -> Option<Val<'a>> {
    grow(|| lookup_inner(input, key))
}

fn lookup_inner<'a>(input: Option<&Val<'a>>, key: &str) -> Option<Val<'a>> {
    match input? {
        Val::Arr(a) => {
            let mut out = Vec::new();
            for item in &a.items {
                match lookup(Some(item), key) {
                    Some(Val::Arr(r)) => out.extend(r.items.iter().cloned()),
                    Some(v) => out.push(v),
                    None => {}
                }
            }
            Some(Val::seq(out))
        }
        Val::Obj(o) => o.get(key).cloned(),
        _ => None,
    }
}

/// jsonata-js `append`.
pub(crate) fn append<'a>(a: Option<Val<'a>>, b: Option<Val<'a>>) -> Option<Val<'a>> {
    let Some(a) = a else { return b };
    let Some(b) = b else { return Some(a) };
    let mut items = a.items();
    match b {
        Val::Arr(x) => items.extend(x.items.iter().cloned()),
        v => items.push(v),
    }
    // `concat` makes a plain array.
    Some(Val::array(items))
}

/// jsonata-js `string`: strings as they are, functions as `""`, anything else as JSON with
/// numbers to 15 significant digits.
pub(crate) fn to_string(v: &Val<'_>, prettify: bool) -> Result<String> {
    match v {
        Val::Str(s) => Ok(s.to_string()),
        Val::Func(_) => Ok(String::new()),
        Val::Num(n) if !n.is_finite() => Err(Error::new("D3001").value(Some(v))),
        Val::Arr(a) if a.outer_wrapper && !a.items.is_empty() => to_string(&a.items[0], prettify),
        _ => {
            let mut out = String::new();
            write_json(
                v,
                &mut out,
                prettify.then_some(2),
                0,
                &|n| to_precision(n, 15),
                MAX_STRING_BYTES,
            )
            .map_err(|_| plain_error("RangeError: Invalid string length"))?;
            // Written in full, so the value is no larger than its text: checking it is cheap.
            check_nested_finite(v)?;
            Ok(out)
        }
    }
}

fn check_nested_finite(v: &Val<'_>) -> Result<()> {
    grow(|| check_nested_finite_inner(v))
}

fn check_nested_finite_inner(v: &Val<'_>) -> Result<()> {
    match v {
        Val::Num(n) if !n.is_nan() => check_finite(*n),
        Val::Arr(a) => a.items.iter().try_for_each(check_nested_finite),
        Val::Obj(o) => o.values().try_for_each(check_nested_finite),
        _ => Ok(()),
    }
}

/// `Array.prototype.slice` bounds for a list of `len` items.
fn slice_bounds(len: usize, start: f64, end: Option<f64>) -> (usize, usize) {
    let len_f = len as f64;
    let clamp = |x: f64| -> usize {
        let x = if x.is_nan() { 0.0 } else { x.trunc() };
        let x = if x < 0.0 {
            (len_f + x).max(0.0)
        } else {
            x.min(len_f)
        };
        x as usize
    };
    let from = clamp(start);
    let to = end.map_or(len, clamp);
    (from, to.max(from))
}

/// `String.prototype.substring` on code units: arguments clamped, and swapped if reversed.
fn js_substring(units: &[u16], start: f64, end: Option<f64>) -> String {
    let len = units.len() as f64;
    let clamp = |x: f64| -> usize {
        let x = if x.is_nan() { 0.0 } else { x.trunc() };
        x.max(0.0).min(len) as usize
    };
    let a = clamp(start);
    let b = end.map_or(units.len(), clamp);
    let (a, b) = if a > b { (b, a) } else { (a, b) };
    from_utf16(&units[a..b])
}

/// The match object a regex gives for the first match at or after `from`.
pub(crate) fn regex_exec<'a>(m: &Rc<Matcher>, text: Rc<[u16]>, from: usize) -> Option<Val<'a>> {
    let found = m.find(&text, from)?;
    let mut obj = Obj::new();
    obj.insert(
        "match".into(),
        Val::string(from_utf16(&text[found.start..found.end])),
    );
    obj.insert("start".into(), Val::Num(found.start as f64));
    obj.insert("end".into(), Val::Num(found.end as f64));
    let groups = found
        .groups
        .iter()
        .map(|g| match g {
            Some((s, e)) => Val::string(from_utf16(&text[*s..*e])),
            None => Val::Null,
        })
        .collect();
    obj.insert("groups".into(), Val::array(groups));
    obj.insert(
        "next".into(),
        Val::func(Func::MatchNext {
            matcher: m.clone(),
            text,
            from: found.end,
        }),
    );
    Some(Val::obj(obj))
}

/// A match as the string functions use it.
struct MatchInfo<'a> {
    text: String,
    start: f64,
    end: f64,
    groups: Vec<Option<String>>,
    next: Option<Val<'a>>,
    object: Val<'a>,
}

fn arg<'a>(args: &[Option<Val<'a>>], i: usize) -> Option<Val<'a>> {
    args.get(i).cloned().flatten()
}

fn num(v: &Option<Val<'_>>) -> Option<f64> {
    v.as_ref().and_then(Val::as_num)
}

fn string_arg(v: &Option<Val<'_>>) -> Option<Rc<str>> {
    match v {
        Some(Val::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// `String(x)` for the odd cases where a non-string reaches a string operation.
pub(crate) fn js_string(v: &Option<Val<'_>>) -> String {
    match v {
        None => "undefined".into(),
        Some(v) => {
            let mut out = String::new();
            write_js_string(v, &mut out);
            out
        }
    }
}

/// `String(x)` of a value: an array is its items' strings joined by commas (`null` as the
/// empty string), an object `[object Object]`.
fn write_js_string(v: &Val<'_>, out: &mut String) {
    match v {
        Val::Str(s) => out.push_str(s),
        Val::Num(n) => out.push_str(&js_to_string(*n)),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Null => out.push_str("null"),
        Val::Arr(a) => super::value::grow(|| {
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if out.len() > super::value::MAX_STRING_BYTES {
                    return;
                }
                if !matches!(item, Val::Null) {
                    write_js_string(item, out);
                }
            }
        }),
        Val::Func(_) => out.push_str("function () { [native code] }"),
        Val::Obj(_) => out.push_str("[object Object]"),
    }
}

/// JavaScript's `ToLength(ToNumber(x))` as a regex's `lastIndex` reads it.
pub(crate) fn js_last_index(v: &Option<Val<'_>>) -> usize {
    let n = match v {
        None | Some(Val::Null | Val::Obj(_) | Val::Func(_)) => 0.0,
        Some(Val::Num(n)) => *n,
        Some(Val::Bool(b)) => f64::from(u8::from(*b)),
        Some(Val::Str(s)) => js_number(s),
        Some(v @ Val::Arr(_)) => js_number(&js_string(&Some(v.clone()))),
    };
    if n.is_nan() || n <= 0.0 {
        0
    } else if n >= usize::MAX as f64 {
        usize::MAX
    } else {
        n.floor() as usize
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// `decodeURIComponent` (`reserved` empty) or `decodeURI` (escapes of `reserved` kept).
fn percent_decode(s: &str, reserved: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let byte = |at: usize| -> Option<u8> {
            Some(hex(*bytes.get(at + 1)?)? * 16 + hex(*bytes.get(at + 2)?)?)
        };
        let first = byte(i)?;
        if first < 0x80 {
            let c = first as char;
            if reserved.contains(c) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(first);
            }
            i += 3;
            continue;
        }
        let n = match first {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        let mut seq = vec![first];
        let mut at = i + 3;
        for _ in 1..n {
            if bytes.get(at) != Some(&b'%') {
                return None;
            }
            let b = byte(at)?;
            if b & 0xC0 != 0x80 {
                return None;
            }
            seq.push(b);
            at += 3;
        }
        std::str::from_utf8(&seq).ok()?;
        out.extend_from_slice(&seq);
        i = at;
    }
    String::from_utf8(out).ok()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `Buffer.from(str, 'binary').toString('base64')`: each code unit's low byte.
fn base64_encode(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().map(|u| (u & 0xff) as u8).collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Buffer.from(str, 'base64').toString('binary')`: lenient, stops at padding, each byte
/// a character.
fn base64_decode(s: &str) -> String {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = String::new();
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(char::from(((bits >> count) & 0xff) as u8));
        }
    }
    out
}

/// A 64-bit mix (SplitMix64), for seeded `$random`.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An error without a JSONata code (what Step Functions' own functions and JavaScript
/// raise).
pub(crate) fn plain_error(message: impl Into<String>) -> Error {
    Error::new("").message(message)
}

impl<'a> Evaluator<'a, '_> {
    /// The arguments a higher-order function passes to `func`: the value, then the index
    /// (or key) and the whole structure if it takes them.
    fn hof_args(
        func: &Val<'a>,
        value: Val<'a>,
        key: Val<'a>,
        all: &Val<'a>,
    ) -> Vec<Option<Val<'a>>> {
        let arity = match func {
            Val::Func(f) => f.arity(),
            _ => 1,
        };
        let mut args = vec![Some(value)];
        if arity >= 2 {
            args.push(Some(key));
        }
        if arity >= 3 {
            args.push(Some(all.clone()));
        }
        args
    }

    fn call_function(
        &mut self,
        func: &Val<'a>,
        args: Vec<Option<Val<'a>>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        self.tick()?;
        self.apply(Some(func), args, &Some(Val::Null), env, None)
    }

    /// Runs a matcher (a regex or a function of the same shape) on `text`.
    fn run_matcher(
        &mut self,
        matcher: &Val<'a>,
        arg: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<MatchInfo<'a>>> {
        if matches!(matcher, Val::Null) {
            // An undefined pattern: `matcher.apply(...)` in jsonata-js.
            return Err(plain_error(
                "Cannot read properties of undefined (reading 'apply')",
            ));
        }
        let result = self.call_function(matcher, vec![arg], env)?;
        let Some(result) = result else {
            return Ok(None);
        };
        let Val::Obj(o) = &result else {
            if js_truthy(Some(&result)) {
                return Err(Error::new("T1010"));
            }
            return Ok(None);
        };
        let start = o.get("start").and_then(Val::as_num);
        let groups = o.get("groups");
        let next = o.get("next").cloned();
        if start.is_none()
            && !matches!(groups, Some(Val::Arr(_)))
            && !matches!(next, Some(Val::Func(_)))
        {
            return Err(Error::new("T1010"));
        }
        let text = match o.get("match") {
            Some(Val::Str(s)) => s.to_string(),
            Some(v) => js_string(&Some(v.clone())),
            None => "undefined".into(),
        };
        let groups = match groups {
            Some(Val::Arr(a)) => a
                .items
                .iter()
                .map(|g| match g {
                    Val::Str(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Some(MatchInfo {
            text,
            start: start.unwrap_or(f64::NAN),
            end: o.get("end").and_then(Val::as_num).unwrap_or(f64::NAN),
            groups,
            next,
            object: result,
        }))
    }

    fn next_match(&mut self, m: &MatchInfo<'a>, env: &Env<'a>) -> Result<Option<MatchInfo<'a>>> {
        match &m.next {
            Some(next) => self.run_matcher(next, None, env),
            None => Err(Error::new("T1006")),
        }
    }

    /// Calls the built-in `name` with validated arguments.
    pub(crate) fn call_native(
        &mut self,
        name: &str,
        args: Vec<Option<Val<'a>>>,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let a0 = arg(&args, 0);
        let a1 = arg(&args, 1);
        let a2 = arg(&args, 2);
        let numbers = |v: &Option<Val<'a>>| -> Vec<f64> {
            v.as_ref()
                .map(|v| v.items().iter().filter_map(Val::as_num).collect())
                .unwrap_or_default()
        };
        let out = match name {
            "sum" => a0.map(|_| Val::Num(numbers(&arg(&args, 0)).iter().sum())),
            "count" => Some(Val::Num(a0.map_or(0, |v| v.items().len()) as f64)),
            "max" | "min" => {
                let ns = numbers(&a0);
                if a0.is_none() || ns.is_empty() {
                    None
                } else {
                    let v = if name == "max" {
                        ns.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        ns.iter().copied().fold(f64::INFINITY, f64::min)
                    };
                    Some(Val::Num(v))
                }
            }
            "average" => {
                let ns = numbers(&a0);
                if a0.is_none() || ns.is_empty() {
                    None
                } else {
                    Some(Val::Num(ns.iter().sum::<f64>() / ns.len() as f64))
                }
            }
            "string" => match &a0 {
                None => None,
                Some(v) => {
                    let pretty = matches!(a1, Some(Val::Bool(true)));
                    Some(Val::string(to_string(v, pretty)?))
                }
            },
            "substring" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let chars: Vec<char> = s.chars().collect();
                let len = chars.len() as f64;
                let mut start = num(&a1).unwrap_or(f64::NAN);
                if len + start < 0.0 {
                    start = 0.0;
                }
                let result: String = match num(&a2) {
                    Some(length) => {
                        if length <= 0.0 {
                            String::new()
                        } else {
                            let end = if start >= 0.0 {
                                start + length
                            } else {
                                len + start + length
                            };
                            let (from, to) = slice_bounds(chars.len(), start, Some(end));
                            chars[from..to].iter().collect()
                        }
                    }
                    None => {
                        let (from, to) = slice_bounds(chars.len(), start, None);
                        chars[from..to].iter().collect()
                    }
                };
                Some(Val::string(result))
            }
            "substringBefore" | "substringAfter" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let chars = js_string(&a1);
                Some(match s.find(&chars) {
                    Some(pos) if name == "substringBefore" => Val::str(&s[..pos]),
                    Some(pos) => Val::str(&s[pos + chars.len()..]),
                    None => Val::Str(s),
                })
            }
            "lowercase" => string_arg(&a0).map(|s| Val::string(s.to_lowercase())),
            "uppercase" => string_arg(&a0).map(|s| Val::string(s.to_uppercase())),
            "length" => string_arg(&a0).map(|s| Val::Num(s.chars().count() as f64)),
            "trim" => string_arg(&a0).map(|s| {
                let mut out = String::new();
                let mut in_space = false;
                for c in s.chars() {
                    if matches!(c, ' ' | '\t' | '\n' | '\r') {
                        if !in_space {
                            out.push(' ');
                        }
                        in_space = true;
                    } else {
                        out.push(c);
                        in_space = false;
                    }
                }
                let out = out.strip_prefix(' ').unwrap_or(&out);
                let out = out.strip_suffix(' ').unwrap_or(out);
                Val::str(out)
            }),
            "pad" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let width = num(&a1).unwrap_or(f64::NAN);
                let pad_char = match string_arg(&a2) {
                    Some(c) if !c.is_empty() => c.to_string(),
                    _ => " ".to_owned(),
                };
                let pad_length = width.abs() - s.chars().count() as f64;
                if pad_length > 0.0 {
                    // `new Array(padLength + 1).join(char)` in jsonata-js.
                    if pad_length.fract() != 0.0 || pad_length + 1.0 > 4_294_967_295.0 {
                        return Err(plain_error("Invalid array length"));
                    }
                    if pad_length * pad_char.len() as f64 > MAX_STRING_BYTES as f64 {
                        return Err(plain_error("Invalid string length"));
                    }
                    let n = pad_length.floor() as usize;
                    let padding: String = pad_char.chars().cycle().take(n).collect();
                    let padding = if pad_char.chars().count() > 1 {
                        padding
                    } else {
                        pad_char.repeat(n)
                    };
                    Some(Val::string(if width > 0.0 {
                        format!("{s}{padding}")
                    } else {
                        format!("{padding}{s}")
                    }))
                } else {
                    Some(Val::Str(s))
                }
            }
            "match" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let limit = num(&a2);
                if limit.is_some_and(|l| l < 0.0) {
                    return Err(Error::new("D3040").value(a2.as_ref()).index(3));
                }
                let mut out = Vec::new();
                if limit.is_none_or(|l| l > 0.0) {
                    let matcher = a1.clone().unwrap_or(Val::Null);
                    let mut count = 0.0;
                    let mut m = self.run_matcher(&matcher, Some(Val::Str(s.clone())), env)?;
                    while let Some(found) = m {
                        if limit.is_some_and(|l| count >= l) {
                            break;
                        }
                        let mut o = Obj::new();
                        o.insert("match".into(), Val::string(found.text.clone()));
                        o.insert("index".into(), Val::Num(found.start));
                        let groups = found
                            .groups
                            .iter()
                            .map(|g| g.clone().map_or(Val::Null, Val::string))
                            .collect();
                        o.insert("groups".into(), Val::array(groups));
                        out.push(Val::obj(o));
                        m = self.next_match(&found, env)?;
                        count += 1.0;
                    }
                }
                Some(Val::seq(out))
            }
            "contains" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                match &a1 {
                    Some(Val::Str(token)) => Some(Val::Bool(s.contains(&**token))),
                    token => {
                        let matcher = token.clone().unwrap_or(Val::Null);
                        let m = self.run_matcher(&matcher, Some(Val::Str(s)), env)?;
                        Some(Val::Bool(m.is_some()))
                    }
                }
            }
            "replace" => self.replace(&args, env)?,
            "split" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let limit = num(&a2);
                if limit.is_some_and(|l| l < 0.0) {
                    return Err(Error::new("D3020").value(a2.as_ref()).index(3));
                }
                let mut out: Vec<Val<'a>> = Vec::new();
                if limit.is_none_or(|l| l > 0.0) {
                    match &a1 {
                        Some(Val::Str(sep)) => {
                            let parts: Vec<String> = if sep.is_empty() {
                                s.chars().map(String::from).collect()
                            } else {
                                s.split(&**sep).map(str::to_owned).collect()
                            };
                            let max = limit.map_or(usize::MAX, |l| l as usize);
                            out = parts.into_iter().take(max).map(Val::string).collect();
                        }
                        sep => {
                            let matcher = sep.clone().unwrap_or(Val::Null);
                            let units = utf16(&s);
                            let mut count = 0.0;
                            let mut m =
                                self.run_matcher(&matcher, Some(Val::Str(s.clone())), env)?;
                            if m.is_some() {
                                let mut start = 0.0;
                                while let Some(found) = m {
                                    if limit.is_some_and(|l| count >= l) {
                                        break;
                                    }
                                    out.push(Val::string(js_substring(
                                        &units,
                                        start,
                                        Some(found.start),
                                    )));
                                    start = found.end;
                                    m = self.next_match(&found, env)?;
                                    count += 1.0;
                                }
                                if limit.is_none_or(|l| count < l) {
                                    out.push(Val::string(js_substring(&units, start, None)));
                                }
                            } else {
                                out.push(Val::Str(s));
                            }
                        }
                    }
                }
                Some(Val::array(out))
            }
            "join" => match &a0 {
                None => None,
                Some(v) => {
                    let sep = string_arg(&a1).map_or(String::new(), |s| s.to_string());
                    let parts: Vec<String> = v
                        .items()
                        .iter()
                        .map(|p| js_string(&Some(p.clone())))
                        .collect();
                    Some(Val::string(parts.join(&sep)))
                }
            },
            "formatNumber" => match num(&a0) {
                None => None,
                Some(n) => {
                    if a1.is_none() {
                        return Err(plain_error(
                            "Cannot read properties of undefined (reading 'split')",
                        ));
                    }
                    let picture = js_string(&a1);
                    let options = match &a2 {
                        Some(Val::Obj(o)) => Some(o.clone()),
                        _ => None,
                    };
                    Some(Val::string(format::format_number(
                        n,
                        &picture,
                        options.as_deref(),
                    )?))
                }
            },
            "formatBase" => match num(&a0) {
                None => None,
                Some(n) => {
                    let value = round_half_even(n, None);
                    let radix = num(&a1).map_or(10.0, |r| round_half_even(r, None));
                    if !(2.0..=36.0).contains(&radix) {
                        return Err(Error::new("D3100").value(Some(&Val::Num(radix))));
                    }
                    Some(Val::string(to_radix(value, radix as u32)))
                }
            },
            "formatInteger" | "parseInteger" if a0.is_some() && a1.is_none() => {
                return Err(plain_error(
                    "Cannot read properties of undefined (reading 'lastIndexOf')",
                ));
            }
            "formatInteger" => match num(&a0) {
                None => None,
                Some(n) => Some(Val::string(format::format_integer(n, &js_string(&a1))?)),
            },
            "parseInteger" => match string_arg(&a0) {
                None => None,
                Some(s) => format::parse_integer(&s, &js_string(&a1))?.map(Val::Num),
            },
            "number" => match &a0 {
                None => None,
                Some(Val::Num(n)) => Some(Val::Num(*n)),
                Some(Val::Bool(b)) => Some(Val::Num(if *b { 1.0 } else { 0.0 })),
                Some(Val::Str(s)) => {
                    Some(Val::Num(to_number(s).ok_or_else(|| {
                        Error::new("D3030").value(a0.as_ref()).index(1)
                    })?))
                }
                Some(v) => return Err(Error::new("D3030").value(Some(v)).index(1)),
            },
            "floor" => num(&a0).map(|n| Val::Num(n.floor())),
            "ceil" => num(&a0).map(|n| Val::Num(n.ceil())),
            "abs" => num(&a0).map(|n| Val::Num(n.abs())),
            "round" => num(&a0).map(|n| Val::Num(round_half_even(n, num(&a1).map(|p| p as i64)))),
            "sqrt" => match num(&a0) {
                None => None,
                Some(n) if n < 0.0 => {
                    return Err(Error::new("D3060").value(a0.as_ref()).index(1));
                }
                Some(n) => Some(Val::Num(n.sqrt())),
            },
            "power" => match (num(&a0), num(&a1)) {
                (None, _) => None,
                (Some(b), e) => {
                    let e_val = e.unwrap_or(f64::NAN);
                    let r = js_pow(b, e_val);
                    if !r.is_finite() {
                        let mut err = Error::new("D3061").value(a0.as_ref()).index(1);
                        err.exp = Some(super::value::js_stringify(a1.as_ref()));
                        return Err(err);
                    }
                    Some(Val::Num(r))
                }
            },
            "random" => match num(&a0) {
                Some(seed) => {
                    let bits = splitmix(seed.to_bits());
                    Some(Val::Num((bits >> 11) as f64 / (1u64 << 53) as f64))
                }
                None => Some(Val::Num(self.environment.random())),
            },
            "boolean" => boolean(a0.as_ref())?.map(Val::Bool),
            "not" => boolean(a0.as_ref())?.map(|b| Val::Bool(!b)),
            "map" | "filter" => {
                let Some(arr) = a0 else { return Ok(None) };
                let func = a1.unwrap_or(Val::Null);
                let items = arr.items();
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let call_args = Self::hof_args(&func, item.clone(), Val::Num(i as f64), &arr);
                    let res = self.call_function(&func, call_args, env)?;
                    if name == "map" {
                        if let Some(v) = res {
                            out.push(v);
                        }
                    } else if boolean(res.as_ref())? == Some(true) {
                        out.push(item.clone());
                    }
                }
                Some(Val::seq(out))
            }
            "single" => {
                let Some(arr) = a0 else { return Ok(None) };
                let mut found: Option<Val<'a>> = None;
                for (i, item) in arr.items().iter().enumerate() {
                    let positive = match &a1 {
                        Some(func) => {
                            let call_args =
                                Self::hof_args(func, item.clone(), Val::Num(i as f64), &arr);
                            let res = self.call_function(func, call_args, env)?;
                            boolean(res.as_ref())? == Some(true)
                        }
                        None => true,
                    };
                    if positive {
                        if found.is_some() {
                            return Err(Error::new("D3138").index(i));
                        }
                        found = Some(item.clone());
                    }
                }
                match found {
                    Some(v) => Some(v),
                    None => return Err(Error::new("D3139")),
                }
            }
            "reduce" => {
                let Some(seq) = a0 else { return Ok(None) };
                let func = a1.unwrap_or(Val::Null);
                let arity = match &func {
                    Val::Func(f) => f.arity(),
                    _ => 0,
                };
                if arity < 2 {
                    return Err(Error::new("D3050").index(1));
                }
                let items = seq.items();
                let (mut result, mut index) = match (&a2, items.first()) {
                    (None, Some(first)) => (Some(first.clone()), 1),
                    _ => (a2.clone(), 0),
                };
                while index < items.len() {
                    let mut call_args = vec![result, Some(items[index].clone())];
                    if arity >= 3 {
                        call_args.push(Some(Val::Num(index as f64)));
                    }
                    if arity >= 4 {
                        call_args.push(Some(seq.clone()));
                    }
                    result = self.call_function(&func, call_args, env)?;
                    index += 1;
                }
                result
            }
            "sift" | "each" => {
                let Some(Val::Obj(obj)) = &a0 else {
                    return Ok(None);
                };
                let func = a1.unwrap_or(Val::Null);
                let whole = Val::Obj(obj.clone());
                let mut sifted = Obj::new();
                let mut out = Vec::new();
                for (k, v) in obj.iter() {
                    let call_args = Self::hof_args(&func, v.clone(), Val::str(k), &whole);
                    let res = self.call_function(&func, call_args, env)?;
                    if name == "each" {
                        if let Some(r) = res {
                            out.push(r);
                        }
                    } else if boolean(res.as_ref())? == Some(true) {
                        sifted.insert(k.clone(), v.clone());
                    }
                }
                if name == "each" {
                    Some(Val::seq(out))
                } else if sifted.is_empty() {
                    None
                } else {
                    Some(Val::obj(sifted))
                }
            }
            "zip" => {
                let arrays: Vec<Vec<Val<'a>>> = args
                    .iter()
                    .map(|a| match a {
                        Some(Val::Arr(x)) => x.items.clone(),
                        _ => Vec::new(),
                    })
                    .collect();
                let len = arrays.iter().map(Vec::len).min().unwrap_or(0);
                let out = (0..len)
                    .map(|i| Val::array(arrays.iter().map(|a| a[i].clone()).collect()))
                    .collect();
                Some(Val::array(out))
            }
            "keys" => Some(Val::seq(
                keys(a0.as_ref()).into_iter().map(Val::string).collect(),
            )),
            "lookup" => lookup(a0.as_ref(), &js_string(&a1)),
            "append" => {
                let both = a0.is_some() && a1.is_some();
                let out = append(a0, a1);
                if both {
                    self.charge_value(&out)?;
                }
                out
            }
            "exists" => Some(Val::Bool(a0.is_some())),
            "spread" => spread(a0),
            "merge" => match &a0 {
                None => None,
                Some(v) => {
                    let mut out = Obj::new();
                    for item in v.items() {
                        if let Val::Obj(o) = item {
                            for (k, v) in o.iter() {
                                out.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    Some(Val::obj(out))
                }
            },
            "reverse" => match a0 {
                None => None,
                Some(Val::Arr(a)) if a.items.len() > 1 => {
                    Some(Val::array(a.items.iter().rev().cloned().collect()))
                }
                Some(v) => Some(v),
            },
            "error" => {
                let message = match string_arg(&a0) {
                    Some(s) if !s.is_empty() => s.to_string(),
                    _ => "$error() function evaluated".to_owned(),
                };
                return Err(Error::new("D3137").message(message));
            }
            "assert" => {
                if !matches!(a0, Some(Val::Bool(true))) {
                    let message = match string_arg(&a1) {
                        Some(s) if !s.is_empty() => s.to_string(),
                        _ => "$assert() statement failed".to_owned(),
                    };
                    return Err(Error::new("D3141").message(message));
                }
                None
            }
            "type" => a0.map(|v| Val::str(v.type_name())),
            "sort" => self.sort(a0, a1, env)?,
            "shuffle" => match a0 {
                None => None,
                Some(Val::Arr(a)) if a.items.len() > 1 => {
                    let items = &a.items;
                    let mut result: Vec<Val<'a>> = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let j = (self.environment.random() * (i + 1) as f64).floor() as usize;
                        let j = j.min(i);
                        if i == j {
                            result.push(item.clone());
                        } else {
                            let moved = result[j].clone();
                            result.push(moved);
                            result[j] = item.clone();
                        }
                    }
                    Some(Val::array(result))
                }
                Some(v) => Some(v),
            },
            "distinct" => match a0 {
                None => None,
                Some(Val::Arr(a)) if a.items.len() > 1 => {
                    // Values equal as `=` compares them have the same canonical text.
                    let mut seen = std::collections::HashSet::new();
                    let mut out: Vec<Val<'a>> = Vec::new();
                    for v in &a.items {
                        let mut key = String::new();
                        canonical(v, &mut key, MAX_STRING_BYTES)
                            .map_err(|_| plain_error("RangeError: Invalid string length"))?;
                        self.charge(key.len() / 16)?;
                        if seen.insert(key) {
                            out.push(v.clone());
                        }
                    }
                    let mut r = Arr::plain(out);
                    r.sequence = a.sequence;
                    Some(Val::arr(r))
                }
                Some(v) => Some(v),
            },
            "base64encode" => string_arg(&a0).map(|s| Val::string(base64_encode(&s))),
            "base64decode" => string_arg(&a0).map(|s| Val::string(base64_decode(&s))),
            "encodeUrlComponent" => {
                string_arg(&a0).map(|s| Val::string(percent_encode(&s, "-_.!~*'()")))
            }
            "encodeUrl" => {
                string_arg(&a0).map(|s| Val::string(percent_encode(&s, "-_.!~*'();/?:@&=+$,#")))
            }
            "decodeUrlComponent" | "decodeUrl" => match string_arg(&a0) {
                None => None,
                Some(s) => {
                    let reserved = if name == "decodeUrl" {
                        ";/?:@&=+$,#"
                    } else {
                        ""
                    };
                    match percent_decode(&s, reserved) {
                        Some(d) => Some(Val::string(d)),
                        None => {
                            let mut e = Error::new("D3140").value(a0.as_ref());
                            e.function_name = Some(if name == "decodeUrl" {
                                "decodeUrl"
                            } else {
                                "decodeUrlComponent"
                            });
                            return Err(e);
                        }
                    }
                }
            },
            "toMillis" => match string_arg(&a0) {
                None => None,
                Some(s) => {
                    datetime::to_millis(&s, string_arg(&a1).as_deref(), self.timestamp as f64)?
                        .map(Val::Num)
                }
            },
            "fromMillis" => match num(&a0) {
                None => None,
                Some(n) => Some(Val::string(datetime::from_millis(
                    n,
                    string_arg(&a1).as_deref(),
                    string_arg(&a2).as_deref(),
                )?)),
            },
            "now" => Some(Val::string(datetime::from_millis(
                self.timestamp as f64,
                string_arg(&a0).as_deref(),
                string_arg(&a1).as_deref(),
            )?)),
            "millis" => Some(Val::Num(self.timestamp as f64)),
            "clone" => match &a0 {
                None => None,
                Some(v) => {
                    // `JSON.parse($string(v))`: writing it bounds its size and checks it.
                    to_string(v, false)?;
                    Some(clone_json(v))
                }
            },
            "partition" => {
                let Some(arr) = a0 else { return Ok(None) };
                let size = num(&a1).unwrap_or(f64::NAN);
                if !(size.is_finite() && size >= 1.0) {
                    return Err(plain_error(
                        "The chunk size argument of the $partition function must be a positive integer",
                    ));
                }
                let size = size.floor() as usize;
                let items = arr.items();
                Some(Val::array(
                    items.chunks(size).map(|c| Val::array(c.to_vec())).collect(),
                ))
            }
            "range" => {
                let (Some(start), Some(end)) = (num(&a0), num(&a1)) else {
                    return Ok(None);
                };
                let step = num(&a2).unwrap_or(1.0);
                if step == 0.0 || !step.is_finite() {
                    return Err(plain_error(
                        "The step argument of the $range function must be a non-zero number",
                    ));
                }
                let count = ((end - start) / step).floor() + 1.0;
                if count > 1e7 {
                    return Err(Error::new("D2014").value(Some(&Val::Num(count))));
                }
                let count = if count > 0.0 { count as usize } else { 0 };
                Some(Val::seq(
                    (0..count)
                        .map(|i| Val::Num(start + step * i as f64))
                        .collect(),
                ))
            }
            "hash" => {
                let Some(s) = string_arg(&a0) else {
                    return Ok(None);
                };
                let algorithm = string_arg(&a1).map_or("SHA-256".to_owned(), |a| a.to_string());
                use sha2::Digest;
                let digest = match algorithm.as_str() {
                    "MD5" => hex(&md5::Md5::digest(s.as_bytes())),
                    "SHA-1" => hex(&sha1::Sha1::digest(s.as_bytes())),
                    "SHA-256" => hex(&sha2::Sha256::digest(s.as_bytes())),
                    "SHA-384" => hex(&sha2::Sha384::digest(s.as_bytes())),
                    "SHA-512" => hex(&sha2::Sha512::digest(s.as_bytes())),
                    other => {
                        return Err(plain_error(format!(
                            "The hashing algorithm '{other}' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                        )));
                    }
                };
                Some(Val::string(digest))
            }
            "uuid" => Some(Val::string(self.environment.uuid())),
            "parse" => match string_arg(&a0) {
                None => None,
                Some(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                    Ok(v) => Some(Val::from_json(&v)),
                    Err(e) => {
                        return Err(plain_error(format!(
                            "Unable to parse the argument of $parse as JSON: {e}"
                        )));
                    }
                },
            },
            _ => {
                let _ = input;
                return Err(Error::new("T1006"));
            }
        };
        // What the function made (those returning a value they were given are not counted).
        if !matches!(name, "lookup" | "single" | "reduce" | "sort" | "append") {
            self.charge_value(&out)?;
        }
        Ok(out)
    }

    fn replace(&mut self, args: &[Option<Val<'a>>], env: &Env<'a>) -> Result<Option<Val<'a>>> {
        let Some(s) = string_arg(&arg(args, 0)) else {
            return Ok(None);
        };
        let pattern = arg(args, 1);
        let replacement = arg(args, 2);
        let limit_val = arg(args, 3);
        let limit = num(&limit_val);
        if matches!(&pattern, Some(Val::Str(p)) if p.is_empty()) {
            return Err(Error::new("D3010").value(pattern.as_ref()).index(2));
        }
        if limit.is_some_and(|l| l < 0.0) {
            return Err(Error::new("D3011").value(limit_val.as_ref()).index(4));
        }
        if limit.is_some_and(|l| l <= 0.0) {
            return Ok(Some(Val::Str(s)));
        }
        let mut count = 0.0;
        if let Some(Val::Str(p)) = &pattern {
            let literal = match &replacement {
                Some(Val::Str(r)) => r.to_string(),
                other => js_string(other),
            };
            let mut result = String::new();
            let mut rest: &str = &s;
            while let Some(pos) = rest.find(&**p) {
                if limit.is_some_and(|l| count >= l) {
                    break;
                }
                result.push_str(&rest[..pos]);
                result.push_str(&literal);
                rest = &rest[pos + p.len()..];
                count += 1.0;
            }
            result.push_str(rest);
            return Ok(Some(Val::string(result)));
        }
        let matcher = pattern.unwrap_or(Val::Null);
        let units = utf16(&s);
        let mut m = self.run_matcher(&matcher, Some(Val::Str(s.clone())), env)?;
        if m.is_none() {
            return Ok(Some(Val::Str(s)));
        }
        let mut result = String::new();
        let mut position = 0.0;
        while let Some(found) = m {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            result.push_str(&js_substring(&units, position, Some(found.start)));
            let replaced = match &replacement {
                Some(Val::Str(r)) => Some(Val::string(substitute(r, &found))),
                Some(f) => {
                    let f = f.clone();
                    self.call_function(&f, vec![Some(found.object.clone())], env)?
                }
                None => Some(Val::string(substitute("undefined", &found))),
            };
            match replaced {
                Some(Val::Str(r)) => result.push_str(&r),
                other => return Err(Error::new("D3012").value(other.as_ref())),
            }
            position = found.start + found.text.encode_utf16().count() as f64;
            count += 1.0;
            m = self.next_match(&found, env)?;
        }
        result.push_str(&js_substring(&units, position, None));
        Ok(Some(Val::string(result)))
    }

    fn sort(
        &mut self,
        arr: Option<Val<'a>>,
        comparator: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let Some(arr) = arr else { return Ok(None) };
        let items = match &arr {
            Val::Arr(a) if a.items.len() > 1 => a.items.clone(),
            _ => return Ok(Some(arr)),
        };
        self.charge(items.len())?;
        let sorted = match comparator {
            None => {
                let numbers = is_array_of_numbers(Some(&arr))?;
                let strings = items.iter().all(|v| matches!(v, Val::Str(_)));
                if !numbers && !strings {
                    return Err(Error::new("D3070").index(1));
                }
                merge_sort(self, items, &mut |_, a: &Val<'a>, b: &Val<'a>| {
                    Ok(match (a, b) {
                        (Val::Num(x), Val::Num(y)) => x > y,
                        (Val::Str(x), Val::Str(y)) => {
                            js_str_cmp(x, y) == std::cmp::Ordering::Greater
                        }
                        _ => false,
                    })
                })?
            }
            Some(f) => merge_sort(self, items, &mut |ev, a: &Val<'a>, b: &Val<'a>| {
                let r = ev.call_function(&f, vec![Some(a.clone()), Some(b.clone())], env)?;
                Ok(js_truthy(r.as_ref()))
            })?,
        };
        Ok(Some(Val::array(sorted)))
    }
}

/// `Math.pow`, with JavaScript's answers where Rust's `powf` differs.
fn js_pow(base: f64, exp: f64) -> f64 {
    if exp.is_nan() {
        return f64::NAN;
    }
    if (base == 1.0 || base == -1.0) && exp.is_infinite() {
        return f64::NAN;
    }
    base.powf(exp)
}

/// `$number` of a string.
fn to_number(s: &str) -> Option<f64> {
    let decimal = {
        let b = s.strip_prefix('-').unwrap_or(s);
        let (mantissa, exponent) = match b.find(['e', 'E']) {
            Some(i) => (&b[..i], Some(&b[i + 1..])),
            None => (b, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (mantissa, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
        digits(int)
            && frac.is_none_or(digits)
            && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
    };
    if decimal {
        let v = js_number(s);
        if v.is_finite() {
            return Some(v);
        }
    }
    // `^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`, alternatives unanchored as written.
    let lower = s.to_ascii_lowercase();
    let hex = lower.len() > 2
        && lower.starts_with("0x")
        && lower[2..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_hexdigit());
    let octal = lower.match_indices("0o").any(|(i, _)| {
        lower[i + 2..]
            .bytes()
            .next()
            .is_some_and(|b| (b'0'..=b'7').contains(&b))
    });
    let binary = {
        let t = lower.trim_end_matches(['0', '1']);
        t.len() < lower.len() && t.ends_with("0b")
    };
    if hex || octal || binary {
        return Some(js_number(s));
    }
    None
}

/// Text that two values share exactly when `=` finds them equal: objects with sorted keys,
/// numbers by value, functions by identity.
fn canonical(v: &Val<'_>, out: &mut String, limit: usize) -> std::result::Result<(), ()> {
    grow(|| {
        if out.len() > limit {
            return Err(());
        }
        match v {
            Val::Null => out.push('l'),
            Val::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            Val::Num(n) => {
                out.push('n');
                out.push_str(&js_to_string(*n));
                out.push(';');
            }
            Val::Str(s) => {
                out.push('s');
                super::value::quote_json(s, out);
            }
            Val::Func(f) => out.push_str(&format!("F{:p};", Rc::as_ptr(f))),
            Val::Arr(a) => {
                out.push('[');
                for item in &a.items {
                    canonical(item, out, limit)?;
                    out.push(',');
                }
                out.push(']');
            }
            Val::Obj(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    super::value::quote_json(k, out);
                    out.push(':');
                    if let Some(item) = o.get(k) {
                        canonical(item, out, limit)?;
                    }
                    out.push(',');
                }
                out.push('}');
            }
        }
        Ok(())
    })
}

/// `$keys`: the keys of an object, or the union of the keys of the objects in an array.
fn keys(v: Option<&Val<'_>>) -> Vec<String> {
    grow(|| keys_inner(v))
}

fn keys_inner(v: Option<&Val<'_>>) -> Vec<String> {
    match v {
        Some(Val::Arr(a)) => {
            let mut merged = Obj::new();
            for item in &a.items {
                for k in keys(Some(item)) {
                    merged.insert(k, Val::Bool(true));
                }
            }
            merged.keys().cloned().collect()
        }
        Some(Val::Obj(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `$spread`: an object as an array of one-key objects.
fn spread<'a>(v: Option<Val<'a>>) -> Option<Val<'a>> {
    grow(|| spread_inner(v))
}

fn spread_inner<'a>(v: Option<Val<'a>>) -> Option<Val<'a>> {
    match v {
        Some(Val::Arr(a)) => {
            let mut result = Some(Val::seq(Vec::new()));
            for item in &a.items {
                result = append(result, spread(Some(item.clone())));
            }
            result
        }
        Some(Val::Obj(o)) => {
            let items = o
                .iter()
                .map(|(k, v)| {
                    let mut one = Obj::new();
                    one.insert(k.clone(), v.clone());
                    Val::obj(one)
                })
                .collect();
            Some(Val::seq(items))
        }
        other => other,
    }
}

/// `JSON.parse($string(v))`: a copy with numbers to 15 significant digits and functions as
/// empty strings.
fn clone_json<'a>(v: &Val<'a>) -> Val<'a> {
    grow(|| clone_json_inner(v))
}

fn clone_json_inner<'a>(v: &Val<'a>) -> Val<'a> {
    match v {
        Val::Num(n) => Val::Num(to_precision(*n, 15)),
        Val::Func(_) => Val::str(""),
        Val::Arr(a) => Val::array(a.items.iter().map(clone_json).collect()),
        Val::Obj(o) => {
            let mut out = Obj::new();
            for (k, v) in o.iter() {
                out.insert(k.clone(), clone_json(v));
            }
            Val::obj(out)
        }
        other => other.clone(),
    }
}

/// The replacement text for one match: `$$`, `$0` and `$n` substituted, as jsonata-js does.
fn substitute(replacement: &str, m: &MatchInfo<'_>) -> String {
    let r: Vec<char> = replacement.chars().collect();
    let mut out = String::new();
    let mut position = 0;
    let find = |from: usize| {
        r[from.min(r.len())..]
            .iter()
            .position(|c| *c == '$')
            .map(|i| i + from)
    };
    let mut index = find(0);
    while let Some(i) = index {
        if position >= r.len() {
            break;
        }
        out.extend(&r[position..i]);
        position = i + 1;
        match r.get(position) {
            Some('$') => {
                out.push('$');
                position += 1;
            }
            Some('0') => {
                out.push_str(&m.text);
                position += 1;
            }
            _ => {
                let groups = m.groups.len();
                let max_digits = if groups == 0 {
                    1
                } else {
                    (groups as f64).log10().floor() as usize + 1
                };
                let parse = |n: usize| -> Option<usize> {
                    let text: String = r[position.min(r.len())..(position + n).min(r.len())]
                        .iter()
                        .collect();
                    // parseInt: leading digits only.
                    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                };
                let mut group = parse(max_digits);
                if max_digits > 1 && group.is_some_and(|g| g > groups) {
                    group = parse(max_digits - 1);
                }
                match group {
                    Some(g) => {
                        if groups > 0 && g >= 1 {
                            if let Some(Some(text)) = m.groups.get(g - 1) {
                                out.push_str(text);
                            }
                        }
                        position += g.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
        index = find(position);
    }
    out.extend(&r[position.min(r.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_encode("myuser:mypass"), "bXl1c2VyOm15cGFzcw==");
        assert_eq!(base64_decode("bXl1c2VyOm15cGFzcw=="), "myuser:mypass");
        assert_eq!(base64_encode("ab"), "YWI=");
        assert_eq!(base64_encode(""), "");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(
            percent_encode("?x=шеллы", "-_.!~*'()"),
            "%3Fx%3D%D1%88%D0%B5%D0%BB%D0%BB%D1%8B"
        );
        assert_eq!(
            percent_encode("https://mozilla.org/?x=шеллы", "-_.!~*'();/?:@&=+$,#"),
            "https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B"
        );
        assert_eq!(
            percent_decode("%3Fx%3D%D1%88%D0%B5%D0%BB%D0%BB%D1%8B", "").as_deref(),
            Some("?x=шеллы")
        );
        assert_eq!(
            percent_decode("%3Fx", ";/?:@&=+$,#").as_deref(),
            Some("%3Fx")
        );
        assert_eq!(percent_decode("%E0%A4%A", ""), None);
        assert_eq!(percent_decode("%", ""), None);
    }

    #[test]
    fn numbers_from_strings() {
        assert_eq!(to_number("1e2"), Some(100.0));
        assert_eq!(to_number("-0.5"), Some(-0.5));
        assert_eq!(to_number("0x12"), Some(18.0));
        assert_eq!(to_number("0b101"), Some(5.0));
        assert_eq!(to_number(".5"), None);
        assert_eq!(to_number("1e400"), None);
        assert_eq!(to_number(""), None);
        assert_eq!(to_number(" 1"), None);
    }
}
