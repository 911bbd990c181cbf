#!/usr/bin/python3
"""viewers-bench.py - a swarm of viewers on shaped links (issue 10): one
source and VIEWERS `swarmplay play` viewers joining JOIN_S apart, each node
in a network namespace of its own (10.78.0.10 the source, .11... the
viewers), all joined by a bridge in a hub namespace; each node's uplink is
an HTB class on its own veth's egress (bfifo leaf of ~200 ms, GSO off):
the source at SOURCE_X x the video's bitrate, each viewer at VIEWER_X x.
Nothing leaves the machine (no default route anywhere). Needs root (ip
netns, tc): exits 77 otherwise.

Sources compared: `swarmplay seed` (the hand-out, issue 10) and a
libtorrent 2.0 seeder (the "before": it serves requests as they come).
Viewers: swarmplay (rule 13, Give-to-Get choker); a viewer that has played
to the end keeps seeding until the last one ends.

Measured per run: each viewer's first frame, stalls and stalled time (its
--stats-json), the bytes each viewer uploaded and downloaded, and the
bytes that left the source (its tc class, payload = wire x 1448/1514)
over the file size: the source's copies.

Viewers of other clients (VIEWER_KINDS, cycled over the viewers in join
order, e.g. "swarmplay,libtorrent" for a mixed swarm): "libtorrent" is
bench/tight's streaming client (sequential, deadlines on a 3-piece window;
it seeds on until the last viewer ends), "peerflix" is peerflix 0.39 (npm,
SP_NPM_DIR or <src>/build-npm), each read in real time by `ffmpeg -f
framecrc`; their first frame and stall are a virtual player's over the
frames' arrival (bench/tight's), their upload is their tc class.

Usage: viewers-bench.py [SOURCE_X ...]   (default 1.2 2.0)
Env: VIEWERS (3), VIEWER_X (2.0), SECONDS (40), JOIN_S (3), JOIN_SPREAD
(0; > 0: the viewers join at random times over that many seconds, seeded
by the run's number; RUN_FROM: the first run's number, 0), SOURCES ("swarmplay,libtorrent"), VIEWER_KINDS
("swarmplay"), RUNS (1), SP_LOG (the viewers' and source's SWARMPLAY_LOG,
"info"), LT_LOG (1: each libtorrent viewer's own peer, torrent and picker
log in ltN.log of the run's directory), VIEWER_ARGS (more options for the
swarmplay viewers' `play`, e.g. "--start-buffer 3")."""
import importlib.util, json, os, random, re, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "lib"))
import swarm

VIEWERS = int(os.environ.get("VIEWERS", "3"))
VIEWER_X = float(os.environ.get("VIEWER_X", "2.0"))
SECONDS = int(os.environ.get("SECONDS", "40"))
JOIN_S = float(os.environ.get("JOIN_S", "3"))
SOURCES = os.environ.get("SOURCES", "swarmplay,libtorrent").split(",")
JOIN_SPREAD = float(os.environ.get("JOIN_SPREAD", "0"))
KINDS = os.environ.get("VIEWER_KINDS", "swarmplay").split(",")
RUNS = int(os.environ.get("RUNS", "1"))
RUN_FROM = int(os.environ.get("RUN_FROM", "0"))
SP_LOG = os.environ.get("SP_LOG", "info")
LT_LOG = os.environ.get("LT_LOG", "") not in ("", "0")
VIEWER_ARGS = os.environ.get("VIEWER_ARGS", "").split()
HERE = os.path.dirname(os.path.abspath(__file__))
TIGHT = os.path.join(HERE, "..", "tight", "tight-bench.py")
_spec = importlib.util.spec_from_file_location("tight_bench", TIGHT)
tight = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tight)  # its Lines, frames_of, virtual_play
LT_PORT = 6890  # tight-bench's libtorrent client listens there
QUEUE_S = 0.2
PAYLOAD = 1448 / 1514
PORT = 6881
NET = "10.78.0."


def sh(args, check=True, ns=None):
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


