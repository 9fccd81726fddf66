#!/bin/bash
# demo.sh - bouncewatch end to end on this machine, touching nothing outside
# a temporary directory:
#   1. installs what is missing (apt-get) and builds bouncewatch;
#   2. starts a loopback Dovecot (STARTTLS, self-signed certificate) whose
#      bounces@ mailbox holds a realistic mix: hard and soft bounces from
#      Postfix, Exim, qmail and Gmail, a delay warning, an ARF complaint, an
#      auto-reply and a human reply (tests/samples/);
#   3. starts a local webhook receiver that checks Standard Webhooks signatures;
#   4. runs `bouncewatch scan` with the embedded SQLite state;
#   5. shows the events, the suppression list, the hook requests, and the
#      mailbox afterwards; then stops everything it started.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ -n "${DEMO_BOUNCEWATCH:-}" ]; then
	BW=$DEMO_BOUNCEWATCH       # tests/demo.sh: a binary already built
else
	echo "== installing what is missing, building"
	"$top/contrib/deps.sh"
	./autogen.sh > /dev/null
	b=$top/_build/demo
	mkdir -p "$b"
	[ -f "$b/Makefile" ] || ( cd "$b" && "$top/configure" -q )
	make -C "$b" -j2 -s bouncewatch > "$b/build.log" 2>&1 || { cat "$b/build.log"; exit 1; }
	BW=$b/bouncewatch
fi

. "$top/tests/dovecot.sh"
# (set -u: dovecot.sh reads KEEP_DOVECOT; unset, it would end the cleanup early)
KEEP_DOVECOT=${KEEP_DOVECOT:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/bouncewatch-demo.XXXXXX")
recv_pid=""
cleanup() {
	# (set -e: the receiver ends by SIGTERM, so its wait status is not 0)
	if [ -n "$recv_pid" ]; then
		kill "$recv_pid" 2>/dev/null || true
		wait "$recv_pid" 2>/dev/null || true
	fi
	dc_cleanup >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== starting a loopback Dovecot with a bounces@ mailbox"
dc_start
dc_add_user bounces@shop.example.com demo-password
dc_deliver bounces@shop.example.com INBOX "$top"/tests/samples/*.eml
printf 'demo-password\n' > "$work/imap.pass"
chmod 600 "$work/imap.pass"

echo "== starting a webhook receiver on 127.0.0.1"
secret="whsec_$(printf 'bouncewatch-demo-signing-key!' | base64)"
python3 "$top/tests/receiver.py" --log "$work/requests.jsonl" --port-file "$work/port" \
	--secret "$secret" > "$work/receiver.out" 2>&1 &
recv_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
printf '%s\n' "$secret" > "$work/hook.whsec"
chmod 600 "$work/hook.whsec"

cat > "$work/bouncewatch.conf" <<CONF
state = "$work/state.db";
accounts = (
  { name = "shop";
    url = "imap://127.0.0.1:$DC_PORT";      # STARTTLS, verified against the demo CA
    tls_ca_file = "$DC_CA";
    user = "bounces@shop.example.com";
    password_file = "$work/imap.pass";
    folders = [ "INBOX" ];
    on_bounce = "move:Processed";
    on_other = "none";
  }
);
hooks = (
  { name = "crm";
    url = "http://127.0.0.1:$(cat "$work/port")/suppressions";
    events = [ "suppress", "defer", "soft_bounce", "alert" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\"email\": {{recipient}}, \"event\": {{event}}, \"reason\": {{reason}}, \"campaign\": {{campaign}}}";
    secret_file = "$work/hook.whsec";
  }
);
CONF

if [ "$(id -u)" -eq 0 ]; then
	# bouncewatch will not run as root: it drops to an unprivileged user
	echo 'user = "nobody";' >> "$work/bouncewatch.conf"
	chown -R nobody "$work"
fi

echo "== bouncewatch scan"
"$BW" -c "$work/bouncewatch.conf" scan

echo
echo "== what each message was (bouncewatch parse over the same samples)"
"$BW" parse "$top"/tests/samples/*.eml | sed "s|$top/tests/samples/||"
echo
echo "== events recorded by the scan"
"$BW" -c "$work/bouncewatch.conf" report --by reason
echo
echo "== the suppression list"
"$BW" -c "$work/bouncewatch.conf" suppress list
echo
echo "== requests the hook receiver got (signature checked)"
python3 - "$work/requests.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    body = json.loads(r["body"]) if r["body"] else {}
    print("  %-4s %-13s sig_ok=%-5s %s" % (r["method"], r["path"], r["sig_ok"], json.dumps(body)))
PY
echo
echo "== the mailbox now"
echo "  INBOX (left for a human): $(dc_count bounces@shop.example.com INBOX all) message(s)"
echo "  Processed (bounces moved): $(dc_count bounces@shop.example.com Processed all) message(s)"
echo
echo "Demo done; everything it started is stopped."
