//! The shared corpus (`tests/corpus/filters*.json`, `tests/corpus/paths*.json`), also run by pytest against
//! the Lark parser: every valid case must produce the expected AST JSON, every invalid one the expected
//! `(code, character position)` (docs/filter-language.md, RFC 7644 §3.4.2.2 and §3.5.2).
//!
//! This runs the parser with the Rust [`AstBuilder`](scimcore_filter::build::AstBuilder). The builder that
//! ships, the binding's `PyBuilder` (Python Structs with spans), is run on the same files by
//! `tests/test_filter_native_corpus.py`, which calls `scimcore._native.AstParser` directly.

use std::fs;
use std::path::{Path, PathBuf};

use scimcore_filter::error::ParseError;
use scimcore_filter::json::ToJson;
use scimcore_filter::parser::{parse_filter, parse_path, Limits};
use serde_json::{json, Value};

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            Path::new(name).extension().is_some_and(|ext| ext == "json")
                && (name.starts_with("filters") || name.starts_with("paths"))
        })
        .collect();
    files.sort();
    files
}

/// `serde_json` reads the literal `-0` as the float -0.0, Python (msgspec) as the int 0; the expected ASTs
/// come from Python, so every zero compares as the integer 0.
fn normalize(value: &mut Value) {
    match value {
        Value::Number(n) if n.as_f64() == Some(0.0) => *value = json!(0),
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Object(fields) => fields.values_mut().for_each(normalize),
        _ => {}
    }
}

/// Runs one case; `None` if it passes, else a description of the difference.
fn check(case: &Value, is_path: bool) -> Option<String> {
    let key = if is_path { "path" } else { "filter" };
    let Some(text) = case[key].as_str() else {
        return Some(format!("no string {key:?}"));
    };
    let limits = Limits::default();
    let result: Result<Vec<u8>, ParseError> = if is_path {
        parse_path(text, &limits).map(|p| p.to_json())
    } else {
        parse_filter(text, &limits).map(|f| f.to_json())
    };
    let mut got = match &result {
        Ok(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(ast) => json!({ "ast": ast }),
            Err(e) => {
                return Some(format!(
                    "emitted invalid JSON ({e}): {}",
                    String::from_utf8_lossy(bytes)
                ))
            }
        },
        Err(e) => json!({ "error": { "code": e.code(), "position": e.position } }),
    };
    let mut want = match (case.get("ast"), case.get("error")) {
        (Some(ast), None) => json!({ "ast": ast }),
        (None, Some(error)) => json!({ "error": error }),
        _ => return Some("a case needs exactly one of \"ast\" and \"error\"".to_owned()),
    };
    normalize(&mut got);
    normalize(&mut want);
    (got != want).then(|| format!("{text:?}\n    want {want}\n    got  {got}"))
}

#[test]
fn corpus() {
    let files = corpus_files();
    assert!(!files.is_empty(), "no corpus files in tests/corpus");
    let mut cases = 0;
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let data = fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let parsed: Value = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(list) = parsed.as_array() else {
            panic!("{name}: not a JSON array")
        };
        for case in list {
            cases += 1;
            if let Some(problem) = check(case, name.starts_with("paths")) {
                failures.push(format!("{name} {}: {problem}", case["id"]));
            }
        }
    }
    assert!(cases > 0, "the corpus holds no cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
