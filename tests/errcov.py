#!/usr/bin/env python3
"""errcov.py - does the unit test provoke every error message of a parser?

Usage:
  errcov.py [--root DIR] [--tap] [-v] [PRESET ...]
  errcov.py [--root DIR] [--tap] [-v] --src GLOB... --func SPEC... --test FILE

PRESET is one of the built-in checks below ("wl", "rules"); with neither a
preset nor --src/--func/--test, every preset is checked.  Paths and globs are
relative to --root (default: the checkout this script is in).

WHAT IS A MESSAGE
Every call of an error-reporting function (--func) in the sources (--src)
whose arguments hold a string literal.  SPEC is a function name, e.g.
"wl_err", or a name and a first argument, e.g. "snprintf(why", which takes
only the calls whose first argument is exactly that (blanks aside): a
reason written into a buffer and reported later.  The format argument is
the first argument that holds a string literal (a call without one, such as a
wrapper passing its `fmt` or `why` on, is not a message); adjacent literals
are joined as the compiler joins them, and a conditional format
(`c ? "a %s" : "b %s"`) gives one message per literal.  Comments and
#-lines are skipped when finding calls.

WHAT COVERS IT
The test file's string literals are read the same way (adjacent ones joined,
escapes decoded), except those in its own diagnostics (fail_msg,
print_message, print_error, printf, fprintf: "unexpected error: %s" expects
nothing).  A message is covered when some test string ENDS WITH an
instance of the whole format: every constant part, in order, with each printf
conversion (%s, %.*s, %zu, %%...) matching any text.  It must end there
because callers only ever put a position in front ("t.wl:3: ", "list p: "),
never text after.  So a test that checks the full error string covers it; a
test that only looks for a fragment does not.

One test string covers only the most specific of the messages it could be
an instance of: when two messages both match it and neither lies wholly
inside a conversion of the other (wrapper "list %s: %s" around a reason is
fine), only the one with more constant text is covered, so
"bad service '89/1': protocol 89 has no ports" (wl_parse) does not also
cover "protocol %u has no ports" (wl_entry_check).  Identical formats at
different call sites cannot be told apart and are covered together: word
them differently if each needs its own test.

A message whose constant text has no letters (e.g. "%s: %s", "%s:%d: %s") is
a wrapper or a pass-through (strerror): it is reported as skipped (TAP
"# SKIP"), not as uncovered.

EXEMPTIONS
A message that no input can provoke (out of memory) is exempt when its call
carries the comment  /* errcov: untestable */  on any of its lines, or when
it is listed in UNTESTABLE below (source path and format) with the reason.
Exempt messages are reported as "# SKIP untestable: REASON".

OUTPUT
One line per uncovered message, "FILE:LINE: message" (the format, with C
escapes for control characters and backslashes), and exit status 1 if there
is any, else 0; a summary per check on stderr.  With --tap, TAP on stdout
instead: "ok N - FILE:LINE message" / "not ok N - FILE:LINE message", skips
marked "# SKIP", the summaries as comments, and the same exit status.  -v
also lists the covered ones, with the test line that covers each (without
--tap).
"""

import argparse
import glob
import os
import re
import sys

PRESETS = {
    "wl": {
        "src": ["whitelist/*.c"],
        "func": ["wl_err"],
        "test": "tests/unit/test_wl.c",
    },
    "rules": {
        "src": ["rules/*.c"],
        # rule_verr/rule_err/rule_terr: rule_load.c; eerr: rule_expr.c;
        # lerr: rule_lex.c; item_err and the reasons it is given
        # (snprintf(why ...)): rule_set.c; why_s: the reasons of
        # rule_value.c, reported by eerr and item_err.
        "func": ["rule_err", "rule_terr", "rule_verr", "eerr", "lerr",
                 "item_err", "why_s", "snprintf(why"],
        "test": "tests/unit/test_rules.c",
    },
}

