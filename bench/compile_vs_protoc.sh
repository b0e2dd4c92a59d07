#!/usr/bin/env bash
# Compile a large real corpus (the .proto files of the npm package google-proto-files that protoc
# accepts) with `spoke compile` and with `protoc`, and print times, peak RSS and their ratios:
# Spoke's cold compile (new store) against protoc, for one language and for three at once, and
# Spoke's artifact-cache hit against protoc, for the whole corpus and for one typical module.
# See bench/README.md.
#
#   bench/compile_vs_protoc.sh
#
# Environment (all optional):
#   SPOKE_BUILD_DIR        where spoke is                                  (default: <repo>/build)
#   SPOKE_BENCH_CACHE      where the npm tarball and corpora go            (default: ~/.cache/spoke-bench)
#   SPOKE_BENCH_PACKAGE    npm package spec                                (default: google-proto-files)
#   SPOKE_BENCH_TMP        parent of the scratch dir                       (default: $TMPDIR or /tmp)
#   SPOKE_BENCH_MODULE     the typical module: one API directory           (default: google/cloud/kms/v1)
#   SPOKE_BENCH_ROUNDS     rounds of the whole-corpus cold compiles        (default: 1)
#   SPOKE_BENCH_HIT_RUNS   whole-corpus cache hits                         (default: 3)
#   SPOKE_BENCH_MODULE_ROUNDS  rounds of the module's cold compiles and hits (default: 5)
#   SPOKE_BENCH_STRICT=1   exit 3 when a target is missed                  (default: report only)
#   SPOKE_BENCH_KEEP=1     keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called indirectly
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
PACKAGE=${SPOKE_BENCH_PACKAGE:-google-proto-files}
MODULE_DIR=${SPOKE_BENCH_MODULE:-google/cloud/kms/v1}
ROUNDS=${SPOKE_BENCH_ROUNDS:-1}
HIT_RUNS=${SPOKE_BENCH_HIT_RUNS:-3}
MODULE_ROUNDS=${SPOKE_BENCH_MODULE_ROUNDS:-5}
SPOKE=$BUILD_DIR/spoke
LANGS=(cpp java python)

die() { echo "compile_vs_protoc: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -x $SPOKE ]] ||
  die "no $SPOKE: build first (cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2 --target spoke) or set SPOKE_BUILD_DIR"
((ROUNDS >= 1 && HIT_RUNS >= 1 && MODULE_ROUNDS >= 1)) || die "rounds and runs must be >= 1"

# ---------------------------------------------------------------------------------------------
# Tools. The script runs as root on the project's machines; install what is missing from Debian.
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing $* (apt-get)"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}
command -v npm >/dev/null || die "npm is required"
command -v protoc >/dev/null || apt_install protobuf-compiler
[[ -x /usr/bin/time ]] || apt_install time
[[ -f /usr/include/google/protobuf/descriptor.proto ]] || apt_install libprotobuf-dev
PROTOC=$(command -v protoc)
PROTOC_VERSION=$("$PROTOC" --version | awk '{print $NF}')

# ---------------------------------------------------------------------------------------------
# Scratch dir and clean-up.
mkdir -p "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}"
W=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-cbench.XXXXXX")
case "$W/" in "$ROOT"/*) rm -rf "$W"; die "scratch dir $W is inside the repository" ;; esac
cleanup() { if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# The corpus: every .proto of the npm package, at its path inside the package (package/ stripped).
# Same cache layout as bench/push_pull_vs_git.sh, so either script reuses the other's download.
mkdir -p "$CACHE"
case "$CACHE/" in "$ROOT"/*) die "cache $CACHE is inside the repository" ;; esac
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"
CORPUS=$(corpus_of "$PACKAGE")
TGZ_BASE=${CORPUS##*/corpus-}
ALL_FILES=$(find "$CORPUS" -type f -name '*.proto' | wc -l)
((ALL_FILES > 0)) || die "no .proto file in $CORPUS"

