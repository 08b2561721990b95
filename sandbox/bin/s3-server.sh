#!/usr/bin/env bash
# Local S3 (moto server): s3-server.sh start|stop|status   on 127.0.0.1:${TGOPS_S3_PORT:-9000}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
PORT="${TGOPS_S3_PORT:-9000}"
PIDFILE="$SANDBOX_ROOT/s3-server.pid"
LOGFILE="$SANDBOX_ROOT/s3-server.log"
MOTO="${TGOPS_MOTO_SERVER:-$REPO_DIR/.venv/bin/moto_server}"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; }

case "${1:-status}" in
  start)
    if running && answers; then say "s3: already running (pid $(cat "$PIDFILE"), http://127.0.0.1:$PORT)"; exit 0; fi
    [ -x "$MOTO" ] || die "moto_server not found at $MOTO"
    mkdir -p "$SANDBOX_ROOT"
    nohup "$MOTO" -H 127.0.0.1 -p "$PORT" >"$LOGFILE" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 100); do
      if answers; then say "s3: moto server up on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; exit 0; fi
      running || { tail -5 "$LOGFILE" >&2; die "s3: moto server exited"; }
      sleep 0.2
    done
    die "s3: moto server did not answer on port $PORT (log $LOGFILE)"
    ;;
  stop)
    if running; then
      kill "$(cat "$PIDFILE")" 2>/dev/null || true
      for _ in $(seq 1 25); do running || break; sleep 0.2; done
      running && kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true
      say "s3: stopped"
    else
      say "s3: not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && answers; then say "s3: running (pid $(cat "$PIDFILE"), http://127.0.0.1:$PORT)"; exit 0; fi
    say "s3: not running"; exit 1
    ;;
  *) die "usage: s3-server.sh start|stop|status" ;;
esac
