#!/usr/bin/env bash
# Times the client programs on the three commands where their start-up is most of the cost: a
# module's `spoke compile -dir` served from the checkout cache (target: within 1.5x of `cp -r` of
# the cache entry it copies), a warm `spoke pull` from a local spoke-server, and `spoke --help`.
# It compares builds of the client side by side, so a change in how the client is linked or split
# into programs is decided on figures. See bench/README.md.
#
#   bench/client_startup.sh [NAME=PATH/TO/spoke ...]
#
# Each argument names a client: a `spoke` binary with whatever it needs beside it (default:
# build=<SPOKE_BUILD_DIR>/spoke). Every client gets its own local store.
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke-server is, and the default client          (default: <repo>/build)
#   SPOKE_BENCH_CACHE    where the npm tarball and corpus go                    (default: ~/.cache/spoke-bench)
#   SPOKE_BENCH_PACKAGE  npm package spec                                       (default: google-proto-files)
#   SPOKE_BENCH_MODULE   the module: one API directory, with what it imports    (default: google/cloud/kms/v1)
#   SPOKE_BENCH_TMP      parent of the scratch dir                              (default: $TMPDIR or /tmp)
#   SPOKE_BENCH_RUNS     timed runs of each command (hyperfine; medians shown)  (default: 30)
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called indirectly
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
PACKAGE=${SPOKE_BENCH_PACKAGE:-google-proto-files}
MODULE_DIR=${SPOKE_BENCH_MODULE:-google/cloud/kms/v1}
RUNS=${SPOKE_BENCH_RUNS:-30}
SERVER=$BUILD_DIR/spoke-server

