# SPDX-License-Identifier: MIT
"""gdb extension for scall: `info scall` shows, in the process being
debugged, every key with its current target, every call site as direct,
on its trampoline or refused, the trampolines, the writer and the stats.

What it reads (gdb/README.md):
  - the modules: the loader's list (_r_debug), and in each module's file
    the section scall_module, whose header gives the site and trampoline
    records in memory (docs/format.md, include/scall/format.h);
  - the keys and the code at every site and trampoline, in memory, decoded
    with the forms of include/scall/insn.h;
  - the same bytes in the file, which are what the runtime checked when
    it registered the module: a site not in the compiler's form there was
    refused and is never written;
  - the writer and the counters (updates, traps, syncs) from libscall's
    debug symbols when gdb has them (an unstripped libscall, or the
    libscall0-dbgsym package); otherwise they are shown as "?".
It only reads: no inferior call, no write, no lock, so it is safe at any
stop, also in the middle of an update (a window may then be parked on
INT3) and on a core file.
"""

import os
import re
import struct

import gdb

# --- the on-disk contract (include/scall/format.h, scall/insn.h) --------

MODULE_MAGIC = 0x4C414353
FORMAT_VERSION = 1
MODULE_FLAGS_MASK = 0xF
MODULE_VALIDATED = 0x1
MODULE_SORTED = 0x2
MODULE_PREBOUND = 0x4
MODULE_BRANCHES = 0x8     # the header has the branch bounds (64 bytes)
MODULE_SIZE = 48          # the least header (SCALL_MODULE_MIN_SIZE): what is read here
MODULE_BRANCHES_SIZE = 64  # SCALL_MODULE_SIZE
MODULE_SIZE_ALIGN = 8
SECTION_MODULE = "scall_module"

SITE_SIZE = 12
TRAMP_SIZE = 16
KIND_CALL, KIND_JMP, KIND_JCC, KIND_UNRESOLVED = 1, 2, 3, 4
KIND_MASK = 0xFF
SITE_FLAGS_MASK = 0xFFFFFF00
TRAMP_COND = 0x1
TRAMP_RETPOLINE = 0x2
TRAMP_BOUND_MASK = 0xC
TRAMP_BOUND_FUNC, TRAMP_BOUND_NULL, TRAMP_BOUND_RET0 = 0x4, 0x8, 0xC
TRAMP_SAVED_LEA = 0x10
TRAMP_SAVED_SHIFT = 16
TRAMP_SAVED_MASK = 0xFFFF0000
TRAMP_FLAGS_MASK = 0xFFFF001F

OP_CALL, OP_JMP, OP_JCC0, OP_JCC1 = 0xE8, 0xE9, 0x0F, 0x80
OP_INT3, OP_RET = 0xCC, 0xC3
NOP5 = bytes([0x0F, 0x1F, 0x44, 0x00, 0x00])
XOR5 = bytes([0x2E, 0x2E, 0x2E, 0x31, 0xC0])
TRAMP_WINDOW = 5
TRAMP_OP0, TRAMP_OP1_MOV, TRAMP_OP1_LEA, TRAMP_OP2 = 0x4C, 0x8B, 0x8D, 0x1D
KIND_LEN = {KIND_CALL: 5, KIND_JMP: 5, KIND_JCC: 6}
KIND_NAME = {KIND_CALL: "call", KIND_JMP: "jmp", KIND_JCC: "jcc"}

# scall_module: magic, version, flags, nsites, size, four bounds.
MODULE_FMT = "<IHHIIQQQQ"


def module_size(field):
    """The header's size given its size field, 0 when it is not valid
    (format.h, scall_module_size)."""
    if field == 0:
        return MODULE_SIZE
    if field < MODULE_SIZE or field % MODULE_SIZE_ALIGN:
        return 0
    return field


def rel32_fits(nxt, target):
    d = (target - nxt) & 0xFFFFFFFFFFFFFFFF
    if d >= 1 << 63:
        d -= 1 << 64
    return -(1 << 31) <= d < (1 << 31)


