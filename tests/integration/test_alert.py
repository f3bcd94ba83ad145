#!/usr/bin/env python3
"""Integration tests of the alert sinks against real servers on loopback:
an SMTP relay (aiosmtpd, Debian's python3-aiosmtpd), syslog collectors on
UDP, TCP and a unix datagram socket, and a redis-server.  The sinks are
driven by tests/alertdrv.c (no daemon): it reads a config, pushes the
detections given on stdin, waits, prints the stats of each sink and frees
them.

Usage: test_alert.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:
    # python3-aiosmtpd is a Debian package: it lives beside the system
    # python, which may not be the python3 first on PATH.
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

import email
import email.policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import (Redis, Tap, free_tcp_port, free_udp_port,  # noqa: E402
                       wait_for)
from alertharness import (Run, det_line, drive, email_conf,  # noqa: E402
                          spool_files, write_conf)

BUILD, SRC = sys.argv[1], sys.argv[2]
DRV = os.path.join(BUILD, 'tests', 'alertdrv')
HOSTILE = 'Evil "Corp"]\\\r\nBcc: victim@example.org\r\n\x01'

tap = Tap()
TMPS = []


def tmpdir():
    """A temporary directory, removed when the tests are done."""
    TMPS.append(tempfile.mkdtemp(prefix='fs-alert-'))
    return TMPS[-1]


# ---- the driver: alertharness.py ------------------------------------------

drive = functools.partial(drive, DRV)


def start(tmp, conf, dets, wait):
    """alertdrv in the background, its log in tmp/drv.log."""
    log = os.path.join(tmp, 'drv.log')
    with open(log, 'w') as lf:
        p = subprocess.Popen([DRV, '-f', conf, '-w', str(wait)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=lf, text=True)
    p.stdin.write(''.join(det_line(**d) + '\n' for d in dets))
    p.stdin.close()
    return p, log


def finish(p):
    out = p.stdout.read()
    p.wait(timeout=60)
    if p.returncode != 0:
        raise AssertionError('alertdrv exited %d' % p.returncode)
    return Run(out, '', p.returncode)


def logged(path, text):
    with open(path) as f:
        return text in f.read()


# ---- an SMTP relay ----------------------------------------------------

class Relay:
    """aiosmtpd on 127.0.0.1: keeps every mail it accepts; rcpt_reply or
    data_reply (e.g. '550 ...') make it refuse at that step."""

    def __init__(self, port=None):
        self.port = port or free_tcp_port()
        self.mails = []
        self.attempts = 0
        self.rcpt_reply = None
        self.data_reply = None
        self.ctl = None

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.rcpt_reply:
            self.attempts += 1
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.data_reply:
            return self.data_reply
        msg = email.message_from_bytes(envelope.content,
                                       policy=email.policy.default)
        self.mails.append({'t': time.monotonic(), 'from': envelope.mail_from,
                           'to': list(envelope.rcpt_tos), 'msg': msg,
                           'raw': envelope.content})
        return '250 OK queued'

    def start(self):
        self.ctl = Controller(self, hostname='127.0.0.1', port=self.port)
        self.ctl.start()
        return self

    def stop(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None


def body_of(mail):
    return mail['msg'].get_body().get_content()


# ---- email ------------------------------------------------------------

def test_mail_content():
    """a detection becomes one readable mail, nothing hostile in a header"""
    tmp = tmpdir()
    relay = Relay().start()
    try:
        r = drive(tmp, email_conf(relay.port, 'digest = 0'),
                  [dict(rule='irc', severity='high', as_org=HOSTILE,
                        app='IRC\nX-Evil: 1', summary='joins #botnet' + HOSTILE,
                        group='web')], wait=15000)
        assert r.idle, r.stats
        st = r.stats['email']
        assert st['delivered'] == 1 and st['failures'] == 0, st
        assert st['spooled'] == 0 and st['up'] == 1, st
        assert len(relay.mails) == 1, relay.mails
        m = relay.mails[0]
        assert m['from'] == 'flowsentry@example.net', m['from']
        assert m['to'] == ['noc@example.net', 'sec@example.net'], m['to']
        msg = m['msg']
        assert msg['Subject'] == ('flowsentry: [high] irc on 192.0.2.11 -> '
                                  '198.51.100.7:6667/tcp'), msg['Subject']
        for h in ('Date', 'From', 'To', 'Message-ID', 'MIME-Version'):
            assert msg[h], h
        assert msg.get_content_type() == 'text/plain'
        assert msg.get_content_charset() == 'utf-8'
        assert msg['Bcc'] is None and msg['X-Evil'] is None, msg.keys()
        raw = m['raw']
        assert b'\r\nBcc:' not in raw and b'\nX-Evil' not in raw
        body = body_of(m)
        for want in ('irc (high)  id 1000',
                     'Host:        192.0.2.11 (group web)',
                     'Destination: 198.51.100.7 port 6667 tcp, service '
                     'tcp/6667, app IRC X-Evil: 1',
                     'Country:     NL',
                     'AS:          AS64500 Evil "Corp"]\\  Bcc: '
                     'victim@example.org   ',
                     'Traffic:     3 flows, 4567 bytes, 21 packets',
                     'First seen:  ', ' UTC',
                     'Summary:     joins #botnetEvil',
                     'To allow:    flowsentry allow 1000 --scope host'):
            assert want in body, (want, body)
        assert spool_files(os.path.join(tmp, 'spool', 'email')) == []
    finally:
        relay.stop()


def test_relay_down_then_up():
    """relay down: spooled; next start with the relay up: sent exactly once"""
    tmp = tmpdir()
    port = free_tcp_port()			# nothing listens there
    spool = os.path.join(tmp, 'spool', 'email')
    conf = email_conf(port, 'digest = 0')
    r = drive(tmp, conf, [dict(rule='smtp-from-non-mail', severity='high')],
              wait=1500, free=300)
    st = r.stats['email']
    assert not r.idle and st['failures'] >= 1 and st['up'] == 0, st
    assert st['spooled'] == 1 and st['delivered'] == 0, st
    files = spool_files(spool)
    assert len(files) == 1, files
    with open(os.path.join(spool, files[0]), 'rb') as f:
        spooled = email.message_from_bytes(f.read(),
                                           policy=email.policy.default)
    relay = Relay(port).start()
    try:
        r = drive(tmp, conf, wait=15000)
        st = r.stats['email']
        assert r.idle and st['delivered'] == 1 and st['spooled'] == 0, st
        assert len(relay.mails) == 1
        assert relay.mails[0]['msg']['Message-ID'] == spooled['Message-ID']
        assert spool_files(spool) == []
        r = drive(tmp, conf, wait=500)		# nothing left to send
        assert r.idle and r.stats['email']['delivered'] == 0, r.stats
        assert len(relay.mails) == 1, 'sent twice'
    finally:
        relay.stop()


def test_relay_rejects():
    """550 and 451 from the relay: retried with backoff, kept in the spool"""
    tmp = tmpdir()
    relay = Relay().start()
    spool = os.path.join(tmp, 'spool', 'email')
    conf = email_conf(relay.port, 'digest = 0')
    try:
        relay.rcpt_reply = '550 5.1.1 No such user'
        r = drive(tmp, conf, [dict(rule='irc', severity='high')], wait=2500,
                  free=300)
        st = r.stats['email']
        # Tried at once, after 1 s and 2 s (the last one when freed).
        assert st['failures'] >= 2 and st['delivered'] == 0, st
        assert st['spooled'] == 1 and relay.attempts >= 2, (st,
                                                            relay.attempts)
        assert relay.mails == [] and len(spool_files(spool)) == 1
        relay.rcpt_reply, relay.attempts = None, 0
        relay.data_reply = '451 4.3.0 Try again later'
        r = drive(tmp, conf, wait=2500, free=300)
        st = r.stats['email']
        assert st['failures'] >= 2 and st['spooled'] == 1, st
        assert relay.attempts >= 2 and relay.mails == []
        relay.data_reply = None
        r = drive(tmp, conf, wait=15000)
        st = r.stats['email']
        assert r.idle and st['delivered'] == 1 and st['failures'] == 0, st
        assert len(relay.mails) == 1 and spool_files(spool) == []
    finally:
        relay.stop()


def test_silent_relay():
    """a relay that never answers: alert_free keeps to its time, spooled"""
    tmp = tmpdir()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(4)			# connections wait, never greeted
    try:
        t0 = time.monotonic()
        r = drive(tmp, email_conf(srv.getsockname()[1], 'digest = 0'),
                  [dict(rule='irc', severity='high')], wait=500, free=1000)
        took = time.monotonic() - t0
        assert took < 10, took		# not curl's 60 s
        assert not r.idle and r.stats['email']['delivered'] == 0, r.stats
        assert len(spool_files(os.path.join(tmp, 'spool', 'email'))) == 1
    finally:
        srv.close()


def test_digest():
    """a digest groups detections into one mail; a critical one goes at once"""
    tmp = tmpdir()
    relay = Relay().start()
    try:
        dets = [dict(id='11', rule='scan', severity='medium'),
                dict(id='12', rule='mining', severity='critical'),
                dict(id='13', rule='irc', severity='medium'),
                dict(id='14', rule='proxy-tor', severity='medium'),
                dict(id='15', rule='unexpected-outbound', severity='low')]
        r = drive(tmp, email_conf(relay.port, 'digest = 2s\n'
                                  'min_severity = medium'), dets, wait=20000)
        st = r.stats['email']
        assert r.idle and st['delivered'] == 4 and st['filtered'] == 1, st
        assert st['queued'] == 4, st
        assert len(relay.mails) == 2, [m['msg']['Subject']
                                       for m in relay.mails]
        crit, dig = relay.mails
        assert crit['msg']['Subject'].startswith(
            'flowsentry: [critical] mining on 192.0.2.11'), crit['msg']['Subject']
        assert dig['msg']['Subject'] == \
            'flowsentry: 3 new detections (3 medium)', dig['msg']['Subject']
        body = body_of(dig)
        for i, rule in enumerate(('scan', 'irc', 'proxy-tor')):
            assert '[%d/3] %s (medium)' % (i + 1, rule) in body, body
        assert 'unexpected-outbound (low)' not in body
        assert 'flowsentry allow 14 ' in body
        # The digest waited for its interval; the critical one did not.
        assert dig['t'] - crit['t'] > 1.0, dig['t'] - crit['t']
    finally:
        relay.stop()


# ---- syslog -----------------------------------------------------------

SD_PARAM = re.compile(r'(\w+)="((?:[^"\\\]]|\\["\\\]])*)"')


def parse_5424(m):
    """(pri, header fields, {sd params}, msg) of an RFC 5424 message."""
    mo = re.match(r'<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) '
                  r'(\S+) (\d+) (\S+) \[flowsentry@32473((?: \w+="(?:[^"\\\]]|'
                  r'\\["\\\]])*")*)\] (.*)$', m, re.S)
    assert mo, m
    params = {k: re.sub(r'\\(["\\\]])', r'\1', v)
              for k, v in SD_PARAM.findall(mo.group(7))}
    return int(mo.group(1)), mo.group(2, 3, 4, 5, 6), params, mo.group(8)


class TcpCollector:
    """Reads octet-counted frames (RFC 6587) on 127.0.0.1."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.data = b''
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        c, _ = self.sock.accept()
        while True:
            b = c.recv(65536)
            if not b:
                break
            self.data += b
        c.close()

    def frames(self):
        out, d = [], self.data
        while d:
            n, _, rest = d.partition(b' ')
            out.append(rest[:int(n)].decode())
            d = rest[int(n):]
        return out


