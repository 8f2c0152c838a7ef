//! The interpreter: a pure state machine over an execution.
//!
//! [`Execution`] holds everything about one execution: its frames (one per running `States`
//! block: the machine's, each Parallel branch, each Map iteration), its variables and its
//! history. [`Execution::start`] and [`Execution::handle`] advance it as far as it can go
//! without waiting and return the [`Command`]s that something outside must carry out — run a
//! task, start a timer. Their results come back as [`Event`]s. Nothing here does I/O or reads a
//! clock: the caller passes the time, so a run is deterministic.

mod choice;
mod data;
mod map;
mod parallel;
mod pass;
mod task;
mod terminal;
mod wait;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use sfn_core::State;

use crate::failure::Failure;
use crate::history::{Assigned, EventKind, HistoryEvent, Payload, TaskResult};
use crate::plan::{BlockId, Node, Plan, StateId};

pub(crate) use task::task_ref;
pub use task::{TaskRequest, TaskToken};

/// Index of a frame.
pub type FrameId = usize;

/// Who and where an execution is: what the Context object and the history report.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    /// The execution's ARN, which ends with its name
    /// (`arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`).
    pub execution_arn: Arc<str>,
    /// Its state machine, shared by all its executions.
    pub machine: Arc<MachineInfo>,
    /// The execution's input, shared with its first state and its `ExecutionStarted` event.
    pub input: Payload,
    /// When the execution started (milliseconds since the epoch).
    pub start_time: i64,
}

impl ExecutionInfo {
    /// The execution's name: the last part of its ARN (a name has no `:`).
    pub fn name(&self) -> &str {
        crate::executions::execution_name(&self.execution_arn)
    }
}

/// What the executions of one state machine share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    /// The state machine's ARN.
    pub arn: String,
    /// The state machine's name.
    pub name: String,
    /// The role its executions run as.
    pub role_arn: Arc<str>,
    /// The Region.
    pub region: Arc<str>,
}

impl MachineInfo {
    /// A state machine of `region` and `account` named `name`, with the role the console
    /// creates for it (`service-role/StepFunctions-<name>-role`).
    pub fn new(region: &str, account: &str, name: &str) -> Self {
        MachineInfo {
            arn: format!("arn:aws:states:{region}:{account}:stateMachine:{name}"),
            name: name.to_owned(),
            role_arn: format!("arn:aws:iam::{account}:role/service-role/StepFunctions-{name}-role")
                .into(),
            region: region.into(),
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It succeeded with this output (shared with its `ExecutionSucceeded` event).
    Succeeded(Payload),
    /// It failed.
    Failed(Box<Failure>),
    /// It exceeded its `TimeoutSeconds`.
    TimedOut(Box<Failure>),
    /// It was stopped.
    Aborted(Box<Failure>),
}

impl Outcome {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Succeeded(_) => "SUCCEEDED",
            Outcome::Failed(_) => "FAILED",
            Outcome::TimedOut(_) => "TIMED_OUT",
            Outcome::Aborted(_) => "ABORTED",
        }
    }
}

/// Work the interpreter needs done outside.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run a task; report [`Event::TaskSucceeded`] or [`Event::TaskFailed`] with `token`.
    RunTask {
        /// Identifies the request in the answer.
        token: u64,
        /// What to run.
        request: Box<TaskRequest>,
    },
    /// Report [`Event::TimerFired`] with `token` at time `at` (milliseconds since the epoch).
    StartTimer {
        /// Identifies the timer in the answer.
        token: u64,
        /// When it fires.
        at: i64,
    },
    /// A task or timer is no longer awaited (its state was aborted); its answer is ignored.
    Cancel {
        /// The token of the task or timer.
        token: u64,
    },
    /// Read a Map's items from its `ItemReader`'s resource (`arn:aws:states:::s3:getObject`:
    /// the object's text; `arn:aws:states:::s3:listObjectsV2`: the objects as the reader lists
    /// them); report [`Event::ItemsRead`] with `token`.
    ReadItems {
        /// Identifies the request in the answer.
        token: u64,
        /// The reader's resource.
        resource: String,
        /// Its parameters (`Bucket`, `Key`, `Prefix`, …).
        parameters: Value,
    },
    /// Write a Map's results through its `ResultWriter`'s resource
    /// (`arn:aws:states:::s3:putObject`) into `bucket`; report [`Event::ResultsWritten`] with
    /// `token`.
    WriteResults {
        /// Identifies the request in the answer.
        token: u64,
        /// The writer's resource.
        resource: String,
        /// The bucket.
        bucket: String,
        /// The objects to write: key and content.
        objects: Vec<(String, String)>,
    },
}

