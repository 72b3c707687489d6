#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/realworld/sqlite.sh BUILDDIR - SQLite 3.40.1 (Debian 12's source
# package sqlite3) converted to scall with annotations only
# (sqlite-annotate.sed on src/ before the amalgamation is made), built with
# and without the GCC plugin; a bounded part of SQLite's own Tcl test suite
# runs on the scall build (RW_TESTS), and test/speedtest1.c is the workload:
# run time (alternating runs) and, under callgrind, instructions and
# indirect branches per sqlite3_step().
#
# BUILDDIR is a meson build dir of this project (gcc) with the GCC plugin,
# libscall and scall-ld built; SQLite is built with that build's C compiler.
# Work files go to BUILDDIR/realworld-sqlite/; the source tarball is cached
# there.
#
# Needs (Debian): build-essential tcl-dev zlib1g-dev valgrind python3 xz-utils
# and apt-get (to fetch the source).  No root needed.  If the source cannot be
# fetched: one "SKIP:" line and exit status 77 (meson's "skipped").
#
# Environment knobs:
#   RW_GROUPS    sqlite-annotate.sed groups to apply: auto (those whose
#                "needs:" features the plugin has, probed), all, none, or a
#                list ("hooks config")
#   RW_DIAGNOSE  1: for every group left out, compile the amalgamation with
#                it and print the plugin's errors (the work items 1-3 of
#                issue 15 are meant to remove) (1)
#   RW_TESTS     Tcl test files (test/NAME.test) run by the scall testfixture
#   RW_SIZE      speedtest1 --size for the timed runs (CPU time) (25)
#   RW_ROUNDS    alternating plain/scall speedtest1 runs per configuration (7)
#   RW_CG_SIZE   speedtest1 --size under callgrind (5)
#   RW_RETPOLINE 1: also the -mindirect-branch=thunk -mfunction-return=thunk
#                pair of builds (1)
#   RW_JOBS      make -j (2)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=$(cd "${1:?usage: sqlite.sh BUILDDIR}" && pwd)
W=$B/realworld-sqlite
SQ_VER=3.40.1
SED=$here/sqlite-annotate.sed
PLUGIN=$B/gcc-plugin/scall.so
LIBDIR=$B/runtime
SCALL_LD=$B/scall-ld/scall-ld
RW_GROUPS=${RW_GROUPS:-auto}
RW_DIAGNOSE=${RW_DIAGNOSE:-1}
# mutex, pcache, malloc (fault injection: the benign-malloc hooks), config
# and syscall-override tests: the converted (and the still indirect) paths,
# about a minute.  Not delete.test nor pager1.test: as root, their read-only
# file cases fail on the plain build too.
RW_TESTS=${RW_TESTS:-main select1 insert update trans pcache2 mutex1 mutex2 memsubsys1 lookaside
syscall wal func date mallocA mallocC malloc3 ioerr ioerr2 shared mmap1 memdb1 sort where index
thread2 fkey1 trigger1 view vtab1 misc1 misc5 savepoint fuzz2}
RW_SIZE=${RW_SIZE:-25}
RW_ROUNDS=${RW_ROUNDS:-7}
RW_CG_SIZE=${RW_CG_SIZE:-5}
RW_RETPOLINE=${RW_RETPOLINE:-1}
RW_JOBS=${RW_JOBS:-2}
# meson test sets MALLOC_PERTURB_: glibc would fill every malloc/free, and
# instructions per step would measure that
unset MALLOC_PERTURB_

rw_name=sqlite.sh
. "$here/lib.sh"

for f in "$PLUGIN" "$LIBDIR/libscall.so" "$SCALL_LD"; do
	[ -e "$f" ] || die "$f not built (GCC plugin, libscall, scall-ld needed)"
done
build_cc "$B"
missing=
for t in "${cc_cmd[0]}" make tclsh valgrind python3 tar xz objdump; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -z "$missing" ] || die "missing tools:$missing (Debian: build-essential tcl valgrind python3 xz-utils)"
tcl_conf=
for d in /usr/lib/tcl8.6 /usr/lib/x86_64-linux-gnu/tcl8.6; do
	[ -r "$d/tclConfig.sh" ] && tcl_conf=$d && break
