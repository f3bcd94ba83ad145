#!/usr/bin/env python3
"""Fault injection and floods against the real daemon (HOSTILE D-1, R-1,
R-2, R-3, R-5, T2, T4, and injection through exporter-controlled strings).

Redis faults use a real redis-server: down at start, killed mid-run, slow
(DEBUG SLEEP while traffic flows), failing (maxmemory with noeviction) and
refusing our password.  Floods come from many loopback sources (every
address of 127.0.0.0/8 is local on Linux): templates from one exporter,
spoofed exporters with and without an allowlist, random hosts.  During
each fault and flood a steady exporter (127.0.0.3) keeps sending, and
every one of its records must be decoded.

Usage: test_faults.py BUILD_DIR SOURCE_DIR   (TAP on stdout)
"""
import glob
import json
import os
import pwd
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsharness import (Daemon, Redis, Tap, backpressure, free_tcp_port,
                       free_udp_port, metric, metric_labels, metric_sum,
                       metrics, rss_kb, send_from, send_udp, udp_drops,
                       wait_for, write_pcap)
from v9gen import FIELDS, v9, v9_data_to, v9_template

BUILD, SRC = sys.argv[1], sys.argv[2]
FSD = os.path.join(BUILD, 'flowsentryd')
FS = os.path.join(BUILD, 'tools', 'flowsentry')
STEADY = '127.0.0.3'            # the exporter that must keep being decoded
HOST = '192.0.2.10'             # its local server

# Redis 7 refuses DEBUG unless told (the unix socket counts as local).
DEBUG = ['--enable-debug-command', 'local']

tap = Tap()
TMPS = []
PROCS = []      # every Redis and Daemon made, killed at the end whatever


def tmpdir(prefix='fs-faults-'):
    TMPS.append(tempfile.mkdtemp(prefix=prefix))
    return TMPS[-1]


def new_redis(**kw):
    r = Redis(tmp=tmpdir(), **kw)
    PROCS.append(r)
    return r


def cleanup():
    for x in PROCS:
        if isinstance(x, Redis):
            x.kill()
        elif x.proc and x.proc.poll() is None:
            x.proc.kill()
            x.proc.wait()
    for d in TMPS:
        shutil.rmtree(d, ignore_errors=True)


def conf(port, mport, redis_url=None, collector='', redis='',
         local='192.0.2.0/24 10.0.0.0/8'):
    return """# written by test_faults.py
[collector]
listen    = 127.0.0.1:%d [::1]:%d
metrics   = 127.0.0.1:%d
state_dir = %s
user      = %s
%s
[network]
local = %s
[redis]
url = %s
flush_interval = 1
%s
""" % (port, port, mport, tmpdir('fs-state-'),
       pwd.getpwuid(os.geteuid()).pw_name, collector, local,
       redis_url or 'none', redis)


def started(redis_url=None, collector='', redis='', wait_up=False):
    port, mport = free_udp_port(), free_tcp_port()
    d = Daemon(FSD, conf(port, mport, redis_url, collector, redis),
               tmp=tmpdir())
    PROCS.append(d)
    d.start(wait_metrics=mport)
    if wait_up:
        wait_for(lambda: metric(metrics(mport), 'flowsentry_redis_up') == 1,
                 what='daemon connected to redis')
    return d, port, mport


def m(mport, name, labels=None):
    return metric(metrics(mport), name, labels) or 0


def steady_records(mport):
    return metric_labels(metrics(mport), 'flowsentry_exporter_records_total',
                         'exporter').get(STEADY, 0)


class Steady:
    """An exporter that keeps sending: every `every` seconds one datagram
    from STEADY with the template and n records HOST -> 198.51.100.x:443
    (1000 bytes, 2 packets each), as real exporters repeat templates."""

    def __init__(self, port, n=10, every=0.01, host=HOST):
        self.port, self.n, self.every, self.host = port, n, every, host
        self.records = self.datagrams = 0
        self.stop_ = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((STEADY, 0))
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        seq = 0
        while not self.stop_:
            dests = [('198.51.100.%d' % ((seq * self.n + i) % 250 + 1), 443)
                     for i in range(self.n)]
            self.sock.sendto(v9([v9_template(), v9_data_to(self.host, dests)],
                                seq=seq), ('127.0.0.1', self.port))
            seq += 1
            self.datagrams += 1
            self.records += self.n
            time.sleep(self.every)

    def stop(self):
        self.stop_ = True
        self.t.join()
        self.sock.close()
        return self.records


def others(mport, what):
    """Datagrams or records of every exporter but the steady one."""
    per = metric_labels(metrics(mport), 'flowsentry_exporter_%s_total' % what,
                        'exporter')
    return sum(v for k, v in per.items() if k != STEADY)


def all_decoded(mport, st, what='the steady exporter decoded'):
    """Every record the steady exporter sent was decoded."""
    n = st.records
    wait_for(lambda: steady_records(mport) == n, timeout=30,
             what='%s (%d records)' % (what, n))


def rising(mport, name, samples=3, every=1.1, labels=None):
    """name rises between consecutive samples; returns the values."""
    vals = [m(mport, name, labels)]
    for _ in range(samples):
        time.sleep(every)
        vals.append(m(mport, name, labels))
    assert all(b > a for a, b in zip(vals, vals[1:])), (name, vals)
    return vals


def redis_host_total(redis, host, field='flows_out'):
    """The sum of a host's bucket counters in Redis."""
    keys = [k for k in redis.cli('KEYS', 'fs:{%s}:b:*' % host).split('\n')
            if k]
    return sum(int(redis.cli('HGET', k, field) or 0) for k in keys)


