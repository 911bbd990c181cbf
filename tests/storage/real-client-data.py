#!/usr/bin/python3
"""real-client-data.py - storage against torrents and data made by
libtorrent: BEP 47 pad files (canonical layout), a file smaller than a
piece, an empty file, a piece spanning several files.

1. data written by another tool verifies by hashing (no download);
2. a second check trusts the resume file (no hashing beyond spot checks);
3. a changed byte is found; a truncated file loses only its pieces;
4. pieces "downloaded" block by block into a new directory through the
   workers give byte-identical files, no pad file on disk, and libtorrent's
   own full recheck of that directory finds every piece (it can seed it).
Usage: real-client-data.py SP_STORAGE_TOOL"""
import os, random, shutil, subprocess, sys, tempfile, time

try:
    import libtorrent as lt
except ImportError:
    print("skip: python3-libtorrent is not installed")
    sys.exit(77)

tool = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="sp-storage-real-")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    p = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)
    sys.stderr.write(p.stderr)
    return p.returncode, p.stdout.strip()


def parse(out):
    w = out.split()
    return {w[i]: w[i + 1] for i in (0, 4, 6, 8)} | {"of": w[3]}


try:
    rnd = random.Random(47)
    src = os.path.join(tmp, "src")
    sizes = {"movie/a.bin": 70000, "movie/sub/b.txt": 100, "movie/c.bin": 50000,
             "movie/d.bin": 16384 * 3, "movie/e.nfo": 7}
    for rel, n in sizes.items():
        path = os.path.join(src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rnd.randbytes(n))
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(src, "movie"))
    ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only |
                           lt.create_torrent.canonical_files)
    lt.set_piece_hashes(ct, src)
    tpath = os.path.join(tmp, "m.torrent")
    with open(tpath, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    ti = lt.torrent_info(tpath)
    npieces = ti.num_pieces()
    pads = [ti.files().file_path(i) for i in range(ti.num_files())
            if ti.files().file_flags(i) & lt.file_storage.flag_pad_file]
    check(len(pads) >= 2, f"libtorrent made pad files: {pads}")

    rc, out = run("check", tpath, src)
    r = parse(out)
    check(rc == 0 and r["verified"] == str(npieces),
          f"another tool's data verifies by hashing: {out}")
    check(r["resume"] == "0", "no resume file the first time")
    check(not os.path.exists(os.path.join(src, "movie", ".pad")), "no pad file created by check")

    rc, out = run("check", tpath, src)
    r = parse(out)
    check(r["verified"] == str(npieces) and r["trusted"] == str(npieces) and
          int(r["hashed"]) <= 3, f"second check trusts the resume file: {out}")

    # A byte changed in d.bin (mtime moves): only d.bin's pieces are rehashed
    # and exactly one fails.
    dpath = os.path.join(src, "movie", "d.bin")
    with open(dpath, "r+b") as f:
        f.seek(20000)
        b = f.read(1)
        f.seek(20000)
        f.write(bytes([b[0] ^ 0xFF]))
    os.utime(dpath, (1, 1))
    rc, out = run("check", tpath, src)
    r = parse(out)
    check(r["verified"] == str(npieces - 1), f"changed byte detected: {out}")
    with open(dpath, "r+b") as f:
        f.seek(20000)
        f.write(b)

    # The copy through write_block into a fresh directory.
    dst = os.path.join(tmp, "dst")
    rc, out = run("copy", tpath, src, dst)
    check(rc == 0 and out.startswith(f"copied {npieces} of {npieces}"), f"copy: {out}")
    for rel in sizes:
        a = open(os.path.join(src, rel), "rb").read()
        p = os.path.join(dst, rel)
        same = os.path.exists(p) and open(p, "rb").read() == a
        check(same, f"{rel} byte-identical after the copy")
    check(not os.path.exists(os.path.join(dst, "movie", ".pad")), "pad files never written")

    # libtorrent's own full check of what we wrote.
    ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False})
    h = ses.add_torrent({"ti": ti, "save_path": dst})
    h.force_recheck()
    deadline = time.time() + 30
    st = h.status()
    while time.time() < deadline:
        st = h.status()
        if st.state in (lt.torrent_status.seeding, lt.torrent_status.finished) \
                and st.num_pieces == npieces:
            break
        time.sleep(0.1)
    check(st.num_pieces == npieces and st.is_seeding,
          f"libtorrent rechecks our files: {st.num_pieces}/{npieces} pieces, state {st.state}")
    ses.remove_torrent(h)
    del ses

    # Truncate a.bin: only its pieces are lost, the rest is kept.
    apath = os.path.join(dst, "movie", "a.bin")
    os.truncate(apath, 30000)
    rc, out = run("check", tpath, dst)
    r = parse(out)
    lost = (70000 + 16383) // 16384 - 30000 // 16384  # pieces of a.bin past 30000
    check(r["verified"] == str(npieces - lost), f"truncated file loses only its pieces: {out}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
