#!/usr/bin/python3
"""e2e-playlist.py - a torrent is a playlist: a multi-file .tstream of
three episodes named so that their natural order (Show 1, Show 2, Show
10) is not the torrent's order (bytes: Show 1, Show 10, Show 2), a sample
clip and a subtitle file, seeded by libtorrent.

  order:  `play --fast --exit-at-end --framehash` plays the three in
          natural order, the sample left out: the digests are ffmpeg's
          framemd5 of 1, then 2, then 10; `--file N` (2) starts there and
          plays on to 10; with --all, from 10 (the last), file 1 is
          downloaded all the same (not without: see switch).
  switch: paced from a seeder capped at 1.5 x the bitrate, from 2 to 10
          (apart in the torrent: the window of 2 does not run into 10,
          only the reader opened ahead asks for it), the next file's
          first piece is verified before the file before has shown its
          last frame (the debug log's "piece N verified" against the
          moment the stats turn to the next file, less its ttff_ms, which
          counts from that last frame; the gap itself is printed, not
          asserted: it is wall time on a shared machine), with no stall
          in any file, every frame of
          the three shown in order; and only the played files are
          downloaded (1, before --file's, is not fetched).
  skip:   "Show 2.mkv" is no video (random bytes): `play --fast
          --exit-at-end --framehash` says it skips it and plays 1 then 10
          frame-exact (as mpv goes on past a file it cannot play), and
          exits with the failure's status (1); with --file 2 (the first
          file played fails) it goes on to 10 the same way.

Usage: e2e-playlist.py order|switch|skip"""
import json, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

mode = sys.argv[1] if len(sys.argv) > 1 else "order"
swarm.need("ffmpeg")
lt = swarm.lt()
root = swarm.workdir("e2e-playlist-" + mode)
top = os.path.join(root, "seed", "Show")
os.makedirs(os.path.join(top, "Sample"))
secs = 3 if mode == "order" else 6
eps = {}
for e in ("10", "2", "1"):
    eps[e] = swarm.make_video(os.path.join(top, "Show %s.mkv" % e), "mkv", seconds=secs,
                              bitrate="500k")
swarm.make_video(os.path.join(top, "Sample", "show-sample.mkv"), "mkv", seconds=1)
if mode == "skip":
    with open(eps["2"], "wb") as f:
        f.write(bytes((i * 7919 + 13) % 251 for i in range(300000)))
with open(os.path.join(top, "Show 2.srt"), "w") as f:
    f.write("1\n00:00:00,500 --> 00:00:01,500\nHello\n\n")
tstream = swarm.create_tstream(top, os.path.join(root, "show.tstream"))
files = lt.torrent_info(tstream).files()
names = [files.file_path(i) for i in range(files.num_files())]
index = {e: next(i for i, n in enumerate(names) if n.endswith(" %s.mkv" % e)) for e in eps}
print("files:", names)
ref = {e: swarm.framemd5(p) for e, p in eps.items() if not (mode == "skip" and e == "2")}
check = swarm.Checks()

if mode == "skip":
    seeder = swarm.Seeder(tstream, os.path.join(root, "seed"))
    for label, extra, want, want_rc in (("all", [], ["1", "10"], 1),
                                        ("from2", ["--file", str(index["2"])], ["10"], 1)):
        hashes = os.path.join(root, label + ".md5")
        rc, out = swarm.play([tstream, "-d", os.path.join(root, "dl-" + label),
                              "--peer", seeder.peer, "--no-tracker", "--fast", "--exit-at-end",
                              "--framehash", hashes] + extra, timeout=120)
        got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
        expect = sum((ref[e] for e in want), [])
        said = "skipping file" in out and "Show 2.mkv" in out
        if not check(rc == want_rc and got == expect and said,
                     "%s: %s played frame-exact (%d of %d frames), exit %s, %s"
                     % (label, " ".join(want), len(got), len(expect), rc,
                        "said it skips Show 2" if said else "no word of a skip")):
            print(out[-1500:])
    seeder.stop()
    check.finish()
    sys.exit(0)

