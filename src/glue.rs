//! Running typed workflows natively: a thin, typed layer over [`sfn_runtime::Runtime`], the
//! Step Functions service in memory.
//!
//! Workflows are registered by name (their state machine ARN in the runtime's account and
//! Region), `#[task]` fns answer their Task states, and nested executions
//! (`states:startExecution`, `.sync`, `.sync:2`, `.waitForTaskToken`) run the registered child
//! in the same runtime, with the same clock, as AWS runs them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sfn_core::workflow::{DefinitionError, Failure, StateMachine, TaskKind, TaskSpec};
use sfn_runtime::clock::Clock;
use sfn_runtime::driver::{TaskContext, TaskFuture, Tasks};
use sfn_runtime::executions::ExecutionStatus;
use sfn_runtime::failure::Failure as RtFailure;
use sfn_runtime::history::{EventKind, HistoryEvent};
use sfn_runtime::interp::TaskRequest;
use sfn_runtime::runtime::{RuntimeError, StartExecution};

/// The Region typed workflows run in, as their definitions name child ARNs by default.
const REGION: &str = "us-east-1";
/// The account typed workflows run in.
const ACCOUNT: &str = "123456789012";

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
    inner: sfn_runtime::Runtime,
    /// Signalled when a task token is answered, so that a waiting `start` goes on.
    answered: Arc<tokio::sync::Notify>,
    counter: Arc<AtomicU64>,
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
    /// The runtime refused a definition or a request.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The Step Functions API refused a request.
    #[error(transparent)]
    Api(#[from] sfn_runtime::executions::ApiError),
    /// An untyped input does not fit the workflow's input schema.
    #[error("the input does not fit the input schema of `{workflow}`:\n{}", .errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    InvalidInput {
        /// The workflow.
        workflow: &'static str,
        /// Each offending field, with its JSON pointer.
        errors: Vec<sfn_runtime::schema::SchemaError>,
    },
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

    /// The runtime underneath: AWS's API by name (`describe_execution`, `stop_execution`,
    /// `get_execution_history`, …).
    pub fn service(&self) -> &sfn_runtime::Runtime {
        &self.inner
    }

    /// Runs `W` on `input` to its end. While its tasks wait for task tokens, it waits for
    /// [`send_task_success`](Self::send_task_success) or
    /// [`send_task_failure`](Self::send_task_failure) (with the virtual clock, a task's
    /// timeout comes first when it has one).
    pub async fn start<W: StateMachine>(
        &self,
        input: W::Input,
    ) -> Result<Execution<W::Output>, RunError> {
        let input = serde_json::to_value(&input).map_err(|e| RunError::Input(e.to_string()))?;
        self.run::<W>(input).await
    }

    /// Runs `W` on an untyped input (JSON from a file, a queue, another system), after
    /// checking it against `W`'s input schema: an input that does not fit is refused with the
    /// JSON pointer of each offending field.
    pub async fn start_json<W: StateMachine>(
        &self,
        input: Value,
    ) -> Result<Execution<W::Output>, RunError> {
        if let Some(schema) = W::input_schema() {
            sfn_runtime::schema::check(&schema, &input).map_err(|errors| {
                RunError::InvalidInput {
                    workflow: W::NAME,
                    errors,
                }
            })?;
        }
        self.run::<W>(input).await
    }

    async fn run<W: StateMachine>(&self, input: Value) -> Result<Execution<W::Output>, RunError> {
        let arn = self.inner.state_machine_arn(W::NAME);
        if !self.inner.state_machines().contains(&arn) {
            return Err(RunError::NotRegistered(W::NAME.to_owned()));
        }
        let name = format!(
            "{}-{}",
            W::NAME,
            self.counter.fetch_add(1, Ordering::Relaxed) + 1
        );
        let started = self
            .inner
            .start_execution(StartExecution::new(arn).name(name).input(input))?;
        loop {
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            match self.inner.wait(&started.execution_arn).await {
                Ok(_) => break,
                Err(RuntimeError::Idle(idle)) if !idle.waiting.is_empty() => answered.await,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Execution {
            runtime: self.inner.clone(),
            execution_arn: started.execution_arn,
            _t: std::marker::PhantomData,
        })
    }

    /// Task tokens of tasks waiting for an answer, oldest first.
    pub fn pending_task_tokens(&self) -> Vec<String> {
        self.inner
            .waiting_tasks()
            .into_iter()
            .map(|w| w.task_token)
            .collect()
    }

    /// `SendTaskSuccess`: the waiting task succeeds with `output`. `false` if no task waits
    /// for `token`.
    pub fn send_task_success(&self, token: &str, output: &impl Serialize) -> bool {
        let text = serde_json::to_string(output).unwrap_or_else(|_| "null".to_owned());
        let sent = self.inner.send_task_success(token, &text).is_ok();
        self.answered.notify_waiters();
        sent
    }

    /// `SendTaskFailure`: the waiting task fails with `error` and `cause`.
    pub fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> bool {
        let sent = self
            .inner
            .send_task_failure(token, Some(error), Some(cause))
            .is_ok();
        self.answered.notify_waiters();
        sent
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
                        let fut = T::invoke(Value::clone(&req.input));
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
        let mut tasks = self.tasks;
        let lambdas = Arc::new(self.lambdas);
        let mocks = Arc::new(self.mocks);
        for (resource, m) in mocks.iter() {
            if resource.starts_with("arn:") {
                let m = m.clone();
                tasks.register(
                    resource.clone(),
                    move |req: TaskRequest, _cx: TaskContext| -> TaskFuture {
                        let r = m(Value::clone(&req.input))
                            .map_err(|f| RtFailure::new(f.error, f.cause));
                        Box::pin(async move { r })
                    },
                );
            }
        }
        tasks.register(
            sfn_core::workflow::LAMBDA_INVOKE,
            move |req: TaskRequest, _cx: TaskContext| -> TaskFuture {
                let lambdas = lambdas.clone();
                let mocks = mocks.clone();
                Box::pin(async move { invoke_lambda(&lambdas, &mocks, &req.input).await })
            },
        );
        let mut runtime = sfn_runtime::Runtime::builder()
            .clock(self.clock)
            .tasks(tasks)
            .account(ACCOUNT)
            .region(REGION);
        for (name, definition) in self.machines {
            runtime = runtime.machine(name, definition?);
        }
        Ok(Runtime {
            inner: runtime.build()?,
            answered: Arc::new(tokio::sync::Notify::new()),
            counter: Arc::new(AtomicU64::new(0)),
        })
    }
}

