# Shared helpers for up.sh / down.sh / s3-server.sh (sourced, not executed).
BIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANDBOX_DIR="$(dirname "$BIN_DIR")"
REPO_DIR="$(dirname "$SANDBOX_DIR")"
SANDBOX_ROOT="${TGOPS_SANDBOX_ROOT:-$REPO_DIR/.sandbox}"
FAKE_TG_URL="${TGOPS_FAKE_TG_URL:-http://127.0.0.1:8081}"
HOST_PY="$(command -v python3 || echo "$REPO_DIR/.venv/bin/python")"

say() { echo "[sandbox] $*"; }
die() { echo "[sandbox] ERROR: $*" >&2; exit 1; }

project_of() {
  case "$1" in
    todo) echo deploy ;;
    sprint) echo sprint ;;
    fakes) echo tgops-fakes ;;
    *) die "unknown stack: $1" ;;
  esac
}
env_file_of() {
  case "$1" in
    todo) echo .env.prod ;;
    sprint) echo .env ;;
    fakes) echo "" ;;
  esac
}
compose_files_of() {
  case "$1" in
    todo) echo "docker-compose.yml docker-compose.vps.override.yml" ;;
    sprint) echo "docker-compose.yml docker-compose.override.yml" ;;
    fakes) echo "docker-compose.yml" ;;
  esac
}
# compose <stack> <args...> : runs docker compose in the rendered dir with -p/-f/--env-file
compose() {
  local stack="$1"; shift
  local dir="$SANDBOX_ROOT/$stack" args=() f ef
  args+=(-p "$(project_of "$stack")")
  for f in $(compose_files_of "$stack"); do args+=(-f "$dir/$f"); done
  ef="$(env_file_of "$stack")"
  [ -n "$ef" ] && args+=(--env-file "$dir/$ef")
  docker compose --project-directory "$dir" "${args[@]}" "$@"
}
