"""hostile_peers.py - the bad peers of tests/hostile as reusable loops, for
the hostile tests and bench/soak: each connects to a swarmplay on
127.0.0.1:port from src (any 127.0.0.x), misbehaves until stop is set, and
connects again whenever it is dropped, as an attacker would. Built on
wire_peer.Peer (plain sockets, loopback only).

  run(kind, port, info_hash, src, stop, counts)   in a thread of its own
  KINDS                                           the kinds, in a rotation order

kinds:
  meta-flood  ut_metadata requests at 2 000/s with a 4 KiB receive window,
              never reading after the extended handshake (x530 amplification)
  choked      REQUESTs at 2 000/s, never reading (each answer a REJECT or
              a 16 KiB block)
  squat       HAVE_NONE, then a keep-alive every 2 s; never interested
  toggle      HAVE_ALL and HAVE_NONE alternately, as fast as it can
  junk        HAVE_ALL, then PIECE and ut_metadata data nobody asked for

counts (a dict, updated in place): "connections" answered by a handshake,
"sent" messages sent, "dropped" connections the other side closed (or
refused), "alive" connections open now.
"""
import os, socket, struct, time

import wire_peer as wp

KINDS = ("meta-flood", "choked", "squat", "toggle", "junk")
RATE = 2000  # requests per second of the flooders


def _count(counts, key, n=1):
    counts[key] = counts.get(key, 0) + n


def _flood_batch(p, kind):
    """One 10 ms batch of RATE/s requests (two pieces, alternately)."""
    n = RATE // 100 // 2
    if kind == "meta-flood":
        p.ext_handshake({"ut_metadata": 3})
        their = p.their_ext_id("ut_metadata")  # the last read
        return (wp.Peer.meta_request_bytes(their, 0) + wp.Peer.meta_request_bytes(their, 1)) * n
    req = b"".join(struct.pack(">IBIII", 13, wp.REQUEST, i, 0, 16384) for i in range(2))
    return req * n


def _flood(p, kind, stop, counts):
    batch = _flood_batch(p, kind)
    p.sock.settimeout(0.2)
    while not stop.is_set():
        t0 = time.time()
        try:
            p.sock.sendall(batch)
            _count(counts, "sent", RATE // 100)
        except socket.timeout:
            pass  # it stopped reading us: back-pressure
        time.sleep(max(0, 0.01 - (time.time() - t0)))


def _squat(p, stop, counts):
    p.send(wp.HAVE_NONE)
    p.sock.settimeout(0.5)
    last = 0
    while not stop.is_set():
        if time.time() - last > 2:
            p.keepalive()
            _count(counts, "sent")
            last = time.time()
        try:
            if not p.sock.recv(65536):
                raise EOFError  # dropped
        except socket.timeout:
            pass


def _toggle(p, stop, counts):
    pair = (struct.pack(">IB", 1, wp.HAVE_ALL) + struct.pack(">IB", 1, wp.HAVE_NONE)) * 512
    p.sock.settimeout(1)
    while not stop.is_set():
        try:
            p.sock.sendall(pair)
            _count(counts, "sent", 1024)
        except socket.timeout:
            pass


def _junk(p, stop, counts):
    p.send(wp.HAVE_ALL)
    p.ext_handshake({"ut_metadata": 3})
    their = p.their_ext_id("ut_metadata")
    p.sock.settimeout(1)
    i = 0
    while not stop.is_set():
        # a block of random bytes for a piece never requested, then a
        # ut_metadata "data" message for a request never made
        p.send(wp.PIECE, struct.pack(">II", i % 4, 0) + os.urandom(16384))
        if their:
            p.ext(their, wp.bencode({"msg_type": 1, "piece": 0, "total_size": 16384}) +
                  os.urandom(16384))
        _count(counts, "sent", 2)
        i += 1
        time.sleep(0.05)


def run(kind, port, info_hash, src, stop, counts):
    """Misbehave as kind against 127.0.0.1:port until stop (a
    threading.Event) is set, reconnecting whenever dropped."""
    while not stop.is_set():
        p, live = None, False
        try:
            p = wp.Peer(port, info_hash, src=src, timeout=5,
                        rcvbuf=4096 if kind in ("meta-flood", "choked") else None)
            p.handshake()
            _count(counts, "connections")
            _count(counts, "alive")
            live = True
            if kind in ("meta-flood", "choked"):
                _flood(p, kind, stop, counts)
            elif kind == "squat":
                _squat(p, stop, counts)
            elif kind == "toggle":
                _toggle(p, stop, counts)
            elif kind == "junk":
                _junk(p, stop, counts)
            else:
                raise ValueError(kind)
        except (OSError, EOFError):
            _count(counts, "dropped")  # dropped (or refused): come again
        finally:
            if live:
                _count(counts, "alive", -1)
            if p:
                p.close()
        stop.wait(0.2)
