#!/bin/sh
# system_test.sh BUILD_DIR SOURCE_ROOT CC gcc-plugin|no-gcc-plugin CLANG|'' scall-ld|no-scall-ld
# `meson install` into the system, no DESTDIR, as a user types it; then,
# with nothing but the installed toolchain found where it was installed
# (gcc -fplugin=scall, pkg-config, scall-ld on PATH, find_package(scall)
# with no hint, man), the demo and the CMake project build, and run without
# LD_LIBRARY_PATH: the install refreshed the dynamic linker's cache
# (scripts/install-ldconfig.sh, run as root).
# The system is a private view of it: the test runs again in a mount
# namespace where /usr and /etc are overlays whose writes land in a
# temporary directory, so the real system does not change.  As root, or
# with user namespaces (root in its own); neither: a SKIP line, status 77.
# Also the script's other cases, with an ldconfig that records its calls:
# staged (DESTDIR) and not root, it runs no ldconfig and says what to do.
set -eu
if [ "${1:-}" != --inside ]; then
	for ns in "--mount" "--user --map-root-user --mount"; do
		# shellcheck disable=SC2086 # the options
		if unshare $ns --propagation private true 2>/dev/null; then
			# shellcheck disable=SC2086
			exec unshare $ns --propagation private sh "$0" --inside "$@"
		fi
	done
	echo "SKIP: no mount namespace (needs root or user namespaces)"
	exit 77
fi
shift
build=$1 src=$2 cc=$3 gcc_plugin=$4 clang=$5 scall_ld=$6
fail() { echo "system_test.sh: FAIL: $*"; exit 1; }

# Every file goes under /usr or /etc, the two overlays.
meson introspect --installed "$build" | python3 -c '
import json, sys
out = [p for p in json.load(sys.stdin).values() if not p.startswith(("/usr/", "/etc/"))]
if out:
    sys.exit("installs outside /usr and /etc (this test overlays only those): " + " ".join(out))'
t=$(mktemp -d)
# shellcheck disable=SC2154 # rc is assigned in the trap
trap 'rc=$?; cd /; umount -l /usr /etc 2>/dev/null || true; rm -rf "$t"; exit $rc' EXIT
for d in usr etc; do
	mkdir -p "$t/$d/upper" "$t/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$t/$d/upper,workdir=$t/$d/work" "/$d" ||
		{ echo "SKIP: cannot mount an overlay on /$d"; exit 77; }
done

# A libscall already installed for real would hide a missing refresh: take
# it out of this view first (the file too, not only the link, which
# ldconfig would make again).
if ldconfig -p | grep -q 'libscall\.so\.0 '; then
	for f in $(ldconfig -p | sed -n 's/.*libscall\.so.* => //p'); do
		rm -f "$(readlink -f "$f")" "$f"
	done
	ldconfig
fi
ldconfig -p | grep -q 'libscall\.so\.0 ' && fail "libscall.so.0 still in the cache before the install"

meson install -C "$build" >"$t/install.log" 2>&1 || { cat "$t/install.log"; fail "meson install"; }
ldconfig -p | grep -q 'libscall\.so\.0 ' ||
	{ cat "$t/install.log"; fail "libscall.so.0 is not in the cache after the install"; }

# pkg-config's variables name what was installed, with no sysroot
for v in gcc_plugin clang_plugin scall_ld; do
	p=$(pkg-config --variable=$v scall)
	[ -z "$p" ] || [ -f "$p" ] || fail "scall.pc: $v=$p does not exist"
done

