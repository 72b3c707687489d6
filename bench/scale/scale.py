#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What grows with the size of a program: the figures of issue "Scale".

  scale.py --cc CC --plugin GCC_PLUGIN --include DIR --libdir DIR
           --scall-ld SCALL_LD --workdir DIR
           [--clang CLANG --clang-plugin SO] [--srcdir DIR]
           [--keys K] [--sites-per-key M]
           [--parts compile,start,update,dlopen,burst,footprint]
           [--compare-libdir DIR]

Generates (never commits) a program of K keys x M call sites (default
1000 x 100 = 10^5: N small noinline functions `return scall(key_k)(x) + 1;`,
as the issue's generator) and prints, each as a ratio against the build
without the toolchain in the same run:

  compile    CPU time of the compiler, gcc -O1 with and without the plugin,
             with and without -ffunction-sections; clang with and without
             the pass.  Also the project's own sources that declare or call
             a key (--srcdir: examples/, tests/, bench/, the expected-failure
             fixtures left out), each compiled at -O2 with and without the
             plugin (and the pass): some sixty small units, where the
             compiler's fixed costs (loading the plugin, the module header
             and trampolines of each unit) count, not the size of one unit.
  start      exec-to-exit of the program when main returns at once, the
             runtime's registration time (SCALL_DEBUG), and the text pages'
             Private_Dirty after start-up.
  update     scall_update of one M-site key in this program against the
             same update in a program holding only that key.
  dlopen     dlopen and dlclose of a module with M sites of a key of the
             program (registration, unregistration) in this program against
             the same in a program holding only that key.
  burst      syncs for 15 consecutive converted stores into a struct key.
  footprint  ticks per call for N distinct hot call sites, each through its
             own key (N = 64 .. 8192): direct, scall, indirect, retpoline.

With --compare-libdir DIR, the start, update and dlopen parts also run
the same executables with DIR's libscall (LD_LIBRARY_PATH: the programs
carry a RUNPATH), alternating with this build's: before and after a change
of the runtime, in the same run.  DIR's libscall must read what this
build's scall-ld writes: a run where it refuses a module stops the script.

Prints tables; asserts nothing about time.
"""
import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--cc", required=True)
ap.add_argument("--plugin", required=True)
ap.add_argument("--include", required=True)
ap.add_argument("--libdir", required=True)
ap.add_argument("--scall-ld", required=True)
ap.add_argument("--workdir", required=True)
ap.add_argument("--srcdir",
                help="the project's source tree (default: --include's parent)")
ap.add_argument("--clang")
ap.add_argument("--clang-plugin")
ap.add_argument("--keys", type=int,
                default=int(os.environ.get("SCALL_SCALE_KEYS", 1000)))
ap.add_argument("--sites-per-key", type=int,
                default=int(os.environ.get("SCALL_SCALE_SITES", 100)))
ap.add_argument("--parts", default=os.environ.get(
    "SCALL_SCALE_PARTS", "compile,start,update,dlopen,burst,footprint"))
ap.add_argument("--compare-libdir",
                default=os.environ.get("SCALL_SCALE_COMPARE_LIBDIR"))
args = ap.parse_args()
CC = shlex.split(args.cc)
W = args.workdir
os.makedirs(W, exist_ok=True)
PLUG = ["-fplugin=" + args.plugin]
LINK = ["-L" + args.libdir, "-Wl,-rpath," + args.libdir, "-lscall"]
INC = ["-I" + args.include]


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit("scale.py: %s: exit %d\n%s%s" % (
            " ".join(cmd[:6]), r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def cpu(cmd):
    """CPU time (user + sys) of the child processes of cmd."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sh(cmd)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def lib_env(lib, **extra):
    """The environment that runs a program with the libscall of `lib` (None:
    the one it was linked with)."""
    env = dict(os.environ)
    env.pop("SCALL_DEBUG", None)
    env.update(extra)
    if lib:
        env["LD_LIBRARY_PATH"] = lib
    return env


# The libscalls compared: this build's, and --compare-libdir's.
LIBS = [("this build", None)]
if args.compare_libdir:
    LIBS.append(("compare", args.compare_libdir))


def sh_lib(cmd, lib, **extra):
    """sh(cmd) with the libscall of `lib`, which must have registered the
    program's modules: a libscall that cannot read them (an older format)
    leaves every site on its trampoline and measures nothing."""
    r = sh(cmd, env=lib_env(lib, **extra))
    if "bad header" in r.stderr or "out of memory" in r.stderr:
        sys.exit("scale.py: %s with the libscall of %s: %s" % (
            cmd[0], lib or "this build", r.stderr.strip().splitlines()[0]))
    return r


