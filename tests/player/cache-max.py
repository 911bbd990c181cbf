#!/usr/bin/python3
"""cache-max.py - `swarmplay play` without -d keeps the data in the play
cache ($XDG_CACHE_HOME/swarmplay/<infohash>) and keeps that cache under
--cache-max: older plays go, least recently played first, and only whole
torrent directories of the cache. What must stay: the video being played,
a directory another swarmplay holds (a kiosk's second screen), one used in
the last minutes, and anything that is not a torrent directory.

A libtorrent seeder serves a 2 s clip; the cache is filled beforehand with
five fake plays of 300 KiB each, dated one to five days ago."""
import fcntl, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
swarm.lt()
exe = swarm.swarmplay()
root = swarm.workdir("cache-max")
check = swarm.Checks()


seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=2)
ref = swarm.framemd5(media)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
info = subprocess.run([exe, "info", tstream, "--json"], capture_output=True, text=True)
import json
ih = json.loads(info.stdout)["info_hash"]

xdg = os.path.join(root, "xdg")
cache = os.path.join(xdg, "swarmplay")
now = time.time()
old = {}
for k, c in enumerate("12345"):
    name = c * 40
    d = os.path.join(cache, name)
    os.makedirs(d)
    with open(os.path.join(d, "video.mp4"), "wb") as f:
        f.write(b"\x5a" * (300 << 10))
    t = now - (k + 1) * 86400
    os.utime(d, (t, t))
    old[name] = d
recent = "6" * 40  # played a minute ago (another program, not holding it)
os.makedirs(os.path.join(cache, recent))
with open(os.path.join(cache, recent, "v.mp4"), "wb") as f:
    f.write(b"\x5a" * (300 << 10))
os.utime(os.path.join(cache, recent), (now - 60, now - 60))
other = os.path.join(cache, "notes")  # not a torrent directory
os.makedirs(other)
with open(os.path.join(other, "keep.txt"), "w") as f:
    f.write("mine")
# "5555..." is the oldest, but another swarmplay holds it
held_fd = os.open(old["5" * 40], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(held_fd, fcntl.LOCK_SH)

seeder = swarm.Seeder(tstream, seed_dir)
hashes = os.path.join(root, "frames.md5")
rc, out = swarm.play([tstream, "--peer", seeder.peer, "--no-tracker", "--no-video", "--no-audio",
                      "--fast", "--exit-at-end", "--cache-max", "1M", "--framehash", hashes],
                     timeout=120, env={"XDG_CACHE_HOME": xdg, "LC_ALL": "C", "LANGUAGE": "C"})
seeder.stop()
check(rc == 0, "play exits 0 (%s)%s" % (rc, "" if rc == 0 else "\n" + out))
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
check(got == ref, "%d frames hash as ffmpeg's %d" % (len(got), len(ref)))
mine = os.path.join(cache, ih)
check(os.path.isdir(mine) and any(f.endswith(".mp4") for f in os.listdir(mine)),
      "the video played is in the cache (%s)" % mine)
left = sorted(n for n in os.listdir(cache))
print("cache now: %s" % left)
check("5" * 40 in left, "the held directory stays, though the oldest")
check(recent in left, "the one used a minute ago stays")
check("notes" in left and os.path.exists(os.path.join(other, "keep.txt")),
      "a directory that is not a torrent's is left alone")
gone = [n for n in old if n not in left]
kept = [n for n in old if n in left and n != "5" * 40]
# 1 MiB: the clip (~200 KiB), the recent 300 KiB and the held 300 KiB
# leave room for at most one of the others: the newest
check(sorted(gone) == ["2" * 40, "3" * 40, "4" * 40],
      "the least recently played went first (gone: %s, kept: %s)" % (
          [g[0] for g in sorted(gone)], [k[0] for k in kept]))
check("removed older plays" in out, "the user is told (%s)" % out.strip().splitlines()[-1:])

# a second play of the same video comes from the cache: no peer at all
hashes2 = os.path.join(root, "frames2.md5")
stats = os.path.join(root, "stats2.json")
rc, out = swarm.play([tstream, "--no-tracker", "--no-video", "--no-audio", "--fast",
                      "--exit-at-end", "--framehash", hashes2, "--stats-json", stats],
                     timeout=60, env={"XDG_CACHE_HOME": xdg})
st = swarm.read_json(stats) if os.path.exists(stats) else {}
check(rc == 0 and swarm.read_hashes(hashes2) == ref and st.get("bytes", {}).get("peers") == 0,
      "the second play comes from the cache alone (rc %s, %s)" % (rc, st.get("bytes")))
os.close(held_fd)

for bad in ("-1", "10X", "", "1.5G"):
    r = subprocess.run([exe, "play", tstream, "--cache-max", bad], capture_output=True,
                       text=True, env=dict(os.environ, XDG_CACHE_HOME=xdg))
    check(r.returncode == 2, "--cache-max '%s' is a usage error (exit %d)" % (bad, r.returncode))

check.finish()
