#!/usr/bin/env bash
# The first run on a machine with an NVIDIA GPU, prepared so that a few
# minutes of GPU time bring back everything worth knowing, in at most
# 8 minutes in all (--deadline), the build included.
#
#   0. Checks that what it needs is there (cmake, ninja, a C++ compiler, nvcc,
#      the libraries' headers; nvidia-smi, PyTorch and compute-sanitizer are
#      optional) and says what is missing. It installs nothing: the machine
#      may have no network. Then builds heatmark, heatmark_tests and
#      heatmark_lab with CUDA, for this GPU's architecture only, on all cores.
#   1. The tests that exercise the cuda backend: every op of the op harness
#      (forward parity, gradients, bitwise determinism) on cuda with the
#      hand-written and with the vendor kernels, and the device tests
#      (HEATMARK_CUDA_DEBUG_SYNC=1, so a failing kernel is named); then
#      synth, train, predict and eval on the GPU (the trainer's device paths).
#   2. The kernel lab on HRNet shapes against cuDNN, one family at a time,
#      and the hand-written / cuDNN time of every conv layer of HRNet-W32
#      (256x256 batch 1, then 768x768 batch 4).
#   3. The HRNet-W32 768x768 batch-4 training step with the vendor and with
#      the hand-written kernels, and PyTorch eager on the same GPU when a
#      python3 there has torch with CUDA (bench/pytorch_train_step.py).
#   4. compute-sanitizer memcheck on one small training step (hand-written
#      kernels), when the CUDA toolkit has it.
# Each step runs under `timeout` within its stage's limit and the overall
# deadline; a step that fails or runs out of time is reported and the next
# one still runs. HEATMARK_REQUIRE_CUDA=1 is set for every stage: a command
# that finds no GPU fails instead of running on the CPU, so nothing passes
# on the CPU in place of the GPU.
#
# Output, in the --out folder: summary.md (every status and time, the GPU,
# the commit, and the figures from the logs) and logs.tar.gz (every log and
# JSON file). Both are rewritten after every step, so that a run stopped
# from outside still leaves what it had.
#
# --dry-run exercises every stage on a machine without a GPU, quickly: the
# emulator (--device emu) stands in for the GPU, with small shapes and single
# steps; the CPU stands in for the vendor kernels (the emulator has none) and
# for PyTorch's device; HEATMARK_REQUIRE_CUDA=0. CI runs it
# (tests/gpu_check_dry_run.sh).
#
# Exit status: 0 when every step that ran passed and none was cut short or
# left out for lack of time or of a build, 1 otherwise or for a bad flag.
set -uo pipefail  # not -e: a failing step is recorded, and the next one runs

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
me="gpu_check.sh"

usage() {
  cat <<EOF
usage: tools/gpu_check.sh [--out DIR] [--build DIR] [--no-build] [--dry-run] [--deadline SECONDS] [--jobs N]

Builds heatmark with CUDA and checks it on this machine's GPU in at most
8 minutes: the op tests on the cuda backend, the kernel lab and the per-layer
hand-written / cuDNN times, the HRNet-W32 768x768 batch-4 training step
against PyTorch, and compute-sanitizer. Writes DIR/summary.md and
DIR/logs.tar.gz.

  --out DIR           the report folder (default: gpu-report/ in the repository)
  --build DIR         the build folder (default: build-gpu/, with --dry-run
                      build-gpu-dry-run/, in the repository)
  --no-build          use the build folder as it is: no configure, no build
  --dry-run           no GPU needed: the emulator stands in for it, with small
                      shapes, to check that every stage runs (CI does this)
  --deadline SECONDS  the whole run, the build included (default: 480)
  --jobs N            parallel build and test jobs (default: every core)
  --help              this text

Environment: HEATMARK_COMMIT names the commit when the tree is not a git
checkout; PYTHON, a python3 to try first for PyTorch.
EOF
}
die() { echo "$me: error: $*" >&2; exit 1; }

