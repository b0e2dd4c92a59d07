#!/usr/bin/env bash
# How long spoke-server takes to render the web UI's pages of a large registry: the corpus of the
# npm package google-proto-files split into one module per API directory (388 modules, as
# tests/corpus does), batch-pushed into a fresh server, then the home page, a module page, the
# version page of the largest module, the version page with schema docs of the largest module
# that has them (at most 300 files and 2 MiB) and the file page of the largest module's largest .proto
# (with its docs) fetched with curl: the first hit (which parses a schema), several runs each, and
# as many asked again with the page's ETag (304); prints the first, the median, the slowest and
# the 304's median of each against the targets of issue 18 (a median under 50 ms, a first hit
# under 0.5 s). See bench/README.md.
#
#   bench/ui_pages.sh
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke and spoke-server are                 (default: <repo>/build)
#   SPOKE_BENCH_CACHE    where the npm tarball and corpora go             (default: ~/.cache/spoke-bench)
#   SPOKE_BENCH_PACKAGE  npm package spec                                 (default: google-proto-files@5.0.3)
#   SPOKE_BENCH_TMP      parent of the scratch dir                        (default: $TMPDIR or /tmp)
#   SPOKE_BENCH_MODULE   the module page timed                            (default: google/api, the most depended on)
#   SPOKE_BENCH_RUNS     runs per page                                    (default: 9)
#   SPOKE_BENCH_STRICT=1 exit 3 when a page misses the target             (default: report only)
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called indirectly
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
PACKAGE=${SPOKE_BENCH_PACKAGE:-google-proto-files@5.0.3}
MODULE=${SPOKE_BENCH_MODULE:-google/api}
RUNS=${SPOKE_BENCH_RUNS:-9}
TARGET_MS=50
FIRST_TARGET_MS=500
SPOKE=$BUILD_DIR/spoke
SPOKE_SERVER=$BUILD_DIR/spoke-server

