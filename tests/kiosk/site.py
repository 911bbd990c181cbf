#!/usr/bin/python3
"""site.py - one site of three screens, in network namespaces of the
test's own (tests/lib/netns.py), nothing routed off the machine:

  wan     198.51.100.1: a libtorrent seeder and nginx (the playlist, the
          three .tstreams, and the videos as their web seed); its link to
          the site is shaped (HTB, SITE_RATE bytes/s on the wire);
  site    198.51.100.2 on that link, a bridge 192.168.50.1/24, forwarding
          between the two;
  k0..k2  three `swarmplay kiosk http://198.51.100.1/list.m3u` (SDL dummy
          drivers), 192.168.50.10-12 on the bridge, each in its own
          namespace; real LSD (239.192.152.143 across the bridge, not the
          tests' loopback-only mode).

All three start at once. Once every screen has played every item, and
every item is complete in every cache:
  - the bytes that crossed the WAN link toward the site (its tc class:
    everything, headers included) over the playlist's bytes: printed, and
    at most MAX_RATIO (2.0): the site shares (three screens that do not
    fetch 3 copies; with --no-lsd they fetched 2.35). The issue's target
    is 1.3 (each video about once); measured 1.21-1.38 over five runs on a
    quiet machine, 1.59 once under stress -c 2 with a benchmark alongside:
    the first item, played by all three at once, varies from 1.28 to 1.85
    copies. How close to 1 is a measure (printed), not this test's bound;
  - every play's frames hash as ffmpeg's framemd5 of its item;
  - no item was skipped (no failure in any screen's status).
Exit 77 when namespaces cannot be made (not root, no iproute2/tc)."""
import json, os, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import net_util as nu
import netns

swarm.need("ffmpeg")
netns.need()
exe = swarm.swarmplay()
swarm.lt()
root = swarm.workdir("kiosk-site")
check = swarm.Checks()
KIOSKS = 3
WAN_IP, SITE_WAN_IP, SITE_IP = "198.51.100.1", "198.51.100.2", "192.168.50.1"
SEED_PORT, STATUS_PORT = 6881, 8080
SITE_RATE = int(os.environ.get("SITE_RATE", 400000))  # bytes/s, WAN -> site
SECONDS = int(os.environ.get("SECONDS", 20))  # each video
MAX_RATIO = float(os.environ.get("MAX_RATIO", 2.0))
EXTRA = os.environ.get("SITE_KIOSK_ARGS", "").split()  # e.g. --no-lsd: the check fails

www = os.path.join(root, "www")
os.makedirs(www)
videos = []
for i in range(3):
    v = swarm.make_video(os.path.join(www, "v%d.mp4" % i), "mp4", seconds=SECONDS, bitrate="700k")
    videos.append(v)
refs = [swarm.framemd5(v) for v in videos]
total = sum(os.path.getsize(v) for v in videos)
with open(os.path.join(www, "list.m3u"), "w") as f:
    f.write("#EXTM3U\n")
    for i, v in enumerate(videos):
        swarm.create_tstream(v, os.path.join(www, "v%d.tstream" % i),
                             ["--web-seed", "http://%s/" % WAN_IP])
        f.write("#EXTINF:-1,Video %d\nv%d.tstream\n" % (i, i))

SEED = """
import sys, time, libtorrent as lt
ses = lt.session({"listen_interfaces": "%s:%d", "enable_dht": False, "enable_lsd": False,
                  "enable_upnp": False, "enable_natpmp": False, "alert_mask": 0,
                  "tick_interval": 50})
hs = [ses.add_torrent({"ti": lt.torrent_info(t), "save_path": sys.argv[1],
                       "flags": lt.torrent_flags.seed_mode}) for t in sys.argv[2:]]
while not all(h.status().is_seeding for h in hs):
    time.sleep(0.05)
print("ready", flush=True)
for line in sys.stdin:  # each line: the payload sent per torrent
    print(" ".join(str(h.status().total_payload_upload) for h in hs), flush=True)
""" % (WAN_IP, SEED_PORT)

net = netns.Netns("spk")
logs = open(os.path.join(root, "servers.log"), "w")
try:
    wan = net.add("wan")
    site = net.add("site")
    net.veth(wan, "wan0", site, "up0")
    net.addr(wan, "wan0", WAN_IP + "/24")
    net.addr(site, "up0", SITE_WAN_IP + "/24")
    net.bridge(site, "br0")
    net.addr(site, "br0", SITE_IP + "/24")
    netns.sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ns=site)
    netns.sh(["ip", "route", "add", "192.168.50.0/24", "via", SITE_WAN_IP], ns=wan)
    net.shape(wan, "wan0", SITE_RATE)
    ks = []
    for i in range(KIOSKS):
        k = net.add("k%d" % i)
        net.veth(k, "eth0", site, "p%d" % i)
        net.attach(site, "p%d" % i, "br0")
        net.addr(k, "eth0", "192.168.50.%d/24" % (10 + i))
        netns.sh(["ip", "route", "add", "default", "via", SITE_IP], ns=k)
        ks.append(k)
except (RuntimeError, OSError) as e:
    net.down()
    swarm.skip("cannot make the namespaces: %s" % e)