def settled(mport):
    """Everything held was written and answered."""
    def ok():
        p = metrics(mport)
        return (metric(p, 'flowsentry_agg_hosts') == 0 and
                metric(p, 'flowsentry_agg_services') == 0 and
                metric(p, 'flowsentry_redis_pending') == 0 and
                metric(p, 'flowsentry_redis_up') == 1)
    wait_for(ok, timeout=30, what='aggregates flushed to redis')


# ---- Redis faults (HOSTILE D-1) ----------------------------------------

def test_redis_down_at_start():
    """Redis down at start: the daemon starts, warns, says disconnected,
    keeps the aggregates and writes them once Redis comes"""
    redis = new_redis()                 # not started: no socket yet
    d, port, mport = started(redis.url)
    try:
        wait_for(lambda: 'redis %s (worker 0): ' % redis.url in d.logtext()
                 and 'retrying in' in d.logtext(),
                 what='a warning naming redis')
        wait_for(lambda: m(mport, 'flowsentry_redis_connect_failures_total')
                 >= 1, what='failed connects counted')
        assert m(mport, 'flowsentry_redis_up') == 0
        send_udp(port, [v9([v9_template(), v9_data_to(
            HOST, [('198.51.100.%d' % i, 443) for i in range(1, 21)])])])
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') == 20,
                 what='records decoded without redis')
        wait_for(lambda: m(mport, 'flowsentry_redis_flushes_deferred_total')
                 >= 1, what='a deferred flush')
        assert m(mport, 'flowsentry_agg_hosts') >= 1
        redis.start()
        settled(mport)
        assert redis_host_total(redis, HOST) == 20
        assert redis_host_total(redis, HOST, 'bytes_out') == 20 * 1000
        # The bucket keys expire (bucket_ttl, 7 days by default).
        key = redis.cli('KEYS', 'fs:{%s}:b:*' % HOST).split('\n')[0]
        assert 0 < int(redis.cli('TTL', key)) <= 7 * 86400, key
    finally:
        assert d.stop() == 0
        redis.stop()


def test_redis_killed_mid_run():
    """Redis killed while traffic flows: decoding goes on, the loss of the
    connection is counted, and what came while it was away is written
    when it is back"""
    redis = new_redis().start()
    d, port, mport = started(redis.url, wait_up=True)
    st = Steady(port)
    try:
        wait_for(lambda: m(mport, 'flowsentry_redis_flushes_total') >= 1,
                 what='a first flush')
        redis.kill()
        wait_for(lambda: m(mport, 'flowsentry_redis_up') == 0,
                 what='daemon noticing redis is gone')
        assert m(mport, 'flowsentry_redis_disconnects_total') >= 1
        after = steady_records(mport)
        rising(mport, 'flowsentry_decode_records_total')
        wait_for(lambda: m(mport, 'flowsentry_redis_flushes_deferred_total')
                 >= 1, what='a deferred flush')
        redis.start()                   # empty: no persistence
        wait_for(lambda: m(mport, 'flowsentry_redis_up') == 1,
                 what='reconnected')
        st.stop()
        all_decoded(mport, st)
        settled(mport)
        got = redis_host_total(redis, HOST)
        # Everything decoded after the loss was noticed is there, and no
        # more than was sent (what was written before the kill went with
        # the old Redis; what was in flight at the kill is counted lost).
        assert st.records - after <= got <= st.records, (got, st.records,
                                                         after)
        assert m(mport, 'flowsentry_udp_kernel_drops_total') == 0
        assert 'connection lost' in d.logtext()
    finally:
        st.stop_ = True
        assert d.stop() == 0
        redis.stop()


def test_redis_slow():
    """DEBUG SLEEP while traffic flows: the UDP path keeps decoding, no
    kernel drops, nothing lost once Redis answers again"""
    redis = new_redis(args=DEBUG).start()
    d, port, mport = started(redis.url, wait_up=True)
    st = Steady(port, every=0.005)
    try:
        wait_for(lambda: m(mport, 'flowsentry_redis_flushes_total') >= 1,
                 what='a first flush')
        sleeper = redis.cli_bg('DEBUG', 'SLEEP', '4')
        time.sleep(0.3)
        vals = rising(mport, 'flowsentry_decode_records_total')
        pend = m(mport, 'flowsentry_redis_pending')
        sleeper.wait(timeout=30)
        st.stop()
        all_decoded(mport, st)
        settled(mport)
        page = metrics(mport)
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0, page
        assert metric(page, 'flowsentry_redis_disconnects_total') == 0
        assert metric(page, 'flowsentry_redis_lost_total') == 0
        assert pend > 0, 'redis never looked busy (pending %r)' % pend
        assert redis_host_total(redis, HOST) == st.records, (
            redis_host_total(redis, HOST), st.records, vals)
    finally:
        st.stop_ = True
        assert d.stop() == 0
        redis.stop()


