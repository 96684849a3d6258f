#!/usr/bin/env bash
# Whole-program timings of the real TUI in a real terminal (tmux), on a
# workspace you name (build the 1,000,000-contact one first with
# `seqtui --db DB demo --contacts 1000000`).
#
#   benches/tui-terminal.sh DB [SEQUENCE_ROW]   (demo: 7 = Q4 Mid-Market Outbound)
#
# It builds the release binary, starts `seqtui --db DB` in a 120x40 tmux
# pane and measures, by polling the pane every 5 ms:
#   - start → first frame (the header is on screen)
#   - start → the sequences list is filled in (it loads on a worker)
#   - Enter on the sequences list → the enrollments table is on screen
#     (SEQUENCE_ROW: how many rows down the sequence is; default 7, the
#     demo's largest, "Q4 Mid-Market Outbound")
#   - resident memory of the process after opening the sequence, and the
#     peak (VmHWM) at the end
#   - without --unenroll: 5 → the All enrollments view (every sequence,
#     status:active) shows its first rows, then its count (every id in)
# With --unenroll (after DB) it works on a copy of DB and also measures
# Ctrl-a (mark every active row) → u → the dry run in the dialog → y →
# the result line, and the peak memory after that.
# Polling adds up to ~5 ms to each figure; tmux adds its own redraw delay.
set -euo pipefail
db=${1:?usage: benches/tui-terminal.sh DB [--unenroll] [SEQUENCE_ROW]}
shift
unenroll=no
if [[ ${1:-} == --unenroll ]]; then unenroll=yes; shift; fi
row=${1:-7}
if [[ $unenroll == yes ]]; then
  copy=$(mktemp -d)/copy.db
  cp "$db" "$copy"
  db=$copy
  trap 'rm -rf "$(dirname "$copy")"' EXIT
fi
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/seqtui
sock=seqtui-timing-$$
tmuxc() { tmux -L "$sock" "$@"; }
trap 'tmuxc kill-server 2>/dev/null || true; [[ $unenroll == yes ]] && rm -rf "$(dirname "$db")"' EXIT

now_ms() { date +%s%3N; }
wait_for() { # text timeout_ms
  local start; start=$(now_ms)
  while ! tmuxc capture-pane -p -t t | grep -qE -- "$1"; do
    sleep 0.005
    if (( $(now_ms) - start > $2 )); then echo "timed out waiting for '$1'" >&2; tmuxc capture-pane -p -t t >&2; exit 1; fi
  done
  echo $(( $(now_ms) - start ))
}

start=$(now_ms)
tmuxc new-session -d -s t -x 120 -y 40 "env SEQTUI_USER= $bin --db '$db'"
first=$(wait_for "1 Sequences" 20000)
first=$(( $(now_ms) - start ))
wait_for "[0-9] / [0-9]" 20000 >/dev/null
listed=$(( $(now_ms) - start ))
pid=$(pgrep -f -n "$bin --db $db")
for _ in $(seq 1 "$row"); do tmuxc send-keys -t t j; done
sleep 0.2
tmuxc send-keys -t t Enter
open=$(wait_for "^\\[ \\] " 20000)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
# scroll a page and back, mark a few rows, to exercise the hot paths
for key in PageDown PageDown PageUp Space Space Space; do tmuxc send-keys -t t "$key"; done
sleep 0.5
if [[ $unenroll == no ]]; then
  # The All enrollments view (issue 7): every sequence, status:active.
  # Back to the Sequences list first (marks, then the list), so that the
  # first row on screen is the All view's.
  tmuxc send-keys -t t Escape; sleep 0.3
  tmuxc send-keys -t t Escape; sleep 0.3
  if tmuxc capture-pane -p -t t | grep -qE "^\[[ x]\] "; then
    echo "still on an enrollment list" >&2; exit 1
  fi
  t0=$(now_ms)
  tmuxc send-keys -t t 5
  wait_for "^\[ \] " 20000 >/dev/null
  allfirst=$(( $(now_ms) - t0 ))
  wait_for "All enrollments · [0-9,]+ enrollments? match" 20000 >/dev/null
  all=$(( $(now_ms) - t0 ))
  allrows=$(tmuxc capture-pane -p -t t | grep -oE "[0-9,]+ enrollments? match" | head -1)
fi
if [[ $unenroll == yes ]]; then
  tmuxc send-keys -t t Escape
  sleep 0.3
  tmuxc send-keys -t t C-a
  wait_for "[0-9],[0-9]{3} marked" 20000 >/dev/null
  t0=$(now_ms)
  tmuxc send-keys -t t u
  dry=$(wait_for "Will unenroll [0-9,]+ enrollments" 60000)
  dry=$(( $(now_ms) - t0 ))
  tmuxc send-keys -t t Down   # the first reason of the picker
  sleep 0.3
  t0=$(now_ms)
  tmuxc send-keys -t t y
  wait_for "Unenrolled [0-9,]+ · " 120000 >/dev/null
  done_ms=$(( $(now_ms) - t0 ))
  result=$(tmuxc capture-pane -p -t t | grep -oE "Unenrolled [0-9,]+ · [^·]*" | head -1)
  sleep 1
fi
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
tmuxc send-keys -t t Escape q q q
echo "| measure | figure |"
echo "|---|---|"
echo "| start → first frame | ${first} ms |"
echo "| start → sequences listed | ${listed} ms |"
echo "| Enter → first enrollment rows shown | ${open} ms |"
echo "| resident memory after opening | $(( rss / 1024 )) MiB |"
if [[ $unenroll == no ]]; then
  echo "| 5 → All enrollments: first rows shown (status:active, every sequence) | ${allfirst} ms |"
  echo "| 5 → All enrollments: whole list in, count shown ($allrows) | ${all} ms |"
fi
if [[ $unenroll == yes ]]; then
  echo "| u → dry run shown in the dialog | ${dry} ms |"
  echo "| y → result line shown ($result) | ${done_ms} ms |"
fi
echo "| peak resident memory | $(( hwm / 1024 )) MiB |"
