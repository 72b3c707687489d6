#!/usr/bin/env python3
"""man_test.py BUILD_DIR SOURCE_ROOT

The manual pages as `meson install` puts them (man/meson.build), staged in
a DESTDIR:

  - every page renders without a warning: `groff -man -ww -z` and
    `mandoc -Tlint -Wstyle` print nothing;
  - every other name of a page is a relative symlink to it;
  - they say what the sources say: each function and macro of scall.h's API
    has a page or a link under its name whose NAME lists it, and the errors
    of scall.h's comments are in a section-3 page; scall_stats(3) names
    every member of struct scall_stats and every writer; scall(7) every
    environment variable the runtime reads and every plugin option of the
    README; scall-ld(1) and scall-scan(1) every option of the tools'
    sources.
"""
import glob, os, re, shutil, subprocess, sys, tempfile

errors = []


def fail(msg):
    errors.append(msg)


def text_of(path):
    """The page's words, troff escapes for characters and fonts removed."""
    t = open(path).read()
    t = re.sub(r'\\f[BIRP]', '', t)
    t = t.replace('\\-', '-').replace('\\e', '\\').replace('\\&', '')
    return t


def name_section(path):
    t = text_of(path)
    m = re.search(r'^\.SH NAME\n(.*?)^\.SH', t, re.S | re.M)
    names = ' '.join(m.group(1).split()).split(' - ')[0] if m else ''
    return {n.strip() for n in names.split(',')}


def section(path, title):
    m = re.search(r'^\.SH ' + title + r'\n(.*?)(^\.SH|\Z)', text_of(path), re.S | re.M)
    return m.group(1) if m else ''


def main():
    build, src = sys.argv[1:3]
    dest = tempfile.mkdtemp()
    try:
        p = subprocess.run(['meson', 'install', '-C', build, '--destdir', dest, '--quiet'],
                           capture_output=True, text=True)
        if p.returncode:
            print(p.stdout + p.stderr)
            sys.exit(1)
        check(dest, src)
    finally:
        shutil.rmtree(dest)
    for e in errors:
        print('man_test.py: FAIL: ' + e)
    sys.exit(1 if errors else 0)


def check(dest, src):
    mans = glob.glob(dest + '/**/man/man[1-8]', recursive=True)
    if not mans:
        fail('no man directory installed')
        return
    mandir = os.path.dirname(mans[0])
    page = lambda name: os.path.join(mandir, 'man' + name.rsplit('.', 1)[1], name)
    pages = sorted(f for f in glob.glob(mandir + '/man*/*') if not os.path.islink(f))
    links = sorted(f for f in glob.glob(mandir + '/man*/*') if os.path.islink(f))
    for need in ['scall.3', 'scall_update.3', 'scall_stats.3', 'scall.7']:
        if not os.path.isfile(page(need)):
            fail('not installed: ' + need)

    # rendering
    for f in pages:
        g = subprocess.run(['groff', '-man', '-ww', '-z', f], capture_output=True, text=True)
        if g.returncode or g.stdout or g.stderr:
            fail('groff -ww on %s: %s%s' % (f, g.stdout, g.stderr))
        m = subprocess.run(['mandoc', '-Tlint', '-Wstyle', f], capture_output=True, text=True)
        if m.returncode or m.stdout or m.stderr:
            fail('mandoc -Tlint on %s: %s%s' % (f, m.stdout, m.stderr))
    for f in links:
        to = os.readlink(f)
        if '/' in to or not os.path.isfile(os.path.join(os.path.dirname(f), to)):
            fail('%s -> %s: not a page of its own section' % (f, to))
    print('man_test.py: %d pages, %d links' % (len(pages), len(links)))

    # scall.h's API
    h = open(os.path.join(src, 'include', 'scall.h')).read()
    api = h.split('Implementation details used by the macros above')[0]
    names = set(re.findall(r'^#define (\w+)', api, re.M)) - {'SCALL_H'}
    names |= set(re.findall(r'^(?:int|long|void) \*?(scall_\w+)\(', api, re.M))
    names = {n for n in names if not n.startswith('__')}
    if len(names) < 10:
        fail('found only %s in scall.h' % sorted(names))
    for n in sorted(names):
        f = page(n + '.3')
        if not os.path.exists(f):
            fail('scall.h declares %s: no %s.3 installed' % (n, n))
        elif n not in name_section(f):
            fail('%s.3 leads to a page whose NAME does not list %s' % (n, n))
    man3 = ''.join(text_of(f) for f in pages if f.endswith('.3'))
    for err in sorted(set(re.findall(r'-E[A-Z]{3,}', h))):
        if err not in man3:
            fail('scall.h mentions %s, no section-3 page does' % err)

    stats = text_of(page('scall_stats.3'))
    body = re.search(r'struct scall_stats \{(.*?)\};', h, re.S).group(1)
    for field in re.findall(r'\b(\w+);', re.sub(r'/\*.*?\*/', '', body, flags=re.S)):
        if not re.search(r'^\.I %s$' % field, stats, re.M):
            fail('scall_stats(3) does not describe the member %s' % field)
    writer = body[body.index('*writer;'):]
    for w in re.findall(r'"([\w-]+)"', writer):
        if not re.search(r'^\.B %s$' % re.escape(w), stats, re.M):
            fail('scall_stats(3) does not describe the writer %s' % w)

    env = section(page('scall.7'), 'ENVIRONMENT')
    read = set()
    for c in glob.glob(os.path.join(src, 'runtime', '*.c')):
        read |= set(re.findall(r'getenv\("(\w+)"\)', open(c).read()))
    if not read:
        fail('no getenv found in runtime/')
    for v in sorted(read):
        if not re.search(r'^\.B %s$' % v, env, re.M):
            fail('scall(7) ENVIRONMENT does not describe %s' % v)
    readme = open(os.path.join(src, 'README.md')).read()
    seven = text_of(page('scall.7'))
    opts = set(re.findall(r'-fplugin-arg-scall-([a-z-]+[a-z])', readme))
    if not opts:
        fail('no plugin option found in README.md')
    for o in sorted(opts):
        if not re.search(r'^\.B %s$' % o, seven, re.M):
            fail('scall(7) does not describe the plugin option %s' % o)

    tools = {
        'scall-ld.1': (os.path.join(src, 'scall-ld', 'main.c'),
                       lambda s: ['--' + o for o in re.findall(r'\{ "([\w-]+)", \w+_argument', s)] +
                       ['-' + c for c in re.search(r'getopt_long\([^"]*"([^"]*)"', s).group(1)
                        if c != ':']),
        'scall-scan.1': (os.path.join(src, 'scall-scan', 'scan.cpp'),
                         lambda s: re.findall(r'a == "(-[\w-]+)"', s)),
    }
    for man, (source, options) in tools.items():
        if not os.path.isfile(page(man)):
            continue
        t = section(page(man), 'OPTIONS')
        found = options(open(source).read())
        if len(found) < 4:
            fail('found only %s in %s' % (found, source))
        for o in found:
            if not re.search(r'^\.(B|BR|BI) [^\n]*(?<![\w-])%s(?![\w-])' % re.escape(o), t, re.M):
                fail('%s OPTIONS does not describe %s' % (man, o))


main()
