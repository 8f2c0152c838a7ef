//! The recording's normalisation, ported from check.py ("Snapshot normalisation" and
//! `CaseRules`): the runtime's result goes through the same rules the recording went through
//! before it is compared.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::{Captures, NoExpand, Regex};
use serde_json::{Map, Value};

use crate::pyjson;

/// `ISO8601_RE`: an ISO 8601 date-time with a zone.
pub static ISO8601: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)",
        r"|(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)-02-29)",
        r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-][01]\d:?([0-5]\d)?)",
    ))
    .unwrap()
});

/// `ISO8601_RE.match` (anchored at the start only).
static ISO8601_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\A(?:{})", ISO8601.as_str())).unwrap());

/// `UUID_RE.match` (anchored at the start only).
pub static UUID_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
        .unwrap()
});

/// `ARN_RE.match` (Python reads the `-` after `0-9` in `[a-zA-Z0-9-_.]` as a literal).
static ARN_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\Aarn:(aws[a-zA-Z-]*)?:([a-zA-Z0-9\-_.]+)?:([^:]+)?:(\d{12})?:(.*)").unwrap()
});

/// `TIMESTAMP_KEY_RE.match` (`^.*timestamp.*$`, ignoring case; Python's `$` also matches
/// before a final newline).
static TIMESTAMP_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\A.*timestamp.*\n?\z").unwrap());

/// `CAUSE_JSON_RE.match`: a cause that quotes a JSON object between single quotes.
static CAUSE_JSON_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A.*'(\{.*\})'").unwrap());

/// `PLAIN_LITERAL_RE.fullmatch`.
static PLAIN_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[A-Za-z0-9_\-:/.@]+\z").unwrap());

/// `re.fullmatch(r"<[^<>]+>", t)`.
static WHOLE_TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A<[^<>]+>\z").unwrap());

/// `_sns_pem_match`'s pattern.
static SNS_PEM_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A.*SimpleNotificationService-(.*\.pem)").unwrap());

/// `_sns_unsubscribe_match`'s pattern; its look-behind only requires what it looks behind at
/// to end the first `.*`, so it is written as consumed text.
static SNS_UNSUBSCRIBE_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A.*\?Action=Unsubscribe&SubscriptionArn=.*:(.*)").unwrap());

/// Whole values that match anything (`GENERAL_WILDCARDS` and `SFN_API_WORDS`).
const GENERAL_WILDCARDS: [&str; 3] = ["datetime", "snf_role_arn", "sfn_role_arn"];
const SFN_API_WORDS: [&str; 5] = [
    "RequestId",
    "X-Amzn-Trace-Id",
    "x-amz-crc32",
    "x-amzn-RequestId",
    "x-amzn-requestid",
];
/// `UNRELIABLE_TOKEN_PREFIXES`: tokens the recording numbered unreliably, never strict.
const UNRELIABLE_TOKEN_PREFIXES: [&str; 2] = ["<ExpressExecArn_", "<SyncExecArn_"];

// ---------------------------------------------------------------------------------------------
// Text replacements (`NormContext`)
// ---------------------------------------------------------------------------------------------

/// A replacement run over the serialised document (`NormContext.replacements`).
#[derive(Debug, Clone)]
pub enum TextRule {
    /// `s.replace(from, to)`.
    Literal { from: String, to: String },
    /// `regex.sub(lambda _m: to, s)`.
    Regex { regex: Regex, to: String },
    /// A Python pattern with a look-behind and a look-ahead, written with the groups `before`
    /// and `after` in their place: they are put back around the replacement.
    Around { regex: Regex, to: String },
}

impl TextRule {
    /// `register_regex`'s compilation: a pattern that does not compile is replaced literally.
    ///
    /// The recording's patterns are Python regular expressions; all of those in the corpus are
    /// also valid for the `regex` crate. One that Python accepts and `regex` refuses would be
    /// replaced literally here, which check.py would not do: it is reported on stderr.
    pub fn pattern(pattern: &str, to: &str) -> TextRule {
        match Regex::new(pattern) {
            Ok(regex) => TextRule::Regex {
                regex,
                to: to.to_owned(),
            },
            Err(_) => {
                eprintln!(
                    "conformance: pattern {pattern:?} does not compile in Rust; replaced literally"
                );
                TextRule::literal(pattern, to)
            }
        }
    }

