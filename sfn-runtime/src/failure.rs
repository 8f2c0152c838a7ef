//! Errors as ASL sees them: an error name and a cause.

use serde_json::{Value, json};

/// An error raised in an execution: what `Catch` matches and what an execution fails with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name (`States.Timeout`, `Lambda.Unknown`, a Fail state's `Error`…); `None` when
    /// a task failed without one (`SendTaskFailure` with no error).
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
}

/// Names AWS predefines.
pub mod names {
    /// Matches every error but `States.Runtime`.
    pub const ALL: &str = "States.ALL";
    /// Unprocessable data: never retried or caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// A task failed; also matches every error but `States.Timeout`.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A timeout.
    pub const TIMEOUT: &str = "States.Timeout";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A JSONata expression failed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    /// `ResultPath` could not be applied.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// No Choice rule matched and there is no `Default`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A payload exceeded 256 KiB.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// A Map's failures exceeded its tolerance.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
}

impl Failure {
    /// A failure with an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    /// `States.Runtime` with a cause.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Failure::new(names::RUNTIME, cause)
    }

    /// Whether a `Retry` or `Catch` entry with these `ErrorEquals` handles this failure.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        let name = self.error.as_deref().unwrap_or_default();
        if name == names::RUNTIME {
            return false;
        }
        error_equals.iter().any(|e| {
            e == name || e == names::ALL || (e == names::TASK_FAILED && name != names::TIMEOUT)
        })
    }

    /// The error output a catcher receives: `{"Error": …, "Cause": …}`. A task that timed
    /// out has no cause in its events, yet AWS hands its catcher an empty one.
    pub fn output(&self) -> Value {
        let cause = match (&self.cause, self.error.as_deref()) {
            (None, Some(names::TIMEOUT)) => Some(""),
            (cause, _) => cause.as_deref(),
        };
        json!({"Error": self.error, "Cause": cause})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_output_of_a_timeout_has_an_empty_cause() {
        let timeout = Failure {
            error: Some(names::TIMEOUT.into()),
            cause: None,
        };
        assert_eq!(
            timeout.output(),
            json!({"Error": "States.Timeout", "Cause": ""})
        );
        let other = Failure {
            error: Some("Custom".into()),
            cause: None,
        };
        assert_eq!(other.output(), json!({"Error": "Custom", "Cause": null}));
    }

    #[test]
    fn matching_follows_the_predefined_names() {
        let custom = Failure::new("Custom", "c");
        assert!(custom.matches(&["States.ALL".into()]));
        assert!(custom.matches(&["States.TaskFailed".into()]));
        assert!(custom.matches(&["Other".into(), "Custom".into()]));
        let timeout = Failure::new(names::TIMEOUT, "t");
        assert!(!timeout.matches(&["States.TaskFailed".into()]));
        assert!(timeout.matches(&["States.ALL".into()]));
        let runtime = Failure::runtime("r");
        assert!(!runtime.matches(&["States.ALL".into(), "States.Runtime".into()]));
    }
}
