#!/usr/bin/env python3
"""Generates a LAIN cluster of N containers for mod-lain's benchmarks.

    gen_cluster.py --containers 10000 --out DIR [--seed 1] [--domain example.com]
    gen_cluster.py --scale 10k --out DIR          (1k, 10k, 100k, or a number)

Writes into DIR:
  coreinfo.json, depends.json, config-tinydns_fqdns.json, config-domain.json,
  config-dns_ip.json   lainlet's documents (compact, Go's encoding/json key order), the
                       fixture file names that tests/integration/lainlet.py and
                       bench/lainlet_bench.py serve
  zones/<zone>.zone    the same records as Knot zone files (lain, <domain>, one
                       reverse zone per used /16: 20.172.in-addr.arpa, 21.172...)
  tinydns/data         the same records in tinydns-data syntax
  queries.txt          dnsperf input: ~80% `<proc>-<n>.<app>.lain A` hits, 10% PTR of
                       container addresses, 10% NXDOMAIN names in lain.
  meta.json            sizes and a few names/addresses the measurements use

Names are those mod-lain makes (README, doc/lainlet.md): `<proc>-<n>.<app in DNS
order>.lain A` = the first container's IP, its PTR, and `<app>.lain A` = every web router
address for every app but webrouter. Portals (per querying node: a view no zone file or
plain tinydns data expresses) are in depends.json only, and not in the query mix.

Addresses: containers get 172.20.0.1 .. 172.20.254.254, then 172.21.x.y (a /16 holds
64770 of them here, so 100k containers use two reverse zones; the second gets its own
`.21.172.in-addr.arpa` authority line, as an operator would add). x.y.255.z is never
given to a container: the update measurement moves containers there.
Standard library only; deterministic for a given --seed.
"""

import argparse
import json
import os
import random
import sys

DNS_IP = '192.168.77.53'
WEBROUTERS = ['192.168.77.201', '192.168.77.202']
TTL = 60            # the module's configured TTL (bench knot.conf sets ttl: 60)
WORDS = ('alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike '
         'november oscar papa quebec romeo sierra tango uniform victor whiskey xray '
         'yankee zulu ledger billing console search mailer auth cart feed media pay '
         'report stats notify profile upload gateway').split()
SERVICES = ('redis', 'mysql', 'memcached', 'kafka', 'mongo')


def go_json(obj):
    text = json.dumps(obj, separators=(',', ':'), sort_keys=True, ensure_ascii=False)
    for ch, esc in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026')):
        text = text.replace(ch, esc)
    return text.encode('utf-8')


def parse_scale(text):
    t = text.lower().strip()
    mult = 1
    if t.endswith('k'):
        mult, t = 1000, t[:-1]
    elif t.endswith('m'):
        mult, t = 1000000, t[:-1]
    return int(float(t) * mult)


