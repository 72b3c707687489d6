#!/usr/bin/env python3
"""gen.py N OUT.S [kind4] - a module with N call sites over 100 keys,
records emitted in shuffled order (so scall-ld has to sort them); with
kind4, Clang-pass style records (site = the function) to resolve."""
import random, sys

n, out = int(sys.argv[1]), sys.argv[2]
kind4 = sys.argv[3:4] == ['kind4']
keys, per_fn = 100, 10
rnd = random.Random(1)
with open(out, 'w') as f:
    w = f.write
    w('#include "scall_asm.h"\n\t.data\n\t.balign 8\n')
    for k in range(keys):
        w('\t.globl key%d\nkey%d:\t.quad target\n' % (k, k))
    w('\t.text\n\t.globl target\n\t.type target,@function\n'
      'target:\txorl %eax, %eax\n\tret\n\t.size target, .-target\n')
    for k in range(keys):
        w('\tSCALL_TRAMP key%d\n' % k)
    recs = []
    for i in range(0, n, per_fn):
        w('\t.text\n\t.globl f%d\n\t.type f%d,@function\nf%d:\n.Lf%d:\tpushq %%rbx\n'
          % (i, i, i, i))
        for j in range(i, min(n, i + per_fn)):
            k = rnd.randrange(keys)
            w('.Ls%d:\tcall __scall_tramp_key%d\n' % (j, k))
            recs.append(('.Lf%d' % i if kind4 else '.Ls%d' % j, k))
        w('\tpopq %%rbx\n\tret\n\t.size f%d, .-f%d\n' % (i, i))
    rnd.shuffle(recs)
    for j, k in recs:
        w('\tSCALL_RECORD %s, __scall_tramp_key%d, %d\n' % (j, k, 4 if kind4 else 1))
    w('\t.globl main\n\t.type main,@function\nmain:\n\tpushq %rbx\n')
    w('\tcall f0\n\txorl %eax, %eax\n\tpopq %rbx\n\tret\n\t.size main, .-main\n')
    w('\tSCALL_MODULE\n\t.section .note.GNU-stack,"",@progbits\n')
