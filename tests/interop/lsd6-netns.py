#!/usr/bin/python3
"""lsd6-netns.py - local service discovery over IPv6 (BEP 14, group
ff15::efc0:988f), between two network namespaces made here and joined
by one veth pair (fd00:14::1 | fd00:14::2), connected to nothing else:
IPv6 multicast does not work on this kernel's loopback (no multicast
route on lo), a veth pair carries it. Neither namespace has an IPv4
address beside 127.0.0.1 on its own lo, so IPv4 multicast cannot cross:
`swarmplay download --lsd --no-dht --no-tracker` in one finds `swarmplay
seed --lsd` in the other only by IPv6 LSD, downloads, byte-identical,
and its log names the seed's IPv6 address.

Skips (77) when namespaces cannot be made (not root, no iproute2)."""
import os, shutil, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

SP = nu.swarmplay()
lt = nu.lt()  # only to make the torrent
if not shutil.which("ip"):
    nu.skip("iproute2 is not installed")
if os.geteuid() != 0:
    nu.skip("network namespaces need root")
w = nu.workdir("lsd6-netns")
tag = "%d" % os.getpid()
A, B = "spla-" + tag, "splb-" + tag


def sh(*cmd, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def cleanup():
    for ns in (A, B):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


try:
    sh("ip", "netns", "add", A)
    sh("ip", "netns", "add", B)
    sh("ip", "link", "add", "v0", "netns", A, "type", "veth", "peer", "name", "v1", "netns", B)
    for ns, dev, addr in ((A, "v0", "fd00:14::1"), (B, "v1", "fd00:14::2")):
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
        sh("ip", "-6", "addr", "add", addr + "/64", "dev", dev, "nodad", ns=ns)
except (RuntimeError, OSError) as e:
    cleanup()
    nu.skip("cannot make the namespaces: %s" % e)

try:
    src = os.path.join(w, "seed")
    content = nu.make_payload(src)
    torrent = os.path.join(w, "t.torrent")
    nu.make_torrent(lt, content, torrent)
    env = dict(os.environ, SWARMPLAY_LOG="debug", XDG_STATE_HOME=os.path.join(w, "state"))
    env.pop("SWARMPLAY_LSD", None)  # "loopback" turns IPv6 LSD off; these namespaces are ours
    seed_log = os.path.join(w, "seed.log")
    seed = subprocess.Popen(["ip", "netns", "exec", A, SP, "seed", torrent, src, "--lsd",
                             "--no-dht", "--no-tracker", "--port", "0"],
                            stdout=open(seed_log, "w"), stderr=subprocess.STDOUT, env=env)
    # the seed says its port once it listens; the leecher then announces too
    end = time.time() + 60
    sport = None
    while time.time() < end and sport is None:
        if seed.poll() is not None:
            nu.show_log(seed_log)
            nu.fail("the seed exited (%s)" % seed.returncode)
        for line in open(seed_log):
            if "listening on port" in line:
                sport = int(line.rsplit(" ", 1)[1])
        time.sleep(0.1)
    if sport is None:
        nu.show_log(seed_log)
        nu.fail("the seed never said its port")
    dst = os.path.join(w, "dl")
    dl_log = os.path.join(w, "download.log")
    t0 = time.time()
    with open(dl_log, "w") as log:
        r = subprocess.run(["ip", "netns", "exec", B, SP, "download", torrent, "-d", dst, "--lsd",
                            "--no-dht", "--no-tracker"], stdout=log, stderr=subprocess.STDOUT,
                           env=env, timeout=240)
    nu.stop(seed, timeout=20)
    if r.returncode != 0:
        nu.show_log(dl_log, 60)
        nu.show_log(seed_log, 30)
        nu.fail("the download over IPv6 LSD failed (rc %s)" % r.returncode)
    diff = nu.same_tree(content, os.path.join(dst, "payload"))
    if diff:
        nu.fail(diff)
    text = open(dl_log).read()
    if "peer [fd00:14::1]:%d" % sport not in text:
        nu.show_log(dl_log, 60)
        nu.fail("the log does not say the seed came by IPv6 LSD ([fd00:14::1]:%d)" % sport)
    print("ok: found [fd00:14::1]:%d by IPv6 LSD across a veth pair; downloaded in %.1f s, "
          "identical" % (sport, time.time() - t0))
finally:
    cleanup()