def rel32_target(nxt, raw):
    return (nxt + struct.unpack("<i", raw)[0]) & 0xFFFFFFFFFFFFFFFF


def tramp_is_indirect(b):
    return (b[0] == TRAMP_OP0 and b[1] in (TRAMP_OP1_MOV, TRAMP_OP1_LEA)
            and b[2] == TRAMP_OP2)


def is_jcc(b):
    return b[0] == OP_JCC0 and (b[1] & 0xF0) == OP_JCC1


# --- ELF files on disk ----------------------------------------------------

class ElfFile:
    """The section headers of an ELF64 file, and its bytes by address."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if len(d) < 64 or d[:4] != b"\x7fELF" or d[4] != 2:
            raise ValueError("not an ELF64 file")
        (shoff,) = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        self.sections = []
        if not shoff or shentsize != 64:
            return
        first = self._shdr(shoff)
        if shnum == 0:          # extended numbering (more than 0xff00)
            shnum = first[5]
        if shstrndx == 0xFFFF:
            shstrndx = first[6]
        hdrs = [self._shdr(shoff + i * 64) for i in range(shnum)]
        strtab = hdrs[shstrndx] if shstrndx < shnum else None
        for h in hdrs:
            name = ""
            if strtab:
                start = strtab[4] + h[0]
                end = d.find(b"\0", start)
                name = d[start:end].decode("latin-1")
            # name, type, addr, offset, size
            self.sections.append((name, h[1], h[3], h[4], h[5]))

    def _shdr(self, off):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link
        return struct.unpack_from("<IIQQQQI", self.data, off)

    def named(self, name):
        return [s for s in self.sections if s[0] == name]

    def read(self, vaddr, n):
        """n bytes at link-time address vaddr, or None (not in the file)."""
        for name, typ, addr, off, size in self.sections:
            if typ != 8 and addr and addr <= vaddr and vaddr + n <= addr + size:
                start = off + vaddr - addr
                return self.data[start:start + n]
        return None


_elf_cache = {}


def elf_file(path):
    """The parsed file, re-read when it changed; None if unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _elf_cache:
        try:
            _elf_cache[key] = ElfFile(path)
        except (OSError, ValueError, struct.error):
            _elf_cache[key] = None
    return _elf_cache[key]


# --- the process ----------------------------------------------------------

class Memory:
    """Reads of the inferior's memory, a page at a time, for one command."""

    PAGE = 4096

    def __init__(self):
        self.inf = gdb.selected_inferior()
        self.pages = {}

    def _page(self, p):
        if p not in self.pages:
            try:
                self.pages[p] = self.inf.read_memory(p, self.PAGE).tobytes()
            except gdb.MemoryError:
                self.pages[p] = None
        return self.pages[p]

    def read(self, addr, n):
        out = b""
        while n > 0:
            p = addr & ~(self.PAGE - 1)
            page = self._page(p)
            if page is None:
                # The last readable bytes may sit before an unmapped page.
                return bytes(self.inf.read_memory(addr, n))
            chunk = page[addr - p:addr - p + n]
            out += chunk
            addr += len(chunk)
            n -= len(chunk)
        return out

    def u64(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]


def symbol_address(name):
    """The address of a symbol gdb knows (minimal symbols too), or None."""
    try:
        return int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
    except gdb.error:
        return None


def main_program_path(inf):
    path = inf.progspace.filename if inf.progspace else None
    if not path and inf.pid:
        path = "/proc/%d/exe" % inf.pid
    return path


def auxv_phdr():
    """AT_PHDR of the process, for a program the loader does not list."""
    try:
        out = gdb.execute("info auxv", to_string=True)
    except gdb.error:
        return None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[1] == "AT_PHDR":
            return int(f[-1], 16)
    return None


