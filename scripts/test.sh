#!/bin/sh
# Quick start 2: install what is missing, then build and run every test in
# three configurations: gcc, gcc with AddressSanitizer + UBSan, and clang
# (LLVM 14); then the compiler-dependent suites with the other compilers
# CI tests: the Clang pass with LLVM 16 (opaque pointers) and the GCC
# plugin with GCC 11.  Extra arguments go to `meson test` (e.g. a suite name).
#
# scripts/test.sh --all-compilers also runs the compiler-dependent suites
# with every other tested version: LLVM 13, LLVM 15 (opaque and typed
# pointers) and LLVM 16 with typed pointers, installing their packages
# first (scripts/deps.sh --all-compilers).
#
# Every part a configuration should build is forced on (a missing one fails
# the set-up instead of switching its tests off), the suites each one must
# contain are checked, and a skipped test counts against the run unless its
# name is in SCALL_ALLOW_SKIP (space-separated), e.g.
# SCALL_ALLOW_SKIP="nginx sqlite" scripts/test.sh on a machine without Debian's
# source archive.  Each configuration's LLVM is chosen with a meson native
# file ($dir.native.ini), as README.md shows.
set -u
cd "$(dirname "$0")/.."
all_compilers=
if [ "${1:-}" = --all-compilers ]; then
	all_compilers=yes
	shift
fi
scripts/deps.sh ${all_compilers:+--all-compilers} || exit 1

passed=0 failed=0 skipped=0 skipped_names= allowed_names=
# suites (or suite+suite: one test in both) a configuration must contain
suites_gcc="runtime runtime+valgrind fallback compile compile+plugin run+plugin
compile+clang run+clang scall-ld fuzz scall-scan examples install realworld random soak gdb"
suites_asan="runtime fallback sanitize compile compile+plugin run+plugin compile+clang
scall-ld scall-scan examples soak gdb"
suites_clang="runtime runtime+valgrind fallback compile compile+clang run+clang scall-ld
scall-scan examples install gdb"
dup_asan="--no-suite fuzz"
dup_clang="--no-suite fuzz --no-suite install-once"
# The other compilers run the suites that depend on the compiler only (for
# an LLVM with gcc as CC, scall-ld's tests other than the fuzz test, which
# clang builds, are the gcc configuration's again).
suites_llvm="compile+clang run+clang fuzz scall-scan"
run_llvm="--suite clang --suite fuzz --suite scall-scan"
suites_gcc11="compile+plugin run+plugin scall-ld examples"
run_gcc11="--suite plugin --suite scall-ld --suite examples"

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

