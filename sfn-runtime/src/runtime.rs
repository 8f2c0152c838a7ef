//! A Step Functions service in memory: state machines by ARN, executions by ARN, and the API
//! operations AWS names `StartExecution`, `DescribeExecution`, `StopExecution`,
//! `ListExecutions`, `GetExecutionHistory`, `SendTaskSuccess`, `SendTaskFailure` and
//! `SendTaskHeartbeat`.
//!
//! Every execution of a [`Runtime`] shares one clock and one scheduler, so nested executions
//! (`arn:aws:states:::states:startExecution`, `.sync`, `.sync:2`, `.waitForTaskToken`) run in
//! the same virtual time as their parents: a child's Wait makes its parent's `.sync` task wait
//! as long, and time jumps only when every execution waits for a timer.
//!
//! ```no_run
//! # async fn demo(parent: sfn_core::StateMachine, child: sfn_core::StateMachine) {
//! use sfn_runtime::runtime::{Runtime, StartExecution};
//! let rt = Runtime::builder().machine("Child", child).machine("Parent", parent).build().unwrap();
//! let started = rt
//!     .start_execution(StartExecution::new(rt.state_machine_arn("Parent")))
//!     .unwrap();
//! let description = rt.wait(&started.execution_arn).await.unwrap();
//! # }
//! ```
//!
//! Nothing runs in the background: the scheduler advances while someone awaits
//! [`Runtime::wait`], [`Runtime::run_until_idle`] or [`Runtime::advance`]. When every running
//! execution waits for a task token and no timer is due, those return what waits
//! ([`Idle`]) instead of hanging.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use sfn_core::StateMachine;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::{AbortHandle, JoinSet};

use crate::clock::{Clock, system_now};
use crate::driver::{Progress, TaskContext, Tasks};
use crate::executions::StartExecutionResponse;
use crate::executions::{
    ApiError, DescriptionRef, ExecutionDescription, ExecutionStatus, SyncResult,
    validate_execution_name,
};
use crate::failure::Failure;
use crate::history::{EventKind, HistoryEvent, TaskResult};
use crate::interp::{
    Command, Event, Execution, ExecutionInfo, MachineInfo, Outcome, TaskRequest, TaskToken,
};
use crate::plan::{Plan, PlanError};

/// The input field that links a child execution to the execution that started it.
pub const STARTED_BY_FIELD: &str = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID";

/// Why the runtime could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A definition is not valid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A state machine ARN that is not `arn:<partition>:states:<region>:<account>:stateMachine:<name>`.
    #[error(
        "`{0}` is not a state machine ARN (`arn:aws:states:<region>:<account>:stateMachine:<name>`) nor a state machine name (1 to 80 characters, without whitespace, control characters or any of `< > {{ }} [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /`)"
    )]
    InvalidStateMachine(String),
    /// The API refused a request.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Nothing can happen any more, yet executions are running: they wait for task tokens.
    #[error("{0}")]
    Idle(Idle),
}

/// Nothing can happen without someone outside: no task is running, no timer is set, and
/// these tasks wait for `SendTaskSuccess`, `SendTaskFailure` or `SendTaskHeartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Idle {
    /// The tasks that wait for their token, in the order they started.
    pub waiting: Vec<WaitingTask>,
    /// The executions still running.
    pub running: Vec<String>,
}

impl std::fmt::Display for Idle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.waiting.is_empty() {
            return write!(
                f,
                "{} executions are running, yet no task runs and no timer is set",
                self.running.len()
            );
        }
        write!(
            f,
            "every execution waits for a task token and no timer is due; send SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with one of these tokens:"
        )?;
        for w in &self.waiting {
            write!(
                f,
                "\n  {} (state `{}` of {})",
                w.task_token, w.state_name, w.execution_arn
            )?;
        }
        Ok(())
    }
}

/// A task that waits for its task token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingTask {
    /// The execution the task belongs to.
    pub execution_arn: String,
    /// The Task state.
    pub state_name: String,
    /// Its token (`$$.Task.Token`).
    pub task_token: String,
}

/// The parameters of `StartExecution`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartExecution {
    /// The state machine (its ARN, or a version or alias ARN of it).
    pub state_machine_arn: String,
    /// The execution's name; a UUID when absent.
    pub name: Option<String>,
    /// The input; `{}` when absent.
    pub input: Option<Value>,
    /// The X-Ray trace header.
    pub trace_header: Option<String>,
}

impl StartExecution {
    /// Starts `state_machine_arn` with input `{}` and a generated name.
    pub fn new(state_machine_arn: impl Into<String>) -> Self {
        StartExecution {
            state_machine_arn: state_machine_arn.into(),
            name: None,
            input: None,
            trace_header: None,
        }
    }

    /// With this execution name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With this input.
    pub fn input(mut self, input: Value) -> Self {
        self.input = Some(input);
        self
    }

    /// With this trace header.
    pub fn trace_header(mut self, header: impl Into<String>) -> Self {
        self.trace_header = Some(header.into());
        self
    }
}

/// What `StartExecution` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedExecution {
    /// The execution's ARN.
    pub execution_arn: String,
    /// When it started (milliseconds since the Unix epoch).
    pub start_date: i64,
}

/// One execution as `ListExecutions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionListItem {
    /// The execution's ARN.
    pub execution_arn: String,
    /// Its state machine's ARN.
    pub state_machine_arn: String,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: ExecutionStatus,
    /// When it started.
    pub start_date: i64,
    /// When it ended.
    pub stop_date: Option<i64>,
}

/// Builds a [`Runtime`].
#[derive(Debug, Default)]
pub struct RuntimeBuilder {
    clock: Option<Clock>,
    tasks: Tasks,
    machines: Vec<(String, StateMachine)>,
    account: Option<String>,
    region: Option<String>,
}

impl RuntimeBuilder {
    /// Where time comes from; virtual time starting now by default.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The handlers of Task states. The runtime runs `states:startExecution…` tasks itself,
    /// unless a handler is registered for that exact resource, or the state machine to start
    /// is not registered and a fallback handler (mocks, recorded results) can answer.
    pub fn tasks(mut self, tasks: Tasks) -> Self {
        self.tasks = tasks;
        self
    }

    /// Registers a state machine by ARN or by name (see [`Runtime::register`]).
    pub fn machine(mut self, arn_or_name: impl Into<String>, definition: StateMachine) -> Self {
        self.machines.push((arn_or_name.into(), definition));
        self
    }

