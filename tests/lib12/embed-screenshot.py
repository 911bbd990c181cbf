#!/usr/bin/python3
"""embed-screenshot.py - embed-sdl (examples/) under Xvfb, a real X
display: the host's window holds both its own overlay and the video that
the player drew into it. embed-sdl writes the window's pixels
(SDL_RenderReadPixels) one second after the first frame; this checks
that the overlay's strip has its magenta ticker and the video area below
is a picture (testsrc2's colours), not black."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

bindir = os.environ.get("SP_EXAMPLES", "")
if not os.path.exists(os.path.join(bindir, "embed-sdl")):
    swarm.skip("embed-sdl is not built (SP_EXAMPLES)")
swarm.need("ffmpeg")
root = swarm.workdir("lib12-shot")
media_dir = os.path.join(root, "seed")
os.makedirs(media_dir)
media = swarm.make_video(os.path.join(media_dir, "clip.mp4"), "mp4", seconds=6)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
seeder = swarm.Seeder(tstream, media_dir)
xvfb, display = swarm.start_xvfb(800, 600)
shot = os.path.join(root, "shot.ppm")
env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
try:
    r = subprocess.run([os.path.join(bindir, "embed-sdl"), tstream, os.path.join(root, "dl"),
                        seeder.peer, "--screenshot", shot], capture_output=True, text=True,
                       env=env, timeout=120)
finally:
    swarm.terminate(xvfb)
    seeder.stop()
check = swarm.Checks()
check(r.returncode == 0, "embed-sdl exits 0 (%s) %s" % (r.returncode, r.stderr[-300:]))
if not os.path.exists(shot):
    swarm.fail("no screenshot: " + r.stdout + r.stderr)
with open(shot, "rb") as f:
    data = f.read()
header = data.split(b"\n", 3)
w, h = map(int, header[1].split())
px = header[3]
check(len(px) == w * h * 3, "a %dx%d PPM" % (w, h))


def pixel(x, y):
    i = (y * w + x) * 3
    return tuple(px[i:i + 3])


# the ticker: at least 40 px of magenta in the strip's middle row (y 12)
magenta = sum(1 for x in range(w) if pixel(x, 12) == (255, 0, 255))
check(magenta >= 40, "the overlay's ticker: %d magenta pixels in the strip" % magenta)
# the video: below the strip (y 24..), most pixels not black, many colours
area = [pixel(x, y) for y in range(40, h - 10, 7) for x in range(10, w - 10, 7)]
lit = sum(1 for p in area if max(p) > 40)
colours = len(set(area))
check(lit > len(area) // 2, "the video area is lit: %d of %d samples" % (lit, len(area)))
check(colours > 50, "the video area is a picture: %d colours" % colours)
check(pixel(w // 2, 12) != pixel(w // 2, h // 2), "the overlay is not the video")
check.finish()
