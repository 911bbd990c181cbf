"""wire_peer.py - a raw BitTorrent peer of our own for the hostile tests
(tests/hostile/): it speaks just enough of the wire protocol (BEP 3, the
fast extension of BEP 6, the extended handshake of BEP 10 and BEP 9's
ut_metadata requests) to behave badly on purpose. Plain sockets, no
library; loopback only. Also what those tests share: a seed made with
`swarmplay create` and `swarmplay seed`, and a process's RSS.

  Peer(port, info_hash, src="127.0.0.1", rcvbuf=None)
      connect from src (any 127.0.0.x), send our handshake;
      .handshake() reads theirs, .send(id, payload), .keepalive(),
      .request(i, begin, len), .ext(ext_id, bytes), .ext_handshake(m),
      .their_ext_id(name), .meta_request_bytes(ext_id, piece),
      .recv_msg(), .wait_closed(timeout)
  make_seed(root, size, piece_size)   (content dir, torrent, info-hash hex)
  start_seed(root, torrent, content)  `swarmplay seed` on a free port:
                                      (process, port, log path)
  wait_ready(port, info_hash)         until it answers a handshake
  can_bind(addr)                      is 127.0.0.x usable here
  rss_kb(pid)                         VmRSS of pid in kB (0 once gone)
  wait_for(cond, timeout, what)       until cond() is true, else fail
  recv_exact(sock, n)                 n bytes from a socket (EOFError at its end)
  serve_each(listener, handler)       a thread that accepts on listener and
                                      runs handler(conn) in a thread each,
                                      until listener is closed
"""
import json, os, random, re, socket, struct, subprocess, threading, time
import offline  # noqa: F401  (sets the no-outside-traffic environment)

import net_util as nu

PSTR = b"\x13BitTorrent protocol"
CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE, BITFIELD, REQUEST, PIECE, CANCEL = range(9)
HAVE_ALL, HAVE_NONE, REJECT, ALLOWED_FAST = 0x0e, 0x0f, 0x10, 0x11
EXTENDED = 20


def bencode(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in x.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(type(x))


class Peer:
    def __init__(self, port, info_hash, src="127.0.0.1", rcvbuf=None, timeout=30):
        if isinstance(info_hash, str):
            info_hash = bytes.fromhex(info_hash)
        self.info_hash = info_hash
        s = socket.socket()
        if rcvbuf:  # before connect: the window it announces stays small
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((src, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        reserved = bytearray(8)
        reserved[5] |= 0x10  # BEP 10
        reserved[7] |= 0x04  # BEP 6
        self.peer_id = b"-HO0001-" + os.urandom(12)
        s.sendall(PSTR + bytes(reserved) + info_hash + self.peer_id)
        self.sock = s

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def handshake(self):
        """Their handshake (68 bytes); EOFError if they hung up."""
        hs = self._read(68)
        if hs[:20] != PSTR or hs[28:48] != self.info_hash:
            raise EOFError
        return hs

    def recv_msg(self):
        """(id, payload), or (None, b"") for a keep-alive."""
        (n,) = struct.unpack(">I", self._read(4))
        if n == 0:
            return None, b""
        body = self._read(n)
        return body[0], body[1:]

    def send(self, msg_id, payload=b""):
        self.sock.sendall(struct.pack(">IB", 1 + len(payload), msg_id) + payload)

    def keepalive(self):
        self.sock.sendall(b"\0\0\0\0")

    def request(self, index, begin, length):
        self.send(REQUEST, struct.pack(">III", index, begin, length))

    def ext(self, ext_id, body):
        self.send(EXTENDED, bytes([ext_id]) + body)

    def ext_handshake(self, m):
        self.ext(0, bencode({"m": m, "v": "hostile"}))

    def their_ext_id(self, name, timeout=30):
        """The id their extended handshake gives extension name (read
        up to it); 0 if they do not offer it."""
        end = time.time() + timeout
        while time.time() < end:
            msg_id, body = self.recv_msg()
            if msg_id == EXTENDED and body[:1] == b"\0":
                m = re.search(rb"%d:%si(\d+)e" % (len(name), name.encode()), body)
                return int(m.group(1)) if m else 0
        raise EOFError

    @staticmethod
    def meta_request_bytes(ext_id, piece):
        body = bytes([ext_id]) + bencode({"msg_type": 0, "piece": piece})
        return struct.pack(">IB", 1 + len(body), EXTENDED) + body

    def wait_closed(self, timeout):
        """True once the other side closed the connection (reading and
        dropping whatever it sends), False after timeout s."""
        end = time.time() + timeout
        while time.time() < end:
            self.sock.settimeout(max(0.1, end - time.time()))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True
        return False


def recv_exact(sock, n):
    """Exactly n bytes from sock; EOFError if it closes first."""
    buf = b""
    while len(buf) < n:
        d = sock.recv(n - len(buf))
        if not d:
            raise EOFError
        buf += d
    return buf


def serve_each(listener, handler):
    """Accepts on listener in a daemon thread, each connection handed to
    handler(conn) in a daemon thread of its own; ends when listener is
    closed."""
    def accept():
        while True:
            try:
                c, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()


def make_seed(root, size, piece_size="16K", seed=11):
    """A payload of size random bytes in one file and its .tstream by
    `swarmplay create`: (content dir, torrent path, info-hash hex)."""
    content = os.path.join(root, "src", "payload")
    os.makedirs(content, exist_ok=True)
    with open(os.path.join(content, "data.bin"), "wb") as f:
        f.write(random.Random(seed).randbytes(size))
    torrent = os.path.join(root, "t.tstream")
    subprocess.run([nu.swarmplay(), "create", content, "-o", torrent, "--piece-size",
                    piece_size, "-q", "--threads", "1"], check=True, timeout=120)
    info = subprocess.run([nu.swarmplay(), "info", "--json", torrent], check=True,
                          capture_output=True, timeout=60).stdout
    return content, torrent, json.loads(info)["info_hash"]


def start_seed(root, torrent, content, extra=(), name="seed"):
    """`swarmplay seed` of content's parent on a port of its choosing."""
    log = os.path.join(root, name + ".log")
    p, port = nu.start_swarmplay_port(["seed", torrent, os.path.dirname(content),
                                       "--no-tracker"] + list(extra), log)
    return p, port, log


def wait_ready(port, info_hash, timeout=60):
    """Until the swarmplay on port answers a handshake for info_hash (its
    check of the data is done and the torrent takes peers)."""
    def answers():
        try:
            p = Peer(port, info_hash, timeout=5)
            try:
                p.handshake()
                return True
            finally:
                p.close()
        except (OSError, EOFError):
            return False
    wait_for(answers, timeout, "swarmplay on port %d answers a handshake" % port)


def can_bind(addr):
    """Is addr (say 127.0.0.2) usable as a source address here?"""
    s = socket.socket()
    try:
        s.bind((addr, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    nu.fail("%s: not after %d s" % (what, timeout))
