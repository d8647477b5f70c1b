#!/usr/bin/env bash
# Usage: bash tools/gpu_first_run.sh OUT_DIR [--cpu-smoke]   (a GPU node's first run: 9 minutes)
#
# One command for a node without network: the offline install (tools/install_offline.sh, from
# .gpu-node/ that tools/build_wheelhouse.sh made), then the acceptance steps
# (tools/misc/gpu_acceptance.py) in what is left of the budget. OUT_DIR/summary.md and
# summary.json are written even when the install fails, a step fails or time runs out.
# Environment:
#   PYTHON                     the node's python (default: python3)
#   GRASS_MM_WHEELHOUSE, GRASS_MM_SITE   as for tools/install_offline.sh
#   GRASS_MM_FIRST_RUN_BUDGET  seconds for all of it (default: 540)
#   GRASS_MM_DATA              the folder holding rs_benchmark_crops/ (default: .gpu-node/data)
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] || [ $# -lt 1 ]; then
  sed -n '2s/^# //p' "$0"; [ $# -lt 1 ] && exit 2; exit 0
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$1; shift
budget=${GRASS_MM_FIRST_RUN_BUDGET:-540}
export PYTHON=${PYTHON:-python3}
export GRASS_MM_DATA=${GRASS_MM_DATA:-$root/.gpu-node/data}
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "gpu_first_run: OUT_DIR $out is not empty; give a new folder" >&2; exit 2
fi
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
start=$SECONDS

# 1. The offline install, at most a third of the budget (an mmcv build from source included).
GRASS_MM_INSTALL_REPORT="$out/install.json" timeout -k 10 $((budget / 3)) \
  bash "$root/tools/install_offline.sh" > "$out/logs/install.log" 2>&1
code=$?
cat "$out/logs/install.log"
if [ $code -ne 0 ]; then
  # The stack is not there, so the summary is written here, from the install's own words.
  "$PYTHON" - "$out" "$code" "$((SECONDS - start))" <<'PY'
import json, os, sys
out, code, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lines = open(os.path.join(out, 'logs', 'install.log')).read().strip().splitlines()
why = 'timed out' if code in (124, 137) else f'exit {code}: ' + (lines[-1] if lines else '')
step = dict(step='offline_install', status='fail', seconds=seconds, log='logs/install.log',
            detail=why[:300])
json.dump(dict(device='not reached', finished=True, passed=False, seconds=seconds, steps=[step]),
          open(os.path.join(out, 'summary.json'), 'w'), indent=2)
open(os.path.join(out, 'summary.md'), 'w').write(
    '# GPU acceptance: FAILED\n\nThe offline install failed; no step ran.\n\n'
    '| step | status | seconds | detail |\n|---|---|---|---|\n'
    f'| offline_install | fail | {seconds} | {step["detail"]} |\n')
PY
  echo "gpu_first_run: the offline install failed; $out/summary.md"
  exit 1
fi

# 2. The acceptance, in what is left (its own steps stop at the deadline; the outer timeout's
#    SIGTERM makes it write the summary of the steps so far).
site=${GRASS_MM_SITE:-$root/.gpu-node/site}
source "$(dirname "$site")/env.sh"
left=$((budget - (SECONDS - start)))
timeout -k 20 "$left" "$PYTHON" "$root/tools/misc/gpu_acceptance.py" "$out" \
  --budget $((left - 15)) --install-report "$out/install.json" "$@"
