#!/usr/bin/python3
"""corrupt-peer6.py - corrupt-peer.py over IPv6 (issue 14): the lying peer
(tests/lib/net_liar.py) listens on ::1, next to an honest libtorrent seed
on 127.0.0.1. swarmplay must ban the liar by its IPv6 address, never the
honest seed, finish with a byte-identical copy, and keep the liar out
when it comes back: dialling in from ::1 after the ban, it gets no
handshake (the connection is closed at accept)."""
import binascii, os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
from net_liar import Liar, finish_seed_download, handshake_answered, wait_log

lt = nu.lt()
nu.swarmplay()
nu.need_ipv6()
root = nu.workdir("corrupt-peer6")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
liar = Liar(binascii.unhexlify(ih), info.num_pieces(), host="::1")

ses, port = nu.lt_seed(lt, torrent, src, upload_limit=1_000_000)

dst = os.path.join(root, "dl")
stats = os.path.join(root, "dl.json")
log_path = os.path.join(root, "dl.log")
p, sp_port = nu.start_swarmplay_port(
    ["download", torrent, "-d", dst, "--no-tracker", "--seed", "--stats-json", stats,
     "--peer", "[::1]:%d" % liar.addr[1], "--peer", "127.0.0.1:%d" % port], log_path)

if not wait_log(log_path, lambda text: "banned ::1" in text, p, 120):
    nu.stop(p)
    nu.show_log(log_path)
    nu.fail("the IPv6 liar (sent %d bad blocks) was not banned" % liar.blocks_sent)

# the liar comes back, dialling in from ::1: closed at accept, no handshake
for refused in range(1, 4):
    if handshake_answered(ih, sp_port, "::1"):
        nu.stop(p)
        nu.fail("the banned IPv6 peer came back (try %d) and got a handshake" % refused)

finish_seed_download(p, stats, log_path, content, dst, 120, [liar])
print("ok: IPv6 liar sent %d bad blocks, banned; refused %d times when it came back; "
      "copy identical" % (liar.blocks_sent, refused))
