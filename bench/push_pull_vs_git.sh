#!/usr/bin/env bash
# Push and pull a large real corpus (every .proto of the npm package google-proto-files) through
# Spoke and through stock git's smart HTTP (git http-backend behind a local web server), both on
# loopback, and print the times and the ratios spoke/git. See bench/README.md.
#
#   bench/push_pull_vs_git.sh
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke and spoke-server are      (default: <repo>/build)
#   SPOKE_BENCH_CACHE    where the npm tarball and corpus go   (default: ~/.cache/spoke-bench)
#   SPOKE_BENCH_PACKAGE  npm package spec                      (default: google-proto-files)
#   SPOKE_BENCH_TMP      parent of the scratch dir             (default: $TMPDIR or /tmp)
#   SPOKE_BENCH_ROUNDS   rounds of push + cold pull, each on fresh servers/stores (default: 3)
#   SPOKE_BENCH_RUNS     warm pulls per tool                   (default: 20)
#   SPOKE_BENCH_HTTPD    web server for git: python | lighttpd (default: python, needs nothing)
#   SPOKE_BENCH_STRICT=1 exit 3 when a target is missed (default: report only)
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup and the functions given to timed are called indirectly
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CACHE=${SPOKE_BENCH_CACHE:-$HOME/.cache/spoke-bench}
PACKAGE=${SPOKE_BENCH_PACKAGE:-google-proto-files}
ROUNDS=${SPOKE_BENCH_ROUNDS:-3}
RUNS=${SPOKE_BENCH_RUNS:-20}
HTTPD=${SPOKE_BENCH_HTTPD:-python}
TARGET_MS=20
MODULE=googleapis
VERSION=v1.0.0
SMALL_MODULE=googleapis-type   # google/type alone: a typical small module, for the 20 ms target

SPOKE=$BUILD_DIR/spoke
SPOKE_SERVER=$BUILD_DIR/spoke-server

die() { echo "push_pull_vs_git: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -x $SPOKE && -x $SPOKE_SERVER ]] ||
  die "no $SPOKE or $SPOKE_SERVER: build first (cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2) or set SPOKE_BUILD_DIR"
[[ $HTTPD == python || $HTTPD == lighttpd ]] || die "SPOKE_BENCH_HTTPD must be python or lighttpd"
((ROUNDS >= 1 && RUNS >= 1)) || die "SPOKE_BENCH_ROUNDS and SPOKE_BENCH_RUNS must be >= 1"

# ---------------------------------------------------------------------------------------------
# Tools. The script runs as root on the project's machines; install what is missing from Debian.
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing $* (apt-get)"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}
for tool in git python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
[[ -x /usr/bin/time ]] || apt_install time
if [[ $HTTPD == lighttpd ]] && ! command -v lighttpd >/dev/null; then apt_install lighttpd; fi
GIT_BACKEND=$(git --exec-path)/git-http-backend
[[ -x $GIT_BACKEND ]] || die "no $GIT_BACKEND"

# ---------------------------------------------------------------------------------------------
# Scratch dir and clean-up: every process this script starts is recorded and stopped on exit.
mkdir -p "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}"
W=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-bench.XXXXXX")
case "$W/" in "$ROOT"/*) rm -rf "$W"; die "scratch dir $W is inside the repository" ;; esac
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do { wait "$pid"; } 2>/dev/null || true; done
  if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {  # stop one process we started, and forget it
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  { wait "$pid"; } 2>/dev/null || true
  for i in "${!PIDS[@]}"; do [[ ${PIDS[$i]} == "$pid" ]] && unset 'PIDS[i]'; done
  return 0
}

# ---------------------------------------------------------------------------------------------
# The corpus: every .proto of the npm package, at its path inside the package (package/ stripped).
mkdir -p "$CACHE"
case "$CACHE/" in "$ROOT"/*) die "cache $CACHE is inside the repository" ;; esac
# shellcheck source=bench/corpus.sh
source "$ROOT/bench/corpus.sh"
CORPUS=$(corpus_of "$PACKAGE")
TGZ_BASE=${CORPUS##*/corpus-}
# `spoke push` refuses a module whose imports do not all resolve (the raw package holds a few test
# protos under google/protobuf/ that import files it does not ship). Both tools get the same tree:
# the package's files less those whose imports, transitively, cannot be found in it.
RAW_CORPUS=$CORPUS
CORPUS=$CACHE/corpus-$TGZ_BASE-imports-resolve
if [[ ! -d $CORPUS ]]; then
  log "dropping the files whose imports the package does not hold -> $CORPUS"
  rm -rf "$CORPUS.tmp"
  python3 - "$RAW_CORPUS" "$CORPUS.tmp" <<'PY' >&2
