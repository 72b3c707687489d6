#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compile-time checks of a scall compiler pass (GCC plugin or Clang pass).

  check.py --cc gcc --pass-flags=-fplugin=/path/scall.so --include DIR \
           --srcdir DIR --workdir DIR --flags='-O2 -fPIC -pie' [--post-link CMD]
  check.py ... --fail          compile-fail fixtures (fail/*.c)
  check.py ... --lto-missing   -flto without the pass on the link line must fail

Fixtures (fixtures/NAME.c or fixtures/NAME/*.c) are plain C programs.  Each is
compiled with the option set, linked with tramp_runtime.c, and the linked file is
checked:
  1. no indirect call or jump remains in the fixture's own functions
     (unless the fixture says `scall-allow-indirect`): `call/jmp *`,
     `notrack`, a branch to a retpoline thunk, an inline retpoline
     (-mindirect-branch=thunk-inline); at least one function is checked;
  2. every site record decodes, at its exact address, to E8/E9/0F 8x with the
     record's kind, and its rel32 targets the record's trampoline;
  3. the set of recorded sites equals the set of direct branches to
     trampolines in the file (no site missing, none recorded twice);
  4. every trampoline has the byte-exact body of docs/format.md, loads its
     record's key (leaq target or GOT slot) and its record names a key
     variable; the module header is well formed and bounds the sections
     (PIE too: absolute words are read through their RELATIVE relocations);
  5. at least `expect-min-sites: N` sites, trampolines for `expect-keys:`;
  6. the program runs and prints `expect-output:` (tramp_runtime.c never
     patches, so this is the unpatched behaviour).
Fail fixtures mark each expected error with `expect-error: REGEX` on the line
that must carry it (any other line of the fixture must have no error or
warning); `fail-flags: ...` adds flags; `only: gcc` restricts.
Uses only objdump and the ELF file itself (no Capstone needed).
"""
import argparse
import glob
import os
import re
import shlex
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
errors = []


def err(msg):
    errors.append(msg)
    print("FAIL: " + msg)


# --------------------------------------------------------------------------
# Minimal ELF64 reader
# --------------------------------------------------------------------------
class Elf:
    def __init__(self, path):
        self.data = open(path, "rb").read()
        d = self.data
        assert d[:4] == b"\x7fELF" and d[4] == 2, path
        (self.type,) = struct.unpack_from("<H", d, 16)
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        secs = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            secs.append(dict(name_off=f[0], type=f[1], flags=f[2], addr=f[3],
                             offset=f[4], size=f[5], link=f[6], entsize=f[9]))
        strtab = secs[shstrndx]
        for s in secs:
            s["name"] = self._str(strtab["offset"] + s["name_off"])
        self.secs = secs
        self.syms = {}
        self.objects = []  # (value, size) of every object symbol, even
                           # same-named file-statics of different units
        for s in secs:
            if s["type"] != 2:  # SHT_SYMTAB
                continue
            st = secs[s["link"]]
            for o in range(s["offset"], s["offset"] + s["size"], 24):
                name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", d, o)
                n = self._str(st["offset"] + name)
                if n and shndx != 0:
                    self.syms.setdefault(n, (value, size, info & 0xF, shndx))
                    if info & 0xF == 1:
                        self.objects.append((value, size))
        self.relocs = self._dynamic_relocs()

    def _dynamic_relocs(self):
        """address -> value the loader stores there (link-time addresses,
        load base 0), or None when it depends on another module.  In a PIE
        the file holds 0 where a RELA relocation applies; RELR (implicit
        addends) needs nothing: the file already holds the value."""
        d = self.data
        dynsym = []
        for s in self.secs:
            if s["type"] == 11:  # SHT_DYNSYM
                for o in range(s["offset"], s["offset"] + s["size"], 24):
                    _, _, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", d, o)
                    dynsym.append(value if shndx else None)
        out = {}
        for s in self.secs:
            if s["type"] != 4 or not s["flags"] & 2:  # SHT_RELA, SHF_ALLOC
                continue
            for o in range(s["offset"], s["offset"] + s["size"], 24):
                where, info, addend = struct.unpack_from("<QQq", d, o)
                rtype, sym = info & 0xFFFFFFFF, info >> 32
                if rtype == 8:  # R_X86_64_RELATIVE
                    out[where] = addend & (2**64 - 1)
                elif rtype in (1, 6, 7):  # R_X86_64_64, GLOB_DAT, JUMP_SLOT
                    v = dynsym[sym] if sym < len(dynsym) else None
                    out[where] = None if v is None else (v + addend) & (2**64 - 1)
                else:
                    out[where] = None
        return out

    def u64(self, addr):
        """The 64-bit word at addr as the loader leaves it (see
        _dynamic_relocs); None if not in the file or not known here."""
        if addr in self.relocs:
            return self.relocs[addr]
        b = self.read(addr, 8)
        return None if b is None else struct.unpack("<Q", b)[0]

    def _str(self, off):
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode()

    def sec(self, name):
        for s in self.secs:
            if s["name"] == name:
                return s
        return None

    def read(self, addr, n):
        for s in self.secs:
            if s["addr"] and s["type"] != 8 and s["addr"] <= addr and addr + n <= s["addr"] + s["size"]:
                o = s["offset"] + addr - s["addr"]
                return self.data[o:o + n]
        return None


def s32(b):
    return struct.unpack("<i", b)[0]


# --------------------------------------------------------------------------
def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120, **kw)


def directives(paths, key):
    out = []
    for p in paths:
        for line in open(p):
            m = re.search(re.escape(key) + r":\s*(.*?)\s*(\*/)?$", line)
            if m:
                out.append(m.group(1))
    return out