# (path, format) -> why no input can provoke it, for a file that cannot
# carry the source comment /* errcov: untestable */ (which is preferred: it
# names the one call, this names every call with that format in the file).
# For instance:  ("rules/rule_load.c", "out of memory"): "malloc failure",
UNTESTABLE = {
}

MARK = "errcov: untestable"

# The test's own diagnostics: their formats ("unexpected error: %s") are not
# expected messages.
DIAG_CALLS = {"fail_msg", "print_message", "print_error", "printf",
              "fprintf"}

TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*")
  | (?P<chr>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*')
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*)
  | (?P<nl>\n)
  | (?P<space>[ \t\r\f\v]+|\\\n)
  | (?P<punct>->|\+\+|--|<<=?|>>=?|[<>=!&|^+\-*/%]=|&&|\|\||\#\#|\.\.\.|.)
""", re.S | re.X)


class Tok:
    __slots__ = ("kind", "text", "line", "end_line")

    def __init__(self, kind, text, line, end_line):
        self.kind, self.text, self.line, self.end_line = (kind, text, line,
                                                          end_line)


def tokenize(src):
    """C tokens without comments and # lines; and the lines of MARKs."""
    toks, marks = [], set()
    line, bol = 1, True
    pos, n = 0, len(src)
    skipping = False            # inside a preprocessor line
    while pos < n:
        m = TOKEN.match(src, pos)
        kind = m.lastgroup
        text = m.group()
        start = line
        line += text.count("\n")
        pos = m.end()
        if kind == "comment":
            if MARK in text:
                marks.update(range(start, line + 1))
            continue
        if kind == "nl":
            bol, skipping = True, False
            continue
        if kind == "space":
            continue
        if bol and text == "#":
            skipping = True
        bol = False
        if not skipping:
            toks.append(Tok(kind, text, start, line))
    return toks, marks


ESC = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
       "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def unescape(lit):
    """The value of one C string literal (bytes as latin-1 characters)."""
    body = lit[lit.index('"') + 1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        c = body[i]
        if c in ESC:
            out.append(ESC[c])
            i += 1
        elif c == "x":
            m = re.match(r"[0-9A-Fa-f]+", body[i + 1:])
            out.append(chr(int(m.group(), 16) & 0xff))
            i += 1 + m.end()
        elif c in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i:])
            out.append(chr(int(m.group(), 8) & 0xff))
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def string_runs(toks):
    """Adjacent literals joined: (value, first token index, line)."""
    runs, i = [], 0
    while i < len(toks):
        if toks[i].kind != "str":
            i += 1
            continue
        j, parts = i, []
        while j < len(toks) and toks[j].kind == "str":
            parts.append(unescape(toks[j].text))
            j += 1
        runs.append(("".join(parts), i, toks[i].line))
        i = j
    return runs


# printf conversions: flags, width, precision, length, conversion.
CONV = re.compile(r"%(?:%|[-+ #0']*(?:\*|[0-9]+)?(?:\.(?:\*|[0-9]+))?"
                  r"(?:hh|h|ll|l|L|q|j|z|Z|t)?[diouxXeEfFgGaAcspnm])")


def fmt_parts(fmt):
    """The constant parts of a format, split at its conversions."""
    parts, last = [""], 0
    for m in CONV.finditer(fmt):
        parts[-1] += fmt[last:m.start()]
        if m.group() == "%%":
            parts[-1] += "%"
        else:
            parts.append("")
        last = m.end()
    parts[-1] += fmt[last:]
    return parts


