//! Scoring one result against its recording, ported from check.py ("Building the
//! recording-shaped document", "Comparison", "History" and "Scoring one result").

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Number, Value, json};

use crate::normalise::{CaseRules, normalise_document, order_dict, strip_metadata};
use crate::pyjson::{self, json_text, short};

/// `TOKEN_RE`: a `<...>` placeholder.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^<>]+>").unwrap());
/// `NUMBERED_TOKEN_RE`: the number of a `<name:N>` placeholder.
static NUMBERED_TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(<[^<>]*?):\d+>").unwrap());
/// `FIXTURE_RE`: an opaque `<fixture:...>` value with its optional `[key]` selectors.
static FIXTURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<fixture:[^>]*>(?:\[[^\]]*\])*").unwrap());
/// A key check.py writes as `.key` in a diff path.
static IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[A-Za-z_][A-Za-z0-9_]*\z").unwrap());

/// The statuses a result may have (`STATUSES`).
pub const STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/// `PARALLEL_END_TYPES`.
const PARALLEL_END_TYPES: [&str; 4] = [
    "ParallelStateSucceeded",
    "ParallelStateAborted",
    "ParallelStateExited",
    "ParallelStateFailed",
];

/// A difference: where, and what.
pub type Diff = (String, String);

/// How a value matched (`compare_value`'s level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Equal after normalisation (only `<name:N>` numbering may differ).
    Exact,
    /// Equal once the recording's placeholders match anything.
    Wildcard,
}

// ---------------------------------------------------------------------------------------------
// Building the recording-shaped document
// ---------------------------------------------------------------------------------------------

/// Where the recording took its outcome from (`outcome_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    History,
    Describe,
    Sync,
    Inferred,
    ExpressLog,
}

/// `outcome_source`.
fn outcome_source(expected: &Value) -> Source {
    let has = |k: &str| expected.get(k).is_some();
    if has("event_types") {
        Source::History
    } else if has("describe_execution") {
        Source::Describe
    } else if has("start_sync_execution_response") {
        Source::Sync
    } else if has("status_inferred") {
        Source::Inferred
    } else if has("express_log_end_event") {
        Source::ExpressLog
    } else {
        Source::Describe
    }
}

/// `TERMINAL_EVENT`: the terminal event type and its details key for a status.
fn terminal_event(status: &str) -> (&'static str, &'static str) {
    match status {
        "SUCCEEDED" => ("ExecutionSucceeded", "executionSucceededEventDetails"),
        "TIMED_OUT" => ("ExecutionTimedOut", "executionTimedOutEventDetails"),
        "ABORTED" => ("ExecutionAborted", "executionAbortedEventDetails"),
        _ => ("ExecutionFailed", "executionFailedEventDetails"),
    }
}

/// `outcome_container`: the runtime's outcome shaped like the API response the recording
/// stored (a terminal history event, a log event, bare fields or a DescribeExecution).
fn outcome_container(
    source: Source,
    status: &str,
    output: Option<&Value>,
    error: Option<&Value>,
    cause: Option<&Value>,
) -> Value {
    let mut fields = Map::new();
    if status == "SUCCEEDED" {
        if let Some(output) = output {
            fields.insert("output".into(), Value::String(json_text(output)));
        }
    } else {
        for (key, v) in [("error", error), ("cause", cause)] {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                fields.insert(key.into(), v.clone());
            }
        }
    }
    let (typ, details) = terminal_event(status);
    match source {
        Source::History => json!({"events": [{"type": typ, details: fields}]}),
        Source::ExpressLog => json!({"type": typ, "details": fields}),
        Source::Inferred => Value::Object(fields),
        Source::Describe | Source::Sync => {
            fields.insert("status".into(), Value::String(status.into()));
            Value::Object(fields)
        }
    }
}

