//! Data flow: the JSONPath fields (`InputPath`, `Parameters`, `ResultSelector`, `ResultPath`,
//! `OutputPath`), the JSONata fields (`Arguments`, `Output`), and `Assign`, with AWS's errors.

use std::sync::Arc;

use serde_json::{Map, Value};
use sfn_core::jsonata::Expression;
use sfn_core::path::{Path, ReferencePath, Step};
use sfn_core::template::Template;
use sfn_core::{Nullable, OrExpr};

use super::{Execution, FrameId};
use crate::eval::jsonata::{self, Bindings};
use crate::eval::template::evaluate_template;
use crate::eval::{Scope, path};
use crate::failure::{Failure, names};
use crate::history::{EvaluationFailure, EventKind, Payload};

impl Execution {
    /// `InputPath`: the part of the raw input the state works on (`null`: `{}`).
    pub(super) fn input_path(
        &self,
        fid: FrameId,
        raw: &Payload,
        p: Option<&Nullable<Path>>,
    ) -> Result<Payload, Failure> {
        match p {
            None => Ok(raw.clone()),
            Some(Nullable::Null) => Ok(Arc::new(Value::Object(Map::new()))),
            Some(Nullable::Value(p)) => self.select(fid, p, raw).map(Arc::new),
        }
    }

    /// `OutputPath`: the part of the output passed on (`null`: `{}`).
    pub(super) fn output_path(
        &self,
        fid: FrameId,
        value: Payload,
        p: Option<&Nullable<Path>>,
    ) -> Result<Payload, Failure> {
        match p {
            None => Ok(value),
            Some(Nullable::Null) => Ok(Arc::new(Value::Object(Map::new()))),
            Some(Nullable::Value(p)) => self.select(fid, p, &value).map(Arc::new),
        }
    }