/// What happened outside.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The task with this token succeeded.
    TaskSucceeded {
        /// The token of [`Command::RunTask`].
        token: u64,
        /// Its result (`Value::into` makes one).
        output: TaskResult,
    },
    /// The task with this token failed.
    TaskFailed {
        /// The token of [`Command::RunTask`].
        token: u64,
        /// The error.
        failure: Failure,
    },
    /// The service of the task with this token accepted it and will answer later.
    TaskSubmitted {
        /// The token of [`Command::RunTask`].
        token: u64,
        /// The service's answer to the submission.
        output: TaskResult,
    },
    /// The task with this token is alive (`SendTaskHeartbeat`).
    TaskHeartbeat {
        /// The token of [`Command::RunTask`].
        token: u64,
    },
    /// The timer with this token is due.
    TimerFired {
        /// The token of [`Command::StartTimer`].
        token: u64,
    },
    /// The data of [`Command::ReadItems`] with this token.
    ItemsRead {
        /// The token of [`Command::ReadItems`].
        token: u64,
        /// The object's text or the listed objects, or why they could not be read
        /// (`States.ItemReaderFailed`).
        result: Result<Value, Failure>,
    },
    /// The objects of [`Command::WriteResults`] with this token are written.
    ResultsWritten {
        /// The token of [`Command::WriteResults`].
        token: u64,
        /// Whether they could be (`States.ResultWriterFailed`).
        result: Result<(), Failure>,
    },
}

impl Event {
    /// The token of the command this event answers.
    pub fn token(&self) -> u64 {
        match self {
            Event::TaskSucceeded { token, .. }
            | Event::TaskFailed { token, .. }
            | Event::TaskSubmitted { token, .. }
            | Event::TaskHeartbeat { token }
            | Event::TimerFired { token }
            | Event::ItemsRead { token, .. }
            | Event::ResultsWritten { token, .. } => *token,
        }
    }
}

/// What a frame is doing.
#[derive(Debug)]
enum Wait {
    /// Ready to enter its current state.
    Ready,
    /// Waiting for a task.
    Task { token: u64, attempt: task::Attempt },
    /// Waiting for a Wait state's timer.
    Timer { token: u64 },
    /// Waiting for a retry's delay.
    Retry { token: u64 },
    /// Waiting for branches or iterations.
    Children(Box<Fanout>),
    /// Waiting for a Map's `ItemReader` data.
    Items {
        token: u64,
        pending: Box<map::PendingRead>,
    },
    /// Waiting for a Map's `ResultWriter` to write its results.
    Results {
        token: u64,
        pending: Box<map::PendingWrite>,
    },
    /// Finished.
    Done,
}

