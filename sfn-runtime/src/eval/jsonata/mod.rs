//! JSONata evaluation, as Step Functions does it.
//!
//! The evaluator follows jsonata-js 2.0.6 (`src/jsonata.js`, `src/functions.js`,
//! `src/datetime.js`), the version Step Functions runs: sequences and their flattening,
//! `undefined` apart from `null`, tuple streams for `@`, `#` and `%`, predicates, order-by,
//! grouping, transforms, closures, partial application, tail calls, signatures, and the
//! function library with jsonata-js's error codes and messages. Numbers are `f64`; integral
//! results come out as JSON integers. Regular expressions have JavaScript's syntax and match
//! on UTF-16 code units, as in JavaScript.
//!
//! Step Functions' additions are bound as globals: `$states` ([`Bindings::states`]), the
//! workflow variables ([`Bindings::variables`]) and the functions `$partition`, `$range`,
//! `$hash`, `$random([seed])`, `$uuid` and `$parse`. A variable `$x` is looked up first among
//! the names the expression binds (`:=`, lambda parameters), then among the workflow
//! variables, then `$states`, then the built-in functions. `$eval` is not available (calling
//! it is `T1006`, as for any undefined function).
//!
//! Time and randomness come from an [`Environment`]; [`evaluate`] uses the system clock and
//! a random seed, [`evaluate_with`] takes any environment (see [`FixedEnvironment`] for
//! reproducible tests) and [`Limits`].
//!
//! Evaluation never panics: nesting is bounded ([`Limits::max_depth`], evaluated with a
//! growable stack so deep recursion cannot overflow the thread's stack), and so is the
//! amount of work ([`Limits::max_steps`]).

mod datetime;
mod error;
mod eval;
mod format;
mod functions;
mod number;
mod regex;
mod signature;
mod value;

use serde_json::Value;
use sfn_core::jsonata::Expression;

use super::Variables;
use value::ToJsonError;

/// What a JSONata expression can read: `$states` and the workflow variables.
pub struct Bindings<'a> {
    /// The value of `$states`: `{"input", "context", "result"?, "errorOutput"?}`.
    pub states: &'a Value,
    /// The workflow variables in scope.
    pub variables: &'a dyn Variables,
}

/// A JSONata expression that failed to evaluate.
///
/// `message` is what Step Functions shows after "threw an error during evaluation. ": the
/// JSONata code and message, as in `T1006: Attempted to invoke a non-function`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonataFailure {
    /// JSONata's error code (`T2001`, `D3001`, …), when it has one.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
}

impl JsonataFailure {
    /// The code of the failure for a result that is not JSON (a function).
    pub const UNSUPPORTED_RESULT: &'static str = "SFN.UnsupportedResult";

    /// Whether the expression evaluated to something that is not JSON (a function, or a
    /// structure holding one): Step Functions reports "returned an unsupported result type".
    pub fn is_unsupported_result(&self) -> bool {
        self.code.as_deref() == Some(Self::UNSUPPORTED_RESULT)
    }
}

/// Where an evaluation gets the time and random numbers from.
pub trait Environment {
    /// The current time, in milliseconds since the Unix epoch. Read once per evaluation:
    /// `$now()` and `$millis()` give the same instant throughout an expression.
    fn now_millis(&mut self) -> i64;

    /// A random number in `[0, 1)`, for `$random()` and `$shuffle`.
    fn random(&mut self) -> f64;

    /// A random (version 4) UUID, for `$uuid()`.
    fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        for chunk in bytes.chunks_mut(4) {
            let bits = (self.random() * 4_294_967_296.0) as u32;
            chunk.copy_from_slice(&bits.to_be_bytes());
        }
        uuid_v4(bytes)
    }
}

/// Formats 16 random bytes as a version-4 UUID.
fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A small, fast pseudo-random generator (xorshift64*), enough for `$random`.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // SplitMix64 of the seed, never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The system clock and a randomly seeded generator.
#[derive(Debug, Clone)]
pub struct SystemEnvironment {
    rng: Rng,
}

impl SystemEnvironment {
    /// A new environment with a random seed.
    pub fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        SystemEnvironment {
            rng: Rng::new(hasher.finish()),
        }
    }
}

impl Default for SystemEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

impl Environment for SystemEnvironment {
    fn now_millis(&mut self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    fn random(&mut self) -> f64 {
        self.rng.next_f64()
    }
}

/// A fixed instant and a seeded generator: evaluations are reproducible.
#[derive(Debug, Clone)]
pub struct FixedEnvironment {
    /// What `$millis()` returns.
    pub now_millis: i64,
    rng: Rng,
}

impl FixedEnvironment {
    /// The instant `now_millis` and random numbers from `seed`.
    pub fn new(now_millis: i64, seed: u64) -> Self {
        FixedEnvironment {
            now_millis,
            rng: Rng::new(seed),
        }
    }
}

impl Environment for FixedEnvironment {
    fn now_millis(&mut self) -> i64 {
        self.now_millis
    }

