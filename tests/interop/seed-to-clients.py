#!/usr/bin/python3
"""seed-to-clients.py - `swarmplay seed` serves a multi-file torrent to
libtorrent (added as a direct peer) and aria2c (which finds it through
opentracker) at the same time; both copies must be byte-identical and
swarmplay must count what it uploaded."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
nu.need("aria2c", "opentracker")
root = nu.workdir("seed-to-clients")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
logs = open(os.path.join(root, "clients.log"), "w")
ih = nu.make_torrent(lt, content, torrent)
tracker = nu.Opentracker(root, [ih], logs)
nu.make_torrent(lt, content, torrent, trackers=[tracker.url])

stats = os.path.join(root, "seed-stats.json")
log_path = os.path.join(root, "swarmplay.log")
seeder, sp_port = nu.start_swarmplay_port(["seed", torrent, src, "--stats-json", stats,
                                           "--exit-after", "240"], log_path)
tracker.wait_peers(ih)  # its announce reached the tracker: the clients will find it

lt_dir = os.path.join(root, "lt")
ses = nu.lt_session(lt, 0)
h = nu.lt_add(lt, ses, torrent, lt_dir)
h.connect_peer(("127.0.0.1", sp_port))
aria_dir = os.path.join(root, "aria2")
aria = nu.aria2_get(torrent, aria_dir, nu.free_port(), logs)

ok = False
end = time.time() + 150
while time.time() < end:
    if h.status().is_seeding and aria.poll() is not None:
        ok = True
        break
    if seeder.poll() is not None:
        break
    time.sleep(0.2)
aria_rc = aria.poll()
nu.stop(aria)
ses.remove_torrent(h)
total = sum(s for _, s in nu.LAYOUT)
# the upload counter reaches the stats file a tick later: wait for a whole
# copy counted (rather than sleep a tick) while the seed still runs
end = time.time() + 60
while ok and seeder.poll() is None and time.time() < end:
    try:
        if nu.read_json(stats)["uploaded"] >= total:
            break
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
nu.stop(seeder)
tracker.stop()
if not ok:
    nu.show_log(log_path)
    nu.show_log(logs.name)
    nu.fail("leechers did not finish: libtorrent %s, aria2c rc %s" %
            (h.status().progress, aria_rc))
if aria_rc != 0:
    nu.fail("aria2c exited with %s" % aria_rc)
for name, d in (("libtorrent", lt_dir), ("aria2c", aria_dir)):
    diff = nu.same_tree(content, os.path.join(d, "payload"))
    if diff:
        nu.fail(name + ": " + diff)
st = nu.read_json(stats)
# The two leechers also trade with each other: swarmplay must have served
# at least one whole copy.
if st["uploaded"] < total:
    nu.fail("swarmplay uploaded %d < %d" % (st["uploaded"], total))
if seeder.returncode != 0:
    nu.fail("swarmplay seed exited with %s" % seeder.returncode)
print("ok: libtorrent and aria2c got identical copies; swarmplay uploaded %d bytes" %
      st["uploaded"])
