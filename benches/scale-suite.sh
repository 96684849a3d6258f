#!/usr/bin/env bash
# The scale suite (issue 6): every performance figure the issues name, on
# demo workspaces of each size, in one table with its goal beside it, and a
# table of how each figure grows from size to size.
#
#   benches/scale-suite.sh                      # 10,000, 100,000 and 1,000,000 contacts
#   benches/scale-suite.sh 1000000              # one size
#
# For each size it builds the demo workspace (kept in $SEQTUI_SUITE_DIR,
# default /tmp/seqtui-suite, and reused when already there; the 1,000,000
# one takes ~40 s and 2.3 GB), then runs on copies of it:
#   - `cargo bench --bench scale`  page queries; bulk unenroll, domain vs plain SQL
#   - `cargo bench --bench tui`    headless UI: first frame, opening the largest
#                                  sequence, key → frame, Ctrl-a u y, memory
#   - `cargo bench --bench filters` filters across every sequence: first page,
#                                  count, whole id list (reads the workspace)
#   - `cargo bench --bench engine` run and ingest throughput (a tenth of the
#                                  contacts as due steps and as messages)
#   - `benches/tui-terminal.sh`    the release binary in tmux: first frame,
#                                  opening a sequence, memory
# Each bench appends its headline figures to a file (SEQTUI_BENCH_FIGURES);
# this script prints them. Results: $SEQTUI_SUITE_DIR/figures-SIZE.tsv and
# $SEQTUI_SUITE_DIR/suite.md (both tables, Markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if ((${#sizes[@]} == 0)); then sizes=(10000 100000 1000000); fi
dir=${SEQTUI_SUITE_DIR:-/tmp/seqtui-suite}
mkdir -p "$dir"
now=2026-11-02T09:00:00Z
cargo build --release -q
bin=$PWD/target/release/seqtui

record() { # file name value unit goal
  printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >>"$1"
}

for n in "${sizes[@]}"; do
  db=$dir/demo-$n.db
  figures=$dir/figures-$n.tsv
  rm -f "$figures"
  echo "== $n contacts" >&2
  if [[ ! -f $db ]]; then
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$dir/time-$n.txt" \
      "$bin" --db "$db" --now "$now" demo --contacts "$n" --force >/dev/null
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    record "$figures" "demo: build time" "$secs" s "< 60 at 1M"
    record "$figures" "demo: build peak memory" "$(( $(cat "$dir/time-$n.txt") / 1024 ))" MiB ""
  fi
  record "$figures" "demo: file size" "$(( $(stat -L -c %s "$db") / 1048576 ))" MiB ""
  export SEQTUI_BENCH_FIGURES=$figures SEQTUI_BENCH_DB=$db
  SEQTUI_BENCH_ROUNDS=1 cargo bench -q --bench scale >"$dir/scale-$n.out" 2>&1
  SEQTUI_BENCH_SKIP_DOMAIN=1 cargo bench -q --bench tui >"$dir/tui-$n.out" 2>&1
  cargo bench -q --bench filters >"$dir/filters-$n.out" 2>&1
  SEQTUI_BENCH_STEPS=$((n / 10)) SEQTUI_BENCH_MESSAGES=$((n / 10)) \
    cargo bench -q --bench engine >"$dir/engine-$n.out" 2>&1
  unset SEQTUI_BENCH_FIGURES SEQTUI_BENCH_DB
  if command -v tmux >/dev/null; then
    # The largest sequence's row in the Sequences list (sorted by name).
    row=$("$bin" --db "$db" --now "$now" --json sequences | python3 -c '
import json, sys
s = json.load(sys.stdin)
big = max(s, key=lambda x: x["total"])
print(s.index(big))')
    bash benches/tui-terminal.sh "$db" "$row" >"$dir/terminal-$n.out" 2>&1 || true
    while IFS='|' read -r _ what value _; do
      what=$(echo "$what" | xargs); value=$(echo "$value" | xargs)
      case $what in
        "start → first frame") record "$figures" "terminal: start → first frame" "${value% ms}" ms "≤ 200" ;;
        "Enter → first enrollment rows shown") record "$figures" "terminal: open the largest sequence" "${value% ms}" ms "≤ 100" ;;
        "peak resident memory") record "$figures" "terminal: peak resident memory" "${value% MiB}" MiB "≤ 150" ;;
      esac
    done <"$dir/terminal-$n.out"
  fi
done

# Print: one table per size, then the growth table.
python3 - "$dir" "${sizes[@]}" <<'EOF' | tee "$dir/suite.md"
import sys, collections
d, sizes = sys.argv[1], sys.argv[2:]
rows = collections.OrderedDict()
for n in sizes:
    for line in open(f"{d}/figures-{n}.tsv", encoding="utf-8"):
        name, value, unit, goal = line.rstrip("\n").split("\t")
        rows.setdefault(name, {"unit": unit, "goal": goal})[n] = float(value)
def fmt(v):
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"
for n in sizes:
    print(f"\n### {int(n):,} contacts\n")
    print("| figure | measured | goal |\n|---|---|---|")
    for name, r in rows.items():
        if n in r:
            print(f"| {name} | {fmt(r[n])} {r['unit']} | {r['goal']} |")
if len(sizes) > 1:
    print("\n### Growth\n")
    head = " | ".join(f"{int(n):,}" for n in sizes)
    print(f"| figure | {head} | ×, first → last |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name, r in rows.items():
        vals = [r.get(n) for n in sizes]
        cells = " | ".join(fmt(v) if v is not None else "–" for v in vals)
        growth = (f"{vals[-1] / vals[0]:.1f}×" if vals[0] and vals[-1] is not None else "–")
        print(f"| {name} ({r['unit']}) | {cells} | {growth} |")
EOF
