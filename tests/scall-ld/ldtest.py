#!/usr/bin/env python3
"""scall-ld test driver.  Every command works on copies in a temporary
directory; fixtures in the build tree are never modified.

  ldtest.py case   SCALL_LD FILE RC REGEX [--run] [-- ARGS...]
                   (REGEX '' means no output at all, on stdout or stderr)
  ldtest.py bad    SCALL_LD FILE          bad-input corpus derived from FILE
  ldtest.py strip  SCALL_LD FILE          strip / only-keep-debug workflows
  ldtest.py elflint SCALL_LD FILE         eu-elflint --gnu not worse after
  ldtest.py output SCALL_LD FILE          -o, --check, symlink, mode, owner
  ldtest.py json   SCALL_LD FILE          --json parses and agrees
  ldtest.py usage  SCALL_LD FILE          exit code 2 cases
"""
import hashlib, json, os, re, shutil, stat, struct, subprocess, sys, tempfile

FAIL = []


def fail(msg):
    FAIL.append(msg)
    print('FAIL: ' + msg)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True,
                       errors='replace', **kw)
    return p.returncode, p.stdout, p.stderr


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def sections(data):
    """name -> (type, flags, addr, offset, size) of an ELF64 LE file."""
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * 64)
            for i in range(shnum)]
    stro = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        end = data.index(b'\0', stro + h[0])
        out[data[stro + h[0]:end].decode()] = (h[1], h[2], h[3], h[4], h[5],
                                                 hdrs.index(h))
    return out, shoff


def file_bytes(data, secs, addr, n):
    """n bytes at address addr of an allocated section with contents."""
    for t, fl, a, off, size, _ in secs.values():
        if fl & 2 and t != 8 and a <= addr and addr + n <= a + size:
            return data[off + addr - a:off + addr - a + n]
    fail('address %#x not in the file' % addr)
    return b'\0' * n


def rel32_to(at, end, target):
    return struct.pack('<i', target - end) if -2**31 <= target - end < 2**31 else None


