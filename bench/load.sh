#!/usr/bin/env bash
# Load on the file route: wrk against spoke-server's GET /modules/{m}/versions/{v}/files/{path}
# while pushes run in a loop, and against nginx-light serving the same file from disk, with the
# same threads, connections and duration. Prints requests/s, errors and p99 of both and the ratio
# spoke/nginx. Target (issue 17): spoke >= 0.5x nginx with zero errors. See bench/README.md.
#
#   bench/load.sh
#
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light); installs nothing itself.
#
# Environment (all optional):
#   SPOKE_BUILD_DIR      where spoke-server is                  (default: <repo>/build)
#   SPOKE_BENCH_TMP      parent of the scratch dir              (default: $TMPDIR or /tmp)
#   SPOKE_LOAD_THREADS   wrk threads                            (default: 2)
#   SPOKE_LOAD_CONNS     wrk connections                        (default: 32)
#   SPOKE_LOAD_DURATION  wrk duration                           (default: 10s)
#   SPOKE_LOAD_PUSH_BODIES  versions made for the push loop     (default: 1000)
#   SPOKE_BENCH_STRICT=1 exit 3 when the target is missed       (default: report only)
#   SPOKE_BENCH_KEEP=1   keep the scratch dir
# shellcheck disable=SC2317  # cleanup is called by the trap
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${SPOKE_BUILD_DIR:-$ROOT/build}
THREADS=${SPOKE_LOAD_THREADS:-2}
CONNS=${SPOKE_LOAD_CONNS:-32}
DURATION=${SPOKE_LOAD_DURATION:-10s}
SPOKE_SERVER=$BUILD_DIR/spoke-server
MODULE=bench/load
FILE=acme/load/v1/order.proto
ROUTE=/modules/$MODULE/versions/v1.0.0/files/$FILE

die() { echo "load: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -x $SPOKE_SERVER ]] ||
  die "no $SPOKE_SERVER: build first (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2 --target spoke-server) or set SPOKE_BUILD_DIR"
for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install wrk nginx-light curl python3)"
done

SCRATCH=$(mktemp -d "${SPOKE_BENCH_TMP:-${TMPDIR:-/tmp}}/spoke-load.XXXXXX")
# nginx's workers drop root privileges: they must be able to read the served tree.
chmod 755 "$SCRATCH"
SPOKE_PID="" NGINX_PID="" PUSHER_PID=""
cleanup() {
  for pid in $PUSHER_PID $SPOKE_PID $NGINX_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ ${SPOKE_BENCH_KEEP:-} == 1 ]] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A realistic file: a message of 40 fields with comments, about 3 KB.
proto_text() {
  local extra=$1
  echo 'syntax = "proto3";'
  echo 'package acme.load.v1;'
  echo
  echo '// An order as the load bench serves it.'
  echo 'message Order {'
  for i in $(seq 1 40); do
    echo "  // Field $i of the order, documented as real schemas are."
    echo "  string field_$i = $i;"
  done
  echo '}'
  for i in $(seq 1 "$extra"); do echo "message Extra$i {}"; done
}

# POST /modules/{m}/versions with one file.
upload_body() {
  python3 -c 'import json,sys; print(json.dumps({"version": sys.argv[1], "files": [{"path": sys.argv[2], "content": sys.stdin.read()}]}))' "$1" "$FILE"
}

# ---------------------------------------------------------------------------------------------
log "spoke-server on a store with one module"
"$SPOKE_SERVER" -port 0 -storage-dir "$SCRATCH/store" --no-fsync -q >"$SCRATCH/spoke.out" 2>"$SCRATCH/spoke.err" &
SPOKE_PID=$!
SPOKE_PORT=""
for _ in $(seq 1 100); do
  SPOKE_PORT=$(sed -n 's/^spoke-server: serving .* on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$SCRATCH/spoke.out")
  [[ -n $SPOKE_PORT ]] && break
  kill -0 "$SPOKE_PID" 2>/dev/null || die "spoke-server exited: $(cat "$SCRATCH/spoke.err")"
  sleep 0.1
done
[[ -n $SPOKE_PORT ]] || die "spoke-server did not say it serves"
SPOKE_URL=http://127.0.0.1:$SPOKE_PORT
proto_text 0 | upload_body v1.0.0 |
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- "$SPOKE_URL/modules/$MODULE/versions" ||
  die "cannot push $MODULE@v1.0.0"
curl -sf -o "$SCRATCH/from-spoke" "$SPOKE_URL$ROUTE" || die "cannot read $ROUTE back"

log "nginx serving the same file from disk"
mkdir -p "$SCRATCH/www$(dirname "$ROUTE")" "$SCRATCH/nginx"
cp "$SCRATCH/from-spoke" "$SCRATCH/www$ROUTE"
chmod -R a+rX "$SCRATCH/www"
NGINX_PORT=$(free_port)
cat >"$SCRATCH/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $SCRATCH/nginx/nginx.pid;
error_log $SCRATCH/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $SCRATCH/nginx/body;
  proxy_temp_path $SCRATCH/nginx/proxy;
  fastcgi_temp_path $SCRATCH/nginx/fastcgi;
  uwsgi_temp_path $SCRATCH/nginx/uwsgi;
  scgi_temp_path $SCRATCH/nginx/scgi;
  default_type text/plain;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $SCRATCH/www;
  }
}
EOF
nginx -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" -e "$SCRATCH/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 1 100); do
  curl -sf -o "$SCRATCH/from-nginx" "http://127.0.0.1:$NGINX_PORT$ROUTE" && break
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$SCRATCH/nginx/error.log")"
  sleep 0.1
