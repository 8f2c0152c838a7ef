//! The least-privilege IAM policy a workflow's role needs, derived from its states.
//!
//! Each integration gets the statements of AWS's "IAM policies for …" pages of the Step
//! Functions Developer Guide. Where AWS's console template is broader than the call (DynamoDB
//! grants four actions for one), only the action the state calls is granted. Resources that a
//! state computes at run time (`.$` paths, JSONata) widen to the narrowest wildcard AWS
//! documents, and every widening is reported as a [`Warning`].

use serde_json::{Map, Value, json};

use crate::asl::{legacy_function, optimized};
use crate::refs::{self, Env, Field};

/// How a Task waits for its integration (the suffix of its `Resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// No suffix: the call returns at once.
    RequestResponse,
    /// `.sync`: the job runs to its end.
    Sync,
    /// `.sync:2`: the job runs to its end, output as JSON.
    Sync2,
    /// `.waitForTaskToken`: waits for a callback.
    WaitForTaskToken,
}

impl Pattern {
    fn waits_for_job(self) -> bool {
        matches!(self, Pattern::Sync | Pattern::Sync2)
    }
}

/// Something about a policy a person should know: a wildcard, a permission not derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The state it concerns.
    pub state: String,
    /// The JSON pointer of that state in the definition.
    pub pointer: String,
    /// What happened and what to do about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "state `{}` ({}): {}",
            self.state, self.pointer, self.message
        )
    }
}

/// One `Allow` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The actions (`states:StartExecution`).
    pub actions: Vec<String>,
    /// The resources: ARNs, or `*`. For CloudFormation they may hold `${…}` references for
    /// `Fn::Sub`.
    pub resources: Vec<String>,
}

/// The policy document of a workflow's role.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// The statements, in the order their states come in the definition.
    pub statements: Vec<Statement>,
    /// Wildcards and permissions left to the user.
    pub warnings: Vec<Warning>,
}

impl Policy {
    /// Grants `actions` on `resource`, merging with a statement of the same actions.
    pub fn allow(&mut self, actions: &[&str], resource: impl Into<String>) {
        let resource = resource.into();
        if let Some(s) = self.statements.iter_mut().find(|s| {
            s.actions
                .iter()
                .map(String::as_str)
                .eq(actions.iter().copied())
        }) {
            if s.resources.iter().any(|r| r == "*") {
                return;
            }
            if resource == "*" {
                s.resources = vec![resource];
            } else if !s.resources.contains(&resource) {
                s.resources.push(resource);
            }
            return;
        }
        self.statements.push(Statement {
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: vec![resource],
        });
    }

    /// The IAM policy document: `{"Version": "2012-10-17", "Statement": [...]}`. A resource
    /// `*` is written as AWS's documentation writes it, `"Resource": "*"`. A workflow that needs
    /// nothing gets AWS's deny-all statement.
    pub fn to_json(&self) -> Value {
        self.document(|r| Value::String(r.to_owned()))
    }

    /// The document as a CloudFormation template holds it: resources that name stack
    /// resources or pseudo parameters become `{"Fn::Sub": "…"}`.
    pub fn to_cloudformation(&self) -> Value {
        self.document(|r| {
            let whole_ref = r
                .strip_prefix("${")
                .and_then(|x| x.strip_suffix('}'))
                .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric()));
            if let Some(id) = whole_ref {
                json!({ "Ref": id })
            } else if r.contains("${") {
                json!({ "Fn::Sub": r })
            } else {
                Value::String(r.to_owned())
            }
        })
    }

    fn document(&self, resource: impl Fn(&str) -> Value) -> Value {
        if self.statements.is_empty() {
            // AWS's policy for machines with only Activity tasks or none ("Activities or no
            // tasks"): a role that may do nothing, said explicitly.
            return json!({ "Version": "2012-10-17", "Statement": [
                { "Effect": "Deny", "Action": "*", "Resource": "*" }
            ] });
        }
        let statements: Vec<Value> = self
            .statements
            .iter()
            .map(|s| {
                let resources = if s.resources == ["*"] {
                    Value::String("*".into())
                } else {
                    Value::Array(s.resources.iter().map(|r| resource(r)).collect())
                };
                json!({ "Effect": "Allow", "Action": s.actions, "Resource": resources })
            })
            .collect();
        json!({ "Version": "2012-10-17", "Statement": statements })
    }
}