def test_redis_oom():
    """maxmemory with noeviction: the OOM error replies are counted and
    logged, the daemon stays up and decoding, and writes work again once
    Redis has room"""
    redis = new_redis(args=DEBUG).start()
    d = st = None
    try:
        redis.cli('DEBUG', 'POPULATE', '20000', 'filler', '200')
        redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction')
        redis.cli('CONFIG', 'SET', 'maxmemory', '1mb')
        assert 'OOM' in redis.cli('SET', 'probe', 'x'), 'redis is not full'
        d, port, mport = started(redis.url, wait_up=True)
        st = Steady(port, every=0.02)
        wait_for(lambda: m(mport, 'flowsentry_redis_errors_total') >= 1,
                 what='OOM errors counted')
        wait_for(lambda: 'OOM command not allowed' in d.logtext(),
                 what='the OOM error in the log')
        rising(mport, 'flowsentry_decode_records_total', samples=2)
        assert d.alive()
        assert m(mport, 'flowsentry_redis_up') == 1
        redis.cli('CONFIG', 'SET', 'maxmemory', '0')
        errs = m(mport, 'flowsentry_redis_errors_total')
        before = redis_host_total(redis, HOST)
        wait_for(lambda: redis_host_total(redis, HOST) > before,
                 what='writes accepted again')
        st.stop()
        all_decoded(mport, st)
        settled(mport)
        # No new errors once there was room (one flush may have been in
        # flight when maxmemory was lifted).
        assert m(mport, 'flowsentry_redis_errors_total') <= errs + 20
        assert m(mport, 'flowsentry_udp_kernel_drops_total') == 0
        # The log is rate limited: one warning a minute, not one an error.
        assert d.logtext().count('OOM command not allowed') <= 3
    finally:
        if st:
            st.stop_ = True
        if d:
            assert d.stop() == 0
        redis.stop()


def test_redis_misconf():
    """MISCONF (a failed snapshot with stop-writes-on-bgsave-error): the
    error replies are counted and logged, decoding goes on, and writes
    work again once Redis takes them"""
    gone = tmpdir()
    redis = new_redis(args=['--dir', gone, '--save', '3600 1']).start()
    d = st = None
    try:
        shutil.rmtree(gone)             # the snapshot cannot be written
        redis.cli('BGSAVE')
        wait_for(lambda: 'MISCONF' in redis.cli('SET', 'probe', 'x'),
                 what='redis refusing writes')
        d, port, mport = started(redis.url, wait_up=True)
        st = Steady(port, every=0.02)
        wait_for(lambda: m(mport, 'flowsentry_redis_errors_total') >= 1,
                 what='MISCONF errors counted')
        wait_for(lambda: 'MISCONF' in d.logtext(), what='MISCONF logged')
        rising(mport, 'flowsentry_decode_records_total', samples=2)
        assert m(mport, 'flowsentry_redis_up') == 1 and d.alive()
        redis.cli('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no')
        wait_for(lambda: redis_host_total(redis, HOST) > 0,
                 what='writes accepted again')
        st.stop()
        all_decoded(mport, st)
        settled(mport)
        assert m(mport, 'flowsentry_udp_kernel_drops_total') == 0
    finally:
        if st:
            st.stop_ = True
        if d:
            assert d.stop() == 0
        redis.kill()                    # it would try to save on exit


def test_redis_wrong_password():
    """a wrong password: a clear log line (without the password), counted
    as a failed connect, retried with backoff; nothing is written or lost
    until the password is right"""
    redis = new_redis(port=free_tcp_port(), password='s3cret').start()
    url = redis.tcp_url('wrong-pw')
    d, port, mport = started(url)
    try:
        wait_for(lambda: 'AUTH refused: WRONGPASS' in d.logtext(),
                 what='AUTH refused in the log')
        log = d.logtext()
        assert 'wrong-pw' not in log, log
        assert 'redis://:***@127.0.0.1:%d' % redis.port in log, log
        send_udp(port, [v9([v9_template(), v9_data_to(
            HOST, [('198.51.100.%d' % i, 443) for i in range(1, 11)])])])
        wait_for(lambda: m(mport, 'flowsentry_redis_connect_failures_total')
                 >= 3, what='retries')
        wait_for(lambda: m(mport, 'flowsentry_redis_flushes_deferred_total')
                 >= 1, what='flushes deferred')
        page = metrics(mport)
        assert metric(page, 'flowsentry_redis_up') == 0, page
        assert metric(page, 'flowsentry_redis_flushes_total') == 0, page
        assert metric(page, 'flowsentry_agg_hosts') >= 1, page
        # The password is changed to the one the daemon has.
        redis.cli('CONFIG', 'SET', 'requirepass', 'wrong-pw')
        redis.password = 'wrong-pw'
        wait_for(lambda: m(mport, 'flowsentry_redis_up') == 1, timeout=30,
                 what='connected with the password')
        settled(mport)
        assert redis_host_total(redis, HOST) == 10
        assert 'wrong-pw' not in d.logtext()
    finally:
        assert d.stop() == 0
        redis.stop()


# ---- floods (HOSTILE, T2, T4) ----------------------------

def tmpl_flowsets(first, n):
    """v9 template flowsets for ids first..first+n-1 (the v9gen fields)."""
    sets = []
    for tid in range(first, first + n):
        rec = struct.pack('!HH', tid, len(FIELDS)) + b''.join(
            struct.pack('!HH', t, l) for t, l in FIELDS)
        sets.append(struct.pack('!HH', 0, 4 + len(rec)) + rec)
    return sets


