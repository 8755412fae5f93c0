#!/usr/bin/env bash
# The libraries form a DAG, read from the code itself: every #include "dir/..."
# in a library's files must name the library itself or one it depends on
# (directly or through others), as declared below and drawn in
# docs/ARCHITECTURE.md. An include of a library above, or beside, fails the
# check, naming the file and line, so the graph cannot break silently.
#
#   tests/check_library_dag.sh SOURCE_DIR
set -uo pipefail
root="${1:?usage: $0 SOURCE_DIR}"
cd "$root" || exit 2

# library -> the libraries it uses directly. Programs (tools/, the kernel lab,
# tests/, fuzz/) sit on top and may include anything.
declare -A uses=(
  [base]=""
  [cuda]="base"
  [tensor]="base cuda"
  [autograd]="tensor"
  [layers]="autograd"
  [hrnet]="layers data"
  [harness]="autograd"
  [data]="tensor"
  [infer]="hrnet data"
  [train]="hrnet data infer"
)

# The library a file belongs to (empty for programs).
library_of() {
  case "$1" in
    cuda/lab/*) echo "" ;;
    */*) local top="${1%%/*}"; [ -n "${uses[$top]+set}" ] && echo "$top" || echo "" ;;
    *) echo "" ;;
  esac
}

# The libraries `$1` may include: itself and the closure of its uses.
allowed_for() {
  local -A seen=()
  local queue=("$1") lib
  while [ ${#queue[@]} -gt 0 ]; do
    lib="${queue[0]}"
    queue=("${queue[@]:1}")
    [ -n "${seen[$lib]+set}" ] && continue
    seen[$lib]=1
    for dep in ${uses[$lib]}; do queue+=("$dep"); done
  done
  echo "${!seen[@]}"
}

violations=0 checked=0
for lib in "${!uses[@]}"; do
  [ -d "$lib" ] || { echo "library folder $lib/ is declared here but does not exist"; violations=$((violations + 1)); continue; }
  allowed=" $(allowed_for "$lib") "
  while IFS=: read -r file line text; do
    [ "$(library_of "$file")" = "$lib" ] || continue
    target="$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<< "$text")"
    checked=$((checked + 1))
    [ "$target" = heatmark ] && continue  # generated headers (heatmark/version.h): no library
    if [[ "$allowed" != *" $target "* ]]; then
      echo "$file:$line: $lib/ includes $target/ ($text), but $lib uses only: ${uses[$lib]:-nothing}"
      violations=$((violations + 1))
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$lib" \
             --include='*.h' --include='*.cpp' --include='*.cu' --include='*.cuh' --include='*.inc' --include='*.in')
done

# The deployment programs use the deployment libraries only: predict and the
# Detector example never reach the training code or the test harness.
for file in tools/commands_predict.cpp tools/detect_example.cpp; do
  [ -f "$file" ] || { echo "$file is missing"; violations=$((violations + 1)); continue; }
  while IFS=: read -r line text; do
    echo "$file:$line: a deployment program includes training or test code: $text"
    violations=$((violations + 1))
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"(train|harness|tests)/' "$file")
done

# Every folder holding library code must be declared, or it escapes the check.
for dir in */; do
  dir="${dir%/}"
  case "$dir" in tools | tests | fuzz | bench | docs | cmake | build* | .*) continue ;; esac
  if [ -z "${uses[$dir]+set}" ] && ls "$dir"/*.cpp "$dir"/*.h > /dev/null 2>&1; then
    echo "$dir/ holds code but is not declared in $0"
    violations=$((violations + 1))
  fi
done

if [ "$violations" -ne 0 ]; then
  echo "library DAG: $violations violation(s)"
  exit 1
fi
[ "$checked" -gt 100 ] || { echo "library DAG: only $checked includes found: the scan is broken"; exit 1; }
echo "library DAG: $checked includes in ${#uses[@]} libraries, none upward or sideways"