    /// The account of ARNs built from names (`123456789012` by default).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The Region of ARNs built from names (`us-east-1` by default).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The runtime, with its state machines compiled.
    pub fn build(self) -> Result<Runtime, RuntimeError> {
        let clock = self.clock.unwrap_or_else(Clock::virtual_time);
        let now = match clock {
            Clock::Virtual { start } => start,
            Clock::Real => system_now(),
        };
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let rt = Runtime {
            inner: Arc::new(Inner {
                core: Mutex::new(Core::new(
                    self.account.unwrap_or_else(|| "123456789012".into()),
                    self.region.unwrap_or_else(|| "us-east-1".into()),
                    now,
                )),
                driver: tokio::sync::Mutex::new(Driver {
                    running: JoinSet::new(),
                    ids: HashMap::new(),
                    handles: HashMap::new(),
                    progress_tx: tx,
                    progress_rx: rx,
                }),
                tasks: self.tasks,
                clock,
                notify: tokio::sync::Notify::new(),
            }),
        };
        for (arn, machine) in self.machines {
            rt.register(&arn, machine)?;
        }
        Ok(rt)
    }
}

/// A Step Functions service in memory. Cheap to clone: clones share everything, so a task
/// handler can hold one to call [`send_task_success`](Runtime::send_task_success).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let core = self.core();
        f.debug_struct("Runtime")
            .field("clock", &self.inner.clock)
            .field("machines", &core.machines.len())
            .field("executions", &core.execs.len())
            .finish()
    }
}

struct Inner {
    core: Mutex<Core>,
    driver: tokio::sync::Mutex<Driver>,
    tasks: Tasks,
    clock: Clock,
    notify: tokio::sync::Notify,
}

/// What runs on tokio: the futures of task handlers and their progress reports.
struct Driver {
    running: JoinSet<(u64, Result<Value, Failure>)>,
    ids: HashMap<tokio::task::Id, u64>,
    handles: HashMap<u64, AbortHandle>,
    progress_tx: UnboundedSender<(u64, Progress)>,
    progress_rx: UnboundedReceiver<(u64, Progress)>,
}

/// How a `states:startExecution` task waits for its child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    RequestResponse,
    Sync,
    Sync2,
    Callback,
}

/// A registered state machine.
struct Machine {
    info: Arc<MachineInfo>,
    plan: Arc<Plan>,
    /// `arn:<partition>:states:<region>:<account>:execution:<machine name>:`, the start of
    /// its executions' ARNs.
    execution_prefix: Box<str>,
}

/// One execution and what the service knows about it.
struct Exec {
    exec: Execution,
    /// The execution that started it (a `states:startExecution` task).
    parent: Option<u32>,
    /// What it was started with that few executions have.
    links: Option<Box<Links>>,
    stop: Option<i64>,
    /// `.sync`/`.sync:2` tasks waiting for this execution: (execution, task token, pattern).
    waiters: Vec<(u32, u64, Pattern)>,
    /// Timers set.
    timers: u32,
}

/// The parent an execution's input names, and the `TraceHeader` it was started with.
struct Links {
    started_by: Option<Box<str>>,
    trace_header: Option<Box<str>>,
}

impl Exec {
    /// The execution `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` in its input names.
    fn started_by(&self) -> Option<&str> {
        self.links.as_ref()?.started_by.as_deref()
    }

    /// The `TraceHeader` it was started with.
    fn trace_header(&self) -> Option<&str> {
        self.links.as_ref()?.trace_header.as_deref()
    }
}

/// What the runtime keeps about a running task.
#[derive(Default)]
struct Slot {
    /// The id of its `TaskScheduled` event, which its `$$.Task.Token` carries, when it can be
    /// answered with `SendTask*`.
    callback: Option<u64>,
    /// The id of its handler's future.
    dispatch: Option<u64>,
    /// The child execution it waits for.
    child: Option<(u32, Pattern)>,
}

type TaskKey = (u32, u64);

/// The runtime's tables: keys are ARNs and small integers, hashed fast.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Every execution, by index, in chunks of fixed size: a runtime holding a million
/// executions neither reserves room for another million nor moves them as it grows.
#[derive(Default)]
struct Execs {
    chunks: Vec<Vec<Exec>>,
    len: usize,
}

impl Execs {
    const CHUNK: usize = 1024;

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, x: Exec) {
        if self.len % Self::CHUNK == 0 {
            // The first chunk grows as needed (a runtime often holds a few executions);
            // the next ones are reserved whole.
            let capacity = if self.chunks.is_empty() {
                4
            } else {
                Self::CHUNK
            };
            self.chunks.push(Vec::with_capacity(capacity));
        }
        self.chunks.last_mut().expect("a chunk with room").push(x);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &Exec> {
        self.chunks.iter().flatten()
    }
}

impl std::ops::Index<usize> for Execs {
    type Output = Exec;