die() { echo "client_startup: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

CLIENTS=("$@")
((${#CLIENTS[@]} > 0)) || CLIENTS=("build=$BUILD_DIR/spoke")
for client in "${CLIENTS[@]}"; do
  [[ $client == *=* ]] || die "$client: give NAME=PATH/TO/spoke"
  [[ -x ${client#*=} ]] || die "${client#*=} is not an executable"
done
[[ -x $SERVER ]] || die "no $SERVER: build it (cmake --build build -j2 --target spoke-server) or set SPOKE_BUILD_DIR"
((RUNS >= 3)) || die "SPOKE_BENCH_RUNS must be >= 3"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing $* (apt-get)"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}
command -v hyperfine >/dev/null || apt_install hyperfine
command -v protoc >/dev/null || apt_install protobuf-compiler
[[ -f /usr/include/google/protobuf/descriptor.proto ]] || apt_install libprotobuf-dev
command -v python3 >/dev/null || apt_install python3

mkdir -p "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}"
W=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-startup.XXXXXX")
case "$W/" in "$ROOT"/*) rm -rf "$W"; die "scratch dir $W is inside the repository" ;; esac
SERVER_PID=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The module: the .proto files directly in MODULE_DIR and every file they import, as one tree.
mkdir -p "$CACHE"
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"
CORPUS=$(corpus_of "$PACKAGE")
(cd "$CORPUS" && find "$MODULE_DIR" -maxdepth 1 -name '*.proto' | sort) >"$W/own.list"
[[ -s $W/own.list ]] || die "no .proto file directly in $CORPUS/$MODULE_DIR"
protoc -I "$CORPUS" -I /usr/include --include_imports --descriptor_set_out="$W/module.pb" \
  "@$W/own.list" || die "protoc cannot compile $MODULE_DIR"
protoc --decode=google.protobuf.FileDescriptorSet -I /usr/include google/protobuf/descriptor.proto \
  <"$W/module.pb" | sed -n 's/^  name: "\(.*\)"$/\1/p' | grep -v '^google/protobuf/' |
  sort >"$W/module.list"
TREE=$W/module
mkdir -p "$TREE"
(cd "$CORPUS" && xargs -d '\n' cp --parents -t "$TREE" <"$W/module.list")
log "module: $MODULE_DIR, $(wc -l <"$W/own.list") own files + imports = $(wc -l <"$W/module.list") files"

# A registry on a free port, holding the module as bench/kms v1.0.0 (pushed by the first client).
"$SERVER" -port 0 --host 127.0.0.1 -storage-dir "$W/registry" -q --validate none \
  >"$W/server.out" 2>"$W/server.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  URL=$(sed -n 's|^spoke-server: serving .* on \(http://[^ ]*\)$|\1|p' "$W/server.out")
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "spoke-server exited: $(cat "$W/server.err")"
  sleep 0.05
done
[[ -n $URL ]] || die "spoke-server did not say where it serves"
export SPOKE_REGISTRY=$URL
FIRST=${CLIENTS[0]#*=}
SPOKE_HOME=$W/home-push "$FIRST" push -q -module bench/kms -version v1.0.0 -dir "$TREE" >/dev/null ||
  die "the first client could not push the module"

median_ms() {  # median_ms HYPERFINE_JSON
  python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$1"
}
timed() {  # timed LABEL PREPARE COMMAND...: the median of RUNS runs in ms, in $W/LABEL.json
  local label=$1 prepare=$2
  shift 2
  hyperfine -N --style none --warmup 3 --runs "$RUNS" --prepare "$prepare" \
    --export-json "$W/$label.json" "$*" >/dev/null 2>"$W/$label.err" ||
    die "$label failed: $(tail -n 5 "$W/$label.err")"
  median_ms "$W/$label.json"
}

declare -A HIT PULL HELP
for client in "${CLIENTS[@]}"; do
  name=${client%%=*} spoke=${client#*=}
  export SPOKE_HOME=$W/home-$name
  log "$name: filling the checkout cache and the local store ($spoke)"
  "$spoke" compile -dir "$TREE" -out "$W/fill-$name" -lang cpp --recursive >/dev/null
  log "$name: timing"
  HIT[$name]=$(timed "hit-$name" "rm -rf $W/out" "$spoke" compile -dir "$TREE" -out "$W/out" -lang cpp --recursive)
  diff -r "$W/fill-$name" "$W/out" >/dev/null || die "$name: the hit wrote other files than the compile"
  # A prototype built without an HTTP transport cannot pull: n/a rather than no figures at all.
  if "$spoke" pull -q -module bench/kms -version v1.0.0 -dir "$W/pull-fill-$name" >/dev/null 2>"$W/pull-fill-$name.err"; then
    PULL[$name]=$(timed "pull-$name" "rm -rf $W/pulled" "$spoke" pull -q -module bench/kms -version v1.0.0 -dir "$W/pulled")
    diff -r "$TREE" "$W/pulled" >/dev/null || die "$name: the pull wrote other files than were pushed"
  else
    log "$name cannot pull: $(head -n 1 "$W/pull-fill-$name.err")"
    PULL[$name]=n/a
  fi
  HELP[$name]=$(timed "help-$name" "true" "$spoke" --help)
done
unset SPOKE_HOME

# The floor of a copying hit: cp -r of the cache entry, the same files and bytes.
entry=$(find "$W/home-${CLIENTS[0]%%=*}/checkouts" -mindepth 2 -maxdepth 2 -type d \
  -regextype posix-extended -regex '.*/[0-9a-f]{64}')
[[ -n $entry && $(wc -l <<<"$entry") == 1 ]] || die "not one checkout cache entry"
CP=$(timed cp "rm -rf $W/cp" cp -r "$entry" "$W/cp")

echo "client start-up: $MODULE_DIR + imports, $(find "$entry" -type f | wc -l) generated files;" \
  "medians of $RUNS runs (hyperfine -N), ms; $(nproc) cores;" \
  "spoke $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?")"
printf '%-16s %10s %10s %10s %10s  %s\n' client "hit" "hit/cp" "pull" "--help" "hit within 1.5x of cp -r?"
for client in "${CLIENTS[@]}"; do
  name=${client%%=*}
  ratio=$(awk -v h="${HIT[$name]}" -v c="$CP" 'BEGIN {printf "%.2f", h / c}')
  met=$(awk -v r="$ratio" 'BEGIN {print (r <= 1.5) ? "PASS" : "MISS"}')
  printf '%-16s %10s %10s %10s %10s  %s\n' "$name" "${HIT[$name]}" "$ratio" "${PULL[$name]}" "${HELP[$name]}" "$met"
done
printf '%-16s %10s\n' "cp -r" "$CP"