class Screen:
    def __init__(self, i):
        self.ns = ks[i]
        self.fh = os.path.join(root, "k%d-hashes" % i)
        os.makedirs(self.fh)
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                   XDG_CACHE_HOME=os.path.join(root, "k%d-cache" % i),
                   XDG_STATE_HOME=os.path.join(root, "k%d-state" % i))
        env.pop("SWARMPLAY_LSD", None)  # "loopback" keeps LSD off the bridge
        self.log_path = os.path.join(root, "k%d.log" % i)
        self.p = net.popen(self.ns, [exe, "kiosk", "http://%s/list.m3u" % WAN_IP, "--no-audio",
                                     "--no-tracker", "--no-dht", "--no-port-mapping",
                                     "--peer", "%s:%d" % (WAN_IP, SEED_PORT),
                                     "--http", "127.0.0.1:%d" % STATUS_PORT,
                                     "--framehash-dir", self.fh] + EXTRA,
                           env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)

    def status(self):
        def get():
            with urllib.request.urlopen("http://127.0.0.1:%d/status" % STATUS_PORT,
                                        timeout=10) as r:
                return json.load(r)
        try:
            return net.call(self.ns, get)
        except (OSError, ValueError):
            return None

    def plays(self):
        out = []
        for n in sorted(os.listdir(self.fh)):
            idx = int(n.split("-")[1].split(".")[0])
            out.append((idx, swarm.read_hashes(os.path.join(self.fh, n))))
        return out


def done(st):
    return (st and len(st["items"]) == 3 and
            all(it["plays"] >= 1 and it["cache"].get("state") == "complete"
                for it in st["items"]))


try:
    seed_log = open(os.path.join(root, "seeder.log"), "w")
    seeder = net.popen(wan, ["/usr/bin/python3", "-c", SEED, www] +
                       [os.path.join(www, "v%d.tstream" % i) for i in range(3)],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=seed_log, text=True)
    if seeder.stdout.readline().strip() != "ready":
        swarm.fail("the libtorrent seeder did not start (seeder.log)")
    ngx = nu.Nginx(root, www, logs, netns=wan, host=WAN_IP)
    base = net.sent(wan, "wan0")
    t0 = time.time()
    screens = [Screen(i) for i in range(KIOSKS)]
    sts = [None] * KIOSKS
    end = time.time() + 400
    while time.time() < end:
        for i, s in enumerate(screens):
            if s.p.poll() is not None:
                swarm.fail("k%d: the kiosk exited (%s)" % (i, s.p.returncode))
            if not done(sts[i]):
                sts[i] = s.status()
        if all(done(st) for st in sts):
            break
        time.sleep(0.5)
    wan_bytes = net.sent(wan, "wan0") - base
    took = time.time() - t0
    seeder.stdin.write("stats\n")
    seeder.stdin.flush()
    sent = [int(x) for x in seeder.stdout.readline().split()]
    web = sum(int(l.split()[9]) for l in ngx.log().splitlines()
              if l.split()[6].endswith(".mp4"))
    print("payload from the seeder per video %s, from the web seed %d (each video %d)"
          % (sent, web, total // 3))
    for i, st in enumerate(sts):
        print("k%d: %s" % (i, json.dumps([it.get("cache") for it in st["items"]] if st else st)))
    check(all(done(st) for st in sts),
          "every screen played every item, all complete in its cache (%.0f s)" % took)
    ratio = wan_bytes / total
    print("WAN link toward the site: %d bytes for a playlist of %d bytes: %.2f copies "
          "(rate %d B/s, %.0f s)" % (wan_bytes, total, ratio, SITE_RATE, took))
    # The target is 1.3 (about one copy): measured 1.21-1.38 with the
    # picker's slices on a quiet machine, 1.59 once under stress -c 2 and a
    # benchmark (doc/kiosk.md): the copies move with the load, so the test
    # asserts only that the site shares (no sharing: 3; SITE_KIOSK_ARGS=--no-lsd
    # 2.35: the screens met only through the seeder's PEX, and the check fails).
    check(ratio <= MAX_RATIO, "the site shares: %.2f copies over the WAN <= %.1f (the target, "
          "1.3, is %s)" % (ratio, MAX_RATIO, "met" if ratio <= 1.3 else "not met yet"))
    fails = [(i, j, it["fails"], it["error"]) for i, st in enumerate(sts) if st
             for j, it in enumerate(st["items"]) if it["fails"] or it["error"]]
    check(not fails, "no item skipped on any screen (%s)" % fails)
    for i, s in enumerate(screens):
        check(swarm.terminate(s.p) == 0, "k%d: SIGTERM ends the kiosk with exit 0" % i)
        got = s.plays()  # the last one may be cut short by the SIGTERM: a prefix
        whole = {idx for idx, h in got if h == refs[idx]}
        bad = [(idx, len(h)) for idx, h in got if h != refs[idx][:len(h)]]
        check(whole == {0, 1, 2} and not bad, "k%d: every play's frames are ffmpeg's framemd5 "
              "of its item (%d plays, whole: %s, wrong: %s)" % (i, len(got), sorted(whole), bad))
finally:
    net.down()
check.finish()
