#!/bin/bash
# bench/multi.sh - throughput of `bouncewatch run` with one and with three
# instances sharing a PostgreSQL store (and one instance on SQLite, for
# reference): six accounts on a loopback Dovecot, N bounces delivered at once
# (after the instances have shared the leases), timed until every message is
# processed and moved.  Prints figures; not part of `make check`.
#
#   tests/bench/multi.sh [BUILDDIR] [N]        (default: ., 3000)
#
# Hooks are left out: this measures IMAP fetch + classify + the store's
# transactions.  Every run gets a fresh database and fresh messages.  The
# PostgreSQL server is durable (fsync on), as SQLite is (synchronous FULL).
BUILD=${1:-.}
N=${2:-3000}
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=$(cd "$BUILD" && pwd)
BOUNCEWATCH=$top_builddir/bouncewatch
PYTHON3=${PYTHON3:-python3}
export top_srcdir top_builddir BOUNCEWATCH PYTHON3
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
PG_EXTRA=""
. "$top_srcdir/tests/pg.sh"
BW=$BOUNCEWATCH
PW='Bench-pw-123'
LEASE=6
export BOUNCEWATCH_LEASE_SECONDS=$LEASE BOUNCEWATCH_ALLOW_ROOT=1
[ -x "$BW" ] || { echo "no bouncewatch in $top_builddir"; exit 2; }

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	dc_cleanup
	pg_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT
pg_start || exit 1
dc_start || exit 1
printf '%s\n' "$PW" > "$TMP/pass"
chmod 600 "$TMP/pass"
for i in 1 2 3 4 5 6; do dc_add_user "user$i" "$PW"; done

# The accounts poll every second rather than IDLE: imap_sync() searches once,
# so messages that arrive while it works through its batches are announced
# during those commands and not again by the IDLE that follows (reported).
conf() {   # conf FILE STATE
	{
		printf 'state = "%s";\nlog = { level = "notice"; };\naccounts = (\n' "$2"
		for i in 1 2 3 4 5 6; do
			[ "$i" -gt 1 ] && printf ',\n'
			printf '  { name = "acct%s"; url = "imap://127.0.0.1:%s"; user = "user%s";
    password_file = "%s"; tls_ca_file = "%s"; folders = [ "INBOX" ];
    mode = "poll"; poll_interval = 1; batch = 100; on_bounce = "move:Processed"; on_other = "none"; }' \
				"$i" "$DC_PORT" "$i" "$TMP/pass" "$DC_CA"
		done
		printf '\n);\n'
	} > "$1"
}

gen() {   # gen DIR TAG N
	"$PYTHON3" - "$@" <<'PY'
import os, sys
out, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for k in range(n):
    acct = k % 6 + 1
    rcpt = "r%s-%d@dest%d.example" % (tag, k // 3 if k % 4 == 0 else k, k % 7)
    d = os.path.join(out, "acct%d" % acct)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%05d.eml" % k), "w") as f:
        f.write(f"""Return-Path: <>
Date: Tue, 03 Sep 2024 10:15:01 +0200
From: MAILER-DAEMON@mx.sender.example
Subject: Undelivered Mail Returned to Sender
To: bounces@sender.example
Message-Id: <bench-{tag}-{k}@mx.sender.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: {"5.1.1" if k % 3 else "4.2.2"}
Diagnostic-Code: smtp; {"550 5.1.1 User unknown" if k % 3 else "452 4.2.2 Mailbox full"}

--B--
""")
PY
}

inbox_total() {
	local t=0 i
	for i in 1 2 3 4 5 6; do t=$((t + $(dc_count "user$i" INBOX))); done
	echo "$t"
}

# bench LABEL STATE INSTANCES: prints "LABEL: N messages in S s: R msg/s"
bench() {
	local label=$1 state=$2 k=$3 tag
	tag=$(echo "$label" | tr -c 'a-z0-9' _)
	conf "$TMP/$tag.conf" "$state"
	gen "$TMP/$tag" "$tag" "$N"
	for j in $(seq "$k"); do
		"$BW" -c "$TMP/$tag.conf" run --foreground > "$TMP/$tag-$j.log" 2>&1 &
		PIDS+=($!)
	done
	# wait until the leases are shared (three rounds at most)
	local want=$((6 / k)) end=$(( $(date +%s) + 5 * LEASE ))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$BW" -c "$TMP/$tag.conf" status --json > "$TMP/st.json" 2>/dev/null &&
		"$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1])); l=[i for i in s["instances"] if i["live"]]; sys.exit(0 if len(l)==int(sys.argv[2]) and all(i["leases"]==int(sys.argv[3]) for i in l) else 1)' \
			"$TMP/st.json" "$k" "$want" && break
		sleep 0.5
	done
	local t0 t1
	t0=$(date +%s%N)
	for i in 1 2 3 4 5 6; do dc_deliver "user$i" INBOX "$TMP/$tag/acct$i"/*.eml; done
	while [ "$(inbox_total)" -gt 0 ]; do sleep 0.2; done
	t1=$(date +%s%N)
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	local ms=$(( (t1 - t0) / 1000000 ))
	printf '%-34s %6d messages in %7.1f s: %7.1f msg/s\n' "$label" "$N" \
		"$(echo "$ms / 1000" | bc -l)" "$(echo "$N * 1000 / $ms" | bc -l)"
}

echo "bouncewatch run: $N bounces in 6 accounts, $(nproc) CPU(s), load $(cut -d' ' -f1 /proc/loadavg), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (durable)"
bench "SQLite, 1 instance" "$TMP/bench.db" 1
bench "PostgreSQL, 1 instance" "$(pg_newdb bench1)" 1
bench "PostgreSQL, 3 instances" "$(pg_newdb bench3)" 3
