"""Random tinydns-data files and the questions to ask about them, for
test_tinydns_diff.py (the differential test against Debian's tinydns-get).

generate(seed, number, now) -> Generated: the data text (every line type of
tinydns-data: . & = + @ ' ^ C Z : % S - # and blank lines; names of many depths,
escapes, wildcards, locations, timestamps, duplicates, CNAME chains, delegations)
and the questions (qtype, wire name, client address).

Every line is one tinydns-data accepts (the oracle must compile the file) and whose
rdata Knot can write. Client locations use 127.0.0.0/8 prefixes only, so every client
address is a loopback address the test can send from.
"""

import random

# 127.0.0.1 asks for the marker; the others fall into the '%' prefixes below.
CLIENTS = ('127.0.0.1', '127.1.0.1', '127.1.2.3', '127.1.2.4', '127.1.5.1', '127.3.0.1',
           '127.10.0.1', '127.2.0.0', '127.2.0.1', '127.200.1.1', '127.4.4.4')

# '%' lines: 0-4 octet prefixes, an empty code, duplicates (first wins), a 3-letter
# code (cut to 2), leading zeros, a CIDR suffix (not understood), a 5-octet prefix.
LOC_RULES = ('%ab:127.1', '%cd:127.1.2', '%ef:127', '%gh:127.1.2.3', '%ij', '%:127.1.5',
             '%kl:127.1', '%abc:127.3', '%zz:127.010', '%mk:127.2.0.0/8', '%q:127.200',
             '%ex:127.4.4.4.4', '%EX:127.4.4')

