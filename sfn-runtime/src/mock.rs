//! Mocked task responses in the format of AWS Step Functions Local's `MockConfigFile`:
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "Orders": { "TestCases": { "HappyPath": { "Charge": "ChargeOk" } } }
//!   },
//!   "MockedResponses": {
//!     "ChargeOk": {
//!       "0-1": { "Throw": { "Error": "Lambda.TooManyRequestsException", "Cause": "busy" } },
//!       "2": { "Return": { "StatusCode": 200, "Payload": { "charged": true } } }
//!     }
//!   }
//! }
//! ```
//!
//! A test case maps state names to mocked responses; a response answers each invocation of its
//! state (counted from 0, retries included) by `Return`ing a result or `Throw`ing an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::driver::{TaskContext, TaskFuture, TaskHandler};
use crate::failure::Failure;
use crate::interp::TaskRequest;

/// The mocked responses of one test case: a task handler.
#[derive(Debug, Clone)]
pub struct Mocks {
    by_state: Arc<HashMap<String, Vec<Answer>>>,
    invocations: Arc<Mutex<HashMap<String, u64>>>,
}

/// The answer to invocations `from..=to` of a state.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    from: u64,
    to: u64,
    result: Result<Value, Failure>,
}

/// A mock configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mock configuration: {0}")]
pub struct MockError(String);

impl Mocks {
    /// The test case `test_case` of the state machine `state_machine` in a `MockConfigFile`.
    pub fn from_config(
        config: &Value,
        state_machine: &str,
        test_case: &str,
    ) -> Result<Mocks, MockError> {
        let err = |m: String| MockError(m);
        let machines = config["StateMachines"]
            .as_object()
            .ok_or_else(|| err("`StateMachines` must be an object".into()))?;
        let machine = machines.get(state_machine).ok_or_else(|| {
            let known: Vec<&str> = machines.keys().map(String::as_str).collect();
            err(format!(
                "no state machine `{state_machine}` in `StateMachines` (it has: {})",
                known.join(", ")
            ))
        })?;
        let cases = machine["TestCases"]
            .as_object()
            .ok_or_else(|| err(format!("`{state_machine}` has no `TestCases` object")))?;
        let case = cases
            .get(test_case)
            .and_then(Value::as_object)
            .ok_or_else(|| {
                let known: Vec<&str> = cases.keys().map(String::as_str).collect();
                err(format!(
                    "`{state_machine}` has no test case `{test_case}` (it has: {})",
                    known.join(", ")
                ))
            })?;
        let responses = config["MockedResponses"]
            .as_object()
            .ok_or_else(|| err("`MockedResponses` must be an object".into()))?;
        let mut by_state = HashMap::new();
        for (state, response) in case {
            let name = response
                .as_str()
                .ok_or_else(|| err(format!("the test case maps `{state}` to a non-string")))?;
            let response = responses
                .get(name)
                .and_then(Value::as_object)
                .ok_or_else(|| err(format!("no mocked response `{name}` (used by `{state}`)")))?;
            let mut answers = Vec::new();
            for (range, answer) in response {
                let (from, to) = parse_range(range).ok_or_else(|| {
                    err(format!("`{name}` has the invocation key `{range}`; write a number (`0`) or a range (`1-3`)"))
                })?;
                answers.push(Answer {
                    from,
                    to,
                    result: parse_answer(answer)
                        .map_err(|m| err(format!("`{name}`.`{range}`: {m}")))?,
                });
            }
            by_state.insert(state.clone(), answers);
        }
        Ok(Mocks {
            by_state: Arc::new(by_state),
            invocations: Arc::default(),
        })
    }

    /// Whether the test case mocks this state.
    pub fn mocks(&self, state: &str) -> bool {
        self.by_state.contains_key(state)
    }
}

fn parse_range(key: &str) -> Option<(u64, u64)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => {
            let n = key.trim().parse().ok()?;
            Some((n, n))
        }
    }
}

fn parse_answer(answer: &Value) -> Result<Result<Value, Failure>, String> {
    if let Some(value) = answer.get("Return") {
        return Ok(Ok(value.clone()));
    }
    if let Some(throw) = answer.get("Throw") {
        let text = |k: &str| throw.get(k).and_then(Value::as_str).map(str::to_owned);
        return Ok(Err(Failure {
            error: text("Error"),
            cause: text("Cause"),
        }));
    }
    Err("an answer is `{\"Return\": …}` or `{\"Throw\": {\"Error\": …, \"Cause\": …}}`".into())
}

impl TaskHandler for Mocks {
    fn call(&self, request: TaskRequest, _: TaskContext) -> TaskFuture {
        let n = {
            let mut counts = self
                .invocations
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = counts.entry(request.state_name.to_string()).or_insert(0);
            *count += 1;
            *count - 1
        };
        let answer = self
            .by_state
            .get(&*request.state_name)
            .and_then(|answers| answers.iter().find(|a| (a.from..=a.to).contains(&n)))
            .map(|a| a.result.clone());
        Box::pin(async move {
            answer.unwrap_or_else(|| {
                Err(Failure::new(
                    "States.TaskFailed",
                    format!(
                        "the mock configuration has no answer for invocation {n} of the state `{}`",
                        request.state_name
                    ),
                ))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(state: &str) -> TaskRequest {
        TaskRequest {
            resource: "arn:aws:states:::lambda:invoke".into(),
            input: json!({}).into(),
            state_name: state.into(),
            task_token: crate::interp::TaskToken {
                execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:e".into(),
                state: state.into(),
                event: 2,
            },
            credentials: None,
        }
    }

    #[tokio::test]
    async fn invocations_are_answered_in_order() {
        let config = json!({
            "StateMachines": {"M": {"TestCases": {"Retry": {"Charge": "Flaky"}}}},
            "MockedResponses": {"Flaky": {
                "0-1": {"Throw": {"Error": "Busy", "Cause": "try again"}},
                "2": {"Return": {"ok": true}}
            }}
        });
        let mocks = Mocks::from_config(&config, "M", "Retry").unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let cx = || TaskContext::for_tests(tx.clone());
        for _ in 0..2 {
            let err = mocks.call(request("Charge"), cx()).await.unwrap_err();
            assert_eq!(err.error.as_deref(), Some("Busy"));
        }
        assert_eq!(
            mocks.call(request("Charge"), cx()).await.unwrap(),
            json!({"ok": true})
        );
        assert!(mocks.call(request("Charge"), cx()).await.is_err());
        assert!(mocks.mocks("Charge") && !mocks.mocks("Other"));
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        let config = json!({"StateMachines": {"M": {"TestCases": {"A": {"S": "Missing"}}}}, "MockedResponses": {}});
        let err = Mocks::from_config(&config, "M", "A").unwrap_err();
        assert!(
            err.to_string().contains("no mocked response `Missing`"),
            "{err}"
        );
        let err = Mocks::from_config(&config, "M", "B").unwrap_err();
        assert!(err.to_string().contains("no test case `B`"), "{err}");
    }
}