class IPs:
    """Container addresses in 172.20.0.0/15 and up, never x.y.255.z."""
    PER16 = 255 * 254

    def __init__(self):
        self.n = 0

    def take(self):
        i = self.n
        self.n += 1
        b = 20 + i // self.PER16
        r = i % self.PER16
        return '172.%d.%d.%d' % (b, r // 254, r % 254 + 1)

    def blocks(self):
        return list(range(20, 20 + max(self.n - 1, 0) // self.PER16 + 1))


def container(rng, cid, app, proc, ip, node_ip, node_name, domain, image_tag, expose):
    """One ContainerInfos entry, ~0.6 KB compact, like lainlet's."""
    return {
        'Command': ['/lain/app/run.sh', proc] if proc != 'web' else ['./entry.sh', '--port',
                                                                       str(expose)],
        'ContainerId': '%064x' % cid,
        'ContainerIp': ip,
        'Cpu': 0,
        'Env': [
            'LAIN_APPNAME=%s' % app,
            'LAIN_PROCNAME=%s' % proc,
            'LAIN_DOMAIN=%s' % domain,
            'DEPLOYD_POD_NAME=%s.%s' % (app, proc),
            'DEPLOYD_POD_INSTANCE_NO=%d' % (cid % 7 + 1),
            'LAIN_SERVICE_ID=%08x' % rng.getrandbits(32),
            'TZ=Asia/Shanghai',
            'GOMAXPROCS=2',
        ],
        'Expose': expose,
        'Image': 'registry.%s/%s:release-%d-%s' % (domain, app, image_tag,
                                                    '%040x' % rng.getrandbits(160)),
        'Memory': rng.choice((134217728, 268435456, 536870912, 1073741824)),
        'NodeIp': node_ip,
        'NodeName': node_name,
        'Volumes': ['/var/log/%s' % proc, '/lain/logs'],
    }


def generate(n, seed, domain):
    rng = random.Random(seed)
    ips = IPs()
    n_nodes = max(3, n // 40)
    nodes = [('node%d' % (i + 1), '192.168.%d.%d' % (100 + i // 250, i % 250 + 1))
             for i in range(n_nodes)]
    coreinfo = {}
    instances = []          # (name, ip, pod group key, instance no)
    apps = []               # app names (LAIN order)
    resources = []          # (service, client app)
    cid = 0
    app_no = 0

    def add_group(app, proctype, procname, count, expose):
        nonlocal cid
        pods = []
        tag = rng.randrange(1, 500)
        for k in range(1, count + 1):
            cid += 1
            node_name, node_ip = nodes[rng.randrange(n_nodes)]
            # ~0.3% of containers are being created: no address yet
            ip = '' if rng.random() < 0.003 else ips.take()
            pods.append({
                'Annotation': json.dumps({'mountpoint': ['%s.%s' % (app, domain)] if
                                          proctype == 'web' else [],
                                          'https_only': False}),
                'ContainerInfos': [container(rng, cid, app, procname, ip, node_ip, node_name,
                                             domain, tag, expose)],
                'Dependencies': [],
                'InstanceNo': k,
            })
            if ip:
                instances.append((procname, k, app, ip))
        key = '%s.%s.%s' % (app, proctype, procname)
        coreinfo[key] = {'PodInfos': pods}
        return key

    def dns_app(app):
        return '.'.join(reversed(app.split('.')))

    # the web router app comes first, like in every LAIN cluster
    apps.append('webrouter')
    add_group('webrouter', 'worker', 'worker', 3, 0)
    made = 3
    while made < n:
        app_no += 1
        app = '%s%d' % (rng.choice(WORDS), app_no)
        apps.append(app)
        left = n - made
        web = min(left, rng.randint(2, 6))
        add_group(app, 'web', 'web', web, 8000)
        made += web
        if made < n:
            w = min(n - made, rng.randint(1, 4))
            add_group(app, 'worker', 'worker', w, 0)
            made += w
        if made < n and rng.random() < 0.5:
            add_group(app, 'worker', 'cron', 1, 0)
            made += 1
        if made < n and rng.random() < 0.15:
            svc = rng.choice(SERVICES)
            res = 'resource.%s.%s' % (svc, app)
            apps.append(res)
            r = min(n - made, 3)
            add_group(res, 'worker', svc, r, 0)
            made += r
            resources.append((svc, app))

    # depends: a portal per used service on 3..N nodes (at most 8)
    depends = {}
    portal_ip = 0
    for svc, app in resources:
        pod = 'resource.%s.%s.portal.portal-%s' % (svc, app, svc)
        entry = {}
        for node_name, node_ip in rng.sample(nodes, rng.randint(3, min(8, n_nodes))):
            portal_ip += 1
            entry[node_name] = {app: {
                'Annotation': json.dumps({'mountpoint': [], 'https_only': True,
                                          'service_name': svc}),
                'Containers': [{'ContainerID': '%064x' % (10 ** 9 + portal_ip),
                                'IP': '172.31.%d.%d' % (portal_ip // 250, portal_ip % 250 + 1),
                                'NodeIP': node_ip, 'Port': 6379}]}}
        depends[pod] = entry

    blocks = ips.blocks()
    rev_zones = ['%d.172.in-addr.arpa' % b for b in blocks]
    tiny = {
        'tinydns_fqdns/lain': json.dumps(['.lain:%s:a:300' % DNS_IP]),
        'tinydns_fqdns/webrouter.lain': json.dumps(['+webrouter.lain:%s:300' % ip
                                                    for ip in WEBROUTERS]),
        'tinydns_fqdns/%s' % domain: json.dumps(['+*.%s:%s:300' % (domain, WEBROUTERS[0]),
                                                  '.%s:%s:a:300' % (domain, DNS_IP)]),
    }
    for z in rev_zones:
        tiny['tinydns_fqdns/.%s' % z] = json.dumps(['.%s:%s:a:300' % (z, DNS_IP)])
    docs = {
        'coreinfo.json': coreinfo,
        'depends.json': depends,
        'config-tinydns_fqdns.json': tiny,
        'config-domain.json': {'domain': domain,
                               'domains/*.lain': json.dumps({'ips': [], 'type': 'webrouter'})},
        'config-dns_ip.json': {'dns_ip': DNS_IP},
    }
    return dict(docs=docs, instances=instances, apps=apps, dns_app=dns_app,
                rev_zones=rev_zones, nodes=nodes, resources=resources)


def ptr_name(ip):
    return '.'.join(reversed(ip.split('.'))) + '.in-addr.arpa'


def write_zones(g, domain, zdir):
    """Knot zone files with what tinydns-data makes of the same lines."""
    os.makedirs(zdir, exist_ok=True)
    zones = {}
    serial = 2024010101

    def head(zone):
        # tinydns-data's '.' line: SOA a.ns.<zone> hostmaster.<zone>, NS, A of the NS
        return ['$ORIGIN %s.' % zone, '$TTL %d' % TTL,
                '@ 2560 IN SOA a.ns.%s. hostmaster.%s. %d 16384 2048 1048576 2560'
                % (zone, zone, serial),
                '@ 300 IN NS a.ns.%s.' % zone,
                'a.ns.%s. 300 IN A %s' % (zone, DNS_IP)]

    zones['lain'] = head('lain')
    zones[domain] = head(domain)
    zones[domain].append('*.%s. 300 IN A %s' % (domain, WEBROUTERS[0]))
    for z in g['rev_zones']:
        zones[z] = head(z)
    lz = zones['lain']
    for ip in WEBROUTERS:
        lz.append('webrouter.lain. 300 IN A %s' % ip)
    dns_app = g['dns_app']
    for app in g['apps']:
        if app == 'webrouter':
            continue
        for ip in WEBROUTERS:
            lz.append('%s.lain. %d IN A %s' % (dns_app(app), TTL, ip))
    for proc, k, app, ip in g['instances']:
        name = '%s-%d.%s.lain.' % (proc, k, dns_app(app))
        lz.append('%s %d IN A %s' % (name, TTL, ip))
        b = ip.split('.')[1]
        zones['%s.172.in-addr.arpa' % b].append('%s. %d IN PTR %s' % (ptr_name(ip), TTL, name))
    paths = {}
    for z, lines in zones.items():
        p = os.path.join(zdir, '%s.zone' % z)
        with open(p, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        paths[z] = p
    return paths


def write_tinydns(g, domain, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    out = ['.lain:%s:a:300' % DNS_IP, '.%s:%s:a:300' % (domain, DNS_IP),
           '+*.%s:%s:300' % (domain, WEBROUTERS[0])]
    for z in g['rev_zones']:
        out.append('.%s:%s:a:300' % (z, DNS_IP))
    for ip in WEBROUTERS:
        out.append('+webrouter.lain:%s:300' % ip)
    dns_app = g['dns_app']
    for app in g['apps']:
        if app == 'webrouter':
            continue
        for ip in WEBROUTERS:
            out.append('+%s.lain:%s:%d' % (dns_app(app), ip, TTL))
    for proc, k, app, ip in g['instances']:
        # '=' = A plus PTR, as the original LAIN generator wrote them
        out.append('=%s-%d.%s.lain:%s:%d' % (proc, k, dns_app(app), ip, TTL))
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


def write_queries(g, path, count, rng):
    inst = g['instances']
    dns_app = g['dns_app']
    lines = []
    for i in range(count):
        r = rng.random()
        proc, k, app, ip = inst[rng.randrange(len(inst))]
        if r < 0.8:
            lines.append('%s-%d.%s.lain A' % (proc, k, dns_app(app)))
        elif r < 0.9:
            lines.append('%s PTR' % ptr_name(ip))
        else:
            lines.append('%s-%d.%s.lain A' % (proc, k + 1000 + rng.randrange(1000),
                                              dns_app(app)))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--containers', type=int)
    ap.add_argument('--scale', help='1k, 10k, 100k, ... (same as --containers)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--domain', default='example.com')
    ap.add_argument('--queries', type=int, default=200000, help='lines of queries.txt')
    args = ap.parse_args()
    n = args.containers if args.containers else parse_scale(args.scale or '1k')
    if n < 10:
        ap.error('at least 10 containers')
    os.makedirs(args.out, exist_ok=True)
    g = generate(n, args.seed, args.domain)
    sizes = {}
    for fn, doc in g['docs'].items():
        data = go_json(doc)
        with open(os.path.join(args.out, fn), 'wb') as f:
            f.write(data)
        sizes[fn] = len(data)
    zones = write_zones(g, args.domain, os.path.join(args.out, 'zones'))
    write_tinydns(g, args.domain, os.path.join(args.out, 'tinydns', 'data'))
    rng = random.Random(args.seed + 7)
    write_queries(g, os.path.join(args.out, 'queries.txt'), args.queries, rng)
    dns_app = g['dns_app']
    inst = g['instances']
    sample = [inst[i] for i in sorted(rng.sample(range(len(inst)), min(64, len(inst))))]
    meta = {
        'containers': n,
        'instances_with_ip': len(inst),
        'apps': len(g['apps']),
        'pod_groups': len(g['docs']['coreinfo.json']),
        'nodes': len(g['nodes']),
        'portals': sum(len(v) for v in g['docs']['depends.json'].values()),
        'zones': {z: os.path.relpath(p, args.out) for z, p in zones.items()},
        'reverse_zones': g['rev_zones'],
        'doc_bytes': sizes,
        'bytes_per_container': round(sizes['coreinfo.json'] / n, 1),
        # records the zone file / tinydns data hold (A + PTR per instance, app A per
        # web router, webrouter A, wildcard; without SOA/NS glue)
        'records': 2 * len(inst) + len(WEBROUTERS) * len(g['apps']) + 1,  # apps-1, +webrouter
        'update_targets': [{'name': '%s-%d.%s.lain' % (p, k, dns_app(a)), 'ip': ip}
                           for p, k, a, ip in sample],
        'domain': args.domain,
    }
    with open(os.path.join(args.out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print('%s: %d containers, %d apps, coreinfo %.1f MB (%.0f B/container), records %d'
          % (args.out, n, meta['apps'], sizes['coreinfo.json'] / 1e6,
             meta['bytes_per_container'], meta['records']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
