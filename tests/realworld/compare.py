#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""compare.py SCAN_JSON SED_LIST [COMPILE_COMMANDS] - scall-scan's candidates
against the keys annotate.sed declares (SED_LIST: one NAME, or NAME@FILE for a
file-static, a line).  Prints the three sets; the last line is a one-line
summary.  With the database, a sed-only key says whether its file was built."""
import json
import os
import sys

scan = json.load(open(sys.argv[1]))
cands = {c["id"]: c for c in scan["candidates"]}
sed = [l.strip() for l in open(sys.argv[2]) if l.strip()]
sed_set = set(sed)


def desc(c):
    bad = sum(1 for s in c["stores"] if not s["convertible"]) + len(c["escapes"])
    return (f"{c['kind']}, {len(c['calls'])} calls, {len(c['stores'])} stores"
            + (f", {bad} not convertible" if bad else ""))


both = [i for i in sed if i in cands]
sed_only = [i for i in sed if i not in cands]
scan_only = sorted((i for i in cands if i not in sed_set),
                   key=lambda i: (-len(cands[i]["calls"]), i))

print(f"scall-scan on nginx: {scan['units']} units, {len(cands)} candidates, "
      f"{sum(len(c['calls']) for c in cands.values())} call sites")
print(f"in annotate.sed and found by scall-scan ({len(both)}):")
for i in both:
    print(f"  {i:60s} {desc(cands[i])}")
built = None
if len(sys.argv) > 3:
    built = {os.path.normpath(os.path.join(e["directory"], e["file"]))
             for e in json.load(open(sys.argv[3]))}
    top = os.path.dirname(os.path.abspath(sys.argv[3]))
print(f"in annotate.sed only ({len(sed_only)}): no call through it in the units built")
for i in sed_only:
    why = ""
    if built is not None and "@" in i:
        f = os.path.normpath(os.path.join(top, i.split("@", 1)[1]))
        why = ("built, but only read, never called (harmless key)" if f in built
               else "module not built")
    print(f"  {i:60s} {why}")
print(f"found by scall-scan only ({len(scan_only)}), most calls first:")
for i in scan_only:
    print(f"  {i:60s} {desc(cands[i])}")
bad = [(i, s) for i in both for s in cands[i]["stores"] if not s["convertible"]] + \
      [(i, e) for i in both for e in cands[i]["escapes"]]
print(f"stores to annotated keys that store conversion cannot handle ({len(bad)}):")
for i, s in bad:
    print(f"  {s['loc']}: {i}{'.' + s['member'] if s['member'] else ''}: {s.get('how', s.get('use'))}")
print(f"sed {len(sed)}, scall-scan {len(cands)}: both {len(both)}, sed only {len(sed_only)}, "
      f"scan only {len(scan_only)}, unconvertible stores to sed keys {len(bad)}")
