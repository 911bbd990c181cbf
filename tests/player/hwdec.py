#!/usr/bin/python3
"""hwdec.py - --hwdec. With auto, vaapi and vdpau the player decodes with
a VAAPI or VDPAU device when the machine has one, else in software without
a word on stderr (one line at the info log level); either way every frame is played, and in software each hashes as
ffmpeg's framemd5 of the file (H.264 in MP4, VP9 in WebM). A hardware
decoder's frames are downloaded as NV12, so on a machine with a device
only the frame count is compared. A bad mode is a usage error."""
import os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
root = swarm.workdir("hwdec")
errors = []
for kind, ext in (("mp4", "mp4"), ("webm", "webm")):
    media = swarm.make_video(os.path.join(root, "v.%s" % ext), kind, seconds=3)
    ref = swarm.framemd5(media)
    for mode in ("auto", "vaapi", "vdpau", "no"):
        hashes = os.path.join(root, "%s-%s.md5" % (kind, mode))
        rc, out = swarm.play([media, "--fast", "--exit-at-end", "--hwdec", mode,
                              "--framehash", hashes], timeout=60,
                             env={"SWARMPLAY_LOG": "info"})
        got = swarm.read_hashes(hashes) if rc == 0 else []
        hw = "hwdec: VAAPI for" in out or "hwdec: VDPAU for" in out
        fellback = "decoding in software" in out
        if rc != 0:
            why = "exit %s: %s" % (rc, out[-400:])
        elif hw:
            why = None if len(got) == len(ref) else "%d of %d frames" % (len(got), len(ref))
        else:
            why = None if got == ref else "%d frames vs %d, first difference at %s" % (
                len(got), len(ref), next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b),
                                         min(len(got), len(ref))))
        print("%-5s --hwdec %-5s %s decoding, %d/%d frames  %s" % (
            kind, mode, "hardware" if hw else "software", len(got), len(ref), why or "ok"))
        if why:
            errors.append("%s --hwdec %s: %s" % (kind, mode, why))
        if mode != "no" and not hw and not fellback:
            errors.append("%s --hwdec %s: no line about the fallback at the info level" % (
                kind, mode))
        if mode != "no" and not hw and len([l for l in out.splitlines() if "hwdec" in l]) > 1:
            errors.append("%s --hwdec %s: more than one line about the fallback" % (kind, mode))
# the fallback says nothing at the default log level (libva neither)
rc, out = swarm.play([media, "--fast", "--exit-at-end", "--hwdec", "auto"], timeout=60)
noisy = [l for l in out.splitlines()
         if "va" in l.lower().replace("java", "") or "vdpau" in l.lower()]
print("--hwdec auto, default log: exit %s, lines about VA: %s" % (rc, noisy))
if rc != 0 or (noisy and "hwdec: VAAPI" not in out and "hwdec: VDPAU" not in out):
    errors.append("--hwdec auto: exit %s, %s" % (rc, noisy))
rc, out = swarm.play([media, "--fast", "--hwdec", "bogus"], timeout=60)
print("--hwdec bogus: exit %s" % rc)
if rc in (0, None):
    errors.append("--hwdec bogus is accepted (exit %s)" % rc)
if errors:
    swarm.fail("; ".join(errors))
