#!/bin/bash
# scan.sh - `bouncewatch scan` against the floor: a plain client (openssl
# s_client, STARTTLS) that logs in to the same loopback Dovecot, SELECTs the
# folder and fetches the same messages with `UID FETCH 1:* BODY.PEEK[]`,
# doing nothing else (the output is counted afterwards, outside the timing).
# Prints both times, the ratio, and bouncewatch's peak RSS, at each size: the
# best of BENCH_RUNS runs, then the medians of the same runs.
# (curl is no floor: it takes the FETCH response for headers and gives up
# after 300 KB, i.e. after ~150 messages.)
#   tests/bench/scan.sh BOUNCEWATCH [SIZES...]        (default 10000 100000)
set -u
bw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
sizes=${*:-10000 100000}
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/dovecot.sh"
export BOUNCEWATCH_ALLOW_ROOT=1
work=$(mktemp -d ${BENCH_TMP:+-p "$BENCH_TMP"})
# (set -u: dovecot.sh reads KEEP_DOVECOT, unset it would end the trap early)
KEEP_DOVECOT=${KEEP_DOVECOT:-}
trap 'dc_cleanup >/dev/null 2>&1; rm -rf "$work"' EXIT
dc_start
dc_add_user bench bench-pass
printf 'bench-pass\n' > "$work/pass"; chmod 600 "$work/pass"

# seed N: N messages, the samples in turn, each with its own Message-ID
seed() {
	local d
	dc_mkfolder bench INBOX
	d=$(dc_folder_dir bench INBOX)
	rm -rf "$d"; dc_mkfolder bench INBOX; d=$(dc_folder_dir bench INBOX)
	python3 - "$d" "$1" "$top"/tests/samples/*.eml <<'PY'
import os, sys
d, n, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
msgs = [open(f, "rb").read() for f in files]
for i in range(n):
    m = msgs[i % len(msgs)].replace(b"Message-ID: <", b"Message-ID: <b%d." % i, 1)
    m = m.replace(b"Message-Id: <", b"Message-Id: <b%d." % i, 1)
    with open(os.path.join(d, "new", "%d.M%dP1.bench,S=%d" % (1700000000 + i, i, len(m))), "wb") as fh:
        fh.write(m)
PY
	chown -R "$DC_OWNER_UID:$DC_OWNER_GID" "$d"
}

# raw_fetch N: the floor; the whole session (connect, STARTTLS, LOGIN,
# SELECT, FETCH, LOGOUT), commands pipelined; fails unless N messages came
raw_fetch() {
	printf 'a LOGIN bench bench-pass\r\nb SELECT INBOX\r\nc UID FETCH 1:* BODY.PEEK[]\r\nd LOGOUT\r\n' |
		timeout 600 openssl s_client -quiet -starttls imap -connect "127.0.0.1:$DC_PORT" \
			-CAfile "$DC_CA" -verify_return_error -ign_eof > "$work/raw" 2> "$work/raw.err"
	local got
	got=$(grep -ac '^\* [0-9]* FETCH (' "$work/raw")
	if [ "$got" != "$1" ] || ! grep -aq '^c OK' "$work/raw"; then
		echo "raw fetch: $got of $1 messages" >&2
		tail -3 "$work/raw.err" >&2
		exit 1
	fi
	rm -f "$work/raw"
}

# batch = 2000: post-actions every 2,000 messages (a fetch still brings at
# most 256: 64 MB / fetch_max_bytes)
conf() { # ON_BOUNCE
	cat > "$work/bw.conf" <<EOF
state = "$work/state.db";
log = { level = "warning"; };
accounts = ( { name = "bench"; url = "imap://127.0.0.1:$DC_PORT"; tls_ca_file = "$DC_CA";
  user = "bench"; password_file = "$work/pass"; folders = [ "INBOX" ];
  batch = 2000; on_bounce = "$1"; on_other = "none"; } );
EOF
}

bw_scan() { # ON_BOUNCE N -> "seconds maxrss_kb"; fails unless N were processed
	rm -f "$work"/state.db*
	# every run starts from unread mail (a flag already set costs the server nothing)
	dc_doveadm flags remove -u bench '\Seen' mailbox INBOX ALL >/dev/null 2>&1
	conf "$1"
	/usr/bin/time -f "%e %M" -o "$work/time" ${BENCH_WRAP:-} "$bw" -c "$work/bw.conf" scan --quiet --json > "$work/out" 2> "$work/err" ||
		{ echo "scan failed:" >&2; cat "$work/err" >&2; exit 1; }
	if ! grep -q "\"processed\":$2," "$work/out"; then
		echo "scan did not process $2 messages:" >&2; cat "$work/out" "$work/err" >&2; exit 1
	fi
	tail -1 "$work/time"
}

now() { date +%s.%N; }
# min A B: the smaller number
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
# median X...: the middle one (the mean of the two middle ones)
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2}'; }

runs=${BENCH_RUNS:-1}        # each figure is the best of this many runs
echo "scan: loopback Dovecot $(dovecot --version | cut -d' ' -f1), IMAP with STARTTLS on 127.0.0.1 (both clients: openssl s_client and bouncewatch), messages from tests/samples, best of $runs"
for n in $sizes; do
	seed "$n"
	raw_fetch "$n"              # warm Dovecot's index and the page cache
	floor=999999 t_none=999999 t_seen=999999 rss_none=0 rss_seen=0
	all_raw=() all_none=() all_seen=()
	for _ in $(seq "$runs"); do
		t0=$(now); raw_fetch "$n"; t1=$(now)
		all_raw+=("$(echo "$t1 - $t0" | bc -l)")
		floor=$(min "$floor" "${all_raw[-1]}")
		read -r t rss <<< "$(bw_scan none "$n")" || exit 1
		all_none+=("$t")
		t_none=$(min "$t_none" "$t"); [ "$rss" -gt "$rss_none" ] && rss_none=$rss
		read -r t rss <<< "$(bw_scan seen "$n")" || exit 1
		all_seen+=("$t")
		t_seen=$(min "$t_seen" "$t"); [ "$rss" -gt "$rss_seen" ] && rss_seen=$rss
	done
	printf 'n=%-7d raw fetch %6.2f s | bouncewatch scan %6.2f s (%.2fx), peak RSS %5.1f MB | with on_bounce=seen %6.2f s (%.2fx), peak RSS %5.1f MB\n' \
		"$n" "$floor" "$t_none" "$(echo "$t_none / $floor" | bc -l)" "$(echo "$rss_none / 1024" | bc -l)" \
		"$t_seen" "$(echo "$t_seen / $floor" | bc -l)" "$(echo "$rss_seen / 1024" | bc -l)"
	# the same runs' medians: how much the machine moved
	m_raw=$(median "${all_raw[@]}") m_none=$(median "${all_none[@]}") m_seen=$(median "${all_seen[@]}")
	printf '          median: raw fetch %6.2f s | bouncewatch scan %6.2f s (%.2fx) | with on_bounce=seen %6.2f s (%.2fx)\n' \
		"$m_raw" "$m_none" "$(echo "$m_none / $m_raw" | bc -l)" "$m_seen" "$(echo "$m_seen / $m_raw" | bc -l)"
done
