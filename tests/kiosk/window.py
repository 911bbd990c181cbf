#!/usr/bin/python3
"""window.py - a kiosk's window outlives each play (under a real X
server, Xvfb): with a list of two local clips played round and round,
the window titled with the item playing is one and the same X window
from the second play on through two more, its title following the
items; a player that opened a window per play would show a new window
id each time. (SDL may make its window again once while the first play
sets up its renderer, an OpenGL visual: the count starts at the second
play.) And with nothing playable (the only item missing), the window is
there all the same, black, titled "swarmplay kiosk": never the desktop."""
import os, re, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "xwininfo")
exe = swarm.swarmplay()
root = swarm.workdir("kiosk-window")
check = swarm.Checks()
a = swarm.make_video(os.path.join(root, "a.mkv"), "mkv", seconds=1, size="160x120")
b = swarm.make_video(os.path.join(root, "b.mkv"), "mkv", seconds=1, size="160x120")
lst = os.path.join(root, "list.m3u")
with open(lst, "w") as f:
    f.write("#EXTM3U\n#EXTINF:-1,Kiosk item A\n%s\n#EXTINF:-1,Kiosk item B\n%s\n" % (a, b))
xvfb, disp = swarm.start_xvfb(640, 360)
env = dict(os.environ, DISPLAY=disp, SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
env.pop("SDL_VIDEODRIVER", None)
log = open(os.path.join(root, "kiosk.log"), "w")
k = subprocess.Popen([exe, "kiosk", lst, "--no-audio", "--no-lsd", "--no-dht", "--no-tracker"],
                     env=env, stdout=log, stderr=subprocess.STDOUT)
seen = {}  # window id -> titles seen on it, from the second play on
order = []
end = time.time() + 120
while time.time() < end and k.poll() is None:
    out = subprocess.run(["xwininfo", "-root", "-tree", "-display", disp],
                         capture_output=True, text=True).stdout
    for wid, title in re.findall(r'(0x[0-9a-f]+) "(Kiosk item [AB])"', out):
        if not order or order[-1] != title:
            order.append(title)
        if len(order) >= 2:
            seen.setdefault(wid, set()).add(title)
    if len(order) >= 5:
        break
    time.sleep(0.05)
alive = k.poll() is None
rc = swarm.terminate(k)
swarm.terminate(xvfb)
check(alive, "the kiosk ran (exit %s)" % k.returncode)
check(len(order) >= 5, "the titles followed the items: %s" % order)
check(len(seen) == 1, "one window through the plays: %s" % {w: sorted(t) for w, t in seen.items()})
check(rc == 0, "SIGTERM ends it with exit 0 (%s)" % rc)

# nothing playable: the black window all the same
xvfb, disp = swarm.start_xvfb(640, 360)
env["DISPLAY"] = disp
none = os.path.join(root, "none.m3u")
with open(none, "w") as f:
    f.write("%s\n" % os.path.join(root, "missing.mkv"))
k = subprocess.Popen([exe, "kiosk", none, "--no-audio", "--no-lsd", "--no-dht", "--no-tracker"],
                     env=env, stdout=log, stderr=subprocess.STDOUT)
found = False
end = time.time() + 60
while time.time() < end and k.poll() is None and not found:
    out = subprocess.run(["xwininfo", "-root", "-tree", "-display", disp],
                         capture_output=True, text=True).stdout
    found = '"swarmplay kiosk"' in out
    time.sleep(0.05)
alive = k.poll() is None
rc = swarm.terminate(k)
swarm.terminate(xvfb)
check(found and alive, "nothing playable: a black window all the same (found %s, running %s)"
      % (found, alive))
check(rc == 0, "nothing playable: SIGTERM ends it with exit 0 (%s)" % rc)
check.finish()
