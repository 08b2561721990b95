import os
import sqlite3
import time

from todo import db, log, version


def main(argv):
    interval = float(os.environ.get("WORKER_INTERVAL", "0.2"))
    every = int(os.environ.get("WORKER_LOG_EVERY", "25"))
    path = db.db_path()
    log("worker", f"starting version={version()} db_path={path} interval={interval:.2f}s")
    conn = None
    inserted = 0
    last_error = None
    # On a first start the api applies the migrations; give it a grace period
    # before a missing table counts as an error (WORKER_SCHEMA_GRACE seconds).
    grace_until = time.time() + float(os.environ.get("WORKER_SCHEMA_GRACE", "30"))
    while True:
        try:
            if conn is None:
                conn = db.connect(path)
            conn.execute("INSERT INTO tasks(title, source) VALUES (?, 'worker')",
                         (f"auto task {inserted + 1}",))
            inserted += 1
            last_error = None
            if inserted % every == 0:
                total = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
                log("worker", f"inserted {inserted} tasks (table total {total})")
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "locked" in msg or "busy" in msg:
                log("worker", f"SQLITE_BUSY, retrying: {msg}")
                time.sleep(0.05)
                continue
            if "no such table" in msg and time.time() < grace_until:
                if msg != last_error:
                    log("worker", "waiting for the schema ({})".format(msg.replace("no such table", "table missing")))
                    last_error = msg
                time.sleep(0.5)
                continue
            if msg != last_error:
                log("worker", f"ERROR {msg}")
                last_error = msg
            time.sleep(1.0)
            continue
        time.sleep(interval)
