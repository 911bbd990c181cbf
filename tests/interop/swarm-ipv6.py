#!/usr/bin/python3
"""swarm-ipv6.py - a swarm on ::1 only (issue 14): a libtorrent seed and two
more libtorrent DHT nodes listen on [::1] and nowhere else.
1. x.pe: `swarmplay download "magnet:?xt=...&x.pe=[::1]:P" --no-dht`
   fetches the metadata and the data from the seed over IPv6;
2. the IPv6 DHT (BEP 32): given only the info-hash and the nodes as
   "[::1]:PORT" bootstrap addresses, swarmplay finds the seed through its
   DHT socket on [::] (nodes6, 18-byte values), fetches, downloads;
3. dht.dat then holds those nodes in "nodes6", and a run with no
   bootstrap host at all starts from them and finds the seed again.
Each copy is byte-identical. Skips (77) when ::1 cannot be bound."""
import os, re, socket, struct, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
nu.need_ipv6()
root = nu.workdir("swarm-ipv6")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)


def session6():
    return nu.lt_session(lt, 0, host="::1", enable_dht=True, dht_bootstrap_nodes="",
                         dht_restrict_routing_ips=False, dht_restrict_search_ips=False,
                         dht_block_ratelimit=1000, dht_announce_interval=3)


nodes = [session6() for _ in range(3)]
ports = [n.listen_port() for n in nodes]
for n in nodes:
    for p in ports:
        if p != n.listen_port():
            n.add_dht_node(("::1", p))
seed = nodes[0]
h = seed.add_torrent({"ti": lt.torrent_info(torrent), "save_path": src,
                      "flags": lt.torrent_flags.seed_mode})
nu.wait_lt_seeding(h)
sport = seed.listen_port()


def download(name, magnet, extra=(), env=None):
    dst = os.path.join(root, name)
    log_path = os.path.join(root, name + ".log")
    t0 = time.time()
    with open(log_path, "w") as log:
        p = nu.start_swarmplay(["download", magnet, "-d", dst] + list(extra), log, env=env)
        try:
            rc = p.wait(timeout=120)
        except Exception:
            nu.stop(p)
            rc = None
    if rc != 0:
        nu.show_log(log_path, 60)
        nu.fail("%s: swarmplay exited with %s" % (name, rc))
    diff = nu.same_tree(content, os.path.join(dst, "payload"))
    if diff:
        nu.fail("%s: %s" % (name, diff))
    return open(log_path).read(), time.time() - t0


# 1. x.pe=[::1]:port
_, took = download("xpe", "magnet:?xt=urn:btih:%s&dn=payload&x.pe=[::1]:%d" % (ih, sport),
                   ["--no-dht", "--no-tracker"])
print("1: x.pe=[::1]:%d -> metadata -> data in %.1f s, identical" % (sport, took))

# 2. the IPv6 DHT: wait until a node gives the seed out, then swarmplay
end = time.time() + 90
while time.time() < end and not any(("::1", sport) in nu.dht_peers(p, ih, "::1") for p in ports[1:]):
    time.sleep(0.5)  # a DHT node may block an address that asks too often
if not any(("::1", sport) in nu.dht_peers(p, ih, "::1") for p in ports[1:]):
    nu.fail("no IPv6 DHT node gives out the seed after 90 s")
boot = ",".join("[::1]:%d" % p for p in ports[1:])
state6 = os.path.join(root, "state")
text, took = download("dht6", "magnet:?xt=urn:btih:%s&dn=payload" % ih, ["--no-tracker"],
                      env={"SWARMPLAY_LOG": "debug", "SWARMPLAY_DHT_BOOTSTRAP": boot,
                           "XDG_STATE_HOME": state6})
if "peers from the DHT" not in text:
    nu.fail("dht6: the log does not say the DHT gave the peer")
print("2: the IPv6 DHT ([::1] nodes only) gave the seed; metadata and data in %.1f s, identical"
      % took)

# 3. dht.dat keeps the IPv6 nodes ("nodes6", 38-byte entries): the next
# run, with no bootstrap host at all, starts from them and finds the seed
raw = open(os.path.join(state6, "swarmplay", "dht.dat"), "rb").read()
m = re.search(rb"6:nodes6(\d+):", raw)
saved6 = []
if m:
    start = m.end()
    blob = raw[start:start + int(m.group(1))]
    saved6 = [struct.unpack(">H", blob[i + 36:i + 38])[0] for i in range(0, len(blob), 38)
              if blob[i + 20:i + 36] == socket.inet_pton(socket.AF_INET6, "::1")]
if not set(saved6) & set(ports):
    nu.fail("dht.dat holds no IPv6 node of the mesh (nodes6 ports %s, mesh %s): %r"
            % (saved6, ports, raw[:120]))
text, took = download("dht6-saved", "magnet:?xt=urn:btih:%s&dn=payload" % ih, ["--no-tracker"],
                      env={"SWARMPLAY_LOG": "debug", "SWARMPLAY_DHT_BOOTSTRAP": "",
                           "XDG_STATE_HOME": state6})
if "peers from the DHT" not in text:
    nu.fail("dht6-saved: the log does not say the DHT gave the peer")
print("3: dht.dat kept %d IPv6 nodes; the next run, no bootstrap host, found the seed from them "
      "in %.1f s" % (len(saved6), took))
