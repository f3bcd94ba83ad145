#!/usr/bin/env python3
"""tools/runconf.py - reads and rewrites a flowsentry.conf for tools/run.

  runconf.py get CONF SECTION KEY    the key's value, unquoted (nothing if
                                     unset); e.g. get CONF redis url
  runconf.py files CONF SECTION KEY  the files the key's globs match,
                                     relative to CONF, one per line
  runconf.py write CONF STATE URL    CONF as tools/run runs it, on stdout:
                                     state_dir, the rules, the whitelists
                                     and [alert file] path in STATE, the
                                     Redis URL set, and every other relative
                                     path (country, asn, path, spool) made
                                     absolute, since the copy lives in STATE

It reads the grammar of flowsentry.conf(5): sections, several `key = value`
pairs on a line, '#' comments at a line's start or after a blank, values in
double quotes with \\" and \\\\ inside; a value whose first word reads
`word =` is empty.  Pairs it does not change are written as they were.
"""
import glob
import os
import re
import sys

KEY = re.compile(r'([A-Za-z0-9_-]+)[ \t]*=')
BLANK = ' \t'
SPACE = ' \t\n\v\f\r'         # C's isspace(), what the daemon trims
PATHS = ('country', 'asn', 'path', 'spool')     # single relative paths


def unquote(s, i):
    """The quoted value starting at s[i] == '"': (value, index after)."""
    out, i = [], i + 1
    while i < len(s) and s[i] != '"':
        if s[i] == '\\' and i + 1 < len(s) and s[i + 1] in '"\\':
            i += 1
        out.append(s[i])
        i += 1
    if i >= len(s):
        raise ValueError('quoted value without its closing quote')
    return ''.join(out), i + 1


def quote(v):
    return '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'


def pairs(s):
    """The pairs of a line: (key, value, raw text of the pair, quoted)."""
    i, out = 0, []
    while i < len(s) and s[i] != '#':
        m = KEY.match(s, i)
        if not m:
            raise ValueError('expected key = value: %r' % s[i:i + 40])
        v = m.end()
        while v < len(s) and s[v] in BLANK:
            v += 1
        quoted = False
        if KEY.match(s, v):
            val, j = '', v
        elif v < len(s) and s[v] == '"':
            val, j = unquote(s, v)
            quoted = True
        elif v < len(s) and s[v] == '#' and s[v - 1] in BLANK:
            val, j = '', len(s)
        else:
            j = v
            while True:
                while j < len(s) and s[j] not in BLANK:
                    j += 1
                if j >= len(s):
                    break
                while j < len(s) and s[j] in BLANK:
                    j += 1
                if j >= len(s) or s[j] == '#' or KEY.match(s, j):
                    break
            val = s[v:j].rstrip(BLANK)
        out.append((m.group(1), val, s[i:j].rstrip(BLANK), quoted))
        i = j
        while i < len(s) and s[i] in BLANK:
            i += 1
    return out


def parse(path):
    """[(section or None, line, [pairs] or None)] for every line."""
    lines, sec = [], None
    # Bytes as they are (latin-1 maps each to one character), lines split
    # at '\n' only, as the daemon reads them.
    with open(path, 'rb') as f:
        text = f.read().decode('latin-1')
    if text.endswith('\n'):
        text = text[:-1]
    for line in text.split('\n'):
        s = line.strip(SPACE)
        if not s or s.startswith('#'):
            lines.append((sec, line, None))
        elif s.startswith('['):
            m = re.match(r'\[([^\]]*)\]', s)
            sec = ' '.join(w for w in re.split(r'[ \t]+', m.group(1))
                           if w) if m else s
            lines.append((sec, line, 'header'))
        else:
            lines.append((sec, line, pairs(s)))
    return lines


def value(conf, section, key):
    """(value, quoted) of the key, or (None, False)."""
    for sec, _, ps in parse(conf):
        if sec == section and isinstance(ps, list):
            for k, v, _, q in ps:
                if k == key:
                    return v, q
    return None, False


def absolute(conf, v):
    return v if v.startswith('/') else os.path.join(
        os.path.dirname(os.path.abspath(conf)), v)


def write(conf, state, url):
    out, seen = [], set()
    fixed = {('collector', 'state_dir'): state,
             ('detect', 'rules'): os.path.join(state, 'rules', '*'),
             ('detect', 'whitelist'): os.path.join(state, 'whitelist', '*'),
             ('alert file', 'path'): os.path.join(state, 'alerts.ndjson'),
             ('redis', 'url'): url}
    missing = {('collector', 'state_dir'), ('redis', 'url')}
    lines = parse(conf)

    def end_section(sec):
        for s, k in sorted(missing - seen):
            if s == sec:
                out.append('%s = %s' % (k, quote(fixed[(s, k)])))
                seen.add((s, k))
    prev = None
    for sec, line, ps in lines:
        if ps == 'header':
            end_section(prev)
            prev = sec
            out.append(line)
        elif not isinstance(ps, list):
            out.append(line)
        else:
            for k, v, raw, _ in ps:
                if (sec, k) in fixed:
                    seen.add((sec, k))
                    out.append('%s = %s' % (k, quote(fixed[(sec, k)])))
                elif k in PATHS and v and not v.startswith('/'):
                    out.append('%s = %s' % (k, quote(absolute(conf, v))))
                else:
                    out.append(raw)
    end_section(prev)
    for s, k in sorted(missing - seen):
        if ('[%s]' % s) not in [l.strip() for l in out]:
            out.append('[%s]' % s)
        out.append('%s = %s' % (k, quote(fixed[(s, k)])))
    return '\n'.join(out) + '\n'


def emit(text):
    sys.stdout.buffer.write(text.encode('latin-1'))


def main(argv):
    try:
        if len(argv) == 5 and argv[1] == 'get':
            v, _ = value(argv[2], argv[3], argv[4])
            if v:
                emit(v + '\n')
        elif len(argv) == 5 and argv[1] == 'files':
            v, q = value(argv[2], argv[3], argv[4])
            # a quoted value is one glob, else globs split on blanks
            for g in ([v] if q else (v or '').split()):
                for f in sorted(glob.glob(absolute(argv[2], g))):
                    emit(f + '\n')
        elif len(argv) == 5 and argv[1] == 'write':
            emit(write(argv[2], argv[3], argv[4]))
        else:
            sys.stderr.write(__doc__)
            return 2
    except (OSError, ValueError) as e:
        sys.stderr.write('runconf: %s: %s\n' % (argv[2], e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
