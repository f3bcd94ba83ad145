#!/usr/bin/env python3
"""End to end: traffic -> softflowd -> flowsentryd -> detections.

The traffic of mktraffic.py (two web servers answering clients, a mail
server sending mail, and a second web server that spams, joins IRC and
scans tcp/22) is turned into NetFlow v9 by a real exporter (softflowd
reading the capture) and replayed into flowsentryd with a real
redis-server, a real SMTP server (aiosmtpd, down during the first run)
and a syslog socket.  Then `flowsentry allow` on the IRC detection and a
second replay.

    test_detect.py BUILD_DIR SOURCE_DIR
"""
import json
import mailbox
import os
import pwd
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mktraffic  # noqa: E402
from fsharness import (Daemon, Redis, Tap, Tee, free_tcp_port,  # noqa: E402
                       free_udp_port, metric, metrics, wait_for)

BUILD, SRC = sys.argv[1], sys.argv[2]
FSD = os.path.join(BUILD, 'flowsentryd')
FS = os.path.join(BUILD, 'tools', 'flowsentry')
SYS_PYTHON = '/usr/bin/python3'        # Debian's, with python3-aiosmtpd
WEB1, WEB2, MAIL = '192.0.2.10', '192.0.2.11', '192.0.2.25'
EXPECTED = {('smtp-from-non-mail', 'tcp/25'), ('irc', 'tcp/6667'),
            ('scan', 'tcp/22')}


