//! Succeed and Fail.

use serde_json::Value;
use sfn_core::{Fail, OrExpr, PathOrIntrinsic, QueryLanguage, Succeed};

use super::{Execution, FrameId};
use crate::eval::{intrinsic, path};
use crate::failure::Failure;
use crate::plan::Node;

impl Execution {
    pub(super) fn succeed(&mut self, fid: FrameId, node: &Node, s: &Succeed) {
        let raw = self.frames[fid].input.clone();
        let produced = match node.language {
            QueryLanguage::JsonPath => self
                .input_path(fid, &raw, s.input_path.as_ref())
                .and_then(|v| self.output_path(fid, v, s.output_path.as_ref()))
                .map(|v| (v, None)),
            QueryLanguage::JsonAta => self.shape_jsonata(fid, &raw, None, s.output.as_ref(), None),
        };
        match produced {
            Ok((output, _)) => self.exit(fid, output, None, None),
            Err(f) => self.failed(fid, f),
        }
    }

    pub(super) fn fail(&mut self, fid: FrameId, node: &Node, s: &Fail) {
        let raw = self.frames[fid].input.clone();
        let failure = match node.language {
            QueryLanguage::JsonPath => self.fail_jsonpath(fid, s, &raw),
            QueryLanguage::JsonAta => self.fail_jsonata(fid, s, &raw),
        };
        // A Fail state ends its block with its error; it has no Retry or Catch of its own.
        self.block_done(fid, Err(failure.unwrap_or_else(|f| f)));
    }

    fn fail_jsonpath(&self, fid: FrameId, s: &Fail, raw: &Value) -> Result<Failure, Failure> {
        let read = |p: &Option<PathOrIntrinsic>, field: &str| -> Result<Option<String>, Failure> {
            let Some(p) = p else { return Ok(None) };
            let value = match p {
                PathOrIntrinsic::Path(r) => self
                    .with_scope(fid, true, None, |scope| path::select(r.as_path(), raw, scope))
                    .map_err(|_| {
                    Failure::runtime(format!(
                        "{}The JSONPath '{}' specified for the field '{field}' could not be found in the input '{raw}'",
                        self.cause_prefix(fid),
                        r.as_str()
                    ))
                })?,
                PathOrIntrinsic::Intrinsic(i) => self
                    .with_scope(fid, true, None, |scope| intrinsic::call(i, raw, scope))
                    .map_err(|e| {
                    let cause = format!("{}{}", self.cause_prefix(fid), e.message);
                    Failure::new(crate::failure::names::INTRINSIC_FAILURE, cause)
                })?,
            };
            match value {
                Value::String(s) => Ok(Some(s)),
                other => Err(Failure::runtime(format!(
                    "{}The {field} parameter does not reference a string: {other}",
                    self.cause_prefix(fid)
                ))),
            }
        };
        let error = match &s.error {
            Some(OrExpr::Value(e)) => Some(e.clone()),
            _ => read(&s.error_path, "ErrorPath")?,
        };
        let cause = match &s.cause {
            Some(OrExpr::Value(c)) => Some(c.clone()),
            _ => read(&s.cause_path, "CausePath")?,
        };
        Ok(Failure { error, cause })
    }

    fn fail_jsonata(&mut self, fid: FrameId, s: &Fail, raw: &Value) -> Result<Failure, Failure> {
        let states = self.states(fid, raw, None, None);
        let mut text =
            |v: &Option<OrExpr<String>>, field: &str| -> Result<Option<String>, Failure> {
                match v {
                    None => Ok(None),
                    Some(v) => self
                        .jsonata_value(
                            fid,
                            v,
                            &states,
                            field,
                            |x| x.as_str().map(str::to_owned),
                            "string",
                        )
                        .map(Some),
                }
            };
        let error = text(&s.error, "Error")?;
        let cause = text(&s.cause, "Cause")?;
        Ok(Failure { error, cause })
    }
}
