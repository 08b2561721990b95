"""The rehearsal role on the real sandbox: a snapshot of production's DB (or a given archive) restored into a scratch
copy of the stack, the migrations run to head there, the services started and healthy, everything removed; production
untouched and no backup archive written. deploy.yml runs it on every release (test_deploy_rehearsal.py).
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request

from conftest import REPO, VENV_BIN, playbook, run, sandbox_root

PLAY = REPO / "tests" / "integration" / "playbooks" / "rehearse-current.yml"


def containers(project) -> dict:
    ids = run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"], check=True).stdout.split()
    data = json.loads(run(["docker", "inspect", *ids], check=True).stdout) if ids else []
    return {c["Name"]: (c["Id"], c["State"]["StartedAt"]) for c in data}


def leftovers() -> list:
    out = run(["docker", "ps", "-aq", "--filter", "label=tgops.scratch"], check=True).stdout.split()
    out += [v for v in run(["docker", "volume", "ls", "-q"], check=True).stdout.split() if "-rehearsal_" in v]
    return out


def archives() -> list:
    return sorted(str(p) for p in (sandbox_root() / "backups").rglob("*.tar.zst"))


def test_rehearsal_of_both_stacks_leaves_production_untouched_and_nothing_behind(sandbox, s3):
    before = {p: containers(p) for p in ("deploy", "sprint")}
    kept = archives()
    outages = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            for port in (8101, 8102):
                try:
                    ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).status == 200
                except OSError:
                    ok = False
                if not ok:
                    outages.append(port)
            time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    res = run([VENV_BIN / "ansible-playbook", PLAY, "-e", json.dumps({"rehearsal_health_timeout": 90})], timeout=1200)
    stop.set()
    poller.join()
    assert res.rc == 0, res
    assert "Rehearsal passed in" in res.output and "on deploy-rehearsal" in res.output and "on sprint-rehearsal" in res.output
    assert re.search(r"sprint-rehearsal:\s+a\s+snapshot\s+of\s+the\s+live\s+DB\s+restored,\s+migrations\s+at\s+head\s+\(0\d{3}_\w+\)", res.output), res
    assert outages == [], f"production was without HTTP 200 on {sorted(set(outages))}"
    assert {p: containers(p) for p in ("deploy", "sprint")} == before
    assert leftovers() == []
    assert not list((sandbox_root() / "backups").rglob(".rehearsal-*"))
    assert archives() == kept, "the rehearsal's snapshot is not a backup: no archive is written"


def test_rehearsal_on_a_given_archive(sandbox):
    res = playbook("backup.yml", "-l", "todo_stacks", extra_vars={"backup_s3_enabled": False})
    assert res.rc == 0, res
    archive = max((sandbox_root() / "backups" / "todo").glob("todo-*.tar.zst"), key=lambda p: p.stat().st_mtime)
    res = run([VENV_BIN / "ansible-playbook", PLAY, "-l", "todo_stacks", "-e", json.dumps({"rehearsal_archive": str(archive)})], timeout=600)
    assert res.rc == 0, res
    assert re.search(r"deploy-rehearsal:\s+" + re.escape(str(archive)) + r"\s+restored,", res.output), res
    assert leftovers() == []


def test_check_mode_runs_nothing(sandbox):
    res = run([VENV_BIN / "ansible-playbook", PLAY, "--check"], timeout=600)
    assert res.rc == 0 and "Would rehearse on a scratch copy (deploy-rehearsal" in res.output, res
    assert leftovers() == []
