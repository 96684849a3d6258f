//! Issue 15: contacts from a CRM (HubSpot's export as it comes, phone and
//! record id, lifecycle labels), the contact list, enrolling in bulk, and
//! handing over a departing rep's enrollments (R10). Real files, the built
//! binary.

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;

const HUBSPOT: &str = "\
\"Record ID\",\"First Name\",\"Last Name\",\"Email\",\"Phone Number\",\"Company Name\",\"Job Title\",\"Contact owner\",\"Lifecycle Stage\",\"Unsubscribed from all email\",\"Create Date\"
\"5101\",\"Zoë\",\"Ørsted\",\"zoe@nordic.example\",\"+45 12 34 56 78\",\"Nordic, Wind & Co\",\"CTO\",\"Ann Rep\",\"Marketing Qualified Lead\",\"false\",\"2026-01-05 10:00\"
\"5102\",\"José\",\"Núñez\",\"jose@sur.example\",\"\",\"\",\"\",\"bob@team.example\",\"Sales Qualified Lead\",\"\",\"2026-01-06 10:00\"
\"5103\",\"Lee\",\"Park\",\"lee@acme.example\",\"(555) 010-2000\",\"Acme\",\"VP Sales\",\"Wes Rep\",\"Customer\",\"true\",\"2026-01-07 10:00\"
\"5104\",\"Ava\",\"Stone\",\"ava@acme.example\",\"555 0100\",\"Acme\",\"Buyer\",\"Ann Rep\",\"Lead\",\"false\",\"2026-01-08 10:00\"
";

fn hubspot(f: &Fixture) -> std::path::PathBuf {
    let file = f.dir.path().join("hubspot-export.csv");
    std::fs::write(&file, HUBSPOT).unwrap();
    file
}

