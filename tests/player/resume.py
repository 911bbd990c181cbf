#!/usr/bin/python3
"""resume.py - a play quit halfway is resumed there. Plays a 20 s video
(SDL dummy drivers), quits with SIGTERM at about 50 %, plays it again with
--stats-json: the first frame shown must be within 1 s of where the first
play stopped, and the player says it resumed. --no-resume starts from the
beginning; --start wins over the saved position; a play to the end forgets
it. XDG_STATE_HOME is a temporary folder."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
SECONDS = 20
root = swarm.workdir("resume")
state = os.path.join(root, "state")
media = os.path.join(root, "v.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=320x240:rate=25:duration=%d" % SECONDS, "-f", "lavfi", "-i",
                "sine=frequency=440:duration=%d" % SECONDS, "-c:v", "libx264", "-threads", "1",
                "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "10", "-c:a", "aac", media],
               check=True)
env = dict(os.environ, XDG_STATE_HOME=state, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def stats_of(path):
    try:
        return swarm.read_json(path)
    except (OSError, ValueError):
        return {}


def play_until(name, extra, cond, timeout=60):
    """Play, SIGTERM once cond(stats) holds; (final stats, output)."""
    stats = os.path.join(root, name + ".json")
    p = subprocess.Popen([swarm.swarmplay(), "play", media, "--stats-json", stats] + extra,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    end = time.time() + timeout
    while time.time() < end and p.poll() is None and not cond(stats_of(stats)):
        time.sleep(0.05)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    print("%s: rc=%s %s" % (name, p.returncode, out.strip()[-300:]))
    return stats_of(stats), out


def first_frame(s):
    return s.get("first_pts_s") is not None


s1, _ = play_until("first", [], lambda s: s.get("position_s", 0) >= SECONDS / 2)
stopped = s1.get("position_s", 0)
saved = os.listdir(os.path.join(state, "swarmplay", "watch_later")) if os.path.isdir(
    os.path.join(state, "swarmplay", "watch_later")) else []
check(SECONDS * 0.4 <= stopped <= SECONDS * 0.65, "first play quit at %.1f s (about 50 %%)" % stopped)
check(len(saved) == 1 and not any(n.endswith(".tmp") for n in saved),
      "one position saved atomically: %s" % saved)

s2, out2 = play_until("again", [], first_frame)
start = s2.get("first_pts_s", -99)
check(abs(start - stopped) <= 1.0, "the second play started at %.2f s, stopped at %.1f s"
      % (start, stopped))
check("resuming at" in out2, "the player says it resumed")

s3, _ = play_until("no-resume", ["--no-resume"], first_frame)
check(s3.get("first_pts_s", 99) < 0.5, "--no-resume starts at %.2f s" % s3.get("first_pts_s", 99))
s4, _ = play_until("start", ["--start", "4"], first_frame)
check(abs(s4.get("first_pts_s", 99) - 4) <= 1.0, "--start 4 wins: %.2f s" % s4.get("first_pts_s", 99))

# to the end (from the saved position, fast): the position is forgotten
rc, _ = swarm.play([media, "--exit-at-end", "--start", str(SECONDS - 2)], env=env, timeout=60)
left = os.listdir(os.path.join(state, "swarmplay", "watch_later"))
check(rc == 0 and not left, "played to the end: nothing left to resume (%s)" % left)
if errors:
    swarm.fail("; ".join(errors))
