//! The policy derived for each integration and pattern, statement by statement.

use serde_json::{Value, json};
use sfn_asl_export::{ExportConfig, Policy, iam_policy};
use sfn_core::StateMachine;

const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Child";
const EXEC: &str = "arn:aws:states:us-east-1:123456789012:execution:Child:*";
const RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule";

/// A one-Task machine.
fn task(resource: &str, parameters: Value) -> StateMachine {
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": resource, "Parameters": parameters, "End": true}}});
    StateMachine::from_value(&def).unwrap()
}

fn policy_of(machine: &StateMachine) -> Policy {
    iam_policy(
        "Parent",
        machine,
        &ExportConfig::aws("us-east-1", "123456789012"),
    )
    .unwrap()
}

fn statements(machine: &StateMachine) -> Value {
    policy_of(machine).to_json()["Statement"].clone()
}

fn start(suffix: &str) -> StateMachine {
    task(
        &format!("arn:aws:states:::states:startExecution{suffix}"),
        json!({"StateMachineArn": SM, "Input": {"a.$": "$.a"}}),
    )
}

#[test]
fn request_response_and_callback_start_the_child_only() {
    for suffix in ["", ".waitForTaskToken"] {
        assert_eq!(
            statements(&start(suffix)),
            json!([{"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [SM]}]),
            "{suffix}"
        );
    }
}

#[test]
fn sync_patterns_also_watch_and_stop_the_child() {
    for suffix in [".sync", ".sync:2"] {
        assert_eq!(
            statements(&start(suffix)),
            json!([
                {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [SM]},
                {"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"], "Resource": [EXEC]},
                {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"], "Resource": [RULE]}
            ]),
            "{suffix}"
        );
    }
}

#[test]
fn versions_and_aliases_start_the_same_child() {
    let m = task(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{SM}:PROD")}),
    );
    assert_eq!(statements(&m)[0]["Resource"], json!([SM]));
    assert_eq!(statements(&m)[1]["Resource"], json!([EXEC]));
}

#[test]
fn dynamic_children_widen_and_say_so() {
    let m = task(
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"StateMachineArn.$": "$.child"}),
    );
    let p = policy_of(&m);
    assert_eq!(
        p.to_json()["Statement"],
        json!([
            {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": ["arn:aws:states:us-east-1:123456789012:stateMachine:*"]},
            {"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"], "Resource": ["arn:aws:states:us-east-1:123456789012:execution:*:*"]},
            {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"], "Resource": [RULE]}
        ])
    );
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].state, "T");
    assert_eq!(p.warnings[0].pointer, "/States/T");
    assert!(
        p.warnings[0].message.contains("`$.child`"),
        "{}",
        p.warnings[0]
    );
}

#[test]
fn jsonata_children_are_found_in_arguments() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Arguments": {"StateMachineArn": SM, "Input": "{% $states.input %}"}, "End": true}}});
    let m = StateMachine::from_value(&def).unwrap();
    assert_eq!(statements(&m)[1]["Resource"], json!([EXEC]));
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
        "Arguments": {"StateMachineArn": "{% $states.input.arn %}"}, "End": true}}});
    let p = policy_of(&StateMachine::from_value(&def).unwrap());
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn lambda_functions_and_their_versions() {
    let want = json!([{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [
        "arn:aws:lambda:us-east-1:123456789012:function:SayHello",
        "arn:aws:lambda:us-east-1:123456789012:function:SayHello:*"]}]);
    for name in [
        "SayHello",
        "SayHello:live",
        "arn:aws:lambda:us-east-1:123456789012:function:SayHello",
    ] {
        let m = task(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": name, "Payload.$": "$"}),
        );
        assert_eq!(statements(&m), want, "{name}");
    }
    let legacy = task(
        "arn:aws:lambda:us-east-1:123456789012:function:SayHello",
        json!({}),
    );
    assert_eq!(statements(&legacy), want);
}

