#!/usr/bin/env bash
# Build a Debian base image without any registry: mmdebstrap makes a rootfs
# from Debian packages, `docker import` turns it into an image.
# Default: the sandbox base (bookworm), every sandbox image is built FROM it.
# Parameters (environment), used by ee/build.sh for the execution-environment base:
#   TGOPS_BASE_IMAGE     image name          (default tgops-sandbox/base:bookworm)
#   TGOPS_BASE_SUITE     Debian suite        (default bookworm: Python 3.11; trixie: 3.13)
#   TGOPS_BASE_PACKAGES  comma-separated packages (default: the sandbox's list below)
#   TGOPS_BASE_NO_RECOMMENDS=1  install no Recommends (default: apt's default, as before)
# Skips the build when the image exists and its label (a digest of the package
# list, and of the suite when it is not bookworm) is unchanged.
set -euo pipefail
IMAGE="${TGOPS_BASE_IMAGE:-tgops-sandbox/base:bookworm}"
SUITE="${TGOPS_BASE_SUITE:-bookworm}"
PACKAGES="${TGOPS_BASE_PACKAGES:-python3,python3-alembic,python3-sqlalchemy,python3-psycopg2,sqlite3,postgresql-15,ca-certificates,curl,zstd,procps,tini}"
KEY="$PACKAGES"
[ "$SUITE" = bookworm ] || KEY="$SUITE:$PACKAGES"   # the sandbox base keeps its existing digest
APTOPTS=()
if [ "${TGOPS_BASE_NO_RECOMMENDS:-0}" = 1 ]; then
  APTOPTS=(--aptopt='APT::Install-Recommends "false"')
  KEY="norecommends:$KEY"
fi
DIGEST=$(printf '%s' "$KEY" | sha256sum | cut -c1-12)
if [ "$(docker image inspect -f '{{ index .Config.Labels "tgops.base.packages" }}' "$IMAGE" 2>/dev/null || true)" = "$DIGEST" ]; then
  echo "[base-image] $IMAGE is up to date"
  exit 0
fi
echo "[base-image] building $IMAGE with mmdebstrap ($SUITE: $PACKAGES)"
mmdebstrap --quiet --variant=apt "${APTOPTS[@]}" --include="$PACKAGES" \
  --customize-hook='chroot "$1" sh -c "rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*"' \
  "$SUITE" - \
  | docker import \
      --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change "LABEL tgops.base.packages=$DIGEST" \
      --change "LABEL tgops.base.suite=$SUITE" \
      --change 'CMD ["/bin/bash"]' \
      - "$IMAGE" >/dev/null
echo "[base-image] built $IMAGE"
