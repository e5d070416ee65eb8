#!/usr/bin/env python3
"""mod-lain benchmarks (issue 6): runs every measurement and writes results.json.

Normally started by bench/run.sh (which installs the packages, builds the module and
the parse helpers, then calls this and bench/report.py). Directly:

    bench/bench.py --module-so .libs/mod-lain.so --bin DIR --out DIR [--quick]
                   [--sizes 1k,10k,100k] [--duration 10] [--rounds 3] [--updates 30]

Layout on this 2-core machine: dnsperf, the lainlet and this driver on CPU 0; the
server under test (knotd + mod-lain, knotd with zone files, tinydns) on CPU 1
(`taskset`). Only 127.0.0.0/8 is used (knotd 127.0.0.1, tinydns 127.0.0.2:53). Every
process is started here with a parent-death signal, remembered by PID and stopped by
PID (SIGTERM, then SIGKILL after 10 s); every wait and loop has a bound.
"""

import argparse
import ctypes
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
from harness import free_port  # noqa: E402 (the tests' helper: a TCP+UDP free port)
TOP = os.path.dirname(HERE)
LIBC = ctypes.CDLL('libc.so.6', use_errno=True)
PR_SET_PDEATHSIG = 1
CLK_TCK = os.sysconf('SC_CLK_TCK')
CPU_CLIENT = '0'        # dnsperf, lainlet, this driver
CPU_SERVER = '1'        # the server under test
TINY_IP = '127.0.0.2'

PROCS = []


def log(msg):
    sys.stderr.write('%s bench: %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def _pdeathsig():
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    os.setpgid(0, 0)


class Proc:
    """A process started here, stopped by its PID."""

    def __init__(self, name, cmd, cpus, logfile, env=None, cwd=None):
        self.name = name
        self.cmd = ['taskset', '-c', cpus] + list(cmd)   # taskset execs: same PID
        self.logfile = logfile
        with open(logfile, 'ab') as out:
            self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                      preexec_fn=_pdeathsig)
        self.pid = self.p.pid
        PROCS.append(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=10.0):
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log('%s (pid %d) did not stop on SIGTERM: SIGKILL' % (self.name, self.pid))
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        if self in PROCS:
            PROCS.remove(self)

    # /proc readers
    def status(self, key):
        try:
            with open('/proc/%d/status' % self.pid) as f:
                for line in f:
                    if line.startswith(key + ':'):
                        return int(line.split()[1])     # kB
        except OSError:
            pass
        return None

    def cpu_s(self):
        """utime + stime of the whole process (s)."""
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def threads_ns(self):
        """{tid: ns on CPU} from /proc/PID/task/TID/schedstat."""
        out = {}
        d = '/proc/%d/task' % self.pid
        for tid in os.listdir(d):
            try:
                with open('%s/%s/schedstat' % (d, tid)) as f:
                    out[int(tid)] = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return out

    def text(self, start=0):
        with open(self.logfile, 'rb') as f:
            f.seek(start)
            return f.read().decode('utf-8', 'replace')

    def log_size(self):
        return os.path.getsize(self.logfile)


def stop_all():
    for p in list(reversed(PROCS)):
        try:
            p.stop()
        except Exception as e:      # noqa: BLE001 - best effort at exit
            log('stopping %s: %s' % (p.name, e))


