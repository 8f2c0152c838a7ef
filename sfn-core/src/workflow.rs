//! Workflows written as Rust: the [`StateMachine`] trait that `#[workflow]` implements, the
//! values of nested executions and tasks, and the typed calls a workflow body is checked against.
//!
//! Nothing here runs a workflow: a workflow *is* its definition ([`StateMachine::definition`]),
//! which the runtime interprets and the exporter writes. The call types ([`StartExecution`],
//! [`Call`], [`Retry`]) are what a workflow body is type-checked against; the `#[workflow]`
//! macro turns each call into the state that makes it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::QueryLanguage;

#[doc(hidden)]
pub mod build;

/// A state machine written as a Rust `async fn` with `#[workflow]`: its input and output types,
/// its name, and the definition it stands for.
///
/// ```
/// use sfn_core::workflow::{DefinitionConfig, StateMachine};
/// # struct Hello;
/// # impl StateMachine for Hello {
/// #     type Input = (); type Output = ();
/// #     const NAME: &'static str = "Hello";
/// #     fn definition_with(_: &DefinitionConfig) -> Result<sfn_core::StateMachine, sfn_core::workflow::DefinitionError> {
/// #         Ok(sfn_core::StateMachine::from_json_str(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#).unwrap())
/// #     }
/// # }
/// let definition = Hello::definition()?;
/// assert_eq!(definition.start_at, "A");
/// # Ok::<(), sfn_core::workflow::DefinitionError>(())
/// ```
pub trait StateMachine: 'static {
    /// What an execution starts with (`$$.Execution.Input`).
    type Input: Serialize + DeserializeOwned;
    /// What a successful execution ends with.
    type Output: Serialize + DeserializeOwned;
    /// The state machine's name: the last part of its ARN.
    const NAME: &'static str;

    /// The definition, with child state machines and functions named as `config` says.
    fn definition_with(config: &DefinitionConfig) -> Result<crate::StateMachine, DefinitionError>;

    /// The definition for the default account (`us-east-1`, `123456789012`).
    fn definition() -> Result<crate::StateMachine, DefinitionError> {
        Self::definition_with(&DefinitionConfig::default())
    }

    /// The JSON Schema of [`Input`](Self::Input), when the type gives one (`#[workflow]`
    /// fills it in for types that derive `schemars::JsonSchema`).
    fn input_schema() -> Option<Value> {
        None
    }

    /// The JSON Schema of [`Output`](Self::Output), when the type gives one.
    fn output_schema() -> Option<Value> {
        None
    }
}

/// How a definition names the resources it uses: child state machines, Lambda functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionConfig {
    /// Real ARNs in one Region and account.
    Aws {
        /// The Region, e.g. `us-east-1`.
        region: String,
        /// The account, e.g. `123456789012`.
        account: String,
    },
    /// CloudFormation substitutions: `${HelloWorldArn}` for the state machine `HelloWorld`,
    /// `${SayHelloFunctionArn}` for the function `SayHello` (for `Fn::Sub` with
    /// `DefinitionSubstitutions`).
    Substitutions,
}

impl Default for DefinitionConfig {
    fn default() -> Self {
        DefinitionConfig::aws("us-east-1", "123456789012")
    }
}

impl DefinitionConfig {
    /// Real ARNs in `region` and `account`.
    pub fn aws(region: impl Into<String>, account: impl Into<String>) -> Self {
        DefinitionConfig::Aws {
            region: region.into(),
            account: account.into(),
        }
    }

    /// The ARN of the state machine `name`.
    pub fn state_machine_arn(&self, name: &str) -> String {
        match self {
            DefinitionConfig::Aws { region, account } => {
                format!("arn:aws:states:{region}:{account}:stateMachine:{name}")
            }
            DefinitionConfig::Substitutions => format!("${{{name}Arn}}"),
        }
    }

    /// The ARN of the Lambda function `name`.
    pub fn function_arn(&self, name: &str) -> String {
        match self {
            DefinitionConfig::Aws { region, account } => {
                format!("arn:aws:lambda:{region}:{account}:function:{name}")
            }
            DefinitionConfig::Substitutions => format!("${{{name}FunctionArn}}"),
        }
    }
}

/// Why a workflow's definition could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DefinitionError {
    /// A field a workflow reads or writes has no JSON name (serde skips it).
    #[error(
        "the field `{field}` of `{ty}` has no JSON name (serde skips it); a workflow cannot read or write it"
    )]
    NoJsonName {
        /// The Rust type.
        ty: &'static str,
        /// The Rust field.
        field: String,
    },
    /// A constant could not be serialised.
    #[error("a constant of the workflow could not be serialised: {0}")]
    Serialize(String),
    /// A constant has a form a state cannot take (a name that is not a string, …).
    #[error("{0}")]
    Invalid(String),
    /// The definition built is not a valid state machine.
    #[error("the definition built is not valid: {}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("; "))]
    Definition(Vec<crate::Diagnostic>),
}

