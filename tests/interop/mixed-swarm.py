#!/usr/bin/python3
"""mixed-swarm.py - one rate-limited libtorrent seed and three leechers of
different clients (swarmplay, aria2c, libtorrent), all finding each other
through opentracker. Every leecher must finish with an identical copy,
and swarmplay must have uploaded to the others (its upload counter)."""
import os, signal, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
nu.need("aria2c", "opentracker")
root = nu.workdir("mixed-swarm")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
logs = open(os.path.join(root, "clients.log"), "w")
ih = nu.make_torrent(lt, content, torrent)
tracker = nu.Opentracker(root, [ih], logs)
nu.make_torrent(lt, content, torrent, trackers=[tracker.url])

# The seed gives slowly, so the leechers must trade among themselves.
seed_ses = nu.lt_session(lt, 0, upload_limit=400_000)
seed_h = nu.lt_add(lt, seed_ses, torrent, src, seed=True)
nu.wait_lt_seeding(seed_h)
seed_h.force_reannounce()
tracker.wait_peers(ih)  # swarmplay's first announce lists the seed

sp_dir = os.path.join(root, "swarmplay")
stats = os.path.join(root, "stats.json")
sp_log = os.path.join(root, "swarmplay.log")
sp = nu.start_swarmplay(["download", torrent, "-d", sp_dir, "--seed", "--stats-json", stats],
                        open(sp_log, "w"))
aria_dir = os.path.join(root, "aria2")
aria = nu.aria2_get(torrent, aria_dir, nu.free_port(), logs, seed_time=60)
lt_dir = os.path.join(root, "lt")
leech_ses = nu.lt_session(lt, 0)
leech_h = nu.lt_add(lt, leech_ses, torrent, lt_dir)


def done(d):
    return nu.same_tree(content, os.path.join(d, "payload")) is None


finished = {}
t0 = time.time()
end = t0 + 150
while time.time() < end and len(finished) < 3:
    time.sleep(0.5)
    for name, d in (("swarmplay", sp_dir), ("aria2c", aria_dir), ("libtorrent", lt_dir)):
        if name not in finished and (name != "libtorrent" or leech_h.status().is_seeding) \
                and os.path.isdir(os.path.join(d, "payload")) and done(d):
            finished[name] = time.time() - t0
    if sp.poll() is not None:
        break
# swarmplay's upload counter and its own "complete" reach its stats file a
# tick later: wait for them (rather than sleep a tick) while swarmplay
# still seeds (the files can be whole on disk a moment before swarmplay
# has verified the last piece: stopped then, it rightly reports failure)
end = time.time() + 60
while len(finished) == 3 and sp.poll() is None and time.time() < end:
    try:
        js = nu.read_json(stats)
        if js["uploaded"] > 0 and js["complete"]:
            break
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
nu.stop(sp, signal.SIGTERM)
nu.stop(aria)
tracker.stop()
print("finished:", ", ".join("%s %.1f s" % kv for kv in sorted(finished.items())))
if len(finished) < 3:
    nu.show_log(sp_log)
    nu.show_log(logs.name)
    nu.fail("not every leecher finished: %s" % sorted(finished))
if sp.returncode != 0:
    nu.fail("swarmplay exited with %s after SIGTERM" % sp.returncode)
st = nu.read_json(stats)
print("swarmplay: uploaded %d bytes, downloaded %d from peers" %
      (st["uploaded"], st["downloaded_peers"]))
if st["uploaded"] <= 0:
    nu.fail("swarmplay uploaded nothing to the other leechers")
# aria2c tells new pieces with whole bitfields, again and again: honest
with open(sp_log, errors="replace") as f:
    odd = [line.strip() for line in f if "took back pieces" in line]
if odd:
    nu.fail("swarmplay closed an honest client: %s" % odd[0])
print("ok")
