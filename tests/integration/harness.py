"""Shared pieces of mod-lain's integration tests (Python 3 standard library only).

Every test is a standalone script run by Automake's TAP driver:

    import harness
    from harness import Tap, Lainlet, Knotd, dig

    def main(tap):
        harness.require(knotd=True, kdig=True, module=True)   # else "1..0 # SKIP"
        with Lainlet() as ll, Knotd(lainlets=[ll.url]) as kd:
            ok = harness.wait_until(lambda: dig(kd.port, 'web-1.console.lain').rcode == 'NOERROR', 10)
            tap.ok(ok, 'module answers')

    if __name__ == '__main__':
        harness.run(main)

Environment (set by `make check`): MOD_LAIN_SO, MOD_LAIN_SRCDIR, KNOTD, KNOTC, KDIG.
make check runs every test through scripts/knot-dev.sh (knotd loads the built module even
when `make install` put a copy in its module directory); so does a test run by hand:
`scripts/knot-dev.sh python3 tests/integration/test_x.py`.
MOD_LAIN_KEEP_TMP=1 keeps the temporary directories (their paths are printed as TAP
comments). Only 127.0.0.0/8 is used; every process is started with a parent-death
signal and stopped by its PID; every wait has a deadline.
"""

import ctypes
import http.client
import ipaddress
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get('MOD_LAIN_SRCDIR') or os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(SRCDIR, 'tests', 'fixtures')
LAINLET_PY = os.path.join(HERE, 'lainlet.py')
KEEP_TMP = os.environ.get('MOD_LAIN_KEEP_TMP', '') not in ('', '0')
WRAPPER = os.environ.get('MOD_LAIN_KNOTD_WRAPPER', '').split()
PRELOAD = os.environ.get('MOD_LAIN_KNOTD_PRELOAD', '')


def _tool(env, name, extra_dirs=('/usr/sbin', '/sbin', '/usr/bin')):
    val = os.environ.get(env, '')
    if val:
        return val
    found = shutil.which(name)
    if found:
        return found
    for d in extra_dirs:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return name


KNOTD = _tool('KNOTD', 'knotd')
KNOTC = _tool('KNOTC', 'knotc')
KDIG = _tool('KDIG', 'kdig')
MOD_LAIN_SO = os.environ.get('MOD_LAIN_SO') or os.path.join(SRCDIR, '.libs', 'mod-lain.so')


# ---------------------------------------------------------------------------
# TAP

class Tap:
    """A TAP producer. ok() returns the condition; done() prints the plan."""

    def __init__(self):
        self.n = 0
        self.failed = []
        self.todo_failed = []
        self.todo_passed = []

    @staticmethod
    def _clean(text):
        # '#' starts a directive in TAP; newlines would break the line
        return str(text).replace('#', 'No.').replace('\n', ' ')

    def ok(self, cond, desc, diag=None, todo=None, skip=None):
        cond = bool(cond) or skip is not None
        self.n += 1
        line = '%s %d - %s' % ('ok' if cond else 'not ok', self.n, self._clean(desc))
        if skip is not None:
            line += ' # SKIP ' + self._clean(skip)
        elif todo is not None:
            line += ' # TODO ' + self._clean(todo)
            (self.todo_passed if cond else self.todo_failed).append(self.n)
        elif not cond:
            self.failed.append(self.n)
        print(line, flush=True)
        if not cond and diag:
            self.diag(diag)
        return cond

    def skip(self, desc, reason):
        return self.ok(True, desc, skip=reason)

    def diag(self, msg):
        if isinstance(msg, (list, tuple)):
            msg = '\n'.join(str(m) for m in msg)
        for line in str(msg).rstrip('\n').split('\n'):
            print('# ' + line, flush=True)

    def bail(self, reason):
        print('Bail out! ' + self._clean(reason), flush=True)
        sys.exit(1)

    def done(self):
        print('1..%d' % self.n, flush=True)
        if self.failed:
            self.diag('failed: %s' % ' '.join(map(str, self.failed)))
        return 1 if self.failed else 0


def skip_all(reason):
    print('1..0 # SKIP ' + Tap._clean(reason), flush=True)
    sys.exit(0)