/// A Parallel or Map state's children.
#[derive(Debug)]
struct Fanout {
    kind: FanoutKind,
    /// Inputs of the children not started yet, in order (Map items after `ItemSelector`).
    pending: VecDeque<(usize, Payload)>,
    /// The children running now, in the order they started.
    running: BTreeSet<FrameId>,
    /// Results by index.
    results: Vec<Option<Value>>,
    /// How many may run at once (0: no limit).
    max_concurrency: usize,
    /// A distributed Map: children are child executions, reported as one Map Run.
    distributed: bool,
    failed: usize,
    tolerated_count: Option<usize>,
    tolerated_percentage: Option<f64>,
    /// The state's effective input (for `ResultPath`) and raw input.
    raw_input: Payload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FanoutKind {
    Parallel,
    Map,
}

/// One running `States` block.
#[derive(Debug)]
struct Frame {
    block: BlockId,
    state: StateId,
    /// The current state's raw input.
    input: Payload,
    /// When the current state was entered, and the id of its entered event.
    entered_time: i64,
    entered_event: u64,
    /// The last event of this frame's chain of events.
    prev_event: u64,
    parent: Option<(FrameId, usize)>,
    /// Variables assigned in this block.
    // Most frames assign no variable: they hold 8 bytes here, not an empty map's 48.
    #[allow(clippy::box_collection)]
    variables: Option<Box<HashMap<String, Value>>>,
    /// Attempts made by each retrier of the current state.
    retries: Vec<u32>,
    wait: Wait,
    /// The frame has started (its first event recorded).
    started: bool,
    /// The frame belongs to a child execution (a distributed Map's iteration): its events are
    /// not in this execution's history, and it sees no variables from outside it.
    isolated: bool,
}

/// One execution of a state machine.
#[derive(Debug)]
pub struct Execution {
    plan: Arc<Plan>,
    info: ExecutionInfo,
    frames: Vec<Frame>,
    ready: VecDeque<FrameId>,
    history: Vec<HistoryEvent>,
    outcome: Option<Outcome>,
    now: i64,
    next_token: u64,
    commands: Vec<Command>,
    /// The timer of the machine's `TimeoutSeconds`.
    timeout_token: Option<std::num::NonZeroU64>,
    /// The frames of Parallel and Map states that may have children to start, in order.
    fanouts: BTreeSet<FrameId>,
    /// The distributed Maps running now, by frame.
    map_runs: Vec<(FrameId, map::MapRun)>,
}

impl Execution {
    /// An execution of `plan` that has not started.
    pub fn new(plan: Arc<Plan>, info: ExecutionInfo) -> Self {
        let history = Vec::with_capacity(plan.history_hint());
        Execution {
            plan,
            frames: Vec::new(),
            ready: VecDeque::new(),
            history,
            outcome: None,
            now: 0,
            next_token: 1,
            commands: Vec::new(),
            timeout_token: None,
            fanouts: BTreeSet::new(),
            map_runs: Vec::new(),
            info,
        }
    }

    /// Starts the execution at time `now` and runs it until it waits or ends.
    pub fn start(&mut self, now: i64) -> Vec<Command> {
        self.now = now;
        let input = self.info.input.clone();
        let role_arn = self.info.machine.role_arn.clone();
        self.record(
            0,
            EventKind::ExecutionStarted {
                input: input.clone(),
                role_arn,
            },
        );
        let start = self.plan.root().start;
        // Most executions run one block at a time; Parallel and Map grow this.
        self.frames.reserve_exact(1);
        self.frames.push(Frame {
            block: 0,
            state: start,
            input,
            entered_time: now,
            entered_event: 0,
            // AWS's first state event points at event 0, not at ExecutionStarted.
            prev_event: 0,
            parent: None,
            variables: None,
            retries: Vec::new(),
            wait: Wait::Ready,
            started: true,
            isolated: false,
        });
        self.ready.push_back(0);
        if let Some(seconds) = self
            .plan
            .machine
            .timeout_seconds
            .as_ref()
            .and_then(serde_json::Number::as_i64)
        {
            let token = self.token();
            self.timeout_token = std::num::NonZeroU64::new(token);
            self.commands.push(Command::StartTimer {
                token,
                at: now.saturating_add(seconds.saturating_mul(1000)),
            });
        }
        self.run();
        std::mem::take(&mut self.commands)
    }

    /// Feeds an event in at time `now` and runs the execution until it waits or ends.
    pub fn handle(&mut self, event: Event, now: i64) -> Vec<Command> {
        let mut commands = Vec::new();
        self.handle_into(event, now, &mut commands);
        commands
    }

    /// [`Execution::handle`], appending the commands to `out` (a driver reuses one buffer).
    pub fn handle_into(&mut self, event: Event, now: i64, out: &mut Vec<Command>) {
        self.now = self.now.max(now);
        if self.outcome.is_none() {
            let token = event.token();
            if self.timeout_token.is_some_and(|t| t.get() == token) {
                self.time_out();
            } else if let Some(fid) = self.frame_waiting_on(token) {
                match event {
                    Event::TaskSucceeded { output, .. } => self.task_succeeded(fid, output),
                    Event::TaskFailed { failure, .. } => self.task_failed(fid, failure),
                    Event::TaskSubmitted { output, .. } => self.task_submitted(fid, output),
                    Event::TaskHeartbeat { .. } => self.task_heartbeat(fid),
                    Event::TimerFired { .. } => self.timer_fired(fid),
                    Event::ItemsRead { result, .. } => self.items_read(fid, result),
                    Event::ResultsWritten { result, .. } => self.results_written(fid, result),
                }
                self.run();
            }
        }
        out.append(&mut self.commands);
    }

