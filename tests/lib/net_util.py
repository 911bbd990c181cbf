"""net_util.py - helpers for the network engine's interop tests (run by
/usr/bin/python3, which has libtorrent): free loopback ports, a multi-file
payload with awkward sizes, v1 torrents, libtorrent / aria2c /
transmission peers, running swarmplay, comparing trees byte for byte.

Every helper stays on 127.0.0.1 and picks ports by binding port 0. A test
that lacks a tool calls skip(), which exits 77."""
import atexit, filecmp, json, os, random, shutil, signal, socket, subprocess, sys, tempfile, time

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.exit(SKIP)


_workdirs = []
_keep = [os.environ.get("SP_KEEP") == "1"]


def fail(why):
    print("FAIL:", why)
    _keep[0] = True  # leave the logs for a post-mortem
    sys.exit(1)


@atexit.register
def _cleanup():
    if not _keep[0]:
        for d in _workdirs:
            shutil.rmtree(d, ignore_errors=True)


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            skip(t + " is not installed")


def lt():
    try:
        import libtorrent
        return libtorrent
    except ImportError:
        skip("python3-libtorrent is not importable from " + sys.executable)


def swarmplay():
    exe = os.environ.get("SWARMPLAY")
    if not exe or not os.path.exists(exe):
        skip("SWARMPLAY is not set (run through meson test)")
    return exe


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def workdir(name):
    base = os.path.abspath(os.environ.get("SP_BUILDDIR", tempfile.gettempdir()))
    d = tempfile.mkdtemp(prefix=name + "-", dir=os.path.join(base, "tests") if os.path.isdir(
        os.path.join(base, "tests")) else base)
    _workdirs.append(d)
    return d


# A payload of several MB: odd sizes, a file smaller than a piece, a last
# piece shorter than the rest (piece size 64 KiB).
LAYOUT = [("clip.bin", 2_900_017), ("sub/notes.txt", 10_001), ("sub/deep/extra.bin", 1_234_567),
          ("tiny.dat", 3)]


def make_payload(root, name="payload", layout=LAYOUT, seed=7):
    rnd = random.Random(seed)
    top = os.path.join(root, name)
    for rel, size in layout:
        path = os.path.join(top, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rnd.randbytes(size))
    return top


def make_torrent(lt_mod, content, out, trackers=(), piece_size=65536):
    fs = lt_mod.file_storage()
    lt_mod.add_files(fs, content)
    ct = lt_mod.create_torrent(fs, piece_size, flags=lt_mod.create_torrent.v1_only)
    for i, tr in enumerate(trackers):
        ct.add_tracker(tr, i)
    lt_mod.set_piece_hashes(ct, os.path.dirname(content))
    data = lt_mod.bencode(ct.generate())
    with open(out, "wb") as f:
        f.write(data)
    info = lt_mod.torrent_info(out)
    return str(info.info_hash())


def same_tree(a, b):
    """Byte-identical regular files, both ways."""
    for base, other in ((a, b), (b, a)):
        for dp, _, files in os.walk(base):
            for fn in files:
                p = os.path.join(dp, fn)
                q = os.path.join(other, os.path.relpath(p, base))
                if not os.path.exists(q) or not filecmp.cmp(p, q, shallow=False):
                    return "differs: " + os.path.relpath(p, base)
    return None


def lt_session(lt_mod, port, upload_limit=0, download_limit=0):
    s = lt_mod.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
        "alert_mask": 0, "tick_interval": 50,
        "upload_rate_limit": upload_limit, "download_rate_limit": download_limit,
    })
    if upload_limit or download_limit:
        # loopback is exempt from rate limits unless put in the global class
        f = lt_mod.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt_mod.session.global_peer_class_id)
        s.set_peer_class_filter(f)
    return s


def lt_add(lt_mod, ses, torrent, save_path, seed=False):
    p = {"ti": lt_mod.torrent_info(torrent), "save_path": save_path}
    if seed:
        p["flags"] = lt_mod.torrent_flags.seed_mode
    return ses.add_torrent(p)


def wait_lt_seeding(h, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        st = h.status()
        if st.is_seeding:
            return
        time.sleep(0.1)
    fail("libtorrent did not start seeding")


ARIA2_COMMON = ["--enable-dht=false", "--enable-dht6=false", "--enable-peer-exchange=false",
                "--bt-enable-lpd=false", "--summary-interval=0", "--console-log-level=warn",
                "--follow-torrent=false", "--bt-external-ip=127.0.0.1", "--disable-ipv6=true",
                "--file-allocation=none"]


def aria2_seed(torrent, dir_, port, log):
    """aria2c seeding existing data at full rate, forever."""
    return subprocess.Popen(
        ["aria2c"] + ARIA2_COMMON +
        ["--seed-ratio=0.0", "--bt-seed-unverified=true", "--check-integrity=false",
         "--listen-port=%d" % port, "--dir=" + dir_, torrent],
        stdout=log, stderr=subprocess.STDOUT)


def aria2_get(torrent, dir_, port, log, seed_time=0):
    """aria2c downloading (finds peers through the torrent's tracker)."""
    return subprocess.Popen(
        ["aria2c"] + ARIA2_COMMON +
        ["--seed-time=%d" % seed_time, "--listen-port=%d" % port, "--dir=" + dir_,
         "--bt-tracker-interval=2", torrent],
        stdout=log, stderr=subprocess.STDOUT)


def transmission(torrent, dir_, port, home, log, encryption="-et"):
    """transmission-cli: seeds if dir_ holds the data, else downloads.
    encryption: -et tolerated, -ep preferred, -er required."""
    os.makedirs(home, exist_ok=True)
    return subprocess.Popen(
        ["transmission-cli", "-p", str(port), "-w", dir_, "-g", home, encryption, "-U", "-D",
         "-M", torrent],
        stdout=log, stderr=subprocess.STDOUT)


class Opentracker:
    """opentracker on 127.0.0.1 with a whitelist (Debian builds it so)."""

    def __init__(self, root, info_hashes, log):
        need("opentracker")
        self.dir = os.path.join(root, "ot")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "whitelist"), "w") as f:
            for h in info_hashes:
                f.write(h + "\n")
        self.port = free_port()
        args = ["opentracker", "-i", "127.0.0.1", "-p", str(self.port), "-P", str(self.port),
                "-w", "whitelist", "-d", self.dir]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        atexit.register(self.stop)  # never leave a tracker behind, even on failure
        self.url = "http://127.0.0.1:%d/announce" % self.port
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        fail("opentracker did not start")

    def stop(self):
        stop(self.proc)


