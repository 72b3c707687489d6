#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""branches.py - indirect branches per request, from a callgrind dump.

  branches.py EXE CALLGRIND_OUT N [SCALL_LD_JSON]
      Prints "INDIRECT SITES", both per request (N requests in the dump,
      which callgrind wrote with --dump-instr=yes):
      INDIRECT  executions of EXE's own indirect calls and jumps: `call *`,
                `jmp *` (switch tables included), and under retpolines the
                direct calls and jumps to an indirect-branch thunk, which
                stand for one;
      SITES     executions of the sites scall-ld recorded (0 without JSON):
                the branches scall turned from indirect into direct.

Callgrind writes instruction addresses of a position-independent object
relative to its load address, so they are the ELF addresses objdump and
scall-ld print.  Only EXE's code is counted: libc and zlib are the same
objects in both builds.
"""
import json
import re
import subprocess
import sys

INDIRECT = re.compile(r"^\s*([0-9a-f]+):\s+(?:notrack\s+|bnd\s+)?(call|jmp)q?\s+\*")
THUNK = re.compile(r"^\s*([0-9a-f]+):\s+(call|jmp)q?\s+[0-9a-f]+\s+<(__x86_indirect_thunk_\w+|__scall_indirect_thunk_\w+)>")


def indirect_addrs(exe):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", exe],
                         check=True, capture_output=True, text=True).stdout
    addrs = set()
    for line in out.splitlines():
        m = INDIRECT.match(line) or THUNK.match(line)
        if m:
            addrs.add(int(m.group(1), 16))
    return addrs


def site_addrs(path):
    with open(path) as f:
        j = json.load(f)
    return {s["addr"] for k in j["keys"] for s in k["sites"]}


def self_cost_by_instr(cgout, exe_name):
    """Self Ir per instruction address of the object named exe_name."""
    cost = {}
    names = {}
    in_exe = False
    pos = 0
    skip_next = False      # the line after calls= is the call's inclusive cost
    with open(cgout) as f:
        for line in f:
            if not line or line[0] == "\n":
                continue
            c = line[0]
            if line.startswith("cob="):
                m = re.match(r"cob=(\(\d+\))\s*(.+)", line.rstrip("\n"))
                if m:
                    names[m.group(1)] = m.group(2)
                continue
            if line.startswith("ob="):
                # "ob=(id) name" (or cob=) names an object once; then "ob=(id)"
                m = re.match(r"ob=(\(\d+\))?\s*(.*)", line.rstrip("\n"))
                if m.group(1) and m.group(2):
                    names[m.group(1)] = m.group(2)
                name = m.group(2) or names.get(m.group(1), "")
                in_exe = name.endswith(exe_name)
                continue
            if line.startswith("calls="):
                skip_next = True
                continue
            if not (c.isdigit() or c in "+-*"):
                continue        # fl=, fn=, cfn=, jump=, summary, ...
            fields = line.split()
            p = fields[0]
            if p == "*":
                pass
            elif p[0] == "+":
                pos += int(p[1:], 0)
            elif p[0] == "-":
                pos -= int(p[1:], 0)
            else:
                pos = int(p, 0)
            if skip_next:
                skip_next = False
                continue
            if in_exe and len(fields) >= 3:
                cost[pos] = cost.get(pos, 0) + int(fields[2])
    return cost


def main():
    a = sys.argv[1:]
    if len(a) not in (3, 4):
        sys.exit(__doc__)
    exe, cgout, n = a[0], a[1], int(a[2])
    cost = self_cost_by_instr(cgout, "/" + exe.rsplit("/", 1)[-1])
    ind = sum(cost.get(x, 0) for x in indirect_addrs(exe))
    sites = sum(cost.get(x, 0) for x in site_addrs(a[3])) if len(a) == 4 else 0
    print(f"{ind / n:.2f} {sites / n:.2f}")


if __name__ == "__main__":
    main()
