//! Nested executions on the [`Runtime`]: how many child executions per second.
//!
//! Run with `cargo bench -p sfn-runtime --bench nested`.
//!
//! `map1000_sync2`: a parent whose inline Map starts 1,000 children with
//! `states:startExecution.sync:2`, each child three Pass states; the runtime is built from
//! compiled plans once per iteration. Throughput is in child executions (`elem/s`).
//! Memory per parked execution is `benches/parked.rs`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use serde_json::{Value, json};
use sfn_runtime::Runtime;
use sfn_runtime::clock::Clock;
use sfn_runtime::executions::ExecutionStatus;
use sfn_runtime::plan::Plan;
use sfn_runtime::runtime::StartExecution;
use sfn_runtime::sfn_core::StateMachine;

const CHILDREN: usize = 1000;
const CHILD: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Child";

fn plan(definition: Value) -> Arc<Plan> {
    let machine = StateMachine::from_value(&definition).expect("a valid definition");
    Arc::new(Plan::compile(machine).expect("a valid plan"))
}

fn three_passes() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Pass", "End": true}}})
}

fn map_parent() -> Value {
    json!({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "Child", "States": {"Child": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": CHILD, "Input.$": "$"},
            "OutputPath": "$.Output", "End": true}}}}}})
}

fn runtime(parent: &Arc<Plan>, child: &Arc<Plan>) -> Runtime {
    let rt = Runtime::builder()
        .clock(Clock::Virtual {
            start: 1_700_000_000_000,
        })
        .build()
        .expect("the runtime builds");
    rt.register_plan("Child", child.clone()).unwrap();
    rt.register_plan("Parent", parent.clone()).unwrap();
    rt
}

fn map1000_sync2(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let parent = plan(map_parent());
    let child = plan(three_passes());
    let items: Vec<Value> = (0..CHILDREN).map(|i| json!({"i": i})).collect();
    let input = json!({ "items": items });
    let mut group = c.benchmark_group("nested");
    group.throughput(Throughput::Elements(CHILDREN as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("map1000_sync2", |b| {
        // The runtime is dropped after the timing: what is measured is starting and running.
        b.iter_with_large_drop(|| {
            let rt = runtime(&parent, &child);
            let arn = rt
                .start_execution(
                    StartExecution::new(rt.state_machine_arn("Parent")).input(input.clone()),
                )
                .unwrap()
                .execution_arn;
            let d = tokio.block_on(rt.wait(&arn)).unwrap();
            assert_eq!(d.status, ExecutionStatus::Succeeded);
            rt
        });
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    map1000_sync2(&mut c);
    c.final_summary();
}
