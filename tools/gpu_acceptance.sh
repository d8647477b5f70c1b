#!/usr/bin/env bash
# Usage: bash tools/gpu_acceptance.sh OUT_DIR   (the GPU acceptance run; at most 10 minutes)
# Runs the CUDA tests, the speed/memory benchmark, a short Potsdam pretraining + fine-tuning with
# AMP and dist_train.sh over NCCL; writes OUT_DIR/summary.md and OUT_DIR/summary.json
# (tools/misc/gpu_acceptance.py). Without a GPU it says so in one line and exits 0.
if [ "$1" = "-h" ] || [ "$1" = "--help" ] || [ $# -lt 1 ]; then
  sed -n '2s/^# //p' "$0"; [ $# -lt 1 ] && exit 2; exit 0
fi
if [ -z "$PYTHON" ] && [ -x "$(dirname "$0")/../.venv/bin/python" ] && [ -z "$VIRTUAL_ENV" ]; then
  PYTHON="$(dirname "$0")/../.venv/bin/python"  # the install_cpu.sh venv, when not activated
fi
PYTHON=${PYTHON:-python3}  # .gpu-node/env.sh (the offline install) sets the node's
# The checkout first on PYTHONPATH (as dist_train.sh does): its grass_mm, installed or not.
export PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" "$(dirname "$0")/misc/gpu_acceptance.py" "$@"
