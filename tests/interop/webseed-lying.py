#!/usr/bin/python3
"""webseed-lying.py - the web seed is one more untrusted source: nothing it
sends is used before the piece's SHA-1 matches, and losing it costs no
data. Through `swarmplay download` (the session's wiring of sp_webseed),
next to a rate-limited libtorrent seed holding the good data:

1. nginx serves a corrupted copy (one byte flipped in every 7th piece from
   piece 8 on): the download must end with exactly the good bytes, every
   corrupted piece finally coming from the peer;
2. nginx misses one file (404): the web seed keeps serving the others,
   the peer brings the rest, bytes from both sources adding up."""
import os, shutil, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

PIECE = 65536
lt = nu.lt()
nu.swarmplay()
root = nu.workdir("webseed-lying")
src = os.path.join(root, "good")
content = nu.make_payload(src)
logs = open(os.path.join(root, "clients.log"), "w")


def start_nginx(name, www):
    ngx = nu.Nginx(root, www, logs, name=name)  # skips (77) without nginx
    return ngx, ngx.url


def make_torrent(path, url_seed):
    fs = lt.file_storage()
    lt.add_files(fs, content)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    ct.add_url_seed(url_seed)
    lt.set_piece_hashes(ct, src)
    with open(path, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return lt.torrent_info(path)


# The corrupted copy, in the torrent's own file order (libtorrent's, not
# LAYOUT's): flip one byte in every 7th piece from piece 8 on, sparing the
# last (short) piece, so the web seed sends good pieces before bad ones.
bad = os.path.join(root, "bad")
shutil.copytree(src, bad)
procs = []
bad_ngx, bad_url = start_nginx("ngx-bad", bad)
procs.append(bad_ngx)
t_lying = os.path.join(root, "lying.torrent")
ti = make_torrent(t_lying, bad_url)
fst = ti.files()
total = ti.total_size()
npieces = ti.num_pieces()
corrupted = []
for piece in range(8, npieces - 1, 7):
    pos = piece * PIECE + 1000
    for i in range(fst.num_files()):
        start, size = fst.file_offset(i), fst.file_size(i)
        if start <= pos < start + size:
            with open(os.path.join(bad, fst.file_path(i)), "r+b") as f:
                f.seek(pos - start)
                b = f.read(1)
                f.seek(pos - start)
                f.write(bytes([b[0] ^ 0xFF]))
            corrupted.append(piece)
            break

ses = nu.lt_session(lt, 0, upload_limit=1_000_000)
port = ses.listen_port()
h = nu.lt_add(lt, ses, t_lying, src, seed=True)
nu.wait_lt_seeding(h)


def download(name, torrent):
    st = nu.download(root, name, torrent, content, ["--webseed", "always",
                                                    "--peer", "127.0.0.1:%d" % port])
    print("%s: %d bytes from the web seed, %d from the peer, %d wasted" %
          (name, st["downloaded_webseed"], st["downloaded_peers"], st["wasted"]))
    if st["downloaded_webseed"] + st["downloaded_peers"] != total:
        nu.fail("%s: bytes by source do not add up to %d: %s" % (name, total, st))
    return st


try:
    print("corrupted pieces on the web seed: %s" % corrupted)
    st = download("lying", t_lying)
    if st["downloaded_webseed"] == 0:
        nu.fail("the web seed was never used: the test proves nothing")
    if st["downloaded_peers"] < len(corrupted) * PIECE:
        nu.fail("the corrupted pieces cannot all have come from the peer")

    # a half-broken server: one file missing (404), the rest fine
    half = os.path.join(root, "half")
    shutil.copytree(src, half)
    os.unlink(os.path.join(half, "payload", "sub", "notes.txt"))
    half_ngx, half_url = start_nginx("ngx-half", half)
    procs.append(half_ngx)
    t_half = os.path.join(root, "half.torrent")
    make_torrent(t_half, half_url)

    st = download("half-broken", t_half)
    if st["downloaded_webseed"] == 0 or st["downloaded_peers"] == 0:
        nu.fail("half-broken: both sources should have sent data: %s" % st)
finally:
    for p in procs:
        p.stop()
print("ok")