/// `outcome_fields`: the outcome's fields back out of the normalised container.
fn outcome_fields(source: Source, container: Option<&Value>) -> Map<String, Value> {
    let fields = match (source, container) {
        (Source::History, Some(c)) => c
            .get("events")
            .and_then(|e| e.get(0))
            .and_then(Value::as_object)
            .and_then(|ev| {
                ev.iter()
                    .find(|(k, v)| k.ends_with("EventDetails") && v.is_object())
                    .map(|(_, v)| v)
            }),
        (Source::ExpressLog, Some(c)) => c.get("details"),
        (_, c) => c,
    };
    fields
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `history_for_document`: the runtime's history with `input`, `output` and `cause` of every
/// event's details as JSON text, as the API returns them.
fn history_for_document(history: Option<&Value>) -> Vec<Value> {
    let Some(events) = history.and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ev in events.iter().filter_map(Value::as_object) {
        let mut e = ev.clone();
        for (k, v) in e.iter_mut() {
            if let (true, Value::Object(details)) = (k.ends_with("EventDetails"), v) {
                for f in ["input", "output", "cause"] {
                    if let Some(x) = details.get_mut(f)
                        && !x.is_null()
                        && !x.is_string()
                    {
                        *x = Value::String(json_text(x));
                    }
                }
            }
        }
        out.push(Value::Object(e));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/// Python's `str.strip()`: Python's whitespace also counts the separators U+001C..U+001F.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Python's `==` between two JSON numbers: exact, also between an integer and a float.
fn numbers_equal(a: &Number, b: &Number) -> bool {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.as_f64() == b.as_f64(),
        (Some(i), None) => float_equals_int(b.as_f64(), i),
        (None, Some(i)) => float_equals_int(a.as_f64(), i),
    }
}

fn float_equals_int(f: Option<f64>, i: i128) -> bool {
    f.is_some_and(|f| f.fract() == 0.0 && f.abs() < 1.7e38 && f as i128 == i)
}

/// `_path_join`.
fn path_key(path: &str, k: &str) -> String {
    if IDENTIFIER.is_match(k) {
        format!("{path}.{k}")
    } else {
        format!("{path}[{}]", pyjson::dumps(&Value::String(k.to_owned())))
    }
}

/// A full match of a pattern built at run time (`re.fullmatch(pat, s, re.S)`).
fn full_match(pattern: &str, s: &str) -> bool {
    RegexBuilder::new(&format!(r"(?s)\A(?:{pattern})\z"))
        .size_limit(1 << 26)
        .build()
        .is_ok_and(|re| re.is_match(s))
}

/// check.py's `Comparer`: `exact` is equality after normalisation (only `<name:N>`
/// numbering may differ); `wildcard` also lets the recording's placeholders match anything.
struct Comparer<'a> {
    words: &'a HashSet<String>,
    wildcard: bool,
    strict: &'a HashSet<String>,
}

impl Comparer<'_> {
    /// `is_wildcard`: a wildcard word, or a `<...>` token that is not strict.
    fn is_wildcard(&self, e: &Value) -> bool {
        let Some(s) = e.as_str().map(py_strip) else {
            return false;
        };
        self.words.contains(s)
            || (s.chars().count() > 2
                && s.starts_with('<')
                && s.ends_with('>')
                && !self.strict.contains(s))
    }

    /// `str_equal`: equal, equal but for `<name:N>` numbering, or (wildcard mode) equal with
    /// the non-strict tokens of the recording matching anything, or with the `<fixture:...>`
    /// parts the runtime echoed matching whatever the recording has there.
    fn str_equal(&self, a: &str, e: &str) -> bool {
        if a == e {
            return true;
        }
        let unnumbered = |s| NUMBERED_TOKEN.replace_all(s, "${1}:#>").into_owned();
        if unnumbered(a) == unnumbered(e) {
            return true;
        }
        if !self.wildcard {
            return false;
        }
        if e.contains('<') && TOKEN.is_match(e) {
            let mut pattern = String::new();
            let mut pos = 0;
            for m in TOKEN.find_iter(e) {
                pattern.push_str(&regex::escape(&e[pos..m.start()]));
                if self.strict.contains(m.as_str()) {
                    pattern.push_str(&regex::escape(m.as_str()));
                } else {
                    pattern.push_str(".*?");
                }
                pos = m.end();
            }
            pattern.push_str(&regex::escape(&e[pos..]));
            if full_match(&pattern, a) {
                return true;
            }
        }
        if a.contains("<fixture:") {
            let parts: Vec<String> = FIXTURE.split(a).map(regex::escape).collect();
            if full_match(&parts.join(".+?"), e) {
                return true;
            }
        }
        false
    }

    /// `diff`: the differences between `a` (the runtime's; `None` is check.py's `MISSING`)
    /// and `e` (the recording's), at most `LIMIT` of them.
    fn diff(&self, a: Option<&Value>, e: &Value, path: &str, out: &mut Vec<Diff>) {
        const LIMIT: usize = 10;
        if out.len() >= LIMIT || (self.wildcard && self.is_wildcard(e)) {
            return;
        }
        let mut push = |msg: String| out.push((path.to_owned(), msg));
        match e {
            Value::Object(em) => {
                let Some(am) = a.and_then(Value::as_object) else {
                    push(format!(
                        "expected an object {}, got {}",
                        short(Some(e), 60),
                        short(a, 60)
                    ));
                    return;
                };
                for (k, v) in em.iter().filter(|(k, _)| !am.contains_key(*k)) {
                    out.push((
                        path_key(path, k),
                        format!("missing (expected {})", short(Some(v), 60)),
                    ));
                }
                for (k, v) in am.iter().filter(|(k, _)| !em.contains_key(*k)) {
                    out.push((
                        path_key(path, k),
                        format!("unexpected key (value {})", short(Some(v), 60)),
                    ));
                }
                for (k, v) in em {
                    if let Some(x) = am.get(k) {
                        self.diff(Some(x), v, &path_key(path, k), out);
                    }
                }
            }
            Value::Array(ev) => {
                let Some(av) = a.and_then(Value::as_array) else {
                    push(format!(
                        "expected an array {}, got {}",
                        short(Some(e), 60),
                        short(a, 60)
                    ));
                    return;
                };
                if av.len() != ev.len() {
                    push(format!("expected {} items, got {}", ev.len(), av.len()));
                }
                for (i, (x, y)) in av.iter().zip(ev).enumerate() {
                    self.diff(Some(x), y, &format!("{path}[{i}]"), out);
                }
            }
            Value::String(es) => match a.and_then(Value::as_str) {
                Some(s) if self.str_equal(s, es) => {}
                Some(s) if s.chars().count() > 100 || es.chars().count() > 100 => {
                    push(long_strings_differ(s, es));
                }
                _ => push(format!(
                    "expected {}, got {}",
                    short(Some(e), 120),
                    short(a, 120)
                )),
            },
            _ => {
                let equal = match (a, e) {
                    (Some(Value::Number(x)), Value::Number(y)) => numbers_equal(x, y),
                    (Some(Value::Bool(x)), Value::Bool(y)) => x == y,
                    (Some(Value::Null), Value::Null) => true,
                    _ => false,
                };
                if !equal {
                    push(format!(
                        "expected {}, got {}",
                        short(Some(e), 120),
                        short(a, 120)
                    ));
                }
            }
        }
    }
}

