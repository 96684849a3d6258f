//! Issue 6, workspace files that are not what they should be, through the
//! built binary: truncated, from a newer schema, a directory, read-only, on
//! a full disk — each refused with exit 1 (2 for a usage mistake) and one
//! `seqtui: ` sentence naming the file, and the file left as it was — and a
//! path with spaces and non-ASCII letters, which must just work.
//!
//! Read-only: as a normal user the file is `chmod 0444`. Root ignores file
//! modes, so as root the workspace sits on a tmpfs remounted read-only; when
//! that mount is not allowed either, the read-only case is skipped (and says
//! so on stderr).
//!
//! Full disk: a 2 MiB tmpfs (`mount -t tmpfs -o size=2m`) when mounting is
//! allowed (root with CAP_SYS_ADMIN, as in the dev container); otherwise
//! `RLIMIT_FSIZE` (`ulimit -f` in a `sh -c` wrapper, with SIGXFSZ ignored so
//! that writes past the limit fail with EFBIG instead of killing seqtui).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::cli::{NOW, Run, one_sentence, output, run, seqtui, seqtui_at};

/// A plain SQLite connection: these tests are about workspace files.
fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// A 200-contact demo workspace in `dir`, built by the binary.
fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    let r = run(&path, &["demo", "--contacts", "200"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    path
}

/// The bytes of the file and the names beside it (a -wal or -shm left
/// behind would be a change too).
fn state(path: &Path) -> (Vec<u8>, Vec<String>) {
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (std::fs::read(path).unwrap_or_default(), names)
}

fn refused(r: &Run, code: i32, what: &str) {
    assert_eq!(r.code, code, "{what}: {}", r.stderr);
    one_sentence(&r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Reading, changing, importing and ingesting: each refused, the file and
/// its folder unchanged.
fn every_command_refuses(path: &Path, code: i32, says: &str) {
    let dir = path.parent().unwrap().to_path_buf();
    let csv = std::env::temp_dir().join(format!("seqtui-wf-{}.csv", std::process::id()));
    std::fs::write(&csv, "Email,First Name\nnew@x.example,New\n").unwrap();
    let mail = std::env::temp_dir().join(format!("seqtui-wf-{}.jsonl", std::process::id()));
    std::fs::write(
        &mail,
        "{\"type\": \"unsubscribe\", \"email\": \"x@y.example\"}\n",
    )
    .unwrap();
    let before = state(path);
    for args in [
        &["sequences"][..],
        &["contact", "1"][..],
        &["unenroll", "--enrollment", "1", "--reason", "other"][..],
        &["import", "contacts", csv.to_str().unwrap()][..],
        &["ingest", mail.to_str().unwrap()][..],
    ] {
        let r = run(path, args);
        refused(&r, code, &format!("{args:?}"));
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&path.display().to_string()),
            "names the file: {}",
            r.stderr
        );
        assert_eq!(state(path), before, "{args:?} changed {}", dir.display());
    }
    let _ = std::fs::remove_file(csv);
    let _ = std::fs::remove_file(mail);
}

#[test]
fn a_truncated_workspace_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let base = demo(dir.path());
    let bytes = std::fs::read(&base).unwrap();
    for (name, len, says) in [
        ("half", bytes.len() / 2, "is damaged"),
        ("hundred", 100, "is damaged"),
        ("fifty", 50, "not a SQLite database"),
        ("empty", 0, "not a SQLite database"),
    ] {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("ws.db");
        std::fs::write(&path, &bytes[..len]).unwrap();
        every_command_refuses(&path, 1, says);
    }
}

/// The page size and the page count in a SQLite header.
fn pages(bytes: &[u8]) -> (usize, usize) {
    let size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        n => n as usize,
    };
    let count = u32::from_be_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]) as usize;
    (size, count)
}

