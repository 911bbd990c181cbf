#!/usr/bin/python3
"""tracker-swarm.py - swarmplay finds its only seed through a tracker, after
BEP 12 fail-over: the torrent lists three tiers, a UDP tracker nobody
listens on, an HTTP tracker nobody listens on, then a real opentracker
over UDP where a libtorrent seed announced itself. `swarmplay download`
(no --peer) must get every byte, and its log must show both dead trackers
reported before the working one answered."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
nu.need("opentracker")
root = nu.workdir("tracker-swarm")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
logs = open(os.path.join(root, "clients.log"), "w")

probe = os.path.join(root, "probe.torrent")
ih = nu.make_torrent(lt, content, probe)
tracker = nu.Opentracker(root, [ih], logs)
ot_udp = "udp://127.0.0.1:%d/announce" % tracker.port
dead_udp = "udp://127.0.0.1:%d/announce" % nu.free_port()  # held: nothing else binds it
dead_http = "http://127.0.0.1:%d/announce" % nu.free_port()

torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent, trackers=[dead_udp, dead_http, ot_udp])
seed_torrent = os.path.join(root, "seed.torrent")
nu.make_torrent(lt, content, seed_torrent, trackers=[ot_udp])

ses = nu.lt_session(lt, 0)
h = nu.lt_add(lt, ses, seed_torrent, src, seed=True)
nu.wait_lt_seeding(h)
h.force_reannounce()
# until opentracker knows the seed (swarmplay's one announce must list it)
tracker.wait_peers(ih)

dst = os.path.join(root, "dl")
log_path = os.path.join(root, "swarmplay.log")
with open(log_path, "w") as log:
    p = nu.start_swarmplay(["download", torrent, "-d", dst, "--stats-json",
                            os.path.join(root, "st.json")], log)
    try:
        rc = p.wait(timeout=90)
    except subprocess.TimeoutExpired:
        nu.stop(p)
        rc = None
if rc != 0:
    nu.show_log(log_path)
    nu.fail("swarmplay download exited with %s" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
text = open(log_path).read()
for line in text.splitlines():
    if "tracker" in line and "%" not in line:
        print("  " + line)
for url, what in ((dead_udp, "the dead UDP tracker"), (dead_http, "the dead HTTP tracker")):
    if url not in text:
        nu.show_log(log_path)
        nu.fail("%s (%s) was never reported" % (what, url))
if "announced" not in text and "annonce" not in text:
    nu.show_log(log_path)
    nu.fail("no successful announce in the log")
st = nu.read_json(os.path.join(root, "st.json"))
print("downloaded %d bytes from peers found through %s after two dead tiers" %
      (st["downloaded_peers"], ot_udp))
print("ok")