class Net:
    """A hub namespace with a bridge; one namespace per node, its veth's
    egress shaped by one HTB class."""

    def __init__(self, n):
        tag = os.getpid()
        self.hub = "spv-h-%d" % tag
        self.ns = ["spv-%d-%d" % (i, tag) for i in range(n)]
        self.ips = [NET + str(10 + i) for i in range(n)]
        self.made, self.procs = [], []

    def up(self):
        for ns in [self.hub] + self.ns:
            sh(["ip", "netns", "add", ns])
            self.made.append(ns)
            sh(["ip", "link", "set", "lo", "up"], ns=ns)
        sh(["ip", "link", "add", "br0", "type", "bridge"], ns=self.hub)
        sh(["ip", "link", "set", "br0", "up"], ns=self.hub)
        for i, ns in enumerate(self.ns):
            hubdev = "h%d" % i
            sh(["ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name",
                hubdev, "netns", self.hub])
            sh(["ip", "link", "set", hubdev, "master", "br0"], ns=self.hub)
            sh(["ip", "link", "set", hubdev, "up"], ns=self.hub)
            sh(["ip", "addr", "add", self.ips[i] + "/24", "dev", "eth0"], ns=ns)
            sh(["ip", "link", "set", "eth0", "gso_max_segs", "1", "gso_max_size", "1514"],
               ns=ns, check=False)
            sh(["ip", "link", "set", "eth0", "up"], ns=ns)

    def shape(self, i, payload_rate):
        wire = payload_rate / PAYLOAD
        tc = ["tc", "-n", self.ns[i]]
        sh(tc + ["qdisc", "del", "dev", "eth0", "root"], check=False)
        sh(tc + ["qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "10"])
        sh(tc + ["class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb",
                 "rate", "%dbit" % int(wire * 8), "ceil", "%dbit" % int(wire * 8),
                 "quantum", "1514"])
        sh(tc + ["qdisc", "add", "dev", "eth0", "parent", "1:10", "handle", "10:", "bfifo",
                 "limit", str(max(2 * 1514, int(wire * QUEUE_S)))])

    def sent(self, i):
        text = sh(["tc", "-n", self.ns[i], "-s", "class", "show", "dev", "eth0"])
        m = re.search(r"class htb 1:10 .*?\n\s*Sent (\d+) bytes", text)
        return int(m.group(1)) * PAYLOAD if m else 0

    def popen(self, i, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[i]] + args,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        for ns in self.made:
            for pid in sh(["ip", "netns", "pids", ns], check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh(["ip", "netns", "del", ns], check=False)
        self.made = []


LT_SEED = """
import sys, time, libtorrent as lt
ses = lt.session({"listen_interfaces": "%s:%d", "enable_dht": False, "enable_lsd": False,
                  "enable_upnp": False, "enable_natpmp": False, "alert_mask": 0,
                  "tick_interval": 50})
h = ses.add_torrent({"ti": lt.torrent_info(sys.argv[1]), "save_path": sys.argv[2],
                     "flags": lt.torrent_flags.seed_mode})
print("ready", flush=True)
sys.stdin.read()
"""


def stats(path):
    try:
        return swarm.read_json(path)
    except (OSError, ValueError):
        return {}


def join_times(run_no, source_x):
    if JOIN_SPREAD > 0:
        rng = random.Random(run_no * 1000 + int(source_x * 10))
        return sorted(rng.uniform(0, JOIN_SPREAD) for _ in range(VIEWERS))
    return [i * JOIN_S for i in range(VIEWERS)]


class Viewer:
    """One viewer in namespace i: a swarmplay player, or a libtorrent or
    peerflix client read in real time by ffmpeg."""

    def __init__(self, net, i, kind, rd, tstream, peers, linger):
        self.net, self.i, self.kind, self.rd = net, i, kind, rd
        self.ff = self.frames = self.ev = None
        self.st = os.path.join(rd, "viewer%d.json" % i)
        self.t0 = time.monotonic()
        self.up0 = net.sent(i)
        dl = os.path.join(rd, "dl%d" % i)
        os.makedirs(dl)
        log = open(os.path.join(rd, "viewer%d.log" % i), "w")
        if kind == "swarmplay":
            args = [swarm.swarmplay(), "play", tstream, "-d", dl, "--port", str(PORT),
                    "--no-tracker", "--no-dht", "--no-video", "--no-audio", "--no-resume", "--stats-json",
                    self.st]
            for p in peers:
                args += ["--peer", p]
            args += VIEWER_ARGS
            self.p = net.popen(i, args, stdout=log, stderr=subprocess.STDOUT)
        elif kind == "libtorrent":
            cfg = {"torrent": tstream, "dir": dl, "peers": peers, "timeout": SECONDS * 8 + 60,
                   "linger": linger}
            if LT_LOG:
                cfg["log"] = os.path.join(rd, "lt%d.log" % i)
            self.p = net.popen(i, ["/usr/bin/python3", TIGHT, "--lt-client", json.dumps(cfg)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.ff = tight.ffmpeg_reader("pipe:0", stdin=self.p.stdout)
            self.p.stdout.close()
            self.ev = tight.Lines(self.p.stderr, log)
            self.frames = tight.Lines(self.ff.stdout, self.framelog())
        else:
            self.listening = os.path.join(rd, "listening%d" % i)
            args = [peerflix_bin(), tstream, "-p", "8888", "-x", str(PORT), "-f", dl, "-q",
                    "--on-listening", "touch " + self.listening]
            for p in peers:
                args += ["-e", p]
            self.p = net.popen(i, args, stdout=log, stderr=subprocess.STDOUT)

    def framelog(self):
        return open(os.path.join(self.rd, "viewer%d.framecrc" % self.i), "w")

    def address(self):
        return "%s:%d" % (self.net.ips[self.i], LT_PORT if self.kind == "libtorrent" else PORT)

    def poll(self):
        """True once it has played to the end."""
        if self.kind == "swarmplay":
            return stats(self.st).get("state") == "ended"
        if self.ff is None and os.path.exists(self.listening):
            self.ff = tight.ffmpeg_reader("http://127.0.0.1:8888/", ns=self.net.ns[self.i],
                                          net=ByName(self.net))
            self.frames = tight.Lines(self.ff.stdout, self.framelog())
        return self.ff is not None and self.ff.poll() is not None

    def result(self, size):
        up = self.net.sent(self.i) - self.up0
        if self.kind == "swarmplay":
            r = stats(self.st)
            return {"kind": self.kind, "ttff_ms": r.get("ttff_ms"), "stalls": r.get("stalls"),
                    "stall_ms": r.get("stall_ms"), "up": up,
                    "down": r.get("bytes", {}).get("peers"), "ended": r.get("state") == "ended"}
        self.frames.join(5) if self.frames else None
        first, stall, n = tight.virtual_play(tight.frames_of(self.frames.lines)) \
            if self.frames else (None, None, 0)
        return {"kind": self.kind, "ttff_ms": int((first - self.t0) * 1000) if first else None,
                "stalls": None, "stall_ms": int(stall * 1000) if stall is not None else None,
                "up": up, "down": size, "ended": self.ff is not None and self.ff.poll() == 0,
                "frames": n}

    def stop(self):
        for p in (self.p, self.ff):
            if p is not None and p.poll() is None:
                tight.kill_group(p, 15)


class ByName:
    """bench/tight's ffmpeg_reader starts a process by namespace name."""

    def __init__(self, net):
        self.net = net

    def popen(self, ns, args, **kw):
        return self.net.popen(self.net.ns.index(ns), args, **kw)


def peerflix_bin():
    src_root = os.path.join(HERE, "..", "..")
    npm = os.environ.get("SP_NPM_DIR", os.path.join(src_root, "build-npm"))
    return os.path.join(npm, "node_modules", ".bin", "peerflix")


def run(net, kind, source_x, media, tstream, root, size, run_no=0):
    bitrate = size / SECONDS
    net.shape(0, source_x * bitrate)
    for i in range(1, VIEWERS + 1):
        net.shape(i, VIEWER_X * bitrate)
    before = net.sent(0)
    rd = os.path.join(root, "%s-%.1f-%d" % (kind, source_x, run_no))
    os.makedirs(rd)
    log = open(os.path.join(rd, "source.log"), "w")
    seed_dir = os.path.dirname(media)
    if kind == "swarmplay":
        sst = os.path.join(rd, "source.json")
        src = net.popen(0, [swarm.swarmplay(), "seed", tstream, seed_dir, "--port", str(PORT),
                            "--no-tracker", "--no-dht", "--stats-json", sst],
                        stdout=log, stderr=subprocess.STDOUT)
        end = time.time() + 60
        while not stats(sst).get("complete") and time.time() < end:
            time.sleep(0.1)
    else:
        src = net.popen(0, ["/usr/bin/python3", "-c", LT_SEED % (net.ips[0], PORT), tstream,
                            seed_dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=log, text=True)
        src.stdout.readline()
    peers = ["%s:%d" % (net.ips[0], PORT)]
    viewers = []
    linger = os.path.join(rd, "all-ended")
    t0 = time.time()
    for i, at in enumerate(join_times(run_no, source_x), 1):
        while time.time() < t0 + at:
            for v in viewers:
                v.poll()
            time.sleep(0.05)
        v = Viewer(net, i, KINDS[(i - 1) % len(KINDS)], rd, tstream, peers, linger)
        viewers.append(v)
        peers.append(v.address())
    end = time.time() + SECONDS * 8 + 60
    while time.time() < end and not all([v.poll() for v in viewers]):
        time.sleep(0.2)
    sent = net.sent(0) - before
    res = [v.result(size) for v in viewers]
    open(linger, "w").close()
    for v in viewers:
        v.stop()
    if kind == "swarmplay":
        os.killpg(src.pid, signal.SIGTERM)
    else:
        src.stdin.close()
    src.wait(timeout=30)
    return {"source": kind, "source_x": source_x, "copies": sent / size, "run": run_no,
            "joins": [round(t, 1) for t in join_times(run_no, source_x)], "viewers": res}


def main():
    # SIGTERM and SIGINT unwind through the finally below: the namespaces
    # and the nodes' processes go with the run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        swarm.skip("needs root for ip netns and tc")
    swarm.need("ffmpeg", "tc", "ip")
    os.environ.setdefault("SWARMPLAY_LOG", SP_LOG)
    if "peerflix" in KINDS and not os.path.exists(peerflix_bin()):
        swarm.skip("peerflix not found at %s (tests/deps.sh installs it)" % peerflix_bin())
    xs = [float(a) for a in sys.argv[1:]] or [1.2, 2.0]
    root = swarm.workdir("viewers-bench")
    seed_dir = os.path.join(root, "seed")
    os.makedirs(seed_dir)
    media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=SECONDS,
                             bitrate="1000k")
    tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
    size = os.path.getsize(media)
    net = Net(VIEWERS + 1)
    try:
        net.up()
    except RuntimeError as e:
        net.down()
        swarm.skip("cannot make the namespaces: %s" % e)
    results = []
    try:
        for rep in range(RUN_FROM, RUN_FROM + RUNS):
            for x in xs:
                for kind in SOURCES:
                    r = run(net, kind, x, media, tstream, root, size, rep)
                    print(json.dumps(r), flush=True)
                    results.append(r)
    finally:
        net.down()
    print("| source | source uplink | viewers' uplink | N | joins | viewers | first frame s | "
          "stalls | stalled s (per viewer) | up/down | source copies |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        v = r["viewers"]
        f = " / ".join("%.1f" % ((x["ttff_ms"] or 0) / 1000) for x in v)
        s = " / ".join("-" if x["stalls"] is None else str(x["stalls"]) for x in v)
        kinds = "/".join(x["kind"][0] for x in v)
        joins = ("random %g s" % JOIN_SPREAD) if JOIN_SPREAD > 0 else ("%g s apart" % JOIN_S)
        st = " / ".join("%.1f" % ((x["stall_ms"] or 0) / 1000) for x in v)
        up = sum(x["up"] or 0 for x in v)
        down = sum(x["down"] or 0 for x in v)
        print("| %s | %.1f x | %.1f x | %d | %s | %s | %s | %s | %s | %.2f | %.2f |" % (
            r["source"], r["source_x"], VIEWER_X, len(v), joins, kinds, f, s, st,
            up / down if down else 0, r["copies"]))


main()
