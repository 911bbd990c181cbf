#!/usr/bin/python3
"""pex6.py - BEP 11 peer exchange over IPv6 ("added6") between swarmplay
and libtorrent, everything on ::1 (issue 14). No tracker, no DHT, no LSD:
the only way a peer learns another's address is PEX.

  1. swarmplay learns: a libtorrent seed S and a libtorrent peer L that
     cannot dial out (outgoing TCP and uTP off); S dials L, so S knows L's
     listen port. `swarmplay download --peer [::1]:S` is told of L only by
     S's ut_pex message ("added6", 18-byte entries): it must dial L (L sees
     swarmplay's peer id on an incoming connection) and say in its log
     that it learnt an IPv6 peer by PEX.
  2. swarmplay gives: `swarmplay seed --peer [::1]:L1 --peer [::1]:L2`
     (slowed by --upload-limit) and two libtorrent leechers that know no
     one. swarmplay's ut_pex tells each of the other; one of them must connect to the other
     with libtorrent's own record saying it came from PEX (peer_info
     source bit `pex`) at the other's [::1] listen port.

Skips (77) when ::1 cannot be bound."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu  # noqa: E402

lt = nu.lt()
nu.swarmplay()
nu.need_ipv6()
root = nu.workdir("pex6")
src = os.path.join(root, "seed")
content = nu.make_payload(src, layout=[("clip.bin", 2_000_003), ("notes.txt", 10_001)])
torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent, piece_size=32768)


def session6(upload_limit=0, dial_out=True):
    return nu.lt_session(lt, 0, upload_limit, host="::1", enable_outgoing_utp=False,
                         enable_incoming_utp=False, enable_outgoing_tcp=dial_out)


def add(ses, save, seed=False):
    os.makedirs(save, exist_ok=True)
    return nu.lt_add(lt, ses, torrent, save, seed=seed)


def pid_bytes(p):
    try:
        return bytes(p.pid.to_bytes())
    except AttributeError:
        return bytes(p.pid)


# ---- 1. swarmplay learns L from libtorrent's added6
S = session6(upload_limit=150_000)
hs = add(S, src, seed=True)
nu.wait_lt_seeding(hs)
L = session6(dial_out=False)
hl = add(L, os.path.join(root, "l"))
sport, lport = S.listen_port(), L.listen_port()
end = time.time() + 30
while time.time() < end and not hs.get_peer_info():
    hs.connect_peer(("::1", lport))
    time.sleep(0.3)
if not hs.get_peer_info():
    nu.fail("libtorrent S did not connect to L over ::1")

log1 = os.path.join(root, "learn.log")
stats1 = os.path.join(root, "learn.json")
p = nu.start_swarmplay(["download", torrent, "-d", os.path.join(root, "dl1"), "--no-tracker",
                        "--no-dht", "--port", "0", "--peer", "[::1]:%d" % sport,
                        "--stats-json", stats1], open(log1, "w"),
                       env={"SWARMPLAY_LOG": "debug"})
got = None
end = time.time() + 120
try:
    while time.time() < end and p.poll() is None:
        sp = [q for q in hl.get_peer_info() if pid_bytes(q).startswith(b"-SP")]
        if sp:
            got = sp[0]
            break
        time.sleep(0.2)
finally:
    nu.stop(p)
if got is None:
    nu.show_log(log1, 60)
    nu.fail("swarmplay never connected to L [::1]:%d, which only S's PEX named" % lport)
if got.flags & lt.peer_info.outgoing_connection:
    nu.fail("L dialled swarmplay (outgoing TCP was off): not what this test is about")
with open(log1, errors="replace") as f:
    text = f.read()
learnt = [ln for ln in text.splitlines() if "pex" in ln and "IPv6" in ln
          and not ln.rstrip().endswith(" 0 IPv6")]
if not learnt:
    nu.show_log(log1, 60)
    nu.fail("swarmplay's log shows no PEX message with IPv6 peers")
print("1. swarmplay learnt L [::1]:%d from libtorrent's added6 and dialled it (%s)"
      % (lport, got.ip))
del hl, L

# ---- 2. swarmplay tells two libtorrent leechers of each other. It dials
# them: libtorrent sends no listen port ("p") on connections it accepted,
# and without one an inbound peer has no address to pass on.
L1, L2 = session6(), session6()
h1, h2 = add(L1, os.path.join(root, "l1")), add(L2, os.path.join(root, "l2"))
p1, p2 = L1.listen_port(), L2.listen_port()
log2 = os.path.join(root, "give.log")
seed, port = nu.start_swarmplay_port(["seed", torrent, src, "--no-tracker", "--no-dht",
                                      "--upload-limit", "60", "--peer", "[::1]:%d" % p1,
                                      "--peer", "[::1]:%d" % p2], log2,
                                     env={"SWARMPLAY_LOG": "debug"})
try:
    pex = None
    end = time.time() + 90
    while time.time() < end and pex is None:
        for h, other in ((h1, p2), (h2, p1)):
            for q in h.get_peer_info():
                if q.ip[1] == other and q.source & lt.peer_info.pex:
                    pex = (q.ip, q.source)
        if seed.poll() is not None:
            nu.show_log(log2)
            nu.fail("swarmplay seed exited (%s)" % seed.returncode)
        time.sleep(0.3)
    if pex is None:
        nu.show_log(log2, 60)
        nu.fail("neither libtorrent leecher learnt the other by PEX from swarmplay "
                "(L1 [::1]:%d peers %s; L2 [::1]:%d peers %s)"
                % (p1, [(q.ip, q.source) for q in h1.get_peer_info()],
                   p2, [(q.ip, q.source) for q in h2.get_peer_info()]))
    if ":" not in pex[0][0]:
        nu.fail("the PEX peer is not IPv6: %s" % (pex,))
    print("2. a libtorrent leecher learnt the other, %s, from swarmplay's added6 (source %d)"
          % (pex[0], pex[1]))
finally:
    nu.stop(seed)
print("ok")
