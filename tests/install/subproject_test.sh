#!/bin/sh
# subproject_test.sh SOURCE_ROOT CC gcc-plugin|no-gcc-plugin
# scall as a meson subproject (README, "Meson subproject"): a project with
# this tree as subprojects/scall builds the demo with dependency('scall'),
# the subproject's scall_plugin_dep and find_program('scall-ld'), with CC.
# The demo's object alone is built first: the plugin must be built before
# it (scall_plugin_dep orders it).  The demo holds its validated site
# (sites.py) when the build has the GCC plugin, and runs.  The Clang pass is
# left out of the subproject (its build alone takes minutes).
set -eu
src=$1 cc=$2 gcc_plugin=$3
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail() { echo "subproject_test.sh: FAIL: $*"; exit 1; }
mkdir -p "$w/proj/subprojects"
ln -s "$src" "$w/proj/subprojects/scall"
cp "$src/examples/demo.c" "$w/proj/"
cat >"$w/proj/meson.build" <<'EOF'
project('app', 'c', default_options: ['scall:tests=false', 'scall:clang_pass=disabled'])
scall_dep = dependency('scall', fallback: 'scall')
scall_plugin = subproject('scall').get_variable('scall_plugin_dep')
scall_ld = find_program('scall-ld')
app_raw = executable('app-unchecked', 'demo.c',
                     dependencies: [scall_dep, scall_plugin, dependency('threads')],
                     c_args: scall_plugin.found() ? ['-DSCALL_DEMO_TOOLCHAIN'] : [])
app = custom_target('app', input: app_raw, output: 'app',
                    command: [scall_ld, '-o', '@OUTPUT@', '@INPUT@'],
                    build_by_default: true)
message('scall_plugin_dep found: @0@'.format(scall_plugin.found()))
EOF
b=$w/build
CC=$cc meson setup --force-fallback-for=scall "$b" "$w/proj" >"$w/setup.log" 2>&1 ||
	{ cat "$w/setup.log"; fail "meson setup"; }
if [ "$gcc_plugin" = gcc-plugin ]; then
	grep -q 'scall_plugin_dep found: true' "$w/setup.log" || { cat "$w/setup.log"; fail "no scall_plugin_dep"; }
fi
ninja -C "$b" app-unchecked.p/demo.c.o >"$w/build.log" 2>&1 ||
	{ cat "$w/build.log"; fail "the demo's object alone"; }
ninja -C "$b" app >"$w/build.log" 2>&1 || { cat "$w/build.log"; fail "build"; }
ld=$b/subprojects/scall/scall-ld/scall-ld
if [ "$gcc_plugin" = gcc-plugin ]; then
	python3 "$src/tests/scall-ld/sites.py" "$ld" "$b/app" checksum:worker || fail "sites"
elif readelf -S "$b/app" | grep -q scall_; then
	fail "scall sections without a plugin"
fi
"$b/app" || fail "the demo failed"
echo "subproject_test.sh: the demo built with the subproject's dependency and scall-ld" \
	"($(grep -o 'scall_plugin_dep found: [a-z]*' "$w/setup.log")), and run"
