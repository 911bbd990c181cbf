#!/usr/bin/python3
"""cli-info-create - the `swarmplay info` and `swarmplay create` commands:
exit codes of cmd.h (0 ok, 1 cannot read/write, 2 usage, 3 bad file,
4 v2-only), clear messages naming the file, --json that is valid JSON
even for names that are not UTF-8 or hold quotes and control bytes,
deterministic create output, --date, --piece-size, trackers and web seeds."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SP = os.environ.get("SWARMPLAY")
if not SP:
    print("skip: SWARMPLAY is not set (run through meson test)")
    sys.exit(77)
ENV = dict(os.environ, LC_ALL="C", LANGUAGE="C")
fails = []


def run(*args):
    p = subprocess.run([SP] + list(args), capture_output=True, timeout=60, env=ENV)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def expect(what, cond, detail=""):
    print("%-4s %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        fails.append(what)
        if detail:
            print("     ", detail)


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


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def main(w):
    data = write(os.path.join(w, "data.bin"), bytes(range(256)) * 1000)
    out = os.path.join(w, "a.tstream")
    rc, so, se = run("create", data, "-o", out, "-t", "http://t1/a", "-t", "udp://t2:1",
                     "-w", "http://w/", "--piece-size", "16K", "--comment", "c")
    expect("create exits 0", rc == 0, se)
    first = open(out, "rb").read()
    run("create", data, "-o", out, "-t", "http://t1/a", "-t", "udp://t2:1", "-w", "http://w/",
        "--piece-size", "16K", "--comment", "c")
    expect("create is deterministic", open(out, "rb").read() == first)
    expect("no creation date by default", b"creation date" not in first)
    rc, so, se = run("info", "--json", out)
    doc = json.loads(so) if rc == 0 else {}
    expect("info --json exits 0 with one JSON object", rc == 0 and doc.get("name") == "data.bin",
           se)
    expect("info --json fields", doc.get("piece_length") == 16384 and doc.get("num_pieces") == 16
           and doc.get("total_length") == 256000 and doc.get("trackers") == [["http://t1/a"],
                                                                              ["udp://t2:1"]]
           and doc.get("web_seeds") == ["http://w/"] and doc.get("comment") == "c"
           and doc.get("main_file") == 0, so)
    rc, so, se = run("info", out)
    expect("info (human) names the play file", rc == 0 and "Play file:  data.bin" in so, so)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    ENV["SOURCE_DATE_EPOCH"] = "1700000000"
    run("create", data, "-o", out, "--date", "-q")
    expect("--date writes SOURCE_DATE_EPOCH", b"13:creation datei1700000000e" in
           open(out, "rb").read())

    # odd strings stay valid JSON
    odd = {"comment": b"quote\" back\\ nl\n tab\t bell\x07", "info": {
        "length": 5, "name": b"caf\xe9 \xff\xfe.mp4", "piece length": 16384,
        "pieces": b"h" * 20}}
    rc, so, se = run("info", "--json", write(os.path.join(w, "odd.torrent"), benc(odd)))
    try:
        doc = json.loads(so)
        ok = doc["comment"] == "quote\" back\\ nl\n tab\t bell\x07" and "\ufffd" in doc["name"]
    except ValueError as e:
        ok, so = False, "%s: %r" % (e, so)
    expect("--json escapes quotes, controls and bytes that are not UTF-8", rc == 0 and ok, so)

    # exit codes and messages
    bad = write(os.path.join(w, "bad.torrent"), b"d4:infoi1ee")
    rc, so, se = run("info", bad)
    expect("malformed file: exit 3, message names the file", rc == 3 and bad in se
           and "no info dictionary" in se, se)
    trav = write(os.path.join(w, "trav.torrent"), benc({"info": {
        "files": [{"length": 1, "path": ["..", "x"]}], "name": "n", "piece length": 16384,
        "pieces": b"h" * 20}}))
    rc, so, se = run("info", trav)
    expect("path traversal: exit 3 with 'unsafe path'", rc == 3 and "unsafe path" in se, se)
    v2 = write(os.path.join(w, "v2.torrent"), benc({"info": {
        "file tree": {"a": {"": {"length": 1, "pieces root": b"r" * 32}}}, "meta version": 2,
        "name": "a", "piece length": 16384}}))
    rc, so, se = run("info", v2)
    expect("v2-only: exit 4 'not supported'", rc == 4 and "not supported" in se, se)
    rc, so, se = run("info", os.path.join(w, "missing.torrent"))
    expect("missing file: exit 1", rc == 1 and "missing.torrent" in se, se)
    rc, so, se = run("info")
    expect("info without SOURCE: exit 2", rc == 2)
    rc, so, se = run("info", "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
                     "&dn=clip&tr=http%3A%2F%2Ft%2Fa", "--json")
    doc = json.loads(so) if rc == 0 else {}
    expect("info reads a magnet link", doc.get("magnet") is True and doc.get("name") == "clip"
           and doc.get("trackers") == [["http://t/a"]], so + se)
    rc, so, se = run("info", "magnet:?xt=urn:btih:nothex")
    expect("bad magnet: exit 3", rc == 3 and "bad info-hash" in se, se)
    rc, so, se = run("create", data, "-o", out, "--piece-size", "1000")
    expect("create --piece-size 1000: exit 2", rc == 2, se)
    rc, so, se = run("create", data)
    expect("create without -o: exit 2", rc == 2, se)
    rc, so, se = run("create", data, "-o", os.path.join(w, "no", "such", "dir.tstream"))
    expect("create into a missing directory: exit 1 naming it", rc == 1 and "no/such" in se, se)
    rc, so, se = run("create", os.path.join(w, "nothing-here"), "-o", out)
    expect("create from a missing input: exit 1", rc == 1 and "nothing-here" in se, se)
    # more pieces than one bitfield message can announce: refused before hashing
    # (a sparse 17 GiB file: nothing is read)
    sparse = os.path.join(w, "sparse.bin")
    with open(sparse, "wb") as f:
        f.truncate(17 << 30)
    rc, so, se = run("create", sparse, "-o", out, "--piece-size", "16K")
    expect("create of 1114112 pieces: exit 1, says to choose a larger piece size",
           rc == 1 and "1114112 pieces" in se and "--piece-size" in se, se)
    os.unlink(sparse)
    left = [f for f in os.listdir(w) if ".tmp-" in f]
    expect("no temporary files left behind", not left, str(left))


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="sp-cli-")
    try:
        main(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if fails else 0)
