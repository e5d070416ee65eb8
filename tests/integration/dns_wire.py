"""The DNS client of the integration tests: queries built and parsed on the wire
(build_query, parse_response, query), kdig's answers (dig), both as an Answer, and a
bounded query load (QueryLoad)."""

import json
import random
import socket
import struct
import subprocess
import time

from testenv import KDIG, check_loopback


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