done
[ -n "$tcl_conf" ] || die "tclConfig.sh missing (Debian: tcl-dev)"
[ -e /usr/include/zlib.h ] || die "zlib.h missing (Debian: zlib1g-dev)"

mkdir -p "$W/cache"
apt_tmp=
cleanup() { [ -z "$apt_tmp" ] || rm -rf "$apt_tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. fetch the upstream tarball with apt-get, privately -----------------
tarball=$W/cache/sqlite3_$SQ_VER.orig.tar.xz
fetch_debian_orig sqlite3 "$SQ_VER" tar.xz "$tarball"

# --- 2. which groups can the plugin compile? --------------------------------
# One probe per feature a group of sqlite-annotate.sed may need; each is the
# smallest form of the SQLite code that needs it.
probe_dir=$W/probe
rm -rf "$probe_dir"
mkdir -p "$probe_dir"
cat >"$probe_dir/convert-stores.c" <<'EOF'
#include <scall.h>
static int f(int x) { return x + 1; }
static int (*a)(int) SCALL_KEY;
void set(void) { a = f; }
int call(int x) { return a(x); }
EOF
cat >"$probe_dir/struct-keys.c" <<'EOF'
#include <scall.h>
struct ops { int (*a)(int); int (*b)(int); };
static int f(int x) { return x + 1; }
static const struct ops impl = { f, f };
struct ops ops SCALL_KEY;
void set(void) { ops = impl; }
int call(int x) { return ops.a(x) + ops.b(x); }
EOF
# mutex.c's sqlite3MutexInit: a local pointer to a member struct of the key
cat >"$probe_dir/local-aliases.c" <<'EOF'
#include <scall.h>
struct methods { int (*a)(int); int (*b)(int); };
struct config { int n; struct methods m; };
static int f(int x) { return x + 1; }
struct config cfg SCALL_KEY;
void set(const struct methods *from) { struct methods *to = &cfg.m; to->a = from->a; to->b = f; }
int call(int x) { return cfg.m.a(x) + cfg.m.b(x); }
EOF
# sqliteInt.h's PURE_DATE: (void *)&sqlite3Config in a static initialiser
cat >"$probe_dir/key-escapes.c" <<'EOF'
#include <scall.h>
struct config { int n; int (*a)(int); };
struct config cfg SCALL_KEY_ESCAPES;
void *const marker = (void *)&cfg;
int call(int x) { return cfg.a(x); }
EOF
# os_unix.c's aSyscall[]: a table called by constant index through a cast
cat >"$probe_dir/array-keys.c" <<'EOF'
#include <scall.h>
typedef void (*any_fn)(void);
static int f(int x) { return x + 1; }
static struct sys { const char *name; any_fn cur; any_fn dflt; } tab[] SCALL_KEY = {
	{ "f", (any_fn)f, 0 }, { "g", (any_fn)f, 0 } };
void set(int i, any_fn p) { tab[i].cur = p; }
int call(int x) { return ((int (*)(int))tab[1].cur)(x); }
EOF
features=
for f in convert-stores struct-keys local-aliases key-escapes array-keys; do
	if "${cc_cmd[@]}" -O2 -c -I"$root/include" -fplugin="$PLUGIN" -fplugin-arg-scall-convert-stores \
		"$probe_dir/$f.c" -o "$probe_dir/$f.o" >"$probe_dir/$f.log" 2>&1; then
		features="$features $f"
	fi
done
features=$(echo $features)
# The plugin of this tree has these two: a failed probe is a regression.
for f in convert-stores struct-keys; do
	case " $features " in *" $f "*) ;; *)
		cat "$probe_dir/$f.log" >&2
		die "the plugin did not compile the $f probe (log above)" ;;
	esac
done
say "plugin features: $features"

