#!/usr/bin/python3
"""tight-bench.py - the tight-swarm benchmark of issue 9: does a streaming
client play through without a stall when the swarm is only a little faster
than the video, and how many bytes beyond the file does it make the
seeders send?

The swarm: 4 seeders of two implementations (3 libtorrent 2.0 sessions, 1
aria2c), each on its own address (10.77.0.11-14) in a private network
namespace "spt-s-PID", each behind its own tc HTB class (egress of the
seeders' veth, matched by source address, a bfifo leaf of ~200 ms, TSO/GSO
off so packets are 1514 bytes), so that the swarm's total *payload*
capacity is X x the video's average bitrate (each class: X x bitrate / 4,
divided by 1448/1514 for Ethernet/IP/TCP headers). The clients run in a
second namespace "spt-c-PID" (10.77.0.2), joined to the first by a veth
pair: nothing leaves the machine (no default route in either), DHT/LSD of
any client stay confined. Both namespaces are removed at exit (Ctrl-C and
exceptions included).

The video: SECONDS s of 1280x720 H.264 + AAC, ~3.0 Mbit/s, made with ffmpeg
lavfi (testsrc2 + sine, -threads 1, so repeatable), mp4 faststart; a v1
.tstream of 256 KiB pieces from `swarmplay create --piece-size 262144`. Every
client run starts from an empty directory against freshly started seeders.

Clients (BENCH_CLIENTS picks, comma-separated: swarmplay, peerflix,
libtorrent):
  swarmplay   `swarmplay play --no-video --no-audio --exit-at-end
              --no-tracker --stats-json F --peer ...` (paced in real time by
              the player itself). First frame = the moment its "first frame
              after N ms" log line reaches the script; last frame = its exit.
  peerflix    peerflix 0.39 (npm) with -e for each seeder, read by
              `ffmpeg -i http://127.0.0.1:PORT/ -map 0:v:0 -f framecrc -`.
  libtorrent  a libtorrent 2.0 streaming client tuned as in bench/play
              (sequential download, set_piece_deadline on a 3-piece window
              ahead of the read position, tick 100 ms,
              initial_picker_threshold 0) that pipes verified pieces in order
              into `ffmpeg -i pipe:0 -map 0:v:0 -f framecrc -`.

Measured per run, the same for every client:
  first frame   from the spawn of the client process to the first frame.
  stall         wall time from the first frame to the last frame, minus the
                media's length, i.e. what a real-time viewer waits after
                the first frame (a hold before playback starts included).
                swarmplay paces itself: (exit - first frame) minus the same
                figure for the same file played from the local disk
                (measured once at the start: the calibration). For peerflix
                and libtorrent, ffmpeg decodes as soon as bytes arrive and
                the script plays the frames on a virtual clock: each decoded
                frame timestamped on arrival (time.monotonic()), shown at
                first + its pts, a frame that arrives late pauses the clock
                (stall = max over frames of arrival - due time). `ffmpeg -re`
                would hide stalls: after a wait it reads at full speed until
                it has caught up with the wall clock.
  whole file    from the spawn to the whole file verified (swarmplay:
                download_ms of --stats-json plus its spawn-to-clock-start
                offset; peerflix: its --on-downloaded hook; libtorrent: the
                torrent turns to seeding).
  sent/size     payload the seeders uploaded during the run (libtorrent
                total_payload_upload, aria2c's uploadLength over its RPC)
                over the file size. These count what a seeder handed to its
                socket: blocks still in a socket buffer when the client
                hangs up count, though they never crossed the link.
  link/size     TCP payload that crossed the link: the tc class counters'
                bytes minus 66 bytes (Ethernet, IPv4, TCP with timestamps)
                per packet, over the file size. BitTorrent's own messages
                (13 bytes per 16 KiB block, haves, bitfields) and TCP
                retransmissions are in it; a perfect client costs 1.001.
The physical limit row: whole file = size / capacity; first frame = the
bytes up to the end of the pieces holding the first frame, at the full
capacity; stall = the least stall of a perfect in-order client that starts
at that first frame (verified-piece granularity).

Prints a JSON line per run ("RUN {...}") and a markdown table. swarmplay's
own counters from --stats-json are shown next to the seeders' count
("seeders sent - swarmplay's useful bytes.peers" against its bytes.wasted
when the key exists).

Environment: SWARMPLAY (the binary), SP_BUILDDIR, SP_NPM_DIR (default
<src>/build-npm), BENCH_RUNS (3), BENCH_X ("1.05,1.1,1.25,2"),
BENCH_CLIENTS (all), BENCH_SECONDS (40), BENCH_SP_LOG (swarmplay's
SWARMPLAY_LOG, default info; debug keeps a full log per run), BENCH_KEEP=1
keeps the work directory, BENCH_QUEUE_MS (200: each seeder's bfifo, in ms
of its rate), BENCH_CALIBRATION (seconds: skip swarmplay's local-file
calibration and use this first-to-last figure instead). Needs root (ip netns, tc): exits 77 otherwise.

Internal modes (run inside a namespace by the script itself):
  tight-bench.py --seeds-host JSON     the 4 seeders; "stats"/"quit" on stdin
  tight-bench.py --lt-client JSON      the libtorrent client; pieces on stdout
"""
import atexit, json, math, os, re, shutil, signal, statistics, subprocess, sys, tempfile
import threading, time, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
src_root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src_root, "tests", "lib"))
import swarm  # noqa: E402
import net_util as nu  # noqa: E402