def test_template_flood():
    """65,000 template ids from one exporter: the per-exporter cap holds,
    the evictions are counted, the other exporters are still decoded;
    then 3000 data sets for templates nobody sent: skipped and counted"""
    d, port, mport = started(collector='templates_per_exporter = 100\n'
                             'templates_total = 1000')
    st = Steady(port)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.2', 0))
        before = steady_records(mport)
        n = 0
        for first in range(256, 65536, 40):
            cnt = min(40, 65536 - first)
            s.sendto(v9(tmpl_flowsets(first, cnt), source_id=9),
                     ('127.0.0.1', port))
            n += cnt
            if first % 800 < 40:
                backpressure(port)      # a flood, not a kernel-drop test
        s.close()
        wait_for(lambda: m(mport, 'flowsentry_decode_tmpl_added_total') >= n,
                 timeout=30, what='every template seen')
        assert steady_records(mport) > before, 'steady starved'
        # Data for templates nobody sent (HOSTILE R-4): skipped, counted.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.6', 0))
        for i in range(3000):
            s.sendto(v9([v9_data_to(HOST, [('198.51.100.1', 443)] * 20,
                                    tid=256 + i % 60000)], source_id=6),
                     ('127.0.0.1', port))
            if i % 50 == 49:
                backpressure(port)
        s.close()
        wait_for(lambda: m(mport, 'flowsentry_decode_tmpl_missing_total') ==
                 3000, what='3000 data sets without a template counted')
        st.stop()
        all_decoded(mport, st)
        page = metrics(mport)
        assert metric(page, 'flowsentry_templates') <= 100 + 1, page
        assert metric(page, 'flowsentry_decode_tmpl_evicted_total') >= n - 100
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
        assert metric_labels(page, 'flowsentry_exporter_records_total',
                             'exporter').get('127.0.0.6', 0) == 0
    finally:
        st.stop_ = True
        assert d.stop() == 0


SPOOFED = ['127.%d.%d.%d' % (1 + i // 62500, i // 250 % 250, i % 250 + 1)
           for i in range(3000)]


def spoof_flood(port, srcs):
    """A template and a record from each source address."""
    pkt = v9([v9_template(300), v9_data_to(HOST, [('198.51.100.1', 80)],
                                           tid=300)], source_id=3)
    for i, a in enumerate(srcs):
        send_from(a, port, [pkt])
        if i % 50 == 49:
            backpressure(port)


def test_spoofed_exporters_allowlist():
    """3000 spoofed exporters outside the allowlist: dropped before any
    parsing or state, counted, the allowed exporter decoded"""
    d, port, mport = started(collector='exporters = %s/32' % STEADY)
    st = Steady(port)
    try:
        spoof_flood(port, SPOOFED)
        wait_for(lambda: m(mport, 'flowsentry_udp_denied_total') ==
                 len(SPOOFED), what='every spoofed datagram denied')
        st.stop()
        all_decoded(mport, st)
        page = metrics(mport)
        assert metric(page, 'flowsentry_decode_dgram_nf9_total') == \
            st.datagrams, page
        assert metric(page, 'flowsentry_templates') == 1, page
        assert metric(page, 'flowsentry_decode_records_total') == st.records
        # Per-exporter counters are capped (1024), the rest is "other".
        denied = metric_labels(page, 'flowsentry_exporter_denied_total',
                               'exporter')
        assert len(denied) <= 1025 and 'other' in denied, len(denied)
        assert sum(denied.values()) == len(SPOOFED)
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
        # One warning a minute per exporter, not per datagram... and the
        # table of exporters is capped, so the log is bounded too.
        assert d.logtext().count('is not in `exporters`') <= 1025
    finally:
        st.stop_ = True
        assert d.stop() == 0


def test_spoofed_exporters_no_allowlist():
    """3000 spoofed exporters and no allowlist: the template and exporter
    caps hold, memory stays bounded, the steady exporter is decoded"""
    d, port, mport = started(collector='templates_total = 256')
    st = Steady(port)
    try:
        spoof_flood(port, SPOOFED[:500])
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') >=
                 500, what='first spoofed records')
        rss0 = rss_kb(d.proc.pid)
        spoof_flood(port, SPOOFED[500:])
        wait_for(lambda: others(mport, 'datagrams') >= len(SPOOFED),
                 what='every spoofed datagram')
        rss1 = rss_kb(d.proc.pid)
        st.stop()
        all_decoded(mport, st)
        page = metrics(mport)
        assert metric(page, 'flowsentry_templates') <= 256, page
        assert metric(page, 'flowsentry_decode_tmpl_evicted_total') >= \
            len(SPOOFED) - 256
        recs = metric_labels(page, 'flowsentry_exporter_records_total',
                             'exporter')
        assert len(recs) <= 1025 and 'other' in recs, len(recs)
        assert recs[STEADY] == st.records
        # 2500 more exporters cost no more than a few MB (ASan included).
        assert rss1 - rss0 < 16 * 1024, (rss0, rss1)
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
    finally:
        st.stop_ = True
        assert d.stop() == 0


