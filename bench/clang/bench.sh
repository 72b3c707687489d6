#!/bin/sh
# bench.sh CLANG PLUGIN SCALL_LD INCLUDE LIBDIR WORKDIR: the call benchmark of
# bench/calls built with clang and the Clang pass (then scall-ld, so the
# site is patched direct), the retpoline loop built with -mretpoline; then
# callgrind instruction counts (if valgrind is installed).
set -eu
CC=$1 PLUGIN=$2 SCALL_LD=$3 INC=$4 LIBDIR=$5 W=$6
SRC=$(dirname "$0")/../calls
mkdir -p "$W"
$CC -O2 -c "$SRC/target.c" -o "$W/target.o"
$CC -O2 -mretpoline -c "$SRC/calls_retpoline.c" -o "$W/retp.o"
$CC -O2 -I"$INC" -fplugin="$PLUGIN" -fpass-plugin="$PLUGIN" -c "$SRC/calls.c" -o "$W/calls.o"
$CC "$W/calls.o" "$W/target.o" "$W/retp.o" -o "$W/calls" \
	-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lscall
"$SCALL_LD" "$W/calls"
echo "clang $($CC -dumpversion), Clang pass + scall-ld"
SCALL_QUIET=1 "$W/calls"
if command -v valgrind >/dev/null 2>&1; then
	echo "callgrind: instructions per call (10^6 calls, loop + callee)"
	for m in direct scall indirect retpoline; do
		SCALL_QUIET=1 valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.$m" \
			--toggle-collect="loop_$m" "$W/calls" cg $m
		ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$W/cg.$m")
		awk -v m="$m" -v ir="$ir" 'BEGIN { printf "%-10s %8.2f\n", m, ir / 1e6 }'
	done
fi
