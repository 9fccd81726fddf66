# lib.sh - helpers for the script tests; sourced, never run.
# make check exports BOUNCEWATCH, top_srcdir, top_builddir and PYTHON3.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${BOUNCEWATCH:=$top_builddir/bouncewatch}"
: "${PYTHON3:=python3}"

# The shared corpus lives beside the project, never inside it.
SHARED=${BW_SHARED:-$top_srcdir/../shared}

n_pass=0
n_fail=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bw-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass() { n_pass=$((n_pass + 1)); echo "ok $n_pass - $*"; }
fail() { n_fail=$((n_fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: pass when the command succeeds
check() {
	desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

skip_all() { echo "SKIP: $*"; exit 77; }

need_corpus() {
	[ -f "$SHARED/corpus/dev/labels.jsonl" ] || skip_all "corpus not found at $SHARED/corpus (it stays in ../shared)"
}

finish() {
	echo "$n_pass passed, $n_fail failed"
	[ "$n_fail" -eq 0 ]
}