const SFN_EVENTS_RULE: &str = "StepFunctionsGetEventsForStepFunctionsExecutionRule";
const ECS_EVENTS_RULE: &str = "StepFunctionsGetEventsForECSTaskRule";
const BATCH_EVENTS_RULE: &str = "StepFunctionsGetEventsForBatchJobsRule";
const EVENTS_RULE_ACTIONS: &[&str] =
    &["events:PutTargets", "events:PutRule", "events:DescribeRule"];

/// Derives the policy of the workflow `name` from its canonical JSON.
pub(crate) fn derive(name: &str, definition: &Value, env: &Env<'_>) -> Policy {
    let mut policy = Policy::default();
    let mut definition = definition.clone();
    refs::walk(&mut definition, &mut |visit, state| {
        let mut cx = Cx {
            policy: &mut policy,
            env,
            visit_state: visit.name,
            pointer: visit.pointer,
        };
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => cx.task(state, visit.language),
            Some("Map") => cx.map(name, state, visit.language),
            _ => {}
        }
    });
    policy
}

struct Cx<'p, 'e> {
    policy: &'p mut Policy,
    env: &'e Env<'e>,
    visit_state: &'p str,
    pointer: &'p str,
}

impl Cx<'_, '_> {
    fn warn(&mut self, message: String) {
        let warning = Warning {
            state: self.visit_state.to_owned(),
            pointer: self.pointer.to_owned(),
            message,
        };
        if !self.policy.warnings.contains(&warning) {
            self.policy.warnings.push(warning);
        }
    }

    fn events_rule(&mut self, rule: &str) {
        let arn = self.env.arn("events", &format!("rule/{rule}"));
        self.policy.allow(EVENTS_RULE_ACTIONS, arn);
    }

