"""Issue 7: a fleet of three hosts over real SSH: daily check (strategy free) and a serial deploy that stops at the first failed gate."""
from __future__ import annotations

import os

import pytest
from conftest import NO_REHEARSAL, playbook, run
from fleet import Sshd, inventory_args, remove_host, render_host, write_inventory

HOSTS = 3


@pytest.fixture(scope="module")
def fleet(sandbox, s3, tmp_path_factory):
    work = tmp_path_factory.mktemp("fleet")
    sshd = Sshd(work / "ssh").start()
    hosts = [render_host(i) for i in range(1, HOSTS + 1)]
    yield {"sshd": sshd, "hosts": hosts, "work": work}
    sshd.stop()
    for i in range(1, HOSTS + 1):
        remove_host(i)


def app_version(host) -> str:
    env = (host["stack_dir"] + "/.env.prod")
    return next(line.split("=", 1)[1] for line in open(env).read().splitlines() if line.startswith("APP_VERSION="))


def container_ids(project) -> str:
    return run(["docker", "ps", "-q", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}"], check=True).stdout


def image_of(container) -> str:
    return run(["docker", "inspect", "-f", "{{.Config.Image}}", container], check=True).stdout.strip()


def test_backup_and_daily_check_across_the_fleet_over_ssh(fleet):
    inv = write_inventory(fleet["work"] / "fleet.json", fleet["hosts"], fleet["sshd"])
    res = playbook("backup.yml", *inventory_args(inv))
    assert res.rc == 0, res
    sshd_log = fleet["sshd"].dir / "sshd.log"
    accepted_before = sshd_log.read_text().count("Accepted publickey for root")
    res = playbook("daily-check.yml", *inventory_args(inv), "-vvv")
    assert res.rc == 0, res
    # every host was reached through ssh on the test's sshd, not a local connection
    if os.environ.get("ANSIBLE_STRATEGY", "").startswith("mitogen"):
        # Mitogen prints no ESTABLISH line, and shares one SSH connection among hosts with the same address, port and
        # user (here every fleet host is the test's one sshd): sshd saw the run log in
        accepted = sshd_log.read_text().count("Accepted publickey for root") - accepted_before
        assert accepted >= 1, "no SSH login during the daily check"
    else:
        assert res.output.count("ESTABLISH SSH CONNECTION FOR USER: root") >= HOSTS, res
    for host in fleet["hosts"]:
        journal = open(host["stack_dir"] + "/OPS_JOURNAL.md").read()
        assert "Day " in journal and "Backup created: YES" in journal, journal
    log = (fleet["sshd"].dir / "sshd.log").read_text()
    assert "Accepted publickey for root" in log


def test_serial_deploy_stops_at_the_first_failed_gate(fleet):
    # fleet-2's health URL never answers: its gate fails, it is rolled back, and fleet-3 is never touched.
    inv = write_inventory(fleet["work"] / "fleet-deploy.json", fleet["hosts"], fleet["sshd"],
                          {"fleet-2": {"deploy_health_url": "http://127.0.0.1:8199/health", "deploy_health_timeout": 6}})
    untouched = container_ids("fleet3")
    res = playbook("deploy.yml", *inventory_args(inv), extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
    assert res.rc != 0, res
    h1, h2, h3 = fleet["hosts"]
    assert app_version(h1) == "v2" and image_of("fleet1-api-1") == "tgops-sandbox/todo:v2"
    assert app_version(h2) == "v1" and image_of("fleet2-api-1") == "tgops-sandbox/todo:v1"
    assert "Deploy of fleet-2 rolled back" in open(h2["stack_dir"] + "/OPS_JOURNAL.md").read()
    assert app_version(h3) == "v1" and container_ids("fleet3") == untouched
    assert "fleet-3" not in res.stdout.split("PLAY RECAP")[0], "the rollout went on after the failed gate"
