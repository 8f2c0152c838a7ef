//! The recorded cases and running one in-process: check.py's `Case`, `load_cases`,
//! `build_argv`, `runtime_inputs_text` and `run_impl`, with what `sfn run` does with the
//! arguments check.py gives it done here by calling the runtime directly.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Map, Value};
use sfn::Definition as StateMachine;
use sfn::runtime::clock::Clock;
use sfn::runtime::driver::Tasks;
use sfn::runtime::replay::Replay;
use sfn::runtime::runtime::{Runtime, StartExecution};

use crate::pyjson::{self, short};
use crate::score::STATUSES;

/// One recorded execution (check.py's `Case`).
pub struct Case {
    /// The folder's name.
    pub id: String,
    /// The case id up to its first `.`.
    pub category: String,
    /// The case's folder, absolute and normalised as `os.path.abspath` writes it.
    pub dir: PathBuf,
    /// The case's entry in `MANIFEST.json` (`Null` when it has none).
    manifest: Value,
    /// `expected.json`.
    pub expected: Value,
}

/// check.py's `load_cases` for one folder of cases: every sub-folder holding an
/// `expected.json`, sorted by name, with its `MANIFEST.json` entry.
pub fn load_cases(dir: &Path) -> Vec<Case> {
    let dir = abspath(dir);
    let manifest: Value = std::fs::read_to_string(dir.join("MANIFEST.json"))
        .ok()
        .and_then(|t| pyjson::loads(&t))
        .unwrap_or(Value::Null);
    let mut entries: HashMap<&str, &Value> = HashMap::new();
    for entry in manifest["cases"].as_array().into_iter().flatten() {
        if let Some(id) = entry["case_id"].as_str() {
            entries.insert(id, entry);
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("expected.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|id| {
            let path = dir.join(&id);
            let text = std::fs::read_to_string(path.join("expected.json"))
                .unwrap_or_else(|e| panic!("cannot read {id}/expected.json: {e}"));
            let expected =
                pyjson::loads(&text).unwrap_or_else(|| panic!("{id}/expected.json is not JSON"));
            let manifest = entries
                .get(id.as_str())
                .map_or(Value::Null, |m| (*m).clone());
            Case {
                category: id.split('.').next().unwrap_or_default().to_owned(),
                id,
                dir: path,
                manifest,
                expected,
            }
        })
        .collect()
}

/// `os.path.abspath`: absolute, with `.` and `..` resolved lexically (symbolic links kept).
fn abspath(p: &Path) -> PathBuf {
    let joined = std::env::current_dir().unwrap_or_default().join(p);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Case {
    /// `skip_reason`: an `UNKNOWN` recorded status, a case the manifest marks `partial`, or
    /// a status that is not one of [`STATUSES`].
    pub fn skip_reason(&self) -> Option<String> {
        let status = match &self.expected["status"] {
            Value::String(s) => s.clone(),
            Value::Null => "None".to_owned(),
            other => other.to_string(),
        };
        if status.starts_with("UNKNOWN") {
            return Some(format!("recorded outcome unknown ({status})"));
        }
        if self.manifest["status"] == "partial" {
            let reason = match self.manifest["partial_reasons"].get(0) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "partial".to_owned(),
            };
            return Some(format!(
                "partial: {}",
                reason.chars().take(160).collect::<String>()
            ));
        }
        if !STATUSES.contains(&status.as_str()) {
            return Some(format!("unsupported expected status '{status}'"));
        }
        None
    }

    /// `history_scored`: the recorded history is complete.
    pub fn history_scored(&self) -> bool {
        self.expected["history_complete"] == true && self.expected.get("event_types").is_some()
    }

    /// What check.py's `build_argv` passes the runtime for this case.
    pub fn run_spec(&self) -> RunSpec {
        let rc = &self.expected["run_context"];
        let text = |k: &str| rc[k].as_str().filter(|s| !s.is_empty());
        let state_machine_name = text("state_machine_name").map_or_else(
            || {
                let arn = text("state_machine_arn").unwrap_or_default();
                let name = if arn.starts_with("arn:") {
                    arn.rsplit(':').next().unwrap_or_default()
                } else {
                    ""
                };
                if name.is_empty() {
                    "StateMachine"
                } else {
                    name
                }
                .to_owned()
            },
            str::to_owned,
        );
        let children: Value = std::fs::read_to_string(self.dir.join("children.json"))
            .ok()
            .and_then(|t| pyjson::loads(&t))
            .unwrap_or(Value::Null);
        let machines = children
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(arn, info)| {
                let file = info["definition_file"].as_str().filter(|f| !f.is_empty())?;
                Some((arn.clone(), self.dir.join(file)))
            })
            .collect();
        let stubs = self.dir.join("task_stubs.json");
        RunSpec {
            definition: self.dir.join("definition.json"),
            input: self.dir.join("input.json"),
            state_machine_name,
            execution_name: text("execution_name").unwrap_or("exec0001").to_owned(),
            account: text("account").unwrap_or("111111111111").to_owned(),
            region: text("region").unwrap_or("us-east-1").to_owned(),
            machines,
            task_stubs: stubs.is_file().then_some(stubs),
        }
    }

    /// `runtime_inputs_text`: everything the runtime is given, the arguments that are not
    /// files and then every JSON file of the case but `expected.json`, by name.
    pub fn runtime_inputs_text(&self, spec: &RunSpec) -> String {
        let mut chunks: Vec<String> = spec
            .arguments()
            .into_iter()
            .filter(|a| !Path::new(a).is_file())
            .collect();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            if name != "expected.json"
                && name.ends_with(".json")
                && let Ok(text) = std::fs::read_to_string(&file)
            {
                chunks.push(text);
            }
        }
        chunks.join("\n")
    }
}

