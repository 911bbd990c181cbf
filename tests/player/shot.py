#!/usr/bin/python3
"""shot.py - screenshots. --screenshot-at 2 and 3 (software renderer,
SDL's dummy driver): PNGs the video's size whose pixels are ffmpeg's frame
at that time (as RGB, within the YUV conversion's rounding), each nearer
its own time's frame than the other's; a text subtitle (--sub, libass)
is in the PNG, white in its bottom third. Then under Xvfb, key s writes
swarmplay-shot0001.png and, pressed again, swarmplay-shot0002.png in the
current directory; with --screenshot-dir DIR into DIR (over
$XDG_PICTURES_DIR), else into $XDG_PICTURES_DIR, else into the
XDG_PICTURES_DIR of $XDG_CONFIG_HOME/user-dirs.dirs."""
import ctypes, os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg", "convert")
W, H = 320, 240
root = swarm.workdir("shot")
media = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=5, size="%dx%d" % (W, H))
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def rgb_png(path):
    return subprocess.run(["convert", path, "-depth", "8", "rgb:-"], capture_output=True,
                          check=True).stdout


def rgb_ref(t):
    return subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", str(t), "-i", media,
                           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True).stdout


def diff(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / max(len(a), 1)


shots = {t: os.path.join(root, "at%d.png" % t) for t in (2, 3)}
args = [media, "--no-resume", "--exit-at-end"]
for t, path in shots.items():
    args += ["--screenshot-at", "%d:%s" % (t, path)]
rc, out = swarm.play(args, timeout=120, env={"SDL_VIDEODRIVER": "dummy"},
                     log=os.path.join(root, "play.log"))
check(rc == 0, "the play ends well (exit %s)" % rc)
refs = {t: rgb_ref(t) for t in shots}
for t, path in shots.items():
    if not os.path.exists(path):
        check(False, "--screenshot-at %d wrote %s" % (t, path))
        continue
    px = rgb_png(path)
    check(len(px) == W * H * 3, "the %d s PNG is %dx%d (%d bytes of RGB)" % (t, W, H, len(px)))
    own, other = diff(px, refs[t]), diff(px, refs[5 - t])
    print("%d s: mean difference %.2f to ffmpeg's frame, %.2f to the other" % (t, own, other))
    check(own < 6, "the %d s PNG is ffmpeg's frame at %d s (%.2f)" % (t, t, own))
    check(own * 2 < other, "the %d s PNG is nearer its own frame (%.2f vs %.2f)" % (t, own, other))

# a text subtitle is part of the picture (mpv's "s" keeps them too)
dark = os.path.join(root, "dark.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "color=c=0x203040:size=%dx%d:rate=25:duration=3" % (W, H), "-c:v", "libx264",
                "-pix_fmt", "yuv420p", "-g", "10", dark], check=True)
srt = os.path.join(root, "dark.srt")
with open(srt, "w") as f:
    f.write("1\n00:00:00,000 --> 00:00:10,000\nHello there, subtitles\n")
sub_shot = os.path.join(root, "sub.png")
rc, out = swarm.play([dark, "--no-resume", "--exit-at-end", "--sub", srt,
                      "--screenshot-at", "1.5:" + sub_shot], timeout=120,
                     env={"SDL_VIDEODRIVER": "dummy"}, log=os.path.join(root, "sub.log"))
if rc != 0 or not os.path.exists(sub_shot):
    check(False, "--sub with --screenshot-at: exit %s, %s" % (rc, out[-300:]))
