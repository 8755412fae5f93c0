#!/usr/bin/env bash
# Ablations of the CPU recipe at equal wall-clock time: the default of
# bench/isbi_budget.sh and one change each, all trained at the same time
# with one thread each, so that every variant gets the same share of the
# same machine for the same minutes. Each is scored with --stages 1 and 2.
#
#   bench/isbi_ablation.sh MINUTES [OUT.md]
#
# Variants: the default (256x320, EMA, 64 px refiner), a square 256 input,
# no weight average, and a 32 px refiner (a quarter of the refinement's cost
# at inference). Environment as bench/isbi_budget.sh (HEATMARK, ISBI_DATA).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:?usage: bench/isbi_ablation.sh MINUTES [OUT.md]}"
out="${2:-$root/bench/results/$(date +%Y-%m-%d)-isbi-ablation-${minutes}m.md}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

declare -A variants=(
  [default]=""
  [square-256]="--input-size 256"
  [no-ema]="--ema 0"
  [refiner-32px]="--refine-size 32"
)
names=(default square-256 no-ema refiner-32px)
for name in "${names[@]}"; do
  # shellcheck disable=SC2086  # the variant's flags split into words
  "$root/bench/isbi_budget.sh" "$minutes" --tag "$name" --out "$tmp/$name.md" --threads 1 ${variants[$name]} \
    > "$tmp/$name.log" 2>&1 &
done
wait

{
  echo "# ISBI 2015 ablations: $minutes minutes each, all at once, one thread each"
  echo
  echo "    bench/isbi_ablation.sh $minutes"
  echo
  echo "Each variant ran bench/isbi_budget.sh $minutes --threads 1 with one change, all ${#names[@]} at the same"
  echo "time on the same machine ($(nproc) cores), so each had the same share of it for the same wall-clock"
  echo "time: a smaller budget per variant than a run alone, the same for all. Validation: the 11 fixed"
  echo "images of bench/isbi2015_split/val.txt."
  echo
  echo "| variant | flags | stage 1 MRE mm | stage 1 SDR 2 mm % | stages 1+2 MRE mm | stages 1+2 SDR 2 mm % | refinement cost at inference |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for name in "${names[@]}"; do
    # The result table's rows: "| 1 | mre | px | sdr2 | ..." and "| 2 | ... | ms + ms (refinement N %) |".
    one="$(grep -E '^\| 1 \| [0-9]' "$tmp/$name.md" | head -1)"
    two="$(grep -E '^\| 2 \| [0-9]' "$tmp/$name.md" | head -1)"
    printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$name" "${variants[$name]:-(none)}" \
      "$(cut -d'|' -f3 <<< "$one" | xargs)" "$(cut -d'|' -f5 <<< "$one" | xargs)" \
      "$(cut -d'|' -f3 <<< "$two" | xargs)" "$(cut -d'|' -f5 <<< "$two" | xargs)" \
      "$(cut -d'|' -f9 <<< "$two" | sed 's/.*(refinement \(.*\))/\1/' | xargs)"
  done
  for name in "${names[@]}"; do
    echo
    echo "## $name"
    echo
    sed -n '/^| stages | MRE mm/,/^$/p' "$tmp/$name.md"
    sed -n '/^The trainer.s summary:/,$p' "$tmp/$name.md"
  done
} > "$out"
cat "$out"
echo "wrote $out"
