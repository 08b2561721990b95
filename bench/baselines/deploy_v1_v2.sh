#!/usr/bin/env bash
# The bare upgrade: new version in the env file, migrate with the new image, up -d, wait for health.
# (No pull: the sandbox images are local, as in the playbook run with deploy_pull=false.)
source "$(dirname "$0")/common.sh"
sed -i 's/^APP_VERSION=.*/APP_VERSION=v2/' "$STACK_DIR/$ENV_FILE"
dc run --rm --no-deps worker migrate >/dev/null
dc up -d >/dev/null 2>&1
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "${HEALTH_URL:?}" && exit 0
  sleep 0.1
done
echo "health never came back" >&2
exit 1
