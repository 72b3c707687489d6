#!/bin/sh
# prebind.sh CC SCALL_LD PLUGIN INCDIR LIBDIR [FLAGS...] - a program whose keys all
# start at its own functions, linked and processed by scall-ld:
#  - pre-bound, registration writes no window and makes no sync, and the
#    text stays clean (Private_Dirty 0 kB); --no-prebind writes them (so
#    this test can tell the two apart);
#  - an update from the pre-bound state reaches the new target;
#  - with no writer (SCALL_WRITER=none) it runs while no key changes, and
#    stops with a message naming the way out when one does.
set -eu
cc=$1 ld=$2 plugin=$3 inc=$4 lib=$5
shift 5
src=$(dirname "$0")/prebind.c
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck disable=SC2086 # CC is a command line
$cc -O2 "$@" -fplugin="$plugin" -I"$inc" "$src" -L"$lib" -Wl,-rpath,"$lib" \
	-lscall -pthread -o "$dir/unbound"
cp "$dir/unbound" "$dir/bound"
"$ld" --strict --report "$dir/bound"
"$ld" --strict --no-prebind "$dir/unbound"
"$ld" --report "$dir/bound" | grep -q 'link-time targets: 2 of 2 trampolines, 3 sites$' ||
	fail "not every trampoline can be pre-bound"

SCALL_DEBUG=1 "$dir/bound" update >"$dir/out" 2>&1 || { cat "$dir/out"; fail "bound run"; }
cat "$dir/out"
grep -q '^scall: register: [0-9]* key(s), 0 window(s) changed, 0 sync(s)' "$dir/out" ||
	fail "registration of the pre-bound program wrote"
grep -q '^text Private_Dirty 0 kB$' "$dir/out" || fail "text pages dirty after start"
grep -q '^updated$' "$dir/out" || fail "no update"

SCALL_DEBUG=1 "$dir/unbound" >"$dir/out" 2>&1 || { cat "$dir/out"; fail "unbound run"; }
cat "$dir/out"
grep -q '^scall: register: [0-9]* key(s), [1-9][0-9]* window(s) changed, 3 sync(s)' "$dir/out" ||
	fail "the unbound program's registration, which must write"
grep -q '^text Private_Dirty 0 kB$' "$dir/out" && fail "unbound text stayed clean"

SCALL_WRITER=none "$dir/bound" >"$dir/out" 2>&1 || { cat "$dir/out"; fail "no writer, no change"; }
if SCALL_WRITER=none "$dir/bound" update >"$dir/out" 2>&1; then
	cat "$dir/out"; fail "no writer, a key changed, and the program ran on"
fi
cat "$dir/out"
grep -q 'scall: fatal: the key of the pre-bound .* changed, but no code writer works (.*): it would call its old target; link this module with scall-ld --no-prebind' "$dir/out" ||
	fail "no message naming the way out"
SCALL_WRITER=none "$dir/unbound" update >"$dir/out" 2>&1 || { cat "$dir/out"; fail "unbound, no writer"; }
echo ok
