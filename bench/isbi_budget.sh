#!/usr/bin/env bash
# Accuracy per CPU-hour on real cephalograms: trains on ../shared/data/isbi2015
# within a wall-clock budget (everything included: loading, both stages,
# validation), on the fixed split of bench/isbi2015_split/, then scores the
# best model on the validation images with --stages 1 and --stages 2 and
# writes a result file.
#
#   bench/isbi_budget.sh MINUTES [--tag NAME] [--out RESULT.md] [heatmark train flags...]
#
# The default flags are the setup of the 45-minute result (listed below);
# flags given here are added after them, so they win. The result file (default
# bench/results/DATE-isbi-budget-MINUTESm[-TAG].md) holds the command, the
# machine, MRE and SDR at 2/2.5/3/4 mm for each stage, the per-landmark table,
# the S and Me errors at a 768 px scale, and predict's time per image.
# Environment: HEATMARK (the binary; default build/tools/heatmark),
# ISBI_DATA (default ../shared/data/isbi2015 next to the repository),
# RUN_DIR (the training run folder; default a temporary one, removed after).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:?usage: bench/isbi_budget.sh MINUTES [--tag NAME] [--out FILE] [train flags...]}"
shift
tag="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
heatmark="${HEATMARK:-$root/build/tools/heatmark}"
data="${ISBI_DATA:-$root/../shared/data/isbi2015}"
[ -x "$heatmark" ] || { echo "bench/isbi_budget.sh: no heatmark binary at $heatmark (build first, or set HEATMARK)" >&2; exit 1; }
[ -f "$data/landmarks.csv" ] || { echo "bench/isbi_budget.sh: no ISBI 2015 dataset at $data (set ISBI_DATA)" >&2; exit 1; }
[ -z "$out" ] && out="$root/bench/results/$(date +%Y-%m-%d)-isbi-budget-${minutes}m${tag:+-$tag}.md"
if [ -n "${RUN_DIR:-}" ]; then run="$RUN_DIR"; else run="$(mktemp -d)/run"; trap 'rm -rf "$(dirname "$run")"' EXIT; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"; [ -n "${RUN_DIR:-}" ] || rm -rf "$(dirname "$run")"' EXIT

# The setup of bench/results/2026-12-01-isbi-budget-45m.md: the 4:5 aspect
# ratio kept at 256x320, batch 8, sigma 2, the loss balance of DESIGN.md, a
# weight average for validation and best, and the refiner trained in the last
# quarter of the budget. The ablations (bench/isbi_ablation.sh) found no gain
# from the weight average, and a square input ahead at a small budget.
defaults=(--input-size 256x320 --batch 8 --sigma 2 --heatmap-weight 10 --coord-weight 0.5 --ema 0.998
          --refine --refine-share 0.25)
flags=(train --data "$data" --train-list "$root/bench/isbi2015_split/train.txt"
       --val-list "$root/bench/isbi2015_split/val.txt" --seed 0 --time-budget "${minutes}m"
       "${defaults[@]}" "$@" --out "$run")
