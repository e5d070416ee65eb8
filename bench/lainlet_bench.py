#!/usr/bin/env python3
"""A lainlet for benchmarks: lainlet's wire format (as tests/integration/lainlet.py),
documents kept as bytes, so a 70 MB coreinfo is pushed without re-encoding it.

    lainlet_bench.py --fixtures DIR --listen 127.0.0.1 --port 0 --port-file F

Serves /v2/coreinfowatcher, /v2/depends, /v2/configwatcher?target=P (one-shot or
watch=1 with heartbeat=N), exactly the stream format of the test lainlet: the bare
header, `init` (id 1), `heartbeat` (id 0), `update` (increasing id). The documents are
DIR/coreinfo.json and DIR/depends.json as they are (compact JSON without newlines,
as gen_cluster.py writes them) and the merged DIR/config-*.json.

Control API:
  POST /_ctl/doc?name=coreinfo|depends|config[&force=1]   body = whole new document
  POST /_ctl/setip?old=A.B.C.D&new=E.F.G.H    moves the container with ContainerIp old
        to new (a byte replace in the coreinfo document) and pushes an update
  POST /_ctl/same?name=coreinfo                pushes the current document again
        (an identical snapshot, as lainlet may send after a reconnect of its backend)
  GET  /_ctl/stats                             {"streams": {path: n}, "index": N}
Every pushing control waits until the event is written to every open stream of the
document (at most 120 s) and answers {"index", "notified", "sends": [[t_start, t_end]]}
with time.monotonic() (CLOCK_MONOTONIC, comparable across processes) taken just
before the first byte of the event and after its last byte went to the socket.
Only 127.0.0.0/8. Every stream has its own writer thread; the process stops on
SIGTERM/SIGINT.
"""

import argparse
import ipaddress
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

HEADER = (b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n'
          b'Vary: Accept-Encoding\r\n\r\n')
PATHS = {'/v2/coreinfowatcher': 'coreinfo', '/v2/depends': 'depends',
         '/v2/configwatcher': 'config'}


def go_json(obj):
    text = json.dumps(obj, separators=(',', ':'), sort_keys=True, ensure_ascii=False)
    for ch, esc in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026')):
        text = text.replace(ch, esc)
    return text.encode('utf-8')


def event(ev_id, name, data=None):
    out = b'id: %d\nevent: %s\n' % (ev_id, name.encode())
    if data is not None:
        out += b'data: ' + data.replace(b'\n', b'\ndata: ') + b'\n'
    return out + b'\n'


class Item:
    def __init__(self, data):
        self.data = data
        self.t_start = self.t_end = None
        self.done = threading.Event()


class Stream:
    def __init__(self, sock, path, docname, target, heartbeat):
        self.sock = sock
        self.path = path
        self.docname = docname
        self.target = target
        self.heartbeat = heartbeat
        self.queue = []
        self.cond = threading.Condition()
        self.closed = False
        self.last = None

    def push(self, item):
        with self.cond:
            if self.closed:
                item.done.set()
                return False
            self.queue.append(item)
            self.cond.notify()
            return True

    def run(self, stopping):
        hb = self.heartbeat
        next_hb = time.monotonic() + hb if hb > 0 else None
        try:
            while not stopping.is_set():
                with self.cond:
                    item = None
                    while not self.queue and not stopping.is_set():
                        now = time.monotonic()
                        if next_hb is not None and now >= next_hb:
                            break
                        wait = 0.5 if next_hb is None else min(0.5, next_hb - now)
                        self.cond.wait(max(wait, 0.001))
                    if self.queue:
                        item = self.queue.pop(0)
                if stopping.is_set():
                    break
                if item is None:
                    self.sock.sendall(event(0, 'heartbeat'))
                    next_hb = time.monotonic() + hb
                    continue
                item.t_start = time.monotonic()
                try:
                    self.sock.sendall(item.data)
                finally:
                    item.t_end = time.monotonic()
                    item.done.set()
        except OSError:
            pass
        finally:
            with self.cond:
                self.closed = True
                for it in self.queue:
                    it.done.set()
                self.queue = []


