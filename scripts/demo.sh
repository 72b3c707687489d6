#!/bin/sh
# Quick start 1: install what is missing, build everything, run the demo.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build
echo
build/examples/demo
