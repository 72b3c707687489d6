#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`info scall` (gdb/scall.py) in gdb -batch, checked against what the
process itself reports.

  run.py [--source gdb/scall.py] --workdir DIR \\
         --cc CC --pass-flags FLAGS --scall-ld PATH \\
         [--include DIR] [--libdir DIR] [--sanitize S] [--strip-runtime] target
  run.py [--source gdb/scall.py] [--no-runtime-symbols] demo PROGRAM

target: builds gdb_target.c (with the pass, then scall-ld) and its three
libraries, stops it in gdb_checkpoint() and compares `info scall` with the
scall_stats() and the site bytes (tests/common/site_check.h) it printed,
and every key, target and site with the table below.  --strip-runtime
runs it with a stripped copy of libscall: the listing must be the same,
and the writer and counters, which need libscall's debug symbols, "?".

demo: runs examples/demo, stops it in scall_stats() and compares with
what the demo prints after it.

Without --source gdb must load the extension itself (auto-load, as from
an installed libscall).  --libdir empty: libscall and headers from the
system (an installed toolchain).  Exit status 0 pass, 1 fail, 77 no gdb.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# gdb_target.c after its updates: key -> (target, [(function prefix,
# class, what the site holds)]), the first matching prefix wins; and
# how many sites each key has at least.
TARGET_KEYS = {
    "k_near": ("near_b", [("lib_", "trampoline", None),
                          ("", "direct", "<near_b>")], 3),
    "k_far": ("lib_far_target", [("", "trampoline", None)], 1),
    "k_cond": ("NULL", [("", "direct", "(cond key NULL)")], 1),
    "k_ret0": ("scall_return0", [("", "direct", "xorl %eax,%eax")], 1),
    "k_null": ("NULL", [("", "trampoline", None)], 1),
    "ops": ("near_a", [("", "direct", "<near_a>")], 1),
    "ops+8": ("near_b", [("", "direct", "<near_b>")], 1),
    "refused_key": ("refused_target", [], 2),
    "(no key)": ("?", [("", "refused", "(its trampoline has no record)")], 1),
}
# refused_key's two sites, in refused.S's order.
REFUSED_KEY_SITES = [("direct", "<refused_target>"),
                     ("refused", "(not the compiler's form)")]

KEY_RE = re.compile(r"^key (?:(0x[0-9a-f]+)(?: <([^>]+)>)?|\(no key\)) = (.*)$")
SITE_RE = re.compile(r"^  site (0x[0-9a-f]+)(?: <([^>]+)>)?(?: \S+:\d+)? "
                     r"(call|jmp|jcc): (direct|trampoline|refused): (.*)$")
TRAMP_RE = re.compile(r"^  trampoline (0x[0-9a-f]+)(?: <[^>]+>)? "
                      r"(plain|cond)[^:]*: (.*)$")
STATS_RE = re.compile(r"^stats: modules (\d+), sites (\d+), direct (\d+), "
                      r"trampoline (\d+), refused (\d+), unresolved (\d+), "
                      r"trampolines (\d+)$")
WRITER_RE = re.compile(r"^writer (\S+)(?: \(.*\))?, updates (\S+), traps (\S+), "
                       r"syncs (\S+)$")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(cmd, env=None, timeout=180):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, env=env)


def must(cmd):
    r = run(cmd)
    if r.returncode:
        print("FAIL: " + " ".join(cmd) + "\n" + r.stdout)
        sys.exit(1)


def target_symbol(text):
    """The symbol in gdb's '0x... <sym>' (or NULL, or '?')."""
    m = re.search(r"<([^>]+)>", text)
    return m.group(1) if m else text.strip()


def parse(out):
    """gdb's listing: {key: {target, sites, tramps}}, modules, stats,
    writer."""
    keys, cur, modules = {}, None, []
    stats = writer = None
    for line in out.splitlines():
        m = KEY_RE.match(line)
        if m:
            name = m.group(2) or m.group(1) or "(no key)"
            cur = keys.setdefault(name, {"target": target_symbol(m.group(3)),
                                         "sites": [], "tramps": []})
            continue
        m = SITE_RE.match(line)
        if m and cur is not None:
            cur["sites"].append({"addr": int(m.group(1), 16),
                                 "func": (m.group(2) or "").split("+")[0],
                                 "kind": m.group(3), "class": m.group(4),
                                 "holds": m.group(5), "line": line})
            continue
        m = TRAMP_RE.match(line)
        if m and cur is not None:
            cur["tramps"].append({"holds": m.group(3), "line": line})
            continue
        if line.startswith("module "):
            modules.append(line)
        m = STATS_RE.match(line)
        if m:
            stats = [int(x) for x in m.groups()]
        m = WRITER_RE.match(line)
        if m:
            writer = m.groups()
    return keys, modules, stats, writer


