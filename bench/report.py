#!/usr/bin/env python3
"""Turns bench.py's results.json into doc/benchmarks.md and gnuplot PNGs.

    report.py --results DIR/results.json --doc doc/benchmarks.md [--plots doc/]
              [--notes bench/notes.md] [--command 'bench/run.sh ...']
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

SERVERS = ('module', 'zonefile', 'tinydns')
LABEL = {'module': 'knotd + mod-lain', 'zonefile': 'knotd, zone files', 'tinydns': 'tinydns'}


def f0(v):
    return '-' if v is None else '{:,.0f}'.format(v)


def f1(v):
    return '-' if v is None else '%.1f' % v


def f2(v):
    return '-' if v is None else '%.2f' % v


def f3(v):
    return '-' if v is None else '%.3f' % v


def ratio(a, b):
    return None if a is None or not b else a / b


def verdict(ok):
    return 'met' if ok else '**missed**'


def size_key(s):
    t = s.lower()
    mult = 1000 if t.endswith('k') else 1
    return float(t.rstrip('k')) * mult


def table(head, rows):
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        out.append('| ' + ' | '.join(str(c) for c in r) + ' |')
    return '\n'.join(out) + '\n'


def plots(res, outdir, workdir):
    """QPS per server per size; update latency against cluster size. Returns file names."""
    gp = shutil.which('gnuplot')
    if not gp:
        return []
    sizes = sorted(res['m1'], key=size_key)
    made = []
    # QPS
    dat = os.path.join(workdir, 'qps.dat')
    with open(dat, 'w') as f:
        f.write('# size module zonefile tinydns\n')
        for s in sizes:
            sm = res['m1'][s]['summary']
            f.write('%s %s\n' % (s, ' '.join(str(sm.get(k, {}).get('qps') or 0)
                                             for k in SERVERS)))
    png = os.path.join(outdir, 'bench-qps.png')
    script = '''set terminal pngcairo size 900,520 font ",11"
set output '%s'
set title "UDP queries per second (dnsperf on CPU 0, server on CPU 1, 1 UDP worker; median of runs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "queries/s"
set xlabel "cluster size (containers)"
set yrange [0:*]
set grid ytics
set key top right
plot '%s' using 2:xtic(1) title "knotd + mod-lain", '' using 3 title "knotd, zone files", '' using 4 title "tinydns"
''' % (png, dat)
    if subprocess.run([gp], input=script.encode(), stderr=subprocess.PIPE,
                      timeout=60).returncode == 0:
        made.append(os.path.basename(png))
    # update latency
    sizes2 = sorted(res['m2'], key=size_key)
    dat = os.path.join(workdir, 'update.dat')
    with open(dat, 'w') as f:
        f.write('containers e2e_p50 e2e_p99 read_p50 build_p50 jansson simdjson\n')
        for s in sizes2:
            m = res['m2'][s]
            sm = m['summary']
            f.write('%d %s %s %s %s %s %s\n' % (
                size_key(s), sm['e2e_ms']['p50'] or 0, sm['e2e_ms']['p99'] or 0,
                sm['read_ms']['p50'] or 0, sm['build_ms']['p50'] or 0,
                m['parse'].get('jansson', {}).get('median_us', 0) / 1000,
                m['parse'].get('simdjson_dom', {}).get('median_us', 0) / 1000))
    png = os.path.join(outdir, 'bench-update-latency.png')
    script = '''set terminal pngcairo size 900,520 font ",11"
set output '%s'
set title "Update latency: lainlet sends the update -> a DNS query sees the new A"
set logscale xy
set xlabel "cluster size (containers)"
set ylabel "milliseconds"
set grid
set key bottom right box opaque
set xrange [500:200000]
plot '%s' using 1:2 with linespoints lw 2 pt 7 title "end to end p50", \\
     '' using 1:3 with linespoints lw 2 pt 5 title "end to end p99", \\
     '' using 1:4 with linespoints pt 6 title "module read (streaming reader) p50", \\
     '' using 1:5 with linespoints pt 4 title "table build p50", \\
     '' using 1:6 with linespoints dt 2 lw 2 pt 1 title "bare jansson parse (the reference)", \\
     '' using 1:7 with linespoints dt 3 pt 2 title "bare simdjson DOM parse"
''' % (png, dat)
    if subprocess.run([gp], input=script.encode(), stderr=subprocess.PIPE,
                      timeout=60).returncode == 0:
        made.append(os.path.basename(png))
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--results', required=True)
    ap.add_argument('--doc', required=True)
    ap.add_argument('--plots')
    ap.add_argument('--notes')
    ap.add_argument('--command', default='bench/run.sh')
    a = ap.parse_args()
    with open(a.results) as f:
        res = json.load(f)
    plotdir = a.plots or os.path.dirname(os.path.abspath(a.doc))
    os.makedirs(plotdir, exist_ok=True)
    made = plots(res, plotdir, os.path.dirname(os.path.abspath(a.results)))
    m = res['machine']
    args = res['args']
    o = []
    w = o.append
    w('# Benchmarks\n')
    w('Figures of one run of `%s` (issue 6), started %s, %.0f s in all. Regenerate with the '
      'same command; this file and the plots are written by `bench/report.py` from the run\'s '
      '`results.json`. Benchmarks are not tests: nothing here fails `make check`.\n'
      % (a.command, res.get('started', '?'), res.get('elapsed_s', 0)))
    w('## Machine and versions\n')
    rows = [('CPUs (nproc)', m['nproc']), ('CPU model', m['cpu']), ('kernel', m['kernel']),
            ('OS', m['os']), ('memory', m['memory']), ('module', m.get('module') or '-')]
    rows += [(k, v) for k, v in sorted(m['versions'].items())]
    w(table(['what', 'value'], rows))
    w('\nLayout: dnsperf, the benchmark lainlet (`bench/lainlet_bench.py`) and the driver on '
      'CPU 0; the server under test on CPU 1 (`taskset -c 1`). knotd runs with '
      '`udp-workers: 1`, `tcp-workers: 1`, `background-workers: 1` unless said otherwise; '
      'tinydns is single-threaded (one UDP socket). Everything on 127.0.0.0/8: knotd on '
      '127.0.0.1, tinydns on 127.0.0.2:53 (env `IP=127.0.0.2 ROOT=<dir with data.cdb> '
      'UID=65534 GID=65534`, its per-query log to /dev/null). The machine is a 2-vCPU VM '
      'shared with other work, so every comparison is interleaved (A B C A B C ...) and the '
      'median is reported.\n')
    w('## Clusters\n')
    w('Generated by `bench/gen_cluster.py --scale N` (seeded): lainlet documents with full '
      'container entries (Command, Env, Image, Volumes, ...), apps with web/worker/cron '
      'procs and several instances, resource apps `resource.<svc>.<app>`, portals on 3..8 '
      'nodes, the usual `tinydns_fqdns` lines; and the same records as Knot zone files and '
      'a tinydns `data` file (A + PTR per instance, `<app>.lain` A per web router, '
      '`webrouter.lain`, `*.<domain>`, the `.` authority lines). Portals answer per '
      'querying node, which neither a zone file nor plain tinydns data expresses: they are '
      'only in depends.json and not in the query mix.\n')
    rows = []
    for s in sorted(res['sizes'], key=size_key):
        z = res['sizes'][s]
        rows.append((s, f0(z['containers']), f0(z['apps']), f0(z['nodes']), f0(z['portals']),
                     '%.1f MB' % (z['doc_bytes']['coreinfo.json'] / 1e6),
                     f0(z['bytes_per_container']), f0(z['records']),
                     ', '.join(z['reverse_zones'])))
    w(table(['size', 'containers', 'apps', 'nodes', 'portals', 'coreinfo', 'B/container',
             'records (zone file)', 'reverse zones'], rows))
    w('\nQuery mix (`queries.txt`, 200k lines, dnsperf loops over it): 80% '
      '`<proc>-<n>.<app>.lain A` of existing instances, 10% PTR of container addresses, '
      '10% NXDOMAIN (`<proc>-<n+1000..>.<app>.lain A`). Before timing, 300 queries of the '
      'mix are asked of every server and the answers (rcode, A/PTR set) compared.\n')

    # M1
    w('## 1. Query throughput\n')
    r1 = next(iter(res['m1'].values()), None)
    if r1:
        cmd = r1['runs']['module'][0]['cmd']
        w('Command (per server, `taskset -c 0`): `%s` — %d interleaved rounds of %g s; '
          'latency at saturation is dnsperf\'s "Average Latency" of those runs. p50/p99 come '
          'from a separate run per server at a fixed %d queries/s (`-Q %d -v`, %g s, '
          'per-query times), a load every server sustains.\n'
          % (cmd, args['rounds'], args['duration'], args['lat_qps'], args['lat_qps'],
             args['lat_duration']))
    rows = []
    for s in sorted(res['m1'], key=size_key):
        sm = res['m1'][s]['summary']
        agree = res['m1'][s]['answers_agree']
        zq = sm.get('zonefile', {}).get('qps')
        tq = sm.get('tinydns', {}).get('qps')
        for k in SERVERS:
            if k not in sm:
                continue
            v = sm[k]
            rows.append((s, LABEL[k], f0(v['qps']),
                         ' / '.join(f0(x) for x in v['qps_all']),
                         f2(ratio(v['qps'], zq)), f2(ratio(v['qps'], tq)),
                         f3(v['avg_lat_ms']), f3(v['fixed_load_p50_ms']),
                         f3(v['fixed_load_p99_ms']), f0(v['lost']), f0(v['resp_bytes']),
                         f2(v.get('server_us_per_query'))))
        rows.append((s, 'answers agree', '%d of %d' % (agree['queries'] - agree['mismatches'],
                                                       agree['queries']),
                     '', '', '', '', '', '', '', '', ''))
    w(table(['size', 'server', 'QPS (median)', 'runs', 'vs zone file', 'vs tinydns',
             'avg latency ms (saturated)', 'p50 ms (fixed load)', 'p99 ms (fixed load)',
             'lost', 'avg response B', 'server CPU us/query'], rows))
    w('\nServer CPU us/query = utime + stime of the server process (/proc/PID/stat) over the '
      'run / queries completed: what a query costs the server, independent of whether '
      'dnsperf or the server is the bottleneck (on loopback both cores are busy: part of the '
      'packet delivery runs in the sender\'s context).\n')
    w('\nTargets: mod-lain >= 1.0x the zone-file knotd at 10k and 100k, >= 5x tinydns.\n')
    rows = []
    for s in sorted(res['m1'], key=size_key):
        sm = res['m1'][s]['summary']
        rz = ratio(sm['module']['qps'], sm['zonefile']['qps'])
        rt = ratio(sm['module']['qps'], sm.get('tinydns', {}).get('qps'))
        rows.append((s, f2(rz), verdict(rz is not None and rz >= 1.0) if s != '1k' else
                     ('(no target) ' + verdict(rz is not None and rz >= 1.0)),
                     f2(rt), verdict(rt is not None and rt >= 5.0)))
    w(table(['size', 'module / zone file', '>= 1.0', 'module / tinydns', '>= 5'], rows))
    if made and 'bench-qps.png' in made:
        w('\n![QPS per server and cluster size](bench-qps.png)\n')

    # M2
    w('\n## 2. Update latency and cost\n')
    w('With knotd + mod-lain synced to the cluster, the driver moves one container to a new '
      'address through the lainlet\'s control API (`POST /_ctl/setip?old=&new=`: a byte '
      'replace in the held coreinfo document, then an `update` event with the whole '
      'document), and polls knotd (UDP, from CPU 0, every 0.2 ms growing to 0.5%% of the '
      'wait) until the new A answers. End to end = from the lainlet\'s clock just before the '
      'first byte of the event goes to the socket (`time.monotonic()`, CLOCK_MONOTONIC) to the '
      'answer. %d updates per size, %g s apart. Breakdown from the module\'s log: `read` = '
      'the time spent in the streaming reader (module/member.c members -> jansson -> procs '
      'and instances, fed as the bytes arrive) and the comparison with the data served, `build` = table build, '
      '`publish` = RCU swap + synchronize_rcu + free of the old table; `send` = the '
      'lainlet\'s sendall of the event. CPU per update from /proc (schedstat of the busiest '
      'knotd thread = the watcher; utime+stime of the process). Bare parse = '
      '`bench/parse_bench` / `bench/simdjson_bench` on the same coreinfo.json, pinned to '
      'CPU 1, median of several runs.\n' % (args['updates'], args['update_gap']))
    rows = []
    for s in sorted(res['m2'], key=size_key):
        m2 = res['m2'][s]
        sm = m2['summary']
        rows.append((s, f0(res['sizes'][s]['doc_bytes']['coreinfo.json']), sm['count'],
                     f1(sm['e2e_ms']['p50']), f1(sm['e2e_ms']['p99']),
                     f1(sm['send_ms']['p50']), f1(sm['read_ms']['p50']),
                     f1(sm['build_ms']['p50']), f2(sm['publish_ms']['p50']),
                     f1(m2['watcher_cpu_ms_per_update']), f1(m2['cpu_ms_per_update'])))
    w(table(['size', 'document bytes', 'updates', 'end to end p50 ms', 'p99 ms',
             'send p50', 'read p50', 'build p50', 'publish p50',
             'watcher CPU ms/update', 'process CPU ms/update'], rows))
    w('\nParse floor of the same coreinfo document (ms, median; min in parentheses):\n\n')
    rows = []
    names = [('fnv1a', 'FNV-1a over every byte (touching each byte once)'),
             ('jansson', 'jansson json_loadb, JSON_REJECT_DUPLICATES (as the module)'),
             ('jansson_nodup', 'jansson json_loadb, flags 0'),
             ('jansson_fields', 'jansson parse + walk to InstanceNo/ContainerIp'),
             ('cjson', 'cJSON_ParseWithLength'),
             ('json_members', 'mod-lain member framing (module/member.c) + jansson per member, '
              '16 KiB pieces'),
             ('lainlet_read', 'mod-lain coreinfo reader: members + jansson + procs (the module\'s '
              'read)'),
             ('simdjson_dom', 'simdjson DOM parse'),
             ('simdjson_fields', 'simdjson On-Demand walk to InstanceNo/ContainerIp')]
    sizes2 = sorted(res['m2'], key=size_key)
    for key, label in names:
        row = [label]
        for s in sizes2:
            p = res['m2'][s]['parse'].get(key)
            row.append('%s (%s)' % (f1(p['median_us'] / 1000), f1(p['min_us'] / 1000))
                       if p else '-')
        rows.append(row)
    w(table(['parser'] + sizes2, rows))
    w('\nTargets: everything after the parse <= 0.5x the bare jansson parse; end to end <= 2x '
      'it, at every size. "After the parse" = (read - bare jansson parse) + build + '
      'publish; the module\'s read is its own streaming reader, well under the jansson '
      'parse, so "after the parse" is the table build and the publish. End to end also '
      'holds the receive.\n\n')
    rows = []
    for s in sizes2:
        m2 = res['m2'][s]
        sm = m2['summary']
        parse = m2['parse'].get('jansson', {}).get('median_us')
        parse = parse / 1000 if parse else None
        after = None
        if parse and sm['read_ms']['p50'] is not None:
            after = max(sm['read_ms']['p50'] - parse, 0) + sm['build_ms']['p50'] + \
                sm['publish_ms']['p50']
        ra = ratio(after, parse)
        re50 = ratio(sm['e2e_ms']['p50'], parse)
        re99 = ratio(sm['e2e_ms']['p99'], parse)
        idn = m2.get('identical', {})
        rows.append((s, f1(parse), f1(after), f2(ra), verdict(ra is not None and ra <= 0.5),
                     f2(re50), f2(re99), verdict(re99 is not None and re99 <= 2.0),
                     '%s publishes, %s ms CPU' % (idn.get('new_publishes', '-'),
                                                  f1(idn.get('watcher_cpu_ms')))))
    w(table(['size', 'bare parse ms', 'after parse ms', 'after / parse', '<= 0.5',
             'e2e p50 / parse', 'e2e p99 / parse', '<= 2 (p99)', 'identical document'], rows))
    if 'bench-update-latency.png' in made:
        w('\n![Update latency against cluster size](bench-update-latency.png)\n')
    for s in sizes2:
        pf = res['m2'][s].get('perf')
        if pf:
            w('\nperf profile of knotd (`perf record -e cpu-clock -F 2000 -p <knotd>`) over '
              'the last %d updates at %s (no symbols for Debian\'s stripped jansson), '
              'by library:\n\n```\n%s\n```\nby symbol:\n\n```\n%s\n```\n'
              % (args['perf_updates'], s, '\n'.join(pf.get('by_dso', [])),
                 '\n'.join(pf.get('by_symbol', [])[:25])))

    # M3
    w('\n## 3. Memory\n')
    w('VmRSS of knotd from /proc after the load (1 s after ready); the empty knotd is the '
      'same configuration with no zone and no module. Growth per record = (RSS - empty) / '
      'records of the zone file (A + PTR + app A, the same set for both). Peak during '
      'updates: VmRSS sampled every 5 ms while the updates of measurement 2 ran, and VmHWM '
      '(which also holds the initial load).\n\n')
    rows = []
    for s in sorted(res['m3'], key=size_key):
        mm = res['m3'][s]
        e = mm['empty_rss_kb']
        gm = (mm['module_rss_kb'] - e) * 1024 / mm['records']
        gz = (mm['zone_rss_kb'] - e) * 1024 / mm['records']
        rg = ratio(gm, gz)
        m2 = res['m2'].get(s, {})
        steady = m2.get('steady_rss_kb')
        peak = m2.get('peak_rss_kb')
        rp = ratio(peak, steady)
        rows.append((s, f0(e), f0(mm['zone_rss_kb']), f0(mm['module_rss_kb']),
                     f0(mm.get('module_table_kb')), f0(gz), f0(gm), f2(rg),
                     verdict(rg is not None and rg <= 0.5) if s != '1k' else
                     '(no target) ' + verdict(rg is not None and rg <= 0.5),
                     f0(steady), f0(peak), f0(m2.get('hwm_kb')), f2(rp),
                     verdict(rp is not None and rp <= 2.0)))
    w(table(['size', 'empty knotd kB', 'zone file kB', 'mod-lain kB', 'table kB (log)',
             'zone B/record', 'mod-lain B/record', 'ratio', '<= 0.5', 'steady kB',
             'peak during updates kB', 'VmHWM kB', 'peak / steady', '<= 2'], rows))
    base = res.get('module_base')
    if base and base.get('rss_kb'):
        e0 = min(v['empty_rss_kb'] for v in res['m3'].values())
        fixed = base['rss_kb'] - e0
        w('\nThe module\'s fixed cost: knotd + mod-lain serving the 5-container sample cluster '
          '(tests/fixtures, %s records) takes %s kB, %s kB over the empty knotd: mod-lain.so, '
          'libcurl with the TLS, SSH, LDAP and Kerberos libraries it links (their code and '
          'relocated data pages: libcrypto alone is ~3 MB of it), the watcher thread. It does '
          'not grow with the cluster. Growth per record beyond it, against the zone file\'s:\n\n'
          % (base.get('records'), f0(base['rss_kb']), f0(fixed)))
        rows = []
        for s in sorted(res['m3'], key=size_key):
            mm = res['m3'][s]
            gz = (mm['zone_rss_kb'] - mm['empty_rss_kb']) * 1024 / mm['records']
            gm = (mm['module_rss_kb'] - base['rss_kb']) * 1024 / mm['records']
            rg = ratio(gm, gz)
            rows.append((s, f0(gz), f0(gm), f2(rg), verdict(rg is not None and rg <= 0.5)))
        w(table(['size', 'zone B/record', 'mod-lain B/record beyond the fixed cost', 'ratio',
                 '<= 0.5'], rows))
    if any('tinydns_rss_kb' in v for v in res['m3'].values()):
        w('\ntinydns RSS (it reads data.cdb per query, holds nothing): %s kB.\n' % ', '.join(
            '%s %s' % (s, f0(v.get('tinydns_rss_kb'))) for s, v in
            sorted(res['m3'].items(), key=lambda kv: size_key(kv[0]))))
    rows = [(s, f2(v['module_ready_s']), f2(v['zone_ready_s']),
             f2(res['sizes'][s].get('tinydns_data_s'))) for s, v in
            sorted(res['m3'].items(), key=lambda kv: size_key(kv[0]))]
    w('\nLoad times (start to first right answer, s):\n\n')
    w(table(['size', 'knotd + mod-lain (start + sync)', 'knotd zone files', 'tinydns-data '
             '(compile data.cdb)'], rows))

    # M4
    w('\n## 4. Queries during churn\n')
    for s, m4 in sorted(res['m4'].items()):
        sm = m4['summary']
        ri = ratio(sm['churn']['qps'], sm['idle']['qps'])
        w('Cluster %s, knotd + mod-lain on CPU 1; dnsperf (same command as measurement 1, '
          '%g s) alternately idle and while the driver moves a container every %g s through '
          'the lainlet on a fixed schedule (%d rounds each, interleaved). A checker thread '
          'asks for the last 5 moved names every 2 ms: once an address of version v of a name '
          'was answered, an answer with an older address of it counts as stale (an answer '
          'older than a table already served).\n\n' % (s, args['duration'], 1.0 / args['churn_rate'], args['rounds']))
        rows = [('idle', f0(sm['idle']['qps']), ' / '.join(f0(x) for x in sm['idle']['qps_all']),
                 f0(sm['idle']['sent']), f0(sm['idle']['lost']), f0(sm['idle']['errors']),
                 '-', '-', '-'),
                ('churn', f0(sm['churn']['qps']),
                 ' / '.join(f0(x) for x in sm['churn']['qps_all']), f0(sm['churn']['sent']),
                 f0(sm['churn']['lost']), f0(sm['churn']['errors']),
                 '%d (%.1f/s)' % (sm['churn_updates'], sm['updates_per_s']),
                 f0(sm['churn_publishes']), '%d of %d' % (sm['stale'], sm['stale_checks']))]
        w(table(['mode', 'QPS (median)', 'runs', 'sent', 'lost', 'errors (not NOERROR/'
                 'NXDOMAIN)', 'updates', 'tables published', 'stale answers'], rows))
        seen = [r['churn'].get('seen_p50_ms') for r in m4['churn']]
        seen99 = [r['churn'].get('seen_p99_ms') for r in m4['churn']]
        w('\nchurn / idle = %s (target >= 0.9: %s); lost + errors = %d (target 0: %s); '
          'stale = %d (target 0: %s). Updates whose new address the checker saw: %d of %d; '
          'time from the control call returning to the checker seeing it, per round: p50 %s '
          'ms, p99 %s ms (the watcher shares CPU 1 with the saturated UDP worker).\n'
          % (f2(ri), verdict(ri is not None and ri >= 0.9),
             sm['churn']['lost'] + sm['churn']['errors'],
             verdict(sm['churn']['lost'] + sm['churn']['errors'] == 0), sm['stale'],
             verdict(sm['stale'] == 0), sm.get('seen', 0), sm['churn_updates'],
             ' / '.join(f1(x) for x in seen), ' / '.join(f1(x) for x in seen99)))

    # M5
    w('\n## 5. Scaling with UDP workers\n')
    for s, m5 in sorted(res['m5'].items()):
        w('Cluster %s; knotd restarted per setting (`udp-workers: 1` or `2`), module and zone '
          'file interleaved, %d rounds of %g s (dnsperf with 8 client sockets, so '
          'SO_REUSEPORT spreads them over the workers). "pinned": the server on CPU 1 only '
          '(the extra worker shares the core); "both-cores": the server may run on CPU 0 and '
          '1, dnsperf stays on CPU 0 (they compete for CPU 0).\n\n'
          % (s, args['rounds'], args['duration']))
        rows = []
        for layout, v in m5.items():
            sm = v['summary']
            for k in ('module', 'zonefile'):
                q1 = sm.get('%s-w1' % k)
                q2 = sm.get('%s-w2' % k)
                uq = v.get('us_per_query', {})
                rows.append((layout, LABEL[k], f0(q1), f0(q2), f2(ratio(q2, q1)),
                             f2(uq.get('%s-w1' % k)), f2(uq.get('%s-w2' % k))))
            rows.append((layout, 'module / zone file', f2(ratio(sm.get('module-w1'),
                                                               sm.get('zonefile-w1'))),
                         f2(ratio(sm.get('module-w2'), sm.get('zonefile-w2'))), '', '', ''))
        w(table(['layout', 'server', 'QPS 1 worker', 'QPS 2 workers', '2 / 1',
                 'server CPU us/query, 1 worker', '2 workers'], rows))

    if a.notes and os.path.exists(a.notes):
        with open(a.notes) as f:
            w('\n' + f.read())
    with open(a.doc, 'w') as f:
        f.write('\n'.join(o))
    print('wrote %s%s' % (a.doc, ''.join(' ' + os.path.join(plotdir, p) for p in made)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
