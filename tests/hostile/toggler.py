#!/usr/bin/python3
"""toggler.py - a peer toggling HAVE_ALL / HAVE_NONE must not cost the
download: each toggle used to be a pass over every piece in the picker.

`swarmplay download` of a 32 MB payload (2 048 pieces of 16 KiB) is given
two peers: an honest `swarmplay seed`, and a peer of our own that answers
the handshake and then sends HAVE_ALL and HAVE_NONE alternately as fast
as it can (it reads nothing). Asserted: the download completes,
byte-identical, within 90 s (the seed uploads at 4 MB/s: ~8 s); and the
toggler is disconnected within 10 s while the download still runs.

Before issue 11: never disconnected; 90 % CPU on the net thread."""
import os, socket, sys, time
sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu
import wire_peer as wp

nu.swarmplay()
root = nu.workdir("hostile-toggle")
content, torrent, ih = wp.make_seed(root, 32 << 20)
# 4 MB/s: the download lasts ~8 s, long enough to see the toggler go first
seed, port, seed_log = wp.start_seed(root, torrent, content, extra=["--upload-limit", "4000"])
wp.wait_ready(port, ih)

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
conns = []  # [toggles sent, seconds until closed or None]
pair = (b"\0\0\0\x01\x0e" + b"\0\0\0\x01\x0f") * 512


def toggle(c):
    rec = [0, None]
    conns.append(rec)
    t0 = time.time()
    try:
        c.settimeout(30)
        hs = wp.recv_exact(c, 68)
        c.sendall(wp.PSTR + bytes([0, 0, 0, 0, 0, 0x10, 0, 0x04]) + hs[28:48] +
                  b"-TG0001-" + os.urandom(12))
        c.settimeout(10)
        while time.time() - t0 < 60:
            c.sendall(pair)
            rec[0] += 1024
    except (OSError, EOFError):
        pass
    rec[1] = time.time() - t0
    rec.append(time.time())
    c.close()


wp.serve_each(ls, toggle)
t0 = time.time()
nu.download(root, "dl", torrent, content, timeout=90,
            extra=["--peer", "127.0.0.1:%d" % ls.getsockname()[1],
                   "--peer", "127.0.0.1:%d" % port])
took = time.time() - t0
end = time.time()
nu.stop(seed)
print("download done in %.1f s; toggler connections: %s" %
      (took, ", ".join("%d toggles sent, closed after %s s" %
                       (c[0], "%.1f" % c[1] if c[1] is not None else "-") for c in conns)))
print("download rate %.0f kB/s (the seed's cap: 4000)" % ((32 << 20) / took / 1000))
if not conns:
    nu.fail("swarmplay never connected to the toggler: the probe did not run")
first = conns[0]
if first[1] is None or first[1] > 10 or end - first[2] < 1:
    nu.fail("the toggler was not disconnected within 10 s, while the download ran "
            "(closed after %s s, %.1f s before the download ended)" %
            (first[1], end - first[2] if len(first) > 2 else 0))
print("ok")
