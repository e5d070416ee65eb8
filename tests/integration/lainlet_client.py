"""The test lainlet (lainlet.py) as a process and the client of its /_ctl/ API
(Lainlet), a client of its event streams (SseClient), the sample cluster's documents
(fixture, map_nodes, with_ip) and a self-signed certificate for TLS (make_cert)."""

import copy
import http.client
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

from processes import _pdeathsig, _read, _tail, release_tmp, stop_process, wait_until
from testenv import FIXTURES, LAINLET_PY, check_loopback


def fixture(name):
    """A document of the sample cluster (tests/fixtures), parsed."""
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as f:
        return json.load(f)


# The sample cluster's nodes on loopback, so tests can query from a node's address.
NODE_MAP = {'192.168.10.11': '127.0.10.11', '192.168.10.12': '127.0.10.12',
            '192.168.10.13': '127.0.10.13'}


def map_nodes(obj, mapping=None):
    """Replaces the fixture's node IPs (NODE_MAP) wherever they occur as values."""
    mapping = NODE_MAP if mapping is None else mapping
    if isinstance(obj, dict):
        return {k: map_nodes(v, mapping) for k, v in obj.items()}
    if isinstance(obj, list):
        return [map_nodes(v, mapping) for v in obj]
    if isinstance(obj, str):
        return mapping.get(obj, obj)
    return obj


def with_ip(core, group, instance, ip):
    """A copy of a coreinfo document with one instance's first container moved to ip."""
    doc = copy.deepcopy(core)
    for pod in doc[group]['PodInfos']:
        if pod['InstanceNo'] == instance:
            pod['ContainerInfos'][0]['ContainerIp'] = ip
    return doc


def make_cert(directory, name='lainlet', ip='127.0.0.1', days=2):
    """A self-signed certificate for ip (also its own CA) made with the openssl tool:
    returns (cert.pem, key.pem) paths, or None when openssl is missing or fails."""
    openssl = shutil.which('openssl')
    if not openssl:
        return None
    cert = os.path.join(directory, name + '-cert.pem')
    key = os.path.join(directory, name + '-key.pem')
    try:
        p = subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                            '-keyout', key, '-out', cert, '-days', str(days),
                            '-subj', '/CN=%s' % ip, '-addext', 'subjectAltName=IP:%s' % ip,
                            '-addext', 'basicConstraints=critical,CA:TRUE'],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (cert, key) if p.returncode == 0 else None


