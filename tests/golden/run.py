#!/usr/bin/env python3
"""Golden tests: flowsentry decode against Wireshark and against itself.

DESIGN
Every capture of flow exports is decoded with `flowsentry decode --all
--frame` and checked twice:

  oracle    record by record against Wireshark's decoding beside it
            (X.tshark.tsv, made by tshark 4.0 with the corpus' own
            tools/oracle.py): same src, dst, ports, proto, bytes, packets
            (and for sFlow the sample's rate and frame length) for every
            data record, matched within the same capture frame, and no
            records beyond Wireshark's unless the capture is listed in
            LENIENT with the reason and another check of what we add.
  expected  byte for byte against tests/golden/expected/NAME.ndjson, so any
            change in output is seen in review.  UPDATE=1 rewrites them.

Captures come from tests/golden/corpus/ (those whose licence lets us keep
them: Apache-2.0, BSD, LGPL, or made by us) and from ../shared/corpus when
it sits beside the checkout (all 96).  Those only in ../shared are skipped,
with the reason, when it is absent.  Output is TAP.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

csv.field_size_limit(1 << 28)

HERE = os.path.dirname(os.path.abspath(__file__))

# Captures where we knowingly decode more than Wireshark, why, and how the
# extra records are checked instead.  Keyed by capture name.
LENIENT = {
    'ls-nf9-h3c': 'tshark 4.0 throws on the H3C template (IPv4 address '
                  'field of length 2) and stops after the first record; we '
                  'decode the rest (the first agrees, the others must be '
                  'IPv4 flows with ports and counters)',
    'ls-nf9-invalid01': 'tshark and beats stop at an options-template '
                        'FlowSet of length 22; we skip it by length and '
                        'decode the records after it',
    'akv-nf9-data-before-template-same-pdu':
        'the data FlowSet precedes its template in the same datagram; '
        'tshark leaves it undecoded, we defer it (tmpl_deferred)',
    'pm-ipfix-cisco-optmap-reassign':
        'the exporter changes its source port mid-capture; we key '
        'templates by exporter address as the router means them, tshark '
        'by address and port (the extra records equal pmacct\'s golden '
        'output)',
    'ls-ipfix-netscaler-missing-tpl': 'data sets without a template in the '
                                      'capture: neither side decodes them',
    'gen-ovs-ipfix': 'first data sets arrive before their template',
    'akv-ipfix-mpls-labels-pr960': 'first data sets arrive before their '
                                   'templates',
    'ls-nf9-iptnetflow-reduced-size': 'data sets without a template',
    'ndpi-nf9': 'no templates in the capture at all',
}

# Records that carry both an IPv4 and an IPv6 address field (SRv6, MPLS
# VPN, Huawei VRF exports): tshark's column shows the IPv4 field even when
# it is a 0.0.0.0 placeholder, we the first non-zero one.  Ours is accepted
# when it is any address field of the record in the oracle's `all` column.
ADDR_KEYS = {
    'src': ('cflow.srcaddr', 'cflow.srcaddrv6'),
    'dst': ('cflow.dstaddr', 'cflow.dstaddrv6'),
}


SECTION_KEYS = ('cflow.data_link_frame_section', 'cflow.ip_header_packet_section',
                'cflow.mpls_payload_packet_section',
                'cflow.ipv4_header_packet_section',
                'cflow.ipv6_header_packet_section')


def tap(out, n, ok, desc, diag=None, skip=None):
    line = '%s %d - %s' % ('ok' if ok else 'not ok', n, desc)
    if skip:
        line += ' # SKIP ' + skip
    out.append(line)
    if diag:
        for d in diag[:25]:
            out.append('#   ' + d)
        if len(diag) > 25:
            out.append('#   ... %d more' % (len(diag) - 25))


def find_captures(repo, shared):
    """name -> dict(pcap, tsv, extra tsv list, proto, where)."""
    caps = {}
    roots = []
    if shared and os.path.isdir(shared):
        roots.append(('shared', shared))
    roots.append(('repo', os.path.join(repo, 'tests', 'golden', 'corpus')))
    for where, root in roots:           # repo copies win (listed last)
        for proto in ('netflow5', 'netflow9', 'ipfix', 'sflow5', 'generated'):
            d = os.path.join(root, proto)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if not f.endswith('.pcap'):
                    continue
                name = f[:-5]
                tsv = os.path.join(d, name + '.tshark.tsv')
                if not os.path.exists(tsv):
                    continue            # the traffic the exports came from
                extra = []
                cf = os.path.join(d, name + '.cflow.tshark.tsv')
                if os.path.exists(cf):
                    extra.append(cf)
                caps[name] = dict(pcap=os.path.join(d, f), tsv=tsv,
                                  extra=extra, proto=proto, where=where)
    return caps


def read_tsv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE))


def all_fields(row):
    """The oracle's `all` column as name -> [values]."""
    d = {}
    for part in (row.get('all') or '').split(' | '):
        k, sep, v = part.partition('=')
        if sep:
            d.setdefault(k, []).append(v)
    return d