# "NAME FEATURE..." per group
group_needs() { sed -n 's/^# group: \([a-z0-9_-]*\) needs: \(.*\)/\1 \2/p' "$SED"; }
all_groups=$(group_needs | awk '{ print $1 }' | tr '\n' ' ')
case $RW_GROUPS in
auto)
	groups=$(group_needs | while read -r g needs; do
		ok=1
		for n in $needs; do case " $features " in *" $n "*) ;; *) ok=0 ;; esac; done
		[ $ok = 0 ] || echo "$g"
	done | tr '\n' ' ')
	;;
all) groups=$all_groups ;;
none) groups= ;;
*) groups=$RW_GROUPS ;;
esac
groups=$(echo $groups)
left_out=$(for g in $all_groups; do case " $groups " in *" $g "*) ;; *) echo "$g" ;; esac; done | tr '\n' ' ')
left_out=$(echo $left_out)
say "annotation groups: ${groups:-none} (left out: ${left_out:-none})"

sel_sed() { # groups... -> stdout: the rules of those groups
	awk -v want=" $* " '
		/^# group: / { g = $3; next }
		/^[s\/]/ { if (index(want, " " g " ")) print }' "$SED"
}

# --- 3. sources, amalgamations, builds ---------------------------------------
# -D_GNU_SOURCE: sqliteInt.h defines it, but -include scall.h brings in
# glibc's features.h first (both builds get it, to stay alike)
CFLAGS0="-O2 -DSQLITE_OS_UNIX=1 -D_GNU_SOURCE"
scall_cflags() { echo "-include scall.h -I$root/include -fplugin=$PLUGIN -fplugin-arg-scall-convert-stores -fplugin-arg-scall-verbose"; }
scall_libs="-L$LIBDIR -Wl,-rpath,$LIBDIR -lscall"

# unpack DIR GROUPS...: a source tree, annotated with the groups' rules
unpack() {
	local d=$1 n
	shift
	rm -rf "$d"
	mkdir -p "$d"
	tar xJf "$tarball" -C "$d" --strip-components=1
	sel_sed "$@" >"$d.sed"
	[ -s "$d.sed" ] || return 0
	find "$d/src" -name '*.[ch]' -exec sed -i -f "$d.sed" {} +
	# one rule is one declaration: a rule that no longer matches would
	# quietly measure fewer keys, one that matches twice annotates a guess
	n=$( { grep -rhoE 'SCALL_KEY(_ESCAPES)?' "$d/src" || true; } | wc -l)
	[ "$n" = "$(grep -c '^[s/]' "$d.sed")" ] ||
		die "sqlite-annotate.sed (groups: $*): $(grep -c '^[s/]' "$d.sed") rules annotated $n declarations"
}

# Configure once (plain); an annotated tree reuses that Makefile with its TOP.
bld_plain=$W/bld-plain
unpack "$W/src-plain"
rm -rf "$bld_plain"
mkdir -p "$bld_plain"
(cd "$bld_plain" && "$W/src-plain/configure" CC="$cc_line" CFLAGS="$CFLAGS0" --with-tcl="$tcl_conf" \
	--disable-readline >configure.log 2>&1) || { tail -n 20 "$bld_plain/configure.log"; die "configure"; }
say "configured ($(elapsed)s)"

# builddir SRC DIR: DIR builds the tree SRC with the plain configuration
builddir() {
	local src=$1 d=$2 f
	[ "$d" = "$bld_plain" ] && return 0
	rm -rf "$d"
	mkdir -p "$d"
	for f in Makefile libtool sqlite_cfg.h sqlite3.pc; do cp -p "$bld_plain/$f" "$d/"; done
	sed -i "s|^TOP = .*|TOP = $src|" "$d/Makefile"
	touch "$d/Makefile"
}

mk() { # dir log make-args...
	local d=$1 log=$2
	shift 2
	(cd "$d" && make -j"$RW_JOBS" "$@" >>"$log" 2>&1)
}

# amalgamate DIR [MAKE-ARGS]: sqlite3.c of DIR's tree
amalgamate() {
	local d=$1
	shift
	mk "$d" "$d/make.log" sqlite3.c "$@" || { tail -n 20 "$d/make.log"; die "$d: make sqlite3.c"; }
}

