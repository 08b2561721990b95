#!/usr/bin/env bash
# SQLite backup by hand: VACUUM INTO a copy (one consistent step), then zstd.
set -euo pipefail
: "${DB_FILE:?}" "${OUT_DIR:?}"
copy="$OUT_DIR/baseline-copy.db"
rm -f "$copy" "$copy.zst"
sqlite3 "$DB_FILE" "VACUUM INTO '$copy'"
zstd -q -T0 --rm "$copy" -o "$copy.zst"
