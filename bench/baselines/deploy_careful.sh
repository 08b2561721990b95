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
# Then the bare upgrade, the same steps as deploy_v1_v2.sh.
exec bash "$(dirname "$0")/deploy_v1_v2.sh"
