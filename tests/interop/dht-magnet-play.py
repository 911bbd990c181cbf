#!/usr/bin/python3
"""dht-magnet-play.py - `swarmplay play` of a trackerless magnet through a
real DHT, then again from the routing table it saved (issue 14).

Six libtorrent sessions with their DHT on 127.0.0.1, each knowing the
others, one of them seeding a short video made now with ffmpeg. `swarmplay
play 'magnet:?xt=urn:btih:...'` (no tr=, no x.pe, no --peer, no DHT flag:
the DHT is on by default) runs headless to the end, bootstrapped from one
node (SWARMPLAY_DHT_BOOTSTRAP); its --framehash must equal ffmpeg's
framemd5, and the routing table must be saved to
$XDG_STATE_HOME/swarmplay/dht.dat at exit.

Then that bootstrap node is closed, and a second play with the same
XDG_STATE_HOME but a fresh download directory and cache, its bootstrap
still the closed node, must find the swarm again from the saved table
alone (its log says it read the table; the bootstrap does not answer)
and play every frame right."""
import os, re, socket, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import swarm

NODES = 6
SECONDS = 3
lt = nu.lt()
nu.swarmplay()
nu.need("ffmpeg")
root = nu.workdir("dht-magnet-play")
src = os.path.join(root, "seed")
os.makedirs(src)
media = swarm.make_video(os.path.join(src, "clip.mp4"), "mp4", seconds=SECONDS)
ref = swarm.framemd5(media)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, media, torrent, piece_size=16384)


nodes, ports = nu.lt_dht_mesh(lt, NODES)  # each knows the others
seed = nodes[-1]
h = seed.add_torrent({"ti": lt.torrent_info(torrent), "save_path": src,
                      "flags": lt.torrent_flags.seed_mode})
nu.wait_lt_seeding(h)
seed_addr = ("127.0.0.1", seed.listen_port())
boot_port = ports[0]  # swarmplay's only bootstrap, closed before the second play


# the seed's announce reached nodes other than the bootstrap (the second
# play can only ask those)
print("the seed's announce is held by %d of the %d other nodes"
      % (len(nu.wait_dht_holders(ports[1:-1], ih, seed_addr)), NODES - 2))

state = os.path.join(root, "state")
dat = os.path.join(state, "swarmplay", "dht.dat")
magnet = "magnet:?xt=urn:btih:%s&dn=clip.mp4" % ih
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def play(run):
    """swarmplay play of the magnet, headless to the end, its own download
    directory and cache; (rc, log text, frame hashes, seconds)."""
    hashes = os.path.join(root, "frames%d.md5" % run)
    log = os.path.join(root, "play%d.log" % run)
    env = {"SWARMPLAY_LOG": "debug", "SWARMPLAY_DHT_BOOTSTRAP": "127.0.0.1:%d" % boot_port,
           "XDG_STATE_HOME": state, "XDG_CACHE_HOME": os.path.join(root, "cache%d" % run)}
    t0 = time.time()
    rc, out = swarm.play([magnet, "-d", os.path.join(root, "dl%d" % run), "--no-video",
                          "--fast", "--exit-at-end", "--framehash", hashes],
                         timeout=120, env=env, log=log)
    took = time.time() - t0
    got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
    if rc != 0 or got != ref:
        nu.show_log(log, 60)
    return rc, out, got, took


def dht_lines(out):
    return [l for l in out.splitlines() if re.search(r" dht\]", l)]


# 1: bootstrapped from one live node
rc, out, got, took = play(1)
check(rc == 0, "first play exits 0 (rc %s, %.1f s)" % (rc, took))
check(got == ref, "first play: %d frame hashes equal ffmpeg's %d" % (len(got), len(ref)))
check(re.search(r"\d+ peers from the DHT", out) is not None, "first play: peers from the DHT")
saved = re.findall(r"saved (\d+) nodes to (\S+)", out)
check(os.path.exists(dat) and saved and saved[-1][1] == dat and int(saved[-1][0]) >= 2,
      "dht.dat written at exit: %s (%s)" % (saved[-1] if saved else "no save in the log",
                                             os.path.getsize(dat) if os.path.exists(dat) else
                                             "missing"))
if errors:
    nu.fail("; ".join(errors))

# the bootstrap node goes away: its UDP port then answers nothing
nodes[0].pause()
nodes[0] = None  # the last reference: the session ends


def answers(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(1)
        s.sendto(b"d1:ad2:id20:" + b"p" * 20 + b"e1:q4:ping1:t2:pi1:y1:qe", ("127.0.0.1", port))
        s.recv(2048)
        return True
    except OSError:
        return False
    finally:
        s.close()


end = time.time() + 30  # the session's end closes its socket: until it is so
while time.time() < end and answers(boot_port):
    pass
check(not answers(boot_port), "the bootstrap node 127.0.0.1:%d is down" % boot_port)
nu.wait_dht_holders(ports[1:-1], ih, seed_addr)

# 2: the same state, a fresh download directory and cache, a dead bootstrap
rc, out, got, took = play(2)
check(rc == 0, "second play exits 0 (rc %s, %.1f s)" % (rc, took))
check(got == ref, "second play: %d frame hashes equal ffmpeg's %d" % (len(got), len(ref)))
loaded = re.findall(r"(\d+) nodes from (\S+)", out)
check(any(int(n) >= 2 and p == dat for n, p in loaded),
      "second play read the saved table: %s" % (loaded or "nothing in the log"))
check(re.search(r"\d+ peers from the DHT", out) is not None,
      "second play: peers from the DHT, with its bootstrap down")
check(os.listdir(os.path.join(root, "dl2")) != [], "second play downloaded into a fresh directory")
for line in dht_lines(out):
    print("  " + line)
if errors:
    nu.fail("; ".join(errors))
print("ok")
