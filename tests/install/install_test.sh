#!/bin/sh
# install_test.sh BUILD_DIR SOURCE_ROOT CC gcc-plugin|no-gcc-plugin CLANG|'' scall-ld|no-scall-ld
# `meson install` into a DESTDIR, then build and run the demo against what
# was installed: headers and libscall through pkg-config, and the GCC plugin
# (with CC, the build's C compiler: a command line), the Clang plugin (with
# CLANG) and scall-ld from the DESTDIR when this build has them, each named
# by its scall.pc variable (gcc_plugin, clang_plugin, scall_ld: absolute
# paths that exist once installed, and no variable for a part the build does
# not have).  A demo built with a plugin must hold its site (key checksum,
# in worker), recorded and validated: tests/scall-ld/sites.py with the
# installed scall-ld, or at least a scall_sites section without scall-ld.
# The CMake package's files are installed (cmake_test.sh uses them).
set -eu
build=$1 src=$2 cc=$3 gcc_plugin=$4 clang=$5 scall_ld=$6
. "$src/tests/install/stage.sh"
stage "$build"

need /include/scall.h >/dev/null
need /include/scall/format.h >/dev/null
need /libscall.a >/dev/null
lib=$(need /libscall.so)
pc=$(need /pkgconfig/scall.pc)
for f in scallConfig.cmake scallConfigVersion.cmake scall-enable.cmake; do
	need "/cmake/scall/$f" >/dev/null
done

# pcvar NAME yes|no: the variable, absolute and installed, or absent
pcvar() {
	v=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable="$1" scall)
	if [ "$2" = no ]; then
		[ -z "$v" ] || { echo "scall.pc: $1=$v for a part this build does not have" >&2; exit 1; }
		return
	fi
	case $v in
	/*) ;;
	*) echo "scall.pc: $1='$v' is not an absolute path" >&2; exit 1 ;;
	esac
	[ -f "$dest$v" ] || { echo "scall.pc: $1=$v is not installed" >&2; exit 1; }
	echo "$dest$v"
}
has_scall_ld=yes
[ "$scall_ld" = scall-ld ] || has_scall_ld=no
ld=$(pcvar scall_ld $has_scall_ld)
[ -z "$ld" ] || [ -x "$ld" ] || { echo "$ld is not executable"; exit 1; }

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
	gp=$(pcvar gcc_plugin yes)
	# shellcheck disable=SC2086 # a command line
	demo "$dest/demo" yes $cc -fplugin="$gp"
else
	pcvar gcc_plugin no
	# shellcheck disable=SC2086
	demo "$dest/demo" no $cc
fi
if [ -n "$clang" ]; then
	cp=$(pcvar clang_plugin yes)
	# kind-4 records only become sites through scall-ld
	[ -n "$ld" ] || { echo "the Clang plugin is installed without scall-ld"; exit 1; }
	demo "$dest/demo-clang" yes "$clang" -fplugin="$cp" -fpass-plugin="$cp"
fi
[ -n "$clang" ] || pcvar clang_plugin no
