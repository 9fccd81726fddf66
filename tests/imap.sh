#!/bin/bash
# imap.sh - `scan` and `run` against a real Dovecot started here (issue 4).
#
# Scenarios, each asserting real outcomes (mailbox contents, flags, rows in
# the state database, exit codes, log lines):
#   1. scan of a seeded mailbox: --dry-run changes nothing; then every message
#      classified, bounces moved (one account) or flagged \Seen (another),
#      human mail left unread; a second scan does nothing.
#   2. UIDVALIDITY change (the folder is recreated): nothing processed twice.
#   3. run: a message delivered while the daemon idles is handled within 2 s;
#      SIGHUP with an invalid file keeps the old configuration, with a valid
#      one applies the new; SIGTERM exits 0.
#   4. the server is killed mid-run and restarted: the daemon reconnects,
#      nothing is lost or processed twice; SIGTERM mid-batch finishes the
#      message and its post-action; a restart does the rest.
#   5. bad password: a clear error, exit 1, the password never printed.
#   6. hooks: scan delivers the outbox before it exits (run does it live).
#   7. TLS: IMAPS with the self-signed certificate refused without tls_ca_file,
#      accepted with it (IP and DNS name), tls_verify = false warns loudly,
#      STARTTLS verified too, a certificate for another host name refused.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
BW=$BOUNCEWATCH
SAMPLES=$top_srcdir/tests/samples/imap
PW='Corr3ct-h0rse-battery'
USER_NAME=bounces

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed to read the state database"
"$BW" scan --help >/dev/null 2>&1 || skip_all "bouncewatch scan is not built"

DPID=
stop_daemon() {
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		DPID=
	fi
}
trap 'stop_daemon; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; dc_cleanup; rm -rf "$TMP"' EXIT

dc_start || { echo "Bail out! dovecot did not start"; exit 1; }
dc_add_user "$USER_NAME" "$PW"
printf '%s\n' "$PW" > "$TMP/pass"
chmod 600 "$TMP/pass"

# sql DB QUERY: the first column of the first row
sql() {
	"$PYTHON3" - "$1" "$2" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])
EOF
}

# acct NAME URL FOLDER ON_BOUNCE ON_OTHER [MORE SETTINGS]: one account group
acct() {
	printf '{ name = "%s"; url = "%s"; user = "%s"; password_file = "%s";
    tls_ca_file = "%s"; folders = [ "%s" ]; on_bounce = "%s"; on_other = "%s"; %s }' \
		"$1" "$2" "$USER_NAME" "$TMP/pass" "$DC_CA" "$3" "$4" "$5" "$6"
}