def random_hosts_flood(port, n, rnd, per=40):
    """n outbound records from random hosts of 10.0.0.0/8 to random remote
    addresses and service ports, from exporter 127.0.0.4."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.4', 0))
    sent = 0
    while sent < n:
        k = min(per, n - sent)
        recs = b''
        for i in range(k):
            src = socket.inet_aton('10.%d.%d.%d' % (rnd.randrange(256),
                                                    rnd.randrange(256),
                                                    rnd.randrange(1, 255)))
            dst = socket.inet_aton('198.%d.%d.%d' % (rnd.randrange(18, 20),
                                                     rnd.randrange(256),
                                                     rnd.randrange(1, 255)))
            recs += src + dst + struct.pack('!HHBII', 40000 + i,
                                            rnd.choice((25, 443, 6667, 22,
                                                        rnd.randrange(1024))),
                                            6, 500, 1)
        data = struct.pack('!HH', 256, 4 + len(recs)) + recs
        s.sendto(v9([v9_template(), data], source_id=4), ('127.0.0.1', port))
        sent += k
        if sent % 800 < per:
            backpressure(port)
    s.close()


def test_random_hosts_flood():
    """100,000 records from random hosts: the host and service tables stay
    at their caps, what did not fit is counted, RSS stays bounded, the
    steady exporter is decoded"""
    d, port, mport = started(redis='max_hosts = 1000\nmax_services = 2000')
    st = Steady(port)
    rnd = random.Random(7)
    try:
        random_hosts_flood(port, 20000, rnd)
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') >=
                 20000, what='first 20,000 records')
        rss0 = rss_kb(d.proc.pid)
        random_hosts_flood(port, 80000, rnd)
        wait_for(lambda: others(mport, 'records') >= 100000,
                 what='every flood record')
        rss1 = rss_kb(d.proc.pid)
        st.stop()
        all_decoded(mport, st)
        page = metrics(mport)
        assert metric(page, 'flowsentry_agg_hosts') <= 1000, page
        assert metric(page, 'flowsentry_agg_services') <= 2000, page
        assert metric(page, 'flowsentry_agg_host_dropped_total') > 50000
        assert metric(page, 'flowsentry_agg_service_dropped_total') > 50000
        assert metric(page, 'flowsentry_udp_kernel_drops_total') == 0
        # 80,000 more hosts than the tables hold cost no memory to speak of.
        assert rss1 - rss0 < 16 * 1024, (rss0, rss1)
    finally:
        st.stop_ = True
        assert d.stop() == 0


def test_packet_rate_flood():
    """a datagram flood beyond the socket buffer: the kernel's drops are
    counted exactly (SO_RXQ_OVFL = /proc/net/udp), the daemon keeps
    decoding afterwards (HOSTILE R-5)"""
    d, port, mport = started(collector='rcvbuf = 64K')
    try:
        pkt = v9([v9_template(), v9_data_to(HOST, [('198.51.100.1', 443)])])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.5', 0))
        for _ in range(60000):
            s.sendto(pkt, ('127.0.0.1', port))
        s.close()
        wait_for(lambda: (udp_drops(port) or 0) > 0, what='kernel drops')
        kd = udp_drops(port)
        st = Steady(port, every=0.02)   # a datagram after the drops
        time.sleep(0.5)
        st.stop()
        all_decoded(mport, st)
        wait_for(lambda: m(mport, 'flowsentry_udp_kernel_drops_total') ==
                 udp_drops(port), what='kernel drops counted')
        page = metrics(mport)
        got = metric(page, 'flowsentry_udp_datagrams_total')
        assert got + kd == 60000 + st.datagrams, (got, kd, st.datagrams)
    finally:
        assert d.stop() == 0


def test_big_datagrams():
    """the largest UDP datagrams over IPv4 and IPv6 are received whole (no
    MSG_TRUNC), a 65,496-byte v5 datagram decodes all 1364 records
    (HOSTILE T2)"""
    d, port, mport = started()
    try:
        n = (65507 - 24) // 48
        hdr = struct.pack('!HHIIIIBBH', 5, n, 1000, 1700000000, 0, 1, 0, 0,
                          0)
        rec = (socket.inet_aton(HOST) + socket.inet_aton('198.51.100.9') +
               b'\0' * 4 + struct.pack('!HHIIIIHHBBBBHHBBH', 1, 2, 3, 1500,
                                       900, 1000, 40000, 443, 0, 0x12, 6, 0,
                                       0, 0, 0, 0, 0))
        big5 = hdr + rec * n
        assert len(big5) == 24 + 48 * n <= 65507
        send_udp(port, [big5])
        send_udp(port, [b'\x00\x0a' + b'\xee' * 65525], host='::1')
        wait_for(lambda: m(mport, 'flowsentry_udp_datagrams_total') == 2,
                 what='two big datagrams')
        page = metrics(mport)
        assert metric(page, 'flowsentry_udp_truncated_total') == 0
        assert metric(page, 'flowsentry_udp_bytes_total') == len(big5) + 65527
        assert metric(page, 'flowsentry_decode_records_total') == n, page
        assert metric_labels(page, 'flowsentry_exporter_errors_total',
                             'exporter').get('::1') == 1
    finally:
        assert d.stop() == 0


def ip_checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def raw_udp4(src, sport, dst, dport, payload, frag=0):
    """An IPv4/UDP packet from any source (a raw socket: root only); with
    frag, cut into IP fragments of at most frag bytes (a multiple of 8)."""
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
        '!BBH', 0, 17, len(udp))
    udp = udp[:6] + struct.pack('!H', ip_checksum(ph + udp) or 0xffff) + \
        udp[8:]
    step = frag or len(udp)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for off in range(0, len(udp), step):
        part = udp[off:off + step]
        more = 0x2000 if off + step < len(udp) else 0
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(part), 4711,
                         more | off // 8, 64, 17, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
        ip = ip[:10] + struct.pack('!H', ip_checksum(ip)) + ip[12:]
        s.sendto(ip + part, (dst, 0))
    s.close()


def test_sources():
    """each loopback source is its own exporter (IPv4 and IPv6); a sender
    with source port 0 is refused and counted (HOSTILE T4); an export cut
    into IP fragments arrives whole (T2)"""
    d, port, mport = started()
    try:
        pkt = v9([v9_template(), v9_data_to(HOST, [('198.51.100.1', 443)])])
        for a in ('127.0.0.7', '127.1.2.3'):
            send_from(a, port, [pkt])
        send_from('::1', port, [pkt], dst='::1')
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') == 3,
                 what='three exporters')
        recs = metric_labels(metrics(mport),
                             'flowsentry_exporter_records_total', 'exporter')
        assert recs == {'127.0.0.7': 1, '127.1.2.3': 1, '::1': 1}, recs
        if os.geteuid() != 0:
            return 'not root: no raw socket for a source port 0'
        raw_udp4('127.0.0.9', 0, '127.0.0.1', port, pkt)
        wait_for(lambda: m(mport, 'flowsentry_udp_bad_source_total') == 1,
                 what='source port 0 refused')
        page = metrics(mport)
        assert metric(page, 'flowsentry_decode_records_total') == 3
        assert '127.0.0.9' not in page
        # An IP-fragmented export (HOSTILE T2): the kernel reassembles it,
        # the daemon sees one whole datagram.
        big = v9([v9_template(), v9_data_to(
            HOST, [('198.51.100.%d' % i, 443) for i in range(1, 101)])])
        raw_udp4('127.0.0.10', 40000, '127.0.0.1', port, big, frag=1000)
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') == 103,
                 what='the reassembled datagram decoded')
        assert m(mport, 'flowsentry_udp_truncated_total') == 0
    finally:
        assert d.stop() == 0


def warning_flood(port, mport, rise=False):
    """Bad datagrams from 3000 exporters, each asking for a warning, while
    the steady exporter sends: every datagram taken, every steady record
    decoded (rise: and decoding seen going on), no kernel drops."""
    st = Steady(port, every=0.02)
    bad = b'\x00\x09' + b'\xff' * 30       # a v9 header, then garbage
    for i in range(3000):
        send_from('127.2.%d.%d' % (i // 250, i % 250 + 1), port, [bad])
        if i % 50 == 49:
            backpressure(port)
    wait_for(lambda: m(mport, 'flowsentry_udp_datagrams_total') >=
             3000 + st.datagrams - 50, what='every datagram taken')
    if rise:
        rising(mport, 'flowsentry_decode_records_total', samples=2)
    st.stop()
    all_decoded(mport, st)
    assert m(mport, 'flowsentry_udp_kernel_drops_total') == 0
    assert metric_sum(metrics(mport),
                      'flowsentry_exporter_errors_total') == 3000


def test_log_stalled():
    """the daemon's log (stderr, a pipe) stops taking lines while bad
    datagrams from 3000 exporters ask for 3000 warnings: decoding goes on,
    no kernel drops, the lines that could not go are counted, and the
    daemon stops on SIGTERM (HOSTILE D-2)"""
    port, mport = free_udp_port(), free_tcp_port()
    tmp = tmpdir()
    path = os.path.join(tmp, 'c.conf')
    with open(path, 'w') as f:
        f.write(conf(port, mport))
    r, w = os.pipe()
    p = subprocess.Popen([FSD, '-d', '-f', path], stdout=w, stderr=w)
    os.close(w)
    out = []
    try:
        wait_for(lambda: p.poll() is None and metrics(mport),
                 what='metrics endpoint')
        warning_flood(port, mport, rise=True)
        # Read the log again, then stop: the loss is told.
        def reader():
            while True:
                b = os.read(r, 65536)
                if not b:
                    break
                out.append(b)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0
        t.join(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(r)
    text = b''.join(out).decode(errors='replace')
    assert 'log messages lost: the log was not taking them' in text, \
        text[-2000:]


def pid_of(conf_path):
    """The flowsentryd whose command line names conf_path, or None."""
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0].endswith(b'flowsentryd') and \
                conf_path.encode() in argv:
            return int(d)
    return None


def test_syslog_stalled():
    """syslog mode (no -d: the daemon forks and logs to /dev/log): a
    syslog daemon that stops reading while 3000 exporters ask for
    warnings: decoding goes on, no kernel drops, the daemon stops on
    SIGTERM, and once the socket is read again the loss is told
    (HOSTILE D-2).  /dev/log is a socket of the test's, mounted in a
    private mount namespace (unshare -m) so the machine's is not touched."""
    tmp = tmpdir()
    sock_path = os.path.join(tmp, 'log.sock')
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    log.bind(sock_path)
    port, mport = free_udp_port(), free_tcp_port()
    path = os.path.join(tmp, 'c.conf')
    with open(path, 'w') as f:
        f.write(conf(port, mport))
    script = ('set -e; mkdir %(t)s/dev0; mount --bind /dev %(t)s/dev0; '
              'mount -t tmpfs tmpfs /dev; '
              'for n in null zero random urandom full; do touch /dev/$n; '
              'mount --bind %(t)s/dev0/$n /dev/$n; done; '
              'touch /dev/log; mount --bind %(s)s /dev/log; '
              'exec %(fsd)s -f %(c)s' %
              {'t': tmp, 's': sock_path, 'fsd': os.path.abspath(FSD),
               'c': path})
    p = subprocess.run(['unshare', '-m', '--propagation', 'private', 'sh',
                        '-c', script], capture_output=True, timeout=60)
    if p.returncode != 0 and (b'unshare:' in p.stderr or
                              b'mount:' in p.stderr):
        log.close()
        return 'no private mount namespace here: %s' % \
            p.stderr.decode().strip()
    assert p.returncode == 0, p.stderr
    pid = None
    try:
        wait_for(lambda: pid_of(path), what='the forked daemon')
        pid = pid_of(path)
        wait_for(lambda: metrics(mport), what='metrics endpoint')
        warning_flood(port, mport)
        out = []
        log.settimeout(0.2)

        def drain():
            try:
                while True:
                    out.append(log.recv(65536))
            except OSError:
                pass
        drain()                 # the syslog daemon reads again
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists('/proc/%d' % pid) or
                 open('/proc/%d/stat' % pid).read().split()[2] == 'Z',
                 timeout=30, what='the daemon gone after SIGTERM')
        pid = None
        drain()
    finally:
        pid = pid or pid_of(path)
        if pid:
            os.kill(pid, signal.SIGKILL)
        log.close()
    text = b''.join(out).decode(errors='replace')
    if os.environ.get('FS_SHOW'):
        print(text)
    assert 'log messages lost' in text, text[-2000:]


