#!/bin/sh
# taildup.sh CC PLUGIN SCALL_LD LTO_LINK_FLAGS INCLUDE SRC TRAMP_RUNTIME_C WORKDIR
# One machine site per site record (clang-pass/README.md, "Emission"): SRC
# (taildup.c) built with the pass at -O3 (where the backend's tail
# duplication copied a converted tail call), -O3 -flto (the link-time half),
# -O2 and -Os, linked with TRAMP_RUNTIME_C, must give exactly as many
# call/jmp/jcc rel32 to trampolines as records, pass `scall-ld --strict`,
# and print what the build without the pass prints.  At -Os, cond()'s
# conditional tail call must stay a jcc to its trampoline.  CC may carry
# flags (the pointer mode); LTO_LINK_FLAGS is what this version's -flto
# link adds to run the link-time half (with -fuse-ld=lld).
set -u
cc=$1 plugin=$2 scall_ld=$3 ltolink=$4 inc=$5 src=$6 runtime=$7 dir=$8
mkdir -p "$dir"
fail=0
# shellcheck disable=SC2086 # $cc and $ltolink are word lists
$cc -I"$inc" -O2 -c "$runtime" -o "$dir/tramp_runtime.o" || exit 1
$cc -I"$inc" -O2 "$src" "$dir/tramp_runtime.o" -o "$dir/plain" || exit 1
want=$("$dir/plain") || exit 1

# The call/jmp/jcc rel32 to a trampoline in file $1, one a line.
branches() {
	objdump -d --no-show-raw-insn -w "$1" |
		grep -E '^ *[0-9a-f]+:[[:space:]]+(call|j[a-z]+)q?[[:space:]]+[0-9a-f]+ <__scall_c?tramp_'
}

# bad: a check of this configuration failed (the message is printed)
bad() { printf '%s: ' "$cfg"; printf "$@"; ok=0; fail=1; }

for cfg in O3 O3-lto O2 Os; do
	exe=$dir/$cfg ok=1
	case $cfg in
	*-lto) flags="-${cfg%-lto} -flto" link="$ltolink" ;;
	*) flags="-$cfg" link="" ;;
	esac
	# shellcheck disable=SC2086
	if ! $cc -I"$inc" $flags -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o "$exe.o" ||
	   ! $cc $flags $link "$exe.o" "$dir/tramp_runtime.o" -o "$exe"; then
		bad 'build failed\n'; continue
	fi
	# --no-prebind: the branches to trampolines are what is counted
	out=$("$scall_ld" --strict --no-prebind "$exe" 2>&1) || bad 'scall-ld --strict failed:\n%s\n' "$out"
	n_br=$(branches "$exe" | wc -l)
	size=$(objdump -h "$exe" | awk '$2 == "scall_sites" { print $3 }')
	n_rec=$(( 0x${size:-0} / 12 ))
	if [ "$n_br" -ne "$n_rec" ] || [ "$n_rec" -eq 0 ]; then
		bad '%s branches to trampolines, %s site records:\n%s\n' "$n_br" "$n_rec" "$(branches "$exe")"
	fi
	got=$("$exe") || bad 'exit status %s\n' $?
	[ "$got" = "$want" ] || bad 'output %s, expected %s\n' "$got" "$want"
	if [ "$cfg" = Os ] && ! objdump -d --no-show-raw-insn -w "$exe" |
		awk '/^[0-9a-f]+ <cond>:/ { f = 1; next } /^[0-9a-f]+ </ { f = 0 } f' |
		grep -qE '[[:space:]]j[a-ln-z][a-z]*[[:space:]]+[0-9a-f]+ <__scall_tramp_kv>'; then
		bad "cond()'s conditional tail call is not a jcc to __scall_tramp_kv:\n%s\n" \
			"$(objdump -d --no-show-raw-insn -w "$exe" | awk '/^[0-9a-f]+ <cond>:/,/^$/')"
	fi
	[ $ok -eq 1 ] && echo "$cfg: $n_br sites, $n_rec records: ok"
done
exit $fail
