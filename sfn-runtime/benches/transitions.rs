//! State transitions per second, with history on, side by side with the `asl` crate.
//!
//! Run with `cargo bench -p sfn-runtime --bench transitions`. Every benchmark reports its
//! throughput in elements per second, one element being one state transition (one state
//! entered), so criterion's `elem/s` is transitions per second.
//!
//! The definitions are those of the project's shared benchmark set, generated here:
//!
//! - `pass100`: 100 chained Pass states;
//! - `loop1000`: a Choice and a Pass incrementing `i` with `States.MathAdd` until 1000;
//! - `loop1000_task`: the same loop with a Task doing the increment (the form `asl` can run:
//!   it has no intrinsic functions);
//! - `map1000`: an inline Map over 1000 items (`ItemProcessor`), and `map1000_iterator`, the
//!   same with the legacy `Iterator` field (`asl` does not run Map states).
//!
//! Each workload has up to three benchmarks:
//!
//! - `sfn/execute`: [`sfn_runtime::run::execute`], what a user calls: validates and compiles
//!   the (already read) definition, runs it on a current-thread tokio runtime with virtual
//!   time, and records the history, as our runtime always does;
//! - `sfn/driver`: the plan compiled once, then [`sfn_runtime::driver::run`] per execution;
//! - `asl`: `asl`'s `StateMachine::start` on a definition parsed once, iterated to its end,
//!   collecting the per-state outputs its iterator yields. `asl` has no history or event
//!   recording; the `Vec<StateExecutionOutput>` (state name, status, output of every state)
//!   is the nearest thing it has, and is what its README does.

use std::sync::Arc;
use std::time::Duration;

use asl::asl::execution::{ExecutionStatus, StateExecutionHandler, StateExecutionOutput};
use asl::asl::state_machine::StateMachine as AslMachine;
use asl::asl::types::execution::EmptyContext;
use criterion::{BatchSize, Criterion, Throughput};
use serde_json::{Map, Value, json};
use sfn_runtime::clock::Clock;
use sfn_runtime::driver::{self, TaskContext, TaskFuture, Tasks};
use sfn_runtime::failure::Failure;
use sfn_runtime::history::EventKind;
use sfn_runtime::interp::{Execution, ExecutionInfo, Outcome, TaskRequest};
use sfn_runtime::plan::Plan;
use sfn_runtime::run::{ExecutionSpec, execute};
use sfn_runtime::sfn_core::StateMachine;
use tokio::runtime::Runtime;

/// The resource of the loop's Task variant.
const INC: &str = "inc";
/// How many times the loops go round.
const LOOPS: u64 = 1000;
/// How many items the Map states iterate over.
const ITEMS: u64 = 1000;

/// 100 chained Pass states, `P0` to `P99`.
fn pass100() -> Value {
    let mut states = Map::new();
    for n in 0..100 {
        let state = if n == 99 {
            json!({"Type": "Pass", "End": true})
        } else {
            json!({"Type": "Pass", "Next": format!("P{}", n + 1)})
        };
        states.insert(format!("P{n}"), state);
    }
    json!({"StartAt": "P0", "States": states})
}

/// `Check` (a Choice) and `Inc` going round until `$.i` reaches [`LOOPS`]; `Inc` is a Pass
/// using `States.MathAdd`, or a Task on [`INC`].
fn loop1000(with_task: bool) -> Value {
    let inc = if with_task {
        json!({"Type": "Task", "Resource": INC, "Next": "Check"})
    } else {
        json!({
            "Type": "Pass",
            "Parameters": {"i.$": "States.MathAdd($.i, 1)"},
            "Next": "Check"
        })
    };
    json!({
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.i", "NumericGreaterThanEquals": LOOPS, "Next": "Done"}
                ],
                "Default": "Inc"
            },
            "Inc": inc,
            "Done": {"Type": "Succeed"}
        }
    })
}

/// An inline Map over `$.items` with a single Pass state per item, in the current
/// (`ItemProcessor`) or the legacy (`Iterator`) form.
fn map1000(legacy: bool) -> Value {
    let processor = json!({"StartAt": "In", "States": {"In": {"Type": "Pass", "End": true}}});
    let mut map = json!({
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrency": 0,
        "End": true
    });
    if legacy {
        map["Iterator"] = processor;
    } else {
        let mut processor = processor;
        processor["ProcessorConfig"] = json!({"Mode": "INLINE"});
        map["ItemProcessor"] = processor;
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

/// One workload: a definition and its input.
struct Workload {
    name: &'static str,
    definition: Value,
    input: Value,
    /// Whether `asl` can run it too.
    asl: bool,
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "pass100",
            definition: pass100(),
            input: json!({"x": 1}),
            asl: true,
        },
        Workload {
            name: "loop1000",
            definition: loop1000(false),
            input: json!({"i": 0}),
            asl: false,
        },
        Workload {
            name: "loop1000_task",
            definition: loop1000(true),
            input: json!({"i": 0}),
            asl: true,
        },
        Workload {
            name: "map1000",
            definition: map1000(false),
            input: json!({"items": (0..ITEMS).collect::<Vec<_>>()}),
            asl: false,
        },
        Workload {
            name: "map1000_iterator",
            definition: map1000(true),
            input: json!({"items": (0..ITEMS).collect::<Vec<_>>()}),
            asl: false,
        },
    ]
}