def require(knotd=False, kdig=False, module=False, knotc=None):
    """skip_all() when a needed tool or the built module is missing."""
    if knotc is None:
        knotc = knotd
    for want, path, what in ((knotd, KNOTD, 'knotd'), (knotc, KNOTC, 'knotc'),
                             (kdig, KDIG, 'kdig')):
        if want and not (shutil.which(path) or os.access(path, os.X_OK)):
            skip_all('%s not found (set %s)' % (what, what.upper()))
    if module and not os.path.exists(MOD_LAIN_SO):
        skip_all('module not built: %s' % MOD_LAIN_SO)


def run(main):
    """Runs main(tap) and exits with the TAP result; an exception is a Bail out."""
    tap = Tap()
    try:
        main(tap)
    except SystemExit:
        raise
    except BaseException:
        tap.diag(traceback.format_exc())
        tap.bail('unexpected exception: %s' % sys.exc_info()[1])
    sys.exit(tap.done())


# ---------------------------------------------------------------------------
# small helpers

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
    import copy
    doc = copy.deepcopy(core)
    for pod in doc[group]['PodInfos']:
        if pod['InstanceNo'] == instance:
            pod['ContainerInfos'][0]['ContainerIp'] = ip
    return doc


def wait_until(fn, timeout, interval=0.02):
    """Calls fn() until it returns a true value (returned) or timeout seconds pass
    (the last false value is returned). Exceptions from fn count as false."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        try:
            value = fn()
        except Exception as e:      # noqa: BLE001 - polling; the caller judges the end
            value = None
            wait_until.last_error = e
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            return value
        time.sleep(min(interval, left))


wait_until.last_error = None


def free_port(host='127.0.0.1', attempts=50):
    """A port free for both TCP and UDP on host (knotd needs both)."""
    for _ in range(attempts):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                u.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            t.close()
            u.close()
    raise RuntimeError('no free TCP+UDP port on %s' % host)


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


def check_loopback(addr):
    if ipaddress.ip_address(addr) not in ipaddress.ip_network('127.0.0.0/8'):
        raise ValueError('tests only use 127.0.0.0/8, not %s' % addr)


def _pdeathsig():
    # Linux: the child gets SIGTERM when the test script dies, so nothing is left behind.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:       # noqa: BLE001
        pass


def mount_ns(script, *args):
    """For Knotd(wrapper=): argv that runs `sh -c script args...` in a private mount
    namespace of its own; the script ends with `exec "$@"` (knotd's argv follows), so
    the PID stays knotd's. None where mount namespaces are not permitted (not root, no
    unshare), for the caller to skip with that reason."""
    if os.geteuid() != 0 or shutil.which('unshare') is None:
        return None
    probe = subprocess.run(['unshare', '--mount', 'true'], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return None
    return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script,
            'knotd-ns'] + list(args)


def stop_process(proc, term_timeout=10.0, kill_timeout=5.0, sig=signal.SIGTERM):
    """Stops one process by its PID: sig, wait, SIGKILL, wait. Returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=term_timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=kill_timeout)
            except subprocess.TimeoutExpired:
                pass
    return proc.returncode


