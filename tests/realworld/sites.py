#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sites.py - scall site facts for the nginx real-world test.

  sites.py count SCALL_LD_JSON
      "RECORDS KEYS": records and keys (keys with at least one site) in the
      output of scall-ld --json.
  sites.py live SCALL_LD_JSON PID EXE
      Reads the code of the running process PID (its mapping of EXE) and
      prints "DIRECT TOTAL": how many recorded call/jmp sites branch straight
      to a function (patched) rather than to their trampoline.
"""
import json
import os
import struct
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def count(path):
    j = load(path)
    keys = sum(1 for k in j["keys"] if k["sites"])
    print(j["records"], keys)


def base_of(pid, exe):
    exe = os.path.realpath(exe)
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.realpath(parts[5]) == exe \
                    and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16)
    raise SystemExit(f"sites.py: {exe} not mapped in {pid}")


def is_pie(exe):
    with open(exe, "rb") as f:
        hdr = f.read(18)
    return struct.unpack_from("<H", hdr, 16)[0] == 3  # ET_DYN


def live(path, pid, exe, verbose=True):
    j = load(path)
    base = base_of(pid, exe) if is_pie(exe) else 0
    direct = total = 0
    with open(f"/proc/{pid}/mem", "rb") as mem:
        for k in j["keys"]:
            tramp = base + k["tramp_addr"]
            for s in k["sites"]:
                if s["kind"] not in ("call", "jmp") or s["state"] == "unrecorded":
                    continue
                total += 1
                a = base + s["addr"]
                mem.seek(a)
                b = mem.read(5)
                if b[0] not in (0xE8, 0xE9):
                    continue
                tgt = a + 5 + struct.unpack("<i", b[1:5])[0]
                if tgt != tramp:
                    direct += 1
                elif verbose:
                    print(f"sites.py: on trampoline: {s['where']} ({k['key']})", file=sys.stderr)
    print(direct, total)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "count":
        count(a[1])
    elif len(a) == 4 and a[0] == "live":
        live(a[1], int(a[2]), a[3])
    else:
        sys.exit(__doc__)
