#!/bin/bash
# scan.sh - `bouncewatch scan` against the floor: a plain client (curl) that
# fetches the same messages from the same loopback Dovecot with
# `UID FETCH 1:* BODY.PEEK[]` and does nothing else.  Prints both times, the
# ratio, and bouncewatch's peak RSS, at each size.
#   tests/bench/scan.sh BOUNCEWATCH [SIZES...]        (default 10000 100000)
set -u
bw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
sizes=${*:-10000 100000}
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/dovecot.sh"
export BOUNCEWATCH_ALLOW_ROOT=1
work=$(mktemp -d ${BENCH_TMP:+-p "$BENCH_TMP"})
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

raw_fetch() {
	curl -s --max-time 600 --ssl-reqd --cacert "$DC_CA" --url "imap://127.0.0.1:$DC_PORT/INBOX" --user bench:bench-pass \
		--request "UID FETCH 1:* BODY.PEEK[]" -o /dev/null
}

conf() { # ON_BOUNCE
	cat > "$work/bw.conf" <<EOF
state = "$work/state.db";
log = { level = "warning"; };
accounts = ( { name = "bench"; url = "imap://127.0.0.1:$DC_PORT"; tls_ca_file = "$DC_CA";
  user = "bench"; password_file = "$work/pass"; folders = [ "INBOX" ];
  batch = 500; on_bounce = "$1"; on_other = "none"; } );
EOF
}

bw_scan() { # ON_BOUNCE -> "seconds maxrss_kb"
	rm -f "$work"/state.db*
	conf "$1"
	/usr/bin/time -f "%e %M" -o "$work/time" ${BENCH_WRAP:-} "$bw" -c "$work/bw.conf" scan --quiet > /dev/null 2> "$work/err" ||
		{ echo "scan failed:" >&2; cat "$work/err" >&2; }
	tail -1 "$work/time"

}

now() { date +%s.%N; }

echo "scan: loopback Dovecot $(dovecot --version | cut -d' ' -f1), IMAP with STARTTLS on 127.0.0.1 (both clients), messages from tests/samples"
for n in $sizes; do
	seed "$n"
	raw_fetch                   # warm Dovecot's index and the page cache
	t0=$(now); raw_fetch; t1=$(now)
	floor=$(echo "$t1 - $t0" | bc -l)
	read -r t_none rss_none <<< "$(bw_scan none)"
	read -r t_seen rss_seen <<< "$(bw_scan seen)"
	printf 'n=%-7d raw fetch %6.2f s | bouncewatch scan %6.2f s (%.2fx), peak RSS %5.1f MB | with on_bounce=seen %6.2f s (%.2fx), peak RSS %5.1f MB\n' \
		"$n" "$floor" "$t_none" "$(echo "$t_none / $floor" | bc -l)" "$(echo "$rss_none / 1024" | bc -l)" \
		"$t_seen" "$(echo "$t_seen / $floor" | bc -l)" "$(echo "$rss_seen / 1024" | bc -l)"
done
