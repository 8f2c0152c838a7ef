//! Checks an execution's input (or output) against the JSON Schema of a typed workflow, and
//! says where it does not fit.
//!
//! The schemas come from `schemars` (the `#[sfn::workflow]` types derive `JsonSchema`), so this
//! implements the part of JSON Schema (2020-12 and draft 7) that schemars writes: `type`,
//! `properties`, `required`, `additionalProperties`, `items` / `prefixItems`, `enum`,
//! `const`, `anyOf`, `oneOf`, `allOf`, `not`, local `$ref`s (`#/$defs/…`, `#/definitions/…`),
//! numeric and length bounds, and `pattern`. Annotations (`format`, `title`, `description`)
//! are not checked. A full validator crate would pull a network stack into the runtime for
//! this one check.
//!
//! ```
//! use serde_json::json;
//! let schema = json!({"type": "object", "required": ["id"],
//!                     "properties": {"id": {"type": "string"}}});
//! let errors = sfn_runtime::schema::check(&schema, &json!({"id": 7})).unwrap_err();
//! assert_eq!(errors[0].pointer, "/id");
//! assert_eq!(errors[0].to_string(), "at `/id`: expected a string, found a number");
//! ```

use serde_json::{Map, Value};

/// A place where a value does not fit its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The JSON pointer of the offending value (`""` for the whole value).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "at `{at}`: {}", self.message)
    }
}

/// Checks `value` against `schema`; every misfit is reported, in document order.
pub fn check(schema: &Value, value: &Value) -> Result<(), Vec<SchemaError>> {
    let mut cx = Cx {
        root: schema,
        errors: Vec::new(),
        depth: 0,
    };
    let mut pointer = String::new();
    cx.check(schema, value, &mut pointer);
    if cx.errors.is_empty() {
        Ok(())
    } else {
        Err(cx.errors)
    }
}

