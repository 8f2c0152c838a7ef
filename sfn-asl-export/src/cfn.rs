//! One CloudFormation template for a set of workflows: per workflow an
//! `AWS::StepFunctions::StateMachine` and the `AWS::IAM::Role` it runs as.
//!
//! A child that deploys in the same template is referred to with `Ref` through the parent's
//! `DefinitionSubstitutions` (so CloudFormation creates it first) and with `${Child}` /
//! `${Child.Name}` in the parent's policy. Everything else — Lambda functions, children
//! deployed elsewhere — is an ARN in the stack's own partition, Region and account
//! (`Fn::Sub` over `AWS::Partition`, `AWS::Region`, `AWS::AccountId`).

use serde_json::{Map, Value, json};

use crate::ExportError;
use crate::asl::{Asl, Substitution};
use crate::iam::Policy;
use crate::refs;

/// One workflow as the template holds it.
#[derive(Debug, Clone)]
pub struct Resources<'a> {
    /// The state machine's name.
    pub name: &'a str,
    /// Its exported definition.
    pub asl: &'a Asl,
    /// Its role's policy.
    pub policy: &'a Policy,
}

/// The template, as JSON. Resources come in the order of the workflows, each role before its
/// state machine; the same workflows always give the same template.
pub fn template(workflows: &[Resources<'_>]) -> Value {
    let in_stack: std::collections::BTreeSet<&str> = workflows.iter().map(|w| w.name).collect();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for w in workflows {
        let role = refs::role_id(w.name);
        let machine = refs::state_machine_id(w.name);
        let mut role_properties = Map::new();
        role_properties.insert(
            "AssumeRolePolicyDocument".into(),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "states.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    // The confused-deputy guard AWS recommends for service roles.
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
                }]
            }),
        );
        role_properties.insert(
            "Policies".into(),
            json!([{
                "PolicyName": format!("{}Policy", refs::logical_id(w.name)),
                "PolicyDocument": w.policy.to_cloudformation(),
            }]),
        );
        resources.insert(
            role.clone(),
            json!({ "Type": "AWS::IAM::Role", "Properties": role_properties }),
        );

        let mut properties = Map::new();
        properties.insert("StateMachineName".into(), json!(w.name));
        properties.insert("RoleArn".into(), json!({ "Fn::GetAtt": [role, "Arn"] }));
        properties.insert("Definition".into(), w.asl.value.clone());
        if !w.asl.substitutions.is_empty() {
            let substitutions: Map<String, Value> = w
                .asl
                .substitutions
                .iter()
                .map(|(key, what)| {
                    let value = match what {
                        Substitution::StateMachine(child)
                            if child != w.name && in_stack.contains(child.as_str()) =>
                        {
                            json!({ "Ref": refs::state_machine_id(child) })
                        }
                        Substitution::StateMachine(child) => json!({ "Fn::Sub": format!(
                            "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{child}"
                        ) }),
                        Substitution::Function(function) => json!({ "Fn::Sub": format!(
                            "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function}"
                        ) }),
                    };
                    (key.clone(), value)
                })
                .collect();
            properties.insert(
                "DefinitionSubstitutions".into(),
                Value::Object(substitutions),
            );
        }
        resources.insert(
            machine.clone(),
            json!({ "Type": "AWS::StepFunctions::StateMachine", "Properties": properties }),
        );
        outputs.insert(
            format!("{}Arn", refs::logical_id(w.name)),
            json!({
                "Description": format!("The ARN of the state machine `{}`", w.name),
                "Value": { "Ref": machine }
            }),
        );
    }
    let names: Vec<&str> = workflows.iter().map(|w| w.name).collect();
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Step Functions workflows exported by sfn: {}", names.join(", ")),
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// The template as YAML (the same document as the JSON, in the same order).
pub fn to_yaml(template: &Value) -> Result<String, ExportError> {
    serde_yaml_ng::to_string(template).map_err(|e| ExportError::Yaml(e.to_string()))
}
