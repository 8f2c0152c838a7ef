//! Nested executions on the [`Runtime`]: the seed examples (ASL-NOTES §10, DSL.md §5) with a
//! real `HelloWorld` child, for every integration pattern and every way a child ends;
//! callbacks; idempotent names; stop propagation; the API's errors. Time is virtual.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use sfn_core::StateMachine;
use sfn_runtime::Runtime;
use sfn_runtime::clock::Clock;
use sfn_runtime::driver::{TaskContext, TaskFuture, Tasks};
use sfn_runtime::executions::{ApiError, ExecutionDescription, ExecutionStatus};
use sfn_runtime::interp::TaskRequest;
use sfn_runtime::runtime::{RuntimeError, StartExecution};

const START: i64 = 1_700_000_000_000;
const HELLO: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld";
const PARENT: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Parent";

fn machine(definition: Value) -> StateMachine {
    StateMachine::from_value(&definition).expect("a valid definition")
}

/// How the `HelloWorld` child ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Succeeds,
    Fails,
    TimesOut,
    IsAborted,
    DoesNotExist,
}

const CHILDREN: [Child; 5] = [
    Child::Succeeds,
    Child::Fails,
    Child::TimesOut,
    Child::IsAborted,
    Child::DoesNotExist,
];

fn hello_world(child: Child) -> Option<Value> {
    Some(match child {
        Child::Succeeds => json!({"StartAt": "SayHello", "States": {
            "SayHello": {"Type": "Pass", "Result": {"MyKey": "MyValue"}, "End": true}}}),
        Child::Fails => json!({"StartAt": "Fail", "States": {
            "Fail": {"Type": "Fail", "Error": "SomeFailure", "Cause": "It failed."}}}),
        Child::TimesOut => json!({"TimeoutSeconds": 5, "StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": 60, "End": true}}}),
        Child::IsAborted => json!({"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
        Child::DoesNotExist => return None,
    })
}

/// The seed examples: one Task state each, exactly as the seed document writes them.
fn seed(example: &str) -> Value {
    let (suffix, input) = match example {
        "sync2" => (".sync:2", json!({"Comment": "Hello world!"})),
        "sync" => (".sync", json!({"Comment": "Hello world!"})),
        "request_response" => ("", json!({"Comment": "Hello world!"})),
        "wait_for_task_token" => (
            ".waitForTaskToken",
            json!({"Comment": "Hello world!", "token.$": "$$.Task.Token"}),
        ),
        "sync_associate" => (
            ".sync",
            json!({"Comment": "Hello world!", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}),
        ),
        other => panic!("no seed example {other}"),
    };
    json!({"StartAt": "Start", "States": {"Start": {
        "Type": "Task",
        "Resource": format!("arn:aws:states:::states:startExecution{suffix}"),
        "Parameters": {
            "Input": input,
            "StateMachineArn": HELLO,
            "Name": "ExecutionName"
        },
        "End": true
    }}})
}

fn runtime(parent: Value, child: Option<Value>, tasks: Tasks) -> Runtime {
    let mut b = Runtime::builder()
        .clock(Clock::Virtual { start: START })
        .tasks(tasks)
        .machine(PARENT, machine(parent));
    if let Some(c) = child {
        b = b.machine("HelloWorld", machine(c));
    }
    b.build().expect("the runtime builds")
}

fn start(rt: &Runtime) -> String {
    rt.start_execution(StartExecution::new(PARENT).name("parent-run"))
        .expect("the parent starts")
        .execution_arn
}

fn child_arn() -> String {
    "arn:aws:states:us-east-1:123456789012:execution:HelloWorld:ExecutionName".to_owned()
}

/// Runs the parent; aborts the child after a second when asked to.
async fn run_parent(rt: &Runtime, child: Child) -> Result<ExecutionDescription, RuntimeError> {
    let parent = start(rt);
    if child == Child::IsAborted {
        rt.advance(1_000).await;
        rt.stop_execution(&child_arn(), Some("Stopped"), Some("by the test"))
            .expect("the child runs");
    }
    rt.wait(&parent).await
}

fn event_types(rt: &Runtime, arn: &str) -> Vec<String> {
    rt.get_execution_history(arn, false)
        .unwrap()
        .iter()
        .map(|e| e.kind.type_name())
        .collect()
}

fn history_json(rt: &Runtime, arn: &str) -> Vec<Value> {
    rt.get_execution_history(arn, false)
        .unwrap()
        .iter()
        .map(|e| e.to_json())
        .collect()
}