def loaded_objects(mem):
    """(path, load bias) of every object the loader has mapped, the main
    program first: the list r_debug.r_map heads (<link.h>: l_addr, l_name,
    l_ld, l_next)."""
    inf = gdb.selected_inferior()
    r_debug = symbol_address("_r_debug")
    objs = []
    lm = mem.u64(r_debug + 8) if r_debug else 0
    char_p = gdb.lookup_type("char").pointer()
    while lm:
        bias = mem.u64(lm)
        name_p = mem.u64(lm + 8)
        name = gdb.Value(name_p).cast(char_p).string() if name_p else ""
        objs.append((name or main_program_path(inf), bias))
        lm = mem.u64(lm + 24)
    if not objs:
        # A static executable: its bias from where its program headers are.
        path = main_program_path(inf)
        elf = elf_file(path) if path else None
        phdr = auxv_phdr()
        if elf and phdr is not None:
            (phoff,) = struct.unpack_from("<Q", elf.data, 0x20)
            bias = 0
            if struct.unpack_from("<H", elf.data, 0x10)[0] == 3:  # ET_DYN
                bias = phdr - _phoff_vaddr(elf, phoff)
            objs.append((path, bias))
    return objs


def _phoff_vaddr(elf, phoff):
    """The address the program headers are linked at (the PT_LOAD that
    maps file offset phoff)."""
    phentsize, phnum = struct.unpack_from("<HH", elf.data, 0x36)
    for i in range(phnum):
        typ, _flags, off, vaddr, _pa, filesz = struct.unpack_from(
            "<IIQQQQ", elf.data, phoff + i * phentsize)
        if typ == 1 and off <= phoff < off + filesz:
            return vaddr + phoff - off
    return phoff


# --- the records of a module ----------------------------------------------

class Item:
    """A site or a trampoline: one patch window."""

    def __init__(self, module, addr, length, kind):
        self.module = module
        self.addr = addr
        self.len = length
        self.kind = kind            # KIND_CALL/JMP/JCC, or "tramp"
        self.tramp = None           # a site's trampoline
        self.key = None             # address of the key
        self.cond = False
        self.flags = 0              # a trampoline's record flags
        self.disk = None            # a trampoline's window in the file
        self.refused = None         # why the runtime refused it, or None
        self.cc = 0                 # a Jcc's condition code


class Module:
    def __init__(self, path, bias, hdr_addr):
        self.path = path
        self.bias = bias
        self.hdr = hdr_addr
        self.bad = None             # why the runtime refuses the header
        self.flags = self.nsites = 0
        self.tramps = []
        self.sites = []
        self.unresolved = 0
        self.disk = True            # the file's bytes were read


