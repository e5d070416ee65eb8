#!/usr/bin/env python3
"""data-file: a plain tinydns data file served without lainlet (a drop-in tinydns),
picked up when it changes, bad lines skipped, never half-read; next to lainlet too.

Next to lainlet, each source's mass-drop guard counts only its own records: after a
`knotc reload` and after a restart from the snapshot, the data file's records are not
taken for tinydns_fqdns' (which would hold its first document back for drop-hold and
with it every update), and a real mass drop of tinydns_fqdns or coreinfo, live or as
the first document, is still held back."""

import json
import os
import re
import shutil
import tempfile
import time

import harness
from harness import Knotd, Lainlet, fixture, query, wait_until, with_ip

DATA = '''# a tinydns data file
.example.org:192.0.2.1:a:300
+www.example.org:192.0.2.10
=host.example.org:192.0.2.11
.2.0.192.in-addr.arpa:192.0.2.1:a
Cweb.example.org:www.example.org
'txt.example.org:hello\\040there
@example.org:192.0.2.25:mx1
+*.wild.example.org:192.0.2.99
Cloop1.example.org:loop2.example.org
Cloop2.example.org:loop1.example.org
Cself.example.org:self.example.org
'''


def write(path, text):
    with open(path + '.new', 'w') as f:
        f.write(text)
    os.rename(path + '.new', path)


def a(kd, name):
    return sorted(rr[3] for rr in query(kd.port, name, 'A', timeout=1.0).rrs('answer', 'A'))


def connections(ll):
    """Streams lainlet ever opened (a mark: a new instance's streams add to it)."""
    return sum(ll.stats()['connections'].values())


def change_answered(kd, ll, core, ip, since):
    """Moves web-1.console.lain to ip once the module's 5 streams opened after the mark
    `since` (connections) and returns the seconds until it is answered, None if not
    within 1 s."""
    if not wait_until(lambda: connections(ll) >= since + 5, 10):
        return None
    ll.set_doc('coreinfo', with_ip(core, 'console.web.web', 1, ip))
    t0 = time.monotonic()
    if not wait_until(lambda: a(kd, 'web-1.console.lain') == [ip], 1.0):
        return None
    return time.monotonic() - t0


def held(kd, source, mark):
    """The guard's "held back" line of a source after the log mark, or None."""
    m = kd.wait_log(r'%s: document would remove \d+ of \d+ records, held back' % source,
                    3, start=mark)
    return m.group(0) if m else None


