//! Map: inline, and distributed (a Map Run of child executions) with its `ItemReader`,
//! `ItemBatcher` and `ResultWriter`.
//!
//! An `ItemReader`'s data comes through [`Command::ReadItems`] and [`Event::ItemsRead`]; a
//! `ResultWriter`'s files go out through [`Command::WriteResults`] and
//! [`Event::ResultsWritten`]. Parsing, batching and the files' layout are in [`reader`].

use std::sync::Arc;

mod reader;

use serde_json::{Number, Value, json};
use sfn_core::path::ReferencePath;
use sfn_core::template::Template;
use sfn_core::{ItemReader, Map, OrExpr, QueryLanguage, ResultWriter, State};

use super::{Command, Execution, Fanout, FanoutKind, FrameId, Wait};
use crate::failure::Failure;
use crate::history::EventKind;
use crate::history::{Payload, boxed};
use crate::plan::Node;

/// The error of a Map whose `ItemReader` failed.
const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
/// The error of a Map whose `ResultWriter` failed.
const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";

/// A Map waiting for its `ItemReader`'s data.
#[derive(Debug)]
pub(super) struct PendingRead {
    /// The state's raw input.
    raw: Payload,
    max_concurrency: usize,
}

/// A Map waiting for its `ResultWriter`'s files to be written.
#[derive(Debug)]
pub(super) struct PendingWrite {
    /// The state's raw input.
    raw: Payload,
    /// The Map's result once the files are written: `{"MapRunArn", "ResultWriterDetails"}`.
    result: Value,
}

/// A distributed Map's run, kept while it runs for its `ResultWriter`.
#[derive(Debug, Default)]
pub(super) struct MapRun {
    /// The Map Run's ARN.
    arn: String,
    /// Each child execution's input (only with a `ResultWriter`).
    inputs: Vec<Value>,
    /// When the Map Run started.
    started: i64,
}

/// What a `ResultWriter` does with the results.
enum Written {
    /// Only a `WriterConfig`: the shaped results become the Map's result.
    Shaped(Vec<Value>),
    /// Objects to write, and the Map's result once they are written.
    Files {
        resource: String,
        bucket: String,
        objects: Vec<(String, String)>,
        result: Value,
    },
}

impl Execution {
    pub(super) fn map(&mut self, fid: FrameId, node: &Node, s: &Map) {
        let raw = self.frames[fid].input.clone();
        if let Some(reader) = &s.item_reader {
            return self.map_read(fid, node, s, reader, raw);
        }
        let started = self.map_items(fid, node, s, &raw).and_then(|items| {
            let max = self.map_max_concurrency(fid, node, s, &raw)?;
            Ok((items, max))
        });
        let (items, max_concurrency) = match started {
            Ok(x) => x,
            Err(f) => return self.failed(fid, f),
        };
        self.record_in(
            fid,
            EventKind::MapStateStarted {
                length: items.len(),
            },
        );
        self.map_launch(fid, node, s, raw, items, max_concurrency, false);
    }

    /// Starts the iterations over `items` once the Map has started (and, with `run_started`,
    /// its Map Run too).
    #[allow(clippy::too_many_arguments)]
    fn map_launch(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: Payload,
        items: Vec<Value>,
        max_concurrency: usize,
        run_started: bool,
    ) {
        // AWS reads the tolerance and builds each item's input once the Map has started.
        let prepared = self
            .map_tolerance(fid, node, s, &raw)
            .and_then(|tolerance| {
                let inputs = self.map_inputs(fid, node, s, &raw, items)?;
                let inputs = self.map_batches(fid, node, s, &raw, inputs)?;
                Ok((tolerance, inputs))
            });
        let ((tolerated_count, tolerated_percentage), inputs) = match prepared {
            Ok(p) => p,
            Err(f) if run_started => return self.map_run_failed(fid, node, f),
            Err(f) => return self.failed(fid, f),
        };
        let distributed = s.is_distributed();
        if distributed && !run_started {
            self.start_map_run(fid, node, s);
        }
        if s.result_writer.is_some()
            && let Some((_, run)) = self.map_runs.iter_mut().find(|(f, _)| *f == fid)
        {
            run.inputs.clone_from(&inputs);
        }
        let mut fan = Fanout::new(
            FanoutKind::Map,
            inputs.into_iter().map(Arc::new).enumerate().collect(),
            raw,
        );
        fan.max_concurrency = max_concurrency;
        fan.tolerated_count = tolerated_count;
        fan.tolerated_percentage = tolerated_percentage;
        fan.distributed = distributed;
        let empty = fan.pending.is_empty();
        self.frames[fid].wait = Wait::Children(Box::new(fan));
        self.fanouts.insert(fid);
        if empty {
            self.map_empty(fid);
        }
    }

