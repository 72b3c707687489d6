#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen.py - random C programs that call through scall keys.

  gen.py SEED OUTDIR

Writes a deterministic program (the same SEED gives the same files) into
OUTDIR: rnd.h, rnd_a.c, rnd_b.c, rnd_main.c and meta.json.  Units a and b
are the "library" part (a shared object in run.py's shared mode), rnd_main.c
the executable part.  The program calls through keys in every context the
compiler halves convert (plain, tail and conditional tail calls; loops,
switches, ternaries; always_inline and static inline header functions;
recursion through keys; stack-passed arguments, struct returns, float and
double arguments, variadic prototypes), with SCALL_DEFINE / SCALL_KEY
globals, file-statics (one name in two units), struct keys with members at
nested offsets, NULL and RET0 keys, scall_update, batches and, when
meta.json says "stores", converted stores.  It prints a hash of every value
it computes after each step, and the target of every key after each phase,
so any wrong call changes its output.

meta.json: {"seed", "stores" (build with convert-stores), "units",
"called": {unit: [key names as scall-ld --json prints them, without the
per-unit suffixes]}} - each listed key must have at least one site in the
module that holds the unit.
"""
import json
import os
import random
import sys

NPHASES = 6

# Parameter and return types: C spelling, size, alignment.
CTYPE = {
    "u32": "uint32_t", "u64": "uint64_t", "dbl": "double", "flt": "float",
    "pair": "struct rnd_pair", "big": "struct rnd_big", "void": "void",
}
INTS = ("u32", "u64")


class Sig:
    def __init__(self, idx, ret, params, variadic=None, rec=False):
        self.idx = idx
        self.ret = ret
        self.params = params          # fixed parameters (types)
        self.variadic = variadic      # None or the types after the count
        self.rec = rec                # (u32 depth, u64 x): targets recurse
        self.targets = []

    @property
    def fn(self):
        return "rnd_fn_%d" % self.idx

    def proto(self, name, names=None):
        ps = []
        for i, t in enumerate(self.params):
            ps.append(CTYPE[t] + (" " + names[i] if names is not None else ""))
        if self.variadic is not None:
            ps.append("uint32_t" + (" n" if names is not None else ""))
            ps.append("...")
        if not ps:
            ps = ["void"]
        return "%s %s(%s)" % (CTYPE[self.ret], name, ", ".join(ps))

    @property
    def ret0able(self):
        return self.ret in ("u32", "u64", "void")


class Target:
    def __init__(self, sig, name, unit, static):
        self.sig, self.name, self.unit, self.static = sig, name, unit, static
        self.idx = len(sig.targets)
        sig.targets.append(self)

    def visible(self, unit):
        return not self.static or self.unit == unit


class Key:
    """A called entity: a plain key, a struct key member, or (nonkey) an
    array element / union member of a struct key, which stays indirect."""

    def __init__(self, expr, sig, units, kind, nullable=False, jname=None,
                 defunit=None):
        self.expr = expr          # C lvalue
        self.sig = sig
        self.units = units        # units that can name it ('h' = header)
        self.kind = kind
        self.nullable = nullable  # may be NULL: called with scall_cond only
        self.jname = jname        # name in scall-ld --json (None: not a key)
        self.defunit = defunit    # unit whose show function prints it


class Struct:
    def __init__(self, name):
        self.name = name
        self.fields = []          # (kind, name, payload)

    def layout(self):
        off, al = 0, 1
        offs = []
        for kind, name, pay in self.fields:
            s, a = field_size(kind, pay)
            off = (off + a - 1) // a * a
            offs.append(off)
            off += s
            al = max(al, a)
        return offs, (off + al - 1) // al * al, al


def field_size(kind, pay):
    if kind == "u8":
        return 1, 1
    if kind == "u32":
        return 4, 4
    if kind in ("dbl", "fn", "union"):
        return 8, 8
    if kind == "pad":
        return pay, 1
    if kind == "arr":
        return 16, 8
    if kind == "struct":
        _, size, al = pay.layout()
        return size, al
    raise ValueError(kind)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.sigs = []
        self.keys = []
        self.structs = []
        self.nstruct = 0
        self.out = {"h": [], "a": [], "b": [], "m": []}
        self.helpers = {"a": [], "b": [], "m": []}
        self.nhelp = 0
        self.called = {"a": set(), "b": set(), "m": set()}
        self.hfuncs = []          # (name, body lines, always_inline, called keys)
        self.stores = self.r.random() < 0.6
        self.alt_needed = {"a": False, "b": False, "m": False}

    # -- random helpers -------------------------------------------------
    def c32(self):
        return "0x%xu" % self.r.getrandbits(32)

    def pick(self, seq):
        return self.r.choice(list(seq))

    # -- signatures, targets ---------------------------------------------
    def make_sigs(self):
        r = self.r
        add = lambda *a, **k: self.sigs.append(Sig(len(self.sigs), *a, **k))
        add("void", [self.pick(INTS) for _ in range(r.randint(1, 3))])
        add("u32", [], rec=True)
        self.sigs[-1].params = ["u32", "u64"]
        add("u32", ["u32"] + [self.pick(INTS + ("dbl",)) for _ in range(r.randint(0, 2))])
        # many arguments: integers and floats beyond the registers
        many = [self.pick(INTS) for _ in range(r.randint(7, 9))] + \
               [self.pick(("dbl", "flt")) for _ in range(r.randint(2, 10))]
        r.shuffle(many)
        if r.random() < 0.5:
            many.insert(r.randrange(len(many)), self.pick(("pair", "big")))
        add(self.pick(("u64", "u32", "dbl")), many)
        add("big", [self.pick(INTS + ("dbl",)) for _ in range(r.randint(1, 4))])
        add("u32" if r.random() < 0.6 else "dbl",
            [self.pick(INTS) for _ in range(r.randint(0, 2))],
            variadic=[self.pick(("u32", "u64", "dbl")) for _ in range(r.randint(1, 9))])
        for _ in range(r.randint(1, 3)):
            ret = self.pick(("u32", "u64", "dbl", "flt", "pair", "big", "void"))
            ps = [self.pick(("u32", "u64", "dbl", "flt", "pair", "big"))
                  for _ in range(r.randint(0, 6))]
            add(ret, ps)

    def make_targets(self):
        r = self.r
        for s in self.sigs:
            n = r.randint(2, 4)
            for i in range(n):
                unit = "a" if i == 0 else self.pick("aab")
                # the second is global: every unit sees a target of each type
                static = r.random() < 0.5 and i != 1
                Target(s, "rnd_t%d_%d" % (s.idx, i), unit, static)
            if r.random() < 0.3:  # a target in the executable
                Target(s, "rnd_t%d_%d" % (s.idx, n), "m", True)

    def targets_for(self, sig, unit):
        return [t for t in sig.targets if t.visible(unit)]

    # -- keys ------------------------------------------------------------
    def make_keys(self):
        r = self.r
        nk = 0
        for s in self.sigs:
            for _ in range(r.randint(1, 3) if not s.rec else 1):
                kinds = ["define", "global", "static"]
                if s.ret0able:
                    kinds.append("ret0")
                if s.ret == "void":
                    kinds.append("null")
                kind = self.pick(kinds)
                if s.rec:
                    kind = self.pick(("define", "global"))
                self.add_key(s, kind, "rnd_k%d" % nk)
                nk += 1
        # the recursion key of unit b, file-static
        srec = [s for s in self.sigs if s.rec][0]
        self.add_key(srec, "static", "rnd_krec_b", unit="b")
        # one file-static name in both units, each its own key
        s = self.pick([s for s in self.sigs if not s.rec])
        for u in "ab":
            self.add_key(s, "static", "rnd_ksame", unit=u)

    def add_key(self, s, kind, name, unit=None):
        r = self.r
        if kind == "static":
            unit = unit or self.pick("ab")
            init = self.targets_for(s, unit)
            nullable = s.ret == "void" and r.random() < 0.4
            k = Key(name, s, [unit], "static", nullable, jname=name, defunit=unit)
            k.init = None if nullable and r.random() < 0.5 or not init else self.pick(init)
            if k.init is None and not nullable:
                return
        else:
            unit = "a"
            k = Key(name, s, ["a", "b", "m", "h"], kind, kind == "null",
                    jname=name, defunit="a")
            glob = [t for t in s.targets if not t.static]
            if kind in ("define", "global"):
                k.init = self.pick(self.targets_for(s, "a"))
                if kind == "define" and k.init.static and glob and r.random() < 0.7:
                    k.init = self.pick(glob)
            else:
                k.init = None
            # SCALL_DECLARE names a function declared in the header
            k.decl_with = self.pick(glob) if kind == "define" and glob else None
        self.keys.append(k)

    # -- struct keys -------------------------------------------------------
    def make_struct(self, depth=0):
        r = self.r
        st = Struct("rnd_s%d" % self.nstruct)
        self.nstruct += 1
        nf = r.randint(2, 5)
        for i in range(nf):
            c = r.random()
            if c < 0.4:
                st.fields.append(("fn", "m%d" % i, self.pick(
                    [s for s in self.sigs if not s.rec])))
            elif c < 0.55 and depth < 2:
                st.fields.append(("struct", "in%d" % i, self.make_struct(depth + 1)))
            elif c < 0.65:
                st.fields.append(("arr", "arr%d" % i, self.pick(
                    [s for s in self.sigs if not s.rec and s.ret != "void"])))
            elif c < 0.72:
                st.fields.append(("union", "u%d" % i, self.pick(
                    [s for s in self.sigs if not s.rec and s.ret != "void"])))
            elif c < 0.8:
                st.fields.append(("pad", "pad%d" % i, r.choice((3, 40, 130, 200))))
            else:
                st.fields.append((self.pick(("u8", "u32", "dbl")), "d%d" % i, None))
        self.structs.append(st)
        return st

    def struct_members(self, st, base, off):
        """(path, offset, kind, sig) of every fn member, array and union."""
        offs, _, _ = st.layout()
        res = []
        for (kind, name, pay), o in zip(st.fields, offs):
            p = base + "." + name
            if kind == "fn":
                res.append((p, off + o, "fn", pay))
            elif kind == "arr":
                res.append((p, off + o, "arr", pay))
            elif kind == "union":
                res.append((p, off + o, "union", pay))
            elif kind == "struct":
                res += self.struct_members(pay, p, off + o)
        return res

    def make_struct_keys(self):
        r = self.r
        for _ in range(10):
            self.structs = []
            root = self.make_struct()
            mem = self.struct_members(root, "", 0)
            if sum(1 for m in mem if m[2] == "fn") >= 2:
                break
        self.root = root
        self.svars = [("rnd_ops", "a", False)]
        if r.random() < 0.7:
            self.svars.append(("rnd_sops", "b", True))
        self.smembers = {}
        for var, unit, static in self.svars:
            units = [unit] if static else ["a", "b", "m", "h"]
            ms = []
            for path, off, kind, sig in self.struct_members(root, "", 0):
                if kind == "fn":
                    nullable = sig.ret == "void" and r.random() < 0.4
                    k = Key(var + path, sig, units, "member", nullable,
                            jname="%s__%d" % (var, off), defunit=unit)
                    k.path, k.off = path, off
                    self.keys.append(k)
                    ms.append(k)
                elif kind == "arr":
                    for i in range(2):
                        k = Key("%s%s[%d]" % (var, path, i), sig, units, "nonkey",
                                defunit=unit)
                        k.path, k.off = "%s[%d]" % (path, i), off + 8 * i
                        self.keys.append(k)
                        ms.append(k)
                else:
                    k = Key(var + path + ".f", sig, units, "nonkey", defunit=unit)
                    k.path, k.off = path + ".f", off
                    self.keys.append(k)
                    ms.append(k)
            self.smembers[var] = ms

    def struct_init(self, st, unit, var, path="", alt=False):
        parts = []
        for kind, name, pay in st.fields:
            p = path + "." + name
            if kind == "fn":
                k = [m for m in self.smembers[var] if m.path == p][0]
                ts = self.targets_for(pay, unit)
                if k.nullable and not alt and (self.r.random() < 0.4 or not ts):
                    parts.append(".%s = 0" % name)
                else:
                    parts.append(".%s = %s" % (name, self.pick(ts).name))
            elif kind == "arr":
                ts = self.targets_for(pay, unit)
                parts.append(".%s = { %s, %s }" % (name, self.pick(ts).name,
                                                    self.pick(ts).name))
            elif kind == "union":
                parts.append(".%s = { .f = %s }" % (
                    name, self.pick(self.targets_for(pay, unit)).name))
            elif kind == "struct":
                parts.append(".%s = %s" % (name, self.struct_init(pay, unit, var, p, alt)))
            elif kind in ("u8", "u32"):
                parts.append(".%s = %d" % (name, self.r.randrange(200)))
            elif kind == "dbl":
                parts.append(".%s = %d.5" % (name, self.r.randrange(200)))
        return "{ " + ", ".join(parts) + " }"

    # -- expressions -------------------------------------------------------
    def arg(self, t, env):
        r = self.r
        iv = ["x", "(uint32_t)v"] + (["i"] if "i" in env else [])
        a = self.pick(iv)
        if t == "u32":
            return self.pick(["%s" % a, "(%s + %s)" % (a, self.c32()),
                              "(uint32_t)(v >> %d)" % r.randint(1, 40),
                              "%s" % self.c32()])
        if t == "u64":
            return self.pick(["v", "(v ^ %sull)" % self.c32()[:-1],
                              "((uint64_t)%s << %d)" % (a, r.randint(0, 31))])
        if t == "dbl":
            return "((double)(%s & 0xfffu) * 0.125)" % a
        if t == "flt":
            return "((float)(%s & 0xffu) * 0.25f)" % a
        if t == "pair":
            return "rnd_pair_make(v ^ %sull)" % self.c32()[:-1]
        if t == "big":
            return "rnd_big_make(v + %s)" % a
        raise ValueError(t)

    def args(self, sig, env):
        a = [self.arg(t, env) for t in sig.params]
        if sig.rec:  # the depth of a recursion through keys
            a[0] = "((%s) & 7u)" % a[0]
        if sig.variadic is not None:
            n = self.r.randint(0, len(sig.variadic))
            a.append("%du" % n)
            a += [self.arg(t, env) for t in sig.variadic[:n]]
        return a

    def call(self, k, args):
        """A call expression through k (void for a nullable key)."""
        if k.nullable:
            return "scall_cond(%s)(%s)" % (k.expr, ", ".join(args))
        form = self.r.random()
        if k.kind == "nonkey" or form < 0.6:
            return "%s(%s)" % (k.expr, ", ".join(args))
        if form < 0.8:
            return "scall(%s)(%s)" % (k.expr, ", ".join(args))
        return "(*%s)(%s)" % (k.expr, ", ".join(args))

    def val(self, ret, e):
        """e (of type ret) as a uint64_t expression."""
        return {"u32": "(uint64_t)%s", "u64": "(uint64_t)%s", "dbl": "rnd_dbits(%s)",
                "flt": "rnd_fbits(%s)", "pair": "rnd_pair_sum(%s)",
                "big": "rnd_big_sum(%s)"}[ret] % e

    def visible_keys(self, unit, callable_only=True):
        return [k for k in self.keys if unit in k.units]

    def note_called(self, unit, k):
        if k.jname is None:
            return
        units = ["a", "b", "m"] if unit == "h" else [unit]
        for u in units:
            self.pending.append((u, k))

    def stmt_call(self, unit, env, k=None):
        """Statement lines: one call through a key, its value hashed."""
        ks = self.visible_keys(unit)
        k = k or self.pick(ks)
        e = self.call(k, self.args(k.sig, env))
        self.note_called(unit, k)
        if k.sig.ret == "void" or k.nullable:
            return [e + ";"]
        return ["v = rnd_step(v, %s);" % self.val(k.sig.ret, e)]

    # -- statements --------------------------------------------------------
    def stmts(self, unit, env, n, depth=0):
        out = []
        for _ in range(n):
            out += self.stmt(unit, env, depth)
        return out

    def stmt(self, unit, env, depth):
        r = self.r
        ctx = ["plain", "plain", "ternary", "rec"]
        if depth < 2:
            ctx += ["loop", "switch"]
        if unit != "h":
            ctx += ["tail", "ctail", "swtail", "upd"]
            if depth < 2:
                ctx.append("rech")
            if self.hfuncs:
                ctx += ["inline", "inline"]
        c = self.pick(ctx)
        return getattr(self, "s_" + c)(unit, env, depth)

    def s_plain(self, unit, env, depth):
        return self.stmt_call(unit, env)

    def nonvoid_keys(self, unit):
        return [k for k in self.visible_keys(unit)
                if k.sig.ret != "void" and not k.nullable]

    def opaque(self):
        """A value the compiler cannot know, so that no branch folds away
        together with a call that meta.json says is there: a fresh read of
        the volatile rnd_zero (0) mixed into x or v.  Never the loop
        counter: an unrolled loop would fix it."""
        return self.pick(["(x ^ rnd_zero)", "((uint32_t)v ^ rnd_zero)",
                          "((uint32_t)(v >> %d) ^ rnd_zero)" % self.r.randint(1, 40)])

    def cond(self, env):
        return "(%s & %s)" % (self.opaque(), self.pick(["1u", "2u", "4u", "6u", "0x10u"]))

    def s_ternary(self, unit, env, depth):
        r = self.r
        ks = self.nonvoid_keys(unit)
        c = r.random()
        if c < 0.45:
            k1, k2 = self.pick(ks), self.pick(ks)
            self.note_called(unit, k1)
            self.note_called(unit, k2)
            return ["v = rnd_step(v, %s ? %s : %s);" % (
                self.cond(env), self.val(k1.sig.ret, self.call(k1, self.args(k1.sig, env))),
                self.val(k2.sig.ret, self.call(k2, self.args(k2.sig, env))))]
        if c < 0.7:  # a ternary in an argument
            k = self.pick(ks)
            args = self.args(k.sig, env)
            for i, t in enumerate(k.sig.params):
                if t in INTS and not (i == 0 and k.sig.rec):
                    args[i] = "(%s ? %s : %s)" % (self.cond(env), args[i], self.arg(t, env))
                    break
            self.note_called(unit, k)
            return ["v = rnd_step(v, %s);" % self.val(k.sig.ret, self.call(k, args))]
        if c < 0.85:  # void calls in both arms
            vs = [k for k in self.visible_keys(unit) if k.sig.ret == "void" or k.nullable]
            if not vs:
                return self.s_plain(unit, env, depth)
            k1, k2 = self.pick(vs), self.pick(vs)
            self.note_called(unit, k1)
            self.note_called(unit, k2)
            e1 = self.call(k1, self.args(k1.sig, env))
            e2 = self.call(k2, self.args(k2.sig, env))
            if not k1.nullable:
                e1 = "(void)" + e1
            if not k2.nullable:
                e2 = "(void)" + e2
            return ["%s ? %s : %s;" % (self.cond(env), e1, e2)]
        # a ternary choosing the callee: not a key call, stays indirect
        k1 = self.pick(ks)
        same = [k for k in ks if k.sig is k1.sig]
        k2 = self.pick(same)
        return ["v = rnd_step(v, %s);" % self.val(k1.sig.ret, "(%s ? %s : %s)(%s)" % (
            self.cond(env), k1.expr, k2.expr, ", ".join(self.args(k1.sig, env))))]

    def s_loop(self, unit, env, depth):
        r = self.r
        if "i" in env:  # nested: a block, so that the new i shadows the old
            return ["{"] + ["\t" + l for l in self.s_loop(unit, env - {"i"}, depth)] + ["}"]
        n = r.randint(1, 4)
        env2 = env | {"i"}
        body = self.stmts(unit, env2, r.randint(1, 2), depth + 1)
        if r.random() < 0.3:
            body.append("if (((uint32_t)v & 7u) == %du)" % r.randrange(8))
            body.append("\tbreak;")
        body = ["\t" + l for l in body]
        c = r.random()
        if c < 0.5:
            return ["for (uint32_t i = 0; i < %du; i++) {" % n] + body + ["}"]
        if c < 0.75:
            return ["{", "\tuint32_t i = 0;", "\twhile (i < %du) {" % n] + \
                ["\t" + l for l in body] + ["\t\ti++;", "\t}", "}"]
        return ["{", "\tuint32_t i = 0;", "\tdo {"] + ["\t" + l for l in body] + \
            ["\t\ti++;", "\t} while (i < %du);" % n, "}"]

    def s_switch(self, unit, env, depth):
        r = self.r
        m = r.randint(2, 5)
        out = ["switch (%s %% %du) {" % (self.opaque(), m)]
        for c in range(m - 1):
            out.append("case %d:" % c)
            out += ["\t" + l for l in self.stmts(unit, env, r.randint(1, 2), depth + 1)]
            out.append("\tbreak;")
        out.append("default:")
        out += ["\t" + l for l in self.stmts(unit, env, 1, depth + 1)]
        out.append("\tbreak;")
        out.append("}")
        return out

    def s_rec(self, unit, env, depth):
        ks = [k for k in self.visible_keys(unit) if k.sig.rec]
        k = self.pick(ks)
        self.note_called(unit, k)
        return ["v = rnd_step(v, (uint64_t)%s);" % self.call(
            k, ["(%s & 7u)" % self.pick(["x", "(uint32_t)v"]), self.arg("u64", env)])]

    def new_helper(self):
        self.nhelp += 1
        return "rnd_f%d" % self.nhelp

    def noinline(self):
        return "__attribute__((noinline)) " if self.r.random() < 0.75 else ""

    def helper_params(self, sig):
        names = ["a%d" % i for i in range(len(sig.params))]
        decl = ", ".join("%s %s" % (CTYPE[t], n) for t, n in zip(sig.params, names))
        return names, decl

    def pass_args(self, sig, names, env):
        """Arguments for sig built from the helper's own parameters."""
        out = []
        for t, n in zip(sig.params, names):
            if t == "u32" and self.r.random() < 0.3:
                out.append("%s + %s" % (n, self.c32()))
            else:
                out.append(n)
        if sig.rec:
            out[0] = "((%s) & 7u)" % out[0]
        if sig.variadic is not None:
            k = self.r.randint(0, len(sig.variadic))
            out.append("%du" % k)
            ints = [n for t, n in zip(sig.params, names) if t in INTS]
            for t in sig.variadic[:k]:
                src = self.pick(ints) if ints else self.c32()
                out.append({"u32": "(uint32_t)%s" % src, "u64": "(uint64_t)%s" % src,
                            "dbl": "(double)((uint32_t)%s & 0xffu)" % src}[t])
        return out

    def s_tail(self, unit, env, depth):
        """A helper whose body is a tail call through a key."""
        ks = self.visible_keys(unit)
        k = self.pick(ks)
        s = k.sig
        h = self.new_helper()
        names, decl = self.helper_params(s)
        ret = "void" if k.nullable else CTYPE[s.ret]
        body = self.call(k, self.pass_args(s, names, env))
        self.note_called(unit, k)
        if ret == "void":
            lines = ["\t%s;" % body]
        else:
            lines = ["\treturn %s;" % body]
        self.helpers[unit].append(["static %s%s %s(%s)" % (
            self.noinline(), ret, h, decl or "void"), "{"] + lines + ["}"])
        callargs = [self.arg(t, env) for t in s.params]
        e = "%s(%s)" % (h, ", ".join(callargs))
        if ret == "void":
            return [e + ";"]
        return ["v = rnd_step(v, %s);" % self.val(s.ret, e)]

    def alt_value(self, ret, sel):
        return {"u32": "%s ^ %s" % (sel, self.c32()),
                "u64": "(uint64_t)%s * %sull" % (sel, self.c32()[:-1]),
                "dbl": "(double)(%s & 0xffu) * 0.5" % sel,
                "flt": "(float)(%s & 0xffu) * 0.5f" % sel,
                "pair": "rnd_pair_make(%s)" % sel,
                "big": "rnd_big_make(%s)" % sel}[ret]

    def sel(self, env):
        """A helper's selector (see opaque())."""
        return self.opaque()

    def s_ctail(self, unit, env, depth):
        """Conditional tail call(s): if (sel & m) return k(...); ..."""
        r = self.r
        ks = self.visible_keys(unit)
        k = self.pick(ks)
        s = k.sig
        h = self.new_helper()
        names, decl = self.helper_params(s)
        decl = "uint32_t sel" + (", " + decl if decl else "")
        voidret = k.nullable or s.ret == "void"
        self.note_called(unit, k)
        c = "(sel & %s)" % self.pick(["1u", "2u", "8u", "3u"])
        same = [k2 for k2 in ks if k2.sig is s and (k2.nullable or k2.sig.ret == "void") == voidret
                and (not voidret or True)]
        if voidret:
            e = self.call(k, self.pass_args(s, names, env))
            if r.random() < 0.5:
                lines = ["\tif %s" % c, "\t\t%s;" % e]
            else:
                lines = ["\tif (!%s)" % c, "\t\treturn;", "\t%s;" % e]
            ret = "void"
        else:
            e = self.call(k, self.pass_args(s, names, env))
            lines = ["\tif %s" % c, "\t\treturn %s;" % e]
            k2 = self.pick(same) if r.random() < 0.5 else None
            if k2 is not None and not k2.nullable:
                self.note_called(unit, k2)
                lines.append("\treturn %s;" % self.call(k2, self.pass_args(s, names, env)))
            else:
                lines.append("\treturn %s;" % self.alt_value(s.ret, "sel"))
            ret = CTYPE[s.ret]
        self.helpers[unit].append(["static %s%s %s(%s)" % (
            self.noinline(), ret, h, decl), "{"] + lines + ["}"])
        e = "%s(%s)" % (h, ", ".join([self.sel(env)] + [self.arg(t, env) for t in s.params]))
        if voidret:
            return [e + ";"]
        return ["v = rnd_step(v, %s);" % self.val(s.ret, e)]

    def s_swtail(self, unit, env, depth):
        """A switch whose cases tail-call keys of one signature."""
        r = self.r
        ks = [k for k in self.visible_keys(unit) if not k.nullable and k.sig.ret != "void"]
        k = self.pick(ks)
        s = k.sig
        same = [k2 for k2 in ks if k2.sig is s]
        h = self.new_helper()
        names, decl = self.helper_params(s)
        decl = "uint32_t sel" + (", " + decl if decl else "")
        m = r.randint(2, 5)
        lines = ["\tswitch (sel %% %du) {" % m]
        for i in range(m):
            lines.append("\tcase %d:" % i if i < m - 1 else "\tdefault:")
            if r.random() < 0.8:
                k2 = self.pick(same)
                self.note_called(unit, k2)
                lines.append("\t\treturn %s;" % self.call(k2, self.pass_args(s, names, env)))
            else:
                lines.append("\t\treturn %s;" % self.alt_value(s.ret, "sel"))
        lines.append("\t}")
        self.helpers[unit].append(["static %s%s %s(%s)" % (
            self.noinline(), CTYPE[s.ret], h, decl), "{"] + lines + ["}"])
        e = "%s(%s)" % (h, ", ".join([self.sel(env)] + [self.arg(t, env) for t in s.params]))
        return ["v = rnd_step(v, %s);" % self.val(s.ret, e)]

    def s_rech(self, unit, env, depth):
        """A self-recursive helper that calls through keys on the way."""
        h = self.new_helper()
        inner = self.stmts(unit, {"x", "v"}, self.r.randint(1, 2), 2)
        lines = ["\tif (n == 0)", "\t\treturn v;"] + ["\t" + l for l in inner] + \
            ["\treturn %s(n - 1u, v, x + 1u);" % h]
        self.helpers[unit].append(["static %suint64_t %s(uint32_t n, uint64_t v, uint32_t x)" % (
            self.noinline(), h), "{"] + lines + ["}"])
        return ["v = %s(%s & 3u, v, %s);" % (h, self.opaque(), self.arg("u32", env))]

    def s_inline(self, unit, env, depth):
        name = self.pick(self.hfuncs)[0]
        return ["v = %s(v, %s);" % (name, self.arg("u32", env))]

    def s_upd(self, unit, env, depth):
        """An update between two calls through the same key."""
        ks = [k for k in self.visible_keys(unit) if k.kind != "nonkey"
              and self.update_targets(k, unit)]
        if not ks:
            return self.s_plain(unit, env, depth)
        k = self.pick(ks)
        return self.stmt_call(unit, env, k) + self.update_op(unit, k) + \
            self.stmt_call(unit, env, k)

    # -- updates -----------------------------------------------------------
    def update_targets(self, k, unit):
        ts = [t.name for t in self.targets_for(k.sig, unit)]
        if k.nullable:
            ts.append("NULL")
        if k.sig.ret0able and k.kind != "nonkey":
            ts.append("scall_return0")
        return ts

    def update_op(self, unit, k=None):
        r = self.r
        ks = [k2 for k2 in self.visible_keys(unit) if k2.kind != "nonkey"
              and self.update_targets(k2, unit)]
        k = k or self.pick(ks)
        ts = self.update_targets(k, unit)
        t = self.pick(ts)
        c = r.random()
        if not self.stores or c < 0.5:
            c2 = r.random()
            if c2 < 0.6:
                return ["rnd_rc(scall_update(%s, %s));" % (k.expr, t)]
            if c2 < 0.8:  # a batch, one key maybe named twice
                ents = ["SCALL_UPDATE(%s, %s)" % (k.expr, t)]
                for _ in range(r.randint(0, 3)):
                    k2 = self.pick(ks)
                    ents.append("SCALL_UPDATE(%s, %s)" % (k2.expr, self.pick(self.update_targets(k2, unit))))
                if r.random() < 0.3:
                    ents.append("SCALL_UPDATE(%s, %s)" % (k.expr, self.pick(ts)))
                r.shuffle(ents)
                return ["{", "\tstruct scall_update u[] = {"] + \
                    ["\t\t%s," % e for e in ents] + \
                    ["\t};", "\trnd_rc(scall_update_batch(u, %d));" % len(ents), "}"]
            same = [k2 for k2 in ks if k2.sig is k.sig and (k.nullable or not k2.nullable)]
            k2 = self.pick(same)
            return ["rnd_rc(scall_update(%s, scall_query(%s)));" % (k.expr, k2.expr)]
        # converted stores
        tv = {"scall_return0": "(%s *)(void (*)(void))scall_return0" % k.sig.fn,
              "NULL": "(%s *)0" % k.sig.fn}.get(t, t)
        c2 = r.random()
        if c2 < 0.35:
            return ["%s = %s;" % (k.expr, tv)]
        if c2 < 0.5:
            same = [k2 for k2 in ks if k2.sig is k.sig and (k.nullable or not k2.nullable)
                    and k2.expr != k.expr]
            if not same:
                return ["%s = %s;" % (k.expr, tv)]
            return ["%s = %s;" % (k.expr, self.pick(same).expr)]
        if c2 < 0.62:
            return ["__atomic_store_n(&%s, %s, __ATOMIC_%s);" % (
                k.expr, tv, self.pick(("RELEASE", "SEQ_CST", "RELAXED")))]
        if c2 < 0.7:
            return ["{", "\t%s *f = %s;" % (k.sig.fn, tv),
                    "\t__atomic_store(&%s, &f, __ATOMIC_SEQ_CST);" % k.expr, "}"]
        if c2 < 0.78:  # a store in a loop (the plugins warn; silenced)
            t2 = self.pick(ts)
            t2 = {"scall_return0": "(%s *)(void (*)(void))scall_return0" % k.sig.fn,
                  "NULL": "(%s *)0" % k.sig.fn}.get(t2, t2)
            return ["for (uint32_t i = 0; i < 2u; i++)",
                    "\t%s = i ? %s : %s;" % (k.expr, tv, t2)]
        # whole struct key: copy, memcpy, memset then copy, a nested member
        vars_ = [(v, u) for v, u, st in self.svars if u == unit or not st]
        var, _ = self.pick(vars_)
        self.alt_needed[unit] = True
        j = r.randrange(2)
        c3 = r.random()
        subs = [f for f in self.root.fields if f[0] == "struct" and
                any(m.path.startswith("." + f[1] + ".") and m.kind == "member"
                    for m in self.smembers[var])]
        if c3 < 0.35:
            return ["%s = rnd_alt[%d];" % (var, j)]
        if c3 < 0.55:
            return ["memcpy(&%s, &rnd_alt[%d], sizeof %s);" % (var, j, var)]
        if c3 < 0.75 or not subs:
            return ["memset(&%s, 0, sizeof %s);" % (var, var),
                    "%s = rnd_alt[%d];" % (var, j)]
        f = self.pick(subs)
        return ["%s.%s = rnd_alt[%d].%s;" % (var, f[1], j, f[1])]

    # -- emission ----------------------------------------------------------
    def fn_def(self, t):
        s = t.sig
        names = ["a%d" % i for i in range(len(s.params))]
        lines = ["%s%s" % ("static " if t.static else "", s.proto(t.name, names)), "{"]
        lines.append("\tuint64_t acc = %sull;" % self.c32()[:-1])
        for tp, n in zip(s.params, names):
            lines.append("\tacc = rnd_step(acc, %s);" % self.val(tp, n))
        if s.variadic is not None:
            lines += ["\tva_list ap;", "\tva_start(ap, n);", "\tacc = rnd_step(acc, n);"]
            for i, tp in enumerate(s.variadic):
                lines.append("\tif (n > %du)" % i)
                lines.append("\t\tacc = rnd_step(acc, %s);" % self.val(
                    tp, "va_arg(ap, %s)" % CTYPE[tp]))
            lines.append("\tva_end(ap);")
        lines.append("\trnd_mix(acc);")
        if s.rec:
            krec = [k for k in self.keys if k.sig.rec and t.unit in k.units]
            k = self.pick(krec)
            lines.append("\tif (a0 == 0)")
            lines.append("\t\treturn (uint32_t)(acc ^ a1);")
            e = self.call(k, ["a0 - 1u", "a1 * 3u + acc"])
            if self.r.random() < 0.5:
                lines.append("\treturn %s;" % e)
            else:
                lines.append("\treturn %s * 5u + a0;" % e)
        elif s.ret == "u32":
            lines.append("\treturn (uint32_t)(acc ^ (acc >> 17));")
        elif s.ret == "u64":
            lines.append("\treturn acc ^ (acc >> 23);")
        elif s.ret in ("dbl", "flt"):
            ty, suf = ("double", "") if s.ret == "dbl" else ("float", "f")
            fs = [n for tp, n in zip(s.params, names) if tp == s.ret or
                  (s.ret == "dbl" and tp == "flt")]
            e = "(%s)(acc & 0xffffu) * 0.25%s" % (ty, suf)
            for n in fs:
                e += " + 0.25%s * %s" % (suf, n)
            lines.append("\treturn %s;" % e)
        elif s.ret == "pair":
            lines.append("\treturn rnd_pair_make(acc);")
        elif s.ret == "big":
            lines.append("\treturn rnd_big_make(acc);")
        lines.append("}")
        return lines

    def gen_header_funcs(self):
        r = self.r
        for i in range(r.randint(1, 3)):
            ai = r.random() < 0.6
            name = "rnd_hi%d" % i
            self.pending = []
            body = self.stmts("h", {"x", "v"}, r.randint(1, 3), 1)
            self.hfuncs.append((name, body, ai, list(self.pending)))

    def emit_header(self):
        h = self.out["h"]
        h += ["/* generated by tests/random/gen.py, seed %d */" % self.seed,
              "#ifndef RND_H", "#define RND_H",
              "#include <scall.h>", "#include <stdarg.h>", "#include <stddef.h>",
              "#include <stdint.h>", "#include <stdio.h>", "#include <string.h>",
              '#include "rnd_check.h"', "",
              "struct rnd_pair { uint32_t a, b; };",
              "struct rnd_big { uint64_t a, b, c; uint32_t d; };",
              "extern uint64_t rnd_h;",
              "extern volatile uint32_t rnd_zero;",
              "static inline uint64_t rnd_step(uint64_t v, uint64_t e)",
              "{", "\treturn (v ^ e) * 0x100000001b3ull + 0x9e37u;", "}",
              "static inline void rnd_mix(uint64_t e) { rnd_h = rnd_step(rnd_h, e); }",
              "static inline uint64_t rnd_dbits(double d)",
              "{", "\tuint64_t u;", "\tmemcpy(&u, &d, sizeof u);", "\treturn u;", "}",
              "static inline uint64_t rnd_fbits(float f)",
              "{", "\tuint32_t u;", "\tmemcpy(&u, &f, sizeof u);", "\treturn u;", "}",
              "static inline struct rnd_pair rnd_pair_make(uint64_t v)",
              "{", "\tstruct rnd_pair p = { (uint32_t)v, (uint32_t)(v >> 32) ^ 0x5bd1u };",
              "\treturn p;", "}",
              "static inline uint64_t rnd_pair_sum(struct rnd_pair p)",
              "{", "\treturn ((uint64_t)p.a << 32 | p.b) * 3u;", "}",
              "static inline struct rnd_big rnd_big_make(uint64_t v)",
              "{", "\tstruct rnd_big b = { v, v * 7u, ~v, (uint32_t)(v >> 11) };",
              "\treturn b;", "}",
              "static inline uint64_t rnd_big_sum(struct rnd_big b)",
              "{", "\treturn b.a ^ (b.b << 1) ^ (b.c * 5u) ^ b.d;", "}",
              "static inline void rnd_rc(int rc)",
              "{", "\tif (rc)", '\t\tprintf("rc %d\\n", rc);', "}", ""]
        for s in self.sigs:
            h.append("typedef %s;" % s.proto(s.fn))
        h.append("")
        for s in self.sigs:
            for t in s.targets:
                if not t.static:
                    h.append("%s;" % s.proto(t.name))
        h.append("")
        # struct types, innermost first
        for st in self.structs:  # innermost first
            h.append("struct %s {" % st.name)
            for kind, name, pay in st.fields:
                if kind == "fn":
                    h.append("\t%s *%s;" % (pay.fn, name))
                elif kind == "arr":
                    h.append("\t%s *%s[2];" % (pay.fn, name))
                elif kind == "union":
                    h.append("\tunion { %s *f; uint64_t raw; } %s;" % (pay.fn, name))
                elif kind == "struct":
                    h.append("\tstruct %s %s;" % (pay.name, name))
                elif kind == "pad":
                    h.append("\tuint8_t %s[%d];" % (name, pay))
                else:
                    h.append("\t%s %s;" % ({"u8": "uint8_t", "u32": "uint32_t",
                                            "dbl": "double"}[kind], name))
            h.append("};")
        # the offsets scall-ld names the member keys by
        for m in self.smembers["rnd_ops"]:
            if m.kind == "member":
                h.append("_Static_assert(offsetof(struct %s, %s) == %d, \"layout\");" % (
                    self.root.name, m.path[1:], m.off))
        h.append("")
        for k in self.keys:
            if "h" not in k.units or k.kind in ("member", "nonkey"):
                continue
            if k.kind == "define" and k.decl_with is not None:
                h.append("SCALL_DECLARE(%s, %s);" % (k.expr, k.decl_with.name))
            else:
                h.append("extern %s *%s SCALL_KEY;" % (k.sig.fn, k.expr))
        h.append("extern struct %s rnd_ops SCALL_KEY;" % self.root.name)
        h.append("")
        for u in "abm":
            h.append("void rnd_run_%s(uint32_t p, uint32_t x);" % u)
            h.append("void rnd_update_%s(uint32_t p);" % u)
            h.append("void rnd_show_%s(uint32_t p);" % u)
        h.append("")
        for name, body, ai, _ in self.hfuncs:
            attr = "__attribute__((always_inline)) " if ai else ""
            h.append("static inline %suint64_t %s(uint64_t v, uint32_t x)" % (attr, name))
            h.append("{")
            h += ["\t" + l for l in body]
            h.append("\treturn v;")
            h.append("}")
        h += ["", "#endif"]

    def emit_unit(self, u):
        r = self.r
        c = self.out[u]
        c += ["/* generated by tests/random/gen.py, seed %d */" % self.seed,
              '#include "rnd.h"', ""]
        if u == "a":
            c.append("uint64_t rnd_h = %sull;" % self.c32()[:-1])
            c.append("volatile uint32_t rnd_zero;")
        # prototypes of this unit's static targets (keys may name them)
        for s in self.sigs:
            for t in s.targets:
                if t.unit == u and t.static:
                    c.append("static %s;" % s.proto(t.name))
        c.append("")
        for k in self.keys:
            if k.kind in ("member", "nonkey") or k.defunit != u:
                continue
            if k.kind == "static":
                init = " = %s" % k.init.name if k.init else ""
                c.append("static %s *%s SCALL_KEY%s;" % (k.sig.fn, k.expr, init))
            elif k.kind == "define":
                c.append("SCALL_DEFINE(%s, %s);" % (k.expr, k.init.name))
            elif k.kind == "global":
                c.append("%s *%s SCALL_KEY = %s;" % (k.sig.fn, k.expr, k.init.name))
            elif k.kind == "ret0":
                c.append("SCALL_DEFINE_RET0(%s, %s);" % (k.expr, k.sig.targets[0].name))
            elif k.kind == "null":
                c.append("SCALL_DEFINE_NULL(%s, %s);" % (k.expr, k.sig.targets[0].name))
        for var, unit, static in self.svars:
            if unit == u:
                c.append("%sstruct %s %s SCALL_KEY = %s;" % (
                    "static " if static else "", self.root.name, var,
                    self.struct_init(self.root, u, var)))
        c.append("")
        # targets
        for s in self.sigs:
            for t in s.targets:
                if t.unit == u:
                    c += self.fn_def(t)
                    c.append("")
        # drivers (their helpers are emitted first, below)
        drivers = []
        nd = {"a": r.randint(3, 6), "b": r.randint(2, 4), "m": r.randint(1, 3)}[u]
        for i in range(nd):
            self.pending = []
            body = self.stmts(u, {"x", "v"}, r.randint(2, 5))
            for uu, k in self.pending:
                if uu == u:
                    self.called[u].add(k.jname)
            drivers.append(("rnd_%s_d%d" % (u, i), body))
        # header functions called here reach their keys from this unit
        used = set()
        for _, body in drivers:
            for line in body:
                for name, _, _, _ in self.hfuncs:
                    if name + "(" in line:
                        used.add(name)
        for hl in self.helpers[u]:
            for line in hl:
                for name, _, _, _ in self.hfuncs:
                    if name + "(" in line:
                        used.add(name)
        for name, _, _, pend in self.hfuncs:
            if name in used:
                for uu, k in pend:
                    if uu == u:
                        self.called[u].add(k.jname)
        early = late = None
        if u == "b":
            # before the module is registered (constructor 101 runs before
            # the default-priority one that registers it), and at exit
            self.pending = []
            early = self.stmts(u, {"x", "v"}, r.randint(1, 2)) + \
                self.update_op(u) + self.stmts(u, {"x", "v"}, 1)
            late = self.stmts(u, {"x", "v"}, r.randint(1, 2))
            for uu, k in self.pending:
                if uu == u:
                    self.called[u].add(k.jname)
        upd = {p: [] for p in range(NPHASES)}
        for p in range(NPHASES):
            for _ in range(r.randint(0, 3 if u != "m" else 1)):
                upd[p] += self.update_op(u)
        if self.alt_needed[u]:
            c.append("static const struct %s rnd_alt[2] = {" % self.root.name)
            for j in range(2):
                c.append("\t%s," % self.struct_init(self.root, u, "rnd_ops", alt=True))
            c.append("};")
            c.append("")
        for hl in self.helpers[u]:
            c += hl
            c.append("")
        for name, body in drivers:
            # a global one in a shared object is preemptible: the Clang pass
            # then calls it through an alias of a local body
            c.append("%s%svoid %s(uint32_t x)" % (
                "static " if r.random() < 0.7 else "", self.noinline(), name))
            c.append("{")
            c.append("\tuint64_t v = x * 0x9e3779b9ull;")
            c += ["\t" + l for l in body]
            c.append("\trnd_mix(v);")
            c.append("}")
            c.append("")
        if early:
            c.append("__attribute__((constructor(101))) static void rnd_early(void)")
            # x from rnd_h, not a constant: a constant would fold away
            # branches, and with them calls that meta.json lists
            c += ["{", "\tuint32_t x = (uint32_t)rnd_h ^ 0x%xu;" % r.getrandbits(32),
                  "\tuint64_t v = x * 0x9e3779b9ull;"]
            c += ["\t" + l for l in early]
            c += ["\trnd_mix(v);", "}", ""]
            c.append("__attribute__((destructor)) static void rnd_late(void)")
            c += ["{", "\tuint32_t x = (uint32_t)rnd_h;",
                  "\tuint64_t v = x * 0x9e3779b9ull;"]
            c += ["\t" + l for l in late]
            c += ["\trnd_mix(v);",
                  '\tprintf("late %016llx\\n", (unsigned long long)rnd_h);', "}", ""]
        c.append("void rnd_run_%s(uint32_t p, uint32_t x)" % u)
        c.append("{")
        for name, _ in drivers:
            c.append("\t%s(x ^ (uint32_t)rnd_h);" % name)
            c.append('\tprintf("p%%u %s %%016llx\\n", p, (unsigned long long)rnd_h);' % name)
        c.append("}")
        c.append("")
        c.append("void rnd_update_%s(uint32_t p)" % u)
        c.append("{")
        c.append("\tswitch (p) {")
        for p in range(NPHASES):
            if upd[p]:
                c.append("\tcase %d:" % p)
                c += ["\t\t" + l for l in upd[p]]
                c.append("\t\tbreak;")
        c.append("\tdefault:")
        c.append("\t\tbreak;")
        c.append("\t}")
        c.append("}")
        c.append("")
        # which target each key holds (index in its signature's list)
        for s in self.sigs:
            c.append("static __attribute__((unused)) int rnd_idx%d(%s *f)" % (s.idx, s.fn))
            c.append("{")
            c.append("\tif (!f)")
            c.append("\t\treturn -1;")
            c.append("\tif (f == (%s *)(void (*)(void))scall_return0)" % s.fn)
            c.append("\t\treturn -2;")
            for t in self.targets_for(s, u):
                c.append("\tif (f == %s)" % t.name)
                c.append("\t\treturn %d;" % t.idx)
            c.append("\treturn -3;")
            c.append("}")
        c.append("")
        c.append("void rnd_show_%s(uint32_t p)" % u)
        c.append("{")
        for k in self.keys:
            if k.defunit == u and (k.kind != "static" or k.units == [u]):
                c.append('\tprintf("p%%u %s=%%d\\n", p, rnd_idx%d(scall_query(%s)));' % (
                    k.expr.replace("%", "%%"), k.sig.idx, k.expr))
        c.append('\tRND_CHECK("%s", p);' % u)
        c.append("}")

    def emit_main(self):
        c = self.out["m"]
        c += ["",
              "int main(void)",
              "{",
              '\tRND_CHECK("start", 0);',
              "\tfor (uint32_t p = 0; p < %du; p++) {" % NPHASES,
              "\t\tuint32_t x = (uint32_t)(rnd_h >> 7) ^ (p * 0x9e3779b9u);",
              "\t\trnd_run_a(p, x);",
              "\t\trnd_run_b(p, x);",
              "\t\trnd_run_m(p, x);",
              "\t\trnd_update_a(p);",
              "\t\trnd_update_b(p);",
              "\t\trnd_update_m(p);",
              "\t\trnd_show_a(p);",
              "\t\trnd_show_b(p);",
              "\t\trnd_show_m(p);",
              "\t}",
              '\tprintf("end %016llx\\n", (unsigned long long)rnd_h);',
              "\treturn 0;",
              "}"]

    def generate(self):
        self.make_sigs()
        self.make_targets()
        self.make_keys()
        self.make_struct_keys()
        self.gen_header_funcs()
        for u in "abm":
            self.emit_unit(u)
        self.emit_main()
        self.emit_header()


def write(seed, outdir):
    g = Gen(seed)
    g.generate()
    os.makedirs(outdir, exist_ok=True)
    files = {"h": "rnd.h", "a": "rnd_a.c", "b": "rnd_b.c", "m": "rnd_main.c"}
    for u, name in files.items():
        with open(os.path.join(outdir, name), "w") as f:
            f.write("\n".join(g.out[u]) + "\n")
    meta = {"seed": seed, "stores": g.stores,
            "units": {"a": "rnd_a.c", "b": "rnd_b.c", "m": "rnd_main.c"},
            "called": {u: sorted(g.called[u]) for u in "abm"}}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(int(sys.argv[1]), sys.argv[2])
