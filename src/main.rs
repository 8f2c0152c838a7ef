//! The `sfn` command-line tool.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;
use sfn::core::{Diagnostic, Severity, StateMachine, json, validate};
use sfn::runtime::clock::Clock;
use sfn::runtime::driver::Tasks;
use sfn::runtime::history::EventKind;
use sfn::runtime::mock::Mocks;
use sfn::runtime::objects::Objects;
use sfn::runtime::replay::Replay;
use sfn::runtime::run::ExecutionSpec;
use sfn::runtime::runtime::{Runtime, StartExecution};

/// AWS Step Functions workflows: validate, format and run Amazon States Language definitions.
#[derive(Debug, Parser)]
#[command(name = "sfn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check definitions the way AWS does before it accepts them.
    ///
    /// Prints every problem with its file, line, state, JSON pointer and AWS's diagnostic code.
    /// Exits with 1 when any definition has an error (warnings alone exit with 0).
    Validate {
        /// Definition files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a definition as JSON, keeping the key order it was written in.
    Fmt {
        /// The definition file (JSON).
        file: PathBuf,
        /// Write keys in canonical order (top level `Comment`, `StartAt`, `States`, …; in a
        /// state `Type` first, then the order of AWS's documentation).
        #[arg(long)]
        canonical: bool,
    },
    /// Run a definition natively and print how the execution ended.
    ///
    /// Exits with 0 whatever the execution's status; non-zero only when the command itself
    /// could not run (unreadable files, an invalid definition).
    Run(Box<RunArgs>),
    /// Export definitions for a deploy: ASL, IAM policies, a CloudFormation template, graphs.
    ///
    /// Writes `<Name>.asl.json`, `<Name>.iam.json`, `<Name>.mmd` and `<Name>.dot` for each
    /// definition, and `template.json` / `template.yaml` for all of them. A definition is named
    /// after its file (`order.asl.json` → `order`) unless given as `Name=FILE`. Child state
    /// machines and Lambda functions become CloudFormation substitutions (the default, `--cfn`)
    /// or literal ARNs of `--region` and `--account`.
    Export(ExportArgs),
    /// Draw a definition: Mermaid, Graphviz DOT, or an SVG/PNG image rendered by Graphviz.
    Graph {
        /// The definition file (JSON).
        file: PathBuf,
        /// The drawing's format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Where to write it (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// Definition files (JSON), each `FILE` or `Name=FILE`.
    #[arg(required = true, value_name = "[NAME=]FILE")]
    files: Vec<String>,
    /// The directory to write into (created if needed).
    #[arg(long)]
    out: PathBuf,
    /// Literal ARNs in this Region (with `--account`).
    #[arg(long, requires = "account", conflicts_with = "cfn")]
    region: Option<String>,
    /// Literal ARNs in this account (with `--region`).
    #[arg(long, requires = "region", conflicts_with = "cfn")]
    account: Option<String>,
    /// CloudFormation substitutions (`${ChildArn}`), resolved by the template (the default).
    #[arg(long)]
    cfn: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// An SVG image (needs Graphviz's `dot`).
    Svg,
    /// A PNG image (needs Graphviz's `dot`).
    Png,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The definition file (JSON).
    definition: PathBuf,
    /// The execution's input (a JSON file; `{}` when not given).
    #[arg(long)]
    input: Option<PathBuf>,
    /// The JSON Schema the input must fit (a typed workflow's `<Name>.input.schema.json`); an
    /// input that does not fit is refused with the path of each offending field.
    #[arg(long, value_name = "FILE")]
    input_schema: Option<PathBuf>,
    /// The state machine's name (default: the definition file's name).
    #[arg(long = "name")]
    name: Option<String>,
    /// The execution's name (default: a random UUID, as AWS does).
    #[arg(long)]
    execution_name: Option<String>,
    /// The AWS account in ARNs.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// The Region in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// A child state machine: `ARN=FILE` (repeatable).
    #[arg(long = "machine", value_name = "ARN=FILE")]
    machines: Vec<String>,
    /// Recorded task results to replay (`task_stubs.json`), or the S3 objects a recorded
    /// execution read (`{"s3_objects_put_by_test": [...]}`).
    #[arg(long)]
    task_stubs: Option<PathBuf>,
    /// A directory holding the S3 objects distributed Maps read (`ItemReader`) and write
    /// (`ResultWriter`): `DIR/<bucket>/<key>`. Without it they are kept in memory.
    #[arg(long, value_name = "DIR")]
    objects: Option<PathBuf>,
    /// A Step Functions Local mock configuration file.
    #[arg(long, requires = "test_case")]
    mock_config: Option<PathBuf>,
    /// The test case of the mock configuration to use.
    #[arg(long, requires = "mock_config")]
    test_case: Option<String>,
    /// Include the execution history.
    #[arg(long)]
    history: bool,
    /// `json` prints one JSON object; `text` is for people.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    format: RunFormat,
    /// Wait in real time instead of finishing waits and timeouts at once.
    #[arg(long)]
    real_time: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RunFormat {
    /// Status, output and a trace of the states, for people.
    Text,
    /// `{"status", "output" | "error", "cause", "history"}`.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// For people, like a compiler's messages.
    Text,
    /// One JSON object per file: `{"file", "valid", "diagnostics": [...]}`.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { files, format } => validate_files(&files, format),
        Command::Fmt { file, canonical } => fmt(&file, canonical),
        Command::Run(args) => run(*args),
        Command::Export(args) => export(args),
        Command::Graph {
            file,
            format,
            output,
        } => graph(&file, format, output.as_deref()),
    }
}

fn read(path: &Path) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        ExitCode::from(2)
    })
}

