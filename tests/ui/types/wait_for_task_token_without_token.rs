use sfn::prelude::*;

#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "PascalCase")]
pub struct Greeting {
    pub comment: String,
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
pub struct Reply {
    #[serde(rename = "MyKey")]
    pub my_key: String,
}

#[derive(Serialize, Deserialize, JsonSchema, sfn::Data)]
pub struct Order {
    pub id: String,
}

#[sfn::task(lambda = "SayHello")]
pub async fn say_hello(input: Greeting) -> Result<Reply, TaskError> {
    Ok(Reply { my_key: input.comment })
}

#[sfn::workflow(name = "HelloWorld")]
pub async fn hello_world(input: Greeting) -> Result<Reply, Failure> {
    say_hello(input).await
}

#[sfn::workflow]
pub async fn parent(_input: ()) -> Result<Reply, Failure> {
    start_execution::<HelloWorld>(Greeting { comment: "hi".into(), token: None })
        .wait_for_task_token::<Reply>()
        .await
}
fn main() {}
