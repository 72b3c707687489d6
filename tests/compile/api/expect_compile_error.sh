#!/bin/sh
# expect_compile_error.sh CC SOURCE CASE INCLUDE_DIR [EXTRA_CFLAGS...]
# CASE 0 must compile with -Wall -Wextra -Werror.  Any other CASE must fail,
# with an error (not a warning) on the line that carries "/* case N */" and
# scall's message naming the key.
set -u
cc=$1 src=$2 case=$3 inc=$4
shift 4
out=$($cc -std=gnu11 -Wall -Wextra -Werror -I"$inc" -DCASE="$case" "$@" \
	-c "$src" -o /dev/null 2>&1)
rc=$?
if [ "$case" = 0 ]; then
	[ $rc -eq 0 ] && exit 0
	printf 'control case failed to compile:\n%s\n' "$out"; exit 1
fi
if [ $rc -eq 0 ]; then
	echo "case $case compiled, but it must be an error"; exit 1
fi
line=$(grep -n "/\* case $case \*/" "$src" | cut -d: -f1)
file=$(basename "$src")
# gcc reports a _Static_assert inside a macro at the macro's line and names
# the user's line in an "in expansion of macro" note; clang reports the
# user's line directly.  Either way both must be there.
if ! printf '%s\n' "$out" | grep -E "error: .*scall: the target.{1,2}s type does not match key .{1,2}op" >/dev/null ||
   ! printf '%s\n' "$out" | grep -E "$file:$line:[0-9]+:" >/dev/null; then
	printf 'case %s: expected the scall error at %s:%s, got:\n%s\n' "$case" "$file" "$line" "$out"
	exit 1
fi
exit 0