fn expected_child_status(child: Child) -> ExecutionStatus {
    match child {
        Child::Succeeds => ExecutionStatus::Succeeded,
        Child::Fails => ExecutionStatus::Failed,
        Child::TimesOut => ExecutionStatus::TimedOut,
        Child::IsAborted => ExecutionStatus::Aborted,
        Child::DoesNotExist => unreachable!(),
    }
}

fn assert_does_not_exist(d: &ExecutionDescription) {
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        d.error.as_deref(),
        Some("StepFunctions.StateMachineDoesNotExistException")
    );
    let cause = d.cause.as_deref().unwrap();
    assert!(
        cause.starts_with(&format!("State Machine Does Not Exist: '{HELLO}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ")),
        "{cause}"
    );
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
}

/// `.sync` and `.sync:2` (and `sync_associate`): the parent waits for the child and succeeds
/// with its description, or fails with `States.TaskFailed` and the description as the cause.
async fn sync_pattern(example: &str, parsed: bool) {
    for child in CHILDREN {
        let rt = runtime(seed(example), hello_world(child), Tasks::new());
        let d = run_parent(&rt, child).await.expect("the parent ends");
        if child == Child::DoesNotExist {
            assert_does_not_exist(&d);
            continue;
        }
        let parent = d.execution_arn.clone();
        let c = rt.describe_execution(&child_arn()).unwrap();
        assert_eq!(
            c.status,
            expected_child_status(child),
            "{example} {child:?}"
        );
        let resource = if parsed {
            "startExecution.sync:2"
        } else {
            "startExecution.sync"
        };
        let history = history_json(&rt, &parent);
        assert_eq!(
            history[2]["taskScheduledEventDetails"]["resourceType"],
            "states"
        );
        assert_eq!(
            history[2]["taskScheduledEventDetails"]["resource"],
            resource
        );
        let submitted = &history[4]["taskSubmittedEventDetails"];
        assert_eq!(history[4]["type"], "TaskSubmitted");
        let response: Value = serde_json::from_str(submitted["output"].as_str().unwrap()).unwrap();
        assert_eq!(response["ExecutionArn"], child_arn());
        assert_eq!(response["SdkHttpMetadata"]["HttpStatusCode"], 200);
        assert!(response["SdkResponseMetadata"]["RequestId"].is_string());
        if child == Child::Succeeds {
            assert_eq!(d.status, ExecutionStatus::Succeeded, "{example}");
            let out = d.output.unwrap();
            assert_eq!(out["Status"], "SUCCEEDED");
            assert_eq!(out["Name"], "ExecutionName");
            assert_eq!(out["StateMachineArn"], HELLO);
            assert_eq!(out["ExecutionArn"], child_arn());
            assert_eq!(out["StartDate"], START);
            assert_eq!(out["StopDate"], START);
            assert_eq!(out["InputDetails"], json!({"Included": true}));
            assert_eq!(out["RedriveStatus"], "NOT_REDRIVABLE");
            if parsed {
                assert_eq!(out["Output"], json!({"MyKey": "MyValue"}));
                assert_eq!(out["Input"]["Comment"], "Hello world!");
            } else {
                assert_eq!(out["Output"], "{\"MyKey\":\"MyValue\"}");
                let input: Value = serde_json::from_str(out["Input"].as_str().unwrap()).unwrap();
                assert_eq!(input["Comment"], "Hello world!");
            }
            assert_eq!(
                event_types(&rt, &parent),
                [
                    "ExecutionStarted",
                    "TaskStateEntered",
                    "TaskScheduled",
                    "TaskStarted",
                    "TaskSubmitted",
                    "TaskSucceeded",
                    "TaskStateExited",
                    "ExecutionSucceeded"
                ]
            );
        } else {
            assert_eq!(d.status, ExecutionStatus::Failed, "{example} {child:?}");
            assert_eq!(d.error.as_deref(), Some("States.TaskFailed"));
            let cause: Value = serde_json::from_str(d.cause.as_deref().unwrap()).unwrap();
            assert_eq!(cause["Status"], expected_child_status(child).as_str());
            assert_eq!(cause["ExecutionArn"], child_arn());
            assert!(cause.get("Output").is_none());
            assert!(cause["Input"].is_string());
            match child {
                Child::Fails => {
                    assert_eq!(cause["Error"], "SomeFailure");
                    assert_eq!(cause["Cause"], "It failed.");
                    assert_eq!(cause["StopDate"], START);
                }
                Child::TimesOut => {
                    assert!(cause.get("Error").is_none());
                    assert_eq!(cause["StopDate"], START + 5_000);
                }
                Child::IsAborted => {
                    assert_eq!(cause["Error"], "Stopped");
                    assert_eq!(cause["Cause"], "by the test");
                    assert_eq!(cause["StopDate"], START + 1_000);
                }
                _ => {}
            }
            assert_eq!(
                event_types(&rt, &parent),
                [
                    "ExecutionStarted",
                    "TaskStateEntered",
                    "TaskScheduled",
                    "TaskStarted",
                    "TaskSubmitted",
                    "TaskFailed",
                    "ExecutionFailed"
                ]
            );
        }
    }
}

