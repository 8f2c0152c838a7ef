//! Compiling a state machine into an execution plan: every `States` block becomes a [`Block`]
//! whose states are addressed by index, with every transition resolved once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sfn_core::{Code, Diagnostic, QueryLanguage, State, StateMachine, States};

use crate::history::TaskRef;

/// Index of a block in [`Plan::blocks`].
pub type BlockId = usize;
/// Index of a state in [`Block::states`].
pub type StateId = usize;

/// A state machine ready to run.
#[derive(Debug)]
pub struct Plan {
    /// The definition the plan was compiled from.
    pub machine: Arc<StateMachine>,
    /// Every `States` block: the machine's own (index 0), each Parallel branch, each Map
    /// item processor.
    pub blocks: Vec<Block>,
    /// How many events the longest execution of this plan so far recorded: the next one
    /// reserves that much history at once instead of growing it step by step.
    history_hint: AtomicUsize,
}

/// One `States` block.
#[derive(Debug)]
pub struct Block {
    /// The state that runs first.
    pub start: StateId,
    /// The states, in definition order.
    pub states: Vec<Node>,
}

/// One state with its transitions resolved.
#[derive(Debug)]
pub struct Node {
    /// The state's name.
    pub name: Arc<str>,
    /// The state as defined.
    pub state: State,
    /// The query language the state uses.
    pub language: QueryLanguage,
    /// `Next`, resolved.
    pub next: Option<StateId>,
    /// Each Choice rule's `Next`, resolved, in rule order.
    pub choice_next: Vec<StateId>,
    /// The Choice `Default`, resolved.
    pub default: Option<StateId>,
    /// Each catcher's `Next`, resolved, in catcher order.
    pub catch_next: Vec<StateId>,
    /// Parallel branches, or the Map item processor.
    pub children: Vec<BlockId>,
    /// A Task state's resource as its events report it.
    pub task: Option<Arc<TaskRef>>,
}

/// A definition that cannot run.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the state machine is not valid:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PlanError(pub Vec<Diagnostic>);

impl Plan {
    /// Validates and compiles a state machine.
    ///
    /// Every error of [`sfn_core::validate()`] refuses the machine but `INVALID_RESOURCE`: locally
    /// a resource is only the key of a task handler (or of recorded results), so a definition
    /// whose resources are placeholders still runs; `sfn validate` reports them.
    pub fn compile(machine: StateMachine) -> Result<Plan, PlanError> {
        let errors: Vec<Diagnostic> = sfn_core::validate(&machine)
            .into_iter()
            .filter(|d| d.is_error() && d.code != Code::InvalidResource)
            .collect();
        if !errors.is_empty() {
            return Err(PlanError(errors));
        }
        let machine = Arc::new(machine);
        let mut plan = Plan {
            machine: machine.clone(),
            blocks: Vec::new(),
            history_hint: AtomicUsize::new(0),
        };
        plan.block(&machine.start_at, &machine.states, machine.language());
        Ok(plan)
    }

    /// The machine's own block.
    pub fn root(&self) -> &Block {
        &self.blocks[0]
    }

    /// The history capacity an execution of this plan starts with.
    pub(crate) fn history_hint(&self) -> usize {
        // Bounded, so one huge execution does not make every later one reserve as much.
        self.history_hint.load(Ordering::Relaxed).min(1 << 16)
    }

    /// An execution of this plan has recorded `events` events (when it waits or ends).
    pub(crate) fn record_history_len(&self, events: usize) {
        if self.history_hint.load(Ordering::Relaxed) < events {
            self.history_hint.fetch_max(events, Ordering::Relaxed);
        }
    }

    fn block(&mut self, start_at: &str, states: &States, language: QueryLanguage) -> BlockId {
        let id = self.blocks.len();
        self.blocks.push(Block {
            start: 0,
            states: Vec::new(),
        });
        let index = |name: &str| states.get_index_of(name).expect("validated transition");
        let mut nodes = Vec::with_capacity(states.len());
        for (name, state) in states {
            let children = match state {
                State::Parallel(p) => p
                    .branches
                    .iter()
                    .map(|b| self.block(&b.start_at, &b.states, language))
                    .collect(),
                State::Map(m) => {
                    let p = m.processor().expect("validated Map");
                    vec![self.block(&p.start_at, &p.states, language)]
                }
                _ => Vec::new(),
            };
            let (choice_next, default) = match state {
                State::Choice(c) => (
                    c.choices
                        .iter()
                        .map(|r| index(r.next.as_deref().unwrap_or_default()))
                        .collect(),
                    c.default.as_deref().map(index),
                ),
                _ => (Vec::new(), None),
            };
            nodes.push(Node {
                name: Arc::from(name.as_str()),
                language: state.query_language().unwrap_or(language),
                next: state.next_and_end().and_then(|(next, _)| next).map(index),
                choice_next,
                default,
                catch_next: state.catchers().iter().map(|c| index(&c.next)).collect(),
                children,
                task: match state {
                    State::Task(t) => Some(Arc::new(crate::interp::task_ref(&t.resource))),
                    _ => None,
                },
                state: state.clone(),
            });
        }
        self.blocks[id] = Block {
            start: index(start_at),
            states: nodes,
        };
        id
    }
}
