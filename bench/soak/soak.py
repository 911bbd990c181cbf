#!/usr/bin/python3
"""soak.py [SECONDS] [--check] [--clip=S] [--peers=N] [--life=A-B] [--hostile-s=S]
[--no-hostile] - a kiosk's day, compressed: `swarmplay play --loop 0` of a short
clip from a libtorrent seeder, with the real render path (SDL's dummy video
and audio drivers), while peers come and go:

- libtorrent sessions (N at a time, 20 by default), each on an address of
  its own (127.0.3.10, .11, ...), connect to the player, download the clip
  from it (every other one at the clip's bitrate, the others at a rate
  that takes 3/4 of a mean life) and leave after A to B seconds (20-60),
  whether done or not; a new one takes each place as it leaves;
- hostile peers of tests/lib/hostile_peers.py in rotation, one kind at a
  time for S seconds (20) from fresh addresses (127.0.1.x, 127.0.2.x):
  a ut_metadata flooder and a REQUEST flooder that never read, ten
  squatters, a HAVE_ALL/HAVE_NONE toggler, a peer sending data nobody
  asked for.

Every SAMPLE seconds it reads the player's resident memory, descriptors
(all; and those that are not sockets, which must never grow) and threads
from /proc, and its plays, stalls and peers from --stats-json, and prints
a row. The baseline is taken after the second play, before any peer came;
at the end every peer leaves and the script waits (up to DRAIN_S) for the
player's sockets, threads and peers to return to the baseline, then takes
the last sample.

--check: exit 1 when, after the drain, the open files (not sockets),
sockets or threads are above the baseline, memory grew by more than
GROWTH_MIB, the player did not keep playing, or nothing was uploaded (the
test suite runs 30 s of a 2 s clip with a few peers as player-soak).

Env: SWARMPLAY (the program), SP_SRCDIR (for tests/lib), SOAK_CLIP_S
(default 4), SOAK_SAMPLE_S (default 2), SOAK_WRAP (a command the player
runs under, say "heaptrack -o FILE")."""
import os, queue, random, shutil, signal, subprocess, sys, threading, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import wire_peer as wp
import hostile_peers


def opt(name, default):
    return next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--%s=" % name)), default)


args = [a for a in sys.argv[1:] if not a.startswith("--")]
check = "--check" in sys.argv
seconds = float(args[0]) if args else 120.0
clip_s = int(opt("clip", os.environ.get("SOAK_CLIP_S", "4")))
sample_s = float(os.environ.get("SOAK_SAMPLE_S", "2"))
concurrent = int(opt("peers", "20"))
life = tuple(float(x) for x in opt("life", "20-60").split("-"))
hostile_s = float(opt("hostile-s", "20"))
hostile = "--no-hostile" not in sys.argv
# the peers' output buffers may hold up to 16 MiB together while the
# flooders run (SP_SESSION_OUT_CAP), which the allocator may keep: a
# 30 s check sees a step (6.6 MiB once under load), the 10 min run the trend
GROWTH_MIB = 16
DRAIN_S = 60
SQUATTERS = 10

swarm.need("ffmpeg")
lt = swarm.lt()
exe = swarm.swarmplay()
if hostile and not wp.can_bind("127.0.2.250"):
    swarm.skip("cannot bind 127.0.2.250 (loopback is not the whole 127/8 here)")
root = swarm.workdir("soak")
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=clip_s,
                         bitrate="800k")
size = os.path.getsize(media)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
info_hash = str(lt.torrent_info(tstream).info_hash())
seeder = swarm.Seeder(tstream, seed_dir, int(size / clip_s * 2))
stats = os.path.join(root, "stats.json")
port = swarm.free_port()
env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
log = open(os.path.join(root, "play.log"), "w")
wrap = os.environ.get("SOAK_WRAP", "").split()
p = subprocess.Popen(wrap + [exe, "play", tstream, "--peer", seeder.peer, "--no-tracker",
                             "--port", str(port), "-d", os.path.join(root, "dl"), "--loop",
                             "0", "--no-resume", "--stats-json", stats],
                     env=env, stdout=log, stderr=subprocess.STDOUT)


def player_pid():
    """The player's pid: p's, or under SOAK_WRAP (say "heaptrack -o
    FILE", to find what grows) the wrapper's descendant that runs exe."""
    if not wrap:
        return p.pid
    def parent(d):
        with open("/proc/%d/stat" % d) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])

    def under_p(d):
        while d > 1:
            d = parent(d)
            if d == p.pid:
                return True
        return False

    end = time.time() + 30
    while time.time() < end:
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and os.path.samefile("/proc/%s/exe" % d, exe) and \
                        under_p(int(d)):
                    return int(d)
            except OSError:
                pass
        time.sleep(0.1)
    swarm.fail("no %s under %s" % (exe, " ".join(wrap)))


pid = player_pid()


