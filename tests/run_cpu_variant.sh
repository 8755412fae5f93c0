#!/bin/sh
# run_cpu_variant.sh VARIANT COMMAND...: runs COMMAND with the CPU
# convolutions forced onto one micro-kernel variant (HEATMARK_CPU_KERNELS),
# or exits 77 (reported by ctest as skipped, not passed) with the reason when
# this CPU cannot run it.
variant="$1"
shift
case "$variant" in
  avx512) needs="avx512f" ;;
  avx2) needs="avx2 fma" ;;
  portable) needs="" ;;
  *) echo "run_cpu_variant.sh: unknown variant '$variant'" >&2; exit 2 ;;
esac
for flag in $needs; do
  if ! grep -qw "$flag" /proc/cpuinfo; then
    echo "skipped: this CPU has no $flag, so the $variant kernels cannot run here"
    exit 77
  fi
done
# These are extra runs of test cases the main run already counts: they do not
# sign the census (tools/check_test_census.sh), which wants each case once.
unset HEATMARK_TEST_CENSUS
HEATMARK_CPU_KERNELS="$variant" exec "$@"
