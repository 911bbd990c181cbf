#!/usr/bin/python3
"""dht-magnet.py - a trackerless magnet through a real DHT (issue 14):
six libtorrent sessions with their DHT on 127.0.0.1, bootstrapped to one
another, one of them seeding; `swarmplay download` is given only the
magnet's info-hash (no tracker, no x.pe, no --peer) and the six nodes as
its bootstrap (SWARMPLAY_DHT_BOOTSTRAP, as a user's would be the public
routers). It must find the swarm through the DHT, fetch the metadata,
download, and the copy must be byte-identical. It also says what the
lookup took: the nodes that answered and the time to the first peer."""
import os, re, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

NODES = 6
lt = nu.lt()
nu.swarmplay()
root = nu.workdir("dht-magnet")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)


nodes, ports = nu.lt_dht_mesh(lt, NODES)  # each knows the others

seed = nodes[-1]
h = seed.add_torrent({"ti": lt.torrent_info(torrent), "save_path": src,
                      "flags": lt.torrent_flags.seed_mode})
nu.wait_lt_seeding(h)
# the seed's announce reached the DHT: some node gives it out
holders = nu.wait_dht_holders(ports, ih, ("127.0.0.1", seed.listen_port()))
print("the seed's announce is held by %d of %d nodes" % (len(holders), NODES))

dst = os.path.join(root, "dl")
log_path = os.path.join(root, "download.log")
stats = os.path.join(root, "dl.json")
boot = ",".join("127.0.0.1:%d" % p for p in ports)
t0 = time.time()
with open(log_path, "w") as log:
    p = nu.start_swarmplay(["download", "magnet:?xt=urn:btih:%s&dn=payload" % ih, "-d", dst,
                            "--stats-json", stats],
                           log, env={"SWARMPLAY_LOG": "debug", "SWARMPLAY_DHT_BOOTSTRAP": boot})
    try:
        rc = p.wait(timeout=180)
    except Exception:
        nu.stop(p)
        rc = None
took = time.time() - t0
if rc != 0:
    nu.show_log(log_path, 80)
    nu.fail("swarmplay did not complete the trackerless magnet (rc %s)" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
text = open(log_path).read()
found = re.findall(r"(\d+) peers from the DHT", text)
if not found:
    nu.show_log(log_path, 80)
    nu.fail("the log does not say that the DHT gave the peers")
answered = max(int(x) for x in re.findall(r"lookup done: (\d+) nodes answered", text) or ["0"])
for line in text.splitlines():
    if re.search(r" dht\]", line) and "saved" not in line:
        print("  " + line)
st = nu.read_json(stats)
print("ok: magnet -> DHT (%d nodes in the lookup) -> metadata -> %d bytes in %.1f s, identical"
      % (answered, st.get("downloaded_peers", 0), took))
