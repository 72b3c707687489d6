#!/bin/sh
# scripts/deb.sh OUTDIR [MESON-SETUP-ARGS...] - build scall's Debian packages
# into OUTDIR (docs/packaging.md):
#   libscall0          the runtime library and the gdb extension it auto-loads
#   libscall-dev       headers, scall.pc, the CMake package, libscall.a, man 3/7
#   scall-tools        scall-ld, scall-scan, the GCC plugin (Depends pinned to
#                      the exact cpp/gcc that loads it) and the Clang plugin
#                      (Depends on the clang of its LLVM), man 1
#   libscall0-dbgsym   libscall's debug symbols (what `info scall` reads the
#                      writer and counters from), found by gdb through the
#                      build-id
# from a `meson install --destdir` of the working tree, built with Debian's
# flags (dpkg-buildflags) for /usr, with dpkg-shlibdeps, dpkg-gensymbols,
# dpkg-gencontrol and dpkg-deb; then lintian, which must report no error.
# Extra arguments go to `meson setup`, e.g. --native-file llvm16.ini to build
# the Clang plugin for LLVM 16.  CC/CXX choose the GCC the plugin is built
# for.  The version is meson's project version (a native package); set
# DEB_VERSION to override, DEBFULLNAME and DEBEMAIL for the maintainer
# (default: the author of the last commit); SCALL_DEB_BUILD=DIR keeps the
# meson build in DIR between runs.  Needs dpkg-dev, and lintian
# for the check (SCALL_DEB_LINTIAN=no skips it).  Not root: dpkg-deb
# --root-owner-group makes every file root's.
set -eu
if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [MESON-SETUP-ARGS...]" >&2
	exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
shift
umask 022
for t in dpkg-deb dpkg-shlibdeps dpkg-gencontrol dpkg-gensymbols dpkg-architecture \
	meson ninja objcopy strip readelf; do
	command -v "$t" >/dev/null || {
		echo "deb.sh: $t not found (scripts/deps.sh installs dpkg-dev)" >&2
		exit 1
	}
done

