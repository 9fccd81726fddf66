#!/bin/bash
# hooks.sh - hook delivery speed: N outbox rows delivered by `bouncewatch
# outbox flush` to a loopback nginx that answers 200, against what the same
# receiver takes from a plain load generator (wrk, 16 connections) with the
# same request.  Prints deliveries per second, the ratio, and the CPU time
# bouncewatch used (user + system, per delivery; from /usr/bin/time): when it
# is close to the wall time, bouncewatch is the bottleneck, not the receiver.
#   tests/bench/hooks.sh BOUNCEWATCH [N]            (default 20000)
# BENCH_TMP=/dev/shm keeps the state on tmpfs (no fsync cost);
# BENCH_WRAP="perf record -g -o FILE" wraps the flush.
set -u
bw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
n=${2:-20000}
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v nginx > /dev/null || { echo "hooks.sh: needs nginx (apt-get install nginx-light)"; exit 77; }
command -v wrk > /dev/null || { echo "hooks.sh: needs wrk (apt-get install wrk)"; exit 77; }
export BOUNCEWATCH_ALLOW_ROOT=1
work=$(mktemp -d ${BENCH_TMP:+-p "$BENCH_TMP"})
chmod 755 "$work"
trap '[ -s "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
port=$(( 10000 + RANDOM % 22000 ))   # below the ephemeral port range
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / { client_body_buffer_size 64k; return 200 "ok\n"; }
  }
}
EOF
nginx -c "$work/nginx.conf" -p "$work" || exit 1
sleep 0.3

# n bounces, each for its own recipient -> n "bounce" outbox rows
python3 - "$work/box.mbox" "$n" "$top/tests/samples/postfix-userunknown.eml" <<'PY'
import sys
out, n, sample = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
with open(out, "wb") as fh:
    for i in range(n):
        m = sample.replace(b"anna@example.org", b"anna%d@example.org" % i)
        m = m.replace(b"anna=example.org", b"anna%d=example.org" % i)
        m = m.replace(b"Message-Id: <", b"Message-Id: <h%d." % i)
        fh.write(b"From MAILER-DAEMON Tue Sep  3 10:15:01 2024\n" + m + b"\n")
PY
cat > "$work/bw.conf" <<EOF
state = "$work/state.db";
log = { level = "warning"; };
hooks = ( { name = "bench"; url = "http://127.0.0.1:$port/hook"; events = [ "bounce" ];
  headers = [ "Content-Type: application/json" ]; timeout = 10; } );
EOF
"$bw" -c "$work/bw.conf" ingest --no-flush "$work/box.mbox" > /dev/null 2>&1
rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM outbox").fetchone()[0])' "$work/state.db")
body=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT payload FROM outbox LIMIT 1").fetchone()[0])' "$work/state.db")

# the receiver's capacity for the same request
cat > "$work/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
EOF
wrk -t1 -c16 -d5s -s "$work/post.lua" "http://127.0.0.1:$port/hook" > "$work/wrk.out" 2>&1
cap=$(sed -n 's/^Requests\/sec: *//p' "$work/wrk.out")

timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -o $work/time.out -f %U:%S"
t0=$(date +%s.%N)
$timer ${BENCH_WRAP:-} "$bw" -c "$work/bw.conf" outbox flush --timeout 600 > "$work/flush.out" 2>&1
t1=$(date +%s.%N)
done_rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM outbox WHERE state = 1").fetchone()[0])' "$work/state.db")
secs=$(echo "$t1 - $t0" | bc -l)
rate=$(echo "$done_rows / $secs" | bc -l)
printf 'hooks: %d events (%d delivered) in %.2f s = %.0f deliveries/s; the receiver takes %.0f req/s from wrk (16 connections): %.2fx of its capacity\n' \
	"$rows" "$done_rows" "$secs" "$rate" "$cap" "$(echo "$rate / $cap" | bc -l)"
if [ -s "$work/time.out" ]; then
	IFS=: read -r usr sys < "$work/time.out"
	printf 'hooks: bouncewatch CPU %.2f s user + %.2f s system = %.0f us per delivery (%.0f%% of the wall time)\n' \
		"$usr" "$sys" "$(echo "($usr + $sys) * 1000000 / $done_rows" | bc -l)" \
		"$(echo "($usr + $sys) * 100 / $secs" | bc -l)"
fi
