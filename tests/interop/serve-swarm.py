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
  add     `serve --allow-add` with no SRC: POST /add with a .torrent body,
          then with a magnet link (x.pe: the seeder), each 202 then listed
          in / with its files, which stream the seeder's exact bytes; the
          same torrent again is 200; garbage 400; another Origin 403; a
          body over 4 MiB 413;
  mpv     mpv (headless: --vo=image, no audio out) plays the served URL to
          its end: exit 0, as many frames as the file has, the first and
          last frames' pictures those ffmpeg decodes from the local file;
  browser headless Chromium loads a page whose muted, autoplaying <video>
          points at the served URL (a VP9/Opus webm) and reports, from its
          `ended` event, to a small HTTP listener of the test: it played to
          the end (currentTime), at the video's size (Chromium resolves no
          name but 127.0.0.1 and its background services are off);
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


def frame_count(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                       capture_output=True, text=True, timeout=120)
    return int(r.stdout.strip() or 0)


def mode_mpv():
    swarm.need("mpv")
    mkv, ts, seed = seeded("mkv", "mkv")
    srv = serve.Server([ts], ["--no-tracker", "-d", os.path.join(root, "dl"), "--peer",
                              seed.peer], log=os.path.join(root, "serve.log"))
    out = os.path.join(root, "frames")
    os.makedirs(out)
    t0 = time.time()
    r = subprocess.run(["mpv", "--no-config", "--msg-level=all=warn", "--vo=image",
                        "--vo-image-format=png", "--vo-image-outdir=" + out, "--ao=null",
                        "--untimed", "--framedrop=no", "--cache=no", srv.urls[0]],
                       capture_output=True, text=True, timeout=240)
    took = time.time() - t0
    frames = sorted(os.listdir(out))
    want = frame_count(mkv)
    check(r.returncode == 0, "mpv plays the URL and exits 0 (%d, %.1f s) %s" %
          (r.returncode, took, r.stderr[-300:]))
    check(len(frames) == want, "mpv shows every frame: %d of %d" % (len(frames), want))
    for name, sel in ((frames[0] if frames else None, "eq(n\\,0)"),
                      (frames[-1] if frames else None, "eq(n\\,%d)" % (want - 1))):
        ref = os.path.join(root, "ref.png")
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", mkv, "-vf",
                        "select=" + sel, "-frames:v", "1", ref], check=True)
        same = name is not None and pixels_close(os.path.join(out, name), ref)
        check(same, "mpv's picture %s is ffmpeg's from the local file" % name)
    check(srv.stop() == 0, "serve exits 0 on SIGTERM")
    seed.stop()


def pixels_close(a, b):
    """Two pictures' RGB pixels differ by at most a few levels on average
    (mpv and ffmpeg may convert YUV to RGB with other rounding)."""
    def rgb(p):
        return subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", p, "-f",
                               "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True,
                              timeout=60).stdout
    x, y = rgb(a), rgb(b)
    if not x or len(x) != len(y):
        return False
    return sum(abs(i - j) for i, j in zip(x, y)) / len(x) < 4


PAGE = """<!doctype html><html><body>
<video id=v muted autoplay src="%(url)s"></video>
<script>
var v = document.getElementById('v'), n = 0;
function report(what) {
  new Image().src = '%(report)s/' + what + '?t=' + v.currentTime.toFixed(2) + '&n=' + n +
    '&w=' + v.videoWidth + '&h=' + v.videoHeight;
}
v.addEventListener('timeupdate', function () { n++; });
v.addEventListener('ended', function () { report('ended'); });
v.addEventListener('error', function () { report('error' + (v.error ? v.error.code : '')); });
</script></body></html>
"""


def mode_browser():
    import http.server, threading, urllib.parse
    chromium = next((c for c in ("chromium", "chromium-browser", "google-chrome")
                     if subprocess.run(["sh", "-c", "command -v " + c],
                                       capture_output=True).returncode == 0), None)
    if not chromium:
        swarm.skip("no Chromium here (the package chromium)")
    webm, ts, seed = seeded("webm", "webm")
    srv = serve.Server([ts], ["--no-tracker", "-d", os.path.join(root, "dl"), "--peer",
                              seed.peer], log=os.path.join(root, "serve.log"))
    got = []

    class Report(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            got.append(urllib.parse.urlsplit(self.path))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    rep = http.server.HTTPServer(("127.0.0.1", 0), Report)
    threading.Thread(target=rep.serve_forever, daemon=True).start()
    page = os.path.join(root, "page.html")
    with open(page, "w") as f:
        f.write(PAGE % {"url": srv.urls[0], "report": "http://127.0.0.1:%d" % rep.server_port})
    t0 = time.time()
    br = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--autoplay-policy=no-user-gesture-required",
                           "--user-data-dir=" + os.path.join(root, "chromium"),
                           "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync",
                           "--disable-default-apps", "--disable-domain-reliability",
                           "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND, "
                           "EXCLUDE 127.0.0.1", "file://" + page],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, "chromium.log"), "w"))
    while not got and time.time() - t0 < 120 and br.poll() is None:
        time.sleep(0.1)
    took = time.time() - t0
    swarm.terminate(br)
    rep.shutdown()
    r = got[0] if got else None
    q = dict(urllib.parse.parse_qsl(r.query)) if r else {}
    check(r is not None and r.path == "/ended",
          "Chromium's <video> played the served URL to its end (%s in %.1f s)" %
          (r.path if r else "no report", took))
    check(abs(float(q.get("t", 0)) - SECONDS) < 0.3 and q.get("w") == "320" and
          q.get("h") == "240", "at the end of its %d s, 320x240 (%s)" % (SECONDS, q))
    check(took >= SECONDS - 0.5, "in real time (%.1f s)" % took)
    check(srv.stop() == 0, "serve exits 0 on SIGTERM")
    seed.stop()


