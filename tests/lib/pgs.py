"""pgs.py - a small PGS (.sup) writer for tests: boxes of one flat
colour shown and cleared at given times (tests/player/bitmap-subs.py,
tests/lib12/sub-draw.py); ffmpeg muxes the .sup into Matroska."""
import struct


def seg(t_ms, kind, data):
    return b"PG" + struct.pack(">IIBH", t_ms * 90, 0, kind, len(data)) + data


def rle_line(row):
    out, i = bytearray(), 0
    while i < len(row):
        c, n = row[i], 1
        while i + n < len(row) and row[i + n] == c and n < 16383:
            n += 1
        if c == 0:
            out += bytes([0, n]) if n < 64 else bytes([0, 0x40 | (n >> 8), n & 255])
        elif n < 3:
            out += bytes([c]) * n
        elif n < 64:
            out += bytes([0, 0x80 | n, c])
        else:
            out += bytes([0, 0xC0 | (n >> 8), n & 255, c])
        i += n
    return bytes(out) + b"\0\0"


def show(t_ms, box, ycrcb, number, canvas):
    """A box of one flat colour (Y, Cr, Cb) on a canvas (w, h) from t_ms."""
    x, y, w, h = box
    pcs = struct.pack(">HHBHBBBB", canvas[0], canvas[1], 0x10, number, 0x80, 0, 0, 1)
    pcs += struct.pack(">HBBHH", 0, 0, 0, x, y)
    wds = struct.pack(">BBHHHH", 1, 0, x, y, w, h)
    pds = struct.pack(">BB", 0, 0) + bytes([1]) + bytes(ycrcb) + bytes([255])
    rle = b"".join(rle_line([1] * w) for _ in range(h))
    ods = struct.pack(">HBB", 0, 0, 0xC0) + (len(rle) + 4).to_bytes(3, "big")
    ods += struct.pack(">HH", w, h) + rle
    return (seg(t_ms, 0x16, pcs) + seg(t_ms, 0x17, wds) + seg(t_ms, 0x14, pds) +
            seg(t_ms, 0x15, ods) + seg(t_ms, 0x80, b""))


def clear(t_ms, box, number, canvas):
    """The box cleared from t_ms."""
    pcs = struct.pack(">HHBHBBBB", canvas[0], canvas[1], 0x10, number, 0x00, 0, 0, 0)
    wds = struct.pack(">BBHHHH", 1, 0, *box)
    return seg(t_ms, 0x16, pcs) + seg(t_ms, 0x17, wds) + seg(t_ms, 0x80, b"")
