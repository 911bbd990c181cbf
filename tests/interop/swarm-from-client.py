#!/usr/bin/python3
"""swarm-from-client.py CLIENT [tracker|peer] - swarmplay downloads a
multi-file torrent (odd sizes, a file smaller than a piece, a short last
piece) from one real client seeding on 127.0.0.1: libtorrent, aria2c or
transmission-cli; found either with --peer or through opentracker. The
result must be byte-identical to the source."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

client = sys.argv[1] if len(sys.argv) > 1 else "libtorrent"
mode = sys.argv[2] if len(sys.argv) > 2 else "peer"
lt = nu.lt()
exe = nu.swarmplay()
root = nu.workdir("swarm-%s-%s" % (client, mode))
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
logs = open(os.path.join(root, "clients.log"), "w")
tracker = None
if mode == "tracker":
    # The info-hash is needed for the whitelist before the tracker URL is known:
    # make the torrent twice (the URL does not change the info-hash).
    ih = nu.make_torrent(lt, content, torrent)
    tracker = nu.Opentracker(root, [ih], logs)
    nu.make_torrent(lt, content, torrent, trackers=[tracker.url])

else:
    ih = nu.make_torrent(lt, content, torrent)

port = nu.free_port()
procs, ses = [], None
if client == "libtorrent":
    ses = nu.lt_session(lt, 0)
    port = ses.listen_port()
    h = nu.lt_add(lt, ses, torrent, src, seed=True)
    nu.wait_lt_seeding(h)
elif client == "aria2c":
    nu.need("aria2c")
    procs.append(nu.aria2_seed(torrent, src, port, logs))
elif client in ("transmission", "transmission-encrypted"):
    # -encrypted: Transmission requires encryption, so swarmplay's plain
    # handshake is refused and it must retry with MSE (RC4 stream)
    nu.need("transmission-cli")
    procs.append(nu.transmission(torrent, src, port, os.path.join(root, "tr-home"), logs,
                                 "-er" if client.endswith("encrypted") else "-et"))
else:
    nu.fail("unknown client " + client)
# the seeder listens, and has announced: waited for, not slept for
nu.wait_listening(port, procs[0] if procs else None, what=client)
if tracker:
    tracker.wait_peers(ih)

dst = os.path.join(root, "dl")
stats = os.path.join(root, "stats.json")
args = ["download", torrent, "-d", dst, "--stats-json", stats]
if mode == "peer":
    args += ["--peer", "127.0.0.1:%d" % port, "--no-tracker"]
log_path = os.path.join(root, "swarmplay.log")
t0 = time.time()
with open(log_path, "w") as log:
    p = nu.start_swarmplay(args, log)
    try:
        rc = p.wait(timeout=150)
    except Exception:
        nu.stop(p)
        rc = None
elapsed = time.time() - t0
for pr in procs:
    nu.stop(pr)
if tracker:
    tracker.stop()
if rc != 0:
    nu.show_log(log_path)
    nu.show_log(logs.name)
    nu.fail("swarmplay download exited with %s" % rc)
diff = nu.same_tree(content, os.path.join(dst, "payload"))
if diff:
    nu.fail(diff)
st = nu.read_json(stats)
total = sum(s for _, s in nu.LAYOUT)
if st["downloaded_peers"] < total:
    nu.fail("downloaded_peers %d < %d" % (st["downloaded_peers"], total))
print("ok: %d bytes from %s (%s) in %.1f s, wasted %d" % (total, client, mode, elapsed,
                                                          st["wasted"]))
