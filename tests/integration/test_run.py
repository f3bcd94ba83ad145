#!/usr/bin/env python3
"""The README's first command, tools/run, end to end.

tools/run builds flowsentryd (in build/), starts a private Redis when the
config names none, rewrites the config for the run into its state
directory and runs the daemon in the foreground.  Here it gets a config
of the test's (FLOWSENTRY_CONF, on free loopback ports) whose GeoIP
databases, rules and alert file are given relative to the config, and a
state directory of the test's (FLOWSENTRY_STATE).  One SMTP flow to an
address the test database places in GB must come out as a detection
naming GB (the relative GeoIP path was found), and a TERM to tools/run
must stop the daemon and the private Redis.

tools/run is run as the README gives it, so it does what it does on a
user's machine: builds build/ in the source tree (not the BUILD_DIR under
test), installs missing packages, and as root creates the system user
`flowsentry` if missing.  tools/runconf.py, which rewrites the config for
it, is checked on its own on a config of every grammar case.

Usage: test_run.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import (Tap, free_tcp_port, free_udp_port, metric, metrics,
                       send_udp, wait_for)
from v9gen import v9, v9_data_to, v9_template

BUILD, SRC = sys.argv[1], os.path.abspath(sys.argv[2])
tap = Tap()
GB = '2.125.160.216'            # GB in GeoIP2-Country-Test.mmdb


def redis_alive(pidfile):
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def test_tools_run():
    """tools/run with a config of relative paths and no Redis: a private
    Redis, GeoIP found, a detection naming the country; TERM stops all"""
    tmp = tempfile.mkdtemp(prefix='fs-run-')
    os.chmod(tmp, 0o755)        # as root the daemon runs as `flowsentry`
    try:
        return run_in(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_in(tmp):
    os.makedirs(os.path.join(tmp, 'my etc', 'flowsentry'))
    geo = os.path.join(tmp, 'geo')
    os.makedirs(geo)
    for f in ('GeoIP2-Country-Test.mmdb', 'GeoLite2-ASN-Test.mmdb'):
        shutil.copy(os.path.join(SRC, 'tests', 'data', 'geoip', f), geo)
    shutil.copytree(os.path.join(SRC, 'rules'), os.path.join(tmp, 'rules'))
    port, mport = free_udp_port(), free_tcp_port()
    conf = os.path.join(tmp, 'my etc', 'flowsentry', 'flowsentry.conf')
    with open(conf, 'w') as f:
        f.write("""# written by test_run.py; paths relative to this file
