#!/usr/bin/env python3
"""The generated traffic (mktraffic.py) is sound, and what softflowd exports
from it and `flowsentry decode` reads back is that traffic, conversation by
conversation and direction by direction.

The traffic's addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) live
only in pcap files; every socket of this test is on loopback, and a guard
installed before anything runs refuses any other address.

Usage: test_traffic.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import collections
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mktraffic  # noqa: E402
from fsharness import Tap, Tee, wait_for  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
FS = os.path.join(BUILD, 'tools', 'flowsentry')
TMP = tempfile.mkdtemp(prefix='fs-traffic-')
PCAP = os.path.join(TMP, 'traffic.pcap')
TSHARK = ['tshark', '-n', '-o', 'ip.check_checksum:TRUE',
          '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE']
LOCAL = ipaddress.ip_network(mktraffic.LOCAL_NET)

tap = Tap()


# ---- loopback only ------------------------------------------------------------

SEEN = []


def _loopback(addr):
    host = addr[0] if isinstance(addr, tuple) else addr
    if isinstance(host, str) and host.startswith('/'):
        return                                  # unix socket
    ok = False
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    SEEN.append(host)
    if not ok:
        raise AssertionError('socket address %r is not loopback' % (addr,))


class LoopbackSocket(socket.socket):
    """socket.socket that refuses non-loopback addresses."""

    def bind(self, addr):
        _loopback(addr)
        return super().bind(addr)

    def connect(self, addr):
        _loopback(addr)
        return super().connect(addr)

    def connect_ex(self, addr):
        _loopback(addr)
        return super().connect_ex(addr)

    def sendto(self, data, *args):
        _loopback(args[-1])
        return super().sendto(data, *args)


socket.socket = LoopbackSocket


# ---- helpers ------------------------------------------------------------------

def is_local(a):
    return ipaddress.ip_address(a) in LOCAL


def tshark_rows(fields, *args, two_pass=False):
    cmd = TSHARK + (['-2'] if two_pass else []) + ['-r', PCAP, '-T', 'fields']
    for f in fields:
        cmd += ['-e', f]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return [dict(zip(fields, l.split('\t'))) for l in p.stdout.splitlines()]


def per_direction():
    """packets, IP bytes and bytes after the Ethernet header per
    (src, dst, sport, dport, proto), as tshark reads them from the pcap."""
    rows = tshark_rows(['frame.len', 'eth.type', 'ip.src', 'ip.dst',
                        'ip.proto', 'ip.len', 'tcp.srcport', 'tcp.dstport',
                        'udp.srcport', 'udp.dstport'])
    tot = collections.defaultdict(lambda: [0, 0, 0])
    for r in rows:
        assert r['eth.type'] == '0x0800', r
        sport = r['tcp.srcport'] or r['udp.srcport']
        dport = r['tcp.dstport'] or r['udp.dstport']
        k = (r['ip.src'], r['ip.dst'], int(sport), int(dport),
             int(r['ip.proto']))
        t = tot[k]
        t[0] += 1
        t[1] += int(r['ip.len'])
        t[2] += int(r['frame.len']) - 14
    return dict(tot), len(rows)


def frame_offsets(data):
    """Where each frame of a classic pcap starts."""
    offs, o = [], 24
    while o < len(data):
        caplen = struct.unpack_from('<I', data, o + 8)[0]
        offs.append(o + 16)
        o += 16 + caplen
    return offs


def ensure_pcap():
    if not os.path.exists(PCAP):
        mktraffic.write_pcap(PCAP)
    return mktraffic.generate()


def truth_per_direction(cap):
    want = {}
    for c in cap.conversations:
        for d in (0, 1):
            if c.packets[d]:
                want[c.key(d)] = [c.packets[d], c.bytes[d], c.l2_bytes[d]]
    return want


# ---- the tests ------------------------------------------------------------------

def test_generator():
    """mktraffic.py: deterministic, fast, the scenario it promises"""
    t = time.process_time()
    cap = mktraffic.build(mktraffic.SEED)
    cap.write(PCAP)
    cpu = time.process_time() - t
    assert cpu < 2.0, 'generator took %.2f s of CPU' % cpu
    again = os.path.join(TMP, 'again.pcap')
    truth = os.path.join(TMP, 'truth.json')
    p = subprocess.run([sys.executable, os.path.join(HERE, 'mktraffic.py'),
                        again, '--truth', truth], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert open(again, 'rb').read() == open(PCAP, 'rb').read(), \
        'two runs with the same seed differ'
    other = os.path.join(TMP, 'other.pcap')
    mktraffic.build(7).write(other)
    assert open(other, 'rb').read() != open(PCAP, 'rb').read()
    j = json.load(open(truth))
    assert [tuple(o.values()) for o in j['outbound']] == \
        [tuple(o) for o in mktraffic.expected_outbound()]
    assert j['frames'] == len(cap.frames) > 5000, j['frames']

    convs = mktraffic.conversations()
    kinds = collections.Counter((c.local, c.kind) for c in convs)
    W1, W2, M = mktraffic.WEB1, mktraffic.WEB2, mktraffic.MAIL
    assert kinds == {(W1, 'http'): 36, (W1, 'https'): 24, (W1, 'quic'): 8,
                     (W2, 'https'): 30, (W2, 'irc'): 1, (W2, 'spam'): 35,
                     (W2, 'scan'): 40, (M, 'smtp-in'): 6,
                     (M, 'smtp-out'): 10}, kinds
    web1_clients = {c.initiator for c in convs if c.responder == W1}
    assert len(web1_clients) == 30, len(web1_clients)
    assert {c.initiator for c in convs if c.responder == W2} == \
        set(mktraffic.WEB2_CLIENTS)
    out = collections.defaultdict(set)
    for o in mktraffic.expected_outbound():
        assert o.proto == 6
        out[(o.initiator, o.dport)].add(o.responder)
    assert out == {(M, 25): set(mktraffic.MAIL_MX),
                   (W2, 25): set(mktraffic.SPAM_MX),
                   (W2, 6667): {mktraffic.IRC_SERVER},
                   (W2, 22): set(mktraffic.SCAN_TARGETS)}, dict(out)
    notes = mktraffic.host_notes()
    assert sorted(notes) == sorted([W1, W2, M])
    assert notes[W1]['outbound'] == [] and notes[W1]['expect_alerts'] == []
    every = [a for c in convs for a in (c.initiator, c.responder)]
    for a in every:
        assert any(ipaddress.ip_address(a) in ipaddress.ip_network(n) for n
                   in ('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24',
                       '233.252.0.0/24')), a
    irc = [c for c in convs if c.kind == 'irc'][0]
    assert irc.last - irc.first > 250 * mktraffic.SEC
    span = max(c.last for c in convs) - min(c.first for c in convs)
    assert 240 * mktraffic.SEC < span <= 300 * mktraffic.SEC, span


def test_pcap_well_formed():
    """tshark: no bad IP/TCP/UDP checksum, nothing malformed, no expert
    error; the only warnings are the scan's RSTs and undecryptable QUIC"""
    bad = '(tcp.checksum.status == "Bad" || ip.checksum.status == "Bad" ||' \
        ' udp.checksum.status == "Bad" || _ws.malformed ||' \
        ' _ws.expert.severity >= "Error")'

    def count(path, flt):
        p = subprocess.run(TSHARK + ['-r', path, '-Y', flt],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()

    ensure_pcap()
    rows = count(PCAP, bad)
    assert rows == [], rows[:20]
    # The filter does catch a bad checksum: one bit flipped in the IPv4
    # header checksum of the first frame, and in a TCP checksum.
    data = bytearray(open(PCAP, 'rb').read())
    offs = frame_offsets(data)
    data[offs[0] + 14 + 10] ^= 1
    tcp1 = [o for o in offs[1:] if data[o + 14 + 9] == 6][0]
    data[tcp1 + 14 + 20 + 16] ^= 1
    broken = os.path.join(TMP, 'broken.pcap')
    open(broken, 'wb').write(data)
    assert len(count(broken, bad)) == 2
    # Every frame checked: IPv4 checksums of all, TCP or UDP of all.
    cap = mktraffic.generate()
    n = len(cap.frames)
    assert len(count(PCAP, 'ip.checksum.status == "Good"')) == n
    assert len(count(PCAP, 'tcp.checksum.status == "Good" || '
                           'udp.checksum.status == "Good"')) == n
    p = subprocess.run(TSHARK + ['-r', PCAP, '-q', '-z', 'expert,warn'],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    warns = collections.Counter()
    for line in p.stdout.splitlines():
        f = line.split(None, 3)
        if len(f) == 4 and f[0].isdigit():
            warns[(f[2], f[3])] += int(f[0])
    assert 'Errors' not in p.stdout, p.stdout
    rst = warns.pop(('TCP', 'Connection reset (RST)'), 0)
    assert rst == 12, (rst, p.stdout)       # 4 from web2, 8 from targets
    for (proto, what), k in warns.items():
        assert proto == 'QUIC' and 'ecryption' in what, (proto, what)
    caps = subprocess.run(['capinfos', '-o', '-c', PCAP], capture_output=True,
                          text=True)
    if caps.returncode == 0:
        assert 'Strict time order:   True' in caps.stdout, caps.stdout


def test_conversations_complete():
    """tshark sees every conversation with the packets and bytes of the
    ground truth; every TCP connection but the scan's is complete; the
    outbound connections are those whose SYN a local server sent"""
    cap = ensure_pcap()
    got, frames = per_direction()
    assert frames == len(cap.frames)
    want = truth_per_direction(cap)
    assert got == want, sorted(set(got.items()) ^ set(want.items()))[:10]
    rows = tshark_rows(['tcp.stream', 'tcp.completeness', 'ip.src', 'ip.dst',
                        'tcp.dstport', 'tcp.flags'], '-Y', 'tcp',
                       two_pass=True)
    streams = {}
    syns = set()
    for r in rows:
        streams[int(r['tcp.stream'])] = int(r['tcp.completeness'])
        if int(r['tcp.flags'], 16) & 0x12 == 0x02:
            syns.add((r['ip.src'], r['ip.dst'], 6, int(r['tcp.dstport'])))
    tcp_convs = [c for c in cap.conversations if c.proto == 6]
    assert len(streams) == len(tcp_convs), (len(streams), len(tcp_convs))
    full = collections.Counter(v for v in streams.values())
    scans = sum(1 for c in tcp_convs if c.kind == 'scan')
    # SYN, SYN-ACK, ACK, data, FIN = 31.
    assert full[31] == len(tcp_convs) - scans, full
    derived = sorted(mktraffic.Outbound(*s) for s in syns
                     if is_local(s[0]) and not is_local(s[1]))
    assert derived == mktraffic.expected_outbound(), \
        set(derived) ^ set(mktraffic.expected_outbound())
    inbound = {s for s in syns if not is_local(s[0])}
    assert {s[3] for s in inbound} == {25, 80, 443}, inbound


def softflowd_v9(workdir):
    """softflowd -v 9 on the capture, its exports kept by the Tee relay of
    test_daemon.py; returns the path of the pcap of exports."""
    ensure_pcap()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(('127.0.0.1', 0))
    tee = Tee(sink.getsockname()[1])
    try:
        target = '127.0.0.1:%d' % tee.port
        _loopback(target.rsplit(':', 1)[0])
        subprocess.run(['softflowd', '-r', PCAP, '-v', '9', '-n', target,
                        '-p', os.path.join(workdir, 'sf.pid'), '-c', 'none'],
                       check=True, capture_output=True, timeout=60)
        wait_for(lambda: tee.kept and time.time() - tee.kept[-1][0] > 0.5,
                 what='softflowd exports')
    finally:
        tee.close()
    sink.setblocking(False)
    relayed = 0
    try:
        while sink.recv(65535):
            relayed += 1
    except BlockingIOError:
        pass
    sink.close()
    assert relayed == len(tee.kept), (relayed, len(tee.kept))
    out = os.path.join(workdir, 'exports-v9.pcap')
    tee.write_pcap(out)
    return out


def test_softflowd_v9_decoded():
    """softflowd -v 9 -> flowsentry decode: one record per conversation
    direction, packets and bytes equal to the capture's (softflowd counts
    from the IP header on, Ethernet padding included), both directions
    where there are two, one clock for all"""
    exports = softflowd_v9(TMP)
    p = subprocess.run([FS, 'decode', exports], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    assert {r['type'] for r in recs} == {'netflow9'}
    assert {r['sampling'] for r in recs} == {1}
    cap = mktraffic.generate()
    got = collections.defaultdict(lambda: [0, 0])
    for r in recs:
        k = (r['src'], r['dst'], r['sport'], r['dport'], r['proto'])
        got[k][0] += r['packets']
        got[k][1] += r['bytes']
    want = {k: [v[0], v[2]] for k, v in truth_per_direction(cap).items()}
    assert dict(got) == want, sorted(
        (k, got.get(k), want.get(k)) for k in set(got) | set(want)
        if got.get(k) != want.get(k))[:10]
    assert len(recs) == len(want), (len(recs), len(want))
    # IP bytes and what softflowd counts differ by the padding only.
    pad = sum(c.l2_bytes[d] - c.bytes[d] for c in cap.conversations
              for d in (0, 1))
    assert sum(r['bytes'] for r in recs) == \
        sum(sum(c.bytes) for c in cap.conversations) + pad and pad > 0
    # Every conversation, in both directions when it has both.
    by = {}
    for r in recs:
        by[(r['src'], r['dst'], r['sport'], r['dport'], r['proto'])] = r
    for c in cap.conversations:
        for d in (0, 1):
            assert (c.key(d) in by) == (c.packets[d] > 0), (c.as_dict(), d)
        if c.proto == 6:
            assert by[c.key(0)]['tcp_flags'] & 0x02, c.as_dict()
            if c.kind != 'scan':
                assert by[c.key(0)]['tcp_flags'] & 0x01
                assert by[c.key(1)]['tcp_flags'] & 0x13 == 0x13
    for o in mktraffic.expected_outbound():
        assert any(k[0] == o.initiator and k[1] == o.responder and
                   k[3] == o.dport and k[4] == o.proto for k in by), o
    # softflowd keeps one start and end per (two-way) conversation and
    # exports them against its own clock: one offset for all records.
    offs = []
    for c in cap.conversations:
        for d in (0, 1):
            if c.packets[d]:
                r = by[c.key(d)]
                offs.append(r['first'] - (mktraffic.T0 * 10**6 + c.first)
                            / 1000)
                offs.append(r['last'] - (mktraffic.T0 * 10**6 + c.last)
                            / 1000)
    assert max(offs) - min(offs) <= 1.5, (min(offs), max(offs))


def test_sockets_loopback_only():
    """every socket address used was loopback; others are refused"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    s.close()
    assert SEEN and all(ipaddress.ip_address(a).is_loopback for a in SEEN)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        try:
            s.sendto(b'x', (mktraffic.WEB1, 9))
        except AssertionError:
            pass
        else:
            raise AssertionError('non-loopback sendto was not refused')
    finally:
        s.close()


try:
    for t in (test_generator, test_pcap_well_formed,
              test_conversations_complete, test_softflowd_v9_decoded,
              test_sockets_loopback_only):
        if any(x in t.__name__
               for x in os.environ.get('FS_ONLY', '').split(',')):
            tap.case(t)
finally:
    if not tap.failed:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print('# kept ' + TMP, flush=True)
tap.done()