# ---- flags ----------------------------------------------------------------
out="$root/gpu-report" build="" no_build=0 dry_run=0 deadline=480 jobs=""
while [ $# -gt 0 ]; do
  flag="$1" value=""
  case "$flag" in
    --*=*) value="${flag#*=}" flag="${flag%%=*}" has_value=1 ;;
    *) has_value=0 ;;
  esac
  case "$flag" in
    -h | --help) usage; exit 0 ;;
    --dry-run | --no-build)
      [ "$has_value" = 0 ] || die "$flag takes no value (got '$value')"
      if [ "$flag" = --dry-run ]; then dry_run=1; else no_build=1; fi ;;
    --out | --build | --deadline | --jobs)
      if [ "$has_value" = 0 ]; then
        [ $# -ge 2 ] || die "$flag needs a value (see --help)"
        value="$2"
        shift
      fi
      [ -n "$value" ] || die "$flag needs a value (see --help)"
      case "$flag" in
        --out) out="$value" ;;
        --build) build="$value" ;;
        --deadline | --jobs)
          if ! [[ "$value" =~ ^[0-9]{1,6}$ ]] || [ "$((10#$value))" -lt 1 ]; then
            die "$flag '$value': expected a positive whole number$([ "$flag" = --deadline ] && echo " of seconds")"
          fi
          if [ "$flag" = --deadline ]; then deadline=$((10#$value)); else jobs=$((10#$value)); fi ;;
      esac ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[ -n "$build" ] || build="$root/$([ "$dry_run" = 1 ] && echo build-gpu-dry-run || echo build-gpu)"
[ -n "$jobs" ] || jobs="$(nproc 2>/dev/null || echo 2)"
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
if [ "$no_build" = 1 ] && [ ! -f "$build/CMakeCache.txt" ]; then
  die "--no-build: '$build' holds no configured build (no CMakeCache.txt)"
fi
mkdir -p "$out" 2>/dev/null || die "--out '$out': cannot create the folder"
[ -w "$out" ] || die "--out '$out': the folder is not writable"
out="$(cd "$out" && pwd)"

# ---- the clock --------------------------------------------------------------
now_us() {  # microseconds since the epoch
  if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/[.,]/}"; else date +%s%6N; fi
}
start_us="$(now_us)"
reserve=10  # seconds kept at the end: a stopped command's 5 s grace, the summary, the archive
elapsed() { echo $((($(now_us) - start_us) / 1000000)); }
deadline_left() { echo $((deadline - reserve - $(elapsed))); }
stage_left() { echo $(((stage_end_us - $(now_us)) / 1000000)); }
min() {
  local m="$1" v
  for v in "$@"; do [ "$v" -lt "$m" ] && m="$v"; done
  echo "$m"
}
seconds_since() {  # START_US -> "12.3"
  local d=$(($(now_us) - $1))
  printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

# ---- where the logs go --------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/heatmark-gpu-check.XXXXXX")" || die "cannot make a temporary folder"
logs="$work/logs"
mkdir -p "$logs"
rm -f "$out/summary.md" "$out/logs.tar.gz"

# ---- the record of every step, and what the report says besides --------------------
rec_stage=() rec_name=() rec_status=() rec_time=() rec_limit=() rec_log=()
stage="" stage_end_us="$start_us" child=""
finished=0 interrupted=""
commit="unknown" host_text="" gpu="none found" cuda_text="" missing_text="" arch=""
device_name="cuda"
[ "$dry_run" = 1 ] && device_name="emu"
train_text="" torch_text="" torch_device="" vendor_device_text="" sanitizer_text="" suite_regex=""

record() {  # STATUS TIME LIMIT LOG NAME: one step's line, then the report is rewritten
  rec_status+=("$1") rec_time+=("$2") rec_limit+=("$3") rec_log+=("$4") rec_name+=("$5") rec_stage+=("$stage")
  echo "[$(elapsed) s] $stage | $5: $1${2:+ ($2 s)}" >&2
  write_report
}
skip() { record "skipped: $2" "" "" "" "$1"; }      # NAME REASON: left out, and that is no problem
not_run() { record "NOT RUN: $2" "" "" "" "$1"; }   # NAME REASON: left out, and that is a problem

begin_stage() {  # NAME BUDGET_SECONDS
  stage="$1"
  stage_end_us=$(($(now_us) + $2 * 1000000))
}

# step NAME LIMIT LOG COMMAND...: runs COMMAND, its stdout and stderr in LOG,
# under timeout for LIMIT seconds or what the stage and the deadline leave.
# Returns the command's status (124 when it ran out of time).
step() {
  local name="$1" limit="$2" log="$3"
  shift 3
  local left
  left="$(min "$limit" "$(stage_left)" "$(deadline_left)")"
  if [ "$left" -lt 3 ]; then
    if [ "$(deadline_left)" -lt 3 ]; then not_run "$name" "the overall deadline (${deadline} s) was reached"
    else not_run "$name" "no time left in the stage's limit"; fi
    return 125
  fi
  { printf '$'; printf ' %q' "$@"; printf '\n# limit %s s\n' "$left"; } > "$logs/$log"
  local t0 status
  t0="$(now_us)"
  # In the background, so that a signal to this script is handled at once.
  timeout -k 5 "$left" "$@" >> "$logs/$log" 2>&1 < /dev/null &
  child=$!
  wait "$child"
  status=$?
  child=""
  local took
  took="$(seconds_since "$t0")"
  case "$status" in
    0) record "ok" "$took" "$left" "$log" "$name" ;;
    124 | 137) record "TIMED OUT" "$took" "$left" "$log" "$name" ;;
    *) record "FAILED (exit $status)" "$took" "$left" "$log" "$name" ;;
  esac
  return "$status"
}

# Line-buffered output, so that a command stopped by its time limit leaves
# every line it printed in its log.
linebuf=()
command -v stdbuf > /dev/null 2>&1 && linebuf=(stdbuf -oL -eL)

# ---- the report -----------------------------------------------------------------
json_number() {  # FILE KEY: a top-level number of an indented JSON file (heatmark's and the PyTorch script's)
  [ -f "$1" ] && sed -n "s/^  \"$2\": \([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1" | head -1
}
fmt1() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
code_block() {  # LOG [sed range]: the log (less its command line) as a code block, or a note
  local file="$logs/$1"
  if [ ! -s "$file" ]; then echo "(no log: the step did not run)"; return; fi
  echo '```'
  if [ -n "${2:-}" ]; then sed -n "$2" "$file"; else sed '1,2d' "$file"; fi | cut -c1-220 | head -n "${3:-200}"
  echo '```'
}
status_of() {  # LOG: the status recorded for the step with that log
  local i
  for i in "${!rec_log[@]}"; do [ "${rec_log[$i]}" = "$1" ] && { echo "${rec_status[$i]}"; return; }; done
  echo "not reached"
}