# lo fields of records: matched codes, codes nobody has, case, one and three bytes.
LOCS = ('ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'zz', 'mk', 'q', 'EX', 'ex', 'abc', 'nn')

QTYPES = (1, 1, 1, 1, 2, 5, 6, 12, 15, 16, 16, 28, 33, 255, 255, 13, 65280)

LABELS = (b'www', b'a', b'b', b'c', b'mail', b'ns', b'x', b'y', b'deep', b'sub', b'host',
          b'_tcp', b'_sip', b'web-1', b'n0', b'n1', b'n2', b'srv', b'mx')
# labels with bytes that need care in data lines and on the wire
ODD_LABELS = (b'sp ace', b'col:on', b'dot.in', b'tab\t', b'sl/ash', b'back\\slash',
              b'UPPER', b'Mixed', b'\xc3\xa9t\xc3\xa9', b'a\x00b', b'_')

BASES = ((b'lain',), (b'example', b'com'), (b'a', b'b', b'example', b'net'), (b'test',),
         (b'x-1', b'org'), (b'deep', b'er', b'zone', b'example', b'org'))

TAI_BASE = 0x400000000000000a


def tai(t):
    return '%016x' % (TAI_BASE + int(t))


def esc_label(label, rng, in_data=True):
    """A label written in a tinydns-data field: ':' '.' '\\' and odd bytes escaped,
    letters sometimes upper case or escaped (owners are lowercased anyway)."""
    out = ''
    for b in label:
        c = chr(b)
        if c in ':.\\' or b < 32 and b != 9 or b > 126 or (c == '\t' and rng.random() < .5):
            out += '\\%03o' % b
        elif c.isalpha() and rng.random() < .03:
            out += '\\%03o' % b
        elif c.isalpha() and rng.random() < .08:
            out += c.swapcase()
        elif c in ' \t' and rng.random() < .3:
            out += '\\%03o' % b
        else:
            out += c
    return out


def name_text(labels, rng):
    """A name as written in a data line, with tinydns-data's tolerated oddities
    (a trailing dot, a leading dot, a doubled dot: empty labels are dropped)."""
    text = '.'.join(esc_label(l, rng) for l in labels)
    r = rng.random()
    if r < .05:
        text += '.'
    elif r < .08:
        text = '.' + text
    elif r < .10 and len(labels) > 1:
        i = text.index('.') if '.' in text else 0
        text = text[:i] + '.' + text[i:]
    return text


def wire(labels):
    return b''.join(bytes([len(l)]) + l for l in labels) + b'\0'


def lower(labels):
    return tuple(l.lower() if all(b < 128 for b in l) else bytes(
        b + 32 if 65 <= b <= 90 else b for b in l) for l in labels)


class Generated:
    """One random data file and its questions."""

    def __init__(self, text, questions, lines, marker):
        self.text = text
        self.questions = questions   # [(qtype, wire name, client)]
        self.lines = lines           # the data lines (for diagnostics)
        self.marker = marker         # TXT text of the marker record


class _Gen:
    def __init__(self, seed, number, now):
        self.rng = random.Random('%s/%s' % (seed, number))
        self.number = number
        self.now = now
        self.lines = []
        self.names = []        # owners with records (canonical lowercase label tuples)
        self.zones = []        # apexes
        self.extra_q = []      # names worth asking about (targets, ENTs, ...)
        self.cnames = []
        self.generic_types = set()

    # -- fields ---------------------------------------------------------------
    def ttl(self, kind='rr'):
        r = self.rng.random()
        if r < .55:
            return ''
        choices = ['0', '60', '300', '3600', '86400', '4294967297', 'abc', '300x',
                   '4294967296', '7']
        if kind == 'ns':
            choices += ['0', '600']
        return self.rng.choice(choices)

    def stamp(self, ttl):
        """(ttl, timestamp): time-to-die (ttl 0) and not-before (ttl > 0) records."""
        r = self.rng.random()
        if r < .78:
            return ttl, ''
        rng = self.rng
        now = self.now
        kind = rng.choice(('ttd_past', 'ttd_future', 'ttd_far', 'ttd_near', 'nb_past',
                           'nb_future', 'nb_future_ttl0', 'fixed'))
        if kind == 'ttd_past':
            return '0', tai(now - rng.randint(10000, 10 ** 7))
        if kind == 'ttd_future':
            return '0', tai(now + rng.randint(10000, 10 ** 7))
        if kind == 'ttd_far':
            return '0', '4000000100000000'
        if kind == 'ttd_near':   # a TTL that counts down (2..3600); far from expiry
            return '0', tai(now + rng.randint(900, 3000))
        if kind == 'nb_past':
            return rng.choice(('', '300', '60')), tai(now - rng.randint(10000, 10 ** 7))
        if kind == 'nb_future':
            return rng.choice(('', '300', '60')), tai(now + rng.randint(10000, 10 ** 7))
        if kind == 'nb_future_ttl0':
            return '', '4000000100000000'
        # fixed values: 1970, 2106, upper case hex (read as 0 nibbles), a short label
        return rng.choice((('', '4000000000000001'), ('', '40000001FFFFFFFF'),
                           ('0', '4000000000000001'), ('', '4'), ('300', 'zz'),
                           ('0', '40000001FFFFFFFF')))

    def loc(self):
        return self.rng.choice(LOCS) if self.rng.random() < .18 else ''

    def meta(self, kind='rr'):
        """':ttl:timestamp:lo' with the trailing empty fields sometimes left out."""
        ttl, ts = self.stamp(self.ttl(kind))
        lo = self.loc()
        fields = [ttl, ts, lo]
        while fields and fields[-1] == '' and self.rng.random() < .7:
            fields.pop()
        return ''.join(':' + f for f in fields)

    def ip(self, net=None):
        rng = self.rng
        r = rng.random()
        if net is None:
            net = rng.choice(('10.%d.%d' % (rng.randint(0, 3), rng.randint(0, 3)),
                              '192.0.2', '198.51.100'))
        ip = '%s.%d' % (net, rng.randint(0, 12))
        if r < .03:
            return ''                       # no record at all
        if r < .05:
            return '1.2.3'                  # not four numbers: no record
        if r < .07:
            return ip.replace('.', '.0', 1)  # leading zeros are decimal
        if r < .09:
            return ip + 'junk'              # anything after the 4th number ignored
        if r < .11:
            a, b, c, d = ip.split('.')
            return '%s.%s.%s.%d' % (a, b, c, int(d) + 256)   # mod 256
        return ip

    # -- names ----------------------------------------------------------------
    def label(self):
        r = self.rng.random()
        if r < .06:
            return self.rng.choice(ODD_LABELS)
        return self.rng.choice(LABELS)

    def new_name(self, zone, depth=None):
        if depth is None:
            depth = self.rng.choice((1, 1, 1, 2, 2, 3, 4))
        labels = tuple(self.label() for _ in range(depth))
        if self.rng.random() < .15:
            labels = (b'*',) + labels[1:]
        return labels + zone

    def pick_name(self):
        if self.names and self.rng.random() < .75:
            return self.rng.choice(self.names)
        return self.new_name(self.rng.choice(self.zones))

    def target(self):
        """A name for CNAME/PTR/x: in the table, under a wildcard, nowhere, outside."""
        rng = self.rng
        r = rng.random()
        if r < .45 and self.names:
            t = rng.choice(self.names)
            if t and t[0] == b'*':
                t = (rng.choice(LABELS),) + t[1:]
        elif r < .6 and self.cnames:
            t = rng.choice(self.cnames)
        elif r < .75:
            t = self.new_name(rng.choice(self.zones))
            if t[0] == b'*':
                t = (b'nx',) + t[1:]
        elif r < .85:
            t = (rng.choice(LABELS), b'elsewhere', b'invalid')
        else:
            z = rng.choice(self.zones)
            t = z if rng.random() < .5 else (rng.choice(LABELS),) + z
        self.extra_q.append(lower(t))
        return t

    def x_field(self, fqdn):
        """x of '.', '&', '@', 'S': a name with a dot, a bare label (expanded), empty."""
        r = self.rng.random()
        if r < .35:
            return esc_label(self.rng.choice(LABELS), self.rng)
        if r < .45:
            return ''
        t = self.target()
        if len(t) == 1:
            return esc_label(t[0], self.rng) + '.'
        return name_text(t, self.rng).rstrip('.') or 'x.'

    def add(self, line, owner=None):
        self.lines.append(line)
        if owner is not None:
            owner = lower(owner)
            if owner not in self.names:
                self.names.append(owner)

    # -- line types -----------------------------------------------------------
    def zone_lines(self):
        rng = self.rng
        bases = rng.sample(BASES, rng.randint(1, 3))
        for base in bases:
            self.zones.append(base)
            for _ in range(rng.choice((1, 1, 2, 3))):
                ip = self.ip('192.0.2') if rng.random() < .8 else ''
                self.add('.%s:%s:%s%s' % (name_text(base, rng), ip, self.x_field(base),
                                          self.meta('ns') if rng.random() < .3 else ''), base)
            if rng.random() < .3:   # an explicit SOA, before or after: the first one wins
                z = 'Z%s:%s:%s%s' % (name_text(base, rng), name_text(self.target(), rng),
                                     'hm.' + name_text(base, rng),
                                     rng.choice(('', ':2024010101:3600:600:604800:300:900',
                                                 ':7::::12x', ':0', ':abc:1:2:3:4:5')))
                if rng.random() < .5:
                    self.lines.insert(len(self.lines) - 1, z)
                else:
                    self.lines.append(z)
            if rng.random() < .4:   # an extra apex NS without SOA
                self.add('&%s:%s:%s' % (name_text(base, rng), self.ip('192.0.2'),
                                        self.x_field(base)), base)
        z = self.zones[0]
        if rng.random() < .6:   # nested zone
            sub = (rng.choice((b'sub', b'in', b'n1')),) + z
            self.zones.append(sub)
            self.add('.%s:%s:a%s' % (name_text(sub, rng), self.ip('192.0.2'),
                                     self.meta('ns') if rng.random() < .4 else ''), sub)
        if rng.random() < .6:   # delegation with glue, names below the cut
            cut = (rng.choice((b'dl', b'child', b'x')),) + z
            self.add('&%s:%s:%s' % (name_text(cut, rng), self.ip('192.0.2'),
                                    self.x_field(cut)), cut)
            if rng.random() < .5:
                self.add('&%s::ns.%s' % (name_text(cut, rng), name_text(z, rng)))
            below = (rng.choice(LABELS),) + cut
            self.add('+%s:%s' % (name_text(below, rng), self.ip()), below)
            self.extra_q.append(lower(below))
            if rng.random() < .3:   # a zone of ours below the cut: the deeper NS wins
                deep = (b'deep',) + cut
                self.zones.append(deep)
                self.add('.%s:%s:a' % (name_text(deep, rng), self.ip('192.0.2')), deep)
        if rng.random() < .5:   # reverse zone for '=' and '^'
            rz = (b'2', b'0', b'192', b'in-addr', b'arpa')
            self.zones.append(rz)
            self.add('.%s:192.0.2.1:a' % name_text(rz, rng), rz)
        if rng.random() < .25:  # NS without any SOA: referrals only
            lone = (b'lonely', b'test') if (b'test',) not in self.zones else (b'lonely', b'org')
            self.add('&%s:%s:a' % (name_text(lone, rng), self.ip('192.0.2')), lone)
            self.add('+www.%s:%s' % (name_text(lone, rng), self.ip()))
            self.extra_q.append((b'www',) + lone)
        if rng.random() < .25:  # SOA without NS: not ours
            nons = (b'nons', b'example')
            self.add('Z%s:ns.%s:hm.%s' % ((name_text(nons, rng),) * 3), nons)
            self.add('+www.%s:%s' % (name_text(nons, rng), self.ip()))
            self.extra_q.append((b'www',) + nons)
        if rng.random() < .3:   # a zone seen by one location or from one time on
            lz = (b'loc', b'zone')
            ttl, ts = rng.choice((('', ''), ('300', tai(self.now + 10 ** 6)),
                                  ('0', tai(self.now + 10 ** 6)), ('', tai(self.now - 10 ** 6))))
            lo = rng.choice(('ab', 'cd', 'ef', ''))
            self.zones.append(lz)
            self.add('.%s:%s:a:%s:%s:%s' % (name_text(lz, rng), self.ip('192.0.2'), ttl,
                                            ts, lo), lz)
        if rng.random() < .04:  # the root as a zone (everything in bailiwick)
            self.add('.' if rng.random() < .5 else '.:192.0.2.99:root', ())
        elif rng.random() < .04:  # NS on the root without SOA: referrals for the rest
            self.add('&', ())

    def record_line(self):
        rng = self.rng
        kind = rng.choices('+=@\'^CZ:S.&', weights=(30, 8, 8, 12, 4, 10, 2, 8, 5, 2, 3))[0]
        owner = self.pick_name()
        on = name_text(owner, rng)
        if kind == '+':
            self.add('+%s:%s%s' % (on, self.ip(), self.meta()), owner)
        elif kind == '=':
            self.add('=%s:%s%s' % (on, self.ip(rng.choice(('192.0.2', '198.51.100'))),
                                   self.meta()), owner)
        elif kind == '@':
            dist = rng.choice(('', '0', '10', '20', 'x', '65546'))
            ip = self.ip() if rng.random() < .6 else ''
            self.add('@%s:%s:%s:%s%s' % (on, ip, self.x_field(owner), dist, self.meta()), owner)
        elif kind == "'":
            self.add("'%s:%s%s" % (on, self.text(), self.meta()), owner)
        elif kind == '^':
            if rng.random() < .7:
                owner = (str(rng.randint(0, 12)).encode(), b'2', b'0', b'192', b'in-addr',
                         b'arpa')
                on = name_text(owner, rng)
            self.add('^%s:%s%s' % (on, name_text(self.target(), rng), self.meta()), owner)
        elif kind == 'C':
            if rng.random() < .5:   # a name of its own, so chains and plain CNAMEs exist
                owner = self.new_name(rng.choice(self.zones))
                on = name_text(owner, rng)
            t = self.target()
            self.add('C%s:%s%s' % (on, name_text(t, rng), self.meta()), owner)
            self.cnames.append(lower(owner))
        elif kind == 'Z':
            self.add('Z%s:%s:%s%s' % (on, name_text(self.target(), rng),
                                      name_text(self.target(), rng),
                                      rng.choice(('', ':1', ':5:6:7:8:9:10:11'))), owner)
        elif kind == ':':
            self.add(':%s:%s' % (on, self.generic()) + self.meta(), owner)
        elif kind == 'S':
            ip = self.ip() if rng.random() < .5 else ''
            port = rng.choice(('5060', '0', '80', '65601', '1x'))
            self.add('S%s:%s:%s:%s:%s:%s%s' % (on, ip, self.x_field(owner), port,
                                                rng.choice(('', '10', '1')),
                                                rng.choice(('', '20', '5')), self.meta()),
                     owner)
        elif kind in '.&':
            # an NS (and SOA) anywhere: apex NS, a new cut, a zone at a wildcard
            self.add('%s%s:%s:%s%s' % (kind, on, self.ip('192.0.2') if rng.random() < .7
                                       else '', self.x_field(owner), self.meta('ns')), owner)

    def specials(self):
        """Rarer shapes: more than 8 A at a name, CNAME loops, a chain longer than the
        9 CNAMEs an answer holds."""
        rng = self.rng
        z = rng.choice(self.zones)
        if rng.random() < .35:
            many = (b'many',) + z
            for i in range(rng.randint(9, 14)):
                meta = self.meta() if rng.random() < .3 else ''
                self.add('+%s:10.9.%d.%d%s' % (name_text(many, rng), i // 4, i, meta), many)
            self.extra_q.append(many)
        if rng.random() < .3:
            a, b = (b'loop1',) + z, (b'loop2',) + z
            self.add('C%s:%s' % (name_text(a, rng), name_text(b, rng)), a)
            self.add('C%s:%s' % (name_text(b, rng), name_text(a, rng)), b)
            me = (b'self',) + z
            self.add('C%s:%s' % (name_text(me, rng), name_text(me, rng)), me)
            self.extra_q += [a, b, me]
            self.cnames += [a, b, me]
        if rng.random() < .3:
            n = rng.randint(8, 12)
            chain = [(b'ch%d' % i,) + z for i in range(n)]
            for x, y in zip(chain, chain[1:]):
                self.add('C%s:%s' % (name_text(x, rng), name_text(y, rng)), x)
            end = chain[-1]
            r = rng.random()
            if r < .5:
                self.add('+%s:%s' % (name_text(end, rng), self.ip()), end)
            elif r < .75:
                self.add("'%s:end" % name_text(end, rng), end)
            self.extra_q += chain[:3]
            self.cnames += chain[:-1]

    def text(self):
        rng = self.rng
        r = rng.random()
        if r < .05:
            return ''
        if r < .12:
            return 'x' * rng.choice((127, 128, 200, 255, 300))
        words = ['hello', 'v=spf1', 'a\\072b', 'back\\134slash', 'q\\q', 'oct\\1234',
                 'sp ace', '"quoted"', 'tab\t', 'x\\000y', 'end\\040', 'colon:cut']
        return ' '.join(rng.choice(words) for _ in range(rng.randint(1, 4)))

    def generic(self):
        """type:rdata of a ':' line with rdata of the shape Knot expects."""
        rng = self.rng

        def bytes_esc(data):
            return ''.join('\\%03o' % b if (b < 33 or b > 126 or chr(b) in ':\\' or
                                             rng.random() < .3) else chr(b) for b in data)
        kind = rng.choice(('aaaa', 'txt', 'hinfo', 'spf', 'priv', 'a', 'wrap', 'srv'))
        if kind == 'aaaa':
            t, data = 28, bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [rng.randint(0, 255)])
        elif kind == 'txt':
            s = bytes(rng.choice(b'abc :\\xyz') for _ in range(rng.randint(0, 20)))
            t, data = 16, bytes([len(s)]) + s
        elif kind == 'hinfo':
            t, data = 13, b'\x03CPU\x02OS'
        elif kind == 'spf':
            t, data = 99, b'\x06v=spf1'
        elif kind == 'priv':
            t, data = rng.choice((65280, 65534)), bytes(rng.randint(0, 255)
                                                         for _ in range(rng.randint(0, 9)))
        elif kind in ('a', 'wrap'):
            t = 1 if kind == 'a' else 65537
            data = bytes([10, rng.randint(0, 3), 0, rng.randint(0, 12)])
        else:
            tgt = self.target()
            t = 33
            data = bytes([0, rng.randint(0, 20), 0, 5, 0x13, 0xc4]) + wire(tgt)
        self.generic_types.add(t % 65536)
        return '%d:%s' % (t, bytes_esc(data))

    def noise(self):
        rng = self.rng
        r = rng.random()
        if r < .3:
            self.lines.append('')
        elif r < .45:
            self.lines.append(rng.choice(('   ', '\t', ' \t ')))
        elif r < .7:
            self.lines.append('# comment: +not.a.record:1.2.3.4')
        elif r < .9:
            self.lines.append('-%s:%s' % (name_text(self.pick_name(), rng), self.ip()))
        else:
            self.lines.append('-anything at all ::: \\q')

    def decorate(self):
        """Trailing whitespace (stripped) and CRs (kept in the last field)."""
        rng = self.rng
        out = []
        for line in self.lines:
            if line and line[0] in "+'C" and rng.random() < .03:
                line += '\r'
            elif line and rng.random() < .05:
                line += rng.choice((' ', '\t', '  \t'))
            out.append(line)
        self.lines = out

    # -- questions ------------------------------------------------------------
    def questions(self, count):
        rng = self.rng
        pool = list(self.names) + list(self.extra_q)
        parents = [n[1:] for n in self.names if len(n) > 1]
        out = []
        for _ in range(count):
            r = rng.random()
            if r < .4 and pool:
                n = rng.choice(pool)
            elif r < .55 and parents:
                n = rng.choice(parents)                        # ENTs, apexes, cuts
            elif r < .65 and pool:
                n = (rng.choice(LABELS),) + rng.choice(pool)   # children
            elif r < .8:
                wild = [w for w in self.names if w and w[0] == b'*']
                if wild:
                    w = rng.choice(wild)
                    n = tuple(rng.choice(LABELS + (b'zz9', b'*'))
                              for _ in range(rng.choice((1, 1, 2, 3)))) + w[1:]
                else:
                    n = (b'nx-%d' % rng.randint(0, 99),) + rng.choice(self.zones)
            elif r < .9:
                n = (b'nx-%d' % rng.randint(0, 99),) + rng.choice(self.zones)
            elif r < .95:
                n = (b'9', b'2', b'0', b'192', b'in-addr', b'arpa') if rng.random() < .5 \
                    else (b'%d' % rng.randint(0, 12), b'2', b'0', b'192', b'in-addr', b'arpa')
            else:
                n = rng.choice(((b'www', b'example', b'invalid'), (b'nowhere',),
                                (b'a', b'elsewhere', b'invalid'), ()))
            if rng.random() < .25:     # the client's case is not the owner's
                n = tuple(bytes(b ^ 32 if 97 <= b <= 122 and rng.random() < .5 else b
                                for b in l) for l in n)
            qtype = rng.choice(QTYPES)
            if qtype in (13, 65280) and self.generic_types:
                qtype = rng.choice(sorted(self.generic_types))
            out.append((qtype, wire(n), rng.choice(CLIENTS)))
        return out


def generate(seed, number, now, lines=60, queries=150):
    """Random data file number `number` of seed `seed`; timestamps relative to now."""
    g = _Gen(seed, number, now)
    rng = g.rng
    rules = [r for r in LOC_RULES if rng.random() < .45]
    rng.shuffle(rules)
    for r in rules:
        g.lines.append(r)
    g.zone_lines()
    g.specials()
    for _ in range(rng.randint(lines // 2, lines + lines // 2)):
        if rng.random() < .1:
            g.noise()
        elif rng.random() < .08 and len(g.lines) > 3:
            g.lines.append(rng.choice([l for l in g.lines if l and l[0] not in '%#-']))
        else:
            g.record_line()
    rng.shuffle(g.lines) if rng.random() < .2 else None
    g.decorate()
    marker = 'file-%s-%d' % (seed, number)
    # The marker zone: how the test knows the module has read this file.
    text = '\n'.join(g.lines) + '\n.marker.test:127.0.0.1:a\n\'_gen.marker.test:%s\n' % marker
    return Generated(text, g.questions(queries), g.lines, marker)