done
cmp -s "$SCRATCH/from-spoke" "$SCRATCH/from-nginx" || die "nginx does not serve the same bytes"

# ---------------------------------------------------------------------------------------------
# wrk's report: requests/s, errors (socket errors + non-2xx/3xx answers), p99 in ms.
summarize() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
errors = 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m: errors += sum(int(x) for x in m.groups())
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if m: errors += int(m.group(1))
m = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
print(f"{rps:.0f} {errors} {p99:.2f}")
EOF
}

run_wrk() {  # url, output file
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1" >"$2"
}

# The push bodies are made before the run, so that making them (a python3 per body) does not take
# the CPU the server and wrk share: the pusher is only curl.
PUSH_BODIES=${SPOKE_LOAD_PUSH_BODIES:-1000}
log "making $PUSH_BODIES push bodies"
mkdir -p "$SCRATCH/bodies"
for i in $(seq 1 "$PUSH_BODIES"); do proto_text "$i" >"$SCRATCH/bodies/$i.proto"; done
python3 - "$SCRATCH/bodies" "$PUSH_BODIES" "$FILE" <<'EOF'
import json, sys
where, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(1, count + 1):
    with open(f"{where}/{i}.proto") as proto, open(f"{where}/{i}.json", "w") as body:
        json.dump({"version": f"v1.{i}.0", "files": [{"path": path, "content": proto.read()}]}, body)
EOF

log "wrk -t$THREADS -c$CONNS -d$DURATION against spoke-server, pushing in a loop meanwhile"
(
  for i in $(seq 1 "$PUSH_BODIES"); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
      --data-binary @"$SCRATCH/bodies/$i.json" "$SPOKE_URL/modules/$MODULE/versions" >>"$SCRATCH/pushes"
  done
  echo "ran out of push bodies: raise SPOKE_LOAD_PUSH_BODIES" >&2
) &
PUSHER_PID=$!
run_wrk "$SPOKE_URL$ROUTE" "$SCRATCH/wrk-spoke"
kill "$PUSHER_PID" 2>/dev/null || true
wait "$PUSHER_PID" 2>/dev/null || true
PUSHER_PID=""
PUSHES=$(grep -c '^201$' "$SCRATCH/pushes" || true)
PUSH_FAILURES=$(grep -vc '^201$' "$SCRATCH/pushes" || true)

log "wrk -t$THREADS -c$CONNS -d$DURATION against nginx"
run_wrk "http://127.0.0.1:$NGINX_PORT$ROUTE" "$SCRATCH/wrk-nginx"

read -r SPOKE_RPS SPOKE_ERRORS SPOKE_P99 < <(summarize "$SCRATCH/wrk-spoke")
read -r NGINX_RPS NGINX_ERRORS NGINX_P99 < <(summarize "$SCRATCH/wrk-nginx")
RATIO=$(python3 -c "print(f'{$SPOKE_RPS / $NGINX_RPS:.2f}')")

printf '%-8s %12s %8s %10s\n' "" "requests/s" "errors" "p99 (ms)"
printf '%-8s %12s %8s %10s\n' spoke "$SPOKE_RPS" "$SPOKE_ERRORS" "$SPOKE_P99"
printf '%-8s %12s %8s %10s\n' nginx "$NGINX_RPS" "$NGINX_ERRORS" "$NGINX_P99"
echo "ratio spoke/nginx: $RATIO (target >= 0.5, zero errors)"
echo "pushes accepted during spoke's run: $PUSHES (other answers: $PUSH_FAILURES)"

MISSED=$(python3 -c "print(int($SPOKE_RPS < 0.5 * $NGINX_RPS or $SPOKE_ERRORS > 0))")
if [[ $MISSED == 1 ]]; then
  echo "target missed" >&2
  [[ ${SPOKE_BENCH_STRICT:-} == 1 ]] && exit 3
fi
exit 0
