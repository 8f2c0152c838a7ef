//! The native Amazon States Language interpreter of `sfn`.
//!
//! A [`Plan`](plan::Plan) is a state machine compiled once: state names resolved to indices,
//! paths, intrinsics and JSONata already parsed by [`sfn_core`]. An
//! [`Execution`](interp::Execution) advances through the plan as a pure state machine that never
//! waits: it hands out [`Command`](interp::Command)s (run a task, start a timer) and takes back
//! [`Event`](interp::Event)s. The [`driver`] carries the commands out on tokio, with virtual
//! time for tests or real time for real runs, and records the history
//! ([`history`]) in the shape of AWS's `GetExecutionHistory`.
//!
//! A [`Runtime`] holds state machines and executions by ARN, as the Step Functions service
//! does, and runs nested executions (`states:startExecution`) in the same virtual time.
//!
//! [`eval`] evaluates the dynamic parts of a definition: paths, intrinsic functions, JSONata.

pub mod clock;
pub mod driver;
pub mod eval;
pub mod executions;
pub mod failure;
pub mod history;
pub mod interp;
pub mod mock;
pub mod objects;
pub mod plan;
pub mod replay;
pub mod run;
pub mod runtime;
pub mod schema;

pub use runtime::Runtime;

pub use sfn_core;
