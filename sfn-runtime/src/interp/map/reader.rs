//! The pure parts of a distributed Map's data: reading items out of an `ItemReader`'s content
//! (JSON, JSON Lines, CSV, object listings), grouping them into `ItemBatcher` batches, and
//! laying out a `ResultWriter`'s files.

use std::collections::HashSet;

use serde_json::{Map as JsonMap, Value, json};
use sfn_core::{CsvHeaderLocation, InputType, ReaderConfig};

/// The most items a reader passes on (`MaxItems` is clipped to it; 0 means it).
pub(crate) const MAX_ITEMS: usize = 100_000_000;

/// AWS's cause when the content is not a list.
pub(crate) const NOT_ITERABLE: &str = "Attempting to map over non-iterable node.";

/// AWS's cause when CSV column names repeat.
pub(crate) const DUPLICATE_HEADERS: &str = "CSV headers cannot contain duplicates.";

/// The items in a reader's result. `content` is the object's text for `s3:getObject`, or the
/// listed objects for `s3:listObjectsV2`; at most `max_items` are read.
pub(crate) fn items(
    content: Value,
    config: Option<&ReaderConfig>,
    max_items: usize,
) -> Result<Vec<Value>, String> {
    let text = match content {
        // A listing: one item per object.
        Value::Array(mut objects) => {
            objects.truncate(max_items);
            return Ok(objects);
        }
        Value::String(text) => text,
        other => other.to_string(),
    };
    let input_type = config.and_then(|c| c.input_type);
    match input_type {
        None | Some(InputType::Json) => json_items(&text, max_items),
        Some(InputType::JsonLines) => json_lines_items(&text, max_items),
        Some(InputType::Csv) => {
            let config = config.expect("an input type comes with its configuration");
            let delimiter = delimiter(config.csv_delimiter.as_deref())?;
            let given = match config.csv_header_location {
                Some(CsvHeaderLocation::Given) => {
                    Some(config.csv_headers.as_deref().unwrap_or(&[]))
                }
                _ => None,
            };
            csv_items(&text, given, delimiter, max_items)
        }
        Some(other) => Err(format!(
            "The input type {} is not supported by this runtime.",
            other.as_str()
        )),
    }
}

/// A JSON array's elements.
pub(crate) fn json_items(text: &str, max_items: usize) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(mut items)) => {
            items.truncate(max_items);
            Ok(items)
        }
        Ok(_) => Err(NOT_ITERABLE.to_owned()),
        Err(e) => Err(format!("The file content is not valid JSON: {e}")),
    }
}

/// One item per non-blank line, each a JSON value.
pub(crate) fn json_lines_items(text: &str, max_items: usize) -> Result<Vec<Value>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(max_items)
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("The line {} is not valid JSON: {e}", i + 1))
        })
        .collect()
}

/// `CSVDelimiter`'s character (default `COMMA`).
fn delimiter(name: Option<&str>) -> Result<char, String> {
    Ok(match name.unwrap_or("COMMA") {
        "COMMA" => ',',
        "PIPE" => '|',
        "SEMICOLON" => ';',
        "SPACE" => ' ',
        "TAB" => '\t',
        other => return Err(format!("The CSV delimiter {other} is not supported.")),
    })
}

/// One object per CSV row, its members named by `headers` (or, when `None`, by the first
/// row), as AWS reads them: every value a string; a short row's missing values `""`; a long
/// row's extra values left out; repeated column names an error.
pub(crate) fn csv_items(
    text: &str,
    headers: Option<&[String]>,
    delimiter: char,
    max_items: usize,
) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(text, delimiter).into_iter();
    let headers: Vec<String> = match headers {
        Some(h) => h.to_vec(),
        None => match rows.next() {
            Some(first) => first,
            None => return Ok(Vec::new()),
        },
    };
    let mut seen = HashSet::new();
    if !headers.iter().all(|h| seen.insert(h.as_str())) {
        return Err(DUPLICATE_HEADERS.to_owned());
    }
    Ok(rows
        .take(max_items)
        .map(|row| {
            let mut item = JsonMap::with_capacity(headers.len());
            for (i, h) in headers.iter().enumerate() {
                let v = row.get(i).cloned().unwrap_or_default();
                item.insert(h.clone(), Value::String(v));
            }
            Value::Object(item)
        })
        .collect())
}

