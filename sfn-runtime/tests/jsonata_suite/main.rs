//! A data-driven run of cases from the JSONata test suite (jsonata-js, MIT licensed:
//! `test/test-suite/groups/*.json` and `test/test-suite/datasets.json` of
//! github.com/jsonata-js/jsonata), ported to one case per line in `groups/`, plus
//! `groups/sfn-*.json`, cases written for this evaluator (Step Functions' functions and
//! behaviour).
//!
//! Each case has `expr`, the input (`dataset`: an index into `datasets.json`, `-1` for none,
//! or a name in `named-datasets.json`; or `data`), optional `bindings`, and one of `result`, `undefinedResult` or `code` (the
//! JSONata error code expected). A case may set `depth` (the nesting limit) and `timelimit`
//! as the jsonata-js runner does, and `states` (the value of `$states`).

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use sfn_core::jsonata::Expression;
use sfn_runtime::eval::jsonata::{Bindings, FixedEnvironment, Limits, evaluate_on};

/// Numbers compare by value (`3` equals `3.0`, and within a few units in the last place, as
/// serde_json's default float parsing may be off by one), objects regardless of key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => {
                p == q || (p - q).abs() <= 4.0 * f64::EPSILON * p.abs().max(q.abs())
            }
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn run_case(case: &Value, datasets: &[Value], named: &Value) -> Result<(), String> {
    let expr = case["expr"].as_str().ok_or("no expr")?;
    let expected_code = case.get("code").and_then(Value::as_str);
    let parsed = match Expression::parse(&format!("{{%{expr}%}}")) {
        Ok(e) => e,
        Err(e) => {
            return match expected_code {
                Some(code) if e.code == Some(code) => Ok(()),
                _ => Err(format!("parse error: {e}")),
            };
        }
    };
    let input = match case.get("data") {
        Some(d) => Some(d.clone()),
        None => match case.get("dataset") {
            Some(Value::String(name)) => Some(named.get(name).ok_or("no such dataset")?.clone()),
            Some(i) => match i.as_i64() {
                Some(i) if i >= 0 => {
                    Some(datasets.get(i as usize).ok_or("no such dataset")?.clone())
                }
                _ => None,
            },
            None => None,
        },
    };
    let mut variables: HashMap<String, Value> = HashMap::new();
    if let Some(Value::Object(b)) = case.get("bindings") {
        for (k, v) in b {
            variables.insert(k.clone(), v.clone());
        }
    }
    let states = case
        .get("states")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"input": {}, "context": {}}));
    let bindings = Bindings {
        states: &states,
        variables: &variables,
    };
    let mut limits = Limits::default();
    if let Some(depth) = case.get("depth").and_then(Value::as_u64) {
        limits.max_depth = depth as usize;
    }
    // The runner's time limit, as an amount of work.
    if let Some(ms) = case.get("timelimit").and_then(Value::as_u64) {
        limits.max_steps = ms * 1000;
    }
    let mut environment = FixedEnvironment::new(1_521_801_216_617, 42);
    let result = evaluate_on(&parsed, input.as_ref(), &bindings, &mut environment, limits);
    match (result, expected_code) {
        // `"code": ""` expects an error without a JSONata code.
        (Err(e), Some(code)) if e.code.as_deref().unwrap_or_default() == code => Ok(()),
        (Err(e), _) => Err(format!("error {e}")),
        (Ok(v), Some(code)) => Err(format!("expected {code}, got {v:?}")),
        (Ok(v), None) => {
            if case.get("undefinedResult") == Some(&Value::Bool(true)) {
                return match v {
                    None => Ok(()),
                    Some(v) => Err(format!("expected undefined, got {v}")),
                };
            }
            let expected = case.get("result").ok_or("no expected result")?;
            match v {
                Some(v) if same(&v, expected) => Ok(()),
                Some(v) => Err(format!("expected {expected}, got {v}")),
                None => Err(format!("expected {expected}, got undefined")),
            }
        }
    }
}

#[test]
fn jsonata_suite() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jsonata_suite");
    let datasets: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("datasets.json")).unwrap()).unwrap();
    let named: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("named-datasets.json")).unwrap())
            .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("groups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    for file in files {
        let group = file.file_stem().unwrap().to_string_lossy().into_owned();
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for (i, case) in cases.iter().enumerate() {
            match run_case(case, &datasets, &named) {
                Ok(()) => passed += 1,
                Err(why) => failed.push(format!("{group}[{i}] {}: {why}", case["expr"])),
            }
        }
    }
    println!("jsonata suite: {passed} passed, {} failed", failed.len());
    for f in &failed {
        println!("  FAIL {f}");
    }
    assert!(failed.is_empty(), "{} cases failed", failed.len());
}
