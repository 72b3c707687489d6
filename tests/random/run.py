#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run.py - differential test of the scall conversion on random programs.

  run.py --build BUILD_DIR [--seeds 1-20,31] [--configs 'gcc-*,clang-O2-*']
         [--skip CONFIGS] [--jobs N] [--workdir DIR] [--keep]
         [--program DIR ...] [--list]

Each program (gen.py SEED, or a fixed program directory given with
--program, as tests/random/regress/ keeps them) is built in every selected
configuration COMPILER-OPT-MODE:

  COMPILER  gcc (the build's C compiler with the GCC plugin) or clang (the
            clang of the build's LLVM with both halves of the Clang plugin)
  OPT       O0, O2, O3, Os
  MODE      pie     units a, b and main linked into one PIE
            shared  units a and b in a -fPIC shared object, main a PIE
            lto     one PIE with -flto (gcc: the plugin at the link too;
                    clang: lld with the link-time half as the build's LLVM
                    loads it, clang-pass/README.md)
  extra modes, selected only by name or with --configs all:
            nopie   one non-PIE executable
            ltoshared  as shared, every object built with -flto
            cet     pie with -fcf-protection=full -fno-plt
            retpoline  pie with retpolines (gcc: -mindirect-branch=thunk
                    -mfunction-return=thunk; clang: -mretpoline)
            gc      pie with -ffunction-sections -Wl,--gc-sections
            mixed   pie with unit a built by the other compiler
  and extra levels O1, Og (likewise).

In each configuration the program is built without the toolchain and with
it (plugin flags, then `scall-ld --strict` on every module), both linked
with libscall.  The compilers, plugins and link flags are the build's: those
meson passes to the test "random" (meson-info/intro-tests.json), each
replaced by its option when given.  Both must exit 0 and print exactly what the reference (gcc
-O0 without the toolchain) prints.  The toolchain build must also:
  * have at least one site in the module for every key the generator
    called from that module's code (meta.json "called");
  * pass its own site check (sitecheck.c, -DRND_SITECHECK): after start-up
    and after every phase's updates, the live bytes of every site that
    `scall-ld --json` lists, and of every trampoline, are exactly what
    docs/format.md prescribes for the key's current value (so every site
    that can be direct is direct).

Prints one line per failure with the kept work directory, then a summary
and "N passed, N failed" (one per program x configuration).  Exit status 1
if anything failed.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

COMPILERS = ("gcc", "clang")
OPTS = ("O0", "O2", "O3", "Os")
EXTRA_OPTS = ("O1", "Og")
MODES = ("pie", "shared", "lto")
EXTRA_MODES = ("nopie", "ltoshared", "cet", "retpoline", "gc", "mixed")
ALL_CONFIGS = ["%s-%s-%s" % (c, o, m) for c in COMPILERS for o in OPTS + EXTRA_OPTS
               for m in MODES + EXTRA_MODES]
DEFAULT_CONFIGS = [c for c in ALL_CONFIGS if c.split("-")[1] in OPTS and
                   c.split("-")[2] in MODES]


class Fail(Exception):
    def __init__(self, what, detail=""):
        super().__init__(what)
        self.what, self.detail = what, detail


# The options naming the build's tools; --clang-lto-link may be empty (no
# link flags), the others may not.
TOOL_OPTS = ("gcc", "clang", "clang_lto_link", "gcc_plugin", "clang_plugin",
             "scall_ld", "libdir")


def build_tools(build):
    """The tool options meson passes to the test "random" in BUILD."""
    info = os.path.join(build, "meson-info", "intro-tests.json")
    try:
        with open(info) as f:
            tests = json.load(f)
    except OSError as e:
        sys.exit("run.py: cannot read the build's tests (%s): give --build a meson build "
                 "directory, or every tool option" % e)
    for t in tests:
        if t["name"] == "random":
            opts = {}
            for arg in t["cmd"]:
                m = re.match(r"--([a-z-]+)=(.*)", arg, re.S)
                if m and m.group(1).replace("-", "_") in TOOL_OPTS:
                    opts[m.group(1).replace("-", "_")] = m.group(2)
            return opts
    sys.exit("run.py: %s has no test 'random' (it needs both plugins, scall-ld and an "
             "unsanitized libscall): give every tool option" % build)


