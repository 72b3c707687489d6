#!/bin/sh
# plugin.sh SCALL_LD PLUGIN INCDIR LIBDIR SRC FLAGS... - build SRC
# (example/example.c) with the GCC plugin and FLAGS, then scall-ld --strict
# must accept it with its two sites recorded and validated (key op, in use
# and tail: sites.py), the result must run, and a second run must change
# nothing.
set -eu
ld=$1 plugin=$2 inc=$3 lib=$4 src=$5
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc "$@" -fplugin="$plugin" -I"$inc" "$src" -L"$lib" -Wl,-rpath,"$lib" \
	-lscall -pthread -o "$dir/p"
"$ld" --strict --report "$dir/p"
python3 "$(dirname "$0")/sites.py" "$ld" "$dir/p" --records 2 op:use op:tail
cp "$dir/p" "$dir/q"
"$ld" --strict "$dir/q"
cmp "$dir/p" "$dir/q"
"$dir/p"
