#!/usr/bin/env bash
# Build the sandbox's Debian base image without any registry:
# mmdebstrap makes a bookworm rootfs from Debian packages, `docker import`
# turns it into an image. Every sandbox image is built FROM it.
# Skips the build when the image exists and its package list is unchanged.
set -euo pipefail
IMAGE="${TGOPS_BASE_IMAGE:-tgops-sandbox/base:bookworm}"
PACKAGES="python3,python3-alembic,python3-sqlalchemy,python3-psycopg2,sqlite3,postgresql-15,ca-certificates,curl,zstd,procps,tini"
DIGEST=$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-12)
if [ "$(docker image inspect -f '{{ index .Config.Labels "tgops.base.packages" }}' "$IMAGE" 2>/dev/null || true)" = "$DIGEST" ]; then
  echo "[base-image] $IMAGE is up to date"
  exit 0
fi
echo "[base-image] building $IMAGE with mmdebstrap (bookworm: $PACKAGES)"
mmdebstrap --quiet --variant=apt --include="$PACKAGES" \
  --customize-hook='chroot "$1" sh -c "rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*"' \
  bookworm - \
  | docker import \
      --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change "LABEL tgops.base.packages=$DIGEST" \
      --change 'CMD ["/bin/bash"]' \
      - "$IMAGE" >/dev/null
echo "[base-image] built $IMAGE"
