#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end programs of the Clang pass for issue 15 (tests/run/clang/e2e_*.c).

  e2e.py --cc CC --pass-flags=FLAGS --include DIR --libdir DIR --workdir DIR \
         [--flags=-O2] [--post-link=CMD] [--sanitize=S] [--stale=K1,K2] PROGRAM

PROGRAM (e2e_PROGRAM.c) is built with the pass (-DE2E_EXPECT_PATCHED: the
program checks in its code's bytes that every site was patched) and without
it (the fallback); both run without arguments, must exit 0 and print the
same stdout.  --stale: the pass build run as `PROGRAM forget` under
SCALL_CHECK=1 must report exactly the keys K1,K2 (one line each, named as
in the runtime's line, "key 'K'"), and nothing without SCALL_CHECK or when
the program resyncs.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("SCALL_CHECK", None)
    e.pop("SCALL_DEBUG", None)
    e.update(env or {})
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, env=e)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def must(cmd):
    r = run(cmd, timeout=120)
    if r.returncode:
        fail(" ".join(cmd) + "\n" + r.stdout + r.stderr)


def reported(stderr):
    return sorted(re.search(r"key '([^']*)'", l).group(1) for l in stderr.splitlines()
                  if "was written without scall_resync()" in l)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--pass-flags", default="")
    ap.add_argument("--include", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--flags", default="-O2")
    ap.add_argument("--post-link", default="")
    ap.add_argument("--sanitize", default="none")
    ap.add_argument("--stale", default="")
    ap.add_argument("program")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    cc = shlex.split(a.cc) + ["-I" + a.include, "-std=gnu11", "-Wall", "-Werror",
                              "-D_GNU_SOURCE", "-pthread"] + shlex.split(a.flags)
    if a.sanitize not in ("", "none"):
        cc += ["-fsanitize=" + a.sanitize]
    link = ["-L" + a.libdir, "-Wl,-rpath," + a.libdir, "-lscall", "-lpthread", "-ldl"]
    src = os.path.join(HERE, "e2e_%s.c" % a.program)
    outs = {}
    for mode in ("pass", "fallback"):
        pf = shlex.split(a.pass_flags) + ["-DE2E_EXPECT_PATCHED"] if mode == "pass" else []
        exe = os.path.join(a.workdir, "%s-%s" % (a.program, mode))
        must(cc + pf + [src, "-o", exe] + link)
        if mode == "pass" and a.post_link:
            must(shlex.split(a.post_link) + [exe])
        r = run([exe])
        print(f"[{mode}] exit {r.returncode}\n{r.stdout}{r.stderr}")
        if r.returncode:
            fail(f"{mode} build exited {r.returncode}")
        if reported(r.stderr):
            fail(f"{mode}: a stale key reported without SCALL_CHECK")
        outs[mode] = r.stdout
        if mode == "pass" and a.stale:
            want = sorted(a.stale.split(","))
            r = run([exe], {"SCALL_CHECK": "1"})
            print(f"[resync, SCALL_CHECK=1] exit {r.returncode}\n{r.stderr}")
            if r.returncode or reported(r.stderr):
                fail("resync: exit %d, reports %s" % (r.returncode, reported(r.stderr)))
            for env in ({"SCALL_CHECK": "1"}, {}):
                r = run([exe, "forget"], env)
                print(f"[forget, {env}] exit {r.returncode}\n{r.stderr}")
                got = reported(r.stderr)
                if r.returncode or got != (want if env else []):
                    fail("forget %s: exit %d, reported %s, want %s"
                         % (env, r.returncode, got, want if env else []))
    if outs["pass"] != outs["fallback"]:
        fail("stdout differs between the pass build and the fallback")
    print("ok")


if __name__ == "__main__":
    main()
