#!/usr/bin/python3
"""swarm-magnet.py - BEP 9 both ways. swarmplay downloads a magnet link
(info-hash and an x.pe peer only) from a libtorrent seed: it must fetch
the info dictionary by ut_metadata, then the data, byte-identical. Then a
libtorrent client given only the magnet and swarmplay's address (swarmplay
seeding) must get the metadata and the data from swarmplay."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("swarm-magnet")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
ses = nu.lt_session(lt, 0)
port = ses.listen_port()
h = nu.lt_add(lt, ses, torrent, src, seed=True)
nu.wait_lt_seeding(h)

magnet = "magnet:?xt=urn:btih:%s&dn=payload&x.pe=127.0.0.1:%d" % (ih, port)
st = nu.download(root, "dl", magnet, content)
print("swarmplay: magnet -> metadata -> %d bytes, identical" % st["downloaded_peers"])

# the other way: swarmplay seeds, libtorrent starts from the magnet alone
seed_log = os.path.join(root, "seed.log")
seeder, sp_port = nu.start_swarmplay_port(["seed", torrent, src, "--no-tracker",
                                           "--exit-after", "120"], seed_log)
ses2 = nu.lt_session(lt, 0)
params = lt.parse_magnet_uri("magnet:?xt=urn:btih:%s" % ih)
params.save_path = os.path.join(root, "lt")
h2 = ses2.add_torrent(params)
h2.connect_peer(("127.0.0.1", sp_port))
end = time.time() + 90
while time.time() < end and not h2.status().is_seeding:
    time.sleep(0.2)
ok = h2.status().is_seeding
nu.stop(seeder)
if not ok:
    nu.show_log(seed_log)
    nu.fail("libtorrent did not complete from the magnet (has metadata: %s)" %
            h2.status().has_metadata)
diff = nu.same_tree(content, os.path.join(root, "lt", "payload"))
if diff:
    nu.fail("libtorrent: " + diff)
print("ok: libtorrent fetched the metadata and data from swarmplay")
