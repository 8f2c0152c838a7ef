//! What an export targets: literal ARNs of one account and Region, or a CloudFormation stack.

use sfn_core::QueryLanguage;

/// Where the ARNs of child state machines and Lambda functions point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Literal ARNs in one partition, Region and account
    /// (`arn:aws:states:us-east-1:123456789012:stateMachine:HelloWorld`).
    Aws {
        /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
        partition: String,
        /// The Region (`us-east-1`).
        region: String,
        /// The account id (`123456789012`).
        account: String,
    },
    /// CloudFormation substitutions (`${HelloWorldArn}`), resolved by the template's
    /// `DefinitionSubstitutions` in the stack's own partition, Region and account.
    CloudFormation,
}

/// How to export: the [`Target`] of ARNs, the query language and the layout of the JSON text.
///
/// ```
/// use sfn_asl_export::ExportConfig;
/// let config = ExportConfig::aws("us-east-1", "123456789012");
/// let cfn = ExportConfig::cloudformation();
/// assert_ne!(config, cfn);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    /// Where ARNs point.
    pub target: Target,
    /// The query language asked for; `None` keeps each definition's own. Plain definitions
    /// export in the language they are written in; typed workflows lower to the one asked for.
    pub query_language: Option<QueryLanguage>,
    /// Pretty-printed JSON (the default) or compact.
    pub pretty: bool,
}

impl ExportConfig {
    /// Literal ARNs in partition `aws` of `region` and `account`.
    pub fn aws(region: impl Into<String>, account: impl Into<String>) -> Self {
        ExportConfig {
            target: Target::Aws {
                partition: "aws".into(),
                region: region.into(),
                account: account.into(),
            },
            query_language: None,
            pretty: true,
        }
    }

    /// CloudFormation substitutions: `${HelloWorldArn}` for a child state machine,
    /// `${SayHelloFunctionArn}` for a Lambda function.
    pub fn cloudformation() -> Self {
        ExportConfig {
            target: Target::CloudFormation,
            query_language: None,
            pretty: true,
        }
    }

    /// Another partition for [`Target::Aws`] (`aws-cn`, `aws-us-gov`); no effect on
    /// CloudFormation, which uses the stack's `${AWS::Partition}`.
    pub fn partition(mut self, name: impl Into<String>) -> Self {
        if let Target::Aws { partition, .. } = &mut self.target {
            *partition = name.into();
        }
        self
    }

    /// Asks for JSONPath or JSONata output.
    pub fn query_language(mut self, language: QueryLanguage) -> Self {
        self.query_language = Some(language);
        self
    }

    /// Compact JSON instead of pretty-printed.
    pub fn compact(mut self) -> Self {
        self.pretty = false;
        self
    }

    /// Whether ARNs become CloudFormation substitutions.
    pub fn is_cloudformation(&self) -> bool {
        self.target == Target::CloudFormation
    }
}

impl Default for ExportConfig {
    /// CloudFormation substitutions, the query language of each definition, pretty JSON.
    fn default() -> Self {
        ExportConfig::cloudformation()
    }
}