    /// Records `MapRunStarted` with a new Map Run ARN.
    fn start_map_run(&mut self, fid: FrameId, node: &Node, s: &Map) {
        let map_run_arn = self.map_run_arn(node, s);
        self.map_runs.retain(|(f, _)| *f != fid);
        self.map_runs.push((
            fid,
            MapRun {
                arn: map_run_arn.clone(),
                inputs: Vec::new(),
                started: self.now,
            },
        ));
        self.record_in(fid, EventKind::MapRunStarted { map_run_arn });
    }

    /// The ARN of a distributed Map's Map Run:
    /// `arn:aws:states:REGION:ACCOUNT:mapRun:STATE_MACHINE/LABEL:ID`, the label defaulting to
    /// the state's name.
    fn map_run_arn(&mut self, node: &Node, s: &Map) -> String {
        let label = s.label.as_deref().unwrap_or(&node.name);
        let base = self
            .info
            .machine
            .arn
            .replacen(":stateMachine:", ":mapRun:", 1);
        let n = self.token();
        format!(
            "{base}/{label}:{}",
            pseudo_uuid(&self.info.execution_arn, n)
        )
    }

    /// A Map over no items succeeds at once with `[]`.
    fn map_empty(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let node = Self::plan_node(&plan, self.frames[fid].block, self.frames[fid].state);
        let Wait::Children(fan) = std::mem::replace(&mut self.frames[fid].wait, Wait::Ready) else {
            return;
        };
        let Some(fan) = self.map_write_results(fid, node, fan) else {
            return;
        };
        if fan.distributed {
            self.record_in(fid, EventKind::MapRunSucceeded);
        }
        self.record_in(fid, EventKind::MapStateSucceeded);
        self.finish_fanout(fid, node, fan.raw_input, Value::Array(Vec::new()));
    }

    /// The Map failed after it started: `MapRunFailed` (distributed), then a retry, or
    /// `MapStateFailed` and a catcher or the block's failure.
    fn map_run_failed(&mut self, fid: FrameId, node: &Node, failure: Failure) {
        self.frames[fid].wait = Wait::Ready;
        if matches!(&node.state, State::Map(s) if s.is_distributed()) {
            let (error, cause) = (boxed(&failure.error), boxed(&failure.cause));
            self.record_in(fid, EventKind::MapRunFailed { error, cause });
        }
        self.map_runs.retain(|(f, _)| *f != fid);
        // A retry runs the state again without a `MapStateFailed` event.
        if self.retry(fid, &failure) {
            return;
        }
        self.record_in(fid, EventKind::MapStateFailed);
        self.give_up(fid, failure);
    }

    /// A Map with an `ItemReader`: its parameters are evaluated, the Map (and its Map Run)
    /// starts, and the data is asked for. The items come with [`Event::ItemsRead`]
    /// (`ItemsPath` and `Items` do not apply: the reader's items are the items).
    ///
    /// [`Event::ItemsRead`]: super::Event::ItemsRead
    fn map_read(&mut self, fid: FrameId, node: &Node, s: &Map, reader: &ItemReader, raw: Payload) {
        let prepared = self
            .map_max_concurrency(fid, node, s, &raw)
            .and_then(|max| {
                let parameters = self.map_io_parameters(
                    fid,
                    node,
                    s,
                    &raw,
                    reader.parameters.as_ref(),
                    reader.arguments.as_ref(),
                )?;
                Ok((max, parameters))
            });
        let (max_concurrency, parameters) = match prepared {
            Ok(p) => p,
            Err(f) => return self.failed(fid, f),
        };
        // Until the data is read, the number of items is unknown: AWS reports 0.
        self.record_in(fid, EventKind::MapStateStarted { length: 0 });
        if s.is_distributed() {
            self.start_map_run(fid, node, s);
        }
        let token = self.frame_token(fid);
        self.frames[fid].wait = Wait::Items {
            token,
            pending: Box::new(PendingRead {
                raw,
                max_concurrency,
            }),
        };
        self.commands.push(Command::ReadItems {
            token,
            resource: reader.resource.clone(),
            parameters,
        });
    }

