#!/usr/bin/env python3
"""A test lainlet: serves LAIN's lainlet v2 API with lainlet's exact wire format.

Only for tests, only on 127.0.0.0/8, Python 3 standard library only.

    lainlet.py --fixtures DIR --listen 127.0.0.1 --port 0 --port-file F

Documents (see doc/lainlet.md):
    GET /v2/coreinfowatcher[?appname=A]   coreinfo.json
    GET /v2/depends[?target=P]            depends.json
    GET /v2/configwatcher?target=P        config-*.json merged, keys with prefix P
With watch=1|true the answer is an event stream: the bare header

    HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\nVary: Accept-Encoding\\r\\n\\r\\n

(no Content-Length, no chunking, the body ends when the connection closes), then
`init` (id 1), `heartbeat` (id 0) every heartbeat=N seconds (N may be a fraction
here), `update`/`delete` when the document changes, each with the whole selection.
As the real lainlet: ids are counted per stream and skip numbers (2, 4, 7, 8, ...);
members are in Go's order (map keys sorted, struct fields declared: depends
containers have NodeIP before IP); configwatcher?target=K selects the exact key K,
and the keys with the prefix K only when K does not exist. Without watch: a one-shot
200 with the JSON body and a Content-Length. Unknown path: 404.

Control API on the same port (POST or GET; bodies are raw bytes / JSON):
    POST /_ctl/doc?name=coreinfo|depends|config[&force=1][&event=update|delete]
         body = whole new document (config: the merged key->string map);
         pushes update/delete to every watcher whose selection changed (force=1:
         to every watcher of the document even when unchanged); returns
         {"index": N, "notified": K} (N: the document store's change count, not
         an event id)
    GET  /_ctl/doc?name=...            the current document
    POST /_ctl/reset                   every document back to the fixtures (pushed)
    POST /_ctl/raw?path=/v2/...        body written as-is to every open stream of path
    POST /_ctl/drop[?path=/v2/...]     closes the open streams (of path)
    POST /_ctl/silence?on=1|0          on: nothing at all is written to any stream
                                       (no header, init, heartbeat, update; one-shot
                                       requests wait): a hung peer. Connections stay
                                       open. Off: what was queued (not the heartbeats)
                                       goes out, heartbeats resume.
    POST /_ctl/error?path=...&msg=...  `id: 0\\nevent: error\\ndata: msg\\n\\n`, then
                                       closes the streams of path (all without path)
    POST /_ctl/status?code=500[&msg=]  later /v2 requests get that status with a plain
                                       text body; code=0 turns it off
    POST /_ctl/drip?bytes_per_tick=1&tick_ms=100   slow writes (bytes_per_tick=0: off)
    GET  /_ctl/streams                 {path: open streams}
    GET  /_ctl/stats                   {"streams", "connections" (streams ever opened
                                       per path), "requests" (count), "index", ...}
    GET  /_ctl/requests                the last /v2 requests [{path, query, peer, t}]
"""

import argparse
import collections
import ipaddress
import json
import os
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

API_DOCS = {
    '/v2/coreinfowatcher': 'coreinfo',
    '/v2/depends': 'depends',
    '/v2/configwatcher': 'config',
}
DOC_NAMES = ('coreinfo', 'depends', 'config')

STREAM_HEADER = (b'HTTP/1.1 200 OK\r\n'
                 b'Content-Type: text/event-stream\r\n'
                 b'Vary: Accept-Encoding\r\n'
                 b'\r\n')

WRITE_TIMEOUT = 10.0   # a stream whose reader stops reading for this long is dropped
_CLOSE = object()      # queue sentinel: close the stream after what is before it


