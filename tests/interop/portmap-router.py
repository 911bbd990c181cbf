#!/usr/bin/python3
"""portmap-router.py - swarmplay behind a home router maps its port and is
reached from outside (issue 14), in three network namespaces made here,
joined by veth pairs and connected to nothing else (no packet leaves the
machine):

  home (192.168.14.2) --- router (192.168.14.1 | 11.14.2.1) --- internet (11.14.2.2)

"router" forwards with nftables, masquerades what leaves on its internet
side and runs the real miniupnpd (Debian's miniupnpd-nftables; UPnP IGD
and NAT-PMP on the home side). "internet" has no route to home: a peer
there reaches swarmplay only through a port the router maps.

  1. UPnP: `swarmplay seed` in home says "11.14.2.1:P via UPnP" in its
     stats file; a libtorrent leecher in internet connects to 11.14.2.1:P
     (inbound through the mapping) and downloads the whole torrent from
     it; swarmplay takes 11.14.2.1 as its external address (a vote for
     BEP 42); after swarmplay exits, the router holds no rule for P.
     Its log says "reachable at 11.14.2.1:P via UPnP", and so does
     `play --progress` of a video in home (the OSD's line).
  2. NAT-PMP alone (UPnP off in miniupnpd's config): "via NAT-PMP", the
     router holds a rule for P, the leecher gets the torrent again, and
     the rule is gone after swarmplay exits.
  3. miniupnpd stopped: swarmplay says "not reachable from outside: no
     gateway answered" (stats file, log line, `play --progress` and
     `swarmplay doctor` in text and JSON), and the leecher gets no
     connection.
  4. The gateway comes back: miniupnpd starts again while that swarmplay
     runs; its retry (SWARMPLAY_PORT_MAPPING_RETRY=2 here, a minute
     otherwise) maps the port, the leecher gets the torrent inbound, and
     the mapping is deleted at exit.

Skips (77) when namespaces, nftables or miniupnpd cannot run here."""
import json, os, re, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import net_util as nu  # noqa: E402
import swarm  # noqa: E402

SP = nu.swarmplay()
lt = nu.lt()
for tool in ("ip", "nft", "miniupnpd"):
    if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
        nu.skip(tool + " is not installed (Debian: iproute2, nftables, miniupnpd-nftables)")
if os.geteuid() != 0:
    nu.skip("network namespaces need root")

w = nu.workdir("portmap-router")
tag = "%d" % os.getpid()
H, R, I = "sph-" + tag, "spr-" + tag, "spi-" + tag
WAN = "11.14.2.1"
made = []


def sh(*args, ns=None, check=True, timeout=60):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def cleanup():
    for ns in made:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


try:
    for ns in (H, R, I):
        sh("ip", "netns", "add", ns)
        made.append(ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", "h0", "netns", H, "type", "veth", "peer", "name", "r0", "netns", R)
    sh("ip", "link", "add", "r1", "netns", R, "type", "veth", "peer", "name", "i0", "netns", I)
    sh("ip", "addr", "add", "192.168.14.2/24", "dev", "h0", ns=H)
    sh("ip", "link", "set", "h0", "up", ns=H)
    sh("ip", "route", "add", "default", "via", "192.168.14.1", ns=H)
    sh("ip", "addr", "add", "192.168.14.1/24", "dev", "r0", ns=R)
    sh("ip", "addr", "add", WAN + "/24", "dev", "r1", ns=R)
    sh("ip", "link", "set", "r0", "up", ns=R)
    sh("ip", "link", "set", "r1", "up", ns=R)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=R)
    sh("ip", "addr", "add", "11.14.2.2/24", "dev", "i0", ns=I)
    sh("ip", "link", "set", "i0", "up", ns=I)
    rules = os.path.join(w, "router.nft")
    with open(rules, "w") as f:
        f.write("""table inet filter {
    chain miniupnpd {
    }
    chain prerouting_miniupnpd {
    }
    chain postrouting_miniupnpd {
    }
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "r0" accept
        jump miniupnpd
    }
    chain prerouting {
        type nat hook prerouting priority -100; policy accept;
        jump prerouting_miniupnpd
    }
    chain postrouting {
        type nat hook postrouting priority 100; policy accept;
        jump postrouting_miniupnpd
        oifname "r1" masquerade
    }
}
""")
    sh("nft", "-f", rules, ns=R)
