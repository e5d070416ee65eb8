#!/usr/bin/env python3
"""Faults of issue 5 injected under a query load: every known name keeps its answer (no
SERVFAIL, no wrong answer, no timeout) while lainlet misbehaves, and the module
converges once the fault ends.

Faults: lainlet down at start (no snapshot); killed mid-stream (SIGKILL mid-document);
a hung stream; a slow drip; a stream cut mid-document; garbage; a document over
max-document (knotd's RSS sampled while 50 MB stream past); error events; HTTP
400/404/500/503; a redirect to another host (not followed); lainlet flapping every
200 ms and a lainlet that closes every stream right after its init (backoff bounded, no
reconnect storm, threads and fds back to baseline); the mass-drop guard; failover
between two lainlets and failback; https with ca-file (right CA, wrong CA, wrong
name); credentials in the URL never logged.

The load: a thread sending raw UDP queries for five fixture names (A and PTR, ~200 per
second, 1 s timeout). The figures (faults, queries, failures) are printed at the end."""

import contextlib
import copy
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import fixture, with_ip  # noqa: E402
from harness import (FIXTURES, Lainlet, QueryLoad, free_port, mod_stats,  # noqa: E402
                     RssPeak, proc_fds, proc_rss_kb, proc_tasks, query, wait_until)

CORE = '/v2/coreinfowatcher'
DEPS = '/v2/depends'
CONF = '/v2/configwatcher'
PATHS = (CORE, DEPS, CONF)
STREAMS = 5                       # coreinfo, depends, 3 x configwatcher

EXPECT = {
    ('web-1.console.lain', 'A'): ['172.20.1.4'],
    ('web-3.hello.lain', 'A'): ['172.20.3.10'],
    ('worker-2.webrouter.lain', 'A'): ['172.20.2.2'],
    ('redis-2.hello.redis.resource.lain', 'A'): ['172.20.3.20'],
    ('10.1.20.172.in-addr.arpa', 'PTR'): ['web-1.hello.lain.'],
}

FIGURES = []                      # (fault, queries, failed)
DOWN_LINES = []                   # every "stream down for N s ..." line of every knotd
DOWN_RX = re.compile(r'lainlet (\S+) (\S+): stream down for (\d+) s, answering from data '
                     r'(\d+) s old')


class Knotd(harness.Knotd):
    """harness.Knotd that keeps its "stream down for N s" log lines when it stops."""

    def stop(self, timeout=10.0):
        if self.tmp:
            DOWN_LINES.extend(m.group(0) for m in DOWN_RX.finditer(self.log()))
        return super().stop(timeout)



def a_of(kd, name, rtype='A'):
    ans = query(kd.port, name, rtype, timeout=1.0)
    return ans.rcode, sorted(rr[3] for rr in ans.rrs('answer', rtype))


def answers_ok(kd, expect=EXPECT):
    return all(a_of(kd, n, t) == ('NOERROR', sorted(v)) for (n, t), v in expect.items())



def log_since(kd, mark):
    return kd.log()[mark:]


@contextlib.contextmanager
def under_load(tap, kd, fault, expect=EXPECT, **kw):
    """Runs the with-body under a QueryLoad; one TAP line judges the load."""
    load = QueryLoad(kd.port, expect, **kw).start()
    try:
        yield load
    finally:
        load.stop()
        FIGURES.append((fault, load.sent, load.failed))
        tap.ok(load.failed == 0 and load.sent > 0, '%s: load %s' % (fault, load.summary()),
               diag=load.diag() + [kd.tail(12)])


def settle(ll, n=STREAMS, timeout=10.0):
    """Waits until the module has its n streams open on lainlet ll."""
    return wait_until(lambda: sum(ll.streams().values()) >= n, timeout)


# ---------------------------------------------------------------------------
# one-off servers for what lainlet.py does not do

class TinyHttp:
    """An HTTP server on 127.0.0.x answering every request with fixed bytes (or, with
    init_docs, an event stream: the header, an init event of the path's document, then
    the connection closed). Counts connections and keeps the request heads."""

    def __init__(self, host, response=b'', init_docs=None):
        harness.check_loopback(host)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.response = response
        self.init_docs = init_docs
        self.requests = []
        self.conns = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    def _run(self):
        while not self._stop.is_set():
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if not r:
                continue
            try:
                c, _ = self.sock.accept()
            except OSError:
                break
            self.conns += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(3)
        buf = b''
        try:
            while b'\r\n\r\n' not in buf and len(buf) < 65536:
                d = c.recv(4096)
                if not d:
                    break
                buf += d
            self.requests.append(buf)
            if self.init_docs is not None:
                target = buf.split(b' ')[1].decode() if buf.count(b' ') >= 2 else '/'
                doc = self.init_docs(target)
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n'
                          + b'id: 1\nevent: init\ndata: ' + doc + b'\n\n')
            else:
                c.sendall(self.response)
            time.sleep(0.05)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class FlapProxy:
    """A TCP proxy on 127.0.0.1:port to a lainlet that can go down: the listener
    closed (connection refused) and every proxied connection reset."""

    def __init__(self, target_port, host='127.0.0.1'):
        self.host, self.target = host, target_port
        self.port = free_port(host)
        self.accepted = 0
        self.lock = threading.Lock()
        self.pairs = []
        self.lsock = None
        self._stop = threading.Event()
        self.up()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    def up(self):
        with self.lock:
            if self.lsock is None:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.host, self.port))
                s.listen(128)
                self.lsock = s

    def down(self):
        with self.lock:
            if self.lsock is not None:
                self.lsock.close()
                self.lsock = None
            pairs, self.pairs = self.pairs, []
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def active(self):
        with self.lock:
            return len(self.pairs)

    def _accept_loop(self):
        while not self._stop.is_set():
            with self.lock:
                ls = self.lsock
            if ls is None:
                time.sleep(0.01)
                continue
            try:
                r, _, _ = select.select([ls], [], [], 0.02)
                if not r:
                    continue
                c, _ = ls.accept()
            except (OSError, ValueError):
                continue
            try:
                u = socket.create_connection(('127.0.0.1', self.target), timeout=2)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.accepted += 1
                self.pairs.append((c, u))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        try:
            while not self._stop.is_set():
                r, _, _ = select.select([a], [], [], 0.2)
                if not r:
                    continue
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except (OSError, ValueError):
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            self.pairs = [p for p in self.pairs if a not in p]
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def close(self):
        self.down()
        self._stop.set()
        self._thread.join(2)