#[test]
fn queues_topics_tables_and_buses() {
    let m = task(
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MessageBody.$": "$"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:q"]}])
    );
    let m = task(
        "arn:aws:states:::sns:publish.waitForTaskToken",
        json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message.$": "$$.Task.Token"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": ["arn:aws:sns:us-east-1:123456789012:t"]}])
    );
    let m = task(
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl.$": "$.queue", "MessageBody": "x"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}])
    );
    for (action, iam) in [
        ("getItem", "dynamodb:GetItem"),
        ("putItem", "dynamodb:PutItem"),
        ("updateItem", "dynamodb:UpdateItem"),
        ("deleteItem", "dynamodb:DeleteItem"),
    ] {
        let m = task(
            &format!("arn:aws:states:::dynamodb:{action}"),
            json!({"TableName": "Orders", "Key": {"id": {"S.$": "$.id"}}}),
        );
        assert_eq!(
            statements(&m),
            json!([{"Effect": "Allow", "Action": [iam], "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/Orders"]}])
        );
    }
    let m = task(
        "arn:aws:states:::events:putEvents",
        json!({"Entries": [{"Detail": {}, "DetailType": "d", "Source": "s"},
                           {"Detail": {}, "DetailType": "d", "Source": "s", "EventBusName": "ops"}]}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [
            "arn:aws:events:us-east-1:123456789012:event-bus/default",
            "arn:aws:events:us-east-1:123456789012:event-bus/ops"]}])
    );
    let m = task(
        "arn:aws:states:::events:putEvents",
        json!({"Entries.$": "$.entries"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": ["arn:aws:events:*:*:event-bus/*"]}])
    );
}

#[test]
fn jobs_wait_with_their_event_rules() {
    let m = task(
        "arn:aws:states:::ecs:runTask.sync",
        json!({"Cluster": "c", "TaskDefinition": "exporter:7"}),
    );
    let p = policy_of(&m);
    assert_eq!(
        p.to_json()["Statement"],
        json!([
            {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": ["arn:aws:ecs:us-east-1:123456789012:task-definition/exporter:7"]},
            {"Effect": "Allow", "Action": ["ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
             "Resource": ["arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForECSTaskRule"]}
        ])
    );
    assert!(p.warnings[0].message.contains("iam:PassRole"));
    let m = task(
        "arn:aws:states:::batch:submitJob.sync",
        json!({"JobName": "j", "JobQueue": "q", "JobDefinition": "d"}),
    );
    assert_eq!(
        statements(&m),
        json!([
            {"Effect": "Allow", "Action": ["batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
             "Resource": ["arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForBatchJobsRule"]}
        ])
    );
    let m = task(
        "arn:aws:states:::batch:submitJob",
        json!({"JobName": "j", "JobQueue": "q", "JobDefinition": "d"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["batch:SubmitJob"], "Resource": "*"}])
    );
    let m = task(
        "arn:aws:states:::glue:startJobRun.sync",
        json!({"JobName": "j"}),
    );
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"], "Resource": "*"}])
    );
    let m = task("arn:aws:states:::glue:startJobRun", json!({"JobName": "j"}));
    assert_eq!(
        statements(&m),
        json!([{"Effect": "Allow", "Action": ["glue:StartJobRun"], "Resource": "*"}])
    );
}

#[test]
fn sdk_integrations_are_granted_on_everything_with_a_warning() {
    let m = task(
        "arn:aws:states:::aws-sdk:s3:getObject",
        json!({"Bucket": "b", "Key": "k"}),
    );
    let p = policy_of(&m);
    assert_eq!(
        p.to_json()["Statement"],
        json!([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}])
    );
    assert_eq!(p.warnings.len(), 1);
    let m = task(
        "arn:aws:states:::aws-sdk:sfn:describeExecution",
        json!({"ExecutionArn.$": "$.arn"}),
    );
    assert_eq!(
        statements(&m)[0]["Action"],
        json!(["states:DescribeExecution"])
    );
}

#[test]
fn activities_need_nothing_on_the_role() {
    let m = task(
        "arn:aws:states:us-east-1:123456789012:activity:Approve",
        json!({}),
    );
    let p = policy_of(&m);
    assert!(p.statements.is_empty() && p.warnings.is_empty(), "{p:?}");
    assert_eq!(
        p.to_json()["Statement"],
        json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}])
    );
}

#[test]
fn distributed_maps_start_their_own_child_executions() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket": "b", "Key": "items.json"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}});
    assert_eq!(
        statements(&StateMachine::from_value(&def).unwrap()),
        json!([
            {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": ["arn:aws:states:us-east-1:123456789012:stateMachine:Parent"]},
            {"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"], "Resource": ["arn:aws:states:us-east-1:123456789012:execution:Parent/*"]},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/items.json"]}
        ])
    );
}

#[test]
fn cross_account_credentials_need_assume_role() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Credentials": {"RoleArn": "arn:aws:iam::111122223333:role/Invoker"},
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:111122223333:function:F"}, "End": true}}});
    let s = statements(&StateMachine::from_value(&def).unwrap());
    assert_eq!(
        s[0],
        json!({"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": ["arn:aws:iam::111122223333:role/Invoker"]})
    );
}

#[test]
fn nested_states_count() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": SM}, "End": true}}}]}}});
    assert_eq!(
        statements(&StateMachine::from_value(&def).unwrap())[0]["Resource"],
        json!([SM])
    );
}

/// The statements AWS CDK generates for the same nested executions
/// (`../shared/reference/cdk`), except the execution scope: CDK's `execution:child*` becomes
/// the `execution:child:*` of AWS's documentation.
#[test]
fn the_statements_of_aws_cdk_with_the_documented_execution_scope() {
    let dir = std::env::var_os("SFN_CORPUS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("reference/cdk");
    if !dir.is_dir() {
        eprintln!("skipped: corpus not found at {}", dir.display());
        return;
    }
    let mut compared = 0;
    for case in [
        "request_response",
        "run_job",
        "run_job_jsonata",
        "run_job_no_input",
        "wait_for_task_token",
    ] {
        let reference: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{case}.json"))).unwrap(),
        )
        .unwrap();
        let asl = std::fs::read_to_string(dir.join(format!("{case}.asl.json"))).unwrap();
        let machine = StateMachine::from_json_str(&asl).unwrap();
        let ours = policy_of(&machine).to_json()["Statement"].clone();
        let theirs: Vec<Value> = reference["iamPolicies"][0]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let actions = match &s["Action"] {
                    Value::String(a) => json!([a]),
                    other => other.clone(),
                };
                let resource = flatten(&s["Resource"]);
                let resource = match resource.strip_suffix('*') {
                    Some(base) if base.contains(":execution:") => format!("{base}:*"),
                    _ => resource,
                };
                json!({"Effect": "Allow", "Action": actions, "Resource": [resource]})
            })
            .collect();
        assert_eq!(ours, Value::Array(theirs), "{case}");
        compared += 1;
    }
    assert_eq!(compared, 5);
}

/// A CloudFormation `Fn::Join` over the partition, flattened for partition `aws`.
fn flatten(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.contains_key("Fn::Join") => o["Fn::Join"][1]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                _ => "aws".into(),
            })
            .collect(),
        other => panic!("unexpected resource {other}"),
    }
}
