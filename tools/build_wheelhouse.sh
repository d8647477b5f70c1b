#!/usr/bin/env bash
# Build the offline bundle for a GPU node without network (Python 3.12, its own torch 2.11).
#
#   bash tools/build_wheelhouse.sh [OUT]      # OUT defaults to <repo>/.gpu-node (ignored by git)
#
# Run on a connected x86-64 machine. Writes
#   OUT/wheelhouse/   requirements/gpu-node-lock.txt as cp312 wheels; mmcv 2.1.0 built with its CPU
#                     ops against the node's torch (requirements/gpu-node-provided.txt) and stripped
#                     of debug symbols; mmcv's source, for a node whose torch differs; MANIFEST.json
#   OUT/data/         the Potsdam crop that tools/gpu_first_run.sh reads (from GRASS_MM_DATA)
# prints each part's size, and fails when the wheelhouse is over 40 MiB. Idempotent: the mmcv
# wheel is rebuilt only when it is missing. Carry OUT to the node with the checkout.
# Environment:
#   PYTHON312            a Python 3.12 (default: python3.12 on PATH, else pyenv's 3.12.x)
#   GRASS_MM_BUILD_VENV  venv holding the node's torch for the mmcv build
#                        (default: ~/.cache/grass_mm/build-py312)
#   GRASS_MM_DATA        the data folder (default: <repo>/../shared/data)
#   MAX_JOBS             compile jobs for mmcv (default: all cores)
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$root/.gpu-node}" && cd "${1:-$root/.gpu-node}" && pwd)
house=$out/wheelhouse
venv=${GRASS_MM_BUILD_VENV:-$HOME/.cache/grass_mm/build-py312}
data=${GRASS_MM_DATA:-$root/../shared/data}
lock=$root/requirements/gpu-node-lock.txt
provided=$root/requirements/gpu-node-provided.txt
limit_mib=40
mkdir -p "$house"
pin() { grep -i "^$1==" "$provided" | head -n 1; }  # e.g. pin torch -> torch==2.11.0
stage() { echo "build_wheelhouse: $1 ($((SECONDS - t)) s)"; t=$SECONDS; }
t=$SECONDS; start=$SECONDS

# 1. A Python 3.12 venv with the node's torch and numpy, to compile mmcv against.
py312=${PYTHON312:-}
if [ -z "$py312" ]; then  # a pyenv shim on PATH may exist without running: try each
  for candidate in python3.12 "$HOME"/.pyenv/versions/3.12.*/bin/python3.12; do
    if "$candidate" -c '' 2>/dev/null; then py312=$candidate; break; fi
  done
fi
if [ -z "$py312" ]; then
  echo "build_wheelhouse: no Python 3.12 found; set PYTHON312" >&2; exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  "$py312" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "$(pin torch)" "$(pin numpy)" "$(pin setuptools)" "$(pin ninja)" "$(pin wheel)"
torch_version=$("$venv/bin/python" -c 'import torch; print(torch.__version__)')
stage "build venv ready: $venv (torch $torch_version)"

# 2. Every locked package but mmcv, as cp312 wheels (pure-Python ones are py3-none-any).
dl=("$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps
    --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64
    --platform manylinux2014_x86_64 -d "$house")
"${dl[@]}" $(grep -v '^#' "$lock" | grep -v '^mmcv==' | tr '\n' ' ')
stage "wheels downloaded"

# 3. mmcv: its source, and a wheel compiled with the CPU ops only (GraSS, FCN and DeepLabV3+
#    call no mmcv kernel; mmseg imports mmcv._ext, so the ops must exist). No GPU is visible to
#    the build, so mmcv's setup.py makes a CppExtension.
"$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --no-binary=:all: \
  "$(grep '^mmcv==' "$lock")" -d "$house"
if ! ls "$house"/mmcv-2.1.0-cp312-*.whl >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  CUDA_VISIBLE_DEVICES='' MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    "$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
    --no-build-isolation "$house"/mmcv-2.1.0.tar.gz -w "$tmp"
  stage "mmcv compiled"
  # Strip the debug symbols (most of the .so), and repack so that RECORD's hashes are right.
  "$venv/bin/python" -m wheel unpack -d "$tmp/unpacked" "$tmp"/mmcv-2.1.0-*.whl
  find "$tmp/unpacked" -name '*.so' -exec strip --strip-debug {} +
  "$venv/bin/python" -m wheel pack -d "$house" "$tmp"/unpacked/mmcv-2.1.0
  rm -rf "$tmp"
  stage "mmcv wheel stripped and packed"
fi

# 4. The manifest the installer checks the node against.
"$venv/bin/python" - "$house" "$torch_version" "$provided" <<'PY'
import hashlib, json, os, platform, sys
house, torch_version, provided = sys.argv[1:]
files = {f: dict(bytes=os.path.getsize(os.path.join(house, f)),
                 sha256=hashlib.sha256(open(os.path.join(house, f), 'rb').read()).hexdigest())
         for f in sorted(os.listdir(house)) if f.endswith(('.whl', '.tar.gz'))}
for f in files:  # never bring what the node has: its torch, torchvision, numpy
    assert not f.lower().startswith(('torch-', 'torchvision-', 'numpy-')), f
needs = [line.split('==')[0] for line in open(provided) if line.strip() and line[0] != '#']
json.dump(dict(python='.'.join(platform.python_version_tuple()[:2]), torch=torch_version,
               mmcv_wheel_torch=torch_version, provided=needs, files=files),
          open(os.path.join(house, 'MANIFEST.json'), 'w'), indent=1)
PY

# 5. The Potsdam crop for the acceptance run, beside the wheelhouse.
potsdam=$data/rs_benchmark_crops/pseudo_potsdam_dataset
if [ -d "$potsdam" ]; then
  mkdir -p "$out/data/rs_benchmark_crops"
  rm -rf "$out/data/rs_benchmark_crops/pseudo_potsdam_dataset"
  cp -r "$potsdam" "$out/data/rs_benchmark_crops/"
else
  echo "build_wheelhouse: no Potsdam crop at $potsdam (set GRASS_MM_DATA); the acceptance on" \
       "the node will need one" >&2
fi

mib() { du -sb "$1" | awk '{printf "%.1f", $1 / 1048576}'; }
tracked=$(cd "$root" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -n 1 | cut -f1)
echo "build_wheelhouse: wheelhouse $(mib "$house") MiB ($(ls "$house" | wc -l) files)," \
     "data $( [ -d "$out/data" ] && mib "$out/data" || echo 0) MiB, tracked files" \
     "$(awk -v b="$tracked" 'BEGIN {printf "%.1f", b / 1048576}') MiB; $((SECONDS - start)) s"
size=$(du -sb "$house" | cut -f1)
if [ "$size" -gt $((limit_mib * 1048576)) ]; then
  echo "build_wheelhouse: the wheelhouse is over $limit_mib MiB" >&2; exit 1
fi
