#!/usr/bin/env bash
# Build the execution environment (`make ee`) with no registry and no network
# inside the build:
#   1. the base: a Debian rootfs made with mmdebstrap and `docker import`ed
#      (sandbox/bin/build-base-image.sh, parameterised); EE_SUITE picks the
#      Debian suite and so the Python (bookworm: 3.11; must be >= 3.11);
#   2. the build context: wheels `pip download`ed on the host for the base's
#      Python (installed in the build with pip --no-index), the collections of
#      requirements.yml copied from the host's pinned `ansible` package, the
#      host's docker client and Compose v2 plugin;
#   3. ansible-builder (pinned in requirements-dev.txt) builds FROM the local base.
# Skipped when the image's tgops.ee.hash label matches the inputs (like
# sandbox/bin/build-images.sh). Usage: ee/build.sh [--force]
# Environment: EE_SUITE (bookworm), EE_BASE_IMAGE (tgops-sandbox/ee-base:$EE_SUITE),
#   EE_IMAGE (tgops-ee/ee:latest), VENV (.venv), EE_DOCKER_CLI, EE_COMPOSE_PLUGIN.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EE_SUITE="${EE_SUITE:-bookworm}"
EE_BASE_IMAGE="${EE_BASE_IMAGE:-tgops-sandbox/ee-base:$EE_SUITE}"
EE_IMAGE="${EE_IMAGE:-tgops-ee/ee:latest}"
VENV="${VENV:-.venv}"
# The base: Python with pip and venv (Debian disables ensurepip, hence
# options.skip_pip_install in execution-environment.yml) and every system package of ee/bindep.txt (no apt-get in the build).
EE_PACKAGES="python3,python3-pip,python3-venv,ca-certificates,openssh-client,sqlite3,zstd,git"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1
log() { printf '[ee] %s\n' "$*"; }
t0=$(date +%s)

TGOPS_BASE_IMAGE="$EE_BASE_IMAGE" TGOPS_BASE_SUITE="$EE_SUITE" TGOPS_BASE_PACKAGES="$EE_PACKAGES" TGOPS_BASE_NO_RECOMMENDS=1 \
  sandbox/bin/build-base-image.sh
BASE_ID="$(docker image inspect -f '{{.Id}}' "$EE_BASE_IMAGE")"
PYVER="$(docker run --rm --network none "$EE_BASE_IMAGE" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if ! printf '%s\n' "3.11" "$PYVER" | sort -V -C; then
  log "the base $EE_BASE_IMAGE has Python $PYVER; ansible-core 2.19 needs >= 3.11 (EE_SUITE=bookworm or later)" >&2
  exit 1
fi

# The docker client and Compose plugin this host uses with this engine.
DOCKER_CLI="${EE_DOCKER_CLI:-$(command -v docker)}"
COMPOSE_PLUGIN="${EE_COMPOSE_PLUGIN:-$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' 2>/dev/null || true)}"
[ -x "$COMPOSE_PLUGIN" ] || { log "no Compose v2 plugin found (docker info); run scripts/install-host-deps.sh or set EE_COMPOSE_PLUGIN" >&2; exit 1; }

# The collections requirements.yml names, found in the venv's `ansible` package.
mapfile -t COLLECTIONS < <("$VENV/bin/python" - <<'PY'
import importlib, os, yaml
for c in yaml.safe_load(open("requirements.yml"))["collections"]:
    name = c["name"] if isinstance(c, dict) else c
    mod = importlib.import_module("ansible_collections." + name)
    print(name + " " + os.path.dirname(mod.__file__) if getattr(mod, "__file__", None) else name + " " + list(mod.__path__)[0])
PY
)

HASH="$( {
  sha256sum execution-environment.yml ee/requirements.txt ee/bindep.txt ee/build-requirements.txt ee/build.sh requirements.yml
  printf '%s %s %s\n' "$BASE_ID" "$PYVER" "$EE_SUITE"
  sha256sum "$DOCKER_CLI" "$COMPOSE_PLUGIN" | cut -d' ' -f1
  for entry in "${COLLECTIONS[@]}"; do sha256sum "${entry#* }/MANIFEST.json" | cut -d' ' -f1; done
} | sha256sum | cut -c1-16)"
CUR="$(docker image inspect -f '{{ index .Config.Labels "tgops.ee.hash" }}' "$EE_IMAGE" 2>/dev/null || true)"
if [ "$FORCE" = 0 ] && [ "$CUR" = "$HASH" ]; then
  log "$EE_IMAGE is up to date (Python $PYVER, base $EE_BASE_IMAGE)"
  exit 0
fi
OLD_ID="$(docker image inspect -f '{{.Id}}' "$EE_IMAGE" 2>/dev/null || true)"

CTX="ee/context"
BUILD="$(mktemp -d)"
LOG="$BUILD.log"
trap 'rm -rf "$CTX" "$BUILD" "$LOG"' EXIT
rm -rf "$CTX"
mkdir -p "$CTX/wheels" "$CTX/collections" "$CTX/bin"

log "downloading wheels for Python $PYVER into the build context"
pyabi="cp${PYVER/./}"
"$VENV/bin/pip" download -q --disable-pip-version-check -d "$CTX/wheels" --only-binary=:all: \
  --python-version "$PYVER" --implementation cp --abi "$pyabi" \
  --platform manylinux_2_36_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64 \
  ansible-core==2.19.14 ansible-runner==2.4.3 -r ee/requirements.txt -r ee/build-requirements.txt \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

for entry in "${COLLECTIONS[@]}"; do
  name="${entry% *}" src="${entry#* }"
  mkdir -p "$CTX/collections/${name%%.*}"
  tar -C "$(dirname "$src")" --exclude=__pycache__ -cf - "$(basename "$src")" | tar -C "$CTX/collections/${name%%.*}" -xf -
done
install -m 0755 "$DOCKER_CLI" "$CTX/bin/docker"
install -m 0755 "$COMPOSE_PLUGIN" "$CTX/bin/docker-compose"

log "building $EE_IMAGE FROM $EE_BASE_IMAGE with ansible-builder (collections: ${COLLECTIONS[*]%% *})"
# The legacy builder uses the local base image without any registry lookup.
if ! DOCKER_BUILDKIT=0 "$VENV/bin/ansible-builder" build -f execution-environment.yml -c "$BUILD" \
      --container-runtime docker -t "$EE_IMAGE" --build-arg "EE_BASE_IMAGE=$EE_BASE_IMAGE" \
      --extra-build-cli-args "--force-rm --label tgops.ee.hash=$HASH --label tgops.ee.python=$PYVER" -v 2 >"$LOG" 2>&1; then
  tail -n 60 "$LOG" >&2
  log "FAILED $EE_IMAGE (full log above)" >&2
  exit 1
fi
NEW_ID="$(docker image inspect -f '{{.Id}}' "$EE_IMAGE")"
if [ -n "$OLD_ID" ] && [ "$OLD_ID" != "$NEW_ID" ]; then
  docker rmi "$OLD_ID" >/dev/null 2>&1 || true
fi
log "built $EE_IMAGE (Python $PYVER) in $(( $(date +%s) - t0 ))s"
