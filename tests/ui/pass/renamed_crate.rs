// `sfn` reached under another name: `crate = …` on each macro.
extern crate sfn as my_sfn;

use my_sfn::prelude::*;

#[derive(Serialize, Deserialize, my_sfn::Data)]
#[sfn(crate = my_sfn)]
pub struct Greeting {
    pub comment: String,
}

#[my_sfn::task(lambda = "Echo", crate = my_sfn)]
pub async fn echo(input: Greeting) -> Result<Greeting, TaskError> {
    Ok(input)
}

#[my_sfn::workflow(name = "Renamed", crate = my_sfn)]
pub async fn renamed(input: Greeting) -> Result<Greeting, Failure> {
    let g = echo(Greeting { comment: input.comment }).await?;
    Ok(g)
}

fn main() {
    use my_sfn::StateMachine;
    let def = Renamed::definition().unwrap();
    assert_eq!(def.start_at, "Echo");
}
