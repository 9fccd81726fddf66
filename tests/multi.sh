#!/bin/bash
# multi.sh - three `bouncewatch run` instances sharing one PostgreSQL store
# (issue 10), against a loopback Dovecot (tests/dovecot.sh), a throw-away
# PostgreSQL (tests/pg.sh) and the hook receiver (tests/receiver.py).
#
#   0. the expected decisions: the same bounces ingested by one instance
#      into SQLite.
#   1. three instances share six accounts two by two (leases, fair share);
#      MULTI_PHASE messages are delivered: every message processed once,
#      the suppression decisions the same as one instance makes (addresses
#      hard-bouncing in three accounts handled by three instances at once:
#      one global suppression each), every decision delivered once.
#   2. as many again, and one instance is killed with SIGKILL mid-way: its
#      accounts are taken over within the lease time; still every message
#      processed once, the same decisions, no decision lost; a delivery the
#      dead instance had in flight may come again under the same webhook-id.
#   3. SIGTERM: the survivors exit 0 and release their leases.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
. "$top_srcdir/tests/pg.sh"
BW=$BOUNCEWATCH
RECV=$top_srcdir/tests/receiver.py
PW='Multi-inst4nce-pw'
LEASE=${MULTI_LEASE:-6}
PHASE=${MULTI_PHASE:-1200}     # messages per phase (a multiple of 12)
export BOUNCEWATCH_LEASE_SECONDS=$LEASE BOUNCEWATCH_ALLOW_ROOT=1

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed (generator, receiver)"
"$BW" status --help >/dev/null 2>&1 || skip_all "bouncewatch status is not built"

PIDS=()
RPID=
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	dc_cleanup
	pg_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
dc_start || { echo "Bail out! dovecot did not start"; exit 1; }
printf '%s\n' "$PW" > "$TMP/pass"
chmod 600 "$TMP/pass"
for i in 1 2 3 4 5 6; do dc_add_user "user$i" "$PW"; done

"$PYTHON3" "$RECV" --log "$TMP/recv.jsonl" --port 0 --port-file "$TMP/port" &
RPID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port" 2>/dev/null)
[ -n "$PORT" ] || { echo "Bail out! the receiver did not start"; exit 1; }

# The accounts poll every second rather than IDLE: imap_sync() searches once,
# so messages that arrive while it works through its batches are announced
# during those commands and not again by the IDLE that follows (reported).
# conf FILE STATE: six accounts, one hook for suppressions
conf() {
	{
		printf 'state = "%s";\nlog = { level = "info"; };\naccounts = (\n' "$2"
		for i in 1 2 3 4 5 6; do
			[ "$i" -gt 1 ] && printf ',\n'
			printf '  { name = "acct%s"; url = "imap://127.0.0.1:%s"; user = "user%s";
    password_file = "%s"; tls_ca_file = "%s"; folders = [ "INBOX" ];
    mode = "poll"; poll_interval = 1; batch = 50; on_bounce = "move:Processed"; on_other = "none"; }' \
				"$i" "$DC_PORT" "$i" "$TMP/pass" "$DC_CA"
		done
		printf '\n);\nhooks = (\n  { name = "crm"; url = "http://127.0.0.1:%s/suppress";
    method = "POST"; events = [ "suppress" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\\"recipient\\": {{recipient}}, \\"scope\\": {{scope}}, \\"account\\": {{account}}, \\"event\\": {{event}}}";
    timeout = 5; batch = 1; }\n);\n' "$PORT"
	} > "$1"
}
conf "$TMP/pg.conf" "$PG_URL"
conf "$TMP/one.conf" "$TMP/one.db"

