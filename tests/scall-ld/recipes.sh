#!/bin/sh
# recipes.sh meson|cmake SCALL_LD PLUGIN INCLUDE LIBDIR EXAMPLE_C CC
#
# The meson and CMake recipes of scall-ld/README.md, as written there (the
# plugin, include and library paths of this build substituted), on
# tests/scall-ld/example/example.c:
#   1. the build validates the binary (sites.py: the two sites of
#      example.c recorded and valid, the header SORTED and VALIDATED) and it
#      runs;
#   2. a second build does nothing;
#   3. when scall-ld fails, the build fails; the next build (scall-ld
#      working again) runs it again and ends with a validated binary.
# scall-ld is reached through a wrapper named scall-ld on PATH that fails
# while the file FAIL exists (find_program finds it by name, as a user's
# build would).  CC, this build's C compiler, is the recipes' compiler (both
# tools take it from the environment): the plugin loads only into the GCC
# it was built for.
set -eu
kind=$1 real_ld=$2 plugin=$3 inc=$4 libdir=$5 example=$6 CC=$7
export CC
sites_py=$(dirname "$0")/sites.py
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/bin" "$w/src"
cat >"$w/bin/scall-ld" <<EOF
#!/bin/sh
[ -e "$w/FAIL" ] && { echo "scall-ld: failing on purpose (test)" >&2; exit 1; }
exec "$real_ld" "\$@"
EOF
chmod +x "$w/bin/scall-ld"
PATH=$w/bin:$PATH
export PATH
cp "$example" "$w/src/app.c"
fail() { echo "recipes.sh ($kind): FAIL: $*"; exit 1; }

validated() { # binary
	python3 "$sites_py" "$real_ld" "$1" --records 2 op:use op:tail || fail "$1 not validated"
	LD_LIBRARY_PATH=$libdir "$1" >/dev/null || fail "$1 does not run"
}

case $kind in
meson)
	# the recipe, with scall_dep for this build's include and library dirs
	cat >"$w/src/meson.build" <<EOF
project('app', 'c')
scall_dep = declare_dependency(compile_args: ['-I$inc'],
                               link_args: ['-L$libdir', '-Wl,-rpath,$libdir', '-lscall'])
scall_ld = find_program('scall-ld')
app_raw = executable('app-unchecked', 'app.c', dependencies: scall_dep,
                     c_args: ['-fplugin=$plugin'])
app = custom_target('app', input: app_raw, output: 'app',
                    command: [scall_ld, '-o', '@OUTPUT@', '@INPUT@'],
                    build_by_default: true, install: true,
                    install_dir: get_option('bindir'))
EOF
	b=$w/build
	meson setup "$b" "$w/src" >"$w/setup.log" 2>&1 || { cat "$w/setup.log"; fail "meson setup"; }
	build() { ninja -C "$b" >"$w/build.log" 2>&1; }
	out=$b/app
	;;
cmake)
	# the recipe, with this build's plugin, include and library dirs
	cat >"$w/src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.13)
project(app C)
include_directories($inc)
link_directories($libdir)
set(CMAKE_BUILD_RPATH $libdir)
find_program(SCALL_LD scall-ld REQUIRED)
add_executable(app app.c)
target_compile_options(app PRIVATE -fplugin=$plugin)
target_link_libraries(app PRIVATE scall)
add_custom_command(TARGET app POST_BUILD
                   COMMAND \${SCALL_LD} \$<TARGET_FILE:app>
                   VERBATIM)
EOF
	b=$w/build
	cmake -S "$w/src" -B "$b" >"$w/setup.log" 2>&1 || { cat "$w/setup.log"; fail "cmake configure"; }
	build() { cmake --build "$b" >"$w/build.log" 2>&1; }
	out=$b/app
	;;
*) fail "unknown recipe" ;;
esac

# 1. built and validated
build || { cat "$w/build.log"; fail "first build"; }
validated "$out"
echo "$kind: built and validated"

# 2. nothing to do the second time
build || { cat "$w/build.log"; fail "second build"; }
case $kind in
meson) grep -q 'no work to do' "$w/build.log" || { cat "$w/build.log"; fail "second build did work"; } ;;
cmake) if grep -q 'Linking' "$w/build.log"; then cat "$w/build.log"; fail "second build relinked"; fi ;;
esac
echo "$kind: second build did nothing"

# 3. scall-ld fails: so does the build; once it works again, the next build
# validates (a source change makes the failing build relink first)
touch "$w/FAIL"
echo "/* changed */" >>"$w/src/app.c"
if build; then cat "$w/build.log"; fail "build succeeded although scall-ld failed"; fi
grep -q 'failing on purpose' "$w/build.log" || { cat "$w/build.log"; fail "scall-ld was not run"; }
left=absent
[ -e "$out" ] && left=present
rm -f "$w/FAIL"
build || { cat "$w/build.log"; fail "build after the failure"; }
grep -q 'scall-ld\|scall_ld\|POST_BUILD\|Generating app\|Linking' "$w/build.log" ||
	{ cat "$w/build.log"; fail "the build after the failure did not run scall-ld"; }
validated "$out"
echo "$kind: a failing scall-ld fails the build (output after it: $left); the next build validates"
