#!/usr/bin/python3
"""screenshot.py - the window under Xvfb shows the video and the OSD.
Plays a local video in a real X window (Xvfb), takes a screenshot of the
root window with ImageMagick's `import` halfway through, and checks that
it is not blank, that the video's own colours are there (the dominant
colours of ffmpeg's frame at that time), and that the OSD is drawn (the
progress bar's red played part, white text). The PNG stays in the build
directory as an artifact: player-screenshot.png."""
import os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb", "import", "convert")
root = swarm.workdir("screenshot")
media = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=6, size="480x270")


def ppm(data):
    """(w, h, bytes) of a binary P6 with maxval 255."""
    parts, pos = [], 0
    while len(parts) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end])
        pos = end
    assert parts[0] == b"P6" and parts[3] == b"255"
    return int(parts[1]), int(parts[2]), data[pos + 1:]


def palette(pix, q=32):
    counts = {}
    for i in range(0, len(pix) - 2, 3):
        k = (pix[i] // q, pix[i + 1] // q, pix[i + 2] // q)
        counts[k] = counts.get(k, 0) + 1
    return counts


xvfb, display = swarm.start_xvfb(800, 600)
env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy")
env.pop("SDL_VIDEODRIVER", None)
env.pop("WAYLAND_DISPLAY", None)
shot = os.path.join(root, "shot.png")
player = subprocess.Popen([swarm.swarmplay(), "play", media, "--exit-at-end", "--stats-json",
                           os.path.join(root, "stats.json")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
errors = []
try:
    # shoot a second after the first frame, however slow the machine is
    stats = os.path.join(root, "stats.json")
    t0 = time.time()
    while time.time() - t0 < 60:
        try:
            if swarm.read_json(stats).get("ttff_ms") is not None:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    time.sleep(1.0)
    subprocess.run(["import", "-display", display, "-window", "root", shot], check=True,
                   env=env, timeout=30)
    out, _ = player.communicate(timeout=90)
finally:
    if player.poll() is None:
        player.kill()
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(timeout=10)
print(out)
build = os.environ.get("SP_BUILDDIR")
if build:
    shutil.copy(shot, os.path.join(build, "player-screenshot.png"))
print("screenshot:", shot)
if player.returncode != 0:
    errors.append("player exit %s" % player.returncode)

w_, h_, pix = ppm(subprocess.run(["convert", shot, "ppm:-"], capture_output=True,
                                 check=True).stdout)
shot_pal = palette(pix)
ref_raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "3", "-i", media,
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
ref_pal = palette(ref_raw)
top = sorted(ref_pal, key=ref_pal.get, reverse=True)[:12]
present = [c for c in top if shot_pal.get(c, 0) >= 20]
print("screen %dx%d, %d colour cells; video's top colours present: %d of %d" %
      (w_, h_, len(shot_pal), len(present), len(top)))
if len(shot_pal) < 20:
    errors.append("the screenshot is blank (%d colour cells)" % len(shot_pal))
if len(present) < 9:
    errors.append("the video's colours are missing: %d of %d" % (len(present), len(top)))
red = shot_pal.get((230 // 32, 60 // 32, 60 // 32), 0)
white = sum(1 for i in range(0, len(pix) - 2, 3) if min(pix[i:i + 3]) >= 235)
print("OSD: %d red bar pixels, %d white text pixels" % (red, white))
if red < 10:
    errors.append("no progress bar (red played part) in the OSD")
if white < 50:
    errors.append("no OSD text")
if errors:
    swarm.fail("; ".join(errors))
