//! Sequence reports and the enrollment export, on a real SQLite file built
//! through the domain and the engine: counts per status and end reason,
//! rates over contacted enrollments, R3 (an unenrolled contact's activity
//! keeps counting), `since`, an empty sequence and the per-day series.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use seqtui::domain::*;
use seqtui::engine::inbound::parse_json_line;
use seqtui::engine::outbox::run_once;

fn day(d: u32) -> Timestamp {
    now() + Duration::days(i64::from(d) - 2)
}

/// The same file seen at another time (days are of November 2026).
fn at(f: &Fixture, november: u32) -> Workspace {
    Workspace::open(&f.path, Clock::Fixed(day(november))).unwrap()
}

fn email_of(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

fn message_id_of(f: &Fixture, contact: usize) -> String {
    raw(&f.path)
        .query_row(
            "SELECT se.message_id FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1 ORDER BY se.id LIMIT 1",
            [email_of(contact)],
            |r| r.get(0),
        )
        .unwrap()
}

fn ingest(ws: &mut Workspace, line: &str) {
    let event = parse_json_line(line, ws.now()).unwrap();
    ws.apply_inbound(&event).unwrap();
}

/// The story every test reads (Alpha, steps: email, call after 2 days,
/// email after 3 more):
/// - Nov 2: contacts 0–7 enrolled; the first email goes to each.
/// - Nov 3: 0 opens and clicks, then replies (ended: replied); 1 books a
///   meeting with Ann (ended: meeting_booked); 2 opens; 3 sends an
///   out-of-office until Dec 1 (paused, Alpha pauses on out-of-office).
/// - Nov 4: Ann unenrolls 4 (not_a_fit).
/// - Nov 5: the call tasks of 2, 5, 6, 7 appear and are done (R18).
/// - Nov 8: the rest of the steps run: 2, 5, 6, 7 get the follow-up email
///   and finish (3 is paused, 4 ended).
/// - Nov 8: contacts 8–9 enrolled and sent their first email; Nov 9: Ann
///   unenrolls 9 (stale), after 9 opened.
fn story() -> Fixture {
    let mut f = fixture(12);
    // Nov 8 is a Sunday: the follow-ups go out that day all the same.
    common::send_any_time(&f.path);
    let ann = f.rep_ann.clone();
    let outbox = f.dir.path().join("outbox");
    let first: Vec<i64> = f.c[..8].to_vec();
    f.ws.enroll(&ann, f.seq_a.id, &first).unwrap();
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 8);
    f.ws.set_sequence_options(&f.manager_east, "Alpha Outbound", None, Some(true))
        .unwrap();

    let mut ws = at(&f, 3);
    let m0 = message_id_of(&f, 0);
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "open", "email": "{}", "message_id": "{m0}"}}"#,
            email_of(0)
        ),
    );
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "open", "id": "o2", "email": "{}", "message_id": "{m0}"}}"#,
            email_of(0)
        ),
    );
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "click", "email": "{}", "message_id": "{m0}", "url": "https://x.example"}}"#,
            email_of(0)
        ),
    );
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "reply", "email": "{}", "in_reply_to": "{m0}"}}"#,
            email_of(0)
        ),
    );
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "meeting_booked", "email": "{}", "organizer": "ann@team.example"}}"#,
            email_of(1)
        ),
    );
    let m2 = message_id_of(&f, 2);
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "open", "email": "{}", "message_id": "{m2}"}}"#,
            email_of(2)
        ),
    );
    let m3 = message_id_of(&f, 3);
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "reply", "email": "{}", "in_reply_to": "{m3}", "auto": true, "return_date": "2026-12-01"}}"#,
            email_of(3)
        ),
    );
    drop(ws);

    let mut ws = at(&f, 4);
    let four = ws.enrollment_of(f.c[4], f.seq_a.id).unwrap().unwrap();
    ws.unenroll(
        &ann,
        &UnenrollRequest {
            enrollments: vec![four],
            reason: EndReason::NotAFit,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    drop(ws);

    // Nov 5: the call tasks of 2, 5, 6 and 7 appear and Ann does them
    // (R18), so their follow-ups are due Nov 8.
    run_once(&mut at(&f, 5), &outbox).unwrap();
    assert_eq!(do_all_tasks(&f.path, day(5)), 4);
    let mut ws = at(&f, 8);
    let report = run_once(&mut ws, &outbox).unwrap();
    assert_eq!(report.emails_sent, 4, "the follow-ups of 2, 5, 6 and 7");
    assert_eq!(report.finished, 4);
    let later: Vec<i64> = f.c[8..10].to_vec();
    ws.enroll(&ann, f.seq_a.id, &later).unwrap();
    assert_eq!(run_once(&mut ws, &outbox).unwrap().emails_sent, 2);
    drop(ws);

    let mut ws = at(&f, 9);
    let m9 = message_id_of(&f, 9);
    ingest(
        &mut ws,
        &format!(
            r#"{{"type": "open", "email": "{}", "message_id": "{m9}"}}"#,
            email_of(9)
        ),
    );
    let nine = ws.enrollment_of(f.c[9], f.seq_a.id).unwrap().unwrap();
    ws.unenroll(
        &ann,
        &UnenrollRequest {
            enrollments: vec![nine],
            reason: EndReason::Stale,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    f
}

fn alpha(reports: &[SequenceReport]) -> &SequenceReport {
    reports
        .iter()
        .find(|r| r.sequence == "Alpha Outbound")
        .unwrap()
}

#[test]
fn counts_every_status_and_end_reason() {
    let f = story();
    let ws = at(&f, 10);
    let reports = ws.report(None, None).unwrap();
    assert_eq!(reports.len(), 2, "every sequence has a line");
    let a = alpha(&reports);
    assert_eq!(
        (a.enrolled, a.active, a.paused, a.finished, a.unenrolled),
        (10, 1, 1, 4, 4)
    );
    assert_eq!(a.unenrolled_with(EndReason::Replied), 1);
    assert_eq!(a.unenrolled_with(EndReason::MeetingBooked), 1);
    assert_eq!(a.unenrolled_with(EndReason::NotAFit), 1);
    assert_eq!(a.unenrolled_with(EndReason::Stale), 1);
    assert_eq!(a.unenrolled_with(EndReason::Bounced), 0);
    // Every reason is listed, in the order of EndReason::ALL, zeros too.
    let reasons: Vec<EndReason> = a.unenrolled_by_reason.iter().map(|c| c.reason).collect();
    assert_eq!(reasons, EndReason::ALL);
    let by_reason: i64 = a.unenrolled_by_reason.iter().map(|c| c.count).sum();
    assert_eq!(by_reason, a.unenrolled);
}

#[test]
fn rates_are_over_contacted_enrollments_and_keep_unenrolled_activity() {
    let f = story();
    let ws = at(&f, 10);
    let a = alpha(&ws.report(None, None).unwrap()).clone();
    // 8 first emails + the follow-ups of 2, 5, 6, 7 + the first of 8 and 9.
    assert_eq!(a.sent_emails, 8 + 4 + 2);
    assert_eq!(a.contacted, 10);
    // R3: contact 0 (unenrolled, replied) keeps its open, click and reply;
    // contact 9 (unenrolled, stale) keeps its open.
    assert_eq!(
        a.opened, 3,
        "contacts 0, 2 and 9; two opens of 0 count once"
    );
    assert_eq!(a.clicked, 1);
    assert_eq!(a.replied, 1, "an out-of-office is not a reply");
    assert_eq!(a.meetings, 1);
    assert!((a.open_rate - 0.3).abs() < 1e-9, "{}", a.open_rate);
    assert!((a.click_rate - 0.1).abs() < 1e-9);
    assert!((a.reply_rate - 0.1).abs() < 1e-9);
    assert!((a.meeting_rate - 0.1).abs() < 1e-9);
}

#[test]
fn since_keeps_the_enrollments_enrolled_from_then_on() {
    let f = story();
    let ws = at(&f, 10);
    let since = parse_instant("2026-11-08").unwrap();
    let reports = ws.report(Some(f.seq_a.id), Some(since)).unwrap();
    assert_eq!(reports.len(), 1);
    let a = &reports[0];
    assert_eq!(
        (a.enrolled, a.active, a.paused, a.finished, a.unenrolled),
        (2, 1, 0, 0, 1)
    );
    assert_eq!(a.unenrolled_with(EndReason::Stale), 1);
    assert_eq!(a.unenrolled_with(EndReason::Replied), 0);
    assert_eq!(
        (a.sent_emails, a.contacted, a.opened, a.replied),
        (2, 2, 1, 0)
    );
    assert!((a.open_rate - 0.5).abs() < 1e-9);
    let total: i64 = a.unenrolled_per_day.iter().map(|d| d.count).sum();
    assert_eq!(total, 1, "the series is about the same cohort");
    // At the enrollment instant itself: included.
    let exact = ws.report(Some(f.seq_a.id), Some(day(8))).unwrap();
    assert_eq!(exact[0].enrolled, 2);
    let after = ws
        .report(Some(f.seq_a.id), Some(day(8) + Duration::seconds(1)))
        .unwrap();
    assert_eq!(after[0].enrolled, 0);
}

#[test]
fn an_empty_sequence_reports_zeros_not_nan() {
    let f = story();
    let ws = at(&f, 10);
    let reports = ws.report(Some(f.seq_b.id), None).unwrap();
    assert_eq!(reports.len(), 1);
    let b = &reports[0];
    assert_eq!(b.sequence, "Beta Nurture");
    assert_eq!((b.enrolled, b.sent_emails, b.contacted), (0, 0, 0));
    for rate in [b.open_rate, b.click_rate, b.reply_rate, b.meeting_rate] {
        assert_eq!(rate, 0.0);
    }
    assert_eq!(b.unenrolled_by_reason.len(), EndReason::ALL.len());
    assert_eq!(b.unenrolled_per_day.len(), REPORT_DAYS);
    assert!(b.unenrolled_per_day.iter().all(|d| d.count == 0));
    let json = serde_json::to_string(b).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
}

#[test]
fn an_unknown_sequence_id_is_not_found() {
    let f = fixture(1);
    let err = f.ws.report(Some(999), None).unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err}");
}

#[test]
fn unenrollments_per_day_cover_thirty_days_ending_today() {
    let f = story();
    let ws = at(&f, 10);
    let a = alpha(&ws.report(None, None).unwrap()).clone();
    let days: Vec<NaiveDate> = a.unenrolled_per_day.iter().map(|d| d.day).collect();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29], NaiveDate::from_ymd_opt(2026, 11, 10).unwrap());
    assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 10, 12).unwrap());
    let count_on = |d: u32| {
        a.unenrolled_per_day
            .iter()
            .find(|c| c.day == NaiveDate::from_ymd_opt(2026, 11, d).unwrap())
            .unwrap()
            .count
    };
    assert_eq!(count_on(3), 2, "the reply and the meeting");
    assert_eq!(count_on(4), 1);
    assert_eq!(count_on(9), 1);
    assert_eq!(count_on(8), 0);
    // A month later, Nov 3 and 4 have left the window.
    let december = Workspace::open(
        &f.path,
        Clock::Fixed(parse_instant("2026-12-04T12:00:00Z").unwrap()),
    )
    .unwrap();
    let a = alpha(&december.report(None, None).unwrap()).clone();
    assert_eq!(
        a.unenrolled_per_day[0].day,
        NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
    );
    let total: i64 = a.unenrolled_per_day.iter().map(|d| d.count).sum();
    assert_eq!(total, 1, "only Nov 9 is inside Nov 5 – Dec 4");
}