# ---- hostile strings from the exporter ----------------------------------

HOSTILE = [
    b'eth0\r\nBcc: victim@example.org\r\n',
    b'%n%s%x%n%p',
    b'$(reboot); `id` | rm -rf / && echo >x <y *?',
    b'"\'\\"\\\\\'',
    b'nul\x00inside\x00',
    b'\xff\xfe\xc0\xaf\xed\xa0\x80 invalid utf-8',
    b'\x1b[31mred\x07\x7f\x85\xe2\x80\xa8\xe2\x80\xae',
    b'\\u0000\\"}{"x":1',
    b'A' * 1000,
]


def ipfix_msg(sets, domain=5, seq=0):
    body = b''.join(sets)
    return struct.pack('!HHIII', 10, 16 + len(body), 1700000000, seq,
                       domain) + body


def ipfix_set(sid, payload):
    pad = (-(4 + len(payload))) % 4
    return struct.pack('!HH', sid, 4 + len(payload) + pad) + payload + \
        b'\0' * pad


def varlen(b):
    if len(b) < 255:
        return struct.pack('!B', len(b)) + b
    return struct.pack('!BH', 255, len(b)) + b


# sourceIPv4Address, destinationIPv4Address, sourceTransportPort,
# destinationTransportPort, protocolIdentifier, octetDeltaCount,
# packetDeltaCount, interfaceName (82), interfaceDescription (83),
# applicationName (96), VRFname (236, fixed 32 bytes)
IX_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8),
             (82, 65535), (83, 65535), (96, 65535), (236, 32)]


