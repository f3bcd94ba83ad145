#!/usr/bin/env python3
"""A deterministic capture of a hosting network's traffic, with its ground
truth: which outbound connections each server opened.

    mktraffic.py OUT.pcap [--seed N] [--truth OUT.json]

writes a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) of IPv4
traffic as a mirror port in front of three servers of 192.0.2.0/24 would see
it.  Everything is built with struct from a seeded random.Random: the same
seed gives the same bytes.  IPv4, TCP and UDP checksums are right, every TCP
conversation is complete (handshake, data both ways in MSS-sized segments
with ACKs, FIN both ways), payloads are what the ports promise (HTTP/1.1,
TLS 1.3 records, SMTP, IRC, QUIC-shaped datagrams), frames shorter than 60
bytes carry Ethernet padding.

The scenario (capture time T0 = 2024-05-06 10:00:00 UTC, about 5 minutes):

web1 192.0.2.10   a web server.  60 TCP connections from 30 clients
                  (198.51.100.1-30; 24 to tcp/443, 36 to tcp/80, 1-4 requests
                  each, replies of 0.3 KB - 600 KB) and 8 QUIC (udp/443)
                  exchanges.  It opens nothing itself: no outbound alert.
mail 192.0.2.25   the mail server.  Receives 6 SMTP sessions on tcp/25 from
                  4 MTAs (203.0.113.1-4) and delivers 10 messages to 10 MX
                  hosts (203.0.113.11-20, tcp/25): outbound, but it is the
                  mail server.
web2 192.0.2.11   a web server gone bad.  Serves 30 TCP connections on
                  tcp/443 to 20 clients (198.51.100.21-40), then:
                  - IRC: one connection to 198.51.100.200 tcp/6667 from
                    t=30 s to t=295 s (registration, JOIN, then small
                    packets: channel chatter every 20-40 s, PING/PONG every
                    90 s, the herder's commands at about 118, 198, 255 s);
                  - spam: 35 SMTP sessions to 35 MX (203.0.113.101-135,
                    tcp/25) between t=120 s and t=180 s (most accepted, some
                    refused at the greeting or at RCPT);
                  - scan: SYN to tcp/22 of 40 hosts (203.0.113.201-240) from
                    t=200 s, one source port, 25 ms apart: 4 answer SYN-ACK
                    (and get a RST), 8 answer RST, 28 stay silent (their SYN
                    is sent twice).

Ground truth: generate(seed) -> Capture (frames and conversations, each
with its packets and IP bytes per direction), expected_outbound(seed) ->
the (initiator, responder, proto, dport) of every outbound connection,
HOSTS -> per-host notes, truth(seed) -> all of it as a JSON-able dict.

Only IANA documentation addresses appear: 192.0.2.0/24 (ours),
198.51.100.0/24 and 203.0.113.0/24 (the internet).  They live in the pcap
only; nothing here opens a socket.
"""
import collections
import functools
import json
import random
import struct
import sys

SEED = 20240506
T0 = 1714989600            # 2024-05-06T10:00:00Z
DURATION = 300             # seconds of capture, roughly

LOCAL_NET = '192.0.2.0/24'
WEB1, WEB2, MAIL = '192.0.2.10', '192.0.2.11', '192.0.2.25'
CLIENTS = ['198.51.100.%d' % i for i in range(1, 41)]
WEB1_CLIENTS = CLIENTS[:30]
WEB2_CLIENTS = CLIENTS[20:40]
IRC_SERVER = '198.51.100.200'
INBOUND_MTAS = ['203.0.113.%d' % i for i in range(1, 5)]
MAIL_MX = ['203.0.113.%d' % i for i in range(11, 21)]
SPAM_MX = ['203.0.113.%d' % i for i in range(101, 136)]
SCAN_TARGETS = ['203.0.113.%d' % i for i in range(201, 241)]

HOSTS = {
    WEB1: {'name': 'web1', 'role': 'web server',
           'services': ['tcp/80', 'tcp/443', 'udp/443'],
           'outbound': [],
           'expect_alerts': [],
           'notes': 'busy web server: only answers clients (tcp/80, tcp/443,'
                    ' QUIC udp/443); opens no connection itself, so no'
                    ' outbound alert may be raised for it'},
    MAIL: {'name': 'mail', 'role': 'mail server',
           'services': ['tcp/25'],
           'outbound': ['tcp/25'],
           'expect_alerts': [],
           'notes': 'receives mail on tcp/25 and delivers to 10 remote MX on'
                    ' tcp/25: outbound SMTP is its job (put it in the'
                    ' mail-servers group or whitelist tcp/25 for it)'},
    WEB2: {'name': 'web2', 'role': 'web server, compromised',
           'services': ['tcp/443'],
           'outbound': ['tcp/25', 'tcp/6667', 'tcp/22'],
           'expect_alerts': ['smtp-from-non-mail', 'irc', 'scan'],
           'notes': 'serves tcp/443 like web1, but sends spam to 35 MX'
                    ' (tcp/25), stays on IRC (tcp/6667) for the whole'
                    ' capture and scans tcp/22 of 40 hosts'},
}

