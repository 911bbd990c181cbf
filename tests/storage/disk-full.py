#!/usr/bin/python3
"""disk-full.py - `swarmplay download` when the disk fills up.

The first run may write only 1 MiB per file (RLIMIT_FSIZE: writes past it
fail with EFBIG, as a full disk fails them with ENOSPC, and SIGXFSZ is
ignored). swarmplay must pause (issue 11: storage faults are states, not
exits) with a clear message naming the file and the reason, and exit
non-zero when it is stopped while paused. The second run, with room, must find every piece the first one
verified (nothing verified is lost), fetch only the rest, and end with a
byte-identical copy."""
import os, resource, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

LIMIT = 1 << 20

lt = nu.lt()
exe = nu.swarmplay()
root = nu.workdir("disk-full")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
total = info.total_size()
ses = nu.lt_session(lt, 0)
port = ses.listen_port()
h = nu.lt_add(lt, ses, torrent, src, seed=True)
nu.wait_lt_seeding(h)

dst = os.path.join(root, "dl")
args = ["download", torrent, "-d", dst, "--no-tracker", "--peer", "127.0.0.1:%d" % port]


def small_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


log1 = os.path.join(root, "run1.log")
reason = os.strerror(27)  # EFBIG: "File too large"


def paused_clearly():
    out = open(log1, errors="replace").read()
    return "paused" in out and reason in out and ("clip.bin" in out or "extra.bin" in out)


with open(log1, "w") as f:
    p = subprocess.Popen([exe] + args, stdout=f, stderr=subprocess.STDOUT, preexec_fn=small_disk)
    end = time.time() + 50
    while time.time() < end and p.poll() is None and not paused_clearly():
        time.sleep(0.05)  # poll for the condition
    if not paused_clearly():
        nu.stop(p)
        nu.show_log(log1)
        nu.fail("no pause with a clear message naming the file and '%s' (rc %s)" %
                (reason, p.returncode))
    nu.stop(p)
    rc = p.returncode
if rc == 0:
    nu.show_log(log1)
    nu.fail("exit status 0 although it was stopped with files it could not write")
print("first run: paused with a clear message, exit %s when stopped" % rc)

stats2 = os.path.join(root, "stats2.json")
log2 = os.path.join(root, "run2.log")
with open(log2, "w") as f:
    p2 = nu.start_swarmplay(args + ["--stats-json", stats2], f)
    try:
        rc = p2.wait(timeout=90)
    except subprocess.TimeoutExpired:
        nu.stop(p2)
        rc = None
if rc != 0:
    nu.show_log(log2)
    nu.fail("second run exited with %s" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
st = nu.read_json(stats2)
print("second run: %d of %d pieces at start, %d bytes from peers, %d from cache" %
      (st["pieces_at_start"], info.num_pieces(), st["downloaded_peers"], st["downloaded_cache"]))
if st["pieces_at_start"] == 0:
    nu.fail("the pieces verified before the disk filled up were lost")
if st["downloaded_peers"] > total - st["pieces_at_start"] * info.piece_length() + info.piece_length():
    nu.fail("verified pieces were fetched again")
print("ok")
