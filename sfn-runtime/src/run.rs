//! Running a definition once: names and ARNs as AWS forms them, and the result in the shape
//! `sfn run --format json` prints.

use std::sync::Arc;

use serde_json::{Map, Value};
use sfn_core::StateMachine;

use crate::clock::{Clock, system_now};
use crate::driver::{self, DriveError, Tasks};
use crate::executions::{ApiError, validate_execution_name};
use crate::interp::{Execution, ExecutionInfo, MachineInfo, Outcome};
use crate::plan::{Plan, PlanError};

/// Who runs an execution, and with what.
#[derive(Debug, Clone)]
pub struct ExecutionSpec {
    /// The state machine's name.
    pub state_machine_name: String,
    /// The execution's name.
    pub execution_name: String,
    /// The AWS account.
    pub account: String,
    /// The Region.
    pub region: String,
    /// The input.
    pub input: Value,
}

impl ExecutionSpec {
    /// The state machine's ARN, as AWS forms it.
    pub fn state_machine_arn(&self) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.region, self.account, self.state_machine_name
        )
    }

    /// The execution's ARN, as AWS forms it.
    pub fn execution_arn(&self) -> String {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            self.region, self.account, self.state_machine_name, self.execution_name
        )
    }

    /// Who and where the execution is, for [`Execution::new`], started at `start_time`.
    pub fn execution_info(&self, start_time: i64) -> ExecutionInfo {
        ExecutionInfo {
            execution_arn: self.execution_arn().into(),
            machine: Arc::new(MachineInfo::new(
                &self.region,
                &self.account,
                &self.state_machine_name,
            )),
            input: Arc::new(self.input.clone()),
            start_time,
        }
    }
}

/// Why a definition could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The definition is not valid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The execution could not finish.
    #[error(transparent)]
    Drive(#[from] DriveError),
    /// The execution's name is not one AWS accepts.
    #[error(transparent)]
    Name(#[from] ApiError),
}

/// Validates, compiles and runs a definition to its end.
pub async fn execute(
    machine: StateMachine,
    spec: ExecutionSpec,
    clock: Clock,
    tasks: &Tasks,
) -> Result<Execution, RunError> {
    validate_execution_name(&spec.execution_name)?;
    let plan = Arc::new(Plan::compile(machine)?);
    let start_time = match clock {
        Clock::Virtual { start } => start,
        Clock::Real => system_now(),
    };
    let info = spec.execution_info(start_time);
    Ok(driver::run(plan, info, clock, tasks).await?)
}

impl Execution {
    /// `{"status", "output" (when it succeeded), "error", "cause" (otherwise), "history"}`.
    pub fn result_json(&self, with_history: bool) -> Value {
        let mut m = Map::new();
        match self.outcome() {
            Some(outcome) => {
                m.insert("status".into(), Value::String(outcome.status().into()));
                match outcome {
                    Outcome::Succeeded(output) => {
                        m.insert("output".into(), Value::clone(output));
                    }
                    Outcome::Failed(f) | Outcome::TimedOut(f) | Outcome::Aborted(f) => {
                        m.insert(
                            "error".into(),
                            f.error.clone().map_or(Value::Null, Value::String),
                        );
                        m.insert(
                            "cause".into(),
                            f.cause.clone().map_or(Value::Null, Value::String),
                        );
                    }
                }
            }
            None => {
                m.insert("status".into(), Value::String("RUNNING".into()));
            }
        }
        if with_history {
            m.insert(
                "history".into(),
                Value::Array(self.history().iter().map(|e| e.to_json()).collect()),
            );
        }
        Value::Object(m)
    }
}