def hostile_ipfix():
    tmpl = struct.pack('!HH', 400, len(IX_FIELDS)) + b''.join(
        struct.pack('!HH', t, l) for t, l in IX_FIELDS)
    msgs = [ipfix_msg([ipfix_set(2, tmpl)])]
    for i, h in enumerate(HOSTILE):
        rec = (socket.inet_aton(HOST) +
               socket.inet_aton('198.51.100.%d' % (i + 1)) +
               struct.pack('!HHBQQ', 40000 + i, 443, 6, 1000 + i, 1 + i) +
               varlen(h) + varlen(h[::-1]) + varlen(h) +
               h[:32].ljust(32, b'x'))
        msgs.append(ipfix_msg([ipfix_set(400, rec)], seq=i + 1))
    # NetFlow v9 IF_NAME / IF_DESC (82, 83) as fixed 16-byte strings
    # without a NUL (HOSTILE V9-13).
    f9 = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, 4), (2, 4),
          (82, 16), (83, 16)]
    t9 = struct.pack('!HH', 260, len(f9)) + b''.join(
        struct.pack('!HH', t, l) for t, l in f9)
    recs = b''
    for i, h in enumerate(HOSTILE):
        recs += (socket.inet_aton(HOST) + socket.inet_aton('198.51.100.77') +
                 struct.pack('!HHBII', 50000 + i, 25, 6, 700, 7) +
                 h[-16:].rjust(16, b'#') + h[:16].ljust(16, b'#'))
    pad = (-(4 + len(recs))) % 4
    data9 = struct.pack('!HH', 260, 4 + len(recs) + pad) + recs + b'\0' * pad
    msgs.append(v9([struct.pack('!HH', 0, 4 + len(t9)) + t9, data9],
                   source_id=11))
    return msgs


def check_records(lines, what):
    """Each line is one JSON object (strict UTF-8); the hostile records
    decode with their numbers right and no string leaks into them."""
    recs = []
    for raw in lines:
        assert b'\n' not in raw.rstrip(b'\n'), raw
        r = json.loads(raw.decode('utf-8'))     # strict: valid UTF-8
        assert isinstance(r, dict), raw
        recs.append(r)
    flows = [r for r in recs if r.get('dport') in (443, 25)]
    assert len(flows) == 2 * len(HOSTILE), (what, len(flows), recs[:3])
    ix = sorted((r for r in flows if r['type'] == 'ipfix'),
                key=lambda r: r['sport'])
    for i, r in enumerate(ix):
        assert r['src'] == HOST and r['dst'] == '198.51.100.%d' % (i + 1), r
        assert r['bytes'] == 1000 + i and r['packets'] == 1 + i, r
    for r in flows:
        for v in r.values():
            if isinstance(v, str):
                assert not any(x in v for x in ('Bcc', '%n', 'reboot',
                                                'AAAA', 'red')), (what, r)
    return recs


