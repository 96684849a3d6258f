//! Every command's `--json` output on a demo workspace against its JSON
//! Schema in `assets/schema/` (a small validator of the keywords those
//! files use: type, required, properties, additionalProperties: false,
//! items, enum), so that a renamed, missing or retyped field fails here.

mod common;
mod support;

use std::path::Path;

use common::cli::*;
use serde_json::Value;

/// Who may add users and bind logins in the demo: its admin.
const ADMIN: &str = "dana.whitfield@northwind.example";

/// The schema file (without `.json`) and the command that prints it; in
/// order, since some change what later ones read. `@FIX/` is the tests'
/// fixtures folder, `@ASSETS/` the assets folder, `@TMP/` the test's
/// temporary folder (where `contacts.csv` is written first), `@LOGIN` the
/// login running the tests.
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
    ("list_show", &["list", "show", "Stale", "--limit", "5"]),
    ("list_delete", &["list", "delete", "Stale"]),
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
        "opt_in",
        &[
            "--as",
            ADMIN,
            "contact",
            "opt-in",
            "3",
            "--note",
            "asked again",
        ],
    ),
    (
        "contact_email",
        &["contact", "email", "8", "--to", "eight.new@example.com"],
    ),
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
    (
        "users_add",
        &[
            "--as",
            ADMIN,
            "users",
            "add",
            "new.rep@northwind.example",
            "--name",
            "New Rep",
            "--role",
            "rep",
            "--team",
            "East",
        ],
    ),
    ("sequence_show", &["sequence", "show", "1"]),
    ("sequence_versions", &["sequence", "versions", "1"]),
    (
        "sequence_apply",
        &[
            "--as",
            ADMIN,
            "sequence",
            "apply",
            "@ASSETS/sequences/outbound.toml",
            "--yes",
        ],
    ),
    (
        "sequence_set",
        &["sequence", "set", "1", "--unenroll-colleagues", "on"],
    ),
    (
        "sequence_owner",
        &[
            "sequence",
            "owner",
            "4",
            "--to",
            "aisha.khan@northwind.example",
        ],
    ),
    (
        "sequence_archive",
        &["--as", ADMIN, "sequence", "archive", "2", "--yes"],
    ),
    (
        "sequence_unarchive",
        &["--as", ADMIN, "sequence", "unarchive", "2"],
    ),
    (
        "import",
        &["--as", ADMIN, "import", "contacts", "@TMP/contacts.csv"],
    ),
    ("ingest", &["ingest", "@FIX/mail/events.jsonl"]),
    // The admin binds the login running the tests first (the first
    // binding must be one's own), then the new rep, and unbinds it.
    (
        "users_bind",
        &["--as", ADMIN, "users", "bind", ADMIN, "--login", "@LOGIN"],
    ),
    (
        "users_bind",
        &[
            "users",
            "bind",
            "new.rep@northwind.example",
            "--login",
            "newrep",
        ],
    ),
    (
        "users_unbind",
        &["users", "unbind", "new.rep@northwind.example"],
    ),
    ("tidy", &["tidy"]),
    ("run", &["run"]),
    ("paths", &["paths"]),
    (
        "demo",
        &["demo", "--contacts", "20", "--db", "@TMP/other.db"],
    ),
    ("init", &["init", "--db", "@TMP/empty.db"]),
];

/// Commands that only read: no `changed` or `skipped`. Every other command
/// changes data and needs a schema and a case in [`COMMANDS`] (or, for
/// `task`'s, in the test's own part).
const READS: &[&str] = &[
    "users",
    "sequences",
    "enrollments",
    "contact",
    "contacts",
    "tasks",
    "lists",
    "list show",
    "audit",
    "report",
    "sequence show",
    "sequence versions",
    "completions",
    "paths",
    "man",
];

/// Changes that build or copy a whole workspace, or tidy one: counts and
/// paths, no ids a person chose (docs/cli.md: known exceptions).
const WHOLE_WORKSPACE: &[&str] = &["demo", "init", "migrate", "tidy"];

/// `run` reports counts (a run may send tens of thousands of emails) and
/// its `skipped`, but no `changed`.
const COUNTS_ONLY: &[&str] = &["run"];

/// Cases run by the tests' own code, not [`COMMANDS`]: `task …` needs a
/// task id read first; `migrate` a PostgreSQL server
/// (`migrate_prints_the_json_its_schema_describes`).
const OWN_CASES: &[(&str, &str)] = &[
    ("task done", "task_done"),
    ("task skip", "task_done"),
    ("task snooze", "task_done"),
    ("migrate", "migrate"),
];

