//! The store's schema: versioned migrations applied on `PRAGMA user_version`.
//!
//! Decision: migrations are written on `PRAGMA user_version` rather than with
//! `rusqlite_migration` (whose 2.x line pins an older rusqlite than the 0.43
//! we use). Each entry of [`MIGRATIONS`] moves the schema one version up and
//! runs in its own transaction; the version a file carries is the number of
//! migrations applied to it. A file whose version is larger than
//! `MIGRATIONS.len()` was written by a newer binary and is refused untouched.

use rusqlite::Connection;

use crate::domain::DomainError;

/// Secondary indexes that the bulk loader (demo) drops before a large
/// insert and recreates afterwards; creating an index over sorted data is
/// much cheaper than maintaining it row by row.
pub const BULK_INDEXES: &[(&str, &str)] = &[
    (
        "contacts_owner",
        "CREATE INDEX contacts_owner ON contacts(owner_id)",
    ),
    (
        "contacts_company",
        "CREATE INDEX contacts_company ON contacts(company COLLATE NOCASE)",
    ),
    (
        "contacts_sort",
        "CREATE INDEX contacts_sort ON contacts(sort_name, id)",
    ),
    (
        "contacts_first_name",
        "CREATE INDEX IF NOT EXISTS contacts_first_name ON contacts(first_name COLLATE NOCASE)",
    ),
    (
        "contacts_last_name",
        "CREATE INDEX IF NOT EXISTS contacts_last_name ON contacts(last_name COLLATE NOCASE)",
    ),
    (
        "enrollments_one_open",
        "CREATE UNIQUE INDEX enrollments_one_open ON enrollments(contact_id) WHERE status IN ('active','paused')",
    ),
    (
        "enrollments_contact",
        "CREATE INDEX enrollments_contact ON enrollments(contact_id)",
    ),
    (
        "scheduled_steps_enrollment",
        "CREATE INDEX scheduled_steps_enrollment ON scheduled_steps(enrollment_id, position)",
    ),
    (
        "scheduled_steps_pending",
        "CREATE INDEX IF NOT EXISTS scheduled_steps_pending ON scheduled_steps(enrollment_id, kind) WHERE state = 'scheduled'",
    ),
    (
        "tasks_enrollment",
        "CREATE INDEX tasks_enrollment ON tasks(enrollment_id)",
    ),
    (
        "tasks_open",
        "CREATE INDEX IF NOT EXISTS tasks_open ON tasks(enrollment_id) WHERE state = 'open'",
    ),
    (
        "tasks_queue",
        "CREATE INDEX IF NOT EXISTS tasks_queue ON tasks(owner_id, due_at, id) WHERE state = 'open'",
    ),
    (
        "tasks_open_due",
        "CREATE INDEX IF NOT EXISTS tasks_open_due ON tasks(due_at, id) WHERE state = 'open'",
    ),
    (
        "sent_emails_enrollment",
        "CREATE INDEX sent_emails_enrollment ON sent_emails(enrollment_id)",
    ),
    (
        "sent_emails_sequence",
        "CREATE INDEX sent_emails_sequence ON sent_emails(sequence_id, enrollment_id)",
    ),
    (
        "events_sequence",
        "CREATE INDEX events_sequence ON events(sequence_id, type, enrollment_id)",
    ),
    (
        "events_contact",
        "CREATE INDEX events_contact ON events(contact_id, at)",
    ),
    (
        "events_enrollment",
        "CREATE INDEX events_enrollment ON events(enrollment_id)",
    ),
    (
        "enrollments_order",
        "CREATE INDEX IF NOT EXISTS enrollments_order ON enrollments(sort_name, id, sequence_id, enrolled_at)",
    ),
    (
        "enrollments_enrolled_by",
        "CREATE INDEX IF NOT EXISTS enrollments_enrolled_by ON enrollments(enrolled_by)",
    ),
    (
        "contacts_email_domain",
        "CREATE INDEX IF NOT EXISTS contacts_email_domain ON contacts(substr(email, instr(email, '@') + 1) COLLATE NOCASE)",
    ),
];

