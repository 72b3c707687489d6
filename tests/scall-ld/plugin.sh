#!/bin/sh
# plugin.sh SCALL_LD PLUGIN INCDIR LIBDIR SRC FLAGS... - build SRC with the
# GCC plugin and FLAGS, then scall-ld --strict must accept it, the result
# must run, and a second run must change nothing.
set -eu
ld=$1 plugin=$2 inc=$3 lib=$4 src=$5
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc "$@" -fplugin="$plugin" -I"$inc" "$src" -L"$lib" -Wl,-rpath,"$lib" \
	-lscall -pthread -o "$dir/p"
"$ld" --strict --report "$dir/p"
cp "$dir/p" "$dir/q"
"$ld" --strict "$dir/q"
cmp "$dir/p" "$dir/q"
"$dir/p"
