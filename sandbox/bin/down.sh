#!/usr/bin/env bash
# Stop sandbox stacks and remove everything: down.sh [todo|sprint|fakes|s3|all ...]  (default all)
# docker compose down -v --remove-orphans, then any leftover container/volume/network with the
# project's label (e.g. deploy_runtime_data from the split-volume replica), then the rendered dir.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
STACKS=()
for a in "$@"; do
  case "$a" in
    all) STACKS+=(todo sprint fakes s3) ;;
    todo|sprint|fakes|s3) STACKS+=("$a") ;;
    *) die "unknown argument: $a" ;;
  esac
done
[ ${#STACKS[@]} -eq 0 ] && STACKS=(todo sprint fakes s3)

for s in "${STACKS[@]}"; do
  if [ "$s" = s3 ]; then "$BIN_DIR/s3-server.sh" stop; rm -f "$SANDBOX_ROOT/s3-server.log"; continue; fi
  p="$(project_of "$s")"
  dir="$SANDBOX_ROOT/$s"
  say "$s: down (project $p)"
  if [ -d "$dir" ]; then
    compose "$s" --profile tools down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  fi
  ids="$(docker ps -aq --filter "label=com.docker.compose.project=$p")"
  [ -n "$ids" ] && docker rm -f $ids >/dev/null
  vols="$(docker volume ls -q --filter "label=com.docker.compose.project=$p")"
  [ -n "$vols" ] && docker volume rm -f $vols >/dev/null
  nets="$(docker network ls -q --filter "label=com.docker.compose.project=$p")"
  [ -n "$nets" ] && docker network rm $nets >/dev/null 2>&1 || true
  rm -rf "$dir"
  say "$s: removed"
done
rmdir "$SANDBOX_ROOT" 2>/dev/null || true
