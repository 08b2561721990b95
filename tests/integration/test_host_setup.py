"""Issue 14 (4): playbooks/host-setup.yml over real SSH, then the daily check through the venv it made.

The host is this machine reached through an sshd of the test's own on 127.0.0.1 (fleet.Sshd) as
root with a generated key, holding one todo stack (fleet.render_host). Docker Engine and Compose v2
are already there, so host_setup_install_docker stays off: the install path of Docker on a bare
VPS is not exercised here (docs/host-setup.md). Everything else host-setup does is real: the venv
is created and filled from the Python registry, the directories and the backup timer's units are
written, and the playbooks then run with that venv as ansible_python_interpreter.
"""
from __future__ import annotations

import json
import os
import re
import stat
import time

import pytest
from conftest import S3_BUCKET, playbook, run
from fleet import Sshd, inventory_args, remove_host, render_host, write_inventory

INDEX = 9  # fleet-9: port 8119, project fleet9 (test_fleet uses 1-3, the bench 1-8 outside `make test`)
PINS = {"docker": "7.2.0", "boto3": "1.44.5", "zstandard": "0.25.0"}


@pytest.fixture(scope="module")
def vps(sandbox, s3, tmp_path_factory):
    work = tmp_path_factory.mktemp("host-setup")
    sshd = Sshd(work / "ssh").start()
    host = render_host(INDEX)
    venv = work / "opt" / "tgops" / "venv"
    backups = work / "backups" / host["name"]
    units = work / "systemd"
    units.mkdir()
    inv = write_inventory(work / "inventory.json", [host], sshd, {host["name"]: {
        # what the production inventory says, under a temp dir: the venv is named by the interpreter
        "ansible_python_interpreter": str(venv / "bin" / "python"),
        "stack_backup_local_dir": str(backups),
        # uploads with the venv's boto3 to the sandbox's S3 server (under the host's own prefix, see fleet.write_inventory)
        "stack_s3_enabled": True,
        # the backup role's timer, written where the test can read it; no systemd to start it here
        "backup_timer_unit_dir": str(units), "backup_timer_start": False, "backup_timer_project_dir": str(work / "opt" / "tgops"),
    }})
    yield {"sshd": sshd, "host": host, "venv": venv, "backups": backups, "units": units, "inv": inv, "work": work, "s3": s3}
    sshd.stop()
    remove_host(INDEX)


def recap(res, host) -> dict:
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith(host) and "changed=" in ln), None)
    assert line, res
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def setup(vps, *args, extra=None):
    ev = {"host_setup_backup_timer": True}
    ev.update(extra or {})
    return playbook("host-setup.yml", *inventory_args(vps["inv"]), *args, extra_vars=ev)


def test_missing_compose_fails_with_the_fix_named_and_changes_nothing(vps):
    res = setup(vps, extra={"host_setup_compose_min_version": "99.0.0"})
    assert res.rc != 0, res
    assert "lacks the Compose v2 plugin" in res.output and "host_setup_install_docker=true" in res.output, res
    assert not vps["venv"].exists() and not vps["backups"].exists()


def test_check_mode_reports_and_creates_nothing(vps):
    res = setup(vps, "--check")
    assert res.rc == 0, res
    assert recap(res, vps["host"]["name"])["changed"] > 0, res
    assert not vps["venv"].exists() and not vps["backups"].exists() and not list(vps["units"].iterdir())


def test_host_setup_then_daily_check_through_the_venv(vps):
    name = vps["host"]["name"]
    t0 = time.monotonic()
    res = setup(vps)
    assert res.rc == 0, res
    first = time.monotonic() - t0
    assert recap(res, name)["changed"] > 0, res
    assert "Accepted publickey for root" in (vps["sshd"].dir / "sshd.log").read_text()

    # the venv imports the pinned versions
    py = vps["venv"] / "bin" / "python"
    out = run([py, "-c", "import json, importlib.metadata as m, docker, boto3, zstandard;"
               " print(json.dumps({d: m.version(d) for d in ('docker', 'boto3', 'zstandard')}))"], check=True)
    assert json.loads(out.stdout) == PINS, out
    # the directories, with their modes
    assert stat.S_IMODE(vps["backups"].stat().st_mode) == 0o700
    stack_dir = vps["host"]["stack_dir"]
    assert stat.S_IMODE(os.stat(stack_dir).st_mode) == 0o750
    # the backup role's timer units
    service = vps["units"] / f"tgops-backup-{name}.service"
    timer = vps["units"] / f"tgops-backup-{name}.timer"
    assert "playbooks/backup.yml" in service.read_text() and "OnUnitActiveSec=24h" in timer.read_text()

    # idempotent
    res = setup(vps)
    assert res.rc == 0, res
    assert recap(res, name)["changed"] == 0, res
    print(f"host-setup: first run {first:.0f}s")

    # the playbooks now run over SSH with that venv as the interpreter: a backup (zstandard, boto3 to the
    # local S3 server under the host's own prefix), then a green daily check
    res = playbook("backup.yml", *inventory_args(vps["inv"]))
    assert res.rc == 0, res
    keys = [o["Key"] for o in vps["s3"].list_objects_v2(Bucket=S3_BUCKET, Prefix=f"{name}/").get("Contents", [])]
    assert any(k.endswith(".tar.zst") for k in keys) and f"{name}/latest.tar.zst" in keys, keys
    res = playbook("daily-check.yml", *inventory_args(vps["inv"]), "-vvv")
    assert res.rc == 0, res
    assert recap(res, name)["failed"] == 0
    assert f"{py} && sleep 0" in res.output, "the daily check did not run with the venv's Python"
    assert list(vps["backups"].glob("*.tar.zst")), "no backup in the directory host-setup made"
    journal = open(stack_dir + "/OPS_JOURNAL.md").read()
    assert "Backup created: YES" in journal and "FAIL" not in journal.split("## Daily checks", 1)[-1], journal