    fn index(&self, i: usize) -> &Exec {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Execs {
    fn index_mut(&mut self, i: usize) -> &mut Exec {
        &mut self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

/// Everything the service holds, behind one lock.
struct Core {
    account: String,
    region: String,
    machines: Vec<Machine>,
    machine_by_arn: FastMap<Arc<str>, usize>,
    execs: Execs,
    exec_by_arn: FastMap<Arc<str>, u32>,
    now: i64,
    timers: BTreeMap<(i64, u64), TaskKey>,
    timer_keys: FastMap<TaskKey, (i64, u64)>,
    seq: u64,
    queue: VecDeque<(u32, Event)>,
    commands: VecDeque<(u32, Command)>,
    slots: FastMap<TaskKey, Slot>,
    /// Tasks that take a task token, by execution and `TaskScheduled` event id (what a token
    /// names): the task's key.
    callbacks: FastMap<(u32, u64), u64>,
    dispatch: FastMap<u64, TaskKey>,
    next_dispatch: u64,
    to_spawn: Vec<(u64, TaskRequest)>,
    to_abort: Vec<u64>,
    /// The commands of one step, reused.
    scratch: Vec<Command>,
}

fn nested_pattern(resource: &str) -> Option<Pattern> {
    let rest = resource.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(':')?;
    let suffix = rest.strip_prefix("states:::states:startExecution")?;
    match suffix {
        "" => Some(Pattern::RequestResponse),
        ".sync" => Some(Pattern::Sync),
        ".sync:2" => Some(Pattern::Sync2),
        ".waitForTaskToken" => Some(Pattern::Callback),
        _ => None,
    }
}

/// Whether a task of this resource can be answered with its task token.
fn takes_token(resource: &str) -> bool {
    resource.ends_with(".waitForTaskToken")
        || resource.ends_with(".sync")
        || resource.ends_with(".sync:2")
}

/// A valid execution or state machine name (the parts of ARNs this runtime builds).
fn is_machine_name(name: &str) -> bool {
    validate_execution_name(name).is_ok()
}

/// `arn:<partition>:states:<region>:<account>:stateMachine:<name>` → (region, account, name).
fn parse_machine_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        [
            "arn",
            partition,
            "states",
            region,
            account,
            "stateMachine",
            name,
            ..,
        ] if !partition.is_empty()
            && !region.is_empty()
            && !account.is_empty()
            && !name.is_empty()
            && parts.len() <= 8 =>
        {
            Some((region, account, name))
        }
        _ => None,
    }
}

/// A random (version 4) UUID, from the thread's fast generator rather than the operating
/// system's, as request ids and generated names need no more.
fn new_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

impl Core {
    fn new(account: String, region: String, now: i64) -> Self {
        Core {
            account,
            region,
            machines: Vec::new(),
            machine_by_arn: FastMap::default(),
            execs: Execs::default(),
            exec_by_arn: FastMap::default(),
            now,
            timers: BTreeMap::new(),
            timer_keys: FastMap::default(),
            seq: 0,
            queue: VecDeque::new(),
            commands: VecDeque::new(),
            slots: FastMap::default(),
            callbacks: FastMap::default(),
            dispatch: FastMap::default(),
            next_dispatch: 1,
            to_spawn: Vec::new(),
            to_abort: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn machine_arn(&self, arn_or_name: &str) -> Result<String, RuntimeError> {
        if arn_or_name.starts_with("arn:") {
            match parse_machine_arn(arn_or_name) {
                Some((_, _, name))
                    if is_machine_name(name) && arn_or_name.split(':').count() == 7 =>
                {
                    Ok(arn_or_name.to_owned())
                }
                _ => Err(RuntimeError::InvalidStateMachine(arn_or_name.to_owned())),
            }
        } else if is_machine_name(arn_or_name) {
            Ok(format!(
                "arn:aws:states:{}:{}:stateMachine:{arn_or_name}",
                self.region, self.account
            ))
        } else {
            Err(RuntimeError::InvalidStateMachine(arn_or_name.to_owned()))
        }
    }

    fn register(&mut self, arn: String, plan: Arc<Plan>) -> String {
        let (region, account, name) = parse_machine_arn(&arn).expect("checked by machine_arn");
        let execution_prefix =
            format!("arn:aws:states:{region}:{account}:execution:{name}:").into();
        let info = Arc::new(MachineInfo {
            arn: arn.clone(),
            ..MachineInfo::new(region, account, name)
        });
        let arn: Arc<str> = arn.into();
        let machine = Machine {
            info,
            plan,
            execution_prefix,
        };
        match self.machine_by_arn.get(&arn) {
            Some(&i) => self.machines[i] = machine,
            None => {
                self.machine_by_arn.insert(arn.clone(), self.machines.len());
                self.machines.push(machine);
            }
        }
        arn.to_string()
    }

    /// The state machine of an ARN, unqualified or qualified with a version or alias.
    fn resolve_machine(&self, arn: &str) -> Result<usize, ApiError> {
        if let Some(&i) = self.machine_by_arn.get(arn) {
            return Ok(i);
        }
        if parse_machine_arn(arn).is_none() {
            return Err(ApiError::InvalidArn(arn.to_owned()));
        }
        if arn.split(':').count() == 8 {
            let unqualified = &arn[..arn.rfind(':').unwrap_or(arn.len())];
            if let Some(&i) = self.machine_by_arn.get(unqualified) {
                return Ok(i);
            }
        }
        Err(ApiError::StateMachineDoesNotExist(arn.to_owned()))
    }

    fn exec_index(&self, arn: &str) -> Result<u32, ApiError> {
        self.exec_by_arn
            .get(arn)
            .copied()
            .ok_or_else(|| ApiError::ExecutionDoesNotExist(arn.to_owned()))
    }

    /// Creates an execution (not started yet), or finds the running one of the same name and
    /// input (`StartExecution` is idempotent). Returns its index and whether it is new.
    fn create(
        &mut self,
        request: StartExecution,
        parent: Option<u32>,
    ) -> Result<(u32, bool), ApiError> {
        let m = self.resolve_machine(&request.state_machine_arn)?;
        let mut generated = uuid::Uuid::encode_buffer();
        let name: &str = match &request.name {
            Some(n) => {
                validate_execution_name(n)?;
                n
            }
            None => uuid::Builder::from_random_bytes(rand::random())
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut generated),
        };
        let input = request.input.unwrap_or_else(|| Value::Object(Map::new()));
        let machine = &self.machines[m];
        let mut execution_arn = String::with_capacity(machine.execution_prefix.len() + name.len());
        execution_arn.push_str(&machine.execution_prefix);
        execution_arn.push_str(name);
        if let Some(&existing) = self.exec_by_arn.get(execution_arn.as_str()) {
            let e = &self.execs[existing as usize];
            if e.stop.is_none() && *e.exec.info().input == input {
                return Ok((existing, false));
            }
            return Err(ApiError::ExecutionAlreadyExists(execution_arn));
        }
        let started_by: Option<Box<str>> = match &input {
            Value::Object(o) => o
                .get(STARTED_BY_FIELD)
                .and_then(Value::as_str)
                .map(Into::into),
            _ => None,
        };
        let trace_header: Option<Box<str>> = request.trace_header.map(Into::into);
        let links = (started_by.is_some() || trace_header.is_some()).then(|| {
            Box::new(Links {
                started_by,
                trace_header,
            })
        });
        let execution_arn: Arc<str> = execution_arn.into();
        let info = ExecutionInfo {
            execution_arn: execution_arn.clone(),
            machine: machine.info.clone(),
            input: Arc::new(input),
            start_time: self.now,
        };
        let index = u32::try_from(self.execs.len()).expect("fewer than 2^32 executions");
        self.execs.push(Exec {
            exec: Execution::new(machine.plan.clone(), info),
            parent,
            links,
            stop: None,
            waiters: Vec::new(),
            timers: 0,
        });
        self.exec_by_arn.insert(execution_arn, index);
        Ok((index, true))
    }

    /// Starts a created execution.
    fn begin(&mut self, e: u32) {
        let now = self.now;
        let commands = self.execs[e as usize].exec.start(now);
        self.after(e, commands);
    }

    fn after(&mut self, e: u32, commands: Vec<Command>) {
        self.commands.extend(commands.into_iter().map(|c| (e, c)));
        self.close_if_ended(e);
    }

    /// Closes the execution if its last step ended it.
    fn close_if_ended(&mut self, e: u32) {
        let x = &self.execs[e as usize];
        if x.stop.is_none() && x.exec.outcome().is_some() {
            self.close(e);
        }
    }

    /// An execution ended: its timers go, and the tasks waiting for it learn how it ended.
    fn close(&mut self, e: u32) {
        let now = self.now;
        let x = &mut self.execs[e as usize];
        x.stop = Some(now);
        x.exec.release();
        if x.timers > 0 {
            x.timers = 0;
            self.timers.retain(|_, k| k.0 != e);
            self.timer_keys.retain(|k, _| k.0 != e);
        }
        let waiters = std::mem::take(&mut self.execs[e as usize].waiters);
        if waiters.is_empty() {
            return;
        }
        for &(p, token, _) in &waiters {
            self.forget_task((p, token));
        }
        let x = &self.execs[e as usize];
        let succeeded = match x.exec.outcome() {
            Some(Outcome::Succeeded(output)) => Some(SyncResult {
                execution_arn: x.exec.info().execution_arn.clone(),
                machine: x.exec.info().machine.clone(),
                input: x.exec.info().input.clone(),
                output: output.clone(),
                start_date: x.exec.info().start_time,
                stop_date: now,
                trace_header: x.trace_header().map(Into::into),
                parsed: false,
            }),
            _ => None,
        };
        let description = Self::describe_ref(&self.execs, e);
        for (p, token, pattern) in waiters {
            let event = match &succeeded {
                Some(result) => Event::TaskSucceeded {
                    token,
                    output: TaskResult::Execution(Box::new(SyncResult {
                        parsed: pattern == Pattern::Sync2,
                        ..result.clone()
                    })),
                },
                _ => Event::TaskFailed {
                    token,
                    failure: Failure::new("States.TaskFailed", description.failure_cause()),
                },
            };
            self.queue.push_back((p, event));
        }
    }

    /// Drops what the runtime keeps about a task that has ended.
    fn forget_task(&mut self, key: TaskKey) -> Option<Slot> {
        let slot = self.slots.remove(&key)?;
        if let Some(cb) = slot.callback {
            self.callbacks.remove(&(key.0, cb));
        }
        if let Some(d) = slot.dispatch {
            self.dispatch.remove(&d);
            self.to_abort.push(d);
        }
        if let Some((child, _)) = slot.child {
            self.execs[child as usize]
                .waiters
                .retain(|w| (w.0, w.1) != key);
        }
        Some(slot)
    }

    /// What `.sync` results and failure causes need of an execution, borrowed.
    fn describe_ref(execs: &Execs, e: u32) -> DescriptionRef<'_> {
        let x = &execs[e as usize];
        let info = x.exec.info();
        let (status, output, failure) = match x.exec.outcome() {
            None => (ExecutionStatus::Running, None, None),
            Some(Outcome::Succeeded(v)) => (ExecutionStatus::Succeeded, Some(&**v), None),
            Some(Outcome::Failed(f)) => (ExecutionStatus::Failed, None, Some(f)),
            Some(Outcome::TimedOut(f)) => (ExecutionStatus::TimedOut, None, Some(f)),
            Some(Outcome::Aborted(f)) => (ExecutionStatus::Aborted, None, Some(f)),
        };
        DescriptionRef {
            execution_arn: &info.execution_arn,
            state_machine_arn: &info.machine.arn,
            name: info.name(),
            status,
            start_date: info.start_time,
            stop_date: x.stop,
            input: &info.input,
            output,
            error: failure.and_then(|f| f.error.as_deref()),
            cause: failure.and_then(|f| f.cause.as_deref()),
            trace_header: x.trace_header(),
        }
    }

    fn describe(&self, e: u32) -> ExecutionDescription {
        let x = &self.execs[e as usize];
        Self::describe_ref(&self.execs, e).to_description(x.started_by())
    }

    /// Carries out queued commands and feeds queued events until nothing is left.
    fn settle(&mut self, tasks: &Tasks) {
        loop {
            if let Some((e, command)) = self.commands.pop_front() {
                self.apply(tasks, e, command);
                continue;
            }
            if let Some((e, event)) = self.queue.pop_front() {
                let x = &mut self.execs[e as usize];
                if x.stop.is_some() {
                    continue;
                }
                let mut commands = std::mem::take(&mut self.scratch);
                x.exec.handle_into(event, self.now, &mut commands);
                self.commands.extend(commands.drain(..).map(|c| (e, c)));
                self.scratch = commands;
                self.close_if_ended(e);
                continue;
            }
            break;
        }
        // A burst (a Map starting its iterations, many executions started at once) leaves
        // large queues behind: give the memory back.
        if self.commands.capacity() > 1024 {
            self.commands.shrink_to(64);
        }
        if self.queue.capacity() > 1024 {
            self.queue.shrink_to(64);
        }
    }

    fn apply(&mut self, tasks: &Tasks, e: u32, command: Command) {
        match command {
            Command::RunTask { token, request } => match nested_pattern(&request.resource) {
                Some(pattern) if self.runs_natively(tasks, &request) => {
                    self.start_nested(e, token, pattern, *request);
                }
                _ => {
                    let d = self.next_dispatch;
                    self.next_dispatch += 1;
                    self.dispatch.insert(d, (e, token));
                    let mut slot = Slot {
                        dispatch: Some(d),
                        ..Slot::default()
                    };
                    if takes_token(&request.resource) {
                        let cb = request.task_token.event;
                        self.callbacks.insert((e, cb), token);
                        slot.callback = Some(cb);
                    }
                    self.slots.insert((e, token), slot);
                    self.to_spawn.push((d, *request));
                }
            },
            Command::StartTimer { token, at } => {
                self.seq += 1;
                self.timers.insert((at, self.seq), (e, token));
                self.timer_keys.insert((e, token), (at, self.seq));
                self.execs[e as usize].timers += 1;
            }
            Command::Cancel { token } => {
                if let Some(k) = self.timer_keys.remove(&(e, token)) {
                    self.timers.remove(&k);
                    let x = &mut self.execs[e as usize];
                    x.timers = x.timers.saturating_sub(1);
                    return;
                }
                if let Some(slot) = self.forget_task((e, token)) {
                    // AWS stops a `.sync` child whose task was aborted (best effort).
                    if let Some((child, Pattern::Sync | Pattern::Sync2)) = slot.child {
                        self.stop(child, None, None);
                    }
                }
                self.queue
                    .retain(|(x, event)| *x != e || event.token() != token);
            }
            Command::ReadItems {
                token,
                resource,
                parameters,
            } => {
                let result =
                    crate::objects::read_items(tasks.object_store(), &resource, &parameters);
                self.queue
                    .push_back((e, Event::ItemsRead { token, result }));
            }
            Command::WriteResults {
                token,
                resource,
                bucket,
                objects,
            } => {
                let result = crate::objects::write_results(
                    tasks.object_store(),
                    &resource,
                    &bucket,
                    objects,
                );
                self.queue
                    .push_back((e, Event::ResultsWritten { token, result }));
            }
        }
    }

    /// Whether the runtime runs a `states:startExecution` task itself: unless a handler is
    /// registered for that resource, or a fallback (mocks, recorded results) is there to
    /// answer for a state machine that is not registered.
    fn runs_natively(&self, tasks: &Tasks, request: &TaskRequest) -> bool {
        if tasks.handles(&request.resource) {
            return false;
        }
        !tasks.has_fallback()
            || request
                .input
                .get("StateMachineArn")
                .and_then(Value::as_str)
                .is_some_and(|arn| self.resolve_machine(arn).is_ok())
    }

    /// A `states:startExecution` task: start the child, answer as the pattern says.
    fn start_nested(&mut self, e: u32, token: u64, pattern: Pattern, request: TaskRequest) {
        let parameters = match &*request.input {
            Value::Object(o) => o,
            other => {
                let failure = Failure::runtime(format!(
                    "The state '{}' starts an execution with the parameters {other}, which are not an object: give `StateMachineArn` (and optionally `Input`, `Name`, `TraceHeader`) in `Parameters` or `Arguments`",
                    request.state_name
                ));
                self.queue
                    .push_back((e, Event::TaskFailed { token, failure }));
                return;
            }
        };
        let request_id = || new_uuid();
        let start = match self.nested_request(&request.state_name, parameters) {
            Ok(start) => start,
            Err(failure) => {
                self.queue
                    .push_back((e, Event::TaskFailed { token, failure }));
                return;
            }
        };
        let (child, new) = match self.create(start, Some(e)) {
            Ok(c) => c,
            Err(api) => {
                let failure = api.task_failure(&request_id());
                self.queue
                    .push_back((e, Event::TaskFailed { token, failure }));
                return;
            }
        };
        let x = &self.execs[child as usize];
        let response = StartExecutionResponse::new(
            x.exec.info().execution_arn.clone(),
            x.exec.info().start_time,
        );
        let mut slot = Slot::default();
        match pattern {
            Pattern::RequestResponse => {
                self.queue.push_back((
                    e,
                    Event::TaskSucceeded {
                        token,
                        output: response.to_value().into(),
                    },
                ));
            }
            Pattern::Callback | Pattern::Sync | Pattern::Sync2 => {
                let cb = request.task_token.event;
                self.callbacks.insert((e, cb), token);
                slot.callback = Some(cb);
                if pattern != Pattern::Callback {
                    slot.child = Some((child, pattern));
                    self.execs[child as usize].waiters.push((e, token, pattern));
                }
                self.slots.insert((e, token), slot);
                self.queue.push_back((
                    e,
                    Event::TaskSubmitted {
                        token,
                        output: TaskResult::StartExecution(Box::new(response)),
                    },
                ));
            }
        }
        if new {
            self.begin(child);
        }
    }

    /// `StateMachineArn`, `Input`, `Name` and `TraceHeader` of a `states:startExecution` task.
    fn nested_request(
        &self,
        state: &str,
        parameters: &Map<String, Value>,
    ) -> Result<StartExecution, Failure> {
        let field = |name: &str, v: Option<&Value>| -> Result<Option<String>, Failure> {
            match v {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Failure::runtime(format!(
                    "The state '{state}' starts an execution with `{name}` {other}, which is not a string"
                ))),
            }
        };
        let Some(state_machine_arn) = field("StateMachineArn", parameters.get("StateMachineArn"))?
        else {
            return Err(Failure::runtime(format!(
                "The state '{state}' starts an execution without `StateMachineArn`: give the ARN of the state machine to start in `Parameters` or `Arguments`"
            )));
        };
        let name = field("Name", parameters.get("Name"))?;
        let trace_header = field("TraceHeader", parameters.get("TraceHeader"))?;
        let input = match parameters.get("Input") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    let api = ApiError::InvalidExecutionInput(format!("{text}: {e}"));
                    return Err(api.task_failure(&new_uuid()));
                }
            },
            Some(v) => Some(v.clone()),
        };
        Ok(StartExecution {
            state_machine_arn,
            name,
            input,
            trace_header,
        })
    }

    /// Stops a running execution and, through its cancelled tasks, its `.sync` children.
    fn stop(&mut self, e: u32, error: Option<String>, cause: Option<String>) {
        let now = self.now;
        let x = &mut self.execs[e as usize];
        if x.stop.is_some() {
            return;
        }
        let commands = x.exec.stop(error, cause, now);
        self.after(e, commands);
    }

    fn progress(&mut self, d: u64, progress: Progress) {
        if let Some(&(e, token)) = self.dispatch.get(&d) {
            let event = match progress {
                Progress::Submitted(output) => Event::TaskSubmitted {
                    token,
                    output: output.into(),
                },
                Progress::Heartbeat => Event::TaskHeartbeat { token },
            };
            self.queue.push_back((e, event));
        }
    }

    fn task_done(&mut self, d: u64, result: Result<Value, Failure>) {
        let Some((e, token)) = self.dispatch.remove(&d) else {
            return;
        };
        if let Some(slot) = self.slots.remove(&(e, token))
            && let Some(cb) = slot.callback
        {
            self.callbacks.remove(&(e, cb));
        }
        let event = match result {
            Ok(output) => Event::TaskSucceeded {
                token,
                output: output.into(),
            },
            Err(failure) => Event::TaskFailed { token, failure },
        };
        self.queue.push_back((e, event));
    }

    /// The task of a token, or AWS's error for the token.
    fn callback(&self, token: &str) -> Result<TaskKey, ApiError> {
        // Tokens are `<execution ARN>#<state>#<id of the TaskScheduled event>`.
        let mut parts = token.rsplitn(3, '#');
        let (Some(id), Some(state), Some(arn)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ApiError::InvalidToken);
        };
        let Ok(id) = id.parse::<u64>() else {
            return Err(ApiError::InvalidToken);
        };
        if token.len() > 1024 || !arn.starts_with("arn:") {
            return Err(ApiError::InvalidToken);
        }
        let Some(&e) = self.exec_by_arn.get(arn) else {
            return Err(ApiError::TaskDoesNotExist);
        };
        let exec = &self.execs[e as usize].exec;
        if let Some(&t) = self.callbacks.get(&(e, id))
            && exec.task_state(t).is_some_and(|name| **name == *state)
        {
            return Ok((e, t));
        }
        let issued = usize::try_from(id).is_ok_and(|id| {
            id >= 1
                && exec
                    .history()
                    .get(id - 1)
                    .is_some_and(|ev| matches!(ev.kind, EventKind::TaskScheduled { .. }))
        });
        Err(if issued {
            ApiError::TaskTimedOut
        } else {
            ApiError::TaskDoesNotExist
        })
    }

    /// Answers a task through its token.
    fn answer(&mut self, token: &str, event: impl FnOnce(u64) -> Event) -> Result<(), ApiError> {
        let (e, t) = self.callback(token)?;
        let event = event(t);
        let keep = matches!(event, Event::TaskHeartbeat { .. });
        if !keep {
            self.forget_task((e, t));
        }
        self.queue.push_back((e, event));
        Ok(())
    }

    fn next_timer(&self) -> Option<i64> {
        self.timers.keys().next().map(|(at, _)| *at)
    }

    /// Fires the earliest timer.
    fn fire(&mut self) {
        let Some(((at, seq), (e, token))) = self.timers.pop_first() else {
            return;
        };
        let _ = seq;
        self.timer_keys.remove(&(e, token));
        let x = &mut self.execs[e as usize];
        x.timers = x.timers.saturating_sub(1);
        self.now = self.now.max(at);
        self.queue.push_back((e, Event::TimerFired { token }));
    }

    fn idle(&self) -> Idle {
        let mut waiting: Vec<(TaskKey, WaitingTask)> = self
            .callbacks
            .iter()
            .filter_map(|(&(e, event), &token)| {
                let info = self.execs[e as usize].exec.info();
                let state = self.execs[e as usize].exec.task_state(token)?.clone();
                let task_token = TaskToken {
                    execution_arn: info.execution_arn.clone(),
                    state,
                    event,
                };
                Some((
                    (e, token),
                    WaitingTask {
                        execution_arn: info.execution_arn.to_string(),
                        state_name: task_token.state.to_string(),
                        task_token: task_token.to_string(),
                    },
                ))
            })
            .collect();
        waiting.sort_by_key(|(k, _)| *k);
        Idle {
            waiting: waiting.into_iter().map(|(_, w)| w).collect(),
            running: self
                .execs
                .iter()
                .filter(|x| x.stop.is_none())
                .map(|x| x.exec.info().execution_arn.to_string())
                .collect(),
        }
    }
}