def both_sources(tap, tmp):
    core = fixture('coreinfo.json')
    cfg = fixture('config-tinydns_fqdns.json')
    bulk = dict(cfg)
    bulk['tinydns_fqdns/bulk'] = json.dumps(['+h%d.ops.lain:10.9.0.%d:300' % (i, i)
                                             for i in range(1, 31)])
    # coreinfo down to 3 of its 15 containers; tinydns_fqdns without the 30 bulk lines
    few = {k: v for k, v in core.items() if k in ('console.web.web',
                                                  'webrouter.worker.worker')}
    path = os.path.join(tmp, 'both')
    snap = os.path.join(tmp, 'both.snap')
    # the file's own 39 records outnumber tinydns_fqdns' 13 of the fixtures
    write(path, DATA + ''.join('+f%d.example.org:192.0.2.%d\n' % (i, 100 + i)
                               for i in range(1, 31)))
    conf = 'data-file: %s\nsnapshot: "%s"' % (path, snap)
    served = lambda kd: (a(kd, 'f30.example.org') == ['192.0.2.130'] and  # noqa: E731
                         a(kd, 'web-3.hello.lain') == ['172.20.3.10'] and
                         a(kd, 'h30.ops.lain') == ['10.9.0.30'])
    with Lainlet() as ll:
        kd = Knotd(lainlets=[ll.url], extra_mod_conf=conf).start()
        try:
            tap.ok(wait_until(lambda: a(kd, 'f30.example.org') == ['192.0.2.130'] and
                              a(kd, 'web-3.hello.lain') == ['172.20.3.10'], 10),
                   'both sources: synced', diag=kd.tail())
            ll.set_doc('config', bulk)
            tap.ok(wait_until(lambda: served(kd), 3) is True,
                   'tinydns_fqdns with 30 more lines served', diag=kd.tail())

            mark, c0 = len(kd.log()), connections(ll)
            kd.knotc('reload')
            dt = change_answered(kd, ll, core, '172.20.9.1', c0)
            tap.ok(dt is not None and not held(kd, 'tinydns_fqdns', mark),
                   'after knotc reload: a coreinfo change answered within 1 s (%s)'
                   % ('%.3f s' % dt if dt is not None else 'not answered'), diag=kd.tail())
            kd.stop()

            c0 = connections(ll)
            kd = Knotd(lainlets=[ll.url], extra_mod_conf=conf).start()
            dt = change_answered(kd, ll, core, '172.20.9.2', c0)
            tap.ok(dt is not None and 'snapshot %s loaded' % snap in kd.log()
                   and not held(kd, 'tinydns_fqdns', 0),
                   'after a restart from the snapshot: a coreinfo change answered within '
                   '1 s (%s)' % ('%.3f s' % dt if dt is not None else 'not answered'),
                   diag=kd.tail())

            # a real mass drop of each source is held back: live, ...
            mark = len(kd.log())
            ll.set_doc('config', cfg)
            ll.set_doc('coreinfo', few)
            lines = [held(kd, 'tinydns_fqdns', mark), held(kd, 'coreinfo', mark)]
            tap.ok(all(lines) and served(kd), 'live mass drops held back: %s' % lines,
                   diag=kd.tail())
            # ... as the first documents after a reload ...
            mark = len(kd.log())
            kd.knotc('reload')
            lines = [held(kd, 'tinydns_fqdns', mark), held(kd, 'coreinfo', mark)]
            tap.ok(all(lines) and served(kd),
                   'after knotc reload, the first documents\' mass drops held back: %s'
                   % lines, diag=kd.tail())
            kd.stop()
            # ... and after a restart from the snapshot
            kd = Knotd(lainlets=[ll.url], extra_mod_conf=conf).start()
            lines = [held(kd, 'tinydns_fqdns', 0), held(kd, 'coreinfo', 0)]
            tap.ok(all(lines) and served(kd),
                   'after a restart from the snapshot, the first documents\' mass drops '
                   'held back: %s' % lines, diag=kd.tail())
        finally:
            kd.stop()