/// The indexes of the enrollment lists' sort orders (issue 14, migration
/// 19): per sort key, one for a sequence's list (`sequence_id` first) and
/// one across sequences (the sequence after the key, so a list of a few
/// sequences is checked in the index). `next_due` and `last_engagement`
/// are NULL for most enrollments and those come last in contact order
/// (through the contact-order indexes), so their indexes hold only the
/// rows that have a value: ending an enrollment removes its `next_due`
/// entries instead of moving them. Not in version 1 (the columns came
/// later); the bulk loader drops and rebuilds them like [`BULK_INDEXES`].
pub const SORT_INDEXES: &[(&str, &str)] = &[
    (
        "enrollments_next_due",
        "CREATE INDEX IF NOT EXISTS enrollments_next_due ON enrollments(sequence_id, next_due, id) WHERE next_due IS NOT NULL",
    ),
    (
        "enrollments_all_next_due",
        "CREATE INDEX IF NOT EXISTS enrollments_all_next_due ON enrollments(next_due, id, sequence_id) WHERE next_due IS NOT NULL",
    ),
    (
        "enrollments_step",
        "CREATE INDEX IF NOT EXISTS enrollments_step ON enrollments(sequence_id, current_step, id)",
    ),
    (
        "enrollments_all_step",
        "CREATE INDEX IF NOT EXISTS enrollments_all_step ON enrollments(current_step, id, sequence_id)",
    ),
    (
        "enrollments_engaged",
        "CREATE INDEX IF NOT EXISTS enrollments_engaged ON enrollments(sequence_id, last_engagement, id) WHERE last_engagement IS NOT NULL",
    ),
    (
        "enrollments_all_engaged",
        "CREATE INDEX IF NOT EXISTS enrollments_all_engaged ON enrollments(last_engagement, id, sequence_id) WHERE last_engagement IS NOT NULL",
    ),
    (
        "enrollments_enrolled_at",
        "CREATE INDEX IF NOT EXISTS enrollments_enrolled_at ON enrollments(sequence_id, enrolled_at, id)",
    ),
    (
        "enrollments_all_enrolled_at",
        "CREATE INDEX IF NOT EXISTS enrollments_all_enrolled_at ON enrollments(enrolled_at, id, sequence_id)",
    ),
];

/// The page indexes of an enrollment list in contact order (migration
/// 20): one sequence's rows by `(sort_name, id)`, every status or one
/// status's, with the search text as a last column, so a text filter reads
/// the index alone (`store::search_text`). The price, measured on the 1M
/// demo (BENCHMARKS.md, "Session 8: the text filter"): the status index
/// is rewritten by every unenroll anyway (its status changes), and its
/// wider entries make the TUI's unenroll of 100,000 1.17–1.23 → 1.41–1.61 s
/// and its dry run 0.37–0.40 → 0.45–0.48 s; a bulk enroll of 106,107
/// 5.1–5.5 → 5.6–6.2 s. Without the text in the status index a filter with
/// a status chip must meet the status of every text match (0.13–0.2 s for
/// a common needle), which the issue's 100 ms does not allow. Version 1
/// made them without the text (`V1_PAGE_INDEXES`).
pub const SEARCH_INDEXES: &[(&str, &str)] = &[
    (
        "enrollments_page",
        "CREATE INDEX IF NOT EXISTS enrollments_page ON enrollments(sequence_id, sort_name, id, search)",
    ),
    (
        "enrollments_status_page",
        "CREATE INDEX IF NOT EXISTS enrollments_status_page ON enrollments(sequence_id, status, sort_name, id, search)",
    ),
];

/// Every secondary index the bulk loader drops and rebuilds.
pub fn bulk_indexes() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    BULK_INDEXES
        .iter()
        .chain(SORT_INDEXES)
        .chain(SEARCH_INDEXES)
}

/// The page indexes as version 1 made them (see [`SEARCH_INDEXES`]).
const V1_PAGE_INDEXES: &str = "
CREATE INDEX enrollments_page ON enrollments(sequence_id, sort_name, id);
CREATE INDEX enrollments_status_page ON enrollments(sequence_id, status, sort_name, id);
";

const V1_TABLES: &str = r#"
CREATE TABLE workspace (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name  TEXT NOT NULL,
    role  TEXT NOT NULL CHECK (role IN ('rep', 'manager', 'admin')),
    team  TEXT NOT NULL
);

CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    company         TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    owner_id        INTEGER REFERENCES users(id),
    lifecycle_stage TEXT NOT NULL DEFAULT 'lead',
    opted_out_at    TEXT,
    created_at      TEXT NOT NULL,
    -- lower-cased "last first email": the order every contact list uses
    sort_name       TEXT NOT NULL
);

CREATE TABLE sequences (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    owner_id            INTEGER NOT NULL REFERENCES users(id),
    unenroll_colleagues INTEGER NOT NULL DEFAULT 0,
    pause_on_ooo        INTEGER NOT NULL DEFAULT 0,
    archived            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL
);

CREATE TABLE steps (
    id          INTEGER PRIMARY KEY,
    sequence_id INTEGER NOT NULL REFERENCES sequences(id),
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('auto_email', 'manual_email', 'call', 'task')),
    delay_days  INTEGER NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    UNIQUE (sequence_id, position)
);

CREATE TABLE enrollments (
    id           INTEGER PRIMARY KEY,
    sequence_id  INTEGER NOT NULL REFERENCES sequences(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id),
    enrolled_by  INTEGER NOT NULL REFERENCES users(id),
    sender_id    INTEGER NOT NULL REFERENCES users(id),
    status       TEXT NOT NULL CHECK (status IN ('active', 'paused', 'finished', 'unenrolled')),
    current_step INTEGER NOT NULL,
    enrolled_at  TEXT NOT NULL,
    ended_at     TEXT,
    end_reason   TEXT,
    ended_by     INTEGER REFERENCES users(id),
    note         TEXT,
    batch        TEXT,
    -- copy of contacts.sort_name so that a page of one sequence ordered by
    -- contact name is a keyset walk over one index, never a sort
    sort_name    TEXT NOT NULL,
    CHECK ((status = 'unenrolled') = (end_reason IS NOT NULL))
);

CREATE TABLE scheduled_steps (
    id            INTEGER PRIMARY KEY,
    enrollment_id INTEGER NOT NULL REFERENCES enrollments(id),
    step_id       INTEGER NOT NULL REFERENCES steps(id),
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('scheduled', 'sent', 'done', 'cancelled')),
    executed_at   TEXT
);

CREATE TABLE tasks (
    id                INTEGER PRIMARY KEY,
    enrollment_id     INTEGER REFERENCES enrollments(id),
    scheduled_step_id INTEGER REFERENCES scheduled_steps(id),
    owner_id          INTEGER NOT NULL REFERENCES users(id),
    title             TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('open', 'done', 'removed')),
    created_at        TEXT NOT NULL,
    done_at           TEXT
);

CREATE TABLE sent_emails (
    id                INTEGER PRIMARY KEY,
    enrollment_id     INTEGER NOT NULL REFERENCES enrollments(id),
    sequence_id       INTEGER NOT NULL REFERENCES sequences(id),
    scheduled_step_id INTEGER REFERENCES scheduled_steps(id),
    message_id        TEXT NOT NULL UNIQUE,
    thread_id         TEXT NOT NULL,
    subject           TEXT NOT NULL,
    sent_at           TEXT NOT NULL
);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    enrollment_id INTEGER REFERENCES enrollments(id),
    sequence_id   INTEGER REFERENCES sequences(id),
    type          TEXT NOT NULL,
    at            TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    external_id   TEXT UNIQUE
);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    action   TEXT NOT NULL,
    reason   TEXT,
    note     TEXT,
    batch    TEXT,
    detail   TEXT NOT NULL DEFAULT '',
    count    INTEGER NOT NULL DEFAULT 0
);

-- which enrollments an audit entry touched, and what they were before:
-- the record that makes undo (R15) possible
CREATE TABLE audit_enrollments (
    audit_id      INTEGER NOT NULL REFERENCES audit(id),
    enrollment_id INTEGER NOT NULL REFERENCES enrollments(id),
    before_status TEXT NOT NULL,
    before_step   INTEGER NOT NULL,
    PRIMARY KEY (audit_id, enrollment_id)
) WITHOUT ROWID;