#[tokio::test]
async fn sync2_for_every_child_outcome() {
    sync_pattern("sync2", true).await;
}

#[tokio::test]
async fn sync_for_every_child_outcome() {
    sync_pattern("sync", false).await;
}

#[tokio::test]
async fn sync_associate_links_the_child_to_its_parent() {
    sync_pattern("sync_associate", false).await;
    let rt = runtime(
        seed("sync_associate"),
        hello_world(Child::Succeeds),
        Tasks::new(),
    );
    let parent = start(&rt);
    rt.wait(&parent).await.unwrap();
    let c = rt.describe_execution(&child_arn()).unwrap();
    assert_eq!(c.started_by.as_deref(), Some(parent.as_str()));
    assert_eq!(
        c.input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
        parent
    );
    assert_eq!(c.to_json()["startedByExecutionArn"], parent);
    assert_eq!(
        rt.parent(&child_arn()).unwrap().as_deref(),
        Some(parent.as_str())
    );
    assert_eq!(rt.children(&parent).unwrap(), [child_arn()]);
    let tree = rt.execution_tree(&parent).unwrap();
    assert!(tree.starts_with("parent-run SUCCEEDED (0 ms)"), "{tree}");
    assert!(tree.contains("└─ ExecutionName SUCCEEDED (0 ms)"), "{tree}");
}

#[tokio::test]
async fn request_response_starts_the_child_and_goes_on() {
    for child in CHILDREN {
        let rt = runtime(seed("request_response"), hello_world(child), Tasks::new());
        let parent = start(&rt);
        let d = rt.wait(&parent).await.unwrap();
        if child == Child::DoesNotExist {
            assert_does_not_exist(&d);
            continue;
        }
        assert_eq!(d.status, ExecutionStatus::Succeeded, "{child:?}");
        let out = d.output.unwrap();
        assert_eq!(out["ExecutionArn"], child_arn());
        assert_eq!(out["StartDate"], START);
        let headers = &out["SdkHttpMetadata"]["HttpHeaders"];
        assert_eq!(headers["Content-Type"], "application/x-amz-json-1.0");
        assert_eq!(
            out["SdkHttpMetadata"]["AllHttpHeaders"]["x-amzn-RequestId"][0],
            out["SdkResponseMetadata"]["RequestId"]
        );
        assert_eq!(
            event_types(&rt, &parent),
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        // The child runs on by itself.
        if child == Child::IsAborted {
            rt.advance(1_000).await;
            rt.stop_execution(&child_arn(), None, None).unwrap();
        }
        rt.run_until_idle().await;
        let c = rt.describe_execution(&child_arn()).unwrap();
        assert_eq!(c.status, expected_child_status(child), "{child:?}");
    }
}

#[tokio::test]
async fn wait_for_task_token_waits_for_whoever_holds_the_token() {
    for child in CHILDREN {
        let rt = runtime(
            seed("wait_for_task_token"),
            hello_world(child),
            Tasks::new(),
        );
        let parent = start(&rt);
        if child == Child::DoesNotExist {
            assert_does_not_exist(&rt.wait(&parent).await.unwrap());
            continue;
        }
        if child == Child::IsAborted {
            rt.advance(1_000).await;
            rt.stop_execution(&child_arn(), None, None).unwrap();
        }
        // However the child ends, the parent waits for its token.
        let idle = match rt.wait(&parent).await {
            Err(RuntimeError::Idle(idle)) => idle,
            other => panic!("{child:?}: expected the parent to wait, got {other:?}"),
        };
        assert_eq!(idle.waiting.len(), 1);
        assert_eq!(idle.waiting[0].execution_arn, parent);
        assert_eq!(idle.waiting[0].state_name, "Start");
        let message = RuntimeError::Idle(idle.clone()).to_string();
        assert!(message.contains(&idle.waiting[0].task_token), "{message}");
        let c = rt.describe_execution(&child_arn()).unwrap();
        assert_eq!(c.status, expected_child_status(child), "{child:?}");
        // The child got the token in its input.
        let token = c.input["token"].as_str().unwrap().to_owned();
        assert_eq!(token, idle.waiting[0].task_token);
        rt.send_task_success(&token, r#"{"answer": 42}"#).unwrap();
        let d = rt.wait(&parent).await.unwrap();
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        assert_eq!(d.output, Some(json!({"answer": 42})));
        assert_eq!(
            event_types(&rt, &parent),
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSubmitted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        let history = history_json(&rt, &parent);
        assert_eq!(
            history[2]["taskScheduledEventDetails"]["resource"],
            "startExecution.waitForTaskToken"
        );
        // A used token is gone.
        assert_eq!(
            rt.send_task_success(&token, "{}"),
            Err(ApiError::TaskTimedOut)
        );
    }
}

fn callback_parent(heartbeat: Option<u64>, timeout: Option<u64>) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {
            "Input": {"token.$": "$$.Task.Token"},
            "StateMachineArn": HELLO,
            "Name": "ExecutionName"
        },
        "End": true
    });
    if let Some(h) = heartbeat {
        task["HeartbeatSeconds"] = json!(h);
    }
    if let Some(t) = timeout {
        task["TimeoutSeconds"] = json!(t);
    }
    json!({"StartAt": "Start", "States": {"Start": task}})
}