def log(msg):
    sys.stderr.write('%s lainlet: %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


# What lainlet's Go types are, for encoding/json's member order: a map's keys sorted, a
# struct's fields in declaration order (depends containers: NodeIP before IP).
_STRUCT, _MAP, _LIST = 'struct', 'map', 'list'
_CONTAINER = (_STRUCT, (('Command', None), ('ContainerId', None), ('ContainerIp', None),
                        ('Cpu', None), ('Env', None), ('Expose', None), ('Image', None),
                        ('Memory', None), ('NodeIp', None), ('NodeName', None),
                        ('Volumes', None)))
_POD_INFO = (_STRUCT, (('Annotation', None), ('ContainerInfos', (_LIST, _CONTAINER)),
                       ('Dependencies', (_LIST, (_STRUCT, (('PodName', None),
                                                           ('Policy', None))))),
                       ('InstanceNo', None)))
_PORTAL = (_STRUCT, (('ContainerID', None), ('NodeIP', None), ('IP', None), ('Port', None)))
_DEPENDS_ITEM = (_STRUCT, (('Annotation', None), ('Containers', (_LIST, _PORTAL))))
GO_TYPES = {
    'coreinfo': (_MAP, (_STRUCT, (('PodInfos', (_LIST, _POD_INFO)),))),
    'depends': (_MAP, (_MAP, (_MAP, _DEPENDS_ITEM))),
    'config': (_MAP, None),
}


def go_order(value, gotype):
    """The value with its members in the order Go writes them. Members a struct does
    not declare (tests' odd documents) follow in their own order; a value of another
    shape than the type's is left as it is."""
    if gotype is None:
        return value
    kind, inner = gotype
    if kind == _MAP and isinstance(value, dict):
        return {k: go_order(value[k], inner) for k in sorted(value)}
    if kind == _LIST and isinstance(value, list):
        return [go_order(v, inner) for v in value]
    if kind == _STRUCT and isinstance(value, dict):
        out = {f: go_order(value[f], t) for f, t in inner if f in value}
        out.update((k, v) for k, v in value.items() if k not in out)
        return out
    return value


def map_key_gone(old, new, gotype):
    """Whether a map key (an etcd key: a pod group, a portal's node or client app, a
    config key) of old is missing from new: lainlet sends that change as `delete`."""
    if gotype is None or gotype[0] != _MAP:
        return False
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    return any(k not in new or map_key_gone(v, new[k], gotype[1]) for k, v in old.items())


def go_json(obj, docname=None):
    """Compact JSON as lainlet's encoding/json writes the document (map keys sorted,
    struct fields in Go order, <>& escaped)."""
    text = json.dumps(go_order(obj, GO_TYPES.get(docname)), separators=(',', ':'),
                      ensure_ascii=False)
    # these characters only occur inside JSON strings, so replacing is safe
    for ch, esc in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026'),
                    ('\u2028', '\\u2028'), ('\u2029', '\\u2029')):
        text = text.replace(ch, esc)
    return text.encode('utf-8')


def event_bytes(ev_id, event, data=None):
    out = 'id: %d\nevent: %s\n' % (ev_id, event)
    if data is not None:
        if isinstance(data, bytes):
            data = data.decode('utf-8', 'replace')
        for line in data.split('\n'):
            out += 'data: %s\n' % line
    return (out + '\n').encode('utf-8')


def load_fixtures(fixtures):
    docs = {}
    for name in ('coreinfo', 'depends'):
        path = os.path.join(fixtures, name + '.json')
        docs[name] = {}
        if os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                docs[name] = json.load(f)
    config = {}
    if os.path.isdir(fixtures):
        for fn in sorted(os.listdir(fixtures)):
            if fn.startswith('config-') and fn.endswith('.json'):
                with open(os.path.join(fixtures, fn), encoding='utf-8') as f:
                    config.update(json.load(f))
    docs['config'] = config
    return docs


def app_of(pod_group):
    """`<app>.<proctype>.<procname>` -> app (which may itself contain dots)."""
    parts = pod_group.rsplit('.', 2)
    return parts[0] if len(parts) == 3 else pod_group


def select_doc(name, doc, params):
    """What one request selects from a document."""
    if not isinstance(doc, dict):
        return doc
    if name == 'coreinfo':
        app = params.get('appname')
        if app:
            return {k: v for k, v in doc.items() if app_of(k) == app}
        return dict(doc)
    prefix = params.get('target')
    if name == 'config' and prefix in doc:
        return {prefix: doc[prefix]}   # the exact key; the prefix only without it
    if prefix:
        return {k: v for k, v in doc.items() if k.startswith(prefix)}
    return dict(doc)