else:
    px = rgb_png(sub_shot)

    def white(y0, y1):
        return sum(1 for i in range(y0 * W * 3, y1 * W * 3, 3) if min(px[i:i + 3]) >= 220)
    top, bottom = white(0, H * 2 // 3), white(H * 2 // 3, H)
    print("subtitle PNG: %d white pixels in the bottom third, %d above" % (bottom, top))
    check(bottom >= 40 and top == 0, "the text subtitle is in the PNG's bottom third "
          "(%d white pixels, %d above)" % (bottom, top))

try:
    x11 = ctypes.CDLL("libX11.so.6")
    xtst = ctypes.CDLL("libXtst.so.6")
except OSError as e:
    x11 = None
    print("libX11/libXtst not loadable (%s): key s is not tested" % e)
if x11 and subprocess.run(["which", "Xvfb"], capture_output=True).returncode == 0:
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                       ctypes.c_ulong]
    xvfb, display = swarm.start_xvfb(W, H)
    dpy = x11.XOpenDisplay(display.encode())

    def press_until(path, timeout=30):
        """Key s (again every second: an early press may beat the window's
        focus) until the file exists."""
        code = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(b"s"))
        end = time.time() + timeout
        last = 0
        while time.time() < end and not os.path.exists(path):
            if time.time() - last >= 1.0:
                xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
                xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
                x11.XFlush(dpy)
                last = time.time()
            time.sleep(0.05)
        return os.path.exists(path)

    def keys_run(name, extra, env_extra, shots):
        """A play in its own current directory with env_extra; key s until
        each of shots (paths) exists, in turn."""
        cwd = os.path.join(root, name)
        os.makedirs(cwd)
        stats = os.path.join(root, name + ".json")
        env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy",
                   XDG_CONFIG_HOME=os.path.join(root, name + "-config"),
                   HOME=os.path.join(root, name + "-home"))
        env.pop("SDL_VIDEODRIVER", None)
        env.pop("XDG_PICTURES_DIR", None)
        env.update(env_extra)
        p = subprocess.Popen([swarm.swarmplay(), "play", media, "--no-resume", "--loop", "0",
                              "--stats-json", stats] + extra, cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        got = []
        try:
            end = time.time() + 60
            while time.time() < end:
                try:
                    if swarm.read_json(stats).get("ttff_ms") is not None:
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.05)
            for path in shots:
                got.append(press_until(path))
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=30)
        strays = [n for n in os.listdir(cwd) if n.endswith(".png")]
        return cwd, got, sorted(strays)[:3]

    try:
        cwd = os.path.join(root, "cwd")
        _, got, _ = keys_run("cwd", [], {}, [os.path.join(cwd, "swarmplay-shot%04d.png" % i)
                                             for i in (1, 2)])
        check(got[0], "key s writes swarmplay-shot0001.png in the current directory")
        check(got[1], "key s again: swarmplay-shot0002.png")
        first = os.path.join(cwd, "swarmplay-shot0001.png")
        if os.path.exists(first):
            check(len(rgb_png(first)) == W * H * 3, "the key's PNG is %dx%d" % (W, H))
        # --screenshot-dir wins over $XDG_PICTURES_DIR
        opt, envdir = os.path.join(root, "opt-dir"), os.path.join(root, "env-dir")
        os.makedirs(opt)
        os.makedirs(envdir)
        _, got, strays = keys_run("opt", ["--screenshot-dir", opt], {"XDG_PICTURES_DIR": envdir},
                                  [os.path.join(opt, "swarmplay-shot0001.png")])
        check(got[0] and not os.listdir(envdir) and not strays,
              "--screenshot-dir DIR: the PNG in DIR, not in $XDG_PICTURES_DIR nor the "
              "current directory (%s, %s, %s)" % (got[0], os.listdir(envdir), strays))
        _, got, strays = keys_run("env", [], {"XDG_PICTURES_DIR": envdir},
                                  [os.path.join(envdir, "swarmplay-shot0001.png")])
        check(got[0] and not strays, "$XDG_PICTURES_DIR: the PNG there (%s, %s)" % (got[0], strays))
        # xdg-user-dirs' file, $HOME-relative
        pics = os.path.join(root, "dirs-home", "Images")
        os.makedirs(pics)
        os.makedirs(os.path.join(root, "dirs-config"))
        with open(os.path.join(root, "dirs-config", "user-dirs.dirs"), "w") as f:
            f.write('# xdg-user-dirs\nXDG_MUSIC_DIR="$HOME/Music"\n'
                    'XDG_PICTURES_DIR="$HOME/Images"\n')
        _, got, strays = keys_run("dirs", [], {}, [os.path.join(pics, "swarmplay-shot0001.png")])
        check(got[0] and not strays,
              "user-dirs.dirs' XDG_PICTURES_DIR: the PNG in $HOME/Images (%s, %s)" % (
                  got[0], strays))
    finally:
        xvfb.send_signal(signal.SIGTERM)
        xvfb.wait(timeout=10)
if errors:
    swarm.fail("; ".join(errors))
