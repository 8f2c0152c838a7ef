//! Running typed workflows on the native interpreter: a thin layer over `sfn_runtime`.
//!
//! Nested executions (`states:startExecution`, `.sync`, `.sync:2`, `.waitForTaskToken`) are
//! answered here by running the registered child definition in-process with the same tasks
//! and clock. This is a stand-in until the runtime has its own registry of state machines;
//! the API (`Runtime::builder().workflow::<W>().task::<T>()`) stays when it moves there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sfn_core::workflow::{
    DefinitionConfig, DefinitionError, Failure, StateMachine, TaskKind, TaskSpec,
};
use sfn_runtime::clock::{Clock, format_timestamp};
use sfn_runtime::driver::{TaskContext, TaskFuture, Tasks};
use sfn_runtime::failure::Failure as RtFailure;
use sfn_runtime::history::HistoryEvent;
use sfn_runtime::interp::{Outcome, TaskRequest};
use sfn_runtime::run::{ExecutionSpec, execute};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

type Callbacks =
    Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<Result<Value, RtFailure>>>>>;

/// A closure answering a task in place of its handler.
type Mock = Arc<dyn Fn(Value) -> Result<Value, Failure> + Send + Sync>;

/// One execution in the tree of executions a run started.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionNode {
    /// The state machine's name.
    pub state_machine: String,
    /// The execution's ARN.
    pub execution_arn: String,
    /// `SUCCEEDED`, `FAILED`, …
    pub status: String,
    /// The parent execution's ARN, for nested executions.
    pub parent: Option<String>,
}

struct Shared {
    machines: HashMap<String, (String, sfn_core::StateMachine)>,
    tasks: Mutex<Tasks>,
    clock: Clock,
    callbacks: Callbacks,
    tree: Mutex<Vec<ExecutionNode>>,
    counter: AtomicU64,
}

/// Runs typed workflows natively.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # use sfn::prelude::*;
/// # #[sfn::workflow(name = "Hello")] async fn hello(_input: ()) -> Result<(), Failure> { Ok(()) }
/// let rt = sfn::Runtime::builder().workflow::<Hello>().build()?;
/// let run = rt.start::<Hello>(()).await?;
/// let out: () = run.output()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

/// Configures a [`Runtime`].
pub struct Builder {
    machines: Vec<(String, Result<sfn_core::StateMachine, DefinitionError>)>,
    tasks: Tasks,
    lambdas: HashMap<String, fn(Value) -> sfn_core::workflow::TaskFuture>,
    mocks: HashMap<String, Mock>,
    clock: Clock,
}

/// Why a workflow could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A definition could not be built.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The workflow was not registered with `.workflow::<W>()`.
    #[error("the workflow `{0}` is not registered; add `.workflow::<{0}>()` to the builder")]
    NotRegistered(String),
    /// The input could not be serialised.
    #[error("the input cannot be serialised: {0}")]
    Input(String),
    /// The interpreter could not run the definition.
    #[error(transparent)]
    Run(#[from] sfn_runtime::run::RunError),
}

impl Runtime {
    /// A builder with the virtual clock and no workflows.
    pub fn builder() -> Builder {
        Builder {
            machines: Vec::new(),
            tasks: Tasks::new(),
            lambdas: HashMap::new(),
            mocks: HashMap::new(),
            clock: Clock::virtual_time(),
        }
    }

    /// Runs `W` on `input` to its end.
    pub async fn start<W: StateMachine>(
        &self,
        input: W::Input,
    ) -> Result<Execution<W::Output>, RunError> {
        let input = serde_json::to_value(&input).map_err(|e| RunError::Input(e.to_string()))?;
        let arn = DefinitionConfig::default().state_machine_arn(W::NAME);
        let name = format!(
            "{}-{}",
            W::NAME,
            self.shared.counter.fetch_add(1, Ordering::Relaxed) + 1
        );
        let inner = run_machine(self.shared.clone(), arn, name, input, None).await?;
        Ok(Execution {
            inner,
            shared: self.shared.clone(),
            _t: std::marker::PhantomData,
        })
    }