/// When [`Runtime::drive`] stops.
#[derive(Clone, Copy)]
enum Until {
    /// The execution has ended.
    Ended(u32),
    /// Nothing can happen before this time (virtual clock), or at all.
    Time(Option<i64>),
}

impl Runtime {
    /// A builder: clock, task handlers, state machines, account and Region.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while the lock was held left consistent data: every step completes or
        // does nothing.
        self.inner
            .core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The ARN a state machine name gets in this runtime's account and Region.
    pub fn state_machine_arn(&self, name: &str) -> String {
        let core = self.core();
        format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            core.region, core.account
        )
    }

    /// Registers (or replaces) a state machine under an ARN
    /// (`arn:aws:states:<region>:<account>:stateMachine:<name>`) or a name (then in the
    /// runtime's account and Region); returns its ARN. The definition is validated and
    /// compiled once.
    pub fn register(
        &self,
        arn_or_name: &str,
        definition: StateMachine,
    ) -> Result<String, RuntimeError> {
        let plan = Arc::new(Plan::compile(definition)?);
        self.register_plan(arn_or_name, plan)
    }

    /// Registers an already compiled state machine; see [`register`](Self::register).
    pub fn register_plan(
        &self,
        arn_or_name: &str,
        plan: Arc<Plan>,
    ) -> Result<String, RuntimeError> {
        let mut core = self.core();
        let arn = core.machine_arn(arn_or_name)?;
        Ok(core.register(arn, plan))
    }

    /// The ARNs of the registered state machines.
    pub fn state_machines(&self) -> Vec<String> {
        self.core()
            .machines
            .iter()
            .map(|m| m.info.arn.clone())
            .collect()
    }

    /// The time now, in milliseconds since the Unix epoch (virtual or real).
    pub fn now(&self) -> i64 {
        match self.inner.clock {
            Clock::Virtual { .. } => self.core().now,
            Clock::Real => system_now(),
        }
    }

    /// `StartExecution`: starts an execution (it runs as the runtime is driven). Starting
    /// again with the same name and input while it runs gives the same execution; another
    /// input, or a name whose execution has ended, is `ExecutionAlreadyExists`.
    pub fn start_execution(&self, request: StartExecution) -> Result<StartedExecution, ApiError> {
        let mut core = self.core();
        if !self.inner.clock.is_virtual() {
            core.now = core.now.max(system_now());
        }
        let (e, new) = core.create(request, None)?;
        if new {
            core.begin(e);
        }
        let info = core.execs[e as usize].exec.info();
        let started = StartedExecution {
            execution_arn: info.execution_arn.to_string(),
            start_date: info.start_time,
        };
        drop(core);
        self.inner.notify.notify_one();
        Ok(started)
    }

    /// `DescribeExecution`.
    pub fn describe_execution(
        &self,
        execution_arn: &str,
    ) -> Result<ExecutionDescription, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        Ok(core.describe(e))
    }

    /// `StopExecution`: the execution ends `ABORTED` with this error and cause, and its
    /// running `.sync`/`.sync:2` children are stopped too. Returns the stop date.
    pub fn stop_execution(
        &self,
        execution_arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<i64, ApiError> {
        let mut core = self.core();
        let e = core.exec_index(execution_arn)?;
        if core.execs[e as usize].stop.is_some() {
            return Err(ApiError::ExecutionNotRunning(execution_arn.to_owned()));
        }
        if !self.inner.clock.is_virtual() {
            core.now = core.now.max(system_now());
        }
        core.stop(e, error.map(str::to_owned), cause.map(str::to_owned));
        core.settle(&self.inner.tasks);
        let stopped = core.execs[e as usize].stop.unwrap_or(core.now);
        let aborts = std::mem::take(&mut core.to_abort);
        drop(core);
        self.abort_dispatched(aborts);
        self.inner.notify.notify_one();
        Ok(stopped)
    }

    /// `ListExecutions`: the executions of a state machine (all of them when `None`), with
    /// this status if given, newest first.
    pub fn list_executions(
        &self,
        state_machine_arn: Option<&str>,
        status: Option<ExecutionStatus>,
    ) -> Vec<ExecutionListItem> {
        let core = self.core();
        let mut items: Vec<ExecutionListItem> = (0..core.execs.len() as u32)
            .rev()
            .filter(|&e| {
                let info = core.execs[e as usize].exec.info();
                state_machine_arn.is_none_or(|a| *a == info.machine.arn)
            })
            .map(|e| {
                let d = core.describe(e);
                ExecutionListItem {
                    execution_arn: d.execution_arn,
                    state_machine_arn: d.state_machine_arn,
                    name: d.name,
                    status: d.status,
                    start_date: d.start_date,
                    stop_date: d.stop_date,
                }
            })
            .collect();
        if let Some(s) = status {
            items.retain(|i| i.status == s);
        }
        items
    }

    /// `GetExecutionHistory`: the events so far, oldest first unless `reverse_order`.
    pub fn get_execution_history(
        &self,
        execution_arn: &str,
        reverse_order: bool,
    ) -> Result<Vec<HistoryEvent>, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        let mut events = core.execs[e as usize].exec.history().to_vec();
        if reverse_order {
            events.reverse();
        }
        Ok(events)
    }

    /// `SendTaskSuccess`: the task of `task_token` succeeds with `output` (JSON text).
    pub fn send_task_success(&self, task_token: &str, output: &str) -> Result<(), ApiError> {
        let value: Value = serde_json::from_str(output)
            .map_err(|e| ApiError::InvalidOutput(format!("{output}: {e}")))?;
        self.answer(task_token, |token| Event::TaskSucceeded {
            token,
            output: value.into(),
        })
    }

    /// `SendTaskFailure`: the task of `task_token` fails with this error and cause.
    pub fn send_task_failure(
        &self,
        task_token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ApiError> {
        let failure = Failure {
            error: error.map(str::to_owned),
            cause: cause.map(str::to_owned),
        };
        self.answer(task_token, |token| Event::TaskFailed { token, failure })
    }

    /// `SendTaskHeartbeat`: the task of `task_token` is alive; its `HeartbeatSeconds` start
    /// again.
    pub fn send_task_heartbeat(&self, task_token: &str) -> Result<(), ApiError> {
        self.answer(task_token, |token| Event::TaskHeartbeat { token })
    }

    fn answer(&self, task_token: &str, event: impl FnOnce(u64) -> Event) -> Result<(), ApiError> {
        let mut core = self.core();
        core.answer(task_token, event)?;
        let aborts = std::mem::take(&mut core.to_abort);
        drop(core);
        self.abort_dispatched(aborts);
        self.inner.notify.notify_one();
        Ok(())
    }

    fn abort_dispatched(&self, aborts: Vec<u64>) {
        if aborts.is_empty() {
            return;
        }
        if let Ok(mut driver) = self.inner.driver.try_lock() {
            for d in aborts {
                if let Some(h) = driver.handles.remove(&d) {
                    h.abort();
                }
            }
        } else {
            // The driver is running: it aborts them on its next step.
            self.core().to_abort.extend(aborts);
        }
    }

    /// The tasks waiting for a task token now.
    pub fn waiting_tasks(&self) -> Vec<WaitingTask> {
        self.core().idle().waiting
    }

    /// Runs until the execution ends and describes it; [`RuntimeError::Idle`] when it cannot
    /// end without a `SendTask*` call.
    pub async fn wait(&self, execution_arn: &str) -> Result<ExecutionDescription, RuntimeError> {
        let e = self.core().exec_index(execution_arn)?;
        self.drive(Until::Ended(e))
            .await
            .map_err(RuntimeError::Idle)?;
        Ok(self.core().describe(e))
    }

    /// Runs until nothing can happen without someone outside; returns what waits.
    pub async fn run_until_idle(&self) -> Idle {
        match self.drive(Until::Time(None)).await {
            Ok(()) => Idle::default(),
            Err(idle) => idle,
        }
    }

    /// Runs what can run now, then lets virtual time pass by `ms`, firing the timers due
    /// (in real time, runs for that long).
    pub async fn advance(&self, ms: i64) {
        let until = self.now().saturating_add(ms);
        let _ = self.drive(Until::Time(Some(until))).await;
        if self.inner.clock.is_virtual() {
            let mut core = self.core();
            core.now = core.now.max(until);
        }
    }

    /// The scheduler: carries out commands, runs task handlers, fires timers.
    async fn drive(&self, until: Until) -> Result<(), Idle> {
        let inner = &*self.inner;
        let mut driver = inner.driver.lock().await;
        let driver = &mut *driver;
        let virtual_time = inner.clock.is_virtual();
        loop {
            let (spawn, next_timer) = {
                let mut core = self.core();
                if !virtual_time {
                    core.now = core.now.max(system_now());
                }
                core.settle(&inner.tasks);
                for d in core.to_abort.drain(..) {
                    if let Some(h) = driver.handles.remove(&d) {
                        h.abort();
                    }
                }
                if let Until::Ended(e) = until
                    && core.execs[e as usize].stop.is_some()
                {
                    return Ok(());
                }
                (std::mem::take(&mut core.to_spawn), core.next_timer())
            };
            if !spawn.is_empty() {
                for (d, request) in spawn {
                    let cx = TaskContext::new(d, driver.progress_tx.clone());
                    let future = inner.tasks.call(request, cx);
                    let handle = driver.running.spawn(async move { (d, future.await) });
                    driver.ids.insert(handle.id(), d);
                    driver.handles.insert(d, handle);
                }
                continue;
            }
            // What tasks reported or finished meanwhile.
            if absorb(driver, &mut self.core()) {
                continue;
            }
            let limit = match until {
                Until::Time(limit) => limit,
                _ => None,
            };
            let due = next_timer.filter(|at| limit.is_none_or(|l| *at <= l));
            if driver.running.is_empty() {
                let Some(at) = due else {
                    let core = self.core();
                    return if core.execs.iter().any(|x| x.stop.is_none()) || limit.is_none() {
                        Err(core.idle())
                    } else {
                        Ok(())
                    };
                };
                if !virtual_time {
                    let wait = at - system_now();
                    if wait > 0 {
                        let sleep = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs()));
                        tokio::select! {
                            () = sleep => {}
                            () = inner.notify.notified() => continue,
                        }
                    }
                }
                self.core().fire();
                continue;
            }
            // Tasks run: wait for one of them, a report, a call from outside, or a timer.
            let timeout = match (virtual_time, due) {
                (_, None) => None,
                // Virtual time: a task that does not answer at once lets time jump.
                (true, Some(_)) => {
                    tokio::task::yield_now().await;
                    Some(Duration::from_millis(1))
                }
                (false, Some(at)) => Some(Duration::from_millis(
                    u64::try_from(at - system_now()).unwrap_or(0),
                )),
            };
            let sleep = async {
                match timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                joined = driver.running.join_next() => {
                    if let Some(joined) = joined {
                        let mut core = self.core();
                        while let Ok((d, p)) = driver.progress_rx.try_recv() {
                            core.progress(d, p);
                        }
                        finished(driver, &mut core, joined);
                    }
                }
                Some((d, p)) = driver.progress_rx.recv() => self.core().progress(d, p),
                () = inner.notify.notified() => {}
                () = sleep => {
                    if due.is_some() {
                        self.core().fire();
                    }
                }
            }
        }
    }

    /// `{"status", "output" | "error", "cause", "history"}` of an execution, as `sfn run
    /// --format json` prints it.
    pub fn result_json(&self, execution_arn: &str, with_history: bool) -> Result<Value, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        Ok(core.execs[e as usize].exec.result_json(with_history))
    }

    /// Calls `f` with the interpreter's view of an execution (history, outcome, info).
    pub fn with_execution<R>(
        &self,
        execution_arn: &str,
        f: impl FnOnce(&Execution) -> R,
    ) -> Result<R, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        Ok(f(&core.execs[e as usize].exec))
    }

    /// The executions started by this one's tasks, oldest first.
    pub fn children(&self, execution_arn: &str) -> Result<Vec<String>, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        Ok(core
            .execs
            .iter()
            .filter(|x| x.parent == Some(e))
            .map(|x| x.exec.info().execution_arn.to_string())
            .collect())
    }

    /// The execution that started this one with a `states:startExecution` task.
    pub fn parent(&self, execution_arn: &str) -> Result<Option<String>, ApiError> {
        let core = self.core();
        let e = core.exec_index(execution_arn)?;
        Ok(core.execs[e as usize]
            .parent
            .map(|p| core.execs[p as usize].exec.info().execution_arn.to_string()))
    }

    /// The tree of executions under `execution_arn`, one line each: name, status, duration,
    /// children indented below their parent.
    pub fn execution_tree(&self, execution_arn: &str) -> Result<String, ApiError> {
        let core = self.core();
        let root = core.exec_index(execution_arn)?;
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, x) in core.execs.iter().enumerate() {
            if let Some(p) = x.parent {
                children.entry(p).or_default().push(i as u32);
            }
        }
        let mut out = String::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((e, depth)) = stack.pop() {
            let d = core.describe(e);
            let duration = match d.stop_date {
                Some(stop) => format_duration(stop - d.start_date),
                None => "running".to_owned(),
            };
            let indent = if depth == 0 {
                String::new()
            } else {
                format!("{}└─ ", "   ".repeat(depth - 1))
            };
            out.push_str(&format!(
                "{indent}{} {} ({duration}) {}\n",
                d.name, d.status, d.execution_arn
            ));
            if let Some(kids) = children.get(&e) {
                for &k in kids.iter().rev() {
                    stack.push((k, depth + 1));
                }
            }
        }
        Ok(out)
    }
}

