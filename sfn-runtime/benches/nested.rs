//! Nested executions on the [`Runtime`]: how many child executions per second, and how much
//! memory an execution parked on a task token holds.
//!
//! Run with `cargo bench -p sfn-runtime --bench nested`.
//!
//! - `map1000_sync2`: a parent whose inline Map starts 1,000 children with
//!   `states:startExecution.sync:2`, each child three Pass states; the runtime is built from
//!   compiled plans once per iteration. Throughput is in child executions (`elem/s`).
//! - `parked`: 100,000 executions waiting in a `states:startExecution.waitForTaskToken` task
//!   (each with the child it started, which ran its one Pass state and ended), measured as the
//!   growth of the resident set size per parked execution, printed once.
//!   Then every token is answered and the executions end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use serde_json::{Value, json};
use sfn_runtime::Runtime;
use sfn_runtime::clock::Clock;
use sfn_runtime::executions::ExecutionStatus;
use sfn_runtime::plan::Plan;
use sfn_runtime::runtime::StartExecution;
use sfn_runtime::sfn_core::StateMachine;

/// The resident set size of this process, in bytes (Linux `/proc/self/statm`; 0 elsewhere).
/// The workspace forbids `unsafe`, so no counting global allocator: the resident size
/// counts what the allocator holds, a little more than what is live.
fn resident_bytes() -> isize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

const CHILDREN: usize = 1000;
const PARKED: usize = 100_000;
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

/// Memory per execution parked on a task token, printed once.
fn parked() {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let parent = plan(json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": CHILD, "Input": {"token.$": "$$.Task.Token"}},
        "End": true}}}));
    let child = plan(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let rt = runtime(&parent, &child);
    let arn = rt.state_machine_arn("Parent");
    let before = resident_bytes();
    let started = Instant::now();
    for i in 0..PARKED {
        rt.start_execution(StartExecution::new(arn.clone()).name(format!("p{i}")))
            .unwrap();
    }
    let idle = tokio.block_on(rt.run_until_idle());
    let elapsed = started.elapsed();
    let after = resident_bytes();
    assert_eq!(idle.waiting.len(), PARKED);
    let per = (after - before) as f64 / PARKED as f64;
    eprintln!(
        "nested/parked: {PARKED} executions parked on task tokens (each with its ended child) in {elapsed:?}: {per:.0} bytes per parked execution (including its child)"
    );
    drop(idle);
    let started = Instant::now();
    for w in rt.waiting_tasks() {
        rt.send_task_success(&w.task_token, "{}").unwrap();
    }
    let idle = tokio.block_on(rt.run_until_idle());
    assert!(idle.running.is_empty());
    eprintln!(
        "nested/parked: answered {PARKED} tokens in {:?}",
        started.elapsed()
    );
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    map1000_sync2(&mut c);
    parked();
    c.final_summary();
}