-- the audit log is append-only
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// Each migration is the SQL that moves the schema one version up.
pub fn migrations() -> Vec<String> {
    let mut v1 = with_indexes(V1_TABLES, BULK_INDEXES);
    v1.push_str(V1_PAGE_INDEXES);
    vec![
        v1,
        V2_ENGINE.to_string(),
        V3_TIDY.to_string(),
        V4_AUDIT_INDEX.to_string(),
        V5_LOGINS.to_string(),
        V6_LISTS.to_string(),
        V7_ENROLLED_BY.to_string(),
        V8_TRANSFER_AUDIT.to_string(),
        V9_OPT_OUT.to_string(),
        V10_EMAIL_KEY.to_string(),
        V11_BOUNCES.to_string(),
        V12_SEQUENCE_FILES.to_string(),
        V13_TASKS.to_string(),
        V14_CRM.to_string(),
        V15_IMAP.to_string(),
        V16_DELIVERY.to_string(),
        V17_SENDING.to_string(),
        V18_NAME_SEARCH.to_string(),
        with_indexes(V19_SORT_COLUMNS, SORT_INDEXES),
        with_indexes(V20_SEARCH, SEARCH_INDEXES),
        V21_ONE_DUE_INDEX.to_string(),
    ]
}

/// A migration's Rust part: runs on the migration's transaction.
pub type RustStep = fn(&Connection) -> Result<(), DomainError>;

/// The part of a migration written in Rust, run in the migration's
/// transaction right after its SQL; found by the SQL it follows (not by
/// its number, so migrations can be renumbered).
pub fn rust_step(sql: &str) -> Option<RustStep> {
    if sql == V10_EMAIL_KEY {
        Some(backfill_email_keys)
    } else {
        None
    }
}

/// Migration 16, delivery through a server (issue 16): the outbox journal
/// counts the attempts a server deferred (a 4xx answer), when the next may
/// be made, and since when a message is being handed over (the moment the
/// message's data started going to an SMTP server or a sendmail process:
/// a run that dies after it cannot know whether the server took it).
const V16_DELIVERY: &str = r#"
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_try_at TEXT;
ALTER TABLE outbox ADD COLUMN handing_over_at TEXT;
"#;

/// Migration 2, the engine: the outbox journal (messages committed as sent
/// whose file may not be in the outbox Maildir yet) and the pauses the
/// engine set for out-of-office replies (R14), with their end.
const V2_ENGINE: &str = r#"
CREATE TABLE outbox (
    sent_email_id INTEGER PRIMARY KEY REFERENCES sent_emails(id),
    file_name     TEXT NOT NULL,
    message       BLOB NOT NULL
);

CREATE TABLE engine_pauses (
    enrollment_id INTEGER PRIMARY KEY REFERENCES enrollments(id),
    until         TEXT NOT NULL
);
CREATE INDEX engine_pauses_until ON engine_pauses(until);
"#;

