#!/bin/sh
# fortify.sh CC PLUGIN INCDIR SRC - with -fplugin-arg-scall-convert-stores
# and -D_FORTIFY_SOURCE=2, each of set() and clear() in SRC (memcpy, memset
# into a struct key) is followed by __scall_stored, at every level that
# fortifies.
set -eu
cc=$1 plugin=$2 inc=$3 src=$4
fail=0
for o in -O1 -O2 -Os; do
	# shellcheck disable=SC2086 # CC is a command line
	ir=$($cc $o -D_FORTIFY_SOURCE=2 -I"$inc" -fplugin="$plugin" -fpass-plugin="$plugin" \
		-fplugin-arg-scall-convert-stores -S -emit-llvm -o - "$src")
	for fn in set clear; do
		body=$(printf '%s\n' "$ir" | awk -v f="@$fn(" 'index($0, "define") == 1 && index($0, f) { p = 1 } p { print } p && /^}/ { exit }')
		if ! printf '%s\n' "$body" | grep -q '@__scall_stored('; then
			echo "FAIL $o: $fn() has no __scall_stored after its store:"
			printf '%s\n' "$body"
			fail=1
		fi
	done
done
[ $fail -eq 0 ] && echo ok
exit $fail
