#!/usr/bin/env python3
"""Integration tests of enrichment and aggregation in Redis: a real
redis-server on a unix socket, the real daemon on loopback, replays of
generated exports, and the ground truth of the traffic they came from.

Usage: test_redis.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import ipaddress
import json
import os
import pwd
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import (Daemon, Redis, Tap, free_tcp_port, free_udp_port,
                       metric, metrics, send_udp, wait_for)
from v9gen import v9, v9_data_to, v9_template

BUILD, SRC = sys.argv[1], os.path.abspath(sys.argv[2])
FSD = os.path.join(BUILD, 'flowsentryd')
FS = os.path.join(BUILD, 'tools', 'flowsentry')
GEN = os.path.join(SRC, 'tests', 'golden', 'corpus', 'generated')
TRAFFIC = os.path.join(GEN, 'input-traffic-mix.pcap')
GEOIP = os.path.join(SRC, 'tests', 'data', 'geoip')
CLIENTS = ['192.168.0.0/16', '2a00:d40:1:3::/64']

tap = Tap()


def conf(port, mport, state, redis_url, local, extra=''):
    return """[collector]
listen    = 127.0.0.1:%d
metrics   = 127.0.0.1:%d
state_dir = %s
user      = %s
[network]
local = %s
[redis]
url = %s
flush_interval = 1
%s
""" % (port, mport, state, pwd.getpwuid(os.geteuid()).pw_name,
       ' '.join(local), redis_url, extra)


def run(redis, local, extra=''):
    port, mport = free_udp_port(), free_tcp_port()
    state = tempfile.mkdtemp(prefix='fs-state-')
    d = Daemon(FSD, conf(port, mport, state, redis.url, local, extra))
    d.start(wait_metrics=mport)
    wait_for(lambda: metric(metrics(mport), 'flowsentry_redis_up') == 1,
             what='daemon connected to redis')
    return d, port, mport


def decoded(cap):
    out = subprocess.run([FS, 'decode', cap], capture_output=True, text=True,
                         check=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def replay(cap, port):
    subprocess.run([FS, 'replay', '--rate', '20000', cap,
                    '127.0.0.1:%d' % port], check=True, capture_output=True)


def settled(mport, records):
    """Every record decoded and every aggregate written and acknowledged."""
    def ok():
        p = metrics(mport)
        return (metric(p, 'flowsentry_decode_records_total') == records and
                metric(p, 'flowsentry_agg_hosts') == 0 and
                metric(p, 'flowsentry_agg_services') == 0 and
                metric(p, 'flowsentry_redis_pending') == 0)
    wait_for(ok, timeout=30, what='aggregates flushed to redis')


def hosts(redis, conf_path, host=None):
    args = [FS, 'hosts', '--json', '--since', '4000d', '--redis', redis.url,
            '-f', conf_path]
    if host:
        args.append(host)
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def expected_totals(recs, local):
    nets = [ipaddress.ip_network(n) for n in local]

    def is_local(a):
        ip = ipaddress.ip_address(a)
        return any(ip.version == n.version and ip in n for n in nets)
    tot = {}

    def add(h, d, r):
        rate = r.get('sampling') or 1
        t = tot.setdefault(h, {'bytes_in': 0, 'bytes_out': 0, 'pkts_in': 0,
                               'pkts_out': 0, 'flows_in': 0, 'flows_out': 0})
        t['bytes_' + d] += r.get('bytes', 0) * rate
        t['pkts_' + d] += r.get('packets', 1) * rate
        t['flows_' + d] += 1
    for r in recs:
        if 'src' not in r or 'dst' not in r:
            continue
        sl, dl = is_local(r['src']), is_local(r['dst'])
        if sl:
            add(r['src'], 'out', r)
        if dl:
            add(r['dst'], 'in', r)
    return tot


def ground_truth_openers():
    """The ground truth of the traffic the exports were made from:
    (opener, proto, service port) for every conversation whose opening the
    capture holds (TCP: SYN without ACK; UDP: the first packet of the
    conversation), and the host pairs of those conversations.  TCP
    conversations already open when the capture started have no SYN in it:
    their opener is unknown and they are in neither set."""
    out = subprocess.run(
        ['tshark', '-r', TRAFFIC, '-T', 'fields', '-E', 'separator=\t',
         '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
         '-e', 'ip.proto', '-e', 'ipv6.nxt', '-e', 'tcp.srcport',
         '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport',
         '-e', 'tcp.flags.syn', '-e', 'tcp.flags.ack'],
        capture_output=True, text=True, check=True).stdout
    openers, known, seen = set(), set(), set()
    for line in out.splitlines():
        f = (line.split('\t') + [''] * 12)[:12]
        src, dst = f[0] or f[1], f[2] or f[3]
        proto = (f[4] or f[5]).split(',')[0]
        if not src or not dst or not proto:
            continue
        src, dst = src.split(',')[0], dst.split(',')[0]
        if proto == '6':
            if f[10] == '1' and f[11] == '0':
                openers.add((src, 6, int(f[7])))
                known.add((frozenset((src, dst)), 6))
        elif proto == '17' and f[8]:
            sp, dp = int(f[8].split(',')[0]), int(f[9].split(',')[0])
            conv = frozenset([(src, sp), (dst, dp)])
            if conv not in seen:
                seen.add(conv)
                openers.add((src, 17, dp))
                known.add((frozenset((src, dst)), 17))
    return openers, known


def check_services_are_openers(redis, conf_path, names, truth):
    """Every outbound service whose conversations the ground truth knows
    must have been opened by its host on that port.  Returns how many
    services were checked against the truth."""
    openers, known = truth
    bad, n = [], 0
    for h in names:
        for s in hosts(redis, conf_path, h).get('services', []):
            proto, port = s['service'].split('|')[0].split('/')
            pnum = {'tcp': 6, 'udp': 17}.get(proto)
            if pnum is None:
                continue
            if (h, pnum, int(port)) in openers:
                n += 1
            elif (frozenset((h, s['example'])), pnum) in known:
                bad.append('%s %s (example %s)' % (h, s['service'],
                                                   s['example']))
    assert not bad, 'outbound services nobody opened:\n' + '\n'.join(bad)
    return n


# ---- the tests ------------------------------------------------------------

def test_totals_equal_decoded():
    """per-host totals in Redis equal the decoded, renormalised records"""
    redis = Redis().start()
    try:
        for cap in ('gen-softflowd-v9.pcap', 'gen-softflowd-v9-sampled10.pcap',
                    'gen-pmacctd-sfprobe.pcap'):
            redis.cli('FLUSHALL')
            d, port, mport = run(redis, CLIENTS)
            try:
                path = os.path.join(GEN, cap)
                recs = decoded(path)
                replay(path, port)
                settled(mport, len(recs))
                want = expected_totals(recs, CLIENTS)
                got = {h['host']: h for h in hosts(redis, d.conf)}
                assert set(got) == set(want), (cap, set(got) ^ set(want))
                for h, t in want.items():
                    for k, v in t.items():
                        assert got[h][k] == v, (cap, h, k, got[h][k], v)
            finally:
                assert d.stop() == 0
    finally:
        redis.stop()


def test_no_outbound_from_replies():
    """on the generated traffic, every outbound service was really opened by
    its host, and servers answering clients get none"""
    truth = ground_truth_openers()
    assert len(truth[0]) > 20, truth[0]
    redis = Redis().start()
    try:
        # Clients local: their connections are outbound.
        d, port, mport = run(redis, CLIENTS)
        try:
            path = os.path.join(GEN, 'gen-softflowd-v9.pcap')
            recs = decoded(path)
            replay(path, port)
            settled(mport, len(recs))
            names = [h['host'] for h in hosts(redis, d.conf)]
            n = check_services_are_openers(redis, d.conf, names, truth)
            assert n >= 10, 'only %d outbound services checked' % n
        finally:
            assert d.stop() == 0
        # The servers local: they only answered, so no outbound service.
        redis.cli('FLUSHALL')
        servers = sorted(server_addresses(recs, truth))
        assert len(servers) >= 5, servers
        d, port, mport = run(redis, ['%s/%d' % (s, 128 if ':' in s else 32)
                                     for s in servers])
        try:
            replay(path, port)
            settled(mport, len(recs))
            names = [h['host'] for h in hosts(redis, d.conf)]
            assert set(names) <= set(servers), names
            assert len(names) >= 5, names
            for h in names:
                svcs = hosts(redis, d.conf, h).get('services', [])
                assert not svcs, (h, svcs)
        finally:
            assert d.stop() == 0
    finally:
        redis.stop()


def server_addresses(recs, truth):
    """Public addresses that clients opened TCP connections to."""
    opened = {(h, port) for h, p, port in truth[0] if p == 6}
    out = set()
    for r in recs:
        if r.get('proto') == 6 and (r.get('src'), r.get('dport')) in opened:
            ip = ipaddress.ip_address(r['dst'])
            if ip.is_global:
                out.add(r['dst'])
    return out


def test_redis_restart():
    """Redis killed mid-replay: the daemon stays up, keeps the aggregates and
    writes them when Redis is back"""
    redis = Redis().start()
    try:
        d, port, mport = run(redis, CLIENTS)
        try:
            a = os.path.join(GEN, 'gen-softflowd-v5.pcap')
            b = os.path.join(GEN, 'gen-softflowd-ipfix.pcap')
            ra, rb = decoded(a), decoded(b)
            replay(a, port)
            settled(mport, len(ra))
            redis.kill()
            wait_for(lambda: metric(metrics(mport),
                                    'flowsentry_redis_up') == 0,
                     what='daemon noticing redis is gone')
            replay(b, port)
            wait_for(lambda: metric(metrics(mport),
                                    'flowsentry_decode_records_total') ==
                     len(ra) + len(rb), what='records while redis is down')
            wait_for(lambda: metric(metrics(mport),
                                    'flowsentry_redis_flushes_deferred_total')
                     >= 1, what='a deferred flush')
            assert metric(metrics(mport), 'flowsentry_agg_hosts') > 0
            redis.start()               # empty: no persistence
            settled(mport, len(ra) + len(rb))
            page = metrics(mport)
            assert metric(page, 'flowsentry_redis_disconnects_total') >= 1
            assert metric(page, 'flowsentry_redis_lost_total') is not None
            want = expected_totals(rb, CLIENTS)
            got = {h['host']: h for h in hosts(redis, d.conf)}
            assert set(got) == set(want), set(got) ^ set(want)
            for h, t in want.items():
                for k, v in t.items():
                    assert got[h][k] == v, (h, k, got[h][k], v)
        finally:
            assert d.stop() == 0
    finally:
        redis.stop()


def mmdb(db, ip, *path):
    out = subprocess.run(['mmdblookup', '--file', os.path.join(GEOIP, db),
                          '--ip', ip] + list(path), capture_output=True,
                         text=True).stdout
    for tok in out.split():
        tok = tok.strip('"')
        if tok.isdigit() or (len(tok) == 2 and tok.isupper()):
            return tok
    return None


def test_geo_and_as():
    """country and AS of outbound services match mmdblookup"""
    redis = Redis().start()
    extra = '[geoip]\ncountry = %s\nasn = %s\n' % (
        os.path.join(GEOIP, 'GeoLite2-Country-Test.mmdb'),
        os.path.join(GEOIP, 'GeoLite2-ASN-Test.mmdb'))
    try:
        d, port, mport = run(redis, ['192.0.2.0/24'], extra)
        try:
            dests = [('81.2.69.160', 443), ('1.128.0.1', 25),
                     ('89.160.20.112', 6667), ('12.81.92.1', 22)]
            send_udp(port, [v9([v9_template(), v9_data_to('192.0.2.10',
                                                           dests)])])
            settled(mport, len(dests))
            svcs = hosts(redis, d.conf, '192.0.2.10')['services']
            assert len(svcs) == len(dests), svcs
            for ip, dport in dests:
                s = [x for x in svcs if x['example'] == ip]
                assert len(s) == 1, (ip, svcs)
                key = s[0]['service'].split('|')
                assert key[0] == 'tcp/%d' % dport, key
                cc = mmdb('GeoLite2-Country-Test.mmdb', ip, 'country',
                          'iso_code')
                asn = mmdb('GeoLite2-ASN-Test.mmdb', ip,
                           'autonomous_system_number')
                assert key[3] == (cc or '-'), (ip, key, cc)
                assert key[2] == 'AS%s' % (asn or 0), (ip, key, asn)
            assert any(x['as_org'] == 'Telstra Pty Ltd' for x in svcs), svcs
        finally:
            assert d.stop() == 0
    finally:
        redis.stop()
    # A corrupt database is a start-up error naming it.
    tmp = tempfile.mkdtemp(prefix='fs-geo-')
    c = os.path.join(tmp, 'c.conf')
    bad = os.path.join(GEOIP, 'bad-libmaxminddb-offset-integer-overflow.mmdb')
    with open(c, 'w') as f:
        f.write('[collector]\nlisten = 127.0.0.1:2055\n[geoip]\nasn = %s\n'
                % bad)
    p = subprocess.run([FSD, '-n', '-f', c], capture_output=True, text=True)
    assert p.returncode == 1 and bad in p.stderr, p.stderr


def test_many_peers():
    """a host with 3000 distinct peers in one flush: all of them reach its
    HyperLogLog (not only the 32 a host entry holds), none counted lost"""
    redis = Redis().start()
    try:
        d, port, mport = run(redis, ['192.0.2.0/24'],
                             extra='bucket = 1h')
        try:
            peers = [('198.18.%d.%d' % (i // 250, i % 250 + 1), 443)
                     for i in range(3000)]
            pkts = [v9([v9_template()] + [v9_data_to('192.0.2.10',
                                                     peers[i:i + 25])],
                       seq=i // 25) for i in range(0, 3000, 25)]
            send_udp(port, pkts)
            settled(mport, 3000)
            h = hosts(redis, d.conf, '192.0.2.10')
            assert abs(h['peers'] - 3000) <= 60, h   # HLL: ~0.81 % error
            assert h['peers_lost'] == 0, h
            assert h['flows_out'] == 3000, h
        finally:
            assert d.stop() == 0
    finally:
        redis.stop()


for t in (test_totals_equal_decoded, test_no_outbound_from_replies,
          test_redis_restart, test_geo_and_as, test_many_peers):
    if any(x in t.__name__ for x in
           os.environ.get('FS_ONLY', '').split(',')):
        tap.case(t)
tap.done()
