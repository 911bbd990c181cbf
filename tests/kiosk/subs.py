#!/usr/bin/python3
"""subs.py - a kiosk item's subtitle track is on screen (issue 12: the
kiosk on the public player, whose sp_player_draw draws the subtitles):
a black clip made with ffmpeg whose SubRip track, marked default, shows
a line from 1.0 s to 4.0 s; `swarmplay ctl screenshot` (the frame on
screen and its subtitles) at about 2 s has lit pixels in its bottom
third, and at about 6 s none."""
import json, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
root = swarm.workdir("kiosk-subs")
check = swarm.Checks()
srt = os.path.join(root, "line.srt")
with open(srt, "w") as f:
    f.write("1\n00:00:01,000 --> 00:00:04,000\nHELLO KIOSK\n\n")
clip = os.path.join(root, "subs.mkv")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                "-i", "color=c=black:s=320x240:r=25:d=10", "-i", srt, "-map", "0", "-map", "1",
                "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:s", "srt",
                "-disposition:s:0", "default", clip], check=True)
listf = os.path.join(root, "list.m3u")
with open(listf, "w") as f:
    f.write("#EXTM3U\n#EXTINF:-1,Subtitled\n%s\n" % clip)
sock = os.path.join(root, "kiosk.sock")
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
log = open(os.path.join(root, "kiosk.log"), "w")
kiosk = subprocess.Popen([exe, "kiosk", listf, "--no-audio", "--no-lsd", "--no-dht",
                          "--no-tracker", "--control", sock],
                         env=env, stdout=log, stderr=subprocess.STDOUT)


def ctl(*args):
    r = subprocess.run([exe, "ctl", "--control", sock] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None


def at(pos, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if kiosk.poll() is not None:
            swarm.fail("the kiosk exited (%s)" % kiosk.returncode)
        st = ctl("status") if os.path.exists(sock) else None
        cur = st and st["status"]["current"]
        if cur and cur["position_s"] >= pos:
            return cur["position_s"]
        time.sleep(0.1)
    swarm.fail("the position did not reach %.1f s in %d s" % (pos, timeout))


def lit(path):
    """Pixels not black in the bottom third of the PNG."""
    end = time.time() + 20
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.1)  # a PNG appears whole (written beside it, renamed)
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f",
                          "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True).stdout
    w, h = 320, 240
    if len(out) != w * h * 3:
        return -1
    return sum(1 for y in range(h * 2 // 3, h) for x in range(w)
               if max(out[(y * w + x) * 3:(y * w + x) * 3 + 3]) > 100)


try:
    for name, pos, shown in (("on", 2.0, True), ("off", 6.0, False)):
        got = at(pos)
        shot = os.path.join(root, "%s.png" % name)
        reply = ctl("screenshot", shot)
        check(reply and reply["ok"], "screenshot at %.1f s: %s" % (got, reply))
        n = lit(shot)
        check(n > 100 if shown else n == 0, "at %.1f s the line is %s: %d lit pixels" %
              (got, "shown" if shown else "gone", n))
finally:
    code = swarm.terminate(kiosk)
check(code == 0, "the kiosk exits 0 on SIGTERM")
check.finish()
