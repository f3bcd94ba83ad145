"""What test_alert.py and test_alert_faults.py share: tests/alertdrv.c
driven with detections on stdin, its per-sink stats parsed, sink configs.

alertdrv reads a config, pushes the detections given on stdin (one per
line, `key=value` separated by tabs, values escaped by esc()), waits,
prints `stats NAME k=v ...` per sink and `idle`/`busy`, and frees them.
"""
import os
import resource
import signal
import subprocess
import time


def esc(v):
    """A value for alertdrv: printable ASCII as is, the rest \\xHH."""
    out = []
    for b in (v if isinstance(v, bytes) else str(v).encode()):
        c = chr(b)
        if 0x20 < b < 0x7f and c != '\\':
            out.append(c)
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def det_line(**fields):
    return '\t'.join('%s=%s' % (k, esc(v)) for k, v in fields.items())


class Run:
    """What one alertdrv run printed: stats per sink, idle at the end."""

    def __init__(self, out, err='', rc=0, took=0.0):
        self.rc, self.err, self.took = rc, err, took
        self.stats, self.idle = {}, None
        for line in out.splitlines():
            if line.startswith('stats '):
                parts = line.split()
                self.stats[parts[1]] = {k: int(v) for k, v in
                                        (p.split('=') for p in parts[2:])}
            elif line in ('idle', 'busy'):
                self.idle = line == 'idle'


def write_conf(tmp, body):
    path = os.path.join(tmp, 'alert.conf')
    with open(path, 'w') as f:
        f.write('[collector]\nstate_dir = %s\n%s' % (tmp, body))
    return path


def drive(drv, tmp, body, dets=(), wait=0, free=1000, fsize=None, pace=None,
          timeout=120):
    """alertdrv (the binary drv) with the detections on stdin; fsize:
    RLIMIT_FSIZE in bytes (SIGXFSZ ignored, as a daemon must); pace:
    (lines, seconds) to feed them in chunks instead of all at once."""
    conf = write_conf(tmp, body)

    def limits():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    lines = [det_line(**d) + '\n' for d in dets]
    t0 = time.monotonic()
    p = subprocess.Popen([drv, '-f', conf, '-w', str(wait), '-t', str(free)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         preexec_fn=limits)
    if pace:
        for i in range(0, len(lines), pace[0]):
            p.stdin.write(''.join(lines[i:i + pace[0]]))
            p.stdin.flush()
            time.sleep(pace[1])
        lines = []
    try:
        out, err = p.communicate(''.join(lines), timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError('alertdrv did not end in %d s:\n%s\n%s' %
                             (timeout, out, err[-3000:]))
    if p.returncode != 0:
        raise AssertionError('alertdrv exited %d:\n%s' % (p.returncode, err))
    return Run(out, err, p.returncode, time.monotonic() - t0)


def spool_files(d, ext='.eml'):
    """The spooled files: not the ".tmp-" ones being written (a test that
    counted those and then killed the writer lost the mail with it)."""
    return sorted(f for f in os.listdir(d)
                  if f.endswith(ext) and not f.startswith('.tmp-'))


def email_conf(port, extra='', name='email'):
    return """[alert %s]
type = email
url  = smtp://127.0.0.1:%d
from = flowsentry@example.net
to   = noc@example.net sec@example.net
%s
""" % (name, port, extra)
