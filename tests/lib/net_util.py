"""net_util.py - helpers for the network engine's interop tests (run by
/usr/bin/python3, which has libtorrent): free loopback ports, a multi-file
payload with awkward sizes, v1 torrents, libtorrent / aria2c /
transmission peers, running swarmplay, comparing trees byte for byte.

Every helper stays on 127.0.0.1; free_port() is ports.py's (a port no
other test takes meanwhile), libtorrent binds port 0 itself. A test
that lacks a tool calls skip(), which exits 77."""
import atexit, filecmp, json, os, random, re, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.parse, urllib.request
import offline  # noqa: F401  (sets the no-outside-traffic environment)
import ports

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


free_port = ports.free_port  # held for this test alone (ports.py)


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


def lt_session(lt_mod, port, upload_limit=0, download_limit=0, host="127.0.0.1", **settings):
    """A libtorrent session listening on host:port only (port 0: its own
    choice; host "::1" for an IPv6-only one), no DHT, LSD, UPnP or NAT-PMP,
    several connections per address (every peer is on loopback); settings
    add to or override these. Rate limits apply to loopback peers too."""
    conf = {
        "listen_interfaces": ("[%s]:%d" if ":" in host else "%s:%d") % (host, port),
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
        "alert_mask": 0, "tick_interval": 50,
        "upload_rate_limit": upload_limit, "download_rate_limit": download_limit,
    }
    conf.update(settings)
    s = lt_mod.session(conf)
    if upload_limit or download_limit:
        # loopback is exempt from rate limits unless put in the global class
        f = lt_mod.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt_mod.session.global_peer_class_id)
        f.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                   1 << lt_mod.session.global_peer_class_id)
        s.set_peer_class_filter(f)
    return s


def need_ipv6():
    """Skips (77) unless ::1 can be bound, TCP and UDP (no IPv6 here)."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET6, kind)
        try:
            s.bind(("::1", 0))
        except OSError as e:
            skip("cannot bind ::1 (no IPv6 here?): %s" % e)
        finally:
            s.close()


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


def lt_seed(lt_mod, torrent, save_path, upload_limit=0):
    """An honest libtorrent seed of torrent on 127.0.0.1 (its files in
    save_path, capped at upload_limit B/s), seeding: (session, port)."""
    ses = lt_session(lt_mod, 0, upload_limit=upload_limit)
    wait_lt_seeding(lt_add(lt_mod, ses, torrent, save_path, seed=True))
    return ses, ses.listen_port()


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
        self.proc = None
        atexit.register(self.stop)  # never leave a tracker behind, even on failure
        # the port is picked free, then bound by opentracker: if something
        # took it in between, opentracker exits and starts again on another
        for attempt in range(5):
            self.port = free_port()
            args = ["opentracker", "-i", "127.0.0.1", "-p", str(self.port), "-P", str(self.port),
                    "-w", "whitelist", "-d", self.dir]
            if os.geteuid() == 0:
                args += ["-u", "nobody"]
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
            self.url = "http://127.0.0.1:%d/announce" % self.port
            end = time.time() + 60
            while time.time() < end and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 1).close()
                    time.sleep(0.1)  # a listener of someone else's would not keep it alive
                    if self.proc.poll() is None:
                        return
                except OSError:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                fail("opentracker did not start in 60 s")
            print("opentracker exited (rc %s), again on another port" % self.proc.returncode)
        fail("opentracker could not start in 5 tries")

    def seeders(self, info_hash):
        """(complete, incomplete) for info_hash (hex) by an HTTP scrape."""
        q = urllib.parse.quote_from_bytes(bytes.fromhex(info_hash))
        url = "http://127.0.0.1:%d/scrape?info_hash=%s" % (self.port, q)
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback
            with opener.open(url, timeout=10) as r:
                body = r.read()
        except OSError:
            return 0, 0
        c = re.search(rb"8:completei(\d+)e", body)
        i = re.search(rb"10:incompletei(\d+)e", body)
        return int(c.group(1)) if c else 0, int(i.group(1)) if i else 0

    def wait_peers(self, info_hash, n=1, timeout=60):
        """Until the tracker lists n peers (seeds or not) of info_hash:
        their announces arrived, so an announce now gets them. Rather than
        a sleep that a busy machine outlasts."""
        end = time.time() + timeout
        while time.time() < end:
            if sum(self.seeders(info_hash)) >= n:
                return
            time.sleep(0.1)
        fail("opentracker does not list %d peer(s) of %s after %d s" % (n, info_hash, timeout))

    def stop(self):
        stop(self.proc)


def wait_listening(port, proc=None, timeout=60, what="the peer"):
    """Until something accepts TCP connections on 127.0.0.1:port (a
    client started with that port), rather than a sleep."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            fail("%s exited (rc %s) before listening on %d" % (what, proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.1)
    fail("%s does not listen on %d after %d s" % (what, port, timeout))


