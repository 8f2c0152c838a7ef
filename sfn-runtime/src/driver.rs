//! Carrying out an execution's commands on tokio: tasks run concurrently, timers fire in
//! order, and virtual time jumps to the next timer whenever nothing else can happen.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinSet;

use crate::clock::{Clock, system_now};
use crate::failure::Failure;
use crate::interp::{Command, Event, Execution, ExecutionInfo, TaskRequest};
use crate::objects::Objects;
use crate::plan::Plan;

/// The future a task handler returns.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>>;

/// Runs the tasks of Task states.
pub trait TaskHandler: Send + Sync {
    /// Runs one task. The future gives the task's result; `cx` reports progress before it.
    fn call(&self, request: TaskRequest, cx: TaskContext) -> TaskFuture;
}

impl<F> TaskHandler for F
where
    F: Fn(TaskRequest, TaskContext) -> TaskFuture + Send + Sync,
{
    fn call(&self, request: TaskRequest, cx: TaskContext) -> TaskFuture {
        self(request, cx)
    }
}

/// What a running task reports before it ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The service accepted the task and will answer later (`TaskSubmitted`).
    Submitted(Value),
    /// The task is alive (`SendTaskHeartbeat`): its `HeartbeatSeconds` start again.
    Heartbeat,
}

/// What a running task can tell the execution before it ends.
#[derive(Debug, Clone)]
pub struct TaskContext {
    token: u64,
    progress: tokio::sync::mpsc::UnboundedSender<(u64, Progress)>,
}

impl TaskContext {
    /// A context whose reports go to `progress`, for testing handlers on their own.
    pub fn for_tests(progress: tokio::sync::mpsc::UnboundedSender<(u64, Progress)>) -> Self {
        TaskContext { token: 0, progress }
    }

    /// A context whose reports go to `progress` tagged with `token`.
    pub(crate) fn new(
        token: u64,
        progress: tokio::sync::mpsc::UnboundedSender<(u64, Progress)>,
    ) -> Self {
        TaskContext { token, progress }
    }

    /// The service accepted the task and will answer later (`TaskSubmitted`), as the `.sync`
    /// and `.waitForTaskToken` integrations do.
    pub fn submitted(&self, output: Value) {
        // The execution may have ended already; then nobody listens.
        let _ = self
            .progress
            .send((self.token, Progress::Submitted(output)));
    }

    /// The task is alive: its `HeartbeatSeconds` start again.
    pub fn heartbeat(&self) {
        let _ = self.progress.send((self.token, Progress::Heartbeat));
    }
}

