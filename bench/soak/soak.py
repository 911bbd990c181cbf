#!/usr/bin/python3
"""soak.py [SECONDS] [--check] [--clip=S] - a kiosk's day, compressed: `swarmplay play --loop 0`
of a short clip from a libtorrent seeder, with the real render path (SDL's
dummy video and audio drivers), while libtorrent leechers come and go and
download from us. Every SAMPLE seconds it reads the player's resident
memory, open files (descriptors other than sockets, which come and go with
the peers) and threads from /proc, and the plays from
--stats-json.

What a kiosk needs: after the first play (when the download is done and
the caches are warm) memory, descriptors and threads stay flat however many
plays follow. The script prints the samples and a summary line per figure:
the value after the first play, at the end, and the growth per 100 plays.

--check: exit 1 when open files or threads grew, or memory grew by more
than 8 MiB from the end of the second play to the end (the test suite runs
this for 12 plays of a 2 s clip as player-soak).

Env: SWARMPLAY (the program), SP_SRCDIR (for tests/lib), SOAK_CLIP_S
(default 4), SOAK_SAMPLE_S (default 2)."""
import os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

args = [a for a in sys.argv[1:] if not a.startswith("--")]
check = "--check" in sys.argv
seconds = float(args[0]) if args else 120.0
clip_s = int(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--clip=")),
                  os.environ.get("SOAK_CLIP_S", "4")))
sample_s = float(os.environ.get("SOAK_SAMPLE_S", "2"))
GROWTH_MIB = 8

swarm.need("ffmpeg")
swarm.lt()
exe = swarm.swarmplay()
root = swarm.workdir("soak")
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=clip_s,
                         bitrate="800k")
size = os.path.getsize(media)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
seeder = swarm.Seeder(tstream, seed_dir, int(size / clip_s * 2))
stats = os.path.join(root, "stats.json")
port = swarm.free_port()
env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
log = open(os.path.join(root, "play.log"), "w")
p = subprocess.Popen([exe, "play", tstream, "--peer", seeder.peer, "--no-tracker",
                      "--port", str(port), "-d", os.path.join(root, "dl"), "--loop", "0",
                      "--stats-json", stats], env=env, stdout=log, stderr=subprocess.STDOUT)


def proc_figures(pid):
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    # sockets come and go with the peers; the rest must not grow
    fds = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            fds += not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return rss, fds, threads


samples = []  # (t, plays, rss KiB, fds, threads, uploaded)
leechers, generation, last_leech = [], 0, 0.0
LEECH_EVERY_S = 10
t0 = time.time()
print("%6s %6s %9s %5s %8s %10s" % ("t s", "plays", "RSS KiB", "files", "threads", "uploaded"))
try:
    while time.time() - t0 < seconds and p.poll() is None:
        time.sleep(sample_s)
        try:
            st = swarm.read_json(stats)
        except (OSError, ValueError):
            st = {}
        try:
            rss, fds, threads = proc_figures(p.pid)
        except OSError:
            break
        s = (time.time() - t0, st.get("plays", 0), rss, fds, threads, st.get("uploaded", 0))
        samples.append(s)
        print("%6.1f %6d %9d %5d %8d %10d" % s)
        sys.stdout.flush()
        # a leecher arrives every LEECH_EVERY_S, the oldest of three leaves:
        # peers connect, download from us and go while we play (a fresh
        # libtorrent session takes some seconds to make its connection)
        if s[1] >= 1 and (not leechers or s[0] - last_leech >= LEECH_EVERY_S):
            generation += 1
            last_leech = s[0]
            d = os.path.join(root, "leech%d" % generation)
            os.makedirs(d)
            leechers.append(swarm.Leecher(tstream, d, port))
            if len(leechers) > 2:
                leechers.pop(0).stop()
finally:
    alive = p.poll() is None
    rc = swarm.terminate(p)
    for l in leechers:
        l.stop()
    seeder.stop()
    log.close()

errors = []
if not alive:
    errors.append("the player left before the end (rc %s)" % rc)
if rc != 0:
    errors.append("exit %s after SIGTERM" % rc)
# the baseline: the first sample after the second play ended (download
# done, every code path warm)
base = next((s for s in samples if s[1] >= 2), None)
last = samples[-1] if samples else None
if not base or not last or last[1] < base[1] + 2:
    errors.append("too few plays to judge (%s)" % (last[1] if last else 0))
else:
    plays = last[1] - base[1]
    for name, i, unit in (("RSS", 2, "KiB"), ("files", 3, ""), ("threads", 4, "")):
        grow = last[i] - base[i]
        print("%-8s after play %d: %d%s, after play %d: %d%s, growth %+.1f%s per 100 plays" % (
            name, base[1], base[i], unit and " " + unit, last[1], last[i], unit and " " + unit,
            100.0 * grow / plays, unit and " " + unit))
    if last[3] > base[3]:
        errors.append("open files (not sockets) grew from %d to %d" % (base[3], last[3]))
    if last[4] > base[4]:
        errors.append("threads grew from %d to %d" % (base[4], last[4]))
    if last[2] - base[2] > GROWTH_MIB * 1024:
        errors.append("memory grew by %d KiB" % (last[2] - base[2]))
    print("uploaded to the leechers: %d bytes (%d leechers)" % (last[5], generation))
    if generation and last[5] <= 0:
        errors.append("nothing uploaded to %d leechers" % generation)
if errors:
    print("problems: " + "; ".join(errors))
    if check:
        swarm.fail("; ".join(errors))
print("ok")
