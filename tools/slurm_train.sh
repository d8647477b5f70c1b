#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
if [ "$1" = "-h" ] || [ "$1" = "--help" ] || [ $# -lt 3 ]; then
  sed -n '2s/^# //p' "$0"; [ $# -lt 3 ] && [ "$1" != "-h" ] && [ "$1" != "--help" ] && exit 2; exit 0
fi
if [ ! -f "$3" ]; then
  echo "$(basename "$0"): CONFIG $3: no such config" >&2; exit 2
fi
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:5}
WORK_DIR_ARG=${WORK_DIR:+--work-dir=${WORK_DIR}}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/train.py" "${CONFIG}" ${WORK_DIR_ARG} --launcher="slurm" ${PY_ARGS}