# ---------------------------------------------------------------------------

def down_at_start(tap):
    """No lainlet when knotd starts, no snapshot: SERVFAIL only, then converge."""
    port = free_port()
    with Knotd(lainlets=['http://127.0.0.1:%d' % port], heartbeat=1,
               extra_mod_conf='backoff-max: 2') as kd:
        with under_load(tap, kd, 'lainlet down at start, no snapshot',
                        servfail_until_ok=True) as load:
            time.sleep(1.5)
            early = dict(load.counts)
            tap.ok(early['unsynced'] > 50 and early['ok'] == 0 and load.failed == 0,
                   'before lainlet is up: SERVFAIL only (%s)' % load.summary())
            t0 = time.monotonic()
            ll = Lainlet(port=port).start()
            try:
                up = wait_until(lambda: load.first_ok is not None, 8)
                dt = time.monotonic() - t0
                tap.ok(up and dt < 3.5, 'lainlet up on that port: answers %.2f s later '
                       '(backoff-max 2 s)' % dt, diag=kd.tail())
                time.sleep(0.5)
            finally:
                ll.stop()


def killed_mid_stream(tap, kd, ll_box):
    ll = ll_box[0]
    port = ll.port
    core = fixture('coreinfo.json')
    st0 = mod_stats(kd)
    with under_load(tap, kd, 'lainlet SIGKILLed mid-document, restarted'):
        # a changed document is half-way through the socket when lainlet dies
        ll.drip(1, 50)
        ll.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.6'))
        time.sleep(0.8)
        harness.stop_process(ll.proc, sig=signal.SIGKILL)
        ll.stop()
        time.sleep(1.0)
        tap.ok(a_of(kd, 'cron-1.hello.lain') == ('NOERROR', ['172.20.2.11']),
               'the half-sent document was not applied')
        ll = ll_box[0] = Lainlet(port=port).start()
        tap.ok(settle(ll, timeout=6), 'streams back on the restarted lainlet',
               diag=kd.tail())
    st1 = mod_stats(kd)
    tap.ok(st1.get('lainlet[disconnects]', 0) - st0.get('lainlet[disconnects]', 0) >= STREAMS,
           'disconnects counted (%d)' % (st1.get('lainlet[disconnects]', 0)
                                         - st0.get('lainlet[disconnects]', 0)))


def hung_stream(tap, kd, ll):
    st0 = mod_stats(kd)
    mark = len(kd.log())
    with under_load(tap, kd, 'hung streams (no bytes, no heartbeats)'):
        t0 = time.monotonic()
        ll.silence(True)
        found = wait_until(lambda: len(re.findall(r'stream down \(heartbeats missed\)',
                                                  log_since(kd, mark))) >= STREAMS, 8)
        dt = time.monotonic() - t0
        # heartbeat 1 s: 3 missed windows (+0.5 s grace) = 3.5 s, plus the poll step
        tap.ok(found and dt <= 4.5, 'all %d hung streams declared dead %.2f s after lainlet '
               'went silent (heartbeat 1 s, window 3.5 s)' % (STREAMS, dt), diag=kd.tail())
        ll.silence(False)
        tap.ok(settle(ll, timeout=6), 'streams back after the silence', diag=kd.tail())
    st1 = mod_stats(kd)
    tap.ok(st1.get('lainlet[heartbeat-misses]', 0) - st0.get('lainlet[heartbeat-misses]', 0)
           >= STREAMS, 'heartbeat-misses counted (%d)'
           % (st1.get('lainlet[heartbeat-misses]', 0) - st0.get('lainlet[heartbeat-misses]',
                                                                 0)))


