#!/usr/bin/python3
"""faults.py - `swarmplay kiosk` (headless, SDL dummy drivers) through the
faults a site meets, on 127.0.0.1: the playlist from an HTTP server of
the test's own, whose answers the test chooses; one torrent item seeded
by libtorrent, one whose seeder is not there yet, one corrupt video.

  corrupt   a video file of random bytes: skipped, the reason in the
            status (its error), tried again later, never played; the
            other items play on;
  no peer   a .tstream whose only peer is a port where nothing listens:
            skipped after the no-data deadline with the reason in the
            status, tried again; once a seeder starts on that port it
            plays, frames right;
  500       the playlist URL answers 500: the fetch fails and says so,
            the last good list plays on;
  garbage   then random bytes (a NUL among them): refused as malformed,
            the last good list plays on;
  gone      then the server and every seeder go (the network gone): the
            fetch fails, and both torrents and the local clip still play
            from the cache, frames right."""
import http.server, json, os, random, socketserver, subprocess, sys, threading, time, urllib.request

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
lt = swarm.lt()
root = swarm.workdir("kiosk-faults")
check = swarm.Checks()

seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
local = swarm.make_video(os.path.join(root, "local.mkv"), "mkv", seconds=1, size="160x120")
good = swarm.make_video(os.path.join(seed_dir, "good.mp4"), "mp4", seconds=1, size="160x120")
late = swarm.make_video(os.path.join(seed_dir, "late.mp4"), "mp4", seconds=1, size="160x120")
corrupt = os.path.join(root, "corrupt.mp4")
rnd = random.Random(13)
with open(corrupt, "wb") as f:
    f.write(bytes(rnd.randrange(256) for _ in range(200000)))
refs = {0: swarm.framemd5(local), 1: swarm.framemd5(good), 3: swarm.framemd5(late)}
t_good = swarm.create_tstream(good, os.path.join(root, "good.tstream"))
t_late = swarm.create_tstream(late, os.path.join(root, "late.tstream"))
seeder = swarm.Seeder(t_good, seed_dir)
late_port = swarm.free_port()  # nothing listens there until the late seeder starts

LIST = ("#EXTM3U\n#EXTINF:-1,Local\n%s\n#EXTINF:-1,Good\n%s\n#EXTINF:-1,Corrupt\n%s\n"
        "#EXTINF:-1,Late\n%s\n" % (local, t_good, corrupt, t_late)).encode()
mode = {"answer": "ok"}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        a = mode["answer"]
        if a == "500":
            body, code = b"<html>Internal Server Error</html>\n", 500
        elif a == "garbage":
            body, code = bytes(rnd.randrange(256) for _ in range(3000)) + b"\0", 200
        else:
            body, code = LIST, 200
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


httpd = Server(("127.0.0.1", 0), Handler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
list_url = "http://127.0.0.1:%d/list.m3u" % httpd.server_address[1]

port = swarm.free_port()
fh = os.path.join(root, "hashes")
os.makedirs(fh)
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
log = open(os.path.join(root, "kiosk.log"), "w")
k = subprocess.Popen(
    [exe, "kiosk", list_url, "--no-audio", "--no-tracker", "--no-dht", "--no-lsd",
     "--peer", seeder.peer, "--peer", "127.0.0.1:%d" % late_port,
     "--http", "127.0.0.1:%d" % port, "--framehash-dir", fh],
    env=env, stdout=log, stderr=subprocess.STDOUT)


def status():
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=10) as r:
            return json.load(r)
    except OSError:
        return None


def wait(cond, what, timeout=180):
    end = time.time() + timeout
    st = None
    while time.time() < end:
        if k.poll() is not None:
            swarm.fail("%s: the kiosk exited (%s)" % (what, k.returncode))
        st = status()
        if st and cond(st):
            return st
        time.sleep(0.3)
    swarm.terminate(k)
    swarm.fail("%s: not within %d s; last status %s" % (what, timeout, json.dumps(st)))