def objdump_lines(path):
    r = run(["objdump", "-d", "--no-show-raw-insn", "-w", path])
    func = None
    for line in r.stdout.splitlines():
        m = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
        if m:
            func = m.group(2)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m and func:
            yield func, int(m.group(1), 16), m.group(2).strip()


# Retpoline thunks and the trampolines: the only code allowed an indirect
# branch (GCC's __x86_indirect_thunk_REG and __x86_return_thunk, clang's
# __llvm_retpoline_REG, the plugin's own __scall_* thunks).
THUNK_FUNC = re.compile(r"(__scall_|__x86_indirect_|__x86_return_thunk|"
                        r"__llvm_retpoline_|__llvm_external_retpoline_)")
THUNK_CALL = re.compile(r"(call|jmp|j[a-z]+)\s+[0-9a-f]+ <(__x86_indirect_|"
                        r"__llvm_retpoline_|__llvm_external_retpoline_|"
                        r"__scall_indirect_thunk)")


def indirect_branch(ins, prev):
    """How the instruction `ins` (after `prev` in the same function) is an
    indirect branch, or None: `call/jmp *`, `notrack`, a branch to a
    retpoline thunk (-mindirect-branch=thunk, clang -mretpoline), or the
    end of an inline retpoline (-mindirect-branch=thunk-inline), which
    overwrites its return address with the target: `mov %REG,(%rsp); ret`
    (the inline return thunk is `lea 0x8(%rsp),%rsp; ret`)."""
    if re.match(r"(call|jmp)\s*\*", ins):
        # call *printf@GOTPCREL(%rip) (-fno-plt) calls a library function
        return None if re.search(r"# [0-9a-f]+ <[^>]*@", ins) else "call/jmp *"
    if re.match(r"notrack\s+(call|jmp)", ins):
        return "notrack"
    if THUNK_CALL.match(ins):
        return "retpoline thunk"
    if re.match(r"ret[q]?\s*$", ins) and re.match(r"mov[q]?\s+%r\w+,\(%rsp\)$", prev):
        return "inline retpoline, after " + prev
    return None


