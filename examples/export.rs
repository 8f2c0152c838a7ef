//! Writes the export bundles of every example workflow into a directory:
//! `cargo run --example export -- DIR`.
//!
//! - `DIR/workflows/`: the typed workflows of the order pipeline (`examples/common/order.rs`,
//!   `#[sfn::workflow]`), with the JSON Schemas of their input and output;
//! - `DIR/definitions/`: the definitions under `examples/definitions/`, each named after its
//!   file in PascalCase (`order_pipeline.asl.json` → `OrderPipeline`), which is how the
//!   hand-written order pipeline refers to its children `ShipItem` and `Approval`.
//!
//! Each directory is one bundle: ASL, IAM policies, graphs, schemas and one CloudFormation
//! template that deploys its workflows together.

#[allow(dead_code)]
#[path = "common/order.rs"]
mod order;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sfn::export::{Bundle, ExportConfig, logical_id};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: cargo run --example export -- DIR");
        return ExitCode::from(2);
    };
    let definitions = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/definitions");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&definitions) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
            .collect(),
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", definitions.display());
            return ExitCode::FAILURE;
        }
    };
    files.sort();
    let typed = Bundle::with_config(ExportConfig::cloudformation())
        .workflow::<order::OrderPipeline>()
        .workflow::<order::FulfilLine>()
        .workflow::<order::Approval>();
    if let Err(code) = write(typed, &dir.join("workflows"), 3) {
        return code;
    }
    let mut bundle = Bundle::with_config(ExportConfig::cloudformation());
    for file in &files {
        let stem = file
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".asl.json").to_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", file.display());
                return ExitCode::FAILURE;
            }
        };
        match sfn::Definition::from_json_str(&text) {
            Ok(machine) => bundle = bundle.definition(logical_id(&stem), machine),
            Err(e) => {
                eprintln!("error: `{}`: {e}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    match write(bundle, &dir.join("definitions"), files.len()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Writes one bundle of `count` workflows into `dir`, printing its warnings.
fn write(bundle: Bundle, dir: &Path, count: usize) -> Result<(), ExitCode> {
    match bundle.write_dir(dir) {
        Ok(output) => {
            for (workflow, warning) in &output.warnings {
                eprintln!("warning: {workflow}: {warning}");
            }
            println!(
                "wrote {} files for {count} workflows into {}",
                output.files.len(),
                dir.display()
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}
