#!/bin/sh
# run-all.sh - the whole test suite, as CI runs it, on a fresh Debian machine:
# install what is missing, build with warnings as errors (gcc), run every test;
# build again with clang under AddressSanitizer and UBSan, run every test again.
# Prints each suite's summary and a final "N passed, N failed" line.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/contrib/deps.sh" || { echo "run-all: installing dependencies failed"; exit 1; }
./autogen.sh || exit 1

total_pass=0
total_fail=0
status=0

# summarise BUILDDIR LABEL: print every test's summary, add up the results
summarise() {
	b=$1; label=$2
	echo "=== $label: per-test summaries"
	for log in $(find "$b/tests" -name '*.log' | sort); do
		name=${log#"$b"/}
		# cmocka's closing lines and our scripts' "N passed, N failed"
		grep -E '^\[  (PASSED|FAILED)  \]|^\[==========\] .* ran|^[0-9]+ passed, [0-9]+ failed|^SKIP:|^(dev|flufl|dev rfc3464-\*): SUMMARY' "$log" \
			| sed "s|^|  ${name%.log}: |"
	done
	p=0; f=0
	for trs in $(find "$b/tests" -name '*.trs'); do
		r=$(sed -n 's/^:test-result: //p' "$trs")
		case $r in
		PASS|SKIP) p=$((p + 1)) ;;
		*) f=$((f + 1)) ;;
		esac
	done
	echo "=== $label: $p test programs passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

run_build() { # DIR LABEL CONFIGURE-ARGS...
	b=$1; label=$2; shift 2
	rm -rf "$b"
	mkdir -p "$b"
	( cd "$b" && "$top/configure" -q "$@" ) || { echo "$label: configure failed"; status=1; return; }
	if ! make -C "$b" -j2 -s > "$b/build.log" 2>&1; then
		cat "$b/build.log"; echo "$label: build failed"; status=1; total_fail=$((total_fail + 1)); return
	fi
	make -C "$b" -j2 -s check > "$b/check.log" 2>&1 || status=1
	summarise "$b" "$label"
	if [ $status -ne 0 ]; then
		for log in $(grep -l -E '^:test-result: (FAIL|ERROR)' $(find "$b/tests" -name '*.trs') 2>/dev/null); do
			echo "--- ${log%.trs}.log"; tail -40 "${log%.trs}.log"
		done
	fi
}

run_build "$top/_build/gcc" "gcc -Werror" --enable-werror CC=gcc
# the unit tests under valgrind: no leak, no invalid access
vg_pass=0; vg_fail=0
echo "=== valgrind: unit tests"
for t in $(find "$top/_build/gcc/tests/unit" -maxdepth 1 -type f -name 'test_*' ! -name '*.*' | sort); do
	if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$t" > "$t.valgrind.log" 2>&1; then
		vg_pass=$((vg_pass + 1))
	else
		vg_fail=$((vg_fail + 1)); status=1
		echo "  ${t##*/}: valgrind found errors"; tail -30 "$t.valgrind.log"
	fi
done
echo "=== valgrind: $vg_pass unit test programs clean, $vg_fail with errors"
total_pass=$((total_pass + vg_pass)); total_fail=$((total_fail + vg_fail))

run_build "$top/_build/asan" "clang -Werror, ASan+UBSan" --enable-werror --enable-sanitizers CC=clang

# a short run of every fuzz target (issue 9): clang, libFuzzer, ASan+UBSan
fz=$top/_build/fuzz
rm -rf "$fz"; mkdir -p "$fz"
if ( cd "$fz" && "$top/configure" -q --enable-werror --enable-fuzzers CC=clang ) &&
   make -C "$fz" -j2 -s > "$fz/build.log" 2>&1; then
	echo "=== fuzzers: ${FUZZ_SECONDS:-20} s each"
	if "$top/tests/fuzz/run.sh" "$fz" "${FUZZ_SECONDS:-20}"; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1)); status=1
	fi
else
	cat "$fz/build.log"; echo "fuzzers: build failed"; total_fail=$((total_fail + 1)); status=1
fi

echo "$total_pass passed, $total_fail failed"
[ $status -eq 0 ] && [ $total_fail -eq 0 ]
