#!/usr/bin/env python3
"""fill.py - merge po/fr.po with the current sources and fill translations.

Usage: po/fill.py [TRANSLATIONS.json]
Regenerates the template from po/POTFILES, merges it into fr.po (keeping
existing translations), then sets msgstr for every msgid found in the JSON
object {msgid: msgstr}. Prints the msgids still untranslated. A maintainer
tool: it never invents a translation."""
import json, os, re, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
os.chdir(root)
tmp = tempfile.mkdtemp()
pot = os.path.join(tmp, "swarmplay.pot")
subprocess.run(["xgettext", "--keyword=_", "--keyword=N_", "--from-code=UTF-8",
                "-f", "po/POTFILES", "-o", pot], check=True)
subprocess.run(["msgmerge", "-q", "--no-fuzzy-matching", "--update", "--backup=none",
                "po/fr.po", pot], check=True)
subprocess.run(["msgattrib", "--no-obsolete", "-o", "po/fr.po", "po/fr.po"], check=True)
tr = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else {}

def po_unquote(lines):
    return "".join(json.loads(l) for l in lines)

def po_quote(s):
    parts = s.split("\n")
    out = []
    for i, p in enumerate(parts):
        seg = p + ("\n" if i < len(parts) - 1 else "")
        if seg:
            out.append(json.dumps(seg, ensure_ascii=False))
    if len(out) <= 1:
        return "msgstr " + (out[0] if out else '""') + "\n"
    return 'msgstr ""\n' + "".join(o + "\n" for o in out)

text = open("po/fr.po", encoding="utf-8").read()
entries = text.split("\n\n")
res, missing = [], []
for e in entries:
    m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', e + "\n", re.M)
    if not m:
        res.append(e); continue
    msgid = po_unquote(re.findall(r'".*"', m.group(1)))
    msgstr = po_unquote(re.findall(r'".*"', m.group(2)))
    if msgid and msgid in tr:
        msgstr = tr[msgid]
        e = e[:m.start(2) - len("msgstr ")] + po_quote(msgstr).rstrip("\n")
        e = e.replace("#, fuzzy\n", "")
    if msgid and not msgstr:
        missing.append(msgid)
    res.append(e)
open("po/fr.po", "w", encoding="utf-8").write("\n\n".join(res))
for m in missing:
    print("untranslated:", json.dumps(m, ensure_ascii=False))