def check_bound(path, data, secs):
    """Every trampoline record's bound state (docs/format.md, "Pre-bound
    trampolines") against its window and its sites, by this file's own
    reading of the state table; returns whether any record is bound."""
    t, s = secs.get('scall_tramps'), secs.get('scall_sites')
    if not t:
        return False
    sites = []
    for i in range(s[4] // 12 if s else 0):
        a = s[2] + 12 * i
        site, tramp, info = struct.unpack_from('<iiI', data, s[3] + 12 * i)
        sites.append((a + site, a + 4 + tramp, info & 0xff))
    any_bound = False
    for i in range(t[4] // 16):
        a = t[2] + 16 * i
        key, rel, flags = struct.unpack_from('<QiI', data, t[3] + 16 * i)
        tramp, bound, cond = a + 8 + rel, flags & 0xc, flags & 1
        win = file_bytes(data, secs, tramp, 5)
        if not bound:
            if flags & 0xffff0010:
                fail('%s: unbound trampoline %#x has saved bytes %#x' % (path, tramp, flags))
            if win[0] != 0x4c:
                fail('%s: unbound trampoline %#x window %s' % (path, tramp, win.hex()))
        any_bound |= bool(bound)
        target = None
        if bound == 4:
            if win[0] != 0xe9:
                fail('%s: trampoline %#x bound to a function, window %s' % (path, tramp, win.hex()))
            target = tramp + 5 + struct.unpack('<i', win[1:])[0]
        elif bound == 8 and cond:
            if win[0] != 0xc3:
                fail('%s: cond trampoline %#x bound to NULL, window %s' % (path, tramp, win.hex()))
        elif bound in (8, 12) and win[0] != 0x4c:
            fail('%s: trampoline %#x bound %#x, window %s' % (path, tramp, bound, win.hex()))
        for site, tr, kind in sites:
            if tr != tramp or kind not in (1, 2, 3):
                continue
            n = 6 if kind == 3 else 5
            got = file_bytes(data, secs, site, n)
            op = {1: b'\xe8', 2: b'\xe9', 3: got[:2]}[kind]
            to_tramp = op + rel32_to(site, site + n, tramp)
            if bound == 4:
                r = rel32_to(site, site + n, target)
                want = op + r if r is not None else to_tramp
            elif bound == 8 and cond and kind == 1:
                want = bytes([0x0f, 0x1f, 0x44, 0x00, 0x00])
            elif bound == 8 and cond and kind == 2:
                want = None  # never bound: ret + stray bytes
            elif bound == 12:
                want = bytes([0x2e, 0x2e, 0x2e, 0x31, 0xc0]) if kind == 1 else None
            else:
                want = to_tramp
            if kind == 3 and got[0] != 0x0f:
                want = None
            if want != got:
                fail('%s: site %#x of trampoline %#x (bound %#x): %s, want %s' %
                     (path, site, tramp, bound, got.hex(), want.hex() if want else 'none'))
    return any_bound


def check_table(path):
    """The header says VALIDATED|SORTED, nsites = records, sites sorted,
    PREBOUND exactly when a trampoline record is bound, and every bound
    record's window and sites hold its bound state."""
    data = open(path, 'rb').read()
    secs, _ = sections(data)
    if 'scall_module' not in secs:
        return
    m = secs['scall_module']
    magic, ver, flags, nsites = struct.unpack_from('<IHHI', data, m[3])
    s = secs.get('scall_sites')
    n = s[4] // 12 if s else 0
    bound = check_bound(path, data, secs)
    want_flags = 7 if bound else 3
    # SCALL_MODULE_BRANCHES (8), set as emitted in a header with the
    # branch bounds (size 64 or more; 0 and 48 are the older header).
    hsize, = struct.unpack_from('<I', data, m[3] + 12)
    if hsize >= 64:
        want_flags |= 8
    if flags != want_flags or nsites != n:
        fail('%s: header flags %#x nsites %d, want %#x and %d' %
             (path, flags, nsites, want_flags, n))
    size, = struct.unpack_from('<I', data, m[3] + 12)
    if (size or 48) != m[4]:
        fail('%s: header size field %d in a %d-byte section' % (path, size, m[4]))
    prev = None
    for i in range(n):
        site, tramp, info = struct.unpack_from('<iiI', data, s[3] + 12 * i)
        a = s[2] + 12 * i + site
        if info & 0xff == 4:
            fail('%s: record %d still kind 4' % (path, i))
        if prev is not None and a < prev:
            fail('%s: record %d not sorted' % (path, i))
        prev = a


def case(ld, src, rc_want, regex, rest):
    runit = '--run' in rest
    rest = [a for a in rest if a != '--run']
    args = rest[rest.index('--') + 1:] if '--' in rest else []
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, os.path.basename(src))
        shutil.copy2(src, f)
        before = digest(f)
        rc, out, err = run([ld] + args + [f])
        sys.stdout.write(out + err)
        if rc != int(rc_want):
            fail('exit %d, want %s' % (rc, rc_want))
        if regex == '':
            # a clean run prints nothing: any note or warning is a finding
            if out + err:
                fail('output %r, want none' % (out + err))
        elif not re.search(regex, out + err, re.M):
            fail('output does not match %r' % regex)
        for line in err.splitlines():
            if not line.startswith(f + ': '):
                fail('diagnostic does not start with the file name: ' + line)
        written = rc == 0 and '--check' not in args
        if not written and digest(f) != before:
            fail('input changed although nothing may be written')
        if written:
            check_table(f)
            once = digest(f)
            rc2, out2, err2 = run([ld] + args + [f])
            if rc2 != rc or digest(f) != once:
                fail('second run not idempotent (exit %d)' % rc2)
            if runit:
                r = subprocess.run([f])
                if r.returncode:
                    fail('rewritten program exits %d' % r.returncode)


def patched(data, off, fmt, val):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, val)
    return bytes(b)


