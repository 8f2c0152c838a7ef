//! Parallel, and the machinery it shares with Map: child frames, their completion, aborts.

use std::sync::Arc;

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;
use sfn_core::{Parallel, QueryLanguage, State};

use super::{Execution, Fanout, FanoutKind, Frame, FrameId, Wait};
use crate::failure::{Failure, names};
use crate::history::EventKind;
use crate::history::{Payload, boxed};
use crate::plan::Node;

impl Execution {
    pub(super) fn parallel(&mut self, fid: FrameId, node: &Node, s: &Parallel) {
        let raw = self.frames[fid].input.clone();
        let input = match node.language {
            QueryLanguage::JsonPath => {
                self.input_path(fid, &raw, s.input_path.as_ref())
                    .and_then(|effective| match &s.parameters {
                        Some(p) => self.payload(fid, p, &effective, None).map(Arc::new),
                        None => Ok(effective),
                    })
            }
            QueryLanguage::JsonAta => match &s.arguments {
                Some(a) => {
                    let states = self.states(fid, &raw, None, None);
                    self.jsonata_template(fid, a, &states, "Arguments")
                        .map(Arc::new)
                }
                None => Ok(raw.clone()),
            },
        };
        let input = match input {
            Ok(i) => i,
            Err(f) => return self.failed(fid, f),
        };
        self.record_in(fid, EventKind::ParallelStateStarted);
        let n = s.branches.len();
        let pending = (0..n).map(|i| (i, input.clone())).collect();
        self.frames[fid].wait =
            Wait::Children(Box::new(Fanout::new(FanoutKind::Parallel, pending, raw)));
        self.fanouts.insert(fid);
    }

    /// Starts one waiting child of some Parallel or Map state that has room for it. Children
    /// start one at a time, each running until it waits or ends before the next one starts,
    /// which gives AWS's order of events.
    pub(super) fn start_child(&mut self) -> bool {
        let child = self.frames.len();
        let mut next = self.fanouts.first().copied();
        while let Some(fid) = next {
            next = self.fanouts.range(fid + 1..).next().copied();
            let parent_isolated = self.frames[fid].isolated;
            let Wait::Children(fan) = &mut self.frames[fid].wait else {
                self.fanouts.remove(&fid);
                continue;
            };
            if fan.pending.is_empty() {
                self.fanouts.remove(&fid);
                continue;
            }
            if fan.max_concurrency != 0 && fan.running.len() >= fan.max_concurrency {
                continue;
            }
            let Some((index, input)) = fan.pending.pop_front() else {
                continue;
            };
            let kind = fan.kind;
            let isolated = fan.distributed || parent_isolated;
            fan.running.insert(child);
            let (block_of_parent, state_of_parent) =
                (self.frames[fid].block, self.frames[fid].state);
            let node = Self::plan_node(&self.plan, block_of_parent, state_of_parent);
            let block = match kind {
                FanoutKind::Parallel => node.children[index],
                FanoutKind::Map => node.children[0],
            };
            let name = node.name.clone();
            let start = self.plan.blocks[block].start;
            // Each child's first event follows the parent's `…StateStarted`.
            let prev = self.frames[fid].prev_event;
            self.frames.push(Frame {
                block,
                state: start,
                input,
                entered_time: self.now,
                entered_event: 0,
                prev_event: prev,
                parent: Some((fid, index)),
                variables: None,
                retries: Vec::new(),
                wait: Wait::Ready,
                started: false,
                isolated,
            });
            if kind == FanoutKind::Map {
                self.record_in(child, EventKind::MapIterationStarted { name, index });
            }
            self.frames[child].started = true;
            self.ready.push_front(child);
            return true;
        }
        false
    }

    /// A child block ended.
    pub(super) fn child_done(
        &mut self,
        fid: FrameId,
        child: FrameId,
        index: usize,
        result: Result<Payload, Failure>,
    ) {
        let plan = self.plan.clone();
        let node = Self::plan_node(&plan, self.frames[fid].block, self.frames[fid].state);
        let Wait::Children(fan) = &mut self.frames[fid].wait else {
            return;
        };
        fan.running.remove(&child);
        let kind = fan.kind;
        let name = node.name.clone();
        let failure = match result {
            Ok(output) => {
                fan.results[index] = Some(Arc::unwrap_or_clone(output));
                if kind == FanoutKind::Map {
                    self.record_in(child, EventKind::MapIterationSucceeded { name, index });
                }
                None
            }
            Err(f) => {
                if kind == FanoutKind::Map {
                    self.record_in(child, EventKind::MapIterationFailed { name, index });
                }
                let Wait::Children(fan) = &mut self.frames[fid].wait else {
                    return;
                };
                fan.failed += 1;
                let total = fan.results.len();
                let tolerated = fan.tolerated_count.is_some_and(|c| fan.failed <= c)
                    || fan.tolerated_percentage.is_some_and(|p| {
                        #[allow(clippy::cast_precision_loss)]
                        let share = fan.failed as f64 * 100.0 / total.max(1) as f64;
                        share <= p
                    });
                if tolerated {
                    fan.results[index] = Some(f.output());
                    None
                } else if fan.tolerated_count.is_some() || fan.tolerated_percentage.is_some() {
                    Some(Failure::new(
                        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                        "The specified tolerated failure threshold was exceeded",
                    ))
                } else {
                    Some(f)
                }
            }
        };
        // The parent's next events follow the last event of its children.
        self.frames[fid].prev_event = self.history.len() as u64;
        if let Some(failure) = failure {
            let distributed = matches!(&self.frames[fid].wait, Wait::Children(f) if f.distributed);
            self.abort_children(fid);
            if distributed {
                let (error, cause) = (boxed(&failure.error), boxed(&failure.cause));
                self.record_in(fid, EventKind::MapRunFailed { error, cause });
            }
            // A retry runs the state again without a `…StateFailed` event.
            self.frames[fid].wait = Wait::Ready;
            if self.retry(fid, &failure) {
                return;
            }
            let event = match kind {
                FanoutKind::Parallel => EventKind::ParallelStateFailed,
                FanoutKind::Map => EventKind::MapStateFailed,
            };
            self.record_in(fid, event);
            return self.give_up(fid, failure);
        }
        let Wait::Children(fan) = &self.frames[fid].wait else {
            return;
        };
        if !fan.running.is_empty() || !fan.pending.is_empty() {
            return;
        }
        let Wait::Children(fan) = std::mem::replace(&mut self.frames[fid].wait, Wait::Ready) else {
            return;
        };
        // A Map's `ResultWriter` writes the results first.
        let Some(fan) = self.map_write_results(fid, node, fan) else {
            return;
        };
        if fan.distributed {
            self.record_in(fid, EventKind::MapRunSucceeded);
        }
        let results = Value::Array(
            fan.results
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        );
        let event = match kind {
            FanoutKind::Parallel => EventKind::ParallelStateSucceeded,
            FanoutKind::Map => EventKind::MapStateSucceeded,
        };
        self.record_in(fid, event);
        self.finish_fanout(fid, node, fan.raw_input, results);
    }

