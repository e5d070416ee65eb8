#!/usr/bin/env python3
"""Portals by node, the fallback policies, EDNS Client Subnet from trusted forwarders,
proc sets and SRV, name collision precedence, bad annotations, portal PTR (issue 4).

The fixture's node IPs (192.168.10.1x) are mapped to 127.0.10.1x so that a query bound
to that source address comes from that node; 127.0.99.1 is on no node; 127.0.0.53 is
the trusted forwarder (module item `forwarder`, knotd `edns-client-subnet: on`)."""

import copy
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import fixture  # noqa: E402
from harness import map_nodes
from harness import FIXTURES, Knotd, Lainlet, query, wait_until  # noqa: E402

TTL = 60
WEBROUTER = '192.168.10.80'
NODE1, NODE2, NODE3 = '127.0.10.11', '127.0.10.12', '127.0.10.13'
NOWHERE = '127.0.99.1'          # an address of no node
FORWARDER = '127.0.0.53'        # trusted to send EDNS Client Subnet
FORWARDER2 = '127.0.0.70'       # in the second forwarder item, 127.0.0.64/28
HELLO_PORTALS = ['172.20.1.40', '172.20.2.40']
MOD_CONF = 'ttl: %d\nforwarder: [ %s/32, 127.0.0.64/28 ]' % (TTL, FORWARDER)


class EcsKnotd(Knotd):
    """Knotd with extra lines in knot.conf's `server:` section (edns-client-subnet)."""

    def __init__(self, server_conf='', **kw):
        super().__init__(**kw)
        self.server_conf = server_conf

    def conf_text(self):
        text = super().conf_text()
        head = 'server:\n'
        assert text.startswith(head)
        return head + self._indent(self.server_conf, 4) + text[len(head):]


# ---------------------------------------------------------------------------
# documents



def portal_item(ip, node_ip, service='redis', annotation=None):
    if annotation is None:
        annotation = json.dumps({'mountpoint': [], 'https_only': True,
                                 'service_name': service})
    return {'Annotation': annotation,
            'Containers': [{'ContainerID': 'p-%s' % ip, 'IP': ip, 'NodeIP': node_ip,
                            'Port': 6379}]}


def app_name(app):
    """DNS order of an app name: resource.redis.hello -> hello.redis.resource."""
    return '.'.join(reversed(app.split('.')))


def procs_of(core):
    """{proc set name: [(instance name, ip, expose)]} as the module should make them."""
    out = {}
    for key, group in core.items():
        app, _, proc = key.rsplit('.', 2)
        for pod in group['PodInfos']:
            ci = pod['ContainerInfos']
            if pod['InstanceNo'] < 1 or not ci or not ci[0]['ContainerIp']:
                continue
            out.setdefault('%s.%s.lain.' % (proc, app_name(app)), []).append(
                ('%s-%d.%s.lain.' % (proc, pod['InstanceNo'], app_name(app)),
                 ci[0]['ContainerIp'], ci[0].get('Expose', 0)))
    return out


def config_with(cfg, **lines):
    """The config document with extra tinydns_fqdns keys: key -> list of lines."""
    doc = dict(cfg)
    for key, value in lines.items():
        doc['tinydns_fqdns/' + key] = json.dumps(value)
    return doc


# ---------------------------------------------------------------------------
# queries

def a_of(kd, name, src=None, tcp=False, rtype='A'):
    ans = query(kd.port, name, rtype, src=src, tcp=tcp, timeout=1.0)
    return sorted(rr[3] for rr in ans.rrs('answer', rtype)), ans