def run_swarmplay(args, log, timeout):
    p = subprocess.Popen([swarmplay()] + args, stdout=log, stderr=subprocess.STDOUT)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def start_swarmplay(args, log, env=None):
    e = dict(os.environ)
    e.setdefault("SWARMPLAY_LOG", "info")
    if env:
        e.update(env)
    return subprocess.Popen([swarmplay()] + args, stdout=log, stderr=subprocess.STDOUT, env=e)


def stop(p, sig=signal.SIGTERM, timeout=10):
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def show_log(path, tail=40):
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
        print("---- %s (last %d lines)" % (path, tail))
        print("".join(lines[-tail:]))
    except OSError:
        pass


NGINX_CONF = """daemon off;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log;
events { worker_connections 64; }
http {
    access_log %(p)s/access.log;
    client_body_temp_path %(p)s/tmp/body;
    proxy_temp_path %(p)s/tmp/proxy;
    fastcgi_temp_path %(p)s/tmp/fastcgi;
    uwsgi_temp_path %(p)s/tmp/uwsgi;
    scgi_temp_path %(p)s/tmp/scgi;
    %(http_extra)s
    server { listen 127.0.0.1:%(port)d%(ssl)s; root %(root)s; %(extra)s }
}
"""


class Nginx:
    """nginx (nginx-light) serving root on 127.0.0.1, from a config of our own.
    extra: directives added to the server block (e.g. "limit_rate 100k;");
    http_extra: directives for the http block; ssl: (certificate, key) to
    serve HTTPS; name: the directory under work for its config and logs
    (two servers in one work directory need two names).

    url, port, access_log, error_log, prefix; stop(). The port is picked
    free, then bound by nginx: if something took it in between, nginx
    starts again on another one. Ready means its pid file is written (that
    is after it bound its port) and the port answers."""

    def __init__(self, work, root, log, extra="", http_extra="", ssl=None, name="nginx"):
        exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                        else None)
        if not exe:
            skip("nginx is not installed")
        # nginx's workers run as nobody: every directory on the way must be readable
        d = os.path.abspath(root)
        while d != "/":
            os.chmod(d, os.stat(d).st_mode | 0o055)
            d = os.path.dirname(d)
        for dp, dirs, files in os.walk(root):
            os.chmod(dp, os.stat(dp).st_mode | 0o055)
            for f in files:
                os.chmod(os.path.join(dp, f), 0o644)
        ssl_dir = ""
        if ssl:
            for f in ssl:
                os.chmod(f, 0o644)
            ssl_dir = "ssl_certificate %s; ssl_certificate_key %s;" % tuple(ssl)
        self.prefix = prefix = os.path.join(work, name)
        os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
        self.access_log = os.path.join(prefix, "access.log")
        self.error_log = os.path.join(prefix, "error.log")
        self.proc = None
        atexit.register(self.stop)  # never leave a server behind, even on failure
        conf = os.path.join(prefix, "nginx.conf")
        pidfile = os.path.join(prefix, "nginx.pid")
        for attempt in range(5):
            self.port = free_port()
            with open(conf, "w") as f:
                f.write(NGINX_CONF % {"p": prefix, "port": self.port, "root": os.path.abspath(root),
                                      "extra": ssl_dir + extra, "http_extra": http_extra,
                                      "ssl": " ssl" if ssl else ""})
            if os.path.exists(pidfile):
                os.unlink(pidfile)
            self.proc = subprocess.Popen([exe, "-c", conf, "-p", prefix], stdout=log,
                                         stderr=subprocess.STDOUT)
            if self._ready(pidfile):
                break
            self.proc.wait()
            err = self._errors()
            if "in use" not in err:
                fail("nginx exited: " + err)
            print("nginx: port %d was taken meanwhile, again on another" % self.port)
        else:
            fail("nginx found no free port in 5 tries")
        self.url = "%s://127.0.0.1:%d/" % ("https" if ssl else "http", self.port)

    def _ready(self, pidfile, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(pidfile):
                try:
                    socket.create_connection(("127.0.0.1", self.port), 1).close()
                    return True
                except OSError:
                    pass
            time.sleep(0.05)
        fail("nginx did not start in %d s: %s" % (timeout, self._errors()))

    def _errors(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def log(self):
        """The access log so far."""
        with open(self.access_log, errors="replace") as f:
            return f.read()

    def stop(self):
        stop(self.proc)
