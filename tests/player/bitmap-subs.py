#!/usr/bin/python3
"""bitmap-subs.py - bitmap subtitles (PGS, DVB, VobSub) on the picture.
A PGS stream is written here (tests/lib/pgs.py, a small .sup writer: two
boxes of flat colour with clears between them, on a 640x360 canvas) and
muxed with a 320x180 video, so the boxes must be scaled by half; ffmpeg
turns it into DVB (MKV and MPEG-TS) and DVD (VobSub) subtitles. Each file
plays in real time with --screenshot-at at 2 s (the red box shown), 3.5 s
(cleared) and 4.5 s (the green box): the PNGs must show each box's colour
inside its scaled place, the video's colour around it, and nothing once
cleared. A seek clears too: a 12 s PGS file in short clusters whose red
box is cleared at 8 s, seeking from 1.5 s (the demuxer 5 s ahead, the
clear not read yet) to 9.6 s skips the clear, yet at 9.8 s no red box
stays."""
import os, struct, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import pgs, swarm

swarm.need("ffmpeg", "convert")
CW, CH = 640, 360          # the subtitles' canvas
W, H = 320, 180            # the video
RED = (400, 260, 160, 60)  # x, y, w, h on the canvas, 1.0 .. 3.0 s
GREEN = (40, 40, 100, 50)  # 4.0 .. 5.5 s
BG = (32, 48, 63)          # the video's colour as RGB (0x203040)
root = swarm.workdir("bitmap-subs")


def show(t_ms, box, ycrcb, number):
    return pgs.show(t_ms, box, ycrcb, number, (CW, CH))


def clear(t_ms, box, number):
    return pgs.clear(t_ms, box, number, (CW, CH))


sup = os.path.join(root, "s.sup")
with open(sup, "wb") as f:  # Y, Cr, Cb: BT.601 red and green
    f.write(clear(0, (0, 0, 16, 16), 0) + show(1000, RED, (81, 240, 90), 1) +
            clear(3000, RED, 2) + show(4000, GREEN, (145, 34, 54), 3) + clear(5500, GREEN, 4))
