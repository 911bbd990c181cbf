#!/usr/bin/python3
"""magnet-stop.py CMD - `swarmplay CMD` (play, download or kiosk) given a
magnet link nobody has (no tracker, no DHT, no peer: its metadata never
comes) gets SIGTERM while it waits for the metadata: it stops within 10 s
(sp_session_cancel_fetches from its signal handler), not after the
fetch's own timeout (30-60 s), and no fetch outlives it. serve has the
same check in serve-hostile.py (magnet-stop)."""
import os, random, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

cmd = sys.argv[1] if len(sys.argv) > 1 else "download"
exe = swarm.swarmplay()
root = swarm.workdir("magnet-stop-" + cmd)
check = swarm.Checks()
nobody = "magnet:?xt=urn:btih:%040x" % random.getrandbits(160)
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
if cmd == "download":
    args = ["download", nobody, "-d", os.path.join(root, "d"), "--no-tracker", "--no-dht"]
    says = "fetching the torrent's metadata"
elif cmd == "play":
    args = ["play", nobody, "-d", os.path.join(root, "d"), "--no-tracker", "--no-dht",
            "--no-video", "--no-audio"]
    says = "fetching the torrent's metadata"
else:
    playlist = os.path.join(root, "list.m3u")
    with open(playlist, "w") as f:
        f.write("#EXTM3U\n%s\n" % nobody)
    args = ["kiosk", playlist, "--no-audio", "--no-tracker", "--no-dht", "--http",
            "127.0.0.1:%d" % swarm.free_port()]
    says = None
log = os.path.join(root, cmd + ".log")
with open(log, "w") as lf:
    p = subprocess.Popen([exe] + args, stdout=lf, stderr=subprocess.STDOUT, env=env)


def text():
    with open(log, errors="replace") as f:
        return f.read()


end = time.time() + 20
if says:
    while time.time() < end and says not in text() and p.poll() is None:
        time.sleep(0.05)
    check(says in text(), "%s says it fetches the metadata" % cmd)
else:
    # the kiosk says nothing while an item's metadata comes: it has
    # started (its status page answers), and the item is a magnet
    import urllib.request
    port = int(args[args.index("--http") + 1].rsplit(":", 1)[1])
    up = False
    while time.time() < end and not up and p.poll() is None:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=1).read()
            up = True
        except OSError:
            time.sleep(0.1)
    check(up, "the kiosk answers on its status page")
    time.sleep(1)  # its first item: the magnet's fetch is under way
check(p.poll() is None, "%s is still waiting for the metadata" % cmd)
t0 = time.time()
p.send_signal(15)
try:
    p.wait(timeout=10)
    check(True, "%s stops %.1f s after SIGTERM (within 10 s)" % (cmd, time.time() - t0))
except subprocess.TimeoutExpired:
    check(False, "%s still running 10 s after SIGTERM: the fetch outlives it" % cmd)
    p.kill()
    p.wait()
check("stopped before the metadata came" in text(), "it says why")
print(text()[-600:])
check.finish()
