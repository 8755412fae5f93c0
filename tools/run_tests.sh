#!/usr/bin/env bash
# Builds heatmark and runs the whole test suite, from a fresh machine:
#   1. installs the Debian packages it needs;
#   2. the main build, the self-contained release binary (HEATMARK_STATIC; CUDA
#      when nvcc is found: every .cu file is compiled for real GPUs; CPU-only
#      otherwise) and its tests, where every hand-written kernel runs under the
#      CPU SIMT emulator, and on the GPU when there is one; then the test
#      census: every doctest test case ran exactly once;
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build of the whole suite
#      (without the few long end-to-end tests tagged [slow], which step 2 ran);
#   4. a ThreadSanitizer build of the loader tests (the loader thread against
#      the trainer);
#   5. every libFuzzer target (fuzz/) for HEATMARK_FUZZ_SECONDS each, after
#      replaying its seed corpus and past findings.
# Environment:
#   HEATMARK_BUILD_DIR   main build folder (default: build/)
#   HEATMARK_SKIP_SANITIZE=1  skip steps 3-5
#   HEATMARK_FUZZ_SECONDS     time per fuzz target (default 30)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HEATMARK_BUILD_DIR:-$root/build}"
jobs="$(nproc)"
start=$SECONDS

"$root/tools/install_deps.sh"

echo "== main build: $build ($((SECONDS - start)) s so far)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEATMARK_STATIC=ON
cmake --build "$build" -j"$jobs"
# Every test case of the doctest binary must run exactly once: each one that
# starts signs the census, which is then checked against the binary's list.
rm -f "$build/test_census.txt"
HEATMARK_TEST_CENSUS="$build/test_census.txt" ctest --test-dir "$build" -j"$jobs" --output-on-failure
"$root/tools/check_test_census.sh" "$build/test_census.txt" "$build/tests/heatmark_tests"
echo "== kernels that ran under the emulator:"
sed 's/^/   /' "$build/tests/emulated_kernels.txt"

if [ "${HEATMARK_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== sanitizer build (ASan + UBSan, CPU and emulator): $build-sanitize ($((SECONDS - start)) s so far)"
  cmake -S "$root" -B "$build-sanitize" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHEATMARK_SANITIZE=ON -DHEATMARK_CUDA=OFF
  cmake --build "$build-sanitize" -j"$jobs"
  # The same test cases less those tagged [slow] (step 2 ran them): one
  # exclusion for ctest, the same one for the census.
  rm -f "$build-sanitize/test_census.txt"
  HEATMARK_TEST_CENSUS="$build-sanitize/test_census.txt" \
    ctest --test-dir "$build-sanitize" -j"$jobs" --output-on-failure -E '\[slow\]'
  "$root/tools/check_test_census.sh" "$build-sanitize/test_census.txt" "$build-sanitize/tests/heatmark_tests" \
    --test-case-exclude='*[slow]*'

  echo "== ThreadSanitizer build of the loader tests: $build-tsan ($((SECONDS - start)) s so far)"
  cmake -S "$root" -B "$build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEATMARK_TSAN=ON -DHEATMARK_CUDA=OFF
  cmake --build "$build-tsan" -j"$jobs" --target heatmark_loader_tests
  # One OpenMP thread: libgomp is not instrumented, so its own workers would
  # be reported as races. The loader's std::thread is what is under test.
  OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 "$build-tsan/tests/heatmark_loader_tests"

  echo "== fuzzing: ${HEATMARK_FUZZ_SECONDS:-30} s per target ($((SECONDS - start)) s so far)"
  "$root/fuzz/run_fuzz.sh" "${HEATMARK_FUZZ_SECONDS:-30}" "$build-fuzz"
fi
echo "== all tests passed in $((SECONDS - start)) s"
