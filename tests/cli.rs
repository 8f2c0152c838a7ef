//! The `sfn` command line: output and exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sfn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sfn"))
        .args(args)
        .output()
        .expect("sfn runs")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_main_example_is_valid() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/definitions/order_pipeline.asl.json"
    );
    let out = sfn(&["validate", example]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out), "1 definition valid\n");
}

#[test]
fn diagnostics_name_file_line_state_pointer_and_code() {
    let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}\n  }\n}\n";
    let file = temp_file("dangling.json", text);
    let out = sfn(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    assert!(
        printed.contains("error[MISSING_TRANSITION_TARGET]: Missing 'Next' target: B"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("--> {}:4:35", file.display())),
        "{printed}"
    );
    assert!(printed.contains("= state: A"), "{printed}");
    assert!(printed.contains("= at: /States/A/Next"), "{printed}");
    assert!(printed.contains("error[MISSING_END_STATE]"), "{printed}");
}

#[test]
fn bad_json_reports_line_and_column() {
    let file = temp_file(
        "truncated.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n",
    );
    let out = sfn(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    assert!(
        printed
            .contains("error[INVALID_JSON_DESCRIPTION]: invalid JSON: EOF while parsing an object"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("--> {}:4:1", file.display())),
        "{printed}"
    );
}

#[test]
fn duplicate_keys_are_errors() {
    let file = temp_file(
        "dupe.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "End": true}}}"#,
    );
    let out = sfn(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the key `End` appears more than once"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn warnings_alone_exit_zero_and_json_format_is_parseable() {
    let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x": "$.y"}, "End": true}}}"#;
    let file = temp_file("warn.json", text);
    let out = sfn(&["validate", "--format", "json", file.to_str().unwrap()]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["diagnostics"][0]["code"], "NO_DOLLAR");
    assert_eq!(report["diagnostics"][0]["severity"], "WARNING");
    assert_eq!(
        report["diagnostics"][0]["location"],
        "/States/A/Parameters/x"
    );
}

#[test]
fn fmt_keeps_key_order_and_canonical_reorders() {
    let text =
        r#"{"States": {"A": {"End": true, "Type": "Pass"}}, "StartAt": "A", "Comment": "c"}"#;
    let file = temp_file("order.json", text);
    let kept = sfn(&["fmt", file.to_str().unwrap()]);
    assert!(kept.status.success());
    let kept: serde_json::Value = serde_json::from_slice(&kept.stdout).unwrap();
    assert_eq!(serde_json::to_string(&kept).unwrap(), text.replace(' ', ""));
    let canonical = sfn(&["fmt", "--canonical", file.to_str().unwrap()]);
    let canonical: serde_json::Value = serde_json::from_slice(&canonical.stdout).unwrap();
    assert_eq!(
        serde_json::to_string(&canonical).unwrap(),
        r#"{"Comment":"c","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#
    );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = sfn(&["validate", "/definitely/not/here.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn run_prints_the_result_and_history_as_json() {
    let definition = temp_file(
        "run.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.r", "End": true}}}"#,
    );
    let input = temp_file("run-input.json", r#"{"n": 1}"#);
    let out = sfn(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--name",
        "Orders",
        "--execution-name",
        "first",
        "--history",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(
        result["output"],
        serde_json::json!({"n": 1, "r": {"ok": true}})
    );
    let types: Vec<&str> = result["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn run_exits_zero_for_a_failed_execution_and_non_zero_for_an_invalid_definition() {
    let failing = temp_file(
        "fail.json",
        r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}"#,
    );
    let out = sfn(&["run", failing.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success());
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (result["status"].as_str(), result["error"].as_str()),
        (Some("FAILED"), Some("E"))
    );
    let invalid = temp_file(
        "invalid.json",
        r#"{"StartAt": "Nope", "States": {"F": {"Type": "Succeed"}}}"#,
    );
    let out = sfn(&["run", invalid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Missing 'StartAt' target: Nope"));
}

#[test]
fn run_answers_tasks_from_a_mock_configuration() {
    let definition = temp_file(
        "mocked.json",
        r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60}], "End": true}}}"#,
    );
    let mocks = temp_file(
        "mocks.json",
        r#"{"StateMachines": {"Orders": {"TestCases": {"Flaky": {"Charge": "BusyThenOk"}}}},
            "MockedResponses": {"BusyThenOk": {"0": {"Throw": {"Error": "Busy", "Cause": "later"}}, "1": {"Return": {"charged": 42}}}}}"#,
    );
    let out = sfn(&[
        "run",
        definition.to_str().unwrap(),
        "--name",
        "Orders",
        "--mock-config",
        mocks.to_str().unwrap(),
        "--test-case",
        "Flaky",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["output"], serde_json::json!({"charged": 42}));
}

