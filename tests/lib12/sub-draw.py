#!/usr/bin/python3
"""sub-draw.py - the public player's subtitles (sub_draw.c): a black clip
made with ffmpeg whose SubRip track (marked default) shows a line from
1.0 s to 2.5 s, drawn by sp_player_draw into an SDL software renderer:
lit pixels in the bottom third while the line is shown, none before or
after; sp_player_screenshot's PNG the same. Then the same line from the
sub-file option over a clip without subtitles, none at all with
sub-visibility=no, and a PGS (bitmap) track's red box, 1.0 s to 2.5 s,
on a canvas twice the video's size (tests/lib/pgs.py). Last, the track
switched mid-play (sp_player_set_sub_track): hidden at 1.3 s (0), none
drawn until it shows again (track 1) at 1.9 s, then drawn."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import pgs, swarm

exe = os.environ.get("SP_SUB_DRAW", "")
if not os.path.exists(exe):
    swarm.skip("sub-draw is not built (SP_SUB_DRAW)")
swarm.need("ffmpeg")
root = swarm.workdir("lib12-sub")
srt = os.path.join(root, "line.srt")
with open(srt, "w") as f:
    f.write("1\n00:00:01,000 --> 00:00:02,500\nHELLO SUBTITLE WORLD\n\n")
black = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "color=c=black:s=320x240:r=25:d=4"]
x264 = ["-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p"]
with_subs = os.path.join(root, "subs.mkv")
subprocess.run(black + ["-i", srt, "-map", "0", "-map", "1"] + x264 +
               ["-c:s", "srt", "-disposition:s:0", "default", with_subs], check=True)
plain = os.path.join(root, "plain.mp4")
subprocess.run(black + x264 + [plain], check=True)
sup = os.path.join(root, "box.sup")
with open(sup, "wb") as f:  # Y, Cr, Cb: BT.601 red, in the canvas's bottom third
    f.write(pgs.clear(0, (0, 0, 16, 16), 0, (640, 480)) +
            pgs.show(1000, (200, 380, 240, 60), (81, 240, 90), 1, (640, 480)) +
            pgs.clear(2500, (200, 380, 240, 60), 2, (640, 480)))
bitmap = os.path.join(root, "pgs.mkv")
r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", plain, "-i", sup,
                    "-map", "0:v", "-map", "1:s", "-c:v", "copy", "-c:s", "copy",
                    "-disposition:s:0", "default", bitmap], capture_output=True, text=True)
if r.returncode != 0:
    print("ffmpeg cannot mux PGS here: %s" % r.stderr[-300:])
    bitmap = None
check = swarm.Checks()


def png_lit(path):
    """Pixels not black in the bottom third of a PNG (ffmpeg decodes it)."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f",
                          "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True,
                         check=True).stdout
    w, h = 320, 240
    if len(out) != w * h * 3:
        return -1
    n = 0
    for y in range(h * 2 // 3, h):
        row = out[y * w * 3:(y + 1) * w * 3]
        n += sum(1 for x in range(w) if max(row[3 * x:3 * x + 3]) > 100)
    return n


def run(name, clip, subfile, vis, shown):
    prefix = os.path.join(root, name)
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
    r = subprocess.run([exe, clip, subfile, vis, prefix], capture_output=True, text=True,
                       env=env, timeout=120)
    check(r.returncode == 0, "%s: sub-draw exits 0 (%d) %s" % (name, r.returncode,
                                                               r.stderr[-300:]))
    draws = [(float(l.split()[1]), int(l.split()[2]))
             for l in r.stdout.splitlines() if l.startswith("draw ")]
    during = [n for pos, n in draws if 1.3 <= pos <= 2.2]
    outside = [n for pos, n in draws if pos < 0.8 or pos > 2.8]
    check(len(during) >= 5 and len(outside) >= 5,
          "%s: %d draws while the line is on, %d while it is off" %
          (name, len(during), len(outside)))
    if shown:
        check(during and min(during) > 100,
              "%s: the line is drawn: %s lit pixels" % (name, during[:3]))
    else:
        check(during and max(during) == 0, "%s: no line drawn: %s" % (name, during[:3]))
    check(outside and max(outside) == 0,
          "%s: nothing drawn before 0.8 s nor after 2.8 s: at most %s" %
          (name, max(outside) if outside else "-"))
    on, off = png_lit(prefix + "-on.png"), png_lit(prefix + "-off.png")
    check((on > 100) if shown else (on == 0), "%s: the screenshot at 1.7 s: %d lit pixels"
          % (name, on))
    check(off == 0, "%s: the screenshot at 3.2 s: %d lit pixels" % (name, off))


def run_switch():
    prefix = os.path.join(root, "switch")
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
    r = subprocess.run([exe, with_subs, "-", "yes", prefix, "switch"], capture_output=True,
                       text=True, env=env, timeout=120)
    check(r.returncode == 0, "switch: sub-draw exits 0 (%d) %s" % (r.returncode,
                                                                   r.stderr[-300:]))
    lines = r.stdout.splitlines()
    tracks = [(float(l.split()[1]), int(l.split()[2])) for l in lines if l.startswith("track ")]
    check(len(tracks) == 2, "switch: two track changes made: %s" % tracks)
    if len(tracks) != 2:
        return
    draws = [(float(l.split()[1]), int(l.split()[2])) for l in lines if l.startswith("draw ")]
    before = [n for pos, n in draws if 1.1 <= pos <= tracks[0][0] - 0.05]
    hidden = [n for pos, n in draws if tracks[0][0] + 0.1 <= pos <= tracks[1][0] - 0.05]
    again = [n for pos, n in draws if tracks[1][0] + 0.1 <= pos <= 2.4]
    check(before and min(before) > 100, "switch: drawn before the change: %s" % before[:3])
    check(len(hidden) >= 5 and max(hidden) == 0,
          "switch: track 0 hides it: %d draws, at most %s lit" %
          (len(hidden), max(hidden) if hidden else "-"))
    check(len(again) >= 3 and min(again) > 100,
          "switch: track 1 shows it again: %d draws, lit %s" % (len(again), again[:3]))


run_switch()
run("track", with_subs, "-", "yes", True)
run("sub-file", plain, srt, "yes", True)
run("hidden", with_subs, "-", "no", False)
if bitmap:
    run("pgs", bitmap, "-", "yes", True)
check.finish()
