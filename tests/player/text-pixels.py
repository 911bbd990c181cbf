#!/usr/bin/python3
"""text-pixels.py - libass text on screen, under Xvfb. A dark, flat video
with a subtitle file (--sub) that lasts the whole play, in French
(LANGUAGE=fr) and resumed (a saved position: the OSD says "reprise à
..."). A screenshot a moment after the first frame must show the
subtitle's white ink in the bottom area (above the OSD panel) and none in
the top area, and the centre message's text. The PNG stays in the build
directory: player-text.png."""
import os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb", "import", "convert")
W, H = 640, 360
root = swarm.workdir("text-pixels")
media = os.path.join(root, "dark.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "color=c=0x203040:size=%dx%d:rate=25:duration=8" % (W, H), "-c:v", "libx264",
                "-pix_fmt", "yuv420p", "-g", "10", media], check=True)
sub = os.path.join(root, "dark.srt")
with open(sub, "w", encoding="utf-8") as f:
    f.write("1\n00:00:00,000 --> 00:00:20,000\nÉté à la plage, ça marche déjà\n")
state = os.path.join(root, "state")
# a saved position for this file: the play resumes and says so
key = subprocess.run(["python3", "-c", "import hashlib,os,sys;"
                      "print(hashlib.sha1(os.path.realpath(sys.argv[1]).encode()).hexdigest())",
                      media], capture_output=True, text=True, check=True).stdout.strip()
os.makedirs(os.path.join(state, "swarmplay", "watch_later"))
with open(os.path.join(state, "swarmplay", "watch_later", key), "w") as f:
    f.write("start=2.000\n")

xvfb, display = swarm.start_xvfb(W, H)
env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", LANGUAGE="fr",
           LC_ALL="C.UTF-8", XDG_STATE_HOME=state)
env.pop("SDL_VIDEODRIVER", None)
env.pop("WAYLAND_DISPLAY", None)
stats = os.path.join(root, "stats.json")
shot = os.path.join(root, "shot.png")
player = subprocess.Popen([swarm.swarmplay(), "play", media, "--sub", sub, "--stats-json", stats],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
errors = []
try:
    t0 = time.time()
    while time.time() - t0 < 60:
        try:
            if swarm.read_json(stats).get("ttff_ms") is not None:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    time.sleep(0.4)
    subprocess.run(["import", "-display", display, "-window", "root", shot], check=True,
                   env=env, timeout=30)
finally:
    player.send_signal(signal.SIGTERM)
    out, _ = player.communicate(timeout=30)
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(timeout=10)
print(out)
build = os.environ.get("SP_BUILDDIR")
if build:
    shutil.copy(shot, os.path.join(build, "player-text.png"))
raw = subprocess.run(["convert", shot, "-depth", "8", "rgb:-"], capture_output=True,
                     check=True).stdout


def white(y0, y1, x0=0, x1=W):
    n = 0
    for y in range(y0, y1):
        row = raw[(y * W + x0) * 3:(y * W + x1) * 3]
        n += sum(1 for i in range(0, len(row), 3) if min(row[i:i + 3]) >= 220)
    return n


top, middle, bottom = white(0, H // 3), white(H // 3, H * 2 // 3), white(H * 2 // 3, H - 45)
print("white pixels: top %d, middle (message) %d, bottom (subtitle) %d" % (top, middle, bottom))
if "reprise" not in out:
    errors.append("the French resume message is missing from the output")
if bottom < 150:
    errors.append("no subtitle in the bottom area (%d white pixels)" % bottom)
if top > 20:
    errors.append("ink in the top area (%d white pixels)" % top)
if middle < 50:
    errors.append("no centre message (%d white pixels)" % middle)
if errors:
    swarm.fail("; ".join(errors))
