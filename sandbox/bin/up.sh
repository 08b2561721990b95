#!/usr/bin/env bash
# Render and start sandbox stacks.   up.sh [todo|sprint|fakes|all ...] [--fresh]
#   - renders sandbox/stacks/<name>/ into $TGOPS_SANDBOX_ROOT/<name>/ (default <repo>/.sandbox), once;
#     --fresh re-copies it (and regenerates the env file);
#   - writes the env file (todo: .env.prod, sprint: .env) mode 0600 from the example + generated secrets;
#     env vars TGOPS_TODO_<KEY> / TGOPS_SPRINT_<KEY> override any key (also applied to an existing file);
#   - registers the bot tokens in the fake Telegram API; makes the rendered dir a git checkout;
#   - docker compose up -d --wait (fakes first). Sprint: runs `alembic upgrade head` like ops do
#     (skip with TGOPS_SPRINT_SKIP_MIGRATE=1). TGOPS_SKIP_BUILD=1 skips bin/build-images.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ENVPY="$BIN_DIR/lib/envfile.py"

FRESH=0
STACKS=()
for a in "$@"; do
  case "$a" in
    --fresh) FRESH=1 ;;
    all) STACKS+=(fakes todo sprint) ;;
    todo|sprint|fakes) STACKS+=("$a") ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $a" ;;
  esac
