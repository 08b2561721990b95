#!/usr/bin/env bash
# The seed's daily check by hand: ps, health, worker and bot logs, a backup listing.
source "$(dirname "$0")/common.sh"
dc ps
curl -fsS "${HEALTH_URL:?}" >/dev/null
dc logs --no-color --tail 120 worker >/dev/null
dc logs --no-color --tail 120 telegram-bot >/dev/null
ls -l "${BACKUP_DIR:?}" >/dev/null