write_report() {
  local summary="$out/summary.md.tmp" i bad=0 ran=0 skipped=0
  for i in "${!rec_status[@]}"; do
    case "${rec_status[$i]}" in
      ok) ran=$((ran + 1)) ;;
      skipped*) skipped=$((skipped + 1)) ;;
      *) bad=$((bad + 1)) ;;
    esac
  done
  local result
  if [ "$finished" = 0 ]; then result="INCOMPLETE${interrupted:+ ($interrupted)}: the run stopped before its end"
  elif [ "$bad" = 0 ]; then result="PASSED"
  else result="FAILED"; fi
  {
    echo "# heatmark GPU check"
    echo
    echo "**$result**: of ${#rec_status[@]} steps, $ran ok, $bad failed, timed out or not run, $skipped skipped (no problem)."
    echo
    echo "| | |"
    echo "| --- | --- |"
    if [ "$dry_run" = 1 ]; then
      echo "| mode | **dry run**: the emulator stood in for the GPU (small shapes, single steps), the CPU for the vendor kernels; no figure here says anything about a GPU |"
    else
      echo "| mode | GPU, HEATMARK_REQUIRE_CUDA=1 for every stage (nothing ran on the CPU in place of the GPU) |"
    fi
    echo "| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
    echo "| commit | $commit |"
    echo "| GPU | $gpu |"
    echo "| CUDA | $cuda_text |"
    echo "| host | $host_text |"
    echo "| time | $(elapsed) s of the ${deadline} s deadline |"
    echo
    echo "## Steps"
    echo
    echo "| stage | step | status | time | limit | log |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for i in "${!rec_name[@]}"; do
      echo "| ${rec_stage[$i]} | ${rec_name[$i]} | ${rec_status[$i]} | ${rec_time[$i]:+${rec_time[$i]} s} | ${rec_limit[$i]:+${rec_limit[$i]} s} | ${rec_log[$i]:-} |"
    done
    echo
    if [ -n "$missing_text" ]; then
      echo "## Missing on this machine"
      echo
      printf '%b' "$missing_text"
      echo
    fi
    if [ -s "$logs/0-version.log" ]; then
      echo "## heatmark --version"
      echo
      code_block 0-version.log
      echo
    fi
    report_build
    report_suite
    report_lab
    report_training
    report_sanitizer
    echo "Every log is in logs.tar.gz (\`tar -xzf logs.tar.gz\`: logs/)."
  } > "$summary"
  mv -f "$summary" "$out/summary.md"
  tar -czf "$out/logs.tar.gz.tmp" -C "$work" logs 2> /dev/null && mv -f "$out/logs.tar.gz.tmp" "$out/logs.tar.gz"
}

report_build() {  # what went wrong in the configuration or the build, when something did
  local log
  for log in 0-configure.log 0-build.log; do
    [ -f "$logs/$log" ] || continue
    case "$(status_of "$log")" in ok | "not reached") continue ;; esac
    echo "## ${log%.log}: $(status_of "$log")"
    echo
    echo '```'
    grep -E -A3 'CMake Error|error:|error [0-9]|FAILED:|Could NOT find' "$logs/$log" | head -40 | cut -c1-220
    echo "..."
    tail -n 5 "$logs/$log" | cut -c1-220
    echo '```'
    echo
  done
}

report_suite() {
  local log="$logs/1-suite.log"
  [ -f "$log" ] || return 0
  echo "## 1. Tests on the ${device_name} backend"
  echo
  echo "Selection: ctest -R '$suite_regex' ($(status_of 1-suite.log))."
  echo
  local passed failed
  passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed +[0-9.]+ sec' "$log")
  failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Not Run|Exception)' "$log")
  echo "- test cases finished: $passed passed, $failed failed"
  grep -E 'tests passed, [0-9]+ tests? failed out of|Total Test time' "$log" | sed 's/^/- /'
  if grep -q 'The following tests FAILED' "$log"; then
    echo "- failed:"
    sed -n '/The following tests FAILED/,$p' "$log" | grep -E '^[[:space:]]+[0-9]+ - ' | head -40 | sed 's/^[[:space:]]*/  - /'
    echo
    echo "The failure messages, each once:"
    echo
    echo '```'
    grep -E 'ERROR: |THREW|FATAL|Error|error:' "$log" | grep -v '^ *[0-9]*/[0-9]* Test' |
      awk '{ text = $0; sub(/^[^ ]*:[0-9]+: /, "", text) } !seen[text]++' | head -20 | cut -c1-220
    echo '```'
  fi
  [ -s "$logs/1-census.log" ] && sed '1,2d' "$logs/1-census.log" | tail -n 5 | sed 's/^/- census: /'
  echo
}