/// Migration 3, deferred tidying. Ending a large batch of enrollments
/// changes the enrollments themselves in its transaction; the rows that
/// follow from them (their scheduled steps, their open tasks) are cancelled
/// afterwards in small transactions. Until then every reader treats a
/// scheduled step of an ended enrollment as cancelled and an open task of
/// an unenrolled one as removed, so nothing observable depends on when the
/// tidying runs. `tidy_queue` holds the audit entries (batches) still to be
/// tidied and how far each got; the two partial indexes make counting what
/// a batch cancels a walk over small indexes.
const V3_TIDY: &str = r#"
CREATE TABLE tidy_queue (
    audit_id        INTEGER PRIMARY KEY REFERENCES audit(id),
    next_enrollment INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scheduled_steps_pending ON scheduled_steps(enrollment_id, kind) WHERE state = 'scheduled';
CREATE INDEX IF NOT EXISTS tasks_open ON tasks(enrollment_id) WHERE state = 'open';
"#;

/// Migration 4: no query looks audit rows up by enrollment (undo, tidying
/// and the audit list all go by audit entry, the primary key's prefix),
/// and keeping that index cost a 100,000-row unenroll ~0.2 s of random
/// inserts.
const V4_AUDIT_INDEX: &str = "DROP INDEX IF EXISTS audit_enrollments_enrollment;";

/// Migration 5, identity: a user may be bound to an operating-system login
/// (one login, one user); see `Workspace::identify`.
const V5_LOGINS: &str = "
ALTER TABLE users ADD COLUMN os_login TEXT;
CREATE UNIQUE INDEX users_os_login ON users(os_login) WHERE os_login IS NOT NULL;
";

/// Migration 6, filters across sequences and saved lists (issue 7): the
/// lists the team saved, each a filter in the query language of
/// `domain::Filter`; an index on the contacts' email domain (the
/// `email-domain` condition), written exactly as the store's queries
/// write the expression; and every enrollment in list order across
/// sequences, with the columns that never change after enrollment (so a
/// status change or a step never rewrites it).
const V6_LISTS: &str = "
CREATE TABLE saved_lists (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    query      TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_email_domain ON contacts(substr(email, instr(email, '@') + 1) COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS enrollments_order ON enrollments(sort_name, id, sequence_id, enrolled_at);
";

/// Migration 10, one form of every email (issue 12): `email_key` on
/// contacts and users is `domain::email_key(email)` (Unicode NFC and lower
/// case; SQLite's `NOCASE` and `lower()` fold ASCII only). Every lookup by
/// email goes through it; the email itself stays as typed, for display.
/// [`backfill_email_keys`] fills it (in Rust) and then makes it unique.
/// Self-contained: renumber freely.
const V10_EMAIL_KEY: &str = "
ALTER TABLE contacts ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN email_key TEXT;
";

/// Fills `email_key` for every contact and user, oldest first, in the
/// migration's transaction, then adds the unique indexes and the triggers
/// that refuse a new row without a key. Two rows that were different
/// emails to SQLite but are one to the key (`Élodie@x`, `élodie@x`, made
/// before this migration) cannot both hold it: the older keeps it, the
/// later keeps its row, history and email but no key, so it is found by
/// id only and every email lookup reaches the older one.
fn backfill_email_keys(conn: &Connection) -> Result<(), DomainError> {
    use crate::domain::email_key;
    for table in ["contacts", "users"] {
        let mut read = conn.prepare(&format!(
            "SELECT id, email FROM {table} WHERE id > ?1 ORDER BY id LIMIT 10000"
        ))?;
        let mut write =
            conn.prepare(&format!("UPDATE {table} SET email_key = ?2 WHERE id = ?1"))?;
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, String)> = read
                .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (id, email) in rows {
                write.execute(rusqlite::params![id, email_key(&email)])?;
            }
        }
        // A key an older row holds is taken from the later ones; then the
        // index is built once over sorted keys (cheaper than keeping it
        // up to date through a million updates).
        conn.execute_batch(&format!(
            "UPDATE {table} SET email_key = NULL WHERE id IN (
                SELECT id FROM (SELECT id, row_number() OVER (
                    PARTITION BY email_key ORDER BY id) AS n
                FROM {table} WHERE email_key IS NOT NULL) WHERE n > 1);
             CREATE UNIQUE INDEX IF NOT EXISTS {table}_email_key ON {table}(email_key);"
        ))?;
    }
    conn.execute_batch(
        "CREATE TRIGGER IF NOT EXISTS contacts_email_key_required BEFORE INSERT ON contacts
         WHEN NEW.email_key IS NULL
         BEGIN SELECT RAISE(ABORT, 'a contact needs its email_key'); END;
         CREATE TRIGGER IF NOT EXISTS users_email_key_required BEFORE INSERT ON users
         WHEN NEW.email_key IS NULL
         BEGIN SELECT RAISE(ABORT, 'a user needs its email_key'); END;",
    )?;
    Ok(())
}

/// Migration 7: enrollments by the user who enrolled them (the
/// `enrolled-by` filter). A count of one rep's enrollments across every
/// sequence went from one table lookup per open enrollment (605 ms on the
/// 1,000,000-contact demo) to that rep's rows (113–143 ms). An unenroll
/// never changes the column, so it never touches this index.
const V7_ENROLLED_BY: &str =
    "CREATE INDEX IF NOT EXISTS enrollments_enrolled_by ON enrollments(enrolled_by);";

