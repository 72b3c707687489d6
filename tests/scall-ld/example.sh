#!/bin/sh
# example.sh SCALL_LD SRCDIR MAKE-ARGS... - build the example with its
# Makefile (the README recipe), then check that scall-ld validated it and
# that it runs; a second make does nothing.
set -eu
ld=$1 src=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
make -C "$src" O="$dir" SCALL_LD="$ld" "$@"
json=$("$ld" --check --json "$dir/example")
echo "$json"
case $json in *'"valid":true,"header_flags":3,'*) ;; *) echo "not validated"; exit 1;; esac
"$dir/example"
make -C "$src" O="$dir" SCALL_LD="$ld" "$@" | grep -q 'up to date'
# a failing scall-ld removes the target (.DELETE_ON_ERROR)
if make -B -C "$src" O="$dir" SCALL_LD=false "$@"; then exit 1; fi
test ! -e "$dir/example"
