#!/usr/bin/env python3
"""Integration tests of the operator's detection commands of flowsentry(1):
detections, show, allow, ack, whitelist list|add|rm|import|export and learn,
against a real redis-server on a unix socket, with detections seeded as the
daemon writes them (docs/redis.md, Detection keys).  Checks what each
command prints, what it leaves in Redis, its audit stream entry and its
PUBLISH on PREFIXwl:changed, and every error message.

Usage: test_cli.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import Redis, Tap, free_tcp_port, wait_for

BUILD, SRC = sys.argv[1], sys.argv[2]
FS = os.path.join(BUILD, 'tools', 'flowsentry')
P = 't:'                     # the key prefix of the test config
USER = 'alice'               # $SUDO_USER of every command: the author
NOW = int(time.time() * 1000)
MIN, DAY = 60000, 86400000

tap = Tap()
tmp = tempfile.mkdtemp(prefix='fs-cli-')
redis = Redis(tmp)
CONF = os.path.join(tmp, 'flowsentry.conf')


def write_conf():
    with open(CONF, 'w') as f:
        f.write('''[network]
local = 203.0.113.0/24 2001:db8:100::/48
[group web]
hosts = 203.0.113.10 203.0.113.11
[group mail-servers]
hosts = 203.0.113.25
[redis]
url = %s
prefix = %s
[detect]
learning = 3d
''' % (redis.url, P))


def fs(*args, env_extra=None):
    env = dict(os.environ, SUDO_USER=USER)
    env.update(env_extra or {})
    return subprocess.run([FS] + list(args) + ['-f', CONF],
                          capture_output=True, text=True, timeout=30, env=env)


def ok(*args):
    p = fs(*args)
    assert p.returncode == 0, (args, p.returncode, p.stderr)
    assert p.stderr == '', (args, p.stderr)
    return p.stdout


def fails(message, *args):
    """The command exits 1 with exactly this one line on stderr."""
    p = fs(*args)
    assert p.returncode == 1, (args, p.returncode, p.stdout, p.stderr)
    assert p.stderr == message + '\n', (args, p.stderr)
    assert p.stdout == '', (args, p.stdout)


def rcli(*args):
    return redis.cli(*args)


# ---- a small RESP client for SUBSCRIBE --------------------------------------

class Sub:
    """SUBSCRIBE to a channel over the unix socket; collect the messages."""

    def __init__(self, channel):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(redis.sock)
        self.buf = b''
        self.s.sendall(self.cmd('SUBSCRIBE', channel))
        assert self.reply()[0] == b'subscribe'

    @staticmethod
    def cmd(*args):
        out = b'*%d\r\n' % len(args)
        for a in args:
            a = a.encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        return out

    def line(self):
        while b'\r\n' not in self.buf:
            data = self.s.recv(4096)
            if not data:
                raise EOFError('redis closed the subscription')
            self.buf += data
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l

    def reply(self):
        l = self.line()
        if l[:1] == b'*':
            return [self.reply() for _ in range(int(l[1:]))]
        if l[:1] == b'$':
            n = int(l[1:])
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(4096)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if l[:1] == b':':
            return int(l[1:])
        return l[1:]

    def messages(self, n, timeout=5.0):
        """The next n messages (as str), failing after timeout."""
        self.s.settimeout(timeout)
        out = []
        while len(out) < n:
            r = self.reply()
            if r[0] == b'message':
                out.append(r[2].decode())
        return out

    def none(self):
        """No message waits (anything published came before a PING)."""
        self.s.sendall(self.cmd('PING'))
        self.s.settimeout(5)
        r = self.reply()
        assert r[0] == b'pong', r

    def close(self):
        self.s.close()


# ---- seeded detections --------------------------------------------------------

def det(id_, ts, rule, host, **kw):
    d = dict(id=id_, ts=str(ts), rule=rule, severity='high', rules='',
             host=host, group='', dst='198.51.100.7', dst_scope='dst',
             dport='25', proto='6', service='tcp/25', app='', country='',
             asn='0', as_org='', flows='3', bytes='1000', packets='10',
             first=str(ts - MIN), last=str(ts), exporter='127.0.0.1',
             summary='%s from %s' % (rule, host), state='open')
    d.update({k: str(v) for k, v in kw.items()})
    return d


SMTP = det(str(NOW - 10 * MIN), NOW - 10 * MIN, 'smtp-from-non-mail',
           '203.0.113.10', group='web', rules='unexpected-outbound',
           app='SMTP', country='US', asn=64500, as_org='Example Net',
           flows=31, bytes=1288490, packets=900,
           summary='203.0.113.10 (web) sends mail to 198.51.100.7')
SCAN = det(str(NOW - 5 * MIN), NOW - 5 * MIN, 'scan', '203.0.113.11',
           group='web', dst='192.0.2.99', dst_scope='many', dport=22,
           service='tcp/22', severity='medium', flows=500, bytes=30000)
IRC = det(str(NOW - 2 * DAY), NOW - 2 * DAY, 'irc', '2001:db8:100::5',
          dst='2001:db8:ffff::1', dport=6667, service='tcp/6667',
          country='DE', state='acked', severity='low')
OLD = det(str(NOW - 30 * DAY), NOW - 30 * DAY, 'flood', '203.0.113.10',
          group='web', dport=53, proto=17, service='udp/53')
PING = det(str(NOW - 1 * MIN), NOW - 1 * MIN, 'unexpected-outbound',
           '203.0.113.12', dst='192.0.2.1', dport=2048, proto=1,
           service='icmp/2048', asn=64501, severity='critical')
DETS = [SMTP, SCAN, IRC, OLD, PING]


def seed():
    for d in DETS:
        args = ['HSET', P + 'det:' + d['id']]
        for k, v in d.items():
            args += [k, v]
        rcli(*args)
        rcli('ZADD', P + 'dets', d['ts'], d['id'])


def audit():
    """The audit stream as a list of dicts."""
    raw = subprocess.run(['redis-cli', '-s', redis.sock, 'XRANGE',
                          P + 'audit', '-', '+'], capture_output=True,
                         text=True, check=True).stdout.split('\n')
    n = int(rcli('XLEN', P + 'audit'))
    # raw: id, then 10 lines of field, value per entry
    out, i = [], 0
    for _ in range(n):
        f = raw[i + 1:i + 11]
        out.append(dict(zip(f[0::2], f[1::2])))
        i += 11
    return out


def last_audit():
    return audit()[-1]


def state(d):
    return rcli('HGET', P + 'det:' + d['id'], 'state')


def wl_entry(id_):
    return rcli('HGET', P + 'wl', str(id_))


def entry_id(line):
    return int(re.search(r'\bid=(\d+)', line).group(1))


# ---- detections, show, ack ---------------------------------------------------

def test_detections_table():
    """detections: a table newest first, last 7 days, human bytes, "many"
    for a scan, [v6]:port/proto, AS and state columns"""
    out = ok('detections').splitlines()
    assert out[0].split()[:4] == ['id', 'time', '(UTC)', 'severity'], out[0]
    ids = [l.split()[0] for l in out[1:]]
    assert ids == [PING['id'], SCAN['id'], SMTP['id'], IRC['id']], out
    smtp = out[1 + ids.index(SMTP['id'])]
    for word in ('high', 'smtp-from-non-mail', '203.0.113.10', 'web',
                 '198.51.100.7:25/tcp', 'SMTP', 'US', 'AS64500', '31',
                 '1.2M', 'open'):
        assert word in smtp.split(), (word, smtp)
    assert time.strftime('%Y-%m-%d %H:%M', time.gmtime(
        int(SMTP['ts']) / 1000)) in smtp, smtp
    assert 'many' in out[1 + ids.index(SCAN['id'])].split()
    irc = out[1 + ids.index(IRC['id'])].split()
    assert '[2001:db8:ffff::1]:6667/tcp' in irc and 'acked' in irc, irc
    assert 'icmp' in out[1].split()[6] or '192.0.2.1:2048/icmp' in out[1]


def test_detections_json():
    """detections --json: one det_json object a line, every seeded field"""
    lines = ok('detections', '--json', '--since', '60d').splitlines()
    objs = [json.loads(l) for l in lines]
    assert [o['id'] for o in objs] == [d['id'] for d in
                                       (PING, SCAN, SMTP, IRC, OLD)]
    o = objs[2]
    assert o['rule'] == 'smtp-from-non-mail' and o['severity'] == 'high'
    assert o['rules'] == ['unexpected-outbound'] and o['asn'] == 64500
    assert o['bytes'] == 1288490 and o['dport'] == 25 and o['proto'] == 6
    assert o['as_org'] == 'Example Net' and o['state'] == 'open'
    assert o['summary'] == SMTP['summary']
    for k in ('id ts rule severity host group dst dport proto service app '
              'country asn as_org flows bytes packets first last '
              'summary').split():
        assert k in o, k


def test_detections_filters():
    """--open, --host, --rule (also the other rules), --since"""
    def ids(*a):
        return [json.loads(l)['id'] for l in
                ok('detections', '--json', *a).splitlines()]
    assert IRC['id'] not in ids('--open')
    assert ids('--host', '203.0.113.10') == [SMTP['id']]
    assert ids('--host', '203.0.113.10', '--since', '60d') == \
        [SMTP['id'], OLD['id']]
    assert ids('--host', '2001:DB8:100:0::5') == [IRC['id']]
    assert ids('--rule', 'scan') == [SCAN['id']]
    assert ids('--rule', 'unexpected-outbound') == [PING['id'], SMTP['id']]
    assert ids('--since', '1h') == [PING['id'], SCAN['id'], SMTP['id']]
    assert ids('--rule', 'nothing') == []
    fails('flowsentry: --host nohost is not an address', 'detections',
          '--host', 'nohost')
    fails('flowsentry: bad duration 1y (90s, 5m, 1h30m, 7d, 2w)',
          'detections',
          '--since', '1y')


def test_show():
    """show: every field, the summary, the other rules and the allow
    command; --json is det_json"""
    out = ok('show', SMTP['id'])
    assert SMTP['summary'] in out
    for k, v in SMTP.items():
        assert re.search(r'^  %s +%s' % (re.escape(k), re.escape(v)), out,
                         re.M), (k, v, out)
    assert 'unexpected-outbound' in out and '1.2M' in out
    assert ('flowsentry allow %s --scope host --dst asn --expires 90d '
            "--comment 'WHY THIS IS LEGITIMATE'" % SMTP['id']) in out, out
    assert 'UTC' in out
    o = json.loads(ok('show', SCAN['id'], '--json'))
    assert o['dst_scope'] == 'many' and o['id'] == SCAN['id']
    assert '--dst any' in ok('show', SCAN['id'])


def test_unknown_ids():
    """show, ack and allow of an id that is not there: one clear line"""
    fails('flowsentry: no detection 123', 'show', '123')
    fails('flowsentry: no detection 123', 'ack', '123')
    fails('flowsentry: no detection 123', 'allow', '123', '--comment', 'x')
    fails('flowsentry: no detection x1', 'show', 'x1')


def test_ack():
    """ack: state acked, an audit entry; no PUBLISH"""
    sub = Sub(P + 'wl:changed')
    n = len(audit())
    out = ok('ack', SCAN['id'])
    assert SCAN['id'] in out
    assert state(SCAN) == 'acked'
    a = audit()
    assert len(a) == n + 1
    assert a[-1]['action'] == 'ack' and a[-1]['target'] == SCAN['id']
    assert a[-1]['user'] == USER and 'acked' in a[-1]['detail']
    assert abs(int(a[-1]['ts']) - time.time() * 1000) < 60000
    sub.none()
    sub.close()
    rcli('HSET', P + 'det:' + SCAN['id'], 'state', 'open')


# ---- allow ----------------------------------------------------------------------

def allow(d, *args):
    """Run allow; check the entry, the state, the audit and the PUBLISH."""
    sub = Sub(P + 'wl:changed')
    n = len(audit())
    out = ok('allow', d['id'], *args).strip()
    i = entry_id(out)
    assert wl_entry(i) == out, (wl_entry(i), out)
    assert state(d) == 'allowed'
    a = audit()
    assert len(a) == n + 1
    assert a[-1] == dict(ts=a[-1]['ts'], user=USER, action='allow',
                         target=d['id'], detail=out), a[-1]
    assert sub.messages(1) == ['add %d' % i]
    sub.close()
    rcli('HSET', P + 'det:' + d['id'], 'state', 'open')
    return out.split()


def test_allow_host_exact():
    """allow --scope host --dst exact: HOST PROTO/PORT DST -, with the
    comment, author ($SUDO_USER), created and source=staff"""
    f = allow(SMTP, '--scope', 'host', '--dst', 'exact', '--comment',
              'relay of the customer (ticket 4711)')
    assert f[:4] == ['203.0.113.10', 'tcp/25', '198.51.100.7', '-'], f
    line = ' '.join(f)
    assert 'relay of the customer (ticket 4711)' in line
    assert 'author=alice' in f and 'source=learned' not in f
    created = [w for w in f if w.startswith('created=')][0][8:]
    t = time.mktime(time.strptime(created, '%Y-%m-%dT%H:%M:%SZ')) - \
        time.timezone
    assert abs(t - time.time()) < 60, created


def test_allow_scopes_and_dsts():
    """--dst net (/24, /48), asn, country, any; --scope group, group:NAME,
    all; the default is host and what show suggests"""
    assert allow(SMTP, '--dst', 'net', '--comment', 'c')[:3] == \
        ['203.0.113.10', 'tcp/25', '198.51.100.0/24']
    assert allow(IRC, '--dst', 'net', '--comment', 'c')[:3] == \
        ['2001:db8:100::5', 'tcp/6667', '2001:db8:ffff::/48']
    assert allow(IRC, '--dst', 'exact', '--comment', 'c')[2] == \
        '2001:db8:ffff::1'
    assert allow(SMTP, '--dst', 'asn', '--scope', 'group', '--comment',
                 'c')[:3] == ['@web', 'tcp/25', 'AS64500']
    assert allow(SMTP, '--dst', 'country', '--scope', 'group:mail-servers',
                 '--comment', 'c')[:3] == ['@mail-servers', 'tcp/25', 'US']
    assert allow(SMTP, '--dst', 'any', '--scope', 'all', '--comment',
                 'c')[:3] == ['*', 'tcp/25', 'any']
    assert allow(SMTP, '--comment', 'c')[:3] == \
        ['203.0.113.10', 'tcp/25', 'AS64500']
    assert allow(SCAN, '--comment', 'c')[:3] == \
        ['203.0.113.11', 'tcp/22', 'any']
    assert allow(PING, '--dst', 'asn', '--comment', 'c')[:3] == \
        ['203.0.113.12', 'icmp/2048', 'AS64501']


def test_allow_expires():
    """--expires: a duration from now, a date (through that day), never"""
    f = allow(SMTP, '--expires', '2030-01-01', '--comment', 'c')
    assert f[3] == '2030-01-01', f
    f = allow(SMTP, '--expires', 'never', '--comment', 'c')
    assert f[3] == '-', f
    f = allow(SMTP, '--expires', '30d', '--comment', 'c')
    t = time.mktime(time.strptime(f[3], '%Y-%m-%dT%H:%M:%SZ')) - \
        time.timezone
    assert abs(t - (time.time() + 30 * 86400)) < 60, f[3]
    f = allow(SMTP, '--expires', '2031-06-01T12:00:00Z', '--comment', 'c')
    assert f[3] == '2031-06-01T12:00:00Z', f


def test_allow_errors():
    """missing comment, bad scope, bad dst, unknown group, no AS, no
    country, exact/net for many destinations, bad expiry: exit 1, one
    line, nothing changed"""
    n, seq = len(audit()), rcli('GET', P + 'wl:seq')
    i = SMTP['id']
    fails('flowsentry: allow needs --comment TEXT: why this is legitimate '
          "(a ticket, a customer's word)", 'allow', i, '--dst', 'exact')
    fails('flowsentry: allow needs --comment TEXT: why this is legitimate '
          "(a ticket, a customer's word)", 'allow', i, '--comment', ' ')
    fails('flowsentry: bad --scope hosts (host, group, group:NAME or all)',
          'allow', i, '--scope', 'hosts', '--comment', 'c')
    fails('flowsentry: bad --dst ip4 (exact, net, asn, country or any)',
          'allow', i, '--dst', 'ip4', '--comment', 'c')
    fails('flowsentry: unknown group dns (no [group dns] in %s)' % CONF,
          'allow', i, '--scope', 'group:dns', '--comment', 'c')
    fails('flowsentry: detection %s has no group; use --scope group:NAME'
          % IRC['id'], 'allow', IRC['id'], '--scope', 'group',
          '--comment', 'c')
    fails('flowsentry: detection %s has no AS; use --dst net, exact, '
          'country or any' % IRC['id'], 'allow', IRC['id'], '--dst', 'asn',
          '--comment', 'c')
    fails('flowsentry: detection %s has no country; use --dst net, exact, '
          'asn or any' % SCAN['id'], 'allow', SCAN['id'], '--dst',
          'country', '--comment', 'c')
    for dst in ('exact', 'net'):
        fails('flowsentry: detection %s is about many destinations (scan '
              'names only an example); use --dst asn, country or any'
              % SCAN['id'], 'allow', SCAN['id'], '--dst', dst,
              '--comment', 'c')
    fails('flowsentry: bad --expires soon (30d, YYYY-MM-DD, an RFC 3339 '
          'time, or never)', 'allow', i, '--expires', 'soon',
          '--comment', 'c')
    fails('flowsentry: --expires 2001-01-01 is in the past', 'allow', i,
          '--expires', '2001-01-01', '--comment', 'c')
    assert len(audit()) == n and rcli('GET', P + 'wl:seq') == seq
    assert state(SMTP) == 'open'


def test_redis_unreachable():
    """a closed port on 127.0.0.1: flowsentry: Redis at URL: reason"""
    url = 'redis://127.0.0.1:%d' % free_tcp_port()
    for args in (['detections'], ['show', '1'], ['ack', '1'],
                 ['allow', '1', '--comment', 'c'], ['whitelist', 'list'],
                 ['learn', '203.0.113.10'], ['hosts']):
        fails('flowsentry: Redis at %s: Connection refused' % url,
              *(args + ['--redis', url]))


def test_no_config():
    """a -f that does not load is an error naming it"""
    p = subprocess.run([FS, 'detections', '-f', '/nonexistent.conf'],
                       capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.startswith(
        'flowsentry: /nonexistent.conf') and '\n' not in p.stderr[:-1], \
        p.stderr


# ---- whitelist -----------------------------------------------------------------

def test_whitelist_add_rm():
    """whitelist add: parsed, stamped, numbered, audited, published; rm"""
    sub = Sub(P + 'wl:changed')
    n = len(audit())
    out = ok('whitelist', 'add', '@web  udp/123 any - NTP servers').strip()
    i = entry_id(out)
    f = out.split()
    assert f[:5] == ['@web', 'udp/123', 'any', '-', 'NTP'], f
    assert 'author=alice' in f and 'source=learned' not in f
    assert wl_entry(i) == out
    assert sub.messages(1) == ['add %d' % i]
    a = audit()[-1]
    assert (a['action'], a['target'], a['detail']) == \
        ('whitelist-add', str(i), out)
    # several words are joined into one line
    out2 = ok('whitelist', 'add', '203.0.113.10', 'app:TLS', 'AS15169',
              '2030-01-01', 'OS', 'updates').strip()
    j = entry_id(out2)
    assert j == i + 1 and out2.split()[:6] == \
        ['203.0.113.10', 'app:TLS', 'AS15169', '2030-01-01', 'OS',
         'updates'], out2
    assert sub.messages(1) == ['add %d' % j]
    out = ok('whitelist', 'rm', str(j))
    assert out2 in out
    assert wl_entry(j) == ''
    assert sub.messages(1) == ['rm %d' % j]
    a = audit()[-1]
    assert (a['action'], a['target'], a['detail']) == \
        ('whitelist-rm', str(j), out2)
    assert len(audit()) == n + 3
    sub.close()


def test_whitelist_errors():
    """bad entries, unknown group, unknown id: one line, nothing changed"""
    n, seq = len(audit()), rcli('GET', P + 'wl:seq')
    p = fs('whitelist', 'add', '@nope tcp/25 any - x')
    assert p.returncode == 1 and p.stderr == \
        'flowsentry: unknown group @nope (no [group nope] in %s)\n' % CONF
    p = fs('whitelist', 'add', '203.0.113.10 tcp/99999 any - x')
    assert p.returncode == 1 and p.stderr.startswith(
        'flowsentry: bad whitelist entry: ') and p.stderr.count('\n') == 1
    fails('flowsentry: no whitelist entry 999999', 'whitelist', 'rm',
          '999999')
    fails('flowsentry: no whitelist entry abc', 'whitelist', 'rm', 'abc')
    p = fs('whitelist', 'frob')
    assert p.returncode == 1 and p.stderr.startswith('usage:')
    assert len(audit()) == n and rcli('GET', P + 'wl:seq') == seq


def test_whitelist_list():
    """list: wl_format of every entry sorted by id; --json one object a
    line"""
    rcli('HSET', P + 'wl', '3', '*  tcp/443  any  -  web author=bob id=3')
    out = ok('whitelist', 'list')
    lines = out.splitlines()
    assert lines[0].startswith('# who'), lines[0]
    ids = [entry_id(l) for l in lines[1:]]
    assert ids == sorted(ids) and 3 in ids, ids
    objs = [json.loads(l) for l in
            ok('whitelist', 'list', '--json').splitlines()]
    assert [o['id'] for o in objs] == ids
    o = [o for o in objs if o['id'] == 3][0]
    assert o == dict(id=3, who='*', service='tcp/443', where='any',
                     expires='-', expires_ms=0, comment='web', author='bob',
                     created='', source='staff'), o
    assert ok('whitelist', 'export') == out
    rcli('HDEL', P + 'wl', '3')
    # a value that is not an entry is left out, with a warning
    rcli('HSET', P + 'wl', '900', 'not an entry')
    p = fs('whitelist', 'export')
    assert p.returncode == 0 and 'not an entry' not in p.stdout
    assert p.stderr.startswith('flowsentry: warning: %swl entry 900 left '
                               'out: ' % P), p.stderr
    rcli('HDEL', P + 'wl', '900')
    assert ok('whitelist', 'export') == out.replace(
        [l for l in out.splitlines() if l.endswith('id=3')][0] + '\n', '')


def test_whitelist_round_trip():
    """export then import adds nothing (and publishes nothing); an import
    adds only what is new, with new ids, one audit entry, one PUBLISH"""
    path = os.path.join(tmp, 'export.wl')
    exported = ok('whitelist', 'export')
    with open(path, 'w') as f:
        f.write(exported)
    n, count = len(audit()), len(exported.splitlines()) - 1
    assert count > 3
    sub = Sub(P + 'wl:changed')
    out = ok('whitelist', 'import', path)
    assert out == '0 added, %d skipped (already in the whitelist)\n' % \
        count, out
    assert len(audit()) == n
    sub.none()
    assert ok('whitelist', 'export') == exported
    # two new entries and one already there (other comment, no metadata)
    first = exported.splitlines()[1].split()
    new = os.path.join(tmp, 'new.wl')
    with open(new, 'w') as f:
        f.write('# site whitelist\n'
                '%s %s %s %s other words\n'
                '*              udp/53   192.0.2.53   -  resolver\n'
                '@mail-servers  tcp/25   any          2030-01-01  mail '
                'author=bob id=77\n' % tuple(first[:4]))
    seq = int(rcli('GET', P + 'wl:seq'))
    out = ok('whitelist', 'import', new)
    assert out == '2 added, 1 skipped (already in the whitelist)\n', out
    assert sub.messages(1) == ['import 2']
    a = audit()
    assert len(a) == n + 1
    assert (a[-1]['action'], a[-1]['target'], a[-1]['detail']) == \
        ('whitelist-import', new, '%s: 2 added, 1 skipped' % new)
    e1, e2 = wl_entry(seq + 1), wl_entry(seq + 2)
    assert e1.split()[:4] == ['*', 'udp/53', '192.0.2.53', '-'], e1
    assert 'author=alice' in e1.split() and 'id=%d' % (seq + 1) in e1
    assert 'author=bob' in e2.split() and 'id=%d' % (seq + 2) in e2, e2
    assert wl_entry(77) == ''
    # importing it again adds nothing
    assert ok('whitelist', 'import', new).startswith('0 added, 3 skipped')
    sub.none()
    sub.close()


def test_whitelist_import_errors():
    """a file that does not parse, or names an unknown group: FILE:LINE"""
    bad = os.path.join(tmp, 'bad.wl')
    with open(bad, 'w') as f:
        f.write('# x\n*  tcp/25  any  -  ok\n@dns  udp/53  any  -  x\n')
    n = len(audit())
    fails('flowsentry: %s:3: unknown group @dns' % bad, 'whitelist',
          'import', bad)
    with open(bad, 'w') as f:
        f.write('*  tcp/25  nowhere\n')
    p = fs('whitelist', 'import', bad)
    assert p.returncode == 1 and p.stderr.startswith(
        'flowsentry: %s:1: ' % bad), p.stderr
    p = fs('whitelist', 'import', os.path.join(tmp, 'missing.wl'))
    assert p.returncode == 1 and 'missing.wl' in p.stderr
    assert len(audit()) == n


# ---- learn --------------------------------------------------------------------------

def test_learn():
    """learn HOST: PREFIXlearn HOST = now + [detect] learning, or --for;
    --for 0 turns learning off (0); audited and published"""
    sub = Sub(P + 'wl:changed')
    n = len(audit())
    out = ok('learn', '203.0.113.10')
    v = int(rcli('HGET', P + 'learn', '203.0.113.10'))
    assert abs(v - (time.time() + 3 * 86400) * 1000) < 60000, v
    assert out.startswith('203.0.113.10 learns until ')
    assert sub.messages(1) == ['learn 203.0.113.10']
    ok('learn', '2001:DB8:100::0:5', '--for', '12h')
    v = int(rcli('HGET', P + 'learn', '2001:db8:100::5'))
    assert abs(v - (time.time() + 12 * 3600) * 1000) < 60000, v
    assert sub.messages(1) == ['learn 2001:db8:100::5']
    out = ok('learn', '203.0.113.10', '--for', '0')
    assert rcli('HGET', P + 'learn', '203.0.113.10') == '0'
    assert out == 'learning is off for 203.0.113.10\n'
    assert sub.messages(1) == ['learn 203.0.113.10']
    a = audit()
    assert len(a) == n + 3
    assert (a[-1]['action'], a[-1]['target'], a[-1]['detail']) == \
        ('learn', '203.0.113.10', 'off')
    assert a[-3]['detail'].startswith('until ')
    fails('flowsentry: nohost is not a host address', 'learn', 'nohost')
    fails('flowsentry: bad duration forever (90s, 5m, 1h30m, 7d, 2w)', 'learn',
          '203.0.113.10', '--for', 'forever')
    p = fs('learn', '198.51.100.1')
    assert p.returncode == 0 and p.stderr == \
        'flowsentry: warning: 198.51.100.1 is not in [network] local of ' \
        '%s\n' % CONF, p.stderr
    sub.close()


def test_audit_stream():
    """every entry has ts user action target detail; MAXLEN keeps it
    bounded (XADD ... MAXLEN ~)"""
    a = audit()
    assert len(a) > 10
    for e in a:
        assert sorted(e) == ['action', 'detail', 'target', 'ts', 'user'], e
        assert e['action'] in ('allow', 'ack', 'whitelist-add',
                               'whitelist-rm', 'whitelist-import', 'learn')
        assert e['user'] == USER


def test_author_fallback():
    """without $SUDO_USER the author is $USER"""
    p = subprocess.run([FS, 'whitelist', 'add', '* tcp/8080 any - x', '-f',
                        CONF], capture_output=True, text=True,
                       env=dict(os.environ, SUDO_USER='', USER='bob'))
    assert p.returncode == 0, p.stderr
    assert 'author=bob' in p.stdout.split(), p.stdout
    assert audit()[-1]['user'] == 'bob'


try:
    redis.start()
    write_conf()
    seed()
    for t in (test_detections_table, test_detections_json,
              test_detections_filters, test_show, test_unknown_ids, test_ack,
              test_allow_host_exact, test_allow_scopes_and_dsts,
              test_allow_expires, test_allow_errors, test_redis_unreachable,
              test_no_config, test_whitelist_add_rm, test_whitelist_errors,
              test_whitelist_list, test_whitelist_round_trip,
              test_whitelist_import_errors, test_learn, test_audit_stream,
              test_author_fallback):
        tap.case(t)
finally:
    redis.stop()
    shutil.rmtree(tmp, ignore_errors=True)
tap.done()
