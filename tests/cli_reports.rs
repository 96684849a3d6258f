//! The built binary: `report` (text and JSON), `audit --format csv`, and
//! their bad input (exit codes, one sentence on stderr).

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;
use serde_json::Value;

fn refused_in_one_sentence(r: &Run) {
    one_sentence(&r.stderr);
    assert!(r.stdout.is_empty(), "nothing on stdout: {}", r.stdout);
}

/// Alpha: four enrolled by Ann, two of them unenrolled (not_a_fit, with a
/// note holding a comma, a quote and a newline). Beta: nobody.
fn story() -> Fixture {
    let mut f = fixture(6);
    let ann = f.rep_ann.clone();
    let ids = f.ws.enroll(&ann, f.seq_a.id, &f.c[..4]).unwrap().enrolled;
    f.ws.unenroll(
        &ann,
        &UnenrollRequest {
            enrollments: ids[..2].to_vec(),
            reason: EndReason::NotAFit,
            note: Some("too small, \"tiny\"\nnext year".into()),
            dry_run: false,
        },
    )
    .unwrap();
    f
}

#[test]
fn report_prints_an_aligned_table_per_sequence() {
    let f = story();
    let r = run(&f.path, &["report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("ID  SEQUENCE"), "{}", r.stdout);
    for title in [
        "ENROLLED",
        "ACTIVE",
        "UNENROLLED",
        "SENT",
        "REPLY",
        "MEETING",
    ] {
        assert!(lines[0].contains(title), "{title}: {}", lines[0]);
    }
    let alpha = lines
        .iter()
        .find(|l| l.contains("Alpha Outbound"))
        .expect("a line for Alpha");
    let cells: Vec<&str> = alpha.split_whitespace().collect();
    // ID, "Alpha", "Outbound", enrolled, active, paused, finished, unenrolled…
    assert_eq!(&cells[3..8], ["4", "2", "0", "0", "2"], "{alpha}");
    // Columns line up: the ENROLLED title starts where Alpha's count does.
    let column = lines[0].find("ENROLLED").unwrap();
    assert_eq!(&alpha[column..column + 1], "4", "{}", r.stdout);
    assert!(
        lines.iter().any(|l| l.contains("Beta Nurture")),
        "an empty sequence has its line"
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with("Alpha Outbound")
            && l.contains("not_a_fit")
            && l.ends_with('2')),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("UNENROLLED PER DAY, 2026-10-04 – 2026-11-02")
    );
}

#[test]
fn report_json_has_the_documented_shape() {
    let f = story();
    let r = run(
        &f.path,
        &["--json", "report", "--sequence", "alpha outbound"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "--sequence keeps one");
    let a = &list[0];
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "sequence_id",
        "sequence",
        "archived",
        "enrolled",
        "active",
        "paused",
        "finished",
        "unenrolled",
        "unenrolled_by_reason",
        "sent_emails",
        "contacted",
        "opened",
        "clicked",
        "replied",
        "meetings",
        "open_rate",
        "click_rate",
        "reply_rate",
        "meeting_rate",
        "unenrolled_per_day",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(a["sequence"], "Alpha Outbound");
    assert_eq!(a["enrolled"], 4);
    assert_eq!(a["unenrolled"], 2);
    let reasons = a["unenrolled_by_reason"].as_array().unwrap();
    assert_eq!(reasons.len(), EndReason::ALL.len());
    assert_eq!(reasons[0]["reason"], "replied");
    let not_a_fit = reasons.iter().find(|x| x["reason"] == "not_a_fit").unwrap();
    assert_eq!(not_a_fit["count"], 2);
    let days = a["unenrolled_per_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["day"], "2026-11-02");
    assert_eq!(days[29]["count"], 2);
    assert_eq!(a["reply_rate"], 0.0, "nothing sent yet: 0, not NaN");

    // --since after the enrollments: an empty cohort.
    let r = run(&f.path, &["--json", "report", "--since", "2026-11-03"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().all(|s| s["enrolled"] == 0));
}

#[test]
fn report_bad_input_exits_with_the_spec_codes() {
    let f = story();
    let r = run(&f.path, &["report", "--sequence", "Gamma"]);
    assert_eq!(r.code, 4);
    refused_in_one_sentence(&r);
    assert!(r.stderr.contains("no sequence 'Gamma'"), "{}", r.stderr);
    let r = run(&f.path, &["report", "--sequence", "999"]);
    assert_eq!(r.code, 4);
    refused_in_one_sentence(&r);
    let r = run(&f.path, &["report", "--since", "last week"]);
    assert_eq!(r.code, 2);
    refused_in_one_sentence(&r);
    assert!(r.stderr.contains("is not a time"), "{}", r.stderr);
}

#[test]
fn audit_csv_parses_back_with_one_row_per_entry() {
    let f = story();
    let all = run(&f.path, &["--json", "audit"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let entries: Value = serde_json::from_str(&all.stdout).unwrap();
    let entries = entries.as_array().unwrap();
    assert!(
        entries.len() >= 4,
        "users, sequences, import, enroll, unenroll"
    );

    let r = run(&f.path, &["audit", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "id", "at", "actor", "action", "reason", "note", "batch", "count", "detail"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), entries.len());
    for (row, entry) in rows.iter().zip(entries) {
        assert_eq!(
            row[0].parse::<i64>().unwrap(),
            entry["id"].as_i64().unwrap()
        );
        assert_eq!(&row[1], entry["at"].as_str().unwrap());
        assert_eq!(&row[2], entry["actor"].as_str().unwrap_or(""));
        assert_eq!(&row[3], entry["action"].as_str().unwrap());
        assert_eq!(
            row[7].parse::<i64>().unwrap(),
            entry["count"].as_i64().unwrap()
        );
        assert_eq!(&row[8], entry["detail"].as_str().unwrap());
    }
    let unenroll = rows.iter().find(|r| &r[3] == "unenroll").unwrap();
    assert_eq!(&unenroll[4], "not_a_fit");
    assert_eq!(
        &unenroll[5], "too small, \"tiny\"\nnext year",
        "quoted, whole"
    );
    assert!(unenroll[6].starts_with('B'));
    assert_eq!(&unenroll[7], "2");

    // The default is the table; --limit applies to CSV too.
    let table = run(&f.path, &["audit"]);
    assert!(table.stdout.starts_with("AT "), "{}", table.stdout);
    let two = run(&f.path, &["audit", "--format", "CSV", "--limit", "2"]);
    assert_eq!(two.code, 0);
    assert_eq!(
        csv::Reader::from_reader(two.stdout.as_bytes())
            .records()
            .count(),
        2
    );
}

#[test]
fn audit_bad_format_is_a_usage_error() {
    let f = story();
    let r = run(&f.path, &["audit", "--format", "xml"]);
    assert_eq!(r.code, 2);
    refused_in_one_sentence(&r);
    assert!(r.stderr.contains("'xml'") && r.stderr.contains("table or csv"));
    let r = run(&f.path, &["--json", "audit", "--format", "csv"]);
    assert_eq!(r.code, 2);
    refused_in_one_sentence(&r);
}
