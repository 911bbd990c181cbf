#!/usr/bin/python3
"""ctl.py - the kiosk's control socket (--control PATH) and `swarmplay ctl`,
headless (SDL dummy drivers: a window no one sees), on a list of two local
40 s clips.

  socket    the socket file is 0600; a second kiosk given the same path
            refuses it (another kiosk answers there) and exits 1;
  commands  every command through `swarmplay ctl`: status names the item
            playing; next, prev and goto N move the play within seconds;
            goto past the list is an error (exit 1); reload fetches the
            list again; pause holds the position and play moves it on;
            volume N shows in status; seek S moves the position there;
            screenshot FILE writes a PNG of the frame (a relative FILE
            made absolute by ctl); a bad argument exits 2;
            `ctl -` sends the lines of stdin, one reply printed for each;
  lines     on one raw connection: a malformed line, an unknown command
            and a line too long each get an error reply, and the
            connection then answers a good one (with its id); a client
            that shuts its side after 300 requests still gets every reply;
  many      50 clients at once, each asking status with its own id: each
            gets its own reply; past 64, a client is told so and closed;
  stuck     a client that writes requests and never reads: the kiosk
            drops it, its RSS and open files stay bounded, and meanwhile
            it keeps playing and answering another client."""
import json, os, socket, stat, struct, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import sanitizer
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
root = swarm.workdir("kiosk-ctl")
check = swarm.Checks()
clips = [swarm.make_video(os.path.join(root, "%s.mkv" % n), "mkv", seconds=40, size="160x120")
         for n in ("a", "b")]
listf = os.path.join(root, "list.m3u")
with open(listf, "w") as f:
    f.write("#EXTM3U\n#EXTINF:-1,Clip A\n%s\n#EXTINF:-1,Clip B\n%s\n" % tuple(clips))
sock = os.path.join(root, "kiosk.sock")
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           XDG_CACHE_HOME=os.path.join(root, "cache"))
log = open(os.path.join(root, "kiosk.log"), "w")
kiosk = subprocess.Popen([exe, "kiosk", listf, "--no-audio", "--no-lsd",
                          "--no-dht", "--no-tracker", "--control", sock],
                         env=env, stdout=log, stderr=subprocess.STDOUT)


def ctl(*args, timeout=30, cwd=None):
    r = subprocess.run([exe, "ctl", "--control", sock] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout, cwd=cwd)
    reply = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, reply, r.stderr


def status():
    rc, reply, _ = ctl("status")
    return reply["status"] if rc == 0 else None


def wait(cond, what, timeout=60):
    end = time.time() + timeout
    st = None
    while time.time() < end:
        if kiosk.poll() is not None:
            swarm.fail("%s: the kiosk exited (%s)" % (what, kiosk.returncode))
        if os.path.exists(sock):
            st = status()
            if st and cond(st):
                return st
        time.sleep(0.2)
    swarm.fail("%s: not within %d s; last status %s" % (what, timeout, st))