Outbound = collections.namedtuple('Outbound',
                                  'initiator responder proto dport')

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
TCP, UDP = 6, 17
MS = 1000                   # times are integer microseconds from T0
SEC = 1000000


# ---- packets ----------------------------------------------------------------

def inet(a):
    return bytes(int(x) for x in a.split('.'))


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ident, ttl, df=True):
    hdr = struct.pack('!BBHHHBB2s4s4s', 0x45, 0, 20 + len(payload),
                      ident & 0xffff, 0x4000 if df else 0, ttl, proto,
                      b'\0\0', src, dst)
    return hdr[:10] + struct.pack('!H', checksum(hdr)) + hdr[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, win, opts=b'', data=b''):
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, (20 + len(opts)) // 4 << 4, flags,
                      win, 0, 0) + opts
    seg = hdr + data
    c = checksum(src + dst + struct.pack('!BBH', 0, TCP, len(seg)) + seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]


def udp(src, dst, sport, dport, data):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    c = checksum(src + dst + struct.pack('!BBH', 0, UDP, len(seg)) + seg)
    return seg[:6] + struct.pack('!H', c or 0xffff) + seg[8:]


# ---- hosts and conversations --------------------------------------------

ROUTER_MAC = bytes.fromhex('00005e000101')      # the gateway (VRRP)


class Host:
    def __init__(self, ip, rnd, local, os_=None):
        self.ip, self.raw, self.local = ip, inet(ip), local
        self.os = os_ or ('linux' if local or rnd.random() < 0.6
                          else 'windows')
        self.mac = bytes.fromhex('525400') + bytes([0, 0, self.raw[3]]) \
            if local else ROUTER_MAC
        hops = 0 if local else rnd.randint(6, 22)
        self.ttl = (64 if self.os == 'linux' else 128) - hops
        self.rtt = 0 if local else rnd.randint(8 * MS, 160 * MS)
        self.ipid = rnd.randrange(65536)

    def next_id(self):
        self.ipid = (self.ipid + 1) & 0xffff
        return self.ipid

    def ephemeral(self, rnd):
        if self.os == 'windows':
            return rnd.randint(49152, 65535)
        return rnd.randint(32768, 60999)


class Conversation:
    """Ground truth of one conversation: index 0 is the direction
    initiator -> responder, 1 the reply direction.  bytes counts IP bytes
    (IP header and payload); l2_bytes counts what follows the Ethernet
    header, Ethernet padding of short frames included (what softflowd
    counts)."""

    def __init__(self, kind, initiator, responder, proto, sport, dport):
        self.kind = kind
        self.initiator, self.responder = initiator, responder
        self.proto, self.sport, self.dport = proto, sport, dport
        self.packets, self.bytes = [0, 0], [0, 0]
        self.l2_bytes = [0, 0]
        self.first = self.last = None

    @property
    def local(self):
        return self.initiator if self.initiator.startswith('192.0.2.') \
            else self.responder

    @property
    def outbound(self):
        return self.initiator.startswith('192.0.2.') and \
            not self.responder.startswith('192.0.2.')

    def key(self, d):
        """(src, dst, sport, dport, proto) of direction d."""
        if d == 0:
            return (self.initiator, self.responder, self.sport, self.dport,
                    self.proto)
        return (self.responder, self.initiator, self.dport, self.sport,
                self.proto)

    def as_dict(self):
        return {'kind': self.kind, 'initiator': self.initiator,
                'responder': self.responder, 'proto': self.proto,
                'sport': self.sport, 'dport': self.dport,
                'outbound': self.outbound, 'local': self.local,
                'packets': list(self.packets), 'bytes': list(self.bytes),
                'l2_bytes': list(self.l2_bytes),
                'first_us': T0 * SEC + self.first,
                'last_us': T0 * SEC + self.last}


