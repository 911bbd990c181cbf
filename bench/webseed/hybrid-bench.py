#!/usr/bin/python3
"""hybrid-bench.py - the hybrid policy on a real swarm on loopback (issue 6):
server share and stalls of `swarmplay play` for --webseed fallback, always
and never, with P2P capacity K x the video's bitrate.

The video is made now with ffmpeg (SECONDS s, ~1 Mbit/s H.264 + AAC, mp4
faststart) and turned into a .tstream by `swarmplay create -w URL`, the URL
of the file on an nginx on 127.0.0.1 (uncapped by default: a CDN much faster
than the video needs, the realistic and hard case; --ws-rate caps it per
connection: nginx's limit_rate lets each request send one second's worth at
once, so a cap only bites when it is below the client's request size per
second — sp_webseed asks for 32 KiB here, so e.g. 16384). For each K, SEEDERS libtorrent seeders each capped at
K x bitrate / SEEDERS (the swarm's P2P capacity is K x bitrate) are given
with --peer; for each mode one `swarmplay play --no-tracker --no-video
--no-audio --exit-at-end` into a fresh download directory. Per run:

  server %     bytes.webseed / (bytes.peers + bytes.webseed) of --stats-json
  nginx %      body bytes nginx logged for the file during the run, over the
               file's size (the cross-check; cancelled requests show up
               here as bytes sent but never counted by the player)
  seeders %    payload the libtorrent seeders uploaded during the run, over
               the file's size (duplicates and refused blocks included)
  stalls       stalls and stall ms after the first frame (--stats-json)
  TTFF         ttff_ms (command start to the first frame presented)
  frames       every --framehash line equals ffmpeg's framemd5 of the source

Goal (issue 6): zero stalls wherever a server exists (fallback, always), and
a server share of at most 10 % in fallback mode from K = 1.5 on.

Each cell is run RUNS times (modes interleaved, fresh seeders per K and
repeat); repeats beyond the first are left out when they would push the
whole bench past BUDGET seconds. Prints a markdown table (README.md keeps
runs of it) and the machine's load average.

usage: hybrid-bench.py [--runs N] [--seconds S] [--ks 0.5,1,1.5,3]
       [--seeders N] [--ws-rate BYTES_PER_S] [--budget S] [--modes LIST]
       [--markdown FILE]
Environment: SWARMPLAY (the binary), SP_BUILDDIR (work directory base)."""
import argparse, os, shutil, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(here)), "tests", "lib"))
import swarm
import net_util as nu

ap = argparse.ArgumentParser(description="swarmplay's hybrid policy on a real swarm on loopback")
ap.add_argument("--runs", type=int, default=2, help="runs per cell (default 2)")
ap.add_argument("--seconds", type=int, default=20, help="length of the video (default 20)")
ap.add_argument("--ks", default="0.5,1,1.5,3", help="P2P capacities, x the bitrate")
ap.add_argument("--seeders", type=int, default=4, help="libtorrent seeders (default 4)")
ap.add_argument("--ws-rate", type=int, default=0,
                help="nginx limit_rate per connection, bytes/s (default 0: uncapped; "
                "bites only below the request size per second)")
ap.add_argument("--budget", type=float, default=570,
                help="seconds; no repeat is started past this (default 570)")
ap.add_argument("--modes", default="fallback,always,never")
ap.add_argument("--markdown", help="also write the table to this file")
opt = ap.parse_args()
ks = [float(k) for k in opt.ks.split(",")]
modes = opt.modes.split(",")

t_start = time.time()
load_start = os.getloadavg()
swarm.need("ffmpeg")
swarm.lt()
exe = swarm.swarmplay()
root = swarm.workdir("bench-hybrid")
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=opt.seconds,
                         size="640x360", bitrate="1000k")
