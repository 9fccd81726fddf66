#!/bin/sh
# ingest.sh - `bouncewatch ingest` of the shared dev corpus, end to end:
# state, policy, suppression list, idempotent re-ingest, dry run, export,
# the other state commands.  Skipped where ../shared is absent.
#
# Floors only ever go up.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
need_corpus
DEV=$SHARED/corpus/dev

# --- floors ------------------------------------------------------------------
# share of the recipients the labels call hard that end up suppressed (percent)
LABEL_HARD_SUPPRESSED=85.0
# -----------------------------------------------------------------------------

CONF=$TMP/bw.conf
printf 'state = "%s/state.db";\nlog = { level = "warning"; };\n' "$TMP" > "$CONF"
BW() { "$BOUNCEWATCH" -c "$CONF" "$@"; }

# a dry run keeps nothing
BW ingest --dry-run --json "$DEV" > "$TMP/dry.jsonl" 2> "$TMP/dry.err"
check "dry run exits 0" test $? -eq 0
check "dry run: one JSON line per message" test "$(wc -l < "$TMP/dry.jsonl")" -ge "$(ls "$DEV"/*.eml | wc -l)"
check "dry run: decisions printed" grep -q '"event":"suppress"' "$TMP/dry.jsonl"
BW suppress list > "$TMP/empty.txt" 2>/dev/null
check "dry run: suppression list still empty" test ! -s "$TMP/empty.txt"

# the real thing
BW ingest "$DEV" > "$TMP/ingest.txt" 2> "$TMP/ingest.err"
check "ingest exits 0" test $? -eq 0
grep -q ' 0 failed' "$TMP/ingest.err" || fail "ingest: no failed message ($(cat "$TMP/ingest.err"))"
BW parse --json "$DEV" > "$TMP/parse.jsonl" 2>/dev/null
BW suppress export --format json > "$TMP/sup.json"
check "export json exits 0" test $? -eq 0
BW suppress export > "$TMP/sup.csv"
check "export csv exits 0" test $? -eq 0

# The list against the classifier's own events and against the labels.
"$PYTHON3" - "$TMP/parse.jsonl" "$TMP/sup.json" "$TMP/sup.csv" "$DEV/labels.jsonl" \
	"$LABEL_HARD_SUPPRESSED" > "$TMP/check.txt" <<'EOF'
import csv, json, sys
parse, supj, supc, labels, floor = sys.argv[1:6]
sender = {"authfailure", "securityerror", "requireptr", "badreputation", "blocked",
          "norelaying", "failedstarttls", "speeding", "toomanyconn"}
rows = json.load(open(supj))
sup = {r["address"] for r in rows}
hard, complaint, grounds = set(), set(), set()
for line in open(parse):
    for e in json.loads(line)["events"]:
        r = e["recipient"]
        if not r or e.get("unverified"):
            continue
        if e["kind"] == "hard" and e["reason"] not in sender:
            hard.add(r)
        if e["kind"] == "complaint":
            complaint.add(r)
        if e["kind"] in ("hard", "soft", "complaint") and e["reason"] not in sender:
            grounds.add(r)
def say(ok, what):
    print(("ok " if ok else "not ok ") + what)
say(len(sup) > 0, "suppression list not empty (%d)" % len(sup))
missing = (hard | complaint) - sup
say(not missing, "every hard-bounced or complaining recipient is suppressed %s" % sorted(missing)[:5])
extra = sup - grounds
say(not extra, "nothing suppressed without a hard, soft or complaint event %s" % sorted(extra)[:5])
say(all(r["scope"] == "account" and r["account"] == "file" and r["event_id"] > 0 for r in rows),
    "every entry: account scope, account 'file', names its event")
fb = {r["address"] for r in rows if r["reason"] == "feedback"}
say(complaint - hard <= fb and len(fb) > 0, "complaints suppressed with reason feedback (%d)" % len(fb))
with open(supc, newline="") as f:
    c = list(csv.reader(f))