/// `{"i": i + 1}` from `{"i": i}`.
fn increment(input: &Value) -> Option<Value> {
    Some(json!({"i": input.get("i")?.as_u64()? + 1}))
}

/// Our handler for the loop's Task.
fn sfn_tasks() -> Tasks {
    let mut tasks = Tasks::new();
    tasks.register(
        INC,
        |request: TaskRequest, _cx: TaskContext| -> TaskFuture {
            let result = increment(&request.input)
                .ok_or_else(|| Failure::new("States.TaskFailed", "`i` is not a number"));
            Box::pin(async move { result })
        },
    );
    tasks
}

/// `asl`'s handler for the loop's Task.
struct AslTasks;

impl StateExecutionHandler for AslTasks {
    type TaskExecutionError = String;

    fn execute_task(
        &self,
        resource: &str,
        input: &Value,
        _credentials: Option<&Value>,
    ) -> Result<Option<Value>, Self::TaskExecutionError> {
        match resource {
            INC => increment(input)
                .map(Some)
                .ok_or_else(|| "`i` is not a number".to_owned()),
            other => Err(format!("unknown resource `{other}`")),
        }
    }
}

fn spec(name: &str, input: &Value) -> ExecutionSpec {
    ExecutionSpec {
        state_machine_name: name.to_owned(),
        execution_name: "bench".to_owned(),
        account: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        input: input.clone(),
    }
}

/// What `run::execute` builds from `spec`, for the driver benchmark.
fn info(spec: &ExecutionSpec, clock: Clock) -> ExecutionInfo {
    let Clock::Virtual { start } = clock else {
        unreachable!("the benchmarks run on virtual time")
    };
    spec.execution_info(start)
}

/// The state transitions of a finished execution: the states it entered.
fn sfn_transitions(execution: &Execution) -> u64 {
    let succeeded = matches!(execution.outcome(), Some(Outcome::Succeeded(_)));
    assert!(succeeded, "sfn: {:?}", execution.outcome());
    let entered = execution
        .history()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::StateEntered { .. }))
        .count();
    entered as u64
}

/// The state transitions of a finished `asl` execution: the states it ran.
fn asl_transitions(steps: &[StateExecutionOutput]) -> u64 {
    let status = steps.last().map(|s| &s.status);
    assert!(
        matches!(status, Some(ExecutionStatus::FinishedWithSuccess(_))),
        "asl: {status:?}"
    );
    steps.len() as u64
}

fn runtime() -> Runtime {
    // As the `sfn` command runs executions.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn transitions(c: &mut Criterion) {
    let rt = runtime();
    let tasks = sfn_tasks();
    for w in workloads() {
        let machine = StateMachine::from_json_str(&w.definition.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", w.name));
        let spec = spec(w.name, &w.input);
        let plan = Arc::new(Plan::compile(machine.clone()).expect("a valid definition"));

        // One run of each, to count the transitions and check both runtimes agree.
        let run = rt
            .block_on(execute(
                machine.clone(),
                spec.clone(),
                Clock::virtual_time(),
                &tasks,
            ))
            .expect("the execution finishes");
        let count = sfn_transitions(&run);
        let asl_machine = w.asl.then(|| {
            let m = AslMachine::parse(&w.definition.to_string()).expect("asl reads it");
            let steps: Vec<_> = m.start(&w.input, AslTasks, EmptyContext {}).collect();
            assert_eq!(asl_transitions(&steps), count, "{}: transitions", w.name);
            assert_eq!(
                steps.last().and_then(|s| s.result.as_ref()),
                match run.outcome() {
                    Some(Outcome::Succeeded(output)) => Some(&**output),
                    _ => None,
                },
                "{}: output",
                w.name
            );
            m
        });

        let mut group = c.benchmark_group(w.name);
        group.throughput(Throughput::Elements(count));
        group.bench_function("sfn/execute", |b| {
            b.iter_batched(
                || (machine.clone(), spec.clone()),
                |(machine, spec)| {
                    rt.block_on(execute(machine, spec, Clock::virtual_time(), &tasks))
                        .expect("the execution finishes")
                },
                BatchSize::SmallInput,
            );
        });
        group.bench_function("sfn/driver", |b| {
            b.iter_batched(
                || info(&spec, Clock::virtual_time()),
                |info| {
                    let clock = Clock::Virtual {
                        start: info.start_time,
                    };
                    rt.block_on(driver::run(plan.clone(), info, clock, &tasks))
                        .expect("the execution finishes")
                },
                BatchSize::SmallInput,
            );
        });
        if let Some(m) = &asl_machine {
            group.bench_function("asl", |b| {
                b.iter_batched(
                    || w.input.clone(),
                    |input| {
                        m.start(&input, AslTasks, EmptyContext {})
                            .collect::<Vec<_>>()
                    },
                    BatchSize::SmallInput,
                );
            });
        }
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    transitions(&mut c);
    c.final_summary();
}