#[test]
fn export_writes_the_header_and_the_rows_in_order() {
    let f = story();
    let ws = at(&f, 10);
    let ids = ws
        .enrollment_ids(&EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            statuses: Vec::new(),
            search: String::new(),
            stale: false,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids.len(), 10);
    let wanted = [ids[3], ids[0], 987_654, ids[9]];
    let path = f.dir.path().join("out.csv");
    let exported = ws.export_enrollments(&wanted, &path).unwrap();
    assert_eq!(exported.rows, 3, "an unknown id is left out");
    assert_eq!(exported.path, path, "a free name is kept");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, EXPORT_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let got: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got, vec![ids[3], ids[0], ids[9]]);
    for (row, id) in rows.iter().zip(&got) {
        let e = ws.enrollment(*id).unwrap();
        assert_eq!(&row[1], "Alpha Outbound");
        assert_eq!(&row[2], e.contact_name);
        assert_eq!(&row[3], e.contact_email);
        assert_eq!(&row[6], e.status.as_str());
        assert_eq!(row[7].parse::<i64>().unwrap(), e.step);
        assert_eq!(&row[8], "3");
        assert!(row[9].ends_with('Z'));
        assert_eq!(&row[11], e.end_reason.map(|r| r.as_str()).unwrap_or(""));
        assert_eq!(&row[14], e.batch.as_deref().unwrap_or(""));
    }
    assert!(
        !f.dir.path().join("out.csv.partial").exists(),
        "no temporary file is left behind"
    );
    // An id given twice is written once.
    let twice = [ids[1], ids[2], ids[1]];
    assert_eq!(ws.export_enrollments(&twice, &path).unwrap().rows, 2);
}

