#!/usr/bin/env bash
# Postgres backup by hand: pg_dump -Fc inside the db service, streamed to a file.
source "$(dirname "$0")/common.sh"
: "${OUT_DIR:?}"
dc exec -T db sh -c 'pg_dump -Fc -U "$POSTGRES_USER" -d "$POSTGRES_DB"' > "$OUT_DIR/baseline.dump"
