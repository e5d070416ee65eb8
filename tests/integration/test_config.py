#!/usr/bin/env python3
"""knotc conf-check accepts good mod-lain sections and rejects bad values with a message
naming the item."""

import os
import subprocess
import tempfile

import harness

GOOD = '''
    lainlet: http://127.0.0.1:9001
    lainlet: https://lainlet.lain:9001
    ttl: 30
    negative-ttl: 5
    heartbeat: 5
    max-document: 64M
    backoff-max: 30
    managed-zone: lain
'''

BAD = [
    ('ttl: -1', 'ttl'),
    ('ttl: 1000000', 'ttl'),
    ('negative-ttl: 100000', 'negative-ttl'),
    ('heartbeat: 0', 'heartbeat'),
    ('max-document: 10', 'max-document'),
    ('backoff-max: 0', 'backoff-max'),
    ('nosuch-item: 1', 'nosuch-item'),
]


def conf(tmp, body, lainlet=True):
    text = ('server:\n    rundir: %s\n'
            'module:\n  - id: mod-lain\n    file: %s\n'
            'mod-lain:\n  - id: default\n' % (tmp, harness.MOD_LAIN_SO))
    if lainlet:
        text += '    lainlet: http://127.0.0.1:9001\n'
    text += '\n'.join('    ' + l.strip() for l in body.strip().split('\n')) + '\n'
    text += 'template:\n  - id: default\n    global-module: mod-lain/default\n'
    path = os.path.join(tmp, 'knot.conf')
    with open(path, 'w') as f:
        f.write(text)
    return path


def check(path):
    p = subprocess.run([harness.KNOTC, '-c', path, 'conf-check'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
    return p.returncode, p.stdout


def main(tap):
    harness.require(module=True, knotc=True)
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = check(conf(tmp, GOOD, lainlet=False))
        tap.ok(rc == 0, 'every item with a good value passes', diag=out)
        for line, item in BAD:
            rc, out = check(conf(tmp, line))
            tap.ok(rc != 0 and item in out, '"%s" rejected naming %s' % (line, item),
                   diag=out)
        rc, out = check(conf(tmp, 'lainlet: ftp://x', lainlet=False))
        tap.ok(rc != 0 and 'http://' in out and 'lainlet' in out,
               'a non-http lainlet URL is rejected', diag=out)
        rc, out = check(conf(tmp, 'ttl: 30', lainlet=False))
        tap.ok(rc != 0 and 'no lainlet' in out, 'a section without lainlet is rejected',
               diag=out)


if __name__ == '__main__':
    harness.run(main)