    /// Stops the execution at time `now`, as `StopExecution` does: whatever runs is cancelled
    /// without state events, and the execution ends `ABORTED` with `ExecutionAborted`
    /// (`previousEventId` 0, as AWS records it). Does nothing once it has ended.
    pub fn stop(&mut self, error: Option<String>, cause: Option<String>, now: i64) -> Vec<Command> {
        self.now = self.now.max(now);
        if self.outcome.is_none() {
            self.record(
                0,
                EventKind::ExecutionAborted {
                    error: crate::history::boxed(&error),
                    cause: crate::history::boxed(&cause),
                },
            );
            self.outcome = Some(Outcome::Aborted(Box::new(Failure { error, cause })));
            for fid in 0..self.frames.len() {
                match std::mem::replace(&mut self.frames[fid].wait, Wait::Done) {
                    Wait::Task { token, attempt } => {
                        self.commands.push(Command::Cancel { token });
                        for t in attempt
                            .timeout_token()
                            .into_iter()
                            .chain(attempt.heartbeat_token())
                        {
                            self.commands.push(Command::Cancel { token: t });
                        }
                    }
                    Wait::Timer { token }
                    | Wait::Retry { token }
                    | Wait::Items { token, .. }
                    | Wait::Results { token, .. } => {
                        self.commands.push(Command::Cancel { token });
                    }
                    Wait::Children(_) | Wait::Ready | Wait::Done => {}
                }
            }
            self.ready.clear();
            if let Some(token) = self.timeout_token.take() {
                self.commands.push(Command::Cancel { token: token.get() });
            }
        }
        std::mem::take(&mut self.commands)
    }

    /// How the execution ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The events so far.
    pub fn history(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// Who and where the execution is.
    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// Gives back the memory an execution needs only while it runs (its frames and queues),
    /// once it has ended; what it tells afterwards (info, history, outcome) stays. Does
    /// nothing while it runs.
    pub fn release(&mut self) {
        if self.outcome.is_some() {
            self.frames = Vec::new();
            self.ready = VecDeque::new();
            self.commands = Vec::new();
            self.fanouts.clear();
            self.map_runs = Vec::new();
        }
    }

    /// The state running the task `token` names, while it runs.
    pub fn task_state(&self, token: u64) -> Option<&Arc<str>> {
        let fid = self.frame_waiting_on(token)?;
        match &self.frames[fid].wait {
            Wait::Task { token: t, .. } if *t == token => Some(&self.node(fid).name),
            _ => None,
        }
    }

    fn frame_waiting_on(&self, token: u64) -> Option<FrameId> {
        let fid = usize::try_from(token >> 32).ok()?;
        let f = self.frames.get(fid)?;
        let waits = match &f.wait {
            Wait::Task { token: t, attempt } => {
                *t == token
                    || attempt.timeout_token() == Some(token)
                    || attempt.heartbeat_token() == Some(token)
            }
            Wait::Timer { token: t }
            | Wait::Retry { token: t }
            | Wait::Items { token: t, .. }
            | Wait::Results { token: t, .. } => *t == token,
            _ => false,
        };
        waits.then_some(fid)
    }

    fn run(&mut self) {
        self.advance();
        // Executions of this plan that wait here reserve this much history from the start.
        self.plan.record_history_len(self.history.len());
    }

    fn advance(&mut self) {
        loop {
            while let Some(fid) = self.ready.pop_front() {
                if self.outcome.is_some() {
                    self.ready.clear();
                    return;
                }
                if matches!(self.frames[fid].wait, Wait::Ready) {
                    self.enter(fid);
                }
            }
            if self.outcome.is_some() || !self.start_child() {
                return;
            }
        }
    }

    fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token += 1;
        t
    }

