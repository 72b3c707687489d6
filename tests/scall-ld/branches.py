#!/usr/bin/env python3
"""scall-ld on branch records (section scall_branches), beyond what
ldtest.py's `case` checks.  Works on copies; fixtures are never modified.

  branches.py json    SCALL_LD FILE   --json of branch_fixture.S (no CASE_):
                                      counts per key and kind, forms, states
  branches.py refused SCALL_LD FILE   --json of a fixture with one refused
                                      record: exit 1, counted, named
  branches.py bad     SCALL_LD FILE   corrupt branch sections and header
                                      bounds: exit 3, one line, input unchanged
"""
import json, os, struct, subprocess, sys, tempfile

FAIL = []


def fail(msg):
    FAIL.append(msg)
    print('FAIL: ' + msg)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, errors='replace')
    return p.returncode, p.stdout, p.stderr


def sections(data):
    """name -> (type, flags, addr, offset, size, header offset)."""
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shnum, shstrndx = struct.unpack_from('<HH', data, 0x3c)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * 64)
            for i in range(shnum)]
    stro = hdrs[shstrndx][4]
    out = {}
    for i, h in enumerate(hdrs):
        end = data.index(b'\0', stro + h[0])
        out[data[stro + h[0]:end].decode()] = h[1:2] + h[2:3] + h[3:6] + \
            (shoff + i * 64,)
    return out


def counts(c):
    return (c['records'], c['unlikely'], c['likely'], c['dead'], c['refused'])


def json_good(ld, src):
    rc, out, err = run([ld, '--check', '--json', src])
    j = json.loads(out)
    if rc or not j['valid'] or err:
        fail('exit %d, valid %r, stderr %r' % (rc, j['valid'], err))
    if j['header_flags'] != 0xf:
        fail('header_flags %#x, want 0xf (BRANCHES kept, VALIDATED, SORTED, '
             'PREBOUND)' % j['header_flags'])
    if counts(j['branch_counts']) != (6, 3, 2, 1, 0):
        fail('branch_counts %r' % j['branch_counts'])
    keys = {k['key']: k for k in j['branch_keys']}
    want = {'key_on': (2, 1, 1, 0, 0), 'key_off': (3, 2, 1, 0, 0),
            None: (1, 0, 0, 1, 0)}
    if set(keys) != set(want):
        fail('keys %r, want %r' % (sorted(keys, key=str), sorted(want, key=str)))
    forms = {}
    for name, k in keys.items():
        if name in want and counts(k['counts']) != want[name]:
            fail('key %s: counts %r, want %r' % (name, k['counts'], want[name]))
        if len(k['branches']) != k['counts']['records']:
            fail('key %s: %d branches listed, %d counted' %
                 (name, len(k['branches']), k['counts']['records']))
        if k['another_module']:
            fail('key %s said to be another module\'s' % name)
        init = {'key_on': 'enabled', 'key_off': 'disabled', None: None}
        if name in init and k['initial'] != init[name]:
            fail('key %s: initial %r, want %r' % (name, k['initial'], init[name]))
        for b in k['branches']:
            forms[b['where']] = (b['kind'], b['form'], b['target_where'],
                                 b['state'])
    want_forms = {
        'f_br+0x1': ('unlikely', 'nop', 'f_br+0x23', 'ok'),
        'f_br+0x6': ('unlikely', 'jmp', 'f_br+0xb', 'ok'),
        'f_br+0xb': ('likely', 'jmp', 'f_br+0x10', 'ok'),
        'f_br+0x10': ('likely', 'nop', 'f_br+0x23', 'ok'),
        'f_br+0x1a': ('unlikely', 'nop', 'f_br.cold+0x0', 'ok'),
        'f_br+0x0': ('none', '-', 'f_br+0x0', 'dead'),
    }
    if forms != want_forms:
        fail('branches %r, want %r' % (forms, want_forms))
    print(json.dumps(j['branch_keys'])[:400])


def json_refused(ld, src):
    rc, out, err = run([ld, '--check', '--json', src])
    j = json.loads(out)
    if rc != 1 or j['valid']:
        fail('exit %d, valid %r: want 1, false' % (rc, j['valid']))
    if j['branch_counts']['refused'] != 1:
        fail('branch_counts %r: want 1 refused' % j['branch_counts'])
    refused = [b for k in j['branch_keys'] for b in k['branches']
               if b['state'] == 'refused']
    if len(refused) != 1:
        fail('refused records listed: %r' % refused)
    elif not any('branch record %d ' % refused[0]['record'] in d
                 for d in j['diagnostics']):
        fail('no diagnostic names the refused record: %r' % j['diagnostics'])
    print(j['diagnostics'])


def patched(data, off, fmt, val):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, val)
    return bytes(b)


def bad(ld, src):
    data = open(src, 'rb').read()
    secs = sections(data)
    br, m = secs['scall_branches'], secs['scall_module']
    h = br[5]
    corpus = {
        'branches-size-25': patched(data, h + 32, '<Q', 25),
        'branches-size-16': patched(data, h + 32, '<Q', 16),
        'branches-nobits': patched(data, h + 4, '<I', 8),
        'branches-addr-4': patched(data, h + 16, '<Q', br[2] + 4),
        'branches-off-outside': patched(data, h + 24, '<Q', len(data) + 4096),
        'module-branches-start': patched(data, m[3] + 48, '<Q', br[2] + 24),
        'module-branches-stop': patched(data, m[3] + 56, '<Q', br[2]),
        'module-branches-no-size': patched(data, m[3] + 12, '<I', 48),
    }
    # the same defects with header bounds that agree, so that only the
    # section's own checks can refuse them
    hb = m[3] + 48
    corpus['branches-size-25-bounds'] = patched(
        patched(data, h + 32, '<Q', 25), hb + 8, '<Q', br[2] + 25)
    corpus['branches-addr-4-bounds'] = patched(patched(patched(
        data, h + 16, '<Q', br[2] + 4), hb, '<Q', br[2] + 4), hb + 8, '<Q',
        br[2] + 4 + br[4])
    with tempfile.TemporaryDirectory() as d:
        for name, blob in sorted(corpus.items()):
            f = os.path.join(d, name)
            with open(f, 'wb') as o:
                o.write(blob)
            rc, out, err = run([ld, f])
            lines = err.splitlines()
            print('%-26s exit %d: %s' % (name, rc, err.strip()))
            if rc != 3:
                fail('%s: exit %d, want 3' % (name, rc))
            if len(lines) != 1 or not lines[0].startswith(f + ': '):
                fail('%s: want one line naming the file, got %r' % (name, err))
            if open(f, 'rb').read() != blob:
                fail('%s: input changed' % name)


def main():
    cmd, ld, src = sys.argv[1:4]
    {'json': json_good, 'refused': json_refused, 'bad': bad}[cmd](ld, src)
    sys.exit(1 if FAIL else 0)


main()