/// Every command path that runs (`["sequence", "archive"]`, and a group
/// such as `users` whose subcommand is optional), from clap.
fn runnable_commands() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            if !sub.has_subcommands() || !sub.is_subcommand_required_set() {
                out.push(p.join(" "));
            }
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&seqtui::cli::command(), Vec::new(), &mut out);
    out
}

/// The schema of the case in [`COMMANDS`] whose arguments run `path`.
fn case_of(path: &str) -> Option<&'static str> {
    let words: Vec<&str> = path.split(' ').collect();
    COMMANDS.iter().find_map(|(schema, args)| {
        let start = args.iter().position(|a| *a == words[0])?;
        (args.len() >= start + words.len() && args[start..start + words.len()] == words[..])
            .then_some(*schema)
    })
}

#[test]
fn every_command_that_changes_data_has_a_schema_with_changed_and_skipped() {
    let mut missing = Vec::new();
    let commands = runnable_commands();
    assert!(
        commands.iter().any(|c| c == "sequence archive"),
        "{commands:?}"
    );
    for path in &commands {
        if READS.contains(&path.as_str()) {
            continue;
        }
        let schema = OWN_CASES
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| *s)
            .or_else(|| case_of(path));
        let Some(schema) = schema else {
            missing.push(format!("{path}: no case in COMMANDS (and no schema)"));
            continue;
        };
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/schema")
            .join(format!("{schema}.json"));
        if !file.exists() {
            missing.push(format!("{path}: no assets/schema/{schema}.json"));
            continue;
        }
        if WHOLE_WORKSPACE.contains(&path.as_str()) {
            continue;
        }
        let required = schema_of(schema)["required"].clone();
        let required: Vec<&str> = required
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let wanted: &[&str] = if COUNTS_ONLY.contains(&path.as_str()) {
            &["skipped"]
        } else {
            &["changed", "skipped"]
        };
        for field in wanted {
            if !required.contains(field) {
                missing.push(format!("{path}: {schema}.json does not require '{field}'"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// An argument with its placeholders (`@FIX/`, `@ASSETS/`, `@TMP/`,
/// `@LOGIN`: the login running the tests) filled.
fn filled(arg: &str, tmp: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if arg == "@LOGIN" {
        seqtui::cli::current_login().expect("a login to bind")
    } else if let Some(rest) = arg.strip_prefix("@FIX/") {
        root.join("tests/fixtures").join(rest).display().to_string()
    } else if let Some(rest) = arg.strip_prefix("@ASSETS/") {
        root.join("assets").join(rest).display().to_string()
    } else if let Some(rest) = arg.strip_prefix("@TMP/") {
        tmp.join(rest).display().to_string()
    } else {
        arg.to_string()
    }
}

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
    std::fs::write(
        dir.path().join("contacts.csv"),
        "email,first_name,last_name,company\nana@delta.example,Ana,Ruiz,Delta\nbo@epsilon.example,Bo,Chen,Epsilon\n",
    )
    .unwrap();
    let mut failures = Vec::new();
    for (name, args) in COMMANDS {
        let args: Vec<String> = args.iter().map(|a| filled(a, dir.path())).collect();
        let r = output(seqtui(&db).arg("--json").args(&args));
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
    // Tasks: the first three of the queue (another's: refused, with
    // `skipped`), one done, one skipped, one snoozed.
    let tasks = run(&db, &["--json", "tasks", "--all", "--limit", "3"]).json();
    let ids: Vec<String> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().expect("a task").to_string())
        .collect();
    assert_eq!(ids.len(), 3, "three tasks to work");
    for (id, action) in ids.iter().zip([
        &["done"][..],
        &["skip"][..],
        &["snooze", "--until", "tomorrow"][..],
    ]) {
        let r = output(
            seqtui(&db)
                .args(["--as", ADMIN, "--json", "task", action[0], id])
                .args(&action[1..]),
        );
        assert!(r.code == 0 || r.code == 3, "{action:?}: {}", r.stderr);
        let mut errors = Vec::new();
        validate(&schema_of("task_done"), &r.json(), "$", &mut errors);
        if !errors.is_empty() {
            failures.push(format!("task {}: {}", action[0], errors.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn migrate_prints_the_json_its_schema_describes() {
    let pg = support::postgres::Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let r = run(&db, &["demo", "--contacts", "30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let url = pg.database("schema");
    let r = output(
        seqtui(&db)
            .env("PGPASSWORD", pg.password)
            .env("PGPASSFILE", dir.path().join("no-pgpass"))
            .args([
                "--json",
                "migrate",
                "--from",
                db.to_str().unwrap(),
                "--to",
                &url,
            ]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut errors = Vec::new();
    validate(&schema_of("migrate"), &r.json(), "$", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
}
