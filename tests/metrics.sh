#!/bin/bash
# metrics.sh - `bouncewatch run` serves Prometheus metrics that move with
# real work (issue 7): a Dovecot and a hook receiver started here, the
# daemon watching the mailbox with metrics on 127.0.0.1 and a free port.
#
#   1. the exposition is well-formed text format 0.0.4 (every line parsed,
#      every sample under its # TYPE, the right Content-Type);
#   2. after the seeded mailbox is processed: messages by verdict, events by
#      kind and reason, suppressions, decisions, hook deliveries, IMAP
#      connects and the last-poll gauge have the values the samples imply;
#   3. a message delivered while the daemon idles moves the counters;
#   4. the IMAP server is killed and restarted: reconnects counted;
#   5. the receiver fails: hook failures counted;
#   6. SIGTERM closes the listener; a port already taken is a start-up error.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
BW=$BOUNCEWATCH
SAMPLES=$top_srcdir/tests/samples/imap
RECV=$top_srcdir/tests/receiver.py
PW='Metr1cs-pass-word'
USER_NAME=bounces

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed to scrape and parse"
"$BW" run --help >/dev/null 2>&1 || skip_all "bouncewatch run is not built"

DPID=
RPID=
stop_daemon() {
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		DRC=$?
		DPID=
	fi
}
stop_receiver() {
	if [ -n "$RPID" ]; then
		kill "$RPID" 2>/dev/null
		wait "$RPID" 2>/dev/null
		RPID=
	fi
}
trap 'stop_daemon; stop_receiver; dc_cleanup; rm -rf "$TMP"' EXIT

dc_start || { echo "Bail out! dovecot did not start"; exit 1; }
dc_add_user "$USER_NAME" "$PW"
printf '%s\n' "$PW" > "$TMP/pass"
chmod 600 "$TMP/pass"

rm -f "$TMP/port"
"$PYTHON3" "$RECV" --log "$TMP/recv.log" --port 0 --port-file "$TMP/port" &
RPID=$!
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
RPORT=$(cat "$TMP/port" 2>/dev/null)
[ -n "$RPORT" ] || { echo "Bail out! the receiver did not start"; exit 1; }

MPORT=$(dc_free_port) || { echo "Bail out! no free port"; exit 1; }
URL=http://127.0.0.1:$MPORT/metrics

cat > "$TMP/bw.conf" <<EOF
state = "$TMP/state.db";
log = { level = "info"; };
accounts = (
  { name = "main"; url = "imap://127.0.0.1:$DC_PORT"; user = "$USER_NAME";
    password_file = "$TMP/pass"; tls_ca_file = "$DC_CA"; folders = [ "INBOX" ];
    mode = "idle"; on_bounce = "seen"; on_other = "none"; }
);
hooks = (
  { name = "crm"; url = "http://127.0.0.1:$RPORT/suppress"; method = "POST";
    events = [ "suppress", "soft_bounce" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\"email\": {{recipient}}}";
    timeout = 2; retry_hours = 1; }
);
metrics = { listen = "127.0.0.1:$MPORT"; };
EOF

# scrape FILE: the body into FILE, the headers into FILE.h
scrape() { curl -s -S -m 5 -D "$1.h" -o "$1" "$URL"; }

# value FILE SAMPLE: the value of one sample line (name{labels}), 0 when absent
value() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }

# total FILE NAME: the sum of every sample of a family
total() {
	awk -v n="$1" 'BEGIN { t = 0 } substr($1, 1, length(n)) == n &&
		(length($1) == length(n) || substr($1, length(n) + 1, 1) == "{") { t += $2 }
		END { print t }' "$2"
}

# at_least NAME{labels} N: scrape, and is that sample >= N?
at_least() {
	scrape "$TMP/m" 2>/dev/null || return 1
	v=$(value "$TMP/m" "$1")
	awk -v v="$v" -v n="$2" 'BEGIN { exit !(v >= n) }'
}
messages_at_least() {
	scrape "$TMP/m" 2>/dev/null || return 1
	[ "$(total bouncewatch_messages_total "$TMP/m")" -ge "$1" ]
}

