//! JSON Schemas of typed workflows' input and output.
//!
//! A typed workflow (`#[sfn::workflow]`) gives [`schemars::Schema`]s of its `Input` and
//! `Output` through [`Exportable`](crate::Exportable); plain definitions can be given schemas
//! with [`Workflow::input_schema`](crate::Workflow::input_schema). A [`Bundle`](crate::Bundle)
//! writes them as `<Name>.input.schema.json` and `<Name>.output.schema.json`. The runtime
//! checks inputs against them with `sfn_runtime::schema`.

use serde_json::Value;

/// The schema as pretty JSON text with a final newline.
pub fn to_text(schema: &schemars::Schema) -> String {
    crate::asl::to_text(schema.as_value(), true)
}

/// A schema from its JSON (an object or a boolean), as read from a file.
pub fn from_value(value: Value) -> Result<schemars::Schema, String> {
    schemars::Schema::try_from(value)
        .map_err(|_| "a JSON Schema is an object or a boolean".to_owned())
}
