#!/usr/bin/env python3
"""Documents over max-document are refused without being buffered; error events and
HTTP errors are logged and retried; garbage on a stream never replaces good data; a value
too big for what it feeds (a 48 MB tinydns line) is refused without being held."""

import json
import os
import re
import time

import harness
from harness import Knotd, Lainlet, RssPeak, query, wait_until

CORE = '/v2/coreinfowatcher'


def config_fixtures():
    config = {}
    for fn in sorted(os.listdir(harness.FIXTURES)):
        if fn.startswith('config-') and fn.endswith('.json'):
            config.update(harness.fixture(fn))
    return config


def huge_member(tap):
    """A coreinfo pod group holding a 48 MB string the module does not read: the member is
    read by jansson as it is given back, peak RSS growth ~2x the document, not 3x."""
    core = harness.fixture('coreinfo.json')
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='max-document: 64M') as kd:
        tap.ok(wait_until(lambda: query(kd.port, 'web-1.console.lain').rcode == 'NOERROR', 10),
               'synced', diag=kd.tail())
        core['big.web.web'] = {'PodInfos': [{'InstanceNo': 1, 'ContainerInfos': [
            {'ContainerIp': '172.20.9.9', 'Expose': 80, 'Note': 'a' * (48 << 20)}]}]}
        time.sleep(0.3)
        mark = len(kd.log())
        with RssPeak(kd.proc.pid) as rss:
            ll.set_doc('coreinfo', core)
            ok = wait_until(lambda: query(kd.port, 'web-1.big.lain').rcode == 'NOERROR', 60)
            time.sleep(0.2)
        base, peak = rss.base, rss.peak
        core = None
        tap.ok(ok, 'the document applied: web-1.big.lain answers', diag=kd.tail())
        m = re.search(r"coreinfo \S+: update event id \d+ applied \((\d+) bytes",
                      kd.log()[mark:])
        size = int(m.group(1)) if m else 0
        tap.ok(size > 48 << 20 and (peak - base) * 1024 <= 2.5 * size,
               'peak RSS growth %d kB <= 2.5x the document (%d kB): %.3fx (jansson\'s two '
               'copies of the string, the member given back as it is read)'
               % (peak - base, size >> 10, (peak - base) * 1024.0 / max(size, 1)),
               skip='knotd runs with a sanitizer runtime' if harness.PRELOAD else None)
        tap.ok(query(kd.port, 'web-1.console.lain').rcode == 'NOERROR',
               'the other groups still served')


def huge_line(tap):
    """One 48 MB TXT line in tinydns_fqdns: skipped with a log line while the document
    streams, knotd's peak RSS growth at most 2x the document, the rest applied."""
    config = config_fixtures()
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='max-document: 64M') as kd:
        tap.ok(wait_until(lambda: query(kd.port, 'motd.lain', 'TXT').rcode == 'NOERROR', 10),
               'synced: motd.lain TXT from tinydns_fqdns', diag=kd.tail())
        pid = kd.proc.pid
        line = "'big.lain:" + 'a' * (48 << 20) + ':300'
        config['tinydns_fqdns/big'] = json.dumps(['+new.lain:10.9.9.9', line])
        line = None
        time.sleep(0.3)
        mark = len(kd.log())
        with RssPeak(pid) as rss:
            ll.set_doc('config', config)
            applied = wait_until(lambda: query(kd.port, 'new.lain').rcode == 'NOERROR', 60)
            time.sleep(0.2)
        config = None
        base, peak = rss.base, rss.peak
        tap.ok(applied, 'the document applied: new.lain answers', diag=kd.tail())
        log = kd.log()[mark:]
        m = re.search(r"tinydns_fqdns \S+: update event id \d+ applied \((\d+) bytes", log)
        size = int(m.group(1)) if m else 0
        tap.ok(re.search(r'tinydns_fqdns: skipped tinydns_fqdns/big line 2 \(longer than '
                         r'\d+ bytes\)', log), 'the 48 MB line skipped with a log line naming it',
               diag=kd.tail())
        # (an ASan runtime in knotd keeps freed memory in quarantine: no RSS figure)
        tap.ok(size > 48 << 20 and (peak - base) * 1024 <= 2 * size,
               'peak RSS growth %d kB <= 2x the document (%d kB): %.3fx, %d samples'
               % (peak - base, size >> 10, (peak - base) * 1024.0 / max(size, 1),
                  rss.samples),
               skip='knotd runs with a sanitizer runtime' if harness.PRELOAD else None)
        tap.ok(query(kd.port, 'motd.lain', 'TXT').rcode == 'NOERROR' and
               query(kd.port, 'big.lain', 'TXT').rcode != 'NOERROR',
               'the good lines still served, no big.lain')


def main(tap):
    harness.require(knotd=True, module=True)
    huge_line(tap)
    huge_member(tap)
    with open(os.path.join(harness.FIXTURES, 'coreinfo.json')) as f:
        core = json.load(f)
    small = {'console.web.web': core['console.web.web']}

    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='max-document: 4K') as kd:
        # The fixture coreinfo is 10 KB compact: over the cap, so no sync.
        tap.ok(kd.wait_log(r'coreinfo .*init event refused \(document over 4096 bytes\)', 5),
               'oversize init refused with a log line', diag=kd.tail())
        r = query(kd.port, 'web-1.console.lain')
        tap.ok(r.rcode == 'SERVFAIL', 'not synced without coreinfo: SERVFAIL (%s)' % r.rcode)
        ll.set_doc('coreinfo', small)
        tap.ok(wait_until(lambda: query(kd.port, 'web-1.console.lain').rcode == 'NOERROR', 5),
               'a document under the cap applies on the same stream', diag=kd.tail())
        # An oversize update keeps the previous data.
        ll.set_doc('coreinfo', core)
        tap.ok(kd.wait_log(r'update event id \d+ refused|update event refused', 5),
               'oversize update refused', diag=kd.tail())
        tap.ok(query(kd.port, 'web-1.console.lain').rcode == 'NOERROR' and
               query(kd.port, 'web-1.hello.lain').rcode == 'NXDOMAIN',
               'previous (small) coreinfo still served')

        # Garbage and an error event on a stream.
        mark = len(kd.log())
        ll.raw(CORE, b'\x00\xff garbage without structure\n\nevent: update\ndata: [1,2\n\n')
        tap.ok(kd.wait_log(r'coreinfo: document refused', 5, start=mark),
               'garbage update refused', diag=kd.tail())
        ll.error(CORE, 'backend failure')
        tap.ok(kd.wait_log(r'error event \(backend failure\)', 5, start=mark),
               'error event logged', diag=kd.tail())
        tap.ok(ll.wait_streams(CORE, 1, 5) >= 1, 'reconnected after the error event closed it')
        tap.ok(query(kd.port, 'web-1.console.lain').rcode == 'NOERROR',
               'answers unchanged through garbage and errors')

        # HTTP errors: logged, retried with backoff, recovered.
        mark = len(kd.log())
        ll.status(500, 'etcd down')
        ll.drop()
        tap.ok(kd.wait_log(r'HTTP status 500', 5, start=mark), 'HTTP 500 logged')
        tap.ok(query(kd.port, 'web-1.console.lain').rcode == 'NOERROR',
               'answers kept while lainlet answers 500')
        ll.status(0)
        tap.ok(ll.wait_streams(CORE, 1, 15) >= 1, 'reconnected once lainlet recovered')


if __name__ == '__main__':
    harness.run(main)
