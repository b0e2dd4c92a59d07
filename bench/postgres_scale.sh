#!/usr/bin/env bash
# Push and pull throughput of 1, 2 and 3 spoke-servers on one PostgreSQL (issue 19), against one
# spoke-server on a local store. P client processes in parallel, spread round-robin over the
# servers, each push K versions of its own small module with the real `spoke push` (each client
# its own SPOKE_HOME), then pull them all with `spoke pull` into fresh directories and a fresh
# SPOKE_HOME (so every pull goes to a server), from another server than the one pushed to when
# there are several. Prints pushes/s, pulls/s and the ratio to the local store, and where the CPU
# went: seconds per push and per pull in the spoke-servers and in PostgreSQL's processes.
# See bench/README.md.
#
#   bench/postgres_scale.sh
#
# Needs PostgreSQL's server programs (Debian: apt-get install postgresql; initdb and pg_ctl from
# pg_config --bindir or /usr/lib/postgresql/*/bin) and psql; installs nothing itself. As root,
# PostgreSQL runs as the `postgres` user (runuser).
#
# PostgreSQL runs with fsync ON (its default, what a deployment uses); the local store's server
# syncs too (spoke-server's default). On tmpfs (SPOKE_BENCH_TMP=/dev/shm) syncs cost nothing.
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke and spoke-server are          (default: <repo>/build)
#   SPOKE_BENCH_TMP      parent of the scratch dir                 (default: $TMPDIR or /tmp)
#   SPOKE_PG_BINDIR      PostgreSQL's bin directory                (default: pg_config --bindir)
#   SPOKE_SCALE_CLIENTS  client processes in parallel (P)          (default: 8)
#   SPOKE_SCALE_VERSIONS versions each client pushes and pulls (K) (default: 10)
#   SPOKE_SCALE_SERVERS  the PostgreSQL setups' server counts      (default: "1 2 3")
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called by the trap
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
CLIENTS=${SPOKE_SCALE_CLIENTS:-8}
VERSIONS=${SPOKE_SCALE_VERSIONS:-10}
SERVER_COUNTS=${SPOKE_SCALE_SERVERS:-1 2 3}
SPOKE=$BUILD_DIR/spoke
SPOKE_SERVER=$BUILD_DIR/spoke-server
FILES_PER_VERSION=5
LINES_PER_FILE=50

die() { echo "postgres_scale: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -x $SPOKE && -x $SPOKE_SERVER ]] ||
  die "no $SPOKE or $SPOKE_SERVER: build first (cmake --build build -j2) or set SPOKE_BUILD_DIR"
for tool in python3 psql; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install python3 postgresql-client)"
done
PG_BIN=${SPOKE_PG_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}
[[ -x $PG_BIN/initdb ]] || PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] ||
  die "no initdb/pg_ctl (SPOKE_PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin): apt-get install postgresql"

SCRATCH=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-pgscale.XXXXXX")
chmod 755 "$SCRATCH"  # PostgreSQL's user must reach its data directory inside
AS_PG=()
if [[ $(id -u) == 0 ]]; then
  getent passwd postgres >/dev/null || die "running as root and no postgres user to run PostgreSQL as"
  AS_PG=(runuser -u postgres --)
fi
PGDATA_DIR=$SCRATCH/pg/data
SERVER_PIDS=()
PG_STARTED=""
cleanup() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n $PG_STARTED ]]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [[ ${SPOKE_BENCH_KEEP:-} == 1 ]] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------------------------------------
# The modules, made before anything is timed: client c's module bench/scale/c<c>, version
# v1.<k>.0, FILES_PER_VERSION files of LINES_PER_FILE lines each, every version a little different.
log "making $CLIENTS modules x $VERSIONS versions of $FILES_PER_VERSION files"
python3 - "$SCRATCH/src" "$CLIENTS" "$VERSIONS" "$FILES_PER_VERSION" "$LINES_PER_FILE" <<'EOF'
import os, sys
root, clients, versions, files, lines = sys.argv[1], *map(int, sys.argv[2:])
for c in range(clients):
    for k in range(versions):
        d = f"{root}/c{c}/v{k}/acme/scale/c{c}/v1"
        os.makedirs(d)
        for f in range(files):
            out = ['syntax = "proto3";', f"package acme.scale.c{c}.v1;", "",
                   f"// Message {f} of client {c}, version v1.{k}.0.", f"message Thing{f} {{"]
            n = 1
            while len(out) < lines - 1:
                out.append(f"  // Field {n} of Thing{f}, documented as real schemas are.")
                out.append(f"  string field_{n} = {n};")
                n += 1
            out.append(f"  // Revision {k} of this message: versions differ, compatibly.")
            out.append("}")
            open(f"{d}/thing{f}.proto", "w").write("\n".join(out) + "\n")
