#!/usr/bin/env bash
# Installs the Debian packages heatmark builds with, if any are missing.
# Needs root (or sudo) only when something is missing. CUDA is optional and
# not installed here: without nvcc the build is CPU-only.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  doctest-dev          # tests
  nlohmann-json3-dev   # configs, model metadata
  libcli11-dev         # command line
  libfmt-dev           # formatting
  libstb-dev           # BMP decoding, PNG writing
  libpng-dev           # PNG decoding, row by row (libpng.a for the static build)
  libjpeg62-turbo-dev  # JPEG decoding, row by row (libjpeg-turbo; libjpeg.a for the static build)
  zlib1g-dev           # CRC-32 checksums of model files and checkpoints, PNG's deflate
  libdnnl-dev          # oneDNN 2 headers: --kernels vendor on the CPU (the library is loaded at run time, not linked)
  clang-14 libclang-rt-14-dev libomp-14-dev  # clang, libFuzzer and its OpenMP: the fuzz targets in fuzz/
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install_deps: not a Debian system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install_deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