fn waiting_token(rt: &Runtime) -> String {
    let waiting = rt.waiting_tasks();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    waiting[0].task_token.clone()
}

#[tokio::test]
async fn callback_failure_fails_the_task_with_the_given_error() {
    let rt = runtime(
        callback_parent(None, None),
        hello_world(Child::Succeeds),
        Tasks::new(),
    );
    let parent = start(&rt);
    rt.run_until_idle().await;
    let token = waiting_token(&rt);
    rt.send_task_failure(&token, Some("Rejected"), Some("not today"))
        .unwrap();
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("Rejected"));
    assert_eq!(d.cause.as_deref(), Some("not today"));
    assert!(event_types(&rt, &parent).contains(&"TaskFailed".to_owned()));
}

#[tokio::test]
async fn heartbeats_keep_a_callback_alive_until_they_stop() {
    let rt = runtime(
        callback_parent(Some(10), Some(100)),
        hello_world(Child::Succeeds),
        Tasks::new(),
    );
    let parent = start(&rt);
    // Runs what can run without letting time pass (the heartbeat timer is set).
    rt.advance(0).await;
    let token = waiting_token(&rt);
    // Two heartbeats 8 s apart keep it alive past its first 10 s.
    rt.advance(8_000).await;
    rt.send_task_heartbeat(&token).unwrap();
    rt.advance(8_000).await;
    rt.send_task_heartbeat(&token).unwrap();
    rt.advance(8_000).await;
    assert_eq!(
        rt.describe_execution(&parent).unwrap().status,
        ExecutionStatus::Running
    );
    // Then none: 10 s after the last one, the task times out.
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.Timeout"));
    assert_eq!(d.stop_date, Some(START + 26_000));
    let types = event_types(&rt, &parent);
    assert_eq!(types[types.len() - 2], "TaskTimedOut");
    assert_eq!(rt.send_task_heartbeat(&token), Err(ApiError::TaskTimedOut));
}

#[tokio::test]
async fn a_callback_times_out_after_its_timeout_seconds() {
    let rt = runtime(
        callback_parent(None, Some(30)),
        hello_world(Child::Succeeds),
        Tasks::new(),
    );
    let parent = start(&rt);
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.error.as_deref(), Some("States.Timeout"));
    assert_eq!(d.stop_date, Some(START + 30_000));
}

