#!/usr/bin/python3
"""e2e-play.py KIND [MODE] - swarmplay plays a .tstream from a real swarm.

The video (KIND: mp4, mp4-end, mkv, webm) is made now with ffmpeg, turned
into a .tstream by `swarmplay create`, and seeded by libtorrent with an
upload cap below the file's size per second (1.5 x its bitrate), so the
download takes most of the play time. `swarmplay play` runs headless in
real time to the end; its --framehash must equal ffmpeg's framemd5 of the
source hash for hash, and the first frame must come before the download
ends. MODE:
  play   (default) as above;
  seek   --start in the middle, then while playing a seek back to 1 s
         (--seek-at), into data not downloaded yet: the frames are the
         matching runs, and the seek's latency is in the stats;
  seed   a libtorrent leecher that knows only swarmplay downloads the
         torrent from it while it plays: byte-identical;
  transmission  as play, seeded by transmission-cli instead;
  magnet as play, from a magnet link: the info dictionary comes from the
         seeder first (BEP 9);
  slow   the seeder is capped below the bitrate (0.5 x): playback must
         buffer (stalls counted, the clock stops) and still end with every
         frame right;
  cache  no -d: the data goes to $XDG_CACHE_HOME/swarmplay/<infohash>, and
         a second play with no peer at all plays it from the cache."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

kind = sys.argv[1] if len(sys.argv) > 1 else "mp4"
mode = sys.argv[2] if len(sys.argv) > 2 else "play"
SECONDS = 6
swarm.need("ffmpeg")
swarm.lt()
exe = swarm.swarmplay()
root = swarm.workdir("e2e-%s-%s" % (kind, mode))
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
ext = {"mp4-end": "mp4"}.get(kind, kind)
media = swarm.make_video(os.path.join(seed_dir, "clip." + ext), kind, seconds=SECONDS,
                         bitrate="1000k")
ref = swarm.framemd5(media)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
size = os.path.getsize(media)
# slow: half the bitrate, so the download lasts twice the play time and a
# stall is certain even when a busy machine makes the player start late
# (at 0.7 x a start 1.5 s later than usual could have played through)
rate = int(size / SECONDS * (0.5 if mode == "slow" else 1.5))
assert rate < size
if mode == "transmission":
    seeder = swarm.TransmissionSeeder(tstream, seed_dir, rate, os.path.join(root, "tr-home"))
else:
    # seed: the leecher must get its copy from swarmplay alone, so the
    # seeder must not connect to it when swarmplay passes it on by PEX
    seeder = swarm.Seeder(tstream, seed_dir, rate, pex=(mode != "seed"))
print("%s: %d bytes, %d frames, seeder capped at %d B/s on %s" % (kind, size, len(ref), rate,
                                                                   seeder.peer))
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def finish():
    seeder.stop()
    if errors:
        swarm.fail("; ".join(errors))
    print("ok")
    sys.exit(0)


stats = os.path.join(root, "stats.json")
hashes = os.path.join(root, "frames.md5")
source = tstream
if mode == "magnet":
    source = "magnet:?xt=urn:btih:%s&dn=clip" % swarm.lt().torrent_info(tstream).info_hash()
args = [source, "--peer", seeder.peer, "--no-tracker", "--no-video", "--stats-json", stats,
        "--framehash", hashes]
env = {"SWARMPLAY_LOG": "info"}
if mode == "cache":
    env["XDG_CACHE_HOME"] = os.path.join(root, "xdg-cache")
else:
    args += ["-d", os.path.join(root, "dl")]
if mode == "seek":
    args += ["--start", str(SECONDS / 2), "--seek-at", "%g:1" % (SECONDS / 2 + 1)]

if mode == "seed":
    port = swarm.free_port()
    e = dict(os.environ, SDL_AUDIODRIVER="dummy", **env)
    log = open(os.path.join(root, "play.log"), "w")
    p = subprocess.Popen([exe, "play"] + args + ["--port", str(port)], env=e, stdout=log,
                         stderr=subprocess.STDOUT)
    leech_dir = os.path.join(root, "leech")
    leecher = None
    progress_while_playing = 0.0
    t0 = time.time()
    state = None
    while time.time() - t0 < 120 and p.poll() is None:
        try:
            st = swarm.read_json(stats)
            state = st.get("state")
        except (OSError, ValueError):
            st = {}
        if leecher is None and st.get("ttff_ms") is not None:
            leecher = swarm.Leecher(tstream, leech_dir, port)
        if leecher and state != "ended":
            progress_while_playing = leecher.progress()
        if state == "ended" and leecher and leecher.done():
            break
        time.sleep(0.2)
    done = leecher is not None and leecher.done()
    # the player rewrites its stats file about once a second: the upload
    # counter reaches it a moment after the leecher is done (wait for it,
    # a real condition, not a sleep)
    end = time.time() + 15
    swarm_stats = {}
    while time.time() < end and p.poll() is None:
        try:
            swarm_stats = swarm.read_json(stats)
        except (OSError, ValueError):
            pass
        if swarm_stats.get("uploaded", 0) >= size:
            break
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    log.close()
    check(rc == 0, "swarmplay exits 0 on SIGTERM after seeding on (rc %s)" % rc)
    check(leecher is not None, "playback started")
    check(progress_while_playing > 0,
          "the leecher got data while swarmplay was playing (%.0f %%)" % (
              100 * progress_while_playing))
    check(done, "the leecher completed from swarmplay alone")
    copy = os.path.join(leech_dir, os.path.basename(media))
    check(done and swarm.md5_file(copy) == swarm.md5_file(media), "the leecher's copy is identical")
    check(swarm_stats.get("uploaded", 0) >= size,
          "swarmplay reports %s bytes uploaded" % swarm_stats.get("uploaded"))
    got = swarm.read_hashes(hashes)
    check(got == ref, "frames while seeding: %d hashes equal ffmpeg's %d" % (len(got), len(ref)))
    if leecher:
        leecher.stop()
    finish()

t0 = time.time()
rc, out = swarm.play(args + ["--exit-at-end"], timeout=150, env=env,
                     log=os.path.join(root, "play.log"))
elapsed = time.time() - t0
st = swarm.read_json(stats) if os.path.exists(stats) else {}
print("play: rc=%s %.2f s stats=%s" % (rc, elapsed, st))
check(rc == 0, "exit 0")
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
if mode == "seek":
    r = swarm.runs(ref, got)
    mid = int(SECONDS / 2 * 25)
    check(len(r) == 2 and mid - 50 <= r[0][0] <= mid and r[0][1] >= 20 and r[1][0] <= 25 and
          sum(r[1]) == len(ref),
          "--start %g then back to 1 s: frames are the runs %s of %d" % (SECONDS / 2, r, len(ref)))
    seeks = st.get("seeks", [])
    # the latency is measured and sane (within the run); how short it is
    # is a matter for bench/, not for a test on a shared machine
    check(len(seeks) == 1 and seeks[0]["target_s"] == 1 and
          0 <= seeks[0]["latency_ms"] <= elapsed * 1000,
          "seek latency in the stats: %s" % seeks)
else:
    check(got == ref, "%d hashes equal ffmpeg's %d" % (len(got), len(ref)))
check(elapsed >= SECONDS * 0.8 * (0.5 if mode == "seek" else 1), "real-time paced (%.2f s)" % elapsed)
if mode == "slow":
    check(st.get("stalls", 0) >= 1 and st.get("stall_ms", 0) > 0,
          "a swarm slower than the bitrate stalls: %s stalls, %s ms" % (st.get("stalls"),
                                                                         st.get("stall_ms")))
    check(st.get("frames_presented", 0) >= 0.9 * len(ref),
          "frames are waited for, not dropped: %s presented" % st.get("frames_presented"))
ttff, dl = st.get("ttff_ms"), st.get("download_ms")
check(isinstance(ttff, int) and isinstance(dl, int) and ttff < dl,
      "first frame (%s ms) before the download ended (%s ms)" % (ttff, dl))
check(st.get("bytes", {}).get("peers", 0) >= size * 0.99, "bytes from peers: %s" % st.get("bytes"))
if mode != "seek":  # frames decoded before a seek are neither
    check(st.get("frames_presented", 0) + st.get("frames_dropped", 0) == len(got),
          "every decoded frame presented or dropped")

if mode == "cache":
    seeder.stop()
    cache = os.path.join(env["XDG_CACHE_HOME"], "swarmplay")
    subdirs = os.listdir(cache) if os.path.isdir(cache) else []
    check(len(subdirs) == 1 and len(subdirs[0]) == 40, "cache dir <infohash>: %s" % subdirs)
    stats2 = os.path.join(root, "stats2.json")
    hashes2 = os.path.join(root, "frames2.md5")
    rc, out = swarm.play([tstream, "--no-tracker", "--no-video", "--fast", "--exit-at-end",
                          "--stats-json", stats2, "--framehash", hashes2], timeout=120, env=env,
                         log=os.path.join(root, "play2.log"))
    st2 = swarm.read_json(stats2) if os.path.exists(stats2) else {}
    print("second play: rc=%s stats=%s" % (rc, st2))
    check(rc == 0 and swarm.read_hashes(hashes2) == ref, "second play from the cache, same frames")
    check(st2.get("bytes", {}).get("cache", 0) >= size and st2.get("bytes", {}).get("peers") == 0,
          "second play: bytes from the cache %s" % st2.get("bytes"))
    seeder.stop = lambda: None
finish()
