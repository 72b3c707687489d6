#!/bin/sh
# install_test.sh BUILD_DIR SOURCE_ROOT CC gcc-plugin|no-gcc-plugin CLANG|'' scall-ld|no-scall-ld
# `meson install` into a DESTDIR, then build and run the demo against what
# was installed: headers and libscall through pkg-config, and the GCC plugin
# (with CC, the build's C compiler: a command line), the Clang plugin (with
# CLANG) and scall-ld from the DESTDIR when this build has them.  A demo
# built with a plugin must hold its site (key checksum, in worker), recorded
# and validated: tests/scall-ld/sites.py with the installed scall-ld, or at
# least a scall_sites section without scall-ld.
set -eu
build=$1 src=$2 cc=$3 gcc_plugin=$4 clang=$5 scall_ld=$6
dest=$(mktemp -d)
trap 'rm -rf "$dest" "$dest.log"' EXIT
# Without --no-rebuild: `meson test` builds only what tests need, so let
# install build the rest (this test runs alone: is_parallel false).
meson install -C "$build" --destdir "$dest" --quiet >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; exit 1; }

need() {
	found=$(find "$dest" -path "*$1" | head -n 1)
	[ -n "$found" ] || { echo "not installed: $1" >&2; exit 1; }
	echo "$found"
}
need /include/scall.h >/dev/null
need /include/scall/format.h >/dev/null
need /libscall.a >/dev/null
lib=$(need /libscall.so)
pc=$(need /pkgconfig/scall.pc)
ld=
[ "$scall_ld" = no-scall-ld ] || ld=$(need /bin/scall-ld)

cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest pkg-config --cflags scall)
# The contract compiles from the installed headers alone (format.h includes
# its instruction forms, scall/insn.h), in C and in C++ (the plugins' side).
need /include/scall/insn.h >/dev/null
printf '#include <scall/format.h>\nint main(void) { return SCALL_CALL_LEN != 5; }\n' >"$dest/contract.c"
# shellcheck disable=SC2086 # command lines
$cc $cflags -std=c11 -Wall -Wextra -Werror -c "$dest/contract.c" -o "$dest/contract.o"
# shellcheck disable=SC2086
c++ $cflags -Wall -Wextra -Werror -x c++ -c "$dest/contract.c" -o "$dest/contract.o"
libs=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest pkg-config --libs scall)

# demo OUT WITH-PLUGIN(yes|no) CC FLAGS...: build, validate, check, run
demo() {
	out=$1 with=$2
	shift 2
	# with a plugin the demo itself fails unless its site was patched
	def=
	[ "$with" = no ] || def=-DSCALL_DEMO_TOOLCHAIN
	# shellcheck disable=SC2086
	"$@" -O2 -pthread $def $cflags -o "$out" "$src/examples/demo.c" $libs -pthread
	[ -z "$ld" ] || "$ld" "$out"
	if [ "$with" = no ]; then
		if readelf -S "$out" | grep -q scall_; then
			echo "$out: scall sections without a plugin"; exit 1
		fi
	elif [ -n "$ld" ]; then
		python3 "$src/tests/scall-ld/sites.py" "$ld" "$out" checksum:worker
	elif ! readelf -S "$out" | grep -q scall_sites; then
		echo "$out: built with the plugin but has no scall_sites section"; exit 1
	fi
	LD_LIBRARY_PATH=$(dirname "$lib") "$out"
}

if [ "$gcc_plugin" = gcc-plugin ]; then
	gp=$(need /plugin/scall.so)
	# shellcheck disable=SC2086 # a command line
	demo "$dest/demo" yes $cc -fplugin="$gp"
else
	# shellcheck disable=SC2086
	demo "$dest/demo" no $cc
fi
if [ -n "$clang" ]; then
	cp=$(need /scall-clang.so)
	# kind-4 records only become sites through scall-ld
	[ -n "$ld" ] || { echo "the Clang plugin is installed without scall-ld"; exit 1; }
	demo "$dest/demo-clang" yes "$clang" -fplugin="$cp" -fpass-plugin="$cp"
fi