    /// A literal replacement (also what `re.sub(re.escape(x), ...)` amounts to).
    pub fn literal(from: &str, to: &str) -> TextRule {
        TextRule::Literal {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn apply(&self, text: &str) -> String {
        match self {
            TextRule::Literal { from, to } => text.replace(from.as_str(), to),
            TextRule::Regex { regex, to } => regex.replace_all(text, NoExpand(to)).into_owned(),
            TextRule::Around { regex, to } => regex
                .replace_all(text, |caps: &Captures| {
                    format!("{}{to}{}", &caps["before"], &caps["after"])
                })
                .into_owned(),
        }
    }
}

/// check.py's `NormContext`: the text replacements collected while the transformers run.
#[derive(Default)]
pub struct NormContext {
    replacements: Vec<TextRule>,
    cache: HashSet<String>,
    scopes: HashMap<String, usize>,
}

impl NormContext {
    /// `register_reference`: every occurrence of `value` in the serialised document becomes
    /// `<replacement:N>`, N counting per replacement word. Only `"` is escaped to find the
    /// value in the JSON text, as in the recording.
    fn register_reference(&mut self, value: &str, replacement: &str) {
        if value.is_empty() {
            return;
        }
        let value = value.replace('"', "\\\"");
        if self.cache.contains(&value) {
            return;
        }
        let scope = self.scopes.entry(replacement.to_owned()).or_insert(1);
        let actual = format!("<{replacement}:{scope}>");
        *scope += 1;
        self.cache.insert(value.clone());
        self.replacements.push(TextRule::Literal {
            from: value,
            to: actual,
        });
    }

    /// `register_regex` (the rule is compiled already, see [`TextRule::pattern`]); an empty
    /// pattern is ignored.
    fn register(&mut self, rule: &TextRule) {
        let pattern = match rule {
            TextRule::Literal { from, .. } => from.as_str(),
            TextRule::Regex { regex, .. } | TextRule::Around { regex, .. } => regex.as_str(),
        };
        if pattern.is_empty() {
            return;
        }
        self.replacements.push(rule.clone());
    }

    /// `apply`: every replacement in the order registered.
    fn apply(&self, text: String) -> String {
        self.replacements
            .iter()
            .fold(text, |text, rule| rule.apply(&text))
    }
}

// ---------------------------------------------------------------------------------------------
// Document helpers
// ---------------------------------------------------------------------------------------------

/// `order_dict`: keys sorted (recursively through objects and the objects directly in arrays),
/// `ResponseMetadata` moved last.
pub fn order_dict(v: Value) -> Value {
    let Value::Object(map) = v else {
        return v;
    };
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Map::new();
    let mut metadata = None;
    for (k, v) in entries {
        let v = match v {
            Value::Object(_) => order_dict(v),
            Value::Array(items) => Value::Array(items.into_iter().map(order_dict).collect()),
            other => other,
        };
        if k == "ResponseMetadata" {
            metadata = Some(v);
        } else {
            out.insert(k, v);
        }
    }
    if let Some(v) = metadata {
        out.insert("ResponseMetadata".into(), v);
    }
    Value::Object(out)
}

/// `parse_json_values`: string values starting with `{` are parsed, one level, as recorded.
fn parse_json_values(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        match v {
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        parse_json_values(o);
                    }
                }
            }
            Value::Object(o) => parse_json_values(o),
            Value::String(s) if s.starts_with('{') => {
                if let Some(parsed) = pyjson::loads(s) {
                    *v = parsed;
                }
            }
            _ => {}
        }
    }
}

/// `strip_metadata`: `ResponseMetadata` removed everywhere.
pub fn strip_metadata(v: Value) -> Value {
    remove_key(v, "ResponseMetadata")
}

fn remove_key(v: Value, key: &str) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| k != key)
                .map(|(k, v)| (k, remove_key(v, key)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| remove_key(v, key)).collect())
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// The JSONPath subset (`jp_compile`, `jp_find`)
// ---------------------------------------------------------------------------------------------

/// One compiled step: recursive (`..`) or not, and the field name.
pub type JsonPath = Vec<(bool, String)>;

