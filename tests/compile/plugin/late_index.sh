#!/bin/sh
# late_index.sh CC-AND-PASS-FLAGS INCLUDE WORKDIR - late_index.c linked with
# tramp_runtime.c at -O0, -O2, -O3 and under -flto (also partitioned), with
# -fplugin-arg-scall-verbose (issue 15).  Optimised, the calls whose index
# becomes a constant after inlining (a static inline function's parameter)
# or unrolling (a loop over the array) are sites of the right member keys
# and direct calls to their trampolines in the file; the truly variable
# indexes stay indirect calls and are the only ones counted.  At -O0
# nothing inlines or unrolls: those calls stay indirect and are counted.
set -u
cc=$1 inc=$2 work=$3
here=$(dirname "$0")
mkdir -p "$work"
failed=0
fail() { echo "FAIL $o: $*"; failed=1; }
# The calls of function $1 (any clone of it) in the disassembly of $2:
# one line per call or jmp to a trampoline (its key's member offset) or
# through a register or memory ("indirect").
calls_of() {
	objdump -d --no-show-raw-insn "$2" | awk -v fn="$1" '
	/^[0-9a-f]+ <[^>]*>:$/ { name = $2; gsub(/[<>:]/, "", name); sub(/\..*/, "", name); on = name == fn; next }
	on && /(call|jmp)[lq]?[ \t]+\*/ { print "indirect" }
	on && /(call|jmp)[lq]?[ \t]+[0-9a-f]+ <__scall_tramp_sys/ { t = $NF; sub(/.*__/, "", t); sub(/[.>].*/, "", t); print t }
	'
}
for o in -O0 -O2 -O3 "-O2 -flto" "-O2 -flto=4 -flto-partition=max -fPIC -pie"; do
	tag=$(echo "$o" | tr -c 'A-Za-z0-9=\n' _)
	exe="$work/late_index$tag"
	if ! $cc $o -Wall -Werror -I"$inc" -fplugin-arg-scall-verbose "$here/late_index.c" \
		"$here/tramp_runtime.c" -o "$exe" 2>"$exe.err"; then
		cat "$exe.err"
		fail compile
		continue
	fi
	cat "$exe.err"
	[ "$("$exe")" = "7 14 4 14" ] || fail "wrong output"
	if [ "$o" = -O0 ]; then
		for f in at unrolled var varloop; do
			grep -q "late_index\.c:[0-9]*: scall: in $f: 1 call through keys with a variable index left indirect$" "$exe.err" ||
				fail "no count of $f's variable-index call"
		done
		[ "$(grep -c 'variable index' "$exe.err")" = 4 ] || fail "counts elsewhere"
		continue
	fi
	for k in 32 56; do
		grep -q "scall: site in inlined[.a-z0-9]*: key sys+$k, plain, call$" "$exe.err" ||
			fail "inlined: no site of key sys+$k"
	done
	for k in 8 32 56 80; do
		grep -q "scall: site in unrolled[.a-z0-9]*: key sys+$k, plain, call$" "$exe.err" ||
			fail "unrolled: no site of key sys+$k"
	done
	for f in var varloop; do
		grep -q "late_index\.c:[0-9]*: scall: in $f[.a-z0-9]*: 1 call through keys with a variable index left indirect$" "$exe.err" ||
			fail "no count of $f's variable-index call"
	done
	[ "$(grep -c 'variable index' "$exe.err")" = 2 ] || fail "counts elsewhere"
	[ "$(calls_of inlined "$exe" | sort | tr '\n' ' ')" = "32 56 " ] ||
		fail "inlined: calls $(calls_of inlined "$exe" | tr '\n' ' ')"
	[ "$(calls_of unrolled "$exe" | sort -n | tr '\n' ' ')" = "8 32 56 80 " ] ||
		fail "unrolled: calls $(calls_of unrolled "$exe" | tr '\n' ' ')"
	for f in var varloop; do
		[ "$(calls_of $f "$exe" | tr '\n' ' ')" = "indirect " ] ||
			fail "$f: calls $(calls_of $f "$exe" | tr '\n' ' ')"
	done
done
[ $failed = 0 ] && echo ok
exit $failed
