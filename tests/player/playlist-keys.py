#!/usr/bin/python3
"""playlist-keys.py - a torrent's files and the keys that move between
them, for real under Xvfb (XTEST): a .tstream of three videos whose data
is already on disk (-d, no peer) plays "Show 1" first (natural order);
Enter goes to "Show 2" (the volume and mute set in "Show 1" go on, and
so do the subtitles hidden with v and the second audio track chosen with
#: "Show 1" and "Show 2" have two audio tracks and a subtitle track), >
to "Show 10", < back to "Show 2", and q quits there with exit 0; the
next play of the torrent starts at "Show 2" (where the list stopped). The file playing is told by its duration in the
--stats-json file (20, 25 and 12 s); each key must act within KEY_S,
well before the file would have ended by itself."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb")
import xtest

W, H, KEY_S = 320, 240, 8
root = swarm.workdir("playlist-keys")
top = os.path.join(root, "seed", "Show")
os.makedirs(top)
srt = os.path.join(root, "s.srt")
with open(srt, "w") as f:
    f.write("1\n00:00:00,000 --> 00:00:10,000\nhello\n")
for n, secs in (("1", 20), ("2", 25)):
    # streams: 0 video, 1 and 2 audio, 3 subtitles
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=%d" % secs,
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=%d" % secs,
                    "-f", "lavfi", "-i", "sine=frequency=880:duration=%d" % secs, "-i", srt,
                    "-map", "0", "-map", "1", "-map", "2", "-map", "3",
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-pix_fmt", "yuv420p",
                    "-c:a", "libopus", "-c:s", "srt", "-disposition:s:0", "default",
                    os.path.join(top, "Show %s.mkv" % n)],
                   check=True)
swarm.make_video(os.path.join(top, "Show 10.mkv"), "mkv", seconds=12, size="160x120")
tstream = swarm.create_tstream(top, os.path.join(root, "show.tstream"))
xvfb, display = swarm.start_xvfb(W, H)
try:
    xt = xtest.XTest(display, W, H)
except SystemExit:
    xvfb.kill()
    raise
stats = os.path.join(root, "stats.json")
# its own state folder: the volume and mute at quit persist (volume-state.py)
env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy",
           XDG_STATE_HOME=os.path.join(root, "state"))
env.pop("SDL_VIDEODRIVER", None)


def start(*extra):
    return subprocess.Popen([swarm.swarmplay(), "play", tstream, "-d", os.path.join(root, "seed"),
                             "--no-tracker", "--stats-json", stats] + list(extra), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


player = start("--no-resume")
check = swarm.Checks()


def stats_until(cond, timeout):
    """The stats once cond(stats) holds, else the last ones read."""
    end = time.time() + timeout
    st = {}
    while time.time() < end and player.poll() is None:
        try:
            st = swarm.read_json(stats)
        except (OSError, ValueError):
            st = {}
        if cond(st):
            break
        time.sleep(0.05)
    return st


def playing(duration, timeout=30):
    """Waits until the stats say a file of that duration plays."""
    end = time.time() + timeout
    st = {}
    while time.time() < end and player.poll() is None:
        try:
            st = swarm.read_json(stats)
        except (OSError, ValueError):
            st = {}
        if (st.get("state") == "playing" and abs(st.get("duration_s", 0) - duration) < 0.5 and
                st.get("position_s", 0) > 0.5):
            return True
        time.sleep(0.05)
    return False


try:
    check(playing(20, timeout=60), "Show 1 plays first")
    st = swarm.read_json(stats)
    check(st.get("sub_track") == 0 and st.get("audio_stream") == 1,
          "Show 1: its subtitles shown, the first audio track (%s, %s)"
          % (st.get("sub_track"), st.get("audio_stream")))
    xt.key("9")
    xt.key("m")
    xt.key("v")
    xt.key("numbersign", shift=True)  # '#': Shift+3 on a US layout
    st = stats_until(lambda st: st.get("sub_track") == -1 and st.get("audio_stream") == 2,
                     KEY_S)
    check(st.get("sub_track") == -1 and st.get("audio_stream") == 2,
          "v hides the subtitles, # the second audio track (%s, %s)"
          % (st.get("sub_track"), st.get("audio_stream")))
    xt.key("Return")
    check(playing(25, KEY_S), "Enter: Show 2")
    st = swarm.read_json(stats)
    check(st.get("volume") == 90 and st.get("muted") is True,
          "the volume (9: 90) and mute set in Show 1 go on in Show 2 (%s, %s)"
          % (st.get("volume"), st.get("muted")))
    check(st.get("sub_track") == -1 and st.get("audio_stream") == 2,
          "the subtitles hidden and the second audio track go on in Show 2 (%s, %s)"
          % (st.get("sub_track"), st.get("audio_stream")))
    xt.key("period", shift=True)
    check(playing(12, KEY_S), "> : Show 10")
    xt.key("comma", shift=True)
    check(playing(25, KEY_S), "< : Show 2 again")
    xt.key("q")
    try:
        out, _ = player.communicate(timeout=30)
        check(player.returncode == 0, "q quits (exit %s)" % player.returncode)
        check("file 3 of 3" in out, "stderr names the files as they come")
        if check.errors:
            print(out[-3000:])
    except subprocess.TimeoutExpired:
        check(False, "q quits")
    os.unlink(stats)
    player = start()
    check(playing(25, timeout=60), "the next play starts at Show 2, where the list stopped")
    xt.key("q")
    player.communicate(timeout=30)
finally:
    if player.poll() is None:
        player.kill()
        player.wait()
    xt.close()
    xvfb.send_signal(signal.SIGTERM)
    xvfb.wait(timeout=10)
check.finish()