PIECE = 262144
SUBNET = "10.77.0"
CLIENT_IP = SUBNET + ".2"
SEED_IPS = [SUBNET + ".%d" % (11 + i) for i in range(4)]
SEED_KINDS = ["libtorrent", "libtorrent", "libtorrent", "aria2c"]
SEED_PORT0 = 6881
# payload per 1514-byte frame (MSS 1448 with TCP timestamps) and per 16 KiB
# block message (13 bytes of header)
EFF = 1448.0 / 1514.0 * 16384.0 / 16397.0
QUEUE_S = float(os.environ.get("BENCH_QUEUE_MS", "200")) / 1000
HDR = 14 + 20 + 32  # Ethernet, IPv4, TCP with timestamps: per packet in the tc counters


def log(*a):
    print(*a)
    sys.stdout.flush()


# ---------------------------------------------------------------- seeders host

def seeds_host(cfg):
    """Runs inside the seeders' namespace: 3 libtorrent sessions and 1
    aria2c, seeding cfg["torrent"] from cfg["data"]. Prints "ready", then
    answers "stats" with a JSON line, exits on "quit" or EOF."""
    import libtorrent as lt
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    seeds = []
    aria = None
    for i, (ip, kind) in enumerate(zip(cfg["ips"], cfg["kinds"])):
        port = SEED_PORT0 + i
        if kind == "libtorrent":
            ses = lt.session({
                "listen_interfaces": "%s:%d" % (ip, port), "outgoing_interfaces": ip,
                "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
                "enable_natpmp": False, "alert_mask": 0, "tick_interval": 50})
            h = ses.add_torrent({"ti": lt.torrent_info(cfg["torrent"]), "save_path": cfg["data"],
                                 "flags": lt.torrent_flags.seed_mode})
            seeds.append(("lt", ip, port, ses, h))
        else:
            args = [a for a in nu.ARIA2_COMMON if not a.startswith("--bt-external-ip")]
            logf = open(os.path.join(cfg["logdir"], "aria2c-%s.log" % ip), "w")
            aria = subprocess.Popen(
                ["aria2c"] + args +
                ["--bt-external-ip=" + ip, "--seed-ratio=0.0", "--bt-seed-unverified=true",
                 "--check-integrity=false", "--listen-port=%d" % port, "--dir=" + cfg["data"],
                 "--enable-rpc=true", "--rpc-listen-port=%d" % cfg["rpc_port"],
                 "--bt-max-peers=0", cfg["torrent"]],
                stdout=logf, stderr=subprocess.STDOUT)
            seeds.append(("aria2c", ip, port, aria, None))

    def aria_stats():
        req = json.dumps({"jsonrpc": "2.0", "id": "s", "method": "aria2.tellActive",
                          "params": [["uploadLength", "status", "completedLength"]]}).encode()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        r = opener.open(urllib.request.Request(
            "http://127.0.0.1:%d/jsonrpc" % cfg["rpc_port"], req,
            {"Content-Type": "application/json"}), timeout=5)
        res = json.loads(r.read())["result"]
        return res

    def stats():
        out = []
        for kind, ip, port, a, h in seeds:
            if kind == "lt":
                st = h.status()
                out.append({"ip": ip, "kind": "libtorrent", "payload": st.total_payload_upload,
                            "total": st.total_upload})
            else:
                res = aria_stats()
                out.append({"ip": ip, "kind": "aria2c",
                            "payload": sum(int(x["uploadLength"]) for x in res)})
        return out

    end = time.time() + 60
    while True:
        ok = all(h.status().is_seeding for k, _, _, _, h in seeds if k == "lt")
        if ok and aria is not None:
            if aria.poll() is not None:
                print("error aria2c exited", flush=True)
                return 1
            try:
                res = aria_stats()
                ok = bool(res) and res[0]["status"] == "active"
            except OSError:
                ok = False
            if ok:
                import socket
                try:
                    socket.create_connection((seeds[-1][1], seeds[-1][2]), 1).close()
                except OSError:
                    ok = False
        if ok:
            break
        if time.time() > end:
            print("error seeders not ready in 60 s", flush=True)
            return 1
        time.sleep(0.05)
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "stats":
            print("stats " + json.dumps(stats()), flush=True)
        elif cmd == "quit":
            break
    if aria is not None:
        swarm.terminate(aria, 10)
    for kind, _, _, ses, h in seeds:
        if kind == "lt":
            ses.pause()
    return 0


