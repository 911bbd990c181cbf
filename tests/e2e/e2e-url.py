#!/usr/bin/python3
"""e2e-url.py - a .tstream or .torrent by its URL (issue 15): nginx serves
a .tstream seeded by libtorrent; `play http://127.0.0.1:PORT/x.tstream`
plays it frame-exact (ffmpeg's framemd5), and so do the same file as
.torrent behind a redirect and as a file:// URI with an escaped space;
`info` takes the URL too. Refused clearly, with exit 3: an HTML answer
(text/html), HTML served as a .tstream, a torrent served as text/plain,
and a 50 MB answer (over the cap before a byte of it is read), and an
endless answer with no length (chunked, from a server of the test's own:
cut at the cap); a 404 is a failure (exit 1) that names the status."""
import os, shutil, socket, subprocess, sys, threading, urllib.parse

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import net_util

swarm.need("ffmpeg")
root = swarm.workdir("e2e-url")
www = os.path.join(root, "www")
os.makedirs(os.path.join(root, "seed"))
os.makedirs(www)
media = swarm.make_video(os.path.join(root, "seed", "clip.mp4"), "mp4", seconds=3)
ref = swarm.framemd5(media)
local = swarm.create_tstream(media, os.path.join(root, "my clip.tstream"))
shutil.copy(local, os.path.join(www, "x.tstream"))
shutil.copy(local, os.path.join(www, "x.torrent"))
shutil.copy(local, os.path.join(www, "x.txt"))
with open(os.path.join(www, "page.html"), "w") as f:
    f.write("<!DOCTYPE html>\n<html><body><a href=x.tstream>the video</a></body></html>\n")
shutil.copy(os.path.join(www, "page.html"), os.path.join(www, "fake.tstream"))
with open(os.path.join(www, "big.tstream"), "wb") as f:
    f.write(b"d4:info")
    f.truncate(50 << 20)
seeder = swarm.Seeder(local, os.path.join(root, "seed"))
log = open(os.path.join(root, "nginx.out"), "w")
types = ("types { text/html html; text/plain txt; application/x-bittorrent torrent; "
         "application/x-ns-stream tstream; } default_type application/octet-stream;")
nginx = net_util.Nginx(root, www, log, http_extra=types,
                       extra="location = /go { return 302 /x.torrent; }")
check = swarm.Checks()


def play(src, name):
    hashes = os.path.join(root, name + ".md5")
    rc, out = swarm.play([src, "-d", os.path.join(root, "dl-" + name), "--peer", seeder.peer,
                          "--no-tracker", "--fast", "--exit-at-end", "--framehash", hashes],
                         timeout=90)
    got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
    if not check(rc == 0 and got == ref, "%s: rc %s, %d of %d frames frame-exact"
                 % (src, rc, len(got), len(ref))):
        print(out[-1500:])


play(nginx.url + "x.tstream", "tstream")
play(nginx.url + "go", "redirect")
play("file://" + urllib.parse.quote(os.path.abspath(local)), "file")
r = subprocess.run([swarm.swarmplay(), "info", nginx.url + "x.tstream"], capture_output=True,
                   text=True, timeout=60)
check(r.returncode == 0 and "clip.mp4" in r.stdout, "info takes the URL (rc %s)" % r.returncode)

for name, rc_want, says in (("page.html", 3, "web page"), ("fake.tstream", 3, "web page"),
                            ("x.txt", 3, "text/plain"), ("big.tstream", 3, "over 16 MB"),
                            ("nothing.tstream", 1, "HTTP 404")):
    rc, out = swarm.play([nginx.url + name, "--no-tracker", "--fast"], timeout=60)
    if not check(rc == rc_want and says in out and "Traceback" not in out,
                 "%s refused: exit %s (want %s), says %r" % (name, rc, rc_want, says)):
        print(out[-800:])


def endless(listener):
    """Answers one request with a chunked body that never ends."""
    conn, _ = listener.accept()
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-bittorrent\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"d4:info" + b"0" * 65529
        while True:
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass
    finally:
        conn.close()


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
threading.Thread(target=endless, args=(listener,), daemon=True).start()
rc, out = swarm.play(["http://127.0.0.1:%d/endless.tstream" % listener.getsockname()[1],
                      "--no-tracker", "--fast"], timeout=60)
if not check(rc == 3 and "over 16 MB" in out,
             "an endless chunked answer cut at the cap: exit %s" % rc):
    print(out[-800:])
listener.close()
nginx.stop()
seeder.stop()
check.finish()
