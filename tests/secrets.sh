#!/bin/bash
# secrets.sh - no password, token or signing key ever shows up in anything
# bouncewatch writes (issue 9, "Secrets").
#
# Distinctive secrets are put everywhere a secret can come from: an IMAP
# password in a file, in the environment and inline; hook tokens in a file
# and in the environment; a Standard Webhooks signing key; a VERP key.  Then
# every command that reads them runs, at log level debug, as text and as
# JSON logs: check-config, parse, explain, ingest with hooks against a
# receiver that answers 401 and echoes the request's headers back (so the
# token comes back in a response), outbox list, scan with a wrong password
# and with the right one against a real Dovecot, and run.  stdout, stderr,
# the state database and its WAL are searched for every secret: none may
# appear.  Dovecot parts are skipped when Dovecot is not installed.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
BW=$BOUNCEWATCH
SAMPLES=$top_srcdir/tests/samples/imap

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed for the echo receiver"

PW_FILE_SECRET='Pw-from-file-7q3ZxK'
PW_ENV_SECRET='Pw-from-env-Hh81Lm'
PW_INLINE_SECRET='Pw-inline-Ue20Xq'
PW_WRONG_SECRET='Pw-wrong-Kk55Rt'
TOKEN_FILE_SECRET='Tok-from-file-c8N2vB'
TOKEN_ENV_SECRET='Tok-from-env-p1W9sD'
BASIC_SECRET='Basic-pass-Mz04Ye'
WHSEC_SECRET='whsec_c2VjcmV0LXNpZ25pbmcta2V5LTQ0OTE='
VERP_SECRET='Verp-key-Ja77Qo'
# the Authorization header of basic auth carries base64("api:" password)
BASIC_B64=$(printf 'api:%s' "$BASIC_SECRET" | base64)
ALL="$PW_FILE_SECRET $PW_ENV_SECRET $PW_INLINE_SECRET $PW_WRONG_SECRET $TOKEN_FILE_SECRET
$TOKEN_ENV_SECRET $BASIC_SECRET $BASIC_B64 $WHSEC_SECRET $VERP_SECRET"

umask 077
printf '%s\n' "$PW_FILE_SECRET" > "$TMP/pass"
printf '%s\n' "$PW_WRONG_SECRET" > "$TMP/wrong.pass"
printf '%s\n' "$TOKEN_FILE_SECRET" > "$TMP/token"
printf '%s\n' "$BASIC_SECRET" > "$TMP/basic"
printf '%s\n' "$WHSEC_SECRET" > "$TMP/whsec"
printf '%s\n' "$VERP_SECRET" > "$TMP/verp"
export BW_TEST_PW="$PW_ENV_SECRET" BW_TEST_TOKEN="$TOKEN_ENV_SECRET"

OUT=$TMP/out
mkdir -p "$OUT"
n_run=0
# run NAME COMMAND...: run it, keep stdout and stderr for the final search
run() {
	name=$1; shift
	n_run=$((n_run + 1))
	"$@" > "$OUT/$n_run-$name.out" 2> "$OUT/$n_run-$name.err"
	echo $? > "$OUT/$n_run-$name.rc"
}
rc_of() { cat "$OUT/$1.rc"; }
not() { ! "$@"; }