def ecs_option(addr, prefix):
    raw = socket.inet_aton(addr)[:(prefix + 7) // 8]
    data = struct.pack('!HBB', 1, prefix, 0) + raw
    return struct.pack('!HH', 8, len(data)) + data


def ecs_query(kd, name, rtype='A', src=None, ecs=None):
    """A raw query with an OPT record (with ECS addr/prefix when given). Returns
    (Answer, ECS of the response as (family, source, scope, address bytes) or None)."""
    pkt = harness.build_query(name, rtype)
    opts = ecs_option(*ecs) if ecs else b''
    pkt = pkt[:10] + struct.pack('!H', 1) + pkt[12:]
    pkt += b'\0' + struct.pack('!HHIH', 41, 1232, 0, len(opts)) + opts
    ans = query(kd.port, name, rtype, src=src, packet=pkt, timeout=1.0)
    return ans, response_ecs(ans.get('wire'))


def response_ecs(msg):
    """The ECS option of a response's OPT record (None when absent)."""
    if not msg:
        return None
    qd, an, ns, ar = struct.unpack('!HHHH', msg[4:12])
    off = 12
    for _ in range(qd):
        off = harness._read_name(msg, off)[1] + 4
    for i in range(an + ns + ar):
        off = harness._read_name(msg, off)[1]
        tnum, _cls, _ttl, rdlen = struct.unpack('!HHIH', msg[off:off + 10])
        off += 10
        if tnum == 41 and i >= an + ns:
            o = off
            while o + 4 <= off + rdlen:
                code, olen = struct.unpack('!HH', msg[o:o + 4])
                if code == 8:
                    fam, src, scope = struct.unpack('!HBB', msg[o + 4:o + 8])
                    return (fam, src, scope, msg[o + 8:o + 4 + olen])
                o += 4 + olen
        off += rdlen
    return None


def settle(tap, fn, what, timeout=3):
    """Waits for a state the next checks build on; says so when it does not come."""
    if not wait_until(fn, timeout):
        tap.diag('%s: not reached within %d s; later checks may fail for it' % (what, timeout))


def follows(fn, want, timeout):
    """Polls fn() until it equals want; returns (ok, seconds, last value)."""
    t0 = time.monotonic()
    last = [None]

    def probe():
        last[0] = fn()
        return last[0] == want
    ok = wait_until(probe, timeout, interval=0.005)
    return bool(ok), time.monotonic() - t0, last[0]


# ---------------------------------------------------------------------------

def main(tap):
    harness.require(knotd=True, module=True)
    core = map_nodes(fixture('coreinfo.json'))
    depends = map_nodes(fixture('depends.json'))
    with Lainlet(FIXTURES) as ll:
        cfg = ll.doc('config')
        ll.set_doc('coreinfo', core)
        ll.set_doc('depends', depends)
        with EcsKnotd(lainlets=[ll.url], extra_mod_conf=MOD_CONF,
                      server_conf='edns-client-subnet: on') as kd:
            ready = wait_until(lambda: a_of(kd, 'redis.hello.lain', NODE1)[0]
                               == ['172.20.1.40'], 10)
            if not tap.ok(ready, 'module synced with node IPs mapped to 127.0.10.1x',
                          diag=['got: ' + a_of(kd, 'redis.hello.lain', NODE1)[1].summary(),
                                kd.tail(30)]):
                if not kd.alive():
                    tap.bail('knotd died:\n' + kd.tail(40))
            portal_rows(tap, kd)
            fallback_all(tap, kd)
            portal_ptr(tap, kd)
            proc_sets_and_srv(tap, kd, ll, core)
            ecs(tap, kd, ll, cfg)
            bad_annotations(tap, kd, ll, depends)
            moving_portal(tap, kd, ll, depends)
            collisions(tap, kd, ll, cfg, core, depends)
            fallback_none(tap, kd, ll, cfg, depends)
            # last: going back from 300 portals to 3 is a mass drop the module's
            # drop-guard (default 50 %, sources of 10+ records) holds back for drop-hold
            many_nodes(tap, kd, ll, depends)
            rc = kd.stop()
            tap.ok(rc == 0, 'knotd stops cleanly', diag='exit status %s' % rc)


def expect_a(tap, kd, name, src, want, desc, tcp=False):
    got, ans = a_of(kd, name, src, tcp=tcp)
    return tap.ok(ans.rcode == 'NOERROR' and got == sorted(want), desc,
                  diag=['query: %s A from %s%s' % (name, src, ' (tcp)' if tcp else ''),
                        'expected: %s' % sorted(want), 'got: ' + ans.summary()])


# 1. fixtures/README.md's portal rows ------------------------------------------

def portal_rows(tap, kd):
    for tcp in (False, True):
        t = ' (tcp)' if tcp else ''
        expect_a(tap, kd, 'redis.hello.lain', NODE1, ['172.20.1.40'],
                 'redis.hello.lain A from node1 -> 172.20.1.40 only' + t, tcp)
        expect_a(tap, kd, 'redis.hello.lain', NODE2, ['172.20.2.40'],
                 'redis.hello.lain A from node2 -> 172.20.2.40 only' + t, tcp)
        expect_a(tap, kd, 'redis.billing.lain', NODE2, ['172.20.2.41'],
                 'redis.billing.lain A from node2 -> 172.20.2.41' + t, tcp)


# 2. fallback `all` (the default) --------------------------------------------------

def fallback_all(tap, kd):
    expect_a(tap, kd, 'redis.hello.lain', NOWHERE, HELLO_PORTALS,
             'fallback all: redis.hello.lain A from no node -> both hello portals')
    expect_a(tap, kd, 'redis.hello.lain', NODE3, HELLO_PORTALS,
             'fallback all: redis.hello.lain A from node3 (no hello portal) -> both')
    expect_a(tap, kd, 'redis.billing.lain', NODE1, ['172.20.2.41'],
             'fallback all: redis.billing.lain A from node1 (no billing portal) -> '
             '172.20.2.41')
    a = query(kd.port, 'redis.hello.lain', 'AAAA', src=NODE1)
    tap.ok(a.rcode == 'NOERROR' and not a.answer and a.rrs('authority', 'SOA'),
           'redis.hello.lain AAAA from node1 -> NODATA with the lain SOA',
           diag=a.summary())


# 9. PTR of portal addresses ------------------------------------------------------

def portal_ptr(tap, kd):
    for ip, name in (('172.20.1.40', 'redis.hello.lain.'), ('172.20.2.40', 'redis.hello.lain.'),
                     ('172.20.2.41', 'redis.billing.lain.')):
        rev = '.'.join(reversed(ip.split('.'))) + '.in-addr.arpa'
        bad = []
        for src in (NODE1, NODE2, NOWHERE):
            a = query(kd.port, rev, 'PTR', src=src)
            if a.rcode != 'NOERROR' or a.answer != [(rev + '.', TTL, 'PTR', name)]:
                bad.append('from %s: %s' % (src, a.summary()))
        tap.ok(not bad, '%s PTR -> %s from node1, node2 and no node' % (rev, name), diag=bad)


# 5. proc sets and SRV ----------------------------------------------------------------

def check_proc(tap, kd, set_name, instances):
    got, ans = a_of(kd, set_name.rstrip('.'))
    want = sorted(ip for _, ip, _ in instances)
    tap.ok(ans.rcode == 'NOERROR' and got == want and
           all(rr[0] == set_name and rr[1] == TTL for rr in ans.answer),
           '%s A -> every live instance %s' % (set_name, want),
           diag=['got: ' + ans.summary()])
    labels = set_name.split('.', 1)
    srv_name = '_%s._tcp.%s' % (labels[0], labels[1])
    a = query(kd.port, srv_name.rstrip('.'), 'SRV', tcp=True)
    want_srv = sorted('0 0 %d %s' % (e, n) for n, _, e in instances if 0 < e <= 65535)
    want_add = sorted((n, TTL, 'A', ip) for n, ip, e in instances if 0 < e <= 65535)
    got_srv = sorted(rr[3] for rr in a.rrs('answer', 'SRV'))
    got_add = sorted(rr for rr in a.additional if rr[2] == 'A')
    tap.ok(a.rcode == 'NOERROR' and got_srv == want_srv and len(a.answer) == len(want_srv)
           and got_add == want_add,
           '%s SRV -> %s, instance A records in additional' % (srv_name, want_srv),
           diag=['expected additional: %s' % want_add, 'got: ' + a.summary()])


def proc_sets_and_srv(tap, kd, ll, core):
    procs = procs_of(core)
    for name in ('web.hello.lain.', 'cron.hello.lain.', 'api.billing.lain.',
                 'redis.hello.redis.resource.lain.'):
        check_proc(tap, kd, name, procs[name])
    # api.billing: instance 0 (not an instance) and 2 (no IP yet) are not in the set
    tap.ok(sorted(ip for _, ip, _ in procs['api.billing.lain.']) == ['172.20.3.30'],
           'fixture check: api.billing has one live instance (1)')

    # Expose 0: cron gets no SRV; its A set stays
    doc = copy.deepcopy(core)
    for pod in doc['hello.worker.cron']['PodInfos']:
        for c in pod['ContainerInfos']:
            c['Expose'] = 0
    ll.set_doc('coreinfo', doc)
    gone = wait_until(lambda: not query(kd.port, '_cron._tcp.hello.lain', 'SRV').answer, 3)
    a = query(kd.port, '_cron._tcp.hello.lain', 'SRV')
    tap.ok(gone and a.rcode in ('NXDOMAIN', 'NOERROR') and not a.answer and
           a.rrs('authority', 'SOA'),
           '_cron._tcp.hello.lain SRV with Expose 0 -> no SRV (%s)' % a.rcode,
           diag=a.summary())
    expect_a(tap, kd, 'cron.hello.lain', None, ['172.20.2.11'],
             'cron.hello.lain A still the instance with Expose 0')
    a = query(kd.port, '_web._tcp.hello.lain', 'SRV')
    tap.ok(len(a.rrs('answer', 'SRV')) == 3, '_web._tcp.hello.lain SRV unaffected',
           diag=a.summary())
    # an instance leaving: the set and the SRV follow
    doc = copy.deepcopy(core)
    doc['hello.web.web']['PodInfos'] = [p for p in doc['hello.web.web']['PodInfos']
                                        if p['InstanceNo'] != 2]
    ll.set_doc('coreinfo', doc)
    ok = wait_until(lambda: a_of(kd, 'web.hello.lain')[0] == ['172.20.1.10', '172.20.3.10'], 3)
    a = query(kd.port, '_web._tcp.hello.lain', 'SRV', tcp=True)
    tap.ok(ok and sorted(rr[3] for rr in a.rrs('answer', 'SRV')) ==
           ['0 0 8000 web-1.hello.lain.', '0 0 8000 web-3.hello.lain.'],
           'instance 2 of hello web removed: web.hello.lain A and SRV drop it',
           diag=['A: %s' % a_of(kd, 'web.hello.lain')[0], a.summary()])
    ll.set_doc('coreinfo', core)
    settle(tap, lambda: len(a_of(kd, 'web.hello.lain')[0]) == 3, 'coreinfo restored')


# 8. EDNS Client Subnet -----------------------------------------------------------------

def ecs_check(tap, kd, name, src, ecs, want, scope, desc, rtype='A'):
    ans, opt = ecs_query(kd, name, rtype, src=src, ecs=ecs)
    got = sorted(rr[3] for rr in ans.rrs('answer', rtype))
    probs = []
    if ans.rcode != 'NOERROR' or got != sorted(want):
        probs.append('answer %s (%s), expected %s' % (got, ans.rcode, sorted(want)))
    if opt is None:
        probs.append('no ECS option in the response')
    elif opt[2] != scope:
        probs.append('ECS scope %d, expected %d (source %d)' % (opt[2], scope, opt[1]))
    return tap.ok(not probs, desc, diag=probs + [
        'query: %s %s from %s with ECS %s' % (name, rtype, src, ecs),
        'response ECS: %s' % (opt,), 'got: ' + ans.summary()])


def ecs(tap, kd, ll, cfg):
    ecs_check(tap, kd, 'redis.hello.lain', FORWARDER, (NODE1, 32), ['172.20.1.40'], 32,
              'ECS from the forwarder: client on node1 -> node1 portal, scope 32')
    ecs_check(tap, kd, 'redis.hello.lain', FORWARDER, (NODE2, 32), ['172.20.2.40'], 32,
              'ECS from the forwarder: client on node2 -> node2 portal, scope 32')
    ecs_check(tap, kd, 'redis.billing.lain', FORWARDER, (NODE2, 32), ['172.20.2.41'], 32,
              'ECS from the forwarder: redis.billing.lain for node2, scope 32')
    ecs_check(tap, kd, 'redis.hello.lain', FORWARDER, (NOWHERE, 32), HELLO_PORTALS, 32,
              'ECS from the forwarder: client on no node -> fallback all, scope 32')
    ecs_check(tap, kd, 'redis.hello.lain', FORWARDER, ('127.0.10.0', 24), HELLO_PORTALS, 24,
              'ECS 127.0.10.0/24 from the forwarder: no single node -> fallback all, '
              'scope 24 (= source)')
    ecs_check(tap, kd, 'web-1.hello.lain', FORWARDER, (NODE1, 32), ['172.20.1.10'], 0,
              'ECS from the forwarder, an instance name (not a portal) -> scope 0')
    ecs_check(tap, kd, 'web.hello.lain', FORWARDER, (NODE1, 32),
              ['172.20.1.10', '172.20.2.10', '172.20.3.10'], 0,
              'ECS from the forwarder, a proc set -> scope 0')
    ecs_check(tap, kd, 'redis.hello.lain', FORWARDER2, (NODE2, 32), ['172.20.2.40'], 32,
              'ECS from a forwarder in the second forwarder value (127.0.0.64/28): node2 '
              'portal, scope 32')
    ecs_check(tap, kd, 'redis.hello.lain', '127.0.0.80', (NODE2, 32), HELLO_PORTALS, 0,
              'ECS from 127.0.0.80 (outside both forwarder values): ignored, scope 0')
    # untrusted source: its ECS is ignored, the source address picks the node
    ecs_check(tap, kd, 'redis.hello.lain', NODE2, (NODE1, 32), ['172.20.2.40'], 0,
              'ECS for node1 from node2 (not a forwarder): ignored, node2 portal, scope 0')
    ecs_check(tap, kd, 'redis.hello.lain', NOWHERE, (NODE1, 32), HELLO_PORTALS, 0,
              'ECS for node1 from a non-forwarder on no node: ignored, fallback all, '
              'scope 0')
    # the forwarder without ECS: its own address (no node)
    ans, opt = ecs_query(kd, 'redis.hello.lain', 'A', src=FORWARDER, ecs=None)
    tap.ok(sorted(rr[3] for rr in ans.answer) == HELLO_PORTALS and opt is None,
           'the forwarder without ECS: its own address, on no node -> fallback all, no ECS '
           'in the answer', diag=['ECS %s' % (opt,), ans.summary()])
    # a CNAME to a portal name: the answer still depends on the client's node
    ll.set_doc('config', config_with(cfg, alias=['Cdb.lain:redis.hello.lain:300']))
    ok = wait_until(lambda: a_of(kd, 'db.lain', NODE1)[0] == ['172.20.1.40'], 3)
    tap.ok(ok, 'db.lain CNAME redis.hello.lain, A from node1 -> 172.20.1.40',
           diag=a_of(kd, 'db.lain', NODE1)[1].summary())
    ans, opt = ecs_query(kd, 'db.lain', 'A', src=FORWARDER, ecs=(NODE2, 32))
    tap.ok(('db.lain.', 300, 'CNAME', 'redis.hello.lain.') in ans.answer and
           ('redis.hello.lain.', TTL, 'A', '172.20.2.40') in ans.answer and
           opt is not None and opt[2] == 32,
           'ECS node2 via the forwarder: db.lain A -> CNAME + node2 portal, scope 32 (the '
           'chain ends in a per-node answer)',
           diag=['response ECS: %s (scope must be 32: a resolver caching scope 0 serves '
                 'node2\'s portal to every client)' % (opt,), ans.summary()])
    ll.set_doc('config', cfg)
    settle(tap, lambda: query(kd.port, 'db.lain').rcode == 'NXDOMAIN', 'config restored')
    # PTR of a portal address is the same for everybody: informative only
    ans, opt = ecs_query(kd, '40.1.20.172.in-addr.arpa', 'PTR', src=FORWARDER,
                         ecs=(NODE1, 32))
    tap.diag('portal PTR via the forwarder with ECS node1/32: answer %s, ECS scope %s'
             % ([rr[3] for rr in ans.answer], opt and opt[2]))


# 7. bad annotations ----------------------------------------------------------------------

def bad_annotations(tap, kd, ll, depends):
    pod = 'resource.mq.apps.portal.portal-mq'
    doc = copy.deepcopy(depends)
    doc[pod] = {'node1': {
        'badjson': portal_item('172.20.1.61', NODE1, annotation='{"service_name": "mq"'),
        'noname': portal_item('172.20.1.62', NODE1,
                              annotation=json.dumps({'mountpoint': []})),
        'numname': portal_item('172.20.1.63', NODE1,
                               annotation=json.dumps({'service_name': 42})),
        'good': portal_item('172.20.1.64', NODE1, service='mq'),
    }}
    mark = len(kd.log())
    ll.set_doc('depends', doc)
    ok = wait_until(lambda: a_of(kd, 'mq.good.lain', NODE1)[0] == ['172.20.1.64'], 3)
    tap.ok(ok, 'a good portal next to bad ones is served (mq.good.lain from node1)',
           diag=[a_of(kd, 'mq.good.lain', NODE1)[1].summary(), kd.tail(20)])
    for client, what in (('badjson', 'Annotation not JSON'),
                         ('noname', 'Annotation without service_name'),
                         ('numname', 'service_name a number')):
        logged = kd.wait_log(r'depends: skipped portal %s for %s\b' % (pod.replace('.', r'\.'),
                                                                       client), 3, start=mark)
        ptr = query(kd.port, '%s.1.20.172.in-addr.arpa' % {'badjson': 61, 'noname': 62,
                                                            'numname': 63}[client], 'PTR')
        tap.ok(logged and ptr.rcode == 'NXDOMAIN',
               '%s (client %s): skipped with a log line, no PTR of its address'
               % (what, client),
               diag=['log since the update:', kd.log()[mark:][-2000:], 'PTR: ' +
                     ptr.summary()])
    bad = []
    for name in ('mq.badjson.lain', 'mq.noname.lain', 'mq.numname.lain', '42.numname.lain'):
        a = query(kd.port, name, 'A', src=NODE1)
        if a.rcode != 'NXDOMAIN':
            bad.append('%s: %s' % (name, a.summary()))
    tap.ok(not bad, 'the skipped portals make no names (mq.badjson.lain etc. NXDOMAIN)',
           diag=bad)
    expect_a(tap, kd, 'redis.hello.lain', NODE1, ['172.20.1.40'],
             'the rest of the depends document is served (redis.hello.lain from node1)')
    expect_a(tap, kd, 'redis.billing.lain', NODE2, ['172.20.2.41'],
             'the rest of the depends document is served (redis.billing.lain from node2)')
    ll.set_doc('depends', depends)
    settle(tap, lambda: query(kd.port, 'mq.good.lain', src=NODE1).rcode == 'NXDOMAIN',
           'depends restored')


# 3. a portal moving between nodes ------------------------------------------------------

def moving_portal(tap, kd, ll, depends):
    pod = 'resource.redis.hello.portal.portal-redis'
    doc = copy.deepcopy(depends)
    del doc[pod]['node1']
    doc[pod]['node3'] = {'hello': portal_item('172.20.3.40', NODE3)}
    t0 = time.monotonic()
    ll.set_doc('depends', doc)
    ok, secs, last = follows(lambda: a_of(kd, 'redis.hello.lain', NODE3)[0],
                             ['172.20.3.40'], 1.0)
    tap.ok(ok, 'portal moved node1 -> node3 (IP 172.20.3.40): node3 gets it within 1 s '
           '(%.0f ms)' % ((time.monotonic() - t0) * 1000), diag='last answer %s' % last)
    tap.diag('portal move -> answer from node3: %.1f ms' % (secs * 1000))
    expect_a(tap, kd, 'redis.hello.lain', NODE1, ['172.20.2.40', '172.20.3.40'],
             'node1 has no hello portal now: fallback all -> node2 and node3 portals')
    expect_a(tap, kd, 'redis.hello.lain', NODE2, ['172.20.2.40'],
             'node2 still gets its own portal')
    old = query(kd.port, '40.1.20.172.in-addr.arpa', 'PTR')
    new = query(kd.port, '40.3.20.172.in-addr.arpa', 'PTR')
    tap.ok(old.rcode == 'NXDOMAIN' and new.answer ==
           [('40.3.20.172.in-addr.arpa.', TTL, 'PTR', 'redis.hello.lain.')],
           'PTR of the old portal address gone, the new one present',
           diag=[old.summary(), new.summary()])
    # and back
    t0 = time.monotonic()
    ll.set_doc('depends', depends)
    ok, secs, last = follows(lambda: a_of(kd, 'redis.hello.lain', NODE1)[0],
                             ['172.20.1.40'], 1.0)
    tap.ok(ok, 'portal back on node1: node1 gets it within 1 s (%.0f ms)'
           % ((time.monotonic() - t0) * 1000), diag='last answer %s' % last)
    tap.diag('portal move back -> answer from node1: %.1f ms' % (secs * 1000))
    expect_a(tap, kd, 'redis.hello.lain', NODE3, HELLO_PORTALS,
             'node3 falls back to all again')


# 4. no limit on nodes ---------------------------------------------------------------------

def many_nodes(tap, kd, ll, depends, n=300):
    def node_ip(i):
        return '127.1.%d.%d' % (i // 200, i % 200 + 1)

    def portal_ip(i):
        return '172.20.%d.%d' % (100 + i // 200, i % 200 + 1)
    pod = 'resource.cache.big.portal.portal-cache'
    doc = copy.deepcopy(depends)
    doc[pod] = {'node%d' % i: {'big': portal_item(portal_ip(i), node_ip(i), 'cache')}
                for i in range(n)}
    t0 = time.monotonic()
    ll.set_doc('depends', doc)
    ok = wait_until(lambda: a_of(kd, 'cache.big.lain', node_ip(n - 1))[0]
                    == [portal_ip(n - 1)], 5)
    tap.ok(ok, '%d nodes: the last node gets its portal (%.0f ms after the update)'
           % (n, (time.monotonic() - t0) * 1000),
           diag=a_of(kd, 'cache.big.lain', node_ip(n - 1))[1].summary())
    bad = []
    sample = [0, 1, 199, 200, 255, 256, 257, 298, n - 1] + list(range(3, n, 37))
    for i in sample:
        got, ans = a_of(kd, 'cache.big.lain', node_ip(i))
        if got != [portal_ip(i)]:
            bad.append('from %s: expected [%s], got %s' % (node_ip(i), portal_ip(i),
                                                          ans.summary()))
    tap.ok(not bad, 'each of %d sampled nodes out of %d gets exactly its own portal'
           % (len(sample), n), diag=bad)
    got, ans = a_of(kd, 'cache.big.lain', NOWHERE, tcp=True)
    tap.ok(got == sorted(portal_ip(i) for i in range(n)),
           'from no node (tcp): fallback all -> all %d portal addresses (got %d)'
           % (n, len(got)), diag=ans.summary()[:500])
    bad = []
    for i in (0, 255, 256, n - 1):
        rev = '.'.join(reversed(portal_ip(i).split('.'))) + '.in-addr.arpa'
        a = query(kd.port, rev, 'PTR')
        if a.answer != [(rev + '.', TTL, 'PTR', 'cache.big.lain.')]:
            bad.append(a.summary())
    tap.ok(not bad, 'PTR of portal addresses of nodes 1, 256, 257 and %d' % n, diag=bad)
    expect_a(tap, kd, 'redis.hello.lain', NODE2, ['172.20.2.40'],
             'the fixture portals unchanged next to %d nodes' % n)


# 6. name collision precedence ----------------------------------------------------------

def collisions(tap, kd, ll, cfg, core, depends):
    # operators' lines over generated names
    ll.set_doc('config', config_with(cfg, ops2=['+hello.lain:1.2.3.4:300',
                                                '+web-1.console.lain:1.2.3.5:300',
                                                '+redis.billing.lain:1.2.3.6:300',
                                                'Ccron.hello.lain:console.lain:300']))
    wait_until(lambda: a_of(kd, 'hello.lain')[0] == ['1.2.3.4'], 3)
    expect_a(tap, kd, 'hello.lain', None, ['1.2.3.4'],
             'operator line +hello.lain replaces the web router A of app hello')
    expect_a(tap, kd, 'billing.lain', None, [WEBROUTER],
             'other apps keep the web router A')
    expect_a(tap, kd, 'web-1.console.lain', None, ['1.2.3.5'],
             'operator line +web-1.console.lain replaces the instance A')
    for src in (NODE2, NODE1, NOWHERE):
        expect_a(tap, kd, 'redis.billing.lain', src, ['1.2.3.6'],
                 'operator line +redis.billing.lain replaces the portals (from %s)' % src)
    a = query(kd.port, 'cron.hello.lain', 'A')
    tap.ok(a.rcode == 'NOERROR' and
           ('cron.hello.lain.', 300, 'CNAME', 'console.lain.') in a.answer and
           not [rr for rr in a.answer if rr[0] == 'cron.hello.lain.' and rr[2] == 'A'],
           'operator CNAME at cron.hello.lain hides the proc set A', diag=a.summary())
    ll.set_doc('config', cfg)
    settle(tap, lambda: a_of(kd, 'hello.lain')[0] == [WEBROUTER], 'config restored')

    # a portal service named like a proc: the portal wins over the proc set
    doc = copy.deepcopy(depends)
    doc['resource.web.hello.portal.portal-web'] = {
        'node1': {'hello': portal_item('172.20.1.50', NODE1, 'web')}}
    ll.set_doc('depends', doc)
    wait_until(lambda: a_of(kd, 'web.hello.lain', NODE1)[0] == ['172.20.1.50'], 3)
    expect_a(tap, kd, 'web.hello.lain', NODE1, ['172.20.1.50'],
             'portal service web of hello, from node1: the portal, not the proc set')
    expect_a(tap, kd, 'web.hello.lain', NODE2, ['172.20.1.50'],
             'from node2 (no web portal; fallback all): the portals, not the proc set')
    a = query(kd.port, '_web._tcp.hello.lain', 'SRV')
    tap.ok(len(a.rrs('answer', 'SRV')) == 3, 'the SRV of proc web stays', diag=a.summary())
    expect_a(tap, kd, 'web-2.hello.lain', NODE1, ['172.20.2.10'],
             'the instance names of proc web stay')
    ll.set_doc('depends', depends)
    settle(tap, lambda: len(a_of(kd, 'web.hello.lain', NODE1)[0]) == 3, 'depends restored')

    # an app whose DNS name is an instance name / a proc set name: the proc wins
    doc = copy.deepcopy(core)
    grp = copy.deepcopy(core['console.web.web'])
    grp['PodInfos'][0]['ContainerInfos'][0]['ContainerIp'] = '172.20.3.60'
    doc['hello.web-1.web.web'] = grp            # app hello.web-1 -> web-1.hello.lain
    grp2 = copy.deepcopy(grp)
    grp2['PodInfos'][0]['ContainerInfos'][0]['ContainerIp'] = '172.20.3.61'
    doc['console.web.web.web'] = grp2           # app console.web -> web.console.lain
    ll.set_doc('coreinfo', doc)
    ok = wait_until(lambda: a_of(kd, 'web-1.web-1.hello.lain')[0] == ['172.20.3.60'], 3)
    tap.ok(ok, 'app hello.web-1 served (web-1.web-1.hello.lain A)')
    expect_a(tap, kd, 'web-1.hello.lain', None, ['172.20.1.10'],
             'app hello.web-1 (DNS name web-1.hello.lain) loses to the instance A')
    expect_a(tap, kd, 'web.console.lain', None, ['172.20.1.4'],
             'app console.web (DNS name web.console.lain) loses to the proc set A')
    expect_a(tap, kd, 'web-1.web.console.lain', None, ['172.20.3.61'],
             'app console.web\'s own instance is served')
    ll.set_doc('coreinfo', core)
    settle(tap, lambda: query(kd.port, 'web-1.web-1.hello.lain').rcode == 'NXDOMAIN',
           'coreinfo restored')


# 2b. fallback `none` ---------------------------------------------------------------------

def fallback_none(tap, kd, ll, cfg, depends):
    kd.extra_mod_conf = MOD_CONF + '\nportal-fallback: none'
    mark = len(kd.log())
    r = kd.reload()
    ok = wait_until(lambda: not a_of(kd, 'redis.hello.lain', NOWHERE)[0], 5)
    tap.ok(r.returncode == 0 and ok,
           'reload with portal-fallback: none: redis.hello.lain A from no node -> no record',
           diag=['knotc: %s' % r.stdout.strip(), a_of(kd, 'redis.hello.lain', NOWHERE)[1]
                 .summary(), kd.log()[mark:][-1500:]])
    a = query(kd.port, 'redis.hello.lain', 'A', src=NOWHERE)
    tap.diag('fallback none, redis.hello.lain A from no node: %s' % a.summary())
    tap.ok(a.rcode in ('NXDOMAIN', 'NOERROR') and not a.answer and a.rrs('authority', 'SOA'),
           'fallback none, from no node: %s with the lain SOA' % a.rcode, diag=a.summary())
    a = query(kd.port, 'redis.billing.lain', 'A', src=NODE1)
    tap.diag('fallback none, redis.billing.lain A from node1: %s' % a.summary())
    tap.ok(not a.answer and a.rcode in ('NXDOMAIN', 'NOERROR'),
           'fallback none: redis.billing.lain A from node1 (no billing portal) -> no record '
           '(%s)' % a.rcode, diag=a.summary())
    expect_a(tap, kd, 'redis.hello.lain', NODE1, ['172.20.1.40'],
             'fallback none: node1 still gets its own portal')
    expect_a(tap, kd, 'redis.billing.lain', NODE2, ['172.20.2.41'],
             'fallback none: node2 still gets its billing portal')
    a = query(kd.port, '40.1.20.172.in-addr.arpa', 'PTR', src=NOWHERE)
    tap.ok(a.answer == [('40.1.20.172.in-addr.arpa.', TTL, 'PTR', 'redis.hello.lain.')],
           'fallback none: portal PTR still visible to all', diag=a.summary())
    expect_a(tap, kd, 'web.hello.lain', NOWHERE, ['172.20.1.10', '172.20.2.10', '172.20.3.10'],
             'fallback none: proc sets unaffected')
    # a negative answer that depends on the client's node carries the ECS scope
    ans, opt = ecs_query(kd, 'redis.billing.lain', 'A', src=FORWARDER, ecs=(NODE1, 32))
    tap.ok(not ans.answer and opt is not None and opt[2] == 32,
           'fallback none, ECS node1 via the forwarder: redis.billing.lain -> no record, '
           'scope 32 (node2 gets a record at this name)',
           diag=['rcode %s, response ECS %s (scope 0 lets a resolver serve this negative '
                 'answer to node2 clients too)' % (ans.rcode, opt), ans.summary()])
    ecs_check(tap, kd, 'redis.billing.lain', FORWARDER, (NODE2, 32), ['172.20.2.41'], 32,
              'fallback none, ECS node2 via the forwarder: the portal, scope 32')

    # back to the default
    kd.extra_mod_conf = MOD_CONF
    r = kd.reload()
    ok = wait_until(lambda: a_of(kd, 'redis.hello.lain', NOWHERE)[0] == HELLO_PORTALS, 5)
    tap.ok(r.returncode == 0 and ok, 'reload without portal-fallback: the default (all) again',
           diag=a_of(kd, 'redis.hello.lain', NOWHERE)[1].summary())


if __name__ == '__main__':
    harness.run(main)