class Capture:
    def __init__(self, seed):
        self.seed = seed
        self.rnd = random.Random(seed)
        self.frames = []            # (t_us, n, frame)
        self.conversations = []
        self.hosts = {}
        self.tuples = set()

    def host(self, ip, os_=None):
        if ip not in self.hosts:
            self.hosts[ip] = Host(ip, self.rnd, ip.startswith('192.0.2.'),
                                  os_)
        return self.hosts[ip]

    def conversation(self, kind, a, b, proto, dport, sport=None):
        while True:
            p = sport or a.ephemeral(self.rnd)
            if (a.ip, b.ip, p, dport, proto) not in self.tuples:
                break
        self.tuples.add((a.ip, b.ip, p, dport, proto))
        c = Conversation(kind, a.ip, b.ip, proto, p, dport)
        self.conversations.append(c)
        return c

    def emit(self, t, conv, d, src, dst, proto, l4, df=True):
        ip = ipv4(src.raw, dst.raw, proto, l4, src.next_id(), src.ttl, df)
        frame = dst.mac + src.mac + b'\x08\x00' + ip
        if len(frame) < 60:
            frame += b'\0' * (60 - len(frame))
        self.frames.append((t, len(self.frames), frame))
        conv.packets[d] += 1
        conv.bytes[d] += len(ip)
        conv.l2_bytes[d] += len(frame) - 14
        conv.first = t if conv.first is None else min(conv.first, t)
        conv.last = t if conv.last is None else max(conv.last, t)

    def sorted_frames(self):
        return sorted(self.frames)

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, _, frame in self.sorted_frames():
                t += T0 * SEC
                f.write(struct.pack('<IIII', t // SEC, t % SEC, len(frame),
                                    len(frame)))
                f.write(frame)


