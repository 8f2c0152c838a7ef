//! Distributed Maps over S3-like data: `ItemReader` (JSON, JSON Lines, CSV, object listings),
//! `ItemBatcher` and `ResultWriter`, run end to end on an in-memory object store.

use serde_json::{Value, json};
use sfn_core::StateMachine;
use sfn_runtime::clock::Clock;
use sfn_runtime::driver::Tasks;
use sfn_runtime::interp::Execution;
use sfn_runtime::objects::Objects;
use sfn_runtime::run::{ExecutionSpec, execute};

const START: i64 = 1_700_000_000_000;

fn run_on(definition: Value, input: Value, objects: &Objects) -> Execution {
    let machine = StateMachine::from_value(&definition).expect("a valid definition");
    let spec = ExecutionSpec {
        state_machine_name: "Test".into(),
        execution_name: "run".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        input,
    };
    let mut tasks = Tasks::new();
    tasks.objects(objects.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(execute(
        machine,
        spec,
        Clock::Virtual { start: START },
        &tasks,
    ))
    .expect("the execution ends")
}

fn event_types(e: &Execution) -> Vec<String> {
    e.history().iter().map(|h| h.kind.type_name()).collect()
}

/// A distributed Map passing each item on, with the given `ItemReader` (and other fields).
fn distributed(reader: Value, extra: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Item",
            "States": {"Item": {"Type": "Pass", "End": true}}
        },
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    json!({"StartAt": "Map", "States": {"Map": map}})
}

fn get_object(config: Value) -> Value {
    json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": config,
        "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}
    })
}

fn store_with(key: &str, body: &str) -> Objects {
    let objects = Objects::new();
    objects.put("data", key, body).unwrap();
    objects
}

