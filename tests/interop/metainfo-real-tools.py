#!/usr/bin/python3
"""metainfo-real-tools - torrents made by real tools parse, and swarmplay's
info-hash (and pieces, files) equal libtorrent's for each: mktorrent,
transmission-create, libtorrent v1-only and hybrid v1+v2, and the .torrent
files of the webtorrent-fixtures npm package. Hostile torrents made here
(path traversal, absolute path, duplicate paths, NUL in a name, bad piece
hashes, v2-only, deep nesting, huge lengths) must be rejected with a
clear message even where libtorrent sanitizes and accepts them.
Prints a table; exits 1 on any mismatch, 77 when libtorrent is missing."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import core_mi as cm  # noqa: E402

lt = cm.import_libtorrent()
cm.swarmplay()
rows, failures, skipped = [], [], []


def check(label, path, expect_reject=None):
    """expect_reject: None for a good torrent, else a substring the
    rejection message must contain."""
    lts, lt_err = cm.lt_summary(lt, path)
    rc, doc, err = cm.sp_info(path)
    lt_col = "ok" if lts else "rejects"
    if expect_reject is None and lts and doc:
        diff = cm.differences(lts, cm.sp_summary(doc))
        verdict = "same" if not diff else "DIFFERENT: " + ",".join(diff)
        if diff:
            failures.append(label)
        rows.append((label, lt_col, "ok", (lts["info_hash"][:16]), verdict))
        return
    if doc:  # swarmplay accepted a file it should not have
        verdict = "FAIL: accepted (%s)" % ("libtorrent rejects: " + lt_err if lt_err
                                           else "unsafe")
        failures.append(label)
    elif rc not in (3, 4) or not err:
        verdict = "FAIL: exit %d, message %r" % (rc, err)
        failures.append(label)
    elif lts and expect_reject is None:
        verdict = "FAIL: libtorrent reads it, swarmplay rejects: " + err
        failures.append(label)
    elif expect_reject and expect_reject not in err:
        verdict = "FAIL: message lacks %r: %s" % (expect_reject, err)
        failures.append(label)
    else:
        verdict = "rejected (exit %d): %s" % (rc, err.split(path + ": ", 1)[-1][:70])
    rows.append((label, lt_col, "rejects", "-", verdict))


def make_data(root):
    single = os.path.join(root, "clip.mp4")
    with open(single, "wb") as f:
        f.write(os.urandom(700_000))
    multi = os.path.join(root, "show")
    os.makedirs(os.path.join(multi, "extras", "deep"))
    for rel, size in [("episode1.mkv", 300_000), ("extras/notes.txt", 1234),
                      ("extras/deep/été.bin", 70_001), ("extras/empty.dat", 0),
                      ("z.srt", 999)]:
        with open(os.path.join(multi, rel), "wb") as f:
            f.write(os.urandom(size))
    return single, multi


def run(cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def real_tools(work, single, multi):
    for kind, src in [("single", single), ("multi", multi)]:
        out = os.path.join(work, "mk-%s.torrent" % kind)
        if shutil.which("mktorrent"):
            run(["mktorrent", "-a", "http://127.0.0.1:1/a", "-w", "http://127.0.0.1:2/",
                 "-l", "15", "-o", out, src])
            check("mktorrent " + kind, out)
        else:
            skipped.append("mktorrent")
        out = os.path.join(work, "tr-%s.torrent" % kind)
        if shutil.which("transmission-create"):
            run(["transmission-create", "-o", out, "-t", "http://127.0.0.1:1/a",
                 "-s", "32", src])
            check("transmission-create " + kind, out)
        else:
            skipped.append("transmission-create")
        for mode in ("v1", "hybrid"):
            fs = lt.file_storage()
            lt.add_files(fs, src)
            if mode == "v1":
                ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
            else:
                ct = lt.create_torrent(fs, 16384)
            ct.add_tracker("http://127.0.0.1:1/a")
            lt.set_piece_hashes(ct, os.path.dirname(src))
            out = os.path.join(work, "lt-%s-%s.torrent" % (mode, kind))
            with open(out, "wb") as f:
                f.write(lt.bencode(ct.generate()))
            check("libtorrent %s %s" % (mode, kind), out)


def fixtures():
    npm = os.environ.get("SP_NPM_DIR",
                         os.path.join(os.environ.get("SP_SRCDIR", "."), "build-npm"))
    d = os.path.join(npm, "node_modules", "webtorrent-fixtures", "fixtures")
    found = sorted(glob.glob(os.path.join(d, "*.torrent")))
    if not found:
        skipped.append("webtorrent-fixtures (npm install it: see tests/deps.sh)")
    for path in found:
        lts, _ = cm.lt_summary(lt, path)
        # a fixture libtorrent rejects must be rejected by us too
        check("fixture " + os.path.basename(path), path, None if lts else "")


def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(i) for i in x) + b"e"
    return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(x.items())) + b"e"


def hostile(work):
    def multi_info(paths, plen=16384):
        files = [{"length": 10, "path": p} for p in paths]
        n = (10 * len(paths) + plen - 1) // plen
        return {"files": files, "name": "x", "piece length": plen, "pieces": b"h" * 20 * n}
    cases = [
        ("path traversal ../", {"info": multi_info([["..", "..", "etc", "passwd"]])},
         "unsafe path"),
        ("absolute path", {"info": multi_info([["/etc/passwd"]])}, "absolute path"),
        ("duplicate paths", {"info": multi_info([["a"], ["a"]])}, "duplicate path"),
        ("file also a directory", {"info": multi_info([["a"], ["a", "b"]])},
         "both a file and a directory"),
        ("NUL in a name", {"info": multi_info([[b"a\0b"]])}, "NUL byte"),
        ("name component > 255 B", {"info": multi_info([["y" * 300]])}, "255 bytes"),
        ("wrong piece-hash length",
         {"info": {"length": 40000, "name": "a", "piece length": 16384,
                   "pieces": b"h" * 40}}, "piece hashes are 40 bytes"),
        ("huge declared length",
         {"info": {"length": 2 ** 62, "name": "a", "piece length": 16384,
                   "pieces": b"h" * 20}}, "too large"),
        ("piece length 0",
         {"info": {"length": 1, "name": "a", "piece length": 0, "pieces": b"h" * 20}},
         "piece length 0"),
        ("v2-only (BEP 52)",
         {"info": {"file tree": {"a": {"": {"length": 1, "pieces root": b"r" * 32}}},
                   "meta version": 2, "name": "a", "piece length": 16384}},
         "not supported"),
    ]
    for label, t, needle in cases:
        path = os.path.join(work, "hostile-%d.torrent" % len(rows))
        with open(path, "wb") as f:
            f.write(benc(t))
        check("hostile: " + label, path, needle)
    path = os.path.join(work, "deep.torrent")
    with open(path, "wb") as f:
        f.write(b"d4:infod4:deep" + b"l" * 5000 + b"e" * 5000 + b"ee")
    check("hostile: nesting 5000 deep", path, "nested too deeply")


def main():
    work = tempfile.mkdtemp(prefix="sp-mi-")
    try:
        single, multi = make_data(work)
        real_tools(work, single, multi)
        fixtures()
        hostile(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cm.table(rows, ("torrent", "libtorrent", "swarmplay", "info-hash", "verdict"))
    if failures:
        print("\nFAILED:", ", ".join(failures))
        return 1
    if skipped:
        print("\nskipped parts:", ", ".join(sorted(set(skipped))))
        return cm.SKIP
    print("\nall %d torrents agree with libtorrent or are rejected with a reason" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
