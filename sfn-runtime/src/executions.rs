//! Executions as the Step Functions API knows them: statuses, `DescribeExecution`, execution
//! names, and the errors of the API (`StepFunctions.<Code>Exception` inside a Task).
//!
//! The shapes follow AWS's recordings (`../shared/conformance`): the `.sync` result is the
//! `DescribeExecution` response in PascalCase with `Input`/`Output` as JSON text (`.sync:2`:
//! as JSON values), and a child that did not succeed fails its parent's task with
//! `States.TaskFailed` and the same description, with `Error` and `Cause` and without
//! `Output`, as the cause.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::clock::format_timestamp;

/// Where an execution is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// Still running.
    Running,
    /// Ended with an output.
    Succeeded,
    /// Ended with an error.
    Failed,
    /// Exceeded its `TimeoutSeconds`.
    TimedOut,
    /// Stopped (`StopExecution`, or its parent stopped it).
    Aborted,
}

impl ExecutionStatus {
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `DescribeExecution` tells about an execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionDescription {
    /// The execution's ARN.
    pub execution_arn: String,
    /// The ARN of its state machine.
    pub state_machine_arn: String,
    /// The execution's name.
    pub name: String,
    /// Its status.
    pub status: ExecutionStatus,
    /// When it started (milliseconds since the Unix epoch).
    pub start_date: i64,
    /// When it ended.
    pub stop_date: Option<i64>,
    /// Its input.
    pub input: Value,
    /// Its output, once it succeeded.
    pub output: Option<Value>,
    /// The error it ended with (failed, timed out, or stopped with an error).
    pub error: Option<String>,
    /// The cause it ended with.
    pub cause: Option<String>,
    /// The `TraceHeader` it was started with.
    pub trace_header: Option<String>,
    /// The execution named by `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` in its input: the
    /// parent that started it, as the console links them.
    pub started_by: Option<String>,
}

impl ExecutionDescription {
    /// The `DescribeExecution` response as the API returns it (camelCase; `input` and
    /// `output` as JSON text; dates as ISO 8601). `startedByExecutionArn` carries
    /// [`started_by`](Self::started_by) when the input names a parent.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let s = |v: &str| Value::String(v.to_owned());
        m.insert("executionArn".into(), s(&self.execution_arn));
        m.insert("stateMachineArn".into(), s(&self.state_machine_arn));
        m.insert("name".into(), s(&self.name));
        m.insert("status".into(), s(self.status.as_str()));
        m.insert("startDate".into(), s(&format_timestamp(self.start_date)));
        if let Some(stop) = self.stop_date {
            m.insert("stopDate".into(), s(&format_timestamp(stop)));
        }
        m.insert("input".into(), Value::String(self.input.to_string()));
        m.insert("inputDetails".into(), included());
        if let Some(output) = &self.output {
            m.insert("output".into(), Value::String(output.to_string()));
            m.insert("outputDetails".into(), included());
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), s(e));
        }
        if let Some(c) = &self.cause {
            m.insert("cause".into(), s(c));
        }
        if let Some(t) = &self.trace_header {
            m.insert("traceHeader".into(), s(t));
        }
        if let Some(p) = &self.started_by {
            m.insert("startedByExecutionArn".into(), s(p));
        }
        Value::Object(m)
    }

    /// The result of a `.sync` (`parsed` false: `Input`/`Output` as JSON text) or `.sync:2`
    /// (`parsed` true: as JSON values) task whose child succeeded, as AWS records it today
    /// (with `RedriveCount`, `RedriveStatus` and `RedriveStatusReason`). Dates are epoch
    /// milliseconds, as the service's Java-shaped task outputs carry them.
    pub fn sync_output(&self, parsed: bool) -> Value {
        self.view().sync_output(parsed)
    }

    /// The cause of `States.TaskFailed` when a `.sync`/`.sync:2` child did not succeed: its
    /// description with `Error` and `Cause` (each only when it has one) and without `Output`,
    /// as JSON text (`Input` as text whatever the pattern), as AWS records it.
    pub fn failure_cause(&self) -> String {
        self.view().failure_cause()
    }

    fn view(&self) -> DescriptionRef<'_> {
        DescriptionRef {
            execution_arn: &self.execution_arn,
            state_machine_arn: &self.state_machine_arn,
            name: &self.name,
            status: self.status,
            start_date: self.start_date,
            stop_date: self.stop_date,
            input: &self.input,
            output: self.output.as_ref(),
            error: self.error.as_deref(),
            cause: self.cause.as_deref(),
            trace_header: self.trace_header.as_deref(),
        }
    }
}

