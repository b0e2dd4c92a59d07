#!/usr/bin/env bash
# Lint and breaking-change detection on a large real corpus (the .proto files of the npm package
# google-proto-files), Spoke against buf (npm package @bufbuild/buf, a test-time tool only): the
# wall time and peak RSS of `spoke lint` vs `buf lint` on one release, and of `spoke breaking` vs
# `buf breaking` between two releases, with the ratios spoke/buf. See bench/README.md.
#
#   bench/lint_breaking_vs_buf.sh
#
# Environment (all optional):
#   SPOKE_BUILD_DIR         where spoke is                                (default: <repo>/build)
#   SPOKE_BENCH_CACHE       npm tarballs, corpora and buf go here         (default: ~/.cache/spoke-bench)
#   SPOKE_BENCH_NEW         the release linted, and the new side of breaking (default: google-proto-files@5.0.3)
#   SPOKE_BENCH_OLD         the old side of breaking                      (default: google-proto-files@5.0.0)
#   SPOKE_BENCH_BUF_VERSION buf's npm version                             (default: 1.75.0)
#   SPOKE_BENCH_LEVEL       breaking level for both tools                 (default: FILE)
#   SPOKE_BENCH_RUNS        runs per tool and case, the table shows medians (default: 1)
#   SPOKE_BENCH_SUBDIRS     limit the corpus to these directories, e.g. "google/type google/api"
#   SPOKE_BENCH_TMP         parent of the scratch dir                     (default: $TMPDIR or /tmp)
#   SPOKE_BENCH_STRICT=1    exit 3 when a target is missed                (default: report only)
#   SPOKE_BENCH_KEEP=1      keep the scratch dir (with both tools' outputs)
# shellcheck disable=SC2317  # cleanup is called indirectly
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
NEW_SPEC=${SPOKE_BENCH_NEW:-google-proto-files@5.0.3}
OLD_SPEC=${SPOKE_BENCH_OLD:-google-proto-files@5.0.0}
BUF_VERSION=${SPOKE_BENCH_BUF_VERSION:-1.75.0}
LEVEL=${SPOKE_BENCH_LEVEL:-FILE}
RUNS=${SPOKE_BENCH_RUNS:-1}
SUBDIRS=${SPOKE_BENCH_SUBDIRS:-}
SPOKE=$BUILD_DIR/spoke

