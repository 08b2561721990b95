#!/usr/bin/env bash
# Restore check by hand: fetch latest from S3, checksum, decompress, integrity_check.
set -euo pipefail
: "${S3_URL:?}" "${ENDPOINT:?}" "${OUT_DIR:?}" "${AWS_BIN:?}"
work="$OUT_DIR/baseline-restore"
rm -rf "$work" && mkdir -p "$work"
"$AWS_BIN" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "$S3_URL" "$work/latest.tar.zst"
sha256sum "$work/latest.tar.zst" >/dev/null
zstd -q -dc "$work/latest.tar.zst" | tar -x -C "$work"
db="$(find "$work/db" -name '*.db' | head -1)"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
rm -rf "$work"