def table(title, head, rows):
    print("\n" + title)
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for r in [head] + rows:
        print("  " + "  ".join(str(x).rjust(n) for x, n in zip(r, w)))


# ---------------------------------------------------------------- programs

MAIN = r"""
#include <dlfcn.h>
#include <scall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tgt_a(int x);
int tgt_b(int x);
SCALL_DECLARE(key_0, tgt_a);

/* Private_Dirty of the executable's own r-x mappings, in kB. */
static long text_dirty(void)
{
	char exe[4096], line[4096], perms[5];
	unsigned long lo, hi;
	long kb = 0, v;
	int text = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/smaps", "r");

	if (n <= 0 || !f)
		return -1;
	exe[n] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3) {
			char *path = strchr(line, '/');

			if (path)
				path[strcspn(path, "\n")] = 0;
			text = perms[2] == 'x' && path && !strcmp(path, exe);
		} else if (text &&
			   sscanf(line, "Private_Dirty: %ld kB", &v) == 1) {
			kb += v;
		}
	}
	fclose(f);
	return kb;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "dirty")) {
		printf("%ld\n", text_dirty());
	} else if (argc > 1 && !strcmp(argv[1], "update")) {
		int n = atoi(argv[2]);
		double *t = malloc(sizeof(double) * n);

		for (int i = 0; i < n; i++) {
			double a = now();

			if (scall_update(key_0, (i & 1) ? tgt_a : tgt_b))
				return 1;
			t[i] = now() - a;
		}
		for (int i = 0; i < n; i++)
			printf("%.9f\n", t[i]);
	} else if (argc > 3 && !strcmp(argv[1], "dlopen")) {
		int n = atoi(argv[3]);

		for (int i = 0; i < n; i++) {
			double a = now(), b, c;
			void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);

			b = now();
			if (!h || dlclose(h))
				return 1;
			c = now();
			printf("%.9f %.9f\n", b - a, c - b);
		}
	}
	return 0;
}
"""

TARGETS = """
int tgt_a(int x) { return x + 1; }
int tgt_b(int x) { return x + 2; }
"""


def gen_program(name, keys, per_key):
    """name/: main.c, tgt.c (targets) and sites.c (keys x per_key sites)."""
    d = os.path.join(W, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "main.c"), "w") as f:
        f.write(MAIN)
    with open(os.path.join(d, "tgt.c"), "w") as f:
        f.write(TARGETS)
    with open(os.path.join(d, "sites.c"), "w") as f:
        f.write("#include <scall.h>\nint tgt_a(int x);\n")
        for k in range(keys):
            f.write("SCALL_DEFINE(key_%d, tgt_a);\n" % k)
        for k in range(keys):
            for m in range(per_key):
                f.write("__attribute__((noinline)) int f_%d_%d(int x) "
                        "{ return scall(key_%d)(x) + 1; }\n" % (k, m, k))
    return d


def build(d, toolchain, cflags=("-O1",), out="prog"):
    """Compile and link d/*.c; returns (executable, CPU seconds of sites.c)."""
    pl = PLUG if toolchain else []
    t = cpu(CC + list(cflags) + INC + pl + ["-c", d + "/sites.c", "-o", d + "/sites.o"])
    for s in ("main", "tgt"):
        sh(CC + ["-O2"] + INC + pl + ["-c", "%s/%s.c" % (d, s), "-o", "%s/%s.o" % (d, s)])
    exe = os.path.join(d, out)
    sh(CC + [d + "/main.o", d + "/tgt.o", d + "/sites.o", "-o", exe] + LINK)
    if toolchain:
        sh([args.scall_ld, exe])
    return exe, t


def relink_exporting(d, out):
    """d's objects linked again with key_0 exported, for a module that calls
    through it (scall-ld'ed)."""
    exe = os.path.join(d, out)
    with open(d + "/export.list", "w") as f:
        f.write("{ key_0; };\n")
    sh(CC + [d + "/main.o", d + "/tgt.o", d + "/sites.o", "-o", exe,
             "-Wl,--dynamic-list=" + d + "/export.list"] + LINK)
    sh([args.scall_ld, exe])
    return exe


N = args.keys * args.sites_per_key
print("scale: %d keys x %d sites = %d sites; %s" % (
    args.keys, args.sites_per_key, N, sh(CC + ["--version"]).stdout.splitlines()[0]))
parts = args.parts.split(",")
big = gen_program("big", args.keys, args.sites_per_key)
exes = {}

