#!/usr/bin/python3
"""webseed-bep17.py - BEP 17 (`httpseeds`) against a seed script of its own:
a Python http.server that answers url?info_hash=..&piece=N&ranges=A-B,...
from the files of a libtorrent-made multi-file torrent (pieces mapped to
files with libtorrent's map_block), with the BEP's 503 "come back in N
seconds" on its first request. webseed-fetch --httpseed must wait as told,
then verify the SHA-1 of every piece; a wrong info_hash must be refused;
and `swarmplay download` of a torrent whose only source is an httpseeds
entry must write every file identical.

usage: webseed-bep17.py PATH/TO/webseed-fetch"""
import http.server, os, shutil, subprocess, sys, tempfile, threading, time, urllib.parse

SKIP = 77


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


if len(sys.argv) != 2:
    fail("usage: webseed-bep17.py WEBSEED_FETCH")
fetch = sys.argv[1]
try:
    import libtorrent as lt
except ImportError:
    print("skip: python3-libtorrent is not importable from", sys.executable)
    sys.exit(SKIP)

work = tempfile.mkdtemp(prefix="webseed-bep17-")
data = os.path.join(work, "pack")
os.makedirs(os.path.join(data, "sub"))
for rel, size in (("a.bin", 70001), ("sub/b.bin", 900000), ("sub/c.bin", 5)):
    with open(os.path.join(data, rel), "wb") as f:
        f.write(os.urandom(size))
fs = lt.file_storage()
lt.add_files(fs, data)
ct = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(ct, work)
torrent = os.path.join(work, "t.torrent")
with open(torrent, "wb") as f:
    f.write(lt.bencode(ct.generate()))
ti = lt.torrent_info(torrent)
ih = bytes.fromhex(str(ti.info_hash()))
files = ti.files()
state = {"requests": 0, "busy": 1, "first_at": None, "bad_hash": 0}


class Seed(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body):
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a request the client dropped (its web seed backed off)

    def do_GET(self):
        state["requests"] += 1
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query, encoding="latin-1")
        if state["busy"]:
            state["busy"] -= 1
            state["first_at"] = time.monotonic()
            return self.reply(503, b"1")
        if q.get("info_hash", [""])[0].encode("latin-1") != ih:
            state["bad_hash"] += 1
            return self.reply(404, b"unknown torrent")
        piece = int(q["piece"][0])
        psize = ti.piece_size(piece)
        ranges = q.get("ranges", ["0-%d" % (psize - 1)])[0].split(",")
        out = b""
        for r in ranges:
            a, b = (int(x) for x in r.split("-"))
            if a > b or b >= psize:
                return self.reply(416, b"bad range")
            for sl in ti.map_block(piece, a, b - a + 1):
                with open(os.path.join(work, files.file_path(sl.file_index)), "rb") as f:
                    f.seek(sl.offset)
                    out += f.read(sl.size)
        self.reply(200, out)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Seed)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/seed.php" % srv.server_address[1]
try:
    t0 = time.monotonic()
    r = subprocess.run([fetch, torrent, url, "--httpseed", "1", "--retry", "1"],
                       capture_output=True, text=True, timeout=120)
    print((r.stdout + r.stderr).strip())
    if r.returncode:
        fail("BEP 17 fetch failed")
    if "busy" not in r.stdout:
        fail("the 503 was not reported")
    if time.monotonic() - t0 < 0.9:
        fail("the web seed did not wait the second the 503 asked for")
    # one request per piece, plus the 503 and the (up to 3) requests made
    # alongside it that were dropped when the seed backed off
    if state["requests"] > ti.num_pieces() + 4:
        fail("%d requests for %d pieces: blocks of a piece were not coalesced" %
             (state["requests"], ti.num_pieces()))
    print("%d requests for %d pieces" % (state["requests"], ti.num_pieces()))
    # a seed that does not know the torrent (wrong info_hash) is a fault
    other = os.path.join(work, "other.torrent")
    ct2 = lt.create_torrent(fs, 65536, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct2, work)
    with open(other, "wb") as f:
        f.write(lt.bencode(ct2.generate()))
    r = subprocess.run([fetch, other, url, "--httpseed", "1"], capture_output=True, text=True,
                       timeout=60)
    print((r.stdout + r.stderr).strip())
    if r.returncode == 0 or state["bad_hash"] == 0:
        fail("a seed answering for another torrent was accepted")
    # and through the session: swarmplay download of a torrent whose only
    # source is its httpseeds entry
    exe = os.environ.get("SWARMPLAY")
    if exe and os.path.exists(exe):
        ct3 = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v1_only)
        ct3.add_http_seed(url)
        lt.set_piece_hashes(ct3, work)
        hs_torrent = os.path.join(work, "hs.torrent")
        with open(hs_torrent, "wb") as f:
            f.write(lt.bencode(ct3.generate()))
        before = state["requests"]
        dst = os.path.join(work, "dl")
        r = subprocess.run([exe, "download", hs_torrent, "-d", dst, "--no-tracker"],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, SWARMPLAY_LOG="info"))
        if r.returncode:
            print((r.stdout + r.stderr)[-3000:])
            fail("swarmplay download from an HTTP seed exited with %d" % r.returncode)
        for dp, _, fns in os.walk(data):
            for fn in fns:
                a = os.path.join(dp, fn)
                b = os.path.join(dst, os.path.relpath(a, work))
                if open(a, "rb").read() != open(b, "rb").read():
                    fail("swarmplay download: %s differs" % os.path.relpath(a, work))
        print("swarmplay download: %d HTTP seed requests, every file identical" %
              (state["requests"] - before))
    print("ok")
finally:
    srv.shutdown()
    shutil.rmtree(work, ignore_errors=True)
