#!/usr/bin/python3
"""metadata-liar.py MODE - a peer that announces the true metadata_size and
answers every ut_metadata request at once with junk of the right length
must not cost a magnet its metadata, and must be the one banned.

The liar (a raw peer of our own on 127.0.0.2) is the magnet's x.pe, so
swarmplay dials it first; an honest libtorrent seed (127.0.0.1) of a
20 MB payload in 16 KiB pieces (a 26 KB info dictionary: two metadata
pieces, so the two can send one each) connects to swarmplay:
  before     once the liar has sent a junk piece (it has a head start)
  alongside  once the liar has answered the handshake (both asked at once)
  mixed      as before, but the liar sends junk for piece 0 only and
             rejects the others: they come from the seed, the whole is
             wrong and no single sender is to blame at first
Asserted: `swarmplay download MAGNET` exits 0 with a byte-identical copy,
the liar sent junk (the probe ran) and was banned, the seed was not.
Before issue 11's blame (measured): the magnet completed once the seed's
pieces happened to come in first, but the liar was never banned; it was
asked again after each mismatch and dialled again (before: 4 junk
pieces over 2 connections)."""
import os, re, socket, struct, sys, threading, time
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp

MODE = sys.argv[1] if len(sys.argv) > 1 else "before"
if MODE not in ("before", "alongside", "mixed"):
    nu.fail("usage: metadata-liar.py before|alongside|mixed")
LIAR = "127.0.0.2"
if not wp.can_bind(LIAR):
    nu.skip("cannot bind %s (loopback is not the whole 127/8 here)" % LIAR)

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("hostile-mliar")
content = nu.make_payload(os.path.join(root, "seed"), layout=[("data.bin", 20 << 20)])
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent, piece_size=16384)
info_size = len(lt.torrent_info(torrent).metadata())
if info_size <= 16384:
    nu.fail("the info dictionary is %d bytes: one metadata piece, no mixing" % info_size)
ses = nu.lt_session(lt, 0)
h = nu.lt_add(lt, ses, torrent, os.path.join(root, "seed"), seed=True)
nu.wait_lt_seeding(h)

ls = socket.socket()
ls.bind((LIAR, 0))
ls.listen(8)
lport = ls.getsockname()[1]
answered, lied = threading.Event(), threading.Event()
stats = {"conns": 0, "junk": 0}


def liar(c):
    stats["conns"] += 1
    try:
        hs = wp.recv_exact(c, 68)
        c.sendall(wp.PSTR + b"\0\0\0\0\0\x10\0\0" + hs[28:48] + b"-LI0001-" + os.urandom(12))
        body = wp.bencode({"m": {"ut_metadata": 3}, "metadata_size": info_size, "v": "liar"})
        c.sendall(struct.pack(">IBB", len(body) + 2, wp.EXTENDED, 0) + body)
        answered.set()
        theirs = 0
        while True:
            (n,) = struct.unpack(">I", wp.recv_exact(c, 4))
            msg = wp.recv_exact(c, n) if n else b""
            if not msg or msg[0] != wp.EXTENDED:
                continue
            if msg[1] == 0:
                mm = re.search(rb"11:ut_metadatai(\d+)e", msg)
                theirs = int(mm.group(1)) if mm else 0
                continue
            mm = re.search(rb"8:msg_typei0e5:piecei(\d+)e", msg)
            if msg[1] != 3 or not mm or not theirs:
                continue
            piece = int(mm.group(1))
            if MODE == "mixed" and piece != 0:
                d = wp.bencode({"msg_type": 2, "piece": piece})
                c.sendall(struct.pack(">IBB", len(d) + 2, wp.EXTENDED, theirs) + d)
                continue
            size = min(16384, info_size - piece * 16384)
            d = wp.bencode({"msg_type": 1, "piece": piece, "total_size": info_size})
            body = bytes([theirs]) + d + os.urandom(size)
            c.sendall(struct.pack(">IB", len(body) + 1, wp.EXTENDED) + body)
            stats["junk"] += 1
            lied.set()
    except (OSError, EOFError):
        pass
    finally:
        c.close()


wp.serve_each(ls, liar)
magnet = "magnet:?xt=urn:btih:%s&dn=payload&x.pe=%s:%d" % (ih, LIAR, lport)
sp_port = nu.free_port()


def honest_seed():
    cond = answered if MODE == "alongside" else lied
    if not cond.wait(60):
        print("the liar was never asked", flush=True)
        return
    nu.wait_listening(sp_port, timeout=60, what="swarmplay")
    h.connect_peer(("127.0.0.1", sp_port))
    print("libtorrent: connecting to swarmplay (%s)" % MODE, flush=True)


threading.Thread(target=honest_seed, daemon=True).start()
t0 = time.time()
nu.download(root, "dl", magnet, content, extra=["--port", str(sp_port)], timeout=90)
took = time.time() - t0
with open(os.path.join(root, "dl.log")) as f:
    log = f.read()
print("liar: %d connections, %d junk pieces sent; magnet done in %.1f s" %
      (stats["conns"], stats["junk"], took))
if not stats["junk"]:
    nu.fail("the liar sent no junk piece: the probe did not run")
if "banned %s" % LIAR not in log:
    nu.show_log(os.path.join(root, "dl.log"))
    nu.fail("the liar %s was not banned" % LIAR)
if "banned 127.0.0.1" in log:
    nu.fail("the honest seed was banned")
print("ok")
