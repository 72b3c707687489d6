#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of a scall compiler pass with libscall.

  run.py --cc gcc --pass-flags=-fplugin=/path/scall.so --include DIR \
         --libdir DIR_OF_LIBSCALL --workdir DIR --flags='-O2' TEST

TEST is basic, shlib, stress, cond, struct, structlib, chain, sstress, burst or
bstress (struct keys and bursts of converted stores; pass
-fplugin-arg-scall-convert-stores in --pass-flags).  Each program is built twice, with the pass
and without it (the portable fallback), both linked with libscall; both
must exit 0 and print the same stdout.  The pass build gets
-DE2E_EXPECT_PATCHED (and -DE2E_EXPECT_UNRESOLVED with --unresolved: a
Clang build that scall-ld does not complete), on which the programs check,
in the code's bytes (tests/common/site_check.h), that every recorded site
was patched; the fallback build checks that it has no records.
"""
import argparse
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, timeout=120):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def must(cmd):
    r = run(cmd)
    if r.returncode:
        print("FAIL: " + " ".join(cmd) + "\n" + r.stdout + r.stderr)
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--pass-flags", default="")
    ap.add_argument("--include", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--flags", default="-O2")
    ap.add_argument("--post-link", default="")
    ap.add_argument("--sanitize", default="none",
                    help="the build's b_sanitize: libscall is built with it")
    ap.add_argument("--static-runtime", default="",
                    help="link this libscall.a instead of -lscall (its "
                    "constructor then runs among the program's)")
    ap.add_argument("--unresolved", action="store_true",
                    help="the pass emits kind-4 records and no --post-link "
                    "resolves them: only trampolines are patched")
    ap.add_argument("test")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    cc = shlex.split(a.cc) + ["-I" + a.include, "-std=gnu11", "-Wall", "-Werror",
                              "-D_GNU_SOURCE"] + shlex.split(a.flags)
    if a.sanitize not in ("", "none"):
        cc += ["-fsanitize=" + a.sanitize]
    link = ["-L" + a.libdir, "-Wl,-rpath," + a.libdir, "-lscall", "-lpthread", "-ldl"]
    if a.static_runtime:
        link = [a.static_runtime, "-lpthread", "-ldl"]
    outs = {}
    for mode in ("pass", "fallback"):
        pf = []
        if mode == "pass":
            pf = shlex.split(a.pass_flags) + ["-DE2E_EXPECT_PATCHED"]
            if a.unresolved:
                pf.append("-DE2E_EXPECT_UNRESOLVED")
        d = os.path.join(a.workdir, mode)
        os.makedirs(d, exist_ok=True)
        src = lambda n: os.path.join(HERE, n)
        if a.test == "structlib":  # a struct key in a shared object
            lib = os.path.join(d, "libe2eslib.so")
            exe = os.path.join(d, "e2e_smain")
            must(cc + pf + ["-fPIC", "-shared", src("e2e_slib.c"), "-o", lib] + link)
            must(cc + pf + [src("e2e_smain.c"), "-o", exe, lib] + link)
            cmd = [exe]
            post = [lib, exe]
        elif a.test == "chain":  # nginx's patterns, three units
            exe = os.path.join(d, "e2e_chain")
            must(cc + pf + [src("e2e_chain.c"), src("e2e_chain_a.c"),
                            src("e2e_chain_b.c"), "-o", exe] + link)
            cmd = [exe]
            post = [exe]
        elif a.test == "shlib":
            lib = os.path.join(d, "libe2ekey.so")
            plug = os.path.join(d, "e2e_plug.so")
            exe = os.path.join(d, "e2e_main")
            must(cc + pf + ["-fPIC", "-shared", src("e2e_lib.c"), "-o", lib] + link)
            must(cc + pf + ["-fPIC", "-shared", src("e2e_plug.c"), "-o", plug, lib] + link)
            must(cc + pf + [src("e2e_main.c"), "-o", exe, lib] + link)
            cmd = [exe, plug]
            post = [lib, plug, exe]
        else:
            exe = os.path.join(d, "e2e_" + a.test)
            must(cc + pf + [src("e2e_%s.c" % a.test), "-o", exe] + link)
            cmd = [exe]
            post = [exe]
        if mode == "pass" and a.post_link:
            for f in post:
                must(shlex.split(a.post_link) + [f])
        r = run(cmd, timeout=60)
        print(f"[{mode}] exit {r.returncode}\n{r.stdout}{r.stderr}")
        if r.returncode:
            print(f"FAIL: {mode} build exited {r.returncode}")
            return 1
        outs[mode] = r.stdout
    if outs["pass"] != outs["fallback"]:
        print("FAIL: stdout differs between the pass build and the fallback")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
