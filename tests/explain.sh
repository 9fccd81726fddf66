#!/bin/sh
# explain.sh - golden tests for `bouncewatch explain`: the detector that
# decided, the lines it matched, how kind and reason followed.
#
# Each tests/samples/explain/NAME.eml (our own messages) is explained from
# inside tests/samples and compared with tests/golden/NAME.txt.  After an
# intended change, regenerate with: UPDATE_GOLDEN=1 tests/explain.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
SAMPLES=$top_srcdir/tests/samples
GOLDEN=$top_srcdir/tests/golden
[ -x "$BOUNCEWATCH" ] || skip_all "no bouncewatch binary at $BOUNCEWATCH"

for eml in "$SAMPLES"/explain/*.eml; do
	name=$(basename "$eml" .eml)
	(cd "$SAMPLES" && "$BOUNCEWATCH" explain "explain/$name.eml") > "$TMP/$name.txt" 2>&1
	if [ -n "$UPDATE_GOLDEN" ]; then
		cp "$TMP/$name.txt" "$GOLDEN/$name.txt"
		pass "$name: golden file written"
		continue
	fi
	if [ ! -f "$GOLDEN/$name.txt" ]; then
		fail "$name: no golden file $GOLDEN/$name.txt"
		continue
	fi
	if diff -u "$GOLDEN/$name.txt" "$TMP/$name.txt" > "$TMP/$name.diff"; then
		pass "$name: explain output matches"
	else
		cat "$TMP/$name.diff"
		fail "$name: explain output differs from the golden file"
	fi
	# CRLF and CR line ends give the same verdict and events
	sed 's/$/\r/' "$eml" > "$TMP/$name-crlf.eml"
	tr '\n' '\r' < "$eml" > "$TMP/$name-cr.eml"
	want=$("$BOUNCEWATCH" parse "$eml" | cut -f2-)
	check "$name: CRLF gives the same events" test "$("$BOUNCEWATCH" parse "$TMP/$name-crlf.eml" | cut -f2-)" = "$want"
	check "$name: CR gives the same events" test "$("$BOUNCEWATCH" parse "$TMP/$name-cr.eml" | cut -f2-)" = "$want"
done
finish
