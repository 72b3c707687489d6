#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scall-scan tests: run.py SCALL_SCAN WORKDIR

Writes a compile_commands.json for the project in proj/ (compiling each unit
with the C compiler on the way, so the database is real), then checks
scall-scan's JSON against expected.json, -j1 against -jN, the text output,
--all, unit selection and the error exits."""
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
proj = os.path.join(here, "proj")
scan, work = sys.argv[1], os.path.abspath(sys.argv[2])
cc = os.environ.get("CC", "cc").split()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args, rc=0):
    p = subprocess.run([scan, *args], capture_output=True, text=True)
    if p.returncode != rc:
        sys.exit(f"scall-scan {' '.join(args)}: exit {p.returncode}, wanted {rc}\n{p.stderr}")
    return p.stdout


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
db = []
for unit in ("a.c", "b.c", "c.c", "main.c"):
    obj = os.path.join(work, unit[:-2] + ".o")
    args = [*cc, "-std=gnu11", "-O2", "-Wall", "-c", unit, "-o", obj]
    subprocess.run(args, cwd=proj, check=True)
    db.append({"directory": proj, "arguments": args, "file": unit})
with open(os.path.join(work, "compile_commands.json"), "w") as f:
    json.dump(db, f, indent=1)

expected = json.load(open(os.path.join(here, "expected.json")))
j1 = json.loads(run("-p", work, "--json", "-j", "1"))
jn = json.loads(run("-p", work, "--json", "-j", "4"))
check(j1["units"] == 4 and j1["units_with_errors"] == 0, "4 units parsed without errors")
got = j1["candidates"]
check([c["id"] for c in got] == [c["id"] for c in expected],
      "candidates: " + " ".join(c["id"] for c in got))
for e in expected:
    g = next((c for c in got if c["id"] == e["id"]), None)
    check(g == e, f"{e['id']}: calls, stores, escapes as expected")
check(j1 == jn, "-j1 and -j4 give the same result")

text = run("-p", os.path.join(work, "compile_commands.json"))
check("4 candidate keys, 8 call sites" in text, "text summary line")
check("b.c:14: g_hook: atomic exchange/rmw" in text and "b.c:11: &g_hook: address taken" in text,
      "text lists what store conversion cannot handle")
allc = json.loads(run("-p", work, "--json", "--all"))["candidates"]
never = [c for c in allc if c["id"] == "g_never_called"]
check(len(never) == 1 and not never[0]["calls"] and len(never[0]["stores"]) == 1,
      "--all lists a key nothing calls through")
check(not any(c["id"] in ("ro@c.c", "tls_fp@c.c", "g_array", "local") for c in allc),
      "no const, thread-local, array or function-local candidates")
one = json.loads(run("-p", work, "--json", "b.c"))
check(one["units"] == 1 and [c["id"] for c in one["candidates"]] == ["g_hook", "g_ops", "s_next@b.c"],
      "a selected unit alone")
run("-p", os.path.join(work, "nope"), rc=3)
run("-p", work, "nope.c", rc=2)
run("--bogus", rc=2)
check(True, "error exits (3: no database, 2: unknown unit or option)")
sys.exit(1 if failures else 0)
