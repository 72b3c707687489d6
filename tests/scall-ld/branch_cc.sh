#!/bin/sh
# branch_cc.sh SCALL_LD SRCDIR MODE CC...: static branches laid out by the
# compiler itself (hot/cold partitioning and unrolling included), built by
# each compiler at several -O levels and code models; scall-ld --strict must
# accept every record and say nothing, and the program must take every
# branch the way its compiled form says.  MODE: "asm" is branch_cc.c (the
# format's asm goto, a hand-written header, no runtime); "scall.h:INC:LIB"
# is branch_real.c (scall.h's macros, linked with libscall in LIB).
set -u
ld=$1 src=$2 mode=$3
shift 3
case $mode in
asm)
	files="$src/branch_cc.c $src/branch_hdr.S $src/dummy_runtime.c"
	flags="-I$src" fn=work ;;
scall.h:*)
	inc=${mode#scall.h:}
	lib=${inc#*:}
	inc=${inc%%:*}
	files="$src/branch_real.c"
	flags="-I$inc -L$lib -Wl,-rpath,$lib -lscall -pthread" fn=work ;;
*)
	echo "branch_cc.sh: bad mode $mode"; exit 2 ;;
esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
st=0
for cc in "$@"; do
	for o in -O0 -O1 -O2 -O3 -Os "-O2 -fPIE -pie" "-O2 -no-pie" \
		 "-O3 -funroll-all-loops"; do
		f="$dir/t"
		# shellcheck disable=SC2086
		if ! $cc $o -g $files $flags -o "$f" 2>"$dir/cc.log"; then
			cat "$dir/cc.log"
			echo "FAIL: $cc $o: does not build"
			st=1
			continue
		fi
		out=$("$ld" --strict "$f" 2>&1) || { echo "$out"; echo "FAIL: $cc $o: scall-ld"; st=1; }
		[ -z "$out" ] || { echo "$out"; echo "FAIL: $cc $o: scall-ld said something"; st=1; }
		"$f" || { echo "FAIL: $cc $o: the program exits $?"; st=1; }
		line=$("$ld" --check --report "$f" | grep '^branch records:')
		cold=$("$ld" --check --report "$f" | grep -c " -> $fn\.cold")
		echo "$cc $o: $line; $cold into $fn.cold"
		case $line in
		*", 0 refused") ;;
		*) echo "FAIL: $cc $o: $line"; st=1 ;;
		esac
	done
done
exit $st
