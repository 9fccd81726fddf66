#!/bin/bash
# crash.sh - crash safety (issue 9): bouncewatch is killed with SIGKILL at
# random moments during a scan of a few hundred messages with a hook
# configured, restarted each time, and in the end:
#   - every message was processed exactly once and moved where it belongs;
#   - every event a clean run records is recorded, none twice;
#   - the receiver saw each decision under one webhook-id (a repeat is only a
#     retry of the same id), and every outbox row was delivered;
#   - PRAGMA integrity_check says ok.
# CRASH_KILLS (default 20) sets the number of kills; CRASH_MESSAGES the size.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
BW=$BOUNCEWATCH
KILLS=${CRASH_KILLS:-20}
N=${CRASH_MESSAGES:-300}
recv_pid=""
cleanup() {
	[ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null
	dc_cleanup >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
dc_start
dc_add_user bounces crash-pass
printf 'crash-pass\n' > "$TMP/pass"; chmod 600 "$TMP/pass"

# N messages, each with its own Message-ID and its own recipients
mkdir -p "$TMP/msgs"
"$PYTHON3" - "$TMP/msgs" "$N" "$top_srcdir"/tests/samples/*.eml "$top_srcdir"/tests/samples/imap/*.eml <<'PY'
import os, sys
out, n, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
msgs = [open(f, "rb").read() for f in files]
for i in range(n):
    m = msgs[i % len(msgs)]
    for h in (b"Message-ID: <", b"Message-Id: <", b"Message-id: <"):
        m = m.replace(h, h + b"c%d." % i)
    m = m.replace(b"@example.", b"%d@example." % i).replace(b"=example.", b"%d=example." % i)
    open(os.path.join(out, "%04d.eml" % i), "wb").write(m)
PY
dc_deliver bounces INBOX "$TMP"/msgs/*.eml
check "seeded $N messages" test "$(dc_count bounces INBOX all)" -eq "$N"

"$PYTHON3" "$top_srcdir/tests/receiver.py" --log "$TMP/recv.log" --port-file "$TMP/recv.port" \
	> "$TMP/recv.out" 2>&1 &
recv_pid=$!
for _ in $(seq 100); do [ -s "$TMP/recv.port" ] && break; sleep 0.1; done

conf() { # STATE
	cat <<EOF
state = "$1";
log = { level = "warning"; };
accounts = ( { name = "crash"; url = "imap://127.0.0.1:$DC_PORT"; tls_ca_file = "$DC_CA";
  user = "bounces"; password_file = "$TMP/pass"; folders = [ "INBOX" ]; batch = 20;
  on_bounce = "move:Processed"; on_other = "seen"; } );
hooks = ( { name = "rec"; url = "http://127.0.0.1:$(cat "$TMP/recv.port")/hook";
  events = [ "suppress", "defer", "soft_bounce", "alert", "bounce" ]; timeout = 5; } );
EOF
}
conf "$TMP/state.db" > "$TMP/bw.conf"

# kill it at random moments, restart each time
killed=0
for k in $(seq "$KILLS"); do
	"$BW" -c "$TMP/bw.conf" scan --quiet > "$TMP/scan.$k.out" 2>&1 &
	pid=$!
	sleep "0.$(( RANDOM % 60 + 5 ))"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null
done
echo "# $killed of $KILLS runs were killed mid-work"
check "at least half the runs were killed mid-work ($killed)" test "$killed" -ge $((KILLS / 2))

# then let it finish, and deliver what is left
"$BW" -c "$TMP/bw.conf" scan --quiet > "$TMP/scan.final" 2>&1
check "final scan exits 0" test $? -eq 0
"$BW" -c "$TMP/bw.conf" outbox flush --timeout 30 > /dev/null 2>&1

sql() { "$PYTHON3" -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall(); print("\n".join("|".join(map(str,x)) for x in r))' "$@"; }

check "integrity_check ok" test "$(sql "$TMP/state.db" 'PRAGMA integrity_check')" = ok
check "every message processed once ($N rows)" test "$(sql "$TMP/state.db" 'SELECT count(*) FROM processed')" -eq "$N"
check "no message twice by content" test "$(sql "$TMP/state.db" 'SELECT count(DISTINCT content_key) FROM processed')" -eq "$N"
inbox=$(dc_count bounces INBOX all); processed=$(dc_count bounces Processed all)
check "nothing lost from the mailbox ($inbox + $processed = $N)" test $((inbox + processed)) -eq "$N"
others=$(sql "$TMP/state.db" "SELECT count(*) FROM processed WHERE verdict NOT IN ('bounce','complaint')")
check "bounces moved, the rest left in INBOX ($others)" test "$inbox" -eq "$others"

# the events of a clean run of the same messages
conf "$TMP/ref.db" > "$TMP/ref.conf"
"$BW" -c "$TMP/ref.conf" ingest --no-flush "$TMP"/msgs/*.eml > /dev/null 2>&1
q="SELECT recipient, kind, reason, status FROM events ORDER BY 1, 2, 3, 4"
sql "$TMP/state.db" "$q" > "$TMP/events.crash"
sql "$TMP/ref.db" "$q" > "$TMP/events.ref"
check "every expected event recorded, none twice ($(wc -l < "$TMP/events.ref") events)" \
	cmp -s "$TMP/events.crash" "$TMP/events.ref"
q="SELECT address, reason FROM suppressions ORDER BY 1, 2"
check "the same suppressions as a clean run" test "$(sql "$TMP/state.db" "$q")" = "$(sql "$TMP/ref.db" "$q")"

# hooks: one webhook-id per decision, each delivered
# decisions are kept in the decisions table; the raw "bounce" of every event is not
rows=$(sql "$TMP/state.db" "SELECT count(*) FROM outbox WHERE event <> 'bounce'")
subscribed=$(sql "$TMP/state.db" "SELECT count(*) FROM decisions WHERE type IN ('suppress','defer','soft_bounce','alert')")
check "one outbox row per decision ($rows rows, $subscribed decisions)" test "$rows" -eq "$subscribed"
rows=$(sql "$TMP/state.db" "SELECT count(*) FROM outbox WHERE event = 'bounce'")
events=$(sql "$TMP/state.db" "SELECT count(*) FROM events")
check "one bounce row per event ($rows rows, $events events)" test "$rows" -eq "$events"
check "every outbox row delivered" test "$(sql "$TMP/state.db" 'SELECT count(*) FROM outbox WHERE state <> 1')" -eq 0
"$PYTHON3" - "$TMP/recv.log" "$TMP/state.db" > "$TMP/ids.out" <<'PY'
import json, sqlite3, sys
seen = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    wid = r["headers"].get("webhook-id")
    body = json.loads(r["body"])
    key = (body.get("event"), body.get("recipient"), body.get("reason"), body.get("account"))
    seen.setdefault(wid, set()).add(json.dumps(key))
rows = {w for (w,) in sqlite3.connect(sys.argv[2]).execute("SELECT webhook_id FROM outbox")}
bad = [w for w, keys in seen.items() if len(keys) != 1]
print("received ids %d, outbox ids %d, missing %d, unknown %d, id with two bodies %d"
      % (len(seen), len(rows), len(rows - set(seen)), len(set(seen) - rows), len(bad)))
print("OK" if not bad and rows == set(seen) else "BAD")
PY
cat "$TMP/ids.out" | sed 's/^/# /'
check "receiver: each decision under one webhook-id, all received" grep -qx OK "$TMP/ids.out"
finish
