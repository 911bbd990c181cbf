#!/usr/bin/python3
"""late-bitfield.py - a peer that tells its new pieces with a whole
BITFIELD, again and again, is honest: aria2 does so whenever it has
twenty new pieces or more to tell. swarmplay must take each one as the
HAVEs it stands for and stay connected; only a peer that takes back a
piece (HAVE_NONE after HAVE_ALL: tests/hostile/toggler.py) is closed.

Our own peer (the only source of `swarmplay download`) starts with the
first 8 of 128 pieces and adds 8 at a time, each time sending its whole
bitfield, and serves the real bytes of what it has. Asserted: the
download completes, byte-identical, over one connection, after 15 or
more late bitfields; and the log names no closing of that peer.

Before this test (session 10): the third bitfield closed the connection
("sent its pieces again and again"), in CI against aria2c as well."""
import os, socket, struct, sys, threading, time
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp

nu.swarmplay()
root = nu.workdir("late-bitfield")
PIECE = 16 << 10
NPIECES = 128
content, torrent, ih = wp.make_seed(root, NPIECES * PIECE - 1000)
data = open(os.path.join(content, "data.bin"), "rb").read()
ih_bytes = bytes.fromhex(ih)

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
state = {"connections": 0, "bitfields": 0, "blocks": 0, "bad_requests": 0}


def bitfield(n):
    bits = bytearray((NPIECES + 7) // 8)
    for i in range(n):
        bits[i >> 3] |= 0x80 >> (i & 7)
    return struct.pack(">IB", 1 + len(bits), wp.BITFIELD) + bytes(bits)


def serve(c):
    state["connections"] += 1
    lock = threading.Lock()
    have = [8]
    try:
        hs = wp.recv_exact(c, 68)
        if hs[28:48] != ih_bytes:
            return
        c.sendall(wp.PSTR + bytes(8) + ih_bytes + b"-LB0001-" + os.urandom(12))
        with lock:
            c.sendall(bitfield(have[0]) + struct.pack(">IB", 1, wp.UNCHOKE))

        def grow():
            try:
                while have[0] < NPIECES:
                    time.sleep(0.1)
                    with lock:
                        have[0] = min(NPIECES, have[0] + 8)
                        c.sendall(bitfield(have[0]))
                        state["bitfields"] += 1
            except OSError:
                pass
        threading.Thread(target=grow, daemon=True).start()
        while True:
            (n,) = struct.unpack(">I", wp.recv_exact(c, 4))
            body = wp.recv_exact(c, n) if n else b""
            if n == 13 and body[0] == wp.REQUEST:
                index, begin, length = struct.unpack(">III", body[1:])
                if index >= have[0] or length > 1 << 17:
                    state["bad_requests"] += 1  # asked for what it was not told
                    continue
                start = index * PIECE + begin
                with lock:
                    c.sendall(struct.pack(">IBII", 9 + length, wp.PIECE, index, begin) +
                              data[start:start + length])
                state["blocks"] += 1
    except (EOFError, OSError):
        pass
    finally:
        c.close()


wp.serve_each(ls, serve)
nu.download(root, "dl", torrent, content, timeout=120,
            extra=["--peer", "127.0.0.1:%d" % ls.getsockname()[1]])
ls.close()
log = open(os.path.join(root, "dl.log"), errors="replace").read()
print("download done: %d connection(s), %d late bitfields, %d blocks served, %d requests "
      "for pieces not told" % (state["connections"], state["bitfields"], state["blocks"],
                               state["bad_requests"]))
if state["bitfields"] < 15:
    nu.fail("only %d late bitfields were sent: the test proves nothing" % state["bitfields"])
if state["connections"] != 1:
    nu.fail("%d connections: swarmplay closed the peer for its bitfields" % state["connections"])
if "closing" in log:
    nu.show_log(os.path.join(root, "dl.log"))
    nu.fail("the log names a closing")
if state["bad_requests"]:
    nu.fail("swarmplay asked for %d blocks of pieces the peer had not told" %
            state["bad_requests"])
print("ok: every late bitfield taken as HAVEs, one connection, copy identical")
