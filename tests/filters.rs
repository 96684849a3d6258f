//! Issue 7, the filter model on a real SQLite file: every condition alone
//! and in combination against an oracle written in plain Rust over every
//! enrollment, empty results, contacts with no company or no owner, names
//! with quotes, `%` and `_` (taken literally), keyset paging across
//! sequences, counts, resolution errors, and saved lists (save, replace,
//! delete, permissions, audit).

mod common;

use std::collections::HashMap;

use chrono::Duration;
use common::*;
use proptest::prelude::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;

fn ws_at(f: &Fixture, t: Timestamp) -> Workspace {
    Workspace::open(&f.path, Clock::Fixed(t)).unwrap()
}

/// Every enrollment with what the oracle needs of its contact.
struct Known {
    row: EnrollmentRow,
    contact: Contact,
}

/// Contacts chosen so that every condition has matches, non-matches and
/// edge cases; see `people()`.
struct World {
    f: Fixture,
    gamma: SequenceRef,
    known: Vec<Known>,
}

const COMPANIES: &[&str] = &[
    "Acme",
    "ACME",
    "Acme Corp",
    "",
    "O'Brien \"Quotes\" Ltd",
    "100% Pure_Co",
    "A_me",
    "Globex",
];

/// A contact of the world: email, company, title, owner (index into
/// ann, bob, wes) or none, lifecycle stage.
type Person = (
    String,
    &'static str,
    &'static str,
    Option<usize>,
    Option<&'static str>,
);

fn people() -> Vec<Person> {
    let titles = ["VP Sales", "Head of Growth", "CTO", ""];
    let lifecycles = [None, Some("Customer"), Some("mql"), Some("lead")];
    let domains = ["acme.example", "Globex.example", "pure.example"];
    (0..24)
        .map(|i| {
            (
                format!("p{i:02}@{}", domains[i % 3]),
                COMPANIES[i % COMPANIES.len()],
                titles[i % 4],
                if i % 5 == 4 { None } else { Some(i % 3) },
                lifecycles[(i / 2) % 4],
            )
        })
        .collect()
}

