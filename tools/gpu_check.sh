#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU: builds with CUDA, runs
# the whole test suite (every op then also runs on the real `cuda` backend,
# with the hand-written and with the vendor kernels), runs the kernel lab on
# HRNet shapes against cuDNN, times the ops, and writes a short report.
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
step "test suite (cpu, emu and cuda backends)" tests.log env HEATMARK_CUDA_DEBUG_SYNC=1 ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
step "kernel lab on the GPU (HRNet shapes, vs cuDNN)" lab_cuda.txt "$build/cuda/lab/heatmark_lab" --device cuda --shapes hrnet --repeat 20
step "op timings on cuda, hand-written kernels" bench_ops_cuda.txt "$build/tools/heatmark" bench ops --device cuda --kernels handwritten --repeat 20
step "op timings on cuda, vendor kernels" bench_ops_cuda_vendor.txt "$build/tools/heatmark" bench ops --device cuda --kernels vendor --repeat 20
step "op timings on cpu (same run)" bench_ops_cpu.txt "$build/tools/heatmark" bench ops --device cpu --repeat 5
grep -E "tests passed|tests failed" "$report/tests.log" | tee -a "$report/summary.md"
exit $status