def gdb_command(a, program, stop_at):
    cmd = [a.gdb, "-nx", "-batch", "-iex", "set debuginfod enabled off"]
    if a.source:
        cmd += ["-ex", "source " + a.source]
    cmd += ["-ex", "set breakpoint pending on", "-ex", "break " + stop_at,
            "-ex", "run", "-ex", "info scall", "-ex", "continue",
            "--args", program]
    return cmd


def run_gdb(a, program, stop_at, env):
    r = run(gdb_command(a, program, stop_at), env=env)
    out = r.stdout
    print(out)
    for bad in ("Python Exception", "Error occurred in Python",
                "Undefined info command"):
        if bad in out:
            fail("gdb: " + bad)
    if "exited normally" not in out:
        fail("the program did not run to a normal exit under gdb")
    if " STALE " in out:
        fail("a window does not reach its key's target (STALE)")
    return out


def check_common(out, keys, stats, writer):
    """The listing agrees with its own totals."""
    if stats is None or writer is None:
        fail("no stats or writer line from info scall")
        return False
    listed = {"direct": 0, "trampoline": 0, "refused": 0}
    for k in keys.values():
        for s in k["sites"]:
            listed[s["class"]] += 1
    if [sum(listed.values()), listed["direct"], listed["trampoline"],
            listed["refused"]] != stats[1:5]:
        fail("site lines %s disagree with the stats line %s" % (listed, stats))
    return True


def check_writer(a, writer, expect):
    """writer, updates, traps, syncs as the process reports them, or all
    '?' when libscall has no debug symbols."""
    if a.no_runtime_symbols:
        if list(writer) != ["?"] * 4:
            fail("libscall without debug symbols, yet writer line %s" % (writer,))
    elif list(writer) != [str(x) for x in expect]:
        fail("writer, updates, traps, syncs: gdb %s, process %s" %
             (list(writer), expect))


def build_target(a, env):
    os.makedirs(a.workdir, exist_ok=True)
    w = a.workdir
    cc = shlex.split(a.cc) + ["-std=gnu11", "-Wall", "-Werror", "-D_GNU_SOURCE",
                              "-O2", "-g", "-I" + os.path.join(HERE, "..", "common")]
    if a.include:
        cc.append("-I" + a.include)
    link = []
    if a.libdir:
        link = ["-L" + a.libdir, "-Wl,-rpath," + a.libdir]
    if a.sanitize not in ("", "none"):
        cc.append("-fsanitize=" + a.sanitize)
    passf = shlex.split(a.pass_flags)
    ld = shlex.split(a.scall_ld)
    must(cc + passf + ["-fPIC", "-shared", os.path.join(HERE, "gdb_lib.c"),
                       "-o", os.path.join(w, "libgdbt_lib.so")] + link + ["-lscall"])
    must(ld + [os.path.join(w, "libgdbt_lib.so")])
    for lib in ("refused", "badhdr"):
        must(cc + ["-fPIC", "-shared", os.path.join(HERE, lib + ".S"),
                   "-o", os.path.join(w, "libgdbt_%s.so" % lib)] + link + ["-lscall"])
    prog = os.path.join(w, "gdb_target")
    must(cc + passf + [os.path.join(HERE, "gdb_target.c"), "-o", prog,
                       "-L" + w, "-Wl,-rpath," + w, "-Wl,--no-as-needed",
                       "-lgdbt_lib", "-lgdbt_refused", "-lgdbt_badhdr"] + link +
         ["-lscall"])
    must(ld + [prog])
    if a.strip_runtime:
        # A stripped libscall first on the search path (DT_RUNPATH comes
        # after LD_LIBRARY_PATH), as a distribution ships it.
        sdir = os.path.join(w, "stripped")
        os.makedirs(sdir, exist_ok=True)
        must(["strip", "--strip-unneeded", "-o", os.path.join(sdir, "libscall.so.0"),
              os.path.join(a.libdir, "libscall.so.0")])
        env["LD_LIBRARY_PATH"] = sdir
    return prog