die() { echo "ui_pages: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

for bin in "$SPOKE" "$SPOKE_SERVER"; do
  [[ -x $bin ]] || die "no $bin: build first (cmake --build build -j2 --target spoke spoke-server) or set SPOKE_BUILD_DIR"
done
command -v curl >/dev/null || die "curl is required"
((RUNS >= 1)) || die "SPOKE_BENCH_RUNS must be >= 1"

mkdir -p "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}"
W=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-uibench.XXXXXX")
case "$W/" in "$ROOT"/*) rm -rf "$W"; die "scratch dir $W is inside the repository" ;; esac
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# The corpus, fetched once into the cache shared with the other benches (bench/corpus.sh).
mkdir -p "$CACHE"
case "$CACHE/" in "$ROOT"/*) die "cache $CACHE is inside the repository" ;; esac
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"
CORPUS=$(corpus_of "$PACKAGE")

# The split of tests/corpus/corpus_test.cc: a file's module is its directory up to the first
# version segment (v and a digit); google/protobuf/ is left out (the compiler has it). One staged
# directory per module with a spoke.yaml naming it, its files at their import paths.
log "staging one directory per module"
(cd "$CORPUS" && find . -type f -name '*.proto' | sed 's|^\./||' | sort) |
  awk '!/^google\/protobuf\// {
         n = split($0, seg, "/"); module = ""
         for (i = 1; i < n; i++) {
           if (seg[i] ~ /^v[0-9]/) break
           module = module (module == "" ? "" : "/") seg[i]
         }
         if (module != "") print module "\t" $0
       }' >"$W/files.tsv"
while IFS=$'\t' read -r module path; do
  dir=$W/stage/${module//\//+}
  if [[ ! -f $dir/spoke.yaml ]]; then mkdir -p "$dir" && echo "module: $module" >"$dir/spoke.yaml"; fi
  mkdir -p "$dir/${path%/*}"
  ln "$CORPUS/$path" "$dir/$path" 2>/dev/null || cp "$CORPUS/$path" "$dir/$path"
done <"$W/files.tsv"
MODULES=$(cut -f1 "$W/files.tsv" | sort -u | wc -l)
LARGEST=$(cut -f1 "$W/files.tsv" | sort | uniq -c | sort -k1,1nr -k2 | awk 'NR == 1 {print $2}')

# ---------------------------------------------------------------------------------------------
# A fresh server on a free port, the corpus batch-pushed into it.
"$SPOKE_SERVER" -q -port 0 -storage-dir "$W/storage" >"$W/server.out" 2>"$W/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$W/server.out" 2>/dev/null | head -n 1 || true)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "spoke-server exited: $(cat "$W/server.err")"
  sleep 0.1
done
[[ -n $URL ]] || die "spoke-server did not say where it listens"
log "batch-pushing $MODULES modules to $URL"
SPOKE_HOME=$W/home SPOKE_REGISTRY=$URL "$SPOKE" batch-push -dir "$W/stage" -recursive \
  -version v1.0.0 -q >"$W/push.out" 2>&1 || die "batch-push failed: $(tail -n 20 "$W/push.out")"

# ---------------------------------------------------------------------------------------------
# The pages, each fetched once (the first hit: a schema parsed, the store's caches warmed), then
# RUNS times. A search first waits for the search index's filling, which would otherwise share the
# cores with the pages.
curl -s -o /dev/null "$URL/ui/search?q=Annotation" || die "the search did not answer"
LARGEST_FILES=$(awk -F'\t' -v m="$LARGEST" '$1 == m' "$W/files.tsv" | wc -l)
# Each file's size beside its module and path.
cut -f2 "$W/files.tsv" | (cd "$CORPUS" && xargs stat -c %s) | paste "$W/files.tsv" - >"$W/sizes.tsv"
# The largest module whose version page documents its types (at most 300 files and 2 MiB of source:
# DocumentsTypesOnFilePages in remote/ui_version_schema.h). (awk rather than head ends each
# pipeline: head's early exit would fail it under pipefail.)
read -r DOCUMENTED_FILES DOCUMENTED < <(awk -F'\t' '{n[$1]++; b[$1] += $3}
    END {for (m in n) if (n[m] <= 300 && b[m] <= 2097152) print n[m], m}' "$W/sizes.tsv" |
  sort -k1,1nr -k2 | awk 'NR == 1')
# The largest module's largest .proto file, whose page documents its types.
BIGGEST_PROTO=$(awk -F'\t' -v m="$LARGEST" '$1 == m {print $3, $2}' "$W/sizes.tsv" |
  sort -k1,1nr | awk 'NR == 1')
declare -a NAMES=("home (/)" "module ($MODULE)"
  "version ($LARGEST, the largest: $LARGEST_FILES files)"
  "version with docs ($DOCUMENTED, $DOCUMENTED_FILES files)"
  "file with docs (${BIGGEST_PROTO#* }, ${BIGGEST_PROTO%% *} bytes)")
declare -a PATHS=("/" "/ui/modules/$MODULE" "/ui/modules/$LARGEST/versions/v1.0.0"
  "/ui/modules/$DOCUMENTED/versions/v1.0.0"
  "/ui/modules/$LARGEST/versions/v1.0.0/files/${BIGGEST_PROTO#* }")
missed=0
printf '\n%-72s %9s %9s %9s %9s %10s\n' "page ($MODULES modules)" "first ms" "median ms" "max ms" \
  "304 ms" "bytes"
for i in "${!PATHS[@]}"; do
  url=$URL${PATHS[$i]}
  read -r code first < <(curl -s -D "$W/head" -o "$W/page.html" -w '%{http_code} %{time_total}\n' "$url")
  [[ $code == 200 ]] || die "GET ${PATHS[$i]} answered $code"
  first=$(awk -v t="$first" 'BEGIN {printf "%.1f", t * 1000}')
  bytes=$(wc -c <"$W/page.html")
  etag=$(awk 'tolower($1) == "etag:" {sub(/\r$/, "", $2); print $2}' "$W/head")
  [[ -n $etag ]] || die "GET ${PATHS[$i]} sent no ETag"
  for _ in $(seq "$RUNS"); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done |
    sort -n >"$W/times"
  median=$(awk -v n="$RUNS" 'NR == int((n + 1) / 2) {printf "%.1f", $1 * 1000}' "$W/times")
  max=$(tail -n 1 "$W/times" | awk '{printf "%.1f", $1 * 1000}')
  # Asked again as a browser does, with the ETag it kept: a 304 with no body.
  for _ in $(seq "$RUNS"); do
    curl -s -o /dev/null -H "If-None-Match: $etag" -w '%{http_code} %{time_total}\n' "$url"
  done >"$W/revalidated"
  awk '$1 != 304 {exit 1}' "$W/revalidated" || die "GET ${PATHS[$i]} with its ETag did not answer 304"
  revalidated=$(awk '{print $2}' "$W/revalidated" | sort -n |
    awk -v n="$RUNS" 'NR == int((n + 1) / 2) {printf "%.1f", $1 * 1000}')
  printf '%-72s %9s %9s %9s %9s %10s\n' "${NAMES[$i]}" "$first" "$median" "$max" "$revalidated" \
    "$bytes"
  awk -v m="$median" -v t="$TARGET_MS" 'BEGIN {exit !(m > t)}' && missed=1
  awk -v f="$first" -v t="$FIRST_TARGET_MS" 'BEGIN {exit !(f > t)}' && missed=1
done
echo
if ((missed)); then
  echo "ui_pages: a page's median is over the ${TARGET_MS} ms target, or its first hit over ${FIRST_TARGET_MS} ms"
  if [[ ${SPOKE_BENCH_STRICT:-0} == 1 ]]; then exit 3; fi
else
  echo "ui_pages: every page's median is under the ${TARGET_MS} ms target, every first hit under ${FIRST_TARGET_MS} ms"
fi
