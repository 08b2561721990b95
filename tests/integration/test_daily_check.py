"""Issue 3: baseline, daily check, observation window and stability on the real sandbox."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import PLANTED, REPO, TODO, compose, playbook, run, scan_for_secrets

LIMIT = ["-l", "todo_stacks"]


@pytest.fixture
def journal(tmp_path, todo_dir):
    """A fresh journal and a backup dir holding a real, fresh backup of the runtime DB."""
    backups = tmp_path / "backups"
    backups.mkdir()
    make_real_backup(backups)
    return {
        "dir": tmp_path,
        "md": tmp_path / "OPS_JOURNAL.md",
        "jsonl": tmp_path / "OPS_JOURNAL.jsonl",
        # S3 evidence is exercised on its own below; here the local archive is the evidence
        "vars": {"stack_journal_path": str(tmp_path / "OPS_JOURNAL.md"), "stack_backup_local_dir": str(backups),
                 "daily_check_backup_s3": False},
        "backups": backups,
    }


def make_real_backup(dest: Path, name="todo-backup.tar.zst"):
    """A consistent copy of the live DB (VACUUM INTO) compressed with zstd, from a throw-away container."""
    run(["docker", "run", "--rm", "-v", "deploy_db_data:/data", "-v", f"{dest}:/out", "tgops-sandbox/base:bookworm",
         "sh", "-c", f"sqlite3 /data/organizer.db \"VACUUM INTO '/tmp/copy.db'\" && tar -C /tmp -cf - copy.db | zstd -q -o /out/{name}"],
        check=True)
    return dest / name


def daily(journal, now=None, extra=None, env=None):
    ev = dict(journal["vars"])
    if now:
        ev["daily_check_now"] = now
    ev.update(extra or {})
    return playbook("daily-check.yml", *LIMIT, extra_vars=ev, env=env)


def recap_changed(res) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith("todo-sandbox") and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def entry(md: Path, entry_id: str) -> str:
    text = md.read_text()
    begin = f"<!-- tgops:begin id={entry_id} -->"
    assert begin in text, f"no entry {entry_id} in journal:\n{text}"
    return text.split(begin, 1)[1].split(f"<!-- tgops:end id={entry_id} -->", 1)[0]


def test_baseline_then_daily_check_matches_the_seed(journal, todo_dir):
    res = playbook("baseline.yml", *LIMIT, extra_vars=journal["vars"])
    assert res.rc == 0, res
    base = entry(journal["md"], "baseline")
    git_sha = run(["git", "-C", todo_dir, "rev-parse", "HEAD"], check=True).stdout.strip()
    assert git_sha in base
    for f in TODO["files"]:
        digest = run(["sha256sum", todo_dir / f], check=True).stdout.split()[0]
        assert digest in base, f"{f} sha256 missing"
    for svc in ("worker", "api", "telegram-bot"):
        assert svc in base
    assert "BOT_TOKEN" in base and "DB_PATH" in base
    envb = entry(journal["md"], "environment")
    for needle in (str(todo_dir), "deploy", "docker-compose.vps.override.yml", ".env.prod", "/data/organizer.db", "deploy_db_data"):
        assert needle in envb
    # the OS is read from the host, not left blank
    import platform
    assert f"(kernel {platform.release()})" in envb and "- OS: Debian" in envb, envb

    res = daily(journal)
    assert res.rc == 0, res
    today = time.strftime("%Y-%m-%d", time.gmtime())
    day = entry(journal["md"], f"day-{today}")
    for field in ("docker compose ps", "API health", "Worker logs (last 120 lines)", "Bot logs (last 120 lines)", "Backup created"):
        assert field in day, field
    assert "FAIL" not in day and "YES" in day

    # the same day again: one Day entry, nothing changed
    before = journal["md"].read_bytes()
    res = daily(journal)
    assert res.rc == 0, res
    assert recap_changed(res) == 0, res
    assert journal["md"].read_bytes() == before
    assert journal["md"].read_text().count(f"id=day-{today} -->") == 2  # one begin + one end marker

    # hand-written text outside the managed entries survives byte for byte
    hand = "\n> Hand note: calendar stays NOT_CONFIGURED until the test phase ends. ✓\n"
    text = journal["md"].read_text().replace("## Daily checks\n", "## Daily checks\n" + hand, 1)
    journal["md"].write_text(text)
    res = daily(journal, now=f"{today}T23:00:00Z")
    assert res.rc == 0, res
    assert hand in journal["md"].read_text()
    records = [json.loads(line) for line in journal["jsonl"].read_text().splitlines()]
    assert {r["kind"] for r in records} >= {"baseline", "daily"}


def _docker(*args):
    return run(["docker", *args], check=True)


@pytest.fixture
def recreate_after(todo_dir):
    """Recreate the worker and the bot after a test that planted faults in their logs."""
    yield
    compose(todo_dir, "deploy", TODO["files"], TODO["env_file"], "up", "-d", "--force-recreate", "--no-deps", "--wait", "worker", "telegram-bot")


def test_stopped_worker_fails_after_writing(journal, todo_dir, recreate_after):
    _docker("stop", "deploy-worker-1")
    try:
        res = daily(journal)
    finally:
        _docker("start", "deploy-worker-1")
    assert res.rc != 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "`docker compose ps`: FAIL" in day
    assert "deploy-worker-1 is exited" in day
    assert "compose_ps" in res.output


def test_api_returning_503_fails(journal, todo_dir):
    env_file = TODO["env_file"]
    run(["docker", "compose", "--project-directory", todo_dir, "-p", "deploy", "-f", todo_dir / "docker-compose.yml",
         "-f", todo_dir / "docker-compose.vps.override.yml", "--env-file", todo_dir / env_file, "up", "-d", "--no-deps", "api"],
        env={"APP_VERSION": "broken"}, check=True)
    try:
        time.sleep(2)
        res = daily(journal)
    finally:
        compose(todo_dir, "deploy", TODO["files"], env_file, "up", "-d", "--no-deps", "--wait", "api")
    assert res.rc != 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "API health: FAIL" in day
    assert "status 503" in day


def test_traceback_in_bot_log_fails(journal, recreate_after):
    # A real line in the bot container's own log stream (its PID 1 stdout).
    _docker("exec", "deploy-telegram-bot-1", "sh", "-c",
            "printf 'Traceback (most recent call last):\\nRuntimeError: planted failure\\n' > /proc/1/fd/1")
    res = daily(journal)
    assert res.rc != 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "Bot logs (last 120 lines): FAIL" in day
    assert "RuntimeError: planted failure" in day


def test_no_recent_backup_is_no(journal):
    for f in journal["backups"].iterdir():
        old = time.time() - 2 * 86400
        os.utime(f, (old, old))
    res = daily(journal)
    assert res.rc != 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "Backup created: NO" in day
    assert "no backup younger than 26 h" in day


def test_split_volume_replica_fails_the_guard(journal):
    res = daily(journal, extra={"stack_migration_service": "migrate",
                                "stack_migration_compose_files": ["docker-compose.split-volume.yml"]})
    assert res.rc != 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "DB location guard: FAIL" in day
    assert "deploy_runtime_data" in day


def test_fourteen_simulated_days_declare_stability_then_regression(journal, recreate_after):
    # clock injected by a variable; a fresh backup each simulated day keeps the evidence real
    for n in range(1, 15):
        now = f"2027-01-{n:02d}T06:00:00Z"
        res = daily(journal, now=now, extra={"daily_check_stable_after_days": 7})
        assert res.rc == 0, res
        text = journal["md"].read_text()
        assert (n >= 7) == ("id=stability -->" in text), f"day {n}"
    assert "Day 14" in entry(journal["md"], "day-2027-01-14")
    stable = entry(journal["md"], "stability")
    assert "2027-01-07" in stable and "STABLE" in stable
    _docker("stop", "deploy-worker-1")
    try:
        res = daily(journal, now="2027-01-15T06:00:00Z")
    finally:
        _docker("start", "deploy-worker-1")
    assert res.rc != 0
    assert entry(journal["md"], "stability") == stable, "the declaration must not be rewritten"
    assert "compose_ps" in entry(journal["md"], "regression-2027-01-15")


def test_runner_artifacts_and_no_secret_anywhere(journal, todo_dir, tmp_path, recreate_after):
    import ansible_runner

    env_text = (todo_dir / ".env.prod").read_text()
    assert PLANTED["TGOPS_TODO_BOT_TOKEN"] in env_text, "the sandbox must hold the planted token"
    # a planted secret that also leaks into the bot log must be redacted from the evidence
    _docker("exec", "deploy-telegram-bot-1", "sh", "-c",
            f"echo 'ERROR token {PLANTED['TGOPS_TODO_BOT_TOKEN']} rejected' > /proc/1/fd/1")
    pdd = tmp_path / "runner"
    pdd.mkdir()
    r = ansible_runner.run(
        private_data_dir=str(pdd), project_dir=str(REPO), playbook=str(REPO / "playbooks" / "daily-check.yml"),
        inventory=str(REPO / "inventories" / "sandbox" / "hosts.yml"), limit="todo_stacks",
        extravars=journal["vars"], quiet=True, verbosity=3,
        envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                 "TGOPS_SANDBOX_ROOT": os.environ.get("TGOPS_SANDBOX_ROOT", str(REPO / ".sandbox")),
                 "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"},
    )
    stdout = r.stdout.read()
    assert r.rc != 0, "the planted ERROR line must make the bot logs FAIL"
    stats = next(e for e in r.events if e["event"] == "playbook_on_stats")["event_data"]
    summary = stats["artifact_data"]["daily_check"]["todo-sandbox"]
    assert summary["checks"]["bot_logs"] == "FAIL" and summary["checks"]["compose_ps"] == "OK"
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "ERROR token *** rejected" in day
    # scan everything the run produced: runner artifacts (events, stdout, env), journal, JSON log, -vvv output
    hits = scan_for_secrets(pdd, journal["dir"], texts=[stdout])
    assert hits == [], f"planted secrets leaked: {hits}"


def test_backup_evidence_from_s3(journal, s3):
    empty = journal["dir"] / "empty"
    empty.mkdir()
    res = playbook("backup.yml", "-l", "todo_stacks")
    assert res.rc == 0, res
    res = daily(journal, extra={"daily_check_backup_s3": True, "stack_backup_local_dir": str(empty)})
    assert res.rc == 0, res
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "Backup created: YES" in day and "s3://tgops-backups/todo/todo-" in day
    res = daily(journal, extra={"daily_check_backup_s3": True, "stack_backup_local_dir": str(empty), "stack_s3_prefix": "nothing-here"})
    assert res.rc != 0
    day = entry(journal["md"], "day-" + time.strftime("%Y-%m-%d", time.gmtime()))
    assert "Backup created: NO" in day and "s3://tgops-backups/nothing-here" in day