def playing(i):
    return lambda s: s["current"] and s["current"]["index"] == i and s["current"]["position_s"] > 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Conn:
    """One raw connection: lines out, lines in."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(sock)
        self.buf = b""

    def send(self, line):
        self.s.sendall(line if isinstance(line, bytes) else line.encode())

    def reply(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.s.close()


try:
    # socket
    wait(playing(0), "the first item plays")
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    check(stat.S_ISSOCK(os.stat(sock).st_mode) and mode == 0o600,
          "the control socket is a socket, mode %o" % mode)
    r = subprocess.run([exe, "kiosk", listf, "--no-audio", "--no-video", "--no-lsd", "--no-dht",
                        "--no-tracker", "--control", sock], env=env, capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 1 and "another kiosk answers there" in r.stderr,
          "a second kiosk on the same socket exits 1: %s (%d)" % (r.stderr.strip()[-80:],
                                                                r.returncode))
    check(status() is not None, "the first kiosk still answers on its socket")

    # commands
    rc, reply, _ = ctl("status")
    check(rc == 0 and reply["ok"] and reply["status"]["current"]["title"] == "Clip A",
          "status names the item playing (Clip A)")
    check(reply["status"]["uptime_s"] > 0, "status has the uptime (%.1f s)" %
          reply["status"]["uptime_s"])
    tot = reply["status"]["totals"]
    check(set(tot) >= {"peers", "down_rate", "up_rate", "from_peers", "from_webseed",
                       "uploaded", "cache_have", "cache_total"},
          "status has the totals: peers, rates, bytes by source, cache use (%s)" % tot)
    rc, reply, _ = ctl("next")
    check(rc == 0 and reply == {"ok": True}, "next: %s" % reply)
    wait(playing(1), "next: the second item plays", 20)
    rc, reply, _ = ctl("prev")
    check(rc == 0 and reply["ok"], "prev: %s" % reply)
    wait(playing(0), "prev: the first item plays again", 20)
    rc, reply, _ = ctl("goto", 1)
    check(rc == 0 and reply["ok"], "goto 1: %s" % reply)
    st = wait(playing(1), "goto 1: the second item plays", 20)
    rc, reply, _ = ctl("goto", 2)
    check(rc == 1 and not reply["ok"] and "no item 2" in reply["error"],
          "goto 2 of a list of 2: exit 1, %s" % reply)
    before = st["last_fetch"]["count"]
    rc, reply, _ = ctl("reload")
    check(rc == 0 and reply["ok"], "reload: %s" % reply)
    wait(lambda s: s["last_fetch"]["count"] > before, "reload: the list fetched again", 20)
    rc, reply, _ = ctl("pause")
    check(rc == 0 and reply == {"ok": True, "pending": True}, "pause: %s" % reply)
    # pending: the main thread applies it (on a loaded machine, later)
    wait(lambda s: s["paused"] is True, "status: paused", 10)
    # the position the player reports last, once two readings agree
    # (a report on its way when the pause came may still land)
    prev = None
    for _ in range(50):
        p0 = status()["current"]["position_s"]
        if p0 == prev:
            break
        prev = p0
        time.sleep(0.3)
    time.sleep(1.5)  # that nothing moves: a loaded machine moves nothing either
    p1 = status()["current"]["position_s"]
    check(abs(p1 - p0) < 0.3, "paused: the position stays (%.1f s, 1.5 s later %.1f s)" %
          (p0, p1))
    rc, reply, _ = ctl("play")
    check(rc == 0 and reply["ok"], "play: %s" % reply)
    wait(lambda s: s["paused"] is False, "status: not paused", 10)
    st = wait(lambda s: s["current"]["position_s"] > p1 + 0.7,
              "playing again: the position moves on past %.1f s" % (p1 + 0.7), 20)
    check(True, "playing again: the position moves on (%.1f s, then %.1f s)"
          % (p1, st["current"]["position_s"]))
    rc, reply, _ = ctl("volume", 30)
    check(rc == 0 and reply["ok"] and status()["volume"] == 30, "volume 30: %s" % reply)
    rc, reply, _ = ctl("seek", 25)
    check(rc == 0 and reply["ok"], "seek 25: %s" % reply)
    st = wait(lambda s: s["current"] and s["current"]["position_s"] >= 25,
              "seek 25: the position is there", 10)  # from ~5 s: playing on cannot
    check(st["current"]["position_s"] < 30, "seek 25: at %.1f s" % st["current"]["position_s"])
    shot = os.path.join(root, "shot.png")
    rc, reply, _ = ctl("screenshot", "shot.png", cwd=root)  # relative: made absolute
    check(rc == 0 and reply["ok"], "screenshot FILE: %s" % reply)
    end = time.time() + 20
    while not os.path.exists(shot) and time.time() < end:
        time.sleep(0.1)  # a PNG appears whole (written beside it, renamed)
    head = open(shot, "rb").read(24) if os.path.exists(shot) else b""
    size = struct.unpack(">II", head[16:24]) if len(head) == 24 else None
    check(head[:8] == b"\x89PNG\r\n\x1a\n" and size == (160, 120),
          "screenshot: a PNG of the frame, at the video's size %s" % (size,))
    for bad in (["volume", "loud"], ["goto"], ["jump"], ["status", "now"]):
        rc, reply, err = ctl(*bad)
        check(rc == 2 and reply is None, "ctl %s: a usage error (exit %d)" % (" ".join(bad), rc))

    # ctl -: request lines from stdin, one reply each; a line too long is
    # not sent
    r = subprocess.run([exe, "ctl", "--control", sock, "-"], capture_output=True, text=True,
                       timeout=60, input='{"cmd": "status", "id": 1}\nnot json\n\n' +
                       '{"cmd": "status", "pad": "%s"}\n' % ("x" * 9000) +
                       '{"cmd": "reload", "id": 2}\n')
    out = [json.loads(l) for l in r.stdout.splitlines()]
    check(r.returncode == 1 and len(out) == 3 and out[0]["id"] == 1 and not out[1]["ok"] and
          out[2] == {"ok": True, "id": 2} and "too long" in r.stderr,
          "ctl -: three replies, the long line not sent, exit 1 (%d, %s)" %
          (r.returncode, [o.get("id", o.get("error")) for o in out]))

    # lines
    c = Conn()
    c.send("this is not json\n")
    r1 = c.reply()
    c.send('{"cmd": "fly", "id": 4}\n')
    r2 = c.reply()
    c.send('{"cmd": "status", "pad": "' + "x" * 10000 + '"}\n')
    r3 = c.reply()
    c.send('{"id": "after", "cmd": "status"}\r\n')
    r4 = c.reply()
    check(r1 == {"ok": False, "error": "not a JSON object"}, "a malformed line: %s" % r1)
    check(r2 == {"ok": False, "error": "unknown command", "id": 4}, "an unknown command: %s" % r2)
    check(r3 == {"ok": False, "error": "the line is too long"}, "a line of 10 kB: %s" % r3)
    check(r4["ok"] and r4["id"] == "after" and r4["status"]["current"] is not None,
          "the same connection then answers status (id \"after\")")
    c.close()
    # more replies than the socket holds (some 300 kB), then the end of
    # the requests: every reply still comes
    c = Conn()
    c.send("".join('{"cmd": "status", "id": %d}\n' % i for i in range(300)))
    c.s.shutdown(socket.SHUT_WR)
    time.sleep(0.5)
    ids = []
    try:
        while len(ids) < 300:
            ids.append(c.reply()["id"])
    except (ConnectionError, OSError, ValueError):
        pass
    check(ids == list(range(300)), "a client that shuts its side after 300 requests gets "
          "every reply (%d)" % len(ids))
    c.close()

    # many
    conns = [Conn() for _ in range(50)]
    for i, c in enumerate(conns):
        c.send('{"cmd": "status", "id": %d}\n' % i)
    got = [c.reply() for c in conns]
    check(all(g["ok"] and g["id"] == i and g["status"]["items"] for i, g in enumerate(got)),
          "50 clients at once: each its own status reply")
    more = [Conn() for _ in range(20)]  # 70: past the cap of 64
    busy = 0
    for c in more:
        try:
            c.send('{"cmd": "status"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # a refused one may be closed already: its line is there to read
        busy += c.reply() == {"ok": False, "error": "too many clients"}
    check(busy == 6, "20 more: the 6 past 64 clients are told \"too many clients\" (%d)" % busy)
    for c in conns + more:
        c.close()

    # stuck
    time.sleep(0.5)
    rss0, fds0 = rss_kb(kiosk.pid), nfds(kiosk.pid)
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.connect(sock)
    stuck.setblocking(False)
    other = Conn()
    req = b'{"cmd": "status"}\n' * 64
    sent, dropped, answered, peak, end = 0, False, 0, rss0, time.time() + 120
    while time.time() < end and not dropped:
        blocked = False
        try:
            sent += stuck.send(req)
        except BlockingIOError:
            blocked = True
        except (BrokenPipeError, ConnectionResetError):
            dropped = True
        # the other client asks on every round, not only once the stuck
        # one blocks: the kiosk may drop it before its socket ever fills
        other.send('{"cmd": "status"}\n')
        answered += other.reply()["ok"]
        peak = max(peak, rss_kb(kiosk.pid))
        if blocked:
            time.sleep(0.05)
    check(dropped, "a client that never reads is dropped (after %d kB of requests)" %
          (sent // 1024))
    check(answered > 0, "meanwhile another client got %d answers" % answered)
    grew = "RSS bounded: %d kB, at most %d kB more" % (rss0, peak - rss0)
    if sanitizer.rss_bound_holds(grew):
        check(peak - rss0 < 24 * 1024, grew)
    stuck.close()
    wait(lambda s: nfds(kiosk.pid) <= fds0 + 1, "its socket closed", 20)
    check(nfds(kiosk.pid) <= fds0 + 1, "open files: %d before, %d after (one is the other "
          "client)" % (fds0, nfds(kiosk.pid)))
    p0 = status()["current"]
    st = wait(lambda s: s["current"] and (s["current"]["index"] != p0["index"] or
                                          s["current"]["position_s"] > p0["position_s"]),
              "the kiosk plays on past %.1f s" % p0["position_s"], 20)
    check(True, "the kiosk plays on (%.1f s, then %.1f s)"
          % (p0["position_s"], st["current"]["position_s"]))
    other.close()
finally:
    code = swarm.terminate(kiosk)
check(code == 0, "the kiosk exits 0 on SIGTERM")
check(not os.path.exists(sock), "and removes its socket")
check.finish()