/// JSON field names of a type, exactly as serde writes (`ser`) and reads (`de`) them.
///
/// `#[derive(sfn::Data)]` implements it from the type's serde attributes. A workflow needs it
/// for every type whose fields it reads or builds; types used whole need nothing.
#[diagnostic::on_unimplemented(
    message = "a workflow reads or builds fields of `{Self}`, which does not give their JSON names",
    label = "`{Self}` needs `#[derive(sfn::Data)]`",
    note = "add `#[derive(sfn::Data)]` next to `#[derive(Serialize, Deserialize)]` on `{Self}`"
)]
pub trait Data {
    /// The JSON name serde writes for the Rust field `field`.
    fn ser_name(field: &str) -> Option<&'static str>;
    /// The JSON name serde reads for the Rust field `field`.
    fn de_name(field: &str) -> Option<&'static str>;
}

/// An error raised in a workflow: a `Fail` state's `Error` and `Cause`, or a task's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Failure {
    /// The error name (`States.Timeout`, `Order.Rejected`, …).
    pub error: String,
    /// A human-readable cause.
    pub cause: String,
}

impl Failure {
    /// A failure with an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// Whether the error is `name` (as a `Catch` with `ErrorEquals: [name]` would match it;
    /// `States.ALL` matches everything).
    pub fn is(&self, name: &str) -> bool {
        name == "States.ALL" || self.error == name
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for Failure {}

impl Data for Failure {
    fn ser_name(field: &str) -> Option<&'static str> {
        match field {
            "error" => Some("Error"),
            "cause" => Some("Cause"),
            _ => None,
        }
    }
    fn de_name(field: &str) -> Option<&'static str> {
        Self::ser_name(field)
    }
}

/// The error of a task (`#[task]` fn): its name is what `Retry` and `Catch` match.
pub type TaskError = Failure;

/// What `start_execution::<M>(…).start()` gives: the child was started, the parent goes on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartedExecution {
    /// The child execution's ARN.
    pub execution_arn: String,
    /// When the child started, as the service reports it.
    pub start_date: Value,
}

impl Data for StartedExecution {
    fn ser_name(field: &str) -> Option<&'static str> {
        match field {
            "execution_arn" => Some("ExecutionArn"),
            "start_date" => Some("StartDate"),
            _ => None,
        }
    }
    fn de_name(field: &str) -> Option<&'static str> {
        Self::ser_name(field)
    }
}

/// What `.sync()` (`T = String`, the output as JSON text) and `.sync2()` (`T` the child's
/// output type) give: the child's `DescribeExecution` fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionResult<T> {
    /// The child execution's ARN.
    pub execution_arn: String,
    /// The child state machine's ARN.
    #[serde(default)]
    pub state_machine_arn: String,
    /// The child execution's name.
    #[serde(default)]
    pub name: String,
    /// `SUCCEEDED`.
    #[serde(default)]
    pub status: String,
    /// The child's input (JSON text with `.sync`, a value with `.sync:2`).
    #[serde(default)]
    pub input: Value,
    /// The child's output.
    pub output: T,
    /// When the child started.
    #[serde(default)]
    pub start_date: Value,
    /// When the child stopped.
    #[serde(default)]
    pub stop_date: Value,
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for ExecutionResult<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("ExecutionResult_for_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let output = generator.subschema_for::<T>();
        schemars::json_schema!({
            "description": "A child execution's `DescribeExecution` fields (`.sync`, `.sync:2`).",
            "type": "object",
            "properties": {
                "ExecutionArn": {"type": "string"},
                "StateMachineArn": {"type": "string"},
                "Name": {"type": "string"},
                "Status": {"type": "string"},
                "Input": true,
                "Output": output,
                "StartDate": true,
                "StopDate": true
            },
            "required": ["ExecutionArn", "Output"]
        })
    }
}

impl schemars::JsonSchema for StartedExecution {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StartedExecution".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A child execution that was started (`.start()`).",
            "type": "object",
            "properties": {"ExecutionArn": {"type": "string"}, "StartDate": true},
            "required": ["ExecutionArn", "StartDate"]
        })
    }
}

impl<T> Data for ExecutionResult<T> {
    fn ser_name(field: &str) -> Option<&'static str> {
        Some(match field {
            "execution_arn" => "ExecutionArn",
            "state_machine_arn" => "StateMachineArn",
            "name" => "Name",
            "status" => "Status",
            "input" => "Input",
            "output" => "Output",
            "start_date" => "StartDate",
            "stop_date" => "StopDate",
            _ => return None,
        })
    }
    fn de_name(field: &str) -> Option<&'static str> {
        Self::ser_name(field)
    }
}

