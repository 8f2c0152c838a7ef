//! Golden files: each `golden/<case>.asl.json` exported for an account (`<case>.aws.asl.json`),
//! for CloudFormation (`<case>.cfn.asl.json`), and its policy (`<case>.aws.iam.json`).
//! `SFN_BLESS=1 cargo test -p sfn-asl-export --test golden` rewrites the expected files; review
//! the diff like code.

use std::path::{Path, PathBuf};

use sfn_asl_export::{ExportConfig, definition_json, iam_policy};
use sfn_core::StateMachine;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let case = name.strip_suffix(".asl.json")?.to_owned();
            (!case.contains('.')).then_some((case, name))
        })
        .collect();
    cases.sort();
    cases
}

fn check(expected: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("SFN_BLESS").is_some() {
        std::fs::write(expected, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(expected) {
        Ok(text) if text == actual => {}
        Ok(text) => failures.push(format!(
            "{} differs:\n--- expected\n{text}\n--- actual\n{actual}",
            expected.display()
        )),
        Err(_) => failures.push(format!(
            "{} is missing; run with SFN_BLESS=1",
            expected.display()
        )),
    }
}

#[test]
fn every_case_matches_its_golden_files() {
    let dir = golden_dir();
    let aws = ExportConfig::aws("us-east-1", "123456789012");
    let cfn = ExportConfig::cloudformation();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(
        cases.len() >= 6,
        "golden cases not found in {}",
        dir.display()
    );
    for (case, file) in cases {
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        let machine = StateMachine::from_json_str(&text).unwrap();
        let out = definition_json("Parent", &machine, &aws).unwrap();
        check(
            &dir.join(format!("{case}.aws.asl.json")),
            &out,
            &mut failures,
        );
        let out = definition_json("Parent", &machine, &cfn).unwrap();
        check(
            &dir.join(format!("{case}.cfn.asl.json")),
            &out,
            &mut failures,
        );
        let policy = iam_policy("Parent", &machine, &aws).unwrap();
        let out = serde_json::to_string_pretty(&policy.to_json()).unwrap() + "\n";
        check(
            &dir.join(format!("{case}.aws.iam.json")),
            &out,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The seed document's five states come out byte for byte (DSL.md §5): keys, key order and
/// values of the input, pretty-printed.
#[test]
fn seed_examples_export_byte_for_byte() {
    let aws = ExportConfig::aws("us-east-1", "123456789012");
    for case in [
        "sync2",
        "sync",
        "request_response",
        "wait_for_task_token",
        "sync_associate",
    ] {
        let text = std::fs::read_to_string(golden_dir().join(format!("{case}.asl.json"))).unwrap();
        let machine = StateMachine::from_json_str(&text).unwrap();
        assert_eq!(
            definition_json("Parent", &machine, &aws).unwrap(),
            text,
            "{case}"
        );
    }
}

#[test]
fn exports_are_stable() {
    for (_, file) in cases() {
        let text = std::fs::read_to_string(golden_dir().join(&file)).unwrap();
        let machine = StateMachine::from_json_str(&text).unwrap();
        let config = ExportConfig::cloudformation();
        let first = definition_json("P", &machine, &config).unwrap();
        // Reading the export back and exporting again gives the same bytes.
        let again = StateMachine::from_json_str(&first).unwrap();
        assert_eq!(definition_json("P", &again, &config).unwrap(), first);
        assert_eq!(definition_json("P", &machine, &config).unwrap(), first);
    }
}