#[tokio::test]
async fn tokens_that_are_not_a_running_task_get_aws_errors() {
    let rt = runtime(
        callback_parent(None, None),
        hello_world(Child::Succeeds),
        Tasks::new(),
    );
    let parent = start(&rt);
    rt.run_until_idle().await;
    let token = waiting_token(&rt);
    assert_eq!(
        rt.send_task_success("garbage", "{}"),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(rt.send_task_heartbeat(""), Err(ApiError::InvalidToken));
    let unknown = format!("{parent}#Start#99");
    assert_eq!(
        rt.send_task_success(&unknown, "{}"),
        Err(ApiError::TaskDoesNotExist)
    );
    assert!(matches!(
        rt.send_task_success(&token, "not json"),
        Err(ApiError::InvalidOutput(_))
    ));
    rt.send_task_success(&token, "\"done\"").unwrap();
    assert_eq!(
        rt.send_task_failure(&token, None, None),
        Err(ApiError::TaskTimedOut)
    );
    assert_eq!(rt.wait(&parent).await.unwrap().output, Some(json!("done")));
}

/// A child that calls `SendTaskSuccess` with its parent's `.sync` token ends the parent's
/// task early with that payload (recorded on AWS).
#[tokio::test]
async fn a_sync_task_ends_early_when_its_token_is_answered() {
    let rt_cell: Arc<OnceLock<Runtime>> = Arc::new(OnceLock::new());
    let cell = rt_cell.clone();
    let mut tasks = Tasks::new();
    tasks.register(
        "arn:aws:states:::lambda:invoke",
        move |request: TaskRequest, _cx: TaskContext| -> TaskFuture {
            let rt = cell.get().unwrap().clone();
            Box::pin(async move {
                let token = request.input["Payload"]["token"].as_str().unwrap();
                rt.send_task_success(token, "\"SQS_SEND_MESSAGE_AND_WAIT\"")
                    .unwrap();
                Ok(json!({}))
            })
        },
    );
    let parent_def = json!({"StartAt": "Start", "States": {"Start": {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"Input": {"token.$": "$$.Task.Token"}, "StateMachineArn": HELLO},
        "End": true}}});
    let child_def = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"Payload.$": "$"}, "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 600, "End": true}}});
    let rt = runtime(parent_def, Some(child_def), tasks);
    rt_cell.set(rt.clone()).unwrap();
    let parent = start(&rt);
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output, Some(json!("SQS_SEND_MESSAGE_AND_WAIT")));
    assert_eq!(d.stop_date, Some(START));
    // The child goes on to its end.
    let child = rt.children(&parent).unwrap().remove(0);
    assert_eq!(
        rt.describe_execution(&child).unwrap().status,
        ExecutionStatus::Running
    );
    let c = rt.wait(&child).await.unwrap();
    assert_eq!(c.status, ExecutionStatus::Succeeded);
    assert_eq!(c.stop_date, Some(START + 600_000));
}

#[tokio::test]
async fn stopping_a_parent_stops_its_sync_children() {
    for example in ["sync", "sync2"] {
        let rt = runtime(seed(example), hello_world(Child::IsAborted), Tasks::new());
        let parent = start(&rt);
        rt.advance(2_000).await;
        rt.stop_execution(&parent, Some("Halt"), Some("stop everything"))
            .unwrap();
        let p = rt.describe_execution(&parent).unwrap();
        assert_eq!(p.status, ExecutionStatus::Aborted);
        assert_eq!(p.error.as_deref(), Some("Halt"));
        assert_eq!(p.stop_date, Some(START + 2_000));
        let c = rt.describe_execution(&child_arn()).unwrap();
        assert_eq!(c.status, ExecutionStatus::Aborted, "{example}");
        assert_eq!(c.stop_date, Some(START + 2_000));
        assert_eq!(
            event_types(&rt, &parent).last().map(String::as_str),
            Some("ExecutionAborted")
        );
        assert_eq!(
            rt.stop_execution(&parent, None, None),
            Err(ApiError::ExecutionNotRunning(parent.clone()))
        );
        assert!(rt.run_until_idle().await.running.is_empty());
    }
    // Request-response and callback children are not stopped.
    for example in ["request_response", "wait_for_task_token"] {
        let rt = runtime(seed(example), hello_world(Child::IsAborted), Tasks::new());
        let parent = start(&rt);
        rt.advance(2_000).await;
        let _ = rt.stop_execution(&parent, None, None);
        let c = rt.describe_execution(&child_arn()).unwrap();
        assert_eq!(c.status, ExecutionStatus::Running, "{example}");
    }
}

