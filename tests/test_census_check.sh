#!/usr/bin/env bash
# The census check itself (tools/check_test_census.sh) catches what it is for:
# given the test binary's own list as the census it passes; with one test
# case missing, one run twice or one unknown, it fails and names each.
#   tests/test_census_check.sh TEST_BINARY WORK_DIR
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 TEST_BINARY WORK_DIR" >&2; exit 2; }
binary="$1" work="$2"
check="$(dirname "$0")/../tools/check_test_census.sh"
name="$(basename "$binary")"
rm -rf "$work" && mkdir -p "$work"
"$binary" --list-test-cases --no-skip | grep -v -e '^\[doctest\]' -e '^=\+$' | sed "s/^/$name\t/" > "$work/complete"
[ "$(wc -l < "$work/complete")" -gt 10 ] || { echo "FAIL: the binary lists too few test cases"; exit 1; }
missing_name="$(sed -n 3p "$work/complete" | cut -f2-)"
twice_name="$(sed -n 5p "$work/complete" | cut -f2-)"
sed 3d "$work/complete" > "$work/missing"
{ cat "$work/complete"; sed -n 5p "$work/complete"; } > "$work/twice"
{ cat "$work/complete"; printf '%s\tsplit half of a name\n' "$name"; } > "$work/unknown"

failures=0
expect() {  # expect STATUS CENSUS TEXT...
  local status=0 census="$2" expected="$1"
  shift 2
  "$check" "$work/$census" "$binary" > "$work/$census.out" 2>&1 || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "FAIL: census '$census': exit $status, expected $expected"; sed 's/^/   | /' "$work/$census.out"
    failures=$((failures + 1)); return
  fi
  for text in "$@"; do
    grep -qF -- "$text" "$work/$census.out" || { echo "FAIL: census '$census' output lacks: $text"; failures=$((failures + 1)); }
  done
  echo "ok: census '$census' (exit $status)"
}
expect 0 complete "each exactly once"
expect 1 missing "listed but never run by ctest" "$missing_name"
expect 1 twice "run more than once" "$twice_name"
expect 1 unknown "run but not in the list" "split half of a name"
[ "$failures" -eq 0 ] || exit 1
echo "the census check catches a missing, a repeated and an unknown test case"
