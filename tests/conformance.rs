//! Conformance with executions recorded on AWS Step Functions.
//!
//! Every case of `<corpus>/conformance/cases` (the corpus is `$SFN_CORPUS_DIR`, or `../shared`
//! beside the workspace) runs in-process with the inputs `conformance/check.py` would give
//! `sfn run`, and its result is scored with a port of check.py's rules (normalisation,
//! wildcards, outcome and event-type comparison), so this test and
//! `python3 ../shared/conformance/check.py --cmd target/release/sfn` agree case by case.
//! Like check.py it skips what the manifest marks `partial` and recordings with an `UNKNOWN`
//! status; `stub_cases/` is not run (check.py runs it only when asked with `--cases`).
//!
//! A case fails when its outcome or its history (where the recording's is complete) does not
//! match. The test fails on every failing case not listed in
//! `tests/conformance/known_failures.txt`, and on every listed case that now passes or no
//! longer runs: the list only shrinks.
//!
//! Environment:
//! - `SFN_CONFORMANCE_BLESS=1` rewrites `known_failures.txt` with the current failures
//!   instead of failing: `SFN_CONFORMANCE_BLESS=1 cargo test --test conformance`.
//! - `SFN_CONFORMANCE_FILTER=REGEX` runs only the case ids it matches (like check.py's
//!   `--filter`); listed cases outside the filter are not checked.
//! - `SFN_CONFORMANCE_REPORT=FILE` writes every case's verdict as JSON, shaped like
//!   check.py's `--json-report`, to compare the two.

#![cfg(feature = "runtime")]

mod common;
#[path = "conformance/corpus.rs"]
mod corpus;
#[path = "conformance/normalise.rs"]
mod normalise;
#[path = "conformance/pyjson.rs"]
mod pyjson;
#[path = "conformance/score.rs"]
mod score;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use corpus::Case;
use normalise::CaseRules;
use score::{Level, Verdict, compare_history, score_outcome};

/// Real time one case may take (virtual time makes waits instant, so this only stops a hung
/// runtime); check.py's default is 20 s.
const CASE_BUDGET: Duration = Duration::from_secs(20);

/// How many new failures the test's message details.
const DETAILED_FAILURES: usize = 20;

/// One case's verdict (a record of check.py's report).
struct Record {
    id: String,
    category: String,
    /// Why the case was not run.
    skipped: Option<String>,
    outcome: Verdict,
    /// How the outcome matched when it passed.
    level: Option<Level>,
    /// Which normalisation matched, when not the recording's own.
    variant: Option<&'static str>,
    /// A remark on the normalisation.
    note: Option<&'static str>,
    /// `None` where the recorded history is incomplete (`n/a`).
    history: Option<Verdict>,
}

impl Record {
    fn ran(&self) -> bool {
        self.skipped.is_none()
    }

    /// Passed: outcome and (where compared) history.
    fn passed(&self) -> bool {
        self.ran() && self.outcome.passed && self.history.as_ref().is_none_or(|h| h.passed)
    }

    /// The short diff of a failing case: check.py's reasons and differences.
    fn describe(&self) -> String {
        let mut out = format!("  {}\n", self.id);
        if !self.outcome.passed {
            out.push_str(&format!("      outcome: {}\n", self.outcome.reason));
            for d in self.outcome.diff.iter().take(5) {
                out.push_str(&format!("        {}\n", pyjson::cut(d, 300)));
            }
        }
        if let Some(h) = self.history.as_ref().filter(|h| !h.passed) {
            out.push_str(&format!("      history: {}\n", h.reason));
            for d in &h.diff {
                out.push_str(&format!("        {d}\n"));
            }
        }
        out
    }

    /// The record as check.py's `--json-report` writes it.
    fn to_json(&self) -> Value {
        let mut r = json!({"case_id": self.id, "category": self.category});
        if let Some(reason) = &self.skipped {
            r["skipped"] = json!(true);
            r["skip_reason"] = json!(reason);
            r["outcome"] = json!("skipped");
            r["history"] = json!("n/a");
            return r;
        }
        r["skipped"] = json!(false);
        r["outcome"] = json!(if self.outcome.passed { "pass" } else { "fail" });
        if self.outcome.passed {
            r["match"] = json!(match self.level {
                Some(Level::Wildcard) => "wildcard",
                _ => "exact",
            });
            if let Some(variant) = self.variant {
                r["normalisation"] = json!(variant);
            }
            if let Some(note) = self.note {
                r["note"] = json!(note);
            }
        } else {
            r["outcome_reason"] = json!(self.outcome.reason);
            r["outcome_diff"] = json!(self.outcome.diff.iter().take(10).collect::<Vec<_>>());
        }
        r["history"] = json!(match &self.history {
            None => "n/a",
            Some(h) if h.passed => "pass",
            Some(_) => "fail",
        });
        if let Some(h) = self.history.as_ref().filter(|h| !h.passed) {
            r["history_reason"] = json!(h.reason);
            if !h.diff.is_empty() {
                r["history_diff"] = json!(h.diff);
            }
        }
        r
    }
}

/// check.py's `check_case`, with the runtime called in-process.
fn check_case(case: &Case) -> Record {
    let mut record = Record {
        id: case.id.clone(),
        category: case.category.clone(),
        skipped: case.skip_reason(),
        outcome: Verdict::default(),
        level: None,
        variant: None,
        note: None,
        history: None,
    };
    if record.skipped.is_some() {
        return record;
    }
    let spec = case.run_spec();
    let rules = CaseRules::new(&case.expected, &case.runtime_inputs_text(&spec));
    let hist_scored = case.history_scored();
    match corpus::run_in_process(spec, CASE_BUDGET) {
        Err(failure) => {
            record.outcome.reason = failure;
            record.history = hist_scored.then(|| Verdict {
                passed: false,
                reason: "no result".into(),
                diff: Vec::new(),
            });
        }
        Ok(result) => {
            let score = score_outcome(&result, &case.expected, &rules);
            record.outcome = score.verdict;
            record.level = score.level;
            record.variant = score.variant;
            record.note = score.note;
            record.history =
                hist_scored.then(|| compare_history(result.get("history"), &case.expected, &rules));
        }
    }
    record
}

