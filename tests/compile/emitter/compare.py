#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared emitter (common/scall-rules.h) against its oracles.

  compare.py --gen EMITTER_GEN --cc 'CC ARGS' --oracle oracle.S --workdir DIR

1. `emitter_gen oracle` and oracle.S (tests/common/scall_asm.h's
   SCALL_TRAMP, SCALL_CTRAMP, SCALL_MODULE, SCALL_RECORD) are assembled;
   every trampoline, trampoline record, site record and module header
   section must be the same in both: type, flags, group, bytes, relocations
   and the symbols defined in it.
2. `emitter_gen forms` (struct-key member loads, retpoline and return-thunk
   jumps, the thunks: what scall_asm.h cannot write) is assembled and each
   trampoline is checked against the bytes of docs/format.md "Trampolines",
   written out below.
"""
import argparse
import os
import shlex
import struct
import subprocess
import sys

R_X86_64 = {1: "64", 2: "PC32", 4: "PLT32", 9: "GOTPCREL", 42: "REX_GOTPCRELX"}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


class Obj:
    """The sections of a relocatable ELF64 object, by (name, group)."""

    def __init__(self, path):
        d = open(path, "rb").read()
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        secs = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            secs.append(dict(name=f[0], type=f[1], flags=f[2], offset=f[4], size=f[5],
                             link=f[6], info=f[7], entsize=f[9]))
        cstr = lambda off: d[off:d.index(b"\0", off)].decode()
        for s in secs:
            s["name"] = cstr(secs[shstrndx]["offset"] + s["name"])
            s["data"] = d[s["offset"]:s["offset"] + s["size"]] if s["type"] != 8 else b""
        symtab = next(s for s in secs if s["type"] == 2)
        strtab = secs[symtab["link"]]
        syms = []
        for o in range(0, symtab["size"], 24):
            name, info, other, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", d, symtab["offset"] + o)
            n = cstr(strtab["offset"] + name)
            if info & 0xF == 3:  # STT_SECTION: named by its section
                n = "section " + secs[shndx]["name"]
            syms.append(dict(name=n, bind=info >> 4, type=info & 0xF, vis=other & 3,
                             shndx=shndx, value=value, size=size))
        group = {}
        for s in secs:
            if s["type"] == 17:  # SHT_GROUP: flag word, then member indices
                sig = syms[s["info"]]["name"]
                for (m,) in struct.iter_unpack("<I", s["data"][4:]):
                    group[m] = sig
        self.sections = {}
        for i, s in enumerate(secs):
            if s["type"] in (0, 2, 3, 4, 17):
                continue
            key = (s["name"], group.get(i, ""))
            relocs = []
            for r in secs:
                if r["type"] == 4 and r["info"] == i:
                    for off, info, addend in struct.iter_unpack("<QQq", r["data"]):
                        relocs.append((off, R_X86_64.get(info & 0xFFFFFFFF, info & 0xFFFFFFFF),
                                       syms[info >> 32]["name"], addend))
            defined = sorted((y["name"], y["bind"], y["type"], y["vis"], y["value"], y["size"])
                             for y in syms if y["shndx"] == i and y["type"] != 3)
            self.sections[key] = dict(type=s["type"], flags=s["flags"], data=s["data"],
                                      size=s["size"], relocs=sorted(relocs), symbols=defined)


def is_tramp(name):
    return name.startswith((".text.__scall_tramp_", ".text.__scall_ctramp_"))


def emitted(key):
    """A section of the emitter's bytes (not the per-compiler constructor)."""
    return is_tramp(key[0]) or key[0] in ("scall_tramps", "scall_sites", "scall_module")


def assemble(cc, src, obj, lang=None):
    cmd = cc + (["-x", lang] if lang else []) + ["-c", src, "-o", obj]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"{' '.join(map(shlex.quote, cmd))}: exit {p.returncode}\n{p.stderr}")
    return Obj(obj)


def generate(gen, what, path):
    with open(path, "w") as f:
        subprocess.run([gen, what], stdout=f, check=True)