/// A step into a document.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `jp_compile`: `$..a`, `$.a`, `$..a.b`, `$..a..b` (field names only), else `None`.
fn jp_compile(path: &str) -> Option<JsonPath> {
    static STEP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A(\.\.|\.)([A-Za-z0-9_@$\-]+)").unwrap());
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        let caps = STEP.captures(rest)?;
        steps.push((&caps[1] == "..", caps[2].to_owned()));
        rest = &rest[caps[0].len()..];
    }
    (!steps.is_empty()).then_some(steps)
}

fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get(k),
        Seg::Index(i) => v.get(i),
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k),
        Seg::Index(i) => v.get_mut(i),
    })
}

/// `_subtree`: the node and everything below it, in document order (pre-order).
fn subtree(node: &Value, at: Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(at.clone());
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = at.clone();
                p.push(Seg::Key(k.clone()));
                subtree(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = at.clone();
                p.push(Seg::Index(i));
                subtree(v, p, out);
            }
        }
        _ => {}
    }
}

/// `jp_find`: the path of every object holding a match, with the matched key (duplicates
/// included, as in check.py).
fn jp_find(data: &Value, steps: &JsonPath) -> Vec<(Vec<Seg>, String)> {
    let mut nodes: Vec<Vec<Seg>> = vec![Vec::new()];
    let mut locs = Vec::new();
    for (recursive, name) in steps {
        locs = Vec::new();
        for node in &nodes {
            let Some(value) = get(data, node) else {
                continue;
            };
            let mut candidates = Vec::new();
            if *recursive {
                subtree(value, node.clone(), &mut candidates);
            } else {
                candidates.push(node.clone());
            }
            for sub in candidates {
                if get(data, &sub)
                    .and_then(Value::as_object)
                    .is_some_and(|m| m.contains_key(name))
                {
                    locs.push((sub, name.clone()));
                }
            }
        }
        nodes = locs
            .iter()
            .map(|(c, k)| {
                let mut p = c.clone();
                p.push(Seg::Key(k.clone()));
                p
            })
            .collect();
    }
    locs
}

// ---------------------------------------------------------------------------------------------
// Transformers
// ---------------------------------------------------------------------------------------------

/// What a key/value matcher found (`match_fn`'s result): the text to replace, or a match on a
/// value that is not a string (which a reference replacement ignores).
enum Matched {
    Text(String),
    NotText,
}

/// The `match_fn`s of check.py's key/value transformers.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// `t_key_value`: the key equals this one and the value is neither `null` nor `""`.
    Key(String),
    /// `_cause_json_match`: the JSON quoted in a `cause`.
    CauseJson,
    /// `_resource_name_match`: the resource name of an ARN.
    ResourceName,
    /// `_sns_pem_match`.
    SnsPem,
    /// `_sns_unsubscribe_match`.
    SnsUnsubscribe,
    /// `_uuid_match`: a UUID under a key ending in `id`.
    Uuid,
    /// `_timestamp_match`: a value of a key containing `timestamp` that is no ISO date-time.
    Timestamp,
}

impl Matcher {
    fn matches(&self, k: &str, v: &Value) -> Option<Matched> {
        let text = v.as_str();
        match self {
            Matcher::Key(key) => (k == key && !v.is_null() && text != Some(""))
                .then(|| text.map_or(Matched::NotText, |s| Matched::Text(s.to_owned()))),
            Matcher::CauseJson => {
                let s = text.filter(|_| k == "cause")?;
                let json = CAUSE_JSON_PREFIX.captures(s)?.get(1)?.as_str();
                pyjson::loads(json).map(|_| Matched::Text(json.to_owned()))
            }
            Matcher::ResourceName => resource_name(text?).map(Matched::Text),
            Matcher::SnsPem => {
                let s = text.filter(|_| k.to_lowercase() == "signingcerturl")?;
                Some(Matched::Text(SNS_PEM_PREFIX.captures(s)?[1].to_owned()))
            }
            Matcher::SnsUnsubscribe => {
                let s = text.filter(|_| k.to_lowercase() == "unsubscribeurl")?;
                Some(Matched::Text(
                    SNS_UNSUBSCRIBE_PREFIX.captures(s)?[1].to_owned(),
                ))
            }
            Matcher::Uuid => {
                let s =
                    text.filter(|s| k.to_lowercase().ends_with("id") && UUID_PREFIX.is_match(s))?;
                Some(Matched::Text(s.to_owned()))
            }
            Matcher::Timestamp => {
                let key_matches =
                    TIMESTAMP_KEY.is_match(k) || k == "creationTime" || k == "ingestionTime";
                // `str(v)` of anything but a string cannot start with a date-time.
                let is_date = text.is_some_and(|s| ISO8601_PREFIX.is_match(s));
                (key_matches && !is_date)
                    .then(|| text.map_or(Matched::NotText, |s| Matched::Text(s.to_owned())))
            }
        }
    }
}

