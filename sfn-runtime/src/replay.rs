//! Replaying recorded task results: the `task_stubs.json` files that accompany executions
//! recorded on AWS, so that a definition calling real services runs the same way offline.
//!
//! A recording lists, for each task the execution scheduled, the state that scheduled it and
//! the events that followed (`TaskStarted`, `TaskSubmitted`, `TaskSucceeded`, `TaskFailed`,
//! `TaskTimedOut` and their `LambdaFunction…`/`Activity…` forms). Each call of a state takes
//! that state's next recorded task.
//!
//! A recording of a distributed Map that reads its items from S3 lists instead the objects the
//! test put before it ran: `{"s3_objects_put_by_test": [{"Bucket", "Key", "Body"}]}`;
//! [`Replay::put_objects`] puts them into an [`Objects`] store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::driver::{TaskContext, TaskFuture, TaskHandler};
use crate::failure::Failure;
use crate::interp::TaskRequest;
use crate::objects::{ObjectError, Objects};
use sfn_core::{State, StateMachine, States};

/// A task handler that answers from a recording.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    by_state: Arc<Mutex<HashMap<String, VecDeque<Vec<Recorded>>>>>,
    /// The resource each state's task was scheduled with, as recorded.
    resources: HashMap<String, String>,
    /// Objects the recorded execution found in S3: bucket, key, content.
    objects: Vec<(String, String, String)>,
}

/// One recorded event after a task was scheduled.
#[derive(Debug, Clone, PartialEq)]
enum Recorded {
    Submitted(Value),
    Succeeded(Value),
    Failed(Failure),
    TimedOut,
}

/// A recording that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the task recording is not valid: {0}")]
pub struct ReplayError(String);

impl Replay {
    /// Reads a recording: a JSON array of `{"state", "results": [{"type", "details"}]}`, or an
    /// object `{"s3_objects_put_by_test": [{"Bucket", "Key", "Body"}]}` listing the objects
    /// the execution found in S3 (with the recorded tasks, if any, under `"tasks"`).
    pub fn from_json(value: &Value) -> Result<Replay, ReplayError> {
        if let Value::Object(members) = value {
            let mut replay = match members.get("tasks") {
                Some(tasks) => Replay::from_json(tasks)?,
                None => Replay::default(),
            };
            let objects = match members.get("s3_objects_put_by_test") {
                None => &Vec::new(),
                Some(Value::Array(objects)) => objects,
                Some(_) => {
                    return Err(ReplayError(
                        "`s3_objects_put_by_test` is not an array".into(),
                    ));
                }
            };
            for (i, o) in objects.iter().enumerate() {
                let text = |name: &str| {
                    o[name]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ReplayError(format!("object {i} has no `{name}` text")))
                };
                let body = match &o["Body"] {
                    Value::String(text) => text.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                replay.objects.push((text("Bucket")?, text("Key")?, body));
            }
            return Ok(replay);
        }
        let tasks = value.as_array().ok_or_else(|| {
            ReplayError(
                "expected a JSON array of recorded tasks, or an object with `s3_objects_put_by_test`"
                    .into(),
            )
        })?;
        let mut by_state: HashMap<String, VecDeque<Vec<Recorded>>> = HashMap::new();
        let mut resources = HashMap::new();
        for (i, task) in tasks.iter().enumerate() {
            let state = task["state"]
                .as_str()
                .ok_or_else(|| ReplayError(format!("task {i} has no `state`")))?;
            if let Some(resource) = task["request"]["resource"].as_str() {
                // A recording may have replaced an activity's or a function's ARN by a
                // placeholder name; its event type still says what it was.
                let resource = match task["scheduled_type"].as_str() {
                    _ if resource.starts_with("arn:") => resource.to_owned(),
                    Some("ActivityScheduled") => {
                        format!("arn:aws:states:<region>:<account>:activity:{resource}")
                    }
                    Some("LambdaFunctionScheduled") => {
                        format!("arn:aws:lambda:<region>:<account>:function:{resource}")
                    }
                    _ => resource.to_owned(),
                };
                resources.insert(state.to_owned(), resource);
            }
            let results = task["results"]
                .as_array()
                .ok_or_else(|| ReplayError(format!("task {i} has no `results`")))?;
            let events = results.iter().filter_map(recorded).collect();
            by_state
                .entry(state.to_owned())
                .or_default()
                .push_back(events);
        }
        Ok(Replay {
            by_state: Arc::new(Mutex::new(by_state)),
            resources,
            objects: Vec::new(),
        })
    }

    /// Puts the recorded resource in place of each placeholder resource (`<fixture:…>`, which
    /// the recorded deployment replaced) of the machine's Task states, so that each task
    /// records the events of its kind (`LambdaFunction…`, `Activity…`). Returns how many it
    /// replaced.
    pub fn deploy_resources(&self, machine: &mut StateMachine) -> usize {
        fn walk(states: &mut States, resources: &HashMap<String, String>) -> usize {
            let mut replaced = 0;
            for (name, state) in states.iter_mut() {
                match state {
                    State::Task(t) if t.resource.starts_with("<fixture:") => {
                        if let Some(r) = resources.get(name.as_str()) {
                            t.resource.clone_from(r);
                            replaced += 1;
                        }
                    }
                    State::Parallel(p) => {
                        for b in &mut p.branches {
                            replaced += walk(&mut b.states, resources);
                        }
                    }
                    State::Map(m) => {
                        for p in [&mut m.item_processor, &mut m.iterator]
                            .into_iter()
                            .flatten()
                        {
                            replaced += walk(&mut p.states, resources);
                        }
                    }
                    _ => {}
                }
            }
            replaced
        }
        walk(&mut machine.states, &self.resources)
    }