def recv_all(sock, n):
    sock.settimeout(10)
    return [sock.recv(65536).decode() for _ in range(n)]


def test_syslog():
    """RFC 5424 over UDP, TCP (octet counting) and a unix socket; RFC 3164"""
    tmp = tmpdir()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(('127.0.0.1', 0))
    udp3164 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp3164.bind(('127.0.0.1', 0))
    ux_path = os.path.join(tmp, 'log.sock')
    ux = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ux.bind(ux_path)
    tcp = TcpCollector()
    conf = """[alert syslog]
remote = udp://127.0.0.1:%d
[alert tcp]
type = syslog
remote = tcp://127.0.0.1:%d
facility = local4
[alert unix]
type = syslog
remote = unix:%s
[alert old]
type = syslog
format = 3164
remote = udp://127.0.0.1:%d
""" % (udp.getsockname()[1], tcp.port, ux_path, udp3164.getsockname()[1])
    dets = [dict(id='21', rule='irc', severity='high', as_org=HOSTILE,
                 summary='line1\nline2'),
            dict(id='22', rule='scan', severity='low', group='web')]
    r = drive(tmp, conf, dets, wait=10000)
    assert r.idle, r.stats
    for name in ('syslog', 'tcp', 'unix', 'old'):
        st = r.stats[name]
        assert st['delivered'] == 2 and st['failures'] == 0, (name, st)
    wait_for(lambda: len(tcp.frames()) == 2, what='two TCP frames')
    got = {'syslog': recv_all(udp, 2), 'tcp': tcp.frames(),
           'unix': recv_all(ux, 2)}
    for name, msgs in got.items():
        fac = 20 if name == 'tcp' else 3
        for m, d in zip(msgs, dets):
            assert '\n' not in m and '\r' not in m, m
            pri, hdr, sd, text = parse_5424(m)
            assert hdr[2] == 'flowsentry-alert' and hdr[3].isdigit(), hdr
            assert hdr[4] == 'detection', hdr
            assert sd['id'] == d['id'] and sd['rule'] == d['rule'], sd
            assert sd['severity'] == d['severity'], sd
            assert sd['host'] == '192.0.2.11' and sd['dport'] == '6667', sd
            assert sd['service'] == 'tcp/6667' and sd['app'] == 'IRC', sd
            assert 'summary' not in sd
            if d['severity'] == 'high':
                assert pri == fac * 8 + 3, (name, pri)
                assert sd['as_org'] == 'Evil "Corp"]\\  Bcc: ' \
                    'victim@example.org   ', sd['as_org']
                assert text == 'irc (high): line1 line2', text
            else:
                assert pri == fac * 8 + 5, (name, pri)
                assert sd['group'] == 'web'
    old = recv_all(udp3164, 2)
    assert re.match(r'<27>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ '
                    r'flowsentry-alert\[\d+\]: \[flowsentry@32473 id="21" ',
                    old[0]), old[0]
    assert old[1].endswith('scan (low): 192.0.2.11 talks IRC'), old[1]
    for s in (udp, udp3164, ux):
        s.close()


