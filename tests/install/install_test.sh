#!/bin/sh
# install_test.sh BUILD_DIR SOURCE_ROOT
# `meson install` into a DESTDIR, then build and run the demo against what
# was installed: headers and libscall through pkg-config, and the plugin and
# scall-ld from the DESTDIR when this build has them.
set -eu
build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest" "$dest.log"' EXIT
# Without --no-rebuild: `meson test` builds only what tests need, so let
# install build the rest (this test runs alone: is_parallel false).
meson install -C "$build" --destdir "$dest" --quiet >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; exit 1; }

need() {
	found=$(find "$dest" -path "*$1" | head -n 1)
	[ -n "$found" ] || { echo "not installed: $1"; exit 1; }
	echo "$found"
}
need /include/scall.h >/dev/null
need /include/scall/format.h >/dev/null
need /libscall.a >/dev/null
lib=$(need /libscall.so)
pc=$(need /pkgconfig/scall.pc)

cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest pkg-config --cflags scall)
libs=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest pkg-config --libs scall)

plugin_flag=
if grep -q "gcc-plugin" "$build/meson-info/intro-targets.json" 2>/dev/null; then
	plugin=$(need /plugin/scall.so)
	plugin_flag=-fplugin=$plugin
fi
out=$dest/demo
# shellcheck disable=SC2086
gcc -O2 -pthread $plugin_flag $cflags -o "$out" "$src/examples/demo.c" $libs -pthread
if grep -q '"scall-ld"' "$build/meson-info/intro-targets.json" 2>/dev/null; then
	"$(need /bin/scall-ld)" "$out"
fi
LD_LIBRARY_PATH=$(dirname "$lib") "$out"
