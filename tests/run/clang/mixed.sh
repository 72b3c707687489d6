#!/bin/sh
# mixed.sh GCC GCC_PLUGIN CLANG CLANG_PLUGIN SCALL_LD INCLUDE LIBDIR WORKDIR
# Programs whose objects come from both compilers (GCC plugin and Clang
# pass), completed by scall-ld --strict, run with libscall:
#  - tests/compile/plugin/fixtures/multi: one executable, a.c by one
#    compiler and b.c by the other (one trampoline, one module header);
#  - tests/run/plugin shlib: key in a shared object, used from the
#    executable and a dlopen()ed object, the three split between the
#    compilers; the programs check registration and patching themselves
#    (-DE2E_EXPECT_PATCHED: in the code's bytes, tests/common/site_check.h);
#  - tests/run/plugin chain and structlib (struct keys, converted stores),
#    their units split between the compilers.
# Each output must equal the fallback build's (gcc, no plugin).
set -u
GCC=$1 GP=$2 CLANG=$3 CP=$4 SCALL_LD=$5 INC=$6 LIBDIR=$7 W=$8
T=$(cd "$(dirname "$0")/../.." && pwd)
FX=$T/compile/plugin/fixtures/multi
RUN=$T/run/plugin
HERE=$T/run/clang
mkdir -p "$W"
# -fPIE: gcc links PIEs by default, and clang 13 does not compile for them
base="-I$INC -std=gnu11 -Wall -Werror -D_GNU_SOURCE -O2 -fPIE"
link="-L$LIBDIR -Wl,-rpath,$LIBDIR -lscall -lpthread -ldl"
cc_g() { $GCC $base -DE2E_EXPECT_PATCHED -fplugin="$GP" "$@"; }
cc_c() { $CLANG $base -DE2E_EXPECT_PATCHED -Wno-unused-command-line-argument -fplugin="$CP" -fpass-plugin="$CP" "$@"; }
cc_f() { $GCC $base "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

for order in gc cg; do
	a=cc_${order%?} b=cc_${order#?}
	d=$W/multi-$order
	mkdir -p "$d"
	$a -c "$FX/a.c" -o "$d/a.o" || fail "multi $order: compile a.c"
	$b -c "$FX/b.c" -o "$d/b.o" || fail "multi $order: compile b.c"
	$GCC "$d/a.o" "$d/b.o" -o "$d/multi" $link || fail "multi $order: link"
	"$SCALL_LD" --strict "$d/multi" || fail "multi $order: scall-ld"
	out=$("$d/multi") || fail "multi $order: run"
	[ "$out" = "12 13" ] || fail "multi $order: output '$out'"
	echo "multi $order: ok"
done

f=$W/fallback
mkdir -p "$f"
cc_f -fPIC -shared "$RUN/e2e_lib.c" -o "$f/libe2ekey.so" $link || fail "fallback lib"
cc_f -fPIC -shared "$RUN/e2e_plug.c" -o "$f/e2e_plug.so" "$f/libe2ekey.so" $link || fail "fallback plug"
cc_f "$RUN/e2e_main.c" -o "$f/e2e_main" "$f/libe2ekey.so" $link || fail "fallback main"
want=$("$f/e2e_main" "$f/e2e_plug.so") || fail "fallback run"
for combo in gcg cgc ggc ccg; do
	l=cc_$(echo $combo | cut -c1) p=cc_$(echo $combo | cut -c2) m=cc_$(echo $combo | cut -c3)
	d=$W/shlib-$combo
	mkdir -p "$d"
	$l -fPIC -shared "$RUN/e2e_lib.c" -o "$d/libe2ekey.so" $link || fail "shlib $combo: lib"
	$p -fPIC -shared "$RUN/e2e_plug.c" -o "$d/e2e_plug.so" "$d/libe2ekey.so" $link || fail "shlib $combo: plug"
	$m "$RUN/e2e_main.c" -o "$d/e2e_main" "$d/libe2ekey.so" $link || fail "shlib $combo: main"
	for x in libe2ekey.so e2e_plug.so e2e_main; do
		"$SCALL_LD" --strict "$d/$x" || fail "shlib $combo: scall-ld $x"
	done
	got=$("$d/e2e_main" "$d/e2e_plug.so") || fail "shlib $combo: run"
	[ "$got" = "$want" ] || fail "shlib $combo: output differs from the fallback"
	echo "shlib $combo (lib, plug, main; g=gcc c=clang): ok"
done
# Struct keys and converted stores across compilers: nginx's chain (three
# units: e2e_chain.c, a, b) and a struct key in a shared object, split.
cs=-fplugin-arg-scall-convert-stores
f=$W/chain-fallback
mkdir -p "$f"
cc_f "$RUN/e2e_chain.c" "$RUN/e2e_chain_a.c" "$RUN/e2e_chain_b.c" -o "$f/chain" $link ||
	fail "chain fallback"
want=$("$f/chain") || fail "chain fallback run"
for combo in gcc cgg gcg cgc; do
	d=$W/chain-$combo
	mkdir -p "$d"
	i=0
	for u in e2e_chain e2e_chain_a e2e_chain_b; do
		i=$((i + 1))
		c=cc_$(echo $combo | cut -c$i)
		$c $cs -c "$RUN/$u.c" -o "$d/$u.o" || fail "chain $combo: $u"
	done
	$GCC "$d"/*.o -o "$d/chain" $link || fail "chain $combo: link"
	"$SCALL_LD" --strict "$d/chain" || fail "chain $combo: scall-ld"
	got=$("$d/chain") || fail "chain $combo: run"
	[ "$got" = "$want" ] || fail "chain $combo: output differs from the fallback"
	echo "chain $combo (e2e_chain, a, b; g=gcc c=clang): ok"
done
cc_f -fPIC -shared "$RUN/e2e_slib.c" -o "$f/libe2eslib.so" $link || fail "structlib fallback lib"
cc_f "$RUN/e2e_smain.c" -o "$f/e2e_smain" "$f/libe2eslib.so" $link || fail "structlib fallback main"
want=$("$f/e2e_smain") || fail "structlib fallback run"
for combo in gc cg; do
	l=cc_$(echo $combo | cut -c1) m=cc_$(echo $combo | cut -c2)
	d=$W/structlib-$combo
	mkdir -p "$d"
	$l $cs -fPIC -shared "$RUN/e2e_slib.c" -o "$d/libe2eslib.so" $link || fail "structlib $combo: lib"
	$m $cs "$RUN/e2e_smain.c" -o "$d/e2e_smain" "$d/libe2eslib.so" $link || fail "structlib $combo: main"
	for x in libe2eslib.so e2e_smain; do
		"$SCALL_LD" --strict "$d/$x" || fail "structlib $combo: scall-ld $x"
	done
	got=$("$d/e2e_smain") || fail "structlib $combo: run"
	[ "$got" = "$want" ] || fail "structlib $combo: output differs from the fallback"
	echo "structlib $combo (lib, main): ok"
done
# One shared object from both compilers, stressed; the executable by either.
for combo in gcg cgc; do
	a=cc_$(echo $combo | cut -c1) b=cc_$(echo $combo | cut -c2) m=cc_$(echo $combo | cut -c3)
	d=$W/stress-$combo
	mkdir -p "$d"
	$a -fPIC -c "$HERE/mixed_a.c" -o "$d/a.o" || fail "stress $combo: a"
	$b -fPIC -c "$HERE/mixed_b.c" -o "$d/b.o" || fail "stress $combo: b"
	$GCC -shared "$d/a.o" "$d/b.o" -o "$d/libmixed.so" $link || fail "stress $combo: lib"
	$m "$HERE/mixed_stress.c" -o "$d/stress" "$d/libmixed.so" $link ||
		fail "stress $combo: main"
	"$SCALL_LD" --strict "$d/libmixed.so" || fail "stress $combo: scall-ld"
	out=$(timeout 120 "$d/stress") || fail "stress $combo: run: $out"
	echo "stress $combo (a.c, b.c in one .so, main): $out"
done
exit 0