/// An export never replaces a file: the same name again (a fixed clock,
/// or two exports within one second) gets `-2`, then `-3`, and every
/// earlier file keeps what it had.
#[test]
fn an_export_never_replaces_an_existing_file() {
    let f = story();
    let ws = at(&f, 10);
    let ids = ws
        .enrollment_ids(&EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            ..Default::default()
        })
        .unwrap();
    let path = f.dir.path().join("seqtui-export-alpha-20261110-120000.csv");
    let second = f
        .dir
        .path()
        .join("seqtui-export-alpha-20261110-120000-2.csv");
    let third = f
        .dir
        .path()
        .join("seqtui-export-alpha-20261110-120000-3.csv");
    assert_eq!(ws.export_enrollments(&ids[..1], &path).unwrap().path, path);
    let first_export = std::fs::read_to_string(&path).unwrap();
    let again = ws.export_enrollments(&ids[..2], &path).unwrap();
    assert_eq!(
        (again.rows, &again.path),
        (2, &second),
        "it says where it went"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        first_export,
        "the first export is still there, unchanged"
    );
    assert!(second.exists(), "the second export has a name of its own");
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().count();
    assert_eq!(lines(&second), 3, "header and two rows");
    // A file someone else put at the next name is not touched either.
    std::fs::write(&third, "not an export\n").unwrap();
    let fourth = f
        .dir
        .path()
        .join("seqtui-export-alpha-20261110-120000-4.csv");
    assert_eq!(
        ws.export_enrollments(&ids[..3], &path).unwrap().path,
        fourth
    );
    assert_eq!(std::fs::read_to_string(&third).unwrap(), "not an export\n");
    assert_eq!(lines(&fourth), 4);
    let partials: Vec<_> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial"))
        .collect();
    assert!(
        partials.is_empty(),
        "no temporary file is left: {partials:?}"
    );
    // Another export to that name, still being written, keeps its own
    // temporary file.
    let theirs = f
        .dir
        .path()
        .join("seqtui-export-alpha-20261110-120000.csv.partial");
    std::fs::write(&theirs, "half written").unwrap();
    let fifth = f
        .dir
        .path()
        .join("seqtui-export-alpha-20261110-120000-5.csv");
    assert_eq!(ws.export_enrollments(&ids[..1], &path).unwrap().path, fifth);
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "half written");
    assert_eq!(std::fs::read_to_string(&fifth).unwrap(), first_export);
}

#[test]
fn an_export_larger_than_one_read_has_every_row() {
    let mut f = fixture(EXPORT_CHUNK + 7);
    let ann = f.rep_ann.clone();
    let contacts = f.c.clone();
    let enrolled = f.ws.enroll(&ann, f.seq_a.id, &contacts).unwrap().enrolled;
    assert_eq!(enrolled.len(), EXPORT_CHUNK + 7);
    let mut wanted = enrolled.clone();
    wanted.reverse();
    let path = f.dir.path().join("all.csv");
    assert_eq!(
        f.ws.export_enrollments(&wanted, &path).unwrap().rows,
        wanted.len()
    );
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let got: Vec<i64> = reader
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(got, wanted, "every row, in the order given");
}

#[test]
fn an_export_to_a_missing_directory_fails_with_a_sentence() {
    let f = fixture(1);
    let path = f.dir.path().join("no-such-dir").join("out.csv");
    let err = f.ws.export_enrollments(&[1], &path).unwrap_err();
    assert!(err.to_string().starts_with("cannot write"), "{err}");
    assert!(!path.exists());
}
