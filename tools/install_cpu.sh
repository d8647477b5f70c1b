#!/usr/bin/env bash
# Reproducible CPU install of the whole stack (Python 3.11, torch 2.13.0 CPU) into a venv.
#
#   bash tools/install_cpu.sh            # creates/updates ./.venv
#
# Environment:
#   GRASS_MM_VENV    venv folder (default: <repo>/.venv)
#   GRASS_MM_WHEELS  folder holding a prebuilt mmcv-2.1.0 wheel (default: <repo>/../shared/wheels);
#                    without one, mmcv 2.1.0 is built from source with its CPU ops (9-25 min).
#   PYTHON           interpreter used to create the venv (default: python3)
# Idempotent: a second run only verifies. Why each step is the way it is: docs/en/get_started.md.
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${GRASS_MM_VENV:-$root/.venv}
wheels=${GRASS_MM_WHEELS:-$root/../shared/wheels}
start=$SECONDS

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip install --no-deps --disable-pip-version-check -q)

# 1. The pinned closure, without dependency resolution: nothing can drag in another torch.
"${pip[@]}" -r "$root/requirements/cpu-lock.txt"

# 2. mmcv 2.1.0 with compiled ops (mmseg needs mmcv._ext). Skipped when already present.
if ! "$py" -c "import mmcv, mmcv._ext; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  wheel=$(ls "$wheels"/mmcv-2.1.0-cp311-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ]; then
    echo "install_cpu: mmcv from prebuilt wheel $wheel"
    "${pip[@]}" "$wheel"
  else
    echo "install_cpu: building mmcv 2.1.0 with CPU ops from source (9-25 minutes on 2 cores)"
    # --no-build-isolation: an isolated build has no torch, and silently ships no ops.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${pip[@]}" --no-build-isolation mmcv==2.1.0
  fi
fi

# 3. This project. A regular install, so setup.py copies tools/ and configs/ into
#    grass_mm/.mim for `mim train grass_mm CONFIG` (PEP 660 editable installs have no .mim).
"${pip[@]}" --no-build-isolation --force-reinstall "$root"

# 4. A start-up hook so that `import torchvision` works even as a script's first line: the .pth
#    loads grass_mm/utils/torchvision_fix.py by path (not grass_mm, not torch) and installs a
#    finder that declares torchvision's op schemas at its first import (why: that module).
"$py" - <<'PY'
import sysconfig
# The guard: site may read the .pth twice (lib and lib64 of a venv).
line = ("import importlib.util as u, sys; n = 'grass_mm.utils.torchvision_fix'; "
        "s = n not in sys.modules and u.find_spec('grass_mm'); "
        "f = s and u.spec_from_file_location(n, "
        "s.submodule_search_locations[0] + '/utils/torchvision_fix.py'); "
        "m = f and u.module_from_spec(f); "
        "m and (sys.modules.setdefault(n, m), f.loader.exec_module(m), m.install_import_hook())\n")
with open(sysconfig.get_paths()['purelib'] + '/grass_mm_torchvision_fix.pth', 'w') as pth:
    pth.write(line)
PY

# 5. Verify the stack really works (compiled mmcv ops, torchvision on CPU torch, imports).
"$py" "$root/tools/misc/check_env.py"
echo "install_cpu: done in $((SECONDS - start)) s ($venv)"