    fn random(&mut self) -> f64 {
        self.rng.next_f64()
    }
}

/// Bounds on one evaluation. Exceeding one is JSONata error `U1001` (the code jsonata-js's
/// test suite uses for the same checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many expression evaluations may be nested (each node evaluated inside another
    /// counts one; a call in tail position does not add to it).
    pub max_depth: usize,
    /// How many expression evaluations (and function-library iterations) one evaluation may
    /// perform in all.
    pub max_steps: u64,
    /// How much data one evaluation may create, in values: array items and object members
    /// made, and 16 bytes of string text for one. Values share their parts, so this bounds
    /// the memory an expression can take (a loop doubling an array, say) well before the
    /// machine runs out.
    pub max_allocation: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 1000,
            max_steps: 10_000_000,
            max_allocation: 50_000_000,
        }
    }
}

/// Evaluates `expr`; `None` is JSONata's `undefined`. Uses the system clock, fresh random
/// numbers and the default [`Limits`].
pub fn evaluate(
    expr: &Expression,
    bindings: &Bindings<'_>,
) -> Result<Option<Value>, JsonataFailure> {
    evaluate_with(
        expr,
        bindings,
        &mut SystemEnvironment::new(),
        Limits::default(),
    )
}

/// Evaluates `expr` with the time and random numbers of `environment`, within `limits`;
/// `None` is JSONata's `undefined`.
pub fn evaluate_with(
    expr: &Expression,
    bindings: &Bindings<'_>,
    environment: &mut dyn Environment,
    limits: Limits,
) -> Result<Option<Value>, JsonataFailure> {
    evaluate_on(expr, None, bindings, environment, limits)
}

/// Evaluates `expr` against a context document `input` (`$` and `$$`), as plain JSONata
/// does. Step Functions has no context document (its expressions read `$states.input`);
/// this is for using the evaluator outside a state machine, and for tests.
pub fn evaluate_on(
    expr: &Expression,
    input: Option<&Value>,
    bindings: &Bindings<'_>,
    environment: &mut dyn Environment,
    limits: Limits,
) -> Result<Option<Value>, JsonataFailure> {
    let mut evaluator =
        eval::Evaluator::new(bindings.states, bindings.variables, environment, limits);
    let env = evaluator.new_env(None);
    let input = input.map(value::Val::from_json);
    env.bind("$", input.clone());
    // An array input is wrapped, so that paths see it as one value (jsonata-js
    // `outerWrapper`).
    let input = match input {
        Some(value::Val::Arr(a)) => {
            let mut wrapper = value::Arr::seq(vec![value::Val::Arr(a)]);
            wrapper.outer_wrapper = true;
            Some(value::Val::arr(wrapper))
        }
        other => other,
    };
    let result = evaluator.eval(expr.ast(), &input, &env);
    let converted = match result {
        Ok(None) => Ok(None),
        Ok(Some(v)) => match value::to_json(&v) {
            Ok(json) => Ok(Some(json)),
            Err(ToJsonError::Function) => Err(JsonataFailure {
                code: Some(JsonataFailure::UNSUPPORTED_RESULT.to_owned()),
                message: "returned an unsupported result type".to_owned(),
            }),
            Err(ToJsonError::NonFinite(n)) => Err(failure(
                &error::Error::new("D1001").value(Some(&value::Val::Num(n))),
            )),
            Err(ToJsonError::TooDeep) => {
                Err(failure(&error::Error::new("U1001").message(format!(
                    "The result nests more than {} levels deep",
                    value::MAX_RESULT_DEPTH
                ))))
            }
            Err(ToJsonError::TooLarge) => {
                Err(failure(&error::Error::new("U1001").message(format!(
                    "The result holds more than {} values",
                    value::MAX_RESULT_NODES
                ))))
            }
        },
        Err(e) => Err(failure(&e)),
    };
    drop(env);
    evaluator.release();
    converted
}

fn failure(e: &error::Error) -> JsonataFailure {
    let message = e.render();
    if e.code.is_empty() {
        JsonataFailure {
            code: None,
            message,
        }
    } else {
        JsonataFailure {
            code: Some(e.code.to_owned()),
            message: format!("{}: {message}", e.code),
        }
    }
}

#[cfg(test)]
mod tests;
