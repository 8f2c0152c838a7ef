//! # sfn
//!
//! AWS Step Functions workflows as ordinary, type-checked Rust: run them natively on your own
//! machine and export the equivalent Amazon States Language (ASL) to deploy on AWS.
//!
//! This is the one crate users add. It re-exports:
//! - [`workflow`], [`task`], [`Data`]: write workflows as `async fn`s (see below);
//! - [`StateMachine`]: the trait every workflow implements (its input, output, name and
//!   [`Definition`]);
//! - [`core`]: the ASL model shared by everything — lossless reading and writing of any
//!   definition, paths, intrinsic functions, JSONata, and validation with AWS's diagnostic codes;
//! - `runtime` (feature `runtime`): the native interpreter, and [`Runtime`] to run workflows;
//! - `export` (feature `export`): ASL, IAM, CloudFormation and graph export.
//!
//! ```
//! let text = r#"{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": true}}}"#;
//! let machine = sfn::Definition::from_json_str(text)?;
//! assert!(sfn::core::validate(&machine).is_empty());
//! # Ok::<(), sfn::core::ReadError>(())
//! ```
//!
//! ## Workflows
//!
//! ```
//! use sfn::prelude::*;
//!
//! #[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
//! #[serde(rename_all = "PascalCase")]
//! pub struct Greeting { pub comment: String }
//!
//! #[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
//! pub struct Reply { #[serde(rename = "MyKey")] pub my_key: String }
//!
//! #[sfn::task(lambda = "SayHello")]
//! async fn say_hello(input: Greeting) -> Result<Reply, TaskError> {
//!     Ok(Reply { my_key: input.comment })
//! }
//!
//! #[sfn::workflow(name = "HelloWorld")]
//! async fn hello_world(input: Greeting) -> Result<Reply, Failure> {
//!     say_hello(input).await
//! }
//!
//! let definition = HelloWorld::definition()?;
//! assert_eq!(definition.start_at, "SayHello");
//! # Ok::<(), sfn::DefinitionError>(())
//! ```
//!
//! How a body becomes states (JSONPath mode; `#[workflow(query_language = "JSONata")]` writes
//! the JSONata form):
//!
//! | Rust | ASL |
//! |---|---|
//! | `let x = call.await?;` | a Task state; `x` is a variable (`"Assign": {"x.$": "$"}`) when read later |
//! | the input parameter | `$$.Execution.Input` |
//! | a struct literal argument | `Parameters`/`Input`, keys named as serde names them |
//! | `x.a.b`, `x.items[2]` | `$x.A.B`, `$x.Items[2]` |
//! | `format!`, `a + b`, `v.len()`, `uuid()`, `to_string(&v)`, `from_str(&s)` | `States.Format`, `States.MathAdd`, `States.ArrayLength`, `States.UUID`, `States.JsonToString`, `States.StringToJson` |
//! | `if`, `match` on a unit enum or a string | `Choice` |
//! | `while`, `loop`, `break`, `continue` | `Choice` states and back edges |
//! | `sleep(d).await`, `sleep_until(ts).await` | `Wait` |
//! | `let (a, b) = parallel((x, y)).await?;` | `Parallel` |
//! | `map(items, \|item\| async move { … }).max_concurrency(n).await?` | `Map` |
//! | `match call.await { Ok(v) => …, Err(e) if e.is("X") => …, Err(e) => … }` | `Catch` |
//! | `.retry(Retry::on([..]))` | `Retry` |
//! | `return Err(Failure::new(..))` | `Fail` |
//! | tail, `return Ok(v)` | `End` (a `Pass` only where the output needs shaping) |
//!
//! Names in this crate that differ from the DSL document: tasks are registered with
//! `Runtime::builder().task::<say_hello>()` (a fn item cannot name its task), and
//! `TaskError` is the same type as `Failure`.

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "runtime")]
mod glue;

pub use sfn_core as core;
pub use sfn_core::Diagnostic;
/// The ASL model of a state machine definition (`sfn::core::StateMachine`).
pub use sfn_core::StateMachine as Definition;
pub use sfn_core::workflow::{
    Data, DefinitionConfig, DefinitionError, ExecutionResult, Failure, Retry, StartedExecution,
    StateMachine, TaskError, TaskKind, TaskSpec,
};
pub use sfn_macros::{Data, task, workflow};

#[cfg(feature = "runtime")]
pub use glue::{Builder, Execution, ExecutionNode, RunError, Runtime};
#[cfg(feature = "runtime")]
pub use sfn_runtime::clock::Clock;

#[cfg(feature = "export")]
pub use sfn_asl_export as export;
#[cfg(feature = "runtime")]
pub use sfn_runtime as runtime;

/// What workflow code needs in scope: `use sfn::prelude::*;`.
pub mod prelude {
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use sfn_core::workflow::{
        Call, ExecutionResult, Failure, Retry, StartedExecution, StateMachine, TaskError, from_str,
        is_null, map, parallel, sleep, sleep_until, start_execution, task_token, to_string, uuid,
    };
    pub use std::time::Duration;
}
