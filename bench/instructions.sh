#!/usr/bin/env bash
# Instructions executed by the client's everyday commands, for several builds side by side.
#
#   bench/instructions.sh NAME=BUILD_DIR [NAME=BUILD_DIR...]
#   e.g. bench/instructions.sh before=/work/before/build after=build
#
# Each build's own spoke-server, spoke and spoke-core run the same steps on google/type of the
# google-proto-files corpus (17 files, the ordinary module of bench/README.md): `spoke --help`, a
# push, a cold pull (new SPOKE_HOME), a warm pull (server stopped, from the local store) and a
# module cache hit of `spoke compile -lang cpp`. valgrind's callgrind counts the instructions of
# each command and every process it starts (the client side only; the server is not counted).
# Counts, unlike seconds, repeat exactly whatever else the machine is doing, so two builds can be
# compared on a busy machine; they do not see I/O waits or page faults (bench/push_pull_vs_git.sh
# and bench/client_startup.sh time those).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
log() { echo "instructions: $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"
(($# > 0)) || die "usage: bench/instructions.sh NAME=BUILD_DIR [NAME=BUILD_DIR...]"
command -v valgrind >/dev/null || die "valgrind is required (apt-get install valgrind)"
CORPUS=$(corpus_of google-proto-files)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/spoke-instructions.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/module/google/type"
cp "$CORPUS"/google/type/*.proto "$SCRATCH/module/google/type/"

count() {  # count WORK COMMAND... -> prints the instructions of COMMAND and its children
  local work=$1
  shift
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$work/cg.%p" "$@" \
    >/dev/null 2>"$work/valgrind.txt" || die "failed: $* ($(tail -n 3 "$work/valgrind.txt"))"
  rm -f "$work"/cg.*
  awk '/Collected/ { sum += $4 } END { print sum }' "$work/valgrind.txt"
}

declare -A RESULT
STEPS=(help push cold-pull warm-pull cache-hit)
for spec in "$@"; do
  name=${spec%%=*} build=$(cd "${spec#*=}" && pwd)
  for program in spoke spoke-server; do
    [[ -x $build/$program ]] || die "no $build/$program: build it first"
  done
  work=$SCRATCH/$name
  mkdir -p "$work"
  export SPOKE_HOME=$work/home
  "$build/spoke-server" -port 0 -storage-dir "$work/store" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 200); do grep -q "http://" "$work/server.log" && break; sleep 0.05; done
  SPOKE_REGISTRY=$(grep -o "http://[0-9.:]*" "$work/server.log" | head -n 1)
  [[ -n $SPOKE_REGISTRY ]] || die "$name: spoke-server did not start: $(cat "$work/server.log")"
  export SPOKE_REGISTRY
  RESULT[$name,help]=$(count "$work" "$build/spoke" --help)
  RESULT[$name,push]=$(count "$work" "$build/spoke" push -module google-type -version v1.0.0 \
    -dir "$SCRATCH/module")
  RESULT[$name,cold-pull]=$(count "$work" env SPOKE_HOME="$work/home2" "$build/spoke" pull \
    -module google-type -version v1.0.0 -dir "$work/pull1")
  kill "$server" && wait "$server" 2>/dev/null || true
  RESULT[$name,warm-pull]=$(count "$work" "$build/spoke" pull -module google-type \
    -version v1.0.0 -dir "$work/pull2")
  "$build/spoke" compile -dir "$SCRATCH/module" -recursive -out "$work/gen1" -lang cpp >/dev/null
  RESULT[$name,cache-hit]=$(count "$work" "$build/spoke" compile -dir "$SCRATCH/module" \
    -recursive -out "$work/gen2" -lang cpp)
  diff -r "$work/gen1" "$work/gen2" >/dev/null || die "$name: the cache hit's output differs"
  diff -r "$SCRATCH/module" "$work/pull2" >/dev/null || die "$name: the warm pull differs"
done

first=${1%%=*}
printf '%-10s' step
for spec in "$@"; do printf ' %16s' "${spec%%=*}"; done
((($# > 1))) && printf '   (ratio to %s)' "$first"
echo
for step in "${STEPS[@]}"; do
  printf '%-10s' "$step"
  for spec in "$@"; do printf ' %16s' "${RESULT[${spec%%=*},$step]}"; done
  for spec in "${@:2}"; do
    awk -v a="${RESULT[${spec%%=*},$step]}" -v b="${RESULT[$first,$step]}" \
      'BEGIN { printf "   %.2fx", a / b }'
  done
  echo
done
