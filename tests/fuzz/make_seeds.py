#!/usr/bin/env python3
"""make_seeds.py - writes the hand-made seeds of the peer and network fuzz
targets into tests/fuzz/corpus (run once; the output is checked in).

Each seed is a well-formed example of what the target parses, so the
fuzzer starts from the interesting paths instead of finding the framing
by chance. Layouts follow each target's header comment."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus')


def benc(v):
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, list):
        return b'l' + b''.join(benc(x) for x in v) + b'e'
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b'd' + b''.join(benc(k) + benc(x) for k, x in items) + b'e'
    raise TypeError(v)


def msg(mid, payload=b''):
    return struct.pack('>IB', len(payload) + 1, mid) + payload


def wire():
    hs = b'\x13BitTorrent protocol' + b'\0\0\0\0\0\x10\0\x05' + b'I' * 20 + b'P' * 20
    body = b''.join([
        msg(5, b'\xff\xc0'),  # bitfield, 10 pieces
        msg(4, struct.pack('>I', 3)),
        msg(2), msg(1),
        msg(6, struct.pack('>III', 1, 0, 16384)),
        msg(7, struct.pack('>II', 1, 0) + b'data' * 4),
        msg(8, struct.pack('>III', 1, 16384, 16384)),
        msg(9, struct.pack('>H', 6881)),
        msg(13, struct.pack('>I', 2)), msg(14), msg(15),
        msg(16, struct.pack('>III', 2, 0, 16384)),
        msg(17, struct.pack('>I', 7)),
        msg(20, b'\0' + benc({'m': {'ut_metadata': 1, 'ut_pex': 2}, 'v': 'x'})),
        b'\0\0\0\0',  # keep-alive
        msg(42, b'unknown'),
        msg(0), msg(3),
    ])
    # byte 0: 0x80 handshake first, 10 pieces; bytes 1..4: chunk sizes
    return {
        'wire-session.bin': bytes([0x80 | 10, 0, 6, 2, 200]) + hs + body,
        'wire-magnet.bin': bytes([0, 3, 3, 3, 3]) + msg(5, b'\x01' * 40) + msg(20, b'\x01d1:ai1ee'),
    }


def ext():
    ip = lambda a, b, c, d, port: bytes([a, b, c, d]) + struct.pack('>H', port)
    return {
        'ext-handshake.bencode': benc({'m': {'ut_metadata': 3, 'ut_pex': 1, 'lt_donthave': 7},
                                       'metadata_size': 31235, 'p': 6881, 'reqq': 250,
                                       'v': 'qBittorrent/4.5.2', 'yourip': b'\x7f\0\0\1'}),
        'ext-pex.bencode': benc({'added': ip(10, 0, 0, 1, 6881) + ip(0, 0, 0, 0, 1) +
                                 ip(192, 168, 1, 2, 0) + ip(8, 8, 4, 4, 51413),
                                 'added.f': b'\x02\x00\x00\x10', 'dropped': b''}),
        'ext-meta-data.bin': benc({'msg_type': 1, 'piece': 0, 'total_size': 40}) + b'd4:name4:testee' * 2 + b'0123456789',
        'ext-meta-request.bencode': benc({'msg_type': 0, 'piece': 2}),
        'ext-meta-reject.bencode': benc({'msg_type': 2, 'piece': 1}),
        # sp_playpos (issue 10): where a swarmplay viewer plays
        'playpos.bencode': benc({'p': 12, 'r': 400000}),
        'playpos-starting.bencode': benc({'p': 0, 'r': 400000, 'w': 1}),
    }


def krpc():
    nid = bytes(range(20))
    ih = b'\xaa' * 20
    node = lambda i, port: bytes([i]) * 20 + bytes([10, 0, 0, i]) + struct.pack('>H', port)
    return {
        'krpc-ping.bencode': benc({'a': {'id': nid}, 'q': 'ping', 't': b'aa', 'y': 'q'}),
        'krpc-find-node.bencode': benc({'a': {'id': nid, 'target': ih}, 'q': 'find_node',
                                        't': b'\x00\x01', 'y': 'q'}),
        'krpc-get-peers.bencode': benc({'a': {'id': nid, 'info_hash': ih}, 'q': 'get_peers',
                                        't': b'\x01\x02', 'y': 'q'}),
        'krpc-announce.bencode': benc({'a': {'id': nid, 'implied_port': 1, 'info_hash': ih,
                                             'port': 6881, 'token': b'12345678'},
                                       'q': 'announce_peer', 't': b'\x02\x03', 'y': 'q'}),
        'krpc-values.bencode': benc({'ip': b'\x7f\0\0\1\x1a\xe1',
                                     'r': {'id': nid, 'token': b'tok',
                                           'values': [b'\x0a\0\0\x01\x1a\xe1', b'\x0a\0\0\x02\x1a\xe2', b'bad']},
                                     't': b'\x01\x00', 'y': 'r'}),
        'krpc-nodes.bencode': benc({'r': {'id': nid, 'nodes': node(1, 6881) + node(2, 0) + b'tail'},
                                    't': b'\x00\x00', 'y': 'r'}),
        'krpc-error.bencode': benc({'e': [201, 'A Generic Error Ocurred'], 't': b'aa', 'y': 'e'}),
    }


def webseed():
    # byte 0: status (bits 1..3: 200 206 404 410 416 503 500 302) and BEP 17
    # (bit 0); bytes 1..12: the request; then a header line or a body
    req = struct.pack('>IBIII', 1000, 0, 16384, 16383, 0)[:12]
    return {
        'webseed-206.bin': bytes([1 << 1]) + req + b'Content-Range: bytes 16384-32767/256000\r\n',
        'webseed-206-star.bin': bytes([1 << 1]) + req + b'content-range:\tbytes 0-99/*  \r\n',
        'webseed-503.bin': bytes([5 << 1 | 1]) + req + b' 120',
        'webseed-status.bin': bytes([0]) + req + b'HTTP/1.1 200 OK\r\n',
        # regression: control bytes reached the "answered another range" message
        'webseed-control.bin': bytes([1 << 1]) + req + b'Content-Range: bytes 1-2/3\x1b[2J\x07\r\n',
    }


def mse():
    # byte 0: bit 0 raw, bit 1 known torrent, bit 2 bad VC; then len(PadA),
    # crypto_provide, len(PadC), len(IA), 4 chunk sizes; then pads, IA, rest
    def peer(flags, pada, provide, padc, ia, rest):
        head = struct.pack('>BHIHH', flags, pada, provide, padc, len(ia)) + bytes([0, 3, 12, 255])
        return head + b'p' * pada + b'c' * padc + ia + rest
    hs = b'\x13BitTorrent protocol' + bytes(8) + b'known info hash 0123' + b'P' * 20
    return {
        'mse-plain.bin': peer(2, 31, 3, 5, hs, struct.pack('>IB', 1, 2)),
        'mse-rc4.bin': peer(2, 0, 2, 0, hs, struct.pack('>IB', 1, 1) + b'\0\0\0\0'),
        'mse-unknown.bin': peer(0, 512, 3, 0, hs, b''),
        'mse-out-plain.bin': peer(8, 20, 1, 3, hs, b'\0\0\0\x01\x02'),
        'mse-out-rc4.bin': peer(8, 0, 2, 0, hs, b'\0\0\0\x01\x01'),
        'mse-raw.bin': bytes([1, 0, 1, 2, 3]) + bytes(range(96)) + b'pad' * 40,
    }


def http():
    """fuzz_http: 8 bytes of file size, a request target, a newline, a
    header value (tried as Range and as Authorization)."""
    size = struct.pack('>Q', 1000000)
    h = '0123456789abcdef0123456789abcdef01234567'
    return {
        'http-file.bin': size + b'/' + h.encode() + b'/0/clip%20one.mp4?token=abc\nbytes=0-',
        'http-suffix.bin': size + b'/' + h.encode() + b'.m3u\nbytes=-500',
        'http-index.bin': size + b'/?format=json&token=x+y\nBearer abc',
        'http-trick.bin': size + b'/%2e%2e/' + h.encode() + b'/1/a\nbytes=5-1,7-9',
    }


def issue11():
    """resume (flags, pieces, files, text), lsd, banlist, dht_state,
    meta_asm and storage: layouts in each target's header comment."""
    import hashlib
    ih = '0123456789abcdef0123456789abcdef01234567'
    body = ('swarmplay-resume 1\ninfohash %s\npieces 12\nhave a5f0\nfiles 2\n'
            'f 100 5 6\nf -1 0 0\n' % ih).encode()
    sealed = body + b'sha1 ' + hashlib.sha1(body).hexdigest().encode() + b'\n'
    lsd = (b'BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n'
           b'Infohash: ' + ih.encode() + b'\r\ncookie: c00k1e\r\n\r\n\r\n')
    v4 = bytes(10) + b'\xff\xff\x0a\x00\x00\x01'
    v6 = bytes.fromhex('20010db8000100020000000000000001')
    v6b = bytes.fromhex('20010db80001000200000000000000ff')
    ban = b''.join([b'\x00' + v4, b'\x01' + v4, b'\x00' + v6, b'\x00' + v6b, b'\x01' + v6,
                    b'\x02' + bytes(16)])
    node = b'N' * 20 + bytes([10, 0, 0, 1]) + struct.pack('>H', 6881)
    node6 = b'S' * 20 + bytes.fromhex('20010db8000000000000000000000001') + struct.pack('>H', 6881)
    dht = benc({'id': b'I' * 20, 'nodes': node + b'M' * 20 + bytes([10, 0, 0, 2, 0x1a, 0xe1]),
                'nodes6': node6 + b'T' * 20 + bytes(15) + b'\x01' + struct.pack('>H', 1)})
    # meta_asm: size bytes, then (op, host, arg): host 0 asks and answers
    # truly, host 1 asks and answers junk, then a mixed round
    meta = b'\x12\x34' + bytes([0, 1, 0, 0x81, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1,
                                 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 3, 0, 200])
    store = b''.join(struct.pack('>BBHH', op, p, off, ln) for op, p, off, ln in [
        (0, 0, 0, 8192), (0, 0, 8192, 8192), (4, 1, 0, 16384), (1, 2, 0, 16384),
        (4, 2, 100, 50), (0, 3, 0, 1000), (2, 1, 0, 0), (4, 3, 0, 1000), (0, 9, 0, 10)])
    return {
        'resume-sealed.bin': b'\x01\x0c\x02' + sealed,
        'resume-tail.bin': b'\x01\x0c\x02' + sealed.replace(b'have a5f0\n', b'') +
        b'have f',
        'lsd-announce.bin': lsd,
        'banlist-ops.bin': ban,
        'dht-state.bencode': dht,
        'meta-asm-ops.bin': meta,
        'storage-ops.bin': store,
    }


def url():
    """issue 15: a server's answer to play (a Content-Type line, then the
    body) and a file: URI."""
    return {
        'url-answer.bin': b'application/x-bittorrent\n' + benc({b'announce': b'x:y',
                                                                b'info': {b'name': b'a'}}),
        'url-html.bin': b'text/html; charset=utf-8\n<!DOCTYPE html><html></html>',
        'url-file.bin': b'file://localhost/a%20b.tstream',
    }


def main():
    seeds = {}
    seeds.update(issue11())
    seeds.update(http())
    seeds.update(wire())
    seeds.update(ext())
    seeds.update(krpc())
    seeds.update(webseed())
    seeds.update(mse())
    seeds.update(url())
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