def read_module(mem, path, bias, elf, sec_addr, sec_size):
    m = Module(path, bias, bias + sec_addr)
    if sec_size < MODULE_SIZE:
        m.bad = "section of %d bytes" % sec_size
        return m
    (magic, version, flags, nsites, size, s0, s1, t0,
     t1) = struct.unpack(MODULE_FMT, mem.read(m.hdr, MODULE_SIZE))
    m.flags, m.nsites = flags, nsites
    # The checks of runtime/module.c, bad_header().
    if (magic != MODULE_MAGIC or version != FORMAT_VERSION
            or flags & ~MODULE_FLAGS_MASK or not module_size(size)
            or (flags & MODULE_BRANCHES and module_size(size) < MODULE_BRANCHES_SIZE)
            or s1 < s0 or t1 < t0 or (s1 - s0) % SITE_SIZE
            or (t1 - t0) % TRAMP_SIZE):
        m.bad = "bad header (magic %#x version %d flags %#x size %d)" % (
            magic, version, flags, size)
        return m

    def disk(addr, n):
        b = elf.read(addr - bias, n) if elf else None
        if b is None:
            m.disk = False
            b = mem.read(addr, n)
        return b

    # Trampolines: the records whose flags it knows (others are skipped).
    if t0:
        raw = mem.read(t0, t1 - t0)
        for i in range(0, len(raw), TRAMP_SIZE):
            key, rel, tflags = struct.unpack_from("<QiI", raw, i)
            if tflags & ~TRAMP_FLAGS_MASK:
                continue
            a = t0 + i + 8 + rel
            t = Item(m, a, TRAMP_WINDOW, "tramp")
            t.tramp, t.key, t.flags = a, key, tflags
            t.cond = bool(tflags & TRAMP_COND)
            t.disk = disk(a, TRAMP_WINDOW)
            if tflags & TRAMP_BOUND_MASK:
                if not bound_window_ok(t):
                    t.refused = "not the pre-bound form its record says"
            elif not tramp_is_indirect(t.disk):
                t.refused = "not an indirect trampoline"
            m.tramps.append(t)
    m.tramps.sort(key=lambda t: t.addr)
    by_addr = {}
    for i, t in enumerate(m.tramps):
        if i and t.addr == m.tramps[i - 1].addr:
            t.refused = t.refused or "duplicate trampoline record"
        by_addr.setdefault(t.addr, t)
    # Sites: kinds 1-3 without flags; kind 4 is only counted.
    if s0:
        raw = mem.read(s0, s1 - s0)
        for i in range(0, len(raw), SITE_SIZE):
            srel, trel, info = struct.unpack_from("<iiI", raw, i)
            kind = info & KIND_MASK
            if kind == KIND_UNRESOLVED:
                m.unresolved += 1
            if kind not in KIND_LEN or info & SITE_FLAGS_MASK:
                continue
            a = (s0 + i + srel) & 0xFFFFFFFFFFFFFFFF
            s = Item(m, a, KIND_LEN[kind], kind)
            s.tramp = (s0 + i + 4 + trel) & 0xFFFFFFFFFFFFFFFF
            t = by_addr.get(s.tramp)
            if not t:
                s.refused = "its trampoline has no record"
            else:
                s.key, s.cond = t.key, t.cond
                orig = disk(a, s.len)
                s.cc = orig[1] & 0x0F if kind == KIND_JCC else 0
                want = site_bytes(s, kind, s.tramp)
                if t.flags & TRAMP_BOUND_MASK and not t.refused:
                    want = bound_site_bytes(s, t, want)
                if orig != want:
                    s.refused = ("not its pre-bound form"
                                 if t.flags & TRAMP_BOUND_MASK
                                 else "not the compiler's form")
            m.sites.append(s)
    # Overlapping windows, sites and trampolines together: the later one
    # is refused, as the runtime does.
    items = sorted(m.tramps + m.sites, key=lambda x: x.addr)
    for prev, cur in zip(items, items[1:]):
        if cur.addr < prev.addr + prev.len and not cur.refused:
            cur.refused = "overlaps another record"
    return m


def bound_window_ok(t):
    """A trampoline scall-ld pre-bound holds the window its flags say
    (docs/format.md, "Pre-bound trampolines"; runtime/module.c)."""
    b, w = t.flags & TRAMP_BOUND_MASK, t.disk
    if b == TRAMP_BOUND_FUNC:
        return w[0] == OP_JMP
    if b == TRAMP_BOUND_NULL and t.cond:
        return w[0] == OP_RET
    return tramp_is_indirect(w)


def bound_value(t, ret0):
    b = t.flags & TRAMP_BOUND_MASK
    if b == TRAMP_BOUND_FUNC:
        return rel32_target(t.addr + 5, t.disk[1:5])
    return ret0 if b == TRAMP_BOUND_RET0 else 0


def bound_site_bytes(s, t, compiled):
    """The bytes of site s of pre-bound trampoline t on disk: the state of
    the value it was bound for (scall_return0 sites are xorl)."""
    b = t.flags & TRAMP_BOUND_MASK
    if b == TRAMP_BOUND_RET0:
        return XOR5 if s.kind == KIND_CALL else None
    op, target = desired_state(s, bound_value(t, None), None)
    if op == "nop":
        return NOP5
    if op == "ret":
        return bytes([OP_RET]) + compiled[1:]
    return site_bytes(s, s.kind, target)


