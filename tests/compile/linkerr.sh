#!/bin/sh
# linkerr.sh CC PASSFLAGS INCDIR SRC LIBDIR RUN - a program built with the
# toolchain but linked without libscall fails, and the linker's message
# names the fix (format.h, SCALL_SYM_REGISTER); with -lscall after the
# objects it links, and runs when RUN is "run" (a sanitized libscall needs
# its sanitizer's runtime first, which this uninstrumented program has
# not).  CC and PASSFLAGS are command lines (split on spaces).
set -eu
cc=$1 pass=$2 inc=$3 src=$4 lib=$5 run=$6
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086 # command lines
$cc -O2 $pass -I"$inc" -c "$src" -o "$dir/a.o"
# shellcheck disable=SC2086
if $cc "$dir/a.o" -o "$dir/a" >"$dir/out" 2>&1; then
	echo "FAIL: linked without libscall"; exit 1
fi
cat "$dir/out"
grep -q "undefined reference to .__scall_needs_libscall__link_with_lscall'" "$dir/out" ||
	{ echo "FAIL: the link error does not name the fix"; exit 1; }
# shellcheck disable=SC2086
$cc "$dir/a.o" -o "$dir/a" -L"$lib" -Wl,-rpath,"$lib" -lscall -pthread
[ "$run" != run ] || "$dir/a" >/dev/null
echo ok
