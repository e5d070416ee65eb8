#!/usr/bin/env python3
"""Several knotd instances behind one lainlet (LAIN runs them behind a VIP) converge on
the same answers within 1 s of an update, and one stopping leaves the other answering;
`knotc reload` 100 times under a query load (no failed query, threads, fds and memory
back to their baseline, the snapshot intact); on SIGTERM the module stops its watcher
within 1 s while the streams hang, while a document drips in, and while a connection
waits for its header (by signal: knotc stop itself can take up to its control timeout
to act from Knot 3.4 on)."""

import copy
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import fixture, with_ip  # noqa: E402
from harness import (FIXTURES, Knotd, Lainlet, QueryLoad, free_port, mod_stats,  # noqa: E402
                     proc_fds, proc_rss_kb, proc_tasks, query, wait_until)

CORE = '/v2/coreinfowatcher'
STREAMS = 5
EXPECT = {
    ('web-1.console.lain', 'A'): ['172.20.1.4'],
    ('web-3.hello.lain', 'A'): ['172.20.3.10'],
    ('worker-2.webrouter.lain', 'A'): ['172.20.2.2'],
    ('10.1.20.172.in-addr.arpa', 'PTR'): ['web-1.hello.lain.'],
}




def a_of(kd, name, rtype='A'):
    ans = query(kd.port, name, rtype, timeout=1.0)
    return ans.rcode, sorted(rr[3] for rr in ans.rrs('answer', rtype))


def answers_ok(kd):
    return all(a_of(kd, n, t) == ('NOERROR', v) for (n, t), v in EXPECT.items())


def two_instances(tap, core):
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1) as k1, \
            Knotd(lainlets=[ll.url], heartbeat=1) as k2:
        tap.ok(wait_until(lambda: answers_ok(k1) and answers_ok(k2), 10),
               'two knotd on one lainlet: both synced')
        tap.ok(wait_until(lambda: sum(ll.streams().values()) == 2 * STREAMS, 5),
               'lainlet serves %d streams' % (2 * STREAMS))

        # 30 updates: time until each instance, and both, answer the new address
        both, skew, lost = [], [], 0
        for i in range(30):
            ip = '172.20.9.%d' % (i + 1)
            seen = {}
            t0 = time.monotonic()
            ll.set_doc('coreinfo', with_ip(core, 'hello.web.web', 1, ip))
            deadline = t0 + 1.5
            while len(seen) < 2 and time.monotonic() < deadline:
                for k, kd in (('k1', k1), ('k2', k2)):
                    if k not in seen and a_of(kd, 'web-1.hello.lain')[1] == [ip]:
                        seen[k] = time.monotonic() - t0
            if len(seen) < 2:
                lost += 1
                continue
            both.append(max(seen.values()) * 1000)
            skew.append(abs(seen['k1'] - seen['k2']) * 1000)
        tap.ok(lost == 0 and max(both) < 1000,
               '30 updates: both instances answer the new address within 1 s (p50 %.1f ms, '
               'max %.1f ms; gap between them p50 %.1f ms, max %.1f ms)'
               % (statistics.median(both), max(both), statistics.median(skew), max(skew)))
        tap.diag('two instances: update -> both answer: p50 %.1f ms, max %.1f ms; '
                 'gap between them: p50 %.1f ms, max %.1f ms'
                 % (statistics.median(both), max(both), statistics.median(skew), max(skew)))
        ptr1 = a_of(k1, '30.9.20.172.in-addr.arpa', 'PTR')
        ptr2 = a_of(k2, '30.9.20.172.in-addr.arpa', 'PTR')
        tap.ok(ptr1 == ptr2 == ('NOERROR', ['web-1.hello.lain.']),
               'same PTR on both (%s, %s)' % (ptr1, ptr2))

        # one stops: the other answers throughout, and still follows updates
        ll.set_doc('coreinfo', core)
        wait_until(lambda: answers_ok(k1) and answers_ok(k2), 2)
        with QueryLoad(k2.port, EXPECT) as load:
            time.sleep(0.3)
            t0 = time.monotonic()
            rc = k1.stop(by_signal=True)
            took = time.monotonic() - t0
            time.sleep(0.5)
        tap.ok(rc == 0 and took < 1.0, 'first instance stopped (SIGTERM) in %.2f s (exit %s)'
               % (took, rc))
        tap.ok(load.failed == 0 and load.sent > 50,
               'the other answers while it stops: %s' % load.summary(), diag=load.diag())
        tap.ok(wait_until(lambda: sum(ll.streams().values()) == STREAMS, 5),
               'lainlet down to the remaining instance\'s %d streams' % STREAMS)
        ll.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.1'))
        tap.ok(wait_until(lambda: a_of(k2, 'cron-1.hello.lain')[1] == ['172.20.6.1'], 1),
               'the remaining instance follows updates')