done
[ ${#STACKS[@]} -eq 0 ] && STACKS=(fakes todo sprint)

rand() { "$HOST_PY" -c "import secrets,string,sys; a=string.ascii_letters+string.digits+sys.argv[2]; print(''.join(secrets.choice(a) for _ in range(int(sys.argv[1]))))" "$1" "${2:-}"; }
gen_token() { echo "$1$(printf '%05d' $((RANDOM % 100000))):$(rand 35 '_-')"; }  # <botid>:<35 chars>
quiet() { # run a command, show its output only when it fails (VERBOSE=1 shows always)
  local out rc=0
  if [ "${VERBOSE:-0}" = 1 ]; then "$@"; return; fi
  out="$("$@" 2>&1)" || rc=$?
  if [ "$rc" != 0 ]; then echo "$out" | tail -40 >&2; say "FAILED: ${*:1:8}"; return "$rc"; fi
}

render() { # stack -> 0 if (re)rendered now
  local stack="$1" dst="$SANDBOX_ROOT/$1"
  if [ -d "$dst" ] && [ "$FRESH" = 1 ]; then
    say "$stack: --fresh: stopping and re-rendering $dst"
    [ "$stack" != fakes ] && compose "$stack" down -v --remove-orphans >/dev/null 2>&1 || true
    rm -rf "$dst"
  fi
  if [ -d "$dst" ]; then
    return 1
  fi
  mkdir -p "$SANDBOX_ROOT"
  cp -a "$SANDBOX_DIR/stacks/$stack" "$dst"
  say "$stack: rendered into $dst"
  return 0
}

git_checkout() { # make the rendered dir a git checkout like the prod dirs
  local dir="$1"
  [ "${TGOPS_SANDBOX_GIT:-1}" = 1 ] || return 0
  command -v git >/dev/null || return 0
  [ -d "$dir/.git" ] && return 0
  printf '%s\n' '.env' '.env.prod' 'secrets/*.json' 'logs/*.log' 'imports/*' '!imports/.gitkeep' \
    'exports/*' '!exports/.gitkeep' 'reports/*' '!reports/.gitkeep' 'backups/' > "$dir/.gitignore"
  git -C "$dir" init -q
  git -C "$dir" add -A
  git -C "$dir" -c user.name=tgops-sandbox -c user.email=sandbox@tgops.invalid \
    commit -q -m "sandbox: rendered stack" >/dev/null
  say "$(basename "$dir"): git checkout at $(git -C "$dir" rev-parse --short HEAD)"
}

apply_overrides() { # stack envfile : TGOPS_<STACK>_<KEY> env vars -> file
  local prefix="TGOPS_$(echo "$1" | tr a-z A-Z)_" file="$2" pairs=() v k
  while IFS= read -r k; do
    v="${prefix}${k}"
    if [ -n "${!v+x}" ]; then pairs+=("$k=${!v}"); fi
  done < <(grep -oE '^[A-Z_][A-Z0-9_]*=' "$file" | tr -d '=' ; echo AUTO_MIGRATE)
  if [ "$1" = sprint ]; then  # keep DB_URL consistent with a planted password/user unless planted itself
    if [ -z "${TGOPS_SPRINT_DB_URL+x}" ] && { [ -n "${TGOPS_SPRINT_POSTGRES_PASSWORD+x}" ] || [ -n "${TGOPS_SPRINT_POSTGRES_USER+x}" ]; }; then
      local u p d
      u="${TGOPS_SPRINT_POSTGRES_USER:-$("$HOST_PY" "$ENVPY" get "$file" POSTGRES_USER)}"
      p="${TGOPS_SPRINT_POSTGRES_PASSWORD:-$("$HOST_PY" "$ENVPY" get "$file" POSTGRES_PASSWORD)}"
      d="${TGOPS_SPRINT_POSTGRES_DB:-$("$HOST_PY" "$ENVPY" get "$file" POSTGRES_DB)}"
      pairs+=("DB_URL=postgresql://$u:$p@db:5432/$d")
    fi
  fi
  if [ ${#pairs[@]} -gt 0 ]; then
    "$HOST_PY" "$ENVPY" set "$file" "${pairs[@]}"
    say "$1: env overrides applied for: $(printf '%s ' "${pairs[@]%%=*}")"
  fi
}

register_token() { # stack token username
  local stack="$1" token="$2" username="$3" bot_id
  [ -n "$token" ] || { say "$stack: no BOT_TOKEN, nothing to register"; return 0; }
  bot_id="${token%%:*}"
  "$HOST_PY" "$ENVPY" tokens-json "$SANDBOX_ROOT/fakes/config/tokens.json" "$token" "$bot_id" "$username"
  if curl -fsS -X POST -H 'Content-Type: application/json' \
      -d "{\"token\":\"$token\",\"bot_id\":$bot_id,\"username\":\"$username\"}" \
      "$FAKE_TG_URL/_admin/tokens" >/dev/null 2>&1; then
    say "$stack: bot $bot_id (@$username) registered in the fake Telegram API"
  else
    say "$stack: WARNING could not register the token (token format?)"
  fi
}

up_fakes() {
  local fresh="$FRESH" st env
  case " ${STACKS[*]} " in *" fakes "*) ;; *) FRESH=0 ;; esac  # --fresh re-renders fakes only when named
  render fakes || true
  FRESH="$fresh"
  say "fakes: up (project tgops-fakes)"
  quiet compose fakes up -d --wait --remove-orphans
  # keep the tokens of already rendered stacks known to the fake (e.g. after a fakes --fresh)
  for st in todo sprint; do
    case " ${STACKS[*]} " in *" $st "*) continue ;; esac
    env="$SANDBOX_ROOT/$st/$(env_file_of "$st")"
    [ -f "$env" ] && register_token "$st" "$("$HOST_PY" "$ENVPY" get "$env" BOT_TOKEN)" "$(bot_username "$st")"
  done
  return 0
}
bot_username() { case "$1" in todo) echo mytgtodoist_sandbox_bot ;; sprint) echo sprint_sandbox_bot ;; esac; }

up_todo() {
  local dir="$SANDBOX_ROOT/todo" env
  render todo || true
  env="$dir/.env.prod"
  if [ ! -f "$env" ]; then
    "$HOST_PY" "$ENVPY" render "$dir/env.prod.example" "$env" \
      "BOT_TOKEN=$(gen_token 71000)" "TELEGRAM_API_BASE=http://fake-telegram:8081"
    say "todo: wrote .env.prod (0600)"
  fi
  apply_overrides todo "$env"
  chmod 0600 "$env"
  git_checkout "$dir"
  register_token todo "$("$HOST_PY" "$ENVPY" get "$env" BOT_TOKEN)" "$(bot_username todo)"
  say "todo: up (project deploy, APP_VERSION=$("$HOST_PY" "$ENVPY" get "$env" APP_VERSION))"
  quiet compose todo up -d --wait --remove-orphans
}

