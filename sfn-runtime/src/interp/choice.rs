//! Choice: JSONPath rules (comparisons, `And`, `Or`, `Not`) and JSONata conditions.

use serde_json::Value;
use sfn_core::{Choice, ChoiceRule, Operand, Operator, OrExpr, QueryLanguage, Test};

use super::{Execution, FrameId};
use crate::clock::parse_timestamp;
use crate::eval::{Scope, path};
use crate::failure::{Failure, names};
use crate::history::Payload;
use crate::plan::Node;

impl Execution {
    pub(super) fn choice(&mut self, fid: FrameId, node: &Node, s: &Choice) {
        let raw = self.frames[fid].input.clone();
        let decided = match node.language {
            QueryLanguage::JsonPath => self.choice_jsonpath(fid, s, &raw),
            QueryLanguage::JsonAta => self.choice_jsonata(fid, s, &raw),
        };
        match decided {
            Ok((Some(rule), output, assigned)) => {
                self.exit(fid, output, assigned, Some(node.choice_next[rule]))
            }
            Ok((None, output, assigned)) => match node.default {
                Some(next) => self.exit(fid, output, assigned, Some(next)),
                None => {
                    let cause = format!("{}No Matches!", self.cause_prefix(fid));
                    self.failed(fid, Failure::new(names::NO_CHOICE_MATCHED, cause));
                }
            },
            Err(f) => self.failed(fid, f),
        }
    }

    #[allow(clippy::type_complexity)]
    fn choice_jsonpath(
        &mut self,
        fid: FrameId,
        s: &Choice,
        raw: &Payload,
    ) -> Result<(Option<usize>, Payload, Option<Vec<(String, Value)>>), Failure> {
        let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
        let reads_context = s.choices.iter().any(rule_reads_context);
        let matched = self
            .with_scope(fid, reads_context, None, |scope| {
                for (i, rule) in s.choices.iter().enumerate() {
                    if evaluate(rule, &effective, scope)? {
                        return Ok(Some(i));
                    }
                }
                Ok(None)
            })
            .map_err(|m: String| Failure::runtime(format!("{}{m}", self.cause_prefix(fid))))?;
        let assign = match matched {
            Some(i) => s.choices[i].assign.as_ref(),
            None => s.assign.as_ref(),
        };
        let assigned = match assign {
            Some(a) => Some(self.assign_jsonpath(fid, a, &effective)?),
            None => None,
        };
        let output = self.output_path(fid, effective, s.output_path.as_ref())?;
        Ok((matched, output, assigned))
    }

    #[allow(clippy::type_complexity)]
    fn choice_jsonata(
        &mut self,
        fid: FrameId,
        s: &Choice,
        raw: &Payload,
    ) -> Result<(Option<usize>, Payload, Option<Vec<(String, Value)>>), Failure> {
        let states = self.states(fid, raw, None, None);
        let mut matched = None;
        for (i, rule) in s.choices.iter().enumerate() {
            let Test::Condition(condition) = &rule.test else {
                continue;
            };
            let yes = match condition {
                OrExpr::Value(b) => *b,
                OrExpr::Expr(_) => self.jsonata_value(
                    fid,
                    condition,
                    &states,
                    "Condition",
                    Value::as_bool,
                    "boolean",
                )?,
            };
            if yes {
                matched = Some(i);
                break;
            }
        }
        let (output, assign) = match matched {
            Some(i) => (s.choices[i].output.as_ref(), s.choices[i].assign.as_ref()),
            None => (s.output.as_ref(), s.assign.as_ref()),
        };
        let (output, assigned) = self.shape_jsonata(fid, raw, None, output, assign)?;
        Ok((matched, output, assigned))
    }
}