# speedtest NAME DIR plugin(0|1) EXTRA-CFLAGS: DIR/speedtest1-NAME
speedtest() {
	local name=$1 d=$2 plugin=$3 extra=$4 cf libs= exe=$2/speedtest1-$1
	cf="$CFLAGS0 $extra"
	if [ "$plugin" = 1 ]; then
		cf="$cf $(scall_cflags)"
		libs=$scall_libs
	fi
	rm -f "$d/speedtest1"
	mk "$d" "$d/make-$name.log" speedtest1 CFLAGS="$cf" LIBS="$libs" || {
		grep -m8 -B2 -A3 'error' "$d/make-$name.log" || tail -n 20 "$d/make-$name.log"; die "$name: make speedtest1"; }
	mv "$d/speedtest1" "$exe"
	if [ "$plugin" = 1 ]; then
		"$SCALL_LD" --strict "$exe" >"$exe.scall-ld.log" 2>&1 || { cat "$exe.scall-ld.log"; die "$name: scall-ld"; }
		"$SCALL_LD" --json "$exe" >"$exe.json"
	fi
	say "built speedtest1-$name ($(elapsed)s)"
}

bld_scall=$W/bld-scall
unpack "$W/src-scall" $groups
builddir "$W/src-scall" "$bld_scall"
# The test runs alone (meson: is_parallel false) and each build is mostly
# one compiler process: the plain and scall builds go side by side.
amalgamate "$bld_plain" & p1=$!
amalgamate "$bld_scall" & p2=$!
wait $p1 || exit 1
wait $p2 || exit 1

# --- 4. what the left-out groups still meet ----------------------------------
# Each left-out group alone, compiled as the amalgamation the test suite
# builds: the plugin's errors, one line per distinct message and place.
# It runs beside the test suite's build (step 5); its lines come after.
diagnose() { # GROUP: $W/diag-GROUP.{log,status,say}
	local g=$1 esc= st=fails
	unpack "$W/src-diag-$g" $groups "$g"
	builddir "$W/src-diag-$g" "$W/bld-diag-$g"
	# with #line: the errors name src/ files and lines
	amalgamate "$W/bld-diag-$g" AMALGAMATION_LINE_MACROS=--linemacros=1
	# Without SCALL_KEY_ESCAPES (issue 15, item 3) the key is plain
	# SCALL_KEY: the errors then name what the escape is to allow.
	grep -q SCALL_KEY_ESCAPES "$root/include/scall.h" || esc=-DSCALL_KEY_ESCAPES=SCALL_KEY
	(cd "$W/bld-diag-$g" && "${cc_cmd[@]}" $CFLAGS0 $esc $(scall_cflags) -I. -I"$W/src-diag-$g/src" \
		-D_HAVE_SQLITE_CONFIG_H -DSQLITE_THREADSAFE=1 -DNDEBUG -c sqlite3.c -o sqlite3.o) \
		>"$W/diag-$g.log" 2>&1 && st=compiles
	echo "$st" >"$W/diag-$g.status"
	{
		say "group $g (needs $(group_needs | awk -v g="$g" '$1 == g { $1 = ""; print }' | sed 's/^ //')): $st today"
		grep -E 'error:|sorry' "$W/diag-$g.log" | sed 's|^[^ :]*/||' | sort | uniq -c | sort -rn |
			head -n 20 | sed 's/^/    /' || true
	} >"$W/diag-$g.say"
	rm -rf "$W/src-diag-$g" "$W/bld-diag-$g" "$W/src-diag-$g.sed"
}
declare -A DIAG
diag_pid=
if [ "$RW_DIAGNOSE" = 1 ] && [ -n "$left_out" ]; then
	( for g in $left_out; do diagnose "$g"; done ) & diag_pid=$!
fi