def start_swarmplay_port(args, log_path, env=None, timeout=60):
    """start_swarmplay with --port 0 added: the port the session bound,
    read from its "listening on port N" line (no race for a free port).
    Returns (process, port); the log goes to log_path."""
    p = start_swarmplay(args + ["--port", "0"], open(log_path, "w"), env)
    end = time.time() + timeout
    while time.time() < end:
        with open(log_path, errors="replace") as f:
            for line in f:
                m = re.search(r"port (\d+)\s*$", line)  # also "le port N" (fr)
                if m:
                    return p, int(m.group(1))
        if p.poll() is not None:
            show_log(log_path)
            fail("swarmplay exited (rc %s) before listening" % p.returncode)
        time.sleep(0.05)
    show_log(log_path)
    fail("swarmplay did not say its port in %d s" % timeout)


def lt_dht_node(lt, boot=""):
    """A libtorrent session that is only a DHT node on 127.0.0.1, bootstrapped
    from boot ("h:p,h:p"): routing restrictions off (every node shares one
    address), the per-address block lifted (the tests' own get_peers polls),
    announces every 3 s instead of every 15 minutes. Peers it finds are
    tried over uTP first, which swarmplay does not speak: they fall back
    to TCP."""
    return lt.session({
        "listen_interfaces": "127.0.0.1:0", "enable_dht": True, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False, "dht_bootstrap_nodes": boot,
        "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 1000, "dht_announce_interval": 3, "alert_mask": 0})


def lt_dht_mesh(lt, n):
    """n DHT nodes on 127.0.0.1, each with all the others in its table."""
    nodes = []
    for _ in range(n):
        nodes.append(lt_dht_node(lt, ",".join("127.0.0.1:%d" % x.listen_port()
                                              for x in nodes[-2:])))
    ports = [x.listen_port() for x in nodes]
    for x in nodes:
        for p in ports:
            if p != x.listen_port():
                x.add_dht_node(("127.0.0.1", p))
    return nodes, ports


def dht_peers(node_port, info_hash, host="127.0.0.1"):
    """Peers (host, port) that the DHT node on host:node_port gives for
    info_hash (hex), asked with a get_peers query of our own; host "::1"
    asks over IPv6 and reads 18-byte values (BEP 32)."""
    v6 = ":" in host
    q = (b"d1:ad2:id20:" + b"q" * 20 + b"9:info_hash20:" + bytes.fromhex(info_hash) +
         b"e1:q9:get_peers1:t2:gp1:y1:qe")
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(0.5)
        s.sendto(q, (host, node_port))
        data = s.recv(2048)
    except OSError:
        return []
    finally:
        s.close()
    alen = 16 if v6 else 4
    m = re.search(rb"6:valuesl((?:%d:[\s\S]{%d})*)e" % (alen + 2, alen + 2), data)
    if not m:
        return []
    out, v, step = [], m.group(1), alen + 2 + len(str(alen + 2)) + 1
    for k in range(0, len(v), step):
        rec = v[k + step - alen - 2:k + step]
        out.append((socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, rec[:alen]),
                    int.from_bytes(rec[alen:], "big")))
    return out


def wait_dht_holders(ports, info_hash, peer, timeout=90):
    """The DHT nodes (of ports) that give out peer (host, port) for
    info_hash, once at least one does; fails the test after timeout."""
    end = time.time() + timeout
    while time.time() < end:
        got = [p for p in ports if peer in dht_peers(p, info_hash, peer[0])]
        if got:
            return got
        time.sleep(0.5)  # a DHT node may block an address that asks too often
    fail("no DHT node gives out %s:%d after %d s" % (peer[0], peer[1], timeout))


def wait_dht_peer(node_port, info_hash, peer_port, timeout=60):
    """Until the DHT node gives out 127.0.0.1:peer_port for info_hash (the
    peer's announce reached it), rather than a sleep."""
    end = time.time() + timeout
    while time.time() < end:
        if ("127.0.0.1", peer_port) in dht_peers(node_port, info_hash):
            return
        time.sleep(0.5)  # a DHT node may block an address that asks too often
    fail("the DHT node does not give out 127.0.0.1:%d after %d s (it has %s)" %
         (peer_port, timeout, dht_peers(node_port, info_hash)))


def run_swarmplay(args, log, timeout):
    p = subprocess.Popen([swarmplay()] + args, stdout=log, stderr=subprocess.STDOUT)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def download(root, name, torrent, content, extra=(), timeout=180):
    """`swarmplay download TORRENT -d ROOT/NAME --no-tracker --stats-json
    ROOT/NAME.json EXTRA...` to its end: fails (with its log) unless it
    exits 0 with a copy byte-identical to content (the payload directory);
    returns the stats."""
    dst = os.path.join(root, name)
    stats = os.path.join(root, name + ".json")
    log_path = os.path.join(root, name + ".log")
    with open(log_path, "w") as log:
        p = start_swarmplay(["download", torrent, "-d", dst, "--no-tracker",
                             "--stats-json", stats] + list(extra), log)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(p)
            rc = None
    if rc != 0:
        show_log(log_path)
        fail("%s: swarmplay exited with %s" % (name, rc))
    diff = same_tree(content, os.path.join(dst, os.path.basename(content)))
    if diff:
        fail("%s: the copy is not the data: %s" % (name, diff))
    return read_json(stats)


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
    server { listen %(host)s:%(port)d%(ssl)s; root %(root)s; %(extra)s }
}
"""


class Nginx:
    """nginx (nginx-light) serving root on 127.0.0.1, from a config of our own.
    extra: directives added to the server block (e.g. "limit_rate 100k;");
    http_extra: directives for the http block; ssl: (certificate, key) to
    serve HTTPS; name: the directory under work for its config and logs
    (two servers in one work directory need two names); netns, host: run
    it in that network namespace (netns.py), listening on host there.

    url, port, access_log, error_log, prefix; stop(). The port is picked
    free, then bound by nginx: if something took it in between, nginx
    starts again on another one. Ready means its pid file is written (that
    is after it bound its port) and the port answers."""

    def __init__(self, work, root, log, extra="", http_extra="", ssl=None, name="nginx",
                 netns=None, host="127.0.0.1"):
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
            self.port = 80 if netns else free_port()  # a namespace of the test's: all free
            with open(conf, "w") as f:
                f.write(NGINX_CONF % {"p": prefix, "host": host, "port": self.port,
                                      "root": os.path.abspath(root),
                                      "extra": ssl_dir + extra, "http_extra": http_extra,
                                      "ssl": " ssl" if ssl else ""})
            if os.path.exists(pidfile):
                os.unlink(pidfile)
            wrap = ["ip", "netns", "exec", netns] if netns else []
            self.proc = subprocess.Popen(wrap + [exe, "-c", conf, "-p", prefix], stdout=log,
                                         stderr=subprocess.STDOUT)
            self.netns = netns
            if self._ready(pidfile):
                break
            self.proc.wait()
            err = self._errors()
            if "in use" not in err:
                fail("nginx exited: " + err)
            print("nginx: port %d was taken meanwhile, again on another" % self.port)
        else:
            fail("nginx found no free port in 5 tries")
        self.url = "%s://%s:%d/" % ("https" if ssl else "http", host, self.port)

    def _ready(self, pidfile, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(pidfile) and self.netns:
                return True  # written once it listens; its port is not ours to reach
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
