#!/usr/bin/env python3
"""Updates reach the answers within a second; bad documents never replace good data;
a lainlet restart or a silent stream is survived and converged from."""

import copy
import json
import os
import statistics
import time

import harness
from harness import fixture, with_ip
from harness import Knotd, Lainlet, query, wait_until

CORE = '/v2/coreinfowatcher'


def a_of(kd, name, src=None):
    ans = query(kd.port, name, 'A', src=src, timeout=1.0)
    return sorted(rr[3] for rr in ans.rrs('answer', 'A')), ans


def ptr_of(kd, name):
    return [rr[3] for rr in query(kd.port, name, 'PTR', timeout=1.0).rrs('answer', 'PTR')]




def main(tap):
    harness.require(knotd=True, module=True)
    core = fixture('coreinfo.json')
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1) as kd:
        synced = wait_until(lambda: a_of(kd, 'web-1.console.lain')[0] == ['172.20.1.4'], 10)
        tap.ok(synced, 'module synced', diag=kd.tail())

        # 1. An IP change shows in A and PTR: measure update -> answer latency.
        lat = []
        for i in range(20):
            ip = '172.20.9.%d' % (i + 1)
            t0 = time.monotonic()
            ll.set_doc('coreinfo', with_ip(core, 'hello.web.web', 1, ip))
            seen = wait_until(lambda: a_of(kd, 'web-1.hello.lain')[0] == [ip], 1.0,
                              interval=0.001)
            lat.append((time.monotonic() - t0) * 1000)
            if not seen:
                break
        tap.ok(len(lat) == 20 and max(lat) < 1000,
               'each of 20 updates answered within 1 s (p50 %.1f ms, max %.1f ms)'
               % (statistics.median(lat), max(lat)))
        tap.diag('update -> answer latency over %d updates: p50 %.1f ms, max %.1f ms'
                 % (len(lat), statistics.median(lat), max(lat)))
        tap.ok(ptr_of(kd, '20.9.20.172.in-addr.arpa') == ['web-1.hello.lain.'],
               'PTR of the new address')
        tap.ok(query(kd.port, '10.1.20.172.in-addr.arpa', 'PTR').rcode == 'NXDOMAIN',
               'PTR of the old address gone')

        # 2. A malformed document is refused, the previous data stays.
        before = a_of(kd, 'web-1.hello.lain')[0]
        mark = len(kd.log())
        ll.raw(CORE, b'id: 99\nevent: update\ndata: {"hello.web.web": {"PodInfos": [\n\n')
        tap.ok(kd.wait_log(r'coreinfo: document refused', 5, start=mark),
               'cut JSON logged as refused', diag=kd.tail())
        tap.ok(a_of(kd, 'web-1.hello.lain')[0] == before, 'previous coreinfo still served')

        # 3. ... and the other sources keep updating meanwhile.
        cfg = ll.doc('config')
        cfg2 = dict(cfg)
        cfg2['tinydns_fqdns/ops'] = json.dumps(['Cgrafana.lain:console.lain:300',
                                                "'motd.lain:bye:300"])
        ll.set_doc('config', cfg2)
        tap.ok(wait_until(lambda: 'bye' in str(query(kd.port, 'motd.lain', 'TXT').answer), 2),
               'tinydns_fqdns update applied while coreinfo was bad')
        ll.set_doc('coreinfo', with_ip(core, 'hello.web.web', 1, '172.20.8.8'))
        tap.ok(wait_until(lambda: a_of(kd, 'web-1.hello.lain')[0] == ['172.20.8.8'], 2),
               'the next good coreinfo applies')

        # 3b. domain moved, then deleted: lainlet's target=domain stream then falls back to
        # the prefix and sends a delete holding only domains/*.lain (no domain key): the
        # domain is unset and its default zone goes.
        ll.set_doc('config', dict(cfg2, domain='example.net'))
        tap.ok(wait_until(lambda: a_of(kd, 'x.example.net')[0] == ['192.168.10.53'], 2),
               'domain changed: the defaults of the new domain are served')
        ll.set_doc('config', {k: v for k, v in cfg2.items() if k != 'domain'})
        tap.ok(wait_until(lambda: a_of(kd, 'x.example.net')[1].rcode == 'REFUSED', 2),
               'domain deleted (a delete with only domains/*.lain): its default zone goes',
               diag=kd.tail())
        tap.ok(a_of(kd, 'x.example.com')[0] == ['192.168.10.80'] and
               a_of(kd, 'web-1.console.lain')[0] == ['172.20.1.4'],
               '... and the rest is served as before')
        ll.set_doc('config', cfg2)

        # 4. A deleted proc disappears (delete event: the document without the key).
        gone = copy.deepcopy(core)
        del gone['billing.web.api']
        ll.set_doc('coreinfo', gone)
        tap.ok(wait_until(lambda: query(kd.port, 'api-1.billing.lain').rcode == 'NXDOMAIN',
                          2), 'deleted proc gives NXDOMAIN')

        # 5. Streams dropped: reconnect, and the new init replaces the data.
        ll.set_doc('coreinfo', with_ip(core, 'hello.web.web', 1, '172.20.7.7'))
        wait_until(lambda: a_of(kd, 'web-1.hello.lain')[0] == ['172.20.7.7'], 2)
        ll.drop()
        tap.ok(ll.wait_streams(CORE, 1, 5) >= 1, 'module reconnected after streams dropped')
        tap.ok(a_of(kd, 'web-1.hello.lain')[0] == ['172.20.7.7'], 'answers kept throughout')

        # 6. lainlet restarts (back to the fixtures): reconnect and converge.
        port = ll.port
        ll.stop()
        tap.ok(a_of(kd, 'web-1.hello.lain')[0] == ['172.20.7.7'],
               'lainlet down: last data still answers')
        ll2 = Lainlet(port=port).start()
        try:
            tap.ok(wait_until(lambda: a_of(kd, 'web-1.hello.lain')[0] == ['172.20.1.10'], 5),
                   'after restart the init replaced the data', diag=kd.tail())
            tap.ok(query(kd.port, 'api-1.billing.lain').rcode == 'NOERROR',
                   'the deleted proc is back from the new init')

            # 7. A silent stream (no heartbeat) is declared dead and reconnected.
            mark = len(kd.log())
            ll2.silence(True)
            tap.ok(kd.wait_log(r'heartbeats missed', 8, start=mark),
                   'silent stream detected within the heartbeat window', diag=kd.tail())
            tap.ok(a_of(kd, 'web-1.hello.lain')[0] == ['172.20.1.10'],
                   'answers kept while lainlet is silent')
            ll2.silence(False)
            tap.ok(ll2.wait_streams(CORE, 1, 10) >= 1, 'reconnected after silence')
        finally:
            ll2.stop()


if __name__ == '__main__':
    harness.run(main)
