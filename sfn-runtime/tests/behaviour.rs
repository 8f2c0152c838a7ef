//! The interpreter on small machines: data flow, retries, catches, timeouts, Parallel, Map,
//! variables. Time is virtual: waits and backoffs take no real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use sfn_core::StateMachine;
use sfn_runtime::clock::Clock;
use sfn_runtime::driver::{TaskContext, TaskFuture, Tasks};
use sfn_runtime::failure::Failure;
use sfn_runtime::interp::{Execution, TaskRequest};
use sfn_runtime::run::{ExecutionSpec, execute};

const START: i64 = 1_700_000_000_000;

fn run_with(definition: Value, input: Value, tasks: &Tasks) -> Execution {
    let machine = StateMachine::from_value(&definition).expect("a valid definition");
    let spec = ExecutionSpec {
        state_machine_name: "Test".into(),
        execution_name: "run".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        input,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(execute(
        machine,
        spec,
        Clock::Virtual { start: START },
        tasks,
    ))
    .expect("the execution ends")
}

fn run(definition: Value, input: Value) -> Value {
    run_with(definition, input, &Tasks::new()).result_json(false)
}

fn event_types(e: &Execution) -> Vec<String> {
    e.history().iter().map(|h| h.kind.type_name()).collect()
}

fn handler(
    f: impl Fn(TaskRequest) -> Result<Value, Failure> + Send + Sync + 'static,
) -> impl Fn(TaskRequest, TaskContext) -> TaskFuture + Send + Sync {
    let f = Arc::new(f);
    move |request, _| {
        let f = f.clone();
        Box::pin(async move { f(request) })
    }
}

#[test]
fn jsonpath_data_flow_follows_aws_order() {
    let d = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass",
        "InputPath": "$.in",
        "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)", "ctx.$": "$$.State.Name"},
        "ResultPath": "$.result",
        "OutputPath": "$.result",
        "End": true
    }}});
    let out = run(d, json!({"in": {"n": 21}, "other": 1}));
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["output"], json!({"doubled": 42, "ctx": "P"}));
}

#[test]
fn retries_back_off_in_virtual_time_then_succeed() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let mut tasks = Tasks::new();
    tasks.register(
        "arn:aws:states:::lambda:invoke",
        handler(move |_| {
            if counted.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(Failure::new("Busy", "try later"))
            } else {
                Ok(json!("done"))
            }
        }),
    );
    let d = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 10, "BackoffRate": 3, "MaxAttempts": 5}],
        "End": true
    }}});
    let e = run_with(d, json!({}), &tasks);
    assert_eq!(e.result_json(false)["output"], "done");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let scheduled: Vec<i64> = e
        .history()
        .iter()
        .filter(|h| h.kind.type_name() == "TaskScheduled")
        .map(|h| h.timestamp - START)
        .collect();
    // 10 s, then 30 s more.
    assert_eq!(scheduled, vec![0, 10_000, 40_000]);
}

#[test]
fn a_catcher_places_the_error_output_and_continues() {
    let mut tasks = Tasks::new();
    tasks.register(
        "arn:aws:states:::lambda:invoke",
        handler(|_| Err(Failure::new("PaymentDeclined", "card expired"))),
    );
    let d = json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}], "End": true},
        "Refund": {"Type": "Pass", "End": true}
    }});
    let e = run_with(d, json!({"order": 7}), &tasks);
    assert_eq!(
        e.result_json(false)["output"],
        json!({"order": 7, "error": {"Error": "PaymentDeclined", "Cause": "card expired"}})
    );
    assert_eq!(
        event_types(&e),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn a_task_that_never_answers_times_out() {
    let mut tasks = Tasks::new();
    tasks.register(
        "arn:aws:states:::lambda:invoke",
        |_: TaskRequest, _: TaskContext| -> TaskFuture { Box::pin(std::future::pending()) },
    );
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30, "End": true}}});
    let e = run_with(d, json!({}), &tasks);
    let out = e.result_json(false);
    assert_eq!(
        (out["status"].as_str(), out["error"].as_str()),
        (Some("FAILED"), Some("States.Timeout"))
    );
    let timed_out = e
        .history()
        .iter()
        .find(|h| h.kind.type_name() == "TaskTimedOut")
        .unwrap();
    assert_eq!(timed_out.timestamp - START, 30_000);
}