    /// Task tokens of `.waitForTaskToken` tasks waiting for an answer.
    pub fn pending_task_tokens(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .shared
            .callbacks
            .lock()
            .expect("callbacks")
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// `SendTaskSuccess`: the waiting task succeeds with `output`. `false` if no task waits
    /// for `token`.
    pub fn send_task_success(&self, token: &str, output: &impl Serialize) -> bool {
        let value = serde_json::to_value(output).unwrap_or(Value::Null);
        self.answer(token, Ok(value))
    }

    /// `SendTaskFailure`: the waiting task fails with `error` and `cause`.
    pub fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> bool {
        self.answer(token, Err(RtFailure::new(error, cause)))
    }

    fn answer(&self, token: &str, r: Result<Value, RtFailure>) -> bool {
        let tx = self
            .shared
            .callbacks
            .lock()
            .expect("callbacks")
            .remove(token);
        tx.is_some_and(|tx| tx.send(r).is_ok())
    }

    /// Every execution started so far, parents before their children.
    pub fn executions(&self) -> Vec<ExecutionNode> {
        self.shared.tree.lock().expect("tree").clone()
    }
}

impl Builder {
    /// Registers `W`: it can be started, and child ARNs naming it run it.
    pub fn workflow<W: StateMachine>(mut self) -> Self {
        self.machines.push((W::NAME.to_owned(), W::definition()));
        self
    }

    /// Registers a `#[task]` fn as the native handler of its Task states.
    pub fn task<T: TaskSpec>(mut self) -> Self {
        match T::KIND {
            TaskKind::Lambda(function) => {
                self.lambdas.insert(function.to_owned(), T::invoke);
            }
            TaskKind::Resource(resource) => {
                self.tasks.register(
                    resource,
                    move |req: TaskRequest, _cx: TaskContext| -> TaskFuture {
                        let fut = T::invoke(req.input);
                        Box::pin(
                            async move { fut.await.map_err(|f| RtFailure::new(f.error, f.cause)) },
                        )
                    },
                );
            }
        }
        self
    }

    /// Answers a Lambda function (by name) or a resource with a closure instead of a task.
    pub fn mock(
        mut self,
        name: &str,
        f: impl Fn(Value) -> Result<Value, Failure> + Send + Sync + 'static,
    ) -> Self {
        self.mocks.insert(name.to_owned(), Arc::new(f));
        self
    }

