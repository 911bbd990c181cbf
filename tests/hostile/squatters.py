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

SQUATTERS = 60
PER_IP = 8

nu.swarmplay()
root = nu.workdir("hostile-squat")
content, torrent, ih = wp.make_seed(root, 4 << 20, "64K")
seed, port, seed_log = wp.start_seed(root, torrent, content)
if not wp.can_bind("127.0.0.62"):
    nu.skip("cannot bind 127.0.0.62 (loopback is not the whole 127/8 here)")
wp.wait_ready(port, ih)

alive = [False] * SQUATTERS
answered = [0] * SQUATTERS
stop = threading.Event()


def squat(i):
    while not stop.is_set():
        p = None
        try:
            p = wp.Peer(port, ih, src="127.0.0.%d" % (i + 2), timeout=5)
            p.handshake()
            answered[i] += 1
            alive[i] = True
            p.send(wp.HAVE_NONE)
            p.sock.settimeout(1)
            last = 0
            while not stop.is_set():
                if time.time() - last > 2:
                    p.keepalive()
                    last = time.time()
                try:
                    if not p.sock.recv(65536):
                        break  # dropped
                except TimeoutError:
                    pass
        except (OSError, EOFError):
            pass
        finally:
            alive[i] = False
            if p:
                p.close()
        time.sleep(0.2)


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
    threading.Thread(target=squat, args=(i,), daemon=True).start()
wp.wait_for(lambda: sum(alive) >= 50, 60, "the squatters hold the 50 slots")
print("%d squatters connected" % sum(alive))

t0 = time.time()
nu.download(root, "dl", torrent, content, extra=["--peer", "127.0.0.1:%d" % port], timeout=90)
took = time.time() - t0
turned = sum(answered) - SQUATTERS
stop.set()
nu.stop(seed)
print("honest leecher done in %.1f s with %d squatters; %d squatter reconnections answered" %
      (took, sum(alive), turned))
if len(same) > PER_IP:
    nu.fail("%d connections from one address were let in (limit %d)" % (len(same), PER_IP))
print("ok")