# no_secret FILE...: no secret of $ALL (nor the base64 of the signing key
# without its prefix) in any of them
no_secret() {
	for s in $ALL ${WHSEC_SECRET#whsec_}; do
		if grep -a -l -F -- "$s" "$@" > "$TMP/hits" 2>/dev/null; then
			echo "# '$s' found in: $(tr '\n' ' ' < "$TMP/hits")"
			return 1
		fi
	done
	return 0
}

# ------------------------------------------------------------------ the echo receiver
# Answers 401 to everything, with the request's headers in the body: a
# server that reflects credentials back.  Prints its port into a file.
"$PYTHON3" - "$TMP/rport" > "$TMP/receiver.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        body = ("denied; you sent:\n" + str(self.headers)).encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_PUT = do_POST
    def log_message(self, *a):
        pass
s = HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
RPID=$!
DC_UP=
cleanup() {
	kill "$RPID" 2>/dev/null
	[ -n "$DC_UP" ] && dc_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$TMP/rport" ] && break; sleep 0.1; done
RPORT=$(cat "$TMP/rport" 2>/dev/null)
[ -n "$RPORT" ] || { echo "Bail out! the echo receiver did not start"; exit 1; }

# conf FILE LOGFORMAT ACCOUNTS: a configuration with every kind of secret
conf() {
	cat > "$1" <<EOF
state = "$TMP/state.db";
log = { level = "debug"; format = "$2"; };
classify = { verp = { secret_file = "$TMP/verp"; }; };
accounts = ( $3 );
hooks = (
  { name = "file-token"; url = "http://127.0.0.1:$RPORT/a/{{recipient}}";
    events = [ "suppress", "soft_bounce", "alert", "bounce" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\"email\": {{recipient}}}";
    auth = { type = "bearer"; token_file = "$TMP/token"; };
    secret_file = "$TMP/whsec"; timeout = 2; retry_hours = 0; },
  { name = "env-token"; url = "http://127.0.0.1:$RPORT/b";
    events = [ "suppress" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\"email\": {{recipient}}}";
    auth = { type = "bearer"; token_env = "BW_TEST_TOKEN"; }; timeout = 2; retry_hours = 0; },
  { name = "basic"; url = "http://127.0.0.1:$RPORT/c";
    events = [ "suppress" ];
    headers = [ "Content-Type: application/json" ];
    body = "{\"email\": {{recipient}}}";
    auth = { type = "basic"; user = "api"; token_file = "$TMP/basic"; };
    secret_env = "BW_TEST_TOKEN"; timeout = 2; retry_hours = 0; }
);
EOF
}
ACCTS='{ name = "file"; url = "imaps://127.0.0.1:1"; user = "u"; password_file = "'"$TMP/pass"'"; },
  { name = "env"; url = "imaps://127.0.0.1:1"; user = "u"; password_env = "BW_TEST_PW"; },
  { name = "inline"; url = "imaps://127.0.0.1:1"; user = "u"; password = "'"$PW_INLINE_SECRET"'"; }'
conf "$TMP/text.conf" text "$ACCTS"
conf "$TMP/json.conf" json "$ACCTS"

# ------------------------------------------------------------------ offline commands
echo "# check-config, parse, explain, verp"
for f in text json; do
	run "check-config-$f" "$BW" check-config -c "$TMP/$f.conf"
	check "check-config ($f logs) accepts the file" [ "$(rc_of "$n_run-check-config-$f")" = 0 ]
	run "parse-$f" "$BW" -c "$TMP/$f.conf" parse --json "$SAMPLES"
	run "explain-$f" "$BW" -c "$TMP/$f.conf" explain "$SAMPLES/postfix-5.1.1.eml"
	run "verp-$f" "$BW" -c "$TMP/$f.conf" verp --domain bounces.example jane@example.org
done
check "check-config shows where the inline password is, not what it is" \
	grep -q 'password = "(hidden)"' "$OUT/1-check-config-text.out"
check "parse ran" grep -q '"verdict"' "$OUT/2-parse-text.out"
check "verp signed an address" grep -q 'jane=example.org@bounces.example' "$OUT/4-verp-text.out"

# a secret file readable by others is warned about, and still not printed
chmod 644 "$TMP/token"
run "ingest-perm" "$BW" -c "$TMP/text.conf" --state "$TMP/perm.db" ingest --flush-timeout 3 \
	"$SAMPLES/postfix-5.1.1.eml"
chmod 600 "$TMP/token"
check "a world-readable token file is warned about" \
	grep -q "$TMP/token.*readable by group or others" "$OUT/$n_run-ingest-perm.err"

# ------------------------------------------------------------------ hooks with tokens
echo "# ingest with hooks that are refused and get the credentials echoed back"
for f in text json; do
	run "ingest-$f" "$BW" -c "$TMP/$f.conf" --state "$TMP/ingest-$f.db" ingest --flush-timeout 5 \
		"$SAMPLES"
	run "outbox-$f" "$BW" -c "$TMP/$f.conf" --state "$TMP/ingest-$f.db" outbox list
	run "outbox-json-$f" "$BW" -c "$TMP/$f.conf" --state "$TMP/ingest-$f.db" outbox list --json
done
check "the hooks were called: dead letters after 401" grep -q 'dead' "$OUT"/*-outbox-json-text.out
check "the outbox keeps the receiver's answer" grep -q '401' "$OUT"/*-outbox-json-text.out

# ------------------------------------------------------------------ IMAP
if [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] && command -v openssl >/dev/null; then
	. "$top_srcdir/tests/dovecot.sh"
	dc_start || { echo "Bail out! dovecot did not start"; exit 1; }
	DC_UP=1
	dc_add_user bounces "$PW_FILE_SECRET"
	dc_deliver bounces INBOX "$SAMPLES"/*.eml
	IMAP='url = "imap://127.0.0.1:'"$DC_PORT"'"; user = "bounces"; tls_ca_file = "'"$DC_CA"'";'
	echo "# scan with a wrong password, then the right one; run with a wrong one"
	for f in text json; do
		conf "$TMP/wrong-$f.conf" "$f" "{ name = \"main\"; $IMAP password_file = \"$TMP/wrong.pass\"; }"
		run "scan-wrong-$f" "$BW" -c "$TMP/wrong-$f.conf" --state "$TMP/scan-$f.db" scan
		check "scan with a wrong password fails ($f logs)" \
			[ "$(rc_of "$n_run-scan-wrong-$f")" = 1 ]
		check "... and says the login was refused" \
			grep -q -i 'auth\|login\|password' "$OUT/$n_run-scan-wrong-$f.err"
	done
	conf "$TMP/right.conf" text "{ name = \"main\"; $IMAP password_env = \"BW_TEST_PW\"; }"
	BW_TEST_PW=$PW_FILE_SECRET run "scan-right" "$BW" -c "$TMP/right.conf" --state "$TMP/scan-ok.db" scan
	check "scan with the right password works" [ "$(rc_of "$n_run-scan-right")" = 0 ]
	conf "$TMP/run.conf" json "{ name = \"main\"; $IMAP password_file = \"$TMP/wrong.pass\"; }"
	"$BW" -c "$TMP/run.conf" --state "$TMP/run.db" run --foreground > "$OUT/run.out" 2> "$OUT/run.err" &
	DPID=$!
	for _ in $(seq 1 50); do grep -q -i 'reconnecting' "$OUT/run.err" && break; sleep 0.2; done
	kill -TERM "$DPID"; wait "$DPID"
	check "run with a wrong password keeps retrying" grep -q -i 'reconnecting' "$OUT/run.err"
else
	echo "# Dovecot is not installed: the IMAP part is skipped"
fi

# ------------------------------------------------------------------ the search
echo "# searching $(ls "$OUT" | wc -l) outputs and every state database"
printf 'x %s y\n' "$BASIC_B64" > "$TMP/control"
check "the search finds a planted secret (control)" not no_secret "$TMP/control"
check "the outputs are not empty" [ -n "$(cat "$OUT"/*.err "$OUT"/*.out)" ]
check "no secret in any stdout or stderr" no_secret "$OUT"/*.out "$OUT"/*.err
check "no secret in any state database or WAL" no_secret "$TMP"/*.db*
check "the secrets were really used (the echo receiver saw the token)" \
	grep -q -i 'dead\|401' "$OUT"/*-outbox-text.out

finish
