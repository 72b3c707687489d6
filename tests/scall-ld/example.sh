#!/bin/sh
# example.sh SCALL_LD SRCDIR SITES MAKE-ARGS... - build the example with its
# Makefile (the README recipe), then check that scall-ld validated it with
# the sites its source must produce (SITES: sites.py arguments, split on
# spaces) and that it runs; a second make does nothing.
set -eu
ld=$1 src=$2 sites=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
make -C "$src" O="$dir" SCALL_LD="$ld" "$@"
# shellcheck disable=SC2086
python3 "$(dirname "$0")/sites.py" "$ld" "$dir/example" $sites
"$dir/example"
make -C "$src" O="$dir" SCALL_LD="$ld" "$@" | grep -q 'up to date'
# a failing scall-ld removes the target (.DELETE_ON_ERROR)
if make -B -C "$src" O="$dir" SCALL_LD=false "$@"; then exit 1; fi
test ! -e "$dir/example"