report_lab() {
  ls "$logs"/2-*.log > /dev/null 2>&1 || return 0
  echo "## 2. Kernel lab and per-layer times"
  echo
  local family log line
  for family in conv2d_forward batch_norm2d conv2d_backward_weight; do
    log="2-lab-$family.log"
    [ -f "$logs/$log" ] || continue
    echo "heatmark_lab --family $family ($(status_of "$log")):"
    echo
    code_block "$log" '/^heatmark kernel lab on/,$p'
    echo
  done
  for log in 2-ops-a.log 2-ops-b.log; do
    [ -f "$logs/$log" ] || continue
    line="$(sed -n '1s/^\$ //p' "$logs/$log")"
    line="${line#"${linebuf[*]} "}"
    echo "\`${line//$build\//}\` ($(status_of "$log")):"
    echo
    if grep -qE '^hand-written time' "$logs/$log"; then
      grep -E '^(all conv layers|3x3 layers|hand-written time)' "$logs/$log" | sed 's/^/- /'
    else
      # Cut short: the median ratios over the layers it reached, from its table.
      grep -E '^(all conv layers|3x3 layers)' "$logs/$log" | sed 's/^/- /'
      layer_ratios "$logs/$log"
    fi
    echo
    code_block "$log"
    echo
  done
}
layer_ratios() {  # LOG: "- ... median over N layers" from a bench ops table with ratio columns
  grep -q 'fwd/vndr' "$1" || return 0
  grep -E '^conv2d \[' "$1" | awk '
    { f[NR] = $(NF - 1); b[NR] = $NF }
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { if (NR) printf "- hand-written time / vendor time, median over the %d layers timed before the step ended: forward %.2f, backward %.2f\n", NR, median(f, NR), median(b, NR) }'
}

report_training() {
  [ -f "$logs/3-train-vendor.log" ] || [ -f "$logs/3-train-handwritten.log" ] || return 0
  echo "## 3. Training step: $train_text"
  echo
  local torch_ms name json log ms
  torch_ms="$(json_number "$logs/3-torch.json" ms_per_step)"
  echo "| run | status | ms/step (median) | images/s | peak device memory MiB | / PyTorch |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for name in vendor handwritten; do
    json="$logs/3-train-$name.json"
    ms="$(json_number "$json" ms_per_step)"
    echo "| heatmark, $name kernels ($(kernels_note "$name")) | $(status_of "3-train-$name.log") | $(fmt1 "$ms") |" \
      "$(fmt1 "$(json_number "$json" images_per_s)") | $(fmt1 "$(json_number "$json" peak_device_mib)") |" \
      "$(ratio "$ms" "$torch_ms") |"
  done
  local torch_peak=""
  [ "$torch_device" = cpu ] || torch_peak="$(fmt1 "$(json_number "$logs/3-torch.json" peak_device_mib)")"
  echo "| PyTorch eager ($torch_text) | $(status_of 3-torch.log) | $(fmt1 "$torch_ms") |" \
    "$(fmt1 "$(json_number "$logs/3-torch.json" images_per_s)") | $torch_peak | |"
  echo
  [ -f "$logs/3-torch.log" ] && grep -E '^(PyTorch |device: |training step: |parameter counts differ)' "$logs/3-torch.log" | sed 's/^/- PyTorch: /'
  for name in vendor handwritten; do
    log="3-train-$name.log"
    [ -s "$logs/$log" ] || continue
    echo
    echo "heatmark, $name kernels, by kind of op and by op:"
    echo
    code_block "$log" '3,$p'
  done
  echo
}
kernels_note() {  # vendor|handwritten: where that run ran
  if [ "$1" = vendor ]; then echo "$vendor_device_text"; else echo "$device_name"; fi
}

report_sanitizer() {
  [ -f "$logs/4-sanitizer.log" ] || return 0
  echo "## 4. compute-sanitizer"
  echo
  echo "$sanitizer_text ($(status_of 4-sanitizer.log))"
  echo
  grep -E 'ERROR SUMMARY' "$logs/4-sanitizer.log" | sed 's/^/- /'
  if grep -qE '^========= +(Invalid|Program hit|Uninitialized|Race|Barrier|Leaked)' "$logs/4-sanitizer.log"; then
    echo
    echo '```'
    grep -E '^=========' "$logs/4-sanitizer.log" | head -40 | cut -c1-220
    echo '```'
  fi
  echo
}

# ---- the end, however it comes: the report is written ---------------------------------
finish() {
  [ -n "$child" ] && kill -TERM "$child" 2> /dev/null && wait "$child" 2> /dev/null
  write_report
  rm -rf "$work"
}
trap finish EXIT
trap 'interrupted="stopped by SIGTERM"; exit 143' TERM
trap 'interrupted="stopped by SIGINT"; exit 130' INT

# ---- what this machine has --------------------------------------------------------
commit="$(git -C "$root" rev-parse --short=12 HEAD 2> /dev/null)"
if [ -n "$commit" ]; then
  [ -z "$(git -C "$root" status --porcelain --untracked-files=no 2> /dev/null)" ] || commit="$commit, with uncommitted changes"
else
  commit="${HEATMARK_COMMIT:-unknown (not a git checkout: set HEATMARK_COMMIT)}"
