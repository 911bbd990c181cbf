#!/usr/bin/python3
"""man-page - doc/swarmplay.1 renders without a groff warning, and stays
true to the program: every long option that a command's --help lists, and
every command `swarmplay --help` lists, is described in the page."""
import os
import re
import shutil
import subprocess
import sys

SP = os.environ.get("SWARMPLAY")
SRC = os.environ.get("SP_SRCDIR")
if not SP or not SRC:
    print("skip: SWARMPLAY or SP_SRCDIR is not set (run through meson test)")
    sys.exit(77)
if not shutil.which("groff"):
    print("skip: groff is not installed")
    sys.exit(77)
page_path = os.path.join(SRC, "doc", "swarmplay.1")
ENV = dict(os.environ, LC_ALL="C", LANGUAGE="C")
fails = []


def expect(what, cond):
    print("%-4s %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        fails.append(what)


r = subprocess.run(["groff", "-man", "-ww", "-z", page_path], capture_output=True, text=True)
expect("groff -man -ww: no warning (%s)" % r.stderr.strip()[:200], r.returncode == 0 and
       not r.stderr.strip())
# the page as text: troff's \- is a plain dash to compare with --help
text = open(page_path, encoding="utf-8").read().replace("\\-", "-")

top = subprocess.run([SP, "--help"], capture_output=True, text=True, env=ENV)
commands = re.findall(r"^  ([a-z]+) ", top.stdout + top.stderr, re.M)
expect("swarmplay --help lists commands (%s)" % " ".join(commands), len(commands) >= 5)
for c in commands:
    expect("command %s has its section" % c, re.search(r"^\.SS %s\b" % c, text, re.M) is not None)
    h = subprocess.run([SP, c, "--help"], capture_output=True, text=True, env=ENV)
    opts = sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)", h.stdout + h.stderr)) - {"--help"})
    expect("%s --help lists options (%d)" % (c, len(opts)), h.returncode == 0 and len(opts) > 0)
    for o in opts:
        expect("%s %s is in the page" % (c, o), o in text)
if fails:
    print("FAIL: " + "; ".join(fails))
    sys.exit(1)
print("ok")
