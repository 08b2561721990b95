"""Issue 12 section 5: every read-only and scheduled playbook is green on every sandbox host with no extra vars.

As the AWX schedules run them: the whole sandbox inventory (no -l), no -e. Both stacks differ in their service
names (todo: worker / api / telegram-bot; sprint: db / sprint-bot as bot and worker), so a role default that
names one stack's services fails the other.
"""
from __future__ import annotations

import re

import pytest
from conftest import playbook, scan_for_secrets

HOSTS = ("todo-sandbox", "sprint-sandbox")

# In schedule order: the backup comes before the daily check, which wants a backup younger than 26 h.
PLAYBOOKS = [
    "stack-info.yml",
    "baseline.yml",
    "backup.yml",
    "restore.yml",  # restore_mode defaults to verify (scratch resources, production untouched)
    "daily-check.yml",
    "oncall.yml",  # runbook defaults to diagnose (read-only)
]


def recap(res, host) -> dict:
    line = next((line for line in res.stdout.splitlines() if re.match(rf"^{re.escape(host)}\s+:", line)), None)
    assert line is not None, f"no recap line for {host}\n{res}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_playbook_is_green_on_the_whole_inventory(s3, name):
    res = playbook(name)
    assert res.rc == 0, res
    for host in HOSTS:
        counts = recap(res, host)
        assert counts["failed"] == 0 and counts["unreachable"] == 0, (host, counts, res)
        assert counts["ok"] > 0, (host, counts, res)
    assert scan_for_secrets(texts=[res.output]) == []


def test_daily_check_judges_each_stack_by_its_own_services(s3, sandbox):
    """The sprint Day entry judges sprint-bot's logs (its worker and its bot), and both stacks are all green."""
    res = playbook("daily-check.yml")
    assert res.rc == 0, res
    assert "no container of service" not in res.output, res
    for stack in ("todo", "sprint"):
        entry = (sandbox / stack / "OPS_JOURNAL.md").read_text().rsplit("### Day ", 1)[-1]
        for check in ("`docker compose ps`: OK", "API health: OK", "lines): OK", "Backup created: YES", "DB location guard: OK"):
            assert check in entry, (stack, check, entry)
        assert "Bot logs (last 120 lines): OK" in entry and "Worker logs (last 120 lines): OK" in entry, (stack, entry)