def check_tramp(elf, name, addr, flags, key_addr):
    b = elf.read(addr, 32)
    if b is None:
        err(f"{name}: trampoline bytes not found")
        return
    if not (b[0] == 0x4C and b[1] in (0x8B, 0x8D) and b[2] == 0x1D):
        err(f"{name}: first insn {b[:3].hex()} is not movq/leaq key(%rip),%r11")
        return
    tgt = addr + 7 + s32(b[3:7])
    # movq O(%r11),%r11: O = 0 for a plain key, else a struct key's member
    # offset (disp8 or disp32); the record's key is the struct + O.
    if b[7:10] == bytes.fromhex("4d8b1b"):
        disp, p = 0, 10
    elif b[7:10] == bytes.fromhex("4d8b5b") and b[10] != 0:
        disp, p = b[10] - (256 if b[10] > 127 else 0), 11
    elif b[7:10] == bytes.fromhex("4d8b9b") and s32(b[10:14]) > 127:
        disp, p = s32(b[10:14]), 14
    else:
        err(f"{name}: second insn {b[7:10].hex()} is not movq O(%r11),%r11")
        return
    if b[1] == 0x8D:
        if key_addr is not None and tgt + disp != key_addr:
            err(f"{name}: leaq targets {tgt:#x}+{disp}, key is at {key_addr:#x}")
    else:
        slot = elf.u64(tgt)
        if slot is None:
            err(f"{name}: GOT slot {tgt:#x} has no value the checker can resolve")
        elif key_addr is not None and slot + disp != key_addr:
            err(f"{name}: GOT slot holds {slot:#x}+{disp}, key is at {key_addr:#x}")
    retp = flags & 2
    jlen = 5 if retp else 3
    if flags & 1:
        if b[p:p + 3] != bytes.fromhex("4d85db") or b[p + 3] != 0x74 or b[p + 4] != jlen:
            err(f"{name}: cond body {b[p:p+5].hex()} is not testq/je")
        p += 5
    if retp:
        if b[p] != 0xE9:
            err(f"{name}: retpoline trampoline has no jmp rel32 to a thunk")
    elif b[p:p + 3] != bytes.fromhex("41ffe3"):
        err(f"{name}: indirect jump {b[p:p+3].hex()} is not jmpq *%r11")
    p += jlen
    if flags & 1 and b[p] not in (0xC3, 0xE9):
        err(f"{name}: cond trampoline does not end with ret or a return thunk")