#[tokio::test]
async fn a_failing_branch_stops_the_sync_child_of_its_sibling() {
    let parent_def = json!({"StartAt": "Both", "States": {"Both": {
    "Type": "Parallel", "End": true,
    "Branches": [
        {"StartAt": "Child", "States": {"Child": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": HELLO, "Name": "ExecutionName"}, "End": true}}},
        {"StartAt": "Later", "States": {
            "Later": {"Type": "Wait", "Seconds": 10, "Next": "Boom"},
            "Boom": {"Type": "Fail", "Error": "Boom"}}}
    ]}}});
    let rt = runtime(parent_def, hello_world(Child::IsAborted), Tasks::new());
    let parent = start(&rt);
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.error.as_deref(), Some("Boom"));
    let c = rt.describe_execution(&child_arn()).unwrap();
    assert_eq!(c.status, ExecutionStatus::Aborted);
    assert_eq!(c.stop_date, Some(START + 10_000));
}

#[tokio::test]
async fn a_task_timeout_stops_the_sync_child() {
    let parent_def = json!({"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "TimeoutSeconds": 30,
        "Parameters": {"StateMachineArn": HELLO, "Name": "ExecutionName"}, "End": true}}});
    let rt = runtime(parent_def, hello_world(Child::IsAborted), Tasks::new());
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(d.error.as_deref(), Some("States.Timeout"));
    let c = rt.describe_execution(&child_arn()).unwrap();
    assert_eq!(c.status, ExecutionStatus::Aborted);
    assert_eq!(c.stop_date, Some(START + 30_000));
}

#[tokio::test]
async fn execution_names_are_idempotent_while_the_execution_runs() {
    let rt = runtime(seed("sync"), hello_world(Child::IsAborted), Tasks::new());
    let request = StartExecution::new(HELLO)
        .name("Same")
        .input(json!({"a": 1}));
    let first = rt.start_execution(request.clone()).unwrap();
    rt.advance(1_000).await;
    let again = rt.start_execution(request.clone()).unwrap();
    assert_eq!(again, first);
    let other = rt.start_execution(request.clone().input(json!({"a": 2})));
    assert_eq!(
        other,
        Err(ApiError::ExecutionAlreadyExists(
            first.execution_arn.clone()
        ))
    );
    rt.stop_execution(&first.execution_arn, None, None).unwrap();
    assert_eq!(
        rt.start_execution(request),
        Err(ApiError::ExecutionAlreadyExists(
            first.execution_arn.clone()
        ))
    );
    for bad in ["", "has space", "a:b", &"x".repeat(81)] {
        assert!(matches!(
            rt.start_execution(StartExecution::new(HELLO).name(bad)),
            Err(ApiError::InvalidName(_))
        ));
    }
    // A generated name is a UUID.
    let generated = rt.start_execution(StartExecution::new(HELLO)).unwrap();
    let name = generated.execution_arn.rsplit(':').next().unwrap();
    assert_eq!(name.len(), 36);
    assert_eq!(
        rt.start_execution(StartExecution::new(format!("{HELLO}Nope"))),
        Err(ApiError::StateMachineDoesNotExist(format!("{HELLO}Nope")))
    );
}

#[tokio::test]
async fn nested_tasks_with_one_name_share_the_running_child_then_collide() {
    // Two branches start the same child with the same name and input: one execution, both
    // wait for it. A third start after it ended is `ExecutionAlreadyExists`.
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": HELLO, "Name": "Once", "Input": {"n": 1}}, "End": true});
    let parent_def = json!({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Next": "Again", "ResultPath": "$.both", "Branches": [
            {"StartAt": "A", "States": {"A": task.clone()}},
            {"StartAt": "B", "States": {"B": task.clone()}}]},
        "Again": task}});
    let child_def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}});
    let rt = runtime(parent_def, Some(child_def), Tasks::new());
    let parent = start(&rt);
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(rt.children(&parent).unwrap().len(), 1);
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        d.error.as_deref(),
        Some("StepFunctions.ExecutionAlreadyExistsException")
    );
    assert!(d.cause.unwrap().starts_with(
        "Execution Already Exists: 'arn:aws:states:us-east-1:123456789012:execution:HelloWorld:Once'"
    ));
}