/// The result of a `.sync` or `.sync:2` task whose child succeeded, kept as the facts it is
/// made of (shared with the child) and written out ([`SyncResult::to_value`]) where it is
/// read: in the parent's history, or where the parent's data flow needs more of it than
/// its `Output`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncResult {
    /// The child's ARN.
    pub execution_arn: Arc<str>,
    /// The child's state machine.
    pub machine: Arc<crate::interp::MachineInfo>,
    /// The child's input.
    pub input: Arc<Value>,
    /// The child's output.
    pub output: Arc<Value>,
    /// When the child started and stopped (milliseconds since the Unix epoch).
    pub start_date: i64,
    /// When it stopped.
    pub stop_date: i64,
    /// The `TraceHeader` it was started with.
    pub trace_header: Option<Box<str>>,
    /// `.sync:2` (`Input` and `Output` as JSON values) rather than `.sync` (as JSON text).
    pub parsed: bool,
}

impl SyncResult {
    /// The result as the task returns it ([`ExecutionDescription::sync_output`]).
    pub fn to_value(&self) -> Value {
        DescriptionRef {
            execution_arn: &self.execution_arn,
            state_machine_arn: &self.machine.arn,
            name: execution_name(&self.execution_arn),
            status: ExecutionStatus::Succeeded,
            start_date: self.start_date,
            stop_date: Some(self.stop_date),
            input: &self.input,
            output: Some(&self.output),
            error: None,
            cause: None,
            trace_header: self.trace_header.as_deref(),
        }
        .sync_output(self.parsed)
    }

    /// Its `Output` member alone, as `$.Output` selects it: the child's output itself
    /// (`.sync:2`), or its JSON text (`.sync`).
    pub fn output_member(&self) -> Arc<Value> {
        if self.parsed {
            self.output.clone()
        } else {
            Arc::new(Value::String(self.output.to_string()))
        }
    }
}

/// What `.sync` results and failure causes need of an execution's description, borrowed
/// from wherever it is held.
pub(crate) struct DescriptionRef<'a> {
    pub(crate) execution_arn: &'a str,
    pub(crate) state_machine_arn: &'a str,
    pub(crate) name: &'a str,
    pub(crate) status: ExecutionStatus,
    pub(crate) start_date: i64,
    pub(crate) stop_date: Option<i64>,
    pub(crate) input: &'a Value,
    pub(crate) output: Option<&'a Value>,
    pub(crate) error: Option<&'a str>,
    pub(crate) cause: Option<&'a str>,
    pub(crate) trace_header: Option<&'a str>,
}

impl DescriptionRef<'_> {
    /// The description as `DescribeExecution` returns it, with the parent `started_by`.
    pub(crate) fn to_description(&self, started_by: Option<&str>) -> ExecutionDescription {
        ExecutionDescription {
            execution_arn: self.execution_arn.to_owned(),
            state_machine_arn: self.state_machine_arn.to_owned(),
            name: self.name.to_owned(),
            status: self.status,
            start_date: self.start_date,
            stop_date: self.stop_date,
            input: self.input.clone(),
            output: self.output.cloned(),
            error: self.error.map(str::to_owned),
            cause: self.cause.map(str::to_owned),
            trace_header: self.trace_header.map(str::to_owned),
            started_by: started_by.map(str::to_owned),
        }
    }

    /// The result of a `.sync` (`parsed` false: `Input`/`Output` as JSON text) or `.sync:2`
    /// (`parsed` true: as JSON values) task whose child succeeded, as AWS records it today
    /// (with `RedriveCount`, `RedriveStatus` and `RedriveStatusReason`). Dates are epoch
    /// milliseconds, as the service's Java-shaped task outputs carry them.
    pub(crate) fn sync_output(&self, parsed: bool) -> Value {
        let mut m = self.pascal_fields(parsed);
        if let Some(output) = self.output {
            let v = if parsed {
                output.clone()
            } else {
                Value::String(output.to_string())
            };
            m.insert("Output".into(), v);
            m.insert("OutputDetails".into(), included());
        }
        m.insert("RedriveCount".into(), Value::from(0));
        m.insert(
            "RedriveStatus".into(),
            Value::String("NOT_REDRIVABLE".into()),
        );
        m.insert(
            "RedriveStatusReason".into(),
            Value::String(format!(
                "Execution is {} and cannot be redriven",
                self.status.as_str()
            )),
        );
        Value::Object(m)
    }

    /// The cause of `States.TaskFailed` when a `.sync`/`.sync:2` child did not succeed: its
    /// description with `Error` and `Cause` (each only when it has one) and without `Output`,
    /// as JSON text (`Input` as text whatever the pattern), as AWS records it.
    pub(crate) fn failure_cause(&self) -> String {
        let mut m = self.pascal_fields(false);
        if let Some(e) = self.error {
            m.insert("Error".into(), Value::String(e.to_owned()));
        }
        if let Some(c) = self.cause {
            m.insert("Cause".into(), Value::String(c.to_owned()));
        }
        Value::Object(m).to_string()
    }

    fn pascal_fields(&self, parsed: bool) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "ExecutionArn".into(),
            Value::String(self.execution_arn.to_owned()),
        );
        let input = if parsed {
            self.input.clone()
        } else {
            Value::String(self.input.to_string())
        };
        m.insert("Input".into(), input);
        m.insert("InputDetails".into(), included());
        m.insert("Name".into(), Value::String(self.name.to_owned()));
        m.insert("StartDate".into(), Value::from(self.start_date));
        m.insert(
            "StateMachineArn".into(),
            Value::String(self.state_machine_arn.to_owned()),
        );
        m.insert("Status".into(), Value::String(self.status.as_str().into()));
        if let Some(stop) = self.stop_date {
            m.insert("StopDate".into(), Value::from(stop));
        }
        if let Some(t) = self.trace_header {
            m.insert("TraceHeader".into(), Value::String(t.to_owned()));
        }
        m
    }
}

