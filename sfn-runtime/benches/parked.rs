//! Memory per execution parked on a task token.
//!
//! Run with `cargo bench -p sfn-runtime --bench parked`.
//!
//! 100,000 parents each wait in a `states:startExecution.waitForTaskToken` task whose child
//! (one Pass state) received the token in its input and ended. What the runtime holds for
//! them is measured as live heap bytes (allocated minus freed, counted by an instrumented
//! system allocator), per parked parent with its ended child; the same is measured for
//! 100,000 such children started on their own, and the difference is the parked parent's
//! share. Both stay inspectable as AWS keeps them: `DescribeExecution`, the history, the
//! token's `SendTask*`. The resident set size grows more than the live heap (allocator
//! rounding and free lists, and the list of waiting tasks built and dropped); it is printed
//! too. Then every token is answered
//! and every parent ends.

use std::alloc::System;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use sfn_runtime::Runtime;
use sfn_runtime::clock::Clock;
use sfn_runtime::plan::Plan;
use sfn_runtime::runtime::StartExecution;
use sfn_runtime::sfn_core::StateMachine;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PARKED: usize = 100_000;

/// The resident set size of this process, in bytes (Linux `/proc/self/statm`; 0 elsewhere).
fn resident_bytes() -> isize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn plan(definition: Value) -> Arc<Plan> {
    let machine = StateMachine::from_value(&definition).expect("a valid definition");
    Arc::new(Plan::compile(machine).expect("a valid plan"))
}

fn runtime() -> Runtime {
    let rt = Runtime::builder()
        .clock(Clock::Virtual {
            start: 1_700_000_000_000,
        })
        .build()
        .expect("the runtime builds");
    let child = plan(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}));
    let parent = plan(json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
            "Input": {"token.$": "$$.Task.Token"}},
        "End": true}}}));
    rt.register_plan("Child", child).unwrap();
    rt.register_plan("Parent", parent).unwrap();
    rt
}

/// Starts `PARKED` executions of `machine` (named `p0`, `p1`, …, with `input`) and runs until
/// nothing moves; returns the live heap bytes and resident bytes they added, per execution.
fn start_all(
    tokio: &tokio::runtime::Runtime,
    rt: &Runtime,
    machine: &str,
    input: impl Fn(usize) -> Value,
) -> (f64, f64) {
    let arn = rt.state_machine_arn(machine);
    let region = Region::new(GLOBAL);
    let resident = resident_bytes();
    let started = Instant::now();
    for i in 0..PARKED {
        rt.start_execution(
            StartExecution::new(arn.clone())
                .name(format!("p{i}"))
                .input(input(i)),
        )
        .unwrap();
    }
    // What waits is listed (`Idle`) and dropped before counting.
    drop(tokio.block_on(rt.run_until_idle()));
    let stats = region.change();
    let live = stats.bytes_allocated as f64 - stats.bytes_deallocated as f64;
    let rss = (resident_bytes() - resident) as f64;
    eprintln!(
        "parked/{machine}: {PARKED} executions in {:?}",
        started.elapsed()
    );
    (live / PARKED as f64, rss / PARKED as f64)
}

fn main() {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();

    // Children on their own: each ends at once, as a parked parent's child does.
    let rt = runtime();
    let token = |i: usize| {
        json!({"token": format!(
            "arn:aws:states:us-east-1:123456789012:execution:Parent:p{i}#Ask#3"
        )})
    };
    let (child_live, child_rss) = start_all(&tokio, &rt, "Child", token);
    drop(rt);

    let rt = runtime();
    let (live, rss) = start_all(&tokio, &rt, "Parent", |_| json!({}));
    let waiting = rt.waiting_tasks();
    assert_eq!(waiting.len(), PARKED, "every parent waits on its token");
    println!(
        "parked: {live:.0} bytes of live heap per execution parked on a task token with its ended child ({rss:.0} bytes resident); the child alone {child_live:.0} ({child_rss:.0} resident); the parked parent's share {:.0}",
        live - child_live
    );
    let started = Instant::now();
    for w in &waiting {
        rt.send_task_success(&w.task_token, "{}").unwrap();
    }
    drop(waiting);
    let idle = tokio.block_on(rt.run_until_idle());
    assert!(idle.running.is_empty(), "every parent ended");
    assert!(rt.waiting_tasks().is_empty());
    eprintln!(
        "parked: answered {PARKED} tokens in {:?}",
        started.elapsed()
    );
}
