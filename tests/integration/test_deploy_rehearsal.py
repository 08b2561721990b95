"""Issue 15: every release is rehearsed on a scratch copy of production before production is touched (deploy_rehearse).

The good v1 -> v2 release passing its rehearsal and deploying is test_deploy.py::test_upgrade_v1_to_v2_of_both_stacks.

The health URL is polled every 0.2 s through each run: a release the rehearsal rejects costs production no second.
"""
from __future__ import annotations

import json

import pytest
from conftest import HealthPoller, fresh_stack, playbook, run

TODO_LIMIT = ["-l", "todo_stacks"]
SPRINT_LIMIT = ["-l", "sprint_stacks"]


def containers(project) -> dict:
    ids = run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"], check=True).stdout.split()
    data = json.loads(run(["docker", "inspect", *ids], check=True).stdout) if ids else []
    return {c["Name"]: (c["Id"], c["State"]["StartedAt"], c["Config"]["Image"]) for c in data}


def scratch_leftovers() -> list:
    out = run(["docker", "ps", "-aq", "--filter", "label=tgops.scratch"], check=True).stdout.split()
    out += [v for v in run(["docker", "volume", "ls", "-q"], check=True).stdout.split() if "-rehearsal_" in v]
    return out


def env_value(path, key):
    return next(line.split("=", 1)[1] for line in path.read_text().splitlines() if line.startswith(key + "="))


def sprint_db(sql):
    return run(["docker", "exec", "sprint-db-1", "psql", "-X", "-U", "sprint", "-d", "sprint", "-tAc", sql], check=True).stdout.strip()


@pytest.fixture(scope="module")
def sprint_v1(sandbox):
    """The bad migration is a 0004 written against 0003: production must be v1 at 0003 (test_deploy leaves v2 at 0004)."""
    fresh_stack("sprint")


def test_check_mode_says_what_the_rehearsal_would_do_and_runs_nothing(todo_dir):
    before = containers("deploy")
    other = "v1" if env_value(todo_dir / ".env.prod", "APP_VERSION") == "v2" else "v2"  # a release that changes the stack
    res = playbook("deploy.yml", *TODO_LIMIT, "--check", extra_vars={"deploy_version": other})
    assert res.rc == 0 and "Would rehearse on a scratch copy (deploy-rehearsal" in res.output, res
    assert containers("deploy") == before and scratch_leftovers() == []


def test_broken_release_is_rejected_in_rehearsal_with_production_untouched(todo_dir):
    before, version = containers("deploy"), env_value(todo_dir / ".env.prod", "APP_VERSION")
    with HealthPoller("http://127.0.0.1:8101/health") as poll:
        res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "broken"})
    assert res.rc != 0 and "Release rejected in rehearsal at the start step" in res.output, res
    assert "deploy-rehearsal-api-1" in res.output and "unhealthy" in res.output, res
    assert poll.longest_outage() == 0.0, f"production was without HTTP 200 for {poll.longest_outage():.1f} s"
    assert containers("deploy") == before, "production containers must not be touched"
    assert env_value(todo_dir / ".env.prod", "APP_VERSION") == version, "the env file is put back"
    assert "Release of todo rejected in rehearsal" in (todo_dir / "OPS_JOURNAL.md").read_text()
    assert scratch_leftovers() == []


@pytest.mark.usefixtures("sprint_v1")
def test_failing_migration_is_rejected_with_the_production_db_unchanged(sprint_dir):
    revision = sprint_db("select version_num from alembic_version")
    rows = sprint_db("select count(*) from quiet_queue") + "/" + sprint_db("select count(*) from users")
    before = containers("sprint")
    res = playbook("deploy.yml", *SPRINT_LIMIT, extra_vars={"deploy_version": "badmigration"})
    assert res.rc != 0 and "Release rejected in rehearsal at the migration step" in res.output, res
    assert 'column "language" does not exist' in res.output, res
    assert sprint_db("select version_num from alembic_version") == revision
    assert sprint_db("select count(*) from quiet_queue") + "/" + sprint_db("select count(*) from users") == rows
    assert containers("sprint") == before
    assert scratch_leftovers() == []


@pytest.mark.usefixtures("sprint_v1")
def test_a_failure_only_production_shows_is_still_caught_by_the_gate_and_rolled_back(sprint_dir):
    """The rehearsal passes (v2 migrates and starts on the copy); production's health URL never answers (a stand-in for
    what only real traffic shows): the production gate fails and the rollback downgrades to the revision before."""
    revision = sprint_db("select version_num from alembic_version")
    res = playbook("deploy.yml", *SPRINT_LIMIT, extra_vars={"deploy_version": "v2", "deploy_health_url": "http://127.0.0.1:8199/health",
                                                           "deploy_health_timeout": 5})
    flat = " ".join(res.output.split())
    assert res.rc != 0 and "Rehearsal passed in" in flat and "on sprint-rehearsal" in flat, res
    assert "Health gate failed" in flat and "rolled back" in flat, res
    assert sprint_db("select version_num from alembic_version") == revision, "the rollback downgrades what production migrated"
    assert env_value(sprint_dir / ".env", "APP_VERSION") == "v1"
    assert scratch_leftovers() == []
