//! A new team's first week, end to end with the built binary and nothing
//! but what a team brings: an empty workspace (`init`), users, a
//! HubSpot-shaped export (owners by name, quoted commas, accents, an empty
//! company, an opted-out row), the shipped example sequence applied as a
//! file, a bulk enroll by lifecycle stage, `run` into the outbox, call
//! tasks that carry the phone numbers, and `task done` releasing the
//! enrollment so that its next step is due its delay after that moment.

mod common;

use std::path::Path;

use common::cli::{Run, output, process};
use serde_json::Value;

const SEQUENCE: &str = "Outbound — Email and Call";

fn at(db: &Path, now: &str, args: &[&str]) -> Run {
    let mut cmd = assert_cmd::Command::from_std(process(db));
    cmd.current_dir(db.parent().unwrap());
    if !now.is_empty() {
        cmd.arg("--now").arg(now);
    }
    let run = output(cmd.args(args));
    assert_eq!(
        run.code, 0,
        "seqtui {args:?} failed: {}{}",
        run.stdout, run.stderr
    );
    run
}

fn enrollment<'a>(list: &'a Value, email: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["contact_email"] == email)
        .unwrap_or_else(|| panic!("{email} is enrolled: {list}"))
}

fn messages(outbox: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(outbox.join("new")).unwrap() {
        all.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    all
}

#[test]
fn from_init_to_the_second_step_after_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let outbox = dir.path().join("outbox");
    let out = outbox.to_str().unwrap();

    at(
        &db,
        "",
        &[
            "init",
            "--name",
            "Acme",
            "--admin",
            "ada@acme.example",
            "--admin-name",
            "Ada Admin",
        ],
    );
    for (email, name) in [
        ("maya@acme.example", "Maya Okafor"),
        ("luis@acme.example", "Luis García"),
    ] {
        at(
            &db,
            "",
            &[
                "users", "add", email, "--name", name, "--role", "rep", "--team", "East",
            ],
        );
    }

    let csv = dir.path().join("hubspot.csv");
    std::fs::write(
        &csv,
        "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Contact owner,Lifecycle Stage,Unsubscribed from all email\n\
         101,Émile,Zola,emile@paris.example,+33 1 23 45 67 89,\"Rougon, Macquart & Cie\",Maya Okafor,Lead,false\n\
         102,Ana,Núñez,ana@madrid.example,+34 91 123 4567,,Luis García,lead,\n\
         103,Bo,Chen,bo@shanghai.example,,\"Acme, Inc.\",maya@acme.example,Marketing Qualified Lead,\n\
         104,Dee,Opt,dee@out.example,+1 555 0100,Out Co,Maya Okafor,Lead,true\n",
    )
    .unwrap();
    at(&db, "", &["import", "contacts", csv.to_str().unwrap()]);
    let contacts = at(&db, "", &["contacts", "--json"]).stdout;
    let contacts: Value = serde_json::from_str(&contacts).unwrap();
    let emile = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "emile@paris.example")
        .unwrap();
    assert_eq!(emile["owner"], "maya@acme.example", "{emile}");
    assert_eq!(emile["company"], "Rougon, Macquart & Cie", "{emile}");
    assert_eq!(emile["crm_id"], "101", "{emile}");

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sequences/outbound.toml");
    at(
        &db,
        "",
        &["sequence", "apply", example.to_str().unwrap(), "--yes"],
    );

    // Monday 10:00 in New York, inside the example's sending window.
    let monday = "2026-12-07T15:00:00Z";
    let enroll = at(
        &db,
        monday,
        &[
            "enroll",
            "--sequence",
            SEQUENCE,
            "--all",
            "--lifecycle",
            "lead",
            "--yes",
            "--json",
        ],
    );
    let enroll: Value = serde_json::from_str(&enroll.stdout).unwrap();
    let enrolled = enroll["enrolled"]
        .as_array()
        .unwrap_or_else(|| panic!("{enroll}"));
    assert_eq!(
        enrolled.len(),
        2,
        "the two leads who did not opt out: {enroll}"
    );
    assert!(
        enroll.to_string().contains("opted_out"),
        "the opted-out lead is refused with its code: {enroll}"
    );

    // Two emails each (days 0 and 2), then the call is due on day 5.
    for day in [monday, "2026-12-09T15:00:00Z", "2026-12-14T15:00:00Z"] {
        at(&db, day, &["run", "--outbox", out]);
    }
    let sent = messages(&outbox);
    assert_eq!(sent.len(), 4, "two emails to each lead");
    assert!(
        sent.iter().all(|m| m.contains("List-Unsubscribe:")),
        "every automatic email can be unsubscribed from"
    );
    assert!(
        sent.iter()
            .any(|m| m.contains("Subject: Quick question about outbound at Rougon, Macquart & Cie")),
        "merge fields filled from the import"
    );

    let tasks = at(&db, "2026-12-14T15:00:00Z", &["tasks", "--all", "--json"]).stdout;
    let tasks: Value = serde_json::from_str(&tasks).unwrap();
    let calls: Vec<&Value> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "call")
        .collect();
    assert_eq!(calls.len(), 2, "{tasks}");
    let call = calls
        .iter()
        .find(|t| t["contact_email"] == "emile@paris.example")
        .unwrap();
    assert_eq!(call["phone"], "+33 1 23 45 67 89", "{call}");
    let ana_call = calls
        .iter()
        .find(|t| t["contact_email"] == "ana@madrid.example")
        .unwrap();
    assert_eq!(ana_call["phone"], "+34 91 123 4567", "{ana_call}");

    // The enrollment waits at the call until it is done, whenever that is.
    let later = "2026-12-15T16:30:00Z";
    let list: Value =
        serde_json::from_str(&at(&db, later, &["enrollments", "--json"]).stdout).unwrap();
    assert_eq!(enrollment(&list, "emile@paris.example")["step"], 3);

    let id = call["id"].as_i64().unwrap().to_string();
    at(&db, later, &["task", "done", &id]);
    let list: Value =
        serde_json::from_str(&at(&db, later, &["enrollments", "--json"]).stdout).unwrap();
    let emile = enrollment(&list, "emile@paris.example");
    assert_eq!(emile["step"], 4, "{emile}");
    // The LinkedIn task comes two days after the call was done.
    assert_eq!(emile["next_due_at"], "2026-12-17T16:30:00Z", "{emile}");
    // Ana's call is not done: she still waits at it.
    assert_eq!(enrollment(&list, "ana@madrid.example")["step"], 3);

    at(&db, "2026-12-17T16:30:00Z", &["run", "--outbox", out]);
    let tasks: Value = serde_json::from_str(
        &at(&db, "2026-12-17T16:30:00Z", &["tasks", "--all", "--json"]).stdout,
    )
    .unwrap();
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["contact_email"] == "emile@paris.example"
                && t["title"] == "Connect with Émile Zola on LinkedIn"),
        "the next step's task was created: {tasks}"
    );
}
