#!/usr/bin/python3
"""magnet-liar.py - a lying peer must not stall a magnet: the first peer
the magnet names (x.pe) announces a wrong ut_metadata size and never sends
a piece of it; an honest libtorrent seed connects once the liar has
answered and swarmplay is listening (a real condition, not a sleep: under
load swarmplay may not listen 2 s after its start). swarmplay
download must drop the liar's size (after 15 s without a piece while
another peer announces another one), fetch the metadata from the seed and
then the data, compared byte for byte. Before the fix: no metadata in 60 s."""
import os, socket, struct, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["SP_SRCDIR"], "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("liar-meta")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
ses = nu.lt_session(lt, 0)
port = ses.listen_port()
h = nu.lt_add(lt, ses, torrent, src, seed=True)
nu.wait_lt_seeding(h)

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
lport = ls.getsockname()[1]
conns = []
liar_answered = threading.Event()

def serve():
    while True:
        c, _ = ls.accept()
        conns.append(c)
        hs = b""
        while len(hs) < 68:
            d = c.recv(68 - len(hs))
            if not d:
                break
            hs += d
        if len(hs) < 68:
            continue
        c.sendall(b"\x13BitTorrent protocol" + b"\0\0\0\0\0\x10\0\0" + hs[28:48] + b"L" * 20)
        body = b"d1:md11:ut_metadatai3ee13:metadata_sizei12345ee"
        c.sendall(struct.pack(">IBB", len(body) + 2, 20, 0) + body)
        print("liar: answered a handshake", flush=True)
        liar_answered.set()

threading.Thread(target=serve, daemon=True).start()
magnet = "magnet:?xt=urn:btih:%s&dn=payload&x.pe=127.0.0.1:%d" % (ih, lport)
sp_port = nu.free_port()

def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def late_seed():  # the honest seed shows up after the liar
    if not liar_answered.wait(60):
        print("the liar was never dialled", flush=True)
        return
    end = time.time() + 60
    while not listening(sp_port) and time.time() < end:
        time.sleep(0.05)  # poll for the condition
    h.connect_peer(("127.0.0.1", sp_port))
    print("libtorrent: connecting to swarmplay", flush=True)

threading.Thread(target=late_seed, daemon=True).start()
t0 = time.time()
# 180 s is a guard, not a measure: the liar costs 15 s by design, and on a
# loaded machine (issue 11: the suite under stress -c 2) the download may
# take several times its 20 s; the broken code never completes at all
st = nu.download(root, "dl", magnet, content, extra=["--port", str(sp_port)], timeout=180)
print("ok: metadata and data despite the liar in %.1f s" % (time.time() - t0))