KEY_USE = re.compile(r"\bSCALL_(DEFINE|DECLARE|KEY)\b|\bscall\s*\(")


def own_sources():
    """The project's C files that declare or call a key, under examples/,
    tests/ and bench/, but the fixtures that must fail to compile (fail/
    directories).  Some need the flags of their own build (a define, an
    include path): those that do not compile alone with -O2 are left out,
    and counted."""
    root = args.srcdir or os.path.dirname(os.path.abspath(args.include))
    found = []
    for top in ("examples", "tests", "bench"):
        for d, subdirs, files in os.walk(os.path.join(root, top)):
            subdirs[:] = sorted(x for x in subdirs if x != "fail")
            for f in sorted(files):
                p = os.path.join(d, f)
                if f.endswith(".c"):
                    with open(p, errors="replace") as fh:
                        if KEY_USE.search(fh.read()):
                            found.append(p)
    return found


def own_sources_table():
    srcs = own_sources()
    if not srcs:
        return
    o = os.path.join(W, "own.o")
    # The defines and flags of the project's own builds (gnu11, threads).
    own = ["-O2", "-D_GNU_SOURCE", "-pthread"]
    comps = [("gcc -O2", CC + own + INC, PLUG)]
    if args.clang and args.clang_plugin:
        comps.append(("clang -O2", shlex.split(args.clang) + own + INC,
                      ["-fplugin=" + args.clang_plugin,
                       "-fpass-plugin=" + args.clang_plugin]))
    rows = []
    for name, base, extra in comps:
        ok = [s for s in srcs
              if all(subprocess.run(base + x + ["-c", s, "-o", o],
                                    capture_output=True).returncode == 0
                     for x in ([], extra))]
        # Alternate, so drifting load hits both alike; the fastest of 3.
        tot = {False: [], True: []}
        for _ in range(3):
            for w in (False, True):
                tot[w].append(sum(cpu(base + (extra if w else []) + ["-c", s, "-o", o])
                                  for s in ok))
        a, b = min(tot[False]), min(tot[True])
        rows.append([name, "%d of %d" % (len(ok), len(srcs)), "%.2f" % a, "%.2f" % b,
                     "%.3f" % (b / a)])
    table("compile: CPU seconds for the project's own sources that use keys, one unit "
          "at a time (min of 3; goal: ratio <= 1.05)",
          ["", "units compiled", "without", "with", "ratio"], rows)


if "compile" in parts:
    rows = []
    for flags in (["-O1"], ["-O1", "-ffunction-sections"]):
        a = cpu(CC + flags + INC + ["-c", big + "/sites.c", "-o", big + "/x.o"])
        b = cpu(CC + flags + INC + PLUG + ["-c", big + "/sites.c", "-o", big + "/x.o"])
        rows.append(["gcc " + " ".join(flags), "%.2f" % a, "%.2f" % b, "%.3f" % (b / a)])
    if args.clang and args.clang_plugin:
        cl = shlex.split(args.clang)
        for flags in (["-O1"], ["-O1", "-ffunction-sections"]):
            a = cpu(cl + flags + INC + ["-c", big + "/sites.c", "-o", big + "/x.o"])
            b = cpu(cl + flags + INC + ["-fplugin=" + args.clang_plugin,
                                        "-fpass-plugin=" + args.clang_plugin,
                                        "-c", big + "/sites.c", "-o", big + "/x.o"])
            rows.append(["clang " + " ".join(flags), "%.2f" % a, "%.2f" % b,
                         "%.3f" % (b / a)])
    table("compile: CPU seconds for one unit of %d sites (goal: ratio <= 1.05)" % N,
          ["", "without", "with", "ratio"], rows)
    own_sources_table()

if parts != ["compile"]:
    exes["plain"], _ = build(big, False, out="plain")
    exes["scall"], _ = build(big, True, out="scall")

