#!/usr/bin/python3
"""webseed-bench.py - how fast sp_webseed pulls a torrent from a real nginx,
against the ceiling (curl fetching the file in one GET) and another
client's web seed code (aria2c with the same torrent, no peers).

Two servers: nginx as is, and nginx with `limit_rate` per connection (a
capped CDN), where parallel Range requests (--transfers) matter. For each
run: wall time, MB/s, time to the first block, CPU seconds of the client.
Every piece sp_webseed fetched is SHA-1 checked by webseed-fetch.

usage: webseed-bench.py WEBSEED_FETCH [MB] [LIMIT_MB_PER_S]"""
import os, resource, shutil, signal, socket, subprocess, sys, tempfile, time

if len(sys.argv) < 2:
    sys.exit("usage: webseed-bench.py WEBSEED_FETCH [MB] [LIMIT_MB_PER_S]")
fetch = sys.argv[1]
size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 64
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 8
for tool in ("nginx", "mktorrent", "curl"):
    if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
        print("skip:", tool, "is not installed")
        sys.exit(77)
nginx = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


work = tempfile.mkdtemp(prefix="bench-webseed-")
root = os.path.join(work, "www")
os.mkdir(root)
for d in (work, root):
    os.chmod(d, 0o755)
video = os.path.join(root, "video.bin")
with open(video, "wb") as f:
    for _ in range(size_mb):
        f.write(os.urandom(1 << 20))
os.chmod(video, 0o644)


def start_nginx(name, rate):
    port = free_port()
    prefix = os.path.join(work, name)
    os.makedirs(os.path.join(prefix, "tmp"))
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; worker_processes 1; pid %(p)s/pid; error_log %(p)s/error.log;
events { worker_connections 256; }
http { access_log off; client_body_temp_path %(p)s/tmp/b; proxy_temp_path %(p)s/tmp/p;
  fastcgi_temp_path %(p)s/tmp/f; uwsgi_temp_path %(p)s/tmp/u; scgi_temp_path %(p)s/tmp/s;
  server { listen 127.0.0.1:%(port)d; root %(root)s; %(rate)s } }
""" % {"p": prefix, "port": port, "root": root,
       "rate": "limit_rate %dm;" % rate if rate else ""})
    proc = subprocess.Popen([nginx, "-c", conf, "-p", prefix])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, "http://127.0.0.1:%d/video.bin" % port
        except OSError:
            time.sleep(0.05)
    sys.exit("nginx did not start")


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        sys.exit("%s failed" % cmd[0])
    first = ""
    for line in r.stdout.splitlines():
        if line.startswith("first block after"):
            first = line.split()[3]
    return wall, cpu, first


rows = []
servers = [("nginx", 0), ("nginx limit_rate %d MB/s" % limit, limit)]
procs = []
try:
    for name, rate in servers:
        proc, url = start_nginx("ngx%d" % rate, rate)
        procs.append(proc)
        torrent = os.path.join(work, "t%d.torrent" % rate)
        subprocess.run(["mktorrent", "-l", "18", "-w", url, "-o", torrent, video], check=True,
                       stdout=subprocess.DEVNULL)
        runs = [("curl, one GET", ["curl", "-s", "-o", "/dev/null", url])]
        if shutil.which("aria2c"):
            dest = os.path.join(work, "aria%d" % rate)
            runs.append(("aria2c web seed", ["aria2c", "-q", "--seed-time=0", "--enable-dht=false",
                                              "--bt-enable-lpd=false", "--file-allocation=none",
                                              "--allow-overwrite=true", "-d", dest, torrent]))
        for transfers, span in ((1, 4 << 20), (2, 4 << 20), (4, 4 << 20), (4, 1 << 20)):
            runs.append(("sp_webseed x%d, %d MiB" % (transfers, span >> 20),
                         [fetch, torrent, url, "--transfers", str(transfers), "--span",
                          str(span), "--window", "512"]))
        for label, cmd in runs:
            wall, cpu, first = timed(cmd)
            rows.append((name, label, wall, size_mb / wall, first, cpu))
            print("%-26s %-24s %6.2f s %7.1f MB/s  first %8s ms  cpu %5.2f s" %
                  (name, label, wall, size_mb / wall, first or "-", cpu), flush=True)
finally:
    for p in procs:
        p.send_signal(signal.SIGQUIT)
        p.wait()
    shutil.rmtree(work, ignore_errors=True)