/// The runtime's inputs for one case: the values of check.py's command line.
pub struct RunSpec {
    definition: PathBuf,
    input: PathBuf,
    state_machine_name: String,
    execution_name: String,
    account: String,
    region: String,
    /// `--machine ARN=FILE`: the child state machines of `children.json`.
    machines: Vec<(String, PathBuf)>,
    /// `--task-stubs`.
    task_stubs: Option<PathBuf>,
}

impl RunSpec {
    /// check.py's command line after the command itself.
    fn arguments(&self) -> Vec<String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut argv: Vec<String> = vec![
            "run".into(),
            path(&self.definition),
            "--input".into(),
            path(&self.input),
            "--name".into(),
            self.state_machine_name.clone(),
            "--execution-name".into(),
            self.execution_name.clone(),
            "--account".into(),
            self.account.clone(),
            "--region".into(),
            self.region.clone(),
        ];
        for (arn, file) in &self.machines {
            argv.push("--machine".into());
            argv.push(format!("{arn}={}", path(file)));
        }
        if let Some(stubs) = &self.task_stubs {
            argv.push("--task-stubs".into());
            argv.push(path(stubs));
        }
        argv.extend(["--history", "--format", "json"].map(String::from));
        argv
    }
}

/// Runs the case in-process and returns what `sfn run --format json --history` would print,
/// or why that fails the case (check.py's `run_impl` failures: the command's error, a
/// timeout, an invalid status).
///
/// The execution runs on a thread of its own, under `tokio::time::timeout(budget)`; a thread
/// that does not answer within `budget` plus a grace period (a runtime spinning without
/// yielding) is abandoned and the case fails with a timeout.
pub fn run_in_process(spec: RunSpec, budget: Duration) -> Result<Map<String, Value>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("conformance case".into())
        // The size of a main thread, where `sfn run` executes.
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(execute_spec(&spec, budget));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    match rx.recv_timeout(budget + Duration::from_secs(20)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("timeout after {}s", budget.as_secs())),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the runtime panicked".into()),
    }
}

/// What `sfn run` does with check.py's arguments, then check.py's checks of its output.
fn execute_spec(spec: &RunSpec, budget: Duration) -> Result<Map<String, Value>, String> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let mut machine = StateMachine::from_json_str(&read(&spec.definition)?).map_err(|e| {
        let first = e.diagnostics().into_iter().next();
        format!(
            "invalid definition: {}",
            first.map_or_else(String::new, |d| d.to_string())
        )
    })?;
    let input: Value = serde_json::from_str(&read(&spec.input)?)
        .map_err(|e| format!("the input is not JSON: {e}"))?;
    let mut tasks = Tasks::new();
    if let Some(path) = &spec.task_stubs {
        let value: Value = serde_json::from_str(&read(path)?)
            .map_err(|e| format!("`{}` is not JSON: {e}", path.display()))?;
        let replay = Replay::from_json(&value).map_err(|e| format!("`{}`: {e}", path.display()))?;
        replay
            .put_objects(tasks.object_store())
            .map_err(|e| e.to_string())?;
        replay.deploy_resources(&mut machine);
        tasks.fallback(replay);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let rt = Runtime::builder()
        .clock(Clock::virtual_time())
        .tasks(tasks)
        .account(&spec.account)
        .region(&spec.region)
        .build()
        .map_err(|e| e.to_string())?;
    for (arn, file) in &spec.machines {
        let child = StateMachine::from_json_str(&read(file)?)
            .map_err(|e| format!("invalid child definition `{}`: {e}", file.display()))?;
        rt.register(arn, child)
            .map_err(|e| format!("`--machine {arn}`: {e}"))?;
    }
    let arn = rt
        .register(&spec.state_machine_name, machine)
        .map_err(|e| e.to_string())?;
    let started = rt
        .start_execution(
            StartExecution::new(arn)
                .name(spec.execution_name.clone())
                .input(input),
        )
        .map_err(|e| e.to_string())?;
    let run = rt.wait(&started.execution_arn);
    // The timer needs the runtime's context: it is made inside `block_on`.
    match runtime.block_on(async { tokio::time::timeout(budget, run).await }) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("error: {e}")),
        Err(_) => return Err(format!("timeout after {}s", budget.as_secs())),
    }
    let execution = rt
        .result_json(&started.execution_arn, true)
        .map_err(|e| e.to_string())?;
    let Value::Object(result) = execution else {
        return Err("stdout JSON is not an object".into());
    };
    let status = result.get("status");
    if !status
        .and_then(Value::as_str)
        .is_some_and(|s| STATUSES.contains(&s))
    {
        return Err(format!("invalid status {}", short(status, 60)));
    }
    Ok(result)
}
