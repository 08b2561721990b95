#!/usr/bin/env bash
# Shared by the baselines: the commands people run by hand, from the stack dir.
set -euo pipefail
: "${STACK_DIR:?}" "${PROJECT:?}" "${ENV_FILE:?}"
read -r -a FILES <<< "${COMPOSE_FILES:?}"
dc() {
  local args=(compose --project-directory "$STACK_DIR" -p "$PROJECT" --env-file "$STACK_DIR/$ENV_FILE")
  for f in "${FILES[@]}"; do args+=(-f "$STACK_DIR/$f"); done
  docker "${args[@]}" "$@"
}
