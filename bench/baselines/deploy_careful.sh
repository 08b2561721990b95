#!/usr/bin/env bash
# The careful upgrade by hand, the safety steps the deploy playbook takes, as a shell script: a consistent copy of
# the live SQLite DB (sqlite3 .backup) compressed with zstd and its SHA-256 written beside it, then the new version
# in the env file, migrate with the new image, up -d, and wait for health.
source "$(dirname "$0")/common.sh"
: "${DB_FILE:?}" "${OUT_DIR:?}"
copy="$OUT_DIR/careful-premigration.db"
rm -f "$copy" "$copy.zst" "$copy.zst.sha256"
sqlite3 "$DB_FILE" ".backup '$copy'"
zstd -q -T0 --rm "$copy" -o "$copy.zst"
(cd "$OUT_DIR" && sha256sum "$(basename "$copy.zst")" > "$copy.zst.sha256")
sed -i 's/^APP_VERSION=.*/APP_VERSION=v2/' "$STACK_DIR/$ENV_FILE"
dc run --rm --no-deps worker migrate >/dev/null
dc up -d >/dev/null 2>&1
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "${HEALTH_URL:?}" && exit 0
  sleep 0.1
done
echo "health never came back" >&2
exit 1
