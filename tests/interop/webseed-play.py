#!/usr/bin/python3
"""webseed-play.py - `swarmplay play` with no peer at all, only a web seed
(nginx on 127.0.0.1): the decoded frames must hash exactly like ffmpeg's
decode of the local file (the project's frame oracle).

Two files: an mp4 whose index (moov) is at the end, so the player's first
reads jump to the end of the file and back, and a Matroska file. Each is
played from a torrent whose url-list names the file itself (BEP 19
single-file form), in the default web seed mode."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

exe = nu.swarmplay()
nu.need("ffmpeg", "mktorrent")

work = nu.workdir("webseed-play")
www = os.path.join(work, "www")
os.mkdir(www)
videos = {
    "clip.mp4": ["-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-c:a", "aac"],
    "clip.mkv": ["-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-c:a", "libopus"],
}
for name, codec in videos.items():
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-t", "4", *codec,
                    "-fflags", "+bitexact", "-shortest", os.path.join(www, name)], check=True)

ngx = nu.Nginx(work, www, open(os.path.join(work, "nginx.out"), "w"))  # skips (77) without nginx
for name in videos:
    src = os.path.join(www, name)
    torrent = os.path.join(work, name + ".torrent")
    subprocess.run(["mktorrent", "-l", "15", "-w", ngx.url + name, "-o", torrent, src],
                   check=True, stdout=subprocess.DEVNULL)
    ref = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-map", "0:v:0",
                          "-fps_mode", "passthrough", "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True).stdout
    ref = [l.split(",")[5].strip() for l in ref.splitlines() if l and not l.startswith("#")]
    fh = os.path.join(work, name + ".framehash")
    log = os.path.join(work, name + ".log")
    with open(log, "w") as lf:
        r = subprocess.run([exe, "play", torrent, "-d", os.path.join(work, "dl-" + name),
                            "--no-tracker", "--no-video", "--no-audio", "--fast",
                            "--exit-at-end", "--framehash", fh],
                           stdout=lf, stderr=subprocess.STDOUT, timeout=180)
    if r.returncode != 0:
        nu.show_log(log, 60)
        nu.fail("%s: swarmplay play exited with %d" % (name, r.returncode))
    got = [l.strip() for l in open(fh) if l.strip()]
    if got != ref:
        bad = next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b), min(len(got),
                                                                              len(ref)))
        nu.fail("%s: %d frames decoded, %d expected, first difference at frame %d" %
                (name, len(got), len(ref), bad))
    print("%s: %d frames identical to ffmpeg's, from the web seed alone" % (name, len(got)))
if " 206 " not in ngx.log():
    nu.fail("nginx never answered a Range request")
ngx.stop()
print("ok")
