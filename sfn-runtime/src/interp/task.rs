//! Task states, and the retry and catch handling shared with Parallel and Map.

use std::sync::Arc;

use serde_json::{Value, json};
use sfn_core::{Catcher, JitterStrategy, Nullable, OrExpr, QueryLanguage, State, Task};

use super::pass::Produced;
use super::{Command, Execution, FrameId, Wait};
use crate::failure::{Failure, names};
use crate::history::{EventKind, TaskFamily, TaskRef, boxed};
use crate::history::{Payload, TaskResult};
use crate::plan::Node;

/// A task to run, as the interpreter hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    /// The state's `Resource`.
    pub resource: Arc<str>,
    /// The effective parameters (after `InputPath` and `Parameters`, or `Arguments`), shared
    /// with the history that records them.
    pub input: Payload,
    /// The state that runs the task.
    pub state_name: Arc<str>,
    /// The task token (`$$.Task.Token`).
    pub task_token: TaskToken,
    /// `Credentials`, evaluated.
    pub credentials: Option<Value>,
}

/// Seconds as task events record them (AWS's limits are far below `u32::MAX`).
fn seconds_u32(seconds: u64) -> Option<std::num::NonZeroU32> {
    std::num::NonZeroU32::new(u32::try_from(seconds).unwrap_or(u32::MAX))
}

/// A task token (`$$.Task.Token`): the execution, the state and the event that scheduled the
/// task. It is written out (`Display`) only where it is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskToken {
    /// The ARN of the execution that runs the task.
    pub execution_arn: Arc<str>,
    /// The state that runs the task.
    pub state: Arc<str>,
    /// The id of the task's `TaskScheduled` event.
    pub event: u64,
}

impl std::fmt::Display for TaskToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}#{}", self.execution_arn, self.state, self.event)
    }
}

/// What a running task needs when its answer comes back.
#[derive(Debug)]
pub(super) struct Attempt {
    task: Arc<TaskRef>,
    timeout_token: Option<u64>,
    /// `HeartbeatSeconds` and the token of the timer that fires when no heartbeat came.
    heartbeat: Option<(u64, u64)>,
}

impl Attempt {
    /// The token of the task's timeout timer, if it has one.
    pub(super) fn timeout_token(&self) -> Option<u64> {
        self.timeout_token
    }

    /// The token of the task's heartbeat timer, if it has one.
    pub(super) fn heartbeat_token(&self) -> Option<u64> {
        self.heartbeat.map(|(_, token)| token)
    }
}

/// Splits a resource ARN into the `resourceType` and `resource` of task events:
/// `arn:aws:states:::lambda:invoke` → (`lambda`, `invoke`),
/// `arn:aws:states:::aws-sdk:s3:getObject` → (`aws-sdk:s3`, `getObject`).
pub(crate) fn task_ref(resource: &str) -> TaskRef {
    let parts: Vec<&str> = resource.split(':').collect();
    let (family, resource_type, name) = match parts.as_slice() {
        ["arn", _, "states", "", "", "aws-sdk", service, api @ ..] => (
            TaskFamily::Task,
            format!("aws-sdk:{service}"),
            api.join(":"),
        ),
        ["arn", _, "states", "", "", service, api @ ..] => {
            (TaskFamily::Task, (*service).to_owned(), api.join(":"))
        }
        ["arn", _, "states", _, _, "activity", name] => (
            TaskFamily::Activity,
            "activity".to_owned(),
            (*name).to_owned(),
        ),
        ["arn", _, "lambda", _, _, "function", rest @ ..] => {
            (TaskFamily::Lambda, "lambda".to_owned(), rest.join(":"))
        }
        _ => (TaskFamily::Task, "unknown".to_owned(), resource.to_owned()),
    };
    TaskRef {
        family,
        arn: Arc::from(resource),
        resource_type,
        resource: name,
    }
}

