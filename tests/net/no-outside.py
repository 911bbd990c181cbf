#!/usr/bin/python3
"""no-outside.py - with the test environment (SWARMPLAY_DHT_BOOTSTRAP empty,
SWARMPLAY_PORT_MAPPING=off), swarmplay resolves no name and contacts no
host outside 127.0.0.0/8 and ::1, although the DHT is on by default and
the default bootstrap list names four routers on the internet (issue 14).

Every run is traced with `strace -f -e trace=socket,connect,sendto,sendmsg,
sendmmsg,openat`: any address outside loopback in a connect or a send
fails the test, and so does any sign of a name lookup (resolv.conf or
/etc/hosts opened, nscd's socket, anything to port 53).

`swarmplay doctor` is traced too. Also checked here, since the same traces
show them: the DHT is on by
default for a public torrent (a UDP socket), off for a private one (BEP
27) and with --no-dht; `--dht` is still accepted; the routing table is
saved at exit ($XDG_STATE_HOME/swarmplay/dht.dat) and the next run starts
from it (its node is asked, with no bootstrap host).

The detector's positive control runs in a network namespace made here
with only `lo` (no route out, so nothing can leave): there, with the
default bootstrap list and port mapping on, the same trace must show the
resolver at work and the UPnP discovery's multicast."""
import os, re, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import net_util as nu  # noqa: E402

SP = nu.swarmplay()
nu.need("strace")
w = nu.workdir("no-outside")
state = os.path.join(w, "state")
ADDR = re.compile(r'inet_addr\("([0-9.]+)"\)|inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"')
RESOLVE = re.compile(r'resolv\.conf|/etc/hosts|nscd|htons\(53\)')
ntraces = [0]


def loopback(a):
    return a.startswith("127.") or a in ("::1", "::", "0.0.0.0") or a.startswith("::ffff:127.")


def traced(args, env=None, secs=4, netns=None, drop=()):
    t0 = time.time()
    try:
        return _traced(args, env, secs, netns, drop)
    finally:
        print("%5.1f s  %s" % (time.time() - t0, " ".join(args[:2])))


