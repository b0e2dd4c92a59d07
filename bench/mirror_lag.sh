#!/usr/bin/env bash
# Mirror lag with notification: how long after `spoke push` returns a new version is visible on a
# mirror (spoke-server --mirror-of) that its primary notifies (--notify). The mirror's interval is
# an hour, so only the notice can explain a version arriving sooner. Prints the median, p90 and
# max of N pushes. Target (issue 17): under 2 s with notification. See bench/README.md.
#
#   bench/mirror_lag.sh [N]          # N pushes, default 20
#
# Needs curl and python3 (to pick a free port); installs nothing itself.
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke and spoke-server are       (default: <repo>/build)
#   SPOKE_BENCH_TMP      parent of the scratch dir              (default: $TMPDIR or /tmp)
#   SPOKE_LAG_POLL       seconds between polls of the mirror    (default: 0.005)
#   SPOKE_BENCH_STRICT=1 exit 3 when the target is missed       (default: report only)
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called by the trap
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
N=${1:-20}
POLL=${SPOKE_LAG_POLL:-0.005}
SPOKE=$BUILD_DIR/spoke
SPOKE_SERVER=$BUILD_DIR/spoke-server
MODULE=bench/lag
TARGET_MS=2000

die() { echo "mirror_lag: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer (got '$N')"
for bin in "$SPOKE" "$SPOKE_SERVER"; do
  [[ -x $bin ]] || die "no $bin: build first (cmake --build build -j2) or set SPOKE_BUILD_DIR"
done
for tool in curl python3; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install curl python3)"
done

WORK=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-mirror-lag.XXXXXX")
PIDS=()
# Stops the servers: SIGTERM, repeated (one sent between fork and exec can be lost), then SIGKILL
# after 10 s.
stop_servers() {
  local pid i
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 100; i++)); do
      kill "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  stop_servers
  if [[ ${SPOKE_BENCH_KEEP:-0} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# Starts spoke-server with the given flags, logging to $WORK/<name>.log; sets URL from its banner
# line "spoke-server: serving <dir> on http://HOST:PORT".
start_server() {
  local name=$1
  shift
  : >"$WORK/$name.out"
  "$SPOKE_SERVER" -q --no-fsync "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=("$!")
  local pid=$! i
  URL=
  for ((i = 0; i < 500; i++)); do
    URL=$(sed -n 's/^spoke-server: serving .* on \(https\?:\/\/[^ ]*\)$/\1/p' "$WORK/$name.out" || true)
    [[ -n $URL ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  cat "$WORK/$name.out" "$WORK/$name.log" >&2
  die "$name did not start"
}

# The primary's port, chosen now, so that the mirror can name the primary before it runs and the
# primary can name the mirror it notifies.
PRIMARY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PRIMARY_URL=http://127.0.0.1:$PRIMARY_PORT

start_server mirror -port 0 -storage-dir "$WORK/mirror" --mirror-of "$PRIMARY_URL" \
  --sync-interval 1h
MIRROR_URL=$URL
start_server primary -port "$PRIMARY_PORT" -storage-dir "$WORK/primary" --notify "$MIRROR_URL"
[[ $URL == "$PRIMARY_URL" ]] || die "primary serves $URL, expected $PRIMARY_URL"
log "primary $PRIMARY_URL, mirror $MIRROR_URL (--sync-interval 1h, notified)"

# A field of the mirror's GET /health/ready "mirror" object.
mirror_health() {
  curl -s "$MIRROR_URL/health/ready" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["mirror"][sys.argv[1]])' "$1"
}
# The mirror started before its primary, so its first sync failed; it retries after 250 ms,
# doubling. Wait for its first successful sync: after that only the interval (an hour) or a notice
# makes it sync, so every version measured below came through a notice.
for ((i = 0; i < 600; i++)); do
  (($(mirror_health syncs) >= 1)) && break
  sleep 0.1
done
(($(mirror_health syncs) >= 1)) || die "the mirror never synced with $PRIMARY_URL"

export SPOKE_REGISTRY=$PRIMARY_URL SPOKE_HOME=$WORK/home
unset SPOKE_TOKEN
mkdir -p "$WORK/src"

LAGS=()
for ((i = 1; i <= N; i++)); do
  version=v1.0.$i
  cat >"$WORK/src/lag.proto" <<EOF
syntax = "proto3";
package bench.lag.v1;

// Push $i of $N.
message Sample {
  string id = 1;
  int64 at = 2;
}
EOF
  "$SPOKE" push -module "$MODULE" -version "$version" -dir "$WORK/src" >"$WORK/push.out" 2>&1 ||
    { cat "$WORK/push.out" >&2; die "push $version failed"; }
  start=$(now_ms)
  deadline=$((start + 60000))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "$MIRROR_URL/modules/$MODULE/versions/$version") == 200 ]]; do
    (($(now_ms) < deadline)) || die "$version not on the mirror 60 s after its push"
    sleep "$POLL"
  done
  lag=$(($(now_ms) - start))
  LAGS+=("$lag")
  log "$version visible on the mirror after $lag ms"
done

read -r median p90 max < <(printf '%s\n' "${LAGS[@]}" | sort -n | awk '
  { v[NR] = $1 }
  END {
    n = NR
    m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    i = int(0.9 * n + 0.999999); if (i < 1) i = 1   # nearest-rank p90
    print m, v[i], v[n]
  }')

log "mirror: $(mirror_health syncs) syncs, $(mirror_health notices) notices, $(mirror_health failed_syncs) failed syncs"
echo "mirror lag, push returned -> GET on the mirror 200 (N=$N, poll ${POLL}s, --sync-interval 1h, --notify):"
echo "  median ${median} ms, p90 ${p90} ms, max ${max} ms (target: under ${TARGET_MS} ms)"
if ((max >= TARGET_MS)); then
  echo "  target missed: the slowest version took ${max} ms" >&2
  [[ ${SPOKE_BENCH_STRICT:-0} == 1 ]] && exit 3
fi
exit 0
