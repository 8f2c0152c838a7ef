//! JSONata values: JSON plus functions, with the flags jsonata-js keeps on arrays.
//!
//! `undefined` is not a value: it is `None` wherever a value may be missing.

use std::cell::RefCell;
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::Value;
use sfn_core::jsonata::{Node, Signature};

use super::number;
use super::regex::Matcher;

/// Runs `f` with enough stack, growing it on the heap when needed: the recursive helpers
/// over values (copying, comparing, writing) may meet values nested as deeply as an
/// expression built them.
pub(crate) fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

/// How deeply a result may nest to be returned as JSON.
pub(crate) const MAX_RESULT_DEPTH: usize = 1000;

/// How many values (members and items, at any depth) a result may hold to be returned as
/// JSON. Values share their parts, so an expression can build one far larger than the memory
/// it takes until it is written out.
pub(crate) const MAX_RESULT_NODES: usize = 10_000_000;

/// The longest string `$string` (and the other writers of JSON text) produce, in bytes; like
/// JavaScript's string length limit, it stops runaway growth.
pub(crate) const MAX_STRING_BYTES: usize = 1 << 27;

/// A JSONata value.
#[derive(Clone)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Arr<'a>>),
    Obj(Rc<Obj<'a>>),
    Func(Rc<Func<'a>>),
}

impl std::fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Func(_) => f.write_str("<function>"),
            v => f.write_str(&js_stringify(Some(v))),
        }
    }
}

/// An array, with the flags jsonata-js sets on its arrays.
#[derive(Clone, Default)]
pub(crate) struct Arr<'a> {
    pub items: Vec<Val<'a>>,
    /// A result sequence (`createSequence`): a singleton is unwrapped, an empty one is
    /// undefined.
    pub sequence: bool,
    /// `keepSingleton`: a singleton sequence stays an array.
    pub keep_singleton: bool,
    /// `cons`: built by an array constructor that is the first or last step of a path.
    pub cons: bool,
    /// `tupleStream`: the items are tuples (objects binding `@` and variables).
    pub tuple_stream: bool,
    /// `outerWrapper`: the sequence wrapping an array given as the input document.
    pub outer_wrapper: bool,
}

impl<'a> Arr<'a> {
    pub fn seq(items: Vec<Val<'a>>) -> Self {
        Arr {
            items,
            sequence: true,
            ..Arr::default()
        }
    }

    pub fn plain(items: Vec<Val<'a>>) -> Self {
        Arr {
            items,
            ..Arr::default()
        }
    }
}

/// An object, keyed in JavaScript's property order: array-index keys ("0", "17") first in
/// ascending order, then the others in insertion order.
#[derive(Clone, Default)]
pub(crate) struct Obj<'a> {
    map: IndexMap<String, Val<'a>>,
    /// How many of the first entries are array-index keys.
    indexed: usize,
}

/// The value of `key` as an array index, if it is one (a canonical integer below 2³² − 1).
fn array_index(key: &str) -> Option<u32> {
    let bytes = key.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

impl<'a> Obj<'a> {
    pub fn new() -> Self {
        Obj::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.map.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Val<'a>)> {
        self.map.iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }

    pub fn values(&self) -> impl Iterator<Item = &Val<'a>> {
        self.map.values()
    }

    /// Sets `key`, keeping its place if it exists.
    pub fn insert(&mut self, key: String, value: Val<'a>) {
        if let Some(slot) = self.map.get_mut(&key) {
            *slot = value;
            return;
        }
        match array_index(&key) {
            Some(n) => {
                // Binary search among the leading array-index keys, which are sorted.
                let (mut lo, mut hi) = (0, self.indexed);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    let m = self
                        .map
                        .get_index(mid)
                        .and_then(|(k, _)| array_index(k))
                        .unwrap_or(u32::MAX);
                    if m < n {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                self.map.shift_insert(lo, key, value);
                self.indexed += 1;
            }
            None => {
                self.map.insert(key, value);
            }
        }
    }

    pub fn remove(&mut self, key: &str) {
        if let Some((index, _, _)) = self.map.shift_remove_full(key) {
            if index < self.indexed {
                self.indexed -= 1;
            }
        }
    }
}

// Values can nest as deeply as an expression builds them; dropping them must not recurse.
impl Drop for Arr<'_> {
    fn drop(&mut self) {
        drop_iteratively(std::mem::take(&mut self.items));
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        let map = std::mem::take(&mut self.map);
        drop_iteratively(map.into_values().collect());
    }
}

fn drop_iteratively(mut stack: Vec<Val<'_>>) {
    while let Some(v) = stack.pop() {
        match v {
            Val::Arr(a) => {
                if let Ok(mut a) = Rc::try_unwrap(a) {
                    stack.append(&mut a.items);
                }
            }
            Val::Obj(o) => {
                if let Ok(mut o) = Rc::try_unwrap(o) {
                    let map = std::mem::take(&mut o.map);
                    stack.extend(map.into_values());
                }
            }
            _ => {}
        }
    }
}

