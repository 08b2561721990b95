#!/bin/sh
# Debian's python3-alembic ships no console script; provide `alembic`.
cd /app 2>/dev/null || true
exec python3 -c 'import sys; from alembic.config import main; sys.exit(main())' "$@"