class TcpConn:
    """One TCP connection, side 0 the client, side 1 the server.  The
    capture point is next to our servers: a local host reacts to what was
    captured after its think time, a remote one a round trip later."""

    def __init__(self, cap, kind, client, server, dport, t):
        self.cap, self.rnd = cap, cap.rnd
        self.h = [client, server]
        self.conv = cap.conversation(kind, client, server, TCP, dport)
        self.port = [self.conv.sport, dport]
        self.rtt = client.rtt + server.rtt
        self.ts = client.os == 'linux' and server.os == 'linux'
        self.mss = 1460 - (12 if self.ts else 0)
        self.nxt = [self.rnd.getrandbits(32), self.rnd.getrandbits(32)]
        self.rcv = [0, 0]
        self.tsbase = [self.rnd.getrandbits(31), self.rnd.getrandbits(31)]
        self.tsrecent = [0, 0]
        self.last = [t, t]          # last packet sent by each side
        self.owe = [None, None]     # delayed ACK: (due time, ack number)
        self.cwnd = [10, 10]
        self.win = [2600 if h.os == 'linux' else 1030 for h in self.h]
        self.t0 = t

    def react(self, t, side, think):
        """When side's answer to a packet captured at t is captured."""
        return t + think + (0 if self.h[side].local else self.rtt)

    def gap(self, side, size):
        """Spacing of back-to-back segments (1 Gbit/s out, 100 Mbit/s in)."""
        return max(1, size * 8 // (1000 if self.h[side].local else 100))

    def pkt(self, side, t, flags, data=b'', ack=None):
        peer = 1 - side
        for s in (peer, side):      # delayed ACKs that fell due before t
            if self.owe[s] and self.owe[s][0] < t:
                due, a = self.owe[s]
                self.owe[s] = None
                self._send(s, due, ACK, b'', a)
        self.owe[side] = None       # this packet carries the ACK
        self._send(side, t, flags, data, ack)
        if data or flags & (SYN | FIN):
            self.rcv[peer] = self.nxt[side]

    def _send(self, side, t, flags, data, ack):
        peer = 1 - side
        t = max(t, self.last[side] + 1)
        self.last[side] = t
        if flags & SYN:
            opts = self._syn_opts(side, t)
        elif self.ts:
            opts = b'\x01\x01\x08\x0a' + struct.pack('!II', self._tsval(side, t),
                                                     self.tsrecent[side])
        else:
            opts = b''
        if ack is None:
            ack = self.rcv[side]
        win = 64240 if flags & SYN else self.win[side]
        seg = tcp(self.h[side].raw, self.h[peer].raw, self.port[side],
                  self.port[peer], self.nxt[side], ack if flags & ACK else 0,
                  flags, win, opts, data)
        self.cap.emit(t, self.conv, side, self.h[side], self.h[peer], TCP,
                      seg)
        self.nxt[side] += len(data) + (1 if flags & (SYN | FIN) else 0)
        if self.ts:
            self.tsrecent[peer] = self._tsval(side, t)

    def _tsval(self, side, t):
        return (self.tsbase[side] + t // MS) & 0xffffffff

    def _syn_opts(self, side, t):
        mss = b'\x02\x04\x05\xb4'
        if self.h[side].os == 'linux':
            o = mss + b'\x04\x02\x08\x0a' + struct.pack(
                '!II', self._tsval(side, t), self.tsrecent[side] if side
                else 0) + b'\x01\x03\x03\x07'
            if not self.ts:         # the peer did not offer timestamps
                o = mss + b'\x01\x01\x04\x02\x01\x03\x03\x07'
            return o
        return mss + b'\x01\x03\x03\x08\x01\x01\x04\x02'

    # -- the conversation ---------------------------------------------------

    def open(self):
        t = self.t0
        self.pkt(0, t, SYN)
        t = self.react(t, 1, self.rnd.randint(20, 120))
        self.pkt(1, t, SYN | ACK)
        t = self.react(t, 0, self.rnd.randint(20, 200))
        self.pkt(0, t, ACK)
        return self

    def start_time(self, side, think):
        return max(self.react(self.last[1 - side], side, think),
                   self.last[side] + 1)

    def send(self, side, data, think=0, at=None):
        """side sends data (one application message) in answer to the last
        thing its peer sent (or, given at, captured at that time); the peer
        ACKs every second segment."""
        peer = 1 - side
        t = self.start_time(side, think) if at is None else \
            max(at, self.last[side] + 1)
        segs = [data[i:i + self.mss] for i in range(0, len(data), self.mss)]
        i = 0
        while i < len(segs):
            burst = segs[i:i + self.cwnd[side]]
            times, ends = [], []
            for k, s in enumerate(burst):
                last = i + k == len(segs) - 1
                tt = t + sum(self.gap(side, len(x) + 66) for x in burst[:k])
                self.pkt(side, tt, ACK | (PSH if last else 0), s)
                times.append(self.last[side])
                ends.append(self.nxt[side])
            i += len(burst)
            first_ack = None
            for k in range(1, len(burst), 2):
                ta = self.react(times[k], peer, self.rnd.randint(10, 60))
                self.pkt(peer, ta, ACK, ack=ends[k])
                first_ack = first_ack or self.last[peer]
            if len(burst) % 2:
                due = self.react(times[-1], peer, 40 * MS)
                if i < len(segs):       # more to come: ACK it now
                    self.pkt(peer, due, ACK, ack=ends[-1])
                    first_ack = first_ack or self.last[peer]
                else:
                    self.owe[peer] = (due, ends[-1])
            if i < len(segs):
                t = self.react(first_ack, side, self.rnd.randint(5, 30))
                self.cwnd[side] = min(self.cwnd[side] * 2, 64)

    def close(self, side, think=0, three_way=None):
        """side closes; the peer answers FIN (with or without a separate
        ACK first); side ACKs the peer's FIN."""
        peer = 1 - side
        t = self.start_time(side, think)
        self.pkt(side, t, FIN | ACK)
        if three_way is None:
            three_way = self.rnd.random() < 0.5
        t = self.react(self.last[side], peer, self.rnd.randint(20, 300))
        if not three_way:
            self.pkt(peer, t, ACK)
            t += self.rnd.randint(50, 2000)
        self.pkt(peer, t, FIN | ACK)
        t = self.react(self.last[peer], side, self.rnd.randint(20, 200))
        self.pkt(side, t, ACK)
        for s in (0, 1):
            assert self.owe[s] is None


# ---- payloads ---------------------------------------------------------------

WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do '
         'eiusmod tempor incididunt ut labore et dolore magna aliqua').split()


def text(rnd, n):
    out, size = [], 0
    while size < n:
        w = rnd.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return ' '.join(out)[:n].encode()


def lines(rnd, n, width=76):
    """About n bytes of CRLF-terminated text lines."""
    out, size = [], 0
    while size < n:
        line = text(rnd, rnd.randint(20, width))
        out.append(line)
        size += len(line) + 2
    return b'\r\n'.join(out) + b'\r\n'


def http_request(rnd, host, path):
    return ('GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; '
            'Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n'
            'Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n'
            'Connection: keep-alive\r\n\r\n' % (path, host)).encode()


def http_response(rnd, size):
    body = (b'<!DOCTYPE html>\n<html><body><p>' + text(rnd, size) +
            b'</p></body></html>\n')
    head = ('HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Mon, 06 May 2024 '
            '10:00:00 GMT\r\nContent-Type: text/html; charset=utf-8\r\n'
            'Content-Length: %d\r\nConnection: keep-alive\r\n\r\n'
            % len(body)).encode()
    return head + body


def tls_record(ctype, body, ver=0x0303):
    return struct.pack('!BHH', ctype, ver, len(body)) + body


def tls_app(rnd, size):
    """size bytes of plaintext as TLS 1.3 application data records."""
    out = b''
    while True:
        n = min(size, 16384)
        out += tls_record(0x17, rnd.randbytes(n + 17))
        size -= n
        if size <= 0:
            return out


def _ext(t, body):
    return struct.pack('!HH', t, len(body)) + body


def _u16s(vals):
    return struct.pack('!H%dH' % len(vals), 2 * len(vals), *vals)


def tls_client_hello(rnd, sni, sid):
    name = sni.encode()
    sn = struct.pack('!BH', 0, len(name)) + name
    alpn = b'\x02h2\x08http/1.1'
    ks = struct.pack('!HH', 0x001d, 32) + rnd.randbytes(32)
    exts = (_ext(0, struct.pack('!H', len(sn)) + sn) +
            _ext(0x0017, b'') + _ext(0xff01, b'\x00') +
            _ext(0x000a, _u16s([0x001d, 0x0017, 0x0018])) +
            _ext(0x000b, b'\x01\x00') + _ext(0x0023, b'') +
            _ext(0x0010, struct.pack('!H', len(alpn)) + alpn) +
            _ext(0x000d, _u16s([0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
                                0x0501, 0x0806, 0x0601])) +
            _ext(0x0033, struct.pack('!H', len(ks)) + ks) +
            _ext(0x002b, b'\x04\x03\x04\x03\x03') +
            _ext(0x002d, b'\x01\x01'))
    body = (b'\x03\x03' + rnd.randbytes(32) + b'\x20' + sid +
            _u16s([0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8,
                   0xc02c, 0xc030]) + b'\x01\x00' +
            struct.pack('!H', len(exts)) + exts)
    return tls_record(0x16, b'\x01' + struct.pack('!I', len(body))[1:] +
                      body, 0x0301)


def tls_server_hello(rnd, sid):
    ks = struct.pack('!HH', 0x001d, 32) + rnd.randbytes(32)
    exts = _ext(0x0033, ks) + _ext(0x002b, b'\x03\x04')
    body = (b'\x03\x03' + rnd.randbytes(32) + b'\x20' + sid +
            b'\x13\x01\x00' + struct.pack('!H', len(exts)) + exts)
    return (tls_record(0x16, b'\x02' + struct.pack('!I', len(body))[1:] +
                       body) + tls_record(0x14, b'\x01'))


def smtp_message(rnd, sender, rcpt, size, spam=False):
    subject = 'You have won a prize' if spam else 'Re: ' + \
        text(rnd, rnd.randint(10, 40)).decode()
    head = ('From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n'
            'Date: Mon, 06 May 2024 10:00:00 +0000\r\n'
            'Message-ID: <%08x@%s>\r\nMIME-Version: 1.0\r\n'
            'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
            % (sender, rcpt, subject, rnd.getrandbits(32),
               sender.split('@')[1])).encode()
    return head + lines(rnd, size) + b'.\r\n'


# ---- the scenario -----------------------------------------------------------

def https(c, rnd, requests):
    """TLS 1.3 handshake, requests, close_notify from the client."""
    sid = rnd.randbytes(32)
    c.send(0, tls_client_hello(rnd, 'www.example.com', sid),
           rnd.randint(100, 600))
    c.send(1, tls_server_hello(rnd, sid) + tls_app(rnd, rnd.randint(2500,
                                                                     4500)),
           rnd.randint(200, 1500))
    c.send(0, tls_record(0x14, b'\x01') + tls_app(rnd, 36) +
           tls_app(rnd, rnd.randint(250, 600)), rnd.randint(200, 2000))
    for i, size in enumerate(requests):
        if i:
            c.send(0, tls_app(rnd, rnd.randint(250, 600)),
                   rnd.randint(50 * MS, 2 * SEC))
        tickets = tls_app(rnd, 250) + tls_app(rnd, 250) if not i else b''
        c.send(1, tickets + tls_app(rnd, size), rnd.randint(300, 20 * MS))


def web_session(cap, server, client, t, port):
    rnd = cap.rnd
    c = TcpConn(cap, 'https' if port == 443 else 'http', client, server,
                port, t).open()
    sizes = []
    for _ in range(rnd.choice((1, 1, 2, 2, 3, 4))):
        r = rnd.random()
        sizes.append(rnd.randint(300, 15000) if r < 0.7 else
                     rnd.randint(15000, 150000) if r < 0.95 else
                     rnd.randint(150000, 600000))
    if port == 443:
        https(c, rnd, sizes)
    else:
        for i, size in enumerate(sizes):
            path = '/%s/%d.html' % (rnd.choice(WORDS), rnd.randint(1, 999))
            c.send(0, http_request(rnd, 'www.example.com', path),
                   rnd.randint(100, 600) if not i else
                   rnd.randint(50 * MS, 2 * SEC))
            c.send(1, http_response(rnd, size), rnd.randint(300, 20 * MS))
    if rnd.random() < 0.7:                  # the browser closes when idle
        idle = rnd.randint(SEC // 2, 10 * SEC)
        if port == 443:
            c.send(0, tls_app(rnd, 2), idle)
            idle = rnd.randint(100, 500)
        c.close(0, idle)
    else:                                   # keep-alive timeout
        c.close(1, 5 * SEC)
    return c


def quic_session(cap, server, client, t):
    """QUIC-shaped UDP: a long-header Initial each way, then short-header
    1-RTT packets; a reply of many full datagrams."""
    rnd = cap.rnd
    conv = cap.conversation('quic', client, server, UDP, 443)
    sport = conv.sport
    dcid, scid = rnd.randbytes(8), rnd.randbytes(8)
    tt = t

    def dgram(side, t, data):
        a, b = (client, server) if side == 0 else (server, client)
        ports = (sport, 443) if side == 0 else (443, sport)
        cap.emit(t, conv, side, a, b, UDP, udp(a.raw, b.raw, ports[0],
                                                ports[1], data), df=True)

    def long_hdr(dc, sc, n):
        body = rnd.randbytes(n)
        return (b'\xc3\x00\x00\x00\x01' + bytes([len(dc)]) + dc +
                bytes([len(sc)]) + sc + b'\x00' +
                struct.pack('!H', 0x4000 | len(body)) + body)

    def short_hdr(dc, n):
        return bytes([0x40 | rnd.randrange(0x20)]) + dc + rnd.randbytes(n)

    dgram(0, tt, long_hdr(dcid, scid, 1200 - 26))
    tt += client.rtt + rnd.randint(200, 900)
    dgram(1, tt, long_hdr(scid, dcid, 1200 - 26))
    tt += rnd.randint(20, 80)
    dgram(1, tt, short_hdr(scid, rnd.randint(900, 1200)))
    tt += client.rtt + rnd.randint(300, 1500)
    dgram(0, tt, short_hdr(dcid, rnd.randint(60, 400)))
    for _ in range(rnd.randint(3, 40)):
        tt += rnd.randint(100, 1500)
        dgram(1, tt, short_hdr(scid, 1232))
    tt += client.rtt // 2 + rnd.randint(100, 500)
    dgram(0, tt, short_hdr(dcid, rnd.randint(30, 60)))


def smtp(cap, kind, client, server, t, sender, rcpt, size, outcome='ok'):
    rnd = cap.rnd
    c = TcpConn(cap, kind, client, server, 25, t).open()
    mx = 'mx%d.example.net' % rnd.randint(1, 9)
    helo = sender.split('@')[1]
    if outcome == 'blocked':
        c.send(1, ('554 5.7.1 %s Service unavailable; client host [%s] '
                   'blocked\r\n' % (mx, client.ip)).encode(),
               rnd.randint(5 * MS, 200 * MS))
        c.send(0, b'QUIT\r\n', rnd.randint(200, 3000))
        c.send(1, b'221 2.0.0 Bye\r\n', rnd.randint(200, 3000))
        c.close(1, rnd.randint(100, 500))
        return c
    steps = [
        (1, '220 %s ESMTP Postfix\r\n' % mx),
        (0, 'EHLO %s\r\n' % helo),
        (1, '250-%s\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n'
            '250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 DSN\r\n' % mx),
        (0, 'MAIL FROM:<%s>\r\n' % sender),
        (1, '250 2.1.0 Ok\r\n'),
        (0, 'RCPT TO:<%s>\r\n' % rcpt)]
    if outcome == 'refused':
        steps += [(1, '550 5.7.1 <%s>: Recipient address rejected: '
                      'Access denied\r\n' % rcpt)]
    else:
        steps += [(1, '250 2.1.5 Ok\r\n'), (0, 'DATA\r\n'),
                  (1, '354 End data with <CR><LF>.<CR><LF>\r\n'),
                  (0, smtp_message(rnd, sender, rcpt, size,
                                   kind == 'spam')),
                  (1, '250 2.0.0 Ok: queued as %010X\r\n'
                      % rnd.getrandbits(40))]
    steps += [(0, 'QUIT\r\n'), (1, '221 2.0.0 Bye\r\n')]
    for side, data in steps:
        if isinstance(data, str):
            data = data.encode()
        think = rnd.randint(5 * MS, 200 * MS) if side == 1 else \
            rnd.randint(200, 3000)
        c.send(side, data, think)
    c.close(1, rnd.randint(100, 500))
    return c


def irc(cap, client, server, t_open, t_quit):
    rnd = cap.rnd
    c = TcpConn(cap, 'irc', client, server, 6667, t_open).open()
    nick = 'x%05d' % rnd.randrange(100000)
    srv = 'irc.example.net'
    c.send(0, ('NICK %s\r\nUSER %s 0 * :%s\r\n' % (nick, nick, nick)
               ).encode(), rnd.randint(200, 1000))
    motd = ''.join(':%s 372 %s :- %s\r\n' % (srv, nick, text(
        rnd, rnd.randint(20, 70)).decode()) for _ in range(25))
    c.send(1, (':%s NOTICE * :*** Looking up your hostname...\r\n'
               ':%s 001 %s :Welcome to the Internet Relay Network %s\r\n'
               ':%s 002 %s :Your host is %s\r\n'
               ':%s 375 %s :- %s Message of the day -\r\n%s'
               ':%s 376 %s :End of MOTD command\r\n'
               % (srv, srv, nick, nick, srv, nick, srv, srv, nick, srv, motd,
                  srv, nick)).encode(), 800 * MS)
    c.send(0, b'JOIN #bots k3y\r\n', rnd.randint(200, 1000))
    c.send(1, (':%s!%s@%s JOIN #bots\r\n:%s 332 %s #bots :!idle\r\n'
               ':%s 353 %s = #bots :%s\r\n:%s 366 %s #bots :End of /NAMES '
               'list.\r\n' % (nick, nick, client.ip, srv, nick, srv, nick,
                              nick, srv, nick)).encode(), 20 * MS)
    # Periodic traffic: PING/PONG every 90 s, the herder's commands, the
    # other bots' chatter every 20-40 s.
    events = [(118, 'cmd', '!spam start'), (198, 'cmd', '!scan 22'),
              (255, 'cmd', '!status')]
    p = c.last[1] // SEC + 90
    while p < t_quit // SEC - 5:
        events.append((p, 'ping', None))
        p += 90
    p = c.last[1] // SEC + rnd.randint(20, 40)
    while p < t_quit // SEC - 5:
        if all(abs(p - e[0]) > 3 for e in events):
            events.append((p, 'chat', None))
        p += rnd.randint(20, 40)
    for when, what, arg in sorted(events):
        t = max(when * SEC + rnd.randint(0, SEC), c.last[0] + 1)
        if what == 'ping':
            c.send(1, ('PING :%s\r\n' % srv).encode(), at=t)
            c.send(0, ('PONG :%s\r\n' % srv).encode(), rnd.randint(50, 400))
        elif what == 'chat':
            c.send(1, (':x%05d!x@203.0.113.%d PRIVMSG #bots :[%s] %d\r\n'
                       % (rnd.randrange(100000), rnd.randint(150, 199),
                          rnd.choice(('scan', 'smtp', 'ok')),
                          rnd.randrange(1000))).encode(), at=t)
        else:
            c.send(1, (':boss!b@herder.example.org PRIVMSG #bots :%s\r\n'
                       % arg).encode(), at=t)
            c.send(0, ('PRIVMSG #bots :ok %s\r\n' % arg.split()[0]
                       ).encode(), rnd.randint(5 * MS, 80 * MS))
    c.send(0, b'QUIT :bye\r\n', at=t_quit)
    c.send(1, ('ERROR :Closing Link: %s (Quit: bye)\r\n' % client.ip
               ).encode(), rnd.randint(100, 1000))
    c.close(1, rnd.randint(100, 500), three_way=True)
    return c


def scan(cap, scanner, targets, t):
    """A SYN scan of tcp/22 from one source port (nmap -sS style)."""
    rnd = cap.rnd
    sport = rnd.randint(40000, 60000)
    order = list(targets)
    rnd.shuffle(order)
    fate = ['synack'] * 4 + ['rst'] * 8 + ['silent'] * (len(order) - 12)
    rnd.shuffle(fate)
    src = scanner
    for i, (ip, f) in enumerate(zip(order, fate)):
        dst = cap.host(ip)
        conv = cap.conversation('scan', src, dst, TCP, 22, sport)
        seq = rnd.getrandbits(32)
        ts = t + i * 25 * MS + rnd.randint(0, 2 * MS)
        syn = lambda: tcp(src.raw, dst.raw, sport, 22, seq, 0, SYN, 1024,
                          b'\x02\x04\x05\xb4')
        cap.emit(ts, conv, 0, src, dst, TCP, syn(), df=False)
        back = ts + dst.rtt + rnd.randint(30, 300)
        if f == 'silent':
            cap.emit(ts + SEC + rnd.randint(0, 50 * MS), conv, 0, src, dst,
                     TCP, syn(), df=False)
        elif f == 'rst':
            cap.emit(back, conv, 1, dst, src, TCP,
                     tcp(dst.raw, src.raw, 22, sport, 0, seq + 1,
                         RST | ACK, 0))
        else:
            isn = rnd.getrandbits(32)
            cap.emit(back, conv, 1, dst, src, TCP,
                     tcp(dst.raw, src.raw, 22, sport, isn, seq + 1,
                         SYN | ACK, 64240, b'\x02\x04\x05\xb4'))
            cap.emit(back + rnd.randint(20, 100), conv, 0, src, dst, TCP,
                     tcp(src.raw, dst.raw, sport, 22, seq + 1, 0, RST, 0),
                     df=False)


def build(seed):
    cap = Capture(seed)
    rnd = cap.rnd
    web1, web2, mail = (cap.host(WEB1), cap.host(WEB2), cap.host(MAIL))
    for ip in CLIENTS + INBOUND_MTAS + MAIL_MX + SPAM_MX + [IRC_SERVER]:
        cap.host(ip)
    # web1: 60 connections from 30 clients, each client at least once.
    clients = WEB1_CLIENTS + [rnd.choice(WEB1_CLIENTS) for _ in range(30)]
    ports = [80] * 36 + [443] * 24
    rnd.shuffle(ports)
    for ip, port in zip(clients, ports):
        web_session(cap, web1, cap.host(ip), rnd.randint(0, 270 * SEC), port)
    for _ in range(8):
        quic_session(cap, web1, cap.host(rnd.choice(WEB1_CLIENTS)),
                     rnd.randint(0, 280 * SEC))
    # web2: 30 connections on tcp/443 from 20 clients.
    clients = WEB2_CLIENTS + [rnd.choice(WEB2_CLIENTS) for _ in range(10)]
    for ip in clients:
        web_session(cap, web2, cap.host(ip), rnd.randint(0, 270 * SEC), 443)
    # mail: 6 sessions in from 4 MTAs, 10 deliveries out to 10 MX.
    for ip in INBOUND_MTAS + [rnd.choice(INBOUND_MTAS) for _ in range(2)]:
        smtp(cap, 'smtp-in', cap.host(ip), mail, rnd.randint(0, 280 * SEC),
             'news@%s.example.org' % rnd.choice(WORDS),
             'info@example.com', rnd.randint(1000, 20000))
    for ip in MAIL_MX:
        smtp(cap, 'smtp-out', mail, cap.host(ip), rnd.randint(5, 280) * SEC,
             'info@example.com', 'someone@%s.example.net' % rnd.choice(WORDS),
             rnd.randint(2000, 40000))
    # web2 goes bad: IRC, spam, scan.
    irc(cap, web2, cap.host(IRC_SERVER), 30 * SEC, 295 * SEC)
    outcomes = ['ok'] * 25 + ['refused'] * 6 + ['blocked'] * 4
    rnd.shuffle(outcomes)
    for ip, outcome in zip(SPAM_MX, outcomes):
        smtp(cap, 'spam', web2, cap.host(ip),
             120 * SEC + rnd.randint(0, 57 * SEC), 'wordpress@example.com',
             'victim%d@%s.example.net' % (rnd.randint(1, 99),
                                          rnd.choice(WORDS)),
             rnd.randint(1500, 4000), outcome)
    scan(cap, web2, SCAN_TARGETS, 200 * SEC)
    return cap


@functools.lru_cache(maxsize=4)
def generate(seed=SEED):
    """The capture: .frames, .conversations (ground truth), .write(path)."""
    return build(seed)


def write_pcap(path, seed=SEED):
    cap = generate(seed)
    cap.write(path)
    return cap


def conversations(seed=SEED):
    return list(generate(seed).conversations)


def expected_outbound(seed=SEED):
    """Every outbound connection, (initiator, responder, proto, dport),
    sorted, without repeats: what a detector sees opened to the internet."""
    return sorted({Outbound(c.initiator, c.responder, c.proto, c.dport)
                   for c in generate(seed).conversations if c.outbound})


def host_notes():
    return {ip: dict(v) for ip, v in HOSTS.items()}


def truth(seed=SEED):
    cap = generate(seed)
    return {'seed': seed, 't0': T0, 'local': LOCAL_NET,
            'hosts': host_notes(),
            'outbound': [o._asdict() for o in expected_outbound(seed)],
            'conversations': [c.as_dict() for c in cap.conversations],
            'frames': len(cap.frames)}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pcap')
    ap.add_argument('--seed', type=int, default=SEED)
    ap.add_argument('--truth', metavar='JSON',
                    help='also write the ground truth as JSON')
    a = ap.parse_args(argv)
    cap = write_pcap(a.pcap, a.seed)
    if a.truth:
        with open(a.truth, 'w') as f:
            json.dump(truth(a.seed), f, indent=1)
            f.write('\n')
    out = collections.Counter(c.local for c in cap.conversations
                              if c.outbound)
    print('%s: %d frames, %d conversations, outbound: %s' % (
        a.pcap, len(cap.frames), len(cap.conversations),
        ', '.join('%s %d' % (HOSTS[h]['name'], n)
                  for h, n in sorted(out.items())) or 'none'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
