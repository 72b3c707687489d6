#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compile-time overhead of the GCC plugin on the project's own C code.

  compile_time.py CC PLUGIN SOURCE_ROOT BUILD_ROOT

Compiles runtime/*.c, scall-ld/*.c, the fallback tests and the plugin
fixtures at -O2, alternately without and with -fplugin=scall (so both see
the same machine load), 7 rounds, and prints the minimum of each and the
ratio.  Target: under 1.03.
"""
import glob
import os
import shlex
import subprocess
import sys
import time

cc, plugin, src, build = sys.argv[1:5]
files = []
for pat in ("runtime/*.c", "scall-ld/*.c", "tests/run/fallback/*.c",
            "tests/compile/plugin/fixtures/*.c", "tests/run/plugin/*.c"):
    files += sorted(glob.glob(os.path.join(src, pat)))
inc = ["-I" + os.path.join(src, d) for d in ("include", "runtime", "scall-ld")]
inc += ["-I" + build, "-D_GNU_SOURCE", "-I/usr/include/capstone"]
base = shlex.split(cc) + ["-O2", "-std=gnu11", "-w"] + inc
ok = [f for f in files
      if subprocess.run(base + ["-fplugin=" + plugin, "-fplugin-arg-scall-allow-address",
                                "-c", f, "-o", os.devnull],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0]


def once(extra):
    t0 = time.perf_counter()
    for f in ok:
        subprocess.run(base + extra + ["-c", f, "-o", os.devnull], check=True)
    return time.perf_counter() - t0


without, with_ = [], []
for _ in range(7):
    without.append(once([]))
    with_.append(once(["-fplugin=" + plugin, "-fplugin-arg-scall-allow-address"]))
a, b = min(without), min(with_)
print(f"{len(ok)} files at -O2: without plugin {a:.3f} s, with {b:.3f} s, "
      f"overhead {100 * (b / a - 1):+.1f}%")