class Msg:
    def __init__(self, path, line, fmt, exempt):
        self.path, self.line, self.fmt, self.exempt = path, line, fmt, exempt
        self.parts = fmt_parts(fmt)
        self.const = sum(len(p) for p in self.parts)
        self.trivial = not re.search(r"[A-Za-z]", "".join(self.parts))
        # One group per run of conversions ("%.*s%s" is one stretch of
        # text): fewer groups, no backtracking between adjacent ones.
        rx = re.escape(self.parts[0])
        for p in self.parts[1:]:
            if not rx.endswith("(.*?)"):
                rx += "(.*?)"
            rx += re.escape(p)
        self.rx = re.compile("(?s)" + rx + r"\Z")
        self.covered_by = None

    def match(self, s):
        """(start, [conversion spans]) of the instance s ends with."""
        m = self.rx.search(s)
        if m is None:
            return None
        return m.start(), [m.span(g) for g in range(1, (m.re.groups or 0) + 1)]


def parse_spec(spec):
    if "(" in spec:
        name, first = spec.split("(", 1)
        return name.strip(), re.sub(r"\s+", "", first)
    return spec.strip(), None


def call_args(toks, i):
    """Arguments (token lists) of the call whose '(' is toks[i]; end index."""
    depth, args, cur = 0, [], []
    for j in range(i, len(toks)):
        t = toks[j]
        if t.text in "([{" and t.kind == "punct":
            depth += 1
            if depth == 1:
                continue
        elif t.text in ")]}" and t.kind == "punct":
            depth -= 1
            if depth == 0:
                args.append(cur)
                return args, j
        elif t.text == "," and depth == 1:
            args.append(cur)
            cur = []
            continue
        cur.append(t)
    return args, len(toks) - 1


def formats(arg):
    """The messages of a format argument: one per run of literals."""
    out, cur = [], None
    for t in arg:
        if t.kind == "str":
            cur = (cur or "") + unescape(t.text)
        elif t.kind == "ident" and cur is not None and t.text.startswith(
                "PRI"):
            cur += "d"              # "%" PRIu64: a conversion
        elif cur is not None:
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def find_messages(root, globs, specs):
    funcs = {}
    for spec in specs:
        name, first = parse_spec(spec)
        funcs.setdefault(name, []).append(first)
    paths = sorted({p for g in globs
                    for p in glob.glob(os.path.join(root, g))})
    msgs = []
    for path in paths:
        rel = os.path.relpath(path, root)
        with open(path, encoding="latin-1") as fp:
            toks, marks = tokenize(fp.read())
        for i, t in enumerate(toks):
            if (t.kind != "ident" or t.text not in funcs or i + 1 >= len(toks)
                    or toks[i + 1].text != "("):
                continue
            if i > 0 and toks[i - 1].text in (".", "->"):
                continue
            args, end = call_args(toks, i + 1)
            if not args:
                continue
            a0 = "".join(x.text for x in args[0])
            if None not in funcs[t.text] and a0 not in funcs[t.text]:
                continue
            fmt_arg = next((a for a in args if any(x.kind == "str"
                                                   for x in a)), None)
            if fmt_arg is None:
                continue        # a wrapper passing fmt/why on
            lines = set(range(t.line, toks[end].end_line + 1))
            marked = bool(lines & marks)
            for fmt in formats(fmt_arg):
                why = UNTESTABLE.get((rel, fmt))
                if marked:
                    why = why or "marked in the source"
                msgs.append(Msg(rel, t.line, fmt, why))
    return msgs


def test_strings(path):
    """The test's string literals, but not those of its own diagnostics."""
    with open(path, encoding="latin-1") as fp:
        toks, _ = tokenize(fp.read())
    quiet = set()
    for i, t in enumerate(toks[:-1]):
        if (t.kind == "ident" and t.text in DIAG_CALLS
                and toks[i + 1].text == "("):
            _, end = call_args(toks, i + 1)
            quiet.update(range(i, end + 1))
    return [(s, line) for s, i, line in string_runs(toks) if i not in quiet]


def inside(inner, outer):
    """Does instance inner lie wholly in a conversion of outer?

    Both are (start, conversion spans, end) and end where the string does,
    so inner is inside when a conversion of outer runs from at or before
    inner's start to the end."""
    return any(a <= inner[0] and b == outer[2] for a, b in outer[1])


