//! The JSONata evaluator against executions recorded on AWS: every conformance case whose
//! machine is a single JSONata `Pass` state (`Output` and `Assign` only). `Output` is
//! evaluated with `$states.input` = `input.json` and compared with the recorded output; for a
//! recorded `States.QueryEvaluationError`, the cause is rebuilt the way Step Functions words
//! it and compared too.
//!
//! The corpus is read from `$SFN_CORPUS_DIR`, else `<workspace>/../shared`; without it the
//! test prints why and passes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sfn_core::jsonata::Expression;
use sfn_runtime::eval::jsonata::{
    Bindings, FixedEnvironment, JsonataFailure, Limits, evaluate_with,
};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SFN_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// A failure as Step Functions reports it, without the state prefix.
#[derive(Debug)]
struct Failed {
    field: String,
    message: String,
}

/// Evaluates a JSONata template (strings `{% … %}` are expressions, at any depth) at
/// `location` (`Output`, `Output/key`, …).
fn template(value: &Value, location: &str, bindings: &Bindings<'_>) -> Result<Value, Failed> {
    match value {
        Value::String(s) if Expression::looks_like(s) => {
            let expr = Expression::parse(s).map_err(|e| Failed {
                field: location.to_owned(),
                message: format!("parse error: {e}"),
            })?;
            let body = expr.body().trim().to_owned();
            let mut environment = FixedEnvironment::new(1_700_000_000_000, 1);
            match evaluate_with(&expr, bindings, &mut environment, Limits::default()) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(Failed {
                    field: location.to_owned(),
                    message: format!(
                        "The JSONata expression '{body}' specified for the field '{location}' returned nothing (undefined)."
                    ),
                }),
                Err(e) if e.is_unsupported_result() => Err(Failed {
                    field: location.to_owned(),
                    message: format!(
                        "The JSONata expression '{body}' specified for the field '{location}' returned an unsupported result type."
                    ),
                }),
                Err(JsonataFailure { message, .. }) => Err(Failed {
                    field: location.to_owned(),
                    message: format!(
                        "The JSONata expression '{body}' specified for the field '{location}' threw an error during evaluation. {message}"
                    ),
                }),
            }
        }
        Value::Object(members) => {
            let mut out = Map::new();
            for (k, v) in members {
                out.insert(
                    k.clone(),
                    template(v, &format!("{location}/{k}"), bindings)?,
                );
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| template(v, &format!("{location}/{i}"), bindings))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The single JSONata Pass state of a definition, with its name.
fn single_jsonata_pass(definition: &Value) -> Option<(&String, &Map<String, Value>)> {
    let states = definition.get("States")?.as_object()?;
    if states.len() != 1 {
        return None;
    }
    let (name, state) = states.iter().next()?;
    let state = state.as_object()?;
    if state.get("Type")? != "Pass" {
        return None;
    }
    let language = state
        .get("QueryLanguage")
        .or_else(|| definition.get("QueryLanguage"))?;
    (language == "JSONata").then_some((name, state))
}

/// Numbers compare by value, objects regardless of key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Runs one case: `Ok(true)` matched, `Ok(false)` not applicable, `Err` a mismatch.
fn run(dir: &Path) -> Result<bool, String> {
    let read = |name: &str| -> Option<Value> {
        let text = std::fs::read_to_string(dir.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let (Some(definition), Some(expected)) = (read("definition.json"), read("expected.json"))
    else {
        return Ok(false);
    };
    let Some((state_name, state)) = single_jsonata_pass(&definition) else {
        return Ok(false);
    };
    let input = read("input.json").unwrap_or(json!({}));
    let states = json!({
        "input": input,
        "context": {"State": {"Name": state_name}, "Execution": {"Input": input}}
    });
    let variables: HashMap<String, Value> = HashMap::new();
    let bindings = Bindings {
        states: &states,
        variables: &variables,
    };
    // Assign and Output are evaluated from the same `$states`; a failure in either fails
    // the state.
    let mut outcome: Result<Value, Failed> = Ok(input.clone());
    if let Some(assign) = state.get("Assign") {
        if let Err(e) = template(assign, "Assign", &bindings) {
            outcome = Err(e);
        }
    }
    if outcome.is_ok() {
        if let Some(output) = state.get("Output") {
            outcome = template(output, "Output", &bindings);
        }
    }
    match (expected["status"].as_str(), outcome) {
        (Some("SUCCEEDED"), Ok(actual)) => {
            let want = expected.get("output").ok_or("no recorded output")?;
            if same(&actual, want) {
                Ok(true)
            } else {
                Err(format!("output {actual}, recorded {want}"))
            }
        }
        (Some("FAILED"), Err(failed)) => {
            let cause = format!(
                "An error occurred while executing the state '{state_name}' (entered at the event id #2). {}",
                failed.message
            );
            let error = expected["error"].as_str().unwrap_or_default();
            let want = expected["cause"].as_str().unwrap_or_default();
            if error == "States.QueryEvaluationError" && cause == want {
                Ok(true)
            } else {
                Err(format!(
                    "{} failed with cause {cause:?}, recorded {error}: {want:?}",
                    failed.field
                ))
            }
        }
        (status, Ok(actual)) => Err(format!("succeeded with {actual}, recorded {status:?}")),
        (status, Err(failed)) => Err(format!("failed ({failed:?}), recorded {status:?}")),
    }
}

#[test]
fn single_pass_jsonata_cases() {
    let corpus = corpus_dir();
    let cases = corpus.join("conformance/cases");
    let Ok(entries) = std::fs::read_dir(&cases) else {
        println!("skipped: corpus not found at {}", cases.display());
        return;
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    dirs.sort();
    let (mut matched, mut skipped, mut mismatched) = (0, 0, Vec::new());
    for dir in &dirs {
        match run(dir) {
            Ok(true) => matched += 1,
            Ok(false) => skipped += 1,
            Err(why) => mismatched.push(format!(
                "{}: {why}",
                dir.file_name().unwrap_or_default().to_string_lossy()
            )),
        }
    }
    println!(
        "JSONata conformance: {matched} matched, {} mismatched, {skipped} skipped (not a single JSONata Pass state)",
        mismatched.len()
    );
    for m in &mismatched {
        println!("  MISMATCH {m}");
    }
    assert!(
        mismatched.is_empty(),
        "{} cases mismatched",
        mismatched.len()
    );
}
