#!/bin/sh
# Quick start 2: install what is missing, then build and run every test in
# three configurations: gcc, gcc with AddressSanitizer + UBSan, and clang.
# Extra arguments go to `meson test` (e.g. a suite name).
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

passed=0 failed=0 skipped=0
run() { # run DIR C-COMPILER C++-COMPILER SETUP-ARGS...
	dir=$1 c=$2 cxx=$3
	shift 3
	echo "=== $dir ($c)"
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$c CXX=$cxx meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; failed=$((failed + 1)); return; }
	fi
	if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		tail -n 60 "$dir.compile.log"
		failed=$((failed + 1))
		return
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 $extra >"$dir.test.log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|UNEXPECTEDPASS) ' "$dir.test.log" | sort -u || true
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir.test.log")
	fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir.test.log")
	to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir.test.log")
	sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$dir.test.log")
	up=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$dir.test.log")
	if [ -z "$ok" ]; then # meson test itself failed before the summary
		tail -n 30 "$dir.test.log"
		failed=$((failed + 1))
		return
	fi
	echo "$dir: ${ok} ok, ${fl:-0} failed, ${to:-0} timed out, ${sk:-0} skipped"
	passed=$((passed + ok))
	failed=$((failed + ${fl:-0} + ${to:-0} + ${up:-0}))
	skipped=$((skipped + ${sk:-0}))
}
extra="$*"
run build gcc g++
run build-asan gcc g++ -Db_sanitize=address,undefined
run build-clang clang-14 clang++-14
echo "logs: build*/meson-logs/testlog.txt"
echo "scall: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