/// `arn:aws:states:::lambda:invoke` for `#[task(lambda = …)]` fns and mocks: the function by
/// `FunctionName` (a name or an ARN, with or without a qualifier), `Payload` in, Lambda's
/// response out.
async fn invoke_lambda(
    lambdas: &HashMap<String, fn(Value) -> sfn_core::workflow::TaskFuture>,
    mocks: &HashMap<String, Mock>,
    input: &Value,
) -> Result<Value, RtFailure> {
    let function = input
        .get("FunctionName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = function.split(":function:").nth(1).unwrap_or(function);
    let name = name.split(':').next().unwrap_or(name);
    let payload = input.get("Payload").cloned().unwrap_or(Value::Null);
    let out = if let Some(m) = mocks.get(name) {
        m(payload)
    } else if let Some(f) = lambdas.get(name) {
        f(payload).await
    } else {
        return Err(RtFailure::new(
            "Lambda.ResourceNotFoundException",
            format!(
                "Function not found: {function} (register it with `.task::<…>()` or `.mock(\"{name}\", …)`)"
            ),
        ));
    };
    match out {
        Ok(p) => Ok(json!({"ExecutedVersion": "$LATEST", "Payload": p, "StatusCode": 200})),
        Err(f) => Err(RtFailure::new(f.error, f.cause)),
    }
}

/// A finished execution of a workflow whose output is `T`.
pub struct Execution<T> {
    runtime: sfn_runtime::Runtime,
    execution_arn: String,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + 'static> Execution<T> {
    /// The execution's ARN.
    pub fn execution_arn(&self) -> &str {
        &self.execution_arn
    }

    /// The typed output, or the failure the execution ended with.
    pub fn output(&self) -> Result<T, Failure> {
        let d = self
            .runtime
            .describe_execution(&self.execution_arn)
            .map_err(|e| Failure::new("States.Runtime", e.to_string()))?;
        match d.status {
            ExecutionStatus::Succeeded => {
                // A workflow with no output (`()`) ends with whatever its last state gave.
                let v = if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() {
                    Value::Null
                } else {
                    d.output.unwrap_or(Value::Null)
                };
                serde_json::from_value(v).map_err(|e| Failure::new("Output.Invalid", e.to_string()))
            }
            ExecutionStatus::Running => Err(Failure::new(
                "States.Runtime",
                "the execution has not ended",
            )),
            _ => Err(Failure::new(
                d.error.unwrap_or_default(),
                d.cause.unwrap_or_default(),
            )),
        }
    }

    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED` (or `RUNNING`).
    pub fn status(&self) -> &'static str {
        self.runtime
            .describe_execution(&self.execution_arn)
            .map_or("RUNNING", |d| d.status.as_str())
    }

    /// The history events, as AWS records them.
    pub fn history(&self) -> Vec<HistoryEvent> {
        self.runtime
            .with_execution(&self.execution_arn, |e| e.history().to_vec())
            .unwrap_or_default()
    }

    /// The names of the states entered, in order.
    pub fn states_entered(&self) -> Vec<String> {
        self.runtime
            .with_execution(&self.execution_arn, |e| {
                e.history()
                    .iter()
                    .filter_map(|event| match &event.kind {
                        EventKind::StateEntered { name, .. } => Some(name.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// This execution and the executions it started, parents before their children.
    pub fn executions(&self) -> Vec<ExecutionNode> {
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([(self.execution_arn.clone(), None)]);
        while let Some((arn, parent)) = queue.pop_front() {
            let Ok(d) = self.runtime.describe_execution(&arn) else {
                continue;
            };
            for child in self.runtime.children(&arn).unwrap_or_default() {
                queue.push_back((child, Some(arn.clone())));
            }
            out.push(ExecutionNode {
                state_machine: d
                    .state_machine_arn
                    .rsplit(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                execution_arn: arn,
                status: d.status.as_str().to_owned(),
                parent,
            });
        }
        out
    }
}
