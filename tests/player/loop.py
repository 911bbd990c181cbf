#!/usr/bin/python3
"""loop.py - `swarmplay play --loop N`, the kiosk's loop: N plays in all,
again from the start each time, 0 = forever.

  local     a 2 s mp4 with sound, paced against the audio clock, --loop 3:
            the frame hashes are ffmpeg's framemd5 three times over, the
            stats file says 3 plays and no user seek, and it took at least
            the three plays' time (a lower bound only: a slow machine is
            only slower);
  swarm     a .tstream from a capped libtorrent seeder, --loop 2: hashes
            twice over, and the second play reads the verified data on
            disk: the peers sent the file about once, not twice;
  forever   --loop 0 is still playing after three plays' time, and quits
            on SIGTERM (exit 0, the stats file written);
  usage     --loop -1, 2.5 and x are usage errors (exit 2)."""
import os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
root = swarm.workdir("loop")
check = swarm.Checks()


media = swarm.make_video(os.path.join(root, "clip.mp4"), "mp4", seconds=2)
ref = swarm.framemd5(media)

# local: paced, with the (dummy) audio device as the master clock
hashes, stats = os.path.join(root, "local.md5"), os.path.join(root, "local.json")
t0 = time.time()
rc, out = swarm.play([media, "--no-video", "--loop", "3", "--exit-at-end", "--framehash", hashes,
                      "--stats-json", stats], timeout=120)
took = time.time() - t0
check(rc == 0, "local: exit 0 (%s)%s" % (rc, "" if rc == 0 else "\n" + out))
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
check(got == ref * 3, "local: %d hashes are ffmpeg's %d three times over" % (len(got), len(ref)))
st = swarm.read_json(stats) if os.path.exists(stats) else {}
check(st.get("plays") == 3 and st.get("seeks_total") == 0 and st.get("state") == "ended",
      "local: stats say 3 plays, no seek, ended (%s, %s, %s)" % (
          st.get("plays"), st.get("seeks_total"), st.get("state")))
check(st.get("audio") is True, "local: played with sound (the audio clock)")
check(took >= 3 * 2 * 0.8, "local: paced, %.2f s for three 2 s plays" % took)

# swarm: the second play comes from the disk
swarm.lt()
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
big = swarm.make_video(os.path.join(seed_dir, "big.mp4"), "mp4", seconds=3, bitrate="600k")
big_ref = swarm.framemd5(big)
size = os.path.getsize(big)
tstream = swarm.create_tstream(big, os.path.join(root, "big.tstream"))
seeder = swarm.Seeder(tstream, seed_dir, int(size / 3 * 2))
hashes, stats = os.path.join(root, "swarm.md5"), os.path.join(root, "swarm.json")
rc, out = swarm.play([tstream, "--peer", seeder.peer, "--no-tracker", "--no-video", "--no-audio",
                      "-d", os.path.join(root, "dl"), "--loop", "2", "--exit-at-end",
                      "--framehash", hashes, "--stats-json", stats], timeout=120)
check(rc == 0, "swarm: exit 0 (%s)%s" % (rc, "" if rc == 0 else "\n" + out))
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
check(got == big_ref * 2, "swarm: %d hashes are ffmpeg's %d twice over" % (len(got), len(big_ref)))
st = swarm.read_json(stats) if os.path.exists(stats) else {}
peers_b = st.get("bytes", {}).get("peers", 0)
check(st.get("plays") == 2, "swarm: stats say 2 plays (%s)" % st.get("plays"))
check(size * 0.99 <= peers_b <= size * 1.3,
      "swarm: the peers sent the file once (%d bytes for a %d byte file)" % (peers_b, size))
seeder.stop()

# forever: still playing after three plays' time, quits on SIGTERM
stats = os.path.join(root, "forever.json")
env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
p = subprocess.Popen([exe, "play", media, "--no-video", "--no-audio", "--loop", "0",
                      "--exit-at-end", "--stats-json", stats], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
end = time.time() + 60
st = {}
while time.time() < end and p.poll() is None:
    try:
        st = swarm.read_json(stats)
    except (OSError, ValueError):
        st = {}
    if st.get("plays", 0) >= 3:
        break
    time.sleep(0.2)
alive = p.poll() is None
check(alive and st.get("plays", 0) >= 3,
      "forever: still playing after %s plays" % st.get("plays"))
rc = swarm.terminate(p)
check(rc == 0, "forever: SIGTERM ends it with exit 0 (%s)" % rc)
st = swarm.read_json(stats) if os.path.exists(stats) else {}
check(st.get("plays", 0) >= 3 and st.get("state") != "ended",
      "forever: the last stats say %s plays, state %s" % (st.get("plays"), st.get("state")))

# usage errors
for bad in ("-1", "2.5", "x"):
    r = subprocess.run([exe, "play", media, "--loop", bad], capture_output=True, text=True)
    check(r.returncode == 2, "--loop %s is a usage error (exit %d)" % (bad, r.returncode))

check.finish()
