#!/usr/bin/python3
"""bench-serve.py - `swarmplay serve` against peerflix, both streaming
over HTTP to the same player on the same rate-limited swarm (one
libtorrent seeder on 127.0.0.1, upload capped at RATE x the video's
bitrate, a fresh seeder and download directory each run).

The player is `ffmpeg -re -i URL -map 0:v:0 -f framemd5 -` (paced at the
video's rate, as a player plays it): each frame's line is timed as it
comes out.
  - first frame: from the server's launch to the first frame;
  - lag: how far the frames fall behind real time after the first one
    (frame n due at first + n / fps); the largest lag is what a player
    starting at the first frame would have spent stalled in all;
  - stalls: times the lag grew by more than 0.25 s (a visible stall);
  - frames: all of them, or the run is marked incomplete.
Median of RUNS runs each. Prints a markdown table (bench/serve/README.md
keeps one run). Environment: SWARMPLAY (the binary), SP_NPM_DIR (default:
<src>/build-npm), BENCH_RUNS, BENCH_SECONDS, BENCH_RATE."""
import os, shutil, signal, socket, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
src_root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src_root, "tests", "lib"))
import swarm

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "1.5"))
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
rate = int(size / SECONDS * RATE)
print("video: %d s, %d bytes; seeder capped at %d kB/s (%.1f x bitrate)" %
      (SECONDS, size, rate // 1000, RATE))


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
    while time.time() - t0 < 30:
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return True
        except OSError:
            time.sleep(0.01)
    return False


def play(url, t0):
    """(first frame s, largest lag s, stalls, frames) of a paced ffmpeg."""
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", url,
                          "-map", "0:v:0", "-flush_packets", "1", "-f", "framemd5", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    first, lag, stalls, n, last_lag = None, 0.0, 0, 0, 0.0
    deadline = time.time() + SECONDS * 6 + 60
    for line in p.stdout:
        if line.startswith(b"#") or not line.strip():
            continue
        now = time.time()
        if first is None:
            first = now
        late = now - (first + n / FPS)
        if late - last_lag > 0.25:
            stalls += 1
        last_lag = max(late, 0.0)
        lag = max(lag, late)
        n += 1
        if now > deadline:
            break
    kill_group(p)
    return (first - t0 if first else None), lag, stalls, n


def run_swarmplay(seeder):
    port = swarm.free_port()
    t0 = time.time()
    p = subprocess.Popen([exe, "serve", tstream, "-d", fresh("sp"), "--peer", seeder.peer,
                          "--no-tracker", "--http", "127.0.0.1:%d" % port],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    url = p.stdout.readline().decode().strip()
    try:
        return play(url, t0)
    finally:
        kill_group(p)


def run_peerflix(seeder):
    port = swarm.free_port()
    t0 = time.time()
    p = subprocess.Popen([peerflix, tstream, "-e", seeder.peer, "-p", str(port), "-f",
                          fresh("pf"), "-q"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_port(port, t0):
            return None, 0, 0, 0
        return play("http://127.0.0.1:%d/" % port, t0)
    finally:
        kill_group(p)


clients = [("swarmplay serve", run_swarmplay)]
if os.path.exists(peerflix):
    clients.append(("peerflix 0.39", run_peerflix))
else:
    print("peerflix not found at %s (tests/deps.sh installs it): left out" % peerflix)
results = {name: [] for name, _ in clients}
for run in range(RUNS):
    for name, fn in clients:
        seeder = swarm.Seeder(tstream, seed_dir, rate)
        try:
            r = fn(seeder)
        finally:
            seeder.stop()
        print("run %d %-16s first frame %s, largest lag %.2f s, %d stalls, %d frames" %
              (run + 1, name, "%.2f s" % r[0] if r[0] is not None else "none", r[1], r[2],
               r[3]), flush=True)
        results[name].append(r)

print()
print("| server (HTTP to ffmpeg -re) | first frame, median | largest lag, median | "
      "stalls, median | all %d frames |" % (SECONDS * FPS))
print("| --- | --- | --- | --- | --- |")
for name, rs in results.items():
    firsts = [r[0] for r in rs if r[0] is not None]
    print("| %s | %s | %.2f s | %d | %d of %d runs |" %
          (name, "%.2f s" % statistics.median(firsts) if firsts else "none",
           statistics.median(r[1] for r in rs), statistics.median(r[2] for r in rs),
           sum(r[3] >= SECONDS * FPS for r in rs), len(rs)))
