"""net_liar.py - a tiny BitTorrent seeder that lies: it claims every piece,
unchokes at once and answers every request with the right length of
wrong bytes. For the corrupt-peer tests (corrupt-peer, corrupt-peer6,
ban64): swarmplay must ban it and still finish from the honest seeds.
Plain sockets and threads; loopback only. Their shared checks:

  wait_log(log_path, cond, p, timeout)   until cond(the log's text) holds
  handshake_answered(ih, port, src)      a handshake from address src to
                                         swarmplay: does it answer?
  finish_seed_download(p, ...)           until the --seed download is
                                         complete, then SIGINT: exit 0,
                                         copy identical, honest seed not
                                         banned"""
import binascii, os, signal, socket, struct, time
import offline  # noqa: F401  (sets the no-outside-traffic environment)
import net_util as nu
import wire_peer as wp


class Liar:
    def __init__(self, info_hash, num_pieces, host="127.0.0.2"):
        self.info_hash = info_hash
        self.num_pieces = num_pieces
        self.blocks_sent = 0
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.addr = self.sock.getsockname()
        wp.serve_each(self.sock, self._serve)

    def stop(self):
        self.sock.close()

    def _serve(self, c):
        self.connections += 1
        try:
            hs = wp.recv_exact(c, 68)
            if hs[28:48] != self.info_hash:
                return
            c.sendall(b"\x13BitTorrent protocol" + bytes(8) + self.info_hash +
                      b"-LI0001-" + os.urandom(12))
            nbytes = (self.num_pieces + 7) // 8
            bits = bytearray(b"\xff" * nbytes)
            spare = nbytes * 8 - self.num_pieces
            if spare:
                bits[-1] = (0xff << spare) & 0xff
            c.sendall(struct.pack(">IB", 1 + nbytes, 5) + bytes(bits))
            c.sendall(struct.pack(">IB", 1, 1))  # unchoke
            while True:
                (n,) = struct.unpack(">I", wp.recv_exact(c, 4))
                if n == 0:
                    continue
                if n > 1 << 20:
                    return
                body = wp.recv_exact(c, n)
                if body[0] == 6 and n == 13:  # request: answer with garbage
                    index, begin, length = struct.unpack(">III", body[1:])
                    if length > 1 << 17:
                        return
                    c.sendall(struct.pack(">IBII", 9 + length, 7, index, begin) +
                              os.urandom(length))
                    self.blocks_sent += 1
        except (EOFError, OSError):
            pass
        finally:
            c.close()


def _text(log_path):
    with open(log_path, errors="replace") as f:
        return f.read()


def wait_log(log_path, cond, p, timeout):
    """Polls swarmplay's log until cond(text) holds (True), p exits or
    timeout seconds pass (False)."""
    end = time.time() + timeout
    while time.time() < end and p.poll() is None:
        if cond(_text(log_path)):
            return True
        time.sleep(0.1)
    return cond(_text(log_path))


def handshake_answered(info_hash_hex, port, src_host):
    """Dials swarmplay's port (on ::1 or 127.0.0.1, as src_host's family)
    from src_host with a handshake for the torrent: True when swarmplay
    answers with one (a banned address is closed at accept)."""
    fam = socket.AF_INET6 if ":" in src_host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(5)
    try:
        c.bind((src_host, 0))
        c.connect(("::1" if fam == socket.AF_INET6 else "127.0.0.1", port))
        c.sendall(b"\x13BitTorrent protocol" + bytes(8) + binascii.unhexlify(info_hash_hex) +
                  b"-LI0001-" + os.urandom(12))
        return len(c.recv(68)) > 0
    except OSError:  # reset, closed, timed out
        return False
    finally:
        c.close()


def finish_seed_download(p, stats, log_path, content, dst, timeout, liars):
    """A `download --seed` with liars among its peers: waits until its
    stats say complete, ends it with SIGINT (exit 0), stops the liars, and
    fails unless the copy is the data and the honest seed on 127.0.0.1
    was never banned."""
    end = time.time() + timeout
    while time.time() < end and p.poll() is None:
        try:
            if nu.read_json(stats).get("complete"):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    rc = p.wait(30)
    for li in liars:
        li.stop()
    if rc != 0:
        nu.show_log(log_path)
        nu.fail("swarmplay exited with %s" % rc)
    diff = nu.same_tree(content, os.path.join(dst, os.path.basename(content)))
    if diff:
        nu.fail("the copy is not the data: %s" % diff)
    if "banned 127.0.0.1" in _text(log_path):
        nu.fail("the honest seed was banned")