# gen DIR PHASE N: N bounces in DIR/acct1..6.  A twelfth of the addresses
# hard-bounce in three accounts each (global suppression), the rest once.
gen() {
	"$PYTHON3" - "$1" "$2" "$3" <<'PY'
import os, sys
out, phase, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
seq = 0
def write(acct, rcpt):
    global seq
    seq += 1
    d = os.path.join(out, "acct%d" % acct)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%s-%05d.eml" % (phase, seq)), "w") as f:
        f.write(f"""Return-Path: <>
Date: Tue, 03 Sep 2024 10:15:01 +0200
From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@sender.example
Message-Id: <multi-{phase}-{seq}@mx.sender.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered to <{rcpt}>.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example
Arrival-Date: Tue, 03 Sep 2024 10:14:59 +0200

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown

--B--
""")
multi = n // 12                      # addresses in three accounts: n / 4 messages
for k in range(multi):
    for j in range(3):
        write((k + j) % 6 + 1, "g%s-%d@multi%d.example" % (phase, k, k % 5))
for k in range(n - 3 * multi):
    write(k % 6 + 1, "s%s-%d@single%d.example" % (phase, k, k % 5))
PY
}

# Interleave the three bounces of a "multi" address across the accounts'
# delivery order so instances meet on it at once: deliver by file name.
deliver() {   # deliver DIR [GLOB]
	for i in 1 2 3 4 5 6; do dc_deliver "user$i" INBOX "$1/acct$i"/${2:-*}.eml; done
}

# status_json: the status as JSON (PostgreSQL)
status_json() { "$BW" -c "$TMP/pg.conf" status --json 2>/dev/null; }

