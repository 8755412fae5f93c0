#!/usr/bin/env bash
# The tests mirror the source tree: tests/<folder>/test_<name>.cpp tests the
# library or program folder <folder>/, and every test case in it is named
# "<name with spaces>: ...", so a test's name says where it lives. Helpers
# live in tests/support/, not in test files.
#
#   tests/check_test_layout.sh SOURCE_DIR
set -uo pipefail
root="${1:?usage: $0 SOURCE_DIR}"
cd "$root" || exit 2

problems=0 cases=0
for file in tests/*.cpp; do
  [ -e "$file" ] || continue
  echo "$file: test sources live in a folder named after the code they test"
  problems=$((problems + 1))
done
for file in tests/*/test_*.cpp; do
  folder="$(basename "$(dirname "$file")")"
  [ "$folder" = support ] && continue
  [ -d "$folder" ] || { echo "$file: there is no source folder $folder/"; problems=$((problems + 1)); }
  stem="$(basename "$file" .cpp)"
  prefix="${stem#test_}"
  prefix="${prefix//_/ }"
  while IFS=: read -r line name; do
    cases=$((cases + 1))
    if [[ "$name" == *";"* ]]; then
      # ctest's list separator: doctest_discover_tests splits the name there and the halves match nothing.
      echo "$file:$line: test case \"$name\" holds a ';'"
      problems=$((problems + 1))
    fi
    if [[ "$name" != "$prefix: "* ]]; then
      echo "$file:$line: test case \"$name\" should be named \"$prefix: ...\""
      problems=$((problems + 1))
    fi
  done < <(grep -nE '^[[:space:]]*TEST_CASE\("' "$file" | sed -E 's/^([0-9]+):[[:space:]]*TEST_CASE\("([^"]*)".*/\1:\2/')
done
for file in tests/support/*; do
  case "$(basename "$file")" in test_main.cpp) continue ;; test_*) echo "$file: a test in support/"; problems=$((problems + 1)) ;; esac
done

if [ "$problems" -ne 0 ]; then
  echo "test layout: $problems problem(s)"
  exit 1
fi
[ "$cases" -gt 100 ] || { echo "test layout: only $cases test cases found: the scan is broken"; exit 1; }
echo "test layout: $cases test cases, each named after its file, in a folder named after its code"
