#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scall-scan tests: run.py SCALL_SCAN WORKDIR

Writes a compile_commands.json for the project in proj/ (compiling each unit
with the C compiler on the way, so the database is real), then checks
scall-scan's JSON against expected.json, -j1 against -jN, the text output,
--all, unit selection and the error exits."""
import collections
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
proj = os.path.join(here, "proj")
include = os.path.join(here, "..", "..", "include")  # scall.h: SCALL_KEY_ESCAPES
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
for unit in ("a.c", "b.c", "c.c", "d.c", "main.c"):
    obj = os.path.join(work, unit[:-2] + ".o")
    args = [*cc, "-std=gnu11", "-O2", "-Wall", "-I", include, "-c", unit, "-o", obj]
    subprocess.run(args, cwd=proj, check=True)
    db.append({"directory": proj, "arguments": args, "file": unit})
with open(os.path.join(work, "compile_commands.json"), "w") as f:
    json.dump(db, f, indent=1)

expected = json.load(open(os.path.join(here, "expected.json")))
j1 = json.loads(run("-p", work, "--json", "-j", "1"))
jn = json.loads(run("-p", work, "--json", "-j", "4"))
check(j1["units"] == 5 and j1["units_with_errors"] == 0, "5 units parsed without errors")
got = j1["candidates"]
check([c["id"] for c in got] == [c["id"] for c in expected],
      "candidates: " + " ".join(c["id"] for c in got))
for e in expected:
    g = next((c for c in got if c["id"] == e["id"]), None)
    check(g == e, f"{e['id']}: calls, stores, escapes as expected")
check(j1 == jn, "-j1 and -j4 give the same result")

text = run("-p", os.path.join(work, "compile_commands.json"))
check("9 candidate keys, 20 call sites, 3 left indirect (variable index)" in text, "text summary line")
check("b.c:14: g_hook: atomic exchange/rmw" in text and "d.c:47: &g_cfg.open: address passed to opaque()" in text,
      "text lists what store conversion cannot handle")
check("d.c:72: s_sys[i].cur" in text and "d.c:76: g_tab[0][i]" in text, "text lists the calls left indirect")
allc = json.loads(run("-p", work, "--json", "--all"))["candidates"]
never = [c for c in allc if c["id"] == "g_never_called"]
check(len(never) == 1 and not never[0]["calls"] and len(never[0]["stores"]) == 1,
      "--all lists a key nothing calls through")
check(not any(c["id"] in ("ro@c.c", "tls_fp@c.c", "local") for c in allc),
      "no const, thread-local or function-local candidates")
by = collections.defaultdict(lambda: collections.defaultdict(list), {c["id"]: c for c in got})


def locs(c, what="calls"):
    return sorted((x["loc"], x["member"]) for x in by.get(c, {}).get(what, []))


# issue 15: local aliases are the key; their escapes are reported where they escape
check(("b.c:12", "") in [(s["loc"], s["member"]) for s in by["g_hook"]["stores"]] and not by["g_hook"]["escapes"],
      "a store through a local alias (b.c:12) is the key's store, the alias no escape")
check(("c.c:16", "open") in locs("g_ops") and not by["g_ops"]["escapes"], "a call through a local alias (c.c:16)")
check(locs("g_cfg") == [("d.c:31", "open"), ("d.c:32", "close"), ("d.c:33", "close"), ("d.c:99", "open")],
      "calls through aliases: &key, &key.member, a cast with a constant offset, ?: of one place")
check([(s["loc"], s["member"], s["how"]) for s in by["g_cfg"]["stores"]][-2:] ==
      [("d.c:94", "", "memcpy"), ("d.c:96", "close", "atomic store")],
      "stores through an alias: memcpy onto it, an atomic store (memcpy from it: no escape)")
check([(e["loc"], e["taken"]) for e in by["g_cfg"]["escapes"]] ==
      [("d.c:19", "d.c:19"), ("d.c:40", "d.c:39"), ("d.c:47", "d.c:45"), ("d.c:53", "d.c:52"),
       ("d.c:58", "d.c:58"), ("d.c:63", "d.c:63"), ("d.c:98", "d.c:98"), ("d.c:98", "d.c:98")],
      "escapes at the escaping line: static initializer, return, call, store, integer, merges")
# arrays of keys
check(by["s_sys@d.c"]["kind"] == "array" and by["s_sys@d.c"]["elements"] == 3 and by["g_tab"]["elements"] == 4,
      "arrays of keys are candidates")
check(locs("s_sys@d.c") == [("d.c:71", "[1].cur"), ("d.c:74", "[2].dflt"), ("d.c:75", "[1].cur")] and
      locs("g_array") == [("b.c:22", "[0]")] and locs("g_tab") == [("d.c:76", "[1][0]")],
      "calls with a constant index (also through a cast and an alias of an element)")
check(locs("s_sys@d.c", "variable_index_calls") == [("d.c:72", "[i].cur")] and
      locs("g_tab", "variable_index_calls") == [("d.c:115", "[?][0]"), ("d.c:76", "[0][i]")],
      "calls with a variable index are counted apart (also through a local holding two places)")
check([(e["loc"], e["use"]) for e in by["s_sys@d.c"]["escapes"]] ==
      [("d.c:105", "address stored in local 'w': it moves (p++, p += n): a merge of different places"),
       ("d.c:80", "address passed to opaque()")], "a local alias that moves (p++) is a merge: an escape")
check([(s["loc"], s["member"], s["convertible"]) for s in by["s_sys@d.c"]["stores"]] ==
      [("d.c:77", "[i].cur", True), ("d.c:78", "[0].cur", True)], "stores to elements, variable index too")
# SCALL_KEY_ESCAPES
check(by["g_esc"]["annotation"] == "SCALL_KEY_ESCAPES" and not by["g_esc"]["escapes"] and
      [(e["loc"], e["use"]) for e in by["g_esc"]["allowed_escapes"]] ==
      [("d.c:18", "address stored in 'g_marker'"), ("d.c:87", "address passed to opaque()")],
      "SCALL_KEY_ESCAPES: its escapes are allowed, not reported")
check("allowed by SCALL_KEY_ESCAPES" in text and "&g_esc" not in text, "text: allowed escapes apart")
one = json.loads(run("-p", work, "--json", "b.c"))
check(one["units"] == 1 and [c["id"] for c in one["candidates"]] == ["g_array", "g_hook", "g_ops", "s_next@b.c"],
      "a selected unit alone")
run("-p", os.path.join(work, "nope"), rc=3)
run("-p", work, "nope.c", rc=2)
run("--bogus", rc=2)
check(True, "error exits (3: no database, 2: unknown unit or option)")
sys.exit(1 if failures else 0)
