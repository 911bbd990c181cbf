#!/usr/bin/python3
"""webseed-nginx.py - sp_webseed against a real nginx on 127.0.0.1.

Every piece of a single-file torrent (made by mktorrent, file name with a
space and a non-ASCII letter) and of a multi-file torrent (made by
libtorrent, v1 only: nested directory, '#' in a name, an empty file, sizes
that make blocks straddle files) is fetched through webseed-fetch and its
SHA-1 checked against the torrent. Both BEP 19 URL forms are used (the
file's own URL, and a directory URL ending in '/'). A URL that nginx does
not have must fail with the 404 reported.

usage: webseed-nginx.py PATH/TO/webseed-fetch"""
import os, subprocess, sys, urllib.parse

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

if len(sys.argv) != 2:
    nu.fail("usage: webseed-nginx.py WEBSEED_FETCH")
fetch = sys.argv[1]
nu.need("mktorrent")
lt = nu.lt()


def run_fetch(torrent, url, expect_ok=True):
    r = subprocess.run([fetch, torrent, url], capture_output=True, text=True, timeout=120)
    print("  %s %s -> rc %d\n    %s" % (os.path.basename(torrent), url, r.returncode,
                                        (r.stdout + r.stderr).strip().replace("\n", "\n    ")))
    if expect_ok and r.returncode != 0:
        nu.fail("fetching %s from %s failed" % (torrent, url))
    if not expect_ok and r.returncode == 0:
        nu.fail("fetching %s from %s should have failed" % (torrent, url))
    return r.stdout


work = nu.workdir("webseed-nginx")
root = os.path.join(work, "www")
os.makedirs(os.path.join(root, "pack", "sub dir"))


def write(path, n):
    with open(path, "wb") as f:
        f.write(os.urandom(n))


single = os.path.join(root, "movie file é.bin")
write(single, 3 * 1024 * 1024 + 12345)
write(os.path.join(root, "pack", "a.bin"), 100001)
write(os.path.join(root, "pack", "sub dir", "b#1.bin"), 1500000)
write(os.path.join(root, "pack", "sub dir", "ç.bin"), 300007)
write(os.path.join(root, "pack", "empty.txt"), 0)

ngx = nu.Nginx(work, root, open(os.path.join(work, "nginx.out"), "w"))  # skips (77) without nginx
base = ngx.url
tdir = os.path.join(work, "torrents")
os.mkdir(tdir)
single_t = os.path.join(tdir, "single.torrent")
subprocess.run(["mktorrent", "-l", "15", "-a", "http://127.0.0.1:1/announce",
                "-w", base + urllib.parse.quote("movie file é.bin"), "-o", single_t, single],
               check=True, stdout=subprocess.DEVNULL)

fs = lt.file_storage()
lt.add_files(fs, os.path.join(root, "pack"))
ct = lt.create_torrent(fs, 65536, flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(ct, root)
multi_t = os.path.join(tdir, "multi.torrent")
with open(multi_t, "wb") as f:
    f.write(lt.bencode(ct.generate()))

print("== single file, the file's own URL (from the torrent's url-list)")
run_fetch(single_t, base + urllib.parse.quote("movie file é.bin"))
print("== single file, directory URL")
run_fetch(single_t, base)
print("== multi-file, directory URL (without and with the final slash)")
run_fetch(multi_t, base)
run_fetch(multi_t, base.rstrip("/"))
print("== a directory nginx does not have")
out = run_fetch(multi_t, base + "nothing-here/", expect_ok=False)
if "404" not in out:
    nu.fail("the 404 was not reported: %s" % out)
if " 206 " not in ngx.log():
    nu.fail("nginx never answered 206: the requests were not ranged")
ngx.stop()
print("ok: every piece verified from nginx; 404 reported")
