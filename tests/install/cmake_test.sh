#!/bin/sh
# cmake_test.sh BUILD_DIR SOURCE_ROOT CC CXX gcc-plugin|no-gcc-plugin CLANG|'' scall-ld|no-scall-ld
# The CMake package (cmake/; README, "CMake") of a DESTDIR install, found
# through CMAKE_PREFIX_PATH by tests/install/cmake: a C shared library with
# a struct key, a static library with keys (one converted store), a C++
# program linking both, and a C program on the static runtime.  For each
# compiler this build has a plugin for (the GCC plugin with CC and CXX, the
# Clang plugin with CLANG and its clang++), with the Unix Makefiles and the
# Ninja generators, the latter under INTERPROCEDURAL_OPTIMIZATION (the
# plugins' link-time half), and --as-needed in the user's linker flags:
# configured and built; each linked file's sites recorded and validated
# (sites.py, with the installed scall-ld); the library and the C++ program
# need libscall.so.0, the static one does not; the programs run without
# LD_LIBRARY_PATH; a second build does nothing.  A build with no plugin
# builds the project without scall_enable.  Then without the installed
# plugins and scall-ld: the targets alone still work, scall_enable fails
# saying what is missing.
set -eu
build=$1 src=$2 cc=$3 cxx=$4 gcc_plugin=$5 clang=$6 scall_ld=$7
. "$src/tests/install/stage.sh"
stage "$build"
need /cmake/scall/scallConfig.cmake >/dev/null
ld=
[ "$scall_ld" = no-scall-ld ] || ld=$(need /bin/scall-ld)
fail() { echo "cmake_test.sh ($name): FAIL: $*"; exit 1; }

# project NAME GENERATOR IPO(ON|OFF) ENABLE(ON|OFF) CC CXX
project() {
	name=$1 gen=$2 ipo=$3 enable=$4
	b=$dest/$name
	CC=$5 CXX=$6 cmake -S "$src/tests/install/cmake" -B "$b" -G "$gen" \
		-DCMAKE_PREFIX_PATH="$dest$prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_EXE_LINKER_FLAGS=-Wl,--as-needed -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--as-needed \
		-DCMAKE_INTERPROCEDURAL_OPTIMIZATION="$ipo" -DSCALL_TEST_ENABLE="$enable" \
		>"$b.log" 2>&1 || { cat "$b.log"; fail "configure"; }
	cmake --build "$b" >"$b.log" 2>&1 || { cat "$b.log"; fail "build"; }
	if [ "$enable" = OFF ]; then
		for f in libshape.so app solo; do
			if readelf -S "$b/$f" | grep -q scall_; then fail "$f: scall sections without a plugin"; fi
		done
	elif [ -n "$ld" ]; then
		python3 "$src/tests/scall-ld/sites.py" "$ld" "$b/libshape.so" \
			shape_ops__0:shape_area shape_ops__8:shape_perimeter || fail "libshape.so"
		python3 "$src/tests/scall-ld/sites.py" "$ld" "$b/app" \
			codec_key:codec_encode codec_hook:codec_notify || fail "app"
		python3 "$src/tests/scall-ld/sites.py" "$ld" "$b/solo" solo_key:use || fail "solo"
	else
		for f in libshape.so app solo; do
			readelf -S "$b/$f" | grep -q scall_sites || fail "$f: built with the plugin, no scall_sites"
		done
	fi
	for f in libshape.so app; do
		readelf -d "$b/$f" | grep -q 'NEEDED.*\[libscall\.so\.0\]' || fail "$f does not need libscall.so.0"
	done
	if readelf -d "$b/solo" | grep -q 'NEEDED.*libscall'; then fail "solo needs libscall.so"; fi
	env -u LD_LIBRARY_PATH "$b/app" || fail "app failed"
	env -u LD_LIBRARY_PATH "$b/solo" || fail "solo failed"
	cmake --build "$b" >"$b.log" 2>&1 || { cat "$b.log"; fail "second build"; }
	if grep -q 'Linking\|scall-ld\|Building' "$b.log"; then cat "$b.log"; fail "the second build did work"; fi
	echo "cmake_test.sh ($name): built, validated and run"
}

ran=
if [ "$gcc_plugin" = gcc-plugin ]; then
	project gcc-make "Unix Makefiles" OFF ON "$cc" "$cxx"
	project gcc-ninja-lto Ninja ON ON "$cc" "$cxx"
	ran=yes
fi
if [ -n "$clang" ]; then
	project clang-make "Unix Makefiles" OFF ON "$clang" "$clang++"
	project clang-ninja-lto Ninja ON ON "$clang" "$clang++"
	ran=yes
fi
if [ -z "$ran" ]; then
	project plain-make "Unix Makefiles" OFF OFF "$cc" "$cxx"
	project plain-ninja Ninja OFF OFF "$cc" "$cxx"
fi

# The library without the tools (a -dev package without the package of the
# plugins and scall-ld): find_package still gives the targets, and
# scall_enable says what is missing.
rm -f "$dest"/usr/lib/gcc/*/*/plugin/scall.so
find "$dest" -name scall-clang.so -exec rm -f {} +
find "$dest" -path '*/bin/scall-ld' -exec rm -f {} +
project library-only "Unix Makefiles" OFF OFF "$cc" "$cxx"
want='' with_cc='' with_cxx=''
if [ "$gcc_plugin" = gcc-plugin ]; then
	want="no GCC plugin" with_cc=$cc with_cxx=$cxx
elif [ -n "$clang" ]; then
	want="no Clang plugin" with_cc=$clang with_cxx=$clang++
fi
if [ -n "$want" ]; then
	name=library-only-enable
	if CC=$with_cc CXX=$with_cxx cmake -S "$src/tests/install/cmake" -B "$dest/$name" \
		-DCMAKE_PREFIX_PATH="$dest$prefix" >"$dest/$name.log" 2>&1; then
		cat "$dest/$name.log"; fail "scall_enable without the plugin installed did not fail"
	fi
	# (cmake wraps the message's lines)
	tr -s ' \n' '  ' <"$dest/$name.log" |
		grep -q "scall_enable(shape): this scall install has $want (built without it, or its package is not installed)" ||
		{ cat "$dest/$name.log"; fail "not the message for the missing plugin"; }
	echo "cmake_test.sh ($name): scall_enable says: $want"
fi
