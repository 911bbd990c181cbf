#!/usr/bin/python3
"""webseed-https.py - HTTPS web seed and HTTPS tracker against a real nginx
with a self-signed certificate made by openssl for this run.

With SWARMPLAY_CA_FILE pointing at the certificate, webseed-fetch verifies
every piece of a torrent over HTTPS and tracker-announce reads the peers of
an announce answer nginx serves from a file; without it, both must refuse
the server (the certificate is checked, not ignored).

usage: webseed-https.py PATH/TO/webseed-fetch PATH/TO/tracker-announce"""
import os, shutil, signal, socket, subprocess, sys, tempfile, time

SKIP = 77


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


if len(sys.argv) != 3:
    fail("usage: webseed-https.py WEBSEED_FETCH TRACKER_ANNOUNCE")
fetch, announce = sys.argv[1], sys.argv[2]
nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
for tool, path in (("nginx", nginx), ("openssl", shutil.which("openssl")),
                   ("mktorrent", shutil.which("mktorrent"))):
    if not path:
        print("skip: %s is not installed" % tool)
        sys.exit(SKIP)

work = tempfile.mkdtemp(prefix="webseed-https-")
www = os.path.join(work, "www")
os.mkdir(www)
for d in (work, www):
    os.chmod(d, 0o755)
with open(os.path.join(www, "clip.bin"), "wb") as f:
    f.write(os.urandom(1_500_000 + 77))
# an announce answer: one peer, 127.0.0.1:6881 (nginx ignores the query)
with open(os.path.join(www, "announce"), "wb") as f:
    f.write(b"d8:intervali900e5:peers6:\x7f\x00\x00\x01\x1a\xe1e")
for fn in os.listdir(www):
    os.chmod(os.path.join(www, fn), 0o644)

cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], capture_output=True, text=True)
if r.returncode:
    fail("openssl: " + r.stderr)
os.chmod(key, 0o644)

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
  scgi_temp_path %(p)s/tmp/s; default_type application/octet-stream;
  server { listen 127.0.0.1:%(port)d ssl; ssl_certificate %(cert)s;
           ssl_certificate_key %(key)s; root %(root)s; } }
""" % {"p": prefix, "port": port, "cert": cert, "key": key, "root": www})
ngx = subprocess.Popen([nginx, "-c", conf, "-p", prefix])
base = "https://127.0.0.1:%d/" % port
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if ngx.poll() is not None:
                fail("nginx exited")
            time.sleep(0.05)
    torrent = os.path.join(work, "t.torrent")
    subprocess.run(["mktorrent", "-l", "15", "-w", base + "clip.bin", "-o", torrent,
                    os.path.join(www, "clip.bin")], check=True, stdout=subprocess.DEVNULL)
    ih = "00" * 20
    env_ok = dict(os.environ, SWARMPLAY_CA_FILE=cert)
    env_no = {k: v for k, v in os.environ.items() if k != "SWARMPLAY_CA_FILE"}

    def run(cmd, env):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        print("  %s -> rc %d\n    %s" % (" ".join(os.path.basename(c) for c in cmd[:1]) +
                                        " " + " ".join(cmd[1:]), r.returncode,
                                        (r.stdout + r.stderr).strip().replace("\n", "\n    ")))
        return r

    print("== HTTPS web seed, certificate trusted")
    if run([fetch, torrent, base + "clip.bin"], env_ok).returncode:
        fail("HTTPS web seed fetch failed")
    print("== HTTPS tracker, certificate trusted")
    r = run([announce, base + "announce", ih, "7000"], env_ok)
    if r.returncode or "peer 127.0.0.1 6881" not in r.stdout:
        fail("HTTPS announce did not return the peer")
    print("== both again without the certificate: refused")
    r = run([fetch, torrent, base + "clip.bin"], env_no)
    if r.returncode == 0 or "certificate" not in r.stdout.lower():
        fail("an untrusted certificate was accepted by the web seed")
    r = run([announce, base + "announce", ih, "7000"], env_no)
    if r.returncode == 0 or "certificate" not in r.stdout.lower():
        fail("an untrusted certificate was accepted by the tracker")
    print("ok: HTTPS web seed and tracker, certificates verified")
finally:
    ngx.send_signal(signal.SIGQUIT)
    try:
        ngx.wait(5)
    except subprocess.TimeoutExpired:
        ngx.kill()
    shutil.rmtree(work, ignore_errors=True)