/// `_resource_name_match` on a string value.
fn resource_name(v: &str) -> Option<String> {
    let caps = ARN_PREFIX.captures(v)?;
    let res = caps.get(5).map_or("", |m| m.as_str());
    if res.starts_with('<') && res.ends_with('>') {
        return None;
    }
    if let Some((_, last)) = v.rsplit_once(":changeSet/") {
        return Some(last.to_owned());
    }
    if let Some((_, last)) = res.rsplit_once('/') {
        return Some(last.to_owned());
    }
    if res.starts_with("function:") {
        let mut res = res.replace("function:", "");
        if let Some((head, _)) = res.split_once('$') {
            res = head.trim_end_matches(':').to_owned();
        }
        return Some(res);
    }
    if res.starts_with("layer:") {
        let parts: Vec<&str> = res.split(':').collect();
        return matches!(parts.len(), 2 | 3).then(|| parts[1].to_owned());
    }
    if let Some((_, last)) = res.rsplit_once(':') {
        return Some(last.to_owned());
    }
    Some(res.to_owned())
}

/// One of check.py's transformer functions `f(doc, ctx) -> doc`.
#[derive(Debug, Clone)]
pub enum Transformer {
    /// `t_remove_key`: drops a key everywhere below the top level.
    RemoveKey(&'static str),
    /// `t_jsonpath`: every match replaced by a word, or registered as a reference.
    JsonPath {
        steps: JsonPath,
        replacement: String,
        reference: bool,
    },
    /// `t_keyvalue` / `t_key_value`: every value the matcher accepts replaced or registered.
    KeyValue {
        matcher: Matcher,
        replacement: String,
        reference: bool,
    },
    /// `t_regex` (and the ISO 8601 rule): a text replacement registered.
    Text(TextRule),
    /// `t_generic_output_to_json`: the test's `_convert_output_to_json`.
    OutputToJson,
}

impl Transformer {
    fn jsonpath(path: &str, replacement: &str, reference: bool) -> Transformer {
        Transformer::JsonPath {
            steps: jp_compile(path).expect("check.py's own paths compile"),
            replacement: replacement.to_owned(),
            reference,
        }
    }

    fn key_value(key: &str, value_replacement: Option<&str>, reference: bool) -> Transformer {
        Transformer::KeyValue {
            matcher: Matcher::Key(key.to_owned()),
            replacement: value_replacement
                .filter(|r| !r.is_empty())
                .map_or_else(|| camel_to_hyphen(key), str::to_owned),
            reference,
        }
    }

    fn key_value_with(matcher: Matcher, replacement: &str, reference: bool) -> Transformer {
        Transformer::KeyValue {
            matcher,
            replacement: replacement.to_owned(),
            reference,
        }
    }

