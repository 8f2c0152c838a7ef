//! Export of `sfn` state machines: everything a deploy needs.
//!
//! The second backend over the [`sfn_core`] model (the runtime is the first):
//!
//! - [`asl`]: canonical, byte-stable ASL JSON, with the ARNs of child state machines and Lambda
//!   functions written for a [`Target`]: literal ARNs of one account and Region, or
//!   CloudFormation substitutions (`${HelloWorldArn}`).
//! - [`iam`]: the least-privilege policy a workflow's role needs, derived from its states.
//! - [`cfn`]: one CloudFormation template (JSON and YAML) with a state machine and a role per
//!   workflow; children are referenced with `Ref` through `DefinitionSubstitutions`.
//! - [`graph`]: Mermaid and Graphviz DOT drawings of any definition.
//! - [`schema`]: JSON Schemas of typed workflows' input and output.
//! - [`Bundle`]: all of these for a set of workflows, written to a directory.
//!
//! ```
//! use sfn_asl_export::{ExportConfig, Workflow, definition_json};
//! let machine = sfn_core::StateMachine::from_json_str(r#"{"StartAt": "Go", "States": {"Go": {
//!     "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
//!     "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld"},
//!     "End": true}}}"#)?;
//! let text = definition_json("Parent", &machine, &ExportConfig::cloudformation())?;
//! assert!(text.contains(r#""StateMachineArn": "${HelloWorldArn}""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Typed workflows
//!
//! Everything takes plain definitions — a name and a [`sfn_core::StateMachine`] — through
//! [`Workflow`]. Typed workflows (`#[sfn::workflow]`) plug in through [`Exportable`]: once
//! `sfn_core::workflow::StateMachine` exists, one blanket implementation of [`Exportable`] for
//! it gives [`asl_json::<W>()`](asl_json) and [`Bundle::workflow::<W>()`](Bundle::workflow)
//! their name, definition (in the query language asked for) and schemas.

pub mod asl;
pub mod bundle;
pub mod cfn;
pub mod config;
pub mod graph;
pub mod iam;
mod refs;
pub mod schema;

use std::collections::BTreeSet;
use std::path::PathBuf;

pub use asl::Asl;
pub use bundle::Bundle;
pub use config::{ExportConfig, Target};
pub use iam::{Policy, Statement, Warning};
pub use refs::logical_id;
pub use sfn_core;

use sfn_core::{Diagnostic, QueryLanguage, StateMachine};

/// A workflow the exporter can take by type: its name, its definition for a configuration, and
/// the schemas of its input and output.
///
/// Every `#[sfn::workflow]` is one, through the blanket implementation for
/// [`sfn_core::workflow::StateMachine`].
pub trait Exportable {
    /// The state machine's name.
    const NAME: &'static str;
    /// The definition (its references are then written for the configuration's target).
    fn definition(config: &ExportConfig) -> Result<StateMachine, ExportError>;
    /// The JSON Schema of the input, when the input is typed.
    fn input_schema() -> Option<schemars::Schema> {
        None
    }
    /// The JSON Schema of the output, when the output is typed.
    fn output_schema() -> Option<schemars::Schema> {
        None
    }
}

/// A workflow to export: a name and a definition, with the schemas of its input and output
/// when it is typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// The state machine's name (1–80 characters; its CloudFormation ids derive from it).
    pub name: String,
    /// The definition.
    pub definition: StateMachine,
    /// The JSON Schema of the input.
    pub input_schema: Option<schemars::Schema>,
    /// The JSON Schema of the output.
    pub output_schema: Option<schemars::Schema>,
}

impl Workflow {
    /// A plain definition under a name.
    pub fn new(name: impl Into<String>, definition: StateMachine) -> Self {
        Workflow {
            name: name.into(),
            definition,
            input_schema: None,
            output_schema: None,
        }
    }

    /// A typed workflow, its definition built for `config`.
    pub fn of<W: Exportable>(config: &ExportConfig) -> Result<Self, ExportError> {
        Ok(Workflow {
            name: W::NAME.to_owned(),
            definition: W::definition(config)?,
            input_schema: W::input_schema(),
            output_schema: W::output_schema(),
        })
    }

    /// Gives the input's schema.
    pub fn input_schema(mut self, schema: schemars::Schema) -> Self {
        self.input_schema = Some(schema);
        self
    }

