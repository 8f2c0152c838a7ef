//! What a definition refers to: child state machines and Lambda functions by name, and how
//! their ARNs are written for a [`Target`].
//!
//! The exporter works on the canonical JSON of a definition (the model writes it; key order is
//! the model's), so the ASL writer and the IAM deriver walk the same tree.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sfn_core::QueryLanguage;

use crate::config::Target;

/// Where exported references point: the target, and which workflows deploy in the same stack.
#[derive(Debug, Clone)]
pub(crate) struct Env<'a> {
    pub target: &'a Target,
    /// Workflows of the same bundle (CloudFormation refers to them with `Ref`/`Fn::GetAtt`).
    pub in_stack: &'a BTreeSet<String>,
    /// The workflow being exported: it refers to itself by name, since a `Ref` to itself
    /// would be a cycle.
    pub own: &'a str,
}

impl Env<'_> {
    /// The state machine ARN a definition gets for the child `name` (qualifier kept).
    pub fn state_machine_arn_text(&self, name: &str, qualifier: Option<&str>) -> String {
        let base = match self.target {
            Target::Aws { .. } => self.arn("states", &format!("stateMachine:{name}")),
            Target::CloudFormation => format!("${{{}}}", child_substitution(name)),
        };
        qualify(base, qualifier)
    }

    /// The Lambda function ARN a definition gets for `name` (qualifier kept).
    pub fn function_arn_text(&self, name: &str, qualifier: Option<&str>) -> String {
        let base = match self.target {
            Target::Aws { .. } => self.arn("lambda", &format!("function:{name}")),
            Target::CloudFormation => format!("${{{}}}", function_substitution(name)),
        };
        qualify(base, qualifier)
    }

    /// An ARN in the target's partition, Region and account. For CloudFormation, an `Fn::Sub`
    /// string over the stack's pseudo parameters.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        match self.target {
            Target::Aws {
                partition,
                region,
                account,
            } => format!("arn:{partition}:{service}:{region}:{account}:{resource}"),
            Target::CloudFormation => format!(
                "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
            ),
        }
    }

    /// An ARN without Region and account (S3).
    pub fn global_arn(&self, service: &str, resource: &str) -> String {
        match self.target {
            Target::Aws { partition, .. } => format!("arn:{partition}:{service}:::{resource}"),
            Target::CloudFormation => format!("arn:${{AWS::Partition}}:{service}:::{resource}"),
        }
    }

    /// The IAM resource of a child state machine (`states:StartExecution`).
    pub fn state_machine_resource(&self, name: &str) -> String {
        match self.target {
            Target::CloudFormation if self.refers_to_stack(name) => {
                format!("${{{}}}", state_machine_id(name))
            }
            _ => self.arn("states", &format!("stateMachine:{name}")),
        }
    }

    /// The name of a child state machine inside an IAM resource: `${Id.Name}` when it deploys
    /// in the same stack, so that CloudFormation orders the resources.
    pub fn state_machine_name(&self, name: &str) -> String {
        match self.target {
            Target::CloudFormation if self.refers_to_stack(name) => {
                format!("${{{}.Name}}", state_machine_id(name))
            }
            _ => name.to_owned(),
        }
    }

    /// Whether `name` is another workflow of the same stack.
    pub fn refers_to_stack(&self, name: &str) -> bool {
        name != self.own && self.in_stack.contains(name)
    }

    /// The partition for IAM resources that AWS documents with a literal partition.
    pub fn partition(&self) -> &str {
        match self.target {
            Target::Aws { partition, .. } => partition,
            Target::CloudFormation => "${AWS::Partition}",
        }
    }
}

fn qualify(base: String, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("{base}:{q}"),
        None => base,
    }
}

/// A CloudFormation logical id for a workflow or function name: its ASCII letters and digits,
/// each run after another character starting with a capital (`ship-item` → `ShipItem`).
pub fn logical_id(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'W');
    }
    out
}

/// The `AWS::StepFunctions::StateMachine` resource of a workflow.
pub fn state_machine_id(name: &str) -> String {
    format!("{}StateMachine", logical_id(name))
}

/// The `AWS::IAM::Role` resource of a workflow.
pub fn role_id(name: &str) -> String {
    format!("{}Role", logical_id(name))
}

/// The substitution key of a child state machine's ARN (`HelloWorldArn`).
pub fn child_substitution(name: &str) -> String {
    format!("{}Arn", logical_id(name))
}

/// The substitution key of a Lambda function's ARN (`SayHelloFunctionArn`).
pub fn function_substitution(name: &str) -> String {
    format!("{}FunctionArn", logical_id(name))
}

/// A state machine ARN split into its name and optional version or alias.
pub fn parse_state_machine_arn(text: &str) -> Option<(&str, Option<&str>)> {
    let rest = text.strip_prefix("arn:")?;
    let mut parts = rest.splitn(6, ':');
    let (_partition, service, _region, _account, kind) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "states" || kind != "stateMachine" {
        return None;
    }
    split_qualifier(parts.next()?)
}

/// A Lambda function reference (`Name`, `Name:alias`, `123456789012:function:Name`, or a full
/// ARN) split into its name and optional version or alias.
pub fn parse_function_name(text: &str) -> Option<(&str, Option<&str>)> {
    let tail = if let Some(rest) = text.strip_prefix("arn:") {
        let mut parts = rest.splitn(6, ':');
        let (_partition, service, _region, _account, kind) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if service != "lambda" || kind != "function" {
            return None;
        }
        parts.next()?
    } else if let Some((_, name)) = text.split_once(":function:") {
        name
    } else {
        text
    };
    split_qualifier(tail)
}

