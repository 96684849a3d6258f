#!/usr/bin/env bash
# `run` throughput with several workers on PostgreSQL (issue 18): the same
# due queue executed by 1, then 2 (or the counts given) `seqtui run`
# processes at once, each time on a fresh copy of a template database.
#
#   benches/run-workers.sh URL TEMPLATE CLOCK [WORKERS...]   (default 1 2)
#
# URL is a PostgreSQL server as seqtui takes it, without the database
# (postgres://seqtui@127.0.0.1:55432); TEMPLATE a database loaded with
# `seqtui migrate` (e.g. the 1,000,000-contact demo), never modified: each
# round runs on `CREATE DATABASE … TEMPLATE` (the role needs CREATEDB, and
# the disk the template's size once more), dropped afterwards. CLOCK is
# the workspace clock (`--now`), e.g. 2026-12-07T09:00:00Z.
# SEQTUI_RULES (optional) is the rules file, e.g. one that lifts the R19
# daily cap: printf '[sending]\ndaily_cap = 100000\n' > big.toml
# SEQTUI_BIN (optional) is the seqtui binary to run instead of building
# this checkout's: a before and an after measured in the same hour. A
# binary with a newer schema migrates each copy as its workers open it.
#
# Prints, per round: the workers, the steps they executed (emails + tasks,
# from each one's --json), the wall time from the first start to the last
# exit, steps/s, and the steps of each worker.
set -euo pipefail
url=${1:?URL}
template=${2:?TEMPLATE}
clock=${3:?CLOCK}
shift 3
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2)
cd "$(dirname "$0")/.."
if [ -n "${SEQTUI_BIN:-}" ]; then
  bin=$SEQTUI_BIN
else
  cargo build --release --quiet
  bin=$PWD/target/release/seqtui
fi
rules=()
[ -n "${SEQTUI_RULES:-}" ] && rules=(--rules "$SEQTUI_RULES")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
psql_admin() { psql "$url/postgres" -qAtc "$1"; }
for n in "${counts[@]}"; do
  db="seqtui_run_workers_$n"
  psql_admin "DROP DATABASE IF EXISTS $db"
  psql_admin "CREATE DATABASE $db TEMPLATE $template"
  rm -rf "$work"/*
  start=$(date +%s.%N)
  pids=()
  for i in $(seq 1 "$n"); do
    "$bin" --db "$url/$db" "${rules[@]}" --now "$clock" --json run \
      --outbox "$work/outbox" > "$work/run$i.json" 2> "$work/run$i.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  python3 - "$n" "$start" "$end" "$work" <<'EOF'
import json, sys
n, start, end, work = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
per = []
for i in range(1, n + 1):
    d = json.load(open(f"{work}/run{i}.json"))
    per.append(d["emails_sent"] + d["tasks_created"])
secs = end - start
print(f"{n} worker(s): {sum(per)} steps in {secs:.1f} s = {sum(per) / secs:.0f} steps/s; per worker {per}")
EOF
  psql_admin "DROP DATABASE $db"
done