    /// Gives the output's schema.
    pub fn output_schema(mut self, schema: schemars::Schema) -> Self {
        self.output_schema = Some(schema);
        self
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The definition has errors AWS would refuse; each diagnostic names its state and JSON
    /// pointer.
    #[error("`{workflow}` is not a valid definition:\n{}", list(.diagnostics))]
    Invalid {
        /// The workflow.
        workflow: String,
        /// Its errors.
        diagnostics: Vec<Diagnostic>,
    },
    /// A typed workflow's definition could not be built.
    #[error("the definition of `{workflow}` cannot be built: {message}")]
    Build {
        /// The workflow.
        workflow: String,
        /// Why.
        message: String,
    },
    /// A plain definition cannot be exported in another query language.
    #[error(
        "`{workflow}` is written in {} and cannot be exported as {}: plain definitions export in the query language they are written in; leave the query language unset or convert the definition",
        .written.as_str(), .asked.as_str()
    )]
    QueryLanguage {
        /// The workflow.
        workflow: String,
        /// Its language.
        written: QueryLanguage,
        /// The language asked for.
        asked: QueryLanguage,
    },
    /// A workflow name that cannot be deployed.
    #[error("invalid workflow name `{name}`: {reason}")]
    Name {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two workflows of a bundle would get the same file or CloudFormation resource.
    #[error("workflows `{first}` and `{second}` both map to `{id}`; rename one of them")]
    Clash {
        /// One workflow.
        first: String,
        /// The other.
        second: String,
        /// What they share (a file name or a logical id).
        id: String,
    },
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The YAML writer failed.
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let state = d
                .state
                .as_deref()
                .map(|s| format!(" (state `{s}`)"))
                .unwrap_or_default();
            format!("  {}{state} at `{}`: {}", d.code, d.pointer, d.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn no_stack() -> &'static BTreeSet<String> {
    static EMPTY: BTreeSet<String> = BTreeSet::new();
    &EMPTY
}

/// The exported definition of `machine` named `name`, and the substitutions it uses.
pub fn definition_asl(
    name: &str,
    machine: &StateMachine,
    config: &ExportConfig,
) -> Result<Asl, ExportError> {
    asl::check(name, machine, config)?;
    let env = refs::Env {
        target: &config.target,
        in_stack: no_stack(),
        own: name,
    };
    Ok(asl::export(machine, &env))
}

/// The exported ASL JSON text of a plain definition: canonical key order, pretty unless the
/// configuration says compact, a final newline; the same input always gives the same bytes.
pub fn definition_json(
    name: &str,
    machine: &StateMachine,
    config: &ExportConfig,
) -> Result<String, ExportError> {
    Ok(definition_asl(name, machine, config)?.to_text(config.pretty))
}

/// The exported ASL JSON text of a typed workflow (see [`definition_json`]).
pub fn asl_json<W: Exportable>(config: &ExportConfig) -> Result<String, ExportError> {
    definition_json(W::NAME, &W::definition(config)?, config)
}

impl<W: sfn_core::workflow::StateMachine> Exportable for W {
    const NAME: &'static str = W::NAME;

    /// The workflow's definition with its default references; the export writes them for
    /// the configuration's target (literal ARNs or CloudFormation substitutions).
    fn definition(_config: &ExportConfig) -> Result<StateMachine, ExportError> {
        W::definition().map_err(|e| ExportError::Build {
            workflow: W::NAME.to_owned(),
            message: e.to_string(),
        })
    }

    fn input_schema() -> Option<schemars::Schema> {
        W::input_schema().and_then(|v| schemars::Schema::try_from(v).ok())
    }

    fn output_schema() -> Option<schemars::Schema> {
        W::output_schema().and_then(|v| schemars::Schema::try_from(v).ok())
    }
}

/// The IAM policy the role of the workflow `name` needs.
pub fn iam_policy(
    name: &str,
    machine: &StateMachine,
    config: &ExportConfig,
) -> Result<Policy, ExportError> {
    asl::check(name, machine, config)?;
    let env = refs::Env {
        target: &config.target,
        in_stack: no_stack(),
        own: name,
    };
    Ok(iam::derive(name, &machine.to_canonical_json(), &env))
}

/// Checks a state machine name as AWS does: 1–80 characters, none of whitespace,
/// `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /` or control characters.
pub fn check_name(name: &str) -> Result<(), ExportError> {
    let bad = |reason: &str| {
        Err(ExportError::Name {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    let count = name.chars().count();
    if count == 0 || count > 80 {
        return bad("a state machine name has 1 to 80 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c))
    {
        return bad(&format!(
            "`{}` is not allowed in a state machine name",
            c.escape_default()
        ));
    }
    Ok(())
}
