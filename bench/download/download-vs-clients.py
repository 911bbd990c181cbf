#!/usr/bin/python3
"""download-vs-clients.py - one full download over loopback from the same
libtorrent seeder, by swarmplay, aria2c and a libtorrent client, one after
the other, each finding the seeder through opentracker. Prints wall time
and CPU seconds (user + system of the client process) and swarmplay's
ratios to each (goal: <= 1.0). Usage: download-vs-clients.py [MB] [runs]."""
import os, resource, shutil, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "lib"))
import net_util as nu

size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 64
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
lt = nu.lt()
exe = nu.swarmplay()
nu.need("aria2c", "opentracker")
root = tempfile.mkdtemp(prefix="bench-download-")
src = os.path.join(root, "seed")
layout = [("video.bin", size_mb * 1_000_000 - 12345), ("extra/notes.txt", 12345)]
content = nu.make_payload(src, layout=layout)
torrent = os.path.join(root, "t.torrent")
logs = open(os.path.join(root, "clients.log"), "w")
ih = nu.make_torrent(lt, content, torrent, piece_size=256 * 1024)
tracker = nu.Opentracker(root, [ih], logs)
nu.make_torrent(lt, content, torrent, trackers=[tracker.url], piece_size=256 * 1024)
seed = nu.lt_session(lt, nu.free_port())
h = nu.lt_add(lt, seed, torrent, src, seed=True)
nu.wait_lt_seeding(h)
h.force_reannounce()
time.sleep(1)

LT_LEECHER = r'''
import sys, time, libtorrent as lt
torrent, dest = sys.argv[1], sys.argv[2]
s = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False, "alert_mask": 0})
h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": dest})
while not h.status().is_seeding:
    time.sleep(0.05)
'''


def run(name, dest):
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    if name == "swarmplay":
        args = [exe, "download", torrent, "-d", dest]
    elif name == "aria2c":
        args = ["aria2c"] + nu.ARIA2_COMMON + ["--seed-time=0", "--dir=" + dest,
                                              "--listen-port=%d" % nu.free_port(), torrent]
    else:
        args = ["/usr/bin/python3", "-c", LT_LEECHER, torrent, dest]
    t0 = time.time()
    p = subprocess.Popen(args, stdout=logs, stderr=subprocess.STDOUT)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        nu.fail("%s exited with %d" % (name, p.returncode))
    diff = nu.same_tree(content, os.path.join(dest, "payload"))
    if diff:
        nu.fail("%s: %s" % (name, diff))
    return wall, ru.ru_utime + ru.ru_stime


clients = ["swarmplay", "aria2c", "libtorrent"]
best = {}
for r in range(runs):
    for c in clients:
        wall, cpu = run(c, os.path.join(root, "dl-" + c))
        print("run %d %-10s %6.2f s  %6.2f CPU s" % (r + 1, c, wall, cpu), flush=True)
        w, u = best.get(c, (1e9, 1e9))
        best[c] = (min(w, wall), min(u, cpu))
tracker.stop()
print()
print("%d MB, best of %d runs, loopback, libtorrent seeder" % (size_mb, runs))
print("| client | time (s) | CPU (s) | swarmplay time ratio | swarmplay CPU ratio |")
print("| --- | --- | --- | --- | --- |")
sw, sc = best["swarmplay"]
for c in clients:
    w, u = best[c]
    print("| %s | %.2f | %.2f | %s | %s |" % (
        c, w, u, "-" if c == "swarmplay" else "%.2f" % (sw / w),
        "-" if c == "swarmplay" else "%.2f" % (sc / u)))
shutil.rmtree(root, ignore_errors=True)