#[test]
fn the_execution_times_out_and_waits_take_no_real_time() {
    let d = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let before = std::time::Instant::now();
    let out = run(d, json!({}));
    assert!(before.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(out["status"], "TIMED_OUT");
}

#[test]
fn parallel_branches_give_an_array_and_a_failure_fails_the_state() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": true}}}
    ]}}});
    assert_eq!(run(d, json!({}))["output"], json!([1, 2]));
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "Boom", "Cause": "branch A"}}}
    ]}}});
    let out = run(d, json!({}));
    assert_eq!(
        (out["error"].as_str(), out["cause"].as_str()),
        (Some("Boom"), Some("branch A"))
    );
}

#[test]
fn map_selects_items_and_tolerates_failures() {
    let d = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2,
        "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "End": true
    }}});
    let out = run(d, json!({"xs": ["a", "b"]}));
    assert_eq!(
        out["output"],
        json!([{"value": "a", "index": 0}, {"value": "b", "index": 1}])
    );
    let d = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "OK"},
            "F": {"Type": "Fail", "Error": "Two"},
            "OK": {"Type": "Succeed"}
        }},
        "End": true
    }}});
    let out = run(d.clone(), json!([1, 2, 3]));
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["output"][1]["Error"], "Two");
    let out = run(d, json!([2, 2]));
    assert_eq!(out["error"], "States.ExceedToleratedFailureThreshold");
}

#[test]
fn variables_are_assigned_after_the_state_and_scoped_to_blocks() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.y"}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": 2, "old.$": "$x"}, "Next": "C"},
        "C": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Pass", "Parameters": {"outer.$": "$x", "old.$": "$old", "y.$": "$y"}, "End": true}
        }}, "End": true}
    }});
    let out = run(d, json!({"y": "why", "items": [0]}));
    // `old` read `x` as it was when B was entered.
    assert_eq!(out["output"], json!([{"outer": 2, "old": 1, "y": "why"}]));
}

#[test]
fn jsonata_states_shape_output_and_conditions() {
    let d = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Big", "Assign": {"seen": "{% $states.input.n %}"}}], "Default": "Small"},
        "Big": {"Type": "Pass", "Output": {"size": "big", "n": "{% $seen * 2 %}"}, "End": true},
        "Small": {"Type": "Pass", "Output": {"size": "small"}, "End": true}
    }});
    assert_eq!(
        run(d.clone(), json!({"n": 5}))["output"],
        json!({"size": "big", "n": 10})
    );
    assert_eq!(run(d, json!({"n": 0}))["output"], json!({"size": "small"}));
}

#[test]
fn a_missing_path_is_a_runtime_error_with_aws_words() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$.nope"}, "End": true}}});
    let out = run(d, json!({"a": 1}));
    assert_eq!(out["error"], "States.Runtime");
    assert_eq!(
        out["cause"],
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{\"a\":1}'"
    );
}

/// The Context object names the execution as AWS does; a name AWS refuses is refused before
/// anything runs, saying which and why.
#[test]
fn execution_names_are_checked_and_read_from_the_arn() {
    let definition = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id",
            "machine.$": "$$.StateMachine.Name"}, "End": true}}});
    let out = run(definition.clone(), json!({}));
    assert_eq!(out["output"]["name"], "run");
    assert_eq!(
        out["output"]["id"],
        "arn:aws:states:us-east-1:123456789012:execution:Test:run"
    );
    assert_eq!(out["output"]["machine"], "Test");

    let spec = ExecutionSpec {
        state_machine_name: "Test".into(),
        execution_name: "a:b".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        input: json!({}),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(execute(
            StateMachine::from_value(&definition).unwrap(),
            spec,
            Clock::Virtual { start: START },
            &Tasks::new(),
        ))
        .expect_err("a name with `:` is refused");
    assert!(err.to_string().contains("Invalid Name: 'a:b'"), "{err}");
}