    fn task(&mut self, state: &Map<String, Value>, language: sfn_core::QueryLanguage) {
        if let Some(credentials) = state.get("Credentials") {
            self.credentials(credentials, language);
        }
        let Some(resource) = state.get("Resource").and_then(Value::as_str) else {
            return;
        };
        if let Some((function, _)) = legacy_function(resource) {
            self.function(function);
            return;
        }
        if resource.contains(":states:") && resource.contains(":activity:") {
            // Activity workers poll with their own credentials; the role needs nothing.
            return;
        }
        let Some((service, action, pattern)) = optimized(resource) else {
            self.warn(format!(
                "no IAM statement is derived for the resource `{resource}`; add the permissions it needs to the role"
            ));
            return;
        };
        let payload = refs::payload(state);
        let field = |key| refs::field(payload, key, language);
        match (service, action) {
            ("states", "startExecution") => self.start_execution(field("StateMachineArn"), pattern),
            ("lambda", "invoke") => match field("FunctionName") {
                Field::Literal(Value::String(text)) => match refs::parse_function_name(text) {
                    Some((function, _)) => self.function(function),
                    None => self.literal(&["lambda:InvokeFunction"], text),
                },
                other => self.dynamic(
                    &["lambda:InvokeFunction"],
                    self.env.arn("lambda", "function:*"),
                    "FunctionName",
                    &other,
                ),
            },
            ("sqs", "sendMessage") => match field("QueueUrl") {
                Field::Literal(Value::String(url)) => match queue_arn(url, self.env.partition()) {
                    Some(arn) => self.policy.allow(&["sqs:SendMessage"], arn),
                    None => self.literal(&["sqs:SendMessage"], url),
                },
                other => self.dynamic(&["sqs:SendMessage"], "*".into(), "QueueUrl", &other),
            },
            ("sns", "publish") => match field("TopicArn") {
                Field::Literal(Value::String(arn)) => self.policy.allow(&["sns:Publish"], arn),
                Field::Absent => {
                    // TargetArn or PhoneNumber: AWS's template grants every target.
                    self.policy.allow(&["sns:Publish"], "*");
                    self.warn("`sns:Publish` without a literal `TopicArn` (a `TargetArn` or `PhoneNumber`) is granted on `*`, as AWS's template does".into());
                }
                other => self.dynamic(&["sns:Publish"], "*".into(), "TopicArn", &other),
            },
            ("dynamodb", "getItem" | "putItem" | "updateItem" | "deleteItem") => {
                let iam_action = format!("dynamodb:{}", pascal(action));
                match field("TableName") {
                    Field::Literal(Value::String(table)) => {
                        let arn = if table.starts_with("arn:") {
                            table.clone()
                        } else {
                            self.env.arn("dynamodb", &format!("table/{table}"))
                        };
                        self.policy.allow(&[&iam_action], arn);
                    }
                    other => self.dynamic(&[&iam_action], "*".into(), "TableName", &other),
                }
            }
            ("events", "putEvents") => self.put_events(field("Entries"), language),
            ("ecs", "runTask") => {
                match field("TaskDefinition") {
                    Field::Literal(Value::String(td)) => {
                        let arn = if td.starts_with("arn:") {
                            td.clone()
                        } else if td.contains(':') {
                            self.env.arn("ecs", &format!("task-definition/{td}"))
                        } else {
                            self.env.arn("ecs", &format!("task-definition/{td}:*"))
                        };
                        self.policy.allow(&["ecs:RunTask"], arn);
                    }
                    other => self.dynamic(&["ecs:RunTask"], "*".into(), "TaskDefinition", &other),
                }
                if pattern.waits_for_job() {
                    self.policy.allow(&["ecs:StopTask", "ecs:DescribeTasks"], "*");
                    self.events_rule(ECS_EVENTS_RULE);
                }
                self.warn("`iam:PassRole` on the task's execution and task roles is not derived; grant it for the roles the task definition names".into());
            }
            ("batch", "submitJob") => {
                // AWS Batch supports resource-level permissions only partly: AWS grants `*`.
                if pattern.waits_for_job() {
                    self.policy.allow(
                        &["batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob"],
                        "*",
                    );
                    self.events_rule(BATCH_EVENTS_RULE);
                } else {
                    self.policy.allow(&["batch:SubmitJob"], "*");
                }
            }
            ("glue", "startJobRun") => {
                // AWS Glue has no resource-based control: AWS grants `*`.
                if pattern.waits_for_job() {
                    self.policy.allow(
                        &[
                            "glue:StartJobRun",
                            "glue:GetJobRun",
                            "glue:GetJobRuns",
                            "glue:BatchStopJobRun",
                        ],
                        "*",
                    );
                } else {
                    self.policy.allow(&["glue:StartJobRun"], "*");
                }
            }
            ("aws-sdk", sdk) => {
                let Some((sdk_service, sdk_action)) = sdk.split_once(':') else {
                    self.warn(format!("`{resource}` names no action; no IAM statement is derived"));
                    return;
                };
                let iam_action = format!("{}:{}", iam_prefix(sdk_service), pascal(sdk_action));
                self.policy.allow(&[&iam_action], "*");
                self.warn(format!(
                    "the AWS SDK integration `{sdk}` is granted `{iam_action}` on `*`; narrow the resource to what the call touches"
                ));
            }
            _ => self.warn(format!(
                "no IAM statement is derived for `{service}:{action}`; add the permissions it needs to the role"
            )),
        }
    }

    fn literal(&mut self, actions: &[&str], text: &str) {
        self.policy.allow(actions, text);
    }

    fn dynamic(&mut self, actions: &[&str], wildcard: String, key: &str, field: &Field<'_>) {
        let how = match field {
            Field::Dynamic(path) => format!("is computed when the state runs (`{path}`)"),
            Field::Absent => "is not given".to_owned(),
            Field::Literal(_) => "is not a string".to_owned(),
        };
        self.warn(format!(
            "`{key}` {how}: `{}` is granted on `{wildcard}`",
            actions.join("`, `")
        ));
        self.policy.allow(actions, wildcard);
    }

    fn function(&mut self, function: &str) {
        let arn = self.env.arn("lambda", &format!("function:{function}"));
        self.policy.allow(&["lambda:InvokeFunction"], arn.clone());
        // Versions and aliases: `function:Name:*`.
        self.policy
            .allow(&["lambda:InvokeFunction"], format!("{arn}:*"));
    }

