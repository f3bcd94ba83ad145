#!/usr/bin/env python3
"""Integration tests of flowsentryd: UDP ingest, config, signals, template
state, metrics, -n and -r.  Real daemon, real sockets, loopback only.

Usage: test_daemon.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import json
import os
import pwd
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import (Daemon, Tap, Tee, free_tcp_port, free_udp_port, metric,
                       metrics, send_udp, wait_for)
from v9gen import v9, v9_data, v9_template

BUILD, SRC = sys.argv[1], sys.argv[2]
FSD = os.path.join(BUILD, 'flowsentryd')
FS = os.path.join(BUILD, 'tools', 'flowsentry')
CORPUS = os.path.join(SRC, 'tests', 'golden', 'corpus')
V9_CAP = os.path.join(CORPUS, 'generated', 'gen-softflowd-v9.pcap')
SFLOW_CAP = os.path.join(CORPUS, 'generated', 'gen-pmacctd-sfprobe.pcap')
IPFIX_CAP = os.path.join(CORPUS, 'generated', 'gen-softflowd-ipfix.pcap')
V5_CAP = os.path.join(CORPUS, 'generated', 'gen-softflowd-v5.pcap')
TRAFFIC = os.path.join(CORPUS, 'generated', 'input-traffic-mix.pcap')

tap = Tap()


# ---- helpers --------------------------------------------------------------

def conf(port, mport, state, extra='', workers=1):
    return """# written by test_daemon.py
