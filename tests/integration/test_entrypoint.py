#!/usr/bin/env python3
"""docker/entrypoint.sh, run on the host: it renders knot.conf from the environment of
LAIN's old tinydns container, checks it and execs knotd, which then answers the test
lainlet's cluster; bad values stop it with a message naming the variable."""

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import Lainlet, query, wait_until

ENTRYPOINT = os.path.join(harness.SRCDIR, 'docker', 'entrypoint.sh')
TRUE = shutil.which('true') or '/bin/true'
SHELL = shutil.which('dash') or '/bin/sh'      # POSIX sh, as in debian:12-slim

# Variables the entrypoint reads: the caller's environment must not leak in.
OURS = ('LAINLET_PORT', 'LAINLET_HOST', 'LAINLET_URLS', 'IP', 'DNS_PORT', 'MOD_LAIN_TTL',
        'MOD_LAIN_NEGATIVE_TTL', 'MOD_LAIN_SNAPSHOT', 'MOD_LAIN_FORWARDERS',
        'MOD_LAIN_STATUS_ACL', 'MOD_LAIN_DATA_FILE', 'MOD_LAIN_EXTRA', 'MOD_LAIN_SO',
        'KNOT_CONF', 'KNOT_RUNDIR', 'KNOT_STORAGE', 'KNOT_USER', 'KNOT_LOG_LEVEL', 'KNOTD',
        'KNOTC')

FIXTURE = {('web-1.console.lain', 'A'): ['172.20.1.4'],
           ('web-3.hello.lain', 'A'): ['172.20.3.10'],
           ('redis-2.hello.redis.resource.lain', 'A'): ['172.20.3.20'],
           ('hello.lain', 'A'): ['192.168.10.80'],
           ('10.1.20.172.in-addr.arpa', 'PTR'): ['web-1.hello.lain.']}


def env_for(tmp, **kw):
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env.update(KNOT_CONF=os.path.join(tmp, 'etc', 'knot.conf'),
               KNOT_RUNDIR=os.path.join(tmp, 'run'),
               KNOT_STORAGE=os.path.join(tmp, 'lib'),
               MOD_LAIN_SO=harness.MOD_LAIN_SO, KNOTD=harness.KNOTD, KNOTC=harness.KNOTC)
    for k, v in kw.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def render(tmp, **kw):
    """Runs the entrypoint with KNOTD=true (nothing starts): (rc, output, conf text)."""
    env = env_for(tmp, **dict({'KNOTD': TRUE}, **kw))
    conf = env['KNOT_CONF']
    if os.path.exists(conf):
        os.unlink(conf)
    p = subprocess.run([SHELL, ENTRYPOINT], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=60)
    text = harness._read(conf) if os.path.exists(conf) else None
    return p.returncode, p.stdout, text


class Entrypoint:
    """The entrypoint as a process; after its exec, that process is knotd."""

    def __init__(self, tmp, **kw):
        self.env = env_for(tmp, **kw)
        self.conf = self.env['KNOT_CONF']
        self.port = int(self.env['DNS_PORT'])
        self.out = os.path.join(tmp, 'entrypoint.out')
        with open(self.out, 'ab') as out:
            self.proc = subprocess.Popen([SHELL, ENTRYPOINT], env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT,
                                         preexec_fn=harness._pdeathsig)
        self.pid = self.proc.pid

    def log(self):
        return harness._read(self.out)

    def is_knotd(self):
        try:
            exe = os.readlink('/proc/%d/exe' % self.pid)
        except OSError:
            return False
        return os.path.realpath(exe) == os.path.realpath(shutil.which(harness.KNOTD) or
                                                          harness.KNOTD)

    def knotc(self, *args):
        return subprocess.run([harness.KNOTC, '-c', self.conf, '-t', '5'] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=20)

    def stop(self):
        """SIGTERM to the PID (knotd's, because of exec); returns the exit status."""
        return harness.stop_process(self.proc, term_timeout=10.0)


def answers(port, name, rtype, tcp=False, src=None):
    r = query(port, name, rtype, tcp=tcp, src=src, timeout=1.0)
    return sorted(rr[3] for rr in r.rrs('answer', rtype))