/// A function value.
pub(crate) enum Func<'a> {
    /// `function($a, $b) { … }`, or a partial application of one.
    Lambda(Lambda<'a>),
    /// A built-in function.
    Native(Native),
    /// A built-in function partially applied: `None` marks a `?`.
    Partial {
        native: Native,
        args: Vec<Option<Option<Val<'a>>>>,
    },
    /// A regular expression, used as a function `(str, [from])` returning a match object.
    Regex(Rc<Matcher>),
    /// The `next` function of a match object.
    MatchNext {
        matcher: Rc<Matcher>,
        text: Rc<[u16]>,
        from: usize,
    },
    /// A transform `| pattern | update, delete |`.
    Transform { node: &'a Node, env: Env<'a> },
    /// `f ~> g`: a function applying `f`, then `g`.
    Chain { first: Val<'a>, then: Val<'a> },
}

/// A lambda closure.
pub(crate) struct Lambda<'a> {
    pub params: Vec<&'a str>,
    pub body: &'a Node,
    pub signature: Option<&'a Signature>,
    /// The context value where the lambda was defined.
    pub input: Option<Val<'a>>,
    pub env: Env<'a>,
}

/// A built-in function: its name (without `$`) and how many parameters its JavaScript
/// implementation declares (`getFunctionArity`).
#[derive(Clone, Copy)]
pub(crate) struct Native {
    pub name: &'static str,
    pub arity: usize,
}

impl<'a> Func<'a> {
    /// The number of parameters (`getFunctionArity`), which decides what the higher-order
    /// functions pass to it.
    pub fn arity(&self) -> usize {
        match self {
            Func::Lambda(l) => l.params.len(),
            Func::Native(n) => n.arity,
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Regex(_) => 2,
            Func::MatchNext { .. } => 0,
            Func::Transform { .. } => 1,
            Func::Chain { .. } => 1,
        }
    }
}

/// A scope: variables bound by `:=`, by a lambda's parameters, or by a tuple.
pub(crate) struct Frame<'a> {
    vars: RefCell<Vec<(Rc<str>, Option<Val<'a>>)>>,
    parent: Option<Env<'a>>,
}

/// A scope, shared by the closures created in it.
pub(crate) type Env<'a> = Rc<Frame<'a>>;

/// What a variable lookup found.
pub(crate) enum Lookup<'a> {
    /// Bound in a scope (possibly to undefined).
    Bound(Option<Val<'a>>),
    /// Not bound in any scope: a workflow variable, `$states` or a built-in.
    Global,
}

impl<'a> Frame<'a> {
    pub fn new(parent: Option<Env<'a>>) -> Self {
        Frame {
            vars: RefCell::new(Vec::new()),
            parent,
        }
    }

    pub fn bind(&self, name: &str, value: Option<Val<'a>>) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| &**n == name) {
            slot.1 = value;
        } else {
            vars.push((Rc::from(name), value));
        }
    }

    pub fn lookup(&self, name: &str) -> Lookup<'a> {
        let mut frame = self;
        loop {
            if let Some((_, v)) = frame.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return Lookup::Bound(v.clone());
            }
            match &frame.parent {
                Some(parent) => frame = parent,
                None => return Lookup::Global,
            }
        }
    }

    /// Drops the bindings, breaking reference cycles between scopes and closures.
    pub fn clear(&self) {
        if let Ok(mut vars) = self.vars.try_borrow_mut() {
            vars.clear();
        }
    }
}

impl<'a> Val<'a> {
    pub fn str(s: &str) -> Self {
        Val::Str(Rc::from(s))
    }

    pub fn string(s: String) -> Self {
        Val::Str(Rc::from(s))
    }

    pub fn arr(a: Arr<'a>) -> Self {
        Val::Arr(Rc::new(a))
    }

    pub fn seq(items: Vec<Val<'a>>) -> Self {
        Val::Arr(Rc::new(Arr::seq(items)))
    }

    pub fn array(items: Vec<Val<'a>>) -> Self {
        Val::Arr(Rc::new(Arr::plain(items)))
    }

    pub fn obj(o: Obj<'a>) -> Self {
        Val::Obj(Rc::new(o))
    }

