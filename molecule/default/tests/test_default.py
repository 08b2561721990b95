"""Verify the converged sandbox: the stack runs and the journal holds the baseline."""
from __future__ import annotations

import os

JOURNAL = os.path.join(os.environ.get("TGOPS_JOURNAL_DIR", "/tmp/tgops-molecule"), "todo", "OPS_JOURNAL.md")


def test_todo_stack_containers_run(host):
    for name in ("deploy-api-1", "deploy-worker-1", "deploy-telegram-bot-1"):
        assert host.docker(name).is_running, name


def test_runtime_volume_is_deploy_db_data(host):
    out = host.check_output("docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' deploy-api-1")
    assert "deploy_db_data:/data" in out


def test_journal_holds_the_baseline_and_is_private(host):
    journal = host.file(JOURNAL)
    assert journal.exists
    assert journal.mode == 0o600
    assert "<!-- tgops:begin id=baseline -->" in journal.content_string
    assert "deploy_db_data" in journal.content_string


def test_api_health_answers(host):
    assert host.run("curl -fsS http://127.0.0.1:8101/health").rc == 0