#[tokio::test]
async fn inputs_are_sent_as_json_text_and_bad_parameters_are_explained() {
    let child_def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let parent = |input: Value| {
        json!({"StartAt": "S", "States": {"S": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": HELLO, "Input": input}, "End": true}}})
    };
    // A string is the input's JSON text; null is `{}`.
    for (input, expected) in [
        (json!("{\"x\": [1, 2]}"), "{\"x\":[1,2]}"),
        (json!(null), "{}"),
        (json!([1, "two"]), "[1,\"two\"]"),
    ] {
        let rt = runtime(parent(input), Some(child_def.clone()), Tasks::new());
        let d = rt.wait(&start(&rt)).await.unwrap();
        let out = d.output.unwrap();
        assert_eq!(out["Input"], expected);
        assert_eq!(out["Output"], expected);
    }
    let rt = runtime(
        parent(json!("not json")),
        Some(child_def.clone()),
        Tasks::new(),
    );
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(
        d.error.as_deref(),
        Some("StepFunctions.InvalidExecutionInputException")
    );
    let no_arn = json!({"StartAt": "S", "States": {"S": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution", "Parameters": {"Input": {}}, "End": true}}});
    let rt = runtime(no_arn, Some(child_def.clone()), Tasks::new());
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert!(
        d.cause
            .unwrap()
            .contains("'S' starts an execution without `StateMachineArn`")
    );
    let bad_name = json!({"StartAt": "S", "States": {"S": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": HELLO, "Name": "no spaces"}, "End": true}}});
    let rt = runtime(bad_name, Some(child_def), Tasks::new());
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(
        d.error.as_deref(),
        Some("StepFunctions.InvalidNameException")
    );
}

#[tokio::test]
async fn the_api_describes_lists_and_tells_histories() {
    let rt = runtime(seed("sync2"), hello_world(Child::Succeeds), Tasks::new());
    let parent = start(&rt);
    rt.wait(&parent).await.unwrap();
    let all = rt.list_executions(None, None);
    assert_eq!(all.len(), 2);
    let children = rt.list_executions(Some(HELLO), Some(ExecutionStatus::Succeeded));
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].execution_arn, child_arn());
    assert!(
        rt.list_executions(Some(HELLO), Some(ExecutionStatus::Running))
            .is_empty()
    );
    let forward = rt.get_execution_history(&parent, false).unwrap();
    let reverse = rt.get_execution_history(&parent, true).unwrap();
    assert_eq!(forward.first(), reverse.last());
    let d = rt.describe_execution(&parent).unwrap().to_json();
    assert_eq!(d["status"], "SUCCEEDED");
    assert!(d["output"].is_string());
    assert_eq!(
        rt.describe_execution("arn:aws:states:us-east-1:123456789012:execution:Parent:nope"),
        Err(ApiError::ExecutionDoesNotExist(
            "arn:aws:states:us-east-1:123456789012:execution:Parent:nope".into()
        ))
    );
    // Version and alias ARNs start the state machine.
    let qualified = rt
        .start_execution(StartExecution::new(format!("{HELLO}:1")))
        .unwrap();
    assert!(qualified.execution_arn.contains(":execution:HelloWorld:"));
}

#[tokio::test]
async fn children_run_in_their_parents_virtual_time() {
    // The child waits 90 s, the parent's `.sync` task times out after 60 s: the parent's
    // timeout comes first, whatever real time it takes.
    let child_def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 90, "End": true}}});
    let mut parent_def = seed("sync");
    parent_def["States"]["Start"]["TimeoutSeconds"] = json!(60);
    let rt = runtime(parent_def.clone(), Some(child_def.clone()), Tasks::new());
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(d.error.as_deref(), Some("States.Timeout"));
    assert_eq!(d.stop_date, Some(START + 60_000));
    parent_def["States"]["Start"]["TimeoutSeconds"] = json!(120);
    let rt = runtime(parent_def, Some(child_def), Tasks::new());
    let d = rt.wait(&start(&rt)).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.stop_date, Some(START + 90_000));
}

#[tokio::test]
async fn grandchildren_nest() {
    let leaf =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "leaf", "End": true}}});
    let middle = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Leaf",
                       "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
        "OutputPath": "$.Output", "End": true}}});
    let top = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": HELLO}, "OutputPath": "$.Output", "End": true}}});
    let rt = Runtime::builder()
        .clock(Clock::Virtual { start: START })
        .machine("Leaf", machine(leaf))
        .machine("HelloWorld", machine(middle))
        .machine(PARENT, machine(top))
        .build()
        .unwrap();
    let parent = start(&rt);
    let d = rt.wait(&parent).await.unwrap();
    assert_eq!(d.output, Some(json!("leaf")));
    let tree = rt.execution_tree(&parent).unwrap();
    assert_eq!(tree.lines().count(), 3, "{tree}");
    assert!(tree.lines().nth(2).unwrap().starts_with("   └─ "), "{tree}");
}

