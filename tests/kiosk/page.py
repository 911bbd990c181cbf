#!/usr/bin/python3
"""page.py - the kiosk's status page (GET / of --http) in headless Chromium
(Debian's chromium): the page's script polls /status.json and shows the
item playing, its progress and the list. Chromium loads it twice: once
for the DOM after the script ran (--dump-dom: the document's title and
the progress text name the item and a position within its 30 s, the list
holds both items, the bar is part filled), once for a screenshot (a PNG
of the window's size that is not one flat colour). With --http-token, the
page without the token gets 401 and with ?token= shows the same; a POST
whose Origin is another site is refused."""
import json, os, re, struct, subprocess, sys, time, urllib.error, urllib.request, zlib

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
chromium = next((c for c in ("chromium", "chromium-browser", "google-chrome")
                 if subprocess.run(["sh", "-c", "command -v " + c],
                                   capture_output=True).returncode == 0), None)
if not chromium:
    swarm.skip("no Chromium here (the package chromium)")
root = swarm.workdir("kiosk-page")
check = swarm.Checks()
clips = [swarm.make_video(os.path.join(root, "%s.mkv" % n), "mkv", seconds=30, size="160x120")
         for n in ("a", "b")]
listf = os.path.join(root, "list.m3u")
with open(listf, "w") as f:
    f.write("#EXTM3U\n#EXTINF:-1,Lobby loop\n%s\n#EXTINF:-1,Second clip\n%s\n" % tuple(clips))
port = swarm.free_port()
token = "s3cret-token"
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
kiosk = subprocess.Popen([exe, "kiosk", listf, "--no-audio", "--no-video", "--no-lsd",
                          "--no-dht", "--no-tracker", "--control", os.path.join(root, "k.sock"),
                          "--http", "127.0.0.1:%d" % port, "--http-token", token],
                         env=env, stdout=open(os.path.join(root, "kiosk.log"), "w"),
                         stderr=subprocess.STDOUT)
base = "http://127.0.0.1:%d/" % port


def browse(url, *what):
    """Chromium headless on url; its stdout."""
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=" + os.path.join(root, "chromium"),
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-default-apps", "--disable-domain-reliability",
                        "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                        "--window-size=1024,600", "--virtual-time-budget=5000"] +
                       list(what) + [url], capture_output=True, text=True, timeout=180,
                       cwd=root)
    with open(os.path.join(root, "chromium.log"), "a") as f:
        f.write(r.stderr)
    return r.stdout


def png_info(path):
    """(width, height, distinct bytes in the first rows' pixels) of a PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    w, h = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompressobj().decompress(idat, 4 << 20)
    return w, h, len(set(raw))


try:
    end = time.time() + 60
    while time.time() < end:
        if kiosk.poll() is not None:
            swarm.fail("the kiosk exited (%s)" % kiosk.returncode)
        try:
            with urllib.request.urlopen(base + "status.json?token=" + token, timeout=10) as r:
                cur = json.load(r)["current"]
            if cur and cur["position_s"] > 0:
                break
        except OSError:
            pass
        time.sleep(0.2)
    try:
        urllib.request.urlopen(base, timeout=10)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    check(code == 401, "the page without the token: %d" % code)
    with urllib.request.urlopen(base + "?token=" + token, timeout=10) as r:
        html = r.read().decode()
        ctype = r.headers["Content-Type"]
    check(ctype.startswith("text/html") and "status.json" in html,
          "GET / is the HTML page (%s) that polls status.json" % ctype)

    def post(path, origin):
        req = urllib.request.Request(base + path + "?token=" + token, data=b"", method="POST")
        if origin:
            req.add_header("Origin", origin)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
    codes = (post("reload", "http://evil.example"), post("reload", base.rstrip("/")),
             post("reload", None))
    check(codes == (403, 202, 202), "POST from another site's page 403, from the page's "
          "own or with no Origin 202: %s" % (codes,))

    dom = browse(base + "?token=" + token, "--dump-dom")
    with open(os.path.join(root, "dom.html"), "w") as f:
        f.write(dom)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    title = title.group(1) if title else ""
    m = re.match(r"kiosk: (Lobby loop|Second clip) \((\d+\.\d) / (\d+\.\d) s\)$", title)
    check(m is not None, "the page's title follows the item: %r" % title)
    if m:
        check(0 < float(m.group(2)) <= float(m.group(3)) and abs(float(m.group(3)) - 30) < 0.5,
              "the progress shown: %s of %s s" % (m.group(2), m.group(3)))
    pos = re.search(r'<span id="pos">([^<]*)</span>', dom)
    check(pos is not None and re.match(r"\d+\.\d / 30\.0 s", pos.group(1)),
          "the progress text: %r" % (pos.group(1) if pos else None))
    fill = re.search(r'id="fill" style="width: ([\d.]+)%', dom)
    check(fill is not None and 0 < float(fill.group(1)) <= 100,
          "the progress bar is part filled: %s%%" % (fill.group(1) if fill else None))
    check("Lobby loop" in dom and "Second clip" in dom and dom.count("<tr") >= 3,
          "the list shows both items")
    check("Peers:" in dom and "Cache:" in dom and "List version 1" in dom,
          "the peers, the cache and the list's version")

    shot = os.path.join(root, "page.png")
    browse(base + "?token=" + token, "--screenshot=" + shot)
    info = png_info(shot) if os.path.exists(shot) else None
    check(info is not None and info[:2] == (1024, 600) and info[2] > 8,
          "a screenshot of the page: %s" % (info,))
finally:
    rc = swarm.terminate(kiosk)
check(rc == 0, "the kiosk exits 0")
check.finish()
