//! Typed workflows through the exporter: ASL with ARNs for a target, least-privilege IAM,
//! JSON Schemas of input and output, a bundle with a template; and the runtime refusing an
//! untyped input that does not fit the input schema.

#[allow(dead_code)]
#[path = "../examples/common/order.rs"]
mod order;

use order::{Approval, FulfilLine, OrderPipeline};
use serde_json::{Value, json};
use sfn::Runtime;
use sfn::export::{Bundle, ExportConfig, asl_json};

#[test]
fn asl_names_children_and_functions_for_the_target() {
    let aws = asl_json::<OrderPipeline>(&ExportConfig::aws("eu-west-1", "210987654321")).unwrap();
    assert!(
        aws.contains(
            r#""StateMachineArn": "arn:aws:states:eu-west-1:210987654321:stateMachine:FulfilLine""#
        ),
        "{aws}"
    );
    assert!(
        aws.contains(
            r#""FunctionName": "arn:aws:lambda:eu-west-1:210987654321:function:ValidateOrder""#
        ),
        "{aws}"
    );
    let cfn = asl_json::<OrderPipeline>(&ExportConfig::cloudformation()).unwrap();
    assert!(
        cfn.contains(r#""StateMachineArn": "${ApprovalArn}""#),
        "{cfn}"
    );
    // The same input always gives the same bytes.
    assert_eq!(
        cfn,
        asl_json::<OrderPipeline>(&ExportConfig::cloudformation()).unwrap()
    );
}

#[test]
fn a_bundle_of_typed_workflows_has_schemas_policies_and_one_template() {
    let out = Bundle::with_config(ExportConfig::cloudformation())
        .workflow::<OrderPipeline>()
        .workflow::<FulfilLine>()
        .workflow::<Approval>()
        .build()
        .unwrap();
    let file = |name: &str| -> Value {
        let text = out
            .files
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        serde_json::from_str(text).unwrap()
    };
    let input = file("OrderPipeline.input.schema.json");
    assert_eq!(input["properties"]["orderId"]["type"], "string");
    assert!(
        input["required"]
            .as_array()
            .unwrap()
            .contains(&json!("lines"))
    );
    let output = file("OrderPipeline.output.schema.json");
    assert_eq!(
        output["properties"]["reservations"]["items"]["$ref"],
        "#/$defs/ExecutionResult_for_Reservation"
    );
    let policy = file("OrderPipeline.iam.json");
    let actions: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    for action in [
        "lambda:InvokeFunction",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
        "events:PutTargets",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let template = file("template.json");
    let resources = template["Resources"].as_object().unwrap();
    for id in [
        "OrderPipelineStateMachine",
        "FulfilLineStateMachine",
        "ApprovalStateMachine",
    ] {
        assert!(resources.contains_key(id), "{id}");
    }
    assert_eq!(
        resources["OrderPipelineStateMachine"]["Properties"]["DefinitionSubstitutions"]["FulfilLineArn"],
        json!({"Ref": "FulfilLineStateMachine"})
    );
}

#[tokio::test]
async fn an_untyped_input_that_does_not_fit_the_schema_is_refused_with_its_path() {
    let rt = Runtime::builder()
        .workflow::<FulfilLine>()
        .task::<order::reserve_stock>()
        .build()
        .unwrap();
    let bad = json!({"sku": "pen", "quantity": "two", "unitPrice": 150});
    let err = match rt.start_json::<FulfilLine>(bad).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a quantity that is not a number was accepted"),
    };
    assert!(err.contains("at `/quantity`"), "{err}");
    let good = json!({"sku": "pen", "quantity": 2, "unitPrice": 150});
    let run = rt.start_json::<FulfilLine>(good).await.unwrap();
    assert_eq!(run.output().unwrap().reservation_id, "res-pen-2");
}