die() { echo "lint_breaking_vs_buf: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -x $SPOKE ]] ||
  die "no $SPOKE: build first (cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2 --target spoke) or set SPOKE_BUILD_DIR"
((RUNS >= 1)) || die "SPOKE_BENCH_RUNS must be >= 1"
command -v npm >/dev/null || die "npm is required (to fetch the corpus and buf)"
command -v python3 >/dev/null || die "python3 is required"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is required (apt-get install time)"

mkdir -p "$CACHE" "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}"
case "$CACHE/" in "$ROOT"/*) die "cache $CACHE is inside the repository" ;; esac
W=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-lbench.XXXXXX")
case "$W/" in "$ROOT"/*) rm -rf "$W"; die "scratch dir $W is inside the repository" ;; esac
cleanup() { if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# A corpus: every .proto of an npm package release, at its path inside the package (package/
# stripped). Same cache layout as the other benches, so they share downloads.
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"

# The files both tools accept, as a tree of hard links, so both get the same files. Under
# google/protobuf/ only the well-known types (and compiler/plugin.proto) are kept: the rest are
# protobuf's own test and internal files, which use editions (libprotoc 3.21 cannot parse them) or
# MessageSet (buf refuses it). Then `spoke validate` runs over the whole tree, every file named in
# an error is dropped (unknown options, imports of dropped files), and again until nothing is left
# to drop. Every dropped file is listed with its reason in <tree>.rejected. Cached per corpus and
# libprotoc version.
WELL_KNOWN="any api descriptor duration empty field_mask source_context struct timestamp type wrappers compiler/plugin"
valid_corpus_of() {  # valid_corpus_of CORPUS_DIR -> prints the filtered directory
  local src=$1 libprotoc dest round f keep w
  libprotoc=$(protoc --version 2>/dev/null | awk '{print $NF}')
  dest=$src-bench-libprotoc-${libprotoc:-unknown}
  if [[ -d $dest && -f $dest.list ]]; then echo "$dest"; return; fi
  log "finding the files both tools accept in $(basename "$src") (once; cached in $dest.list)"
  rm -rf "$dest.tmp" && cp -al "$src" "$dest.tmp"
  : >"$dest.rejected"
  if [[ -d $dest.tmp/google/protobuf ]]; then
    while IFS= read -r f; do
      keep=0
      for w in $WELL_KNOWN; do [[ $f == google/protobuf/$w.proto ]] && keep=1; done
      if ((keep == 0)); then rm "$dest.tmp/$f" && echo "$f: protobuf's own test or internal file" >>"$dest.rejected"; fi
    done < <(cd "$dest.tmp" && find google/protobuf -name '*.proto' | sort)
  fi
  for round in $(seq 1 20); do
    if "$SPOKE" validate -q --recursive --json --dir "$dest.tmp" >"$W/validate.json" 2>"$W/validate.err"; then break; fi
    [[ -s $W/validate.json ]] || die "spoke validate failed: $(cat "$W/validate.err")"
    python3 - "$W/validate.json" "$dest.tmp" "$dest.rejected" <<'PY' || die "round $round dropped nothing"
import json, os, sys
report, tree, rejected = sys.argv[1], sys.argv[2], sys.argv[3]
errors = json.load(open(report))["errors"]
dropped = {}
for e in errors:
    path = e.get("file", "")
    if path and os.path.isfile(os.path.join(tree, path)) and path not in dropped:
        dropped[path] = e.get("message", "")
if not dropped:
    sys.exit(1)
with open(rejected, "a") as out:
    for path, message in sorted(dropped.items()):
        os.remove(os.path.join(tree, path))
        out.write(f"{path}: {message}\n")
PY
  done
  (cd "$dest.tmp" && find . -type f -name '*.proto' | sed 's|^\./||' | sort) >"$dest.list"
  mv "$dest.tmp" "$dest"
  echo "$dest"
}

# ---------------------------------------------------------------------------------------------
# buf, from npm: the wrapper package and its linux-x64 binary package, unpacked in the cache.
BUF_DIR=$CACHE/buf-$BUF_VERSION
BUF=$BUF_DIR/x/package/bin/buf
if [[ ! -x $BUF ]]; then
  log "npm pack @bufbuild/buf@$BUF_VERSION @bufbuild/buf-linux-x64@$BUF_VERSION -> $BUF_DIR"
  mkdir -p "$BUF_DIR/x"
  (cd "$BUF_DIR" && npm pack --silent "@bufbuild/buf@$BUF_VERSION" "@bufbuild/buf-linux-x64@$BUF_VERSION" >/dev/null) ||
    die "npm pack of buf failed"
  tar -xzf "$BUF_DIR/bufbuild-buf-linux-x64-$BUF_VERSION.tgz" -C "$BUF_DIR/x"
  [[ -x $BUF ]] || die "no buf binary in $BUF_DIR"
fi
export BUF_CACHE_DIR=$W/buf-cache

# ---------------------------------------------------------------------------------------------
# The trees both tools read: the accepted files of each release, optionally only SUBDIRS.
tree_of() {  # tree_of SPEC NAME -> prints a directory under $W (hard links)
  local valid dest=$W/$2 d
  valid=$(valid_corpus_of "$(corpus_of "$1")")
  if [[ -z $SUBDIRS ]]; then echo "$valid"; return; fi
  mkdir -p "$dest"
  for d in $SUBDIRS; do
    [[ -d $valid/$d ]] || die "no $d in $valid"
    mkdir -p "$dest/$(dirname "$d")" && cp -al "$valid/$d" "$dest/$d"
  done
  # What the subset imports from elsewhere in the corpus comes along.
  while ! "$SPOKE" validate -q --recursive --json --dir "$dest" >"$W/sub.json" 2>/dev/null; do
    python3 - "$W/sub.json" "$valid" "$dest" <<'PY' || die "the subset of $1 does not compile"
import json, os, re, shutil, sys
report, valid, dest = sys.argv[1:]
added = False
for e in json.load(open(report))["errors"]:
    m = re.match(r'Import "(.+)" was not found', e.get("message", ""))
    if m and os.path.isfile(os.path.join(valid, m.group(1))) and not os.path.exists(os.path.join(dest, m.group(1))):
        os.makedirs(os.path.dirname(os.path.join(dest, m.group(1))), exist_ok=True)
        os.link(os.path.join(valid, m.group(1)), os.path.join(dest, m.group(1)))
        added = True
sys.exit(0 if added else 1)
PY
  done
  echo "$dest"
}
NEW_TREE=$(tree_of "$NEW_SPEC" new)
OLD_TREE=$(tree_of "$OLD_SPEC" old)
NEW_FILES=$(find "$NEW_TREE" -name '*.proto' | wc -l)
OLD_FILES=$(find "$OLD_TREE" -name '*.proto' | wc -l)
NEW_REJECTED=$(wc -l <"$(valid_corpus_of "$(corpus_of "$NEW_SPEC")").rejected")
OLD_REJECTED=$(wc -l <"$(valid_corpus_of "$(corpus_of "$OLD_SPEC")").rejected")

# ---------------------------------------------------------------------------------------------
# Measuring: wall time from $EPOCHREALTIME around /usr/bin/time, which gives the peak RSS.
# Findings make both tools exit non-zero (spoke 1, buf 100); anything else is a failure.
declare -A SECONDS_OF=() RSS_OF=()
measure() {  # measure NAME OK_CODES CMD...
  local name=$1 ok=$2 t0 t1 rc=0
  shift 2
  local times=()
  for _ in $(seq 1 "$RUNS"); do
    sync
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$W/$name.rss" "$@" >"$W/$name.out" 2>"$W/$name.err" || rc=$?
    t1=$EPOCHREALTIME
    [[ " $ok " == *" $rc "* ]] || die "$name exited $rc: $(tail -n 5 "$W/$name.err")"
    times+=("$(python3 -c "print(f'{$t1 - $t0:.2f}')")")
    rc=0
  done
  SECONDS_OF[$name]=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  RSS_OF[$name]=$(($(tail -n 1 "$W/$name.rss") / 1024))
  log "$name: ${SECONDS_OF[$name]} s, ${RSS_OF[$name]} MB, $(wc -l <"$W/$name.out") output lines"
}

BUF_LINT_CONFIG='{"version":"v1","lint":{"use":["STANDARD"]}}'
BUF_BREAKING_CONFIG="{\"version\":\"v1\",\"breaking\":{\"use\":[\"$LEVEL\"]}}"
log "lint: $NEW_SPEC, $NEW_FILES files"
measure buf_lint "0 100" "$BUF" lint "$NEW_TREE" --config "$BUF_LINT_CONFIG"
measure spoke_lint "0 1" "$SPOKE" lint --dir "$NEW_TREE"
log "breaking at $LEVEL: $OLD_SPEC ($OLD_FILES files) -> $NEW_SPEC ($NEW_FILES files)"
measure buf_breaking "0 100" "$BUF" breaking "$NEW_TREE" --against "$OLD_TREE" --config "$BUF_BREAKING_CONFIG"
measure spoke_breaking "0 1" "$SPOKE" breaking --dir "$NEW_TREE" --against-dir "$OLD_TREE" --level "$LEVEL"

# ---------------------------------------------------------------------------------------------
missed=0
row() {  # row CASE SPOKE_NAME BUF_NAME
  local ratio verdict
  ratio=$(python3 -c "print(f'{${SECONDS_OF[$2]} / max(${SECONDS_OF[$3]}, 0.001):.2f}')")
  if python3 -c "import sys; sys.exit(0 if $ratio <= 0.5 else 1)"; then verdict=PASS; else verdict=MISS; missed=1; fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "${SECONDS_OF[$3]}" "${SECONDS_OF[$2]}" "$ratio" \
    "${RSS_OF[$3]}" "${RSS_OF[$2]}" "$verdict"
}
echo
echo "spoke $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), buf $("$BUF" --version), $(protoc --version)," \
  "$(nproc) cores, runs $RUNS (median)"
echo "files: $NEW_SPEC $NEW_FILES ($NEW_REJECTED left out), $OLD_SPEC $OLD_FILES ($OLD_REJECTED left out)${SUBDIRS:+, only $SUBDIRS}"
echo
echo "| case | buf s | spoke s | spoke/buf | buf MB | spoke MB | target <= 0.5 |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "lint (STANDARD), $NEW_SPEC" spoke_lint buf_lint
row "breaking ($LEVEL), $OLD_SPEC -> $NEW_SPEC" spoke_breaking buf_breaking
echo
echo "findings: buf lint $(wc -l <"$W/buf_lint.out"), spoke lint $(wc -l <"$W/spoke_lint.out");" \
  "buf breaking $(wc -l <"$W/buf_breaking.out"), spoke breaking $(wc -l <"$W/spoke_breaking.out")"
if [[ $missed == 1 && ${SPOKE_BENCH_STRICT:-0} == 1 ]]; then exit 3; fi
exit 0
