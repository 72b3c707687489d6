#!/bin/sh
# bench.sh CC PLUGIN INCLUDE LIBDIR WORKDIR: build and run the call benchmark,
# then the callgrind instruction counts (if valgrind is installed).
set -eu
CC=$1 PLUGIN=$2 INC=$3 LIBDIR=$4 W=$5
SRC=$(dirname "$0")
mkdir -p "$W"
$CC -O2 -c "$SRC/target.c" -o "$W/target.o"
$CC -O2 -mindirect-branch=thunk -c "$SRC/calls_retpoline.c" -o "$W/retp.o"
$CC -O2 -I"$INC" -fplugin="$PLUGIN" -c "$SRC/calls.c" -o "$W/calls.o"
$CC "$W/calls.o" "$W/target.o" "$W/retp.o" -o "$W/calls" \
	-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lscall
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
