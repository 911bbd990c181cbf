#!/usr/bin/python3
"""metadata-flood.py - peers that ask and never read must not cost memory.

A `swarmplay seed` of a 24 MB payload (16 KiB pieces: a 30 KB info
dictionary, two ut_metadata pieces) is flooded for 25 s by two peers of
our own with a 4 KiB receive window that never read after the handshake:
one sends ut_metadata requests at 2 000/s (each answer is a 16 KiB piece:
x530 amplification), the other REQUESTs while choked (each answer is a
REJECT). Both reconnect whenever they are dropped, as an attacker would.
Meanwhile an honest `swarmplay download` fetches the payload from the
seed. Asserted: the seed's RSS grows by less than RSS_BOUND_MB over the
flood, and the honest copy is byte-identical.

Before issue 11: RSS 12 -> 945 MB in 30 s."""
import os, sys, threading, time
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp
import hostile_peers
import sanitizer

RSS_BOUND_MB = 32
FLOOD_S = 25

nu.swarmplay()
root = nu.workdir("hostile-mflood")
content, torrent, ih = wp.make_seed(root, 24 << 20)
seed, port, seed_log = wp.start_seed(root, torrent, content)


if not wp.can_bind("127.0.0.3"):
    nu.skip("cannot bind 127.0.0.3 (loopback is not the whole 127/8 here)")
wp.wait_ready(port, ih)  # its check is done
stop = threading.Event()
counts = {"meta-flood": {}, "choked": {}}  # connections, requests sent

base = wp.rss_kb(seed.pid)
threads = [threading.Thread(target=hostile_peers.run, daemon=True,
                            args=(kind, port, ih, src, stop, counts[kind]))
           for kind, src in (("meta-flood", "127.0.0.2"), ("choked", "127.0.0.3"))]
for t in threads:
    t.start()
peak = base
t0 = time.time()
honest = {}


def honest_download():
    honest["stats"] = nu.download(root, "dl", torrent, content,
                                  extra=["--peer", "127.0.0.1:%d" % port], timeout=90)
    honest["s"] = time.time() - t0


dl = threading.Thread(target=honest_download, daemon=True)
time.sleep(3)  # not an assertion: the honest peer comes while the flood runs
dl.start()
while time.time() - t0 < FLOOD_S:
    if seed.poll() is not None:
        nu.show_log(seed_log)
        nu.fail("the seed exited (rc %s) under the flood" % seed.returncode)
    peak = max(peak, wp.rss_kb(seed.pid))
    time.sleep(0.2)
stop.set()
dl.join(90)
grown = (peak - base) / 1024
print("seed RSS %.1f MB -> peak %.1f MB (+%.1f MB) in %d s; ut_metadata flooder: %d "
      "connections, %d requests sent; choked flooder: %d connections, %d requests sent" %
      (base / 1024, peak / 1024, grown, FLOOD_S, counts["meta-flood"].get("connections", 0),
       counts["meta-flood"].get("sent", 0), counts["choked"].get("connections", 0),
       counts["choked"].get("sent", 0)))
nu.stop(seed)
if "s" not in honest:
    nu.fail("the honest download did not finish")
print("honest download done %.1f s after the flood began" % honest["s"])
if counts["meta-flood"].get("sent", 0) < hostile_peers.RATE * 2:
    nu.fail("the flooder could not send (%d requests): the probe did not run" %
            counts["meta-flood"].get("sent", 0))
if grown >= RSS_BOUND_MB and sanitizer.rss_bound_holds("metadata-flood"):
    nu.fail("RSS grew by %.1f MB under the flood (bound %d MB)" % (grown, RSS_BOUND_MB))
print("ok")
