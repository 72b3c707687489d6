#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How a compiler half splits site records between scall_sites sections.

  record_sections.py --cc CC --pass-flags FLAGS --include DIR --workdir DIR

Compiles a generated unit (many functions with sites in .text, a cold one,
one in a section of its own, main) with and without -ffunction-sections and
checks in the object, with readelf:
  * every scall_sites section is SHF_LINK_ORDER to a code section, and each
    of its records' site relocations points into that code section (the
    GCC plugin's at a site label, through the section's symbol; the Clang
    pass's at the function, through the function's symbol or the section's);
  * no two scall_sites sections link to the same code section: one record
    section per code section, not per function (one per function made `as`
    quadratic in the number of functions, docs/format.md);
  * the records count the unit's sites.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--cc", required=True)
ap.add_argument("--pass-flags", required=True)
ap.add_argument("--include", required=True)
ap.add_argument("--workdir", required=True)
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)

NFUNCS = 40
src = ["#include <scall.h>", "static int inc(int x) { return x + 1; }",
       "SCALL_DEFINE(k_a, inc);", "SCALL_DEFINE(k_b, inc);"]
for i in range(NFUNCS):
    src.append("__attribute__((noinline)) int f_%d(int x) "
               "{ return k_%s(x) * %d; }" % (i, "ab"[i % 2], i + 2))
src += ["__attribute__((cold, noinline)) int chilly(int x) { return k_a(x) * 3; }",
        '__attribute__((noinline, section(".text.mine"))) int mine(int x) '
        "{ return k_b(x) * 5; }",
        # GCC moves the rare branch to main.cold in .text.unlikely: a site in
        # the other part of a split function.
        "int main(int argc, char **argv) { (void)argv; int s = 0;",
        "  for (int i = 0; i < 100; i++) s += f_0(i + argc) + mine(i);",
        "  if (argc > 5) s += chilly(argc) + k_a(argc * 3);",
        "  return s + k_b(argc) * 7; }"]
SITES = NFUNCS + 4
c = os.path.join(args.workdir, "units.c")
with open(c, "w") as f:
    f.write("\n".join(src) + "\n")

failed = []


def readelf(opt, obj):
    return subprocess.run(["readelf", "-W", opt, obj], check=True,
                          capture_output=True, text=True).stdout


def check(flags):
    obj = os.path.join(args.workdir, "units%s.o" % len(flags))
    subprocess.run(shlex.split(args.cc) + ["-O2", "-I" + args.include] + flags +
                   shlex.split(args.pass_flags) + ["-c", c, "-o", obj], check=True)
    names = {}
    record_secs = []  # (index, link index, size)
    for m in re.finditer(r"^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+"
                         r"(\S*)\s+(\d+)\s+(\d+)\s+\d+$", readelf("-S", obj), re.M):
        idx, name, size, fl, link = int(m[1]), m[2], int(m[3], 16), m[4], int(m[5])
        names[idx] = name
        if name == "scall_sites":
            record_secs.append((idx, link, size, fl))
    relocs = {}  # record section name index -> list of (offset, symbol)
    cur = None
    for line in readelf("-r", obj).splitlines():
        m = re.match(r"Relocation section '\.relascall_sites' at offset (0x[0-9a-f]+)", line)
        if m:
            cur = []
            relocs.setdefault("scall_sites", []).append(cur)
            continue
        if line.startswith("Relocation section"):
            cur = None
        elif cur is not None:
            m = re.match(r"\s*([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+(\S+)", line)
            if m:
                cur.append((int(m[1], 16), m[2]))
    defined_in = {}  # symbol -> index of the section defining it
    for m in re.finditer(r"^\s*\d+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\d+)\s+(\S+)$",
                         readelf("-s", obj), re.M):
        defined_in.setdefault(m[2], int(m[1]))
    what = " ".join(flags) or "(default)"
    if not record_secs:
        failed.append("%s: no scall_sites section" % what)
        return
    links = [link for _, link, _, _ in record_secs]
    for idx, link, size, fl in record_secs:
        if "L" not in fl or link == 0:
            failed.append("%s: scall_sites [%d] is not SHF_LINK_ORDER (flags %s)"
                          % (what, idx, fl))
    for link in sorted(set(links)):
        if links.count(link) > 1:
            failed.append("%s: %d scall_sites sections link to %s, want one"
                          % (what, links.count(link), names.get(link)))
    total = sum(size for _, _, size, _ in record_secs) // 12
    if total != SITES:
        failed.append("%s: %d records, want %d" % (what, total, SITES))
    # readelf lists the relocation sections in section order, as record_secs.
    rel_lists = relocs.get("scall_sites", [])
    if len(rel_lists) != len(record_secs):
        failed.append("%s: %d record sections, %d relocation sections"
                      % (what, len(record_secs), len(rel_lists)))
        return
    site_relocs = sum(1 for rels in rel_lists for off, _ in rels if off % 12 == 0)
    if site_relocs != total:
        failed.append("%s: %d site relocations for %d records" % (what, site_relocs, total))
    for (idx, link, _, _), rels in zip(record_secs, rel_lists):
        for off, sym in rels:
            if off % 12 == 0 and sym != names.get(link) and defined_in.get(sym) != link:
                failed.append("%s: scall_sites [%d] links to %s but its record at "
                              "0x%x points into %s" % (what, idx, names.get(link), off, sym))
    print("%s: %d records in %d scall_sites sections, linked to %s"
          % (what, total, len(record_secs), ", ".join(names.get(l, "?") for l in links)))


check([])
check(["-ffunction-sections"])
if failed:
    print("\n".join(failed))
    sys.exit(1)
