#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: fuzz/corpus/<target>/.

Small valid inputs (so the fuzzer starts deep inside each parser) and a few
near-valid ones (one thing wrong each). Plain python3, standard library only;
deterministic, so rerunning it reproduces the committed files. The binary
seeds (PNG, BMP, JPEG, safetensors) are encoded here by hand.

Targets that read several files take one input split at lines "%%" (see
fuzz/fuzz_util.h); SEP joins those sections here.

Usage: python3 fuzz/make_corpus.py   (rewrites fuzz/corpus/; never touches fuzz/regressions/)
"""
import json
import math
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SEP = "\n%%\n"
MAX_SEED_BYTES = 20 * 1024


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < MAX_SEED_BYTES, (target, name, len(data))
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def pattern(w, h, c, maximum=255, seed=0):
    """Deterministic pixels (rows of c-tuples): a gradient with some texture."""
    return [[tuple((x * 37 + y * 11 + k * 90 + seed + (x * y) % 7 * 20) % 400 * (maximum + 1) // 400
                   for k in range(c)) for x in range(w)] for y in range(h)]


# ---- PNG -------------------------------------------------------------------

def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)


def png_filter_rows(rows, bpp):
    """Each row with a filter byte, cycling through the five filter types."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        f = i % 5
        line = bytearray()
        for j, v in enumerate(row):
            a = row[j - bpp] if j >= bpp else 0
            b = prev[j]
            c = prev[j - bpp] if j >= bpp else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line.append((v - p) & 0xff)
        out.append(f)
        out += line
        prev = row
    return bytes(out)


def png_raw_row(pixels_row, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", v) for px in pixels_row for v in px)
    if depth == 8:
        return bytes(v for px in pixels_row for v in px)
    # 1, 2 or 4 bits per sample, one sample per pixel (gray or palette index)
    bits, acc, n = bytearray(), 0, 0
    for px in pixels_row:
        acc = (acc << depth) | px[0]
        n += depth
        if n == 8:
            bits.append(acc)
            acc, n = 0, 0
    if n:
        bits.append(acc << (8 - n))
    return bytes(bits)


def png(w, h, color_type, depth, pixels, palette=None, interlace=False, extra_chunks=()):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = max(1, channels * depth // 8)
    if interlace:  # Adam7: the seven passes, each filtered on its own
        data = b""
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                               (0, 1, 1, 2)):
            sub = [[pixels[y][x] for x in range(x0, w, dx)] for y in range(y0, h, dy)]
            if sub and sub[0]:
                data += png_filter_rows([png_raw_row(r, depth) for r in sub], bpp)
    else:
        data = png_filter_rows([png_raw_row(r, depth) for r in pixels], bpp)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette:
        out += png_chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    for kind, body in extra_chunks:
        out += png_chunk(kind, body)
    out += png_chunk(b"IDAT", zlib.compress(data, 9))
    out += png_chunk(b"IEND", b"")
    return out


# ---- BMP -------------------------------------------------------------------

def bmp(w, h, bits, pixels, palette=None, top_down=False):
    """BITMAPINFOHEADER, uncompressed (BI_RGB); rows padded to 4 bytes, bottom-up unless top_down."""
    rows = []
    order = range(h) if top_down else range(h - 1, -1, -1)
    for y in order:
        if bits == 8:
            row = bytes(pixels[y][x][0] for x in range(w))
        elif bits == 24:
            row = b"".join(bytes((b, g, r)) for r, g, b in pixels[y])
        else:  # 32: BGRA
            row = b"".join(bytes((b, g, r, a)) for r, g, b, a in pixels[y])
        rows.append(row + bytes((-len(row)) % 4))
    image = b"".join(rows)
    pal = b"".join(bytes((b, g, r, 0)) for r, g, b in palette) if palette else b""
    offset = 14 + 40 + len(pal)
    header = b"BM" + struct.pack("<IHHI", offset + len(image), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bits, 0, len(image), 2835, 2835,
                       len(palette) if palette else 0, 0)
    return header + info + pal + image


# ---- JPEG (baseline, Huffman tables built for the image) ---------------------

ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
          14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
          53, 60, 61, 54, 47, 55, 62, 63]