/// Whether a rule reads the Context object.
fn rule_reads_context(rule: &ChoiceRule) -> bool {
    match &rule.test {
        Test::And(rules) | Test::Or(rules) => rules.iter().any(rule_reads_context),
        Test::Not(r) => rule_reads_context(r),
        Test::Condition(_) => false,
        Test::Compare {
            variable, operand, ..
        } => {
            super::data::path_reads_context(variable.as_path())
                || matches!(operand, Operand::Path(p) if super::data::path_reads_context(p.as_path()))
        }
    }
}

/// Evaluates a JSONPath choice rule; `Err` is a `States.Runtime` cause.
fn evaluate(rule: &ChoiceRule, input: &Value, scope: &Scope<'_>) -> Result<bool, String> {
    match &rule.test {
        Test::And(rules) => {
            for r in rules {
                if !evaluate(r, input, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Test::Or(rules) => {
            for r in rules {
                if evaluate(r, input, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Test::Not(r) => Ok(!evaluate(r, input, scope)?),
        Test::Condition(_) => Ok(false),
        Test::Compare {
            variable,
            operator,
            operand,
        } => {
            let value = match path::select_ref(variable.as_path(), input, scope) {
                Ok(v) => v,
                Err(_) if *operator == Operator::IsPresent => {
                    return Ok(operand == &Operand::Bool(false));
                }
                Err(e) => return Err(e.to_string()),
            };
            let resolved;
            let rhs = match operand {
                Operand::Path(p) => {
                    resolved =
                        path::select_ref(p.as_path(), input, scope).map_err(|e| e.to_string())?;
                    Rhs::Value(&resolved)
                }
                literal => Rhs::Literal(literal),
            };
            Ok(compare(*operator, &value, rhs))
        }
    }
}

/// Applies a comparison operator. A value of the wrong type never matches.
pub(crate) fn compare(op: Operator, value: &Value, operand: Rhs<'_>) -> bool {
    use Operator as O;
    use std::cmp::Ordering;
    let strings = || Some((value.as_str()?, operand.as_str()?));
    let numbers = || Some((value.as_f64()?, operand.as_f64()?));
    let timestamps = || {
        Some((
            parse_timestamp(value.as_str()?)?,
            parse_timestamp(operand.as_str()?)?,
        ))
    };
    let ordered = |o: Option<Ordering>, want: &[Ordering]| o.is_some_and(|o| want.contains(&o));
    let string_order = || strings().map(|(a, b)| java_compare(a, b));
    let number_order = || numbers().and_then(|(a, b)| a.partial_cmp(&b));
    let time_order = || timestamps().map(|(a, b)| a.cmp(&b));
    match op {
        O::StringEquals | O::StringEqualsPath => ordered(string_order(), &[Ordering::Equal]),
        O::StringLessThan | O::StringLessThanPath => ordered(string_order(), &[Ordering::Less]),
        O::StringGreaterThan | O::StringGreaterThanPath => {
            ordered(string_order(), &[Ordering::Greater])
        }
        O::StringLessThanEquals | O::StringLessThanEqualsPath => {
            ordered(string_order(), &[Ordering::Less, Ordering::Equal])
        }
        O::StringGreaterThanEquals | O::StringGreaterThanEqualsPath => {
            ordered(string_order(), &[Ordering::Greater, Ordering::Equal])
        }
        O::StringMatches => strings().is_some_and(|(s, pattern)| string_matches(s, pattern)),
        O::NumericEquals | O::NumericEqualsPath => ordered(number_order(), &[Ordering::Equal]),
        O::NumericLessThan | O::NumericLessThanPath => ordered(number_order(), &[Ordering::Less]),
        O::NumericGreaterThan | O::NumericGreaterThanPath => {
            ordered(number_order(), &[Ordering::Greater])
        }
        O::NumericLessThanEquals | O::NumericLessThanEqualsPath => {
            ordered(number_order(), &[Ordering::Less, Ordering::Equal])
        }
        O::NumericGreaterThanEquals | O::NumericGreaterThanEqualsPath => {
            ordered(number_order(), &[Ordering::Greater, Ordering::Equal])
        }
        O::BooleanEquals | O::BooleanEqualsPath => {
            matches!((value.as_bool(), operand.as_bool()), (Some(a), Some(b)) if a == b)
        }
        O::TimestampEquals | O::TimestampEqualsPath => ordered(time_order(), &[Ordering::Equal]),
        O::TimestampLessThan | O::TimestampLessThanPath => ordered(time_order(), &[Ordering::Less]),
        O::TimestampGreaterThan | O::TimestampGreaterThanPath => {
            ordered(time_order(), &[Ordering::Greater])
        }
        O::TimestampLessThanEquals | O::TimestampLessThanEqualsPath => {
            ordered(time_order(), &[Ordering::Less, Ordering::Equal])
        }
        O::TimestampGreaterThanEquals | O::TimestampGreaterThanEqualsPath => {
            ordered(time_order(), &[Ordering::Greater, Ordering::Equal])
        }
        O::IsNull => value.is_null() == (operand.as_bool() == Some(true)),
        O::IsPresent => operand.as_bool() == Some(true),
        O::IsNumeric => value.is_number() == (operand.as_bool() == Some(true)),
        O::IsString => value.is_string() == (operand.as_bool() == Some(true)),
        O::IsBoolean => value.is_boolean() == (operand.as_bool() == Some(true)),
        O::IsTimestamp => {
            value.as_str().and_then(parse_timestamp).is_some() == (operand.as_bool() == Some(true))
        }
    }
}

/// What a variable is compared with: another value of the input, or the rule's literal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rhs<'a> {
    /// A value selected by a `…Path` operand.
    Value(&'a Value),
    /// The rule's own operand.
    Literal(&'a Operand),
}

impl Rhs<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Rhs::Value(v) => v.as_str(),
            Rhs::Literal(Operand::String(s)) => Some(s),
            Rhs::Literal(_) => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Rhs::Value(v) => v.as_f64(),
            Rhs::Literal(Operand::Number(n)) => n.as_f64(),
            Rhs::Literal(_) => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Rhs::Value(v) => v.as_bool(),
            Rhs::Literal(Operand::Bool(b)) => Some(*b),
            Rhs::Literal(_) => None,
        }
    }
}

/// Java's `String.compareTo`: UTF-16 code units, lexicographically.
fn java_compare(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
fn string_matches(s: &str, pattern: &str) -> bool {
    enum Piece {
        Char(char),
        Star,
    }
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => pieces.push(Piece::Char(n)),
                None => pieces.push(Piece::Char('\\')),
            },
            '*' => pieces.push(Piece::Star),
            c => pieces.push(Piece::Char(c)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        match pieces.get(p) {
            Some(Piece::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Piece::Star) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(sp) => {
                    p = sp + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pieces[p..].iter().all(|x| matches!(x, Piece::Star))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(!string_matches("log.txt", "log-*"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
    }

    #[test]
    fn comparisons_of_the_wrong_type_are_false() {
        assert!(!compare(
            Operator::NumericEquals,
            &json!("1"),
            Rhs::Value(&json!(1))
        ));
        assert!(compare(
            Operator::NumericEquals,
            &json!(1.0),
            Rhs::Value(&json!(1))
        ));
        assert!(compare(
            Operator::StringLessThan,
            &json!("B"),
            Rhs::Value(&json!("a"))
        ));
        assert!(compare(
            Operator::TimestampLessThan,
            &json!("2016-01-01T00:00:00Z"),
            Rhs::Value(&json!("2016-01-01T00:00:01+00:00"))
        ));
        assert!(!compare(
            Operator::TimestampEquals,
            &json!("yesterday"),
            Rhs::Value(&json!("2016-01-01T00:00:00Z"))
        ));
        assert!(compare(
            Operator::IsNull,
            &json!(null),
            Rhs::Value(&json!(true))
        ));
        assert!(compare(
            Operator::IsTimestamp,
            &json!("2016-01-01T00:00:00Z"),
            Rhs::Value(&json!(true))
        ));
    }
}
