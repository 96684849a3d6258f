//! `seqtui import contacts` as a careless or hostile teammate would use it
//! (issue 12): R12 on every row, absent columns and empty cells that keep
//! what is there, `--dry-run`, ignored columns, real line numbers, owners
//! by name, and an audit entry that names what changed. Through the built
//! binary on real files.

mod common;

use std::path::Path;

use common::cli::{Run, one_sentence, run};
use common::*;
use seqtui::domain::Contact;

// fixture(6): contact0000@acme0 (ann), 0001@acme1 (bob), 0002@acme2 (wes),
// 0003@acme3 (ann), 0004@acme4 (bob), 0005@acme5 (wes). Ann and Bob are
// reps of East (manager Mae), Wes a rep of West (manager Mo).
const C0: &str = "contact0000@acme0.example";
const C1: &str = "contact0001@acme1.example";
const C2: &str = "contact0002@acme2.example";
const C3: &str = "contact0003@acme3.example";

fn csv(f: &Fixture, name: &str, text: &str) -> String {
    let path = f.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn import(f: &Fixture, who: &str, file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--as", who, "import", "contacts", file];
    args.extend_from_slice(extra);
    run(&f.path, &args)
}

fn contact(f: &Fixture, email: &str) -> Contact {
    f.ws.contact(email).unwrap()
}

/// Every contact row and the audit log, to show that nothing changed.
fn snapshot(path: &Path) -> (Vec<Vec<String>>, i64) {
    let conn = raw(path);
    let rows = conn
        .prepare(
            "SELECT email, first_name, last_name, company, title,
                coalesce(CAST(owner_id AS TEXT), ''), lifecycle_stage FROM contacts ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            (0..7)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<seqtui::store::db::Result<Vec<String>>>()
        })
        .unwrap()
        .collect::<seqtui::store::db::Result<Vec<_>>>()
        .unwrap();
    let audit = conn
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    (rows, audit)
}

