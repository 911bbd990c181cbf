#!/usr/bin/python3
"""controls.py - the window's keys and mouse, for real, under Xvfb: input
comes through the X server's XTEST extension (libXtst via ctypes), as a
user's would. Space pauses and resumes, a click on the progress bar
seeks there, right/left seek by 10 s, up by 60 s (to the end: the window
stays), 9 lowers the volume, m mutes, f goes fullscreen and a double-click
comes back, q quits. Each
step is read back from the --stats-json file."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb")
import xtest

W, H, SECONDS = 480, 270, 30
root = swarm.workdir("controls")
media = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=SECONDS,
                         size="%dx%d" % (W, H))
# the screen is the window's size, so window and screen coordinates agree
xvfb, display = swarm.start_xvfb(W, H)
try:
    xt = xtest.XTest(display, W, H)
except SystemExit:
    xvfb.kill()
    raise
key, click, drag = xt.key, xt.click, xt.drag

stats = os.path.join(root, "stats.json")
# its own state folder: the volume and mute at quit persist (volume-state.py)
env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy",
           XDG_STATE_HOME=os.path.join(root, "state"))
env.pop("SDL_VIDEODRIVER", None)
player = subprocess.Popen([swarm.swarmplay(), "play", media, "--stats-json", stats], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def read_now():
    try:
        return swarm.read_json(stats)
    except (OSError, ValueError):
        return {}


def read(until=lambda st: True, fresh=1, timeout=30):
    """The stats once the player has rewritten them `fresh` times (it does
    about once a second) and until(stats) holds, or after timeout: what a
    key did shows up however busy the machine is, without a fixed sleep."""
    seen, last = 0, os.stat(stats).st_mtime_ns if os.path.exists(stats) else 0
    end = time.time() + timeout
    st = read_now()
    while time.time() < end:
        time.sleep(0.05)
        m = os.stat(stats).st_mtime_ns if os.path.exists(stats) else 0
        if m != last:
            seen, last = seen + 1, m
            st = read_now()
            if seen >= fresh and until(st):
                break
    return st


def last_seek(st):
    return st["seeks"][-1]["target_s"] if st.get("seeks") else None


try:
    st = read(lambda st: st.get("ttff_ms") is not None, timeout=60)
    check(st.get("ttff_ms") is not None, "the first frame is shown")
    key("space")
    st = read(lambda st: st.get("state") == "paused")
    check(st.get("state") == "paused", "space pauses (%s)" % st.get("state"))
    pos = st.get("position_s")
    time.sleep(1.4)  # that nothing moves: a busy machine moves nothing either
    st = read_now()
    check(st.get("position_s") == pos, "the position stands still while paused")
    key("space")
    st = read(lambda st: st.get("state") == "playing")
    check(st.get("state") == "playing", "space resumes (%s)" % st.get("state"))
    # the progress bar: 8 * scale px from the sides, 10 * scale from the bottom
    s = 2
    click(8 * s + (W - 16 * s) // 2, H - 7 * s)
    st = read(lambda st: len(st.get("seeks", [])) >= 1)
    check(last_seek(st) is not None and abs(last_seek(st) - SECONDS / 2) < 1,
          "a click in the middle of the bar seeks to the middle (%s)" % last_seek(st))
    # the position the stats said (they were written at t_before) plus
    # 10 s, plus whatever it played between then and the key's seek:
    # never more than the wall time, however slowly a busy machine took it
    t_before = os.stat(stats).st_mtime
    before = read_now().get("position_s", 0)
    key("Right")
    st = read(lambda st: len(st.get("seeks", [])) >= 2)
    late = time.time() - t_before
    check(last_seek(st) is not None and -1 < last_seek(st) - (before + 10) < 1 + late,
          "right: +10 s (%s from about %s, %.1f s later)" % (last_seek(st), before, late))
    key("Left")
    st = read(lambda st: len(st.get("seeks", [])) >= 3)
    before = st.get("position_s", 0)
    check(len(st.get("seeks", [])) == 3, "left seeks again (%d seeks)" % len(st.get("seeks", [])))
    bar_x, bar_w = 8 * s, W - 16 * s
    n = len(st.get("seeks", []))
    drag(bar_x + bar_w // 5, bar_x + bar_w * 7 // 10, H - 7 * s)
    st = read(lambda st: len(st.get("seeks", [])) > n and
              abs(last_seek(st) - SECONDS * 0.7) < 1)
    check(last_seek(st) is not None and abs(last_seek(st) - SECONDS * 0.7) < 1,
          "a drag on the bar ends where it is let go (%s)" % last_seek(st))
    # the same drag back to 2/5 with every event at once (a loaded machine
    # hands them over together): it still ends where it is let go
    n = len(st.get("seeks", []))
    drag(bar_x + bar_w * 7 // 10, bar_x + bar_w * 2 // 5, H - 7 * s, pause=0, hold=0)
    st = read(lambda st: len(st.get("seeks", [])) > n and
              abs(last_seek(st) - SECONDS * 0.4) < 1, timeout=10)
    check(last_seek(st) is not None and abs(last_seek(st) - SECONDS * 0.4) < 1,
          "a drag in one burst ends where it is let go too (%s)" % last_seek(st))
    key("9")
    key("9")
    key("m")
    key("f")
    st = read(lambda st: st.get("volume") == 80 and st.get("muted") is True and
              st.get("fullscreen") is True)
    check(st.get("volume") == 80, "9 twice: volume 80 (%s)" % st.get("volume"))
    check(st.get("muted") is True, "m mutes")
    check(st.get("fullscreen") is True, "f: fullscreen")
    click(W // 2, H // 3)
    click(W // 2, H // 3)
    st = read(lambda st: st.get("fullscreen") is False)
    check(st.get("fullscreen") is False, "a double-click leaves fullscreen")
    key("Up")
    st = read(lambda st: st.get("state") == "ended")
    check(st.get("state") == "ended" and player.poll() is None,
          "up: +60 s is the end; the window stays (%s)" % st.get("state"))
    key("q")
    try:
        out, _ = player.communicate(timeout=30)
        check(player.returncode == 0, "q quits (exit %s)" % player.returncode)
        if player.returncode != 0:
            print(out[-3000:])
    except subprocess.TimeoutExpired:
        check(False, "q quits")
finally:
    if player.poll() is None:
        player.kill()
        player.wait()
    xt.close()
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(timeout=10)
if errors:
    swarm.fail("; ".join(errors))