# ---------------------------------------------------------- libtorrent client

def lt_client(cfg):
    """Runs inside the clients' namespace: a libtorrent streaming client as
    tuned in bench/play (sequential, deadlines on a 3-piece window ahead of
    the read position). Verified pieces go to stdout in order; "whole" on
    stderr when the torrent turns to seeding, "stats {...}" at the end
    (after seeding on while cfg["linger"], a path, does not exist).
    cfg["log"], a path: libtorrent's own peer, torrent and picker log goes
    there (bench/viewers' LT_LOG)."""
    import libtorrent as lt
    window, step_ms = 3, 100
    logf = open(cfg["log"], "w") if cfg.get("log") else None
    mask = 0
    if logf:
        mask = (lt.alert_category.peer_log | lt.alert_category.torrent_log |
                lt.alert_category.picker_log | lt.alert_category.error)
    ses = lt.session({"listen_interfaces": "0.0.0.0:6890",
                      "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
                      "enable_natpmp": False, "alert_mask": mask, "tick_interval": 100,
                      "initial_picker_threshold": 0, "smooth_connects": False})
    t_start = time.monotonic()

    def drain():
        if logf:
            for a in ses.pop_alerts():
                logf.write("%.3f %s\n" % (time.monotonic() - t_start, a.message()))
    ti = lt.torrent_info(cfg["torrent"])
    h = ses.add_torrent({"ti": ti, "save_path": cfg["dir"],
                         "flags": lt.torrent_flags.sequential_download})
    for p in cfg["peers"]:
        host, port = p.rsplit(":", 1)
        h.connect_peer((host, int(port)))
    plen, n = ti.piece_length(), ti.num_pieces()
    for i in range(min(window, n)):
        h.set_piece_deadline(i, i * step_ms)
    path = os.path.join(cfg["dir"], ti.files().file_path(0))
    out = sys.stdout.buffer
    piece, whole, end = 0, False, time.time() + cfg["timeout"]
    while time.time() < end:
        if not whole and h.status().is_seeding:
            whole = True
            print("whole", file=sys.stderr, flush=True)
        if piece < n and h.have_piece(piece):
            with open(path, "rb") as f:
                f.seek(piece * plen)
                data = f.read(plen)
            try:
                out.write(data)
                out.flush()
            except BrokenPipeError:
                pass
            piece += 1
            for i in range(piece, min(piece + window, n)):
                h.set_piece_deadline(i, (i - piece) * step_ms)
            if piece == n:
                try:
                    out.close()
                except BrokenPipeError:
                    pass
                try:  # sys.stdout leaves fd 1 open: the reader's EOF
                    os.close(1)
                except OSError:
                    pass
            continue
        if piece == n and whole:
            break
        drain()
        time.sleep(0.002)
    # bench/viewers: a viewer that has played to the end seeds on until
    # the file cfg["linger"] names exists
    while cfg.get("linger") and not os.path.exists(cfg["linger"]) and time.time() < end:
        drain()
        time.sleep(0.2)
    drain()
    if logf:
        logf.close()
    st = h.status()
    print("stats " + json.dumps({"payload_down": st.total_payload_download,
                                 "payload_up": st.total_payload_upload,
                                 "down": st.total_download,
                                 "redundant": st.total_redundant_bytes,
                                 "failed": st.total_failed_bytes}), file=sys.stderr, flush=True)
    ses.pause()
    return 0


if len(sys.argv) == 3 and sys.argv[1] in ("--seeds-host", "--lt-client"):
    fn = seeds_host if sys.argv[1] == "--seeds-host" else lt_client
    sys.exit(fn(json.loads(sys.argv[2])))


# ------------------------------------------------------------------ namespaces

def sh(args, check=True, ns=None):
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


