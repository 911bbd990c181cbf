"""net_liar.py - a tiny BitTorrent seeder that lies: it claims every piece,
unchokes at once and answers every request with the right length of
wrong bytes. For the corrupt-peer test: swarmplay must ban it and still
finish from the honest seeds. Plain sockets and threads; loopback only."""
import os, socket, struct, threading
import offline  # noqa: F401  (sets the no-outside-traffic environment)


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
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        self.stopped = True
        self.sock.close()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _read(c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _serve(self, c):
        try:
            hs = self._read(c, 68)
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
                (n,) = struct.unpack(">I", self._read(c, 4))
                if n == 0:
                    continue
                if n > 1 << 20:
                    return
                body = self._read(c, n)
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