    /// The `ItemReader`'s data arrived (or could not be read).
    pub(super) fn items_read(&mut self, fid: FrameId, result: Result<Value, Failure>) {
        let Wait::Items { pending, .. } =
            std::mem::replace(&mut self.frames[fid].wait, Wait::Ready)
        else {
            return;
        };
        let plan = self.plan.clone();
        let node = Self::plan_node(&plan, self.frames[fid].block, self.frames[fid].state);
        let State::Map(s) = &node.state else {
            return;
        };
        let PendingRead {
            raw,
            max_concurrency,
        } = *pending;
        let items = result.and_then(|content| self.reader_items(fid, node, s, &raw, content));
        match items {
            Ok(items) => self.map_launch(fid, node, s, raw, items, max_concurrency, true),
            Err(f) => self.map_run_failed(fid, node, f),
        }
    }

    /// The items in an `ItemReader`'s data, read as its `ReaderConfig` says, at most
    /// `MaxItems` (`MaxItemsPath`) of them.
    fn reader_items(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
        content: Value,
    ) -> Result<Vec<Value>, Failure> {
        let config = s
            .item_reader
            .as_ref()
            .and_then(|r| r.reader_config.as_ref());
        let max = match config {
            Some(c) => self.map_limit(
                fid,
                node,
                s,
                raw,
                &c.max_items,
                &c.max_items_path,
                "MaxItems",
                true,
            )?,
            None => None,
        };
        if max.is_some_and(|m| m < 0.0) {
            return Err(Failure::new(
                ITEM_READER_FAILED,
                "field MaxItems must be positive",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let max = match max.map(|m| m as usize) {
            None | Some(0) => reader::MAX_ITEMS,
            Some(m) => m.min(reader::MAX_ITEMS),
        };
        reader::items(content, config, max).map_err(|cause| Failure::new(ITEM_READER_FAILED, cause))
    }

    /// The parameters of an `ItemReader` or a `ResultWriter`: its `Parameters` (JSONPath, on
    /// the effective input) or `Arguments` (JSONata); `{}` without them.
    fn map_io_parameters(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
        parameters: Option<&Template>,
        arguments: Option<&Template>,
    ) -> Result<Value, Failure> {
        match node.language {
            QueryLanguage::JsonPath => match parameters {
                Some(t) => {
                    let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
                    self.payload(fid, t, &effective, None)
                }
                None => Ok(json!({})),
            },
            QueryLanguage::JsonAta => match arguments {
                Some(t) => {
                    let states = self.states(fid, raw, None, None);
                    self.jsonata_template(fid, t, &states, "Arguments")
                }
                None => Ok(json!({})),
            },
        }
    }

    /// `ItemBatcher`: the inputs grouped into batches, each `{"Items": [...], "BatchInput":
    /// ...}`; the inputs unchanged without one.
    fn map_batches(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
        inputs: Vec<Value>,
    ) -> Result<Vec<Value>, Failure> {
        let Some(b) = &s.item_batcher else {
            return Ok(inputs);
        };
        let max_items = self.map_limit(
            fid,
            node,
            s,
            raw,
            &b.max_items_per_batch,
            &b.max_items_per_batch_path,
            "MaxItemsPerBatch",
            true,
        )?;
        let max_bytes = self.map_limit(
            fid,
            node,
            s,
            raw,
            &b.max_input_bytes_per_batch,
            &b.max_input_bytes_per_batch_path,
            "MaxInputBytesPerBatch",
            true,
        )?;
        for (field, value) in [
            ("MaxItemsPerBatch", max_items),
            ("MaxInputBytesPerBatch", max_bytes),
        ] {
            if value.is_some_and(|v| v < 0.0) {
                return Err(Failure::runtime(format!(
                    "{}{field} cannot be negative.",
                    self.cause_prefix(fid)
                )));
            }
        }
        let batch_input = match &b.batch_input {
            None => None,
            Some(t) => Some(match node.language {
                QueryLanguage::JsonPath => {
                    let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
                    self.payload(fid, t, &effective, None)?
                }
                QueryLanguage::JsonAta => {
                    let states = self.states(fid, raw, None, None);
                    self.jsonata_template(fid, t, &states, "BatchInput")?
                }
            }),
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let limit = |v: Option<f64>| v.map(|n| n as usize);
        Ok(reader::batches(
            inputs,
            limit(max_items),
            limit(max_bytes),
            batch_input.as_ref(),
        ))
    }

    /// Every child of the Map ended well: with a `ResultWriter`, its results are written (or,
    /// with only a `WriterConfig`, shaped) before the Map Run succeeds, and `None` is returned;
    /// without one, the fanout comes back to finish as usual.
    pub(super) fn map_write_results(
        &mut self,
        fid: FrameId,
        node: &Node,
        fan: Box<Fanout>,
    ) -> Option<Box<Fanout>> {
        let State::Map(s) = &node.state else {
            return Some(fan);
        };
        let Some(writer) = &s.result_writer else {
            return Some(fan);
        };
        let run = match self.map_runs.iter().position(|(f, _)| *f == fid) {
            Some(i) => self.map_runs.swap_remove(i).1,
            None => MapRun::default(),
        };
        let raw = fan.raw_input;
        let outputs: Vec<Value> = fan
            .results
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let written = self.result_writer_request(fid, node, s, writer, &raw, &run, outputs);
        match written {
            Err(f) => self.map_run_failed(fid, node, f),
            // A `WriterConfig` alone: the shaped results are the Map's result.
            Ok(Written::Shaped(results)) => {
                if s.is_distributed() {
                    self.record_in(fid, EventKind::MapRunSucceeded);
                }
                self.record_in(fid, EventKind::MapStateSucceeded);
                self.finish_fanout(fid, node, raw, Value::Array(results));
            }
            Ok(Written::Files {
                resource,
                bucket,
                objects,
                result,
            }) => {
                let token = self.frame_token(fid);
                self.frames[fid].wait = Wait::Results {
                    token,
                    pending: Box::new(PendingWrite { raw, result }),
                };
                self.commands.push(Command::WriteResults {
                    token,
                    resource,
                    bucket,
                    objects,
                });
            }
        }
        None
    }

    /// What a `ResultWriter` writes, from the children's outputs.
    #[allow(clippy::too_many_arguments)]
    fn result_writer_request(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        writer: &ResultWriter,
        raw: &Payload,
        run: &MapRun,
        outputs: Vec<Value>,
    ) -> Result<Written, Failure> {
        let failed = |cause: String| Failure::new(RESULT_WRITER_FAILED, cause);
        let config = writer.writer_config.as_ref();
        let default = if writer.resource.is_some() {
            reader::Transformation::None
        } else {
            reader::Transformation::Compact
        };
        let transformation = reader::Transformation::parse(
            config.and_then(|c| c.transformation.as_deref()),
            default,
        )
        .map_err(failed)?;
        let json_lines = match config.and_then(|c| c.output_type.as_deref()) {
            None | Some("JSON") => false,
            Some("JSONL") => true,
            Some(other) => {
                return Err(failed(format!("The output type {other} is not supported.")));
            }
        };
        let children = self.child_results(run, outputs);
        let (succeeded, failures) = reader::shape_results(&children, transformation);
        let Some(resource) = &writer.resource else {
            let mut all = succeeded;
            all.extend(failures);
            return Ok(Written::Shaped(all));
        };
        let parameters = self.map_io_parameters(
            fid,
            node,
            s,
            raw,
            writer.parameters.as_ref(),
            writer.arguments.as_ref(),
        )?;
        let Some(bucket) = parameters.get("Bucket").and_then(Value::as_str) else {
            return Err(failed(format!(
                "The ResultWriter needs a Bucket: {parameters}"
            )));
        };
        let prefix = parameters
            .get("Prefix")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (objects, key) =
            reader::result_files(bucket, prefix, &run.arn, &succeeded, &failures, json_lines);
        Ok(Written::Files {
            resource: resource.clone(),
            bucket: bucket.to_owned(),
            objects,
            result: json!({
                "MapRunArn": run.arn,
                "ResultWriterDetails": {"Bucket": bucket, "Key": key},
            }),
        })
    }

    /// Each child execution's result as a `ResultWriter` reports it. A tolerated failure left
    /// `{"Error", "Cause"}` as its output.
    fn child_results(&self, run: &MapRun, outputs: Vec<Value>) -> Vec<reader::ChildResult> {
        let machine = run
            .arn
            .rsplit_once(':')
            .map_or(run.arn.as_str(), |(m, _)| m)
            .replacen(":mapRun:", ":stateMachine:", 1);
        let start = crate::clock::format_timestamp(run.started);
        let stop = crate::clock::format_timestamp(self.now);
        outputs
            .into_iter()
            .enumerate()
            .map(|(i, output)| {
                let failed = matches!(&output, Value::Object(m)
                    if m.len() == 2 && m.contains_key("Error") && m.contains_key("Cause"));
                let name = pseudo_uuid(&run.arn, i as u64);
                let execution_arn = format!(
                    "{}:{name}",
                    machine.replacen(":stateMachine:", ":execution:", 1)
                );
                let input = run.inputs.get(i).cloned().unwrap_or_default();
                let mut details = json!({
                    "ExecutionArn": execution_arn,
                    "Input": input.to_string(),
                    "InputDetails": {"Included": true},
                    "Name": name,
                    "RedriveCount": 0,
                    "StartDate": start,
                    "StateMachineArn": machine,
                    "StopDate": stop,
                });
                if failed {
                    details["Error"] = output["Error"].clone();
                    details["Cause"] = output["Cause"].clone();
                    details["RedriveStatus"] = json!("REDRIVABLE");
                    details["Status"] = json!("FAILED");
                } else {
                    details["Output"] = json!(output.to_string());
                    details["OutputDetails"] = json!({"Included": true});
                    details["RedriveStatus"] = json!("NOT_REDRIVABLE");
                    details["RedriveStatusReason"] =
                        json!("Execution is SUCCEEDED and cannot be redriven");
                    details["Status"] = json!("SUCCEEDED");
                }
                reader::ChildResult {
                    details,
                    output,
                    failed,
                }
            })
            .collect()
    }

    /// The `ResultWriter`'s files are written (or could not be).
    pub(super) fn results_written(&mut self, fid: FrameId, result: Result<(), Failure>) {
        let Wait::Results { pending, .. } =
            std::mem::replace(&mut self.frames[fid].wait, Wait::Ready)
        else {
            return;
        };
        let plan = self.plan.clone();
        let node = Self::plan_node(&plan, self.frames[fid].block, self.frames[fid].state);
        let PendingWrite {
            raw,
            result: output,
        } = *pending;
        match result {
            Ok(()) => {
                if matches!(&node.state, State::Map(s) if s.is_distributed()) {
                    self.record_in(fid, EventKind::MapRunSucceeded);
                }
                self.record_in(fid, EventKind::MapStateSucceeded);
                self.finish_fanout(fid, node, raw, output);
            }
            Err(f) => self.map_run_failed(fid, node, f),
        }
    }

    /// The items: `ItemsPath` (JSONPath) or `Items` (JSONata), which must give an array.
    fn map_items(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
    ) -> Result<Vec<Value>, Failure> {
        let prefix = self.cause_prefix(fid);
        let not_array = |v: &Value| {
            Failure::runtime(format!(
                "{prefix}Map state input must be an array but was: {v}"
            ))
        };
        match node.language {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
                let items = match &s.items_path {
                    Some(p) => self.select(fid, p.as_path(), &effective)?,
                    None => Value::clone(&effective),
                };
                match items {
                    Value::Array(items) => Ok(items),
                    other => Err(not_array(&other)),
                }
            }
            QueryLanguage::JsonAta => {
                let Some(t) = &s.items else {
                    return match &**raw {
                        Value::Array(items) => Ok(items.clone()),
                        other => {
                            let message =
                                format!("Map state input must be an array but was: {other}");
                            Err(self.map_evaluation_failed(fid, None, message))
                        }
                    };
                };
                let states = self.states(fid, raw, None, None);
                let items = self
                    .jsonata_template(fid, t, &states, "Items")
                    .inspect_err(|_| {
                        self.record_in(fid, EventKind::MapStateFailed);
                    })?;
                match items {
                    Value::Array(items) => Ok(items),
                    other => {
                        let expr = match t {
                            Template::Jsonata(e) => e.body().trim().to_owned(),
                            t => t.as_json().to_string(),
                        };
                        let message = format!(
                            "The JSONata expression '{expr}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {other}",
                            json_type(&other)
                        );
                        Err(self.map_evaluation_failed(fid, Some("Items"), message))
                    }
                }
            }
        }
    }

    /// A JSONata Map's items are unusable: `EvaluationFailed`, then `MapStateFailed`, as AWS
    /// records them.
    fn map_evaluation_failed(
        &mut self,
        fid: FrameId,
        location: Option<&str>,
        message: String,
    ) -> Failure {
        let failure = self.evaluation_failed(fid, location, message);
        self.record_in(fid, EventKind::MapStateFailed);
        failure
    }

    /// Each item's input: `ItemSelector` (or its legacy name `Parameters`), with
    /// `$$.Map.Item` set, or the item itself.
    fn map_inputs(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
        items: Vec<Value>,
    ) -> Result<Vec<Value>, Failure> {
        let Some(selector) = s.item_selector.as_ref().or(s.parameters.as_ref()) else {
            return Ok(items);
        };
        let item = |i: usize, v: Value| json!({"Item": {"Index": i, "Value": v}});
        match node.language {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let member = || item(i, v.clone());
                        self.payload(fid, selector, &effective, Some(("Map", &member)))
                    })
                    .collect()
            }
            QueryLanguage::JsonAta => {
                let mut states = self.states(fid, raw, None, None);
                let mut inputs = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    states["context"]["Map"] = item(i, v);
                    inputs.push(self.jsonata_template(fid, selector, &states, "ItemSelector")?);
                }
                Ok(inputs)
            }
        }
    }

    /// One numeric limit of a Map state (`MaxConcurrency`, `ToleratedFailureCount`,
    /// `ToleratedFailurePercentage`): written out, read from the input by its `…Path`
    /// (JSONPath; a number, or a string holding one, as AWS's JSON reader accepts), or computed
    /// (JSONata).
    #[allow(clippy::too_many_arguments)]
    fn map_limit(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
        value: &Option<OrExpr<Number>>,
        path: &Option<ReferencePath>,
        field: &str,
        integer: bool,
    ) -> Result<Option<f64>, Failure> {
        if let Some(OrExpr::Value(n)) = value {
            return Ok(n.as_f64());
        }
        match node.language {
            QueryLanguage::JsonPath => {
                let Some(p) = path else { return Ok(None) };
                let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
                let v = self.select(fid, p.as_path(), &effective)?;
                let number = match &v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(text) => text.trim().parse::<f64>().ok(),
                    _ => None,
                };
                let number = number.filter(|n| !integer || n.fract() == 0.0);
                number.map(Some).ok_or_else(|| {
                    let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    let kind = if integer { "integer" } else { "float" };
                    Failure::runtime(format!(
                        "{}The {field}Path field refers to value \"{shown}\" which is not a valid {kind}: {}",
                        self.cause_prefix(fid),
                        p.as_str()
                    ))
                })
            }
            QueryLanguage::JsonAta => match value {
                None => Ok(None),
                Some(n) => {
                    let states = self.states(fid, raw, None, None);
                    let number = |v: &Value| v.as_f64().and_then(Number::from_f64);
                    Ok(self
                        .jsonata_value(fid, n, &states, field, number, "number")?
                        .as_f64())
                }
            },
        }
    }

    /// `MaxConcurrency`, read before the Map starts (0: no limit).
    fn map_max_concurrency(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
    ) -> Result<usize, Failure> {
        let max = self.map_limit(
            fid,
            node,
            s,
            raw,
            &s.max_concurrency,
            &s.max_concurrency_path,
            "MaxConcurrency",
            true,
        )?;
        if max.is_some_and(|m| m < 0.0) {
            let cause = format!(
                "{}MaxConcurrency cannot be negative.",
                self.cause_prefix(fid)
            );
            return Err(Failure::runtime(cause));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(max.unwrap_or(0.0) as usize)
    }

    /// The failures the Map tolerates, read once it has started: a count and a percentage.
    fn map_tolerance(
        &mut self,
        fid: FrameId,
        node: &Node,
        s: &Map,
        raw: &Payload,
    ) -> Result<(Option<usize>, Option<f64>), Failure> {
        let count = self.map_limit(
            fid,
            node,
            s,
            raw,
            &s.tolerated_failure_count,
            &s.tolerated_failure_count_path,
            "ToleratedFailureCount",
            true,
        )?;
        let percentage = self.map_limit(
            fid,
            node,
            s,
            raw,
            &s.tolerated_failure_percentage,
            &s.tolerated_failure_percentage_path,
            "ToleratedFailurePercentage",
            false,
        )?;
        let prefix = self.cause_prefix(fid);
        if count.is_some_and(|c| c < 0.0) {
            return Err(Failure::runtime(format!(
                "{prefix}ToleratedFailureCount cannot be negative."
            )));
        }
        if percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(Failure::runtime(format!(
                "{prefix}ToleratedFailurePercentage must be between 0 and 100."
            )));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok((count.map(|c| c as usize), percentage))
    }
}

/// JSON's name for a value's type, as AWS's messages give it.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
    }
}

/// A UUID-shaped identifier derived from a name and a counter: stable for a given execution,
/// so that runs are reproducible.
fn pseudo_uuid(name: &str, n: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain(n.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let lo = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        0x8000 | ((lo >> 48) & 0x3fff),
        lo & 0xffff_ffff_ffff
    )
}