fi
host_text="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2> /dev/null), $(uname -sr)"
write_report
begin_stage "0. checks" 30
check_log="$logs/0-checks.log"
: > "$check_log"
missing=()
need() {  # NAME WHAT: a missing thing, named with what provides it
  missing+=("$1")
  missing_text+="- $1: $2\n"
  echo "missing: $1 ($2)" >> "$check_log"
}
have() { command -v "$1" > /dev/null 2>&1; }
joined() {  # ITEMS...: "a, b, c"
  local text="" item
  for item in "$@"; do text+="${text:+, }$item"; done
  echo "${text:-nothing}"
}
# With --no-build only what runs the stages is needed (ctest comes with cmake).
tools=(cmake timeout tar gzip)
[ "$no_build" = 1 ] || tools+=(ninja pkg-config)
for tool in "${tools[@]}"; do
  if have "$tool"; then echo "found: $tool: $(command -v "$tool")" >> "$check_log"
  else
    case "$tool" in
      cmake) need cmake "the cmake package (3.25 or newer)" ;;
      ninja) need ninja "the ninja-build package" ;;
      pkg-config) need pkg-config "the pkg-config package" ;;
      *) need "$tool" "coreutils, tar or gzip" ;;
    esac
  fi
done
if have cmake; then
  cmake_version="$(cmake --version | sed -n '1s/^cmake version \([0-9]*\.[0-9]*\).*/\1/p')"
  if [ -n "$cmake_version" ] && [ "$(printf '%s\n3.25\n' "$cmake_version" | sort -V | head -1)" != 3.25 ]; then
    need "cmake 3.25" "a newer cmake package (this one is $cmake_version)"
  fi
fi
cxx=""
for c in "${CXX:-}" c++ g++ clang++; do
  if [ -n "$c" ] && have "$c"; then cxx="$c"; break; fi
done
if [ "$no_build" = 1 ]; then
  echo "not checked (--no-build): the compiler, the libraries' headers" >> "$check_log"
elif [ -n "$cxx" ] && ! echo 'int main() {}' | "$cxx" -E -x c++ - > /dev/null 2>&1; then
  need "a working C++ compiler" "$cxx does not run (set CXX, or install build-essential)"
elif [ -n "$cxx" ]; then
  echo "found: C++ compiler: $(command -v "$cxx") ($("$cxx" --version | head -1))" >> "$check_log"
  # The libraries heatmark builds with: their headers, each probed with the compiler.
  while read -r header package; do
    if echo "#include <$header>" | "$cxx" -E -x c++ - > /dev/null 2>&1; then
      echo "found: <$header>" >> "$check_log"
    else
      need "$header" "the $package package"
    fi
  done <<'EOF'
fmt/format.h libfmt-dev
nlohmann/json.hpp nlohmann-json3-dev
CLI/CLI.hpp libcli11-dev
doctest/doctest.h doctest-dev
stb/stb_image.h libstb-dev
zlib.h zlib1g-dev
omp.h libgomp (gcc)
EOF
else
  need "a C++ compiler" "the build-essential package (g++)"
fi
nvcc=""
for c in nvcc "${CUDA_PATH:-/nonexistent}/bin/nvcc" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if have "$c"; then nvcc="$(command -v "$c")"; break; fi
done
if [ -n "$nvcc" ]; then
  cuda_text="nvcc $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') ($nvcc)"
  echo "found: nvcc: $nvcc" >> "$check_log"
elif [ "$dry_run" = 0 ] && [ "$no_build" = 0 ]; then
  need nvcc "the CUDA toolkit (looked on PATH, in \$CUDA_PATH/bin, \$CUDA_HOME/bin and /usr/local/cuda/bin)"
else
  cuda_text="no nvcc (not needed $([ "$dry_run" = 1 ] && echo "for a dry run" || echo "with --no-build"))"
fi
if have nvidia-smi; then
  query=""
  if timeout 15 nvidia-smi > "$logs/0-nvidia-smi.log" 2>&1; then
    fields=name,driver_version,memory.total
    query="$(timeout 10 nvidia-smi --query-gpu=$fields,compute_cap --format=csv,noheader 2> /dev/null | head -1)"
    [ -n "$query" ] || query="$(timeout 10 nvidia-smi --query-gpu=$fields --format=csv,noheader 2> /dev/null | head -1)"
  fi
  if [ -n "$query" ]; then
    gpu="$(echo "$query" | awk -F', *' '{ printf "%s, driver %s, %s%s", $1, $2, $3, ($4 != "" ? ", compute capability " $4 : "") }')"
    gpu="$gpu ($(timeout 10 nvidia-smi -L 2> /dev/null | wc -l) GPU(s) in all; the first is used)"
    arch="$(echo "$query" | awk -F', *' '{ print $4 }' | tr -d '.' | grep -E '^[0-9]+$')"
  else
    gpu="nvidia-smi found no GPU (see 0-nvidia-smi.log)"
  fi
  echo "nvidia-smi: $gpu" >> "$check_log"
else
  gpu="nvidia-smi not found (optional: heatmark --version below names the GPU)"
  echo "optional, not found: nvidia-smi" >> "$check_log"
