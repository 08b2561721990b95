import datetime
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import psycopg2

from sprint import log, version

BROKEN = version() == "broken" or os.environ.get("SPRINT_BROKEN") == "1"
_HEAD = None


def alembic_head():
    global _HEAD
    if _HEAD is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        cfg = Config("/app/alembic.ini")
        cfg.set_main_option("script_location", "/app/migrations")
        _HEAD = ScriptDirectory.from_config(cfg).get_current_head()
    return _HEAD


def connect():
    return psycopg2.connect(os.environ["DB_URL"], connect_timeout=3)


def alembic_current(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
        return row[0] if row else None


def health():
    body = {"version": version(), "head": alembic_head()}
    if BROKEN:
        return 503, dict(body, status="error", reason="broken build: health check always fails")
    try:
        conn = connect()
    except Exception as exc:
        return 503, dict(body, status="error", reason=f"database unreachable: {str(exc).strip()}")
    try:
        current = alembic_current(conn)
    except Exception as exc:
        return 503, dict(body, status="error", reason=f"database error: {str(exc).strip()}")
    finally:
        conn.close()
    body["current"] = current
    if current != body["head"]:
        return 503, dict(body, status="error", reason="alembic current ({}) != head ({})".format(current, body["head"]))
    return 200, dict(body, status="ok", quiet_now=in_quiet_hours())


def parse_quiet_hours(spec):
    spec = (spec or "").strip()
    if not spec or "-" not in spec:
        return None
    a, b = spec.split("-", 1)
    ha, ma = (int(x) for x in a.strip().split(":"))
    hb, mb = (int(x) for x in b.strip().split(":"))
    return ha * 60 + ma, hb * 60 + mb


def local_now():
    tz = os.environ.get("TZ")
    if tz:
        try:
            from zoneinfo import ZoneInfo
            return datetime.datetime.now(ZoneInfo(tz))
        except Exception:
            pass
    return datetime.datetime.now()


def in_quiet_hours(now=None):
    window = parse_quiet_hours(os.environ.get("QUIET_HOURS", ""))
    if window is None:
        return False
    now = now or local_now()
    minute = now.hour * 60 + now.minute
    start, end = window
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps midnight, e.g. 23:00-07:00


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def _send(self, code, payload):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/health":
            return self._send(*health())
        if path == "/queue":
            try:
                conn = connect()
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT count(*) FILTER (WHERE sent_at IS NULL), "
                                    "count(*) FILTER (WHERE sent_at IS NOT NULL) FROM quiet_queue")
                        pending, sent = cur.fetchone()
                finally:
                    conn.close()
                return self._send(200, {"pending": pending, "sent": sent, "quiet_now": in_quiet_hours()})
            except Exception as exc:
                return self._send(503, {"error": str(exc).strip()})
        self._send(404, {"error": "not found"})


def process_quiet_queue(send):
    """Deliver pending quiet_queue items unless QUIET_HOURS covers the current time."""
    if in_quiet_hours():
        return 0, True
    conn = connect()
    delivered = 0
    try:
        with conn:
            with conn.cursor() as cur:
                cur.execute("SELECT id, chat_id, text FROM quiet_queue WHERE sent_at IS NULL "
                            "ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED")
                for item_id, chat_id, text in cur.fetchall():
                    if send(chat_id, text):
                        cur.execute("UPDATE quiet_queue SET sent_at = now() WHERE id = %s", (item_id,))
                        delivered += 1
    finally:
        conn.close()
    return delivered, False


def queue_loop():
    from sprint import telegram
    interval = float(os.environ.get("QUIET_QUEUE_INTERVAL", "2"))
    last_state = None
    while True:
        try:
            delivered, quiet = process_quiet_queue(telegram.send_message)
            state = "quiet" if quiet else "open"
            if state != last_state:
                log("queue", "quiet hours {} (QUIET_HOURS={} TZ={})".format(
                    "active: holding notifications" if quiet else "inactive: delivering",
                    os.environ.get("QUIET_HOURS", ""), os.environ.get("TZ", "")))
                last_state = state
            if delivered:
                log("queue", f"delivered {delivered} quiet_queue item(s)")
        except Exception as exc:
            log("queue", f"ERROR {str(exc).strip().splitlines()[0]}" if str(exc).strip() else repr(exc))
        time.sleep(interval)


def main(argv):
    log("sprint-bot", f"starting version={version()} alembic head={alembic_head()}")
    port = int(os.environ.get("SPRINT_LISTEN_PORT", "8102"))
    srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    log("sprint-bot", f"health on 0.0.0.0:{port}")
    threading.Thread(target=queue_loop, daemon=True).start()
    from sprint import telegram
    rc = telegram.run()
    log("sprint-bot", f"bot loop ended rc={rc}")
    return rc
