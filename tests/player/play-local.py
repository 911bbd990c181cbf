#!/usr/bin/python3
"""play-local.py - swarmplay play on local files in every container we
promise (mp4 with moov first and last, mkv H.264+Opus, webm VP9+Opus,
MPEG-TS): the frames it decodes hash exactly like ffmpeg's framemd5 of
the same file, hash for hash; with --start in the middle the frames are
the matching run of the full list. Unpaced (--fast) so it stays quick;
play-paced.py covers real-time playback."""
import os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
root = swarm.workdir("play-local")
errors = []
for kind in ("mp4", "mp4-end", "mkv", "webm", "ts"):
    ext = {"mp4-end": "mp4"}.get(kind, kind)
    media = swarm.make_video(os.path.join(root, "%s.%s" % (kind, ext)), kind, seconds=4)
    ref = swarm.framemd5(media)
    for start in (None, 2.0):
        hashes = os.path.join(root, "%s-%s.md5" % (kind, start))
        args = [media, "--fast", "--exit-at-end", "--framehash", hashes]
        if start:
            args += ["--start", str(start)]
        rc, out = swarm.play(args, timeout=60)
        if rc != 0:
            errors.append("%s start=%s: exit %s\n%s" % (kind, start, rc, out))
            continue
        got = swarm.read_hashes(hashes)
        if start is None:
            why = None if got == ref else "%d frames vs %d, first difference at %s" % (
                len(got), len(ref), next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b),
                                         min(len(got), len(ref))))
        else:
            why = swarm.check_run(ref, got)
            if not why and len(got) >= len(ref):
                why = "--start %s decoded the whole file" % start
        print("%-8s start=%-4s %3d/%3d frames  %s" % (kind, start, len(got), len(ref),
                                                      why or "ok"))
        if why:
            errors.append("%s start=%s: %s" % (kind, start, why))
# a seek while playing (--seek-at 1:3): the frames are the start of the
# file, then the run from the keyframe at or before 3 s to the end
media = os.path.join(root, "mp4.mp4")
ref = swarm.framemd5(media)
hashes = os.path.join(root, "seek-at.md5")
stats = os.path.join(root, "seek-at.json")
rc, out = swarm.play([media, "--fast", "--exit-at-end", "--seek-at", "1:3", "--framehash", hashes,
                      "--stats-json", stats], timeout=60)
got = swarm.read_hashes(hashes) if rc == 0 else []
r = swarm.runs(ref, got)
st = swarm.read_json(stats) if rc == 0 else {}
print("seek-at 1:3: runs %s, seeks %s" % (r, st.get("seeks")))
if not (len(r) == 2 and r[0][0] == 0 and r[0][1] >= 25 and r[1][0] == 75 and
        sum(r[1]) == len(ref)):
    errors.append("--seek-at 1:3: frames are the runs %s, not [0, >=25) + [75, %d)" %
                  (r, len(ref)))
if len(st.get("seeks", [])) != 1 or st["seeks"][0]["target_s"] != 3:
    errors.append("--seek-at 1:3: stats seeks %s" % st.get("seeks"))
# bytes from outside never crash the player: a file cut in the middle
# plays what it can, garbage and an empty file are refused with exit 1
data = open(media, "rb").read()
bad = {"truncated": data[:len(data) // 2], "garbage": bytes(range(256)) * 64, "empty": b"",
       "flipped": data[:4096] + bytes(b ^ 0x5A for b in data[4096:8192]) + data[8192:]}
for name, blob in bad.items():
    path = os.path.join(root, name + ".mp4")
    with open(path, "wb") as f:
        f.write(blob)
    rc, out = swarm.play([path, "--fast", "--exit-at-end"], timeout=60)
    print("%-9s exit %s" % (name, rc))
    if rc not in (0, 1):
        errors.append("%s input: exit %s (a crash or a hang)\n%s" % (name, rc, out[-500:]))
video_only = os.path.join(root, "video-only.mkv")
import subprocess
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", media, "-map", "0:v",
                "-c", "copy", video_only], check=True)
rc, out = swarm.play([video_only, "--no-video", "--exit-at-end"], timeout=60)
warn = [l for l in out.splitlines() if "video clock" in l]
print("video-only: exit %s, warnings %s" % (rc, warn))
if rc != 0 or len(warn) != 1:
    errors.append("a file without audio: exit %s, %d warning lines" % (rc, len(warn)))
# audio alone: without a device it still plays (silently, in real time)
audio = os.path.join(root, "audio.m4a")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "sine=duration=3", "-c:a", "aac", audio], check=True)
import time
for label, args, env in (("fast", ["--fast"], None),
                         ("silent", ["--no-video"], {"SDL_AUDIODRIVER": "swarmplay-none"})):
    stats = os.path.join(root, "audio-%s.json" % label)
    t0 = time.time()
    rc, out = swarm.play([audio, "--exit-at-end", "--stats-json", stats] + args, timeout=60,
                         env=env)
    el = time.time() - t0
    st = swarm.read_json(stats) if rc == 0 else {}
    print("audio only, %s: exit %s, %.2f s, %s" % (label, rc, el, st.get("state")))
    if rc != 0 or st.get("state") != "ended" or abs(st.get("position_s", 0) - 3) > 0.2:
        errors.append("audio only (%s): exit %s, stats %s" % (label, rc, st))
    if label == "silent" and el < 2.5:
        errors.append("audio only without a device is not paced: %.2f s" % el)
if errors:
    swarm.fail("\n".join(errors))
print("all containers decode frame-exact")
