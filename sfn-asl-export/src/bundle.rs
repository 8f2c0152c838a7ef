//! Everything a deploy needs for a set of workflows, written to one directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sfn_core::StateMachine;

use crate::asl::{self, Asl};
use crate::iam::{self, Policy, Warning};
use crate::refs::{self, Env};
use crate::{ExportConfig, ExportError, Exportable, Workflow, cfn, graph, schema};

enum Entry {
    /// A typed workflow, built for the bundle's configuration when the bundle is written.
    Typed(fn(&ExportConfig) -> Result<Workflow, ExportError>),
    Plain(Box<Workflow>),
}

/// A set of workflows to export together.
///
/// For each workflow `<Name>`: `<Name>.asl.json`, `<Name>.iam.json`, `<Name>.mmd`,
/// `<Name>.dot` and, when it is typed, `<Name>.input.schema.json` and
/// `<Name>.output.schema.json`; for all of them `template.json` and `template.yaml`.
///
/// ```no_run
/// # use sfn_asl_export::{Bundle, ExportConfig};
/// # let (parent, child) = (sfn_core::StateMachine::from_json_str("{}").unwrap(), sfn_core::StateMachine::from_json_str("{}").unwrap());
/// Bundle::new()
///     .definition("Parent", parent)
///     .definition("HelloWorld", child)
///     .write_dir("asl/")?;
/// # Ok::<(), sfn_asl_export::ExportError>(())
/// ```
pub struct Bundle {
    config: ExportConfig,
    entries: Vec<Entry>,
}

/// The files of a bundle, and what a person should know about its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// File name → contents, in name order.
    pub files: BTreeMap<String, String>,
    /// Wildcards and permissions left to the user, by workflow.
    pub warnings: Vec<(String, Warning)>,
}

impl Default for Bundle {
    fn default() -> Self {
        Bundle::new()
    }
}

impl Bundle {
    /// An empty bundle exporting for CloudFormation (`${ChildArn}` substitutions).
    pub fn new() -> Self {
        Bundle::with_config(ExportConfig::cloudformation())
    }

    /// An empty bundle with another configuration.
    pub fn with_config(config: ExportConfig) -> Self {
        Bundle {
            config,
            entries: Vec::new(),
        }
    }

    /// Adds a typed workflow.
    pub fn workflow<W: Exportable>(mut self) -> Self {
        self.entries.push(Entry::Typed(Workflow::of::<W>));
        self
    }

    /// Adds a plain definition under a name.
    pub fn definition(self, name: impl Into<String>, definition: StateMachine) -> Self {
        self.with_workflow(Workflow::new(name, definition))
    }

    /// Adds a workflow (a plain definition, with schemas if it has them).
    pub fn with_workflow(mut self, workflow: Workflow) -> Self {
        self.entries.push(Entry::Plain(Box::new(workflow)));
        self
    }

    fn workflows(&self) -> Result<Vec<Workflow>, ExportError> {
        self.entries
            .iter()
            .map(|e| match e {
                Entry::Typed(build) => build(&self.config),
                Entry::Plain(w) => Ok((**w).clone()),
            })
            .collect()
    }

    /// Builds every file in memory. Fails on the first invalid workflow, with its
    /// diagnostics; the same workflows and configuration always give the same bytes.
    pub fn build(&self) -> Result<Output, ExportError> {
        let workflows = self.workflows()?;
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for w in &workflows {
            crate::check_name(&w.name)?;
            for id in [w.name.to_lowercase(), refs::logical_id(&w.name)] {
                if let Some(first) = seen.insert(id.clone(), &w.name) {
                    return Err(ExportError::Clash {
                        first: first.to_owned(),
                        second: w.name.clone(),
                        id,
                    });
                }
            }
        }
        let in_stack: BTreeSet<String> = workflows.iter().map(|w| w.name.clone()).collect();
        let pretty = self.config.pretty;
        let mut files = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut exported: Vec<(Asl, Policy)> = Vec::new();
        for w in &workflows {
            asl::check(&w.name, &w.definition, &self.config)?;
            let env = Env {
                target: &self.config.target,
                in_stack: &in_stack,
                own: &w.name,
            };
            let asl = asl::export(&w.definition, &env);
            let policy = iam::derive(&w.name, &w.definition.to_canonical_json(), &env);
            let name = &w.name;
            files.insert(format!("{name}.asl.json"), asl.to_text(pretty));
            let document = if self.config.is_cloudformation() {
                policy.to_cloudformation()
            } else {
                policy.to_json()
            };
            files.insert(format!("{name}.iam.json"), asl::to_text(&document, pretty));
            files.insert(format!("{name}.mmd"), graph::mermaid(&w.definition));
            files.insert(format!("{name}.dot"), graph::dot(name, &w.definition));
            if let Some(s) = &w.input_schema {
                files.insert(format!("{name}.input.schema.json"), schema::to_text(s));
            }
            if let Some(s) = &w.output_schema {
                files.insert(format!("{name}.output.schema.json"), schema::to_text(s));
            }
            warnings.extend(policy.warnings.iter().map(|x| (name.clone(), x.clone())));
            exported.push((asl, policy));
        }
        let resources: Vec<cfn::Resources<'_>> = workflows
            .iter()
            .zip(&exported)
            .map(|(w, (asl, policy))| cfn::Resources {
                name: &w.name,
                asl,
                policy,
            })
            .collect();
        let template = cfn::template(&resources);
        files.insert("template.json".into(), asl::to_text(&template, true));
        files.insert("template.yaml".into(), cfn::to_yaml(&template)?);
        Ok(Output { files, warnings })
    }

    /// Writes every file into `dir` (created if needed) and returns what was written.
    pub fn write_dir(&self, dir: impl AsRef<Path>) -> Result<Output, ExportError> {
        let dir = dir.as_ref();
        let output = self.build()?;
        std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
            path: dir.to_owned(),
            source,
        })?;
        for (name, text) in &output.files {
            let path: PathBuf = dir.join(name);
            std::fs::write(&path, text).map_err(|source| ExportError::Io { path, source })?;
        }
        Ok(output)
    }
}
