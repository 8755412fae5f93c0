#!/usr/bin/env bash
# Peak resident memory of predict and train on a small file that claims a
# huge image: a 210 KB PNG of 6000x6000 16-bit RGB (all zeros), next to the
# same commands on a 64x64 image, which show the floor (model, activations).
#
#   bench/decode_memory.sh HEATMARK_BINARY [HEATMARK_BINARY...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 HEATMARK_BINARY..." >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, struct, sys, zlib
w = h = 6000
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
row = b"\0" + bytes(w * 6)  # filter byte, then 6000 pixels of 3 x 16 bits
z = zlib.compressobj(9)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
os.makedirs(os.path.join(sys.argv[1], "big/images"))
for i in range(2):
    open(os.path.join(sys.argv[1], f"big/images/{i}.png"), "wb").write(png)
open(os.path.join(sys.argv[1], "big/landmarks.csv"), "w").write("image,x1,y1\nimages/0.png,3000,3000\nimages/1.png,2000,2500\n")
PY
echo "file: $(stat -c %s "$work/big/images/0.png") bytes, 6000x6000 16-bit RGB"
for heatmark in "$@"; do
  echo "== $heatmark"
  rm -rf "$work/small"
  "$heatmark" synth --out "$work/small" --count 2 --size 64 --landmarks 1 >/dev/null
  train=(train --input-size 256 --batch 2 --epochs 1 --val-fraction 0 --max-steps 1 --threads 1)
  for data in small big; do
    rm -rf "$work/run-$data"
    /usr/bin/time -f "train   on $data: peak %M KiB" "$heatmark" "${train[@]}" --data "$work/$data" --out "$work/run-$data" 2>&1 >/dev/null | tail -1
  done
  /usr/bin/time -f "predict on small: peak %M KiB" "$heatmark" predict --model "$work/run-small/best.safetensors" "$work/small/images/0000.png" 2>&1 >/dev/null | tail -1
  /usr/bin/time -f "predict on big:   peak %M KiB" "$heatmark" predict --model "$work/run-small/best.safetensors" "$work/big/images/0.png" 2>&1 >/dev/null | tail -1
done