def site_bytes(s, op, target):
    """The branch of op (a kind) at site s to target."""
    nxt = s.addr + s.len
    rel = struct.pack("<I", (target - nxt) & 0xFFFFFFFF)
    if op == KIND_CALL:
        return bytes([OP_CALL]) + rel
    if op == KIND_JMP:
        return bytes([OP_JMP]) + rel
    return bytes([OP_JCC0, OP_JCC1 | s.cc]) + rel


def scall_modules(mem):
    mods = []
    for path, bias in loaded_objects(mem):
        elf = elf_file(path)
        if not elf:
            continue
        for _name, _typ, addr, _off, size in elf.named(SECTION_MODULE):
            mods.append(read_module(mem, path, bias, elf, addr, size))
    return mods


# --- states ---------------------------------------------------------------

def live_state(mem, it):
    """What the window holds now: (op, target), op one of call, jmp, jcc,
    nop, xor, ret, indirect, int3, or "bytes" when it is none of them."""
    b = mem.read(it.addr, it.len)
    nxt = it.addr + it.len
    if b[0] == OP_INT3:
        return ("int3", None)
    if it.kind == "tramp":
        if tramp_is_indirect(b):
            return ("indirect", None)
        if b[0] == OP_JMP:
            return ("jmp", rel32_target(it.addr + 5, b[1:5]))
        if b[0] == OP_RET:
            return ("ret", None)
    elif it.kind == KIND_CALL:
        if b[0] == OP_CALL:
            return ("call", rel32_target(nxt, b[1:5]))
        if b == NOP5:
            return ("nop", None)
        if b == XOR5:
            return ("xor", None)
    elif it.kind == KIND_JMP:
        if b[0] == OP_JMP:
            return ("jmp", rel32_target(nxt, b[1:5]))
        if b[0] == OP_RET:
            return ("ret", None)
    elif is_jcc(b) and (b[1] & 0x0F) == it.cc:
        return ("jcc", rel32_target(nxt, b[2:6]))
    return ("bytes", b.hex(" "))


def desired_state(it, f, ret0):
    """The state docs/format.md prescribes for the key's value f ("Site
    instruction states", "States of the patch window")."""
    nxt = it.addr + it.len
    if it.kind == "tramp":
        if not f:
            return ("ret", None) if it.cond else ("indirect", None)
        if f == ret0:
            return ("indirect", None)
        return ("jmp", f) if rel32_fits(it.addr + 5, f) else ("indirect", None)
    op = KIND_NAME[it.kind]
    if not f:
        if it.cond and it.kind == KIND_CALL:
            return ("nop", None)
        if it.cond and it.kind == KIND_JMP:
            return ("ret", None)
        return (op, it.tramp)
    if it.kind == KIND_CALL and f == ret0:
        return ("xor", None)
    return (op, f if rel32_fits(nxt, f) else it.tramp)


def site_class(it, live):
    """direct, trampoline or refused, as scall_stats() counts them."""
    if it.refused:
        return "refused"
    op, target = live
    if op == "bytes":
        return "refused"
    if reads_key(it, live):
        return "trampoline"
    return "direct"


def reads_key(it, live):
    """The window reaches the key's current target whatever it holds: it
    branches to its trampoline, is a trampoline in its indirect state, or
    is parked on INT3 (the handler emulates from the key)."""
    op, target = live
    return (op in ("int3", "indirect")
            or (it.kind != "tramp" and op in ("call", "jmp", "jcc")
                and target == it.tramp))


# --- the runtime's own state, through libscall's debug symbols ------------

WRITER_NAMES = {"WRITER_NONE": "none", "WRITER_PROCMEM": "proc-mem",
                "WRITER_ALIAS": "alias", "WRITER_MPROTECT": "mprotect"}