fi
[ "$dry_run" = 1 ] && gpu="$gpu; not used (dry run)"
echo "build folder: $build, jobs: $jobs" >> "$check_log"
if [ ${#missing[@]} -eq 0 ]; then
  record "ok" "" "" 0-checks.log "what the build and the stages need"
else
  record "FAILED: missing ${missing[*]}" "" "" 0-checks.log "what the build and the stages need"
fi

# ---- the build ------------------------------------------------------------------------
hm="$build/tools/heatmark" tests_bin="$build/tests/heatmark_tests" lab="$build/cuda/lab/heatmark_lab"
begin_stage "0. build" 180
if [ ${#missing[@]} -ne 0 ]; then
  not_run "configure and build" "missing ${missing[*]} (see above)"
elif [ "$no_build" = 1 ]; then
  skip "configure and build" "--no-build: $build used as it is"
else
  configure=(cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release)
  if [ "$dry_run" = 1 ]; then
    configure+=(-DHEATMARK_CUDA=OFF)  # the emulator needs no nvcc, and the build is quicker
  else
    configure+=(-DHEATMARK_CUDA=ON "-DCMAKE_CUDA_COMPILER=$nvcc")
    # This GPU's architecture only: half the device code to compile.
    [ -n "$arch" ] && configure+=("-DCMAKE_CUDA_ARCHITECTURES=$arch")
  fi
  if [ "$dry_run" = 1 ] && [ -f "$build/CMakeCache.txt" ]; then
    skip "configure" "$build is configured already"
    configured=0
  else
    step "configure" 60 0-configure.log "${configure[@]}"
    configured=$?
  fi
  if [ "$configured" = 0 ]; then
    step "build heatmark, heatmark_tests, heatmark_lab ($jobs jobs)" 180 0-build.log \
      cmake --build "$build" -j "$jobs" --target heatmark heatmark_tests heatmark_lab
  else
    not_run "build" "the configuration failed (see 0-configure.log)"
  fi
fi
have_hm=0 have_tests=0 have_lab=0
[ -x "$hm" ] && have_hm=1
[ -x "$tests_bin" ] && have_tests=1
[ -x "$lab" ] && have_lab=1
begin_stage "0. build" 20  # the build's limit spent or not, --version still runs
if [ "$have_hm" = 1 ]; then
  step "heatmark --version" 20 0-version.log "$hm" --version
fi
if [ "$dry_run" = 0 ] && [ -s "$logs/0-version.log" ]; then
  # The build has CUDA and sees the GPU, or every stage below will fail: say so first.
  if grep -Eq 'built in; [1-9][0-9]* GPUs?: ' "$logs/0-version.log"; then
    record "ok" "" "" 0-version.log "heatmark sees the GPU"
  else
    record "FAILED: $(sed '1,2d' "$logs/0-version.log" | grep -m1 -E 'CUDA|CPU-only')" "" "" 0-version.log \
      "heatmark sees the GPU"
  fi
fi
no_binary() {  # PROGRAM: why a step that needs it does not run
  if [ "$no_build" = 1 ]; then echo "$1 is not in $build (--no-build)"
  elif [ -f "$logs/0-build.log" ]; then echo "$1 was not built (see 0-build.log)"
  else echo "$1 was not built (the build did not run)"; fi
}

# ---- what each stage runs -----------------------------------------------------------
if [ "$dry_run" = 1 ]; then
  export HEATMARK_REQUIRE_CUDA=0
  # One OpenMP thread per process unless told otherwise: the dry run checks
  # that every stage runs, not how fast, and in CI it runs beside other tests.
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
  suite_threads="$OMP_NUM_THREADS"
  # A few op harness cases on emu, the device tests and the requirement tests.
  suite_regex='^(op harness: (relu|soft_argmax) forward matches|devices: |op harness: with HEATMARK_REQUIRE_CUDA)'
  suite_filter='op harness: relu forward matches*,op harness: soft_argmax forward matches*,devices: *,op harness: with HEATMARK_REQUIRE_CUDA*'
  lab_args=(--device emu --shapes small)
  ops_a=(--device emu --model hrnet_w18_small --input-size 32 --batch 2 --repeat 1)
  ops_b=(--device emu --model hrnet_w18_small --input-size 64 --repeat 1)
  train_flags=(--model hrnet_w18_small --input-size 32 --batch 2 --landmarks 19 --steps 1 --warmup 0)
  train_text="hrnet_w18_small 32x32 batch 2, 1 step (dry run)"
  e2e_flags=(--input-size 32 --epochs 1 --batch 2)
  train_device=(--device emu)
  # The emulator has no vendor kernels: the CPU's (oneDNN) stand in, or its own when oneDNN does not load.
  if grep -q '^CPU vendor kernels: oneDNN [0-9]' "$logs/0-version.log" 2> /dev/null; then
    vendor_device=(--device cpu --kernels vendor) vendor_device_text="cpu, oneDNN (dry run)"
  else
    vendor_device=(--device cpu --kernels handwritten) vendor_device_text="cpu, hand-written: oneDNN does not load (dry run)"
  fi
  torch_device=cpu torch_steps=(--steps 1 --warmup 0)
  sanitized=("$hm" bench train --model hrnet_w18_small --input-size 32 --batch 2 --steps 1 --warmup 0 --device emu)
else
  export HEATMARK_REQUIRE_CUDA=1
  suite_threads=2  # OpenMP threads per test process: ctest runs one process per core
  suite_regex='^(op harness|devices): '
  suite_filter='op harness: *,devices: *'
  # Few repeats: the naive lab versions take long on the 768x768 batch-4 layer.
  lab_args=(--device cuda --shapes hrnet --repeat 5)
  ops_a=(--device cuda --model hrnet_w32 --input-size 256 --batch 1 --repeat 10)
  ops_b=(--device cuda --model hrnet_w32 --input-size 768 --batch 4 --repeat 5)
  train_flags=(--model hrnet_w32 --input-size 768 --batch 4 --landmarks 19)
  train_text="HRNet-W32 768x768 batch 4, 19 landmarks"
  e2e_flags=(--input-size 64 --epochs 2 --batch 2)
  train_device=(--device cuda)
  vendor_device=(--device cuda --kernels vendor) vendor_device_text="cuDNN and cuBLAS"
  torch_device=cuda torch_steps=(--steps 5 --warmup 2)
  sanitized=("$hm" bench train --model hrnet_w18_small --input-size 64 --batch 2 --steps 1 --warmup 0 --device cuda)
fi
# synth -> train -> predict -> eval, on a small generated dataset: HM DIR DEVICE TRAIN_FLAGS...
end_to_end='set -euo pipefail
hm="$1" dir="$2" device="$3"
shift 3
rm -rf "$dir"
"$hm" synth --out "$dir/data" --count 5 --size 64 --landmarks 2 --seed 1
"$hm" train --data "$dir/data" --device "$device" --out "$dir/run" "$@"
"$hm" predict --model "$dir/run/best.safetensors" --device "$device" "$dir/data/images" --out "$dir/points.csv"
"$hm" eval --model "$dir/run/best.safetensors" --device "$device" --data "$dir/data"'
export HEATMARK_CUDA_DEBUG_SYNC=1  # for the tests: a failing kernel is named at its launch

# ---- 1. the tests on the device ---------------------------------------------------------
begin_stage "1. tests" 110
if [ "$have_tests" = 0 ]; then
  not_run "op harness and device tests on $device_name" "$(no_binary heatmark_tests)"
else
  export HEATMARK_TEST_CENSUS="$logs/1-census.txt"
  : > "$HEATMARK_TEST_CENSUS"
  # ctest from a folder of its own that points at the build: its own logs
  # (Testing/) land there, not over those of a ctest run in progress in the
  # build folder (CI runs this script from one).
  mkdir -p "$work/ctest"
  printf 'subdirs("%s")\n' "$build" > "$work/ctest/CTestTestfile.cmake"
  step "op harness and device tests on $device_name" 75 1-suite.log env "OMP_NUM_THREADS=$suite_threads" \
    ctest --test-dir "$work/ctest" -j "$jobs" -R "$suite_regex" --output-on-failure --timeout 60
  # Every selected test case ran exactly once: the filter and the names agree.
  step "test census of that selection" 5 1-census.log \
    "$root/tools/check_test_census.sh" "$HEATMARK_TEST_CENSUS" "$tests_bin" "--test-case=$suite_filter"
  unset HEATMARK_TEST_CENSUS
fi
if [ "$have_hm" = 1 ]; then
  # The trainer's and the detector's device paths, which no op test covers:
  # loader to device, checkpoints from it, validation, predict and eval.
  step "synth, train, predict and eval end to end on $device_name" 30 1-end-to-end.log bash -c "$end_to_end" end-to-end \
    "$hm" "$work/end-to-end" "$device_name" "${e2e_flags[@]}"
else
  not_run "end to end" "$(no_binary heatmark)"
fi
export HEATMARK_CUDA_DEBUG_SYNC=0  # timings below: no synchronisation after every launch

# ---- 2. the kernel lab and the per-layer times ----------------------------------------------
begin_stage "2. lab and layers" 90
if [ "$have_lab" = 1 ]; then
  # One family at a time, the weight gradient (with the slowest naive version) last.
  step "kernel lab, conv2d forward (heatmark_lab ${lab_args[*]})" 20 2-lab-conv2d_forward.log \
    "${linebuf[@]}" "$lab" "${lab_args[@]}" --family conv2d_forward
  step "kernel lab, batch_norm2d" 10 2-lab-batch_norm2d.log "${linebuf[@]}" "$lab" "${lab_args[@]}" --family batch_norm2d
  step "kernel lab, conv2d weight gradient" 20 2-lab-conv2d_backward_weight.log \
    "${linebuf[@]}" "$lab" "${lab_args[@]}" --family conv2d_backward_weight
else
  not_run "kernel lab" "$(no_binary heatmark_lab)"
fi
if [ "$have_hm" = 1 ]; then
  step "per-layer times (bench ops ${ops_a[*]})" 15 2-ops-a.log "${linebuf[@]}" "$hm" bench ops "${ops_a[@]}"
  step "per-layer times (bench ops ${ops_b[*]})" 25 2-ops-b.log "${linebuf[@]}" "$hm" bench ops "${ops_b[@]}"
else
  not_run "bench ops" "$(no_binary heatmark)"
fi

# ---- 3. the training step against PyTorch ------------------------------------------------------
begin_stage "3. training step" 60
if [ "$have_hm" = 1 ]; then
  if [ "$dry_run" = 1 ]; then hw_steps=() vendor_steps=()
  else hw_steps=(--steps 3 --warmup 1) vendor_steps=(--steps 5 --warmup 2); fi
  step "heatmark, vendor kernels (${vendor_device[*]})" 15 3-train-vendor.log "${linebuf[@]}" "$hm" bench train \
    "${train_flags[@]}" "${vendor_steps[@]}" "${vendor_device[@]}" --json "$logs/3-train-vendor.json"
  step "heatmark, hand-written kernels (${train_device[*]})" 20 3-train-handwritten.log "${linebuf[@]}" "$hm" \
    bench train "${train_flags[@]}" "${hw_steps[@]}" "${train_device[@]}" --kernels handwritten \
    --json "$logs/3-train-handwritten.json"
else
  not_run "heatmark training steps" "$(no_binary heatmark)"
fi
# PyTorch: the first python3 whose torch imports (and, on a GPU, has CUDA):
# PYTHON alone when it is set, else python3 on PATH, then /usr/bin/python3.
torch_python="" tried=() seen=" " torch_late=0
if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); else candidates=(python3 /usr/bin/python3); fi
for py in "${candidates[@]}"; do
  if ! have "$py"; then tried+=("$py (not found)"); continue; fi
  real="$(readlink -f "$(command -v "$py")")"
  case "$seen" in *" $real "*) continue ;; esac
  seen+="$real "
  limit="$(min 20 "$(stage_left)" "$(deadline_left)")"
  if [ "$limit" -lt 3 ]; then torch_late=1; break; fi
  found="$(timeout "$limit" "$py" -c 'import torch; print(torch.__version__, int(torch.cuda.is_available()))' 2> /dev/null |
    tail -1)"
  if [ -z "$found" ]; then tried+=("$py (no torch)"); continue; fi
  echo "found: $py: torch ${found% *}, CUDA available: ${found#* }" >> "$check_log"
  if [ "$torch_device" = cpu ] || [ "${found#* }" = 1 ]; then
    torch_python="$py" torch_text="torch ${found% *}, $py, on $torch_device"
    break
  fi
  tried+=("$py (torch ${found% *} without CUDA: torch.cuda.is_available() is False)")
done
like="$logs/3-train-vendor.json"
[ -f "$like" ] || like="$logs/3-train-handwritten.json"
if [ "$torch_late" = 1 ]; then
  torch_text="not looked for"
  not_run "PyTorch eager, same model and shapes" "no time left to look for PyTorch"
elif [ -z "$torch_python" ]; then
  torch_text="none"
  if [[ "${tried[*]}" == *"without CUDA"* ]]; then
    skip "PyTorch eager, same model and shapes" "no PyTorch with CUDA (tried: $(joined "${tried[@]}"))"
  else
    skip "PyTorch eager, same model and shapes" "no PyTorch (tried: $(joined "${tried[@]}"))"
  fi
elif [ ! -f "$like" ]; then
  not_run "PyTorch eager, same model and shapes" "no heatmark JSON to mirror: neither heatmark training step wrote one"
else
  step "PyTorch eager, same model and shapes ($torch_device)" 25 3-torch.log env PYTHONUNBUFFERED=1 "$torch_python" \
    "$root/bench/pytorch_train_step.py" --like "$like" --device "$torch_device" "${torch_steps[@]}" \
    --json "$logs/3-torch.json"
fi

# ---- 4. compute-sanitizer --------------------------------------------------------------------
begin_stage "4. sanitizer" 25
sanitizer=""
for c in compute-sanitizer "$(dirname "${nvcc:-/nonexistent/x}")/compute-sanitizer" \
         "$(dirname "${nvcc:-/nonexistent/x}")/../compute-sanitizer/compute-sanitizer" \
         /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  if have "$c"; then sanitizer="$(command -v "$c")"; break; fi
done
if [ "$have_hm" = 0 ]; then
  not_run "compute-sanitizer memcheck" "$(no_binary heatmark)"
elif [ "$dry_run" = 1 ]; then
  # No GPU, no sanitizer: the command it would check runs on the emulator.
  sanitizer_text="dry run: compute-sanitizer needs a GPU; the command it wraps ran on emu without it (compute-sanitizer ${sanitizer:-not found})"
  step "the sanitizer's command, on emu without it (dry run)" 25 4-sanitizer.log "${sanitized[@]}"
elif [ -z "$sanitizer" ]; then
  skip "compute-sanitizer memcheck" "compute-sanitizer not found (on PATH or next to nvcc)"
else
  sanitizer_text="memcheck, one training step of hrnet_w18_small 64x64 batch 2, hand-written kernels"
  step "compute-sanitizer memcheck, one small training step" 25 4-sanitizer.log \
    "$sanitizer" --tool memcheck --error-exitcode 1 --print-limit 20 "${sanitized[@]}"
fi

finished=1
failed_steps=0
for s in "${rec_status[@]}"; do
  case "$s" in ok | skipped*) ;; *) failed_steps=$((failed_steps + 1)) ;; esac
done
echo "$me: $([ "$failed_steps" = 0 ] && echo PASSED || echo "FAILED ($failed_steps steps)") in $(elapsed) s; report in $out" >&2
[ "$failed_steps" = 0 ]
