#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""expect_halt.py EXE REPORT: EXE must print REPORT on stderr and stop there
(exit status non-zero, "survived" never printed)."""
import subprocess
import sys

exe, report = sys.argv[1], sys.argv[2]
r = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   universal_newlines=True, timeout=60)
print(f"exit {r.returncode}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}")
problems = []
if report not in r.stderr:
    problems.append(f"no sanitizer report '{report}'")
if r.returncode == 0:
    problems.append("exit status 0 after the report")
if "survived" in r.stdout:
    problems.append("the program went on after the report")
for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