/// Every case checked, on as many threads as there are cores, in the cases' order.
fn check_all(cases: &[Case]) -> Vec<Record> {
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get().min(16));
    let next = AtomicUsize::new(0);
    let records: Mutex<Vec<Option<Record>>> = Mutex::new(cases.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let record = check_case(case);
                    records.lock().unwrap()[i] = Some(record);
                }
            });
        }
    });
    records
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every case was checked"))
        .collect()
}

/// check.py's last two lines: outcome passes, failures and skips; history passes and
/// failures.
fn summary(records: &[Record]) -> String {
    let ran: Vec<&Record> = records.iter().filter(|r| r.ran()).collect();
    let passed = ran.iter().filter(|r| r.outcome.passed).count();
    let skipped = records.len() - ran.len();
    let history = |ok: bool| {
        ran.iter()
            .filter(|r| r.history.as_ref().is_some_and(|h| h.passed == ok))
            .count()
    };
    let both = ran.iter().filter(|r| r.passed()).count();
    format!(
        "conformance: {passed} passed, {} failed, {skipped} skipped\n\
         history: {} passed, {} failed\n\
         (outcome and history: {both} passed, {} failed)",
        ran.len() - passed,
        history(true),
        history(false),
        ran.len() - both,
    )
}

fn known_failures_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known_failures.txt")
}

/// The case ids of `known_failures.txt`: one per line, `#` starts a comment.
fn read_known_failures(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn write_known_failures(path: &Path, failing: &BTreeSet<&str>) {
    let mut text = String::from(
        "# Conformance cases (../shared/conformance/cases) that fail today, one id per line.\n\
         # tests/conformance.rs fails on a failing case missing from this list and on a listed\n\
         # case that passes: remove a case once it passes. Regenerate with\n\
         # `SFN_CONFORMANCE_BLESS=1 cargo test --test conformance`.\n",
    );
    for id in failing {
        text.push_str(id);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

#[test]
fn recorded_executions_match_the_known_failures() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let cases_dir = corpus.join("conformance/cases");
    if !cases_dir.is_dir() {
        eprintln!("skipped: corpus not found at {}", cases_dir.display());
        return;
    }
    let filter = std::env::var("SFN_CONFORMANCE_FILTER")
        .ok()
        .map(|f| regex::Regex::new(&f).expect("SFN_CONFORMANCE_FILTER is a regular expression"));
    let bless = std::env::var_os("SFN_CONFORMANCE_BLESS").is_some_and(|v| v == "1");
    assert!(
        !(bless && filter.is_some()),
        "SFN_CONFORMANCE_BLESS needs every case: unset SFN_CONFORMANCE_FILTER"
    );

    let mut cases = corpus::load_cases(&cases_dir);
    if let Some(f) = &filter {
        cases.retain(|c| f.is_match(&c.id));
    }
    let records = check_all(&cases);
    let summary = summary(&records);
    println!("{summary}");

    if let Some(path) = std::env::var_os("SFN_CONFORMANCE_REPORT") {
        let report = json!({"cases": records.iter().map(Record::to_json).collect::<Vec<_>>()});
        let text = serde_json::to_string_pretty(&report).expect("JSON always serialises");
        std::fs::write(&path, text).expect("the report can be written");
    }

    let failing: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.ran() && !r.passed())
        .map(|r| r.id.as_str())
        .collect();
    let path = known_failures_path();
    if bless {
        write_known_failures(&path, &failing);
        println!(
            "wrote {} known failures to {}",
            failing.len(),
            path.display()
        );
        return;
    }

    let known = read_known_failures(&path);
    let in_scope = |id: &str| filter.as_ref().is_none_or(|f| f.is_match(id));
    let new: Vec<&Record> = records
        .iter()
        .filter(|r| r.ran() && !r.passed() && !known.contains(&r.id))
        .collect();
    let fixed: Vec<&str> = records
        .iter()
        .filter(|r| r.passed() && known.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    let ran: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.ran())
        .map(|r| r.id.as_str())
        .collect();
    let stale: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|id| in_scope(id) && !ran.contains(id))
        .collect();

    let mut message = String::new();
    if !new.is_empty() {
        message.push_str(&format!(
            "{} failing cases are not in {} (first {} shown):\n",
            new.len(),
            path.display(),
            DETAILED_FAILURES.min(new.len())
        ));
        for r in new.iter().take(DETAILED_FAILURES) {
            message.push_str(&r.describe());
        }
        for r in new.iter().skip(DETAILED_FAILURES) {
            message.push_str(&format!("  {}\n", r.id));
        }
    }
    if !fixed.is_empty() {
        message.push_str(&format!(
            "{} listed cases now pass; remove them from the list:\n  {}\n",
            fixed.len(),
            fixed.join("\n  ")
        ));
    }
    if !stale.is_empty() {
        message.push_str(&format!(
            "{} listed cases do not run (unknown or skipped); remove them from the list:\n  {}\n",
            stale.len(),
            stale.join("\n  ")
        ));
    }
    assert!(
        message.is_empty(),
        "{message}\n{summary}\n(to accept the current failures: SFN_CONFORMANCE_BLESS=1 cargo test --test conformance)"
    );
}