fake_sa_json() {
  local out="$1" key
  key="$(openssl genrsa 2048 2>/dev/null || printf -- '-----BEGIN PRIVATE KEY-----\nRkFLRQ==\n-----END PRIVATE KEY-----\n')"
  KEY="$key" KID="$(rand 40 | tr 'A-Z' 'a-z')" "$HOST_PY" - "$out" <<'PY'
import json, os, sys
sa = {
    "type": "service_account",
    "project_id": "tgops-sandbox",
    "private_key_id": os.environ["KID"],
    "private_key": os.environ["KEY"].strip() + "\n",
    "client_email": "sprint-bot@tgops-sandbox.iam.gserviceaccount.com",
    "client_id": "100000000000000000001",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/sprint-bot%40tgops-sandbox.iam.gserviceaccount.com",
    "universe_domain": "googleapis.com",
}
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as fh:
    json.dump(sa, fh, indent=2)
PY
}

up_sprint() {
  local dir="$SANDBOX_ROOT/sprint" env pw
  render sprint || true
  env="$dir/.env"
  if [ ! -f "$env" ]; then
    pw="$(rand 24)"
    "$HOST_PY" "$ENVPY" render "$dir/env.example" "$env" \
      "BOT_TOKEN=$(gen_token 72000)" "TELEGRAM_API_BASE=http://fake-telegram:8081" \
      "POSTGRES_PASSWORD=$pw" "DB_URL=postgresql://sprint:$pw@db:5432/sprint" \
      "S3_ENDPOINT_URL=http://127.0.0.1:${TGOPS_S3_PORT:-9000}" \
      "S3_ACCESS_KEY=AKIA$(rand 16 | tr a-z A-Z)" "S3_SECRET_KEY=$(rand 40)"
    say "sprint: wrote .env (0600)"
  fi
  apply_overrides sprint "$env"
  chmod 0600 "$env"
  if [ ! -f "$dir/secrets/google-sa.json" ]; then
    fake_sa_json "$dir/secrets/google-sa.json"
    say "sprint: wrote fake secrets/google-sa.json (0600)"
  fi
  git_checkout "$dir"
  register_token sprint "$("$HOST_PY" "$ENVPY" get "$env" BOT_TOKEN)" "$(bot_username sprint)"
  say "sprint: db up (project sprint)"
  quiet compose sprint up -d --wait --remove-orphans db
  if [ "${TGOPS_SPRINT_SKIP_MIGRATE:-0}" != 1 ]; then
    say "sprint: alembic upgrade head (ops step)"
    local out rc=0
    out="$(compose sprint run --rm --no-deps -T sprint-bot alembic upgrade head 2>&1)" || rc=$?
    if [ "$rc" != 0 ]; then echo "$out" | tail -30 >&2; die "sprint: alembic upgrade head failed"; fi
    echo "$out" | grep -E 'Running upgrade' | sed 's/^.*Running upgrade/    upgrade/' || true
    say "sprint: up"
    quiet compose sprint up -d --wait --remove-orphans
  else
    say "sprint: up without migrations (no --wait: health stays 503 until alembic upgrade head)"
    quiet compose sprint up -d --remove-orphans
  fi
}

T0=$(date +%s)
[ "${TGOPS_SKIP_BUILD:-0}" = 1 ] || "$BIN_DIR/build-images.sh"
up_fakes   # always first: the other stacks join its network tgops_fakes
for s in "${STACKS[@]}"; do
  case "$s" in
    fakes) ;;
    todo) up_todo ;;
    sprint) up_sprint ;;
  esac
done
say "done in $(( $(date +%s) - T0 ))s (root $SANDBOX_ROOT)"
