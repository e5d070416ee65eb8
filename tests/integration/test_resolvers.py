#!/usr/bin/env python3
"""A real resolver in front of knotd + mod-lain: Debian's Unbound, on loopback.

In LAIN, clients reach the module through a forwarder or resolver on their node. Here
Unbound (`unbound -d -c conf`, its own config in a temporary directory, stopped by PID)
has stub zones for `lain.` and `20.172.in-addr.arpa.` pointing at knotd, with the
settings that find mistakes a plain dig does not: 0x20 (use-caps-for-id: the case of
every query name must come back as sent), strict QNAME minimisation (an empty
non-terminal answered NXDOMAIN would hide everything below it), harden-below-nxdomain,
and the validator with a root trust anchor (so `domain-insecure` is needed, as on a
Debian install). Unbound serves 20.172.in-addr.arpa itself (RFC 1918 reverse zone,
NXDOMAIN for every container PTR) unless told `local-zone: ... nodefault`: checked too.

Every answer through Unbound (rcode, answer records without TTLs) is compared with what
knotd answers directly to a query from the same node, following CNAMEs as a resolver
does: instance and app names, PTRs, a CNAME, portals (one Unbound per node, as in LAIN:
each queries from its node's address, so each gets its node's portal), empty
non-terminals, NODATA and NXDOMAIN. The snippet in doc/deploy.md is this config.

Environment: UNBOUND (the binary; default unbound from PATH or /usr/sbin)."""

import os
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Knotd, Lainlet, map_nodes, query, wait_until  # noqa: E402

UNBOUND = harness._tool('UNBOUND', 'unbound')
NODE1, NODE2 = '127.0.10.11', '127.0.10.12'       # the fixture's node1, node2 (NODE_MAP)
ZONES = ('lain.', '20.172.in-addr.arpa.')
# The root zone's trust anchor (KSK-2017), as Debian's unbound installs one; the root
# hints point at a loopback address where nothing listens (nothing leaves 127/8).
ROOT_DS = '. DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D'
ROOT_HINTS = '.  3600000 NS a.root.test.\na.root.test.  3600000 A 127.0.0.254\n'

# (name, type, what the direct answer must be: 'data' = NOERROR with records, 'nodata' =
# NOERROR without, 'NXDOMAIN'), in this order: a wrong NXDOMAIN for an empty
# non-terminal would, with harden-below-nxdomain, also hide the names queried after it.
CASES = [
    ('redis.resource.lain', 'A', 'nodata', 'an empty non-terminal'),
    ('resource.lain', 'A', 'nodata', 'an empty non-terminal'),
    ('web-1.console.lain', 'A', 'data', 'an instance name'),
    ('WeB-3.HeLLo.lAIn', 'A', 'data', 'an instance name in mixed case'),
    ('worker-2.webrouter.lain', 'A', 'data', 'an instance name'),
    ('redis-2.hello.redis.resource.lain', 'A', 'data', 'a resource instance, below the ENTs'),
    ('hello.lain', 'A', 'data', 'an app name (the web router)'),
    ('grafana.lain', 'A', 'data', 'a CNAME (tinydns_fqdns) the resolver follows'),
    ('redis.hello.lain', 'A', 'data', "a portal: the querying node's"),
    ('1.20.172.in-addr.arpa', 'PTR', 'nodata', 'an empty non-terminal of the reverse zone'),
    ('10.1.20.172.in-addr.arpa', 'PTR', 'data', "a container's PTR"),
    ('4.1.20.172.in-addr.arpa', 'PTR', 'data', "a container's PTR"),
    ('web-1.console.lain', 'AAAA', 'nodata', 'NODATA'),
    ('nosuch.lain', 'A', 'NXDOMAIN', 'NXDOMAIN'),
    ('x.nosuch.lain', 'A', 'NXDOMAIN', 'NXDOMAIN below NXDOMAIN'),
    ('api-2.billing.lain', 'A', 'NXDOMAIN', 'NXDOMAIN: an instance without an address'),
    ('99.1.20.172.in-addr.arpa', 'PTR', 'NXDOMAIN', 'NXDOMAIN: an address of no container'),
]


