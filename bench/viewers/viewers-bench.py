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

Usage: viewers-bench.py [SOURCE_X ...]   (default 1.2 2.0)
Env: VIEWERS (3), VIEWER_X (2.0), SECONDS (40), JOIN_S (3), SOURCES
("swarmplay,libtorrent")."""
import json, os, re, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "lib"))
import swarm

VIEWERS = int(os.environ.get("VIEWERS", "3"))
VIEWER_X = float(os.environ.get("VIEWER_X", "2.0"))
SECONDS = int(os.environ.get("SECONDS", "40"))
JOIN_S = float(os.environ.get("JOIN_S", "3"))
SOURCES = os.environ.get("SOURCES", "swarmplay,libtorrent").split(",")
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


def run(net, kind, source_x, media, tstream, root, size):
    bitrate = size / SECONDS
    net.shape(0, source_x * bitrate)
    for i in range(1, VIEWERS + 1):
        net.shape(i, VIEWER_X * bitrate)
    before = net.sent(0)
    rd = os.path.join(root, "%s-%.1f" % (kind, source_x))
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
    t0 = time.time()
    for i in range(1, VIEWERS + 1):
        while time.time() < t0 + (i - 1) * JOIN_S:
            time.sleep(0.05)
        st = os.path.join(rd, "viewer%d.json" % i)
        args = [swarm.swarmplay(), "play", tstream, "-d", os.path.join(rd, "dl%d" % i),
                "--port", str(PORT), "--no-tracker", "--no-dht", "--no-video", "--no-audio",
                "--stats-json", st]
        for p in peers:
            args += ["--peer", p]
        vlog = open(os.path.join(rd, "viewer%d.log" % i), "w")
        viewers.append((net.popen(i, args, stdout=vlog, stderr=subprocess.STDOUT), st))
        peers.append("%s:%d" % (net.ips[i], PORT))
    end = time.time() + SECONDS * 8 + 60
    while time.time() < end and not all(stats(st).get("state") == "ended" for _, st in viewers):
        time.sleep(0.2)
    sent = net.sent(0) - before
    res = [stats(st) for _, st in viewers]
    for p, _ in viewers:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=30)
    if kind == "swarmplay":
        os.killpg(src.pid, signal.SIGTERM)
    else:
        src.stdin.close()
    src.wait(timeout=30)
    return {"source": kind, "source_x": source_x, "copies": sent / size,
            "viewers": [{"ttff_ms": r.get("ttff_ms"), "stalls": r.get("stalls"),
                         "stall_ms": r.get("stall_ms"), "up": r.get("uploaded"),
                         "down": r.get("bytes", {}).get("peers"), "ended":
                         r.get("state") == "ended"} for r in res]}


def main():
    if os.geteuid() != 0:
        swarm.skip("needs root for ip netns and tc")
    swarm.need("ffmpeg", "tc", "ip")
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
        for x in xs:
            for kind in SOURCES:
                r = run(net, kind, x, media, tstream, root, size)
                print(json.dumps(r), flush=True)
                results.append(r)
    finally:
        net.down()
    print("| source | source uplink | viewers' uplink | N | first frame s | stalls | "
          "stalled s (per viewer) | up/down | source copies |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        v = r["viewers"]
        f = " / ".join("%.1f" % ((x["ttff_ms"] or 0) / 1000) for x in v)
        s = " / ".join(str(x["stalls"]) for x in v)
        st = " / ".join("%.1f" % ((x["stall_ms"] or 0) / 1000) for x in v)
        up = sum(x["up"] or 0 for x in v)
        down = sum(x["down"] or 0 for x in v)
        print("| %s | %.1f x | %.1f x | %d | %s | %s | %s | %.2f | %.2f |" % (
            r["source"], r["source_x"], VIEWER_X, len(v), f, s, st, up / down if down else 0,
            r["copies"]))


main()
