#!/usr/bin/env bash
# Build weight of a program using only graph-beta (sdk/: one PATCH through the SDK, features
# rustls-ring + copilot) against the same program on reqwest + tokio + serde_json (reqwest/),
# both pinned by their Cargo.lock (cut from the workspace's, so the versions are the same):
# packages, clean release build (wall and CPU, alternating, ROUNDS times, each from an empty
# target directory, sources already downloaded) and the stripped-or-not binary size.
#
#   crates/graph-bench/weight/measure.sh [ROUNDS]     (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
rounds=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in sdk reqwest; do
  (cd "$p" && cargo fetch --locked -q)
  n=$(cd "$p" && cargo tree --locked -q -e normal,build --prefix none | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)
  echo "$p: $n packages"
done
build() { # program -> "wall cpu"
  rm -rf "$tmp/$1"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/$1.cpu" cargo build --locked -q --release --manifest-path "$1/Cargo.toml" --target-dir "$tmp/$1"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v f="$(cat "$tmp/$1.cpu")" 'BEGIN{split(f,c," "); printf "%.1f %.1f", e-s, c[1]+c[2]}'
}
printf '%-6s %-8s %8s %8s\n' round program wall_s cpu_s
for i in $(seq 1 "$rounds"); do
  for p in sdk reqwest; do
    read -r wall cpu <<<"$(build "$p")"
    printf '%-6s %-8s %8s %8s\n' "$i" "$p" "$wall" "$cpu"
    echo "$p $wall $cpu" >>"$tmp/results"
  done
  awk -v i="$i" '$1=="sdk"{sw=$2; sc=$3} $1=="reqwest"{rw=$2; rc=$3} END{printf "round %s sdk/reqwest: wall %.2f, cpu %.2f\n", i, sw/rw, sc/rc}' <(tail -2 "$tmp/results")
done
for p in sdk reqwest; do
  bin="$tmp/$p/release/weight-$p"
  printf '%s binary: %s bytes\n' "$p" "$(stat -c %s "$bin")"
done
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
for p in sdk reqwest; do
  printf '%s median: wall %s s, cpu %s s\n' "$p" \
    "$(awk -v p="$p" '$1==p{print $2}' "$tmp/results" | median)" \
    "$(awk -v p="$p" '$1==p{print $3}' "$tmp/results" | median)"
done