[collector]
listen    = 127.0.0.1:%d [::1]:%d
metrics   = 127.0.0.1:%d
state_dir = %s
workers   = %d
rcvbuf    = 4M
user      = %s
%s
[network]
local = 192.0.2.0/24
""" % (port, port, mport, state, workers,
       pwd.getpwuid(os.geteuid()).pw_name, extra)


def decoded(cap):
    out = subprocess.run([FS, 'decode', cap], capture_output=True,
                         text=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def udp_datagrams(cap):
    p = subprocess.run([FS, 'decode', '--stats', cap], capture_output=True,
                       text=True, check=True)
    for line in p.stderr.splitlines():
        k, _, v = line.partition(' ')
        if k == 'udp_datagrams':
            return int(v)
    raise AssertionError('no udp_datagrams in --stats')


def replay(cap, port, host='127.0.0.1', rate=20000):
    subprocess.run([FS, 'replay', '--rate', str(rate), cap,
                    '%s:%d' % (host if ':' not in host else '[%s]' % host,
                               port)], check=True, capture_output=True)


def started(extra='', workers=1):
    port, mport = free_udp_port(), free_tcp_port()
    state = tempfile.mkdtemp(prefix='fs-state-')
    d = Daemon(FSD, conf(port, mport, state, extra, workers))
    d.start(wait_metrics=mport)
    return d, port, mport, state


def wait_metric(mport, name, want, labels=None):
    return wait_for(lambda: metric(metrics(mport), name, labels) == want,
                    what='%s%s == %s' % (name, labels or '', want))


# ---- the tests ------------------------------------------------------------

def test_check_config():
    """-n: a good config exits 0, a bad one prints FILE:LINE and exits 1"""
    tmp = tempfile.mkdtemp(prefix='fs-n-')
    good = os.path.join(tmp, 'good.conf')
    bad = os.path.join(tmp, 'bad.conf')
    with open(good, 'w') as f:
        f.write('[collector]\nlisten = 127.0.0.1:2055\n')
    with open(bad, 'w') as f:
        f.write('[collector]\nlisten = 127.0.0.1:2055\nworkerz = 2\n')
    p = subprocess.run([FSD, '-n', '-f', good], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([FSD, '-n', '-f', bad], capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stderr.startswith(bad + ':3: '), p.stderr
    p = subprocess.run([FSD, '-n', '-f', os.path.join(tmp, 'none.conf')],
                       capture_output=True, text=True)
    assert p.returncode == 1 and 'none.conf' in p.stderr, p.stderr
    contrib = os.path.join(SRC, 'contrib', 'flowsentry.conf')
    p = subprocess.run([FSD, '-n', '-f', contrib], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr


def test_capture_mode():
    """-r: a capture runs through the pipeline and the daemon exits 0"""
    tmp = tempfile.mkdtemp(prefix='fs-r-')
    c = os.path.join(tmp, 'c.conf')
    with open(c, 'w') as f:
        f.write('[collector]\nlisten = 127.0.0.1:2055\nstate_dir = %s\n'
                % tmp)
    p = subprocess.run([FSD, '-f', c, '-r', V9_CAP], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    n = len(decoded(V9_CAP))
    assert ' %d flow records' % n in p.stderr, p.stderr
    assert os.listdir(tmp) == ['c.conf'], os.listdir(tmp)
    p = subprocess.run([FSD, '-f', c, '-r', os.path.join(tmp, 'missing')],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr


def test_replay_every_protocol_every_port():
    """v5, v9, IPFIX and sFlow on one port, over IPv4 and IPv6 loopback"""
    d, port, mport, _ = started()
    try:
        total_dg = total_rec = 0
        for cap, host in ((V9_CAP, '127.0.0.1'), (SFLOW_CAP, '::1'),
                          (IPFIX_CAP, '127.0.0.1'), (V5_CAP, '::1')):
            replay(cap, port, host)
            total_dg += udp_datagrams(cap)
            total_rec += len(decoded(cap))
            wait_metric(mport, 'flowsentry_udp_datagrams_total', total_dg)
        wait_metric(mport, 'flowsentry_decode_records_total', total_rec)
        page = metrics(mport)
        for proto in ('netflow9', 'ipfix'):
            assert metric(page, 'flowsentry_exporter_datagrams_total',
                          {'exporter': '127.0.0.1', 'proto': proto}), proto
        for proto in ('sflow5', 'netflow5'):
            assert metric(page, 'flowsentry_exporter_datagrams_total',
                          {'exporter': '::1', 'proto': proto}), proto
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
        s = subprocess.run([FS, 'status', '--metrics', '127.0.0.1:%d' % mport],
                           capture_output=True, text=True, check=True).stdout
        assert 'datagrams         %d' % total_dg in s, s
        assert '::1' in s and 'sflow5' in s, s
    finally:
        assert d.stop() == 0


def test_exporter_allowlist_and_reload():
    """exporters: others dropped before parsing; SIGHUP swaps, a bad reload keeps"""
    d, port, mport, _ = started(extra='exporters = 10.0.0.0/8')
    try:
        send_udp(port, [v9([v9_template(), v9_data(3)])])
        wait_metric(mport, 'flowsentry_udp_denied_total', 1)
        page = metrics(mport)
        assert metric(page, 'flowsentry_decode_dgram_nf9_total') == 0
        assert metric(page, 'flowsentry_exporter_denied_total',
                      {'exporter': '127.0.0.1'}) == 1
        wait_for(lambda: 'is not in `exporters`' in d.logtext(),
                 what='warning naming the exporter')
        # Allow loopback, reload.
        text = open(d.conf).read().replace('10.0.0.0/8', '127.0.0.0/8')
        d.write_conf(text)
        d.signal(signal.SIGHUP)
        wait_metric(mport, 'flowsentry_config_reloads_total', 1)
        send_udp(port, [v9([v9_template(), v9_data(3)])])
        wait_metric(mport, 'flowsentry_decode_records_total', 3)
        # A broken config is refused and the running one stays.
        d.write_conf(text + 'bogus_key = 1\n')
        d.signal(signal.SIGHUP)
        wait_metric(mport, 'flowsentry_config_reload_failures_total', 1)
        assert 'reload refused' in d.logtext()
        send_udp(port, [v9([v9_data(2)])])
        wait_metric(mport, 'flowsentry_decode_records_total', 5)
    finally:
        assert d.stop() == 0


def test_templates_survive_restart():
    """templates saved at exit are used after a restart; a corrupt file is ignored"""
    d, port, mport, state = started()
    try:
        send_udp(port, [v9([v9_template(), v9_data(4)])])
        wait_metric(mport, 'flowsentry_decode_records_total', 4)
    finally:
        assert d.stop() == 0
    files = [f for f in os.listdir(state) if f.endswith('.state')]
    assert files == ['templates-0.state'], files
    d2 = Daemon(FSD, open(d.conf).read(), tmp=d.tmp).start(wait_metrics=mport)
    try:
        assert 'templates restored' in d2.logtext()
        send_udp(port, [v9([v9_data(5)])])          # data only
        wait_metric(mport, 'flowsentry_decode_records_total', 5)
        assert metric(metrics(mport), 'flowsentry_decode_tmpl_missing_total') == 0
    finally:
        assert d2.stop() == 0
    # Cut the file short: it is reported and ignored, the daemon runs.
    path = os.path.join(state, 'templates-0.state')
    data = open(path).read()
    with open(path, 'w') as f:
        f.write(data[:len(data) // 2])
    d3 = Daemon(FSD, open(d.conf).read(), tmp=d.tmp).start(wait_metrics=mport)
    try:
        assert 'template state ignored' in d3.logtext(), d3.logtext()
        send_udp(port, [v9([v9_data(1)])])
        wait_metric(mport, 'flowsentry_decode_tmpl_missing_total', 1)
    finally:
        assert d3.stop() == 0


def test_bad_datagrams_counted():
    """garbage, short and wrong-version datagrams are counted, the rest decodes"""
    d, port, mport, _ = started()
    try:
        send_udp(port, [b'', b'\x00\x09', b'\x00\x07' + b'\0' * 40,
                        b'\xff' * 100, v9([v9_data(2, tid=999)])])
        send_udp(port, [v9([v9_template(), v9_data(2)])])
        wait_metric(mport, 'flowsentry_decode_records_total', 2)
        page = metrics(mport)
        assert metric(page, 'flowsentry_decode_err_short_total') == 2
        assert metric(page, 'flowsentry_decode_ver_nf7_total') == 1
        assert metric(page, 'flowsentry_decode_tmpl_missing_total') == 1
        assert metric(page, 'flowsentry_exporter_errors_total',
                      {'exporter': '127.0.0.1'}) >= 4
        wait_for(lambda: 'datagram not wholly decoded' in d.logtext(),
                 what='rate-limited warning')
        # Rate limited: one warning per exporter per minute.
        assert d.logtext().count('datagram not wholly decoded') == 1
    finally:
        assert d.stop() == 0


def test_workers():
    """workers = 2: two threads, counters merged, every record decoded"""
    d, port, mport, state = started(workers=2)
    try:
        assert metric(metrics(mport), 'flowsentry_workers') == 2
        replay(V9_CAP, port)
        n = len(decoded(V9_CAP))
        wait_metric(mport, 'flowsentry_decode_records_total', n)
    finally:
        assert d.stop() == 0
    files = sorted(f for f in os.listdir(state) if f.endswith('.state'))
    assert files == ['templates-0.state', 'templates-1.state'], files


def test_unknown_user():
    """as root, a user that does not exist is a clear start-up error"""
    if os.geteuid() != 0:
        return 'not root: privileges are not dropped'
    port, mport = free_udp_port(), free_tcp_port()
    state = tempfile.mkdtemp(prefix='fs-state-')
    text = conf(port, mport, state).replace('user      = root',
                                            'user = fs-no-such-user')
    d = Daemon(FSD, text)
    d.start()
    rc = d.proc.wait(timeout=20)
    assert rc == 1, rc
    assert 'user "fs-no-such-user" does not exist' in d.logtext(), d.logtext()


def test_softflowd_equals_decode():
    """softflowd (v5, v9, IPFIX) on real traffic: the daemon decodes what
    `flowsentry decode` decodes from the same datagrams"""
    tmp = tempfile.mkdtemp(prefix='fs-softflowd-')
    dump = os.path.join(tmp, 'dump.ndjson')
    port, mport = free_udp_port(), free_tcp_port()
    d = Daemon(FSD, conf(port, mport, tmp), args=['-D', dump])
    d.start(wait_metrics=mport)
    want_total = 0
    try:
        for ver in ('5', '9', '10'):
            tee = Tee(port)
            try:
                # -r: softflowd reads the capture, exports, exits.  With a
                # control socket it may block in accept() instead: -c none.
                subprocess.run(['softflowd', '-r', TRAFFIC, '-v', ver,
                                '-n', '127.0.0.1:%d' % tee.port,
                                '-p', os.path.join(tmp, 'sf.pid'),
                                '-c', 'none']
                               + (['-6'] if ver != '5' else []),
                               check=True, capture_output=True, timeout=120)
                wait_for(lambda: tee.kept and time.time() -
                         tee.kept[-1][0] > 0.5, what='softflowd -v ' + ver)
            finally:
                tee.close()
            cap = os.path.join(tmp, 'v%s.pcap' % ver)
            tee.write_pcap(cap)
            want = subprocess.run([FS, 'decode', cap], capture_output=True,
                                  text=True, check=True).stdout.splitlines()
            assert len(want) > 50, (ver, len(want))
            want_total += len(want)
            wait_metric(mport, 'flowsentry_decode_records_total', want_total)
            with open(dump) as f:
                got = [l.rstrip('\n') for l in f
                       if '"kind"' not in l]
            # This version's records are the last ones dumped.
            got = got[len(got) - len(want):]
            assert sorted(got) == sorted(want), (ver, set(got) ^ set(want))
            types = {json.loads(l)['type'] for l in got}
            assert types == {{'5': 'netflow5', '9': 'netflow9',
                              '10': 'ipfix'}[ver]}, types
    finally:
        assert d.stop() == 0


def test_metrics_add_up():
    """the metrics endpoint answers in Prometheus text and its counters add
    up: per exporter = total, per protocol + errors = datagrams, records
    decoded = records enriched = the sum of the directions"""
    d, port, mport, _ = started()
    try:
        for cap, host in ((V9_CAP, '127.0.0.1'), (SFLOW_CAP, '::1'),
                          (V5_CAP, '127.0.0.1'), (IPFIX_CAP, '::1')):
            replay(cap, port, host)
        send_udp(port, [b'\x00\x05', b'\x00\x07' + b'\x00' * 30,
                        b'\x00\x09\x00\x01' + b'\xff' * 8])
        n = sum(udp_datagrams(c) for c in (V9_CAP, SFLOW_CAP, V5_CAP,
                                           IPFIX_CAP)) + 3
        wait_metric(mport, 'flowsentry_udp_datagrams_total', n)
        time.sleep(1.5)                 # one more publish of every counter
        page = metrics(mport)
        assert page.endswith('\n'), page[-80:]
        for line in page.splitlines():
            assert re.match(r'^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? '
                            r'[0-9.e+-]+)$', line), line

        def total(name):
            return sum(float(v) for v in re.findall(
                r'^%s(?:\{[^}]*\})? (\S+)$' % re.escape(name), page, re.M))
        m = lambda name: metric(page, name) or 0
        assert total('flowsentry_exporter_datagrams_total') == n
        assert total('flowsentry_exporter_bytes_total') == \
            m('flowsentry_udp_bytes_total')
        recs = m('flowsentry_decode_records_total')
        assert recs == total('flowsentry_exporter_records_total')
        assert recs == m('flowsentry_enrich_records_total')
        assert recs == sum(m('flowsentry_enrich_%s_total' % k) for k in
                           ('inbound', 'outbound', 'internal', 'transit'))
        by_proto = sum(m('flowsentry_decode_dgram_%s_total' % p)
                       for p in ('nf5', 'nf9', 'ipfix', 'sflow'))
        dropped = (m('flowsentry_decode_err_short_total') +
                   total('flowsentry_decode_ver_nf7_total') +
                   m('flowsentry_decode_err_header_total'))
        assert by_proto + dropped == n, (by_proto, dropped, n)
        assert m('flowsentry_udp_truncated_total') == 0
        assert m('flowsentry_udp_kernel_drops_total') == 0
    finally:
        assert d.stop() == 0


def test_sighup_under_traffic():
    """SIGHUP, again and again, while a capture streams in: no datagram is
    lost, every reload is counted, templates survive"""
    d, port, mport, state = started()
    try:
        n = len(decoded(SFLOW_CAP)) * 3 + len(decoded(V9_CAP))
        replay(V9_CAP, port)            # templates first
        t = threading.Thread(target=lambda: [replay(SFLOW_CAP, port, rate=2000)
                                             for _ in range(3)])
        t.start()
        hups = 0
        while t.is_alive():
            # Alternate a reloadable key so each reload really swaps.
            d.write_conf(conf(port, mport, state,
                              'sampling = 10.0.0.1=%d' % (hups % 2 + 1)))
            d.signal(signal.SIGHUP)
            hups += 1
            time.sleep(0.05)
        t.join()
        assert hups >= 5, hups
        wait_metric(mport, 'flowsentry_decode_records_total', n)
        wait_metric(mport, 'flowsentry_config_reloads_total', hups)
        page = metrics(mport)
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
        assert metric(page, 'flowsentry_decode_tmpl_missing_total') in (0,
                                                                        None)
    finally:
        assert d.stop() == 0


for t in (test_check_config, test_capture_mode,
          test_replay_every_protocol_every_port,
          test_exporter_allowlist_and_reload, test_templates_survive_restart,
          test_bad_datagrams_counted, test_workers, test_unknown_user,
          test_softflowd_equals_decode, test_metrics_add_up,
          test_sighup_under_traffic):
    if any(x in t.__name__ for x in os.environ.get('FS_ONLY', '').split(',')):
        tap.case(t)
tap.done()