say(c[0] == ["address", "scope", "account", "reason", "created", "event_id", "detail"]
    and {x[0] for x in c[1:]} == sup, "csv export: header and the same addresses")
lh = set()
for line in open(labels):
    for e in json.loads(line)["expect"]:
        if e.get("hard") and e.get("recipient_sisimai"):
            lh.add(e["recipient_sisimai"].lower())
low = {s.lower() for s in sup}
pct = 100.0 * len(lh & low) / len(lh)
say(pct >= float(floor), "label-hard recipients suppressed: %.1f%% (floor %s%%)" % (pct, floor))
EOF
while read -r status rest; do
	if [ "$status" = ok ]; then pass "$rest"; else fail "${rest#ok }"; fi
done < "$TMP/check.txt"

# idempotent: a second ingest changes nothing
BW ingest "$DEV" > /dev/null 2> "$TMP/again.err"
check "re-ingest exits 0" test $? -eq 0
check "re-ingest: every message already seen" grep -q ' 0 processed' "$TMP/again.err"
BW suppress export --format json > "$TMP/sup2.json"
check "re-ingest: suppression list unchanged" cmp -s "$TMP/sup.json" "$TMP/sup2.json"

# the other state commands on the result
ADDR=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["address"])' "$TMP/sup.json")
BW address --json "$ADDR" > "$TMP/addr.json"
check "address --json of a suppressed address" "$PYTHON3" -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["suppressed"] and o["events"] and o["decisions"], o
assert any(d["event"] == "suppress" for d in o["decisions"])' "$TMP/addr.json"
BW address nobody@nowhere.invalid > /dev/null 2>&1
check "address: unknown address exits 1" test $? -eq 1
BW suppress remove "$ADDR" > /dev/null
check "suppress remove exits 0" test $? -eq 0
BW address --json "$ADDR" > "$TMP/addr2.json"
check "removed: no longer suppressed, unsuppress in its history" "$PYTHON3" -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert not o["suppressed"], o
assert o["decisions"][-1]["event"] == "unsuppress", o["decisions"]' "$TMP/addr2.json"
BW suppress add "$ADDR" --reason manual > /dev/null
check "suppress add exits 0" test $? -eq 0
BW suppress add "$ADDR" > /dev/null 2>&1
check "suppress add twice exits 1" test $? -eq 1
BW report --by reason --json > "$TMP/report.jsonl"
check "report --by reason --json: userunknown counted" grep -q '"reason":"userunknown"' "$TMP/report.jsonl"
for by in campaign domain account; do
	BW report --by $by > /dev/null
	check "report --by $by exits 0" test $? -eq 0
done
BW report --by nonsense > /dev/null 2>&1
check "report --by nonsense exits 2" test $? -eq 2
BW campaign sent some-campaign 1000 > /dev/null
check "campaign sent exits 0" test $? -eq 0
# a campaign of the corpus with hard bounces: a small sent count raises the alert, once
CAMP=$(BW report --json | "$PYTHON3" -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["campaign"] and o["hard"] > 0:
        print(o["campaign"]); break')
if [ -n "$CAMP" ]; then
	BW campaign sent "$CAMP" 10 > "$TMP/sent.txt"
	check "campaign sent: hard-rate alert for $CAMP" grep -q "^alert: .*hard bounce rate" "$TMP/sent.txt"
	BW campaign sent "$CAMP" 10 > "$TMP/sent2.txt"
	check "campaign sent again: no second alert" test "$(grep -c '^alert:' "$TMP/sent2.txt")" -eq 0
	BW report --json | grep -F "\"campaign\":$("$PYTHON3" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$CAMP")" > "$TMP/camp.json"
	check "report: the sent count and rates of $CAMP" grep -q '"sent":10,"hard_rate":' "$TMP/camp.json"
else
	fail "no campaign with hard bounces in the corpus"
fi
BW campaign list --json > "$TMP/campaigns.jsonl"
check "campaign list exits 0" test $? -eq 0
for cmd in ingest suppress address report campaign; do
	BW $cmd --help > /dev/null
	check "$cmd --help exits 0" test $? -eq 0
done
finish