    fn start_execution(&mut self, arn: Field<'_>, pattern: Pattern) {
        let child = match &arn {
            Field::Literal(Value::String(text)) => {
                refs::parse_state_machine_arn(text).map(|(n, _)| n)
            }
            _ => None,
        };
        match (child, &arn) {
            (Some(child), _) => {
                self.policy.allow(
                    &["states:StartExecution"],
                    self.env.state_machine_resource(child),
                );
                if pattern.waits_for_job() {
                    let execution = format!("execution:{}:*", self.env.state_machine_name(child));
                    self.policy.allow(
                        &["states:DescribeExecution", "states:StopExecution"],
                        self.env.arn("states", &execution),
                    );
                }
            }
            (None, Field::Literal(Value::String(text))) => {
                self.policy.allow(&["states:StartExecution"], text.clone());
                if pattern.waits_for_job() {
                    let wildcard = self.env.arn("states", "execution:*:*");
                    self.warn(format!("`StateMachineArn` `{text}` is not a state machine ARN: `states:DescribeExecution`, `states:StopExecution` are granted on `{wildcard}`"));
                    self.policy.allow(
                        &["states:DescribeExecution", "states:StopExecution"],
                        wildcard,
                    );
                }
            }
            (None, other) => {
                let wildcard = self.env.arn("states", "stateMachine:*");
                self.dynamic(
                    &["states:StartExecution"],
                    wildcard,
                    "StateMachineArn",
                    other,
                );
                if pattern.waits_for_job() {
                    self.policy.allow(
                        &["states:DescribeExecution", "states:StopExecution"],
                        self.env.arn("states", "execution:*:*"),
                    );
                }
            }
        }
        if pattern.waits_for_job() {
            self.events_rule(SFN_EVENTS_RULE);
        }
    }

    fn put_events(&mut self, entries: Field<'_>, language: sfn_core::QueryLanguage) {
        let wildcard = "arn:aws:events:*:*:event-bus/*".replacen("aws", self.env.partition(), 1);
        let Field::Literal(Value::Array(entries)) = entries else {
            self.dynamic(&["events:PutEvents"], wildcard, "Entries", &entries);
            return;
        };
        for entry in entries {
            match refs::field(Some(entry), "EventBusName", language) {
                Field::Literal(Value::String(bus)) if bus.starts_with("arn:") => {
                    self.policy.allow(&["events:PutEvents"], bus.clone());
                }
                Field::Literal(Value::String(bus)) => {
                    let arn = self.env.arn("events", &format!("event-bus/{bus}"));
                    self.policy.allow(&["events:PutEvents"], arn);
                }
                Field::Absent => {
                    let arn = self.env.arn("events", "event-bus/default");
                    self.policy.allow(&["events:PutEvents"], arn);
                }
                other => self.dynamic(
                    &["events:PutEvents"],
                    wildcard.clone(),
                    "EventBusName",
                    &other,
                ),
            }
        }
    }

    fn credentials(&mut self, credentials: &Value, language: sfn_core::QueryLanguage) {
        match refs::field(Some(credentials), "RoleArn", language) {
            Field::Literal(Value::String(role)) => {
                self.policy.allow(&["sts:AssumeRole"], role.clone());
            }
            other => {
                let wildcard = format!("arn:{}:iam::*:role/*", self.env.partition());
                self.dynamic(&["sts:AssumeRole"], wildcard, "Credentials.RoleArn", &other);
            }
        }
    }

