#!/bin/sh
# hooks.sh - HTTP hooks end to end (SPEC §6): `bouncewatch ingest` turns real
# bounce messages into outbox rows, the dispatcher delivers them to
# tests/receiver.py on 127.0.0.1, which records every request and checks
# Standard Webhooks signatures.  Scenarios: right bodies/headers/signatures;
# receiver down then up; killed mid-delivery; 4xx -> dead -> retry; 410 ->
# hook disabled + alert; 503 + Retry-After; every preset in contrib/hooks.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
BW=$BOUNCEWATCH
RECV=$top_srcdir/tests/receiver.py
PRESETS=$top_srcdir/contrib/hooks
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed for the receiver"
"$BW" ingest --help >/dev/null 2>&1 || skip_all "bouncewatch ingest is not available"

RPID=
stop_receiver() {
	if [ -n "$RPID" ]; then
		kill "$RPID" 2>/dev/null
		wait "$RPID" 2>/dev/null
		RPID=
	fi
}
trap 'stop_receiver; rm -rf "$TMP"' EXIT

# start_receiver LOG [PORT] [ARGS...]: start it, wait for its port in $PORT
start_receiver() {
	log=$1; shift
	p=${1:-0}
	[ $# -gt 0 ] && shift
	rm -f "$TMP/port"
	"$PYTHON3" "$RECV" --log "$log" --port "$p" --port-file "$TMP/port" --secret "$SECRET" "$@" &
	RPID=$!
	i=0
	while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PORT=$(cat "$TMP/port" 2>/dev/null)
	[ -n "$PORT" ] || { echo "receiver did not start"; exit 1; }
}

control() {   # control JSON: change the receiver's behaviour
	curl -s -o /dev/null -X POST --data "$1" "http://127.0.0.1:$PORT/_control" 2>/dev/null ||
	"$PYTHON3" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], data=sys.argv[2].encode())).read()' \
		"http://127.0.0.1:$PORT/_control" "$1"
}

# bounce FILE RECIPIENT [DIAGNOSTIC]: write an RFC 3464 hard bounce for RECIPIENT
n_msg=0
bounce() {
	n_msg=$((n_msg + 1))
	diag=${3:-550 5.1.1 <$2>: Recipient address rejected: User unknown}
	cat > "$1" <<EOF
Return-Path: <>
Date: Tue, 03 Sep 2024 10:15:01 +0200
From: MAILER-DAEMON@mail.shop.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@news.shop.example.com
Message-Id: <hooks-$n_msg-$$@mail.shop.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to <$2>.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.shop.example.com
Arrival-Date: Tue, 03 Sep 2024 10:14:59 +0200

Final-Recipient: rfc822; $2
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx1.example.org
Diagnostic-Code: smtp; $diag

--BOUNDARY
Content-Type: text/rfc822-headers

From: News <news@shop.example.com>
To: <$2>
Subject: Autumn offers
Message-ID: <orig-$n_msg@shop.example.com>
X-Campaign-ID: autumn-2024

--BOUNDARY--
EOF
}

