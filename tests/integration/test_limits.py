#!/usr/bin/env python3
"""Documents over max-document are refused without being buffered; error events and
HTTP errors are logged and retried; garbage on a stream never replaces good data."""

import json
import os

import harness
from harness import Knotd, Lainlet, query, wait_until

CORE = '/v2/coreinfowatcher'


def main(tap):
    harness.require(knotd=True, module=True)
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
