#!/usr/bin/env bash
# Builds heatmark and runs the whole test suite, from a fresh machine:
# installs the Debian packages it needs, configures (CUDA when nvcc is found,
# CPU-only otherwise), builds and runs ctest.
#   HEATMARK_BUILD_DIR  build folder (default: build/ in the repository)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HEATMARK_BUILD_DIR:-$root/build}"
jobs="$(nproc)"

"$root/tools/install_deps.sh"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" -j"$jobs" --output-on-failure