# ingest_bounces CONF RECIPIENT...: one bounce per recipient, through ingest
ingest_bounces() {
	conf=$1; shift
	mkdir -p "$TMP/in"
	rm -f "$TMP/in"/*.eml
	for r in "$@"; do bounce "$TMP/in/$n_msg-$(echo "$r" | tr -c 'a-z0-9\n' _).eml" "$r"; done
	"$BW" -c "$conf" ingest --flush-timeout "${FLUSH_TIMEOUT:-10}" "$TMP/in" \
		> "$TMP/ingest.out" 2> "$TMP/ingest.err"
}

# py SCRIPT ARGS...: run a Python check (stdin), pass/fail on its exit code
pycheck() {
	desc=$1; shift
	if "$PYTHON3" - "$@" > "$TMP/py.out" 2>&1; then pass "$desc"; else fail "$desc"; sed 's/^/# /' "$TMP/py.out"; fi
}

printf 'tok-%s\n' "s3cret" > "$TMP/token"; chmod 600 "$TMP/token"
printf '%s\n' "$SECRET" > "$TMP/whsec"; chmod 600 "$TMP/whsec"

# ---------------------------------------------------------------- 1. bodies, headers, signatures
LOG=$TMP/recv.jsonl
start_receiver "$LOG"
CONF=$TMP/bw.conf
cat > "$CONF" <<EOF
state = "$TMP/state.db";
log = { level = "info"; };
hooks = (
  { name = "crm";
    url = "http://127.0.0.1:$PORT/api/suppressions/{{recipient}}?reason={{reason}}";
    method = "POST";
    events = [ "suppress" ];
    headers = [ "Content-Type: application/json", "X-Reason: {{reason}}", "X-Diag: {{diagnostic}}" ];
    auth = { type = "bearer"; token_file = "$TMP/token"; };
    body = "{\"email\": {{recipient}}, \"reason\": {{reason}}, \"kind\": {{kind}}, \"diag\": {{diagnostic}}, \"subject\": {{original.subject}}, \"nothing\": {{no_such_field}}}";
    secret_file = "$TMP/whsec";
    timeout = 2;  retry_hours = 24;  batch = 1; },
  { name = "ops";
    url = "http://127.0.0.1:$PORT/ops";
    events = [ "alert" ];
    timeout = 2; }
);
EOF

# a diagnostic full of quotes, braces, a placeholder and a backslash
bounce "$TMP/hostile.eml" "eve@example.net" '550 5.1.1 "quoted" }{ {{recipient}} \ <b>&amp; end'
"$BW" -c "$CONF" ingest "$TMP/hostile.eml" >/dev/null 2>&1
ingest_bounces "$CONF" anna@example.org bob@example.org
"$BW" -c "$CONF" outbox flush --timeout 10 > /dev/null 2>&1
pycheck "delivered with the right method, path, headers, bodies and valid signatures" "$LOG" <<'PY'
import json, sys, urllib.parse
reqs = [json.loads(l) for l in open(sys.argv[1])]
crm = [r for r in reqs if r["path"].startswith("/api/")]
got = sorted(urllib.parse.unquote(r["path"].rsplit("/", 1)[1]) for r in crm)
assert got == ["anna@example.org", "bob@example.org", "eve@example.net"], got
ids = set()
for r in crm:
    h = r["headers"]
    assert r["method"] == "POST", r
    assert r["query"] == "reason=userunknown", r["query"]
    assert h["authorization"] == "Bearer tok-s3cret", h
    assert h["content-type"] == "application/json", h
    assert h["x-reason"] == "userunknown", h
    assert r["sig_ok"] is True, ("signature", r)
    assert h["webhook-id"].startswith("evt_"), h
    assert h["webhook-timestamp"].isdigit(), h
    ids.add(h["webhook-id"])
    b = json.loads(r["body"])
    assert set(b) == {"email", "reason", "kind", "diag", "subject", "nothing"}, b
    assert b["email"] == urllib.parse.unquote(r["path"].rsplit("/", 1)[1]), b
    assert b["reason"] == "userunknown" and b["kind"] == "hard", b
    assert b["nothing"] is None, b
    assert b["subject"] == "Autumn offers", b
    if b["email"] == "eve@example.net":
        assert '"quoted" }{ {{recipient}} \\ <b>&amp; end' in b["diag"], b["diag"]
        assert '"quoted" }{ {{recipient}}' in h["x-diag"], h["x-diag"]
assert len(ids) == 3, ids
print("ok")
PY
check "no secret in the outbox listing" sh -c "! '$BW' -c '$CONF' outbox list --only all --json | grep -q s3cret"
check "rows are marked delivered" sh -c "'$BW' -c '$CONF' outbox list --only done | grep -c ' done ' | grep -qx 3"

# ---------------------------------------------------------------- 2. receiver down, then up
stop_receiver
FLUSH_TIMEOUT=3 ingest_bounces "$CONF" carl@example.org dora@example.org erik@example.org
check "receiver down: ingest reports failed attempts" grep -q "hooks: 0 delivered, [1-9][0-9]* failed attempts" "$TMP/ingest.err"
"$BW" -c "$CONF" outbox list > "$TMP/list" 2>&1
check "receiver down: rows stay pending" sh -c "grep -c ' pending ' '$TMP/list' | grep -qx 3"
check "receiver down: the error is recorded" grep -qi "connect\|refused" "$TMP/list"
start_receiver "$LOG" "$PORT"
"$BW" -c "$CONF" outbox flush --timeout 40 > "$TMP/flush" 2>&1
check "receiver up: flush delivers everything" grep -q "outbox: 0 pending, 0 dead" "$TMP/flush"
pycheck "receiver up: every event arrived, each webhook-id once" "$LOG" <<'PY'
import json, sys, collections
reqs = [json.loads(l) for l in open(sys.argv[1])]
ok = collections.Counter(r["headers"]["webhook-id"] for r in reqs
                         if r["path"].startswith("/api/") and r["answer"] == 200)
assert len(ok) == 6, ok
assert all(n == 1 for n in ok.values()), ok
print("ok")
PY

# ---------------------------------------------------------------- 3. killed mid-delivery
control '{"mode": "hang", "count": 0, "hang": 60}'
mkdir -p "$TMP/kill"
bounce "$TMP/kill/1.eml" fred@example.org
bounce "$TMP/kill/2.eml" gina@example.org
"$BW" -c "$CONF" ingest "$TMP/kill" > /dev/null 2>&1 &
BWPID=$!
i=0
while [ "$(grep -c '"answer": "hang"' "$LOG")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $BWPID 2>/dev/null
wait $BWPID 2>/dev/null
check "killed mid-delivery: the receiver had the requests" test "$(grep -c '"answer": "hang"' "$LOG")" -ge 2
control '{"mode": "ok"}'
"$BW" -c "$CONF" outbox list > "$TMP/list" 2>&1
check "killed mid-delivery: nothing lost (rows pending)" sh -c "grep -c ' pending ' '$TMP/list' | grep -qx 2"
"$BW" -c "$CONF" outbox retry --all --timeout 20 > "$TMP/flush" 2>&1
check "after restart: delivered" grep -q "outbox: 0 pending, 0 dead" "$TMP/flush"
pycheck "after restart: the same webhook-ids, once delivered each" "$LOG" <<'PY'
import json, sys, collections
reqs = [json.loads(l) for l in open(sys.argv[1])]
hung = {r["headers"]["webhook-id"] for r in reqs if r["answer"] == "hang"}
ok = collections.Counter(r["headers"]["webhook-id"] for r in reqs if r["answer"] == 200)
assert len(hung) == 2, hung
assert all(ok[i] == 1 for i in hung), (hung, ok)
print("ok")
PY

# ---------------------------------------------------------------- 4. 4xx -> dead -> retry -> delivered
control '{"mode": "status", "status": 422, "count": 1}'
ingest_bounces "$CONF" hana@example.org
"$BW" -c "$CONF" outbox list --only dead > "$TMP/list" 2>&1
check "422: dead letter at once" sh -c "grep -q 'hana@example.org' '$TMP/list' && grep -q 'HTTP 422' '$TMP/list'"
check "422: tried once only" test "$(grep -c '"answer": 422' "$LOG")" -eq 1
"$BW" -c "$CONF" outbox retry --all-dead > "$TMP/flush" 2>&1
check "outbox retry --all-dead: delivered" grep -q "outbox: 0 pending, 0 dead" "$TMP/flush"
check "outbox retry: the same webhook-id again" sh -c "[ \$(grep '\"answer\": 422' '$LOG' | $PYTHON3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[\"headers\"][\"webhook-id\"])') = \$(grep hana '$LOG' | tail -1 | $PYTHON3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[\"headers\"][\"webhook-id\"])') ]"

# ---------------------------------------------------------------- 5. 503 with Retry-After, retried in one run
control '{"mode": "status", "status": 503, "count": 2, "retry_after": "1"}'
ingest_bounces "$CONF" ivan@example.org
"$BW" -c "$CONF" outbox flush --timeout 40 > "$TMP/flush" 2>&1
check "503 twice, then delivered" test "$(grep ivan "$LOG" | grep -c '"answer": 503')" -eq 2
# ingest's own flush (10 s) may give up while the third attempt is in flight:
# the row is then sent again by the next flush, under the same webhook-id
check "503: finally delivered" test "$(grep ivan "$LOG" | grep -c '"answer": 200')" -ge 1
check "503: every attempt under one webhook-id" test "$(grep ivan "$LOG" | $PYTHON3 -c 'import json,sys; print(len({json.loads(l)["headers"]["webhook-id"] for l in sys.stdin}))')" -eq 1

# ---------------------------------------------------------------- 6. 410 -> hook disabled, alert raised
control '{"mode": "status", "status": 410, "count": 1}'
ingest_bounces "$CONF" jana@example.org
"$BW" -c "$CONF" outbox flush --timeout 10 > "$TMP/flush" 2>&1
"$BW" -c "$CONF" outbox list --only dead > "$TMP/list" 2>&1
check "410: dead letter" grep -q "jana@example.org.*HTTP 410" "$TMP/list"
pycheck "410: an alert reached the alert hook" "$LOG" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ops = [json.loads(r["body"]) for r in reqs if r["path"] == "/ops"]
assert any(o.get("event") == "alert" and o.get("reason") == "hook_gone" and o.get("hook") == "crm"
           for o in ops), ops
print("ok")
PY
stop_receiver

# ---------------------------------------------------------------- the outbox command
"$BW" -c "$CONF" outbox >/dev/null 2>&1; check "outbox without an action: exit 2" test $? -eq 2
"$BW" -c "$CONF" outbox retry x1 >/dev/null 2>&1; check "outbox retry with a bad id: exit 2" test $? -eq 2
"$BW" -c "$CONF" outbox retry 999999 --no-flush >/dev/null 2>&1; check "outbox retry of no row: exit 1" test $? -eq 1
"$BW" -c "$CONF" outbox list --only all --json > "$TMP/all.jsonl"
pycheck "outbox list --json: one object per row with the documented keys" "$TMP/all.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) >= 12, len(rows)
for r in rows:
    assert {"id", "webhook_id", "hook", "event", "state", "attempts", "created", "next_attempt",
            "last_error", "payload"} <= set(r), r
    assert r["state"] in ("pending", "done", "dead"), r
print("ok")
PY
"$BW" -c "$CONF" outbox purge --dead > "$TMP/purge" 2>&1
check "outbox purge --dead: delivered and dead rows gone" sh -c "grep -q '^purged [1-9]' '$TMP/purge' && '$BW' -c '$CONF' outbox list --only all --json | wc -l | grep -qx 0"

# ---------------------------------------------------------------- 7. presets
# Each preset, its host pointed at the receiver, must make the request the
# real API expects.
preset() {   # preset NAME: config with the preset's URL on the receiver
	name=$1
	PLOG=$TMP/preset-$name.jsonl
	start_receiver "$PLOG"
	sed -e "s|https://[^/\"]*/|http://127.0.0.1:$PORT/|" \
	    -e "s|/etc/bouncewatch/[a-z.]*|$TMP/token|" \
	    "$PRESETS/$name.conf" > "$TMP/$name.hook"
	cat > "$TMP/$name.conf" <<EOF
state = "$TMP/$name.db";
hooks = (
@include "$TMP/$name.hook"
);
EOF
	"$BW" -c "$TMP/$name.conf" check-config -q > /dev/null 2>&1 || fail "preset $name: config loads"
}

