#!/usr/bin/env bash
# Client-thread instructions per call, SDK and hand-written reqwest (decoding into plain structs,
# and into the SDK's own models: "raw+models"), counted by valgrind's
# callgrind (deterministic, unlike time on a shared machine). For each operation and mode it
# runs the floor benchmark's single-variant mode at two call counts and divides the difference,
# so start-up and warm-up cancel out.
#
#   crates/graph-bench/scripts/instructions-per-call.sh [OPERATION ...]
#
# Needs valgrind (Debian: apt-get install valgrind). Prints one row per operation and mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
cargo bench -q -p graph-bench --bench floor --no-run 2>/dev/null
bin=$(cargo bench -p graph-bench --bench floor --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*floor[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not find the floor benchmark binary" >&2; exit 1; }
ops=("$@")
[ ${#ops[@]} -gt 0 ] || ops=(add-owner remove-owner list-owners get-limited-mode patch-limited-mode)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Instructions of the client (main) thread for N calls.
count() { # op mode variant calls
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg" \
    "$bin" --bench --only "$1" --mode "$2" --variant "$3" --calls "$4" --reps 1 >/dev/null 2>&1
  sed -n 's/^summary: //p' "$tmp/cg-01"
  rm -f "$tmp"/cg*
}
low=1000 high=3000
printf '%-20s %-4s %14s %14s %14s %8s %12s\n' operation mode "SDK instr/call" "raw instr/call" "raw+models" SDK/raw SDK/raw+mod
for op in "${ops[@]}"; do
  for mode in seq c64; do
    s=$(( ($(count "$op" "$mode" sdk $high) - $(count "$op" "$mode" sdk $low)) / (high - low) ))
    r=$(( ($(count "$op" "$mode" raw $high) - $(count "$op" "$mode" raw $low)) / (high - low) ))
    m=$(( ($(count "$op" "$mode" models $high) - $(count "$op" "$mode" models $low)) / (high - low) ))
    printf '%-20s %-4s %14d %14d %14d %8s %12s\n' "$op" "$mode" "$s" "$r" "$m" \
      "$(awk -v s="$s" -v r="$r" 'BEGIN{printf "%.3f", s/r}')" "$(awk -v s="$s" -v r="$m" 'BEGIN{printf "%.3f", s/r}')"
  done
done