fn format_duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.3} s", ms as f64 / 1000.0)
    } else {
        let s = ms / 1000;
        format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60)
    }
}

/// Takes in what tasks reported and which finished, without waiting; whether there was any.
fn absorb(driver: &mut Driver, core: &mut Core) -> bool {
    let mut any = false;
    while let Ok((d, p)) = driver.progress_rx.try_recv() {
        core.progress(d, p);
        any = true;
    }
    while let Some(joined) = driver.running.try_join_next() {
        finished(driver, core, joined);
        any = true;
    }
    any
}

fn finished(
    driver: &mut Driver,
    core: &mut Core,
    joined: Result<(u64, Result<Value, Failure>), tokio::task::JoinError>,
) {
    match joined {
        Ok((d, result)) => {
            driver.handles.remove(&d);
            core.task_done(d, result);
        }
        Err(e) => {
            let Some(d) = driver.ids.remove(&e.id()) else {
                return;
            };
            driver.handles.remove(&d);
            if e.is_cancelled() {
                return;
            }
            let cause = format!(
                "the task handler panicked: {}",
                crate::driver::panic_message(e)
            );
            core.task_done(d, Err(Failure::new("States.TaskFailed", cause)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_come_from_the_resource() {
        let p = |r: &str| nested_pattern(r);
        assert_eq!(
            p("arn:aws:states:::states:startExecution"),
            Some(Pattern::RequestResponse)
        );
        assert_eq!(
            p("arn:aws:states:::states:startExecution.sync"),
            Some(Pattern::Sync)
        );
        assert_eq!(
            p("arn:aws-cn:states:::states:startExecution.sync:2"),
            Some(Pattern::Sync2)
        );
        assert_eq!(
            p("arn:aws:states:::states:startExecution.waitForTaskToken"),
            Some(Pattern::Callback)
        );
        assert_eq!(p("arn:aws:states:::lambda:invoke"), None);
    }
}
