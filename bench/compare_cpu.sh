#!/usr/bin/env bash
# heatmark against PyTorch on the CPU, side by side: the same HRNet, input,
# batch, landmarks and threads, run alternately (heatmark, PyTorch, heatmark,
# ...) so that both see the same machine load, then the median ratio
# (heatmark time / PyTorch time; below 1 means heatmark is faster).
#
#   bench/compare_cpu.sh [--rounds N] [heatmark bench train flags...]
#   bench/compare_cpu.sh --model hrnet_w32 --input-size 256 --batch 1 --landmarks 2
#   bench/compare_cpu.sh --model hrnet_w32 --input-size 768 --forward-only --steps 3
#
# Threads: HEATMARK_BENCH_THREADS (default 2) for both, and each side in its
# best fair configuration, printed next to the figures: heatmark with its
# OpenMP pool and its CPU kernels; PyTorch with OMP_NUM_THREADS
# equal to the thread count, OPENBLAS_NUM_THREADS=1 and oneDNN on (see
# bench/pytorch_train_step.py, which checks both from the loaded libraries).
# Installs Debian's python3-torch when it is missing; builds heatmark when
# build/ has none.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
heatmark="${HEATMARK:-$root/build/tools/heatmark}"
threads="${HEATMARK_BENCH_THREADS:-2}"
rounds=5
if [ "${1:-}" = "--rounds" ]; then rounds="$2"; shift 2; fi

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "== installing python3-torch (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch > /dev/null
fi
if [ ! -x "$heatmark" ]; then
  "$root/tools/install_deps.sh"
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEATMARK_STATIC=ON > /dev/null
  cmake --build "$root/build" --target heatmark
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $threads threads each"
for r in $(seq 1 "$rounds"); do
  "$heatmark" --threads "$threads" bench train "$@" --json "$tmp/hm$r.json" > "$tmp/hm$r.txt"
  OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 \
    /usr/bin/python3 "$root/bench/pytorch_train_step.py" --like "$tmp/hm$r.json" --threads "$threads" --json "$tmp/pt$r.json" \
    > "$tmp/pt$r.txt"
  printf 'round %d: heatmark %8.2f ms   PyTorch %8.2f ms\n' "$r" "$(field "$tmp/hm$r.json" ms_per_step)" \
    "$(field "$tmp/pt$r.json" ms_per_step)"
done
echo
echo "== heatmark (round 1)"
cat "$tmp/hm1.txt"
echo
echo "== PyTorch (round 1)"
cat "$tmp/pt1.txt"
echo
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
hm = [json.load(open("%s/hm%d.json" % (tmp, r))) for r in range(1, rounds + 1)]
pt = [json.load(open("%s/pt%d.json" % (tmp, r))) for r in range(1, rounds + 1)]
ratios = [h["ms_per_step"] / p["ms_per_step"] for h, p in zip(hm, pt)]
print("parameters: heatmark %d, PyTorch %d" % (hm[0]["parameters"], pt[0]["parameters"]))
print("median ms per %s: heatmark %.2f, PyTorch %.2f" % (
    "forward pass" if hm[0]["mode"] == "forward" else "training step",
    statistics.median(h["ms_per_step"] for h in hm), statistics.median(p["ms_per_step"] for p in pt)))
print("time ratio heatmark / PyTorch: median %.3f (rounds: %s)" % (
    statistics.median(ratios), ", ".join("%.3f" % r for r in ratios)))
hm_peak, pt_peak = max(h["peak_rss_mib"] for h in hm), max(p["peak_rss_mib"] for p in pt)
hm_net = max(h["peak_rss_mib"] - h["rss_before_model_mib"] for h in hm)
pt_net = max(p["peak_rss_mib"] - p["rss_after_import_mib"] for p in pt)
print("peak RSS MiB, whole process: heatmark %.0f, PyTorch %.0f (ratio %.2f)" % (hm_peak, pt_peak, hm_peak / pt_peak))
print("peak RSS MiB, net of start-up (heatmark: before the model; PyTorch: after import torch, before the model):"
      " heatmark %.0f, PyTorch %.0f (ratio %.2f)" % (hm_net, pt_net, hm_net / pt_net))
print("configuration heatmark: %d threads, %s CPU kernels, --kernels %s" % (
    hm[0]["threads"], hm[0]["cpu_kernels"], hm[0]["kernels"]))
c = pt[0]["configuration"]
print("configuration PyTorch %s: %d threads, OMP_NUM_THREADS=%s, OpenBLAS %s thread(s), %s kernels, oneDNN %s" % (
    pt[0]["version"], c["torch_threads"], c["OMP_NUM_THREADS"], c["openblas_threads"], c["openblas_kernels"],
    "on" if c["onednn_available"] and c["onednn_enabled"] else "OFF"))
PY