def bad(ld, src):
    data = open(src, 'rb').read()
    secs, shoff = sections(data)
    corpus = {'empty': b'', 'text': b'hello, world\n' * 20,
              'elf-magic-only': data[:4], 'ident-only': data[:16],
              'class32': patched(data, 4, 'B', 1),
              'bigendian': patched(data, 5, 'B', 2),
              'classnone': patched(data, 4, 'B', 0),
              'machine-aarch64': patched(data, 0x12, '<H', 183),
              'machine-i386': patched(data, 0x12, '<H', 3),
              'type-rel': patched(data, 0x10, '<H', 1),
              'shoff-huge': patched(data, 0x28, '<Q', 1 << 62),
              'shoff-past-end': patched(data, 0x28, '<Q', len(data) - 10),
              'shnum-huge': patched(data, 0x3c, '<H', 0xffff),
              'shentsize': patched(data, 0x3a, '<H', 40),
              'shstrndx': patched(data, 0x3e, '<H', 0xfff0),
              'no-shdrs': patched(data, 0x28, '<Q', 0)}
    # truncated at many points
    for cut in sorted(set([1, 8, 17, 40, 63, 64, 65, 200, 1000] +
                          [len(data) * k // 23 for k in range(1, 23)] +
                          list(range(64, len(data), 61)) +
                          [shoff + 1, len(data) - 64, len(data) - 1])):
        corpus['trunc-%d' % cut] = data[:cut]

    def sec_hdr(name):
        return shoff + secs[name][5] * 64

    for name in ('scall_sites', 'scall_tramps', 'scall_module', '.text',
                 '.symtab', '.shstrtab', '.comment'):
        if name not in secs:
            continue
        h = sec_hdr(name)
        corpus['off-outside-' + name] = patched(data, h + 24, '<Q', len(data) + 4096)
        corpus['size-outside-' + name] = patched(data, h + 32, '<Q', 1 << 40)
        corpus['size-wrap-' + name] = patched(data, h + 32, '<Q', (1 << 64) - 8)
        corpus['name-outside-' + name] = patched(data, h, '<I', 0x7fffffff)
    corpus['sites-size-13'] = patched(data, sec_hdr('scall_sites') + 32, '<Q', 13)
    corpus['tramps-size-20'] = patched(data, sec_hdr('scall_tramps') + 32, '<Q', 20)
    corpus['module-size-40'] = patched(data, sec_hdr('scall_module') + 32, '<Q', 40)
    corpus['module-magic'] = patched(data, secs['scall_module'][3], '<I', 0xdeadbeef)
    corpus['module-version'] = patched(data, secs['scall_module'][3] + 4, '<H', 9)
    corpus['module-flags'] = patched(data, secs['scall_module'][3] + 6, '<H', 0x80)
    corpus['module-hdr-size-40'] = patched(data, secs['scall_module'][3] + 12, '<I', 40)
    corpus['module-hdr-size-52'] = patched(data, secs['scall_module'][3] + 12, '<I', 52)
    corpus['module-hdr-size-56'] = patched(data, secs['scall_module'][3] + 12, '<I', 56)
    corpus['sites-nobits'] = patched(data, sec_hdr('scall_sites') + 4, '<I', 8)
    corpus['symtab-entsize'] = patched(data, sec_hdr('.symtab') + 56, '<Q', 7)
    corpus['symtab-link'] = patched(data, sec_hdr('.symtab') + 40, '<I', 0)
    seen = 0
    with tempfile.TemporaryDirectory() as d:
        for name, blob in sorted(corpus.items()):
            f = os.path.join(d, name)
            with open(f, 'wb') as o:
                o.write(blob)
            rc, out, err = run([ld, f])
            lines = err.splitlines()
            print('%-28s exit %d: %s' % (name, rc, err.strip()))
            if rc != 3:
                fail('%s: exit %d, want 3' % (name, rc))
            if len(lines) != 1 or not lines[0].startswith(f + ': '):
                fail('%s: want one line naming the file, got %r' % (name, err))
            if open(f, 'rb').read() != blob:
                fail('%s: input changed' % name)
            seen += 1
    print('%d bad inputs' % seen)


def strip_flows(ld, src):
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, 'a'), os.path.join(d, 'b')
        # order 1: scall-ld, then split debug info and strip
        shutil.copy2(src, a)
        if run([ld, a])[0]:
            fail('scall-ld on the unstripped file')
        for cmd in (['objcopy', '--only-keep-debug', a, a + '.debug'],
                    ['strip', '--strip-debug', '--strip-unneeded', a],
                    ['objcopy', '--add-gnu-debuglink=' + a + '.debug', a]):
            if run(cmd, cwd=d)[0]:
                fail('order 1: ' + ' '.join(cmd))
        rc, out, err = run([ld, '--check', a])
        print('after strip, --check:', rc, err.strip())
        if rc:
            fail('order 1: stripped result does not check')
        check_table(a)
        # the debug file has no record data: refused cleanly
        rc, out, err = run([ld, '--check', a + '.debug'])
        print('debug file:', rc, err.strip())
        if rc != 3 or 'NOBITS' not in err:
            fail('debug file: exit %d' % rc)
        # order 2: split and strip first, then scall-ld
        shutil.copy2(src, b)
        for cmd in (['objcopy', '--only-keep-debug', b, b + '.debug'],
                    ['strip', b],
                    ['objcopy', '--add-gnu-debuglink=' + b + '.debug', b]):
            if run(cmd, cwd=d)[0]:
                fail('order 2: ' + ' '.join(cmd))
        rc, out, err = run([ld, b])
        print('stripped first:', rc, err.strip())
        if rc or 'stripped' not in err:
            fail('order 2: exit %d, want 0 and a note' % rc)
        check_table(b)
        rc, out, err = run(['readelf', '--string-dump=.gnu_debuglink', b])
        if os.path.basename(b) + '.debug' not in out:
            fail('order 2: debuglink lost')
        # both orders give the same table
        da, db = open(a, 'rb').read(), open(b, 'rb').read()
        sa, sb = sections(da)[0], sections(db)[0]
        for n in ('scall_sites', 'scall_module'):
            x, y = sa[n], sb[n]
            if da[x[3]:x[3] + x[4]] != db[y[3]:y[3] + y[4]]:
                fail('section %s differs between the two orders' % n)