def reload(what):
    n = status()["last_fetch"]["count"]
    req = urllib.request.Request("http://127.0.0.1:%d/reload" % port, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 202, what + ": POST /reload accepted")
    return wait(lambda s: s["last_fetch"]["count"] > n, what)


def plays():
    """{item index: [hashes of each finished play]}"""
    out = {}
    for n in sorted(os.listdir(fh)):
        idx = int(n.split("-")[1].split(".")[0])
        out.setdefault(idx, []).append(swarm.read_hashes(os.path.join(fh, n)))
    return out


def frames_right(what):
    """The last play may be cut short by the SIGTERM (a prefix); the
    corrupt item's attempts wrote no frame."""
    got = plays()
    bad = {i: [len(h) for h in hs if i == 2 or h != refs[i][:len(h)]]
           for i, hs in got.items()}
    bad = {i: v for i, v in bad.items() if v and (i != 2 or any(v))}
    whole = sorted(i for i, hs in got.items() if i != 2 and refs[i] in hs)
    check(not bad and whole == [0, 1, 3], "%s: every play's frames are ffmpeg's framemd5 of its "
          "item (whole plays of %s), the corrupt one never showed a frame (plays %s, wrong %s)"
          % (what, whole, {i: len(v) for i, v in got.items()}, bad))


# corrupt and no peer: both skipped with a reason, tried again
st = wait(lambda s: len(s["items"]) == 4 and s["items"][2]["fails"] >= 2 and
          s["items"][3]["fails"] >= 1, "corrupt, no peer: skipped", 240)
c, n = st["items"][2], st["items"][3]
check(c["error"] and c["plays"] == 0,
      "corrupt: skipped, tried again (%d fails), the reason in the status: %r"
      % (c["fails"], c["error"]))
check("no data" in n["error"] and n["plays"] == 0,
      "no peer: skipped, the reason in the status: %r" % n["error"])
check(st["items"][0]["plays"] >= 1 and st["items"][1]["plays"] >= 1,
      "the other items play meanwhile (%d, %d plays)"
      % (st["items"][0]["plays"], st["items"][1]["plays"]))

# 500, then garbage: the last good list plays on
mode["answer"] = "500"
st = reload("500")
check(st["last_fetch"]["result"].startswith("failed") and "500" in st["last_fetch"]["result"],
      "500: the fetch failed, says so (%s)" % st["last_fetch"]["result"])
mode["answer"] = "garbage"
st = reload("garbage")
check(st["last_fetch"]["result"].startswith("malformed"),
      "garbage: refused as malformed (%s)" % st["last_fetch"]["result"])
before = st["plays"]
st = wait(lambda s: s["plays"] >= before + 2, "garbage: plays on")
check(st["version"] == 1 and len(st["items"]) == 4, "500, garbage: the last good list plays on "
      "(version %d, %d items)" % (st["version"], len(st["items"])))

# the late seeder comes: the item plays once it is there
late_seeder = swarm.Seeder(t_late, seed_dir, port=late_port)
st = wait(lambda s: s["items"][3]["plays"] >= 1, "no peer: plays once a seeder is there", 240)
check(st["items"][3]["cache"]["state"] == "complete" and not st["items"][3]["error"],
      "no peer: played once its seeder came (after %d fails at least), complete" % n["fails"])

# gone: no server, no seeder
mode["answer"] = "ok"
httpd.shutdown()
httpd.server_close()
seeder.stop()
late_seeder.stop()
st = reload("gone")
check(st["last_fetch"]["result"].startswith("failed"),
      "gone: the fetch failed, says so (%s)" % st["last_fetch"]["result"])
p0 = [it["plays"] for it in st["items"]]
st = wait(lambda s: all(s["items"][i]["plays"] > p0[i] for i in (0, 1, 3)),
          "gone: the cached items play on", 240)
check(st["version"] == 1 and st["items"][2]["plays"] == 0,
      "gone: the same list, the torrents from the cache (plays %s)"
      % [it["plays"] for it in st["items"]])
check(swarm.terminate(k) == 0, "the kiosk ends with exit 0")
frames_right("all along")
check.finish()
