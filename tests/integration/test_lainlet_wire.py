#!/usr/bin/env python3
"""The test lainlet itself, checked with raw sockets, so the module's tests can trust it.

Needs nothing but Python: no knotd, no module."""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import fixture  # noqa: E402
from harness import FIXTURES, Lainlet, SseClient, wait_until  # noqa: E402

CORE = '/v2/coreinfowatcher'
CONF = '/v2/configwatcher'
DEPS = '/v2/depends'
HEADER = (b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n'
          b'Vary: Accept-Encoding\r\n\r\n')



def compact(obj):
    """Compact JSON with sorted keys: the fixtures' coreinfo, whose Go structs declare
    their fields in sorted order."""
    return json.dumps(obj, separators=(',', ':'), sort_keys=True, ensure_ascii=False)


def raw_http(port, request, timeout=5.0):
    """Sends request bytes, returns (status line, headers dict, body) of one response
    read by Content-Length (the connection stays usable: returns the socket too)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    s.sendall(request)
    return s, read_response(s, timeout)


def read_response(s, timeout=5.0):
    buf = b''
    deadline = time.monotonic() + timeout
    while b'\r\n\r\n' not in buf:
        s.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, body = buf.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get('content-length', '-1'))
    while n >= 0 and len(body) < n and time.monotonic() < deadline:
        s.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return lines[0], headers, body


def stream(ll, target):
    return SseClient('127.0.0.1', ll.port, target)


def main(tap):
    core = fixture('coreinfo.json')
    config = {}
    for fn in ('config-dns_ip.json', 'config-domain.json', 'config-tinydns_fqdns.json'):
        config.update(fixture(fn))

    with Lainlet() as ll:
        tap.ok(ll.port and ll.url.startswith('http://127.0.0.1:'),
               'lainlet.py started on 127.0.0.1, port %s from the port file' % ll.port)

        # -- stream header and init --------------------------------------------
        with stream(ll, CORE + '?watch=1') as c:
            head = c.read_header()
            tap.ok(head == HEADER, 'watch stream: exact header bytes, no Content-Length, '
                   'no chunking', diag='got %r' % head)
            ev = c.next_event(5)
            tap.ok(ev and ev['id'] == '1' and ev['event'] == 'init',
                   'first event is init with id 1', diag='got %r' % (ev,))
            tap.ok(ev and ev['raw'] == ('id: 1\nevent: init\ndata: %s\n\n'
                                        % compact(core)).encode(),
                   'init is `id: 1\\nevent: init\\ndata: <compact JSON>\\n\\n` of coreinfo.json',
                   diag='got %r' % (ev and ev['raw'][:200]))
            n = ll.wait_streams(CORE, 1, 5)
            tap.ok(n == 1, '/_ctl/streams counts the open stream', diag='streams %r'
                   % ll.streams())
            quiet = c.read_some(0.3)
            tap.ok(quiet == b'', 'no heartbeat without heartbeat=N', diag=repr(quiet))

        tap.ok(wait_until(lambda: ll.streams()[CORE] == 0, 5),
               'a closed client stream disappears from /_ctl/streams')

        # -- heartbeats -----------------------------------------------------------
        with stream(ll, CORE + '?watch=1&heartbeat=1') as c:
            c.read_header()
            c.next_event(5)
            t0 = time.monotonic()
            e1 = c.next_event(3)
            t1 = time.monotonic()
            e2 = c.next_event(3)
            t2 = time.monotonic()
            tap.ok(e1 and e2 and e1['raw'] == b'id: 0\nevent: heartbeat\n\n' == e2['raw'],
                   'heartbeat=1: `id: 0\\nevent: heartbeat\\n\\n` events',
                   diag='%r %r' % (e1, e2))
            tap.ok(0.7 <= t1 - t0 <= 1.5 and 0.7 <= t2 - t1 <= 1.5,
                   'heartbeat=1: one every second', diag='after %.2f s, then %.2f s'
                   % (t1 - t0, t2 - t1))

        # -- updates -------------------------------------------------------------------
        with stream(ll, CORE + '?watch=1&heartbeat=0') as c:
            c.read_header()
            c.next_event(5)
            new = dict(core)
            new['extra.web.web'] = {'PodInfos': []}
            ll.set_doc('coreinfo', new)
            ev = c.next_event(5)
            tap.ok(ev and ev['event'] == 'update' and ev['id'] == '2'
                   and ev['data'] == compact(new),
                   'a key added by /_ctl/doc: update event, id 2 (after init\'s 1), whole '
                   'document', diag='got %r' % (ev and ev['raw'][:120]))
            ll.set_doc('coreinfo', core)
            ev = c.next_event(5)
            tap.ok(ev and ev['event'] == 'delete' and ev['id'] == '4'
                   and ev['data'] == compact(core),
                   'a key removed: delete event, the id skips a number (4, as lainlet\'s '
                   'ids do), the whole remaining document',
                   diag='got %r' % (ev and ev['raw'][:120]))
            ll.set_doc('coreinfo', core)
            tap.ok(c.read_some(0.3) == b'', 'an unchanged document sends nothing')
            with stream(ll, CORE + '?watch=1&heartbeat=0') as c2:
                c2.read_header()
                c2.next_event(5)
                ll.wait_streams(CORE, 2, 5)
                ll.set_doc('coreinfo', core, force=True)
                ev = c.next_event(5)
                ev2 = c2.next_event(5)
                tap.ok(ev and ev['event'] == 'update' and ev['id'] == '7' and
                       ev['data'] == compact(core),
                       'force=1 sends an identical snapshot as update', diag=repr(ev))
                tap.ok(ev2 and ev2['event'] == 'update' and ev2['id'] == '2',
                       'ids are counted per stream: a newer stream\'s first update is 2',
                       diag=repr(ev2))

        # -- config: prefix selection ------------------------------------------------
        with stream(ll, CONF + '?target=domain&watch=1') as c, \
                stream(ll, CONF + '?target=tinydns_fqdns&watch=1') as t:
            c.read_header()
            t.read_header()
            ev = c.next_event(5)
            tap.ok(ev and ev['data'] == '{"domain":"example.com"}',
                   'configwatcher?target=domain selects the exact key domain (not '
                   'domains/*.lain)', diag=repr(ev))
            ev = t.next_event(5)
            tap.ok(ev and all(k.startswith('tinydns_fqdns/') for k in json.loads(ev['data']))
                   and len(json.loads(ev['data'])) == 5,
                   'configwatcher?target=tinydns_fqdns: the 5 tinydns_fqdns keys',
                   diag=repr(ev))
            ll.wait_streams(CONF, 2, 5)
            conf2 = dict(config)
            conf2['tinydns_fqdns/new'] = '["+new.lain:1.2.3.4:300"]'
            ll.set_doc('config', conf2)
            ev = t.next_event(5)
            tap.ok(ev and ev['event'] == 'update' and 'tinydns_fqdns/new' in ev['data'],
                   'config change: the tinydns_fqdns watcher gets an update', diag=repr(ev))
            tap.ok(c.read_some(0.3) == b'', '... and the domain watcher, whose selection '
                   'did not change, gets nothing')
            ll.set_doc('config', config)
            ev = t.next_event(5)
            tap.ok(ev and ev['event'] == 'delete', 'config key removed: delete',
                   diag=repr(ev))
            ll.set_doc('config', {k: v for k, v in config.items() if k != 'domain'})
            ev = c.next_event(5)
            tap.ok(ev and ev['event'] == 'delete' and json.loads(ev['data']) ==
                   {'domains/*.lain': config['domains/*.lain']},
                   'without the key domain, target=domain prefix-matches: a delete with '
                   'the whole selection (domains/*.lain)', diag=repr(ev))
            ll.set_doc('config', config)

        # -- Go member order: map keys sorted, struct fields declared --------------------
        with stream(ll, DEPS + '?watch=1') as c:
            c.read_header()
            ev = init = c.next_event(5)
            portal = ('{"ContainerID":"p1","NodeIP":"192.168.10.11","IP":"172.20.1.40",'
                      '"Port":6379}')
            tap.ok(ev and portal in ev['data'] and
                   json.loads(ev['data']) == fixture('depends.json'),
                   'depends containers in Go struct order: ContainerID, NodeIP, IP, Port',
                   diag=repr(ev and ev['raw'][:300]))
            ll.wait_streams(DEPS, 1, 5)
            deps = fixture('depends.json')
            shuffled = {k: dict(reversed(list(v.items()))) for k, v in deps.items()}
            for nodes in shuffled.values():
                for apps in nodes.values():
                    for item in apps.values():
                        item['Containers'] = [dict(reversed(list(x.items())))
                                              for x in item['Containers']]
            ll.set_doc('depends', shuffled, force=True)
            ev = c.next_event(5)
            tap.ok(ev and init and ev['data'] == init['data'],
                   'a document set in any member order goes out in Go\'s (maps sorted)',
                   diag=repr(ev and ev['raw'][:300]))
            pod = 'resource.redis.hello.portal.portal-redis'
            del deps[pod]['node2']['billing']
            ll.set_doc('depends', deps)
            ev = c.next_event(5)
            tap.ok(ev and ev['event'] == 'delete' and json.loads(ev['data']) == deps,
                   'a portal\'s client app removed (an etcd delete below the top level): '
                   'delete with the whole remaining document', diag=repr(ev and ev['raw'][:300]))
            ll.set_doc('depends', fixture('depends.json'))

        # -- appname, watch=true, watch=0 -----------------------------------------------
        with stream(ll, CORE + '?appname=resource.redis.hello&watch=true') as c:
            c.read_header()
            ev = c.next_event(5)
            tap.ok(ev and list(json.loads(ev['data'])) == ['resource.redis.hello.worker.redis'],
                   'coreinfowatcher?appname=A selects that app (dotted app names too); '
                   'watch=true streams', diag=repr(ev))

        # -- one-shot GET ------------------------------------------------------------------
        s, (status, headers, body) = raw_http(
            ll.port, b'GET /v2/configwatcher?target=dns_ip HTTP/1.1\r\nHost: x\r\n\r\n')
        try:
            tap.ok(status == 'HTTP/1.1 200 OK' and headers.get('content-type')
                   == 'application/json' and int(headers.get('content-length', -1))
                   == len(body) and body == b'{"dns_ip":"192.168.10.53"}',
                   'one-shot GET: 200, Content-Length, the JSON body',
                   diag='%r %r %r' % (status, headers, body))
            s.sendall(b'GET /v2/depends?watch=0 HTTP/1.1\r\nHost: x\r\n\r\n')
            status, headers, body = read_response(s)
            tap.ok(status == 'HTTP/1.1 200 OK' and json.loads(body) == fixture('depends.json'),
                   'keep-alive: a second one-shot (watch=0) on the same connection',
                   diag='%r %r' % (status, body[:100]))
        finally:
            s.close()

        # -- 404 -------------------------------------------------------------------------
        s, (status, headers, body) = raw_http(ll.port, b'GET /v2/nosuch?watch=1 HTTP/1.1\r\n'
                                              b'Host: x\r\n\r\n')
        s.close()
        tap.ok(status.startswith('HTTP/1.1 404') and headers.get('content-type', '')
               .startswith('text/plain') and body == b'404 page not found\n',
               'unknown path: 404 with a plain-text body', diag='%r %r' % (status, body))

        # -- status override -----------------------------------------------------------
        ll.status(500, 'etcd is down')
        with stream(ll, CORE + '?watch=1') as c:
            head = c.read_header()
            data, eof = c.read_all(2)
            ok = (head is not None and head.startswith(b'HTTP/1.1 500 ')
                  and b'Content-Length: 13' in head and data == b'etcd is down\n')
            tap.ok(ok, '/_ctl/status 500: a watch request gets 500 with a plain-text body',
                   diag='%r %r' % (head, data))
        ll.status(0)
        with stream(ll, CORE + '?watch=1') as c:
            tap.ok(c.read_header() == HEADER, '/_ctl/status 0: streams again')

        # -- drop ----------------------------------------------------------------------
        cs = [stream(ll, CORE + '?watch=1'), stream(ll, CONF + '?target=domain&watch=1')]
        try:
            for c in cs:
                c.read_header()
                c.next_event(5)
            ll.wait_streams(CONF, 1, 5)
            n = ll.drop(CORE)
            _, eof0 = cs[0].read_all(3)
            tap.ok(n == 1 and eof0 and not cs[1].read_some(0.2) and not cs[1].eof,
                   '/_ctl/drop?path=: closes the streams of that path only',
                   diag='dropped %s eof %s' % (n, eof0))
            n = ll.drop()
            _, eof1 = cs[1].read_all(3)
            tap.ok(n == 1 and eof1, '/_ctl/drop: closes every stream')
            tap.ok(wait_until(lambda: sum(ll.streams().values()) == 0, 5),
                   'no open stream left after drop', diag=repr(ll.streams()))
        finally:
            for c in cs:
                c.close()

        # -- error event -----------------------------------------------------------------
        with stream(ll, DEPS + '?watch=1') as c:
            c.read_header()
            c.next_event(5)
            ll.wait_streams(DEPS, 1, 5)
            ll.error(DEPS, 'not authorized')
            data, eof = c.read_all(3)
            tap.ok(data == b'id: 0\nevent: error\ndata: not authorized\n\n' and eof,
                   '/_ctl/error: `id: 0\\nevent: error\\ndata: msg\\n\\n`, then the stream '
                   'closes', diag='%r eof=%s' % (data, eof))

        # -- raw bytes ---------------------------------------------------------------------
        with stream(ll, CORE + '?watch=1') as c:
            c.read_header()
            c.next_event(5)
            ll.wait_streams(CORE, 1, 5)
            junk = b'id: 7\nevent: update\ndata: {"cut": \x00\xff'
            n = ll.raw(CORE, junk)
            got = b''
            deadline = time.monotonic() + 3
            while len(got) < len(junk) and time.monotonic() < deadline:
                got += c.read_some(0.2)
            tap.ok(n == 1 and got == junk, '/_ctl/raw: the bytes as-is',
                   diag='%s %r' % (n, got))

        # -- silence -----------------------------------------------------------------------
        with stream(ll, CORE + '?watch=1&heartbeat=0.2') as c:
            c.read_header()
            c.next_event(5)
            ll.wait_streams(CORE, 1, 5)
            tap.ok(c.next_event(2) is not None, 'fractional heartbeat (0.2 s) works')
            ll.silence(True)
            c.read_some(0.1)    # a heartbeat may have been on its way
            quiet = c.read_some(1.0)
            new = dict(core)
            new['silent.web.web'] = {'PodInfos': []}
            ll.set_doc('coreinfo', new)
            quiet += c.read_some(0.5)
            with stream(ll, CORE + '?watch=1') as c2:
                tap.ok(quiet == b'' and not c.eof and c2.read_some(0.5) == b''
                       and not c2.eof,
                       '/_ctl/silence on: no heartbeat, no update, not even a new '
                       'stream\'s header; connections stay open', diag=repr(quiet))
                ll.silence(False)
                tap.ok(c2.read_header(3) == HEADER and json.loads(c2.next_event(3)['data'])
                       == new, 'silence off: the waiting stream gets its header and init')
            ev = c.next_event_of(('update',), 3)
            hb = c.next_event_of(('heartbeat',), 3)
            tap.ok(ev and json.loads(ev['data']) == new and hb,
                   'silence off: the queued update goes out, heartbeats resume')
            ll.set_doc('coreinfo', core)

        # -- drip ----------------------------------------------------------------------------
        with stream(ll, CORE + '?watch=1') as c:
            c.read_header()
            c.next_event(5)
            ll.wait_streams(CORE, 1, 5)
            ll.drip(2, 50)
            t0 = time.monotonic()
            ll.raw(CORE, b'0123456789')
            pieces = []
            deadline = time.monotonic() + 5
            while sum(map(len, pieces)) < 10 and time.monotonic() < deadline:
                p = c.read_some(0.5)
                if p:
                    pieces.append(p)
            dt = time.monotonic() - t0
            ll.drip(0)
            tap.ok(b''.join(pieces) == b'0123456789' and len(pieces) >= 3 and dt >= 0.15,
                   '/_ctl/drip 2 bytes per 50 ms: the bytes arrive slowly, in pieces',
                   diag='%r in %.2f s' % (pieces, dt))

        # -- client disconnects do not hurt the server ---------------------------------
        for _ in range(5):
            c = stream(ll, CORE + '?watch=1&heartbeat=0.05')
            c.read_header()
            # reset instead of FIN
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            c.close()
        with stream(ll, CORE + '?watch=1') as c:
            tap.ok(c.read_header() == HEADER and c.next_event(5)['event'] == 'init',
                   'clients resetting their streams do not hurt the server')
        tap.ok(wait_until(lambda: sum(ll.streams().values()) == 0, 5),
               'reset streams are forgotten', diag=repr(ll.streams()))

        # -- concurrent updates: writes to one stream never interleave ---------------------
        cs = [stream(ll, CORE + '?watch=1&heartbeat=0.01') for _ in range(3)]
        try:
            for c in cs:
                c.read_header()
                c.next_event(5)
            ll.wait_streams(CORE, 3, 5)
            big = 'x' * 200000
            errors = []

            def pusher(k):
                try:
                    for i in range(10):
                        d = dict(core)
                        d['p%d.web.web' % k] = {'PodInfos': [], 'pad': big, 'i': i}
                        ll.set_doc('coreinfo', d)
                except Exception as e:      # noqa: BLE001
                    errors.append(e)

            ths = [threading.Thread(target=pusher, args=(k,)) for k in range(2)]
            for th in ths:
                th.start()
            for th in ths:
                th.join(30)
            ll.set_doc('coreinfo', {'last': {'PodInfos': []}})
            good = True
            why = ''
            for c in cs:
                last_id = 1
                while True:
                    ev = c.next_event(10)
                    if ev is None:
                        good, why = False, 'stream ended early'
                        break
                    if ev['event'] == 'heartbeat':
                        if ev['raw'] != b'id: 0\nevent: heartbeat\n\n':
                            good, why = False, 'bad heartbeat %r' % ev['raw'][:80]
                            break
                        continue
                    if ev['event'] not in ('update', 'delete'):
                        good, why = False, 'bad event %r' % ev['raw'][:80]
                        break
                    try:
                        doc = json.loads(ev['data'])
                    except ValueError:
                        good, why = False, 'bad JSON in %r' % ev['raw'][:80]
                        break
                    if int(ev['id']) <= last_id:
                        good, why = False, 'id %s after %d' % (ev['id'], last_id)
                        break
                    last_id = int(ev['id'])
                    if doc == {'last': {'PodInfos': []}}:
                        break
            tap.ok(good and not errors, 'two writers, 3 streams, 200 kB updates between '
                   '100 heartbeats a second: every event whole, ids increasing',
                   diag='%s %r' % (why, errors))
        finally:
            for c in cs:
                c.close()
        ll.set_doc('coreinfo', core)

        # -- requests log ------------------------------------------------------------------
        reqs = ll.requests()
        tap.ok(any(r['path'] == CORE and 'heartbeat=1' in r['query'] for r in reqs),
               '/_ctl/requests lists the /v2 requests with their query strings')

        # -- SIGTERM ----------------------------------------------------------------------
        c = stream(ll, CORE + '?watch=1&heartbeat=1')
        c.read_header()
        ll.wait_streams(CORE, 1, 5)
        t0 = time.monotonic()
        rc = ll.stop()
        dt = time.monotonic() - t0
        _, eof = c.read_all(2)
        c.close()
        tap.ok(rc == 0 and eof and dt < 4, 'SIGTERM with an open stream: exit 0, '
               'the stream is closed', diag='rc=%s eof=%s in %.2f s' % (rc, eof, dt))

    # -- only 127.0.0.0/8 ------------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([sys.executable, harness.LAINLET_PY, '--fixtures', FIXTURES,
                            '--listen', '0.0.0.0', '--port', '0', '--port-file',
                            os.path.join(tmp, 'port')], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        tap.ok(p.returncode != 0 and not os.path.exists(os.path.join(tmp, 'port')),
               'lainlet.py refuses to listen outside 127.0.0.0/8', diag=p.stderr)

    # -- HTTPS (for the module's ca-file) -------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        pair = harness.make_cert(tmp)
        if pair is None:
            tap.skip('HTTPS stream with a self-signed certificate', 'openssl not available')
        else:
            with Lainlet(tls_cert=pair[0], tls_key=pair[1]) as ll:
                with SseClient('127.0.0.1', ll.port, CONF + '?target=dns_ip&watch=1',
                               tls_ca=pair[0]) as c:
                    head = c.read_header()
                    ev = c.next_event(5)
                    tap.ok(ll.url.startswith('https://') and head == HEADER and ev
                           and ev['data'] == '{"dns_ip":"192.168.10.53"}',
                           'HTTPS: same stream over TLS, certificate verified with '
                           'make_cert()\'s CA', diag='%r %r' % (head, ev))
                    tap.ok(ll.streams()[CONF] == 1, 'HTTPS: the control API works too')

    # -- a second listen address in 127/8 ------------------------------------------------
    with Lainlet(listen='127.0.0.2') as ll2:
        st, _, body = ll2.request('GET', '/v2/configwatcher?target=dns_ip')
        tap.ok(st == 200 and ll2.url.startswith('http://127.0.0.2:'),
               'listens on another 127/8 address', diag=body)


if __name__ == '__main__':
    harness.run(main)