def compare_with_oracle(args, cc):
    s = os.path.join(args.workdir, "emitted.s")
    generate(args.gen, "oracle", s)
    got = assemble(cc, s, os.path.join(args.workdir, "emitted.o"))
    want = assemble(cc, args.oracle, os.path.join(args.workdir, "oracle.o"))
    gk = sorted(k for k in got.sections if emitted(k))
    wk = sorted(k for k in want.sections if emitted(k))
    if gk != wk:
        fail(f"sections differ: emitter only {sorted(set(gk) - set(wk))}, "
             f"oracle only {sorted(set(wk) - set(gk))}")
    n, before = 0, len(failures)
    for k in sorted(set(gk) & set(wk)):
        g, w = got.sections[k], want.sections[k]
        for field in ("type", "flags", "size", "data", "relocs", "symbols"):
            if g[field] != w[field]:
                gv, wv = g[field], w[field]
                if field == "data":
                    gv, wv = gv.hex(), wv.hex()
                fail(f"{k[0]} (group {k[1] or '-'}): {field}: emitter {gv}, oracle {wv}")
        n += 1
    tramps = sum(1 for k in gk if is_tramp(k[0]))
    if tramps < 5 or ("scall_module", "__scall_module") not in gk or ("scall_sites", "") not in gk:
        fail(f"too little compared: {gk}")
    if len(failures) == before:
        print(f"ok   {n} sections equal to the oracle's ({tramps} trampolines)")


# docs/format.md "Trampolines": the bytes of each form, "r" a rel32 the
# linker fills (its relocation is checked apart).
WINDOW = "4c8b1d rrrrrrrr"
FORMS = {
    "__scall_tramp_s__8": WINDOW + " 4d8b5b08 41ffe3",
    "__scall_ctramp_s__127": WINDOW + " 4d8b5b7f 4d85db 7403 41ffe3 c3",
    "__scall_tramp_s__128": WINDOW + " 4d8b9b80000000 41ffe3",
    "__scall_ctramp_s__200": WINDOW + " 4d8b9bc8000000 4d85db 7403 41ffe3 c3",
    "__scall_tramp_k": WINDOW + " 4d8b1b e9rrrrrrrr",
    "__scall_ctramp_k": WINDOW + " 4d8b1b 4d85db 7405 e9rrrrrrrr e9rrrrrrrr",
    "__scall_ctramp_c": WINDOW + " 4d8b1b 4d85db 7403 41ffe3 e9rrrrrrrr",
    # call 1f; 2: pause; lfence; jmp 2b; 1: movq %r11,(%rsp) / lea 8(%rsp),%rsp; ret
    "__scall_indirect_thunk_r11": "e807000000 f390 0faee8 ebf9 4c891c24 c3",
    "__scall_return_thunk": "e807000000 f390 0faee8 ebf9 488d642408 c3",
}
# Their relocations: (offset, type, symbol, addend).
FORM_RELOCS = {
    "__scall_tramp_s__8": [(3, "GOTPCREL", "s", -4)],
    "__scall_ctramp_s__127": [(3, "GOTPCREL", "s", -4)],
    "__scall_tramp_s__128": [(3, "GOTPCREL", "s", -4)],
    "__scall_ctramp_s__200": [(3, "GOTPCREL", "s", -4)],
    "__scall_tramp_k": [(3, "GOTPCREL", "k", -4), (11, "PLT32", "__x86_indirect_thunk_r11", -4)],
    "__scall_ctramp_k": [(3, "GOTPCREL", "k", -4), (16, "PLT32", "__scall_indirect_thunk_r11", -4),
                         (21, "PLT32", "__scall_return_thunk", -4)],
    "__scall_ctramp_c": [(3, "GOTPCREL", "c", -4), (19, "PLT32", "__x86_return_thunk", -4)],
    "__scall_indirect_thunk_r11": [],
    "__scall_return_thunk": [],
}
# The records: key address (S+O), trampoline, flags.
FORM_RECORDS = {
    "__scall_tramp_s__8": ("s", 8, 0), "__scall_ctramp_s__127": ("s", 127, 1),
    "__scall_tramp_s__128": ("s", 128, 0), "__scall_ctramp_s__200": ("s", 200, 1),
    "__scall_tramp_k": ("k", 0, 2), "__scall_ctramp_k": ("k", 0, 3), "__scall_ctramp_c": ("c", 0, 1),
}