/// The rows of a CSV text (RFC 4180: double quotes around values holding delimiters, quotes
/// or line breaks, `""` for a quote). Empty lines hold no row.
pub(crate) fn csv_rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    // Whether the current line has anything yet (a row is only kept if it has).
    let mut started = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                started = true;
            }
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if started {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                started = false;
            }
            c => {
                field.push(c);
                started = true;
            }
        }
    }
    if started {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Groups items into batches of at most `max_items` items and `max_bytes` bytes of JSON
/// (`None` or 0: no limit), each `{"Items": [...]}` with `"BatchInput"` when there is one.
/// An item too large for a batch of its own still gets one.
pub(crate) fn batches(
    items: Vec<Value>,
    max_items: Option<usize>,
    max_bytes: Option<usize>,
    batch_input: Option<&Value>,
) -> Vec<Value> {
    let max_items = max_items.filter(|n| *n > 0).unwrap_or(usize::MAX);
    let max_bytes = max_bytes.filter(|n| *n > 0).unwrap_or(usize::MAX);
    // `{"Items":[]}` and `,"BatchInput":…`.
    let base = 12 + batch_input.map_or(0, |b| 14 + json_len(b));
    let wrap = |items: Vec<Value>| {
        let mut batch = JsonMap::new();
        batch.insert("Items".into(), Value::Array(items));
        if let Some(b) = batch_input {
            batch.insert("BatchInput".into(), b.clone());
        }
        Value::Object(batch)
    };
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = base;
    for item in items {
        let size = json_len(&item) + usize::from(!current.is_empty());
        if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
            out.push(wrap(std::mem::take(&mut current)));
            bytes = base;
        }
        bytes += json_len(&item) + usize::from(!current.is_empty());
        current.push(item);
    }
    if !current.is_empty() {
        out.push(wrap(current));
    }
    out
}

fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

/// How a `ResultWriter` shapes each child execution's result (`WriterConfig.Transformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transformation {
    /// The child execution's details (`ExecutionArn`, `Input`, `Output`, `Status`, …).
    None,
    /// Only the output.
    Compact,
    /// Only the output, arrays spread into the list.
    Flatten,
}

impl Transformation {
    /// `NONE`, `COMPACT` or `FLATTEN`; `default` when not given.
    pub(crate) fn parse(name: Option<&str>, default: Transformation) -> Result<Self, String> {
        match name {
            None => Ok(default),
            Some("NONE") => Ok(Transformation::None),
            Some("COMPACT") => Ok(Transformation::Compact),
            Some("FLATTEN") => Ok(Transformation::Flatten),
            Some(other) => Err(format!("The transformation {other} is not supported.")),
        }
    }
}

/// One child execution's result, for a `ResultWriter`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChildResult {
    /// The child execution's details (`Transformation: NONE`).
    pub details: Value,
    /// Its output, or its `{"Error", "Cause"}` when it failed.
    pub output: Value,
    /// Whether it failed.
    pub failed: bool,
}

/// The results as the transformation shapes them: succeeded ones, then failed ones (which
/// always keep their details).
pub(crate) fn shape_results(
    children: &[ChildResult],
    transformation: Transformation,
) -> (Vec<Value>, Vec<Value>) {
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for c in children {
        if c.failed {
            failed.push(c.details.clone());
            continue;
        }
        match (transformation, &c.output) {
            (Transformation::None, _) => succeeded.push(c.details.clone()),
            (Transformation::Flatten, Value::Array(items)) => {
                succeeded.extend(items.iter().cloned())
            }
            (_, output) => succeeded.push(output.clone()),
        }
    }
    (succeeded, failed)
}