work=$(mktemp -d "${TMPDIR:-/tmp}/scall-deb.XXXXXX")
[ -n "${SCALL_DEB_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
# SCALL_DEB_BUILD=DIR keeps the build there, to rebuild only what changed.
build=${SCALL_DEB_BUILD:-$work/build} stage=$work/stage pkg=$work/pkg
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=usr/lib/$triplet
cd "$src"
# Reproducible: every date is the last commit's.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH

# --- build and stage ---------------------------------------------------
echo "deb.sh: building in $build"
# Debian's hardening flags, as dh_auto_configure passes them.
eval "$(dpkg-buildflags --export=sh)"
[ ! -f "$build/build.ninja" ] || set -- --reconfigure "$@"
meson setup "$build" --prefix=/usr --libdir="lib/$triplet" --buildtype=plain \
	-Dtests=false -Dgcc_plugin=enabled -Dclang_pass=enabled -Dscall_ld=enabled \
	"$@" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
meson compile -C "$build" >"$work/compile.log" 2>&1 || { tail -n 40 "$work/compile.log"; exit 1; }
DESTDIR=$stage meson install -C "$build" --no-rebuild >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; exit 1; }
version=${DEB_VERSION:-$(meson introspect --projectinfo "$build" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')}

# --- split the staged tree ---------------------------------------------
# Every staged path goes to exactly one package: an installed file no rule
# names stops the build instead of being left out.
package_of() { # PATH (relative to the stage) -> package
	case $1 in
	"$libdir"/libscall.so.*) echo libscall0 ;;
	usr/share/gdb/auto-load/*) echo libscall0 ;;
	usr/share/scall/gdb/*) echo libscall0 ;;
	usr/include/*) echo libscall-dev ;;
	"$libdir/libscall.so" | "$libdir/libscall.a") echo libscall-dev ;;
	"$libdir"/pkgconfig/* | "$libdir"/cmake/*) echo libscall-dev ;;
	usr/share/man/man3/* | usr/share/man/man7/*) echo libscall-dev ;;
	usr/bin/*) echo scall-tools ;;
	usr/lib/gcc/*) echo scall-tools ;;
	"$libdir"/scall/* | "$libdir/scall-clang.so") echo scall-tools ;;
	usr/share/man/man1/*) echo scall-tools ;;
	*) echo "" ;;
	esac
}
packages="libscall0 libscall-dev scall-tools"
mkdir -p "$pkg/debian"
(cd "$stage" && find . ! -type d | sed 's,^\./,,' | sort) >"$work/files"
while read -r f; do
	p=$(package_of "$f")
	if [ -z "$p" ]; then
		echo "deb.sh: no package for installed file /$f (add it to package_of)" >&2
		exit 1
	fi
	mkdir -p "$pkg/debian/$p/$(dirname "$f")"
	mv "$stage/$f" "$pkg/debian/$p/$f"
done <"$work/files"
for p in $packages; do
	[ -d "$pkg/debian/$p" ] || { echo "deb.sh: nothing staged for $p" >&2; exit 1; }
done

# --- what dh_strip, dh_compress, dh_fixperms and dh_installdocs do -----
lib=$(cd "$pkg/debian/libscall0/$libdir" && ls libscall.so.*.*.*)
id=$(readelf -n "$pkg/debian/libscall0/$libdir/$lib" |
	sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p')
[ -n "$id" ] || { echo "deb.sh: $lib has no build-id" >&2; exit 1; }
dbg=$pkg/debian/libscall0-dbgsym/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)
mkdir -p "$dbg"
objcopy --only-keep-debug --compress-debug-sections \
	"$pkg/debian/libscall0/$libdir/$lib" "$dbg/$(echo "$id" | cut -c3-).debug"
chmod 0644 "$dbg/$(echo "$id" | cut -c3-).debug"
packages="$packages libscall0-dbgsym"
for p in libscall0 libscall-dev scall-tools; do
	find "$pkg/debian/$p" -type f | while read -r f; do
		readelf -h "$f" >/dev/null 2>&1 || continue # ELF objects and archives
		case $f in
		*.a)
			strip --strip-debug --remove-section=.comment --remove-section=.note \
				--enable-deterministic-archives "$f" ;;
		*.so | *.so.*)
			strip --remove-section=.comment --remove-section=.note --strip-unneeded "$f"
			chmod 0644 "$f" ;;
		*/usr/bin/*)
			strip --remove-section=.comment --remove-section=.note "$f"
			chmod 0755 "$f" ;;
		esac
	done
done
# Man pages: gzip -9n, links to the compressed names.
for p in $packages; do
	m=$pkg/debian/$p/usr/share/man
	[ -d "$m" ] || continue
	find "$m" -type f ! -name '*.gz' -exec gzip -9n {} +
	find "$m" -type l ! -name '*.gz' | while read -r l; do
		ln -s "$(readlink "$l").gz" "$l.gz"
		rm "$l"
	done
done
copyright() { # the project's licence (meson.build: MIT), machine-readable
	cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: scall
Comment: Built from the scall source tree by scripts/deb.sh.

Files: *
Copyright: $years the scall authors
License: MIT

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of this software and associated documentation files (the "Software"),
 to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense,
 and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included
 in all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL
 THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
 FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
EOF
}
# The years of the history.
first=$(git log --reverse --format=%ad --date=format:%Y 2>/dev/null | head -n 1)
last=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
years=${first:-$last}
[ "$years" = "$last" ] || years=$years-$last
maint="${DEBFULLNAME:-$(git log -1 --format=%an)} <${DEBEMAIL:-$(git log -1 --format=%ae)}>"
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
describe=$(git describe --always --dirty 2>/dev/null || echo unknown)
cat >"$pkg/debian/changelog" <<EOF
scall ($version) unstable; urgency=medium

  * Built by scripts/deb.sh from the scall tree at $describe.

 -- $maint  $date
EOF
for p in libscall0 libscall-dev scall-tools; do
	d=$pkg/debian/$p/usr/share/doc/$p
	mkdir -p "$d"
	gzip -9n <"$pkg/debian/changelog" >"$d/changelog.gz"
	copyright >"$d/copyright"
done
# A debug package's docs are its library's, as dh_installdocs links them.
mkdir -p "$pkg/debian/libscall0-dbgsym/usr/share/doc"
ln -s libscall0 "$pkg/debian/libscall0-dbgsym/usr/share/doc/libscall0-dbgsym"

# --- control files -----------------------------------------------------
cat >"$pkg/debian/control" <<EOF
Source: scall
Section: devel
Priority: optional
Maintainer: $maint
Rules-Requires-Root: no
Standards-Version: 4.6.2

Package: libscall0
Architecture: $arch
Multi-Arch: same
Section: libs
Depends: \${shlibs:Depends}
Description: static calls for userspace C - runtime library
 scall makes calls through a global function pointer (a key) cost what a
 direct call costs, yet lets the program retarget them while it runs, from
 any thread, like the Linux kernel's static_call.
 .
 This package holds libscall, which patches the live call sites, and the
 gdb extension "info scall" that gdb loads with it.

Package: libscall-dev
Architecture: $arch
Multi-Arch: same
Section: libdevel
Depends: libscall0 (= \${binary:Version})
Description: static calls for userspace C - development files
 scall makes calls through a global function pointer (a key) cost what a
 direct call costs, yet lets the program retarget them while it runs, from
 any thread, like the Linux kernel's static_call.
 .
 This package holds scall.h, the on-disk format headers, the static
 library, the pkg-config file, the CMake package and the API manual pages.

Package: scall-tools
Architecture: $arch
Depends: \${shlibs:Depends}, \${scall:Compilers}
Recommends: libscall-dev
Suggests: \${scall:Linkers}
Description: static calls for userspace C - compiler plugins and tools
 scall makes calls through a global function pointer (a key) cost what a
 direct call costs, yet lets the program retarget them while it runs, from
 any thread, like the Linux kernel's static_call.
 .
 This package holds the GCC plugin (gcc -fplugin=scall) and the Clang
 plugin that convert the calls, scall-ld, which validates the call sites
 of a linked program, and scall-scan, which finds candidate keys.

Package: libscall0-dbgsym
Architecture: $arch
Multi-Arch: same
Section: debug
Depends: libscall0 (= \${binary:Version})
Description: debug symbols for libscall0
EOF

# Each plugin runs only inside the compiler it was built for: pin the
# packages of the programs that load it (dpkg -S on their files).
owner() { dpkg -S "$(realpath "$1")" 2>/dev/null | sed -n '1s/:.*//p'; }
pinned() { # FILE -> "package (= version)" of the package that owns FILE
	o=$(owner "$1")
	[ -n "$o" ] || { echo "deb.sh: no package owns $1" >&2; exit 1; }
	echo "$o (= $(dpkg-query -W -f='${Version}' "$o"))"
}
compilers="" linkers=""
tools=$pkg/debian/scall-tools
if [ -n "$(find "$tools/usr/lib/gcc" -name scall.so 2>/dev/null)" ]; then
	# The C compiler meson built it for (the plugin refuses any other);
	# its cc1 loads the plugin for compiling, its lto1 for -flto links.
	# shellcheck disable=SC2086 # CC may hold a command with arguments
	cc1=$(${CC:-cc} -print-prog-name=cc1) lto1=$(${CC:-cc} -print-prog-name=lto1)
	compilers="$(pinned "$cc1"), $(pinned "$lto1")"
fi
for so in "$tools/$libdir"/scall/llvm-*/scall-clang.so; do
	[ -f "$so" ] || continue
	n=$(basename "$(dirname "$so")" | sed 's/^llvm-//')
	# clang-N loads it; ld.lld-N under -flto (clang-pass/README.md).
	c=$(owner "/usr/lib/llvm-$n/bin/clang")
	[ -n "$c" ] || { echo "deb.sh: no package owns /usr/lib/llvm-$n/bin/clang" >&2; exit 1; }
	compilers="${compilers:+$compilers, }$c"
	l=$(owner "/usr/lib/llvm-$n/bin/ld.lld")
	[ -z "$l" ] || linkers="${linkers:+$linkers, }$l"
done
echo "scall:Compilers=$compilers" >"$pkg/debian/scall-tools.substvars"
echo "scall:Linkers=$linkers" >>"$pkg/debian/scall-tools.substvars"

cd "$pkg"
# dpkg-shlibdeps finds a binary's package by the DEBIAN directory above it.
for p in $packages; do mkdir -p "debian/$p/DEBIAN"; done
# What dh_makeshlibs makes: libscall's shlibs and symbols files, and the
# ldconfig trigger every shared library package needs.
soname=$(readelf -d "debian/libscall0/$libdir/$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
echo "libscall ${soname#libscall.so.} libscall0 (>= $version)" >debian/libscall0/DEBIAN/shlibs
dpkg-gensymbols -q -plibscall0 -Pdebian/libscall0 -e"debian/libscall0/$libdir/$lib"
sed -i '1a\
* Build-Depends-Package: libscall-dev' debian/libscall0/DEBIAN/symbols
echo "activate-noawait ldconfig" >debian/libscall0/DEBIAN/triggers
dpkg-shlibdeps -Tdebian/libscall0.substvars "debian/libscall0/$libdir/$lib"
# The GCC plugin's undefined symbols are cc1's: no library has them.
# shellcheck disable=SC2046 # file list
dpkg-shlibdeps --warnings=2 -Tdebian/scall-tools.substvars \
	$(find debian/scall-tools -type f \( -name '*.so' -o -path '*/usr/bin/*' \))
touch debian/libscall-dev.substvars debian/libscall0-dbgsym.substvars
for p in $packages; do
	extra=
	if [ "$p" = libscall0-dbgsym ]; then
		extra="-DAuto-Built-Package=debug-symbols -DBuild-Ids=$id"
	fi
	# shellcheck disable=SC2086 # extra fields
	dpkg-gencontrol -p"$p" -P"debian/$p" -T"debian/$p.substvars" -fdebian/files $extra
	(cd "debian/$p" && find . -path ./DEBIAN -prune -o -type f -print | sed 's,^\./,,' |
		LC_ALL=C sort | xargs -r md5sum) >"debian/$p/DEBIAN/md5sums"
	find "debian/$p" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	dpkg-deb --root-owner-group -Zxz --build "debian/$p" "$out" >/dev/null
done
cd "$out"
debs=$(for p in $packages; do echo "${p}_${version}_$arch.deb"; done)
for d in $debs; do
	echo "deb.sh: $out/$d"
	dpkg-deb -f "$d" Depends | sed 's/^/    Depends: /'
done
if [ "${SCALL_DEB_LINTIAN:-yes}" != no ]; then
	command -v lintian >/dev/null || { echo "deb.sh: lintian not found" >&2; exit 1; }
	# shellcheck disable=SC2086 # file list
	lintian --fail-on error --tag-display-limit 0 $debs
fi