wait_for() {
	limit=$1; shift
	end=$(( $(date +%s%N) + limit * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

not() { ! "$@"; }
not_listening() { ! curl -s -m 2 -o /dev/null "$URL"; }

is() {   # is FILE SAMPLE EXPECTED
	v=$(value "$1" "$2")
	if [ "$v" = "$3" ]; then pass "$2 = $3"; else fail "$2 = $3 (got $v)"; fi
}

# ------------------------------------------------------------------ 1-2. the seeded mailbox
echo "# 1-2. the seeded mailbox"
dc_deliver "$USER_NAME" INBOX "$SAMPLES"/*.eml
n_samples=$(ls "$SAMPLES"/*.eml | wc -l)
T0=$(date +%s)
"$BW" -c "$TMP/bw.conf" run --foreground > "$TMP/run.out" 2> "$TMP/run.err" &
DPID=$!

check "the listener answers" wait_for 15 scrape "$TMP/m"
check "every seeded message counted" wait_for 30 messages_at_least "$n_samples"
check "every suppression delivered to the hook" \
	wait_for 20 at_least 'bouncewatch_hook_deliveries_total{hook="crm"}' 4
scrape "$TMP/m"

check "Content-Type is the text format 0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/m.h"
pycheck_format() {
	"$PYTHON3" - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), "no final newline"
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lv = r'"(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{%s=%s(?:,%s=%s)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$"
                    % (name, name, lv, name, lv))
typed, helped, seen = {}, set(), set()
for line in text.splitlines():
    if line.startswith("# HELP "):
        helped.add(line.split()[2])
    elif line.startswith("# TYPE "):
        _, _, fam, t = line.split(" ", 3)
        assert t in ("counter", "gauge"), line
        assert fam not in typed, "two TYPE lines for " + fam
        typed[fam] = t
    else:
        m = sample.match(line)
        assert m, "bad line: %r" % line
        fam = m.group(1)
        assert fam in typed, "sample before its TYPE: " + line
        assert (fam, m.group(2)) not in seen, "duplicate series: " + line
        seen.add((fam, m.group(2)))
        if typed[fam] == "counter":
            assert fam.endswith("_total"), fam
            assert float(m.group(3)) >= 0, line
assert set(typed) <= helped, "a family without HELP"
assert len(typed) >= 14, typed
PY
}
check "the exposition parses: TYPE before samples, no duplicate series" pycheck_format "$TMP/m"

is "$TMP/m" 'bouncewatch_messages_total{verdict="bounce"}' 3
is "$TMP/m" 'bouncewatch_messages_total{verdict="complaint"}' 1
is "$TMP/m" 'bouncewatch_messages_total{verdict="autoreply"}' 1
is "$TMP/m" 'bouncewatch_messages_total{verdict="not-bounce"}' 1
is "$TMP/m" 'bouncewatch_events_total{kind="hard",reason="userunknown"}' 1
is "$TMP/m" 'bouncewatch_events_total{kind="hard",reason="hostunknown"}' 1
is "$TMP/m" 'bouncewatch_events_total{kind="soft",reason="mailboxfull"}' 1
is "$TMP/m" 'bouncewatch_events_total{kind="complaint",reason="feedback"}' 1
is "$TMP/m" 'bouncewatch_suppressions_total{scope="account"}' 3
is "$TMP/m" 'bouncewatch_decisions_total{decision="suppress"}' 3
is "$TMP/m" 'bouncewatch_decisions_total{decision="soft_bounce"}' 1
is "$TMP/m" 'bouncewatch_hook_deliveries_total{hook="crm"}' 4
is "$TMP/m" 'bouncewatch_messages_failed_total' 0
is "$TMP/m" 'bouncewatch_imap_connects_total{account="main"}' 1
is "$TMP/m" 'bouncewatch_imap_reconnects_total{account="main"}' 0
is "$TMP/m" 'bouncewatch_build_info{version="'"$("$BW" --version | awk '{print $2}')"'"}' 1
last=$(value "$TMP/m" 'bouncewatch_imap_last_poll_timestamp_seconds{account="main"}')
check "last poll is a recent Unix time ($last)" [ "$last" -ge "$T0" -a "$last" -le "$(date +%s)" ]
check "the receiver got the 4 requests the counter says" \
	[ "$(grep -c '"path": "/suppress"' "$TMP/recv.log")" -eq 4 ]
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope" > "$TMP/code"
check "another path is 404" [ "$(cat "$TMP/code")" = 404 ]
curl -s -o /dev/null -w '%{http_code}' -X POST "$URL" > "$TMP/code"
check "POST is 405" [ "$(cat "$TMP/code")" = 405 ]

# ------------------------------------------------------------------ 3. a new message while idle
echo "# 3. a new message while idle"
dc_deliver_n "$USER_NAME" INBOX 1 "$SAMPLES/postfix-5.1.1.eml"
check "the new bounce is counted within 10 s" \
	wait_for 10 at_least 'bouncewatch_messages_total{verdict="bounce"}' 4
is "$TMP/m" 'bouncewatch_events_total{kind="hard",reason="userunknown"}' 2

# ------------------------------------------------------------------ 4. the server goes away
echo "# 4. the IMAP server is killed and restarted"
dc_kill
sleep 1
dc_restart || { echo "Bail out! dovecot did not restart"; exit 1; }
check "the reconnect is counted" \
	wait_for 40 at_least 'bouncewatch_imap_reconnects_total{account="main"}' 1
check "connects went up too" at_least 'bouncewatch_imap_connects_total{account="main"}' 2

# ------------------------------------------------------------------ 5. the receiver fails
echo "# 5. hook failures"
curl -s -o /dev/null -X POST --data '{"mode": "status", "status": 503, "count": 0}' \
	"http://127.0.0.1:$RPORT/_control"
# a recipient not suppressed yet, so that its suppression reaches the hook
sed 's/nobody\.here@/fresh.failure@/g' "$SAMPLES/postfix-5.1.1.eml" > "$TMP/fresh.eml"
dc_deliver_n "$USER_NAME" INBOX 1 "$TMP/fresh.eml"
check "a failed delivery is counted" \
	wait_for 20 at_least 'bouncewatch_hook_failures_total{hook="crm"}' 1
check "the queue depth is a gauge present in every scrape" \
	grep -q '^bouncewatch_hook_queue_depth [0-9]' "$TMP/m"

# ------------------------------------------------------------------ 6. stop, and a taken port
echo "# 6. stop; a port already in use"
stop_daemon
check "SIGTERM: exit 0" [ "$DRC" -eq 0 ]
check "the listener is closed after the stop" not_listening
check "no password in the daemon's output" not grep -q -- "$PW" "$TMP/run.out" "$TMP/run.err"

"$PYTHON3" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); open(sys.argv[2], "w").close(); time.sleep(30)' \
	"$MPORT" "$TMP/taken" &
HOLDER=$!
for _ in $(seq 1 50); do [ -e "$TMP/taken" ] && break; sleep 0.1; done
timeout 20 "$BW" -c "$TMP/bw.conf" run --foreground > /dev/null 2> "$TMP/taken.err"
rc=$?
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
check "a taken metrics port: exit 1" [ $rc -eq 1 ]
check "... with a message naming the address" grep -q "cannot listen on 127.0.0.1:$MPORT" "$TMP/taken.err"

finish