    /// A token for something frame `fid` waits on: the frame in the high 32 bits, so an
    /// event finds its frame at once ([`Execution::frame_waiting_on`]).
    fn frame_token(&mut self, fid: FrameId) -> u64 {
        ((fid as u64) << 32) | (self.token() & 0xFFFF_FFFF)
    }

    /// Appends an event after `prev` and returns its id.
    fn record(&mut self, prev: u64, kind: EventKind) -> u64 {
        let len = self.history.len();
        if len == self.history.capacity() {
            // Grows by half, not double: most executions record a few events, and many may
            // wait (parked on a task token) with the history they have.
            self.history
                .reserve_exact(if len == 0 { 4 } else { (len / 2).max(1) });
        }
        let id = len as u64 + 1;
        // AWS ends an execution long before 2^32 events (its limit is 25,000).
        let (id32, prev32) = (
            u32::try_from(id).unwrap_or(u32::MAX),
            u32::try_from(prev).unwrap_or(u32::MAX),
        );
        self.history.push(HistoryEvent {
            id: id32,
            previous_event_id: prev32,
            timestamp: self.now,
            kind,
        });
        id
    }

    /// Appends an event to a frame's chain.
    fn record_in(&mut self, fid: FrameId, kind: EventKind) -> u64 {
        if self.frames[fid].isolated {
            return self.frames[fid].prev_event;
        }
        let prev = self.frames[fid].prev_event;
        let id = self.record(prev, kind);
        self.frames[fid].prev_event = id;
        id
    }

    fn node(&self, fid: FrameId) -> &Node {
        let f = &self.frames[fid];
        &self.plan.blocks[f.block].states[f.state]
    }

    fn plan_node(plan: &Plan, block: BlockId, state: StateId) -> &Node {
        &plan.blocks[block].states[state]
    }

    /// Enters the frame's current state.
    fn enter(&mut self, fid: FrameId) {
        let frame = &mut self.frames[fid];
        let node = &self.plan.blocks[frame.block].states[frame.state];
        frame.entered_time = self.now;
        frame.retries.clear();
        frame.retries.resize(node.state.retriers().len(), 0);
        let event = EventKind::StateEntered {
            state_type: node.state.state_type(),
            name: node.name.clone(),
            input: frame.input.clone(),
        };
        let entered = self.record_in(fid, event);
        self.frames[fid].entered_event = entered;
        self.execute(fid);
    }

    /// Runs the frame's current state (on entry, and again for each retry).
    fn execute(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let f = &self.frames[fid];
        let node = Self::plan_node(&plan, f.block, f.state);
        match &node.state {
            State::Pass(s) => self.pass(fid, node, s),
            State::Choice(s) => self.choice(fid, node, s),
            State::Wait(s) => self.wait(fid, node, s),
            State::Succeed(s) => self.succeed(fid, node, s),
            State::Fail(s) => self.fail(fid, node, s),
            State::Task(s) => self.task(fid, node, s),
            State::Parallel(s) => self.parallel(fid, node, s),
            State::Map(s) => self.map(fid, node, s),
        }
    }

    /// The state finished with `output`: record its exit and go to `next`, or end the block.
    fn exit(
        &mut self,
        fid: FrameId,
        output: Payload,
        assigned: Option<Vec<(String, Value)>>,
        next: Option<StateId>,
    ) {
        // A state that passes its input on unchanged cannot make it larger.
        if !Arc::ptr_eq(&output, &self.frames[fid].input) && exceeds_data_limit(&output) {
            let name = self.node(fid).name.clone();
            let cause = format!(
                "The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
            );
            return self.failed(
                fid,
                Failure::new(crate::failure::names::DATA_LIMIT_EXCEEDED, cause),
            );
        }
        let frame = &mut self.frames[fid];
        let node = &self.plan.blocks[frame.block].states[frame.state];
        if let Some(vars) = &assigned {
            for (k, v) in vars {
                frame
                    .variables
                    .get_or_insert_with(Box::default)
                    .insert(k.clone(), v.clone());
            }
        }
        let event = EventKind::StateExited {
            state_type: node.state.state_type(),
            name: node.name.clone(),
            output: output.clone(),
            assigned: assigned.map(|vars| Box::new(Assigned(vars))),
        };
        self.record_in(fid, event);
        match next {
            Some(next) => {
                let frame = &mut self.frames[fid];
                frame.state = next;
                frame.input = output;
                frame.wait = Wait::Ready;
                self.ready.push_front(fid);
            }
            None => self.block_done(fid, Ok(output)),
        }
    }

