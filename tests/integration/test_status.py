#!/usr/bin/env python3
"""The status name: TXT state/records/serial/sync-age, only for the ACL's clients."""

import harness
from harness import Knotd, Lainlet, query, wait_until, free_port


def status(kd, src=None, name='status.mod-lain', rtype='TXT'):
    r = query(kd.port, name, rtype, src=src, timeout=1.0)
    txt = {}
    for rr in r.rrs('answer', 'TXT'):
        key, _, value = rr[3].strip('"').partition('=')
        txt[key] = value
    return r, txt


def main(tap):
    harness.require(knotd=True, module=True)
    dead = 'http://127.0.0.1:%d' % free_port()
    with Knotd(lainlets=[dead]) as kd:
        r, txt = status(kd)
        tap.ok(r.rcode == 'NOERROR' and 'aa' in r.flags and txt.get('state') == 'syncing',
               'before sync: state=syncing', diag=r.summary())

    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='status-acl: 127.0.0.2/32') as kd:
        tap.ok(wait_until(lambda: status(kd, src='127.0.0.2')[1].get('state') == 'ready', 10),
               'synced: state=ready')
        r, txt = status(kd, src='127.0.0.2')
        tap.ok(int(txt.get('records', 0)) > 40 and int(txt.get('serial', 0)) > 0 and
               txt.get('sync-age') == '0', 'records, serial and sync-age', diag=r.summary())
        tap.ok(r.answer and r.answer[0][1] == 0, 'TTL 0')
        r, _ = status(kd, src='127.0.0.2', rtype='A')
        tap.ok(r.rcode == 'NOERROR' and not r.answer, 'other types: NODATA')
        r, _ = status(kd, src='127.0.0.1')
        tap.ok(r.rcode == 'REFUSED', 'a client outside status-acl: not answered (%s)' % r.rcode)
        ll.silence(True)
        tap.ok(wait_until(lambda: status(kd, src='127.0.0.2')[1].get('state') == 'stale', 10),
               'lainlet silent: state=stale', diag=kd.tail())
        _, txt = status(kd, src='127.0.0.2')
        tap.ok(int(txt.get('sync-age', 0)) >= 3, 'sync-age counts (%s s)' % txt.get('sync-age'))
        ll.silence(False)
        tap.ok(wait_until(lambda: status(kd, src='127.0.0.2')[1].get('state') == 'ready', 10),
               'ready again after lainlet recovered')
        query(kd.port, '10.1.20.172.in-addr.arpa', 'PTR', src='127.0.0.2')
        st = kd.stats('mod-lain').stdout
        tap.ok('sync-age' in st, 'sync-age counter in knotc stats', diag=st)
        tap.ok('answers[ptr] = ' in st and 'stream-coreinfo[connects] = ' in st and
               'stream-dns_ip[documents-applied] = ' in st,
               'PTR answers and per-stream counters in knotc stats', diag=st)


if __name__ == '__main__':
    harness.run(main)