/// The objects a `ResultWriter` writes under `prefix` for the Map Run `map_run_arn` —
/// `<prefix>/<map run id>/SUCCEEDED_0.json`, `FAILED_0.json` (when there are any), and
/// `manifest.json` listing them — and the manifest's key.
pub(crate) fn result_files(
    bucket: &str,
    prefix: &str,
    map_run_arn: &str,
    succeeded: &[Value],
    failed: &[Value],
    json_lines: bool,
) -> (Vec<(String, String)>, String) {
    let run_id = map_run_arn.rsplit(':').next().unwrap_or_default();
    let mut dir = prefix.to_owned();
    if !dir.is_empty() && !dir.ends_with('/') {
        dir.push('/');
    }
    dir.push_str(run_id);
    dir.push('/');
    let mut objects = Vec::new();
    let mut listed = JsonMap::new();
    for (status, results) in [
        ("FAILED", failed),
        ("PENDING", &[][..]),
        ("SUCCEEDED", succeeded),
    ] {
        let mut files = Vec::new();
        if !results.is_empty() {
            let key = format!("{dir}{status}_0.json");
            let body = if json_lines {
                results.iter().map(|r| format!("{r}\n")).collect::<String>()
            } else {
                Value::Array(results.to_vec()).to_string()
            };
            files.push(json!({"Key": key, "Size": body.len()}));
            objects.push((key, body));
        }
        listed.insert(status.into(), Value::Array(files));
    }
    let manifest_key = format!("{dir}manifest.json");
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": map_run_arn,
        "ResultFiles": listed,
    });
    objects.push((manifest_key.clone(), manifest.to_string()));
    (objects, manifest_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The file the recorded CSV cases read.
    const RECORDED: &str =
        "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n";

    #[test]
    fn csv_given_headers_fill_short_rows_and_drop_extra_values() {
        let items = csv_items(
            RECORDED,
            Some(&headers(&["H1", "H2", "H3"])),
            ',',
            MAX_ITEMS,
        )
        .unwrap();
        assert_eq!(
            Value::Array(items),
            json!([
                {"H1": "Value1", "H2": "Value2", "H3": "Value3"},
                {"H1": "Value4", "H2": "Value5", "H3": "Value6"},
                {"H1": "", "H2": "", "H3": ""},
                {"H1": "true", "H2": "1", "H3": "'HelloWorld'"},
                {"H1": "Null", "H2": "None", "H3": ""},
                {"H1": "   ", "H2": "", "H3": ""}
            ])
        );
        let items = csv_items(RECORDED, Some(&headers(&["H1"])), ',', MAX_ITEMS).unwrap();
        assert_eq!(items.len(), 6);
        assert_eq!(items[0], json!({"H1": "Value1"}));
    }

    #[test]
    fn csv_first_row_names_columns_even_empty_ones() {
        let text = "H1,\nValue4,Value5,Value6\n,,,\n";
        let items = csv_items(text, None, ',', MAX_ITEMS).unwrap();
        assert_eq!(
            Value::Array(items),
            json!([{"H1": "Value4", "": "Value5"}, {"H1": "", "": ""}])
        );
        let typed = csv_items("0,True,{}\na,b,c\n", None, ',', MAX_ITEMS).unwrap();
        assert_eq!(typed[0], json!({"0": "a", "True": "b", "{}": "c"}));
        assert_eq!(
            csv_items("", None, ',', MAX_ITEMS).unwrap(),
            Vec::<Value>::new()
        );
    }

    #[test]
    fn csv_duplicate_headers_are_refused() {
        let e = csv_items(
            RECORDED,
            Some(&headers(&["H1", "H1", "H3"])),
            ',',
            MAX_ITEMS,
        );
        assert_eq!(e, Err(DUPLICATE_HEADERS.to_owned()));
        assert_eq!(
            csv_items("a,a\n1,2\n", None, ',', MAX_ITEMS),
            Err(DUPLICATE_HEADERS.to_owned())
        );
    }

    #[test]
    fn csv_max_items_counts_rows_after_the_header() {
        let text = "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\n";
        let items = csv_items(text, None, ',', 2).unwrap();
        assert_eq!(
            Value::Array(items),
            json!([{"Col1": "Value1", "Col2": "Value2"}, {"Col1": "Value3", "Col2": "Value4"}])
        );
    }

    #[test]
    fn csv_quotes_delimiters_and_line_ends() {
        let rows = csv_rows(
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\r\nx|y\n\"multi\nline\",z",
            ',',
        );
        assert_eq!(
            rows,
            vec![
                vec!["a".to_owned(), "b,c".into(), "say \"hi\"".into()],
                vec!["x|y".to_owned()],
                vec!["multi\nline".to_owned(), "z".into()],
            ]
        );
        assert_eq!(csv_rows("x|y", '|'), vec![vec!["x".to_owned(), "y".into()]]);
        assert_eq!(csv_rows(",", ','), vec![vec![String::new(), String::new()]]);
    }

    #[test]
    fn json_needs_an_array() {
        assert_eq!(
            json_items("[1, 2, 3]", 2).unwrap(),
            vec![json!(1), json!(2)]
        );
        assert_eq!(
            json_items("{\"Hello\": \"world\"}", MAX_ITEMS),
            Err(NOT_ITERABLE.to_owned())
        );
        assert!(json_items("[1,", MAX_ITEMS).is_err());
    }

    #[test]
    fn json_lines_skip_blank_lines_and_stop_at_max_items() {
        let text = "{\"a\": 1}\n\n[2]\n\"three\"\n";
        assert_eq!(
            json_lines_items(text, MAX_ITEMS).unwrap(),
            vec![json!({"a": 1}), json!([2]), json!("three")]
        );
        assert_eq!(json_lines_items(text, 1).unwrap(), vec![json!({"a": 1})]);
        assert!(json_lines_items("{\"a\": 1}\nnot json\n", MAX_ITEMS).is_err());
    }

    #[test]
    fn listings_pass_objects_through() {
        let listing = json!([{"Key": "a"}, {"Key": "b"}, {"Key": "c"}]);
        assert_eq!(items(listing, None, 2).unwrap().len(), 2);
        let config = ReaderConfig {
            input_type: Some(InputType::JsonLines),
            ..ReaderConfig::default()
        };
        assert_eq!(
            items(json!("1\n2\n"), Some(&config), MAX_ITEMS).unwrap(),
            vec![json!(1), json!(2)]
        );
    }

    #[test]
    fn batches_respect_item_and_byte_limits() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let b = batches(items.clone(), Some(2), None, None);
        assert_eq!(
            Value::Array(b),
            json!([{"Items": [0, 1]}, {"Items": [2, 3]}, {"Items": [4]}])
        );
        // `{"Items":[0,1]}` is 15 bytes: a limit of 15 fits two items, 14 only one.
        let b = batches(items.clone(), None, Some(15), None);
        assert_eq!(b.len(), 3);
        let b = batches(items.clone(), None, Some(14), None);
        assert_eq!(b.len(), 5);
        let input = json!({"k": "v"});
        let b = batches(items, Some(10), None, Some(&input));
        assert_eq!(
            Value::Array(b),
            json!([{"Items": [0, 1, 2, 3, 4], "BatchInput": {"k": "v"}}])
        );
        assert!(batches(Vec::new(), Some(2), None, None).is_empty());
    }

    #[test]
    fn result_files_follow_aws_names() {
        let arn = "arn:aws:states:us-east-1:1:mapRun:M/Map:1234";
        let (files, manifest) = result_files("b", "out", arn, &[json!(1), json!(2)], &[], false);
        assert_eq!(manifest, "out/1234/manifest.json");
        assert_eq!(
            files[0],
            ("out/1234/SUCCEEDED_0.json".to_owned(), "[1,2]".to_owned())
        );
        let m: Value = serde_json::from_str(&files[1].1).unwrap();
        assert_eq!(
            m,
            json!({"DestinationBucket": "b", "MapRunArn": arn, "ResultFiles": {
                "FAILED": [], "PENDING": [],
                "SUCCEEDED": [{"Key": "out/1234/SUCCEEDED_0.json", "Size": 5}]
            }})
        );
        let (files, manifest) = result_files("b", "", arn, &[json!(1)], &[json!(2)], true);
        assert_eq!(manifest, "1234/manifest.json");
        assert_eq!(
            files[0],
            ("1234/FAILED_0.json".to_owned(), "2\n".to_owned())
        );
    }

    #[test]
    fn transformations_shape_outputs() {
        let ok = ChildResult {
            details: json!({"Status": "SUCCEEDED"}),
            output: json!([1, 2]),
            failed: false,
        };
        let bad = ChildResult {
            details: json!({"Status": "FAILED"}),
            output: json!({"Error": "E"}),
            failed: true,
        };
        let children = [ok, bad];
        let (s, f) = shape_results(&children, Transformation::Flatten);
        assert_eq!((s, f.len()), (vec![json!(1), json!(2)], 1));
        let (s, _) = shape_results(&children, Transformation::Compact);
        assert_eq!(s, vec![json!([1, 2])]);
        let (s, f) = shape_results(&children, Transformation::None);
        assert_eq!(
            (s[0]["Status"].clone(), f[0]["Status"].clone()),
            (json!("SUCCEEDED"), json!("FAILED"))
        );
    }
}
