#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SCALL_CHECK: e2e_stale.c, built with a scall compiler pass and
-fplugin-arg-scall-allow-address, writes keys through escaped pointers.

  stale.py --cc CC --pass-flags=FLAGS --include DIR --libdir DIR \
           --workdir DIR [--flags=-O2] [--post-link=CMD] [--sanitize=S] [--escapes]

--escapes: the keys are SCALL_KEY_ESCAPES instead (-DE2E_ESCAPES), built
without allow-address.

Under SCALL_CHECK=1 (and SCALL_DEBUG=1) each forgotten key gets exactly one
line naming it and the program, at the second check after the write
(between "mark 1" and "mark 2"), never a second one; at exit when no
update follows; nothing after scall_resync(), nothing without the variable.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd, env=None):
    e = dict(os.environ)
    e.pop("SCALL_CHECK", None)
    e.pop("SCALL_DEBUG", None)
    e.update(env or {})
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60, env=e)
    print("$ %s %s\n%s%s" % (" ".join("%s=%s" % kv for kv in (env or {}).items()),
                             " ".join(cmd), r.stdout, r.stderr))
    if r.returncode:
        fail("%s exited %d" % (" ".join(cmd), r.returncode))
    return r.stderr.splitlines()


def reports(lines):
    return [(i, l) for i, l in enumerate(lines) if "was written without scall_resync()" in l]


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
    ap.add_argument("--escapes", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    exe = os.path.join(a.workdir, "e2e_stale")
    cmd = (shlex.split(a.cc) + ["-I" + a.include, "-std=gnu11", "-Wall", "-Werror",
                                "-D_GNU_SOURCE"] + shlex.split(a.flags) +
           shlex.split(a.pass_flags) +
           (["-DE2E_ESCAPES"] if a.escapes else ["-fplugin-arg-scall-allow-address"]))
    if a.sanitize not in ("", "none"):
        cmd += ["-fsanitize=" + a.sanitize]
    cmd += [os.path.join(HERE, "e2e_stale.c"), "-o", exe, "-L" + a.libdir,
            "-Wl,-rpath," + a.libdir, "-lscall", "-lpthread", "-ldl"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if r.returncode:
        fail(" ".join(cmd) + "\n" + r.stdout)
    if a.post_link:
        subprocess.run(shlex.split(a.post_link) + [exe], check=True)

    for var in ("SCALL_CHECK", "SCALL_DEBUG"):
        lines = run([exe, "forget"], {var: "1"})
        got = reports(lines)
        names = sorted(re.search(r"key '([^']*)'", l).group(1) for _, l in got)
        if names != ["cfg+0x8", "hook"]:
            fail("%s: expected one line for hook and one for cfg+0x8, got %s" % (var, names))
        for i, l in got:
            if "(%s)" % exe not in l or "(old_fn)" not in l or "(new_fn)" not in l:
                fail("%s: the line does not name the module %s, old_fn and new_fn: %s"
                     % (var, exe, l))
            if not lines.index("mark 1") < i < lines.index("mark 2"):
                fail("%s: not reported at the second update after the write: %s" % (var, l))
        lines = run([exe, "exit"], {var: "1"})
        got = reports(lines)
        if len(got) != 1 or "key 'hook'" not in got[0][1] or got[0][0] < lines.index("mark 0"):
            fail("%s: expected one line for hook at exit, got %s" % (var, got))
        if reports(run([exe, "resync"], {var: "1"})):
            fail("%s: a report although scall_resync() followed each write" % var)
    if reports(run([exe, "forget"])):
        fail("a report without SCALL_CHECK")
    print("ok")


if __name__ == "__main__":
    main()
