#!/usr/bin/python3
"""squatters.py - connections that only send keep-alives must not hold a
torrent's slots for good.

60 peers of our own, each from its own address (127.0.0.2 .. 127.0.0.61,
so no per-address limit can help), connect to a `swarmplay seed` (50 slots
by default), send HAVE_NONE and then keep-alives, never INTERESTED, and
connect again whenever they are dropped. Once the slots are full, an
honest `swarmplay download` from 127.0.0.1 must still get the payload,
byte-identical, within 90 s: the seed turns over peers that are useless
both ways (and keeps their addresses out a while). First, 12 connections
from one address (127.0.0.62): at most the per-address limit (8) of them
get a handshake.

Before issue 11: 50 slots taken for good, the leecher got 0 bytes."""
import os, sys, threading, time
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp
import hostile_peers

SQUATTERS = 60
PER_IP = 8

nu.swarmplay()
root = nu.workdir("hostile-squat")
content, torrent, ih = wp.make_seed(root, 4 << 20, "64K")
seed, port, seed_log = wp.start_seed(root, torrent, content)
if not wp.can_bind("127.0.0.62"):
    nu.skip("cannot bind 127.0.0.62 (loopback is not the whole 127/8 here)")
wp.wait_ready(port, ih)

counts = [{} for _ in range(SQUATTERS)]  # connections, alive (hostile_peers.run)
stop = threading.Event()


def alive():
    return sum(c.get("alive", 0) for c in counts)


# the per-address limit: 12 from one address, each kept open
same = []
for k in range(12):
    try:
        p = wp.Peer(port, ih, src="127.0.0.62", timeout=10)
        p.handshake()
        same.append(p)
    except (OSError, EOFError):
        pass
print("%d of 12 connections from 127.0.0.62 were answered" % len(same))
for p in same:
    p.close()

for i in range(SQUATTERS):
    threading.Thread(target=hostile_peers.run, daemon=True,
                     args=("squat", port, ih, "127.0.0.%d" % (i + 2), stop, counts[i])).start()
wp.wait_for(lambda: alive() >= 50, 60, "the squatters hold the 50 slots")
print("%d squatters connected" % alive())

t0 = time.time()
nu.download(root, "dl", torrent, content, extra=["--peer", "127.0.0.1:%d" % port], timeout=90)
took = time.time() - t0
turned = sum(c.get("connections", 0) for c in counts) - SQUATTERS
stop.set()
nu.stop(seed)
print("honest leecher done in %.1f s with %d squatters; %d squatter reconnections answered" %
      (took, alive(), turned))
if len(same) > PER_IP:
    nu.fail("%d connections from one address were let in (limit %d)" % (len(same), PER_IP))
print("ok")
