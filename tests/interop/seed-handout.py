#!/usr/bin/python3
"""seed-handout.py - `swarmplay seed --upload-limit` hands out to clients
that are not swarmplay (issue 10): three libtorrent leechers join a
source capped at 300 kB/s and know each other. A source that serves every
request as it comes sends each its own copy of much of the file (1.8-1.9
copies measured before the hand-out); handing out, it sends new pieces
first and REJECTs a block others have after a hold, so the leechers trade
among themselves. Checks: every copy byte-identical, and the source sent
fewer than MAX_COPIES copies (its stats file's copies_sent, which must
agree with "uploaded")."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

LEECHERS = 3
CAP_KBPS = 300
SIZE = 3_000_000
MAX_COPIES = 1.5
lt = nu.lt()
nu.swarmplay()
root = nu.workdir("seed-handout")
src = os.path.join(root, "seed")
content = nu.make_payload(src, layout=[("clip.bin", SIZE)])
torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent)
stats = os.path.join(root, "seed.json")
log = os.path.join(root, "swarmplay.log")
seeder, port = nu.start_swarmplay_port(["seed", torrent, src, "--no-tracker", "--no-dht",
                                        "--stats-json", stats, "--upload-limit",
                                        str(CAP_KBPS)], log)


def seed_stats():
    try:
        return nu.read_json(stats)
    except (OSError, ValueError):
        return {}


end = time.time() + 60
while not seed_stats().get("complete"):
    if time.time() > end or seeder.poll() is not None:
        nu.show_log(log)
        nu.fail("swarmplay did not start seeding")
    time.sleep(0.1)

leechers = []
t0 = time.time()
for i in range(LEECHERS):
    ses = nu.lt_session(lt, 0)
    h = nu.lt_add(lt, ses, torrent, os.path.join(root, "l%d" % i))
    h.connect_peer(("127.0.0.1", port))
    for other, _ in leechers:
        h.connect_peer(("127.0.0.1", other.listen_port()))
    leechers.append((ses, h))
done = {}
end = time.time() + 180
while len(done) < LEECHERS and time.time() < end and seeder.poll() is None:
    for i, (_, h) in enumerate(leechers):
        if i not in done and h.status().is_seeding:
            done[i] = time.time() - t0
    time.sleep(0.1)
nu.stop(seeder)
st = seed_stats()
copies = st.get("uploaded", 0) / SIZE
print("leechers done after %s s; the source sent %d bytes = %.2f copies (stats: %s)" %
      ([round(done[i], 1) for i in sorted(done)], st.get("uploaded", 0), copies,
       st.get("copies_sent")))
if len(done) < LEECHERS:
    nu.show_log(log)
    nu.fail("%d of %d leechers completed" % (len(done), LEECHERS))
for i in range(LEECHERS):
    why = nu.same_tree(content, os.path.join(root, "l%d" % i, "payload"))
    if why:
        nu.fail("leecher %d's copy %s" % (i, why))
if abs(st.get("copies_sent", -1) - copies) > 0.01:
    nu.fail("copies_sent %s, uploaded says %.4f" % (st.get("copies_sent"), copies))
if not copies < MAX_COPIES:
    nu.fail("the source sent %.2f copies, not < %.1f" % (copies, MAX_COPIES))
print("ok: %d identical copies, the source sent %.2f copies (< %.1f)" % (LEECHERS, copies,
                                                                        MAX_COPIES))