def attribute(msgs, strings):
    """Mark each message with the first test string that covers it."""
    live = [m for m in msgs if not m.trivial]
    for s, line in strings:
        hits = []
        for m in live:
            r = m.match(s)
            if r is not None:
                hits.append((m, (r[0], r[1], len(s))))
        for m, r in hits:
            beaten = False
            for o, q in hits:
                if o is m or o.const <= m.const:
                    continue
                # o is more specific; fine if one is nested in the other
                if not inside(r, q) and not inside(q, r):
                    beaten = True
                    break
            if not beaten and m.covered_by is None:
                m.covered_by = line


def check(root, globs, specs, test, tap, verbose, out, counter):
    msgs = find_messages(root, globs, specs)
    attribute(msgs, test_strings(os.path.join(root, test)))
    bad = 0
    for m in msgs:
        counter[0] += 1
        show = m.fmt.encode("unicode_escape").decode("ascii")
        if tap:
            show = show.replace("#", "\\#")     # not a TAP directive
        if m.exempt:
            if tap:
                out.append("ok %d - %s:%d %s # SKIP untestable: %s"
                           % (counter[0], m.path, m.line, show, m.exempt))
        elif m.trivial:
            if tap:
                out.append("ok %d - %s:%d %s # SKIP no constant text"
                           % (counter[0], m.path, m.line, show))
        elif m.covered_by is None:
            bad += 1
            if tap:
                out.append("not ok %d - %s:%d %s" % (counter[0], m.path,
                                                     m.line, show))
            else:
                out.append("%s:%d: %s" % (m.path, m.line, show))
        elif tap:
            out.append("ok %d - %s:%d %s" % (counter[0], m.path, m.line, show))
        elif verbose:
            out.append("covered %s:%d: %s (%s:%d)" % (m.path, m.line, show,
                                                     test, m.covered_by))
    return len(msgs), bad, sum(1 for m in msgs if m.exempt or m.trivial)


def main():
    ap = argparse.ArgumentParser(
        description="Check that a unit test provokes every error message.")
    ap.add_argument("presets", nargs="*", metavar="PRESET",
                    help=", ".join(sorted(PRESETS)))
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument("--src", action="append", default=[], metavar="GLOB")
    ap.add_argument("--func", action="append", default=[], metavar="SPEC")
    ap.add_argument("--test", metavar="FILE")
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    for p in a.presets:
        if p not in PRESETS:
            ap.error("unknown preset %r (%s)"
                     % (p, ", ".join(sorted(PRESETS))))
    jobs = []
    if a.src or a.func or a.test:
        if not (a.src and a.func and a.test):
            ap.error("--src, --func and --test go together")
        jobs.append(("custom", a.src, a.func, a.test))
    for p in a.presets or ([] if jobs else sorted(PRESETS)):
        jobs.append((p, PRESETS[p]["src"], PRESETS[p]["func"],
                     PRESETS[p]["test"]))
    out, counter, total_bad = [], [0], 0
    summary = []
    for name, globs, specs, test in jobs:
        n, bad, skipped = check(a.root, globs, specs, test, a.tap, a.verbose,
                                out, counter)
        if n == 0:
            out.append("%s%s: no messages found in %s" % (
                "not ok %d - " % (counter[0] + 1) if a.tap else "", name,
                " ".join(globs)))
            counter[0] += 1
            bad += 1
        total_bad += bad
        summary.append("%s: %d messages, %d covered, %d uncovered, %d skipped"
                       % (name, n, n - bad - skipped, bad, skipped))
    if a.tap:
        print("1..%d" % counter[0])
        print("\n".join(out))
        for s in summary:
            print("# " + s)
    else:
        if out:
            print("\n".join(out))
        for s in summary:
            print(s, file=sys.stderr)
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
