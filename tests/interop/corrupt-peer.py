#!/usr/bin/python3
"""corrupt-peer.py - a lying peer (127.0.0.2, tests/lib/net_liar.py)
answers every request with garbage, next to an honest libtorrent seed
(127.0.0.1, rate-limited so the liar gets its share of requests).
swarmplay must ban the liar, never the honest seed, and finish with a
byte-identical copy."""
import binascii, os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
from net_liar import Liar

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("corrupt-peer")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
try:
    liar = Liar(binascii.unhexlify(ih), info.num_pieces())
except OSError as e:
    nu.skip("cannot bind 127.0.0.2: %s" % e)

ses, port = nu.lt_seed(lt, torrent, src, upload_limit=1_000_000)

# the liar first, so it is asked for as much as possible
st = nu.download(root, "dl", torrent, content,
                 ["--peer", "%s:%d" % liar.addr, "--peer", "127.0.0.1:%d" % port])
liar.stop()
log_path = os.path.join(root, "dl.log")
text = open(log_path, errors="replace").read()
if liar.blocks_sent == 0:
    nu.fail("the liar was never asked for a block: the test proves nothing")
if "banned 127.0.0.2" not in text:
    nu.show_log(log_path)
    nu.fail("the liar (sent %d bad blocks) was not banned" % liar.blocks_sent)
if "banned 127.0.0.1" in text:
    nu.fail("the honest seed was banned")
print("ok: liar sent %d bad blocks over %d connection(s), banned; wasted %d bytes; copy identical"
      % (liar.blocks_sent, liar.connections, st["wasted"]))