#[test]
fn json_file_items_run_as_a_map_run() {
    let objects = store_with("items.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#);
    let d = distributed(get_object(json!({"InputType": "JSON"})), json!({}));
    let e = run_on(d, json!({"Bucket": "data", "Key": "items.json"}), &objects);
    let out = e.result_json(false);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
    assert_eq!(
        event_types(&e),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn max_items_and_max_items_path_limit_the_items() {
    let objects = store_with("items.json", "[1, 2, 3, 4]");
    let d = distributed(
        get_object(json!({"InputType": "JSON", "MaxItems": 2})),
        json!({}),
    );
    let out =
        run_on(d, json!({"Bucket": "data", "Key": "items.json"}), &objects).result_json(false);
    assert_eq!(out["output"], json!([1, 2]));
    let d = distributed(
        get_object(json!({"InputType": "JSON", "MaxItemsPath": "$.Max"})),
        json!({}),
    );
    let input = json!({"Bucket": "data", "Key": "items.json", "Max": 3});
    let out = run_on(d.clone(), input, &objects).result_json(false);
    assert_eq!(out["output"], json!([1, 2, 3]));
    // 0 means no limit.
    let input = json!({"Bucket": "data", "Key": "items.json", "Max": 0});
    let out = run_on(d, input, &objects).result_json(false);
    assert_eq!(out["output"], json!([1, 2, 3, 4]));
}

#[test]
fn csv_with_given_headers_and_first_row() {
    let objects = store_with("rows.csv", "a,b\n1,2\n3\n");
    let d = distributed(
        get_object(json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
        json!({}),
    );
    let out = run_on(d, json!({"Bucket": "data", "Key": "rows.csv"}), &objects).result_json(false);
    assert_eq!(
        out["output"],
        json!([{"a": "1", "b": "2"}, {"a": "3", "b": ""}])
    );
    let d = distributed(
        get_object(json!({
            "InputType": "CSV",
            "CSVHeaderLocation": "GIVEN",
            "CSVHeaders": ["x", "x"]
        })),
        json!({}),
    );
    let e = run_on(d, json!({"Bucket": "data", "Key": "rows.csv"}), &objects);
    let out = e.result_json(false);
    assert_eq!(out["error"], "States.ItemReaderFailed");
    assert_eq!(out["cause"], "CSV headers cannot contain duplicates.");
    assert_eq!(
        event_types(&e)[2..],
        [
            "MapStateStarted",
            "MapRunStarted",
            "MapRunFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn json_lines_items() {
    let objects = store_with("lines.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
    let d = distributed(get_object(json!({"InputType": "JSONL"})), json!({}));
    let out =
        run_on(d, json!({"Bucket": "data", "Key": "lines.jsonl"}), &objects).result_json(false);
    assert_eq!(out["output"], json!([{"a": 1}, {"a": 2}]));
}

#[test]
fn a_missing_object_or_a_non_array_fails_the_reader_and_can_be_caught() {
    let objects = store_with("object.json", r#"{"Hello": "world"}"#);
    let d = distributed(get_object(json!({"InputType": "JSON"})), json!({}));
    let out =
        run_on(d, json!({"Bucket": "data", "Key": "object.json"}), &objects).result_json(false);
    assert_eq!(out["error"], "States.ItemReaderFailed");
    assert_eq!(out["cause"], "Attempting to map over non-iterable node.");
    let d = distributed(get_object(json!({"InputType": "JSON"})), json!({}));
    let out = run_on(d, json!({"Bucket": "data", "Key": "none.json"}), &objects).result_json(false);
    assert_eq!(out["error"], "States.ItemReaderFailed");
    let cause = out["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("The specified key does not exist. (Service: S3, Status Code: 404"),
        "{cause}"
    );
    let mut d = distributed(
        get_object(json!({"InputType": "JSON"})),
        json!({"Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}]}),
    );
    d["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    let out = run_on(d, json!({"Bucket": "nobucket", "Key": "k"}), &objects).result_json(false);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"]["Error"], "States.ItemReaderFailed");
}

#[test]
fn items_path_does_not_apply_to_reader_items() {
    let objects = store_with("items.json", r#"[["a"]]"#);
    let d = distributed(
        get_object(json!({"InputType": "JSON"})),
        json!({"ItemsPath": "$.nowhere"}),
    );
    let out =
        run_on(d, json!({"Bucket": "data", "Key": "items.json"}), &objects).result_json(false);
    assert_eq!(out["output"], json!([["a"]]));
}

#[test]
fn listing_objects_gives_their_metadata() {
    let objects = Objects::new();
    objects.put("data", "in/a.txt", "hello").unwrap();
    objects.put("data", "in/b.txt", "hi").unwrap();
    objects.put("data", "out/c.txt", "x").unwrap();
    let d = distributed(
        json!({
            "Resource": "arn:aws:states:::s3:listObjectsV2",
            "Parameters": {"Bucket": "data", "Prefix": "in/"}
        }),
        json!({"ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "size.$": "$$.Map.Item.Value.Size"}}),
    );
    let out = run_on(d, json!({}), &objects).result_json(false);
    assert_eq!(
        out["output"],
        json!([{"key": "in/a.txt", "size": 5}, {"key": "in/b.txt", "size": 2}])
    );
}

#[test]
fn jsonata_reader_and_batcher() {
    let objects = store_with("items.json", "[1, 2, 3, 4, 5]");
    let d = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Map",
        "States": {"Map": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.max %}"},
                "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "items.json"}
            },
            "ItemBatcher": {
                "MaxItemsPerBatch": "{% $states.input.per %}",
                "BatchInput": {"name": "{% $states.context.State.Name %}"}
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Sum",
                "States": {"Sum": {
                    "Type": "Pass",
                    "Output": "{% $sum($states.input.Items) %}",
                    "End": true
                }}
            },
            "End": true
        }}
    });
    let input = json!({"bucket": "data", "max": 4, "per": 3});
    let out = run_on(d, input, &objects).result_json(false);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], json!([6, 4]));
}

#[test]
fn jsonpath_batches_with_batch_input_and_byte_limits() {
    let objects = store_with("items.json", r#"["aaaa", "bbbb", "cccc"]"#);
    let d = distributed(
        get_object(json!({"InputType": "JSON"})),
        json!({"ItemBatcher": {
            "MaxInputBytesPerBatchPath": "$.bytes",
            "BatchInput": {"from.$": "$.Key"}
        }}),
    );
    // `{"Items":["aaaa","bbbb"],"BatchInput":{"from":"items.json"}}` is 60 bytes.
    let input = json!({"Bucket": "data", "Key": "items.json", "bytes": 60});
    let out = run_on(d, input, &objects).result_json(false);
    assert_eq!(
        out["output"],
        json!([
            {"Items": ["aaaa", "bbbb"], "BatchInput": {"from": "items.json"}},
            {"Items": ["cccc"], "BatchInput": {"from": "items.json"}}
        ])
    );
}

#[test]
fn batching_applies_to_input_items_too() {
    let d = json!({"StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}
        },
        "End": true
    }}});
    let out = run_on(d, json!([1, 2, 3]), &Objects::new()).result_json(false);
    assert_eq!(out["output"], json!([{"Items": [1, 2]}, {"Items": [3]}]));
}

#[test]
fn result_writer_writes_a_manifest_and_result_files() {
    let objects = store_with("items.json", r#"[{"n": 1}, {"n": 2}]"#);
    objects.create_bucket("results").unwrap();
    let d = distributed(
        get_object(json!({"InputType": "JSON"})),
        json!({"ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "results", "Prefix": "runs"}
        }}),
    );
    let e = run_on(d, json!({"Bucket": "data", "Key": "items.json"}), &objects);
    let out = e.result_json(false);
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    let arn = out["output"]["MapRunArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:Test/Map:"),
        "{arn}"
    );
    let run_id = arn.rsplit(':').next().unwrap();
    let key = format!("runs/{run_id}/manifest.json");
    assert_eq!(
        out["output"]["ResultWriterDetails"],
        json!({"Bucket": "results", "Key": key})
    );
    let manifest: Value = serde_json::from_slice(&objects.get("results", &key).unwrap()).unwrap();
    let results_key = format!("runs/{run_id}/SUCCEEDED_0.json");
    assert_eq!(manifest["MapRunArn"], arn);
    assert_eq!(manifest["DestinationBucket"], "results");
    assert_eq!(manifest["ResultFiles"]["SUCCEEDED"][0]["Key"], results_key);
    assert_eq!(manifest["ResultFiles"]["FAILED"], json!([]));
    let results: Value =
        serde_json::from_slice(&objects.get("results", &results_key).unwrap()).unwrap();
    assert_eq!(results[1]["Status"], "SUCCEEDED");
    assert_eq!(results[1]["Input"], "{\"n\":2}");
    assert_eq!(results[1]["Output"], "{\"n\":2}");
    assert_eq!(
        event_types(&e)[2..],
        [
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn result_writer_into_a_missing_bucket_fails() {
    let objects = store_with("items.json", "[1]");
    let d = distributed(
        get_object(json!({"InputType": "JSON"})),
        json!({"ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "nowhere", "Prefix": ""}
        }}),
    );
    let e = run_on(d, json!({"Bucket": "data", "Key": "items.json"}), &objects);
    let out = e.result_json(false);
    assert_eq!(out["error"], "States.ResultWriterFailed");
    assert_eq!(
        event_types(&e)[2..],
        [
            "MapStateStarted",
            "MapRunStarted",
            "MapRunFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn writer_config_alone_shapes_the_results() {
    let d = json!({"StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}
        },
        "ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}},
        "End": true
    }}});
    let out = run_on(d, json!([[1, 2], [3]]), &Objects::new()).result_json(false);
    assert_eq!(out["output"], json!([1, 2, 3]));
}
