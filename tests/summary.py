#!/usr/bin/env python3
"""summary.py - print 'N passed, N failed, N skipped' from meson's testlog.json
files (several may be given; counts add up). With --failed first, a line
'failed: NAME ...' naming the tests that failed comes before it (when any did)."""
import json, sys

args = sys.argv[1:]
names = args[:1] == ["--failed"]
if names:
    args = args[1:]
passed = failed = skipped = 0
failed_names = []
for path in args:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        failed_names.append(f"({path} unreadable)")
        continue
    for line in lines:
        if not line.strip():
            continue
        test = json.loads(line)
        r = test.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            failed_names.append(f"{test.get('name', '?')} ({r})")
if names and failed_names:
    print("failed: " + " ".join(failed_names))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