except (RuntimeError, subprocess.SubprocessError) as e:
    cleanup()
    nu.skip("cannot build the namespaces here: %s" % e)

mini = [None]


def start_miniupnpd(upnp=True):
    conf = os.path.join(w, "miniupnpd.conf")
    with open(conf, "w") as f:
        f.write("""ext_ifname=r1
listening_ip=r0
port=5555
enable_natpmp=yes
enable_upnp=%s
secure_mode=yes
uuid=3d3cec3a-8cf0-11e0-98ee-00000000e014
upnp_table_name=filter
upnp_nat_table_name=filter
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 192.168.14.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
""" % ("yes" if upnp else "no"))
    log = open(os.path.join(w, "miniupnpd.log"), "a")
    mini[0] = subprocess.Popen(["ip", "netns", "exec", R, "miniupnpd", "-d", "-f", conf,
                                "-P", os.path.join(w, "miniupnpd.pid")],
                               stdout=log, stderr=subprocess.STDOUT)
    time.sleep(1.0)
    if mini[0].poll() is not None:
        cleanup()
        nu.show_log(os.path.join(w, "miniupnpd.log"))
        nu.skip("miniupnpd does not run here (exit %s)" % mini[0].returncode)


def stop_miniupnpd():
    if mini[0] and mini[0].poll() is None:
        mini[0].send_signal(signal.SIGTERM)
        try:
            mini[0].wait(10)
        except subprocess.TimeoutExpired:
            mini[0].kill()
    mini[0] = None


# the torrent, made by libtorrent
src = os.path.join(w, "src")
content = nu.make_payload(src, layout=[("clip.bin", 1_500_017), ("notes.txt", 10_001)])
torrent = os.path.join(w, "t.torrent")
nu.make_torrent(lt, content, torrent)

LEECH = r'''
import json, sys, time
import libtorrent as lt
torrent, save, host, port, secs = sys.argv[1:6]
s = lt.session({"listen_interfaces": "0.0.0.0:0", "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False,
                "enable_outgoing_utp": False, "enable_incoming_utp": False,
                "alert_mask": lt.alert.category_t.error_notification |
                lt.alert.category_t.connect_notification})
h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save})
end = time.time() + float(secs)
peers = 0
while time.time() < end:
    h.connect_peer((host, int(port)))
    st = h.status()
    peers = max(peers, st.num_peers)
    if st.is_seeding:
        break
    time.sleep(0.5)
    for a in s.pop_alerts():
        print(a.message(), file=sys.stderr)
st = h.status()
print(json.dumps({"seeding": st.is_seeding, "done": st.total_done, "peers": peers}))
'''
# a short video for `play --progress`, whose reachability line is the OSD's
vdir = os.path.join(w, "video")
os.makedirs(vdir)
swarm.make_video(os.path.join(vdir, "clip.mp4"), seconds=8)
vtorrent = os.path.join(w, "v.torrent")
nu.make_torrent(lt, os.path.join(vdir, "clip.mp4"), vtorrent)


def play_progress(name, secs=10):
    """`swarmplay play --progress` of the video (its data on disk) in home for
    SECS at most; its output."""
    env = dict(os.environ, SWARMPLAY_PORT_MAPPING="on", SWARMPLAY_PORT_MAPPING_RETRY="2",
               SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy",
               XDG_STATE_HOME=os.path.join(w, "play-state"),
               XDG_CACHE_HOME=os.path.join(w, "play-cache"))
    r = subprocess.run(["ip", "netns", "exec", H, "timeout", "-s", "INT", "-k", "5", str(secs),
                        SP, "play", vtorrent, "-d", vdir, "--no-tracker", "--no-dht",
                        "--port", "0", "--progress", "--no-video", "--no-audio"],
                       capture_output=True, text=True, timeout=secs + 30, env=env)
    out = r.stdout + r.stderr
    with open(os.path.join(w, name + ".log"), "w") as f:
        f.write(out)
    return out


