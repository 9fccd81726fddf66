#!/bin/sh
# verp.sh - signed VERP return paths (issue 9, SPEC §9): `verp` prints them;
# with require_signed, a bounce whose recipient comes with a valid tag
# suppresses it, a forged one (no tag, a wrong tag, or a tag for another
# address) is recorded as unverified and suppresses nothing.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
S=$top_srcdir/tests/samples
BW=$BOUNCEWATCH

printf 'a-long-random-verp-secret-for-tests\n' > "$TMP/verp.key"
chmod 600 "$TMP/verp.key"
cat > "$TMP/bw.conf" <<EOF
state = "$TMP/state.db";
classify = { verp = { secret_file = "$TMP/verp.key"; require_signed = true; }; };
EOF

rp=$("$BW" -c "$TMP/bw.conf" verp --domain news.shop.example.com anna@example.org)
check "verp: exit 0" test $? -eq 0
check "verp: signed path shape ($rp)" sh -c "echo '$rp' | grep -Eq '^bounces\+[0-9a-f]{10}-anna=example\.org@news\.shop\.example\.com\$'"
"$BW" -c "$TMP/bw.conf" verp --domain x.example not-an-address > /dev/null 2> "$TMP/err"
check "verp: a non-address is refused (exit 1)" test $? -eq 1
tag=$(echo "$rp" | sed 's/^bounces+\([0-9a-f]*\)-.*/\1/')

# a genuine bounce, delivered to the signed return path
sed -e "s/bounces+anna=example.org@news.shop.example.com/$rp/g" "$S/postfix-userunknown.eml" > "$TMP/good.eml"
# forged: no tag at all, for another address
sed -e "s/anna@example.org/victim@example.org/g; s/bounces+anna=example.org/bounces+victim=example.org/g" \
	"$S/postfix-userunknown.eml" > "$TMP/forged-untagged.eml"
# forged: anna's valid tag reused for another address
sed -e "s/anna@example.org/victim2@example.org/g; s/bounces+anna=example.org/bounces+$tag-victim2=example.org/g" \
	"$S/postfix-userunknown.eml" > "$TMP/forged-wrongtag.eml"

"$BW" -c "$TMP/bw.conf" parse --json "$TMP/good.eml" "$TMP/forged-untagged.eml" "$TMP/forged-wrongtag.eml" > "$TMP/p.jsonl"
check "parse: the genuine bounce is verified" sh -c "grep good.eml '$TMP/p.jsonl' | grep -q 'anna@example.org' && ! grep good.eml '$TMP/p.jsonl' | grep -q unverified"
check "parse: the untagged forgery is unverified" sh -c "grep forged-untagged '$TMP/p.jsonl' | grep -q '\"unverified\":true'"
check "parse: the reused tag is unverified" sh -c "grep forged-wrongtag '$TMP/p.jsonl' | grep -q '\"unverified\":true'"

"$BW" -c "$TMP/bw.conf" ingest --no-flush "$TMP/good.eml" "$TMP/forged-untagged.eml" "$TMP/forged-wrongtag.eml" > /dev/null 2>&1
"$BW" -c "$TMP/bw.conf" suppress list > "$TMP/list"
check "ingest: the genuine recipient is suppressed" grep -q "anna@example.org" "$TMP/list"
check "ingest: no forged address is suppressed" sh -c "! grep -q victim '$TMP/list'"
"$BW" -c "$TMP/bw.conf" address victim@example.org > "$TMP/victim" 2>&1
check "ingest: the forged event is recorded" grep -qi "userunknown" "$TMP/victim"

# without require_signed the same forgery is an ordinary bounce
printf 'state = "%s/state2.db";\n' "$TMP" > "$TMP/open.conf"
"$BW" -c "$TMP/open.conf" ingest --no-flush "$TMP/forged-untagged.eml" > /dev/null 2>&1
"$BW" -c "$TMP/open.conf" suppress list > "$TMP/list2"
check "without require_signed: the bounce suppresses as usual" grep -q "victim@example.org" "$TMP/list2"

finish
