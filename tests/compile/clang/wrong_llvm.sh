#!/bin/sh
# wrong_llvm.sh PLUGIN OURS OTHER OTHER_CLANG OTHER_OPT INCLUDE FIXTURE
# scall-clang.so built for LLVM OURS, loaded into clang and opt of LLVM
# OTHER: each must fail with status 1 (not a signal, not
# a crash report) and one line naming both versions.
set -u
plugin=$1 ours=$2 other=$3 clang=$4 opt=$5 inc=$6 src=$7
want="built for LLVM $ours and cannot run in this compiler, which is LLVM $other"
check() { # WHAT STATUS OUTPUT
	if [ "$2" -ne 1 ]; then
		printf '%s: status %s, want 1:\n%s\n' "$1" "$2" "$3"; exit 1
	fi
	if ! printf '%s\n' "$3" | grep -q "^error: scall-clang.so was $want"; then
		printf '%s: no message naming LLVM %s and %s:\n%s\n' "$1" "$ours" "$other" "$3"; exit 1
	fi
	if printf '%s\n' "$3" | grep -q -i -e 'stack dump' -e 'PLEASE submit' -e 'crash'; then
		printf '%s: crashed:\n%s\n' "$1" "$3"; exit 1
	fi
}
out=$("$clang" -I"$inc" -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o /dev/null 2>&1)
check "clang-$other -fplugin -fpass-plugin" $? "$out"
out=$("$clang" -I"$inc" -fpass-plugin="$plugin" -c "$src" -o /dev/null 2>&1)
check "clang-$other -fpass-plugin" $? "$out"
out=$("$clang" -I"$inc" -fplugin="$plugin" -c "$src" -o /dev/null 2>&1)
check "clang-$other -fplugin" $? "$out"
out=$(echo 'define void @f() { ret void }' | "$opt" -load-pass-plugin="$plugin" -passes=scall -S -o /dev/null 2>&1)
check "opt-$other -load-pass-plugin" $? "$out"
exit 0