declare -A R
# --- 5. the test suite on the scall build ------------------------------------
# On the scall build with SCALL_CHECK=1: SQLite never calls scall_resync(),
# so a key written behind scall's back (through a pointer that escaped, as
# SCALL_KEY_ESCAPES allows) would leave sites calling a stale target; the
# runtime reports each such key once, and the test fails on it.
run_suite() { # dir plugin -> runs RW_TESTS with DIR/testfixture; "PASS FAIL" in $suite
	local d=$1 plugin=$2 cf=$CFLAGS0 libs= t log=$1/suite.log errs=0 tests=0 n check=
	[ "$plugin" = 1 ] && cf="$cf $(scall_cflags)" && libs=$scall_libs && check=SCALL_CHECK=1
	mk "$d" "$d/make-testfixture.log" testfixture CFLAGS="$cf" LIBS="$libs" || {
		grep -m8 -B2 -A3 'error' "$d/make-testfixture.log" || tail -n 20 "$d/make-testfixture.log"; die "make testfixture"; }
	if [ "$plugin" = 1 ]; then
		"$SCALL_LD" --strict "$d/testfixture" >"$d/testfixture.scall-ld.log" 2>&1 || {
			cat "$d/testfixture.scall-ld.log"; die "scall-ld testfixture"; }
		"$SCALL_LD" --json "$d/testfixture" >"$d/testfixture.json"
	fi
	say "built testfixture in $(basename "$d") ($(elapsed)s)"
	: >"$log"
	rm -rf "$d/testdir"
	mkdir -p "$d/testdir"
	for t in $RW_TESTS; do
		[ -e "$(src_of "$d")/test/$t.test" ] || die "RW_TESTS: no test/$t.test"
		(cd "$d/testdir" && env $check timeout 600 ../testfixture "$(src_of "$d")/test/$t.test" >"$t.out" 2>&1) || true
		n=$(sed -n 's/^\([0-9]\+\) errors out of \([0-9]\+\) tests.*/\1 \2/p' "$d/testdir/$t.out" | tail -n1)
		[ -n "$n" ] || n="1 0"
		printf '%s: %s errors of %s tests\n' "$t" "${n% *}" "${n#* }" >>"$log"
		errs=$((errs + ${n% *}))
		tests=$((tests + ${n#* }))
	done
	suite="$errs $tests"
}
src_of() { sed -n 's/^TOP = //p' "$1/Makefile"; }

run_suite "$bld_scall" 1
R[suite.errors]=${suite% *}
R[suite.tests]=${suite#* }
R[suite.time]=$(elapsed)
say "suite on the scall build: ${R[suite.errors]} errors of ${R[suite.tests]} tests in $(echo $RW_TESTS | wc -w) files ($(elapsed)s)"
stale=$(cd "$bld_scall/testdir" && grep -H 'was written without scall_resync' ./*.out | sort -u || true)
R[suite.stale]=$(printf '%s' "$stale" | grep -c . || true)
say "SCALL_CHECK=1 during the suite: ${R[suite.stale]} key(s) written behind scall's back"
if [ -n "$diag_pid" ]; then
	wait "$diag_pid" || die "diagnosing the left-out groups"
	for g in $left_out; do
		cat "$W/diag-$g.say"
		DIAG[$g]=$(cat "$W/diag-$g.status")
	done
fi
if [ "${R[suite.errors]}" != 0 ]; then
	grep -v ': 0 errors' "$bld_scall/suite.log" >&2
	# is it scall's? the same files on the plain build
	run_suite "$bld_plain" 0
	say "the same files on the plain build: ${suite% *} errors of ${suite#* } tests"
	die "the scall build fails SQLite's tests (plain: ${suite% *} errors); see $bld_scall/testdir/*.out"
fi
[ -z "$stale" ] || { printf '%s\n' "$stale" >&2; die "SCALL_CHECK=1: keys written without scall_resync() (stale sites) in the suite"; }
R[tf.sites]=$(python3 "$here/sites.py" count "$bld_scall/testfixture.json")

# --- 6. the workload: speedtest1 --------------------------------------------
# steps_of CALLGRIND_OUT: calls of sqlite3_step in the dump
steps_of() {
	python3 - "$1" <<'EOF'
import re, sys
# names are compressed: "fn=(id) name" or "cfn=(id) name" once, then "(id)";
# "sqlite3_step'2" is callgrind's name for a recursive (nested) activation
names, n, cur = {}, 0, None
step = re.compile(r"sqlite3_step('\d+)?$")
for line in open(sys.argv[1]):
    m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2).strip()
        if line.startswith("cfn="):
            cur = names.get(m.group(1), "")
        continue
    if line.startswith("calls=") and step.match(cur or ""):
        n += int(line.split()[0][6:])
print(n)
EOF
}

# runst exe size db -> CPU seconds (user + system) of the run; output in
# db.out.  CPU time, not speedtest1's own TOTAL (wall clock): on a machine
# shared with other jobs the wall clock of a run moved by x0.6-x1.8 between
# back-to-back runs of one binary, its CPU time much less
runst() {
	local TIMEFORMAT='%U %S' t
	rm -f "$3" "$3-journal" "$3-wal"
	t=$( { time "$1" --size "$2" --verify "$3" >"$3.out" 2>&1; } 2>&1 ) ||
		{ tail -n 5 "$3.out" >&2; die "$1 --size $2 failed"; }
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[1] + a[2] }'
}
# speedtest1's output without its timings: the per-test hash lines must match
hashes() { sed -n 's/^Verification Hash: //p; s/^ *\([0-9]\+\) - .*/\1/p' "$1"; }

# callgrind_run exe [json] -> "IR_PER_STEP IND_PER_STEP SITES_PER_STEP STEPS"
callgrind_run() {
	local exe=$1 json=${2:-} d=$W/cg out b n
	mkdir -p "$d"
	out=$d/cg.$(basename "$exe")
	rm -f "$d/db" "$d/db-journal"
	(cd "$d" && valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$out" \
		"$exe" --size "$RW_CG_SIZE" --verify "$d/db" >"$out.log" 2>&1) || { tail -n 20 "$out.log"; die "$exe under callgrind"; }
	n=$(steps_of "$out")
	[ "$n" -gt 0 ] || die "no sqlite3_step calls in $out"
	b=$(python3 "$here/branches.py" "$exe" "$out" "$n" $json) || die "branches.py $exe"
	echo "$(awk -v n="$n" '/^(summary|totals):/ { t = $2 } END { printf "%.1f", t / n }' "$out") $b $n"
}

run_config() { # cfg extra-cflags
	local cfg=$1 extra=$2 pl sc i a b rr= rpl= rsc= r cnt db=$W/st.db
	pl=$bld_plain/speedtest1-plain$cfg sc=$bld_scall/speedtest1-scall$cfg
	speedtest "plain$cfg" "$bld_plain" 0 "$extra" & p1=$!
	speedtest "scall$cfg" "$bld_scall" 1 "$extra" & p2=$!
	wait $p1 || exit 1
	wait $p2 || exit 1
	cnt=$(python3 "$here/sites.py" count "$sc.json")
	R[$cfg.sites]=${cnt% *}
	R[$cfg.keys]=${cnt#* }
	R[$cfg.stores]=$(grep -c ': scall: store in ' "$bld_scall/make-scall$cfg.log" || true)
	[ "${R[$cfg.sites]}" -gt 0 ] || die "speedtest1-scall$cfg: scall-ld found no recorded site"
	# same results: every test's verification hash
	runst "$pl" "$RW_SIZE" "$db" >/dev/null; hashes "$db.out" >"$W/hash.plain$cfg"
	runst "$sc" "$RW_SIZE" "$db" >/dev/null; hashes "$db.out" >"$W/hash.scall$cfg"
	[ -s "$W/hash.plain$cfg" ] || die "speedtest1 --verify printed no hash"
	cmp -s "$W/hash.plain$cfg" "$W/hash.scall$cfg" || {
		diff "$W/hash.plain$cfg" "$W/hash.scall$cfg" | head >&2; die "$cfg: speedtest1 --verify hashes differ"; }
	# alternating runs (ABBA); the median of the per-round ratios
	for i in $(seq "$RW_ROUNDS"); do
		if [ $((i % 2)) = 1 ]; then
			a=$(runst "$pl" "$RW_SIZE" "$db"); b=$(runst "$sc" "$RW_SIZE" "$db")
		else
			b=$(runst "$sc" "$RW_SIZE" "$db"); a=$(runst "$pl" "$RW_SIZE" "$db")
		fi
		rpl+="$a " rsc+="$b " rr+="$(ratio "$a" "$b") "
	done
	rm -f "$db" "$db-journal" "$db.out"
	R[$cfg.t.plain]=$(printf '%s\n' $rpl | quantile 0.5)
	R[$cfg.t.scall]=$(printf '%s\n' $rsc | quantile 0.5)
	R[$cfg.t.ratio]=$(printf '%s\n' $rr | quantile 0.5)
	R[$cfg.t.iqr]="$(printf '%s\n' $rr | quantile 0.25)-$(printf '%s\n' $rr | quantile 0.75)"
	say "$cfg speedtest1 --size $RW_SIZE: time ratios scall/plain $rr($(elapsed)s)"
	r=$(callgrind_run "$pl")
	read -r R[$cfg.ir.plain] R[$cfg.ind.plain] _ R[$cfg.steps] <<<"$r"
	r=$(callgrind_run "$sc" "$sc.json")
	read -r R[$cfg.ir.scall] R[$cfg.ind.scall] R[$cfg.sites.run] a <<<"$r"
	[ "$a" = "${R[$cfg.steps]}" ] || die "$cfg: sqlite3_step calls differ under callgrind (plain ${R[$cfg.steps]}, scall $a)"
	say "$cfg callgrind done ($(elapsed)s)"
}

run_config "" ""
[ "$RW_RETPOLINE" = 1 ] && run_config -rp "-mindirect-branch=thunk -mfunction-return=thunk"

# --- 7. the table -------------------------------------------------------------
echo
echo "SQLite $SQ_VER with scall: annotation groups: ${groups:-none} (left out: ${left_out:-none}); plugin features: $features"
echo "(CPU seconds of speedtest1 --size $RW_SIZE: median of $RW_ROUNDS alternating runs, scall/plain = median of per-round ratios;"
echo " per sqlite3_step() of speedtest1 --size $RW_CG_SIZE under callgrind (${R[.steps]} steps): Ir, and executions of its indirect branches)"
printf '%-42s %12s %12s %9s\n' "" "plain" "scall" "scall/plain"
for cfg in "" -rp; do
	[ -n "${R[$cfg.sites]+x}" ] || continue
	t=${cfg:+ (retpoline)}
	printf '%-42s %12s %12s\n' "converted sites$t" - "${R[$cfg.sites]} (${R[$cfg.keys]} keys)"
	printf '%-42s %12s %12s\n' "converted stores$t" - "${R[$cfg.stores]}"
	printf '%-42s %12s %12s %9s  (IQR %s)\n' "speedtest1 CPU seconds$t (median)" "${R[$cfg.t.plain]}" "${R[$cfg.t.scall]}" \
		"${R[$cfg.t.ratio]}" "${R[$cfg.t.iqr]}"
	printf '%-42s %12s %12s %9s\n' "Ir/step$t" "${R[$cfg.ir.plain]}" "${R[$cfg.ir.scall]}" \
		"$(awk -v a="${R[$cfg.ir.plain]}" -v b="${R[$cfg.ir.scall]}" 'BEGIN { printf "%+.1f", b - a }')"
	printf '%-42s %12s %12s %9s\n' "indirect br/step$t" "${R[$cfg.ind.plain]}" "${R[$cfg.ind.scall]}" \
		"$(awk -v a="${R[$cfg.ind.plain]}" -v b="${R[$cfg.ind.scall]}" 'BEGIN { printf "%+.2f", b - a }')"
	printf '%-42s %12s %12s\n' "scall sites run/step$t" - "${R[$cfg.sites.run]}"
done
printf '%-42s %12s %12s\n' "testfixture: converted sites" - "${R[tf.sites]% *} (${R[tf.sites]#* } keys)"
echo "test suite on the scall build: ${R[suite.errors]} errors of ${R[suite.tests]} tests ($(echo $RW_TESTS | wc -w) files); SCALL_CHECK=1: ${R[suite.stale]} stale keys"
for g in $left_out; do
	[ -z "${DIAG[$g]+x}" ] || echo "left-out group $g: ${DIAG[$g]} today (errors: $W/diag-$g.log)"
done
echo "speedtest1 --verify hashes identical in every configuration; total $(elapsed)s"
