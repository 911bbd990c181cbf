"""swarm.py - shared helpers for the player and e2e tests (run by
/usr/bin/python3, which has libtorrent). Small on purpose:

  skip(why) / fail(why)             exit 77 / 1 with a reason
  need(*tools)                      skip unless every tool is on PATH
  swarmplay()                       the built binary ($SWARMPLAY)
  workdir(name)                     a fresh directory under the build dir
  free_port()                       a port on 127.0.0.1 no other test
                                    takes meanwhile (ports.py)
  make_video(path, kind, seconds)   test media from lavfi (testsrc2 + sine)
                                    kind: mp4 (faststart), mp4-end (moov at
                                    the end), mkv (H.264+Opus), webm
                                    (VP9+Opus), ts (H.264+MP2)
  framemd5(path)                    ffmpeg's per-frame MD5s of the first
                                    video stream (the oracle)
  create_tstream(media, out)        `swarmplay create` (skips if missing)
  Seeder(torrent, data_dir, rate)   a libtorrent seeder capped at rate B/s
  TransmissionSeeder(torrent, data_dir, rate, home)
                                    transmission-cli seeding (same API)
  Leecher(torrent, save_dir, peer)  a libtorrent leecher of one peer
  play(args, timeout, env)          run `swarmplay play`; (rc, output)
  check_run(ref, got)               None if got is a contiguous run of ref
                                    ending where ref ends, else why not
  runs(ref, got)                    got as [(start, length)] runs of ref

Everything stays on 127.0.0.1; ports come from ports.py (libtorrent binds
port 0 itself and says which it got)."""
import hashlib, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import offline  # noqa: F401  (sets the no-outside-traffic environment)
import ports

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.stdout.flush()
    sys.exit(SKIP)


def fail(why):
    print("FAIL:", why)
    sys.stdout.flush()
    sys.exit(1)


class Checks:
    """A script's checks: check(cond, what) prints ok/FAIL and keeps going;
    finish() fails the script with every failed check, or prints ok."""

    def __init__(self):
        self.errors = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        sys.stdout.flush()
        if not cond:
            self.errors.append(what)
        return cond

    def finish(self):
        if self.errors:
            fail("; ".join(self.errors))
        print("ok")


def terminate(p, timeout=30):
    """SIGTERM a running subprocess (SIGKILL after timeout s); its exit
    code."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def start_xvfb(width, height):
    """An Xvfb screen of width x height (24 bits), its display number read
    from -displayfd; (process, ":N"). Skips (77) when Xvfb does not start.
    Stop it with terminate(process)."""
    need("Xvfb")
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0",
                             "%dx%dx24" % (width, height), "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(w)
    disp = b""
    t0 = time.time()
    while not disp.endswith(b"\n") and time.time() - t0 < 60:
        chunk = os.read(r, 16)
        if not chunk:
            break
        disp += chunk
    os.close(r)
    if not disp.strip():
        xvfb.kill()
        skip("Xvfb did not start")
    return xvfb, ":" + disp.decode().strip()


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            skip(t + " is not installed")


def swarmplay():
    exe = os.environ.get("SWARMPLAY")
    if not exe or not os.path.exists(exe):
        skip("SWARMPLAY is not set (run through meson test)")
    return exe


def workdir(name):
    base = os.environ.get("SP_BUILDDIR", tempfile.gettempdir())
    d = os.path.join(base, "test-output")
    os.makedirs(d, exist_ok=True)
    return tempfile.mkdtemp(prefix=name + "-", dir=d)


free_port = ports.free_port  # held for this test alone (ports.py)


_LAVFI = ["-f", "lavfi", "-i", "testsrc2=size={size}:rate=25:duration={sec}",
          "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration={sec}"]
_H264 = ["-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-g", "25", "-flags", "+bitexact"]
_KINDS = {
    "mp4": _H264 + ["-c:a", "aac", "-movflags", "+faststart"],
    "mp4-end": _H264 + ["-c:a", "aac"],
    "mkv": _H264 + ["-c:a", "libopus"],
    "webm": ["-c:v", "libvpx-vp9", "-threads", "1", "-deadline", "realtime", "-cpu-used", "8",
             "-g", "25", "-b:v", "600k", "-c:a", "libopus"],
    "ts": _H264 + ["-c:a", "mp2"],
}


def make_video(path, kind="mp4", seconds=4, size="320x240", bitrate=None):
    """Test media made now; bitrate (e.g. "800k") makes the file bigger so
    that a capped seeder streams it for several seconds."""
    need("ffmpeg")
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    args += [a.format(size=size, sec=seconds) for a in _LAVFI]
    args += _KINDS[kind]
    if bitrate and kind != "webm":
        args += ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    elif bitrate:
        args += ["-b:v", bitrate]
    args += [path]
    subprocess.run(args, check=True)
    return path


def framemd5(path):
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-map", "0:v:0",
                          "-fps_mode", "passthrough", "-f", "framemd5", "-"],
                         check=True, capture_output=True, text=True).stdout
    return [l.split(",")[5].strip() for l in out.splitlines() if l and not l.startswith("#")]


def read_hashes(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


def check_run(ref, got):
    if not got:
        return "no frames"
    if got[0] not in ref:
        return "first frame %s is not in the reference" % got[0]
    i = ref.index(got[0])
    if ref[i:i + len(got)] != got:
        bad = next(k for k in range(len(got)) if i + k >= len(ref) or ref[i + k] != got[k])
        return "frame %d differs (reference frame %d)" % (bad, i + bad)
    if i + len(got) != len(ref):
        return "stopped after %d of %d frames" % (i + len(got), len(ref))
    return None


def runs(ref, got):
    """Split got into maximal runs of consecutive reference frames:
    [(index in ref, length)]; index -1 for a frame not in ref."""
    pos = {h: i for i, h in enumerate(ref)}
    out = []
    for h in got:
        i = pos.get(h, -1)
        if out and i >= 0 and out[-1][0] >= 0 and out[-1][0] + out[-1][1] == i:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((i, 1))
    return out


def create_tstream(media, out, extra=()):
    exe = swarmplay()
    r = subprocess.run([exe, "create", media, "-o", out] + list(extra), capture_output=True,
                       text=True)
    if r.returncode == 4 or "not yet implemented" in r.stderr:
        skip("swarmplay create is not implemented yet")
    if r.returncode != 0:
        fail("swarmplay create failed: " + r.stderr)
    return out


def lt():
    try:
        import libtorrent
        return libtorrent
    except ImportError:
        skip("python3-libtorrent is not importable from " + sys.executable)


def _session(lt_mod, port, upload_limit=0):
    s = lt_mod.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
        "alert_mask": 0, "tick_interval": 50, "upload_rate_limit": upload_limit,
    })
    if upload_limit:
        # loopback peers are exempt from rate limits unless in the global class
        f = lt_mod.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt_mod.session.global_peer_class_id)
        s.set_peer_class_filter(f)
    return s


class Seeder:
    """libtorrent seeding the torrent's data from data_dir, upload capped
    at rate bytes/s (0: no cap), on port (0: one it picks); pex False: it
    does not connect to peers swarmplay tells it of. It lives in this
    process's threads."""

    def __init__(self, torrent, data_dir, rate=0, port=0, pex=True):
        self.lt = lt()
        self.ses = _session(self.lt, port, rate)  # port 0: no race for a free one
        self.port = self.ses.listen_port()
        flags = self.lt.torrent_flags.seed_mode
        if not pex:  # it connects to no peer it is told of (ut_pex)
            flags |= self.lt.torrent_flags.disable_pex
        self.h = self.ses.add_torrent({"ti": self.lt.torrent_info(torrent), "save_path": data_dir,
                                       "flags": flags})
        end = time.time() + 30
        while not self.h.status().is_seeding:
            if time.time() > end:
                fail("libtorrent did not start seeding")
            time.sleep(0.05)
        self.peer = "127.0.0.1:%d" % self.port

    def uploaded(self):
        return self.h.status().total_payload_upload

    def stop(self):
        self.ses.pause()
        del self.h
        del self.ses


