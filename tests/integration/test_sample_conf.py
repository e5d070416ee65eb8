#!/usr/bin/env python3
"""doc/knot.conf.sample: every item of the module's schema (module/lain_conf.c) is there,
commented items show the schema's default, and knotc conf-check accepts the sample as
shipped and with every item uncommented; knotd runs it against the test lainlet."""

import os
import re
import subprocess
import tempfile

import harness
from harness import Knotd, Lainlet, query, wait_until

SAMPLE = os.path.join(harness.SRCDIR, 'doc', 'knot.conf.sample')
LAIN_CONF = [os.path.join(harness.SRCDIR, 'module', 'lain_conf.' + ext) for ext in 'hc']


def schema():
    """{item: (type, default text or None)} from lain_conf[] in module/lain_conf.c (item
    names and option values in lain_conf.h)."""
    src = ''.join(harness._read(p) for p in LAIN_CONF)
    names = dict(re.findall(r'#define\s+(MOD_\w+)\s+"\\x[0-9A-Fa-f]{2}""([a-z-]+)"', src))
    table = src[src.index('lain_conf[]'):]
    table = table[:table.index('{ NULL }')]
    items = {}
    for m in re.finditer(r'\{\s*(MOD_\w+),\s*(YP_T\w+),\s*([^\n]*)\},?\s*$', table, re.M):
        macro, ytype, rest = m.groups()
        default = None
        vint = re.search(r'YP_VINT\s*=\s*\{\s*([^,]+),\s*([^,]+),\s*([^,}]+)(?:,\s*(\w+))?',
                         rest)
        if vint:
            value = eval_int(vint.group(3))
            if vint.group(4) == 'YP_SSIZE':
                default = size_text(value)
            else:
                default = str(value)
        vopt = re.search(r'YP_VOPT\s*=\s*\{\s*(\w+),\s*(\w+)', rest)
        if vopt:
            lookup = re.search(r'%s\[\]\s*=\s*\{(.*?)\};' % vopt.group(1), src, re.S).group(1)
            opts = dict(re.findall(r'\{\s*(\w+),\s*"([^"]+)"\s*\}', lookup))
            default = opts[vopt.group(2)]
        items[names[macro]] = (ytype, default)
    return items


def eval_int(text):
    text = text.strip()
    m = re.fullmatch(r'(\d+)(?:LL)?\s*<<\s*(\d+)', text)
    if m:
        return int(m.group(1)) << int(m.group(2))
    return int(re.sub(r'[A-Za-z]+$', '', text))


def size_text(n):
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if n >= (1 << shift) and n % (1 << shift) == 0:
            return '%d%s' % (n >> shift, unit)
    return str(n)


def sample_items(text):
    """[(item, value, commented)] of the mod-lain section."""
    out = []
    section = None
    for line in text.split('\n'):
        m = re.match(r'^#?([a-z-]+):\s*$', line)
        if m:
            section = m.group(1)
            continue
        if section != 'mod-lain':
            continue
        m = re.match(r'^(#?)\s+(?:- )?([a-z-]+):\s*(.*?)\s*$', line)
        if m:
            out.append((m.group(2), m.group(3), m.group(1) == '#'))
    return out


def with_module(text):
    """The sample with its commented module section enabled, file = the built module."""
    new, n = re.subn(r'^#module:\n#  - id: mod-lain\n#    file: [^\n]*\n',
                     'module:\n  - id: mod-lain\n    file: "%s"\n' % harness.MOD_LAIN_SO,
                     text, flags=re.M)
    return new, n


def uncomment_items(text):
    """The sample with every commented item of the mod-lain section uncommented."""
    out = []
    section = None
    for line in text.split('\n'):
        m = re.match(r'^#?([a-z-]+):\s*$', line)
        if m:
            section = m.group(1)
        elif section == 'mod-lain':
            line = re.sub(r'^#(\s+[a-z-]+:)', r' \1', line)
        out.append(line)
    return '\n'.join(out)


def conf_check(tmp, text, name):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(text)
    p = subprocess.run([harness.KNOTC, '-c', path, 'conf-check'], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=30)
    return p.returncode, p.stdout


def main(tap):
    harness.require(knotd=True, module=True)
    text = harness._read(SAMPLE)
    if not text:
        harness.skip_all('no %s' % SAMPLE)
    want = schema()
    tap.ok(len(want) >= 15, 'module/lain_conf.c: %d items read from lain_conf[]' % len(want),
           diag=sorted(want))
    have = sample_items(text)
    names = {i for i, _, _ in have}
    missing = sorted(set(want) - names)
    tap.ok(not missing, 'every item of the schema is in the sample', diag=missing)
    unknown = sorted(names - set(want) - {'id'})
    tap.ok(not unknown, 'no item the schema does not have', diag=unknown)
    wrong = []
    for item, value, commented in have:
        default = want.get(item, (None, None))[1]
        if commented and default is not None and value != default:
            wrong.append('%s: %s, default %s' % (item, value, default))
    tap.ok(not wrong, 'commented items show the schema\'s default', diag=wrong)

    with tempfile.TemporaryDirectory(prefix='mod-lain-sample-') as tmp:
        shipped, n = with_module(text)
        tap.ok(n == 1, 'the sample has a commented module section to enable')
        rc, out = conf_check(tmp, shipped, 'shipped.conf')
        tap.ok(rc == 0, 'conf-check: the sample as shipped (module file substituted)',
               diag=out)
        full = uncomment_items(shipped)
        left = [l for l in full.split('\n') if re.match(r'^#\s+[a-z-]+:', l) and
                not l.startswith('#  - id') and 'file:' not in l and 'edns' not in l]
        rc, out = conf_check(tmp, full, 'full.conf')
        tap.ok(rc == 0, 'conf-check: every mod-lain item uncommented', diag=[out, left])

        # The sample's mod-lain section, defaults uncommented, run by knotd.
        body = full[full.index('\nmod-lain:\n'):full.index('\ntemplate:')]
        keep = []
        for line in body.split('\n')[3:]:
            m = re.match(r'^\s+([a-z-]+):', line)
            if not m or m.group(1) in ('lainlet', 'data-file', 'ca-file', 'snapshot',
                                        'forwarder', 'heartbeat'):
                continue
            keep.append(line.strip())
        with Lainlet() as ll, Knotd(lainlets=[ll.url], extra_mod_conf='\n'.join(keep)) as kd:
            ok = wait_until(lambda: [rr[3] for rr in query(kd.port, 'web-1.console.lain')
                                     .rrs('answer', 'A')] == ['172.20.1.4'], 10)
            tap.ok(ok, 'knotd runs the sample\'s items and answers the cluster',
                   diag=[keep, kd.tail()])


if __name__ == '__main__':
    harness.run(main)