if "start" in parts:
    runs = {("plain", None): []}
    runs.update({("scall", lib): [] for _, lib in LIBS})
    for _ in range(21):  # alternate, so drifting load hits all alike
        for k in runs:
            a = time.perf_counter()
            subprocess.run([exes[k[0]]], env=lib_env(k[1]), check=True)
            runs[k].append(time.perf_counter() - a)
    p = statistics.median(runs[("plain", None)])
    rows = [["exec-to-exit (ms)", "plain", "%.2f" % (p * 1e3), "", ""]]
    for name, lib in LIBS:
        s = statistics.median(runs[("scall", lib)])
        rows.append(["", "scall, " + name, "%.2f" % (s * 1e3), "%.2f" % (s / p),
                     "%+.2f ms" % ((s - p) * 1e3)])
    for name, lib in LIBS:
        reg = []
        for _ in range(5):
            e = sh_lib([exes["scall"]], lib, SCALL_DEBUG="1").stderr
            m = re.search(r"register: .*?([0-9.]+) us", e)
            reg.append(float(m.group(1)) if m else float("nan"))
        # a lazy (pre-bound) module's line times its whole registration;
        # an eager one's, its registration cycle
        rows.append(["registration (ms, SCALL_DEBUG)", "scall, " + name,
                     "%.3f" % (min(reg) / 1e3), "", ""])
    for k in ("plain", "scall"):
        rows.append(["text Private_Dirty after start (kB)", k,
                     sh([exes[k], "dirty"]).stdout.strip(), "", ""])
    table("start: exec-to-exit, main returns at once (median of 21; goal: "
          "<= 1.10x or <= +0.5 ms)",
          ["", "build, libscall", "value", "ratio", "scall - plain"], rows)

if "update" in parts or "dlopen" in parts:
    small = gen_program("small", 1, args.sites_per_key)
    one, _ = build(small, True, out="scall")

if "update" in parts:
    def upd(exe, lib):
        r = sh_lib([exe, "update", "401"], lib).stdout.split()
        return statistics.median(float(x) for x in r[1:])

    u = {(e, lib): [] for e in (one, exes["scall"]) for _, lib in LIBS}
    for _ in range(5):  # alternate, so drifting load hits all alike
        for e, lib in u:
            u[(e, lib)].append(upd(e, lib))
    rows = []
    for name, lib in LIBS:
        s = statistics.median(u[(one, lib)])
        b = statistics.median(u[(exes["scall"], lib)])
        rows.append([name, "only that key", "%.1f" % (s * 1e6), "1.00"])
        rows.append([name, "%d keys, %d sites" % (args.keys, N),
                     "%.1f" % (b * 1e6), "%.2f" % (b / s)])
    table("update: scall_update of one %d-site key (median us; goal: ratio <= 1.5)"
          % args.sites_per_key,
          ["libscall", "process holding", "us", "ratio"], rows)

PLUGIN_MOD = """#include <scall.h>
int tgt_a(int x);
SCALL_DECLARE(key_0, tgt_a);
"""

if "dlopen" in parts:
    d = os.path.join(W, "dlmod")
    os.makedirs(d, exist_ok=True)
    with open(d + "/mod.c", "w") as f:
        f.write(PLUGIN_MOD)
        for m in range(args.sites_per_key):
            f.write("__attribute__((noinline)) int p_%d(int x) "
                    "{ return scall(key_0)(x) + 1; }\n" % m)
    mod = d + "/mod.so"
    sh(CC + ["-O1", "-fPIC", "-shared"] + INC + PLUG +
       [d + "/mod.c", "-o", mod] + LINK)
    sh([args.scall_ld, mod])
    hosts = [("only that key", relink_exporting(small, "scall-export")),
             ("%d keys, %d sites" % (args.keys, N),
              relink_exporting(big, "scall-export"))]
    t = {(e, lib): ([], []) for _, e in hosts for _, lib in LIBS}
    for _ in range(5):
        for (e, lib), (o, c) in t.items():
            for line in sh_lib([e, "dlopen", mod, "201"],
                               lib).stdout.splitlines()[1:]:
                a, b = line.split()
                o.append(float(a))
                c.append(float(b))
    rows = []
    for name, lib in LIBS:
        base = None
        for host, e in hosts:
            o, c = (statistics.median(x) for x in t[(e, lib)])
            base = base or (o, c)
            rows.append([name, host, "%.1f" % (o * 1e6), "%.2f" % (o / base[0]),
                         "%.1f" % (c * 1e6), "%.2f" % (c / base[1])])
    table("dlopen: dlopen and dlclose of a module of %d sites of key_0 "
          "(median us, loader included; goal: ratio near 1)" % args.sites_per_key,
          ["libscall", "process holding", "dlopen", "ratio", "dlclose", "ratio"],
          rows)

