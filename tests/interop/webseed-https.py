#!/usr/bin/python3
"""webseed-https.py - HTTPS web seed and HTTPS tracker against a real nginx
with a self-signed certificate made by openssl for this run.

With SWARMPLAY_CA_FILE pointing at the certificate, webseed-fetch verifies
every piece of a torrent over HTTPS and tracker-announce reads the peers of
an announce answer nginx serves from a file; without it, both must refuse
the server (the certificate is checked, not ignored).

usage: webseed-https.py PATH/TO/webseed-fetch PATH/TO/tracker-announce"""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

if len(sys.argv) != 3:
    nu.fail("usage: webseed-https.py WEBSEED_FETCH TRACKER_ANNOUNCE")
fetch, announce = sys.argv[1], sys.argv[2]
nu.need("openssl", "mktorrent")

work = nu.workdir("webseed-https")
www = os.path.join(work, "www")
os.mkdir(www)
with open(os.path.join(www, "clip.bin"), "wb") as f:
    f.write(os.urandom(1_500_000 + 77))
# an announce answer: one peer, 127.0.0.1:6881 (nginx ignores the query)
with open(os.path.join(www, "announce"), "wb") as f:
    f.write(b"d8:intervali900e5:peers6:\x7f\x00\x00\x01\x1a\xe1e")

cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], capture_output=True, text=True)
if r.returncode:
    nu.fail("openssl: " + r.stderr)

ngx = nu.Nginx(work, www, open(os.path.join(work, "nginx.out"), "w"),
               http_extra="default_type application/octet-stream;", ssl=(cert, key))
base = ngx.url  # https://127.0.0.1:PORT/
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
    nu.fail("HTTPS web seed fetch failed")
print("== HTTPS tracker, certificate trusted")
r = run([announce, base + "announce", ih, "7000"], env_ok)
if r.returncode or "peer 127.0.0.1 6881" not in r.stdout:
    nu.fail("HTTPS announce did not return the peer")
print("== both again without the certificate: refused")
r = run([fetch, torrent, base + "clip.bin"], env_no)
if r.returncode == 0 or "certificate" not in r.stdout.lower():
    nu.fail("an untrusted certificate was accepted by the web seed")
r = run([announce, base + "announce", ih, "7000"], env_no)
if r.returncode == 0 or "certificate" not in r.stdout.lower():
    nu.fail("an untrusted certificate was accepted by the tracker")
ngx.stop()
print("ok: HTTPS web seed and tracker, certificates verified")
