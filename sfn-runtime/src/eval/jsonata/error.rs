//! JSONata's evaluation errors: codes and message templates as jsonata-js words them.

use super::value::{Val, js_stringify};

/// An evaluation error, with the inserts of its message template (boxed: results stay
/// small on the hot path).
#[derive(Debug, Clone)]
pub(crate) struct Error(Box<ErrorData>);

impl std::ops::Deref for Error {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

/// What an [`Error`] holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorData {
    pub code: &'static str,
    /// Character offset of the node that failed, when known.
    pub position: Option<usize>,
    /// The operator or function name.
    pub token: Option<String>,
    /// `JSON.stringify` of the offending value.
    pub value: Option<String>,
    /// `JSON.stringify` of a second value.
    pub value2: Option<String>,
    /// The argument number (1-based).
    pub index: Option<usize>,
    /// An array element type, for T0412.
    pub kind: Option<&'static str>,
    /// `JSON.stringify` of an exponent, for D3061.
    pub exp: Option<String>,
    /// A message given by the expression (`$error`, `$assert`) or by the evaluator.
    pub message: Option<String>,
    /// A function name, for D3140.
    pub function_name: Option<&'static str>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: &'static str) -> Self {
        Error(Box::new(ErrorData {
            code,
            ..ErrorData::default()
        }))
    }

    pub fn value(mut self, value: Option<&Val<'_>>) -> Self {
        self.value = Some(js_stringify(value));
        self
    }

    pub fn value2(mut self, value: Option<&Val<'_>>) -> Self {
        self.value2 = Some(js_stringify(value));
        self
    }

    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }

    pub fn position(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The message, with its inserts: `{{x}}` is `JSON.stringify(x)`, `{{{x}}}` is `x` itself.
    pub fn render(&self) -> String {
        let Some(template) = template(self.code) else {
            return self
                .message
                .clone()
                .unwrap_or_else(|| format!("Error {}", self.code));
        };
        let quote = |s: &Option<String>| match s {
            Some(s) => {
                let mut out = String::new();
                super::value::quote_json(s, &mut out);
                out
            }
            None => "undefined".to_owned(),
        };
        let raw = |s: &Option<String>| s.clone().unwrap_or_else(|| "undefined".to_owned());
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let triple = rest[start..].starts_with("{{{");
            let open = if triple { 3 } else { 2 };
            let close = if triple { "}}}" } else { "}}" };
            let after = &rest[start + open..];
            let Some(end) = after.find(close) else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let field = &after[..end];
            let text = match field {
                "value" if triple => raw(&self.value),
                "value" => raw(&self.value),
                "value2" => raw(&self.value2),
                "exp" => raw(&self.exp),
                "index" => self
                    .index
                    .map_or_else(|| "undefined".to_owned(), |i| i.to_string()),
                "token" if triple => raw(&self.token),
                "token" => quote(&self.token),
                "type" => quote(&self.kind.map(str::to_owned)),
                "message" if triple => raw(&self.message),
                "message" => quote(&self.message),
                "functionName" => raw(&self.function_name.map(str::to_owned)),
                _ => "undefined".to_owned(),
            };
            out.push_str(&text);
            rest = &after[end + close.len()..];
        }
        out.push_str(rest);
        out
    }
}

