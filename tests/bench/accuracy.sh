#!/bin/sh
# accuracy.sh - bouncewatch, Sisimai and flufl.bounce scored the same way
# (../shared/tools/score.py) on the same corpora, in one run.
#   tests/bench/accuracy.sh BOUNCEWATCH
set -u
bw=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${BW_SHARED:-$top/../shared}
score=$shared/tools/score.py
[ -f "$score" ] || { echo "accuracy.sh: no corpus at $shared"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

row() { # NAME SET RESULTS
	flags=""; [ "$2" = dev ] && flags=--skip-pseudo-status
	line=$(python3 "$score" $flags "$shared/corpus/$2/labels.jsonl" "$3" | grep '^SUMMARY')
	printf '%-13s %-6s %s\n' "$1" "$2" "$(echo "$line" | cut -d' ' -f4-)"
}
for set in dev flufl; do
	case $set in dev) files="$shared/corpus/dev/*.eml" ;; flufl) files="$shared/corpus/flufl/*.txt" ;; esac
	# shellcheck disable=SC2086
	"$bw" parse --json $files > "$tmp/bw-$set.jsonl" 2>/dev/null
	row bouncewatch $set "$tmp/bw-$set.jsonl"
	if perl -MSisimai -e 1 2>/dev/null; then
		# shellcheck disable=SC2086
		perl "$top/tests/bench/sisimai-json.pl" $files > "$tmp/ss-$set.jsonl" 2>/dev/null
		row "sisimai $(perl -MSisimai -e 'print $Sisimai::VERSION')" $set "$tmp/ss-$set.jsonl"
	fi
	if /usr/bin/python3 -c 'import flufl.bounce' 2>/dev/null; then
		# shellcheck disable=SC2086
		/usr/bin/python3 "$top/tests/bench/flufl-json.py" $files > "$tmp/fl-$set.jsonl" 2>/dev/null
		row flufl.bounce $set "$tmp/fl-$set.jsonl"
	fi
done
