#!/usr/bin/python3
"""corrupt-peer6.py - corrupt-peer.py over IPv6 (issue 14): the lying peer
(tests/lib/net_liar.py) listens on ::1, next to an honest libtorrent seed
on 127.0.0.1. swarmplay must ban the liar by its IPv6 address, never the
honest seed, finish with a byte-identical copy, and keep the liar out
when it comes back: dialling in from ::1 after the ban, it gets no
handshake (the connection is closed at accept)."""
import binascii, os, signal, socket, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
from net_liar import Liar

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("corrupt-peer6")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
try:
    liar = Liar(binascii.unhexlify(ih), info.num_pieces(), host="::1")
except OSError as e:
    nu.skip("cannot bind ::1 (no IPv6 here?): %s" % e)

ses = nu.lt_session(lt, 0, upload_limit=1_000_000)
port = ses.listen_port()
h = nu.lt_add(lt, ses, torrent, src, seed=True)
nu.wait_lt_seeding(h)

dst = os.path.join(root, "dl")
stats = os.path.join(root, "dl.json")
log_path = os.path.join(root, "dl.log")
p, sp_port = nu.start_swarmplay_port(
    ["download", torrent, "-d", dst, "--no-tracker", "--seed", "--stats-json", stats,
     "--peer", "[::1]:%d" % liar.addr[1], "--peer", "127.0.0.1:%d" % port], log_path)


def log():
    with open(log_path, errors="replace") as f:
        return f.read()


end = time.time() + 120
while "banned ::1" not in log() and time.time() < end and p.poll() is None:
    time.sleep(0.1)
if "banned ::1" not in log():
    nu.stop(p)
    nu.show_log(log_path)
    nu.fail("the IPv6 liar (sent %d bad blocks) was not banned" % liar.blocks_sent)

# the liar comes back, dialling in from ::1: closed at accept, no handshake
refused = 0
for _ in range(3):
    c = socket.create_connection(("::1", sp_port), timeout=5)
    try:
        c.sendall(b"\x13BitTorrent protocol" + bytes(8) + binascii.unhexlify(ih) +
                  b"-LI0001-" + os.urandom(12))
        got = c.recv(68)
    except (ConnectionResetError, socket.timeout):
        got = b""
    finally:
        c.close()
    if got:
        nu.stop(p)
        nu.fail("the banned IPv6 peer came back and got a handshake: %r" % got[:20])
    refused += 1

while time.time() < end and p.poll() is None:
    try:
        if nu.read_json(stats).get("complete"):
            break
    except (OSError, ValueError):
        pass
    time.sleep(0.2)
p.send_signal(signal.SIGINT)
rc = p.wait(30)
liar.stop()
if rc != 0:
    nu.show_log(log_path)
    nu.fail("swarmplay exited with %s" % rc)
diff = nu.same_tree(content, os.path.join(dst, os.path.basename(content)))
if diff:
    nu.fail("the copy is not the data: %s" % diff)
if "banned 127.0.0.1" in log():
    nu.fail("the honest seed was banned")
print("ok: IPv6 liar sent %d bad blocks, banned; refused %d times when it came back; "
      "copy identical" % (liar.blocks_sent, refused))
