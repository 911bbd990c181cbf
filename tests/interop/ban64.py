#!/usr/bin/python3
"""ban64.py - bans of IPv6 liars by address, then by /64 (issue 14), end to
end. A network namespace made here with only `lo`, holding three
addresses of one /64 (2001:db8:14::a, ::b, ::c; documentation prefix, no
route anywhere): nothing leaves it.

Two liars (tests/lib/net_liar.py) listen on ::a and ::b, an honest
libtorrent seed on 127.0.0.1. `swarmplay download --peer` all three must:
  - ban both liars, the second "and its /64" (two liars of one /64);
  - finish with a byte-identical copy from the honest seed (not banned);
  - keep them out when they come back: ::a and ::b dialling in get no
    handshake, and neither does ::c, an address of the same /64 that
    never lied (the /64 rule), while 127.0.0.1 still does.

The test runs itself again inside the namespace (--inside). Skips (77)
without root or `ip netns`."""
import binascii, os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu  # noqa: E402

PREFIX = "2001:db8:14::"
A, B, C = PREFIX + "a", PREFIX + "b", PREFIX + "c"

if "--inside" not in sys.argv:
    nu.need("ip")
    if os.geteuid() != 0:
        nu.skip("network namespaces need root")
    ns = "sp-ban64-%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode:
        nu.skip("cannot make a network namespace here")
    try:
        setup = [["ip", "link", "set", "lo", "up"]] + [
            ["ip", "addr", "add", a + "/64", "dev", "lo", "nodad"] for a in (A, B, C)]
        for cmd in setup:
            r = subprocess.run(["ip", "netns", "exec", ns] + cmd, capture_output=True,
                               text=True)
            if r.returncode:
                nu.skip("cannot set up the namespace: %s: %s" % (" ".join(cmd), r.stderr))
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                            os.path.abspath(__file__), "--inside"], timeout=280)
        sys.exit(r.returncode)
    finally:
        subprocess.run(["ip", "netns", "del", ns])

from net_liar import Liar, finish_seed_download, handshake_answered, wait_log  # noqa: E402

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("ban64")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
ih = nu.make_torrent(lt, content, torrent)
info = lt.torrent_info(torrent)
liars = [Liar(binascii.unhexlify(ih), info.num_pieces(), host=h) for h in (A, B)]

# the honest seed, slowed so that both liars are asked before it is done
ses, port = nu.lt_seed(lt, torrent, src, upload_limit=400_000)

dst = os.path.join(root, "dl")
stats = os.path.join(root, "dl.json")
log_path = os.path.join(root, "dl.log")
p, sp_port = nu.start_swarmplay_port(
    ["download", torrent, "-d", dst, "--no-tracker", "--no-dht", "--seed", "--stats-json",
     stats, "--peer", "[%s]:%d" % (A, liars[0].addr[1]), "--peer",
     "[%s]:%d" % (B, liars[1].addr[1]), "--peer", "127.0.0.1:%d" % port], log_path)


def both_banned(text):
    """Each liar banned, the second one with its /64 (either may lie first)."""
    return ("banned %s " % A in text and "banned %s " % B in text and
            ("banned %s and its /64" % A in text or "banned %s and its /64" % B in text))


if not wait_log(log_path, both_banned, p, 120):
    nu.stop(p)
    nu.show_log(log_path)
    nu.fail("not both liars banned, the second with its /64 (sent %d and %d bad blocks)"
            % (liars[0].blocks_sent, liars[1].blocks_sent))

for who in (A, B, C):
    if handshake_answered(ih, sp_port, who):
        nu.stop(p)
        nu.fail("%s dialled in after the bans and got a handshake" % who)
if not handshake_answered(ih, sp_port, "127.0.0.1"):
    nu.stop(p)
    nu.show_log(log_path)
    nu.fail("the control, 127.0.0.1 dialling in, got no handshake: the check is blind")

finish_seed_download(p, stats, log_path, content, dst, 120, liars)
print("ok: liars %s and %s banned (%d, %d bad blocks), then their /64: %s refused too; "
      "copy identical" % (A, B, liars[0].blocks_sent, liars[1].blocks_sent, C))
