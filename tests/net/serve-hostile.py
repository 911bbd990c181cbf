#!/usr/bin/python3
"""serve-hostile.py MODE - `swarmplay serve` on 127.0.0.1 without a
swarm: a torrent made by `swarmplay create` whose data is already in -d
(so every byte is verified at once), and one whose data nobody has (so a
read of it waits for ever). MODE:

  hostile  malformed request lines, bad Ranges (bytes=-0, huge, negative,
           reversed), path tricks (.., %2e%2e, NUL, %2F), an unknown
           info-hash or file, 10 000 headers, a long target, other
           methods, a DNS name in Host (rebinding): each gets its 4xx and
           no file byte; HEAD, keep-alive,
           ranges (several: their span, one part), the index (HTML, JSON), the m3u in natural order, CORS;
  limits   --max-streams 2: a third stream gets 503; a client that goes
           away frees its stream at once (stats.json's count drops while
           its read still waits); 200 idle half-sent connections do not
           stop a new client, and their descriptors go when they do;
  cap      --max-connections 200: 4 streams and 256 idle or half-sent
           connections: the 60 without a stream that waited longest make
           room, the newest stay, no stream is closed, the server holds at
           most 200 descriptors for them and little memory, a normal client
           is served at once; --max-connections 4, all streaming: one more
           is closed at once; a client trickling its request a byte at a
           time is cut after --http-timeout;
  cache    without -d, --cache-max 1M: an older torrent in the play cache
           (2 MB, not held) goes when serve adds its own, which stays
           (served from the cache) though it alone is over the limit;
  slow     four clients that read nothing of a 48 MB file: the server's
           memory grows by little (back-pressure), the streams stay open
           and go when the clients close;
  token    a non-loopback --http without --http-token refuses to start
           (exit 2, says why); with a token: 401 without it, 200 with
           ?token= or Authorization: Bearer, 401 with a wrong one; POST
           /add (--allow-add) needs it too;
  open     --open CMD runs CMD on the URL and serve exits when it does;
  magnet-stop  SIGTERM while a magnet's metadata is still being fetched
           (nobody has it): serve stops at once (within 10 s, not the
           fetch's 60), saying why; the same for a POST /add magnet whose
           fetch is under way."""
import json, os, random, socket, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import serve
import sanitizer

mode = sys.argv[1] if len(sys.argv) > 1 else "hostile"
exe = swarm.swarmplay()
root = swarm.workdir("serve-" + mode)
check = swarm.Checks()