def check_binary(exe, fixture_funcs, allow_indirect, min_sites, keys):
    elf = Elf(exe)
    # trampolines
    tramps = {}
    tsec = elf.sec("scall_tramps")
    if tsec:
        for o in range(0, tsec["size"], 16):
            a = tsec["addr"] + o
            raw = elf.data[tsec["offset"] + o: tsec["offset"] + o + 16]
            _, rel, flags = struct.unpack("<QiI", raw)
            t = a + 8 + rel
            names = [n for n, v in elf.syms.items() if v[0] == t and n.startswith("__scall_")]
            name = names[0] if names else hex(t)
            # absolute: in the file (ET_EXEC) or a RELATIVE relocation (PIE);
            # the key variable, or a struct key holding the member
            key = elf.u64(a)
            if key is None:
                err(f"{name}: record key at {a:#x} does not resolve in this file")
            elif not [v for v in elf.objects if v[0] <= key < v[0] + max(v[1], 8)]:
                err(f"{name}: record key {key:#x} is not a variable")
                key = None
            if flags & ~3:
                err(f"{name}: unknown flags {flags:#x}")
            tramps[t] = (name, flags)
            check_tramp(elf, name, t, flags, key)
    # site records
    recorded = {}
    ssec = elf.sec("scall_sites")
    if ssec:
        for o in range(0, ssec["size"], 12):
            a = ssec["addr"] + o
            raw = elf.data[ssec["offset"] + o: ssec["offset"] + o + 12]
            rs, rt, info = struct.unpack("<iiI", raw)
            site, tramp, kind = a + rs, a + 4 + rt, info & 0xFF
            if info >> 8:
                err(f"site {site:#x}: flags {info >> 8:#x} must be 0")
            if kind == 4:
                continue  # unresolved (Clang without scall-ld): not decodable
            if tramp not in tramps:
                err(f"site {site:#x}: record names {tramp:#x}, which is no trampoline")
            b = elf.read(site, 6)
            if kind == 1 and b[0] == 0xE8 or kind == 2 and b[0] == 0xE9:
                tgt = site + 5 + s32(b[1:5])
            elif kind == 3 and b[0] == 0x0F and b[1] & 0xF0 == 0x80:
                tgt = site + 6 + s32(b[2:6])
            else:
                err(f"site {site:#x}: kind {kind} but bytes {b.hex()}")
                continue
            if tgt != tramp:
                err(f"site {site:#x}: branches to {tgt:#x}, record says {tramp:#x}")
            if site in recorded:
                err(f"site {site:#x} recorded twice")
            recorded[site] = kind
    # every direct branch to a trampoline, and indirect branches
    branches = {}
    checked = set()
    prev = (None, None, "")
    for func, addr, ins in objdump_lines(exe):
        m = re.match(r"(call|jmp|j[a-z]+)\s+([0-9a-f]+) <", ins)
        if m and int(m.group(2), 16) in tramps and not func.startswith("__scall_"):
            kind = 1 if m.group(1) == "call" else 2 if m.group(1) == "jmp" else 3
            branches[addr] = kind
        if func in fixture_funcs and not allow_indirect and not THUNK_FUNC.match(func):
            checked.add(func)
            how = indirect_branch(ins, prev[2] if prev[0] == func else "")
            if how:
                err(f"{func}+{addr:#x}: indirect branch remains ({how}): {ins}")
        prev = (func, addr, ins)
    if not allow_indirect and not checked:
        err(f"no function of the fixture was checked for indirect branches "
            f"(fixture functions: {sorted(fixture_funcs)})")
    for a, k in branches.items():
        if a not in recorded:
            err(f"branch to a trampoline at {a:#x} has no site record")
        elif recorded[a] != k:
            err(f"site {a:#x}: recorded kind {recorded[a]}, instruction kind {k}")
    for a in recorded:
        if a not in branches:
            err(f"record at {a:#x} is not a branch objdump sees")
    if len(recorded) < min_sites:
        err(f"{len(recorded)} sites, expected at least {min_sites}")
    tnames = [v[0] for v in tramps.values()]
    for k in keys:
        # a member key S__O: the unit suffix of a file-static S promoted
        # under -flto (S.scall.UID.HASH) comes before __O
        m = re.match(r"(.*)__(\d+)$", k)
        rx = (re.escape(m.group(1)) + r"(\.scall\.\d+\.[0-9a-f]+)?__" + m.group(2)
              if m else re.escape(k))
        if not any(re.match(r"__scall_c?tramp_" + rx + r"(\.|$)", n) for n in tnames):
            err(f"no trampoline for key {k} (have {tnames})")
    # module header
    if tramps or recorded:
        if "__scall_module" not in elf.syms:
            err("no __scall_module")
        else:
            v = elf.syms["__scall_module"]
            h = elf.read(v[0], 48)
            magic, ver, flags, nsites = struct.unpack_from("<IHHI", h)
            if (magic, ver) != (0x4C414353, 1):
                err(f"module header magic/version {magic:#x}/{ver}")
            # absolute bounds: in the file, or RELATIVE relocations (PIE)
            q = tuple(elf.u64(v[0] + off) for off in (16, 24, 32, 40))
            want = tuple(x for sec in (ssec, tsec) for x in
                         ((sec["addr"], sec["addr"] + sec["size"]) if sec else (0, 0)))
            if q != want:
                err(f"module bounds {q} != sections {want}")
    return len(recorded), len(tramps), len(checked)


def fixture_sets(srcdir):
    out = []
    for p in sorted(glob.glob(os.path.join(srcdir, "fixtures", "*"))):
        if p.endswith(".c"):
            out.append((os.path.basename(p)[:-2], [p]))
        elif os.path.isdir(p):
            out.append((os.path.basename(p), sorted(glob.glob(os.path.join(p, "*.c")))))
    return out


