"""Shared helpers for the integration tests: TAP output, free loopback
ports, a flowsentryd under test, and waiting on conditions (never sleep).

Every address used is on loopback (127.0.0.0/8, ::1).
"""
import threading
import struct
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def case(self, fn):
        """Run fn(); an AssertionError or any exception is a failure."""
        self.n += 1
        name = fn.__name__
        doc = (fn.__doc__ or '').strip().splitlines()
        desc = name + (': ' + doc[0] if doc else '')
        try:
            skip = fn()
        except Exception:
            self.failed += 1
            print('not ok %d - %s' % (self.n, desc), flush=True)
            for line in traceback.format_exc().splitlines():
                print('#   ' + line, flush=True)
            return
        if isinstance(skip, str):
            print('ok %d - %s # SKIP %s' % (self.n, desc, skip), flush=True)
        else:
            print('ok %d - %s' % (self.n, desc), flush=True)

    def done(self):
        print('1..%d' % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def free_udp_port(family=socket.AF_INET):
    """A UDP port free on both 127.0.0.1 and ::1 at the time of asking."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s6.bind(('::1', port))
            s6.close()
        except OSError:
            s.close()
            continue
        s.close()
        return port
    raise RuntimeError('no free UDP port')


def free_tcp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout=20.0, what='condition'):
    """Poll cond() until it returns a true value; fail after timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (OSError, ValueError):
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    raise AssertionError('timed out waiting for %s (last: %r)' % (what, last))


def metrics(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                timeout=5) as r:
        return r.read().decode()


def metric(page, name, labels=None):
    """The value of a metric (with exactly these labels), or None."""
    if labels:
        lab = ','.join('%s="%s"' % kv for kv in labels.items())
        pat = r'^%s\{%s\} (\S+)$' % (re.escape(name), re.escape(lab))
    else:
        pat = r'^%s (\S+)$' % re.escape(name)
    m = re.search(pat, page, re.M)
    return float(m.group(1)) if m else None


class Daemon:
    """flowsentryd -d with a config written to a temporary directory."""

    def __init__(self, binary, conf_text, tmp=None, args=(), env=None):
        self.binary = binary
        self.env = env
        self.tmp = tmp or tempfile.mkdtemp(prefix='fs-it-')
        self.conf = os.path.join(self.tmp, 'flowsentry.conf')
        self.log = os.path.join(self.tmp, 'daemon.log')
        self.write_conf(conf_text)
        self.args = list(args)
        self.proc = None

    def write_conf(self, text):
        tmp = self.conf + '.new'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.conf)

    def start(self, wait_metrics=None):
        self.logf = open(self.log, 'ab')
        self.proc = subprocess.Popen([self.binary, '-d', '-f', self.conf] +
                                     self.args, stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait_metrics:
            wait_for(lambda: self.alive() and metrics(wait_metrics),
                     what='metrics endpoint of flowsentryd')
        return self

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError('flowsentryd exited %d:\n%s' %
                                 (self.proc.returncode, self.logtext()))
        return True

    def logtext(self):
        with open(self.log, 'rb') as f:
            return f.read().decode(errors='replace')

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError('flowsentryd did not stop on SIGTERM')
        if self.proc:
            self.logf.close()
        return self.proc.returncode if self.proc else None


def send_udp(port, payloads, host='127.0.0.1'):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for p in payloads:
        s.sendto(p, (host, port))
    s.close()


class Redis:
    """A private redis-server on a unix socket in a temporary directory.

    port: also listen on 127.0.0.1:port (tcp_url()); password: requirepass
    (cli() authenticates with it); args: more redis-server options."""

    def __init__(self, tmp=None, port=None, password=None, args=()):
        self.tmp = tmp or tempfile.mkdtemp(prefix='fs-redis-')
        self.sock = os.path.join(self.tmp, 'redis.sock')
        self.proc = None
        self.port = port
        self.password = password
        self.args = list(args)

    @property
    def url(self):
        return 'unix:' + self.sock

    def tcp_url(self, password=None):
        """redis://[:PASSWORD@]127.0.0.1:PORT (needs port)."""
        pw = ':%s@' % password if password is not None else ''
        return 'redis://%s127.0.0.1:%d' % (pw, self.port)

    def start(self):
        net = (['--port', str(self.port), '--bind', '127.0.0.1']
               if self.port else ['--port', '0'])
        auth = ['--requirepass', self.password] if self.password else []
        self.proc = subprocess.Popen(
            ['redis-server'] + net + ['--unixsocket', self.sock,
             '--unixsocketperm', '700', '--save', '', '--appendonly', 'no',
             '--dir', self.tmp] + auth + self.args, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_for(lambda: self.cli('PING') == 'PONG', what='redis-server')
        return self

    def cli(self, *args):
        auth = ['--no-auth-warning', '-a', self.password] \
            if self.password else []
        p = subprocess.run(['redis-cli', '-s', self.sock] + auth + list(args),
                           capture_output=True, text=True, timeout=10)
        return p.stdout.strip()

    def cli_bg(self, *args):
        """redis-cli in the background (DEBUG SLEEP ...): the Popen."""
        auth = ['--no-auth-warning', '-a', self.password] \
            if self.password else []
        return subprocess.Popen(['redis-cli', '-s', self.sock] + auth +
                                list(args), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Tee:
    """A UDP relay on loopback: keeps every datagram an exporter sends (with
    its arrival time) and forwards it to the daemon from its own socket,
    so the daemon and `flowsentry decode` of the kept datagrams see the
    same bytes from the same exporter address."""

    def __init__(self, dst_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.dst = ('127.0.0.1', dst_port)
        self.kept, self.stop_ = [], False
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop_:
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            self.kept.append((time.time(), data))
            self.sock.sendto(data, self.dst)

    def close(self):
        self.stop_ = True
        self.t.join()
        self.sock.close()

    def write_pcap(self, path):
        """Classic pcap, Ethernet, IPv4/UDP from 127.0.0.1:port."""
        write_udp_pcap(path, [(ts, ('127.0.0.1', self.port), self.dst, data)
                              for ts, data in self.kept])


def write_udp_pcap(path, datagrams):
    """A classic pcap (Ethernet, IPv4 with its header checksum, UDP) of
    (time, (src addr, port), (dst addr, port), payload) tuples."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, src, dst, data in datagrams:
            udp = struct.pack('>HHHH', src[1], dst[1], 8 + len(data),
                              0) + data
            hdr = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0,
                              0, 64, 17, 0, socket.inet_aton(src[0]),
                              socket.inet_aton(dst[0]))
            s = sum(struct.unpack('>10H', hdr))
            while s >> 16:
                s = (s & 0xffff) + (s >> 16)
            hdr = hdr[:10] + struct.pack('>H', ~s & 0xffff) + hdr[12:]
            frame = b'\0' * 12 + b'\x08\x00' + hdr + udp
            f.write(struct.pack('<IIII', int(ts), int(ts % 1 * 1e6),
                                len(frame), len(frame)) + frame)


# ---- helpers for fault and flood tests ---------------------------------

def metric_sum(page, name):
    """The sum of a metric over all its label sets (0 when absent)."""
    return sum(float(v) for v in re.findall(
        r'^%s(?:\{[^}]*\})? (\S+)$' % re.escape(name), page, re.M))


def metric_labels(page, name, label):
    """{label value: metric value} of a labelled metric."""
    out = {}
    for lab, v in re.findall(r'^%s\{([^}]*)\} (\S+)$' % re.escape(name),
                             page, re.M):
        m = re.search(r'%s="([^"]*)"' % re.escape(label), lab)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + float(v)
    return out


def rss_kb(pid):
    """VmRSS of a process in kB (from /proc/PID/status)."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError('no VmRSS for %d' % pid)


def send_from(src, port, payloads, dst='127.0.0.1'):
    """Send payloads to dst:port from a socket bound to src (any address
    of 127.0.0.0/8 is ours on Linux): a distinct exporter per source."""
    fam = socket.AF_INET6 if ':' in src else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for p in payloads:
        s.sendto(p, (dst, port))
    s.close()


def udp_drops(port):
    """The kernel's drop count of the UDP socket bound to port
    (/proc/net/udp and udp6), or None when there is none."""
    total, found = 0, False
    for path in ('/proc/net/udp', '/proc/net/udp6'):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[1].split(':')[1], 16) == port:
                    total += int(fields[-1])
                    found = True
    return total if found else None


def udp_rxq(port):
    """Bytes waiting in the receive queues of the UDP sockets bound to
    port (/proc/net/udp and udp6)."""
    total = 0
    for path in ('/proc/net/udp', '/proc/net/udp6'):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[1].split(':')[1], 16) == port:
                    total += int(fields[4].split(':')[1], 16)
    return total


def backpressure(port, limit=32768, timeout=30.0):
    """Wait until the receiver of port has less than limit bytes queued:
    a flood as fast as the daemon takes it, never beyond its buffer."""
    deadline = time.monotonic() + timeout
    while udp_rxq(port) > limit:
        if time.monotonic() > deadline:
            raise AssertionError('port %d: the queue does not drain' % port)
        time.sleep(0.001)


def write_pcap(path, datagrams, sport=40000, dport=2055):
    """Classic pcap (Ethernet, IPv4/UDP 127.0.0.1:sport -> :dport) of the
    given payloads, one frame each, 1 ms apart."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        ts = time.time()
        for i, data in enumerate(datagrams):
            udp = struct.pack('>HHHH', sport, dport, 8 + len(data), 0) + data
            ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0,
                             64, 17, 0, socket.inet_aton('127.0.0.1'),
                             socket.inet_aton('127.0.0.1')) + udp
            frame = b'\0' * 12 + b'\x08\x00' + ip
            t = ts + i / 1000.0
            f.write(struct.pack('<IIII', int(t), int(t % 1 * 1e6),
                                len(frame), len(frame)) + frame)
