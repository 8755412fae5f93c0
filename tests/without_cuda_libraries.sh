#!/usr/bin/env bash
# The release binary on a machine without the CUDA libraries: in a private
# mount namespace (needs root) the CUDA toolkit folders are covered by empty
# tmpfs mounts and every libcuda / libcudart / libcudnn / libcublas the loader
# could find is covered by /dev/null. Then everything that does not ask for
# the GPU must work, --kernels vendor on the CPU (oneDNN) included, and a
# vendor library that cannot be loaded must be one clear error line.
#
#   tests/without_cuda_libraries.sh HEATMARK_BINARY WORK_DIR
set -uo pipefail  # not -e: every check runs and reports
[ $# -eq 2 ] || { echo "usage: $0 HEATMARK_BINARY WORK_DIR" >&2; exit 2; }
binary="$(realpath "$1")" work="$2"

if [ "${HEATMARK_CUDA_HIDDEN:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: this test hides the CUDA libraries in a mount namespace and needs root" >&2; exit 1; }
  exec env HEATMARK_CUDA_HIDDEN=1 unshare --mount --propagation private "$0" "$@"
fi

# ---- inside the namespace: a venv laid out as pip's wheels, then hide CUDA ---------
# The venv's nvidia/ folders are the folders of the cuDNN and cuBLAS found now, bound
# read-only (nothing can delete through them) before the originals are hidden, in a
# tmpfs of this namespace that leaves nothing behind.
venv_root="$(mktemp -d)"
mount -t tmpfs none "$venv_root" || { echo "FAIL: cannot mount a tmpfs on $venv_root" >&2; exit 1; }
trap 'umount -R "$venv_root" && rmdir "$venv_root"' EXIT
venv="$venv_root/venv"
site="$venv/lib/python3.12/site-packages"
wheel_libraries=0
for lib in libcudnn libcublas; do
  file="$( { ldconfig -p | awk '{print $NF}'; find /usr/local/cuda*/lib* -maxdepth 1 -name "$lib.so.*" 2>/dev/null; } |
          grep -E "/$lib\.so\.[0-9]+$" | head -n 1)"
  [ -n "$file" ] || continue
  major="${file##*.so.}"
  case "$lib" in
    libcudnn) folder="$site/nvidia/cudnn/lib" ;;
    libcublas) [ "$major" -ge 13 ] && folder="$site/nvidia/cu$major/lib" || folder="$site/nvidia/cublas/lib" ;;
  esac
  mkdir -p "$folder"
  mount --bind "$(dirname "$file")" "$folder" && mount -o remount,bind,ro "$folder" ||
    { echo "FAIL: cannot bind $(dirname "$file") into the venv" >&2; exit 1; }
  wheel_libraries=$((wheel_libraries + 1))
done

hidden=0
for dir in /usr/local/cuda /usr/local/cuda-* /opt/cuda; do
  if [ -d "$dir" ] && [ ! -L "$dir" ]; then
    mount -t tmpfs none "$dir" || { echo "FAIL: cannot cover $dir" >&2; exit 1; }
    hidden=$((hidden + 1))
  fi
done
while read -r lib; do
  if [ -f "$lib" ]; then
    mount --bind /dev/null "$lib" || { echo "FAIL: cannot cover $lib" >&2; exit 1; }
    hidden=$((hidden + 1))
  fi
done < <( (ldconfig -p | awk '/libcuda\.so|libcudart\.so|libcudnn|libcublas/ {print $NF}';
          find /usr/lib /usr/lib64 /lib -name 'libcuda.so*' -o -name 'libcudnn*.so*' -o -name 'libcublas*.so*' 2>/dev/null) |
          sort -u)
unset CUDA_HOME CUDA_PATH LD_LIBRARY_PATH VIRTUAL_ENV CONDA_PREFIX  # every place cuda/vendor/cuda_libraries.h looks
echo "hidden: $hidden CUDA folders and libraries"