class Lainlet:
    """tests/integration/lainlet.py as a subprocess; also the client of its /_ctl/ API."""

    def __init__(self, fixtures_dir=FIXTURES, listen='127.0.0.1', port=0,
                 tls_cert=None, tls_key=None, start_timeout=10.0):
        check_loopback(listen)
        self.fixtures_dir = fixtures_dir
        self.listen = listen
        self.want_port = port
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.start_timeout = start_timeout
        self.proc = None
        self.tmp = None
        self.port = None
        self.returncode = None

    @property
    def scheme(self):
        return 'https' if self.tls_cert else 'http'

    @property
    def url(self):
        return '%s://%s:%d' % (self.scheme, self.listen, self.port)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix='mod-lain-lainlet-')
        portfile = os.path.join(self.tmp, 'port')
        self.logfile = os.path.join(self.tmp, 'lainlet.log')
        cmd = [sys.executable, LAINLET_PY, '--fixtures', self.fixtures_dir,
               '--listen', self.listen, '--port', str(self.want_port), '--port-file', portfile]
        if self.tls_cert:
            cmd += ['--tls-cert', self.tls_cert, '--tls-key', self.tls_key]
        with open(self.logfile, 'wb') as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=_pdeathsig)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError('lainlet.py exited with %s:\n%s'
                                   % (self.proc.returncode, _tail(self.log(), 20)))
            text = _read(portfile).strip()
            return int(text) if text.isdigit() else None

        deadline = time.monotonic() + self.start_timeout
        while True:
            port = ready()
            if port:
                self.port = port
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('lainlet.py did not write its port file within %.0f s'
                                   % self.start_timeout)
            time.sleep(0.02)

    def stop(self):
        """SIGTERM by PID (lainlet exits cleanly), SIGKILL fallback; returns exit status."""
        if self.proc is not None and self.returncode is None:
            self.returncode = stop_process(self.proc, term_timeout=5.0)
        release_tmp(self, 'lainlet')
        return self.returncode

    def log(self):
        return _read(self.logfile) if self.tmp else ''

    # -- control API -------------------------------------------------------
    def _conn(self, timeout):
        if self.tls_cert:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.listen, self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.listen, self.port, timeout=timeout)

    def request(self, method, path, params=None, body=None, timeout=10.0):
        """One HTTP request to the lainlet; returns (status, headers, body bytes)."""
        if params:
            path += '?' + urllib.parse.urlencode(params)
        conn = self._conn(timeout)
        try:
            if isinstance(body, str):
                body = body.encode('utf-8')
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def ctl(self, name, params=None, body=None, method='POST', timeout=10.0):
        status, _, data = self.request(method, '/_ctl/' + name, params, body, timeout)
        if status != 200:
            raise RuntimeError('/_ctl/%s: HTTP %d: %s' % (name, status, data[:200]))
        return json.loads(data.decode('utf-8'))

    def set_doc(self, name, obj, force=False, event=None):
        """Replaces a document (coreinfo, depends, config); returns the new index."""
        params = {'name': name}
        if force:
            params['force'] = '1'
        if event:
            params['event'] = event
        body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
        return self.ctl('doc', params, body)['index']

    def doc(self, name):
        return self.ctl('doc', {'name': name}, method='GET')

    def reset(self):
        return self.ctl('reset')['index']

    def raw(self, path, data):
        """Writes data as-is to every open stream of path; returns how many."""
        return self.ctl('raw', {'path': path}, data)['streams']

    def drop(self, path=None):
        return self.ctl('drop', {'path': path} if path else None)['streams']

    def silence(self, on=True):
        return self.ctl('silence', {'on': '1' if on else '0'})

    def error(self, path=None, msg='error'):
        params = {'msg': msg}
        if path:
            params['path'] = path
        return self.ctl('error', params)['streams']

    def status(self, code, msg=None):
        params = {'code': str(code)}
        if msg is not None:
            params['msg'] = msg
        return self.ctl('status', params)

    def drip(self, bytes_per_tick=0, tick_ms=100):
        return self.ctl('drip', {'bytes_per_tick': str(bytes_per_tick),
                                 'tick_ms': str(tick_ms)})

    def streams(self):
        return self.ctl('streams', method='GET')

    def stats(self):
        return self.ctl('stats', method='GET')

    def requests(self):
        return self.ctl('requests', method='GET')

    def wait_streams(self, path, n=1, timeout=10.0):
        """Waits until at least n streams of path are open; returns the count or 0."""
        return wait_until(lambda: (self.streams().get(path, 0) >= n
                                   and self.streams().get(path, 0)), timeout) or 0


# ---------------------------------------------------------------------------
# a raw event-stream client (for tests of the wire itself)

class SseClient:
    """A raw-socket client of one lainlet watch stream."""

    def __init__(self, host, port, target, timeout=5.0, headers=(), tls_ca=None):
        check_loopback(host)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls_ca:
            ctx = ssl.create_default_context(cafile=tls_ca)
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        req = 'GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n' % (
            target, host, port)
        for h in headers:
            req += h + '\r\n'
        self.sock.sendall((req + '\r\n').encode('latin-1'))
        self.buf = b''
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        pending = getattr(self.sock, 'pending', lambda: 0)()   # TLS: already decrypted
        if not pending:
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
        try:
            data = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return True
        except (ConnectionResetError, OSError):
            data = b''
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until(self, marker, timeout=5.0):
        """Bytes up to and including marker, or None (timeout or EOF)."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            if not self._fill(deadline):
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_header(self, timeout=5.0):
        return self.read_until(b'\r\n\r\n', timeout)

    def read_some(self, timeout=1.0):
        """Whatever arrives within timeout (b'' if nothing)."""
        deadline = time.monotonic() + timeout
        self._fill(deadline)
        out, self.buf = self.buf, b''
        return out

    def read_all(self, timeout=5.0):
        """Everything until EOF (or the timeout); returns (bytes, eof)."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b''
        return out, self.eof

    def next_event(self, timeout=5.0):
        """The next event as a dict {id, event, data, raw}, or None (timeout/EOF)."""
        raw = self.read_until(b'\n\n', timeout)
        if raw is None:
            return None
        ev = {'id': None, 'event': None, 'data': None, 'raw': raw}
        data = []
        for line in raw.decode('utf-8', 'replace').split('\n'):
            if not line:
                continue
            key, _, val = line.partition(':')
            val = val[1:] if val.startswith(' ') else val
            if key == 'data':
                data.append(val)
            elif key in ('id', 'event'):
                ev[key] = val
        if data:
            ev['data'] = '\n'.join(data)
        return ev

    def next_event_of(self, kinds, timeout=5.0):
        """The next event whose type is in kinds (others, e.g. heartbeats, skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next_event(max(deadline - time.monotonic(), 0))
            if ev is None or ev['event'] in kinds:
                return ev


# ---------------------------------------------------------------------------