/// Issue 12 item 13: only the last pages cut off (the header intact and
/// saying how many there should be). SQLite itself opens such a file and
/// writes to it; `integrity_check` then says it is malformed.
#[test]
fn a_workspace_missing_its_last_pages_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let base = demo(dir.path());
    let bytes = std::fs::read(&base).unwrap();
    let (size, count) = pages(&bytes);
    assert_eq!(bytes.len(), size * count, "a clean file is all its pages");
    for cut in [1, 3, 40] {
        let sub = dir.path().join(format!("cut{cut}"));
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("ws.db");
        std::fs::write(&path, &bytes[..size * (count - cut)]).unwrap();
        every_command_refuses(&path, 1, "is damaged");
    }
    // A few bytes short of the last page: damaged too.
    let sub = dir.path().join("bytes");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("ws.db");
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    every_command_refuses(&path, 1, "is damaged");
}

/// The check reads the main file's header only: a workspace that another
/// connection holds open, with commits still in its -wal (the main file
/// then lags behind, legitimately), opens and reads them.
#[test]
fn a_workspace_with_a_live_wal_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let other = raw(&path);
    other.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    other
        .execute_batch(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i < 3000)
             INSERT INTO contacts (email, email_key, first_name, last_name, company, created_at, sort_name)
             SELECT 'wal' || i || '@x.example', 'wal' || i || '@x.example', 'Wal', 'Row' || i,
                    'WalCo', '2026-11-01T00:00:00Z', 'row' || i || ' wal' FROM k;",
        )
        .unwrap();
    let wal = path.with_file_name("demo.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0, "a live -wal");
    let r = run(&path, &["--json", "contact", "wal2999@x.example"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["company"], "WalCo");
    let r = run(
        &path,
        &["unenroll", "--enrollment", "1", "--reason", "other"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    drop(other);
    let (integrity, contacts, _) = counts(&path);
    assert_eq!(integrity, "ok");
    assert_eq!(contacts, 200 + 3000);
}

#[test]
fn a_workspace_from_a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    every_command_refuses(&path, 1, "written by a newer seqtui (schema 99");
}

#[test]
fn a_directory_is_not_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    std::fs::create_dir(&path).unwrap();
    every_command_refuses(&path, 1, "is a directory");
    for args in [&["demo"][..], &["demo", "--force"][..], &["init"][..]] {
        let r = run(&path, args);
        refused(&r, 2, &format!("{args:?}"));
        assert!(
            r.stderr.contains("is a directory"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(path.is_dir() && std::fs::read_dir(&path).unwrap().next().is_none());
    }
}

/// A mistyped database URL is a usage error: taken as a path it would
/// quietly make a SQLite file named like the URL, and whoever typed it
/// would work alone believing they share the team's database.
#[test]
fn a_url_of_another_scheme_is_a_usage_error_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgress://maya@127.0.0.1:5432/sales",
        "pg://maya@db/sales",
        "postgres:maya@db/sales",
        "mysql://maya@db/sales",
    ] {
        let bare = || {
            let mut cmd = Process::new(env!("CARGO_BIN_EXE_seqtui"));
            cmd.current_dir(dir.path())
                .env_remove("SEQTUI_DB")
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .env("XDG_DATA_HOME", dir.path().join("data"));
            cmd
        };
        for args in [&["init"][..], &["demo"][..], &["users"][..]] {
            let r = Run::from(bare().arg("--db").arg(url).args(args).output().unwrap());
            assert_eq!(r.code, 2, "{url} {args:?}: {}", r.stderr);
            one_sentence(&r.stderr);
            assert!(r.stderr.contains("postgres://USER@HOST"), "{}", r.stderr);
        }
        let out = bare()
            .args(["migrate", "--from", "a.db", "--to", url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "migrate --to {url}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}

#[test]
fn a_path_with_spaces_and_accents_just_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Équipe ventes 2026").join("ws.db");
    let r = run(&path, &["--json", "demo", "--contacts", "100"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["path"], path.display().to_string());
    let csv = dir
        .path()
        .join("Équipe ventes 2026")
        .join("nouveaux contacts.csv");
    std::fs::write(&csv, "Email,First Name\nzoé@exemple.example,Zoé\n").unwrap();
    for args in [
        &["sequences"][..],
        &["import", "contacts", csv.to_str().unwrap()][..],
        &["contact", "zoé@exemple.example"][..],
        &["unenroll", "--enrollment", "1", "--reason", "other"][..],
        &["run"][..],
    ] {
        let r = run(&path, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    assert!(path.with_file_name("outbox").join("new").is_dir());
    let init = dir.path().join("Señal équipe").join("vide.db");
    assert_eq!(run(&init, &["init"]).code, 0);
    assert_eq!(run(&init, &["users"]).code, 0);
}

fn is_root() -> bool {
    Process::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A tmpfs mounted on `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn read_only(&self) -> bool {
        Process::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .output()
            .is_ok_and(|o| o.status.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_read_only_workspace_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let base = demo(dir.path());
    let mount;
    let path = if is_root() {
        // Root writes through file modes: a read-only filesystem instead.
        let Some(fs) = Tmpfs::mount(&dir.path().join("ro"), "8m") else {
            eprintln!("note: running as root without mount: read-only case skipped");
            return;
        };
        let path = fs.0.join("ws.db");
        std::fs::copy(&base, &path).unwrap();
        assert!(fs.read_only(), "remount read-only");
        mount = Some(fs);
        path
    } else {
        let path = dir.path().join("ro.db");
        std::fs::copy(&base, &path).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
        std::fs::set_permissions(&path, perms).unwrap();
        mount = None;
        path
    };
    let before = state(&path);
    let r = run(
        &path,
        &["unenroll", "--enrollment", "5", "--reason", "other"],
    );
    refused(&r, 1, "unenroll");
    assert!(r.stderr.contains("read-only"), "says why: {}", r.stderr);
    assert!(
        r.stderr.contains(&path.display().to_string()),
        "{}",
        r.stderr
    );
    assert_eq!(state(&path), before);
    drop(mount);
}

/// `rows` new contacts as a CSV.
fn big_csv(path: &Path, rows: usize) {
    let mut text = String::from("Email,First Name,Last Name,Company\n");
    for i in 0..rows {
        text.push_str(&format!(
            "p{i}@big{}.example,First{i},Last{i},Company {} with a name long enough to take room\n",
            i % 50,
            i % 50
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn counts(path: &Path) -> (String, i64, String) {
    let conn = raw(path);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    let contacts: i64 = conn
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    let statuses: String = conn
        .query_row(
            "SELECT group_concat(status, ',') FROM (SELECT status FROM enrollments ORDER BY id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (integrity, contacts, statuses)
}

/// Runs seqtui with `args` under `ulimit -f blocks` (SIGXFSZ ignored).
fn run_limited(db: &Path, blocks: u64, args: &[&str]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("seqtui");
    let out = Process::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} && exec \"$0\" \"$@\""
        ))
        .arg(bin)
        .env_remove("SEQTUI_USER")
        .env_remove("SEQTUI_RULES")
        .env("XDG_CONFIG_HOME", db.parent().unwrap().join("config"))
        .arg("--db")
        .arg(db)
        .arg("--now")
        .arg(NOW)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn a_full_disk_refuses_the_change_and_leaves_a_sound_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("big.csv");
    big_csv(&csv, 20_000);
    let unenroll_all = [
        "--as",
        "dana.whitfield@northwind.example",
        "unenroll",
        "--sequence",
        "Q4 Mid-Market Outbound",
        "--all",
        "--reason",
        "campaign_ended",
        "--yes",
    ];
    // The tmpfs's size in KiB: room for a 200-contact demo (1.2 MiB with
    // every index) and not for the default one.
    const FULL_KIB: u64 = 3072;
    match Tmpfs::mount(&dir.path().join("full"), &format!("{FULL_KIB}k")) {
        Some(fs) => {
            eprintln!("note: full disk = a 3 MiB tmpfs");
            let path = fs.0.join("ws.db");
            // The default demo (3,000 contacts) does not fit: refused, and
            // nothing left behind (it is built in a temp file).
            let r = run(&path, &["demo"]);
            refused(&r, 1, "demo on a full disk");
            assert!(r.stderr.contains("disk is full"), "{}", r.stderr);
            assert_eq!(std::fs::read_dir(&fs.0).unwrap().count(), 0);
            assert_eq!(run(&path, &["demo", "--contacts", "200"]).code, 0);
            let before = counts(&path);
            assert_eq!(before.0, "ok");
            // Fill the disk, leaving room for the -shm index only.
            let free = Process::new("df")
                .args(["-k", "--output=avail"])
                .arg(&fs.0)
                .output()
                .unwrap();
            let free: u64 = String::from_utf8_lossy(&free.stdout)
                .lines()
                .last()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let filler = fs.0.join("filler");
            std::fs::write(
                &filler,
                vec![0u8; ((free.saturating_sub(64)) * 1024) as usize],
            )
            .unwrap();
            let r = run(&path, &["import", "contacts", csv.to_str().unwrap()]);
            refused(&r, 1, "import on a full disk");
            assert!(r.stderr.contains("disk"), "{}", r.stderr);
            let r = run(&path, &unenroll_all);
            refused(&r, 1, "unenroll on a full disk");
            assert!(r.stderr.contains("disk"), "{}", r.stderr);
            // Not even room for the -shm file: still one sentence.
            std::fs::remove_file(&filler).unwrap();
            let _ = run(&path, &["sequences"]);
            let free = FULL_KIB.saturating_sub(
                std::fs::read_dir(&fs.0)
                    .unwrap()
                    .map(|e| e.unwrap().metadata().unwrap().len() / 1024 + 4)
                    .sum::<u64>(),
            );
            std::fs::write(&filler, vec![0u8; (free * 1024) as usize]).ok();
            let r = run(&path, &unenroll_all);
            if r.code != 0 {
                refused(&r, 1, "unenroll with no room at all");
            }
            std::fs::remove_file(&filler).unwrap();
            let after = counts(&path);
            assert_eq!(after, before, "integrity ok, the failed changes absent");
            drop(fs);
        }
        None => {
            eprintln!("note: tmpfs not allowed; full disk = RLIMIT_FSIZE (ulimit -f)");
            let path = dir.path().join("ws.db");
            assert_eq!(run(&path, &["demo", "--contacts", "200"]).code, 0);
            let before = counts(&path);
            let size = std::fs::metadata(&path).unwrap().len();
            // In 512-byte blocks (POSIX sh); the file may not grow by more
            // than 64 KiB, the WAL of 20,000 contacts needs megabytes.
            let blocks = size / 512 + 128;
            let r = run_limited(
                &path,
                blocks,
                &["import", "contacts", csv.to_str().unwrap()],
            );
            refused(&r, 1, "import past RLIMIT_FSIZE");
            let _ = seqtui(&path).arg("sequences").output();
            assert_eq!(counts(&path), before, "integrity ok, nothing imported");
        }
    }
}

fn mode_and_owner(path: &Path) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid(), m.gid())
}

/// Issue 12 item 4: `demo --force` replaced a team's real workspace (users,
/// bindings, audit) with demo data. It replaces only a demo, and keeps
/// that file's owner and mode.
#[test]
fn demo_force_replaces_only_a_demo_and_keeps_its_owner_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("team.db");
    assert_eq!(run(&real, &["init", "--name", "Team"]).code, 0);
    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "not a workspace at all\n").unwrap();
    let other_sqlite = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other_sqlite)
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    for path in [&real, &foreign, &other_sqlite] {
        let before = state(path);
        let r = run(path, &["demo", "--force", "--contacts", "20"]);
        refused(&r, 3, "demo --force over a non-demo");
        assert!(
            r.stderr
                .contains("is not a demo workspace; move it away or delete it yourself"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(&path.display().to_string()));
        assert_eq!(state(path), before, "{} was changed", path.display());
    }
    let r = run(&real, &["--json", "users"]);
    assert_eq!(r.json().as_array().unwrap().len(), 1, "the team's users");

    // A demo is replaced; its owner, group and mode stay.
    let demo_path = demo(dir.path());
    let mut perms = std::fs::metadata(&demo_path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o640);
    std::fs::set_permissions(&demo_path, perms).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&demo_path, Some(4321), Some(4322)).unwrap();
    }
    let before = mode_and_owner(&demo_path);
    let r = run(
        &demo_path,
        &["--json", "demo", "--force", "--contacts", "30"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["contacts"], 30);
    assert_eq!(mode_and_owner(&demo_path), before);
    if is_root() {
        assert_eq!((before.1, before.2), (4321, 4322));
    }
    assert_eq!(before.0, 0o640);
}

/// Copies `base` into the tmpfs at `fs` and fills the disk, leaving `free`
/// KiB; returns the workspace path and the filler (to remove afterwards).
fn fill(fs: &Tmpfs, base: &Path, free: u64) -> (PathBuf, PathBuf) {
    let path = fs.0.join("ws.db");
    std::fs::copy(base, &path).unwrap();
    let out = Process::new("df")
        .args(["-k", "--output=avail"])
        .arg(&fs.0)
        .output()
        .unwrap();
    let avail: u64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let filler = fs.0.join("filler");
    std::fs::write(
        &filler,
        vec![0u8; (avail.saturating_sub(free) * 1024) as usize],
    )
    .unwrap();
    (path, filler)
}

fn empty(fs: &Tmpfs) {
    for entry in std::fs::read_dir(&fs.0).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }
}

fn count(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Issue 12 item 12: on a full disk a bulk unenroll printed its result,
/// then "the disk is full; nothing was changed" — but the unenroll had been
/// saved; only its tidying failed. For every amount of room left, what it
/// says matches what the workspace holds, and the next command finishes the
/// tidying.
#[test]
fn a_full_disk_during_tidying_says_the_unenroll_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    // 583 open enrollments in Q4: more than TIDY_NOW_MAX.
    let base = dir.path().join("base.db");
    assert_eq!(run(&base, &["demo"]).code, 0);
    let Some(fs) = Tmpfs::mount(&dir.path().join("full"), "64m") else {
        eprintln!("note: tmpfs not allowed: the full-disk tidy case is skipped");
        return;
    };
    let open_q4 = "SELECT count(*) FROM enrollments WHERE sequence_id = 1
                   AND status IN ('active', 'paused')";
    let mut saved_untidied = 0;
    for free in [256, 768, 1024, 1536, 2048, 3072, 8192] {
        let (path, filler) = fill(&fs, &base, free);
        let r = run(
            &path,
            &[
                "--as",
                "dana.whitfield@northwind.example",
                "unenroll",
                "--sequence",
                "Q4 Mid-Market Outbound",
                "--all",
                "--reason",
                "campaign_ended",
                "--yes",
            ],
        );
        std::fs::remove_file(&filler).unwrap();
        let open = count(&path, open_q4);
        let queued = count(&path, "SELECT count(*) FROM tidy_queue");
        let what = format!("{free} KiB free: {} / {}", r.stdout, r.stderr);
        assert!(!r.stderr.contains("panicked"), "{what}");
        match (r.code, open, queued) {
            (0, 0, 0) => {}
            (1, 583, 0) => {
                one_sentence(&r.stderr);
                assert!(
                    r.stderr.contains("the disk is full; nothing was changed"),
                    "{what}"
                );
            }
            (1, 0, 1) => {
                saved_untidied += 1;
                one_sentence(&r.stderr);
                assert!(!r.stderr.contains("nothing was changed"), "{what}");
                let batch = r.stdout.trim().rsplit(' ').next().unwrap().to_string();
                assert!(batch.starts_with('B'), "{what}");
                assert!(
                    r.stderr.contains(&format!(
                        "the unenroll (batch {batch}) was saved; cancelling its scheduled steps and open tasks could not finish (the disk is full); the next `seqtui run` or unenroll finishes it"
                    )),
                    "{what}"
                );
                // With room again, the next run finishes the tidying.
                let again = run(&path, &["run"]);
                assert_eq!(again.code, 0, "{}", again.stderr);
                assert_eq!(count(&path, "SELECT count(*) FROM tidy_queue"), 0);
                common::check_tidied(&path);
            }
            other => panic!("{what}: unexpected (code, open, queued) {other:?}"),
        }
        common::check_invariants(&path);
        empty(&fs);
    }
    assert!(
        saved_untidied > 0,
        "no amount of room left the unenroll saved and its tidying unfinished"
    );
}

/// Issue 12 item 12: `run` said "the disk is full; nothing was changed"
/// after hundreds of emails were recorded and delivered. It says how many
/// it recorded; the next run (with room) sends the rest, each once.
#[test]
fn a_full_disk_during_run_says_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    assert_eq!(run(&base, &["demo"]).code, 0);
    let Some(fs) = Tmpfs::mount(&dir.path().join("full"), "64m") else {
        eprintln!("note: tmpfs not allowed: the full-disk run case is skipped");
        return;
    };
    // Two weeks on: about 1,400 emails due.
    const LATER: &str = "2026-11-16T09:00:00Z";
    let sent = "SELECT count(*) FROM sent_emails";
    let before = count(&base, sent);
    let mut partial = 0;
    for free in [256, 3072, 6144] {
        let (path, filler) = fill(&fs, &base, free);
        let r = output(seqtui_at(&path, LATER).arg("run"));
        std::fs::remove_file(&filler).unwrap();
        let what = format!("{free} KiB free: {} / {}", r.stdout, r.stderr);
        assert_eq!(r.code, 1, "{what}");
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains("disk is full") || r.stderr.contains("No space"),
            "{what}"
        );
        let recorded = count(&path, sent) - before;
        assert!(!r.stderr.contains("nothing was changed"), "{what}");
        if recorded == 0 {
            assert!(!r.stderr.contains("emails recorded"), "{what}");
        } else {
            partial += 1;
            assert!(!r.stderr.contains("nothing"), "{what}");
            assert!(
                r.stderr.contains(&format!("{recorded} emails recorded")),
                "{what}: {recorded} recorded"
            );
        }
        let again = output(seqtui_at(&path, LATER).arg("run"));
        assert_eq!(again.code, 0, "{}", again.stderr);
        let files = std::fs::read_dir(fs.0.join("outbox").join("new"))
            .unwrap()
            .count() as i64;
        assert_eq!(
            files,
            count(&path, sent) - before,
            "each email once in the outbox"
        );
        common::check_invariants(&path);
        empty(&fs);
    }
    assert!(partial > 0, "no run was cut off part-way");
}

/// Issue 12: a clock of year 9999 scheduled steps in year 10000, which the
/// store read back as 1970 (sent at once). The clock takes years 1970 to
/// 2999: outside, one sentence, exit 2, nothing changed.
#[test]
fn a_clock_outside_the_accepted_years_is_one_sentence_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let before = state(&path);
    for now in [
        "9999-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "0001-01-01",
    ] {
        for args in [
            &["enroll", "--sequence", "1", "--contact", "1"][..],
            &["unenroll", "--enrollment", "5", "--reason", "other"][..],
            &["run"][..],
        ] {
            let r = output(seqtui_at(&path, now).args(args));
            refused(&r, 2, &format!("{now} {args:?}"));
            assert!(
                r.stderr
                    .contains("is outside the years the clock accepts (1970 to 2999)"),
                "{now} {args:?}: {}",
                r.stderr
            );
            assert_eq!(state(&path), before, "{now} {args:?} changed the workspace");
        }
    }
    let r = output(seqtui_at(&path, "2999-12-31T23:59:59Z").arg("sequences"));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Issue 12: a workspace whose tables are not those of its schema version
/// (a column dropped by hand; a version number set back) was a dump of the
/// SQL (`no such column: c.title in SELECT …`). Now one sentence.
#[test]
fn a_workspace_whose_schema_differs_is_one_sentence_without_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    raw(&path)
        .execute_batch("ALTER TABLE contacts DROP COLUMN title;")
        .unwrap();
    let r = run(&path, &["contact", "1"]);
    refused(&r, 1, "contact on a changed schema");
    assert!(
        r.stderr
            .contains("tables are not the ones its schema version says"),
        "{}",
        r.stderr
    );
    for sql in ["SELECT", "FROM", "no such column"] {
        assert!(!r.stderr.contains(sql), "{}", r.stderr);
    }

    std::fs::create_dir(dir.path().join("back")).unwrap();
    let copy = demo(&dir.path().join("back"));
    raw(&copy).pragma_update(None, "user_version", 3).unwrap();
    let before = state(&copy);
    let r = run(&copy, &["sequences"]);
    refused(&r, 1, "a version number set back");
    assert!(
        r.stderr
            .contains("tables are not the ones its schema version says"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&copy.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("duplicate column"), "{}", r.stderr);
    assert_eq!(state(&copy), before);
}
