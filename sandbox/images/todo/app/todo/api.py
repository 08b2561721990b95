import json
import os
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from todo import db, log, migrate, version

BROKEN = version() == "broken" or os.environ.get("TODO_BROKEN") == "1"


def health():
    path = db.db_path()
    body = {"version": version(), "db_path": path}
    if BROKEN:
        return 503, dict(body, status="error", reason="broken build: health check always fails")
    if not os.path.exists(path):
        return 503, dict(body, status="error", reason="database file does not exist")
    try:
        conn = db.connect(path, readonly=True)
        try:
            if not db.has_table(conn, "tasks"):
                return 503, dict(body, status="error", reason="no such table: tasks")
            versions = sorted(migrate.applied(conn))
            count = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return 503, dict(body, status="error", reason=f"sqlite error: {exc}")
    return 200, dict(body, status="ok", migrations=versions, tasks=count,
                     calendar_mode=os.environ.get("CALENDAR_MODE", "NOT_CONFIGURED"))


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
        if path == "/tasks/count":
            try:
                conn = db.connect(readonly=True)
                try:
                    n = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
                finally:
                    conn.close()
                return self._send(200, {"count": n})
            except sqlite3.Error as exc:
                return self._send(503, {"error": str(exc)})
        if path == "/version":
            return self._send(200, {"version": version()})
        self._send(404, {"error": "not found"})


def main(argv):
    log("api", f"starting version={version()} db_path={db.db_path()}")
    if os.environ.get("AUTO_MIGRATE", "1") != "0":
        newly, versions = migrate.apply_all(component="api")
        log("api", "migrations applied automatically; schema versions: {}".format(" ".join(versions)))
    port = int(os.environ.get("TODO_LISTEN_PORT", "8101"))
    srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    srv.daemon_threads = True
    log("api", f"listening on 0.0.0.0:{port}")
    srv.serve_forever()
    return 0