    fn run(&self, doc: &mut Value, ctx: &mut NormContext) {
        match self {
            Transformer::RemoveKey(key) => {
                if let Value::Object(map) = doc {
                    for v in map.values_mut() {
                        *v = remove_key(std::mem::take(v), key);
                    }
                }
            }
            Transformer::JsonPath {
                steps,
                replacement,
                reference,
            } => {
                for (container, key) in jp_find(doc, steps) {
                    let Some(Value::Object(c)) = get_mut(doc, &container) else {
                        continue;
                    };
                    if *reference {
                        if let Some(s) = c.get(&key).and_then(Value::as_str) {
                            ctx.register_reference(s, replacement);
                        }
                    } else {
                        c.insert(key, Value::String(replacement.clone()));
                    }
                }
            }
            Transformer::KeyValue {
                matcher,
                replacement,
                reference,
            } => {
                if let Value::Object(map) = doc {
                    kv_walk(map, matcher, replacement, *reference, ctx);
                }
            }
            Transformer::Text(rule) => ctx.register(rule),
            Transformer::OutputToJson => {
                if let Value::Object(map) = doc {
                    convert_output_to_json(map);
                }
            }
        }
    }
}

/// `_kv_walk`: matched values are replaced (or registered); others are searched below, through
/// objects and the objects directly in arrays.
fn kv_walk(
    map: &mut Map<String, Value>,
    matcher: &Matcher,
    replacement: &str,
    reference: bool,
    ctx: &mut NormContext,
) {
    for (k, v) in map.iter_mut() {
        if let Some(matched) = matcher.matches(k, v) {
            match (reference, matched) {
                (true, Matched::Text(s)) => ctx.register_reference(&s, replacement),
                (true, Matched::NotText) => {}
                (false, Matched::Text(s)) if v.is_string() => {
                    let current = v.as_str().unwrap_or_default();
                    *v = Value::String(current.replace(s.as_str(), replacement));
                }
                (false, _) => *v = Value::String(replacement.to_owned()),
            }
        } else if let Value::Array(items) = v {
            for item in items {
                if let Value::Object(o) = item {
                    kv_walk(o, matcher, replacement, reference, ctx);
                }
            }
        } else if let Value::Object(o) = v {
            kv_walk(o, matcher, replacement, reference, ctx);
        }
    }
}

/// `_convert_output_to_json`: in each object, the first JSON-string `output` found below it
/// is parsed, and that object's remaining members are left alone. Returns whether it stopped.
fn convert_output_to_json(content: &mut Map<String, Value>) -> bool {
    for v in content.values_mut() {
        match v {
            Value::Object(inner) => {
                if let Some(parsed) = inner
                    .get("output")
                    .and_then(Value::as_str)
                    .and_then(pyjson::loads)
                {
                    inner.insert("output".into(), parsed);
                    return true;
                }
                convert_output_to_json(inner);
            }
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        convert_output_to_json(o);
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// `_camel_to_hyphen`: `ReceiptHandle` → `receipt-handle`.
fn camel_to_hyphen(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_uppercase() {
            out.push('-');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out.trim_matches('-').to_owned()
}

/// `sfn_api_transformers`: SDK metadata and causes quoting JSON.
fn sfn_api_transformers() -> Vec<Transformer> {
    let mut out: Vec<Transformer> = [
        ("$..SdkHttpMetadata..Date", "date"),
        ("$..SdkResponseMetadata..RequestId", "RequestId"),
        ("$..X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
        ("$..X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
        ("$..x-amz-crc32", "x-amz-crc32"),
        ("$..x-amzn-RequestId", "x-amzn-RequestId"),
        ("$..x-amzn-requestid", "x-amzn-requestid"),
    ]
    .into_iter()
    .map(|(path, word)| Transformer::jsonpath(path, word, false))
    .collect();
    out.push(Transformer::key_value_with(
        Matcher::CauseJson,
        "json-input",
        true,
    ));
    out
}

/// `sqs_api_transformers`.
fn sqs_api_transformers() -> Vec<Transformer> {
    vec![
        Transformer::key_value("ReceiptHandle", None, true),
        Transformer::key_value("TaskHandle", None, true),
        Transformer::key_value("SenderId", None, true),
        Transformer::key_value("SequenceNumber", None, true),
        Transformer::jsonpath(
            "$..MessageAttributes.RequestID.StringValue",
            "request-id",
            true,
        ),
        Transformer::key_value_with(Matcher::ResourceName, "resource", true),
    ]
}

/// `sns_api_transformers`. The two look-around patterns are rewritten with groups that put
/// back what Python's look-behind and look-ahead only looked at.
fn sns_api_transformers() -> Vec<Transformer> {
    let around = |pattern: &str, word: &str| {
        Transformer::Text(TextRule::Around {
            regex: Regex::new(pattern).unwrap(),
            to: word.to_owned(),
        })
    };
    vec![
        Transformer::key_value("ReceiptHandle", None, true),
        Transformer::key_value("SequenceNumber", None, true),
        Transformer::key_value("Signature", Some("<signature>"), false),
        Transformer::key_value("MD5OfBody", Some("<md5-hash>"), false),
        Transformer::key_value("SenderId", Some("<sender-id>"), false),
        Transformer::key_value_with(Matcher::SnsPem, "signing-cert-file", true),
        around(
            r#"(?i)(?P<before>SigningCertURL["|']:\s["|'])https?.*?(?P<after>/\SimpleNotificationService-)"#,
            "<cert-domain>",
        ),
        around(
            r#"(?i)(?P<before>UnsubscribeURL["|']:\s["|'])https?.*?(?P<after>/\?Action=Unsubscribe)"#,
            "<unsubscribe-domain>",
        ),
        Transformer::key_value_with(Matcher::ResourceName, "resource", true),
        Transformer::key_value_with(Matcher::SnsUnsubscribe, "resource", true),
    ]
}

// ---------------------------------------------------------------------------------------------
// The rules of one case (`CaseRules`)
// ---------------------------------------------------------------------------------------------

/// check.py's `CaseRules`: everything needed to normalise a result for one case.
pub struct CaseRules {
    /// Whole values that match anything in wildcard mode.
    pub words: HashSet<String>,
    /// Placeholders the runtime can reproduce exactly: compared literally.
    pub strict_tokens: HashSet<String>,
    /// What check.py could not translate (`normalisation_notes`).
    pub notes: Vec<String>,
    /// Whether the recording sorted the events inside Parallel states.
    pub parallel_sorted: bool,
    other: Vec<Transformer>,
    regexes: Vec<Transformer>,
    account: String,
    region: String,
}

impl CaseRules {
    /// Reads the case's transformers and regex replacements from `expected.json`;
    /// `runtime_inputs_text` is everything the runtime is given (see check.py's
    /// `runtime_inputs_text`), which decides which replacement tokens are strict.
    pub fn new(expected: &Value, runtime_inputs_text: &str) -> CaseRules {
        let mut rules = CaseRules {
            words: GENERAL_WILDCARDS
                .iter()
                .chain(&SFN_API_WORDS)
                .map(|w| (*w).to_owned())
                .collect(),
            strict_tokens: ["<region>", "<partition>"].map(str::to_owned).into(),
            notes: Vec::new(),
            parallel_sorted: false,
            other: Vec::new(),
            regexes: Vec::new(),
            account: String::new(),
            region: String::new(),
        };
        let others = expected["snapshot_other_transformers"].as_array();
        for desc in others.into_iter().flatten().filter(|d| d.is_object()) {
            if desc["kind"] == "SfnNoneRecursiveParallelTransformer" {
                rules.parallel_sorted = true;
            }
            let mut translated = rules.other_transformer(desc);
            rules.other.append(&mut translated);
        }
        let mut earlier: Vec<&str> = Vec::new();
        let replacements = expected["snapshot_regex_replacements"].as_array();
        for r in replacements.into_iter().flatten() {
            let (Some(from), Some(to)) = (r["from"].as_str(), r["to"].as_str()) else {
                continue;
            };
            if from.is_empty() {
                continue;
            }
            if PLAIN_LITERAL.is_match(from) {
                let shadowed = earlier.iter().any(|e| from.contains(e));
                earlier.push(from);
                if !shadowed
                    && runtime_inputs_text.contains(from)
                    && WHOLE_TOKEN.is_match(to)
                    && !UNRELIABLE_TOKEN_PREFIXES.iter().any(|p| to.starts_with(p))
                {
                    rules.strict_tokens.insert(to.to_owned());
                }
            }
            // Opaque fixture values are replaced literally, and their word is a wildcard.
            let opaque = from.starts_with('<');
            let rule = if opaque {
                rules.words.insert(to.to_owned());
                TextRule::literal(from, to)
            } else {
                TextRule::pattern(from, to)
            };
            rules.regexes.push(Transformer::Text(rule));
        }
        let rc = &expected["run_context"];
        rules.account = non_empty(&rc["account"])
            .unwrap_or("111111111111")
            .to_owned();
        rules.region = non_empty(&rc["region"]).unwrap_or("us-east-1").to_owned();
        rules
    }

    /// `other_transformer`: one recorded transformer description translated.
    fn other_transformer(&mut self, desc: &Value) -> Vec<Transformer> {
        let kind = desc["kind"].as_str().unwrap_or_default();
        match kind {
            "JsonpathTransformer" => {
                let jp = desc.get("jsonpath").or_else(|| desc.get("arg0"));
                let rep = desc.get("replacement").or_else(|| desc.get("arg1"));
                let reference = desc
                    .get("replace_reference")
                    .or_else(|| desc.get("arg2"))
                    .is_none_or(|r| *r != Value::Bool(false));
                let steps = jp.and_then(Value::as_str).and_then(jp_compile);
                let (Some(steps), Some(rep)) = (steps, rep.and_then(Value::as_str)) else {
                    self.notes
                        .push(format!("unsupported JSONPath transformer {}", repr(jp)));
                    return Vec::new();
                };
                if !reference {
                    self.words.insert(rep.to_owned());
                }
                vec![Transformer::JsonPath {
                    steps,
                    replacement: rep.to_owned(),
                    reference,
                }]
            }
            "KeyValueBasedTransformer" => {
                let Some(key) = desc["key"].as_str() else {
                    self.notes.push("unsupported key/value transformer".into());
                    return Vec::new();
                };
                let value_replacement = desc["value_replacement"].as_str();
                let reference = desc
                    .get("reference_replacement")
                    .is_none_or(|r| *r != Value::Bool(false));
                let t = Transformer::key_value(key, value_replacement, reference);
                if let (false, Transformer::KeyValue { replacement, .. }) = (reference, &t) {
                    self.words.insert(replacement.clone());
                }
                vec![t]
            }
            "GenericTransformer" => {
                let src = pyjson::dumps(desc.get("arg0").unwrap_or(&Value::String(String::new())));
                if src.contains("_convert_output_to_json") {
                    vec![Transformer::OutputToJson]
                } else {
                    self.notes.push("unsupported generic transformer".into());
                    Vec::new()
                }
            }
            "transform.sfn_sqs_integration" => {
                let mut t = sqs_api_transformers();
                t.push(Transformer::key_value("MD5OfMessageBody", None, true));
                t.push(Transformer::key_value("MD5OfMessageAttributes", None, true));
                t
            }
            "transform.sqs_api" => sqs_api_transformers(),
            "transform.sns_api" => {
                for w in ["<signature>", "<md5-hash>", "<sender-id>"] {
                    self.words.insert(w.into());
                }
                sns_api_transformers()
            }
            "transform.dynamodb_api" => vec![Transformer::Text(TextRule::pattern(
                r"([a-zA-Z0-9-_.]*)?test_table_([a-zA-Z0-9-_.]*)?",
                "<test-table>",
            ))],
            // Handled separately (map runs from the history, Parallel ordering).
            "auto.sfn_map_run_arn" | "SfnNoneRecursiveParallelTransformer" => Vec::new(),
            _ => {
                self.notes.push(format!(
                    "unsupported transformer kind {}",
                    repr(desc.get("kind"))
                ));
                Vec::new()
            }
        }
    }

    /// `pipeline`: the transformers in the recording's order; `with_sfn_api` selects the
    /// variant with the SDK-metadata rules (some recordings predate two of them).
    pub fn pipeline(&self, history_events: &[Value], with_sfn_api: bool) -> Vec<Transformer> {
        let mut p = vec![Transformer::RemoveKey("x-localstack")];
        if with_sfn_api {
            p.extend(sfn_api_transformers());
        }
        p.extend(self.other.iter().cloned());
        p.extend(self.regexes.iter().cloned());
        p.extend(map_run_transformers(history_events));
        if self.account != "111111111111" {
            p.push(Transformer::Text(TextRule::literal(
                &self.account,
                "111111111111",
            )));
        }
        p.push(Transformer::Text(TextRule::literal(
            &self.region,
            "<region>",
        )));
        p.push(Transformer::Text(TextRule::literal(
            "arn:aws:",
            "arn:<partition>:",
        )));
        p.push(Transformer::key_value_with(Matcher::Uuid, "uuid", true));
        p.push(Transformer::Text(TextRule::Regex {
            regex: ISO8601.clone(),
            to: "date".into(),
        }));
        p.push(Transformer::key_value_with(
            Matcher::Timestamp,
            "timestamp",
            false,
        ));
        p
    }
}

/// `rc.get(x) or default`: a non-empty string.
fn non_empty(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// Python's `%r` of a JSON value, near enough for a note.
fn repr(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(Value::String(s)) => format!("'{s}'"),
        Some(other) => other.to_string(),
    }
}

/// `map_run_transformers`: the recording replaced the parts of every map run ARN found in the
/// history (`<MapRunArnPart1_Nidx>`, and `<MapRunArnPart0_Nidx>` when that part is a UUID).
fn map_run_transformers(history_events: &[Value]) -> Vec<Transformer> {
    let doc = serde_json::json!({ "events": history_events });
    let steps = jp_compile("$..mapRunArn").expect("a valid path");
    let mut arns: Vec<&str> = Vec::new();
    for (container, key) in jp_find(&doc, &steps) {
        if let Some(arn) = get(&doc, &container).and_then(|c| c[&key].as_str())
            && !arns.contains(&arn)
        {
            arns.push(arn);
        }
    }
    let mut out = Vec::new();
    for (i, arn) in arns.iter().enumerate() {
        let last = arn.rsplit('/').next().unwrap_or_default();
        let parts: Vec<&str> = last.split(':').collect();
        if parts.len() < 2 {
            continue;
        }
        out.push(Transformer::Text(TextRule::literal(
            parts[1],
            &format!("<MapRunArnPart1_{i}idx>"),
        )));
        if UUID_PREFIX.is_match(parts[0]) {
            out.push(Transformer::Text(TextRule::literal(
                parts[0],
                &format!("<MapRunArnPart0_{i}idx>"),
            )));
        }
    }
    out
}

/// `normalise_document`: the recording's normalisation applied to `{key: value}`; each
/// top-level value is serialised as Python does, the text replacements run over that text and
/// it is read back. Returns whether some text stopped being JSON (then that value is kept
/// without its text replacements, as check.py does).
pub fn normalise_document(doc: Value, pipeline: &[Transformer]) -> (Map<String, Value>, bool) {
    let mut ctx = NormContext::default();
    let mut doc = order_dict(doc);
    if let Value::Object(map) = &mut doc {
        parse_json_values(map);
    }
    for t in pipeline {
        t.run(&mut doc, &mut ctx);
    }
    let mut out = Map::new();
    let mut broken = false;
    let Value::Object(map) = doc else {
        return (out, broken);
    };
    for (k, v) in map {
        let text = ctx.apply(pyjson::dumps(&v));
        match pyjson::loads(&text) {
            Some(parsed) => {
                out.insert(k, parsed);
            }
            None => {
                out.insert(k, v);
                broken = true;
            }
        }
    }
    (out, broken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_finds_nested_matches_in_document_order() {
        let doc = json!({"a": {"b": 1, "c": {"b": 2}}, "b": 3});
        let steps = jp_compile("$..b").unwrap();
        let found: Vec<Value> = jp_find(&doc, &steps)
            .into_iter()
            .map(|(c, k)| get(&doc, &c).unwrap()[&k].clone())
            .collect();
        assert_eq!(found, [json!(3), json!(1), json!(2)]);
        assert!(jp_compile("$[0]").is_none());
    }

    #[test]
    fn resource_names_of_arns() {
        let name = |s| resource_name(s);
        assert_eq!(
            name("arn:aws:sqs:us-east-1:111111111111:queue-1").as_deref(),
            Some("queue-1")
        );
        assert_eq!(
            name("arn:aws:lambda:us-east-1:111111111111:function:fn:$LATEST").as_deref(),
            Some("fn")
        );
        assert_eq!(
            name("arn:aws:states:us-east-1:111111111111:stateMachine:<x>").as_deref(),
            Some("<x>")
        );
        assert_eq!(name("arn:aws:states:us-east-1:111111111111:<x>"), None);
    }

    #[test]
    fn references_are_numbered_per_word() {
        let doc = json!({"outcome": {"executionId": "0c1a2b3c-0000-4000-8000-000000000001", "x": "0c1a2b3c-0000-4000-8000-000000000001"}});
        let pipeline = [Transformer::key_value_with(Matcher::Uuid, "uuid", true)];
        let (out, broken) = normalise_document(doc, &pipeline);
        assert!(!broken);
        assert_eq!(
            out["outcome"],
            json!({"executionId": "<uuid:1>", "x": "<uuid:1>"})
        );
    }

    #[test]
    fn camel_case_to_hyphens() {
        assert_eq!(camel_to_hyphen("ReceiptHandle"), "receipt-handle");
        assert_eq!(camel_to_hyphen("MD5OfBody"), "m-d5-of-body");
    }
}
