#!/usr/bin/python3
"""e2e-multi.py - a multi-file .tstream (a directory with two videos and a
text file) made by `swarmplay create`, seeded by libtorrent: `swarmplay
play` plays both videos in name order by default, from the file --file N
names otherwise (the text file is no video: left out); frame-exact
(unpaced, --fast). e2e-playlist.py tests the playlist further."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
lt = swarm.lt()
root = swarm.workdir("e2e-multi")
top = os.path.join(root, "seed", "show")
os.makedirs(top)
small = swarm.make_video(os.path.join(top, "a-trailer.webm"), "webm", seconds=2)
big = swarm.make_video(os.path.join(top, "b-episode.mkv"), "mkv", seconds=4, bitrate="600k")
with open(os.path.join(top, "notes.txt"), "w") as f:
    f.write("not a video\n" * 1000)
tstream = swarm.create_tstream(top, os.path.join(root, "show.tstream"))
files = lt.torrent_info(tstream).files()
names = [files.file_path(i) for i in range(files.num_files())]
print("files:", names)
seeder = swarm.Seeder(tstream, os.path.join(root, "seed"))
errors = []
for label, extra, media in (("default", [], [small, big]),
                            ("--file", ["--file", str(next(i for i, n in enumerate(names)
                                                           if n.endswith("b-episode.mkv")))],
                             [big])):
    hashes = os.path.join(root, label.strip("-") + ".md5")
    rc, out = swarm.play([tstream, "-d", os.path.join(root, "dl"), "--peer", seeder.peer,
                          "--no-tracker", "--fast", "--exit-at-end", "--framehash", hashes] + extra,
                         timeout=60)
    got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
    ok = rc == 0 and got == sum((swarm.framemd5(m) for m in media), [])
    print("%-8s %s: rc=%s %d frames %s" % (label, " ".join(map(os.path.basename, media)), rc,
                                           len(got), "ok" if ok else "FAIL"))
    if not ok:
        errors.append("%s: %s" % (label, out[-800:]))
rc, out = swarm.play([tstream, "-d", os.path.join(root, "dl"), "--no-tracker", "--fast",
                      "--file", "99"], timeout=30)
print("--file 99: rc=%s" % rc)
if rc != 2:
    errors.append("--file 99 should be a usage error (2), got %s" % rc)
seeder.stop()
if errors:
    swarm.fail("\n".join(errors))
