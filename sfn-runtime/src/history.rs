//! Execution history in the shape of AWS's `GetExecutionHistory`.
//!
//! Events are recorded as plain Rust values while the execution runs; they become AWS's JSON
//! (`{"id", "previousEventId", "timestamp", "type", "<type>EventDetails"}`, payloads as JSON
//! text) only when [`HistoryEvent::to_json`] is called.

use std::num::NonZeroU32;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sfn_core::StateType;

use crate::clock::format_timestamp;
use crate::executions::{StartExecutionResponse, SyncResult};

/// A state's input or output: shared between the states that pass it on and the events that
/// record it, never copied.
pub type Payload = Arc<Value>;

/// A task's answer as `TaskSubmitted` and `TaskSucceeded` events record it. The answers of
/// nested executions are kept as the few facts they are made of and written out as JSON
/// only where they are read.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskResult {
    /// What the task's handler (or `SendTaskSuccess`) answered.
    Output(Payload),
    /// The `StartExecution` response of a nested execution.
    StartExecution(Box<StartExecutionResponse>),
    /// The description of a `.sync`/`.sync:2` child that succeeded.
    Execution(Box<SyncResult>),
}

impl From<Value> for TaskResult {
    fn from(value: Value) -> Self {
        TaskResult::Output(Arc::new(value))
    }
}

impl TaskResult {
    /// The answer as JSON.
    pub fn to_value(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            TaskResult::Output(v) => std::borrow::Cow::Borrowed(v),
            TaskResult::StartExecution(r) => std::borrow::Cow::Owned(r.to_value()),
            TaskResult::Execution(r) => std::borrow::Cow::Owned(r.to_value()),
        }
    }

    /// The answer as a payload (shared when it is one already).
    pub fn to_payload(&self) -> Payload {
        match self {
            TaskResult::Output(v) => v.clone(),
            other => Arc::new(other.to_value().into_owned()),
        }
    }
}

/// The variables a state assigned, in the order of its `Assign`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned(pub Vec<(String, Value)>);

/// One event of an execution's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1-based, sequential (AWS keeps at most 25,000 events in a history).
    pub id: u32,
    /// The event this one follows (0 for the first of a chain).
    pub previous_event_id: u32,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// What happened.
    pub kind: EventKind,
}

/// Which family of events a task records: optimized integrations and AWS SDK tasks record
/// `Task…` events, Lambda function ARNs `LambdaFunction…`, activities `Activity…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFamily {
    /// `TaskScheduled`, `TaskStarted`, `TaskSubmitted`, `TaskSucceeded`, …
    Task,
    /// `LambdaFunctionScheduled`, `LambdaFunctionStarted`, …
    Lambda,
    /// `ActivityScheduled`, `ActivityStarted`, …
    Activity,
}

