//! Wait: `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`, or their JSONata forms.

use serde_json::Value;
use sfn_core::{OrExpr, QueryLanguage, State, Wait as WaitState};

use super::{Command, Execution, FrameId, Wait};
use crate::clock::parse_timestamp;
use crate::failure::Failure;
use crate::plan::Node;

/// The longest wait AWS accepts: a timestamp 2^31 seconds ahead is "too long".
const MAX_WAIT_MS: i64 = (1 << 31) * 1000;

impl Execution {
    pub(super) fn wait(&mut self, fid: FrameId, node: &Node, s: &WaitState) {
        match self.wait_until(fid, node, s) {
            Ok(at) => {
                let token = self.frame_token(fid);
                self.frames[fid].wait = Wait::Timer { token };
                self.commands.push(Command::StartTimer { token, at });
            }
            Err(f) => self.failed(fid, f),
        }
    }

    /// When the wait ends, in milliseconds since the epoch.
    fn wait_until(&mut self, fid: FrameId, node: &Node, s: &WaitState) -> Result<i64, Failure> {
        let raw = self.frames[fid].input.clone();
        let prefix = self.cause_prefix(fid);
        let runtime = |message: String| Failure::runtime(format!("{prefix}{message}"));
        let timestamp =
            |text: &str, what: String| parse_timestamp(text).ok_or_else(|| runtime(what));
        let until = match node.language {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, &raw, s.input_path.as_ref())?;
                if let Some(OrExpr::Value(n)) = &s.seconds {
                    self.now + seconds_ms(n.as_u64().unwrap_or(0))
                } else if let Some(p) = &s.seconds_path {
                    let value = self.select(fid, p.as_path(), &effective).map_err(|_| {
                        runtime(format!(
                            "The SecondsPath parameter does not reference an input value: {}",
                            p.as_str()
                        ))
                    })?;
                    match &value {
                        Value::Number(n) if n.as_i64().is_some_and(|x| x < 0) => {
                            return Err(runtime(format!(
                                "The SecondsPath parameter references a negative value: {} == {value}",
                                p.as_str()
                            )));
                        }
                        Value::Number(n) if n.as_u64().is_some() => {
                            self.now + seconds_ms(n.as_u64().unwrap_or(0))
                        }
                        _ => {
                            return Err(runtime(format!(
                                "The SecondsPath parameter cannot be parsed as a long value: {} == {value}",
                                p.as_str()
                            )));
                        }
                    }
                } else if let Some(OrExpr::Value(ts)) = &s.timestamp {
                    timestamp(
                        ts,
                        format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {ts}"
                        ),
                    )?
                } else if let Some(p) = &s.timestamp_path {
                    let value = self.select(fid, p.as_path(), &effective).map_err(|_| {
                        runtime(format!(
                            "The TimestampPath parameter does not reference an input value: {}",
                            p.as_str()
                        ))
                    })?;
                    let what = format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                        p.as_str(),
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned)
                    );
                    timestamp(value.as_str().unwrap_or_default(), what)?
                } else {
                    self.now
                }
            }
            QueryLanguage::JsonAta => {
                let states = self.states(fid, &raw, None, None);
                if let Some(seconds) = &s.seconds {
                    let n = self.jsonata_value(
                        fid,
                        seconds,
                        &states,
                        "Seconds",
                        |v| Some(serde_json::Number::from(v.as_u64()?)),
                        "integer",
                    )?;
                    self.now + seconds_ms(n.as_u64().unwrap_or(0))
                } else if let Some(ts) = &s.timestamp {
                    let text = self.jsonata_value(
                        fid,
                        ts,
                        &states,
                        "Timestamp",
                        |v| v.as_str().map(str::to_owned),
                        "string",
                    )?;
                    match parse_timestamp(&text) {
                        Some(at) => at,
                        None => {
                            let message = format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                            );
                            return Err(self.evaluation_failed(fid, Some("Timestamp"), message));
                        }
                    }
                } else {
                    self.now
                }
            }
        };
        if until - self.now >= MAX_WAIT_MS {
            return Err(runtime("Wait state delay is too long.".to_owned()));
        }
        Ok(until.max(self.now))
    }

    /// The Wait state's timer fired.
    pub(super) fn wait_done(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let f = &self.frames[fid];
        let node = Self::plan_node(&plan, f.block, f.state);
        let State::Wait(s) = &node.state else { return };
        let raw = self.frames[fid].input.clone();
        let produced = match node.language {
            QueryLanguage::JsonPath => (|| {
                let effective = self.input_path(fid, &raw, s.input_path.as_ref())?;
                let assigned = match &s.assign {
                    Some(a) => Some(self.assign_jsonpath(fid, a, &effective)?),
                    None => None,
                };
                Ok((
                    self.output_path(fid, effective, s.output_path.as_ref())?,
                    assigned,
                ))
            })(),
            QueryLanguage::JsonAta => {
                self.shape_jsonata(fid, &raw, None, s.output.as_ref(), s.assign.as_ref())
            }
        };
        match produced {
            Ok((output, assigned)) => self.exit(fid, output, assigned, node.next),
            Err(f) => self.failed(fid, f),
        }
    }
}

fn seconds_ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}