#[test]
fn the_main_example_runs_with_its_mocks() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/definitions/");
    let run = |case: &str| {
        let out = sfn(&[
            "run",
            &format!("{dir}order_pipeline.asl.json"),
            "--input",
            &format!("{dir}order.input.json"),
            "--name",
            "OrderPipeline",
            "--mock-config",
            &format!("{dir}order.mocks.json"),
            "--test-case",
            case,
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let happy = run("HappyPath");
    assert_eq!(happy["status"], "SUCCEEDED");
    assert_eq!(
        happy["output"],
        serde_json::json!({"charged": 42.5, "receipt": "R-77"})
    );
    let declined = run("PaymentFails");
    assert_eq!(declined["error"], "PaymentFailed");
    assert_eq!(declined["cause"], "charging order order-1042 failed");
}

fn example(name: &str) -> String {
    format!("{}/examples/definitions/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn export_writes_a_bundle() {
    let dir = std::env::temp_dir().join(format!("sfn-cli-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let order = format!("OrderPipeline={}", example("order_pipeline.asl.json"));
    let ship = format!("ShipItem={}", example("ship_item.asl.json"));
    let out = sfn(&["export", &order, &ship, "--out", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "OrderPipeline.asl.json",
        "OrderPipeline.iam.json",
        "OrderPipeline.mmd",
        "OrderPipeline.dot",
        "ShipItem.asl.json",
        "template.json",
        "template.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let asl = std::fs::read_to_string(dir.join("OrderPipeline.asl.json")).unwrap();
    assert!(asl.contains("\"${ShipItemArn}\""), "{asl}");

    let out = sfn(&[
        "export",
        &example("order_pipeline.asl.json"),
        "--out",
        dir.to_str().unwrap(),
        "--region",
        "eu-west-1",
        "--account",
        "999999999999",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asl = std::fs::read_to_string(dir.join("order_pipeline.asl.json")).unwrap();
    assert!(asl.contains("arn:aws:states:eu-west-1:999999999999:stateMachine:ShipItem"));

    let bad = temp_file(
        "bad.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    );
    let out = sfn(&[
        "export",
        bad.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/States/A/Next") && err.contains("state `A`"),
        "{err}"
    );
}

#[test]
fn graph_prints_mermaid_and_dot() {
    let out = sfn(&["graph", &example("order_pipeline.asl.json")]);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("flowchart TD\n"));
    let out = sfn(&[
        "graph",
        &example("order_pipeline.asl.json"),
        "--format",
        "dot",
    ]);
    assert!(stdout(&out).starts_with("digraph \"order_pipeline\" {"));
    let out = sfn(&[
        "graph",
        &example("order_pipeline.asl.json"),
        "--format",
        "svg",
    ]);
    if out.status.success() {
        assert!(stdout(&out).contains("<svg"));
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Graphviz"), "{err}");
    }
}

#[test]
fn run_refuses_input_that_does_not_fit_the_schema() {
    let schema = temp_file(
        "order.input.schema.json",
        r#"{"type": "object", "required": ["orderId"], "properties": {"orderId": {"type": "string"}}}"#,
    );
    let input = temp_file("bad-order.json", r#"{"orderId": 5}"#);
    let out = sfn(&[
        "run",
        &example("order_pipeline.asl.json"),
        "--input",
        input.to_str().unwrap(),
        "--input-schema",
        schema.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("at `/orderId`: expected a string, found a number"),
        "{err}"
    );
}

#[test]
fn run_takes_child_machines_and_prints_the_tree_of_executions() {
    let child = temp_file(
        "nested_child.asl.json",
        r#"{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Result": {"MyKey": "MyValue"}, "End": true}}}"#,
    );
    let parent = temp_file(
        "nested_parent.asl.json",
        r#"{"StartAt": "Start", "States": {"Start": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld",
                           "Input": {"Comment": "Hello world!"}, "Name": "ExecutionName"},
            "OutputPath": "$.Output", "End": true}}}"#,
    );
    let machine = format!(
        "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld={}",
        child.display()
    );
    let p = parent.to_str().unwrap();
    let out = sfn(&[
        "run",
        p,
        "--machine",
        &machine,
        "--format",
        "json",
        "--history",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"], serde_json::json!({"MyKey": "MyValue"}));
    assert_eq!(
        result["history"][2]["taskScheduledEventDetails"]["resource"],
        "startExecution.sync:2"
    );

    let out = sfn(&["run", p, "--machine", &machine, "--execution-name", "top"]);
    let text = stdout(&out);
    assert!(text.contains("executions:\ntop SUCCEEDED (0 ms)"), "{text}");
    assert!(text.contains("└─ ExecutionName SUCCEEDED (0 ms) arn:aws:states:us-east-1:123456789012:execution:HelloWorld:ExecutionName"), "{text}");

    // Without the child: AWS's error, as a failed execution.
    let out = sfn(&["run", p, "--format", "json"]);
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result["error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );

    let out = sfn(&["run", p, "--machine", "no-equals-sign"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ARN=FILE"));
}

#[test]
fn run_says_which_tokens_an_idle_execution_waits_for() {
    let child = temp_file(
        "callback_child.asl.json",
        r#"{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": true}}}"#,
    );
    let parent = temp_file(
        "callback_parent.asl.json",
        r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                           "Input": {"token.$": "$$.Task.Token"}},
            "End": true}}}"#,
    );
    let machine = format!(
        "arn:aws:states:us-east-1:123456789012:stateMachine:Child={}",
        child.display()
    );
    let out = sfn(&[
        "run",
        parent.to_str().unwrap(),
        "--machine",
        &machine,
        "--execution-name",
        "waiting",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("every execution waits for a task token"),
        "{err}"
    );
    assert!(
        err.contains(":execution:callback_parent:waiting#Ask#3 (state `Ask`"),
        "{err}"
    );
}