import os, re, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
imports = {}
for root, _, names in os.walk(src):
    for name in names:
        path = os.path.relpath(os.path.join(root, name), src)
        text = open(os.path.join(root, name), encoding="utf-8", errors="replace").read()
        imports[path] = re.findall(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"', text, re.M)
kept = set(imports)
while True:
    dropped = {p for p in kept if any(i not in kept for i in imports[p])}
    if not dropped:
        break
    kept -= dropped
for path in sorted(set(imports) - kept):
    print("  dropped", path)
for path in kept:
    os.makedirs(os.path.dirname(os.path.join(dst, path)) or dst, exist_ok=True)
    os.link(os.path.join(src, path), os.path.join(dst, path))
PY
  mv "$CORPUS.tmp" "$CORPUS"
fi
CORPUS_FILES=$(find "$CORPUS" -type f | wc -l)
CORPUS_BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
((CORPUS_FILES > 0)) || die "no .proto file in $CORPUS"
[[ -d $CORPUS/google/type ]] || die "no google/type in $CORPUS"

# ---------------------------------------------------------------------------------------------
# Timing. $EPOCHREALTIME needs no fork. External commands also run under /usr/bin/time for the
# peak RSS (of the process and the children it waited for); shell functions run bare, which the
# warm pulls use so that the timer adds nothing but the fork and exec of the command measured.
# A failing step stops the bench.
declare -A RSS_KB=()
ELAPSED_US=0
us_between() {  # us_between T0 T1: microseconds between two $EPOCHREALTIME values
  ELAPSED_US=$(((10#${2%.*} - 10#${1%.*}) * 1000000 + 10#${2#*.} - 10#${1#*.}))
}
timed() {  # timed NAME CMD...  -> ELAPSED_US; output in $W/NAME.log; peak RSS in RSS_KB[NAME]
  local name=$1; shift
  local t0 t1 rc=0 kb
  if [[ $(type -t "$1") == function ]]; then  # no fork of its own: the lean path, for short runs
    t0=$EPOCHREALTIME; "$@" >"$W/$name.log" 2>&1 || rc=$?; t1=$EPOCHREALTIME
  else
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$W/$name.rss" "$@" >"$W/$name.log" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    kb=$(tail -n 1 "$W/$name.rss" 2>/dev/null || echo 0)
    if [[ $kb =~ ^[0-9]+$ ]] && ((kb > ${RSS_KB[$name]:-0})); then RSS_KB[$name]=$kb; fi
  fi
  if ((rc != 0)); then
    echo "push_pull_vs_git: step '$name' failed (exit $rc): $*" >&2
    tail -n 30 "$W/$name.log" >&2
    exit 1
  fi
  us_between "$t0" "$t1"
}
median_us() {  # median of the arguments
  printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
min_us() { printf '%s\n' "$@" | sort -n | head -n 1; }
same_tree() {  # same_tree A B: byte-identical trees (B's .git ignored), or the bench stops
  diff -r --exclude=.git "$1" "$2" >"$W/diff.out" 2>&1 ||
    { head -n 20 "$W/diff.out" >&2; die "$2 differs from $1: broken output"; }
}
fs_type() { local t; t=$(findmnt -no FSTYPE -T "$1" 2>/dev/null | head -n 1); echo "${t:-$(stat -f -c %T "$1")}"; }
wait_for_port() {  # wait_for_port PID PORT: until something accepts on 127.0.0.1:PORT
  local pid=$1 port=$2 i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Spoke. Each round: a new registry on a new store, push with a new SPOKE_HOME, cold pull into
# another new SPOKE_HOME. The registry runs with --validate none: this compares transports with
# git, which checks nothing, and the raw corpus holds files protoc 3.21 cannot parse (editions,
# test protos), which a validating registry rightly refuses.
SPOKE_URL=""; SPOKE_PID=""; SPOKE_SERVER_HWM_KB=0
start_spoke_server() {
  local store=$1 out=$W/spoke-server.$2.out i
  : >"$out"
  "$SPOKE_SERVER" -port 0 --host 127.0.0.1 -storage-dir "$store" -q --validate none >"$out" 2>"$out.err" &
  SPOKE_PID=$!; PIDS+=("$SPOKE_PID")
  SPOKE_URL=""
  for ((i = 0; i < 200; i++)); do  # the server prints its address once it listens
    SPOKE_URL=$(sed -n 's|^spoke-server: serving .* on \(http://[^ ]*\)$|\1|p' "$out")
    [[ -n $SPOKE_URL ]] && return 0
    kill -0 "$SPOKE_PID" 2>/dev/null || { cat "$out.err" >&2; die "spoke-server exited"; }
    sleep 0.05
  done
  die "spoke-server did not print its address within 10 s"
}
stop_spoke_server() {
  local hwm
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPOKE_PID/status" 2>/dev/null || echo 0)
  ((${hwm:-0} > SPOKE_SERVER_HWM_KB)) && SPOKE_SERVER_HWM_KB=$hwm
  stop_pid "$SPOKE_PID"
}

# ---------------------------------------------------------------------------------------------
# Git. A bare repository per round under one web server that runs git-http-backend as CGI, push
# enabled (http.receivepack, GIT_HTTP_EXPORT_ALL). Client and server see no user or system config.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
GIT_ROOT=$W/git-server; mkdir -p "$GIT_ROOT"
GIT_URL=""; GIT_HTTPD_DESC=""

# python3 only: a small HTTP/1.1 server that runs git-http-backend as CGI for /git/*. It passes
# every request header as HTTP_* (Git-Protocol, Content-Encoding), de-chunks request bodies (git
# sends large pushes chunked) and streams the response. The stdlib's CGIHTTPRequestHandler can't:
# it passes neither header, hands chunked bodies through raw and setuid()s to nobody as root.
cat >"$W/git_cgi_server.py" <<'EOF'
import os, shutil, subprocess, sys, tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

BACKEND, SPOOL = sys.argv[1], sys.argv[2]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.cgi()

    def do_POST(self):
        self.cgi()

    def copy_n(self, out, n):
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 16))
            if not chunk:
                raise ConnectionError("short request body")
            out.write(chunk)
            n -= len(chunk)

    def read_body(self, out):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                self.copy_n(out, n)
                self.rfile.readline()
        self.copy_n(out, int(self.headers.get("Content-Length") or 0))

    def cgi(self):
        url = urlsplit(self.path)
        if not url.path.startswith("/git/"):
            self.send_error(404)
            return
        env = dict(os.environ)
        for key, value in self.headers.items():
            key = key.upper().replace("-", "_")
            if key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING", "CONTENT_TYPE"):
                env["HTTP_" + key] = value
        env.update(GATEWAY_INTERFACE="CGI/1.1", SERVER_PROTOCOL="HTTP/1.1",
                   SERVER_NAME="127.0.0.1", SERVER_PORT=str(self.server.server_port),
                   REMOTE_ADDR=self.client_address[0], REQUEST_METHOD=self.command,
                   SCRIPT_NAME="/git", PATH_INFO=unquote(url.path[len("/git"):]),
                   QUERY_STRING=url.query, CONTENT_TYPE=self.headers.get("Content-Type", ""))
        with tempfile.TemporaryFile(dir=SPOOL) as body:
            self.read_body(body)
            env["CONTENT_LENGTH"] = str(body.tell())
            body.seek(0)
            proc = subprocess.Popen([BACKEND], stdin=body, stdout=subprocess.PIPE, env=env)
            status, headers = "200 OK", []
            for line in iter(proc.stdout.readline, b""):
                line = line.decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = value.strip()
                else:
                    headers.append((key, value.strip()))
            head = "HTTP/1.1 %s\r\n" % status
            head += "".join("%s: %s\r\n" % kv for kv in headers)
            head += "Connection: close\r\n\r\n"
            self.wfile.write(head.encode("latin-1"))
            shutil.copyfileobj(proc.stdout, self.wfile, 1 << 16)
            proc.stdout.close()
            proc.wait()
        self.close_connection = True

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("git-cgi-server: listening on http://127.0.0.1:%d" % server.server_port, flush=True)
server.serve_forever()
EOF

start_git_httpd() {
  local i pid port
  mkdir -p "$W/spool"
  if [[ $HTTPD == python ]]; then
    : >"$W/httpd.out"
    GIT_PROJECT_ROOT=$GIT_ROOT GIT_HTTP_EXPORT_ALL=1 \
      python3 "$W/git_cgi_server.py" "$GIT_BACKEND" "$W/spool" >"$W/httpd.out" 2>"$W/httpd.err" &
    pid=$!; PIDS+=("$pid")
    for ((i = 0; i < 200; i++)); do
      port=$(sed -n 's|^git-cgi-server: listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$W/httpd.out")
      [[ -n $port ]] && break
      kill -0 "$pid" 2>/dev/null || { cat "$W/httpd.err" >&2; die "git web server exited"; }
      sleep 0.05
    done
    [[ -n $port ]] || die "git web server did not print its address within 10 s"
    GIT_HTTPD_DESC="python3 $(python3 -c 'import platform; print(platform.python_version())') CGI server (bench-local)"
  else
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # The setup of git-http-backend(1)'s lighttpd example.
    cat >"$W/lighttpd.conf" <<EOF
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$GIT_ROOT"
server.errorlog = "$W/lighttpd.err"
server.upload-dirs = ("$W/spool")
server.max-request-size = 2097151
alias.url = ("/git" => "$GIT_BACKEND")
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ("" => "")
  setenv.add-environment = ("GIT_PROJECT_ROOT" => "$GIT_ROOT", "GIT_HTTP_EXPORT_ALL" => "1",
                            "GIT_CONFIG_NOSYSTEM" => "1", "GIT_CONFIG_GLOBAL" => "/dev/null")
}
EOF
    lighttpd -D -f "$W/lighttpd.conf" >"$W/httpd.out" 2>&1 &
    pid=$!; PIDS+=("$pid")
    wait_for_port "$pid" "$port" || { cat "$W/httpd.out" "$W/lighttpd.err" >&2 || true; die "lighttpd did not start"; }
    GIT_HTTPD_DESC="$(lighttpd -v 2>/dev/null | head -n 1 | cut -d' ' -f1) (mod_cgi)"
  fi
  GIT_URL=http://127.0.0.1:$port/git
}

git_stage() {  # git_stage GITDIR: init, add every file of the corpus, commit, tag
  local gd=$1  # (set -e is off inside `cmd || ...`: chain with &&)
  git init -q -b main "${gd%/.git}" &&
    git --git-dir="$gd" --work-tree="$CORPUS" add -A &&
    git --git-dir="$gd" --work-tree="$CORPUS" commit -q -m "$MODULE $VERSION" &&
    git --git-dir="$gd" tag -a -m "$MODULE $VERSION" "$MODULE/$VERSION"
}

# ---------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SPOKE_REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?")  # the tree now, not the build's
log "corpus: $TGZ_BASE, $CORPUS_FILES .proto files, $CORPUS_BYTES bytes ($CORPUS)"
log "scratch: $W ($(fs_type "$W"))"
start_git_httpd
log "git server: $GIT_HTTPD_DESC at $GIT_URL"

declare -a SP_PUSH=() SP_COLD=() G_STAGE=() G_PUSH=() G_PUSHALL=() G_CLONE=()
for ((r = 1; r <= ROUNDS; r++)); do
  log "round $r/$ROUNDS: spoke push + cold pull"
  start_spoke_server "$W/spoke-store.$r" "$r"
  export SPOKE_HOME=$W/spoke-home-push.$r
  timed spoke_push "$SPOKE" push -q -module "$MODULE" -version "$VERSION" -dir "$CORPUS" -registry "$SPOKE_URL"
  SP_PUSH+=("$ELAPSED_US")
  export SPOKE_HOME=$W/spoke-home-pull.$r
  timed spoke_cold_pull "$SPOKE" pull -q -module "$MODULE" -version "$VERSION" -dir "$W/spoke-cold.$r" -registry "$SPOKE_URL"
  SP_COLD+=("$ELAPSED_US")
  same_tree "$CORPUS" "$W/spoke-cold.$r"
  if ((r == ROUNDS)); then  # the small module, for the 20 ms target: push it while a server runs
    SPOKE_HOME=$W/spoke-home-push.$r "$SPOKE" push -q -module "$SMALL_MODULE" -version "$VERSION" \
      -dir "$CORPUS/google/type" -registry "$SPOKE_URL" >"$W/spoke_small_push.log" 2>&1 ||
      { cat "$W/spoke_small_push.log" >&2; die "push of $SMALL_MODULE failed"; }
  fi
  stop_spoke_server
  if ((r < ROUNDS)); then
    rm -rf "$W/spoke-store.$r" "$W/spoke-home-push.$r" "$W/spoke-home-pull.$r" "$W/spoke-cold.$r"
  fi

  log "round $r/$ROUNDS: git add+commit+push + clone over HTTP"
  git init -q --bare -b main "$GIT_ROOT/$MODULE-$r.git"
  git -C "$GIT_ROOT/$MODULE-$r.git" config http.receivepack true
  timed git_stage git_stage "$W/git-push.$r/.git"
  G_STAGE+=("$ELAPSED_US")
  timed git_push git --git-dir="$W/git-push.$r/.git" push -q "$GIT_URL/$MODULE-$r.git" main "refs/tags/$MODULE/$VERSION"
  G_PUSH+=("$ELAPSED_US")
  G_PUSHALL+=($((G_STAGE[r - 1] + G_PUSH[r - 1])))
  timed git_clone git clone -q "$GIT_URL/$MODULE-$r.git" "$W/git-clone.$r"
  G_CLONE+=("$ELAPSED_US")
  same_tree "$CORPUS" "$W/git-clone.$r"
  if ((r < ROUNDS)); then rm -rf "$W/git-push.$r" "$W/git-clone.$r" "$GIT_ROOT/$MODULE-$r.git"; fi
done

# Warm pulls: a version already in the local store, written into a new directory. The spoke
# registry is stopped, so this is offline. Git's equivalent: check the tag out of the clone's
# object store into a new, empty work tree with a new index (HEAD and the clone stay as they are).
log "warm pulls: $RUNS each, from the local store (spoke-server stopped)"
PULL_HOME=$W/spoke-home-pull.$ROUNDS
PUSH_HOME=$W/spoke-home-push.$ROUNDS
CLONE_GD=$W/git-clone.$ROUNDS/.git
spoke_warm() {  # spoke_warm SPOKE_HOME MODULE DIR
  SPOKE_HOME=$1 "$SPOKE" pull -q -module "$2" -version "$VERSION" -dir "$3" -registry "$SPOKE_URL"
}
git_warm() {  # git_warm DIR INDEX: DIR exists and is empty, INDEX does not exist
  GIT_INDEX_FILE=$2 git --git-dir="$CLONE_GD" --work-tree="$1" checkout -q "$MODULE/$VERSION" -- .
}
declare -a SP_WARM=() G_WARM=() SP_SMALL=()
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$W/spoke-warm" "$W/git-warm" "$W/git-warm.index" "$W/spoke-small"
  mkdir "$W/git-warm"
  timed spoke_warm_pull spoke_warm "$PULL_HOME" "$MODULE" "$W/spoke-warm"
  SP_WARM+=("$ELAPSED_US")
  timed git_warm_checkout git_warm "$W/git-warm" "$W/git-warm.index"
  G_WARM+=("$ELAPSED_US")
  timed spoke_small_pull spoke_warm "$PUSH_HOME" "$SMALL_MODULE" "$W/spoke-small"
  SP_SMALL+=("$ELAPSED_US")
done
# One more, not counted, for the peak RSS.
rm -rf "$W/spoke-warm.rss-run"
timed spoke_warm_pull_rss env SPOKE_HOME="$PULL_HOME" "$SPOKE" pull -q -module "$MODULE" -version "$VERSION" -dir "$W/spoke-warm.rss-run" -registry "$SPOKE_URL"
same_tree "$CORPUS" "$W/spoke-warm"
same_tree "$CORPUS" "$W/git-warm"
same_tree "$CORPUS/google/type" "$W/spoke-small"
SMALL_FILES=$(find "$CORPUS/google/type" -type f | wc -l)

# ---------------------------------------------------------------------------------------------
sec() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1e6}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1e3}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mib() { awk -v k="${1:-0}" 'BEGIN {printf "%.0f MiB", k / 1024}'; }

m_sp_push=$(median_us "${SP_PUSH[@]}");     m_g_pushall=$(median_us "${G_PUSHALL[@]}")
m_g_push=$(median_us "${G_PUSH[@]}");       m_g_stage=$(median_us "${G_STAGE[@]}")
m_sp_cold=$(median_us "${SP_COLD[@]}");     m_g_clone=$(median_us "${G_CLONE[@]}")
m_sp_warm=$(median_us "${SP_WARM[@]}");     m_g_warm=$(median_us "${G_WARM[@]}")
m_sp_small=$(median_us "${SP_SMALL[@]}")

verdict() { if awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; then echo PASS; else echo MISS; fi; }
v_push=$(verdict "$m_sp_push" "$m_g_pushall")
v_cold=$(verdict "$m_sp_cold" "$m_g_clone")
v_warm=$(verdict "$m_sp_warm" $((TARGET_MS * 1000 - 1)))
v_small=$(verdict "$m_sp_small" $((TARGET_MS * 1000 - 1)))

list_s() { local u out=""; for u in "$@"; do out+="$(sec "$u") "; done; echo "${out% }"; }
row() { printf '%-44s %10s %10s %9s\n' "$@"; }

echo
echo "Spoke vs git smart HTTP on loopback: $TGZ_BASE, $CORPUS_FILES .proto files, $(awk -v b="$CORPUS_BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}')"
echo "spoke tree $SPOKE_REV, binaries $BUILD_DIR, $(git --version), git server: $GIT_HTTPD_DESC"
echo "scratch on $(fs_type "$W"), $(nproc) cores; push and cold pull: median of $ROUNDS rounds; warm pulls: median of $RUNS"
echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)$(awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN {if (l > n / 2) print " (other work was running: figures are noisy)"}')"
echo
row "operation" "spoke" "git" "spoke/git"
row "push (git: init+add+commit+tag+push), s" "$(sec "$m_sp_push")" "$(sec "$m_g_pushall")" "$(ratio "$m_sp_push" "$m_g_pushall")"
row "  git push alone, s" "-" "$(sec "$m_g_push")" "$(ratio "$m_sp_push" "$m_g_push")"
row "  git init+add+commit+tag alone, s" "-" "$(sec "$m_g_stage")" "-"
row "cold pull (git: clone over HTTP), s" "$(sec "$m_sp_cold")" "$(sec "$m_g_clone")" "$(ratio "$m_sp_cold" "$m_g_clone")"
row "warm pull, whole corpus, median ms" "$(ms "$m_sp_warm")" "$(ms "$m_g_warm")" "$(ratio "$m_sp_warm" "$m_g_warm")"
row "  min ms" "$(ms "$(min_us "${SP_WARM[@]}")")" "$(ms "$(min_us "${G_WARM[@]}")")" "-"
row "warm pull, google/type ($SMALL_FILES files), median ms" "$(ms "$m_sp_small")" "-" "-"
echo
echo "rounds, s: spoke push [$(list_s "${SP_PUSH[@]}")]  git push total [$(list_s "${G_PUSHALL[@]}")]"
echo "           spoke cold pull [$(list_s "${SP_COLD[@]}")]  git clone [$(list_s "${G_CLONE[@]}")]"
echo "peak RSS: spoke push $(mib "${RSS_KB[spoke_push]:-}"), spoke-server $(mib "$SPOKE_SERVER_HWM_KB"), spoke cold pull $(mib "${RSS_KB[spoke_cold_pull]:-}"), spoke warm pull $(mib "${RSS_KB[spoke_warm_pull_rss]:-}");"
echo "          git push $(mib "${RSS_KB[git_push]:-}"), git clone $(mib "${RSS_KB[git_clone]:-}") (largest single process of each command's tree)"
echo
echo "targets: spoke push <= git push (add+commit+push): $v_push;  spoke cold pull <= git clone: $v_cold;"
echo "         warm pull < $TARGET_MS ms: whole corpus $v_warm ($(ms "$m_sp_warm") ms), google/type $v_small ($(ms "$m_sp_small") ms)"
echo "warm pull (git): GIT_INDEX_FILE=<new> git --git-dir=<clone>/.git --work-tree=<new empty dir> checkout $MODULE/$VERSION -- ."

if [[ ${SPOKE_BENCH_STRICT:-0} == 1 && "$v_push$v_cold$v_warm" == *MISS* ]]; then exit 3; fi
exit 0
