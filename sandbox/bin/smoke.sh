#!/usr/bin/env bash
# End-to-end check of a running sandbox (after `up.sh all`). Leaves todo on APP_VERSION=v1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ENVPY="$BIN_DIR/lib/envfile.py"
ok() { echo "[smoke] OK   $*"; }
bad() { echo "[smoke] FAIL $*" >&2; exit 1; }
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
count() { curl -fsS 127.0.0.1:8101/tasks/count | "$HOST_PY" -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
ping_roundtrip() { # stack chat_id
  local tok
  tok="$("$HOST_PY" "$ENVPY" get "$SANDBOX_ROOT/$1/$(env_file_of "$1")" BOT_TOKEN)"
  curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"token\":\"$tok\",\"text\":\"/ping\",\"chat_id\":$2}" "$FAKE_TG_URL/_admin/updates" >/dev/null
  for _ in $(seq 1 30); do
    curl -fsS "$FAKE_TG_URL/_admin/messages?token=$tok" | grep -q "\"id\": $2, .*\"text\": \"pong\"" && return 0
    sleep 0.3
  done
  return 1
}

[ "$(code http://127.0.0.1:8101/health)" = 200 ] && ok "todo /health 200" || bad "todo /health"
a=$(count); sleep 1.5; b=$(count); [ "$b" -gt "$a" ] && ok "tasks grow ($a -> $b)" || bad "tasks do not grow"
ping_roundtrip todo 4242 && ok "todo /ping -> pong" || bad "todo /ping"
compose todo run --rm -T worker migrate --status 2>/dev/null | grep -q 'pending: 0' && ok "todo migrate --status" || bad "migrate --status"
[ "$(code http://127.0.0.1:8102/health)" = 200 ] && ok "sprint /health 200" || bad "sprint /health"
compose sprint run --rm -T sprint-bot alembic current 2>/dev/null | grep -q '(head)' && ok "sprint alembic current = head" || bad "alembic current"
ping_roundtrip sprint 4343 && ok "sprint /ping -> pong" || bad "sprint /ping"

"$HOST_PY" "$ENVPY" set "$SANDBOX_ROOT/todo/.env.prod" APP_VERSION=v2
compose todo up -d --wait >/dev/null 2>&1 || bad "todo v2 up"
curl -fsS 127.0.0.1:8101/health | grep -q '"0003"' && ok "todo v2: migration 0003 applied" || bad "todo v2 migration"
APP_VERSION=broken compose todo up -d api >/dev/null 2>&1
for _ in $(seq 1 20); do [ "$(code http://127.0.0.1:8101/health)" = 503 ] && break; sleep 0.5; done
[ "$(code http://127.0.0.1:8101/health)" = 503 ] && ok "todo broken: /health 503" || bad "broken"
"$HOST_PY" "$ENVPY" set "$SANDBOX_ROOT/todo/.env.prod" APP_VERSION=v1
compose todo up -d --wait >/dev/null 2>&1 && ok "todo back on v1" || bad "todo v1 up"
echo "[smoke] all checks passed"
