"""Processes of the integration tests: knotd with the module (Knotd), free ports,
stopping a process by its PID, a private mount namespace, polls with a deadline
(wait_until), and what /proc and knotc tell about a running knotd."""

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from testenv import KEEP_TMP, KNOTC, KNOTD, MOD_LAIN_SO, PRELOAD, WRAPPER, check_loopback


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


def release_tmp(owner, what):
    """After a stopped process: keeps what it logged (owner.last_log), then removes its
    directory (owner.tmp), or keeps and names it with MOD_LAIN_KEEP_TMP."""
    if not owner.tmp:
        return
    owner.last_log = owner.log()
    if KEEP_TMP:
        print('# %s tmp kept: %s' % (what, owner.tmp), flush=True)
        return
    shutil.rmtree(owner.tmp, ignore_errors=True)
    owner.tmp = None


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
        release_tmp(self, 'knotd')
        return self.returncode


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


class RssPeak:
    """Samples a process's VmRSS in a thread while the with-block runs:
    `with RssPeak(pid) as rss: ...`, then rss.base (before), rss.peak, rss.samples."""

    def __init__(self, pid, interval=0.005):
        self.pid, self.interval = pid, interval
        self.base = self.peak = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, proc_rss_kb(self.pid))
            self.samples += 1
            time.sleep(self.interval)

    def __enter__(self):
        self.base = proc_rss_kb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)


def mod_stats(kd, module='mod-lain'):
    """`knotc -f stats <module>` as {counter name: int} (absent counters are 0 to .get)."""
    out = {}
    for line in kd.stats(module, timeout=5).stdout.split('\n'):
        m = re.match(r'\s*%s\.(\S+)\s*=\s*(\d+)' % re.escape(module), line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out
