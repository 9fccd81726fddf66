#!/bin/sh
# cli.sh - the command line: help, version, exit codes, parse output forms,
# bad input handled without losing the rest, check-config errors.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
S=$top_srcdir/tests/samples
BW=$BOUNCEWATCH

check "--version prints the version" sh -c "'$BW' --version | grep -q '^bouncewatch [0-9]'"
check "--help lists parse" sh -c "'$BW' --help | grep -q 'parse'"
"$BW" >/dev/null 2>&1; check "no command: exit 2" test $? -eq 2
"$BW" frobnicate >/dev/null 2>"$TMP/err"; rc=$?
check "unknown command: exit 2" test $rc -eq 2
check "unknown command: says so" grep -q "unknown command 'frobnicate'" "$TMP/err"
"$BW" parse >/dev/null 2>&1; check "parse without files: exit 2" test $? -eq 2

# human output: one line per event
"$BW" parse "$S/postfix-userunknown.eml" > "$TMP/out"
check "parse: exit 0" test $? -eq 0
check "parse: human line" grep -q "anna@example.org	hard	userunknown	5.1.1	550" "$TMP/out"

# JSON lines with the documented keys
"$BW" parse --json "$S" > "$TMP/all.jsonl"
check "parse --json over a directory: one line per file" test "$(wc -l < "$TMP/all.jsonl")" -eq "$(find "$S" -name "*.eml" | wc -l)"
"$PYTHON3" - "$TMP/all.jsonl" > "$TMP/py" 2>&1 <<'PY'
import json, sys
keys = {"recipient", "kind", "reason", "hard", "status", "reply_code", "action", "diagnostic",
        "remote_mta", "reporting_mta", "original", "detector"}
verdicts = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"file", "message_id", "verdict", "events"} <= set(o), o.keys()
    verdicts[o["file"].split("/")[-1]] = o["verdict"]
    for e in o["events"]:
        assert keys <= set(e), keys - set(e)
        assert set(e["original"]) >= {"message_id", "subject", "from", "to", "campaign"}
assert verdicts["arf-abuse.eml"] == "complaint", verdicts
assert verdicts["autoreply-vacation.eml"] == "autoreply", verdicts
assert verdicts["human-reply.eml"] == "not-bounce", verdicts
assert verdicts["postfix-userunknown.eml"] == "bounce", verdicts
print("json ok")
PY
check "parse --json: keys and verdicts" grep -q "json ok" "$TMP/py"

# stdin
"$BW" parse --json - < "$S/exim-mailboxfull.eml" > "$TMP/stdin.jsonl"
check "parse - reads stdin" grep -q '"recipient":"bob@example.net"' "$TMP/stdin.jsonl"

# mbox with two messages
{ echo "From MAILER-DAEMON Tue Sep  3 10:15:01 2024"; cat "$S/postfix-userunknown.eml"; echo
  echo "From MAILER-DAEMON Wed Sep  4 07:31:12 2024"; cat "$S/exim-mailboxfull.eml"; echo; } > "$TMP/box.mbox"
"$BW" parse --json "$TMP/box.mbox" > "$TMP/mbox.jsonl"
check "mbox: two messages" test "$(wc -l < "$TMP/mbox.jsonl")" -eq 2
check "mbox: second message indexed" grep -q '"index":2' "$TMP/mbox.jsonl"

# maildir: only cur/ and new/
mkdir -p "$TMP/md/cur" "$TMP/md/new" "$TMP/md/tmp"
cp "$S/qmail-hostunknown.eml" "$TMP/md/new/1.host:2,"
cp "$S/gmail-blocked.eml" "$TMP/md/cur/2.host:2,S"
cp "$S/human-reply.eml" "$TMP/md/tmp/3.host"
"$BW" parse --json "$TMP/md" > "$TMP/md.jsonl"
check "maildir: cur and new, not tmp" test "$(wc -l < "$TMP/md.jsonl")" -eq 2

# a bad path among good ones: error named, others still processed, exit 1
"$BW" parse "$S/postfix-userunknown.eml" "$TMP/does-not-exist.eml" "$S/qmail-hostunknown.eml" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "missing file: exit 1" test $rc -eq 1
check "missing file: named on stderr" grep -q "does-not-exist.eml: No such file" "$TMP/err"
check "missing file: the others still classified" test "$(grep -c 'hard' "$TMP/out")" -eq 2

# a message past a limit is unparsed, reported, and the run goes on
printf 'classify = { limits = { max_parts = 2; }; };\n' > "$TMP/tight.conf"
"$BW" -c "$TMP/tight.conf" parse --json "$S/postfix-userunknown.eml" "$S/qmail-hostunknown.eml" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "limit: exit 1" test $rc -eq 1
check "limit: verdict unparsed" grep -q '"verdict":"unparsed"' "$TMP/out"
check "limit: reason on stderr" grep -q "max_parts" "$TMP/err"
check "limit: next message still classified" grep -q 'chris@example.invalid' "$TMP/out"
# ingest (and scan, run: the same pipeline) records it as unparsed and says so in the log
printf 'state = "%s";\nclassify = { limits = { max_parts = 2; }; };\n' "$TMP/tight.db" > "$TMP/tight-ingest.conf"
"$BW" -c "$TMP/tight-ingest.conf" ingest "$S/postfix-userunknown.eml" > "$TMP/out" 2> "$TMP/err"
check "limit: ingest logs why the message is unparsed" \
	grep -q "cannot classify: .*max_parts.*recorded as unparsed" "$TMP/err"
check "limit: ingest records it, with no event" grep -q "1 processed, .* 0 events" "$TMP/out" "$TMP/err"

# check-config: the example is valid, errors carry file:line
"$BW" check-config -c "$top_srcdir/etc/bouncewatch.conf" > "$TMP/cc" 2>&1
check "check-config: example config is valid" test $? -eq 0
printf 'policy = {\n  soft_total = "many";\n};\nbogus = 1;\n' > "$TMP/bad.conf"
"$BW" check-config -c "$TMP/bad.conf" > /dev/null 2> "$TMP/err"
rc=$?
check "check-config: bad file exit 2" test $rc -eq 2
check "check-config: file:line for a type error" grep -q "bad.conf:2: policy.soft_total must be an integer" "$TMP/err"
check "check-config: file:line for an unknown name" grep -q "bad.conf:4: unknown setting 'bogus'" "$TMP/err"
"$BW" check-config -c "$TMP/nope.conf" > /dev/null 2>&1
check "check-config: missing file exit 2" test $? -eq 2

# explain says which detector decided and why
"$BW" explain "$S/postfix-userunknown.eml" > "$TMP/ex"
check "explain: detector" grep -q "detector=rfc3464" "$TMP/ex"
check "explain: reason step" grep -q "reason userunknown" "$TMP/ex"

finish
