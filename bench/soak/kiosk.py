#!/usr/bin/python3
"""kiosk.py [SECONDS] - the kiosk's loop soaked: `swarmplay kiosk` on a list
of two 1 s local clips (an MKV and an MP4, so that each play opens another
container), SDL's dummy video and audio drivers, one public sp_player per
play drawn into the kiosk's one window. Each time the status
(--http .../status.json) counts a new play it prints the play, the
kiosk's resident memory (KiB), its threads and its open descriptors from
/proc, then a summary from play 35 to play 65 (when it got there).

Env: SWARMPLAY (the program), SP_SRCDIR (for tests/lib)."""
import json, os, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 150.0
swarm.need("ffmpeg")
exe = swarm.swarmplay()
root = swarm.workdir("soak-kiosk")
a = swarm.make_video(os.path.join(root, "a.mkv"), "mkv", seconds=1)
b = swarm.make_video(os.path.join(root, "b.mp4"), "mp4", seconds=1)
lst = os.path.join(root, "list.m3u")
with open(lst, "w") as f:
    f.write("#EXTM3U\n%s\n%s\n" % (a, b))
port = swarm.free_port()
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"), XDG_RUNTIME_DIR=root)
k = subprocess.Popen([exe, "kiosk", lst, "--no-lsd", "--no-dht", "--no-tracker",
                      "--http", str(port)], env=env,
                     stdout=open(os.path.join(root, "kiosk.log"), "w"), stderr=subprocess.STDOUT)


def plays():
    url = "http://127.0.0.1:%d/status.json" % port
    return json.load(urllib.request.urlopen(url, timeout=5))["plays"]


def sample():
    with open("/proc/%d/status" % k.pid) as f:
        d = dict(l.split(":", 1) for l in f if ":" in l)
    return (int(d["VmRSS"].split()[0]), int(d["Threads"]),
            len(os.listdir("/proc/%d/fd" % k.pid)))


seen = {}
end = time.time() + seconds
print("plays  RSS KiB  threads  fds")
try:
    while time.time() < end and k.poll() is None:
        time.sleep(0.5)
        try:
            n = plays()
        except OSError:
            continue
        if n not in seen:
            seen[n] = sample()
            print("%5d  %7d  %7d  %3d" % ((n,) + seen[n]), flush=True)
finally:
    k.terminate()
    k.wait()
if 35 in seen and 65 in seen:
    (r0, t0, f0), (r1, t1, f1) = seen[35], seen[65]
    print("play 35 -> 65: RSS %d -> %d KiB (%+d), threads %d -> %d, fds %d -> %d" %
          (r0, r1, r1 - r0, t0, t1, f0, f1))
