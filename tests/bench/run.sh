#!/bin/bash
# run.sh - every benchmark, in one run, on this machine: installs what they
# need (the competitors, nginx, wrk), builds bouncewatch optimised, then
#   1. accuracy: bouncewatch, Sisimai and flufl.bounce scored alike
#   2. classify: messages per second on one core, against Sisimai and flufl.bounce
#   3. scan: against a raw IMAP fetch of the same mailbox, at 10,000 and 100,000
#   4. hooks: deliveries per second to a loopback receiver
#   5. latency: bounce appended -> hook received, `run` in IDLE mode
# Absolute figures vary from machine to machine; the ratios are the point.
#   tests/bench/run.sh [--quick]      (--quick: smaller sizes)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
"$top/contrib/deps.sh" --bench
./autogen.sh > /dev/null
b=$top/_build/bench
mkdir -p "$b"
[ -f "$b/Makefile" ] || ( cd "$b" && "$top/configure" -q CFLAGS="-O2 -g" )
make -C "$b" -j2 -s bouncewatch > "$b/build.log" 2>&1 || { cat "$b/build.log"; exit 1; }
bw=$b/bouncewatch
if [ "${1:-}" = --quick ]; then
	msgs=10000; sizes="2000 10000"; hooks=5000; lat=10
else
	msgs=50000; sizes="10000 100000"; hooks=20000; lat=20
fi
echo "== machine: $(nproc) cores, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)"
echo "== 1. accuracy";  tests/bench/accuracy.sh "$bw"
echo "== 2. classify";  python3 tests/bench/classify.py --bouncewatch "$bw" --messages "$msgs"
echo "== 3. scan";      tests/bench/scan.sh "$bw" $sizes
echo "== 4. hooks";     tests/bench/hooks.sh "$bw" "$hooks"
echo "== 5. latency";   tests/bench/latency.sh "$bw" "$lat"
