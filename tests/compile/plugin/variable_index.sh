#!/bin/sh
# variable_index.sh CC-AND-PASS-FLAGS INCLUDE WORKDIR - variable_index.c at
# -O0 and -O2 with -fplugin-arg-scall-verbose and convert-stores: calls
# through an array of keys with a variable index stay indirect and are
# counted; a store with a variable index covers the whole array (96 bytes),
# one with a constant index its member (8 bytes at sys+64).
set -u
cc=$1 inc=$2 work=$3
src=$(dirname "$0")/variable_index.c
mkdir -p "$work"
failed=0
fail() { echo "FAIL $o: $*"; failed=1; }
for o in -O0 -O2; do
	out="$work/variable_index$o.s"
	if ! $cc $o -fno-pie -Wall -Werror -I"$inc" -fplugin-arg-scall-verbose \
		-fplugin-arg-scall-convert-stores -S "$src" -o "$out" 2>"$out.err"; then
		cat "$out.err"
		fail compile
		continue
	fi
	cat "$out.err"
	grep -q 'variable_index\.c:8: scall: in call_var: 2 calls through keys with a variable index left indirect$' "$out.err" ||
		fail "no count of the 2 variable-index calls of call_var"
	grep -q 'variable_index\.c:8: scall: site in call_var: key fns+8, plain, call$' "$out.err" ||
		fail "fns[1] in call_var not converted"
	grep -q 'variable_index\.c:9: scall: site in call_const: key sys+80, plain, \(call\|jmp\)$' "$out.err" ||
		fail "sys[3].cur not converted to key sys+80"
	[ "$(grep -c 'variable index' "$out.err")" = 1 ] || fail "a variable-index count elsewhere"
	grep -q 'variable_index\.c:10: scall: store in store_var: key sys converted$' "$out.err" ||
		fail "store_var's store not converted"
	# Each function's calls to __scall_stored with their constant arguments.
	awk '
	/^[A-Za-z_][A-Za-z0-9_.]*:/ { fn = $1; sub(":", "", fn) }
	fn != "" && /\$[0-9]+, %esi/ { len[fn] = $2; sub(",.*", "", len[fn]) }
	fn != "" && /sys(\+[0-9]+)?(\(%rip\))?, %(e|r)di/ { addr[fn] = $2; sub(",.*", "", addr[fn]) }
	fn != "" && /(call|jmp)[lq]?[ \t]+__scall_stored/ { print fn, addr[fn], len[fn] }
	' "$out" >"$out.stored"
	cat "$out.stored"
	grep -qx 'store_var \$\?sys\((%rip)\)\? \$96' "$out.stored" ||
		fail "store_var: no __scall_stored(&sys, 96)"
	grep -qx 'store_const \$\?sys+64\((%rip)\)\? \$8' "$out.stored" ||
		fail "store_const: no __scall_stored(&sys + 64, 8)"
done
[ $failed = 0 ] && echo ok
exit $failed
