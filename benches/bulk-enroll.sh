#!/usr/bin/env bash
# The bulk enroll of issue 15 (`enroll --all` of the demo's opportunity and
# customer contacts into "Q4 Mid-Market Outbound": 106,107 enrolled,
# 112,714 refused), timed on a fresh copy of a workspace file, for one or
# several seqtui binaries in turn, so that a before and an after are
# measured in the same hour on the same machine.
#
#   benches/bulk-enroll.sh BASE.db ROUNDS BIN [BIN...]
#
# BASE.db is the 1,000,000-contact demo (`seqtui --db BASE.db demo
# --contacts 1000000`); it is only copied, never opened. Opening a file
# migrates it to the binary's schema, which is not the enroll's time, so
# when the binaries' schemas differ give the newer one its own base, a
# copy it has opened once (`cp BASE.db new.db; NEW --db new.db sequences`),
# by writing that BIN as PATH=new.db. ROUNDS rounds, the binaries
# alternating in each; each run starts 5 s after its copy is synced.
#
# Prints one line a run: the binary, the wall time, user and system CPU,
# the peak memory, and the enrolled and refused counts from its --json.
set -euo pipefail
base=${1:?usage: benches/bulk-enroll.sh BASE.db ROUNDS BIN [BIN...]}
rounds=${2:?ROUNDS}
shift 2
[ $# -gt 0 ] || { echo "name at least one seqtui binary" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bulk-enroll.XXXXXX")
trap 'rm -rf "$work"' EXIT
for round in $(seq 1 "$rounds"); do
  for spec in "$@"; do
    bin=${spec%%=*}
    from=$base
    [[ $spec == *=* ]] && from=${spec#*=}
    rm -f "$work"/ws.db*
    cp "$from" "$work/ws.db"
    sync
    sleep 5
    SEQTUI_NOW=2026-12-06T09:00:00Z /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
      "$bin" --db "$work/ws.db" --json enroll --sequence 1 --all \
      --lifecycle opportunity --lifecycle customer --yes > "$work/out.json"
    python3 - "$round" "$bin" "$work/time" "$work/out.json" <<'EOF'
import json, sys
round_, bin_, time_file, out = sys.argv[1:]
wall, user, system, kb = open(time_file).read().split()[-4:]
d = json.load(open(out))
print(f"round {round_} {bin_}: {float(wall):.2f} s wall, {user} s user, {system} s sys, "
      f"{int(kb) // 1024} MiB peak; enrolled {len(d['enrolled'])}, refused {len(d['refused'])}")
EOF
  done
done
