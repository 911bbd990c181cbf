#!/usr/bin/python3
"""bench-play.py - swarmplay play against the streaming clients people use.

1. Time to first frame on the same rate-limited swarm (one libtorrent
   seeder on 127.0.0.1, upload capped at RATE x the video's bitrate):
   - swarmplay play --no-video --no-audio: ttff_ms from its stats file
     (command start to the first frame presented);
   - peerflix 0.39 (npm): launch to the first frame `ffmpeg` decodes from
     its HTTP stream;
   - a libtorrent 2.0 streaming client tuned as a streaming user would tune
     it (sequential download, set_piece_deadline on a small window ahead
     of the read position, tick_interval 100 ms, initial_picker_threshold
     0, not auto-managed) that pipes verified pieces in order into
     `ffmpeg -i pipe:0 -frames:v 1`: session start to that frame.
   Median of RUNS runs each, fresh download directory and seeder each run.
2. Playback CPU seconds (user + system) and peak RSS on the same local
   file: swarmplay play --no-video vs ffplay -autoexit -nodisp (ffplay's
   -nodisp turns video decoding off, so both are also measured with a
   window on SDL's dummy video driver, the same work), and ffmpeg's
   unpaced decode as the floor.
3. The same with subtitles on (a SubRip file, one line a second, accents):
   swarmplay play --sub (libass, window on SDL's dummy driver) vs ffplay
   -vf subtitles= (libass burns them into each frame) and mpv --vo=null
   --ao=null --sub-file (a second anchor: mpv decodes and times the
   subtitles, with no video output to draw them on).

Prints a markdown table (bench/play/README.md keeps one run). Environment:
SWARMPLAY (the binary), SP_NPM_DIR (default: <src>/build-npm), BENCH_RUNS,
BENCH_SECONDS, BENCH_RATE, BENCH_CLIENTS (names, comma-separated),
SWARMPLAY_BASELINE (another build's binary, timed beside SWARMPLAY in part 1);
BENCH_SUBS_ONLY=1 runs part 3 alone (with the
window rows of part 2 beside it)."""
import os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
src_root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src_root, "tests", "lib"))
import swarm

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "2.0"))
exe = swarm.swarmplay()
lt = swarm.lt()
swarm.need("ffmpeg", "ffplay")
SUBS_ONLY = bool(os.environ.get("BENCH_SUBS_ONLY"))
npm_dir = os.environ.get("SP_NPM_DIR", os.path.join(src_root, "build-npm"))
peerflix = os.path.join(npm_dir, "node_modules", ".bin", "peerflix")
root = swarm.workdir("bench-play")
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = os.path.join(seed_dir, "bench.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=%d" % SECONDS,
                "-f", "lavfi", "-i", "sine=frequency=440:duration=%d" % SECONDS,
                "-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-b:v", "1200k",
                "-maxrate", "1200k", "-bufsize", "1200k", "-g", "50", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", media], check=True)
tstream = swarm.create_tstream(media, os.path.join(root, "bench.tstream"), ["-q"])
srt = os.path.join(seed_dir, "bench.srt")
with open(srt, "w") as f:
    for i in range(SECONDS):
        f.write("%d\n00:00:%02d,100 --> 00:00:%02d,900\nLa mise en mémoire n°%d, déjà vue\n\n"
                % (i + 1, i, i, i + 1))
size = os.path.getsize(media)
ti = lt.torrent_info(tstream)
rate = int(size / SECONDS * RATE)
print("video: %d s, %d bytes, %d pieces of %d KiB; seeder capped at %d kB/s (%.1f x bitrate)" %
      (SECONDS, size, ti.num_pieces(), ti.piece_length() // 1024, rate // 1000, RATE))


def fresh(name):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def kill_group(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def ttff_swarmplay(seeders, binary=exe):
    stats = os.path.join(fresh("sp"), "stats.json")
    peers = [a for s in seeders for a in ("--peer", s.peer)]
    p = subprocess.Popen([binary, "play", tstream, "-d", os.path.dirname(stats)] + peers +
                         ["--no-tracker", "--no-video", "--no-audio", "--no-resume", "--stats-json", stats],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    end = time.time() + 60
    ttff = None
    while time.time() < end and p.poll() is None and ttff is None:
        try:
            ttff = swarm.read_json(stats).get("ttff_ms")
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    kill_group(p)
    return ttff / 1000 if ttff is not None else None


def ttff_peerflix(seeders):
    d = fresh("pf")
    hp = swarm.free_port()
    peers = [a for s in seeders for a in ("-e", s.peer)]
    t0 = time.time()
    p = subprocess.Popen([peerflix, tstream] + peers + ["-p", str(hp), "-f", d, "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        while time.time() - t0 < 30:
            try:
                socket.create_connection(("127.0.0.1", hp), 0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i",
                            "http://127.0.0.1:%d/" % hp, "-frames:v", "1", "-f", "null", "-"],
                           capture_output=True, timeout=60)
        return time.time() - t0 if r.returncode == 0 else None
    except subprocess.TimeoutExpired:
        return None
    finally:
        kill_group(p)


def ttff_libtorrent(seeders, window=3, step_ms=100):
    d = fresh("lt")
    t0 = time.time()
    ses = lt.session({"listen_interfaces": "127.0.0.1:%d" % swarm.free_port(),
                      "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
                      "enable_natpmp": False, "alert_mask": 0, "tick_interval": 100,
                      "initial_picker_threshold": 0,
                      # every seeder of the bench is on 127.0.0.1
                      "allow_multiple_connections_per_ip": True,
                      "smooth_connects": False})
    h = ses.add_torrent({"ti": lt.torrent_info(tstream), "save_path": d,
                         "flags": lt.torrent_flags.sequential_download})
    for sd in seeders:
        h.connect_peer(("127.0.0.1", sd.port))
    plen, n = ti.piece_length(), ti.num_pieces()
    for i in range(min(window, n)):
        h.set_piece_deadline(i, i * step_ms)
    ff = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "pipe:0",
                           "-frames:v", "1", "-f", "null", "-"], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = os.path.join(d, ti.files().file_path(0))
    piece, result = 0, None
    try:
        while time.time() - t0 < 60:
            if ff.poll() is not None:
                result = time.time() - t0 if ff.returncode == 0 else None
                break
            if piece < n and h.have_piece(piece):
                if piece == 0:
                    print("  libtorrent: piece 0 verified after %.3f s" % (time.time() - t0))
                with open(path, "rb") as f:
                    f.seek(piece * plen)
                    data = f.read(plen)
                try:
                    ff.stdin.write(data)
                    ff.stdin.flush()
                except BrokenPipeError:
                    pass
                piece += 1
                # the window moves with the read position
                for i in range(piece, min(piece + window, n)):
                    h.set_piece_deadline(i, (i - piece) * step_ms)
                if piece == n:
                    ff.stdin.close()
                continue
            time.sleep(0.002)
    finally:
        if ff.poll() is None:
            ff.kill()
        ff.wait()
        ses.pause()
    return result


clients = [("swarmplay", ttff_swarmplay), ("libtorrent (deadline, sequential)", ttff_libtorrent)]
# another build of swarmplay, measured in the same runs (a change's before
# and after): SWARMPLAY_BASELINE=path/to/swarmplay
baseline = os.environ.get("SWARMPLAY_BASELINE")
if baseline:
    clients.insert(1, ("swarmplay baseline", lambda sd: ttff_swarmplay(sd, baseline)))
if os.path.exists(peerflix):
    clients.append(("peerflix 0.39", ttff_peerflix))
else:
    print("peerflix not found at %s (tests/deps.sh installs it): left out" % peerflix)
# Two swarms with the same total upload: one seeder at RATE x the bitrate,
# and four home-like seeders at a quarter of that each.
SWARMS = [("1 seeder at %.1f x bitrate" % RATE, 1), ("4 seeders at %.2f x bitrate each" %
                                                     (RATE / 4), 4)]
only = os.environ.get("BENCH_CLIENTS")
if SUBS_ONLY:
    clients, SWARMS = [], []
if only:
    clients = [c for c in clients if any(o in c[0] for o in only.split(","))]
ttffs = {(sw, name): [] for sw, _ in SWARMS for name, _ in clients}
for run in range(RUNS):
    for sw, nseed in SWARMS:
        for name, fn in clients:
            seeders = [swarm.Seeder(tstream, seed_dir, rate // nseed) for _ in range(nseed)]
            time.sleep(0.3)
            v = fn(seeders)
            for sd in seeders:
                sd.stop()
            ttffs[(sw, name)].append(v)
            print("run %d %-34s %-32s %s" % (run + 1, sw, name,
                                              "%.3f s" % v if v is not None else "failed"))


def med(vals):
    ok = [v for v in vals if v is not None]
    return statistics.median(ok) if ok else None


def rusage_run(args, env=None):
    e = dict(os.environ, SDL_AUDIODRIVER="dummy")
    e.update(env or {})
    t0 = time.time()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=e)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, time.time() - t0


cpu_rows = [
    ("swarmplay play --no-video", [exe, "play", media, "--no-video", "--exit-at-end"], None),
    ("ffplay -autoexit -nodisp (no video decoding)",
     ["ffplay", "-loglevel", "error", "-autoexit", "-nodisp", media], None),
    ("swarmplay play, window (SDL dummy)", [exe, "play", media, "--exit-at-end"],
     {"SDL_VIDEODRIVER": "dummy"}),
    ("ffplay -autoexit, window (SDL dummy)", ["ffplay", "-loglevel", "error", "-autoexit", media],
     {"SDL_VIDEODRIVER": "dummy"}),
    ("ffmpeg -f null (decode only, unpaced)",
     ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", media, "-f", "null", "-"], None),
]
cpu_rows.append(("swarmplay play .tstream from the swarm (1 seeder), --no-video", None, None))
sub_rows = [
    ("swarmplay play --sub, window (SDL dummy)",
     [exe, "play", media, "--exit-at-end", "--no-config", "--no-resume", "--sub", srt],
     {"SDL_VIDEODRIVER": "dummy"}),
    ("ffplay -vf subtitles=, window (SDL dummy)",
     ["ffplay", "-loglevel", "error", "-autoexit", "-vf", "subtitles=" + srt, media],
     {"SDL_VIDEODRIVER": "dummy"}),
    ("mpv --vo=null --ao=null --sub-file",
     ["mpv", "--no-config", "--really-quiet", "--vo=null", "--ao=null", "--sub-file=" + srt,
      media], None),
]
if not shutil.which("mpv"):
    print("mpv not found (Debian mpv): its row left out")
    sub_rows = sub_rows[:2]
if SUBS_ONLY:
    cpu_rows = [r for r in cpu_rows if "window" in r[0]]
cpu_rows += sub_rows


def rusage_swarm():
    seeder = swarm.Seeder(tstream, seed_dir, rate)
    time.sleep(0.3)
    try:
        return rusage_run([exe, "play", tstream, "-d", fresh("sp-cpu"), "--peer", seeder.peer,
                           "--no-tracker", "--no-video", "--no-resume", "--exit-at-end"])
    finally:
        seeder.stop()


cpu = {}
if os.environ.get("BENCH_NO_CPU"):
    cpu_rows = []
for name, args, env in cpu_rows:
    runs = [rusage_run(args, env) if args else rusage_swarm() for _ in range(RUNS)]
    cpu[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
                 statistics.median(r[2] for r in runs))

print()
print("| swarm | client | time to first frame (median of %d) | runs | ratio swarmplay / client |"
      % RUNS)
print("| --- | --- | --- | --- | --- |")
goals = []
for sw, _ in SWARMS:
    sp = med(ttffs.get((sw, "swarmplay"), []))
    for name, _ in clients:
        m = med(ttffs[(sw, name)])
        runs = ", ".join("%.2f" % v if v is not None else "fail" for v in ttffs[(sw, name)])
        ratio = "%.2f" % (sp / m) if sp and m else "-"
        print("| %s | %s | %s | %s | %s |" % (sw, name, "%.2f s" % m if m else "-", runs, ratio))
    others = [med(ttffs[(sw, n)]) for n, _ in clients if n != "swarmplay" and med(ttffs[(sw, n)])]
    if sp and others:
        best = min(others)
        goals.append("goal ttff <= 0.5 x best other, %s: %.2f s vs %.2f s, ratio %.2f -> %s" %
                     (sw, sp, best, sp / best, "met" if sp <= 0.5 * best else "NOT met"))
print()
print("| playback of the %d s file | CPU s (median) | peak RSS MiB | wall s |" % SECONDS)
print("| --- | --- | --- | --- |")
for name, _, _ in cpu_rows:
    c, rss, wall = cpu[name]
    print("| %s | %.2f | %.0f | %.1f |" % (name, c, rss, wall))
print()
for g in goals:
    print(g)
if not cpu:
    sys.exit(0)
s = cpu["swarmplay play --sub, window (SDL dummy)"]
for name in [r[0] for r in sub_rows[1:]]:
    o = cpu[name]
    print("goal with subtitles <= 1.1 x %s: CPU %.2f x (%s), RSS %.2f x (%s)"
          % (name.split(" ")[0], s[0] / o[0], "met" if s[0] <= 1.1 * o[0] else "NOT met",
             s[1] / o[1], "met" if s[1] <= 1.1 * o[1] else "NOT met"))
if SUBS_ONLY:
    sys.exit(0)
a = cpu["swarmplay play, window (SDL dummy)"][0] / cpu["ffplay -autoexit, window (SDL dummy)"][0]
b = cpu["swarmplay play --no-video"][0] / cpu["ffplay -autoexit -nodisp (no video decoding)"][0]
print("goal CPU <= 1.1 x ffplay: window %.2f x (%s); --no-video vs -nodisp %.2f x (%s, unequal work)"
      % (a, "met" if a <= 1.1 else "NOT met", b, "met" if b <= 1.1 else "NOT met"))
