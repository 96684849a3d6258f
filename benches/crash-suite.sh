#!/usr/bin/env bash
# Crash safety at release scale (issue 6), run before each release: the
# bulk unenroll of a sequence with >= 100,000 open enrollments is killed
# with SIGKILL at several points, and each time the workspace is checked
# (integrity, the batch all or nothing, no effectively scheduled step of an
# ended enrollment), the interrupted tidying resumed, and the request
# repeated to its end. The checks are those of `cargo test --test crash`
# (CI runs them on a 20,000-contact demo); this runs its ignored test
# `bulk_unenroll_killed_anywhere_large` on a big workspace.
#
#   benches/crash-suite.sh [CONTACTS]        (default 600000)
#
# It builds the release binary, then the demo workspace with CONTACTS
# contacts (sequence 1, "Q4 Mid-Market Outbound", has ~111,000 open
# enrollments at 600,000 contacts; ~1.4 GB, ~25 s) into
# $SEQTUI_CRASH_DIR (default target/tmp/crash-suite), reused by later runs
# (delete it to rebuild). Every kill point works on a copy beside it, so
# the disk needs about twice its size free.
#
# SEQTUI_CRASH_POINTS: kill points, as percentages of the duration of an
# unkilled run (default 5,25,50,75,95); SEQTUI_CRASH_REPORT_POINTS: more,
# as percentages of the time until its report, while the batch's one
# transaction runs (default 25,50,75,95; at this size it is the first ~2 s
# of ~12 s). Two more are always added: right after the report is printed
# (while tidying), with and without --json. The kills alternate between
# the table and --json output.
set -euo pipefail
contacts=${1:-600000}
cd "$(dirname "$0")/.."
dir=${SEQTUI_CRASH_DIR:-$PWD/target/tmp/crash-suite}
mkdir -p "$dir"
cargo build --release -q
db=$dir/demo-$contacts.db
if [[ ! -f $db ]]; then
  echo "building the $contacts-contact demo workspace in $db"
  start=$(date +%s%N)
  target/release/seqtui --db "$db" --now 2026-11-02T09:00:00Z demo --contacts "$contacts" --force
  echo "built in $(( ($(date +%s%N) - start) / 1000000 )) ms, $(du -h "$db" | cut -f1)"
fi
start=$(date +%s%N)
SEQTUI_CRASH_DB=$db \
SEQTUI_CRASH_SEQUENCE=1 \
SEQTUI_CRASH_MIN_OPEN=100000 \
SEQTUI_CRASH_POINTS=${SEQTUI_CRASH_POINTS:-5,25,50,75,95} \
SEQTUI_CRASH_REPORT_POINTS=${SEQTUI_CRASH_REPORT_POINTS:-25,50,75,95} \
  cargo test --release --test crash -- --ignored --nocapture --test-threads 1
echo "crash suite done in $(( ($(date +%s%N) - start) / 1000000000 )) s"
