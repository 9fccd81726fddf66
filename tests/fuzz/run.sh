#!/bin/sh
# run.sh - run every fuzz target for a while, seeded from our samples and,
# where it is present, the shared corpus (read in place, never copied into
# the project).  Crashes are saved under $OUT/crash-* and fail the run.
#
#   tests/fuzz/run.sh BUILDDIR [SECONDS-PER-TARGET]        (default 20)
#   FUZZ_RUNS=10000000 tests/fuzz/run.sh BUILDDIR          (a count instead)
#   FUZZ_TARGETS="fuzz_conf fuzz_template" ...             (some targets only)
#
# libconfig leaks a buffer on some syntax errors (lsan.supp); each input
# that does makes libFuzzer run a whole LeakSanitizer pass, which held
# fuzz_conf to ~500 executions a second.  A counted run (FUZZ_RUNS) of
# fuzz_conf therefore checks leaks once per input afterwards, by replaying
# the corpus it built with LeakSanitizer on, instead of during the run.
set -u
b=$1
secs=${2:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=$top/../shared
OUT=${OUT:-$b/fuzz-out}
export LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0"
mkdir -p "$OUT"
fail=0
for t in ${FUZZ_TARGETS:-fuzz_mime fuzz_classify fuzz_conf fuzz_template fuzz_json_write fuzz_imap_fetch}; do
	bin=$b/tests/fuzz/$t
	[ -x "$bin" ] || { echo "run.sh: $bin not built"; fail=1; continue; }
	work=$OUT/$t.corpus
	mkdir -p "$work"
	seeds="$top/tests/samples"
	case $t in
	fuzz_mime|fuzz_classify)
		[ -d "$shared/corpus/dev" ] && seeds="$seeds $shared/corpus/dev $shared/corpus/flufl" ;;
	fuzz_conf) seeds="$top/etc $top/contrib/hooks" ;;
	fuzz_template) seeds="$top/contrib/hooks" ;;
	fuzz_json_write) seeds="$top/tests/samples" ;;
	fuzz_imap_fetch) seeds="$top/tests/fuzz/imap" ;;
	esac
	# inputs up to: 95 % of the corpus's bounces are under 8 KB, 97 % under
	# 16 KB; a hook template and its event fit in 8 KB
	case $t in
	fuzz_classify) max_len=16384 ;;
	fuzz_template) max_len=8192 ;;
	fuzz_json_write) max_len=4096 ;;   # a field is at most 1 KB
	*) max_len=65536 ;;
	esac
	leaks=
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit="-runs=$FUZZ_RUNS"
		[ $t = fuzz_conf ] && leaks=-detect_leaks=0
	else
		limit="-max_total_time=$secs"
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" $limit $leaks -max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUT/$t-" "$work" $seeds > "$OUT/$t.log" 2>&1
	rc=$?
	secs_taken=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log")
	if [ $rc -eq 0 ] && [ -n "$leaks" ]; then
		# every input of the corpus once more, with LeakSanitizer
		"$bin" -runs=0 -max_len=$max_len -timeout=10 -artifact_prefix="$OUT/$t-leak-" \
			"$work" > "$OUT/$t.leaks.log" 2>&1
		rc=$?
		[ $rc -ne 0 ] && tail -30 "$OUT/$t.leaks.log"
		leaks=", corpus of $(ls "$work" | wc -l) replayed with LeakSanitizer"
	fi
	if [ $rc -ne 0 ]; then
		echo "not ok - $t: exit $rc after ${execs:-?} executions"; tail -30 "$OUT/$t.log"; fail=1
	else
		echo "ok - $t: ${execs:-?} executions in ${secs_taken} s, no crash$leaks"
	fi
done
exit $fail