/// check.py's message for two long strings: where they first differ.
fn long_strings_differ(a: &str, e: &str) -> String {
    let (a, e): (Vec<char>, Vec<char>) = (a.chars().collect(), e.chars().collect());
    let i = a.iter().zip(&e).take_while(|(x, y)| x == y).count();
    let lo = i.saturating_sub(30);
    let window = |s: &[char]| -> String {
        let text: String = s[lo.min(s.len())..(i + 60).min(s.len())].iter().collect();
        short(Some(&Value::String(text)), 100)
    };
    let dots = if lo > 0 { "..." } else { "" };
    format!(
        "strings differ at character {i}: expected {dots}{}, got {dots}{}",
        window(&e),
        window(&a)
    )
}

/// `compare_value`: exact, else wildcard, else the wildcard differences.
fn compare_value(
    actual: Option<&Value>,
    expected: &Value,
    rules: &CaseRules,
) -> (Option<Level>, Vec<Diff>) {
    let no_strict = HashSet::new();
    let mut d = Vec::new();
    Comparer {
        words: &rules.words,
        wildcard: false,
        strict: &no_strict,
    }
    .diff(actual, expected, "$", &mut d);
    if d.is_empty() {
        return (Some(Level::Exact), d);
    }
    let mut d2 = Vec::new();
    Comparer {
        words: &rules.words,
        wildcard: true,
        strict: &rules.strict_tokens,
    }
    .diff(actual, expected, "$", &mut d2);
    if d2.is_empty() {
        (Some(Level::Wildcard), d2)
    } else {
        (None, d2)
    }
}

/// `compare_optional` (`error`, `cause`): where the recording has none, the runtime must leave
/// it out (`null` and `""` pass).
fn compare_optional(
    label: &str,
    actual: Option<&Value>,
    expected: Option<&Value>,
    rules: &CaseRules,
) -> (Option<Level>, Vec<Diff>) {
    let Some(expected) = expected else {
        return match actual {
            None | Some(Value::Null) => (Some(Level::Exact), Vec::new()),
            Some(Value::String(s)) if s.is_empty() => (Some(Level::Exact), Vec::new()),
            Some(a) => (
                None,
                vec![(
                    label.to_owned(),
                    format!("expected no {label}, got {}", short(Some(a), 120)),
                )],
            ),
        };
    };
    let Some(actual) = actual.filter(|a| !a.is_null()) else {
        return (
            None,
            vec![(
                label.to_owned(),
                format!("missing (expected {})", short(Some(expected), 120)),
            )],
        );
    };
    let (level, d) = compare_value(Some(actual), expected, rules);
    (level, relabel(label, d))
}