fn validate_files(files: &[PathBuf], format: Format) -> ExitCode {
    let mut failed = false;
    let mut errors = 0;
    let mut warnings = 0;
    let mut stdout = std::io::stdout().lock();
    for path in files {
        let text = match read(path) {
            Ok(t) => t,
            Err(code) => return code,
        };
        let (_, diagnostics) = validate::validate_text(&text);
        let file_errors = diagnostics.iter().filter(|d| d.is_error()).count();
        errors += file_errors;
        warnings += diagnostics.len() - file_errors;
        failed |= file_errors > 0;
        let _ = match format {
            Format::Text => {
                for d in &diagnostics {
                    let _ = write!(stdout, "{}", render(path, &text, d));
                }
                Ok(())
            }
            Format::Json => writeln!(stdout, "{}", as_json(path, &text, &diagnostics)),
        };
    }
    if let Format::Text = format {
        let summary = match (errors, warnings) {
            (0, 0) => format!("{} valid", plural(files.len(), "definition")),
            _ => format!(
                "{} checked: {}, {}",
                plural(files.len(), "definition"),
                plural(errors, "error"),
                plural(warnings, "warning")
            ),
        };
        let _ = writeln!(stdout, "{summary}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Where a diagnostic is in the file: the syntax error's own position, or its pointer's.
fn position(text: &str, d: &Diagnostic) -> Option<(usize, usize)> {
    if let Some(e) = json::parse(text).err() {
        return Some((e.line, e.column));
    }
    json::locate(text, &d.pointer)
}

fn render(path: &Path, text: &str, d: &Diagnostic) -> String {
    let mut out = format!("{}[{}]: {}\n", d.severity, d.code, d.message);
    match position(text, d) {
        Some((line, column)) => {
            out.push_str(&format!("  --> {}:{line}:{column}\n", path.display()))
        }
        None => out.push_str(&format!("  --> {}\n", path.display())),
    }
    if let Some(state) = &d.state {
        out.push_str(&format!("   = state: {state}\n"));
    }
    if !d.pointer.is_empty() {
        out.push_str(&format!("   = at: {}\n", d.pointer));
    }
    out.push('\n');
    out
}

fn as_json(path: &Path, text: &str, diagnostics: &[Diagnostic]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let (line, column) = position(text, d).unzip();
            serde_json::json!({
                "severity": d.severity.as_str(),
                "code": d.code.as_str(),
                "message": d.message,
                "state": d.state,
                "location": d.pointer,
                "line": line,
                "column": column,
            })
        })
        .collect();
    serde_json::json!({
        "file": path.display().to_string(),
        "valid": !diagnostics.iter().any(|d| d.severity == Severity::Error),
        "diagnostics": items,
    })
}

fn fmt(path: &Path, canonical: bool) -> ExitCode {
    let text = match read(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match StateMachine::from_json_str(&text) {
        Ok(machine) => {
            let value = if canonical {
                machine.to_canonical_json()
            } else {
                machine.to_json()
            };
            let pretty =
                serde_json::to_string_pretty(&value).expect("a JSON value always serialises");
            println!("{pretty}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            for d in e.diagnostics() {
                let _ = write!(stderr, "{}", render(path, &text, &d));
            }
            ExitCode::FAILURE
        }
    }
}

/// Reads and parses a definition, printing its diagnostics when it cannot be read.
fn read_definition(path: &Path) -> Result<StateMachine, ExitCode> {
    let text = read(path)?;
    StateMachine::from_json_str(&text).map_err(|e| {
        let mut stderr = std::io::stderr().lock();
        for d in e.diagnostics() {
            let _ = write!(stderr, "{}", render(path, &text, &d));
        }
        ExitCode::FAILURE
    })
}

/// A definition's default name: its file name without `.asl.json` / `.json`.
fn definition_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file
        .strip_suffix(".json")
        .unwrap_or(&file)
        .trim_end_matches(".asl");
    stem.to_owned()
}

fn export(args: ExportArgs) -> ExitCode {
    use sfn::export::{Bundle, ExportConfig};
    let config = match (&args.region, &args.account) {
        (Some(region), Some(account)) => ExportConfig::aws(region, account),
        _ => ExportConfig::cloudformation(),
    };
    let mut bundle = Bundle::with_config(config);
    for arg in &args.files {
        let (name, path) = match arg.split_once('=') {
            Some((name, file)) => (name.to_owned(), PathBuf::from(file)),
            None => (definition_name(Path::new(arg)), PathBuf::from(arg)),
        };
        match read_definition(&path) {
            Ok(machine) => bundle = bundle.definition(name, machine),
            Err(code) => return code,
        }
    }
    match bundle.write_dir(&args.out) {
        Ok(output) => {
            for (workflow, warning) in &output.warnings {
                eprintln!("warning: {workflow}: {warning}");
            }
            println!(
                "wrote {} to {}",
                plural(output.files.len(), "file"),
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn graph(path: &Path, format: GraphFormat, output: Option<&Path>) -> ExitCode {
    use sfn::export::graph::{self, ImageFormat};
    let machine = match read_definition(path) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let name = definition_name(path);
    let bytes = match format {
        GraphFormat::Mermaid => graph::mermaid(&machine).into_bytes(),
        GraphFormat::Dot => graph::dot(&name, &machine).into_bytes(),
        GraphFormat::Svg | GraphFormat::Png => {
            let image = if let GraphFormat::Svg = format {
                ImageFormat::Svg
            } else {
                ImageFormat::Png
            };
            match graph::render(&graph::dot(&name, &machine), image) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let written = match output {
        Some(file) => std::fs::write(file, &bytes).map_err(|e| (file.display().to_string(), e)),
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| ("standard output".to_owned(), e)),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err((to, e)) => {
            eprintln!("error: cannot write to {to}: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: RunArgs) -> ExitCode {
    let text = match read(&args.definition) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut machine = match StateMachine::from_json_str(&text) {
        Ok(m) => m,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            for d in e.diagnostics() {
                let _ = write!(stderr, "{}", render(&args.definition, &text, &d));
            }
            return ExitCode::FAILURE;
        }
    };
    let input = match &args.input {
        None => Value::Object(serde_json::Map::new()),
        Some(path) => {
            let text = match read(path) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("error: the input `{}` is not JSON: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    if let Some(path) = &args.input_schema {
        let schema: Value = match read(path).map(|t| serde_json::from_str(&t)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                eprintln!("error: the schema `{}` is not JSON: {e}", path.display());
                return ExitCode::FAILURE;
            }
            Err(code) => return code,
        };
        if let Err(errors) = sfn::runtime::schema::check(&schema, &input) {
            eprintln!(
                "error: the input does not fit the schema `{}`:",
                path.display()
            );
            for e in errors {
                eprintln!("  {e}");
            }
            return ExitCode::FAILURE;
        }
    }
    let spec = ExecutionSpec {
        state_machine_name: args.name.clone().unwrap_or_else(|| {
            let stem = args
                .definition
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            stem.unwrap_or_else(|| "StateMachine".into())
                .trim_end_matches(".asl")
                .to_owned()
        }),
        execution_name: args
            .execution_name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        account: args.account.clone(),
        region: args.region.clone(),
        input,
    };
    let clock = if args.real_time {
        Clock::Real
    } else {
        Clock::virtual_time()
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let mut tasks = Tasks::new();
    let objects = args
        .objects
        .as_ref()
        .map_or_else(Objects::new, Objects::with_root);
    tasks.objects(objects.clone());
    if let Some(path) = &args.task_stubs {
        let replay = read(path).and_then(|text| {
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                eprintln!("error: `{}` is not JSON: {e}", path.display());
                ExitCode::FAILURE
            })?;
            let replay = Replay::from_json(&value).map_err(|e| {
                eprintln!("error: `{}`: {e}", path.display());
                ExitCode::FAILURE
            })?;
            replay.put_objects(&objects).map_err(|e| {
                eprintln!("error: `{}`: cannot store its objects: {e}", path.display());
                ExitCode::FAILURE
            })?;
            Ok(replay)
        });
        match replay {
            Ok(replay) => {
                replay.deploy_resources(&mut machine);
                tasks.fallback(replay)
            }
            Err(code) => return code,
        };
    }
    let mock_machine = spec.state_machine_name.clone();
    if let (Some(path), Some(case)) = (&args.mock_config, &args.test_case) {
        let mocks = read(path).and_then(|text| {
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                eprintln!("error: `{}` is not JSON: {e}", path.display());
                ExitCode::FAILURE
            })?;
            Mocks::from_config(&value, &mock_machine, case).map_err(|e| {
                eprintln!("error: `{}`: {e}", path.display());
                ExitCode::FAILURE
            })
        });
        match mocks {
            Ok(mocks) => {
                tasks.fallback(mocks);
            }
            Err(code) => return code,
        }
    }
    let mut children = Vec::new();
    for arg in &args.machines {
        match child_machine(arg) {
            Ok(child) => children.push(child),
            Err(code) => return code,
        }
    }
    let rt = match Runtime::builder()
        .clock(clock)
        .tasks(tasks)
        .account(&spec.account)
        .region(&spec.region)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (arn, machine) in children {
        if let Err(e) = rt.register(&arn, machine) {
            eprintln!("error: `--machine {arn}=…`: {e}");
            return ExitCode::FAILURE;
        }
    }
    let arn = match rt.register(&spec.state_machine_name, machine) {
        Ok(arn) => arn,
        Err(e) => {
            eprintln!("error: `--name {}`: {e}", spec.state_machine_name);
            return ExitCode::FAILURE;
        }
    };
    let started = rt.start_execution(
        StartExecution::new(arn)
            .name(spec.execution_name)
            .input(spec.input),
    );
    let started = match started {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: `--execution-name`: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rt.wait(&started.execution_arn)) {
        Ok(_) => {
            let shown = rt.with_execution(&started.execution_arn, |execution| match args.format {
                RunFormat::Json => format!("{}\n", execution.result_json(args.history)),
                RunFormat::Text => trace(execution, args.history),
            });
            print!("{}", shown.unwrap_or_default());
            if let RunFormat::Text = args.format
                && !rt
                    .children(&started.execution_arn)
                    .unwrap_or_default()
                    .is_empty()
            {
                println!("executions:");
                print!(
                    "{}",
                    rt.execution_tree(&started.execution_arn)
                        .unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--machine ARN=FILE`: a child state machine.
fn child_machine(arg: &str) -> Result<(String, StateMachine), ExitCode> {
    let Some((arn, file)) = arg.split_once('=') else {
        eprintln!(
            "error: `--machine {arg}`: give the child state machine as ARN=FILE, e.g. `--machine arn:aws:states:us-east-1:123456789012:stateMachine:Child=child.asl.json`"
        );
        return Err(ExitCode::from(2));
    };
    let path = Path::new(file);
    let text = read(path)?;
    match StateMachine::from_json_str(&text) {
        Ok(m) => Ok((arn.to_owned(), m)),
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            for d in e.diagnostics() {
                let _ = write!(stderr, "{}", render(path, &text, &d));
            }
            Err(ExitCode::FAILURE)
        }
    }
}

/// The text form of a finished execution: a trace of its states, then its status and result.
fn trace(execution: &sfn::runtime::interp::Execution, with_history: bool) -> String {
    let mut out = String::new();
    for event in execution.history() {
        match &event.kind {
            EventKind::StateEntered {
                state_type, name, ..
            } => {
                out.push_str(&format!("  -> {name} ({state_type})\n"));
            }
            EventKind::TaskFailed { error, cause, .. } => {
                out.push_str(&format!(
                    "     task failed: {} {}\n",
                    error.as_deref().unwrap_or(""),
                    cause.as_deref().unwrap_or("")
                ));
            }
            _ => {}
        }
    }
    let result = execution.result_json(false);
    out.push_str(&format!(
        "status: {}\n",
        result["status"].as_str().unwrap_or_default()
    ));
    if let Some(output) = result.get("output") {
        let pretty = serde_json::to_string_pretty(output).unwrap_or_default();
        out.push_str(&format!("output: {pretty}\n"));
    }
    for key in ["error", "cause"] {
        if let Some(v) = result.get(key).and_then(Value::as_str) {
            out.push_str(&format!("{key}: {v}\n"));
        }
    }
    if with_history {
        for event in execution.history() {
            out.push_str(&format!("{}\n", event.to_json()));
        }
    }
    out
}
