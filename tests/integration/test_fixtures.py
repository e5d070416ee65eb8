#!/usr/bin/env python3
"""The sample cluster of tests/fixtures/ served by knotd + mod-lain.

Every row of tests/fixtures/README.md's expected-answers table, over UDP and once more
over TCP: rcode, AA, answer records with their TTLs, the SOA of the right zone in the
authority section of negative answers (its TTL capped by negative-ttl), glue. Then the
0x20 case echo and the portal rows (TODO until the portal issue)."""

import copy
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import map_nodes
from harness import FIXTURES, Knotd, Lainlet, dig, query, wait_until  # noqa: E402

TTL = 60            # the module's `ttl` (generated records)
NEG_TTL = 5         # the module's `negative-ttl`
LINE_TTL = 300      # the TTL written in the fixture's tinydns_fqdns lines
SOA_TTL = 2560      # tinydns-data's TTL for the SOA of a `.` line (doc/tinydns-data.md §1.5)
WEBROUTER = '192.168.10.80'
PORTAL_TODO = None


def A(owner, ip, ttl=TTL):
    return (owner, ttl, 'A', ip)


def soa_rdata_rx(zone):
    z = re.escape(zone)
    return re.compile(r'^a\.ns\.%s hostmaster\.%s (\d+) (\d+) (\d+) (\d+) (\d+)$' % (z, z))


# (query, type, expectation); expectation keys:
#   rcode, answer (exact list of (owner, ttl, type, rdata)), answer_check (callable ->
#   list of problems), soa (zone whose SOA must be the authority section), aa (default
#   True), additional (records that must be in the additional section)
ROWS = [
    ('web-1.console.lain', 'A', dict(rcode='NOERROR',
                                     answer=[A('web-1.console.lain.', '172.20.1.4')])),
    ('worker-2.webrouter.lain', 'A', dict(rcode='NOERROR',
                                          answer=[A('worker-2.webrouter.lain.', '172.20.2.2')])),
    ('web-3.hello.lain', 'A', dict(rcode='NOERROR',
                                   answer=[A('web-3.hello.lain.', '172.20.3.10')])),
    ('cron-1.hello.lain', 'A', dict(rcode='NOERROR',
                                    answer=[A('cron-1.hello.lain.', '172.20.2.11')])),
    ('redis-2.hello.redis.resource.lain', 'A',
     dict(rcode='NOERROR', answer=[A('redis-2.hello.redis.resource.lain.', '172.20.3.20')])),
    ('api-1.billing.lain', 'A', dict(rcode='NOERROR',
                                     answer=[A('api-1.billing.lain.', '172.20.3.30')])),
    ('api-2.billing.lain', 'A', dict(rcode='NXDOMAIN', answer=[], soa='lain.')),
    ('api-0.billing.lain', 'A', dict(rcode='NXDOMAIN', answer=[], soa='lain.')),
    ('10.1.20.172.in-addr.arpa', 'PTR',
     dict(rcode='NOERROR', answer=[('10.1.20.172.in-addr.arpa.', TTL, 'PTR',
                                    'web-1.hello.lain.')])),
    ('hello.lain', 'A', dict(rcode='NOERROR', answer=[A('hello.lain.', WEBROUTER)])),
    ('billing.lain', 'A', dict(rcode='NOERROR', answer=[A('billing.lain.', WEBROUTER)])),
    ('empty.lain', 'A', dict(rcode='NOERROR', answer=[A('empty.lain.', WEBROUTER)])),
    ('hello.redis.resource.lain', 'A',
     dict(rcode='NOERROR', answer=[A('hello.redis.resource.lain.', WEBROUTER)])),
    ('webrouter.lain', 'A', dict(rcode='NOERROR',
                                 answer=[A('webrouter.lain.', WEBROUTER, LINE_TTL)])),
    ('anything.example.com', 'A',
     dict(rcode='NOERROR', answer=[A('anything.example.com.', WEBROUTER, LINE_TTL)])),
    ('a.b.example.com', 'A', dict(rcode='NOERROR',
                                  answer=[A('a.b.example.com.', WEBROUTER, LINE_TTL)])),
    ('example.com', 'SOA', dict(rcode='NOERROR', answer_check=lambda a: check_soa_answer(a))),
    ('lain', 'NS', dict(rcode='NOERROR', answer=[('lain.', LINE_TTL, 'NS', 'a.ns.lain.')],
                        additional=[A('a.ns.lain.', '192.168.10.53', LINE_TTL)])),
    ('grafana.lain', 'CNAME', dict(rcode='NOERROR', answer=[('grafana.lain.', LINE_TTL,
                                                             'CNAME', 'console.lain.')])),
    ('motd.lain', 'TXT', dict(rcode='NOERROR', answer=[('motd.lain.', LINE_TTL, 'TXT',
                                                        '"hello world"')])),
    ('nosuch.lain', 'A', dict(rcode='NXDOMAIN', answer=[], soa='lain.')),
    ('web-1.console.lain', 'AAAA', dict(rcode='NOERROR', answer=[], soa='lain.')),
    ('redis.resource.lain', 'A', dict(rcode='NOERROR', answer=[], soa='lain.')),
    ('www.google.com', 'A', dict(rcode='REFUSED', answer=[], aa=False)),
]

