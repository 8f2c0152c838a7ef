//! Pass, and the two ways a state's output is shaped: JSONPath and JSONata.

use std::sync::Arc;

use serde_json::Value;
use sfn_core::{Pass, QueryLanguage};

use super::{Execution, FrameId};
use crate::failure::Failure;
use crate::history::Payload;
use crate::plan::Node;

/// A state's output and the variables it assigns.
pub(super) type Produced = (Payload, Option<Vec<(String, Value)>>);

impl Execution {
    pub(super) fn pass(&mut self, fid: FrameId, node: &Node, s: &Pass) {
        let raw = self.frames[fid].input.clone();
        let produced = match node.language {
            QueryLanguage::JsonPath => self.pass_jsonpath(fid, s, &raw),
            QueryLanguage::JsonAta => {
                self.shape_jsonata(fid, &raw, None, s.output.as_ref(), s.assign.as_ref())
            }
        };
        match produced {
            Ok((output, assigned)) => self.exit(fid, output, assigned, node.next),
            Err(f) => self.failed(fid, f),
        }
    }

    fn pass_jsonpath(
        &mut self,
        fid: FrameId,
        s: &Pass,
        raw: &Payload,
    ) -> Result<Produced, Failure> {
        let effective = self.input_path(fid, raw, s.input_path.as_ref())?;
        let result = match (&s.result, &s.parameters) {
            (Some(r), _) => Arc::new(r.clone()),
            (None, Some(p)) => Arc::new(self.payload(fid, p, &effective, None)?),
            (None, None) => effective,
        };
        let assigned = match &s.assign {
            Some(a) => Some(self.assign_jsonpath(fid, a, &result)?),
            None => None,
        };
        let output = self.result_path(fid, raw, result, s.result_path.as_ref())?;
        Ok((
            self.output_path(fid, output, s.output_path.as_ref())?,
            assigned,
        ))
    }

    /// JSONata `Output` and `Assign`, both from the same `$states`. Without `Output`, the
    /// output is the result when there is one, else the input.
    pub(super) fn shape_jsonata(
        &mut self,
        fid: FrameId,
        input: &Payload,
        result: Option<&Payload>,
        output: Option<&sfn_core::template::Template>,
        assign: Option<&sfn_core::template::Template>,
    ) -> Result<Produced, Failure> {
        let states = self.states(fid, input, result.map(|r| &**r), None);
        let assigned = match assign {
            Some(a) => Some(self.assign_jsonata(fid, a, &states)?),
            None => None,
        };
        let output = match output {
            Some(o) => Arc::new(self.jsonata_template(fid, o, &states, "Output")?),
            None => result.unwrap_or(input).clone(),
        };
        Ok((output, assigned))
    }
}
