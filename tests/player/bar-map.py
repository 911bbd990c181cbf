#!/usr/bin/python3
"""bar-map.py - the seek bar shows the verified parts of the file. A
torrent whose download directory holds the first half of the video (the
cache check verifies it) and no peer: under Xvfb, the bar's top row is the
"here" blue over the first ~45 % and the empty grey over the rest (the
red played line runs in the bar's middle third, the position marker is
left out). The PNG stays in the build directory: player-bar-map.png."""
import os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb", "import", "convert")
W, H = 640, 360
root = swarm.workdir("bar-map")
media = os.path.join(root, "v.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=%dx%d:rate=25:duration=8" % (W, H), "-c:v", "libx264",
                "-preset", "veryfast", "-b:v", "1500k", "-g", "25", "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", media], check=True)
tstream = swarm.create_tstream(media, os.path.join(root, "v.tstream"))
dl = os.path.join(root, "dl")
os.makedirs(dl)
with open(media, "rb") as f, open(os.path.join(dl, "v.mp4"), "wb") as out:
    out.write(f.read(os.path.getsize(media) // 2))

xvfb, display = swarm.start_xvfb(W, H)
env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy")
env.pop("SDL_VIDEODRIVER", None)
env.pop("WAYLAND_DISPLAY", None)
stats = os.path.join(root, "stats.json")
shot = os.path.join(root, "shot.png")
player = subprocess.Popen([swarm.swarmplay(), "play", tstream, "-d", dl, "--no-tracker",
                           "--no-dht", "--no-resume", "--stats-json", stats], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
try:
    # the first frame is on screen and the cache check has counted its bytes
    t0 = time.time()
    while time.time() - t0 < 60:
        try:
            st = swarm.read_json(stats)
            if st.get("ttff_ms") is not None and st.get("bytes", {}).get("cache", 0) > 0:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    time.sleep(0.5)  # an OSD tick (100 ms) after the figures
    subprocess.run(["import", "-display", display, "-window", "root", shot], check=True,
                   env=env, timeout=30)
finally:
    player.send_signal(signal.SIGTERM)
    out, _ = player.communicate(timeout=30)
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(timeout=10)
build = os.environ.get("SP_BUILDDIR")
if build:
    shutil.copy(shot, os.path.join(build, "player-bar-map.png"))
raw = subprocess.run(["convert", shot, "-depth", "8", "rgb:-"], capture_output=True,
                     check=True).stdout
# osd.c at this width: scale 2, the bar is (16, H - 20, W - 32, 12)
bx, by, bw = 16, H - 20, W - 32


def blue_minus_red(f0, f1):
    xs = range(bx + int(bw * f0), bx + int(bw * f1))
    px = [raw[(by * W + x) * 3:(by * W + x) * 3 + 3] for x in xs]
    return sum(p[2] - p[0] for p in px) / len(px)


here, missing = blue_minus_red(0.02, 0.40), blue_minus_red(0.60, 0.98)
print("bar's top row: blue minus red %.0f over 2-40 %%, %.0f over 60-98 %%" % (here, missing))
errors = []
if len(raw) != W * H * 3:
    errors.append("the screenshot is not %dx%d" % (W, H))
elif here < 80:
    errors.append("the verified first half is not blue on the bar (%.0f)" % here)
elif abs(missing) > 30:
    errors.append("the missing second half is not grey on the bar (%.0f)" % missing)
if errors:
    print(out)
    swarm.fail("; ".join(errors))
