#!/usr/bin/env python3
"""Writes the malformed input files of tests/bad_inputs (plain python3, no
third-party modules). Each case is one broken file, with valid parts around
it where the loader needs them (a dataset folder, an image the annotation
names). manifest.tsv says how each one is run and what the error must say;
tests/tools/test_bad_inputs.cpp runs them.

    python3 tests/bad_inputs/make_fixtures.py    # rewrites the fixtures in place

The output is deterministic: rerunning it changes nothing.
"""
import json
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATED = ["images", "safetensors", "folder", "isbi", "aariz", "labelme", "config", "valid"]


def write(path, data):
    path = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- images -----------------------------------------------------------------------------

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, idat=None):
    """An 8-bit grayscale PNG; `idat` replaces the compressed pixel data."""
    if idat is None:
        rows = [bytes((x * 30 + y * 7) % 256 for x in range(width)) for y in range(height)]
        idat = zlib.compress(b"".join(b"\0" + r for r in rows), 9)  # filter byte 0 before each row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


GOOD_PNG = png(8, 8)


def jpeg(width, height, scan=None):
    """A baseline grayscale JPEG, every 8x8 block flat grey: one-bit Huffman
    codes for 'DC difference 0' and 'end of block', so each block is 2 bits."""
    def segment(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    if scan is None:
        bits = 2 * blocks
        scan = b"\0" * (bits // 8) + (b"\x3f" if bits % 8 else b"")  # the last byte padded with 1 bits
    one_code = bytes([1] + [0] * 15)  # one code of length 1 ...
    return (b"\xff\xd8" + segment(0xDB, b"\0" + b"\1" * 64) +
            segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00") +
            segment(0xC4, b"\x00" + one_code + b"\x00") +  # ... DC table 0: category 0
            segment(0xC4, b"\x10" + one_code + b"\x00") +  # ... AC table 0: end of block
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + scan + b"\xff\xd9")


def bmp(width, height, bpp=24, pixels=None):
    """An uncompressed BMP (BITMAPINFOHEADER); `pixels` replaces the pixel data."""
    row = ((width * bpp + 31) // 32) * 4
    if pixels is None:
        pixels = bytes((i * 13) % 256 for i in range(row * abs(height)))
    offset = 14 + 40
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def image_case(name, file_name, data):
    """A folder dataset of one image, the broken one."""
    write(f"images/{name}/landmarks.csv", f"image,x1,y1\n{file_name},2,3\n")
    write(f"images/{name}/{file_name}", data)


def make_images():
    image_case("empty", "empty.png", b"")
    image_case("not_an_image", "notes.png", "These are notes, saved with the wrong extension.\n")
    image_case("gif_named_png", "anim.png", b"GIF89a\x08\x00\x08\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;")
    good = png(64, 64)
    image_case("truncated_png", "cut.png", good[: len(good) // 2])
    image_case("png_corrupt_zlib", "badzlib.png", png(16, 16, idat=b"\x78\x9c" + b"\xff" * 40))
    image_case("png_huge_header", "huge.png", png(100000, 100000, idat=zlib.compress(b"\0" * 100)))
    image_case("png_zero_width", "zero.png", png(0, 8, idat=zlib.compress(b"\0" * 8)))
    full = jpeg(64, 64)  # 16 bytes of scan data, then the end marker
    image_case("truncated_jpeg", "cut.jpg", full[: len(full) - 12])  # cut in the scan data
    image_case("jpeg_huge_header", "huge.jpg", jpeg(65000, 65000, scan=b"\0" * 16))
    # Within the size limit, but the scan data is missing: stb_image would
    # decode it as grey (0.4 GB), the trainer then hold it as floats (0.8 GB).
    image_case("jpeg_tiny_file_huge_image", "claims.jpg", jpeg(14000, 14000, scan=b"\0" * 16))
    image_case("bmp_huge_header", "huge.bmp", bmp(50000, 50000, pixels=b"\0" * 64))
    image_case("bmp_zero_width", "zero.bmp", bmp(0, 8, pixels=b""))
    # Within the size limit, but a 118-byte file cannot hold 14000x14000 pixels:
    # it must be refused before 2 GB are allocated for them.
    image_case("bmp_tiny_file_huge_image", "claims.bmp", bmp(14000, 14000, pixels=b"\0" * 64))
    whole = bmp(32, 32)
    image_case("truncated_bmp", "cut.bmp", whole[: len(whole) - 1000])
    # 6000x6000 16-bit RGB (432 MB as floats) whose pixel data stops after
    # 200 rows: decoded row by row, it fails there without ever holding the
    # whole image (the runner's limit is 1 GiB).
    rows = zlib.compressobj(9)
    idat = b"".join(rows.compress(b"\0" * (1 + 6000 * 6)) for _ in range(200)) + rows.flush()
    ihdr = struct.pack(">IIBBBBB", 6000, 6000, 16, 2, 0, 0, 0)
    image_case("png_huge_short_data", "short.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
               png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    bad_crc = bytearray(GOOD_PNG)
    bad_crc[29] ^= 1  # the first byte of IHDR's CRC
    image_case("png_bad_crc", "crc.png", bytes(bad_crc))


# ---- safetensors model files -------------------------------------------------------------

def safetensors(header, data=b"", header_length=None):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    length = len(text) if header_length is None else header_length
    return struct.pack("<Q", length) + text + data


def header_checked(header, edit_from, edit_to):
    """The length and header of a safetensors file with heatmark's header
    checksum (the CRC-32 of the header bytes with its own value written as
    00000000, tensor/safetensors.h), then `edit_from` replaced by `edit_to`."""
    header["__metadata__"]["heatmark.header_crc32"] = "00000000"
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    entry = b'"heatmark.header_crc32":"%s"'
    text = text.replace(entry % b"00000000", entry % (b"%08x" % zlib.crc32(text)))
    assert edit_from in text
    text = text.replace(edit_from, edit_to)
    return struct.pack("<Q", len(text)) + text


FLOATS = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
CRC = "%08x" % zlib.crc32(FLOATS)


def one_tensor(metadata=None, **tensor):
    entry = {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}
    entry.update(tensor)
    header = {"w": entry}
    if metadata is not None:
        header["__metadata__"] = metadata
    return header


def hrnet_w18_small_config(**changes):
    w = 16
    config = {"name": "hrnet_w18_small", "in_channels": 1, "stem_width": 64, "stage1_blocks": 1, "stage1_planes": 32,
              "stages": [{"modules": 1, "blocks": 2, "widths": [w, 2 * w]},
                         {"modules": 1, "blocks": 2, "widths": [w, 2 * w, 4 * w]},
                         {"modules": 1, "blocks": 2, "widths": [w, 2 * w, 4 * w, 8 * w]}],
              "num_landmarks": 2, "head": "simple", "deconv_channels": 256, "landmark_names": ["S", "N"],
              "input_size": 64, "input_mean": [0.5], "input_std": [0.25], "stretch": False,
              "soft_argmax_beta": 20.0, "target_sigma": 3.0}
    config.update(changes)
    return json.dumps(config, separators=(",", ":"))


def make_safetensors():
    st = lambda name, data: write(f"safetensors/{name}.safetensors", data)
    st("short", b"\x10\0\0\0")
    st("header_past_end", safetensors(b'{"w":{}}', header_length=1000))
    st("header_huge", safetensors(b"{}", header_length=1 << 60))
    st("header_not_json", safetensors(b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]', FLOATS))
    st("header_not_object", safetensors(b'[{"dtype": "F32"}]', FLOATS))
    st("metadata_not_string", safetensors(one_tensor({"format": 1}), FLOATS))
    st("negative_shape", safetensors(one_tensor(shape=[-4]), FLOATS))
    st("shape_overflow", safetensors(one_tensor(shape=[1 << 40, 1 << 40, 1 << 40]), FLOATS))
    st("offsets_out_of_range", safetensors(one_tensor(data_offsets=[0, 1 << 40]), FLOATS))
    st("offsets_size_mismatch", safetensors(one_tensor(data_offsets=[0, 8]), FLOATS))
    st("offsets_overlap", safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                       "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, FLOATS + FLOATS[:8]))
    st("data_gap", safetensors(one_tensor(), FLOATS + b"\0\0\0\0"))
    st("unknown_dtype", safetensors(one_tensor(dtype="F8"), FLOATS))
    st("checksum_mismatch", safetensors(one_tensor({"heatmark.data_crc32": "deadbeef", "format": "heatmark.model"}),
                                        FLOATS))
    st("not_a_model", safetensors(one_tensor({"heatmark.data_crc32": CRC}), FLOATS))
    st("missing_config", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model"}), FLOATS))
    st("config_not_json", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                  "heatmark.config": '{"name": "hrnet_w18_small",'}), FLOATS))
    st("config_out_of_range", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                      "heatmark.config": hrnet_w18_small_config(stem_width=100000)}),
                                          FLOATS))
    # A soft-argmax temperature past float range (1e39 reads as inf): refused, not run into NaN.
    st("config_beta_huge", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                   "heatmark.config": hrnet_w18_small_config(soft_argmax_beta=1e39)}),
                                       FLOATS))
    # The header checksum covers the metadata: a wrong one, and a valid file whose
    # input size was edited afterwards (same length, so only the checksum can tell).
    st("header_checksum_mismatch", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                           "heatmark.header_crc32": "deadbeef"}), FLOATS))
    st("header_edited", header_checked(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                   "heatmark.config": hrnet_w18_small_config()}),
                                       b'\\"input_size\\":64', b'\\"input_size\\":96') + FLOATS)
    # The same without the edit must load: the checksum as Python computes it here is the reader's.
    write("valid/header_checked.safetensors",
          header_checked(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model"}), b"", b"") + FLOATS)
    # A valid config whose model is far larger than the file: refused before the model is built.
    st("config_larger_than_file", safetensors(one_tensor({"heatmark.data_crc32": CRC, "format": "heatmark.model",
                                                  "heatmark.config": hrnet_w18_small_config()}), FLOATS))


# ---- annotation formats ------------------------------------------------------------------

def folder_case(name, csv, images=("good.png",), extra=None):
    write(f"folder/{name}/landmarks.csv", csv)
    for image in images:
        write(f"folder/{name}/{image}", GOOD_PNG)
    for file_name, text in (extra or {}).items():
        write(f"folder/{name}/{file_name}", text)


def make_folder():
    folder_case("empty_csv", "")
    folder_case("bad_header", "name,x,y\ngood.png,1,2\n")
    folder_case("wrong_columns", "image,x1,y1\ngood.png,1,2\nother.png,1,2,3\n", images=("good.png", "other.png"))
    folder_case("non_numeric", "image,x1,y1\ngood.png,1.5,2\nother.png,abc,2\n", images=("good.png", "other.png"))
    folder_case("nan", "image,x1,y1\ngood.png,1,nan\n")
    folder_case("infinite", "image,x1,y1\ngood.png,-inf,2\n")
    folder_case("missing_image", "image,x1,y1\ngood.png,1,2\nmissing.png,1,2\n")
    folder_case("duplicate_image", "image,x1,y1\ngood.png,1,2\nother.png,3,4\ngood.png,5,6\n",
                images=("good.png", "other.png"))
    folder_case("unterminated_quote", 'image,x1,y1\ngood.png,1,2\n"other.png,1,2\n')
    folder_case("quoted_line_break", 'image,x1,y1\ngood.png,"1\n2",3\n')
    folder_case("bad_spacing", "image,x1,y1\ngood.png,1,2\n",
                extra={"spacing.csv": "image,mm_per_px_x,mm_per_px_y\ngood.png,0.1,-0.1\n"})
    folder_case("names_count", "image,x1,y1\ngood.png,1,2\n", extra={"landmarks.txt": "Sella\nNasion\n"})
    # CSV may quote a line break into a field (RFC 4180), but no image name holds one.
    folder_case("image_name_line_break", 'image,x1,y1\n"good\n.png",1,2\n')
    folder_case("spacing_bad_header", "image,x1,y1\ngood.png,1,2\n",
                extra={"spacing.csv": "image,mm_per_px\ngood.png,0.1,0.1\n"})
    # Text that is not UTF-8: Latin-1 bytes, UTF-16 with its byte-order mark.
    folder_case("latin1_image_name", b"image,x1,y1\ngood.png,1,2\nM\xe9nton.png,1,2\n")
    folder_case("latin1_names", "image,x1,y1,x2,y2\ngood.png,1,2,3,4\n",
                extra={"landmarks.txt": b"Sella\nN\xe1sion\n"})
    folder_case("utf16_bom", "\ufeffimage,x1,y1\ngood.png,1,2\n".encode("utf-16-le"))
    # Image paths that leave the dataset folder.
    folder_case("escape_dotdot", "image,x1,y1\ngood.png,1,2\n../../etc/passwd,1,2\n")
    folder_case("escape_absolute", "image,x1,y1\n/etc/passwd,1,2\n")


ISBI_GOOD = "".join(f"{10 + k},{20 + k}\n" for k in range(19))


def isbi_case(name, text, image=True):
    write(f"isbi/{name}/001.txt", text)
    if image:
        write(f"isbi/{name}/001.png", GOOD_PNG)


def make_isbi():
    isbi_case("too_few_lines", "".join(f"{10 + k},{20 + k}\n" for k in range(5)))
    lines = ISBI_GOOD.splitlines()
    isbi_case("non_numeric", "\n".join(lines[:2] + ["12,abc"] + lines[3:]) + "\n")
    isbi_case("missing_comma", "\n".join(lines[:1] + ["12 34"] + lines[2:]) + "\n")
    isbi_case("bad_label", ISBI_GOOD + "1\n2\n3\nx\n5\n6\n7\n8\n")
    isbi_case("no_image", ISBI_GOOD, image=False)
    isbi_case("latin1", ("\n".join(lines[:1] + ["12,34 \xb5m"] + lines[2:]) + "\n").encode("latin-1"))
    isbi_case("utf16_bom", ("\ufeff" + ISBI_GOOD).encode("utf-16-be"))
    write("isbi/unmatched_annotator/senior/001.txt", ISBI_GOOD)
    write("isbi/unmatched_annotator/senior/002.txt", ISBI_GOOD)
    write("isbi/unmatched_annotator/junior/001.txt", ISBI_GOOD)
    write("isbi/unmatched_annotator/001.png", GOOD_PNG)
    write("isbi/unmatched_annotator/002.png", GOOD_PNG)


def aariz_case(name, annotation, extra=None):
    write(f"aariz/{name}/Cephalograms/001.png", GOOD_PNG)
    write(f"aariz/{name}/Annotations/Cephalometric Landmarks/Senior Orthodontists/001.json", annotation)
    for file_name, text in (extra or {}).items():
        write(f"aariz/{name}/{file_name}", text)


def aariz_json(*landmarks):
    return json.dumps({"ceph_id": "001", "landmarks": list(landmarks)}, indent=1)


def aariz_point(symbol, x, y):
    return {"landmark_id": symbol, "title": symbol, "symbol": symbol, "value": {"x": x, "y": y}}


def make_aariz():
    aariz_case("not_json", '{"ceph_id": "001", "landmarks": [{"symbol": "S", "value": {"x": 1 "y": 2}}]}')
    aariz_case("landmarks_not_array", json.dumps({"ceph_id": "001", "landmarks": {"S": [1, 2]}}))
    aariz_case("missing_value", aariz_json(aariz_point("S", 1, 2), {"landmark_id": 2, "symbol": "N"}))
    aariz_case("string_coordinate", aariz_json(aariz_point("S", 1, 2), aariz_point("N", "3", 4)))
    aariz_case("duplicate_symbol", aariz_json(aariz_point("S", 1, 2), aariz_point("S", 3, 4)))
    aariz_case("bad_pixel_size", aariz_json(aariz_point("S", 1, 2)),
               extra={"cephalogram_machine_mappings.csv": "cephalogram_id,machine,pixel_size\n001,A,abc\n"})
    aariz_case("latin1_symbol", '{"ceph_id": "001", "landmarks": [{"symbol": "S\xe9"}]}'.encode("latin-1"))


def labelme_case(name, document, image=True):
    write(f"labelme/{name}/a.json", document if isinstance(document, (str, bytes)) else json.dumps(document, indent=1))
    if image:
        write(f"labelme/{name}/a.png", GOOD_PNG)


def labelme(*shapes, **fields):
    document = {"version": "5.0.1", "flags": {}, "shapes": list(shapes), "imagePath": "a.png", "imageData": None,
                "imageHeight": 8, "imageWidth": 8}
    document.update(fields)
    return {k: v for k, v in document.items() if v is not ...}  # a field given as ... is left out


def point(label, *xy):
    return {"label": label, "points": [list(xy)], "group_id": None, "shape_type": "point", "flags": {}}


def make_labelme():
    labelme_case("not_json", '{"shapes": [], "imagePath": "a.png",}')
    labelme_case("point_arity", labelme(point("S", 1, 2), point("N", 1, 2, 3)))
    labelme_case("string_coordinate", labelme(point("S", 1, 2), point("N", "1", 2)))
    labelme_case("missing_image_path", labelme(point("S", 1, 2), imagePath=...))
    labelme_case("image_missing", labelme(point("S", 1, 2), imagePath="photos/a.png"))
    labelme_case("far_outside", labelme(point("S", 1, 2), point("N", 1000000, 2)))
    labelme_case("duplicate_label", labelme(point("S", 1, 2), point("S", 3, 4)))
    labelme_case("shapes_not_array", labelme(shapes={"S": [1, 2]}))
    labelme_case("image_outside", labelme(point("S", 1, 2), imagePath="../a.png"))
    labelme_case("image_absolute", labelme(point("S", 1, 2), imagePath="/etc/passwd"))
    labelme_case("latin1_label", '{"shapes": [{"label": "S\xe9", "points": [[1, 2]]}], "imagePath": "a.png"}'
                 .encode("latin-1"))


# ---- training config ----------------------------------------------------------------------

def make_config():
    cfg = lambda name, text: write(f"config/{name}.json", text)
    cfg("not_json", '{"batch": 2,\n "epochs": 1\n "sigma": 2}\n')
    cfg("not_object", '[{"batch": 2}]\n')
    cfg("unknown_field", '{"batch": 2, "batchsize": 4}\n')
    cfg("wrong_type", '{"batch": "four"}\n')
    cfg("fractional_batch", '{"batch": 2.5}\n')
    cfg("negative_batch", '{"batch": -2}\n')
    cfg("sigma_zero", '{"sigma": 0}\n')
    cfg("input_size", '{"input_size": 100}\n')
    cfg("augment_unknown", '{"augment": {"enabled": true, "rotate": 5}}\n')
    cfg("augment_wrong_type", '{"augment": {"flip": "yes"}}\n')
    cfg("deeply_nested", '{"augment": ' + "[" * 3000 + "]" * 3000 + "}\n")
    cfg("negative_seed", '{"seed": -1}\n')
    cfg("warmup_huge", '{"warmup_epochs": 1e300}\n')
    cfg("negative_max_steps", '{"max_steps": -1}\n')
    cfg("negative_threads", '{"threads": -1}\n')
    # A key holding a line break: the error must still be one line (printed escaped).
    cfg("key_with_newline", '{"ba\\ntch": 2}\n')
    # A valid dataset for the config cases, so nothing but the config is wrong
    # (its fields quoted, as CSV allows).
    write("valid/landmarks.csv", 'image,x1,y1\n"good.png","1.5","2"\n')
    write("valid/good.png", GOOD_PNG)
    # Not broken: a top-down BMP (negative height), which must still load.
    write("valid/top_down.bmp", bmp(8, -8))
    # Not broken either: files saved by a Windows editor, with a UTF-8 byte-order
    # mark and CRLF, and a spacing.csv without its header (the first row is data).
    bom = "\ufeff"
    write("valid/bom/landmarks.csv", (bom + "image,x1,y1,x2,y2\r\ngood.png,1.5,2,3,4\r\n").encode())
    write("valid/bom/landmarks.txt", (bom + "S\u00e9lla\r\nNasion\r\n").encode())
    write("valid/bom/spacing.csv", (bom + "good.png,0.1,0.2\r\n").encode())
    write("valid/bom/good.png", GOOD_PNG)


def main():
    for name in GENERATED:
        shutil.rmtree(os.path.join(HERE, name), ignore_errors=True)
    make_images()
    make_safetensors()
    make_folder()
    make_isbi()
    make_aariz()
    make_labelme()
    make_config()
    for name in GENERATED:  # small, as fixtures in a repository should be
        for root, _, files in os.walk(os.path.join(HERE, name)):
            for f in files:
                assert os.path.getsize(os.path.join(root, f)) < 10 * 1024, os.path.join(root, f)


if __name__ == "__main__":
    main()
