#!/bin/sh
# install-ldconfig.sh LIBDIR - meson's install script (root meson.build).
# A program linked with -lscall finds libscall.so.0 through the dynamic
# linker's cache, which knows a new library only once ldconfig has run:
# without it the program stops with "libscall.so.0: cannot open shared
# object file".  Run ldconfig when installing into the system as root; say
# what to do otherwise.  A staged install (DESTDIR) leaves the cache to
# whatever installs the files for real (a package's trigger).
set -u
libdir=$1
quiet=${MESON_INSTALL_QUIET:-}

# Meson 0.57 to 1.0 show what an install script prints only when it fails:
# write to the terminal when there is one.
say() {
	if true 2>/dev/null >/dev/tty; then
		echo "$*" >/dev/tty
	else
		echo "$*"
	fi
}

if [ -n "${DESTDIR:-}" ]; then
	[ -n "$quiet" ] || say "scall: staged into DESTDIR: run ldconfig where the files end up"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	say "scall: not root, so the dynamic linker's cache was not refreshed: if $libdir is" \
		"a directory of /etc/ld.so.conf, run 'sudo ldconfig'; otherwise run programs with" \
		"LD_LIBRARY_PATH=$libdir or link them with -Wl,-rpath,$libdir"
	exit 0
fi
PATH=$PATH:/sbin:/usr/sbin
[ -n "$quiet" ] || say "scall: running ldconfig (refreshes the dynamic linker's cache)"
ldconfig || { echo "scall: ldconfig failed: programs linked with -lscall may not find libscall.so.0" >&2; exit 1; }