# conf FILE STATE LEVEL ACCOUNT...: a configuration file
conf() {
	f=$1 st=$2 lvl=$3
	shift 3
	{
		printf 'state = "%s";\nlog = { level = "%s"; };\naccounts = (\n' "$st" "$lvl"
		sep=
		for a in "$@"; do printf '%s  %s\n' "$sep" "$a"; sep=,; done
		printf ');\n'
	} > "$f"
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
wait_for() {
	limit=$1; shift
	end=$(( $(date +%s%N) + limit * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

not() { ! "$@"; }
log_count() { grep -c -- "$2" "$1" 2>/dev/null; }
log_more() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
count_is() { [ "$(dc_count "$USER_NAME" "$1")" -eq "$2" ]; }
seen_is() { [ "$(dc_count_seen "$USER_NAME" "$1")" -eq "$2" ]; }
count_ge() { [ "$(dc_count "$USER_NAME" "$1")" -ge "$2" ]; }
log_has() { grep -q -- "$2" "$1"; }
json_field() {   # json_field FILE KEY: a top-level number of a JSON summary
	"$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

PLAIN=imap://127.0.0.1:$DC_PORT
IMAPS=imaps://127.0.0.1:$DC_SPORT

# ------------------------------------------------------------------ 1. scan
echo "# 1. scan of a seeded mailbox"
dc_deliver "$USER_NAME" INBOX "$SAMPLES"/*.eml
dc_deliver_n "$USER_NAME" INBOX 300 "$SAMPLES/postfix-5.1.1.eml"
dc_deliver_n "$USER_NAME" INBOX 50 "$SAMPLES/human-question.eml"
dc_deliver "$USER_NAME" Flagged "$SAMPLES"/*.eml
# bounces: 4 samples (postfix, exim, qmail, arf) + 300; others: human 51, vacation 1
DB=$TMP/state.db
conf "$TMP/scan.conf" "$DB" info \
	"$(acct main "$PLAIN" INBOX move:Processed none 'batch = 50;')" \
	"$(acct flag "$PLAIN" Flagged seen move:Humans)"

"$BW" -c "$TMP/scan.conf" scan --dry-run --json > "$TMP/dry.json" 2> "$TMP/dry.err"
check "dry run exits 0" [ $? -eq 0 ]
check "dry run classified all 362 messages" [ "$(json_field "$TMP/dry.json" messages)" = 362 ]
check "dry run left INBOX alone" count_is INBOX 356
check "dry run left every message unread" [ "$(dc_count_unseen "$USER_NAME" INBOX)" -eq 356 ]
check "dry run created no folder" [ ! -d "$(dc_folder_dir "$USER_NAME" Processed)" ]
check "dry run recorded nothing" [ "$(sql "$DB" 'SELECT count(*) FROM processed')" = 0 ]

"$BW" -c "$TMP/scan.conf" scan > "$TMP/scan1.out" 2> "$TMP/scan1.err"
rc=$?
check "scan exits 0" [ $rc -eq 0 ]
check "summary counts 362 messages, 362 new" grep -q '362 messages in 2 accounts: 362 new' "$TMP/scan1.out"
check "every message recorded once" [ "$(sql "$DB" 'SELECT count(*) FROM processed')" = 362 ]
check "bounces moved to Processed (created)" count_is Processed 304
check "human mail and auto-replies stay in INBOX" count_is INBOX 52
check "... unread" [ "$(dc_count_unseen "$USER_NAME" INBOX)" -eq 52 ]
check "moved bounces were not marked read by the fetch" [ "$(dc_count_seen "$USER_NAME" Processed)" -eq 0 ]
check "on_bounce = seen: 4 bounces flagged \\Seen" [ "$(dc_count_seen "$USER_NAME" Flagged)" -eq 4 ]
check "on_other = move:Humans: 2 moved, unread" \
	[ "$(dc_count "$USER_NAME" Humans)" -eq 2 -a "$(dc_count_unseen "$USER_NAME" Humans)" -eq 2 ]
check "the hard bounce suppressed its recipient" \
	[ "$(sql "$DB" "SELECT count(*) FROM suppressions WHERE address = 'nobody.here@customers.example'")" -ge 1 ]
check "no password in the output" not grep -q -- "$PW" "$TMP/scan1.out" "$TMP/scan1.err"

"$BW" -c "$TMP/scan.conf" scan --json > "$TMP/scan2.json" 2> "$TMP/scan2.err"
check "second scan exits 0" [ $? -eq 0 ]
check "second scan fetches nothing" [ "$(json_field "$TMP/scan2.json" messages)" = 0 ]
check "second scan records nothing" [ "$(sql "$DB" 'SELECT count(*) FROM processed')" = 362 ]

"$BW" -c "$TMP/scan.conf" scan --account nosuch > /dev/null 2>&1
check "scan --account with an unknown name exits 2" [ $? -eq 2 ]

# ------------------------------------------------------------------ 2. UIDVALIDITY
echo "# 2. UIDVALIDITY change"
uv_old=$(dc_doveadm mailbox status -u "$USER_NAME" uidvalidity Flagged | sed 's/.*=//')
mkdir -p "$TMP/saved"
cp "$(dc_folder_dir "$USER_NAME" Flagged)"/cur/* "$(dc_folder_dir "$USER_NAME" Flagged)"/new/* "$TMP/saved/" 2>/dev/null
dc_doveadm mailbox delete -u "$USER_NAME" Flagged
rm -rf "$(dc_folder_dir "$USER_NAME" Flagged)"
dc_doveadm mailbox create -u "$USER_NAME" Flagged
dc_deliver "$USER_NAME" Flagged "$TMP"/saved/*
sed 's/<20250118074502.29041.qmail@/<20250118074502.29042.qmail@/' "$SAMPLES/qmail-nohost.eml" > "$TMP/new-qmail.eml"
dc_deliver "$USER_NAME" Flagged "$TMP/new-qmail.eml"
uv_new=$(dc_doveadm mailbox status -u "$USER_NAME" uidvalidity Flagged | sed 's/.*=//')
check "the recreated folder has a new UIDVALIDITY ($uv_old -> $uv_new)" [ "$uv_old" != "$uv_new" ]
events_before=$(sql "$DB" 'SELECT count(*) FROM events')
"$BW" -c "$TMP/scan.conf" scan --account flag --json > "$TMP/uv.json" 2> "$TMP/uv.err"
check "scan after the change exits 0" [ $? -eq 0 ]
check "the change is logged" grep -q 'UIDVALIDITY changed' "$TMP/uv.err"
check "5 messages fetched again" [ "$(json_field "$TMP/uv.json" messages)" = 5 ]
check "only the new one processed" [ "$(json_field "$TMP/uv.json" processed)" = 1 ]
check "4 recognised as already processed" [ "$(json_field "$TMP/uv.json" duplicates)" = 4 ]
check "one event more, not five" [ "$(sql "$DB" 'SELECT count(*) FROM events')" = $((events_before + 1)) ]
check "the state follows the new UIDVALIDITY" \
	[ "$(sql "$DB" "SELECT uidvalidity FROM folders WHERE account = 'flag'")" = "$uv_new" ]

# ------------------------------------------------------------------ 3. run: IDLE, reload, stop
echo "# 3. run: IDLE, SIGHUP, SIGTERM"
DB3=$TMP/run.db
conf "$TMP/run.conf" "$DB3" debug "$(acct live "$PLAIN" Live move:LiveDone none 'mode = "idle";')" \
	"$(acct polled "$IMAPS" Polled move:PolledDone none 'mode = "poll"; poll_interval = 1;')"
dc_doveadm mailbox create -u "$USER_NAME" Live
dc_doveadm mailbox create -u "$USER_NAME" Polled
"$BW" -c "$TMP/run.conf" run --foreground 2> "$TMP/run.log" &
DPID=$!
check "the daemon connects and idles" wait_for 10 log_has "$TMP/run.log" 'folder Live: idling'
t0=$(date +%s%N)
dc_deliver "$USER_NAME" Live "$SAMPLES/postfix-5.1.1.eml"
wait_for 2 count_is LiveDone 1
t1=$(date +%s%N)
check "a delivered bounce is handled within 2 s ($(( (t1 - t0) / 1000000 )) ms)" count_is LiveDone 1

sed 's/<20250114081243.4Xb2kQ1aZzz9sWM@/<polled-1@/' "$SAMPLES/postfix-5.1.1.eml" > "$TMP/p1.eml"
dc_deliver "$USER_NAME" Polled "$TMP/p1.eml"
check "poll mode (IMAPS, poll_interval = 1): handled within 3 s" wait_for 3 count_is PolledDone 1
check "... and polling sent no IDLE" not log_has "$TMP/run.log" 'folder Polled: idling'

cp "$TMP/run.conf" "$TMP/run.conf.good"
echo 'accounts = ( { name = "broken"; url = "ftp://x"; } );' > "$TMP/run.conf"
kill -HUP "$DPID"
check "an invalid configuration on SIGHUP is refused" wait_for 5 log_has "$TMP/run.log" 'refused, the old one stays'
sed 's/<20250114081243.4Xb2kQ1aZzz9sWM@/<reload-1@/' "$SAMPLES/postfix-5.1.1.eml" > "$TMP/r1.eml"
dc_deliver "$USER_NAME" Live "$TMP/r1.eml"
check "... and the old one keeps working" wait_for 3 count_is LiveDone 2

sed 's/move:LiveDone/seen/' "$TMP/run.conf.good" > "$TMP/run.conf"
idles=$(log_count "$TMP/run.log" 'folder Live: idling')
kill -HUP "$DPID"
check "a valid configuration on SIGHUP is applied" wait_for 10 log_has "$TMP/run.log" 'configuration reloaded'
check "... and the new worker idles" wait_for 10 log_more "$TMP/run.log" 'folder Live: idling' "$idles"
sed 's/<20250114081243.4Xb2kQ1aZzz9sWM@/<reload-2@/' "$SAMPLES/postfix-5.1.1.eml" > "$TMP/r2.eml"
dc_deliver "$USER_NAME" Live "$TMP/r2.eml"
check "... the new post-action (seen) is used" wait_for 3 seen_is Live 1
check "... nothing more was moved" count_is LiveDone 2
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
check "SIGTERM: the daemon exits 0" [ $rc -eq 0 ]
check "no password in the daemon's log" not grep -q -- "$PW" "$TMP/run.log"

# ------------------------------------------------------------------ 4. server killed
echo "# 4. the server is killed mid-run"
N=600
dc_deliver_n "$USER_NAME" Big $N "$SAMPLES/postfix-5.1.1.eml"
DB4=$TMP/kill.db
conf "$TMP/kill.conf" "$DB4" info "$(acct big "$PLAIN" Big move:BigDone none 'batch = 25;')"
"$BW" -c "$TMP/kill.conf" run --foreground 2> "$TMP/kill.log" &
DPID=$!
wait_for 60 count_ge BigDone 50
moved=$(dc_count "$USER_NAME" BigDone)
dc_kill
check "killed mid-run ($moved of $N moved)" [ "$moved" -ge 50 -a "$moved" -lt $N ]
sleep 1
dc_launch || { echo "Bail out! dovecot did not restart"; exit 1; }
check "the daemon reconnects" wait_for 20 log_has "$TMP/kill.log" 'reconnected'
# A server killed in the middle of a MOVE (COPY done, EXPUNGE not) leaves the
# message in both folders; the repeated post-action moves it again, so the
# target may hold an extra copy.  Each message is still recorded once.
check "all $N bounces end up moved" wait_for 120 count_ge BigDone $N
EXTRA=$(( $(dc_count "$USER_NAME" BigDone) - N ))
echo "# copies left by the interrupted move: $EXTRA"
count_ge BigDone $N || { echo "# $(dc_count "$USER_NAME" BigDone) moved; the daemon said:"; tail -15 "$TMP/kill.log" | sed 's/^/# /'; }
check "the source folder is empty" count_is Big 0
stop_daemon
check "each message recorded exactly once" \
	[ "$(sql "$DB4" "SELECT count(*) FROM processed WHERE folder = 'Big'")" = $N ]
check "each message gave exactly one event" [ "$(sql "$DB4" 'SELECT count(*) FROM events')" = $N ]
check "no content key twice" \
	[ "$(sql "$DB4" 'SELECT count(DISTINCT content_key) FROM processed')" = $N ]

# SIGTERM while a batch is under way: the current message is finished and
# every message recorded so far has had its post-action.
dc_deliver_n "$USER_NAME" Big 400 "$SAMPLES/exim-mailboxfull.eml"
"$BW" -c "$TMP/kill.conf" run --foreground 2> "$TMP/term.log" &
DPID=$!
wait_for 60 count_ge BigDone $((N + EXTRA + 30))
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
done_now=$(dc_count "$USER_NAME" BigDone)
check "SIGTERM mid-batch ($((done_now - N - EXTRA)) of 400 done): exit 0" [ $rc -eq 0 ]
check "... every recorded message had its post-action" \
	[ "$(sql "$DB4" "SELECT count(*) FROM processed WHERE folder = 'Big'")" = "$((done_now - EXTRA))" ]
"$BW" -c "$TMP/kill.conf" run --foreground 2>> "$TMP/term.log" &
DPID=$!
check "... a restart finishes the rest" wait_for 120 count_is BigDone $((N + EXTRA + 400))
# mail that lands while a sync is under way is announced during it, not in
# the IDLE after it: the sync must look again instead of idling on it
dc_deliver_n "$USER_NAME" Big 300 "$SAMPLES/qmail-nohost.eml"
wait_for 30 count_ge BigDone $((N + EXTRA + 420))
dc_deliver_n "$USER_NAME" Big 20 "$top_srcdir/tests/samples/gmail-blocked.eml"
check "mail delivered during a sync is handled at once, not at the next IDLE timeout" \
	wait_for 60 count_is BigDone $((N + EXTRA + 720))
stop_daemon
check "... each recorded once" \
	[ "$(sql "$DB4" "SELECT count(*) FROM processed WHERE folder = 'Big'")" = $((N + 720)) ]

# ------------------------------------------------------------------ 5. bad password
echo "# 5. bad password"
BADPW='Wr0ng-pa55word-zz'
printf '%s\n' "$BADPW" > "$TMP/badpass"
chmod 600 "$TMP/badpass"
conf "$TMP/bad.conf" "$TMP/bad.db" info \
	"$(acct bad "$PLAIN" INBOX none none)"
sed -i "s|$TMP/pass|$TMP/badpass|" "$TMP/bad.conf"
"$BW" -c "$TMP/bad.conf" scan > "$TMP/bad.out" 2>&1
check "bad password: exit 1" [ $? -eq 1 ]
check "bad password: the error says the login was refused" grep -q "login as 'bounces' on 127.0.0.1 refused" "$TMP/bad.out"
check "bad password: neither password printed" not grep -q -e "$BADPW" -e "$PW" "$TMP/bad.out"
cat > "$TMP/env.conf" <<EOF
state = "$TMP/bad.db";
accounts = ( { name = "env"; url = "$PLAIN"; user = "bounces"; password_env = "BW_TEST_NO_SUCH_VAR";
  tls_ca_file = "$DC_CA"; } );
EOF
"$BW" -c "$TMP/env.conf" scan > "$TMP/env.out" 2>&1
check "missing password variable: exit 1" [ $? -eq 1 ]
check "missing password variable: named in the error" grep -q 'BW_TEST_NO_SUCH_VAR' "$TMP/env.out"

# ------------------------------------------------------------------ 6. hooks
echo "# 6. scan delivers hooks before it exits"
"$PYTHON3" "$top_srcdir/tests/receiver.py" --log "$TMP/recv.log" --port-file "$TMP/recv.port" &
RPID=$!
wait_for 10 test -s "$TMP/recv.port"
RPORT=$(cat "$TMP/recv.port" 2>/dev/null)
cat > "$TMP/hook.conf" <<EOF
state = "$TMP/hook.db";
accounts = ( $(acct hooked "$PLAIN" Hooked move:HookedDone none) );
hooks = ( { name = "crm"; url = "http://127.0.0.1:$RPORT/suppress";
  events = [ "suppress" ]; headers = [ "Content-Type: application/json" ];
  body = "{\"email\": {{recipient}}, \"reason\": {{reason}}}"; } );
EOF
dc_deliver "$USER_NAME" Hooked "$SAMPLES/postfix-5.1.1.eml" "$SAMPLES/human-question.eml"
"$BW" -c "$TMP/hook.conf" scan > "$TMP/hook.out" 2>&1
check "scan with a hook exits 0" [ $? -eq 0 ]
check "the suppression reached the receiver before scan exited" \
	grep -q 'nobody.here@customers.example' "$TMP/recv.log"
check "exactly one request" [ "$(wc -l < "$TMP/recv.log")" -eq 1 ]
check "the summary reports it delivered" grep -q 'hooks: 1 delivered' "$TMP/hook.out"
kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=

# ------------------------------------------------------------------ 7. TLS
echo "# 7. TLS verification"
tls_scan() {   # tls_scan NAME URL EXTRA [CA]: scan an empty folder, output in $TMP/NAME.out
	conf "$TMP/$1.conf" "$TMP/tls.db" info "$(acct "$1" "$2" TLS none none "$3")"
	[ -n "$4" ] || sed -i 's|tls_ca_file = "[^"]*";||' "$TMP/$1.conf"
	"$BW" -c "$TMP/$1.conf" scan > "$TMP/$1.out" 2>&1
}
dc_doveadm mailbox create -u "$USER_NAME" TLS
logins=$(log_count "$DC_DIR/dovecot.log" 'Login: user=<bounces>')
tls_scan nocaimaps "$IMAPS" ''
check "IMAPS, self-signed, no tls_ca_file: refused (exit 1)" [ $? -eq 1 ]
check "... with a clear error" grep -q 'TLS certificate of 127.0.0.1:[0-9]* refused' "$TMP/nocaimaps.out"
check "... before LOGIN: the server saw no login" \
	[ "$(log_count "$DC_DIR/dovecot.log" 'Login: user=<bounces>')" = "$logins" ]
tls_scan caimaps "$IMAPS" '' ca
check "IMAPS with tls_ca_file: accepted" [ $? -eq 0 ]
tls_scan dnsimaps "imaps://localhost:$DC_SPORT" '' ca
check "IMAPS by DNS name in the certificate: accepted" [ $? -eq 0 ]
tls_scan nostarttls "$PLAIN" ''
check "STARTTLS, self-signed, no tls_ca_file: refused" [ $? -eq 1 ]
tls_scan noverify "$IMAPS" 'tls_verify = false;'
check "tls_verify = false: accepted" [ $? -eq 0 ]
check "... with a loud warning" grep -q 'TLS CERTIFICATE VERIFICATION IS DISABLED' "$TMP/noverify.out"
dc_recert imap.wrong.example DNS:imap.wrong.example
tls_scan wrongname "$IMAPS" '' ca
check "a trusted certificate for another host name: refused" [ $? -eq 1 ]
check "... the error names the host" grep -q "does not match host name '127.0.0.1'" "$TMP/wrongname.out"

finish