    /// The state failed: retry, catch, or fail the block.
    fn failed(&mut self, fid: FrameId, failure: Failure) {
        if !self.retry(fid, &failure) {
            self.give_up(fid, failure);
        }
    }

    /// Schedules the state to run again if a retrier handles the failure and has attempts
    /// left.
    fn retry(&mut self, fid: FrameId, failure: &Failure) -> bool {
        let plan = self.plan.clone();
        let f = &self.frames[fid];
        let node = Self::plan_node(&plan, f.block, f.state);
        let Some(delay) = self.retry_delay(fid, node, failure) else {
            return false;
        };
        let token = self.frame_token(fid);
        self.frames[fid].wait = Wait::Retry { token };
        self.commands.push(Command::StartTimer {
            token,
            at: self.now + delay,
        });
        true
    }

    /// No retry: a catcher handles the failure, or the block fails.
    fn give_up(&mut self, fid: FrameId, failure: Failure) {
        let plan = self.plan.clone();
        let f = &self.frames[fid];
        let node = Self::plan_node(&plan, f.block, f.state);
        let catchers = node.state.catchers();
        if let Some(i) = catchers
            .iter()
            .position(|c| failure.matches(&c.error_equals))
        {
            match self.catch_output(fid, node, &catchers[i], &failure) {
                Ok((output, assigned)) => {
                    let next = node.catch_next[i];
                    self.exit(fid, output, assigned, Some(next));
                }
                Err(f) => self.block_done(fid, Err(f)),
            }
            return;
        }
        self.block_done(fid, Err(failure))
    }

    /// A block ended: the execution ends, or the parent Parallel/Map learns of it.
    fn block_done(&mut self, fid: FrameId, result: Result<Payload, Failure>) {
        self.frames[fid].wait = Wait::Done;
        match self.frames[fid].parent {
            None => self.end(result),
            Some((parent, index)) => self.child_done(parent, fid, index, result),
        }
    }

    fn end(&mut self, result: Result<Payload, Failure>) {
        let prev = self.frames[0].prev_event;
        match result {
            Ok(output) => {
                self.record(
                    prev,
                    EventKind::ExecutionSucceeded {
                        output: output.clone(),
                    },
                );
                self.outcome = Some(Outcome::Succeeded(output));
            }
            Err(f) => {
                self.record(
                    prev,
                    EventKind::ExecutionFailed {
                        error: crate::history::boxed(&f.error),
                        cause: crate::history::boxed(&f.cause),
                    },
                );
                self.outcome = Some(Outcome::Failed(Box::new(f)));
            }
        }
        self.cancel_all();
    }

    /// The execution has ended: cancels every task and timer still awaited.
    fn cancel_all(&mut self) {
        for token in self.frames.iter().filter_map(|f| match f.wait {
            Wait::Task { token, .. }
            | Wait::Timer { token }
            | Wait::Retry { token }
            | Wait::Items { token, .. }
            | Wait::Results { token, .. } => Some(token),
            _ => None,
        }) {
            self.commands.push(Command::Cancel { token });
        }
        if let Some(token) = self.timeout_token.take() {
            self.commands.push(Command::Cancel { token: token.get() });
        }
    }

    /// The machine's `TimeoutSeconds` passed: everything stops, and the execution times out.
    fn time_out(&mut self) {
        self.abort_frame(0);
        // AWS reports a timed-out execution without an error name or cause.
        let failure = Failure {
            error: None,
            cause: None,
        };
        let prev = self.history.len() as u64;
        self.record(
            prev,
            EventKind::ExecutionTimedOut {
                error: crate::history::boxed(&failure.error),
                cause: None,
            },
        );
        self.outcome = Some(Outcome::TimedOut(Box::new(failure)));
        self.cancel_all();
    }

