#!/usr/bin/env python3
"""fuzz/mkseeds.py - build the seed corpora fuzz/corpus/TARGET/ from the
captures in tests/golden/corpus/ (licensed for this repository; see its
MANIFEST.tsv).  Plain pcap/pcapng parsing, no tshark needed.

    python3 fuzz/mkseeds.py            # rewrite fuzz/corpus/
    python3 fuzz/mkseeds.py --check    # exit 1 if fuzz/corpus/ would change

Seeds per target (all small; the whole corpus stays well under 1 MB):
  nf5, sflow   single datagrams, a few per capture;
  nf9, ipfix   per capture and exporter, the first datagram, and all of its
               sets merged behind one header (templates then data), so one
               input carries both the templates and the data they describe;
  stateful     per capture, its first datagrams in fuzz_stateful's format
               (2-byte big-endian length, datagram; up to 8 KiB), plus one mixing all
               four protocols with a clock jump and an expiry;
  pkthdr       frames of the raw traffic capture, cut to 128 bytes as an
               sFlow agent would, behind a 4-byte link type, also as bare
               IPv4/IPv6, MPLS and PPP;
  cfg          the example config and hand-written ones using every section.
The file names say where each seed came from.  Re-running is deterministic.
"""
import argparse
import hashlib
import os
import shutil
import struct
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPS = os.path.join(TOP, 'tests', 'golden', 'corpus')
OUT = os.path.join(TOP, 'fuzz', 'corpus')

MAX_SEED = 8192          # bytes per seed (stateful: MAX_STATEFUL)
MAX_STATEFUL = 8192
PER_CAPTURE = 3          # single datagrams kept per capture and protocol


# ---- capture reading ------------------------------------------------------

