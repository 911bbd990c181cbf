#!/usr/bin/python3
"""tracker-opentracker.py - sp_tracker against a real opentracker on
127.0.0.1, over HTTP and UDP, next to a real libtorrent client.

For each protocol: two of our announcers (tracker-announce, built from
src/net/tracker*.c) see each other's address; a libtorrent seed announcing
to the same tracker shows up in our peer list and, after a re-announce,
libtorrent's tracker reply counts us; scrape counts us; a `stopped` from
us removes our address from the next peer list.

usage: tracker-opentracker.py PATH/TO/tracker-announce"""
import os, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import ports

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


if len(sys.argv) != 2:
    fail("usage: tracker-opentracker.py TRACKER_ANNOUNCE")
helper = sys.argv[1]
if not shutil.which("opentracker"):
    skip("opentracker is not installed")
try:
    import libtorrent as lt
except ImportError:
    skip("python3-libtorrent is not importable from " + sys.executable)


free_port = ports.free_port  # TCP and UDP, no other test takes it meanwhile


def announce(url, ih, port, *opts):
    r = subprocess.run([helper, *opts, url, ih, str(port)], capture_output=True, text=True,
                       timeout=30)
    out = r.stdout
    print("  announce port %d %s -> rc %d: %s" % (port, " ".join(opts), r.returncode,
                                                  out.strip().replace("\n", " | ")))
    if r.returncode != 0:
        fail("tracker-announce failed (%s): %s %s" % (url, out, r.stderr))
    peers = set()
    for line in out.splitlines():
        f = line.split()
        if f[0] == "peer":
            peers.add((f[1], int(f[2])))
    return peers, out


work = tempfile.mkdtemp(prefix="tracker-opentracker-")
otdir = os.path.join(work, "ot")
os.mkdir(otdir)
os.chmod(work, 0o755)
os.chmod(otdir, 0o755)
data = os.path.join(work, "data")
os.mkdir(data)
with open(os.path.join(data, "payload.bin"), "wb") as f:
    f.write(os.urandom(200 * 1024))

tport, uport = free_port(), free_port()
http_url = "http://127.0.0.1:%d/announce" % tport
udp_url = "udp://127.0.0.1:%d/announce" % uport  # sends BEP 41 URLData

fs = lt.file_storage()
lt.add_files(fs, os.path.join(data, "payload.bin"))
ct = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v1_only)
ct.add_tracker(http_url, 0)
ct.add_tracker(udp_url, 1)
lt.set_piece_hashes(ct, data)
ti = lt.torrent_info(lt.bdecode(lt.bencode(ct.generate())))
ih = str(ti.info_hashes().v1) if hasattr(ti, "info_hashes") else str(ti.info_hash())

with open(os.path.join(otdir, "whitelist"), "w") as f:
    f.write(ih + "\n")
# As root it must drop to a user of its own (it refuses to run as root);
# otherwise it runs as we are (its chroot to -d then fails quietly).
ot_args = ["opentracker", "-i", "127.0.0.1", "-p", str(tport), "-P", str(uport),
           "-w", "whitelist", "-d", otdir]
if os.geteuid() == 0:
    ot_args += ["-u", "nobody"]
ot = subprocess.Popen(ot_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
ses = None
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", tport), timeout=0.2).close()
            break
        except OSError:
            if ot.poll() is not None:
                fail("opentracker exited: %s" % ot.stdout.read())
            time.sleep(0.05)
    else:
        fail("opentracker did not start")

    lport = free_port()
    ses = lt.session({"listen_interfaces": "127.0.0.1:%d" % lport, "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                      "announce_to_all_tiers": True, "announce_to_all_trackers": True,
                      "prefer_udp_trackers": False,
                      "alert_mask": lt.alert.category_t.tracker_notification
                      | lt.alert.category_t.error_notification})
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = data
    atp.flags |= lt.torrent_flags.seed_mode

    def lt_reply(want_peers, timeout=20):
        """Wait for a libtorrent tracker_reply_alert with at least want_peers."""
        end = time.time() + timeout
        best = -1
        while time.time() < end:
            ses.wait_for_alert(200)
            for a in ses.pop_alerts():
                if isinstance(a, lt.tracker_reply_alert):
                    best = max(best, a.num_peers)
                    print("  libtorrent: %s" % a.message())
                elif isinstance(a, (lt.tracker_error_alert, lt.tracker_warning_alert)):
                    print("  libtorrent: %s" % a.message())
            if best >= want_peers:
                return best
        return best

    h = ses.add_torrent(atp)
    if lt_reply(0) < 0:
        fail("libtorrent got no tracker reply from opentracker")

    base = 17000 + os.getpid() % 1000 * 10
    for n, url in enumerate([http_url, udp_url]):
        print("== %s" % url)
        pa, pb, pc = base + 3 * n, base + 3 * n + 1, base + 3 * n + 2
        announce(url, ih, pa)
        peers, _ = announce(url, ih, pb)
        if ("127.0.0.1", pa) not in peers:
            fail("%s: announcer B does not see A (127.0.0.1:%d): %s" % (url, pa, peers))
        if ("127.0.0.1", lport) not in peers:
            fail("%s: we do not see libtorrent (127.0.0.1:%d): %s" % (url, lport, peers))
        # libtorrent sees us after a re-announce (it is one of >= 3 peers, itself excluded
        # or not depending on the tracker: ask for at least 2)
        h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        got = lt_reply(2)
        if got < 2:
            fail("%s: libtorrent's tracker reply lists %d peers, ours missing" % (url, got))
        _, out = announce(url, ih, pc, "--scrape")
        f = [l.split() for l in out.splitlines() if l.startswith("scrape ")]
        if not f or int(f[0][1]) + int(f[0][2]) < 3:
            fail("%s: scrape does not count the 3 announcers: %s" % (url, out))
        # `stopped` takes A out of the swarm
        announce(url, ih, pa, "--stop")
        time.sleep(0.2)
        peers, _ = announce(url, ih, pc)
        if ("127.0.0.1", pa) in peers:
            fail("%s: A is still listed after its `stopped`: %s" % (url, peers))
        if ("127.0.0.1", pb) not in peers:
            fail("%s: B vanished: %s" % (url, peers))
    print("ok: HTTP and UDP announces, libtorrent interop, scrape, stopped")
finally:
    if ses is not None:
        del ses
    ot.send_signal(signal.SIGTERM)
    try:
        ot.wait(5)
    except subprocess.TimeoutExpired:
        ot.kill()
    shutil.rmtree(work, ignore_errors=True)