/// Migration 8 (issue 12, R13 and R15 for transfers): what a transfer
/// changed, enough to explain it, reverse it by hand and undo the
/// enrollments it ended. `audit_owners` holds each contact whose owner an
/// audit entry changed and its owner before (NULL: none);
/// `audit_enrollments.before_enrolled_by` the enrolling user an enrollment
/// had before a transfer reassigned it (NULL for every other change, which
/// is how undo tells a transfer's reassignments from what it ended).
const V8_TRANSFER_AUDIT: &str = "
CREATE TABLE audit_owners (
    audit_id        INTEGER NOT NULL REFERENCES audit(id),
    contact_id      INTEGER NOT NULL REFERENCES contacts(id),
    before_owner_id INTEGER REFERENCES users(id),
    PRIMARY KEY (audit_id, contact_id)
) WITHOUT ROWID;
ALTER TABLE audit_enrollments ADD COLUMN before_enrolled_by INTEGER REFERENCES users(id);
";

/// Migration 9, who opted a contact out and how (R9): the user who recorded
/// it (none for an unsubscribe event) and the path (`unenroll`, `command`,
/// `import`, `unsubscribe_event`). Until now only unsubscribe events opted
/// contacts out, so that is what the ones already there are marked with.
const V9_OPT_OUT: &str = "
ALTER TABLE contacts ADD COLUMN opted_out_by INTEGER REFERENCES users(id);
ALTER TABLE contacts ADD COLUMN opted_out_via TEXT;
UPDATE contacts SET opted_out_via = 'unsubscribe_event' WHERE opted_out_at IS NOT NULL;
";

/// Migration 11, bounces applied (issue 13, R9). A hard bounce marks the
/// contact's *address* undeliverable: `undeliverable_email_key` is the
/// email key it marked, and the mark holds only while the contact's
/// `email_key` is that key (changing the address lifts it; changing it
/// back restores it), with when, the reason code, the diagnostic and the
/// bounce's inbound id. `bounces` keeps every bounce applied to a contact
/// (one row per failed recipient of an inbound item; `address_key` is ''
/// when the report names none): the history `seqtui contact` shows, the
/// dedupe of bounces, and the count of soft bounces in a row
/// (`soft_in_a_row`). `engine_pauses.cause` tells an out-of-office pause
/// from a soft-bounce retry pause. Self-contained: renumber freely.
const V11_BOUNCES: &str = "
ALTER TABLE contacts ADD COLUMN undeliverable_email_key TEXT;
ALTER TABLE contacts ADD COLUMN undeliverable_at TEXT;
ALTER TABLE contacts ADD COLUMN undeliverable_reason TEXT;
ALTER TABLE contacts ADD COLUMN undeliverable_diagnostic TEXT;
ALTER TABLE contacts ADD COLUMN undeliverable_bounce TEXT;
ALTER TABLE engine_pauses ADD COLUMN cause TEXT NOT NULL DEFAULT 'out_of_office';
CREATE TABLE bounces (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT NOT NULL,
    address_key   TEXT NOT NULL,
    address       TEXT,
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    enrollment_id INTEGER REFERENCES enrollments(id),
    sent_email_id INTEGER REFERENCES sent_emails(id),
    at            TEXT NOT NULL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('hard', 'soft', 'not_a_bounce')),
    reason        TEXT NOT NULL,
    status        TEXT,
    diagnostic    TEXT NOT NULL DEFAULT '',
    verified      INTEGER NOT NULL,
    action        TEXT NOT NULL,
    soft_in_a_row INTEGER,
    UNIQUE (external_id, address_key)
);
CREATE INDEX bounces_contact ON bounces(contact_id);
CREATE INDEX bounces_enrollment ON bounces(enrollment_id);
CREATE INDEX bounces_sent_email ON bounces(sent_email_id);
";