def read_pcap(path):
    """Yield (linktype, frame bytes) from a pcap or pcapng file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    elif magic == b'\x0a\x0d\x0d\x0a':
        yield from read_pcapng(data)
        return
    else:
        raise ValueError('%s: not a capture' % path)
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        off += 16
        yield linktype, data[off:off + caplen]
        off += caplen


def read_pcapng(data):
    e = '<'
    links = []
    off = 0
    while off + 12 <= len(data):
        btype = struct.unpack(e + 'I', data[off:off + 4])[0]
        if btype == 0x0a0d0d0a:
            bom = data[off + 8:off + 12]
            e = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
            links = []
        blen = struct.unpack(e + 'I', data[off + 4:off + 8])[0]
        body = data[off + 8:off + blen - 4]
        if btype == 1:                      # interface description
            links.append(struct.unpack(e + 'H', body[:2])[0])
        elif btype == 6:                    # enhanced packet
            ifc, _, _, caplen, _ = struct.unpack(e + 'IIIII', body[:20])
            yield links[ifc], body[20:20 + caplen]
        elif btype == 3:                    # simple packet
            caplen = struct.unpack(e + 'I', body[:4])[0]
            yield links[0], body[4:4 + caplen]
        off += blen


def l3_of(linktype, frame):
    """(ethertype-ish, bytes from the IP header) or (None, None)."""
    if linktype == 1:                       # Ethernet
        if len(frame) < 14:
            return None, None
        et = struct.unpack('>H', frame[12:14])[0]
        off = 14
        while et in (0x8100, 0x88a8) and len(frame) >= off + 4:
            et = struct.unpack('>H', frame[off + 2:off + 4])[0]
            off += 4
        return et, frame[off:]
    if linktype == 113:                     # Linux cooked
        return struct.unpack('>H', frame[14:16])[0], frame[16:]
    if linktype in (0, 108):                # BSD loopback
        fam = struct.unpack('<I' if linktype == 0 else '>I', frame[:4])[0]
        return (0x0800 if fam == 2 else 0x86dd), frame[4:]
    if linktype in (101, 12, 14, 228, 229):  # raw IP
        return (0x0800 if frame[:1] and frame[0] >> 4 == 4 else 0x86dd), frame
    return None, None


def udp_of(linktype, frame):
    """(src address bytes, UDP payload) of a UDP datagram, else None."""
    et, ip = l3_of(linktype, frame)
    if et == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        if ip[9] != 17 or struct.unpack('>H', ip[6:8])[0] & 0x3fff:
            return None
        src, l4 = ip[12:16], ip[ihl:tot]
    elif et == 0x86dd and len(ip) >= 40 and ip[0] >> 4 == 6:
        if ip[6] != 17:
            return None
        plen = struct.unpack('>H', ip[4:6])[0]
        src, l4 = ip[8:24], ip[40:40 + plen]
    else:
        return None
    if len(l4) < 8:
        return None
    ulen = struct.unpack('>H', l4[4:6])[0]
    return src, l4[8:ulen] if ulen >= 8 else l4[8:]


def proto_of(p):
    if len(p) < 4:
        return None
    if struct.unpack('>I', p[:4])[0] == 5:
        return 'sflow'
    return {5: 'nf5', 9: 'nf9', 10: 'ipfix'}.get(struct.unpack('>H', p[:2])[0])


def captures():
    """(relative name, [(src, payload)]) of every capture, sorted."""
    out = []
    for d in sorted(os.listdir(CAPS)):
        sub = os.path.join(CAPS, d)
        if not os.path.isdir(sub):
            continue
        for f in sorted(os.listdir(sub)):
            if not f.endswith('.pcap') or f == 'input-traffic-mix.pcap':
                continue
            dgrams = []
            for lt, frame in read_pcap(os.path.join(sub, f)):
                u = udp_of(lt, frame)
                if u and u[1]:
                    dgrams.append(u)
            out.append((f[:-5], dgrams))
    return out


# ---- merging v9 / IPFIX datagrams -----------------------------------------

def merge(proto, dgrams):
    """One message: the first header, then the sets of all, up to MAX_SEED."""
    hlen = 20 if proto == 'nf9' else 16
    first = dgrams[0]
    body = b''
    for d in dgrams:
        end = len(d)
        if proto == 'ipfix':
            end = min(end, struct.unpack('>H', d[2:4])[0])
        sets = d[hlen:end]
        if hlen + len(body) + len(sets) > MAX_SEED:
            break
        body += sets
    msg = bytearray(first[:hlen] + body)
    if proto == 'ipfix':
        struct.pack_into('>H', msg, 2, len(msg))
    return bytes(msg)


def domain_of(proto, d):
    if proto == 'nf9':
        return d[16:20]
    return d[12:16]


# ---- seeds per target -----------------------------------------------------

class Seeds:
    def __init__(self):
        self.files = {}         # (target, name) -> bytes
        self.hashes = set()

    def add(self, target, name, data):
        h = hashlib.sha1(target.encode() + data).hexdigest()
        if h in self.hashes or not data:
            return
        self.hashes.add(h)
        self.files[(target, name)] = data


def datagram_seeds(seeds, caps):
    for name, dgrams in caps:
        by_proto = {}
        for src, p in dgrams:
            pr = proto_of(p)
            if pr:
                by_proto.setdefault(pr, []).append((src, p))
        for pr, lst in sorted(by_proto.items()):
            small = [(s, p) for s, p in lst if len(p) <= MAX_SEED]
            if pr in ('nf5', 'sflow'):
                for i, (_, p) in enumerate(small[:PER_CAPTURE]):
                    seeds.add(pr, '%s-%02d' % (name, i), p)
                continue
            # nf9, ipfix: per (exporter, domain) the first datagram and the
            # merged message.
            groups = {}
            for s, p in small:
                groups.setdefault((s, domain_of(pr, p)), []).append(p)
            for gi, (_, ps) in enumerate(sorted(groups.items())):
                tag = '%s-%d' % (name, gi) if len(groups) > 1 else name
                seeds.add(pr, tag + '-first', ps[0])
                if len(ps) > 1:
                    seeds.add(pr, tag + '-merged', merge(pr, ps))


def chunk(p):
    return struct.pack('>H', len(p)) + p


def stateful_seeds(seeds, caps):
    firsts = {}
    for name, dgrams in caps:
        out = b''
        for _, p in dgrams:
            if len(out) + 2 + len(p) > MAX_STATEFUL or len(p) > 0xffff:
                break
            out += chunk(p)
        seeds.add('stateful', name, out)
        for _, p in dgrams[:1]:
            pr = proto_of(p)
            if pr and pr not in firsts and len(p) <= 2048:
                firsts[pr] = p
    # All four protocols, a clock jump forward (+127 * 10 s), an expiry
    # (empty chunk), a jump back, and the first datagram again.
    mix = b''
    for pr in ('nf9', 'ipfix', 'sflow', 'nf5'):
        if pr in firsts:
            mix += chunk(firsts[pr])
    mix += chunk(b'\x7f') + chunk(b'\x7f') + chunk(b'') + chunk(b'\x80')
    if 'nf9' in firsts:
        mix += chunk(firsts['nf9'])
    seeds.add('stateful', 'mixed-protocols-clock', mix)


def pkthdr_seeds(seeds):
    path = os.path.join(CAPS, 'generated', 'input-traffic-mix.pcap')
    kinds = {}
    for lt, frame in read_pcap(path):
        et, ip = l3_of(lt, frame)
        if et == 0x0800 and len(ip) >= 20:
            key = (4, ip[9], bool(struct.unpack('>H', ip[6:8])[0] & 0x1fff))
        elif et == 0x86dd and len(ip) >= 40:
            key = (6, ip[6], False)
        else:
            key = (et, None, False)
        if kinds.get(key, 0) >= 2:
            continue
        kinds[key] = kinds.get(key, 0) + 1
        n = kinds[key]
        tag = 'ip%s-proto%s-%d' % (key[0], key[1], n) if key[1] is not None \
            else 'ethertype%04x-%d' % (et or 0, n)
        cut = frame[:128]
        seeds.add('pkthdr', 'eth-' + tag, struct.pack('>I', 1) + cut)
        if key[0] in (4, 6) and n == 1:
            ipcut = ip[:128]
            seeds.add('pkthdr', 'ip-' + tag,
                      struct.pack('>I', 11 if key[0] == 4 else 12) + ipcut)
            seeds.add('pkthdr', 'ipany-' + tag,
                      struct.pack('>I', 0x10000) + ipcut)
            # The same packet behind an MPLS label and in PPP (HDLC).
            seeds.add('pkthdr', 'mpls-' + tag, struct.pack('>I', 13) +
                      b'\x00\x01\x01\x40' + ipcut)
            seeds.add('pkthdr', 'ppp-' + tag, struct.pack('>I', 7) +
                      b'\xff\x03' + (b'\x00\x21' if key[0] == 4 else
                                     b'\x00\x57') + ipcut)
            if key[0] == 4:
                # 802.1Q-tagged and QinQ copies.
                seeds.add('pkthdr', 'vlan-' + tag, struct.pack('>I', 1) +
                          cut[:12] + b'\x81\x00\x00\x64' + cut[12:124])
                seeds.add('pkthdr', 'qinq-' + tag, struct.pack('>I', 1) +
                          cut[:12] + b'\x88\xa8\x00\xc8\x81\x00\x00\x64' +
                          cut[12:120])


CFGS = {
    'minimal': '''[collector]
listen    = 0.0.0.0:2055 [::]:2055 0.0.0.0:6343
exporters = 192.0.2.0/24            # only these may send flows
[network]
local     = 203.0.113.0/24 2001:db8:100::/48
[group mail-servers]
hosts     = 203.0.113.25
[redis]
url       = redis://127.0.0.1:6379/0
[geoip]
country   = /usr/share/GeoIP/GeoLite2-Country.mmdb
asn       = /usr/share/GeoIP/GeoLite2-ASN.mmdb
[detect]
rules     = /etc/flowsentry/rules/*.rules
whitelist = /etc/flowsentry/whitelist/*.wl
learning  = 7d
[alert file]
path      = /var/log/flowsentry/alerts.ndjson
[alert email]
url = smtp://127.0.0.1:25   from = flowsentry@example.net   to = noc@example.net
min_severity = medium       digest = 5m
''',
    'every-key': '''# every key once
[collector]
listen = 0.0.0.0:2055 [::1]:4739
exporters = 192.0.2.0/24 2001:db8::/32
rcvbuf = 4MiB
workers = 4
user = nobody
state_dir = /var/lib/flowsentry
metrics = [::1]:9590
log_level = debug
log_facility = local3
templates_per_exporter = 100
templates_total = 1000
template_timeout = 1h30m
template_key_port = yes
state_interval = 0
sampling = 192.0.2.1=1000 10.0.0.0/8=512!
[network]
local = 198.51.100.0/24
[group web]
hosts = 198.51.100.80 198.51.100.81/32
[redis]
url = unix:/run/redis/redis.sock?db=2
flush_interval = 10
prefix = fs2:
bucket = 5m
bucket_ttl = 30d
max_hosts = 5000
max_services = 20000
[detect]
learning = 0
[alert syslog]
format = 3164  remote = udp://192.0.2.9:514  facility = local0
min_severity = high
[alert mail]
type = email
url = smtps://mail.example.net:465
from = a@example.net
to = b@example.net c@example.net
username = u  password = p  starttls = no  digest = 0
spool = /var/spool/fs
[alert stream]
type = redis  stream = fs:detections  maxlen = 1000
''',
    'errors': '''[collector]
workers = 65
''',
    'bad-duplicate': '''[collector]
listen = 0.0.0.0:2055
listen = 0.0.0.0:2056
''',
    'bad-alert': '''[alert pager]
path = /tmp/x
''',
    'defaults-only': '''# nothing but comments and blank lines

''',
}


def cfg_seeds(seeds):
    with open(os.path.join(TOP, 'contrib', 'flowsentry.conf'), 'rb') as f:
        seeds.add('cfg', 'contrib-flowsentry.conf', f.read())
    for name, text in sorted(CFGS.items()):
        seeds.add('cfg', name + '.conf', text.encode())


def build():
    seeds = Seeds()
    caps = captures()
    datagram_seeds(seeds, caps)
    stateful_seeds(seeds, caps)
    pkthdr_seeds(seeds)
    cfg_seeds(seeds)
    return seeds


def write(seeds, out):
    for (target, name), data in sorted(seeds.files.items()):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


def tree(path):
    res = {}
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            with open(p, 'rb') as fh:
                res[os.path.relpath(p, path)] = fh.read()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true',
                    help='only compare with fuzz/corpus/')
    args = ap.parse_args()
    seeds = build()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(seeds, tmp)
            same = tree(tmp) == tree(OUT)
        print('fuzz/corpus is %s' % ('up to date' if same else 'stale'))
        return 0 if same else 1
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    write(seeds, OUT)
    total = sum(len(v) for v in seeds.files.values())
    per = {}
    for (t, _), v in seeds.files.items():
        n, b = per.get(t, (0, 0))
        per[t] = (n + 1, b + len(v))
    for t in sorted(per):
        print('%-9s %3d seeds %7d bytes' % (t, per[t][0], per[t][1]))
    print('total     %3d seeds %7d bytes' % (len(seeds.files), total))
    return 0


if __name__ == '__main__':
    sys.exit(main())
