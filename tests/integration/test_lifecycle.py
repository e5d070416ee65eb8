#!/usr/bin/env python3
"""knotc reload, and stop by SIGTERM, with the module loaded and streams open; SERVFAIL
before the first sync; counters in knotc stats."""

import os
import re
import time

import harness
from harness import Knotd, Lainlet, query, wait_until, free_port


def tasks(pid):
    return len(os.listdir('/proc/%d/task' % pid))


def fds(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def answers(kd):
    return [rr[3] for rr in query(kd.port, 'web-1.console.lain', timeout=1.0).rrs('answer')]


def main(tap):
    harness.require(knotd=True, module=True)

    # Before the first sync: managed names SERVFAIL, never NXDOMAIN; others are Knot's.
    dead = 'http://127.0.0.1:%d' % free_port()
    with Knotd(lainlets=[dead], heartbeat=1) as kd:
        r = query(kd.port, 'web-1.console.lain')
        tap.ok(r.rcode == 'SERVFAIL', 'unsynced: managed name SERVFAIL (%s)' % r.rcode)
        r = query(kd.port, '4.3.20.172.in-addr.arpa', 'PTR')
        tap.ok(r.rcode == 'SERVFAIL', 'unsynced: reverse zone SERVFAIL (%s)' % r.rcode)
        r = query(kd.port, 'www.example.org')
        tap.ok(r.rcode == 'REFUSED', 'unsynced: other names go to Knot (%s)' % r.rcode)
        tap.ok(kd.wait_log(r'stream down .*reconnecting', 5), 'connection failures logged')
        st = kd.stats('mod-lain')
        tap.ok('servfail-unsynced' in st.stdout, 'servfail counter in knotc stats',
               diag=st.stdout)

    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1) as kd:
        tap.ok(wait_until(lambda: answers(kd) == ['172.20.1.4'], 10), 'synced')
        pid = kd.proc.pid
        st = kd.stats('mod-lain').stdout
        tap.ok(re.search(r'records\s*=\s*[1-9]', st) is not None, 'records gauge', diag=st)
        tap.ok(re.search(r'answers\[proc\]\s*=\s*[1-9]', st) is not None,
               'answers counted by kind', diag=st)
        tap.ok(re.search(r'lainlet\[connects\]\s*=\s*[5-9]', st) is not None,
               'stream connects counted', diag=st)

        # Reload under a query loop: answers never fail, threads and fds do not grow.
        base_tasks, base_fds = tasks(pid), fds(pid)
        failures = sent = 0
        for i in range(10):
            tap_ok = kd.knotc('reload').returncode == 0
            if not tap_ok:
                failures += 1000
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                sent += 1
                if answers(kd) != ['172.20.1.4']:
                    failures += 1
        # the new instance syncs on its own; wait until the streams settled
        wait_until(lambda: ll.streams().get('/v2/coreinfowatcher', 0) == 1, 5)
        tap.ok(failures == 0, '10 reloads under queries: %d queries, %d failed'
               % (sent, failures), diag=kd.tail())
        settled = wait_until(lambda: tasks(pid) <= base_tasks and fds(pid) <= base_fds + 2, 5)
        tap.ok(settled, 'threads %d -> %d, fds %d -> %d after reloads'
               % (base_tasks, tasks(pid), base_fds, fds(pid)))
        tap.ok(kd.alive(), 'knotd alive after reloads')

        # Stop while every stream hangs: the thread is joined promptly. By signal: this is
        # about the module's stop, and knotc stop can take up to its control timeout to
        # act from Knot 3.4 on.
        ll.silence(True)
        t0 = time.monotonic()
        rc = kd.stop(by_signal=True)
        took = time.monotonic() - t0
        tap.ok(rc == 0, 'knotd exits cleanly (%s)' % rc)
        tap.ok(took < 3.0, 'SIGTERM with hung streams: knotd exited in %.2f s' % took)


if __name__ == '__main__':
    harness.run(main)
