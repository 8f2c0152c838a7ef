//! Unit tests of the evaluator through its public API: operators, paths, functions, the Step
//! Functions bindings, errors as Step Functions shows them, limits, and property tests that
//! evaluation never panics. (The JSONata test suite runs in `tests/jsonata_suite`.)

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use sfn_core::jsonata::Expression;

use super::*;
use crate::eval::NoVariables;

fn parse(expr: &str) -> Expression {
    Expression::parse(&format!("{{%{expr}%}}")).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn run_on(expr: &str, input: Option<Value>) -> Result<Option<Value>, JsonataFailure> {
    let e = parse(expr);
    let states = json!({"input": {"a": 1, "list": [1, 2, 3]}, "context": {}});
    let bindings = Bindings {
        states: &states,
        variables: &NoVariables,
    };
    evaluate_on(
        &e,
        input.as_ref(),
        &bindings,
        &mut FixedEnvironment::new(1_521_801_216_617, 7),
        Limits::default(),
    )
}

fn ok(expr: &str) -> Value {
    run_on(expr, None)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .unwrap_or_else(|| panic!("{expr}: undefined"))
}

fn ok_on(expr: &str, input: Value) -> Value {
    run_on(expr, Some(input))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .unwrap_or_else(|| panic!("{expr}: undefined"))
}

fn undefined(expr: &str) {
    assert_eq!(run_on(expr, None).unwrap(), None, "{expr}");
}

fn fails(expr: &str) -> JsonataFailure {
    match run_on(expr, None) {
        Err(e) => e,
        Ok(v) => panic!("{expr}: expected an error, got {v:?}"),
    }
}

#[test]
fn arithmetic_and_integral_results() {
    assert_eq!(ok("1 + 2"), json!(3));
    assert!(ok("1 + 2").is_u64());
    assert_eq!(ok("7 / 2"), json!(3.5));
    assert_eq!(ok("-7 % 3"), json!(-1));
    assert_eq!(ok("2 * -3"), json!(-6));
    assert_eq!(ok("-(1 + 2)"), json!(-3));
    assert_eq!(ok("0.1 + 0.2"), json!(0.30000000000000004));
    undefined("1 + nothing");
}

#[test]
fn comparison_and_logic() {
    assert_eq!(ok("1 < 2 and 'a' < 'b'"), json!(true));
    assert_eq!(ok("1 = 1.0"), json!(true));
    assert_eq!(ok("[1, {'a': [2]}] = [1, {'a': [2]}]"), json!(true));
    assert_eq!(ok("false or nothing"), json!(false));
    assert_eq!(ok("2 in [1, 2]"), json!(true));
    // `and` does not evaluate its right side when the left is false.
    assert_eq!(ok("false and $error('not evaluated')"), json!(false));
    assert_eq!(ok("true or $error('not evaluated')"), json!(true));
}

#[test]
fn strings_and_concatenation() {
    assert_eq!(
        ok("'a' & 1 & true & null & [1, 'b']"),
        json!("a1truenull[1,\"b\"]")
    );
    assert_eq!(ok("'x' & nothing"), json!("x"));
    assert_eq!(
        ok("$string(1e21) & '|' & $string(1e-7)"),
        json!("1e+21|1e-7")
    );
}

#[test]
fn paths_sequences_and_arrays() {
    let data = json!({"orders": [{"items": [{"p": 1}, {"p": 2}]}, {"items": [{"p": 3}]}]});
    assert_eq!(ok_on("orders.items.p", data.clone()), json!([1, 2, 3]));
    assert_eq!(ok_on("orders[1].items.p", data.clone()), json!(3));
    assert_eq!(ok_on("orders[1].items.p[]", data.clone()), json!([3]));
    assert_eq!(ok_on("orders.items[p > 1].p", data.clone()), json!([2, 3]));
    assert_eq!(ok_on("orders[0].items[-1].p", data.clone()), json!(2));
    assert_eq!(ok_on("$count(orders.items)", data.clone()), json!(3));
    assert_eq!(
        ok_on("orders.items{ $string(p): p * 10 }", data.clone()),
        json!({"1": 10, "2": 20, "3": 30})
    );
    assert_eq!(
        ok_on("orders#$i.items.{'o': $i, 'p': p}", data.clone()),
        json!([{"o": 0, "p": 1}, {"o": 0, "p": 2}, {"o": 1, "p": 3}])
    );
    assert_eq!(
        ok_on("orders.items.{'p': p, 'n': $count(%.items)}", data.clone()),
        json!([{"p": 1, "n": 2}, {"p": 2, "n": 2}, {"p": 3, "n": 1}])
    );
    assert_eq!(ok_on("orders.items^(>p).p", data), json!([3, 2, 1]));
    assert_eq!(ok("[1..3, [4]]"), json!([1, 2, 3, [4]]));
    assert_eq!(ok("[[1, 2]][0]"), json!([1, 2]));
}

#[test]
fn states_and_workflow_variables() {
    let states = json!({"input": {"x": 5}, "context": {"Execution": {"Name": "e1"}}});
    let mut variables = HashMap::new();
    variables.insert("x".to_owned(), json!(10));
    variables.insert("sum".to_owned(), json!("not a function"));
    let bindings = Bindings {
        states: &states,
        variables: &variables,
    };
    let eval = |text: &str| evaluate(&parse(text), &bindings);
    assert_eq!(eval("$states.input.x + $x").unwrap(), Some(json!(15)));
    assert_eq!(
        eval("$states.context.Execution.Name").unwrap(),
        Some(json!("e1"))
    );
    // A name bound in the expression comes first, then the workflow variables.
    assert_eq!(eval("($x := 1; $x)").unwrap(), Some(json!(1)));
    assert_eq!(eval("function($x){ $x * 2 }(4)").unwrap(), Some(json!(8)));
    // A workflow variable named like a built-in hides it.
    assert_eq!(
        eval("$sum([1])").unwrap_err().code.as_deref(),
        Some("T1006")
    );
    assert_eq!(eval("$unknown").unwrap(), None);
    // `$` has no document at the top level in Step Functions.
    assert_eq!(eval("$").unwrap(), None);
}

#[test]
fn failures_read_as_step_functions_shows_them() {
    let e = fails("'a' + 1");
    assert_eq!(e.code.as_deref(), Some("T2001"));
    assert_eq!(
        e.message,
        "T2001: The left side of the \"+\" operator must evaluate to a number"
    );
    let e = fails("$randomSeeded(1)");
    assert_eq!(e.message, "T1006: Attempted to invoke a non-function");
    let e = fails("$substring('a', 'b')");
    assert_eq!(
        e.message,
        "T0410: Argument 2 of function \"substring\" does not match function signature"
    );
    let e = fails("$sum(['a'])");
    assert_eq!(
        e.message,
        "T0412: Argument 1 of function \"sum\" must be an array of \"numbers\""
    );
    let e = fails("$error('custom')");
    assert_eq!(e.message, "D3137: custom");
    let e = fails("sum([1])");
    assert_eq!(
        e.message,
        "T1005: Attempted to invoke a non-function. Did you mean $sum?"
    );
    let e = fails("$number('x')");
    assert_eq!(e.message, "D3030: Unable to cast value to a number: \"x\"");
    let e = fails("[1,2] < 3");
    assert_eq!(
        e.message,
        "T2010: The expressions either side of operator \"<\" must evaluate to numeric or string values"
    );
    let e = fails("1/0");
    assert_eq!(e.message, "D1001: Number out of range: null");
    let e = fails("$contains('a', /a{2,1}/)");
    assert_eq!(e.code, None);
    assert!(
        e.message.starts_with("Invalid regular expression"),
        "{}",
        e.message
    );
}

#[test]
fn functions_are_not_results() {
    for expr in [
        "function($x){$x}",
        "$sum",
        "/a/",
        "[$sum]",
        "{'f': $sum}",
        "/a/('xa')",
    ] {
        let e = fails(expr);
        assert!(e.is_unsupported_result(), "{expr}: {e:?}");
    }
    assert_eq!(
        ok("$match('ab', /b/)"),
        json!({"match": "b", "index": 1, "groups": []})
    );
    assert_eq!(ok("$string({'f': $sum})"), json!("{\"f\":\"\"}"));
}

#[test]
fn environment_makes_time_and_randomness_reproducible() {
    let states = json!({"input": {}});
    let bindings = Bindings {
        states: &states,
        variables: &NoVariables,
    };
    let expr = parse("[$now(), $millis(), $random(), $uuid(), $shuffle([1,2,3,4,5,6,7,8])]");
    let run = |seed| {
        evaluate_with(
            &expr,
            &bindings,
            &mut FixedEnvironment::new(0, seed),
            Limits::default(),
        )
        .unwrap()
        .unwrap()
    };
    let a = run(1);
    assert_eq!(a, run(1));
    assert_ne!(a, run(2));
    assert_eq!(a[0], json!("1970-01-01T00:00:00.000Z"));
    assert_eq!(a[1], json!(0));
    // The system environment gives a current time and fresh numbers.
    let now = evaluate(&parse("$millis()"), &bindings).unwrap().unwrap();
    assert!(now.as_u64().unwrap() > 1_600_000_000_000);
}

#[test]
fn limits_bound_recursion_and_work() {
    let states = json!({"input": {}});
    let bindings = Bindings {
        states: &states,
        variables: &NoVariables,
    };
    let run = |text: &str, limits: Limits| {
        evaluate_with(
            &parse(text),
            &bindings,
            &mut FixedEnvironment::new(0, 0),
            limits,
        )
    };
    // Deep non-tail recursion: an error, not a stack overflow (even with a huge limit).
    let deep = "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(5000))";
    let e = run(deep, Limits::default()).unwrap_err();
    assert_eq!(e.code.as_deref(), Some("U1001"));
    let generous = Limits {
        max_depth: 100_000,
        ..Limits::default()
    };
    assert_eq!(run(deep, generous).unwrap(), Some(json!(5000)));
    // Tail recursion runs in constant depth.
    let tail = "($f := function($n, $acc) { $n = 0 ? $acc : $f($n - 1, $acc + 1) }; $f(20000, 0))";
    assert_eq!(run(tail, Limits::default()).unwrap(), Some(json!(20000)));
    // An endless loop stops at the step budget.
    let endless = "($f := function() { $f() }; $f())";
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    assert_eq!(
        run(endless, limits).unwrap_err().code.as_deref(),
        Some("U1001")
    );
}

#[test]
fn deeply_nested_values_are_handled() {
    let states = json!({"input": {}});
    let bindings = Bindings {
        states: &states,
        variables: &NoVariables,
    };
    let limits = Limits {
        max_steps: 50_000_000,
        ..Limits::default()
    };
    let run = |text: &str| {
        evaluate_with(
            &parse(text),
            &bindings,
            &mut FixedEnvironment::new(0, 0),
            limits,
        )
    };
    // 200,000 levels of nesting: compared, written and dropped without recursion limits.
    let deep = "$reduce([1..200000], function($a, $v) { [[$a]] }, [])";
    assert_eq!(
        run(&format!("($d := {deep}; $d = $d)")).unwrap(),
        Some(json!(true))
    );
    assert_eq!(
        run(&format!("$length($string({deep}))")).unwrap(),
        Some(json!(400_002))
    );
    // Too deep to return as JSON.
    assert_eq!(run(deep).unwrap_err().code.as_deref(), Some("U1001"));
    let shallow = "$reduce([1..10], function($a, $v) { {'x': $a} }, {})";
    assert!(run(shallow).unwrap().is_some());
}

#[test]
fn transforms_copy_and_update() {
    let data = json!({"a": {"b": 1, "c": {"b": 2}}, "d": [{"b": 3}]});
    assert_eq!(
        ok_on("$ ~> |**[$exists(b)]|{'b': b * 10}|", data.clone()),
        json!({"a": {"b": 10, "c": {"b": 20}}, "d": [{"b": 30}]})
    );
    assert_eq!(
        ok_on("$ ~> |a|{}, 'c'|", data.clone()),
        json!({"a": {"b": 1}, "d": [{"b": 3}]})
    );
    // The input is unchanged.
    assert_eq!(ok_on("($ ~> |a|{'b': 0}|; a.b)", data), json!(1));
    assert_eq!(fails("{} ~> |$|5|").code.as_deref(), Some("T2011"));
}

#[test]
fn regular_expressions_follow_javascript() {
    assert_eq!(ok("$match('a1b22', /[0-9]+/).match"), json!(["1", "22"]));
    assert_eq!(ok("$replace('aaa', /a/i, 'b', 2)"), json!("bba"));
    assert_eq!(ok("$split('a1b2c', /[0-9]/)"), json!(["a", "b", "c"]));
    assert_eq!(ok("/^a.c$/m('x\\nabc').start"), json!(2));
    assert_eq!(ok("$contains('😀x', /^.x/)"), json!(false));
    assert_eq!(
        ok("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')"),
        json!("Smith, John")
    );
    assert_eq!(fails("$match('abc', /x*/)").code.as_deref(), Some("D1004"));
}

#[test]
fn object_keys_keep_javascript_order() {
    assert_eq!(
        serde_json::to_string(&ok("{'b': 1, '2': 2, 'a': 3, '1': 4}")).unwrap(),
        "{\"1\":4,\"2\":2,\"b\":1,\"a\":3}"
    );
}

/// Fragments of expressions, combined at random.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("$states.input".to_owned()),
        Just("$states.input.a".to_owned()),
        Just("$states.input.list".to_owned()),
        Just("a".to_owned()),
        Just("$".to_owned()),
        Just("$$".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("'s'".to_owned()),
        Just("''".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("$x".to_owned()),
        Just("/a+/".to_owned()),
        Just("%".to_owned()),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        prop_oneof![Just(0.5f64), Just(1e300), Just(-1e-9)].prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let functions = prop_oneof![
            Just("sum"),
            Just("count"),
            Just("string"),
            Just("number"),
            Just("substring"),
            Just("split"),
            Just("join"),
            Just("map"),
            Just("filter"),
            Just("reduce"),
            Just("sort"),
            Just("keys"),
            Just("lookup"),
            Just("merge"),
            Just("spread"),
            Just("formatNumber"),
            Just("formatBase"),
            Just("formatInteger"),
            Just("parseInteger"),
            Just("fromMillis"),
            Just("toMillis"),
            Just("round"),
            Just("power"),
            Just("replace"),
            Just("match"),
            Just("pad"),
            Just("zip"),
            Just("distinct"),
            Just("partition"),
            Just("range"),
            Just("hash"),
            Just("parse"),
            Just("each"),
            Just("sift"),
            Just("single"),
            Just("append"),
            Just("boolean"),
            Just("encodeUrl"),
            Just("decodeUrlComponent"),
            Just("base64decode"),
            Just("type"),
        ];
        let operators = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("&"),
            Just("="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("and"),
            Just("or"),
            Just("in"),
            Just("~>"),
        ];
        prop_oneof![
            (inner.clone(), operators, inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (functions, prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(f, args)| format!("${f}({})", args.join(", "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}.{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[{b}]")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}{{'k': {b}}}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}^({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}@$v.{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}#$i[{b}]")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a} ? {b} : {c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("($x := {a}; {b})")),
            inner
                .clone()
                .prop_map(|a| format!("function($x){{ {a} }}($x)")),
            inner.clone().prop_map(|a| format!("[{a}, {a}]")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} ~> |$|{{'k': {b}}}|")),
            inner.clone().prop_map(|a| format!("-{a}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn evaluation_never_panics(expr in expression()) {
        if std::env::var_os("JSONATA_PROP_LOG").is_some() {
            eprintln!("EXPR {expr}");
        }
        if let Ok(e) = Expression::parse(&format!("{{%{expr}%}}")) {
            let states = json!({"input": {"a": [1, {"b": "x"}], "list": [3, 1, 2]}, "context": {}});
            let bindings = Bindings { states: &states, variables: &NoVariables };
            let limits = Limits { max_depth: 200, max_steps: 200_000, max_allocation: 2_000_000 };
            let input = json!({"a": {"a": [1, 2]}});
            let _ = evaluate_on(&e, Some(&input), &bindings, &mut FixedEnvironment::new(0, 3), limits);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~λ]{0,40}") {
        if let Ok(e) = Expression::parse(&format!("{{%{text}%}}")) {
            let states = json!({"input": [1, "a", {"b": null}], "context": {}});
            let bindings = Bindings { states: &states, variables: &NoVariables };
            let limits = Limits { max_depth: 200, max_steps: 200_000, max_allocation: 2_000_000 };
            let _ = evaluate_with(&e, &bindings, &mut FixedEnvironment::new(0, 3), limits);
        }
    }

    #[test]
    fn functions_on_arbitrary_arguments_never_panic(
        f in prop_oneof![
            Just("formatNumber"), Just("formatInteger"), Just("parseInteger"), Just("fromMillis"),
            Just("toMillis"), Just("pad"), Just("substring"), Just("replace"), Just("split"),
            Just("match"), Just("round"), Just("formatBase"), Just("number"), Just("decodeUrl"),
            Just("base64decode"), Just("power"), Just("range"), Just("partition"), Just("hash")
        ],
        a in prop_oneof![
            Just(json!(0)), Just(json!(-1.5)), Just(json!(1e308)), Just(json!(123456789)),
            Just(json!("")), Just(json!("[Y0001]-[M01]")), Just(json!("#,##0.00")),
            Just(json!("%E0%A4%A")), Just(json!("w")), Just(json!("I;o")), Just(json!([1, "a"])),
            Just(json!(null)), Just(json!({"a": 1}))
        ],
        b in prop_oneof![
            Just(json!(0)), Just(json!(-3)), Just(json!(2.5)), Just(json!(1e10)), Just(json!("")),
            Just(json!("[H01]:[m01]")), Just(json!("00.0e0")), Just(json!("a")),
            Just(json!("0,,0")), Just(json!("[")), Just(json!("SHA-1")), Just(json!(null))
        ],
    ) {
        let mut variables = HashMap::new();
        variables.insert("a".to_owned(), a);
        variables.insert("b".to_owned(), b);
        let states = json!({"input": {}});
        let bindings = Bindings { states: &states, variables: &variables };
        let limits = Limits { max_depth: 200, max_steps: 200_000, max_allocation: 2_000_000 };
        for text in [format!("${f}($a, $b)"), format!("${f}($a)"), format!("${f}($a, $b, $b)")] {
            let e = parse(&text);
            let _ = evaluate_with(&e, &bindings, &mut FixedEnvironment::new(0, 3), limits);
        }
    }
}