ref = swarm.framemd5(media)
size = os.path.getsize(media)
bitrate = size / opt.seconds  # bytes/s, audio and container included
logs = open(os.path.join(root, "servers.log"), "w")
ngx = nu.Nginx(root, seed_dir, logs, "limit_rate %d;" % opt.ws_rate if opt.ws_rate else "")
url = ngx.url + "clip.mp4"
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"), ["-q", "-w", url])
ti = swarm.lt().torrent_info(tstream)
print("video: %d s, %d bytes (%.0f kbit/s), %d frames, %d pieces of %d KiB; web seed %s %s; "
      "%d seeders per swarm" % (opt.seconds, size, bitrate * 8 / 1000, len(ref), ti.num_pieces(),
                                ti.piece_length() // 1024, url,
                                "capped at %d B/s per connection" % opt.ws_rate
                                if opt.ws_rate else "uncapped", opt.seeders))
print("load average at the start: %.2f %.2f %.2f" % load_start)
sys.stdout.flush()


def nginx_sent(offset):
    """(body bytes nginx logged for the file from byte offset of its access
    log on, GET count, new offset). Combined format: the field after the
    status is $body_bytes_sent."""
    total = gets = 0
    try:
        with open(ngx.access_log) as f:
            f.seek(offset)
            data = f.read()
            offset = f.tell()
    except OSError:
        return 0, 0, offset
    for line in data.splitlines():
        parts = line.split('"')
        if len(parts) > 2 and "/clip.mp4" in parts[1]:
            fields = parts[2].split()
            if len(fields) >= 2 and fields[1].isdigit():
                total += int(fields[1])
                gets += 1
    return total, gets, offset


def log_offset():
    try:
        return os.path.getsize(ngx.access_log)
    except OSError:
        return 0