def elflint_msgs(f):
    rc, out, err = run(['eu-elflint', '--gnu', '-q', f])
    return rc, set(l.replace(f, 'FILE') for l in (out + err).splitlines())


def elflint(ld, src):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, 'x')
        shutil.copy2(src, f)
        rc0, before = elflint_msgs(f)
        if run([ld, f])[0]:
            fail('scall-ld failed')
        rc1, after = elflint_msgs(f)
        print('eu-elflint --gnu before: exit %d, %d messages; after: exit %d, '
              '%d messages' % (rc0, len(before), rc1, len(after)))
        for m in sorted(after - before):
            fail('new eu-elflint message: ' + m)
        if rc1 > rc0:
            fail('eu-elflint exit %d after, %d before' % (rc1, rc0))


def output(ld, src):
    with tempfile.TemporaryDirectory() as d:
        f, o = os.path.join(d, 'in'), os.path.join(d, 'out')
        shutil.copy2(src, f)
        os.chmod(f, 0o751)
        before = digest(f)
        rc, out, err = run([ld, '-o', o, f])
        if rc or digest(f) != before:
            fail('-o: exit %d or input changed' % rc)
        check_table(o)
        if stat.S_IMODE(os.stat(o).st_mode) != 0o751:
            fail('-o: mode not kept')
        rc, out, err = run([ld, '--check', f])
        if rc or digest(f) != before:
            fail('--check wrote or failed')
        # in place through a symlink: the target is rewritten, the link stays
        l = os.path.join(d, 'link')
        os.symlink('in', l)
        os.chown(f, 12345, 54321) if os.geteuid() == 0 else None
        st = os.stat(f)
        rc, out, err = run([ld, l])
        if rc or not os.path.islink(l):
            fail('symlink: exit %d or link replaced' % rc)
        if digest(f) != digest(o):
            fail('in-place and -o results differ')
        st2 = os.stat(f)
        if (st2.st_uid, st2.st_gid, stat.S_IMODE(st2.st_mode)) != \
           (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)):
            fail('owner or mode not kept')
        left = [n for n in os.listdir(d) if 'scall-ld' in n]
        if left:
            fail('temporary files left: %r' % left)
        # unwritable directory: error 3, input unchanged
        if os.geteuid() != 0:
            return
        rc, out, err = run([ld, '-o', '/proc/nonexistent/x', f])
        print('unwritable -o:', rc, err.strip())
        if rc != 3:
            fail('unwritable -o: exit %d' % rc)


