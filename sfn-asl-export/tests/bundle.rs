//! Bundles of the example workflows: the template, the files, the graphs, and bad input.

use std::path::Path;

use serde_json::{Value, json};
use sfn_asl_export::{
    Bundle, ExportConfig, ExportError, Workflow, definition_json, graph, logical_id,
};
use sfn_core::{QueryLanguage, StateMachine};

fn examples() -> Bundle {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/definitions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    let mut bundle = Bundle::new();
    for f in files {
        let stem = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".asl.json", "");
        let machine = StateMachine::from_json_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        bundle = bundle.definition(logical_id(&stem), machine);
    }
    bundle
}

#[test]
fn the_template_has_every_workflow_role_and_substitution() {
    let out = examples().build().unwrap();
    let template: Value = serde_json::from_str(&out.files["template.json"]).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    for name in [
        "Approval",
        "NightlyBatch",
        "NotifyJsonata",
        "OrderPipeline",
        "ShipItem",
    ] {
        let machine = &resources[&format!("{name}StateMachine")];
        assert_eq!(machine["Type"], "AWS::StepFunctions::StateMachine");
        assert_eq!(machine["Properties"]["StateMachineName"], name);
        assert_eq!(
            machine["Properties"]["RoleArn"],
            json!({"Fn::GetAtt": [format!("{name}Role"), "Arn"]})
        );
        let role = &resources[&format!("{name}Role")];
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"Service": "states.amazonaws.com"})
        );
        for file in ["asl.json", "iam.json", "mmd", "dot"] {
            assert!(
                out.files.contains_key(&format!("{name}.{file}")),
                "{name}.{file}"
            );
        }
        // The policy in the template is the one in `<Name>.iam.json`.
        let policy: Value = serde_json::from_str(&out.files[&format!("{name}.iam.json")]).unwrap();
        assert_eq!(role["Properties"]["Policies"][0]["PolicyDocument"], policy);
        // The definition in the template is the one in `<Name>.asl.json`.
        let asl: Value = serde_json::from_str(&out.files[&format!("{name}.asl.json")]).unwrap();
        assert_eq!(machine["Properties"]["Definition"], asl);
    }
    let order = &resources["OrderPipelineStateMachine"]["Properties"];
    assert_eq!(
        order["DefinitionSubstitutions"],
        json!({
            "ApprovalArn": {"Ref": "ApprovalStateMachine"},
            "ChargeCardFunctionArn": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ChargeCard"},
            "RefundFunctionArn": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:Refund"},
            "ShipItemArn": {"Ref": "ShipItemStateMachine"},
            "ValidateOrderFunctionArn": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ValidateOrder"}
        })
    );
    let statements =
        &resources["OrderPipelineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    assert!(statements.as_array().unwrap().contains(&json!({
        "Effect": "Allow", "Action": ["states:StartExecution"],
        "Resource": [{"Ref": "ShipItemStateMachine"}, {"Ref": "ApprovalStateMachine"}]
    })));
    assert!(statements.as_array().unwrap().contains(&json!({
        "Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${ShipItemStateMachine.Name}:*"}]
    })));
    // The YAML is the same document.
    let yaml: Value = serde_yaml_ng::from_str(&out.files["template.yaml"]).unwrap();
    assert_eq!(yaml, template);
}

#[test]
fn bundles_are_byte_stable() {
    assert_eq!(examples().build().unwrap(), examples().build().unwrap());
}

#[test]
fn literal_arns_for_an_account() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/definitions/order_pipeline.asl.json"),
    )
    .unwrap();
    let m = StateMachine::from_json_str(&text).unwrap();
    let out = definition_json(
        "OrderPipeline",
        &m,
        &ExportConfig::aws("eu-west-1", "999999999999"),
    )
    .unwrap();
    assert!(out.contains("\"arn:aws:states:eu-west-1:999999999999:stateMachine:ShipItem\""));
    assert!(out.contains("\"arn:aws:lambda:eu-west-1:999999999999:function:ChargeCard\""));
    assert!(!out.contains("${"));
}

#[test]
fn graphs_draw_every_example() {
    let out = examples().build().unwrap();
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    for (name, text) in &out.files {
        if name.ends_with(".mmd") {
            assert!(text.starts_with("flowchart TD\n"), "{name}");
        }
        if name.ends_with(".dot") {
            assert!(text.starts_with("digraph "), "{name}");
            if has_dot {
                let svg = graph::render(text, graph::ImageFormat::Svg).unwrap();
                assert!(String::from_utf8_lossy(&svg).contains("<svg"), "{name}");
            }
        }
    }
    let order = &out.files["OrderPipeline.mmd"];
    assert!(order.contains("subgraph"), "{order}");
    assert!(order.contains(r#"-.->|"catch States.ALL"|"#), "{order}");
    assert!(
        order.contains(r#"-.->|"starts"| child_ShipItem"#),
        "{order}"
    );
    assert!(order.contains(r#"-->|"default"|"#), "{order}");
    let dot = &out.files["OrderPipeline.dot"];
    assert!(dot.contains("subgraph cluster_"), "{dot}");
    assert!(dot.contains("style=dashed"), "{dot}");
    assert!(dot.contains("href=\"ShipItem.svg\""), "{dot}");
    if !has_dot {
        eprintln!("skipped rendering: Graphviz's `dot` is not installed");
    }
}

#[test]
fn bad_input_is_an_error_with_state_and_pointer() {
    let m = StateMachine::from_json_str(
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}"#,
    )
    .unwrap();
    let err = Bundle::new()
        .definition("Broken", m.clone())
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ExportError::Invalid { .. }));
    assert!(
        text.contains("`Broken`") && text.contains("state `A`") && text.contains("/States/A/Next"),
        "{text}"
    );

    let ok = StateMachine::from_json_str(
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
    )
    .unwrap();
    let err = Bundle::new()
        .definition("a b", ok.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    let err = Bundle::new()
        .definition("ship-item", ok.clone())
        .definition("ShipItem", ok.clone())
        .build()
        .unwrap_err();
    assert!(matches!(err, ExportError::Clash { .. }), "{err}");
    let err = definition_json(
        "A",
        &ok,
        &ExportConfig::aws("us-east-1", "1").query_language(QueryLanguage::JsonAta),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("JSONPath") && err.to_string().contains("JSONata"),
        "{err}"
    );
}

#[test]
fn schemas_are_written_beside_the_definition() {
    let ok = StateMachine::from_json_str(
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
    )
    .unwrap();
    let input = schemars::json_schema!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}});
    let out = Bundle::new()
        .with_workflow(Workflow::new("Typed", ok).input_schema(input.clone()))
        .build()
        .unwrap();
    let written: Value = serde_json::from_str(&out.files["Typed.input.schema.json"]).unwrap();
    assert_eq!(&written, input.as_value());
    assert!(!out.files.contains_key("Typed.output.schema.json"));
}