def reloads(tap, tmp):
    snap = os.path.join(tmp, 'reload.snap')
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='snapshot: "%s"' % snap) as kd:
        tap.ok(wait_until(lambda: answers_ok(kd), 10), 'synced')
        pid = kd.proc.pid
        kd.knotc('reload')            # the first reload allocates knotd's own structures
        wait_until(lambda: sum(ll.streams().values()) == STREAMS and answers_ok(kd), 5)
        time.sleep(0.5)
        base = (proc_tasks(pid), proc_fds(pid), proc_rss_kb(pid))
        c0 = sum(ll.stats()['connections'].values())
        failed_reloads = []
        peak_tasks = peak_fds = peak_rss = 0
        t0 = time.monotonic()
        with QueryLoad(kd.port, EXPECT, rate=300) as load:
            for i in range(100):
                r = kd.knotc('reload')
                if r.returncode != 0:
                    failed_reloads.append((i, r.stdout.strip()[:100]))
                peak_tasks = max(peak_tasks, proc_tasks(pid))
                peak_fds = max(peak_fds, proc_fds(pid))
                peak_rss = max(peak_rss, proc_rss_kb(pid))
                time.sleep(0.02)
            took = time.monotonic() - t0
            settled = wait_until(lambda: sum(ll.streams().values()) == STREAMS, 5)
            time.sleep(0.5)
        tap.ok(not failed_reloads and kd.alive(),
               '100 reloads in %.1f s, every knotc reload succeeded, knotd alive' % took,
               diag=repr(failed_reloads[:5]))
        tap.ok(load.failed == 0 and load.sent > 500,
               'queries during the reloads: %s' % load.summary(), diag=load.diag())
        tap.ok(settled, 'streams settled at %d after the reloads (%s)'
               % (STREAMS, ll.streams()))
        conns = sum(ll.stats()['connections'].values()) - c0
        tap.ok(conns <= 101 * STREAMS, '%d stream connections for 100 reloads (%d per '
               'instance)' % (conns, STREAMS))
        ok = wait_until(lambda: proc_tasks(pid) <= base[0] and proc_fds(pid) <= base[1], 5)
        after = (proc_tasks(pid), proc_fds(pid), proc_rss_kb(pid))
        tap.ok(ok, 'threads %d -> %d (peak %d), fds %d -> %d (peak %d)'
               % (base[0], after[0], peak_tasks, base[1], after[1], peak_fds))
        tap.ok(after[2] - base[2] < 4096,
               'RSS %d kB -> %d kB after 100 reloads (+%d kB, peak %d kB; bound +4 MB)'
               % (base[2], after[2], after[2] - base[2], peak_rss))
        tap.diag('reloads: 100 in %.1f s, %d queries (%d failed), threads %d->%d (peak %d), '
                 'fds %d->%d (peak %d), RSS %d->%d kB (peak %d)'
                 % (took, load.sent, load.failed, base[0], after[0], peak_tasks, base[1],
                    after[1], peak_fds, base[2], after[2], peak_rss))
        st = mod_stats(kd)
        tap.ok(st.get('records', 0) > 0 and answers_ok(kd),
               'after the reloads: answers right, records gauge %s' % st.get('records'))
    # old and new instances write the same snapshot path around each reload
    with Knotd(lainlets=['http://127.0.0.1:%d' % free_port()], heartbeat=1,
               extra_mod_conf='snapshot: "%s"' % snap) as kd:
        tap.ok(re.search(r'snapshot \S+ loaded', kd.log()) and answers_ok(kd),
               'the snapshot written around 100 reloads is intact and loads',
               diag=kd.tail(5))


def reload_while_down(tap):
    """Reloads while lainlet is unreachable: the new instance adopts the old table, and
    the data's age (sync-age) is not forgotten."""
    ll = Lainlet().start()
    try:
        with Knotd(lainlets=[ll.url], heartbeat=1, extra_mod_conf='backoff-max: 1') as kd:
            tap.ok(wait_until(lambda: answers_ok(kd), 10), 'synced')
            rec0 = mod_stats(kd).get('records', 0)
            ll.stop()
            time.sleep(3.2)
            age0 = mod_stats(kd).get('sync-age', 0)
            with QueryLoad(kd.port, EXPECT) as load:
                for _ in range(10):
                    kd.knotc('reload')
                    time.sleep(0.05)
                time.sleep(1.2)
            st = mod_stats(kd)
            age1 = st.get('sync-age', 0)
            tap.ok(load.failed == 0 and load.sent > 100,
                   '10 reloads with lainlet down: the last data answers throughout (%s)'
                   % load.summary(), diag=load.diag())
            tap.ok(age0 >= 3 and age1 >= age0 + 1,
                   'sync-age kept across the reloads (%d s before, %d s after)' % (age0, age1),
                   diag=kd.tail(5))
            tap.ok(st.get('records', 0) == rec0,
                   'records gauge after the reloads: %d (before: %d)' % (st.get('records', 0),
                                                                        rec0))
    finally:
        ll.stop()