def first(v):
    v = (v or '').strip()
    return v.split(',')[0] if v else ''


def decode(binary, pcap):
    p = subprocess.run([binary, 'decode', '--all', '--frame', '--stats',
                        pcap], capture_output=True, text=True, timeout=300)
    recs = [json.loads(line) for line in p.stdout.splitlines() if line]
    return p.returncode, p.stdout, p.stderr, recs


def int_or_none(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        return None


# ---- NetFlow / IPFIX ------------------------------------------------------

def cflow_expect(row):
    """What one oracle data row says: field -> accepted values."""
    a = all_fields(row)
    e = {}
    for key, col in (('src', 'srcaddr'), ('dst', 'dstaddr')):
        v = first(row[col])
        alts = set()
        for k in ADDR_KEYS[key]:
            alts.update(a.get(k, []))
        if v:
            alts.add(v)
        if v == '0.0.0.0' or (v and len(alts) > 1):
            e[key] = alts               # dual-stack record: any of them
        elif v:
            e[key] = {v}
    # Fields Wireshark leaves in an undissected frame or IP header section
    # (RFC 7133, PSAMP) we read from the section itself: not compared here
    # when the oracle column is empty (tests/unit/test_pkthdr.c covers the
    # parsing).
    section = any(k in a for k in SECTION_KEYS)
    for key, col in (('sport', 'srcport'), ('dport', 'dstport'),
                     ('proto', 'protocol')):
        v = first(row[col])
        if v:
            e[key] = {int(v)}
        elif not section:
            e[key] = {None}
    for key, col, alt in (('bytes', 'octets', 'cflow.permanent_octets'),
                          ('packets', 'packets', 'cflow.permanent_packets')):
        v = first(row[col])
        if not v and a.get(alt):
            v = a[alt][0]
        if v:
            e[key] = {int(v)}
    return e


def matches(rec, exp):
    bad = []
    for k, vals in exp.items():
        if rec.get(k) not in vals:
            bad.append('%s=%r want %s' % (k, rec.get(k), sorted(vals, key=str)))
    return bad


def match_frames(rows, recs, expect, kind_of):
    """Match oracle rows to our records frame by frame.
    Returns (agreeing, problems, extras)."""
    by_frame = {}
    for r in recs:
        if kind_of(r):
            by_frame.setdefault(r.get('frame'), []).append(r)
    problems, agree = [], 0
    for row in rows:
        fr = int(row['frame'])
        exp = expect(row)
        cands = by_frame.get(fr, [])
        hit = None
        for i, c in enumerate(cands):
            if not matches(c, exp):
                hit = i
                break
        if hit is None:
            why = matches(cands[0], exp) if cands else ['no record decoded']
            problems.append('frame %d rec %s: %s' % (fr, row.get('rec') or
                            row.get('sample'), '; '.join(why)))
        else:
            cands.pop(hit)
            agree += 1
    extras = [r for v in by_frame.values() for r in v]
    return agree, problems, extras


def is_flow(r):
    return 'kind' not in r


def check_cflow(rows, recs, ours_type):
    data = [r for r in rows if r['kind'] == 'data']
    opts = [r for r in rows if r['kind'] == 'options']
    mine = [r for r in recs if r.get('type') in ours_type]
    agree, problems, extras = match_frames(data, mine, cflow_expect, is_flow)
    nopt = sum(1 for r in mine if r.get('kind') == 'options')
    if nopt < len(opts):
        problems.append('options records: %d, oracle %d' % (nopt, len(opts)))
    return agree, problems, extras


# ---- sFlow ----------------------------------------------------------------

def sflow_expect(row):
    e = {}
    for key, col in (('src', 'srcaddr'), ('dst', 'dstaddr')):
        v = first(row[col])
        e[key] = {v} if v else {None}
    for key, col in (('sport', 'srcport'), ('dport', 'dstport'),
                     ('proto', 'protocol'), ('bytes', 'frame_length'),
                     ('sampling', 'sampling_rate'),
                     ('sample_pool', 'sample_pool'), ('drops', 'drops')):
        v = first(row[col])
        e[key] = {int(v)} if v else {None}
    if e['sampling'] == {0}:
        e['sampling'] = {None}          # rate 0 is not a rate (SF-10)
    e['packets'] = {1}
    return e


def counters_expect(row):
    e = {}
    for key, col in (('ifindex', 'counter_ifindex'),
                     ('in_octets', 'ifinoct'), ('out_octets', 'ifoutoct')):
        v = first(row[col])
        e[key] = {int(v)} if v else {None}
    return e


def check_sflow(rows, recs):
    flows = [r for r in rows if r['type'] in ('Flow sample',
                                              'Expanded flow sample')]
    ctrs = [r for r in rows if r['type'] in ('Counters sample',
                                             'Expanded counters sample')
            and first(r['counter_ifindex'])]
    mine = [r for r in recs if r.get('type') == 'sflow5']
    a1, p1, x1 = match_frames(flows, mine, sflow_expect, is_flow)
    a2, p2, x2 = match_frames(ctrs, mine, counters_expect,
                              lambda r: r.get('kind') == 'counters')
    # Counter samples without generic interface counters are not in ctrs;
    # a counters record we emit must then have one in the oracle's `all`.
    x2 = [r for r in x2 if r.get('kind') == 'counters']
    return a1 + a2, p1 + p2, x1 + x2


# ---- driver ---------------------------------------------------------------

def pmacct_golden(pcap):
    """pmacct's output for the capture, summed per 5-tuple, or None."""
    path = pcap[:-5] + '.golden.json'
    if not os.path.exists(path) or not os.path.exists(
            pcap[:-5] + '.golden-nfacctd.conf'):
        return None
    sums = {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            k = (d.get('ip_src'), d.get('ip_dst'), d.get('port_src'),
                 d.get('port_dst'))
            b, p = sums.get(k, (0, 0))
            sums[k] = (b + d.get('bytes', 0), p + d.get('packets', 0))
    return sums


def extra_ok(name, extras, pcap):
    """The check of records Wireshark does not show (see LENIENT)."""
    bad = []
    golden = pmacct_golden(pcap)
    if golden is not None:
        sums = {}
        for r in extras:
            if not r.get('kind'):
                k = (r.get('src'), r.get('dst'), r.get('sport'),
                     r.get('dport'))
                b, p = sums.get(k, (0, 0))
                sums[k] = (b + r.get('bytes', 0), p + r.get('packets', 0))
        for k, v in sums.items():
            if golden.get(k) != v:
                bad.append('extra records %s: bytes/packets %s, pmacct %s'
                           % (k, v, golden.get(k)))
    for r in extras:
        if r.get('kind'):
            continue
        if not r.get('src') or not r.get('dst') or 'proto' not in r:
            bad.append('extra record without addresses/proto: %s' %
                       json.dumps(r))
        elif 'bytes' not in r and 'packets' not in r:
            bad.append('extra record without counters: %s' % json.dumps(r))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--flowsentry', required=True)
    ap.add_argument('--repo', required=True)
    ap.add_argument('--shared', default=None,
                    help='the shared corpus (default: REPO/../shared/corpus '
                         'or $FS_CORPUS)')
    ap.add_argument('only', nargs='*', help='capture names to run')
    args = ap.parse_args()
    shared = args.shared or os.environ.get('FS_CORPUS') or \
        os.path.join(args.repo, '..', 'shared', 'corpus')
    update = os.environ.get('UPDATE') == '1'
    caps = find_captures(args.repo, shared)
    expdir = os.path.join(HERE, 'expected')
    out, n, failed = [], 0, 0

    # Captures we keep expected output for but whose pcap is not here.
    missing = []
    if os.path.isdir(expdir):
        for f in sorted(os.listdir(expdir)):
            if f.endswith('.ndjson') and f[:-7] not in caps:
                missing.append(f[:-7])

    for name in sorted(caps):
        if args.only and name not in args.only:
            continue
        c = caps[name]
        rc, stdout, stderr, recs = decode(args.flowsentry, c['pcap'])
        where = '' if c['where'] == 'repo' else ' (../shared)'

        # 1. Wireshark.
        n += 1
        if rc != 0:
            tap(out, n, False, '%s%s: oracle' % (name, where),
                ['flowsentry decode exited %d' % rc] + stderr.splitlines())
            failed += 1
        else:
            rows = read_tsv(c['tsv'])
            if c['proto'] == 'sflow5' or (rows and 'sampling_rate' in rows[0]):
                agree, problems, extras = check_sflow(rows, recs)
            else:
                agree, problems, extras = check_cflow(
                    rows, recs, ('netflow5', 'netflow9', 'ipfix'))
            for extra in c['extra']:
                a2, p2, x2 = check_cflow(read_tsv(extra), recs,
                                         ('netflow5', 'netflow9', 'ipfix'))
                agree += a2
                problems += p2
                extras += x2
            flows_extra = [r for r in extras if not r.get('kind')]
            note = ''
            if flows_extra:
                if name in LENIENT:
                    problems += extra_ok(name, flows_extra, c['pcap'])
                    note = ', %d beyond Wireshark: %s' % (
                        len(flows_extra), LENIENT[name])
                else:
                    problems.append('%d records Wireshark does not have, '
                                    'first: %s' % (len(flows_extra),
                                                   json.dumps(flows_extra[0])))
            ok = not problems
            failed += not ok
            tap(out, n, ok, '%s%s: oracle, %d records agree%s' %
                (name, where, agree, note), problems)

        # 2. Our own expected output.
        n += 1
        exp = os.path.join(expdir, name + '.ndjson')
        if update and rc == 0:
            os.makedirs(expdir, exist_ok=True)
            with open(exp, 'w') as f:
                f.write(stdout)
            tap(out, n, True, '%s: expected output written' % name)
        elif not os.path.exists(exp):
            failed += 1
            tap(out, n, False, '%s: expected output' % name,
                ['missing %s (run with UPDATE=1 on purpose)' % exp])
        else:
            with open(exp) as f:
                want = f.read()
            ok = want == stdout
            diag = []
            if not ok:
                w, g = want.splitlines(), stdout.splitlines()
                for i in range(max(len(w), len(g))):
                    a = w[i] if i < len(w) else '<none>'
                    b = g[i] if i < len(g) else '<none>'
                    if a != b:
                        diag += ['line %d' % (i + 1), ' want ' + a, ' got  ' + b]
                        break
                diag.append('%d lines expected, %d decoded' % (len(w), len(g)))
            failed += not ok
            tap(out, n, ok, '%s: expected output (%d lines)' %
                (name, stdout.count('\n')), diag)

    for name in missing:
        if args.only and name not in args.only:
            continue
        n += 1
        tap(out, n, True, name, skip='capture not in this checkout and '
            '%s not found (its licence keeps it out of the repo)' % shared)

    print('TAP version 13')
    print('1..%d' % n)
    print('\n'.join(out))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
