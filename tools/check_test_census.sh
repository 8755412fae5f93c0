#!/usr/bin/env bash
# Checks that a ctest run ran every test case of a doctest binary exactly
# once: the census (tests/support/test_main.cpp appends one line per test case that
# starts when HEATMARK_TEST_CENSUS is set) against the binary's own list.
# A test case that ctest never ran (a name that CMake's list splitting or a
# filter mangled, a skip decorator) or ran twice fails the check, naming it.
#
#   tools/check_test_census.sh CENSUS BINARY [doctest filter flags...]
#   tools/check_test_census.sh build/test_census.txt build/tests/heatmark_tests --test-case-exclude='*[slow]*'
#
# The filter flags must select what the ctest run selected (run_tests.sh
# passes the same exclusion to both).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CENSUS BINARY [doctest filter flags...]" >&2; exit 2; }
census="$1" binary="$2"
shift 2
[ -x "$binary" ] || { echo "test census: no test binary $binary" >&2; exit 1; }
[ -f "$census" ] || { echo "test census: no census file $census: did ctest run with HEATMARK_TEST_CENSUS set?" >&2; exit 1; }
name="$(basename "$binary")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --no-skip lists skipped test cases too, so that a skip is a missing run.
# The list is the test names between doctest's banner lines.
"$binary" --list-test-cases --no-skip "$@" | grep -v -e '^\[doctest\]' -e '^=\+$' | LC_ALL=C sort > "$tmp/listed"
awk -F'\t' -v b="$name" '$1 == b { sub(/^[^\t]*\t/, ""); print }' "$census" | LC_ALL=C sort > "$tmp/ran"

listed=$(wc -l < "$tmp/listed")
ran=$(wc -l < "$tmp/ran")
LC_ALL=C comm -23 "$tmp/listed" <(LC_ALL=C sort -u "$tmp/ran") > "$tmp/never"
LC_ALL=C comm -13 "$tmp/listed" <(LC_ALL=C sort -u "$tmp/ran") > "$tmp/unlisted"
LC_ALL=C uniq -d "$tmp/ran" > "$tmp/twice"

status=0
report() {  # report FILE WHAT
  if [ -s "$1" ]; then
    status=1
    echo "test census: $(wc -l < "$1") test case(s) of $name $2:"
    sed 's/^/   /' "$1"
  fi
}
report "$tmp/never" "listed but never run by ctest"
report "$tmp/twice" "run more than once"
report "$tmp/unlisted" "run but not in the list"
if [ "$listed" -eq 0 ]; then
  echo "test census: $name lists no test case"
  status=1
fi
if [ $status -eq 0 ]; then
  echo "test census: $name lists $listed test cases; ctest ran $ran, each exactly once"
else
  echo "test census: FAILED for $name ($listed listed, $ran runs)"
fi
exit $status