/// `label + p[1:]` for paths starting at `$`.
fn relabel(label: &str, diffs: Vec<Diff>) -> Vec<Diff> {
    diffs
        .into_iter()
        .map(|(p, m)| match p.strip_prefix('$') {
            Some(rest) => (format!("{label}{rest}"), m),
            None => (p, m),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/// An event's type as check.py sees it (`None` where there is none).
fn event_type(v: &Value) -> Option<String> {
    match v.get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

fn is_parallel_end(t: Option<&str>) -> bool {
    t.is_some_and(|t| PARALLEL_END_TYPES.contains(&t))
}

/// `parallel_normalise_events`: the recording's Parallel transformer, including how it edits
/// the list while walking it (a sorted block replaces `events[start:i]`, which may shorten
/// the list, and the walk goes on at the next index).
fn parallel_normalise_events(events: Vec<Value>) -> Vec<Value> {
    let mut arena = events;
    let mut order: Vec<usize> = (0..arena.len()).collect();
    let mut start: Option<usize> = None;
    let mut sublist: Vec<usize> = Vec::new();
    let mut in_sublist = false;
    let mut i = 0;
    while i < order.len() {
        let id = order[i];
        let typ = event_type(&arena[id]);
        match typ.as_deref() {
            None => in_sublist = false,
            t if is_parallel_end(t) => {
                if let Some(s) = start {
                    let mut sorted = sublist.clone();
                    sorted.sort_by_cached_key(|&e| pyjson::dumps(&order_dict(arena[e].clone())));
                    let lo = s.min(order.len());
                    let hi = i.clamp(lo, order.len());
                    order.splice(lo..hi, sorted);
                }
                in_sublist = false;
            }
            Some("ParallelStateStarted") => {
                in_sublist = true;
                sublist.clear();
                start = Some(i + 1);
            }
            _ if in_sublist => {
                if let Value::Object(ev) = &mut arena[id] {
                    ev.insert("id".into(), json!([0]));
                    ev.insert("previousEventId".into(), json!(0));
                }
                sublist.push(id);
            }
            _ => {}
        }
        i += 1;
    }
    order.into_iter().map(|id| arena[id].clone()).collect()
}

/// `canonical_parallel_segments`: inside each block the recording sorted, the types sorted.
fn canonical_parallel_segments(types: &[Option<String>]) -> Vec<Option<String>> {
    let sort = |seg: &mut Vec<Option<String>>| {
        seg.sort_by(|a, b| {
            a.as_deref()
                .unwrap_or("None")
                .cmp(b.as_deref().unwrap_or("None"))
        });
    };
    let (mut out, mut seg, mut inside) = (Vec::new(), Vec::new(), false);
    for t in types {
        if t.as_deref() == Some("ParallelStateStarted") {
            sort(&mut seg);
            out.append(&mut seg);
            out.push(t.clone());
            inside = true;
        } else if t.is_none() || is_parallel_end(t.as_deref()) {
            sort(&mut seg);
            out.append(&mut seg);
            out.push(t.clone());
            inside = false;
        } else if inside {
            seg.push(t.clone());
        } else {
            out.push(t.clone());
        }
    }
    sort(&mut seg);
    out.append(&mut seg);
    out
}

/// The verdict on one comparison: passed, or why not and where.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub passed: bool,
    pub reason: String,
    pub diff: Vec<String>,
}

/// `compare_history`: the list of event types, ignoring order inside the Parallel blocks the
/// recording sorted.
pub fn compare_history(history: Option<&Value>, expected: &Value, rules: &CaseRules) -> Verdict {
    let exp: Vec<Option<String>> = expected["event_types"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| match t {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect();
    let Some(events) = history.and_then(Value::as_array) else {
        return Verdict {
            passed: false,
            reason: "no history list in the result".into(),
            diff: Vec::new(),
        };
    };
    let mut events: Vec<Value> = events
        .iter()
        .map(|e| if e.is_object() { e.clone() } else { json!({}) })
        .collect();
    if rules.parallel_sorted {
        events = parallel_normalise_events(events);
    }
    let got: Vec<Option<String>> = events.iter().map(event_type).collect();
    let (got, exp) = if rules.parallel_sorted {
        (
            canonical_parallel_segments(&got),
            canonical_parallel_segments(&exp),
        )
    } else {
        (got, exp)
    };
    if got == exp {
        return Verdict {
            passed: true,
            ..Verdict::default()
        };
    }
    let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "None".into());
    let list = |ts: &[Option<String>]| ts.iter().map(show).collect::<Vec<_>>().join(", ");
    let i = got.iter().zip(&exp).take_while(|(g, e)| g == e).count();
    let where_ = if i < got.len().min(exp.len()) {
        format!(
            "event #{}: expected {}, got {}",
            i + 1,
            show(&exp[i]),
            show(&got[i])
        )
    } else if got.len() < exp.len() {
        format!(
            "missing from event #{} on: {}",
            i + 1,
            list(&exp[i..(i + 3).min(exp.len())])
        )
    } else {
        format!(
            "extra events from #{} on: {}",
            i + 1,
            list(&got[i..(i + 3).min(got.len())])
        )
    };
    let reason = format!(
        "{} events, expected {}; first difference at {where_}",
        got.len(),
        exp.len()
    );
    let mut diff = Vec::new();
    for j in i.saturating_sub(2)..got.len().max(exp.len()).min(i + 4) {
        let e = exp.get(j).map_or_else(|| "-".to_owned(), show);
        let g = got.get(j).map_or_else(|| "-".to_owned(), show);
        let mark = if e == g { "" } else { "   <--" };
        diff.push(format!("#{}: expected {e}, got {g}{mark}", j + 1));
    }
    Verdict {
        passed: false,
        reason,
        diff,
    }
}

// ---------------------------------------------------------------------------------------------
// Scoring one result
// ---------------------------------------------------------------------------------------------

/// The outcome's verdict, with how it matched when it passed.
#[derive(Debug, Clone, Default)]
pub struct OutcomeScore {
    pub verdict: Verdict,
    pub level: Option<Level>,
    /// Which normalisation matched when not the recording's own (`normalisation`).
    pub variant: Option<&'static str>,
    /// Set when the normalised text stopped being JSON (`note`).
    pub note: Option<&'static str>,
}

/// `score_outcome`: the status; then the output (`SUCCEEDED`) or `error` and `cause`, after
/// the recording's normalisation, with and without the SDK-metadata rules.
pub fn score_outcome(
    result: &Map<String, Value>,
    expected: &Value,
    rules: &CaseRules,
) -> OutcomeScore {
    let fail = |reason: String, diff: Vec<String>| OutcomeScore {
        verdict: Verdict {
            passed: false,
            reason,
            diff,
        },
        ..OutcomeScore::default()
    };
    let status = result.get("status");
    let exp_status = expected.get("status");
    if status != exp_status {
        let exp_text = match exp_status {
            Some(Value::String(s)) => s.clone(),
            other => short(other, 40),
        };
        let mut extra = String::new();
        if status.and_then(Value::as_str) != Some("SUCCEEDED")
            && let Some(error) = result.get("error").filter(|e| !e.is_null())
        {
            extra = format!(" (error {})", short(Some(error), 60));
        }
        let got = short(Some(status.unwrap_or(&Value::Null)), 40);
        return fail(
            format!("status: expected {exp_text}, got {got}{extra}"),
            vec![format!("status: expected {exp_text}, got {got}")],
        );
    }
    let status = status.and_then(Value::as_str).unwrap_or_default();
    if status == "SUCCEEDED" && !result.contains_key("output") {
        return fail(
            "output: missing from the result".into(),
            vec!["output: missing".into()],
        );
    }

    let source = outcome_source(expected);
    let history = history_for_document(result.get("history"));
    let output = result.get("output");
    let container = outcome_container(
        source,
        status,
        output,
        result.get("error"),
        result.get("cause"),
    );
    let mut best: Option<OutcomeScore> = None;
    for (variant, with_sfn_api) in [
        ("recording rules", true),
        ("without sfn fixture rules", false),
    ] {
        let doc = json!({"outcome": container, "history": {"events": history}});
        let pipeline = rules.pipeline(&history, with_sfn_api);
        let (norm, broken) = normalise_document(doc, &pipeline);
        let norm = strip_metadata(Value::Object(norm));
        let fields = outcome_fields(source, norm.get("outcome"));
        let mut parts = Vec::new();
        if status == "SUCCEEDED" {
            let got = fields.get("output").map(parse_json_text);
            match expected.get("output") {
                None => parts.push((Some(Level::Exact), Vec::new())),
                Some(exp) => {
                    let (level, d) = compare_value(got.as_ref(), exp, rules);
                    parts.push((level, relabel("output", d)));
                }
            }
        } else {
            for label in ["error", "cause"] {
                parts.push(compare_optional(
                    label,
                    fields.get(label),
                    expected.get(label),
                    rules,
                ));
            }
        }
        let diffs: Vec<Diff> = parts.iter().flat_map(|(_, d)| d.clone()).collect();
        if parts.iter().all(|(level, _)| level.is_some()) {
            let level = if parts.iter().any(|(l, _)| *l == Some(Level::Wildcard)) {
                Level::Wildcard
            } else {
                Level::Exact
            };
            let candidate = OutcomeScore {
                verdict: Verdict {
                    passed: true,
                    ..Verdict::default()
                },
                level: Some(level),
                variant: (variant != "recording rules").then_some(variant),
                note: broken.then_some(
                    "normalised text was not valid JSON; compared without text replacements",
                ),
            };
            let replace = match &best {
                None => true,
                Some(b) => {
                    !b.verdict.passed || (b.level == Some(Level::Wildcard) && level == Level::Exact)
                }
            };
            if replace {
                best = Some(candidate);
            }
            if level == Level::Exact {
                break;
            }
        } else if best.is_none() {
            let is_json_text = output
                .and_then(Value::as_str)
                .is_some_and(|s| s.trim_start().starts_with(['{', '[']));
            let hint = if status == "SUCCEEDED"
                && is_json_text
                && expected
                    .get("output")
                    .is_some_and(|o| o.is_object() || o.is_array())
            {
                " (the output is a string holding JSON; the contract wants the JSON value itself)"
            } else {
                ""
            };
            let (p, m) = diffs
                .first()
                .cloned()
                .unwrap_or_else(|| ("?".into(), "differs".into()));
            best = Some(fail(
                format!("{p}: {m}{hint}"),
                diffs.iter().map(|(p, m)| format!("{p}: {m}")).collect(),
            ));
        }
    }
    best.expect("two variants were scored")
}

/// `parse_json_text`: a string parsed as JSON where it is JSON.
fn parse_json_text(v: &Value) -> Value {
    match v {
        Value::String(s) => pyjson::loads(s).unwrap_or_else(|| v.clone()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert!(numbers_equal(&n(json!(1)), &n(json!(1.0))));
        assert!(numbers_equal(&n(json!(1.0)), &n(json!(1))));
        assert!(!numbers_equal(&n(json!(1)), &n(json!(1.5))));
        assert!(numbers_equal(&n(json!(u64::MAX)), &n(json!(u64::MAX))));
        assert!(!numbers_equal(&n(json!(-1)), &n(json!(u64::MAX))));
    }

    #[test]
    fn parallel_blocks_compare_as_multisets() {
        let types = |ts: &[&str]| -> Vec<Option<String>> {
            ts.iter().map(|t| Some((*t).to_owned())).collect()
        };
        let a = types(&[
            "A",
            "ParallelStateStarted",
            "C",
            "B",
            "ParallelStateSucceeded",
            "Z",
            "Y",
        ]);
        let b = types(&[
            "A",
            "ParallelStateStarted",
            "B",
            "C",
            "ParallelStateSucceeded",
            "Z",
            "Y",
        ]);
        assert_eq!(
            canonical_parallel_segments(&a),
            canonical_parallel_segments(&b)
        );
    }

    #[test]
    fn a_second_end_replaces_the_block_again() {
        // Python's slice assignment at the outer end drops the inner end event.
        let ev = |t: &str, id: u64| json!({"type": t, "id": id});
        let events = vec![
            ev("ParallelStateStarted", 1),
            ev("B", 2),
            ev("A", 3),
            ev("ParallelStateSucceeded", 4),
            ev("C", 5),
            ev("ParallelStateSucceeded", 6),
        ];
        let out: Vec<Option<String>> = parallel_normalise_events(events)
            .iter()
            .map(event_type)
            .collect();
        let want: Vec<Option<String>> =
            ["ParallelStateStarted", "A", "B", "ParallelStateSucceeded"]
                .iter()
                .map(|t| Some((*t).to_owned()))
                .collect();
        assert_eq!(out, want);
    }
}