def play(k, mode, rep, seeders):
    d = os.path.join(root, "run-%s-%s-%d" % (k, mode, rep))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    stats, hashes = os.path.join(d, "stats.json"), os.path.join(d, "frames.md5")
    peers = [a for s in seeders for a in ("--peer", s.peer)]
    args = [exe, "play", tstream] + peers + [
        "--no-tracker", "--no-video", "--no-audio", "--no-resume", "--exit-at-end", "--webseed", mode,
        "--stats-json", stats, "--framehash", hashes, "-d", os.path.join(d, "dl")]
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy",
               SWARMPLAY_LOG=os.environ.get("SWARMPLAY_LOG", "info"))
    up0 = sum(s.uploaded() for s in seeders)
    off = log_offset()
    load0 = os.getloadavg()[0]
    t0 = time.time()
    with open(os.path.join(d, "play.log"), "w") as log:
        p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            rc = p.wait(timeout=opt.seconds * 4 + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = None
    wall = time.time() - t0
    time.sleep(0.2)  # nginx logs a request when it ends
    sent, gets, _ = nginx_sent(off)
    st = swarm.read_json(stats) if os.path.exists(stats) else {}
    got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
    by = st.get("bytes", {})
    pb, wb = by.get("peers", 0), by.get("webseed", 0)
    r = {"rc": rc, "wall": wall, "peers": pb, "webseed": wb,
         "share": wb / (pb + wb) if pb + wb else None, "nginx": sent, "gets": gets,
         "lt_up": sum(s.uploaded() for s in seeders) - up0,
         "stalls": st.get("stalls"), "stall_ms": st.get("stall_ms"), "ttff": st.get("ttff_ms"),
         "download_ms": st.get("download_ms"), "frames_ok": got == ref, "frames": len(got),
         "load": (load0 + os.getloadavg()[0]) / 2, "dir": d}
    print("K %-4g %-8s run %d: rc %s, %.1f s, server %s, nginx sent %d B in %d GETs, "
          "peers %d B (libtorrent uploaded %d B), stalls %s (%s ms), ttff %s ms, download %s ms, "
          "frames %d/%d %s, load %.2f" % (
              k, mode, rep + 1, rc, wall,
              "%.1f %%" % (100 * r["share"]) if r["share"] is not None else "-",
              sent, gets, pb, r["lt_up"], r["stalls"], r["stall_ms"], r["ttff"],
              r["download_ms"], len(got), len(ref), "ok" if r["frames_ok"] else "DIFFER",
              r["load"]))
    sys.stdout.flush()
    if rc != 0:
        nu.show_log(os.path.join(d, "play.log"), 15)
    return r


results = {}  # (k, mode) -> [run]
cell_wall = {}
for rep in range(opt.runs):
    for k in ks:
        if rep > 0:
            need = sum(cell_wall.get((k, m), 0) for m in modes) + 2
            if time.time() - t_start + need > opt.budget:
                print("K %g run %d left out: the budget of %.0f s would be exceeded" % (
                    k, rep + 1, opt.budget))
                continue
        rate = int(k * bitrate / opt.seeders)
        seeders = [swarm.Seeder(tstream, seed_dir, rate) for _ in range(opt.seeders)]
        time.sleep(0.3)
        for mode in modes:
            t0 = time.time()
            results.setdefault((k, mode), []).append(play(k, mode, rep, seeders))
            cell_wall.setdefault((k, mode), time.time() - t0)
        for s in seeders:
            s.stop()
ngx.stop()
load_end = os.getloadavg()


def each(runs, fmt):
    return " / ".join(fmt(r) for r in runs)


def pct(v):
    return "-" if v is None else "%.1f" % (100 * v)


def num(v):
    return "-" if v is None else "%d" % v


lines = ["| P2P capacity | --webseed | server % | nginx sent, % of file | seeders sent, % of file "
         "| stalls | stalled ms | TTFF ms | frames = framemd5 | wall s | load |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
goal = []
for k in ks:
    for mode in modes:
        runs = results.get((k, mode), [])
        if not runs:
            continue
        lines.append("| %gx | %s | %s | %s | %s | %s | %s | %s | %d/%d | %s | %s |" % (
            k, mode, each(runs, lambda r: pct(r["share"])),
            each(runs, lambda r: "%.1f" % (100.0 * r["nginx"] / size)),
            each(runs, lambda r: "%.1f" % (100.0 * r["lt_up"] / size)),
            each(runs, lambda r: num(r["stalls"])), each(runs, lambda r: num(r["stall_ms"])),
            each(runs, lambda r: num(r["ttff"])), sum(1 for r in runs if r["frames_ok"]),
            len(runs), each(runs, lambda r: "%.1f" % r["wall"]),
            each(runs, lambda r: "%.2f" % r["load"])))
        for r in runs:
            if mode != "never" and r["stalls"] != 0:
                goal.append("K %g %s: %s stalls" % (k, mode, r["stalls"]))
            if mode == "fallback" and k >= 1.5 and (r["share"] is None or r["share"] > 0.10):
                goal.append("K %g fallback: server share %s %%" % (k, pct(r["share"])))
            if not r["frames_ok"] or r["rc"] != 0:
                goal.append("K %g %s: rc %s, frames %s" % (k, mode, r["rc"], r["frames_ok"]))
table = "\n".join(lines)
summary = ("Video %d s, %d bytes (%.0f kbit/s), %d pieces of %d KiB; nginx %s; %d libtorrent "
           "seeders at K x bitrate / %d each; load average %.2f at the start, %.2f at the end; "
           "%.0f s in all." % (opt.seconds, size, bitrate * 8 / 1000, ti.num_pieces(),
                               ti.piece_length() // 1024,
                               "capped at %d B/s per connection" % opt.ws_rate if opt.ws_rate
                               else "uncapped", opt.seeders, opt.seeders, load_start[0],
                               load_end[0], time.time() - t_start))
print()
print(summary)
print()
print(table)
print()
print("goal (zero stalls with a server, fallback share <= 10 %% from 1.5x): %s" % (
    "met" if not goal else "missed: " + "; ".join(goal)))
print("work directory (logs, stats of every run):", root)
if opt.markdown:
    with open(opt.markdown, "w") as f:
        f.write(summary + "\n\n" + table + "\n")