    /// Puts the objects the recorded execution found in S3 into `store`.
    pub fn put_objects(&self, store: &Objects) -> Result<(), ObjectError> {
        for (bucket, key, body) in &self.objects {
            store.put(bucket, key, body.as_bytes())?;
        }
        Ok(())
    }
}

/// Reads one recorded event; `…Started` events carry nothing to replay.
fn recorded(event: &Value) -> Option<Recorded> {
    let kind = event["type"].as_str()?;
    let details = &event["details"];
    let payload = |key: &str| match details[key].as_str() {
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
        None => details[key].clone(),
    };
    // Recorders store JSON causes parsed; the service sent them as text. Lambda functions
    // called by ARN pass on the Python runtime's own error document (`json.dumps` spacing);
    // integrations re-serialise compactly.
    let python = kind.starts_with("LambdaFunction");
    let text = |key: &str| match &details[key] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other if python => Some(python_json(other)),
        other => Some(other.to_string()),
    };
    if kind.ends_with("Submitted") {
        Some(Recorded::Submitted(payload("output")))
    } else if kind.ends_with("Succeeded") {
        Some(Recorded::Succeeded(payload("output")))
    } else if kind.ends_with("Failed") {
        Some(Recorded::Failed(Failure {
            error: text("error"),
            cause: text("cause"),
        }))
    } else if kind.ends_with("TimedOut") {
        Some(Recorded::TimedOut)
    } else {
        None
    }
}

impl TaskHandler for Replay {
    fn call(&self, request: TaskRequest, cx: TaskContext) -> TaskFuture {
        let next = self.by_state.lock().ok().and_then(|mut m| {
            m.get_mut(&*request.state_name)
                .and_then(VecDeque::pop_front)
        });
        Box::pin(async move {
            let Some(events) = next else {
                return Err(Failure::new(
                    "States.TaskFailed",
                    format!(
                        "the recording has no more tasks of the state `{}`",
                        request.state_name
                    ),
                ));
            };
            for event in events {
                match event {
                    Recorded::Submitted(output) => cx.submitted(output),
                    Recorded::Succeeded(output) => return Ok(output),
                    Recorded::Failed(failure) => return Err(failure),
                    // The task's own timeout ends it: the recording never answers.
                    Recorded::TimedOut => std::future::pending::<()>().await,
                }
            }
            std::future::pending().await
        })
    }
}

/// JSON text as Python's `json.dumps` writes it by default: `", "` and `": "` separators, and
/// every non-ASCII character escaped.
fn python_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    string(k, out);
                    out.push_str(": ");
                    write(item, out);
                }
                out.push('}');
            }
            Value::String(s) => string(s, out),
            other => out.push_str(&other.to_string()),
        }
    }
    fn string(s: &str, out: &mut String) {
        for c in Value::String(s.to_owned()).to_string().chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s3_objects_seed_a_store() {
        let recording = json!({"s3_objects_put_by_test": [
            {"Bucket": "b", "Key": "k.json", "Body": "[1]"}
        ]});
        let replay = Replay::from_json(&recording).unwrap();
        let store = Objects::new();
        replay.put_objects(&store).unwrap();
        assert_eq!(store.get("b", "k.json").unwrap(), b"[1]");
        assert!(Replay::from_json(&json!([])).is_ok());
        assert!(Replay::from_json(&json!({"s3_objects_put_by_test": [{"Bucket": "b"}]})).is_err());
        assert!(Replay::from_json(&json!(3)).is_err());
    }

    #[test]
    fn placeholder_resources_become_the_recorded_ones() {
        let machine = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "<fixture:create_activity()>", "Next": "Call"},
            "Call": {"Type": "Task", "Resource": "<fixture:create_lambda()>", "Next": "Keep"},
            "Keep": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}
        }}]}}});
        let mut machine = StateMachine::from_json_str(&machine.to_string()).unwrap();
        let recording = json!([
            {"state": "Work", "scheduled_type": "ActivityScheduled",
             "request": {"resource": "activity_arn"}, "results": []},
            {"state": "Call", "scheduled_type": "LambdaFunctionScheduled",
             "request": {"resource": "arn:aws:lambda:us-east-1:1:function:f"}, "results": []},
            {"state": "Keep", "request": {"resource": "other"}, "results": []}
        ]);
        let replay = Replay::from_json(&recording).unwrap();
        assert_eq!(replay.deploy_resources(&mut machine), 2);
        let State::Parallel(p) = &machine.states["P"] else {
            panic!("a Parallel")
        };
        let resource = |name: &str| match &p.branches[0].states[name] {
            State::Task(t) => t.resource.clone(),
            _ => panic!("a Task"),
        };
        assert_eq!(
            resource("Work"),
            "arn:aws:states:<region>:<account>:activity:activity_arn"
        );
        assert_eq!(resource("Call"), "arn:aws:lambda:us-east-1:1:function:f");
        assert_eq!(resource("Keep"), "arn:aws:states:::sqs:sendMessage");
    }

    #[test]
    fn python_spacing_and_escapes() {
        assert_eq!(
            python_json(&json!({"a": [1, "é"], "b": null})),
            r#"{"a": [1, "\u00e9"], "b": null}"#
        );
    }
}