    /// A distributed Map starts child executions of its own state machine, and reads and writes
    /// S3 for `ItemReader` and `ResultWriter`.
    fn map(&mut self, own: &str, state: &Map<String, Value>, language: sfn_core::QueryLanguage) {
        let distributed = ["ItemProcessor", "Iterator"].iter().any(|k| {
            state
                .get(*k)
                .and_then(|p| p.pointer("/ProcessorConfig/Mode"))
                .and_then(Value::as_str)
                == Some("DISTRIBUTED")
        });
        if distributed {
            // The role's own state machine: by name, not by `Ref`, which would be a cycle.
            self.policy.allow(
                &["states:StartExecution"],
                self.env.arn("states", &format!("stateMachine:{own}")),
            );
            self.policy.allow(
                &["states:DescribeExecution", "states:StopExecution"],
                self.env.arn("states", &format!("execution:{own}/*")),
            );
        }
        if let Some(Value::Object(reader)) = state.get("ItemReader") {
            let resource = reader.get("Resource").and_then(Value::as_str).unwrap_or("");
            let payload = refs::payload(reader);
            let bucket = refs::field(payload, "Bucket", language);
            match optimized(resource).map(|(s, a, _)| (s, a)) {
                Some(("s3", "getObject")) => {
                    let key = refs::field(payload, "Key", language);
                    match (&bucket, &key) {
                        (
                            Field::Literal(Value::String(b)),
                            Field::Literal(Value::String(k)),
                        ) => {
                            let arn = self.env.global_arn("s3", &format!("{b}/{k}"));
                            self.policy.allow(&["s3:GetObject"], arn);
                        }
                        _ => {
                            let arn = self.env.global_arn("s3", "*");
                            self.dynamic(&["s3:GetObject"], arn, "Bucket` or `Key", &Field::Dynamic("…"));
                        }
                    }
                }
                Some(("s3", "listObjectsV2")) => match &bucket {
                    Field::Literal(Value::String(b)) => {
                        let arn = self.env.global_arn("s3", b);
                        self.policy.allow(&["s3:ListBucket"], arn);
                    }
                    other => {
                        let arn = self.env.global_arn("s3", "*");
                        self.dynamic(&["s3:ListBucket"], arn, "Bucket", other);
                    }
                },
                _ => self.warn(format!(
                    "no IAM statement is derived for the item reader `{resource}`; add the permissions it needs"
                )),
            }
        }
        if let Some(Value::Object(writer)) = state.get("ResultWriter") {
            let payload = refs::payload(writer);
            const WRITE: &[&str] = &[
                "s3:PutObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:AbortMultipartUpload",
            ];
            match (
                refs::field(payload, "Bucket", language),
                refs::field(payload, "Prefix", language),
            ) {
                (Field::Literal(Value::String(b)), Field::Literal(Value::String(p))) => {
                    let prefix = p.trim_end_matches('/');
                    let arn = self.env.global_arn("s3", &format!("{b}/{prefix}/*"));
                    self.policy.allow(WRITE, arn);
                }
                (Field::Literal(Value::String(b)), Field::Absent) => {
                    let arn = self.env.global_arn("s3", &format!("{b}/*"));
                    self.policy.allow(WRITE, arn);
                }
                (Field::Absent, Field::Absent) if payload.is_none() => {}
                _ => {
                    let arn = self.env.global_arn("s3", "*");
                    self.dynamic(WRITE, arn, "Bucket` or `Prefix", &Field::Dynamic("…"));
                }
            }
        }
    }
}

/// `https://sqs.us-east-1.amazonaws.com/123456789012/queue` → `arn:aws:sqs:us-east-1:123456789012:queue`.
fn queue_arn(url: &str, partition: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let region = host.strip_prefix("sqs.")?.split('.').next()?;
    let (account, queue) = path.trim_end_matches('/').split_once('/')?;
    (!region.is_empty() && !account.is_empty() && !queue.is_empty() && !queue.contains('/'))
        .then(|| format!("arn:{partition}:sqs:{region}:{account}:{queue}"))
}

/// `getItem` → `GetItem`.
fn pascal(action: &str) -> String {
    let mut chars = action.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The IAM prefix of an AWS SDK service name where the two differ.
fn iam_prefix(sdk_service: &str) -> &str {
    match sdk_service {
        "sfn" => "states",
        "cloudwatchlogs" => "logs",
        "elasticloadbalancingv2" => "elasticloadbalancing",
        "sesv2" => "ses",
        "efs" => "elasticfilesystem",
        "emrcontainers" => "emr-containers",
        "emrserverless" => "emr-serverless",
        "opensearch" => "es",
        "apigatewayv2" | "apigateway" => "apigateway",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_become_arns() {
        assert_eq!(
            queue_arn(
                "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
                "aws"
            )
            .as_deref(),
            Some("arn:aws:sqs:eu-west-1:123456789012:orders")
        );
        assert_eq!(queue_arn("orders", "aws"), None);
    }

    #[test]
    fn statements_with_the_same_actions_merge() {
        let mut p = Policy::default();
        p.allow(&["a:B"], "x");
        p.allow(&["a:B"], "y");
        p.allow(&["a:B"], "x");
        p.allow(&["a:C"], "*");
        p.allow(&["a:C"], "z");
        assert_eq!(p.statements.len(), 2);
        assert_eq!(p.statements[0].resources, ["x", "y"]);
        assert_eq!(p.statements[1].resources, ["*"]);
    }
}