/// A `Retry` entry: which errors, how often, how far apart.
///
/// ```
/// use std::time::Duration;
/// use sfn_core::workflow::Retry;
/// let retry = Retry::on(["Payment.Declined"]).interval(Duration::from_secs(2)).max_attempts(5);
/// assert_eq!(
///     retry.to_json().to_string(),
///     r#"{"ErrorEquals":["Payment.Declined"],"IntervalSeconds":2,"MaxAttempts":5}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    error_equals: Vec<String>,
    interval_seconds: Option<u64>,
    max_attempts: Option<u64>,
    backoff_rate: Option<f64>,
    max_delay_seconds: Option<u64>,
    full_jitter: bool,
}

impl Retry {
    /// Retries the errors named (`States.ALL` for every error).
    pub fn on<S: Into<String>>(errors: impl IntoIterator<Item = S>) -> Self {
        Retry {
            error_equals: errors.into_iter().map(Into::into).collect(),
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
            full_jitter: false,
        }
    }

    /// Waits this long before the first retry (`IntervalSeconds`, whole seconds).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval_seconds = Some(interval.as_secs());
        self
    }

    /// Retries at most this many times (`MaxAttempts`).
    pub fn max_attempts(mut self, n: u64) -> Self {
        self.max_attempts = Some(n);
        self
    }

    /// Multiplies the interval by this at each retry (`BackoffRate`).
    pub fn backoff_rate(mut self, rate: f64) -> Self {
        self.backoff_rate = Some(rate);
        self
    }

    /// Never waits longer than this (`MaxDelaySeconds`).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay_seconds = Some(delay.as_secs());
        self
    }

    /// Randomises each interval (`JitterStrategy: FULL`).
    pub fn full_jitter(mut self) -> Self {
        self.full_jitter = true;
        self
    }

    /// The `Retry` entry as ASL writes it.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("ErrorEquals".into(), json!(self.error_equals));
        if let Some(n) = self.interval_seconds {
            m.insert("IntervalSeconds".into(), json!(n));
        }
        if let Some(n) = self.max_attempts {
            m.insert("MaxAttempts".into(), json!(n));
        }
        if let Some(r) = self.backoff_rate {
            // `2.0` is written `2`, as people write it.
            let v = if r.fract() == 0.0 && r.abs() < 1e15 {
                json!(r as i64)
            } else {
                json!(r)
            };
            m.insert("BackoffRate".into(), v);
        }
        if let Some(n) = self.max_delay_seconds {
            m.insert("MaxDelaySeconds".into(), json!(n));
        }
        if self.full_jitter {
            m.insert("JitterStrategy".into(), json!("FULL"));
        }
        Value::Object(m)
    }

    /// AWS's recommended retry for the Lambda integration: transient Lambda service errors,
    /// three attempts, one second doubling, full jitter.
    pub fn lambda_service_errors() -> Self {
        Retry::on([
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
        ])
        .interval(Duration::from_secs(1))
        .max_attempts(3)
        .backoff_rate(2.0)
        .full_jitter()
    }
}

/// A nested execution of `M` being described: `start_execution::<M>(input)`, then how to wait
/// for it (`.start()`, `.sync()`, `.sync2()`, `.wait_for_task_token::<T>()`).
///
/// In a `#[workflow]` body this becomes a Task state on `arn:aws:states:::states:startExecution…`;
/// the methods only carry types, so that rustc checks the input and the value of the call.
#[must_use = "a nested execution does nothing until it is awaited in a workflow"]
pub struct StartExecution<M: StateMachine> {
    _m: PhantomData<fn() -> M>,
}

/// Starts a nested execution of `M` with `input` (which must be `M::Input`).
pub fn start_execution<M: StateMachine>(input: M::Input) -> StartExecution<M> {
    drop(input);
    StartExecution { _m: PhantomData }
}

impl<M: StateMachine> StartExecution<M> {
    /// The execution's `Name`.
    pub fn name(self, _name: impl Into<String>) -> Self {
        self
    }
    /// Links the child to this execution in the console
    /// (`AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` in its input).
    pub fn associate_with_parent(self) -> Self {
        self
    }
    /// The X-Ray trace header (`TraceHeader`).
    pub fn trace_header(self, _header: impl Into<String>) -> Self {
        self
    }
    /// `TimeoutSeconds` of the Task state.
    pub fn timeout(self, _timeout: Duration) -> Self {
        self
    }
    /// `HeartbeatSeconds` of the Task state.
    pub fn heartbeat(self, _heartbeat: Duration) -> Self {
        self
    }
    /// A `Retry` entry of the Task state.
    pub fn retry(self, _retry: Retry) -> Self {
        self
    }
    /// Request-response: starts the child and goes on (`startExecution`).
    pub fn start(self) -> Call<StartedExecution> {
        Call::new()
    }
    /// Waits for the child; its output as JSON text (`startExecution.sync`).
    pub fn sync(self) -> Call<ExecutionResult<String>> {
        Call::new()
    }
    /// Waits for the child; its output typed (`startExecution.sync:2`).
    pub fn sync2(self) -> Call<ExecutionResult<M::Output>> {
        Call::new()
    }
    /// Waits until someone calls `SendTaskSuccess` with the token the input carries
    /// (`task_token()`); the value is that call's output (`startExecution.waitForTaskToken`).
    pub fn wait_for_task_token<T: DeserializeOwned>(self) -> Call<T> {
        Call::new()
    }
}