if mode == "order":
    seeder = swarm.Seeder(tstream, os.path.join(root, "seed"))
    for label, extra, want in (("all", [], ["1", "2", "10"]),
                               ("--file", ["--file", str(index["2"])], ["2", "10"])):
        hashes = os.path.join(root, label.strip("-") + ".md5")
        rc, out = swarm.play([tstream, "-d", os.path.join(root, "dl-" + label.strip("-")),
                              "--peer", seeder.peer, "--no-tracker", "--fast", "--exit-at-end",
                              "--framehash", hashes] + extra, timeout=120)
        got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
        expect = sum((ref[e] for e in want), [])
        if not check(rc == 0 and got == expect,
                     "%s: %s played frame-exact in that order (%d of %d frames, rc %s)"
                     % (label, " ".join(want), len(got), len(expect), rc)):
            print(out[-1500:])
    dl = os.path.join(root, "dl-all")
    rc, out = swarm.play([tstream, "-d", dl, "--peer", seeder.peer, "--no-tracker", "--no-video",
                          "--no-audio", "--exit-at-end", "--all", "--file", str(index["10"])],
                         timeout=120)
    have = os.path.join(dl, "Show", "Show 1.mkv")
    got = os.stat(have).st_blocks * 512 if os.path.exists(have) else 0
    check(rc == 0 and got >= os.path.getsize(eps["1"]),
          "--all: 1, not played, downloaded too (%d of %d bytes, rc %s)"
          % (got, os.path.getsize(eps["1"]), rc))
    seeder.stop()
    check.finish()
    sys.exit(0)

# switch: a seeder capped at 1.5 x the episodes' bitrate
size = sum(os.path.getsize(p) for p in eps.values())
rate = int(1.5 * size / (3 * secs))
print("episodes %.0f kB/s, seeder capped at %.0f kB/s" % (size / (3 * secs) / 1e3, rate / 1e3))
seeder = swarm.Seeder(tstream, os.path.join(root, "seed"), rate)
stats = os.path.join(root, "stats.json")
hashes = os.path.join(root, "switch.md5")
env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy", SWARMPLAY_LOG="debug")
info = lt.torrent_info(tstream)
first_of_10 = files.file_offset(index["10"]) // info.piece_length()
logpath = os.path.join(root, "play.log")
logf = open(logpath, "w")
dl = os.path.join(root, "dl")
p = subprocess.Popen([swarm.swarmplay(), "play", tstream, "-d", dl, "--peer", seeder.peer,
                      "--no-tracker", "--exit-at-end", "--stats-json", stats, "--framehash",
                      hashes, "--file", str(index["2"])],
                     stdout=logf, stderr=subprocess.STDOUT, env=env)
# each file's figures replace the last one's: keep the last seen of each
# (a new file: a new ttff_ms, or fewer frames than before)
per_file, last, switched_at = [], None, None
end = time.time() + 120
while p.poll() is None and time.time() < end:
    try:
        st = swarm.read_json(stats)
    except (OSError, ValueError):
        st = None
    if st and st.get("ttff_ms") is not None:
        new = (last is None or st["ttff_ms"] != last["ttff_ms"] or
               st["frames_presented"] < last["frames_presented"])
        if new:
            per_file.append(st)
            switched_at = time.monotonic()  # CLOCK_MONOTONIC, as the log's
        else:
            per_file[-1] = st
        last = st
    time.sleep(0.05)
if p.poll() is None:
    swarm.terminate(p)
logf.close()
with open(logpath, errors="replace") as f:
    out = f.read()
st = swarm.read_json(stats) if os.path.exists(stats) else {}
if per_file and st.get("ttff_ms") == per_file[-1].get("ttff_ms"):
    per_file[-1] = st  # the last file's final figures
check(p.returncode == 0, "play exits 0 at the end of the list (rc %s)" % p.returncode)
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
check(got == ref["2"] + ref["10"],
      "2 then 10 shown frame-exact (%d of %d frames)" % (len(got), len(ref["2"]) + len(ref["10"])))
check(len(per_file) == 2, "two files seen in the stats (%d)" % len(per_file))
for i, f in enumerate(per_file):
    print("file %d: ttff_ms %s stalls %s stall_ms %s frames %s" %
          (i + 1, f.get("ttff_ms"), f.get("stalls"), f.get("stall_ms"),
           f.get("frames_presented")))
    check(f.get("stalls") == 0, "file %d: no stall (%s ms)" % (i + 1, f.get("stall_ms")))
if len(per_file) == 2:
    gap = per_file[1]["ttff_ms"]
    print("the switch: the next file's first frame %d ms after the last one of the file before"
          % gap)
    verified = [float(l[1:].split()[0]) for l in out.splitlines()
                if l.startswith("[") and l.endswith("piece %d verified" % first_of_10)]
    ended = switched_at - gap / 1000.0 if switched_at else None
    check(verified and ended and verified[0] < ended,
          "the switch: the next file's first piece (%d) verified %s s before the file before "
          "ended" % (first_of_10, "%.2f" % (ended - verified[0]) if verified and ended else "-"))
# only what is watched: 1 (before --file's) is not downloaded
have = os.path.join(dl, "Show", "Show 1.mkv")
e01 = os.path.getsize(eps["1"])
got_e01 = 0
if os.path.exists(have):
    got_e01 = os.stat(have).st_blocks * 512
check(got_e01 < e01 / 2, "1, not played, not downloaded (%d of %d bytes on disk)"
      % (got_e01, e01))
seeder.stop()
if check.errors:
    print(out[-2000:])
check.finish()
