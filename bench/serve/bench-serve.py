#!/usr/bin/python3
"""bench-serve.py - `swarmplay serve` against peerflix and a tuned
libtorrent HTTP server (lt-http.py), all streaming over HTTP to the same
player on the same rate-limited swarm (one libtorrent seeder on
127.0.0.1, upload capped at RATE x the video's bitrate, a fresh seeder and
download directory each run).

The player is `ffmpeg -re -i URL -map 0:v:0 -f framemd5 -` (paced at the
video's rate, as a player plays it): each frame's line is timed as it
comes out.
  - first frame: from the server's launch to the first frame;
  - lag: how far the frames fall behind real time after the first one
    (frame n due at first + n / fps); the largest lag is what a player
    starting at the first frame would have spent stalled in all;
  - stalls: times the lag grew by more than 0.25 s (a visible stall);
  - frames: all of them, or the run is marked incomplete.
The player's own floor is measured too: the same ffmpeg on the same file
served whole by nginx, timed from ffmpeg's launch (every contender's first
frame includes it).
Median of RUNS runs each, for each rate. Prints markdown tables
(bench/serve/README.md keeps them). Environment: SWARMPLAY (the binary),
SP_NPM_DIR (default: <src>/build-npm), BENCH_RUNS, BENCH_SECONDS,
BENCH_RATES (comma-separated, default 1.25,1.5,1.1; BENCH_RATE: one),
BENCH_CLIENTS (comma-separated names: serve, peerflix, libtorrent),
BENCH_TRACE=1 (serve's debug log: its timeline, each run)."""
import os, shutil, signal, socket, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
src_root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src_root, "tests", "lib"))
import swarm
import net_util

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
RATES = [float(r) for r in os.environ.get("BENCH_RATES", os.environ.get("BENCH_RATE",
                                                                        "1.25,1.5,1.1")).split(",")]
WANT = os.environ.get("BENCH_CLIENTS", "serve,peerflix,libtorrent").split(",")
TRACE = os.environ.get("BENCH_TRACE") == "1"
FPS = 25
exe = swarm.swarmplay()
swarm.lt()
swarm.need("ffmpeg")
npm_dir = os.environ.get("SP_NPM_DIR", os.path.join(src_root, "build-npm"))
peerflix = os.path.join(npm_dir, "node_modules", ".bin", "peerflix")
root = swarm.workdir("bench-serve")
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = os.path.join(seed_dir, "bench.mp4")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=%d:duration=%d" % (FPS, SECONDS),
                "-f", "lavfi", "-i", "sine=frequency=440:duration=%d" % SECONDS,
                "-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-b:v", "1200k",
                "-maxrate", "1200k", "-bufsize", "1200k", "-g", "50", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", media], check=True)
tstream = swarm.create_tstream(media, os.path.join(root, "bench.tstream"), ["-q"])
size = os.path.getsize(media)
print("video: %d s, %d bytes; rates %s x bitrate" % (SECONDS, size, RATES))
now = time.monotonic  # CLOCK_MONOTONIC: the clock of swarmplay's log lines


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


def wait_port(port, t0):
    while now() - t0 < 30:
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return True
        except OSError:
            time.sleep(0.01)
    return False


def play(url, t0):
    """(first frame s, largest lag s, stalls, frames, ffmpeg launch s) of a
    paced ffmpeg; times from t0."""
    t_ff = now()
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", url,
                          "-map", "0:v:0", "-flush_packets", "1", "-f", "framemd5", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    first, lag, stalls, n, last_lag = None, 0.0, 0, 0, 0.0
    deadline = now() + SECONDS * 6 + 60
    for line in p.stdout:
        if line.startswith(b"#") or not line.strip():
            continue
        t = now()
        if first is None:
            first = t
        late = t - (first + n / FPS)
        if late - last_lag > 0.25:
            stalls += 1
        last_lag = max(late, 0.0)
        lag = max(lag, late)
        n += 1
        if t > deadline:
            break
    kill_group(p)
    return (first - t0 if first else None), lag, stalls, n, t_ff - t0


def timeline(log, t0, until):
    """serve's debug log lines up to `until` s, in ms from t0 (the
    picker's requests but the first few left out)."""
    out, reqs = [], 0
    with open(log, errors="replace") as f:
        for line in f:
            try:
                ts = float(line[1:].split(None, 1)[0].rstrip("]")) - t0
            except (ValueError, IndexError):
                continue
            if ts > until:
                break
            if "request source" in line:
                reqs += 1
                if reqs > 6:
                    continue
            out.append("%6.0f ms %s" % (ts * 1000, line[line.index("]") + 2:].strip()[:110]))
    return out


def run_swarmplay(seeder):
    port = swarm.free_port()
    log = os.path.join(root, "serve.log")
    env = dict(os.environ)
    if TRACE:
        env["SWARMPLAY_LOG"] = "debug"
    t0 = now()
    with open(log, "w") as lf:
        p = subprocess.Popen([exe, "serve", tstream, "-d", fresh("sp"), "--peer", seeder.peer,
                              "--no-tracker", "--http", "127.0.0.1:%d" % port],
                             stdout=subprocess.PIPE, stderr=lf, env=env,
                             start_new_session=True)
    url = p.stdout.readline().decode().strip()
    t_url = now() - t0
    try:
        r = play(url, t0)
    finally:
        kill_group(p)
    if TRACE:
        print("  serve: URL printed at %.0f ms, ffmpeg launched at %.0f ms, first frame "
              "at %.0f ms" % (t_url * 1000, r[4] * 1000, (r[0] or 0) * 1000))
        for l in timeline(log, t0, (r[0] or 5) + 0.05):
            print("   ", l)
    return r


