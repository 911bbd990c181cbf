#!/usr/bin/python3
"""ttff-local.py - the time to first frame of `swarmplay play FILE` for two
builds side by side, alternating run by run: no network, so what is timed
is the start of the program, the loading of FFmpeg and SDL2 and the
player's own start. ttff_ms of --stats-json (from the process's spawn),
SDL's dummy video driver, no sound; each play is ended (SIGTERM) once its
first frame is counted.
Usage: ttff-local.py FILE SWARMPLAY_A SWARMPLAY_B
Environment: R (runs of each, default 5), MODES ("window,no-video")."""
import json, os, signal, statistics, subprocess, sys, tempfile, time

media, builds = sys.argv[1], sys.argv[2:4]
runs = int(os.environ.get("R", "5"))
res = {}
for r in range(runs):
    for mode in os.environ.get("MODES", "window,no-video").split(","):
        for b in builds:
            st = os.path.join(tempfile.mkdtemp(), "stats.json")
            args = [b, "play", media, "--no-audio", "--no-resume", "--no-config",
                    "--stats-json", st] + (["--no-video"] if mode == "no-video" else [])
            env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=env)
            t, end = None, time.time() + 20
            while time.time() < end and t is None and p.poll() is None:
                try:
                    with open(st) as f:
                        t = json.load(f).get("ttff_ms")
                except (OSError, ValueError):
                    pass
                time.sleep(0.01)
            p.send_signal(signal.SIGTERM)
            p.wait()
            res.setdefault((mode, b), []).append(t)
for (mode, b), v in res.items():
    ok = [x for x in v if x is not None]
    print("%-9s %s: median %s ms of %s" % (mode, b, statistics.median(ok) if ok else "-", v))
