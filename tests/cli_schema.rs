//! Every command's `--json` output on a demo workspace against its JSON
//! Schema in `assets/schema/` (a small validator of the keywords those
//! files use: type, required, properties, additionalProperties: false,
//! items, enum), so that a renamed, missing or retyped field fails here.

mod common;

use std::path::Path;

use common::cli::*;
use serde_json::Value;

/// The schema file (without `.json`) and the command that prints it; in
/// order, since some change what later ones read.
const COMMANDS: &[(&str, &[&str])] = &[
    ("users", &["users"]),
    ("sequences", &["sequences"]),
    ("enrollments", &["enrollments", "--limit", "30"]),
    ("enrollments_count", &["enrollments", "--count"]),
    ("contacts", &["contacts", "--limit", "30"]),
    ("tasks", &["tasks", "--all", "--limit", "30"]),
    ("audit", &["audit", "--limit", "30"]),
    ("list_save", &["list", "save", "Stale", "--stale"]),
    ("lists", &["lists"]),
    ("report", &["report"]),
    ("contact", &["contact", "1"]),
    (
        "enroll",
        &[
            "enroll",
            "--sequence",
            "1",
            "--contact",
            "1",
            "--contact",
            "2",
            "--yes",
        ],
    ),
    (
        "pause",
        &["pause", "--enrollment", "1", "--enrollment", "2"],
    ),
    (
        "resume",
        &["resume", "--enrollment", "1", "--enrollment", "2"],
    ),
    (
        "unenroll",
        &["unenroll", "--all", "--stale", "--reason", "stale", "--yes"],
    ),
    ("undo", &["undo"]),
    ("opt_out", &["contact", "opt-out", "3", "4"]),
    (
        "transfer",
        &[
            "transfer",
            "--contact",
            "5",
            "--contact",
            "6",
            "--to",
            "aisha.khan@northwind.example",
            "--policy",
            "reassign",
            "--yes",
        ],
    ),
    ("tidy", &["tidy"]),
    ("run", &["run"]),
];

fn schema_of(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/schema")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("the validator knows no type {other}"),
    }
}

/// Every way `value` breaks `schema`, with its path.
fn validate(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(types) = schema.get("type") {
        let ok = match types {
            Value::String(t) => type_matches(t, value),
            Value::Array(ts) => ts.iter().any(|t| type_matches(t.as_str().unwrap(), value)),
            _ => panic!("bad type at {at}"),
        };
        if !ok {
            errors.push(format!("{at}: {value} is not {types}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for key in required {
                let key = key.as_str().unwrap();
                if !object.contains_key(key) {
                    errors.push(format!("{at}: missing '{key}'"));
                }
            }
        }
        for (key, v) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => validate(s, v, &format!("{at}.{key}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unexpected '{key}'"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            validate(items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

#[test]
fn the_validator_catches_a_missing_renamed_or_retyped_field() {
    let schema = schema_of("users");
    let good = serde_json::json!([{"id": 1, "email": "a@b.example", "name": "A", "role": "admin",
        "team": "T", "login": null, "default": true}]);
    let mut errors = Vec::new();
    validate(&schema, &good, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    for bad in [
        serde_json::json!([{"id": 1, "email": "a@b.example", "name": "A", "role": "admin", "team": "T", "login": null}]),
        serde_json::json!([{"id": 1, "mail": "a@b.example", "name": "A", "role": "admin", "team": "T", "login": null, "default": true}]),
        serde_json::json!([{"id": "1", "email": "a@b.example", "name": "A", "role": "admin", "team": "T", "login": null, "default": true}]),
    ] {
        let mut errors = Vec::new();
        validate(&schema, &bad, "$", &mut errors);
        assert!(!errors.is_empty(), "{bad}");
    }
}

#[test]
fn every_command_prints_the_json_its_schema_describes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let r = run(&db, &["demo", "--contacts", "300"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Tasks to list: the engine runs the first steps, then the calls.
    for at in [NOW, "2026-11-05T09:00:00Z"] {
        let r = output(seqtui_at(&db, at).args(["run"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let mut failures = Vec::new();
    for (name, args) in COMMANDS {
        let r = output(seqtui(&db).arg("--json").args(*args));
        assert!(
            r.code == 0 || r.code == 3,
            "{args:?}: {} {}",
            r.code,
            r.stderr
        );
        let value: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{args:?} is not JSON ({e}): {}", r.stdout));
        let mut errors = Vec::new();
        validate(&schema_of(name), &value, "$", &mut errors);
        if !errors.is_empty() {
            failures.push(format!("{name}: {}", errors.join("; ")));
        }
    }
    // A task: the first of the queue (another's: refused, with `skipped`).
    let tasks = run(&db, &["--json", "tasks", "--all", "--limit", "1"]).json();
    let task = tasks[0]["id"]
        .as_i64()
        .expect("a task to complete")
        .to_string();
    let r = run(&db, &["--json", "task", "done", &task]);
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    let mut errors = Vec::new();
    validate(&schema_of("task_done"), &r.json(), "$", &mut errors);
    if !errors.is_empty() {
        failures.push(format!("task_done: {}", errors.join("; ")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