# pyq PROGRAM ARGS: evaluate a Python predicate over the status JSON (stdin: status)
st_check() {
	status_json > "$TMP/st.json" || return 1
	"$PYTHON3" - "$TMP/st.json" "$@" <<'PY'
import json, sys, time
st = json.load(open(sys.argv[1]))
what = sys.argv[2]
live = [i for i in st["instances"] if i["live"]]
held = [l for l in st["leases"] if l["held"]]
if what == "spread":          # N live instances with a fair share each
    n = int(sys.argv[3])
    ok = len(live) == n and len(held) == 6 and all(i["leases"] == 6 // n for i in live)
elif what == "all-held-by":   # every lease held by live instances other than pid
    pid = int(sys.argv[3])
    ids = {i["id"] for i in live if i["pid"] != pid}
    ok = len(held) == 6 and all(l["holder"] in ids for l in held)
elif what == "drained":
    ok = st["outbox"]["pending"] == 0
elif what == "released":      # no lease held, nobody live (the dead one stays listed)
    ok = not held and not live
else:
    ok = False
sys.exit(0 if ok else 1)
PY
}

wait_for() {   # wait_for SECONDS COMMAND...
	local end=$(( $(date +%s) + $1 )); shift
	while [ "$(date +%s)" -lt "$end" ]; do "$@" && return 0; sleep 0.3; done
	"$@"
}

processed_total() { pg_psql bwtest "SELECT count(*) FROM processed"; }
inbox_total() {
	local t=0 i
	for i in 1 2 3 4 5 6; do t=$((t + $(dc_count "user$i" INBOX))); done
	echo "$t"
}
moved_total() {
	local t=0 i
	for i in 1 2 3 4 5 6; do t=$((t + $(dc_count "user$i" Processed))); done
	echo "$t"
}
done_with() {   # done_with N: N processed, inboxes empty, outbox drained
	[ "$(processed_total)" -ge "$1" ] && [ "$(inbox_total)" -eq 0 ] && st_check drained
}

# compare EXPECTED.tsv FAILED [KILLED_AT]: the receiver's deliveries against
# the expected decisions; prints a summary, fails on a difference.  A
# redelivery (same webhook-id again) is allowed only where an instance could
# not know the first one arrived: after one of the FAILED attempts the
# dispatchers logged, or for a delivery the receiver got by 2 s after
# KILLED_AT (epoch seconds; the killed instance had it in flight, at most
# MAX_INFLIGHT = 128 transfers; a request already in the socket may be read
# a little after the kill).  Any other redelivery is a defect.
compare() {
	"$PYTHON3" - "$1" "$TMP/recv.jsonl" "$2" "${3:-0}" <<'PY'
import collections, json, sys
# a global suppression names the account whose bounce completed the count:
# that depends on the order the accounts' bounces come in, not on who decides
def norm(k):
    return k[:3] + ("*",) if k[2] == "global" else k
exp = collections.Counter(norm(tuple(l.rstrip("\n").split("\t"))) for l in open(sys.argv[1]) if l.strip())
failed, killed_at = int(sys.argv[3]), float(sys.argv[4])
ids, first, got, dup, dup_dead = {}, {}, collections.Counter(), 0, 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    wid = r["headers"].get("webhook-id")
    b = json.loads(r["body"])
    key = norm((b["event"], b["recipient"], b["scope"], b["account"]))
    if wid in ids:
        if ids[wid] != key:
            print("# webhook-id %s carried two different decisions" % wid); sys.exit(1)
        if killed_at and first[wid] <= killed_at + 2:
            dup_dead += 1
        else:
            dup += 1
        continue
    ids[wid], first[wid] = key, r["time"]
    got[key] += 1
print("# expected %d decisions, delivered %d distinct webhook-ids; redelivered: "
      "%d first received by the kill (limit 128), %d others (limit: %d failed attempts logged)"
      % (sum(exp.values()), len(ids), dup_dead, dup, failed))
missing, extra = exp - got, got - exp
for k in list(missing)[:5]: print("# missing", k)
for k in list(extra)[:5]: print("# extra", k)
sys.exit(0 if not missing and not extra and dup_dead <= 128 and dup <= failed else 1)
PY
}

# ------------------------------------------------------------------ 0. one instance
echo "# 0. the decisions one instance makes (ingest into SQLite)"
gen "$TMP/p1" p1 "$PHASE"
gen "$TMP/p2" p2 "$PHASE"
for p in p1 p2; do
	for i in 1 2 3 4 5 6; do
		"$BW" -c "$TMP/one.conf" ingest --no-flush --account "acct$i" "$TMP/$p/acct$i" \
			> /dev/null 2>> "$TMP/one.err" || fail "ingest $p acct$i"
	done
	"$PYTHON3" - "$TMP/one.db" > "$TMP/expect-$p.tsv" <<'PY'
import json, sqlite3, sys
for (payload,) in sqlite3.connect(sys.argv[1]).execute("SELECT payload FROM outbox"):
    b = json.loads(payload)
    print("\t".join([b["event"], b["recipient"], b["scope"], b["account"]]))
PY
	rm -f "$TMP/one.db" "$TMP/one.db-wal" "$TMP/one.db-shm"
done
cat "$TMP/expect-p1.tsv" "$TMP/expect-p2.tsv" > "$TMP/expect-all.tsv"
n_exp1=$(wc -l < "$TMP/expect-p1.tsv")
n_glob=$(grep -c 'global' "$TMP/expect-p1.tsv")
check "one instance: $n_exp1 suppressions for $PHASE bounces, $n_glob global" \
	[ "$n_exp1" -gt 0 ] && [ "$n_glob" -eq $((PHASE / 12)) ]

# ------------------------------------------------------------------ 1. three instances
echo "# 1. three instances, six accounts, $PHASE bounces"
for k in 1 2 3; do
	"$BW" -c "$TMP/pg.conf" run --foreground > "$TMP/run$k.log" 2>&1 &
	PIDS+=($!)
	sleep 0.3
done
t0=$(date +%s)
check "the three instances share the six accounts two by two" wait_for $((4 * LEASE)) st_check spread 3
echo "# shared after $(( $(date +%s) - t0 )) s"
"$BW" -c "$TMP/pg.conf" status | sed 's/^/# /'
t0=$(date +%s%N)
deliver "$TMP/p1"
check "every message of phase 1 processed and delivered" wait_for 180 done_with "$PHASE"
t1=$(date +%s%N)
echo "# phase 1: $PHASE messages in $(( (t1 - t0) / 1000000 )) ms"
check "processed once: $PHASE markers, $PHASE events" \
	[ "$(processed_total)" -eq "$PHASE" ] && [ "$(pg_psql bwtest 'SELECT count(*) FROM events')" -eq "$PHASE" ]
check "every message moved to Processed" [ "$(moved_total)" -eq "$PHASE" ]
# a redelivery (same webhook-id) is allowed only after an attempt the
# dispatcher logged as failed (a receiver slower than the 5 s timeout on a
# loaded machine): at-least-once, the receiver deduplicates by webhook-id
failed1=$(cat "$TMP"/run[123].log | grep -c 'failed (attempt')
check "the same suppressions as one instance, each delivered once ($failed1 failed attempts)" \
	compare "$TMP/expect-p1.tsv" "$failed1"
check "no decision recorded twice" [ "$(pg_psql bwtest "SELECT count(*) FROM (SELECT type, address, scope, account FROM decisions GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d")" -eq 0 ]
check "one global suppression per address bouncing in three accounts" \
	[ "$(pg_psql bwtest "SELECT count(*) FROM suppressions WHERE scope = 'global'")" -eq "$n_glob" ]
for k in 1 2 3; do
	n=$(grep -c 'lease taken' "$TMP/run$k.log")
	echo "# instance $k took $n lease(s); messages: $(grep -c 'UID [0-9]*: bounce' "$TMP/run$k.log")"
done

# ------------------------------------------------------------------ 2. SIGKILL
echo "# 2. $PHASE more, one instance killed with SIGKILL"
victim=${PIDS[0]}
# half the messages; the kill falls while they are being processed; then
# the other half, which only a take-over can process in the victim's accounts
deliver "$TMP/p2" '*[0-4]' &
dpid=$!
wait_for 20 sh -c "[ \$(grep -c 'UID [0-9]*: bounce' '$TMP/run1.log') -gt $(grep -c 'UID [0-9]*: bounce' "$TMP/run1.log") ]"
kill -KILL "$victim"
wait "$victim" 2>/dev/null
tk=$(date +%s%N)
killed_at=$(( tk / 1000000000 )).$(printf %09d $(( tk % 1000000000 )))
echo "# killed $victim with $(inbox_total) messages in the inboxes, $(processed_total) processed"
wait "$dpid"
deliver "$TMP/p2" '*[5-9]'
check "its accounts are taken over within the lease time (+ one round)" \
	wait_for $((LEASE + LEASE / 3 + 3)) st_check all-held-by "$victim"
echo "# taken over $(( ($(date +%s%N) - tk) / 1000000 )) ms after the kill (lease $LEASE s)"
check "every message of both phases processed and delivered" wait_for 240 done_with $((2 * PHASE))
check "processed once: $((2 * PHASE)) markers and events" \
	[ "$(processed_total)" -eq $((2 * PHASE)) ] && [ "$(pg_psql bwtest 'SELECT count(*) FROM events')" -eq $((2 * PHASE)) ]
check "every message moved to Processed" [ "$(moved_total)" -eq $((2 * PHASE)) ]
check "no decision recorded twice" [ "$(pg_psql bwtest "SELECT count(*) FROM (SELECT type, address, scope, account FROM decisions GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d")" -eq 0 ]
# a delivery in flight in the dead instance may be repeated (same webhook-id)
failed_all=$(cat "$TMP"/run[123].log | grep -c 'failed (attempt')
check "the same suppressions as one instance, none lost, none under a second id" \
	compare "$TMP/expect-all.tsv" "$failed_all" "$killed_at"

# ------------------------------------------------------------------ 3. SIGTERM
echo "# 3. SIGTERM"
ok=1
for p in "${PIDS[@]:1}"; do kill -TERM "$p"; done
for p in "${PIDS[@]:1}"; do wait "$p" || ok=0; done
PIDS=()
check "the survivors exit 0" [ "$ok" = 1 ]
echo "# duplicates met by the survivors per folder (a message the dead instance committed but had not moved): $(grep -h -o '[0-9]* duplicates' "$TMP/run2.log" "$TMP/run3.log" | tr '\n' ' ')"

check "and release their leases" st_check released
"$BW" -c "$TMP/pg.conf" status | sed 's/^/# /'
check "no error and no lease lost in the survivors' logs" \
	sh -c "! grep -h -e 'bouncewatch: error' -e 'lease lost' '$TMP/run2.log' '$TMP/run3.log'"
finish