/// Migration 12, sequences as files (issue 15, R17). A sequence's settings
/// gain the sending window, days and time zone (R19 sends by them later);
/// `revision` counts the edits of its steps, so the engine's claim refuses
/// a step rendered before an edit (the run renders it again). A step a
/// later version removed keeps its row for history with `position = -id`
/// (no longer one of the sequence's steps). `sequence_versions` keeps every
/// version's definition as the TOML file `sequence show` prints.
/// Self-contained: renumber freely.
const V12_SEQUENCE_FILES: &str = "
ALTER TABLE sequences ADD COLUMN window_start TEXT NOT NULL DEFAULT '08:00';
ALTER TABLE sequences ADD COLUMN window_end TEXT NOT NULL DEFAULT '18:00';
ALTER TABLE sequences ADD COLUMN sending_days TEXT NOT NULL DEFAULT 'mon,tue,wed,thu,fri';
ALTER TABLE sequences ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE sequences ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sequence_versions (
    sequence_id INTEGER NOT NULL REFERENCES sequences(id),
    version     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    audit_id    INTEGER REFERENCES audit(id),
    definition  TEXT NOT NULL,
    PRIMARY KEY (sequence_id, version)
) WITHOUT ROWID;
";

/// Migration 13, tasks for reps (R18). A task is completed (`done`) or
/// skipped (`done` with `skipped = 1`: the step is passed over, the
/// enrollment moves on all the same), by `done_by`, with an optional
/// `note`. `tasks_queue` serves a user's open tasks in due order (the
/// `tasks` command and the Tasks view page through it by (due_at, id));
/// `tasks_open_due` everyone's. Self-contained: renumber freely.
const V13_TASKS: &str = "
ALTER TABLE tasks ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN done_by INTEGER REFERENCES users(id);
ALTER TABLE tasks ADD COLUMN note TEXT;
CREATE INDEX IF NOT EXISTS tasks_queue ON tasks(owner_id, due_at, id) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS tasks_open_due ON tasks(due_at, id) WHERE state = 'open';
";

/// Migration 14, contacts from a CRM (issue 15): a contact's phone number
/// and its record id in the CRM it came from (both empty when unknown),
/// and lifecycle stages stored as HubSpot's internal values
/// (`marketingqualifiedlead`, not `mql` or "Marketing Qualified Lead";
/// see `domain::lifecycle_value`). Self-contained: it only adds columns and
/// rewrites known stage spellings.
const V14_CRM: &str = "
ALTER TABLE contacts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN crm_id TEXT NOT NULL DEFAULT '';
UPDATE contacts SET lifecycle_stage = CASE lower(lifecycle_stage)
        WHEN 'mql' THEN 'marketingqualifiedlead'
        WHEN 'marketing qualified lead' THEN 'marketingqualifiedlead'
        WHEN 'sql' THEN 'salesqualifiedlead'
        WHEN 'sales qualified lead' THEN 'salesqualifiedlead'
        ELSE lower(lifecycle_stage) END
    WHERE lower(lifecycle_stage) IN ('mql', 'marketing qualified lead', 'sql',
        'sales qualified lead', 'subscriber', 'lead', 'opportunity', 'customer',
        'evangelist', 'other')
        AND lifecycle_stage <> lower(lifecycle_stage)
        OR lower(lifecycle_stage) IN ('mql', 'marketing qualified lead', 'sql',
        'sales qualified lead');
";

/// Migration 15, `ingest imap://…` (issue 16): per mailbox of an IMAP
/// account (`source` is `imap://user@host:port`, `imaps://` for TLS), the
/// UIDVALIDITY last seen and the highest UID applied. Updated in the same
/// transaction as the message it applied. Self-contained: renumber freely.
const V15_IMAP: &str = "
CREATE TABLE IF NOT EXISTS imap_state (
    source      TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    PRIMARY KEY (source, mailbox)
) WITHOUT ROWID;
";

/// Migration 17, sending like a person (R19, issue 16). An enrollment's
/// List-Unsubscribe token (128 random bits as hex, given when its first
/// email is rendered; unique). A scheduled step moved by the sending
/// window or the daily cap keeps the time it was due before its first
/// move (`deferred_from`), which orders steps moved to the same slot;
/// `scheduled_steps_queue` is the due walk's index in that order (the
/// walk continues after the last row it read, see `store::engine::due_steps`).
/// `sent_emails_sent_at` counts a sender's emails of one day for the cap.
/// Self-contained: renumber freely.
const V17_SENDING: &str = "
ALTER TABLE enrollments ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS enrollments_unsubscribe_token
    ON enrollments(unsubscribe_token) WHERE unsubscribe_token IS NOT NULL;