def jsontest(ld, src):
    rc, out, err = run([ld, '--check', '--json', src])
    j = json.loads(out)
    if rc or not j['valid'] or not j['keys'] or j['header_flags'] & 3 != 3:
        fail('json: %r' % j)
    for k in j['keys']:
        for s in k['sites']:
            if s['state'] not in ('ok', 'dead'):
                fail('json: site state %r' % s)
    print(json.dumps(j)[:300])


def usage(ld, src):
    for args in ([], ['--bogus', src], [src, src], ['--check', '-o', 'x', src],
                 ['-o']):
        rc, out, err = run([ld] + args)
        if rc != 2:
            fail('%r: exit %d, want 2' % (args, rc))
    for args in (['--help'], ['--version']):
        rc, out, err = run([ld] + args)
        if rc or not out:
            fail('%r: exit %d' % (args, rc))
    rc, out, err = run([ld, '/nonexistent/file'])
    if rc != 3 or 'cannot open' not in err:
        fail('missing file: exit %d' % rc)
    rc, out, err = run([ld, '/'])
    if rc != 3:
        fail('directory: exit %d' % rc)


def prebind(ld, src):
    """Pre-binding and --no-prebind are exact inverses: a pre-bound file
    put back equals the file processed with --no-prebind from the start
    (every compiler byte restored, saved lea/movq bytes included), and
    the pre-bound one still runs and checks clean."""
    with tempfile.TemporaryDirectory() as d:
        a, b, c = (os.path.join(d, x) for x in 'abc')
        for f in (a, c):
            shutil.copy2(src, f)
        if run([ld, a])[0] or run([ld, '--no-prebind', c])[0]:
            fail('scall-ld failed')
        check_table(a)
        check_table(c)
        da, dc = open(a, 'rb').read(), open(c, 'rb').read()
        secs, _ = sections(da)
        # (bit 8, SCALL_MODULE_BRANCHES, is the compiler's: not looked at)
        if struct.unpack_from('<H', da, secs['scall_module'][3] + 6)[0] & 7 != 7:
            fail('nothing pre-bound in %s' % src)
        if struct.unpack_from('<H', dc, secs['scall_module'][3] + 6)[0] & 7 != 3:
            fail('--no-prebind left something bound')
        diff = sum(x != y for x, y in zip(da, dc))
        print('pre-bound file differs from the unbound one in %d bytes' % diff)
        if not diff:
            fail('pre-binding changed nothing')
        shutil.copy2(a, b)
        rc, out, err = run([ld, '--no-prebind', b])
        if rc or open(b, 'rb').read() != dc:
            fail('--no-prebind on the pre-bound file: exit %d, %s' %
                 (rc, 'same as unbound' if open(b, 'rb').read() == dc else 'differs'))
        rc, out, err = run([ld, '--check', a])
        if rc or out or err:
            fail('--check on the pre-bound file: %d %s%s' % (rc, out, err))
        if subprocess.run([a]).returncode:
            fail('pre-bound program fails')


def main():
    cmd, ld, src = sys.argv[1:4]
    if cmd == 'case':
        case(ld, src, sys.argv[4], sys.argv[5], sys.argv[6:])
    else:
        {'bad': bad, 'strip': strip_flows, 'elflint': elflint,
         'output': output, 'json': jsontest, 'usage': usage,
         'prebind': prebind}[cmd](ld, src)
    sys.exit(1 if FAIL else 0)


main()