def make_torrent(name, files, where="data"):
    d = os.path.join(root, where)
    for rel, size in files:
        p = os.path.join(d, name, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(random.Random(rel).randbytes(size))
    out = os.path.join(root, name + ".torrent")
    r = subprocess.run([exe, "create", os.path.join(d, name), "-o", out], capture_output=True,
                       text=True)
    if r.returncode:
        swarm.fail("create: " + r.stderr)
    h = subprocess.run([exe, "info", out, "--json"], capture_output=True, text=True)
    return out, json.loads(h.stdout)["info_hash"], d


show, show_hash, data = make_torrent("show", [("ep10.mkv", 300001), ("ep2.mkv", 200003),
                                              ("a b&<x>.txt", 1000), ("sub/ep1.mp4", 70000)])
ep10 = open(os.path.join(data, "show", "ep10.mkv"), "rb").read()


def file_index(hexhash, name):
    st, _, body = serve.request(srv.port, "GET", "/", {"Accept": "application/json"})
    t = [t for t in json.loads(body)["torrents"] if t["info_hash"] == hexhash][0]
    return [f for f in t["files"] if f["path"].endswith(name)][0]


def hostile():
    global srv
    srv = serve.Server([show], ["-d", data, "--no-tracker"], log=os.path.join(root, "serve.log"))
    f = file_index(show_hash, "ep10.mkv")
    path = f["url"][len(srv.base):]
    st, h, body = serve.request(srv.port, "GET", path)
    check(st == 200 and body == ep10, "GET the whole file: 200, its bytes (%d)" % st)
    check(h.get("content-type") == "video/x-matroska" and h.get("accept-ranges") == "bytes",
          "Content-Type and Accept-Ranges")
    check(h.get("access-control-allow-origin") == "*", "CORS header")
    st, h, body = serve.request(srv.port, "HEAD", path)
    check(st == 200 and body == b"" and h.get("content-length") == str(len(ep10)),
          "HEAD: 200, Content-Length, no body")
    st, h, body = serve.request(srv.port, "GET", path, {"Range": "bytes=-1"})
    check(st == 206 and body == ep10[-1:] and
          h.get("content-range") == "bytes %d-%d/%d" % (len(ep10) - 1, len(ep10) - 1, len(ep10)),
          "bytes=-1: 206, the last byte, Content-Range")
    st, h, body = serve.request(srv.port, "GET", path, {"Range": "bytes=1000-999999999"})
    check(st == 206 and body == ep10[1000:], "an end past the file: clamped")
    st, h, body = serve.request(srv.port, "GET", path, {"Range": "bytes=200-299,0-99"})
    check(st == 206 and body == ep10[:300] and
          h.get("content-range") == "bytes 0-299/%d" % len(ep10) and
          not h.get("content-type", "").startswith("multipart"),
          "two ranges: one 206 part, their span (%d %s)" % (st, h.get("content-range")))
    st, h, body = serve.request(srv.port, "GET", path, {"Range": "bytes=10-19,999999-"})
    check(st == 206 and body == ep10[10:20], "an unsatisfiable range among others: left out")
    # keep-alive: three answers on one connection
    c = serve.http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    ok = True
    for rng in ("bytes=0-9", "bytes=100-", "bytes=5-5"):
        c.request("GET", path, headers={"Range": rng})
        r = c.getresponse()
        a, _, b = rng[6:].partition("-")
        want = ep10[int(a):int(b) + 1] if b else ep10[int(a):]
        ok = ok and r.status == 206 and r.read() == want
    c.close()
    check(ok, "keep-alive: three ranges on one connection")
    bad_ranges = ["bytes=-0", "bytes=%d-" % len(ep10), "bytes=99999999999999999999999-",
                  "bytes=-5-10", "bytes=9-5", "bytes=-", "bytes=x-y", "bytes=1-2-3",
                  "bytes=" + "1" * 300 + "-"]
    for rng in bad_ranges:
        st, h, body = serve.request(srv.port, "GET", path, {"Range": rng})
        check(st == 416 and h.get("content-range") == "bytes */%d" % len(ep10) and
              len(body) < 100, "Range %s: 416 (%d)" % (rng[:30], st))
    status_of = [
        (b"GARBAGE\r\n\r\n", (400,)),
        (b"GET\r\n\r\n", (400,)),
        (b"GET / HTTP/1.1 extra\r\n\r\n", (400,)),
        (b"GET /../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /" + show_hash.encode() + b"/0/%2E%2e HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /" + show_hash.encode() + b"/0/a%00b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /" + show_hash.encode() + b"/0/a\x00b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /a%2fb HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400,)),
        (b"GET /" + b"0" * 40 + b"/0/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (404,)),
        (b"GET /" + show_hash.encode() + b"/99/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (404,)),
        (b"GET /" + b"0" * 40 + b".m3u HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (404,)),
        (b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (404,)),
        (b"GET /" + b"a" * 4000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (414,)),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) +
         b"\r\n", (400, 413, 431)),
        (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc", (405, 413, 501)),
        (b"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nmagnet:?xt", (403,)),
        (b"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999\r\n\r\n", (413,)),
        (b"DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (405, 501)),
    ]
    marker = ep10[:16]
    for req, want in status_of:
        st, got = serve.raw(srv.port, req)
        check(st in want and marker not in got,
              "%r: %s (got %d)" % (req[:48], "/".join(map(str, want)), st))
    # the index, JSON and HTML; the playlist in natural order
    st, h, body = serve.request(srv.port, "GET", "/")
    check(st == 200 and b"a b&amp;&lt;x&gt;.txt" in body and b"<x>" not in body,
          "index page: names escaped in HTML")
    st, h, body = serve.request(srv.port, "GET", "/?format=json")
    j = json.loads(body)
    check(len(j["torrents"]) == 1 and len(j["torrents"][0]["files"]) == 4, "index JSON")
    st, h, body = serve.request(srv.port, "GET", "/%s.m3u" % show_hash)
    names = [l.rsplit("/", 1)[1] for l in body.decode().splitlines() if l.startswith("http")]
    check(st == 200 and names == ["ep10.mkv", "ep2.mkv", "ep1.mp4"] or
          names == ["ep2.mkv", "ep10.mkv", "ep1.mp4"], "m3u lists the videos (%s)" % names)
    check(names.index("ep2.mkv") < names.index("ep10.mkv"), "m3u: natural order")
    st, _, body = serve.request(srv.port, "GET", path, {"Host": "rebound.example:%d" % srv.port})
    check(st == 403 and marker not in body, "a DNS name in Host (rebinding): 403 (%d)" % st)
    st, h, body = serve.request(srv.port, "OPTIONS", path, {"Origin": "http://x",
                                                           "Access-Control-Request-Headers":
                                                           "range"})
    check(st == 204 and "Range" in h.get("access-control-allow-headers", ""), "CORS preflight")
    st, h, body = serve.request(srv.port, "GET", "/stats.json")
    s = json.loads(body)
    check(st == 200 and s["torrents"][0]["complete"], "stats.json: complete torrent")
    maps = open("/proc/%d/maps" % srv.proc.pid).read()
    check("swarmplay-media" not in maps and "libavcodec" not in maps and "libSDL2" not in maps,
          "serve never loads the media module (FFmpeg, SDL2)")
    check(srv.stop() == 0, "SIGTERM: exit 0")


def wait_for(cond, what, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    check(False, what + " (timed out)")
    return False


def streams():
    return json.loads(serve.request(srv.port, "GET", "/stats.json")[2])["streams"]


def limits():
    global srv
    # its data stays out of -d: nobody has it, its reads wait
    empty, empty_hash, _ = make_torrent("nobody", [("void.mp4", 500000)], "elsewhere")
    srv = serve.Server([show, empty], ["-d", data, "--no-tracker", "--max-streams", "2",
                                       "--max-connections", "300"],
                       log=os.path.join(root, "serve.log"))
    waiting = []
    for i in range(2):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % srv.path(1).encode())
        waiting.append(s)
    wait_for(lambda: streams() == 2, "two streams open on data nobody has")
    st, h, _ = serve.request(srv.port, "GET", srv.path(0))
    check(st == 503 and h.get("retry-after"), "a third stream: 503 with Retry-After (%d)" % st)
    waiting.pop().close()
    check(wait_for(lambda: streams() == 1, "a closed client frees its stream"),
          "a closed client's stream goes while its read waits")
    st, _, body = serve.request(srv.port, "GET", srv.path(0))
    check(st == 200 and body == ep10, "then a new stream is served")
    base_fds = srv.fds()
    idle = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        idle.append(s)
    t0 = time.time()
    st, _, body = serve.request(srv.port, "GET", "/stats.json", timeout=10)
    check(st == 200, "200 half-sent connections: a new client still served (%.2f s)" %
          (time.time() - t0))
    wait_for(lambda: srv.fds() >= base_fds + 150, "the server holds the idle connections")
    peak = srv.fds()
    for s in idle:
        s.close()
    check(wait_for(lambda: srv.fds() <= base_fds + 5, "their descriptors go"),
          "descriptors back from %d to about %d" % (peak, base_fds))
    for s in waiting:
        s.close()
    check(srv.stop() == 0, "SIGTERM with a stream waiting: exit 0")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])


def slow():
    """Back-pressure: clients that read nothing of a 48 MB file that is
    all here cost the server little memory, and their streams stay open."""
    global srv
    big, _, _ = make_torrent("big", [("big.mkv", 48 << 20)])
    srv = serve.Server([big], ["-d", data, "--no-tracker"], log=os.path.join(root, "serve.log"))
    serve.request(srv.port, "GET", "/stats.json")
    before = rss_kb(srv.proc.pid)
    clients = []
    for i in range(4):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % srv.path(0).encode())
        clients.append(s)
    wait_for(lambda: streams() == 4, "four streams open")
    time.sleep(1.0)  # time for an unbounded server to read ahead (measured, not asserted on)
    grew = rss_kb(srv.proc.pid) - before
    print("4 clients that read nothing of 48 MB: the server grew %d kB" % grew)
    if sanitizer.rss_bound_holds("serve-slow"):
        check(grew < 16 * 1024, "4 clients that read nothing of 48 MB: the server grew %d kB"
              % grew)
    check(streams() == 4, "their streams stay open")
    got = clients[0].recv(1 << 20)
    check(got.startswith(b"HTTP/1.1 200"), "a stalled client still gets its answer")
    for s in clients:
        s.close()
    check(wait_for(lambda: streams() == 0, "they go"), "closed clients free their streams")
    check(srv.stop() == 0, "exit 0")


def eof_within(s, seconds):
    """True if the server closes s (EOF or reset) within seconds."""
    s.settimeout(seconds)
    try:
        while True:
            if not s.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def none_closed(socks, seconds):
    """True if the server closes none of socks within seconds."""
    import select
    r, _, _ = select.select(socks, [], [], seconds)
    return not r


def cap():
    global srv
    big, _, _ = make_torrent("big", [("big.mkv", 8 << 20)])
    srv = serve.Server([big], ["-d", data, "--no-tracker", "--max-connections", "200"],
                       log=os.path.join(root, "serve.log"))
    serve.request(srv.port, "GET", "/stats.json")
    base_fds, base_rss = srv.fds(), rss_kb(srv.proc.pid)
    req = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % srv.path(0).encode()
    streaming = []
    for i in range(4):  # streams whose clients read nothing
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(req)
        streaming.append(s)
    wait_for(lambda: streams() == 4, "four streams open")
    held = []
    for i in range(256):  # idle and half-sent: 260 in all, 60 past the cap
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        if i % 2:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(s)
    closed = sum(eof_within(s, 10) for s in held[:60])
    check(closed == 60, "past the cap, the connections without a stream that waited "
          "longest make room (%d of the first 60 closed)" % closed)
    check(none_closed(held[-50:], 1.0), "the newest stay open")
    check(streams() == 4, "no stream is ever closed to make room")
    bounded = wait_for(lambda: srv.fds() <= base_fds + 200 + 8 + 4,
                       "the descriptors of closed connections go")
    check(bounded, "the server holds at most the cap of connections (%d fds, %d before)" %
          (srv.fds(), base_fds))
    grew = rss_kb(srv.proc.pid) - base_rss
    print("260 connections and 4 stalled streams: the server grew %d kB" % grew)
    # under ThreadSanitizer it grew 25.4 MB (its shadow memory), in CI
    if sanitizer.rss_bound_holds("serve-cap"):
        check(grew < 24 * 1024,
              "260 connections and 4 stalled streams: the server grew %d kB" % grew)
    st, _, _ = serve.request(srv.port, "GET", "/stats.json", timeout=10)
    check(st == 200, "at the cap, a normal client is served at once (%d)" % st)
    j = json.loads(serve.request(srv.port, "GET", "/stats.json")[2])
    check(j["connections"] <= 200 and j["connections_evicted"] >= 60,
          "stats.json counts the connections (%d) and those that made room (%d)" %
          (j["connections"], j["connections_evicted"]))
    for s in held + streaming:
        s.close()
    check(wait_for(lambda: streams() == 0 and srv.fds() <= base_fds + 5, "they all go"),
          "every descriptor goes with its client (%d, %d before)" % (srv.fds(), base_fds))
    check(srv.stop() == 0, "exit 0")

    # every slot streams: one more is refused; a slow request is cut
    srv = serve.Server([big], ["-d", data, "--no-tracker", "--max-connections", "4",
                               "--http-timeout", "2"], log=os.path.join(root, "serve2.log"))
    streaming = []
    for i in range(4):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(req)
        streaming.append(s)
    started = sum(s.recv(12).startswith(b"HTTP/1.1 200") for s in streaming)
    check(started == 4, "four streams answered (%d)" % started)
    extra = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    check(eof_within(extra, 10), "every connection streams: one more is closed at once")
    extra.close()
    streaming.pop().close()
    trickle = None
    end = time.time() + 30
    while time.time() < end:  # its slot comes back once the stream's close is seen
        trickle = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        trickle.sendall(b"GET / HTTP/1.1\r\n")
        if none_closed([trickle], 0.3):
            break
        trickle.close()
        trickle = None
    check(trickle is not None, "a stream gone, a new connection is kept")
    t0 = time.time()
    gone = False
    for b in b"Host: 127.0.0.1\r\nX-Drip: " + b"x" * 400:
        try:
            trickle.sendall(bytes([b]))
            if not none_closed([trickle], 0.3) and not trickle.recv(1):
                gone = True
                break
        except OSError:
            gone = True
            break
        if time.time() - t0 > 60:
            break
    took = time.time() - t0
    check(gone and took < 30, "a client trickling its headers is cut at --http-timeout "
          "(after %.1f s)" % took)
    for s in streaming:
        s.close()
    check(srv.stop() == 0, "exit 0")


def cache_mode():
    global srv
    cache = os.path.join(root, "xdg-cache")
    old = os.path.join(cache, "swarmplay", "ab" * 20)
    os.makedirs(old)
    with open(os.path.join(old, "old.mkv"), "wb") as f:
        f.write(os.urandom(2 << 20))
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    big, big_hash, _ = make_torrent("big", [("big.mkv", 3 << 20)], "elsewhere")
    srv = serve.Server([big], ["--no-tracker", "--cache-max", "1M"],
                       log=os.path.join(root, "serve.log"), env={"XDG_CACHE_HOME": cache})
    check(not os.path.exists(old), "an older torrent of the cache goes (--cache-max 1M)")
    mine = os.path.join(cache, "swarmplay", big_hash)
    check(os.path.isdir(mine), "the torrent served has its cache directory")
    check(srv.stop() == 0, "exit 0")
    check(os.path.isdir(mine), "the torrent served stays at the end, alone over the limit")


def token():
    r = subprocess.run([exe, "serve", show, "-d", data, "--http", "192.0.2.1:8888"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "--http-token" in r.stderr,
          "a non-loopback address without a token: exit 2 and why (%d)" % r.returncode)
    global srv
    srv = serve.Server([show], ["-d", data, "--no-tracker", "--http-token", "s3cret",
                                "--allow-add"], log=os.path.join(root, "serve.log"))
    check(srv.urls[0].endswith("?token=s3cret"), "the printed URL carries the token")
    path = srv.path(0).split("?")[0]
    check(serve.request(srv.port, "GET", path)[0] == 401, "no token: 401")
    check(serve.request(srv.port, "GET", "/")[0] == 401, "no token, index: 401")
    check(serve.request(srv.port, "GET", path + "?token=wrong")[0] == 401, "wrong token: 401")
    st, _, body = serve.request(srv.port, "GET", path + "?token=s3cret")
    check(st == 200 and body == ep10, "?token=: 200")
    st, _, body = serve.request(srv.port, "GET", path, {"Authorization": "Bearer s3cret"})
    check(st == 200 and body == ep10, "Authorization: Bearer: 200")
    st, _, body = serve.request(srv.port, "GET", "/?token=s3cret")
    check(st == 200 and b"?token=s3cret" in body, "the index's links carry the token")
    add = b"POST /add%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
    check(serve.raw(srv.port, add % b"")[0] == 401, "POST /add without the token: 401")
    check(serve.raw(srv.port, add % b"?token=s3cret")[0] == 400,
          "POST /add with the token: read (400 for a body that is no torrent)")
    check(srv.stop() == 0, "exit 0")


def open_mode():
    swarm.need("curl")
    out = os.path.join(root, "fetched")
    r = subprocess.run([exe, "serve", show, "-d", data, "--no-tracker", "--http",
                        "127.0.0.1:%d" % swarm.free_port(), "--open", "curl -s -f -o " + out],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "serve --open exits 0 when the player does (%d: %s)" %
          (r.returncode, r.stderr[-300:]))
    check(os.path.exists(out) and open(out, "rb").read() == ep10,
          "the player got the main file's bytes")


def stops_soon(p, what):
    p.send_signal(15)
    try:
        p.wait(timeout=10)
        check(True, what + ": stops within 10 s of SIGTERM")
    except subprocess.TimeoutExpired:
        check(False, what + ": still running 10 s after SIGTERM")
        p.kill()
        p.wait()


def magnet_stop():
    nobody = "magnet:?xt=urn:btih:%s" % ("%040x" % random.getrandbits(160))
    log = os.path.join(root, "magnet.log")
    with open(log, "w") as lf:
        p = subprocess.Popen([exe, "serve", nobody, "-d", os.path.join(root, "m"),
                              "--no-tracker", "--no-dht", "--http",
                              "127.0.0.1:%d" % swarm.free_port()],
                             stdout=subprocess.DEVNULL, stderr=lf)
    wait_for(lambda: "fetching the torrent's metadata" in open(log).read(),
             "serve says it fetches the metadata")
    stops_soon(p, "a magnet's fetch")
    check("stopped before the metadata came" in open(log).read(), "it says why")
    srv = serve.Server([show], ["-d", data, "--no-tracker", "--no-dht", "--allow-add"],
                       log=os.path.join(root, "add.log"))
    st, _ = serve.raw(srv.port, b"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(nobody), nobody.encode()))
    check(st == 202, "POST /add of a magnet nobody has: 202 (%d)" % st)
    stops_soon(srv.proc, "a POST /add fetch")


{"hostile": hostile, "magnet-stop": magnet_stop, "limits": limits, "cap": cap, "cache": cache_mode, "slow": slow, "token": token, "open": open_mode}[mode]()
check.finish()