impl Execution {
    pub(super) fn task(&mut self, fid: FrameId, node: &Node, s: &Task) {
        let task_token = TaskToken {
            execution_arn: self.info.execution_arn.clone(),
            state: node.name.clone(),
            event: self.history.len() as u64 + 1,
        };
        let task_ctx = || json!({"Token": task_token.to_string()});
        let raw = self.frames[fid].input.clone();
        let prepared = match node.language {
            QueryLanguage::JsonPath => (|| {
                let effective = self.input_path(fid, &raw, s.input_path.as_ref())?;
                let input = match &s.parameters {
                    Some(p) => {
                        Arc::new(self.payload(fid, p, &effective, Some(("Task", &task_ctx)))?)
                    }
                    None => effective.clone(),
                };
                let credentials = match &s.credentials {
                    Some(c) => Some(self.payload(fid, c, &effective, None)?),
                    None => None,
                };
                let timeout = match (&s.timeout_seconds, &s.timeout_seconds_path) {
                    (Some(OrExpr::Value(n)), _) => n.as_u64(),
                    (_, Some(p)) => {
                        Some(self.seconds_at(fid, p.as_path(), &effective, "TimeoutSecondsPath")?)
                    }
                    _ => None,
                };
                let heartbeat = match (&s.heartbeat_seconds, &s.heartbeat_seconds_path) {
                    (Some(OrExpr::Value(n)), _) => n.as_u64(),
                    (_, Some(p)) => Some(self.seconds_at(
                        fid,
                        p.as_path(),
                        &effective,
                        "HeartbeatSecondsPath",
                    )?),
                    _ => None,
                };
                Ok((input, credentials, timeout, heartbeat))
            })(),
            QueryLanguage::JsonAta => (|| {
                let mut states = self.states(fid, &raw, None, None);
                states["context"]["Task"] = task_ctx();
                let input = match &s.arguments {
                    Some(a) => Arc::new(self.jsonata_template(fid, a, &states, "Arguments")?),
                    None => raw.clone(),
                };
                let credentials = match &s.credentials {
                    Some(c) => Some(self.jsonata_template(fid, c, &states, "Credentials")?),
                    None => None,
                };
                let number = |v: &Value| v.as_u64().map(serde_json::Number::from);
                let timeout = match &s.timeout_seconds {
                    Some(t) => self
                        .jsonata_value(fid, t, &states, "TimeoutSeconds", number, "integer")?
                        .as_u64(),
                    None => None,
                };
                let heartbeat = match &s.heartbeat_seconds {
                    Some(h) => self
                        .jsonata_value(fid, h, &states, "HeartbeatSeconds", number, "integer")?
                        .as_u64(),
                    None => None,
                };
                Ok((input, credentials, timeout, heartbeat))
            })(),
        };
        let (input, credentials, timeout, heartbeat) = match prepared {
            Ok(p) => p,
            Err(f) => return self.failed(fid, f),
        };
        let task = match &node.task {
            Some(t) => t.clone(),
            None => Arc::new(task_ref(&s.resource)),
        };
        let resource_arn = task.arn.clone();
        self.record_in(
            fid,
            EventKind::TaskScheduled {
                task: task.clone(),
                region: self.info.machine.region.clone(),
                parameters: input.clone(),
                timeout: s
                    .timeout_seconds
                    .is_some()
                    .then_some(timeout)
                    .flatten()
                    .and_then(seconds_u32),
                heartbeat: s
                    .heartbeat_seconds
                    .is_some()
                    .then_some(heartbeat)
                    .flatten()
                    .and_then(seconds_u32),
            },
        );
        self.record_in(fid, EventKind::TaskStarted { task: task.clone() });
        let token = self.frame_token(fid);
        let timeout_token = timeout.map(|secs| {
            let t = self.frame_token(fid);
            let at = self.now
                + i64::try_from(secs)
                    .unwrap_or(i64::MAX / 1000)
                    .saturating_mul(1000);
            self.commands.push(Command::StartTimer { token: t, at });
            t
        });
        let heartbeat = heartbeat.map(|secs| (secs, self.heartbeat_timer(fid, secs)));
        self.frames[fid].wait = Wait::Task {
            token,
            attempt: Attempt {
                task,
                timeout_token,
                heartbeat,
            },
        };
        let request = TaskRequest {
            resource: resource_arn,
            input,
            state_name: node.name.clone(),
            task_token,
            credentials,
        };
        self.commands.push(Command::RunTask {
            token,
            request: Box::new(request),
        });
    }

