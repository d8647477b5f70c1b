#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
# On CPU the processes talk over gloo (the tools pick it when CUDA is absent).
if [ "$1" = "-h" ] || [ "$1" = "--help" ] || [ $# -lt 3 ]; then
  sed -n '2s/^# //p' "$0"; [ $# -lt 3 ] && [ "$1" != "-h" ] && [ "$1" != "--help" ] && exit 2; exit 0
fi
if [ ! -f "$1" ]; then
  echo "$(basename "$0"): CONFIG $1: no such config" >&2; exit 2
fi
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
torchrun \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/test.py" \
    "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
