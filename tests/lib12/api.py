#!/usr/bin/python3
"""api.py - runs api-check (api_check.c: the player API's commands and
events through libswarmplay) on a 6 s clip made with ffmpeg."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

exe = os.environ.get("SP_API_CHECK", "")
if not os.path.exists(exe):
    swarm.skip("api-check is not built (SP_API_CHECK)")
swarm.need("ffmpeg")
root = swarm.workdir("lib12-api")
clip = swarm.make_video(os.path.join(root, "clip.mp4"), "mp4", seconds=6)
r = subprocess.run([exe, clip], capture_output=True, text=True, timeout=120,
                   env=dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy"))
print(r.stdout + r.stderr)
if r.returncode != 0 or "ok" not in r.stdout:
    swarm.fail("api-check exited %d" % r.returncode)
print("ok")
