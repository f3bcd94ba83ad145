#!/usr/bin/env python3
"""tools/flowgen sends what it says: for each protocol the datagrams that
reach a loopback socket are well-formed for tshark (nothing malformed, no
warning or error), carry exactly the records flowgen counted (templates
first and again every -T datagrams for v9 and IPFIX), are the same for the
same seed, and `flowsentry decode` reads every record back without an
error.  With -u no datagram comes round again.  The bare receiver (-l)
counts what it is sent.

Every socket of this test is on loopback.

Usage: test_flowgen.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fsharness import Tap, wait_for, write_udp_pcap  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
FLOWGEN = os.path.join(BUILD, 'tools', 'flowgen')
FS = os.path.join(BUILD, 'tools', 'flowsentry')
TMP = tempfile.mkdtemp(prefix='fs-flowgen-')
TSHARK = ['tshark', '-n', '-o', 'ip.check_checksum:TRUE',
          '-o', 'udp.check_checksum:TRUE']
COUNT = 5000
PER_DGRAM = {'v5': 30, 'v9': 30, 'ipfix': 20, 'sflow': 7}
DISSECTOR = {'v5': 'cflow', 'v9': 'cflow', 'ipfix': 'cflow',
             'sflow': 'sflow'}

tap = Tap()


class Sink:
    """A loopback UDP socket that keeps every datagram (and its source)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.kept, self.stop_ = [], False
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop_:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.kept.append((time.time(), src, data))

    def close(self):
        self.stop_ = True
        self.t.join()
        self.sock.close()

    def write_pcap(self, path):
        """The datagrams as they arrived, with their sources."""
        write_udp_pcap(path, [(ts, src, ('127.0.0.1', self.port), data)
                              for ts, src, data in self.kept])