class Unbound:
    """unbound -d -c conf in a temporary directory, on 127.0.0.1, stopped by PID."""

    def __init__(self, knotd_port, outgoing=NODE1, nodefault=True, verbosity=4):
        self.knotd_port = knotd_port
        self.outgoing = outgoing
        self.nodefault = nodefault
        self.verbosity = verbosity
        self.port = None
        self.proc = None
        self.tmp = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def conf_text(self):
        t = self.tmp
        lines = ['server:',
                 '    interface: 127.0.0.1',
                 '    port: %d' % self.port,
                 '    outgoing-interface: %s' % self.outgoing,
                 '    do-ip6: no',
                 '    access-control: 127.0.0.0/8 allow',
                 '    username: ""',
                 '    chroot: ""',
                 '    directory: "%s"' % t,
                 '    pidfile: "%s/unbound.pid"' % t,
                 '    use-syslog: no',
                 '    logfile: ""',
                 '    verbosity: %d' % self.verbosity,
                 '    num-threads: 1',
                 '    root-hints: "%s/root.hints"' % t,
                 '    trust-anchor: "%s"' % ROOT_DS,
                 '    use-caps-for-id: yes',
                 '    qname-minimisation: yes',
                 '    qname-minimisation-strict: yes',
                 '    harden-below-nxdomain: yes',
                 '    do-not-query-localhost: no']
        for zone in ZONES:
            lines.append('    domain-insecure: "%s"' % zone)
        if self.nodefault:
            lines.append('    local-zone: "20.172.in-addr.arpa." nodefault')
        lines += ['remote-control:', '    control-enable: no']
        for zone in ZONES:
            lines += ['stub-zone:', '    name: "%s"' % zone,
                      '    stub-addr: 127.0.0.1@%d' % self.knotd_port]
        return '\n'.join(lines) + '\n'

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix='mod-lain-unbound-')
        self.port = harness.free_port()
        with open(os.path.join(self.tmp, 'root.hints'), 'w') as f:
            f.write(ROOT_HINTS)
        self.conf = os.path.join(self.tmp, 'unbound.conf')
        with open(self.conf, 'w') as f:
            f.write(self.conf_text())
        self.logfile = os.path.join(self.tmp, 'unbound.log')
        with open(self.logfile, 'wb') as log:
            self.proc = subprocess.Popen([UNBOUND, '-d', '-c', self.conf],
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         preexec_fn=harness._pdeathsig)

        def ready():    # Unbound answers id.server CH TXT itself
            if self.proc.poll() is not None:
                raise RuntimeError('unbound exited with %s:\n%s'
                                   % (self.proc.returncode, self.tail()))
            return query(self.port, 'id.server', 'TXT', qclass=3, timeout=0.5).rcode

        if not wait_until(ready, 10):
            self.stop()
            raise RuntimeError('unbound did not answer within 10 s')
        return self

    def ask(self, name, rtype):
        return query(self.port, name, rtype, rd=True, timeout=5.0)

    def log(self):
        return harness._read(self.logfile) if self.tmp else ''

    def tail(self, n=30):
        return harness._tail(self.log(), n)

    def stop(self):
        harness.stop_process(self.proc, term_timeout=5.0)
        if self.tmp and not harness.KEEP_TMP:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            print('# unbound tmp kept: %s' % self.tmp, flush=True)
        self.tmp = None


def records(answer):
    """The answer section without TTLs, names lowercased: what must agree."""
    return sorted((owner, rtype, data.lower()) for owner, _, rtype, data in answer.answer)


