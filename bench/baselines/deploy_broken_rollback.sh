#!/usr/bin/env bash
# A bad release by hand: the new version in the env file, `up -d --wait` (Compose returns non-zero once a
# container is unhealthy or exited), then the previous version back and `up -d --wait` again.
source "$(dirname "$0")/common.sh"
: "${BAD_VERSION:?}" "${GOOD_VERSION:?}"
sed -i "s/^APP_VERSION=.*/APP_VERSION=$BAD_VERSION/" "$STACK_DIR/$ENV_FILE"
if dc up -d --wait >/dev/null 2>&1; then
  echo "the bad release came up healthy" >&2
  exit 1
fi
sed -i "s/^APP_VERSION=.*/APP_VERSION=$GOOD_VERSION/" "$STACK_DIR/$ENV_FILE"
dc up -d --wait >/dev/null 2>&1
