#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the soak (soak.c) with a scall compiler pass and without it, run
both with the same seed, and require the same verdict from both.

  run.py --cc gcc --pass-flags='-fplugin=/path/scall.so
         -fplugin-arg-scall-convert-stores' --include DIR --libdir DIR
         --workdir DIR [--flags=-O2] [--post-link='scall-ld --strict']

The executable is soak_keys.c (the pass, or none) + soak.c, the driver, and
soak_behind.c (both built once, never with the pass: the driver has no
keys, soak_behind.c's stores are writes behind scall's back), linked with
-rdynamic; the modules soak_mod0.so and soak_mod1.so are two copies of
soak_mod.c's shared object.  When soak_keys.c was built with the pass
(SCALL_HAVE_PLUGIN), the program requires every recorded site patched;
the fallback requires no record at all.

The run's length and seed come from the environment, as the program reads
them: SCALL_SOAK_SECONDS (default 3 per build), SCALL_SOAK_SEED (default
random; printed, and the same for both builds), SCALL_SOAK_THREADS,
SCALL_SOAK_OPS, SCALL_SOAK_WEIGHTS, SCALL_SOAK_SIGNAL_US (see soak.c).  A long run by hand:

  SCALL_SOAK_SECONDS=300 meson test -C build --suite soak -t 0 --verbose
"""
import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, timeout=300, env=None):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, env=env)


def must(cmd):
    r = run(cmd)
    if r.returncode:
        print("FAIL: " + " ".join(cmd) + "\n" + r.stdout + r.stderr)
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--pass-flags", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--flags", default="-O2")
    ap.add_argument("--post-link", default="")
    ap.add_argument("--sanitize", default="none",
                    help="the build's b_sanitize: libscall is built with it")
    ap.add_argument("--no-fallback", action="store_true",
                    help="the pass build only (another variant runs the fallback)")
    a = ap.parse_args()

    env = dict(os.environ)
    if not env.get("SCALL_SOAK_SEED"):
        env["SCALL_SOAK_SEED"] = hex(random.SystemRandom().getrandbits(63) | 1)
    seconds = float(env.get("SCALL_SOAK_SECONDS") or 3)
    print("seed %s (SCALL_SOAK_SEED), %g s per build (SCALL_SOAK_SECONDS)"
          % (env["SCALL_SOAK_SEED"], seconds))
    sys.stdout.flush()

    cc = shlex.split(a.cc) + ["-I" + a.include, "-std=gnu11", "-Wall", "-Wextra",
                              "-Werror", "-D_GNU_SOURCE", "-g"] + shlex.split(a.flags)
    if a.sanitize not in ("", "none"):
        cc += ["-fsanitize=" + a.sanitize, "-fno-sanitize-recover=all"]
    link = ["-L" + a.libdir, "-Wl,-rpath," + a.libdir, "-lscall", "-lpthread", "-ldl"]
    src = lambda n: os.path.join(HERE, n)
    verdicts = {}
    os.makedirs(a.workdir, exist_ok=True)
    objs = [os.path.join(a.workdir, "soak.o"), os.path.join(a.workdir, "soak_behind.o")]
    for o, c in zip(objs, ("soak.c", "soak_behind.c")):
        must(cc + ["-fno-lto", "-c", src(c), "-o", o])
    for mode in ("pass",) if a.no_fallback else ("pass", "fallback"):
        pf = []
        if mode == "pass":
            pf = shlex.split(a.pass_flags)
        d = os.path.join(a.workdir, mode)
        os.makedirs(d, exist_ok=True)
        t_build = time.monotonic()
        # Two files of one build: two modules to the loader.
        mods = [os.path.join(d, "soak_mod%d.so" % i) for i in range(2)]
        must(cc + pf + ["-fPIC", "-shared", src("soak_mod.c"), "-o", mods[0]] + link)
        if mode == "pass" and a.post_link:
            must(shlex.split(a.post_link) + [mods[0]])
        shutil.copyfile(mods[0], mods[1])
        exe = os.path.join(d, "soak")
        must(cc + pf + ["-rdynamic", src("soak_keys.c")] + objs + ["-o", exe] + link)
        if mode == "pass" and a.post_link:
            must(shlex.split(a.post_link) + [exe])
        t_run = time.monotonic()
        try:
            r = run([exe] + mods, timeout=seconds * 4 + 120, env=env)
        except subprocess.TimeoutExpired as e:
            print(f"[{mode}] FAIL: no end after {e.timeout:g} s (a deadlock?)")
            return 1
        t_end = time.monotonic()
        print(f"[{mode}] built in {t_run - t_build:.1f} s, ran {t_end - t_run:.1f} s, "
              f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        sys.stdout.flush()
        if r.returncode:
            print(f"FAIL: the {mode} build exited {r.returncode}")
            return 1
        verdicts[mode] = r.stdout
    if len(verdicts) > 1 and verdicts["pass"] != verdicts["fallback"]:
        print("FAIL: the verdicts differ between the pass build and the fallback")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
