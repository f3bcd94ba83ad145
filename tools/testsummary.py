#!/usr/bin/env python3
"""Count individual test cases in meson's testlog.json (one or more files).

TAP tests (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP, the golden runner) count
one per `ok` / `not ok` line; a TAP program that crashed or timed out adds
one failure; other tests count as one.  Prints the failing cases, then the
closing line `N passed, N failed[, N skipped]`.
"""
import json
import re
import sys

passed = failed = skipped = 0
failures = []
lines = []
for path in sys.argv[1:]:
    with open(path) as f:
        lines.extend(f)
if True:
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or t.get("stdo") or ""
        cases = re.findall(r"^(not ok|ok)\b[^\n]*", out, re.M)
        lines = re.findall(r"^(?:not ok|ok)\b[^\n]*", out, re.M)
        if t.get("protocol", "").lower() == "tap" or cases:
            for kind, text in zip(cases, lines):
                if re.search(r"#\s*skip", text, re.I):
                    skipped += 1
                elif kind == "ok":
                    passed += 1
                else:
                    failed += 1
                    failures.append(f"{t['name']}: {text}")
            if t["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and \
                    not any(k == "not ok" for k in cases):
                failed += 1
                failures.append(f"{t['name']}: {t['result']}")
        elif t["result"] == "SKIP":
            skipped += 1
        elif t["result"] in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
            failures.append(f"{t['name']}: {t['result']}")
for f in failures:
    print("FAILED", f)
tail = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{tail}")
