//! The EXAMPLES section of every command's `--help` (and man page), keyed
//! by the command's path. A test parses every line that starts with
//! `seqtui ` and fails on a command without examples, so they cannot drift.

pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "demo",
        "  seqtui demo                          # 3000 contacts in the default workspace
  seqtui --db /tmp/try.db demo --contacts 200 --seed 7
  seqtui demo --force                  # rebuild the demo workspace",
    ),
    (
        "init",
        "  seqtui --db team.db init --name \"Acme sales\" --admin ada@acme.example --admin-name \"Ada Lovelace\"",
    ),
    (
        "users",
        "  seqtui users
  seqtui --json users",
    ),
    (
        "users add",
        "  seqtui users add maya.okafor@acme.example --name \"Maya Okafor\" --role rep --team East",
    ),
    (
        "users bind",
        "  seqtui users bind maya.okafor@acme.example --login maya",
    ),
    ("users unbind", "  seqtui users unbind maya.okafor@acme.example"),
    (
        "sequences",
        "  seqtui sequences
  seqtui --json sequences",
    ),
    (
        "enrollments",
        "  seqtui enrollments -s \"Q4 Mid-Market Outbound\" --status active
  seqtui enrollments --stale --owner maya.okafor@acme.example
  seqtui enrollments --enrolled-before 2026-10-01 --no-engagement-days 30 --count
  seqtui enrollments --list \"Stuck in Q3\" --limit 50
  seqtui enrollments -s \"Q4 Mid-Market Outbound\" --sort next-due --limit 20
  seqtui enrollments --status active --sort last-engagement --desc",
    ),
    (
        "contact",
        "  seqtui contact dana@globex.example
  seqtui --json contact 42",
    ),
    (
        "contact opt-out",
        "  seqtui contact opt-out dana@globex.example --note \"asked on the phone\"",
    ),
    (
        "contact opt-in",
        "  seqtui contact opt-in dana@globex.example --note \"re-subscribed on the website\"",
    ),
    (
        "contact email",
        "  seqtui contact email dana@globex.example --to dana.r@globex.example",
    ),
    (
        "contacts",
        "  seqtui contacts --company Globex
  seqtui contacts --opted-out yes --limit 20",
    ),
    (
        "enroll",
        "  seqtui enroll -s \"Webinar Follow-up\" --contact dana@globex.example
  seqtui enroll -s \"Webinar Follow-up\" --all --company Globex -n
  seqtui enroll -s \"Webinar Follow-up\" --csv attendees.csv -y",
    ),
    (
        "unenroll",
        "  seqtui unenroll --enrollment 1042 --reason not_a_fit
  seqtui unenroll -s \"Q4 Mid-Market Outbound\" --contact dana@globex.example --reason meeting_booked
  seqtui unenroll --all --stale --reason stale -n
  seqtui unenroll --list \"Stuck in Q3\" --reason campaign_ended --note \"Q3 is over\" -y",
    ),
    (
        "pause",
        "  seqtui pause --enrollment 1042
  seqtui pause --all -s \"Q4 Mid-Market Outbound\" --company Globex -n",
    ),
    (
        "resume",
        "  seqtui resume --enrollment 1042
  seqtui resume --all --status paused -n",
    ),
    (
        "undo",
        "  seqtui undo                          # your last batch within the window
  seqtui undo B42",
    ),
    (
        "transfer",
        "  seqtui transfer --from maya.okafor@acme.example --to sam.lee@acme.example -n
  seqtui transfer --contact dana@globex.example --to sam.lee@acme.example --policy reassign
  seqtui transfer --all --company Globex --to sam.lee@acme.example --policy unenroll --from-step 3 -y",
    ),
    ("lists", "  seqtui lists"),
    (
        "list",
        "  seqtui list save \"Stuck in Q3\" --enrolled-before 2026-10-01 --stale
  seqtui list show \"Stuck in Q3\"",
    ),
    (
        "list save",
        "  seqtui list save \"Stuck in Q3\" --enrolled-before 2026-10-01 --stale
  seqtui list save \"Globex open\" --company Globex --status active,paused",
    ),
    (
        "list show",
        "  seqtui list show \"Stuck in Q3\" --limit 20",
    ),
    ("list delete", "  seqtui list delete \"Stuck in Q3\""),
    (
        "import",
        "  seqtui import contacts hubspot-export.csv --dry-run",
    ),
    (
        "import contacts",
        "  seqtui import contacts hubspot-export.csv -n
  seqtui import contacts hubspot-export.csv --clear-empty
  seqtui --json import contacts hubspot-export.csv | jq .changed   # the contacts created or updated",
    ),
    (
        "run",
        "  seqtui run                           # one pass into the outbox Maildir
  seqtui run --watch --deliver smtp://maya@smtp.acme.example:587
  seqtui run --outbox /var/mail/seqtui-outbox
  seqtui --json run | jq .skipped      # steps another run executed first",
    ),
    (
        "ingest",
        "  seqtui ingest replies.mbox meetings/ events.jsonl
  seqtui --json ingest replies.mbox | jq .counts     # counts per decision, items, changed, skipped
  seqtui ingest imaps://maya@imap.acme.example/INBOX --watch --move-processed Processed",
    ),
    (
        "tasks",
        "  seqtui tasks --due today
  seqtui tasks --owner maya.okafor@acme.example -s \"Q4 Mid-Market Outbound\"
  seqtui tasks --all --due overdue",
    ),
    (
        "task",
        "  seqtui task done 311 --note \"left a voicemail\"
  seqtui task snooze 311 --until tomorrow",
    ),
    (
        "task done",
        "  seqtui task done 311 312 --note \"called, interested\"",
    ),
    ("task skip", "  seqtui task skip 311 --note \"no phone number\""),
    (
        "task snooze",
        "  seqtui task snooze 311 --until \"2026-12-01 09:00\"
  seqtui task snooze 311 312 --until tomorrow",
    ),
    (
        "sequence",
        "  seqtui sequence show \"Webinar Follow-up\" --format toml > webinar.toml
  seqtui sequence apply webinar.toml",
    ),
    (
        "sequence apply",
        "  seqtui sequence apply webinar.toml -n
  seqtui sequence apply assets/sequences/*.toml -y",
    ),
    (
        "sequence show",
        "  seqtui sequence show \"Webinar Follow-up\"
  seqtui sequence show 3 --format toml --version 2",
    ),
    (
        "sequence versions",
        "  seqtui sequence versions \"Webinar Follow-up\"",
    ),
    (
        "sequence archive",
        "  seqtui sequence archive \"Webinar Follow-up\" -n
  seqtui sequence archive \"Webinar Follow-up\" -y",
    ),
    (
        "sequence unarchive",
        "  seqtui sequence unarchive \"Webinar Follow-up\"",
    ),
    (
        "sequence owner",
        "  seqtui sequence owner \"Webinar Follow-up\" --to sam.lee@acme.example",
    ),
    (
        "sequence set",
        "  seqtui sequence set \"Webinar Follow-up\" --unenroll-colleagues on
  seqtui sequence set 3 --pause-on-out-of-office off",
    ),
    (
        "audit",
        "  seqtui audit --since yesterday
  seqtui audit --since 2026-11-01 --format csv > audit.csv",
    ),
    (
        "report",
        "  seqtui report
  seqtui report -s \"Webinar Follow-up\" --since 30d",
    ),
    (
        "completions",
        "  seqtui completions bash > ~/.local/share/bash-completion/completions/seqtui
  seqtui completions zsh > ~/.zfunc/_seqtui
  seqtui completions fish > ~/.config/fish/completions/seqtui.fish",
    ),
    (
        "man",
        "  seqtui man | man -l -
  seqtui man unenroll | man -l -",
    ),
    (
        "migrate",
        "  PGPASSWORD=… seqtui migrate --from ~/.local/share/seqtui/workspace.db --to postgres://seqtui@db.example:5432/sales
  seqtui migrate --from postgres://seqtui@db.example/sales --to backup.db",
    ),
    (
        "tidy",
        "  seqtui tidy                          # finish tidying what a bulk change left
  seqtui --json tidy",
    ),
    (
        "paths",
        "  seqtui paths
  seqtui --json paths",
    ),
];
