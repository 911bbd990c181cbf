#!/usr/bin/python3
"""tracks.py - audio and subtitle tracks. An MKV with two audio tracks
(English, French) and two subtitle tracks: --alang fr and --aid 1 choose
the audio stream; then, in a real window under Xvfb with keys through
XTEST (as controls.py), # switches to the next audio track and playback
goes on, j moves to the next subtitle track and v hides them. Each step is
read back from --stats-json (audio_stream, sub_track, position_s)."""
import ctypes, os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "Xvfb")
W, H, SECONDS = 320, 240, 20
root = swarm.workdir("tracks")
srt = os.path.join(root, "s.srt")
with open(srt, "w") as f:
    f.write("1\n00:00:00,000 --> 00:00:30,000\nhello\n")
media = os.path.join(root, "two.mkv")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=%dx%d:rate=25:duration=%d" % (W, H, SECONDS),
                "-f", "lavfi", "-i", "sine=frequency=440:duration=%d" % SECONDS,
                "-f", "lavfi", "-i", "sine=frequency=880:duration=%d" % SECONDS,
                "-i", srt, "-i", srt,
                "-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-pix_fmt", "yuv420p",
                "-c:a", "libopus", "-c:s", "srt",
                "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
                "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", media],
               check=True)
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


def wait(path, cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        s = stats_of(path)
        if cond(s):
            return s
        time.sleep(0.05)
    return stats_of(path)


def headless(name, extra):
    stats = os.path.join(root, name + ".json")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    p = subprocess.Popen([swarm.swarmplay(), "play", media, "--no-video", "--no-resume",
                          "--stats-json", stats] + extra, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    s = wait(stats, lambda s: s.get("position_s", 0) >= 0.5)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=30)
    return s


# streams: 0 video, 1 audio eng, 2 audio fre, 3 sub eng, 4 sub fre
check(headless("alang", ["--alang", "fr"]).get("audio_stream") == 2, "--alang fr plays stream 2")
check(headless("aid", ["--aid", "1", "--alang", "fr"]).get("audio_stream") == 1,
      "--aid 1 plays stream 1")
check(headless("default", []).get("audio_stream") == 1, "the default is the first audio track")

try:
    x11 = ctypes.CDLL("libX11.so.6")
    xtst = ctypes.CDLL("libXtst.so.6")
except OSError as e:
    print("libX11/libXtst not loadable (%s): the keys are not tested" % e)
    x11 = None
if x11:
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                       ctypes.c_ulong]
    xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                          ctypes.c_int, ctypes.c_ulong]
    xvfb, display = swarm.start_xvfb(W, H)
    dpy = x11.XOpenDisplay(display.encode())

    def key(name, shift=False):
        code = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(name.encode()))
        sh = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(b"Shift_L"))
        xtst.XTestFakeMotionEvent(dpy, -1, W // 2, H // 3, 0)
        if shift:
            xtst.XTestFakeKeyEvent(dpy, sh, 1, 0)
        xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
        xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
        if shift:
            xtst.XTestFakeKeyEvent(dpy, sh, 0, 0)
        x11.XFlush(dpy)

    stats = os.path.join(root, "keys.json")
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", SWARMPLAY_LOG="info")
    env.pop("SDL_VIDEODRIVER", None)
    p = subprocess.Popen([swarm.swarmplay(), "play", media, "--no-resume", "--slang", "en",
                          "--stats-json", stats], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        s = wait(stats, lambda s: s.get("position_s", 0) >= 1.0)
        check(s.get("audio_stream") == 1 and s.get("sub_track") == 0,
              "window: audio stream 1, subtitle track 0 (%s, %s)"
              % (s.get("audio_stream"), s.get("sub_track")))
        key("numbersign", shift=True)  # '#': Shift+3 on a US layout
        s = wait(stats, lambda s: s.get("audio_stream") == 2)
        check(s.get("audio_stream") == 2, "# switches to audio stream 2")
        at = s.get("position_s", 0)
        s = wait(stats, lambda s: s.get("position_s", 0) >= at + 1.5, timeout=20)
        check(s.get("position_s", 0) >= at + 1.5,
              "playback goes on on the new track (%.1f -> %.1f s)" % (at, s.get("position_s", 0)))
        key("j")
        s = wait(stats, lambda s: s.get("sub_track") == 1)
        check(s.get("sub_track") == 1, "j: the next subtitle track")
        key("v")
        s = wait(stats, lambda s: s.get("sub_track") == -1)
        check(s.get("sub_track") == -1, "v hides the subtitles")
        key("Right")  # a seek keeps the audio choice
        time.sleep(1.0)
        s = wait(stats, lambda s: s.get("seeks_total", 0) >= 1)
        check(s.get("audio_stream") == 2, "the audio choice holds across a seek")
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        print("\n".join(l for l in out.splitlines() if "audio" in l))
        check("audio: stream 2" in out, "the audio decoder follows stream 2")
        xvfb.send_signal(signal.SIGTERM)
        xvfb.wait(timeout=10)
if errors:
    swarm.fail("; ".join(errors))