class Tools:
    def __init__(self, a):
        given = {o: getattr(a, o) for o in TOOL_OPTS}
        if any(v is None for v in given.values()):
            built = build_tools(a.build)
            given = {o: built.get(o) if v is None else v for o, v in given.items()}
        missing = [o for o, v in given.items() if v is None]
        if missing:
            sys.exit("run.py: no %s for this build" % ", ".join(
                "--" + o.replace("_", "-") for o in missing))
        # the builds run in their own directories
        self.gcc_plugin = os.path.abspath(given["gcc_plugin"])
        self.clang_plugin = os.path.abspath(given["clang_plugin"])
        self.scall_ld = os.path.abspath(given["scall_ld"])
        self.libdir = os.path.abspath(given["libdir"])
        self.gcc = shlex.split(given["gcc"])
        self.clang = shlex.split(given["clang"])
        self.clang_lto_link = shlex.split(given["clang_lto_link"])
        for f in (self.gcc_plugin, self.clang_plugin, self.scall_ld,
                  os.path.join(self.libdir, "libscall.so")):
            if not os.path.exists(f):
                sys.exit("run.py: missing %s (build the project first)" % f)


def sh(cmd, cwd, timeout=300, env=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout, env=env)
    return r


def must(cmd, cwd, what):
    try:
        r = sh(cmd, cwd)
    except subprocess.TimeoutExpired:
        raise Fail(what + ": timed out", " ".join(cmd))
    if r.returncode:
        raise Fail(what, "$ " + " ".join(shlex.quote(c) for c in cmd) + "\n" +
                   (r.stdout + r.stderr)[-4000:])
    return r


def compiler(tools, prog, cc, opt, mode, meta, tool):
    """The compile command of compiler cc, with its plugin when tool."""
    base = ["-std=gnu11", "-D_GNU_SOURCE", "-" + opt, "-Wall", "-Wextra", "-Werror",
            "-Wno-unused-function", "-Wno-unused-parameter",
            "-I" + os.path.join(SRC, "include"), "-I" + HERE, "-I" + prog]
    if cc == "clang":
        base.append("-Wno-unused-command-line-argument")
    base += {"cet": ["-fcf-protection=full", "-fno-plt"],
             "retpoline": ["-mretpoline"] if cc == "clang" else
             ["-mindirect-branch=thunk", "-mfunction-return=thunk"],
             "gc": ["-ffunction-sections", "-Wl,--gc-sections"]}.get(mode, [])
    plug = []
    if tool:
        if cc == "gcc":
            plug = ["-fplugin=" + tools.gcc_plugin]
        else:
            plug = ["-fplugin=" + tools.clang_plugin, "-fpass-plugin=" + tools.clang_plugin]
        if meta.get("stores"):
            plug += ["-fplugin-arg-scall-convert-stores",
                     "-fplugin-arg-scall-no-store-in-loop-warning"]
        plug.append("-DRND_SITECHECK")
    return (tools.gcc if cc == "gcc" else tools.clang) + base + plug


def build(tools, prog, meta, config, tool, out):
    """Build PROG into OUT; return (executable, [modules to check])."""
    cc, opt, mode = config.split("-")
    os.makedirs(out, exist_ok=True)
    lto = mode in ("lto", "ltoshared")
    ltoflags = ["-flto"] if lto else []
    linkflags = list(ltoflags)
    if lto and cc == "clang":
        linkflags += ["-fuse-ld=lld"]
        if tool:
            linkflags += tools.clang_lto_link
    libs = ["-L" + tools.libdir, "-Wl,-rpath," + tools.libdir, "-lscall", "-ldl"]
    units = meta["units"]
    srcs = {u: os.path.join(prog, f) for u, f in units.items()}
    lib_units = sorted(u for u in units if u != "m")
    check = [os.path.join(HERE, "sitecheck.c")] if tool else []
    cmd = compiler(tools, prog, cc, opt, mode, meta, tool)
    # mixed: unit a from the other compiler (and its plugin)
    other = compiler(tools, prog, "clang" if cc == "gcc" else "gcc", opt, mode, meta, tool)

    def objs(names, pic):
        res = []
        for n in names:
            o = os.path.join(out, os.path.basename(n) + (".pic" if pic else "") + ".o")
            c = other if mode == "mixed" and n == srcs.get("a") else cmd
            must(c + ltoflags + (["-fPIC"] if pic else ["-fPIE"] if mode != "nopie"
                                   else ["-fno-pie"]) + ["-c", n, "-o", o], out, "compile")
            res.append(o)
        return res

    exe = os.path.join(out, "prog")
    if mode in ("shared", "ltoshared"):
        lib = os.path.join(out, "librnd.so")
        lo = objs([srcs[u] for u in lib_units] + check, True)
        must(cmd + linkflags + ["-fPIC", "-shared"] + lo + ["-o", lib] + libs, out, "link")
        mo = objs([srcs["m"]] + check, False)
        must(cmd + linkflags + ["-pie"] + mo + ["-o", exe, lib] + libs, out, "link")
        modules = [("lib", lib, lib_units), ("exe", exe, ["m"])]
    else:
        o = objs([srcs[u] for u in lib_units + ["m"]] + check, False)
        must(cmd + linkflags + (["-no-pie"] if mode == "nopie" else ["-pie"]) + o +
             ["-o", exe] + libs, out, "link")
        modules = [("exe", exe, lib_units + ["m"])]
    return exe, modules


