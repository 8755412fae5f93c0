#!/usr/bin/env bash
# tools/gpu_check.sh without a GPU, so that its first run on one works:
#   1. --dry-run on this build (the emulator standing in for the GPU): every
#      stage runs and passes, the report is at most 6 files, a summary with
#      every stage and its figures and an archive of the logs, and PyTorch is
#      "ok" only where a python3 imports torch, "skipped: no PyTorch" elsewhere;
#   2. a build folder without the programs: every step that needs them is
#      NOT RUN, PyTorch "skipped: no PyTorch", exit status 1, the report still
#      written;
#   3. an overall deadline that has passed: every step NOT RUN, exit status 1;
#   4. bad flags: one error line naming the flag, exit status 1; --help.
#
#   tests/gpu_check_dry_run.sh GPU_CHECK BUILD_DIR WORK_DIR
set -uo pipefail
[ $# -eq 3 ] || { echo "usage: $0 GPU_CHECK BUILD_DIR WORK_DIR" >&2; exit 2; }
script="$1" build="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_in() {  # FILE TEXT: the file holds the text (fixed string)
  grep -qF -- "$2" "$1" || fail "$(basename "$(dirname "$1")")/$(basename "$1") lacks: $2"
}
check_report() {  # DIR: at most 6 files, the summary, and an archive of logs/
  local dir="$1" files
  files=$(find "$dir" -type f | wc -l)
  [ "$files" -le 6 ] || fail "$dir holds $files files (at most 6)"
  [ -s "$dir/summary.md" ] || fail "$dir has no summary.md"
  tar -tzf "$dir/logs.tar.gz" > "$work/archive.txt" 2>&1 || fail "$dir/logs.tar.gz is not a tar.gz archive"
  grep -q '^logs/0-checks.log$' "$work/archive.txt" || fail "$dir/logs.tar.gz lacks logs/0-checks.log"
}

# ---- 1. the dry run ----------------------------------------------------------------
start=$SECONDS
status=0
# PYTHON unset: the script then tries python3 and /usr/bin/python3, as the check below does.
env -u PYTHON "$script" --dry-run --build "$build" --no-build --out "$work/report" > "$work/dry-run.txt" 2>&1 || status=$?
echo "dry run: exit status $status in $((SECONDS - start)) s"
sed 's/^/   | /' "$work/dry-run.txt"
[ "$status" -eq 0 ] || fail "the dry run exited with status $status"
summary="$work/report/summary.md"
check_report "$work/report"
if [ -s "$summary" ]; then
  expect_in "$summary" "**PASSED**"
  expect_in "$summary" "| mode | **dry run**"
  # Every stage has a step that ran and passed.
  for stage in "0. checks" "1. tests" "2. lab and layers" "3. training step" "4. sanitizer"; do
    grep -qE "^\| $stage \| [^|]+ \| ok \|" "$summary" || fail "no step of stage '$stage' ran and passed"
  done
  for log in 1-suite 1-census 1-end-to-end 2-lab-conv2d_forward 2-lab-batch_norm2d 2-lab-conv2d_backward_weight 2-ops-a 2-ops-b 3-train-vendor 3-train-handwritten 4-sanitizer; do
    grep -qE "^\| [^|]+ \| [^|]+ \| ok \| [0-9.]+ s \| [0-9]+ s \| $log.log \|" "$summary" ||
      fail "the step with $log.log did not pass"
  done
  # The figures pulled from the logs.
  expect_in "$summary" "100% tests passed, 0 tests failed out of"
  expect_in "$summary" "each exactly once"
  expect_in "$summary" "every version agrees with the CPU reference"
  expect_in "$summary" "all conv layers of hrnet_w18_small at 64x64"
  grep -qE '^\| heatmark, handwritten kernels \(emu\) \| ok \| [0-9]+\.[0-9] \|' "$summary" ||
    fail "the summary has no ms/step for the hand-written training step"
  expect_in "$summary" "conv forward"
  # PyTorch as it is: ok where torch imports (the script tries python3, then /usr/bin/python3).
  torch=0
  for py in python3 /usr/bin/python3; do
    command -v "$py" > /dev/null 2>&1 && "$py" -c 'import torch' > /dev/null 2>&1 && torch=1
  done
  if [ "$torch" = 1 ]; then
    grep -qE '^\| 3\. training step \| PyTorch eager[^|]* \| ok \|' "$summary" || fail "PyTorch imports here, but its step is not ok"
    grep -qE '^\| PyTorch eager \(torch [^|]*\) \| ok \| [0-9]+\.[0-9] \|' "$summary" || fail "no ms/step for PyTorch"
  else
    grep -qE '^\| 3\. training step \| PyTorch eager[^|]* \| skipped: no PyTorch' "$summary" ||
      fail "PyTorch does not import here, but its step does not say 'skipped: no PyTorch'"
  fi