ALTER TABLE scheduled_steps ADD COLUMN deferred_from TEXT;
CREATE INDEX IF NOT EXISTS scheduled_steps_queue
    ON scheduled_steps(due_at, coalesce(deferred_from, due_at), id) WHERE state = 'scheduled';
CREATE INDEX IF NOT EXISTS sent_emails_sent_at ON sent_emails(sent_at);
";

/// Migration 18, ranked contact search (issue 14): a typed word finds the
/// contacts whose first or last name starts with its first letter through
/// these indexes (NOCASE, so that `LIKE 'e%m%l%y%'` walks only the e's).
/// The bulk loader drops and recreates them too (`BULK_INDEXES`, which is
/// why they say IF NOT EXISTS). Self-contained: renumber freely.
const V18_NAME_SEARCH: &str = "
CREATE INDEX IF NOT EXISTS contacts_first_name ON contacts(first_name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS contacts_last_name ON contacts(last_name COLLATE NOCASE);
";

/// Migration 19, sorting enrollment lists (issue 14). `next_due` is when
/// the enrollment's next scheduled step is due (NULL when it is ended or
/// has nothing scheduled) and `last_engagement` the time of its latest
/// open, click, reply or booked meeting (NULL: none) — what the lists show
/// in "Next due" and "Engaged", kept as columns so that a list sorted by
/// them is a walk of an index ([`SORT_INDEXES`]). Backfilled here from
/// `scheduled_steps` and `events`; the store functions that schedule,
/// move, run or cancel steps, change a status or record an event keep
/// them exact (`store::sort_keys`). Self-contained: renumber freely.
const V19_SORT_COLUMNS: &str = "
ALTER TABLE enrollments ADD COLUMN next_due TEXT;
ALTER TABLE enrollments ADD COLUMN last_engagement TEXT;
UPDATE enrollments SET next_due = (SELECT min(ss.due_at) FROM scheduled_steps ss
        WHERE ss.enrollment_id = enrollments.id AND ss.state = 'scheduled')
    WHERE status IN ('active', 'paused');
UPDATE enrollments SET last_engagement = (SELECT max(ev.at) FROM events ev
        WHERE ev.enrollment_id = enrollments.id
          AND ev.type IN ('open', 'click', 'reply', 'meeting_booked'))
    WHERE id IN (SELECT enrollment_id FROM events
        WHERE type IN ('open', 'click', 'reply', 'meeting_booked'));
";

/// A migration's SQL followed by the creation of `indexes`.
fn with_indexes(sql: &str, indexes: &[(&str, &str)]) -> String {
    let mut sql = String::from(sql);
    for (_, create) in indexes {
        sql.push_str(create);
        sql.push_str(";\n");
    }
    sql
}

/// Migration 20, a text filter that reads an index alone (issue 14):
/// `enrollments.search`, the contact's search text copied onto each
/// enrollment (`store::search_text`), backfilled here, and the two page
/// indexes rebuilt with it as their last column ([`SEARCH_INDEXES`]).
/// Self-contained: renumber freely.
const V20_SEARCH: &str = concat!(
    "ALTER TABLE enrollments ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE enrollments SET search = (SELECT ",
    "lower(c.first_name || ' ' || c.last_name) || '\n' || coalesce(c.email_key, lower(c.email)) || '\n' || lower(c.company)",
    " FROM contacts c WHERE c.id = enrollments.contact_id);
DROP INDEX IF EXISTS enrollments_page;
DROP INDEX IF EXISTS enrollments_status_page;
"
);

/// Migration 21: `scheduled_steps_due` (the due time of scheduled steps)
/// goes. `scheduled_steps_queue` (migration 17) has the same rows and
/// begins with the same column, so every search by due time reads it
/// instead; one index fewer to write for each scheduled step (a bulk enroll
/// of 100,000 writes 700,000), and PostgreSQL's planner no longer prefers
/// the narrower index plus a sort for the engine's due walk. Self-contained:
/// renumber freely.
const V21_ONE_DUE_INDEX: &str = "DROP INDEX IF EXISTS scheduled_steps_due;";
