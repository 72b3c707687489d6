#!/bin/sh
# bench.sh gcc|clang CC PLUGIN INCLUDE LIBDIR WORKDIR [SCALL_LD]: build and
# run the call benchmark with the GCC plugin or the Clang pass (then
# scall-ld if given; a Clang-built site is patched direct only after it),
# the retpoline loop with the compiler's retpoline flag; then the callgrind
# instruction counts (if valgrind is installed).
set -eu
KIND=$1 CC=$2 PLUGIN=$3 INC=$4 LIBDIR=$5 W=$6 SCALL_LD=${7:-}
SRC=$(dirname "$0")
case $KIND in
gcc) PASS="-fplugin=$PLUGIN" RETPOLINE=-mindirect-branch=thunk ;;
clang) PASS="-fplugin=$PLUGIN -fpass-plugin=$PLUGIN" RETPOLINE=-mretpoline ;;
*) echo "bench.sh: first argument must be gcc or clang" >&2; exit 2 ;;
esac
mkdir -p "$W"
$CC -O2 -c "$SRC/target.c" -o "$W/target.o"
$CC -O2 $RETPOLINE -c "$SRC/calls_retpoline.c" -o "$W/retp.o"
$CC -O2 -I"$INC" $PASS -c "$SRC/calls.c" -o "$W/calls.o"
$CC "$W/calls.o" "$W/target.o" "$W/retp.o" -o "$W/calls" \
	-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lscall
[ -z "$SCALL_LD" ] || "$SCALL_LD" "$W/calls"
echo "$KIND $($CC -dumpversion)${SCALL_LD:+, scall-ld}"
"$W/calls"
if command -v valgrind >/dev/null 2>&1; then
	echo "callgrind: instructions per call (10^6 calls, loop + callee)"
	for m in direct scall indirect retpoline; do
		valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.$m" \
			--toggle-collect="loop_$m" "$W/calls" cg $m
		ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$W/cg.$m")
		awk -v m="$m" -v ir="$ir" 'BEGIN { printf "%-10s %8.2f\n", m, ir / 1e6 }'
	done
fi
