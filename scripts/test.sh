#!/bin/sh
# Quick start 2: install what is missing, then build and run every test in
# three configurations: gcc, gcc with AddressSanitizer + UBSan, and clang.
# Extra arguments go to `meson test` (e.g. a suite name).
#
# Every part a configuration should build is forced on (a missing one fails
# the set-up instead of switching its tests off), the suites each one must
# contain are checked, and a skipped test counts against the run unless its
# name is in SCALL_ALLOW_SKIP (space-separated), e.g.
# SCALL_ALLOW_SKIP=nginx scripts/test.sh on a machine without Debian's
# source archive.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

passed=0 failed=0 skipped=0 skipped_names= allowed_names=
# suites (or suite+suite: one test in both) a configuration must contain
suites_gcc="runtime runtime+valgrind fallback compile compile+plugin run+plugin
compile+clang run+clang scall-ld fuzz scall-scan examples install realworld random soak"
suites_asan="runtime fallback sanitize compile compile+plugin run+plugin compile+clang
scall-ld fuzz scall-scan examples soak"
suites_clang="runtime runtime+valgrind fallback compile compile+clang run+clang scall-ld
fuzz scall-scan examples install"

check_suites() { # DIR "SUITES": every listed suite has a test in DIR
	meson introspect --tests "$1" | python3 -c '
import json, sys
have = {frozenset(s.split(":", 1)[1] for s in t["suite"]) for t in json.load(sys.stdin)}
missing = [w for w in sys.argv[1].split() if not any(set(w.split("+")) <= h for h in have)]
if missing:
    print("missing suites (a part or a test folder was not built): " + " ".join(missing))
    sys.exit(1)' "$2"
}

print_failures() { # the last lines each failed test printed, for a CI log
	python3 -c '
import json, sys
for line in open(sys.argv[1] + "/meson-logs/testlog.json"):
    t = json.loads(line)
    if t["result"] in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    out = (t.get("stdout") or "").splitlines() + (t.get("stderr") or "").splitlines()
    print("--- %s: %s, last lines:" % (t["name"], t["result"]))
    print("\n".join("    " + l for l in out[-25:]))' "$1" || true
}

run() { # run DIR C-COMPILER C++-COMPILER "SUITES" SETUP-ARGS...
	dir=$1 c=$2 cxx=$3 suites=$4
	shift 4
	echo "=== $dir ($c)"
	if [ -f "$dir/build.ninja" ]; then set -- --reconfigure "$@"; fi
	if ! CC=$c CXX=$cxx meson setup "$@" "$dir" >"$dir.setup.log" 2>&1; then
		cat "$dir.setup.log"
		failed=$((failed + 1))
		return
	fi
	if ! check_suites "$dir" "$suites"; then
		failed=$((failed + 1))
		return
	fi
	if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		tail -n 60 "$dir.compile.log"
		failed=$((failed + 1))
		return
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 $extra >"$dir.test.log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|UNEXPECTEDPASS|SKIP) ' "$dir.test.log" | sort -u || true
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
	print_failures "$dir"
	passed=$((passed + ok))
	failed=$((failed + ${fl:-0} + ${to:-0} + ${up:-0}))
	for t in $(sed -n 's/^ *[0-9]*\/[0-9]* [^ ]* \/ \([^ ]*\)  *SKIP .*/\1/p' "$dir.test.log"); do
		skipped=$((skipped + 1))
		case " ${SCALL_ALLOW_SKIP:-} " in
		*" $t "*) allowed_names="$allowed_names $dir:$t" ;;
		*) skipped_names="$skipped_names $dir:$t" failed=$((failed + 1)) ;;
		esac
	done
}
extra="$*"
parts="-Dgcc_plugin=enabled -Dclang_pass=enabled -Dscall_ld=enabled"
run build gcc g++ "$suites_gcc" $parts
run build-asan gcc g++ "$suites_asan" $parts -Db_sanitize=address,undefined
run build-clang clang-14 clang++-14 "$suites_clang" -Dgcc_plugin=disabled -Dclang_pass=enabled -Dscall_ld=enabled
echo "logs: build*/meson-logs/testlog.txt"
[ -z "$skipped_names" ] || echo "skipped, counted as failures:$skipped_names"
[ -z "$allowed_names" ] || echo "skipped, allowed by SCALL_ALLOW_SKIP:$allowed_names"
echo "scall: $passed passed, $failed failed, $skipped skipped${skipped_names:+ (not allowed:$skipped_names)}"
[ "$failed" -eq 0 ]