def wait_until(fn, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except Exception:           # noqa: BLE001 - polling
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------
# DNS over UDP, minimal

TYPES = {'A': 1, 'PTR': 12, 'NS': 2, 'SOA': 6, 'AAAA': 28}


def _name_wire(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def _skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xc0 == 0xc0:
            return pos + 2
        pos += n + 1


def _read_name(msg, pos):
    labels = []
    for _ in range(128):
        n = msg[pos]
        if n == 0:
            break
        if n & 0xc0 == 0xc0:
            pos = ((n & 0x3f) << 8) | msg[pos + 1]
            continue
        labels.append(msg[pos + 1:pos + 1 + n].decode('ascii', 'replace'))
        pos += n + 1
    return '.'.join(labels) + '.'


class Resolver:
    """One UDP socket; query() -> (rcode, [answer strings]) or (None, []) on timeout."""

    def __init__(self, server, port, timeout=1.0):
        self.addr = (server, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(timeout)

    def close(self):
        self.s.close()

    def query(self, name, qtype='A'):
        qid = random.getrandbits(16)
        pkt = struct.pack('!HHHHHH', qid, 0, 1, 0, 0, 0) + _name_wire(name) + \
            struct.pack('!HH', TYPES[qtype], 1)
        self.s.sendto(pkt, self.addr)
        deadline = time.monotonic() + self.s.gettimeout()
        while True:
            try:
                msg = self.s.recv(4096)
            except socket.timeout:
                return None, []
            if len(msg) >= 12 and struct.unpack('!H', msg[:2])[0] == qid:
                break
            if time.monotonic() > deadline:
                return None, []
        _, flags, qd, an, _, _ = struct.unpack('!HHHHHH', msg[:12])
        pos = 12
        for _ in range(qd):
            pos = _skip_name(msg, pos) + 4
        out = []
        for _ in range(an):
            pos = _skip_name(msg, pos)
            rtype, _, _, rdlen = struct.unpack('!HHIH', msg[pos:pos + 10])
            pos += 10
            rd = msg[pos:pos + rdlen]
            if rtype == 1 and rdlen == 4:
                out.append(socket.inet_ntoa(rd))
            elif rtype == 12:
                out.append(_read_name(msg, pos))
            pos += rdlen
        return flags & 0xf, sorted(out)


# ---------------------------------------------------------------------------
# servers

class Lainlet(Proc):
    def __init__(self, workdir, cluster, tag):
        pf = os.path.join(workdir, 'lainlet-%s.port' % tag)
        if os.path.exists(pf):
            os.unlink(pf)
        super().__init__('lainlet-%s' % tag,
                         [sys.executable, os.path.join(HERE, 'lainlet_bench.py'),
                          '--fixtures', cluster, '--listen', '127.0.0.1', '--port', '0',
                          '--port-file', pf],
                         CPU_CLIENT, os.path.join(workdir, 'lainlet-%s.log' % tag))
        if not wait_until(lambda: os.path.exists(pf), 120):
            raise RuntimeError('lainlet did not start: %s' % self.text()[-2000:])
        with open(pf) as f:
            self.port = int(f.read())
        self.url = 'http://127.0.0.1:%d' % self.port

    def ctl(self, path, body=b'', timeout=180):
        req = urllib.request.Request(self.url + path, data=body, method='POST')
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())


class Knotd(Proc):
    def __init__(self, workdir, tag, workers=1, module_so=None, lainlet=None, zones=None,
                 cpus=CPU_SERVER):
        self.dir = os.path.join(workdir, 'knotd-%s' % tag)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        self.tag = tag
        conf = ['server:', '    rundir: %s' % self.dir,
                '    listen: 127.0.0.1@%d' % self.port,
                '    udp-workers: %d' % workers, '    tcp-workers: 1',
                '    background-workers: 1', '',
                'log:', '  - target: stderr', '    any: %s' % ('debug' if module_so else 'info'),
                '', 'database:', '    storage: %s' % self.dir, '']
        if module_so:
            conf += ['module:', '  - id: mod-lain', '    file: %s' % module_so, '',
                     'mod-lain:', '  - id: default', '    lainlet: %s' % lainlet,
                     '    ttl: 60', '',
                     'template:', '  - id: default', '    global-module: mod-lain/default', '']
        if zones:
            conf += ['template:', '  - id: default', '    storage: %s' % zones['dir'],
                     '    zonefile-sync: -1', '    zonefile-load: whole',
                     '    journal-content: none', '', 'zone:']
            for z, fn in sorted(zones['files'].items()):
                conf += ['  - domain: %s' % z, '    file: %s' % fn]
        self.conf = os.path.join(self.dir, 'knot.conf')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(conf) + '\n')
        super().__init__('knotd-%s' % tag, ['knotd', '-c', self.conf], cpus,
                         os.path.join(self.dir, 'knotd.log'))


class Tinydns(Proc):
    def __init__(self, workdir, root, cpus=CPU_SERVER):
        env = dict(os.environ, IP=TINY_IP, ROOT=root, UID='65534', GID='65534')
        # tinydns logs every query to stdout: /dev/null, as a log pipe would take it
        self.port = 53
        super().__init__('tinydns', ['tinydns'], cpus, os.devnull, env=env)


def ready(resolver, name, ip, timeout, proc=None):
    def check():
        if proc is not None and not proc.alive():
            raise RuntimeError('%s exited: %s' % (proc.name, proc.text()[-2000:]))
        return resolver.query(name, 'A')[1] == [ip]
    return wait_until_alive(check, timeout, 0.1)


def wait_until_alive(fn, timeout, interval):
    """wait_until, but a RuntimeError from fn (a process died) is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except RuntimeError:
            raise
        except Exception:           # noqa: BLE001 - polling
            v = None
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------
# dnsperf

def dnsperf(server, port, qfile, duration, extra=(), verbose_file=None, cpus=CPU_CLIENT,
            clients=8, outstanding=100):
    cmd = ['taskset', '-c', cpus, 'dnsperf', '-s', server, '-p', str(port), '-d', qfile,
           '-l', str(duration), '-c', str(clients), '-q', str(outstanding), '-t', '2']
    cmd += list(extra)
    if verbose_file:
        cmd.append('-v')
    out_f = open(verbose_file, 'wb') if verbose_file else subprocess.PIPE
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out_f,
                           stderr=subprocess.PIPE, timeout=duration + 60,
                           preexec_fn=_pdeathsig)
    finally:
        if verbose_file:
            out_f.close()
    text = (open(verbose_file, 'rb').read() if verbose_file else p.stdout)
    text = text.decode('utf-8', 'replace')
    r = {'cmd': ' '.join(cmd[3:]), 'rc': p.returncode}

    def num(rx, cast=float):
        m = re.search(rx, text)
        return cast(m.group(1)) if m else None
    r['sent'] = num(r'Queries sent:\s+(\d+)', int)
    r['completed'] = num(r'Queries completed:\s+(\d+)', int)
    r['lost'] = num(r'Queries lost:\s+(\d+)', int)
    r['qps'] = num(r'Queries per second:\s+([\d.]+)')
    r['avg_lat_ms'] = (num(r'Average Latency \(s\):\s+([\d.]+)') or 0) * 1000
    r['max_lat_ms'] = (num(r'Average Latency \(s\):.*max ([\d.]+)') or 0) * 1000
    r['resp_bytes'] = num(r'response (\d+)', int)
    codes = {}
    m = re.search(r'Response codes:\s+(.*)', text)
    if m:
        for name, cnt in re.findall(r'([A-Z]+) (\d+)', m.group(1)):
            codes[name] = int(cnt)
    r['codes'] = codes
    r['errors'] = sum(v for k, v in codes.items() if k not in ('NOERROR', 'NXDOMAIN'))
    if verbose_file:
        lats = []
        for line in text.splitlines():
            if line.startswith('> '):
                try:
                    lats.append(float(line.rsplit(' ', 1)[1]) * 1000)
                except ValueError:
                    pass
        lats.sort()
        r['samples'] = len(lats)
        if lats:
            r['p50_ms'] = lats[len(lats) // 2]
            r['p99_ms'] = lats[min(len(lats) - 1, int(len(lats) * 0.99))]
            r['p999_ms'] = lats[min(len(lats) - 1, int(len(lats) * 0.999))]
        os.unlink(verbose_file)
    if r['qps'] is None:
        r['stderr'] = p.stderr.decode('utf-8', 'replace')[-1000:]
    return r


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# ---------------------------------------------------------------------------
# measurements

class Bench:
    def __init__(self, args):
        self.a = args
        self.out = args.out
        self.work = os.path.join(self.out, 'work')
        os.makedirs(self.work, exist_ok=True)
        self.res = {'started': time.strftime('%Y-%m-%d %H:%M:%S %Z'), 'args': vars(args),
                    'sizes': {}, 'm1': {}, 'm2': {}, 'm3': {}, 'm4': {}, 'm5': {}}
        self.clusters = {}

    def save(self):
        tmp = os.path.join(self.out, 'results.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(self.res, f, indent=1, sort_keys=True)
        os.rename(tmp, os.path.join(self.out, 'results.json'))

    # -- setup -------------------------------------------------------------
    def machine(self):
        model = ''
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
        mem = ''
        with open('/proc/meminfo') as f:
            mem = f.readline().split(':')[1].strip()

        def ver(cmd):
            try:
                return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=10).stdout.decode().strip().splitlines()[0]
            except (OSError, subprocess.TimeoutExpired, IndexError):
                return '?'

        def dpkg(pkg):
            return ver(['dpkg-query', '-W', '-f', '${Version}', pkg])
        osr = ''
        if os.path.exists('/etc/os-release'):
            with open('/etc/os-release') as f:
                m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
                osr = m.group(1) if m else ''
        self.res['machine'] = {
            'nproc': os.cpu_count(), 'cpu': model, 'kernel': platform.release(),
            'os': osr, 'memory': mem, 'python': platform.python_version(),
            'versions': {p: dpkg(p) for p in ('knot', 'dnsperf', 'tinydns', 'libjansson4',
                                              'libcjson1', 'libsimdjson14', 'libcurl4',
                                              'liburcu8', 'gnuplot-nox', 'linux-perf')},
            'module': self.a.module_desc,
        }

    def gen(self, size):
        d = os.path.join(self.out, 'clusters', size)
        meta_p = os.path.join(d, 'meta.json')
        if not os.path.exists(meta_p) or self.a.regen:
            t = time.monotonic()
            subprocess.run([sys.executable, os.path.join(HERE, 'gen_cluster.py'),
                            '--scale', size, '--out', d], check=True, timeout=600)
            log('generated %s in %.1f s' % (size, time.monotonic() - t))
            tiny = os.path.join(d, 'tinydns')
            t = time.monotonic()
            subprocess.run(['tinydns-data'], cwd=tiny, check=True, timeout=600)
            with open(os.path.join(tiny, 'build.txt'), 'w') as f:
                f.write('%.3f\n' % (time.monotonic() - t))
        with open(meta_p) as f:
            meta = json.load(f)
        meta['dir'] = d
        with open(os.path.join(d, 'tinydns', 'build.txt')) as f:
            meta['tinydns_data_s'] = float(f.read())
        self.clusters[size] = meta
        self.res['sizes'][size] = {k: v for k, v in meta.items() if k != 'update_targets'}
        return meta

    def zones(self, meta):
        return {'dir': meta['dir'], 'files': meta['zones']}

    def start_module(self, tag, meta, lainlet, workers=1, cpus=CPU_SERVER):
        t = time.monotonic()
        k = Knotd(self.work, tag, workers, module_so=self.a.module_so, lainlet=lainlet.url,
                  cpus=cpus)
        tgt = meta['update_targets'][0]
        r = Resolver('127.0.0.1', k.port)
        def published():
            if not k.alive():
                raise RuntimeError('knotd exited: %s' % k.text()[-2000:])
            return 'table published' in k.text()
        ok = wait_until_alive(published, 600, 0.1) and ready(r, tgt['name'], tgt['ip'], 30, k)
        r.close()
        if not ok:
            raise RuntimeError('knotd+mod-lain not ready:\n%s' % k.text()[-3000:])
        k.ready_s = time.monotonic() - t
        return k

    def start_zone(self, tag, meta, workers=1, cpus=CPU_SERVER):
        t = time.monotonic()
        k = Knotd(self.work, tag, workers, zones=self.zones(meta), cpus=cpus)
        tgt = meta['update_targets'][0]
        r = Resolver('127.0.0.1', k.port)
        ok = ready(r, tgt['name'], tgt['ip'], 600, k)
        r.close()
        if not ok:
            raise RuntimeError('knotd (zone files) not ready:\n%s' % k.text()[-3000:])
        k.ready_s = time.monotonic() - t
        return k

    def start_tiny(self, meta):
        t = time.monotonic()
        tdns = Tinydns(self.work, os.path.join(meta['dir'], 'tinydns'))
        tgt = meta['update_targets'][0]
        r = Resolver(TINY_IP, 53)
        ok = ready(r, tgt['name'], tgt['ip'], 30, tdns)
        r.close()
        if not ok:
            raise RuntimeError('tinydns not ready on %s:53' % TINY_IP)
        tdns.ready_s = time.monotonic() - t
        return tdns

    def compare_answers(self, meta, servers, n=300):
        """The servers answer the same (rcode and A/PTR sets) to n queries of the mix."""
        with open(os.path.join(meta['dir'], 'queries.txt')) as f:
            lines = [l.split() for l in f.readlines()[:n]]
        resolvers = {name: Resolver(addr, port) for name, (addr, port) in servers.items()}
        diff = []
        for name, qtype in lines:
            answers = {s: r.query(name, qtype) for s, r in resolvers.items()}
            norm = {s: (a[0], tuple(a[1])) for s, a in answers.items()}
            if len(set(norm.values())) > 1:
                diff.append({'q': '%s %s' % (name, qtype), 'answers': {
                    s: list(v) for s, v in norm.items()}})
        for r in resolvers.values():
            r.close()
        return {'queries': len(lines), 'mismatches': len(diff), 'examples': diff[:5]}

    # -- measurement 3: the module's fixed cost -------------------------------
    def module_base(self):
        """knotd + mod-lain serving the 5-container sample cluster (tests/fixtures): what
        loading the module costs before any cluster (mod-lain.so, libcurl and the TLS and
        other libraries it links, the watcher thread, its buffers)."""
        src = os.path.join(HERE, '..', 'tests', 'fixtures')
        d = os.path.join(self.work, 'base-cluster')
        os.makedirs(d, exist_ok=True)
        for fn in os.listdir(src):
            if fn.endswith('.json'):   # compact, one line: the lainlet's data lines
                with open(os.path.join(src, fn), encoding='utf-8') as f:
                    doc = json.load(f)
                with open(os.path.join(d, fn), 'w', encoding='utf-8') as f:
                    json.dump(doc, f, separators=(',', ':'))
        ll = Lainlet(self.work, d, 'base')
        k = Knotd(self.work, 'mod-base', 1, module_so=self.a.module_so, lainlet=ll.url,
                  cpus=CPU_SERVER)
        try:
            def published():
                if not k.alive():
                    raise RuntimeError('knotd exited: %s' % k.text()[-2000:])
                return 'table published' in k.text()
            if not wait_until_alive(published, 60, 0.1):
                raise RuntimeError('knotd+mod-lain (sample cluster) not ready')
            time.sleep(1)
            m = re.findall(r'table published \(serial \d+, records (\d+)', k.text())
            return {'rss_kb': k.status('VmRSS'), 'records': int(m[-1]) if m else None}
        finally:
            k.stop()
            ll.stop()

    # -- measurement 1 (+3 memory at rest) -----------------------------------
    def m1(self, size, empty_rss):
        a = self.a
        meta = self.clusters[size]
        qfile = os.path.join(meta['dir'], 'queries.txt')
        log('M1 %s: starting lainlet, knotd+mod-lain, knotd zone files, tinydns' % size)
        ll = Lainlet(self.work, meta['dir'], size)
        mod = self.start_module('mod-%s' % size, meta, ll)
        zone = self.start_zone('zone-%s' % size, meta)
        tiny = self.start_tiny(meta) if not a.no_tinydns else None
        servers = {'module': ('127.0.0.1', mod.port), 'zonefile': ('127.0.0.1', zone.port)}
        if tiny:
            servers['tinydns'] = (TINY_IP, 53)
        time.sleep(1)
        m = re.findall(r'table published \(serial \d+, records (\d+), names (\d+), (\d+) kB',
                       mod.text())
        mem = {'empty_rss_kb': empty_rss,
               'module_rss_kb': mod.status('VmRSS'), 'module_hwm_kb': mod.status('VmHWM'),
               'zone_rss_kb': zone.status('VmRSS'), 'zone_hwm_kb': zone.status('VmHWM'),
               'module_records': int(m[-1][0]) if m else None,
               'module_names': int(m[-1][1]) if m else None,
               'module_table_kb': int(m[-1][2]) if m else None,
               'records': meta['records'],
               'module_ready_s': mod.ready_s, 'zone_ready_s': zone.ready_s}
        if tiny:
            mem['tinydns_rss_kb'] = tiny.status('VmRSS')
        res = {'answers_agree': self.compare_answers(meta, servers), 'runs': {},
               'latency': {}}
        log('M1 %s: answers compared: %s mismatches of %d' % (
            size, res['answers_agree']['mismatches'], res['answers_agree']['queries']))
        order = list(servers)
        procs = {'module': mod, 'zonefile': zone, 'tinydns': tiny}
        for rnd in range(a.rounds):
            for s in order:
                addr, port = servers[s]
                c0 = procs[s].cpu_s()
                r = dnsperf(addr, port, qfile, a.duration)
                c1 = procs[s].cpu_s()
                r['server_cpu_s'] = c1 - c0
                r['server_us_per_query'] = ((c1 - c0) * 1e6 / r['completed']
                                            if r['completed'] else None)
                r['round'] = rnd + 1
                res['runs'].setdefault(s, []).append(r)
                log('M1 %s round %d %-8s %8.0f qps  avg %.3f ms  lost %s  server %.2f us/q' % (
                    size, rnd + 1, s, r['qps'] or 0, r['avg_lat_ms'], r['lost'],
                    r['server_us_per_query'] or -1))
        # latency at a fixed offered load every server sustains, per-query times (-v)
        for rnd in range(a.lat_rounds):
            for s in order:
                addr, port = servers[s]
                vf = os.path.join(self.work, 'dnsperf-v.out')
                r = dnsperf(addr, port, qfile, a.lat_duration, ['-Q', str(a.lat_qps)],
                            verbose_file=vf)
                res['latency'].setdefault(s, []).append(r)
        res['summary'] = {}
        for s in order:
            runs = res['runs'][s]
            lat = res['latency'].get(s, [])
            res['summary'][s] = {
                'qps': med([r['qps'] for r in runs]),
                'qps_all': [r['qps'] for r in runs],
                'avg_lat_ms': med([r['avg_lat_ms'] for r in runs]),
                'server_us_per_query': med([r['server_us_per_query'] for r in runs]),
                'lost': sum(r['lost'] or 0 for r in runs),
                'resp_bytes': med([r['resp_bytes'] for r in runs]),
                'fixed_load_avg_ms': med([r['avg_lat_ms'] for r in lat]),
                'fixed_load_p50_ms': med([r.get('p50_ms') for r in lat]),
                'fixed_load_p99_ms': med([r.get('p99_ms') for r in lat]),
                'fixed_load_p999_ms': med([r.get('p999_ms') for r in lat]),
            }
        mem['module_rss_after_kb'] = mod.status('VmRSS')
        self.res['m1'][size] = res
        self.res['m3'][size] = mem
        self.save()
        zone.stop()
        if tiny:
            tiny.stop()
        return ll, mod

    # -- measurement 2 (+3 peak) ---------------------------------------------
    def parse_floor(self, size):
        meta = self.clusters[size]
        doc = os.path.join(meta['dir'], 'coreinfo.json')
        out = {}
        reps = '3' if size.endswith('00k') or self.a.quick else '7'
        for tool in ('parse_bench', 'simdjson_bench'):
            exe = os.path.join(self.a.bin, tool)
            if not os.path.exists(exe):
                continue
            p = subprocess.run(['taskset', '-c', CPU_SERVER, exe, doc, reps],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
            for line in p.stdout.decode().splitlines():
                f = line.split()
                if len(f) >= 3 and f[0] != 'bytes':
                    out[f[0]] = {'min_us': float(f[1]), 'median_us': float(f[2])}
        return out

    def m2(self, size, ll, mod):
        a = self.a
        meta = self.clusters[size]
        res = {'parse': self.parse_floor(size), 'updates': []}
        log('M2 %s: parse floor %s' % (size, {k: v['median_us'] for k, v in
                                              res['parse'].items()}))
        r = Resolver('127.0.0.1', mod.port, timeout=0.5)
        targets = meta['update_targets']
        current = {t['name']: t['ip'] for t in targets}
        steady_rss = mod.status('VmRSS')
        n_updates = a.updates
        peak = {'rss': 0}
        sampling = threading.Event()
        stop_sampler = threading.Event()

        def sampler():
            while not stop_sampler.is_set():
                if sampling.is_set():
                    v = mod.status('VmRSS')
                    if v and v > peak['rss']:
                        peak['rss'] = v
                time.sleep(0.005)
        st = threading.Thread(target=sampler, daemon=True)
        st.start()
        cpu0 = mod.cpu_s()
        thr0 = mod.threads_ns()
        perf = None
        # tolerant of fields added to these log lines
        rx_applied = re.compile(r'coreinfo \S+: update event id (\d+) applied \((\d+) bytes'
                                r'[^)\n]*?read (\d+) us')
        rx_pub = re.compile(r'table published \(serial (\d+), records (\d+), names (\d+), '
                            r'(\d+) kB[^)\n]*?build (\d+) us[^)\n]*?publish (\d+) us')
        cpu1 = thr1 = None
        extra = a.perf_updates if a.perf and shutil.which('perf') else 0
        for i in range(n_updates + extra):
            if i == n_updates:
                # the profiled updates come after the measured ones and are not counted
                cpu1 = mod.cpu_s()
                thr1 = mod.threads_ns()
                pdata = os.path.join(self.work, 'perf-%s.data' % size)
                perf = subprocess.Popen(['perf', 'record', '-e', 'cpu-clock', '-F', '2000',
                                         '-p', str(mod.pid), '-o', pdata],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=_pdeathsig)
                time.sleep(1)
            t = targets[i % len(targets)]
            new_ip = '172.%d.255.%d' % (20 + i // 254, i % 254 + 1)
            old_ip = current[t['name']]
            mark = mod.log_size()
            box = {}

            def post():
                try:
                    box['r'] = ll.ctl('/_ctl/setip?old=%s&new=%s' % (old_ip, new_ip))
                except Exception as e:  # noqa: BLE001
                    box['e'] = e
            th = threading.Thread(target=post, daemon=True)
            sampling.set()
            th.start()
            t_seen = None
            t_begin = time.monotonic()
            deadline = t_begin + 120
            while time.monotonic() < deadline:
                rc, ans = r.query(t['name'], 'A')
                if ans == [new_ip]:
                    t_seen = time.monotonic()
                    break
                # poll interval: 0.2 ms, growing with the wait (<= 0.5% of it)
                time.sleep(min(max(0.0002, (time.monotonic() - t_begin) * 0.005), 0.005))
            th.join(180)
            # the table published line and the applied line of this update
            txt = ''

            def have_pub():
                nonlocal txt
                txt = mod.text(mark)
                return rx_pub.search(txt)
            wait_until(have_pub, 30, 0.02)
            sampling.clear()
            if 'e' in box or 'r' not in box or not box['r']['sends']:
                log('M2 %s update %d: control failed: %s' % (size, i, box.get('e')))
                continue
            current[t['name']] = new_ip
            t_start, t_end = box['r']['sends'][0]
            ap = rx_applied.search(txt)
            pb = rx_pub.search(txt)
            u = {'name': t['name'], 'e2e_ms': (t_seen - t_start) * 1000 if t_seen else None,
                 'send_ms': (t_end - t_start) * 1000,
                 'bytes': int(ap.group(2)) if ap else None,
                 'read_ms': int(ap.group(3)) / 1000 if ap else None,
                 'build_ms': int(pb.group(5)) / 1000 if pb else None,
                 'publish_ms': int(pb.group(6)) / 1000 if pb else None,
                 'records': int(pb.group(2)) if pb else None, 'profiled': i >= n_updates}
            res['updates'].append(u)
            if i < 3 or i % 10 == 9:
                log('M2 %s update %d: e2e %.1f ms (send %.1f, read %s, build %s, publish %s)'
                    % (size, i + 1, u['e2e_ms'] or -1, u['send_ms'], u['read_ms'],
                       u['build_ms'], u['publish_ms']))
            time.sleep(a.update_gap)
        if cpu1 is None:
            cpu1 = mod.cpu_s()
            thr1 = mod.threads_ns()
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            try:
                perf.wait(60)
            except subprocess.TimeoutExpired:
                perf.kill()
                perf.wait(5)
            res['perf'] = self.perf_report(os.path.join(self.work, 'perf-%s.data' % size),
                                           mod.pid)
        stop_sampler.set()
        st.join(2)
        done = [u for u in res['updates'] if u['e2e_ms'] is not None and not u['profiled']]
        deltas = sorted(((thr1.get(tid, 0) - thr0.get(tid, 0)), tid) for tid in thr1)
        k = max(len(done), 1)
        res['cpu_ms_per_update'] = (cpu1 - cpu0) * 1000 / k
        res['watcher_cpu_ms_per_update'] = deltas[-1][0] / 1e6 / k if deltas else None
        res['steady_rss_kb'] = steady_rss
        res['peak_rss_kb'] = peak['rss']
        res['hwm_kb'] = mod.status('VmHWM')
        res['rss_after_kb'] = mod.status('VmRSS')

        def stat(key):
            v = [u[key] for u in done if u[key] is not None]
            return {'p50': pct(v, 50), 'p99': pct(v, 99), 'min': min(v) if v else None,
                    'max': max(v) if v else None, 'mean': statistics.mean(v) if v else None}
        res['summary'] = {key: stat(key) for key in ('e2e_ms', 'send_ms', 'read_ms',
                                                     'build_ms', 'publish_ms')}
        res['summary']['count'] = len(done)
        # an identical document: no rebuild
        mark = mod.log_size()
        c0 = mod.threads_ns()
        before = len(rx_pub.findall(mod.text()))
        ll.ctl('/_ctl/same?name=coreinfo')
        ok = wait_until(lambda: 'identical, nothing to do' in mod.text(mark), 60, 0.02)
        time.sleep(0.5)
        c1 = mod.threads_ns()
        after = len(rx_pub.findall(mod.text()))
        d = max((c1.get(t, 0) - c0.get(t, 0)) for t in c1) if c1 else 0
        res['identical'] = {'identical_logged': bool(ok), 'new_publishes': after - before,
                            'watcher_cpu_ms': d / 1e6}
        log('M2 %s: e2e p50 %.1f p99 %.1f ms over %d; identical doc -> %d publishes' % (
            size, res['summary']['e2e_ms']['p50'] or -1, res['summary']['e2e_ms']['p99'] or -1,
            len(done), after - before))
        r.close()
        self.res['m2'][size] = res
        self.save()

    def perf_report(self, pdata, pid):
        """Flat profiles of knotd during the last updates: by library, then by symbol."""
        out = {}
        for key, sort in (('by_dso', 'dso'), ('by_symbol', 'dso,symbol')):
            try:
                p = subprocess.run(['perf', 'report', '-i', pdata, '--stdio', '--no-children',
                                    '--sort', sort, '--percent-limit', '1'],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   timeout=300)
            except (OSError, subprocess.TimeoutExpired):
                return None
            out[key] = [l.rstrip() for l in p.stdout.decode('utf-8', 'replace').splitlines()
                        if l.strip() and not l.startswith('#')][:30]
        return out

    # -- measurement 4 -------------------------------------------------------
    def m4(self, size):
        a = self.a
        meta = self.clusters[size]
        qfile = os.path.join(meta['dir'], 'queries.txt')
        ll = Lainlet(self.work, meta['dir'], 'churn-%s' % size)
        mod = self.start_module('churn-%s' % size, meta, ll)
        targets = meta['update_targets']
        current = {t['name']: t['ip'] for t in targets}
        rx_pub = re.compile(r'table published')
        counter = [0]
        res = {'idle': [], 'churn': []}
        for rnd in range(a.rounds):
            for mode in ('idle', 'churn'):
                stop = threading.Event()
                stats = {'updates': 0, 'stale': 0, 'checks': 0, 'late': 0, 'seen_ms': []}
                # per name: [(ip, version, t_posted)], highest version answered so far
                versions = {}
                max_seen = {}
                recent = []
                lock = threading.Lock()
                mark = mod.log_size()

                def updater():
                    nxt = time.monotonic() + 0.3
                    while not stop.is_set():
                        now = time.monotonic()
                        if now < nxt:
                            time.sleep(min(nxt - now, 0.05))
                            continue
                        if now > nxt + 0.5:
                            stats['late'] += 1      # fell behind the schedule
                        nxt += 1.0 / a.churn_rate
                        i = counter[0]
                        counter[0] += 1
                        t = targets[i % len(targets)]
                        name = t['name']
                        new_ip = '172.%d.255.%d' % (20 + (i // 254) % 10, i % 254 + 1)
                        try:
                            ll.ctl('/_ctl/setip?old=%s&new=%s' % (current[name], new_ip),
                                   timeout=10)
                        except Exception:   # noqa: BLE001
                            continue
                        with lock:
                            current[name] = new_ip
                            versions.setdefault(name, [(t['ip'], 0, 0.0)]).append(
                                (new_ip, i + 1, time.monotonic()))
                            if name in recent:
                                recent.remove(name)
                            recent.append(name)
                            del recent[:-5]
                        stats['updates'] += 1

                def checker():
                    # answers never go back: once version v of a name was answered,
                    # an older address of it is a stale answer
                    r = Resolver('127.0.0.1', mod.port, timeout=0.5)
                    seen_versions = set()
                    while not stop.is_set():
                        with lock:
                            names = list(recent)
                        for name in names:
                            _, ans = r.query(name, 'A')
                            now = time.monotonic()
                            with lock:
                                hist = list(versions[name])
                            v = max((ver for ip, ver, _ in hist if ans == [ip]), default=None)
                            if v is None:
                                continue
                            stats['checks'] += 1
                            if v < max_seen.get(name, 0):
                                stats['stale'] += 1
                            else:
                                max_seen[name] = v
                            if v not in seen_versions and v > 0:
                                seen_versions.add(v)
                                t_post = [tp for ip, ver, tp in hist if ver == v][0]
                                stats['seen_ms'].append((now - t_post) * 1000)
                        time.sleep(0.002)
                    r.close()
                ths = []
                if mode == 'churn':
                    ths = [threading.Thread(target=updater, daemon=True),
                           threading.Thread(target=checker, daemon=True)]
                    for th in ths:
                        th.start()
                run = dnsperf('127.0.0.1', mod.port, qfile, a.duration)
                stop.set()
                for th in ths:
                    th.join(15)
                run['round'] = rnd + 1
                run['publishes'] = len(rx_pub.findall(mod.text(mark)))
                if mode == 'churn':
                    sm = stats.pop('seen_ms')
                    stats['seen'] = len(sm)
                    stats['seen_p50_ms'] = pct(sm, 50)
                    stats['seen_p99_ms'] = pct(sm, 99)
                    run['churn'] = stats
                res[mode].append(run)
                if mode == 'churn':
                    time.sleep(2)       # let the watcher catch up before the next idle run
                log('M4 %s round %d %-5s %8.0f qps lost %s errors %s publishes %d %s' % (
                    size, rnd + 1, mode, run['qps'] or 0, run['lost'], run['errors'],
                    run['publishes'], run.get('churn', '')))
        res['summary'] = {m: {'qps': med([r['qps'] for r in res[m]]),
                              'qps_all': [r['qps'] for r in res[m]],
                              'lost': sum(r['lost'] or 0 for r in res[m]),
                              'errors': sum(r['errors'] for r in res[m]),
                              'sent': sum(r['sent'] or 0 for r in res[m])}
                          for m in ('idle', 'churn')}
        ch = [r['churn'] for r in res['churn']]
        res['summary']['churn_updates'] = sum(c['updates'] for c in ch)
        res['summary']['churn_publishes'] = sum(r['publishes'] for r in res['churn'])
        res['summary']['stale'] = sum(c['stale'] for c in ch)
        res['summary']['stale_checks'] = sum(c['checks'] for c in ch)
        res['summary']['seen'] = sum(c['seen'] for c in ch)
        res['summary']['late'] = sum(c['late'] for c in ch)
        res['summary']['updates_per_s'] = res['summary']['churn_updates'] / (
            a.duration * a.rounds)
        self.res['m4'][size] = res
        self.save()
        mod.stop()
        ll.stop()

    # -- measurement 5 -------------------------------------------------------
    def m5(self, size, layouts):
        a = self.a
        meta = self.clusters[size]
        qfile = os.path.join(meta['dir'], 'queries.txt')
        ll = Lainlet(self.work, meta['dir'], 'scale-%s' % size)
        res = {}
        for layout, cpus in layouts:
            runs = {}
            for rnd in range(a.rounds):
                for w in (1, 2):
                    mod = self.start_module('scale-mod-w%d' % w, meta, ll, w, cpus)
                    zone = self.start_zone('scale-zone-w%d' % w, meta, w, cpus)
                    for name, k in (('module', mod), ('zonefile', zone)):
                        c0 = k.cpu_s()
                        r = dnsperf('127.0.0.1', k.port, qfile, a.duration)
                        r['server_us_per_query'] = ((k.cpu_s() - c0) * 1e6 / r['completed']
                                                    if r['completed'] else None)
                        runs.setdefault('%s-w%d' % (name, w), []).append(r)
                        log('M5 %s %s round %d %s w%d %8.0f qps' % (
                            size, layout, rnd + 1, name, w, r['qps'] or 0))
                    mod.stop()
                    zone.stop()
            res[layout] = {'cpus': cpus, 'runs': runs,
                           'summary': {k: med([r['qps'] for r in v]) for k, v in runs.items()},
                           'us_per_query': {k: med([r['server_us_per_query'] for r in v])
                                            for k, v in runs.items()}}
            self.res['m5'][size] = res
            self.save()
        ll.stop()

    # -- everything ----------------------------------------------------------
    def run(self):
        a = self.a
        self.machine()
        for s in a.sizes:
            self.gen(s)
        self.save()
        empty = Knotd(self.work, 'empty', 1)
        wait_until(lambda: os.path.exists(os.path.join(empty.dir, 'knot.sock')), 20)
        time.sleep(1)
        empty_rss = empty.status('VmRSS')
        empty.stop()
        self.res['module_base'] = self.module_base()
        log('M3 module fixed cost: %s' % self.res['module_base'])
        for s in a.sizes:
            ll, mod = self.m1(s, empty_rss)
            self.m2(s, ll, mod)
            mod.stop()
            ll.stop()
        if 'm4' in a.measure:
            self.m4(a.churn_size or a.sizes[0])
        if 'm5' in a.measure:
            size = a.scale_size or ('10k' if '10k' in a.sizes else a.sizes[0])
            layouts = [('pinned', CPU_SERVER)]
            if not a.quick:
                layouts.append(('both-cores', '0,1'))
            self.m5(size, layouts)
        self.res['finished'] = time.strftime('%Y-%m-%d %H:%M:%S %Z')
        self.save()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--module-so', required=True)
    ap.add_argument('--module-desc', default='')
    ap.add_argument('--bin', required=True, help='directory with parse_bench, simdjson_bench')
    ap.add_argument('--out', required=True)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--sizes')
    ap.add_argument('--duration', type=float)
    ap.add_argument('--rounds', type=int)
    ap.add_argument('--updates', type=int)
    ap.add_argument('--update-gap', type=float, default=0.2)
    ap.add_argument('--lat-qps', type=int, default=10000)
    ap.add_argument('--lat-duration', type=float)
    ap.add_argument('--lat-rounds', type=int, default=1)
    ap.add_argument('--churn-rate', type=float, default=10.0)
    ap.add_argument('--churn-size')
    ap.add_argument('--scale-size')
    ap.add_argument('--measure', default='m1,m2,m3,m4,m5')
    ap.add_argument('--no-tinydns', action='store_true')
    ap.add_argument('--perf', type=int, default=1, help='1: perf profile of the last updates')
    ap.add_argument('--perf-updates', type=int, default=5)
    ap.add_argument('--regen', action='store_true')
    a = ap.parse_args()
    a.sizes = (a.sizes or ('1k' if a.quick else '1k,10k,100k')).split(',')
    a.duration = a.duration or (3 if a.quick else 10)
    a.rounds = a.rounds or 3
    a.updates = a.updates or (10 if a.quick else 30)
    a.lat_duration = a.lat_duration or (2 if a.quick else 5)
    a.perf_updates = min(a.perf_updates, a.updates)
    a.measure = a.measure.split(',')
    a.module_so = os.path.abspath(a.module_so)
    os.makedirs(a.out, exist_ok=True)
    if os.geteuid() != 0:
        sys.stderr.write('bench.py: run as root (tinydns binds port 53, chroots)\n')
        return 2

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    os.sched_setaffinity(0, {int(CPU_CLIENT)})
    b = Bench(a)
    t0 = time.monotonic()
    try:
        b.run()
    finally:
        stop_all()
        b.res['elapsed_s'] = time.monotonic() - t0
        b.save()
    log('done in %.0f s: %s' % (time.monotonic() - t0, os.path.join(a.out, 'results.json')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
