#!/bin/sh
# scripts/deb_test.sh - the Debian packages, end to end (docs/packaging.md):
# build them (scripts/deb.sh, lintian included) into a temporary directory,
# install them with apt-get, build the demo with nothing but what they
# installed (gcc -fplugin=scall and the Clang plugin from pkg-config, the
# scall-ld and libscall of /usr, a clean environment, no rpath), run it,
# run `info scall` on it in gdb (the extension auto-loaded for libscall;
# first without libscall's debug symbols, then with libscall0-dbgsym), then
# purge the packages, and whatever apt installed for them, and check that
# /usr and /etc hold nothing of scall more than before.  Exits non-zero on
# any failure; the packages are purged on every exit.
#
# It installs packages: it must run as root, on a machine where none of
# them is installed yet.  Extra arguments go to scripts/deb.sh's `meson
# setup` (SCALL_DEB_BUILD=DIR reuses a build, as there).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "deb_test.sh: FAIL: must run as root: it installs and purges the scall" \
		"packages with apt-get (run: sudo $0)" >&2
	exit 1
fi
ours="libscall0 libscall-dev scall-tools libscall0-dbgsym"
installed() { # the packages of ours dpkg knows (installed or with config left)
	for p in $ours; do
		if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[ir]'; then
			echo "$p"
		fi
	done
}
if [ -n "$(installed)" ]; then
	echo "deb_test.sh: FAIL: already installed: $(installed | tr '\n' ' ')- purge them" \
		"first (apt-get purge), this test must leave the machine as it found it" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scall-deb-test.XXXXXX")
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
export DEBIAN_FRONTEND=noninteractive
snapshot() { # every path of scall's under /usr and /etc, and the packages
	find /usr /etc -name '*scall*' 2>/dev/null | LC_ALL=C sort
	dpkg-query -W -f='${Package}\n' | LC_ALL=C sort | sed 's/^/package: /'
}
snapshot >"$tmp/before"
purge() { # our packages, then what apt installed for them
	left=$(installed)
	# shellcheck disable=SC2086 # package list
	[ -z "$left" ] || apt-get purge -y -qq $left >"$tmp/purge.log" 2>&1 || {
		cat "$tmp/purge.log"
		return 1
	}
	snapshot | sed -n 's/^package: //p' >"$tmp/pkgs-now"
	sed -n 's/^package: //p' "$tmp/before" >"$tmp/pkgs-before"
	added=$(LC_ALL=C comm -13 "$tmp/pkgs-before" "$tmp/pkgs-now")
	# shellcheck disable=SC2086 # package list
	[ -z "$added" ] || apt-get purge -y -qq $added >>"$tmp/purge.log" 2>&1 || {
		cat "$tmp/purge.log"
		return 1
	}
}
cleanup() {
	st=$?
	trap - EXIT
	if [ -n "$(installed)" ]; then
		echo "deb_test.sh: purging what is left"
		purge || st=1
	fi
	rm -rf "$tmp"
	exit $st
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
	echo "deb_test.sh: FAIL: $*" >&2
	exit 1
}
step() { echo "=== $*"; }

step "build the packages (scripts/deb.sh)"
"$src/scripts/deb.sh" "$tmp/debs" "$@"
cd "$tmp/debs"
for p in $ours; do
	[ -f "$(echo "${p}"_*.deb)" ] || fail "scripts/deb.sh made no $p package"
done

step "apt-get install the runtime, -dev and tools packages"
apt-get install -y -qq ./libscall0_*.deb ./libscall-dev_*.deb ./scall-tools_*.deb \
	>"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "apt-get install"; }
[ "$(installed | tr '\n' ' ')" = "libscall0 libscall-dev scall-tools " ] ||
	fail "installed: $(installed | tr '\n' ' ')"