def _read(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return ''


def _tail(text, n):
    return '\n'.join(text.rstrip('\n').split('\n')[-n:])


# ---------------------------------------------------------------------------
# the test lainlet

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
        if self.tmp:
            self.last_log = self.log()  # what knotd logged up to its exit
        if self.tmp and not KEEP_TMP:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        elif self.tmp:
            print('# lainlet tmp kept: %s' % self.tmp, flush=True)
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
# knotd

class Knotd:
    """knotd with mod-lain in a temporary directory, stopped by PID."""

    def __init__(self, module_so=MOD_LAIN_SO, lainlets=(), extra_mod_conf='', port=None,
                 listen='127.0.0.1', heartbeat=1, extra_conf='', mod_id='default',
                 udp_workers=2, tcp_workers=1, start_timeout=10.0, wrapper=()):
        check_loopback(listen)
        self.module_so = module_so
        self.wrapper = list(wrapper)    # argv that sets up and execs knotd (a namespace)
        self.lainlets = list(lainlets)
        self.extra_mod_conf = extra_mod_conf
        self.port = port
        self.listen = listen
        self.heartbeat = heartbeat
        self.extra_conf = extra_conf
        self.mod_id = mod_id
        self.udp_workers = udp_workers
        self.tcp_workers = tcp_workers
        self.start_timeout = start_timeout
        self.proc = None
        self.tmp = None
        self.returncode = None
        self.last_log = ''

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @staticmethod
    def _indent(text, n):
        lines = [l for l in str(text).strip('\n').split('\n')] if text else []
        # keep the caller's relative indentation, re-based at n spaces
        strip = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
        return ''.join(' ' * n + l[strip:] + '\n' for l in lines if l.strip())

    def conf_text(self):
        t = self.tmp
        out = ('server:\n'
               '    rundir: %s\n'
               '    listen: %s@%d\n'
               '    udp-workers: %d\n'
               '    tcp-workers: %d\n'
               '    background-workers: 1\n'
               '\n'
               'log:\n'
               '  - target: stderr\n'
               '    any: debug\n'
               '\n'
               'database:\n'
               '    storage: %s\n'
               '\n' % (t, self.listen, self.port, self.udp_workers, self.tcp_workers, t))
        if self.module_so:
            out += ('module:\n'
                    '  - id: mod-lain\n'
                    '    file: %s\n'
                    '\n'
                    'mod-lain:\n'
                    '  - id: %s\n' % (self.module_so, self.mod_id))
            for url in self.lainlets:
                out += '    lainlet: "%s"\n' % url
            if self.heartbeat is not None:
                out += '    heartbeat: %s\n' % self.heartbeat
            out += self._indent(self.extra_mod_conf, 4)
            out += ('\n'
                    'template:\n'
                    '  - id: default\n'
                    '    global-module: mod-lain/%s\n' % self.mod_id)
        if self.extra_conf:
            out += '\n' + self._indent(self.extra_conf, 0)
        return out

    @property
    def conf(self):
        return os.path.join(self.tmp, 'knot.conf')

    def write_conf(self):
        with open(self.conf + '.tmp', 'w') as f:
            f.write(self.conf_text())
        os.rename(self.conf + '.tmp', self.conf)

    def start(self):
        if self.module_so and not os.path.exists(self.module_so):
            raise RuntimeError('module not found: %s' % self.module_so)
        self.tmp = tempfile.mkdtemp(prefix='mod-lain-knotd-')
        if self.port is None:
            self.port = free_port(self.listen)
        self.write_conf()
        self.outfile = os.path.join(self.tmp, 'knotd.out')
        # MOD_LAIN_KNOTD_WRAPPER runs knotd under a tool (valgrind ...);
        # MOD_LAIN_KNOTD_PRELOAD is LD_PRELOAD for knotd alone (an ASan runtime).
        # self.wrapper comes first and must exec, so the PID stays knotd's.
        cmd = self.wrapper + WRAPPER + [KNOTD, '-c', self.conf]
        env = dict(os.environ)
        if PRELOAD:
            env['LD_PRELOAD'] = PRELOAD
        with open(self.outfile, 'wb') as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, env=env,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         preexec_fn=_pdeathsig)

        def ready():
            if self.proc.poll() is not None:
                log = self.log()
                hint = ('\n(mod-lain.so is installed in knotd\'s module directory: run '
                        'through scripts/knot-dev.sh, as make check does)'
                        if 'duplicate module' in log else '')
                raise RuntimeError('knotd exited with %s at start:\n%s%s'
                                   % (self.proc.returncode, _tail(log, 30), hint))
            return self.knotc('status', timeout=2).returncode == 0

        deadline = time.monotonic() + self.start_timeout
        while not ready():
            if time.monotonic() > deadline:
                log = self.log()
                self.stop()
                raise RuntimeError('knotd not running after %.0f s:\n%s'
                                   % (self.start_timeout, _tail(log, 30)))
            time.sleep(0.05)
        return self

    def start_refused(self):
        """Starts knotd expecting it to refuse its configuration: (its log, seconds until
        it exited), or (None, seconds) when it came up (then it is stopped)."""
        t0 = time.monotonic()
        try:
            self.start()
        except RuntimeError:
            return self.log(), time.monotonic() - t0
        took = time.monotonic() - t0
        self.stop()
        return None, took

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def knotc(self, *args, timeout=10):
        """Runs knotc against this knotd; returns CompletedProcess (text, both streams)."""
        cmd = [KNOTC, '-c', self.conf, '-t', str(max(int(timeout), 1))] + [str(a) for a in args]
        env = dict(os.environ)
        if PRELOAD:  # knotc loads the module too
            env['LD_PRELOAD'] = PRELOAD
        try:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
                                  stderr=subprocess.STDOUT, timeout=timeout + 5,
                                  universal_newlines=True)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(cmd, -1, (e.output or b'').decode()
                                               if isinstance(e.output, bytes) else e.output)

    def reload(self, timeout=10):
        """Rewrites knot.conf from the current attributes and runs `knotc reload`."""
        self.write_conf()
        return self.knotc('reload', timeout=timeout)

    def reconfigure(self, lainlets=None, extra_mod_conf=None, heartbeat=None):
        if lainlets is not None:
            self.lainlets = list(lainlets)
        if extra_mod_conf is not None:
            self.extra_mod_conf = extra_mod_conf
        if heartbeat is not None:
            self.heartbeat = heartbeat
        return self.reload()

    def log(self):
        """Everything knotd wrote (its log goes to stderr, captured with stdout in one
        file, so the text only grows: len(log()) is a mark for wait_log(start=))."""
        return _read(self.outfile) if self.tmp else ''

    def tail(self, n=30):
        return _tail(self.log(), n)

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Waits until regex pattern matches the log (from character offset start)."""
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log()[start:]), timeout)

    def stats(self, *args, timeout=10):
        """`knotc -f stats [ARGS]`: every counter, zeros too (Knot 3.4+ leaves zero counters
        out unless forced; 3.2 shows them either way)."""
        return self.knotc('-f', 'stats', *args, timeout=timeout)

    def stop(self, timeout=10.0, by_signal=False):
        """knotc stop (or with by_signal, SIGTERM to knotd's PID: for tests about the
        module's stop, not knotc's; knotc stop can take up to its control timeout to act
        from Knot 3.4 on), then wait for the PID (deadline), SIGTERM/SIGKILL fallback.
        Returns knotd's exit status (0 = clean; negative = killed by that signal)."""
        if self.proc is not None and self.returncode is None:
            if self.proc.poll() is None:
                if by_signal:
                    os.kill(self.proc.pid, signal.SIGTERM)
                else:
                    self.knotc('stop', timeout=5)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    print('# knotd did not stop within %.0f s of knotc stop' % timeout,
                          flush=True)
            self.returncode = stop_process(self.proc, term_timeout=5.0)
        if self.tmp:
            self.last_log = self.log()  # what knotd logged up to its exit
        if self.tmp and not KEEP_TMP:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        elif self.tmp:
            print('# knotd tmp kept: %s' % self.tmp, flush=True)
        return self.returncode


