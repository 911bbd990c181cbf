#!/usr/bin/python3
"""serve-swarm.py MODE - `swarmplay serve` streams a torrent that a real
libtorrent seeder on 127.0.0.1 uploads at 1.5 x the video's bitrate, so
the readers wait for pieces while the clients read. MODE:

  ffmpeg  two torrents served at once (an mp4 with its moov at the end,
          an mkv): ffprobe reads the mp4's duration and streams (its
          index is at the end: a second reader far from the first);
          `ffmpeg -i URL -map 0:v:0 -fps_mode passthrough -f framemd5 -`
          equals the same on the local file, for both files read at the
          same time (two players, two windows); a seek (-ss at 50 %) over
          HTTP gives the same frames as on the local file;
  ranges  200 random ranges fetched with curl (from the first request,
          while the download runs) are the file's exact bytes;
          stats.json shows the torrent complete and nothing left open;
  ffplay  `serve --open ffplay` (SDL's dummy drivers): ffplay plays the
          video to its end in real time and serve exits 0 with it."""
import concurrent.futures, json, os, random, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import serve

mode = sys.argv[1] if len(sys.argv) > 1 else "ffmpeg"
SECONDS = 6
swarm.need("ffmpeg", "ffprobe", "curl")
swarm.lt()
root = swarm.workdir("serve-swarm-" + mode)
check = swarm.Checks()


def seeded(kind, ext):
    d = os.path.join(root, "seed-" + kind)
    os.makedirs(d)
    media = swarm.make_video(os.path.join(d, "clip." + ext), kind, seconds=SECONDS,
                             bitrate="1000k")
    ts = swarm.create_tstream(media, os.path.join(root, kind + ".tstream"))
    size = os.path.getsize(media)
    return media, ts, swarm.Seeder(ts, d, int(size / SECONDS * 1.5))


def ffmpeg_md5(src, extra=()):
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error"] + list(extra) +
                       ["-i", src, "-map", "0:v:0", "-fps_mode", "passthrough", "-f",
                        "framemd5", "-"], capture_output=True, text=True, timeout=240)
    return [l.split(",")[5].strip() for l in r.stdout.splitlines()
            if l and not l.startswith("#")], r.stderr


def probe(src):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "format=duration:stream=codec_type", "-of", "json", src],
                       capture_output=True, text=True, timeout=120)
    j = json.loads(r.stdout or "{}")
    return float(j.get("format", {}).get("duration", 0)), \
        sorted(s["codec_type"] for s in j.get("streams", []))


def mode_ffmpeg():
    mp4, ts1, seed1 = seeded("mp4-end", "mp4")
    mkv, ts2, seed2 = seeded("mkv", "mkv")
    srv = serve.Server([ts1, ts2], ["--no-tracker", "-d", os.path.join(root, "dl"), "--peer",
                                    seed1.peer, "--peer", seed2.peer],
                       log=os.path.join(root, "serve.log"))
    t0 = time.time()
    dur, streams = probe(srv.urls[0])
    ldur, lstreams = probe(mp4)
    check(abs(dur - ldur) < 0.05 and streams == lstreams == ["audio", "video"],
          "ffprobe over HTTP, moov at the end: %.2f s %s (local %.2f s) in %.2f s" %
          (dur, streams, ldur, time.time() - t0))
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        got = list(ex.map(lambda u: ffmpeg_md5(u), srv.urls))
    for (frames, err), media in zip(got, (mp4, mkv)):
        ref = swarm.framemd5(media)
        check(frames == ref, "%s: framemd5 over HTTP equals the local file's (%d of %d "
              "frames) %s" % (os.path.basename(os.path.dirname(media)), len(frames), len(ref),
                              err[-200:]))
    half = ["-ss", "%.1f" % (SECONDS / 2)]
    want, _ = ffmpeg_md5(mp4, half)
    frames, err = ffmpeg_md5(srv.urls[0], half)
    check(frames == want and len(frames) > 0,
          "-ss %s over HTTP: the same frames as from the file (%d)" % (half[1], len(frames)))
    check(srv.stop() == 0, "serve exits 0 on SIGTERM")
    seed1.stop()
    seed2.stop()


def mode_ranges():
    mp4, ts, seed = seeded("mp4", "mp4")
    data = open(mp4, "rb").read()
    srv = serve.Server([ts], ["--no-tracker", "-d", os.path.join(root, "dl"), "--peer",
                              seed.peer], log=os.path.join(root, "serve.log"))
    rnd = random.Random(16)
    bad = []
    out = os.path.join(root, "part")
    t0 = time.time()
    for i in range(200):
        a = rnd.randrange(len(data))
        b = min(len(data) - 1, a + rnd.choice((0, 1, 100, 16383, 16384, 70000, 400000)))
        r = subprocess.run(["curl", "-s", "-f", "-r", "%d-%d" % (a, b), "-o", out, srv.urls[0]],
                           timeout=120)
        got = open(out, "rb").read() if r.returncode == 0 else None
        if got != data[a:b + 1]:
            bad.append("%d-%d (curl %d)" % (a, b, r.returncode))
    check(not bad, "200 random ranges with curl are the file's bytes in %.1f s %s" %
          (time.time() - t0, bad[:5]))
    st = json.loads(serve.request(srv.port, "GET", "/stats.json")[2])
    check(st["streams"] == 0, "no stream left open (%d)" % st["streams"])
    check(srv.stop() == 0, "serve exits 0 on SIGTERM")
    seed.stop()


def mode_ffplay():
    swarm.need("ffplay")
    mp4, ts, seed = seeded("mp4-end", "mp4")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               SWARMPLAY_LOG="info")
    port = swarm.free_port()
    t0 = time.time()
    with open(os.path.join(root, "serve.log"), "w") as log:
        r = subprocess.run([swarm.swarmplay(), "serve", ts, "--no-tracker", "-d",
                            os.path.join(root, "dl"), "--peer", seed.peer, "--http",
                            "127.0.0.1:%d" % port, "--open", "ffplay"], stdout=log,
                           stderr=subprocess.STDOUT, env=env, timeout=120)
    took = time.time() - t0
    check(r.returncode == 0, "serve --open ffplay: exit 0 when ffplay ends (%d)" % r.returncode)
    check(took >= SECONDS - 0.5, "ffplay played the %d s to the end in real time (%.1f s)" %
          (SECONDS, took))
    dl = os.path.join(root, "dl", os.path.basename(mp4))
    check(os.path.exists(dl) and swarm.md5_file(dl) == swarm.md5_file(mp4),
          "the downloaded file is the seeder's")
    seed.stop()


{"ffmpeg": mode_ffmpeg, "ranges": mode_ranges, "ffplay": mode_ffplay}[mode]()
check.finish()