def test_syslog_tcp_reconnect():
    """a TCP collector that is not there yet: retried until it is"""
    tmp = tmpdir()
    port = free_tcp_port()
    conf = write_conf(tmp, '[alert syslog]\nremote = tcp://127.0.0.1:%d\n'
                      % port)
    p, log = start(tmp, conf, [dict(id='31', rule='flood',
                                    severity='critical')], 20000)
    wait_for(lambda: logged(log, 'Connection refused'),
             what='a refused connection')
    col = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    col.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    col.bind(('127.0.0.1', port))
    col.listen(1)
    r = finish(p)
    st = r.stats['syslog']
    assert r.idle and st['delivered'] == 1 and st['failures'] >= 1, st
    c, _ = col.accept()
    c.settimeout(10)
    data = b''
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    n, _, m = data.decode().partition(' ')
    assert int(n) == len(m.encode()), data
    assert parse_5424(m)[2]['id'] == '31'
    assert parse_5424(m)[0] == 3 * 8 + 2		# daemon, LOG_CRIT
    c.close()
    col.close()


# ---- redis ------------------------------------------------------------

def xrange(redis, key):
    """[{field: value}] of the stream (values without newlines)."""
    lines = redis.cli('XRANGE', key, '-', '+').splitlines()
    out, i = [], 0
    while i < len(lines):
        if re.match(r'^\d+-\d+$', lines[i]):
            out.append({})
            i += 1
            continue
        out[-1][lines[i]] = lines[i + 1] if i + 1 < len(lines) else ''
        i += 2
    return out


