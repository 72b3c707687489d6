#!/bin/sh
# plugin.sh CC SCALL_LD PLUGIN INCDIR LIBDIR SRC FLAGS... - build SRC
# (example/example.c) with the GCC plugin and FLAGS, then scall-ld --strict
# must accept it with its two sites recorded and validated (key op, in use
# and tail: sites.py), the result must run, and a second run must change
# nothing.  CC is the build's C compiler (a command line, split on spaces):
# the plugin loads only into the GCC it was built for.
set -eu
cc=$1 ld=$2 plugin=$3 inc=$4 lib=$5 src=$6
shift 6
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086 # CC is a command line
$cc "$@" -fplugin="$plugin" -I"$inc" "$src" -L"$lib" -Wl,-rpath,"$lib" \
	-lscall -pthread -o "$dir/p"
"$ld" --strict --report "$dir/p"
python3 "$(dirname "$0")/sites.py" "$ld" "$dir/p" --records 2 op:use op:tail
cp "$dir/p" "$dir/q"
"$ld" --strict "$dir/q"
cmp "$dir/p" "$dir/q"
"$dir/p"