#[test]
fn a_rep_cannot_take_another_reps_contacts_and_nothing_is_imported() {
    let f = fixture(6);
    let before = snapshot(&f.path);
    // Line 2: Ann's own contact (fine on its own); lines 3 and 4: Bob's and
    // Wes's contacts, which Ann tries to make hers.
    let file = csv(
        &f,
        "grab.csv",
        &format!(
            "email,owner\n{C3},ann@team.example\n{C1},ann@team.example\n{C2},ann@team.example\n"
        ),
    );
    let r = import(&f, "ann@team.example", &file, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    let line_of = |email: &str| {
        lines
            .iter()
            .find(|l| l.contains(email))
            .unwrap_or_else(|| panic!("{email} not listed: {}", r.stderr))
            .to_string()
    };
    let bob = line_of(C1);
    assert!(bob.contains("line 3"), "{bob}");
    assert!(bob.contains("Bob Rep"), "says who may: {bob}");
    let wes = line_of(C2);
    assert!(wes.contains("line 4"), "{wes}");
    assert!(wes.contains("Wes Rep") && wes.contains("West"), "{wes}");
    assert!(
        !r.stderr.contains(C3),
        "line 2 was not refused: {}",
        r.stderr
    );
    assert_eq!(snapshot(&f.path), before, "nothing was imported");
    assert_eq!(contact(&f, C1).owner.as_deref(), Some("bob@team.example"));

    // The same in JSON: a list of refused rows with a stable code.
    let r = run(
        &f.path,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "import",
            "contacts",
            &file,
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let json = r.json();
    let refused = json["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{json}");
    assert_eq!(refused[0]["line"], 3);
    assert_eq!(refused[0]["email"], C1);
    assert_eq!(refused[0]["code"], "not_permitted");
    assert!(refused[0]["why"].as_str().unwrap().contains("Bob Rep"));
    assert_eq!(refused[1]["line"], 4);
    assert_eq!(json["created"], 0);
    assert_eq!(json["updated"], 0);
    assert_eq!(snapshot(&f.path), before, "nothing was imported");

    // Changing a name of another rep's contact is refused just the same.
    let file = csv(&f, "names.csv", &format!("email,first_name\n{C1},Robert\n"));
    let r = import(&f, "ann@team.example", &file, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
}

#[test]
fn a_rep_creates_contacts_owned_by_themselves_and_no_one_else() {
    let f = fixture(3);
    let file = csv(
        &f,
        "new.csv",
        "email,first_name,owner\nn1@new.example,N1,\nn2@new.example,N2,ann@team.example\n",
    );
    let r = import(&f, "ann@team.example", &file, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["created"], 2);
    let no_owner_column = csv(&f, "plain.csv", "email,first_name\nn3@new.example,N3\n");
    let r = import(&f, "ann@team.example", &no_owner_column, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for email in ["n1@new.example", "n2@new.example", "n3@new.example"] {
        assert_eq!(
            contact(&f, email).owner.as_deref(),
            Some("ann@team.example"),
            "{email}"
        );
    }
    // Ann may update her own new contact, and hand it over (she may transfer it).
    let file = csv(
        &f,
        "handover.csv",
        "email,company,owner\nn1@new.example,Newco,bob@team.example\n",
    );
    let r = import(&f, "ann@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let n1 = contact(&f, "n1@new.example");
    assert_eq!(
        (n1.company.as_str(), n1.owner.as_deref()),
        ("Newco", Some("bob@team.example"))
    );

    // Creating a contact for someone else is refused.
    let before = snapshot(&f.path);
    let file = csv(
        &f,
        "for-bob.csv",
        "email,owner\nn4@new.example,bob@team.example\n",
    );
    let r = import(&f, "ann@team.example", &file, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
    assert!(r.stderr.contains("n4@new.example"), "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
}

#[test]
fn a_manager_imports_within_the_team_but_not_beyond() {
    let f = fixture(6);
    // Mae (East) moves Ann's contact to Bob and Bob's to Ann, and creates one for Wes.
    let file = csv(
        &f,
        "team.csv",
        &format!(
            "email,owner,title\n{C0},bob@team.example,CFO\n{C1},ann@team.example,\nm1@new.example,wes@team.example,\n"
        ),
    );
    let r = import(&f, "mae@team.example", &file, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        (r.json()["created"].clone(), r.json()["updated"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(contact(&f, C0).owner.as_deref(), Some("bob@team.example"));
    assert_eq!(contact(&f, C0).title, "CFO");
    assert_eq!(contact(&f, C1).owner.as_deref(), Some("ann@team.example"));

    // Wes's contact is West's: refused, and the East rows with it.
    let before = snapshot(&f.path);
    let file = csv(
        &f,
        "west.csv",
        &format!("email,owner\n{C0},ann@team.example\n{C2},ann@team.example\n"),
    );
    let r = import(&f, "mae@team.example", &file, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(C2) && r.stderr.contains("line 3"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&f.path), before);
}

#[test]
fn an_email_and_owner_file_keeps_names_company_and_title() {
    let f = fixture(3);
    let was = contact(&f, C0);
    assert!(!was.first_name.is_empty() && !was.company.is_empty());
    let file = csv(
        &f,
        "owners.csv",
        &format!("email,owner\n{C0},wes@team.example\n"),
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let now = contact(&f, C0);
    assert_eq!(now.owner.as_deref(), Some("wes@team.example"));
    assert_eq!(
        (&now.first_name, &now.last_name, &now.company, &now.title),
        (&was.first_name, &was.last_name, &was.company, &was.title)
    );
}

#[test]
fn an_empty_cell_keeps_the_field_unless_clear_empty() {
    let f = fixture(3);
    let was = contact(&f, C0);
    let file = csv(
        &f,
        "blank.csv",
        &format!("email,first_name,last_name,company,title,owner\n{C0},,,,Chief,\n"),
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let now = contact(&f, C0);
    assert_eq!(now.title, "Chief");
    assert_eq!(
        (&now.first_name, &now.last_name, &now.company, &now.owner),
        (&was.first_name, &was.last_name, &was.company, &was.owner)
    );

    let r = import(&f, "admin@team.example", &file, &["--clear-empty"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let now = contact(&f, C0);
    assert_eq!(
        (
            now.first_name.as_str(),
            now.last_name.as_str(),
            now.company.as_str(),
            now.title.as_str()
        ),
        ("", "", "", "Chief")
    );
    assert_eq!(now.owner, None, "--clear-empty clears the owner too");
}

#[test]
fn dry_run_changes_nothing_and_names_the_changed_fields() {
    let f = fixture(3);
    let was = contact(&f, C0);
    let before = snapshot(&f.path);
    let file = csv(
        &f,
        "dry.csv",
        &format!(
            "email,company,title\n{C0},Acme Inc,VP Sales\n{C1},Acme 1,VP Sales\nnew@x.example,New,CTO\n"
        ),
    );
    let r = import(&f, "admin@team.example", &file, &["--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(
        (&json["created"], &json["updated"], &json["unchanged"]),
        (&1.into(), &1.into(), &1.into())
    );
    let changes = json["changes"].as_array().unwrap();
    let c0 = changes
        .iter()
        .find(|c| c["email"] == C0)
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(c0["line"], 2);
    assert_eq!(c0["created"], false);
    assert_eq!(
        c0["fields"],
        serde_json::json!([{"field": "company", "from": was.company, "to": "Acme Inc"}])
    );
    assert!(
        changes.iter().all(|c| c["email"] != C1),
        "an unchanged contact is not a change: {json}"
    );
    let new = changes
        .iter()
        .find(|c| c["email"] == "new@x.example")
        .unwrap();
    assert_eq!(new["created"], true);
    assert_eq!(new["line"], 4);
    assert_eq!(snapshot(&f.path), before, "a dry run changes nothing");

    let r = import(&f, "admin@team.example", &file, &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("1 new, 1 updated, 1 unchanged"),
        "{}",
        r.stdout
    );
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains(C0))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(
        line.contains("company") && line.contains(&was.company) && line.contains("Acme Inc"),
        "{line}"
    );
    assert_eq!(snapshot(&f.path), before, "a dry run changes nothing");

    // Refusals show in a dry run too (exit 3), and still change nothing.
    let r = import(&f, "wes@team.example", &file, &["--dry-run"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains(C0), "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
}

#[test]
fn columns_not_mapped_to_a_field_are_reported() {
    let f = fixture(1);
    let file = csv(
        &f,
        "extra.csv",
        // (A phone column is a field since issue 15; a fax column is not.)
        "Email,Fax Number,First Name,Notes\nx@new.example,555,X,hello\n",
    );
    let r = import(&f, "admin@team.example", &file, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["ignored_columns"],
        serde_json::json!(["Fax Number", "Notes"])
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.to_lowercase().contains("ignored"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(
        line.contains("Fax Number") && line.contains("Notes"),
        "{line}"
    );
}

#[test]
fn line_numbers_are_lines_of_the_file_with_quoted_newlines_and_crlf() {
    let f = fixture(1);
    let before = snapshot(&f.path);
    // The record on line 2 spans lines 2–4; the bad email is on line 5.
    let file = csv(
        &f,
        "multi.csv",
        "Email,Company\nok@x.example,\"Acme\nBuilding 2\nFloor 3\"\nnot-an-email,X\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("line 5,"), "{}", r.stderr);

    let file = csv(
        &f,
        "ragged.csv",
        "Email,Company\nok@x.example,\"A\nB\"\n\nok2@x.example,B,extra\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 5:"), "{}", r.stderr);

    let file = csv(
        &f,
        "crlf.csv",
        "Email,First Name\r\nok1@x.example,A\r\nok2@x.example,B\r\nbad,C\r\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 4,"), "{}", r.stderr);
    let file = csv(
        &f,
        "crlf-ragged.csv",
        "Email,First Name\r\nok1@x.example,A\r\nok2@x.example,B\r\nok3@x.example,C,extra\r\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 4:"), "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);

    // Each row's line in the report is where its record starts.
    let file = csv(
        &f,
        "good.csv",
        "Email,Company\r\nm1@x.example,\"A\r\nB\"\r\nm2@x.example,C\r\n",
    );
    let r = import(&f, "admin@team.example", &file, &["--json", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let changes = r.json()["changes"].clone();
    assert_eq!(changes[0]["line"], 2, "{changes}");
    assert_eq!(changes[1]["line"], 4, "{changes}");
}

#[test]
fn an_owner_may_be_named_by_full_name_or_email() {
    let f = fixture(1);
    let file = csv(
        &f,
        "hubspot.csv",
        "Email,Contact owner\nh1@x.example,Ann Rep\nh2@x.example,  bob rep \nh3@x.example,WES@team.example\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        contact(&f, "h1@x.example").owner.as_deref(),
        Some("ann@team.example")
    );
    assert_eq!(
        contact(&f, "h2@x.example").owner.as_deref(),
        Some("bob@team.example")
    );
    assert_eq!(
        contact(&f, "h3@x.example").owner.as_deref(),
        Some("wes@team.example")
    );

    // Two users called Ann Rep: the row is bad and names both.
    let r = run(
        &f.path,
        &[
            "users",
            "add",
            "ann2@team.example",
            "--name",
            "ANN REP",
            "--role",
            "rep",
            "--team",
            "West",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = snapshot(&f.path);
    let file = csv(
        &f,
        "ambiguous.csv",
        "Email,Contact owner\nh4@x.example,Ann Rep\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains("line 2")
            && r.stderr.contains("ann@team.example")
            && r.stderr.contains("ann2@team.example"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&f.path), before);

    let file = csv(
        &f,
        "nobody.csv",
        "Email,Contact owner\nh5@x.example,Maya Okafor\n",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("Maya Okafor"), "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
}

#[test]
fn the_audit_entry_names_the_contacts_created_and_the_fields_changed() {
    let f = fixture(3);
    let was = contact(&f, C0);
    let file = csv(
        &f,
        "audit.csv",
        &format!(
            "email,company,owner\n{C0},Acme Renamed,wes@team.example\n{C1},Acme 1,\nfresh@x.example,Fresh,\n"
        ),
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let audit = run(&f.path, &["--json", "audit", "--limit", "1"]).json();
    let entry = &audit[0];
    assert_eq!(entry["action"], "import");
    assert_eq!(entry["count"], 2, "one created, one updated: {entry}");
    let detail = entry["detail"].as_str().unwrap();
    assert!(
        detail.contains("fresh@x.example"),
        "names the new contact: {detail}"
    );
    assert!(detail.contains(C0), "{detail}");
    assert!(
        detail.contains(&format!("\"{}\"", was.company)) && detail.contains("Acme Renamed"),
        "the previous company and the new one: {detail}"
    );
    assert!(
        detail.contains("ann@team.example") && detail.contains("wes@team.example"),
        "the previous owner and the new one: {detail}"
    );
    assert!(
        !detail.contains(C1),
        "an unchanged contact is not named: {detail}"
    );
}

#[test]
fn a_huge_import_names_the_first_thousand_contacts_in_its_audit_entry() {
    use seqtui::domain::{AUDIT_CONTACTS_MAX, ContactInput};
    let mut f = fixture(0);
    let rows: Vec<ContactInput> = (0..AUDIT_CONTACTS_MAX + 5)
        .map(|i| ContactInput {
            line: i as u64 + 2,
            email_column: "Email".into(),
            email: format!("bulk{i:05}@x.example"),
            company: Some("Bulk".into()),
            ..Default::default()
        })
        .collect();
    let admin = f.admin.clone();
    let report = f.ws.import_contacts(&admin, &rows).unwrap();
    assert_eq!(report.created, AUDIT_CONTACTS_MAX + 5);
    let audit = run(&f.path, &["--json", "audit", "--limit", "1"]).json();
    let detail = audit[0]["detail"].as_str().unwrap();
    assert!(detail.contains("bulk00000@x.example"), "{}", &detail[..200]);
    assert!(detail.contains(&format!("bulk{:05}@x.example", AUDIT_CONTACTS_MAX - 1)));
    assert!(!detail.contains(&format!("bulk{:05}@x.example", AUDIT_CONTACTS_MAX)));
    assert!(
        detail.ends_with("and 5 more contacts"),
        "{}",
        &detail[detail.len() - 80..]
    );
}

#[test]
fn a_file_with_old_mac_line_ends_names_real_lines_too() {
    let f = fixture(1);
    let file = csv(
        &f,
        "cr.csv",
        "Email,Company\rok@x.example,\"A\rB\"\rbad,C\r",
    );
    let r = import(&f, "admin@team.example", &file, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 4,"), "{}", r.stderr);
}

/// A file that changes nothing (only a header, or every row as stored) is
/// no change: no audit entry, no batch; its counts still say what it saw.
#[test]
fn an_import_that_changes_nothing_writes_no_audit_entry_and_no_batch() {
    let f = fixture(6);
    let before = snapshot(&f.path);
    let header = csv(&f, "header.csv", "Email,First Name\n");
    let first = contact(&f, C0).first_name;
    let same = csv(&f, "same.csv", &format!("Email,First Name\n{C0},{first}\n"));
    for (file, unchanged) in [(&header, 0), (&same, 1)] {
        let r = import(&f, "ann@team.example", file, &["--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let j = r.json();
        assert_eq!(j["batch"], serde_json::Value::Null, "{}", r.stdout);
        assert_eq!(j["unchanged"], unchanged);
        assert_eq!(j["created"], 0);
        assert_eq!(j["updated"], 0);
        assert_eq!(snapshot(&f.path), before, "nothing written");
    }
}
