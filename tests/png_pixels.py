#!/usr/bin/env python3
"""Counts the non-white and the red pixels of a PNG, decoded with zlib only
(8-bit greyscale, RGB or RGBA, not interlaced: what Chromium's screenshots
are).  Exits 1 if there are fewer than --min-dark non-white pixels or fewer
than --min-red red ones.

Usage: png_pixels.py FILE [--min-dark N] [--min-red N]
"""
import argparse
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError("bad CRC in chunk %r" % kind)
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = hdr
    channels = {0: 1, 2: 3, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError("unsupported PNG: depth %d color %d interlace %d" % (depth, color, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev, off = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
            elif ftype != 0:
                raise ValueError("bad filter %d" % ftype)
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("png")
    ap.add_argument("--min-dark", type=int, default=1000)
    ap.add_argument("--min-red", type=int, default=0)
    args = ap.parse_args()
    width, height, channels, rows = decode(args.png)
    dark = red = 0
    for row in rows:
        for x in range(width):
            px = row[x * channels:x * channels + channels]
            r, g, b = (px[0], px[0], px[0]) if channels == 1 else (px[0], px[1], px[2])
            if min(r, g, b) < 235:
                dark += 1
            if r > 150 and g < 110 and b < 110:
                red += 1
    print("%s: %dx%d, %d non-white pixels, %d red" % (args.png, width, height, dark, red))
    if dark < args.min_dark or red < args.min_red:
        print("too blank: want at least %d non-white and %d red pixels" % (args.min_dark, args.min_red))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