fi

# ---- 2. a build folder without the programs ----------------------------------------------
mkdir -p "$work/empty-build"
touch "$work/empty-build/CMakeCache.txt"
status=0
PYTHON="$work/no-such-python3" "$script" --dry-run --build "$work/empty-build" --no-build --out "$work/report-empty" \
  > "$work/empty.txt" 2>&1 || status=$?
[ "$status" -eq 1 ] || { fail "without programs: exit status $status, expected 1"; sed 's/^/   | /' "$work/empty.txt"; }
check_report "$work/report-empty"
if [ -s "$work/report-empty/summary.md" ]; then
  expect_in "$work/report-empty/summary.md" "**FAILED**"
  expect_in "$work/report-empty/summary.md" "| op harness and device tests on emu | NOT RUN: heatmark_tests is not in $work/empty-build (--no-build)"
  expect_in "$work/report-empty/summary.md" "| kernel lab | NOT RUN: heatmark_lab is not in $work/empty-build (--no-build)"
  expect_in "$work/report-empty/summary.md" \
    "| PyTorch eager, same model and shapes | skipped: no PyTorch (tried: $work/no-such-python3 (not found))"
fi

# ---- 3. a deadline that has passed ----------------------------------------------------------
status=0
"$script" --dry-run --build "$build" --no-build --deadline 1 --out "$work/report-late" > "$work/late.txt" 2>&1 ||
  status=$?
[ "$status" -eq 1 ] || { fail "past the deadline: exit status $status, expected 1"; sed 's/^/   | /' "$work/late.txt"; }
check_report "$work/report-late"
[ -s "$work/report-late/summary.md" ] &&
  expect_in "$work/report-late/summary.md" "| kernel lab, batch_norm2d | NOT RUN: the overall deadline (1 s) was reached"

# ---- 4. flags -------------------------------------------------------------------------------
expect_refusal() {  # EXPECTED_LINE ARGS...: one line on stderr, exit status 1
  local expected="$1" status=0
  shift
  "$script" "$@" > "$work/flag.out" 2> "$work/flag.err" || status=$?
  [ "$status" -eq 1 ] || fail "'$*': exit status $status, expected 1"
  [ "$(cat "$work/flag.err")" = "$expected" ] || fail "'$*': stderr '$(cat "$work/flag.err")', expected '$expected'"
  [ ! -s "$work/flag.out" ] || fail "'$*' printed on stdout"
}
expect_refusal "gpu_check.sh: error: unknown option '--frobnicate' (see --help)" --frobnicate
expect_refusal "gpu_check.sh: error: --out needs a value (see --help)" --out
expect_refusal "gpu_check.sh: error: --deadline 'soon': expected a positive whole number of seconds" --deadline soon
expect_refusal "gpu_check.sh: error: --jobs '0': expected a positive whole number" --jobs=0
expect_refusal "gpu_check.sh: error: --dry-run takes no value (got 'yes')" --dry-run=yes
expect_refusal "gpu_check.sh: error: --no-build: '$work/nothing' holds no configured build (no CMakeCache.txt)" \
  --no-build --build "$work/nothing" --out "$work/unused"
"$script" --help > "$work/help.txt" 2>&1 || fail "--help exited with status $?"
grep -q '^usage: tools/gpu_check.sh ' "$work/help.txt" || fail "--help prints no usage line"

if [ "$failures" -ne 0 ]; then
  echo "gpu_check.sh: $failures problem(s)"
  [ -s "$summary" ] && sed 's/^/   summary | /' "$summary"
  exit 1
fi
echo "gpu_check.sh: the dry run ran every stage, and the refusals and the report are as expected"
