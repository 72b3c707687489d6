#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compile-time overhead of the GCC plugin on the project's own C code.

  compile_time.py CC PLUGIN SOURCE_ROOT BUILD_ROOT

Compiles runtime/*.c, scall-ld/*.c, the fallback tests and the plugin
fixtures at -O2, file by file alternately without and with -fplugin=scall,
7 rounds, and sums per file the minimum CPU time (user + sys) of the
compiler.  Target: under 3%.
"""
import glob
import os
import resource
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


def cpu(extra, f):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(base + extra + ["-c", f, "-o", os.devnull], check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


# CPU time (user + sys) of the compiler processes, per file the minimum over
# 7 rounds, alternating without/with file by file: robust to machine load.
pl = ["-fplugin=" + plugin, "-fplugin-arg-scall-allow-address"]
a = b = 0.0
for f in ok:
    wo, wi = [], []
    for _ in range(7):
        wo.append(cpu([], f))
        wi.append(cpu(pl, f))
    a += min(wo)
    b += min(wi)
print(f"{len(ok)} files at -O2, CPU time (min of 7 per file): without plugin "
      f"{a:.3f} s, with {b:.3f} s, overhead {100 * (b / a - 1):+.1f}%")