    /// Reads a whole number of seconds from a `…SecondsPath`.
    fn seconds_at(
        &self,
        fid: FrameId,
        p: &sfn_core::path::Path,
        input: &Value,
        field: &str,
    ) -> Result<u64, Failure> {
        let value = self.select(fid, p, input)?;
        value.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            Failure::runtime(format!(
                "{}The {field} parameter references a value that is not a positive integer: {} == {value}",
                self.cause_prefix(fid),
                p.as_str()
            ))
        })
    }

    pub(super) fn task_succeeded(&mut self, fid: FrameId, result: TaskResult) {
        let Wait::Task { attempt, .. } = std::mem::replace(&mut self.frames[fid].wait, Wait::Ready)
        else {
            return;
        };
        for t in attempt
            .timeout_token
            .into_iter()
            .chain(attempt.heartbeat_token())
        {
            self.commands.push(Command::Cancel { token: t });
        }
        let plan = self.plan.clone();
        let f = &self.frames[fid];
        let node = Self::plan_node(&plan, f.block, f.state);
        let State::Task(s) = &node.state else { return };
        // Ok: the result, to shape as the state says. Err: the state's output already — a
        // `.sync`/`.sync:2` task that keeps only the child's `Output` (the usual
        // `"OutputPath": "$.Output"`) takes it as it is, without writing out the rest.
        let shaped = match &result {
            TaskResult::Execution(r)
                if node.language == QueryLanguage::JsonPath
                    && s.result_selector.is_none()
                    && s.assign.is_none()
                    && s.result_path.is_none()
                    && matches!(&s.output_path, Some(Nullable::Value(p)) if p.as_str() == "$.Output") =>
            {
                Err(r.output_member())
            }
            _ => Ok(result.to_payload()),
        };
        self.record_in(
            fid,
            EventKind::TaskSucceeded {
                task: attempt.task,
                output: result,
            },
        );
        let result = match shaped {
            Ok(result) => result,
            Err(output) => return self.exit(fid, output, None, node.next),
        };
        let raw = self.frames[fid].input.clone();
        let produced = match node.language {
            QueryLanguage::JsonPath => self.result_jsonpath(
                fid,
                &raw,
                result,
                s.result_selector.as_ref(),
                s.assign.as_ref(),
                s.result_path.as_ref(),
                s.output_path.as_ref(),
            ),
            QueryLanguage::JsonAta => self.shape_jsonata(
                fid,
                &raw,
                Some(&result),
                s.output.as_ref(),
                s.assign.as_ref(),
            ),
        };
        match produced {
            Ok((output, assigned)) => self.exit(fid, output, assigned, node.next),
            Err(f) => self.failed(fid, f),
        }
    }

    /// Starts a heartbeat timer of `seconds`.
    fn heartbeat_timer(&mut self, fid: FrameId, seconds: u64) -> u64 {
        let token = self.frame_token(fid);
        let at = self.now
            + i64::try_from(seconds)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000);
        self.commands.push(Command::StartTimer { token, at });
        token
    }

    /// The task sent a heartbeat: its heartbeat timer starts again.
    pub(super) fn task_heartbeat(&mut self, fid: FrameId) {
        let Wait::Task { attempt, .. } = &self.frames[fid].wait else {
            return;
        };
        let Some((seconds, old)) = attempt.heartbeat else {
            return;
        };
        self.commands.push(Command::Cancel { token: old });
        let new = self.heartbeat_timer(fid, seconds);
        if let Wait::Task { attempt, .. } = &mut self.frames[fid].wait {
            attempt.heartbeat = Some((seconds, new));
        }
    }

    /// The task's service accepted the request (`.sync`, `.waitForTaskToken`): `TaskSubmitted`.
    pub(super) fn task_submitted(&mut self, fid: FrameId, output: TaskResult) {
        let Wait::Task { attempt, .. } = &self.frames[fid].wait else {
            return;
        };
        let task = attempt.task.clone();
        self.record_in(fid, EventKind::TaskSubmitted { task, output });
    }

    pub(super) fn task_failed(&mut self, fid: FrameId, failure: Failure) {
        let Wait::Task { attempt, .. } = std::mem::replace(&mut self.frames[fid].wait, Wait::Ready)
        else {
            return;
        };
        for t in attempt
            .timeout_token
            .into_iter()
            .chain(attempt.heartbeat_token())
        {
            self.commands.push(Command::Cancel { token: t });
        }
        self.record_in(
            fid,
            EventKind::TaskFailed {
                task: attempt.task,
                error: boxed(&failure.error),
                cause: boxed(&failure.cause),
            },
        );
        self.failed(fid, failure);
    }

    /// The task's `TimeoutSeconds` passed.
    pub(super) fn task_timed_out(&mut self, fid: FrameId) {
        let Wait::Task { token, attempt } =
            std::mem::replace(&mut self.frames[fid].wait, Wait::Ready)
        else {
            return;
        };
        self.commands.push(Command::Cancel { token });
        let failure = Failure {
            error: Some(names::TIMEOUT.to_owned()),
            cause: None,
        };
        self.record_in(
            fid,
            EventKind::TaskTimedOut {
                task: attempt.task,
                error: boxed(&failure.error),
                cause: None,
            },
        );
        self.failed(fid, failure);
    }

    /// `ResultSelector`, `Assign` (on the raw result), `ResultPath` and `OutputPath`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn result_jsonpath(
        &mut self,
        fid: FrameId,
        raw: &Payload,
        result: Payload,
        selector: Option<&sfn_core::template::Template>,
        assign: Option<&sfn_core::template::Template>,
        result_path: Option<&Nullable<sfn_core::path::ReferencePath>>,
        output_path: Option<&Nullable<sfn_core::path::Path>>,
    ) -> Result<Produced, Failure> {
        let assigned = match assign {
            Some(a) => Some(self.assign_jsonpath(fid, a, &result)?),
            None => None,
        };
        let selected = match selector {
            Some(t) => Arc::new(self.payload(fid, t, &result, None)?),
            None => result,
        };
        let output = self.result_path(fid, raw, selected, result_path)?;
        Ok((self.output_path(fid, output, output_path)?, assigned))
    }

    /// The delay before the next retry, when a retrier handles `failure` and has attempts left.
    pub(super) fn retry_delay(
        &mut self,
        fid: FrameId,
        node: &Node,
        failure: &Failure,
    ) -> Option<i64> {
        let retriers = node.state.retriers();
        let i = retriers
            .iter()
            .position(|r| failure.matches(&r.error_equals))?;
        let r = &retriers[i];
        let attempts = self.frames[fid].retries[i];
        let max = r
            .max_attempts
            .as_ref()
            .and_then(serde_json::Number::as_u64)
            .unwrap_or(3);
        if u64::from(attempts) >= max {
            return None;
        }
        self.frames[fid].retries[i] += 1;
        let interval = r
            .interval_seconds
            .as_ref()
            .and_then(serde_json::Number::as_f64)
            .unwrap_or(1.0);
        let backoff = r
            .backoff_rate
            .as_ref()
            .and_then(serde_json::Number::as_f64)
            .unwrap_or(2.0);
        let mut delay = interval * backoff.powi(i32::try_from(attempts).unwrap_or(i32::MAX));
        if let Some(max_delay) = r
            .max_delay_seconds
            .as_ref()
            .and_then(serde_json::Number::as_f64)
        {
            delay = delay.min(max_delay);
        }
        if r.jitter_strategy == Some(JitterStrategy::Full) {
            delay *= self.random_fraction();
        }
        #[allow(clippy::cast_possible_truncation)]
        Some((delay * 1000.0) as i64)
    }

    /// A deterministic pseudo-random number in [0, 1), from the execution's token counter.
    fn random_fraction(&mut self) -> f64 {
        let mut x = self.token().wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 31;
        #[allow(clippy::cast_precision_loss)]
        let f = (x >> 11) as f64 / (1u64 << 53) as f64;
        f
    }

    /// What a catcher passes on: the error output placed by `ResultPath` (JSONPath) or its
    /// `Output` (JSONata), and its `Assign`.
    pub(super) fn catch_output(
        &mut self,
        fid: FrameId,
        node: &Node,
        c: &Catcher,
        failure: &Failure,
    ) -> Result<Produced, Failure> {
        let raw = self.frames[fid].input.clone();
        let error_output = Arc::new(failure.output());
        match node.language {
            QueryLanguage::JsonPath => {
                let assigned = match &c.assign {
                    Some(a) => Some(self.assign_jsonpath(fid, a, &error_output)?),
                    None => None,
                };
                let output = self.result_path(fid, &raw, error_output, c.result_path.as_ref())?;
                Ok((output, assigned))
            }
            QueryLanguage::JsonAta => {
                let states = self.states(fid, &raw, None, Some(&error_output));
                let assigned = match &c.assign {
                    Some(a) => Some(self.assign_jsonata(fid, a, &states)?),
                    None => None,
                };
                let output = match &c.output {
                    Some(o) => Arc::new(self.jsonata_template(fid, o, &states, "Output")?),
                    None => error_output,
                };
                Ok((output, assigned))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_split_as_aws_reports_them() {
        let r = task_ref("arn:aws:states:::lambda:invoke");
        assert_eq!(
            (r.resource_type.as_str(), r.resource.as_str()),
            ("lambda", "invoke")
        );
        let r = task_ref("arn:aws:states:::states:startExecution.sync:2");
        assert_eq!(
            (r.resource_type.as_str(), r.resource.as_str()),
            ("states", "startExecution.sync:2")
        );
        let r = task_ref("arn:aws:states:::aws-sdk:s3:getObject");
        assert_eq!(
            (r.resource_type.as_str(), r.resource.as_str()),
            ("aws-sdk:s3", "getObject")
        );
    }
}