# ---------------------------------------------------------------------------------------------
# The compilable corpus: the files this protoc accepts, in a directory of their own (hard links),
# so that `spoke compile --recursive` targets exactly the files protoc is given. Deterministic:
#  1. per directory, protoc parses the directory's files (imports from the whole corpus); when
#     that fails, each file of the directory alone; the files that fail are dropped;
#  2. the kept files, in a tree of their own, are compiled at once for cpp, java and python
#     (+ pyi); a file named in an error is dropped and the step repeats (cross-directory clashes,
#     generator errors, imports of dropped files).
# The result is cached beside the corpus, per protoc version.
GOOD=$CACHE/corpus-$TGZ_BASE-protoc-$PROTOC_VERSION
GOOD_LIST=$GOOD.list
GOOD_REJECTED=$GOOD.rejected
link_tree() {  # link_tree SRC LIST DEST: DEST/<path> hard-linked to SRC/<path> for each path in LIST
  rm -rf "$3" && mkdir -p "$3"
  # Copies instead when DEST is on another file system than the cache (SPOKE_BENCH_TMP=/dev/shm).
  (cd "$1" && { xargs -d '\n' cp -l --parents -t "$3" <"$2" 2>/dev/null ||
    xargs -d '\n' cp --parents -t "$3" <"$2"; })
}
if [[ ! -f $GOOD_LIST || ! -d $GOOD ]]; then
  log "finding the files protoc $PROTOC_VERSION accepts (once; cached in $GOOD_LIST)"
  (cd "$CORPUS" && find . -type f -name '*.proto' | sed 's|^\./||' | sort) >"$W/all.list"
  : >"$W/ok.list"; : >"$W/rejected"
  sed 's|/[^/]*$||' "$W/all.list" | sort -u >"$W/dirs"
  n_dirs=$(wc -l <"$W/dirs"); i=0
  while IFS= read -r d; do
    i=$((i + 1))
    awk -v d="$d/" 'index($0, d) == 1 && index(substr($0, length(d) + 1), "/") == 0' "$W/all.list" >"$W/dir.list"
    if "$PROTOC" -I "$CORPUS" --descriptor_set_out=/dev/null "@$W/dir.list" >/dev/null 2>&1; then
      cat "$W/dir.list" >>"$W/ok.list"
    else
      while IFS= read -r f; do
        if "$PROTOC" -I "$CORPUS" --descriptor_set_out=/dev/null "$f" >"$W/one.err" 2>&1; then
          echo "$f" >>"$W/ok.list"
        else
          echo "$f: $(grep -v ': warning: \|^\[libprotobuf WARNING' "$W/one.err" | head -n 1)" >>"$W/rejected"
        fi
      done <"$W/dir.list"
    fi
    if ((i % 100 == 0)); then log "  $i/$n_dirs directories"; fi
  done <"$W/dirs"
  sort -o "$W/ok.list" "$W/ok.list"
  for attempt in $(seq 1 50); do
    link_tree "$CORPUS" "$W/ok.list" "$W/good"
    rm -rf "$W/check-out" && mkdir -p "$W/check-out"
    log "  checking $(wc -l <"$W/ok.list") files with protoc --cpp_out --java_out --python_out --pyi_out (try $attempt)"
    if "$PROTOC" -I "$W/good" --cpp_out="$W/check-out" --java_out="$W/check-out" --python_out="$W/check-out" \
      --pyi_out="$W/check-out" "@$W/ok.list" >"$W/check.err" 2>&1; then
      break
    fi
    bad=$(grep -v ': warning: \|^\[libprotobuf WARNING' "$W/check.err" |
      sed -n 's|^--[a-z]*_out: \([^:]*\.proto\):.*|\1|p; s|^\([^: ]*\.proto\):[0-9]*:[0-9]*: .*|\1|p' |
      grep -Fxf "$W/ok.list" | head -n 1 || true)
    [[ -n $bad ]] || { tail -n 20 "$W/check.err" >&2; die "protoc failed on the kept files and named none of them"; }
    echo "$bad: $(grep -v ': warning: \|^\[libprotobuf WARNING' "$W/check.err" | grep -F "$bad" | head -n 1)" >>"$W/rejected"
    grep -vFx "$bad" "$W/ok.list" >"$W/ok.next"; mv "$W/ok.next" "$W/ok.list"
    ((attempt < 50)) || die "more than 50 files dropped in the whole-corpus check"
  done
  rm -rf "$W/check-out"
  rm -rf "$GOOD" && mv "$W/good" "$GOOD"
  sort -o "$W/rejected" "$W/rejected"
  mv "$W/rejected" "$GOOD_REJECTED"
  mv "$W/ok.list" "$GOOD_LIST"
