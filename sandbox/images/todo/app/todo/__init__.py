"""Sandbox replica of mytgtodoist (SQLite)."""
import os
import sys
import time


def version():
    try:
        with open("/app/VERSION") as fh:
            return fh.read().strip()
    except OSError:
        return os.environ.get("TODO_BUILD_VERSION", "dev")


def log(component, msg):
    sys.stdout.write("{} [{}] {}\n".format(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), component, msg))
    sys.stdout.flush()