run() { # run DIR LLVM-MAJOR C-COMPILER C++-COMPILER "SUITES" "TEST-ARGS" SETUP-ARGS...
	dir=$1 llvm=$2 c=$3 cxx=$4 suites=$5 only=$6
	shift 6
	echo "=== $dir ($c, LLVM $llvm${only:+: $only})"
	start=$(date +%s)
	printf "[binaries]\nllvm-config = 'llvm-config-%s'\n" "$llvm" >"$dir.native.ini"
	if [ -f "$dir/build.ninja" ]; then set -- --reconfigure "$@"; fi
	if ! CC=$c CXX=$cxx meson setup --native-file "$dir.native.ini" "$@" "$dir" \
		>"$dir.setup.log" 2>&1; then
		cat "$dir.setup.log"
		failed=$((failed + 1))
		return
	fi
	if ! check_suites "$dir" "$suites"; then
		failed=$((failed + 1))
		return
	fi
	# A configuration that runs some suites only (--suite) lets `meson test`
	# build what they need (the rest is the same source the others build
	# whole); one that leaves some out (--no-suite) builds everything.
	partial=
	for a in $only; do [ "$a" = --suite ] && partial=yes; done
	if [ -z "$partial" ] && ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		tail -n 60 "$dir.compile.log"
		failed=$((failed + 1))
		return
	fi
	# shellcheck disable=SC2086 # word lists
	meson test -C "$dir" --print-errorlogs --num-processes 2 $only $extra \
		>"$dir.test.log" 2>&1
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
	echo "$dir: ${ok} ok, ${fl:-0} failed, ${to:-0} timed out, ${sk:-0} skipped ($(($(date +%s) - start)) s)"
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
# wrong_gcc DIR GCC: the plugin DIR built, loaded into GCC of another
# version, fails with the plugin's message naming both versions.
wrong_gcc() {
	plugin=$1/gcc-plugin/scall.so built=$(echo "$3" | cut -d. -f1)
	host=$($2 -dumpversion | cut -d. -f1)
	out=$(echo 'int x;' | $2 -fplugin="$plugin" -x c -c - -o /dev/null 2>&1)
	st=$?
	if [ $st -ne 1 ] || ! printf '%s\n' "$out" |
		grep -q "scall plugin: built for GCC $built[^,]*, loaded into GCC $host"; then
		printf '=== %s loaded into %s: status %s, want 1 and the versions:\n%s\n' \
			"$plugin" "$2" $st "$out"
		failed=$((failed + 1))
	else
		echo "=== $plugin loaded into $2: refused, naming GCC $built and $host"
	fi
}
extra="$*"
parts="-Dgcc_plugin=enabled -Dclang_pass=enabled -Dscall_ld=enabled"
run build 14 gcc g++ "$suites_gcc" "" $parts
# The sanitized and the clang configurations leave out what would only run
# again as it ran in the first: the fuzz test (the same clang-14 fuzzer,
# whatever the configuration's compiler) and, for clang, the install tests
# other than install-destdir (the first configuration's install-cmake,
# install-system and install-subproject already build with both plugins;
# the man pages do not depend on the compiler).
run build-asan 14 gcc g++ "$suites_asan" "$dup_asan" $parts -Db_sanitize=address,undefined
run build-clang 14 clang-14 clang++-14 "$suites_clang" "$dup_clang" -Dgcc_plugin=disabled -Dclang_pass=enabled -Dscall_ld=enabled
# The Clang pass of the newest LLVM tested (opaque pointers) with the GCC
# plugin, for the mixed programs.
run build-llvm16 16 gcc g++ "$suites_llvm" "$run_llvm" $parts
run build-gcc11 14 gcc-11 g++-11 "$suites_gcc11" "$run_gcc11" -Dgcc_plugin=enabled -Dclang_pass=disabled -Dscall_ld=enabled
wrong_gcc build-gcc11 gcc 11
# The Debian packages: built, installed with apt-get, the demo built and run
# with only what they installed, info scall in gdb, then purged.
t0=$(date +%s)
if scripts/deb_test.sh >deb_test.log 2>&1; then
	echo "=== deb_test.sh: PASS ($(( $(date +%s) - t0 )) s)"
	passed=$((passed + 1))
else
	tail -n 40 deb_test.log
	echo "=== deb_test.sh: FAIL ($(( $(date +%s) - t0 )) s, log deb_test.log)"
	failed=$((failed + 1))
fi
if [ -n "$all_compilers" ]; then
	run build-llvm13 13 gcc g++ "$suites_llvm" "$run_llvm" $parts
	run build-llvm15 15 gcc g++ "$suites_llvm" "$run_llvm" $parts
	run build-llvm15-typed 15 gcc g++ "$suites_llvm" "$run_llvm" $parts -Dclang_test_pointers=typed
	run build-llvm16-typed 16 gcc g++ "$suites_llvm" "$run_llvm" $parts -Dclang_test_pointers=typed
	wrong_gcc build gcc-11 12
fi
echo "logs: build*/meson-logs/testlog.txt"
[ -z "$skipped_names" ] || echo "skipped, counted as failures:$skipped_names"
[ -z "$allowed_names" ] || echo "skipped, allowed by SCALL_ALLOW_SKIP:$allowed_names"
echo "scall: $passed passed, $failed failed, $skipped skipped${skipped_names:+ (not allowed:$skipped_names)}"
[ "$failed" -eq 0 ]