fi
N_FILES=$(wc -l <"$GOOD_LIST")
N_REJECTED=$(wc -l <"$GOOD_REJECTED")
GOOD_BYTES=$(cd "$GOOD" && xargs -d '\n' stat -c %s <"$GOOD_LIST" | awk '{s += $1} END {print s}')
[[ $(find "$GOOD" -type f | wc -l) == "$N_FILES" ]] || die "$GOOD does not hold exactly the files of $GOOD_LIST; delete both"

# ---------------------------------------------------------------------------------------------
# The typical module: the .proto files of one API directory plus everything they import
# (transitively), copied into a tree of their own. Both tools compile all of them: Spoke's
# --recursive makes every file under -dir a target, and protoc is given the same list.
[[ -d $GOOD/$MODULE_DIR ]] || die "no $MODULE_DIR in the compilable corpus (SPOKE_BENCH_MODULE)"
grep -E "^${MODULE_DIR//./\\.}/[^/]+\.proto$" "$GOOD_LIST" >"$W/module-own.list" || die "no .proto file directly in $MODULE_DIR"
"$PROTOC" -I "$GOOD" --include_imports --descriptor_set_out="$W/module.pb" "@$W/module-own.list" >/dev/null 2>&1 ||
  die "protoc cannot compile $MODULE_DIR"
"$PROTOC" -I /usr/include --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto \
  <"$W/module.pb" | sed -n 's/^  name: "\(.*\)"$/\1/p' | sort >"$W/module.list"
MODULE_TREE=$W/module-src
link_tree "$GOOD" "$W/module.list" "$MODULE_TREE"
MODULE_OWN=$(wc -l <"$W/module-own.list")
MODULE_FILES=$(wc -l <"$W/module.list")
[[ $(find "$MODULE_TREE" -type f | wc -l) == "$MODULE_FILES" ]] || die "the module tree is incomplete"

