"""Issue 5: migrate and deploy on the real sandbox: guarded migrations, health gate, rollback, lock, bad input."""
from __future__ import annotations

import time

import pytest
from conftest import NO_REHEARSAL, compose, playbook, run, sandbox_root, scan_for_secrets

SPLIT = {"stack_migration_service": "migrate", "stack_migration_compose_files": ["docker-compose.split-volume.yml"]}
TODO_LIMIT = ["-l", "todo_stacks"]
SPRINT_LIMIT = ["-l", "sprint_stacks"]


def recap_changed(res, host) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith(host) and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def image_of(container) -> str:
    return run(["docker", "inspect", "-f", "{{.Config.Image}}", container], check=True).stdout.strip()


def container_ids(project) -> str:
    return run(["docker", "ps", "-q", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}"], check=True).stdout


def sqlite(sql) -> str:
    return run(["docker", "run", "--rm", "-v", "deploy_db_data:/data", "tgops-sandbox/base:bookworm",
                "sqlite3", "-readonly", "/data/organizer.db", sql], check=True).stdout.strip()


def env_value(stack_dir, key) -> str:
    env_file = ".env.prod" if stack_dir.name == "todo" else ".env"
    return next(line.split("=", 1)[1] for line in (stack_dir / env_file).read_text().splitlines() if line.startswith(key + "="))


def alembic_current(sprint_dir) -> str:
    return compose(sprint_dir, "sprint", ["docker-compose.yml", "docker-compose.override.yml"], ".env",
                   "run", "--rm", "--no-deps", "-T", "sprint-bot", "alembic", "current").stdout


def test_migrate_is_a_noop_when_up_to_date_and_check_mode_runs_nothing(sandbox):
    res = playbook("migrate.yml")
    assert res.rc == 0, res
    assert recap_changed(res, "todo-sandbox") == 0 and recap_changed(res, "sprint-sandbox") == 0, res
    res = playbook("migrate.yml", "--check")
    assert res.rc == 0 and "Nothing to migrate" in res.stdout, res


def test_split_volume_makes_migrate_and_deploy_refuse(todo_dir):
    ids, env_before = container_ids("deploy"), (todo_dir / ".env.prod").read_text()
    for pb, extra in (("migrate.yml", {}), ("deploy.yml", {"deploy_version": "v2"})):
        res = playbook(pb, *TODO_LIMIT, extra_vars={**SPLIT, **extra})
        assert res.rc != 0, res
        assert "DB location guard" in res.output and "deploy_runtime_data" in res.output and "deploy_db_data" in res.output
    assert container_ids("deploy") == ids and (todo_dir / ".env.prod").read_text() == env_before


def test_upgrade_v1_to_v2_of_both_stacks(todo_dir, sprint_dir):
    before_rows, before_max = map(int, sqlite("SELECT count(*), max(id) FROM tasks").split("|"))
    res = playbook("deploy.yml", "-vvv", extra_vars={"deploy_version": "v2"})
    assert res.rc == 0, res
    assert image_of("deploy-api-1") == "tgops-sandbox/todo:v2"
    assert "0003" in sqlite("SELECT group_concat(version) FROM schema_migrations")
    assert "labels" in sqlite(".tables")
    # no row lost: every row that existed is still there, and the worker kept writing
    assert int(sqlite(f"SELECT count(*) FROM tasks WHERE id <= {before_max}")) == before_rows
    assert int(sqlite("SELECT count(*) FROM tasks")) > before_rows
    assert "(head)" in alembic_current(sprint_dir) and "0004" in alembic_current(sprint_dir)
    # Issue 15: both releases were rehearsed on a scratch copy first (deploy_rehearse defaults to true).
    flat = " ".join(res.output.split())
    assert "Rehearsal passed in" in flat and "on deploy-rehearsal" in flat and "on sprint-rehearsal" in flat, res
    for stack in ("todo", "sprint"):
        text = (sandbox_root() / stack / "OPS_JOURNAL.md").read_text()
        assert "— Deploy" in text and "— Migration" in text
        assert "Rehearsal: passed in" in " ".join(text.rsplit("— Deploy", 1)[-1].split()), text[-1500:]
        assert "/ping: answered in" in text, "the health gate did not prove the bot answers /ping"
    assert scan_for_secrets(texts=[res.output]) == []
    # a second run changes nothing
    res = playbook("deploy.yml", extra_vars={"deploy_version": "v2"})
    assert res.rc == 0, res
    assert recap_changed(res, "todo-sandbox") == 0 and recap_changed(res, "sprint-sandbox") == 0, res


def test_check_mode_shows_and_changes_nothing(todo_dir):
    ids = container_ids("deploy")
    res = playbook("deploy.yml", *TODO_LIMIT, "--check", "--diff", extra_vars={"deploy_version": "v1"})
    assert res.rc == 0, res
    assert container_ids("deploy") == ids and env_value(todo_dir, "APP_VERSION") == "v2"


def test_broken_version_is_rolled_back(todo_dir):
    res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "broken", "deploy_health_timeout": 20, **NO_REHEARSAL})
    assert res.rc != 0, res
    assert "rolled back" in res.output
    assert image_of("deploy-api-1") == "tgops-sandbox/todo:v2"
    assert env_value(todo_dir, "APP_VERSION") == "v2"
    assert run(["curl", "-fsS", "http://127.0.0.1:8101/health"]).rc == 0
    journal = (todo_dir / "OPS_JOURNAL.md").read_text()
    assert "Deploy of todo rolled back" in journal and "health status 503" in journal
    # the failed deploy keeps its env file backup: dated, 0600, and no more than deploy_keep_env_backups of them
    backups = sorted(todo_dir.glob(".env.prod.*.bak"))
    assert backups and all(oct(p.stat().st_mode)[-3:] == "600" for p in backups), backups
    assert not list(todo_dir.glob(".env.prod.*~")), "no lineinfile-style backups any more"
    assert len(backups) <= 5, "deploy_keep_env_backups (5) bounds them; pruning itself is unit-tested (backups_to_prune)"


