#!/usr/bin/env bash
# Build cost of the macros: generates a crate of N workflows (~10 states each) in /tmp, once
# with `#[workflow]` and once with the same definitions written as hand-built JSON (no
# macros), and times a clean `cargo build` and an incremental one (one workflow edited).
#
#   bash sfn-macros/bench/build_cost.sh [N=100]
set -euo pipefail
N=${1:-100}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=/tmp/sfn-build-cost
rm -rf "$OUT"; mkdir -p "$OUT"

gen() { # $1 = macros|plain
  local dir="$OUT/$1"; mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "cost-$1"
version = "0.1.0"
edition = "2024"
[dependencies]
sfn = { path = "$ROOT", default-features = false }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
[workspace]
TOML
  {
    echo 'use sfn::prelude::*;'
    echo '#[derive(Serialize, Deserialize, sfn::Data)] #[serde(rename_all = "PascalCase")] pub struct Item { pub id: String, pub n: u64, pub ok: bool }'
    if [ "$1" = macros ]; then
      echo '#[sfn::task(lambda = "Step")] pub async fn step(i: Item) -> Result<Item, TaskError> { Ok(i) }'
    fi
    for i in $(seq 1 "$N"); do
      if [ "$1" = macros ]; then
        cat <<RS
#[sfn::workflow(name = "W$i")]
pub async fn w$i(input: Item) -> Result<Item, Failure> {
    let a = step(Item { id: input.id, n: 1, ok: true }).await?;
    let b = step(Item { id: a.id, n: a.n + 1, ok: a.ok }).await?;
    sleep(Duration::from_secs(5)).await;
    if b.n > 3 {
        return Err(Failure::new("Too.Big", "n is too big"));
    }
    let c = step(Item { id: format!("{}-{}", b.id, $i), n: b.n, ok: true }).await?;
    let d = step(c)
        .retry(Retry::on(["States.ALL"]).max_attempts(2))
        .await?;
    match step(d).await {
        Ok(e) => Ok(e),
        Err(_) => Err(Failure::new("Failed", "step failed")),
    }
}
RS
      else
        cat <<RS
pub fn w$i() -> sfn::Definition {
    let v = serde_json::json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "Step", "Payload": {"Id.\$": "\$\$.Execution.Input.Id", "N": 1, "Ok": true}}, "OutputPath": "\$.Payload", "Assign": {"a.\$": "\$.Payload"}, "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "Step", "Payload": {"Id.\$": "\$a.Id", "N.\$": "States.MathAdd(\$a.N, 1)", "Ok.\$": "\$a.Ok"}}, "OutputPath": "\$.Payload", "Assign": {"b.\$": "\$.Payload"}, "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "If"},
        "If": {"Type": "Choice", "Choices": [{"Variable": "\$b.N", "NumericGreaterThan": 3, "Next": "Too.Big"}], "Default": "C"},
        "Too.Big": {"Type": "Fail", "Error": "Too.Big", "Cause": "n is too big"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "Step", "Payload": {"Id.\$": "States.Format('{}-{}', \$b.Id, $i)", "N.\$": "\$b.N", "Ok": true}}, "OutputPath": "\$.Payload", "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "Step", "Payload.\$": "\$"}, "OutputPath": "\$.Payload", "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "Next": "E"},
        "E": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "Step", "Payload.\$": "\$"}, "OutputPath": "\$.Payload", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "End": true},
        "Failed": {"Type": "Fail", "Error": "Failed", "Cause": "step failed"}
    }});
    sfn::Definition::from_value(&v).unwrap()
}
RS
      fi
    done
  } > "$dir/src/lib.rs"
}

secs() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }

for kind in plain macros; do
  gen $kind
  dir="$OUT/$kind"
  # Dependencies first, so that the numbers are the crate's own cost.
  (cd "$dir" && cargo build -q 2>/dev/null || cargo build)
  touch "$dir/src/lib.rs"
  (cd "$dir" && cargo clean -q -p cost-$kind)
  clean=$(cd "$dir" && secs cargo build)
  sed -i 's/pub async fn w1(input: Item)/pub async fn w1(input: Item )/; s/pub fn w1()/pub fn w1( )/' "$dir/src/lib.rs"
  incr=$(cd "$dir" && secs cargo build)
  echo "$kind: $N workflows: crate build from clean ${clean}s, incremental after an edit ${incr}s"
done