# ---------------------------------------------------------------------------------------------
# Measuring. Wall time from $EPOCHREALTIME around /usr/bin/time, which gives the peak RSS (%M,
# KiB; %e is kept in the log). Dirty pages are flushed before each measured command, so no run
# pays for the previous run's writes. A failing command stops the bench.
T_US=0; M_KB=0
measure() {  # measure NAME CMD... -> T_US, M_KB; output in $W/NAME.log
  local name=$1; shift
  local t0 t1 rc=0
  sync
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%e %M' -o "$W/$name.time" "$@" >"$W/$name.log" 2>&1 || rc=$?
  t1=$EPOCHREALTIME
  if ((rc != 0)); then
    echo "compile_vs_protoc: step '$name' failed (exit $rc): $*" >&2
    tail -n 30 "$W/$name.log" >&2
    exit 1
  fi
  T_US=$(((10#${t1%.*} - 10#${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
  M_KB=$(awk 'END {print $2}' "$W/$name.time")
  echo "$name $T_US $M_KB" >>"$W/measurements"
}
measure_bare() {  # measure_bare NAME CMD... -> T_US: the command alone, without /usr/bin/time or env
  local name=$1; shift
  local t0 t1 rc=0
  sync
  t0=$EPOCHREALTIME
  "$@" >"$W/$name.log" 2>&1 || rc=$?
  t1=$EPOCHREALTIME
  ((rc == 0)) || { tail -n 30 "$W/$name.log" >&2; die "step '$name' failed (exit $rc): $*"; }
  T_US=$(((10#${t1%.*} - 10#${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
  echo "$name $T_US -" >>"$W/measurements"
}
sec() { awk -v u="$1" 'BEGIN {printf (u < 1e7 ? "%.3f" : "%.1f"), u / 1e6}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
same_tree() {  # same_tree A B WHAT: byte-identical trees, or the bench stops
  diff -r "$1" "$2" >"$W/diff.out" 2>&1 || { head -n 20 "$W/diff.out" >&2; die "$3: spoke's output differs from protoc's"; }
}
fresh() { rm -rf "$@"; mkdir -p "$@"; }
protoc_flags() {  # protoc_flags OUT LANG...: protoc's output flags for Spoke's languages
  local out=$1 lang; shift
  for lang in "$@"; do
    case $lang in
      python) echo "--python_out=$out" "--pyi_out=$out" ;;  # Spoke's python writes the .pyi stubs too
      *) echo "--${lang}_out=$out" ;;
    esac
  done
}
check_hit() {  # check_hit LOG: the --json output says no generator ran and every artifact was cached
  grep -q '"generator_runs": 0' "$1" || { head -n 20 "$1" >&2; die "a cache hit ran a generator"; }
  if grep -q '"cached": false' "$1"; then die "a cache hit reported an artifact that was not cached"; fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "corpus: $TGZ_BASE, $N_FILES of $ALL_FILES .proto files accepted by protoc $PROTOC_VERSION ($N_REJECTED dropped, see $GOOD_REJECTED)"
log "module: $MODULE_DIR, $MODULE_OWN files + imports = $MODULE_FILES files"
log "scratch: $W"
cat "$GOOD_LIST" "$W/module.list" | (cd "$GOOD" && xargs -d '\n' cat) >/dev/null  # into the page cache

# 1: the module (its own files and its imports), cpp: protoc, spoke cold (new store), spoke hit.
# First, before the corpus rows delete tens of thousands of files: ext4 without a journal (as on
# the project's VMs) skips inodes freed in the last 60 to 360 s when it creates a file, which
# makes every create slower for minutes after; that is noise of the bench, not of the workload,
# and it is most of a module's hit, against a fraction of a percent of protoc's run.
declare -a PM_T=() PM_M=() SM_T=() SM_M=() SMH_T=() SMH_M=() SML_T=() SML_M=() CPM_T=()
# Each command runs twice: under /usr/bin/time (env sets SPOKE_HOME) for its peak RSS, and then
# alone for its time, as /usr/bin/time and env add about 2 ms of fork and exec: nothing next to
# protoc's 0.2 s, most of a cache hit.
export SPOKE_HOME="$W/home-m"
for ((r = 1; r <= MODULE_ROUNDS; r++)); do
  log "module round $r/$MODULE_ROUNDS: protoc, spoke cold, spoke cache hit ($MODULE_DIR + imports, cpp)"
  fresh "$W/pm" "$W/pm-bare"
  measure "protoc_module.$r" "$PROTOC" -I "$MODULE_TREE" --cpp_out="$W/pm" "@$W/module.list"
  PM_M+=("$M_KB")
  measure_bare "protoc_module_bare.$r" "$PROTOC" -I "$MODULE_TREE" --cpp_out="$W/pm-bare" "@$W/module.list"
  PM_T+=("$T_US")
  rm -rf "$W/home-m" "$W/sm" "$W/smh" "$W/sml" "$W/sm-bare" "$W/smh-bare" "$W/sml-bare" "$W/cpm"
  measure "spoke_module.$r" env SPOKE_HOME="$W/home-m" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/sm" -lang cpp --recursive --json
  SM_M+=("$M_KB")
  rm -rf "$W/home-m"
  measure_bare "spoke_module_bare.$r" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/sm-bare" -lang cpp --recursive --json
  SM_T+=("$T_US")
  measure "spoke_module_hit.$r" env SPOKE_HOME="$W/home-m" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/smh" -lang cpp --recursive --json
  SMH_M+=("$M_KB")
  check_hit "$W/spoke_module_hit.$r.log"
  measure_bare "spoke_module_hit_bare.$r" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/smh-bare" -lang cpp --recursive --json
  SMH_T+=("$T_US")
  check_hit "$W/spoke_module_hit_bare.$r.log"
  # The floor of a copying hit: cp -r of the cache entry the hit copied from, the same files and
  # bytes, with nothing to look up. It shows how much of the hit is the file system's.
  entry=$(find "$W/home-m/checkouts" -mindepth 2 -maxdepth 2 -type d -regextype posix-extended \
    -regex '.*/[0-9a-f]{64}')
  [[ -n $entry && $(wc -l <<<"$entry") == 1 ]] || die "not one checkout cache entry in $W/home-m/checkouts"
  measure_bare "copy_module.$r" cp -r "$entry" "$W/cpm"
  CPM_T+=("$T_US")
  measure "spoke_module_link.$r" env SPOKE_HOME="$W/home-m" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/sml" -lang cpp --recursive --json --link
  SML_M+=("$M_KB")
  check_hit "$W/spoke_module_link.$r.log"
  measure_bare "spoke_module_link_bare.$r" "$SPOKE" compile -dir "$MODULE_TREE" -out "$W/sml-bare" -lang cpp --recursive --json --link
  SML_T+=("$T_US")
  check_hit "$W/spoke_module_link_bare.$r.log"
  for tree in sm smh sml sm-bare smh-bare sml-bare cpm; do same_tree "$W/pm" "$W/$tree" "module, cpp, $tree"; done
done
unset SPOKE_HOME

# 2 and 3: whole corpus, cold. protoc one language at a time; protoc all three at once; spoke.
declare -A P_ONE=()
declare -a P_CPP_T=() P_CPP_M=() S_CPP_T=() S_CPP_M=() P_SEP_T=() P_SEP_M=() P_ALL_T=() P_ALL_M=() S_ALL_T=() S_ALL_M=()
for ((r = 1; r <= ROUNDS; r++)); do
  sep_t=0; sep_m=0
  for lang in "${LANGS[@]}"; do
    log "round $r/$ROUNDS: protoc --${lang}_out, whole corpus"
    fresh "$W/p-$lang"
    # shellcheck disable=SC2046
    measure "protoc_$lang.$r" "$PROTOC" -I "$GOOD" $(protoc_flags "$W/p-$lang" "$lang") "@$GOOD_LIST"
    sep_t=$((sep_t + T_US))
    if ((M_KB > sep_m)); then sep_m=$M_KB; fi
    if [[ $lang == cpp ]]; then P_CPP_T+=("$T_US"); P_CPP_M+=("$M_KB"); fi
    P_ONE[$lang]="$(sec "$T_US") s $(mb "$M_KB") MB"
  done
  P_SEP_T+=("$sep_t"); P_SEP_M+=("$sep_m")

  log "round $r/$ROUNDS: spoke compile -lang cpp, whole corpus, new store"
  rm -rf "$W/home-cpp" "$W/s-cpp"
  measure "spoke_cpp.$r" env SPOKE_HOME="$W/home-cpp" "$SPOKE" compile -dir "$GOOD" -out "$W/s-cpp" -lang cpp --recursive --json
  S_CPP_T+=("$T_US"); S_CPP_M+=("$M_KB")
  grep -q '"generator_runs": 1' "$W/spoke_cpp.$r.log" || die "the cold compile did not run the generator"
  same_tree "$W/p-cpp" "$W/s-cpp" "whole corpus, cpp, cold"

  log "round $r/$ROUNDS: protoc --cpp_out --java_out --python_out --pyi_out at once, whole corpus"
  fresh "$W/p-all/cpp" "$W/p-all/java" "$W/p-all/python"
  # shellcheck disable=SC2046
  measure "protoc_all.$r" "$PROTOC" -I "$GOOD" $(for l in "${LANGS[@]}"; do protoc_flags "$W/p-all/$l" "$l"; done) "@$GOOD_LIST"
  P_ALL_T+=("$T_US"); P_ALL_M+=("$M_KB")

  log "round $r/$ROUNDS: spoke compile -lang cpp,java,python, whole corpus, new store"
  rm -rf "$W/home-all" "$W/s-all"
  measure "spoke_all.$r" env SPOKE_HOME="$W/home-all" "$SPOKE" compile -dir "$GOOD" -out "$W/s-all" -lang "$(IFS=,; echo "${LANGS[*]}")" --recursive --json
  S_ALL_T+=("$T_US"); S_ALL_M+=("$M_KB")
  grep -q "\"generator_runs\": ${#LANGS[@]}" "$W/spoke_all.$r.log" || die "the cold compile did not run ${#LANGS[@]} generators"
  for lang in "${LANGS[@]}"; do
    same_tree "$W/p-all/$lang" "$W/s-all/$lang" "whole corpus, $lang, cold (three languages)"
    same_tree "$W/p-$lang" "$W/s-all/$lang" "whole corpus, $lang (protoc alone vs spoke with three languages)"
  done
  rm -rf "$W/s-all" "$W/p-all" "$W/home-all" "$W/p-java" "$W/p-python"  # p-cpp, s-cpp, home-cpp: for the hits
done

# 4: whole corpus, cache hit: the same compile again, same store, new output dir.
declare -a S_HIT_T=() S_HIT_M=()
for ((i = 1; i <= HIT_RUNS; i++)); do
  log "cache hit $i/$HIT_RUNS: spoke compile -lang cpp, whole corpus"
  rm -rf "$W/s-hit"
  measure "spoke_hit.$i" env SPOKE_HOME="$W/home-cpp" "$SPOKE" compile -dir "$GOOD" -out "$W/s-hit" -lang cpp --recursive --json
  S_HIT_T+=("$T_US"); S_HIT_M+=("$M_KB")
  check_hit "$W/spoke_hit.$i.log"
done
same_tree "$W/p-cpp" "$W/s-hit" "whole corpus, cpp, cache hit"
CPP_OUT_SIZE="$(du -sh "$W/p-cpp" | cut -f1) in $(find "$W/p-cpp" -type f | wc -l) files"
rm -rf "$W/s-hit" "$W/s-cpp" "$W/p-cpp"

# ---------------------------------------------------------------------------------------------
# The table. Ratios are spoke/protoc: below 1 means Spoke is faster or smaller.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {r = a / b; printf (r < 0.1 ? "%.4f" : "%.2f"), r}'; }
le() { awk -v a="$1" -v b="$2" -v x="$3" 'BEGIN {exit !(a <= b * x)}'; }
MISSED=0
row() {  # row CASE PT PM ST SM TARGET_TEXT VERDICT
  printf '%-46s %9s %9s %8s %9s %9s %7s  %-24s %s\n' "$1" "$(sec "$2")" "$(sec "$4")" "$(ratio "$4" "$2")" \
    "$(mb "$3")" "$(mb "$5")" "$(ratio "$5" "$3")" "$6" "$7"
  [[ $7 != MISS* ]] || MISSED=1
}
verdict_time_mem() {  # spoke time and memory within X of protoc's
  local pt=$1 pm=$2 st=$3 sm=$4 x=$5 v=""
  le "$st" "$pt" "$x" || v+=" time"
  le "$sm" "$pm" "$x" || v+=" memory"
  if [[ -z $v ]]; then echo PASS; else echo "MISS:$v"; fi
}
verdict_time() { if le "$3" "$1" "$2"; then echo PASS; else echo MISS; fi; }  # PT X ST

m() { median "$@"; }
pc_t=$(m "${P_CPP_T[@]}"); pc_m=$(m "${P_CPP_M[@]}"); sc_t=$(m "${S_CPP_T[@]}"); sc_m=$(m "${S_CPP_M[@]}")
ps_t=$(m "${P_SEP_T[@]}"); ps_m=$(m "${P_SEP_M[@]}"); pa_t=$(m "${P_ALL_T[@]}"); pa_m=$(m "${P_ALL_M[@]}")
sa_t=$(m "${S_ALL_T[@]}"); sa_m=$(m "${S_ALL_M[@]}"); sh_t=$(m "${S_HIT_T[@]}"); sh_m=$(m "${S_HIT_M[@]}")
pm_t=$(m "${PM_T[@]}"); pm_m=$(m "${PM_M[@]}"); sm_t=$(m "${SM_T[@]}"); sm_m=$(m "${SM_M[@]}")
smh_t=$(m "${SMH_T[@]}"); smh_m=$(m "${SMH_M[@]}")
sml_t=$(m "${SML_T[@]}"); sml_m=$(m "${SML_M[@]}"); cpm_t=$(m "${CPM_T[@]}")

echo
echo "spoke compile vs protoc $PROTOC_VERSION: $TGZ_BASE, $N_FILES .proto files ($(awk -v b="$GOOD_BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'); $N_REJECTED of $ALL_FILES dropped: protoc $PROTOC_VERSION rejects them)"
echo "module: $MODULE_DIR, $MODULE_OWN own files + imports = $MODULE_FILES files, all targets for both tools"
echo "spoke $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?") ($BUILD_DIR); $(nproc) cores; whole corpus cold: median of $ROUNDS; whole-corpus hits: median of $HIT_RUNS; module: median of $MODULE_ROUNDS"
echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN {if (l > n / 2) print " (other work was running: figures are noisy)"}')"
echo "outputs checked: spoke's files equal protoc's (diff -r) for every row"
echo
printf '%-46s %9s %9s %8s %9s %9s %7s  %-24s %s\n' "case" "protoc s" "spoke s" "ratio" "protoc MB" "spoke MB" "ratio" "target" "met?"
row "corpus cpp, cold" "$pc_t" "$pc_m" "$sc_t" "$sc_m" "time,mem <= 1.1x" "$(verdict_time_mem "$pc_t" "$pc_m" "$sc_t" "$sc_m" 1.1)"
row "corpus cpp+java+python, cold vs 3 protoc runs" "$ps_t" "$ps_m" "$sa_t" "$sa_m" "time < 1.0x" "$(if ((sa_t < ps_t)); then echo PASS; else echo MISS; fi)"
row "corpus cpp+java+python, cold vs 1 protoc run" "$pa_t" "$pa_m" "$sa_t" "$sa_m" "- (for reference)" "-"
row "corpus cpp, cache hit" "$pc_t" "$pc_m" "$sh_t" "$sh_m" "time <= 0.1x (10x)" "$(verdict_time "$pc_t" 0.1 "$sh_t")"
row "module cpp, cold" "$pm_t" "$pm_m" "$sm_t" "$sm_m" "time,mem <= 1.1x" "$(verdict_time_mem "$pm_t" "$pm_m" "$sm_t" "$sm_m" 1.1)"
row "module cpp, cache hit" "$pm_t" "$pm_m" "$smh_t" "$smh_m" "time <= 0.02x (50x)" "$(verdict_time "$pm_t" 0.02 "$smh_t")"
row "module cpp, cache hit, --link" "$pm_t" "$pm_m" "$sml_t" "$sml_m" "time <= 0.02x (50x)" "$(verdict_time "$pm_t" 0.02 "$sml_t")"
printf '%-46s %9s %9s %8s %9s %9s %7s  %-24s %s\n' "module: cp -r of the hit's cache entry" "$(sec "$pm_t")" "$(sec "$cpm_t")" \
  "$(ratio "$cpm_t" "$pm_t")" "-" "-" "-" "- (the copy's floor)" "-"
echo
echo "protoc one language at a time (whole corpus, last round): $(for l in "${LANGS[@]}"; do printf '%s %s; ' "$l" "${P_ONE[$l]}"; done)"
echo "  (python is --python_out + --pyi_out: Spoke's python artifact holds the .pyi stubs too; 3 protoc runs: sum of times, largest RSS)"
echo "cache hits, s: corpus [$(for t in "${S_HIT_T[@]}"; do printf '%s ' "$(sec "$t")"; done | sed 's/ $//')]  module [$(for t in "${SMH_T[@]}"; do printf '%s ' "$(sec "$t")"; done | sed 's/ $//')]  module --link [$(for t in "${SML_T[@]}"; do printf '%s ' "$(sec "$t")"; done | sed 's/ $//')]  module cp -r [$(for t in "${CPM_T[@]}"; do printf '%s ' "$(sec "$t")"; done | sed 's/ $//')]"
echo "sizes: protoc's cpp output for the corpus $CPP_OUT_SIZE; the local store after the cold cpp compile: objects $(du -sh "$W/home-cpp/objects" | cut -f1), checkout cache $(du -sh "$W/home-cpp/checkouts" 2>/dev/null | cut -f1) (hard links to the compile's output, which is deleted by now)"

if [[ ${SPOKE_BENCH_STRICT:-0} == 1 && $MISSED == 1 ]]; then exit 3; fi
exit 0
