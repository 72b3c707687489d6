#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rela_check.py RELA_DUMP READELF KIND FILE

Checks scall-ld's relocation reader (elfimg.c, img_relas/img_rela_at) on
a linked fixture of tests/scall-ld (fixture.S):
  1. it reads exactly the entries `readelf -rW` prints (offset, type,
     symbol, addend), every SHT_RELA section included;
  2. it finds the known one: key_a's initial target, target_a.  KIND says
     how the linker wrote it: 'relative' (PIE, static-pie: R_X86_64_RELATIVE
     at key_a, addend target_a), 'symbolic' (shared object: R_X86_64_64
     against target_a, addend 0), 'none' (non-PIE: no relocation at key_a).
"""
import re
import subprocess
import sys

R_X86_64_64, R_X86_64_RELATIVE = 1, 8


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def readelf_relas(readelf, path):
    out = subprocess.run([readelf, '-rW', path], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for ln in out.splitlines():
        m = re.match(r'^([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s+(\S+)\s*(.*)$', ln)
        if not m:
            continue
        off, info, rest = int(m.group(1), 16), int(m.group(2), 16), m.group(4)
        typ = info & 0xffffffff
        # "VALUE NAME + ADDEND", "VALUE NAME - ADDEND" or just "ADDEND"
        s = re.match(r'^[0-9a-f]+\s+(\S+)\s+([+-])\s+([0-9a-f]+)$', rest)
        if s:
            name = s.group(1).split('@')[0]
            add = int(s.group(3), 16) * (-1 if s.group(2) == '-' else 1)
        else:
            a = re.match(r'^(-?)([0-9a-f]+)$', rest)
            if not a:
                fail('cannot parse readelf line: ' + ln)
            name = '-'
            add = int(a.group(2), 16) * (-1 if a.group(1) else 1)
        rows.append((off, typ, name, add))
    return rows


def symbols(readelf, path):
    out = subprocess.run([readelf, '-sW', path], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for ln in out.splitlines():
        p = ln.split()
        if len(p) >= 8 and p[0][:-1].isdigit() and p[0].endswith(':'):
            syms.setdefault(p[7], int(p[1], 16))
    return syms


def main():
    dump, readelf, kind, path = sys.argv[1:5]
    syms = symbols(readelf, path)
    key, target = syms['key_a'], syms['target_a']
    out = subprocess.run([dump, path, hex(key)], capture_output=True,
                         text=True)
    if out.returncode != 0:
        fail('rela_dump exited %d: %s' % (out.returncode, out.stderr.strip()))
    ours, at = [], None
    for ln in out.stdout.splitlines():
        if ln.startswith('at '):
            at = ln.split(': ', 1)[1]
            continue
        o, t, n, a = ln.split()
        ours.append((int(o, 16), int(t), n, int(a)))
    theirs = readelf_relas(readelf, path)
    if not theirs and kind != 'none':
        fail('readelf shows no relocation in ' + path)
    if sorted(ours) != sorted(theirs):
        fail('entries differ from readelf -rW:\n  only ours: %s\n  only readelf: %s'
             % (sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))))
    if [r[0] for r in ours] != sorted(r[0] for r in ours):
        fail('entries are not sorted by offset')
    if kind == 'relative':
        want = '0x%x %d - %d' % (key, R_X86_64_RELATIVE, target)
    elif kind == 'symbolic':
        want = '0x%x %d target_a 0' % (key, R_X86_64_64)
    else:
        want = 'none'
    if at != want:
        fail("relocation at key_a (0x%x): got '%s', want '%s'" % (key, at, want))
    print('%s: %d relocations as readelf reads them; key_a -> %s'
          % (path, len(ours), want))


main()
