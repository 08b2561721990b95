"""Sandbox replica of Sprint-Bot (Postgres + Alembic)."""
import os
import sys
import time


def version():
    try:
        with open("/app/VERSION") as fh:
            return fh.read().strip()
    except OSError:
        return "dev"


def log(component, msg):
    line = "{} [{}] {}\n".format(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), component, msg)
    sys.stderr.write(line)
    sys.stderr.flush()
    try:
        with open(os.environ.get("SPRINT_LOG_FILE", "/app/logs/bot.log"), "a") as fh:
            fh.write(line)
    except OSError:
        pass