def main(tap):
    harness.require(knotd=True, module=True)
    tmp = tempfile.mkdtemp(prefix='mod-lain-data-')
    path = os.path.join(tmp, 'data')
    write(path, DATA)
    with Knotd(lainlets=[], heartbeat=None, extra_mod_conf='data-file: %s' % path) as kd:
        tap.ok(wait_until(lambda: a(kd, 'www.example.org') == ['192.0.2.10'], 5),
               'file only: served like tinydns', diag=kd.tail())
        r = query(kd.port, 'web.example.org', 'A')
        tap.ok([x[2] for x in r.answer] == ['CNAME', 'A'], 'CNAME followed in the table')
        r = query(kd.port, '11.2.0.192.in-addr.arpa', 'PTR')
        tap.ok([x[3] for x in r.answer] == ['host.example.org.'], '= line makes the PTR')
        r = query(kd.port, 'txt.example.org', 'TXT')
        tap.ok(r.answer and r.answer[0][3] == '"hello there"', 'TXT escapes', diag=r.summary())
        r = query(kd.port, 'example.org', 'MX')
        tap.ok(r.answer and r.additional and r.additional[0][0] == 'mx1.mx.example.org.',
               'MX with its A in additional', diag=r.summary())
        tap.ok(a(kd, 'a.b.wild.example.org') == ['192.0.2.99'], 'wildcard at any depth')
        for name, want in (('loop1', ['loop1', 'loop2']), ('loop2', ['loop2', 'loop1']),
                           ('self', ['self'])):
            r = query(kd.port, '%s.example.org' % name, 'A')
            tap.ok(r.rcode == 'NOERROR' and
                   [(x[0], x[2]) for x in r.answer] ==
                   [('%s.example.org.' % n, 'CNAME') for n in want],
                   'CNAME loop at %s: each CNAME once' % name, diag=r.summary())
        tap.ok(query(kd.port, 'nosuch.example.org').rcode == 'NXDOMAIN', 'NXDOMAIN')
        tap.ok(query(kd.port, 'web-1.console.lain').rcode == 'REFUSED',
               'no lainlet: lain is not served (no defaults)')

        # A change is picked up without a reload; bad lines are skipped and logged.
        mark = len(kd.log())
        write(path, DATA.replace('192.0.2.10', '192.0.2.20') +
              'Xbad.example.org:1.2.3.4\n+ok.example.org:192.0.2.30\n')
        tap.ok(wait_until(lambda: a(kd, 'www.example.org') == ['192.0.2.20'], 3),
               'changed file picked up within 3 s')
        tap.ok(a(kd, 'ok.example.org') == ['192.0.2.30'], 'the lines after a bad one served')
        bad_line = len(DATA.splitlines()) + 1
        tap.ok(kd.wait_log(r'%s line %d skipped \(unrecognized leading character' %
                           (path.replace('/', r'\/'), bad_line), 3, start=mark) is not None,
               'the bad line is logged with file and line number', diag=kd.tail())

        # The file disappears: the records stay.
        os.unlink(path)
        tap.ok(kd.wait_log(r'data file .* not read', 3, start=mark) is not None,
               'a missing file is logged')
        tap.ok(a(kd, 'www.example.org') == ['192.0.2.20'], 'previous records kept')
        write(path, DATA)
        tap.ok(wait_until(lambda: a(kd, 'www.example.org') == ['192.0.2.10'], 3),
               'the file back: served again')

    # Next to lainlet: both in one table.
    with Lainlet() as ll, Knotd(lainlets=[ll.url], extra_mod_conf='data-file: %s' % path) as kd:
        tap.ok(wait_until(lambda: a(kd, 'web-1.console.lain') == ['172.20.1.4'], 10),
               'lainlet names served')
        tap.ok(a(kd, 'www.example.org') == ['192.0.2.10'], 'and the data file\'s')

    fifo = os.path.join(tmp, 'fifo')
    kd = Knotd(lainlets=[], heartbeat=None, extra_mod_conf='data-file: %s' % fifo)
    try:
        fifo_data_file(tap, kd, fifo)
    finally:
        kd.stop()
        os.unlink(fifo)
    os.unlink(path)
    try:
        both_sources(tap, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fifo_data_file(tap, kd, fifo):
    """A FIFO as data-file: open() would block until a writer comes. At start the
    configuration is refused (knotd exits at once, naming the item); once running, a
    FIFO put in the file's place is logged and the previous records kept."""
    os.mkfifo(fifo)
    log, took = kd.start_refused()
    tap.ok(log is not None and 'data-file is not a regular file' in log and took < 5,
           'a FIFO as data-file at start: the configuration is refused in %.2f s, '
           '"data-file is not a regular file"' % took, diag=harness._tail(log or '', 5))
    os.unlink(fifo)
    write(fifo, DATA)
    kd.start()
    tap.ok(wait_until(lambda: a(kd, 'www.example.org') == ['192.0.2.10'], 3),
           'a regular file there: read and served')
    refused = r'data file %s not read \(not a regular file\)' % re.escape(fifo)
    mark = len(kd.log())
    os.unlink(fifo)
    os.mkfifo(fifo)
    tap.ok(kd.wait_log(refused, 3, start=mark) and a(kd, 'www.example.org') == ['192.0.2.10'],
           'a FIFO in place of the data file while running: logged, previous records kept '
           '(the watcher did not hang)', diag=kd.tail())
    # (by signal: knotc -c would refuse the configuration, which names the FIFO now)
    t0 = time.monotonic()
    rc = kd.stop(by_signal=True)
    took = time.monotonic() - t0
    tap.ok(rc == 0 and took < 3, 'stop (SIGTERM) with a FIFO as data-file: exit %s after '
           '%.2f s' % (rc, took))


if __name__ == '__main__':
    harness.run(main)