BURST = r"""
#include <scall.h>
#include <stdio.h>
typedef int fn(int);
#define F(i) static int f##i(int x) { return x + i; }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14)
#define M(i) fn *m##i;
struct table { M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) };
struct table tab SCALL_KEY = { f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0 };
__attribute__((noinline)) int call_all(int x)
{
	int s = 0;
#define C(i) s += tab.m##i(x);
	C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14)
	return s;
}
/* zlib-ng's functable init: one store per member, nothing between */
__attribute__((noinline)) void init(void)
{
#define S(i) __atomic_store_n(&tab.m##i, f##i, __ATOMIC_SEQ_CST);
	S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11) S(12) S(13) S(14)
}
int main(void)
{
	struct scall_stats a, b;
	scall_stats(&a);
	init();
	scall_stats(&b);
	printf("%llu %llu %d\n", (unsigned long long)(b.syncs - a.syncs),
	       (unsigned long long)(b.updates - a.updates), call_all(0));
	return 0;
}
"""

if "burst" in parts:
    d = os.path.join(W, "burst")
    os.makedirs(d, exist_ok=True)
    with open(d + "/burst.c", "w") as f:
        f.write(BURST)
    rows = []
    comps = [("gcc", CC + PLUG + ["-fplugin-arg-scall-convert-stores"])]
    if args.clang and args.clang_plugin:
        comps.append(("clang", shlex.split(args.clang) + [
            "-fplugin=" + args.clang_plugin, "-fpass-plugin=" + args.clang_plugin,
            "-Xclang", "-plugin-arg-scall", "-Xclang", "convert-stores"]))
    for name, cmd in comps:
        exe = d + "/burst-" + name
        r = subprocess.run(cmd + ["-O2"] + INC + [d + "/burst.c", "-o", exe] + LINK,
                           capture_output=True, text=True)
        if r.returncode:
            rows.append([name, "build failed: " + r.stderr.strip().splitlines()[-1], "", ""])
            continue
        sh([args.scall_ld, exe])
        syncs, updates, total = sh([exe]).stdout.split()
        rows.append([name, syncs, updates, "105" == total and "ok" or "wrong: " + total])
    table("burst: 15 consecutive converted stores into a struct key (goal: 3 syncs)",
          ["", "syncs", "updates", "calls"], rows)

FOOT = r"""
#include <scall.h>
#include <stdio.h>
#include <x86intrin.h>
typedef int fn(int);
%(targets)s
%(keys)s
__attribute__((noinline)) long body(long s)
{
%(calls)s
	return s;
}
int main(void)
{
	double best = 1e30;
	for (int r = 0; r < 7; r++) {
		long s = 0;
		unsigned long long a = __rdtsc();
		for (int i = 0; i < %(reps)d; i++)
			s = body(s);
		double t = (double)(__rdtsc() - a) / ((double)%(reps)d * %(n)d);
		if (t < best)
			best = t;
		__asm__ volatile("" ::"r"(s));
	}
	printf("%%.2f\n", best);
	return 0;
}
"""


def foot_src(n, mode):
    ntg = 64
    targets = "".join("__attribute__((noinline)) int t%d(int x) { return x + %d; }\n"
                      % (j, j) for j in range(ntg))
    if mode == "scall":
        keys = "".join("SCALL_DEFINE(k%d, t%d);\n" % (i, i % ntg) for i in range(n))
        call = "scall(k%d)"
    elif mode == "direct":
        keys, call = "", None
    else:
        keys = "".join("fn *k%d = t%d;\n" % (i, i % ntg) for i in range(n))
        call = "k%d"
    calls = "".join("\ts += %s((int)s);\n" % (call % i if call else "t%d" % (i % ntg))
                    for i in range(n))
    return FOOT % {"targets": targets, "keys": keys, "calls": calls,
                   "reps": max(20, 400000 // n), "n": n}


if "footprint" in parts:
    d = os.path.join(W, "footprint")
    os.makedirs(d, exist_ok=True)
    rows = []
    for n in (64, 256, 1024, 4096, 8192):
        row = [n]
        for mode, extra in (("direct", []), ("scall", PLUG), ("indirect", []),
                            ("retpoline", ["-mindirect-branch=thunk"])):
            src = "%s/%s-%d.c" % (d, mode, n)
            with open(src, "w") as f:
                f.write(foot_src(n, "indirect" if mode == "retpoline" else mode))
            exe = src[:-2]
            sh(CC + ["-O2"] + INC + extra + [src, "-o", exe] + LINK)
            if mode == "scall":
                sh([args.scall_ld, exe])
            row.append(min(float(sh([exe]).stdout) for _ in range(3)))
        rows.append(row + ["%.2f" % (row[2] / row[1]), "%.2f" % (row[3] / row[1])])
    table("footprint: TSC ticks per call, N distinct hot call sites each through its "
          "own key (min of 7 runs x 3 processes)",
          ["sites", "direct", "scall", "indirect", "retpoline", "scall/direct",
           "indirect/direct"], rows)