/// The name and resource of a task, as task events report them.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRef {
    /// Which events the task records.
    pub family: TaskFamily,
    /// The whole resource ARN.
    pub arn: Arc<str>,
    /// The service (`lambda`, `states`, …), or `activity`/`lambda` for those resource kinds.
    pub resource_type: String,
    /// The API and pattern (`invoke`, `startExecution.sync`, …).
    pub resource: String,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum EventKind {
    ExecutionStarted {
        input: Payload,
        role_arn: Arc<str>,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    ExecutionFailed {
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    ExecutionAborted {
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    ExecutionTimedOut {
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    StateEntered {
        state_type: StateType,
        name: Arc<str>,
        input: Payload,
    },
    StateExited {
        state_type: StateType,
        name: Arc<str>,
        output: Payload,
        /// The variables the state assigned (`None` for a state without `Assign`).
        assigned: Option<Box<Assigned>>,
    },
    TaskScheduled {
        task: Arc<TaskRef>,
        region: Arc<str>,
        parameters: Payload,
        timeout: Option<NonZeroU32>,
        heartbeat: Option<NonZeroU32>,
    },
    TaskStarted {
        task: Arc<TaskRef>,
    },
    TaskSubmitted {
        task: Arc<TaskRef>,
        output: TaskResult,
    },
    TaskSucceeded {
        task: Arc<TaskRef>,
        output: TaskResult,
    },
    TaskFailed {
        task: Arc<TaskRef>,
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    TaskTimedOut {
        task: Arc<TaskRef>,
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    TaskStateAborted,
    WaitStateAborted,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted {
        length: usize,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunSucceeded,
    MapRunFailed {
        error: Option<Box<str>>,
        cause: Option<Box<str>>,
    },
    MapIterationStarted {
        name: Arc<str>,
        index: usize,
    },
    MapIterationSucceeded {
        name: Arc<str>,
        index: usize,
    },
    MapIterationFailed {
        name: Arc<str>,
        index: usize,
    },
    MapIterationAborted {
        name: Arc<str>,
        index: usize,
    },
    EvaluationFailed(Box<EvaluationFailure>),
}

/// An error name or cause as events keep it.
pub fn boxed(text: &Option<String>) -> Option<Box<str>> {
    text.as_deref().map(Box::from)
}

/// The details of an `EvaluationFailed` event.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationFailure {
    /// The error name (`States.QueryEvaluationError`).
    pub error: String,
    /// The cause.
    pub cause: String,
    /// The field whose expression failed.
    pub location: Option<String>,
    /// The state.
    pub state: Arc<str>,
}

impl EventKind {
    /// The event type as AWS names it, e.g. `PassStateEntered`.
    pub fn type_name(&self) -> String {
        let fixed = match self {
            EventKind::ExecutionStarted { .. } => "ExecutionStarted",
            EventKind::ExecutionSucceeded { .. } => "ExecutionSucceeded",
            EventKind::ExecutionFailed { .. } => "ExecutionFailed",
            EventKind::ExecutionAborted { .. } => "ExecutionAborted",
            EventKind::ExecutionTimedOut { .. } => "ExecutionTimedOut",
            EventKind::StateEntered { state_type, .. } => {
                return format!("{state_type}StateEntered");
            }
            EventKind::StateExited { state_type, .. } => return format!("{state_type}StateExited"),
            EventKind::TaskScheduled { task, .. } => return task.event_name("Scheduled"),
            EventKind::TaskStarted { task } => return task.event_name("Started"),
            EventKind::TaskSubmitted { .. } => "TaskSubmitted",
            EventKind::TaskSucceeded { task, .. } => return task.event_name("Succeeded"),
            EventKind::TaskFailed { task, .. } => return task.event_name("Failed"),
            EventKind::TaskTimedOut { task, .. } => return task.event_name("TimedOut"),
            EventKind::TaskStateAborted => "TaskStateAborted",
            EventKind::WaitStateAborted => "WaitStateAborted",
            EventKind::ParallelStateStarted => "ParallelStateStarted",
            EventKind::ParallelStateSucceeded => "ParallelStateSucceeded",
            EventKind::ParallelStateFailed => "ParallelStateFailed",
            EventKind::ParallelStateAborted => "ParallelStateAborted",
            EventKind::MapStateStarted { .. } => "MapStateStarted",
            EventKind::MapStateSucceeded => "MapStateSucceeded",
            EventKind::MapStateFailed => "MapStateFailed",
            EventKind::MapStateAborted => "MapStateAborted",
            EventKind::MapRunStarted { .. } => "MapRunStarted",
            EventKind::MapRunSucceeded => "MapRunSucceeded",
            EventKind::MapRunFailed { .. } => "MapRunFailed",
            EventKind::MapIterationStarted { .. } => "MapIterationStarted",
            EventKind::MapIterationSucceeded { .. } => "MapIterationSucceeded",
            EventKind::MapIterationFailed { .. } => "MapIterationFailed",
            EventKind::MapIterationAborted { .. } => "MapIterationAborted",
            EventKind::EvaluationFailed(_) => "EvaluationFailed",
        };
        fixed.to_owned()
    }

    /// The details object and its key (`passStateEnteredEventDetails` is keyed
    /// `stateEnteredEventDetails`, as AWS does), if the event has details.
    fn details(&self) -> Option<(&'static str, Value)> {
        let text = |v: &Value| Value::String(v.to_string());
        let error_cause = |error: &Option<Box<str>>, cause: &Option<Box<str>>| {
            let mut m = Map::new();
            if let Some(c) = cause {
                m.insert("cause".into(), Value::String(c.to_string()));
            }
            if let Some(e) = error {
                m.insert("error".into(), Value::String(e.to_string()));
            }
            Value::Object(m)
        };
        let task = |t: &TaskRef, extra: Map<String, Value>| {
            let mut m = Map::new();
            m.insert(
                "resourceType".into(),
                Value::String(t.resource_type.clone()),
            );
            m.insert("resource".into(), Value::String(t.resource.clone()));
            m.extend(extra);
            Value::Object(m)
        };
        let untruncated = json!({"truncated": false});
        if let Some(details) = self.legacy_task_details() {
            return Some(details);
        }
        Some(match self {
            EventKind::ExecutionStarted { input, role_arn } => (
                "executionStartedEventDetails",
                json!({"input": text(input), "inputDetails": untruncated, "roleArn": &**role_arn}),
            ),
            EventKind::ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                json!({"output": text(output), "outputDetails": untruncated}),
            ),
            EventKind::ExecutionFailed { error, cause } => {
                ("executionFailedEventDetails", error_cause(error, cause))
            }
            EventKind::ExecutionAborted { error, cause } => {
                ("executionAbortedEventDetails", error_cause(error, cause))
            }
            EventKind::ExecutionTimedOut { error, cause } => {
                ("executionTimedOutEventDetails", error_cause(error, cause))
            }
            EventKind::StateEntered { name, input, .. } => (
                "stateEnteredEventDetails",
                json!({"name": &**name, "input": text(input), "inputDetails": untruncated}),
            ),
            EventKind::StateExited {
                name,
                output,
                assigned,
                ..
            } => {
                let mut m = Map::new();
                m.insert("name".into(), Value::String(name.to_string()));
                m.insert("output".into(), text(output));
                m.insert("outputDetails".into(), untruncated);
                if let Some(vars) = assigned {
                    let vars: Map<String, Value> =
                        vars.0.iter().map(|(k, v)| (k.clone(), text(v))).collect();
                    m.insert("assignedVariables".into(), Value::Object(vars));
                    m.insert(
                        "assignedVariablesDetails".into(),
                        json!({"truncated": false}),
                    );
                }
                ("stateExitedEventDetails", Value::Object(m))
            }
            EventKind::TaskScheduled {
                task: t,
                region,
                parameters,
                timeout,
                heartbeat,
            } => {
                let mut m = Map::new();
                m.insert("region".into(), Value::String(region.to_string()));
                m.insert("parameters".into(), text(parameters));
                if let Some(t) = timeout {
                    m.insert("timeoutInSeconds".into(), Value::from(t.get()));
                }
                if let Some(h) = heartbeat {
                    m.insert("heartbeatInSeconds".into(), Value::from(h.get()));
                }
                ("taskScheduledEventDetails", task(t, m))
            }
            EventKind::TaskStarted { task: t } => ("taskStartedEventDetails", task(t, Map::new())),
            EventKind::TaskSubmitted { task: t, output } => {
                let mut m = Map::new();
                m.insert("output".into(), text(&output.to_value()));
                m.insert("outputDetails".into(), untruncated);
                ("taskSubmittedEventDetails", task(t, m))
            }
            EventKind::TaskSucceeded { task: t, output } => {
                let mut m = Map::new();
                m.insert("output".into(), text(&output.to_value()));
                m.insert("outputDetails".into(), untruncated);
                ("taskSucceededEventDetails", task(t, m))
            }
            EventKind::TaskFailed {
                task: t,
                error,
                cause,
            } => {
                let Value::Object(m) = error_cause(error, cause) else {
                    unreachable!()
                };
                ("taskFailedEventDetails", task(t, m))
            }
            EventKind::TaskTimedOut {
                task: t,
                error,
                cause,
            } => {
                let Value::Object(m) = error_cause(error, cause) else {
                    unreachable!()
                };
                ("taskTimedOutEventDetails", task(t, m))
            }
            EventKind::MapRunStarted { map_run_arn } => (
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ),
            EventKind::MapRunFailed { error, cause } => {
                ("mapRunFailedEventDetails", error_cause(error, cause))
            }
            EventKind::MapStateStarted { length } => {
                ("mapStateStartedEventDetails", json!({"length": length}))
            }
            EventKind::MapIterationStarted { name, index } => (
                "mapIterationStartedEventDetails",
                json!({"name": &**name, "index": index}),
            ),
            EventKind::MapIterationSucceeded { name, index } => (
                "mapIterationSucceededEventDetails",
                json!({"name": &**name, "index": index}),
            ),
            EventKind::MapIterationFailed { name, index } => (
                "mapIterationFailedEventDetails",
                json!({"name": &**name, "index": index}),
            ),
            EventKind::MapIterationAborted { name, index } => (
                "mapIterationAbortedEventDetails",
                json!({"name": &**name, "index": index}),
            ),
            EventKind::EvaluationFailed(failure) => {
                let EvaluationFailure {
                    error,
                    cause,
                    location,
                    state,
                } = &**failure;
                let mut m = Map::new();
                m.insert("cause".into(), Value::String(cause.clone()));
                m.insert("error".into(), Value::String(error.clone()));
                if let Some(l) = location {
                    m.insert("location".into(), Value::String(l.clone()));
                }
                m.insert("state".into(), Value::String(state.to_string()));
                ("evaluationFailedEventDetails", Value::Object(m))
            }
            _ => return None,
        })
    }
}

impl TaskRef {
    /// `TaskScheduled`, `LambdaFunctionScheduled` or `ActivityScheduled`, and so on.
    fn event_name(&self, what: &str) -> String {
        let family = match self.family {
            TaskFamily::Task => "Task",
            TaskFamily::Lambda => "LambdaFunction",
            TaskFamily::Activity => "Activity",
        };
        format!("{family}{what}")
    }
}

impl EventKind {
    /// Lambda function and activity events have details of their own shape.
    fn legacy_task_details(&self) -> Option<(&'static str, Value)> {
        let text = |v: &Value| Value::String(v.to_string());
        let family = match self {
            EventKind::TaskScheduled { task, .. }
            | EventKind::TaskStarted { task }
            | EventKind::TaskSucceeded { task, .. }
            | EventKind::TaskFailed { task, .. }
            | EventKind::TaskTimedOut { task, .. } => task.family,
            _ => return None,
        };
        let lambda = family == TaskFamily::Lambda;
        if family == TaskFamily::Task {
            return None;
        }
        let key =
            |what: &'static str, lambda_key: &'static str| if lambda { lambda_key } else { what };
        Some(match self {
            EventKind::TaskScheduled {
                task,
                parameters,
                timeout,
                heartbeat,
                ..
            } => {
                let mut m = Map::new();
                m.insert("resource".into(), Value::String(task.arn.to_string()));
                m.insert("input".into(), text(parameters));
                m.insert("inputDetails".into(), json!({"truncated": false}));
                if let Some(t) = timeout {
                    m.insert("timeoutInSeconds".into(), Value::from(t.get()));
                }
                if let Some(h) = heartbeat.filter(|_| !lambda) {
                    m.insert("heartbeatInSeconds".into(), Value::from(h.get()));
                }
                (
                    key(
                        "activityScheduledEventDetails",
                        "lambdaFunctionScheduledEventDetails",
                    ),
                    Value::Object(m),
                )
            }
            EventKind::TaskStarted { .. } => {
                if lambda {
                    return None;
                }
                ("activityStartedEventDetails", json!({}))
            }
            EventKind::TaskSucceeded { output, .. } => (
                key(
                    "activitySucceededEventDetails",
                    "lambdaFunctionSucceededEventDetails",
                ),
                json!({"output": text(&output.to_value()), "outputDetails": {"truncated": false}}),
            ),
            EventKind::TaskFailed { error, cause, .. }
            | EventKind::TaskTimedOut { error, cause, .. } => {
                let timed_out = matches!(self, EventKind::TaskTimedOut { .. });
                let mut m = Map::new();
                if let Some(c) = cause {
                    m.insert("cause".into(), Value::String(c.to_string()));
                }
                if let Some(e) = error {
                    m.insert("error".into(), Value::String(e.to_string()));
                }
                let k = match (lambda, timed_out) {
                    (true, false) => "lambdaFunctionFailedEventDetails",
                    (true, true) => "lambdaFunctionTimedOutEventDetails",
                    (false, false) => "activityFailedEventDetails",
                    (false, true) => "activityTimedOutEventDetails",
                };
                (k, Value::Object(m))
            }
            _ => return None,
        })
    }
}

impl HistoryEvent {
    /// The event as AWS's `GetExecutionHistory` returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        m.insert(
            "timestamp".into(),
            Value::String(format_timestamp(self.timestamp)),
        );
        m.insert("type".into(), Value::String(self.kind.type_name()));
        if let Some((key, details)) = self.kind.details() {
            m.insert(key.into(), details);
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_event_fits_in_a_cache_line() {
        // Parked and finished executions are mostly their histories.
        assert_eq!(std::mem::size_of::<super::EventKind>(), 48);
        assert_eq!(std::mem::size_of::<super::HistoryEvent>(), 64);
    }
}
