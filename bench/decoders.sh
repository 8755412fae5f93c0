#!/usr/bin/env bash
# Compares the three heatmap decoders on a training run's validation split:
#   bench/decoders.sh RUN_FOLDER [heatmark binary]
# Prints one markdown table row per decoder (MRE px/mm, SDR), from `heatmark eval --json`.
set -euo pipefail
run="$1"
heatmark="${2:-$(dirname "$0")/../build/tools/heatmark}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "| decoder | MRE px | MRE mm | SDR 2 mm % | SDR 2.5 mm % | SDR 3 mm % | SDR 4 mm % |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for decoder in softargmax argmax dark; do
  "$heatmark" eval --model "$run/best.safetensors" --run "$run" --decode "$decoder" --json "$tmp/$decoder.json" > /dev/null
  # The few fields we need, without a JSON tool: heatmark writes one key per line.
  field() { grep "\"$1\"" "$tmp/$decoder.json" | tail -1 | sed 's/.*: *//; s/,$//'; }
  printf '| %s | %.3f | %s | %s | %s | %s | %s |\n' "$decoder" "$(field mre_px)" \
    "$(field mre_mm | xargs -r printf '%.3f')" "$(field 2mm | xargs -r printf '%.1f')" \
    "$(field 2.5mm | xargs -r printf '%.1f')" "$(field 3mm | xargs -r printf '%.1f')" "$(field 4mm | xargs -r printf '%.1f')"
done