fn world() -> World {
    let mut f = fixture(0);
    let owners = [&f.rep_ann, &f.rep_bob, &f.rep_wes];
    let rows: Vec<ContactInput> = people()
        .into_iter()
        .enumerate()
        .map(
            |(i, (email, company, title, owner, lifecycle))| ContactInput {
                line: i as u64 + 2,
                email_column: "Email".into(),
                email,
                first_name: Some(format!("First{i:02}")),
                last_name: Some(format!("Last{:02}", (i * 7) % 24)),
                company: Some(company.into()),
                title: Some(title.into()),
                owner: owner.map(|o| owners[o].email.clone()),
                lifecycle_stage: lifecycle.map(String::from),
                ..Default::default()
            },
        )
        .collect();
    let admin = f.admin.clone();
    f.ws.import_contacts(&admin, &rows).unwrap();
    let c: Vec<i64> = (1..=24).collect();
    let gamma =
        f.ws.create_sequence(&f.manager_east, "Gamma 50% \"Legacy\"", &steps(), false)
            .unwrap();

    // Three waves of enrollments by different people; the first wave's
    // contacts in Alpha are unenrolled and some re-enrolled in Gamma, so a
    // contact can appear in several sequences.
    let t0 = now() - Duration::days(90);
    let t1 = now() - Duration::days(40);
    let t2 = now() - Duration::days(5);
    let enroll = |t: Timestamp, by: &User, seq: i64, idx: &[usize]| {
        let ids: Vec<i64> = idx.iter().map(|&i| c[i]).collect();
        let r = ws_at(&f, t).enroll(by, seq, &ids).unwrap();
        assert_eq!(r.enrolled.len(), ids.len(), "{r:?}");
        r.enrolled
    };
    let first = enroll(t0, &f.rep_ann, f.seq_a.id, &[0, 1, 2, 3, 4, 5, 6, 7]);
    ws_at(&f, t0 + Duration::days(10))
        .unenroll(
            &f.admin,
            &UnenrollRequest {
                enrollments: first[..4].to_vec(),
                reason: EndReason::NotAFit,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    enroll(t1, &f.rep_bob, gamma.id, &[0, 1, 8, 9, 10, 11]);
    enroll(t1, &f.rep_wes, f.seq_b.id, &[12, 13, 14, 15, 16]);
    enroll(t2, &f.manager_east, f.seq_b.id, &[17, 18, 19, 20]);
    // Run the due steps in three rounds, with engagement in between (an
    // event is linked to the contact's enrollment open at the time): an
    // open on contact 5 in Alpha, an open on 9 in Gamma, a click on 17 in
    // Beta three days ago. The waves end at different steps.
    let outbox = f.dir.path().join("outbox");
    let engage = |i: usize, when: Timestamp, click: bool| {
        let email = people()[i].0.clone();
        let inbound = if click {
            Inbound::Click {
                email: Some(email),
                message_id: None,
                url: "https://example.com".into(),
            }
        } else {
            Inbound::Open {
                email: Some(email),
                message_id: None,
            }
        };
        let out = ws_at(&f, when)
            .apply_inbound(&InboundEvent {
                id: format!("evt-{i}"),
                at: when,
                inbound,
            })
            .unwrap();
        assert!(out[0].enrollment.is_some(), "{out:?}");
    };
    run_once(&mut ws_at(&f, t0 + Duration::days(3)), &outbox).unwrap();
    // R18: the first wave's call tasks are done: they move on.
    do_all_tasks(&f.path, t0 + Duration::days(3));
    engage(5, t0 + Duration::days(4), false);
    engage(9, t1 + Duration::days(4), false);
    run_once(&mut ws_at(&f, t1 + Duration::days(6)), &outbox).unwrap();
    engage(17, now() - Duration::days(3), true);
    run_once(&mut ws_at(&f, now() - Duration::days(1)), &outbox).unwrap();
    enroll(now() - Duration::hours(2), &f.admin, gamma.id, &[21, 22]);
    let ws = ws_at(&f, now());
    let all = ws.enrollment_ids(&EnrollmentQuery::default()).unwrap();
    let known = ws
        .enrollments_by_ids(&all)
        .unwrap()
        .into_iter()
        .map(|row| Known {
            contact: ws.contact(&row.contact_id.to_string()).unwrap(),
            row,
        })
        .collect();
    World { f, gamma, known }
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The filter evaluated in plain Rust on one enrollment.
fn oracle(w: &World, f: &Filter, k: &Known) -> bool {
    let r = &k.row;
    let c = &k.contact;
    let now = now();
    let seq_names: HashMap<i64, String> = [
        (w.f.seq_a.id, w.f.seq_a.name.clone()),
        (w.f.seq_b.id, w.f.seq_b.name.clone()),
        (w.gamma.id, w.gamma.name.clone()),
    ]
    .into();
    let domain = c.email.split('@').nth(1).unwrap_or("").to_ascii_lowercase();
    // The generated filters hold dates only (UTC, the tests' zone).
    let day = |d: &Day| match d {
        Day::Date(d) => d.and_hms_opt(0, 0, 0).unwrap().and_utc(),
        Day::Relative(text) => panic!("a relative day in the model: {text}"),
    };
    (f.sequences.is_empty()
        || f.sequences.iter().any(|s| {
            lower(s) == lower(&seq_names[&r.sequence_id]) || *s == r.sequence_id.to_string()
        }))
        && (f.statuses.is_empty() || f.statuses.contains(&r.status))
        && (!f.stale || r.stale)
        && f.step_at_least.is_none_or(|n| r.step >= n)
        && f.enrolled_before
            .as_ref()
            .is_none_or(|d| r.enrolled_at < day(d))
        && f.enrolled_after
            .as_ref()
            .is_none_or(|d| r.enrolled_at >= day(d) + Duration::days(1))
        && f.no_engagement_days.is_none_or(|n| {
            let cutoff = now - Duration::days(n);
            r.enrolled_at <= cutoff && r.last_engagement_at.is_none_or(|t| t <= cutoff)
        })
        && (f.enrolled_by.is_empty() || f.enrolled_by.contains(&r.enrolled_by))
        && (f.owners.is_empty()
            || f.owners.iter().any(|o| match &c.owner {
                None => o == "none",
                Some(owner) => o == owner,
            }))
        && (f.companies.is_empty() || f.companies.iter().any(|x| lower(x) == lower(&c.company)))
        && (f.lifecycles.is_empty()
            || f.lifecycles
                .iter()
                .any(|l| lifecycle_value(l) == lower(&c.lifecycle_stage)))
        && (f.titles.is_empty() || f.titles.iter().any(|t| lower(&c.title).contains(&lower(t))))
        && (f.email_domains.is_empty() || f.email_domains.contains(&domain))
        && (f.search.is_empty() || {
            let needle = lower(&f.search);
            lower(&format!("{} {}", c.first_name, c.last_name)).contains(&needle)
                || lower(&c.email).contains(&needle)
                || lower(&c.company).contains(&needle)
        })
}

/// What the oracle says, in list order (contact name, then id).
fn expected(w: &World, f: &Filter) -> Vec<i64> {
    let mut rows: Vec<&Known> = w.known.iter().filter(|k| oracle(w, f, k)).collect();
    rows.sort_by(|a, b| (&a.row.sort_name, a.row.id).cmp(&(&b.row.sort_name, b.row.id)));
    rows.iter().map(|k| k.row.id).collect()
}

/// Ids, count and every page (of 2) of the filter agree with the oracle.
fn check(w: &World, f: &Filter) -> Vec<i64> {
    let ws = ws_at(&w.f, now());
    let q = ws.resolve(f).unwrap();
    let want = expected(w, f);
    let ids = ws.enrollment_ids(&q).unwrap();
    assert_eq!(ids, want, "ids of {}", f.to_query());
    assert_eq!(
        ws.enrollment_count(&q).unwrap(),
        want.len() as i64,
        "count of {}",
        f.to_query()
    );
    let mut paged = Vec::new();
    let mut after: Option<PageKey> = None;
    loop {
        let page = ws.enrollment_page(&q, after.as_ref(), 2).unwrap();
        if page.is_empty() {
            break;
        }
        after = Some(page.last().unwrap().page_key());
        paged.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(paged, want, "pages of {}", f.to_query());
    want
}

fn parse(text: &str) -> Filter {
    Filter::parse(text).unwrap()
}

#[test]
fn the_world_has_what_the_conditions_need() {
    let w = world();
    let seqs: std::collections::HashSet<i64> = w.known.iter().map(|k| k.row.sequence_id).collect();
    assert_eq!(seqs.len(), 3);
    let statuses: std::collections::HashSet<Status> =
        w.known.iter().map(|k| k.row.status).collect();
    for s in [Status::Active, Status::Finished, Status::Unenrolled] {
        assert!(statuses.contains(&s), "{statuses:?}");
    }
    let steps: std::collections::HashSet<i64> = w.known.iter().map(|k| k.row.step).collect();
    assert!(steps.len() >= 2, "steps {steps:?}");
    assert!(w.known.iter().any(|k| k.row.last_engagement_at.is_some()));
    assert!(w.known.iter().any(|k| k.contact.company.is_empty()));
    assert!(w.known.iter().any(|k| k.contact.owner.is_none()));
}

#[test]
fn each_condition_alone_matches_the_oracle() {
    let w = world();
    let cases: &[(&str, Option<usize>)] = &[
        ("", Some(w.known.len())),
        ("sequence:\"Alpha Outbound\"", Some(8)),
        ("seq:\"Alpha Outbound\" seq:\"Beta Nurture\"", Some(17)),
        (&format!("sequence:{}", w.gamma.id), Some(8)),
        ("sequence:\"gamma 50% \\\"legacy\\\"\"", Some(8)),
        ("status:unenrolled", Some(4)),
        ("status:active,paused", None),
        ("step-at-least:2", None),
        ("step-at-least:3", None),
        ("enrolled-before:2026-09-01", Some(8)),
        ("enrolled-after:2026-10-27", Some(6)),
        ("enrolled-after:2026-10-28", Some(2)),
        ("enrolled-after:2026-11-02", Some(0)),
        ("no-engagement-days:21", None),
        ("no-engagement-days:0", None),
        ("is:stale", None),
        ("enrolled-by:bob@team.example", Some(6)),
        ("by:mae@team.example by:wes@team.example", Some(9)),
        ("owner:ann@team.example", None),
        ("owner:none", None),
        ("owner:none owner:wes@team.example", None),
        ("company:acme", None),
        ("company:\"\"", None),
        ("company:\"O'Brien \\\"Quotes\\\" Ltd\"", None),
        ("company:\"100% Pure_Co\"", None),
        ("company:A_me", None),
        ("company:\"100%\"", Some(0)),
        ("company:A%", Some(0)),
        ("lifecycle:customer", None),
        ("lifecycle:CUSTOMER lifecycle:mql", None),
        ("title:vp", None),
        ("title:\"of gr\"", None),
        ("email-domain:globex.example", None),
        ("domain:@PURE.example", None),
        ("first03", None),
        ("search:\"pure_\"", None),
        ("search:\"_co\"", None),
        ("\"o'brien \\\"quotes\"", None),
        ("zzz-nobody", Some(0)),
    ];
    for (text, count) in cases {
        let f = parse(text);
        let got = check(&w, &f);
        if let Some(n) = count {
            assert_eq!(got.len(), *n, "{text}");
        }
    }
    // Literal %, _ and quotes: each matches exactly the company that has
    // them, and the pattern-looking ones match nothing else.
    let ws = ws_at(&w.f, now());
    let companies = |text: &str| -> Vec<String> {
        let q = ws.resolve(&parse(text)).unwrap();
        let mut names: Vec<String> = ws
            .enrollments_by_ids(&ws.enrollment_ids(&q).unwrap())
            .unwrap()
            .into_iter()
            .map(|r| r.company)
            .collect();
        names.sort();
        names.dedup();
        names
    };
    assert_eq!(companies("company:\"100% Pure_Co\""), vec!["100% Pure_Co"]);
    assert_eq!(companies("company:A_me"), vec!["A_me"]);
    assert_eq!(companies("company:acme"), vec!["ACME", "Acme"]);
    assert_eq!(companies("company:\"\""), vec![""]);
    assert_eq!(companies("_me"), vec!["A_me"]);
    assert_eq!(
        companies("company:\"O'Brien \\\"Quotes\\\" Ltd\""),
        vec!["O'Brien \"Quotes\" Ltd"]
    );
}

#[test]
fn combinations_match_the_oracle() {
    let w = world();
    for text in [
        "status:active owner:ann@team.example",
        "seq:\"Beta Nurture\" status:active step:2 enrolled-before:2026-10-01",
        "company:acme company:globex lifecycle:customer",
        "company:\"\" owner:none",
        "is:stale status:unenrolled",
        "is:stale status:active,unenrolled",
        "quiet:21 status:active by:bob@team.example",
        "domain:acme.example title:vp first",
        "after:2026-09-01 before:2026-10-01 status:active,paused,finished",
        "company:Globex domain:globex.example owner:none",
    ] {
        check(&w, &parse(text));
    }
    // An empty result across every sequence still pages and counts to 0.
    assert!(check(&w, &parse("company:acme company:globex status:unenrolled lifecycle:customer owner:wes@team.example")).is_empty());
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    let pick = |options: &'static [&'static str]| {
        proptest::sample::subsequence(options.to_vec(), 0..=2)
            .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
    };
    (
        (
            pick(&["Alpha Outbound", "Beta Nurture", "Gamma 50% \"Legacy\""]),
            proptest::sample::subsequence(Status::ALL.to_vec(), 0..=2),
            proptest::option::of(1i64..4),
            proptest::option::of(prop_oneof![Just("2026-09-01"), Just("2026-10-20")]),
            proptest::option::of(prop_oneof![Just("2026-08-01"), Just("2026-10-01")]),
            proptest::option::of(prop_oneof![Just(0i64), Just(7), Just(35), Just(100)]),
            any::<bool>(),
        ),
        (
            pick(&["ann@team.example", "bob@team.example", "mae@team.example"]),
            pick(&["ann@team.example", "wes@team.example", "none"]),
            pick(&["acme", "", "A_me", "100% Pure_Co", "Globex"]),
            pick(&["customer", "lead", "mql"]),
            pick(&["vp", "growth", "_"]),
            pick(&["acme.example", "globex.example"]),
            prop_oneof![Just(""), Just("first1"), Just("acme"), Just("%"), Just("_")],
        ),
    )
        .prop_map(|(a, b)| {
            let mut f = Filter {
                sequences: a.0,
                statuses: a.1,
                step_at_least: a.2,
                no_engagement_days: a.5,
                stale: a.6,
                enrolled_by: b.0,
                owners: b.1,
                companies: b.2,
                lifecycles: b.3,
                titles: b.4,
                email_domains: b.5,
                search: b.6.to_string(),
                ..Filter::default()
            };
            f.enrolled_before = a.3.map(|d| d.parse().unwrap());
            f.enrolled_after = a.4.map(|d| d.parse().unwrap());
            f
        })
}

#[test]
fn random_combinations_match_the_oracle_and_read_back_from_their_text() {
    let w = world();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 200,
        ..ProptestConfig::default()
    });
    runner
        .run(&arb_filter(), |f| {
            prop_assert_eq!(&Filter::parse(&f.to_query()).unwrap(), &f);
            check(&w, &f);
            Ok(())
        })
        .unwrap();
}

#[test]
fn unknown_names_are_not_found_and_bad_values_invalid() {
    let w = world();
    let ws = ws_at(&w.f, now());
    for text in [
        "sequence:Nope",
        "owner:ghost@team.example",
        "by:ghost@team.example",
    ] {
        let e = ws.resolve(&parse(text)).unwrap_err();
        assert!(matches!(e, DomainError::NotFound(_)), "{text}: {e}");
        assert!(!e.to_string().contains('\n'));
    }
    let e = Filter::parse("status:done").unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

#[test]
fn saved_lists_are_shared_audited_and_guarded() {
    let w = world();
    let mut ws = ws_at(&w.f, now());
    let filter = parse("company:acme status:active,paused");
    let report = ws.save_list(&w.f.rep_ann, "Acme stuck", &filter).unwrap();
    assert!(!report.replaced);
    assert_eq!(report.list.filter, filter);
    let open_at_acme = expected(&w, &filter).len() as i64;
    assert_eq!(report.count, open_at_acme);

    // Another process sees it, with its live count.
    let other = ws_at(&w.f, now());
    let lists = other.lists_with_counts().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].list.name, "Acme stuck");
    assert_eq!(lists[0].list.created_by, "ann@team.example");
    assert_eq!(lists[0].count, open_at_acme);
    assert_eq!(other.list("acme STUCK").unwrap().query, filter.to_query());

    // Bob (a rep) may neither replace nor delete Ann's list; a manager may.
    let e = ws
        .save_list(&w.f.rep_bob, "acme stuck", &parse("company:globex"))
        .unwrap_err();
    assert!(matches!(e, DomainError::Refused(_)), "{e}");
    let e = ws.delete_list(&w.f.rep_bob, "Acme stuck").unwrap_err();
    assert!(matches!(e, DomainError::Refused(_)), "{e}");
    let replaced = ws
        .save_list(&w.f.manager_west, "ACME STUCK", &parse("company:acme"))
        .unwrap();
    assert!(replaced.replaced);
    assert_eq!(replaced.list.name, "Acme stuck");
    assert_eq!(replaced.list.updated_by, "mo@team.example");

    // A list whose filter names something unknown is not saved.
    assert!(matches!(
        ws.save_list(&w.f.rep_ann, "bad", &parse("sequence:Nope")),
        Err(DomainError::NotFound(_))
    ));
    // A list of everything is refused, as a usage error (exit 2).
    let e = ws
        .save_list(&w.f.rep_ann, "everything", &Filter::default())
        .unwrap_err();
    assert!(matches!(e, DomainError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("at least one condition"), "{e}");
    for name in ["", "   ", "tab\there", &"x".repeat(LIST_NAME_MAX + 1)] {
        assert!(
            matches!(
                ws.save_list(&w.f.rep_ann, name, &filter),
                Err(DomainError::Invalid(_))
            ),
            "{name:?}"
        );
    }

    // Unenrolling what the list matches drops its count.
    let q = ws.resolve(&ws.list("Acme stuck").unwrap().filter).unwrap();
    let before = ws.enrollment_count(&q).unwrap();
    let open: Vec<i64> = ws
        .enrollments_by_ids(&ws.enrollment_ids(&q).unwrap())
        .unwrap()
        .into_iter()
        .filter(|r| r.status.is_open())
        .map(|r| r.id)
        .collect();
    assert!(!open.is_empty());
    ws.unenroll(
        &w.f.admin,
        &UnenrollRequest {
            enrollments: open.clone(),
            reason: EndReason::Converted,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    let still = ws
        .resolve(&parse("company:acme status:active,paused"))
        .unwrap();
    assert_eq!(ws.enrollment_count(&still).unwrap(), 0);
    assert_eq!(
        ws.enrollment_count(&q).unwrap(),
        before,
        "ended ones still match 'company:acme'"
    );

    let deleted = ws.delete_list(&w.f.manager_east, "acme stuck").unwrap();
    assert_eq!(deleted.name, "Acme stuck");
    assert!(ws.lists().unwrap().is_empty());
    assert!(matches!(
        ws.list("Acme stuck"),
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        ws.delete_list(&w.f.admin, "Acme stuck"),
        Err(DomainError::NotFound(_))
    ));

    let audit = ws.audit(None, 50).unwrap();
    let actions: Vec<(String, String)> = audit
        .iter()
        .filter(|a| a.action.ends_with("_list"))
        .map(|a| (a.action.clone(), a.actor.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("delete_list".to_string(), "mae@team.example".to_string()),
            ("save_list".into(), "mo@team.example".into()),
            ("save_list".into(), "ann@team.example".into()),
        ]
    );
}