def check_target(a, env):
    prog = build_target(a, env)
    out = run_gdb(a, prog, "gdb_checkpoint", env)
    keys, modules, stats, writer = parse(out)
    if not check_common(out, keys, stats, writer):
        return
    m = re.search(r"^target: stats modules (\d+) sites (\d+) direct (\d+) "
                  r"trampoline (\d+) refused (\d+) unresolved (\d+) "
                  r"trampolines (\d+) updates (\d+) traps (\d+) syncs (\d+) "
                  r"writer (\S+)$", out, re.M)
    mem = re.search(r"^target: memory direct (\d+) via_tramp (\d+)$", out, re.M)
    if not m or not mem:
        fail("the program did not print its stats")
        return
    own = [int(x) for x in m.groups()[:7]]
    if stats != own:
        fail("stats: gdb %s, scall_stats() %s" % (stats, own))
    if [stats[2], stats[3]] != [int(mem.group(1)), int(mem.group(2))]:
        fail("direct/trampoline: gdb %s, the code's bytes %s" %
             (stats[2:4], mem.groups()))
    check_writer(a, writer, [m.group(11), m.group(8), m.group(9), m.group(10)])
    if set(keys) != set(TARGET_KEYS):
        fail("keys listed %s, expected %s" % (sorted(keys), sorted(TARGET_KEYS)))
    for name, (target, rules, least) in TARGET_KEYS.items():
        k = keys.get(name)
        if not k:
            continue
        if k["target"] != target:
            fail("key %s: target %s, expected %s" % (name, k["target"], target))
        if len(k["sites"]) < least:
            fail("key %s: %d sites, expected at least %d" %
                 (name, len(k["sites"]), least))
        if name == "refused_key":
            got = [(s["class"], s["holds"]) for s in k["sites"]]
            for (cls, holds), (gcls, gholds) in zip(REFUSED_KEY_SITES, got):
                if cls != gcls or holds not in gholds:
                    fail("refused_key: site %s %s, expected %s %s" %
                         (gcls, gholds, cls, holds))
            continue
        for s in k["sites"]:
            for prefix, cls, holds in rules:
                if s["func"].startswith(prefix):
                    if s["class"] != cls or (holds and holds not in s["holds"]):
                        fail("key %s: %s; expected %s%s" % (
                            name, s["line"].strip(), cls,
                            " holding " + holds if holds else ""))
                    break
    near = keys.get("k_near", {"sites": []})["sites"]
    if not any(s["func"].startswith("lib_") for s in near):
        fail("k_near: no site listed in libgdbt_lib.so")
    if not any(s["kind"] == "jmp" for s in near):
        fail("k_near: tail_near's jmp site not listed")
    if not any("libgdbt_badhdr.so" in x and "bad header" in x for x in modules):
        fail("libgdbt_badhdr.so's refused header not shown")


def check_demo(a, env):
    # scall_stats() is a macro over __scall_stats_n (scall.h).
    out = run_gdb(a, a.program, "__scall_stats_n", env)
    keys, modules, stats, writer = parse(out)
    if not check_common(out, keys, stats, writer):
        return
    upd = re.search(r"^scall demo: \d+ worker threads, (\d+) updates", out, re.M)
    fin = re.search(r"^  final target: (\S+)$", out, re.M)
    reg = re.search(r"\((\d+) call sites registered in (\d+) modules\)", out)
    st = re.search(r"^  sites direct: (\d+), on trampoline: (\d+), refused: (\d+)$",
                   out, re.M)
    cyc = re.search(r"^  patch cycles: (\d+) syncs, (\d+) calls emulated by the "
                    r"trap handler, writer: (\S+)$", out, re.M)
    if not (upd and fin and reg and st and cyc):
        fail("the demo did not print its report")
        return
    own = [int(reg.group(2)), int(reg.group(1))] + [int(x) for x in st.groups()]
    if stats[:5] != own:
        fail("modules, sites, direct, trampoline, refused: gdb %s, demo %s" %
             (stats[:5], own))
    check_writer(a, writer, [cyc.group(3), upd.group(1), cyc.group(2),
                             cyc.group(1)])
    if own[1]:
        k = keys.get("checksum")
        if not k:
            fail("key checksum not listed")
        elif k["target"] != fin.group(1):
            fail("checksum: gdb says %s, the demo %s" % (k["target"], fin.group(1)))
        elif not k["sites"] or any(
                s["class"] != "direct" or "<%s>" % fin.group(1) not in s["holds"]
                for s in k["sites"]):
            fail("checksum: a site not direct to %s" % fin.group(1))
    elif keys:
        fail("keys listed in a demo without sites: %s" % sorted(keys))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb", default="gdb")
    ap.add_argument("--source", default="")
    ap.add_argument("--workdir", default="")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--pass-flags", default="-fplugin=scall")
    ap.add_argument("--scall-ld", default="scall-ld")
    ap.add_argument("--include", default="")
    ap.add_argument("--libdir", default="")
    ap.add_argument("--sanitize", default="none")
    ap.add_argument("--strip-runtime", action="store_true")
    ap.add_argument("--no-runtime-symbols", action="store_true",
                    help="libscall has no debug symbols: expect '?'")
    ap.add_argument("what", choices=["target", "demo"])
    ap.add_argument("program", nargs="?")
    a = ap.parse_args()
    if not shutil.which(a.gdb):
        print("SKIP: no gdb")
        return 77
    env = dict(os.environ)
    # LeakSanitizer cannot run under ptrace.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    if a.what == "target":
        if a.strip_runtime:
            a.no_runtime_symbols = True
        check_target(a, env)
    else:
        check_demo(a, env)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