struct Cx<'s> {
    root: &'s Value,
    errors: Vec<SchemaError>,
    depth: usize,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_type(v: &Value, ty: &str) -> bool {
    match ty {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn type_name(ty: &str) -> String {
    match ty {
        "null" => "null".into(),
        "integer" => "an integer".into(),
        "array" => "an array".into(),
        "object" => "an object".into(),
        other => format!("a {other}"),
    }
}

impl<'s> Cx<'s> {
    fn error(&mut self, pointer: &str, message: String) {
        self.errors.push(SchemaError {
            pointer: pointer.to_owned(),
            message,
        });
    }

    /// Whether `value` fits, without recording errors.
    fn fits(&mut self, schema: &'s Value, value: &Value, pointer: &mut String) -> bool {
        let saved = std::mem::take(&mut self.errors);
        self.check(schema, value, pointer);
        let ok = self.errors.is_empty();
        self.errors = saved;
        ok
    }

    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn check(&mut self, schema: &'s Value, value: &Value, pointer: &mut String) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                self.error(pointer, "no value is allowed here".into());
                return;
            }
            Value::Object(s) => s,
            _ => return,
        };
        if self.depth > 64 {
            self.error(
                pointer,
                "the schema nests too deeply (a `$ref` cycle?)".into(),
            );
            return;
        }
        if let Some(Value::String(reference)) = schema.get("$ref") {
            match self.resolve(reference) {
                Some(target) => {
                    self.depth += 1;
                    self.check(target, value, pointer);
                    self.depth -= 1;
                }
                None => self.error(
                    pointer,
                    format!("the schema refers to `{reference}`, which it does not define"),
                ),
            }
        }
        if let Some(ty) = schema.get("type") {
            let types: Vec<&str> = match ty {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !types.iter().any(|t| is_type(value, t)) {
                let wanted: Vec<String> = types.iter().map(|t| type_name(t)).collect();
                self.error(
                    pointer,
                    format!("expected {}, found {}", wanted.join(" or "), kind(value)),
                );
                return;
            }
        }
        if let Some(c) = schema.get("const") {
            if c != value {
                self.error(pointer, format!("expected `{c}`, found `{value}`"));
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            if !options.contains(value) {
                let list: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
                self.error(
                    pointer,
                    format!("`{value}` is not one of {}", list.join(", ")),
                );
            }
        }
        self.combinators(schema, value, pointer);
        match value {
            Value::Object(object) => self.object(schema, object, pointer),
            Value::Array(items) => self.array(schema, items, pointer),
            Value::String(s) => self.string(schema, s, pointer),
            Value::Number(_) => self.number(schema, value, pointer),
            _ => {}
        }
    }

    fn combinators(&mut self, schema: &'s Map<String, Value>, value: &Value, pointer: &mut String) {
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for s in all {
                self.check(s, value, pointer);
            }
        }
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(options)) = schema.get(key) else {
                continue;
            };
            let matching = options
                .iter()
                .filter(|s| self.fits(s, value, pointer))
                .count();
            if matching == 0 {
                // One option: its own errors say more than "matches none".
                if let [only] = options.as_slice() {
                    self.check(only, value, pointer);
                } else {
                    let consts: Vec<String> = options
                        .iter()
                        .filter_map(|o| o.get("const").or_else(|| o.get("enum")))
                        .map(|c| format!("`{c}`"))
                        .collect();
                    let message = if consts.len() == options.len() {
                        format!("`{value}` is not one of {}", consts.join(", "))
                    } else {
                        format!(
                            "{} does not match any of the {} allowed shapes",
                            kind(value),
                            options.len()
                        )
                    };
                    self.error(pointer, message);
                }
            } else if key == "oneOf" && matching > 1 {
                self.error(
                    pointer,
                    format!(
                        "the value matches {matching} of the shapes where exactly one must match"
                    ),
                );
            }
        }
        if let Some(not) = schema.get("not") {
            if self.fits(not, value, pointer) {
                self.error(
                    pointer,
                    "the value matches a shape it must not match".into(),
                );
            }
        }
    }

    fn object(
        &mut self,
        schema: &'s Map<String, Value>,
        object: &Map<String, Value>,
        pointer: &mut String,
    ) {
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    let mut at = pointer.clone();
                    sfn_core::json::push_token(&mut at, name);
                    self.error(&at, format!("the field `{name}` is missing"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (name, v) in object {
            let len = pointer.len();
            sfn_core::json::push_token(pointer, name);
            match properties.and_then(|p| p.get(name)) {
                Some(s) => self.check(s, v, pointer),
                None => match additional {
                    Some(Value::Bool(false)) => {
                        let known: Vec<String> = properties
                            .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                            .unwrap_or_default();
                        let hint = if known.is_empty() {
                            String::new()
                        } else {
                            format!("; the fields are {}", known.join(", "))
                        };
                        let at = pointer.clone();
                        self.error(&at, format!("unknown field `{name}`{hint}"));
                    }
                    Some(s @ Value::Object(_)) => self.check(s, v, pointer),
                    _ => {}
                },
            }
            pointer.truncate(len);
        }
    }

    fn array(&mut self, schema: &'s Map<String, Value>, items: &[Value], pointer: &mut String) {
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        let rest = schema.get("items");
        for (i, item) in items.iter().enumerate() {
            let len = pointer.len();
            sfn_core::json::push_index(pointer, i);
            let s = match (prefix, rest) {
                (Some(p), _) if i < p.len() => Some(&p[i]),
                // Draft 7 writes tuples as an array of `items`.
                (_, Some(Value::Array(tuple))) => tuple.get(i),
                (_, Some(s)) => Some(s),
                _ => None,
            };
            if let Some(s) = s {
                self.check(s, item, pointer);
            }
            pointer.truncate(len);
        }
        let n = items.len() as f64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_f64) {
            if n < min {
                self.error(pointer, format!("expected at least {min} items, found {n}"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_f64) {
            if n > max {
                self.error(pointer, format!("expected at most {max} items, found {n}"));
            }
        }
    }

    fn string(&mut self, schema: &Map<String, Value>, s: &str, pointer: &str) {
        let n = s.chars().count() as f64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_f64) {
            if n < min {
                self.error(
                    pointer,
                    format!("expected at least {min} characters, found {n}"),
                );
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_f64) {
            if n > max {
                self.error(
                    pointer,
                    format!("expected at most {max} characters, found {n}"),
                );
            }
        }
        if let Some(Value::String(pattern)) = schema.get("pattern") {
            match regex::Regex::new(pattern) {
                Ok(re) if !re.is_match(s) => self.error(
                    pointer,
                    format!("`{s}` does not match the pattern `{pattern}`"),
                ),
                Ok(_) => {}
                Err(_) => self.error(
                    pointer,
                    format!("the schema's pattern `{pattern}` is not a regular expression"),
                ),
            }
        }
    }

    fn number(&mut self, schema: &Map<String, Value>, value: &Value, pointer: &str) {
        let Some(x) = value.as_f64() else {
            return;
        };
        let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
        if let Some(min) = bound("minimum") {
            if x < min {
                self.error(pointer, format!("{value} is less than the minimum {min}"));
            }
        }
        if let Some(max) = bound("maximum") {
            if x > max {
                self.error(pointer, format!("{value} is more than the maximum {max}"));
            }
        }
        if let Some(min) = bound("exclusiveMinimum") {
            if x <= min {
                self.error(pointer, format!("{value} must be more than {min}"));
            }
        }
        if let Some(max) = bound("exclusiveMaximum") {
            if x >= max {
                self.error(pointer, format!("{value} must be less than {max}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        match check(&schema, &value) {
            Ok(()) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn nested_fields_are_pointed_at() {
        let schema = json!({
            "type": "object",
            "required": ["orderId", "items"],
            "properties": {
                "orderId": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object", "required": ["sku", "quantity"], "additionalProperties": false,
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "format": "uint32", "minimum": 0}}}}
        });
        assert!(
            errors(
                schema.clone(),
                json!({"orderId": "o", "items": [{"sku": "a", "quantity": 2}]})
            )
            .is_empty()
        );
        assert_eq!(
            errors(
                schema.clone(),
                json!({"orderId": "o", "items": [{"sku": "a", "quantity": 2.5}, {"sku": "b", "qty": 1}]})
            ),
            [
                "at `/items/0/quantity`: expected an integer, found a number",
                "at `/items/1/quantity`: the field `quantity` is missing",
                "at `/items/1/qty`: unknown field `qty`; the fields are `sku`, `quantity`",
            ]
        );
        assert_eq!(
            errors(schema, json!([])),
            ["at `/`: expected an object, found an array"]
        );
    }

    #[test]
    fn options_and_enums() {
        let schema = json!({"oneOf": [{"const": "Red"}, {"const": "Blue"}]});
        assert_eq!(
            errors(schema, json!("Green")),
            ["at `/`: `\"Green\"` is not one of `\"Red\"`, `\"Blue\"`"]
        );
        let nullable = json!({"type": ["string", "null"]});
        assert!(errors(nullable.clone(), Value::Null).is_empty());
        assert_eq!(
            errors(nullable, json!(1)),
            ["at `/`: expected a string or null, found a number"]
        );
        assert!(errors(json!(true), json!({"anything": 1})).is_empty());
    }
}
