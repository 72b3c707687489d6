#!/usr/bin/env python3
"""sites.py SCALL_LD FILE [--records N] KEY:FUNC...

What a program built with the toolchain from a source that calls through
keys must hold after scall-ld ran on it (scall-ld itself accepts a file
without scall sections: a program with no keys is valid, so its exit status
alone cannot tell "validated" from "the compiler emitted nothing"):

  - `scall-ld --check --json FILE`: scall sections, valid, no error and no
    warning, at least one record, every site `ok`;
  - the sites lie exactly in the listed (key, function) pairs: each pair has
    at least one site and no site lies elsewhere (FUNC matches the function
    symbol up to a compiler suffix: use.constprop.0, tail.lto_priv.0);
  - --records N: exactly N records;
  - the file's own module header says VALIDATED|SORTED with nsites equal to
    the records (the JSON reports what scall-ld would write, this is what
    the runtime reads).
"""
import json, re, struct, subprocess, sys


def fail(msg):
    print('sites.py: FAIL: ' + msg)
    sys.exit(1)


def module_header(path):
    """(flags, nsites) of the scall_module header in the ELF64 file."""
    data = open(path, 'rb').read()
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize)
            for i in range(shnum)]
    stro = hdrs[shstrndx][4]
    for h in hdrs:
        end = data.index(b'\0', stro + h[0])
        if data[stro + h[0]:end] == b'scall_module':
            _, _, flags, nsites = struct.unpack_from('<IHHI', data, h[4])
            return flags, nsites
    return None


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        fail('usage: sites.py SCALL_LD FILE [--records N] KEY:FUNC...')
    ld, path, rest = args[0], args[1], args[2:]
    want_records = None
    if rest[0] == '--records':
        want_records, rest = int(rest[1]), rest[2:]
    pairs = set(tuple(p.split(':', 1)) for p in rest)
    if not pairs or any(len(p) != 2 for p in pairs):
        fail('no KEY:FUNC given')
    p = subprocess.run([ld, '--check', '--json', path], capture_output=True,
                       text=True)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        fail('scall-ld --json exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
    if p.returncode or not j['scall'] or not j['valid'] or j['errors'] or \
       j['warnings'] or j['header_flags'] & 3 != 3:
        fail('not a valid scall table without warnings: ' + p.stdout + p.stderr)
    # scall-ld pre-binds every trampoline whose target the file fixes, and
    # says so in the header.
    known = ('function', 'null', 'return0')
    for k in j['keys']:
        if k['bound'] != (k['bind'] if k['bind'] in known else 'no'):
            fail('key %s: link-time target %s, pre-bound %s' %
                 (k['key'], k['bind'], k['bound']))
    prebound = any(k['bound'] != 'no' for k in j['keys'])
    # SCALL_MODULE_BRANCHES (8) is set as the compilers emit the header.
    want_flags = (7 if prebound else 3) | 8
    if j['header_flags'] != want_flags:
        fail('header flags %#x, want %#x' % (j['header_flags'], want_flags))
    if j['records'] == 0:
        fail('no site records')
    if want_records is not None and j['records'] != want_records:
        fail('%d records, want %d: %s' % (j['records'], want_records, p.stdout))
    seen, nsites = set(), 0
    for k in j['keys']:
        for s in k['sites']:
            nsites += 1
            func = re.sub(r'(\.[\w.]+)?\+0x[0-9a-f]+$', '', s['where'])
            if s['state'] != 'ok':
                fail('site %s of key %s is %s' % (s['where'], k['key'], s['state']))
            if (k['key'], func) not in pairs:
                fail('site %s of key %s: not one of %s' %
                     (s['where'], k['key'], sorted(pairs)))
            seen.add((k['key'], func))
    for key, func in sorted(pairs - seen):
        fail('no site of key %s in %s: %s' % (key, func, p.stdout))
    if nsites != j['records']:
        fail('%d sites listed for %d records' % (nsites, j['records']))
    hdr = module_header(path)
    if hdr != (want_flags, j['records']):
        fail('module header (flags, nsites) is %r, want (%d, %d): scall-ld did '
             'not write the table' % (hdr, want_flags, j['records']))
    print('sites.py: %s: %d records, %s' %
          (path, j['records'], ' '.join('%s:%s' % p for p in sorted(seen))))


main()