# Concurrent deploys, stale and empty locks: test_stack_lock.py (every run that changes a stack shares the lock).


@pytest.mark.parametrize("extra, needle", [
    ({"deploy_git_ref": "no-such-ref"}, "Deploy refused before any change"),
    ({"deploy_version": "v9"}, "tgops-sandbox/todo:v9 do not exist"),
    ({"stack_required_env_keys": ["DB_PATH", "SENTRY_DSN"]}, "lacks the required keys SENTRY_DSN"),
    # More free space than any disk here has: the pre-flight's free-space part refuses before the DB is read.
    ({"deploy_min_free_mb": 1 << 40}, "deploy_min_free_mb asks for 1099511627776 MiB"),
])
def test_bad_input_is_refused_without_change(todo_dir, extra, needle):
    ids, env_before = container_ids("deploy"), (todo_dir / ".env.prod").read_text()
    res = playbook("deploy.yml", *TODO_LIMIT, extra_vars=extra)
    assert res.rc != 0 and needle in res.output, res
    assert container_ids("deploy") == ids
    assert (todo_dir / ".env.prod").read_text() == env_before


def test_git_ref_where_the_stack_dir_is_not_a_git_checkout_is_refused_with_gits_own_line(todo_dir):
    """The rollback point's git HEAD comes from the pre-flight's module call; where there is none, a deploy_git_ref is
    refused before any change, naming git's own error line."""
    aside = todo_dir.parent / ".git-aside-todo"
    (todo_dir / ".git").rename(aside)
    try:
        ids, env_before = container_ids("deploy"), (todo_dir / ".env.prod").read_text()
        # The ceiling keeps git from finding the repository the sandbox itself lives in.
        res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_git_ref": "HEAD", **NO_REHEARSAL},
                       env={"GIT_CEILING_DIRECTORIES": str(todo_dir.parent)})
        flat = " ".join(res.output.split())
        assert res.rc != 0, res
        assert f"the stack dir {todo_dir} is not a usable git checkout (fatal: not a git repository" in flat, res
        assert "Deploy refused before any change" in flat, res
        assert container_ids("deploy") == ids
        assert (todo_dir / ".env.prod").read_text() == env_before
    finally:
        aside.rename(todo_dir / ".git")


def test_health_url_that_never_answers_times_out_and_rolls_back(todo_dir):
    t0 = time.monotonic()
    res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", **NO_REHEARSAL, "deploy_health_url": "http://127.0.0.1:8199/health",
                                                         "deploy_health_timeout": 6})
    assert res.rc != 0 and "Health gate failed" in res.output and "within 6 s" in res.output, res
    assert time.monotonic() - t0 < 300
    assert run(["curl", "-fsS", "http://127.0.0.1:8101/health"]).rc == 0