EOF

# ---------------------------------------------------------------------------------------------
log "PostgreSQL ($PG_BIN) in $SCRATCH/pg, fsync on"
mkdir -p "$SCRATCH/pg"
[[ ${#AS_PG[@]} == 0 ]] || chown postgres: "$SCRATCH/pg"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA_DIR" -U spoke --auth=trust >"$SCRATCH/pg/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -5 "$SCRATCH/pg/initdb.log")"
PG_PORT=""
for _ in 1 2 3; do
  PG_PORT=$(free_port)
  if "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$SCRATCH/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$SCRATCH/pg -c fsync=on" \
    start >"$SCRATCH/pg/pg_ctl.log" 2>&1; then
    PG_STARTED=1
    break
  fi
done
[[ -n $PG_STARTED ]] || die "pg_ctl start failed: $(tail -5 "$SCRATCH/pg/server.log")"
PG_FSYNC=$(psql -XAt -h 127.0.0.1 -p "$PG_PORT" -U spoke -d postgres -c 'SHOW fsync')
PG_VERSION=$(psql -XAt -h 127.0.0.1 -p "$PG_PORT" -U spoke -d postgres -c 'SHOW server_version')
POSTMASTER_PID=$(head -1 "$PGDATA_DIR/postmaster.pid")

# CPU seconds (user + system) of the given spoke-server pids, children included.
server_cpu() {
  python3 - "$@" <<'EOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
print(total / tick)
EOF
}
# CPU seconds of the whole cluster: the postmaster, its live children, and (cutime/cstime of the
# postmaster) the children that exited, e.g. backends of closed connections.
pg_cpu() {
  python3 - "$POSTMASTER_PID" <<'EOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
pm = sys.argv[1]
def stat(pid):
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
total = sum(int(x) for x in stat(pm)[11:15])
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid == pm:
        continue
    try:
        f = stat(pid)
    except OSError:
        continue
    if f[1] == pm:
        total += int(f[11]) + int(f[12])
print(total / tick)
EOF
}
# CPU seconds the whole machine spent busy (every core: user, nice, system, irq, softirq, steal).
machine_cpu() {
  python3 -c '
import os
f = open("/proc/stat").readline().split()[1:]
print((int(f[0]) + int(f[1]) + int(f[2]) + int(f[5]) + int(f[6]) + int(f[7])) / os.sysconf("SC_CLK_TCK"))'
}
now() { date +%s.%N; }

# Starts a spoke-server with the given extra arguments, its own dir $1; sets STARTED_PORT and
# adds its pid to SERVER_PIDS.
start_server() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$SPOKE_SERVER" -port 0 -storage-dir "$dir/store" -q "$@" >"$dir/out" 2>"$dir/err" &
  local pid=$!
  SERVER_PIDS+=("$pid")
  STARTED_PORT=""
  for _ in $(seq 1 200); do
    STARTED_PORT=$(sed -n 's/^spoke-server: serving .* on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/out")
    [[ -n $STARTED_PORT ]] && break
    kill -0 "$pid" 2>/dev/null || die "spoke-server exited: $(cat "$dir/err")"
    sleep 0.05
  done
  [[ -n $STARTED_PORT ]] || die "spoke-server did not say it serves: $(cat "$dir/err")"
}

stop_servers() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
}

# One client: pushes (mode push) or pulls (mode pull) its K versions through the URL given.
client() {
  local mode=$1 c=$2 url=$3 home=$4 out=$5
  mkdir -p "$home"
  for k in $(seq 0 $((VERSIONS - 1))); do
    if [[ $mode == push ]]; then
      HOME=$home SPOKE_HOME=$home/.spoke SPOKE_REGISTRY=$url \
        "$SPOKE" push -m "bench/scale/c$c" -v "v1.$k.0" -d "$SCRATCH/src/c$c/v$k" >>"$home/log" 2>&1 ||
        { echo "push c$c v1.$k.0 failed" >>"$out"; return 1; }
    else
      HOME=$home SPOKE_HOME=$home/.spoke SPOKE_REGISTRY=$url \
        "$SPOKE" pull -m "bench/scale/c$c" -v "v1.$k.0" -d "$home/out/v$k" >>"$home/log" 2>&1 ||
        { echo "pull c$c v1.$k.0 failed" >>"$out"; return 1; }
    fi
  done
}

# Runs the P clients of one phase in parallel; sets PHASE_SECONDS, PHASE_SERVER_CPU, PHASE_PG_CPU
# and PHASE_ALL_CPU (the machine's: the rest is the clients, spoke and spoke-core, and the bench).
# $1: push or pull; $2: the setup's scratch dir; $3: pg or local; then the servers' URLs.
run_phase() {
  local mode=$1 dir=$2 kind=$3
  shift 3
  local urls=("$@") n=$# pids=() s0 p0 m0 t0 t1 fail=0
  : >"$dir/$mode.failures"
  s0=$(server_cpu "${SERVER_PIDS[@]}")
  p0=$(pg_cpu)
  m0=$(machine_cpu)
  t0=$(now)
  for c in $(seq 0 $((CLIENTS - 1))); do
    local i=$((c % n))
    [[ $mode == pull && $n -gt 1 ]] && i=$(((c + 1) % n))
    client "$mode" "$c" "${urls[$i]}" "$dir/clients/$mode-c$c" "$dir/$mode.failures" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail=1; done
  t1=$(now)
  PHASE_ALL_CPU=$(python3 -c "print($(machine_cpu) - $m0)")
  [[ $fail == 0 ]] || die "$mode failed: $(head -5 "$dir/$mode.failures"); see $dir/clients/*/log"
  PHASE_SECONDS=$(python3 -c "print($t1 - $t0)")
  PHASE_SERVER_CPU=$(python3 -c "print($(server_cpu "${SERVER_PIDS[@]}") - $s0)")
  PHASE_PG_CPU=$(python3 -c "print($(pg_cpu) - $p0)")
  if [[ $mode == pull ]]; then  # every pulled tree is the pushed one (not timed)
    for c in $(seq 0 $((CLIENTS - 1))); do
      for k in $(seq 0 $((VERSIONS - 1))); do
        diff -r "$SCRATCH/src/c$c/v$k/acme" "$dir/clients/pull-c$c/out/v$k/acme" >/dev/null ||
          die "$dir: the pull of bench/scale/c$c@v1.$k.0 differs from what was pushed"
      done
    done
  fi
}

RESULTS=$SCRATCH/results
: >"$RESULTS"
: >"$SCRATCH/db"
OPS=$((CLIENTS * VERSIONS))

run_setup() {  # name, kind (local|pg), server count
  local name=$1 kind=$2 count=$3 dir=$SCRATCH/$1 urls=()
  mkdir -p "$dir"
  if [[ $kind == pg ]]; then
    psql -XAtq -h 127.0.0.1 -p "$PG_PORT" -U spoke -d postgres -c "CREATE DATABASE $name" ||
      die "cannot create database $name"
  fi
  for s in $(seq 1 "$count"); do
    if [[ $kind == pg ]]; then
      start_server "$dir/server$s" --postgres "postgresql://spoke@127.0.0.1:$PG_PORT/$name"
    else
      start_server "$dir/server$s"
    fi
    urls+=("http://127.0.0.1:$STARTED_PORT")
  done
  log "$name: $count server(s), $CLIENTS clients x $VERSIONS versions: push"
  run_phase push "$dir" "$kind" "${urls[@]}"
  local push_s=$PHASE_SECONDS push_srv=$PHASE_SERVER_CPU push_pg=$PHASE_PG_CPU push_all=$PHASE_ALL_CPU
  log "$name: pull"
  run_phase pull "$dir" "$kind" "${urls[@]}"
  if [[ $kind == pg ]]; then  # what the database holds and how many connections the servers keep
    psql -XAt -F ' ' -h 127.0.0.1 -p "$PG_PORT" -U spoke -d "$name" -c "SELECT '$name', $count,
      (SELECT count(*) FROM packs), (SELECT sum(size + index_size) FROM packs),
      (SELECT count(*) FROM refs), pg_database_size(current_database()),
      (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) - 1" >>"$SCRATCH/db"
  fi
  echo "$name $kind $count $push_s $push_srv $push_pg $push_all $PHASE_SECONDS $PHASE_SERVER_CPU $PHASE_PG_CPU $PHASE_ALL_CPU" >>"$RESULTS"
  stop_servers
}

run_setup local local 1
for n in $SERVER_COUNTS; do run_setup "pg$n" pg "$n"; done

# ---------------------------------------------------------------------------------------------
echo "PostgreSQL $PG_VERSION, fsync=$PG_FSYNC; $CLIENTS clients x $VERSIONS versions ($OPS pushes, $OPS pulls)" \
  "of $FILES_PER_VERSION files x $LINES_PER_FILE lines; $(nproc) cores; scratch on $(df -T "$SCRATCH" | awk 'NR==2 {print $2}')"
python3 - "$RESULTS" "$OPS" "$(nproc)" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ops, cores = int(sys.argv[2]), int(sys.argv[3])
base = None
print(f"{'setup':<22} {'pushes/s':>9} {'ratio':>6} {'pulls/s':>8} {'ratio':>6}")
cpu = []
for name, kind, count, ps, psrv, ppg, pall, ls, lsrv, lpg, lall in rows:
    push_rate, pull_rate = ops / float(ps), ops / float(ls)
    if base is None:
        base = (push_rate, pull_rate)
    label = "local store, 1 server" if kind == "local" else f"PostgreSQL, {count} server{'s' if count != '1' else ''}"
    print(f"{label:<22} {push_rate:9.1f} {push_rate / base[0]:6.2f} {pull_rate:8.1f} {pull_rate / base[1]:6.2f}")
    for phase, secs, srv, pg, all_ in (("push", ps, psrv, ppg, pall), ("pull", ls, lsrv, lpg, lall)):
        secs, srv, pg, all_ = map(float, (secs, srv, pg, all_))
        if kind == "local":
            pg = 0.0  # PostgreSQL idles beside the local store's run
        cpu.append((label, phase, 1000 * srv / ops, 1000 * pg / ops, 1000 * (all_ - srv - pg) / ops,
                    1000 * all_ / ops, 100 * all_ / (secs * cores)))
print()
print(f"CPU ms per operation ({cores} cores; rest = the spoke clients and spoke-core, the bench's shell, anything else)")
print(f"{'setup':<22} {'phase':<5} {'spoke-server':>12} {'postgres':>9} {'rest':>7} {'total':>7} {'cores busy':>10}")
for label, phase, srv, pg, rest, total, busy in cpu:
    print(f"{label:<22} {phase:<5} {srv:12.1f} {pg:9.1f} {rest:7.1f} {total:7.1f} {busy:9.0f}%")
EOF
echo
echo "database after each PostgreSQL setup (the empty database's own size included)"
printf '%-8s %7s %6s %12s %5s %12s %18s\n' db servers packs "pack+idx B" refs "db size B" "conns at the end"
while read -r db count packs bytes refs size conns; do
  printf '%-8s %7s %6s %12s %5s %12s %18s\n' "$db" "$count" "$packs" "$bytes" "$refs" "$size" "$conns"
done <"$SCRATCH/db"