# ---------------------------------------------------------------------------
# DNS queries

RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP',
          5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH',
          10: 'NOTZONE', 16: 'BADVERS'}
TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'MX': 15, 'TXT': 16,
         'AAAA': 28, 'SRV': 33, 'OPT': 41, 'DS': 43, 'RRSIG': 46, 'NSEC': 47,
         'DNSKEY': 48, 'IXFR': 251, 'AXFR': 252, 'ANY': 255, 'CAA': 257}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
FLAG_NAMES = ('qr', 'aa', 'tc', 'rd', 'ra', 'z', 'ad', 'cd')


class Answer(dict):
    """A parsed DNS response.

    rcode ('NOERROR', ... or None when there was no answer), rcode_num, flags (set of
    'qr', 'aa', 'tc', ...), qname, qname_raw, answer / authority / additional: lists of
    (owner lowercased, ttl, type name, rdata text), answer_raw / authority_raw /
    additional_raw: the same with the owner as received, error (text when no answer).
    Attribute access works too: a.rcode, a.answer."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key)

    def rrs(self, section='answer', rtype=None):
        return [rr for rr in self[section] if rtype is None or rr[2] == rtype]

    def summary(self):
        if self.get('rcode') is None:
            return 'no answer (%s)' % (self.get('error') or '').strip()[:300]
        out = ['%s flags=%s' % (self['rcode'], ','.join(sorted(self['flags'])))]
        for sec in ('answer', 'authority', 'additional'):
            for rr in self['%s_raw' % sec]:
                out.append('  %s: %s %d %s %s' % (sec, rr[0], rr[1], rr[2], rr[3]))
        return '\n'.join(out)


def _empty_answer(error):
    a = Answer(rcode=None, rcode_num=None, flags=set(), qname=None, qname_raw=None,
               error=error)
    for sec in ('answer', 'authority', 'additional'):
        a[sec] = []
        a[sec + '_raw'] = []
    return a


def _finish(a, sections_raw):
    for sec, rrs in sections_raw.items():
        rrs = [rr for rr in rrs if rr[2] != 'OPT']
        a[sec + '_raw'] = rrs
        a[sec] = [(rr[0].lower(), rr[1], rr[2], rr[3]) for rr in rrs]
    return a


def dig(port, name, rtype='A', src=None, tcp=False, server='127.0.0.1', extra=(),
        timeout=1, retry=0):
    """Queries with kdig (+json) and returns an Answer.

    kdig 3.2.6 always sends (and prints) the query name in lowercase: use query() to
    check that the client's case is echoed (0x20). +ignore keeps the TC flag visible
    (no automatic TCP retry); +nocookie keeps the query plain."""
    check_loopback(server)
    if src:
        check_loopback(src)
    cmd = [KDIG, '@%s' % server, '-p', str(port), '-q', name, '-t', rtype,
           '+json', '+timeout=%d' % timeout, '+retry=%d' % retry, '+nocookie', '+noidn',
           '+ignore']
    if tcp:
        cmd.append('+tcp')
    if src:
        cmd += ['-b', src]
    cmd += list(extra)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout * (retry + 1) + 10,
                           universal_newlines=True)
    except subprocess.TimeoutExpired:
        return _empty_answer('kdig timed out')
    try:
        js = json.loads(p.stdout) if p.stdout.strip() else {}
    except ValueError:
        js = {}
    if 'RCODE' not in js:
        return _empty_answer((p.stderr + p.stdout).strip() or 'no answer')
    a = _empty_answer(None)
    a['rcode_num'] = js['RCODE']
    a['rcode'] = RCODES.get(js['RCODE'], str(js['RCODE']))
    a['flags'] = {f for f in FLAG_NAMES if js.get(f.upper())}
    a['qname_raw'] = js.get('QNAME')
    a['qname'] = (js.get('QNAME') or '').lower()
    a['json'] = js
    secs = {}
    for sec in ('answer', 'authority', 'additional'):
        rrs = []
        for rr in js.get(sec + 'RRs', []):
            rdata = None
            for k, v in rr.items():
                if k.startswith('rdata'):
                    rdata = v
                    break
            if rdata is None:
                rdata = '\\# %d %s' % (rr.get('RDLENGTH', 0), rr.get('RDATAHEX', '').lower())
            rtype_name = rr.get('TYPEname') or TYPE_NAMES.get(rr.get('TYPE'),
                                                              'TYPE%s' % rr.get('TYPE'))
            rrs.append((rr['NAME'], rr.get('TTL', 0), rtype_name, rdata))
        secs[sec] = rrs
    return _finish(a, secs)


# -- a raw DNS client: keeps the case of the query name -----------------------

def _encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if not label:
            continue
        raw = label.encode('ascii')
        if len(raw) > 63:
            raise ValueError('label too long')
        out += bytes([len(raw)]) + raw
    return out + b'\0'


def build_query(name, rtype='A', qid=None, rd=False, flags=0, qclass=1, edns=None):
    """A DNS query packet (the name is sent in exactly the case given)."""
    if qid is None:
        qid = random.randint(0, 0xffff)
    tnum = TYPES[rtype] if isinstance(rtype, str) else int(rtype)
    hflags = flags | (0x0100 if rd else 0)
    arcount = 1 if edns else 0
    pkt = struct.pack('!HHHHHH', qid, hflags, 1, 0, 0, arcount)
    pkt += _encode_name(name) + struct.pack('!HH', tnum, qclass)
    if edns:
        pkt += b'\0' + struct.pack('!HHIH', 41, int(edns), 0, 0)
    return pkt


def read_labels(msg, off):
    """The labels (bytes) of the name at off, following compression pointers, and the
    offset after the name where it is written."""
    labels = []
    jumped = False
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise ValueError('name past the end')
        n = msg[off]
        if n & 0xc0 == 0xc0:
            if off + 1 >= len(msg):
                raise ValueError('cut pointer')
            if not jumped:
                end = off + 2
            off = ((n & 0x3f) << 8) | msg[off + 1]
            jumped = True
            hops += 1
            if hops > 64:
                raise ValueError('pointer loop')
            continue
        if n & 0xc0:
            raise ValueError('bad label type')
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n])
        off += n
    return labels, (end if jumped else off)


def _read_name(msg, off):
    labels, end = read_labels(msg, off)
    return '.'.join(_label_text(l) for l in labels) + '.', end


def _label_text(raw):
    out = ''
    for b in raw:
        c = chr(b)
        if c in '.\\"()$;@ ':
            out += '\\' + c
        elif 0x21 <= b <= 0x7e:
            out += c
        else:
            out += '\\%03d' % b
    return out


def _txt(raw):
    out = []
    i = 0
    while i < len(raw):
        n = raw[i]
        s = raw[i + 1:i + 1 + n]
        i += 1 + n
        t = ''
        for b in s:
            c = chr(b)
            if c in '"\\':
                t += '\\' + c
            elif 0x20 <= b <= 0x7e:
                t += c
            else:
                t += '\\%03d' % b
        out.append('"%s"' % t)
    return ' '.join(out)


def _rdata_text(msg, tnum, off, rdlen):
    rd = msg[off:off + rdlen]
    if tnum == 1 and rdlen == 4:
        return socket.inet_ntop(socket.AF_INET, rd)
    if tnum == 28 and rdlen == 16:
        return socket.inet_ntop(socket.AF_INET6, rd)
    if tnum in (2, 5, 12):
        return _read_name(msg, off)[0]
    if tnum == 6:
        mname, o = _read_name(msg, off)
        rname, o = _read_name(msg, o)
        nums = struct.unpack('!IIIII', msg[o:o + 20])
        return '%s %s %s' % (mname, rname, ' '.join(map(str, nums)))
    if tnum == 15:
        pref = struct.unpack('!H', rd[:2])[0]
        return '%d %s' % (pref, _read_name(msg, off + 2)[0])
    if tnum == 33:
        prio, weight, port = struct.unpack('!HHH', rd[:6])
        return '%d %d %d %s' % (prio, weight, port, _read_name(msg, off + 6)[0])
    if tnum == 16:
        return _txt(rd)
    return '\\# %d %s' % (rdlen, rd.hex())


def parse_response(msg):
    """Parses a DNS response packet into an Answer (owners keep their wire case)."""
    if len(msg) < 12:
        return _empty_answer('short packet (%d bytes)' % len(msg))
    qid, hflags, qd, an, ns, ar = struct.unpack('!HHHHHH', msg[:12])
    a = _empty_answer(None)
    a['id'] = qid
    rcode = hflags & 0xf
    a['rcode_num'] = rcode
    a['rcode'] = RCODES.get(rcode, str(rcode))
    bits = {'qr': 0x8000, 'aa': 0x0400, 'tc': 0x0200, 'rd': 0x0100, 'ra': 0x0080,
            'z': 0x0040, 'ad': 0x0020, 'cd': 0x0010}
    a['flags'] = {f for f, b in bits.items() if hflags & b}
    a['opcode'] = (hflags >> 11) & 0xf
    a['counts'] = (qd, an, ns, ar)
    off = 12
    for _ in range(qd):
        qname, off = _read_name(msg, off)
        off += 4
        if a['qname_raw'] is None:
            a['qname_raw'] = qname
            a['qname'] = qname.lower()
    secs = {}
    for sec, count in (('answer', an), ('authority', ns), ('additional', ar)):
        rrs = []
        for _ in range(count):
            owner, off = _read_name(msg, off)
            tnum, _cls, ttl, rdlen = struct.unpack('!HHIH', msg[off:off + 10])
            off += 10
            if off + rdlen > len(msg):
                raise ValueError('rdata past the end')
            rrs.append((owner, ttl, TYPE_NAMES.get(tnum, 'TYPE%d' % tnum),
                        _rdata_text(msg, tnum, off, rdlen)))
            off += rdlen
        secs[sec] = rrs
    a['wire'] = msg
    return _finish(a, secs)


def query(port, name, rtype='A', src=None, tcp=False, server='127.0.0.1', timeout=2.0,
          rd=False, flags=0, qclass=1, edns=None, packet=None):
    """Sends one query with a raw socket (name in exactly the given case) and returns
    an Answer; rcode None when nothing (or garbage) came back."""
    check_loopback(server)
    if src:
        check_loopback(src)
    pkt = packet if packet is not None else build_query(name, rtype, rd=rd, flags=flags,
                                                       qclass=qclass, edns=edns)
    qid = struct.unpack('!H', pkt[:2])[0]
    deadline = time.monotonic() + timeout
    try:
        if tcp:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                if src:
                    s.bind((src, 0))
                s.settimeout(timeout)
                s.connect((server, port))
                s.sendall(struct.pack('!H', len(pkt)) + pkt)
                buf = b''
                while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return _empty_answer('timeout')
                    s.settimeout(left)
                    chunk = s.recv(65536)
                    if not chunk:
                        return _empty_answer('connection closed')
                    buf += chunk
                msg = buf[2:2 + struct.unpack('!H', buf[:2])[0]]
            finally:
                s.close()
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                if src:
                    s.bind((src, 0))
                s.sendto(pkt, (server, port))
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return _empty_answer('timeout')
                    s.settimeout(left)
                    msg, _ = s.recvfrom(65535)
                    if len(msg) >= 2 and struct.unpack('!H', msg[:2])[0] == qid:
                        break
            finally:
                s.close()
    except (socket.timeout, OSError) as e:
        return _empty_answer('%s' % e)
    try:
        return parse_response(msg)
    except (ValueError, struct.error, IndexError) as e:
        a = _empty_answer('unparsable response (%s)' % e)
        a['wire'] = msg
        return a


# ---------------------------------------------------------------------------
# helpers of the fault, snapshot and cluster tests (appended; nothing above changed)

def proc_tasks(pid):
    """Threads of a process (entries of /proc/PID/task)."""
    return len(os.listdir('/proc/%d/task' % pid))


def proc_fds(pid):
    """Open file descriptors of a process (entries of /proc/PID/fd)."""
    return len(os.listdir('/proc/%d/fd' % pid))


def proc_rss_kb(pid):
    """VmRSS of a process in kB (0 when unknown)."""
    for line in _read('/proc/%d/status' % pid).split('\n'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def mod_stats(kd, module='mod-lain'):
    """`knotc -f stats <module>` as {counter name: int} (absent counters are 0 to .get)."""
    out = {}
    for line in kd.stats(module, timeout=5).stdout.split('\n'):
        m = re.match(r'\s*%s\.(\S+)\s*=\s*(\d+)' % re.escape(module), line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class QueryLoad:
    """A bounded query load on known names, in a thread, for the duration of a fault.

        with QueryLoad(kd.port, {('web-1.console.lain', 'A'): ['172.20.1.4']}) as load:
            ...inject the fault...
        tap.ok(load.failed == 0, load.summary())

    Raw UDP queries (query()), round robin over the names, at most `rate` per second,
    each with `timeout` seconds (2 s, about a resolver's first retry; answers slower
    than `slow` seconds are counted in .slow, not as failures); the thread stops at
    stop() / the end of the with block, or after `max_seconds` whatever happens. Every
    answer is judged: 'ok' (NOERROR with exactly the expected rdata, sorted),
    'servfail', 'nxdomain', 'wrong' (another answer), 'timeout' (nothing back),
    'other' (another rcode). With
    servfail_until_ok=True, SERVFAILs before the first good answer are counted apart
    ('unsynced') and not as failures (a module not synced yet must SERVFAIL)."""

    VERDICTS = ('ok', 'servfail', 'nxdomain', 'wrong', 'timeout', 'other', 'unsynced')

    def __init__(self, port, expect, rate=200, timeout=2.0, max_seconds=120.0,
                 server='127.0.0.1', servfail_until_ok=False, slow=0.5):
        import threading
        check_loopback(server)
        self.port = port
        self.expect = [(n, t, sorted(v)) for (n, t), v in expect.items()]
        self.rate = rate
        self.timeout = timeout
        self.max_seconds = max_seconds
        self.server = server
        self.servfail_until_ok = servfail_until_ok
        self.counts = dict.fromkeys(self.VERDICTS, 0)
        self.slow_after = slow
        self.slow = 0               # answers that took longer than slow_after
        self.max_rtt = 0.0
        self.samples = []           # first failures: (t since start, name, verdict, detail)
        self.first_ok = None        # seconds since start of the first good answer
        self.last_bad = None        # seconds since start of the last failure
        self.started = None
        self.elapsed = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name='query-load')

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(self.timeout + 5)
        return self

    def _judge(self, name, rtype, want, ans):
        if ans.rcode is None:
            return 'timeout', ans.get('error')
        if ans.rcode == 'SERVFAIL':
            if self.servfail_until_ok and self.first_ok is None:
                return 'unsynced', None
            return 'servfail', None
        if ans.rcode == 'NXDOMAIN':
            return 'nxdomain', None
        if ans.rcode != 'NOERROR':
            return 'other', ans.rcode
        got = sorted(rr[3] for rr in ans.rrs('answer', rtype))
        if got != want:
            return 'wrong', '%s' % got
        return 'ok', None

    def _run(self):
        interval = 1.0 / self.rate if self.rate else 0
        end = self.started + self.max_seconds
        i = 0
        while not self._stop.is_set() and time.monotonic() < end:
            name, rtype, want = self.expect[i % len(self.expect)]
            i += 1
            t0 = time.monotonic()
            ans = query(self.port, name, rtype, server=self.server, timeout=self.timeout)
            verdict, detail = self._judge(name, rtype, want, ans)
            rtt = time.monotonic() - t0
            if ans.rcode is not None:
                self.max_rtt = max(self.max_rtt, rtt)
                if rtt > self.slow_after:
                    self.slow += 1
            t = time.monotonic() - self.started
            self.counts[verdict] += 1
            if verdict == 'ok' and self.first_ok is None:
                self.first_ok = t
            elif verdict not in ('ok', 'unsynced'):
                self.last_bad = t
                if verdict == 'timeout':
                    # still a failure; the same query again tells a lost packet (or a
                    # starved test machine) from a server that stopped answering
                    t1 = time.monotonic()
                    again = query(self.port, name, rtype, server=self.server,
                                  timeout=self.timeout)
                    detail = '%s; asked again: %s in %.0f ms' % (
                        detail, again.rcode or 'no answer', (time.monotonic() - t1) * 1000)
                if len(self.samples) < 20:
                    self.samples.append((round(t, 3), name, verdict, detail))
            left = interval - (time.monotonic() - t0)
            if left > 0:
                self._stop.wait(left)
        self.elapsed = time.monotonic() - self.started

    @property
    def sent(self):
        return sum(self.counts.values())

    @property
    def failed(self):
        return sum(v for k, v in self.counts.items() if k not in ('ok', 'unsynced'))

    def summary(self):
        parts = ['%d queries in %.1f s' % (self.sent, self.elapsed or
                                          (time.monotonic() - (self.started or 0)))]
        parts += ['%s %d' % (k, v) for k, v in self.counts.items() if v or k == 'ok']
        if self.slow:
            parts.append('slower than %.1f s %d (max %.2f s)' % (self.slow_after, self.slow,
                                                                 self.max_rtt))
        return ', '.join(parts)

    def diag(self):
        return [self.summary()] + ['  t=%.3f %s: %s %s' % s for s in self.samples]
