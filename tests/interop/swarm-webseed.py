#!/usr/bin/python3
"""swarm-webseed.py - swarmplay downloads a multi-file torrent whose
url-list points at nginx on 127.0.0.1: first from the web seed alone (every
byte counted as SP_FROM_WEBSEED), then with a rate-limited libtorrent
seed next to it in the default fallback mode. Both copies must be
byte-identical."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("swarm-webseed")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
logs = open(os.path.join(root, "clients.log"), "w")
ngx = nu.Nginx(root, src, logs)
torrent = os.path.join(root, "t.torrent")
fs = lt.file_storage()
lt.add_files(fs, content)
ct = lt.create_torrent(fs, 65536, flags=lt.create_torrent.v1_only)
ct.add_url_seed(ngx.url)
lt.set_piece_hashes(ct, src)
with open(torrent, "wb") as f:
    f.write(lt.bencode(ct.generate()))
total = sum(s for _, s in nu.LAYOUT)


def download(name, extra):
    return nu.download(root, name, torrent, content, extra)


try:
    st = download("webseed-only", [])
    if st["downloaded_webseed"] != total or st["downloaded_peers"] != 0:
        nu.fail("web seed only: %d from the web seed, %d from peers (total %d)" %
                (st["downloaded_webseed"], st["downloaded_peers"], total))
    print("web seed only: %d bytes from nginx" % st["downloaded_webseed"])
    ses = nu.lt_session(lt, 0, upload_limit=500_000)
    port = ses.listen_port()
    h = nu.lt_add(lt, ses, torrent, src, seed=True)
    nu.wait_lt_seeding(h)
    st = download("mixed", ["--peer", "127.0.0.1:%d" % port])
    if st["downloaded_webseed"] + st["downloaded_peers"] != total:
        nu.fail("bytes by source do not add up: %s" % st)
    print("with a peer: %d bytes from peers, %d from the web seed" %
          (st["downloaded_peers"], st["downloaded_webseed"]))
finally:
    ngx.stop()
print("ok")