class Syslog:
    """A unix datagram socket standing in for /dev/log."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.lines, self.stop_ = [], False
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop_:
            try:
                self.lines.append(self.sock.recv(65536).decode(
                    errors='replace'))
            except socket.timeout:
                continue

    def close(self):
        self.stop_ = True
        self.t.join()
        self.sock.close()


class Smtp:
    """aiosmtpd delivering into a Maildir."""

    def __init__(self, port, maildir):
        self.port, self.maildir, self.proc = port, maildir, None

    def start(self):
        self.proc = subprocess.Popen(
            [SYS_PYTHON, '-m', 'aiosmtpd', '-n', '-c',
             'aiosmtpd.handlers.Mailbox', self.maildir,
             '-l', '127.0.0.1:%d' % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close()
                return True
            except OSError:
                return False
        wait_for(up, what='aiosmtpd')

    def messages(self):
        if not os.path.isdir(os.path.join(self.maildir, 'new')):
            return []
        return list(mailbox.Maildir(self.maildir, create=False))

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def conf(tmp, port, mport, redis, smtp_port, syslog_path, learning='0'):
    wl = os.path.join(tmp, 'wl')
    os.makedirs(wl, exist_ok=True)
    with open(os.path.join(wl, 'site.wl'), 'w') as f:
        f.write('# who          service  where  expires  comment\n'
                '@mail-servers  tcp/25   any    -        outbound mail\n')
    return '''[collector]
listen = 127.0.0.1:%d
state_dir = %s
metrics = 127.0.0.1:%d
user = %s
[network]
local = 192.0.2.0/24
[group mail-servers]
hosts = %s
[group web]
hosts = %s %s
[redis]
url = %s
flush_interval = 1
[detect]
rules = %s/rules/*.rules
whitelist = %s/*.wl
learning = %s
[alert file]
path = %s/alerts.ndjson
[alert syslog]
remote = unix:%s
[alert email]
url = smtp://127.0.0.1:%d
from = flowsentry@example.net
to = noc@example.net
digest = 2s
[alert redis]
stream = alerts
''' % (port, tmp, mport, pwd.getpwuid(os.geteuid()).pw_name, MAIL, WEB1, WEB2, redis.url, SRC, wl,
       learning, tmp, syslog_path, smtp_port)


def replay(pcap, port):
    """softflowd reads the traffic and exports NetFlow v9 through a Tee."""
    tee = Tee(port)
    try:
        subprocess.run(['softflowd', '-r', pcap, '-v', '9', '-c', 'none',
                        '-n', '127.0.0.1:%d' % tee.port], check=True,
                       timeout=120, capture_output=True)
        time.sleep(0.5)
    finally:
        tee.close()
    return len(tee.kept)


def ndjson(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def first_replay(d, pcap, port, alerts):
    """Replay the traffic; the detections once three came and the settle
    time (2 s) for anything more has passed."""
    assert replay(pcap, port) > 0
    wait_for(lambda: d.alive() and len(ndjson(alerts)) >= 3,
             timeout=30, what='three detections')
    time.sleep(4)
    return ndjson(alerts)


def fs(*args, check=True):
    p = subprocess.run([FS] + list(args), capture_output=True, text=True,
                       timeout=30)
    if check and p.returncode != 0:
        raise AssertionError('flowsentry %s: %s' % (' '.join(args),
                                                     p.stderr))
    return p


def hgetalls(redis):
    """How many HGETALLs the Redis has served (a whitelist reload is one
    of Pwl and one of Plearn)."""
    for line in redis.cli('INFO', 'commandstats').splitlines():
        if line.startswith('cmdstat_hgetall:'):
            return int(line.split('calls=')[1].split(',')[0])
    return 0


class Rig:
    """A private redis-server, a syslog socket and flowsentryd with
    conf(), in a temporary directory: what each test here starts."""

    def __init__(self, prefix, learning='0'):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.redis = Redis()
        self.redis.start()
        self.port, self.mport = free_udp_port(), free_tcp_port()
        self.sport = free_tcp_port()
        self.syslog = Syslog(os.path.join(self.tmp, 'log.sock'))
        self.d = Daemon(FSD, conf(self.tmp, self.port, self.mport,
                                  self.redis, self.sport, self.syslog.path,
                                  learning=learning), tmp=self.tmp)

    def stop(self):
        self.d.stop()
        self.syslog.close()
        self.redis.stop()


def test_end_to_end():
    """softflowd's exports of the traffic yield exactly the spam, IRC and
    scan detections of web2, in the file, syslog, Redis and by mail (the
    relay down at first); `flowsentry allow` silences IRC on a second
    replay with one audit entry"""
    r = Rig('fs-detect-')
    tmp, redis, syslog, d, port, mport = \
        r.tmp, r.redis, r.syslog, r.d, r.port, r.mport
    pcap = os.path.join(tmp, 'traffic.pcap')
    mktraffic.write_pcap(pcap)
    smtp = Smtp(r.sport, os.path.join(tmp, 'maildir'))
    alerts = os.path.join(tmp, 'alerts.ndjson')
    cfgarg = ['-f', d.conf]
    try:
        d.start(wait_metrics=mport)
        dets = first_replay(d, pcap, port, alerts)
        got = {(x['rule'], x['service']) for x in dets}
        assert got == EXPECTED and len(dets) == 3, dets
        for x in dets:
            assert x['host'] == WEB2, x
            assert x['group'] == 'web', x
            assert x['flows'] > 0 and x['bytes'] > 0 and x['packets'] > 0
            for k in ('id ts rule severity host group dst dport proto '
                      'service app country asn as_org flows bytes packets '
                      'first last summary').split():
                assert k in x, (k, x)
        by_rule = {x['rule']: x for x in dets}
        assert 'unexpected-outbound' in by_rule['irc']['rules'], by_rule
        assert by_rule['irc']['dst'] == mktraffic.IRC_SERVER
        assert by_rule['scan']['dst_scope'] == 'many'
        # the one IRC connection, counted once although two rules saw it
        assert by_rule['irc']['flows'] == 1, by_rule['irc']

        # syslog: RFC 5424 lines naming each detection
        wait_for(lambda: sum(any(x['id'] in l for l in syslog.lines)
                             for x in dets) == 3, timeout=20,
                 what='syslog lines')
        assert all(l.startswith('<') and '>1 ' in l[:8]
                   for l in syslog.lines), syslog.lines[:3]

        # Redis: the hashes, the index, the stream, the sink's stream
        for x in dets:
            assert redis.cli('HGET', 'fs:det:' + x['id'], 'rule') == x['rule']
        assert redis.cli('ZCARD', 'fs:dets') == '3'
        assert redis.cli('XLEN', 'fs:detections') == '3'
        wait_for(lambda: redis.cli('XLEN', 'alerts') == '3', timeout=20,
                 what='the redis sink')
        out = fs('detections', '--json', *cfgarg).stdout
        assert {json.loads(l)['id'] for l in out.splitlines()} == \
            {x['id'] for x in dets}

        # email: the relay was down; once it is up, one digest with all three
        assert smtp.messages() == []
        smtp.start()
        wait_for(lambda: len(smtp.messages()) >= 1, timeout=90,
                 what='the mail after the relay came back')
        time.sleep(3)
        msgs = smtp.messages()
        body = ''.join(m.get_payload(decode=True).decode(errors='replace')
                       for m in msgs)
        for x in dets:
            assert x['id'] in body, (x['id'], body[:2000])
            assert 'flowsentry allow ' + x['id'] in body
        ids_per_mail = [sum(x['id'] in m.get_payload(decode=True).decode(
            errors='replace') for x in dets) for m in msgs]
        assert sum(ids_per_mail) == 3, ids_per_mail     # each once

        # allow the IRC detection; replay: no IRC, its evidence stays
        irc = by_rule['irc']
        flows_before = {x['rule']: int(redis.cli('HGET', 'fs:det:' + x['id'],
                                                 'flows')) for x in dets}
        reloads = metric(metrics(mport), 'flowsentry_whitelist_reloads_total')
        fs('allow', irc['id'], '--scope', 'host', '--dst', 'exact',
           '--comment', 'customer runs a bouncer (ticket 42)', *cfgarg)
        assert redis.cli('XLEN', 'fs:audit') == '1'
        assert redis.cli('HGET', 'fs:det:' + irc['id'], 'state') == 'allowed'
        # the change announced, read back, rebuilt and handed to the workers
        wait_for(lambda: metric(metrics(mport),
                                'flowsentry_whitelist_reloads_total') >
                 reloads and metric(metrics(mport),
                                    'flowsentry_whitelist_entries') == 2,
                 timeout=20, what='whitelist reload')
        replay(pcap, port)
        spam = by_rule['smtp-from-non-mail']
        wait_for(lambda: int(redis.cli('HGET', 'fs:det:' + spam['id'],
                                       'flows')) > flows_before[spam['rule']],
                 timeout=30, what='the second replay counted')
        time.sleep(4)
        assert int(redis.cli('HGET', 'fs:det:' + irc['id'], 'flows')) == \
            flows_before['irc'], (flows_before, redis.cli('HGETALL', 'fs:wl'),
                                  redis.cli('HGETALL', 'fs:det:' + irc['id']),
                                  [l for l in metrics(mport).splitlines()
                                   if 'detect' in l or 'whitelist' in l])
        assert len(ndjson(alerts)) == 3, ndjson(alerts)[3:]
        assert redis.cli('ZCARD', 'fs:dets') == '3'
        assert redis.cli('XLEN', 'fs:audit') == '1'
    finally:
        r.stop()
        smtp.stop()


def v9_send(port, src, dests):
    """Records src -> (dst, dport) of dests from a fresh v9 exporter."""
    sys.path.insert(0, HERE)
    import v9gen
    from fsharness import send_udp
    send_udp(port, [v9gen.v9([v9gen.v9_template(),
                              v9gen.v9_data_to(src, dests)], source_id=99)])


def test_learning():
    """learning: during a host's first period its outbound services are
    learned, generalised (the remote's /24, the exact port), while the
    rules that do not learn still fire; the period starts when the host is
    first seen, so afterwards a new service of a host that only answered
    clients alerts, and a learned one does not"""
    r = Rig('fs-learn-', learning='6s')
    tmp, d, port, mport = r.tmp, r.d, r.port, r.mport
    pcap = os.path.join(tmp, 'traffic.pcap')
    mktraffic.write_pcap(pcap)
    alerts = os.path.join(tmp, 'alerts.ndjson')
    cfgarg = ['-f', d.conf]
    try:
        d.start(wait_metrics=mport)
        wait_for(lambda: metric(metrics(mport),
                                'flowsentry_detect_redis_up') == 1,
                 timeout=10, what='the detection state from Redis')
        time.sleep(1.5)
        loads = hgetalls(r.redis)
        dets = first_replay(d, pcap, port, alerts)
        # The collector announces each learned entry on PREFIXwl:changed
        # for the others, and does not reload the whitelist for its own
        # messages (it has the entries): no HGETALL since the start.
        assert metric(metrics(mport), 'flowsentry_detect_learned_total') > 0
        assert hgetalls(r.redis) == loads, (hgetalls(r.redis), loads)
        # irc, smtp-from-non-mail and scan do not learn: they fire anyway
        assert {(x['rule'], x['service']) for x in dets} == EXPECTED, dets
        for x in dets:
            assert 'unexpected-outbound' not in x.get('rules', []), x
        # what was learned: web2's services, each to the remote /24
        out = fs('whitelist', 'list', '--json', *cfgarg).stdout
        learned = [json.loads(l) for l in out.splitlines()]
        learned = [e for e in learned if e['source'] == 'learned']
        got = {(e['who'], e['service']) for e in learned}
        # each learned once, though its records keep coming while the
        # workers' whitelist lags (the manager's own check of what it
        # learned since its last snapshot)
        keys = [(e['who'], e['service'], e['where']) for e in learned]
        assert len(keys) == len(set(keys)), sorted(keys)
        want = {(o.initiator, '%s/%d' % ('tcp' if o.proto == 6 else 'udp',
                                         o.dport))
                for o in mktraffic.expected_outbound()
                if o.initiator != MAIL}         # its tcp/25 is allowed
        assert got == want, (got, want)
        for e in learned:
            assert e['where'].endswith('.0/24'), e
        # every host was seen: web1, which opens nothing, learns too
        assert metric(metrics(mport), 'flowsentry_detect_hosts_seen') >= 3
        wait_for(lambda: metric(metrics(mport),
                                'flowsentry_learning_hosts') == 0,
                 timeout=20, what='the learning periods to end')
        # after the period: a new service alerts, a learned one does not
        v9_send(port, WEB1, [('203.0.113.77', 3306)])
        v9_send(port, WEB2, [(mktraffic.SCAN_TARGETS[0], 22)])
        wait_for(lambda: len(ndjson(alerts)) >= 4, timeout=20,
                 what='the detection of the new service')
        time.sleep(3)
        new = ndjson(alerts)[3:]
        assert [(x['rule'], x['host'], x['service']) for x in new] == \
            [('unexpected-outbound', WEB1, 'tcp/3306')], new
    finally:
        r.stop()


def test_learning_redis_away():
    """learning while Redis is away: the entries wait in memory with
    temporary ids and, when Redis is back (restarted empty, so they are
    all the whitelist it reads and their places in it change), each gets
    its id and is written once"""
    r = Rig('fs-learn-away-', learning='1h')
    redis, d, port, mport = r.redis, r.d, r.port, r.mport

    def learned_total():
        return metric(metrics(mport), 'flowsentry_detect_learned_total') or 0

    def redis_up():
        return metric(metrics(mport), 'flowsentry_detect_redis_up')

    try:
        d.start(wait_metrics=mport)
        wait_for(lambda: redis_up() == 1, what='redis up')
        v9_send(port, WEB1, [('198.51.100.7', 8443)])
        wait_for(lambda: redis.cli('HLEN', 'fs:wl') == '2', timeout=20,
                 what='the staff entry and a learned one in redis')
        redis.kill()
        wait_for(lambda: redis_up() == 0, timeout=20,
                 what='the daemon noticing redis is gone')
        # one learning hit a port (the rule learns once per port; below
        # 1024, so the initiator is known)
        ports = list(range(600, 640))
        for k in range(0, len(ports), 10):
            v9_send(port, WEB2, [('203.0.113.%d' % (p - 599), p)
                                 for p in ports[k:k + 10]])
        wait_for(lambda: learned_total() >= 1 + len(ports), timeout=20,
                 what='learning while redis is away')
        redis.start()                   # empty: no persistence
        wait_for(lambda: redis_up() == 1, timeout=30, what='reconnected')
        wait_for(lambda: redis.cli('HLEN', 'fs:wl') == str(len(ports)),
                 timeout=20, what='the entries learned meanwhile in redis')
        time.sleep(2)
        out = fs('whitelist', 'list', '--json', '-f', d.conf).stdout
        got = [json.loads(l) for l in out.splitlines()]
        assert all(e['source'] == 'learned' for e in got), got
        assert sorted(e['id'] for e in got) == \
            list(range(1, len(ports) + 1)), got
        assert sorted((e['who'], e['service'], e['where']) for e in got) == \
            [(WEB2, 'tcp/%d' % p, '203.0.113.0/24') for p in ports], got
        assert learned_total() == 1 + len(ports)
    finally:
        r.stop()


tap = Tap()
tap.case(test_end_to_end)
tap.case(test_learning)
tap.case(test_learning_redis_away)
tap.done()
