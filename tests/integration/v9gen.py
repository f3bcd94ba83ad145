"""NetFlow v9 datagrams written by hand for the integration tests."""
import socket
import struct

# src addr, dst addr, src port, dst port, protocol, bytes, packets
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4)]


def v9(flowsets, source_id=7, seq=1):
    body = b''.join(flowsets)
    return struct.pack('!HHIIII', 9, len(flowsets), 1000, 1700000000, seq,
                       source_id) + body


def v9_template(tid=256):
    rec = struct.pack('!HH', tid, len(FIELDS)) + b''.join(
        struct.pack('!HH', t, l) for t, l in FIELDS)
    return struct.pack('!HH', 0, 4 + len(rec)) + rec


def _set(tid, recs):
    pad = (-(4 + len(recs))) % 4
    return struct.pack('!HH', tid, 4 + len(recs) + pad) + recs + b'\0' * pad


def v9_data(n, tid=256, first_port=1000):
    """n records 192.0.2.10:port -> 198.51.100.x:443."""
    recs = b''
    for i in range(n):
        recs += socket.inet_aton('192.0.2.10') + socket.inet_aton(
            '198.51.100.%d' % (i % 250 + 1)) + struct.pack(
            '!HHBII', first_port + i, 443, 6, 1500 * (i + 1), i + 1)
    return _set(tid, recs)


def v9_data_to(src, dests, tid=256, bytes_=1000, packets=2):
    """One TCP record src:40000+i -> each (address, port) of dests."""
    recs = b''
    for i, (dst, dport) in enumerate(dests):
        recs += socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
            '!HHBII', 40000 + i, dport, 6, bytes_, packets)
    return _set(tid, recs)
