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
import os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.parse

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


if len(sys.argv) != 2:
    fail("usage: webseed-nginx.py WEBSEED_FETCH")
fetch = sys.argv[1]
nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
if not nginx:
    skip("nginx is not installed")
if not shutil.which("mktorrent"):
    skip("mktorrent is not installed")
try:
    import libtorrent as lt
except ImportError:
    skip("python3-libtorrent is not importable from " + sys.executable)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_fetch(torrent, url, expect_ok=True):
    r = subprocess.run([fetch, torrent, url], capture_output=True, text=True, timeout=120)
    print("  %s %s -> rc %d\n    %s" % (os.path.basename(torrent), url, r.returncode,
                                        (r.stdout + r.stderr).strip().replace("\n", "\n    ")))
    if expect_ok and r.returncode != 0:
        fail("fetching %s from %s failed" % (torrent, url))
    if not expect_ok and r.returncode == 0:
        fail("fetching %s from %s should have failed" % (torrent, url))
    return r.stdout


work = tempfile.mkdtemp(prefix="webseed-nginx-")
root = os.path.join(work, "www")
os.makedirs(os.path.join(root, "pack", "sub dir"))
for d in (work, root, os.path.join(root, "pack"), os.path.join(root, "pack", "sub dir")):
    os.chmod(d, 0o755)  # nginx's workers run as nobody


def write(path, n):
    with open(path, "wb") as f:
        f.write(os.urandom(n))
    os.chmod(path, 0o644)


single = os.path.join(root, "movie file é.bin")
write(single, 3 * 1024 * 1024 + 12345)
write(os.path.join(root, "pack", "a.bin"), 100001)
write(os.path.join(root, "pack", "sub dir", "b#1.bin"), 1500000)
write(os.path.join(root, "pack", "sub dir", "ç.bin"), 300007)
write(os.path.join(root, "pack", "empty.txt"), 0)

port = free_port()
base = "http://127.0.0.1:%d/" % port
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

prefix = os.path.join(work, "nginx")
os.makedirs(os.path.join(prefix, "tmp"))
conf = os.path.join(prefix, "nginx.conf")
with open(conf, "w") as f:
    f.write("""daemon off;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log;
events { worker_connections 64; }
http {
    access_log %(p)s/access.log;
    client_body_temp_path %(p)s/tmp/body;
    proxy_temp_path %(p)s/tmp/proxy;
    fastcgi_temp_path %(p)s/tmp/fastcgi;
    uwsgi_temp_path %(p)s/tmp/uwsgi;
    scgi_temp_path %(p)s/tmp/scgi;
    server { listen 127.0.0.1:%(port)d; root %(root)s; }
}
""" % {"p": prefix, "port": port, "root": root})
ngx = subprocess.Popen([nginx, "-c", conf, "-p", prefix], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if ngx.poll() is not None:
                fail("nginx exited: %s" % ngx.stdout.read().decode(errors="replace"))
            time.sleep(0.05)
    else:
        fail("nginx did not start")

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
        fail("the 404 was not reported: %s" % out)
    with open(os.path.join(prefix, "access.log")) as f:
        log = f.read()
    if " 206 " not in log:
        fail("nginx never answered 206: the requests were not ranged")
    print("ok: every piece verified from nginx; 404 reported")
finally:
    ngx.send_signal(signal.SIGQUIT)
    try:
        ngx.wait(5)
    except subprocess.TimeoutExpired:
        ngx.kill()
    shutil.rmtree(work, ignore_errors=True)