def runtime_objfile():
    for o in gdb.objfiles():
        if o.lookup_global_symbol("scall_writer"):
            return o
    return None


def _static(o, name, source):
    for s in gdb.lookup_static_symbols(name):
        if (s.symtab and s.symtab.objfile == o
                and s.symtab.filename.endswith(source)):
            return s.value()
    return None


def runtime_state():
    """The writer, its reason, the counters and the registered headers,
    from the runtime's variables (runtime/writer.c, api.c, trap.c,
    module.c); None without debug symbols."""
    o = runtime_objfile()
    if o is None:
        return None
    try:
        writer = o.lookup_global_symbol("scall_writer").value()
        name = WRITER_NAMES.get(str(writer), str(writer))
        lost = _static(o, "sync_lost", "writer.c")
        if lost is not None and int(lost) and name != "none":
            name = "int3"
        reason = _static(o, "reason", "writer.c")
        regs = set()
        m = _static(o, "modules", "module.c")
        while m is not None and int(m):
            regs.add(int(m["hdr"]))
            m = m["next"]
        return {
            "writer": name,
            "reason": reason.string() if reason is not None else "",
            "updates": int(_static(o, "updates", "api.c")),
            "traps": int(o.lookup_global_symbol("scall_traps").value()),
            "syncs": int(o.lookup_global_symbol("scall_syncs").value()),
            "registered": regs,
        }
    except (gdb.error, TypeError, AttributeError):
        return None


# --- info scall -----------------------------------------------------------

def fmt_addr(a):
    """0x... <symbol+offset>, as gdb prints a pointer."""
    if a is None:
        return "?"
    if a == 0:
        return "NULL"
    try:
        text = gdb.format_address(a)
    except (gdb.error, TypeError):
        text = "%#x" % a
    if "<" not in text:
        # format_address names functions and variables with a size; a
        # data label without one (hand-written assembly) only here.
        try:
            sym = gdb.execute("info symbol %#x" % a, to_string=True)
        except gdb.error:
            sym = ""
        m = re.match(r"(\S+)(?: \+ (\d+))? in section ", sym)
        if m:
            text = "%#x <%s%s>" % (a, m.group(1),
                                   "+" + m.group(2) if m.group(2) else "")
    return text


def fmt_state(st):
    op, target = st
    if op in ("call", "jmp", "jcc"):
        return "%s %s" % (op, fmt_addr(target))
    return {"nop": "nop (cond key NULL)",
            "xor": "xorl %eax,%eax (scall_return0)",
            "ret": "ret (cond key NULL)",
            "indirect": "indirect: jumps through the key",
            "int3": "parked on INT3",
            }.get(op, "unexpected bytes %s" % target)


def where(a):
    sal = gdb.find_pc_line(a)
    if sal.symtab and sal.line:
        return " %s:%d" % (os.path.basename(sal.symtab.filename), sal.line)
    return ""