#[test]
fn a_hubspot_export_imports_as_it_comes_and_the_contact_shows_phone_and_crm_id() {
    let f = fixture(0);
    let file = hubspot(&f);
    let r = run(
        &f.path,
        &["--json", "import", "contacts", file.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["created"], 4, "{report}");
    assert_eq!(
        report["ignored_columns"],
        serde_json::json!(["Create Date"])
    );

    let zoe = run(&f.path, &["--json", "contact", "zoe@nordic.example"]).json();
    let c = &zoe;
    assert_eq!(c["first_name"], "Zoë");
    assert_eq!(c["last_name"], "Ørsted");
    assert_eq!(c["company"], "Nordic, Wind & Co");
    assert_eq!(
        c["owner"], "ann@team.example",
        "owner named by a person's name"
    );
    assert_eq!(c["lifecycle_stage"], "marketingqualifiedlead");
    assert_eq!(c["lifecycle_label"], "Marketing Qualified Lead");
    assert_eq!(c["phone"], "+45 12 34 56 78");
    assert_eq!(c["crm_id"], "5101");
    assert_eq!(c["opted_out"], false);

    let jose = run(&f.path, &["--json", "contact", "jose@sur.example"]).json();
    assert_eq!(jose["company"], "");
    assert_eq!(jose["lifecycle_stage"], "salesqualifiedlead");
    assert_eq!(jose["owner"], "bob@team.example");
    let lee = run(&f.path, &["--json", "contact", "lee@acme.example"]).json();
    assert_eq!(lee["opted_out"], true, "Unsubscribed from all email");
    assert_eq!(lee["owner"], "wes@team.example");

    let text = run(&f.path, &["contact", "zoe@nordic.example"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("phone +45 12 34 56 78 · CRM id 5101"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Marketing Qualified Lead"),
        "{}",
        text.stdout
    );

    // Importing the same export again changes nothing.
    let again = run(
        &f.path,
        &["--json", "import", "contacts", file.to_str().unwrap()],
    )
    .json();
    assert_eq!(again["unchanged"], 4, "{again}");

    // A stage filter takes the label, the value or the short name.
    for stage in ["Marketing Qualified Lead", "marketingqualifiedlead", "MQL"] {
        let list = run(&f.path, &["--json", "contacts", "--lifecycle", stage]).json();
        let emails: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, ["zoe@nordic.example"], "{stage}");
    }
}

#[test]
fn a_call_task_carries_the_contacts_phone() {
    let mut f = fixture(0);
    let file = hubspot(&f);
    assert_eq!(
        run(&f.path, &["import", "contacts", file.to_str().unwrap()]).code,
        0
    );
    let zoe = f.ws.contact("zoe@nordic.example").unwrap();
    let ann = f.rep_ann.clone();
    f.ws.enroll(&ann, f.seq_a.id, &[zoe.id]).unwrap();
    // Step 2 is a call, two days after the first email.
    let outbox = f.dir.path().join("outbox");
    for at in ["2026-11-02T09:00:00Z", "2026-11-04T10:00:00Z"] {
        let r = output(seqtui_at(&f.path, at).args(["run", "--outbox", outbox.to_str().unwrap()]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let detail = f.ws.contact_detail(zoe.id).unwrap();
    let task = &detail.enrollments[0].tasks[0];
    assert_eq!(task.kind, StepKind::Call);
    assert_eq!(task.phone.as_deref(), Some("+45 12 34 56 78"));
    let json = run(&f.path, &["--json", "contact", "zoe@nordic.example"]).json();
    assert_eq!(
        json["enrollments"][0]["tasks"][0]["phone"],
        "+45 12 34 56 78"
    );
    let text = run(&f.path, &["contact", "zoe@nordic.example"]);
    assert!(
        text.stdout.contains("call 'Call Zoë' due"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("· phone +45 12 34 56 78"),
        "{}",
        text.stdout
    );
    // The rep's task queue shows it too (JSON and the PHONE column).
    let tasks = output(seqtui_at(&f.path, "2026-11-04T10:00:00Z").args([
        "--as",
        "ann@team.example",
        "--json",
        "tasks",
    ]));
    assert_eq!(tasks.code, 0, "{}", tasks.stderr);
    assert_eq!(
        tasks.json()[0]["phone"],
        "+45 12 34 56 78",
        "{}",
        tasks.stdout
    );
    let tasks = output(seqtui_at(&f.path, "2026-11-04T10:00:00Z").args([
        "--as",
        "ann@team.example",
        "tasks",
    ]));
    assert!(tasks.stdout.contains("+45 12 34 56 78"), "{}", tasks.stdout);
}

fn emails(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn contacts_lists_filters_and_writes_safe_csv_and_json() {
    let mut f = fixture(6);
    f.ws.opt_out(f.c[2], "test").unwrap();
    let ann = f.rep_ann.clone();
    f.ws.enroll(&ann, f.seq_a.id, &[f.c[0]]).unwrap();
    let formula = f.dir.path().join("formula.csv");
    std::fs::write(
        &formula,
        "Email,Company,Job Title,Contact owner\nmallory@evil.example,\"=HYPERLINK(\"\"http://x\"\")\",@SUM(1),Ann Rep\n",
    )
    .unwrap();
    assert_eq!(
        run(&f.path, &["import", "contacts", formula.to_str().unwrap()]).code,
        0
    );

    let all = run(&f.path, &["--json", "contacts"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let all = all.json();
    assert_eq!(all.as_array().unwrap().len(), 7);
    let first = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == f.c[0])
        .unwrap();
    assert_eq!(first["open_sequence"], "Alpha Outbound", "{first}");
    assert_eq!(first["owner"], "ann@team.example");
    assert_eq!(first["lifecycle_stage"], "lead");
    assert_eq!(first["lifecycle_label"], "Lead");

    let ask = |args: &[&str]| {
        let mut full = vec!["--json", "contacts"];
        full.extend_from_slice(args);
        let r = run(&f.path, &full);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        emails(&r.json())
    };
    // Contacts c[i] are owned by ann, bob, wes in turn; c[i] is at acme{i % 7}.
    let c = |i: usize| format!("contact{i:04}@acme{}.example", i % 7);
    let mut anns = ask(&["--owner", "ann@team.example"]);
    anns.sort();
    assert_eq!(anns, [c(0), c(3), "mallory@evil.example".into()]);
    assert_eq!(ask(&["--opted-out", "yes"]), [c(2)]);
    assert_eq!(ask(&["--opted-out", "no"]).len(), 6);
    assert_eq!(ask(&["--company", "acme 4"]), [c(4)]);
    assert_eq!(ask(&["--email-domain", "acme5.example"]), [c(5)]);
    assert_eq!(ask(&["--search", "first0001"]), [c(1)]);
    assert_eq!(ask(&["--title", "@sum"]), ["mallory@evil.example"]);
    assert_eq!(
        ask(&["--owner", "bob@team.example", "--company", "Acme 4"]),
        [c(4)]
    );
    assert_eq!(ask(&["--limit", "2"]).len(), 2);

    // CSV: the documented columns; a cell a spreadsheet would run starts with '.
    let csv = run(
        &f.path,
        &["contacts", "--format", "csv", "--owner", "ann@team.example"],
    );
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "email",
            "first_name",
            "last_name",
            "company",
            "title",
            "owner",
            "lifecycle_stage",
            "phone",
            "crm_id",
            "opted_out",
            "undeliverable",
            "open_sequence"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let mallory = rows
        .iter()
        .find(|r| &r[0] == "mallory@evil.example")
        .unwrap();
    assert_eq!(&mallory[3], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&mallory[4], "'@SUM(1)");
    let first = rows.iter().find(|r| r[0] == c(0)).unwrap();
    assert_eq!(&first[11], "Alpha Outbound");

    // An enrollment condition is not a contact filter (usage, exit 2).
    let bad = run(&f.path, &["contacts", "--status", "active"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let bad = run(&f.path, &["contacts", "--format", "xml"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    one_sentence(&bad.stderr);
}

#[test]
fn contact_pages_follow_each_other_and_walk_the_name_index() {
    let f = sqlite_fixture(10);
    let filter = Filter::default();
    let all = f.ws.contact_page(&filter, None, None, 100).unwrap();
    assert_eq!(all.len(), 10);
    let mut paged = Vec::new();
    let mut after: Option<ContactCursor> = None;
    loop {
        let page = f.ws.contact_page(&filter, None, after.as_ref(), 3).unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| ContactCursor {
            sort_name: r.sort_name.clone(),
            id: r.id,
        });
        paged.extend(page);
    }
    assert_eq!(paged, all);
    let conn = raw(&f.path);
    for query in [
        EnrollmentQuery::default(),
        EnrollmentQuery {
            lifecycles: vec!["lead".into()],
            titles: vec!["vp".into()],
            search: "first".into(),
            ..Default::default()
        },
    ] {
        let plan = seqtui::store::contacts::contact_page_plan(&conn, &query, Some(false)).unwrap();
        assert!(plan.iter().any(|l| l.contains("contacts_sort")), "{plan:?}");
        assert!(
            !plan.iter().any(|l| l.contains("TEMP B-TREE")),
            "a page must not sort: {plan:?}"
        );
    }
}

fn enroll_counts(path: &std::path::Path) -> (i64, i64) {
    let conn = raw(path);
    let enrollments = conn
        .query_row("SELECT count(*) FROM enrollments", [], |r| r.get(0))
        .unwrap();
    let audits = conn
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'enroll'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (enrollments, audits)
}

/// 12 contacts: c[2] opted out, c[3] undeliverable, c[4] open in Beta.
fn bulk_fixture() -> Fixture {
    let mut f = fixture(12);
    f.ws.opt_out(f.c[2], "test").unwrap();
    raw(&f.path)
        .execute(
            "UPDATE contacts SET undeliverable_email_key = email_key,
                undeliverable_at = '2026-11-01T00:00:00Z', undeliverable_reason = 'user_unknown'
             WHERE id = ?1",
            [f.c[3]],
        )
        .unwrap();
    let wes = f.rep_wes.clone();
    f.ws.enroll(&wes, f.seq_b.id, &[f.c[4]]).unwrap();
    f
}

#[test]
fn enroll_all_dry_run_then_one_batch_with_refusal_codes_and_undo() {
    let f = bulk_fixture();
    let before = enroll_counts(&f.path);
    let dry = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--dry-run",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let dry = dry.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["batch"], serde_json::Value::Null);
    assert_eq!(
        dry["enrolled_contacts"].as_array().unwrap().len(),
        9,
        "{dry}"
    );
    let refused = dry["refused"].as_array().unwrap();
    let code_of = |id: i64| {
        refused
            .iter()
            .find(|r| r["contact_id"] == id)
            .map(|r| r["code"].as_str().unwrap().to_string())
    };
    assert_eq!(code_of(f.c[2]).as_deref(), Some("opted_out"));
    assert_eq!(code_of(f.c[3]).as_deref(), Some("undeliverable"));
    assert_eq!(code_of(f.c[4]).as_deref(), Some("already_enrolled"));
    let r1 = refused.iter().find(|r| r["contact_id"] == f.c[4]).unwrap();
    assert!(
        r1["why"].as_str().unwrap().contains("'Beta Nurture'"),
        "{r1}"
    );
    assert_eq!(enroll_counts(&f.path), before, "a dry run changes nothing");

    // More than one contact without --yes and no terminal: refused, exit 2.
    let asked = run(
        &f.path,
        &["enroll", "--sequence", "Alpha Outbound", "--all"],
    );
    assert_eq!(asked.code, 2, "{}", asked.stderr);
    assert!(asked.stderr.contains("--yes"), "{}", asked.stderr);
    assert!(
        asked.stderr.contains("enroll 9 contacts"),
        "{}",
        asked.stderr
    );
    assert_eq!(enroll_counts(&f.path), before);

    let done = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    let done = done.json();
    let batch = done["batch"].as_str().unwrap().to_string();
    assert_eq!(done["enrolled"].as_array().unwrap().len(), 9);
    assert_eq!(done["refused"].as_array().unwrap().len(), 3);
    assert_eq!(
        enroll_counts(&f.path),
        (before.0 + 9, before.1 + 1),
        "one batch"
    );
    let conn = raw(&f.path);
    let (in_batch, steps, audit_rows): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM enrollments WHERE batch = ?1 AND status = 'active'
                        AND current_step = 1),
                    (SELECT count(*) FROM scheduled_steps ss JOIN enrollments e
                        ON e.id = ss.enrollment_id WHERE e.batch = ?1 AND ss.state = 'scheduled'),
                    (SELECT count(*) FROM audit_enrollments ae JOIN audit a ON a.id = ae.audit_id
                        WHERE a.batch = ?1)",
            [&batch],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((in_batch, steps, audit_rows), (9, 27, 9));
    check_invariants(&f.path);

    // The batch can be undone within the window.
    let undo = run(&f.path, &["--json", "undo", &batch]);
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    assert_eq!(undo.json()["ended"].as_array().unwrap().len(), 9);
    let open: i64 = conn
        .query_row(
            "SELECT count(*) FROM enrollments WHERE batch = ?1 AND status IN ('active','paused')",
            [&batch],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(open, 0);
    check_invariants(&f.path);
}

#[test]
fn enroll_all_narrowed_by_contact_filters_list_and_csv() {
    let mut f = bulk_fixture();
    // Contact filters narrow --all: ann's contacts are c0, c3, c6, c9.
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--owner",
            "ann@team.example",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = r.json();
    assert_eq!(
        r["enrolled_contacts"],
        serde_json::json!([f.c[0], f.c[6], f.c[9]])
    );
    assert_eq!(r["refused"][0]["code"], "undeliverable");
    // Without --all a contact filter selects nothing: usage.
    let bad = run(
        &f.path,
        &[
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--owner",
            "ann@team.example",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);

    // A saved list: its enrollments' contacts (c4 open in Beta, c5 ended).
    let wes = f.rep_wes.clone();
    let ended = f.ws.enroll(&wes, f.seq_b.id, &[f.c[5]]).unwrap().enrolled[0];
    f.ws.unenroll(
        &wes,
        &UnenrollRequest {
            enrollments: vec![ended],
            reason: EndReason::NotAFit,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    assert_eq!(
        run(
            &f.path,
            &["list", "save", "beta", "--sequence", "Beta Nurture"]
        )
        .code,
        0
    );
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--list",
            "beta",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = r.json();
    assert_eq!(r["enrolled_contacts"], serde_json::json!([f.c[5]]));
    assert_eq!(r["refused"][0]["code"], "already_enrolled");

    // A CSV (any export with an email column); an unknown email is refused.
    let file = f.dir.path().join("targets.csv");
    std::fs::write(
        &file,
        "Email,First Name\ncontact0006@acme6.example,x\nCONTACT0007@ACME0.EXAMPLE,y\nnobody@nowhere.example,z\n",
    )
    .unwrap();
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--csv",
            file.to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = r.json();
    assert_eq!(r["enrolled_contacts"], serde_json::json!([f.c[6], f.c[7]]));
    assert_eq!(r["refused"][0]["code"], "not_found");
    assert_eq!(r["refused"][0]["contact"], "nobody@nowhere.example");
    check_invariants(&f.path);

    // Only refusals: exit 3, each named with its code on stderr.
    let r = run(
        &f.path,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            &f.c[2].to_string(),
            "--contact",
            &f.c[3].to_string(),
            "--yes",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("refused (opted_out)"), "{}", r.stderr);
    assert!(r.stderr.contains("refused (undeliverable)"), "{}", r.stderr);
}

/// `--contact` names contacts one by one: one that is no contact is refused
/// `not_found` beside the others (it does not fail the request), and the
/// refusals come in request order.
#[test]
fn enroll_contact_refuses_an_unknown_one_and_enrolls_the_rest_in_request_order() {
    let f = bulk_fixture();
    let before = enroll_counts(&f.path);
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "nobody@nowhere.example",
            "--contact",
            "contact0005@acme5.example",
            "--contact",
            &f.c[2].to_string(),
            "--contact",
            "999999",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = r.json();
    assert_eq!(r["enrolled_contacts"], serde_json::json!([f.c[5]]));
    let refused: Vec<(String, String)> = r["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["code"].as_str().unwrap().to_string(),
                x["contact"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(
        refused[0],
        ("not_found".into(), "nobody@nowhere.example".into())
    );
    assert_eq!(refused[1].0, "opted_out");
    assert_eq!(refused[2], ("not_found".into(), "999999".into()));
    assert_eq!(r["skipped"][0]["id"], serde_json::Value::Null);
    let after = enroll_counts(&f.path);
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1));

    // Only unknown contacts: the report still prints, and the exit is 4.
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "nobody@nowhere.example",
        ],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = r.json();
    assert_eq!(r["enrolled_contacts"], serde_json::json!([]));
    assert_eq!(r["refused"][0]["code"], "not_found");
    assert_eq!(enroll_counts(&f.path), after);
    check_invariants(&f.path);
}

#[test]
fn an_archived_sequence_refuses_the_whole_request() {
    let f = bulk_fixture();
    raw(&f.path)
        .execute(
            "UPDATE sequences SET archived = 1 WHERE name = 'Beta Nurture'",
            [],
        )
        .unwrap();
    let before = enroll_counts(&f.path);
    let r = run(
        &f.path,
        &["enroll", "--sequence", "Beta Nurture", "--all", "--yes"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("archived"), "{}", r.stderr);
    one_sentence(&r.stderr);
    assert_eq!(enroll_counts(&f.path), before);
}

/// Ann (East) enrolls 9 contacts owned by ann, bob and wes (West) in turn;
/// the call step has run, so each has an open task of hers.
fn departing_rep() -> Fixture {
    let mut f = fixture(9);
    let ann = f.rep_ann.clone();
    let ids = f.c.clone();
    f.ws.enroll(&ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    for at in ["2026-11-02T09:00:00Z", "2026-11-04T10:00:00Z"] {
        let r = output(seqtui_at(&f.path, at).args(["run", "--outbox", outbox.to_str().unwrap()]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    f
}

fn owners(path: &std::path::Path) -> Vec<(i64, Option<i64>)> {
    let conn = raw(path);
    let mut stmt = conn
        .prepare("SELECT id, owner_id FROM contacts ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn by_user(path: &std::path::Path, user: i64) -> (i64, i64, i64) {
    raw(path)
        .query_row(
            "SELECT (SELECT count(*) FROM enrollments WHERE status IN ('active','paused')
                        AND enrolled_by = ?1),
                    (SELECT count(*) FROM enrollments WHERE status IN ('active','paused')
                        AND sender_id = ?1),
                    (SELECT count(*) FROM tasks WHERE state = 'open' AND owner_id = ?1)",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn a_departing_reps_enrollments_go_to_another_rep_and_contacts_keep_their_owners() {
    let f = departing_rep();
    let owners_before = owners(&f.path);
    let (ann, bob) = (f.rep_ann.id, f.rep_bob.id);
    assert_eq!(by_user(&f.path, ann), (9, 9, 9));
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "--json",
            "transfer",
            "--enrolled-by",
            "ann@team.example",
            "--to",
            "bob@team.example",
            "--policy",
            "reassign",
        ];
        a.extend_from_slice(extra);
        a
    };

    // A rep may not hand over another rep's enrollments, nor a manager of
    // another team: refused (3), nothing changed.
    for who in ["wes@team.example", "bob@team.example", "mo@team.example"] {
        let mut a = vec!["--as", who];
        a.extend(args(&[]));
        let r = run(&f.path, &a);
        assert_eq!(r.code, 3, "{who}: {}", r.stderr);
        assert!(r.stderr.contains("not permitted"), "{}", r.stderr);
        one_sentence(&r.stderr);
    }
    assert_eq!(by_user(&f.path, ann), (9, 9, 9));

    // The preview: every one of her open enrollments, wes's contacts too.
    let mut a = vec!["--as", "mae@team.example"];
    a.extend(args(&["--dry-run"]));
    let preview = run(&f.path, &a);
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let preview = preview.json();
    assert_eq!(preview["enrolled_by"], "ann@team.example");
    let items = preview["enrollments"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    assert!(items.iter().all(|i| i["action"] == "reassign"), "{preview}");
    assert_eq!(by_user(&f.path, ann), (9, 9, 9));

    // Her manager hands them over: enrolling user, sender and open tasks.
    let mut a = vec!["--as", "mae@team.example"];
    a.extend(args(&[]));
    let done = run(&f.path, &a);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let done = done.json();
    assert!(done["batch"].is_string(), "{done}");
    assert_eq!(done["contacts"], serde_json::json!([]));
    assert_eq!(by_user(&f.path, ann), (0, 0, 0));
    assert_eq!(by_user(&f.path, bob), (9, 9, 9));
    assert_eq!(owners(&f.path), owners_before, "contacts keep their owners");
    let audit: String = raw(&f.path)
        .query_row(
            "SELECT action FROM audit WHERE batch = ?1",
            [done["batch"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audit, "transfer");
    check_invariants(&f.path);
}

#[test]
fn a_hand_over_that_unenrolls_asks_and_can_be_undone() {
    let f = departing_rep();
    let owners_before = owners(&f.path);
    let base = [
        "--as",
        "mae@team.example",
        "transfer",
        "--enrolled-by",
        "ann@team.example",
        "--to",
        "bob@team.example",
        "--policy",
        "unenroll",
    ];
    let asked = run(&f.path, &base);
    assert_eq!(asked.code, 2, "{}", asked.stderr);
    assert!(asked.stderr.contains("--yes"), "{}", asked.stderr);
    assert_eq!(by_user(&f.path, f.rep_ann.id), (9, 9, 9));

    let mut a = base.to_vec();
    a.extend(["--yes", "--from-step", "2"]);
    a.insert(0, "--json");
    let done = run(&f.path, &a);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let done = done.json();
    assert_eq!(done["tasks_removed"], 9, "{done}");
    let ended: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM enrollments WHERE status = 'unenrolled'
                AND end_reason = 'ownership_changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ended, 9);
    assert_eq!(owners(&f.path), owners_before);

    let undo = run(&f.path, &["--json", "--as", "mae@team.example", "undo"]);
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    assert_eq!(undo.json()["restored"].as_array().unwrap().len(), 9);
    assert_eq!(by_user(&f.path, f.rep_ann.id), (9, 9, 9));
    check_invariants(&f.path);
}

#[test]
fn a_large_enroll_batch_is_undone_whole_and_tidied() {
    // More than the batch size whose tidying is deferred (TIDY_NOW_MAX).
    let n = TIDY_NOW_MAX + 40;
    let f = fixture(n);
    let done = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    let done = done.json();
    assert_eq!(done["enrolled"].as_array().unwrap().len(), n);
    check_invariants(&f.path);
    let undo = run(&f.path, &["--json", "undo"]);
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    assert_eq!(undo.json()["ended"].as_array().unwrap().len(), n);
    let scheduled: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM scheduled_steps WHERE state = 'scheduled'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(scheduled, 0, "the undone batch's steps are cancelled");
    check_tidied(&f.path);
}

#[test]
fn salesforce_and_apollo_exports_import_with_their_phones_and_ignored_columns_named() {
    let f = fixture(0);
    let salesforce = f.dir.path().join("salesforce.csv");
    std::fs::write(
        &salesforce,
        "First Name,Last Name,Account Name,Title,Email,Phone,Mobile,Contact Owner,Lead Status\n\
         Ines,Moreau,\"Moreau, Fils & Cie\",CFO,ines@moreau.example,,+33 6 12 34 56 78,Bob Rep,Working\n",
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", salesforce.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["ignored_columns"],
        serde_json::json!(["Lead Status"])
    );
    let ines = run(&f.path, &["--json", "contact", "ines@moreau.example"]).json();
    assert_eq!(ines["company"], "Moreau, Fils & Cie");
    assert_eq!(ines["owner"], "bob@team.example");
    assert_eq!(
        ines["phone"], "+33 6 12 34 56 78",
        "the first phone with a number"
    );

    let apollo = f.dir.path().join("apollo.csv");
    std::fs::write(
        &apollo,
        "First Name,Last Name,Title,Company,Email,Email Status,Work Direct Phone,Mobile Phone,Corporate Phone,Contact Owner,Stage\n\
         Kai,Lund,Head of Ops,Lund AB,kai@lund.example,Verified,+46 8 123 45,+46 70 111,+46 8 000,ann@team.example,Lead\n",
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", apollo.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["ignored_columns"],
        serde_json::json!(["Email Status"])
    );
    let kai = run(&f.path, &["--json", "contact", "kai@lund.example"]).json();
    assert_eq!(kai["phone"], "+46 8 123 45");
    assert_eq!(kai["title"], "Head of Ops");
    assert_eq!(kai["owner"], "ann@team.example");
    assert_eq!(kai["lifecycle_stage"], "lead");
}

#[test]
fn the_migration_adds_phone_and_crm_id_and_stores_known_stages_as_hubspot_values() {
    let f = sqlite_fixture(4);
    let path = f.path.clone();
    drop(f.ws);
    // The workspace as it was before the migration: no phone, no CRM id,
    // stages as typed.
    let mine = seqtui::store::schema::migrations()
        .iter()
        .position(|sql| sql.contains("ADD COLUMN crm_id"))
        .unwrap();
    let conn = raw(&path);
    // The migrations after it (issue 16: IMAP state, delivery through a
    // server, sending rules) are undone too, so that all of them run again.
    conn.execute_batch(
        "DROP TABLE IF EXISTS imap_state;
         ALTER TABLE outbox DROP COLUMN attempts;
         ALTER TABLE outbox DROP COLUMN next_try_at;
         ALTER TABLE outbox DROP COLUMN handing_over_at;
         DROP INDEX IF EXISTS enrollments_unsubscribe_token;
         DROP INDEX IF EXISTS scheduled_steps_queue;
         DROP INDEX IF EXISTS sent_emails_sent_at;
         ALTER TABLE enrollments DROP COLUMN unsubscribe_token;
         ALTER TABLE scheduled_steps DROP COLUMN deferred_from;",
    )
    .unwrap();
    // And the sort columns of issue 14 (migration 19) with their indexes.
    for (name, _) in seqtui::store::schema::SORT_INDEXES {
        conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
            .unwrap();
    }
    conn.execute_batch(
        "ALTER TABLE enrollments DROP COLUMN next_due;
         ALTER TABLE enrollments DROP COLUMN last_engagement;",
    )
    .unwrap();
    // And the search text (migration 20), its page indexes as before.
    conn.execute_batch(
        "DROP INDEX enrollments_page;
         DROP INDEX enrollments_status_page;
         ALTER TABLE enrollments DROP COLUMN search;
         CREATE INDEX enrollments_page ON enrollments(sequence_id, sort_name, id);
         CREATE INDEX enrollments_status_page ON enrollments(sequence_id, status, sort_name, id);",
    )
    .unwrap();
    conn.execute_batch(&format!(
        "ALTER TABLE contacts DROP COLUMN phone;
         ALTER TABLE contacts DROP COLUMN crm_id;
         UPDATE contacts SET lifecycle_stage = 'mql' WHERE id = 1;
         UPDATE contacts SET lifecycle_stage = 'Sales Qualified Lead' WHERE id = 2;
         UPDATE contacts SET lifecycle_stage = 'partner' WHERE id = 3;
         PRAGMA user_version = {mine};"
    ))
    .unwrap();
    drop(conn);
    let r = run(&path, &["--json", "contacts"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let stages: Vec<(String, String, String)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["lifecycle_stage"].as_str().unwrap().to_string(),
                c["lifecycle_label"].as_str().unwrap().to_string(),
                c["phone"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |stage: &str, label: &str| {
        stages
            .iter()
            .any(|(s, l, p)| s == stage && l == label && p.is_empty())
    };
    assert!(
        has("marketingqualifiedlead", "Marketing Qualified Lead"),
        "{stages:?}"
    );
    assert!(
        has("salesqualifiedlead", "Sales Qualified Lead"),
        "{stages:?}"
    );
    assert!(has("partner", "partner"), "{stages:?}");
    assert!(has("lead", "Lead"), "{stages:?}");
}

#[test]
fn contacts_refuses_json_and_csv_together() {
    let f = fixture(2);
    let r = run(&f.path, &["--json", "contacts", "--format", "csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    one_sentence(&r.stderr);
}

#[test]
fn enroll_names_a_screenful_of_refusals_as_text_and_every_one_as_json() {
    let mut f = fixture(30);
    for &c in &f.c.clone()[..25] {
        f.ws.opt_out(c, "test").unwrap();
    }
    let text = run(
        &f.path,
        &["enroll", "--sequence", "Alpha Outbound", "--all", "--yes"],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("Enrolled 5 in 'Alpha Outbound' · 25 (25 opted_out) refused"),
        "{}",
        text.stdout
    );
    let lines: Vec<&str> = text.stderr.lines().collect();
    assert_eq!(lines.len(), 21, "{}", text.stderr);
    assert!(
        lines[20].contains("… and 5 more refused"),
        "{}",
        text.stderr
    );
    let json = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--all",
            "--dry-run",
        ],
    );
    assert_eq!(json.code, 3, "{}", json.stderr);
    assert_eq!(json.stderr, "");
    assert_eq!(json.json()["refused"].as_array().unwrap().len(), 30);
}