step "the installed toolchain"
# A clean environment: nothing from the caller's (LD_LIBRARY_PATH, CPATH,
# PKG_CONFIG_PATH, a build directory on PATH) can help.
clean() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp" LC_ALL=C.UTF-8 "$@"; }
owned() { # FILE: it exists and scall-tools or libscall-dev installed it
	[ -e "$1" ] || fail "$1 does not exist"
	o=$(dpkg -S "$1" 2>/dev/null | sed -n '1s/:.*//p')
	case $o in
	scall-tools | libscall-dev | libscall0) echo "  $1 ($o)" ;;
	*) fail "$1 belongs to '${o:-no package}'" ;;
	esac
}
[ "$(clean sh -c 'command -v scall-ld')" = /usr/bin/scall-ld ] || fail "scall-ld is not /usr/bin's"
owned /usr/bin/scall-ld
owned "$(clean gcc -print-file-name=plugin)/scall.so"
for v in gcc_plugin clang_plugin scall_ld; do
	f=$(clean pkg-config --variable=$v scall)
	[ -n "$f" ] || fail "pkg-config scall has no variable $v"
	owned "$f"
done
clean ldconfig -p | grep -q "libscall.so.0 .*/lib/$triplet/libscall.so.0" ||
	fail "libscall.so.0 is not in the dynamic linker's cache (the ldconfig trigger)"

checkdemo() { # DEMO: linked to /usr's libscall without an rpath, and it runs
	if readelf -d "$1" | grep -Eq 'R(UN)?PATH'; then fail "$1 has an rpath"; fi
	clean ldd "$1" | grep -Eq "libscall.so.0 => (/usr)?/lib/$triplet/libscall.so.0 " ||
		fail "$1 does not load /usr's libscall: $(clean ldd "$1" | grep scall)"
	clean "$1" >"$1.out" 2>&1 || { cat "$1.out"; fail "$1 failed"; }
	cat "$1.out"
	grep -q 'toolchain converted the calls: yes' "$1.out" || fail "$1: calls not converted"
}

step "the demo with gcc -fplugin=scall and scall-ld (examples/Makefile)"
mkdir -p "$tmp/gcc"
clean make -s -B -C "$src/examples" O="$tmp/gcc" >"$tmp/gcc/build.log" 2>&1 ||
	{ cat "$tmp/gcc/build.log"; fail "make"; }
checkdemo "$tmp/gcc/demo"

step "the demo with clang and the Clang plugin (pkg-config clang_plugin)"
mkdir -p "$tmp/clang"
cp=$(clean pkg-config --variable=clang_plugin scall)
llvm=$(basename "$(dirname "$(readlink -f "$cp")")" | sed 's/^llvm-//')
clean "clang-$llvm" -O2 -g -pthread -DSCALL_DEMO_TOOLCHAIN -fplugin="$cp" -fpass-plugin="$cp" \
	"$src/examples/demo.c" -o "$tmp/clang/demo" -lscall >"$tmp/clang/build.log" 2>&1 ||
	{ cat "$tmp/clang/build.log"; fail "clang-$llvm with $cp"; }
clean scall-ld "$tmp/clang/demo" || fail "scall-ld on the clang demo"
checkdemo "$tmp/clang/demo"

step "gdb: info scall, auto-loaded, libscall without debug symbols"
clean python3 "$src/tests/gdb/run.py" --no-runtime-symbols demo "$tmp/gcc/demo" >"$tmp/gdb1.log" 2>&1 ||
	{ cat "$tmp/gdb1.log"; fail "gdb on the demo"; }
grep -E '^(key|  site 0x|writer|stats:)' "$tmp/gdb1.log"

step "gdb: info scall with libscall0-dbgsym"
apt-get install -y -qq ./libscall0-dbgsym_*.deb >"$tmp/install2.log" 2>&1 ||
	{ cat "$tmp/install2.log"; fail "apt-get install libscall0-dbgsym"; }
clean python3 "$src/tests/gdb/run.py" demo "$tmp/gcc/demo" >"$tmp/gdb2.log" 2>&1 ||
	{ cat "$tmp/gdb2.log"; fail "gdb on the demo with debug symbols"; }
grep -E '^(key|  site 0x|writer|stats:)' "$tmp/gdb2.log"

step "apt-get purge"
cd /
purge || fail "apt-get purge"
[ -z "$(installed)" ] || fail "still known to dpkg: $(installed | tr '\n' ' ')"
snapshot >"$tmp/after"
if ! diff -u "$tmp/before" "$tmp/after"; then
	fail "the machine differs from before the install (above)"
fi
echo "deb_test.sh: PASS: built, installed, demo with gcc and clang, gdb, purged clean"
