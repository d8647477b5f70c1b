#!/usr/bin/env bash
# Install the project on a GPU node without network, beside the node's own torch (never over it).
#
#   bash tools/install_offline.sh [WHEELHOUSE]   # default <repo>/.gpu-node/wheelhouse
#   source <repo>/.gpu-node/env.sh                # then python, pytest, tools/* use the install
#
# The wheelhouse is tools/build_wheelhouse.sh's. Its wheels go, with pip --no-index --no-deps, into
# a target folder that PYTHONPATH puts before the node's site-packages: no index, no dependency
# resolution, and torch, torchvision and numpy stay the node's. mmcv comes from the wheelhouse's
# wheel when the node's torch is the one it was built against, else it is compiled here from its
# source with the CPU ops (jobs = cores). Refuses, saying why, when the Python or torch does not
# match the wheelhouse or a package the wheelhouse relies on is missing. Ends with check_env.py.
# Prints each stage's seconds (and writes them to GRASS_MM_INSTALL_REPORT, if set, as JSON).
# Environment:
#   GRASS_MM_WHEELHOUSE  the wheelhouse, when not given as the argument
#   PYTHON          the node's interpreter, the one holding its torch (default: python3)
#   GRASS_MM_SITE   the target folder (default: <repo>/.gpu-node/site)
#   MAX_JOBS        compile jobs for an mmcv build (default: all cores)
set -euo pipefail
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
house=${1:-${GRASS_MM_WHEELHOUSE:-$root/.gpu-node/wheelhouse}}
site=${GRASS_MM_SITE:-$root/.gpu-node/site}
py=${PYTHON:-python3}
report=${GRASS_MM_INSTALL_REPORT:-}
stages=()
t=$SECONDS; start=$SECONDS
stage() {
  stages+=("\"$1\": $((SECONDS - t))"); echo "install_offline: $1 done in $((SECONDS - t)) s"
  t=$SECONDS
  if [ -n "$report" ]; then
    (IFS=,; echo "{${stages[*]}}") > "$report"
  fi
}
refuse() { echo "install_offline: $*" >&2; exit 2; }

[ -f "$house/MANIFEST.json" ] || refuse "no wheelhouse at $house (no MANIFEST.json): build one" \
  "with tools/build_wheelhouse.sh on a connected machine and carry it with the checkout"
command -v "$py" >/dev/null || refuse "no interpreter '$py': set PYTHON to the node's python"

# 1. Does this node match the wheelhouse? (Python ABI of the wheels, torch of the mmcv wheel,
#    the packages the wheelhouse leaves to the node.) Prints what to do with mmcv.
mmcv=$("$py" - "$house" <<'PY'
import importlib.metadata as md, json, os, platform, sys
house = sys.argv[1]
manifest = json.load(open(os.path.join(house, 'MANIFEST.json')))
here = '.'.join(platform.python_version_tuple()[:2])
def refuse(why):
    print(f'install_offline: {why}', file=sys.stderr)
    sys.exit(2)
if here != manifest['python']:
    refuse(f'this Python is {here}, the wheelhouse {house} holds cp{manifest["python"].replace(".", "")} '
           f'wheels: run with PYTHON set to a Python {manifest["python"]}, or build a wheelhouse '
           f'with this one (PYTHON312=... tools/build_wheelhouse.sh)')
missing = []
for name in manifest['provided']:
    try:
        md.version(name)
    except md.PackageNotFoundError:
        missing.append(name)
if missing:
    refuse(f'this node lacks {", ".join(missing)}, which the wheelhouse leaves to the node '
           f'(requirements/gpu-node-provided.txt); install them with the node\'s own tools')
try:
    import torch
except ImportError as err:
    refuse(f'torch does not import with {sys.executable} ({err}); set PYTHON to the node\'s python')
base = lambda v: v.split('+')[0]
wheel = [f for f in manifest['files'] if f.startswith('mmcv-') and f.endswith('.whl')]
source = [f for f in manifest['files'] if f.startswith('mmcv-') and f.endswith('.tar.gz')]
if wheel and base(torch.__version__) == base(manifest['mmcv_wheel_torch']):
    print('wheel:' + wheel[0])
elif source:
    print('source:' + source[0])
else:
    refuse(f'this node\'s torch is {torch.__version__}; the wheelhouse\'s mmcv wheel was built '
           f'against torch {manifest["mmcv_wheel_torch"]} and it holds no mmcv source to build')
PY
) || exit 2
stage "checked the node against the wheelhouse"

# 2. The wheels, into the target folder (mmcv's own wheel only when it fits this torch).
mkdir -p "$site"
pip=("$py" -m pip install -q --disable-pip-version-check --no-index --no-deps
     --upgrade --target "$site")
wheels=()
for w in "$house"/*.whl; do
  case $(basename "$w") in mmcv-*) ;; *) wheels+=("$w") ;; esac
done
"${pip[@]}" "${wheels[@]}"
stage "installed ${#wheels[@]} wheels into $site"

# 3. mmcv: the prebuilt wheel, or its CPU ops compiled against this torch (no GPU visible to the
#    build, else mmcv's setup.py compiles every CUDA kernel; the project calls none).
if [ "${mmcv%%:*}" = wheel ]; then
  "${pip[@]}" "$house/${mmcv#wheel:}"
  stage "installed mmcv from ${mmcv#wheel:}"
else
  echo "install_offline: compiling mmcv's CPU ops against this torch (${MAX_JOBS:-$(nproc)} jobs)"
  PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" CUDA_VISIBLE_DEVICES='' MMCV_WITH_OPS=1 \
    FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${pip[@]}" --no-build-isolation \
    "$house/${mmcv#source:}"
  stage "compiled mmcv from ${mmcv#source:}"
fi

# 4. The environment file, then the stack's own check.
cat > "$(dirname "$site")/env.sh" <<EOF
# written by tools/install_offline.sh: the offline install first, then this checkout
export PYTHONPATH="$site:$root\${PYTHONPATH:+:\$PYTHONPATH}"
export PATH="$site/bin:\$PATH"
export PYTHON="$(command -v "$py")"
EOF
PYTHONPATH="$site:$root${PYTHONPATH:+:$PYTHONPATH}" "$py" "$root/tools/misc/check_env.py"
stage "check_env"
echo "install_offline: done in $((SECONDS - start)) s; source $(dirname "$site")/env.sh"
