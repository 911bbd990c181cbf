#!/usr/bin/python3
"""api.py - runs api-check (api_check.c: the player API's commands,
events and options through libswarmplay) on a 6 s clip made with ffmpeg;
the framehash option's file against ffmpeg's framemd5."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

exe = os.environ.get("SP_API_CHECK", "")
if not os.path.exists(exe):
    swarm.skip("api-check is not built (SP_API_CHECK)")
swarm.need("ffmpeg")
root = swarm.workdir("lib12-api")
clip = swarm.make_video(os.path.join(root, "clip.mp4"), "mp4", seconds=6)
fh = os.path.join(root, "options.md5")
r = subprocess.run([exe, clip, fh], capture_output=True, text=True, timeout=120,
                   env=dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy"))
print(r.stdout + r.stderr)
if r.returncode != 0 or "ok" not in r.stdout:
    swarm.fail("api-check exited %d" % r.returncode)
# the framehash option: the frames up to stop-at 2 s are ffmpeg's
got = swarm.read_hashes(fh) if os.path.exists(fh) else []
ref = swarm.framemd5(clip)
if not got or got != ref[:len(got)] or len(got) >= len(ref):
    swarm.fail("framehash option: %d MD5s, not the first of ffmpeg's %d" % (len(got), len(ref)))
print("ok   framehash option: %d frames, ffmpeg's framemd5" % len(got))
print("ok")
