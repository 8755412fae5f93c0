#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU: builds with CUDA, runs
# the whole test suite (every op then also runs on the real `cuda` backend,
# with the hand-written and with the vendor kernels), runs the kernel lab on
# HRNet shapes against cuDNN, times the ops and the W32 training step against
# PyTorch eager on the same GPU, and writes a short report.
#   usage: tools/gpu_check.sh [REPORT_DIR]   (default: gpu-report/)
# Needs nvcc and a GPU; exits non-zero if any step fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report="${1:-$root/gpu-report}"
build="$root/build-gpu"
mkdir -p "$report"
log() { echo "$*" | tee -a "$report/summary.md"; }
: > "$report/summary.md"

"$root/tools/install_deps.sh" > "$report/install.log" 2>&1
log "# heatmark GPU check"
log "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
log "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "- gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not available')"

status=0
step() {  # step NAME LOGFILE COMMAND...
  local name="$1" file="$2"; shift 2
  local t0=$SECONDS
  if "$@" > "$report/$file" 2>&1; then log "- $name: ok ($((SECONDS - t0)) s)"
  else log "- $name: FAILED ($((SECONDS - t0)) s), see $file"; status=1; fi
}
step "configure (CUDA required)" configure.log cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEATMARK_CUDA=ON
step "build" build.log cmake --build "$build" -j"$(nproc)"
step "version" version.log "$build/tools/heatmark" --version
step "test suite (cpu, emu and cuda backends)" tests.log env HEATMARK_CUDA_DEBUG_SYNC=1 HEATMARK_REQUIRE_GPU=1 ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
step "kernel lab on the GPU (HRNet shapes, vs cuDNN)" lab_cuda.txt "$build/cuda/lab/heatmark_lab" --device cuda --shapes hrnet --repeat 20
step "op timings on cuda, hand-written kernels" bench_ops_cuda.txt "$build/tools/heatmark" bench ops --device cuda --kernels handwritten --repeat 20
step "op timings on cuda, vendor kernels" bench_ops_cuda_vendor.txt "$build/tools/heatmark" bench ops --device cuda --kernels vendor --repeat 20
step "op timings on cpu (same run)" bench_ops_cpu.txt "$build/tools/heatmark" bench ops --device cpu --repeat 5
# The training step of HRNet-W32 at 768, batch 4, against PyTorch eager on
# the same GPU (same model config, parameter counts checked by the script).
hm="$build/tools/heatmark"
train_flags=(--model hrnet_w32 --input-size 768 --batch 4 --landmarks 19 --steps 10)
step "bench train W32 768 b4, cuda, vendor kernels" bench_train_vendor.txt \
  "$hm" bench train "${train_flags[@]}" --device cuda --kernels vendor --json "$report/bench_train_vendor.json"
step "bench train W32 768 b4, cuda, hand-written kernels" bench_train_handwritten.txt \
  "$hm" bench train "${train_flags[@]}" --device cuda --kernels handwritten --json "$report/bench_train_handwritten.json"
step "PyTorch W32 768 b4 on the same GPU" torch_train_cuda.txt \
  python3 "$root/bench/pytorch_train_step.py" --like "$report/bench_train_vendor.json" --device cuda \
  --json "$report/torch_train_cuda.json"
step "conv layers of W32 at 768, hand-written vs vendor" bench_ops_w32_768.txt \
  "$hm" bench ops --device cuda --model hrnet_w32 --input-size 768 --batch 4 --repeat 10
if [ -f "$report/torch_train_cuda.json" ] && [ -f "$report/bench_train_vendor.json" ]; then
  python3 - "$report" <<'PY' | tee -a "$report/summary.md"
import json, sys
r = sys.argv[1]
hm, pt = json.load(open(r + "/bench_train_vendor.json")), json.load(open(r + "/torch_train_cuda.json"))
print("- W32 768 b4 training step: heatmark (vendor) %.1f ms, PyTorch %.1f ms, ratio %.2f; "
      "peak device memory heatmark %.0f MiB, PyTorch %.0f MiB"
      % (hm["ms_per_step"], pt["ms_per_step"], hm["ms_per_step"] / pt["ms_per_step"],
         hm.get("peak_device_mib", 0), pt["peak_device_mib"]))
PY
fi
grep -E "tests passed|tests failed" "$report/tests.log" | tee -a "$report/summary.md"
exit $status