    /// The clock: [`Clock::virtual_time()`] (the default) or [`Clock::Real`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The runtime, or the first definition that could not be built.
    pub fn build(self) -> Result<Runtime, RunError> {
        let mut machines = HashMap::new();
        let config = DefinitionConfig::default();
        for (name, def) in self.machines {
            machines.insert(config.state_machine_arn(&name), (name, def?));
        }
        let shared = Arc::new(Shared {
            machines,
            tasks: Mutex::new(Tasks::new()),
            clock: self.clock,
            callbacks: Arc::new(Mutex::new(HashMap::new())),
            tree: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let mut tasks = self.tasks;
        let lambdas = Arc::new(self.lambdas);
        let mocks = Arc::new(self.mocks);
        for (resource, m) in mocks.iter() {
            if resource.starts_with("arn:") {
                let m = m.clone();
                tasks.register(
                    resource.clone(),
                    move |req: TaskRequest, _cx: TaskContext| -> TaskFuture {
                        let r = m(req.input).map_err(|f| RtFailure::new(f.error, f.cause));
                        Box::pin(async move { r })
                    },
                );
            }
        }
        tasks.register(sfn_core::workflow::LAMBDA_INVOKE, move |req: TaskRequest, _cx: TaskContext| -> TaskFuture {
            let lambdas = lambdas.clone();
            let mocks = mocks.clone();
            Box::pin(async move {
                let function = req.input.get("FunctionName").and_then(Value::as_str).unwrap_or_default();
                // `arn:aws:lambda:…:function:Name[:qualifier]` or a bare name.
                let name = function.split(":function:").nth(1).unwrap_or(function);
                let name = name.split(':').next().unwrap_or(name).to_owned();
                let payload = req.input.get("Payload").cloned().unwrap_or(Value::Null);
                let out = if let Some(m) = mocks.get(&name) {
                    m(payload)
                } else if let Some(f) = lambdas.get(&name) {
                    f(payload).await
                } else {
                    return Err(RtFailure::new(
                        "Lambda.ResourceNotFoundException",
                        format!("Function not found: {function} (register it with `.task::<…>()` or `.mock(\"{name}\", …)`)"),
                    ));
                };
                match out {
                    Ok(p) => Ok(json!({"ExecutedVersion": "$LATEST", "Payload": p, "StatusCode": 200})),
                    Err(f) => Err(RtFailure::new(f.error, f.cause)),
                }
            })
        });
        let weak = Arc::downgrade(&shared);
        let nested = move |req: TaskRequest, cx: TaskContext| -> TaskFuture {
            let shared = weak.upgrade();
            Box::pin(async move {
                let Some(shared) = shared else {
                    return Err(RtFailure::new("States.Runtime", "the runtime is gone"));
                };
                nested_execution(shared, req, cx).await
            })
        };
        for suffix in ["", ".sync", ".sync:2", ".waitForTaskToken"] {
            tasks.register(
                format!("arn:aws:states:::states:startExecution{suffix}"),
                nested.clone(),
            );
        }
        *shared.tasks.lock().expect("tasks") = tasks;
        Ok(Runtime { shared })
    }
}

fn run_machine(
    shared: Arc<Shared>,
    arn: String,
    execution_name: String,
    input: Value,
    parent: Option<String>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<sfn_runtime::interp::Execution, RunError>> + Send>,
> {
    Box::pin(async move {
        let (name, machine) = shared.machines.get(&arn).cloned().ok_or_else(|| {
            RunError::NotRegistered(arn.rsplit(':').next().unwrap_or(&arn).to_owned())
        })?;
        let spec = ExecutionSpec {
            state_machine_name: name.clone(),
            execution_name,
            account: ACCOUNT.into(),
            region: REGION.into(),
            input,
        };
        let index = {
            let mut tree = shared.tree.lock().expect("tree");
            tree.push(ExecutionNode {
                state_machine: name,
                execution_arn: spec.execution_arn(),
                status: "RUNNING".into(),
                parent,
            });
            tree.len() - 1
        };
        let tasks = shared.tasks.lock().expect("tasks").clone();
        let exec = execute(machine, spec, shared.clock, &tasks).await?;
        if let Some(o) = exec.outcome() {
            shared.tree.lock().expect("tree")[index].status = o.status().to_owned();
        }
        Ok(exec)
    })
}

async fn nested_execution(
    shared: Arc<Shared>,
    req: TaskRequest,
    cx: TaskContext,
) -> Result<Value, RtFailure> {
    let arn = req
        .input
        .get("StateMachineArn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let n = shared.counter.fetch_add(1, Ordering::Relaxed) + 1;
    let name = req
        .input
        .get("Name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("child-{n}"));
    let input = match req.input.get("Input") {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        Some(v) => v.clone(),
    };
    let sm_name = arn.rsplit(':').next().unwrap_or_default().to_owned();
    let execution_arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{sm_name}:{name}");
    let parent = current_parent(&shared, &sm_name);
    let start_date = format_timestamp(0);
    if req.resource.ends_with("startExecution") {
        let s = shared.clone();
        let (a, nm, i) = (arn.clone(), name.clone(), input.clone());
        tokio::spawn(async move {
            let _ = run_machine(s, a, nm, i, parent).await;
        });
        return Ok(json!({"ExecutionArn": execution_arn, "StartDate": start_date}));
    }
    if req.resource.ends_with(".waitForTaskToken") {
        let (tx, rx) = tokio::sync::oneshot::channel();
        shared
            .callbacks
            .lock()
            .expect("callbacks")
            .insert(req.task_token.clone(), tx);
        let s = shared.clone();
        let (a, nm, i) = (arn.clone(), name.clone(), input.clone());
        tokio::spawn(async move {
            let _ = run_machine(s, a, nm, i, parent).await;
        });
        cx.submitted(json!({"ExecutionArn": execution_arn, "StartDate": start_date}));
        return rx.await.unwrap_or_else(|_| {
            Err(RtFailure::new(
                "States.TaskFailed",
                "the runtime stopped before the task token was answered",
            ))
        });
    }
    let exec = run_machine(shared, arn.clone(), name.clone(), input.clone(), parent)
        .await
        .map_err(|e| {
            RtFailure::new(
                "StepFunctions.StateMachineDoesNotExistException",
                e.to_string(),
            )
        })?;
    let typed = req.resource.ends_with(".sync:2");
    let text = |v: &Value| Value::String(v.to_string());
    let mut out = json!({
        "ExecutionArn": execution_arn,
        "Input": if typed { input.clone() } else { text(&input) },
        "InputDetails": {"Included": true},
        "Name": name,
        "StartDate": start_date,
        "StateMachineArn": arn,
    });
    match exec.outcome() {
        Some(Outcome::Succeeded(output)) => {
            let m = out.as_object_mut().expect("object");
            m.insert(
                "Output".into(),
                if typed { output.clone() } else { text(output) },
            );
            m.insert("OutputDetails".into(), json!({"Included": true}));
            m.insert("Status".into(), json!("SUCCEEDED"));
            m.insert("StopDate".into(), json!(start_date));
            Ok(out)
        }
        Some(o) => {
            let (error, cause) = match o {
                Outcome::Failed(f) | Outcome::TimedOut(f) | Outcome::Aborted(f) => {
                    (f.error.clone(), f.cause.clone())
                }
                Outcome::Succeeded(_) => (None, None),
            };
            let m = out.as_object_mut().expect("object");
            m.insert("Status".into(), json!(o.status()));
            m.insert("Error".into(), json!(error));
            m.insert("Cause".into(), json!(cause));
            Err(RtFailure::new("States.TaskFailed", out.to_string()))
        }
        None => Err(RtFailure::new(
            "States.TaskFailed",
            "the child execution did not end",
        )),
    }
}

fn current_parent(shared: &Shared, child: &str) -> Option<String> {
    // The task request does not carry its execution, so the parent is the most recent running
    // execution of another state machine. The nested-execution runtime will know it exactly.
    let tree = shared.tree.lock().expect("tree");
    tree.iter()
        .rev()
        .find(|n| n.status == "RUNNING" && n.state_machine != child)
        .map(|n| n.execution_arn.clone())
}

/// A finished execution of a workflow whose output is `T`.
pub struct Execution<T> {
    inner: sfn_runtime::interp::Execution,
    shared: Arc<Shared>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + 'static> Execution<T> {
    /// The typed output, or the failure the execution ended with.
    pub fn output(&self) -> Result<T, Failure> {
        match self.inner.outcome() {
            Some(Outcome::Succeeded(v)) => {
                // A workflow with no output (`()`) ends with whatever its last state gave.
                let v = if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() {
                    Value::Null
                } else {
                    v.clone()
                };
                serde_json::from_value(v).map_err(|e| Failure::new("Output.Invalid", e.to_string()))
            }
            Some(Outcome::Failed(f)) | Some(Outcome::TimedOut(f)) | Some(Outcome::Aborted(f)) => {
                Err(Failure::new(
                    f.error.clone().unwrap_or_default(),
                    f.cause.clone().unwrap_or_default(),
                ))
            }
            None => Err(Failure::new(
                "States.Runtime",
                "the execution has not ended",
            )),
        }
    }

    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn status(&self) -> &'static str {
        self.inner.outcome().map_or("RUNNING", |o| o.status())
    }

    /// The history events, as AWS records them.
    pub fn history(&self) -> &[HistoryEvent] {
        self.inner.history()
    }

    /// The names of the states entered, in order.
    pub fn states_entered(&self) -> Vec<String> {
        self.inner
            .history()
            .iter()
            .filter_map(|e| {
                let j = e.to_json();
                let t = j.get("type")?.as_str()?;
                if !t.ends_with("StateEntered") {
                    return None;
                }
                j.get("stateEnteredEventDetails")?
                    .get("name")?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    }

    /// The tree of executions of the runtime this ran on.
    pub fn executions(&self) -> Vec<ExecutionNode> {
        self.shared.tree.lock().expect("tree").clone()
    }
}
