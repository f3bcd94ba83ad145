#!/usr/bin/env python3
"""Faults of the alert sinks (HOSTILE D-2, D-3) and hostile strings in
the alerts, against real servers on loopback: an SMTP relay (aiosmtpd)
that is down, slow or refusing, a unix syslog socket nobody reads, a spool
that cannot grow (a file size limit), a redis-server.  The sinks are driven
by tests/alertdrv.c, as in test_alert.py.

Usage: test_alert_faults.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import asyncio
import functools
import json
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
    if sys.executable != '/usr/bin/python3' and \
            os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

import email
import email.policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import Redis, Tap, free_tcp_port, wait_for  # noqa: E402
from alertharness import (det_line, drive, email_conf,  # noqa: E402
                          spool_files, write_conf)

BUILD, SRC = sys.argv[1], sys.argv[2]
DRV = os.path.join(BUILD, 'tests', 'alertdrv')

tap = Tap()
TMPS = []


def tmpdir():
    TMPS.append(tempfile.mkdtemp(prefix='fs-alertf-'))
    return TMPS[-1]


# ---- the driver: alertharness.py ------------------------------------------

drive = functools.partial(drive, DRV)


def spooled_ids(d):
    """The detection ids in the spooled mails of d."""
    ids = []
    for f in spool_files(d):
        with open(os.path.join(d, f), 'rb') as fp:
            ids += mail_ids(fp.read().decode())
    return ids


def mail_ids(text):
    return re.findall(r'^\[\d+/\d+\] \S+ \(\w+\)  id (\S+)\r?$', text, re.M)


# ---- an SMTP relay ------------------------------------------------------

class Relay:
    """aiosmtpd on 127.0.0.1: keeps every mail it accepts.  delay: seconds
    each DATA takes; refuse: a text that, in a mail, gets it a 554."""

    def __init__(self, port=None, delay=0, refuse=None):
        self.port = port or free_tcp_port()
        self.delay, self.refuse = delay, refuse
        self.mails, self.refusals = [], 0
        self.ctl = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse and self.refuse.encode() in envelope.content:
            self.refusals += 1
            return '554 5.6.0 Message content rejected'
        self.mails.append({'t': time.monotonic(), 'rcpt':
                           list(envelope.rcpt_tos), 'raw': envelope.content,
                           'msg': email.message_from_bytes(
                               envelope.content, policy=email.policy.strict)})
        return '250 OK queued'

    def ids(self):
        return [i for m in self.mails for i in mail_ids(
            m['msg'].get_body().get_content())]

    def start(self):
        self.ctl = Controller(self, hostname='127.0.0.1', port=self.port)
        self.ctl.start()
        return self

    def stop(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None


class UnixCollector:
    """A unix datagram socket; reading=False: nobody ever reads it."""

    def __init__(self, path, reading=True):
        self.path, self.msgs = path, []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.stop_ = False
        self.t = None
        if reading:
            self.t = threading.Thread(target=self.run, daemon=True)
            self.t.start()

    def run(self):
        while not self.stop_:
            try:
                self.msgs.append(self.sock.recv(65536))
            except socket.timeout:
                continue

    def drain(self):
        """What is queued (for the socket nobody read)."""
        self.sock.setblocking(False)
        try:
            while True:
                self.msgs.append(self.sock.recv(65536))
        except BlockingIOError:
            pass
        return self.msgs

    def close(self):
        self.stop_ = True
        if self.t:
            self.t.join()
        self.sock.close()


# ---- SMTP relay faults (HOSTILE D-3) ----------------------------------

def test_relay_down_restarts():
    """relay down: every detection is spooled, across an orderly exit and
    a SIGKILL of the driver; with the relay up each one is delivered
    exactly once"""
    tmp = tmpdir()
    port = free_tcp_port()                      # nothing listens there
    spool = os.path.join(tmp, 'spool', 'email')
    conf = email_conf(port, 'digest = 1s')
    first = [dict(id='a%d' % i, rule='scan', severity=('critical'
              if i % 10 == 0 else 'medium')) for i in range(40)]
    r = drive(tmp, conf, first, wait=2500, free=300)
    st = r.stats['email']
    assert not r.idle and st['delivered'] == 0 and st['failures'] >= 1, st
    assert sorted(spooled_ids(spool)) == sorted(d['id'] for d in first)
    # Killed: what was spooled stays (critical ones are spooled at once).
    second = [dict(id='b%d' % i, rule='irc', severity='critical')
              for i in range(10)]
    p = subprocess.Popen([DRV, '-f', write_conf(tmp, conf), '-w', '60000'],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, text=True)
    p.stdin.write(''.join(det_line(**d) + '\n' for d in second))
    p.stdin.close()
    try:
        wait_for(lambda: len([i for i in spooled_ids(spool)
                              if i.startswith('b')]) == 10,
                 what='ten critical mails spooled')
    finally:
        p.kill()
        p.wait()
    relay = Relay(port).start()
    try:
        r = drive(tmp, conf, wait=20000)
        st = r.stats['email']
        assert r.idle and st['delivered'] == 50, st
        got = relay.ids()
        assert sorted(got) == sorted(d['id'] for d in first + second), got
        assert len(got) == len(set(got)), 'sent twice'
        assert spool_files(spool) == []
        for m in relay.mails:
            assert m['rcpt'] == ['noc@example.net', 'sec@example.net']
    finally:
        relay.stop()


def test_relay_slow():
    """a relay that takes 1.5 s a mail: the file and syslog sinks deliver
    at once, the mails all go out in time"""
    tmp = tmpdir()
    relay = Relay(delay=1.5).start()
    ux = UnixCollector(os.path.join(tmp, 'log.sock'))
    path = os.path.join(tmp, 'alerts.ndjson')
    conf = email_conf(relay.port, 'digest = 0') + \
        '[alert file]\npath = %s\n[alert syslog]\nremote = unix:%s\n' % (
            path, ux.path)
    dets = [dict(id='s%d' % i, rule='mining', severity=('critical' if i < 3
            else 'high')) for i in range(30)]
    try:
        r = drive(tmp, conf, dets, wait=1000, free=20000)
        # After a second: the local sinks are done, the mail is not.
        assert r.stats['file']['delivered'] == 30, r.stats
        assert r.stats['syslog']['delivered'] == 30, r.stats
        assert r.stats['email']['delivered'] < 30, r.stats
        assert r.stats['email']['dropped'] == 0, r.stats
        # alert_free() gave it 20 s: everything was sent meanwhile.
        assert sorted(relay.ids()) == sorted(d['id'] for d in dets)
        assert len(relay.mails) <= 5, len(relay.mails)
        assert spool_files(os.path.join(tmp, 'spool', 'email')) == []
        with open(path) as f:
            assert len(f.readlines()) == 30
        assert len(ux.msgs) == 30
    finally:
        ux.close()
        relay.stop()


def test_relay_refuses_one_mail():
    """a relay that refuses one mail for good (554 after DATA): retried
    with backoff (1, 2, 4, 8 s), each refusal a failure, set aside as .bad
    at the 5th with a warning, and the mails behind it are delivered"""
    tmp = tmpdir()
    relay = Relay(refuse='id poison').start()
    spool = os.path.join(tmp, 'spool', 'email')
    dets = [dict(id='poison', rule='exfil', severity='critical'),
            dict(id='ok1', rule='irc', severity='critical'),
            dict(id='ok2', rule='scan', severity='critical')]
    try:
        # Never "idle" (one detection is neither delivered nor dropped):
        # the driver waits its 20 s; the 5th refusal comes at ~15 s.
        r = drive(tmp, email_conf(relay.port, 'digest = 0'), dets,
                  wait=20000, free=500)
        st = r.stats['email']
        assert st['delivered'] == 2 and st['queue'] == 0, st
        assert st['failures'] == 4 and st['spooled'] == 0, st
        assert st['up'] == 1, st
        assert relay.refusals == 5, relay.refusals
        assert sorted(relay.ids()) == ['ok1', 'ok2'], relay.ids()
        bad = spool_files(spool, '.bad')
        assert len(bad) == 1 and spool_files(spool) == [], os.listdir(spool)
        with open(os.path.join(spool, bad[0]), 'rb') as f:
            assert mail_ids(f.read().decode()) == ['poison']
        assert 'refused 5 times' in r.err and '(reply 554)' in r.err and \
            'set aside as %s.bad' % bad[0][:-4] in r.err, r.err
    finally:
        relay.stop()


# ---- syslog socket full, no space for the spool (HOSTILE D-2, D-3) -----

def test_syslog_socket_full():
    """a unix syslog socket nobody reads: the send gives up after its time
    limit, the sink's queue stays bounded and counts its drops, the other
    sinks deliver everything, and the driver still stops in time"""
    tmp = tmpdir()
    full = UnixCollector(os.path.join(tmp, 'full.sock'), reading=False)
    ok = UnixCollector(os.path.join(tmp, 'ok.sock'))
    path = os.path.join(tmp, 'alerts.ndjson')
    conf = ('[alert full]\ntype = syslog\nremote = unix:%s\n'
            '[alert syslog]\nremote = unix:%s\n[alert file]\npath = %s\n'
            % (full.path, ok.path, path))
    n = 6000
    dets = [dict(id='f%d' % i, rule='flood', severity='high')
            for i in range(n)]
    try:
        r = drive(tmp, conf, dets, wait=4000, free=1000, pace=(500, 0.05),
                  timeout=60)
        st = r.stats['full']
        assert st['queue'] <= 4096 and st['dropped'] >= n - 4096 - \
            st['delivered'], st
        assert st['queued'] + st['dropped'] == n, st
        assert st['failures'] >= 1 and st['up'] == 0, st
        assert 'not taken within' in r.err, r.err[-2000:]
        for name in ('syslog', 'file'):
            assert r.stats[name]['delivered'] == n, (name, r.stats[name])
            assert r.stats[name]['dropped'] == 0, (name, r.stats[name])
        assert r.took < 20, r.took
        assert len(ok.msgs) == n
        with open(path) as f:
            assert len(f.readlines()) == n
        # The full socket holds whole messages, one per detection.
        held = full.drain()
        assert len(held) >= st['delivered'] > 0, (len(held), st)
        for msg in held:
            assert msg.startswith(b'<27>1 ') and b'\n' not in msg, msg
            assert msg.count(b'[flowsentry@32473 ') == 1, msg
        assert 'detections not delivered' in r.err
    finally:
        full.close()
        ok.close()


def test_spool_no_space():
    """no room for the spool (RLIMIT_FSIZE smaller than a mail): a clear
    error, counted, no temporary file left behind, nothing crashes; the
    syslog sink is not held up"""
    tmp = tmpdir()
    relay = Relay().start()
    ux = UnixCollector(os.path.join(tmp, 'log.sock'))
    spool = os.path.join(tmp, 'spool', 'email')
    conf = email_conf(relay.port, 'digest = 0') + \
        '[alert syslog]\nremote = unix:%s\n' % ux.path
    dets = [dict(id='n%d' % i, rule='irc', severity='critical')
            for i in range(5)]
    try:
        r = drive(tmp, conf, dets, wait=2500, free=300, fsize=600)
        st = r.stats['email']
        assert st['failures'] >= 1 and st['delivered'] == 0, st
        assert st['spooled'] == 0, st
        assert 'spooling a mail in %s: File too large' % spool in r.err, \
            r.err
        assert 'detections not delivered' in r.err, r.err
        assert os.listdir(spool) == [], os.listdir(spool)
        assert relay.mails == []
        assert r.stats['syslog']['delivered'] == 5, r.stats
        assert len(ux.msgs) == 5
        # Room again: the next detections go through.
        r = drive(tmp, conf, dets[:2], wait=15000)
        assert r.idle and r.stats['email']['delivered'] == 2, r.stats
    finally:
        ux.close()
        relay.stop()


def test_file_no_space():
    """the alert file cannot grow past a limit: failures counted, the
    detection kept for a retry, and the file never holds half a line"""
    tmp = tmpdir()
    path = os.path.join(tmp, 'alerts.ndjson')
    conf = '[alert file]\npath = %s\n' % path
    one = drive(tmp, conf, [dict(id='x0', rule='scan')], wait=5000)
    assert one.stats['file']['delivered'] == 1
    size = os.path.getsize(path)
    r = drive(tmp, conf, [dict(id='x%d' % i, rule='scan')
                          for i in range(1, 4)],
              wait=1500, free=200, fsize=int(size * 2.5))
    st = r.stats['file']
    assert st['delivered'] == 1 and st['failures'] >= 1, st
    assert 'File too large' in r.err, r.err
    with open(path, 'rb') as f:
        lines = f.read().split(b'\n')
    assert lines[-1] == b'', lines[-1][:80]
    assert [json.loads(l)['id'] for l in lines[:-1]] == ['x0', 'x1']


# ---- hostile strings in the alerts (injection) ---------------------------

HOSTILE = [
    b'Evil\r\nBcc: victim@example.org\r\nX-Injected: 1',
    b'%n%s%x%p%n',
    b'$(reboot); `id` | rm -rf / && echo >x <y',
    b'"quoted" \'single\' \\back\\slash\\ ]close[ }{',
    b'nul\x00after the NUL',
    b'\xff\xfe\xc0\xaf\xed\xa0\x80 not utf-8 \xe2\x82',
    b'\x1b[31mred\x07\x7f\xc2\x85 \xe2\x80\xa8 \xe2\x80\xae rtl',
    b'\r\n.\r\nMAIL FROM:<x@y>\r\n',
    b'*3\r\n$8\r\nFLUSHALL\r\n',
    b'Z' * 2000,
]


def test_hostile_alert_strings():
    """hostile strings in every string of a detection: the email has the
    headers it should and no more, syslog one record per alert, the file
    valid JSON, the Redis stream the bytes as given and no command"""
    tmp = tmpdir()
    relay = Relay().start()
    ux = UnixCollector(os.path.join(tmp, 'log.sock'))
    redis = Redis(tmp=tmpdir()).start()
    redis.cli('SET', 'canary', 'alive')
    path = os.path.join(tmp, 'alerts.ndjson')
    conf = ('[redis]\nurl = %s\n' % redis.url +
            email_conf(relay.port, 'digest = 0') +
            '[alert syslog]\nremote = unix:%s\n[alert file]\npath = %s\n'
            '[alert redis]\n' % (ux.path, path))
    dets = []
    for i, h in enumerate(HOSTILE):
        dets.append(dict(id='h%d' % i, rule='unexpected-outbound',
                         severity='critical' if i % 2 else 'high',
                         as_org=h, app=h[:31], summary=h, group=h[:60],
                         service=h[:15], country=h[:2], rules=h[:40]))
    try:
        r = drive(tmp, conf, dets, wait=20000)
        assert r.idle, r.stats
        for name in ('email', 'syslog', 'file', 'redis'):
            assert r.stats[name]['delivered'] == len(dets), (name, r.stats)
        # Email: the same headers in every mail, none from a detection.
        assert sorted(relay.ids()) == sorted(d['id'] for d in dets)
        for mm in relay.mails:
            raw = mm['raw']
            head, _, body = raw.partition(b'\r\n\r\n')
            names = [l.split(b':')[0] for l in head.split(b'\r\n')
                     if not l.startswith(b' ')]
            assert names == [b'Date', b'From', b'To', b'Subject',
                             b'Message-ID', b'MIME-Version', b'Content-Type',
                             b'Content-Transfer-Encoding', b'Auto-Submitted',
                             b'X-Flowsentry-Detections'], names
            assert all(0x20 <= c < 0x7f or c in b'\r\n' for c in head), head
            assert re.search(rb'(?<!\r)\n|\r(?!\n)', raw) is None
            body.decode('utf-8')                   # strict
            assert b'\r\n.\r\n' not in body
            assert mm['rcpt'] == ['noc@example.net', 'sec@example.net']
        # Syslog: one datagram per detection, one line each, UTF-8.
        wait_for(lambda: len(ux.msgs) == len(dets), what='syslog messages')
        for msg in ux.msgs:
            assert b'\n' not in msg and b'\r' not in msg and b'\0' not in msg
            msg.decode('utf-8')
            assert msg.count(b'[flowsentry@32473 ') == 1
        # File: one valid JSON object per line.
        with open(path, 'rb') as f:
            lines = f.read().splitlines()
        assert len(lines) == len(dets)
        got = {}
        for raw in lines:
            o = json.loads(raw.decode('utf-8'))
            got[o['id']] = o
        assert set(got) == {d['id'] for d in dets}
        assert got['h0']['as_org'] == \
            'Evil\r\nBcc: victim@example.org\r\nX-Injected: 1'
        assert got['h4']['summary'] == 'nul'
        assert got['h1']['summary'] == '%n%s%x%p%n'
        # Redis: the stream holds what was given, and no command ran.
        assert redis.cli('GET', 'canary') == 'alive'
        assert redis.cli('XLEN', 'fs:alerts') == str(len(dets))
        vals = subprocess.run(['redis-cli', '-s', redis.sock, '--raw',
                               'XRANGE', 'fs:alerts', '-', '+'],
                              capture_output=True, timeout=10).stdout
        assert b'*3\r\n$8\r\nFLUSHALL\r\n' in vals
        assert b'$(reboot); `id` | rm -rf / && echo >x <y' in vals
        assert redis.cli('DBSIZE') == '2', redis.cli('KEYS', '*')
    finally:
        ux.close()
        relay.stop()
        redis.stop()


for t in (test_relay_down_restarts, test_relay_slow,
          test_relay_refuses_one_mail, test_syslog_socket_full,
          test_spool_no_space, test_file_no_space,
          test_hostile_alert_strings):
    if any(x in t.__name__ for x in
           os.environ.get('FS_ONLY', '').split(',')):
        tap.case(t)
for d in TMPS:
    shutil.rmtree(d, ignore_errors=True)
tap.done()