class InfoScall(gdb.Command):
    """Show scall's keys, sites and runtime state in the process.

Usage: info scall [-summary] [REGEX]

Lists every key (with REGEX, the keys whose symbol matches) with its
current target, its trampolines and its call sites.  Each site is
"direct" (its bytes encode the target in place), "trampoline" (it
branches to its trampoline, which jumps through the key, or it is
parked on INT3 mid-update) or "refused" (its bytes did not verify: the
runtime never writes it), with the instruction it holds.  STALE marks
a window whose calls would not reach the key's current target.
Then the writer, the counters and the totals, as scall_stats() counts
them.  -summary leaves out the keys."""

    def __init__(self):
        super().__init__("info scall", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        summary = "-summary" in argv
        argv = [a for a in argv if a != "-summary"]
        pattern = re.compile(argv[0]) if argv else None
        if not gdb.selected_inferior().pid:
            raise gdb.GdbError("info scall: no process")
        try:
            text = listing(pattern, summary)
        except gdb.MemoryError as e:
            raise gdb.GdbError("info scall: %s" % e)
        gdb.write(text)


def module_line(m, rt):
    reg = ""
    if rt is not None:
        reg = ", registered" if m.hdr in rt["registered"] else ", NOT registered"
    if m.bad:
        return "module %s: %s: left on its trampolines%s" % (m.path, m.bad, reg)
    both = MODULE_VALIDATED | MODULE_SORTED
    return "module %s: sites %d, trampolines %d, unresolved %d, %s%s%s" % (
        m.path, len(m.sites), len(m.tramps), m.unresolved,
        "validated by scall-ld" if m.flags & both == both else "not validated",
        reg, "" if m.disk else ", file unreadable: refusals not known")


def item_line(mem, it, live, cls, f, ret0):
    note = ""
    if it.refused:
        note = " (%s)" % it.refused
    elif it.key is not None and live[0] != "bytes" and not reads_key(it, live):
        # What does not read the key must hold its current target's state.
        want = desired_state(it, f, ret0)
        if live != want:
            note = " STALE (the key wants %s)" % fmt_state(want)
    if it.kind == "tramp":
        flavour = "cond" if it.cond else "plain"
        if it.flags & TRAMP_RETPOLINE:
            flavour += ", retpoline"
        return "  trampoline %s %s: %s%s" % (fmt_addr(it.addr), flavour,
                                             fmt_state(live), note)
    holds = fmt_state(live)
    if it.refused:
        # Its bytes mean nothing as a state: the runtime never wrote them.
        holds = "bytes " + mem.read(it.addr, it.len).hex(" ")
    return "  site %s%s %s: %s: %s%s" % (fmt_addr(it.addr), where(it.addr),
                                        KIND_NAME[it.kind], cls, holds, note)


def listing(pattern, summary):
    """The text of `info scall`: modules, keys with their trampolines and
    sites, the runtime's writer and counters, the totals."""
    mem = Memory()
    ret0 = symbol_address("scall_return0")
    rt = runtime_state()
    tot = dict.fromkeys(("modules", "sites", "direct", "trampoline",
                         "refused", "unresolved", "trampolines"), 0)
    lines, keys = [], {}
    for m in scall_modules(mem):
        lines.append(module_line(m, rt))
        if m.bad:
            continue
        tot["modules"] += 1
        tot["trampolines"] += len(m.tramps)
        tot["unresolved"] += m.unresolved
        for it in m.tramps + m.sites:
            keys.setdefault(it.key, []).append(it)
    for key in sorted(keys, key=lambda k: (k is None, k or 0)):
        f = mem.u64(key) if key is not None else None
        name = fmt_addr(key) if key is not None else "(no key)"
        show = not summary and (not pattern or pattern.search(name))
        if show:
            lines.append("key %s = %s" % (name, fmt_addr(f)))
        for it in sorted(keys[key], key=lambda x: (x.kind != "tramp", x.addr)):
            live = live_state(mem, it)
            cls = site_class(it, live)
            if it.kind != "tramp":
                tot["sites"] += 1
                tot[cls] += 1
            if show:
                lines.append(item_line(mem, it, live, cls, f, ret0))
    if rt is None:
        lines.append("writer ? (libscall has no debug symbols: install "
                     "libscall0-dbgsym), updates ?, traps ?, syncs ?")
    else:
        lines.append("writer %s%s, updates %d, traps %d, syncs %d" % (
            rt["writer"], " (%s)" % rt["reason"] if rt["reason"] else "",
            rt["updates"], rt["traps"], rt["syncs"]))
    lines.append("stats: modules %(modules)d, sites %(sites)d, direct "
                 "%(direct)d, trampoline %(trampoline)d, refused %(refused)d, "
                 "unresolved %(unresolved)d, trampolines %(trampolines)d" % tot)
    return "\n".join(lines) + "\n"


# --- the runtime's INT3 ----------------------------------------------------
#
# The runtime parks a window on INT3 while it changes it; a thread that
# runs into one traps, and libscall's SIGTRAP handler emulates the call
# (docs/protocol.md).  gdb stops on that SIGTRAP, and `continue` would not
# deliver it: the thread would resume after the INT3, inside the old
# instruction (SIGILL, or a wrong call).  `handle SIGTRAP pass` cannot fix
# it (gdb then also hands the program the SIGTRAP of its own breakpoint
# stops).  So once a process loads libscall, a silent catchpoint on SIGTRAP
# whose condition ($_scall_int3) holds only for a trap at a recorded
# window puts the PC after the INT3 and resumes the process with `signal
# SIGTRAP`, which delivers it; every other SIGTRAP stops as before.

SI_KERNEL = 0x80

_windows = {"objects": None, "addrs": frozenset()}


def window_addresses():
    """Every site and trampoline window of the loaded modules, recomputed
    when the list of loaded objects changes."""
    mem = Memory()
    objs = tuple(loaded_objects(mem))
    if objs != _windows["objects"]:
        addrs = set()
        for path, bias in objs:
            elf = elf_file(path)
            if not elf:
                continue
            for _n, _t, addr, _o, size in elf.named(SECTION_MODULE):
                m = read_module(mem, path, bias, elf, addr, size)
                addrs.update(it.addr for it in m.tramps + m.sites)
        _windows["objects"], _windows["addrs"] = objs, frozenset(addrs)
    return _windows["addrs"]


def trap_window():
    """The window whose INT3 the current thread trapped on, or None.  gdb
    backs the PC up over an INT3 before it knows whose it is; as a random
    signal it is then put back after it, as the program sees it."""
    try:
        if int(gdb.parse_and_eval("$_siginfo.si_code")) != SI_KERNEL:
            return None
        pc = int(gdb.parse_and_eval("$pc"))
        windows = window_addresses()
    except (gdb.error, gdb.MemoryError):
        return None
    if pc in windows:
        return pc
    if pc - 1 in windows:
        return pc - 1
    return None


class ScallInt3(gdb.Function):
    """$_scall_int3() - 1 when the current thread stopped on an INT3 that
the scall runtime put on a site or trampoline, else 0."""

    def __init__(self):
        super().__init__("_scall_int3")

    def invoke(self):
        return int(trap_window() is not None)


class ScallTrapPc(gdb.Function):
    """$_scall_trap_pc() - the PC after the INT3 the current thread trapped
on, which libscall's SIGTRAP handler expects; $pc when it is not one."""

    def __init__(self):
        super().__init__("_scall_trap_pc")

    def invoke(self):
        w = trap_window()
        return int(gdb.parse_and_eval("$pc")) if w is None else w + 1


_catch = {"bp": None}


def catch_runtime_traps():
    bp = _catch["bp"]
    if bp is not None and bp.is_valid():
        return
    before = {b.number for b in gdb.breakpoints()}
    gdb.execute("catch signal SIGTRAP", to_string=True)
    bp = [b for b in gdb.breakpoints() if b.number not in before][0]
    bp.silent = True
    bp.condition = "$_scall_int3()"
    bp.commands = "set $pc = $_scall_trap_pc()\nsignal SIGTRAP"
    _catch["bp"] = bp


def _is_libscall(objfile):
    return os.path.basename(objfile.filename or "").startswith("libscall.so")


def _on_new_objfile(event):
    if _is_libscall(event.new_objfile):
        catch_runtime_traps()


def _connect():
    # Sourced again (or auto-loaded for a second libscall): one handler.
    old = getattr(gdb, "_scall_on_new_objfile", None)
    if old:
        gdb.events.new_objfile.disconnect(old)
    gdb.events.new_objfile.connect(_on_new_objfile)
    gdb._scall_on_new_objfile = _on_new_objfile
    if any(_is_libscall(o) for o in gdb.objfiles()):
        catch_runtime_traps()


# Sourcing it again replaces the command with this definition.
InfoScall()
ScallInt3()
ScallTrapPc()
_connect()