    /// Runs `f` in the frame's JSONPath scope: its variables, and the Context object (with
    /// `extra` as a member) when `reads_context` — it is built only for what reads it.
    pub(super) fn with_scope<R>(
        &self,
        fid: FrameId,
        reads_context: bool,
        extra: Option<(&str, &dyn Fn() -> Value)>,
        f: impl FnOnce(&Scope<'_>) -> R,
    ) -> R {
        let context = if reads_context {
            self.context(fid, extra.map(|(k, member)| (k, member())))
        } else {
            Value::Null
        };
        let variables = self.variables(fid);
        f(&Scope {
            context: &context,
            variables: &variables,
        })
    }

    /// Evaluates a path where a value is required (`InputPath`, `OutputPath`, `ItemsPath`, …).
    pub(super) fn select(&self, fid: FrameId, p: &Path, input: &Value) -> Result<Value, Failure> {
        self.with_scope(fid, path_reads_context(p), None, |scope| {
            path::select(p, input, scope)
        })
        .map_err(|e| Failure::runtime(format!("{}{e}", self.cause_prefix(fid))))
    }

    /// Evaluates a JSONPath payload template (`Parameters`, `ResultSelector`, `ItemSelector`, …).
    /// `extra` adds a member to the Context object (`Task` or `Map`), built only when the
    /// template reads the Context object.
    pub(super) fn payload(
        &self,
        fid: FrameId,
        template: &Template,
        input: &Value,
        extra: Option<(&str, &dyn Fn() -> Value)>,
    ) -> Result<Value, Failure> {
        self.with_scope(fid, template_reads_context(template), extra, |scope| {
            evaluate_template(template, input, scope)
        })
        .map_err(|f| {
            Failure::new(
                f.error(),
                format!("{}{}", self.cause_prefix(fid), f.cause()),
            )
        })
    }

    /// `ResultPath`: puts `result` into the raw input (`null`: the raw input unchanged).
    pub(super) fn result_path(
        &self,
        fid: FrameId,
        raw: &Payload,
        result: Payload,
        p: Option<&Nullable<ReferencePath>>,
    ) -> Result<Payload, Failure> {
        match p {
            None => Ok(result),
            Some(Nullable::Null) => Ok(raw.clone()),
            Some(Nullable::Value(p)) => {
                let mut out = Value::clone(raw);
                if set_path(&mut out, p, Arc::unwrap_or_clone(result)) {
                    Ok(Arc::new(out))
                } else {
                    Err(Failure::new(
                        names::RESULT_PATH_MATCH_FAILURE,
                        format!(
                            "{}Unable to apply ReferencePath {} to input {}",
                            self.cause_prefix(fid),
                            p.as_str(),
                            raw
                        ),
                    ))
                }
            }
        }
    }

    /// JSONPath `Assign`: each member evaluated on `input`; all see the variables as they were
    /// when the state was entered.
    pub(super) fn assign_jsonpath(
        &self,
        fid: FrameId,
        assign: &Template,
        input: &Value,
    ) -> Result<Vec<(String, Value)>, Failure> {
        let value = self.payload(fid, assign, input, None)?;
        Ok(into_assignments(value))
    }

    /// `$states` for a JSONata field.
    pub(super) fn states(
        &self,
        fid: FrameId,
        input: &Value,
        result: Option<&Value>,
        error_output: Option<&Value>,
    ) -> Value {
        let mut m = Map::new();
        m.insert("input".into(), input.clone());
        m.insert("context".into(), self.context(fid, None));
        if let Some(r) = result {
            m.insert("result".into(), r.clone());
        }
        if let Some(e) = error_output {
            m.insert("errorOutput".into(), e.clone());
        }
        Value::Object(m)
    }

    /// Evaluates a JSONata template; `field` names it in errors (`Output`, `Arguments`, …).
    pub(super) fn jsonata_template(
        &mut self,
        fid: FrameId,
        t: &Template,
        states: &Value,
        field: &str,
    ) -> Result<Value, Failure> {
        let result = {
            let variables = self.variables(fid);
            let bindings = Bindings {
                states,
                variables: &variables,
            };
            evaluate_jsonata_template(t, &bindings, field)
        };
        result.map_err(|e| self.query_failed(fid, e))
    }

    /// Evaluates a value that may be a JSONata expression.
    pub(super) fn jsonata_value<T: Clone>(
        &mut self,
        fid: FrameId,
        v: &OrExpr<T>,
        states: &Value,
        field: &str,
        convert: impl Fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<T, Failure> {
        match v {
            OrExpr::Value(x) => Ok(x.clone()),
            OrExpr::Expr(e) => {
                let value =
                    self.jsonata_template(fid, &Template::Jsonata(e.clone()), states, field)?;
                convert(&value).ok_or_else(|| {
                    self.query_failed(
                        fid,
                        EvalError {
                            location: field.to_owned(),
                            message: format!(
                                "The JSONata expression '{}' specified for the field '{field}' returned an unexpected data type: expected {expected}, got '{value}'",
                                e.body().trim()
                            ),
                        },
                    )
                })
            }
        }
    }

    /// JSONata `Assign`.
    pub(super) fn assign_jsonata(
        &mut self,
        fid: FrameId,
        assign: &Template,
        states: &Value,
    ) -> Result<Vec<(String, Value)>, Failure> {
        let value = self.jsonata_template(fid, assign, states, "Assign")?;
        Ok(into_assignments(value))
    }

    /// A JSONata state's value is unusable (the wrong type, not a timestamp, …): records
    /// `EvaluationFailed` and returns the `States.QueryEvaluationError`.
    pub(super) fn evaluation_failed(
        &mut self,
        fid: FrameId,
        location: Option<&str>,
        message: String,
    ) -> Failure {
        let cause = format!("{}{message}", self.cause_prefix(fid));
        let state = self.node(fid).name.clone();
        self.record_in(
            fid,
            EventKind::EvaluationFailed(Box::new(EvaluationFailure {
                error: names::QUERY_EVALUATION_ERROR.into(),
                cause: cause.clone(),
                location: location.map(str::to_owned),
                state,
            })),
        );
        Failure::new(names::QUERY_EVALUATION_ERROR, cause)
    }

    /// Records `EvaluationFailed` and returns the `States.QueryEvaluationError`.
    fn query_failed(&mut self, fid: FrameId, e: EvalError) -> Failure {
        let cause = format!("{}{}", self.cause_prefix(fid), e.message);
        let state = self.node(fid).name.clone();
        self.record_in(
            fid,
            EventKind::EvaluationFailed(Box::new(EvaluationFailure {
                error: names::QUERY_EVALUATION_ERROR.into(),
                cause: cause.clone(),
                location: Some(e.location),
                state,
            })),
        );
        Failure::new(names::QUERY_EVALUATION_ERROR, cause)
    }
}

/// A JSONata evaluation error, with the field it happened in.
pub(super) struct EvalError {
    location: String,
    message: String,
}

fn into_assignments(value: Value) -> Vec<(String, Value)> {
    match value {
        Value::Object(m) => m.into_iter().collect(),
        _ => Vec::new(),
    }
}

fn evaluate_jsonata_template(
    t: &Template,
    bindings: &Bindings<'_>,
    field: &str,
) -> Result<Value, EvalError> {
    /// An expression that gives `undefined` fails, at the top or in a member: AWS reports it
    /// with the member's location (`Arguments/FunctionName`).
    fn walk(
        t: &Template,
        bindings: &Bindings<'_>,
        location: &mut String,
    ) -> Result<Value, EvalError> {
        Ok(match t {
            Template::Literal(v) => v.clone(),
            Template::Object(members) => {
                let mut out = Map::with_capacity(members.len());
                for (k, v) in members {
                    let len = location.len();
                    location.push('/');
                    location.push_str(k);
                    out.insert(k.clone(), walk(v, bindings, location)?);
                    location.truncate(len);
                }
                Value::Object(out)
            }
            Template::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    let len = location.len();
                    location.push_str(&format!("/{i}"));
                    out.push(walk(v, bindings, location)?);
                    location.truncate(len);
                }
                Value::Array(out)
            }
            Template::Jsonata(e) => {
                eval_expression(e, bindings, location)?.ok_or_else(|| undefined(e, location))?
            }
            Template::Path(p) => Value::String(p.as_str().to_owned()),
            Template::Intrinsic(i) => Value::String(i.as_str().to_owned()),
        })
    }
    let mut location = field.to_owned();
    walk(t, bindings, &mut location)
}

