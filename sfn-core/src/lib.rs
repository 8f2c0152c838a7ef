//! The one Amazon States Language model of `sfn`.
//!
//! Everything in `sfn` speaks this model: the `#[workflow]` macro builds it, the runtime compiles
//! and runs it, and the exporter writes it. It holds every field of every state type in both
//! query languages (JSONPath and JSONata) and reads and writes ASL losslessly:
//!
//! ```
//! use sfn_core::StateMachine;
//!
//! let text = r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}"#;
//! let machine = StateMachine::from_json_str(text)?;
//! assert_eq!(machine.start_at, "Hello");
//! assert_eq!(serde_json::to_string(&machine.to_json())?, text.replace(' ', ""));
//! assert!(sfn_core::validate(&machine).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`StateMachine`] and the [`model`] types: one Rust type per ASL object.
//! - [`path`], [`intrinsic`], [`jsonata`], [`template`]: the evaluated parts of a definition,
//!   parsed into trees the runtime evaluates.
//! - [`validate()`]: the rules AWS applies before it accepts a definition, as [`Diagnostic`]s
//!   with AWS's codes and JSON pointers.
//! - [`json`]: a strict JSON reader (duplicate keys, line and column of errors).

mod cursor;
pub mod diagnostic;
pub mod intrinsic;
pub mod json;
pub mod jsonata;
pub mod model;
pub mod path;
mod read;
pub mod template;
pub mod validate;
pub mod workflow;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use model::*;
pub use validate::validate;
