#!/usr/bin/python3
"""cancel-answered.py - BEP 6: with the fast extension every CANCEL gets
exactly one answer, the PIECE or a REJECT.

libtorrent keeps a cancelled block in its download queue until one of the
two comes; a seed that drops cancelled requests silently leaves it a queue
that never drains, and a streaming libtorrent client then asks that seed
nothing more (issue 10: four libtorrent viewers behind `swarmplay seed`
stopped for good on the same piece, 22 CANCELs unanswered).

A peer of our own (fast extension on) asks `swarmplay seed`, its upload
capped at 64 KiB/s so that requests wait in its queue, for 24 blocks of
16 KiB, then cancels the last 16. It reads until every request is
answered: each cancelled one exactly once (PIECE or REJECT), each other
one by its PIECE with the right bytes, and nothing twice. At least one
CANCEL must have found its request still queued (a REJECT), or the test
proved nothing and fails."""
import os, struct, sys
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp

BLOCK = 16 << 10
PIECE = 64 << 10
NPIECES = 8

nu.swarmplay()
root = nu.workdir("cancel-answered")
content, torrent, ih = wp.make_seed(root, PIECE * NPIECES, "64K")
with open(os.path.join(content, "data.bin"), "rb") as f:
    data = f.read()
seed, port, seed_log = wp.start_seed(root, torrent, content, ["--upload-limit", "64"])
try:
    wp.wait_ready(port, ih)
    p = wp.Peer(port, ih, timeout=60)
    p.handshake()
    p.send(wp.INTERESTED)
    while p.recv_msg()[0] != wp.UNCHOKE:
        pass
    reqs = [(i, b) for i in range(6) for b in range(0, PIECE, BLOCK)]  # 24 blocks
    cancelled = set(reqs[8:])
    # one write: the requests, then the cancels, before the seed has sent
    # more than its first block or two at 64 KiB/s
    msgs = b"".join(struct.pack(">IBIII", 13, wp.REQUEST, i, b, BLOCK) for i, b in reqs)
    msgs += b"".join(struct.pack(">IBIII", 13, wp.CANCEL, i, b, BLOCK) for i, b in reqs[8:])
    p.sock.sendall(msgs)
    answers = {}
    pieces = rejects = 0
    p.sock.settimeout(20)  # 8 blocks at 64 KiB/s take 2 s; then silence is the answer
    while len(answers) < len(reqs):
        try:
            mid, body = p.recv_msg()
        except TimeoutError:
            break
        if mid not in (wp.PIECE, wp.REJECT):
            continue
        i, b = struct.unpack(">II", body[:8])
        if (i, b) not in reqs:
            nu.fail("an answer to a block never asked: piece %d offset %d" % (i, b))
        if (i, b) in answers:
            nu.fail("piece %d offset %d answered twice (%s, then %s)" %
                    (i, b, answers[(i, b)], "PIECE" if mid == wp.PIECE else "REJECT"))
        if mid == wp.PIECE:
            pieces += 1
            answers[(i, b)] = "PIECE"
            if body[8:] != data[i * PIECE + b:i * PIECE + b + BLOCK]:
                nu.fail("piece %d offset %d: wrong bytes" % (i, b))
        else:
            rejects += 1
            answers[(i, b)] = "REJECT"
            if (i, b) not in cancelled:
                nu.fail("piece %d offset %d rejected, though not cancelled" % (i, b))
    missing = [r for r in reqs if r not in answers]
    print("%d requests, %d cancelled: %d PIECEs, %d REJECTs, %d unanswered" %
          (len(reqs), len(cancelled), pieces, rejects, len(missing)))
    if missing:
        nu.fail("%d requests never answered (first: piece %d offset %d): a fast-extension "
                "peer waits for them for good" % (len(missing), *missing[0]))
    if rejects == 0:
        nu.fail("no CANCEL found its request still queued: the test proved nothing")
    p.close()
finally:
    seed.terminate()
    seed.wait(timeout=30)
print("ok: every CANCEL answered exactly once")