export SENDGRID_API_KEY=tok-s3cret HUBSPOT_TOKEN=tok-s3cret
printf '%s\n' "$SECRET" > "$TMP/whsec"
for name in generic listmonk mautic mailchimp sendgrid mailgun hubspot; do
	preset $name
	if [ $name = generic ]; then   # the generic preset signs: its secret is the whsec file
		sed -i "s|secret_file = \"$TMP/token\"|secret_file = \"$TMP/whsec\"|" "$TMP/$name.hook"
	fi
	ingest_bounces "$TMP/$name.conf" kim@example.org lou@example.org
	"$BW" -c "$TMP/$name.conf" outbox flush --timeout 10 > /dev/null 2>&1
	stop_receiver
	pycheck "preset $name: method, path, headers and body shape" "$name" "$TMP/preset-$name.jsonl" <<'PY'
import base64, json, sys, urllib.parse
name, log = sys.argv[1], sys.argv[2]
reqs = [json.loads(l) for l in open(log)]
assert reqs, "no request"
basic = lambda user: "Basic " + base64.b64encode(f"{user}:tok-s3cret".encode()).decode()
emails = set()
for r in reqs:
    h, body = r["headers"], r["body"]
    assert r["answer"] == 200, r
    assert h["webhook-id"], h
    if name == "generic":
        assert r["method"] == "POST" and r["path"] == "/bouncewatch", r
        assert r["sig_ok"] is True, "signature"
        b = json.loads(body)
        assert b["type"] == "suppress" and b["timestamp"].endswith("Z"), b
        assert b["data"]["event"] == "suppress" and b["data"]["webhook_id"] == h["webhook-id"], b
        emails.add(b["data"]["recipient"])
    elif name == "listmonk":
        assert r["method"] == "POST" and r["path"] == "/webhooks/bounce", r
        assert h["authorization"] == basic("bouncewatch"), h
        b = json.loads(body)
        assert b["type"] == "hard" and b["source"] == "bouncewatch", b
        assert set(b["meta"]) >= {"reason", "status", "diagnostic"}, b
        emails.add(b["email"])
    elif name == "mautic":
        assert r["method"] == "POST" and r["path"] == "/api/contacts/new", r
        assert h["authorization"] == basic("bouncewatch"), h
        b = json.loads(body)
        dnc = b["doNotContact"]
        assert dnc[0]["reason"] == 2 and dnc[0]["channel"] == "email", b
        emails.add(b["email"])
    elif name == "mailchimp":
        assert r["method"] == "PUT", r
        assert r["path"].startswith("/3.0/lists/LIST_ID/members/"), r
        assert h["authorization"] == basic("bouncewatch"), h
        b = json.loads(body)
        assert b["status"] == "unsubscribed" and b["status_if_new"] == "unsubscribed", b
        assert urllib.parse.unquote(r["path"].rsplit("/", 1)[1]) == b["email_address"], r
        emails.add(b["email_address"])
    elif name == "sendgrid":
        assert r["method"] == "POST" and r["path"] == "/v3/asm/suppressions/global", r
        assert h["authorization"] == "Bearer tok-s3cret", h
        b = json.loads(body)
        assert list(b) == ["recipient_emails"], b
        emails.update(b["recipient_emails"])
    elif name == "mailgun":
        assert r["method"] == "POST" and r["path"] == "/v3/mg.example.com/bounces", r
        assert h["authorization"] == basic("api"), h
        assert h["content-type"] == "application/x-www-form-urlencoded", h
        f = urllib.parse.parse_qs(body, strict_parsing=True)
        assert f["code"] == ["550"] and "5.1.1" in f["error"][0], f
        emails.update(f["address"])
    elif name == "hubspot":
        assert r["method"] == "POST", r
        assert r["path"] == "/communication-preferences/v3/unsubscribe", r
        assert h["authorization"] == "Bearer tok-s3cret", h
        b = json.loads(body)
        assert b["subscriptionId"] and b["legalBasis"], b
        emails.add(b["emailAddress"])
assert emails == {"kim@example.org", "lou@example.org"}, emails
if name == "sendgrid":
    assert len(reqs) == 1, "sendgrid: one batched request"
print("ok")
PY
done

finish