    fn timer_fired(&mut self, fid: FrameId) {
        if matches!(self.frames[fid].wait, Wait::Task { .. }) {
            return self.task_timed_out(fid);
        }
        match std::mem::replace(&mut self.frames[fid].wait, Wait::Ready) {
            Wait::Timer { .. } => self.wait_done(fid),
            Wait::Retry { .. } => {
                // A retry runs the state again without entering it anew.
                self.execute(fid);
            }
            other => self.frames[fid].wait = other,
        }
    }

    /// The Context object for the frame's current state.
    fn context(&self, fid: FrameId, extra: Option<(&str, Value)>) -> Value {
        let f = &self.frames[fid];
        let node = self.node(fid);
        let i = &self.info;
        let mut state = json!({"EnteredTime": crate::clock::format_timestamp(f.entered_time), "Name": &*node.name});
        if !node.state.retriers().is_empty() || matches!(node.state, State::Task(_)) {
            state["RetryCount"] = json!(f.retries.iter().sum::<u32>());
        }
        let mut ctx = json!({
            "Execution": {
                "Id": &*i.execution_arn,
                "Input": &*i.input,
                "StartTime": crate::clock::format_timestamp(i.start_time),
                "Name": i.name(),
                "RoleArn": &*i.machine.role_arn,
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": &i.machine.arn, "Name": &i.machine.name},
            "State": state,
        });
        if let Some((k, v)) = extra {
            ctx[k] = v;
        }
        ctx
    }

    /// The variables visible from a frame: its own, then its ancestors'.
    fn variables(&self, fid: FrameId) -> VariableView<'_> {
        VariableView {
            exec: self,
            frame: fid,
        }
    }

    /// AWS's prefix for causes of errors raised by a state.
    fn cause_prefix(&self, fid: FrameId) -> String {
        let f = &self.frames[fid];
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). ",
            self.node(fid).name,
            f.entered_event
        )
    }
}

/// Reads variables through a frame's scope chain.
pub(crate) struct VariableView<'a> {
    exec: &'a Execution,
    frame: FrameId,
}

impl crate::eval::Variables for VariableView<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        let mut fid = Some(self.frame);
        while let Some(id) = fid {
            let f = &self.exec.frames[id];
            if let Some(v) = f.variables.as_ref().and_then(|m| m.get(name)) {
                return Some(v);
            }
            // A child execution's root frame sees nothing of its parent.
            if f.isolated && f.parent.is_some_and(|(p, _)| !self.exec.frames[p].isolated) {
                return None;
            }
            fid = f.parent.map(|(p, _)| p);
        }
        None
    }
}

/// The most bytes a state's input or output may have: 256 KiB of UTF-8 JSON.
pub const DATA_LIMIT: usize = 256 * 1024;

/// The length of a number written as JSON, without writing it anywhere.
fn number_len(n: &serde_json::Number) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing into a counter cannot fail.
    let _ = std::fmt::Write::write_fmt(&mut count, format_args!("{n}"));
    count.0
}

/// Whether `value`, serialised, is larger than [`DATA_LIMIT`]; stops counting as soon as it is.
fn exceeds_data_limit(value: &Value) -> bool {
    fn size(v: &Value, budget: &mut isize) {
        if *budget < 0 {
            return;
        }
        match v {
            Value::Null => *budget -= 4,
            Value::Bool(b) => *budget -= if *b { 4 } else { 5 },
            Value::Number(n) => *budget -= number_len(n) as isize,
            Value::String(s) => *budget -= s.len() as isize + 2,
            Value::Array(items) => {
                *budget -= 2 + items.len().saturating_sub(1) as isize;
                for i in items {
                    size(i, budget);
                }
            }
            Value::Object(map) => {
                *budget -= 2 + map.len().saturating_sub(1) as isize;
                for (k, v) in map {
                    *budget -= k.len() as isize + 3;
                    size(v, budget);
                }
            }
        }
    }
    #[allow(clippy::cast_possible_wrap)]
    let mut budget = DATA_LIMIT as isize;
    size(value, &mut budget);
    budget < 0
}