failures=0
check() {  # check WHAT EXPECTED_STATUS COMMAND...: runs it, output to $work/last.txt
  local what="$1" expected="$2"
  shift 2
  local status=0
  "$@" > "$work/last.txt" 2>&1 || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "FAIL: $what: exit status $status, expected $expected; output:"
    sed 's/^/   | /' "$work/last.txt"
    failures=$((failures + 1))
    return 1
  fi
  echo "ok: $what (exit $status)"
}

rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check "--help" 0 "$binary" --help && { grep -q "train" "$work/last.txt" || fail "--help does not list train"; }
check "--version" 0 "$binary" --version && sed 's/^/   | /' "$work/last.txt"
cp "$work/last.txt" "$work/version.txt"
if grep -Eq "^CUDA [0-9.]+ built in" "$work/last.txt"; then
  [ "$hidden" -gt 0 ] || fail "a CUDA build, but no CUDA folder or library was found to hide: the test proves nothing"
  # A CUDA build says which libraries it could not load, and why (one built without their
  # headers, that they are not built in).
  if ! grep -q "^vendor kernels: cuDNN and cuBLAS not built in" "$work/last.txt"; then
    grep -q "cannot load libcudnn" "$work/last.txt" || fail "--version does not report the missing cuDNN"
    grep -q "cannot load libcublas" "$work/last.txt" || fail "--version does not report the missing cuBLAS"
    # ... and finds them in an active venv's pip wheels, as PyTorch's venv has them.
    if [ "$wheel_libraries" -eq 2 ]; then
      check "--version with VIRTUAL_ENV" 0 env VIRTUAL_ENV="$venv" "$binary" --version &&
        { grep -Eq "^vendor kernels: cuDNN [0-9.]+; cuBLAS [0-9.]+$" "$work/last.txt" ||
          fail "with VIRTUAL_ENV set, --version did not load cuDNN and cuBLAS from the venv's wheels"; }
    else
      echo "not checked: no cuDNN and cuBLAS on this machine to lay out as a venv's wheels"
    fi
  fi
fi
check "synth" 0 "$binary" synth --out "$work/data" --count 8 --size 64 --landmarks 2 --seed 1
check "train --device cpu" 0 "$binary" train --data "$work/data" --device cpu --input-size 64 --epochs 1 --batch 4 \
  --out "$work/run"
check "inspect" 0 "$binary" inspect "$work/run/best.safetensors"
check "predict --device cpu" 0 "$binary" predict --model "$work/run/best.safetensors" --device cpu \
  "$work/data/images" --out "$work/points.csv"
[ -s "$work/points.csv" ] || fail "predict wrote no points"

# --kernels vendor on the CPU is oneDNN, which needs no CUDA library: it trains where oneDNN
# loads (a build with its headers, libdnnl on the machine). Where it cannot load (here, a file
# that HEATMARK_ONEDNN_LIBRARY names and that is missing), or the build has no oneDNN, it is
# exit 1 and exactly one line, the error, naming what is missing.
if grep -q "^CPU vendor kernels: oneDNN [0-9]" "$work/version.txt"; then
  check "train --device cpu --kernels vendor runs on oneDNN" 0 "$binary" train --data "$work/data" --device cpu \
    --kernels vendor --input-size 64 --epochs 1 --batch 4 --out "$work/onednn-run"
fi
if check "train --kernels vendor without oneDNN is refused" 1 env HEATMARK_ONEDNN_LIBRARY=/nonexistent/libdnnl.so.2 \
     "$binary" train --data "$work/data" --device cpu --kernels vendor --input-size 64 --epochs 1 --out "$work/vendor-run"; then
  lines=$(wc -l < "$work/last.txt")
  if [ "$lines" -ne 1 ] || ! grep -q '^heatmark: error: oneDNN: cannot load\|^heatmark: error: --kernels vendor' "$work/last.txt"; then
    fail "--kernels vendor should print one error line; it printed $lines:"
    sed 's/^/   | /' "$work/last.txt"
  else
    echo "   $(cat "$work/last.txt")"
  fi
  [ ! -e "$work/vendor-run" ] || fail "the refused run left a run folder"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed without the CUDA libraries"
  exit 1
fi
echo "everything but the GPU works without the CUDA libraries"