def fdct(block):
    out = [0.0] * 64
    for v in range(8):
        for u in range(8):
            s = 0.0
            for y in range(8):
                for x in range(8):
                    s += block[y * 8 + x] * math.cos((2 * x + 1) * u * math.pi / 16) * math.cos(
                        (2 * y + 1) * v * math.pi / 16)
            cu = 1 / math.sqrt(2) if u == 0 else 1
            cv = 1 / math.sqrt(2) if v == 0 else 1
            out[v * 8 + u] = 0.25 * cu * cv * s
    return out


def category(v):
    return 0 if v == 0 else abs(v).bit_length()


def extra_bits(v, s):
    return v if v >= 0 else v + (1 << s) - 1


def jpeg(w, h, planes, sampling, quality_step=4, restart_interval=0):
    """planes: per component, rows of 0..255 values at full size; sampling: (H, V) per component."""
    hmax, vmax = max(s[0] for s in sampling), max(s[1] for s in sampling)
    mcus_x, mcus_y = -(-w // (8 * hmax)), -(-h // (8 * vmax))
    quant = [quality_step] * 64

    def sample(ci, bx, by):  # one 8x8 block of component ci (downsampled by averaging)
        fx, fy = hmax // sampling[ci][0], vmax // sampling[ci][1]
        block = []
        for y in range(8):
            for x in range(8):
                acc = 0
                for yy in range(fy):
                    for xx in range(fx):
                        px = min(w - 1, (bx * 8 + x) * fx + xx)
                        py = min(h - 1, (by * 8 + y) * fy + yy)
                        acc += planes[ci][py][px]
                block.append(acc / (fx * fy) - 128)
        return block

    # Symbols per MCU (first pass), in stream order.
    units = []  # (mcu index, component, dc symbol, dc bits, [(ac symbol, bits, size)])
    pred = [0] * len(planes)
    mcu_index = 0
    for my in range(mcus_y):
        for mx in range(mcus_x):
            if restart_interval and mcu_index % restart_interval == 0:
                pred = [0] * len(planes)
            for ci, (hs, vs) in enumerate(sampling):
                for v in range(vs):
                    for u in range(hs):
                        coef = fdct(sample(ci, mx * hs + u, my * vs + v))
                        q = [int(round(coef[ZIGZAG[k]] / quant[ZIGZAG[k]])) for k in range(64)]
                        diff = q[0] - pred[ci]
                        pred[ci] = q[0]
                        ac, run = [], 0
                        last = max([k for k in range(1, 64) if q[k]] or [0])
                        for k in range(1, last + 1):
                            if q[k] == 0:
                                run += 1
                                continue
                            while run > 15:
                                ac.append((0xF0, 0, 0))
                                run -= 16
                            s = category(q[k])
                            ac.append(((run << 4) | s, extra_bits(q[k], s), s))
                            run = 0
                        if last < 63:
                            ac.append((0x00, 0, 0))
                        units.append((mcu_index, ci, category(diff), extra_bits(diff, category(diff)), ac))
            mcu_index += 1

    def table(symbols):  # all codes of one length, leaving the all-ones code unused
        symbols = sorted(set(symbols))
        length = max(1, (len(symbols)).bit_length())
        return length, {s: (i, length) for i, s in enumerate(symbols)}

    dc_len, dc_codes = table(u[2] for u in units)
    ac_len, ac_codes = table(a[0] for u in units for a in u[4])

    bits = []

    def put(value, n):
        bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    data = bytearray()

    def flush():
        while len(bits) % 8:
            bits.append(1)
        for i in range(0, len(bits), 8):
            byte = int("".join(map(str, bits[i:i + 8])), 2)
            data.append(byte)
            if byte == 0xFF:
                data.append(0)
        bits.clear()

    current, restarts = 0, 0
    for mcu, ci, dcs, dcb, ac in units:
        if restart_interval and mcu != current and mcu % restart_interval == 0:
            flush()
            data += bytes((0xFF, 0xD0 + restarts % 8))
            restarts += 1
        current = mcu
        put(*dc_codes[dcs])
        if dcs:
            put(dcb, dcs)
        for sym, b, s in ac:
            put(*ac_codes[sym])
            if s:
                put(b, s)
    flush()

    def segment(marker, body):
        return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body

    def dht(cls, ident, length, codes):
        counts = [0] * 16
        counts[length - 1] = len(codes)
        return bytes([(cls << 4) | ident]) + bytes(counts) + bytes(sorted(codes))

    n = len(planes)
    out = b"\xFF\xD8"
    out += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += segment(0xDB, b"\x00" + bytes(quant[ZIGZAG[k]] for k in range(64)))
    out += segment(0xC0, struct.pack(">BHHB", 8, h, w, n) +
                   b"".join(bytes((i + 1, (s[0] << 4) | s[1], 0)) for i, s in enumerate(sampling)))
    out += segment(0xC4, dht(0, 0, dc_len, dc_codes) + dht(1, 0, ac_len, ac_codes))
    if restart_interval:
        out += segment(0xDD, struct.pack(">H", restart_interval))
    out += segment(0xDA, bytes([n]) + b"".join(bytes((i + 1, 0x00)) for i in range(n)) + b"\x00\x3f\x00")
    return out + bytes(data) + b"\xFF\xD9"


# ---- safetensors -------------------------------------------------------------

def safetensors(tensors, metadata=None, checksum=True, pad=True):
    """tensors: [(name, dtype, shape, raw bytes)]."""
    data = b"".join(t[3] for t in tensors)
    header = {}
    meta = dict(metadata or {})
    if checksum:
        meta["heatmark.data_crc32"] = "%08x" % (zlib.crc32(data) & 0xffffffff)
    if meta:
        header["__metadata__"] = meta
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    if pad:
        text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


def header_checked(tensors, metadata):
    """A file with heatmark's header checksum: the CRC-32 of the header bytes
    with the checksum's own value written as 00000000."""
    placeholder = safetensors(tensors, dict(metadata, **{"heatmark.header_crc32": "00000000"}))
    length = struct.unpack("<Q", placeholder[:8])[0]
    header = placeholder[8:8 + length]
    entry = b'"heatmark.header_crc32":"%s"'
    header = header.replace(entry % b"00000000", entry % (b"%08x" % (zlib.crc32(header) & 0xffffffff)))
    return placeholder[:8] + header + placeholder[8 + length:]


def floats(fmt, values):
    return b"".join(struct.pack("<" + fmt, v) for v in values)


def make_safetensors():
    t = "fuzz_safetensors"
    f32 = floats("f", [0.5, -1.25, 3.0, 1e-3, 0.0, -0.0])
    write(t, "f32_checksum.safetensors",
          safetensors([("conv.weight", "F32", [2, 3], f32), ("conv.bias", "F32", [2], floats("f", [1.0, 2.0]))],
                      {"format": "pt", "heatmark.model": "{\"name\":\"hrnet_w18_small\"}"}))
    write(t, "mixed_dtypes.safetensors",
          safetensors([("a", "F16", [2, 2], floats("e", [1.0, -2.0, 65504.0, 6e-8])),
                       ("b", "BF16", [3], struct.pack("<3H", 0x3F80, 0xC000, 0x7F80)),
                       ("c", "F64", [1, 2], floats("d", [3.141592653589793, -1e300])),
                       ("d", "I64", [2], struct.pack("<2q", 7, -7)),
                       ("e", "U8", [4], b"\x00\x01\xfe\xff"),
                       ("f", "BOOL", [1], b"\x01")], checksum=False))
    write(t, "empty_tensor.safetensors", safetensors([("empty", "F32", [0, 5], b""), ("scalar", "F32", [], f32[:4])]))
    write(t, "no_tensors.safetensors", safetensors([], {"only": "metadata"}))
    # near-valid: one thing wrong each
    good = safetensors([("w", "F32", [2], floats("f", [1.0, 2.0]))], checksum=False)
    write(t, "bad_offsets.safetensors",
          safetensors([("w", "F32", [2], floats("f", [1.0, 2.0]))], checksum=False).replace(b"[0,8]", b"[0,9]"))
    write(t, "bad_checksum.safetensors", safetensors([("w", "F32", [2], floats("f", [1.0, 2.0]))])[:-1] + b"\x01")
    write(t, "header_too_long.safetensors", struct.pack("<Q", 1 << 40) + good[8:])
    # the header checksum (tensor/safetensors.h): as written, and with the metadata edited afterwards
    checked = header_checked([("w", "F32", [2], floats("f", [1.0, 2.0]))], {"heatmark.config": '{"input_size":256}'})
    write(t, "header_checked.safetensors", checked)
    write(t, "header_edited.safetensors", checked.replace(b'input_size\\":256', b'input_size\\":288'))
    write(t, "gap.safetensors", safetensors([("a", "F32", [1], floats("f", [1.0])), ("b", "F32", [1], b"")],
                                            checksum=False, pad=False) + b"\0\0\0\0")


def make_images():
    t = "fuzz_image"
    write(t, "gray8.png", png(7, 5, 0, 8, pattern(7, 5, 1)))
    write(t, "rgb8.png", png(6, 4, 2, 8, pattern(6, 4, 3)))
    write(t, "gray16.png", png(5, 3, 0, 16, pattern(5, 3, 1, 65535)))
    write(t, "rgb16.png", png(3, 3, 2, 16, pattern(3, 3, 3, 65535)))
    write(t, "gray_alpha.png", png(4, 4, 4, 8, pattern(4, 4, 2)))
    write(t, "rgba.png", png(4, 3, 6, 8, pattern(4, 3, 4)))
    write(t, "palette4.png", png(9, 3, 3, 4, pattern(9, 3, 1, 3),
                                 palette=[(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)],
                                 extra_chunks=[(b"tRNS", b"\xff\x80")]))
    write(t, "gray1.png", png(10, 2, 0, 1, pattern(10, 2, 1, 1)))
    write(t, "adam7.png", png(9, 9, 0, 8, pattern(9, 9, 1), interlace=True))
    # Large enough for the shrunk decode to span several blocks (fuzz_image shrinks by 6).
    write(t, "rgb16_adam7.png", png(23, 17, 2, 16, pattern(23, 17, 3, 65535), interlace=True))
    write(t, "gray_alpha16.png", png(20, 13, 4, 16, pattern(20, 13, 2, 65535)))
    write(t, "gray24.bmp", bmp(5, 3, 24, pattern(5, 3, 3)))
    write(t, "palette8.bmp", bmp(6, 2, 8, pattern(6, 2, 1, 3), palette=[(0, 0, 0), (90, 90, 90), (180, 180, 180),
                                                                            (255, 255, 255)]))
    write(t, "bgra32_topdown.bmp", bmp(3, 4, 32, pattern(3, 4, 4), top_down=True))
    gray = [[p[0] for p in row] for row in pattern(16, 12, 1)]
    write(t, "gray.jpg", jpeg(16, 12, [gray], [(1, 1)]))
    wide = [[p[0] for p in row] for row in pattern(40, 32, 1)]
    write(t, "gray_40x32.jpg", jpeg(40, 32, [wide], [(1, 1)]))
    rgb = pattern(16, 16, 3)
    ycc = [[[int(0.299 * r + 0.587 * g + 0.114 * b) for r, g, b in row] for row in rgb],
           [[int(128 - 0.1687 * r - 0.3313 * g + 0.5 * b) for r, g, b in row] for row in rgb],
           [[int(128 + 0.5 * r - 0.4187 * g - 0.0813 * b) for r, g, b in row] for row in rgb]]
    write(t, "ycc420.jpg", jpeg(16, 16, ycc, [(2, 2), (1, 1), (1, 1)]))
    write(t, "ycc444_restart.jpg", jpeg(16, 8, [p[:8] for p in ycc], [(1, 1)] * 3, restart_interval=1))
    # near-valid
    good = png(7, 5, 0, 8, pattern(7, 5, 1))
    write(t, "truncated.png", good[:len(good) - 20])
    write(t, "too_wide.png", png(30000, 1, 0, 1, [[(0,)] * 30000]))
    write(t, "too_many_pixels.bmp", bmp(1, 1, 24, [[(1, 2, 3)]])[:18] + struct.pack("<ii", 19000, 19000) +
          bmp(1, 1, 24, [[(1, 2, 3)]])[26:])
    write(t, "not_an_image.txt", "P5\n2 2\n255\n\x00\x01\x02\x03")


def make_folder_csv():
    t = "fuzz_folder_csv"
    header = "image,x1,y1,x2,y2,x3,y3\n"
    rows = "a.png,10.5,20,30,40.25,5,6\nb.png,1e1,2E-1,0,0,-3,7\n"
    write(t, "basic.csv", header + rows)
    write(t, "with_spacing.csv", header + rows + SEP + "image,mm_per_px_x,mm_per_px_y\na.png,0.1,0.1\nb.png,0.3,0.25\n")
    write(t, "with_names.csv",
          header + rows + SEP + "image,mm_per_px_x,mm_per_px_y\n" + SEP + "S\r\nN\r\nOr (orbitale)\n")
    write(t, "quoted_crlf.csv", '"image","x1","y1"\r\n"a.png"," 1.5 ",2\r\n  001.bmp , 3,4\r\n\r\n')
    write(t, "quotes_inside.csv", 'image,x1,y1\n"a.png",1,2\n"b""q"".png",3,4\n')
    # near-valid
    write(t, "wrong_columns.csv", header + "a.png,1,2,3,4,5\n")
    write(t, "not_a_number.csv", "image,x1,y1\na.png,abc,2\n")
    write(t, "nan.csv", "image,x1,y1\na.png,nan,inf\n")
    write(t, "unterminated_quote.csv", 'image,x1,y1\n"a.png,1,2\n')
    write(t, "missing_image.csv", "image,x1,y1\nmissing.png,1,2\n")
    write(t, "names_mismatch.csv", header + rows + SEP + "image,mm_per_px_x,mm_per_px_y\na.png,0,1\n" + SEP + "S\n")
    # Text at the door (data/text.cpp): byte-order marks, quoted line breaks, bytes that are not
    # UTF-8, and image paths that leave the folder.
    bom = "\ufeff"
    write(t, "bom.csv", bom + header + rows + SEP + bom + "a.png,0.1,0.1\nb.png,0.3,0.25\n" + SEP +
          bom + "S\u00e9lla\r\nN\r\nOr\n")
    write(t, "spacing_no_header.csv", header + rows + SEP + "a.png,0.1,0.1\n./b.png,0.3,0.25\n")
    write(t, "quoted_line_break.csv", 'image,x1,y1\n"a\n.png",1,2\n"b.png","1\r\n",2\n')
    write(t, "latin1_name.csv", b"image,x1,y1\na.png,1,2\nM\xe9nton.png,1,2\n")
    write(t, "latin1_names.csv", (header + rows + SEP + SEP).encode() + b"S\xe9lla\nN\nOr\n")
    write(t, "utf16_bom.csv", (bom + "image,x1,y1\na.png,1,2\n").encode("utf-16-le"))
    write(t, "outside.csv", "image,x1,y1\n../folder/a.png,1,2\n../../b.png,3,4\n/etc/passwd,5,6\n")


def isbi_txt(offset=0, labels=False, sep=",", crlf=False):
    lines = ["%d%s%d" % (100 + 7 * i + offset, sep, 200 + 13 * i - offset) for i in range(19)]
    if labels:
        lines += [str(i % 4 + 1) for i in range(8)]
    end = "\r\n" if crlf else "\n"
    return end.join(lines) + end


def make_isbi():
    t = "fuzz_isbi"
    write(t, "19_lines.txt", isbi_txt())
    write(t, "27_lines_crlf.txt", isbi_txt(5, labels=True, crlf=True) + "\r\n\r\n")
    decimals = isbi_txt().split("\n")
    decimals[0] = "  10.5 , 20.25 "
    decimals[3] = "-1.5e2,3"
    write(t, "decimals_spaces.txt", "\n".join(decimals))
    write(t, "two_annotators.txt", isbi_txt(0, labels=True) + SEP + isbi_txt(4))
    # near-valid
    write(t, "18_lines.txt", "\n".join(isbi_txt().split("\n")[:18]))
    write(t, "semicolon.txt", isbi_txt(sep=";"))
    write(t, "bad_label.txt", isbi_txt(labels=True).replace("\n3\n", "\nx\n"))
    write(t, "two_annotators_mismatch.txt", isbi_txt() + SEP + isbi_txt()[:40])
    write(t, "bom.txt", "\ufeff" + isbi_txt(crlf=True) + SEP + "\ufeff" + isbi_txt(3))
    write(t, "latin1.txt", isbi_txt().replace("\n", " \xb5m\n", 1).encode("latin-1"))
    write(t, "utf16_bom.txt", ("\ufeff" + isbi_txt()).encode("utf-16-be"))


def aariz_json(points, indent=None):
    return json.dumps({"ceph_id": "001", "landmarks": [
        {"landmark_id": i + 1, "title": "title of " + s, "symbol": s, "value": {"x": x, "y": y}}
        for i, (s, x, y) in enumerate(points)]}, indent=indent)


def make_aariz():
    t = "fuzz_aariz"
    pts = [("S", 100, 200), ("N", 300.5, 180.25), ("Or", 280, 260), ("Me", 250, 600)]
    mappings = ("cephalogram_id,machine,pixel_size,image_format,mode\n"
                "001,Planmeca,0.127,PNG,ceph\n002,Carestream,0.1,PNG,ceph\n")
    write(t, "senior_only.json", aariz_json(pts, indent=2))
    write(t, "senior_junior.json", aariz_json(pts) + SEP + aariz_json([(s, x + 2, y - 2) for s, x, y in reversed(pts)]))
    write(t, "two_images_mappings.json",
          aariz_json(pts) + SEP + SEP + aariz_json(pts[::-1], indent=1) + SEP + mappings)
    write(t, "junior_only.json", SEP + aariz_json(pts[:2]))
    # near-valid
    write(t, "duplicate_symbol.json", aariz_json(pts + [("S", 1, 2)]))
    write(t, "missing_symbol.json", aariz_json(pts) + SEP + aariz_json(pts[:3]))
    write(t, "string_coordinate.json", aariz_json(pts).replace("300.5", '"300.5"'))
    write(t, "bad_pixel_size.json", aariz_json(pts) + SEP + SEP + SEP + mappings.replace("0.127", "abc"))
    write(t, "no_landmarks.json", '{"landmarks": []}')
    write(t, "bom.json", "\ufeff" + aariz_json(pts) + SEP + "\ufeff" + aariz_json(pts[::-1]))
    write(t, "latin1_symbol.json", aariz_json([("S\xe9", 1, 2)], indent=1).replace("\\u00e9", "\xe9").encode("latin-1"))


def labelme_json(image, shapes, width=100, height=80):
    return json.dumps({"version": "5.2.1", "flags": {}, "shapes": shapes, "imagePath": image,
                       "imageData": None, "imageHeight": height, "imageWidth": width}, indent=1)


def lm_point(label, x, y, typed=True):
    shape = {"label": label, "points": [[x, y]], "group_id": None, "flags": {}}
    if typed:
        shape["shape_type"] = "point"
    return shape


def make_labelme():
    t = "fuzz_labelme"
    shapes = [lm_point("S", 10, 20), lm_point("N", 30.5, 40.25), lm_point("Me", 50, 60, typed=False),
              {"label": "box", "points": [[1, 2], [3, 4]], "shape_type": "rectangle"}]
    write(t, "one_file.json", labelme_json("a.png", shapes))
    write(t, "two_files.json", labelme_json("a.png", shapes) + SEP +
          labelme_json("b.png", [lm_point("Me", 1, 2), lm_point("N", 3, 4), lm_point("S", 5, 6)]))
    write(t, "windows_path.json", labelme_json("..\\labelme\\c.png", shapes[:2], width=0, height=0))
    # near-valid
    write(t, "out_of_bounds.json", labelme_json("a.png", [lm_point("S", 250, 20)]))
    write(t, "missing_label.json", labelme_json("a.png", shapes) + SEP + labelme_json("b.png", [lm_point("S", 1, 2)]))
    write(t, "missing_image.json", labelme_json("zzz.png", shapes))
    write(t, "duplicate_label.json", labelme_json("a.png", [lm_point("S", 1, 2), lm_point("S", 3, 4)]))
    write(t, "string_point.json", labelme_json("a.png", [lm_point("S", "1", 2)]))
    write(t, "bom.json", "\ufeff" + labelme_json("a.png", shapes))
    write(t, "latin1_label.json", labelme_json("a.png", [lm_point("S\xe9", 1, 2)]).replace("\\u00e9", "\xe9")
          .encode("latin-1"))
    write(t, "outside.json", labelme_json("../../a.png", shapes) + SEP + labelme_json("/etc/passwd", shapes))


def make_config():
    t = "fuzz_config"
    full = {"data": "data/isbi", "format": "auto", "images": "", "aariz_split": "", "landmarks": "1,2,S (sella)",
            "val_fraction": 0.2, "train_list": "", "val_list": "", "mm_per_px": 0.1, "stretch": False,
            "model": "hrnet_w18_small", "head": "simple", "pretrained": "", "input_size": 768, "sigma": 3.0,
            "beta": 20.0, "batch": 4, "epochs": 200, "patience": 30, "lr": 0.001, "weight_decay": 0.0,
            "max_grad_norm": 0.0, "schedule": "cosine", "warmup_epochs": 1.0, "step_epochs": 50, "step_gamma": 0.1,
            "heatmap_weight": 1.0, "coordinate_weight": 0.5,
            "augment": {"enabled": True, "rotation_degrees": 15.0, "scale_min": 0.9, "scale_max": 1.1,
                        "translate": 0.05, "flip": False, "brightness": 0.1, "contrast": 0.2, "gamma": 0.2,
                        "noise": 0.02},
            "seed": 0, "device": "cpu", "kernels": "handwritten", "threads": 0, "out": "runs/a", "max_steps": 0}
    write(t, "full.json", json.dumps(full, indent=2))
    write(t, "partial.json", '{"data": "d", "out": "o", "epochs": 5, "augment": {"flip": true}}')
    write(t, "step_schedule.json", '{"data":"d","out":"o","schedule":"step","step_epochs":10,"step_gamma":0.5,'
                                   '"train_list":"t.txt","val_list":"v.txt","seed":18446744073709551615}')
    # near-valid
    write(t, "unknown_field.json", '{"data": "d", "epoch": 5}')
    write(t, "wrong_type.json", '{"data": "d", "batch": "4"}')
    write(t, "out_of_range.json", '{"data": "d", "out": "o", "input_size": 100}')
    write(t, "augment_unknown.json", '{"augment": {"flip": true, "mirror": 1}}')
    write(t, "not_an_object.json", '[1, 2, 3]')
    # each number just past its documented range (docs/SETTINGS.md), and NaN-like text
    write(t, "warmup_huge.json", '{"data": "d", "out": "o", "warmup_epochs": 1e300}')
    write(t, "negative_max_steps.json", '{"data": "d", "out": "o", "max_steps": -1, "threads": -1}')
    write(t, "tiny_lr.json", '{"data": "d", "out": "o", "lr": 1e-300, "sigma": 1e-300, "beta": 1e39}')
    write(t, "outside_paths.json", '{"data": "d", "out": "o", "allow_outside_paths": true, "time_budget": "45m"}')
    write(t, "latin1_out.json", b'{"data": "d", "out": "caf\xe9"}')
    write(t, "bom.json", b'\xef\xbb\xbf{"data": "d", "out": "o"}')


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    make_safetensors()
    make_images()
    make_folder_csv()
    make_isbi()
    make_aariz()
    make_labelme()
    make_config()
    total = 0
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        total += size
        print("%-18s %3d seeds %7d bytes" % (target, len(files), size))
    print("%-18s %13d bytes" % ("total", total))


if __name__ == "__main__":
    main()