def test_redis():
    """XADD to the stream with every field; reconnects when Redis comes up"""
    tmp = tmpdir()
    redis = Redis().start()
    try:
        conf = '[redis]\nurl = %s\n[alert redis]\nmaxlen = 1000\n' \
            '[alert crit]\ntype = redis\nstream = crit\n' \
            'min_severity = critical\n' % redis.url
        r = drive(tmp, conf, [dict(id='41', rule='exfil', severity='high',
                                   as_org='Example "AS" \\ x'),
                              dict(id='42', rule='mining',
                                   severity='critical')], wait=10000)
        assert r.idle, r.stats
        assert r.stats['redis']['delivered'] == 2, r.stats
        assert r.stats['crit']['delivered'] == 1, r.stats
        assert r.stats['crit']['filtered'] == 1, r.stats
        assert redis.cli('XLEN', 'fs:alerts') == '2'
        assert redis.cli('XLEN', 'crit') == '1'
        ents = xrange(redis, 'fs:alerts')
        assert [e['id'] for e in ents] == ['41', '42'], ents
        e = ents[0]
        assert e['rule'] == 'exfil' and e['severity'] == 'high', e
        assert e['as_org'] == 'Example "AS" \\ x', e
        assert e['host'] == '192.0.2.11' and e['dst'] == '198.51.100.7', e
        assert e['dport'] == '6667' and e['summary'] == '192.0.2.11 talks IRC'
        assert xrange(redis, 'crit')[0]['rule'] == 'mining'
    finally:
        redis.stop()

    # Redis not up yet: the detection waits and is written once it is.
    redis = Redis()
    conf = write_conf(tmp, '[redis]\nurl = %s\n[alert redis]\n' % redis.url)
    p, log = start(tmp, conf, [dict(id='43', rule='scan', severity='low')],
                   30000)
    try:
        wait_for(lambda: logged(log, 'alert redis: redis'),
                 what='a failed connection to redis')
        redis.start()
        r = finish(p)
        st = r.stats['redis']
        assert r.idle and st['delivered'] == 1 and st['failures'] >= 1, st
        assert [e['id'] for e in xrange(redis, 'fs:alerts')] == ['43']
    finally:
        if p.poll() is None:
            p.kill()
        redis.stop()


for t in (test_mail_content, test_relay_down_then_up, test_relay_rejects,
          test_silent_relay, test_digest, test_syslog, test_syslog_tcp_reconnect, test_redis):
    tap.case(t)
for d in TMPS:
    shutil.rmtree(d, ignore_errors=True)
tap.done()