def key_base(name):
    """scall-ld's key name without the per-unit suffixes the compilers add."""
    return re.sub(r"\.[A-Za-z0-9]+", "", name)


def post_link(tools, meta, modules, out):
    """scall-ld --strict, then the sites file of each module."""
    sitesdir = os.path.join(out, "sites")
    os.makedirs(sitesdir, exist_ok=True)
    nsites = 0
    kinds = {}
    for tag, path, units in modules:
        must([tools.scall_ld, "--strict", path], out, "scall-ld --strict " + tag)
        r = must([tools.scall_ld, "--json", path], out, "scall-ld --json " + tag)
        j = json.loads(r.stdout)
        lines = []
        have = set()
        for k in j.get("keys", []):
            for s in k["sites"]:
                if s["state"] == "dead":
                    continue
                if s["state"] != "ok" or s["kind"] not in ("call", "jmp", "jcc"):
                    raise Fail("scall-ld --json " + tag + ": site " + json.dumps(s))
                lines.append("%s %x %x %s" % (s["kind"], s["addr"], k["tramp_addr"],
                                              s["where"].replace(" ", "_")))
                kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
                have.add(key_base(k["key"]))
        want = set()
        for u in units:
            want |= set(meta["called"].get(u, []))
        missing = sorted(want - have)
        if missing:
            raise Fail("keys called in %s have no site there: %s" % (tag, " ".join(missing)))
        nsites += len(lines)
        name = "exe" if tag == "exe" else os.path.basename(path)
        with open(os.path.join(sitesdir, name + ".sites"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return sitesdir, nsites, kinds


def run_prog(exe, out, env_extra):
    env = dict(os.environ, SCALL_QUIET="1", **env_extra)
    env.pop("SCALL_DEBUG", None)
    try:
        return sh([exe], out, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        raise Fail("run: timed out")


def ref_output(tools, prog, meta, out):
    exe, _ = build(tools, prog, meta, "gcc-O0-pie", False, out)
    r = run_prog(exe, out, {})
    if r.returncode:
        raise Fail("reference (gcc -O0, no toolchain) exited %d" % r.returncode, r.stderr[-2000:])
    return r.stdout


def diff(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return "line %d: reference %r, got %r" % (i + 1, x, y)
    return "reference has %d lines, got %d" % (len(al), len(bl))


def one(tools, prog, meta, config, ref, out):
    """Both builds of one configuration; returns facts or raises Fail."""
    facts = {}
    for tool in (False, True):
        d = os.path.join(out, "tool" if tool else "plain")
        exe, modules = build(tools, prog, meta, config, tool, d)
        env = {}
        if tool:
            sitesdir, facts["sites"], facts["kinds"] = post_link(tools, meta, modules, d)
            env["RND_SITES"] = sitesdir
        r = run_prog(exe, d, env)
        label = "toolchain" if tool else "no toolchain"
        if r.returncode:
            raise Fail("%s build exited %d" % (label, r.returncode), r.stderr[-3000:])
        if r.stdout != ref:
            raise Fail("%s build: output differs: %s" % (label, diff(ref, r.stdout)))
        if tool:
            checks = [l for l in r.stderr.splitlines() if l.startswith("sitecheck: ")]
            # gen.py: at start, then in a, b and m after each phase
            want = meta.get("checks", 1 + 3 * gen.NPHASES)
            if len(checks) != want:
                raise Fail("site check ran %d times, want %d" % (len(checks), want),
                           r.stderr[-2000:])
            facts["direct"] = max(int(re.search(r"(\d+) direct", l).group(1)) for l in checks)
    return facts


def report(name, config, e, work):
    print("FAIL %s %s: %s (work: %s)" % (name, config, e.what, work))
    if e.detail:
        print("    " + e.detail.strip().replace("\n", "\n    "))
    sys.stdout.flush()


def parse_seeds(s):
    res = []
    for part in s.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            res += range(int(lo), int(hi) + 1)
        elif part:
            res.append(int(part))
    return res


def select_configs(spec):
    if spec == "all":
        return list(ALL_CONFIGS)
    if spec == "default":
        return list(DEFAULT_CONFIGS)
    res = []
    for c in ALL_CONFIGS:
        for p in spec.split(","):
            _, opt, mode = c.split("-")
            # a glob selects an extra mode or level only when it names it
            if c == p or (fnmatch.fnmatch(c, p) and
                          (mode not in EXTRA_MODES or mode in p) and
                          (opt not in EXTRA_OPTS or opt in p)):
                res.append(c)
                break
    if not res:
        sys.exit("run.py: no configuration matches %r (known: %s)" % (spec, " ".join(ALL_CONFIGS)))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"),
                    help="meson build directory: the tools meson gives the test 'random'")
    ap.add_argument("--gcc-plugin")
    ap.add_argument("--clang-plugin")
    ap.add_argument("--scall-ld")
    ap.add_argument("--libdir", help="where libscall.so is")
    ap.add_argument("--gcc", help="the C compiler the GCC plugin is built for (a command line)")
    ap.add_argument("--clang", help="the clang of the Clang plugin's LLVM, with its flags "
                    "(a command line)")
    ap.add_argument("--clang-lto-link", help="what an -flto link with lld adds to run the "
                    "Clang plugin's link-time half (a command line)")
    ap.add_argument("--seeds", default="", help="e.g. 1-20,31")
    ap.add_argument("--program", action="append", default=[],
                    help="a fixed program directory (rnd.h, units, meta.json)")
    ap.add_argument("--configs", default="default",
                    help="comma-separated names or globs, 'default' or 'all'")
    ap.add_argument("--skip", default="",
                    help="configurations to leave out (names or globs, as --configs)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--workdir", default=os.path.join(os.getcwd(), "random-work"))
    ap.add_argument("--keep", action="store_true", help="keep passing work directories")
    ap.add_argument("--list", action="store_true", help="list the configurations")
    a = ap.parse_args()
    configs = select_configs(a.configs)
    if a.skip:
        skip = set(select_configs(a.skip))
        configs = [c for c in configs if c not in skip]
    if a.list:
        print("\n".join(configs))
        return 0
    tools = Tools(a)
    os.makedirs(a.workdir, exist_ok=True)
    progs = []
    for seed in parse_seeds(a.seeds):
        d = os.path.join(a.workdir, "seed%d" % seed)
        meta = gen.write(seed, os.path.join(d, "src"))
        progs.append(("seed %d" % seed, os.path.join(d, "src"), meta, d))
    for p in a.program:
        p = os.path.abspath(p)
        with open(os.path.join(p, "meta.json")) as f:
            meta = json.load(f)
        name = os.path.basename(p)
        if name == "src":  # a kept failure: WORK/seedN/src
            name = os.path.basename(os.path.dirname(p))
        while name in [q[0] for q in progs]:
            name += "+"
        d = os.path.join(a.workdir, name)
        progs.append((name, p, meta, d))
    if not progs:
        sys.exit("run.py: nothing to run (--seeds or --program)")
    t0 = time.time()
    failed, passed = [], 0
    refs = {}
    totals = {"sites": 0, "direct": 0, "kinds": {}}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        fut = {ex.submit(ref_output, tools, src, meta, os.path.join(d, "ref")): name
               for name, src, meta, d in progs}
        for f in concurrent.futures.as_completed(fut):
            try:
                refs[fut[f]] = f.result()
            except Fail as e:
                failed.append((fut[f], "reference", e))
                report(fut[f], "reference", e, a.workdir)
        tasks = {}
        for name, src, meta, d in progs:
            if name not in refs:
                continue
            for c in configs:
                tasks[ex.submit(one, tools, src, meta, c, refs[name], os.path.join(d, c))] = \
                    (name, c, d)
        for f in concurrent.futures.as_completed(tasks):
            name, c, d = tasks[f]
            try:
                facts = f.result()
                passed += 1
                totals["sites"] += facts["sites"]
                totals["direct"] += facts["direct"]
                for k, n in facts["kinds"].items():
                    totals["kinds"][k] = totals["kinds"].get(k, 0) + n
                if not a.keep:
                    shutil.rmtree(os.path.join(d, c), ignore_errors=True)
            except Fail as e:
                failed.append((name, c, e))
                report(name, c, e, os.path.join(d, c))
            except Exception as e:  # a bug here must not pass as a divergence
                failed.append((name, c, Fail("run.py: %r" % e)))
                report(name, c, failed[-1][2], os.path.join(d, c))
    kinds = ", ".join("%s %d" % kv for kv in sorted(totals["kinds"].items()))
    print("random: %d programs x %d configurations, %d builds; %d sites checked live "
          "(%s), %d direct at the best check; %.0f s" % (
              len(progs), len(configs), len(progs) * len(configs) * 2 + len(progs),
              totals["sites"], kinds, totals["direct"], time.time() - t0))
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