fn eval_expression(
    e: &Expression,
    bindings: &Bindings<'_>,
    location: &str,
) -> Result<Option<Value>, EvalError> {
    jsonata::evaluate(e, bindings).map_err(|f| {
        let body = e.body().trim();
        let message = if f.is_unsupported_result() {
            format!(
                "The JSONata expression '{body}' specified for the field '{location}' returned an unsupported result type."
            )
        } else {
            format!(
                "The JSONata expression '{body}' specified for the field '{location}' threw an error during evaluation. {}",
                f.message
            )
        };
        EvalError {
            location: location.to_owned(),
            message,
        }
    })
}

fn undefined(e: &Expression, field: &str) -> EvalError {
    EvalError {
        location: field.to_owned(),
        message: format!(
            "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
            e.body().trim()
        ),
    }
}

/// Sets the node at a reference path, creating objects on the way. False when a step cannot
/// be taken (a field of a non-object, an index out of range).
fn set_path(root: &mut Value, p: &ReferencePath, value: Value) -> bool {
    let steps: Vec<Step<'_>> = p.steps().collect();
    let mut node = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match step {
            Step::Name(name) => {
                let Value::Object(map) = node else {
                    return false;
                };
                if last {
                    map.insert((*name).to_owned(), value);
                    return true;
                }
                node = map
                    .entry((*name).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Step::Index(index) => {
                let Value::Array(items) = node else {
                    return false;
                };
                let Some(slot) = usize::try_from(*index).ok().and_then(|i| items.get_mut(i)) else {
                    return false;
                };
                if last {
                    *slot = value;
                    return true;
                }
                node = slot;
            }
        }
    }
    *node = value;
    true
}

/// Whether a path reads the Context object (`$$…`, or `$$` inside a filter).
pub(super) fn path_reads_context(p: &Path) -> bool {
    matches!(p.root(), sfn_core::path::Root::Context) || p.as_str().contains("$$")
}

/// Whether a payload template reads the Context object anywhere.
fn template_reads_context(t: &Template) -> bool {
    match t {
        Template::Literal(_) | Template::Jsonata(_) => false,
        Template::Object(members) => members.iter().any(|(_, v)| template_reads_context(v)),
        Template::Array(items) => items.iter().any(template_reads_context),
        Template::Path(p) => path_reads_context(p),
        Template::Intrinsic(i) => i.paths().into_iter().any(path_reads_context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn result_path_creates_objects_and_refuses_non_objects() {
        let mut v = json!({"a": 1});
        assert!(set_path(
            &mut v,
            &ReferencePath::parse("$.b.c").unwrap(),
            json!(2)
        ));
        assert_eq!(v, json!({"a": 1, "b": {"c": 2}}));
        let mut v = json!("text");
        assert!(!set_path(
            &mut v,
            &ReferencePath::parse("$.x").unwrap(),
            json!(1)
        ));
        let mut v = json!({"l": [1, 2]});
        assert!(set_path(
            &mut v,
            &ReferencePath::parse("$.l[1]").unwrap(),
            json!(9)
        ));
        assert_eq!(v, json!({"l": [1, 9]}));
        let mut v = json!({"a": 1});
        assert!(set_path(
            &mut v,
            &ReferencePath::parse("$").unwrap(),
            json!(5)
        ));
        assert_eq!(v, json!(5));
    }
}
