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

#[sfn::workflow(name = "Parent", timeout = "5")]
pub async fn parent(_input: ()) -> Result<(), Failure> {
    Ok(())
}
fn main() {}
