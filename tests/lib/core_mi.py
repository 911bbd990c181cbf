"""core_mi.py - shared helpers of the metainfo interop tests (core).

Runs `swarmplay info --json` and libtorrent on a torrent and compares what
they read: info-hash, piece length and count, total length, and the file
list (paths with the torrent name, lengths). Use /usr/bin/python3 (the
python that has libtorrent)."""
import json
import os
import offline  # noqa: F401  (sets the no-outside-traffic environment)
import subprocess
import sys

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.exit(SKIP)


def swarmplay():
    sp = os.environ.get("SWARMPLAY")
    if not sp or not os.access(sp, os.X_OK):
        skip("SWARMPLAY is not set to the built binary (run through meson test)")
    return sp


def import_libtorrent():
    try:
        import libtorrent
        return libtorrent
    except ImportError:
        skip("python3-libtorrent is not installed (needs /usr/bin/python3)")


def sp_info(path):
    """(exit code, parsed JSON or None, stderr) of swarmplay info --json."""
    env = dict(os.environ, LC_ALL="C", LANGUAGE="C")  # messages are matched in English
    p = subprocess.run([swarmplay(), "info", "--json", path], capture_output=True,
                       timeout=60, env=env)
    doc = None
    if p.returncode == 0:
        doc = json.loads(p.stdout.decode("utf-8"))
    return p.returncode, doc, p.stderr.decode("utf-8", "replace").strip()


def lt_summary(lt, path):
    """What libtorrent reads, in swarmplay's JSON vocabulary, or an error."""
    try:
        ti = lt.torrent_info(path)
    except Exception as e:  # libtorrent raises RuntimeError on bad files
        return None, str(e)
    fs = ti.files()
    ih = ti.info_hashes().v1 if hasattr(ti, "info_hashes") else ti.info_hash()
    files = []
    for i in range(fs.num_files()):
        files.append((fs.file_path(i).replace(os.sep, "/"), fs.file_size(i)))
    return {
        "info_hash": str(ih),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "total_length": ti.total_size(),
        "files": files,
    }, None


def sp_summary(doc):
    return {
        "info_hash": doc["info_hash"],
        "piece_length": doc["piece_length"],
        "num_pieces": doc["num_pieces"],
        "total_length": doc["total_length"],
        "files": [(f["path"], f["length"]) for f in doc["files"]],
    }


def differences(a, b):
    """Names of the fields where two summaries differ."""
    return [k for k in a if a[k] != b.get(k)]


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