/// jsonata-js's `errorCodes` (the evaluation ones), plus `U1001` for this evaluator's limits.
fn template(code: &str) -> Option<&'static str> {
    Some(match code {
        "S0301" => "Empty regular expressions are not allowed",
        "S0302" => "No terminating / in regular expression",
        "S0402" => "Choice groups containing parameterized types are not supported",
        "S0401" => "Type parameters can only be applied to functions and arrays",
        "T0410" => "Argument {{index}} of function {{token}} does not match function signature",
        "T0411" => {
            "Context value is not a compatible type with argument {{index}} of function {{token}}"
        }
        "T0412" => "Argument {{index}} of function {{token}} must be an array of {{type}}",
        "D1001" => "Number out of range: {{value}}",
        "D1002" => "Cannot negate a non-numeric value: {{value}}",
        "T1003" => "Key in object structure must evaluate to a string; got: {{value}}",
        "D1004" => "Regular expression matches zero length string",
        "T1005" => "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
        "T1006" => "Attempted to invoke a non-function",
        "T1007" => "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
        "T1008" => "Attempted to partially apply a non-function",
        "D1009" => "Multiple key definitions evaluate to same key: {{value}}",
        "T1010" => {
            "The matcher function argument passed to function {{token}} does not return the correct object structure"
        }
        "T2001" => "The left side of the {{token}} operator must evaluate to a number",
        "T2002" => "The right side of the {{token}} operator must evaluate to a number",
        "T2003" => "The left side of the range operator (..) must evaluate to an integer",
        "T2004" => "The right side of the range operator (..) must evaluate to an integer",
        "T2006" => "The right side of the function application operator ~> must be a function",
        "T2007" => {
            "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause"
        }
        "T2008" => {
            "The expressions within an order-by clause must evaluate to numeric or string values"
        }
        "T2009" => {
            "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type"
        }
        "T2010" => {
            "The expressions either side of operator {{token}} must evaluate to numeric or string values"
        }
        "T2011" => {
            "The insert/update clause of the transform expression must evaluate to an object: {{value}}"
        }
        "T2012" => {
            "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}"
        }
        "T2013" => {
            "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function."
        }
        "D2014" => {
            "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}."
        }
        "D3001" => "Attempting to invoke string function on Infinity or NaN",
        "D3010" => "Second argument of replace function cannot be an empty string",
        "D3011" => "Fourth argument of replace function must evaluate to a positive number",
        "D3012" => "Attempted to replace a matched string with a non-string value",
        "D3020" => "Third argument of split function must evaluate to a positive number",
        "D3030" => "Unable to cast value to a number: {{value}}",
        "D3040" => "Third argument of match function must evaluate to a positive number",
        "D3050" => {
            "The second argument of reduce function must be a function with at least two arguments"
        }
        "D3060" => "The sqrt function cannot be applied to a negative number: {{value}}",
        "D3061" => {
            "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}"
        }
        "D3070" => {
            "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"
        }
        "D3080" => "The picture string must only contain a maximum of two sub-pictures",
        "D3081" => {
            "The sub-picture must not contain more than one instance of the 'decimal-separator' character"
        }
        "D3082" => {
            "The sub-picture must not contain more than one instance of the 'percent' character"
        }
        "D3083" => {
            "The sub-picture must not contain more than one instance of the 'per-mille' character"
        }
        "D3084" => "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
        "D3085" => {
            "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"
        }
        "D3086" => {
            "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
        }
        "D3087" => {
            "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"
        }
        "D3088" => {
            "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"
        }
        "D3089" => {
            "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character"
        }
        "D3090" => {
            "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"
        }
        "D3091" => {
            "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"
        }
        "D3092" => {
            "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"
        }
        "D3093" => {
            "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"
        }
        "D3100" => {
            "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}"
        }
        "D3110" => {
            "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}"
        }
        "D3120" => "Syntax error in expression passed to function eval: {{value}}",
        "D3121" => "Dynamic error evaluating the expression passed to function eval: {{value}}",
        "D3130" => {
            "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation"
        }
        "D3131" => "In a decimal digit pattern, all digits must be from the same decimal group",
        "D3132" => "Unknown component specifier {{value}} in date/time picture string",
        "D3133" => {
            "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}"
        }
        "D3134" => "The timezone integer format specifier cannot have more than four digits",
        "D3135" => "No matching closing bracket ']' in date/time picture string",
        "D3136" => {
            "The date/time picture string is missing specifiers required to parse the timestamp"
        }
        "D3137" => "{{{message}}}",
        "D3138" => {
            "The $single() function expected exactly 1 matching result.  Instead it matched more."
        }
        "D3139" => {
            "The $single() function expected exactly 1 matching result.  Instead it matched 0."
        }
        "D3140" => "Malformed URL passed to ${{{functionName}}}(): {{value}}",
        "D3141" => "{{{message}}}",
        "U1001" => "{{{message}}}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts() {
        let e = Error::new("T2001").token("+");
        assert_eq!(
            e.render(),
            "The left side of the \"+\" operator must evaluate to a number"
        );
        let e = Error::new("T1005").token("sum");
        assert_eq!(
            e.render(),
            "Attempted to invoke a non-function. Did you mean $sum?"
        );
        let e = Error::new("T0410").token("map").index(2);
        assert_eq!(
            e.render(),
            "Argument 2 of function \"map\" does not match function signature"
        );
        let e = Error::new("D3030").value(Some(&Val::str("a")));
        assert_eq!(e.render(), "Unable to cast value to a number: \"a\"");
    }
}