class State:
    def __init__(self, fixtures):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.streams = []
        self.index = 1
        self.docs = {}
        for name in ('coreinfo', 'depends'):
            p = os.path.join(fixtures, name + '.json')
            data = b'{}'
            if os.path.exists(p):
                with open(p, 'rb') as f:
                    data = f.read().strip()
            if b'\n' in data:   # keep one data: line, like lainlet's compact JSON
                data = go_json(json.loads(data))
            self.docs[name] = data
        config = {}
        for fn in sorted(os.listdir(fixtures)):
            if fn.startswith('config-') and fn.endswith('.json'):
                with open(os.path.join(fixtures, fn), encoding='utf-8') as f:
                    config.update(json.load(f))
        self.config = config

    def selection(self, docname, target):
        if docname != 'config':
            return self.docs[docname]
        return go_json({k: v for k, v in self.config.items()
                        if not target or k.startswith(target)})

    def push(self, docname, force=False):
        """Queues the document's new state to its streams; returns (index, items)."""
        with self.lock:
            self.index += 1
            idx = self.index
            items = []
            for s in list(self.streams):
                if s.docname != docname or s.closed:
                    continue
                sel = self.selection(docname, s.target)
                if sel == s.last and not force:
                    continue
                s.last = sel
                it = Item(event(idx, 'update', sel))
                if s.push(it):
                    items.append(it)
        return idx, items


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(30)
        f = sock.makefile('rb')
        try:
            line = f.readline(65536).decode('latin-1')
            parts = line.split()
            if len(parts) < 2:
                return
            method, target = parts[0], parts[1]
            length = 0
            while True:
                h = f.readline(65536)
                if h in (b'\r\n', b'\n', b''):
                    break
                k, _, v = h.decode('latin-1').partition(':')
                if k.strip().lower() == 'content-length':
                    length = int(v.strip())
            body = f.read(length) if length else b''
        except (OSError, ValueError):
            return
        url = urlsplit(target)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        st = self.server.state
        if url.path in PATHS:
            docname = PATHS[url.path]
            tgt = params.get('target', '')
            if params.get('watch', '') not in ('1', 'true'):
                self.reply(200, st.selection(docname, tgt), 'application/json')
                return
            try:
                hb = float(params.get('heartbeat') or 0)
            except ValueError:
                hb = 0
            sock.settimeout(60)
            s = Stream(sock, url.path, docname, tgt, hb)
            with st.lock:
                s.last = st.selection(docname, tgt)
                s.queue.append(Item(HEADER + event(1, 'init', s.last)))
                st.streams.append(s)
            try:
                s.run(st.stopping)
            finally:
                with st.lock:
                    if s in st.streams:
                        st.streams.remove(s)
            return
        if url.path == '/_ctl/stats':
            with st.lock:
                streams = {}
                for s in st.streams:
                    streams[s.path] = streams.get(s.path, 0) + 1
                out = {'streams': streams, 'index': st.index}
            self.reply(200, json.dumps(out).encode(), 'application/json')
            return
        if url.path in ('/_ctl/doc', '/_ctl/setip', '/_ctl/same'):
            name = params.get('name', 'coreinfo')
            if name not in ('coreinfo', 'depends', 'config'):
                self.reply(400, b'bad name\n')
                return
            force = params.get('force', '') in ('1', 'true')
            with st.lock:
                if url.path == '/_ctl/doc':
                    if name == 'config':
                        st.config = json.loads(body)
                    else:
                        st.docs[name] = body.strip()
                elif url.path == '/_ctl/setip':
                    old = b'"ContainerIp":"%s"' % params.get('old', '').encode()
                    new = b'"ContainerIp":"%s"' % params.get('new', '').encode()
                    doc = st.docs['coreinfo']
                    pos = doc.find(old)
                    if pos < 0 or not params.get('new'):
                        self.reply(404, b'no container with that ContainerIp\n')
                        return
                    st.docs['coreinfo'] = doc[:pos] + new + doc[pos + len(old):]
                    name = 'coreinfo'
                else:
                    force = True
            idx, items = st.push(name, force)
            deadline = time.monotonic() + 120
            for it in items:
                it.done.wait(max(deadline - time.monotonic(), 0))
            out = {'index': idx, 'notified': len(items),
                   'sends': [[it.t_start, it.t_end] for it in items]}
            self.reply(200, json.dumps(out).encode(), 'application/json')
            return
        self.reply(404, b'404 page not found\n')

    def reply(self, code, body, ctype='text/plain; charset=utf-8'):
        head = ('HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n'
                'Connection: close\r\n\r\n' % (code, 'OK' if code == 200 else 'Error',
                                               ctype, len(body)))
        try:
            self.request.sendall(head.encode() + body)
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--fixtures', required=True)
    ap.add_argument('--listen', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    args = ap.parse_args()
    if ipaddress.ip_address(args.listen) not in ipaddress.ip_network('127.0.0.0/8'):
        sys.stderr.write('--listen must be in 127.0.0.0/8\n')
        return 2
    srv = Server((args.listen, args.port), Handler)
    srv.state = State(args.fixtures)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.1},
                     daemon=True).start()
    if args.port_file:
        with open(args.port_file + '.tmp', 'w') as f:
            f.write('%d\n' % srv.server_address[1])
        os.rename(args.port_file + '.tmp', args.port_file)
    while not stop.wait(0.5):
        pass
    srv.state.stopping.set()
    with srv.state.lock:
        for s in srv.state.streams:
            try:
                s.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