fn split_qualifier(tail: &str) -> Option<(&str, Option<&str>)> {
    let (name, qualifier) = match tail.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (tail, None),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$')
    };
    (valid(name) && qualifier.is_none_or(valid)).then_some((name, qualifier))
}

/// A field of `Parameters` (JSONPath) or `Arguments` (JSONata).
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    /// The field is not given.
    Absent,
    /// A value written out.
    Literal(&'a Value),
    /// A value computed when the state runs (a `.$` path or a JSONata expression).
    Dynamic(&'a str),
}

/// Looks up `key` in a payload template.
pub fn field<'a>(payload: Option<&'a Value>, key: &str, language: QueryLanguage) -> Field<'a> {
    let Some(payload) = payload else {
        return Field::Absent;
    };
    let Value::Object(map) = payload else {
        // A whole JSONata expression computes every field.
        return match payload {
            Value::String(s) if is_jsonata(s, language) => Field::Dynamic(s),
            _ => Field::Absent,
        };
    };
    if let Some(Value::String(path)) = map.get(&format!("{key}.$")) {
        return Field::Dynamic(path);
    }
    match map.get(key) {
        None => Field::Absent,
        Some(Value::String(s)) if is_jsonata(s, language) => Field::Dynamic(s),
        Some(v) => Field::Literal(v),
    }
}

fn is_jsonata(text: &str, language: QueryLanguage) -> bool {
    language == QueryLanguage::JsonAta && text.starts_with("{%") && text.ends_with("%}")
}

/// The payload of a Task (or reader, or writer): `Parameters` or `Arguments`.
pub fn payload(object: &Map<String, Value>) -> Option<&Value> {
    object.get("Parameters").or_else(|| object.get("Arguments"))
}

/// The payload, mutably.
pub fn payload_mut(object: &mut Map<String, Value>) -> Option<&mut Value> {
    if object.contains_key("Parameters") {
        object.get_mut("Parameters")
    } else {
        object.get_mut("Arguments")
    }
}

/// One state met by [`walk`].
pub struct Visit<'a> {
    /// The state's name.
    pub name: &'a str,
    /// The JSON pointer of the state in the definition.
    pub pointer: &'a str,
    /// The state's query language (its own, else the machine's).
    pub language: QueryLanguage,
}

/// Calls `f` on every state of a definition's JSON, nested ones included (Parallel branches,
/// Map processors), in document order.
pub fn walk(definition: &mut Value, f: &mut impl FnMut(&Visit<'_>, &mut Map<String, Value>)) {
    let language = language_of(definition, QueryLanguage::JsonPath);
    if let Some(states) = definition.get_mut("States") {
        walk_states(states, "/States", language, f);
    }
}

fn language_of(v: &Value, default: QueryLanguage) -> QueryLanguage {
    v.get("QueryLanguage")
        .and_then(Value::as_str)
        .and_then(QueryLanguage::parse)
        .unwrap_or(default)
}

fn walk_states(
    states: &mut Value,
    base: &str,
    language: QueryLanguage,
    f: &mut impl FnMut(&Visit<'_>, &mut Map<String, Value>),
) {
    let Value::Object(states) = states else {
        return;
    };
    for (name, state) in states.iter_mut() {
        let mut pointer = base.to_owned();
        sfn_core::json::push_token(&mut pointer, name);
        let language = language_of(state, language);
        let Value::Object(object) = state else {
            continue;
        };
        f(
            &Visit {
                name,
                pointer: &pointer,
                language,
            },
            object,
        );
        if let Some(Value::Array(branches)) = object.get_mut("Branches") {
            for (i, branch) in branches.iter_mut().enumerate() {
                if let Some(states) = branch.get_mut("States") {
                    walk_states(
                        states,
                        &format!("{pointer}/Branches/{i}/States"),
                        language,
                        f,
                    );
                }
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(states) = object.get_mut(key).and_then(|p| p.get_mut("States")) {
                walk_states(states, &format!("{pointer}/{key}/States"), language, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_machine_arns_split_into_name_and_qualifier() {
        assert_eq!(
            parse_state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Hello"),
            Some(("Hello", None))
        );
        assert_eq!(
            parse_state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:Hello:PROD"),
            Some(("Hello", Some("PROD")))
        );
        assert_eq!(
            parse_state_machine_arn("arn:aws:states:us-east-1:1:activity:Hello"),
            None
        );
        assert_eq!(parse_state_machine_arn("${HelloArn}"), None);
    }

    #[test]
    fn function_names_come_in_four_forms() {
        for text in [
            "SayHello",
            "123456789012:function:SayHello",
            "arn:aws:lambda:us-east-1:123456789012:function:SayHello",
        ] {
            assert_eq!(
                parse_function_name(text),
                Some(("SayHello", None)),
                "{text}"
            );
        }
        assert_eq!(
            parse_function_name("SayHello:live"),
            Some(("SayHello", Some("live")))
        );
        assert_eq!(parse_function_name("${Fn}"), None);
    }

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert_eq!(logical_id("ship-item"), "ShipItem");
        assert_eq!(logical_id("HelloWorld"), "HelloWorld");
        assert_eq!(logical_id("9lives"), "W9lives");
        assert_eq!(child_substitution("HelloWorld"), "HelloWorldArn");
    }
}
