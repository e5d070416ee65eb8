#!/usr/bin/env python3
"""knotc conf-check accepts a mod-lain section with every item (17) set to a good value,
and rejects a bad value of each with a message naming the item: out of range, not
parsing, an address range that runs backwards, a data-file or ca-file that is a FIFO or
a directory, a ca-file that is missing. A lainlet URL whose host is a name in
a zone the module serves (a bootstrap loop when knotd is the host's resolver), or that
libcurl cannot read, is warned of, by knotc conf-check and by knotd when the module
loads, and still accepted."""

import os
import subprocess
import tempfile

import harness
from harness import Knotd, Lainlet, query, wait_until

GOOD = '''
    lainlet: http://127.0.0.1:9001
    lainlet: https://lainlet.lain:9001
    ttl: 30
    negative-ttl: 5
    heartbeat: 5
    max-document: 64M
    ca-file: {tmp}/ca.pem
    backoff-max: 30
    managed-zone: lain
    portal-fallback: none
    forwarder: 10.1.0.0/16
    forwarder: 10.2.0.1-10.2.0.9
    snapshot: {tmp}/lain.snap
    drop-guard: 80
    drop-hold: 30
    failback: 120
    data-file: {tmp}/data
    status-name: health.example.
    status-acl: 192.168.0.0/24
'''

BAD = [
    ('ttl: -1', 'ttl'),
    ('ttl: 1000000', 'ttl'),
    ('negative-ttl: 100000', 'negative-ttl'),
    ('heartbeat: 0', 'heartbeat'),
    ('max-document: 10', 'max-document'),
    ('backoff-max: 0', 'backoff-max'),
    ('nosuch-item: 1', 'nosuch-item'),
    ('managed-zone: bad..zone', 'managed-zone'),
    ('portal-fallback: some', 'portal-fallback'),
    ('forwarder: garbage', 'forwarder'),
    ('forwarder: 10.0.0.9-10.0.0.1', 'forwarder'),
    ('drop-guard: 101', 'drop-guard'),
    ('drop-hold: -1', 'drop-hold'),
    ('failback: 0', 'failback'),
    ('status-name: bad..name', 'status-name'),
    ('status-acl: garbage', 'status-acl'),
    ('status-acl: 10.0.0.9-10.0.0.1', 'status-acl'),
    ('status-acl: ::9-::1', 'status-acl'),
    ('data-file: {tmp}/fifo', 'data-file'),
    ('data-file: {tmp}', 'data-file'),
    ('ca-file: {tmp}/fifo', 'ca-file'),
    ('ca-file: {tmp}/missing.pem', 'ca-file'),
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
        for name in ('ca.pem', 'data'):
            with open(os.path.join(tmp, name), 'w') as f:
                f.write('\n')
        os.mkfifo(os.path.join(tmp, 'fifo'))
        rc, out = check(conf(tmp, GOOD.format(tmp=tmp), lainlet=False))
        tap.ok(rc == 0, 'every item (%d) with a good value passes' % ITEMS, diag=out)
        rc, out = check(conf(tmp, 'data-file: %s/missing' % tmp))
        tap.ok(rc == 0, 'a data-file not there yet passes (read when it appears)', diag=out)
        for line, item in BAD:
            line = line.format(tmp=tmp)
            rc, out = check(conf(tmp, line))
            tap.ok(rc != 0 and item in out, '"%s" rejected naming %s' % (line, item),
                   diag=out)
        rc, out = check(conf(tmp, 'lainlet: ftp://x', lainlet=False))
        tap.ok(rc != 0 and 'http://' in out and 'lainlet' in out,
               'a non-http lainlet URL is rejected', diag=out)
        rc, out = check(conf(tmp, 'ttl: 30', lainlet=False))
        tap.ok(rc != 0 and 'no lainlet' in out, 'a section without lainlet is rejected',
               diag=out)
        url_in_zone(tap, tmp)


ITEMS = len(set(line.split(':')[0].strip() for line in GOOD.strip().split('\n')))

ZONE_WARNING = ('warning: mod-lain: lainlet %s: its host is a name in the zone %s this '
                'module serves')


def url_in_zone(tap, tmp):
    rc, out = check(conf(tmp, 'lainlet: http://LAINLET.lain:9001', lainlet=False))
    tap.ok(rc == 0 and ZONE_WARNING % ('http://LAINLET.lain:9001', 'lain.') in out,
           'conf-check: a lainlet host in the default managed zone lain. is warned of, '
           'not refused', diag=out)
    rc, out = check(conf(tmp, 'lainlet: https://u:p%40w@dns.example.org:1/x\n'
                         'managed-zone: example.org', lainlet=False))
    tap.ok(rc == 0 and ZONE_WARNING % ('https://***@dns.example.org:1/x', 'example.org.')
           in out and 'p%40w' not in out,
           'conf-check: a host in a configured managed-zone is warned of (credentials '
           'not shown)', diag=out)
    rc, out = check(conf(tmp, 'lainlet: https://u:p@w@dns.example.org:1/x', lainlet=False))
    tap.ok(rc == 0 and 'warning: mod-lain: lainlet https://***@dns.example.org:1/x: '
           'libcurl cannot read this URL' in out and 'p@w' not in out,
           'conf-check: a raw "@" in a password is warned of (libcurl cannot read the URL; '
           'credentials not shown)', diag=out)
    clean = '\n'.join('lainlet: "%s"' % u for u in (
        'http://192.168.77.21:9001', 'http://[::1]:9001', 'http://lainlet.example.com:9001',
        'http://user@10.0.0.1', 'http://notlain:9001', 'http://20.172.in-addr.arpa.x:1'))
    rc, out = check(conf(tmp, clean, lainlet=False))
    tap.ok(rc == 0 and 'warning' not in out,
           'conf-check: addresses and names outside the served zones: no warning', diag=out)

    # knotd warns when the module loads; the name resolves here without it (localhost)
    with Lainlet() as ll:
        url = ll.url.replace('127.0.0.1', 'localhost')
        with Knotd(lainlets=[url], extra_mod_conf='managed-zone: localhost') as kd:
            m = kd.wait_log(r'warning: .*lainlet %s: its host is a name in the zone '
                            r'localhost\. this module serves, resolvable only once the '
                            r'module has data' % url.replace('.', r'\.'), 5)
            tap.ok(m, 'knotd: the load warning names the URL and the zone',
                   diag=kd.tail())
            tap.ok(wait_until(lambda: query(kd.port, 'web-1.console.lain').rcode ==
                              'NOERROR', 10), 'and the module runs all the same')


if __name__ == '__main__':
    harness.run(main)
