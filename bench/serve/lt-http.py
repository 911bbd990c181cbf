#!/usr/bin/python3
"""lt-http.py - a libtorrent 2.0 HTTP streaming server for bench-serve.py:
the contender a streaming user would build on libtorrent, which has no
HTTP server of its own. A bench tool, not product code.

  lt-http.py TORRENT SAVE_DIR PORT [PEER_HOST:PORT]...

Tuned as bench/play's libtorrent streamer (same settings): sequential
download, `set_piece_deadline` on a WINDOW-piece window (STEP_MS apart)
ahead of the piece being sent, tick_interval 100 ms,
initial_picker_threshold 0, several connections per IP, no smooth
connects. The window is set on the file's first pieces as soon as the
torrent is added (before any client), and follows each response's
position. HTTP/1.1 (threaded http.server): GET and HEAD of any path serve
the torrent's largest file, one `Range` (206, Content-Range, 416),
keep-alive. A response sends only verified pieces: it waits (polling
have_piece every 2 ms) for each piece, then reads it from the file
libtorrent wrote. Prints the URL on stdout once listening."""
import http.server, os, re, sys, threading, time

T_START = time.monotonic()  # noqa: E402  (before the import: it costs)
import libtorrent as lt

TRACE = os.environ.get("LT_TRACE") == "1"


def trace(what):
    """With LT_TRACE=1: a line on stderr, CLOCK_MONOTONIC seconds first
    (bench-serve.py's timeline)."""
    if TRACE:
        print("[%.3f] %s" % (time.monotonic(), what), file=sys.stderr, flush=True)


trace("python started (libtorrent imported)")

WINDOW = int(os.environ.get("LT_WINDOW", "3"))
STEP_MS = int(os.environ.get("LT_STEP_MS", "100"))

torrent, save_dir, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
peers = sys.argv[4:]
ses = lt.session({"listen_interfaces": "127.0.0.1:0",
                  "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
                  "enable_natpmp": False, "alert_mask": 0, "tick_interval": 100,
                  "initial_picker_threshold": 0,
                  # every seeder of the bench is on 127.0.0.1
                  "allow_multiple_connections_per_ip": True,
                  "smooth_connects": False})
ti = lt.torrent_info(torrent)
h = ses.add_torrent({"ti": ti, "save_path": save_dir,
                     "flags": lt.torrent_flags.sequential_download})
for p in peers:
    host, _, pport = p.rpartition(":")
    h.connect_peer((host, int(pport)))
fs = ti.files()
fidx = max(range(fs.num_files()), key=fs.file_size)
fsize, foff = fs.file_size(fidx), fs.file_offset(fidx)
path = os.path.join(save_dir, fs.file_path(fidx))
plen, npieces = ti.piece_length(), ti.num_pieces()
lock = threading.Lock()  # deadlines from several responses


def window(piece):
    with lock:
        for i in range(piece, min(piece + WINDOW, npieces)):
            h.set_piece_deadline(i, (i - piece) * STEP_MS)


window(foff // plen)  # the file's start, before any client
trace("torrent added, peers given, deadlines set")


def watch():
    """LT_TRACE: when the first pieces verify."""
    seen = set()
    while len(seen) < min(3, npieces):
        for i in range(min(3, npieces)):
            if i not in seen and h.have_piece(i):
                seen.add(i)
                trace("piece %d verified" % i)
        time.sleep(0.002)


if TRACE:
    threading.Thread(target=watch, daemon=True).start()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_HEAD(self):
        self.answer(False)

    def do_GET(self):
        self.answer(True)

    def answer(self, body):
        first, last, code = 0, fsize - 1, 200
        rng = self.headers.get("Range")
        trace("request %s %s Range: %s" % (self.command, self.path, rng))
        if rng:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if not m or (not m.group(1) and not m.group(2)):
                return self.bad()
            if m.group(1):
                first = int(m.group(1))
                if m.group(2):
                    last = min(int(m.group(2)), fsize - 1)
            else:
                first = max(0, fsize - int(m.group(2)))
            if first >= fsize or first > last:
                return self.bad()
            code = 206
        self.send_response(code)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(last - first + 1))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, fsize))
        self.end_headers()
        if body:
            self.stream(first, last)

    def bad(self):
        self.send_response(416)
        self.send_header("Content-Range", "bytes */%d" % fsize)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def stream(self, first, last):
        pos, f = first, None
        try:
            while pos <= last:
                piece = (foff + pos) // plen
                window(piece)
                while not h.have_piece(piece):
                    time.sleep(0.002)
                if f is None:  # libtorrent makes the file with its first piece
                    f = open(path, "rb")
                end = min(last + 1, (piece + 1) * plen - foff)
                f.seek(pos)
                data = f.read(end - pos)
                if len(data) != end - pos:
                    return
                if pos == first:
                    trace("first %d bytes out" % len(data))
                self.wfile.write(data)
                pos = end
        except OSError:
            return
        finally:
            if f:
                f.close()


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
srv.daemon_threads = True
trace("listening")
print("http://127.0.0.1:%d/%s" % (srv.server_address[1], fs.file_name(fidx)), flush=True)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    pass