/// Task handlers by resource ARN, with an optional fallback for every other resource, and
/// the object store distributed Maps read their items from and write their results to.
#[derive(Clone, Default)]
pub struct Tasks {
    by_resource: HashMap<String, Arc<dyn TaskHandler>>,
    fallback: Option<Arc<dyn TaskHandler>>,
    objects: Objects,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks")
            .field("resources", &self.by_resource.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Tasks {
    /// No handlers: every task fails, saying so.
    pub fn new() -> Self {
        Tasks::default()
    }

    /// Handles the tasks of `resource`.
    pub fn register(
        &mut self,
        resource: impl Into<String>,
        handler: impl TaskHandler + 'static,
    ) -> &mut Self {
        self.by_resource.insert(resource.into(), Arc::new(handler));
        self
    }

    /// Handles the tasks of every resource without a handler of its own.
    pub fn fallback(&mut self, handler: impl TaskHandler + 'static) -> &mut Self {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// The object store of `ItemReader` and `ResultWriter` (`s3:getObject`, `s3:listObjectsV2`,
    /// `s3:putObject`); an empty one in memory by default.
    pub fn objects(&mut self, objects: Objects) -> &mut Self {
        self.objects = objects;
        self
    }

    /// The object store.
    pub fn object_store(&self) -> &Objects {
        &self.objects
    }

    /// Whether a handler is registered for exactly this resource (not the fallback).
    pub fn handles(&self, resource: &str) -> bool {
        self.by_resource.contains_key(resource)
    }

    /// Whether a fallback handler answers resources without a handler of their own.
    pub fn has_fallback(&self) -> bool {
        self.fallback.is_some()
    }

    pub(crate) fn call(&self, request: TaskRequest, cx: TaskContext) -> TaskFuture {
        match self
            .by_resource
            .get(&*request.resource)
            .or(self.fallback.as_ref())
        {
            Some(h) => h.call(request, cx),
            None => {
                let resource = request.resource;
                Box::pin(async move {
                    Err(Failure::new(
                        "States.TaskFailed",
                        format!(
                            "no task handler is registered for the resource `{resource}`; register one, or give recorded results or mocks"
                        ),
                    ))
                })
            }
        }
    }
}

/// Why an execution could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    /// Nothing can happen any more, yet the execution has not ended.
    #[error("the execution is stuck: no task is running and no timer is set")]
    Stuck,
}

/// Runs an execution of `plan` to its end.
pub async fn run(
    plan: Arc<Plan>,
    info: ExecutionInfo,
    clock: Clock,
    tasks: &Tasks,
) -> Result<Execution, DriveError> {
    let mut now = match clock {
        Clock::Virtual { .. } => info.start_time,
        Clock::Real => system_now(),
    };
    let mut exec = Execution::new(plan, info);
    let mut timers: BTreeMap<(i64, u64), ()> = BTreeMap::new();
    let mut timer_at: HashMap<u64, i64> = HashMap::new();
    let mut cancelled: HashSet<u64> = HashSet::new();
    let mut running: JoinSet<(u64, Result<Value, Failure>)> = JoinSet::new();
    let mut task_tokens: HashMap<tokio::task::Id, u64> = HashMap::new();
    let (progress, mut submissions) = tokio::sync::mpsc::unbounded_channel::<(u64, Progress)>();
    // Answers known at once (reads and writes of the object store).
    let mut answers: VecDeque<Event> = VecDeque::new();
    let mut commands = exec.start(now);
    loop {
        for command in commands.drain(..) {
            match command {
                Command::RunTask { token, request } => {
                    let cx = TaskContext {
                        token,
                        progress: progress.clone(),
                    };
                    let mut future = tasks.call(*request, cx);
                    // Most handlers answer at once: polled here, they cost no tokio task.
                    // One that waits is spawned, and polled again there with a real waker.
                    match poll_once(&mut future) {
                        Ok(Poll::Ready(result)) => {
                            // What the task reported before it answered comes first.
                            while let Ok((t, progress)) = submissions.try_recv() {
                                answers.push_back(progress_event(t, progress));
                            }
                            answers.push_back(match result {
                                Ok(output) => Event::TaskSucceeded {
                                    token,
                                    output: output.into(),
                                },
                                Err(failure) => Event::TaskFailed { token, failure },
                            });
                        }
                        Ok(Poll::Pending) => {
                            let handle = running.spawn(async move { (token, future.await) });
                            task_tokens.insert(handle.id(), token);
                        }
                        Err(message) => answers.push_back(Event::TaskFailed {
                            token,
                            failure: Failure::new(
                                "States.TaskFailed",
                                format!("the task handler panicked: {message}"),
                            ),
                        }),
                    }
                }
                Command::StartTimer { token, at } => {
                    timers.insert((at, token), ());
                    timer_at.insert(token, at);
                }
                Command::Cancel { token } => {
                    if let Some(at) = timer_at.remove(&token) {
                        timers.remove(&(at, token));
                    } else if !answers.iter().any(|a| answer_token(a) == Some(token)) {
                        cancelled.insert(token);
                    }
                    answers.retain(|a| answer_token(a) != Some(token));
                }
                Command::ReadItems {
                    token,
                    resource,
                    parameters,
                } => {
                    let result = crate::objects::read_items(&tasks.objects, &resource, &parameters);
                    answers.push_back(Event::ItemsRead { token, result });
                }
                Command::WriteResults {
                    token,
                    resource,
                    bucket,
                    objects,
                } => {
                    let result =
                        crate::objects::write_results(&tasks.objects, &resource, &bucket, objects);
                    answers.push_back(Event::ResultsWritten { token, result });
                }
            }
        }
        if exec.outcome().is_some() {
            running.abort_all();
            return Ok(exec);
        }
        if let Some(event) = answers.pop_front() {
            exec.handle_into(event, now, &mut commands);
            continue;
        }
        let next_timer = timers.keys().next().copied();
        let mut event = None;
        match (running.is_empty(), next_timer) {
            (true, None) => return Err(DriveError::Stuck),
            (true, Some((at, token))) => {
                if !clock.is_virtual() {
                    sleep_until(at).await;
                }
                event = Some(fire(&mut timers, &mut timer_at, at, token, &mut now, clock));
            }
            (false, timer) => {
                let completion = match (clock, timer) {
                    // Virtual time: a task that does not answer at once lets time jump to the
                    // next timer.
                    (Clock::Virtual { .. }, Some(_)) => {
                        tokio::task::yield_now().await;
                        tokio::time::timeout(Duration::from_millis(1), running.join_next())
                            .await
                            .unwrap_or_default()
                    }
                    (Clock::Real, Some((at, _))) => {
                        let wait =
                            Duration::from_millis(u64::try_from(at - system_now()).unwrap_or(0));
                        tokio::time::timeout(wait, running.join_next())
                            .await
                            .unwrap_or_default()
                    }
                    (_, None) => running.join_next().await,
                };
                if !clock.is_virtual() {
                    now = system_now();
                }
                // What a task reported before it ended (or while it waits) comes first.
                while let Ok((token, progress)) = submissions.try_recv() {
                    if !cancelled.contains(&token) {
                        exec.handle_into(progress_event(token, progress), now, &mut commands);
                    }
                }
                match (completion, timer) {
                    (Some(Ok((token, result))), _) => {
                        if !cancelled.remove(&token) {
                            event = Some(match result {
                                Ok(output) => Event::TaskSucceeded {
                                    token,
                                    output: output.into(),
                                },
                                Err(failure) => Event::TaskFailed { token, failure },
                            });
                        }
                    }
                    // A handler that panics fails its task; the execution goes on.
                    (Some(Err(e)), _) => {
                        if let Some(token) =
                            task_tokens.remove(&e.id()).filter(|t| !cancelled.remove(t))
                        {
                            let cause = format!("the task handler panicked: {}", panic_message(e));
                            event = Some(Event::TaskFailed {
                                token,
                                failure: Failure::new("States.TaskFailed", cause),
                            });
                        }
                    }
                    (None, Some((at, token))) => {
                        event = Some(fire(&mut timers, &mut timer_at, at, token, &mut now, clock));
                    }
                    (None, None) => return Err(DriveError::Stuck),
                }
            }
        }
        if let Some(event) = event {
            exec.handle_into(event, now, &mut commands);
        }
    }
}

/// The token of an answer known before the interpreter asked for it again.
fn answer_token(event: &Event) -> Option<u64> {
    match event {
        Event::TimerFired { .. } => None,
        answer => Some(answer.token()),
    }
}

/// What a task reported while it runs, as the interpreter hears it.
fn progress_event(token: u64, progress: Progress) -> Event {
    match progress {
        Progress::Submitted(output) => Event::TaskSubmitted {
            token,
            output: output.into(),
        },
        Progress::Heartbeat => Event::TaskHeartbeat { token },
    }
}

/// Polls a task's future once, without a waker; a panic becomes its message.
fn poll_once(future: &mut TaskFuture) -> Result<Poll<Result<Value, Failure>>, String> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future.as_mut().poll(&mut cx)
    }))
    .map_err(|payload| panic_text(&*payload))
}

fn fire(
    timers: &mut BTreeMap<(i64, u64), ()>,
    timer_at: &mut HashMap<u64, i64>,
    at: i64,
    token: u64,
    now: &mut i64,
    clock: Clock,
) -> Event {
    timers.remove(&(at, token));
    timer_at.remove(&token);
    *now = if clock.is_virtual() {
        at.max(*now)
    } else {
        system_now()
    };
    Event::TimerFired { token }
}

async fn sleep_until(at: i64) {
    let wait = at - system_now();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
    }
}

/// What a task handler that panicked said.
pub(crate) fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => panic_text(&*payload),
        Err(e) => e.to_string(),
    }
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic".to_owned())
}