# not rows of the table, but what the same data and docs imply: the SOA of the other
# two zones in negative answers
EXTRA_ROWS = [
    ('1.1.20.172.in-addr.arpa', 'PTR', dict(rcode='NXDOMAIN', answer=[],
                                            soa='20.172.in-addr.arpa.'),
     'an unused container address: NXDOMAIN, SOA of 20.172.in-addr.arpa'),
    ('example.com', 'A', dict(rcode='NOERROR', answer=[], soa='example.com.'),
     'the apex is not covered by *.example.com: NODATA, SOA of example.com'),
]

# node IPs as the tests can use them (127.0.0.0/8 only)
PORTAL_ROWS = [
    ('redis.hello.lain', '127.0.10.11', [A('redis.hello.lain.', '172.20.1.40')],
     'node1'),
    ('redis.hello.lain', '127.0.10.12', [A('redis.hello.lain.', '172.20.2.40')],
     'node2'),
    ('redis.billing.lain', '127.0.10.12', [A('redis.billing.lain.', '172.20.2.41')],
     'node2'),
]


def check_soa_answer(a):
    probs = []
    soas = a.rrs('answer', 'SOA')
    if len(soas) != 1 or len(a.answer) != 1:
        return ['answer should be exactly one SOA']
    owner, ttl, _, rdata = soas[0]
    if owner != 'example.com.':
        probs.append('SOA owner %s' % owner)
    if not soa_rdata_rx('example.com.').match(rdata):
        probs.append('SOA rdata %r: expected mname a.ns.example.com., rname '
                     'hostmaster.example.com.' % rdata)
    return probs


def check(a, exp):
    """Problems (a list of strings) of Answer a against one expectation."""
    if a.rcode is None:
        return ['no answer: %s' % (a.error or '').strip()[:200]]
    probs = []
    if a.rcode != exp['rcode']:
        probs.append('rcode %s, expected %s' % (a.rcode, exp['rcode']))
    if exp.get('aa', True) and 'aa' not in a.flags:
        probs.append('AA not set')
    if not exp.get('aa', True) and 'aa' in a.flags:
        probs.append('AA set')
    if 'tc' in a.flags:
        probs.append('TC set')
    if 'answer' in exp and sorted(a.answer) != sorted(exp['answer']):
        probs.append('answer %s, expected %s' % (a.answer, exp['answer']))
    if 'answer_check' in exp:
        probs += exp['answer_check'](a)
    zone = exp.get('soa')
    if zone:
        soas = a.rrs('authority', 'SOA')
        if len(soas) != 1 or len(a.authority) != 1:
            probs.append('authority %s, expected exactly the SOA of %s' % (a.authority, zone))
        else:
            owner, ttl, _, rdata = soas[0]
            if owner != zone:
                probs.append('SOA of %s in authority, expected %s' % (owner, zone))
            elif not soa_rdata_rx(zone).match(rdata):
                probs.append('SOA rdata %r: expected a.ns.%s hostmaster.%s ...'
                             % (rdata, zone, zone))
            if ttl > NEG_TTL:
                probs.append('SOA TTL %d in authority, negative-ttl is %d' % (ttl, NEG_TTL))
    for rr in exp.get('additional', []):
        if rr not in a.additional:
            probs.append('additional lacks %s (has %s)' % (rr, a.additional))
    return probs


def row_desc(name, rtype, exp):
    if exp.get('answer'):
        what = ', '.join('%s %s ttl %d' % (rr[2], rr[3], rr[1]) for rr in exp['answer'])
    elif exp['rcode'] == 'NOERROR' and exp.get('soa'):
        what = 'NODATA, SOA %s' % exp['soa']
    elif exp.get('soa'):
        what = '%s, SOA %s' % (exp['rcode'], exp['soa'])
    elif 'answer_check' in exp:
        what = 'SOA a.ns.example.com. hostmaster.example.com.'
    else:
        what = exp['rcode']
    if exp.get('additional'):
        what += '; additional ' + ', '.join('%s %s %s' % (rr[0], rr[2], rr[3])
                                            for rr in exp['additional'])
    return '%s %s -> %s' % (name, rtype, what)


def run_row(tap, port, name, rtype, exp, tcp=False, desc=None, src=None, todo=None):
    a = dig(port, name, rtype, tcp=tcp, src=src)
    probs = check(a, exp)
    d = (desc or row_desc(name, rtype, exp)) + (' (tcp)' if tcp else ' (udp)')
    return tap.ok(not probs, d, todo=todo,
                  diag=probs + ['query: %s %s%s' % (name, rtype, ' from %s' % src if src
                                                    else ''), 'got: ' + a.summary()])