class Net:
    """Two namespaces joined by a veth pair; an HTB class + bfifo per seeder
    address on the egress of the seeders' end."""

    def __init__(self):
        tag = os.getpid()
        self.cns, self.sns = "spt-c-%d" % tag, "spt-s-%d" % tag
        self.cdev, self.sdev = "sptc%d" % tag, "spts%d" % tag
        self.made = []
        self.procs = []  # Popen objects started inside the namespaces

    def up(self):
        for ns in (self.cns, self.sns):
            sh(["ip", "netns", "add", ns])
            self.made.append(ns)
            sh(["ip", "link", "set", "lo", "up"], ns=ns)
        sh(["ip", "link", "add", self.cdev, "netns", self.cns, "type", "veth", "peer", "name",
            self.sdev, "netns", self.sns])
        sh(["ip", "addr", "add", CLIENT_IP + "/24", "dev", self.cdev], ns=self.cns)
        for ip in SEED_IPS:
            sh(["ip", "addr", "add", ip + "/24", "dev", self.sdev], ns=self.sns)
        # no TSO/GSO: 1514-byte packets, so a 200 ms bfifo never drops a 64 KB
        # super-packet and HTB's accounting is smooth
        for ns, dev in ((self.cns, self.cdev), (self.sns, self.sdev)):
            sh(["ip", "link", "set", dev, "gso_max_segs", "1", "gso_max_size", "1514"], ns=ns,
               check=False)
            sh(["ip", "link", "set", dev, "up"], ns=ns)
        tc = ["tc", "-n", self.sns]
        sh(tc + ["qdisc", "add", "dev", self.sdev, "root", "handle", "1:", "htb", "default",
                 "99"])
        sh(tc + ["class", "add", "dev", self.sdev, "parent", "1:", "classid", "1:99", "htb",
                 "rate", "1gbit", "quantum", "60000"])
        for i, ip in enumerate(SEED_IPS):
            sh(tc + ["class", "add", "dev", self.sdev, "parent", "1:", "classid",
                     "1:%d" % (10 + i), "htb", "rate", "100kbit"])
            sh(tc + ["qdisc", "add", "dev", self.sdev, "parent", "1:%d" % (10 + i), "handle",
                     "%d:" % (10 + i), "bfifo", "limit", "30000"])
            sh(tc + ["filter", "add", "dev", self.sdev, "parent", "1:", "protocol", "ip",
                     "prio", "1", "u32", "match", "ip", "src", ip + "/32", "flowid",
                     "1:%d" % (10 + i)])

    def set_rates(self, wire_rates):
        """wire_rates: bytes/s per seeder (headers included)."""
        tc = ["tc", "-n", self.sns]
        for i, r in enumerate(wire_rates):
            bits = int(r * 8)
            sh(tc + ["class", "change", "dev", self.sdev, "parent", "1:", "classid",
                     "1:%d" % (10 + i), "htb", "rate", "%dbit" % bits, "ceil", "%dbit" % bits,
                     "quantum", "1514"])
            sh(tc + ["qdisc", "change", "dev", self.sdev, "parent", "1:%d" % (10 + i),
                     "handle", "%d:" % (10 + i), "bfifo", "limit",
                     str(max(2 * 1514, int(r * QUEUE_S)))])

    def counters(self):
        """{seeder index: (bytes, packets, drops)} from the HTB classes."""
        out = {}
        text = sh(["tc", "-n", self.sns, "-s", "class", "show", "dev", self.sdev])
        for m in re.finditer(r"class htb 1:(\d+) .*?\n\s*Sent (\d+) bytes (\d+) pkt "
                             r"\(dropped (\d+)", text):
            k = int(m.group(1))
            if 10 <= k < 10 + len(SEED_IPS):
                out[k - 10] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
        return out

    def popen(self, ns, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + args, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def down(self):
        for p in self.procs:
            kill_group(p)
        for ns in self.made:
            # whatever still runs in a namespace of ours was started by us
            for pid in sh(["ip", "netns", "pids", ns], check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh(["ip", "netns", "del", ns], check=False)
        self.made = []


def kill_group(p, timeout=10):
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


# ------------------------------------------------------------------- helpers

class Lines(threading.Thread):
    """Reads a pipe line by line, each timestamped with time.monotonic() as it
    arrives; optionally copies the lines to a file."""

    def __init__(self, pipe, copy=None):
        super().__init__(daemon=True)
        self.pipe, self.copy, self.lines = pipe, copy, []
        self.start()

    def run(self):
        for raw in iter(self.pipe.readline, b""):
            t = time.monotonic()
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append((t, line))
            if self.copy:
                self.copy.write(line + "\n")
        if self.copy:
            self.copy.flush()


def frames_of(lines):
    """[(arrival, pts seconds)] from framecrc lines."""
    tb, out = {}, []
    for t, line in lines:
        m = re.match(r"#tb (\d+): (\d+)/(\d+)", line)
        if m:
            tb[int(m.group(1))] = int(m.group(2)) / int(m.group(3))
            continue
        if not line or line.startswith("#"):
            continue
        f = [x.strip() for x in line.split(",")]
        if len(f) >= 3 and f[0] == "0":
            out.append((t, int(f[2]) * tb.get(0, 1 / 25)))
    return out


def virtual_play(frames):
    """(first arrival, stall s, frames) of a player that shows the first
    frame on arrival and then each frame at its pts, pausing for late ones."""
    if not frames:
        return None, None, 0
    t0, p0 = frames[0]
    late = max(t - t0 - (p - p0) for t, p in frames)
    return t0, max(0.0, late), len(frames)


def ffmpeg_reader(src, stdin=None, ns=None, net=None):
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", src, "-map", "0:v:0",
            "-fps_mode", "passthrough", "-flush_packets", "1", "-f", "framecrc", "-"]
    if ns:
        return net.popen(ns, args, stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    return subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def physical(media, size, rate):
    """(first frame s, stall s, whole file s) of a perfect client that gets
    verified pieces in order at rate bytes/s (payload)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=pts_time,pos,size", "-of", "csv=p=0", media],
                         capture_output=True, text=True, check=True).stdout
    pk = []
    for line in out.splitlines():
        f = line.split(",")
        if len(f) >= 3 and f[0] not in ("", "N/A") and f[2] not in ("", "N/A"):
            pk.append((float(f[0]), int(f[2]) + int(f[1])))

    def arrive(end):
        return min(size, math.ceil(end / PIECE) * PIECE) / rate
    p0 = min(p for p, _ in pk)
    first = max(arrive(e) for p, e in pk if p == p0)
    late = max(arrive(e) - first - (p - p0) for p, e in pk)
    return first, max(0.0, late), size / rate


# --------------------------------------------------------------------- main

def main():
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    xs = [float(x) for x in os.environ.get("BENCH_X", "1.05,1.1,1.25,2").split(",")]
    seconds = int(os.environ.get("BENCH_SECONDS", "40"))
    want = os.environ.get("BENCH_CLIENTS", "swarmplay,peerflix,libtorrent").split(",")
    sp_log = os.environ.get("BENCH_SP_LOG", "info")
    if os.geteuid() != 0:
        swarm.skip("needs root for ip netns and tc")
    for t in ("ip", "tc", "ffmpeg", "ffprobe", "aria2c"):
        swarm.need(t)
    exe = swarm.swarmplay()
    lt = swarm.lt()
    npm_dir = os.environ.get("SP_NPM_DIR", os.path.join(src_root, "build-npm"))
    peerflix = os.path.join(npm_dir, "node_modules", ".bin", "peerflix")
    clients = [c for c in ("swarmplay", "peerflix", "libtorrent") if c in want]
    if "peerflix" in clients and not os.path.exists(peerflix):
        log("peerflix not found at %s (tests/deps.sh installs it): left out" % peerflix)
        clients.remove("peerflix")

    t_start = time.time()
    load_start = os.getloadavg()
    base = os.environ.get("SP_BUILDDIR", tempfile.gettempdir())
    root = tempfile.mkdtemp(prefix="bench-tight-", dir=base)
    if os.environ.get("BENCH_KEEP") != "1":
        atexit.register(shutil.rmtree, root, True)
    # the clip is repeatable (x264 -threads 1): kept between runs of the bench
    cache = os.path.join(base, "bench-tight-cache")
    os.makedirs(cache, exist_ok=True)
    cached = os.path.join(cache, "clip-%ds.mp4" % seconds)
    if not os.path.exists(cached):
        log("making the %d s 720p clip (once; kept in %s)" % (seconds, cache))
        tmp = cached + ".tmp.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=%d" % seconds,
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%d"
                        % seconds, "-c:v", "libx264", "-threads", "1", "-preset", "veryfast",
                        "-b:v", "2850k", "-maxrate", "2850k", "-bufsize", "2850k", "-g", "50",
                        "-pix_fmt", "yuv420p", "-flags", "+bitexact", "-c:a", "aac",
                        "-b:a", "128k", "-fflags", "+bitexact", "-movflags", "+faststart", tmp],
                       check=True)
        os.rename(tmp, cached)
    seed_dir = os.path.join(root, "seed")
    os.makedirs(seed_dir)
    media = os.path.join(seed_dir, "clip.mp4")
    shutil.copyfile(cached, media)
    size = os.path.getsize(media)
    tstream = os.path.join(root, "clip.tstream")
    r = subprocess.run([exe, "create", media, "-o", tstream, "--piece-size", str(PIECE), "-q"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        swarm.fail("swarmplay create: " + r.stderr)
    ti = lt.torrent_info(tstream)
    bitrate = size / seconds  # bytes/s, container and audio included
    log("video: %d s 1280x720 H.264+AAC, %d bytes (%.0f kbit/s), %d pieces of %d KiB" %
        (seconds, size, bitrate * 8 / 1000, ti.num_pieces(), ti.piece_length() // 1024))
    log("load average at the start: %.2f %.2f %.2f" % load_start)

    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy", LC_ALL="C",
               LANG="C", LANGUAGE="", SWARMPLAY_LOG=sp_log)
    sp_args = ["--no-tracker", "--no-video", "--no-audio", "--exit-at-end"]

    def run_swarmplay(src, d, peers, ns=None, timeout=None):
        """(spawn, first frame, exit, stats, log path) of one play, times
        from time.monotonic()."""
        stats = os.path.join(d, "stats.json")
        logp = os.path.join(d, "swarmplay.log")
        args = [exe, "play", src, "-d", os.path.join(d, "dl"), "--no-resume", "--stats-json", stats] + \
            [a for p in peers for a in ("--peer", p)] + sp_args
        logf = open(logp, "w")
        t0 = time.monotonic()
        if ns:
            p = net.popen(ns, args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        else:
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=env, start_new_session=True)
        rd = Lines(p.stderr, logf)
        try:
            p.wait(timeout=timeout or seconds * 3 + 60)
        except subprocess.TimeoutExpired:
            kill_group(p)
        t_exit = time.monotonic()
        rd.join(5)
        logf.close()
        first = next((t for t, l in rd.lines if "first frame after" in l), None)
        try:
            st = swarm.read_json(stats)
        except (OSError, ValueError):
            st = {}
        return t0, first, t_exit, p.returncode, st, logp

    # calibration: the same file from the local disk, no network
    cal_dir = os.path.join(root, "calibration")
    os.makedirs(cal_dir)
    if os.environ.get("BENCH_CALIBRATION") or "swarmplay" not in clients:
        calib = float(os.environ.get("BENCH_CALIBRATION", seconds))
        log("calibration: %.3f s given (BENCH_CALIBRATION), not measured" % calib)
    else:
        t0, first, t_exit, rc, st, _ = run_swarmplay(media, cal_dir, [])
        if first is None or rc != 0:
            swarm.fail("swarmplay could not play the local file (rc %s)" % rc)
        calib = t_exit - first
        log("calibration: swarmplay plays the local file: first frame %.3f s from the spawn, "
            "first frame to exit %.3f s (taken as 'no stall'), ttff_ms %s" %
            (first - t0, calib, st.get("ttff_ms")))

    net = Net()

    def cleanup(*_):
        net.down()
    atexit.register(cleanup)

    def on_signal(signum, _frame):
        cleanup()
        sys.exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        net.up()
    except RuntimeError as e:
        net.down()
        swarm.skip("cannot make the namespaces or tc classes: %s" % e)
    peers = ["%s:%d" % (ip, SEED_PORT0 + i) for i, ip in enumerate(SEED_IPS)]
    log("namespaces %s (clients, %s) and %s (seeders %s: %s), HTB per seeder, bfifo %d ms" %
        (net.cns, CLIENT_IP, net.sns, ", ".join(SEED_IPS), "+".join(SEED_KINDS),
         QUEUE_S * 1000))

    def start_seeders(run_dir):
        cfg = {"torrent": tstream, "data": seed_dir, "ips": SEED_IPS, "kinds": SEED_KINDS,
               "logdir": run_dir, "rpc_port": 6800}
        p = net.popen(net.sns, ["/usr/bin/python3", os.path.abspath(__file__), "--seeds-host",
                                json.dumps(cfg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=open(os.path.join(run_dir, "seeders.log"), "w"), text=True)
        line = p.stdout.readline().strip()
        if line != "ready":
            kill_group(p)
            swarm.fail("seeders did not start: %r (see %s)" % (line, run_dir))
        return p

    def seeder_stats(p):
        p.stdin.write("stats\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line.startswith("stats "):
            return None
        return json.loads(line[6:])

    def stop_seeders(p):
        try:
            p.stdin.write("quit\n")
            p.stdin.flush()
            p.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(p)
        net.procs.remove(p)

    def client_swarmplay(d):
        t0, first, t_exit, rc, st, logp = run_swarmplay(tstream, d, peers, ns=net.cns)
        r = {"rc": rc, "log": logp}
        if first is not None:
            r["first"] = first - t0
            r["stall"] = (t_exit - first) - calib
            r["first_to_last"] = t_exit - first
            if st.get("download_ms") is not None and st.get("ttff_ms") is not None:
                # download_ms counts from the player's clock start, which is
                # first - ttff_ms after the spawn
                offset = r["first"] - st["ttff_ms"] / 1000
                r["whole"] = offset + st["download_ms"] / 1000
        r["sp"] = {k: st.get(k) for k in ("ttff_ms", "download_ms", "stalls", "stall_ms",
                                          "bytes", "read_wait_ms", "frames_presented",
                                          "frames_dropped", "position_s")}
        if "wasted" in st.get("bytes", {}) or "wasted" in st:
            r["sp"]["wasted"] = st.get("bytes", {}).get("wasted", st.get("wasted"))
        return r

    def client_peerflix(d):
        dl = os.path.join(d, "dl")
        os.makedirs(dl)
        done, listening = os.path.join(d, "downloaded"), os.path.join(d, "listening")
        hp = 8888
        args = [peerflix, tstream] + [a for p in peers for a in ("-e", p)] + \
            ["-p", str(hp), "-f", dl, "-q", "--on-listening", "touch " + listening,
             "--on-downloaded", "touch " + done]
        logf = open(os.path.join(d, "peerflix.log"), "w")
        t0 = time.monotonic()
        p = net.popen(net.cns, args, stdout=logf, stderr=subprocess.STDOUT)
        r = {}
        end = t0 + seconds * 3 + 60
        while not os.path.exists(listening) and time.monotonic() < end and p.poll() is None:
            time.sleep(0.005)
        ff = ffmpeg_reader("http://127.0.0.1:%d/" % hp, ns=net.cns, net=net)
        rd = Lines(ff.stdout)
        whole = None
        while time.monotonic() < end:
            if whole is None and os.path.exists(done):
                whole = time.monotonic()
            if whole is not None and ff.poll() is not None:
                break
            time.sleep(0.01)
        rd.join(5)
        kill_group(ff)
        kill_group(p)
        logf.close()
        first, stall, n = virtual_play(frames_of(rd.lines))
        r.update({"rc": ff.returncode, "frames": n})
        if first is not None:
            r.update({"first": first - t0, "stall": stall})
        if whole is not None:
            r["whole"] = whole - t0
        return r

    def client_libtorrent(d):
        dl = os.path.join(d, "dl")
        os.makedirs(dl)
        cfg = {"torrent": tstream, "dir": dl, "peers": peers, "timeout": seconds * 3 + 60}
        t0 = time.monotonic()
        p = net.popen(net.cns, ["/usr/bin/python3", os.path.abspath(__file__), "--lt-client",
                                json.dumps(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ff = ffmpeg_reader("pipe:0", stdin=p.stdout)
        p.stdout.close()  # ffmpeg holds it now
        ev = Lines(p.stderr)
        rd = Lines(ff.stdout)
        try:
            p.wait(timeout=seconds * 3 + 70)
        except subprocess.TimeoutExpired:
            kill_group(p)
        try:
            ff.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(ff)
        ev.join(5)
        rd.join(5)
        first, stall, n = virtual_play(frames_of(rd.lines))
        r = {"rc": p.returncode, "frames": n}
        if first is not None:
            r.update({"first": first - t0, "stall": stall})
        whole = next((t for t, l in ev.lines if l == "whole"), None)
        if whole is not None:
            r["whole"] = whole - t0
        st = next((l for t, l in ev.lines if l.startswith("stats ")), None)
        if st:
            r["lt"] = json.loads(st[6:])
        return r

    fns = {"swarmplay": client_swarmplay, "peerflix": client_peerflix,
           "libtorrent": client_libtorrent}
    results = {}
    limits = {}
    for x in xs:
        cap = x * bitrate  # payload bytes/s of the whole swarm
        wire = cap / EFF / len(SEED_IPS)
        net.set_rates([wire] * len(SEED_IPS))
        limits[x] = physical(media, size, cap)
        log("x %.2f: capacity %.0f kB/s payload (%d x %.0f kbit/s wire); physical limit: "
            "first frame %.2f s, stall %.2f s, whole file %.1f s" %
            (x, cap / 1000, len(SEED_IPS), wire * 8 / 1000, *limits[x]))
        for rep in range(runs):
            for c in clients:
                d = os.path.join(root, "x%g-%s-%d" % (x, c, rep + 1))
                os.makedirs(d)
                seeders = start_seeders(d)
                before_tc, before = net.counters(), seeder_stats(seeders)
                r = fns[c](d)
                time.sleep(0.3)  # what is still in the queues
                after_tc, after = net.counters(), seeder_stats(seeders)
                stop_seeders(seeders)
                per = [a["payload"] - b["payload"] for a, b in zip(after, before)]
                r["seeders"] = dict(zip(("%s@%s" % (a["kind"], a["ip"]) for a in after), per))
                r["sent"] = sum(per)
                r["wire"] = sum(after_tc[i][0] - before_tc[i][0] for i in after_tc)
                pkts = sum(after_tc[i][1] - before_tc[i][1] for i in after_tc)
                r["link"] = r["wire"] - HDR * pkts
                r["drops"] = sum(after_tc[i][2] - before_tc[i][2] for i in after_tc)
                r.update({"x": x, "client": c, "run": rep + 1, "size": size,
                          "sent_ratio": r["sent"] / size, "link_ratio": r["link"] / size})
                if c == "swarmplay":
                    useful = (r["sp"].get("bytes") or {}).get("peers")
                    if useful is not None:
                        r["sent_minus_useful"] = r["sent"] - useful
                results.setdefault((x, c), []).append(r)
                short = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                         if k not in ("log",)}
                print("RUN " + json.dumps(short))
                log("x %.2f %-10s run %d: first %s s, stall %s s, whole %s s, sent/size %.3f "
                    "(on the link %.3f, tc drops %d)" % (
                        x, c, rep + 1, fmt(r.get("first"), 2), fmt(r.get("stall"), 2),
                        fmt(r.get("whole"), 1), r["sent_ratio"], r["link_ratio"], r["drops"]))
    net.down()
    load_end = os.getloadavg()

    print()
    print("Video %d s, %d bytes (%.0f kbit/s), %d pieces of 256 KiB; 4 seeders (%s) at "
          "X x bitrate / 4 each; %d run(s) per cell; swarmplay's local-file calibration %.2f s; "
          "load average %.2f at the start, %.2f at the end; %.0f s in all." % (
              seconds, size, bitrate * 8 / 1000, ti.num_pieces(), "+".join(SEED_KINDS), runs,
              calib, load_start[0], load_end[0], time.time() - t_start))
    print()
    print("| swarm | client | first frame (median) | stall time per play | whole file "
          "(median) | seeders sent / file size | TCP payload on the link (tc) / file size |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for x in xs:
        ff, st, wh = limits[x]
        print("| %.2f x | physical limit | %.2f s | %.2f s | %.1f s | 1.000 | %.3f |" %
              (x, ff, st, wh, 16397.0 / 16384.0))
        for c in clients:
            rs = results.get((x, c), [])
            print("| %.2f x | %s | %s | %s | %s | %s | %s |" % (
                x, c, med(rs, "first", 2, " s"),
                " / ".join(fmt(r.get("stall"), 2) for r in rs) + " s",
                med(rs, "whole", 1, " s"), span(rs, "sent_ratio"), span(rs, "link_ratio")))
    sp_rows = [(x, r) for x in xs for r in results.get((x, "swarmplay"), [])]
    if sp_rows:
        print()
        print("swarmplay's own counters (--stats-json) next to the seeders':")
        print()
        print("| swarm | run | seeders sent (their counters) | on the link (tc) | bytes.peers "
              "(useful) | sent - useful | bytes.wasted | stalls / stall_ms | ttff_ms | "
              "read_wait_ms |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for x, r in sp_rows:
            sp = r["sp"]
            print("| %.2f x | %d | %d | %d | %s | %s | %s | %s / %s | %s | %s |" % (
                x, r["run"], r["sent"], r["link"], (sp.get("bytes") or {}).get("peers", "-"),
                r.get("sent_minus_useful", "-"),
                json.dumps(sp["wasted"]) if "wasted" in sp else "(no key)",
                sp.get("stalls"), sp.get("stall_ms"), sp.get("ttff_ms"),
                sp.get("read_wait_ms")))
    print()
    print("work directory:", root, "(kept)" if os.environ.get("BENCH_KEEP") == "1" else
          "(removed; BENCH_KEEP=1 keeps it)")
    return 0


def fmt(v, nd):
    return "-" if v is None else "%.*f" % (nd, v)


def med(rs, k, nd, unit=""):
    v = [r[k] for r in rs if r.get(k) is not None]
    return "%.*f%s" % (nd, statistics.median(v), unit) if v else "-"


def span(rs, k):
    v = [r[k] for r in rs if r.get(k) is not None]
    if not v:
        return "-"
    lo, hi = min(v), max(v)
    return "%.3f" % lo if abs(hi - lo) < 0.0005 else "%.3f - %.3f" % (lo, hi)


if __name__ == "__main__":
    sys.exit(main())