def compiler_kind(cc):
    return "clang" if "clang" in os.path.basename(cc) else "gcc"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--pass-flags", default="")
    ap.add_argument("--link-pass-flags", default=None,
                    help="pass flags on the link line (default: same as --pass-flags)")
    ap.add_argument("--include", required=True)
    ap.add_argument("--srcdir", default=HERE)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--flags", default="-O2")
    ap.add_argument("--post-link", default="")
    ap.add_argument("--link-flags", default="", help="added on the link line only")
    ap.add_argument("--fail", action="store_true")
    ap.add_argument("--lto-missing", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose-check", default="",
                    help="option that makes the pass print one line per site; "
                    "check the count against the object's records")
    ap.add_argument("--via-i", action="store_true",
                    help="compile each fixture with -E, then compile the .i")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    cc = shlex.split(a.cc)
    pf = shlex.split(a.pass_flags)
    lpf = pf if a.link_pass_flags is None else shlex.split(a.link_pass_flags)
    flags = shlex.split(a.flags)
    kind = compiler_kind(a.cc)
    base = cc + ["-I" + a.include, "-std=gnu11", "-Wall", "-Werror", "-Wno-unused-function"]

    if a.fail:
        return check_fail(a, base, pf, flags, kind)

    rt_o = os.path.join(a.workdir, "tramp_runtime.o")
    r = run(base + flags + ["-c", os.path.join(a.srcdir, "tramp_runtime.c"), "-o", rt_o])
    if r.returncode:
        err("tramp_runtime.c: " + r.stderr)
        return 1

    if a.verbose_check:
        src = os.path.join(a.srcdir, "fixtures", "basic.c")
        o = os.path.join(a.workdir, "verbose.o")
        r = run(base + pf + flags + [a.verbose_check, "-c", src, "-o", o])
        lines = [l for l in r.stderr.splitlines() if re.match(r".*basic\.c:\d+: scall: site in \S+: key \S+, (plain|cond), (call|jmp|jcc)$", l)]
        elf = Elf(o)
        nrec = sum(s["size"] // 12 for s in elf.secs if s["name"] == "scall_sites")
        if r.returncode or not lines or len(lines) != nrec:
            err(f"verbose: {len(lines)} lines for {nrec} records:\n{r.stderr}")
        else:
            print(f"verbose: {len(lines)} lines, {nrec} records: ok")
        return 1 if errors else 0

    if a.lto_missing:
        src = os.path.join(a.srcdir, "fixtures", "basic.c")
        o = os.path.join(a.workdir, "lto.o")
        r = run(base + pf + flags + ["-flto", "-c", src, "-o", o])
        if r.returncode:
            err("compile: " + r.stderr)
        else:
            r = run(base + flags + ["-flto", o, rt_o, "-o", os.path.join(a.workdir, "lto")])
            if r.returncode == 0:
                err("-flto link without the pass succeeded")
            elif "__scall_lto_link_requires_fplugin_scall" not in r.stderr:
                err("link failed without naming the marker: " + r.stderr[-500:])
        return 1 if errors else 0

    # -ffat-lto-objects linked with -fno-lto: the objects' code is linked
    lto_link = any(f == "-flto" or f.startswith("-flto=") for f in flags) and \
        "-fno-lto" not in shlex.split(a.link_flags)
    total = 0
    for name, srcs in fixture_sets(a.srcdir):
        if a.only and name != a.only:
            continue
        only = directives(srcs, "only")
        if only and kind not in only[0].split():
            continue
        extra = sum((shlex.split(x) for x in directives(srcs, "extra-flags-" + kind)), [])
        objs = []
        funcs = set()
        before = len(errors)
        for s in srcs:
            o = os.path.join(a.workdir, name + "-" + os.path.basename(s)[:-2] + ".o")
            src = s
            if a.via_i:  # preprocess first, as ccache and -save-temps do
                src = os.path.join(a.workdir, name + "-" + os.path.basename(s)[:-2] + ".i")
                r = run(base + pf + flags + extra + ["-E", s, "-o", src])
                if r.returncode:
                    err(f"{name}: -E failed:\n{r.stderr}")
                    break
            r = run(base + pf + flags + extra + ["-c", src, "-o", o])
            if r.returncode:
                err(f"{name}: compile {os.path.basename(s)} failed:\n{r.stderr}")
                break
            objs.append(o)
            if not lto_link:
                # the objects hold the code that is linked; their own
                # .symtab, as nm would show a fat LTO object's IR symbols
                funcs |= {n for n, v in Elf(o).syms.items() if v[2] == 2}  # STT_FUNC
        if len(objs) != len(srcs):
            continue
        exe = os.path.join(a.workdir, name)
        r = run(base + lpf + flags + extra + shlex.split(a.link_flags) + objs + [rt_o, "-o", exe])
        if r.returncode:
            err(f"{name}: link failed:\n{r.stderr}")
            continue
        if a.post_link:
            r = run(shlex.split(a.post_link) + [exe])
            if r.returncode:
                err(f"{name}: post-link failed:\n{r.stdout}{r.stderr}")
                continue
        if lto_link:  # function names change; check the fixture's own
            for func, _, _ in objdump_lines(exe):
                if not func.startswith(("_", "frame_dummy", "register_tm", "deregister_tm")) and "@plt" not in func:
                    funcs.add(func)
        allow = bool(directives(srcs, "scall-allow-indirect"))
        mins = directives(srcs, "expect-min-sites")
        keys = sum((x.split() for x in directives(srcs, "expect-keys")), [])
        n, t, nf = check_binary(exe, funcs, allow, int(mins[0]) if mins else 1, keys)
        out = directives(srcs, "expect-output")
        r = run([exe])
        got = r.stdout.strip()
        if r.returncode:
            err(f"{name}: exit {r.returncode}: {r.stderr}")
        elif out and got != "\n".join(out).replace("\\n", "\n"):
            err(f"{name}: output {got!r}, expected {out!r}")
        status = "ok" if len(errors) == before else "FAILED"
        print(f"{name}: {n} sites, {t} trampolines, {nf} functions without "
              f"indirect branches: {status}")
        total += 1
    if total == 0:
        err("no fixture checked")
    return 1 if errors else 0


def check_fail(a, base, pf, flags, kind):
    n = 0
    for src in sorted(glob.glob(os.path.join(a.srcdir, "fail", "*.c"))):
        name = os.path.basename(src)
        if a.only and name[:-2] != a.only:
            continue
        only = directives([src], "only")
        if only and kind not in only[0].split():
            continue
        extra = sum((shlex.split(x) for x in directives([src], "fail-flags")), [])
        expect = []
        for i, line in enumerate(open(src), 1):
            m = re.search(r"expect-error:\s*(.*?)\s*(\*/)?$", line)
            if m:
                expect.append((i, m.group(1)))
            m = re.search(r"expect-error-noline:\s*(.*?)\s*(\*/)?$", line)
            if m:
                expect.append((0, m.group(1)))
        r = run(base + pf + flags + extra + ["-c", src, "-o", os.devnull])
        before = len(errors)
        if r.returncode == 0:
            err(f"{name}: compiled, expected errors")
        for line, rx in expect:
            where = re.escape(name) + (":%d:" % line if line else "")
            pat = re.compile(r"(%s.*|^)error: .*%s" % (where if line else "", rx), re.M)
            if line and not re.search(r"%s(\d+:)? error: .*%s" % (where, rx), r.stderr):
                err(f"{name}:{line}: no error matching /{rx}/ in:\n{r.stderr}")
            elif not line and not pat.search(r.stderr):
                err(f"{name}: no error matching /{rx}/ in:\n{r.stderr}")
        # and nothing else: a line without expect-error must compile quietly
        # (how a fixture shows that an option silences a diagnostic)
        marked = {line for line, _ in expect if line}
        anywhere = [rx for line, rx in expect if not line]
        for m in re.finditer(r"^(?:.*/)?%s:(\d+):(?:\d+:)? (error|warning): (.*)$"
                             % re.escape(name), r.stderr, re.M):
            if int(m.group(1)) not in marked and \
                    not any(re.search(rx, m.group(3)) for rx in anywhere):
                err(f"{name}:{m.group(1)}: unexpected {m.group(2)}: {m.group(3)}")
        if not expect:
            err(f"{name}: fixture has no expect-error")
        print(f"{name}: {'ok' if len(errors) == before else 'FAILED'}")
        n += 1
    if n == 0:
        err("no fail fixture checked")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