echo "== heatmark ${flags[*]}"
start=$SECONDS
"$heatmark" "${flags[@]}" | tee "$tmp/train.log" | grep -v '^epoch .* step ' || true
[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench/isbi_budget.sh: training failed" >&2; exit 1; }
wall=$((SECONDS - start))

for stages in 1 2; do
  "$heatmark" eval --model "$run/best.safetensors" --run "$run" --stages "$stages" --json "$tmp/eval$stages.json" \
    > "$tmp/eval$stages.txt"
  "$heatmark" predict --model "$run/best.safetensors" --stages "$stages" --batch 11 \
    $(sed "s|^|$data/|" "$root/bench/isbi2015_split/val.txt") --out "$tmp/predict$stages.json" > "$tmp/predict$stages.txt"
done

# The figures, from eval's JSON (python3's standard library only). The
# command and the trainer's lines are shown without this machine's paths:
# the repository's files relative to it, the run folder as RUN.
command="${flags[*]}"
command="${command//$run/RUN}"
command="${command//$root\//}"
python3 - "$tmp" "$out" "$minutes" "$wall" "$heatmark" "$command" "$tag" "$run" "$(realpath "$data")" \
  "${data#"$root/"}" <<'EOF'
import json, platform, subprocess, sys, os, re
tmp, out, minutes, wall, heatmark, command, tag, run, data_real, data_shown = sys.argv[1:11]
ev = {s: json.load(open(f"{tmp}/eval{s}.json")) for s in (1, 2)}
def predict_ms(s):
    text = open(f"{tmp}/predict{s}.txt").read()
    m = re.search(r"time per image: stage 1 ([0-9.]+) ms(?:, stage 2 \(refinement\) ([0-9.]+) ms)?", text)
    return float(m.group(1)), float(m.group(2)) if m.group(2) else 0.0
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
version = subprocess.run([heatmark, "--version"], capture_output=True, text=True).stdout.splitlines()
train_log = open(f"{tmp}/train.log").read().splitlines()
summary = [l.replace(run, "RUN").replace(data_real, data_shown) for l in train_log
           if l.startswith(("stage 1 alone", "best epoch", "constant predictor", "the time budget", "refiner:", "model:",
                            "data:"))]
lines = [f"# ISBI 2015 in {minutes} minutes of CPU" + (f": {tag}" if tag else ""),
         "", "Command (bench/isbi_budget.sh):", "", f"    heatmark {command}", "",
         f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
         f"{version[0] if version else 'heatmark'}. Wall time of the training command: {int(wall) / 60:.1f} min.", "",
         "Validation split: the 11 images of bench/isbi2015_split/val.txt (99 train), fixed; "
         "the held-out test set that judges the product is not in this repository.", "",
         "| stages | MRE mm | MRE px | SDR 2 mm % | SDR 2.5 mm % | SDR 3 mm % | SDR 4 mm % | predict ms/image |",
         "| --- | --- | --- | --- | --- | --- | --- | --- |"]
for s in (1, 2):
    e, (ms1, ms2) = ev[s], predict_ms(s)
    sdr = e["sdr_percent"]
    timing = f"{ms1:.0f}" if s == 1 else f"{ms1:.0f} + {ms2:.0f} (refinement {100 * ms2 / max(ms1, 1e-9):.0f} %)"
    lines.append(f"| {e['stages']} | {e['mre_mm']:.3f} | {e['mre_px']:.2f} | {sdr['2mm']:.1f} | {sdr['2.5mm']:.1f} | "
                 f"{sdr['3mm']:.1f} | {sdr['4mm']:.1f} | {timing} |")
# The founding method's target: S and Me under 10 px (stretch 5 px) at a 768 px scale. The skull images are
# 240 mm tall (2400 px at 0.1 mm), so at 768 px on the long side one pixel is 240 / 768 = 0.3125 mm.
lines += ["", "S and Me at a 768 px scale (mm / 0.3125; target under 10 px, stretch under 5 px):", "",
          "| stages | S px | Me px |", "| --- | --- | --- |"]
for s in (1, 2):
    per = {l["name"]: l["mre_mm"] for l in ev[s]["landmarks"]}
    lines.append(f"| {s} | {per['S (sella)'] / 0.3125:.1f} | {per['Me (menton)'] / 0.3125:.1f} |")
lines += ["", "Per landmark, MRE in mm:", "", "| landmark | stage 1 | stages 1+2 |", "| --- | --- | --- |"]
for a, b in zip(ev[1]["landmarks"], ev[2]["landmarks"]):
    lines.append(f"| {a['name']} | {a['mre_mm']:.2f} | {b['mre_mm']:.2f} |")
lines += ["", "The trainer's summary:", ""] + [f"    {l}" for l in summary] + [""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
print(f"wrote {out}")
EOF
