#!/bin/sh
# branch_cc.sh SCALL_LD SRCDIR CC...: branch_cc.c (static branches laid out
# by the compiler itself, hot/cold partitioning and unrolling included)
# built by each compiler at several -O levels and code models; scall-ld
# --strict must accept every record and say nothing, and the program must
# take every branch the way its compiled form says.
set -u
ld=$1 src=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
st=0
for cc in "$@"; do
	for o in -O0 -O1 -O2 -O3 -Os "-O2 -fPIE -pie" "-O2 -no-pie" \
		 "-O3 -funroll-all-loops"; do
		f="$dir/t"
		# shellcheck disable=SC2086
		if ! $cc $o -g -I"$src" "$src/branch_cc.c" "$src/branch_hdr.S" \
			"$src/dummy_runtime.c" -o "$f" 2>"$dir/cc.log"; then
			cat "$dir/cc.log"
			echo "FAIL: $cc $o: does not build"
			st=1
			continue
		fi
		out=$("$ld" --strict "$f" 2>&1) || { echo "$out"; echo "FAIL: $cc $o: scall-ld"; st=1; }
		[ -z "$out" ] || { echo "$out"; echo "FAIL: $cc $o: scall-ld said something"; st=1; }
		"$f" || { echo "FAIL: $cc $o: the program exits $?"; st=1; }
		line=$("$ld" --check --report "$f" | grep '^branch records:')
		cold=$("$ld" --check --report "$f" | grep -c ' -> work\.cold')
		echo "$cc $o: $line; $cold into work.cold"
		case $line in
		*", 0 refused") ;;
		*) echo "FAIL: $cc $o: $line"; st=1 ;;
		esac
	done
done
exit $st
