//! The workflow shown in README.md compiles, runs natively and exports as shown there.
#![allow(missing_docs)]

use sfn::prelude::*;

#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "PascalCase")]
pub struct Greeting {
    pub comment: String,
}

#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
pub struct Reply {
    #[serde(rename = "MyKey")]
    pub my_key: String,
}

#[sfn::task(lambda = "SayHello")]
async fn say_hello(input: Greeting) -> Result<Reply, TaskError> {
    Ok(Reply {
        my_key: input.comment,
    })
}

#[sfn::workflow(name = "HelloWorld")]
async fn hello_world(input: Greeting) -> Result<Reply, Failure> {
    say_hello(input).await
}

#[sfn::workflow(name = "Parent")]
async fn parent(_input: ()) -> Result<ExecutionResult<Reply>, Failure> {
    start_execution::<HelloWorld>(Greeting {
        comment: "Hello world!".into(),
    })
    .name("ExecutionName")
    .sync2()
    .await
}

#[tokio::test]
async fn the_readme_workflow_runs_and_exports() -> Result<(), Box<dyn std::error::Error>> {
    let rt = sfn::Runtime::builder()
        .workflow::<Parent>()
        .workflow::<HelloWorld>()
        .task::<say_hello>()
        .build()?;
    let done: ExecutionResult<Reply> = rt.start::<Parent>(()).await?.output()?;
    assert_eq!(done.output.my_key, "Hello world!");
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(done.name, "ExecutionName");

    let asl = sfn::export::asl_json::<Parent>(&sfn::export::ExportConfig::aws(
        "us-east-1",
        "123456789012",
    ))?;
    assert!(asl.contains(r#""Resource": "arn:aws:states:::states:startExecution.sync:2""#));
    let dir = std::env::temp_dir().join(format!("sfn-readme-{}", std::process::id()));
    sfn::export::Bundle::new()
        .workflow::<Parent>()
        .workflow::<HelloWorld>()
        .write_dir(&dir)?;
    for file in [
        "Parent.asl.json",
        "HelloWorld.iam.json",
        "HelloWorld.input.schema.json",
        "template.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