leech_py = os.path.join(w, "leech.py")
with open(leech_py, "w") as f:
    f.write(LEECH)


def leech(port, secs, name):
    save = os.path.join(w, name)
    os.makedirs(save, exist_ok=True)
    cmd = ["ip", "netns", "exec", I, "/usr/bin/python3", leech_py, torrent, save, WAN,
           str(port), str(secs)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60)
    with open(os.path.join(w, name + ".log"), "w") as f:
        f.write(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def start_seed(name):
    log = os.path.join(w, name + ".log")
    stats = os.path.join(w, name + ".json")
    env = dict(os.environ, SWARMPLAY_PORT_MAPPING="on", SWARMPLAY_LOG="info",
               SWARMPLAY_PORT_MAPPING_RETRY="2")
    p = subprocess.Popen(["ip", "netns", "exec", H, SP, "seed", torrent, os.path.dirname(content),
                          "--port", "0", "--no-tracker", "--no-dht", "--stats-json", stats],
                         stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
    return p, log, stats


def wait_reachable(p, log, stats, want, timeout=30):
    end = time.time() + timeout
    seen = ""
    while time.time() < end:
        if p.poll() is not None:
            nu.show_log(log)
            nu.fail("swarmplay seed exited early (%s)" % p.returncode)
        try:
            seen = nu.read_json(stats).get("reachable", "")
        except (OSError, ValueError):
            pass
        if re.search(want, seen):
            return seen
        time.sleep(0.2)
    nu.show_log(log)
    nu.fail("stats never said %r (last: %r)" % (want, seen))


def stop_seed(p):
    p.send_signal(signal.SIGINT)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        nu.fail("swarmplay seed did not stop on SIGINT")


def wait_log(p, log, want, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        with open(log, errors="replace") as f:
            if want in f.read():
                return
        time.sleep(0.2)
    nu.show_log(log)
    nu.fail("the log never said %r" % want)


def doctor(*extra):
    env = dict(os.environ, SWARMPLAY_PORT_MAPPING="on", XDG_STATE_HOME=os.path.join(w, "doc"))
    r = subprocess.run(["ip", "netns", "exec", H, SP, "doctor", "--no-dht", "--port", "0",
                        "--wait", "10"] + list(extra),
                       capture_output=True, text=True, timeout=90, env=env)
    if r.returncode:
        nu.fail("swarmplay doctor failed (%d): %s" % (r.returncode, r.stderr))
    return r.stdout


def mapped_ports():
    return set(int(x) for x in re.findall(r"dport (\d+)", sh("nft", "list", "ruleset", ns=R)))


try:
    # 1. UPnP
    start_miniupnpd(upnp=True)
    p, log, stats = start_seed("upnp")
    line = wait_reachable(p, log, stats, r"via UPnP")
    m = re.match(r"([0-9.]+):(\d+) via UPnP", line)
    if not m or m.group(1) != WAN:
        nu.fail("reachable: want %s:P via UPnP, got %r" % (WAN, line))
    port = int(m.group(2))
    wait_log(p, log, "reachable at %s:%d via UPnP" % (WAN, port))
    # the router's external address is a vote for ours (a BEP 42 node id)
    end = time.time() + 30
    while time.time() < end and "our external address is " + WAN not in open(log).read():
        time.sleep(0.2)
    if "our external address is " + WAN not in open(log).read():
        nu.show_log(log)
        nu.fail("the router's external address %s was not taken as ours" % WAN)
    if port not in mapped_ports():
        nu.fail("the router has no rule for port %d:\n%s" % (port, sh("nft", "list", "ruleset",
                                                                     ns=R)))
    t0 = time.time()
    got = leech(port, 60, "leech-upnp")
    if not got["seeding"]:
        nu.show_log(log)
        nu.show_log(os.path.join(w, "leech-upnp.log"))
        print(sh("nft", "list", "ruleset", ns=R))
        nu.fail("UPnP: the leecher outside did not get the torrent through %s:%d: %s"
                % (WAN, port, got))
    print("UPnP: %s; the leecher took the torrent inbound in %.1f s" % (line, time.time() - t0))
    out = play_progress("play-upnp")
    if not re.search(r"^reachable at %s:\d+ via UPnP$" % re.escape(WAN), out, re.M):
        nu.fail("play --progress (the OSD's line) did not say reachable at %s:P via UPnP:\n%s"
                % (WAN, out[-2000:]))
    up = nu.read_json(stats).get("uploaded", 0)
    stop_seed(p)
    if port in mapped_ports():
        nu.fail("the mapping of port %d outlived swarmplay" % port)
    print("UPnP: uploaded %d bytes; mapping deleted at exit" % up)
    stop_miniupnpd()

    # 2. NAT-PMP alone
    start_miniupnpd(upnp=False)
    p, log, stats = start_seed("natpmp")
    line = wait_reachable(p, log, stats, r"via NAT-PMP")
    m = re.match(r"([0-9.]+):(\d+) via NAT-PMP", line)
    if not m or m.group(1) != WAN:
        nu.fail("reachable: want %s:P via NAT-PMP, got %r" % (WAN, line))
    port = int(m.group(2))
    if port not in mapped_ports():
        nu.fail("NAT-PMP: the router has no rule for port %d:\n%s"
                % (port, sh("nft", "list", "ruleset", ns=R)))
    wait_log(p, log, "reachable at %s:%d via NAT-PMP" % (WAN, port))
    got = leech(port, 60, "leech-natpmp")
    if not got["seeding"]:
        nu.show_log(log)
        nu.fail("NAT-PMP: the leecher did not get the torrent: %s" % got)
    stop_seed(p)
    if port in mapped_ports():
        nu.fail("the NAT-PMP mapping of port %d outlived swarmplay" % port)
    print("NAT-PMP: %s; the leecher took the torrent inbound; mapping deleted at exit" % line)
    stop_miniupnpd()

    # 3. no gateway
    p, log, stats = start_seed("none")
    line = wait_reachable(p, log, stats, r"^not reachable from outside")
    if line != "not reachable from outside: no gateway answered":
        nu.fail("no gateway: stats said %r" % line)
    wait_log(p, log, "not reachable from outside: no gateway answered")
    with open(log) as f:
        m = re.search(r"port (\d+)\s*$", f.read(), re.M)
    if not m:
        nu.show_log(log)
        nu.fail("no listening port in the log")
    port = int(m.group(1))
    text = doctor()
    if not re.search(r"From outside: +not reachable from outside: no gateway answered", text):
        nu.fail("doctor without a gateway said:\n" + text)
    j = json.loads(doctor("--json"))
    if j.get("reachable") != "not reachable from outside: no gateway answered" or j.get("mapped"):
        nu.fail("doctor --json without a gateway: %s" % j)
    out = play_progress("play-none")
    if not re.search(r"^not reachable from outside: no gateway answered$", out, re.M):
        nu.fail("play --progress (the OSD's line) without a gateway said:\n" + out[-2000:])
    got = leech(port, 8, "leech-none")
    if got["peers"] or got["done"]:
        stop_seed(p)
        nu.fail("without a mapping the leecher still connected: %s" % got)
    print("no gateway: %r (stats, log, doctor); the leecher outside got no connection" % line)

    # 4. the gateway comes back while the same swarmplay runs
    start_miniupnpd(upnp=True)
    t0 = time.time()
    line = wait_reachable(p, log, stats, r"via UPnP", timeout=60)
    if line != "%s:%d via UPnP" % (WAN, port):
        nu.fail("after the gateway came back: %r" % line)
    wait_log(p, log, "reachable at %s:%d via UPnP" % (WAN, port))
    if port not in mapped_ports():
        nu.fail("the gateway came back but holds no rule for port %d" % port)
    took = time.time() - t0
    got = leech(port, 60, "leech-back")
    if not got["seeding"]:
        nu.show_log(log)
        nu.fail("after the gateway came back the leecher did not get the torrent: %s" % got)
    stop_seed(p)
    if port in mapped_ports():
        nu.fail("the mapping made on the retry outlived swarmplay")
    print("gateway back: mapped %.1f s after miniupnpd started; the leecher took the torrent "
          "inbound; mapping deleted at exit" % took)
finally:
    stop_miniupnpd()
    cleanup()
print("ok")
