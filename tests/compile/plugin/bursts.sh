#!/bin/sh
# bursts.sh CC-AND-PASS-FLAGS INCLUDE WORKDIR - compile bursts.c at -O0,
# -O2 and -O2 -fPIC with the pass's store conversion and count, in each
# function's assembly, the calls to __scall_stored and __scall_stored_n:
# its name s<N>_n<M>_... says how many of each follow its bursts.
set -u
cc=$1 inc=$2 work=$3
src=$(dirname "$0")/bursts.c
mkdir -p "$work"
failed=0
for o in -O0 -O2 "-O2 -fPIC"; do
	out="$work/bursts$(echo "$o" | tr -d ' ').s"
	if ! $cc $o -Wall -Werror -I"$inc" -S "$src" -o "$out"; then
		echo "FAIL $o: compile"
		failed=1
		continue
	fi
	# One line per function: name, calls to __scall_stored, to _n.
	awk '
	/^[A-Za-z_][A-Za-z0-9_.]*:/ { fn = $1; sub(":", "", fn) }
	/^\t\.(cfi_endproc|size)/ { fn = "" }
	fn ~ /^s[0-9]+_n[0-9]+_/ && /(call|jmp)[lq]?[ \t]+\*?__scall_stored(@PLT)?([ \t]|$)/ { s[fn]++ }
	fn ~ /^s[0-9]+_n[0-9]+_/ && /(call|jmp)[lq]?[ \t]+\*?__scall_stored_n(@PLT)?([ \t]|$)/ { n[fn]++ }
	fn ~ /^s[0-9]+_n[0-9]+_/ { seen[fn] = 1 }
	END { for (f in seen) printf "%s %d %d\n", f, s[f] + 0, n[f] + 0 }
	' "$out" | sort >"$out.counts"
	count=0
	while read -r name s n; do
		count=$((count + 1))
		want=$(echo "$name" | sed 's/^s\([0-9]*\)_n\([0-9]*\)_.*/\1 \2/')
		if [ "$s $n" != "$want" ]; then
			echo "FAIL $o: $name: $s __scall_stored, $n __scall_stored_n; want $want"
			failed=1
		fi
	done <"$out.counts"
	if [ "$count" -ne 12 ]; then
		echo "FAIL $o: found $count of the 12 functions in $out"
		failed=1
	fi
done
[ $failed -eq 0 ] && echo "ok: every burst's calls counted"
exit $failed