def run_peerflix(seeder):
    port = swarm.free_port()
    t0 = now()
    p = subprocess.Popen([peerflix, tstream, "-e", seeder.peer, "-p", str(port), "-f",
                          fresh("pf"), "-q"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_port(port, t0):
            return None, 0, 0, 0, 0
        if TRACE:
            print("  peerflix: listening at %.0f ms" % ((now() - t0) * 1000))
        return play("http://127.0.0.1:%d/" % port, t0)
    finally:
        kill_group(p)


def run_libtorrent(seeder):
    port = swarm.free_port()
    log = os.path.join(root, "lt.log")
    env = dict(os.environ)
    if TRACE:
        env["LT_TRACE"] = "1"
    t0 = now()
    with open(log, "w") as lf:
        p = subprocess.Popen(["/usr/bin/python3", os.path.join(here, "lt-http.py"), tstream,
                              fresh("lt"), str(port), seeder.peer], stdout=subprocess.PIPE,
                             stderr=lf, env=env, start_new_session=True)
    url = p.stdout.readline().decode().strip()
    t_url = now() - t0
    try:
        r = play(url, t0) if url else (None, 0, 0, 0, 0)
    finally:
        kill_group(p)
    if TRACE:
        print("  libtorrent: URL printed at %.0f ms, first frame at %.0f ms" %
              (t_url * 1000, (r[0] or 0) * 1000))
        for l in timeline(log, t0, (r[0] or 5) + 0.05):
            print("   ", l)
    return r


floor_server = []


def run_floor(seeder):
    """The player alone: the whole file from nginx, timed from ffmpeg's
    launch (no swarm)."""
    if not floor_server:
        floor_server.append(net_util.Nginx(root, seed_dir, subprocess.DEVNULL, name="nginx"))
    return play(floor_server[0].url + "bench.mp4", now())


NAMES = {"serve": "swarmplay serve", "peerflix": "peerflix 0.39",
         "libtorrent": "libtorrent 2.0 (lt-http.py)"}
clients = []
for key, fn in (("serve", run_swarmplay), ("peerflix", run_peerflix),
                ("libtorrent", run_libtorrent)):
    if key not in WANT:
        continue
    if key == "peerflix" and not os.path.exists(peerflix):
        print("peerflix not found at %s (tests/deps.sh installs it): left out" % peerflix)
        continue
    clients.append((NAMES[key], fn))
FLOOR = "ffmpeg alone (nginx, whole file)"
floor = []
for run in range(RUNS):
    r = run_floor(None)
    print("run %d %-30s first frame %.2f s, %d frames" % (run + 1, FLOOR, r[0] or -1, r[3]),
          flush=True)
    floor.append(r)
if floor_server:
    floor_server[0].stop()
floor_med = statistics.median(r[0] for r in floor if r[0] is not None)


def fmt(x):
    return "%.2f s" % x if x is not None else "none"


tables = []
for rate_x in RATES:
    rate = int(size / SECONDS * rate_x)
    print("\nseeder capped at %d kB/s (%.2f x bitrate)" % (rate // 1000, rate_x), flush=True)
    results = {name: [] for name, _ in clients}
    for run in range(RUNS):
        for name, fn in clients:
            seeder = swarm.Seeder(tstream, seed_dir, rate)
            try:
                r = fn(seeder)
            finally:
                seeder.stop()
            print("run %d %-30s first frame %s, largest lag %.2f s, %d stalls, %d frames" %
                  (run + 1, name, fmt(r[0]), r[1], r[2], r[3]), flush=True)
            results[name].append(r)
    tables.append((rate_x, rate, results))

print("\nffmpeg alone (nginx, whole file, from ffmpeg's launch): first frame %s (runs %s)"
      % (fmt(floor_med), ", ".join(fmt(r[0]) for r in floor)))
for rate_x, rate, results in tables:
    med = {name: statistics.median(r[0] for r in rs if r[0] is not None)
           if any(r[0] is not None for r in rs) else None for name, rs in results.items()}
    others = [v for n, v in med.items() if n != NAMES["serve"] and v is not None]
    best = min(others) if others else None
    print("\nSeeder at %.2f x the bitrate (%d kB/s):\n" % (rate_x, rate // 1000))
    print("| server (HTTP to ffmpeg -re) | first frame, median | runs | x best other "
          "| x best other, ffmpeg floor taken off both | largest lag, median | stalls, median "
          "| all %d frames |" % (SECONDS * FPS))
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rs in results.items():
        m = med[name]
        ratio = "%.2f" % (m / best) if m is not None and best else "-"
        ratio_f = ("%.2f" % ((m - floor_med) / (best - floor_med))
                   if m is not None and best and best > floor_med else "-")
        print("| %s | %s | %s | %s | %s | %.2f s | %d | %d of %d runs |" %
              (name, fmt(m), " / ".join(fmt(r[0]) for r in rs), ratio, ratio_f,
               statistics.median(r[1] for r in rs), statistics.median(r[2] for r in rs),
               sum(r[3] >= SECONDS * FPS for r in rs), len(rs)))