    pub fn func(f: Func<'a>) -> Self {
        Val::Func(Rc::new(f))
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// JavaScript's `typeof`, with arrays and null told apart.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Arr(_) => "array",
            Val::Obj(_) => "object",
            Val::Func(_) => "function",
        }
    }

    /// The items, when an array; the value itself as a one-item list otherwise.
    pub fn items(&self) -> Vec<Val<'a>> {
        match self {
            Val::Arr(a) => a.items.clone(),
            v => vec![v.clone()],
        }
    }

    /// Converts from JSON.
    pub fn from_json(value: &Value) -> Val<'a> {
        grow(|| Self::from_json_inner(value))
    }

    fn from_json_inner(value: &Value) -> Val<'a> {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::str(s),
            Value::Array(items) => Val::array(items.iter().map(Val::from_json).collect()),
            Value::Object(map) => {
                let mut obj = Obj::new();
                for (k, v) in map {
                    obj.insert(k.clone(), Val::from_json(v));
                }
                Val::obj(obj)
            }
        }
    }
}

/// A deep copy with fresh containers, so that each object has its own identity; `None` when
/// it would take more than `budget` containers and members.
pub(crate) fn deep_copy<'a>(value: &Val<'a>, budget: &mut usize) -> Option<Val<'a>> {
    grow(|| deep_copy_inner(value, budget))
}

fn deep_copy_inner<'a>(value: &Val<'a>, budget: &mut usize) -> Option<Val<'a>> {
    let spend = |budget: &mut usize, n: usize| -> Option<()> {
        *budget = budget.checked_sub(n + 1)?;
        Some(())
    };
    Some(match value {
        Val::Arr(a) => {
            spend(budget, a.items.len())?;
            let mut out = a.clone_flags();
            out.items = a
                .items
                .iter()
                .map(|v| deep_copy(v, budget))
                .collect::<Option<_>>()?;
            Val::arr(out)
        }
        Val::Obj(o) => {
            spend(budget, o.len())?;
            let mut out = Obj::new();
            for (k, v) in o.iter() {
                out.insert(k.clone(), deep_copy(v, budget)?);
            }
            Val::obj(out)
        }
        v => v.clone(),
    })
}

impl<'a> Arr<'a> {
    /// An empty array with the same flags.
    pub fn clone_flags(&self) -> Arr<'a> {
        Arr {
            items: Vec::new(),
            sequence: self.sequence,
            keep_singleton: self.keep_singleton,
            cons: self.cons,
            tuple_stream: self.tuple_stream,
            outer_wrapper: self.outer_wrapper,
        }
    }
}

/// Why a value cannot be turned into JSON.
pub(crate) enum ToJsonError {
    /// A function, which JSON cannot hold. (How Step Functions serializes a function
    /// nested in an array or object is not known: jsonata-js represents its functions as
    /// objects, regex matchers as JavaScript closures. Any function fails.)
    Function,
    /// `Infinity` or `NaN`.
    NonFinite(f64),
    /// Nested more than [`MAX_RESULT_DEPTH`] levels.
    TooDeep,
    /// More than [`MAX_RESULT_NODES`] values in all.
    TooLarge,
}

/// Converts to JSON. Integral numbers become JSON integers; `-0` becomes `0`.
pub(crate) fn to_json(value: &Val<'_>) -> Result<Value, ToJsonError> {
    let mut budget = MAX_RESULT_NODES;
    to_json_at(value, 0, &mut budget)
}

fn to_json_at(value: &Val<'_>, depth: usize, budget: &mut usize) -> Result<Value, ToJsonError> {
    grow(|| to_json_inner(value, depth, budget))
}

fn to_json_inner(value: &Val<'_>, depth: usize, budget: &mut usize) -> Result<Value, ToJsonError> {
    if depth > MAX_RESULT_DEPTH {
        return Err(ToJsonError::TooDeep);
    }
    *budget = budget.checked_sub(1).ok_or(ToJsonError::TooLarge)?;
    let mut to_json = |v: &Val<'_>| to_json_at(v, depth + 1, budget);
    Ok(match value {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => number_to_json(*n).ok_or(ToJsonError::NonFinite(*n))?,
        Val::Str(s) => Value::String(s.to_string()),
        Val::Arr(a) => Value::Array(a.items.iter().map(to_json).collect::<Result<_, _>>()?),
        Val::Obj(o) => {
            let mut map = serde_json::Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                map.insert(k.clone(), to_json(v)?);
            }
            Value::Object(map)
        }
        Val::Func(_) => return Err(ToJsonError::Function),
    })
}

/// A JSON number for `n`: an integer when `n` is integral and fits, else a float.
pub(crate) fn number_to_json(n: f64) -> Option<Value> {
    if !n.is_finite() {
        return None;
    }
    if n == n.trunc() {
        if n == 0.0 {
            return Some(Value::from(0u64));
        }
        if n > 0.0 && n < 18_446_744_073_709_551_616.0 {
            return Some(Value::from(n as u64));
        }
        if (-9_223_372_036_854_775_808.0..0.0).contains(&n) {
            return Some(Value::from(n as i64));
        }
    }
    serde_json::Number::from_f64(n).map(Value::Number)
}

