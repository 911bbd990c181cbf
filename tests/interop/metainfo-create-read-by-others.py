#!/usr/bin/python3
"""create-read-by-others - .tstream files that `swarmplay create` makes
(single-file and multi-file) are read by transmission-show, aria2c -S and
libtorrent with the same info-hash, files and piece count; libtorrent
also checks the data against the piece hashes (every piece verifies);
the same input gives the same bytes twice; playtime and Speed Bps are
written. Exits 77 when a tool is missing."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import core_mi as cm  # noqa: E402

lt = cm.import_libtorrent()
SP = cm.swarmplay()
for tool in ("ffmpeg", "transmission-show", "aria2c"):
    if not shutil.which(tool):
        cm.skip("%s is not installed" % tool)
rows, failures = [], []


def video(path, secs, size="320x240"):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=%s:rate=25:duration=%d" % (size, secs), "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=%d" % secs, "-c:v", "libx264", "-threads", "1",
                    "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-movflags", "+faststart", path], check=True, timeout=120)


def create(src, out, *extra):
    p = subprocess.run([SP, "create", src, "-o", out, "-q", "-t", "http://127.0.0.1:1/a",
                        "-w", "http://127.0.0.1:2/"] + list(extra),
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit("swarmplay create failed: %s" % p.stderr.decode())


def transmission(path):
    out = subprocess.run(["transmission-show", path], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    h = re.search(r"^\s*Hash: (\w+)", out, re.M).group(1)
    n = int(re.search(r"Piece Count: (\d+)", out).group(1))
    files = out.split("FILES", 1)[1]
    paths = sorted(re.sub(r" \([^()]*\)$", "", l.strip()) for l in files.splitlines()
                   if l.strip())
    return h, n, paths


def aria2(path):
    out = subprocess.run(["aria2c", "-S", path], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    h = re.search(r"Info Hash: (\w+)", out).group(1)
    n = int(re.search(r"The Number of Pieces: (\d+)", out).group(1))
    files = re.findall(r"^\s*\d+\|\./(.*)\n\s*\|.*\(([\d,]+)\)", out, re.M)
    return h, n, sorted((p, int(s.replace(",", ""))) for p, s in files)


def lt_verifies(tpath, save_path):
    """Add the torrent in libtorrent over the data; True when all pieces
    pass libtorrent's own hash check."""
    ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False})
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(tpath)
    atp.save_path = save_path
    h = ses.add_torrent(atp)
    deadline = time.time() + 20  # small data: checked in well under a second
    while time.time() < deadline:
        if h.status().is_seeding:
            return True
        time.sleep(0.1)
    return False


def compare(label, tpath, save_path):
    rc, doc, err = cm.sp_info(tpath)
    if rc != 0:
        failures.append(label)
        rows.append((label, "swarmplay info failed: " + err, "", "", ""))
        return doc
    ours = cm.sp_summary(doc)
    lts, lt_err = cm.lt_summary(lt, tpath)
    th, tn, tpaths = transmission(tpath)
    ah, an, afiles = aria2(tpath)
    real = sorted((p, n) for p, n in ours["files"])
    checks = {
        "libtorrent": lts is not None and not cm.differences(lts, ours),
        "transmission-show": th == ours["info_hash"] and tn == ours["num_pieces"]
        and tpaths == [p for p, _ in real],
        "aria2c -S": ah == ours["info_hash"] and an == ours["num_pieces"] and afiles == real,
        "libtorrent hash check": lt_verifies(tpath, save_path),
    }
    for k, ok in checks.items():
        if not ok:
            failures.append("%s: %s" % (label, k))
    rows.append((label, ours["info_hash"][:16], ours["num_pieces"],
                 " ".join("%s=%s" % (k, "ok" if v else "DIFFERENT") for k, v in checks.items()),
                 doc["bitrate_source"] or "-"))
    return doc


def main():
    work = tempfile.mkdtemp(prefix="sp-create-")
    try:
        single = os.path.join(work, "clip.mp4")
        video(single, 4)
        t1 = os.path.join(work, "clip.tstream")
        create(single, t1, "--title", "Clip")
        doc = compare("single-file", t1, work)
        if doc and (doc["bitrate_source"] != "info.playtime" or doc["speed_bps"] <= 0
                    or doc["files"][0]["playtime"] < 3.5 or doc["title"] != "Clip"):
            failures.append("single-file: playtime/Speed Bps/Title not written: %s" %
                            json.dumps(doc))
        t1b = os.path.join(work, "clip2.tstream")
        create(single, t1b, "--title", "Clip")
        if open(t1, "rb").read() != open(t1b, "rb").read():
            failures.append("single-file: two runs gave different bytes")

        d = os.path.join(work, "show")
        os.makedirs(os.path.join(d, "extras"))
        video(os.path.join(d, "episode 1.mp4"), 3)
        video(os.path.join(d, "extras", "trailer.mp4"), 2, "160x120")
        with open(os.path.join(d, "extras", "notes.txt"), "w") as f:
            f.write("notes\n" * 100)
        t2 = os.path.join(work, "show.tstream")
        create(d, t2, "--piece-size", "16K", "--private")
        doc = compare("multi-file", t2, work)
        if doc and (not doc["private"] or doc["piece_length"] != 16384 or
                    sum(1 for f in doc["files"] if f["playtime"] > 0) != 2):
            failures.append("multi-file: options or per-file playtime missing")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cm.table(rows, ("made by swarmplay", "info-hash", "pieces", "readers", "bitrate from"))
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall readers agree; libtorrent verifies every piece; output is deterministic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