def test_hostile_strings_decoded():
    """hostile strings in IPFIX interfaceName/interfaceDescription,
    applicationName, VRFname and v9 IF_NAME/IF_DESC: `flowsentry decode`
    and the daemon's -D dump stay one valid JSON object per line, and the
    records around the strings decode right"""
    tmp = tmpdir()
    msgs = hostile_ipfix()
    cap = os.path.join(tmp, 'hostile.pcap')
    write_pcap(cap, msgs)
    p = subprocess.run([FS, 'decode', '--all', cap], capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    check_records(p.stdout.splitlines(), 'decode')
    dump = os.path.join(tmp, 'dump.ndjson')
    port, mport = free_udp_port(), free_tcp_port()
    d = Daemon(FSD, conf(port, mport), tmp=tmp, args=['-D', dump])
    PROCS.append(d)
    d.start(wait_metrics=mport)
    try:
        send_udp(port, msgs)
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') ==
                 2 * len(HOSTILE), what='hostile records decoded')
        assert m(mport, 'flowsentry_exporter_errors_total',
                 {'exporter': '127.0.0.1'}) == 0
    finally:
        assert d.stop() == 0
    with open(dump, 'rb') as f:
        check_records(f.read().splitlines(), 'daemon -D')


FAKETIME = (glob.glob('/usr/lib/*/faketime/libfaketime.so.1') +
            ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'])[0]


def test_clock_step():
    """HOSTILE D-5: the daemon starts with its wall clock a day behind,
    which then steps to 2 h ahead, 2 h behind and right (NTP, an operator;
    libfaketime moves CLOCK_REALTIME only, the monotonic clock runs on).
    Templates age on the steady clock: none expires (the timeout is 1 h),
    data sent without its template after each step still decodes, and the
    records carry the stepped wall time; a detection whose settling time a
    step back falls into is raised in seconds, not 2 h later; restarted
    on the right clock, the daemon restores the saved templates (their
    age survives, not the wrong wall time of their last sighting)."""
    if not os.path.exists(FAKETIME):
        return 'libfaketime not installed (tools/deps.sh installs it)'
    tmp = tmpdir()
    offset = os.path.join(tmp, 'offset')
    with open(offset, 'w') as f:
        f.write('-1d\n')
    env = dict(os.environ, LD_PRELOAD=FAKETIME, DONT_FAKE_MONOTONIC='1',
               FAKETIME_TIMESTAMP_FILE=offset, FAKETIME_CACHE_DURATION='1',
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') +
               ':verify_asan_link_order=0')
    port, mport = free_udp_port(), free_tcp_port()
    alerts = os.path.join(tmp, 'alerts.ndjson')
    text = conf(port, mport, collector='template_timeout = 1h',
                redis='[detect]\nrules = %s/rules/*.rules\n'
                'learning = 0\n[alert file]\npath = %s\n' %
                (os.path.abspath(SRC), alerts))
    d = Daemon(FSD, text, tmp=tmp, env=env)
    PROCS.append(d)
    d.start(wait_metrics=mport)
    src = '127.0.0.4'
    data = v9([v9_data_to(HOST, [('198.51.100.7', 443)] * 10)], source_id=4)

    def last_seen():
        return metric(metrics(mport), 'flowsentry_exporter_last_seen_seconds',
                      {'exporter': src}) or 0

    def set_offset(to):
        with open(offset + '.new', 'w') as f:
            f.write(to + '\n')
        os.replace(offset + '.new', offset)

    def step(to, seconds):
        set_offset(to)
        # data without a template until the daemon's wall clock moved
        wait_for(lambda: send_from(src, port, [data]) or
                 abs(last_seen() - (time.time() + seconds)) < 600,
                 what='the daemon on the stepped clock (%s)' % to)
        time.sleep(2.5)         # ticks on the stepped clock (expiry)
        n = m(mport, 'flowsentry_decode_records_total')
        send_from(src, port, [data])
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') ==
                 n + 10, what='data decoded after the step to %s' % to)

    try:
        send_from(src, port, [v9([v9_template(), v9_data_to(
            HOST, [('198.51.100.7', 443)] * 10)], source_id=4)])
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') == 10,
                 what='template and data decoded')
        step('+2h', 7200)
        step('-2h', -7200)
        send_from(src, port, [v9([v9_data_to(HOST, [('198.51.100.25', 25)])],
                                 source_id=4)])
        set_offset('-4h')       # while the detection settles (2 s)
        wait_for(lambda: os.path.exists(alerts) and
                 '198.51.100.25' in open(alerts).read(), timeout=15,
                 what='the SMTP detection after the step back')
        step('+0', 0)
        page = metrics(mport)
        assert metric(page, 'flowsentry_decode_tmpl_expired_total') == 0, page
        assert metric(page, 'flowsentry_decode_tmpl_missing_total') == 0, page
        assert metric(page, 'flowsentry_uptime_seconds') < 600, page
    finally:
        assert d.stop() == 0
    d = Daemon(FSD, text, tmp=tmp)      # the right clock, no libfaketime
    PROCS.append(d)
    d.start(wait_metrics=mport)
    try:
        send_from(src, port, [data])
        wait_for(lambda: m(mport, 'flowsentry_decode_records_total') == 10,
                 what='data decoded by the saved template after a restart')
        assert m(mport, 'flowsentry_decode_tmpl_missing_total') == 0
    finally:
        assert d.stop() == 0


for t in (test_redis_down_at_start, test_redis_killed_mid_run,
          test_redis_slow, test_redis_oom, test_redis_misconf,
          test_redis_wrong_password,
          test_template_flood, test_spoofed_exporters_allowlist,
          test_spoofed_exporters_no_allowlist, test_random_hosts_flood,
          test_packet_rate_flood, test_big_datagrams, test_sources,
          test_log_stalled, test_syslog_stalled,
          test_hostile_strings_decoded, test_clock_step):
    if any(x in t.__name__ for x in
           os.environ.get('FS_ONLY', '').split(',')):
        tap.case(t)
cleanup()
tap.done()