cd "$t"
cflags=$(pkg-config --cflags scall) libs=$(pkg-config --libs scall)
plugin=
[ "$gcc_plugin" = no-gcc-plugin ] || plugin="-fplugin=scall -DSCALL_DEMO_TOOLCHAIN"
# shellcheck disable=SC2086 # command lines
$cc -O2 -pthread $plugin $cflags -o demo "$src/examples/demo.c" $libs || fail "building the demo"
[ "$scall_ld" = no-scall-ld ] || scall-ld demo || fail "scall-ld demo"
env -u LD_LIBRARY_PATH ./demo >demo.log 2>&1 || { cat demo.log; fail "the demo did not run"; }
echo "system_test.sh: demo (${plugin:-no plugin}) runs without LD_LIBRARY_PATH"
if [ -n "$clang" ]; then
	p=$(pkg-config --variable=clang_plugin scall)
	# shellcheck disable=SC2086
	"$clang" -O2 -pthread -fplugin="$p" -fpass-plugin="$p" -DSCALL_DEMO_TOOLCHAIN $cflags \
		-o demo-clang "$src/examples/demo.c" $libs || fail "building the demo with clang"
	scall-ld demo-clang || fail "scall-ld demo-clang"
	env -u LD_LIBRARY_PATH ./demo-clang >demo.log 2>&1 || { cat demo.log; fail "the clang demo did not run"; }
	echo "system_test.sh: demo (clang) runs without LD_LIBRARY_PATH"
fi

# find_package(scall) with no hint: the CMake project, with a plugin when
# there is one (the GCC plugin with CC, else the Clang plugin with CLANG)
enable=ON cmake_cc=$cc cmake_cxx=c++
if [ "$gcc_plugin" = no-gcc-plugin ]; then
	if [ -n "$clang" ]; then cmake_cc=$clang cmake_cxx=$clang++; else enable=OFF; fi
fi
CC=$cmake_cc CXX=$cmake_cxx cmake -S "$src/tests/install/cmake" -B cmake -DSCALL_TEST_ENABLE=$enable \
	>cmake.log 2>&1 || { cat cmake.log; fail "cmake configure"; }
cmake --build cmake >cmake.log 2>&1 || { cat cmake.log; fail "cmake build"; }
env -u LD_LIBRARY_PATH ./cmake/app || fail "the CMake project's app did not run"
echo "system_test.sh: find_package(scall) with no hint ($cmake_cc, scall_enable $enable)"

for name in scall.7 scall.3 scall_update.3 scall_update_batch.3 scall_stats.3; do
	man -w "$name" >/dev/null 2>&1 || fail "man does not find $name"
done

# install-ldconfig.sh's cases, with an ldconfig that records its calls,
# in a session of its own (no terminal: it prints on stdout); not root: as
# nobody where that uid exists (not in a user namespace that maps root
# alone), else with an `id` that says 1000
mkdir -m 755 bin && mkdir -m 1777 calls
printf '#!/bin/sh\necho "$@" >>%s/calls/ldconfig\n' "$t" >bin/ldconfig
cp "$src/scripts/install-ldconfig.sh" bin/
chmod 755 bin/ldconfig bin/install-ldconfig.sh "$t"
lib=/usr/local/lib/x86_64-linux-gnu
script() { # [setpriv...]: the script's output
	env -u DESTDIR PATH="$t/bin:$PATH" setsid -w "$@" sh "$t/bin/install-ldconfig.sh" $lib
}
out=$(DESTDIR=$t/stage PATH="$t/bin:$PATH" setsid -w sh "$t/bin/install-ldconfig.sh" $lib)
case $out in *"run ldconfig where the files end up"*) ;; *) fail "staged: said '$out'" ;; esac
[ ! -e calls/ldconfig ] || fail "staged: ran ldconfig"
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	out=$(script setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	printf '#!/bin/sh\necho 1000\n' >bin/id && chmod 755 bin/id
	out=$(script)
	rm bin/id
fi
case $out in *"not root"*"sudo ldconfig"*"LD_LIBRARY_PATH=$lib"*) ;; *) fail "not root: said '$out'" ;; esac
[ ! -e calls/ldconfig ] || fail "not root: ran ldconfig"
out=$(script)
case $out in *"running ldconfig"*) ;; *) fail "root: said '$out'" ;; esac
[ -e calls/ldconfig ] || fail "root: ran no ldconfig"
echo "system_test.sh: install-ldconfig.sh: root runs ldconfig; staged or not root, it says what to do"
