#!/bin/sh
# bot (default): the Sprint-Bot process (health server + bot loop + quiet_queue).
# With AUTO_MIGRATE=1 runs `alembic upgrade head` first. Anything else is exec'd as is
# (e.g. `alembic upgrade head`, `alembic current`, `psql`).
set -e
case "$1" in
  bot)
    if [ "${AUTO_MIGRATE:-0}" = 1 ]; then
      echo "[entrypoint] AUTO_MIGRATE=1: alembic upgrade head"
      alembic upgrade head
    fi
    exec python3 -m sprint "$@" ;;
  *) exec "$@" ;;
esac