def check_fixture(tap, ep, what):
    ok = wait_until(lambda: answers(ep.port, 'web-1.console.lain', 'A') == ['172.20.1.4'], 15)
    tap.ok(ok, '%s: knotd answers web-1.console.lain A 172.20.1.4' % what,
           diag=harness._tail(ep.log(), 30))
    bad = []
    for (name, rtype), want in FIXTURE.items():
        for tcp in (False, True):
            got = answers(ep.port, name, rtype, tcp=tcp)
            if got != want:
                bad.append('%s %s%s: %s, want %s' % (name, rtype, ' (tcp)' if tcp else '',
                                                     got, want))
    tap.ok(not bad, '%s: the fixture names over UDP and TCP' % what, diag=bad)


def main(tap):
    harness.require(knotd=True, module=True)
    if not os.path.exists(ENTRYPOINT):
        harness.skip_all('no %s' % ENTRYPOINT)
    base = tempfile.mkdtemp(prefix='mod-lain-entrypoint-')
    os.chmod(base, 0o755)       # the KNOT_USER run: knotd as knot reaches its dirs
    try:
        run(tap, base)
    finally:
        if harness.KEEP_TMP:
            tap.diag('kept %s' % base)
        else:
            shutil.rmtree(base, ignore_errors=True)


def run(tap, base):
    # --- rendering: defaults and every variable (knotd not started) -----------------
    tmp = os.path.join(base, 'render')
    os.makedirs(tmp)
    rc, out, conf = render(tmp)
    tap.ok(rc == 0 and conf is not None, 'defaults: renders and passes conf-check', diag=out)
    conf = conf or ''
    storage = os.path.join(tmp, 'lib')
    for want, what in (('lainlet: "http://lainlet.lain:9001"', 'lainlet.lain:9001 as tinydns'),
                       ('listen: [ 0.0.0.0@53 ]', 'listens on 0.0.0.0@53 as tinydns'),
                       ('snapshot: "%s/mod-lain.snapshot"' % storage,
                        'snapshot in KNOT_STORAGE'),
                       ('global-module: mod-lain/default', 'the module on every query'),
                       ('file: "%s"' % harness.MOD_LAIN_SO, 'MOD_LAIN_SO: a module section'),
                       ('target: stdout', 'logs to stdout')):
        tap.ok(want in conf, 'defaults: %s' % what, diag=conf)
    tap.ok('ttl:' not in conf and 'forwarder' not in conf and 'user:' not in conf and
           'edns-client-subnet' not in conf, 'defaults: nothing else set', diag=conf)
    tap.ok(TRUE in out and 'starting' in out, 'it execs KNOTD at the end', diag=out)

    # (knotc would not know mod-lain: it is not in knotd's module dir here)
    rc, out, conf = render(tmp, MOD_LAIN_SO=None, KNOTC=TRUE)
    tap.ok(rc == 0 and conf and '\nmodule:' not in conf and 'file:' not in conf,
           'no MOD_LAIN_SO: no module section (the module is in knotd\'s module dir)',
           diag=out)

    rc, out, conf = render(
        tmp, LAINLET_URLS='http://127.0.0.1:1, https://user:secret@10.0.0.1:9001',
        IP='127.0.0.1,::1', DNS_PORT=5353, MOD_LAIN_TTL=30, MOD_LAIN_NEGATIVE_TTL=0,
        MOD_LAIN_SNAPSHOT='', MOD_LAIN_FORWARDERS='192.168.77.0/24 10.1.1.1',
        MOD_LAIN_STATUS_ACL='192.168.77.0/24', MOD_LAIN_DATA_FILE='/etc/knot/lain.data',
        MOD_LAIN_EXTRA='drop-guard: 20\n  portal-fallback: none\n', KNOT_LOG_LEVEL='debug')
    conf = conf or ''
    missing = [w for w in ('lainlet: "http://127.0.0.1:1"\n    lainlet: "https://user:secret@',
                           'listen: [ 127.0.0.1@5353, ::1@5353 ]', 'ttl: 30\n',
                           'negative-ttl: 0\n', 'forwarder: [ 192.168.77.0/24, 10.1.1.1 ]',
                           'edns-client-subnet: on', 'status-acl: [ 192.168.77.0/24 ]',
                           'data-file: "/etc/knot/lain.data"', '    drop-guard: 20\n',
                           '    portal-fallback: none\n', 'any: debug')
               if w not in conf]
    tap.ok(rc == 0 and not missing, 'every variable rendered, conf-check passes',
           diag=[out, 'missing: %s' % missing, conf])
    tap.ok('snapshot' not in conf, 'MOD_LAIN_SNAPSHOT empty: no snapshot')
    tap.ok('secret' not in out, 'credentials in a lainlet URL are not printed', diag=out)
    rc, out, conf = render(tmp, LAINLET_URLS='none', MOD_LAIN_DATA_FILE='/etc/knot/lain.data')
    tap.ok(rc == 0 and conf and 'lainlet:' not in conf and 'data-file:' in conf,
           'LAINLET_URLS=none with MOD_LAIN_DATA_FILE: a data file alone', diag=out)

    # --- bad values: a message naming the variable, non-zero, no knot.conf ----------
    bad = [('LAINLET_PORT', 'abc'), ('LAINLET_PORT', '0'), ('LAINLET_PORT', '65536'),
           ('LAINLET_PORT', '9001 '), ('DNS_PORT', '-1'), ('DNS_PORT', '5x'),
           ('DNS_PORT', '99999999999999999999'), ('MOD_LAIN_TTL', '1h'),
           ('MOD_LAIN_TTL', '604801'), ('MOD_LAIN_NEGATIVE_TTL', '86401'),
           ('MOD_LAIN_NEGATIVE_TTL', '-5'), ('IP', 'localhost'), ('IP', '127.0.0.1:53'),
           ('LAINLET_HOST', 'lainlet lain'), ('LAINLET_URLS', 'ftp://lainlet.lain'),
           ('LAINLET_URLS', 'none'), ('MOD_LAIN_SO', '/nonexistent/mod-lain.so'),
           ('MOD_LAIN_SNAPSHOT', 'relative/snapshot'), ('MOD_LAIN_DATA_FILE', 'data'),
           ('MOD_LAIN_FORWARDERS', 'node1'), ('MOD_LAIN_STATUS_ACL', 'any'),
           ('KNOT_LOG_LEVEL', 'verbose'), ('KNOT_USER', 'no-such-user-here'),
           ('KNOTD', '/nonexistent/knotd')]
    for var, val in bad:
        rc, out, conf = render(tmp, **{var: val})
        tap.ok(rc != 0 and re.search(r'^entrypoint: %s: ' % var, out, re.M) and conf is None,
               'bad %s=%r: rejected naming it, no knot.conf' % (var, val),
               diag=[rc, out])
    rc, out, conf = render(tmp, MOD_LAIN_EXTRA='ttl: 99999999')
    tap.ok(rc != 0 and 'conf-check' in out and "'ttl'" in out and conf is None,
           'a rendered file knotc rejects: the error and the file shown, no knot.conf',
           diag=[rc, out])

    # --- the real thing: knotd exec'd, answering the test lainlet -------------------
    with Lainlet() as ll:
        tmp = os.path.join(base, 'run1')
        os.makedirs(tmp)
        ep = Entrypoint(tmp, LAINLET_HOST='127.0.0.1', LAINLET_PORT=ll.port, IP='127.0.0.1',
                        DNS_PORT=harness.free_port(), MOD_LAIN_TTL=30,
                        MOD_LAIN_NEGATIVE_TTL=7)
        try:
            check_fixture(tap, ep, 'LAINLET_HOST/LAINLET_PORT')
            tap.ok(ep.is_knotd(), 'the entrypoint\'s PID is knotd\'s (exec)',
                   diag=harness._tail(ep.log(), 10))
            r = query(ep.port, 'web-1.console.lain', 'A')
            tap.ok(r.answer and r.answer[0][1] == 30, 'MOD_LAIN_TTL=30 applied',
                   diag=r.summary())
            r = query(ep.port, 'nosuch.lain', 'A')
            soa = r.rrs('authority', 'SOA')
            tap.ok(r.rcode == 'NXDOMAIN' and soa and soa[0][1] <= 7,
                   'MOD_LAIN_NEGATIVE_TTL=7 caps the SOA TTL of NXDOMAIN', diag=r.summary())
            conf = harness._read(ep.conf)
            tap.ok('lainlet: "http://127.0.0.1:%d"' % ll.port in conf and
                   'listen: [ 127.0.0.1@%d ]' % ep.port in conf,
                   'knot.conf written at KNOT_CONF with the lainlet and listen address',
                   diag=conf)
            c = ep.knotc('status')
            tap.ok(c.returncode == 0, 'knotc reaches it through KNOT_RUNDIR', diag=c.stdout)
            c = ep.knotc('-f', 'stats', 'mod-lain')
            tap.ok(c.returncode == 0 and 'mod-lain.' in c.stdout,
                   'knotc stats mod-lain works', diag=c.stdout)
            r = query(ep.port, 'status.mod-lain', 'TXT')
            tap.ok(any('state=ready' in rr[3] for rr in r.answer),
                   'status name answers state=ready on loopback', diag=r.summary())
            snap = os.path.join(tmp, 'lib', 'mod-lain.snapshot')
            tap.ok(wait_until(lambda: os.path.getsize(snap) > 0, 10),
                   'the snapshot is written at its default path in KNOT_STORAGE')
        finally:
            rc = ep.stop()
        tap.ok(rc == 0, 'SIGTERM to that PID stops knotd cleanly (status %s)' % rc,
               diag=harness._tail(ep.log(), 10))

        # A restart while lainlet is unreachable: the snapshot answers.
        dead = harness.free_port()
        ep = Entrypoint(tmp, LAINLET_HOST='127.0.0.1', LAINLET_PORT=dead, IP='127.0.0.1',
                        DNS_PORT=harness.free_port())
        try:
            ok = wait_until(lambda: answers(ep.port, 'web-1.console.lain', 'A') ==
                            ['172.20.1.4'], 10)
            tap.ok(ok, 'restarted with lainlet unreachable: answers from the snapshot',
                   diag=harness._tail(ep.log(), 20))
        finally:
            ep.stop()

        # LAINLET_URLS: the first is down, the second answers; status ACL from the env.
        tmp = os.path.join(base, 'run2')
        os.makedirs(tmp)
        ep = Entrypoint(tmp, LAINLET_URLS='http://127.0.0.1:%d, %s' % (dead, ll.url),
                        IP='127.0.0.1', DNS_PORT=harness.free_port(), MOD_LAIN_SNAPSHOT='',
                        MOD_LAIN_STATUS_ACL='127.0.0.2')
        try:
            check_fixture(tap, ep, 'LAINLET_URLS with a dead first URL')
            r1 = query(ep.port, 'status.mod-lain', 'TXT', src='127.0.0.1')
            r2 = query(ep.port, 'status.mod-lain', 'TXT', src='127.0.0.2')
            tap.ok(not r1.answer and any('state=' in rr[3] for rr in r2.answer),
                   'MOD_LAIN_STATUS_ACL: only 127.0.0.2 gets the status',
                   diag=[r1.summary(), r2.summary()])
        finally:
            ep.stop()

        # KNOT_USER (the container's default): knotd binds, then runs as knot.
        try:
            knot = pwd.getpwnam('knot')
        except KeyError:
            knot = None
        what = 'KNOT_USER=knot:knot'
        if os.geteuid() != 0 or knot is None:
            for t in ('answers', 'knotd runs as knot', 'snapshot written as knot'):
                tap.skip('%s: %s' % (what, t), 'needs root and a knot user')
            return
        tmp = os.path.join(base, 'run3')
        os.makedirs(tmp)
        ep = Entrypoint(tmp, LAINLET_HOST='127.0.0.1', LAINLET_PORT=ll.port, IP='127.0.0.1',
                        DNS_PORT=harness.free_port(), KNOT_USER='knot:knot')
        try:
            ok = wait_until(lambda: answers(ep.port, 'web-1.console.lain', 'A') ==
                            ['172.20.1.4'], 15)
            tap.ok(ok, '%s: answers' % what, diag=harness._tail(ep.log(), 30))
            uid = None
            for line in harness._read('/proc/%d/status' % ep.pid).split('\n'):
                if line.startswith('Uid:'):
                    uid = int(line.split()[2])      # effective
            tap.ok(uid == knot.pw_uid, '%s: knotd runs as knot (uid %s)' % (what, uid))
            snap = os.path.join(tmp, 'lib', 'mod-lain.snapshot')
            tap.ok(wait_until(lambda: os.stat(snap).st_uid == knot.pw_uid, 10),
                   '%s: snapshot written as knot' % what, diag=harness._tail(ep.log(), 20))
        finally:
            ep.stop()


if __name__ == '__main__':
    harness.run(main)
