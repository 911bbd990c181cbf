#!/usr/bin/python3
"""swarm-dht.py - BEP 5 against libtorrent's DHT, with no tracker and no
peer address anywhere: a libtorrent session serves as the DHT node.
1. `swarmplay seed --dht` announces itself to that node; a libtorrent
   leecher that knows only the node finds swarmplay and completes.
2. A libtorrent seed announces to the node; `swarmplay download --dht`
   that knows only the node finds the seed and completes, byte-identical."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("swarm-dht")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)


node = nu.lt_dht_node(lt)
node_port = node.listen_port()
node_addr = "127.0.0.1:%d" % node_port

# 1. swarmplay seeds, libtorrent finds it through the DHT
seed_log = os.path.join(root, "seed.log")
seeder, sp_port = nu.start_swarmplay_port(["seed", torrent, src, "--no-tracker", "--dht",
                                           "--dht-node", node_addr, "--exit-after", "150"],
                                          seed_log, env={"SWARMPLAY_LOG": "debug"})
nu.wait_dht_peer(node_port, ih, sp_port)  # its announce reached the node
leech = nu.lt_dht_node(lt, node_addr)
h = leech.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.join(root, "lt")})
end = time.time() + 90
while time.time() < end and not h.status().is_seeding:
    time.sleep(0.3)
ok1 = h.status().is_seeding
nu.stop(seeder)
if not ok1:
    nu.show_log(seed_log)
    nu.fail("libtorrent did not find swarmplay through the DHT")
diff = nu.same_tree(content, os.path.join(root, "lt", "payload"))
if diff:
    nu.fail("libtorrent: " + diff)
print("1: libtorrent found swarmplay's announce and completed")

# 2. libtorrent seeds and announces; swarmplay finds it through the DHT
lt_seed = nu.lt_dht_node(lt, node_addr)
hs = lt_seed.add_torrent({"ti": lt.torrent_info(torrent), "save_path": src,
                          "flags": lt.torrent_flags.seed_mode})
nu.wait_lt_seeding(hs)
# its bootstrap and first announce: swarmplay looks up once, then every
# 5 minutes, so the node must give the seed out before swarmplay asks
nu.wait_dht_peer(node_port, ih, lt_seed.listen_port())
dst = os.path.join(root, "dl")
log_path = os.path.join(root, "download.log")
with open(log_path, "w") as log:
    p = nu.start_swarmplay(["download", torrent, "-d", dst, "--no-tracker", "--dht",
                            "--dht-node", node_addr], log, env={"SWARMPLAY_LOG": "debug"})
    try:
        rc = p.wait(timeout=90)
    except Exception:
        nu.stop(p)
        rc = None
if rc != 0:
    nu.show_log(log_path)
    nu.fail("swarmplay did not complete through the DHT (rc %s)" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
print("ok: 2: swarmplay found the libtorrent seed through the DHT and completed")