fn included() -> Value {
    let mut m = Map::new();
    m.insert("Included".into(), Value::Bool(true));
    Value::Object(m)
}

/// Java's `Double.toString` of epoch seconds, as the service writes `startDate` in responses.
fn java_seconds(ms: i64) -> String {
    let digits = ms.to_string();
    if ms <= 0 || digits.len() < 11 {
        return format!("{}", ms as f64 / 1000.0);
    }
    let int_digits = digits.len() - 3;
    let trimmed = digits.trim_end_matches('0');
    let (first, rest) = trimmed.split_at(1);
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{first}.{rest}E{}", int_digits - 1)
}

/// An HTTP date: `Thu, 06 Nov 2025 12:35:23 GMT`.
fn http_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = format_timestamp(ms);
    let day = ms.div_euclid(86_400_000).rem_euclid(7) as usize;
    let month = iso[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12);
    format!(
        "{}, {} {} {} {} GMT",
        DAYS[day],
        &iso[8..10],
        MONTHS[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

/// The `StartExecution` response of a `states:startExecution` task, as the optimized
/// integration returns it with the SDK's HTTP metadata. It is kept this small and written
/// out (`to_value`) only where it is read: in the task's result (request-response) or in
/// its `TaskSubmitted` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartExecutionResponse {
    /// The ARN of the execution started.
    pub execution_arn: Arc<str>,
    /// When it started (milliseconds since the Unix epoch).
    pub start_date: i64,
    /// The request id the response carries (a random version 4 UUID).
    pub request_id: uuid::Uuid,
}

impl StartExecutionResponse {
    /// The response for an execution that started at `start_date`, with a new request id.
    pub fn new(execution_arn: Arc<str>, start_date: i64) -> Self {
        StartExecutionResponse {
            execution_arn,
            start_date,
            request_id: uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        }
    }

    /// `{"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}`.
    pub fn to_value(&self) -> Value {
        start_response(
            &self.execution_arn,
            self.start_date,
            &self.request_id.to_string(),
        )
    }
}

fn start_response(execution_arn: &str, start_date: i64, request_id: &str) -> Value {
    let body_len = format!(
        "{{\"executionArn\":\"{execution_arn}\",\"startDate\":{}}}",
        java_seconds(start_date)
    )
    .len()
    .to_string();
    let date = http_date(start_date);
    json!({
        "ExecutionArn": execution_arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "x-amzn-RequestId": [request_id],
                "connection": ["keep-alive"],
                "Content-Length": [body_len],
                "Date": [date],
                "Content-Type": ["application/x-amz-json-1.0"],
            },
            "HttpHeaders": {
                "connection": "keep-alive",
                "Content-Length": body_len,
                "Content-Type": "application/x-amz-json-1.0",
                "Date": date,
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": start_date,
    })
}

/// The name of an execution: the last part of its ARN (a name has no `:`).
pub fn execution_name(execution_arn: &str) -> &str {
    execution_arn
        .rsplit_once(':')
        .map_or(execution_arn, |(_, name)| name)
}

/// Checks an execution name as `StartExecution` does: 1 to 80 characters, none of them
/// whitespace, `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` or a control character.
pub fn validate_execution_name(name: &str) -> Result<(), ApiError> {
    let invalid = |why: &str| {
        Err(ApiError::InvalidName(format!(
            "Invalid Name: '{name}' ({why}; an execution name has 1 to 80 characters, without whitespace, control characters or any of < > {{ }} [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /)"
        )))
    };
    let len = name.chars().count();
    if len == 0 {
        return invalid("it is empty");
    }
    if len > 80 {
        return invalid("it is longer than 80 characters");
    }
    for c in name.chars() {
        let control =
            matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
        if c.is_whitespace() || control || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c) {
            return invalid(&format!("{c:?} is not allowed"));
        }
    }
    Ok(())
}