video = os.path.join(root, "v.mp4")
ff = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
subprocess.run(ff + ["-f", "lavfi", "-i", "color=c=0x203040:size=%dx%d:rate=25:duration=7" % (W, H),
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", video], check=True)
mux = ["-map", "0:v", "-map", "1:s", "-c:v", "copy", "-metadata:s:s:0", "language=fre",
       "-disposition:s:0", "default"]
files = {}
for name, codec, ext in (("pgs", "copy", "mkv"), ("dvb", "dvbsub", "mkv"),
                         ("dvb-ts", "dvbsub", "ts"), ("vobsub", "dvdsub", "mkv")):
    out = os.path.join(root, "%s.%s" % (name, ext))
    # -fix_sub_duration: PGS says no end; DVB and DVD encoders want one
    r = subprocess.run(ff + ["-i", video, "-fix_sub_duration", "-i", sup] + mux +
                       ["-c:s", codec, out], capture_output=True, text=True)
    if r.returncode != 0:
        print("%s: ffmpeg cannot make it here: %s" % (name, r.stderr.strip()[-300:]))
        continue
    files[name] = out
seek_sup, seek_video = os.path.join(root, "seek.sup"), os.path.join(root, "seek.mp4")
with open(seek_sup, "wb") as f:
    f.write(clear(0, (0, 0, 16, 16), 0) + show(1000, RED, (81, 240, 90), 1) + clear(8000, RED, 2))
subprocess.run(ff + ["-f", "lavfi", "-i", "color=c=0x203040:size=%dx%d:rate=25:duration=12" % (W, H),
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", seek_video], check=True)
seek_file = os.path.join(root, "pgs-seek.mkv")
subprocess.run(ff + ["-i", seek_video, "-i", seek_sup] + mux +
               ["-c:s", "copy", "-cluster_time_limit", "100", seek_file], check=True)
if "pgs" not in files:
    swarm.skip("ffmpeg cannot mux PGS subtitles into Matroska here")


def rgb(path):
    raw = subprocess.run(["convert", path, "-depth", "8", "rgb:-"], capture_output=True,
                         check=True).stdout
    if len(raw) != W * H * 3:
        swarm.fail("%s is not %dx%d (%d bytes)" % (path, W, H, len(raw)))
    return raw


def near(c, want, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


def inside(raw, box, colour):
    """The fraction of the box's scaled place (its edges left out) that
    has the colour."""
    x, y, w, h = (v * W // CW for v in box)
    pts = [(i, j) for j in range(y + 2, y + h - 2) for i in range(x + 2, x + w - 2)]
    good = sum(1 for i, j in pts if near(raw[(j * W + i) * 3:(j * W + i) * 3 + 3], colour))
    return good / len(pts)


def around(raw, box):
    """The fraction of a ring just outside the scaled box that is the video."""
    x, y, w, h = (v * W // CW for v in box)
    pts = [(i, y - 4) for i in range(x, x + w)] + [(i, y + h + 3) for i in range(x, x + w)]
    pts += [(x - 4, j) for j in range(y, y + h)] + [(x + w + 3, j) for j in range(y, y + h)]
    good = sum(1 for i, j in pts if near(raw[(j * W + i) * 3:(j * W + i) * 3 + 3], BG, 12))
    return good / len(pts)


errors = []
procs = {}
env = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
for name, path in files.items():
    shots = [os.path.join(root, "%s-%s.png" % (name, t)) for t in ("2.0", "3.5", "4.5")]
    args = [path, "--no-resume", "--exit-at-end", "--slang", "fr"]
    args += ["--screenshot-at", "2:" + shots[0], "--screenshot-at", "3.5:" + shots[1],
             "--screenshot-at", "4.5:" + shots[2]]
    rc, out = swarm.play(args, timeout=120, env=env, log=os.path.join(root, name + ".log"))
    if rc != 0:
        errors.append("%s: player exit %s: %s" % (name, rc, out[-500:]))
        continue
    missing = [s for s in shots if not os.path.exists(s)]
    if missing:
        errors.append("%s: no screenshot %s" % (name, missing))
        continue
    a, b, c = (rgb(s) for s in shots)
    red = (255, 0, 0)
    green = (0, 255, 0)
    checks = [("red box at 2 s", inside(a, RED, red) >= 0.95),
              ("video around it at 2 s", around(a, RED) >= 0.95),
              ("no green box at 2 s", inside(a, GREEN, green) == 0),
              ("cleared at 3.5 s", inside(b, RED, red) == 0 and inside(b, GREEN, green) == 0),
              ("green box at 4.5 s", inside(c, GREEN, green) >= 0.95),
              ("video around it at 4.5 s", around(c, GREEN) >= 0.95),
              ("red box gone at 4.5 s", inside(c, RED, red) == 0)]
    for what, ok in checks:
        print("%s %s: %s" % ("ok  " if ok else "FAIL", name, what))
        if not ok:
            errors.append("%s: %s" % (name, what))
# the seek: the red box before it, none after it
shots = [os.path.join(root, "seek-%s.png" % t) for t in ("1.2", "9.8")]
rc, out = swarm.play([seek_file, "--no-resume", "--exit-at-end", "--seek-at", "1.5:9.6",
                      "--screenshot-at", "1.2:" + shots[0], "--screenshot-at", "9.8:" + shots[1]],
                     timeout=120, env=env, log=os.path.join(root, "seek.log"))
if rc != 0 or not all(os.path.exists(s) for s in shots):
    errors.append("seek: player exit %s or no screenshot: %s" % (rc, out[-500:]))
else:
    a, b = rgb(shots[0]), rgb(shots[1])
    for what, ok in (("red box before the seek", inside(a, RED, (255, 0, 0)) >= 0.95),
                     ("no red box after the seek", inside(b, RED, (255, 0, 0)) == 0)):
        print("%s seek: %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            errors.append("seek: " + what)
if errors:
    swarm.fail("; ".join(errors))
print("bitmap subtitles shown, scaled and cleared: %s" % ", ".join(files))
