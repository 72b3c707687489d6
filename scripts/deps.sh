#!/bin/sh
# Install the Debian 12 packages scall needs to build and test.  Idempotent:
# it installs only what is missing and says what; it needs root only then.
# scripts/deps.sh --all-compilers adds the compilers only
# `scripts/test.sh --all-compilers` tests: LLVM/Clang 13 and 15.
set -eu
pkgs="build-essential make pkg-config meson ninja-build python3
gcc g++ gcc-12-plugin-dev
gcc-11 g++-11 gcc-11-plugin-dev
libelf-dev libcapstone-dev elfutils binutils
valgrind bc
wrk bear curl zlib1g-dev cmake tcl-dev xz-utils
gdb groff-base mandoc lintian dpkg-dev fakeroot
clang-14 llvm-14-dev llvm-14-tools libclang-14-dev lld-14 libclang-rt-14-dev
clang-16 llvm-16-dev llvm-16-tools libclang-16-dev lld-16 libclang-rt-16-dev"
if [ "${1:-}" = --all-compilers ]; then
	for v in 13 15; do
		pkgs="$pkgs clang-$v llvm-$v-dev llvm-$v-tools libclang-$v-dev lld-$v"
	done
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo $pkgs | wc -w) packages present"
	exit 0
fi
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: must run as root to install them (apt-get); run: sudo $0" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