def info_hash(ts):
    r = subprocess.run([swarm.swarmplay(), "info", ts, "--json"], capture_output=True,
                       text=True)
    return json.loads(r.stdout)["info_hash"]


def post(port, body, headers=None):
    c = serve.http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/add", body=body, headers=headers or {})
    r = c.getresponse()
    got = r.read()
    c.close()
    return r.status, got


def listed(port, h):
    st, _, body = serve.request(port, "GET", "/", {"Accept": "application/json"})
    for t in json.loads(body)["torrents"]:
        if t["info_hash"] == h and t["files"]:
            return t["files"]
    return None


def wait_listed(port, h, seconds=90):
    end = time.time() + seconds
    while time.time() < end:
        f = listed(port, h)
        if f:
            return f
        time.sleep(0.1)
    return None


def mode_add():
    mkv, ts1, seed1 = seeded("mkv", "mkv")
    mp4, ts2, seed2 = seeded("mp4", "mp4")
    h1, h2 = info_hash(ts1), info_hash(ts2)
    port = swarm.free_port()
    log = open(os.path.join(root, "serve.log"), "w")
    p = subprocess.Popen([swarm.swarmplay(), "serve", "--allow-add", "--no-tracker", "-d",
                          os.path.join(root, "dl"), "--peer", seed1.peer, "--http",
                          "127.0.0.1:%d" % port], stdout=log, stderr=log)
    end = time.time() + 30
    while True:  # no SRC: no URL printed; up once it answers
        try:
            serve.request(port, "GET", "/stats.json", timeout=5)
            break
        except OSError:
            if time.time() > end or p.poll() is not None:
                swarm.fail("serve --allow-add did not start")
            time.sleep(0.05)
    st, body = post(port, open(ts1, "rb").read(), {"Content-Type": "application/x-bittorrent"})
    check(st == 202 and json.loads(body)["info_hash"] == h1, "POST a .torrent: 202 (%d %s)" %
          (st, body[:80]))
    files = wait_listed(port, h1)
    check(files is not None, "the added torrent is listed in / with its files")
    st, _, got = serve.request(port, "GET", files[0]["url"][len("http://127.0.0.1:%d" % port):])
    check(st == 200 and got == open(mkv, "rb").read(),
          "its file streams the seeder's bytes (%d, %d of %d bytes)" %
          (st, len(got), os.path.getsize(mkv)))
    st, body = post(port, open(ts1, "rb").read())
    check(st == 200, "the same torrent again: 200 (%d)" % st)
    magnet = "magnet:?xt=urn:btih:%s&x.pe=%s\n" % (h2, seed2.peer)
    st, body = post(port, magnet.encode(), {"Content-Type": "text/plain"})
    check(st == 202 and json.loads(body)["info_hash"] == h2, "POST a magnet: 202 (%d %s)" %
          (st, body[:80]))
    files = wait_listed(port, h2)
    check(files is not None, "the magnet's torrent is listed once its metadata came")
    if files:
        f = [f for f in files if f["path"].endswith(".mp4")][0]
        st, _, got = serve.request(port, "GET", f["url"][len("http://127.0.0.1:%d" % port):])
        check(st == 200 and got == open(mp4, "rb").read(),
              "the magnet's file streams the seeder's bytes (%d, %d bytes)" % (st, len(got)))
    check(post(port, b"/etc/passwd")[0] == 400, "a path as the body: 400")
    check(post(port, b"d4:infoi3ee")[0] == 400, "a bad torrent: 400")
    st, _ = post(port, magnet.encode(), {"Origin": "http://evil.example"})
    check(st == 403, "from a page of another origin: 403 (%d)" % st)
    st, _ = serve.raw(port, b"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Length: %d\r\n\r\nd" % (5 << 20))
    check(st == 413, "a body over 4 MiB: 413 (%d)" % st)
    st, _, _ = serve.request(port, "GET", "/add")
    check(st == 405, "GET /add: 405 (%d)" % st)
    check(swarm.terminate(p) == 0, "serve exits 0 on SIGTERM")
    log.close()
    seed1.stop()
    seed2.stop()


{"ffmpeg": mode_ffmpeg, "ranges": mode_ranges, "add": mode_add, "mpv": mode_mpv,
 "browser": mode_browser, "ffplay": mode_ffplay}[mode]()
check.finish()
