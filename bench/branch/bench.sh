#!/bin/sh
# bench.sh INCLUDE LIBDIR WORKDIR CC...: build cost.c with each compiler at
# -O2 (no plugin: scall.h's asm goto needs none), print its TSC figures,
# then the callgrind instruction counts per iteration (if valgrind is
# installed).
set -eu
INC=$1 LIBDIR=$2 W=$3
shift 3
SRC=$(dirname "$0")
mkdir -p "$W"
for CC in "$@"; do
	name=$(basename "$(echo "$CC" | cut -d' ' -f1)")
	# shellcheck disable=SC2086
	$CC -O2 -g -gdwarf-4 -I"$INC" "$SRC/cost.c" -o "$W/cost-$name" \
		-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lscall
	echo "== $name $($CC -dumpversion) -O2"
	"$W/cost-$name"
	if command -v valgrind >/dev/null 2>&1; then
		echo "callgrind: instructions per iteration (10^6 iterations)"
		for m in none branch flag branch8 flag8; do
			valgrind -q --tool=callgrind \
				--callgrind-out-file="$W/cg.$name.$m" \
				--toggle-collect="loop_$m" "$W/cost-$name" cg $m
			ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$W/cg.$name.$m")
			awk -v m="$m" -v ir="$ir" \
				'BEGIN { printf "%-8s %8.2f\n", m, ir / 1e6 }'
		done
	fi
done