def flowgen(*args):
    p = subprocess.run([FLOWGEN] + list(args), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def send(proto, seed=1, extra=()):
    """flowgen -> Sink; returns (summary, pcap path, datagrams)."""
    sink = Sink()
    try:
        # A modest rate: the sink is a Python thread.
        out = flowgen('-p', proto, '-n', str(COUNT), '-r', '50000',
                      '-s', str(seed), '-T', '20', *extra,
                      '127.0.0.1:%d' % sink.port)
        wait_for(lambda: len(sink.kept) >= out['datagrams'], 20,
                 'the datagrams flowgen sent')
    finally:
        sink.close()
    path = os.path.join(TMP, '%s-%d.pcap' % (proto, seed))
    sink.write_pcap(path)
    return out, path, [d for _, _, d in sink.kept]


def tshark(path, proto, *args):
    p = subprocess.run(TSHARK + ['-r', path, '-d', 'udp.port==%d,%s' % (
        port_of(path), DISSECTOR[proto])] + list(args),
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def port_of(path):
    import struct
    data = open(path, 'rb').read()
    return struct.unpack_from('>H', data, 24 + 16 + 14 + 20 + 2)[0]


def fields(path, proto, field):
    """Every value of a field (tshark joins repeats with commas)."""
    vals = []
    for line in tshark(path, proto, '-T', 'fields', '-e', field):
        vals += [v for v in line.split(',') if v]
    return vals


def check(proto):
    out, path, dgrams = send(proto)
    assert out['records'] == COUNT, out
    assert out['send_errors'] == 0, out
    assert len(dgrams) == out['datagrams'], (len(dgrams), out)
    assert sum(len(d) for d in dgrams) == out['bytes']
    data = out['datagrams'] - out['templates']
    assert data == -(-COUNT // PER_DGRAM[proto]), out
    # Nothing malformed, no warning or error (notes, e.g. TCP analysis
    # of the sampled sFlow headers, are not faults).
    bad = tshark(path, proto, '-Y', '_ws.malformed || '
                 '_ws.expert.severity >= "Warning" || '
                 'ip.checksum.status == "Bad"')
    assert bad == [], bad[:10]
    n = len(tshark(path, proto, '-T', 'fields', '-e', 'frame.number'))
    assert n == out['datagrams']
    # The records tshark finds are the records flowgen counted.
    if proto == 'sflow':
        recs = fields(path, proto, 'sflow.flow_sample.sequence_number')
        assert len(fields(path, proto, 'sflow_245.header_protocol')) == COUNT
        assert recs == [str(i) for i in range(1, COUNT + 1)], recs[:5]
        pk = COUNT
    else:
        recs = fields(path, proto, 'cflow.srcaddr')
        pk = sum(int(x) for x in fields(path, proto, 'cflow.packets'))
        if proto != 'v5':
            tmpl = fields(path, proto, 'cflow.template_id')
            # The data records name template 256 too; the template
            # records are those with a field count.
            defs = fields(path, proto, 'cflow.template_field_count')
            assert len(defs) == out['templates'] >= 2, (defs, out)
            assert tmpl and set(tmpl) == {'256'}, set(tmpl)
            first = tshark(path, proto, '-c', '1', '-T', 'fields', '-e',
                           'cflow.template_field_count')
            assert first[0].strip() == '18', first
    assert len(recs) == COUNT, (len(recs), COUNT)
    assert pk == out['packets'], (pk, out['packets'])
    # flowsentry decode: every record, no error counter.
    p = subprocess.run([FS, 'decode', '--stats', path], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    got = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(got) == COUNT, len(got)
    typ = {'v5': 'netflow5', 'v9': 'netflow9', 'ipfix': 'ipfix',
           'sflow': 'sflow5'}[proto]
    assert {r['type'] for r in got} == {typ}
    if proto != 'sflow':
        assert sum(r['packets'] for r in got) == out['packets']
    for r in got:
        assert r['src'].startswith(('10.', '198.18.', '198.19.')), r
    stats = dict(l.rsplit(None, 1) for l in p.stderr.splitlines()
                 if len(l.split()) == 2)
    errs = {k: v for k, v in stats.items() if v != '0' and (
        'err' in k or 'bad' in k or 'missing' in k or 'unknown' in k or
        'short' in k or 'trunc' in k or 'mismatch' in k)}
    assert not errs, errs
    return out, dgrams


def test_v5():
    """NetFlow v5: well-formed, exactly COUNT records, decoded back"""
    check('v5')


def test_v9():
    """NetFlow v9: template first and re-sent, exactly COUNT records"""
    check('v9')


def test_ipfix():
    """IPFIX: template first and re-sent, exactly COUNT records"""
    check('ipfix')


def test_sflow():
    """sFlow v5: raw-header flow samples, sequence numbers 1..COUNT"""
    check('sflow')


def test_seed():
    """the same seed sends the same records; another seed others"""
    a = send('v5', seed=3)[2]
    b = send('v5', seed=3)[2]
    c = send('v5', seed=4)[2]
    # Header bytes 4..15 carry times; the records must agree.
    assert [d[24:] for d in a] == [d[24:] for d in b]
    assert [d[24:] for d in a] != [d[24:] for d in c]


def test_hosts_peers():
    """-H and -R bound the local hosts and remote peers"""
    _, path, _ = send('v9', extra=('-H', '7', '-R', '11'))
    p = subprocess.run([FS, 'decode', path], capture_output=True,
                       text=True, timeout=60)
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    ends = {r['src'] for r in recs} | {r['dst'] for r in recs}
    local = {a for a in ends if a.startswith('10.')}
    remote = ends - local
    assert len(local) == 7 and len(remote) == 11, (local, remote)


def pcap_datagrams(path):
    """The UDP payloads of a pcap that flowgen -w wrote."""
    import struct
    data, off, out = open(path, 'rb').read(), 24, []
    while off < len(data):
        n = struct.unpack_from('<IIII', data, off)[2]
        out.append(data[off + 16 + 42:off + 16 + n])
        off += 16 + n
    return out


def test_unique():
    """-u: the ring (4096 datagrams) does not repeat; same start, same seed"""
    n = str((4096 + 8) * PER_DGRAM['v5'])
    runs = {}
    for u in ('', '-u', '-u'):
        path = os.path.join(TMP, 'unique%s-%d.pcap' % (u, len(runs)))
        out = flowgen('-p', 'v5', '-n', n, '-H', '16000000', '-R', '4000000',
                      '-w', path, *([u] if u else []), '127.0.0.1:9')
        assert out['records'] == int(n), out
        runs[len(runs)] = [d[24:] for d in pcap_datagrams(path)]
    ring, u1, u2 = runs[0], runs[1], runs[2]
    assert len(ring) == len(u1) == 4104, len(ring)
    assert ring[4096:] == ring[:8]          # the ring comes round again
    assert u1[:4096] == ring[:4096]         # -u starts as the ring does
    assert all(u1[k] != u1[k - 4096] for k in range(4096, 4104))
    assert u1 == u2                         # and depends on the seed only


def test_receiver():
    """flowgen -l counts every datagram sent to it"""
    port = Sink()
    p = port.port
    port.close()
    rx = subprocess.Popen([FLOWGEN, '-l', '127.0.0.1:%d' % p, '-i', '1',
                           '-t', '30'], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _bound(p), 10,
                 'flowgen -l')
        out = flowgen('-p', 'sflow', '-n', '7000', '-r', '100000',
                      '127.0.0.1:%d' % p)
        so, _ = rx.communicate(timeout=30)
    finally:
        if rx.poll() is None:
            rx.kill()
            rx.wait()
    got = json.loads(so.strip().splitlines()[-1])
    assert got['datagrams'] == out['datagrams'] == 1000, (got, out)
    assert got['bytes'] == out['bytes']


def _bound(port):
    for f in ('/proc/net/udp',):
        for line in open(f).read().splitlines()[1:]:
            if int(line.split()[1].rsplit(':', 1)[1], 16) == port:
                return True
    return False


def test_loopback_only():
    """flowgen refuses a destination that is not loopback"""
    for dst in ('192.0.2.1:2055', '[2001:db8::1]:2055'):
        p = subprocess.run([FLOWGEN, '-n', '1', dst], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode != 0 and 'loopback' in p.stderr, p.stderr


try:
    if not shutil.which('tshark'):
        print('1..0 # SKIP tshark not installed')
        sys.exit(0)
    for t in (test_v5, test_v9, test_ipfix, test_sflow, test_seed,
              test_hosts_peers, test_unique, test_receiver,
              test_loopback_only):
        if any(x in t.__name__
               for x in os.environ.get('FS_ONLY', '').split(',')):
            tap.case(t)
finally:
    shutil.rmtree(TMP, ignore_errors=True)
tap.done()