/// `JSON.stringify(value)` as JavaScript writes it (`undefined` for undefined and functions),
/// for error messages; cut at 32,768 bytes (Step Functions' limit on a cause).
pub(crate) fn js_stringify(value: Option<&Val<'_>>) -> String {
    const LIMIT: usize = 32_768;
    match value {
        None | Some(Val::Func(_)) => "undefined".to_owned(),
        Some(v) => {
            let mut out = String::new();
            if write_json(v, &mut out, None, 0, &|n| n, LIMIT).is_err() {
                let mut end = LIMIT.min(out.len());
                while !out.is_char_boundary(end) {
                    end -= 1;
                }
                out.truncate(end);
                out.push('…');
            }
            out
        }
    }
}

/// Writing JSON text would exceed its length limit.
#[derive(Debug)]
pub(crate) struct TooLong;

/// Writes `value` as JavaScript's `JSON.stringify` does, numbers passed through `number`
/// first, with `indent` spaces of indentation when given. Functions are written as `""`.
/// Stops with [`TooLong`] once `out` is longer than `limit` bytes.
pub(crate) fn write_json(
    value: &Val<'_>,
    out: &mut String,
    indent: Option<usize>,
    level: usize,
    number: &dyn Fn(f64) -> f64,
    limit: usize,
) -> Result<(), TooLong> {
    grow(|| write_json_inner(value, out, indent, level, number, limit))
}

fn write_json_inner(
    value: &Val<'_>,
    out: &mut String,
    indent: Option<usize>,
    level: usize,
    number: &dyn Fn(f64) -> f64,
    limit: usize,
) -> Result<(), TooLong> {
    if out.len() > limit {
        return Err(TooLong);
    }
    let newline = |out: &mut String, level: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', width * level));
        }
    };
    match value {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => {
            let n = number(*n);
            if n.is_finite() {
                out.push_str(&number::js_to_string(n));
            } else {
                out.push_str("null");
            }
        }
        Val::Str(s) => quote_json(s, out),
        Val::Func(_) => out.push_str("\"\""),
        Val::Arr(a) => {
            if a.items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_json(item, out, indent, level + 1, number, limit)?;
            }
            newline(out, level);
            out.push(']');
        }
        Val::Obj(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                quote_json(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(v, out, indent, level + 1, number, limit)?;
            }
            newline(out, level);
            out.push('}');
        }
    }
    Ok(())
}

/// A JSON string literal as `JSON.stringify` writes it.
pub(crate) fn quote_json(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// jsonata-js `isDeepEqual`: `===` on primitives and functions, structural on arrays and
/// objects (keys in any order).
pub(crate) fn deep_equal<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    grow(|| deep_equal_inner(a, b))
}

fn deep_equal_inner<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    match (a, b) {
        (Val::Arr(x), Val::Arr(y)) if Rc::ptr_eq(x, y) => true,
        (Val::Obj(x), Val::Obj(y)) if Rc::ptr_eq(x, y) => true,
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        (Val::Arr(x), Val::Arr(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(p, q)| deep_equal(p, q))
        }
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        _ => false,
    }
}

/// JavaScript's `===` (used by `in`): primitives by value, containers by identity.
pub(crate) fn strict_equal<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    match (a, b) {
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        (Val::Obj(x), Val::Obj(y)) => Rc::ptr_eq(x, y),
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        _ => deep_equal(a, b),
    }
}

/// Compares strings as JavaScript does: by UTF-16 code units.
pub(crate) fn js_str_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The string as UTF-16 code units.
pub(crate) fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// UTF-16 code units back to a string (lone surrogates become U+FFFD).
pub(crate) fn from_utf16(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_follow_javascript_order() {
        let mut o = Obj::new();
        for k in ["b", "10", "a", "2", "01", "4294967295", "0"] {
            o.insert(k.to_owned(), Val::Null);
        }
        let keys: Vec<_> = o.keys().cloned().collect();
        assert_eq!(keys, ["0", "2", "10", "b", "a", "01", "4294967295"]);
        o.remove("2");
        o.insert("1".into(), Val::Null);
        let keys: Vec<_> = o.keys().cloned().collect();
        assert_eq!(keys, ["0", "1", "10", "b", "a", "01", "4294967295"]);
    }

    #[test]
    fn json_numbers() {
        assert_eq!(number_to_json(3.0), Some(Value::from(3)));
        assert_eq!(number_to_json(-0.0), Some(Value::from(0)));
        assert_eq!(number_to_json(-3.0), Some(Value::from(-3)));
        assert_eq!(number_to_json(0.5), Some(serde_json::json!(0.5)));
        assert_eq!(number_to_json(f64::INFINITY), None);
    }
}
