#!/bin/sh
# Arrays of keys (issue 15): verbose converts the calls whose index is a
# constant where the pass runs and counts the others, through a local alias
# too (-O0: at() is not inlined, so its call has a variable index; -O2: it
# is, with index 2);
# converted stores to elements, constant or variable index, are followed by
# __scall_stored over the whole array.
# arrays.sh CC PLUGIN INCLUDE SRC WORKDIR
set -u
cc=$1 plugin=$2 inc=$3 src=$4 work=$5
mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
flags="-fplugin=$plugin -fpass-plugin=$plugin -I$inc -Wall -Werror -fplugin-arg-scall-convert-stores"
for opt in O0 O2; do
	# shellcheck disable=SC2086 # word lists
	out=$($cc $flags -fplugin-arg-scall-verbose -$opt -c "$src" -o "$work/arrays-$opt.o" 2>&1) || { fail "$opt: compile: $out"; continue; }
	echo "--- -$opt"; echo "$out"
	want=4; [ $opt = O2 ] && want=3
	echo "$out" | grep -q ": scall: $want calls through keys with a variable index left indirect$" ||
		fail "$opt: not '$want calls through keys with a variable index left indirect'"
	echo "$out" | grep -q "const_call: call through key sys__40 -> __scall_tramp_sys__40$" ||
		fail "$opt: sys[1].dflt not converted to sys__40"
	if [ $opt = O2 ]; then
		echo "$out" | grep -q "inlined: call through key fns__16 -> __scall_tramp_fns__16$" ||
			fail "O2: at(2, x) inlined not converted to fns__16"
	fi
	[ "$(echo "$out" | grep -c "call through key")" -eq $((5 - want)) ] ||
		fail "$opt: $((5 - want)) converted calls expected"
	# shellcheck disable=SC2086
	$cc $flags -$opt -S -emit-llvm "$src" -o "$work/arrays-$opt.ll" 2>/dev/null ||
		{ fail "$opt: convert-stores compile"; continue; }
	for fn_key in "store_var sys 72" "store_const fns 32"; do
		set -- $fn_key
		n=$(sed -n "/^define .*@$1(/,/^}/p" "$work/arrays-$opt.ll" |
			grep -c "call i32 @__scall_stored(.*@$2[ ,)].*i64 $3)")
		[ "$n" -eq 1 ] || fail "$opt: $1: $n calls of __scall_stored(&$2, $3), expected 1"
	done
done
[ $fails -eq 0 ] && echo ok
[ $fails -eq 0 ]
