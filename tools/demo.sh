#!/usr/bin/env bash
# The main job on generated data, from a fresh machine: installs what it needs,
# builds heatmark, generates 100 X-ray-like images with 2 landmarks, trains the
# small HRNet on them for a few minutes (on the GPU when there is one, else
# the CPU), then predicts the landmarks of 5 new images and shows where
# everything went.
#   HEATMARK_DEMO_DIR   where to put the data and the run (default: demo/)
#   HEATMARK_DEMO_EPOCHS   training epochs (default: 15, ~2-3 minutes on 2 CPU cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo="${HEATMARK_DEMO_DIR:-$root/demo}"
epochs="${HEATMARK_DEMO_EPOCHS:-15}"
build="$root/build"

"$root/tools/install_deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEATMARK_STATIC=ON > /dev/null
cmake --build "$build" -j"$(nproc)" --target heatmark
heatmark="$build/tools/heatmark"

# The GPU only when one is usable: --version says "built in; 1 GPU: <name> ..."
# then, and "no usable GPU (...)" or "no GPU found" otherwise.
device=cpu
if "$heatmark" --version | grep -Eq 'built in; [1-9][0-9]* GPUs?: '; then device=cuda; fi

rm -rf "$demo"
echo "== generating data"
"$heatmark" synth --out "$demo/data" --count 100 --size 256 --landmarks 2 --seed 1
"$heatmark" synth --out "$demo/new" --count 5 --size 256 --landmarks 2 --seed 2
echo "== training (device $device)"
"$heatmark" train --data "$demo/data" --input-size 256 --epochs "$epochs" --device "$device" --out "$demo/run"
echo "== predicting 5 new images"
"$heatmark" predict --model "$demo/run/best.safetensors" --device "$device" "$demo/new/images" \
  --out "$demo/predictions.json" --overlay "$demo/overlays"
echo
echo "== results"
echo "  trained model:        $demo/run/best.safetensors  (heatmark inspect it)"
echo "  training curves:      $demo/run/curves.svg, $demo/run/metrics.csv"
echo "  predictions:          $demo/predictions.json"
echo "  overlays:             $demo/overlays/*.png"
echo "  true positions:       $demo/new/landmarks.csv"