/// An error of the Step Functions API, as `StartExecution`, `SendTaskSuccess` and the others
/// return it. Inside a Task state it becomes `StepFunctions.<Code>Exception` with a
/// Java-SDK-shaped cause ([`ApiError::task_failure`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No state machine has this ARN.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// No execution has this ARN.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// An execution of this name exists with another input, or has ended.
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// The execution name breaks AWS's rules (the message says which).
    #[error("{0}")]
    InvalidName(String),
    /// An ARN that is not one.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    /// The input is not JSON.
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    /// The task token is not one this runtime could have issued.
    #[error("Invalid Token: 'Provided task token is malformed'")]
    InvalidToken,
    /// No task was ever given this token.
    #[error("Task Does Not Exist: 'Provided task does not exist'")]
    TaskDoesNotExist,
    /// The task of this token has ended (answered, timed out or aborted).
    #[error("Task Timed Out: 'Provided task does not exist anymore'")]
    TaskTimedOut,
    /// The `SendTaskSuccess` output is not JSON.
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    /// Stopping an execution that has ended.
    #[error("Execution Not Running: '{0}'")]
    ExecutionNotRunning(String),
}

impl ApiError {
    /// The API's error code (`StateMachineDoesNotExist`, `InvalidToken`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            ApiError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            ApiError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            ApiError::InvalidName(_) => "InvalidName",
            ApiError::InvalidArn(_) => "InvalidArn",
            ApiError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            ApiError::InvalidToken => "InvalidToken",
            ApiError::TaskDoesNotExist => "TaskDoesNotExist",
            ApiError::TaskTimedOut => "TaskTimedOut",
            ApiError::InvalidOutput(_) => "InvalidOutput",
            ApiError::ExecutionNotRunning(_) => "ExecutionNotRunning",
        }
    }

    /// The error as a Task state reports it: `StepFunctions.<Code>Exception`, cause
    /// `<message> (Service: AWSStepFunctions; Status Code: 400; Error Code: <Code>; Request ID: <id>; Proxy: null)`.
    pub fn task_failure(&self, request_id: &str) -> crate::failure::Failure {
        crate::failure::Failure::new(
            format!("StepFunctions.{}Exception", self.code()),
            format!(
                "{self} (Service: AWSStepFunctions; Status Code: 400; Error Code: {}; Request ID: {request_id}; Proxy: null)",
                self.code()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_carry_the_sdk_metadata() {
        assert_eq!(java_seconds(1_762_432_523_436), "1.762432523436E9");
        assert_eq!(java_seconds(1_762_432_523_000), "1.762432523E9");
        assert_eq!(
            http_date(1_762_432_523_436),
            "Thu, 06 Nov 2025 12:35:23 GMT"
        );
        let arn = "arn:aws:states:us-east-1:111111111111:execution:statemachine_create_and_record_execution_00000001:TestStartTarget";
        let r = StartExecutionResponse::new(arn.into(), 1_762_432_523_436).to_value();
        assert_eq!(r["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"], "161");
        assert_eq!(r["StartDate"], 1_762_432_523_436_i64);
        let id = r["SdkResponseMetadata"]["RequestId"].as_str().unwrap();
        assert_eq!(r["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"], id);
        assert_eq!(id.len(), 36);
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(validate_execution_name("ExecutionName").is_ok());
        assert!(validate_execution_name("a-b_c.d@e").is_ok());
        assert!(validate_execution_name("é").is_ok());
        assert!(validate_execution_name(&"x".repeat(80)).is_ok());
        for bad in ["", "a b", "a:b", "a/b", "a\u{1}", "a$", "{x}"] {
            assert!(validate_execution_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_execution_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn api_errors_in_tasks_look_like_the_java_sdk() {
        let f = ApiError::StateMachineDoesNotExist("arn:x".into()).task_failure("r-1");
        assert_eq!(
            f.error.as_deref(),
            Some("StepFunctions.StateMachineDoesNotExistException")
        );
        assert_eq!(
            f.cause.as_deref(),
            Some(
                "State Machine Does Not Exist: 'arn:x' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: r-1; Proxy: null)"
            )
        );
    }
}
