#!/usr/bin/python3
"""webseed-play.py - `swarmplay play` with no peer at all, only a web seed
(nginx on 127.0.0.1): the decoded frames must hash exactly like ffmpeg's
decode of the local file (the project's frame oracle).

Two files: an mp4 whose index (moov) is at the end, so the player's first
reads jump to the end of the file and back, and a Matroska file. Each is
played from a torrent whose url-list names the file itself (BEP 19
single-file form), in the default web seed mode."""
import os, shutil, signal, socket, subprocess, sys, tempfile, time

SKIP = 77


def skip(why):
    print("skip:", why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


exe = os.environ.get("SWARMPLAY")
if not exe or not os.path.exists(exe):
    skip("SWARMPLAY is not set (run through meson test)")
nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
for tool, path in (("nginx", nginx), ("ffmpeg", shutil.which("ffmpeg")),
                   ("mktorrent", shutil.which("mktorrent"))):
    if not path:
        skip(tool + " is not installed")

work = tempfile.mkdtemp(prefix="webseed-play-")
www = os.path.join(work, "www")
os.mkdir(www)
for d in (work, www):
    os.chmod(d, 0o755)
videos = {
    "clip.mp4": ["-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-c:a", "aac"],
    "clip.mkv": ["-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-c:a", "libopus"],
}
for name, codec in videos.items():
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-t", "4", *codec,
                    "-fflags", "+bitexact", "-shortest", os.path.join(www, name)], check=True)
    os.chmod(os.path.join(www, name), 0o644)

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
prefix = os.path.join(work, "nginx")
os.makedirs(os.path.join(prefix, "tmp"))
conf = os.path.join(prefix, "nginx.conf")
with open(conf, "w") as f:
    f.write("""daemon off; worker_processes 1; pid %(p)s/pid; error_log %(p)s/error.log;
events { worker_connections 64; }
http { access_log %(p)s/access.log; client_body_temp_path %(p)s/tmp/b;
  proxy_temp_path %(p)s/tmp/p; fastcgi_temp_path %(p)s/tmp/f; uwsgi_temp_path %(p)s/tmp/u;
  scgi_temp_path %(p)s/tmp/s;
  server { listen 127.0.0.1:%(port)d; root %(root)s; } }
""" % {"p": prefix, "port": port, "root": www})
ngx = subprocess.Popen([nginx, "-c", conf, "-p", prefix])
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if ngx.poll() is not None:
                fail("nginx exited")
            time.sleep(0.05)
    for name in videos:
        src = os.path.join(www, name)
        torrent = os.path.join(work, name + ".torrent")
        subprocess.run(["mktorrent", "-l", "15", "-w", "http://127.0.0.1:%d/%s" % (port, name),
                        "-o", torrent, src], check=True, stdout=subprocess.DEVNULL)
        ref = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-map", "0:v:0",
                              "-fps_mode", "passthrough", "-f", "framemd5", "-"],
                             capture_output=True, text=True, check=True).stdout
        ref = [l.split(",")[5].strip() for l in ref.splitlines() if l and not l.startswith("#")]
        fh = os.path.join(work, name + ".framehash")
        log = os.path.join(work, name + ".log")
        with open(log, "w") as lf:
            r = subprocess.run([exe, "play", torrent, "-d", os.path.join(work, "dl-" + name),
                                "--no-tracker", "--no-video", "--no-audio", "--fast",
                                "--exit-at-end", "--framehash", fh],
                               stdout=lf, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            print(open(log).read()[-3000:])
            fail("%s: swarmplay play exited with %d" % (name, r.returncode))
        got = [l.strip() for l in open(fh) if l.strip()]
        if got != ref:
            bad = next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b), min(len(got),
                                                                                  len(ref)))
            fail("%s: %d frames decoded, %d expected, first difference at frame %d" %
                 (name, len(got), len(ref), bad))
        print("%s: %d frames identical to ffmpeg's, from the web seed alone" % (name, len(got)))
    with open(os.path.join(prefix, "access.log")) as f:
        if " 206 " not in f.read():
            fail("nginx never answered a Range request")
    print("ok")
finally:
    ngx.send_signal(signal.SIGQUIT)
    try:
        ngx.wait(5)
    except subprocess.TimeoutExpired:
        ngx.kill()
    shutil.rmtree(work, ignore_errors=True)