def main(tap):
    harness.require(knotd=True, kdig=True, module=True)
    with Lainlet(FIXTURES) as ll, \
            Knotd(lainlets=[ll.url], extra_mod_conf='ttl: %d\nnegative-ttl: %d'
                  % (TTL, NEG_TTL)) as kd:
        first = ROWS[0][2]['answer']
        ready = wait_until(lambda: dig(kd.port, 'web-1.console.lain', 'A').answer == first, 10)
        if not tap.ok(ready, 'web-1.console.lain A answers within 10 s of knotd start',
                      diag=['got: ' + dig(kd.port, 'web-1.console.lain', 'A').summary(),
                            'lainlet streams: %s' % ll.streams(), 'knotd log:',
                            kd.tail(40)]):
            if not kd.alive():
                tap.bail('knotd died:\n' + kd.tail(40))

        for name, rtype, exp in ROWS:
            run_row(tap, kd.port, name, rtype, exp)
        for name, rtype, exp, why in EXTRA_ROWS:
            run_row(tap, kd.port, name, rtype, exp, desc='%s %s -> %s' % (name, rtype, why))

        # the SOA as tinydns-data makes it from a `.` line (serial: the module's own)
        a = dig(kd.port, 'example.com', 'SOA')
        soa = a.rrs('answer', 'SOA')
        m = soa and soa_rdata_rx('example.com.').match(soa[0][3])
        tap.ok(m and m.groups()[1:] == ('16384', '2048', '1048576', '2560')
               and soa[0][1] == SOA_TTL,
               'example.com SOA: TTL %d, refresh 16384 retry 2048 expire 1048576 minimum '
               '2560 as a tinydns `.` line makes it' % SOA_TTL, diag=a.summary())

        # 0x20: the client's case comes back (kdig lowercases, so a raw query)
        a = query(kd.port, 'WeB-1.CoNsOlE.LaIn', 'A')
        tap.ok(a.qname_raw == 'WeB-1.CoNsOlE.LaIn.' and a.answer_raw ==
               [('WeB-1.CoNsOlE.LaIn.', TTL, 'A', '172.20.1.4')] and 'aa' in a.flags,
               'WeB-1.CoNsOlE.LaIn A: question and answer owner keep the client\'s case',
               diag='question %r, got: %s' % (a.qname_raw, a.summary()))
        a = query(kd.port, 'AnYtHiNg.ExAmPlE.cOm', 'A', tcp=True)
        tap.ok(a.qname_raw == 'AnYtHiNg.ExAmPlE.cOm.' and a.answer_raw ==
               [('AnYtHiNg.ExAmPlE.cOm.', LINE_TTL, 'A', WEBROUTER)],
               'AnYtHiNg.ExAmPlE.cOm A (wildcard, tcp): the answer owner keeps the '
               'client\'s case', diag='question %r, got: %s' % (a.qname_raw, a.summary()))

        for name, rtype, exp in ROWS:
            run_row(tap, kd.port, name, rtype, exp, tcp=True)

        # the module watches what it needs, with the configured heartbeat
        st = ll.streams()
        tap.ok(st.get('/v2/coreinfowatcher', 0) >= 1 and st.get('/v2/configwatcher', 0) >= 1,
               'the module holds watch streams on coreinfowatcher and configwatcher',
               diag=repr(st))
        reqs = [r for r in ll.requests() if r['path'] in ('/v2/coreinfowatcher',
                                                           '/v2/configwatcher')]
        tap.ok(reqs and all(re.search(r'(^|&)watch=(1|true)(&|$)', r['query'])
                            and re.search(r'(^|&)heartbeat=1(&|$)', r['query'])
                            for r in reqs),
               'its requests ask for watch=1 and heartbeat=1 (heartbeat: 1)',
               diag='\n'.join('%s?%s' % (r['path'], r['query']) for r in reqs))

        # portals: the querying node picks the portal. Node IPs are mapped into 127/8.
        ll.set_doc('coreinfo', map_nodes(ll.doc('coreinfo')))
        ll.set_doc('depends', map_nodes(copy.deepcopy(ll.doc('depends'))))
        name, src, answer, _ = PORTAL_ROWS[0]
        wait_until(lambda: dig(kd.port, name, 'A', src=src).answer == answer, 5)
        for name, src, answer, node in PORTAL_ROWS:
            run_row(tap, kd.port, name, 'A', dict(rcode='NOERROR', answer=answer), src=src,
                    desc='%s A from %s (%s, node IPs mapped to 127.0.10.x) -> %s'
                    % (name, src, node, answer[0][3]), todo=PORTAL_TODO)

        rc = kd.stop()
        tap.ok(rc == 0, 'knotd stops cleanly (knotc stop, exit status 0)',
               diag='exit status %s' % rc)


if __name__ == '__main__':
    harness.run(main)