class Stream:
    """One open watch stream; only its own handler thread writes to the socket."""

    def __init__(self, state, sock, path, docname, params, heartbeat, peer):
        self.state = state
        self.sock = sock
        self.path = path
        self.docname = docname
        self.params = params
        self.heartbeat = heartbeat
        self.peer = peer
        self.queue = collections.deque()
        self.cond = threading.Condition()
        self.closed = False
        self.last = None        # the selection last queued to this stream
        self.event_id = 1       # the id of the last event (init's is 1)
        self.events = 0         # update/delete events queued

    def next_event_id(self):
        """This stream's next update/delete id: counted per stream, 2 after init's 1,
        then skipping numbers (steps 1, 2, 3, 1, ...) as lainlet's ids do."""
        self.event_id += 1 + self.events % 3
        self.events += 1
        return self.event_id

    def enqueue(self, item):
        with self.cond:
            if not self.closed:
                self.queue.append(item)
                self.cond.notify_all()

    def wake(self):
        with self.cond:
            self.cond.notify_all()

    def close_now(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reader(self):
        # Notices the client going away (EOF or reset); anything it sends is ignored.
        while not self.closed:
            try:
                r, _, _ = select.select([self.sock], [], [], 0.2)
            except (OSError, ValueError):
                break
            if not r:
                continue
            try:
                data = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except (OSError, ValueError):
                data = b''
            if not data:
                break
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def run(self):
        """Writer loop: queued items in order, heartbeats when due; returns when closed."""
        threading.Thread(target=self._reader, daemon=True,
                         name='reader %s' % self.peer).start()
        hb = self.heartbeat
        next_hb = time.monotonic() + hb if hb > 0 else None
        while True:
            with self.cond:
                while True:
                    if self.closed or self.state.stopping.is_set():
                        return
                    now = time.monotonic()
                    if self.state.silent:
                        if next_hb is not None and now >= next_hb:
                            next_hb = now + hb      # skipped, not owed
                        self.cond.wait(0.1)
                        continue
                    if self.queue:
                        item = self.queue.popleft()
                        break
                    if next_hb is not None and now >= next_hb:
                        item = event_bytes(0, 'heartbeat')
                        next_hb = now + hb
                        break
                    wait = 0.5 if next_hb is None else min(0.5, next_hb - now)
                    self.cond.wait(max(wait, 0.001))
            if item is _CLOSE:
                return
            try:
                self.state.write(self.sock, item, self)
            except (OSError, ValueError) as e:
                log('stream %s %s: write failed (%s)' % (self.peer, self.path, e))
                return


class State:
    def __init__(self, fixtures):
        self.fixtures = fixtures
        self.lock = threading.RLock()
        self.docs = load_fixtures(fixtures)
        self.index = 1
        self.streams = []
        self.silent = False
        self.silence_cond = threading.Condition(self.lock)
        self.status = 0
        self.status_msg = None
        self.drip = (0, 0.0)
        self.connections = collections.Counter()
        self.request_count = 0
        self.requests = collections.deque(maxlen=2000)
        self.stopping = threading.Event()

    # -- writing -----------------------------------------------------------
    def write(self, sock, data, stream=None):
        bpt, tick = self.drip
        if bpt <= 0:
            sock.sendall(data)
            return
        pos = 0
        while pos < len(data):
            if stream is not None and stream.closed:
                raise OSError('stream closed')
            if self.stopping.is_set():
                raise OSError('stopping')
            bpt, tick = self.drip
            n = bpt if bpt > 0 else len(data) - pos
            sock.sendall(data[pos:pos + n])
            pos += n
            if bpt > 0 and pos < len(data):
                time.sleep(tick)

    # -- streams -----------------------------------------------------------
    def open_streams(self, path=None):
        with self.lock:
            return [s for s in self.streams
                    if not s.closed and (path is None or s.path == path)]

    def register(self, stream):
        with self.lock:
            sel = select_doc(stream.docname, self.docs[stream.docname], stream.params)
            stream.last = sel
            stream.enqueue(STREAM_HEADER)
            stream.enqueue(event_bytes(1, 'init', go_json(sel, stream.docname)))
            self.streams.append(stream)
            self.connections[stream.path] += 1

    def unregister(self, stream):
        with self.lock:
            if stream in self.streams:
                self.streams.remove(stream)

    def set_doc(self, name, doc, force=False, event=None):
        with self.lock:
            self.docs[name] = doc
            self.index += 1
            idx = self.index
            notified = 0
            for s in self.open_streams():
                if s.docname != name:
                    continue
                sel = select_doc(name, doc, s.params)
                if sel == s.last and not force:
                    continue
                ev = event
                if ev is None:
                    gone = map_key_gone(s.last, sel, GO_TYPES.get(name))
                    ev = 'delete' if gone else 'update'
                s.last = sel
                # every event carries the whole selection, delete too
                s.enqueue(event_bytes(s.next_event_id(), ev, go_json(sel, name)))
                notified += 1
            return idx, notified

    def set_silent(self, on):
        with self.lock:
            self.silent = on
            self.silence_cond.notify_all()
            streams = list(self.streams)
        for s in streams:
            s.wake()

    def wait_not_silent(self):
        with self.lock:
            while self.silent and not self.stopping.is_set():
                self.silence_cond.wait(0.2)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'lainlet-test'
    timeout = 60        # idle keep-alive connections

    def log_message(self, fmt, *args):
        log('%s %s' % (self.address_string(), fmt % args))

    # -- responses ---------------------------------------------------------
    def _send(self, code, body, ctype, drip=False, reason=None):
        if isinstance(body, str):
            body = body.encode('utf-8')
        if reason is None:
            reason = self.responses.get(code, ('Status',))[0]
        head = ('HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n'
                % (code, reason, ctype, len(body)))
        if self.close_connection:
            head += 'Connection: close\r\n'
        data = head.encode('latin-1') + b'\r\n' + body
        self.log_request(code, len(body))
        if drip:
            self.server.state.write(self.connection, data)
        else:
            self.wfile.write(data)
            self.wfile.flush()

    def _text(self, code, msg, drip=False):
        self._send(code, msg, 'text/plain; charset=utf-8', drip=drip)

    def _json(self, obj, code=200):
        self._send(code, json.dumps(obj) + '\n', 'application/json')

    def _body(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n < 0 or n > 512 * 1024 * 1024:
            raise ValueError('bad Content-Length')
        data = b''
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                raise ValueError('short body')
            data += chunk
        return data

    # -- dispatch ----------------------------------------------------------
    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_PUT(self):
        self._dispatch('PUT')

    def do_DELETE(self):
        self._dispatch('DELETE')

    def _dispatch(self, method):
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if url.path.startswith('/_ctl/'):
                self._ctl(method, url.path, params)
            else:
                self._api(method, url.path, url.query, params)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception as e:     # never let one request kill the server
            log('error handling %s: %r' % (self.path, e))
            self.close_connection = True
            try:
                self._text(500, 'internal error: %s\n' % e)
            except OSError:
                pass

    def _api(self, method, path, query, params):
        state = self.server.state
        with state.lock:
            state.request_count += 1
            state.requests.append({'method': method, 'path': path, 'query': query,
                                   'peer': self.client_address[0], 't': time.time()})
        # a hung peer answers nothing at all
        state.wait_not_silent()
        if state.stopping.is_set():
            self.close_connection = True
            return
        if state.status:
            msg = state.status_msg
            if msg is None:
                msg = '%d %s' % (state.status, self.responses.get(state.status, ('error',))[0])
            self._text(state.status, msg + '\n')
            return
        docname = API_DOCS.get(path)
        if docname is None:
            self._text(404, '404 page not found\n')
            return
        if method != 'GET':
            self._text(405, 'Method Not Allowed\n')
            return
        watch = params.get('watch', '').lower() in ('1', 'true')
        if not watch:
            with state.lock:
                body = go_json(select_doc(docname, state.docs[docname], params), docname)
            self._send(200, body, 'application/json', drip=True)
            return
        try:
            hb = float(params.get('heartbeat') or 0)
        except ValueError:
            hb = 0
        self._stream(path, docname, params, hb)

    def _stream(self, path, docname, params, hb):
        state = self.server.state
        self.close_connection = True
        sock = self.connection
        sock.settimeout(WRITE_TIMEOUT)
        self.wfile.flush()
        stream = Stream(state, sock, path, docname, params, hb,
                        '%s:%d' % self.client_address[:2])
        state.register(stream)
        self.log_request(200, '-')
        try:
            stream.run()
        finally:
            stream.closed = True
            state.unregister(stream)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _ctl(self, method, path, params):
        state = self.server.state
        name = path[len('/_ctl/'):]
        if name == 'streams':
            out = {p: 0 for p in API_DOCS}
            for s in state.open_streams():
                out[s.path] = out.get(s.path, 0) + 1
            self._json(out)
        elif name == 'stats':
            with state.lock:
                out = {p: 0 for p in API_DOCS}
                for s in state.open_streams():
                    out[s.path] = out.get(s.path, 0) + 1
                self._json({'streams': out, 'connections': dict(state.connections),
                            'requests': state.request_count, 'index': state.index,
                            'silent': state.silent, 'status': state.status,
                            'drip': list(state.drip)})
        elif name == 'requests':
            with state.lock:
                self._json(list(state.requests))
        elif name == 'doc':
            doc = params.get('name')
            if doc not in DOC_NAMES:
                self._text(400, 'name must be one of %s\n' % ', '.join(DOC_NAMES))
                return
            if method == 'GET':
                with state.lock:
                    self._json(state.docs[doc])
                return
            try:
                obj = json.loads(self._body().decode('utf-8'))
            except ValueError as e:
                self._text(400, 'bad JSON body (%s)\n' % e)
                return
            force = params.get('force', '') in ('1', 'true')
            event = params.get('event') or None
            idx, notified = state.set_doc(doc, obj, force=force, event=event)
            self._json({'index': idx, 'notified': notified})
        elif name == 'reset':
            fresh = load_fixtures(state.fixtures)
            res = {d: state.set_doc(d, fresh[d])[0] for d in DOC_NAMES}
            self._json({'index': max(res.values())})
        elif name == 'raw':
            data = self._body()
            streams = state.open_streams(params.get('path'))
            for s in streams:
                s.enqueue(data)
            self._json({'streams': len(streams)})
        elif name == 'drop':
            streams = state.open_streams(params.get('path'))
            for s in streams:
                s.close_now()
            self._json({'streams': len(streams)})
        elif name == 'silence':
            on = params.get('on', '1').lower() in ('1', 'true', 'on')
            state.set_silent(on)
            self._json({'silent': on})
        elif name == 'error':
            msg = params.get('msg', 'error')
            streams = state.open_streams(params.get('path'))
            for s in streams:
                s.enqueue(event_bytes(0, 'error', msg))
                s.enqueue(_CLOSE)
            self._json({'streams': len(streams)})
        elif name == 'status':
            try:
                code = int(params.get('code', '0'))
            except ValueError:
                self._text(400, 'bad code\n')
                return
            if code and not 100 <= code <= 599:
                self._text(400, 'bad code\n')
                return
            with state.lock:
                state.status = code
                state.status_msg = params.get('msg')
            self._json({'status': code})
        elif name == 'drip':
            try:
                bpt = int(params.get('bytes_per_tick', '0'))
                tick = float(params.get('tick_ms', '100')) / 1000.0
            except ValueError:
                self._text(400, 'bad drip parameters\n')
                return
            state.drip = (max(bpt, 0), max(tick, 0.0))
            self._json({'bytes_per_tick': state.drip[0], 'tick_ms': state.drip[1] * 1000})
        else:
            self._text(404, 'unknown control %s\n' % name)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, addr, state, tls_ctx=None):
        self.state = state
        self.tls_ctx = tls_ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls_ctx is not None:
            # the handshake happens in the handler thread, not in the accept loop
            sock = self.tls_ctx.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        return sock, addr

    def process_request_thread(self, request, client_address):
        if self.tls_ctx is not None:
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                log('tls handshake with %s failed (%s)' % (client_address[0], e))
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return
        log('unexpected error from %s: %r' % (client_address, exc))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--fixtures', required=True, help='directory with coreinfo.json, ...')
    ap.add_argument('--listen', default='127.0.0.1', help='address in 127.0.0.0/8')
    ap.add_argument('--port', type=int, default=0, help='0 = a free port')
    ap.add_argument('--port-file', help='written (atomically) with the port once listening')
    ap.add_argument('--tls-cert', help='serve HTTPS with this PEM certificate')
    ap.add_argument('--tls-key', help='... and this PEM key')
    args = ap.parse_args()

    try:
        ok = ipaddress.ip_address(args.listen) in ipaddress.ip_network('127.0.0.0/8')
    except ValueError:
        ok = False
    if not ok:
        sys.stderr.write('lainlet.py: --listen must be an address in 127.0.0.0/8\n')
        return 2

    tls_ctx = None
    if args.tls_cert:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(args.tls_cert, args.tls_key)

    state = State(args.fixtures)
    server = Server((args.listen, args.port), state, tls_ctx)
    port = server.server_address[1]

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1},
                         daemon=True, name='accept')
    t.start()
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.rename(tmp, args.port_file)
    log('listening on %s port %d (%s)' % (args.listen, port, 'https' if tls_ctx else 'http'))

    while not stop.wait(0.5):
        pass
    log('stopping')
    state.stopping.set()
    with state.lock:
        state.silence_cond.notify_all()
    for s in state.open_streams():
        s.close_now()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