class TransmissionSeeder:
    """transmission-cli seeding the data in data_dir, upload capped at
    rate bytes/s (kB/s granularity). It checks the data first, then seeds;
    the constructor waits until it listens."""

    def __init__(self, torrent, data_dir, rate, home):
        need("transmission-cli")
        self.port = free_port()
        os.makedirs(home, exist_ok=True)
        self.log = open(os.path.join(home, "transmission.log"), "w")
        up = ["-u", str(max(1, rate // 1000))] if rate else ["-U"]
        self.proc = subprocess.Popen(
            ["transmission-cli", "-p", str(self.port), "-w", data_dir, "-g", home, "-er",
             "-d", "-1"] + up + [torrent], stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 60
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    fail("transmission-cli exited")
                time.sleep(0.1)
        else:
            fail("transmission-cli does not listen")
        time.sleep(1.0)  # its check of the data
        self.peer = "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Leecher:
    """libtorrent downloading the torrent into save_dir from one peer."""

    def __init__(self, torrent, save_dir, peer_port):
        self.lt = lt()
        self.ses = _session(self.lt, 0)
        self.port = self.ses.listen_port()
        # no PEX: it learns of no peer but peer_port (swarmplay passes its
        # seeder on by PEX, and a test that asks for "from swarmplay alone"
        # would otherwise race the leecher's connection to that seeder)
        self.h = self.ses.add_torrent({"ti": self.lt.torrent_info(torrent), "save_path": save_dir,
                                       "flags": self.lt.torrent_flags.default_flags
                                       | self.lt.torrent_flags.disable_pex})
        self.h.connect_peer(("127.0.0.1", peer_port))

    def connect(self, peer_port):
        self.h.connect_peer(("127.0.0.1", peer_port))

    def done(self):
        return self.h.status().is_seeding

    def progress(self):
        return self.h.status().progress

    def stop(self):
        self.ses.pause()
        del self.h
        del self.ses


def play(args, timeout=60, env=None, log=None):
    """Run `swarmplay play ARGS` headless-friendly; returns (rc, output).
    rc is None on timeout (the process is killed)."""
    e = dict(os.environ)
    e.setdefault("SDL_AUDIODRIVER", "dummy")
    e.setdefault("SDL_VIDEODRIVER", "dummy")
    if env:
        e.update(env)
    p = subprocess.Popen([swarmplay(), "play"] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=e, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        rc = None
    if log:
        with open(log, "w") as f:
            f.write(out)
    return rc, out


def read_json(path):
    with open(path) as f:
        return json.load(f)


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
