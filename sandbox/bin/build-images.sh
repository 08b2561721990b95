#!/usr/bin/env bash
# Build the sandbox images FROM tgops-sandbox/base:bookworm (no registry needed).
# Each image carries a label tgops.sandbox.hash = sha256(source dir + variant + base image id);
# an image whose label matches is skipped. Usage: build-images.sh [--force] [todo|sprint|postgres|fake-telegram ...]
# bare-host (tgops-bare/host:trixie) and bare-host-bookworm, the bare VPS of tests/integration/test_bare_host.py, are
# built only when named: mmdebstrap + docker import by images/bare-host/build.sh (its own content-hash label).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SANDBOX="$(dirname "$HERE")"
BASE="${TGOPS_BASE_IMAGE:-tgops-sandbox/base:bookworm}"
FORCE=0
WANT=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    *) WANT+=("$a") ;;
  esac
done
[ ${#WANT[@]} -eq 0 ] && WANT=(fake-telegram postgres todo sprint)

"$HERE/build-base-image.sh"
BASE_ID="$(docker image inspect -f '{{.Id}}' "$BASE")"
export DOCKER_BUILDKIT=0   # the legacy builder uses the local base image without any registry lookup
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

dir_hash() {
  (cd "$1" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z \
     | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

build() { # name tag app_version
  local name="$1" tag="$2" ver="$3" image="tgops-sandbox/$1:$2" h cur t0
  h="$(printf '%s %s %s' "$(dir_hash "$SANDBOX/images/$name")" "$ver" "$BASE_ID" | sha256sum | cut -c1-16)"
  cur="$(docker image inspect -f '{{ index .Config.Labels "tgops.sandbox.hash" }}' "$image" 2>/dev/null || true)"
  if [ "$FORCE" = 0 ] && [ "$cur" = "$h" ]; then
    echo "[build-images] $image is up to date"
    return
  fi
  t0=$(date +%s)
  if ! docker build -q --build-arg "APP_VERSION=$ver" --label "tgops.sandbox.hash=$h" \
      --label "tgops.sandbox.app_version=$ver" -t "$image" "$SANDBOX/images/$name" >"$LOG" 2>&1; then
    grep -v -e 'DEPRECATED: The legacy builder' -e 'BuildKit is currently disabled' -e 'environment-variable' "$LOG" >&2
    echo "[build-images] FAILED $image" >&2
    exit 1
  fi
  echo "[build-images] built $image ($(( $(date +%s) - t0 ))s)"
}

for n in "${WANT[@]}"; do
  case "$n" in
    fake-telegram) build fake-telegram latest latest ;;
    postgres) build postgres 15 15 ;;
    todo) for v in v1 v2 broken; do build "$n" "$v" "$v"; done ;;
    sprint) for v in v1 v2 broken badmigration; do build "$n" "$v" "$v"; done ;;
    bare-host) "$SANDBOX/images/bare-host/build.sh" $([ "$FORCE" = 1 ] && echo --force) ;;
    bare-host-bookworm) TGOPS_BARE_SUITE=bookworm "$SANDBOX/images/bare-host/build.sh" $([ "$FORCE" = 1 ] && echo --force) ;;
    *) echo "[build-images] unknown image: $n" >&2; exit 2 ;;
  esac
done