def proc_figures(pid):
    """(RSS KiB, descriptors, of which not sockets, threads)"""
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = files = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            files += not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
            fds += 1
        except OSError:
            pass
    return rss, fds, files, threads


class Churn:
    """libtorrent leechers, `concurrent` at a time once ramped up (one
    arrives every mean-life/concurrent s), each from an address of its own,
    each leaving after a random life. Sessions are torn down and their
    data removed on a thread of their own (a session's end waits for its
    threads)."""

    def __init__(self):
        self.live = []  # (leave at, session, handle, dir)
        self.started = self.done = self.left = 0
        self.next_at = 0.0
        self.spacing = (life[0] + life[1]) / 2 / max(1, concurrent)
        self.ti = lt.torrent_info(tstream)
        # every other one a viewer (the clip's bitrate: done in a few
        # seconds once unchoked), the others slow (the clip in 3/4 of a
        # mean life: they stay connected, some leave before the end)
        self.rates = (int(size / clip_s), int(size / (0.75 * (life[0] + life[1]) / 2)))
        self.retire_q = queue.Queue()
        self.retirer = threading.Thread(target=self._retire_loop, daemon=True)
        self.retirer.start()

    @staticmethod
    def addr(n):
        return "127.0.%d.%d" % (3 + n // 240, 10 + n % 240)

    def _start(self, now):
        a = self.addr(self.started)
        d = os.path.join(root, "lt%d" % self.started)
        ses = lt.session({
            "listen_interfaces": "%s:0" % a, "outgoing_interfaces": a,
            "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
            "enable_natpmp": False, "enable_outgoing_utp": False, "enable_incoming_utp": False,
            "alert_mask": 0, "aio_threads": 1, "hashing_threads": 1, "connections_limit": 30,
            "download_rate_limit": self.rates[self.started % 2]})
        # loopback is exempt from rate limits unless put in the global class
        f = lt.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
        h = ses.add_torrent({"ti": self.ti, "save_path": d})
        h.connect_peer(("127.0.0.1", port))
        self.started += 1
        self.live.append((now + random.uniform(*life), ses, h, d))

    def _retire_loop(self):
        while True:
            item = self.retire_q.get()
            if item is None:
                return
            ses, h, d = item
            item = None
            try:
                self.done += h.status().is_seeding
                ses.pause()
            finally:
                del h, ses
                shutil.rmtree(d, ignore_errors=True)
                self.left += 1

    def tick(self, now):
        for x in [x for x in self.live if x[0] <= now]:
            self.live.remove(x)
            self.retire_q.put(x[1:])
        if len(self.live) < concurrent and now >= self.next_at:
            self._start(now)
            self.next_at = now + self.spacing

    def stop(self):
        while self.live:
            self.retire_q.put(self.live.pop()[1:])
        self.retire_q.put(None)
        self.retirer.join(120)


class Rotation:
    """One kind of hostile peer at a time for hostile_s seconds, from fresh
    addresses (10 of them for the squatters), then the next kind."""

    def __init__(self):
        self.round = 0
        self.addrs = 0
        self.kind = None
        self.stop_ev = None
        self.threads = []
        self.counts = {k: [] for k in hostile_peers.KINDS}
        self.until = 0.0

    def _addr(self):
        a = "127.0.%d.%d" % (1 + self.addrs // 250, 1 + self.addrs % 250)
        self.addrs += 1
        return a

    def _end(self):
        if self.stop_ev:
            self.stop_ev.set()
            for t in self.threads:
                t.join(10)
        self.stop_ev, self.threads = None, []

    def tick(self, now):
        if now < self.until:
            return
        self._end()
        self.kind = hostile_peers.KINDS[self.round % len(hostile_peers.KINDS)]
        self.round += 1
        self.stop_ev = threading.Event()
        for _ in range(SQUATTERS if self.kind == "squat" else 1):
            c = {}
            self.counts[self.kind].append(c)
            t = threading.Thread(target=hostile_peers.run, daemon=True,
                                 args=(self.kind, port, info_hash, self._addr(), self.stop_ev, c))
            t.start()
            self.threads.append(t)
        self.until = now + hostile_s

    def total(self, kind, key):
        return sum(c.get(key, 0) for c in self.counts[kind])

    def alive(self):
        return sum(self.total(k, "alive") for k in hostile_peers.KINDS)

    def stop(self):
        self._end()


samples = []
FIELDS = ("t", "plays", "stalls", "peers", "lt_live", "lt_seen", "hostile", "rss", "fds",
          "files", "threads", "uploaded")
HEAD = "%6s %5s %6s %5s %7s %7s %-10s %8s %4s %5s %7s %9s" % (
    "t s", "plays", "stalls", "peers", "lt live", "lt seen", "hostile", "RSS KiB", "fds",
    "files", "threads", "up MB")


def sample(t0, churn, rot):
    try:
        st = swarm.read_json(stats)
    except (OSError, ValueError):
        st = {}
    rss, fds, files, threads = proc_figures(pid)
    s = dict(t=time.time() - t0, plays=st.get("plays", 0), stalls=st.get("stalls", 0),
             peers=st.get("peers", 0), lt_live=len(churn.live) if churn else 0,
             lt_seen=churn.started if churn else 0,
             hostile=(rot.kind or "-") if rot and rot.stop_ev else "-", rss=rss, fds=fds,
             files=files, threads=threads, uploaded=st.get("uploaded", 0))
    samples.append(s)
    print("%6.1f %5d %6d %5d %7d %7d %-10s %8d %4d %5d %7d %9.1f" % (
        s["t"], s["plays"], s["stalls"], s["peers"], s["lt_live"], s["lt_seen"], s["hostile"],
        s["rss"], s["fds"], s["files"], s["threads"], s["uploaded"] / 1e6))
    sys.stdout.flush()
    return s


churn = rot = None
base = last = None
drained = False
t0 = time.time()
print(HEAD)
try:
    # warm-up: the download, then two plays with the seeder alone
    while p.poll() is None:
        time.sleep(sample_s / 4)
        try:
            if swarm.read_json(stats).get("plays", 0) >= 2:
                break
        except (OSError, ValueError):
            pass
        if time.time() - t0 > 120:
            swarm.fail("the player did not finish two plays in 120 s")
    time.sleep(0.5)  # let the rewritten stats and the second loop settle
    base = sample(t0, None, None)
    churn = Churn()
    rot = Rotation() if hostile else None
    next_sample = time.time() + sample_s
    while time.time() - t0 < seconds and p.poll() is None:
        now = time.time()
        churn.tick(now)
        if rot:
            rot.tick(now)
        if now >= next_sample:
            sample(t0, churn, rot)
            next_sample += sample_s
        time.sleep(0.1)
    # every peer leaves; the player's sockets and threads must come back
    if rot:
        rot.stop()
    churn.stop()
    end = time.time() + DRAIN_S
    while p.poll() is None and time.time() < end:
        last = sample(t0, churn, rot)
        if (last["fds"] <= base["fds"] and last["threads"] <= base["threads"] and
                last["peers"] <= base["peers"]):
            drained = True
            break
        time.sleep(1)
finally:
    alive = p.poll() is None
    if wrap and alive:  # the player first: the wrapper exits with it
        os.kill(pid, signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            pass
    rc = swarm.terminate(p)
    if churn:
        churn.stop()
    if rot:
        rot.stop()
    seeder.stop()
    log.close()

errors = []
if not alive:
    errors.append("the player left before the end (rc %s)" % rc)
if rc != 0:
    errors.append("exit %s after SIGTERM" % rc)
if not base or not last:
    errors.append("no baseline or no last sample")
else:
    run = [s for s in samples if s is not base]
    peak = {k: max(s[k] for s in run) for k in ("rss", "fds", "files", "threads", "peers")}
    plays = last["plays"] - base["plays"]
    hostile_conns = sum(rot.total(k, "connections") for k in hostile_peers.KINDS) if rot else 0
    print("%d plays in %.0f s, %d stalls; %d libtorrent peers came and went (%d done), "
          "%d hostile addresses made %d connections (%s)" % (
              plays, last["t"] - base["t"], last["stalls"] - base["stalls"], churn.started,
              churn.done, rot.addrs if rot else 0, hostile_conns,
              ", ".join("%s %d" % (k, rot.total(k, "connections"))
                        for k in hostile_peers.KINDS) if rot else "none"))
    for name, k, unit in (("RSS", "rss", " KiB"), ("fds", "fds", ""), ("files", "files", ""),
                          ("threads", "threads", ""), ("peers", "peers", "")):
        print("%-8s baseline %d%s, peak %d%s, after the drain %d%s" % (
            name, base[k], unit, peak[k], unit, last[k], unit))
    print("uploaded %.1f MB while playing" % (last["uploaded"] / 1e6))
    if last["files"] > base["files"]:
        errors.append("open files (not sockets) grew from %d to %d" % (base["files"], last["files"]))
    if not drained:
        errors.append("%d s after every peer left: %d descriptors (baseline %d), %d threads "
                      "(baseline %d), %d peers (baseline %d)" % (
                          DRAIN_S, last["fds"], base["fds"], last["threads"], base["threads"],
                          last["peers"], base["peers"]))
    if last["rss"] - base["rss"] > GROWTH_MIB * 1024:
        errors.append("memory grew by %d KiB" % (last["rss"] - base["rss"]))
    if plays < 2:
        errors.append("the player did not keep playing (%d plays)" % plays)
    if churn.started and last["uploaded"] <= base["uploaded"]:
        errors.append("nothing uploaded to %d leechers" % churn.started)
if errors:
    print("problems: " + "; ".join(errors))
    if check:
        swarm.fail("; ".join(errors))
print("ok")