def watcher_stop_s(log):
    """Seconds the module took to stop its watcher thread, from its log line."""
    m = re.findall(r'watcher stopped in (\d+) ms', log)
    return int(m[-1]) / 1000.0 if m else float('inf')


def stops(tap, tmp):
    core = fixture('coreinfo.json')
    times = []

    def timed_stop(kd):
        """Stops knotd by SIGTERM; returns its exit status and how long the module took
        to stop its watcher (from its log line), the whole stop shown as a diagnostic."""
        t0 = time.monotonic()
        rc = kd.stop(by_signal=True)
        dt = time.monotonic() - t0
        times.append(dt)
        print('# whole stop (SIGTERM to knotd exited): %.3f s' % dt, flush=True)
        return rc, watcher_stop_s(kd.last_log)

    # streams up, then hung (nothing more is written)
    with Lainlet() as ll:
        kd = Knotd(lainlets=[ll.url], heartbeat=1,
                   extra_mod_conf='snapshot: "%s"' % os.path.join(tmp, 's1.snap')).start()
        try:
            wait_until(lambda: answers_ok(kd), 10)
            ll.silence(True)
            time.sleep(1.5)
            rc, dt = timed_stop(kd)
            tap.ok(rc == 0 and dt < 1.0, 'stop with every stream hung: watcher stopped in %.3f s, exit '
                   '%s' % (dt, rc))
        finally:
            kd.stop()
        ll.silence(False)

        # connections open, waiting for their response header
        ll.silence(True)
        kd = Knotd(lainlets=[ll.url], heartbeat=1).start()
        try:
            wait_until(lambda: len(ll.requests()) >= STREAMS, 5)
            time.sleep(0.5)
            rc, dt = timed_stop(kd)
            tap.ok(rc == 0 and dt < 1.0, 'stop while every connection waits for its '
                   'header: watcher stopped in %.3f s, exit %s' % (dt, rc))
        finally:
            kd.stop()
        ll.silence(False)

        # a large document dripping in
        big = copy.deepcopy(core)
        big['bulk.web.web'] = {'PodInfos': [
            {'InstanceNo': i + 1, 'Annotation': '', 'Envs': {}, 'Dependencies': [],
             'ContainerInfos': [{'ContainerId': 'b%d' % i, 'NodeIp': '192.168.10.11',
                                 'ContainerIp': '172.21.%d.%d' % (i // 250, i % 250 + 1),
                                 'Expose': 80, 'NodeName': 'node1'}]} for i in range(2000)]}
        kd = Knotd(lainlets=[ll.url], heartbeat=1).start()
        try:
            wait_until(lambda: answers_ok(kd), 10)
            ll.drip(100, 100)
            ll.set_doc('coreinfo', big)
            time.sleep(1.0)
            rc, dt = timed_stop(kd)
            tap.ok(rc == 0 and dt < 1.0, 'stop while a document drips in: watcher stopped in %.3f s, '
                   'exit %s' % (dt, rc))
        finally:
            kd.stop()
            ll.drip(0)

    # a lainlet that accepts connections and never reads or answers
    import socket
    hole = socket.socket()
    hole.bind(('127.0.0.5', 0))
    hole.listen(64)
    try:
        kd = Knotd(lainlets=['http://127.0.0.5:%d' % hole.getsockname()[1]],
                   heartbeat=1).start()
        try:
            time.sleep(1.0)
            rc, dt = timed_stop(kd)
            tap.ok(rc == 0 and dt < 1.0, 'stop while connected to a peer that never '
                   'accepts: %.3f s, exit %s' % (dt, rc))
        finally:
            kd.stop()
    finally:
        hole.close()
    tap.diag('stop times (SIGTERM to exit): %s' % ', '.join('%.3f s' % t for t in times))


def main(tap):
    harness.require(knotd=True, module=True)
    core = fixture('coreinfo.json')
    tmp = tempfile.mkdtemp(prefix='mod-lain-cluster-')
    try:
        two_instances(tap, core)
        reloads(tap, tmp)
        reload_while_down(tap)
        stops(tap, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    harness.run(main)