def slow_drip(tap, kd, ll):
    core = fixture('coreinfo.json')
    mark = len(kd.log())
    with under_load(tap, kd, 'slow drip (1 byte per 100 ms, then a 790 kB document '
                    'at 20 kB per 100 ms)'):
        ll.drip(1, 100)
        ll.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.7'))
        time.sleep(5.0)      # longer than the 3.5 s dead-stream window
        missed = 'heartbeats missed' in log_since(kd, mark)
        age = mod_stats(kd).get('sync-age', 0)
        tap.ok(not missed, 'a drip of 1 byte per 100 ms for 5 s is not a dead stream',
               diag=kd.tail())
        tap.ok(a_of(kd, 'cron-1.hello.lain') == ('NOERROR', ['172.20.2.11']),
               'the document still in transit is not applied')
        tap.diag('during the drip: sync-age %d s (the stream counts as up while the '
                 'document crawls in)' % age)
        ll.drip(0)
        tap.ok(wait_until(lambda: a_of(kd, 'cron-1.hello.lain')[1] == ['172.20.6.7'], 3),
               'drip over: the document applies')

        # a large document: 4000 more containers, dripped for ~3.3 s
        big = with_ip(core, 'hello.worker.cron', 1, '172.20.2.11')
        big['bulk.web.web'] = {'PodInfos': [
            {'InstanceNo': i + 1, 'Annotation': '', 'Envs': {}, 'Dependencies': [],
             'ContainerInfos': [{'ContainerId': 'bulk%05d' % i, 'NodeIp': '192.168.10.11',
                                 'ContainerIp': '172.21.%d.%d' % (i // 250, i % 250 + 1),
                                 'Expose': 80, 'NodeName': 'node1'}]}
            for i in range(4000)]}
        size = len(json.dumps(big, separators=(',', ':')))
        mark2 = len(kd.log())
        ll.drip(20000, 100)
        t0 = time.monotonic()
        ll.set_doc('coreinfo', big)
        got = wait_until(lambda: a_of(kd, 'web-4000.bulk.lain')[1] == ['172.21.15.250'], 12,
                         interval=0.1)
        dt = time.monotonic() - t0
        ll.drip(0)
        tap.ok(got and dt > 3.0 and 'heartbeats missed' not in log_since(kd, mark2),
               'a %d kB document dripped over %.1f s applied, no stream declared dead'
               % (size // 1000, dt), diag=kd.tail())
        # guard off on this instance (drop-guard: 0): going back applies at once
        ll.set_doc('coreinfo', core)
        tap.ok(wait_until(lambda: a_of(kd, 'web-1.bulk.lain')[0] == 'NXDOMAIN', 3),
               'drop-guard 0: the 4000 containers removed at once')


def cut_mid_document(tap, kd, ll):
    core = fixture('coreinfo.json')
    changed = json.dumps(with_ip(core, 'console.web.web', 1, '172.20.6.8'),
                         separators=(',', ':')).encode()
    st0 = mod_stats(kd)
    with under_load(tap, kd, 'stream cut mid-document (3 times)'):
        for cut in (len(changed) // 3, len(changed) // 2, len(changed) - 1):
            ll.raw(CORE, b'id: 90\nevent: update\ndata: ' + changed[:cut])
            time.sleep(0.2)
            ll.drop(CORE)
            settle(ll, timeout=5)
        tap.ok(ll.wait_streams(CORE, 1, 5), 'coreinfo stream reconnected after each cut')
    st1 = mod_stats(kd)
    tap.ok(st1.get('lainlet[documents-refused]', 0) == st0.get('lainlet[documents-refused]', 0)
           and a_of(kd, 'web-1.console.lain')[1] == ['172.20.1.4'],
           'the cut documents were neither applied nor counted as documents')


GARBAGE = [
    b'\x00\x01\x02\xff\xfe binary\x00\n\n',
    b'id: 91\nevent: update\ndata: \xff\xfe{"not utf-8": 1}\n\n',
    b'id: 92\nevent: update\ndata: [1, 2, 3]\n\n',
    b'id: 93\nevent: update\ndata: "a string"\n\n',
    b'id: 94\nevent: update\ndata: {"a": \n\n',
    b'id: 95\nevent: update\ndata: {}}\n\n',
    b'id: 96\nevent: update\ndata: null\n\n',
    b'id: 97\revent: update\rdata: {\r\r',
    b'event: update\ndata: ' + b'{' * 100000 + b'\n\n',
    b':' + b'x' * 300000 + b'\n' + b'retry: 1\nevent: ' + b'e' * 500 + b'\n\n',
]


def garbage(tap, kd, ll):
    st0 = mod_stats(kd)
    with under_load(tap, kd, 'garbage on every stream (%d kinds)' % len(GARBAGE)):
        for g in GARBAGE:
            for path in PATHS:
                ll.raw(path, g)
            time.sleep(0.15)
        rng = random.Random(5)
        blob = bytes(rng.getrandbits(8) for _ in range(200000))
        for path in PATHS:
            ll.raw(path, blob + b'\n\n')
        time.sleep(0.5)
        tap.ok(kd.alive(), 'knotd alive after the garbage')
    st1 = mod_stats(kd)
    refused = (st1.get('lainlet[documents-refused]', 0)
               - st0.get('lainlet[documents-refused]', 0))
    tap.ok(refused >= 5, 'bad documents refused and counted (%d)' % refused)
    # the streams still work: an update after the garbage applies
    core = fixture('coreinfo.json')
    ll.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.9'))
    tap.ok(wait_until(lambda: a_of(kd, 'cron-1.hello.lain')[1] == ['172.20.6.9'], 5),
           'the next good document applies', diag=kd.tail())
    ll.set_doc('coreinfo', core)


def error_events(tap, kd, ll):
    mark = len(kd.log())
    with under_load(tap, kd, 'error events on every stream (5 rounds)'):
        for i in range(5):
            settle(ll, timeout=5)
            ll.error(None, 'etcd unavailable %d' % i)
            time.sleep(0.3)
        tap.ok(settle(ll, timeout=5), 'streams back after the error events')
    n = len(re.findall(r'error event \(etcd unavailable \d\)', log_since(kd, mark)))
    tap.ok(n >= 4 * STREAMS, 'error events logged (%d lines)' % n)


def http_errors(tap, kd, ll):
    for code in (400, 404, 500, 503):
        mark = len(kd.log())
        with under_load(tap, kd, 'HTTP %d from lainlet' % code):
            ll.status(code, 'injected %d' % code)
            ll.drop()
            n = wait_until(lambda: len(re.findall(r'HTTP status %d' % code,
                                                  log_since(kd, mark))) >= STREAMS, 5)
            tap.ok(n, 'HTTP %d logged for every stream' % code, diag=kd.tail())
            time.sleep(0.5)
            t0 = time.monotonic()
            ll.status(0)
            back = settle(ll, timeout=5)
            tap.ok(back, 'HTTP %d over: streams back in %.2f s (backoff-max 2 s)'
                   % (code, time.monotonic() - t0))


def oversize(tap):
    core = fixture('coreinfo.json')
    with Lainlet() as ll, Knotd(lainlets=[ll.url], heartbeat=1,
                                extra_mod_conf='max-document: 1M\nbackoff-max: 2') as kd:
        tap.ok(wait_until(lambda: answers_ok(kd), 10), 'max-document 1M: synced')
        pid = kd.proc.pid
        time.sleep(0.3)
        st0 = mod_stats(kd)
        mark = len(kd.log())
        mb50 = 50 << 20
        docs = [(CORE, b'id: 80\nevent: update\ndata: {"x":"' + b'a' * mb50 + b'"}\n\n'),
                (CORE, b'id: 81\nevent: update\n'
                 + (b'data: ' + b'b' * 1000 + b'\n') * (mb50 // 1007) + b'\n'),
                (DEPS, b'id: 82\nevent: update\ndata: ' + b'[' * mb50 + b'\n\n')]
        with RssPeak(pid, interval=0.01) as rss, \
                under_load(tap, kd, '3 x 50 MB documents against max-document 1M'):
            t0 = time.monotonic()
            for path, doc in docs:
                ll.raw(path, doc)
            n = wait_until(lambda: len(re.findall(r'update event refused \(document over '
                                                  r'1048576 bytes\)',
                                                  log_since(kd, mark))) >= 3, 30)
            dt = time.monotonic() - t0
            time.sleep(1.0)         # and a while after
        base, peak = rss.base, rss.peak
        docs = None
        tap.ok(n, '150 MB streamed in %.1f s, each document refused with a log line' % dt,
               diag=kd.tail())
        tap.ok(peak - base < 8 * 1024,
               'knotd VmRSS bounded: %d kB before, peak %d kB (+%d kB) over %d samples'
               % (base, peak, peak - base, rss.samples))
        st1 = mod_stats(kd)
        tap.ok(st1.get('lainlet[documents-refused]', 0)
               - st0.get('lainlet[documents-refused]', 0) == 3,
               'documents-refused counted 3')
        ll.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.10'))
        tap.ok(wait_until(lambda: a_of(kd, 'cron-1.hello.lain')[1] == ['172.20.6.10'], 3),
               'the same stream applies the next normal document')
        tap.diag('oversize: VmRSS %d kB before, peak %d kB, %d kB after'
                 % (base, peak, proc_rss_kb(pid)))


def redirects(tap):
    target = TinyHttp('127.0.0.2', b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n'
                      b'\r\n')
    loc = b'Location: http://127.0.0.2:%d/v2/coreinfowatcher?watch=1\r\n' % target.port
    servers = []
    try:
        # a redirecting first lainlet, a good second one: the redirect is not followed,
        # the streams fail over, the load sees nothing
        red = TinyHttp('127.0.0.3', b'HTTP/1.1 302 Found\r\n' + loc
                       + b'Content-Type: text/plain\r\nContent-Length: 6\r\n\r\nmoved\n')
        servers.append(red)
        with Lainlet() as ll, Knotd(lainlets=[red.url, ll.url], heartbeat=1,
                                    extra_mod_conf='failback: 1\nbackoff-max: 2') as kd:
            tap.ok(wait_until(lambda: answers_ok(kd), 10), 'redirecting first lainlet: '
                   'synced from the second', diag=kd.tail())
            with under_load(tap, kd, 'a 302 to another host (failback every 1 s)'):
                time.sleep(3.0)
            tap.ok(red.conns >= 2 * STREAMS and target.conns == 0,
                   '%d requests got the 302, %d reached the other host'
                   % (red.conns, target.conns))
            tap.ok(re.search(r'lainlet coreinfo %s: stream down \(HTTP status 302\)'
                             % re.escape(red.url),
                             kd.log()), 'log: HTTP status 302', diag=kd.tail())

        # alone, and in the shapes real servers use: never followed, always logged
        for code, body in ((302, b'moved\n'), (302, b''), (301, b''), (500, b'')):
            resp = (b'HTTP/1.1 %d X\r\n' % code + (loc if code < 400 else b'')
                    + b'Content-Length: %d\r\n\r\n' % len(body) + body)
            srv = TinyHttp('127.0.0.3', resp)
            servers.append(srv)
            with Knotd(lainlets=[srv.url], heartbeat=1) as kd:
                logged = kd.wait_log(r'HTTP status %d' % code, 1.5)
                time.sleep(0.2)
                r = query(kd.port, 'web-1.console.lain').rcode
                tap.ok(logged and target.conns == 0 and r == 'SERVFAIL',
                       'HTTP %d with %s body: %s, not followed (%d reached the other '
                       'host), %s' % (code, 'a %d-byte' % len(body) if body else 'an empty',
                                      'logged' if logged else 'NOT logged as HTTP status',
                                      target.conns, r),
                       diag=[l for l in kd.log().split('\n') if 'coreinfo' in l][:3])
    finally:
        for s in servers:
            s.close()
        target.close()


def flapping(tap):
    with Lainlet() as ll:
        proxy = FlapProxy(ll.port)
        try:
            with Knotd(lainlets=[proxy.url], heartbeat=1,
                       extra_mod_conf='backoff-max: 3') as kd:
                tap.ok(wait_until(lambda: answers_ok(kd) and proxy.active() >= STREAMS, 10),
                       'synced through the proxy')
                pid = kd.proc.pid
                time.sleep(0.5)
                base_tasks, base_fds = proc_tasks(pid), proc_fds(pid)
                max_tasks = max_fds = 0
                before = proxy.accepted
                ll_before = sum(ll.stats()['connections'].values())
                flaps = 0
                with under_load(tap, kd, 'lainlet flapping every 200 ms for 5 s'):
                    end = time.monotonic() + 5.0
                    while time.monotonic() < end:
                        proxy.down()
                        time.sleep(0.2)
                        proxy.up()
                        flaps += 1
                        time.sleep(0.2)
                        max_tasks = max(max_tasks, proc_tasks(pid))
                        max_fds = max(max_fds, proc_fds(pid))
                    conns = proxy.accepted - before
                    ll_conns = sum(ll.stats()['connections'].values()) - ll_before
                    t0 = time.monotonic()
                    back = wait_until(lambda: proxy.active() >= STREAMS and answers_ok(kd), 8)
                    dt = time.monotonic() - t0
                # at most one connection per stream per up period (+1: the last)
                tap.ok(conns <= STREAMS * (flaps + 1),
                       '%d flaps: %d stream connections, %d streams opened on lainlet (bound '
                       '%d = 5 streams x one per up period)'
                       % (flaps, conns, ll_conns, STREAMS * (flaps + 1)))
                tap.ok(back, 'after the flapping: all streams up again in %.1f s '
                       '(backoff-max 3 s)' % dt, diag=kd.tail())
                settled = wait_until(lambda: proc_tasks(pid) <= base_tasks
                                     and proc_fds(pid) <= base_fds, 5)
                tap.ok(settled, 'threads %d (max %d during) -> %d, fds %d (max %d) -> %d'
                       % (base_tasks, max_tasks, proc_tasks(pid), base_fds, max_fds,
                          proc_fds(pid)))
        finally:
            proxy.close()

    # a lainlet that answers every stream with its init, then closes it at once
    docs = {'coreinfo': fixture('coreinfo.json'), 'depends': fixture('depends.json')}
    config = {}
    for fn in ('config-dns_ip.json', 'config-domain.json', 'config-tinydns_fqdns.json'):
        config.update(fixture(fn))

    def init_doc(target):
        if target.startswith(CORE):
            return json.dumps(docs['coreinfo'], separators=(',', ':')).encode()
        if target.startswith(DEPS):
            return json.dumps(docs['depends'], separators=(',', ':')).encode()
        m = re.search(r'target=([a-z_]+)', target)
        prefix = m.group(1) if m else ''
        return json.dumps({k: v for k, v in config.items() if k.startswith(prefix)},
                          separators=(',', ':')).encode()

    srv = TinyHttp('127.0.0.4', init_docs=init_doc)
    try:
        with Knotd(lainlets=[srv.url], heartbeat=1, extra_mod_conf='backoff-max: 3') as kd:
            tap.ok(wait_until(lambda: answers_ok(kd), 10), 'synced from a lainlet that '
                   'closes each stream after its init')
            c0 = srv.conns
            with under_load(tap, kd, 'every stream closed right after its init, 4 s'):
                time.sleep(4.0)
            rate = (srv.conns - c0) / 4.0
            tap.ok(rate <= STREAMS * 2.5,
                   'reconnects to a lainlet that closes after each init: %.1f per s for '
                   '%d streams (bound %.1f: backoff, no storm)' % (rate, STREAMS,
                                                                  STREAMS * 2.5),
                   diag=[l for l in kd.log().split('\n') if 'reconnecting in' in l][-6:])
    finally:
        srv.close()


def big_coreinfo(core, n=40):
    doc = copy.deepcopy(core)
    doc['mass.web.web'] = {'PodInfos': [
        {'InstanceNo': i + 1, 'Annotation': '', 'Envs': {}, 'Dependencies': [],
         'ContainerInfos': [{'ContainerId': 'mass%03d' % i, 'NodeIp': '192.168.10.12',
                             'ContainerIp': '172.20.5.%d' % (i + 1), 'Expose': 80,
                             'NodeName': 'node2'}]} for i in range(n)]}
    return doc


def drop_guard(tap):
    core = fixture('coreinfo.json')
    full = big_coreinfo(core)                   # 15 + 40 containers
    # 90% of the containers removed: keep console, webrouter's 2, and 3 of mass
    kept = {k: v for k, v in full.items() if k in ('console.web.web',
                                                   'webrouter.worker.worker')}
    kept['mass.web.web'] = {'PodInfos': full['mass.web.web']['PodInfos'][:3]}
    expect = {('web-1.console.lain', 'A'): ['172.20.1.4'],
              ('worker-2.webrouter.lain', 'A'): ['172.20.2.2'],
              ('web-3.hello.lain', 'A'): ['172.20.3.10'],
              ('web-30.mass.lain', 'A'): ['172.20.5.30'],
              ('10.1.20.172.in-addr.arpa', 'PTR'): ['web-1.hello.lain.']}
    with Lainlet() as ll:
        ll.set_doc('coreinfo', full)
        with Knotd(lainlets=[ll.url], heartbeat=1,
                   extra_mod_conf='drop-hold: 3\nbackoff-max: 2') as kd:
            tap.ok(wait_until(lambda: answers_ok(kd, expect), 10), 'guard: synced (55 '
                   'containers)')
            st0 = mod_stats(kd)
            rec0 = st0.get('records')

            # 1. held back for drop-hold, then applied
            mark = len(kd.log())
            with under_load(tap, kd, 'mass drop held back (90% of the containers)',
                            expect=expect):
                t0 = time.monotonic()
                ll.set_doc('coreinfo', kept)
                m = kd.wait_log(r'coreinfo: document would remove (\d+) of (\d+) records, '
                                r'held back for 3 s', 3, start=mark)
                tap.ok(m, 'log: %s' % (m.group(0) if m else 'no "held back" line'),
                       diag=kd.tail())
                time.sleep(max(0.0, 2.5 - (time.monotonic() - t0)))
            st1 = mod_stats(kd)
            tap.ok(st1.get('lainlet[documents-held]', 0) - st0.get('lainlet[documents-held]',
                                                                   0) >= 1
                   and st1.get('records') == rec0,
                   'documents-held counted (%d), records unchanged (%s)'
                   % (st1.get('lainlet[documents-held]', 0), st1.get('records')))
            ap = kd.wait_log(r'coreinfo: held document applied after (\d+) s', 3, start=mark)
            dt = time.monotonic() - t0
            gone = wait_until(lambda: a_of(kd, 'web-3.hello.lain')[0] == 'NXDOMAIN', 1)
            tap.ok(ap and gone and 2.9 <= dt <= 4.5,
                   'applied after drop-hold: "%s" (%.1f s after the document)'
                   % (ap.group(0) if ap else 'not applied', dt), diag=kd.tail())
            tap.ok(a_of(kd, 'web-3.mass.lain')[1] == ['172.20.5.3']
                   and a_of(kd, 'web-30.mass.lain')[0] == 'NXDOMAIN',
                   'the held document is what is served now')

            # 2. growth is never held
            ll.set_doc('coreinfo', full)
            tap.ok(wait_until(lambda: answers_ok(kd, expect), 2), 'growth applied at once')

            # 3. held, then a normal document cancels
            mark = len(kd.log())
            normal = with_ip(full, 'hello.worker.cron', 1, '172.20.6.11')
            with under_load(tap, kd, 'mass drop, then a normal document', expect=expect):
                ll.set_doc('coreinfo', kept)
                kd.wait_log(r'held back', 2, start=mark)
                time.sleep(1.0)
                ll.set_doc('coreinfo', normal)
                c = kd.wait_log(r'coreinfo: held document dropped, a normal one came', 2,
                                start=mark)
                time.sleep(3.0)     # past drop-hold
                tap.ok(c and 'held document applied' not in log_since(kd, mark)
                       and a_of(kd, 'cron-1.hello.lain')[1] == ['172.20.6.11'],
                       'a normal document cancels the held one (and applies)',
                       diag=kd.tail())

            # 4. held, then the served document again: cancelled too
            mark = len(kd.log())
            with under_load(tap, kd, 'mass drop, then the served document again',
                            expect=expect):
                ll.set_doc('coreinfo', kept)
                kd.wait_log(r'held back', 2, start=mark)
                time.sleep(1.0)
                ll.set_doc('coreinfo', normal)
                time.sleep(3.0)
                tap.ok('held document applied' not in log_since(kd, mark),
                       'the served document again cancels the held one', diag=kd.tail())

            # 5. tinydns_fqdns with >= 10 records: 12 lines removed is held
            cfg = ll.doc('config')
            cfg2 = dict(cfg)
            cfg2['tinydns_fqdns/bulk'] = json.dumps(['+h%d.ops.lain:10.9.0.%d:300' % (i, i)
                                                     for i in range(1, 31)])
            ll.set_doc('config', cfg2)
            tap.ok(wait_until(lambda: a_of(kd, 'h30.ops.lain')[1] == ['10.9.0.30'], 2),
                   'tinydns_fqdns with 30 more lines applied')
            mark = len(kd.log())
            cfg3 = {k: v for k, v in cfg.items() if not k.startswith('tinydns_fqdns/')}
            ll.set_doc('config', cfg3)
            m = kd.wait_log(r'tinydns_fqdns: document would remove (\d+) of (\d+) records',
                            2, start=mark)
            tap.ok(m and a_of(kd, 'h30.ops.lain')[1] == ['10.9.0.30']
                   and a_of(kd, 'motd.lain', 'TXT')[0] == 'NOERROR',
                   'tinydns_fqdns emptied: held back (%s)' % (m.group(0) if m else 'not held'),
                   diag=kd.tail())
            ll.set_doc('config', cfg)


def failover(tap):
    p1 = free_port()
    l2 = Lainlet().start()
    l1 = None
    try:
        with Knotd(lainlets=['http://127.0.0.1:%d' % p1, l2.url], heartbeat=1,
                   extra_mod_conf='failback: 2\nbackoff-max: 2') as kd:
            t0 = time.monotonic()
            tap.ok(wait_until(lambda: answers_ok(kd), 10) and settle(l2, timeout=5),
                   'first lainlet down: synced from the second in %.2f s'
                   % (time.monotonic() - t0), diag=kd.tail())
            with under_load(tap, kd, 'failover and failback between two lainlets'):
                # the first comes up answering 500: failback tries fail, the second serves
                l1 = Lainlet(port=p1).start()
                l1.status(500, 'not ready')
                mark = len(kd.log())
                tried = kd.wait_log(r'lainlet \S+ http://127\.0\.0\.1:%d: stream down '
                                    r'\(HTTP status 500\)' % p1, 5, start=mark)
                tap.ok(tried and settle(l2, timeout=3),
                       'failback to a first lainlet answering 500: back on the second',
                       diag=kd.tail())
                # the line telling why a stream went down names the URL that failed
                time.sleep(0.3)
                m = re.search(r'lainlet coreinfo (\S+): stream down \(HTTP status 500\)',
                              log_since(kd, mark))
                tap.ok(m and m.group(1) == 'http://127.0.0.1:%d' % p1,
                       'the "stream down" line after the 500 names the URL that failed '
                       '(%s), not the one tried next' % (m and m.group(1)),
                       diag=m and m.group(0))
                # the first heals: within failback (2 s) the streams return to it
                t0 = time.monotonic()
                l1.status(0)
                back = wait_until(lambda: sum(l1.streams().values()) >= STREAMS
                                  and sum(l2.streams().values()) == 0, 8)
                tap.ok(back, 'the first lainlet healthy: all streams back on it in %.1f s '
                       '(failback 2 s)' % (time.monotonic() - t0),
                       diag=[l1.streams(), l2.streams(), kd.tail()])
                # the first is killed: over to the second
                t0 = time.monotonic()
                harness.stop_process(l1.proc, sig=signal.SIGKILL)
                l1.stop()
                moved = settle(l2, timeout=8)
                tap.ok(moved, 'first lainlet killed: streams on the second in %.1f s'
                       % (time.monotonic() - t0), diag=kd.tail())
                # the first back, the second killed: over to the first
                l1 = Lainlet(port=p1).start()
                t0 = time.monotonic()
                harness.stop_process(l2.proc, sig=signal.SIGKILL)
                l2.stop()
                moved = settle(l1, timeout=8)
                tap.ok(moved, 'second killed, first back: streams on the first in %.1f s'
                       % (time.monotonic() - t0), diag=kd.tail())
            core = fixture('coreinfo.json')
            l1.set_doc('coreinfo', with_ip(core, 'hello.worker.cron', 1, '172.20.6.12'))
            tap.ok(wait_until(lambda: a_of(kd, 'cron-1.hello.lain')[1] == ['172.20.6.12'], 2),
                   'converged: updates of the first lainlet apply')
    finally:
        l2.stop()
        if l1 is not None:
            l1.stop()


def https(tap, tmp):
    good = harness.make_cert(tmp, 'lainlet', '127.0.0.1')
    other = harness.make_cert(tmp, 'other', '127.0.0.1')
    wrong_name = harness.make_cert(tmp, 'wrongname', '127.0.0.2')
    if not (good and other and wrong_name):
        tap.skip('https lainlet', 'openssl cannot make certificates')
        return
    with Lainlet(tls_cert=good[0], tls_key=good[1]) as ll:
        with Knotd(lainlets=[ll.url], heartbeat=1,
                   extra_mod_conf='ca-file: "%s"\nbackoff-max: 2' % good[0]) as kd:
            tap.ok(wait_until(lambda: answers_ok(kd), 10),
                   'https lainlet, ca-file with its CA: synced', diag=kd.tail())
            with under_load(tap, kd, 'https streams dropped and hung'):
                ll.drop()
                settle(ll, timeout=5)
                ll.silence(True)
                time.sleep(4.2)
                ll.silence(False)
                tap.ok(settle(ll, timeout=6), 'https streams back after drop and hang')
        with Knotd(lainlets=[ll.url], heartbeat=1,
                   extra_mod_conf='ca-file: "%s"' % other[0]) as kd:
            m = kd.wait_log(r'lainlet coreinfo https://\S+: stream down \(([^)]*(?:SSL|'
                            r'certificate)[^)]*)\)', 3)
            time.sleep(0.3)
            r = query(kd.port, 'web-1.console.lain').rcode
            tap.ok(m and r == 'SERVFAIL' and mod_stats(kd).get('lainlet[connects]', 0) == 0,
                   'https with a wrong CA: refused (%s), no sync (%s)'
                   % (m.group(1)[:90] if m else 'no log line', r), diag=kd.tail(5))
    # a certificate from the right CA but for another address
    with Lainlet(tls_cert=wrong_name[0], tls_key=wrong_name[1]) as ll:
        with Knotd(lainlets=[ll.url], heartbeat=1,
                   extra_mod_conf='ca-file: "%s"' % wrong_name[0]) as kd:
            m = kd.wait_log(r'lainlet coreinfo https://\S+: stream down \(([^)]*(?:SSL|'
                            r'certificate|subject)[^)]*)\)', 3)
            time.sleep(0.3)
            r = query(kd.port, 'web-1.console.lain').rcode
            tap.ok(m and r == 'SERVFAIL' and mod_stats(kd).get('lainlet[connects]', 0) == 0,
                   'https, certificate for 127.0.0.2 served on 127.0.0.1: refused (%s), no '
                   'sync (%s)' % (m.group(1)[:90] if m else 'no log line', r),
                   diag=kd.tail(5))


def credentials(tap):
    secret = 'Pa55-secret-word'
    with Lainlet() as ll:
        url = 'http://lainuser:%s@127.0.0.1:%d' % (secret, ll.port)
        dead = 'http://other:%s@127.0.0.1:%d/' % (secret, free_port())
        with Knotd(lainlets=[dead, url], heartbeat=1,
                   extra_mod_conf='failback: 1\nbackoff-max: 1') as kd:
            tap.ok(wait_until(lambda: answers_ok(kd), 10), 'URL with credentials: synced',
                   diag=kd.tail())
            with under_load(tap, kd, 'faults on a lainlet URL with credentials'):
                ll.error(None, 'boom')
                settle(ll, timeout=5)
                ll.status(500)
                ll.drop()
                time.sleep(1.5)
                ll.status(0)
                settle(ll, timeout=5)
                ll.raw(CORE, b'id: 5\nevent: update\ndata: {broken\n\n')
                time.sleep(1.0)
            log = kd.log()
            tap.ok(secret not in log and 'lainuser:' not in log and '***@127.0.0.1' in log,
                   'credentials never in the log (%d lines naming the redacted URL)'
                   % log.count('***@127.0.0.1'),
                   diag=[l for l in log.split('\n') if secret in l][:5])
        # a password with a raw '@' (curl refuses the URL): no part of it in the log
        url = 'http://lainuser:first-half@second-half@127.0.0.1:%d' % ll.port
        with Knotd(lainlets=[url], heartbeat=1) as kd:
            kd.wait_log(r'stream down', 2)
            time.sleep(0.3)
            log = kd.log()
            tap.ok('second-half' not in log and 'first-half' not in log,
                   'a password with a raw "@" never in the log, not even in part',
                   diag=[l for l in log.split('\n') if '-half' in l][:3])


def main(tap):
    harness.require(knotd=True, module=True)
    t_start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix='mod-lain-faults-')
    try:
        down_at_start(tap)

        ll_box = [Lainlet().start()]
        try:
            with Knotd(lainlets=[ll_box[0].url], heartbeat=1,
                       extra_mod_conf='backoff-max: 2\ndrop-guard: 0') as kd:
                tap.ok(wait_until(lambda: answers_ok(kd), 10), 'synced', diag=kd.tail())
                pid = kd.proc.pid
                killed_mid_stream(tap, kd, ll_box)
                ll = ll_box[0]
                hung_stream(tap, kd, ll)
                slow_drip(tap, kd, ll)
                cut_mid_document(tap, kd, ll)
                garbage(tap, kd, ll)
                error_events(tap, kd, ll)
                http_errors(tap, kd, ll)
                tap.ok(kd.alive() and kd.proc.pid == pid and answers_ok(kd),
                       'knotd alive and answering after the faults')
        finally:
            ll_box[0].stop()

        oversize(tap)
        redirects(tap)
        flapping(tap)
        drop_guard(tap)
        failover(tap)
        https(tap, tmp)
        credentials(tap)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bogus = [l for l in DOWN_LINES if not 29 <= int(DOWN_RX.search(l).group(3)) < 10 ** 6]
    tap.ok(not bogus, '"stream down for N s" lines only after 30 s down, N sane (%d lines '
           'in all, %d bogus)' % (len(DOWN_LINES), len(bogus)), diag=bogus[:5])
    sent = sum(f[1] for f in FIGURES)
    failed = sum(f[2] for f in FIGURES)
    tap.diag('figures: %d faults injected under load, %d queries sent during them, '
             '%d wrong or failed answers (%.0f s)'
             % (len(FIGURES), sent, failed, time.monotonic() - t_start))
    for name, n, bad in FIGURES:
        tap.diag('  %-70s %6d queries %4d failed' % (name[:70], n, bad))


if __name__ == '__main__':
    harness.run(main)
