"""Apply /app/migrations/NNNN_name.sql in order; tracked in schema_migrations."""
import os
import sqlite3
import sys
import time

from todo import db, log

MIGRATIONS_DIR = os.environ.get("MIGRATIONS_DIR", "/app/migrations")


def available():
    out = []
    for name in sorted(os.listdir(MIGRATIONS_DIR)):
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((name[:4], name[:-4], os.path.join(MIGRATIONS_DIR, name)))
    return out


def _ensure_table(conn):
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version TEXT PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))")


def applied(conn):
    if not db.has_table(conn, "schema_migrations"):
        return {}
    return {v: (n, a) for v, n, a in conn.execute("SELECT version, name, applied_at FROM schema_migrations")}


def apply_all(path=None, component="migrate"):
    conn = db.connect(path)
    newly = []
    try:
        _ensure_table(conn)
        for version, name, fpath in available():
            with open(fpath) as fh:
                sql = fh.read()
            for _attempt in range(50):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    time.sleep(0.2)
            try:
                if conn.execute("SELECT 1 FROM schema_migrations WHERE version=?", (version,)).fetchone():
                    conn.execute("COMMIT")
                    continue
                # executescript would COMMIT first; run statements one by one instead
                for stmt in _split(sql):
                    conn.execute(stmt)
                conn.execute("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (version, name))
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            newly.append(name)
            log(component, f"applied migration {name}")
        versions = sorted(applied(conn))
    finally:
        conn.close()
    return newly, versions


def _split(sql):
    buf, out = "", []
    for line in sql.splitlines(True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def status(path=None):
    path = path or db.db_path()
    print(f"db_path: {path}")
    if not os.path.exists(path):
        print("database file does not exist")
        conn = None
        done = {}
    else:
        conn = db.connect(path, readonly=True)
        done = applied(conn)
    pending = 0
    for version, name, _ in available():
        if version in done:
            print(f"{version} applied  {name}  ({done[version][1]})")
        else:
            pending += 1
            print(f"{version} pending  {name}")
    if conn is not None:
        print("tasks table: %s" % ("present" if db.has_table(conn, "tasks") else "MISSING"))
        conn.close()
    print(f"pending: {pending}")
    return 0


def main(argv):
    if "--status" in argv:
        return status()
    path = db.db_path()
    log("migrate", f"db_path={path} migrations_dir={MIGRATIONS_DIR}")
    newly, versions = apply_all(path)
    if not newly:
        log("migrate", "nothing to apply")
    print("applied versions: {}".format(" ".join(versions)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
