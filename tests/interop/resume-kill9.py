#!/usr/bin/python3
"""resume-kill9.py - swarmplay is killed with SIGKILL in the middle of a
download from a rate-limited libtorrent seed, then restarted on the same
directory. The second run must find the verified pieces at start (its
--stats-json pieces_at_start), fetch only the rest from peers, and finish
with a byte-identical copy."""
import os, signal, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("resume-kill9")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
total = info.total_size()
ses = nu.lt_session(lt, 0, upload_limit=600_000)
port = ses.listen_port()
h = nu.lt_add(lt, ses, torrent, src, seed=True)
nu.wait_lt_seeding(h)

dst = os.path.join(root, "dl")
stats1 = os.path.join(root, "stats1.json")
args = ["download", torrent, "-d", dst, "--no-tracker", "--peer", "127.0.0.1:%d" % port]
log1 = open(os.path.join(root, "run1.log"), "w")
p = nu.start_swarmplay(args + ["--stats-json", stats1], log1)
have_at_kill = 0
end = time.time() + 60
while time.time() < end and p.poll() is None:
    time.sleep(0.1)
    try:
        st = nu.read_json(stats1)
    except (OSError, ValueError):
        continue
    # past a resume save (every 5 s) and well short of the end
    if st["have_pieces"] >= info.num_pieces() * 0.5:
        have_at_kill = st["have_pieces"]
        break
if p.poll() is not None or not have_at_kill:
    nu.stop(p)
    nu.show_log(log1.name)
    nu.fail("could not catch the first run in the middle (rc %s)" % p.poll())
p.send_signal(signal.SIGKILL)
p.wait()
print("killed at %d of %d pieces" % (have_at_kill, info.num_pieces()))

stats2 = os.path.join(root, "stats2.json")
log2_path = os.path.join(root, "run2.log")
with open(log2_path, "w") as log2:
    p2 = nu.start_swarmplay(args + ["--stats-json", stats2], log2)
    try:
        rc = p2.wait(timeout=90)
    except Exception:
        nu.stop(p2)
        rc = None
if rc != 0:
    nu.show_log(log2_path)
    nu.fail("second run exited with %s" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
st = nu.read_json(stats2)
print("second run: %d pieces verified at start, %d bytes from peers, %d from cache" %
      (st["pieces_at_start"], st["downloaded_peers"], st["downloaded_cache"]))
# The resume file may be up to one save interval old, but the data on disk
# is rechecked: nearly everything verified before the kill must be found.
if st["pieces_at_start"] < have_at_kill * 0.8:
    nu.fail("only %d pieces found at start, %d were verified before the kill" %
            (st["pieces_at_start"], have_at_kill))
if st["downloaded_peers"] + st["downloaded_cache"] != total:
    nu.fail("bytes by source do not add up: %d + %d != %d" %
            (st["downloaded_peers"], st["downloaded_cache"], total))
if st["downloaded_peers"] > total - st["pieces_at_start"] * info.piece_length() + info.piece_length():
    nu.fail("verified pieces were fetched again")
print("ok")