def _traced(args, env, secs, netns, drop):
    """Runs swarmplay ARGS for SECS under strace; returns the trace."""
    ntraces[0] += 1
    log = os.path.join(w, "trace.%d" % ntraces[0])
    out = os.path.join(w, "out.%d" % ntraces[0])
    e = dict(os.environ, XDG_STATE_HOME=state, XDG_CACHE_HOME=os.path.join(w, "cache"),
             SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", SWARMPLAY_LOG="info")
    e.update(env or {})
    for k in drop:
        e.pop(k, None)
    cmd = ["strace", "-f", "-qq", "-o", log, "-e",
           "trace=socket,connect,sendto,sendmsg,sendmmsg,openat",
           "timeout", "-s", "INT", "-k", "3", str(secs), SP] + args
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    with open(out, "w") as f:
        subprocess.run(cmd, env=e, stdout=f, stderr=subprocess.STDOUT, timeout=120)
    with open(log, errors="replace") as f:
        return f.read(), out


def check_offline(what, trace):
    bad = []
    for line in trace.splitlines():
        if not re.search(r"\b(connect|sendto|sendmsg|sendmmsg)\(", line):
            continue
        for m in ADDR.finditer(line):
            a = m.group(1) or m.group(2)
            if not loopback(a):
                bad.append(line)
    if bad:
        nu.fail("%s contacted a host outside the machine:\n%s" % (what, "\n".join(bad[:10])))
    res = [l for l in trace.splitlines() if RESOLVE.search(l)]
    if res:
        nu.fail("%s resolved names:\n%s" % (what, "\n".join(res[:10])))


def udp_sockets(trace):
    return len(re.findall(r"socket\(AF_INET6?, SOCK_DGRAM", trace))


# a public and a private torrent of the same data (swarmplay create)
src = os.path.join(w, "src")
os.makedirs(src)
with open(os.path.join(src, "data.bin"), "wb") as f:
    f.write(os.urandom(300_000))
pub, priv = os.path.join(w, "pub.torrent"), os.path.join(w, "priv.torrent")
for t, extra in ((pub, []), (priv, ["--private"])):
    subprocess.run([SP, "create", os.path.join(src, "data.bin"), "-o", t, "--quiet"] + extra,
                   check=True, timeout=60, stdout=subprocess.DEVNULL)
ih = subprocess.run([SP, "info", pub], capture_output=True, text=True, timeout=60).stdout
m = re.search(r"\b([0-9a-f]{40})\b", ih)
if not m:
    nu.fail("no info-hash in `swarmplay info`:\n" + ih)
magnet = "magnet:?xt=urn:btih:" + m.group(1)

# 1. the defaults, with the test environment: DHT on, nothing outside
tr, _ = traced(["download", pub, "-d", os.path.join(w, "dl1"), "--port", "0"])
check_offline("download (public)", tr)
if udp_sockets(tr) < 1:
    nu.fail("download of a public torrent: no DHT socket (DHT not on by default?)")
tr, _ = traced(["play", magnet, "--no-video", "--no-audio", "--port", "0"], secs=5)
check_offline("play (trackerless magnet)", tr)
if udp_sockets(tr) < 1:
    nu.fail("play of a magnet: no DHT socket")
tr, _ = traced(["seed", pub, src, "--port", "0", "--dht"])
check_offline("seed --dht", tr)
tr, _ = traced(["doctor", "--port", "0", "--wait", "3"])
check_offline("doctor", tr)
if udp_sockets(tr) < 1:
    nu.fail("doctor: no DHT socket (it checks the DHT by default)")

# 2. off for a private torrent and with --no-dht
tr, _ = traced(["download", priv, "-d", os.path.join(w, "dl2"), "--port", "0"])
check_offline("download (private)", tr)
if udp_sockets(tr):
    nu.fail("download of a private torrent opened a UDP socket (DHT must be off, BEP 27)")
tr, _ = traced(["download", pub, "-d", os.path.join(w, "dl3"), "--port", "0", "--no-dht"])
check_offline("download --no-dht", tr)
if udp_sockets(tr):
    nu.fail("download --no-dht opened a UDP socket")

# 3. the saved table: a local node (a seed) bootstraps a download; its
# table is saved at exit, and the next run (no bootstrap host) asks it
seed, port = nu.start_swarmplay_port(["seed", pub, src], os.path.join(w, "seed.log"),
                                     env={"XDG_STATE_HOME": os.path.join(w, "seed-state")})
try:
    tr, _ = traced(["download", pub, "-d", os.path.join(w, "dl4"), "--port", "0"],
                   env={"SWARMPLAY_DHT_BOOTSTRAP": "127.0.0.1:%d" % port})
    check_offline("download bootstrapped from a local node", tr)
    dat = os.path.join(state, "swarmplay", "dht.dat")
    if not os.path.exists(dat):
        nu.fail("no routing table saved at exit in " + dat)
    raw = open(dat, "rb").read()
    if b"5:nodes" not in raw or len(raw) < 26:
        nu.fail("dht.dat holds no node: %r" % raw[:80])
    tr, _ = traced(["download", pub, "-d", os.path.join(w, "dl5"), "--port", "0"])
    check_offline("download from the saved table", tr)
    if not re.search(r'sendto\(.*htons\(%d\).*inet_addr\("127\.0\.0\.1"\)' % port, tr):
        nu.fail("the run after did not ask the saved node 127.0.0.1:%d" % port)
finally:
    nu.stop(seed)

# 4. the detector's positive control: the default list in an empty
# namespace (lo only: nothing can leave) must show the resolver
ns = "sp-noout-%d" % os.getpid()
if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
    print("note: no network namespace here; the positive control is skipped")
else:
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        os.makedirs(os.path.join(w, "ns-state"), exist_ok=True)
        tr, out = traced(["download", pub, "-d", os.path.join(w, "dl6"), "--port", "0"],
                         env={"XDG_STATE_HOME": os.path.join(w, "ns-state")}, netns=ns,
                         drop=("SWARMPLAY_DHT_BOOTSTRAP", "SWARMPLAY_PORT_MAPPING"))
        if not RESOLVE.search(tr):
            nu.fail("positive control: with the default list no name lookup was seen "
                    "(the detector is blind)\n" + tr[-3000:])
        if "239.255.255.250" not in tr:
            nu.fail("positive control: with port mapping on, no UPnP discovery was seen "
                    "(the detector is blind)\n" + tr[-3000:])
    finally:
        subprocess.run(["ip", "netns", "del", ns])
print("ok: nothing outside 127.0.0.0/8 and ::1, no name resolved; DHT on by default, "
      "off for private and --no-dht; the saved table is used")