def direct(port, name, rtype, src):
    """knotd's answer to name from src, CNAMEs followed as a resolver follows them:
    (rcode, records)."""
    a = query(port, name, rtype, src=src)
    rcode, recs = a.rcode, records(a)
    for _ in range(8):
        targets = [d for _, t, d in recs if t == 'CNAME']
        owners = {o for o, _, _ in recs}
        todo = [t for t in targets if t not in owners]
        if not todo:
            break
        b = query(port, todo[0], rtype, src=src)
        rcode, recs = b.rcode, sorted(recs + records(b))
    return rcode, recs


def shape_ok(want, rcode, recs):
    if want == 'data':
        return rcode == 'NOERROR' and recs
    if want == 'nodata':
        return rcode == 'NOERROR' and not recs
    return rcode == want and not recs


def compare(tap, kd, ub, src, node, cases):
    """Each case through Unbound against knotd's direct answer to src."""
    for name, rtype, want, what in cases:
        d_rcode, d_recs = direct(kd.port, name, rtype, src)
        u = ub.ask(name, rtype)
        u_recs = records(u)
        tap.ok(shape_ok(want, d_rcode, d_recs) and u.rcode == d_rcode and u_recs == d_recs,
               '%s %s via Unbound on %s = knotd direct (%s: %s %s)'
               % (name, rtype, node, what, d_rcode, ' '.join(r[2] for r in d_recs)),
               diag=['knotd direct: %s %s' % (d_rcode, d_recs),
                     'via unbound:  %s' % u.summary(), ub.tail(15)])


def main(tap):
    harness.require(knotd=True, module=True)
    if not (shutil.which(UNBOUND) or os.access(UNBOUND, os.X_OK)):
        harness.skip_all('%s not installed (apt-get install unbound)' % UNBOUND)
    with Lainlet() as ll, Knotd(lainlets=[ll.url]) as kd:
        # the fixture's node IPs mapped into 127/8, so a resolver can query from a node
        ll.set_doc('coreinfo', map_nodes(ll.doc('coreinfo')))
        ll.set_doc('depends', map_nodes(ll.doc('depends')))
        synced = wait_until(lambda: query(kd.port, 'redis.hello.lain', src=NODE1).rrs(), 10)
        tap.ok(synced, 'knotd serves the sample cluster, node IPs mapped to 127.0.10.x',
               diag=kd.tail())

        with Unbound(kd.port, outgoing=NODE1) as ub:
            compare(tap, kd, ub, NODE1, 'node1', CASES)
            log = ub.log()
            good, wrong = log.count('good 0x20-ID in reply qname'), log.count('wrong 0x20-ID')
            tap.ok(good > 0 and wrong == 0,
                   "0x20: Unbound checked the case of knotd's replies %d times, "
                   'never wrong' % good, diag='%d wrong' % wrong)
            errors = [l for l in log.split('\n') if ' error: ' in l]
            tap.ok(not errors, 'Unbound logged no error', diag=errors[:10])

        # node2's resolver gets node2's portal; the rest is the same from every node
        with Unbound(kd.port, outgoing=NODE2, verbosity=1) as ub:
            compare(tap, kd, ub, NODE2, 'node2',
                    [c for c in CASES if c[0] in ('redis.hello.lain', 'web-1.console.lain')])
            n1 = direct(kd.port, 'redis.hello.lain', 'A', NODE1)
            n2 = direct(kd.port, 'redis.hello.lain', 'A', NODE2)
            tap.ok(n1 != n2, 'the portal answers differ by node (%s / %s): one resolver per '
                   'node, each querying from its own address' % (n1[1], n2[1]))

        # why the config says local-zone nodefault: without it Unbound answers itself
        with Unbound(kd.port, nodefault=False, verbosity=1) as ub:
            u = ub.ask('10.1.20.172.in-addr.arpa', 'PTR')
            tap.ok(u.rcode == 'NXDOMAIN' and not u.answer,
                   'without local-zone "20.172.in-addr.arpa." nodefault, Unbound answers a '
                   "container's PTR NXDOMAIN itself (got %s)" % u.rcode, diag=u.summary())


if __name__ == '__main__':
    harness.run(main)
