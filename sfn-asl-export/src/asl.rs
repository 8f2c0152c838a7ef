//! ASL JSON: the canonical text of a definition, with the ARNs of child state machines and
//! Lambda functions written for the export's [`Target`](crate::Target).

use std::collections::BTreeMap;

use serde_json::Value;
use sfn_core::StateMachine;

use crate::refs::{self, Env, Field};
use crate::{ExportConfig, ExportError};

/// What a CloudFormation substitution in a definition stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Substitution {
    /// The ARN of the state machine of this name.
    StateMachine(String),
    /// The ARN of the Lambda function of this name.
    Function(String),
}

/// A definition ready to write, and the substitutions it uses (empty for literal ARNs).
#[derive(Debug, Clone, PartialEq)]
pub struct Asl {
    /// The definition as JSON, keys in canonical order.
    pub value: Value,
    /// `${Key}` → what it stands for, by key.
    pub substitutions: BTreeMap<String, Substitution>,
}

impl Asl {
    /// The JSON text: pretty (two-space indents) or compact, with a final newline. The same
    /// definition and configuration always give the same bytes.
    pub fn to_text(&self, pretty: bool) -> String {
        to_text(&self.value, pretty)
    }
}

/// JSON text with a final newline.
pub(crate) fn to_text(value: &Value, pretty: bool) -> String {
    let mut text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Checks a definition before it is exported: AWS would refuse one with errors, and the IAM
/// and graphs of a broken definition would be wrong.
pub(crate) fn check(
    name: &str,
    machine: &StateMachine,
    config: &ExportConfig,
) -> Result<(), ExportError> {
    let errors: Vec<_> = sfn_core::validate(machine)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    if !errors.is_empty() {
        return Err(ExportError::Invalid {
            workflow: name.to_owned(),
            diagnostics: errors,
        });
    }
    if let Some(asked) = config.query_language {
        if asked != machine.language() {
            return Err(ExportError::QueryLanguage {
                workflow: name.to_owned(),
                written: machine.language(),
                asked,
            });
        }
    }
    Ok(())
}

/// The exported JSON of a definition.
pub(crate) fn export(machine: &StateMachine, env: &Env<'_>) -> Asl {
    let mut value = machine.to_canonical_json();
    let mut substitutions = BTreeMap::new();
    let cfn = env.target == &crate::Target::CloudFormation;
    refs::walk(&mut value, &mut |visit, state| {
        float_backoff_rates(state);
        if state.get("Type").and_then(Value::as_str) != Some("Task") {
            return;
        }
        let Some(resource) = state.get("Resource").and_then(Value::as_str) else {
            return;
        };
        let resource = resource.to_owned();
        if let Some((name, qualifier)) = legacy_function(&resource) {
            let (name, qualifier) = (name.to_owned(), qualifier.map(str::to_owned));
            state.insert(
                "Resource".into(),
                Value::String(env.function_arn_text(&name, qualifier.as_deref())),
            );
            if cfn {
                substitutions.insert(
                    refs::function_substitution(&name),
                    Substitution::Function(name),
                );
            }
            return;
        }
        let (key, child) = if is_optimized(&resource, "states", "startExecution") {
            ("StateMachineArn", true)
        } else if is_optimized(&resource, "lambda", "invoke") {
            ("FunctionName", false)
        } else {
            return;
        };
        let Some(payload) = refs::payload_mut(state) else {
            return;
        };
        let text = match refs::field(Some(payload), key, visit.language) {
            Field::Literal(Value::String(s)) => s.clone(),
            _ => return,
        };
        let parsed = if child {
            refs::parse_state_machine_arn(&text)
        } else {
            refs::parse_function_name(&text)
        };
        let Some((name, qualifier)) = parsed else {
            return;
        };
        let (name, qualifier) = (name.to_owned(), qualifier.map(str::to_owned));
        let new = if child {
            env.state_machine_arn_text(&name, qualifier.as_deref())
        } else {
            env.function_arn_text(&name, qualifier.as_deref())
        };
        if let Some(slot) = payload.get_mut(key) {
            *slot = Value::String(new);
        }
        if cfn {
            if child {
                substitutions.insert(
                    refs::child_substitution(&name),
                    Substitution::StateMachine(name),
                );
            } else {
                substitutions.insert(
                    refs::function_substitution(&name),
                    Substitution::Function(name),
                );
            }
        }
    });
    Asl {
        value,
        substitutions,
    }
}

/// Writes every integer `BackoffRate` as a float (`2` → `2.0`), the type ASL gives it: AWS
/// accepts both, but statelint refuses integers.
fn float_backoff_rates(state: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(retriers)) = state.get_mut("Retry") else {
        return;
    };
    for retrier in retriers {
        if let Some(rate) = retrier.get_mut("BackoffRate") {
            if let Some(n) = rate
                .as_i64()
                .or_else(|| rate.as_u64().and_then(|u| i64::try_from(u).ok()))
            {
                if let Some(float) = serde_json::Number::from_f64(n as f64) {
                    *rate = Value::Number(float);
                }
            }
        }
    }
}

/// An optimized integration's service and action, with the pattern suffix removed.
pub(crate) fn optimized(resource: &str) -> Option<(&str, &str, crate::iam::Pattern)> {
    use crate::iam::Pattern;
    let rest = resource.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("states:::")?;
    let (service, action) = rest.split_once(':')?;
    let (action, pattern) = if let Some(a) = action.strip_suffix(".sync:2") {
        (a, Pattern::Sync2)
    } else if let Some(a) = action.strip_suffix(".sync") {
        (a, Pattern::Sync)
    } else if let Some(a) = action.strip_suffix(".waitForTaskToken") {
        (a, Pattern::WaitForTaskToken)
    } else {
        (action, Pattern::RequestResponse)
    };
    Some((service, action, pattern))
}

fn is_optimized(resource: &str, service: &str, action: &str) -> bool {
    optimized(resource).is_some_and(|(s, a, _)| s == service && a == action)
}

/// A Task whose `Resource` is a Lambda function ARN (the legacy form).
pub(crate) fn legacy_function(resource: &str) -> Option<(&str, Option<&str>)> {
    resource
        .strip_prefix("arn:")
        .filter(|rest| rest.contains(":lambda:"))
        .and_then(|_| refs::parse_function_name(resource))
}