#[test]
fn registering_checks_arns_and_definitions() {
    let rt = Runtime::builder().build().unwrap();
    let def = || machine(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    assert_eq!(
        rt.register("Mine", def()).unwrap(),
        "arn:aws:states:us-east-1:123456789012:stateMachine:Mine"
    );
    assert!(matches!(
        rt.register("arn:aws:lambda:us-east-1:1:function:f", def()),
        Err(RuntimeError::InvalidStateMachine(_))
    ));
    assert!(matches!(
        rt.register("has space", def()),
        Err(RuntimeError::InvalidStateMachine(_))
    ));
    let rt = Runtime::builder()
        .account("111111111111")
        .region("eu-west-1")
        .build()
        .unwrap();
    assert_eq!(
        rt.state_machine_arn("X"),
        "arn:aws:states:eu-west-1:111111111111:stateMachine:X"
    );
}

/// `"OutputPath": "$.Output"` keeps the child's output alone (as a value with `.sync:2`, as
/// JSON text with `.sync`), whether or not something else reads the whole result first; the
/// parent's `TaskSucceeded` event records the whole description either way.
#[tokio::test]
async fn output_path_keeps_the_childs_output() {
    for (example, expected) in [
        ("sync2", json!({"MyKey": "MyValue"})),
        ("sync", json!("{\"MyKey\":\"MyValue\"}")),
    ] {
        // The second form reads the whole result first (`ResultSelector`), then narrows it.
        let narrowing = [
            json!({"OutputPath": "$.Output"}),
            json!({"ResultSelector": {"Output.$": "$.Output", "Status.$": "$.Status"},
                   "OutputPath": "$.Output"}),
        ];
        for fields in narrowing {
            let mut parent = seed(example);
            let task = parent["States"]["Start"].as_object_mut().unwrap();
            task.extend(fields.as_object().unwrap().clone());
            let rt = runtime(parent, hello_world(Child::Succeeds), Tasks::new());
            let d = rt.wait(&start(&rt)).await.expect("the parent ends");
            assert_eq!(d.status, ExecutionStatus::Succeeded, "{example} {fields}");
            assert_eq!(d.output.as_ref(), Some(&expected), "{example} {fields}");
            let history = history_json(&rt, &d.execution_arn);
            let succeeded = history
                .iter()
                .find(|e| e["type"] == "TaskSucceeded")
                .expect("a TaskSucceeded event");
            let text = succeeded["taskSucceededEventDetails"]["output"]
                .as_str()
                .unwrap();
            let recorded: Value = serde_json::from_str(text).unwrap();
            assert_eq!(recorded["Status"], "SUCCEEDED", "{example} {fields}");
            assert_eq!(recorded["ExecutionArn"], child_arn());
            assert_eq!(recorded["Name"], "ExecutionName");
            assert_eq!(recorded["StateMachineArn"], HELLO);
            assert_eq!(recorded["StopDate"], START);
            assert_eq!(recorded["Output"], expected, "{example} {fields}");
            let exited = history.last().unwrap();
            assert_eq!(exited["type"], "ExecutionSucceeded");
        }
    }
}

/// A runtime holding thousands of executions (more than one chunk of its table) finds,
/// describes and lists each of them.
#[tokio::test]
async fn thousands_of_executions_stay_describable() {
    let rt = runtime(seed("sync2"), hello_world(Child::Succeeds), Tasks::new());
    let n = 2_500;
    for i in 0..n {
        rt.start_execution(
            StartExecution::new(HELLO)
                .name(format!("run-{i}"))
                .input(json!({ "i": i })),
        )
        .expect("the execution starts");
    }
    let idle = rt.run_until_idle().await;
    assert!(idle.running.is_empty() && idle.waiting.is_empty());
    for i in [0, 1023, 1024, 2047, 2048, n - 1] {
        let arn = format!("arn:aws:states:us-east-1:123456789012:execution:HelloWorld:run-{i}");
        let d = rt.describe_execution(&arn).expect("described");
        assert_eq!(d.name, format!("run-{i}"));
        assert_eq!(d.input, json!({ "i": i }));
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        assert_eq!(event_types(&rt, &arn).len(), 4);
    }
    let listed = rt.list_executions(Some(HELLO), Some(ExecutionStatus::Succeeded));
    assert_eq!(listed.len(), n);
    assert_eq!(listed[0].name, format!("run-{}", n - 1));
}
