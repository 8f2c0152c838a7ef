//! A typed workflow's input schema, derived by schemars, rejects input that does not fit it and
//! says where.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Order {
    order_id: String,
    lines: Vec<Line>,
    priority: Priority,
    note: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Line {
    sku: String,
    quantity: u32,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
enum Priority {
    Normal,
    Express,
}

fn check(input: serde_json::Value) -> Vec<String> {
    let schema = schemars::schema_for!(Order);
    match sfn_runtime::schema::check(schema.as_value(), &input) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn input_that_fits_passes() {
    let ok = json!({"OrderId": "o-1", "Lines": [{"sku": "a", "quantity": 2}], "Priority": "Express", "Note": null});
    assert_eq!(check(ok), Vec::<String>::new());
}

#[test]
fn input_that_does_not_fit_names_the_field() {
    let bad = json!({"OrderId": 7, "Lines": [{"sku": "a", "quantity": -1}], "Priority": "Slow", "Extra": 1});
    let errors = check(bad);
    assert!(
        errors.contains(&"at `/OrderId`: expected a string, found a number".to_owned()),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("at `/Lines/0/quantity`:")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("at `/Priority`:") && e.contains("Slow")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("at `/Extra`: unknown field `Extra`")),
        "{errors:#?}"
    );
    let missing = check(json!({"OrderId": "o"}));
    assert!(
        missing.contains(&"at `/Lines`: the field `Lines` is missing".to_owned()),
        "{missing:#?}"
    );
}
