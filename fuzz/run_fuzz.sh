#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + UBSan, clang) and runs each for a fixed
# time: first its regression inputs (fuzz/regressions/<target>/, once each),
# then fuzzing from a scratch copy of its seed corpus (fuzz/corpus/<target>/
# and the regressions; the committed folders never grow).
#
# Usage: fuzz/run_fuzz.sh [seconds-per-target] [build-dir]
#   seconds-per-target  default 30
#   build-dir           default build-fuzz in the repository root; configured
#                       here (clang, CUDA off, HEATMARK_FUZZ=ON, HEATMARK_SANITIZE=ON)
#                       when it is not a fuzz build yet
# Environment: FUZZ_TARGETS="fuzz_config fuzz_image" runs only those;
#   HEATMARK_FUZZ_CC / HEATMARK_FUZZ_CXX pick the compiler (default clang-14 / clang++-14);
#   HEATMARK_FUZZ_JOBS the build's parallelism (default 2).
#
# Prints one line per target (executions, exec/s, result) and exits non-zero
# when any target crashed, leaked, timed out or ran out of memory (or a
# regression input failed), naming the reproducer. Everything a run writes
# (logs, grown corpora, crash artifacts) is in <build-dir>/fuzz-scratch/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
seconds=${1:-30}
build=${2:-$root/build-fuzz}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
cc=${HEATMARK_FUZZ_CC:-clang-14}
cxx=${HEATMARK_FUZZ_CXX:-clang++-14}
jobs=${HEATMARK_FUZZ_JOBS:-2}

all_targets=(fuzz_safetensors fuzz_folder_csv fuzz_isbi fuzz_aariz fuzz_labelme fuzz_config fuzz_image)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
# Longest input per target: a few times the largest realistic file.
declare -A max_len=([fuzz_safetensors]=8192 [fuzz_folder_csv]=8192 [fuzz_isbi]=4096 [fuzz_aariz]=16384
                    [fuzz_labelme]=16384 [fuzz_config]=8192 [fuzz_image]=16384)
# Dictionaries (fuzz/dict/), concatenated per target.
declare -A dicts=([fuzz_safetensors]="json.dict fuzz_safetensors.dict" [fuzz_folder_csv]="csv.dict"
                  [fuzz_isbi]="csv.dict" [fuzz_aariz]="json.dict fuzz_aariz.dict csv.dict"
                  [fuzz_labelme]="json.dict fuzz_labelme.dict" [fuzz_config]="json.dict fuzz_config.dict"
                  [fuzz_image]="")

# ---- compiler -----------------------------------------------------------------
if ! command -v "$cxx" >/dev/null 2>&1; then
  # Debian: the compiler, its sanitizer and libFuzzer runtimes, and its OpenMP.
  packages=(clang-14 libclang-rt-14-dev libomp-14-dev)
  echo "run_fuzz: $cxx not found; installing ${packages[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

# ---- build ----------------------------------------------------------------------
if ! grep -qs '^HEATMARK_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  CC=$cc CXX=$cxx cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEATMARK_CUDA=OFF \
    -DHEATMARK_FUZZ=ON -DHEATMARK_SANITIZE=ON
fi
nice -n 19 cmake --build "$build" -j"$jobs" --target "${targets[@]}"

# ---- run --------------------------------------------------------------------------
scratch=$build/fuzz-scratch
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
# ubsan.supp: known bugs of libraries, if any (none at present).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$here/ubsan.supp}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  work=$scratch/$t
  rm -rf "$work"  # the previous run's results for this target
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  problems=()

  # Regression inputs: each must run once without a finding.
  regressions=()
  if [ -d "$here/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done < <(find "$here/regressions/$t" -type f -print0 | sort -z)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    if ! TMPDIR=$work/tmp "$bin" -rss_limit_mb=2048 -timeout=10 "${regressions[@]}" >"$work/regressions.log" 2>&1; then
      culprit=$(sed -n 's/^Running: //p' "$work/regressions.log" | tail -1)
      problems+=("REGRESSION FAILED: reproducer ${culprit:-?} (log $work/regressions.log)")
    fi
    cp "${regressions[@]}" "$work/corpus/"
  fi

  # Fuzzing from a copy of the seeds.
  cp "$here/corpus/$t/." "$work/corpus/" -R
  dict_args=()
  if [ -n "${dicts[$t]:-}" ]; then
    for d in ${dicts[$t]}; do cat "$here/dict/$d"; done >"$work/dict"
    dict_args=(-dict="$work/dict")
  fi
  set +e
  TMPDIR=$work/tmp "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]:-8192}" \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${dict_args[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -1)
  findings=()
  while IFS= read -r -d '' f; do findings+=("$f"); done < <(find "$work/artifacts" -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -print0 | sort -z)
  if [ ${#findings[@]} -gt 0 ]; then
    kind=$(basename "${findings[0]}")
    problems+=("FOUND ${kind%%-*}: reproducer ${findings[*]} (log $work/fuzz.log)")
  elif [ $rc -ne 0 ]; then
    problems+=("FAILED rc=$rc (log $work/fuzz.log)")
  fi
  if [ ${#problems[@]} -gt 0 ]; then
    failed=1
    result=$(printf '%s; ' "${problems[@]}")
    result=${result%; }
  elif compgen -G "$work/artifacts/slow-unit-*" >/dev/null; then
    result="ok (slow inputs in $work/artifacts)"
  else
    result=ok
  fi
  line=$(printf '%-18s %10s execs %8s exec/s  %s' "$t" "${execs:-?}" "${speed:-?}" "$result")
  summary+=("$line")
  echo "$line"
done

echo
echo "run_fuzz: ${seconds} s per target; logs and artifacts in $scratch"
printf '%s\n' "${summary[@]}"
if [ $failed -ne 0 ]; then
  echo "run_fuzz: FINDINGS (replay one with: $build/fuzz/<target> <reproducer>)" >&2
  exit 1
fi