    /// Stops every running child of a fanout, recording what AWS records for each.
    fn abort_children(&mut self, fid: FrameId) {
        let Wait::Children(fan) = &mut self.frames[fid].wait else {
            return;
        };
        let running = std::mem::take(&mut fan.running);
        fan.pending.clear();
        let kind = fan.kind;
        let name = Self::plan_node(&self.plan, self.frames[fid].block, self.frames[fid].state)
            .name
            .clone();
        for child in running {
            self.abort_frame(child);
            if kind == FanoutKind::Map {
                let index = self.frames[child].parent.map_or(0, |(_, i)| i);
                self.record_in(
                    child,
                    EventKind::MapIterationAborted {
                        name: name.clone(),
                        index,
                    },
                );
            }
        }
    }

    /// Stops a frame and everything under it.
    pub(super) fn abort_frame(&mut self, fid: FrameId) {
        match std::mem::replace(&mut self.frames[fid].wait, Wait::Done) {
            Wait::Task { token, attempt } => {
                self.commands.push(super::Command::Cancel { token });
                for t in attempt
                    .timeout_token()
                    .into_iter()
                    .chain(attempt.heartbeat_token())
                {
                    self.commands.push(super::Command::Cancel { token: t });
                }
                self.record_in(fid, EventKind::TaskStateAborted);
            }
            Wait::Timer { token } => {
                self.commands.push(super::Command::Cancel { token });
                self.record_in(fid, EventKind::WaitStateAborted);
            }
            Wait::Retry { token } => self.commands.push(super::Command::Cancel { token }),
            Wait::Items { token, .. } | Wait::Results { token, .. } => {
                self.commands.push(super::Command::Cancel { token });
                self.record_in(fid, EventKind::MapStateAborted);
            }
            Wait::Children(fan) => {
                let kind = fan.kind;
                for child in fan.running {
                    self.abort_frame(child);
                }
                let event = match kind {
                    FanoutKind::Parallel => EventKind::ParallelStateAborted,
                    FanoutKind::Map => EventKind::MapStateAborted,
                };
                self.record_in(fid, event);
            }
            Wait::Ready | Wait::Done => {}
        }
        self.ready.retain(|f| *f != fid);
    }

    /// Shapes a Parallel's or Map's array of results into the state's output.
    pub(super) fn finish_fanout(
        &mut self,
        fid: FrameId,
        node: &Node,
        raw: Payload,
        results: Value,
    ) {
        let results = Arc::new(results);
        let (selector, assign, result_path, output_path, output) = match &node.state {
            State::Parallel(s) => (
                s.result_selector.as_ref(),
                s.assign.as_ref(),
                s.result_path.as_ref(),
                s.output_path.as_ref(),
                s.output.as_ref(),
            ),
            State::Map(s) => (
                s.result_selector.as_ref(),
                s.assign.as_ref(),
                s.result_path.as_ref(),
                s.output_path.as_ref(),
                s.output.as_ref(),
            ),
            _ => return,
        };
        let produced = match node.language {
            QueryLanguage::JsonPath => self.result_jsonpath(
                fid,
                &raw,
                results,
                selector,
                assign,
                result_path,
                output_path,
            ),
            QueryLanguage::JsonAta => self.shape_jsonata(fid, &raw, Some(&results), output, assign),
        };
        match produced {
            Ok((output, assigned)) => self.exit(fid, output, assigned, node.next),
            Err(f) => self.failed(fid, f),
        }
    }
}

impl Fanout {
    /// A fanout over `pending` inputs.
    pub(super) fn new(
        kind: FanoutKind,
        pending: VecDeque<(usize, Payload)>,
        raw_input: Payload,
    ) -> Self {
        let n = pending.len();
        Fanout {
            kind,
            pending,
            running: BTreeSet::new(),
            results: vec![None; n],
            max_concurrency: 0,
            distributed: false,
            failed: 0,
            tolerated_count: None,
            tolerated_percentage: None,
            raw_input,
        }
    }
}
