#!/usr/bin/python3
"""cut-file.py - a file cut under a seed: serve what is intact, say the
truth about the rest, and do not flood the log.

`swarmplay seed` of a 4 MiB file (64 pieces of 64 KiB) has the file cut to
half once it seeds. A fresh leecher of our own asks for every block of
every piece: it must get each of the 32 pieces of the first half intact
(REJECTs for the rest). A second fresh leecher must be told, by its
bitfield, exactly those 32 pieces, and get them all. The seed's log
names the file at most twice (one line per file, not one per request).

Before issue 11: the leecher got 0 bytes; 1.47 million warnings in 30 s."""
import hashlib, os, struct, sys
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp

PIECE = 64 << 10
NPIECES = 64
BLOCK = 16 << 10

nu.swarmplay()
root = nu.workdir("hostile-cut")
content, torrent, ih = wp.make_seed(root, PIECE * NPIECES, "64K")
path = os.path.join(content, "data.bin")
with open(path, "rb") as f:
    data = f.read()
seed, port, seed_log = wp.start_seed(root, torrent, content)
wp.wait_ready(port, ih)
os.truncate(path, len(data) // 2)
intact = set(range(NPIECES // 2))


def leech(pieces=None):
    """Connect, read what it says it has, ask for every block of pieces
    (default: what it says), return (its have set, {piece: bytes} of the
    pieces received whole and right, rejected count)."""
    p = wp.Peer(port, ih, timeout=30)
    p.handshake()
    have = None
    while have is None:
        mid, body = p.recv_msg()
        if mid == wp.HAVE_ALL:
            have = set(range(NPIECES))
        elif mid == wp.HAVE_NONE:
            have = set()
        elif mid == wp.BITFIELD:
            have = {i for i in range(NPIECES) if body[i // 8] & (0x80 >> (i % 8))}
    p.send(wp.INTERESTED)
    while p.recv_msg()[0] != wp.UNCHOKE:
        pass
    want = sorted(have if pieces is None else pieces)
    reqs = [(i, b) for i in want for b in range(0, PIECE, BLOCK)]
    for i, b in reqs:
        p.request(i, b, BLOCK)
    got, rejected, answered = {}, 0, 0
    while answered < len(reqs):
        mid, body = p.recv_msg()
        if mid == wp.PIECE:
            i, b = struct.unpack(">II", body[:8])
            got.setdefault(i, {})[b] = body[8:]
            answered += 1
        elif mid == wp.REJECT:
            rejected += 1
            answered += 1
    p.close()
    whole = {}
    for i, blocks in got.items():
        buf = b"".join(blocks.get(b, b"") for b in range(0, PIECE, BLOCK))
        if buf == data[i * PIECE:(i + 1) * PIECE]:
            whole[i] = buf
    return have, whole, rejected


have1, whole1, rej1 = leech(range(NPIECES))
print("first leecher: told %d pieces, got %d whole and right, %d blocks rejected" %
      (len(have1), len(whole1), rej1))
have2, whole2, rej2 = leech()
print("second leecher: told %d pieces (%s), got %d whole and right, %d blocks rejected" %
      (len(have2), "the intact half" if have2 == intact else "not the intact half",
       len(whole2), rej2))
nu.stop(seed)
with open(seed_log, errors="replace") as f:
    lines = [l for l in f if "data.bin" in l]
print("seed log: %d lines name the file" % len(lines))
if not intact <= set(whole1):
    nu.fail("the first leecher lacks intact pieces %s" % sorted(intact - set(whole1)))
if have2 != intact:
    nu.fail("the second leecher was told %s, not the intact half" % sorted(have2))
if set(whole2) != intact:
    nu.fail("the second leecher lacks %s" % sorted(intact - set(whole2)))
if len(lines) > 2:
    nu.fail("%d log lines about the cut file (want one per file)" % len(lines))
print("ok")
