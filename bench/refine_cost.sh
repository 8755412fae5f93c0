#!/usr/bin/env bash
# What refinement adds to predict's time per image, by refiner patch size,
# measured side by side: one short two-stage model per size (one epoch per
# stage on ../shared/data/isbi2015: the time does not depend on the weights),
# then predict on the 11 validation images, the sizes alternating, ROUNDS
# times. Prints each round's stage-1 and stage-2 ms per image and the median
# share.
#
#   bench/refine_cost.sh [ROUNDS] [SIZES...]     (default: 3 rounds, sizes 32 64)
# Environment as bench/isbi_budget.sh (HEATMARK, ISBI_DATA).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(32 64)
heatmark="${HEATMARK:-$root/build/tools/heatmark}"
data="${ISBI_DATA:-$root/../shared/data/isbi2015}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mapfile -t images < <(sed "s|^|$data/|" "$root/bench/isbi2015_split/val.txt")

for size in "${sizes[@]}"; do
  "$heatmark" train --data "$data" --train-list "$root/bench/isbi2015_split/train.txt" \
    --val-list "$root/bench/isbi2015_split/val.txt" --input-size 256x320 --batch 8 --epochs 1 \
    --refine --refine-epochs 1 --refine-size "$size" --out "$tmp/run$size" > /dev/null
done
echo "| round | refiner | stage 1 ms/image | stage 2 ms/image | stage 2 / stage 1 |"
echo "| --- | --- | --- | --- | --- |"
for round in $(seq "$rounds"); do
  for size in "${sizes[@]}"; do
    line="$("$heatmark" predict --model "$tmp/run$size/best.safetensors" --batch 11 "${images[@]}" \
      --out "$tmp/points.json" | grep '^time per image')"
    one="$(sed 's/.*stage 1 \([0-9.]*\) ms.*/\1/' <<< "$line")"
    two="$(sed 's/.*(refinement) \([0-9.]*\) ms.*/\1/' <<< "$line")"
    echo "| $round | ${size} px | $one | $two | $(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.0f %%", 100 * a / b }') |"
  done
done
