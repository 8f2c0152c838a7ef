//! The five Task states of AWS's page "Manage AWS Step Functions Executions as an Integrated
//! Service", each written as a small workflow.
//!
//! `cargo run --example seed_examples -- DIR` writes `DIR/<name>.asl.json` for `sync2`, `sync`,
//! `request_response`, `wait_for_task_token` and `sync_associate`.

use sfn::prelude::*;

/// The child's input: `{"Comment": …}`, with the task token when the parent waits for one.
#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
pub struct Greeting {
    /// A comment.
    #[serde(rename = "Comment")]
    pub comment: String,
    /// The parent's task token, for `.wait_for_task_token()`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub token: Option<String>,
}

/// The child's output.
#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
pub struct Reply {
    /// A value.
    #[serde(rename = "MyKey")]
    pub my_key: String,
}

/// The child: answers a greeting.
#[sfn::workflow(name = "HelloWorld")]
pub async fn hello_world(_input: Greeting) -> Result<Reply, Failure> {
    Ok(Reply {
        my_key: "MyValue".into(),
    })
}

/// `.sync:2`: waits for the child, output as JSON.
#[sfn::workflow(name = "Sync2")]
pub async fn sync2(_input: ()) -> Result<ExecutionResult<Reply>, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
        token: None,
    })
    .name("ExecutionName")
    .sync2()
    .await
}

/// `.sync`: waits for the child, output as a JSON string.
#[sfn::workflow(name = "Sync")]
pub async fn sync(_input: ()) -> Result<ExecutionResult<String>, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
        token: None,
    })
    .name("ExecutionName")
    .sync()
    .await
}

/// Request-response: starts the child and goes on.
#[sfn::workflow(name = "RequestResponse")]
pub async fn request_response(_input: ()) -> Result<StartedExecution, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
        token: None,
    })
    .name("ExecutionName")
    .start()
    .await
}

/// Callback: the child (or anyone) returns the token.
#[sfn::workflow(name = "WaitForTaskToken")]
pub async fn wait_for_task_token(_input: ()) -> Result<Reply, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
        token: Some(task_token()),
    })
    .name("ExecutionName")
    .wait_for_task_token::<Reply>()
    .await
}

/// `.sync`, associated with the parent execution.
#[sfn::workflow(name = "SyncAssociate")]
pub async fn sync_associate(_input: ()) -> Result<ExecutionResult<String>, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
        token: None,
    })
    .name("ExecutionName")
    .associate_with_parent()
    .sync()
    .await
}

/// Writes each seed example into `dir` as a one-state definition `<name>.asl.json` (canonical
/// key order), returning the paths written.
pub fn write_all(
    dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let all = [
        ("sync2", Sync2::definition()?),
        ("sync", Sync::definition()?),
        ("request_response", RequestResponse::definition()?),
        ("wait_for_task_token", WaitForTaskToken::definition()?),
        ("sync_associate", SyncAssociate::definition()?),
    ];
    let mut written = Vec::new();
    for (name, definition) in all {
        let path = dir.join(format!("{name}.asl.json"));
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&definition.to_canonical_json())? + "\n",
        )?;
        written.push(path);
    }
    Ok(written)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: seed_examples DIR")?;
    for path in write_all(std::path::Path::new(&dir))? {
        println!("{}", path.display());
    }
    Ok(())
}