def check_forms(args, cc):
    s = os.path.join(args.workdir, "forms.s")
    generate(args.gen, "forms", s)
    o = assemble(cc, s, os.path.join(args.workdir, "forms.o"))
    before = len(failures)
    for sym, want in FORMS.items():
        group = "" if "thunk" in sym else sym
        sec = o.sections.get((".text." + sym, group))
        if not sec:
            fail(f"{sym}: no section .text.{sym}")
            continue
        w = want.replace(" ", "")
        got = sec["data"].hex()
        if len(got) != len(w) or any(a != b and b != "r" for a, b in zip(got, w)):
            fail(f"{sym}: bytes {got}, docs/format.md {w}")
        if sec["relocs"] != FORM_RELOCS[sym]:
            fail(f"{sym}: relocations {sec['relocs']}, expected {FORM_RELOCS[sym]}")
        if sym in FORM_RECORDS:
            key, off, flags = FORM_RECORDS[sym]
            rec = o.sections.get(("scall_tramps", sym))
            want_rec = [(0, "64", key, off), (8, "PC32", sym, 0)]
            if (not rec or rec["data"][:12] != bytes(12) or rec["data"][12:] != struct.pack("<I", flags)
                    or rec["relocs"] != want_rec):
                fail(f"{sym}: record {rec and rec['data'].hex()} {rec and rec['relocs']}, "
                     f"expected key {key}+{off}, flags {flags}")
    if len(failures) == before:
        print(f"ok   {len(FORMS)} trampoline and thunk forms as docs/format.md writes them")


# A unit with static branches and no plugin: include/scall.h's asm writes
# the header (and its guard: three tests, one header).
BRANCH_UNIT = r"""
#include <scall.h>
SCALL_BRANCH_DEFINE_FALSE(kf);
SCALL_BRANCH_DEFINE_TRUE(kt);
int f(void) { return scall_branch_unlikely(kf) + scall_branch_likely(kt); }
int g(void) { return scall_branch_likely(kf); }
"""


def compare_branch_header(args, cc):
    """scall.h's module header (scall_branch_* with no plugin) against the
    oracle's: the same section, bytes, relocations and symbols, so that
    whichever COMDAT copy the linker keeps is the same."""
    src = os.path.join(args.workdir, "branch_unit.c")
    with open(src, "w") as f:
        f.write(BRANCH_UNIT)
    want = Obj(os.path.join(args.workdir, "oracle.o"))
    before = len(failures)
    for opt in ("-O0", "-O2 -fPIC"):
        got = assemble(cc + ["-I", args.include] + opt.split(), src,
                       os.path.join(args.workdir, "branch_unit.o"))
        k = ("scall_module", "__scall_module")
        g, w = got.sections.get(k), want.sections[k]
        if not g:
            fail(f"scall.h ({opt}): no header section {k}")
            continue
        for field in ("type", "flags", "size", "data", "relocs", "symbols"):
            if g[field] != w[field]:
                fail(f"scall.h ({opt}): header {field}: scall.h {g[field]}, oracle {w[field]}")
        for sec in (".init_array", ".fini_array", ".text.__scall_module_ctor"):
            if (sec, "__scall_module") not in got.sections:
                fail(f"scall.h ({opt}): no {sec} in group __scall_module")
        b = got.sections.get(("scall_branches", ""))
        if not b or b["size"] != 3 * 24:
            fail(f"scall.h ({opt}): scall_branches {b and b['size']} bytes, want 3 records")
    if len(failures) == before:
        print("ok   scall.h's module header equal to the oracle's (-O0, -O2 -fPIC)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--include", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    cc = shlex.split(args.cc)
    compare_with_oracle(args, cc)
    check_forms(args, cc)
    compare_branch_header(args, cc)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