[collector]
listen  = 127.0.0.1:%d
metrics = 127.0.0.1:%d
[network]
local = 10.0.0.0/8
[geoip]
country = ../../geo/GeoIP2-Country-Test.mmdb
asn = ../../geo/GeoLite2-ASN-Test.mmdb
[redis]
flush_interval = 1
[detect]
rules = ../../rules/*.rules
learning = 0
[alert file]
path = alerts.ndjson
[alert archive]
type = file  path = "../../state/archive.ndjson"   # relative to this file
""" % (port, mport))
    state = os.path.join(tmp, 'state')
    env = dict(os.environ, FLOWSENTRY_CONF=conf, FLOWSENTRY_STATE=state)
    env.pop('ASAN_OPTIONS', None)       # tools/run builds without ASan
    log = open(os.path.join(tmp, 'run.log'), 'wb')
    p = subprocess.Popen([os.path.join(SRC, 'tools', 'run')], cwd=SRC,
                         env=env, stdout=log, stderr=subprocess.STDOUT)

    def text():
        with open(os.path.join(tmp, 'run.log'), 'rb') as f:
            return f.read().decode(errors='replace')[-3000:]

    def up():
        if p.poll() is not None:
            raise AssertionError('tools/run exited %d:\n%s' %
                                 (p.returncode, text()))
        return metrics(mport)
    try:
        # A clean checkout builds build/ first.
        wait_for(up, timeout=900, what='flowsentryd started by tools/run')
        assert 'private Redis on unix:' in text(), text()
        wait_for(lambda: metric(metrics(mport), 'flowsentry_redis_up') == 1,
                 what='the daemon connected to the private Redis')
        send_udp(port, [v9([v9_template(), v9_data_to(
            '10.0.0.5', [(GB, 25)])])])
        alerts = os.path.join(state, 'alerts.ndjson')

        def detected():
            if not os.path.exists(alerts):
                return None
            for line in open(alerts):
                d = json.loads(line)
                if GB in line:
                    return d
            return None
        wait_for(detected, timeout=30, what='the SMTP detection')
        d = detected()
        assert d.get('country') == 'GB', d
        archive = os.path.join(state, 'archive.ndjson')
        wait_for(lambda: os.path.exists(archive) and GB in open(
            archive).read(), what='the detection in the other file sink')
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 143, text()
        pidfile = os.path.join(state, 'redis.pid')
        wait_for(lambda: not redis_alive(pidfile), timeout=10,
                 what='the private Redis stopped')
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
        pidfile = os.path.join(state, 'redis.pid')
        if redis_alive(pidfile):
            with open(pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)
    return None


RUNCONF = os.path.join(SRC, 'tools', 'runconf.py')
TRICKY = r'''# top, with bytes that are not UTF-8: {LATIN}
[collector]   # a comment
# old:{CR}prefix = x
listen = 127.0.0.1:2055  workers = 1 # trailing
exporters = user = nobody
[geoip]
asn = "../geo/A b.mmdb"
[redis]
url = "redis://:p#w x@127.0.0.1:6379/0"   # a password with '#' and a blank
[alert mail]
type = email url = smtp://127.0.0.1:25 from = a@b to = c@d
password = "x path = y\"q"  spool = sp
'''


def test_runconf():
    """tools/runconf.py reads the config grammar (pairs on a line, comments,
    quoted values) and writes the run's copy: the fixed keys set, relative
    paths absolute and quoted (blanks in directories), the rest as it was;
    flowsentryd -n accepts the copy"""
    tmp = tempfile.mkdtemp(prefix='fs-runconf-')
    try:
        d = os.path.join(tmp, 'my etc')
        os.makedirs(os.path.join(tmp, 'geo'))
        os.makedirs(d)
        shutil.copy(os.path.join(SRC, 'tests', 'data', 'geoip',
                                 'GeoLite2-ASN-Test.mmdb'),
                    os.path.join(tmp, 'geo', 'A b.mmdb'))
        conf = os.path.join(d, 't.conf')
        with open(conf, 'wb') as f:
            f.write(TRICKY.replace('{LATIN}', '\xfc\xdf').replace(
                '{CR}', '\r').encode('latin-1'))

        def rc(*a):
            p = subprocess.run([sys.executable, RUNCONF] + list(a),
                               capture_output=True, timeout=30)
            assert p.returncode == 0, p.stderr
            return p.stdout.decode('latin-1')
        assert rc('get', conf, 'redis', 'url').strip() == \
            'redis://:p#w x@127.0.0.1:6379/0'
        assert rc('get', conf, 'alert mail', 'password').strip() == \
            'x path = y"q'
        state = os.path.join(tmp, 'st ate')
        out = rc('write', conf, state, 'unix:%s/redis.sock' % state)
        assert '\xfc' in out, out                   # the bytes kept
        lines = out.split('\n')           # the daemon's lines
        want = ['state_dir = "%s"' % state,
                'asn = "%s"' % os.path.join(d, '../geo/A b.mmdb'),
                'url = "unix:%s/redis.sock"' % state,
                'spool = "%s"' % os.path.join(d, 'sp'),
                'password = "x path = y\\"q"',
                'exporters =', 'user = nobody', 'workers = 1']
        for w in want:
            assert w in lines, (w, out)
        assert out.count('url = ') == 2, out          # redis and smtp
        assert 'prefix' not in [l.split(' ')[0] for l in lines], out
        run = os.path.join(tmp, 'run.conf')
        with open(run, 'wb') as f:
            f.write(out.encode('latin-1'))
        p = subprocess.run([os.path.join(BUILD, 'flowsentryd'), '-n', '-f',
                            run], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (p.stderr, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


tap.case(test_runconf)
tap.case(test_tools_run)
tap.done()