/// A call a workflow awaits, whose value is a `T`.
#[must_use = "a call does nothing until it is awaited in a workflow"]
pub struct Call<T> {
    _t: PhantomData<fn() -> T>,
}

impl<T> Call<T> {
    fn new() -> Self {
        Call { _t: PhantomData }
    }
    /// A `Retry` entry of the Task state.
    pub fn retry(self, _retry: Retry) -> Self {
        self
    }
    /// `TimeoutSeconds` of the Task state.
    pub fn timeout(self, _timeout: Duration) -> Self {
        self
    }
    /// `HeartbeatSeconds` of the Task state.
    pub fn heartbeat(self, _heartbeat: Duration) -> Self {
        self
    }
}

/// The token of the running task (`$$.Task.Token`), to put into the input of a
/// `.wait_for_task_token()` call.
pub fn task_token() -> String {
    String::new()
}

/// The future a native task handler returns.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>>;

/// What a `#[task]` fn is in a definition, and how it runs natively.
pub trait TaskSpec: 'static {
    /// The state name a call of the task gets (`SayHello`).
    const NAME: &'static str;
    /// How the Task state calls it.
    const KIND: TaskKind;
    /// Runs the task natively on a JSON input.
    fn invoke(input: Value) -> TaskFuture;
}

/// How a Task state calls a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Lambda's optimized integration (`arn:aws:states:::lambda:invoke`) on this function.
    Lambda(&'static str),
    /// Any resource ARN, with the input as `Parameters`.
    Resource(&'static str),
}

/// The resource of Lambda's optimized integration.
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Waits (a `Wait` state): `sleep(Duration::from_secs(10)).await`.
pub async fn sleep(_duration: Duration) {}

/// Waits until a timestamp (RFC 3339; a `Wait` state with `Timestamp`).
pub async fn sleep_until(_timestamp: impl AsRef<str>) {}

/// Runs a closure for each item of an array (a `Map` state); `.max_concurrency(n)` limits how
/// many at once.
pub fn map<I, T, F, Fut>(items: I, f: F) -> MapCall<T>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    drop((items, f));
    MapCall { _t: PhantomData }
}

/// A `Map` being described; awaited it gives the results in order.
#[must_use = "a map does nothing until it is awaited in a workflow"]
pub struct MapCall<T> {
    _t: PhantomData<fn() -> T>,
}

impl<T> MapCall<T> {
    /// `MaxConcurrency`.
    pub fn max_concurrency(self, _n: u32) -> Self {
        self
    }
    /// The value awaited: the results in order.
    pub fn into_call(self) -> Call<Vec<T>> {
        Call::new()
    }
}

/// Runs calls concurrently (a `Parallel` state, one branch each); awaited it gives a tuple.
pub fn parallel<P: Parallel>(calls: P) -> Call<P::Output> {
    drop(calls);
    Call::new()
}

/// A tuple of calls [`parallel`] runs.
pub trait Parallel {
    /// The tuple of their values.
    type Output;
}

macro_rules! parallel_tuples {
    ($(($($t:ident),+)),+) => {$(
        impl<$($t),+> Parallel for ($(Call<$t>,)+) { type Output = ($($t,)+); }
    )+};
}
parallel_tuples!(
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F)
);

/// A fresh UUID (`States.UUID()`).
pub fn uuid() -> String {
    String::new()
}

/// A value as JSON text (`States.JsonToString`).
pub fn to_string<T: Serialize>(_value: &T) -> String {
    String::new()
}

/// JSON text parsed (`States.StringToJson`).
pub fn from_str<T: DeserializeOwned>(_text: &str) -> T {
    unreachable!("`from_str` is only meaningful inside a `#[workflow]` body")
}

/// Whether a value is JSON `null` (`IsNull` in a Choice rule).
pub fn is_null<T>(_value: &T) -> bool {
    false
}

impl QueryLanguage {
    #[doc(hidden)]
    pub fn is_jsonata(self) -> bool {
        self == QueryLanguage::JsonAta
    }
}
